/* The tracker's bounds and clocks: how long it waits, remembers and holds,
 * and how many it keeps (docs/design.md, "Bounded memory"). */
#ifndef SYNSCOPE_TRACK_LIMITS_H
#define SYNSCOPE_TRACK_LIMITS_H

/* Linux keeps a timewait socket for TCP_TIMEWAIT_LEN: its 2MSL. */
#define TIME_WAIT_NS (60ull * 1000000000ull)

/* Memory stays bounded whatever the traffic: */
#define TRACKER_IDLE_NS (120ull * 1000000000ull) /* a connection without a live socket
						     * (half-open, SYN flood, remote-only)
						     * is shown after this long idle */
#define TRACKER_MAX_OPEN 65536   /* beyond this, the least recently active is shown early */
#define TRACKER_MAX_PENDING 65536 /* sockets seen before their connection */
/* A connection's rows go to the sinks in batches: all at once when it ends,
 * or, for a long one, the oldest once this many wait (keeping the last
 * TRACKER_LOOKAHEAD: what a row means can depend on the rows after it). */
#define TRACKER_BATCH_MAX 512
#define TRACKER_LOOKAHEAD 128
/* A connection past its handshake whose rows have waited this long without
 * a new one (on the source's clock) hands them all over: an idle keep-alive
 * connection holds none. What a row means depends only on rows a few
 * milliseconds after it (a SYN's answer, a segment's other sighting, a late
 * report), so nothing drawn changes. */
#define TRACKER_QUIET_NS (2ull * 1000000000ull)
/* A connection whose ends have all settled is handed over this much later
 * (on the source's clock): the last records of a freed socket (the drop of
 * the RST that closed it, the ACK of TIME-WAIT) come just after. */
#define TRACKER_GRACE_NS 1000000ull
/* Connections go to the sinks in the order they began (their numbers): one
 * that settled waits for the older ones still open, but at most this long
 * (on the source's clock) and while at most TRACKER_ORDER_HELD wait, so a
 * long-lived connection holds the others back only so much. */
#define TRACKER_ORDER_NS (5ull * 1000000000ull)
#define TRACKER_ORDER_HELD 64
/* A connection that ended is remembered by its tuple this long, and 2MSL
 * longer when an end was left in TIME-WAIT or FIN-WAIT-2 (finished.h). */
#define TRACKER_AFTERLIFE_NS (10ull * 1000000000ull)

#endif
