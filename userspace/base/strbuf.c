/* String builders every stage uses (strbuf.h). */
#include <stdio.h>
#include <string.h>
#include "base/strbuf.h"

char *txt_put_u64(char *p, unsigned long long v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[20], *q = tmp + sizeof(tmp);
	size_t n;

	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		q -= 2;
		memcpy(q, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, pairs + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	n = (size_t)(tmp + sizeof(tmp) - q);
	memcpy(p, q, n);
	return p + n;
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
