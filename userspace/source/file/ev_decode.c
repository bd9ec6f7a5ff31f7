/* Format 2's compact events, read back (ev_decode.h). The record, as
 * docs/recording.md has it byte by byte:
 *
 *   head     varint  A << 1 | two: the reference is the A-th event back (1: the
 *                    previous one; before the first event, events of zeros)
 *   B, split varints when two: words split.. are against the B-th event back
 *   time     varint  zigzag of (first 8 bytes - the previous event's), mod 2^64
 *   mask     varint  bit j: word n-1-j differs from its reference (not word 0)
 *   per word marked, from word 1 up: a byte mask, then each marked byte's XOR
 *
 * Every number is checked before it is used, and a record must be written
 * the one way the writer writes it: a zero where a change is said, a number
 * in more bytes than it needs, are damage, said as such. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "source/file/ev_decode.h"
#include "source/file/rec_format.h"

struct ev_decoder {
	__u32 size;       /* bytes of an event */
	__u32 words;      /* ... in words of 8, the last one maybe shorter */
	__u64 count;      /* events decoded */
	__u64 prev_time;  /* the previous event's first 8 bytes */
	__u8 *hist;       /* the last REC_HISTORY events: event i at i % REC_HISTORY */
};

struct ev_decoder *ev_decoder_new(__u32 event_size)
{
	struct ev_decoder *d;

	if (event_size < REC_WORD || event_size > 64 * REC_WORD)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->size = event_size;
	d->words = (event_size + REC_WORD - 1) / REC_WORD;
	d->hist = calloc(REC_HISTORY, event_size);
	if (!d->hist) {
		free(d);
		return NULL;
	}
	return d;
}

void ev_decoder_free(struct ev_decoder *d)
{
	if (!d)
		return;
	free(d->hist);
	free(d);
}

size_t ev_decoder_record_max(const struct ev_decoder *d)
{
	return REC_EVENT_CODED_MAX(d->size);
}

/* Where one record is read from, and what went wrong in it. */
struct cursor {
	const __u8 *p;
	size_t pos, avail;
	enum ev_decode_status st;
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3)))
static bool bad(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	c->st = EV_BAD;
	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return false;
}

static bool take_byte(struct cursor *c, __u8 *v)
{
	if (c->pos >= c->avail) {
		c->st = EV_CUT;
		return false;
	}
	*v = c->p[c->pos++];
	return true;
}

/* A varint of at most 64 bits, in as few bytes as it needs. */
static bool take_varint(struct cursor *c, __u64 *v)
{
	__u8 b = 0x80;

	*v = 0;
	for (int shift = 0; b & 0x80; shift += 7) {
		if (!take_byte(c, &b))
			return false;
		if (shift == 63 && b > 1)
			return bad(c, "a number of more than 64 bits");
		*v |= (__u64)(b & 0x7f) << shift;
		if (shift && b == 0)
			return bad(c, "a number in more bytes than it needs");
	}
	return true;
}

static const __u8 *history(const struct ev_decoder *d, __u64 back)
{
	return d->hist + (size_t)((d->count - back) % REC_HISTORY) * d->size;
}

/* The reference: one earlier event, or two (words from split on from the
 * second), copied into out. */
static bool take_reference(struct ev_decoder *d, struct cursor *c, __u8 *out)
{
	__u64 head, back, split;

	if (!take_varint(c, &head))
		return false;
	back = head >> 1;
	if (back < 1 || back > REC_HISTORY)
		return bad(c, "a reference %llu events back (1 to %u)",
			   (unsigned long long)back, REC_HISTORY);
	memcpy(out, history(d, back), d->size);
	if (!(head & 1))
		return true;
	if (!take_varint(c, &back) || !take_varint(c, &split))
		return false;
	if (back < 1 || back > REC_HISTORY)
		return bad(c, "a second reference %llu events back (1 to %u)",
			   (unsigned long long)back, REC_HISTORY);
	if (split < 1 || split >= d->words)
		return bad(c, "a split at word %llu (1 to %u)",
			   (unsigned long long)split, d->words - 1);
	memcpy(out + split * REC_WORD, history(d, back) + split * REC_WORD,
	       d->size - split * REC_WORD);
	return true;
}

/* The bytes of word w that differ: a byte mask, then each one's XOR. */
static bool take_word(const struct ev_decoder *d, struct cursor *c, __u8 *out, __u32 w)
{
	__u32 len = d->size - w * REC_WORD < REC_WORD ? d->size - w * REC_WORD : REC_WORD;
	__u8 mask, x;

	if (!take_byte(c, &mask))
		return false;
	if (!mask)
		return bad(c, "word %u said to differ, in no byte", w);
	if (mask >> len)
		return bad(c, "byte mask 0x%02x of word %u past the event's end", mask, w);
	for (__u32 b = 0; b < len; b++) {
		if (!(mask >> b & 1))
			continue;
		if (!take_byte(c, &x))
			return false;
		if (!x)
			return bad(c, "byte %u said to differ by zero", w * REC_WORD + b);
		out[w * REC_WORD + b] ^= x;
	}
	return true;
}

enum ev_decode_status ev_decode(struct ev_decoder *d, const __u8 *p, size_t avail, void *out,
				size_t *used, char *why, size_t whylen)
{
	struct cursor c = { .p = p, .avail = avail, .st = EV_DECODED, .why = why, .whylen = whylen };
	__u8 *ev = out;
	__u64 dt, mask, time;

	*used = 0;
	if (!take_reference(d, &c, ev) || !take_varint(&c, &dt) || !take_varint(&c, &mask))
		return c.st;
	time = d->prev_time + unzigzag(dt);
	put_u64(ev, time);
	if (mask >> (d->words - 1))
		return bad(&c, "word mask 0x%llx names words past the event's %u",
			   (unsigned long long)mask, d->words), c.st;
	for (__u32 w = 1; w < d->words; w++)
		if (mask >> (d->words - 1 - w) & 1 && !take_word(d, &c, ev, w))
			return c.st;
	memcpy(d->hist + (size_t)(d->count % REC_HISTORY) * d->size, ev, d->size);
	d->count++;
	d->prev_time = time;
	*used = c.pos;
	return EV_DECODED;
}
