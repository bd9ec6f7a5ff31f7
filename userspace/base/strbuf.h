/* String builders every stage uses: numbers without printf for the hot
 * paths, copies and word lists cut to fit. Nothing here allocates. */
#ifndef SYNSCOPE_STRBUF_H
#define SYNSCOPE_STRBUF_H

#include <stddef.h>

/* printf-free pieces for the hot paths (every row of every connection):
 * each writes at p, with no terminating NUL, and returns the new end. The
 * caller makes room: a number takes at most 20 characters. */
char *txt_put_u64(char *p, unsigned long long v);
char *txt_put_s64(char *p, long long v);
char *txt_put_str(char *p, const char *s);

/* Append word to the space-separated words in buf (nothing if word is "");
 * cut to fit; returns buf. */
char *txt_add_word(char *buf, size_t len, const char *word);
/* Copy src into dst of size len, cut to fit; returns dst. */
char *txt_copy(char *dst, size_t len, const char *src);
/* A message that quotes its input stays one line of plain text: each control
 * byte becomes '?'. Returns s. */
char *txt_one_line(char *s);
/* tmp[0..end) into buf of size len, cut to fit, as snprintf would. Returns buf. */
char *txt_copy_span(char *buf, size_t len, const char *tmp, const char *end);
/* v with thousands separators: "1,234,567". Returns buf. */
char *txt_thousands(unsigned long long v, char *buf, size_t len);

#endif
