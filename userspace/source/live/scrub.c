#include <ctype.h>
#include <string.h>
#include "source/live/scrub.h"

void scrub_kernel_addresses(char *s)
{
	for (char *p = s; (p = strstr(p, "0xffff"));) {
		int n = 0;

		while (n < 12 && isxdigit((unsigned char)p[6 + n]))
			n++;
		if (n == 12 && !isxdigit((unsigned char)p[18])) {
			memcpy(p, "0xKADDR", 7);
			memmove(p + 7, p + 18, strlen(p + 18) + 1);
		}
		p += 6;
	}
}
