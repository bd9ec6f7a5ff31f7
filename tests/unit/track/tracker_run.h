/* A tracker over a keep sink, for the tracker tests that feed it hand-made
 * streams: feed events, move the source's clock, read a lane's states. */
#ifndef SYNSCOPE_TEST_TRACKER_RUN_H
#define SYNSCOPE_TEST_TRACKER_RUN_H

#include <stdio.h>
#include <string.h>
#include "events.h"
#include "base/names.h"
#include "track/tracker.h"

struct run {
	struct keep_sink k;
	struct syn_sink *sinks[1];
	struct tracker *t;
};

static inline void run_new(struct run *r)
{
	keep_init(&r->k);
	r->sinks[0] = &r->k.s;
	r->t = tracker_new(r->sinks, 1, NULL);
}

static inline void feed(struct run *r, const struct syn_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tracker_on_event(r->t, &ev[i]);
}

/* The source's clock says everything up to ts has come. */
static inline void tick(struct run *r, __u64 ts)
{
	struct syn_event e;

	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_TICK;
	e.ts_ns = ts;
	tracker_on_event(r->t, &e);
}

static inline void run_free(struct run *r)
{
	tracker_free(r->t);
	keep_free(&r->k);
}

/* "CLOSE>SYN_SENT ..." of one lane, inferred ones ending in '*'. */
static inline const char *lane_states(const struct conn *c, int end, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];

		if (r->end != end || r->ev.kind != SYN_EV_STATE)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s>%s%s", used ? " " : "",
					 tcp_state_name(r->ev.state.oldstate),
					 tcp_state_name(r->ev.state.newstate),
					 r->marks & ROW_INFERRED ? "*" : "");
	}
	return buf;
}

#endif
