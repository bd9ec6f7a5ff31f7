/* RFC-style sink: each finished connection drawn in the notation of the
 * figures of RFC 9293 sections 3.5 and 3.6. Numbered lines; TCP Peer A (the
 * client lane) on the left, TCP Peer B (the server lane) on the right, each
 * with its state after the line; segments <SEQ=n><ACK=n><CTL=F,F><DATA>
 * between --> or <-- arrows; "..." where a segment is still in flight;
 * (Close) for the user's close; (2 MSL) for the end of TIME-WAIT.
 * docs/rfc-style.md says how the kernel's view maps onto that. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/names.h"
#include "render/explain.h"
#include "render/sinks.h"
#include "base/strbuf.h"
#include "render/text_event.h"
#include "render/text_line.h"
#include "render/text_summary.h"
#include "render/text_time.h"
#include "track/tracker.h"

#define RFC_MIN_STATE_W 12   /* "ESTABLISHED " */
#define RFC_MIN_NUM_W 4      /* "1.  " */
#define RFC_SEG_GAP 2        /* spaces after the widest segment */
#define RFC_SEG_LEN 96
#define RFC_SIDE_LEN 16      /* "SYN-RECEIVED", "(Close)", "(2 MSL)" */
#define RFC_ACK_WINDOW 256   /* lane events searched for the ACK of an arrival */

struct rfc_sink {
	struct syn_sink base;
	struct sink_opts opts;
};

/* ---- what each lane did, in the order its TCP did it ------------------ */

enum lane_ev_kind {
	LEV_DEP,   /* sent a segment */
	LEV_ARR,   /* a segment arrived */
	LEV_CALL,  /* the user closed: (Close) */
	LEV_MSL,   /* TIME-WAIT ended: (2 MSL) */
};

struct lane_ev {
	enum lane_ev_kind kind;
	int seg;            /* index in segs[] for LEV_DEP / LEV_ARR, else -1 */
	size_t row;         /* the row it comes from */
	__u64 key;          /* its place on the lane: an arrival may move later */
	long last_state;    /* the newest state row caused by it, -1 for none */
	long first_effect;  /* arrivals: the first row caused by it, -1 for none */
	__u8 state;         /* the lane's state after it */
	bool inferred;      /* ... which the kernel did not report there (drawn with *) */
};

/* One segment: sent at one end, received at the other, or both. */
struct seg_item {
	int sender;
	long tx, rx;        /* rows; -1 when that end was not seen */
	int dep, arr;       /* its events on the sender's and receiver's lanes, -1 none */
	bool dep_shown;
};

struct lane {
	struct lane_ev *ev;
	size_t n, head;
	__u8 initial;
	bool traced;
	bool closed;        /* a (Close) was already taken from this lane */
	bool have_fin;      /* fin_end: the end of the FIN this lane sent */
	__u32 fin_end;
};

/* One step of the drawing, in display order. */
enum shown_kind { SH_FULL, SH_DEP, SH_ARR, SH_CALL, SH_MSL };

struct shown {
	enum shown_kind kind;
	int lane;           /* SH_CALL, SH_MSL: the lane; segments: the sender */
	int seg;            /* segments: index in segs[] */
	size_t row;         /* SH_CALL, SH_MSL: the row it comes from */
};

/* One printed line. num 0 continues the entry above it. */
struct subline {
	int num;
	char left[RFC_SIDE_LEN], right[RFC_SIDE_LEN];
	const char *larrow, *rarrow; /* "-->", "<--", "...", or NULL: no segment */
	char seg[RFC_SEG_LEN];
	unsigned int flags;
	long ex[2];         /* --explain: the rows whose meaning the line shows, -1 none */
};

struct rfc_ctx {
	const struct conn *c;
	const struct sink_opts *o;
	struct seq_base base;
	struct lane lane[2];
	struct seg_item *segs;
	size_t nsegs;
	struct shown *shown;
	size_t nshown;
	struct subline *lines;
	size_t nlines, cap_lines;
	int num;
	__u8 last_shown[2]; /* the state each lane showed last, 0 none yet */
	long call_row[2];   /* the row of each lane's (Close) still to draw */
	struct explain_note *notes; /* --explain: what each row means, or NULL */
	bool any_inferred;  /* a state drawn with *: the footnote says what it means */
	bool msl_predicted; /* a (2 MSL) end the trace did not reach */
};

/* The connection header and --explain's comment lines wrap at this width
 * (a terminal's, --width, or 100); the figure is as wide as its segments. */
static int rfc_width(const struct sink_opts *o)
{
	return o->width > 0 ? o->width : TEXT_WIDTH_DEFAULT;
}

/* The RFC's state names: hyphens, and the kernel's extra names folded in. */
static const char *rfc_state_name(unsigned int st)
{
	switch (st) {
	case ST_ESTABLISHED: return "ESTABLISHED";
	case ST_SYN_SENT: return "SYN-SENT";
	case ST_SYN_RECV:
	case ST_NEW_SYN_RECV: return "SYN-RECEIVED";
	case ST_FIN_WAIT1: return "FIN-WAIT-1";
	case ST_FIN_WAIT2: return "FIN-WAIT-2";
	case ST_TIME_WAIT: return "TIME-WAIT";
	case ST_CLOSE: return "CLOSED";
	case ST_CLOSE_WAIT: return "CLOSE-WAIT";
	case ST_LAST_ACK: return "LAST-ACK";
	case ST_LISTEN: return "LISTEN";
	case ST_CLOSING: return "CLOSING";
	default: return "";
	}
}

/* close() of the last descriptor, or shutdown() of the sending side: the
 * RFC's CLOSE call, after which this side sends nothing more. */
static bool row_is_user_close(const struct conn_row *r)
{
	const struct syn_syscall *s = &r->ev.sys;

	if (r->ev.kind != SYN_EV_SYSCALL || s->phase != SYN_PHASE_ENTRY)
		return false;
	if (s->call == SYN_CALL_CLOSE)
		return s->last_ref;
	return s->call == SYN_CALL_SHUTDOWN && (s->arg == SHUT_WR || s->arg == SHUT_RDWR);
}

/* TIME-WAIT's end: the timewait socket's timer seen to fire, or the figure's
 * (2 MSL) after a lane left in TIME-WAIT (rfc_with_msl_ends). */
static bool row_is_msl_end(const struct conn_row *r)
{
	/* the timer's end, seen (the kernel's) or expected (rfc_with_msl_ends,
	 * marked inferred); an inferred TIME_WAIT -> CLOSE is an RST's kill */
	return r->ev.kind == SYN_EV_TIMEWAIT && r->ev.tw.substate == ST_TIME_WAIT;
}

static struct lane_ev *lane_add(struct lane *l, enum lane_ev_kind kind, int seg, size_t row)
{
	struct lane_ev *e = &l->ev[l->n++];

	*e = (struct lane_ev){ .kind = kind, .seg = seg, .row = row, .last_state = -1,
			       .first_effect = -1 };
	return e;
}

/* Segments, calls and TIME-WAIT ends, in row order on each lane. */
static void rfc_collect(struct rfc_ctx *x, long *seg_of_row)
{
	const struct conn *c = x->c;

	for (size_t i = 0; i < c->nrows; i++)
		seg_of_row[i] = -1;
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];
		struct lane *l = &x->lane[r->end & 1];

		if (r->ev.kind == SYN_EV_SEGMENT) {
			long p = r->pair;
			bool paired = p >= 0 && (size_t)p < c->nrows && (size_t)p != i &&
				      c->rows[p].end != r->end && c->rows[p].ev.kind == SYN_EV_SEGMENT &&
				      c->rows[p].ev.seg.dir != r->ev.seg.dir;
			long s = paired ? seg_of_row[p] : -1;
			bool tx = r->ev.seg.dir == SYN_DIR_TX;

			if (s < 0) {
				s = (long)x->nsegs++;
				x->segs[s] = (struct seg_item){ .sender = seg_sender(&r->ev, r->end & 1),
								.tx = -1, .rx = -1, .dep = -1, .arr = -1 };
			}
			seg_of_row[i] = s;
			if (tx) {
				x->segs[s].tx = (long)i;
				x->segs[s].dep = (int)l->n;
				lane_add(l, LEV_DEP, (int)s, i);
				if ((r->ev.seg.flags & SYN_TCP_FIN) && !l->have_fin) {
					l->have_fin = true;
					l->fin_end = r->ev.seg.seq + r->ev.seg.len + 1;
				}
			} else {
				x->segs[s].rx = (long)i;
				x->segs[s].arr = (int)l->n;
				lane_add(l, LEV_ARR, (int)s, i);
			}
		} else if (row_is_user_close(r) && !l->closed && r->state_after[r->end & 1] != ST_CLOSE) {
			/* closing a connection that is already gone is no CLOSE call */
			l->closed = true;
			lane_add(l, LEV_CALL, -1, i);
		} else if (row_is_msl_end(r)) {
			lane_add(l, LEV_MSL, -1, i)->last_state = (long)i;
		}
	}
}

/* ---- which lane event each state change belongs to ----------------------- */

/* What makes a TCP take a state change, as far as it shows in a trace. */
enum cause {
	CAUSE_USER,        /* a call: connect, close, shutdown */
	CAUSE_BARE_SYN,    /* a SYN without ACK arrived */
	CAUSE_SYNACK,      /* a SYN,ACK arrived */
	CAUSE_ACK_OF_SYN,  /* the ACK of our SYN arrived */
	CAUSE_FIN,         /* the peer's FIN arrived */
	CAUSE_ACK_OF_FIN,  /* the ACK of our FIN arrived */
	CAUSE_CLOSE,       /* a reset, or (from LAST_ACK) the ACK of our FIN */
	CAUSE_OTHER,
};

static enum cause state_cause(const struct conn_row *r)
{
	unsigned int from = r->ev.state.oldstate, to = r->ev.state.newstate;

	switch (to) {
	case ST_SYN_SENT:
	case ST_FIN_WAIT1:
	case ST_LAST_ACK:
		return CAUSE_USER;
	case ST_SYN_RECV:
	case ST_NEW_SYN_RECV:
		/* the inferred one sits at the SYN; the kernel's comes with the
		 * child socket, at the ACK that completes the handshake */
		return from == ST_SYN_SENT || (r->marks & ROW_INFERRED) ? CAUSE_BARE_SYN
									: CAUSE_ACK_OF_SYN;
	case ST_ESTABLISHED:
		return from == ST_SYN_SENT ? CAUSE_SYNACK : CAUSE_ACK_OF_SYN;
	case ST_CLOSE_WAIT:
	case ST_CLOSING:
		return CAUSE_FIN;
	case ST_TIME_WAIT:
		return from == ST_FIN_WAIT2 ? CAUSE_FIN : CAUSE_ACK_OF_FIN;
	case ST_FIN_WAIT2:
		return CAUSE_ACK_OF_FIN;
	case ST_CLOSE:
		return CAUSE_CLOSE;
	default:
		return CAUSE_OTHER;
	}
}

static bool acks(const struct syn_segment *s, __u32 end)
{
	return (s->flags & SYN_TCP_ACK) && (__s32)(s->ack - end) >= 0;
}

/* Could segment s, arriving at lane, have made the change r? */
static bool arrival_causes(const struct rfc_ctx *x, int lane, const struct syn_segment *s,
			   const struct conn_row *r, enum cause why)
{
	const struct lane *l = &x->lane[lane];
	bool isn = x->base.known[lane];
	__u32 syn_end = x->base.isn[lane] + 1;

	switch (why) {
	case CAUSE_BARE_SYN:
		return (s->flags & SYN_TCP_SYN) && !(s->flags & SYN_TCP_ACK);
	case CAUSE_SYNACK:
		return (s->flags & SYN_TCP_SYN) && (s->flags & SYN_TCP_ACK);
	case CAUSE_ACK_OF_SYN:
		return isn ? acks(s, syn_end) : !!(s->flags & SYN_TCP_ACK);
	case CAUSE_FIN:
		return s->flags & SYN_TCP_FIN;
	case CAUSE_ACK_OF_FIN:
		return l->have_fin ? acks(s, l->fin_end) : !!(s->flags & SYN_TCP_ACK);
	case CAUSE_CLOSE:
		if (s->flags & SYN_TCP_RST)
			return true;
		return r->ev.state.oldstate == ST_LAST_ACK &&
		       (l->have_fin ? acks(s, l->fin_end) : !!(s->flags & SYN_TCP_ACK));
	default:
		return false;
	}
}

/* Is lane event k an arrival that made change r (row i)? Not when the same
 * segment arrives again before r: that copy was dropped before TCP saw it
 * (a firewall, a full queue), and its sender sent it again. */
static bool arrival_for(const struct rfc_ctx *x, int lane, size_t k, size_t i,
			const struct conn_row *r, enum cause why)
{
	const struct lane *l = &x->lane[lane];
	const struct syn_segment *s;

	if (l->ev[k].kind != LEV_ARR)
		return false;
	s = &x->c->rows[l->ev[k].row].ev.seg;
	if (!arrival_causes(x, lane, s, r, why))
		return false;
	for (size_t j = k + 1; j < l->n && l->ev[j].row < i; j++) {
		const struct syn_segment *o = &x->c->rows[l->ev[j].row].ev.seg;

		if (l->ev[j].kind == LEV_ARR && o->seq == s->seq && o->len == s->len &&
		    o->flags == s->flags)
			return false;
	}
	return true;
}

/* The lane event on lane before row (the newest), or after it (the oldest). */
static long lane_ev_near(const struct lane *l, size_t row, bool after, int only_kind)
{
	if (after) {
		for (size_t k = 0; k < l->n; k++)
			if (l->ev[k].row > row && (only_kind < 0 || (int)l->ev[k].kind == only_kind))
				return (long)k;
		return -1;
	}
	for (size_t k = l->n; k-- > 0;)
		if (l->ev[k].row < row && (only_kind < 0 || (int)l->ev[k].kind == only_kind))
			return (long)k;
	return -1;
}

/* The lane event that made state change r (row i), or -1. */
static long state_owner(const struct rfc_ctx *x, const struct conn_row *r, size_t i,
			size_t *next_arr)
{
	int e = r->end & 1;
	const struct lane *l = &x->lane[e];
	enum cause why = state_cause(r);
	long target = -1;

	if (why == CAUSE_USER) {
		/* the (Close) just before it, else what the call sent */
		target = lane_ev_near(l, i, false, -1);
		if (target < 0 || l->ev[target].kind != LEV_CALL)
			target = lane_ev_near(l, i, true, LEV_DEP);
	} else if (why != CAUSE_OTHER && (r->marks & ROW_INFERRED)) {
		/* the tracker put it right after the arrival it stands for */
		for (size_t k = l->n; k-- > 0 && target < 0;)
			if (l->ev[k].row < i && arrival_for(x, e, k, i, r, why))
				target = (long)k;
	} else if (why != CAUSE_OTHER) {
		for (size_t k = *next_arr; k < l->n && l->ev[k].row < i && target < 0; k++)
			if (arrival_for(x, e, k, i, r, why))
				target = (long)k;
	}
	if (target >= 0 && l->ev[target].kind == LEV_ARR && (size_t)target > *next_arr)
		*next_arr = (size_t)target;
	if (target < 0) /* nothing in the trace explains it: the lane's nearest event */
		target = lane_ev_near(l, i, false, -1);
	if (target < 0)
		target = lane_ev_near(l, i, true, -1);
	return target;
}

/*
 * Give every state change to the lane event that made it. The kernel
 * reports an arrival when the device hands it up, and the state change when
 * TCP processes it, which may be later (the socket was busy: its user was
 * sending), after the lane's next departure. So a change caused by an
 * arrival goes to the oldest arrival not yet processed that could have
 * caused it (a socket processes arrivals in order), skipping copies that
 * were dropped and sent again; a change the tracker inferred, to the arrival
 * it placed it after; a change made by the user, to its (Close), or to
 * the departure that follows it (SYN after connect).
 */
static void rfc_attach_states(struct rfc_ctx *x)
{
	const struct conn *c = x->c;
	size_t next_arr[2] = { 0, 0 };  /* index in lane.ev: arrivals before it are processed */
	__u8 prev[2] = { x->lane[0].initial, x->lane[1].initial };

	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];
		int e = r->end & 1;

		/* a row that changes nothing: the kernel's CLOSE while a timewait
		 * socket carries on, its late LISTEN -> SYN_RECV */
		if (r->ev.kind == SYN_EV_STATE && !row_is_msl_end(r) && r->state_after[e] != prev[e]) {
			long owner = state_owner(x, r, i, &next_arr[e]);

			if (owner >= 0) {
				struct lane_ev *t = &x->lane[e].ev[owner];

				if (t->last_state < (long)i)
					t->last_state = (long)i;
				if (t->kind == LEV_ARR && t->first_effect < 0)
					t->first_effect = (long)i;
			}
		}
		prev[0] = r->state_after[0];
		prev[1] = r->state_after[1];
	}
}

static int cmp_lane_ev(const void *a, const void *b)
{
	const struct lane_ev *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * Put each lane's events in the order its TCP did them. An arrival was
 * processed at the latest just before the first thing it caused: a state
 * change, or a departure that acknowledges sequence space it brought. It
 * moves there, past departures its lane made before processing it, and the
 * lane's later arrivals keep their order behind it. Then every event gets
 * the lane's state after it.
 */
static void rfc_order_lane(struct rfc_ctx *x, int e)
{
	const struct conn *c = x->c;
	struct lane *l = &x->lane[e];
	__u64 prev_arr = 0;
	bool any_arr = false, have_rcv = false;
	__u32 rcv_end = 0;

	for (size_t k = 0; k < l->n; k++) {
		struct lane_ev *a = &l->ev[k];

		a->key = ((__u64)a->row << 10) | 512;
		if (a->kind != LEV_ARR)
			continue;

		const struct syn_segment *s = &c->rows[a->row].ev.seg;
		__u32 space = s->len + !!(s->flags & SYN_TCP_SYN) + !!(s->flags & SYN_TCP_FIN);
		__u32 end = s->seq + space;
		long effect = a->first_effect;

		/* only new sequence space gets acknowledged: a SYN,ACK that
		 * repeats the SYN already received brings none */
		if (space && (!have_rcv || (__s32)(end - rcv_end) > 0)) {
			for (size_t j = k + 1; j < l->n && j <= k + RFC_ACK_WINDOW; j++) {
				const struct lane_ev *d = &l->ev[j];

				if (d->kind == LEV_DEP && acks(&c->rows[d->row].ev.seg, end)) {
					if (effect < 0 || (long)d->row < effect)
						effect = (long)d->row;
					break;
				}
			}
			rcv_end = end;
			have_rcv = true;
		}
		if (effect > (long)a->row)
			a->key = ((__u64)effect << 10) | 256;
		if (any_arr && a->key <= prev_arr)
			a->key = prev_arr + 1;
		prev_arr = a->key;
		any_arr = true;
	}
	qsort(l->ev, l->n, sizeof(*l->ev), cmp_lane_ev);
	/* the segments' event indexes after the sort */
	for (size_t k = 0; k < l->n; k++) {
		struct lane_ev *a = &l->ev[k];

		if (a->kind == LEV_DEP)
			x->segs[a->seg].dep = (int)k;
		else if (a->kind == LEV_ARR)
			x->segs[a->seg].arr = (int)k;
	}

	long newest = -1;
	__u8 st = l->initial;
	bool inferred = false;
	for (size_t k = 0; k < l->n; k++) {
		struct lane_ev *a = &l->ev[k];

		if (a->last_state > newest) {
			newest = a->last_state;
			st = c->rows[newest].state_after[e];
			inferred = c->rows[newest].marks & ROW_INFERRED;
		}
		a->state = st;
		a->inferred = inferred;
	}
}

/* ---- one drawing for both lanes ---------------------------------------- */

static struct lane_ev *lane_head(struct rfc_ctx *x, int e)
{
	struct lane *l = &x->lane[e];

	return l->head < l->n ? &l->ev[l->head] : NULL;
}

static bool seg_paired(const struct rfc_ctx *x, int s)
{
	return x->segs[s].dep >= 0 && x->segs[s].arr >= 0;
}

/* An arrival can be drawn once its departure has been. */
static bool head_ready(const struct rfc_ctx *x, const struct lane_ev *h)
{
	return h && (h->kind != LEV_ARR || !seg_paired(x, h->seg) || x->segs[h->seg].dep_shown);
}

/* The lane is about to send a segment the other lane will receive:
 * its head is that departure, or a (Close) right before it. */
static bool head_departs(const struct rfc_ctx *x, int e)
{
	const struct lane *l = &x->lane[e];

	for (size_t k = l->head; k < l->n; k++) {
		const struct lane_ev *a = &l->ev[k];

		if (a->kind == LEV_CALL)
			continue;
		return a->kind == LEV_DEP && seg_paired(x, a->seg);
	}
	return false;
}

static void shown_add(struct rfc_ctx *x, enum shown_kind kind, int lane, int seg)
{
	x->shown[x->nshown++] = (struct shown){ .kind = kind, .lane = lane, .seg = seg };
}

/* Draw lane e's head event alone. */
static void take_head(struct rfc_ctx *x, int e)
{
	struct lane_ev *h = &x->lane[e].ev[x->lane[e].head++];

	switch (h->kind) {
	/* A segment seen at one end only: when the other end is traced too,
	 * its other half is missing (dropped, or sent as one GSO segment and
	 * received as several), so it stays "..." on that side; a remote peer's
	 * side is drawn whole, without a state. */
	case LEV_DEP:
		x->segs[h->seg].dep_shown = true;
		shown_add(x, seg_paired(x, h->seg) || x->lane[!e].traced ? SH_DEP : SH_FULL,
			  e, h->seg);
		break;
	case LEV_ARR:
		shown_add(x, seg_paired(x, h->seg) || x->lane[!e].traced ? SH_ARR : SH_FULL,
			  !e, h->seg);
		break;
	case LEV_CALL:
		shown_add(x, SH_CALL, e, -1);
		break;
	case LEV_MSL:
		shown_add(x, SH_MSL, e, -1);
		break;
	}
	x->shown[x->nshown - 1].row = h->row;
}

/*
 * Merge the two lanes into one drawing. Each lane keeps its own order and
 * every segment leaves before it arrives; between the lanes, the drawing
 * chooses what reads best, as the RFC's figures do:
 * - a segment whose departure and arrival can be next to each other is one
 *   line;
 * - when both peers are about to send (the segments will cross), Peer A's
 *   goes first, and an arrival is drawn before a new departure: Peer A's
 *   segment leaves, Peer B's crosses it whole, Peer A's arrives;
 * - otherwise, the earlier event first.
 */
static void rfc_merge_lanes(struct rfc_ctx *x)
{
	for (;;) {
		struct lane_ev *h[2] = { lane_head(x, 0), lane_head(x, 1) };
		bool ready[2] = { head_ready(x, h[0]), head_ready(x, h[1]) };
		int pick = -1;

		if (!h[0] && !h[1])
			break;
		for (int e = 0; e < 2; e++) {
			if (h[e] && h[!e] && h[e]->kind == LEV_DEP && h[!e]->kind == LEV_ARR &&
			    h[e]->seg == h[!e]->seg) {
				x->segs[h[e]->seg].dep_shown = true;
				shown_add(x, SH_FULL, e, h[e]->seg);
				x->lane[0].head++;
				x->lane[1].head++;
				goto next;
			}
		}
		if (ready[0] && ready[1]) {
			bool dep0 = head_departs(x, 0), dep1 = head_departs(x, 1);

			if (dep0 && dep1)
				pick = 0;
			else if (dep0 && h[1]->kind == LEV_ARR)
				pick = 1;
			else if (dep1 && h[0]->kind == LEV_ARR)
				pick = 0;
			else
				pick = h[0]->key <= h[1]->key ? 0 : 1;
		} else if (ready[0] || ready[1]) {
			pick = ready[0] ? 0 : 1;
		} else {
			/* both wait for a departure never drawn: should not happen;
			 * draw the earlier arrival as if its sender were unseen */
			pick = !h[1] || (h[0] && h[0]->key <= h[1]->key) ? 0 : 1;
			x->segs[h[pick]->seg].dep_shown = true;
		}
		take_head(x, pick);
next:;
	}
}

/* ---- from drawing steps to printed lines -------------------------------- */

static struct subline *line_new(struct rfc_ctx *x, bool numbered)
{
	if (x->nlines == x->cap_lines) {
		size_t ncap = x->cap_lines ? x->cap_lines * 2 : 32;
		struct subline *p = realloc(x->lines, ncap * sizeof(*p));

		if (!p)
			return NULL;
		x->lines = p;
		x->cap_lines = ncap;
	}
	struct subline *s = &x->lines[x->nlines++];

	memset(s, 0, sizeof(*s));
	s->ex[0] = s->ex[1] = -1;
	if (numbered)
		s->num = ++x->num;
	return s;
}

/* Lane e's state into side (blank for a lane only seen as packets: its
 * states would be guesses); a state the kernel did not report there gets
 * a *, as in the ladder. */
static void put_state(struct rfc_ctx *x, char *side, int e, __u8 st, bool inferred)
{
	if (!x->lane[e].traced || !st)
		return;
	snprintf(side, RFC_SIDE_LEN, "%s%s", rfc_state_name(st), inferred ? "*" : "");
	x->last_shown[e] = st;
	x->any_inferred |= inferred;
}

static void put_lane_state(struct rfc_ctx *x, char *side, int e, const struct lane_ev *a)
{
	put_state(x, side, e, a->state, a->inferred);
}

/* "TCP Peer A"; a UDP flow's peers are no TCP peers. */
static const char *peer_title(const struct conn *c, int lane)
{
	if (c->proto == IPPROTO_UDP)
		return lane ? "UDP Peer B" : "UDP Peer A";
	return lane ? "TCP Peer B" : "TCP Peer A";
}

static void seg_label(const struct rfc_ctx *x, const struct conn_row *r, int sender, char *buf,
		      size_t len)
{
	const struct syn_segment *s = &r->ev.seg;
	const struct seq_base *b = x->o->relative_seq ? &x->base : NULL;
	char flags[64];
	int n;

	if (r->ev.proto == IPPROTO_UDP) { /* a datagram: no sequence, no control bits */
		snprintf(buf, len, "<DATA>");
		return;
	}
	n = snprintf(buf, len, "<SEQ=%u>", seq_rel(b, sender, s->seq));
	if (s->flags & SYN_TCP_ACK && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "<ACK=%u>", seq_rel(b, !sender, s->ack));
	if (s->flags && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "<CTL=%s>",
			      tcp_flags_str(s->flags, ",", flags, sizeof(flags)));
	if (s->len && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "<DATA>");
}

/* The row a segment is drawn from: its departure when seen. */
static const struct conn_row *seg_row(const struct rfc_ctx *x, int s)
{
	return &x->c->rows[x->segs[s].tx >= 0 ? x->segs[s].tx : x->segs[s].rx];
}

/* A segment's line: arrows for the form, states of the lanes it shows. */
static struct subline *segment_line(struct rfc_ctx *x, enum shown_kind form, int s, bool numbered,
				    bool states)
{
	struct subline *l = line_new(x, numbered);
	const struct seg_item *g = &x->segs[s];
	const struct conn_row *r = seg_row(x, s);
	bool to_b = g->sender == 0;
	const char *arrow = to_b ? "-->" : "<--";

	if (!l)
		return NULL;
	seg_label(x, r, g->sender, l->seg, sizeof(l->seg));
	l->flags = r->ev.seg.flags;
	l->ex[0] = form == SH_ARR ? g->rx : g->tx >= 0 ? g->tx : g->rx;
	l->ex[1] = form == SH_FULL && g->tx >= 0 ? g->rx : -1;
	/* the sender's side of a departure, the receiver's side of an arrival */
	l->larrow = form == (to_b ? SH_ARR : SH_DEP) ? "..." : arrow;
	l->rarrow = form == (to_b ? SH_DEP : SH_ARR) ? "..." : arrow;
	if (!states)
		return l;
	if (form != SH_ARR && g->dep >= 0)
		put_lane_state(x, g->sender == 0 ? l->left : l->right, g->sender,
			       &x->lane[g->sender].ev[g->dep]);
	if (form != SH_DEP && g->arr >= 0)
		put_lane_state(x, g->sender == 0 ? l->right : l->left, !g->sender,
			       &x->lane[!g->sender].ev[g->arr]);
	return l;
}

/* (Close) on the sides that called it, as the first line of an entry. */
static bool calls_line(struct rfc_ctx *x, bool calls[2])
{
	struct subline *l;

	if (!calls[0] && !calls[1])
		return false;
	l = line_new(x, true);
	if (l) {
		if (calls[0])
			txt_copy(l->left, sizeof(l->left), "(Close)");
		if (calls[1])
			txt_copy(l->right, sizeof(l->right), "(Close)");
		for (int e = 0; e < 2; e++)
			l->ex[e] = calls[e] ? x->call_row[e] : -1;
	}
	calls[0] = calls[1] = false;
	return true;
}

/* A (Close) of lane e, from row, to draw with what comes next. */
static void take_call(struct rfc_ctx *x, bool calls[2], int e, size_t row)
{
	if (!calls[e])
		x->call_row[e] = (long)row;
	calls[e] = true;
}

static bool seg_has_syn(const struct rfc_ctx *x, int s)
{
	return seg_row(x, s)->ev.seg.flags & SYN_TCP_SYN;
}

/*
 * Segments that cross, drawn as one entry, the way RFC 9293's Figure 13
 * draws a simultaneous close: Peer A's (or B's) departure with both peers'
 * states, the other peer's segment whole, then the first one's arrival;
 * what the arrivals change shows on the next entry. Crossing SYNs are drawn
 * line by line instead, as Figure 7 draws a simultaneous open. Returns how
 * many drawing steps the entry took, 0 when steps i... are not such a
 * crossing. calls collects (Close) found inside.
 */
static size_t crossing_entry(struct rfc_ctx *x, size_t i, bool calls[2])
{
	size_t k = i, dep, full, arr;

	if (x->shown[k].kind != SH_DEP)
		return 0;
	dep = k++;
	while (k < x->nshown && x->shown[k].kind == SH_CALL)
		k++;
	if (k >= x->nshown || x->shown[k].kind != SH_FULL)
		return 0;
	full = k++;
	while (k < x->nshown && x->shown[k].kind == SH_CALL)
		k++;
	size_t calls_end = k;
	if (k >= x->nshown || x->shown[k].kind != SH_ARR || x->shown[k].seg != x->shown[dep].seg)
		return 0;
	arr = k++;

	const struct seg_item *a = &x->segs[x->shown[dep].seg], *b = &x->segs[x->shown[full].seg];
	if (a->sender == b->sender || !seg_paired(x, x->shown[full].seg) ||
	    seg_has_syn(x, x->shown[dep].seg) || seg_has_syn(x, x->shown[full].seg))
		return 0;

	for (size_t j = dep; j < calls_end; j++)
		if (x->shown[j].kind == SH_CALL)
			take_call(x, calls, x->shown[j].lane, x->shown[j].row);
	bool numbered = !calls_line(x, calls);
	struct subline *l = segment_line(x, SH_DEP, x->shown[dep].seg, numbered, false);

	if (l) {
		/* both senders' states after sending */
		put_lane_state(x, a->sender == 0 ? l->left : l->right, a->sender,
			       &x->lane[a->sender].ev[a->dep]);
		put_lane_state(x, b->sender == 0 ? l->left : l->right, b->sender,
			       &x->lane[b->sender].ev[b->dep]);
	}
	segment_line(x, SH_FULL, x->shown[full].seg, false, false);
	segment_line(x, SH_ARR, x->shown[arr].seg, false, false);
	return k - i;
}

/* The ends of TIME-WAIT (one lane, or both next to each other): the states
 * not shown yet, (2 MSL), then CLOSED. */
static size_t msl_entry(struct rfc_ctx *x, size_t i, bool calls[2])
{
	bool side[2] = { false, false }, stale = false;
	const struct lane_ev *before[2] = { NULL, NULL }, *after[2] = { NULL, NULL };
	struct lane_ev start[2] = { { 0 }, { 0 } }; /* a lane's state before its first event */
	size_t k = i;

	for (; k < x->nshown && x->shown[k].kind == SH_MSL && !side[x->shown[k].lane]; k++) {
		int e = x->shown[k].lane;
		struct lane *l = &x->lane[e];

		side[e] = true;
		start[e].state = l->initial;
		for (size_t j = 0; j < l->n; j++) {
			if (l->ev[j].kind != LEV_MSL)
				continue;
			before[e] = j ? &l->ev[j - 1] : &start[e];
			after[e] = &l->ev[j];
			break;
		}
		stale |= before[e] && before[e]->state != x->last_shown[e];
		/* the end the trace did not reach is the figure's, not an event */
		x->msl_predicted |= after[e] && after[e]->inferred;
	}

	bool numbered = !calls_line(x, calls);
	struct subline *l;

	if (stale && (l = line_new(x, numbered))) {
		numbered = false;
		for (int e = 0; e < 2; e++)
			if (side[e] && before[e])
				put_lane_state(x, e ? l->right : l->left, e, before[e]);
	}
	if ((l = line_new(x, numbered))) {
		if (side[0])
			txt_copy(l->left, sizeof(l->left), "(2 MSL)");
		if (side[1])
			txt_copy(l->right, sizeof(l->right), "(2 MSL)");
		for (size_t j = i; j < k; j++)
			l->ex[x->shown[j].lane] = (long)x->shown[j].row;
	}
	if ((l = line_new(x, false)))
		for (int e = 0; e < 2; e++)
			if (side[e] && after[e])
				put_lane_state(x, e ? l->right : l->left, e, after[e]);
	return k - i;
}

static void rfc_build_lines(struct rfc_ctx *x)
{
	struct subline *l = line_new(x, true);
	bool calls[2] = { false, false };

	/* 1. where both peers start */
	if (l) {
		put_state(x, l->left, 0, x->lane[0].initial, false);
		put_state(x, l->right, 1, x->lane[1].initial, false);
	}
	for (size_t i = 0; i < x->nshown;) {
		const struct shown *s = &x->shown[i];
		size_t used;

		if (s->kind == SH_CALL) {
			take_call(x, calls, s->lane, s->row);
			i++;
			continue;
		}
		if ((used = crossing_entry(x, i, calls))) {
			i += used;
			continue;
		}
		if (s->kind == SH_MSL) {
			i += msl_entry(x, i, calls);
			continue;
		}
		segment_line(x, s->kind, s->seg, !calls_line(x, calls), true);
		i++;
	}
	calls_line(x, calls); /* a close that nothing followed */
}

/* ---- printing ------------------------------------------------------------ */

struct rfc_layout {
	int num_w, state_w, seg_w, right_col;
};

static struct rfc_layout rfc_layout(const struct rfc_ctx *x)
{
	struct rfc_layout y = { .num_w = RFC_MIN_NUM_W, .state_w = RFC_MIN_STATE_W };
	int digits = 1, seg = 0;

	for (int n = x->num; n >= 10; n /= 10)
		digits++;
	if (digits + 2 > y.num_w)
		y.num_w = digits + 2;
	for (size_t i = 0; i < x->nlines; i++) {
		int w = (int)strlen(x->lines[i].left) + 1, s = (int)strlen(x->lines[i].seg);

		if (w > y.state_w)
			y.state_w = w;
		if (s > seg)
			seg = s;
	}
	y.seg_w = seg + RFC_SEG_GAP;
	y.right_col = y.num_w + y.state_w + 4 + y.seg_w + 4;
	return y;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The end of the step made of lines [from, to): --explain's comment lines
 * (what its segments and (Close) mean, in row order), then --pace's pause. */
static void rfc_end_step(const struct rfc_ctx *x, size_t from, size_t to, int indent)
{
	long rows[16];
	size_t n = 0;
	char text[512], line[600];

	for (size_t i = from; x->notes && i < to; i++)
		for (int k = 0; k < 2; k++)
			if (x->lines[i].ex[k] >= 0 && n < sizeof(rows) / sizeof(rows[0]))
				rows[n++] = x->lines[i].ex[k];
	qsort(rows, n, sizeof(rows[0]), cmp_long);
	for (size_t k = 0; k < n; k++) {
		size_t r = (size_t)rows[k];

		if ((k && rows[k] == rows[k - 1]) || x->notes[r].key == EX_NONE)
			continue;
		/* the lane first: both peers may do the same in one step */
		explain_text(x->c, r, &x->notes[r], x->o->explain, text, sizeof(text));
		snprintf(line, sizeof(line), "%s%s%s", explain_lane(x->c->rows[r].end & 1, x->o->explain),
			 x->o->explain == EXPLAIN_ZH ? "：" : ": ", text);
		txt_wrap_utf8_marked(x->o->out, line, indent, "# ", rfc_width(x->o));
	}
	if (x->o->pace_ms)
		txt_pause(x->o->out, x->o->pace_ms);
}

static void rfc_print_lines(const struct rfc_ctx *x)
{
	struct rfc_layout y = rfc_layout(x);
	FILE *f = x->o->out;
	struct txt_line t;
	size_t step = 0;

	txt_line_start(&t, f, false);
	txt_line_pad_to(&t, y.num_w);
	txt_line_put(&t, TXT_PLAIN, peer_title(x->c, 0));
	txt_line_gap_to(&t, y.right_col);
	txt_line_put(&t, TXT_PLAIN, peer_title(x->c, 1));
	txt_line_end(&t);

	for (size_t i = 0; i < x->nlines; i++) {
		const struct subline *s = &x->lines[i];
		int col = y.num_w + y.state_w;

		if (s->num)
			fputc('\n', f);
		txt_line_start(&t, f, x->o->color);
		if (s->num) {
			char num[16];

			snprintf(num, sizeof(num), "%d.", s->num);
			txt_line_put(&t, TXT_PLAIN, num);
		}
		txt_line_pad_to(&t, y.num_w);
		txt_line_put(&t, TXT_PLAIN, s->left);
		if (s->larrow) {
			txt_line_pad_to(&t, col);
			txt_line_put(&t, TXT_PLAIN, s->larrow);
			txt_line_pad_to(&t, col + 4);
			txt_line_put(&t, txt_segment_color(s->flags, false), s->seg);
			txt_line_pad_to(&t, col + 4 + y.seg_w);
			txt_line_put(&t, TXT_PLAIN, s->rarrow);
		}
		if (s->right[0]) {
			txt_line_pad_to(&t, y.right_col);
			txt_line_put(&t, TXT_PLAIN, s->right);
		}
		txt_line_end(&t);
		if (i + 1 == x->nlines || x->lines[i + 1].num) {
			rfc_end_step(x, step, i + 1, y.num_w);
			step = i + 1;
		}
	}
}

/* What a * means, under a figure that has one. */
static void rfc_print_footnotes(const struct rfc_ctx *x)
{
	FILE *f = x->o->out;

	if (!x->any_inferred)
		return;
	fputc('\n', f);
	/* at the drawing's width: on an 80-column terminal the first is too long */
	txt_wrap(f, "* inferred: Linux does not report this state at this step (docs/rfc-style.md)",
		 ' ', 4, 6, rfc_width(x->o));
	if (x->msl_predicted)
		txt_wrap(f, "(2 MSL) CLOSED*: expected; the trace ended before TIME-WAIT did", ' ', 4, 6,
			 rfc_width(x->o));
}

static void rfc_print_header(const struct rfc_ctx *x)
{
	const struct conn *c = x->c;
	FILE *f = x->o->out;
	char text[400], ep[2][ADDR_STR_LEN], proc[2][48], when[64];

	for (int i = 0; i < 2; i++) {
		const struct conn_end *e = &c->end[i];

		endpoint_str(e->family, e->addr, e->port, ep[i], sizeof(ep[i]));
		txt_end_proc(e, proc[i], sizeof(proc[i]));
	}
	if (c->nrows)
		txt_wall_utc((__s64)c->rows[0].ev.ts_ns + x->o->wall_offset_ns, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "?");
	snprintf(text, sizeof(text), "connection %llu: started %s, %s%s", (unsigned long long)c->id,
		 when, c->complete ? "complete" : "INCOMPLETE: still open when tracing stopped",
		 c->maybe_lost ? ";\tevents were lost, this figure may be incomplete" : "");
	txt_wrap(f, text, '\t', 0, 4, rfc_width(x->o));
	for (int i = 0; i < 2; i++)
		fprintf(f, "  %s: %s %s\n", peer_title(c, i), ep[i], proc[i]);
	fputc('\n', f);
}

/* Where lane e starts: its state before its first row. */
static __u8 initial_state(const struct conn *c, int e)
{
	if (!c->nrows)
		return 0;
	if (c->rows[0].ev.kind == SYN_EV_STATE && c->rows[0].end == e)
		return c->rows[0].ev.state.oldstate;
	return c->rows[0].state_after[e];
}

/* c's first real rows are the trace's; the rest are drawn only (2MSL ends):
 * --explain says nothing of those. */
static void rfc_render_conn(const struct sink_opts *o, const struct conn *c, size_t real)
{
	struct rfc_ctx x = { .c = c, .o = o };
	size_t n = c->nrows ? c->nrows : 1;
	long *seg_of_row = calloc(n, sizeof(*seg_of_row)); /* row -> its segment */

	x.segs = calloc(n, sizeof(*x.segs));
	x.shown = calloc(n, sizeof(*x.shown));
	x.lane[0].ev = calloc(n, sizeof(struct lane_ev));
	x.lane[1].ev = calloc(n, sizeof(struct lane_ev));
	if (!seg_of_row || !x.segs || !x.shown || !x.lane[0].ev || !x.lane[1].ev) {
		fprintf(o->out, "connection %llu: out of memory\n\n", (unsigned long long)c->id);
		goto out;
	}
	seq_base_scan(&x.base, c, c->nrows);
	for (int e = 0; e < 2; e++) {
		x.lane[e].initial = initial_state(c, e);
		x.lane[e].traced = c->end[e].traced;
	}
	if (o->explain && (x.notes = calloc(n, sizeof(*x.notes)))) {
		struct conn traced = *c;

		traced.nrows = real;
		explain_conn(&traced, x.notes);
	}
	rfc_collect(&x, seg_of_row);
	rfc_attach_states(&x);
	rfc_order_lane(&x, 0);
	rfc_order_lane(&x, 1);
	rfc_merge_lanes(&x);
	rfc_build_lines(&x);

	rfc_print_header(&x);
	rfc_print_lines(&x);
	rfc_print_footnotes(&x);
	fputc('\n', o->out);
out:
	free(seg_of_row);
	free(x.segs);
	free(x.shown);
	free(x.lane[0].ev);
	free(x.lane[1].ev);
	free(x.lines);
	free(x.notes);
}

static void rfc_event(struct syn_sink *s, const struct syn_event *e, const struct conn *conn,
		      int end)
{
	/* drawn whole, once the connection is done */
	(void)s, (void)e, (void)conn, (void)end;
}

/* The figures begin with the connection: a listener's setup drawn before
 * it (conn.setup_rows) is left out, as the RFC's LISTEN has no calls. And
 * they end a lane left in TIME-WAIT with "(2 MSL) CLOSED": the textbook's
 * timeline. When the trace ended first, a copy of the rows gets that end,
 * 2MSL after TIME-WAIT began, for the drawing only, marked inferred: it is
 * drawn "CLOSED*" and the footnote says it was expected. */
static struct conn_row *rfc_with_msl_ends(const struct conn *c, size_t *n, size_t *real)
{
	size_t skip = c->setup_rows <= c->nrows ? c->setup_rows : 0;
	struct conn_row *rows = malloc((c->nrows - skip + 2) * sizeof(*rows));
	__u8 st[2] = { 0, 0 };

	*n = *real = c->nrows - skip;
	if (!rows)
		return NULL;
	memcpy(rows, c->rows + skip, *n * sizeof(*rows));
	for (size_t i = 0; i < *n; i++)
		if (rows[i].ev.kind == SYN_EV_SEGMENT && rows[i].pair >= 0)
			rows[i].pair -= (__s32)skip;
	if (c->nrows) {
		st[0] = c->rows[c->nrows - 1].state_after[0];
		st[1] = c->rows[c->nrows - 1].state_after[1];
	}
	for (int k = 0; k < 2; k++) {
		int e = k;

		/* the lane that entered TIME-WAIT first ends it first */
		if (c->end[0].tw_since && c->end[1].tw_since && c->end[1].tw_since < c->end[0].tw_since)
			e = !k;
		if (c->end[e].state != ST_TIME_WAIT || !c->end[e].tw_since)
			continue;
		struct conn_row *r = &rows[(*n)++];

		memset(r, 0, sizeof(*r));
		r->ev.kind = SYN_EV_TIMEWAIT;
		r->ev.ts_ns = c->end[e].tw_since + TIME_WAIT_NS;
		r->ev.tw.substate = ST_TIME_WAIT;
		r->ev.tw.how = SYN_TW_TIMER;
		r->end = (__u8)e;
		r->marks = ROW_INFERRED;
		r->pair = -1;
		st[e] = ST_CLOSE;
		r->state_after[0] = st[0];
		r->state_after[1] = st[1];
	}
	return rows;
}

static void rfc_conn_done(struct syn_sink *s, const struct conn *conn)
{
	struct conn drawn = *conn;
	size_t real;
	struct conn_row *rows = rfc_with_msl_ends(conn, &drawn.nrows, &real);

	drawn.rows = rows ? rows : conn->rows;
	drawn.setup_rows = 0;
	if (!rows)
		drawn.nrows = real = conn->nrows;
	/* the trace's rows, without the setup left out: explained */
	rfc_render_conn(&((struct rfc_sink *)s)->opts, &drawn, real);
	free(rows);
}

static void rfc_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct rfc_sink *rs = (struct rfc_sink *)s;

	txt_halfopen(rs->opts.out, sum->halfopen, rs->opts.wall_offset_ns);
	txt_summary(rs->opts.out, sum);
	fflush(rs->opts.out);
}

static void rfc_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *rfc_sink_new(const struct sink_opts *o)
{
	struct rfc_sink *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->base = (struct syn_sink){
		.event = rfc_event,
		.conn_done = rfc_conn_done,
		.finish = rfc_finish,
		.destroy = rfc_destroy,
	};
	rs->opts = *o;
	return &rs->base;
}
