/*
 * A connection's timeline: pairs, marks, inferred states (timeline.h).
 *
 * Linux does not report two textbook states where the RFC draws them:
 * SYN-RECEIVED lives in a request socket until the final ACK (the kernel
 * reports LISTEN -> SYN_RECV only then, for the new child socket), and
 * TIME-WAIT lives in a timewait socket (the kernel reports FIN_WAIT2 -> CLOSE
 * or CLOSING -> CLOSE for the full socket). They are added at the textbook
 * moment, marked inferred, and so is the end of each: a reset that kills a
 * request or a timewait socket, or that a timewait socket sends.
 */
#include <netinet/in.h>
#include "track/timeline.h"
#include "track/tuple.h"

#define PAIR_WINDOW 256      /* rows searched for the other sighting of a segment */
#define NO_RST_WINDOW_NS 10000000ull /* an RST received this long before a reset event */

bool ev_is_syn(const struct syn_event *e)
{
	return e->kind == SYN_EV_SEGMENT &&
	       (e->seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == SYN_TCP_SYN;
}

bool ev_is_synack(const struct syn_event *e)
{
	return e->kind == SYN_EV_SEGMENT &&
	       (e->seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == (SYN_TCP_SYN | SYN_TCP_ACK);
}

static bool is_seg(const struct conn_row *r, int dir)
{
	return r->ev.kind == SYN_EV_SEGMENT && r->ev.seg.dir == dir;
}

/* An RST segment arriving at the row's lane. */
static bool is_rst_in(const struct conn_row *r)
{
	return is_seg(r, SYN_DIR_RX) && (r->ev.seg.flags & SYN_TCP_RST);
}

static bool is_reset(const struct conn_row *r)
{
	return r->ev.kind == SYN_EV_RESET ||
	       (r->ev.kind == SYN_EV_SEGMENT && (r->ev.seg.flags & SYN_TCP_RST));
}

/* ---- pairs ----------------------------------------------------------------- */

static bool same_segment(const struct syn_segment *a, const struct syn_segment *b)
{
	return a->seq == b->seq && a->ack == b->ack && a->flags == b->flags && a->len == b->len;
}

static bool pairs_with(const struct conn_row *tx, const struct conn_row *rx)
{
	return is_seg(tx, SYN_DIR_TX) && tx->end != rx->end && tx->pair < 0 &&
	       !(tx->marks & ROW_NOT_SENT) && same_segment(&tx->ev.seg, &rx->ev.seg);
}

void timeline_pair(struct conn_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].ev.kind == SYN_EV_SEGMENT)
			rows[i].pair = -1;
	for (size_t i = 0; i < n; i++) {
		struct conn_row *rx = &rows[i];
		size_t lo = i > PAIR_WINDOW ? i - PAIR_WINDOW : 0;
		size_t hi = i + PAIR_WINDOW < n ? i + PAIR_WINDOW : n;
		long best = -1;

		if (!is_seg(rx, SYN_DIR_RX))
			continue;
		/* the nearest earlier transmission first, a later one if the two
		 * ends' events came out of order */
		for (size_t j = i; j-- > lo;) {
			if (pairs_with(&rows[j], rx)) {
				best = (long)j;
				break;
			}
		}
		for (size_t j = i + 1; best < 0 && j < hi; j++)
			if (pairs_with(&rows[j], rx))
				best = (long)j;
		if (best >= 0) {
			rx->pair = (__s32)best;
			rows[best].pair = (__s32)i;
		}
	}
}

size_t timeline_cut(const struct conn_row *rows, size_t n, size_t want)
{
	size_t k = want < n ? want : n;
	bool moved = true;

	while (moved) {
		moved = false;
		for (size_t j = k; j < n; j++) {
			__s32 p = rows[j].ev.kind == SYN_EV_SEGMENT ? rows[j].pair : -1;

			if (p >= 0 && (size_t)p < k) {
				k = (size_t)p;
				moved = true;
			}
		}
	}
	return k;
}

/* ---- marks ----------------------------------------------------------------- */

static __u32 seq_space(const struct syn_segment *s)
{
	return s->len + !!(s->flags & SYN_TCP_SYN) + !!(s->flags & SYN_TCP_FIN);
}

static void mark_with_pair(struct conn_row *rows, size_t n, struct conn_row *r, __u8 mark)
{
	r->marks |= mark;
	if (r->ev.kind == SYN_EV_SEGMENT && r->pair >= 0 && (size_t)r->pair < n)
		rows[r->pair].marks |= mark;
}

/* A segment that resends sequence space its sender already sent is a
 * retransmission, whatever triggered it (timer, fast retransmit, probe):
 * judged on the sender's own transmissions, or on what its peer received
 * when the sender is not on this host. */
static void mark_retransmission(struct timeline *tl, struct conn_row *rows, size_t n,
				struct conn_row *r)
{
	int sender = r->ev.seg.dir == SYN_DIR_TX ? r->end : !r->end;
	bool from_sender = tl->have_tx[sender] ? (r->end == sender && is_seg(r, SYN_DIR_TX))
					       : (r->end != sender && is_seg(r, SYN_DIR_RX));
	__u32 space;

	if (!from_sender || (r->ev.seg.flags & SYN_TCP_RST) || (r->marks & ROW_NOT_SENT))
		return;
	space = seq_space(&r->ev.seg);
	if (!space)
		return;
	/* a simultaneous open's SYN-ACK repeats its own SYN on purpose */
	if (tl->seq_started[sender] && ev_is_synack(&r->ev) && !tl->synack_sent[sender] &&
	    r->ev.seg.seq + 1 == tl->next_seq[sender]) {
		tl->synack_sent[sender] = true;
		return;
	}
	if (ev_is_synack(&r->ev))
		tl->synack_sent[sender] = true;
	if (tl->seq_started[sender] && (__s32)(r->ev.seg.seq - tl->next_seq[sender]) < 0)
		mark_with_pair(rows, n, r, ROW_RETRANSMIT);
	if (!tl->seq_started[sender] || (__s32)(r->ev.seg.seq + space - tl->next_seq[sender]) > 0)
		tl->next_seq[sender] = r->ev.seg.seq + space;
	tl->seq_started[sender] = true;
}

/* A duplicate ACK (RFC 5681): no data and no flags but ACK, the same
 * acknowledgement number and window as the sender's previous segment, while
 * data of its peer is outstanding. Judged on the sighting that speaks for
 * the segment, as retransmissions are. */
static void mark_dup_ack(struct timeline *tl, struct conn_row *rows, size_t n, struct conn_row *r)
{
	const struct syn_segment *g = &r->ev.seg;
	int sender = g->dir == SYN_DIR_TX ? r->end : !r->end;
	bool from_sender = tl->have_tx[sender] ? (r->end == sender && is_seg(r, SYN_DIR_TX))
					       : (r->end != sender && is_seg(r, SYN_DIR_RX));

	if (!from_sender || !(g->flags & SYN_TCP_ACK))
		return;
	if (g->len == 0 && g->flags == SYN_TCP_ACK && tl->ack_known[sender] &&
	    g->ack == tl->last_ack[sender] && g->win == tl->last_win[sender] &&
	    tl->seq_started[!sender] && (__s32)(tl->next_seq[!sender] - g->ack) > 0)
		mark_with_pair(rows, n, r, ROW_DUP_ACK);
	tl->last_ack[sender] = g->ack;
	tl->last_win[sender] = g->win;
	tl->ack_known[sender] = true;
}

/* A segment dropped on its way out after the device queue saw it (a full
 * qdisc): the transmission row before it never reached the wire. */
static void mark_not_sent(struct conn_row *rows, size_t i)
{
	const struct syn_event *d = &rows[i].ev;

	if (d->drop.dir != SYN_DIR_TX)
		return;
	for (size_t j = i; j-- > 0;) {
		struct conn_row *r = &rows[j];

		if (r->end != rows[i].end || !is_seg(r, SYN_DIR_TX) || (r->marks & ROW_NOT_SENT))
			continue;
		if (r->ev.seg.seq == d->drop.seq && r->ev.seg.ack == d->drop.ack &&
		    r->ev.seg.flags == d->drop.flags && r->ev.seg.len == d->drop.len) {
			r->marks |= ROW_NOT_SENT;
			if (r->pair >= 0) { /* a coincidence: nothing arrived from it */
				rows[r->pair].pair = -1;
				r->pair = -1;
			}
			return;
		}
	}
}

/* The kernel reports "reset received" from tcp_reset(), which it also calls
 * on its own (data arriving after close(): it aborts and sends an RST).
 * Only an RST that just arrived at that lane makes it a received one. */
static void mark_no_rst(struct conn_row *rows, size_t i)
{
	struct conn_row *r = &rows[i];

	if (r->ev.rst.kind != SYN_RESET_RECEIVED)
		return;
	for (size_t j = i; j-- > 0;) {
		const struct conn_row *q = &rows[j];

		if (q->ev.ts_ns + NO_RST_WINDOW_NS < r->ev.ts_ns)
			break;
		if (q->end == r->end && is_rst_in(q))
			return;
	}
	r->marks |= ROW_NO_RST;
}

/* A SYN received at row i that its lane neither answers (SYN-ACK, RST)
 * nor reports dropped before the next SYN arrives, or before the
 * connection's end (final: no row is still to come). */
static bool syn_unanswered(const struct conn_row *rows, size_t i, size_t avail, bool final)
{
	int end = rows[i].end;

	for (size_t j = i + 1; j < avail; j++) {
		const struct conn_row *r = &rows[j];

		if (r->end != end)
			continue;
		if (r->ev.kind == SYN_EV_DROP)
			return false;
		if (is_seg(r, SYN_DIR_TX) && (r->ev.seg.flags & (SYN_TCP_SYN | SYN_TCP_RST)))
			return false;
		if (is_seg(r, SYN_DIR_RX) && ev_is_syn(&r->ev))
			return true;
	}
	return final;
}

#define RECOVERY_GAP_NS 1000000000ull /* retransmissions in recovery this close: one episode */

/* The first retransmission of a recovery is the fast retransmit; the next
 * ones of the same episode resend the other holes SACK shows. */
static void mark_recovery(struct timeline *tl, struct conn_row *r)
{
	int e = r->end;

	if (r->ev.rtx.kind != SYN_RETRANS_SKB || r->ev.rtx.ca_state != SYN_CA_RECOVERY) {
		tl->recovery_at[e] = 0;
		return;
	}
	if (tl->recovery_at[e] && r->ev.ts_ns - tl->recovery_at[e] < RECOVERY_GAP_NS)
		r->marks |= ROW_RECOVERY;
	tl->recovery_at[e] = r->ev.ts_ns;
}

static void timeline_mark(struct timeline *tl, struct conn_row *rows, size_t n, size_t avail)
{
	for (size_t i = 0; i < avail; i++)
		if (is_seg(&rows[i], SYN_DIR_TX))
			tl->have_tx[rows[i].end] = true;
	for (size_t i = 0; i < n; i++) {
		struct conn_row *r = &rows[i];

		if (r->ev.kind == SYN_EV_DROP)
			mark_not_sent(rows, i);
		else if (r->ev.kind == SYN_EV_RESET)
			mark_no_rst(rows, i);
		else if (r->ev.kind == SYN_EV_RETRANSMIT && r->ev.sk_kind != SYN_SK_UNKNOWN)
			mark_recovery(tl, r);
	}
	for (size_t i = 0; i < n; i++) {
		struct conn_row *r = &rows[i];

		if (r->ev.kind != SYN_EV_SEGMENT)
			continue;
		if (is_seg(r, SYN_DIR_TX) && ev_is_synack(&r->ev) && r->ev.sk_kind == SYN_SK_NONE)
			mark_with_pair(rows, n, r, ROW_COOKIE);
		if (is_seg(r, SYN_DIR_RX) && ev_is_syn(&r->ev) && syn_unanswered(rows, i, avail, avail == n))
			mark_with_pair(rows, n, r, ROW_UNANSWERED);
		/* UDP has no sequence space and no acknowledgements: a datagram
		 * as long as the one before is no resend of it */
		if (ev_proto(&r->ev) != IPPROTO_TCP)
			continue;
		mark_retransmission(tl, rows, n, r);
		mark_dup_ack(tl, rows, n, r);
	}
}

/* ---- the lanes' first states ---------------------------------------------- */

/* Did this lane answer a SYN with SYN-ACK, i.e. was something listening? */
static bool answers_syn(const struct conn_row *rows, size_t n, int end)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].end == end && is_seg(&rows[i], SYN_DIR_TX) && ev_is_synack(&rows[i].ev))
			return true;
	return false;
}

/* Where does each lane start? CLOSE for a client we saw begin; LISTEN for a
 * server that received the first SYN and answered it or is known to listen
 * (CLOSE when nothing listened); unknown otherwise. */
static void timeline_begin(struct timeline *tl, const struct conn *c, const struct conn_row *rows,
			   size_t n)
{
	bool listening[2];

	for (int e = 0; e < 2; e++)
		listening[e] = c->end[e].listening || answers_syn(rows, n, e);
	for (size_t i = 0; i < n && !(tl->cur[0] && tl->cur[1]); i++) {
		const struct conn_row *r = &rows[i];
		__u8 *cur = &tl->cur[r->end];

		if (*cur)
			continue;
		if (r->ev.kind == SYN_EV_STATE)
			*cur = r->ev.state.oldstate;
		else if (r->ev.kind == SYN_EV_SYSCALL && r->ev.sys.call == SYN_CALL_CONNECT)
			*cur = ST_CLOSE;
		else if (ev_is_syn(&r->ev))
			*cur = r->ev.seg.dir == SYN_DIR_TX || !listening[r->end] ? ST_CLOSE : ST_LISTEN;
	}
	tl->begun = true;
}

/* ---- inferred states -------------------------------------------------------- */

/* Is the SYN received in row i one its lane answers with a SYN-ACK from a
 * request socket? Not when another SYN arrives first (this one was dropped,
 * by a firewall after the device saw it or a full queue, and the sender
 * will retransmit), nor when the answer carries a SYN cookie. */
static bool syn_is_answered(const struct conn_row *rows, size_t i, size_t avail)
{
	int end = rows[i].end;

	for (size_t j = i + 1; j < avail; j++) {
		const struct conn_row *r = &rows[j];

		if (r->end != end || r->ev.kind != SYN_EV_SEGMENT)
			continue;
		if (r->ev.seg.dir == SYN_DIR_RX && ev_is_syn(&r->ev))
			return false;
		/* a cookie's answer keeps no state; a full socket's (Fast Open:
		 * the child made at the SYN) is reported by the kernel itself */
		if (r->ev.seg.dir == SYN_DIR_TX && ev_is_synack(&r->ev))
			return !(r->marks & ROW_COOKIE) && r->ev.sk_kind != SYN_SK_FULL;
	}
	return false;
}

static bool push_state(struct timeline *tl, struct row_vec *out, struct conn_row *r)
{
	r->state_after[0] = tl->cur[0];
	r->state_after[1] = tl->cur[1];
	return row_vec_push(out, r);
}

/* An inferred change of lane e to state to, at the time of row at. */
static bool infer(struct timeline *tl, struct row_vec *out, const struct conn_row *at, int e,
		  __u8 to)
{
	struct conn_row r;

	memset(&r, 0, sizeof(r));
	r.ev = at->ev;
	r.ev.kind = SYN_EV_STATE;
	memset(&r.ev.seg, 0, sizeof(r.ev.seg));
	r.ev.state.oldstate = tl->cur[e];
	r.ev.state.newstate = to;
	r.end = (__u8)e;
	r.marks = ROW_INFERRED;
	r.pair = -1;
	tl->cur[e] = to;
	return push_state(tl, out, &r);
}

static bool infer_time_wait(struct timeline *tl, struct conn *c, struct row_vec *out,
			    const struct conn_row *at, int e)
{
	tl->in_tw[e] = true;
	c->end[e].tw_since = at->ev.ts_ns;
	return infer(tl, out, at, e, ST_TIME_WAIT);
}

/* The kernel's FIN_WAIT2 -> CLOSE or CLOSING -> CLOSE for a full socket a
 * timewait socket took over: the lane stays where it is (CLOSING: the ACK
 * of our FIN just came, TIME-WAIT begins now). */
static bool full_socket_handed_over(const struct timeline *tl, const struct conn_row *r)
{
	const struct syn_state *s = &r->ev.state;

	return r->ev.kind == SYN_EV_STATE && s->newstate == ST_CLOSE && !tl->reset[r->end] &&
	       (s->oldstate == ST_FIN_WAIT2 || s->oldstate == ST_CLOSING);
}

static void note_state(struct timeline *tl, const struct conn_row *r)
{
	int e = r->end;

	if (r->ev.kind == SYN_EV_STATE && !(tl->in_tw[e] && r->ev.state.newstate == ST_CLOSE)) {
		tl->cur[e] = r->ev.state.newstate;
		tl->on_request[e] = false;
	}
	if (r->ev.kind == SYN_EV_TIMEWAIT) { /* the timewait socket's timer: it is gone */
		tl->cur[e] = ST_CLOSE;
		tl->in_tw[e] = false;
	}
}

/* What row r (already pushed) makes the lane infer next. */
static bool infer_after(struct timeline *tl, struct conn *c, const struct conn_row *rows,
			size_t i, size_t avail, struct row_vec *out)
{
	const struct conn_row *r = &rows[i];
	int e = r->end;
	bool fin_in = is_seg(r, SYN_DIR_RX) && (r->ev.seg.flags & SYN_TCP_FIN) &&
		      !(r->ev.seg.flags & SYN_TCP_RST);

	if (fin_in && !tl->fin_rx[e]) {
		tl->fin_rx[e] = true;
		tl->fin_end[e] = r->ev.seg.seq + r->ev.seg.len + 1;
	}
	/* the peer's FIN reached the lane in FIN_WAIT2 (it may arrive just
	 * before the kernel reports FIN_WAIT2, with the ACK of ours) */
	if (tl->fin_rx[e] && tl->cur[e] == ST_FIN_WAIT2 && !tl->in_tw[e] && !tl->reset[e] &&
	    (fin_in || (r->ev.kind == SYN_EV_STATE && r->ev.state.newstate == ST_FIN_WAIT2)))
		return infer_time_wait(tl, c, out, r, e);
	/* a FIN repeated into TIME-WAIT: it is acknowledged again and 2MSL restarts */
	if (fin_in && tl->in_tw[e] && (r->marks & ROW_RETRANSMIT))
		c->end[e].tw_since = r->ev.ts_ns;
	/* the SYN arrived at a listener: textbook SYN-RECEIVED from here */
	if (is_seg(r, SYN_DIR_RX) && ev_is_syn(&r->ev) && tl->cur[e] == ST_LISTEN &&
	    c->end[e].role == ROLE_SERVER && syn_is_answered(rows, i, avail)) {
		tl->on_request[e] = true;
		return infer(tl, out, r, e, ST_SYN_RECV);
	}
	/* a timewait socket that answers with RST (data after its process
	 * closed) is gone with it: Linux deschedules it at once */
	if (r->ev.kind == SYN_EV_RESET && r->ev.rst.kind == SYN_RESET_SENT &&
	    r->ev.sk_kind == SYN_SK_TIMEWAIT && tl->cur[e] != ST_CLOSE) {
		tl->in_tw[e] = false;
		return infer(tl, out, r, e, ST_CLOSE);
	}
	if (!is_rst_in(r))
		return true;
	/* a reset frees a request socket: the listener carries on */
	if (tl->on_request[e] && tl->cur[e] == ST_SYN_RECV) {
		tl->on_request[e] = false;
		return infer(tl, out, r, e, ST_LISTEN);
	}
	/* an RST at the sequence number TIME-WAIT expects kills the timewait
	 * socket (Linux, unless net.ipv4.tcp_rfc1337 is set) */
	if (tl->in_tw[e] && tl->cur[e] == ST_TIME_WAIT && r->ev.seg.seq == tl->fin_end[e]) {
		tl->in_tw[e] = false;
		return infer(tl, out, r, e, ST_CLOSE);
	}
	return true;
}

static bool take_row(struct timeline *tl, struct conn *c, const struct conn_row *rows,
		     size_t i, size_t avail, struct row_vec *out)
{
	struct conn_row r = rows[i];
	int e = r.end;

	if (is_reset(&r) && !(r.marks & ROW_NO_RST))
		tl->reset[e] = true;
	if (full_socket_handed_over(tl, &r)) {
		if (r.ev.state.oldstate == ST_CLOSING && !tl->in_tw[e] &&
		    !infer_time_wait(tl, c, out, &r, e))
			return false;
		return push_state(tl, out, &r);
	}
	note_state(tl, &r);
	if (!push_state(tl, out, &r))
		return false;
	return infer_after(tl, c, rows, i, avail, out);
}

bool timeline_take(struct timeline *tl, struct conn *c, struct conn_row *rows, size_t n,
		   size_t ahead, struct row_vec *out)
{
	size_t base = out->n;

	timeline_mark(tl, rows, n, n + ahead);
	if (!tl->begun)
		timeline_begin(tl, c, rows, n + ahead);
	if (!row_vec_reserve(out, n + 8))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!take_row(tl, c, rows, i, n + ahead, out))
			return false;
	/* pairs were indexes into rows[]: redo them among what was appended */
	timeline_pair(out->v + base, out->n - base);
	for (int e = 0; e < 2; e++)
		c->end[e].state = tl->cur[e];
	return true;
}
