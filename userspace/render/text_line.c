/* Column-aware output lines and wrapping (text_line.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "bpf/synscope_event.h"
#include "render/text_line.h"

/* ---- colour and column-aware output ---- */

static const char *const sgr[] = {
	[TXT_PLAIN] = "",
	[TXT_SYN] = "\033[32m",
	[TXT_FIN] = "\033[33m",
	[TXT_RST] = "\033[1;31m",
	[TXT_RETRANS] = "\033[35m",
	[TXT_BOLD] = "\033[1m",
	[TXT_DIM] = "\033[2m",
};

enum txt_color txt_segment_color(unsigned int flags, bool retransmit)
{
	if (retransmit)
		return TXT_RETRANS;
	if (flags & SYN_TCP_RST)
		return TXT_RST;
	if (flags & SYN_TCP_SYN)
		return TXT_SYN;
	if (flags & SYN_TCP_FIN)
		return TXT_FIN;
	return TXT_PLAIN;
}

void txt_line_start(struct txt_line *l, FILE *f, bool color)
{
	l->f = f;
	l->color = color;
	l->col = 0;
	l->pending = 0;
	l->len = 0;
}

/* Out to the stream. synscope writes its output from one thread: stdio's
 * lock per call is not needed (a ladder row is several calls). */
static void line_flush(struct txt_line *l)
{
	fwrite_unlocked(l->buf, 1, l->len, l->f);
	l->len = 0;
}

/* Bytes into the line's buffer; what does not fit goes out first. */
static void line_write(struct txt_line *l, const char *s, size_t n)
{
	if (l->len + n > sizeof(l->buf)) {
		line_flush(l);
		if (n > sizeof(l->buf)) {
			fwrite_unlocked(s, 1, n, l->f);
			return;
		}
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_spaces(struct txt_line *l, int n)
{
	while (n > 0) {
		size_t k = (size_t)n;

		if (l->len == sizeof(l->buf))
			line_flush(l);
		if (k > sizeof(l->buf) - l->len)
			k = sizeof(l->buf) - l->len;
		memset(l->buf + l->len, ' ', k);
		l->len += k;
		n -= (int)k;
	}
}

void txt_line_pad_to(struct txt_line *l, int col)
{
	if (l->col + l->pending < col)
		l->pending = col - l->col;
}

void txt_line_gap_to(struct txt_line *l, int col)
{
	txt_line_pad_to(l, col);
	if (l->col > 0 && l->pending == 0)
		l->pending = 1;
}

void txt_line_putn_slow(struct txt_line *l, enum txt_color c, const char *s, size_t n)
{
	if (!n)
		return;
	line_spaces(l, l->pending);
	l->col += l->pending;
	l->pending = 0;
	if (l->color && c != TXT_PLAIN) {
		line_write(l, sgr[c], strlen(sgr[c]));
		line_write(l, s, n);
		line_write(l, "\033[0m", 4);
	} else {
		line_write(l, s, n);
	}
	l->col += (int)n;
}

void txt_line_put_right(struct txt_line *l, enum txt_color c, const char *s, int end_col)
{
	size_t n = strlen(s);

	txt_line_gap_to(l, end_col - (int)n);
	txt_line_putn(l, c, s, n);
}

int txt_line_end(struct txt_line *l)
{
	int width = l->col;

	line_write(l, "\n", 1);
	line_flush(l);
	l->col = 0;
	l->pending = 0;
	return width;
}

bool txt_wrap_next(const char **p, char brk, int room, char *out, size_t len)
{
	const char *s = *p;
	size_t used = 0;

	while (*s == brk)
		s++;
	if (!*s || len < 2)
		return false;
	if (room < 1)
		room = 1;
	if ((size_t)room >= len)
		room = (int)len - 1;
	{
		/* most text fits whole, its pieces one brk apart: one copy, each
		 * brk a space as the loop below would join them */
		size_t n = strlen(s);
		char twice[3] = { brk, brk, '\0' };

		if (n <= (size_t)room && s[n - 1] != brk && !strstr(s, twice)) {
			memcpy(out, s, n);
			out[n] = '\0';
			if (brk != ' ')
				for (char *q = strchr(out, brk); q; q = strchr(q + 1, brk))
					*q = ' ';
			*p = s + n;
			return true;
		}
	}
	while (*s) {
		const char *end = strchr(s, brk);
		size_t n = end ? (size_t)(end - s) : strlen(s);
		size_t need = n + (used ? 1 : 0);

		if (used + need > (size_t)room) {
			if (used)
				break;
			n = (size_t)room; /* one piece wider than a line: cut it */
			need = n;
		}
		if (used)
			out[used++] = ' ';
		memcpy(out + used, s, n);
		used += n;
		s += n;
		while (*s == brk)
			s++;
	}
	out[used] = '\0';
	*p = s;
	return true;
}

void txt_wrap(FILE *f, const char *text, char brk, int first_indent, int indent, int width)
{
	char chunk[512];
	int ind = first_indent;

	while (txt_wrap_next(&text, brk, width - ind, chunk, sizeof(chunk))) {
		struct txt_line l;

		txt_line_start(&l, f, false);
		txt_line_pad_to(&l, ind);
		txt_line_put(&l, TXT_PLAIN, chunk);
		txt_line_end(&l);
		ind = indent;
	}
}

/* ---- UTF-8 text (explanations in Chinese) ---- */

/* The code point at s and its byte length; invalid bytes count as one '?'. */
static unsigned int utf8_next(const char *s, int *nbytes)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*nbytes = 1;
		return u[0];
	}
	if ((u[0] & 0xe0) == 0xc0 && (u[1] & 0xc0) == 0x80) {
		*nbytes = 2;
		return (u[0] & 0x1fu) << 6 | (u[1] & 0x3fu);
	}
	if ((u[0] & 0xf0) == 0xe0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80) {
		*nbytes = 3;
		return (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 | (u[2] & 0x3fu);
	}
	if ((u[0] & 0xf8) == 0xf0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80 &&
	    (u[3] & 0xc0) == 0x80) {
		*nbytes = 4;
		return (u[0] & 0x07u) << 18 | (u[1] & 0x3fu) << 12 | (u[2] & 0x3fu) << 6 |
		       (u[3] & 0x3fu);
	}
	*nbytes = 1;
	return '?';
}

/* East Asian wide characters take two terminal columns. */
static int cp_width(unsigned int cp)
{
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

int txt_width(const char *s)
{
	int w = 0, nb;

	while (*s) {
		w += cp_width(utf8_next(s, &nb));
		s += nb;
	}
	return w;
}

static bool cp_in(unsigned int cp, const unsigned int *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == cp)
			return true;
	return false;
}

/* Kinsoku, the usual rule for Chinese and Japanese text: closing
 * punctuation never starts a line, an opening bracket never ends one. */
static bool no_line_start(unsigned int cp)
{
	static const unsigned int set[] = {
		0xff0c, 0x3002, 0x3001, 0xff1b, 0xff1a, 0xff01, 0xff1f, 0xff09, /* ，。、；：！？） */
		0x300d, 0x300f, 0x3011, 0x3015, 0x300b, 0x3009, 0xff3d, 0xff5d, /* 」』】〕》〉］｝ */
		0x2019, 0x201d, 0x2026, 0x2025, 0xff0e, 0x30fb, 0xff05,         /* ’”…‥．・％ */
		',', '.', ';', ':', '!', '?', ')', ']', '}', '%',
	};

	return cp_in(cp, set, sizeof(set) / sizeof(set[0]));
}

static bool no_line_end(unsigned int cp)
{
	static const unsigned int set[] = {
		0xff08, 0x300c, 0x300e, 0x3010, 0x3014, 0x300a, 0x3008, 0xff3b, /* （「『【〔《〈［ */
		0xff5b, 0x2018, 0x201c, '(', '[', '{',                          /* ｛‘“ */
	};

	return cp_in(cp, set, sizeof(set) / sizeof(set[0]));
}

/* May a line end between a and b? */
static bool may_break(unsigned int a, unsigned int b)
{
	return !no_line_end(a) && !no_line_start(b);
}

/* How many bytes of text go on a line of room columns: up to the last place
 * to break that fits (a space; either side of a wide character, kinsoku
 * kept), or all of it, or (one piece wider than the room) a cut. */
/* The same for text whose first room bytes are ASCII (English text, all of
 * it): a column a byte, a break only at a space; -1 when it is not. */
static long ascii_line_bytes(const char *text, int room)
{
	long last_space = -1, i;

	for (i = 0; i < room && text[i]; i++) {
		if ((unsigned char)text[i] >= 0x80)
			return -1;
		if (text[i] == ' ')
			last_space = i;
	}
	if (!text[i] || last_space <= 0)
		return i; /* all of it fits, or one piece wider than the room: cut */
	return last_space;
}

static size_t utf8_line_bytes(const char *text, int room)
{
	const char *p = text, *brk = NULL;
	unsigned int prev = 0;
	long ascii = ascii_line_bytes(text, room);
	int w = 0, nb;

	if (ascii >= 0)
		return (size_t)ascii;
	while (*p) {
		unsigned int cp = utf8_next(p, &nb);
		int cw = cp_width(cp);

		if (w + cw > room)
			break;
		if (cp == ' ')
			brk = p;
		else if (cw == 2 && p != text && may_break(prev, cp))
			brk = p;
		w += cw;
		p += nb;
		prev = cp;
		if (cw == 2 && *p && *p != ' ' && may_break(cp, utf8_next(p, &nb)))
			brk = p;
	}
	if (!*p || !brk || brk == text)
		brk = p; /* all of it fits, or one piece wider than the room: cut */
	return (size_t)(brk - text);
}

static void wrap_utf8(FILE *f, const char *text, int indent, const char *mark, int width,
		      bool every)
{
	int room = width - indent - txt_width(mark);
	bool first = true;

	if (room < 10)
		room = 10;
	while (*text == ' ')
		text++;
	while (*text) {
		size_t n = utf8_line_bytes(text, room);

		fprintf(f, "%*s%s%.*s\n", indent, "", first || every ? mark : "", (int)n, text);
		if (first && !every)
			indent += txt_width(mark);
		first = false;
		text += n;
		while (*text == ' ')
			text++;
	}
}

void txt_wrap_utf8(FILE *f, const char *text, int indent, const char *mark, int width)
{
	wrap_utf8(f, text, indent, mark, width, false);
}

void txt_wrap_utf8_marked(FILE *f, const char *text, int indent, const char *mark, int width)
{
	wrap_utf8(f, text, indent, mark, width, true);
}

int txt_utf8_len(const char *s)
{
	int nb;
	unsigned int cp = utf8_next(s, &nb);

	if ((unsigned char)s[0] < 0x80)
		return 1;
	/* not one ('?' for a bad byte), or a character written too long */
	if (nb == 1 || cp < 0x80 || (nb == 3 && cp < 0x800) || (nb == 4 && cp < 0x10000))
		return 0;
	return nb;
}

void txt_pause(FILE *f, unsigned int ms)
{
	struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000L };

	fflush(f);
	nanosleep(&pause, NULL);
}
