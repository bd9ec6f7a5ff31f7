/* A connection's identity: the unordered pair of its two endpoints, the
 * same from either end's view, and the key the tracker finds it by. */
#ifndef SYNSCOPE_TRACK_TUPLE_H
#define SYNSCOPE_TRACK_TUPLE_H

#include <stdbool.h>
#include "track/conn.h"

/* Events made without a protocol (older recordings, tests) are TCP's. */
__u8 ev_proto(const struct syn_event *e);
/* Read off a packet (both ports named, 0 included) rather than a socket. */
bool from_packet(const struct syn_event *e);
/* Does e name both endpoints? */
bool tuple_full(const struct syn_event *e);
__u64 tuple_key(const struct syn_event *e);
__u64 ends_key(const struct conn_end end[2], __u8 proto);
/* Is end e's local endpoint? */
bool end_is_local_of(const struct conn_end *end, const struct syn_event *e);
/* Are these ends e's endpoints, either way round? */
bool ends_have_tuple(const struct conn_end end[2], __u8 proto, const struct syn_event *e);

#endif
