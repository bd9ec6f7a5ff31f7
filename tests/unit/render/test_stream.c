/* Stream sink: one line per event, as it arrives; nothing when a connection ends. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include "fake_conn.h"
#include "test.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "render/text_event.h"

#define LISTEN_BEFORE_US 1000 /* the listen() call comes 1 ms before the connection */

/* listen() on 0.0.0.0:8080: outside any connection. */
static void fake_listen_event(struct syn_event *e, const char *comm)
{
	memset(e, 0, sizeof(*e));
	e->ts_ns = FAKE_T0_NS - LISTEN_BEFORE_US * 1000;
	e->kind = SYN_EV_SYSCALL;
	e->family = AF_INET;
	e->sport = 8080;
	e->pid = e->tid = 1233;
	fake_set_comm(e->comm, comm);
	e->sys.call = SYN_CALL_LISTEN;
	e->sys.phase = SYN_PHASE_ENTRY;
	e->sys.fd = 3;
	e->sys.arg = 128;
}

/* Everything a live run of the loopback connection would deliver, in
 * arrival order: listen(), the connection's events, a lost count, then the
 * connection ends and the run finishes. */
static char *run_stream(bool color, bool relative, const char *listen_comm)
{
	struct sink_opts o = { .color = color, .relative_seq = relative,
			       .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct run_summary sum = { .events = 38, .lost = 5, .conns = 1, .incomplete = 0 };
	struct capture cap;
	struct syn_event listen, lost = { 0 };
	struct fake f;

	fake_loopback(&f);
	fake_listen_event(&listen, listen_comm);
	lost.ts_ns = FAKE_T0_NS + 1502030 * 1000ull;
	lost.kind = SYN_EV_LOST;
	lost.lost.count = 5;

	capture_start(&cap, &o);
	struct syn_sink *s = stream_sink_new(&o);
	s->event(s, &listen, NULL, 0);
	for (size_t i = 0; i < f.c.nrows; i++)
		s->event(s, &f.rows[i].ev, &f.c, f.rows[i].end);
	s->event(s, &lost, NULL, 0);
	s->conn_done(s, &f.c);
	s->finish(s, &sum);
	s->destroy(s);
	return capture_end(&cap);
}

static void test_one_line_per_event(void)
{
	char *out = run_stream(false, false, "demo-server"), line[200];

	/* 36 connection rows + listen + lost, then the summary */
	CHECK_EQ_INT(count_lines(out), 36 + 2 + 1);
	CHECK_EQ_STR(line_of(out, 0, line, sizeof(line)),
		     "0.000000 - - demo-server/1233 0.0.0.0:8080 > 0.0.0.0:0 listen(fd=3, backlog=128)");
	CHECK_EQ_STR(line_of(out, 1, line, sizeof(line)),
		     "0.001000 conn 1 client demo-client/1234 127.0.0.1:41234 > 127.0.0.1:8080 connect(fd=3)");
	CHECK_EQ_STR(line_of(out, 2, line, sizeof(line)),
		     "0.001005 conn 1 client demo-client/1234 127.0.0.1:41234 > 127.0.0.1:8080 CLOSE -> SYN_SENT");
	CHECK_EQ_STR(line_of(out, 3, line, sizeof(line)),
		     "0.001009 conn 1 client demo-client/1234 127.0.0.1:41234 > 127.0.0.1:8080 "
		     "SYN seq=1000 win=65495 mss=65495 ws=7 sackOK ts=100/0");
	/* received: the arrow points in */
	CHECK_EQ_STR(line_of(out, 4, line, sizeof(line)),
		     "0.001012 conn 1 server demo-server/1233 127.0.0.1:8080 < 127.0.0.1:41234 "
		     "SYN seq=1000 win=65495 mss=65495 ws=7 sackOK ts=100/0");
	CHECK_EQ_STR(line_of(out, 6, line, sizeof(line)),
		     "0.001020 conn 1 server demo-server/1233 127.0.0.1:8080 > 127.0.0.1:41234 "
		     "SYN,ACK seq=5000 ack=1001 win=65483 mss=65495 ws=7 sackOK ts=200/100");
	CHECK_EQ_STR(line_of(out, 10, line, sizeof(line)),
		     "0.001031 conn 1 client demo-client/1234 127.0.0.1:41234 > 127.0.0.1:8080 connect = 0");
	CHECK_EQ_STR(line_of(out, 14, line, sizeof(line)),
		     "0.002000 conn 1 client demo-client/1234 127.0.0.1:41234 > 127.0.0.1:8080 "
		     "PSH,ACK seq=1001 ack=5001 len=5");
	CHECK_EQ_STR(line_of(out, 18, line, sizeof(line)),
		     "0.003000 conn 1 client demo-client/1234 127.0.0.1:41234 > 127.0.0.1:8080 "
		     "shutdown(fd=3, SHUT_WR)");
	/* a call by another process than the lane's owner names it */
	CHECK_EQ_STR(line_of(out, 27, line, sizeof(line)),
		     "1.503000 conn 1 server demo-server/1233 127.0.0.1:8080 > 127.0.0.1:41234 "
		     "close(fd=4) [worker/1240]");
	CHECK_EQ_STR(line_of(out, 36, line, sizeof(line)),
		     "1.503020 conn 1 server demo-server/1233 127.0.0.1:8080 > 127.0.0.1:41234 socket freed");
	CHECK_EQ_STR(line_of(out, 37, line, sizeof(line)), "1.503030 - - ? - LOST 5 events");
	CHECK_EQ_STR(line_of(out, 38, line, sizeof(line)),
		     "synscope: 1 connection (0 incomplete), 38 events, 5 lost");
	CHECK(!has_escape(out));
	CHECK(!strstr(out, "1592590336")); /* sock_id */
	free(out);
}

/* Under 100 columns where the numbers allow: with relative seq numbers, every
 * line but the SYNs' (which carry their options) fits. */
static void test_lines_fit(void)
{
	char *out = run_stream(false, true, "demo-server"), line[300];

	for (int i = 0; i < count_lines(out); i++) {
		line_of(out, i, line, sizeof(line));
		if (strstr(line, " SYN"))
			continue;
		if (!CHECK(strlen(line) < 100))
			fprintf(stderr, "  line %d: %s\n", i, line);
	}
	free(out);
}

static void test_relative_seq(void)
{
	char *out = run_stream(false, true, "demo-server");

	CHECK_CONTAINS(out, "> 127.0.0.1:8080 SYN seq=0 win=65495 mss=65495");
	CHECK_CONTAINS(out, "> 127.0.0.1:41234 SYN,ACK seq=0 ack=1 win=65483");
	CHECK_CONTAINS(out, "< 127.0.0.1:8080 SYN,ACK seq=0 ack=1 win=65483");
	CHECK_CONTAINS(out, "> 127.0.0.1:8080 PSH,ACK seq=1 ack=1 len=5\n");
	CHECK_CONTAINS(out, "< 127.0.0.1:41234 FIN,ACK seq=6 ack=1\n");
	free(out);
}

static void test_colour_and_hostile_comm(void)
{
	char *out = run_stream(true, false, "a\"b\\c\x01\x1b[31m");

	CHECK_CONTAINS(out, "\033[32mSYN seq=1000 win=65495");
	/* the comm's bytes never reach the terminal as control codes */
	CHECK_CONTAINS(out, "0.000000 - - a\"b\\c??[31m/1233 0.0.0.0:8080");
	free(out);

	out = run_stream(false, false, "a\"b\\c\x01\x1b[31m");
	CHECK(!has_escape(out));
	free(out);
}

/* --pace: a pause after each line, as the ladder after each row. */
static void test_paced(void)
{
	struct sink_opts o = { .pace_ms = 20 };
	struct capture cap;
	struct timespec a, b;
	struct fake f;

	fake_loopback(&f);
	capture_start(&cap, &o);
	struct syn_sink *s = stream_sink_new(&o);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t i = 0; i < 5; i++)
		s->event(s, &f.rows[i].ev, &f.c, f.rows[i].end);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s->destroy(s);
	free(capture_end(&cap));
	CHECK((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 5 * 20);
}

/* setsockopt(): the option by name and the value it was given, as a C
 * program would write it; SO_LINGER's two; an option with no name here. */
static void test_setsockopt_text(void)
{
	struct syn_event e = { 0 };
	char buf[128];

	e.kind = SYN_EV_SYSCALL;
	e.sys.call = SYN_CALL_SETSOCKOPT;
	e.sys.fd = 3;
	e.sys.level = SOL_SOCKET;
	e.sys.arg = SO_REUSEADDR;
	e.sys.vlen = 4;
	e.sys.val[0] = 1;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "setsockopt(fd=3, SO_REUSEADDR=1)");
	e.sys.arg = SO_LINGER;
	e.sys.vlen = 8;
	e.sys.val[1] = 0;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "setsockopt(fd=3, SO_LINGER={1,0})");
	e.sys.level = IPPROTO_TCP;
	e.sys.arg = 5;
	e.sys.vlen = 4;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "setsockopt(fd=3, TCP_KEEPINTVL=1)");
	e.sys.level = 99;
	e.sys.arg = 7;
	e.sys.vlen = 0;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "setsockopt(fd=3, level=99, opt=7)");
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.ret = -92;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "setsockopt = -1 ENOPROTOOPT");
}

/* getsockopt(SO_ERROR), drawn on its return: the error it answered by name,
 * 0 for none, a number Linux's errno names here do not cover, and a call
 * that failed (its answer not read). */
static void test_getsockopt_text(void)
{
	struct syn_event e = { 0 };
	char buf[128];

	e.kind = SYN_EV_SYSCALL;
	e.sys.call = SYN_CALL_GETSOCKOPT;
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.fd = 5;
	e.sys.level = SOL_SOCKET;
	e.sys.arg = SO_ERROR;
	e.sys.vlen = 4;
	e.sys.val[0] = ECONNREFUSED;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "getsockopt(fd=5, SO_ERROR): ECONNREFUSED");
	e.sys.val[0] = ETIMEDOUT;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "getsockopt(fd=5, SO_ERROR): ETIMEDOUT");
	e.sys.val[0] = 0;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "getsockopt(fd=5, SO_ERROR): 0");
	e.sys.val[0] = 200;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "getsockopt(fd=5, SO_ERROR): errno 200");
	e.sys.vlen = 0;
	e.sys.ret = -EFAULT;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "getsockopt(fd=5, SO_ERROR) = -1 errno 14");
	e.sys.ret = -EBADF;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "getsockopt(fd=5, SO_ERROR) = -1 EBADF");
}

/* sendmmsg() and recvmmsg(): the messages offered (vlen) on entry, the
 * messages moved on return. */
static void test_mmsg_text(void)
{
	struct syn_event e = { 0 };
	char buf[128];

	e.kind = SYN_EV_SYSCALL;
	e.sys.call = SYN_CALL_SENDMMSG;
	e.sys.fd = 3;
	e.sys.arg = 2;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "sendmmsg(fd=3, vlen=2)");
	e.sys.call = SYN_CALL_RECVMMSG;
	e.sys.arg = 8;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "recvmmsg(fd=3, vlen=8)");
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.ret = 2;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "recvmmsg = 2");
}

/* Each line names its own event's endpoints, whatever came before: 200
 * tuples (more than the endpoints the sink keeps formatted), each seen
 * twice, in two passes, sent in one and received in the other; IPv6; an
 * event without addresses. */
static void test_endpoints_of_each_event(void)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct syn_sink *s;
	char *out, *line, *save = NULL, want[128];
	int n = 0;

	capture_start(&cap, &o);
	s = stream_sink_new(&o);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 200; i++) {
			struct syn_event e = { 0 };

			e.ts_ns = FAKE_T0_NS + (__u64)(pass * 200 + i) * 1000;
			e.kind = SYN_EV_SEGMENT;
			e.family = i % 3 ? AF_INET : AF_INET6;
			e.saddr[0] = 10, e.saddr[3] = (__u8)i;
			e.daddr[0] = 10, e.daddr[3] = (__u8)i;
			e.sport = (__u16)(40000 + i);
			e.dport = 80;
			e.seg.dir = (i + pass) % 2 ? SYN_DIR_RX : SYN_DIR_TX;
			e.seg.flags = SYN_TCP_ACK;
			s->event(s, &e, NULL, 0);
		}
	}
	{
		struct syn_event none = { .ts_ns = FAKE_T0_NS + 500000, .kind = SYN_EV_LOST };

		none.lost.count = 1;
		s->event(s, &none, NULL, 0);
	}
	s->destroy(s);
	out = capture_end(&cap);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		int pass = n / 200, i = n % 200;

		if (n == 400) {
			CHECK(strstr(line, " - ") != NULL);
			break;
		}
		/* the addresses as libc writes them: v6 in brackets */
		__u8 sa[16] = { 10, 0, 0, (__u8)i }, da[16] = { 10, 0, 0, (__u8)i };
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		int af = i % 3 ? AF_INET : AF_INET6;

		inet_ntop(af, sa, a, sizeof(a));
		inet_ntop(af, da, b, sizeof(b));
		snprintf(want, sizeof(want), af == AF_INET ? " %s:%d %c %s:80 " : " [%s]:%d %c [%s]:80 ",
			 a, 40000 + i, (i + pass) % 2 ? '<' : '>', b);
		if (!strstr(line, want)) {
			fprintf(stderr, "line %d: want '%s' in '%s'\n", n, want, line);
			CHECK(false);
			break;
		}
	}
	CHECK_EQ_INT(n, 400);
	free(out);
}

int main(void)
{
	RUN(test_one_line_per_event);
	RUN(test_lines_fit);
	RUN(test_relative_seq);
	RUN(test_colour_and_hostile_comm);
	RUN(test_paced);
	RUN(test_setsockopt_text);
	RUN(test_getsockopt_text);
	RUN(test_mmsg_text);
	RUN(test_endpoints_of_each_event);
	return TEST_SUMMARY();
}
