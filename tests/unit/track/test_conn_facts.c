/* What a connection amounts to (track/conn_facts.h), from synthetic event
 * streams shaped like real loopback traces, with round times chosen so that
 * every expected number is worked out by hand in the comments. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include "test.h"
#include "events.h"
#include "shorthand.h"
#include "track/conn_facts.h"
#include "track/halfopen.h"
#include "track/tracker.h"


/* Microseconds after 1 s of monotonic time. */
#define US(x) (1000000000ull + (__u64)(x) * 1000ull)

static const struct ep CLI = { "127.0.0.1", 41000 }, SRV = { "127.0.0.1", 8080 };
static const struct ep ANY = { "0.0.0.0", 0 }, CLI0 = { "127.0.0.1", 0 };
enum { SID_CLI = 0xC1, SID_CHILD = 0x51, SID_LISTENER = 0x11 };
enum { PID_CLI = 100, PID_SRV = 200 };

struct ev_list {
	struct syn_event v[96];
	size_t n;
};

static void add(struct ev_list *l, struct syn_event e)
{
	if (l->n < sizeof(l->v) / sizeof(l->v[0]))
		l->v[l->n++] = e;
}

static void call(struct ev_list *l, __u64 us, __u64 sid, struct ep a, struct ep b, __u32 pid,
		 __u8 which, __u8 phase, long long ret)
{
	add(l, ev_call(US(us), sid, a, b, pid, pid == PID_CLI ? "demo-client" : "demo-server",
		       which, phase, 3, ret));
}

/* A segment seen leaving one end at us and arriving at the other 10 us later. */
static void seg_both(struct ev_list *l, __u64 us, bool from_client, __u64 sid, __u8 flags,
		     __u32 seq, __u32 ack, __u32 len)
{
	struct ep from = from_client ? CLI : SRV, to = from_client ? SRV : CLI;

	add(l, ev_seg(US(us), sid, from, to, TX, flags, seq, ack, len));
	add(l, ev_seg(US(us + 10), 0, to, from, RX, flags, seq, ack, len));
}

static void listener_up(struct ev_list *l)
{
	call(l, 0, SID_LISTENER, SRV, ANY, PID_SRV, SYN_CALL_LISTEN, ENTRY, 0);
	add(l, ev_state(US(1), SID_LISTENER, SRV, ANY, CLOSE, LISTEN));
	call(l, 2, SID_LISTENER, SRV, ANY, PID_SRV, SYN_CALL_LISTEN, RET, 0);
}

/* The handshake: connect() at 1000, SYN out at 1020 (in at 1030), SYN-ACK
 * out at 1040 (in at 1050), the client ESTABLISHED at 1060, its ACK out at
 * 1070 (in at 1080), the server's child SYN_RECV -> ESTABLISHED at 1100,
 * connect() returns at 1110. syn_ts: when the SYN left (a retransmission
 * test sends one before). */
static void handshake(struct ev_list *l, __u64 shift)
{
	call(l, 1000, SID_CLI, ANY, ANY, PID_CLI, SYN_CALL_CONNECT, ENTRY, 0);
	add(l, ev_state(US(1010), SID_CLI, CLI0, SRV, CLOSE, SYN_SENT));
	if (!shift)
		seg_both(l, 1020, true, SID_CLI, S_, 1000, 0, 0);
	seg_both(l, 1040 + shift, false, 0, S_ | A_, 5000, 1001, 0);
	add(l, ev_state(US(1060 + shift), SID_CLI, CLI, SRV, SYN_SENT, ESTABLISHED));
	seg_both(l, 1070 + shift, true, SID_CLI, A_, 1001, 5001, 0);
	add(l, ev_state(US(1090 + shift), SID_CHILD, SRV, CLI, LISTEN, SYN_RECV));
	add(l, ev_state(US(1100 + shift), SID_CHILD, SRV, CLI, SYN_RECV, ESTABLISHED));
	call(l, 1110 + shift, SID_CLI, CLI, SRV, PID_CLI, SYN_CALL_CONNECT, RET, 0);
}

/* A server that accepts late (accept() called at 6100, returns at 6110),
 * 100 bytes one way and 300 the other, the client closes first (FIN out at
 * 9020) and is left in TIME-WAIT; the server's FIN at 20020, the last ACK
 * (from the client's timewait socket) out at 20040, in at 20050. */
static void accept_late_close(struct ev_list *l)
{
	listener_up(l);
	handshake(l, 0);
	call(l, 6100, SID_LISTENER, SRV, ANY, PID_SRV, SYN_CALL_ACCEPT4, ENTRY, 0);
	call(l, 6110, SID_CHILD, SRV, CLI, PID_SRV, SYN_CALL_ACCEPT4, RET, 4);
	seg_both(l, 7000, true, SID_CLI, P_ | A_, 1001, 5001, 100);
	seg_both(l, 7020, false, SID_CHILD, A_, 5001, 1101, 0);
	seg_both(l, 8000, false, SID_CHILD, P_ | A_, 5001, 1101, 300);
	seg_both(l, 8020, true, SID_CLI, A_, 1101, 5301, 0);
	call(l, 9000, SID_CLI, CLI, SRV, PID_CLI, SYN_CALL_CLOSE, ENTRY, 0);
	add(l, ev_state(US(9010), SID_CLI, CLI, SRV, ESTABLISHED, FIN_WAIT1));
	seg_both(l, 9020, true, SID_CLI, F_ | A_, 1101, 5301, 0);
	add(l, ev_state(US(9040), SID_CHILD, SRV, CLI, ESTABLISHED, CLOSE_WAIT));
	call(l, 9050, SID_CLI, CLI, SRV, PID_CLI, SYN_CALL_CLOSE, RET, 0);
	seg_both(l, 9060, false, SID_CHILD, A_, 5301, 1102, 0);
	add(l, ev_state(US(9080), SID_CLI, CLI, SRV, FIN_WAIT1, FIN_WAIT2));
	add(l, ev_state(US(9090), SID_CLI, CLI0, SRV, FIN_WAIT2, CLOSE));
	add(l, ev_kind(SYN_EV_DESTROY, US(9100), SID_CLI, CLI0, SRV));
	call(l, 20000, SID_CHILD, SRV, CLI, PID_SRV, SYN_CALL_CLOSE, ENTRY, 0);
	add(l, ev_state(US(20010), SID_CHILD, SRV, CLI, CLOSE_WAIT, LAST_ACK));
	seg_both(l, 20020, false, SID_CHILD, F_ | A_, 5301, 1102, 0);
	seg_both(l, 20040, true, 0, A_, 1102, 5302, 0);
	add(l, ev_state(US(20060), SID_CHILD, SRV, CLI, LAST_ACK, CLOSE));
	add(l, ev_kind(SYN_EV_DESTROY, US(20070), SID_CHILD, SRV, CLI));
	call(l, 20080, SID_CHILD, SRV, CLI, PID_SRV, SYN_CALL_CLOSE, RET, 0);
}

/* The tracker fed a stream, a tick past it, into a sink that keeps the
 * finished connections (the selection o, or none). */
struct fed {
	struct keep_sink k;
	struct syn_sink *sinks[1];
	struct tracker *t;
};

static void feed(struct fed *r, const struct ev_list *l, const struct tracker_opts *o, bool end)
{
	struct syn_event tick;

	keep_init(&r->k);
	r->sinks[0] = &r->k.s;
	r->t = tracker_new(r->sinks, 1, o);
	for (size_t i = 0; i < l->n; i++)
		tracker_on_event(r->t, &l->v[i]);
	memset(&tick, 0, sizeof(tick));
	tick.kind = SYN_EV_TICK;
	tick.ts_ns = l->v[l->n - 1].ts_ns + TRACKER_GRACE_NS;
	tracker_on_event(r->t, &tick);
	if (end)
		tracker_finish(r->t);
}

static void fed_free(struct fed *r)
{
	tracker_free(r->t);
	keep_free(&r->k);
}

static void test_accept_late_client_closes(void)
{
	struct ev_list l = { .n = 0 };
	struct fed r;

	accept_late_close(&l);
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->syn_synack_ns, 30000);  /* SYN out 1020, SYN-ACK in 1050 */
		CHECK_EQ_INT(f->connect_ns, 110000);    /* connect() 1000 -> 1110 */
		CHECK(!f->connect_nonblocking);
		CHECK_EQ_INT(f->accept_ns, 5010000);    /* ESTABLISHED 1100 -> accept() 6110 */
		CHECK_EQ_INT(f->duration_ns, 19030000); /* first SYN 1020 -> last ACK in 20050 */
		/* client: SYN, ACK, 100 bytes, ACK, FIN, the timewait ACK */
		CHECK_EQ_INT(f->segs[0], 6);
		CHECK_EQ_INT(f->bytes[0], 100);
		/* server: SYN-ACK, ACK, 300 bytes, ACK of the FIN, FIN */
		CHECK_EQ_INT(f->segs[1], 5);
		CHECK_EQ_INT(f->bytes[1], 300);
		CHECK_EQ_INT(f->unshown[0] + f->unshown[1], 0);
		CHECK_EQ_INT(f->rtx[0] + f->rtx[1], 0);
		CHECK_EQ_INT(f->outcome, OUT_FIN);
		CHECK_EQ_INT(f->closed_first, 0);
		CHECK_EQ_INT(f->time_wait, 1);          /* the client's lane */
		CHECK_EQ_INT(facts_opening_ns(f), 5010000);
		CHECK_EQ_STR(facts_outcome_name(f->outcome), "fin");
	}
	CHECK_EQ_INT(r.k.summary.unshown, 0);
	fed_free(&r);
}

/* The same, but the kernel showed no program the server's delayed ACK of
 * the client's FIN leaving (sent from a timer at 9060): only its arrival at
 * 9070 is seen (docs/reliability.md). It still counts, once, for the server,
 * and the run says so. */
static void test_segment_seen_only_arriving(void)
{
	struct ev_list l = { .n = 0 };
	size_t j = 0;
	struct fed r;

	accept_late_close(&l);
	for (size_t i = 0; i < l.n; i++)
		if (!(l.v[i].kind == SYN_EV_SEGMENT && l.v[i].ts_ns == US(9060)))
			l.v[j++] = l.v[i];
	CHECK_EQ_INT(l.n - j, 1);
	l.n = j;
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		/* server: SYN-ACK, ACK, 300 bytes, the ACK seen arriving, FIN */
		CHECK_EQ_INT(f->segs[1], 5);
		CHECK_EQ_INT(f->unshown[1], 1);
		CHECK_EQ_INT(f->segs[0], 6);
		CHECK_EQ_INT(f->unshown[0], 0);
	}
	CHECK_EQ_INT(r.k.summary.unshown, 1);
	fed_free(&r);
}

/* The first SYN is dropped by a firewall in the server's namespace (the
 * server saw it arrive, then the kernel dropped it: NETFILTER_DROP, 3 in
 * this made-up numbering); the client resends it 1 s later (at 1001020).
 * Its SYN-ACK then arrives at 1001050: the connect latency counts from the
 * first SYN, as the caller waited. */
static void test_syn_dropped_once(void)
{
	struct ev_list l = { .n = 0 };
	struct syn_event d;
	struct fed r;

	listener_up(&l);
	call(&l, 1000, SID_CLI, ANY, ANY, PID_CLI, SYN_CALL_CONNECT, ENTRY, 0);
	add(&l, ev_state(US(1010), SID_CLI, CLI0, SRV, CLOSE, SYN_SENT));
	seg_both(&l, 1020, true, SID_CLI, S_, 1000, 0, 0);
	d = ev_kind(SYN_EV_DROP, US(1031), 0, SRV, CLI);
	d.drop.dir = RX;
	d.drop.flags = S_;
	d.drop.seq = 1000;
	d.drop.reason = 3;
	add(&l, d);
	add(&l, ev_kind(SYN_EV_RETRANSMIT, US(1001010), SID_CLI, CLI, SRV));
	seg_both(&l, 1001020, true, SID_CLI, S_, 1000, 0, 0);
	/* the handshake's other rows, a second (1000000 us) later than above */
	seg_both(&l, 1001040, false, 0, S_ | A_, 5000, 1001, 0);
	add(&l, ev_state(US(1001060), SID_CLI, CLI, SRV, SYN_SENT, ESTABLISHED));
	seg_both(&l, 1001070, true, SID_CLI, A_, 1001, 5001, 0);
	add(&l, ev_state(US(1001090), SID_CHILD, SRV, CLI, LISTEN, SYN_RECV));
	add(&l, ev_state(US(1001100), SID_CHILD, SRV, CLI, SYN_RECV, ESTABLISHED));
	call(&l, 1001110, SID_CLI, CLI, SRV, PID_CLI, SYN_CALL_CONNECT, RET, 0);
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->syn_synack_ns, 1000030000); /* 1020 -> 1001050 */
		CHECK_EQ_INT(f->connect_ns, 1000110000);    /* 1000 -> 1001110 */
		CHECK_EQ_INT(f->rtx[0], 1);
		CHECK_EQ_INT(f->kernel_rtx[0], 1);
		CHECK_EQ_INT(f->segs[0], 3);  /* SYN (dropped on arrival: it left), SYN, ACK */
		CHECK_EQ_INT(f->drops[0].reason, 3);
		CHECK_EQ_INT(f->drops[0].count, 1);
		CHECK_EQ_INT(f->outcome, OUT_OPEN); /* tracing stopped with both sockets open */
		CHECK_EQ_INT(f->closed_first, -1);
		CHECK_EQ_INT(f->time_wait, 0);
		CHECK_EQ_INT(f->duration_ns, 1000060000); /* first SYN 1020 -> ACK in at 1001080 */
	}
	fed_free(&r);
}

/* Nothing listens: the SYN is answered by an RST from the control socket,
 * NO_SOCKET (2 in this made-up numbering); connect() returns ECONNREFUSED. */
static void refused(struct ev_list *l)
{
	struct ep srv0 = { "127.0.0.1", 0 };
	struct syn_event e;

	call(l, 100, 7, ANY, ANY, PID_CLI, SYN_CALL_CONNECT, ENTRY, 0);
	add(l, ev_state(US(105), 7, CLI0, SRV, CLOSE, SYN_SENT));
	add(l, ev_seg(US(110), 7, CLI, SRV, TX, S_, 777, 0, 0));
	add(l, ev_seg(US(112), 0, SRV, CLI, RX, S_, 777, 0, 0));
	e = ev_kind(SYN_EV_RESET, US(115), 0, SRV, CLI);
	e.rst.kind = SYN_RESET_SENT;
	e.rst.reason = 2;
	add(l, e);
	add(l, ev_seg(US(117), 0, SRV, CLI, TX, R_ | A_, 0, 778, 0));
	add(l, ev_seg(US(118), 0, CLI, SRV, RX, R_ | A_, 0, 778, 0));
	e = ev_kind(SYN_EV_RESET, US(120), 7, CLI, SRV);
	e.rst.kind = SYN_RESET_RECEIVED;
	add(l, e);
	add(l, ev_state(US(121), 7, CLI0, SRV, SYN_SENT, CLOSE));
	call(l, 125, 7, ANY, srv0, PID_CLI, SYN_CALL_CONNECT, RET, -ECONNREFUSED);
	call(l, 200, 7, ANY, srv0, PID_CLI, SYN_CALL_CLOSE, ENTRY, 0);
	add(l, ev_kind(SYN_EV_DESTROY, US(201), 7, ANY, srv0));
	call(l, 205, 7, ANY, srv0, PID_CLI, SYN_CALL_CLOSE, RET, 0);
}

static void test_refused(void)
{
	struct ev_list l = { .n = 0 };
	struct fed r;

	refused(&l);
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->outcome, OUT_REFUSED);
		CHECK_EQ_INT(f->rst_lane, 1);
		CHECK_EQ_INT(f->rst_reason_lane, 1);
		CHECK_EQ_INT(f->rst_reason, 2);
		CHECK_EQ_INT(f->rsts[0].reason, 2);
		CHECK_EQ_INT(f->rsts[0].count, 1);
		CHECK_EQ_INT(f->rsts_peer, 0);       /* the sender is on this host: counted once */
		CHECK_EQ_INT(f->closed_first, 1);    /* its RST was the first closing segment */
		CHECK_EQ_INT(f->syn_synack_ns, -1);  /* never answered by a SYN-ACK */
		CHECK_EQ_INT(f->connect_ns, 25000);  /* 100 -> 125 */
		CHECK_EQ_INT(f->accept_ns, -1);
		CHECK_EQ_INT(f->segs[0], 1);
		CHECK_EQ_INT(f->segs[1], 1);
		CHECK_EQ_INT(f->err, -ECONNREFUSED);
		CHECK_EQ_INT(f->duration_ns, 8000);  /* SYN out 110 -> RST in 118 */
	}
	fed_free(&r);
}

/* The client closes with unread data: its kernel sends an RST (reason 5)
 * instead of a FIN. */
static void test_reset_by_client(void)
{
	struct ev_list l = { .n = 0 };
	struct syn_event e;
	struct fed r;

	listener_up(&l);
	handshake(&l, 0);
	call(&l, 1200, SID_LISTENER, SRV, ANY, PID_SRV, SYN_CALL_ACCEPT4, ENTRY, 0);
	call(&l, 1210, SID_CHILD, SRV, CLI, PID_SRV, SYN_CALL_ACCEPT4, RET, 4);
	seg_both(&l, 2000, false, SID_CHILD, P_ | A_, 5001, 1001, 50);
	call(&l, 3000, SID_CLI, CLI, SRV, PID_CLI, SYN_CALL_CLOSE, ENTRY, 0);
	e = ev_kind(SYN_EV_RESET, US(3010), SID_CLI, CLI, SRV);
	e.rst.kind = SYN_RESET_SENT;
	e.rst.reason = 5;
	e.rst.state = ESTABLISHED;
	add(&l, e);
	seg_both(&l, 3020, true, SID_CLI, R_ | A_, 1001, 5051, 0);
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->outcome, OUT_RST);
		CHECK_EQ_INT(f->rst_lane, 0);
		CHECK_EQ_INT(f->rst_reason, 5);
		CHECK_EQ_INT(f->closed_first, 0);
		CHECK_EQ_INT(f->accept_ns, 110000);  /* ESTABLISHED 1100 -> accept() 1210 */
		CHECK_EQ_INT(f->bytes[1], 50);
		CHECK_EQ_INT(f->segs[0], 3);         /* SYN, ACK, RST */
	}
	fed_free(&r);
}

/* A remote peer (only the client is on this host) that answers the SYN
 * 400 ms later; connect() without blocking (EINPROGRESS) waits in poll(). */
static void test_late_peer_nonblocking(void)
{
	struct ep cli = { "10.9.0.1", 50000 }, srv = { "10.9.0.2", 80 }, cli0 = { "10.9.0.1", 0 };
	struct ev_list l = { .n = 0 };
	struct fed r;

	call(&l, 0, 9, ANY, ANY, PID_CLI, SYN_CALL_CONNECT, ENTRY, 0);
	add(&l, ev_state(US(5), 9, cli0, srv, CLOSE, SYN_SENT));
	add(&l, ev_seg(US(10), 9, cli, srv, TX, S_, 1, 0, 0));
	add(&l, ev_call(US(20), 9, cli, srv, PID_CLI, "demo-client", SYN_CALL_CONNECT, RET, 3,
			-EINPROGRESS));
	add(&l, ev_seg(US(400010), 0, cli, srv, RX, S_ | A_, 900, 2, 0));
	add(&l, ev_state(US(400020), 9, cli, srv, SYN_SENT, ESTABLISHED));
	add(&l, ev_seg(US(400030), 9, cli, srv, TX, A_, 2, 901, 0));
	add(&l, ev_seg(US(500000), 0, cli, srv, RX, P_ | A_, 901, 2, 1000));
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->syn_synack_ns, 400000000); /* 10 -> 400010 */
		CHECK(f->connect_nonblocking);
		CHECK_EQ_INT(f->connect_ns, 400020000);    /* 0 -> ESTABLISHED at 400020 */
		CHECK_EQ_INT(f->segs[1], 2);               /* counted where they arrived */
		CHECK_EQ_INT(f->unshown[1], 0);            /* the peer is not on this host */
		CHECK_EQ_INT(f->bytes[1], 1000);
		CHECK_EQ_INT(f->segs[0], 2);
		CHECK_EQ_INT(f->outcome, OUT_OPEN);
	}
	fed_free(&r);
}

/* --slower, --rst, --comm choose which connections reach conn_done(); the
 * others are counted as not chosen. The late accept's opening is its accept
 * wait, 5.01 ms; the refused connection's opening is its connect(), 25 us. */
static void test_select(void)
{
	struct ev_list a = { .n = 0 }, b = { .n = 0 };
	struct tracker_opts o;
	struct fed r;

	accept_late_close(&a);
	refused(&b);
	for (size_t i = 0; i < b.n; i++) { /* after the first one, on another port */
		b.v[i].ts_ns += 1000000000ull;
		if (b.v[i].sport == 8080)
			b.v[i].sport = 9090;
		if (b.v[i].dport == 8080)
			b.v[i].dport = 9090;
		add(&a, b.v[i]);
	}

	memset(&o, 0, sizeof(o));
	o.select.slower_ns = 5000000;
	feed(&r, &a, &o, true);
	CHECK_EQ_INT(r.k.nconns, 1);
	CHECK_EQ_INT(tracker_summary(r.t)->unselected, 1);
	CHECK_EQ_INT(tracker_summary(r.t)->conns, 2);
	fed_free(&r);

	o.select.slower_ns = 5010000; /* exactly the slowest: at least that slow */
	feed(&r, &a, &o, true);
	CHECK_EQ_INT(r.k.nconns, 1);
	fed_free(&r);

	o.select.slower_ns = 5010001; /* 1 ns more than the slowest */
	feed(&r, &a, &o, true);
	CHECK_EQ_INT(r.k.nconns, 0);
	CHECK_EQ_INT(tracker_summary(r.t)->unselected, 2);
	fed_free(&r);

	memset(&o, 0, sizeof(o));
	o.select.rst_only = true;
	feed(&r, &a, &o, true);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK_EQ_INT(r.k.conns[0].facts->outcome, OUT_REFUSED);
	fed_free(&r);

	memset(&o, 0, sizeof(o));
	strcpy(o.select.comm, "demo-server"); /* the refused connection had no server process */
	feed(&r, &a, &o, true);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK_EQ_INT(r.k.conns[0].facts->outcome, OUT_FIN);
	fed_free(&r);
	strcpy(o.select.comm, "demo-client");
	feed(&r, &a, &o, true);
	CHECK_EQ_INT(r.k.nconns, 2);
	fed_free(&r);
	CHECK(conn_select_any(&o.select));
	memset(&o, 0, sizeof(o));
	CHECK(!conn_select_any(&o.select));
}

/* A connection handed over in many batches (a long one) adds up the same
 * as one handed over at once: 2000 data segments of 1000 bytes each way. */
static void test_batches_add_up(void)
{
	static struct syn_event ev[8200];
	struct ev_list l = { .n = 0 };
	struct tracker_opts o;
	struct fed r;
	size_t n;

	listener_up(&l);
	handshake(&l, 0);
	memcpy(ev, l.v, l.n * sizeof(ev[0]));
	n = l.n;
	for (int i = 0; i < 2000; i++) {
		__u64 t = US(2000 + (__u64)i * 100);
		__u32 cseq = 1001 + (__u32)i * 1000, sseq = 5001 + (__u32)i * 1000;

		ev[n++] = ev_seg(t, SID_CLI, CLI, SRV, TX, A_, cseq, sseq, 1000);
		ev[n++] = ev_seg(t + 10000, 0, SRV, CLI, RX, A_, cseq, sseq, 1000);
		ev[n++] = ev_seg(t + 50000, SID_CHILD, SRV, CLI, TX, A_, sseq, cseq + 1000, 1000);
		ev[n++] = ev_seg(t + 60000, 0, CLI, SRV, RX, A_, sseq, cseq + 1000, 1000);
	}
	memset(&o, 0, sizeof(o));
	keep_init(&r.k);
	r.sinks[0] = &r.k.s;
	r.t = tracker_new(r.sinks, 1, &o);
	for (size_t i = 0; i < n; i++)
		tracker_on_event(r.t, &ev[i]);
	tracker_finish(r.t);
	CHECK(r.k.batches > 1);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->segs[0], 2002);    /* SYN, ACK, 2000 data */
		CHECK_EQ_INT(f->segs[1], 2001);    /* SYN-ACK, 2000 data */
		CHECK_EQ_INT(f->bytes[0], 2000000);
		CHECK_EQ_INT(f->bytes[1], 2000000);
		CHECK_EQ_INT(f->syn_synack_ns, 30000);
		/* the last segment arrives at 2000 + 1999 * 100 + 60 us = 201960 */
		CHECK_EQ_INT(f->duration_ns, (201960 - 1020) * 1000);
	}
	fed_free(&r);
}

/* Both FINs are out (the server's at 20020), then an RST comes (20100):
 * it ended in order; the RST is counted, not its outcome. */
static void test_reset_after_both_fins(void)
{
	struct ev_list l = { .n = 0 };
	struct fed r;

	accept_late_close(&l);
	seg_both(&l, 20090, false, 0, R_, 5302, 0, 0);
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->outcome, OUT_FIN);
		CHECK_EQ_INT(f->rst_ts[1], US(20090));
		CHECK_EQ_INT(f->segs[1], 6);
		CHECK_EQ_INT(f->closed_first, 0);
	}
	fed_free(&r);
}

/* A client on another host gives up the handshake: the server (here)
 * answered the SYN, and an RST comes back instead of the ACK. Reset by the
 * client, not refused: the server did not refuse anything. */
static void test_remote_client_resets_handshake(void)
{
	struct ep cli = { "10.9.0.1", 50000 }, srv = { "10.9.0.2", 80 };
	struct ev_list l = { .n = 0 };
	struct fed r;

	add(&l, ev_seg(US(10), 0, srv, cli, RX, S_, 1, 0, 0));
	add(&l, ev_seg(US(20), 0, srv, cli, TX, S_ | A_, 900, 2, 0));
	add(&l, ev_seg(US(30000), 0, srv, cli, RX, R_, 2, 0, 0));
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->outcome, OUT_RST);
		CHECK_EQ_INT(f->rst_lane, 0);
		CHECK_EQ_INT(f->rsts_peer, 0); /* no reset event: the kernel reports none for it */
		CHECK_EQ_INT(f->segs[0], 2);   /* the SYN and the RST, counted where they arrived */
		CHECK_EQ_INT(f->syn_synack_ns, -1);
	}
	fed_free(&r);
}

/* A connecting socket without an answer: closed by its program before any
 * retransmission (ended, no timeout), or closed by the kernel after two
 * SYN retransmissions with no call to say so (its retries ran out: a
 * timeout). And a blocking connect() that returns ETIMEDOUT. */
static void test_unanswered_syn(void)
{
	struct ep cli = { "10.9.0.1", 50000 }, srv = { "10.9.0.2", 80 }, cli0 = { "10.9.0.1", 0 };
	struct ev_list l = { .n = 0 };
	struct fed r;

	add(&l, ev_state(US(5), 9, cli0, srv, CLOSE, SYN_SENT));
	add(&l, ev_seg(US(10), 9, cli, srv, TX, S_, 1, 0, 0));
	add(&l, ev_state(US(300000), 9, cli, srv, SYN_SENT, CLOSE));
	add(&l, ev_kind(SYN_EV_DESTROY, US(300010), 9, cli, srv));
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1))
		CHECK_EQ_INT(r.k.conns[0].facts->outcome, OUT_CLOSED);
	fed_free(&r);

	l.n = 2;
	add(&l, ev_kind(SYN_EV_RETRANSMIT, US(1000010), 9, cli, srv));
	add(&l, ev_seg(US(1000011), 9, cli, srv, TX, S_, 1, 0, 0));
	add(&l, ev_kind(SYN_EV_RETRANSMIT, US(3000010), 9, cli, srv));
	add(&l, ev_seg(US(3000011), 9, cli, srv, TX, S_, 1, 0, 0));
	add(&l, ev_state(US(7000000), 9, cli, srv, SYN_SENT, CLOSE));
	add(&l, ev_kind(SYN_EV_DESTROY, US(7000010), 9, cli, srv));
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->outcome, OUT_TIMEOUT);
		CHECK_EQ_INT(f->rtx[0], 2);
		CHECK_EQ_INT(f->kernel_rtx[0], 2);
		CHECK_EQ_INT(f->closed_first, -1);
	}
	fed_free(&r);

	l.n = 0;
	add(&l, ev_call(US(0), 9, ANY, ANY, PID_CLI, "demo-client", SYN_CALL_CONNECT, ENTRY, 3, 0));
	add(&l, ev_state(US(5), 9, cli0, srv, CLOSE, SYN_SENT));
	add(&l, ev_seg(US(10), 9, cli, srv, TX, S_, 1, 0, 0));
	add(&l, ev_state(US(7000000), 9, cli, srv, SYN_SENT, CLOSE));
	add(&l, ev_call(US(7000020), 9, cli, srv, PID_CLI, "demo-client", SYN_CALL_CONNECT, RET, 3,
			-ETIMEDOUT));
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		CHECK_EQ_INT(r.k.conns[0].facts->outcome, OUT_TIMEOUT);
		CHECK_EQ_INT(r.k.conns[0].facts->connect_ns, 7000020000);
	}
	fed_free(&r);
}

/* This host's qdisc drops the first SYN on its way out (a tx drop of the
 * same segment): it never left, so it is not counted, and the connect
 * latency runs from the SYN that did leave (its retransmission). */
static void test_syn_not_sent(void)
{
	struct ep cli = { "10.9.0.1", 50000 }, srv = { "10.9.0.2", 80 }, cli0 = { "10.9.0.1", 0 };
	struct ev_list l = { .n = 0 };
	struct syn_event d;
	struct fed r;

	add(&l, ev_state(US(5), 9, cli0, srv, CLOSE, SYN_SENT));
	add(&l, ev_seg(US(10), 9, cli, srv, TX, S_, 1, 0, 0));
	d = ev_kind(SYN_EV_DROP, US(12), 9, cli, srv);
	d.drop.dir = TX;
	d.drop.flags = S_;
	d.drop.seq = 1;
	d.drop.reason = 65; /* made up */
	add(&l, d);
	add(&l, ev_seg(US(1000010), 9, cli, srv, TX, S_, 1, 0, 0));
	add(&l, ev_seg(US(1000210), 0, cli, srv, RX, S_ | A_, 900, 2, 0));
	add(&l, ev_state(US(1000220), 9, cli, srv, SYN_SENT, ESTABLISHED));
	add(&l, ev_seg(US(1000230), 9, cli, srv, TX, A_, 2, 901, 0));
	feed(&r, &l, NULL, true);
	if (CHECK_EQ_INT(r.k.nconns, 1)) {
		const struct conn_facts *f = r.k.conns[0].facts;

		CHECK_EQ_INT(f->segs[0], 2);              /* the SYN that left, the ACK */
		CHECK_EQ_INT(f->syn_synack_ns, 200000);   /* 1000010 -> 1000210 */
		CHECK_EQ_INT(f->drops[0].reason, 65);
		CHECK_EQ_INT(f->duration_ns, 1000220000); /* any SYN seen: 10 -> 1000230 */
	}
	fed_free(&r);
}

/* A flood's half-open connections: a view that counts (every_conn) gets
 * each one, beside a drawing that gets the first HALFOPEN_DRAWN of the port
 * (the rest told in its summary). */
static void test_every_conn_beside_a_drawing(void)
{
	struct ep srv = { "10.9.0.2", 80 };
	struct keep_sink drawing, counting;
	struct syn_sink *sinks[2] = { &drawing.s, &counting.s };
	struct tracker *t;

	keep_init(&drawing);
	keep_init(&counting);
	counting.s.every_conn = true;
	t = tracker_new(sinks, 2, NULL);
	for (int i = 0; i < HALFOPEN_DRAWN + 2; i++) {
		struct ep cli = { "10.9.0.1", (__u16)(50000 + i) };
		struct syn_event e = ev_seg(US(100 * i), 0, srv, cli, RX, S_, 1, 0, 0);

		tracker_on_event(t, &e);
		e = ev_seg(US(100 * i + 10), 0, srv, cli, TX, S_ | A_, 900, 2, 0);
		tracker_on_event(t, &e);
	}
	tracker_finish(t);
	CHECK_EQ_INT(drawing.nconns, HALFOPEN_DRAWN);
	CHECK_EQ_INT(counting.nconns, HALFOPEN_DRAWN + 2);
	CHECK_EQ_INT(tracker_summary(t)->halfopen->counted, 2);
	tracker_free(t);
	keep_free(&drawing);
	keep_free(&counting);
}

int main(void)
{
	RUN(test_accept_late_client_closes);
	RUN(test_segment_seen_only_arriving);
	RUN(test_syn_dropped_once);
	RUN(test_refused);
	RUN(test_reset_by_client);
	RUN(test_late_peer_nonblocking);
	RUN(test_select);
	RUN(test_batches_add_up);
	RUN(test_reset_after_both_fins);
	RUN(test_remote_client_resets_handshake);
	RUN(test_unanswered_syn);
	RUN(test_syn_not_sent);
	RUN(test_every_conn_beside_a_drawing);
	return TEST_SUMMARY();
}
