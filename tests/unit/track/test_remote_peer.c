/* The tracker with one end on this host and the peer far away: what this
 * host's kernel reports, and only that (no events of the peer's socket).
 * Shaped like the traces of tests/integration/test_remote.sh (a scripted
 * peer on a tun device), sequence numbers shortened. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include "test.h"
#include "events.h"
#include "shorthand.h"
#include "base/names.h"
#include "render/text_summary.h"
#include "track/tracker.h"
#include "tracker_run.h"

#define MS 1000000ull

static const struct ep ME = { "10.77.0.1", 40000 }, PEER = { "10.77.0.2", 80 };
static const struct ep ME_UNBOUND = { "10.77.0.1", 0 }, ANY = { "0.0.0.0", 0 };
enum { SID = 0xC1, PID = 100 };

static struct syn_event call(__u64 ts, __u8 c, __u8 phase, long long ret)
{
	return ev_call(ts, SID, c == SYN_CALL_CONNECT && phase == ENTRY ? ME_UNBOUND : ME, PEER,
		       PID, "client", c, phase, 3, ret);
}

/* The handshake of our connect() to the peer, from t on; returns the next time. */
static size_t open_client(struct syn_event *ev, __u64 t)
{
	size_t n = 0;

	ev[n++] = call(t, SYN_CALL_CONNECT, ENTRY, 0);
	ev[n++] = ev_state(t + 1000, SID, ME_UNBOUND, PEER, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(t + 2000, SID, ME, PEER, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(t + 3 * MS, 0, ME, PEER, RX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_state(t + 3 * MS + 1000, SID, ME, PEER, SYN_SENT, ESTABLISHED);
	ev[n++] = ev_seg(t + 3 * MS + 2000, SID, ME, PEER, TX, A_, 101, 901, 0);
	ev[n++] = call(t + 3 * MS + 3000, SYN_CALL_CONNECT, RET, 0);
	return n;
}

/* We close first, our close() returns at once, the peer acknowledges our
 * FIN and sends its own 200 ms later: the full socket is freed in between
 * (a timewait socket in FIN-WAIT-2 takes over), so only one connection from
 * the SYN to the last ACK, and TIME-WAIT at the peer's FIN. */
static void test_active_close_waits_for_the_peers_fin(void)
{
	struct syn_event ev[32];
	struct run r;
	char buf[400];
	size_t n = open_client(ev, 1000 * MS);
	__u64 t = 1100 * MS, fin_at = t + 200 * MS;

	ev[n++] = call(t, SYN_CALL_CLOSE, ENTRY, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_state(t + 1000, SID, ME, PEER, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(t + 2000, SID, ME, PEER, TX, F_ | A_, 101, 901, 0);
	ev[n++] = call(t + 3000, SYN_CALL_CLOSE, RET, 0);
	ev[n++] = ev_seg(t + 5 * MS, 0, ME, PEER, RX, A_, 901, 102, 0);
	ev[n++] = ev_state(t + 5 * MS + 1000, SID, ME, PEER, FIN_WAIT1, FIN_WAIT2);
	ev[n++] = ev_state(t + 5 * MS + 2000, SID, ME_UNBOUND, PEER, FIN_WAIT2, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t + 5 * MS + 3000, SID, ME_UNBOUND, PEER);
	run_new(&r);
	feed(&r, ev, n);
	tick(&r, t + 100 * MS);
	CHECK_EQ_INT(r.k.nconns, 0); /* the timewait socket waits for the peer's FIN */
	n = 0;
	ev[n++] = ev_seg(fin_at, 0, ME, PEER, RX, F_ | A_, 901, 102, 0);
	ev[n++] = ev_seg(fin_at + 1000, 0, ME, PEER, TX, A_, 102, 902, 0); /* from the timewait socket */
	feed(&r, ev, n);
	tick(&r, fin_at + 10 * MS);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];

		CHECK(c->complete);
		CHECK(!c->continued);
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)),
			     "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 "
			     "FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE FIN_WAIT2>TIME_WAIT*");
		CHECK_EQ_INT(c->end[0].state, TIME_WAIT);
		CHECK_EQ_INT(c->end[0].tw_since, fin_at);
		CHECK(!c->end[1].traced);
		/* the last row is our ACK of the peer's FIN, in TIME-WAIT */
		CHECK_EQ_INT(c->rows[c->nrows - 1].ev.seg.flags, A_);
		CHECK_EQ_INT(c->rows[c->nrows - 1].state_after[0], TIME_WAIT);
	}
	tracker_finish(r.t);
	CHECK_EQ_INT(tracker_summary(r.t)->conns, 1);
	run_free(&r);
}

/* TIME-WAIT shown, then an RST at the sequence number it expects: the
 * timewait socket dies. The same connection goes on ("continued"), with
 * TIME_WAIT -> CLOSE inferred at the RST; its end when the timer fires
 * later is no story of its own, only rows. */
static void test_time_wait_killed_by_rst_continues(void)
{
	struct syn_event ev[32];
	struct run r;
	size_t n = open_client(ev, 1000 * MS);
	__u64 t = 1100 * MS;

	ev[n++] = call(t, SYN_CALL_CLOSE, ENTRY, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_state(t + 1000, SID, ME, PEER, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(t + 2000, SID, ME, PEER, TX, F_ | A_, 101, 901, 0);
	ev[n++] = ev_seg(t + 3 * MS, 0, ME, PEER, RX, F_ | A_, 901, 102, 0);
	ev[n++] = ev_state(t + 3 * MS + 100, SID, ME, PEER, FIN_WAIT1, FIN_WAIT2);
	ev[n++] = ev_seg(t + 3 * MS + 200, SID, ME, PEER, TX, A_, 102, 902, 0);
	ev[n++] = ev_state(t + 3 * MS + 300, SID, ME_UNBOUND, PEER, FIN_WAIT2, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t + 3 * MS + 400, SID, ME_UNBOUND, PEER);
	ev[n++] = call(t + 3 * MS + 500, SYN_CALL_CLOSE, RET, 0);
	run_new(&r);
	feed(&r, ev, n);
	tick(&r, t + 10 * MS);
	CHECK_EQ_INT(r.k.nconns, 1);
	n = 0;
	ev[n++] = ev_seg(t + 500 * MS, 0, ME, PEER, RX, R_, 902, 0, 0);
	feed(&r, ev, n);
	tick(&r, t + 510 * MS);
	if (CHECK_EQ_INT(r.k.nconns, 2)) {
		const struct conn *c = &r.k.conns[1];
		char buf[200];

		CHECK(c->continued);
		CHECK_EQ_INT(c->id, r.k.conns[0].id);
		CHECK_EQ_INT(c->end[0].port, ME.port); /* the same lanes */
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)), "TIME_WAIT>CLOSE*");
		CHECK_EQ_INT(c->end[0].state, CLOSE);
	}
	CHECK_EQ_INT(tracker_summary(r.t)->conns, 1);
	CHECK_EQ_INT(tracker_summary(r.t)->continued, 1);
	run_free(&r);
}

/* A timewait socket's timer fires after its connection was shown: rows()
 * gets the row, no second story is drawn. */
static void test_timewait_end_after_the_story(void)
{
	struct syn_event ev[32];
	struct run r;
	size_t n = open_client(ev, 1000 * MS), rows;
	__u64 t = 1100 * MS;

	ev[n++] = ev_state(t + 1000, SID, ME, PEER, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(t + 2000, SID, ME, PEER, TX, F_ | A_, 101, 901, 0);
	ev[n++] = ev_seg(t + 3 * MS, 0, ME, PEER, RX, F_ | A_, 901, 102, 0);
	ev[n++] = ev_state(t + 3 * MS + 100, SID, ME, PEER, FIN_WAIT1, FIN_WAIT2);
	ev[n++] = ev_seg(t + 3 * MS + 200, SID, ME, PEER, TX, A_, 102, 902, 0);
	ev[n++] = ev_state(t + 3 * MS + 300, SID, ME_UNBOUND, PEER, FIN_WAIT2, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t + 3 * MS + 400, SID, ME_UNBOUND, PEER);
	run_new(&r);
	feed(&r, ev, n);
	tick(&r, t + 10 * MS);
	rows = r.k.rows;
	CHECK_EQ_INT(r.k.nconns, 1);
	ev[0] = ev_kind(SYN_EV_TIMEWAIT, t + 3 * MS + 60000 * MS, 0, ME, PEER);
	ev[0].tw.substate = TIME_WAIT;
	feed(&r, ev, 1);
	tick(&r, t + 61000 * MS);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 1);
	CHECK_EQ_INT(r.k.rows, rows + 1);
	run_free(&r);
}

/* The peer completes the handshake and resets at once, before accept(): the
 * half-open connection ends then (it is not held as open), and the
 * server's lane goes back to LISTEN. */
static void test_handshake_reset_ends_it(void)
{
	struct ep srv = { "10.77.0.1", 8080 }, cli = { "10.77.0.2", 5555 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;
	char buf[200];

	ev[n++] = ev_seg(1000, 0, srv, cli, RX, S_, 700, 0, 0);
	ev[n++] = ev_seg(2000, 0, srv, cli, TX, S_ | A_, 300, 701, 0);
	ev[n++] = ev_seg(47000, 0, srv, cli, RX, R_, 701, 0, 0);
	run_new(&r);
	feed(&r, ev, n);
	tick(&r, 5 * MS);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];

		CHECK(c->complete);
		CHECK_EQ_INT(c->end[1].port, 8080);
		CHECK_EQ_STR(lane_states(c, 1, buf, sizeof(buf)), "LISTEN>SYN_RECV* SYN_RECV>LISTEN*");
		CHECK_EQ_INT(c->end[1].state, LISTEN);
	}
	run_free(&r);
}

/* A connection that began before tracing (data, no SYN) and then a new
 * SYN on the same tuple: two connections, not one. */
static void test_new_syn_after_a_fragment(void)
{
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(1000, 0, ME, PEER, RX, P_ | A_, 5000, 77, 10);
	ev[n++] = ev_seg(2000, 0, ME, PEER, TX, A_, 77, 5010, 0);
	ev[n++] = ev_seg(90 * MS, SID, ME, PEER, TX, S_, 100, 0, 0);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 2);
	if (r.k.nconns == 2)
		CHECK_EQ_INT(r.k.conns[1].rows[0].ev.seg.flags, S_);
	run_free(&r);
}

/* A SYN from source port 0 is a SYN: a connection of its own. */
static void test_syn_from_port_zero(void)
{
	struct ep srv = { "10.77.0.1", 8080 }, zero = { "10.77.0.9", 0 };
	struct syn_event ev[2];
	struct run r;

	ev[0] = ev_seg(1000, 0, srv, zero, RX, S_, 1, 0, 0);
	run_new(&r);
	feed(&r, ev, 1);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK_EQ_INT(r.k.conns[0].end[0].port, 0);
	run_free(&r);
}

/* Data arrives on our orphaned FIN_WAIT1 socket: the kernel resets the
 * connection itself (its "reset received" has no RST behind it) and sends
 * an RST from the dying socket: both in the one connection. */
static void test_abort_on_data_is_no_rst_received(void)
{
	struct syn_event ev[32];
	struct run r;
	size_t n = open_client(ev, 1000 * MS);
	__u64 t = 1100 * MS;

	ev[n++] = call(t, SYN_CALL_CLOSE, ENTRY, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_state(t + 1000, SID, ME, PEER, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(t + 2000, SID, ME, PEER, TX, F_ | A_, 101, 901, 0);
	ev[n++] = call(t + 3000, SYN_CALL_CLOSE, RET, 0);
	ev[n++] = ev_seg(t + 4 * MS, 0, ME, PEER, RX, P_ | A_, 901, 101, 100);
	ev[n++] = ev_kind(SYN_EV_RESET, t + 4 * MS + 100, SID, ME, PEER);
	ev[n - 1].rst.kind = SYN_RESET_RECEIVED;
	ev[n++] = ev_state(t + 4 * MS + 200, SID, ME, PEER, FIN_WAIT1, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t + 4 * MS + 300, SID, ME_UNBOUND, PEER);
	ev[n++] = ev_kind(SYN_EV_RESET, t + 4 * MS + 400, SID, ME, PEER);
	ev[n - 1].rst.kind = SYN_RESET_SENT;
	ev[n++] = ev_seg(t + 4 * MS + 500, 0, ME, PEER, TX, R_, 102, 0, 0);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		int received = 0, sent = 0;

		for (size_t i = 0; i < c->nrows; i++) {
			const struct conn_row *x = &c->rows[i];

			if (x->ev.kind != SYN_EV_RESET)
				continue;
			if (x->ev.rst.kind == SYN_RESET_RECEIVED) {
				received++;
				CHECK(x->marks & ROW_NO_RST);
			} else {
				sent++;
			}
		}
		CHECK_EQ_INT(received, 1);
		CHECK_EQ_INT(sent, 1);
	}
	CHECK_EQ_INT(tracker_summary(r.t)->continued, 0);
	run_free(&r);
}

/* Lost events, stamped after since_ns: every connection open then may have
 * lost some, a quiet one too (what it did then may be just what was lost:
 * here an answer to its SYN), one active after it, and one whose events up
 * to the report come later; not one whose ends had all settled before the
 * window (the source's ticks hold it until the report has come). */
static void test_lost_window(void)
{
	struct ep a = { "10.77.0.1", 40001 }, b = { "10.77.0.1", 40002 }, c3 = { "10.77.0.1", 40003 };
	struct ep d = { "10.77.0.1", 40004 };
	struct syn_event ev[10];
	struct run r;
	size_t n = 0;

	run_new(&r);
	tick(&r, MS / 2);
	ev[n++] = ev_seg(1 * MS, 0xA1, a, PEER, TX, S_, 1, 0, 0);
	ev[n++] = ev_seg(2 * MS, 0xD1, d, PEER, TX, S_, 1, 0, 0);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 5 * MS, 0xD1, d, PEER);
	ev[n++] = ev_seg(50 * MS, 0xB1, b, PEER, TX, S_, 1, 0, 0);
	ev[n] = ev_kind(SYN_EV_LOST, 60 * MS, 0, ANY, ANY);
	ev[n].lost.count = 3;
	ev[n++].lost.since_ns = 20 * MS;
	ev[n++] = ev_seg(55 * MS, 0xC3, c3, PEER, TX, S_, 1, 0, 0);
	ev[n++] = ev_seg(70 * MS, 0xA1, a, PEER, TX, S_, 1, 0, 0); /* retransmitted */
	feed(&r, ev, n);
	tick(&r, 100 * MS);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 4)) {
		for (int i = 0; i < 4; i++) {
			const struct conn *c = &r.k.conns[i];

			if (c->end[0].port == 40004)
				CHECK(!c->maybe_lost);
			else
				CHECK(c->maybe_lost);
		}
	}
	CHECK_EQ_INT(tracker_summary(r.t)->lost, 3);
	run_free(&r);
}

/* A connection that a new one on its tuple ends (another SYN) before a loss
 * is reported waits for the source's clock like a settled one: the loss
 * stamped in its time marks it. */
static void test_lost_window_replaced_connection(void)
{
	struct ep e = { "10.77.0.1", 40005 };
	struct syn_event ev[4];
	struct run r;
	size_t n = 0;

	run_new(&r);
	tick(&r, MS);
	ev[n++] = ev_seg(30 * MS, 0xE1, e, PEER, TX, S_, 1000, 0, 0);
	ev[n++] = ev_seg(40 * MS, 0xE2, e, PEER, TX, S_, 9000, 0, 0); /* a new one */
	ev[n] = ev_kind(SYN_EV_LOST, 60 * MS, 0, ANY, ANY);
	ev[n].lost.count = 1;
	ev[n++].lost.since_ns = 20 * MS;
	feed(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 0); /* nothing handed over before the clock says so */
	tick(&r, 100 * MS);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 2)) {
		CHECK(r.k.conns[0].maybe_lost);
		CHECK(r.k.conns[1].maybe_lost);
		CHECK_EQ_INT(r.k.conns[0].end[0].isn, 1000);
	}
	run_free(&r);
}

/* A segment queued for sending and dropped by this host's qdisc never left:
 * marked, and not paired with anything. */
static void test_qdisc_drop_is_not_sent(void)
{
	struct syn_event ev[32];
	struct run r;
	size_t n = open_client(ev, 1000 * MS);

	ev[n++] = ev_seg(1100 * MS, SID, ME, PEER, TX, P_ | A_, 101, 901, 50);
	ev[n] = ev_kind(SYN_EV_DROP, 1100 * MS + 10, 0, ME, PEER);
	ev[n].drop.dir = TX;
	ev[n].drop.flags = P_ | A_;
	ev[n].drop.seq = 101;
	ev[n].drop.ack = 901;
	ev[n++].drop.len = 50;
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		int not_sent = 0;

		for (size_t i = 0; i < c->nrows; i++)
			if (c->rows[i].marks & ROW_NOT_SENT) {
				not_sent++;
				CHECK_EQ_INT(c->rows[i].ev.seg.len, 50);
				CHECK_EQ_INT(c->rows[i].pair, -1);
			}
		CHECK_EQ_INT(not_sent, 1);
	}
	run_free(&r);
}

/* A SYN-ACK sent from no socket carries a SYN cookie: marked, and the
 * server lane stays LISTEN (no request socket: no SYN-RECEIVED inferred). */
static void test_syn_cookie(void)
{
	struct ep srv = { "10.77.0.1", 8080 }, cli = { "10.77.0.2", 5555 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;
	char buf[200];

	ev[n++] = ev_seg(1000, 0, srv, cli, RX, S_, 700, 0, 0);
	ev[n] = ev_seg(2000, 0, srv, cli, TX, S_ | A_, 300, 701, 0);
	ev[n++].sk_kind = SYN_SK_NONE;
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_STR(lane_states(c, 1, buf, sizeof(buf)), "");
		CHECK(c->rows[1].marks & ROW_COOKIE);
		CHECK_EQ_INT(c->rows[1].state_after[1], LISTEN);
	}
	run_free(&r);
}

/* Three ACKs of the same byte, no data, while our data is outstanding: the
 * second and third are duplicate ACKs. */
static void test_duplicate_acks(void)
{
	struct syn_event ev[32];
	struct run r;
	size_t n = open_client(ev, 1000 * MS);

	ev[n++] = ev_seg(1100 * MS, SID, ME, PEER, TX, A_, 101, 901, 1000);
	ev[n++] = ev_seg(1100 * MS + 1, SID, ME, PEER, TX, A_, 1101, 901, 1000);
	ev[n++] = ev_seg(1100 * MS + 2, SID, ME, PEER, TX, A_, 2101, 901, 1000);
	for (int i = 0; i < 3; i++)
		ev[n++] = ev_seg(1120 * MS + (__u64)i, 0, ME, PEER, RX, A_, 901, 1101, 0);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		int dup = 0;

		for (size_t i = 0; i < c->nrows; i++)
			dup += !!(c->rows[i].marks & ROW_DUP_ACK);
		CHECK_EQ_INT(dup, 2);
	}
	run_free(&r);
}

/* A SYN flood: 30 half-open connections to one port. The first
 * HALFOPEN_DRAWN are drawn; the rest are counted by port, every SYN,
 * SYN-ACK (cookie or not), reset and how each ended; rows() still gets
 * every row of every one. */
static void test_flood_is_counted(void)
{
	struct ep srv = { "10.77.0.1", 8080 };
	struct syn_event ev[4];
	struct run r;
	const struct halfopen *h;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	run_new(&r);
	for (int i = 0; i < 30; i++) {
		struct ep cli = { "10.77.0.2", (__u16)(30000 + i) };
		__u64 t = (__u64)(i + 1) * MS;
		size_t n = 0;

		ev[n++] = ev_seg(t, 0, srv, cli, RX, S_, 700, 0, 0);
		if (i % 3 != 2) { /* every third is never answered */
			ev[n] = ev_seg(t + 10, 0, srv, cli, TX, S_ | A_, 300, 701, 0);
			ev[n++].sk_kind = i % 3 == 0 ? SYN_SK_NONE : SYN_SK_REQUEST;
		}
		if (i % 3 == 1)
			ev[n++] = ev_seg(t + 20, 0, srv, cli, RX, R_, 701, 0, 0);
		feed(&r, ev, n);
	}
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, HALFOPEN_DRAWN);
	/* every event, and the inferred SYN-RECEIVED of the request sockets and
	 * its end at the reset */
	CHECK_EQ_INT(r.k.rows, 30 + 20 + 10 + 10 + 10);
	h = tracker_summary(r.t)->halfopen;
	if (CHECK(h && h->n == 1)) {
		const struct halfopen_port *p = &h->ports[0];

		CHECK_EQ_INT(h->counted, 30 - HALFOPEN_DRAWN);
		CHECK_EQ_INT(p->port, 8080);
		CHECK_EQ_INT(p->conns, 30);
		CHECK_EQ_INT(p->drawn, HALFOPEN_DRAWN);
		CHECK_EQ_INT(p->syns, 30);
		CHECK_EQ_INT(p->synacks, 20);
		CHECK_EQ_INT(p->cookies, 10);
		CHECK_EQ_INT(p->rsts_in, 10);
		CHECK_EQ_INT(p->ends[HO_NO_ACK], 10);
		CHECK_EQ_INT(p->ends[HO_RESET], 10);
		CHECK_EQ_INT(p->ends[HO_UNANSWERED], 10);
		f = open_memstream(&text, &len);
		txt_halfopen(f, h, 0);
		fclose(f);
		CHECK_CONTAINS(text, "20 not drawn one by one");
		CHECK_CONTAINS(text, "10.77.0.1:8080: 30 connections");
		CHECK_CONTAINS(text, "in: 30 SYNs, 10 RSTs;");
		CHECK_CONTAINS(text, "out: 20 SYN-ACKs (10 with a SYN cookie");
		CHECK_CONTAINS(text, "10 answered, no ACK back, 10 reset by the peer, 10 never answered");
		free(text);
	}
	run_free(&r);
}

int main(void)
{
	RUN(test_active_close_waits_for_the_peers_fin);
	RUN(test_time_wait_killed_by_rst_continues);
	RUN(test_timewait_end_after_the_story);
	RUN(test_handshake_reset_ends_it);
	RUN(test_new_syn_after_a_fragment);
	RUN(test_syn_from_port_zero);
	RUN(test_abort_on_data_is_no_rst_received);
	RUN(test_lost_window);
	RUN(test_lost_window_replaced_connection);
	RUN(test_qdisc_drop_is_not_sent);
	RUN(test_syn_cookie);
	RUN(test_duplicate_acks);
	RUN(test_flood_is_counted);
	return TEST_SUMMARY();
}
