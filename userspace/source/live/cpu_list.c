#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "source/live/cpu_list.h"

/* A CPU number at *p, moved past; -1 when there is none. */
static long cpu_number(const char **p)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)**p))
		return -1;
	v = strtol(*p, &end, 10);
	*p = end;
	return v;
}

int cpu_list_parse(const char *text, bool *set, int n)
{
	const char *p = text;
	int marked = 0;

	memset(set, 0, (size_t)n * sizeof(*set));
	while (*p && *p != '\n') {
		long lo = cpu_number(&p), hi = lo;

		if (*p == '-') {
			p++;
			hi = cpu_number(&p);
		}
		if (lo < 0 || hi < lo || hi > 1 << 20)
			return -1;
		for (long c = lo; c <= hi && c < n; c++) {
			marked += !set[c];
			set[c] = true;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	if (*p == '\n' && p[1])
		return -1;
	return marked;
}
