/*
 * The kernel's filters replayed in userspace: see event_filter.h for the
 * rules and bpf/synscope.bpf.c for the original of each decision.
 *
 * Only one decision needs what comes later: a connect() entry whose socket
 * has no wanted port yet (the kernel read the destination from the user's
 * sockaddr). It becomes a hold; every event after it waits in a queue until
 * the hold is settled, so what passes keeps its order.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "filter/event_filter.h"
#include "base/hmap.h"

/* A hold not settled within this much recorded time is dropped: a connect()
 * whose socket never named its destination (its events were lost). Bounds
 * the queue to this much of the recording. */
#define HOLD_MAX_NS 1000000000ull

struct hold {
	__u64 sock_id;
	__u32 tid;
	__u64 ts_ns;
	struct hold *next;       /* open holds, oldest first */
};

struct queued {
	struct syn_event e;
	struct hold *wait;       /* NULL: passes */
	bool dropped;
};

struct event_filter {
	struct event_filter_opts o;
	struct hmap tracked;     /* sock_id -> (void *)1: passed once */
	struct hmap calls;       /* tid -> CALL_PASSED or a hold: entries that passed */
	__u8 watched[65536 / 8]; /* with a pid filter: its sockets' local ports */
	struct hold *holds, *holds_tail;
	struct queued *q;        /* a ring of cap items, n from head */
	size_t head, n, cap;
};

static char call_passed_mark;
#define CALL_PASSED ((void *)&call_passed_mark)
#define TRACKED ((void *)&call_passed_mark)

enum fate { FATE_DROP, FATE_PASS, FATE_WAIT };

bool event_filter_any(const struct event_filter_opts *o)
{
	return o->nports || o->pid || o->family || o->comm[0];
}

struct event_filter *event_filter_new(const struct event_filter_opts *o)
{
	struct event_filter *f = calloc(1, sizeof(*f));

	if (f)
		f->o = *o;
	return f;
}

/* -p or --comm: only some tasks' calls, and what their sockets take part in. */
static bool task_filter(const struct event_filter *f)
{
	return f->o.pid || f->o.comm[0];
}

static bool task_wanted(const struct event_filter *f, const struct syn_event *e)
{
	return (!f->o.pid || e->pid == f->o.pid) &&
	       (!f->o.comm[0] || !strncmp(e->comm, f->o.comm, SYN_COMM_LEN));
}

static bool filtering(const struct event_filter *f)
{
	return f->o.nports || task_filter(f);
}

static bool family_wanted(const struct event_filter *f, __u8 family)
{
	return !f->o.family || f->o.family == family;
}

static bool port_wanted(const struct event_filter *f, __u16 sport, __u16 dport)
{
	if (!f->o.nports)
		return true;
	for (int i = 0; i < f->o.nports && i < SYN_MAX_PORTS; i++)
		if (f->o.ports[i] == sport || f->o.ports[i] == dport)
			return true;
	return false;
}

static bool port_watched(const struct event_filter *f, __u16 port)
{
	return f->watched[port / 8] & (1u << (port % 8));
}

static void watch_port(struct event_filter *f, __u16 port)
{
	if (task_filter(f) && port)
		f->watched[port / 8] |= (__u8)(1u << (port % 8));
}

static bool ports_watched(const struct event_filter *f, __u16 sport, __u16 dport)
{
	return !task_filter(f) || port_watched(f, sport) || port_watched(f, dport);
}

static bool sk_wanted(const struct event_filter *f, const struct syn_event *e)
{
	return family_wanted(f, e->family) && port_wanted(f, e->sport, e->dport) &&
	       ports_watched(f, e->sport, e->dport);
}

static bool sock_tracked(const struct event_filter *f, __u64 sid)
{
	return sid && hmap_get(&f->tracked, sid);
}

static void sock_track(struct event_filter *f, __u64 sid)
{
	if (filtering(f) && sid)
		hmap_put(&f->tracked, sid, TRACKED);
}

static void sock_untrack(struct event_filter *f, __u64 sid)
{
	if (sid)
		hmap_del(&f->tracked, sid);
}

static struct hold *open_hold(const struct event_filter *f, __u64 sid)
{
	if (!sid)
		return NULL;
	for (struct hold *h = f->holds; h; h = h->next)
		if (h->sock_id == sid)
			return h;
	return NULL;
}

/* ---- the queue behind an open hold -------------------------------------- */

static int enqueue(struct event_filter *f, const struct syn_event *e, struct hold *wait)
{
	struct queued *it;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct queued *q = malloc(cap * sizeof(*q));

		if (!q)
			return -1;
		for (size_t i = 0; i < f->n; i++)
			q[i] = f->q[(f->head + i) % f->cap];
		free(f->q);
		f->q = q;
		f->cap = cap;
		f->head = 0;
	}
	it = &f->q[(f->head + f->n) % f->cap];
	it->e = *e;
	it->wait = wait;
	it->dropped = false;
	f->n++;
	return 0;
}

/* Emit from the front what no open hold keeps back. */
static void flush_front(struct event_filter *f, event_filter_emit emit, void *ctx)
{
	while (f->n) {
		struct queued *it = &f->q[f->head];

		if (it->wait)
			return;
		if (!it->dropped)
			emit(ctx, &it->e);
		f->head = (f->head + 1) % f->cap;
		f->n--;
	}
}

/* The destination of a held connect() is known: settle everything that
 * waited on it. */
static void settle(struct event_filter *f, struct hold *h, bool pass)
{
	struct hold **pp;

	for (size_t i = 0; i < f->n; i++) {
		struct queued *it = &f->q[(f->head + i) % f->cap];

		if (it->wait == h) {
			it->wait = NULL;
			it->dropped = !pass;
		}
	}
	if (pass) {
		sock_track(f, h->sock_id);
		if (hmap_get(&f->calls, h->tid) == h)
			hmap_put(&f->calls, h->tid, CALL_PASSED);
	} else if (hmap_get(&f->calls, h->tid) == h) {
		hmap_del(&f->calls, h->tid);
	}
	for (pp = &f->holds; *pp != h; pp = &(*pp)->next)
		;
	*pp = h->next;
	if (f->holds_tail == h) {
		f->holds_tail = NULL;
		for (struct hold *o = f->holds; o; o = o->next)
			f->holds_tail = o;
	}
	free(h);
}

static struct hold *hold_connect(struct event_filter *f, const struct syn_event *e)
{
	struct hold *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->sock_id = e->sock_id;
	h->tid = e->tid;
	h->ts_ns = e->ts_ns;
	if (f->holds_tail)
		f->holds_tail->next = h;
	else
		f->holds = h;
	f->holds_tail = h;
	hmap_put(&f->calls, e->tid, h);
	return h;
}

/* ---- one decision per event kind, as the kernel makes it ----------------- */

/* A call's return passes when its entry did; a held connect() is settled by
 * it: its socket names the peer now, unless the connection already failed
 * (port 0). */
static enum fate decide_return(struct event_filter *f, const struct syn_event *e)
{
	void *entry = hmap_get(&f->calls, e->tid);

	if (!entry)
		return FATE_DROP;
	if (entry != CALL_PASSED) {
		settle(f, entry, e->dport && port_wanted(f, 0, e->dport));
		if (!hmap_get(&f->calls, e->tid))
			return FATE_DROP;
	}
	hmap_del(&f->calls, e->tid);
	if (e->sys.call == SYN_CALL_CONNECT)
		watch_port(f, e->sport);
	return FATE_PASS;
}

/* Does a call's entry concern a wanted port: its socket's, or the one it binds or sends to? */
static bool call_wanted(struct event_filter *f, const struct syn_event *e)
{
	bool names_port = (e->sys.call == SYN_CALL_BIND || e->sys.call == SYN_CALL_SENDTO) &&
			  e->sys.arg;

	return port_wanted(f, e->sport, e->dport) || sock_tracked(f, e->sock_id) ||
	       (names_port && port_wanted(f, 0, (__u16)e->sys.arg));
}

/* A wanted call's entry: what it starts to watch. */
static void note_call(struct event_filter *f, const struct syn_event *e)
{
	unsigned int call = e->sys.call;

	if (call == SYN_CALL_CONNECT || call == SYN_CALL_BIND || e->proto == IPPROTO_UDP ||
	    (call == SYN_CALL_SENDTO && e->sys.arg))
		sock_track(f, e->sock_id);
	if (call == SYN_CALL_LISTEN || call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4)
		watch_port(f, e->sport);
	hmap_put(&f->calls, e->tid, CALL_PASSED);
}

static enum fate decide_call(struct event_filter *f, const struct syn_event *e,
			     struct hold **wait)
{
	if (e->sys.call == SYN_CALL_SOCKET) {
		/* reported on return only, and only without a port filter: its
		 * socket has no port to filter on yet */
		return !f->o.nports && task_wanted(f, e) && family_wanted(f, e->family) ? FATE_PASS
											: FATE_DROP;
	}
	if (e->sys.call == SYN_CALL_GETSOCKOPT) /* return only: judged as an entry is */
		return task_wanted(f, e) && family_wanted(f, e->family) && call_wanted(f, e)
			       ? FATE_PASS : FATE_DROP;
	if (e->sys.phase == SYN_PHASE_RETURN)
		return decide_return(f, e);
	if (!task_wanted(f, e) || !family_wanted(f, e->family))
		return FATE_DROP;
	if (!call_wanted(f, e)) {
		/* another call on a socket whose connect() is held would need
		 * its return to wait too: never seen; dropped */
		if (e->sys.call != SYN_CALL_CONNECT || !f->o.nports || open_hold(f, e->sock_id))
			return FATE_DROP;
		*wait = hold_connect(f, e);
		return *wait ? FATE_WAIT : FATE_DROP;
	}
	note_call(f, e);
	return FATE_PASS;
}

/* Kinds that pass for a socket that passed once: they wait with a held
 * connect() of their socket, whose outcome decides whether it was tracked. */
static enum fate tracked_or_wait(struct event_filter *f, const struct syn_event *e,
				 struct hold **wait)
{
	if (sock_tracked(f, e->sock_id))
		return FATE_PASS;
	*wait = open_hold(f, e->sock_id);
	return *wait ? FATE_WAIT : FATE_DROP;
}

static enum fate decide(struct event_filter *f, const struct syn_event *e, struct hold **wait)
{
	enum fate fate;

	switch (e->kind) {
	case SYN_EV_SYSCALL:
		return decide_call(f, e, wait);
	case SYN_EV_STATE:
		if (!family_wanted(f, e->family))
			return FATE_DROP;
		if (!filtering(f))
			return FATE_PASS;
		if (sk_wanted(f, e)) {
			sock_track(f, e->sock_id);
			return FATE_PASS;
		}
		return tracked_or_wait(f, e, wait);
	case SYN_EV_DESTROY:
		if (!family_wanted(f, e->family))
			return FATE_DROP;
		if (!filtering(f))
			return FATE_PASS;
		fate = sk_wanted(f, e) ? FATE_PASS : tracked_or_wait(f, e, wait);
		if (fate == FATE_PASS)
			sock_untrack(f, e->sock_id);
		return fate;
	case SYN_EV_SEGMENT:
		if (!family_wanted(f, e->family) || !port_wanted(f, e->sport, e->dport))
			return FATE_DROP;
		if (task_filter(f) && !ports_watched(f, e->sport, e->dport)) {
			if (e->seg.dir == SYN_DIR_RX || !sock_tracked(f, e->sock_id))
				return FATE_DROP;
			watch_port(f, e->sport); /* a traced connect()'s SYN */
		}
		return FATE_PASS;
	case SYN_EV_RETRANSMIT:
	case SYN_EV_TIMEWAIT:
	case SYN_EV_ICMP:
		return sk_wanted(f, e) ? FATE_PASS : FATE_DROP;
	case SYN_EV_RESET:
		if (sk_wanted(f, e))
			return FATE_PASS;
		return tracked_or_wait(f, e, wait);
	default: /* lost counts, and kinds the kernel never filters */
		return FATE_PASS;
	}
}

void event_filter_push(struct event_filter *f, const struct syn_event *e,
		       event_filter_emit emit, void *ctx)
{
	struct hold *h, *wait = NULL;
	enum fate fate;

	/* holds too old to settle, and the one this event settles: its socket
	 * names the destination port (the kernel's port_wanted(0, dest)) */
	while (f->holds && e->ts_ns > f->holds->ts_ns + HOLD_MAX_NS)
		settle(f, f->holds, false);
	h = open_hold(f, e->sock_id);
	if (h && e->dport && !(e->kind == SYN_EV_SYSCALL && e->sys.phase == SYN_PHASE_RETURN))
		settle(f, h, port_wanted(f, 0, e->dport));

	fate = decide(f, e, &wait);
	if (fate == FATE_DROP && !f->n) {
		return;
	} else if (fate == FATE_PASS && !f->n) {
		emit(ctx, e);
		return;
	}
	if (fate != FATE_DROP && enqueue(f, e, fate == FATE_WAIT ? wait : NULL)) {
		/* out of memory: keep the order, lose the wait */
		flush_front(f, emit, ctx);
		if (fate == FATE_PASS)
			emit(ctx, e);
	}
	flush_front(f, emit, ctx);
}

void event_filter_finish(struct event_filter *f, event_filter_emit emit, void *ctx)
{
	while (f->holds)
		settle(f, f->holds, false);
	flush_front(f, emit, ctx);
}

void event_filter_free(struct event_filter *f)
{
	if (!f)
		return;
	while (f->holds) {
		struct hold *h = f->holds;

		f->holds = h->next;
		free(h);
	}
	hmap_free(&f->tracked);
	hmap_free(&f->calls);
	free(f->q);
	free(f);
}

/* ---- a whole array at once (synscope merge's inputs) ---- */

struct kept {
	struct syn_event *ev;
	size_t n, cap;
	bool oom;
};

static void keep_event(void *ctx, const struct syn_event *e)
{
	struct kept *k = ctx;

	if (k->oom)
		return;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024;
		struct syn_event *p = realloc(k->ev, cap * sizeof(*p));

		if (!p) {
			k->oom = true;
			return;
		}
		k->ev = p;
		k->cap = cap;
	}
	k->ev[k->n++] = *e;
}

int event_filter_events(const struct event_filter_opts *o, struct syn_event **ev, size_t *n)
{
	struct event_filter *f;
	struct kept k = { 0 };

	if (!event_filter_any(o))
		return 0;
	f = event_filter_new(o);
	if (!f)
		return -1;
	for (size_t i = 0; i < *n; i++)
		event_filter_push(f, &(*ev)[i], keep_event, &k);
	event_filter_finish(f, keep_event, &k);
	event_filter_free(f);
	if (k.oom) {
		free(k.ev);
		return -1;
	}
	free(*ev);
	*ev = k.ev;
	*n = k.n;
	return 0;
}
