/* Format 2's compact events (docs/recording.md), written: each event as
 * the bytes that differ from one or two of the last REC_HISTORY events.
 * Which earlier events are worth comparing with (the same socket's, the
 * same kind's) is the encoder's guess, made from the event's fields; the
 * file only says which were taken, so the reader needs no such knowledge,
 * and a change of the event ABI needs none here either: a guess that is
 * no longer good costs bytes, never correctness. */
#ifndef SYNSCOPE_EV_ENCODE_H
#define SYNSCOPE_EV_ENCODE_H

#include <stddef.h>
#include "bpf/synscope_event.h"
#include "source/file/rec_format.h"

/* The most bytes ev_encode() writes. */
#define EV_ENCODED_MAX REC_EVENT_CODED_MAX(sizeof(struct syn_event))

struct ev_encoder;

struct ev_encoder *ev_encoder_new(void);
void ev_encoder_free(struct ev_encoder *enc);
/* e's record into out (room for EV_ENCODED_MAX): its length. */
size_t ev_encode(struct ev_encoder *enc, const struct syn_event *e, __u8 *out);

#endif
