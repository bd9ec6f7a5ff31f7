#include <errno.h>
#include <netinet/in.h>
/* The tracker, fed synthetic event streams shaped like real loopback traces
 * (the order below is the order a 6.18 kernel produced for a Python
 * client/server pair; sequence numbers shortened). */
#include <stdbool.h>
#include <stdio.h>
#include "test.h"
#include "events.h"
#include "shorthand.h"
#include "base/names.h"
#include "track/fold.h"
#include "track/tracker.h"


static const struct ep CLI = { "127.0.0.1", 58330 }, SRV = { "127.0.0.1", 9126 };
static const struct ep ANY = { "0.0.0.0", 0 }, CLI_UNBOUND = { "127.0.0.1", 0 };
static const struct ep SRV_GONE = { "127.0.0.1", 0 };
enum { SID_CLI = 0xC1, SID_CHILD = 0x51, SID_LISTENER = 0x11 };
enum { PID_CLI = 100, PID_SRV = 200 };

/* One client-closes-first connection with both ends on this host. The server
 * waits before its close(), so its ACK and FIN are separate segments. */
static size_t client_close_trace(struct syn_event *ev, bool with_syscalls)
{
	size_t n = 0;
	__u64 t = 1000000;
#define AT(dt) (t += (dt))
#define CALL(...) do { if (with_syscalls) ev[n++] = ev_call(__VA_ARGS__); } while (0)
	CALL(AT(10), SID_LISTENER, SRV, ANY, PID_SRV, "demo-server", SYN_CALL_LISTEN, ENTRY, 3, 0);
	ev[n++] = ev_state(AT(3), SID_LISTENER, SRV, ANY, CLOSE, LISTEN);
	CALL(AT(3), SID_LISTENER, SRV, ANY, PID_SRV, "demo-server", SYN_CALL_LISTEN, RET, 3, 0);
	CALL(AT(600), SID_LISTENER, SRV, ANY, PID_SRV, "demo-server", SYN_CALL_ACCEPT4, ENTRY, 3, 0);
	CALL(AT(800), SID_CLI, ANY, ANY, PID_CLI, "demo-client", SYN_CALL_CONNECT, ENTRY, 4, 0);
	ev[n++] = ev_state(AT(10), SID_CLI, CLI_UNBOUND, SRV, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(AT(20), SID_CLI, CLI, SRV, TX, S_, 1000, 0, 0);
	ev[n++] = ev_seg(AT(8), 0, SRV, CLI, RX, S_, 1000, 0, 0);
	ev[n++] = ev_seg(AT(13), 0, SRV, CLI, TX, S_ | A_, 5000, 1001, 0);
	ev[n++] = ev_seg(AT(3), 0, CLI, SRV, RX, S_ | A_, 5000, 1001, 0);
	ev[n++] = ev_state(AT(11), SID_CLI, CLI, SRV, SYN_SENT, ESTABLISHED);
	ev[n++] = ev_seg(AT(5), SID_CLI, CLI, SRV, TX, A_, 1001, 5001, 0);
	ev[n++] = ev_seg(AT(1), 0, SRV, CLI, RX, A_, 1001, 5001, 0);
	ev[n++] = ev_state(AT(4), SID_CHILD, SRV, CLI, LISTEN, SYN_RECV);
	ev[n++] = ev_state(AT(6), SID_CHILD, SRV, CLI, SYN_RECV, ESTABLISHED);
	CALL(AT(6), SID_CLI, CLI, SRV, PID_CLI, "demo-client", SYN_CALL_CONNECT, RET, 4, 0);
	CALL(AT(7), SID_CHILD, SRV, CLI, PID_SRV, "demo-server", SYN_CALL_ACCEPT4, RET, 3, 4);
	ev[n++] = ev_seg(AT(190), SID_CLI, CLI, SRV, TX, P_ | A_, 1001, 5001, 6);
	ev[n++] = ev_seg(AT(2), 0, SRV, CLI, RX, P_ | A_, 1001, 5001, 6);
	ev[n++] = ev_seg(AT(30), SID_CHILD, SRV, CLI, TX, A_, 5001, 1007, 0);
	ev[n++] = ev_seg(AT(1), 0, CLI, SRV, RX, A_, 5001, 1007, 0);
	ev[n++] = ev_seg(AT(40), SID_CHILD, SRV, CLI, TX, P_ | A_, 5001, 1007, 6);
	ev[n++] = ev_seg(AT(3), 0, CLI, SRV, RX, P_ | A_, 5001, 1007, 6);
	ev[n++] = ev_seg(AT(20), SID_CLI, CLI, SRV, TX, A_, 1007, 5007, 0);
	ev[n++] = ev_seg(AT(1), 0, SRV, CLI, RX, A_, 1007, 5007, 0);
	CALL(AT(44), SID_CLI, CLI, SRV, PID_CLI, "demo-client", SYN_CALL_CLOSE, ENTRY, 4, 0);
	ev[n++] = ev_state(AT(3), SID_CLI, CLI, SRV, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(AT(3), SID_CLI, CLI, SRV, TX, F_ | A_, 1007, 5007, 0);
	ev[n++] = ev_seg(AT(3), 0, SRV, CLI, RX, F_ | A_, 1007, 5007, 0);
	ev[n++] = ev_state(AT(3), SID_CHILD, SRV, CLI, ESTABLISHED, CLOSE_WAIT);
	CALL(AT(24), SID_CLI, CLI, SRV, PID_CLI, "demo-client", SYN_CALL_CLOSE, RET, 4, 0);
	/* the delayed ACK of the client's FIN, 40 ms later, in softirq */
	ev[n++] = ev_seg(AT(42000000), SID_CHILD, SRV, CLI, TX, A_, 5007, 1008, 0);
	ev[n++] = ev_seg(AT(22), 0, CLI, SRV, RX, A_, 5007, 1008, 0);
	ev[n++] = ev_state(AT(18), SID_CLI, CLI, SRV, FIN_WAIT1, FIN_WAIT2);
	/* the kernel has already released the port: the local port reads 0 */
	ev[n++] = ev_state(AT(7), SID_CLI, CLI_UNBOUND, SRV, FIN_WAIT2, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, AT(5), SID_CLI, CLI_UNBOUND, SRV);
	CALL(AT(158000000), SID_CHILD, SRV, CLI, PID_SRV, "demo-server", SYN_CALL_CLOSE, ENTRY, 4, 0);
	ev[n++] = ev_state(AT(10), SID_CHILD, SRV, CLI, CLOSE_WAIT, LAST_ACK);
	ev[n++] = ev_seg(AT(15), SID_CHILD, SRV, CLI, TX, F_ | A_, 5007, 1008, 0);
	ev[n++] = ev_seg(AT(11), 0, CLI, SRV, RX, F_ | A_, 5007, 1008, 0);
	/* sent by the client's timewait socket: no socket identity */
	ev[n++] = ev_seg(AT(20), 0, CLI, SRV, TX, A_, 1008, 5008, 0);
	ev[n++] = ev_seg(AT(2), 0, SRV, CLI, RX, A_, 1008, 5008, 0);
	ev[n++] = ev_state(AT(40), SID_CHILD, SRV_GONE, CLI, LAST_ACK, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, AT(4), SID_CHILD, SRV_GONE, CLI);
	CALL(AT(20), SID_CHILD, SRV_GONE, CLI, PID_SRV, "demo-server", SYN_CALL_CLOSE, RET, 4, 0);
	CALL(AT(50), SID_LISTENER, SRV, ANY, PID_SRV, "demo-server", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n++] = ev_state(AT(2), SID_LISTENER, SRV, ANY, LISTEN, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, AT(2), SID_LISTENER, SRV, ANY);
	CALL(AT(6), SID_LISTENER, SRV_GONE, ANY, PID_SRV, "demo-server", SYN_CALL_CLOSE, RET, 3, 0);
#undef AT
#undef CALL
	return n;
}

static void feed(struct tracker *t, const struct syn_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tracker_on_event(t, &ev[i]);
}

/* A tracker fed a stream into a sink that keeps what it was given. */
struct run {
	struct keep_sink k;
	struct syn_sink *sinks[1];
	struct tracker *t;
};

/* The source's clock, past every event of ev[] by the grace a connection
 * gets after it settled: what a live source says with a tick. */
static void tick_after(struct tracker *t, const struct syn_event *ev, size_t n)
{
	struct syn_event tick;
	__u64 last = 0;

	for (size_t i = 0; i < n; i++)
		if (ev[i].ts_ns > last)
			last = ev[i].ts_ns;
	memset(&tick, 0, sizeof(tick));
	tick.kind = SYN_EV_TICK;
	tick.ts_ns = last + TRACKER_GRACE_NS;
	tracker_on_event(t, &tick);
}

/* A tracker over a keep sink, fed nothing yet. */
static void run_open(struct run *r)
{
	keep_init(&r->k);
	r->sinks[0] = &r->k.s;
	r->t = tracker_new(r->sinks, 1, NULL);
}

static void run_start(struct run *r, const struct syn_event *ev, size_t n)
{
	run_open(r);
	feed(r->t, ev, n);
	tick_after(r->t, ev, n);
}

static void run_end(struct run *r)
{
	tracker_free(r->t);
	keep_free(&r->k);
}

/* One lane's rows, each that fn renders, joined by spaces. */
static const char *lane_join(const struct conn *c, int end,
			     bool (*fn)(const struct conn_row *r, char *out, size_t len),
			     char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nrows; i++) {
		char one[64];

		if (c->rows[i].end != end || !fn(&c->rows[i], one, sizeof(one)))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", one);
	}
	return buf;
}

/* "CLOSE>SYN_SENT"; inferred ones end in '*' */
static bool state_text(const struct conn_row *r, char *out, size_t len)
{
	if (r->ev.kind != SYN_EV_STATE)
		return false;
	snprintf(out, len, "%s>%s%s", tcp_state_name(r->ev.state.oldstate),
		 tcp_state_name(r->ev.state.newstate), r->marks & ROW_INFERRED ? "*" : "");
	return true;
}

/* the flags of a segment the lane sent: "SYN,ACK" */
static bool tx_flags_text(const struct conn_row *r, char *out, size_t len)
{
	if (r->ev.kind != SYN_EV_SEGMENT || r->ev.seg.dir != SYN_DIR_TX)
		return false;
	tcp_flags_str(r->ev.seg.flags, ",", out, len);
	return true;
}

/* "connect()" on entry, "connect=0" on return */
static bool call_text(const struct conn_row *r, char *out, size_t len)
{
	if (r->ev.kind != SYN_EV_SYSCALL)
		return false;
	if (r->ev.sys.phase == SYN_PHASE_ENTRY)
		snprintf(out, len, "%s()", syn_call_name(r->ev.sys.call));
	else
		snprintf(out, len, "%s=%lld", syn_call_name(r->ev.sys.call), (long long)r->ev.sys.ret);
	return true;
}

static const char *lane_states(const struct conn *c, int end, char *buf, size_t len)
{
	return lane_join(c, end, state_text, buf, len);
}

static const char *lane_tx_flags(const struct conn *c, int end, char *buf, size_t len)
{
	return lane_join(c, end, tx_flags_text, buf, len);
}

static const char *lane_calls(const struct conn *c, int end, char *buf, size_t len)
{
	return lane_join(c, end, call_text, buf, len);
}

/* The client close()d before the server's FIN: the kernel hands the orphaned
 * FIN_WAIT2 socket to a timewait socket at once (FIN_WAIT2>CLOSE), and that
 * one enters TIME-WAIT when the server's FIN arrives, 158 ms later. */
static const char CLIENT_STATES[] =
	"CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 "
	"FIN_WAIT2>CLOSE FIN_WAIT2>TIME_WAIT*";
#define SERVER_CONN_STATES \
	"LISTEN>SYN_RECV* LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT " \
	"CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE"
/* With its calls seen, the server's lane begins with its listener's
 * CLOSE -> LISTEN (the setup listen() made, drawn before the connection's
 * own rows); without them there is no setup to draw. */
static const char SERVER_STATES[] = "CLOSE>LISTEN " SERVER_CONN_STATES;

static void test_both_ends_local_one_connection(void)
{
	struct syn_event ev[80];
	size_t n = client_close_trace(ev, true);
	struct run r;
	char buf[512];

	run_start(&r, ev, n);
	/* finished when the last socket went and its close() returned */
	CHECK_EQ_INT(r.k.nconns, 1);
	if (r.k.nconns == 1) {
		const struct conn *c = &r.k.conns[0];

		CHECK(c->complete);
		CHECK_EQ_INT(c->id, 1);
		CHECK_EQ_INT(c->end[0].role, ROLE_CLIENT);
		CHECK_EQ_INT(c->end[0].port, 58330);
		CHECK_EQ_INT(c->end[0].pid, PID_CLI);
		CHECK_EQ_STR(c->end[0].comm, "demo-client");
		CHECK_EQ_INT(c->end[1].role, ROLE_SERVER);
		CHECK_EQ_INT(c->end[1].port, 9126);
		/* the accepting process, never the softirq's task */
		CHECK_EQ_INT(c->end[1].pid, PID_SRV);
		CHECK_EQ_STR(c->end[1].comm, "demo-server");
		CHECK(c->end[0].traced && c->end[1].traced);
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)), CLIENT_STATES);
		CHECK_EQ_STR(lane_states(c, 1, buf, sizeof(buf)), SERVER_STATES);
		CHECK_EQ_STR(lane_tx_flags(c, 0, buf, sizeof(buf)), "SYN ACK PSH,ACK ACK FIN,ACK ACK");
		CHECK_EQ_STR(lane_tx_flags(c, 1, buf, sizeof(buf)), "SYN,ACK ACK PSH,ACK ACK FIN,ACK");
		CHECK_EQ_STR(lane_calls(c, 0, buf, sizeof(buf)), "connect() connect=0 close() close=0");
		CHECK_EQ_STR(lane_calls(c, 1, buf, sizeof(buf)),
			     "listen() listen=0 accept4() accept4=4 close() close=0");
		/* the listener's setup first: listen(), CLOSE -> LISTEN, listen = 0 */
		CHECK_EQ_INT(c->setup_rows, 3);
		/* then the server blocked in accept() before the client's SYN */
		CHECK_EQ_INT(c->rows[3].ev.kind, SYN_EV_SYSCALL);
		CHECK_EQ_INT(c->rows[3].ev.sys.call, SYN_CALL_ACCEPT4);
		CHECK_EQ_INT(c->rows[3].end, 1);
		/* every segment was seen at both ends: every one is paired */
		for (size_t i = 0; i < c->nrows; i++) {
			const struct conn_row *r = &c->rows[i];

			if (r->ev.kind != SYN_EV_SEGMENT)
				continue;
			if (!CHECK(r->pair >= 0))
				break;
			CHECK_EQ_INT(c->rows[r->pair].pair, (long long)i);
			CHECK(c->rows[r->pair].end != r->end);
			CHECK_EQ_INT(c->rows[r->pair].ev.seg.seq, r->ev.seg.seq);
			CHECK(!(r->marks & ROW_RETRANSMIT));
		}
		/* rows in time order; TIME-WAIT's end is not one: it has not
		 * happened, the client is left in TIME-WAIT since the server's FIN */
		for (size_t i = 1; i < c->nrows; i++)
			CHECK(c->rows[i - 1].ev.ts_ns <= c->rows[i].ev.ts_ns);
		CHECK(!(c->rows[c->nrows - 1].marks & ROW_INFERRED));
		CHECK_EQ_INT(c->end[0].state, TIME_WAIT);
		CHECK(c->end[0].tw_since > 0);
		CHECK_EQ_INT(c->end[1].state, CLOSE);
		CHECK_EQ_INT(c->end[1].tw_since, 0);
	}
	/* listen() entry and return, the listener's two states, and its close()
	 * entry and return are outside any connection */
	CHECK_EQ_INT(r.k.unattached, 6);
	tracker_finish(r.t);
	CHECK(r.k.finished);
	CHECK_EQ_INT(tracker_summary(r.t)->conns, 1);
	CHECK_EQ_INT(tracker_summary(r.t)->incomplete, 0);
	run_end(&r);
}

/* The lane states after each row: what the ladder prints beside the arrows. */
static void test_state_after_each_row(void)
{
	struct syn_event ev[80];
	size_t n = client_close_trace(ev, true);
	struct run r;

	run_start(&r, ev, n);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		bool saw_fin_ack_tx = false, saw_fin_ack_rx = false;

		/* the listener's setup: no client yet; the server CLOSE until its
		 * CLOSE -> LISTEN */
		CHECK_EQ_INT(c->rows[0].state_after[0], 0);
		CHECK_EQ_INT(c->rows[0].state_after[1], CLOSE);
		CHECK_EQ_INT(c->rows[1].state_after[1], LISTEN);
		/* before the SYN the client is CLOSE and the server LISTEN */
		CHECK_EQ_INT(c->rows[3].state_after[0], CLOSE);
		CHECK_EQ_INT(c->rows[3].state_after[1], LISTEN);
		for (size_t i = 0; i < c->nrows; i++) {
			const struct conn_row *r = &c->rows[i];

			/* the server's FIN goes out in LAST_ACK while the client sits in FIN_WAIT2 */
			if (r->ev.kind == SYN_EV_SEGMENT && r->end == 1 && r->ev.seg.dir == SYN_DIR_TX &&
			    (r->ev.seg.flags & SYN_TCP_FIN)) {
				saw_fin_ack_tx = true;
				CHECK_EQ_INT(r->state_after[1], LAST_ACK);
				CHECK_EQ_INT(r->state_after[0], FIN_WAIT2);
			}
			/* the kernel's FIN_WAIT2 -> CLOSE leaves the lane in FIN_WAIT2:
			 * the timewait socket waits for the server's FIN */
			if (r->ev.kind == SYN_EV_STATE && !(r->marks & ROW_INFERRED) && r->end == 0 &&
			    r->ev.state.newstate == CLOSE)
				CHECK_EQ_INT(r->state_after[0], FIN_WAIT2);
			/* ... which puts the client in TIME_WAIT, before it ACKs it */
			if (r->ev.kind == SYN_EV_SEGMENT && r->end == 0 && r->ev.seg.dir == SYN_DIR_RX &&
			    (r->ev.seg.flags & SYN_TCP_FIN)) {
				saw_fin_ack_rx = true;
				CHECK_EQ_INT(r->state_after[0], FIN_WAIT2);
				if (CHECK(i + 1 < c->nrows)) {
					const struct conn_row *tw = &c->rows[i + 1];

					CHECK(tw->marks & ROW_INFERRED);
					CHECK_EQ_INT(tw->ev.state.oldstate, FIN_WAIT2);
					CHECK_EQ_INT(tw->ev.state.newstate, TIME_WAIT);
					CHECK_EQ_INT(tw->state_after[0], TIME_WAIT);
					CHECK_EQ_INT(tw->ev.ts_ns, r->ev.ts_ns);
					/* TIME-WAIT began at the FIN, not at the
					 * kernel's report: 2MSL count from there */
					CHECK_EQ_INT(c->end[0].tw_since, r->ev.ts_ns);
				}
			}
		}
		CHECK(saw_fin_ack_tx);
		CHECK(saw_fin_ack_rx);
	}
	tracker_finish(r.t);
	run_end(&r);
}

static bool is_server_side(const struct syn_event *e)
{
	return e->sock_id == SID_CHILD || e->sock_id == SID_LISTENER ||
	       (e->sport == SRV.port && e->sock_id != SID_CLI);
}

/* The two ends' events come from two CPUs: the server's arrive a few events
 * late. Each end's own order holds (one CPU's ring order); the result must
 * not change. */
static void test_out_of_order_ends(void)
{
	struct syn_event ev[80], late[80];
	size_t n = client_close_trace(ev, true), m = 0;
	struct keep_sink a, b;
	struct syn_sink *sa[1] = { &a.s }, *sb[1] = { &b.s };
	struct tracker *ta, *tb;
	double key[80];

	/* delay every server-side event by 2.5 positions, keep each side's order */
	for (size_t i = 0; i < n; i++)
		key[i] = (double)i + (is_server_side(&ev[i]) ? 2.5 : 0);
	for (size_t done = 0; done < n; done++) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (key[i] >= 0 && (best == n || key[i] < key[best]))
				best = i;
		late[m++] = ev[best];
		key[best] = -1;
	}
	CHECK(memcmp(late, ev, n * sizeof(ev[0])) != 0);

	keep_init(&a);
	keep_init(&b);
	ta = tracker_new(sa, 1, NULL);
	tb = tracker_new(sb, 1, NULL);
	feed(ta, ev, n);
	feed(tb, late, m);
	tracker_finish(ta);
	tracker_finish(tb);
	CHECK_EQ_INT(a.nconns, 1);
	if (CHECK_EQ_INT(b.nconns, 1) && a.nconns == 1) {
		const struct conn *x = &a.conns[0], *y = &b.conns[0];

		CHECK(y->complete);
		if (CHECK_EQ_INT(x->nrows, y->nrows)) {
			for (size_t i = 0; i < x->nrows; i++) {
				CHECK_EQ_INT(x->rows[i].ev.ts_ns, y->rows[i].ev.ts_ns);
				CHECK_EQ_INT(x->rows[i].end, y->rows[i].end);
				CHECK_EQ_INT(x->rows[i].pair, y->rows[i].pair);
				CHECK_EQ_INT(x->rows[i].marks, y->rows[i].marks);
				CHECK_EQ_INT(x->rows[i].state_after[0], y->rows[i].state_after[0]);
				CHECK_EQ_INT(x->rows[i].state_after[1], y->rows[i].state_after[1]);
			}
		}
		CHECK_EQ_INT(y->end[1].pid, PID_SRV);
	}
	tracker_free(ta);
	tracker_free(tb);
	keep_free(&a);
	keep_free(&b);
}

/* Tracing began after the sockets existed: no syscall at all. The
 * connection still forms from states and segments; roles come from the
 * SYN; processes are unknown rather than guessed from softirq context. */
static void test_connection_without_syscalls(void)
{
	struct syn_event ev[80];
	size_t n = client_close_trace(ev, false);
	struct run r;
	char buf[512];

	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 1);
	if (r.k.nconns == 1) {
		const struct conn *c = &r.k.conns[0];

		CHECK(c->complete);
		CHECK_EQ_INT(c->end[0].role, ROLE_CLIENT);
		CHECK_EQ_INT(c->end[0].port, 58330);
		CHECK_EQ_INT(c->end[0].pid, 0);
		CHECK_EQ_INT(c->end[1].pid, 0);
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)), CLIENT_STATES);
		CHECK_EQ_STR(lane_states(c, 1, buf, sizeof(buf)), SERVER_CONN_STATES);
		CHECK_EQ_INT(c->setup_rows, 0);
		CHECK_EQ_STR(lane_calls(c, 0, buf, sizeof(buf)), "");
	}
	tracker_finish(r.t);
	run_end(&r);
}

/* A handshake, then the client shuts down its side; the server answers its
 * FIN with an ACK, or at once with its own FIN,ACK (fin_with_ack). The
 * client's socket stays open, so the kernel reports FIN_WAIT2 -> CLOSE only
 * after it received the server's FIN and sent its last ACK. States and
 * segments only, in the order a 6.18 kernel reports them. */
static size_t shutdown_close_trace(struct syn_event *ev, bool fin_with_ack)
{
	size_t n = 0;
	__u64 t = 5000000;
#define AT(dt) (t += (dt))
	ev[n++] = ev_state(AT(10), SID_CLI, CLI_UNBOUND, SRV, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(AT(20), SID_CLI, CLI, SRV, TX, S_, 1000, 0, 0);
	ev[n++] = ev_seg(AT(8), 0, SRV, CLI, RX, S_, 1000, 0, 0);
	ev[n++] = ev_seg(AT(13), 0, SRV, CLI, TX, S_ | A_, 5000, 1001, 0);
	ev[n++] = ev_seg(AT(3), 0, CLI, SRV, RX, S_ | A_, 5000, 1001, 0);
	ev[n++] = ev_state(AT(11), SID_CLI, CLI, SRV, SYN_SENT, ESTABLISHED);
	ev[n++] = ev_seg(AT(5), SID_CLI, CLI, SRV, TX, A_, 1001, 5001, 0);
	ev[n++] = ev_seg(AT(1), 0, SRV, CLI, RX, A_, 1001, 5001, 0);
	ev[n++] = ev_state(AT(4), SID_CHILD, SRV, CLI, LISTEN, SYN_RECV);
	ev[n++] = ev_state(AT(6), SID_CHILD, SRV, CLI, SYN_RECV, ESTABLISHED);
	ev[n++] = ev_state(AT(500), SID_CLI, CLI, SRV, ESTABLISHED, FIN_WAIT1);
	ev[n++] = ev_seg(AT(3), SID_CLI, CLI, SRV, TX, F_ | A_, 1001, 5001, 0);
	ev[n++] = ev_seg(AT(3), 0, SRV, CLI, RX, F_ | A_, 1001, 5001, 0);
	ev[n++] = ev_state(AT(3), SID_CHILD, SRV, CLI, ESTABLISHED, CLOSE_WAIT);
	if (!fin_with_ack) {
		ev[n++] = ev_seg(AT(40), SID_CHILD, SRV, CLI, TX, A_, 5001, 1002, 0);
		ev[n++] = ev_seg(AT(2), 0, CLI, SRV, RX, A_, 5001, 1002, 0);
		ev[n++] = ev_state(AT(5), SID_CLI, CLI, SRV, FIN_WAIT1, FIN_WAIT2);
	}
	ev[n++] = ev_state(AT(900), SID_CHILD, SRV, CLI, CLOSE_WAIT, LAST_ACK);
	ev[n++] = ev_seg(AT(4), SID_CHILD, SRV, CLI, TX, F_ | A_, 5001, 1002, 0);
	ev[n++] = ev_seg(AT(3), 0, CLI, SRV, RX, F_ | A_, 5001, 1002, 0);
	if (fin_with_ack)
		ev[n++] = ev_state(AT(5), SID_CLI, CLI, SRV, FIN_WAIT1, FIN_WAIT2);
	ev[n++] = ev_seg(AT(6), SID_CLI, CLI, SRV, TX, A_, 1002, 5002, 0);
	ev[n++] = ev_seg(AT(2), 0, SRV, CLI, RX, A_, 1002, 5002, 0);
	ev[n++] = ev_state(AT(3), SID_CLI, CLI, SRV, FIN_WAIT2, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, AT(2), SID_CLI, CLI, SRV);
	ev[n++] = ev_state(AT(5), SID_CHILD, SRV_GONE, CLI, LAST_ACK, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, AT(4), SID_CHILD, SRV_GONE, CLI);
#undef AT
	return n;
}

/* TIME-WAIT begins when the peer's FIN reaches a lane in FIN_WAIT2: right
 * after that segment (or after FIN_WAIT1 -> FIN_WAIT2 when the FIN carried
 * the ACK of ours), before the last ACK and the kernel's report. */
static void test_time_wait_at_the_peers_fin(void)
{
	for (int with_ack = 0; with_ack < 2; with_ack++) {
		struct syn_event ev[40];
		size_t n = shutdown_close_trace(ev, with_ack);
		struct run r;
		char buf[512];

		run_start(&r, ev, n);
		if (!CHECK_EQ_INT(r.k.nconns, 1)) {
			run_end(&r);
			continue;
		}
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)),
			     "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 "
			     "FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>TIME_WAIT* FIN_WAIT2>CLOSE");
		for (size_t i = 0; i + 1 < c->nrows; i++) {
			const struct conn_row *row = &c->rows[i], *next = &c->rows[i + 1];

			if (next->ev.kind != SYN_EV_STATE || next->ev.state.newstate != TIME_WAIT)
				continue;
			/* what comes just before the inferred row */
			if (with_ack) {
				CHECK_EQ_INT(row->ev.kind, SYN_EV_STATE);
				CHECK_EQ_INT(row->ev.state.newstate, FIN_WAIT2);
			} else {
				CHECK_EQ_INT(row->ev.kind, SYN_EV_SEGMENT);
				CHECK_EQ_INT(row->ev.seg.dir, SYN_DIR_RX);
				CHECK_EQ_INT(row->ev.seg.flags, F_ | A_);
			}
			CHECK_EQ_INT(row->end, 0);
			/* then the client's last ACK, already in TIME_WAIT */
			if (CHECK(i + 2 < c->nrows)) {
				CHECK_EQ_INT(c->rows[i + 2].ev.kind, SYN_EV_SEGMENT);
				CHECK_EQ_INT(c->rows[i + 2].ev.seg.dir, SYN_DIR_TX);
				CHECK_EQ_INT(c->rows[i + 2].state_after[0], TIME_WAIT);
			}
		}
		tracker_finish(r.t);
		run_end(&r);
	}
}

/* connect() to a port nothing listens on: the kernel answers the SYN with a
 * reset from no socket at all; connect() fails with ECONNREFUSED. */
static void test_refused(void)
{
	struct ep cli = { "127.0.0.1", 48762 }, srv = { "127.0.0.1", 9999 };
	struct ep cli0 = { "127.0.0.1", 0 }, srv0 = { "127.0.0.1", 0 };
	struct syn_event ev[16];
	struct run r;
	size_t n = 0;
	char buf[256];

	ev[n++] = ev_call(100, 7, ANY, ANY, 300, "client", SYN_CALL_CONNECT, ENTRY, 3, 0);
	ev[n++] = ev_state(105, 7, cli0, srv, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(110, 7, cli, srv, TX, S_, 777, 0, 0);
	ev[n++] = ev_seg(112, 0, srv, cli, RX, S_, 777, 0, 0);
	ev[n++] = ev_kind(SYN_EV_RESET, 115, 0, srv, cli);
	ev[n++] = ev_seg(117, 0, srv, cli, TX, R_ | A_, 0, 778, 0);
	ev[n++] = ev_seg(118, 0, cli, srv, RX, R_ | A_, 0, 778, 0);
	ev[n - 3].rst.kind = SYN_RESET_SENT;
	ev[n++] = ev_kind(SYN_EV_RESET, 120, 7, cli, srv);
	ev[n - 1].rst.kind = SYN_RESET_RECEIVED;
	ev[n++] = ev_state(121, 7, cli0, srv, SYN_SENT, CLOSE);
	ev[n++] = ev_call(125, 7, ANY, srv0, 300, "client", SYN_CALL_CONNECT, RET, 3, -111);
	ev[n++] = ev_call(200, 7, ANY, srv0, 300, "client", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 201, 7, ANY, srv0);
	ev[n++] = ev_call(205, 7, ANY, srv0, 300, "client", SYN_CALL_CLOSE, RET, 3, 0);

	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 1);
	if (r.k.nconns == 1) {
		const struct conn *c = &r.k.conns[0];

		CHECK(c->complete);
		CHECK_EQ_INT(c->end[0].port, 48762);
		CHECK_EQ_INT(c->end[0].pid, 300);
		CHECK_EQ_INT(c->end[1].pid, 0); /* nothing listened */
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)), "CLOSE>SYN_SENT SYN_SENT>CLOSE");
		/* no listener: no inferred SYN_RECV, and no TIME_WAIT after a reset */
		CHECK_EQ_STR(lane_states(c, 1, buf, sizeof(buf)), "");
		CHECK_EQ_STR(lane_tx_flags(c, 1, buf, sizeof(buf)), "RST,ACK");
		CHECK_EQ_STR(lane_calls(c, 0, buf, sizeof(buf)),
			     "connect() connect=-111 close() close=0");
		CHECK_EQ_INT(c->rows[c->nrows - 1].state_after[1], CLOSE);
	}
	tracker_finish(r.t);
	run_end(&r);
}

/* Before accept() returns, the server end is credited to the listener. */
static void test_listener_attribution_before_accept(void)
{
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_call(10, SID_LISTENER, SRV, ANY, PID_SRV, "demo-server", SYN_CALL_LISTEN, ENTRY, 3, 0);
	ev[n++] = ev_call(11, SID_LISTENER, SRV, ANY, PID_SRV, "demo-server", SYN_CALL_LISTEN, RET, 3, 0);
	ev[n++] = ev_seg(20, SID_CLI, CLI, SRV, TX, S_, 1000, 0, 0);
	ev[n++] = ev_seg(21, 0, SRV, CLI, RX, S_, 1000, 0, 0);
	ev[n++] = ev_seg(22, 0, SRV, CLI, TX, S_ | A_, 5000, 1001, 0);

	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 0);
	tracker_finish(r.t); /* still open: rendered, marked incomplete */
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		CHECK(!r.k.conns[0].complete);
		CHECK_EQ_INT(r.k.conns[0].end[1].pid, PID_SRV);
		CHECK_EQ_STR(r.k.conns[0].end[1].comm, "demo-server");
		CHECK_EQ_INT(r.k.conns[0].end[0].pid, 0);
	}
	CHECK_EQ_INT(tracker_summary(r.t)->incomplete, 1);
	run_end(&r);
}

/* A second connection on the same 4-tuple (a new SYN with a new ISN) is a
 * new connection, not more rows of the old one. */
static void test_tuple_reuse_starts_new_connection(void)
{
	struct ep cli = { "10.0.0.1", 40000 }, srv = { "10.0.0.2", 80 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	/* only the client's packets: the server is another host */
	ev[n++] = ev_seg(10, 0, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(20, 0, cli, srv, RX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(30, 0, cli, srv, TX, R_, 101, 0, 0);
	ev[n++] = ev_seg(40, 0, cli, srv, TX, S_, 5555, 0, 0);
	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 1);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 2)) {
		CHECK_EQ_INT(r.k.conns[0].nrows, 3);
		CHECK_EQ_INT(r.k.conns[0].id, 1);
		CHECK_EQ_INT(r.k.conns[1].nrows, 1);
		CHECK_EQ_INT(r.k.conns[1].id, 2);
		/* the remote server is a lane of packets, not a traced end */
		CHECK(r.k.conns[0].end[0].traced);
		CHECK(!r.k.conns[0].end[1].traced);
		CHECK_EQ_INT(r.k.conns[0].end[1].port, 80);
		CHECK_EQ_INT(r.k.conns[0].rows[0].pair, -1);
	}
	run_end(&r);
}

/* Socket ids come from the kernel's socket pointer: a new socket may get the
 * pointer of one freed a moment ago, while the other end of the old
 * connection is still open. Its calls belong to a new connection. */
static void test_reused_socket_pointer_starts_new_connection(void)
{
	struct ep cli2 = { "127.0.0.1", 58331 };
	struct syn_event ev[80], all[80];
	struct run r;
	size_t n = client_close_trace(ev, true), m = 0;
	int connects[2] = { 0, 0 }, found = 0;

	for (size_t i = 0; i < n; i++) {
		all[m++] = ev[i];
		if (ev[i].kind != SYN_EV_DESTROY || ev[i].sock_id != SID_CLI)
			continue;
		/* the client's socket is gone, the server's still open: a new
		 * connect() on a socket with the same id */
		all[m++] = ev_call(ev[i].ts_ns + 1, SID_CLI, ANY, ANY, PID_CLI, "demo-client",
				   SYN_CALL_CONNECT, ENTRY, 4, 0);
		all[m++] = ev_state(ev[i].ts_ns + 2, SID_CLI, CLI_UNBOUND, SRV, CLOSE, SYN_SENT);
		all[m++] = ev_seg(ev[i].ts_ns + 3, SID_CLI, cli2, SRV, TX, S_, 7000, 0, 0);
	}
	run_start(&r, all, m);
	tracker_finish(r.t);
	for (int c = 0; c < r.k.nconns; c++) {
		const struct conn *k = &r.k.conns[c];
		int which = k->end[0].port == CLI.port ? 0 : k->end[0].port == cli2.port ? 1 : -1;

		if (which < 0)
			continue;
		found++;
		for (size_t i = 0; i < k->nrows; i++)
			if (k->rows[i].ev.kind == SYN_EV_SYSCALL && k->rows[i].ev.sys.call == SYN_CALL_CONNECT &&
			    k->rows[i].ev.sys.phase == ENTRY)
				connects[which]++;
		if (which == 0)
			CHECK(k->complete);
	}
	CHECK_EQ_INT(found, 2);
	CHECK_EQ_INT(connects[0], 1);
	CHECK_EQ_INT(connects[1], 1);
	run_end(&r);
}

/* Sequence space sent twice is a retransmission: the SYN after the RTO. */
static void test_retransmitted_syn_is_marked(void)
{
	struct ep cli = { "10.0.0.1", 40001 }, srv = { "10.0.0.2", 80 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(10, 0, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_kind(SYN_EV_RETRANSMIT, 1000000010, 0, cli, srv);
	ev[n++] = ev_seg(1000000011, 0, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(1000000500, 0, cli, srv, RX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(1000000600, 0, cli, srv, TX, A_, 101, 901, 0);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_INT(c->nrows, 5);
		CHECK(!(c->rows[0].marks & ROW_RETRANSMIT));
		CHECK(c->rows[2].marks & ROW_RETRANSMIT);
		CHECK(!(c->rows[4].marks & ROW_RETRANSMIT)); /* a pure ACK takes no space */
	}
	run_end(&r);
}

/* A firewall in the server's namespace drops the first SYN after the
 * device saw it (netif_receive_skb runs before netfilter): the server
 * "receives" the SYN twice and answers the second. SYN-RECEIVED begins at
 * the answered one only. */
static void test_dropped_syn_is_not_syn_received(void)
{
	struct ep cli = { "10.214.0.1", 60632 }, srv = { "10.214.0.2", 7788 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;
	char buf[256];

	ev[n++] = ev_seg(10, 0xC, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(12, 0, srv, cli, RX, S_, 100, 0, 0);
	ev[n++] = ev_seg(1000000010, 0xC, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(1000000012, 0, srv, cli, RX, S_, 100, 0, 0);
	ev[n++] = ev_seg(1000000020, 0, srv, cli, TX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(1000000022, 0, cli, srv, RX, S_ | A_, 900, 101, 0);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		int at = -1;

		CHECK_EQ_STR(lane_states(c, 1, buf, sizeof(buf)), "LISTEN>SYN_RECV*");
		for (size_t i = 0; i < c->nrows; i++)
			if (c->rows[i].ev.kind == SYN_EV_STATE)
				at = (int)i;
		/* right after the second SYN's arrival (row 3), before the SYN-ACK */
		CHECK_EQ_INT(at, 4);
		CHECK_EQ_INT(c->rows[1].state_after[1], LISTEN);
		CHECK(c->rows[2].marks & ROW_RETRANSMIT);
	}
	run_end(&r);
}

/* Lost events: every open connection may now be missing rows. */
static void test_lost_events_mark_open_connections(void)
{
	struct ep cli = { "10.0.0.1", 40002 }, srv = { "10.0.0.2", 80 };
	struct syn_event ev[4], lost;
	struct keep_sink k;
	struct syn_sink *sinks[1] = { &k.s };
	struct tracker *t;

	ev[0] = ev_seg(10, 0, cli, srv, TX, S_, 100, 0, 0);
	memset(&lost, 0, sizeof(lost));
	lost.kind = SYN_EV_LOST;
	lost.ts_ns = 20;
	lost.lost.count = 42;
	keep_init(&k);
	t = tracker_new(sinks, 1, NULL);
	tracker_on_event(t, &ev[0]);
	tracker_on_event(t, &lost);
	CHECK_EQ_INT(k.unattached, 1);
	CHECK_EQ_INT(tracker_summary(t)->lost, 42);
	tracker_finish(t);
	if (CHECK_EQ_INT(k.nconns, 1))
		CHECK(k.conns[0].maybe_lost);
	tracker_free(t);
	keep_free(&k);
}

/* A connection first seen mid-way after a loss may have lost its beginning
 * (all its events up to the report, so none of them came later to be
 * marked): it is marked. One that begins with its SYN after the loss is not,
 * nor one first seen mid-way when nothing was lost (it began before tracing). */
static void test_lost_beginning_is_marked(void)
{
	struct ep a = { "10.0.0.1", 40010 }, b = { "10.0.0.1", 40011 }, c = { "10.0.0.1", 40012 };
	struct ep srv = { "10.0.0.2", 80 };
	struct syn_event before, lost, mid, fresh;
	struct keep_sink k;
	struct syn_sink *sinks[1] = { &k.s };
	struct tracker *t;

	before = ev_seg(10, 0, c, srv, TX, A_, 500, 900, 10);  /* no loss yet */
	memset(&lost, 0, sizeof(lost));
	lost.kind = SYN_EV_LOST;
	lost.ts_ns = 20;
	lost.lost.since_ns = 15;
	lost.lost.count = 7;
	mid = ev_seg(30, 0, a, srv, TX, A_, 100, 900, 10);     /* its SYN was lost */
	fresh = ev_seg(40, 0, b, srv, TX, S_, 200, 0, 0);      /* began after the loss */
	keep_init(&k);
	t = tracker_new(sinks, 1, NULL);
	tracker_on_event(t, &before);
	tracker_on_event(t, &lost);
	tracker_on_event(t, &mid);
	tracker_on_event(t, &fresh);
	tracker_finish(t);
	if (CHECK_EQ_INT(k.nconns, 3)) {
		int marked = 0, unmarked = 0;

		for (int i = 0; i < 3; i++) {
			const struct conn *x = &k.conns[i];
			bool is_a = x->end[0].port == 40010 || x->end[1].port == 40010;
			bool is_b = x->end[0].port == 40011 || x->end[1].port == 40011;

			marked += is_a && x->maybe_lost;
			unmarked += is_b && !x->maybe_lost;
		}
		CHECK_EQ_INT(marked, 1);
		CHECK_EQ_INT(unmarked, 1);
	}
	tracker_free(t);
	keep_free(&k);
}

/* IPv6 on ::1 joins the same way. */
static void test_ipv6_loopback(void)
{
	struct ep cli = { "::1", 51000 }, srv = { "::1", 8080 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(10, 0xA, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(11, 0, srv, cli, RX, S_, 100, 0, 0);
	ev[n++] = ev_seg(12, 0, srv, cli, TX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(13, 0, cli, srv, RX, S_ | A_, 900, 101, 0);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		CHECK_EQ_INT(r.k.conns[0].end[0].family, 10);
		CHECK_EQ_INT(r.k.conns[0].end[0].port, 51000);
		CHECK_EQ_INT(r.k.conns[0].rows[0].pair, 1);
	}
	run_end(&r);
}

/* socket() and bind() come before the socket has a peer: they wait, and
 * join the connection (a client) or are shown on their own (a listener). */
static void test_socket_and_bind_join_later(void)
{
	struct ep cli = { "127.0.0.1", 40100 }, srv = { "127.0.0.1", 9200 };
	struct ep none = { "0.0.0.0", 0 }, bound = { "127.0.0.1", 9200 };
	struct syn_event ev[16];
	struct run r;
	size_t n = 0;
	char buf[256];

	/* the listener: socket, bind, listen */
	ev[n++] = ev_call(10, 50, none, none, 200, "server", SYN_CALL_SOCKET, RET, 3, 3);
	ev[n++] = ev_call(11, 50, none, none, 200, "server", SYN_CALL_BIND, ENTRY, 3, 0);
	ev[n++] = ev_call(12, 50, bound, none, 200, "server", SYN_CALL_BIND, RET, 3, 0);
	ev[n++] = ev_call(13, 50, bound, none, 200, "server", SYN_CALL_LISTEN, ENTRY, 3, 0);
	/* the client: socket, connect, its SYN names the tuple */
	ev[n++] = ev_call(20, 60, none, none, 300, "client", SYN_CALL_SOCKET, RET, 3, 3);
	ev[n++] = ev_call(21, 60, none, none, 300, "client", SYN_CALL_CONNECT, ENTRY, 3, 0);
	ev[n++] = ev_seg(22, 60, cli, srv, TX, S_, 500, 0, 0);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 30, 60, cli, srv);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.unattached, 4); /* the listener's socket, bind x2, listen */
	CHECK_EQ_INT(r.k.unattached_ev[0].sys.call, SYN_CALL_SOCKET);
	CHECK_EQ_INT(r.k.unattached_ev[3].sys.call, SYN_CALL_LISTEN);
	CHECK_EQ_INT(r.k.nconns, 1);
	if (r.k.nconns == 1)
		CHECK_EQ_STR(lane_calls(&r.k.conns[0], 0, buf, sizeof(buf)),
			     "socket=3 connect()");
	run_end(&r);
}

/* A connect() the kernel refuses within the call (ENETUNREACH: no route):
 * no segment, and every record with port 0. Its entry named where it meant
 * to go (from its sockaddr), so the attempt is a connection of its own, to
 * that address, on the client lane; an entry that names nothing (an older
 * recording) leaves the calls unattached, as before. */
static void test_connect_refused_within_the_call(void)
{
	struct ep none = { "0.0.0.0", 0 }, dest = { "8.8.8.8", 80 }, gone = { "0.0.0.0", 0 };
	struct syn_event ev[8];
	struct run r;
	char buf[256];

	for (int named = 1; named >= 0; named--) {
		size_t n = 0;

		ev[n++] = ev_call(10, 60, none, none, 300, "client", SYN_CALL_SOCKET, RET, 3, 3);
		ev[n++] = ev_call(11, 60, none, named ? dest : none, 300, "client", SYN_CALL_CONNECT,
				  ENTRY, 3, 0);
		ev[n++] = ev_call(12, 60, none, none, 300, "client", SYN_CALL_CONNECT, RET, 3,
				  -ENETUNREACH);
		ev[n] = ev_call(13, 60, none, gone, 300, "client", SYN_CALL_CLOSE, ENTRY, 3, 0);
		ev[n++].sys.last_ref = 1;
		ev[n++] = ev_kind(SYN_EV_DESTROY, 14, 60, none, none);
		ev[n++] = ev_call(15, 60, none, none, 300, "client", SYN_CALL_CLOSE, RET, 3, 0);
		run_start(&r, ev, n);
		tracker_finish(r.t);
		CHECK_EQ_INT(r.k.nconns, named);
		if (named && r.k.nconns == 1) {
			const struct conn *c = &r.k.conns[0];

			CHECK_EQ_INT(c->end[0].role, ROLE_CLIENT);
			CHECK_EQ_INT(c->end[1].port, 80);
			CHECK_EQ_INT(c->end[0].port, 0);
			CHECK_EQ_INT(c->nrows, 6);
			CHECK_EQ_STR(lane_calls(c, 0, buf, sizeof(buf)),
				     "socket=3 connect() connect=-101 close() close=0");
			CHECK(c->complete);
		}
		if (!named)
			CHECK_EQ_INT(r.k.unattached, 5);
		run_end(&r);
	}
}

/* One connection to srv from cli, both ends' sockets (client cs, child ss)
 * seen, accepted, ended by both sockets going; no calls on the client. */
static size_t accepted_conn(struct syn_event *ev, __u64 t, struct ep cli, struct ep srv,
			    __u64 cs, __u64 ss)
{
	size_t n = 0;

	ev[n++] = ev_state(t + 1, cs, cli, srv, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(t + 2, cs, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(t + 3, 0, srv, cli, RX, S_, 100, 0, 0);
	ev[n++] = ev_seg(t + 4, 0, srv, cli, TX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(t + 5, 0, cli, srv, RX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_state(t + 6, cs, cli, srv, SYN_SENT, ESTABLISHED);
	ev[n++] = ev_seg(t + 7, cs, cli, srv, TX, A_, 101, 901, 0);
	ev[n++] = ev_seg(t + 8, 0, srv, cli, RX, A_, 101, 901, 0);
	ev[n++] = ev_state(t + 9, ss, srv, cli, LISTEN, SYN_RECV);
	ev[n++] = ev_state(t + 10, ss, srv, cli, SYN_RECV, ESTABLISHED);
	ev[n++] = ev_call(t + 11, ss, srv, cli, PID_SRV, "server", SYN_CALL_ACCEPT, RET, 3, 5);
	ev[n++] = ev_state(t + 20, cs, cli, srv, ESTABLISHED, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t + 21, cs, cli, srv);
	ev[n++] = ev_state(t + 22, ss, srv, cli, ESTABLISHED, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t + 23, ss, srv, cli);
	return n;
}

/* A listener's setup (socket, a bind() that fails with EADDRINUSE,
 * setsockopt SO_REUSEADDR, bind, listen, CLOSE -> LISTEN) is shown live
 * outside any connection, and drawn again in the server lane of the first
 * connection the listener made, before its rows, even when the listener
 * closed before that connection ended; never in the second. */
static void test_listener_setup_in_first_connection(void)
{
	struct ep srv = { "127.0.0.1", 9400 }, none = { "0.0.0.0", 0 };
	struct ep c1 = { "127.0.0.1", 40001 }, c2 = { "127.0.0.1", 40002 };
	struct syn_event ev[64];
	struct run r;
	size_t n = 0;
	char buf[512];

	ev[n++] = ev_call(10, 0x11, none, none, PID_SRV, "server", SYN_CALL_SOCKET, RET, 3, 3);
	ev[n++] = ev_call(11, 0x11, none, none, PID_SRV, "server", SYN_CALL_BIND, ENTRY, 3, 0);
	ev[n++] = ev_call(12, 0x11, none, none, PID_SRV, "server", SYN_CALL_BIND, RET, 3, -98);
	ev[n] = ev_call(13, 0x11, none, none, PID_SRV, "server", SYN_CALL_SETSOCKOPT, ENTRY, 3, 0);
	ev[n].sys.level = SOL_SOCKET;
	ev[n].sys.arg = SO_REUSEADDR;
	ev[n].sys.vlen = 4;
	ev[n++].sys.val[0] = 1;
	ev[n] = ev_call(14, 0x11, none, none, PID_SRV, "server", SYN_CALL_SETSOCKOPT, RET, 3, 0);
	ev[n].sys.level = SOL_SOCKET;
	ev[n++].sys.arg = SO_REUSEADDR;
	ev[n++] = ev_call(15, 0x11, none, none, PID_SRV, "server", SYN_CALL_BIND, ENTRY, 3, 0);
	ev[n++] = ev_call(16, 0x11, srv, none, PID_SRV, "server", SYN_CALL_BIND, RET, 3, 0);
	ev[n] = ev_call(17, 0x11, srv, none, PID_SRV, "server", SYN_CALL_LISTEN, ENTRY, 3, 0);
	ev[n++].sys.arg = 16;
	ev[n++] = ev_state(18, 0x11, srv, none, CLOSE, LISTEN);
	ev[n++] = ev_call(19, 0x11, srv, none, PID_SRV, "server", SYN_CALL_LISTEN, RET, 3, 0);
	n += accepted_conn(ev + n, 100, c1, srv, 0xC1, 0x51);
	/* after accept(), before connection 1 ends, the listener closes:
	 * connection 1 has its setup already */
	memmove(ev + n - 3, ev + n - 4, 4 * sizeof(ev[0]));
	ev[n - 4] = ev_call(115, 0x11, srv, none, PID_SRV, "server", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n++ - 4].sys.last_ref = 1;
	n += accepted_conn(ev + n, 200, c2, srv, 0xC2, 0x52);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	if (CHECK_EQ_INT(r.k.nconns, 2)) {
		const struct conn *a = &r.k.conns[0], *b = &r.k.conns[1];

		CHECK_EQ_INT(a->setup_rows, 10);
		CHECK_EQ_INT(a->rows[0].end, 1);
		CHECK_EQ_STR(lane_calls(a, 1, buf, sizeof(buf)),
			     "socket=3 bind() bind=-98 setsockopt() setsockopt=0 bind() bind=0 listen() "
			     "listen=0 accept=5");
		CHECK_EQ_STR(lane_states(a, 1, buf, sizeof(buf)),
			     "CLOSE>LISTEN LISTEN>SYN_RECV* LISTEN>SYN_RECV SYN_RECV>ESTABLISHED "
			     "ESTABLISHED>CLOSE");
		CHECK_EQ_INT(a->rows[9].state_after[1], LISTEN);
		CHECK_EQ_INT(a->rows[10].ev.kind, SYN_EV_STATE); /* the client's CLOSE -> SYN_SENT */
		CHECK_EQ_INT(b->setup_rows, 0);
		CHECK_EQ_STR(lane_calls(b, 1, buf, sizeof(buf)), "accept=5");
	}
	/* shown live outside any connection too: the 10, and the listener's close() */
	CHECK_EQ_INT(r.k.unattached, 11);
	run_end(&r);
}

/* UDP: no handshake, no states; the first sender is the client; the flow
 * ends when both sockets' last close() returned. A TCP connection on the
 * same ports is another connection. */
static void test_udp_flow(void)
{
	struct ep cli = { "127.0.0.1", 40200 }, srv = { "127.0.0.1", 9300 };
	struct ep any_srv = { "127.0.0.1", 9300 }, none = { "0.0.0.0", 0 };
	struct syn_event ev[24];
	struct run r;
	size_t n = 0;
	char buf[256];

	ev[n++] = ev_call(10, 70, any_srv, none, 200, "server", SYN_CALL_RECVFROM, ENTRY, 3, 0);
	ev[n++] = ev_call(20, 80, none, none, 300, "client", SYN_CALL_SENDTO, ENTRY, 3, 0);
	ev[n++] = ev_seg(21, 80, cli, srv, TX, 0, 0, 0, 5);
	ev[n++] = ev_seg(22, 0, srv, cli, RX, 0, 0, 0, 5);
	ev[n++] = ev_call(23, 80, cli, none, 300, "client", SYN_CALL_SENDTO, RET, 3, 5);
	ev[n++] = ev_call(24, 70, any_srv, none, 200, "server", SYN_CALL_RECVFROM, RET, 3, 5);
	ev[n++] = ev_call(25, 70, any_srv, none, 200, "server", SYN_CALL_SENDTO, ENTRY, 3, 0);
	ev[n++] = ev_seg(26, 70, srv, cli, TX, 0, 0, 0, 5);
	ev[n++] = ev_seg(27, 0, cli, srv, RX, 0, 0, 0, 5);
	ev[n++] = ev_call(28, 70, any_srv, none, 200, "server", SYN_CALL_SENDTO, RET, 3, 5);
	/* a TCP SYN on the same ports: not part of the UDP flow */
	ev[n++] = ev_seg(29, 0, cli, srv, TX, S_, 1, 0, 0);
	/* another datagram as long as the first (a resolver's AAAA query
	 * after its A query): UDP has no sequence space, nothing is resent */
	ev[n++] = ev_seg(30, 80, cli, srv, TX, 0, 0, 0, 5);
	ev[n++] = ev_seg(31, 0, srv, cli, RX, 0, 0, 0, 5);
	ev[n++] = ev_call(40, 80, cli, none, 300, "client", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_call(41, 80, cli, none, 300, "client", SYN_CALL_CLOSE, RET, 3, 0);
	ev[n++] = ev_call(42, 70, any_srv, none, 200, "server", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_call(43, 70, any_srv, none, 200, "server", SYN_CALL_CLOSE, RET, 3, 0);
	for (size_t i = 0; i < n; i++)
		if (!(ev[i].kind == SYN_EV_SEGMENT && (ev[i].seg.flags & S_)))
			ev[i].proto = IPPROTO_UDP;
	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 1); /* the UDP flow ended by itself */
	if (r.k.nconns == 1) {
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_INT(c->proto, IPPROTO_UDP);
		CHECK(c->complete);
		CHECK_EQ_INT(c->end[0].port, 40200);
		CHECK_EQ_INT(c->end[0].pid, 300);
		CHECK_EQ_INT(c->end[1].pid, 200);
		CHECK_EQ_STR(lane_states(c, 0, buf, sizeof(buf)), "");
		CHECK_EQ_STR(lane_calls(c, 1, buf, sizeof(buf)),
			     "recvfrom() recvfrom=5 sendto() sendto=5 close() close=0");
		for (size_t i = 0; i < c->nrows; i++)
			CHECK(!(c->rows[i].marks & (ROW_RETRANSMIT | ROW_DUP_ACK)));
		CHECK_EQ_INT(c->nrows, 16);
	}
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 2); /* and the TCP SYN's, incomplete */
	if (r.k.nconns == 2)
		CHECK_EQ_INT(r.k.conns[1].proto, IPPROTO_TCP);
	run_end(&r);
}

/* One-way UDP: a receiver binds and waits in recvfrom(), a sender only
 * sends one datagram and closes. The receiver's calls name no peer: they
 * join the flow when the datagram reaches its port (here it is bound to
 * 0.0.0.0), and the flow is complete once both sockets closed. Another
 * socket, unbound, on another port, stays out. */
static void test_udp_one_way(void)
{
	struct ep cli = { "127.0.0.1", 40210 }, srv = { "127.0.0.1", 9310 };
	struct ep bound = { "0.0.0.0", 9310 }, other = { "0.0.0.0", 9311 };
	struct ep none = { "0.0.0.0", 0 };
	struct syn_event ev[24];
	struct run r;
	size_t n = 0;
	char buf[256];

	ev[n++] = ev_call(10, 71, none, none, 200, "receiver", SYN_CALL_SOCKET, RET, 3, 3);
	ev[n++] = ev_call(11, 71, none, none, 200, "receiver", SYN_CALL_BIND, ENTRY, 3, 0);
	ev[n++] = ev_call(12, 71, bound, none, 200, "receiver", SYN_CALL_BIND, RET, 3, 0);
	ev[n++] = ev_call(13, 71, bound, none, 200, "receiver", SYN_CALL_RECVFROM, ENTRY, 3, 0);
	ev[n++] = ev_call(14, 72, other, none, 200, "receiver", SYN_CALL_RECVFROM, ENTRY, 4, 0);
	ev[n++] = ev_call(20, 81, none, none, 300, "sender", SYN_CALL_SOCKET, RET, 3, 3);
	ev[n++] = ev_call(21, 81, none, none, 300, "sender", SYN_CALL_SENDTO, ENTRY, 3, 0);
	ev[n++] = ev_seg(22, 81, cli, srv, TX, 0, 0, 0, 6);
	ev[n++] = ev_seg(23, 0, srv, cli, RX, 0, 0, 0, 6);
	ev[n++] = ev_call(24, 81, cli, none, 300, "sender", SYN_CALL_SENDTO, RET, 3, 6);
	ev[n++] = ev_call(25, 81, cli, none, 300, "sender", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_call(26, 81, cli, none, 300, "sender", SYN_CALL_CLOSE, RET, 3, 0);
	ev[n++] = ev_call(27, 71, bound, none, 200, "receiver", SYN_CALL_RECVFROM, RET, 3, 6);
	ev[n++] = ev_call(28, 71, bound, none, 200, "receiver", SYN_CALL_CLOSE, ENTRY, 3, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_call(29, 71, bound, none, 200, "receiver", SYN_CALL_CLOSE, RET, 3, 0);
	ev[n++] = ev_call(30, 72, other, none, 200, "receiver", SYN_CALL_CLOSE, ENTRY, 4, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_call(31, 72, other, none, 200, "receiver", SYN_CALL_CLOSE, RET, 4, 0);
	for (size_t i = 0; i < n; i++)
		ev[i].proto = IPPROTO_UDP;
	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 1); /* ended by itself: both sockets closed */
	if (r.k.nconns == 1) {
		const struct conn *c = &r.k.conns[0];

		CHECK(c->complete);
		CHECK_EQ_INT(c->end[0].port, 40210);
		CHECK_EQ_INT(c->end[0].pid, 300);
		CHECK_EQ_STR(c->end[1].comm, "receiver");
		CHECK_EQ_INT(c->end[1].pid, 200);
		CHECK_EQ_STR(lane_calls(c, 0, buf, sizeof(buf)),
			     "socket=3 sendto() sendto=6 close() close=0");
		CHECK_EQ_STR(lane_calls(c, 1, buf, sizeof(buf)),
			     "socket=3 bind() bind=0 recvfrom() recvfrom=6 close() close=0");
	}
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 1);
	/* the other socket's recvfrom() and close(), on their own */
	CHECK_EQ_INT(r.k.unattached, 3);
	CHECK_EQ_INT(r.k.unattached_ev[0].sys.call, SYN_CALL_RECVFROM);
	run_end(&r);
}

/* A drop is placed on the lane whose host dropped the segment. */
static void test_drop_joins_connection(void)
{
	struct ep cli = { "127.0.0.1", 40300 }, srv = { "127.0.0.1", 9400 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;
	char buf[64];

	ev[n++] = ev_seg(10, 90, cli, srv, TX, S_, 1, 0, 0);
	ev[n++] = ev_seg(11, 0, srv, cli, RX, S_, 1, 0, 0);
	ev[n++] = ev_kind(SYN_EV_DROP, 12, 0, srv, cli);
	ev[n - 1].drop.flags = S_;
	ev[n - 1].drop.reason = 40;
	run_start(&r, ev, n);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 1);
	if (r.k.nconns == 1) {
		const struct conn *c = &r.k.conns[0];

		CHECK_EQ_INT(c->nrows, 3);
		CHECK_EQ_INT(c->rows[2].ev.kind, SYN_EV_DROP);
		CHECK_EQ_INT(c->rows[2].end, 1);
		/* a dropped SYN: no SYN-RECEIVED is inferred */
		CHECK_EQ_STR(lane_states(c, 1, buf, sizeof(buf)), "");
	}
	run_end(&r);
}

/* A SYN that nobody answers (a flood, a dead peer) holds no socket here:
 * after the idle time it is shown, marked, and its memory freed; on the
 * source's clock, with no new event needed to notice. */
static void test_idle_half_open_is_evicted(void)
{
	struct ep cli = { "10.0.0.9", 40400 }, srv = { "10.0.0.1", 9500 };
	struct ep other_c = { "10.0.0.8", 40401 };
	struct syn_event ev[4];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(1000, 0, srv, cli, RX, S_, 1, 0, 0);
	ev[n++] = ev_seg(1000 + TRACKER_IDLE_NS / 2, 0, srv, other_c, RX, S_, 7, 0, 0);
	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 0); /* not idle long enough */
	memset(&ev[0], 0, sizeof(ev[0]));
	ev[0].kind = SYN_EV_TICK;
	ev[0].ts_ns = 1000 + TRACKER_IDLE_NS + 10;
	feed(r.t, ev, 1);
	CHECK_EQ_INT(r.k.nconns, 1);
	if (r.k.nconns == 1) {
		CHECK(r.k.conns[0].evicted);
		CHECK(!r.k.conns[0].complete);
		CHECK_EQ_INT(r.k.conns[0].end[0].port, 40400);
	}
	CHECK_EQ_INT(tracker_summary(r.t)->evicted, 1);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 2);
	run_end(&r);
}

/* A long-lived connection with a socket is never evicted for being idle. */
static void test_idle_socket_is_kept(void)
{
	struct ep cli = { "127.0.0.1", 40500 }, srv = { "127.0.0.1", 9600 };
	struct syn_event ev[4];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(1000, 0xAB, cli, srv, TX, S_, 1, 0, 0);
	run_start(&r, ev, n);
	ev[0] = ev_seg(1000 + 3 * TRACKER_IDLE_NS, 0, srv, (struct ep){ "127.0.0.1", 1 }, RX, S_,
		       1, 0, 0);
	/* run_start ticked: from then on only ticks move the clock (an event
	 * alone would leave it where it was, and this test could not fail) */
	ev[1] = ev[0];
	memset(&ev[0], 0, sizeof(ev[0]));
	ev[0].kind = SYN_EV_TICK;
	ev[0].ts_ns = 1000 + 3 * TRACKER_IDLE_NS;
	feed(r.t, ev, 2);
	CHECK_EQ_INT(r.k.nconns, 0);
	CHECK_EQ_INT(tracker_summary(r.t)->evicted, 0);
	tracker_finish(r.t);
	run_end(&r);
}

/* Too many open at once: the least recently active are shown first. */
static void test_open_cap_evicts_oldest(void)
{
	struct ep srv = { "10.0.0.1", 9700 };
	struct keep_sink k;
	struct syn_sink *sinks[1] = { &k.s };
	struct tracker *t;

	keep_init(&k);
	k.s.conn_done = NULL; /* count only: 65 thousand connections */
	t = tracker_new(sinks, 1, NULL);
	for (unsigned i = 0; i < TRACKER_MAX_OPEN + 10; i++) {
		char addr[32];
		struct syn_event e;

		snprintf(addr, sizeof(addr), "10.%u.%u.%u", 1 + i / 65536, (i / 256) % 256, i % 256);
		e = ev_seg(1000 + i, 0x1000 + i, (struct ep){ addr, 40000 }, srv, TX, S_, i, 0, 0);
		tracker_on_event(t, &e);
	}
	CHECK_EQ_INT(tracker_summary(t)->evicted, 10);
	CHECK_EQ_INT(tracker_summary(t)->conns, 10);
	tracker_free(t);
}

/* A connection moving lots of data: every row reaches rows() (in batches,
 * in time order), the story folds the data run into one summary row whose
 * figures add up, and keeps the handshake's first and the teardown. */
static void test_long_connection_folds_data(void)
{
	struct ep cli = { "127.0.0.1", 40600 }, srv = { "127.0.0.1", 9800 };
	struct keep_sink k;
	struct syn_sink *sinks[1] = { &k.s };
	struct tracker *t;
	struct syn_event e;
	unsigned int data = 3 * TRACKER_BATCH_MAX + 17;
	__u64 ts = 1000;

	keep_init(&k);
	t = tracker_new(sinks, 1, NULL);
	e = ev_seg(ts++, 0xC1, cli, srv, TX, S_, 1, 0, 0);
	tracker_on_event(t, &e);
	for (unsigned i = 0; i < data; i++) {
		e = ev_seg(ts++, 0xC1, cli, srv, TX, P_ | A_, 2 + i, 1, 1);
		tracker_on_event(t, &e);
	}
	e = ev_seg(ts++, 0xC1, cli, srv, TX, F_ | A_, 2 + data, 1, 0);
	tracker_on_event(t, &e);
	CHECK(k.batches >= 3); /* a long one goes out while it lasts */
	CHECK_EQ_INT(k.batches_said_more, k.batches); /* the last 128 still wait */
	tracker_finish(t);
	CHECK_EQ_INT(k.rows, data + 2);
	/* each batch but the last said that more would come */
	CHECK_EQ_INT(k.batches_said_more, k.batches - 1);
	CHECK(!k.last_said_more);
	CHECK(!k.rows_out_of_order);
	CHECK_EQ_INT(k.nconns, 1);
	if (k.nconns == 1) {
		const struct conn *c = &k.conns[0];
		size_t sums = 0;

		CHECK(c->nrows <= 2 + FOLD_HEAD + FOLD_TAIL + 1);
		CHECK_EQ_INT(c->events, data + 2);
		CHECK_EQ_INT(c->nsums, 1);
		for (size_t i = 0; i < c->nrows; i++)
			sums += c->rows[i].ev.kind == CONN_ROW_SUMMARY;
		CHECK_EQ_INT(sums, 1);
		if (c->nsums == 1) {
			CHECK_EQ_INT(c->sums[0].rows, data - FOLD_HEAD - FOLD_TAIL);
			CHECK_EQ_INT(c->sums[0].segs[0], data - FOLD_HEAD - FOLD_TAIL);
			CHECK_EQ_INT(c->sums[0].bytes[0], data - FOLD_HEAD - FOLD_TAIL);
			CHECK_EQ_INT(c->folded, c->sums[0].rows);
		}
		CHECK(c->rows[0].ev.seg.flags & S_);
		CHECK(c->rows[c->nrows - 1].ev.seg.flags & F_); /* the FIN is kept */
		CHECK(c->rows[c->nrows - 2].ev.seg.seq == 1 + data); /* the last data row too */
	}
	tracker_free(t);
	keep_free(&k);
}

/* The source's clock says everything up to ts has come. */
static void tick_at(struct tracker *t, __u64 ts)
{
	struct syn_event tick;

	memset(&tick, 0, sizeof(tick));
	tick.kind = SYN_EV_TICK;
	tick.ts_ns = ts;
	tracker_on_event(t, &tick);
}

/* Events from index from on happen later by dt: a pause in the trace. */
static void pause_at(struct syn_event *ev, size_t n, size_t from, __u64 dt)
{
	for (size_t i = from; i < n; i++)
		ev[i].ts_ns += dt;
}

/* The index just after the first event of kind that fn accepts. */
static size_t after_first(const struct syn_event *ev, size_t n,
			  bool (*fn)(const struct syn_event *e))
{
	for (size_t i = 0; i < n; i++)
		if (fn(&ev[i]))
			return i + 1;
	return n;
}

static bool is_accept_return(const struct syn_event *e)
{
	return e->kind == SYN_EV_SYSCALL && e->sys.call == SYN_CALL_ACCEPT4 &&
	       e->sys.phase == SYN_PHASE_RETURN;
}

static bool is_client_destroy(const struct syn_event *e)
{
	return e->kind == SYN_EV_DESTROY && e->sock_id == SID_CLI;
}

/* The same rows, marks, states and pairs: the same drawing. */
static void check_same_story(const struct conn *a, const struct conn *b)
{
	CHECK_EQ_INT(a->nrows, b->nrows);
	CHECK_EQ_INT(a->events, b->events);
	CHECK_EQ_INT(a->setup_rows, b->setup_rows);
	CHECK_EQ_INT(a->complete, b->complete);
	for (int e = 0; e < 2; e++) {
		CHECK_EQ_INT(a->end[e].role, b->end[e].role);
		CHECK_EQ_INT(a->end[e].pid, b->end[e].pid);
		CHECK_EQ_INT(a->end[e].state, b->end[e].state);
	}
	for (size_t i = 0; i < a->nrows && i < b->nrows; i++) {
		const struct conn_row *x = &a->rows[i], *y = &b->rows[i];

		if (!CHECK(x->ev.kind == y->ev.kind && x->ev.ts_ns == y->ev.ts_ns &&
			   x->end == y->end && x->marks == y->marks && x->pair == y->pair &&
			   x->state_after[0] == y->state_after[0] &&
			   x->state_after[1] == y->state_after[1]))
			break;
	}
}

/* An established connection that goes quiet hands its waiting rows over
 * (an idle keep-alive connection holds none), and is drawn as it would be
 * taken at once: two pauses of 3 s, after accept() and in the half-close. */
static void test_quiet_connection_hands_rows_over(void)
{
	struct syn_event ev[80];
	size_t n = client_close_trace(ev, true);
	size_t gap1 = after_first(ev, n, is_accept_return);
	size_t gap2 = after_first(ev, n, is_client_destroy);
	struct run whole, quiet;

	CHECK(gap1 < gap2 && gap2 < n);
	pause_at(ev, n, gap2, 3000000000ull);
	pause_at(ev, n, gap1, 3000000000ull);
	run_start(&whole, ev, n);
	CHECK_EQ_INT(whole.k.batches, 1);

	run_open(&quiet);
	for (size_t i = 0; i < n; i++) {
		if (i == gap1 || i == gap2) {
			size_t rows = quiet.k.rows;

			tick_at(quiet.t, ev[i - 1].ts_ns + TRACKER_QUIET_NS - 1);
			CHECK_EQ_INT(quiet.k.rows, rows); /* not quiet long enough yet */
			tick_at(quiet.t, ev[i - 1].ts_ns + TRACKER_QUIET_NS);
			CHECK(quiet.k.rows > rows);
		}
		tracker_on_event(quiet.t, &ev[i]);
	}
	tick_after(quiet.t, ev, n);
	CHECK_EQ_INT(quiet.k.batches, 3);
	CHECK_EQ_INT(quiet.k.batches_said_more, 2); /* the quiet ones: it was not over */
	CHECK(!quiet.k.last_said_more);
	CHECK_EQ_INT(whole.k.batches_said_more, 0);
	CHECK_EQ_INT(quiet.k.rows, whole.k.rows);
	CHECK_EQ_INT(quiet.k.nconns, 1);
	CHECK_EQ_INT(whole.k.nconns, 1);
	if (quiet.k.nconns == 1 && whole.k.nconns == 1)
		check_same_story(&quiet.k.conns[0], &whole.k.conns[0]);
	run_end(&quiet);
	run_end(&whole);
}

/* A connection whose rows all went out while it was quiet, still open when
 * tracing ends: a last rows() of no rows says it is over (a sink that kept
 * something for its later batches lets it go). */
static void test_quiet_connection_ends_with_no_rows(void)
{
	struct syn_event ev[80];
	size_t n = client_close_trace(ev, true);
	size_t gap = after_first(ev, n, is_accept_return);
	struct run r;

	run_open(&r);
	feed(r.t, ev, gap);
	tick_at(r.t, ev[gap - 1].ts_ns + TRACKER_QUIET_NS);
	size_t rows = r.k.rows;

	CHECK_EQ_INT(r.k.batches, 1);
	CHECK(r.k.last_said_more && rows > 10);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.batches, 2);
	CHECK_EQ_INT(r.k.rows, rows); /* the last one brought none */
	CHECK(!r.k.last_said_more);
	CHECK_EQ_INT(r.k.nconns, 1);
	run_end(&r);
}

/* Before its handshake completed a quiet connection keeps its rows: a SYN
 * may yet be answered, after its retransmission a second later. */
static void test_quiet_handshake_keeps_rows(void)
{
	struct ep cli = { "127.0.0.1", 40610 }, srv = { "127.0.0.1", 9810 };
	struct run r;
	struct syn_event ev[2];

	ev[0] = ev_state(1000, 0xC2, cli, srv, CLOSE, SYN_SENT);
	ev[1] = ev_seg(1010, 0xC2, cli, srv, TX, S_, 1, 0, 0);
	run_start(&r, ev, 2);
	tick_at(r.t, 1010 + 2 * TRACKER_QUIET_NS);
	CHECK_EQ_INT(r.k.batches, 0);
	CHECK_EQ_INT(r.k.nconns, 0);
	run_end(&r);
}

/* Crossing SYNs: each SYN-ACK repeats its sender's SYN (same ISN) on
 * purpose; it is no retransmission. A second SYN-ACK would be. */
static void test_simultaneous_open_synack_not_retransmit(void)
{
	struct ep a = { "10.0.0.1", 40700 }, b = { "10.0.0.2", 40701 };
	struct syn_event ev[8];
	struct run r;
	size_t n = 0;

	ev[n++] = ev_seg(10, 0xA1, a, b, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(11, 0xB1, b, a, TX, S_, 300, 0, 0);
	ev[n++] = ev_seg(12, 0xA1, a, b, TX, S_ | A_, 100, 301, 0);
	ev[n++] = ev_seg(13, 0xB1, b, a, TX, S_ | A_, 300, 101, 0);
	ev[n++] = ev_seg(14, 0xB1, b, a, TX, S_ | A_, 300, 101, 0);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 1);
	if (r.k.nconns == 1) {
		const struct conn *c = &r.k.conns[0];
		int marked = 0;

		for (size_t i = 0; i < c->nrows; i++)
			marked += !!(c->rows[i].marks & ROW_RETRANSMIT);
		CHECK_EQ_INT(marked, 1);
		CHECK(c->rows[c->nrows - 1].marks & ROW_RETRANSMIT);
	}
	run_end(&r);
}

/* The socket-id reuse tests: id 0x77 is the client's socket (and later a new
 * socket in its memory), 0x88 the server's. The client, connected from cli
 * to srv at 10-13 us: connect(fd=4) and its return around SYN and SYN-ACK. */
static size_t reuse_connected(struct syn_event *ev, struct ep cli, struct ep srv)
{
	struct ep none = { "0.0.0.0", 0 };
	size_t n = 0;

	ev[n++] = ev_call(10, 0x77, none, srv, 300, "client", SYN_CALL_CONNECT, ENTRY, 4, 0);
	ev[n++] = ev_seg(11, 0x77, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(12, 0x88, srv, cli, TX, S_ | A_, 500, 101, 0);
	ev[n++] = ev_call(13, 0x77, cli, srv, 300, "client", SYN_CALL_CONNECT, RET, 4, 0);
	return n;
}

/* A close() of a socket's last descriptor, and the socket's destroy a
 * microsecond later (seen from gone: the local port may be cleared by then). */
static size_t last_close(struct syn_event *ev, __u64 ts, __u64 sid, struct ep local,
			 struct ep gone, struct ep remote, __u32 pid, const char *comm, int fd)
{
	ev[0] = ev_call(ts, sid, local, remote, pid, comm, SYN_CALL_CLOSE, ENTRY, fd, 0);
	ev[0].sys.last_ref = 1;
	ev[1] = ev_kind(SYN_EV_DESTROY, ts + 1, sid, gone, remote);
	return 2;
}

/* Found by the soak test: the kernel reuses a freed socket's memory, so a new
 * socket can have the id of a destroyed one whose connection is still open
 * (its peer not closed yet). Its calls and states start a new connection. */
static void test_socket_id_reused_after_destroy(void)
{
	struct ep cli = { "127.0.0.1", 40800 }, srv = { "127.0.0.1", 9900 };
	struct ep cli2 = { "127.0.0.1", 40801 }, none = { "0.0.0.0", 0 };
	struct ep cli0 = { "127.0.0.1", 0 };
	struct syn_event ev[16];
	struct run r;
	size_t n = 0;
	char buf[256];

	n += reuse_connected(ev + n, cli, srv);
	n += last_close(ev + n, 20, 0x77, cli, cli0, srv, 300, "client", 4);
	ev[n++] = ev_call(22, 0x77, cli0, srv, 300, "client", SYN_CALL_CLOSE, RET, 4, 0);
	/* the server's socket lives on; the client's memory makes a new socket */
	ev[n++] = ev_call(30, 0x77, none, none, 300, "client", SYN_CALL_CONNECT, ENTRY, 5, 0);
	ev[n++] = ev_state(31, 0x77, cli0, srv, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(32, 0x77, cli2, srv, TX, S_, 900, 0, 0);
	ev[n++] = ev_call(33, 0x77, cli2, srv, 300, "client", SYN_CALL_CONNECT, RET, 5, 0);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 2);
	if (r.k.nconns == 2) {
		const struct conn *old = r.k.conns[0].end[0].port == 40800 ? &r.k.conns[0]
									   : &r.k.conns[1];
		const struct conn *new = old == &r.k.conns[0] ? &r.k.conns[1] : &r.k.conns[0];

		CHECK_EQ_STR(lane_calls(old, 0, buf, sizeof(buf)),
			     "connect() connect=0 close() close=0");
		CHECK_EQ_STR(lane_calls(new, 0, buf, sizeof(buf)), "connect() connect=0");
		CHECK_EQ_STR(lane_states(new, 0, buf, sizeof(buf)), "CLOSE>SYN_SENT");
		CHECK_EQ_INT(new->end[0].port, 40801);
	}
	run_end(&r);
}

/* Found by the soak test in CI: close() returns after its socket was freed,
 * and by then a new socket on another CPU may have the old id and a
 * connection of its own. The late return carries the tuple close() saw on
 * entry: it belongs to the old connection, not to the one now holding the id,
 * and the old connection waits for it. */
static void test_late_close_return_after_id_reuse(void)
{
	struct ep cli = { "127.0.0.1", 40900 }, srv = { "127.0.0.1", 9900 };
	struct ep cli2 = { "127.0.0.1", 40901 }, none = { "0.0.0.0", 0 };
	struct ep cli0 = { "127.0.0.1", 0 };
	struct syn_event ev[24];
	struct run r;
	size_t n = 0;
	char buf[256];

	n += reuse_connected(ev + n, cli, srv);
	n += last_close(ev + n, 14, 0x88, srv, srv, cli, 400, "server", 6);
	ev[n++] = ev_call(16, 0x88, srv, cli, 400, "server", SYN_CALL_CLOSE, RET, 6, 0);
	n += last_close(ev + n, 20, 0x77, cli, cli0, srv, 300, "client", 4);
	/* another thread's new socket, in the freed memory, runs ahead */
	ev[n++] = ev_call(23, 0x77, none, srv, 301, "client", SYN_CALL_CONNECT, ENTRY, 5, 0);
	ev[n++] = ev_state(24, 0x77, cli0, srv, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(25, 0x77, cli2, srv, TX, S_, 900, 0, 0);
	/* the old close() returns, with the tuple its entry saw */
	ev[n++] = ev_call(26, 0x77, cli, srv, 300, "client", SYN_CALL_CLOSE, RET, 4, 0);
	ev[n++] = ev_call(27, 0x77, cli2, srv, 301, "client", SYN_CALL_CONNECT, RET, 5, 0);
	n += last_close(ev + n, 30, 0x77, cli2, cli0, srv, 301, "client", 5);
	ev[n++] = ev_call(32, 0x77, cli2, srv, 301, "client", SYN_CALL_CLOSE, RET, 5, 0);
	run_start(&r, ev, n);
	CHECK_EQ_INT(r.k.nconns, 2); /* each finished at its close()'s return */
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 2);
	if (r.k.nconns == 2) {
		const struct conn *old = &r.k.conns[0], *new = &r.k.conns[1];

		CHECK(old->complete && new->complete);
		CHECK_EQ_INT(old->end[0].port, 40900);
		CHECK_EQ_STR(lane_calls(old, 0, buf, sizeof(buf)),
			     "connect() connect=0 close() close=0");
		CHECK_EQ_INT(new->end[0].port, 40901);
		CHECK_EQ_STR(lane_calls(new, 0, buf, sizeof(buf)),
			     "connect() connect=0 close() close=0");
		CHECK_EQ_STR(lane_states(new, 0, buf, sizeof(buf)), "CLOSE>SYN_SENT");
	}
	run_end(&r);
}

/* Index of the first row of lane end that is of kind, from row i on; -1. */
static long find_row(const struct conn *c, size_t i, int end, __u8 kind)
{
	for (; i < c->nrows; i++)
		if (c->rows[i].end == end && c->rows[i].ev.kind == kind)
			return (long)i;
	return -1;
}

/* The kernel reports a full socket's reset (tcp_send_active_reset) and a
 * retransmission only once the segment went to the device; on veth the
 * peer has processed it by then (linger-rst: "RST sent: TCP_STATE" came
 * after the server's "RST received"; lost-syn: "SYN resent (timer)" after
 * the resent SYN). Each report is the cause of its segment: it goes just
 * before the segment's departure, at the segment's time, and the rows stay
 * in time order. */
static void test_late_reports_before_their_segment(void)
{
	struct ep cli = { "10.99.0.1", 38100 }, srv = { "10.99.0.2", 9300 };
	enum { C = 0xC7, S = 0x57 };
	struct syn_event ev[32];
	struct run r;
	size_t n = 0;

	/* the first SYN is dropped on the way (seen leaving only), resent 1 s later */
	ev[n++] = ev_state(5, C, cli, srv, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(10, C, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(1000000010, C, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(1000000040, 0, srv, cli, RX, S_, 100, 0, 0);
	ev[n++] = ev_kind(SYN_EV_RETRANSMIT, 1000000050, C, cli, srv);
	ev[n - 1].rtx.seq = 100;
	ev[n - 1].rtx.flags = S_;
	ev[n - 1].rtx.state = SYN_SENT;
	ev[n - 1].sk_kind = SYN_SK_FULL;
	ev[n++] = ev_seg(1000000060, 0, srv, cli, TX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(1000000070, 0, cli, srv, RX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_state(1000000080, C, cli, srv, SYN_SENT, ESTABLISHED);
	ev[n++] = ev_seg(1000000090, C, cli, srv, TX, A_, 101, 901, 0);
	ev[n++] = ev_seg(1000000100, 0, srv, cli, RX, A_, 101, 901, 0);
	ev[n++] = ev_state(1000000110, S, srv, cli, LISTEN, SYN_RECV);
	ev[n++] = ev_state(1000000120, S, srv, cli, SYN_RECV, ESTABLISHED);
	/* close() with SO_LINGER 0: CLOSE, the RST, and the report of it last */
	ev[n++] = ev_state(2000000000, C, cli, srv, ESTABLISHED, CLOSE);
	ev[n++] = ev_seg(2000000010, C, cli, srv, TX, R_ | A_, 101, 901, 0);
	ev[n++] = ev_seg(2000000020, 0, srv, cli, RX, R_ | A_, 101, 901, 0);
	ev[n++] = ev_kind(SYN_EV_RESET, 2000000030, S, srv, cli);
	ev[n - 1].rst.kind = SYN_RESET_RECEIVED;
	ev[n - 1].sk_kind = SYN_SK_FULL;
	ev[n++] = ev_state(2000000040, S, srv, cli, ESTABLISHED, CLOSE);
	ev[n++] = ev_kind(SYN_EV_RESET, 2000000050, C, cli, srv);
	ev[n - 1].rst.kind = SYN_RESET_SENT;
	ev[n - 1].sk_kind = SYN_SK_FULL;
	ev[n++] = ev_kind(SYN_EV_DESTROY, 2000000060, C, cli, srv);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 2000000070, S, srv, cli);
	run_start(&r, ev, n);
	tracker_finish(r.t);
	CHECK(!r.k.rows_out_of_order);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn *c = &r.k.conns[0];
		long rtx = find_row(c, 0, 0, SYN_EV_RETRANSMIT);
		long rst = find_row(c, 0, 0, SYN_EV_RESET);

		CHECK_EQ_INT(c->events, n + 1); /* every event kept, and the inferred SYN_RECV */
		if (CHECK(rtx > 0 && (size_t)rtx + 1 < c->nrows)) {
			const struct conn_row *seg = &c->rows[rtx + 1];

			CHECK(seg->ev.kind == SYN_EV_SEGMENT && seg->ev.seg.dir == TX);
			CHECK(seg->marks & ROW_RETRANSMIT);
			CHECK_EQ_INT(c->rows[rtx].ev.ts_ns, 1000000010);
		}
		if (CHECK(rst > 0 && (size_t)rst + 1 < c->nrows)) {
			const struct conn_row *seg = &c->rows[rst + 1];

			CHECK(seg->ev.kind == SYN_EV_SEGMENT && (seg->ev.seg.flags & R_));
			CHECK_EQ_INT(c->rows[rst].ev.ts_ns, 2000000010);
			/* before the server heard of it */
			CHECK(rst < find_row(c, 0, 1, SYN_EV_RESET));
		}
	}
	run_end(&r);
}

/* A connection's events from port cport at time t0 (ns): the handshake, or
 * (whole) the handshake then an abort by RST and both sockets freed. */
static size_t short_conn(struct syn_event *ev, __u16 cport, __u64 sid, __u64 t0, bool whole)
{
	struct ep cli = { "127.0.0.1", cport }, srv = { "127.0.0.1", 9126 };
	size_t n = 0;
	__u64 t = t0;

	ev[n++] = ev_state(t += 10, sid, cli, srv, CLOSE, SYN_SENT);
	ev[n++] = ev_seg(t += 10, sid, cli, srv, TX, S_, 100, 0, 0);
	ev[n++] = ev_seg(t += 10, 0, srv, cli, RX, S_, 100, 0, 0);
	ev[n++] = ev_seg(t += 10, 0, srv, cli, TX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_seg(t += 10, 0, cli, srv, RX, S_ | A_, 900, 101, 0);
	ev[n++] = ev_state(t += 10, sid, cli, srv, SYN_SENT, ESTABLISHED);
	ev[n++] = ev_seg(t += 10, sid, cli, srv, TX, A_, 101, 901, 0);
	ev[n++] = ev_seg(t += 10, 0, srv, cli, RX, A_, 101, 901, 0);
	ev[n++] = ev_state(t += 10, sid + 1, srv, cli, LISTEN, SYN_RECV);
	ev[n++] = ev_state(t += 10, sid + 1, srv, cli, SYN_RECV, ESTABLISHED);
	if (!whole)
		return n;
	ev[n++] = ev_state(t += 10, sid, cli, srv, ESTABLISHED, CLOSE);
	ev[n++] = ev_seg(t += 10, sid, cli, srv, TX, R_ | A_, 101, 901, 0);
	ev[n++] = ev_seg(t += 10, 0, srv, cli, RX, R_ | A_, 101, 901, 0);
	ev[n++] = ev_state(t += 10, sid + 1, srv, cli, ESTABLISHED, CLOSE);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t += 10, sid, cli, srv);
	ev[n++] = ev_kind(SYN_EV_DESTROY, t += 10, sid + 1, srv, cli);
	return n;
}

/* backlog-late drew connections 1, 3, 2: they went to the sinks as they
 * ended, and its second connection (a dropped last ACK, answered late) ended
 * after the third. A connection that ended now waits for the older ones
 * still open, so the ladders come in the order the connections began; but
 * not for long (TRACKER_ORDER_NS), and not too many (TRACKER_ORDER_HELD). */
static void test_connections_shown_in_order_they_began(void)
{
	struct syn_event a[16], b[16], rest[16];
	size_t na = short_conn(a, 40001, 0xA0, 1000000, false);
	size_t nb = short_conn(b, 40002, 0xB0, 2000000, true);
	size_t nr = short_conn(rest, 40001, 0xA0, 1000000, true);
	struct run r;

	keep_init(&r.k);
	r.sinks[0] = &r.k.s;
	r.t = tracker_new(r.sinks, 1, NULL);
	feed(r.t, a, na);                     /* 1 begins */
	feed(r.t, b, nb);                     /* 2 begins and ends */
	tick_at(r.t, 2000000000);             /* 2 s on: 2 waits for 1 */
	CHECK_EQ_INT(r.k.nconns, 0);
	for (size_t i = na; i < nr; i++)      /* 1 ends at 3 s */
		rest[i].ts_ns += 3000000000ull;
	feed(r.t, rest + na, nr - na);
	tick_after(r.t, rest, nr);
	if (CHECK_EQ_INT(r.k.nconns, 2)) {
		CHECK_EQ_INT(r.k.conns[0].id, 1);
		CHECK_EQ_INT(r.k.conns[1].id, 2);
	}
	run_end(&r);

	/* 1 stays open: 2 is shown TRACKER_ORDER_NS after it ended */
	keep_init(&r.k);
	r.t = tracker_new(r.sinks, 1, NULL);
	feed(r.t, a, na);
	feed(r.t, b, nb);
	tick_at(r.t, b[nb - 1].ts_ns + TRACKER_ORDER_NS - 1);
	CHECK_EQ_INT(r.k.nconns, 0);
	tick_at(r.t, b[nb - 1].ts_ns + TRACKER_ORDER_NS);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK_EQ_INT(r.k.conns[0].id, 2);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 2);
	run_end(&r);

	/* 1 stays open, and more than TRACKER_ORDER_HELD end: the first to end go */
	keep_init(&r.k);
	r.t = tracker_new(r.sinks, 1, NULL);
	feed(r.t, a, na);
	for (int i = 0; i <= TRACKER_ORDER_HELD; i++) {
		nb = short_conn(b, (__u16)(41000 + i), 0x1000 + 2 * (__u64)i, 2000000 + 1000 * (__u64)i,
				true);
		feed(r.t, b, nb);
	}
	tick_at(r.t, b[nb - 1].ts_ns + TRACKER_GRACE_NS);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK_EQ_INT(r.k.conns[0].id, 2);
	tracker_finish(r.t);
	CHECK_EQ_INT(r.k.nconns, 64); /* the keep sink holds 64 */
	run_end(&r);
}

int main(void)
{
	RUN(test_both_ends_local_one_connection);
	RUN(test_reused_socket_pointer_starts_new_connection);
	RUN(test_state_after_each_row);
	RUN(test_out_of_order_ends);
	RUN(test_connection_without_syscalls);
	RUN(test_time_wait_at_the_peers_fin);
	RUN(test_refused);
	RUN(test_listener_attribution_before_accept);
	RUN(test_tuple_reuse_starts_new_connection);
	RUN(test_retransmitted_syn_is_marked);
	RUN(test_dropped_syn_is_not_syn_received);
	RUN(test_lost_events_mark_open_connections);
	RUN(test_lost_beginning_is_marked);
	RUN(test_ipv6_loopback);
	RUN(test_socket_and_bind_join_later);
	RUN(test_connect_refused_within_the_call);
	RUN(test_listener_setup_in_first_connection);
	RUN(test_udp_flow);
	RUN(test_udp_one_way);
	RUN(test_drop_joins_connection);
	RUN(test_idle_half_open_is_evicted);
	RUN(test_idle_socket_is_kept);
	RUN(test_quiet_connection_hands_rows_over);
	RUN(test_quiet_handshake_keeps_rows);
	RUN(test_quiet_connection_ends_with_no_rows);
	RUN(test_open_cap_evicts_oldest);
	RUN(test_long_connection_folds_data);
	RUN(test_simultaneous_open_synack_not_retransmit);
	RUN(test_socket_id_reused_after_destroy);
	RUN(test_late_close_return_after_id_reuse);
	RUN(test_late_reports_before_their_segment);
	RUN(test_connections_shown_in_order_they_began);
	return TEST_SUMMARY();
}
