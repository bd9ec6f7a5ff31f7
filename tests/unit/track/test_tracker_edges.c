/* The tracker's corners that make make mutate's mutants show (issue 22):
 * who owns an end when another process calls on it, roles without a
 * handshake, what a reset in FIN-WAIT-2 leaves, the retransmission mark of
 * a segment seen only arriving, when a connection may end (calls in flight,
 * its grace, the source's clock), what lost events mark, the finished
 * table's memory, and the fold's control rows. Each stream is written by
 * hand; each expectation is worked out from it. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include "test.h"
#include "events.h"
#include "shorthand.h"
#include "base/names.h"
#include "track/fold.h"
#include "track/halfopen.h"
#include "track/timeline.h"
#include "track/tracker.h"
#include "tracker_run.h"

#define US 1000ull
#define MS 1000000ull

/* The client here, the server another host (its lane is packets only). */
static const struct ep CLI = { "10.0.0.1", 40000 }, SRV = { "10.0.0.2", 80 };
static const struct ep ANY = { "0.0.0.0", 0 }, CLI0 = { "10.0.0.1", 0 };
enum { SID = 0xC1 };

/* The row of kind at or after ts on a lane, or NULL. */
static const struct conn_row *row_at(const struct conn *c, __u8 kind, __u64 ts, int end)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].ev.kind == kind && c->rows[i].ev.ts_ns == ts && c->rows[i].end == end)
			return &c->rows[i];
	return NULL;
}

/* The client connects (10-60 us), handshake answered by the remote server. */
static size_t connected(struct syn_event *ev, __u32 pid, const char *comm)
{
	size_t n = 0;

	ev[n++] = ev_call(10 * US, SID, ANY, SRV, pid, comm, SYN_CALL_CONNECT, ENTRY, 3, 0);
	ev[n++] = ev_state(20 * US, SID, CLI0, SRV, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(30 * US, SID, CLI, SRV, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(40 * US, 0, CLI, SRV, RX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_state(45 * US, SID, CLI, SRV, SYN_SENT, ESTABLISHED);
	ev[n++] = ev_seg(50 * US, SID, CLI, SRV, TX, A_, 101, 901, 0);
	ev[n++] = ev_call(60 * US, SID, CLI, SRV, pid, comm, SYN_CALL_CONNECT, RET, 3, 0);
	return n;
}

/* ... then close()s first (100 us on): FIN_WAIT1, its FIN acknowledged,
 * FIN_WAIT2, and the kernel hands the orphan to a timewait socket
 * (FIN_WAIT2 -> CLOSE for the full socket, destroyed); close() returns. */
static size_t closed_first(struct syn_event *ev, __u32 pid, const char *comm)
{
	size_t n = 0;

	ev[n] = ev_call(100 * US, SID, CLI, SRV, pid, comm, SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n++].sys.last_ref = 1;
	ev[n++] = ev_state(101 * US, SID, CLI, SRV, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(102 * US, SID, CLI, SRV, TX, F_ | A_, 101, 901, 0);
	ev[n++] = ev_call(103 * US, SID, CLI, SRV, pid, comm, SYN_CALL_CLOSE, RET, 3, 0);
	ev[n++] = ev_seg(110 * US, 0, CLI, SRV, RX, A_, 901, 102, 0);
	ev[n++] = ev_state(111 * US, SID, CLI, SRV, FIN_WAIT1, FIN_WAIT2);
	ev[n++] = ev_state(112 * US, SID, CLI0, SRV, FIN_WAIT2, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 113 * US, SID, CLI0, SRV);
	return n;
}

/* ---- who owns an end ------------------------------------------------------ */

/* The end belongs to the process that connect()ed it. A write() and the
 * close() by another process (a child that inherited the descriptor) name
 * their caller on their own rows, and leave the lane its owner. */
static void test_later_caller_does_not_take_the_lane(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct run r;

	ev[n++] = ev_call(70 * US, SID, CLI, SRV, 301, "worker", SYN_CALL_WRITE, ENTRY, 3, 0);
	ev[n++] = ev_seg(71 * US, SID, CLI, SRV, TX, P_ | A_, 101, 901, 5);
	ev[n++] = ev_call(72 * US, SID, CLI, SRV, 301, "worker", SYN_CALL_WRITE, RET, 3, 5);
	n += closed_first(ev + n, 301, "worker");
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		const struct conn_row *w = row_at(c, SYN_EV_SYSCALL, 70 * US, 0);

		CHECK_EQ_INT(c->end[0].pid, 300);
		CHECK_EQ_STR(c->end[0].comm, "client");
		if (CHECK(w != NULL)) {
			CHECK_EQ_INT(w->ev.pid, 301);
			CHECK_EQ_STR(w->ev.comm, "worker");
		}
	}
	run_free(&r);
}

/* Tracing began after connect(): nothing says who owns the end. A listen()
 * on that connected socket (it fails, EINVAL) does not say it either: it is
 * the one call never about a connection's end. */
static void test_listen_on_a_connected_socket_names_nobody(void)
{
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(10 * US, SID, CLI, SRV, TX, P_ | A_, 101, 901, 5);
	ev[n++] = ev_seg(20 * US, 0, CLI, SRV, RX, A_, 901, 106, 0);
	ev[n++] = ev_call(30 * US, SID, CLI, SRV, 500, "odd", SYN_CALL_LISTEN, ENTRY, 3, 0);
	ev[n++] = ev_call(31 * US, SID, CLI, SRV, 500, "odd", SYN_CALL_LISTEN, RET, 3, -22);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		CHECK_EQ_INT(r.k.conns[0].end[0].port, 40000);
		CHECK_EQ_INT(r.k.conns[0].end[0].pid, 0);
	}
	run_free(&r);
}

/* ---- roles without a handshake --------------------------------------------- */

/* Data only, no SYN, no call: the lower port is taken for the service, on
 * the right, whichever end's segment came first. */
static void test_roles_without_a_handshake(void)
{
	struct ep srv_here = { "10.0.0.2", 80 }, cli_there = { "10.0.0.1", 40000 };
	struct syn_event ev[4];
	struct run r;

	/* the server is on this host: its segment first */
	ev[0] = ev_seg(10 * US, 0x51, srv_here, cli_there, TX, P_ | A_, 900, 101, 5);
	ev[1] = ev_seg(20 * US, 0, srv_here, cli_there, RX, A_, 101, 905, 0);
	run_new(&r);
	feed(&r, ev, 2);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		CHECK_EQ_INT(r.k.conns[0].end[0].port, 40000);
		CHECK_EQ_INT(r.k.conns[0].end[1].port, 80);
		CHECK(r.k.conns[0].end[1].traced && !r.k.conns[0].end[0].traced);
	}
	run_free(&r);
	/* the client is on this host */
	ev[0] = ev_seg(10 * US, SID, CLI, SRV, TX, P_ | A_, 101, 901, 5);
	ev[1] = ev_seg(20 * US, 0, CLI, SRV, RX, A_, 901, 106, 0);
	run_new(&r);
	feed(&r, ev, 2);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		CHECK_EQ_INT(r.k.conns[0].end[0].port, 40000);
		CHECK_EQ_INT(r.k.conns[0].end[1].port, 80);
	}
	run_free(&r);
}

/* Tracing began between the SYN and its SYN-ACK: the SYN-ACK's sender is
 * the server, whatever its port (a service on 50000 answering a client on
 * 40000 too, where the lower-port guess would swap them). */
static void test_synack_first_seen(void)
{
	static const __u16 ports[][2] = { { 80, 40000 }, { 50000, 40000 } }; /* server, client */

	for (int k = 0; k < 2; k++) {
		struct ep srv_here = { "10.0.0.2", ports[k][0] }, cli_there = { "10.0.0.1", ports[k][1] };
		struct syn_event ev[2];
		struct run r;

		ev[0] = ev_seg(10 * US, 0, srv_here, cli_there, TX, S_ | A_, 900, 101, 0);
		ev[1] = ev_seg(20 * US, 0, srv_here, cli_there, RX, A_, 101, 901, 0);
		run_new(&r);
		feed(&r, ev, 2);
		tracker_finish(r.t);
		if (CHECK_EQ_INT(r.k.nconns, 1)) {
			CHECK_EQ_INT(r.k.conns[0].end[1].port, ports[k][0]);
			CHECK_EQ_INT(r.k.conns[0].end[0].port, ports[k][1]);
			CHECK_EQ_INT(r.k.conns[0].end[1].role, ROLE_SERVER);
			CHECK_EQ_INT(r.k.conns[0].end[0].role, ROLE_CLIENT);
		}
		run_free(&r);
	}
}

/* Traffic of a connection from before tracing (no SYN), then a SYN on the
 * same tuple: a new connection, not more of the old one. */
static void test_syn_after_traffic_without_one(void)
{
	struct syn_event ev[4];
	struct run r;

	ev[0] = ev_seg(10 * US, 0, CLI, SRV, TX, P_ | A_, 101, 901, 5);
	ev[1] = ev_seg(20 * US, 0, CLI, SRV, RX, A_, 901, 106, 0);
	ev[2] = ev_seg(30 * US, 0, CLI, SRV, TX, S_, 7000, 0, 0);
	run_new(&r);
	feed(&r, ev, 3);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 2)) {
		CHECK_EQ_INT(r.k.conns[0].nrows, 2);
		CHECK_EQ_INT(r.k.conns[1].nrows, 1);
		CHECK(ev_is_syn(&r.k.conns[1].rows[0].ev));
	}
	run_free(&r);
}

/* ---- lost events ------------------------------------------------------------ */

/* A loss report: events stamped after since_ns (50 us) up to it (100 us)
 * may be missing. Connection A was last seen at 10 us but is still open
 * (a SYN, nothing settled): what it did in the window may be just what was
 * lost, so it is marked too (docs/design.md, Loss). B was active at 60 us:
 * it may. C's first event is stamped at the report's own time (delivered
 * after it): it may be missing company; D's, 1 ns later, is not. */
static void test_loss_marks_what_it_can_touch(void)
{
	struct ep a = { "10.0.0.1", 40001 }, b = { "10.0.0.1", 40002 };
	struct ep c = { "10.0.0.1", 40003 }, d = { "10.0.0.1", 40004 };
	struct syn_event ev[5], lost;
	struct run r;

	memset(&lost, 0, sizeof(lost));
	lost.kind = SYN_EV_LOST;
	lost.ts_ns = 100 * US;
	lost.lost.since_ns = 50 * US;
	lost.lost.count = 3;
	ev[0] = ev_seg(10 * US, 0, a, SRV, TX, S_, 1, 0, 0);
	ev[1] = ev_seg(60 * US, 0, b, SRV, TX, S_, 2, 0, 0);
	ev[2] = lost;
	ev[3] = ev_seg(100 * US, 0, c, SRV, TX, S_, 3, 0, 0);
	ev[4] = ev_seg(100 * US + 1, 0, d, SRV, TX, S_, 4, 0, 0);
	run_new(&r);
	feed(&r, ev, 5);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 4)) {
		for (int i = 0; i < 4; i++) {
			const struct conn *k = &r.k.conns[i];
			bool want = k->end[0].port != 40004;

			if (!CHECK_EQ_INT(k->maybe_lost, want))
				fprintf(stderr, "  port %u\n", k->end[0].port);
		}
	}
	CHECK_EQ_INT(tracker_summary(r.t)->lost, 3);
	run_free(&r);
}

/* A connection whose ends all settled before a loss window began is not
 * marked by it, though it still waits for its grace (not handed over yet):
 * nothing of it can be missing. One that settled inside the window is. */
static void test_loss_spares_what_settled_before(void)
{
	for (int inside = 0; inside < 2; inside++) {
		struct syn_event ev[32], lost;
		size_t n = connected(ev, 300, "client");
		struct run r;

		ev[n] = ev_call(100 * US, SID, CLI, SRV, 300, "client", SYN_CALL_CLOSE, ENTRY, 3, 0);
		ev[n++].sys.last_ref = 1;
		ev[n++] = ev_seg(101 * US, SID, CLI, SRV, TX, R_ | A_, 101, 901, 0);
		ev[n++] = ev_state(102 * US, SID, CLI, SRV, ESTABLISHED, CLOSE);
		ev[n++] = ev_kind(SYN_EV_DESTROY, 103 * US, SID, CLI, SRV);
		ev[n++] = ev_call(104 * US, SID, CLI, SRV, 300, "client", SYN_CALL_CLOSE, RET, 3, 0);
		memset(&lost, 0, sizeof(lost));
		lost.kind = SYN_EV_LOST;
		lost.ts_ns = 110 * US;
		lost.lost.since_ns = inside ? 50 * US : 105 * US;
		lost.lost.count = 1;
		ev[n++] = lost;
		run_new(&r);
		tick(&r, 1);
		feed(&r, ev, n);
		CHECK_EQ_INT(r.k.nconns, 0); /* still in its grace when the loss came */
		tick(&r, 110 * US + 5 * TRACKER_GRACE_NS);
		if (CHECK_EQ_INT(r.k.nconns, 1))
			CHECK_EQ_INT(r.k.conns[0].maybe_lost, inside);
		tracker_finish(r.t);
		run_free(&r);
	}
}

/* ---- when a connection ends --------------------------------------------------- */

/* Its socket is gone but a close() on it has not returned: it is not over.
 * With the return, and a grace of TRACKER_GRACE_NS after it on the source's
 * clock (not one ns less), it ends, the return among its rows. */
static void test_call_in_flight_and_the_grace(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct run r;
	char buf[256];

	/* a reset: the socket is gone while close() is still in it */
	ev[n] = ev_call(100 * US, SID, CLI, SRV, 300, "client", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n++].sys.last_ref = 1;
	ev[n++] = ev_seg(101 * US, SID, CLI, SRV, TX, R_ | A_, 101, 901, 0);
	ev[n++] = ev_state(102 * US, SID, CLI, SRV, ESTABLISHED, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 103 * US, SID, CLI, SRV);
	run_new(&r);
	tick(&r, 1);
	feed(&r, ev, n);
	tick(&r, 103 * US + 5 * TRACKER_GRACE_NS);
	CHECK_EQ_INT(r.k.nconns, 0);
	ev[0] = ev_call(6 * MS, SID, CLI, SRV, 300, "client", SYN_CALL_CLOSE, RET, 3, 0);
	feed(&r, ev, 1);
	tick(&r, 6 * MS + TRACKER_GRACE_NS - 1);
	CHECK_EQ_INT(r.k.nconns, 0);
	tick(&r, 6 * MS + TRACKER_GRACE_NS);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];

		CHECK(c->complete);
		CHECK(!c->continued);
		CHECK(row_at(c, SYN_EV_SYSCALL, 6 * MS, 0) != NULL);
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)),
			     "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>CLOSE");
	}
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 1);
	run_free(&r);
}

/* With ticks, only ticks move the clock: an event stamped much later (from
 * a CPU that ran ahead) does not end a connection early. */
static void test_only_ticks_move_the_clock(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct ep other = { "10.0.0.1", 40009 };
	struct run r;

	n += closed_first(ev + n, 300, "client");
	/* the peer's FIN: the timewait socket's wait is over, all settled at 120 us */
	ev[n++] = ev_seg(120 * US, 0, CLI, SRV, RX, F_ | A_, 901, 102, 0);
	run_new(&r);
	tick(&r, 1);
	feed(&r, ev, n);
	ev[0] = ev_seg(120 * US + 50 * TRACKER_GRACE_NS, 0, other, SRV, TX, S_, 1, 0, 0);
	feed(&r, ev, 1);
	CHECK_EQ_INT(r.k.nconns, 0);
	tick(&r, 120 * US + TRACKER_GRACE_NS);
	CHECK_EQ_INT(r.k.nconns, 1);
	/* ticks are no events: counted nowhere, shown to no sink */
	CHECK_EQ_INT(tracker_summary(r.t)->events, n + 1);
	CHECK_EQ_INT(r.k.events, (int)n + 1);
	tracker_finish(r.t);
	run_free(&r);
}

/* An end handed to a timewait socket in FIN-WAIT-2 waits for the peer's
 * FIN, or for an RST: one arrives, and it is over (complete) after the
 * grace. */
static void test_reset_ends_the_wait_in_fin_wait2(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct run r;

	n += closed_first(ev + n, 300, "client");
	run_new(&r);
	tick(&r, 1);
	feed(&r, ev, n);
	tick(&r, 113 * US + 5 * TRACKER_GRACE_NS);
	CHECK_EQ_INT(r.k.nconns, 0); /* waiting for the peer's FIN */
	ev[0] = ev_seg(6 * MS, 0, CLI, SRV, RX, R_, 901, 0, 0);
	feed(&r, ev, 1);
	tick(&r, 6 * MS + TRACKER_GRACE_NS);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK(r.k.conns[0].complete);
	tracker_finish(r.t);
	run_free(&r);
}

/* The RST ends FIN-WAIT-2 there: no TIME-WAIT after it, even when a FIN
 * comes in later. */
static void test_reset_in_fin_wait2_after_the_handover(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct run r;
	char buf[256];

	n += closed_first(ev + n, 300, "client");
	ev[n++] = ev_seg(120 * US, 0, CLI, SRV, RX, R_, 901, 0, 0);
	ev[n++] = ev_seg(121 * US, 0, CLI, SRV, RX, F_ | A_, 901, 102, 0);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)),
			     "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 "
			     "FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE");
		CHECK(c->end[0].state != TIME_WAIT);
	}
	run_free(&r);
}

/* After the hand-over, data arrives for the closed end: its timewait socket
 * answers with RST and is gone with it (Linux deschedules it), so the lane
 * ends there, CLOSE inferred, and stays out of TIME-WAIT though the peer's
 * FIN follows. */
static void test_timewait_socket_that_resets_is_gone(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct run r;
	char buf[256];

	n += closed_first(ev + n, 300, "client");
	ev[n++] = ev_seg(120 * US, 0, CLI, SRV, RX, P_ | A_, 901, 102, 5);
	ev[n] = ev_kind(SYN_EV_RESET, 121 * US, 0, CLI, SRV);
	ev[n].rst.kind = SYN_RESET_SENT;
	ev[n++].sk_kind = SYN_SK_TIMEWAIT;
	ev[n++] = ev_seg(122 * US, 0, CLI, SRV, TX, R_, 102, 0, 0);
	ev[n++] = ev_seg(130 * US, 0, CLI, SRV, RX, F_ | A_, 906, 102, 0);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)),
			     "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 "
			     "FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE FIN_WAIT2>CLOSE*");
		CHECK_EQ_INT(c->end[0].state, CLOSE);
	}
	run_free(&r);

	/* a reset sent by the full socket is the kernel's to report */
	ev[n - 3].sk_kind = SYN_SK_FULL;
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK(!strstr(lane_states(&r.k.conns[0], 0, buf, sizeof(buf)), "CLOSE*"));
	run_free(&r);
}

/* A socket still open (shutdown(), not close()) in FIN-WAIT-2 gets an RST:
 * the kernel's FIN_WAIT2 -> CLOSE is then its end, not a hand-over to a
 * timewait socket: the lane is CLOSE. */
static void test_reset_in_fin_wait2_of_an_open_socket(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct run r;

	ev[n++] = ev_call(100 * US, SID, CLI, SRV, 300, "client", SYN_CALL_SHUTDOWN, ENTRY, 3, 0);
	ev[n - 1].sys.arg = 1; /* SHUT_WR */
	ev[n++] = ev_state(101 * US, SID, CLI, SRV, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(102 * US, SID, CLI, SRV, TX, F_ | A_, 101, 901, 0);
	ev[n++] = ev_call(103 * US, SID, CLI, SRV, 300, "client", SYN_CALL_SHUTDOWN, RET, 3, 0);
	ev[n++] = ev_seg(110 * US, 0, CLI, SRV, RX, A_, 901, 102, 0);
	ev[n++] = ev_state(111 * US, SID, CLI, SRV, FIN_WAIT1, FIN_WAIT2);
	ev[n++] = ev_seg(120 * US, 0, CLI, SRV, RX, R_, 901, 0, 0);
	ev[n++] = ev_state(121 * US, SID, CLI, SRV, FIN_WAIT2, CLOSE);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		const struct conn_row *x = row_at(c, SYN_EV_STATE, 121 * US, 0);

		CHECK_EQ_INT(c->end[0].state, CLOSE);
		if (CHECK(x != NULL))
			CHECK_EQ_INT(x->state_after[0], CLOSE);
	}
	run_free(&r);
}

/* The client left in TIME-WAIT: the connection is remembered by its tuple
 * for TRACKER_AFTERLIFE_NS and the 60 s of TIME-WAIT, so the server's FIN
 * sent again 15 s after the end is still this connection's (continued). */
static void test_time_wait_is_remembered_longer(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	__u64 end = 120 * US + TRACKER_GRACE_NS, late = end + 15000 * MS;
	struct run r;

	n += closed_first(ev + n, 300, "client");
	ev[n++] = ev_seg(120 * US, 0, CLI, SRV, RX, F_ | A_, 901, 102, 0);
	ev[n++] = ev_seg(121 * US, 0, CLI, SRV, TX, A_, 102, 902, 0);
	run_new(&r);
	tick(&r, 1);
	feed(&r, ev, n);
	tick(&r, end);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK_EQ_INT(r.k.conns[0].end[0].state, TIME_WAIT);
	CHECK(late - end > TRACKER_AFTERLIFE_NS && late - end < TRACKER_AFTERLIFE_NS + TIME_WAIT_NS);
	tick(&r, late);
	ev[0] = ev_seg(late + 1, 0, CLI, SRV, RX, F_ | A_, 901, 102, 0);
	feed(&r, ev, 1);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 2)) {
		CHECK_EQ_INT(r.k.conns[1].id, 1);
		CHECK(r.k.conns[1].continued);
	}
	run_free(&r);
}

/* ---- marks and inferred states ------------------------------------------------- */

/* The server is here, the client another host: the client's segments are
 * seen only arriving. One arriving twice is a retransmission all the same. */
static void test_retransmission_seen_only_arriving(void)
{
	struct ep srv = { "10.0.0.2", 80 }, cli = { "10.0.0.1", 40000 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(10 * US, 0, srv, cli, RX, S_, 100, 0, 0);
	ev[n++] = ev_seg(11 * US, 0, srv, cli, TX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(20 * US, 0, srv, cli, RX, A_, 101, 901, 0);
	ev[n++] = ev_seg(30 * US, 0x51, srv, cli, RX, P_ | A_, 101, 901, 10);
	ev[n++] = ev_seg(40 * US, 0x51, srv, cli, RX, P_ | A_, 101, 901, 10);
	ev[n++] = ev_seg(50 * US, 0x51, srv, cli, RX, P_ | A_, 111, 901, 10);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		const struct conn_row *first = row_at(c, SYN_EV_SEGMENT, 30 * US, 1);
		const struct conn_row *again = row_at(c, SYN_EV_SEGMENT, 40 * US, 1);
		const struct conn_row *next = row_at(c, SYN_EV_SEGMENT, 50 * US, 1);

		if (CHECK(first && again && next)) {
			CHECK(!(first->marks & ROW_RETRANSMIT));
			CHECK(again->marks & ROW_RETRANSMIT);
			CHECK(!(next->marks & ROW_RETRANSMIT));
		}
	}
	run_free(&r);
}

/* A duplicate ACK repeats the acknowledgement and the window: the same ack
 * with a new window is a window update. The server is remote: its ACKs are
 * judged on their arrival. 200 bytes of the client's are out (101-301). */
static void test_window_update_is_no_duplicate_ack(void)
{
	struct syn_event ev[16];
	size_t n = connected(ev, 300, "client");
	struct run r;

	ev[n++] = ev_seg(70 * US, SID, CLI, SRV, TX, P_ | A_, 101, 901, 100);
	ev[n++] = ev_seg(71 * US, SID, CLI, SRV, TX, P_ | A_, 201, 901, 100);
	ev[n++] = ev_seg(80 * US, 0, CLI, SRV, RX, A_, 901, 201, 0);
	ev[n - 1].seg.win = 100;
	ev[n++] = ev_seg(81 * US, 0, CLI, SRV, RX, A_, 901, 201, 0);
	ev[n - 1].seg.win = 200;
	ev[n++] = ev_seg(82 * US, 0, CLI, SRV, RX, A_, 901, 201, 0);
	ev[n - 1].seg.win = 200;
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		const struct conn_row *a = row_at(c, SYN_EV_SEGMENT, 80 * US, 0);
		const struct conn_row *upd = row_at(c, SYN_EV_SEGMENT, 81 * US, 0);
		const struct conn_row *dup = row_at(c, SYN_EV_SEGMENT, 82 * US, 0);

		if (CHECK(a && upd && dup)) {
			CHECK(!(a->marks & ROW_DUP_ACK));
			CHECK(!(upd->marks & ROW_DUP_ACK));
			CHECK(dup->marks & ROW_DUP_ACK);
		}
	}
	run_free(&r);
}

/* In TIME-WAIT after the server's FIN (seq 901: TIME-WAIT expects 902), an
 * RST at another sequence number is ignored; one at 902 ends it. */
static void test_time_wait_reset_at_its_sequence_number_only(void)
{
	struct syn_event ev[32];
	size_t n = connected(ev, 300, "client");
	struct run r;
	char buf[256];

	n += closed_first(ev + n, 300, "client");
	ev[n++] = ev_seg(120 * US, 0, CLI, SRV, RX, F_ | A_, 901, 102, 0);
	ev[n++] = ev_seg(121 * US, 0, CLI, SRV, TX, A_, 102, 902, 0);
	ev[n++] = ev_seg(130 * US, 0, CLI, SRV, RX, R_, 7777, 0, 0);
	ev[n++] = ev_seg(140 * US, 0, CLI, SRV, RX, R_, 902, 0, 0);
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		const struct conn_row *wrong = row_at(c, SYN_EV_SEGMENT, 130 * US, 0);
		const struct conn_row *kill = row_at(c, SYN_EV_STATE, 140 * US, 0);

		/* nothing inferred at the first; TIME-WAIT ends at the second */
		if (CHECK(wrong != NULL))
			CHECK_EQ_INT(wrong->state_after[0], TIME_WAIT);
		CHECK(row_at(c, SYN_EV_STATE, 130 * US, 0) == NULL);
		if (CHECK(kill != NULL)) {
			CHECK(kill->marks & ROW_INFERRED);
			CHECK_EQ_INT(kill->ev.state.newstate, CLOSE);
		}
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)),
			     "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 "
			     "FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE FIN_WAIT2>TIME_WAIT* "
			     "TIME_WAIT>CLOSE*");
		CHECK_EQ_INT(c->end[0].state, CLOSE);
	}
	run_free(&r);
}

/* Both ends on this host; the network delivered one segment twice. It left
 * once: its one transmission pairs with the first arrival only. */
static void test_segment_arriving_twice_pairs_once(void)
{
	struct ep cli = { "127.0.0.1", 40000 }, srv = { "127.0.0.1", 80 };
	struct syn_event ev[4];
	struct run r;

	ev[0] = ev_seg(10 * US, SID, cli, srv, TX, P_ | A_, 101, 901, 5);
	ev[1] = ev_seg(11 * US, 0, srv, cli, RX, P_ | A_, 101, 901, 5);
	ev[2] = ev_seg(12 * US, 0, srv, cli, RX, P_ | A_, 101, 901, 5);
	run_new(&r);
	feed(&r, ev, 3);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1) && CHECK_EQ_INT(r.k.conns[0].nrows, 3)) {
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_INT(c->rows[0].pair, 1);
		CHECK_EQ_INT(c->rows[1].pair, 0);
		CHECK_EQ_INT(c->rows[2].pair, -1);
	}
	run_free(&r);
}

/* "Reset received" is reported by tcp_reset(), which the kernel also calls
 * on its own. It was received only if an RST just arrived at that lane:
 * the client's was (an RST arrived there), the server's was not (the RST
 * it sent arrived elsewhere). */
static void test_reset_received_needs_an_rst_at_that_lane(void)
{
	struct ep cli = { "127.0.0.1", 40000 }, srv = { "127.0.0.1", 80 };
	struct syn_event ev[4];
	struct run r;

	ev[0] = ev_seg(10 * US, 0x51, srv, cli, TX, R_ | A_, 901, 101, 0);
	ev[1] = ev_seg(11 * US, 0, cli, srv, RX, R_ | A_, 901, 101, 0);
	ev[2] = ev_kind(SYN_EV_RESET, 12 * US, SID, cli, srv);
	ev[2].rst.kind = SYN_RESET_RECEIVED;
	ev[3] = ev_kind(SYN_EV_RESET, 13 * US, 0x51, srv, cli);
	ev[3].rst.kind = SYN_RESET_RECEIVED;
	run_new(&r);
	feed(&r, ev, 4);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		const struct conn_row *at_cli = row_at(c, SYN_EV_RESET, 12 * US, 0);
		const struct conn_row *at_srv = row_at(c, SYN_EV_RESET, 13 * US, 1);

		if (CHECK(at_cli && at_srv)) {
			CHECK(!(at_cli->marks & ROW_NO_RST));
			CHECK(at_srv->marks & ROW_NO_RST);
		}
	}
	run_free(&r);
}

/* Retransmissions in recovery: the first of an episode is the fast
 * retransmit, the next within a second resend SACK's holes. At 0.5 s from
 * the clock's start, 0.5 s since "no earlier one" is no episode. */
static void test_first_retransmission_in_recovery(void)
{
	struct syn_event ev[16];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(100 * MS, SID, CLI, SRV, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(400 * MS, SID, CLI, SRV, TX, P_ | A_, 101, 901, 10);
	ev[n++] = ev_seg(410 * MS, SID, CLI, SRV, TX, P_ | A_, 111, 901, 10);
	for (int k = 0; k < 2; k++) {
		ev[n] = ev_kind(SYN_EV_RETRANSMIT, (500 + 100 * (__u64)k) * MS, SID, CLI, SRV);
		ev[n].sk_kind = SYN_SK_FULL;
		ev[n].rtx.kind = SYN_RETRANS_SKB;
		ev[n].rtx.ca_state = SYN_CA_RECOVERY;
		ev[n++].rtx.seq = 101 + 10 * (__u32)k;
	}
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		const struct conn_row *fast = row_at(c, SYN_EV_RETRANSMIT, 500 * MS, 0);
		const struct conn_row *sack = row_at(c, SYN_EV_RETRANSMIT, 600 * MS, 0);

		if (CHECK(fast && sack)) {
			CHECK(!(fast->marks & ROW_RECOVERY));
			CHECK(sack->marks & ROW_RECOVERY);
		}
	}
	run_free(&r);
}

/* The timeline taken in two batches: a SYN received in the first whose
 * answer is not among the rows seen yet is not called unanswered (its
 * answer may be in the next batch); at the connection's end it is. */
static void test_syn_unanswered_only_when_nothing_follows(void)
{
	struct ep cli = { "127.0.0.1", 40000 }, srv = { "127.0.0.1", 80 };
	struct conn c;
	struct conn_row rows[3];
	struct row_vec out = { 0 };
	struct timeline tl;

	for (int final = 0; final < 2; final++) {
		memset(&c, 0, sizeof(c));
		memset(&tl, 0, sizeof(tl));
		memset(rows, 0, sizeof(rows));
		c.end[0].role = ROLE_CLIENT;
		c.end[1].role = ROLE_SERVER;
		c.end[0].traced = c.end[1].traced = true;
		rows[0].ev = ev_seg(10, SID, cli, srv, TX, S_, 100, 0, 0);
		rows[1].ev = ev_seg(11, 0, srv, cli, RX, S_, 100, 0, 0);
		rows[1].end = 1;
		rows[2].ev = ev_call(12, SID, cli, srv, 300, "client", SYN_CALL_WRITE, ENTRY, 3, 0);
		timeline_pair(rows, 3);
		out.n = 0;
		/* not final: rows 0-1 taken, row 2 ahead; final: all three */
		CHECK(timeline_take(&tl, &c, rows, final ? 3 : 2, final ? 0 : 1, &out));
		CHECK_EQ_INT(!!(rows[1].marks & ROW_UNANSWERED), final);
	}
	free(out.v);
}

/* ---- the fold keeps control rows --------------------------------------------------- */

/* A long run of data with, deep inside it (past the first FOLD_HEAD rows
 * and followed by more than FOLD_TAIL), a zero window, a retransmission and
 * a read() that returned 0 (end of file): each stays a row of its own. */
static void test_fold_keeps_what_is_not_ordinary(void)
{
	struct syn_event ev[256];
	struct run r;
	size_t n = 0;
	__u64 t = 1000;
	__u32 seq = 101;

	ev[n++] = ev_seg(t++, SID, CLI, SRV, TX, S_, 100, 0, 0);
	for (int part = 0; part < 4; part++) {
		for (int i = 0; i < 30; i++, seq++)
			ev[n++] = ev_seg(t++, SID, CLI, SRV, TX, P_ | A_, seq, 901, 1);
		if (part == 0) {
			/* the server's window closes: writes wait (EAGAIN), then it opens */
			ev[n] = ev_seg(t++, 0, CLI, SRV, RX, A_, 901, seq, 0);
			ev[n++].seg.win = 0;
			for (int w = 0; w < 10; w++) {
				ev[n++] = ev_call(t++, SID, CLI, SRV, 300, "client", SYN_CALL_WRITE,
						  ENTRY, 3, 0);
				ev[n++] = ev_call(t++, SID, CLI, SRV, 300, "client", SYN_CALL_WRITE,
						  RET, 3, -11);
			}
			ev[n++] = ev_seg(t++, 0, CLI, SRV, RX, A_, 901, seq, 0);
		} else if (part == 1) {
			ev[n++] = ev_seg(t++, SID, CLI, SRV, TX, P_ | A_, seq - 5, 901, 1); /* again */
		} else if (part == 2) {
			ev[n++] = ev_call(t++, SID, CLI, SRV, 300, "client", SYN_CALL_READ, ENTRY, 3, 0);
			ev[n++] = ev_call(t++, SID, CLI, SRV, 300, "client", SYN_CALL_READ, RET, 3, 0);
		}
	}
	run_new(&r);
	feed(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		bool zero = false, again = false, eof = false;

		for (size_t i = 0; i < c->nrows; i++) {
			const struct syn_event *e = &c->rows[i].ev;

			zero |= e->kind == SYN_EV_SEGMENT && e->seg.win == 0;
			again |= e->kind == SYN_EV_SEGMENT && (c->rows[i].marks & ROW_RETRANSMIT);
			eof |= e->kind == SYN_EV_SYSCALL && e->sys.call == SYN_CALL_READ &&
			       e->sys.phase == RET && e->sys.ret == 0;
		}
		CHECK(zero);
		CHECK(again);
		CHECK(eof);
		CHECK(c->nsums >= 4); /* each part's run folded on its own */
		CHECK(c->folded > 0);
	}
	run_free(&r);
}

/* ---- half-open ------------------------------------------------------------------------ */

/* Only a handshake's first segments make a half-open connection: a SYN
 * carrying data (Fast Open) is a real one. */
static void test_halfopen_is_only_a_handshake(void)
{
	struct ep cli = { "10.0.0.9", 40000 }, srv = { "10.0.0.1", 80 };
	struct conn c;
	struct conn_row rows[2];

	memset(&c, 0, sizeof(c));
	memset(rows, 0, sizeof(rows));
	c.proto = IPPROTO_TCP;
	c.rows = rows;
	c.nrows = 2;
	rows[0].ev = ev_seg(10, 0, srv, cli, RX, S_, 100, 0, 0);
	rows[0].end = 1;
	rows[1].ev = ev_seg(11, 0, srv, cli, TX, S_ | A_, 900, 101, 0);
	rows[1].end = 1;
	CHECK(halfopen_is(&c));
	rows[0].ev.seg.len = 10; /* data in the SYN */
	CHECK(!halfopen_is(&c));
	rows[0].ev.seg.len = 0;
	rows[1].ev.seg.flags = F_ | A_;
	CHECK(!halfopen_is(&c));
}

int main(void)
{
	RUN(test_later_caller_does_not_take_the_lane);
	RUN(test_listen_on_a_connected_socket_names_nobody);
	RUN(test_roles_without_a_handshake);
	RUN(test_synack_first_seen);
	RUN(test_syn_after_traffic_without_one);
	RUN(test_loss_marks_what_it_can_touch);
	RUN(test_loss_spares_what_settled_before);
	RUN(test_call_in_flight_and_the_grace);
	RUN(test_only_ticks_move_the_clock);
	RUN(test_reset_ends_the_wait_in_fin_wait2);
	RUN(test_reset_in_fin_wait2_after_the_handover);
	RUN(test_timewait_socket_that_resets_is_gone);
	RUN(test_reset_in_fin_wait2_of_an_open_socket);
	RUN(test_time_wait_is_remembered_longer);
	RUN(test_retransmission_seen_only_arriving);
	RUN(test_window_update_is_no_duplicate_ack);
	RUN(test_time_wait_reset_at_its_sequence_number_only);
	RUN(test_segment_arriving_twice_pairs_once);
	RUN(test_reset_received_needs_an_rst_at_that_lane);
	RUN(test_first_retransmission_in_recovery);
	RUN(test_syn_unanswered_only_when_nothing_follows);
	RUN(test_fold_keeps_what_is_not_ordinary);
	RUN(test_halfopen_is_only_a_handshake);
	return TEST_SUMMARY();
}
