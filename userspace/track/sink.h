/* A sink consumes the tracker's output: live events and finished connections. */
#ifndef SYNSCOPE_SINK_H
#define SYNSCOPE_SINK_H

#include <stdio.h>
#include "track/conn.h"
#include "track/halfopen.h"

struct run_summary {
	__u64 events;        /* events decoded */
	__u64 lost;          /* events the kernel could not reserve */
	__u64 conns;         /* connections rendered */
	__u64 incomplete;    /* of those, still open when tracing ended (or evicted) */
	__u64 evicted;       /* of those, shown early to bound memory (tracker.h) */
	__u64 continued;     /* late rows of connections already shown (their TIME-WAIT's
			      * traffic, a late reset), shown as "continued" */
	__u64 unselected;    /* connections that ended and were not chosen (--slower,
			      * --rst, --comm): counted above, not shown */
	__u64 open;          /* connections open now (a report while tracing goes on) */
	__u64 unshown;       /* segments of traced senders seen only arriving: their
			      * departure never reached synscope (docs/reliability.md) */
	const struct halfopen *halfopen; /* a flood's half-open connections, by port */
};

/* event()'s end for an event shown as it happens but placed in its
 * connection only later (an accept() entry: its connection is known when it
 * returns; socket(), bind(), a connect() before its port: when their socket
 * names its peer): rows() will have it. */
#define SINK_END_LATER (-2)
/* event()'s end, conn NULL, for an event shown before with SINK_END_LATER
 * that turned out to belong to no connection (a listener's socket() and
 * bind()): a sink that writes the events outside connections writes it now;
 * one that printed it when it was shown does not print it again. */
#define SINK_END_SHOWN (-3)

struct syn_sink {
	/* Every event as it is decoded. conn is NULL for events outside any
	 * connection (listen(), a listener's states, lost counts, and with end
	 * SINK_END_LATER or SINK_END_SHOWN the events above); end is the lane. */
	void (*event)(struct syn_sink *s, const struct syn_event *e,
		      const struct conn *conn, int end);
	/* Rows of conn, every one (none folded), a batch at a time in time order:
	 * lanes, states after each row and marks final; a pair index points into
	 * the same batch (the tracker never splits a pair between batches). A
	 * short connection comes in one batch when it ends, a long one while it
	 * lasts, an established one that went quiet when it did (limits.h).
	 * conn->more_batches says whether more may come; a connection whose
	 * batches said so gets a last call with it false, of no rows (n 0)
	 * when everything went out before. */
	void (*rows)(struct syn_sink *s, const struct conn *conn, const struct conn_row *rows,
		     size_t n);
	/* A connection ended (or tracing did): its story, conn->rows with runs of
	 * ordinary data folded into summary rows. */
	void (*conn_done)(struct syn_sink *s, const struct conn *conn);
	/* Tracing ended: print a summary, flush. */
	void (*finish)(struct syn_sink *s, const struct run_summary *sum);
	void (*destroy)(struct syn_sink *s);
	/* Optional. The source's clock moved (a tick: every event before now_ns
	 * has come): what refreshes on time does it here. */
	void (*clock)(struct syn_sink *s, __u64 now_ns);
	/* Optional. Asked while tracing goes on (SIGUSR1): say what is known
	 * so far, without stopping. */
	void (*report)(struct syn_sink *s, const struct run_summary *sum);
	/* conn_done() for every connection, also the half-open ones a flood's
	 * summary counts instead of drawing (halfopen.h): the views that count. */
	bool every_conn;
};

#endif
