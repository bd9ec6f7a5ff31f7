/*
 * Connection tracker: which connection, and which end of it, each event
 * belongs to.
 *
 * Identity: a connection is the unordered pair of its two endpoints, from
 * its first event to its last, through the kernel objects that carry it in
 * turn (a request socket, a full socket, a timewait socket). Events that
 * carry the full 4-tuple find it by tuple; events that do not (connect()
 * before the port is chosen, a socket already unhashed on its way out) find
 * it by sock_id, the full socket's identity that the kernel side puts on its
 * syscalls, states and transmitted segments. Events of a socket seen before
 * its tuple wait in a pending list until an event binds the socket. A new
 * SYN (another initial sequence number, or a SYN on a tuple whose earlier
 * traffic had none) starts a new connection on the same tuple. A connection
 * that ended is remembered by its tuple for a while (finished.h): a late
 * segment of it (TIME-WAIT's traffic, a reset after the socket was freed)
 * carries on that connection, as "continued".
 *
 * Attribution: an end belongs to the process that connect()ed or accept()ed
 * it; before accept() returns, the server end is credited to the listening
 * process. Packets and softirq state changes carry whatever task the CPU
 * happened to run, so their pid is never used.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "track/owners.h"
#include "track/tracker_int.h"
#include "track/tuple.h"

#define PENDING_MAX 64      /* events kept for one socket before it has a tuple */

/* ---- connections by tuple ---------------------------------------------- */

static bool conn_has_tuple(const struct tconn *tc, const struct syn_event *e)
{
	return ends_have_tuple(tc->c.end, tc->c.proto, e);
}

/* The lane an event happened on. */
static int end_of(const struct tconn *tc, const struct syn_event *e)
{
	if (e->sock_id) {
		for (int i = 0; i < 2; i++)
			if (tc->c.end[i].sock_id == e->sock_id)
				return i;
	}
	if (e->family && end_is_local_of(&tc->c.end[1], e) && !end_is_local_of(&tc->c.end[0], e))
		return 1;
	return 0;
}

/* A thread in accept(): thread ids are per host, namespaces tell hosts
 * apart when synscope merge joins two. */
static __u64 accept_key(const struct syn_event *e)
{
	return ((__u64)e->netns << 32 | e->tid) + 1;
}

/* ---- what an event tells of its end (owners.h: who owns it) -------------- */

static void learn_call(struct tracker *t, struct tconn *tc, int end, const struct syn_event *e)
{
	if (e->sys.phase == SYN_PHASE_ENTRY)
		tc->in_call++;
	else if (tc->in_call > 0)
		tc->in_call--;
	if (e->sys.call == SYN_CALL_CONNECT)
		set_role(tc, end, ROLE_CLIENT);
	if (e->sys.call == SYN_CALL_ACCEPT || e->sys.call == SYN_CALL_ACCEPT4) {
		set_role(tc, end, ROLE_SERVER);
		if (e->sys.phase == SYN_PHASE_RETURN && e->sys.ret >= 0)
			setup_claim(t, tc, e);
	}
	if (e->sys.call != SYN_CALL_LISTEN)
		attribute(tc, end, e->pid, e->comm, ATTR_SYSCALL);
}

static void learn_segment(struct tconn *tc, int end, const struct syn_event *e)
{
	const struct syn_segment *g = &e->seg;
	struct tend *te = &tc->te[end];
	int sender = g->dir == SYN_DIR_TX ? end : !end;

	tc->segments = true;
	if (tc->c.proto == IPPROTO_UDP) {
		/* no handshake: whoever sent the first datagram is the client */
		set_role(tc, sender, ROLE_CLIENT);
		return;
	}
	if (g->dir == SYN_DIR_TX && (g->flags & SYN_TCP_RST) && !tc->c.end[end].sock_id)
		te->sockless_rst = true;
	if (g->dir == SYN_DIR_RX && (g->flags & SYN_TCP_RST))
		te->rst_in = true;
	if (g->dir == SYN_DIR_RX && (g->flags & SYN_TCP_FIN) && !(g->flags & SYN_TCP_RST))
		te->fin_in = true;
	if (g->dir == SYN_DIR_TX && ev_is_synack(e))
		te->synack_out = true;
	if (g->flags & SYN_TCP_SYN) {
		if (ev_is_syn(e))
			set_role(tc, sender, ROLE_CLIENT);
		else if (ev_is_synack(e)) /* its SYN was before tracing began */
			set_role(tc, sender, ROLE_SERVER);
		if (!tc->c.end[sender].isn_known) {
			tc->c.end[sender].isn_known = true;
			tc->c.end[sender].isn = g->seq;
		}
	}
}

/* Roles, owners and settling facts from one event on an end. */
static void learn(struct tracker *t, struct tconn *tc, int end, const struct syn_event *e)
{
	struct conn_end *ce = &tc->c.end[end];

	ce->traced = true;
	if (!ce->netns)
		ce->netns = e->netns;
	switch (e->kind) {
	case SYN_EV_SYSCALL:
		learn_call(t, tc, end, e);
		break;
	case SYN_EV_STATE:
		if (e->state.newstate == ST_SYN_SENT)
			set_role(tc, end, ROLE_CLIENT);
		if (e->state.oldstate == ST_LISTEN) {
			set_role(tc, end, ROLE_SERVER);
			setup_claim(t, tc, e); /* the listener made this socket */
		}
		if (e->state.oldstate == ST_FIN_WAIT2 && e->state.newstate == ST_CLOSE)
			tc->te[end].handed_over = true;
		break;
	case SYN_EV_SEGMENT:
		learn_segment(tc, end, e);
		break;
	case SYN_EV_TIMEWAIT:
		tc->te[end].tw_gone = true;
		break;
	case SYN_EV_DESTROY:
		ce->destroyed = true;
		break;
	}
	/* a UDP socket has no destroy tracepoint: its last close() ends it */
	if (tc->c.proto == IPPROTO_UDP && e->kind == SYN_EV_SYSCALL &&
	    e->sys.call == SYN_CALL_CLOSE && e->sys.phase == SYN_PHASE_ENTRY && e->sys.last_ref)
		ce->destroyed = true;
	attribute_listener(t, tc, end);
	attribute_listener(t, tc, !end);
}

/* ---- events onto connections ---------------------------------------------- */

static void emit_event(struct tracker *t, const struct syn_event *e, const struct conn *c, int end)
{
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->event)
			t->sinks[i]->event(t->sinks[i], e, c, end);
}

static void bind_sock(struct tracker *t, struct tconn *tc, int end, __u64 sid);

/* Add e to tc on lane end. shown: the sinks' event() had it already (an
 * accept() entry, shown when it happened and placed when it returned). */
static void conn_add_event(struct tracker *t, struct tconn *tc, int end,
			   const struct syn_event *e, bool shown)
{
	if (e->sock_id && !tc->c.end[end].sock_id && e->kind != SYN_EV_RESET)
		bind_sock(t, tc, end, e->sock_id);
	conn_touch(t, tc, e->ts_ns);
	if (e->ts_ns <= t->lost_until)
		tc->c.maybe_lost = true;
	conn_add_row(t, tc, e, end);
	learn(t, tc, end, e);
	if (!shown)
		emit_event(t, e, &tc->c, end);
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
		conn_add_event(t, tc, end, &p->evs[i], true);
	free(p->evs);
	free(p);
}

/* An event of a socket whose connection is not known yet: shown now (the
 * stream prints it when it happens, not when its socket binds), kept until
 * the socket binds or turns out to have no connection. */
static void pending_add(struct tracker *t, const struct syn_event *e)
{
	struct pending *p = hmap_get(&t->pending, e->sock_id);

	emit_event(t, e, NULL, SINK_END_LATER);

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

/* A socket turned out to have no connection of its own (it listens, or it
 * closed unconnected): what it had waiting is shown on its own. */
static void pending_release(struct tracker *t, __u64 sid)
{
	struct pending *p = hmap_del(&t->pending, sid);

	if (!p)
		return;
	t->npending--;
	for (size_t i = 0; i < p->n; i++)
		emit_event(t, &p->evs[i], NULL, SINK_END_SHOWN);
	free(p->evs);
	free(p);
}

/* ---- unconnected UDP sockets ------------------------------------------------ */

/* A UDP socket that binds and only receives has no peer: its calls carry
 * no remote address, so they wait by socket (pending) until a datagram to
 * its port arrives: its flow takes them, as a sent datagram's socket would. */
struct udp_bound {
	__u64 sid;
	__u8 addr[16];       /* the address it is bound to; all zero: any */
};

static __u64 udp_port_key(__u32 netns, __u16 port)
{
	return ((__u64)netns << 16 | port) + 1;
}

static void udp_bound_note(struct tracker *t, const struct syn_event *e)
{
	__u64 key = udp_port_key(e->netns, e->sport);
	struct udp_bound *u;

	if (ev_proto(e) != IPPROTO_UDP || !e->sock_id || !e->sport || e->dport)
		return;
	u = hmap_get(&t->udp_bound, key);
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u || hmap_put(&t->udp_bound, key, u)) {
			free(u);
			return;
		}
	}
	u->sid = e->sock_id;
	memcpy(u->addr, e->saddr, 16);
}

static void udp_bound_forget(struct tracker *t, const struct syn_event *e)
{
	__u64 key = udp_port_key(e->netns, e->sport);
	struct udp_bound *u = hmap_get(&t->udp_bound, key);

	if (u && u->sid == e->sock_id)
		free(hmap_del(&t->udp_bound, key));
}

/* A datagram arrived at end of the UDP flow tc, whose socket is not known
 * yet: the unconnected socket bound to that port takes that lane, with its
 * calls so far (socket, bind, a recvfrom() waiting). Not one that another
 * flow took already. */
static void udp_bound_join(struct tracker *t, struct tconn *tc, int end, const struct syn_event *e)
{
	static const __u8 any[16];
	__u64 key = udp_port_key(e->netns, e->sport);
	struct udp_bound *u;

	if (tc->c.proto != IPPROTO_UDP || e->kind != SYN_EV_SEGMENT || e->seg.dir != SYN_DIR_RX ||
	    tc->c.end[end].sock_id)
		return;
	u = hmap_get(&t->udp_bound, key);
	if (!u || (memcmp(u->addr, any, 16) && memcmp(u->addr, e->saddr, 16)) ||
	    hmap_get(&t->by_sock, u->sid))
		return;
	hmap_del(&t->udp_bound, key);
	bind_sock(t, tc, end, u->sid);
	free(u);
}

/* ---- which connection ------------------------------------------------------ */

/* Is this a new connection reusing the tuple of one we still hold? A SYN
 * with another initial sequence number than its sender's first; a SYN on a
 * tuple whose traffic so far had none (a connection from before tracing)
 * unless the other side's SYN began it (a simultaneous open); a live
 * socket on an end whose socket is gone. */
static bool starts_new_conn(const struct tconn *tc, const struct syn_event *e)
{
	int end = end_of(tc, e);
	const struct conn_end *ce = &tc->c.end[end];

	if (ev_is_syn(e)) {
		int sender = e->seg.dir == SYN_DIR_TX ? end : !end;

		if (tc->c.end[sender].isn_known)
			return tc->c.end[sender].isn != e->seg.seq;
		return !tc->c.end[!sender].isn_known && tc->segments;
	}
	return e->sock_id && ce->sock_id && ce->sock_id != e->sock_id && ce->destroyed;
}

/* The connection a socket id belongs to. The kernel reuses a freed socket's
 * memory, and so its id: once an end's socket is destroyed, only the calls
 * that were in it when it went (close(), an accept() of a child already
 * reset) and the reset it sent on its way out still belong there; anything
 * else with that id is a new socket, and the old mapping goes. */
static struct tconn *conn_of_sock(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = e->sock_id ? hmap_get(&t->by_sock, e->sock_id) : NULL;

	if (!tc)
		return NULL;
	for (int i = 0; i < 2; i++) {
		if (tc->c.end[i].sock_id != e->sock_id || !tc->c.end[i].destroyed)
			continue;
		if (e->kind == SYN_EV_SYSCALL && e->sys.phase == SYN_PHASE_RETURN &&
		    (e->sys.call == SYN_CALL_CLOSE || e->sys.call == SYN_CALL_ACCEPT ||
		     e->sys.call == SYN_CALL_ACCEPT4))
			return tc;
		if (e->kind == SYN_EV_SYSCALL && e->sys.call == SYN_CALL_CLOSE &&
		    tc->c.proto == IPPROTO_UDP)
			return tc;
		if (e->kind == SYN_EV_RESET || e->kind == SYN_EV_DROP)
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

/* Is e a late event of the finished connection a: not a new SYN, not a
 * socket other than its own? */
static bool late_event_of(const struct afterlife *a, const struct syn_event *e)
{
	if (ev_is_syn(e)) {
		int sender = e->seg.dir == SYN_DIR_TX ? 0 : 1;

		/* which end sent it: the one whose address and port are the source */
		if (!end_is_local_of(&a->end[0], e))
			sender = !sender;
		return a->end[sender].isn_known && a->end[sender].isn == e->seg.seq;
	}
	if (e->sock_id)
		return e->sock_id == a->end[0].sock_id || e->sock_id == a->end[1].sock_id;
	return from_packet(e) || e->kind == SYN_EV_RETRANSMIT;
}

/* A late event of a connection that ended: it carries on as "continued",
 * with the same number, lanes and what its timeline had learnt. */
static struct tconn *conn_continue(struct tracker *t, const struct syn_event *e)
{
	struct finished_conn *fc = finished_get(&t->finished, tuple_key(e));
	struct afterlife *a = fc ? fc->what : NULL;
	struct tconn *tc;

	if (!a || !ends_have_tuple(a->end, a->proto, e) || !late_event_of(a, e))
		return NULL;
	tc = conn_new(t, e);
	if (!tc)
		return NULL;
	t->next_id--;
	conn_unborn(t, tc);
	tc->c.id = a->id;
	tc->c.continued = true;
	memcpy(tc->c.end, a->end, sizeof(tc->c.end));
	memcpy(tc->te, a->te, sizeof(tc->te));
	tc->tl = a->tl;
	tc->ordered = true;
	for (int i = 0; i < 2; i++)
		tc->c.end[i].traced = false; /* settles again from what comes now */
	finished_forget(&t->finished, fc->key);
	return tc;
}

/* Could e be a connection's first event: its first SYN (or a datagram),
 * the client's connect() or move to SYN-SENT, a server's SYN-RECEIVED? */
static bool may_begin_conn(const struct syn_event *e)
{
	if (ev_proto(e) == IPPROTO_UDP)
		return true;
	switch (e->kind) {
	case SYN_EV_SEGMENT:
		return ev_is_syn(e);
	case SYN_EV_SYSCALL:
		return e->sys.call == SYN_CALL_CONNECT;
	case SYN_EV_STATE:
		return e->state.newstate == ST_SYN_SENT || e->state.newstate == ST_SYN_RECV;
	default:
		return false;
	}
}

static struct tconn *conn_for_tuple(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = conn_of_tuple(t, e);

	if (tc && starts_new_conn(tc, e)) {
		conn_retire(t, tc);
		tc = NULL;
	}
	if (!tc && e->sock_id)
		tc = conn_of_sock(t, e);
	if (tc && !conn_has_tuple(tc, e))
		tc = NULL;
	if (!tc)
		tc = conn_continue(t, e);
	if (!tc) {
		finished_forget(&t->finished, tuple_key(e)); /* a new one on its tuple */
		tc = conn_new(t, e);
		/* first seen mid-way after a loss: its beginning may be what was lost */
		if (tc && t->lost_until && !may_begin_conn(e))
			tc->c.maybe_lost = true;
	}
	return tc;
}

/* ---- events by kind ---------------------------------------------------------- */

/* A close() return with its entry's full tuple (TCP: the BPF side stashes
 * what the entry saw, because the socket can be freed before the return). */
static bool is_late_close(const struct syn_event *e)
{
	return e->sys.call == SYN_CALL_CLOSE && e->sys.phase == SYN_PHASE_RETURN &&
	       ev_proto(e) == IPPROTO_TCP && tuple_full(e);
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

/* accept() entered: shown now, placed in its connection when it returns
 * (only then do we know which). */
static void accept_entered(struct tracker *t, const struct syn_event *e)
{
	struct syn_event *copy = malloc(sizeof(*copy));

	if (copy) {
		*copy = *e;
		free(hmap_del(&t->accepts, accept_key(e)));
		if (hmap_put(&t->accepts, accept_key(e), copy))
			free(copy);
	}
	listener_set(t, e);
	emit_event(t, e, NULL, SINK_END_LATER);
}

static struct tconn *conn_of_call(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc;

	if (is_late_close(e)) {
		/* its socket was freed before it returned, and the id may name a
		 * newer socket by now: the tuple its entry saw says whose it is */
		tc = conn_of_tuple(t, e);
		return tc ? tc : conn_continue(t, e);
	}
	tc = conn_of_sock(t, e);
	if (!tc && tuple_full(e))
		tc = conn_for_tuple(t, e);
	return tc;
}

/* A TCP connect() that failed before its socket had a connection (no
 * route, no local port, a firewall's EPERM: no segment, and the port 0 of
 * every record): its connection is made from where its entry meant to go,
 * so the attempt is drawn. NULL when e is no such failure. */
static struct tconn *conn_of_failed_connect(struct tracker *t, const struct syn_event *e)
{
	struct pending *p;

	if (e->sys.call != SYN_CALL_CONNECT || e->sys.phase != SYN_PHASE_RETURN ||
	    e->sys.ret >= 0 || e->sys.ret == -EINPROGRESS || ev_proto(e) != IPPROTO_TCP ||
	    !e->sock_id)
		return NULL;
	p = hmap_get(&t->pending, e->sock_id);
	for (size_t i = p ? p->n : 0; i-- > 0;) {
		const struct syn_event *entry = &p->evs[i];

		if (entry->kind == SYN_EV_SYSCALL && entry->sys.call == SYN_CALL_CONNECT &&
		    entry->sys.phase == SYN_PHASE_ENTRY)
			return entry->dport ? conn_new(t, entry) : NULL;
	}
	return NULL;
}

static struct tconn *on_syscall(struct tracker *t, const struct syn_event *e)
{
	bool is_accept = e->sys.call == SYN_CALL_ACCEPT || e->sys.call == SYN_CALL_ACCEPT4;
	struct syn_event *entry = NULL;
	struct tconn *tc;

	if (e->sys.call == SYN_CALL_LISTEN && e->sys.phase == SYN_PHASE_RETURN && e->sys.ret == 0)
		listener_set(t, e);
	if (is_accept && e->sys.phase == SYN_PHASE_ENTRY) {
		accept_entered(t, e);
		return NULL;
	}
	if (is_accept) {
		entry = hmap_del(&t->accepts, accept_key(e));
		if (e->sys.ret < 0 || (!tuple_full(e) && !e->sock_id)) {
			free(entry); /* EAGAIN and friends: no connection came */
			return NULL;
		}
	}
	tc = conn_of_call(t, e);
	if (!tc)
		tc = conn_of_failed_connect(t, e);
	if (!tc) {
		if (call_is_unattached(e)) {
			if (e->sys.call == SYN_CALL_LISTEN)
				setup_listen(t, e, hmap_get(&t->pending, e->sock_id));
			else if (e->sys.call == SYN_CALL_CLOSE && e->sys.phase == SYN_PHASE_ENTRY &&
				 e->sys.last_ref) {
				setup_end(t, e);
				udp_bound_forget(t, e);
			}
			pending_release(t, e->sock_id);
			emit_event(t, e, NULL, 0);
		} else if (e->sys.call == SYN_CALL_SETSOCKOPT && setup_note(t, e)) {
			emit_event(t, e, NULL, 0); /* on a listener: shown now, kept for its setup */
		} else if (is_late_close(e)) {
			emit_event(t, e, NULL, 0); /* its connection is already shown */
		} else {
			pending_add(t, e);
			udp_bound_note(t, e);
		}
		free(entry);
		return NULL;
	}
	int end = end_of(tc, e);

	if (entry) {
		conn_add_event(t, tc, end, entry, true);
		free(entry);
	}
	conn_add_event(t, tc, end, e, false);
	return tc;
}

static struct tconn *on_state(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = conn_of_sock(t, e);

	if (!tc && !e->dport &&
	    (e->state.newstate == ST_LISTEN || e->state.oldstate == ST_LISTEN)) {
		if (e->state.oldstate == ST_LISTEN) {
			listener_drop(t, e);
			setup_end(t, e);
		} else {
			setup_note(t, e);
		}
		emit_event(t, e, NULL, 0);
		return NULL;
	}
	if (!tc && tuple_full(e))
		tc = conn_for_tuple(t, e);
	if (!tc) {
		pending_add(t, e);
		return NULL;
	}
	conn_add_event(t, tc, end_of(tc, e), e, false);
	return tc;
}

/* A timewait socket ended after its connection was shown: its rows go to
 * the sinks that keep every row (JSONL, stream), not as a story of its own
 * (nothing else happened). True when it was such an end. */
static bool timewait_after_end(struct tracker *t, const struct syn_event *e)
{
	struct finished_conn *fc = finished_get(&t->finished, tuple_key(e));
	struct afterlife *a = fc ? fc->what : NULL;
	struct conn c;
	struct conn_row r;
	int end;

	if (!a || !ends_have_tuple(a->end, a->proto, e))
		return false;
	memset(&c, 0, sizeof(c));
	c.id = a->id;
	c.proto = a->proto;
	c.continued = true;
	memcpy(c.end, a->end, sizeof(c.end));
	end = end_is_local_of(&c.end[1], e) && !end_is_local_of(&c.end[0], e);
	memset(&r, 0, sizeof(r));
	r.ev = *e;
	r.end = (__u8)end;
	r.pair = -1;
	a->end[end].state = ST_CLOSE;
	a->tl.cur[end] = ST_CLOSE;
	a->tl.in_tw[end] = false;
	r.state_after[0] = a->end[0].state;
	r.state_after[1] = a->end[1].state;
	c.end[end].state = ST_CLOSE;
	emit_event(t, e, &c, end);
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->rows)
			t->sinks[i]->rows(t->sinks[i], &c, &r, 1);
	fc->until = t->clock + TRACKER_AFTERLIFE_NS;
	return true;
}

static struct tconn *on_packet_event(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc;

	if (e->kind == SYN_EV_TIMEWAIT && !conn_of_tuple(t, e) && timewait_after_end(t, e))
		return NULL;
	if (tuple_full(e))
		tc = conn_for_tuple(t, e);
	else
		tc = conn_of_sock(t, e);
	if (tc) {
		int end = end_of(tc, e);

		udp_bound_join(t, tc, end, e);
		conn_add_event(t, tc, end, e, false);
	} else {
		emit_event(t, e, NULL, 0);
	}
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
	conn_add_event(t, tc, end_of(tc, e), e, false);
	return tc;
}

/* Events were lost, stamped after since_ns (0: any time) and up to the
 * report: every connection open then may miss some, a quiet one too (what
 * it did then may be just what was lost), unless all its ends had settled
 * before; and so may one whose events up to the report are still to come. */
static void on_lost(struct tracker *t, const struct syn_event *e)
{
	t->sum.lost += e->lost.count;
	for (struct tconn *tc = t->lists[TL_OPEN].first; tc; tc = tc->link[TL_OPEN].next)
		if (!tc->settled_at || tc->settled_at >= e->lost.since_ns)
			tc->c.maybe_lost = true;
	if (e->ts_ns > t->lost_until)
		t->lost_until = e->ts_ns;
	emit_event(t, e, NULL, 0);
}

static void clock_advance(struct tracker *t, const struct syn_event *e)
{
	if (e->kind == SYN_EV_TICK)
		t->ticked = true;
	else if (t->ticked)
		return; /* the source says when everything before a time has come */
	if (e->ts_ns > t->clock)
		t->clock = e->ts_ns;
}

void tracker_report(struct tracker *t)
{
	t->sum.open = t->nopen;
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->report)
			t->sinks[i]->report(t->sinks[i], &t->sum);
}

/* The source's clock moved: the sinks that refresh on time are told. */
static void tell_clock(struct tracker *t, __u64 now)
{
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->clock)
			t->sinks[i]->clock(t->sinks[i], now);
}

void tracker_on_event(struct tracker *t, const struct syn_event *e)
{
	struct tconn *tc = NULL;

	if (e->kind != SYN_EV_TICK) /* the source's clock: no event, no sink sees it */
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
	case SYN_EV_TIMEWAIT:
	case SYN_EV_ICMP:
		tc = on_packet_event(t, e);
		break;
	case SYN_EV_DESTROY:
		tc = on_destroy(t, e);
		break;
	case SYN_EV_LOST:
		on_lost(t, e);
		break;
	}
	if (tc)
		conn_check_settled(t, tc);
	clock_advance(t, e);
	tracker_run_clock(t);
	if (e->kind == SYN_EV_TICK) {
		t->sum.open = t->nopen;
		tell_clock(t, t->clock);
	}
}

struct tracker *tracker_new(struct syn_sink **sinks, int nsinks, const struct tracker_opts *o)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sinks = sinks;
	t->nsinks = nsinks;
	if (o)
		t->opts = *o;
	t->halfopen.all = t->opts.all_rows;
	/* sinks that take every connection leave none "counted, not drawn" */
	bool every = nsinks > 0;

	for (int i = 0; i < nsinks; i++)
		every &= sinks[i]->every_conn;
	t->halfopen.all |= every;
	t->sum.halfopen = &t->halfopen;
	return t;
}

const struct run_summary *tracker_summary(const struct tracker *t)
{
	return &t->sum;
}


void tracker_finish(struct tracker *t)
{
	/* in the order connections began (their numbers), then the late rows
	 * of ones shown before: settled ones first, they ended */
	struct tconn *tc;

	while ((tc = t->lists[TL_BIRTH].first)) {
		if (tc->settled_at)
			conn_finish_settled(t, tc);
		else
			conn_finish(t, tc, conn_settled(tc));
	}
	while ((tc = t->lists[TL_SETTLED].first))
		conn_finish_settled(t, tc);
	while ((tc = t->lists[TL_OPEN].last))
		conn_finish(t, tc, conn_settled(tc));
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->finish)
			t->sinks[i]->finish(t->sinks[i], &t->sum);
}

static void free_all(struct hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->vals[i]);
	hmap_free(m);
}

void tracker_free(struct tracker *t)
{
	if (!t)
		return;
	while (t->lists[TL_OPEN].first) {
		struct tconn *tc = t->lists[TL_OPEN].first;

		t->lists[TL_OPEN].first = tc->link[TL_OPEN].next;
		conn_free(tc);
	}
	for (size_t i = 0; i < t->pending.cap; i++) {
		struct pending *p = t->pending.vals[i];

		if (p)
			free(p->evs);
	}
	free_all(&t->pending);
	free_all(&t->accepts);
	free_all(&t->listeners);
	free_all(&t->udp_bound);
	setup_free_all(t);
	finished_free(&t->finished);
	halfopen_free(&t->halfopen);
	hmap_free(&t->by_tuple);
	hmap_free(&t->by_sock);
	free(t);
}
