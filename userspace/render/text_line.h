/* Output lines written piece by piece, in colour on a terminal, and text
 * wrapped to a width (ASCII, and UTF-8 where a Chinese character takes two
 * columns). What every text sink draws with. */
#ifndef SYNSCOPE_TEXT_LINE_H
#define SYNSCOPE_TEXT_LINE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- colour and column-aware output ---- */

enum txt_color {
	TXT_PLAIN = 0,
	TXT_SYN,      /* green */
	TXT_FIN,      /* yellow */
	TXT_RST,      /* bold red */
	TXT_RETRANS,  /* magenta */
	TXT_BOLD,     /* a lane whose state just changed */
	TXT_DIM,      /* inferred: synscope's guess, not the kernel's report */
};

/* The colour of a segment's drawing: retransmit > RST > SYN > FIN > plain. */
enum txt_color txt_segment_color(unsigned int flags, bool retransmit);

/* One output line written piece by piece. It counts display columns (escape
 * codes excluded) and holds padding back until more text follows, so colour
 * never moves a column and lines never end in spaces. */
struct txt_line {
	FILE *f;
	bool color;
	int col;      /* columns written */
	int pending;  /* spaces owed before the next text */
	size_t len;   /* bytes held in buf: a line is written with one fwrite */
	char buf[512];
};

void txt_line_start(struct txt_line *l, FILE *f, bool color);
/* Continue at column col (no-op if already there or past it). */
void txt_line_pad_to(struct txt_line *l, int col);
/* Like pad_to, but keep at least one space from what is already written. */
void txt_line_gap_to(struct txt_line *l, int col);
/* txt_line_putn's other cases: colour, a full buffer. */
void txt_line_putn_slow(struct txt_line *l, enum txt_color c, const char *s, size_t n);

/* Write the n bytes (ASCII) at s in colour c. Inline: a ladder row is a dozen
 * pieces, most of them short, plain and after some padding. */
static inline void txt_line_putn(struct txt_line *l, enum txt_color c, const char *s, size_t n)
{
	size_t pad = (size_t)l->pending;

	if (!n)
		return;
	if ((l->color && c != TXT_PLAIN) || l->len + pad + n > sizeof(l->buf)) {
		txt_line_putn_slow(l, c, s, n);
		return;
	}
	memset(l->buf + l->len, ' ', pad);
	memcpy(l->buf + l->len + pad, s, n);
	l->len += pad + n;
	l->col += (int)(pad + n);
	l->pending = 0;
}

/* Write s (ASCII) in colour c. */
static inline void txt_line_put(struct txt_line *l, enum txt_color c, const char *s)
{
	txt_line_putn(l, c, s, strlen(s));
}
/* Write s so that it ends at column end_col, at least one space after the
 * text before it. */
void txt_line_put_right(struct txt_line *l, enum txt_color c, const char *s, int end_col);
/* End the line: returns its display width. */
int txt_line_end(struct txt_line *l);

/* The next line of wrapped text: from *p, as many pieces separated by brk
 * as fit in room columns, joined by single spaces, into out; a piece wider
 * than room is cut. Advances *p; false when nothing is left. */
bool txt_wrap_next(const char **p, char brk, int room, char *out, size_t len);
/* Print text over as many lines as needed to stay within width columns,
 * breaking only at the character brk (printed as a space). The first line is
 * indented by first_indent, the others by indent. A piece longer than a
 * whole line is cut, never let past width. */
void txt_wrap(FILE *f, const char *text, char brk, int first_indent, int indent, int width);

/* Display columns of UTF-8 text: East Asian wide characters count two. */
int txt_width(const char *s);
/* Print UTF-8 text wrapped to width columns: the first line indented by
 * indent and starting with mark, the others aligned under the text after
 * mark. Breaks at spaces, and between wide (CJK) characters. */
void txt_wrap_utf8(FILE *f, const char *text, int indent, const char *mark, int width);
/* The same with mark at the start of every line (comment lines). */
void txt_wrap_utf8_marked(FILE *f, const char *text, int indent, const char *mark, int width);
/* Bytes of the UTF-8 character at s (1 for ASCII), 0 when they are not one:
 * what may pass into a page or a diagram as it is. */
int txt_utf8_len(const char *s);

/* --pace: what is written so far goes out, then a pause of ms. */
void txt_pause(FILE *f, unsigned int ms);

#endif
