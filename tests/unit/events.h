/* Builders of synthetic syn_event records for unit tests, and a sink that
 * keeps what the tracker gave it. Modelled on a real loopback trace. */
#ifndef SYNSCOPE_TEST_EVENTS_H
#define SYNSCOPE_TEST_EVENTS_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "track/conn.h"
#include "track/sink.h"

struct ep {
	const char *addr; /* "127.0.0.1" or "::1" */
	__u16 port;
};

static inline void ev_addr(__u8 out[16], __u8 *family, const char *a)
{
	memset(out, 0, 16);
	if (strchr(a, ':')) {
		*family = 10;
		inet_pton(AF_INET6, a, out);
	} else {
		*family = 2;
		inet_pton(AF_INET, a, out);
	}
}

static inline struct syn_event ev_base(__u8 kind, __u64 ts, __u64 sid, struct ep local,
				       struct ep remote, __u32 pid, const char *comm)
{
	struct syn_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.ts_ns = ts;
	e.sock_id = sid;
	e.netns = 4026531840u;
	e.pid = pid;
	e.tid = pid;
	ev_addr(e.saddr, &e.family, local.addr);
	ev_addr(e.daddr, &e.family, remote.addr);
	e.sport = local.port;
	e.dport = remote.port;
	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	return e;
}

static inline struct syn_event ev_call(__u64 ts, __u64 sid, struct ep local, struct ep remote,
				       __u32 pid, const char *comm, __u8 call, __u8 phase,
				       int fd, long long ret)
{
	struct syn_event e = ev_base(SYN_EV_SYSCALL, ts, sid, local, remote, pid, comm);

	e.sys.call = call;
	e.sys.phase = phase;
	e.sys.fd = fd;
	e.sys.ret = ret;
	e.sys.new_fd = (call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4) && phase && ret >= 0
			       ? (int)ret : -1;
	return e;
}

static inline struct syn_event ev_state(__u64 ts, __u64 sid, struct ep local, struct ep remote,
					__u8 from, __u8 to)
{
	/* softirq context: the pid is whatever ran, never the owner */
	struct syn_event e = ev_base(SYN_EV_STATE, ts, sid, local, remote, 0, "swapper/1");

	e.state.oldstate = from;
	e.state.newstate = to;
	return e;
}

static inline struct syn_event ev_seg(__u64 ts, __u64 sid, struct ep local, struct ep remote,
				      __u8 dir, __u8 flags, __u32 seq, __u32 ack, __u32 len)
{
	struct syn_event e = ev_base(SYN_EV_SEGMENT, ts, sid, local, remote, 0, "ksoftirqd/0");

	e.seg.dir = dir;
	e.seg.flags = flags;
	e.seg.seq = seq;
	e.seg.ack = ack;
	e.seg.len = len;
	e.seg.win = 64;
	if (flags & SYN_TCP_SYN) {
		e.seg.win = 65495;
		e.seg.opts = SYN_OPT_MSS | SYN_OPT_WSCALE | SYN_OPT_SACK_PERM | SYN_OPT_TS;
		e.seg.mss = 65495;
		e.seg.wscale = 10;
	}
	return e;
}

static inline struct syn_event ev_kind(__u8 kind, __u64 ts, __u64 sid, struct ep local,
				       struct ep remote)
{
	return ev_base(kind, ts, sid, local, remote, 0, "swapper/0");
}

/* A sink that copies every finished connection's story, counts live
 * events and the rows handed over (every one, in batches). */
struct keep_sink {
	struct syn_sink s;
	struct conn conns[64];
	struct conn_facts facts[64]; /* conns[i].facts points here */
	int nconns;
	int events, unattached, later; /* later: shown now, placed in a connection when known */
	struct syn_event unattached_ev[64];
	bool finished;
	struct run_summary summary; /* finish()'s */
	size_t rows, batches;      /* rows() calls: rows in all */
	size_t batches_said_more;  /* ... of them with conn->more_batches */
	bool last_said_more;       /* the last rows() call's more_batches */
	size_t seg_rows;           /* ... of which segments */
	__u64 last_rows_ts;        /* rows come in time order within a connection */
	bool rows_out_of_order;
};

static inline void keep_rows(struct syn_sink *s, const struct conn *c,
			     const struct conn_row *rows, size_t n)
{
	struct keep_sink *k = (struct keep_sink *)s;

	k->batches++;
	k->batches_said_more += c->more_batches;
	k->last_said_more = c->more_batches;
	for (size_t i = 0; i < n; i++) {
		k->rows++;
		k->seg_rows += rows[i].ev.kind == SYN_EV_SEGMENT;
		if (i && rows[i].ev.ts_ns < rows[i - 1].ev.ts_ns)
			k->rows_out_of_order = true;
	}
}

static inline void keep_event(struct syn_sink *s, const struct syn_event *e,
			      const struct conn *c, int end)
{
	struct keep_sink *k = (struct keep_sink *)s;

	k->events++;
	if (!c && end == SINK_END_LATER)
		k->later++;
	else if (!c && k->unattached < 64)
		k->unattached_ev[k->unattached++] = *e;
}

static inline void keep_conn(struct syn_sink *s, const struct conn *c)
{
	struct keep_sink *k = (struct keep_sink *)s;
	struct conn *copy;

	if (k->nconns == 64)
		return;
	copy = &k->conns[k->nconns];
	*copy = *c;
	if (c->facts) { /* the tracker's goes with the connection */
		k->facts[k->nconns] = *c->facts;
		copy->facts = &k->facts[k->nconns];
	}
	k->nconns++;
	/* a story with no summary row (or no row) has NULL there: memcpy()
	 * may not be given NULL, even for 0 bytes (UBSan says so) */
	copy->rows = malloc(c->nrows * sizeof(*c->rows) + 1);
	if (c->nrows)
		memcpy(copy->rows, c->rows, c->nrows * sizeof(*c->rows));
	copy->sums = malloc(c->nsums * sizeof(*c->sums) + 1);
	if (c->nsums)
		memcpy(copy->sums, c->sums, c->nsums * sizeof(*c->sums));
}

static inline void keep_finish(struct syn_sink *s, const struct run_summary *sum)
{
	((struct keep_sink *)s)->finished = true;
	((struct keep_sink *)s)->summary = *sum;
}

static inline void keep_init(struct keep_sink *k)
{
	memset(k, 0, sizeof(*k));
	k->s.event = keep_event;
	k->s.rows = keep_rows;
	k->s.conn_done = keep_conn;
	k->s.finish = keep_finish;
}

static inline void keep_free(struct keep_sink *k)
{
	for (int i = 0; i < k->nconns; i++) {
		free(k->conns[i].rows);
		free(k->conns[i].sums);
	}
}

#endif
