/* The connection tracker: joins syscalls, states and segments into
 * connections, attributes each end to its process, infers the textbook
 * states the kernel does not report, and hands each connection's rows and
 * its story to the sinks. It knows nothing of libbpf: unit tests feed it
 * synthetic events. */
#ifndef SYNSCOPE_TRACKER_H
#define SYNSCOPE_TRACKER_H

#include "track/conn_facts.h"
#include "track/limits.h"
#include "track/sink.h"

struct tracker_opts {
	bool all_rows;       /* -v: stories keep every row (fold.h) */
	struct conn_select select; /* which finished connections go to conn_done() */
};

struct tracker;

/* o may be NULL: the defaults. */
struct tracker *tracker_new(struct syn_sink **sinks, int nsinks, const struct tracker_opts *o);
/* Take one event (from the kernel, a recording or a test). */
void tracker_on_event(struct tracker *t, const struct syn_event *e);
/* Tracing ended: hand over every connection still open, marked incomplete,
 * then call each sink's finish(). */
void tracker_finish(struct tracker *t);
void tracker_free(struct tracker *t);
const struct run_summary *tracker_summary(const struct tracker *t);
/* While tracing goes on (SIGUSR1): each sink's report() with the summary so far. */
void tracker_report(struct tracker *t);

#endif
