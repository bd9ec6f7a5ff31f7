/* Format 2's compact events (docs/recording.md), read back: each event is
 * one or two earlier events (the reader keeps the last REC_HISTORY) with
 * the bytes that differ. It knows nothing of the event's fields but that
 * its first 8 bytes are a time, so any event ABI decodes the same way. */
#ifndef SYNSCOPE_EV_DECODE_H
#define SYNSCOPE_EV_DECODE_H

#include <stddef.h>
#include <linux/types.h>

struct ev_decoder;

enum ev_decode_status {
	EV_DECODED,  /* the event is in out, *used bytes taken */
	EV_CUT,      /* the bytes given stop inside the record */
	EV_BAD,      /* not a valid event record: why says what */
};

/* For events of event_size bytes (8 to 512: a word mask has 64 bits).
 * NULL when out of memory or another size. */
struct ev_decoder *ev_decoder_new(__u32 event_size);
void ev_decoder_free(struct ev_decoder *d);
/* The most bytes one event record can take. */
size_t ev_decoder_record_max(const struct ev_decoder *d);
/* One event record from p[0 .. avail): the event into out (event_size
 * bytes). Only a decoded event is kept as the next one's history. */
enum ev_decode_status ev_decode(struct ev_decoder *d, const __u8 *p, size_t avail, void *out,
				size_t *used, char *why, size_t whylen);

#endif
