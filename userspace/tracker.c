/*
 * Connection tracker.
 *
 * Identity: a connection is the unordered pair of its two endpoints. Events
 * that carry the full 4-tuple find it by tuple; events that do not (connect()
 * before the port is chosen, a socket already unhashed on its way out) find
 * it by sock_id, the socket's identity that the kernel side put on its
 * syscalls, states and transmitted segments. Events of a socket seen before
 * its tuple wait in a pending list until an event binds the socket.
 *
 * Attribution: an end belongs to the process that connect()ed or accept()ed
 * it; before accept() returns, the server end is credited to the listening
 * process. Packets and softirq state changes carry whatever task the CPU
 * happened to run, so their pid is never used.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "hmap.h"
#include "tracker.h"

#define PENDING_MAX 64      /* events kept for one socket before it has a tuple */
#define PAIR_WINDOW 256     /* rows searched for the other end of a segment */

/* How sure we are who owns an end. */
enum attribution {
	ATTR_NONE = 0,
	ATTR_LISTENER = 1, /* the process listening on the server's port */
	ATTR_SYSCALL = 2,  /* the process that connected or accepted it */
};

struct tconn {
	struct conn c;          /* what the sinks see: first member */
	__u64 key;              /* key in by_tuple, 0 when not indexed */
	enum attribution attr[2];
	bool syn_seen[2];       /* end i sent a SYN */
	__u32 isn[2];           /* ... with this initial sequence number */
	int in_call;            /* socket calls entered and not yet returned */
	bool sockless_rst[2];   /* end i answered with a reset and has no socket */
	__u64 last_ts;          /* its latest event: the open list is kept by this */
	struct tconn *prev, *next; /* the list of open connections, most recent first */
};

struct pending {
	struct syn_event *evs;
	size_t n, cap;
};

struct listener {
	__u32 pid;
	char comm[SYN_COMM_LEN];
};

struct tracker {
	struct syn_sink **sinks;
	int nsinks;
	struct hmap by_tuple;   /* tuple key -> tconn */
	struct hmap by_sock;    /* sock_id -> tconn */
	struct hmap pending;    /* sock_id -> pending: events before the tuple */
	struct hmap accepts;    /* netns:tid -> syn_event: accept() entered, not returned */
	struct hmap listeners;  /* netns:port -> listener */
	struct tconn *open;     /* open connections, most recently active first */
	struct tconn *oldest;   /* ... and its other end */
	size_t nopen, npending;
	__u64 next_id;
	struct run_summary sum;
};

/* ---- endpoints and keys ------------------------------------------------ */

/* The first segment of a handshake: SYN without ACK. */
static bool ev_is_syn(const struct syn_event *e)
{
	return e->kind == SYN_EV_SEGMENT &&
	       (e->seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == SYN_TCP_SYN;
}

/* Its answer: SYN with ACK. */
static bool ev_is_synack(const struct syn_event *e)
{
	return e->kind == SYN_EV_SEGMENT &&
	       (e->seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == (SYN_TCP_SYN | SYN_TCP_ACK);
}

/* Events made without a protocol (older recordings, tests) are TCP's. */
static __u8 ev_proto(const struct syn_event *e)
{
	return e->proto ? e->proto : IPPROTO_TCP;
}

static bool tuple_full(const struct syn_event *e)
{
	return e->family && e->sport && e->dport;
}

static int endpoint_cmp(const __u8 a[16], __u16 ap, const __u8 b[16], __u16 bp)
{
	int r = memcmp(a, b, 16);

	return r ? r : (int)ap - (int)bp;
}

/* The same key from either end's view of the connection. Every event
 * computes one: eight bytes at a time, not a byte-wise hash. */
static __u64 tuple_key(const struct syn_event *e)
{
	const __u8 *lo = e->saddr, *hi = e->daddr;
	__u16 lop = e->sport, hip = e->dport;
	__u64 w[4], h;

	if (endpoint_cmp(lo, lop, hi, hip) > 0) {
		lo = e->daddr, hi = e->saddr;
		lop = e->dport, hip = e->sport;
	}
	memcpy(w, lo, 16);
	memcpy(w + 2, hi, 16);
	h = (__u64)e->family | (__u64)ev_proto(e) << 8 | (__u64)lop << 16 | (__u64)hip << 32;
	for (int i = 0; i < 4; i++)
		h = hmap_mix(h ^ w[i]) + (__u64)i;
	return h ? h : 1;
}

static bool end_is_local_of(const struct conn_end *end, const struct syn_event *e)
{
	return end->family == e->family && end->port == e->sport &&
	       memcmp(end->addr, e->saddr, 16) == 0;
}

static bool conn_has_tuple(const struct tconn *tc, const struct syn_event *e)
{
	const struct conn_end *a = &tc->c.end[0], *b = &tc->c.end[1];

	if (a->family != e->family || tc->c.proto != ev_proto(e))
		return false;
	return (end_is_local_of(a, e) && b->port == e->dport && !memcmp(b->addr, e->daddr, 16)) ||
	       (end_is_local_of(b, e) && a->port == e->dport && !memcmp(a->addr, e->daddr, 16));
}

/* The lane an event happened on. */
static int end_of(const struct tconn *tc, const struct syn_event *e)
{
	if (e->sock_id) {
		for (int i = 0; i < 2; i++)
			if (tc->c.end[i].sock_id == e->sock_id)
				return i;
	}
	if (e->sport && end_is_local_of(&tc->c.end[1], e) && !end_is_local_of(&tc->c.end[0], e))
		return 1;
	return 0;
}

/* A thread in accept(): thread ids are per host, namespaces tell hosts
 * apart when synscope merge joins two. */
static __u64 accept_key(const struct syn_event *e)
{
	return ((__u64)e->netns << 32 | e->tid) + 1;
}

static __u64 listener_key(__u32 netns, __u16 port)
{
	return ((__u64)netns << 16 | port) + 1;
}

/* ---- connections ------------------------------------------------------- */

static struct tconn *conn_new(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = calloc(1, sizeof(*tc));

	if (!tc)
		return NULL;
	tc->c.id = ++t->next_id;
	tc->c.proto = ev_proto(e);
	for (int i = 0; i < 2; i++) {
		struct conn_end *end = &tc->c.end[i];

		end->family = e->family;
		memcpy(end->addr, i ? e->daddr : e->saddr, 16);
		end->port = i ? e->dport : e->sport;
	}
	tc->c.end[0].netns = e->netns;
	tc->key = tuple_key(e);
	if (hmap_get(&t->by_tuple, tc->key) || hmap_put(&t->by_tuple, tc->key, tc))
		tc->key = 0; /* a key collision: found through its sockets only */
	tc->last_ts = e->ts_ns;
	tc->next = t->open;
	if (t->open)
		t->open->prev = tc;
	else
		t->oldest = tc;
	t->open = tc;
	t->nopen++;
	return tc;
}

/* An event for tc: it becomes the most recently active. */
static void conn_touch(struct tracker *t, struct tconn *tc, __u64 ts)
{
	if (ts > tc->last_ts)
		tc->last_ts = ts;
	if (t->open == tc)
		return;
	/* unlink ... */
	tc->prev->next = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	else
		t->oldest = tc->prev;
	/* ... and put first */
	tc->prev = NULL;
	tc->next = t->open;
	t->open->prev = tc;
	t->open = tc;
}

static void conn_unlink(struct tracker *t, struct tconn *tc)
{
	if (tc->key && hmap_get(&t->by_tuple, tc->key) == tc)
		hmap_del(&t->by_tuple, tc->key);
	for (int i = 0; i < 2; i++) {
		__u64 sid = tc->c.end[i].sock_id;

		if (sid && hmap_get(&t->by_sock, sid) == tc)
			hmap_del(&t->by_sock, sid);
	}
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		t->open = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	else
		t->oldest = tc->prev;
	t->nopen--;
}

/* Rows a long connection can lose without losing its story: data and the
 * calls that move it. Handshake, teardown, resets, states stay. */
static bool row_is_bulk(const struct syn_event *e)
{
	if (e->kind == SYN_EV_SEGMENT)
		return !(e->seg.flags & (SYN_TCP_SYN | SYN_TCP_FIN | SYN_TCP_RST));
	if (e->kind == SYN_EV_SYSCALL)
		return e->sys.call >= SYN_CALL_READ && e->sys.call <= SYN_CALL_SENDMSG;
	return e->kind == SYN_EV_RETRANSMIT;
}

static void conn_add_row(struct tconn *tc, const struct syn_event *e, int end, __u8 marks)
{
	struct conn *c = &tc->c;
	struct conn_row *r;

	if (c->nrows >= TRACKER_ROW_CAP && row_is_bulk(e)) {
		c->elided++;
		return;
	}
	if (c->nrows == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct conn_row *rows = realloc(c->rows, cap * sizeof(*rows));

		if (!rows)
			return; /* keep what we have: the ladder shows it */
		c->rows = rows;
		c->cap = cap;
	}
	r = &c->rows[c->nrows++];
	memset(r, 0, sizeof(*r));
	r->ev = *e;
	r->end = (__u8)end;
	r->marks = marks;
	r->pair = -1;
}

static void set_role(struct tconn *tc, int end, enum conn_role role)
{
	struct conn_end *e = &tc->c.end[end], *o = &tc->c.end[!end];

	if (e->role == ROLE_UNKNOWN)
		e->role = role;
	if (o->role == ROLE_UNKNOWN)
		o->role = role == ROLE_CLIENT ? ROLE_SERVER : ROLE_CLIENT;
}

static void attribute(struct tconn *tc, int end, __u32 pid, const char *comm,
		      enum attribution how)
{
	struct conn_end *e = &tc->c.end[end];

	if (tc->attr[end] >= how)
		return;
	tc->attr[end] = how;
	e->pid = pid;
	memcpy(e->comm, comm, SYN_COMM_LEN);
}

/* Before accept(), the server end belongs to whoever listens on its port. */
static void attribute_listener(struct tracker *t, struct tconn *tc, int end)
{
	struct conn_end *e = &tc->c.end[end];
	struct listener *l;

	if (tc->attr[end] != ATTR_NONE || e->role == ROLE_CLIENT)
		return;
	l = hmap_get(&t->listeners, listener_key(e->netns, e->port));
	if (l)
		attribute(tc, end, l->pid, l->comm, ATTR_LISTENER);
}

/* Roles and owners from one event on an end. */
static void learn(struct tracker *t, struct tconn *tc, int end, const struct syn_event *e)
{
	struct conn_end *ce = &tc->c.end[end];

	ce->traced = true;
	if (!ce->netns)
		ce->netns = e->netns;
	switch (e->kind) {
	case SYN_EV_SYSCALL:
		if (e->sys.phase == SYN_PHASE_ENTRY)
			tc->in_call++;
		else if (tc->in_call > 0)
			tc->in_call--;
		if (e->sys.call == SYN_CALL_CONNECT)
			set_role(tc, end, ROLE_CLIENT);
		if (e->sys.call == SYN_CALL_ACCEPT || e->sys.call == SYN_CALL_ACCEPT4)
			set_role(tc, end, ROLE_SERVER);
		if (e->sys.call != SYN_CALL_LISTEN)
			attribute(tc, end, e->pid, e->comm, ATTR_SYSCALL);
		break;
	case SYN_EV_STATE:
		if (e->state.newstate == ST_SYN_SENT)
			set_role(tc, end, ROLE_CLIENT);
		if (e->state.oldstate == ST_LISTEN)
			set_role(tc, end, ROLE_SERVER);
		break;
	case SYN_EV_SEGMENT:
		if (tc->c.proto == IPPROTO_UDP) {
			/* no handshake: whoever sent the first datagram is the client */
			set_role(tc, e->seg.dir == SYN_DIR_TX ? end : !end, ROLE_CLIENT);
			break;
		}
		if (e->seg.dir == SYN_DIR_TX && (e->seg.flags & SYN_TCP_RST) && !ce->sock_id)
			tc->sockless_rst[end] = true;
		if (e->seg.flags & SYN_TCP_SYN) {
			int sender = e->seg.dir == SYN_DIR_TX ? end : !end;

			if (ev_is_syn(e))
				set_role(tc, sender, ROLE_CLIENT);
			tc->syn_seen[sender] = true;
			tc->isn[sender] = e->seg.seq;
		}
		break;
	}
	attribute_listener(t, tc, end);
	attribute_listener(t, tc, !end);
}

static void bind_sock(struct tracker *t, struct tconn *tc, int end, __u64 sid);

static void conn_add_event(struct tracker *t, struct tconn *tc, int end,
			   const struct syn_event *e)
{
	if (e->sock_id && !tc->c.end[end].sock_id && e->kind != SYN_EV_RESET)
		bind_sock(t, tc, end, e->sock_id);
	conn_touch(t, tc, e->ts_ns);
	conn_add_row(tc, e, end, 0);
	learn(t, tc, end, e);
	if (e->kind == SYN_EV_DESTROY)
		tc->c.end[end].destroyed = true;
	/* a UDP socket has no destroy tracepoint: its last close() ends it */
	if (tc->c.proto == IPPROTO_UDP && e->kind == SYN_EV_SYSCALL &&
	    e->sys.call == SYN_CALL_CLOSE && e->sys.phase == SYN_PHASE_ENTRY && e->sys.last_ref)
		tc->c.end[end].destroyed = true;
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->event)
			t->sinks[i]->event(t->sinks[i], e, &tc->c, end);
}

/* The socket now has its connection: move the events it had before. */
static void bind_sock(struct tracker *t, struct tconn *tc, int end, __u64 sid)
{
	struct pending *p = hmap_del(&t->pending, sid);

	tc->c.end[end].sock_id = sid;
	hmap_put(&t->by_sock, sid, tc);
	if (!p)
		return;
	t->npending--;
	for (size_t i = 0; i < p->n; i++)
		conn_add_event(t, tc, end, &p->evs[i]);
	free(p->evs);
	free(p);
}

/* ---- finishing: order, pairs, retransmissions, inferred states ---------- */

static void sort_rows(struct conn *c)
{
	/* rows arrive almost in time order: insertion sort is linear then, and stable */
	for (size_t i = 1; i < c->nrows; i++) {
		struct conn_row r = c->rows[i];
		size_t j = i;

		while (j > 0 && c->rows[j - 1].ev.ts_ns > r.ev.ts_ns) {
			c->rows[j] = c->rows[j - 1];
			j--;
		}
		c->rows[j] = r;
	}
}

/* Put the client in end[0]: the ladder's left lane. */
static void order_ends(struct tconn *tc)
{
	struct conn *c = &tc->c;
	bool swap;

	if (c->end[0].role == ROLE_UNKNOWN && c->end[1].role == ROLE_UNKNOWN) {
		/* nothing told us: the lower port is more likely the service */
		swap = c->end[0].port < c->end[1].port;
	} else {
		swap = c->end[0].role == ROLE_SERVER || c->end[1].role == ROLE_CLIENT;
	}
	if (!swap)
		return;
	struct conn_end e = c->end[0];
	enum attribution a = tc->attr[0];
	bool s = tc->syn_seen[0];
	__u32 isn = tc->isn[0];

	c->end[0] = c->end[1];
	c->end[1] = e;
	tc->attr[0] = tc->attr[1];
	tc->attr[1] = a;
	tc->syn_seen[0] = tc->syn_seen[1];
	tc->syn_seen[1] = s;
	tc->isn[0] = tc->isn[1];
	tc->isn[1] = isn;
	for (size_t i = 0; i < c->nrows; i++)
		c->rows[i].end = !c->rows[i].end;
}

static bool same_segment(const struct syn_segment *a, const struct syn_segment *b)
{
	return a->seq == b->seq && a->ack == b->ack && a->flags == b->flags && a->len == b->len;
}

static bool is_seg(const struct conn_row *r, int dir)
{
	return r->ev.kind == SYN_EV_SEGMENT && r->ev.seg.dir == dir;
}

/* Join each received segment to its transmission at the other end. */
static void pair_segments(struct conn *c)
{
	for (size_t i = 0; i < c->nrows; i++) {
		struct conn_row *rx = &c->rows[i];
		size_t lo = i > PAIR_WINDOW ? i - PAIR_WINDOW : 0;
		size_t hi = i + PAIR_WINDOW < c->nrows ? i + PAIR_WINDOW : c->nrows;
		long best = -1;

		if (!is_seg(rx, SYN_DIR_RX))
			continue;
		/* the nearest earlier transmission first, a later one if the two
		 * ends' events came out of order */
		for (size_t j = i; j-- > lo;) {
			struct conn_row *tx = &c->rows[j];

			if (is_seg(tx, SYN_DIR_TX) && tx->end != rx->end && tx->pair < 0 &&
			    same_segment(&tx->ev.seg, &rx->ev.seg)) {
				best = (long)j;
				break;
			}
		}
		for (size_t j = i + 1; best < 0 && j < hi; j++) {
			struct conn_row *tx = &c->rows[j];

			if (is_seg(tx, SYN_DIR_TX) && tx->end != rx->end && tx->pair < 0 &&
			    same_segment(&tx->ev.seg, &rx->ev.seg))
				best = (long)j;
		}
		if (best >= 0) {
			rx->pair = (__s32)best;
			c->rows[best].pair = (__s32)i;
		}
	}
}

static __u32 seq_space(const struct syn_segment *s)
{
	return s->len + !!(s->flags & SYN_TCP_SYN) + !!(s->flags & SYN_TCP_FIN);
}

/* A segment that resends sequence space its sender already sent is a
 * retransmission, whatever triggered it (timer, fast retransmit, probe). */
static void mark_retransmissions(struct conn *c)
{
	for (int sender = 0; sender < 2; sender++) {
		bool have_tx = false, started = false, synack_sent = false;
		__u32 next = 0;

		for (size_t i = 0; i < c->nrows; i++)
			if (c->rows[i].end == sender && is_seg(&c->rows[i], SYN_DIR_TX))
				have_tx = true;
		for (size_t i = 0; i < c->nrows; i++) {
			struct conn_row *r = &c->rows[i];
			/* the sender's own transmissions, or what its peer received
			 * when the sender is not on this host */
			bool from_sender = have_tx ? (r->end == sender && is_seg(r, SYN_DIR_TX))
						   : (r->end != sender && is_seg(r, SYN_DIR_RX));
			__u32 space;

			if (!from_sender || (r->ev.seg.flags & SYN_TCP_RST))
				continue;
			space = seq_space(&r->ev.seg);
			if (!space)
				continue;
			/* a simultaneous open's SYN-ACK repeats its own SYN on purpose */
			if (started && ev_is_synack(&r->ev) && !synack_sent && r->ev.seg.seq + 1 == next) {
				synack_sent = true;
				continue;
			}
			if (ev_is_synack(&r->ev))
				synack_sent = true;
			if (started && (__s32)(r->ev.seg.seq - next) < 0) {
				r->marks |= ROW_RETRANSMIT;
				if (r->pair >= 0)
					c->rows[r->pair].marks |= ROW_RETRANSMIT;
			}
			if (!started || (__s32)(r->ev.seg.seq + space - next) > 0)
				next = r->ev.seg.seq + space;
			started = true;
		}
	}
}

static struct conn_row inferred_row(const struct conn_row *at, int end, __u8 from, __u8 to,
				    __u64 ts)
{
	struct conn_row r;

	memset(&r, 0, sizeof(r));
	r.ev = at->ev;
	r.ev.kind = SYN_EV_STATE;
	r.ev.ts_ns = ts;
	memset(&r.ev.state, 0, sizeof(r.ev.seg));
	r.ev.state.oldstate = from;
	r.ev.state.newstate = to;
	r.end = (__u8)end;
	r.marks = ROW_INFERRED;
	r.pair = -1;
	return r;
}

/* Did this end answer a SYN with SYN-ACK, i.e. was something listening? */
static bool answers_syn(const struct conn *c, int end)
{
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];

		if (r->end == end && is_seg(r, SYN_DIR_TX) && ev_is_synack(&r->ev))
			return true;
	}
	return false;
}

/* Is the SYN received in row i the one its end answers with a SYN-ACK? Not
 * when another SYN arrives first: this one was dropped (by a firewall after
 * the device saw it, or a full queue) and the sender will retransmit. */
static bool syn_is_answered(const struct conn *c, size_t i)
{
	int end = c->rows[i].end;

	for (size_t j = i + 1; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];

		if (r->end != end || r->ev.kind != SYN_EV_SEGMENT)
			continue;
		if (r->ev.seg.dir == SYN_DIR_RX && ev_is_syn(&r->ev))
			return false;
		if (r->ev.seg.dir == SYN_DIR_TX && ev_is_synack(&r->ev))
			return true;
	}
	return false;
}

/* Where does each lane start? CLOSE for a client we saw begin; LISTEN for a
 * server that received the first SYN and answered it (CLOSE when it answered
 * with a reset: nothing listened); unknown otherwise. */
static void initial_states(const struct conn *c, __u8 cur[2])
{
	bool listening[2] = { answers_syn(c, 0), answers_syn(c, 1) };

	cur[0] = cur[1] = 0;
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];

		if (r->ev.kind == SYN_EV_STATE && !cur[r->end])
			cur[r->end] = r->ev.state.oldstate;
		if (r->ev.kind == SYN_EV_SYSCALL && r->ev.sys.call == SYN_CALL_CONNECT && !cur[r->end])
			cur[r->end] = ST_CLOSE;
		if (ev_is_syn(&r->ev) && !cur[r->end]) {
			if (r->ev.seg.dir == SYN_DIR_TX)
				cur[r->end] = ST_CLOSE;
			else
				cur[r->end] = listening[r->end] ? ST_LISTEN : ST_CLOSE;
		}
		if (cur[0] && cur[1])
			break;
	}
}

static bool push_row(struct conn_row **out, size_t *n, size_t *cap, const struct conn_row *r)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct conn_row *p = realloc(*out, ncap * sizeof(*p));

		if (!p)
			return false;
		*out = p;
		*cap = ncap;
	}
	(*out)[(*n)++] = *r;
	return true;
}

static bool is_reset(const struct conn_row *r)
{
	return r->ev.kind == SYN_EV_RESET ||
	       (r->ev.kind == SYN_EV_SEGMENT && (r->ev.seg.flags & SYN_TCP_RST));
}

/*
 * Where the active closer's TIME-WAIT begins when the kernel reports
 * FIN_WAIT2 -> CLOSE: the row after which to add it, or -1 for none.
 * The report means a timewait socket took over. When the application closed
 * before the peer's FIN came (an orphaned FIN_WAIT2 socket), that timewait
 * socket is still in FIN-WAIT-2 and enters TIME-WAIT only when the FIN
 * arrives, which may be long after the report. So TIME-WAIT begins where
 * the lane is in FIN_WAIT2 and has received the peer's FIN, whichever of
 * the two came last; never when no FIN arrived or a reset came first.
 */
static long fin_wait2_time_wait_row(const struct conn *c, int e)
{
	long entered = -1, fin = -1;
	bool reported = false, reset = false;

	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];

		if (r->end != e)
			continue;
		if (is_reset(r) && !reported)
			reset = true;
		if (r->ev.kind == SYN_EV_STATE && r->ev.state.newstate == ST_FIN_WAIT2 && !reported)
			entered = (long)i;
		if (r->ev.kind == SYN_EV_STATE && r->ev.state.oldstate == ST_FIN_WAIT2 &&
		    r->ev.state.newstate == ST_CLOSE && !reported) {
			if (reset)
				return -1;
			reported = true;
		}
		if (is_seg(r, SYN_DIR_RX) && (r->ev.seg.flags & SYN_TCP_FIN) &&
		    !(r->ev.seg.flags & SYN_TCP_RST) && fin < 0)
			fin = (long)i;
	}
	if (!reported || fin < 0)
		return -1;
	return fin > entered ? fin : entered;
}

/*
 * Linux does not report two textbook states where the RFC draws them:
 * SYN-RECEIVED lives in a request socket until the final ACK (the kernel
 * reports LISTEN -> SYN_RECV only then, for the new child socket), and
 * TIME-WAIT lives in a timewait socket (the kernel reports FIN_WAIT2 -> CLOSE
 * or CLOSING -> CLOSE for the full socket). Add them at the textbook moment,
 * marked inferred. Then record both lanes' states after every row.
 */
/* The rows infer_states() is building, and each lane's state so far. */
struct inference {
	struct conn_row *out;
	size_t n, cap;
	__u8 cur[2];
	bool in_tw[2];           /* the lane is in (inferred) TIME-WAIT */
	__u64 tw_since[2];
	struct conn_row last_tw[2];
};

/* Append row r with both lanes' states after it. */
static void inference_push(struct inference *inf, struct conn_row *r)
{
	r->state_after[0] = inf->cur[0];
	r->state_after[1] = inf->cur[1];
	push_row(&inf->out, &inf->n, &inf->cap, r);
}

/* An inferred change of lane e, at the time of row at (ts when not 0). */
static struct conn_row inference_state(struct inference *inf, const struct conn_row *at, int e,
				       __u8 to, __u64 ts)
{
	struct conn_row r = inferred_row(at, e, inf->cur[e], to, ts ? ts : at->ev.ts_ns);

	inf->cur[e] = to;
	inference_push(inf, &r);
	return r;
}

static void inference_time_wait(struct inference *inf, const struct conn_row *at, int e)
{
	inf->last_tw[e] = inference_state(inf, at, e, ST_TIME_WAIT, 0);
	inf->in_tw[e] = true;
	inf->tw_since[e] = at->ev.ts_ns;
}

static void infer_states(struct conn *c)
{
	struct inference inf;
	bool reset[2] = { false, false };
	long fw2_tw[2] = { fin_wait2_time_wait_row(c, 0), fin_wait2_time_wait_row(c, 1) };

	memset(&inf, 0, sizeof(inf));
	/* room for every row and the few inferred ones: one allocation */
	inf.cap = c->nrows + 8;
	inf.out = malloc(inf.cap * sizeof(*inf.out));
	if (!inf.out)
		inf.cap = 0;
	initial_states(c, inf.cur);
	for (size_t i = 0; i < c->nrows; i++) {
		struct conn_row r = c->rows[i];
		int e = r.end;

		if (is_reset(&r))
			reset[e] = true;
		if (r.ev.kind == SYN_EV_STATE && r.ev.state.newstate == ST_CLOSE && !reset[e] &&
		    (r.ev.state.oldstate == ST_FIN_WAIT2 || r.ev.state.oldstate == ST_CLOSING)) {
			/* CLOSING: the ACK of our FIN came, TIME-WAIT begins now.
			 * FIN_WAIT2: it begins at the peer's FIN (fw2_tw), before
			 * or after this row. */
			if (r.ev.state.oldstate == ST_CLOSING)
				inference_time_wait(&inf, &r, e);
			/* the kernel's own row: the full socket closes, the timewait
			 * socket carries on, so the lane stays where it is */
			inference_push(&inf, &r);
			continue;
		}
		if (r.ev.kind == SYN_EV_STATE && !(inf.in_tw[e] && r.ev.state.newstate == ST_CLOSE))
			inf.cur[e] = r.ev.state.newstate;
		inference_push(&inf, &r);

		/* the peer's FIN reached the lane in FIN_WAIT2: textbook TIME-WAIT */
		if (fw2_tw[e] == (long)i && !inf.in_tw[e])
			inference_time_wait(&inf, &r, e);

		/* the SYN arrived at a listener: textbook SYN-RECEIVED from here */
		if (is_seg(&r, SYN_DIR_RX) && ev_is_syn(&r.ev) && inf.cur[e] == ST_LISTEN &&
		    c->end[e].role == ROLE_SERVER && syn_is_answered(c, i))
			inference_state(&inf, &r, e, ST_SYN_RECV, 0);
	}
	/* TIME-WAIT ends 2MSL later: Linux's TCP_TIMEWAIT_LEN */
	for (int e = 0; e < 2; e++)
		if (inf.in_tw[e] && inf.cur[e] == ST_TIME_WAIT)
			inference_state(&inf, &inf.last_tw[e], e, ST_CLOSE,
					inf.tw_since[e] + TIME_WAIT_NS);
	if (!inf.n) {
		free(inf.out);
		return;
	}
	/* pairs were indexes into the old rows: redo them on the new ones */
	for (size_t i = 0; i < inf.n; i++)
		inf.out[i].pair = -1;
	free(c->rows);
	c->rows = inf.out;
	c->nrows = inf.n;
	c->cap = inf.cap;
	sort_rows(c);
	pair_segments(c);
	for (int e = 0; e < 2; e++)
		c->end[e].state = inf.cur[e];
}

static void conn_finish(struct tracker *t, struct tconn *tc, bool complete)
{
	struct conn *c = &tc->c;

	conn_unlink(t, tc);
	c->complete = complete;
	sort_rows(c);
	order_ends(tc);
	attribute_listener(t, tc, 0);
	attribute_listener(t, tc, 1);
	pair_segments(c);
	mark_retransmissions(c);
	infer_states(c);
	t->sum.conns++;
	if (!complete)
		t->sum.incomplete++;
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->conn_done)
			t->sinks[i]->conn_done(t->sinks[i], c);
	free(c->rows);
	free(tc);
}

/* Finished: every end on this host is settled, its socket gone, or, for an
 * end that never had one (a SYN to a closed port), its reset sent. An end
 * whose socket we have not met yet keeps the connection open. */
static bool conn_done(const struct tconn *tc)
{
	bool any = false;

	for (int i = 0; i < 2; i++) {
		const struct conn_end *e = &tc->c.end[i];

		if (e->sock_id) {
			any = true;
			if (!e->destroyed)
				return false;
		} else if (e->traced && !tc->sockless_rst[i]) {
			return false;
		}
	}
	return any;
}

/* ---- bounded memory ---------------------------------------------------- */

static bool has_live_socket(const struct tconn *tc)
{
	for (int i = 0; i < 2; i++)
		if (tc->c.end[i].sock_id && !tc->c.end[i].destroyed)
			return true;
	return false;
}

static void conn_evict(struct tracker *t, struct tconn *tc)
{
	tc->c.evicted = true;
	t->sum.evicted++;
	conn_finish(t, tc, false);
}

/* Show early what would otherwise be held forever: connections without a
 * live socket that went quiet (half-open, a SYN flood, a peer that never
 * answered), and, past the cap, the least recently active. A few steps per
 * event keep the cost per event bounded. Times are the events' own, so a
 * replay evicts exactly as the live run did. */
static void evict(struct tracker *t, __u64 now)
{
	for (int step = 0; step < 4 && t->oldest; step++) {
		struct tconn *tc = t->oldest;

		if (t->nopen > TRACKER_MAX_OPEN) {
			conn_evict(t, tc);
		} else if (tc->last_ts + TRACKER_IDLE_NS < now) {
			if (has_live_socket(tc))
				conn_touch(t, tc, now); /* long-lived: look again an idle time later */
			else
				conn_evict(t, tc);
		} else {
			break;
		}
	}
}

/* ---- event routing ----------------------------------------------------- */

static void emit_unattached(struct tracker *t, const struct syn_event *e)
{
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->event)
			t->sinks[i]->event(t->sinks[i], e, NULL, 0);
}

static void pending_add(struct tracker *t, const struct syn_event *e)
{
	struct pending *p = hmap_get(&t->pending, e->sock_id);

	if (!p) {
		if (t->npending >= TRACKER_MAX_PENDING)
			return; /* sockets that never connect: do not hold them all */
		p = calloc(1, sizeof(*p));
		if (!p || hmap_put(&t->pending, e->sock_id, p)) {
			free(p);
			return;
		}
		t->npending++;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct syn_event *evs;

		if (cap > PENDING_MAX)
			return; /* a socket that never connects: keep the first ones */
		evs = realloc(p->evs, cap * sizeof(*evs));
		if (!evs)
			return;
		p->evs = evs;
		p->cap = cap;
	}
	p->evs[p->n++] = *e;
}

static void pending_drop(struct tracker *t, __u64 sid)
{
	struct pending *p = hmap_del(&t->pending, sid);

	if (p) {
		free(p->evs);
		free(p);
		t->npending--;
	}
}

static void listener_set(struct tracker *t, const struct syn_event *e)
{
	__u64 key = listener_key(e->netns, e->sport);
	struct listener *l = hmap_get(&t->listeners, key);

	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || hmap_put(&t->listeners, key, l)) {
			free(l);
			return;
		}
	}
	l->pid = e->pid;
	memcpy(l->comm, e->comm, SYN_COMM_LEN);
}

static void listener_drop(struct tracker *t, const struct syn_event *e)
{
	free(hmap_del(&t->listeners, listener_key(e->netns, e->sport)));
}

/* Is this a new connection reusing the tuple of one we still hold? */
static bool starts_new_conn(const struct tconn *tc, const struct syn_event *e)
{
	int end = end_of(tc, e);
	const struct conn_end *ce = &tc->c.end[end];

	if (ev_is_syn(e)) {
		int sender = e->seg.dir == SYN_DIR_TX ? end : !end;

		return tc->syn_seen[sender] && tc->isn[sender] != e->seg.seq;
	}
	/* a different live socket on an end whose socket is gone */
	return e->sock_id && ce->sock_id && ce->sock_id != e->sock_id && ce->destroyed;
}

/* The connection a socket id belongs to. The kernel reuses a freed socket's
 * memory, and so its id: once an end's socket is destroyed, only the close()
 * that freed it (it returns after the destroy) still belongs there; anything
 * else with that id is a new socket, and the old mapping goes. */
static struct tconn *conn_of_sock(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = e->sock_id ? hmap_get(&t->by_sock, e->sock_id) : NULL;

	if (!tc)
		return NULL;
	for (int i = 0; i < 2; i++) {
		if (tc->c.end[i].sock_id != e->sock_id || !tc->c.end[i].destroyed)
			continue;
		if (e->kind == SYN_EV_SYSCALL && e->sys.call == SYN_CALL_CLOSE &&
		    (e->sys.phase == SYN_PHASE_RETURN || tc->c.proto == IPPROTO_UDP))
			return tc;
		hmap_del(&t->by_sock, e->sock_id);
		return NULL;
	}
	return tc;
}

/* The open connection with this event's tuple, if any. */
static struct tconn *conn_of_tuple(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = hmap_get(&t->by_tuple, tuple_key(e));

	return tc && conn_has_tuple(tc, e) ? tc : NULL;
}

/* A close() return with its entry's full tuple (TCP: the BPF side stashes
 * what the entry saw, because the socket can be freed before the return). */
static bool is_late_close(const struct syn_event *e)
{
	return e->sys.call == SYN_CALL_CLOSE && e->sys.phase == SYN_PHASE_RETURN &&
	       ev_proto(e) == IPPROTO_TCP && tuple_full(e);
}

static struct tconn *conn_for_tuple(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = conn_of_tuple(t, e);

	if (tc && starts_new_conn(tc, e)) {
		conn_finish(t, tc, conn_done(tc));
		tc = NULL;
	}
	if (!tc && e->sock_id)
		tc = conn_of_sock(t, e);
	if (tc && !conn_has_tuple(tc, e))
		tc = NULL;
	return tc ? tc : conn_new(t, e);
}

/* Socket calls that carry no connection: listen(), and the end of a socket
 * that never had a peer (a listener's close()). Others on a socket without
 * a peer yet (socket(), bind(), a UDP server's recvfrom()) wait for one. */
static bool call_is_unattached(const struct syn_event *e)
{
	if (e->sys.call == SYN_CALL_LISTEN)
		return true;
	return (e->sys.call == SYN_CALL_CLOSE || e->sys.call == SYN_CALL_SHUTDOWN) && !e->dport;
}

/* A socket turned out to have no connection of its own (it listens, or it
 * closed unconnected): what it had waiting is shown on its own. */
static void pending_release(struct tracker *t, __u64 sid)
{
	struct pending *p = hmap_del(&t->pending, sid);

	if (!p)
		return;
	t->npending--;
	for (size_t i = 0; i < p->n; i++)
		emit_unattached(t, &p->evs[i]);
	free(p->evs);
	free(p);
}

static struct tconn *on_syscall(struct tracker *t, const struct syn_event *e)
{
	bool is_accept = e->sys.call == SYN_CALL_ACCEPT || e->sys.call == SYN_CALL_ACCEPT4;
	struct syn_event *entry = NULL;
	struct tconn *tc;

	if (e->sys.call == SYN_CALL_LISTEN && e->sys.phase == SYN_PHASE_RETURN && e->sys.ret == 0)
		listener_set(t, e);
	if (is_accept && e->sys.phase == SYN_PHASE_ENTRY) {
		/* held until it returns: only then do we know the connection */
		struct syn_event *copy = malloc(sizeof(*copy));

		if (copy) {
			*copy = *e;
			free(hmap_del(&t->accepts, accept_key(e)));
			if (hmap_put(&t->accepts, accept_key(e), copy))
				free(copy);
		}
		listener_set(t, e);
		return NULL;
	}
	if (is_accept) {
		entry = hmap_del(&t->accepts, accept_key(e));
		if (e->sys.ret < 0 || !tuple_full(e)) {
			free(entry); /* EAGAIN and friends: no connection came */
			return NULL;
		}
	}
	if (is_late_close(e)) {
		/* its socket was freed before it returned, and the id may name a
		 * newer socket by now: the tuple its entry saw says whose it is */
		tc = conn_of_tuple(t, e);
		if (!tc) {
			emit_unattached(t, e); /* its connection is already shown */
			return NULL;
		}
	} else {
		tc = conn_of_sock(t, e);
		if (!tc && tuple_full(e))
			tc = conn_for_tuple(t, e);
	}
	if (!tc) {
		if (call_is_unattached(e)) {
			pending_release(t, e->sock_id);
			emit_unattached(t, e);
		} else {
			pending_add(t, e);
		}
		free(entry);
		return NULL;
	}
	int end = end_of(tc, e);

	if (entry) {
		conn_add_event(t, tc, end, entry);
		free(entry);
	}
	conn_add_event(t, tc, end, e);
	return tc;
}

static struct tconn *on_state(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = conn_of_sock(t, e);

	if (!tc && !e->dport &&
	    (e->state.newstate == ST_LISTEN || e->state.oldstate == ST_LISTEN)) {
		if (e->state.oldstate == ST_LISTEN)
			listener_drop(t, e);
		emit_unattached(t, e);
		return NULL;
	}
	if (!tc && tuple_full(e))
		tc = conn_for_tuple(t, e);
	if (!tc) {
		pending_add(t, e);
		return NULL;
	}
	conn_add_event(t, tc, end_of(tc, e), e);
	return tc;
}

static struct tconn *on_packet_event(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc;

	if (tuple_full(e))
		tc = conn_for_tuple(t, e);
	else
		tc = conn_of_sock(t, e);
	if (tc)
		conn_add_event(t, tc, end_of(tc, e), e);
	return tc;
}

static struct tconn *on_destroy(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = conn_of_sock(t, e);

	if (!tc) {
		pending_drop(t, e->sock_id); /* never had a connection */
		return NULL;
	}
	/* the id stays mapped until the connection finishes: the close() that
	 * freed the socket returns after this event */
	conn_add_event(t, tc, end_of(tc, e), e);
	return tc;
}

static void on_lost(struct tracker *t, const struct syn_event *e)
{
	t->sum.lost += e->lost.count;
	for (struct tconn *tc = t->open; tc; tc = tc->next)
		tc->c.maybe_lost = true;
	emit_unattached(t, e);
}

void tracker_on_event(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = NULL;

	if (e->kind == SYN_EV_TICK)
		return; /* the source's clock, not an event: no sink sees it */
	t->sum.events++;
	switch (e->kind) {
	case SYN_EV_SYSCALL:
		tc = on_syscall(t, e);
		break;
	case SYN_EV_STATE:
		tc = on_state(t, e);
		break;
	case SYN_EV_SEGMENT:
	case SYN_EV_RETRANSMIT:
	case SYN_EV_RESET:
	case SYN_EV_DROP:
		tc = on_packet_event(t, e);
		break;
	case SYN_EV_DESTROY:
		tc = on_destroy(t, e);
		break;
	case SYN_EV_LOST:
		on_lost(t, e);
		break;
	}
	/* a connection leaves as soon as its last socket is gone and the last
	 * close() returned (the socket can go before the call returns) */
	if (tc && conn_done(tc) && !tc->in_call)
		conn_finish(t, tc, true);
	evict(t, e->ts_ns);
}

struct tracker *tracker_new(struct syn_sink **sinks, int nsinks)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sinks = sinks;
	t->nsinks = nsinks;
	return t;
}

const struct run_summary *tracker_summary(const struct tracker *t)
{
	return &t->sum;
}

void tracker_finish(struct tracker *t)
{
	/* oldest first, so the output reads in the order connections began */
	struct tconn *last = t->open;

	while (last && last->next)
		last = last->next;
	while (last) {
		struct tconn *prev = last->prev;

		conn_finish(t, last, conn_done(last));
		last = prev;
	}
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->finish)
			t->sinks[i]->finish(t->sinks[i], &t->sum);
}

static void free_all(struct hmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->vals[i])
			continue;
		free(m->vals[i]);
	}
	hmap_free(m);
}

void tracker_free(struct tracker *t)
{
	if (!t)
		return;
	while (t->open) {
		struct tconn *tc = t->open;

		conn_unlink(t, tc);
		free(tc->c.rows);
		free(tc);
	}
	for (size_t i = 0; i < t->pending.cap; i++) {
		struct pending *p = t->pending.vals[i];

		if (p)
			free(p->evs);
	}
	free_all(&t->pending);
	free_all(&t->accepts);
	free_all(&t->listeners);
	hmap_free(&t->by_tuple);
	hmap_free(&t->by_sock);
	free(t);
}
