/*
 * A connection from its first row to the sinks (tracker_int.h).
 *
 * Rows wait in tconn.raw, in time order (the two ends' events can come from
 * two CPUs a little out of order). They go out in batches: when the
 * connection ends, while it lasts once TRACKER_BATCH_MAX wait, or when it
 * went quiet past its handshake (release_quiet). A batch is
 * paired and cut where no pair is split, made into the timeline (marks,
 * inferred states), handed to every sink's rows(), and folded into the
 * story that conn_done() gets at the end.
 *
 * A connection ends when every end on this host has settled (end_settled)
 * and no call on it is in flight, TRACKER_GRACE_NS later on the source's
 * clock; or when tracing stops; or early, to bound memory (evict).
 */
#include <malloc.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "track/conn_facts.h"
#include "track/owners.h"
#include "track/tracker_int.h"
#include "track/tuple.h"

/* ---- the lists ---------------------------------------------------------- */

/* ---- the tracker's lists -------------------------------------------------- */

static void tlist_append(struct tracker *t, enum tlist_id id, struct tconn *tc)
{
	struct tlist *l = &t->lists[id];

	tc->link[id].prev = l->last;
	tc->link[id].next = NULL;
	if (l->last)
		l->last->link[id].next = tc;
	else
		l->first = tc;
	l->last = tc;
}

static void tlist_push(struct tracker *t, enum tlist_id id, struct tconn *tc)
{
	struct tlist *l = &t->lists[id];

	tc->link[id].prev = NULL;
	tc->link[id].next = l->first;
	if (l->first)
		l->first->link[id].prev = tc;
	else
		l->last = tc;
	l->first = tc;
}

static void tlist_remove(struct tracker *t, enum tlist_id id, struct tconn *tc)
{
	struct tlist *l = &t->lists[id];
	struct tlink *k = &tc->link[id];

	if (k->prev)
		k->prev->link[id].next = k->next;
	else
		l->first = k->next;
	if (k->next)
		k->next->link[id].prev = k->prev;
	else
		l->last = k->prev;
	k->prev = k->next = NULL;
}

/* A row came: tc goes to the end of the holding list. */
static void hold_touch(struct tracker *t, struct tconn *tc)
{
	if (t->lists[TL_HOLDING].last == tc)
		return;
	if (tc->holding)
		tlist_remove(t, TL_HOLDING, tc);
	tlist_append(t, TL_HOLDING, tc);
	tc->holding = true;
}

static void hold_drop(struct tracker *t, struct tconn *tc)
{
	if (!tc->holding)
		return;
	tlist_remove(t, TL_HOLDING, tc);
	tc->holding = false;
}

struct tconn *conn_new(struct tracker *t, const struct syn_event *e)
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
	tc->in_birth = true;
	tlist_append(t, TL_BIRTH, tc);
	tlist_push(t, TL_OPEN, tc);
	t->nopen++;
	return tc;
}

/* An event for tc: it becomes the most recently active. */
void conn_touch(struct tracker *t, struct tconn *tc, __u64 ts)
{
	if (ts > tc->last_ts)
		tc->last_ts = ts;
	if (t->lists[TL_OPEN].first == tc)
		return;
	tlist_remove(t, TL_OPEN, tc);
	tlist_push(t, TL_OPEN, tc);
}

/* Out of the birth list: it ended, or it continues one shown before (its
 * number is old; it waits for no one, and no one for it). */
void conn_unborn(struct tracker *t, struct tconn *tc)
{
	if (!tc->in_birth)
		return;
	tlist_remove(t, TL_BIRTH, tc);
	tc->in_birth = false;
}

/* Settled now, at its latest event: to the end of the settled list. */
static void settled_link(struct tracker *t, struct tconn *tc)
{
	t->nsettled++;
	tc->settled_at = tc->last_ts ? tc->last_ts : 1;
	tlist_append(t, TL_SETTLED, tc);
}

static void settled_unlink(struct tracker *t, struct tconn *tc)
{
	if (!tc->settled_at)
		return;
	t->nsettled--;
	tlist_remove(t, TL_SETTLED, tc);
	tc->settled_at = 0;
}

/* Out of the indexes by tuple and by socket: no event finds it any more. */
static void conn_unindex(struct tracker *t, struct tconn *tc)
{
	if (tc->key && hmap_get(&t->by_tuple, tc->key) == tc)
		hmap_del(&t->by_tuple, tc->key);
	for (int i = 0; i < 2; i++) {
		__u64 sid = tc->c.end[i].sock_id;

		if (sid && hmap_get(&t->by_sock, sid) == tc)
			hmap_del(&t->by_sock, sid);
	}
}

static void conn_unlink(struct tracker *t, struct tconn *tc)
{
	conn_unindex(t, tc);
	settled_unlink(t, tc);
	conn_unborn(t, tc);
	hold_drop(t, tc);
	tlist_remove(t, TL_OPEN, tc);
	t->nopen--;
}

void conn_free(struct tconn *tc)
{
	row_vec_free(&tc->raw);
	setup_free_one(tc->setup);
	free(tc->fold);
	if (!tc->facts_borrowed)
		free(tc->facts);
	free(tc->c.rows);
	free(tc->c.sums);
	free(tc);
}

/* ---- rows and batches ---------------------------------------------------- */

/* Put the client in end[0], the ladder's left lane, for good. */
static void order_ends(struct tconn *tc)
{
	struct conn *c = &tc->c;
	bool swap;

	if (c->end[0].role == ROLE_UNKNOWN && c->end[1].role == ROLE_UNKNOWN)
		swap = c->end[0].port < c->end[1].port; /* the lower port: more likely the service */
	else
		swap = c->end[0].role == ROLE_SERVER || c->end[1].role == ROLE_CLIENT;
	tc->ordered = true;
	if (!swap)
		return;
	struct conn_end e = c->end[0];
	struct tend te = tc->te[0];

	c->end[0] = c->end[1];
	c->end[1] = e;
	tc->te[0] = tc->te[1];
	tc->te[1] = te;
	for (size_t i = 0; i < tc->raw.n; i++)
		tc->raw.v[i].end = !tc->raw.v[i].end;
}

/* Hand over the rows waiting: all of them (the end: fold then ends too),
 * or about want of them, cut where no pair is split. A connection handed
 * over in one go folds with a fold on the stack; one in many batches keeps
 * its own. */
static void conn_hand_over(struct tracker *t, struct tconn *tc, size_t want, bool all)
{
	struct row_vec out = { 0 };
	struct fold here, *f = tc->fold;
	bool handed_before = tc->fold != NULL; /* only a connection in batches keeps one */
	size_t n;

	if (!tc->ordered) {
		order_ends(tc);
		attribute_listener(t, tc, 0);
		attribute_listener(t, tc, 1);
	}
	if (!f && all) {
		f = &here;
		fold_init(f, t->opts.all_rows);
		setup_place(tc, f);
	} else if (!f) {
		f = tc->fold = malloc(sizeof(*tc->fold));
		if (!f)
			return; /* keep the rows: a later batch tries again */
		fold_init(f, t->opts.all_rows);
		setup_place(tc, f);
	}
	if (!tc->facts) { /* the last batch has conn_finish()'s */
		tc->facts = malloc(sizeof(*tc->facts));
		if (!tc->facts)
			return; /* keep the rows, as above */
		facts_init(tc->facts);
	}
	timeline_pair(tc->raw.v, tc->raw.n);
	n = all ? tc->raw.n : timeline_cut(tc->raw.v, tc->raw.n, want);
	tc->c.more_batches = !all;
	if (n && timeline_take(&tc->tl, &tc->c, tc->raw.v, n, tc->raw.n - n, &out)) {
		for (int i = 0; i < t->nsinks; i++)
			if (t->sinks[i]->rows)
				t->sinks[i]->rows(t->sinks[i], &tc->c, out.v, out.n);
		fold_rows(f, &tc->c, out.v, out.n);
		facts_rows(tc->facts, &tc->c, out.v, out.n);
	} else if (all && handed_before) {
		/* its last batch went out while it was quiet: say it is over */
		for (int i = 0; i < t->nsinks; i++)
			if (t->sinks[i]->rows)
				t->sinks[i]->rows(t->sinks[i], &tc->c, NULL, 0);
	}
	if (all) {
		fold_end(f, &tc->c);
		facts_end(tc->facts, &tc->c);
		tc->c.facts = tc->facts;
	}
	row_vec_free(&out);
	row_vec_shift(&tc->raw, n);
}

/* All the rows (the end), or all but the lookahead (a long connection). */
static void conn_release(struct tracker *t, struct tconn *tc, bool all)
{
	conn_hand_over(t, tc, all ? tc->raw.n : tc->raw.n - TRACKER_LOOKAHEAD, all);
}

/* Room for one more waiting row. Past a few dozen, room for a whole batch
 * at once and never more: doubling on to twice the batch copied a long
 * connection's rows over and over and left half of it unused. */
static bool raw_reserve(struct row_vec *raw)
{
	struct conn_row *v;

	if (raw->n < raw->cap)
		return true;
	if (raw->cap < 64 || raw->cap > TRACKER_BATCH_MAX)
		return row_vec_reserve(raw, 1);
	v = realloc(raw->v, (TRACKER_BATCH_MAX + 1) * sizeof(*v));
	if (!v)
		return false;
	raw->v = v;
	raw->cap = TRACKER_BATCH_MAX + 1;
	return true;
}

/* The kernel reports a reset that a full socket sends (tcp_send_active_reset:
 * SO_LINGER 0, unread data at close()) and a retransmission (of a segment
 * or a SYN-ACK) only once the segment went to the device; on loopback and
 * veth the peer has often received and processed it by then (its softirq
 * runs before the sender's call returns). Such a report is the cause of its
 * segment: it is placed just before the segment's departure, at its time. */
#define LATE_REPORT_NS 10000000ull /* the segment left at most this long before */
#define LATE_REPORT_ROWS 64

static bool reported_late(const struct syn_event *e)
{
	return e->kind == SYN_EV_RETRANSMIT ||
	       (e->kind == SYN_EV_RESET && e->rst.kind == SYN_RESET_SENT &&
		e->sk_kind == SYN_SK_FULL);
}

/* Is the row the departure that report e (on lane end) speaks of? */
static bool report_of(const struct syn_event *e, const struct conn_row *q, int end)
{
	const struct syn_segment *g = &q->ev.seg;

	if (q->end != end || q->ev.kind != SYN_EV_SEGMENT || g->dir != SYN_DIR_TX)
		return false;
	if (e->kind == SYN_EV_RESET)
		return g->flags & SYN_TCP_RST;
	return g->seq == e->rtx.seq && !(g->flags & SYN_TCP_RST);
}

/* Where report e goes among the raw rows: before its segment when that
 * left just before it (and has no report of its own yet), else at. */
static size_t late_report_place(const struct row_vec *raw, size_t at, const struct syn_event *e,
				int end)
{
	for (size_t j = at, k = 0; j-- > 0 && k < LATE_REPORT_ROWS; k++) {
		const struct conn_row *q = &raw->v[j];

		if (q->ev.ts_ns + LATE_REPORT_NS < e->ts_ns)
			break;
		if (!report_of(e, q, end))
			continue;
		if (j > 0 && raw->v[j - 1].ev.kind == e->kind && report_of(&raw->v[j - 1].ev, q, end))
			continue; /* told already: an earlier one of the same */
		return j;
	}
	return at;
}

void conn_add_row(struct tracker *t, struct tconn *tc, const struct syn_event *e, int end)
{
	struct row_vec *raw = &tc->raw;
	struct conn_row *r;
	size_t at;

	if (!raw_reserve(raw))
		return; /* keep what we have: the story shows it */
	/* rows come almost in time order: find the place from the back */
	at = raw->n;
	while (at > 0 && raw->v[at - 1].ev.ts_ns > e->ts_ns)
		at--;
	if (reported_late(e))
		at = late_report_place(raw, at, e, end);
	memmove(raw->v + at + 1, raw->v + at, (raw->n - at) * sizeof(*raw->v));
	raw->n++;
	r = &raw->v[at];
	memset(r, 0, sizeof(*r));
	r->ev = *e;
	if (at + 1 < raw->n && r->ev.ts_ns > raw->v[at + 1].ev.ts_ns)
		r->ev.ts_ns = raw->v[at + 1].ev.ts_ns; /* a late report: its segment's time */
	r->end = (__u8)end;
	r->pair = -1;
	hold_touch(t, tc);
	if (raw->n > TRACKER_BATCH_MAX)
		conn_release(t, tc, false);
}

/* ---- settling and the end ------------------------------------------------ */

/* Has this end of the connection nothing more to say? Its socket is gone
 * (and, when a timewait socket in FIN-WAIT-2 took over for a peer we cannot
 * see, the peer's FIN came or the timewait socket ended); or, for an end
 * that never had a full socket here, a reset ended its part. An end that
 * is not on this host has no say. */
static bool end_settled(const struct tconn *tc, int i)
{
	const struct conn_end *e = &tc->c.end[i];
	const struct tend *te = &tc->te[i];

	if (!e->traced)
		return true;
	if (!e->sock_id)
		return te->sockless_rst || te->rst_in || te->tw_gone;
	if (!e->destroyed)
		return false;
	if (te->handed_over && !te->fin_in && !te->rst_in && !te->tw_gone && !tc->c.end[!i].traced)
		return false;
	return true;
}

bool conn_settled(const struct tconn *tc)
{
	bool any = false;

	for (int i = 0; i < 2; i++) {
		any |= tc->c.end[i].traced;
		if (!end_settled(tc, i))
			return false;
	}
	return any && !tc->in_call;
}

void conn_check_settled(struct tracker *t, struct tconn *tc)
{
	bool settled = conn_settled(tc);

	if (settled && !tc->settled_at)
		settled_link(t, tc);
	else if (!settled && tc->settled_at) {
		settled_unlink(t, tc);
	}
}

/* Remember the connection by its tuple: a late segment of it is told as
 * its own. Longer when an end is left in TIME-WAIT or FIN-WAIT-2. */
static void conn_remember(struct tracker *t, const struct tconn *tc)
{
	struct finished_conn fc;
	struct afterlife *a;
	bool lingers = false;

	if (tc->c.proto != IPPROTO_TCP || !tc->c.end[0].family)
		return;
	a = malloc(sizeof(*a));
	if (!a)
		return;
	a->id = tc->c.id;
	a->proto = tc->c.proto;
	memcpy(a->end, tc->c.end, sizeof(a->end));
	memcpy(a->te, tc->te, sizeof(a->te));
	a->tl = tc->tl;
	for (int i = 0; i < 2; i++)
		lingers |= tc->c.end[i].state == ST_TIME_WAIT || tc->c.end[i].state == ST_FIN_WAIT2;
	fc.key = ends_key(tc->c.end, tc->c.proto);
	fc.until = t->clock + TRACKER_AFTERLIFE_NS + (lingers ? TIME_WAIT_NS : 0);
	fc.what = a;
	finished_put(&t->finished, &fc);
}

void conn_finish(struct tracker *t, struct tconn *tc, bool complete)
{
	struct conn *c = &tc->c;
	struct conn_facts here;

	conn_unlink(t, tc);
	c->complete = complete;
	if (!tc->facts) { /* handed over in one go: no facts held while it was open */
		facts_init(&here);
		tc->facts = &here;
		tc->facts_borrowed = true;
	}
	conn_release(t, tc, true);
	conn_remember(t, tc);
	t->sum.unshown += tc->facts->unshown[0] + tc->facts->unshown[1];
	if (c->continued) {
		t->sum.continued++;
	} else {
		t->sum.conns++;
		if (!complete)
			t->sum.incomplete++;
	}
	if (!conn_selected(&t->opts.select, c)) {
		t->sum.unselected++;
		conn_free(tc);
		return;
	}
	/* a flood's half-open connections: the first few drawn, the rest counted */
	bool drawn = !halfopen_is(c) || halfopen_count(&t->halfopen, c);

	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i]->conn_done && (drawn || t->sinks[i]->every_conn))
			t->sinks[i]->conn_done(t->sinks[i], c);
	conn_free(tc);
}

/* A new connection takes tc's tuple: tc gets no more events (its indexes
 * go), but it is handed over only once the source's clock has passed it, as
 * a settled one is, complete or not as it is now: a loss reported until
 * then may concern it (on_lost looks at the open list). */
void conn_retire(struct tracker *t, struct tconn *tc)
{
	bool complete = conn_settled(tc);

	conn_unindex(t, tc);
	tc->key = 0;
	tc->retired = true;
	tc->retired_complete = complete;
	if (!tc->settled_at)
		settled_link(t, tc);
}

/* Hand over a connection of the settled list. */
void conn_finish_settled(struct tracker *t, struct tconn *tc)
{
	conn_finish(t, tc, tc->retired ? tc->retired_complete : true);
}

void conn_evict(struct tracker *t, struct tconn *tc, __u8 reason)
{
	tc->c.evicted = reason;
	t->sum.evicted++;
	conn_finish(t, tc, false);
}

static bool has_live_socket(const struct tconn *tc)
{
	for (int i = 0; i < 2; i++)
		if (tc->c.end[i].sock_id && !tc->c.end[i].destroyed)
			return true;
	return false;
}

/* Show early what would otherwise be held forever: connections without a
 * live socket that went quiet (half-open, a SYN flood, a peer that never
 * answered), and, past the cap, the least recently active. A few steps per
 * call keep the cost per event bounded. */
static void evict(struct tracker *t, __u64 now)
{
	for (int step = 0; step < 4 && t->lists[TL_OPEN].last; step++) {
		struct tconn *tc = t->lists[TL_OPEN].last;

		if (t->nopen > TRACKER_MAX_OPEN) {
			conn_evict(t, tc, EVICT_CAP);
		} else if (tc->last_ts + TRACKER_IDLE_NS < now) {
			if (has_live_socket(tc))
				conn_touch(t, tc, tc->last_ts); /* long-lived: look again later */
			else
				conn_evict(t, tc, EVICT_IDLE);
		} else {
			break;
		}
	}
}

static bool grace_over(const struct tracker *t, const struct tconn *tc)
{
	return tc->settled_at && tc->settled_at + TRACKER_GRACE_NS <= t->clock;
}

/* The next settled connection to hand over, or NULL: the oldest open one
 * when it settled; else the first to settle, once it need not wait for the
 * older ones any more (it continues one shown before, it waited
 * TRACKER_ORDER_NS, or too many wait). */
static struct tconn *next_to_finish(const struct tracker *t)
{
	struct tconn *s = t->lists[TL_SETTLED].first, *born = t->lists[TL_BIRTH].first;

	if (born && grace_over(t, born))
		return born;
	if (!s || !grace_over(t, s))
		return NULL;
	if (!s->in_birth || s == born || t->nsettled > TRACKER_ORDER_HELD ||
	    s->settled_at + TRACKER_ORDER_NS <= t->clock)
		return s;
	return NULL;
}

/* Quiet connections' room freed since the last malloc_trim: trimmed past this. */
#define QUIET_TRIM_BYTES (8u << 20)

/* Has the connection's handshake completed on this host (its rows, or the
 * ones handed over, had an end become ESTABLISHED)? After it, no row waits
 * for one that may come seconds later. */
static bool past_handshake(const struct tconn *tc)
{
	if (tc->ordered)
		return true;
	for (size_t i = 0; i < tc->raw.n; i++) {
		const struct syn_event *e = &tc->raw.v[i].ev;

		if (e->kind == SYN_EV_STATE && e->state.newstate == ST_ESTABLISHED)
			return true;
	}
	return false;
}

/* Connections whose latest row is TRACKER_QUIET_NS old hand their rows over
 * and free their room, if past the handshake (before it, a SYN may be
 * answered after its retransmission, seconds later). */
static void release_quiet(struct tracker *t, __u64 now)
{
	struct tconn *tc;
	size_t freed = 0;

	while ((tc = t->lists[TL_HOLDING].first)) {
		struct row_vec *raw = &tc->raw;

		if (raw->n && raw->v[raw->n - 1].ev.ts_ns + TRACKER_QUIET_NS > now)
			break;
		hold_drop(t, tc);
		if (raw->n && past_handshake(tc))
			conn_hand_over(t, tc, raw->n, false);
		if (!raw->n) {
			freed += raw->cap * sizeof(*raw->v);
			row_vec_free(raw);
		}
	}
	/* the room went back to malloc among blocks still in use (stories):
	 * give its whole pages back to the system */
	t->quiet_freed += freed;
	if (t->quiet_freed >= QUIET_TRIM_BYTES) {
		t->quiet_freed = 0;
		malloc_trim(0);
	}
}

/* The clock moved: settled connections whose grace is over leave, in the
 * order they began as far as that costs little (next_to_finish), the
 * finished table forgets what is past its time, idle ones are evicted,
 * quiet ones hand their rows over. */
void tracker_run_clock(struct tracker *t)
{
	struct tconn *tc;

	while ((tc = next_to_finish(t)))
		conn_finish_settled(t, tc);
	finished_expire(&t->finished, t->clock);
	evict(t, t->clock);
	release_quiet(t, t->clock);
}
