/* String builders every stage uses (strbuf.h). */
#include <stdio.h>
#include <string.h>
#include "base/strbuf.h"

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* The digits of v < 10^8, n of them (leading zeros when n is more than v
 * needs), ending at end: 32-bit arithmetic, two digits a step. */
static inline void put_digits32(char *end, unsigned int v, size_t n)
{
	char *q = end;

	while (n >= 2) {
		unsigned int r = v % 100;

		v /= 100;
		q -= 2;
		q[0] = digit_pairs[2 * r];
		q[1] = digit_pairs[2 * r + 1];
		n -= 2;
	}
	if (n)
		q[-1] = (char)('0' + v);
}

static inline size_t ndigits32(unsigned int v)
{
	return v < 10000 ? (v < 100 ? (v < 10 ? 1 : 2) : (v < 1000 ? 3 : 4))
			 : (v < 1000000 ? (v < 100000 ? 5 : 6) : (v < 10000000 ? 7 : 8));
}

/* The digits straight into place, in chunks of eight with 32-bit
 * arithmetic: every JSONL line has a dozen numbers, a nanosecond stamp of
 * nineteen digits among them. */
char *txt_put_u64(char *p, unsigned long long v)
{
	unsigned int lo, mid;
	size_t n;

	if (v < 100000000ull) {
		n = ndigits32((unsigned int)v);
		put_digits32(p + n, (unsigned int)v, n);
		return p + n;
	}
	lo = (unsigned int)(v % 100000000ull);
	v /= 100000000ull;
	if (v < 100000000ull) {
		n = ndigits32((unsigned int)v);
		put_digits32(p + n, (unsigned int)v, n);
		p += n;
	} else {
		mid = (unsigned int)(v % 100000000ull);
		v /= 100000000ull; /* at most 1844 */
		n = ndigits32((unsigned int)v);
		put_digits32(p + n, (unsigned int)v, n);
		p += n;
		put_digits32(p + 8, mid, 8);
		p += 8;
	}
	put_digits32(p + 8, lo, 8);
	return p + 8;
}

char *txt_put_s64(char *p, long long v)
{
	if (v < 0) {
		*p++ = '-';
		return txt_put_u64(p, 0ull - (unsigned long long)v);
	}
	return txt_put_u64(p, (unsigned long long)v);
}

char *txt_put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* tmp[0..end) into buf of size len, cut to fit, as snprintf would. */

char *txt_copy_span(char *buf, size_t len, const char *tmp, const char *end)
{
	size_t n = (size_t)(end - tmp);

	if (!len)
		return buf;
	if (n >= len)
		n = len - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return buf;
}

char *txt_add_word(char *buf, size_t len, const char *word)
{
	size_t used = strnlen(buf, len);

	if (word[0] && used + 1 < len) {
		if (used)
			buf[used++] = ' ';
		txt_copy(buf + used, len - used, word);
	}
	return buf;
}

char *txt_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len ? len - 1 : 0);

	if (len) {
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return dst;
}

char *txt_one_line(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* "1,234,567": figures a reader takes in at a glance. */
char *txt_thousands(unsigned long long v, char *buf, size_t len)
{
	char digits[24], out[32];
	size_t nd, o = 0;

	*txt_put_u64(digits, v) = '\0';
	nd = strlen(digits);
	for (size_t i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return txt_copy(buf, len, out);
}
