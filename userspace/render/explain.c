/* Explain mode: which row of a finished connection plays which part of the
 * textbook story. Segments are judged by what they carry and acknowledge
 * (a FIN that does not acknowledge the other side's FIN was sent before that
 * FIN arrived: a simultaneous close), calls by their results, states by the
 * lane they move. The words are in explain_text.c. */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "render/explain.h"
#include "base/names.h"
#include "render/text_event.h"

/* What the scan has learnt so far, per lane (0 client, 1 server). */
struct story {
	bool syn_sent[2];       /* a bare SYN left this lane */
	bool synack_sent[2];
	bool synack_again[2];   /* the lane repeated its SYN-ACK, not yet answered */
	bool opened;            /* handshake 3/3 seen */
	bool simul_open;        /* both lanes sent a bare SYN */
	bool simul_acked[2];    /* ... and the lane acknowledged the other's SYN-ACK */
	bool fin_sent[2];
	__u32 fin_end[2];       /* sequence number just past the lane's FIN */
	int first_fin;          /* lane of the first FIN, -1 none */
	bool fin_acked[2];      /* the lane's FIN was acknowledged */
	bool simul_close;
	bool closed_call[2];    /* close() or shutdown(SHUT_WR/RDWR) entered on the lane */
	bool handshake_done_at_server; /* the 3rd segment reached the server */
	bool accept_entered;    /* the server's accept() entry was seen */
	bool accept_waiting;    /* ... before the handshake had finished */
	bool connect_again[2];  /* the lane's last connect() came after its handshake began */
	bool synack_seen[2];    /* the lane received a SYN-ACK */
	bool zero_win[2];       /* the lane's last segment closed its window */
	bool reset[2];          /* a reset reached or left the lane */
	bool fin_in[2];         /* the lane received its peer's FIN */
	bool fastopen_syn[2];   /* the lane received a SYN with a Fast Open cookie or data */
	bool seq_known[2];
	__u32 seq_end[2];       /* just past the highest sequence number the lane sent */
	bool ka_probed[2];      /* the lane's keepalive probe waits for its answer */
	__u32 ka_unanswered[2]; /* the lane's keepalive probes in a row that got none */
	bool ka_gave_up[2];     /* the lane's kernel reset the connection: keepalive timeout */
	/* What the batches before this one showed (explain_batch; all false
	 * for a connection explained whole) that the scans of a batch look for
	 * in its rows: */
	bool closed_before[2];  /* close() or shutdown(SHUT_WR/RDWR) entered on the lane */
	bool accepted_before[2];/* an accept() returned the lane's connection */
	bool syn_from[2];       /* a bare SYN left the lane */
	bool fin_from[2];       /* the lane sent a FIN ... */
	__u32 fin_from_end[2];  /* ... and its first ended here */
};

/* A connection taken in batches (explain.h): the story so far. */
struct explain_story {
	struct story s;
};

static bool ev_is_bare_syn(const struct syn_event *e)
{
	return (e->seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK | SYN_TCP_RST)) == SYN_TCP_SYN;
}

/* A socket connected to its own address: both ends are one socket. */
static bool self_connected(const struct conn *c)
{
	return c->end[0].port == c->end[1].port &&
	       !memcmp(c->end[0].addr, c->end[1].addr, sizeof(c->end[0].addr));
}

static bool is_primary_segment(const struct conn *c, size_t i)
{
	const struct conn_row *r = &c->rows[i];

	if (r->ev.kind != SYN_EV_SEGMENT)
		return false;
	if (self_connected(c)) /* what it receives, it sent itself */
		return r->ev.seg.dir == SYN_DIR_TX;
	/* a segment seen at both ends is explained once, where it was sent */
	return r->ev.seg.dir == SYN_DIR_TX || r->pair < 0;
}

static bool acks(const struct syn_segment *s, __u32 upto)
{
	return (s->flags & SYN_TCP_ACK) && (__s32)(s->ack - upto) >= 0;
}

/* Is row r its lane entering a call that closes its sending side? */
static bool row_closes_lane(const struct conn_row *r)
{
	return r->ev.kind == SYN_EV_SYSCALL && r->ev.sys.phase == SYN_PHASE_ENTRY &&
	       (r->ev.sys.call == SYN_CALL_CLOSE ||
		(r->ev.sys.call == SYN_CALL_SHUTDOWN && r->ev.sys.arg != SHUT_RD));
}

/* Did the lane, before row i, enter a call that closes its sending side? */
static bool lane_closed_by_call(const struct conn *c, size_t i, int lane, const struct story *s)
{
	if (s->closed_before[lane])
		return true;
	for (size_t j = 0; j < i; j++)
		if (c->rows[j].end == lane && row_closes_lane(&c->rows[j]))
			return true;
	return false;
}

/* Simultaneous open: both lanes sent a bare SYN. Simultaneous close: the
 * later of the two first FINs does not acknowledge the earlier one, so it
 * was sent before that FIN arrived. Both are judged on the whole trace, so
 * the first segment of the story is already told right; in batches, on
 * what the batches so far hold. */
static void find_simultaneous(const struct conn *c, struct story *s)
{
	long fin[2] = { -1, -1 }; /* this batch's first FIN of a lane that sent none before */

	for (size_t j = 0; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];
		int from;

		if (!is_primary_segment(c, j))
			continue;
		from = seg_sender(&r->ev, r->end);
		if ((r->ev.seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK | SYN_TCP_RST)) == SYN_TCP_SYN)
			s->syn_from[from] = true;
		if ((r->ev.seg.flags & SYN_TCP_FIN) && !s->fin_from[from] && fin[from] < 0)
			fin[from] = (long)j;
	}
	s->simul_open = s->syn_from[0] && s->syn_from[1];
	/* the lanes in the order of their FINs here: a FIN is judged against the
	 * other lane's first, when that came before */
	int earlier = fin[1] >= 0 && (fin[0] < 0 || fin[1] < fin[0]);

	for (int k = 0; k < 2; k++) {
		int lane = k ? !earlier : earlier;
		const struct syn_segment *g = fin[lane] >= 0 ? &c->rows[fin[lane]].ev.seg : NULL;

		if (!g)
			continue;
		/* the other lane's first FIN came before: in an earlier batch
		 * (fin[other] is -1 then), or earlier in this one */
		if (s->fin_from[!lane] && fin[!lane] < fin[lane])
			s->simul_close = !acks(g, s->fin_from_end[!lane]);
		s->fin_from[lane] = true;
		s->fin_from_end[lane] = g->seq + g->len + 1;
	}
}

/* A SYN received at row i that its lane neither answers with a SYN-ACK nor
 * reports dropped before the next SYN arrives (or ever): a silent drop. */
static bool syn_unanswered(const struct conn *c, size_t i)
{
	int lane = c->rows[i].end;

	for (size_t j = i + 1; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];

		if (r->end != lane)
			continue;
		if (r->ev.kind == SYN_EV_DROP)
			return false;
		if (r->ev.kind != SYN_EV_SEGMENT)
			continue;
		if (r->ev.seg.dir == SYN_DIR_TX && (r->ev.seg.flags & (SYN_TCP_SYN | SYN_TCP_RST)))
			return false; /* a SYN-ACK (or a reset, or our own SYN crossing it) */
		if (r->ev.seg.dir == SYN_DIR_RX &&
		    (r->ev.seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == SYN_TCP_SYN)
			return true; /* it came again before any answer */
	}
	return false; /* the trace ended: say nothing */
}

static __u8 retransmission_cause_key(const struct conn_row *r)
{
	const char *cause = txt_retransmit_cause(&r->ev);

	if (r->marks & ROW_RECOVERY)
		return EX_RETRANS_RECOVERY;
	if (!strcmp(cause, "fast retransmit"))
		return EX_RETRANS_FAST;
	if (!strcmp(cause, "retransmission timeout"))
		return EX_RETRANS_RTO;
	if (!strcmp(cause, "tail loss probe"))
		return EX_RETRANS_TLP;
	return EX_RETRANS;
}

/* Is row r the kernel's retransmission event for the segment at row seg? */
static bool retransmits(const struct conn_row *r, const struct conn_row *seg, int from)
{
	return r->ev.kind == SYN_EV_RETRANSMIT && r->end == from && r->ev.rtx.seq == seg->ev.seg.seq;
}

/* Why a retransmitted segment went again: the kernel's retransmission
 * event next to it on the sending lane says (the tracker places it just
 * before the segment; looked for on both sides). */
static __u8 retransmission_key(const struct conn *c, size_t i, int from)
{
	const struct conn_row *seg = &c->rows[i];

	for (size_t j = i + 1, k = 0; j < c->nrows && k < 16; j++, k++)
		if (retransmits(&c->rows[j], seg, from))
			return retransmission_cause_key(&c->rows[j]);
	for (size_t j = i, k = 0; j-- > 0 && k < 16; k++)
		if (retransmits(&c->rows[j], seg, from))
			return retransmission_cause_key(&c->rows[j]);
	return EX_RETRANS;
}

/* Windows and probes: a zero window, the update that opens it again, and a
 * segment of no data one byte below what was sent (a probe: of a zero window
 * when the peer's is closed, else keepalive). EX_NONE otherwise. Keeps the
 * lane's window and sequence figures up to date. */
static __u8 window_key(struct story *s, const struct syn_segment *g, int from)
{
	bool probe = g->len == 0 && g->flags == SYN_TCP_ACK && s->seq_known[from] &&
		     g->seq + 1 == s->seq_end[from];
	bool was_zero = s->zero_win[from];
	__u8 key = EX_NONE;

	if (probe)
		key = s->zero_win[!from] ? EX_WINDOW_PROBE : EX_KEEPALIVE;
	else if (g->win == 0 && !(g->flags & SYN_TCP_RST))
		key = EX_ZERO_WINDOW;
	else if (was_zero && g->win)
		key = EX_WINDOW_UPDATE;
	if (!(g->flags & SYN_TCP_RST))
		s->zero_win[from] = g->win == 0;
	if (!s->seq_known[from] || (__s32)(g->seq + g->len - s->seq_end[from]) > 0) {
		s->seq_end[from] = g->seq + g->len + !!(g->flags & (SYN_TCP_SYN | SYN_TCP_FIN));
		s->seq_known[from] = true;
	}
	return key;
}

/* Did the peer send anything after the lane's probe at row i, before the
 * lane's next segment? */
static bool probe_answered(const struct conn *c, size_t i, int from)
{
	for (size_t j = i + 1; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];

		if (r->ev.kind != SYN_EV_SEGMENT || !is_primary_segment(c, j))
			continue;
		return seg_sender(&r->ev, r->end) != from;
	}
	return false;
}

/* A keepalive probe, answered or the how-manieth in a row without. */
static __u8 keepalive_key(const struct conn *c, size_t i, struct story *s, int from,
			  struct explain_note *n)
{
	if (probe_answered(c, i, from)) {
		s->ka_unanswered[from] = 0;
		s->ka_probed[from] = true;
		return EX_KEEPALIVE;
	}
	n->n = ++s->ka_unanswered[from];
	return EX_KEEPALIVE_UNANSWERED;
}

/* A SYN or a SYN-ACK: the opening, the first time or again. */
static __u8 syn_key(const struct conn_row *r, struct story *s, int from)
{
	__u8 key;

	if (!(r->ev.seg.flags & SYN_TCP_ACK)) {
		key = s->syn_sent[from] ? EX_SYN_RETRANS : s->simul_open ? EX_SYN_SIMUL : EX_SYN;
		s->syn_sent[from] = true;
		return key;
	}
	key = s->simul_open ? EX_SYNACK_SIMUL :
	      s->synack_sent[from] ? EX_SYNACK_AGAIN :
	      (r->marks & ROW_COOKIE) ? EX_SYNACK_COOKIE : EX_SYNACK;
	s->synack_again[from] = s->synack_sent[from];
	s->synack_sent[from] = true;
	return key;
}

/* A FIN: which of the closing's segments it is, and who closed first. */
static __u8 fin_key(const struct conn *c, size_t i, struct story *s, int from)
{
	const struct syn_segment *g = &c->rows[i].ev.seg;
	int to = !from;
	bool exited = !lane_closed_by_call(c, i, from, s) && c->end[from].traced && c->end[from].pid;
	__u8 key;

	if (s->fin_sent[from])
		return retransmission_key(c, i, from);
	s->fin_sent[from] = true;
	s->fin_end[from] = g->seq + g->len + 1;
	if (s->simul_close) {
		key = EX_FIN_SIMUL;
		if (s->first_fin < 0)
			s->first_fin = from;
	} else if (s->first_fin < 0) {
		s->first_fin = from;
		key = exited ? EX_FIN1_EXIT : EX_FIN1;
	} else if (!s->fin_acked[to]) {
		s->fin_acked[to] = true;
		key = EX_FIN_MERGED;
	} else {
		key = exited ? EX_FIN2_EXIT : EX_FIN2;
	}
	if (s->fin_sent[to] && acks(g, s->fin_end[to]))
		s->fin_acked[to] = true;
	return key;
}

/* The handshake's last ACK, in its plain, repeated or simultaneous form;
 * EX_NONE when the segment is not one. */
static __u8 opening_ack_key(const struct syn_segment *g, struct story *s, int from)
{
	int to = !from;

	if (s->synack_again[to] && !g->len) {
		s->synack_again[to] = false;
		return EX_ACK3_AGAIN;
	}
	if (s->simul_open && s->synack_sent[to] && !s->simul_acked[from]) {
		s->simul_acked[from] = true;
		s->opened = true;
		return EX_ACK_SIMUL_OPEN;
	}
	if (!s->opened && s->synack_sent[to]) {
		s->opened = true;
		return EX_ACK3;
	}
	return EX_NONE;
}

/* A segment with no SYN, FIN or RST: what it answers or carries. */
static __u8 ack_key(const struct conn_row *r, struct story *s, int from, __u8 win_key)
{
	const struct syn_segment *g = &r->ev.seg;
	int to = !from;
	__u8 key;

	if (win_key != EX_NONE)
		return win_key;
	if (s->ka_probed[to] && g->len == 0 && g->flags == SYN_TCP_ACK) {
		s->ka_probed[to] = false;
		return EX_KEEPALIVE_ACK;
	}
	if (r->marks & ROW_DUP_ACK)
		return EX_DUP_ACK;
	key = opening_ack_key(g, s, from);
	if (key != EX_NONE)
		return key;
	if (s->fin_sent[to] && !s->fin_acked[to] && acks(g, s->fin_end[to])) {
		s->fin_acked[to] = true;
		if (s->simul_close)
			return EX_ACK_SIMUL;
		if (s->first_fin != to)
			return EX_ACK4;
		/* the ACK rode on data: the receiver of the first FIN still sends */
		return g->len ? EX_ACK2_DATA : EX_ACK2;
	}
	if (g->len)
		return s->fin_sent[to] && !s->fin_sent[from] ? EX_DATA_HALF_CLOSED : EX_DATA;
	return (g->flags & SYN_TCP_ACK) && s->opened ? EX_DATA_ACK : EX_NONE;
}

static void explain_segment(const struct conn *c, size_t i, struct story *s,
			    struct explain_note *n)
{
	const struct conn_row *r = &c->rows[i];
	const struct syn_segment *g = &r->ev.seg;
	int from = seg_sender(&r->ev, r->end), to = !from;
	__u8 win_key;

	n->who = (__u8)from;
	if (c->proto == IPPROTO_UDP) {
		n->key = EX_UDP;
		return;
	}
	win_key = window_key(s, g, from);
	if (self_connected(c) && (g->flags & (SYN_TCP_SYN | SYN_TCP_FIN)))
		n->key = (g->flags & SYN_TCP_FIN) ? EX_SELF_FIN :
			 (g->flags & SYN_TCP_ACK) ? EX_SELF_SYNACK : EX_SELF_SYN;
	else if (g->flags & SYN_TCP_RST)
		/* an answer to a SYN from a lane that never had a socket: refused */
		n->key = s->syn_sent[to] && !s->synack_sent[from] && !c->end[from].sock_id
			 ? EX_RST_REFUSED : EX_RST;
	else if (g->flags & SYN_TCP_SYN)
		n->key = syn_key(r, s, from);
	else if (g->flags & SYN_TCP_FIN)
		n->key = fin_key(c, i, s, from);
	else if (r->marks & ROW_RETRANSMIT)
		n->key = retransmission_key(c, i, from);
	else if (win_key == EX_KEEPALIVE)
		n->key = keepalive_key(c, i, s, from, n);
	else
		n->key = ack_key(r, s, from, win_key);
}

/* The flags of the first FIN or RST the lane sends after row i, 0 if none. */
static __u8 next_tx_flags(const struct conn *c, size_t i, int lane)
{
	for (size_t j = i + 1; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];

		if (r->end == lane && r->ev.kind == SYN_EV_SEGMENT && r->ev.seg.dir == SYN_DIR_TX &&
		    (r->ev.seg.flags & (SYN_TCP_FIN | SYN_TCP_RST)))
			return r->ev.seg.flags;
		/* dropped on its way out before it had a device (the sender's
		 * firewall): no transmission row, only this */
		if (r->end == lane && r->ev.kind == SYN_EV_DROP && r->ev.drop.dir == SYN_DIR_TX &&
		    (r->ev.drop.flags & (SYN_TCP_FIN | SYN_TCP_RST)))
			return r->ev.drop.flags;
	}
	return 0;
}

/* The lane's state just before row i (a call changes no state: a batch's
 * first row, a call or a reset, holds it too). */
static __u8 state_before(const struct conn *c, size_t i, int lane)
{
	return i ? c->rows[i - 1].state_after[lane] : c->rows[0].state_after[lane];
}

/* The row of the return of the connect() whose entry is row i, when it is
 * in the batch (the next connect() row of the same thread in the lane); 0
 * when it is not (row 0 is never one: the entry comes first). */
static size_t connect_return_row(const struct conn *c, size_t i)
{
	const struct conn_row *call = &c->rows[i];

	for (size_t j = i + 1; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];

		if (r->end == call->end && r->ev.kind == SYN_EV_SYSCALL &&
		    r->ev.sys.call == SYN_CALL_CONNECT && r->ev.tid == call->ev.tid)
			return r->ev.sys.phase == SYN_PHASE_RETURN ? j : 0;
	}
	return 0;
}

/* Did a SYN come of the connect() entered at row i before its return at
 * row j: a segment, one dropped before it left (no ARP answer), or a state
 * change made outside the call (IPv6 frees a SYN neighbour discovery could
 * not send with no drop reason, then its timer aborts the socket)? No: the
 * kernel refused within the call (no route; or no port free, after a
 * SYN_SENT the calling thread reports and takes back at once). */
static bool connect_sent_syn(const struct conn *c, size_t i, size_t j)
{
	const struct conn_row *call = &c->rows[i];

	for (size_t k = i + 1; k < j; k++) {
		const struct conn_row *r = &c->rows[k];

		if (r->ev.kind == SYN_EV_SEGMENT || r->ev.kind == SYN_EV_DROP)
			return true;
		if (r->end == call->end && r->ev.kind == SYN_EV_STATE && r->ev.tid != call->ev.tid)
			return true;
	}
	return false;
}

/* A connect() entry. One on a socket whose handshake has begun starts
 * nothing: a non-blocking program asks so whether it is done (hiredis). */
static __u8 connect_entry_key(const struct conn *c, size_t i, struct story *s, int lane, __u8 st)
{
	size_t j;
	const struct syn_event *ret;

	s->connect_again[lane] = st && st != ST_CLOSE;
	if (s->connect_again[lane])
		return EX_CONNECT_AGAIN;
	j = connect_return_row(c, i);
	ret = j ? &c->rows[j].ev : NULL;
	if (ret && ret->sys.ret < 0 && ret->sys.ret != -EINPROGRESS && !connect_sent_syn(c, i, j))
		return EX_CONNECT_CALL_REFUSED_AT_ONCE;
	return ret && ret->sys.ret == -EINPROGRESS ? EX_CONNECT_CALL_NONBLOCK : EX_CONNECT_CALL;
}

/* The failures a teacher or an engineer meets most, told; any other by name. */
static __u8 connect_failure_key(__s64 ret)
{
	switch (ret) {
	case -ETIMEDOUT: return EX_CONNECT_TIMEDOUT;
	case -EHOSTUNREACH: return EX_CONNECT_HOST_UNREACH;
	case -ENETUNREACH: return EX_CONNECT_NET_UNREACH;
	case -EADDRNOTAVAIL: return EX_CONNECT_NO_PORT;
	default: return EX_CONNECT_FAIL;
	}
}

static __u8 connect_key(const struct conn *c, size_t i, struct story *s, bool udp, __u8 st)
{
	const struct syn_event *e = &c->rows[i].ev;
	int lane = c->rows[i].end & 1;

	if (e->sys.phase == SYN_PHASE_ENTRY)
		return udp ? EX_CONNECT_UDP : connect_entry_key(c, i, s, lane, st);
	if (s->connect_again[lane] && !udp) {
		if (e->sys.ret == 0 || e->sys.ret == -EISCONN)
			return EX_CONNECT_AGAIN_OPEN;
		if (e->sys.ret == -EALREADY) /* still under way */
			return EX_CONNECT_AGAIN_BUSY;
	}
	if (e->sys.ret == 0 && !udp && st == ST_CLOSE)
		return EX_CONNECT_DEFERRED; /* TCP_FASTOPEN_CONNECT: no SYN yet */
	if (e->sys.ret == 0 && s->simul_open && !self_connected(c) && !udp)
		return EX_CONNECT_OK_SIMUL;
	if (e->sys.ret == 0)
		return udp ? EX_NONE : EX_CONNECT_OK;
	if (e->sys.ret == -ECONNREFUSED)
		return EX_CONNECT_REFUSED;
	if (e->sys.ret != -EINPROGRESS)
		return connect_failure_key(e->sys.ret);
	/* EINPROGRESS: non-blocking, not a failure (UDP: never returned); the
	 * handshake may be over by then, either way */
	if (st == ST_CLOSE && s->syn_sent[lane])
		return EX_CONNECT_INPROGRESS_ENDED;
	return st == ST_SYN_SENT || st == ST_CLOSE ? EX_CONNECT_INPROGRESS : EX_CONNECT_INPROGRESS_DONE;
}

static __u8 accept_key(const struct syn_event *e, struct story *s, int lane, __u8 st)
{
	if (e->sys.phase == SYN_PHASE_ENTRY) {
		s->accept_entered = true;
		s->accept_waiting = !s->handshake_done_at_server;
		/* a server that polls first calls accept() for a connection already queued */
		return s->accept_waiting ? EX_ACCEPT_CALL : EX_ACCEPT_CALL_READY;
	}
	if (e->sys.ret < 0)
		return EX_NONE;
	if (st == ST_SYN_RECV && s->fastopen_syn[lane])
		return EX_ACCEPT_FASTOPEN;
	/* queued: accept() was called only after the handshake was over */
	return s->accept_entered && !s->accept_waiting ? EX_ACCEPT_QUEUED : EX_ACCEPT_OK;
}

static __u8 close_key(const struct conn *c, size_t i, int lane, __u8 st)
{
	const struct syn_event *e = &c->rows[i].ev;

	if (e->sys.phase != SYN_PHASE_ENTRY)
		return EX_NONE;
	if (!e->sys.last_ref)
		return EX_CLOSE_NOT_LAST;
	if (next_tx_flags(c, i, lane) & SYN_TCP_RST)
		return EX_CLOSE_RST;
	if (st == ST_ESTABLISHED || st == ST_CLOSE_WAIT || st == ST_SYN_RECV)
		return EX_CLOSE_FIN;
	/* a connect() given up (curl --connect-timeout): the SYN_SENT socket just goes */
	if (st == ST_SYN_SENT)
		return EX_CLOSE_ABANDON;
	return EX_CLOSE_FREE;
}

static __u8 shutdown_key(const struct syn_event *e)
{
	if (e->sys.phase != SYN_PHASE_ENTRY)
		return EX_NONE;
	return e->sys.arg == SHUT_WR ? EX_SHUT_WR : e->sys.arg == SHUT_RD ? EX_SHUT_RD : EX_SHUT_RDWR;
}

/* A read or write returning: data, end of file, a reset, an error. */
static __u8 io_key(const struct syn_event *e, const struct story *s, int lane, bool udp)
{
	__s64 ret = e->sys.ret;

	if (e->sys.phase == SYN_PHASE_ENTRY && udp && syn_call_reads(e->sys.call))
		return EX_RECV_WAIT_UDP;
	if (e->sys.phase == SYN_PHASE_ENTRY) /* under way: its return says what happened */
		return EX_NONE;
	if (ret == -EAGAIN) /* non-blocking: nothing to read yet, no room to write */
		return udp ? EX_NONE : syn_call_writes(e->sys.call) ? EX_WRITE_AGAIN
		       : syn_call_reads(e->sys.call) ? EX_READ_AGAIN : EX_NONE;
	if (syn_call_reads(e->sys.call)) {
		if (ret > 0)
			return udp ? EX_RECVFROM_UDP : EX_READ_DATA;
		if (ret == 0 && udp)
			return EX_NONE;
		if (ret == 0)
			return s->reset[lane] && !s->fin_in[lane] ? EX_READ_AFTER_RESET : EX_READ_EOF;
		return ret == -ETIMEDOUT && s->ka_gave_up[lane] ? EX_READ_KEEPALIVE : EX_READ_FAIL;
	}
	if (syn_call_writes(e->sys.call)) {
		if (ret == -EPIPE)
			return EX_WRITE_EPIPE;
		if (ret < 0)
			return EX_WRITE_FAIL;
		return udp ? EX_SENDTO_UDP : s->zero_win[!lane] ? EX_WRITE_ZERO_WINDOW : EX_WRITE;
	}
	return EX_NONE;
}

/* setsockopt(): what the option does, by its value; its failure. */
static __u8 sockopt_key(const struct syn_event *e)
{
	const char *name = sockopt_name(e->sys.level, e->sys.arg);
	__s32 v = e->sys.val[0];

	if (e->sys.phase == SYN_PHASE_RETURN)
		return e->sys.ret < 0 ? EX_SOCKOPT_FAIL : EX_NONE;
	if (!e->sys.vlen || !name)
		return EX_NONE;
	if (!strcmp(name, "SO_LINGER"))
		return !v ? EX_SO_LINGER_OFF : e->sys.vlen < 8 ? EX_NONE :
		       e->sys.val[1] ? EX_SO_LINGER_WAIT : EX_SO_LINGER_RST;
	if (!v && (!strcmp(name, "SO_REUSEADDR") || !strcmp(name, "SO_REUSEPORT") ||
		   !strcmp(name, "SO_KEEPALIVE") || !strcmp(name, "TCP_NODELAY")))
		return EX_SOCKOPT_OFF;
	static const struct {
		const char *name;
		__u8 key;
	} keys[] = {
		{ "SO_REUSEADDR", EX_SO_REUSEADDR },   { "SO_REUSEPORT", EX_SO_REUSEPORT },
		{ "SO_KEEPALIVE", EX_SO_KEEPALIVE },   { "TCP_KEEPIDLE", EX_TCP_KEEPIDLE },
		{ "TCP_KEEPINTVL", EX_TCP_KEEPINTVL }, { "TCP_KEEPCNT", EX_TCP_KEEPCNT },
		{ "TCP_NODELAY", EX_TCP_NODELAY },     { "TCP_FASTOPEN", EX_TCP_FASTOPEN },
	};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(name, keys[k].name))
			return keys[k].key;
	return EX_SOCKOPT;
}

static __u8 bind_key(const struct syn_event *e)
{
	if (e->sys.phase == SYN_PHASE_ENTRY)
		return EX_BIND;
	if (e->sys.ret >= 0)
		return EX_NONE;
	return e->sys.ret == -EADDRINUSE ? EX_BIND_IN_USE : EX_BIND_FAIL;
}

/* sendmmsg(), recvmmsg(): messages, not bytes. A UDP receiver waits as
 * for one datagram; a failure or nothing moved is left unexplained. */
static __u8 mmsg_key(const struct syn_event *e, bool udp)
{
	bool sends = e->sys.call == SYN_CALL_SENDMMSG;

	if (e->sys.phase == SYN_PHASE_ENTRY)
		return udp && !sends ? EX_RECV_WAIT_UDP : EX_NONE;
	if (e->sys.ret <= 0)
		return EX_NONE;
	return sends ? EX_SENDMMSG : EX_RECVMMSG;
}

/* getsockopt(SO_ERROR) on return: what it answered (a failed call, or one
 * whose answer could not be read, is left unexplained). */
static __u8 so_error_key(const struct syn_event *e)
{
	if (e->sys.ret != 0 || e->sys.vlen < 4)
		return EX_NONE;
	if (e->sys.val[0] == 0)
		return EX_SO_ERROR_NONE;
	return e->sys.val[0] == ECONNREFUSED ? EX_SO_ERROR_REFUSED : EX_SO_ERROR;
}

static void explain_syscall(const struct conn *c, size_t i, struct story *s,
			    struct explain_note *n)
{
	const struct syn_event *e = &c->rows[i].ev;
	int lane = c->rows[i].end;
	bool udp = c->proto == IPPROTO_UDP;
	__u8 st = state_before(c, i, lane);

	n->who = (__u8)lane;
	switch (e->sys.call) {
	case SYN_CALL_SOCKET:
		n->key = udp ? EX_SOCKET_UDP :
			 syn_call_sock_flags(&e->sys) & SOCK_NONBLOCK ? EX_SOCKET_NONBLOCK : EX_SOCKET;
		break;
	case SYN_CALL_BIND:
		n->key = bind_key(e);
		break;
	case SYN_CALL_LISTEN:
		n->key = e->sys.phase == SYN_PHASE_ENTRY ? EX_LISTEN : EX_NONE;
		break;
	case SYN_CALL_SETSOCKOPT:
		n->key = sockopt_key(e);
		break;
	case SYN_CALL_GETSOCKOPT:
		n->key = so_error_key(e);
		break;
	case SYN_CALL_SENDMMSG:
	case SYN_CALL_RECVMMSG:
		n->key = mmsg_key(e, udp);
		break;
	case SYN_CALL_CONNECT:
		n->key = connect_key(c, i, s, udp, st);
		break;
	case SYN_CALL_ACCEPT:
	case SYN_CALL_ACCEPT4:
		n->key = accept_key(e, s, lane, st);
		break;
	case SYN_CALL_CLOSE:
		n->key = close_key(c, i, lane, st);
		if (udp && n->key == EX_CLOSE_FREE)
			n->key = EX_CLOSE_UDP;
		break;
	case SYN_CALL_SHUTDOWN:
		n->key = shutdown_key(e);
		break;
	default:
		n->key = io_key(e, s, lane, udp);
	}
}

/* When a timewait socket takes a lane over, is the full socket freed there
 * (its last descriptor was already closed), or does the process still hold
 * it? The lane's next socket end comes before its next call if freed. */
static bool freed_at_handover(const struct conn *c, size_t i, int lane)
{
	for (size_t j = i + 1; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];

		if (r->end != lane)
			continue;
		if (r->ev.kind == SYN_EV_DESTROY)
			return true;
		if (r->ev.kind == SYN_EV_SYSCALL)
			return false;
	}
	return false;
}

/* Linux's close() of a socket whose FIN is out (shutdown() sent it) sets
 * the state it is in once more (tcp_close_state): FIN_WAIT1 -> FIN_WAIT1. */
static bool closed_again(__u8 st)
{
	return st == ST_FIN_WAIT1 || st == ST_FIN_WAIT2 || st == ST_CLOSING || st == ST_LAST_ACK;
}

static void explain_state(const struct conn *c, size_t i, struct story *s,
			  struct explain_note *n)
{
	const struct conn_row *r = &c->rows[i];
	int lane = r->end;
	__u8 to = r->ev.state.newstate, from = r->ev.state.oldstate;
	bool inferred = r->marks & ROW_INFERRED;

	n->who = (__u8)lane;
	if (r->state_after[lane] != to) {
		/* the kernel's full socket leaves while a timewait socket carries
		 * the lane on (in FIN-WAIT-2 until the FIN, then TIME-WAIT) */
		if (to == ST_CLOSE && (r->state_after[lane] == ST_TIME_WAIT ||
					r->state_after[lane] == ST_FIN_WAIT2))
			n->key = freed_at_handover(c, i, lane) ? EX_ST_TW_KERNEL
							       : EX_ST_TW_KERNEL_HELD;
		return;
	}
	if (from == to && !inferred && closed_again(to)) {
		n->key = EX_ST_CLOSE_AFTER_SHUTDOWN;
		return;
	}
	switch (to) {
	case ST_SYN_SENT:
		n->key = EX_ST_SYN_SENT;
		break;
	case ST_SYN_RECV:
		if (inferred)
			n->key = EX_ST_SYN_RECV_INFERRED;
		else if (from == ST_SYN_SENT)
			n->key = EX_ST_SYN_RECV_SIMUL;
		else if (from == ST_LISTEN)
			n->key = s->fastopen_syn[lane] && !s->opened ? EX_ST_SYN_RECV_FASTOPEN
								     : EX_ST_SYN_RECV_KERNEL;
		break;
	case ST_ESTABLISHED:
		n->key = EX_ST_ESTABLISHED;
		if (lane == 1)
			s->handshake_done_at_server = true;
		break;
	case ST_FIN_WAIT1:
		n->key = EX_ST_FIN_WAIT1;
		break;
	case ST_FIN_WAIT2:
		n->key = EX_ST_FIN_WAIT2;
		break;
	case ST_CLOSE_WAIT:
		n->key = EX_ST_CLOSE_WAIT;
		break;
	case ST_LAST_ACK:
		n->key = EX_ST_LAST_ACK;
		break;
	case ST_CLOSING:
		n->key = self_connected(c) ? EX_ST_CLOSING_SELF : EX_ST_CLOSING;
		break;
	case ST_TIME_WAIT:
		n->key = EX_ST_TIME_WAIT;
		break;
	case ST_CLOSE:
		n->key = inferred && from == ST_TIME_WAIT ? EX_ST_TW_KILLED :
			 from == ST_LISTEN ? EX_NONE : EX_ST_CLOSED;
		break;
	case ST_LISTEN:
		if (inferred && from == ST_SYN_RECV)
			n->key = EX_ST_REQ_RESET;
		else if (from == ST_CLOSE)
			n->key = EX_ST_LISTEN;
		break;
	}
}

/* Is row r an accept() returning its lane's connection? */
static bool row_accepts_lane(const struct conn_row *r)
{
	return r->ev.kind == SYN_EV_SYSCALL && r->ev.sys.phase == SYN_PHASE_RETURN &&
	       r->ev.sys.ret >= 0 &&
	       (r->ev.sys.call == SYN_CALL_ACCEPT || r->ev.sys.call == SYN_CALL_ACCEPT4);
}

/* Did an accept() return this lane's connection before row i? */
static bool lane_accepted(const struct conn *c, size_t i, int lane, const struct story *s)
{
	if (s->accepted_before[lane])
		return true;
	for (size_t j = 0; j < i; j++)
		if (c->rows[j].end == lane && row_accepts_lane(&c->rows[j]))
			return true;
	return false;
}

static void explain_reset(const struct conn *c, size_t i, struct story *s,
			  struct explain_note *n)
{
	const struct conn_row *r = &c->rows[i];
	const char *why = rst_reason_name(r->ev.rst.reason);

	n->who = r->end;
	if (r->ev.rst.kind == SYN_RESET_SENT && why && !strcmp(why, "TCP_KEEPALIVE_TIMEOUT") &&
	    s->ka_unanswered[r->end]) {
		/* the probes it gave up after are the rows above */
		s->ka_gave_up[r->end] = true;
		n->key = EX_RST_SENT_KEEPALIVE;
		n->n = s->ka_unanswered[r->end];
	} else if (r->marks & ROW_NO_RST) {
		n->key = EX_RST_KERNEL_ABORT;
	} else if (r->ev.rst.kind == SYN_RESET_RECEIVED) {
		/* an answer to our SYN: nothing listened there */
		__u8 before = state_before(c, i, r->end);

		/* after the peer's FIN, the kernel keeps EPIPE for the next write() */
		n->key = before == ST_SYN_SENT ? EX_RST_RECEIVED_REFUSED :
			 before == ST_CLOSE_WAIT ? EX_RST_RECEIVED_AFTER_FIN : EX_RST_RECEIVED;
	} else if (why && !strcmp(why, "NO_SOCKET")) {
		n->key = EX_RST_SENT_NO_SOCKET;
	} else if (why && !strcmp(why, "TCP_ABORT_ON_CLOSE")) {
		n->key = EX_RST_SENT_UNREAD;
	} else if (why && (!strcmp(why, "TCP_ABORT_ON_DATA") ||
			   !strcmp(why, "TCP_TIMEWAIT_SOCKET"))) {
		/* data for a socket its process closed (a full one, or the
		 * timewait socket that holds its FIN-WAIT-2 on) */
		n->key = EX_RST_SENT_DATA_AFTER_CLOSE;
	} else if (why && !strcmp(why, "TCP_STATE") && !lane_closed_by_call(c, i, r->end, s) &&
		   !lane_accepted(c, i, r->end, s)) {
		/* no close() of its own, never accepted: its listener closed */
		n->key = EX_RST_SENT_LISTENER;
	} else if (why && (!strcmp(why, "TCP_ABORT_ON_LINGER") || !strcmp(why, "TCP_STATE"))) {
		/* close() with a zero linger time disconnects: RST from any live state */
		n->key = EX_RST_SENT_LINGER;
	} else {
		n->key = EX_RST_SENT_OTHER;
	}
}

/* A probe (keepalive, or of a zero window) that arrived at its peer: no
 * data, one below what its sender has sent. */
static bool drop_is_probe(const struct conn_row *r, const struct story *s)
{
	const struct syn_drop *d = &r->ev.drop;
	int from = !r->end;

	return d->dir == SYN_DIR_RX && d->len == 0 && d->flags == SYN_TCP_ACK &&
	       s->seq_known[from] && d->seq + 1 == s->seq_end[from];
}

static void explain_drop(const struct conn_row *r, const struct story *s,
			 struct explain_note *n)
{
	const char *why = drop_reason_name(r->ev.drop.reason);

	n->who = r->end;
	if (why && !strcmp(why, "TCP_OLD_SEQUENCE") && drop_is_probe(r, s))
		n->key = EX_DROP_PROBE;
	else if (why && (!strcmp(why, "TCP_OLD_DATA") || !strcmp(why, "TCP_OLD_SEQUENCE")))
		n->key = EX_DROP_OLD;
	else if (why && !strcmp(why, "TCP_LISTEN_OVERFLOW"))
		n->key = r->ev.drop.flags & SYN_TCP_SYN ? EX_DROP_BACKLOG : EX_DROP_BACKLOG_ACK;
	else if (why && !strcmp(why, "NO_SOCKET"))
		n->key = EX_DROP_NO_SOCKET;
	else if (why && !strcmp(why, "TCP_INVALID_SYN"))
		n->key = EX_DROP_INVALID_SYN;
	else if (why && (!strcmp(why, "NETFILTER_DROP") || !strncmp(why, "NETFILTER", 9)))
		n->key = EX_DROP_FIREWALL;
	else if (why && !strncmp(why, "NEIGH_", 6))
		n->key = EX_DROP_NEIGH;
	else
		n->key = EX_DROP_OTHER;
}

/* An ICMP error: port unreachable from the peer, one the sender's own host
 * made (from the address the quoted segment left from: its next hop did not
 * resolve), or any other. */
static __u8 icmp_key(const struct conn_row *r)
{
	if (!strcmp(icmp_error_name(r->ev.family, r->ev.icmp.type, r->ev.icmp.code),
		    "port unreachable"))
		return EX_ICMP_PORT;
	if (!memcmp(r->ev.icmp.from, r->ev.saddr, sizeof(r->ev.saddr)))
		return EX_ICMP_OWN_HOST;
	return EX_ICMP;
}

/* What row r tells of its lane's past, for the rows after it. */
static void story_note(struct story *s, const struct conn_row *r)
{
	const struct syn_event *e = &r->ev;
	int lane = r->end & 1;

	if (e->kind == SYN_EV_RESET && !(r->marks & ROW_NO_RST))
		s->reset[lane] = true;
	if (e->kind != SYN_EV_SEGMENT)
		return;
	if (e->seg.flags & SYN_TCP_RST)
		s->reset[lane] = true;
	if (e->seg.dir == SYN_DIR_RX && (e->seg.flags & SYN_TCP_FIN) && !(e->seg.flags & SYN_TCP_RST))
		s->fin_in[lane] = true;
	/* a SYN that brings a Fast Open cookie or data: the child may be
	 * created at once, before any third segment */
	if (e->seg.dir == SYN_DIR_RX && ev_is_bare_syn(e) &&
	    (e->seg.len || ((e->seg.opts & SYN_OPT_FASTOPEN) && e->seg.fo_cookie_len)))
		s->fastopen_syn[lane] = true;
}

static void story_start(struct story *s)
{
	memset(s, 0, sizeof(*s));
	s->first_fin = -1;
}

/* What the next batch's scans will not find in its rows: this one's calls. */
static void story_carry(struct story *s, const struct conn *c)
{
	for (size_t j = 0; j < c->nrows; j++) {
		const struct conn_row *r = &c->rows[j];

		if (r->end > 1)
			continue;
		s->closed_before[r->end] |= row_closes_lane(r);
		s->accepted_before[r->end] |= row_accepts_lane(r);
	}
}

static void explain_rows(const struct conn *c, struct story *s, struct explain_note *notes)
{
	find_simultaneous(c, s);
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];
		struct explain_note *n = &notes[i];

		story_note(s, r);
		n->key = EX_NONE;
		n->who = r->end;
		n->n = 0;
		switch (r->ev.kind) {
		case SYN_EV_SEGMENT:
			if (is_primary_segment(c, i))
				explain_segment(c, i, s, n);
			else if (r->ev.seg.dir == SYN_DIR_RX && !self_connected(c) &&
				 (r->ev.seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK | SYN_TCP_RST)) ==
					 SYN_TCP_SYN && syn_unanswered(c, i))
				n->key = EX_SYN_UNANSWERED;
			break;
		case SYN_EV_SYSCALL:
			explain_syscall(c, i, s, n);
			break;
		case SYN_EV_STATE:
			explain_state(c, i, s, n);
			break;
		case SYN_EV_RESET:
			explain_reset(c, i, s, n);
			break;
		case SYN_EV_TIMEWAIT:
			n->key = r->ev.tw.substate == ST_FIN_WAIT2 ? EX_ST_FW2_TIMEOUT : EX_ST_TW_END;
			break;
		case CONN_ROW_SUMMARY:
			n->key = EX_SUMMARY;
			break;
		case SYN_EV_ICMP:
			n->key = icmp_key(r);
			break;
		case SYN_EV_DROP:
			explain_drop(r, s, n);
			break;
		case SYN_EV_DESTROY:
			n->key = EX_DESTROY;
			break;
		}
	}
}

void explain_conn(const struct conn *c, struct explain_note *notes)
{
	struct story s;

	story_start(&s);
	explain_rows(c, &s, notes);
}

struct explain_story *explain_story_new(void)
{
	struct explain_story *st = malloc(sizeof(*st));

	if (st)
		story_start(&st->s);
	return st;
}

void explain_story_free(struct explain_story *st)
{
	free(st);
}

void explain_batch(const struct conn *batch, struct explain_story *st, struct explain_note *notes)
{
	explain_rows(batch, &st->s, notes);
	story_carry(&st->s, batch);
}
