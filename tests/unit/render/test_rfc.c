/* RFC-style sink: connections shaped like what the tracker made of real 6.18
 * traces, rendered and compared with figures written by hand after RFC 9293's
 * Figures 6 and 12 (client-close), 7 (simultaneous open) and 13
 * (simultaneous close): the same lines, states and control bits; our own
 * sequence numbers. Column rule (docs/rfc-style.md): number in 4 columns,
 * Peer A's state as wide as its longest name + 1 (at least 12), arrow and a
 * space, segments as wide as the longest + 2, arrow and a space, Peer B. */
#include <stdbool.h>
#include "fake_conn.h"
#include "test.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "render/explain.h"
#include <time.h>

static char *render(struct fake *f, bool color, bool relative)
{
	struct sink_opts o = { .color = color, .relative_seq = relative,
			       .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;

	capture_start(&cap, &o);
	struct syn_sink *s = rfc_sink_new(&o);
	fake_hand_over(s, f);
	s->destroy(s);
	return capture_end(&cap);
}

/* The user's close(): the last reference to the socket. */
static struct conn_row *user_close(struct fake *f, __u64 t_us, int end, int fd)
{
	struct conn_row *r = fake_sys(f, t_us, end, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, fd, 0, 0);

	r->ev.sys.last_ref = 1;
	return r;
}

/* The kernel's "-> CLOSE" when a timewait socket takes over: the tracker
 * leaves the lane where it was. */
static void handover(struct fake *f, __u64 t_us, int end, __u8 from)
{
	__u8 keep = f->st[end];
	struct conn_row *r = fake_state(f, t_us, end, from, ST_CLOSE, false);

	r->state_after[end] = f->st[end] = keep;
}

/* TIME-WAIT's end, 2MSL after it began, as the kernel reports it: the
 * timewait socket's timer fired (observed: drawn without *). */
static void msl_end(struct fake *f, __u64 tw_us, int end)
{
	struct conn_row *r;

	f->st[end] = ST_CLOSE;
	r = fake_row(f, tw_us + 60000000, end, SYN_EV_TIMEWAIT);
	r->ev.tw.substate = ST_TIME_WAIT;
	r->ev.tw.how = SYN_TW_TIMER;
}

/* A loopback handshake in the order the tracker gave it for tcpdemo's
 * client-close on 6.18: the server's inferred SYN_RECV at the SYN, the
 * kernel's LISTEN -> SYN_RECV -> ESTABLISHED at the last ACK. */
static void handshake(struct fake *f)
{
	struct conn_row *tx;

	fake_sys(f, 0, S, SYN_CALL_ACCEPT4, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_sys(f, 1518, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_state(f, 1529, C, ST_CLOSE, ST_SYN_SENT, false);
	tx = fake_seg_both(f, 1678, 1684, C, F_SYN, 1000, 0, 0, 65495);
	fake_syn_opts(tx, 65495, 10, 100, 0);
	fake_syn_opts(tx + 1, 65495, 10, 100, 0);
	fake_state(f, 1684, S, ST_LISTEN, ST_SYN_RECV, true);
	tx = fake_seg_both(f, 1726, 1729, S, F_SYN | F_ACK, 5000, 1001, 0, 65483);
	fake_syn_opts(tx, 65495, 10, 200, 100);
	fake_syn_opts(tx + 1, 65495, 10, 200, 100);
	fake_state(f, 1738, C, ST_SYN_SENT, ST_ESTABLISHED, false);
	fake_seg_both(f, 1742, 1743, C, F_ACK, 1001, 5001, 0, 64);
	fake_state(f, 1747, S, ST_LISTEN, ST_SYN_RECV, false);
	fake_state(f, 1752, S, ST_SYN_RECV, ST_ESTABLISHED, false);
	fake_sys(f, 1765, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);
	fake_sys(f, 1796, S, SYN_CALL_ACCEPT4, SYN_PHASE_RETURN, 3, 0, 4);
}

/* tcpdemo pair --scenario client-close: hello/world, the client close()s
 * first (its orphaned FIN_WAIT2 socket is handed over before the server's
 * FIN), the server closes 200 ms later from another thread. */
static void fake_client_close(struct fake *f)
{
	struct conn_row *r;

	fake_init(f, 1, AF_INET, "127.0.0.1", 41234, 1234, "demo-client",
		  "127.0.0.1", 8080, 1233, "demo-server");
	f->st[C] = ST_CLOSE;
	f->st[S] = ST_LISTEN;
	handshake(f);
	fake_seg_both(f, 1775, 1776, C, F_PSH | F_ACK, 1001, 5001, 6, 64);
	fake_seg_both(f, 1781, 1782, S, F_ACK, 5001, 1007, 0, 64);
	fake_seg_both(f, 1931, 1938, S, F_PSH | F_ACK, 5001, 1007, 6, 64);
	fake_seg_both(f, 1946, 1947, C, F_ACK, 1007, 5007, 0, 64);
	user_close(f, 1961, C, 3);
	fake_state(f, 1963, C, ST_ESTABLISHED, ST_FIN_WAIT1, false);
	fake_seg_both(f, 1965, 1967, C, F_FIN | F_ACK, 1007, 5007, 0, 64);
	fake_state(f, 1970, S, ST_ESTABLISHED, ST_CLOSE_WAIT, false);
	fake_sys(f, 1976, C, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0, 0);
	fake_seg_both(f, 43283, 43290, S, F_ACK, 5007, 1008, 0, 64);
	fake_state(f, 43317, C, ST_FIN_WAIT1, ST_FIN_WAIT2, false);
	handover(f, 43324, C, ST_FIN_WAIT2);
	fake_row(f, 43330, C, SYN_EV_DESTROY);
	r = user_close(f, 202381, S, 4);
	fake_caller(r, 1235, "demo-server");
	fake_state(f, 202493, S, ST_CLOSE_WAIT, ST_LAST_ACK, false);
	fake_seg_both(f, 202506, 202514, S, F_FIN | F_ACK, 5007, 1008, 0, 64);
	fake_state(f, 202514, C, ST_FIN_WAIT2, ST_TIME_WAIT, true);
	fake_seg_both(f, 202546, 202548, C, F_ACK, 1008, 5008, 0, 64);
	fake_state(f, 202572, S, ST_LAST_ACK, ST_CLOSE, false);
	fake_row(f, 202576, S, SYN_EV_DESTROY);
	fake_sys(f, 202593, S, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 4, 0, 0);
	msl_end(f, 202514, C);
	f->c.end[C].destroyed = f->c.end[S].destroyed = true;
}

#define CLIENT_CLOSE_HEAD							\
	"connection 1: started 2026-11-23 11:21:37.123456 UTC, complete\n"	\
	"  TCP Peer A: 127.0.0.1:41234 demo-client/1234\n"			\
	"  TCP Peer B: 127.0.0.1:8080 demo-server/1233\n"			\
	"\n"

/* Lines 1-5 are Figure 6 (the handshake, then data), lines 8-13 Figure 12
 * (the normal close, from both peers ESTABLISHED). */
static const char client_close_want[] =
	CLIENT_CLOSE_HEAD
	"    TCP Peer A                                                   TCP Peer B\n"
	"\n"
	"1.  CLOSED                                                       LISTEN\n"
	"\n"
	"2.  SYN-SENT    --> <SEQ=1000><CTL=SYN>                      --> SYN-RECEIVED*\n"
	"\n"
	"3.  ESTABLISHED <-- <SEQ=5000><ACK=1001><CTL=SYN,ACK>        <-- SYN-RECEIVED*\n"
	"\n"
	"4.  ESTABLISHED --> <SEQ=1001><ACK=5001><CTL=ACK>            --> ESTABLISHED\n"
	"\n"
	"5.  ESTABLISHED --> <SEQ=1001><ACK=5001><CTL=PSH,ACK><DATA>  --> ESTABLISHED\n"
	"\n"
	"6.  ESTABLISHED <-- <SEQ=5001><ACK=1007><CTL=ACK>            <-- ESTABLISHED\n"
	"\n"
	"7.  ESTABLISHED <-- <SEQ=5001><ACK=1007><CTL=PSH,ACK><DATA>  <-- ESTABLISHED\n"
	"\n"
	"8.  ESTABLISHED --> <SEQ=1007><ACK=5007><CTL=ACK>            --> ESTABLISHED\n"
	"\n"
	"9.  (Close)\n"
	"    FIN-WAIT-1  --> <SEQ=1007><ACK=5007><CTL=FIN,ACK>        --> CLOSE-WAIT\n"
	"\n"
	"10. FIN-WAIT-2  <-- <SEQ=5007><ACK=1008><CTL=ACK>            <-- CLOSE-WAIT\n"
	"\n"
	"11.                                                              (Close)\n"
	"    TIME-WAIT*  <-- <SEQ=5007><ACK=1008><CTL=FIN,ACK>        <-- LAST-ACK\n"
	"\n"
	"12. TIME-WAIT*  --> <SEQ=1008><ACK=5008><CTL=ACK>            --> CLOSED\n"
	"\n"
	"13. (2 MSL)\n"
	"    CLOSED\n"
	"\n"
	"    * inferred: Linux does not report this state at this step (docs/rfc-style.md)\n"
	"\n";

static void test_figures_6_and_12(void)
{
	struct fake f;

	fake_client_close(&f);
	char *out = render(&f, false, false);
	CHECK_EQ_STR(out, client_close_want);
	CHECK(!strstr(out, "5eed")); /* sock_id never printed */
	free(out);
}

/* --relative-seq: each peer's numbers from its own SYN. */
static void test_relative_seq(void)
{
	struct fake f;

	fake_client_close(&f);
	char *out = render(&f, false, true);
	CHECK_EQ_STR(out,
		CLIENT_CLOSE_HEAD
		"    TCP Peer A                                             TCP Peer B\n"
		"\n"
		"1.  CLOSED                                                 LISTEN\n"
		"\n"
		"2.  SYN-SENT    --> <SEQ=0><CTL=SYN>                   --> SYN-RECEIVED*\n"
		"\n"
		"3.  ESTABLISHED <-- <SEQ=0><ACK=1><CTL=SYN,ACK>        <-- SYN-RECEIVED*\n"
		"\n"
		"4.  ESTABLISHED --> <SEQ=1><ACK=1><CTL=ACK>            --> ESTABLISHED\n"
		"\n"
		"5.  ESTABLISHED --> <SEQ=1><ACK=1><CTL=PSH,ACK><DATA>  --> ESTABLISHED\n"
		"\n"
		"6.  ESTABLISHED <-- <SEQ=1><ACK=7><CTL=ACK>            <-- ESTABLISHED\n"
		"\n"
		"7.  ESTABLISHED <-- <SEQ=1><ACK=7><CTL=PSH,ACK><DATA>  <-- ESTABLISHED\n"
		"\n"
		"8.  ESTABLISHED --> <SEQ=7><ACK=7><CTL=ACK>            --> ESTABLISHED\n"
		"\n"
		"9.  (Close)\n"
		"    FIN-WAIT-1  --> <SEQ=7><ACK=7><CTL=FIN,ACK>        --> CLOSE-WAIT\n"
		"\n"
		"10. FIN-WAIT-2  <-- <SEQ=7><ACK=8><CTL=ACK>            <-- CLOSE-WAIT\n"
		"\n"
		"11.                                                        (Close)\n"
		"    TIME-WAIT*  <-- <SEQ=7><ACK=8><CTL=FIN,ACK>        <-- LAST-ACK\n"
		"\n"
		"12. TIME-WAIT*  --> <SEQ=8><ACK=8><CTL=ACK>            --> CLOSED\n"
		"\n"
		"13. (2 MSL)\n"
		"    CLOSED\n"
		"\n"
		"    * inferred: Linux does not report this state at this step (docs/rfc-style.md)\n"
		"\n");
	free(out);
}

/* Colour marks segments and moves nothing. */
static void test_colour_keeps_layout(void)
{
	struct fake f;

	fake_client_close(&f);
	char *plain = render(&f, false, false), *color = render(&f, true, false);
	CHECK(!has_escape(plain));
	CHECK_CONTAINS(color, "\033[32m<SEQ=1000><CTL=SYN>\033[0m");
	CHECK_CONTAINS(color, "\033[33m<SEQ=1007><ACK=5007><CTL=FIN,ACK>\033[0m");
	/* without its escape codes, the coloured text is the plain one */
	char *w = color;
	for (const char *p = color; *p;) {
		if (p[0] == '\033' && p[1] == '[') {
			p += strcspn(p, "m");
			p += *p ? 1 : 0;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	CHECK_EQ_STR(color, plain);
	free(plain);
	free(color);
}

/*
 * Simultaneous open and close between two processes that connect() to each
 * other on loopback, in the order the tracker gave it for a real 6.18 trace:
 * Peer B's SYN leaves first; each peer goes SYN_SENT -> SYN_RECV on the
 * other's bare SYN and answers SYN,ACK with its own ISN again (which the
 * tracker marks as a retransmission); ESTABLISHED on the other's SYN,ACK,
 * then each ACKs it. Both close() together: FIN,ACKs cross, each ACKs the
 * other's FIN and only then reports CLOSING, both ACKs cross.
 */
static void fake_simultaneous(struct fake *f)
{
	struct conn_row *tx[2], *rx[2];

	fake_init(f, 1, AF_INET, "127.0.0.1", 21352, 301, "python3",
		  "127.0.0.2", 21353, 302, "python3");
	f->st[C] = f->st[S] = ST_CLOSE;
	fake_sys(f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_sys(f, 1, S, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_state(f, 17, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_state(f, 18, S, ST_CLOSE, ST_SYN_SENT, false);
	tx[S] = fake_seg(f, 37, S, SYN_DIR_TX, F_SYN, 5000, 0, 0, 65495);
	tx[C] = fake_seg(f, 38, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 65495);
	rx[S] = fake_seg(f, 46, S, SYN_DIR_RX, F_SYN, 1000, 0, 0, 65495);
	rx[C] = fake_seg(f, 47, C, SYN_DIR_RX, F_SYN, 5000, 0, 0, 65495);
	fake_pair(f, tx[C], rx[S]);
	fake_pair(f, tx[S], rx[C]);
	fake_state(f, 56, C, ST_SYN_SENT, ST_SYN_RECV, false);
	fake_state(f, 57, S, ST_SYN_SENT, ST_SYN_RECV, false);
	tx[C] = fake_seg(f, 60, C, SYN_DIR_TX, F_SYN | F_ACK, 1000, 5001, 0, 65495);
	tx[S] = fake_seg(f, 61, S, SYN_DIR_TX, F_SYN | F_ACK, 5000, 1001, 0, 65495);
	rx[S] = fake_seg(f, 62, S, SYN_DIR_RX, F_SYN | F_ACK, 1000, 5001, 0, 65495);
	rx[C] = fake_seg(f, 63, C, SYN_DIR_RX, F_SYN | F_ACK, 5000, 1001, 0, 65495);
	fake_pair(f, tx[C], rx[S]);
	fake_pair(f, tx[S], rx[C]);
	tx[C]->marks = tx[S]->marks = rx[C]->marks = rx[S]->marks = ROW_RETRANSMIT;
	fake_state(f, 71, S, ST_SYN_RECV, ST_ESTABLISHED, false);
	fake_state(f, 72, C, ST_SYN_RECV, ST_ESTABLISHED, false);
	tx[C] = fake_seg(f, 75, C, SYN_DIR_TX, F_ACK, 1001, 5001, 0, 64);
	tx[S] = fake_seg(f, 76, S, SYN_DIR_TX, F_ACK, 5001, 1001, 0, 64);
	rx[C] = fake_seg(f, 77, C, SYN_DIR_RX, F_ACK, 5001, 1001, 0, 64);
	rx[S] = fake_seg(f, 78, S, SYN_DIR_RX, F_ACK, 1001, 5001, 0, 64);
	fake_pair(f, tx[C], rx[S]);
	fake_pair(f, tx[S], rx[C]);
	fake_sys(f, 82, S, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);
	fake_sys(f, 83, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);

	user_close(f, 200006, C, 3);
	user_close(f, 200012, S, 3);
	fake_state(f, 200020, S, ST_ESTABLISHED, ST_FIN_WAIT1, false);
	fake_state(f, 200021, C, ST_ESTABLISHED, ST_FIN_WAIT1, false);
	tx[C] = fake_seg(f, 200034, C, SYN_DIR_TX, F_FIN | F_ACK, 1001, 5001, 0, 64);
	tx[S] = fake_seg(f, 200035, S, SYN_DIR_TX, F_FIN | F_ACK, 5001, 1001, 0, 64);
	rx[S] = fake_seg(f, 200044, S, SYN_DIR_RX, F_FIN | F_ACK, 1001, 5001, 0, 64);
	rx[C] = fake_seg(f, 200045, C, SYN_DIR_RX, F_FIN | F_ACK, 5001, 1001, 0, 64);
	fake_pair(f, tx[C], rx[S]);
	fake_pair(f, tx[S], rx[C]);
	tx[C] = fake_seg(f, 200061, C, SYN_DIR_TX, F_ACK, 1002, 5002, 0, 64);
	tx[S] = fake_seg(f, 200062, S, SYN_DIR_TX, F_ACK, 5002, 1002, 0, 64);
	rx[S] = fake_seg(f, 200063, S, SYN_DIR_RX, F_ACK, 1002, 5002, 0, 64);
	rx[C] = fake_seg(f, 200064, C, SYN_DIR_RX, F_ACK, 5002, 1002, 0, 64);
	fake_pair(f, tx[C], rx[S]);
	fake_pair(f, tx[S], rx[C]);
	fake_state(f, 200066, C, ST_FIN_WAIT1, ST_CLOSING, false);
	fake_state(f, 200067, S, ST_FIN_WAIT1, ST_CLOSING, false);
	fake_state(f, 200076, S, ST_CLOSING, ST_TIME_WAIT, true);
	handover(f, 200076, S, ST_CLOSING);
	fake_state(f, 200077, C, ST_CLOSING, ST_TIME_WAIT, true);
	handover(f, 200077, C, ST_CLOSING);
	fake_row(f, 200080, S, SYN_EV_DESTROY);
	fake_row(f, 200081, C, SYN_EV_DESTROY);
	fake_sys(f, 200099, C, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0, 0);
	fake_sys(f, 200100, S, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0, 0);
	msl_end(f, 200076, S);
	msl_end(f, 200077, C);
	f->c.end[C].destroyed = f->c.end[S].destroyed = true;
}

#define SIMULTANEOUS_HEAD							\
	"connection 1: started 2026-11-23 11:21:37.123456 UTC, complete\n"	\
	"  TCP Peer A: 127.0.0.1:21352 python3/301\n"				\
	"  TCP Peer B: 127.0.0.2:21353 python3/302\n"				\
	"\n"

/* Figure 7 down to its line 7, which also ends the handshake here; the
 * crossing ACKs, the FINs and the ACKs of the FINs drawn as Figure 13 draws
 * crossing segments. */
static const char figure7_lines[] =
	"    TCP Peer A                                              TCP Peer B\n"
	"\n"
	"1.  CLOSED                                                  CLOSED\n"
	"\n"
	"2.  SYN-SENT     --> <SEQ=1000><CTL=SYN>                ...\n"
	"\n"
	"3.  SYN-RECEIVED <-- <SEQ=5000><CTL=SYN>                <-- SYN-SENT\n"
	"\n"
	"4.               ... <SEQ=1000><CTL=SYN>                --> SYN-RECEIVED\n"
	"\n"
	"5.  SYN-RECEIVED --> <SEQ=1000><ACK=5001><CTL=SYN,ACK>  ...\n"
	"\n"
	"6.  ESTABLISHED  <-- <SEQ=5000><ACK=1001><CTL=SYN,ACK>  <-- SYN-RECEIVED\n"
	"\n"
	"7.               ... <SEQ=1000><ACK=5001><CTL=SYN,ACK>  --> ESTABLISHED\n";

static void test_figure_7_and_crossings(void)
{
	struct fake f;

	fake_simultaneous(&f);
	char *out = render(&f, false, false);
	CHECK_EQ_STR(out,
		SIMULTANEOUS_HEAD
		"    TCP Peer A                                              TCP Peer B\n"
		"\n"
		"1.  CLOSED                                                  CLOSED\n"
		"\n"
		"2.  SYN-SENT     --> <SEQ=1000><CTL=SYN>                ...\n"
		"\n"
		"3.  SYN-RECEIVED <-- <SEQ=5000><CTL=SYN>                <-- SYN-SENT\n"
		"\n"
		"4.               ... <SEQ=1000><CTL=SYN>                --> SYN-RECEIVED\n"
		"\n"
		"5.  SYN-RECEIVED --> <SEQ=1000><ACK=5001><CTL=SYN,ACK>  ...\n"
		"\n"
		"6.  ESTABLISHED  <-- <SEQ=5000><ACK=1001><CTL=SYN,ACK>  <-- SYN-RECEIVED\n"
		"\n"
		"7.               ... <SEQ=1000><ACK=5001><CTL=SYN,ACK>  --> ESTABLISHED\n"
		"\n"
		"8.  ESTABLISHED  --> <SEQ=1001><ACK=5001><CTL=ACK>      ... ESTABLISHED\n"
		"                 <-- <SEQ=5001><ACK=1001><CTL=ACK>      <--\n"
		"                 ... <SEQ=1001><ACK=5001><CTL=ACK>      -->\n"
		"\n"
		"9.  (Close)                                                 (Close)\n"
		"    FIN-WAIT-1   --> <SEQ=1001><ACK=5001><CTL=FIN,ACK>  ... FIN-WAIT-1\n"
		"                 <-- <SEQ=5001><ACK=1001><CTL=FIN,ACK>  <--\n"
		"                 ... <SEQ=1001><ACK=5001><CTL=FIN,ACK>  -->\n"
		"\n"
		"10. CLOSING      --> <SEQ=1002><ACK=5002><CTL=ACK>      ... CLOSING\n"
		"                 <-- <SEQ=5002><ACK=1002><CTL=ACK>      <--\n"
		"                 ... <SEQ=1002><ACK=5002><CTL=ACK>      -->\n"
		"\n"
		"11. TIME-WAIT*                                              TIME-WAIT*\n"
		"    (2 MSL)                                                 (2 MSL)\n"
		"    CLOSED                                                  CLOSED\n"
		"\n"
		"    * inferred: Linux does not report this state at this step (docs/rfc-style.md)\n"
		"\n");
	free(out);
}

/*
 * Another real simultaneous open, where each peer's device handed up the
 * other's SYN while that peer was still sending its own (the socket busy in
 * connect()), and B's device saw A's SYN,ACK before B sent its own: the
 * state changes show TCP processed them later. Still Figure 7; the ACKs,
 * which did not cross, follow on lines of their own.
 */
static void test_figure_7_from_device_order(void)
{
	struct fake f;
	struct conn_row *tx;

	fake_init(&f, 1, AF_INET, "127.0.0.1", 21352, 301, "python3",
		  "127.0.0.2", 21353, 302, "python3");
	f.st[C] = f.st[S] = ST_CLOSE;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_sys(&f, 6, S, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_state(&f, 14, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_state(&f, 22, S, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg_both(&f, 31, 32, C, F_SYN, 1000, 0, 0, 65495);
	fake_seg_both(&f, 40, 41, S, F_SYN, 5000, 0, 0, 65495);
	fake_state(&f, 56, C, ST_SYN_SENT, ST_SYN_RECV, false);
	tx = fake_seg_both(&f, 60, 61, C, F_SYN | F_ACK, 1000, 5001, 0, 65495);
	tx->marks = tx[1].marks = ROW_RETRANSMIT;
	fake_state(&f, 66, S, ST_SYN_SENT, ST_SYN_RECV, false);
	tx = fake_seg_both(&f, 68, 69, S, F_SYN | F_ACK, 5000, 1001, 0, 65495);
	tx->marks = tx[1].marks = ROW_RETRANSMIT;
	fake_state(&f, 76, C, ST_SYN_RECV, ST_ESTABLISHED, false);
	fake_seg_both(&f, 88, 89, C, F_ACK, 1001, 5001, 0, 64);
	fake_state(&f, 94, S, ST_SYN_RECV, ST_ESTABLISHED, false);
	fake_seg_both(&f, 97, 98, S, F_ACK, 5001, 1001, 0, 64);
	fake_sys(&f, 101, S, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);
	fake_sys(&f, 1602, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);
	f.c.complete = false;

	char *out = render(&f, false, false);
	CHECK_CONTAINS(out, figure7_lines);
	CHECK_CONTAINS(out,
		"7.               ... <SEQ=1000><ACK=5001><CTL=SYN,ACK>  --> ESTABLISHED\n"
		"\n"
		"8.  ESTABLISHED  --> <SEQ=1001><ACK=5001><CTL=ACK>      --> ESTABLISHED\n"
		"\n"
		"9.  ESTABLISHED  <-- <SEQ=5001><ACK=1001><CTL=ACK>      <-- ESTABLISHED\n"
		"\n");
	CHECK_CONTAINS(out, "started 2026-11-23 11:21:37.123456 UTC, "
			    "INCOMPLETE: still open when tracing stopped\n");
	free(out);
}

/*
 * Client and server close() at once after a loopback handshake, in the order
 * of a real 6.18 trace: B's FIN leaves first; B's device sees A's ACK of its
 * FIN before B sends its own ACK, and B reports CLOSING only after that.
 */
static void test_figure_13(void)
{
	struct fake f;
	struct conn_row *tx[2], *rx[2];

	fake_init(&f, 1, AF_INET, "127.0.0.1", 41234, 1234, "demo-client",
		  "127.0.0.1", 8080, 1233, "demo-server");
	f.st[C] = ST_CLOSE;
	f.st[S] = ST_LISTEN;
	handshake(&f);
	user_close(&f, 200025, C, 3);
	user_close(&f, 200025, S, 4);
	fake_state(&f, 200039, C, ST_ESTABLISHED, ST_FIN_WAIT1, false);
	fake_state(&f, 200040, S, ST_ESTABLISHED, ST_FIN_WAIT1, false);
	tx[S] = fake_seg(&f, 200055, S, SYN_DIR_TX, F_FIN | F_ACK, 5001, 1001, 0, 64);
	tx[C] = fake_seg(&f, 200055, C, SYN_DIR_TX, F_FIN | F_ACK, 1001, 5001, 0, 64);
	rx[C] = fake_seg(&f, 200063, C, SYN_DIR_RX, F_FIN | F_ACK, 5001, 1001, 0, 64);
	rx[S] = fake_seg(&f, 200064, S, SYN_DIR_RX, F_FIN | F_ACK, 1001, 5001, 0, 64);
	fake_pair(&f, tx[C], rx[S]);
	fake_pair(&f, tx[S], rx[C]);
	tx[C] = fake_seg(&f, 200081, C, SYN_DIR_TX, F_ACK, 1002, 5002, 0, 64);
	rx[S] = fake_seg(&f, 200083, S, SYN_DIR_RX, F_ACK, 1002, 5002, 0, 64);
	tx[S] = fake_seg(&f, 200084, S, SYN_DIR_TX, F_ACK, 5002, 1002, 0, 64);
	fake_state(&f, 200085, C, ST_FIN_WAIT1, ST_CLOSING, false);
	rx[C] = fake_seg(&f, 200086, C, SYN_DIR_RX, F_ACK, 5002, 1002, 0, 64);
	fake_pair(&f, tx[C], rx[S]);
	fake_pair(&f, tx[S], rx[C]);
	fake_state(&f, 200096, C, ST_CLOSING, ST_TIME_WAIT, true);
	handover(&f, 200096, C, ST_CLOSING);
	fake_sys(&f, 200101, C, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0, 0);
	fake_state(&f, 200114, S, ST_FIN_WAIT1, ST_CLOSING, false);
	fake_state(&f, 200120, S, ST_CLOSING, ST_TIME_WAIT, true);
	handover(&f, 200120, S, ST_CLOSING);
	fake_sys(&f, 200133, S, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 4, 0, 0);
	/* the trace ended in TIME-WAIT: both ends are the figure's, expected */
	f.c.end[C].state = f.c.end[S].state = ST_TIME_WAIT;
	f.c.end[C].tw_since = FAKE_T0_NS + 200096 * 1000ull;
	f.c.end[S].tw_since = FAKE_T0_NS + 200120 * 1000ull;

	char *out = render(&f, false, false);
	CHECK_EQ_STR(out,
		CLIENT_CLOSE_HEAD
		"    TCP Peer A                                             TCP Peer B\n"
		"\n"
		"1.  CLOSED                                                 LISTEN\n"
		"\n"
		"2.  SYN-SENT    --> <SEQ=1000><CTL=SYN>                --> SYN-RECEIVED*\n"
		"\n"
		"3.  ESTABLISHED <-- <SEQ=5000><ACK=1001><CTL=SYN,ACK>  <-- SYN-RECEIVED*\n"
		"\n"
		"4.  ESTABLISHED --> <SEQ=1001><ACK=5001><CTL=ACK>      --> ESTABLISHED\n"
		"\n"
		"5.  (Close)                                                (Close)\n"
		"    FIN-WAIT-1  --> <SEQ=1001><ACK=5001><CTL=FIN,ACK>  ... FIN-WAIT-1\n"
		"                <-- <SEQ=5001><ACK=1001><CTL=FIN,ACK>  <--\n"
		"                ... <SEQ=1001><ACK=5001><CTL=FIN,ACK>  -->\n"
		"\n"
		"6.  CLOSING     --> <SEQ=1002><ACK=5002><CTL=ACK>      ... CLOSING\n"
		"                <-- <SEQ=5002><ACK=1002><CTL=ACK>      <--\n"
		"                ... <SEQ=1002><ACK=5002><CTL=ACK>      -->\n"
		"\n"
		"7.  TIME-WAIT*                                             TIME-WAIT*\n"
		"    (2 MSL)                                                (2 MSL)\n"
		"    CLOSED*                                                CLOSED*\n"
		"\n"
		"    * inferred: Linux does not report this state at this step (docs/rfc-style.md)\n"
		"    (2 MSL) CLOSED*: expected; the trace ended before TIME-WAIT did\n"
		"\n");
	free(out);
}

/* A client refused by a host synscope does not see: that peer's states are
 * not known, its segments arrive from nowhere traced. */
static void test_remote_peer(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 2, AF_INET, "10.0.0.1", 50000, 77, "curl", "10.0.0.2", 81, 0, "");
	f.c.end[S].traced = false;
	f.st[C] = ST_CLOSE;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);
	fake_state(&f, 3, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg(&f, 6, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64240);
	fake_seg(&f, 250, C, SYN_DIR_RX, F_RST | F_ACK, 0, 1001, 0, 0);
	r = fake_row(&f, 251, C, SYN_EV_RESET);
	r->ev.rst.kind = SYN_RESET_RECEIVED;
	r->ev.rst.state = ST_SYN_SENT;
	fake_state(&f, 252, C, ST_SYN_SENT, ST_CLOSE, false);
	fake_sys(&f, 260, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -111);
	fake_row(&f, 270, C, SYN_EV_DESTROY);

	char *out = render(&f, false, false);
	CHECK_EQ_STR(out,
		"connection 2: started 2026-11-23 11:21:37.123456 UTC, complete\n"
		"  TCP Peer A: 10.0.0.1:50000 curl/77\n"
		"  TCP Peer B: 10.0.0.2:81 (remote)\n"
		"\n"
		"    TCP Peer A                                          TCP Peer B\n"
		"\n"
		"1.  CLOSED\n"
		"\n"
		"2.  SYN-SENT    --> <SEQ=1000><CTL=SYN>             -->\n"
		"\n"
		"3.  CLOSED      <-- <SEQ=0><ACK=1001><CTL=RST,ACK>  <--\n"
		"\n");
	free(out);
}

/* A SYN that never reached the listening peer stays in flight; only the
 * first close call of a lane is (Close): shutdown(SHUT_WR) here, not the
 * close() after it, nor a close() that leaves another descriptor open. */
static void test_lost_segment_and_close_calls(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 3, AF_INET, "127.0.0.1", 40000, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	f.st[C] = ST_CLOSE;
	f.st[S] = ST_LISTEN;
	fake_state(&f, 0, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg(&f, 1, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 65495);        /* dropped */
	fake_seg_both(&f, 1000001, 1000002, C, F_SYN, 1000, 0, 0, 65495); /* again */
	f.rows[f.c.nrows - 2].marks = f.rows[f.c.nrows - 1].marks = ROW_RETRANSMIT;
	fake_state(&f, 1000002, S, ST_LISTEN, ST_SYN_RECV, true);
	fake_seg_both(&f, 1000010, 1000011, S, F_SYN | F_ACK, 5000, 1001, 0, 65483);
	fake_state(&f, 1000012, C, ST_SYN_SENT, ST_ESTABLISHED, false);
	fake_seg_both(&f, 1000013, 1000014, C, F_ACK, 1001, 5001, 0, 64);
	fake_state(&f, 1000015, S, ST_SYN_RECV, ST_ESTABLISHED, false);
	r = fake_sys(&f, 1000100, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 5, 0, 0); /* a dup'ed fd */
	r->ev.sys.last_ref = 0;
	fake_sys(&f, 1000200, C, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 3, 0, 0);  /* SHUT_RD */
	fake_sys(&f, 1000300, C, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 3, 1, 0);  /* SHUT_WR */
	fake_state(&f, 1000301, C, ST_ESTABLISHED, ST_FIN_WAIT1, false);
	fake_seg_both(&f, 1000302, 1000303, C, F_FIN | F_ACK, 1001, 5001, 0, 64);
	fake_state(&f, 1000304, S, ST_ESTABLISHED, ST_CLOSE_WAIT, false);
	user_close(&f, 1000400, C, 3);
	f.c.complete = false;

	char *out = render(&f, false, true);
	CHECK_CONTAINS(out,
		"1.  CLOSED                                           LISTEN\n"
		"\n"
		"2.  SYN-SENT    --> <SEQ=0><CTL=SYN>             ...\n"
		"\n"
		"3.  SYN-SENT    --> <SEQ=0><CTL=SYN>             --> SYN-RECEIVED*\n"
		"\n"
		"4.  ESTABLISHED <-- <SEQ=0><ACK=1><CTL=SYN,ACK>  <-- SYN-RECEIVED*\n"
		"\n"
		"5.  ESTABLISHED --> <SEQ=1><ACK=1><CTL=ACK>      --> ESTABLISHED\n"
		"\n"
		"6.  (Close)\n"
		"    FIN-WAIT-1  --> <SEQ=1><ACK=1><CTL=FIN,ACK>  --> CLOSE-WAIT\n"
		"\n");
	/* 4 header lines, TCP Peer A/B, 6 entries, the footnote for the
	 * inferred SYN-RECEIVED (a blank line and its own), a blank line at the end */
	CHECK_EQ_INT(count_lines(out), 4 + 1 + 13 + 2 + 1);
	free(out);
}

/* A SYN a firewall dropped after the server's device saw it, as in
 * test_retransmit: the tracker infers SYN-RECEIVED at the resent SYN, which
 * the server answered; the dropped one leaves the server in LISTEN. */
static void test_dropped_syn_seen_by_the_device(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 4, AF_INET, "10.216.0.1", 35756, 20, "tcpdemo", "10.216.0.2", 21321, 21,
		  "tcpdemo");
	f.st[C] = ST_CLOSE;
	f.st[S] = ST_LISTEN;
	fake_sys(&f, 0, S, SYN_CALL_ACCEPT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_sys(&f, 300000, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_state(&f, 300010, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg_both(&f, 300020, 300030, C, F_SYN, 1000, 0, 0, 64240);
	r = fake_row(&f, 1324000, C, SYN_EV_RETRANSMIT);
	r->ev.rtx.flags = F_SYN;
	r->ev.rtx.seq = 1000;
	r = fake_seg_both(&f, 1324010, 1324020, C, F_SYN, 1000, 0, 0, 64240);
	r->marks = r[1].marks = ROW_RETRANSMIT;
	fake_state(&f, 1324020, S, ST_LISTEN, ST_SYN_RECV, true);
	fake_seg_both(&f, 1324040, 1324050, S, F_SYN | F_ACK, 5000, 1001, 0, 65160);
	fake_state(&f, 1324060, C, ST_SYN_SENT, ST_ESTABLISHED, false);
	fake_seg_both(&f, 1324070, 1324080, C, F_ACK, 1001, 5001, 0, 502);
	fake_state(&f, 1324090, S, ST_LISTEN, ST_SYN_RECV, false);
	fake_state(&f, 1324091, S, ST_SYN_RECV, ST_ESTABLISHED, false);
	f.c.complete = false;

	char *out = render(&f, false, true);
	CHECK_CONTAINS(out,
		"1.  CLOSED                                           LISTEN\n"
		"\n"
		"2.  SYN-SENT    --> <SEQ=0><CTL=SYN>             --> LISTEN\n"
		"\n"
		"3.  SYN-SENT    --> <SEQ=0><CTL=SYN>             --> SYN-RECEIVED*\n"
		"\n"
		"4.  ESTABLISHED <-- <SEQ=0><ACK=1><CTL=SYN,ACK>  <-- SYN-RECEIVED*\n"
		"\n"
		"5.  ESTABLISHED --> <SEQ=1><ACK=1><CTL=ACK>      --> ESTABLISHED\n"
		"\n");
	free(out);
}

/* An RST at the sequence number TIME-WAIT expects kills the timewait socket
 * (the tracker infers TIME_WAIT -> CLOSE at it): that is the end drawn, on
 * the RST's line, not the figure's (2 MSL). Without the tracker's inferred
 * end, the RST's line shows TIME-WAIT and the figure's end follows. */
static void test_rst_ends_time_wait(void)
{
	struct fake f;
	char *out;

	fake_client_close(&f);
	f.c.nrows--; /* no timer end: the RST came first */
	f.st[C] = ST_TIME_WAIT;
	fake_seg_both(&f, 300000, 300010, S, F_RST, 5008, 0, 0, 0);
	fake_state(&f, 300011, C, ST_TIME_WAIT, ST_CLOSE, true);
	out = render(&f, false, false);
	CHECK_CONTAINS(out, "\n13. CLOSED*     <-- <SEQ=5008><CTL=RST>");
	CHECK(!strstr(out, "(2 MSL)"));
	free(out);
}

/* The client's firewall dropped the first SYN-ACK after the device saw it
 * (so it shows arriving), the server sent it again: the kernel's
 * SYN_SENT -> ESTABLISHED belongs to the copy TCP processed, the second.
 * Longest label "<SEQ=5000><ACK=1001><CTL=SYN,ACK>" (33): segments 35 wide. */
static void test_state_belongs_to_the_copy_processed(void)
{
	struct fake f;

	fake_init(&f, 5, AF_INET, "10.0.0.1", 50000, 77, "curl", "10.0.0.2", 81, 0, "");
	f.c.end[S].traced = false;
	f.st[C] = ST_CLOSE;
	fake_state(&f, 0, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg(&f, 1, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64240);
	fake_seg(&f, 10, C, SYN_DIR_RX, F_SYN | F_ACK, 5000, 1001, 0, 64240);
	fake_seg(&f, 1000010, C, SYN_DIR_RX, F_SYN | F_ACK, 5000, 1001, 0, 64240);
	fake_state(&f, 1000011, C, ST_SYN_SENT, ST_ESTABLISHED, false);
	fake_seg(&f, 1000012, C, SYN_DIR_TX, F_ACK, 1001, 5001, 0, 64240);

	char *out = render(&f, false, false);
	CHECK_CONTAINS(out,
		"3.  SYN-SENT    <-- <SEQ=5000><ACK=1001><CTL=SYN,ACK>  <--\n"
		"\n"
		"4.  ESTABLISHED <-- <SEQ=5000><ACK=1001><CTL=SYN,ACK>  <--\n");
	free(out);
}

/* Close calls that are not the RFC's CLOSE: shutdown(SHUT_RD) sends
 * nothing and closes nothing of the sending side. */
static void test_shutdown_rd_is_no_close(void)
{
	struct fake f;

	fake_init(&f, 6, AF_INET, "127.0.0.1", 40000, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_sys(&f, 0, S, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 4, 0, 0); /* SHUT_RD */
	fake_seg_both(&f, 1, 2, C, F_PSH | F_ACK, 1001, 5001, 5, 64);
	char *out = render(&f, false, false);
	CHECK(!strstr(out, "(Close)"));
	free(out);
	/* shutdown(SHUT_RDWR) is */
	f.rows[0].ev.sys.arg = 2;
	out = render(&f, false, false);
	CHECK_CONTAINS(out, "(Close)");
	free(out);
}

/* A timewait socket's timer: the end of TIME-WAIT, (2 MSL), only when it
 * was in TIME-WAIT; an orphan in FIN-WAIT-2 timing out is no 2 MSL. */
static void test_fin_wait2_timeout_is_no_2msl(void)
{
	struct fake f;
	struct conn_row *r;

	for (int substate = ST_FIN_WAIT2; substate <= ST_TIME_WAIT; substate++) {
		fake_init(&f, 7, AF_INET, "10.0.0.1", 50000, 77, "curl", "10.0.0.2", 81, 0, "");
		f.c.end[S].traced = false;
		f.st[C] = (__u8)substate;
		fake_seg(&f, 0, C, SYN_DIR_TX, F_ACK, 1002, 5002, 0, 64);
		r = fake_row(&f, 60000000, C, SYN_EV_TIMEWAIT);
		r->ev.tw.substate = (__u8)substate;
		r->state_after[C] = f.st[C] = ST_CLOSE;
		char *out = render(&f, false, false);
		CHECK_EQ_INT(strstr(out, "(2 MSL)") != NULL, substate == ST_TIME_WAIT);
		free(out);
	}
}

/* A lane seen only as packets gets no states: the tracker's guesses for it
 * (here LISTEN, then SYN_RECV at the SYN) are not written. The kernel's
 * NEW_SYN_RECV of a traced lane is the RFC's SYN-RECEIVED. */
static void test_states_only_for_traced_lanes(void)
{
	struct fake f;

	fake_init(&f, 8, AF_INET, "10.0.0.1", 50000, 77, "curl", "10.0.0.2", 81, 0, "");
	f.c.end[S].traced = false;
	f.st[C] = ST_CLOSE;
	f.st[S] = ST_LISTEN;
	fake_state(&f, 0, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg(&f, 1, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64240);
	fake_state(&f, 2, S, ST_LISTEN, ST_SYN_RECV, true);
	char *out = render(&f, false, false);
	CHECK(!strstr(out, "LISTEN"));
	CHECK(!strstr(out, "SYN-RECEIVED"));
	free(out);

	/* traced, the server's SYN seen arriving, its state the kernel's name */
	fake_init(&f, 8, AF_INET, "10.0.0.1", 50000, 77, "curl", "10.0.0.2", 81, 99, "srv");
	f.st[C] = ST_CLOSE;
	f.st[S] = ST_LISTEN;
	fake_state(&f, 0, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg_both(&f, 1, 2, C, F_SYN, 1000, 0, 0, 64240);
	fake_state(&f, 3, S, ST_LISTEN, ST_NEW_SYN_RECV, true);
	out = render(&f, false, false);
	CHECK_CONTAINS(out, "1.  CLOSED");
	CHECK_CONTAINS(out, "LISTEN\n");
	CHECK_CONTAINS(out, "SYN-RECEIVED*\n"); /* inferred at the SYN */
	CHECK(!strstr(out, "NEW_SYN_RECV"));
	free(out);
}

/* Nothing but a header and the starting states for a connection of no rows;
 * every line without trailing spaces. */
static void test_empty_and_tidy(void)
{
	struct fake f;

	fake_init(&f, 9, AF_INET, "127.0.0.1", 1, 1, "a", "127.0.0.1", 2, 2, "b");
	char *out = render(&f, false, false);
	CHECK_CONTAINS(out, "connection 9: started ?, complete\n");
	CHECK_CONTAINS(out, "\n1.\n\n");
	free(out);

	fake_simultaneous(&f);
	out = render(&f, false, false);
	CHECK(!strstr(out, " \n"));
	free(out);
}

static char *render_with(struct fake *f, const struct sink_opts *opts)
{
	struct sink_opts o = *opts;
	struct capture cap;

	o.wall_offset_ns = FAKE_WALL_OFFSET_NS;
	capture_start(&cap, &o);
	struct syn_sink *s = rfc_sink_new(&o);
	fake_hand_over(s, f);
	s->destroy(s);
	return capture_end(&cap);
}

/* text without its comment lines (first non-space character '#') */
static char *without_comments(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n'), *q = p;
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

		while (*q == ' ')
			q++;
		if (*q != '#') {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	*o = '\0';
	return out;
}

/* --explain: comment lines under each step, every one starting with '#'
 * (check_rfc.py skips them), each naming its lane; without them, the
 * figure is unchanged. */
static void test_explained_as_comments(void)
{
	struct sink_opts o = { .explain = EXPLAIN_EN };
	struct fake f;

	fake_client_close(&f);
	char *out = render_with(&f, &o), *plain = without_comments(out);

	CHECK_EQ_STR(plain, client_close_want);
	CHECK_CONTAINS(out, "2.  SYN-SENT    --> <SEQ=1000><CTL=SYN>                      --> "
		       "SYN-RECEIVED*\n    # client: handshake 1/3: SYN, the client asks to open and picks its "
		       "initial sequence number\n\n3.  ");
	/* (Close) and its FIN: the call, then the segment */
	CHECK_CONTAINS(out, "--> CLOSE-WAIT\n    # client: close(): the last descriptor of this "
		       "socket is closed, so the kernel sends FIN\n    # client: teardown 1/4: FIN, the "
		       "client has no more data to send\n\n10. ");
	CHECK(count_of(out, "\n    # ") >= 12);
	free(out);
	free(plain);

	o.explain = EXPLAIN_ZH;
	out = render_with(&f, &o);
	plain = without_comments(out);
	CHECK_EQ_STR(plain, client_close_want);
	CHECK_CONTAINS(out, "\n    # 客户端：握手 1/3：SYN，客户端请求建立连接");
	free(out);
	free(plain);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* At 80 columns (a terminal's) the footnote under a figure with a * wraps,
 * its second line indented under its text; at 100 it is one line. */
static void test_footnote_fits_the_width(void)
{
	struct sink_opts o = { .width = 80 };
	struct fake f;
	char *out;

	fake_client_close(&f);
	out = render_with(&f, &o);
	CHECK_CONTAINS(out, "\n    * inferred: Linux does not report this state at this step\n"
			    "      (docs/rfc-style.md)\n");
	free(out);
	o.width = 0;
	out = render_with(&f, &o);
	CHECK_CONTAINS(out, "\n    * inferred: Linux does not report this state at this step "
			    "(docs/rfc-style.md)\n");
	free(out);
}

/* A listener's setup (socket, bind, listen, CLOSE -> LISTEN) put before
 * the connection's rows, as the tracker hands over its first connection. */
static void prepend_setup(struct fake *f)
{
	struct fake setup;
	size_t k;

	fake_init(&setup, 1, AF_INET, "127.0.0.1", 41234, 1234, "demo-client",
		  "127.0.0.1", 8080, 1233, "demo-server");
	setup.st[C] = setup.st[S] = ST_CLOSE;
	fake_sys(&setup, 1, S, SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 1, 3);
	fake_sys(&setup, 2, S, SYN_CALL_BIND, SYN_PHASE_ENTRY, 3, 8080, 0);
	fake_sys(&setup, 3, S, SYN_CALL_BIND, SYN_PHASE_RETURN, 3, 0, 0);
	fake_sys(&setup, 4, S, SYN_CALL_LISTEN, SYN_PHASE_ENTRY, 3, 16, 0);
	fake_state(&setup, 5, S, ST_CLOSE, ST_LISTEN, false);
	fake_sys(&setup, 6, S, SYN_CALL_LISTEN, SYN_PHASE_RETURN, 3, 0, 0);
	k = setup.c.nrows;
	if (f->c.nrows + k > FAKE_MAX_ROWS)
		exit(2);
	memmove(f->rows + k, f->rows, f->c.nrows * sizeof(f->rows[0]));
	memcpy(f->rows, setup.rows, k * sizeof(f->rows[0]));
	for (size_t i = k; i < k + f->c.nrows; i++)
		if (f->rows[i].pair >= 0)
			f->rows[i].pair += (__s32)k;
	f->c.nrows += k;
	f->c.setup_rows = k;
}

/* The setup is no part of the figures: with it before the connection, the
 * drawing and every comment line are those of the connection alone (the
 * explanations of a copy without the setup's rows, none read past it). */
static void test_setup_left_out(void)
{
	struct sink_opts o = { .explain = EXPLAIN_EN };
	struct fake f;
	char *alone, *with_setup;

	fake_client_close(&f);
	alone = render_with(&f, &o);
	prepend_setup(&f);
	with_setup = render_with(&f, &o);
	CHECK_EQ_STR(with_setup, alone);
	free(alone);
	free(with_setup);
}

/* --pace: a pause after each numbered step, as the ladder after each row. */
static void test_paced(void)
{
	struct sink_opts o = { .pace_ms = 10 };
	struct fake f;
	double t0 = now_s();

	fake_client_close(&f);
	free(render_with(&f, &o));
	CHECK(now_s() - t0 >= 13 * 0.010); /* 13 steps */
}

int main(void)
{
	RUN(test_figures_6_and_12);
	RUN(test_relative_seq);
	RUN(test_colour_keeps_layout);
	RUN(test_figure_7_and_crossings);
	RUN(test_figure_7_from_device_order);
	RUN(test_figure_13);
	RUN(test_remote_peer);
	RUN(test_lost_segment_and_close_calls);
	RUN(test_dropped_syn_seen_by_the_device);
	RUN(test_rst_ends_time_wait);
	RUN(test_empty_and_tidy);
	RUN(test_state_belongs_to_the_copy_processed);
	RUN(test_shutdown_rd_is_no_close);
	RUN(test_fin_wait2_timeout_is_no_2msl);
	RUN(test_states_only_for_traced_lanes);
	RUN(test_explained_as_comments);
	RUN(test_paced);
	RUN(test_footnote_fits_the_width);
	RUN(test_setup_left_out);
	return TEST_SUMMARY();
}
