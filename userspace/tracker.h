/* The connection tracker: joins syscalls, states and segments into
 * connections, attributes each end to its process, infers the textbook
 * states the kernel does not report, and hands finished connections to the
 * sinks. It knows nothing of libbpf: unit tests feed it synthetic events. */
#ifndef SYNSCOPE_TRACKER_H
#define SYNSCOPE_TRACKER_H

#include "sink.h"

/* Linux keeps a timewait socket for TCP_TIMEWAIT_LEN: its 2MSL. */
#define TIME_WAIT_NS (60ull * 1000000000ull)

/* Memory stays bounded whatever the traffic: */
#define TRACKER_IDLE_NS (120ull * 1000000000ull) /* a connection without a live socket
						     * (half-open, SYN flood, remote-only)
						     * is shown after this long idle */
#define TRACKER_MAX_OPEN 65536   /* beyond this, the least recently active is shown early */
#define TRACKER_ROW_CAP 2048     /* past this, a connection keeps only its control rows */
#define TRACKER_MAX_PENDING 65536 /* sockets seen before their connection */

struct tracker;

struct tracker *tracker_new(struct syn_sink **sinks, int nsinks);
/* Take one event (from the kernel, a recording or a test). */
void tracker_on_event(struct tracker *t, const struct syn_event *e);
/* Tracing ended: render every connection still open, marked incomplete,
 * then call each sink's finish(). */
void tracker_finish(struct tracker *t);
void tracker_free(struct tracker *t);
const struct run_summary *tracker_summary(const struct tracker *t);

#endif
