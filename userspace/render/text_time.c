/* Times as the text sinks write them (text_time.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "base/strbuf.h"
#include "render/text_time.h"

/* ---- times ---- */

#define NS_PER_US 1000ull
#define NS_PER_S 1000000000ull

char *txt_seconds(__u64 ns, int width, char *buf, size_t len)
{
	unsigned long long sec = ns / NS_PER_S, us = (ns % NS_PER_S) / NS_PER_US;
	char tmp[32], *p = txt_put_u64(tmp, sec);
	int nsec = (int)(p - tmp), dec = 6;

	/* as many decimals as fit in width, at least one; else none */
	while (dec > 0 && width > 0 && nsec + 1 + dec > width) {
		dec--;
		us /= 10;
	}
	if (dec > 0) {
		*p++ = '.';
		for (int i = dec - 1; i >= 0; i--, us /= 10)
			p[i] = (char)('0' + us % 10);
		p += dec;
	}
	return txt_copy_span(buf, len, tmp, p);
}

char *txt_delta(__u64 ns, char *buf, size_t len)
{
	char tmp[40], *p = tmp;

	*p++ = '+';
	if (ns < NS_PER_US) {
		*p++ = '0';
	} else if (ns < NS_PER_S) {
		p = txt_put_u64(p, (unsigned long long)(ns / NS_PER_US));
		*p++ = 'u';
		*p++ = 's';
	} else {
		txt_seconds(ns, 8, p, 24);
		p += strlen(p);
		*p++ = 's';
	}
	return txt_copy_span(buf, len, tmp, p);
}

/* Epoch ns in fmt (strftime's) and the nanoseconds past the second; false
 * when the time cannot be told. */
static bool utc_parts(__s64 epoch_ns, const char *fmt, char *out, size_t len, __s64 *rem_ns)
{
	/* floor division, so a time before 1970 still prints sanely */
	__s64 sec = epoch_ns / (__s64)NS_PER_S, rem = epoch_ns % (__s64)NS_PER_S;
	if (rem < 0) {
		rem += NS_PER_S;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;

	*rem_ns = rem;
	return gmtime_r(&t, &tm) && strftime(out, len, fmt, &tm);
}

char *txt_wall_utc(__s64 epoch_ns, char *buf, size_t len)
{
	char day[32];
	__s64 rem;

	if (!utc_parts(epoch_ns, "%Y-%m-%d %H:%M:%S", day, sizeof(day), &rem))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s.%06llu UTC", day, (unsigned long long)rem / NS_PER_US);
	return buf;
}

char *txt_clock_utc(__s64 epoch_ns, char *buf, size_t len)
{
	char hms[16];
	__s64 rem;

	if (!utc_parts(epoch_ns, "%H:%M:%S", hms, sizeof(hms), &rem))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s.%03llu", hms, (unsigned long long)rem / (NS_PER_US * 1000));
	return buf;
}

char *txt_ms(__s64 ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu.%03llu", (unsigned long long)ns / 1000000ull,
			 (unsigned long long)(ns / 1000) % 1000ull);
	return buf;
}

