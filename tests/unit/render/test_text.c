/* The text helpers every text sink writes with (text_time.c, text_line.c,
 * text_event.c), at the edges where a unit changes, a line breaks or a name
 * is chosen. Expectations worked out by hand from the rules in their
 * headers. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include "test.h"
#include "base/names.h"
#include "events.h"
#include "render/text_event.h"
#include "render/text_line.h"
#include "render/text_summary.h"
#include "render/text_time.h"

/* Deltas: "+0" under a microsecond, microseconds under a second, seconds
 * (8 characters of them) from one second on. */
static void test_delta_units(void)
{
	char buf[32];

	CHECK_EQ_STR(txt_delta(0, buf, sizeof(buf)), "+0");
	CHECK_EQ_STR(txt_delta(999, buf, sizeof(buf)), "+0");
	CHECK_EQ_STR(txt_delta(1000, buf, sizeof(buf)), "+1us");
	CHECK_EQ_STR(txt_delta(999999999, buf, sizeof(buf)), "+999999us");
	CHECK_EQ_STR(txt_delta(1000000000, buf, sizeof(buf)), "+1.000000s");
	CHECK_EQ_STR(txt_delta(12345678901234ull, buf, sizeof(buf)), "+12345.67s");
}

/* Seconds in a column: as many decimals as fit, at least one, else none. */
static void test_seconds_fit_their_width(void)
{
	char buf[32];

	CHECK_EQ_STR(txt_seconds(1500000000, 0, buf, sizeof(buf)), "1.500000");
	CHECK_EQ_STR(txt_seconds(1500000000, 8, buf, sizeof(buf)), "1.500000"); /* just fits */
	CHECK_EQ_STR(txt_seconds(1500000000, 7, buf, sizeof(buf)), "1.50000");
	CHECK_EQ_STR(txt_seconds(1500000000, 3, buf, sizeof(buf)), "1.5");
	CHECK_EQ_STR(txt_seconds(1500000000, 2, buf, sizeof(buf)), "1");
	CHECK_EQ_STR(txt_seconds(123456789000000ull, 10, buf, sizeof(buf)), "123456.789");
}

/* Wall-clock times, before 1970 too: floor division, so 1 ns before the
 * epoch is the last microsecond of 1969, not the first of 1970. */
static void test_wall_clock_around_the_epoch(void)
{
	char buf[64];

	CHECK_EQ_STR(txt_wall_utc(0, buf, sizeof(buf)), "1970-01-01 00:00:00.000000 UTC");
	CHECK_EQ_STR(txt_wall_utc(-1, buf, sizeof(buf)), "1969-12-31 23:59:59.999999 UTC");
	CHECK_EQ_STR(txt_wall_utc(-1500000000, buf, sizeof(buf)), "1969-12-31 23:59:58.500000 UTC");
	CHECK_EQ_STR(txt_wall_utc(1795432897123456000ll, buf, sizeof(buf)),
		     "2026-11-23 11:21:37.123456 UTC");
}

/* Wrapping: a piece that fills the room exactly stays on the line, one
 * character more goes to the next; by the quick path (single breaks) and
 * the slow one (doubled breaks). */
static void test_wrap_at_the_room(void)
{
	const char *p;
	char out[64];

	p = "aaaa bbbbb"; /* 10 */
	CHECK(txt_wrap_next(&p, ' ', 10, out, sizeof(out)));
	CHECK_EQ_STR(out, "aaaa bbbbb");
	CHECK_EQ_STR(p, "");
	p = "aaaa bbbbbb"; /* 11 */
	CHECK(txt_wrap_next(&p, ' ', 10, out, sizeof(out)));
	CHECK_EQ_STR(out, "aaaa");
	CHECK_EQ_STR(p, "bbbbbb");
	p = "aa  bbbbbb c"; /* doubled: "aa bbbbbb c" is 11 */
	CHECK(txt_wrap_next(&p, ' ', 10, out, sizeof(out)));
	CHECK_EQ_STR(out, "aa bbbbbb");
	CHECK(txt_wrap_next(&p, ' ', 10, out, sizeof(out)));
	CHECK_EQ_STR(out, "c");
	CHECK(!txt_wrap_next(&p, ' ', 10, out, sizeof(out)));
	p = "aa  bbbbb c"; /* "aa bbbbb c" is 10 */
	CHECK(txt_wrap_next(&p, ' ', 10, out, sizeof(out)));
	CHECK_EQ_STR(out, "aa bbbbb c");
	/* a piece wider than the room is cut */
	p = "abcdefghijkl";
	CHECK(txt_wrap_next(&p, ' ', 5, out, sizeof(out)));
	CHECK_EQ_STR(out, "abcde");
	CHECK_EQ_STR(p, "fghijkl");
}

/* Why a segment went again: the congestion state first (a loss probe
 * timer is often pending in recovery, and in loss too), the probe's timer
 * only when the state says neither. */
static void test_retransmit_cause(void)
{
	struct ep a = { "10.0.0.1", 1 }, b = { "10.0.0.2", 2 };
	struct syn_event e = ev_kind(SYN_EV_RETRANSMIT, 1, 7, a, b);

	e.sk_kind = SYN_SK_FULL;
	e.rtx.kind = SYN_RETRANS_SKB;
	e.rtx.state = 1; /* ESTABLISHED */
	e.rtx.timer = SYN_TIMER_LOSS_PROBE;
	e.rtx.ca_state = SYN_CA_LOSS;
	CHECK_EQ_STR(txt_retransmit_cause(&e), "retransmission timeout");
	e.rtx.ca_state = SYN_CA_RECOVERY;
	CHECK_EQ_STR(txt_retransmit_cause(&e), "fast retransmit");
	e.rtx.ca_state = 0; /* Open */
	CHECK_EQ_STR(txt_retransmit_cause(&e), "tail loss probe");
	e.rtx.timer = SYN_TIMER_RETRANS;
	CHECK_EQ_STR(txt_retransmit_cause(&e), "retransmit");
	e.rtx.state = 2; /* SYN_SENT */
	CHECK_EQ_STR(txt_retransmit_cause(&e), "SYN resent (timer)");
	e.sk_kind = SYN_SK_UNKNOWN; /* ABI 2: the kernel's view was not kept */
	CHECK_EQ_STR(txt_retransmit_cause(&e), "retransmit");
	e.rtx.kind = SYN_RETRANS_SYNACK;
	CHECK_EQ_STR(txt_retransmit_cause(&e), "SYN-ACK resent (timer)");
}

/* Who an end is, in a header: "(remote)" off this host (never seen, not at
 * a loopback address: "?" there); "(no socket)"
 * where nothing was there (a closed port); "?" for a listener known only
 * by its port (from before tracing); else comm/pid. */
static void test_end_names(void)
{
	struct conn_end e;
	char buf[64];

	memset(&e, 0, sizeof(e));
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "(remote)");
	/* never seen, but at a loopback address: on this host, nothing to tell */
	e.family = AF_INET;
	memcpy(e.addr, "\x7f\x00\x00\x05", 4);
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "?");
	e.addr[0] = 10;
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "(remote)");
	e.family = AF_INET6;
	memset(e.addr, 0, 16);
	e.addr[15] = 1; /* ::1 */
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "?");
	e.addr[0] = 0xfe; /* fe00::1 */
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "(remote)");
	memcpy(e.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16); /* ::ffff:127.0.0.1 */
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "?");
	e.addr[12] = 10; /* ::ffff:10.0.0.1 */
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "(remote)");
	memset(e.addr, 0, 16);
	e.family = 0;
	e.traced = true;
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "(no socket)");
	e.listening = true;
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "?");
	e.listening = false;
	e.state = 10; /* LISTEN */
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "?");
	e.state = 0;
	e.sock_id = 5;
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "?");
	e.pid = 42;
	memcpy(e.comm, "x\x7fy\x1fz", 6);
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), "x?y?z/42");
	memcpy(e.comm, " ~", 3);
	CHECK_EQ_STR(txt_end_proc(&e, buf, sizeof(buf)), " ~/42");
}

/* A segment's options at their longest: every option, every number at
 * its largest, a Fast Open cookie of 255 bytes (a crafted recording can
 * say so). */
static void test_longest_options(void)
{
	struct syn_event e;
	struct seg_text t;

	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_SEGMENT;
	e.proto = IPPROTO_TCP;
	e.seg.flags = SYN_TCP_SYN | SYN_TCP_ACK;
	e.seg.opts = SYN_OPT_MSS | SYN_OPT_WSCALE | SYN_OPT_SACK_PERM | SYN_OPT_TS | SYN_OPT_FASTOPEN;
	e.seg.mss = 65535;
	e.seg.wscale = 255;
	e.seg.tsval = e.seg.tsecr = 4294967295u;
	e.seg.fo_cookie_len = 255;
	seg_text_build(&t, &e, 0, NULL);
	CHECK_EQ_STR(t.opts, "mss=65535 ws=255 sackOK ts=4294967295/4294967295 fastopen:cookie=255B");
}

/* The run's last line says the segments seen only arriving from a traced
 * sender (docs/reliability.md), and nothing of them when there were none. */
/* A call's return: -errno (-4095 .. -1) is "-1 ERRNO" as a program sees
 * it; any other value, a damaged recording's, as it came (its negation
 * would overflow for INT64_MIN: fuzz_replay found it). */
static void test_call_returns(void)
{
	struct syn_event e;
	char buf[96];

	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_SYSCALL;
	e.sys.call = SYN_CALL_CONNECT;
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.ret = -ECONNREFUSED;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "connect = -1 ECONNREFUSED");
	e.sys.ret = -4095;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "connect = -1 errno 4095");
	e.sys.ret = -4096;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "connect = -4096");
	e.sys.ret = INT64_MIN;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "connect = -9223372036854775808");
	CHECK_EQ_INT(txt_errno_of(-1), 1);
	CHECK_EQ_INT(txt_errno_of(0), 0);
	CHECK_EQ_INT(txt_errno_of(INT64_MIN), 0);
}

/* socket()'s and accept4()'s flags, as a program gave them: named bits by
 * name in their order, the rest as hex; read back the same way, a named
 * bit only by its name. socket()'s type keeps the kind of socket in its
 * low 4 bits. */
static void test_sock_flags(void)
{
	struct syn_event e;
	char buf[96];

	CHECK_EQ_STR(txt_sock_flags(0, "|", buf, sizeof(buf)), "");
	CHECK_EQ_STR(txt_sock_flags(SOCK_CLOEXEC | SOCK_NONBLOCK, "|", buf, sizeof(buf)),
		     "SOCK_NONBLOCK|SOCK_CLOEXEC");
	CHECK_EQ_STR(txt_sock_flags(SOCK_CLOEXEC | 0x10, "|", buf, sizeof(buf)), "SOCK_CLOEXEC|0x10");
	CHECK_EQ_STR(txt_sock_flags(0x30, "|", buf, sizeof(buf)), "0x30");
	CHECK_EQ_INT(sock_type_flags(SOCK_DGRAM | SOCK_NONBLOCK), SOCK_NONBLOCK);
	CHECK_EQ_INT(sock_flag_of("SOCK_NONBLOCK"), SOCK_NONBLOCK);
	CHECK_EQ_INT(sock_flag_of("SOCK_CLOEXEC"), SOCK_CLOEXEC);
	CHECK_EQ_INT(sock_flag_of("0x10"), 0x10);
	CHECK_EQ_INT(sock_flag_of("0x800"), 0); /* SOCK_NONBLOCK's bit */
	CHECK_EQ_INT(sock_flag_of("0x"), 0);
	CHECK_EQ_INT(sock_flag_of("0x 1"), 0);
	CHECK_EQ_INT(sock_flag_of("0x10z"), 0);
	CHECK_EQ_INT(sock_flag_of("O_NONBLOCK"), 0);

	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_SYSCALL;
	e.sys.call = SYN_CALL_SOCKET;
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.arg = SOCK_STREAM;
	e.sys.ret = 3;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "socket = 3");
	e.sys.arg = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "socket(SOCK_NONBLOCK|SOCK_CLOEXEC) = 3");
	e.sys.call = SYN_CALL_ACCEPT4;
	e.sys.phase = SYN_PHASE_ENTRY;
	e.sys.fd = 3;
	e.sys.arg = 0;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "accept4(fd=3)");
	e.sys.arg = SOCK_NONBLOCK;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "accept4(fd=3, SOCK_NONBLOCK)");
	e.sys.phase = SYN_PHASE_RETURN; /* the flags were the entry's */
	e.sys.ret = 4;
	CHECK_EQ_STR(txt_syscall(&e, buf, sizeof(buf)), "accept4 = 4");
}

/* A call that waits for the handshake ends in " ...": connect() and
 * accept() on TCP; a UDP socket's connect() waits for nothing. */
static void test_calls_that_wait(void)
{
	struct conn c;
	struct conn_row r;
	struct seq_base b;
	char buf[96];

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	c.proto = IPPROTO_TCP;
	r.ev.kind = SYN_EV_SYSCALL;
	r.ev.proto = IPPROTO_TCP;
	r.ev.sys.call = SYN_CALL_CONNECT;
	r.ev.sys.phase = SYN_PHASE_ENTRY;
	r.ev.sys.fd = 3;
	CHECK_EQ_STR(txt_row_text(&c, &r, &b, buf, sizeof(buf)), "connect(fd=3) ...");
	c.proto = r.ev.proto = IPPROTO_UDP;
	CHECK_EQ_STR(txt_row_text(&c, &r, &b, buf, sizeof(buf)), "connect(fd=3)");
	r.ev.sys.call = SYN_CALL_WRITE;
	c.proto = r.ev.proto = IPPROTO_TCP;
	CHECK_EQ_STR(txt_row_text(&c, &r, &b, buf, sizeof(buf)), "write(fd=3)");
}

static void test_summary_says_unshown(void)
{
	struct run_summary sum = { .events = 40, .conns = 2 };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!CHECK(f != NULL))
		return;
	txt_summary(f, &sum);
	sum.unshown = 1;
	txt_summary(f, &sum);
	sum.unshown = 3;
	txt_summary(f, &sum);
	fclose(f);
	CHECK_EQ_STR(out, "synscope: 2 connections (0 incomplete), 40 events, 0 lost\n"
		     "synscope: 2 connections (0 incomplete), 40 events, 0 lost, 1 segment seen only "
		     "arriving: its departure never reached synscope (docs/reliability.md)\n"
		     "synscope: 2 connections (0 incomplete), 40 events, 0 lost, 3 segments seen only "
		     "arriving: their departure never reached synscope (docs/reliability.md)\n");
	free(out);
}

int main(void)
{
	RUN(test_delta_units);
	RUN(test_seconds_fit_their_width);
	RUN(test_wall_clock_around_the_epoch);
	RUN(test_wrap_at_the_room);
	RUN(test_retransmit_cause);
	RUN(test_end_names);
	RUN(test_longest_options);
	RUN(test_summary_says_unshown);
	RUN(test_call_returns);
	RUN(test_sock_flags);
	RUN(test_calls_that_wait);
	return TEST_SUMMARY();
}
