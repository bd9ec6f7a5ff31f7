/* Ladder sink: hand-built connections rendered and compared with hand-written
 * expectations (column rules in docs/ladder.md: number ends at column 4, time
 * at 15, delta at 26, client state at 27, rails at 41 and 85, server state at 87). */
#include <stdbool.h>
#include "fake_conn.h"
#include "render/explain.h"
#include "render/text_line.h"
#include "test.h"
#include "render/sinks.h"
#include "export/exports.h"

#define WIDTH 100

static char *render_opts(struct fake *f, struct sink_opts o)
{
	struct capture cap;

	o.wall_offset_ns = FAKE_WALL_OFFSET_NS;
	capture_start(&cap, &o);
	struct syn_sink *s = ladder_sink_new(&o);
	fake_hand_over(s, f);
	s->destroy(s);
	return capture_end(&cap);
}

static char *render(struct fake *f, bool color, bool relative)
{
	return render_opts(f, (struct sink_opts){ .color = color, .relative_seq = relative });
}

/* Every line at most WIDTH columns of printable ASCII. */
static bool plain_and_narrow(const char *text)
{
	int col = 0;
	bool ok = true;

	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			col = 0;
			continue;
		}
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			fprintf(stderr, "  non-printable byte 0x%02x\n", (unsigned char)*p);
			ok = false;
		}
		if (++col == WIDTH + 1) {
			fprintf(stderr, "  line wider than %d: %.*s\n", WIDTH, (int)strcspn(p - WIDTH, "\n"),
				p - WIDTH);
			ok = false;
		}
	}
	return ok;
}

/* text without its "\033[...m" colour codes, in place. */
static char *strip_sgr(char *text)
{
	char *w = text;

	for (const char *p = text; *p;) {
		if (p[0] == '\033' && p[1] == '[') {
			p += 2;
			while (*p && *p != 'm')
				p++;
			if (*p)
				p++;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return text;
}

static const char loopback_want[] =
	"connection 1: 127.0.0.1:41234 demo-client/1234 -> 127.0.0.1:8080 demo-server/1233\n"
	"  started 2026-11-23 11:21:37.123456 UTC, 29 rows, complete\n"
	"   #       time      delta client        |           <- arrows / calls ->            | server\n"
	"   1   0.000000         +0 CLOSE         | connect(fd=3) ...                         | LISTEN\n"
	"   2   0.000005       +5us SYN_SENT      | CLOSE -> SYN_SENT                         | LISTEN\n"
	"   3   0.000009       +4us SYN_SENT      |--SYN seq=1000 win=65495------------------>| LISTEN\n"
	"                                         |  mss=65495 ws=7 sackOK ts=100/0           |\n"
	"   4   0.000014       +5us SYN_SENT      |             LISTEN -> SYN_RECV (inferred) | SYN_RECV*\n"
	"   5   0.000020       +6us SYN_SENT      |<-----SYN,ACK seq=5000 ack=1001 win=65483--| SYN_RECV*\n"
	"                                         |  mss=65495 ws=7 sackOK ts=200/100         |\n"
	"   6   0.000025       +5us ESTABLISHED   | SYN_SENT -> ESTABLISHED                   | SYN_RECV*\n"
	"   7   0.000030       +5us ESTABLISHED   |--ACK seq=1001 ack=5001---------------. . .| SYN_RECV*\n"
	"   8   0.000031       +1us ESTABLISHED   | connect = 0                               | SYN_RECV*\n"
	"   9   0.000034       +3us ESTABLISHED   |. . .--ACK seq=1001----------------------->| SYN_RECV*\n"
	"  10   0.000035       +1us ESTABLISHED   |                   SYN_RECV -> ESTABLISHED | ESTABLISHED\n"
	"  11   0.000040       +5us ESTABLISHED   |                                accept = 4 | ESTABLISHED\n"
	"  12   0.001000     +960us ESTABLISHED   |--PSH,ACK seq=1001 ack=5001 len=5--------->| ESTABLISHED\n"
	"  13   0.001100     +100us ESTABLISHED   |<-------------------ACK seq=5001 ack=1006--| ESTABLISHED\n"
	"  14   0.002000     +900us ESTABLISHED   | shutdown(fd=3, SHUT_WR)                   | ESTABLISHED\n"
	"  15   0.002003       +3us FIN_WAIT1     | ESTABLISHED -> FIN_WAIT1                  | ESTABLISHED\n"
	"  16   0.002005       +2us FIN_WAIT1     |--FIN,ACK seq=1006 ack=5001-----------. . .| ESTABLISHED\n"
	"  17   0.002007       +2us FIN_WAIT1     | shutdown = 0                              | ESTABLISHED\n"
	"  18   0.002010       +3us FIN_WAIT1     |. . .--FIN,ACK seq=1006------------------->| ESTABLISHED\n"
	"  19   0.002011       +1us FIN_WAIT1     |                 ESTABLISHED -> CLOSE_WAIT | CLOSE_WAIT\n"
	"  20   0.002012       +1us FIN_WAIT1     |<-------------------ACK seq=5001 ack=1007--| CLOSE_WAIT\n"
	"  21   0.002016       +4us FIN_WAIT2     | FIN_WAIT1 -> FIN_WAIT2                    | CLOSE_WAIT\n"
	"  22   1.502000 +1.499984s FIN_WAIT2     |                 close(fd=4) [worker/1240] | CLOSE_WAIT\n"
	"  23   1.502002       +2us FIN_WAIT2     |                    CLOSE_WAIT -> LAST_ACK | LAST_ACK\n"
	"  24   1.502004       +2us FIN_WAIT2     |<---------------FIN,ACK seq=5001 ack=1007--| LAST_ACK\n"
	"  25   1.502008       +4us TIME_WAIT     | FIN_WAIT2 -> TIME_WAIT                    | LAST_ACK\n"
	"  26   1.502010       +2us TIME_WAIT     |--ACK seq=1007 ack=5002------------------->| LAST_ACK\n"
	"  27   1.502014       +4us TIME_WAIT     |                         LAST_ACK -> CLOSE | CLOSE\n"
	"  28   1.502015       +1us TIME_WAIT     |                   close = 0 [worker/1240] | CLOSE\n"
	"  29   1.502020       +5us TIME_WAIT     |                              socket freed | CLOSE\n"
	"\n";

/* The whole diagram of a loopback connection, line for line: merged tx/rx
 * rows, in-flight segments, client calls on the left, server calls on the
 * right, a call from another process, SYN options on a continuation line. */
static void test_loopback_exact(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render(&f, false, false);
	CHECK_EQ_STR(out, loopback_want);
	CHECK(plain_and_narrow(out));
	CHECK(!strstr(out, "1592590336") && !strstr(out, "5eed")); /* sock_id */
	free(out);
}

/* Colour marks the drawing but moves nothing: without its codes the output
 * is the plain one. */
static void test_colour_keeps_layout(void)
{
	struct fake f;

	fake_loopback(&f);
	char *plain = render(&f, false, false), *color = render(&f, true, false);
	CHECK(!has_escape(plain));
	CHECK(has_escape(color));
	CHECK_CONTAINS(color, "\033[32m--SYN seq=1000 win=65495"); /* SYN green */
	CHECK_CONTAINS(color, "\033[33m--FIN,ACK seq=1006");        /* FIN yellow */
	CHECK_CONTAINS(color, "\033[2mSYN_RECV*\033[0m");           /* inferred dim */
	CHECK_CONTAINS(color, "\033[1mFIN_WAIT1\033[0m");           /* changed bold */
	CHECK_EQ_STR(strip_sgr(color), plain);
	free(plain);
	free(color);
}

static void test_refused_remote_lane(void)
{
	struct fake f;

	fake_refused(&f);
	char *out = render(&f, false, false);
	CHECK_CONTAINS(out, "connection 2: 10.0.0.1:50000 curl/77 -> 10.0.0.2:81 (remote)\n"
			    "  started 2026-11-23 11:21:37.123456 UTC, 8 rows, complete\n");
	CHECK_CONTAINS(out,
		"   3   0.000006       +3us SYN_SENT      |--SYN seq=1000 win=64240------------------>|\n"
		"                                         |  mss=1460 ws=7 sackOK ts=55/0             |\n"
		"   4   0.000250     +244us SYN_SENT      |<==================RST,ACK seq=0 ack=1001==|\n"
		"   5   0.000251       +1us SYN_SENT      | RST received                              |\n"
		"   6   0.000252       +1us CLOSE         | SYN_SENT -> CLOSE                         |\n"
		"   7   0.000260       +8us CLOSE         | connect = -1 ECONNREFUSED                 |\n"
		"   8   0.000270      +10us CLOSE         | socket freed                              |\n");
	CHECK(plain_and_narrow(out));
	free(out);

	/* RST draws bold red */
	out = render(&f, true, false);
	CHECK_CONTAINS(out, "\033[1;31m<==================RST,ACK");
	free(out);
}

/* A server->client segment with rows between its tx and rx: the mirror image. */
static void test_server_inflight(void)
{
	struct fake f;
	struct conn_row *tx, *rx;

	fake_init(&f, 3, AF_INET, "127.0.0.1", 40000, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	f.st[C] = ST_ESTABLISHED;
	f.st[S] = ST_CLOSE_WAIT;
	fake_state(&f, 0, S, ST_CLOSE_WAIT, ST_LAST_ACK, false);
	tx = fake_seg(&f, 2, S, SYN_DIR_TX, F_FIN | F_ACK, 5, 9, 0, 100);
	fake_sys(&f, 3, S, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 4, 0, 0);
	rx = fake_seg(&f, 5, C, SYN_DIR_RX, F_FIN | F_ACK, 5, 9, 0, 100);
	fake_pair(&f, tx, rx);
	fake_state(&f, 6, C, ST_ESTABLISHED, ST_CLOSE_WAIT, false);

	char *out = render(&f, false, false);
	CHECK_CONTAINS(out,
		"   2   0.000002       +2us ESTABLISHED   |. . .-----------------FIN,ACK seq=5 ack=9--| LAST_ACK\n"
		"   3   0.000003       +1us ESTABLISHED   |                                 close = 0 | LAST_ACK\n");
	CHECK_CONTAINS(out,
		"   4   0.000005       +2us ESTABLISHED   |<----------------------FIN,ACK seq=5--. . .| LAST_ACK\n"
		"   5   0.000006       +1us CLOSE_WAIT    | ESTABLISHED -> CLOSE_WAIT                 | LAST_ACK\n");
	free(out);
}

/* --relative-seq: seq from the sender's ISN, ack from the receiver's; a
 * number whose ISN is unknown stays absolute. */
static void test_relative_seq(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render(&f, false, true);
	CHECK_CONTAINS(out, "\n   3   0.000009       +4us SYN_SENT      |--SYN seq=0 win=65495--------------------->| LISTEN\n");
	CHECK_CONTAINS(out, "\n   5   0.000020       +6us SYN_SENT      |<-----------SYN,ACK seq=0 ack=1 win=65483--| SYN_RECV*\n");
	CHECK_CONTAINS(out, "\n   7   0.000030       +5us ESTABLISHED   |--ACK seq=1 ack=1---------------------. . .| SYN_RECV*\n");
	CHECK_CONTAINS(out, "\n   9   0.000034       +3us ESTABLISHED   |. . .--ACK seq=1-------------------------->| SYN_RECV*\n");
	CHECK_CONTAINS(out, "\n  12   0.001000     +960us ESTABLISHED   |--PSH,ACK seq=1 ack=1 len=5--------------->| ESTABLISHED\n");
	CHECK_CONTAINS(out, "\n  16   0.002005       +2us FIN_WAIT1     |--FIN,ACK seq=6 ack=1-----------------. . .| ESTABLISHED\n");
	CHECK_CONTAINS(out, "\n  24   1.502004       +2us FIN_WAIT2     |<---------------------FIN,ACK seq=1 ack=7--| LAST_ACK\n");
	free(out);

	fake_refused(&f); /* the server never sent a SYN: its seq stays absolute */
	out = render(&f, false, true);
	CHECK_CONTAINS(out, "\n   4   0.000250     +244us SYN_SENT      |<=====================RST,ACK seq=0 ack=1==|\n");
	free(out);
}

static void test_incomplete_lost_header(void)
{
	struct fake f;

	fake_init(&f, 4, AF_INET, "127.0.0.1", 40001, 10, "cli", "127.0.0.1", 9000, 0, "");
	f.c.end[S].sock_id = 0x5e; /* a server socket whose process is unknown */
	f.c.complete = false;
	f.c.maybe_lost = true;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_state(&f, 1, C, ST_CLOSE, ST_SYN_SENT, false);

	char *out = render(&f, false, false), line[128];
	/* unknown server process: "?" */
	CHECK_EQ_STR(line_of(out, 0, line, sizeof(line)),
		     "connection 4: 127.0.0.1:40001 cli/10 -> 127.0.0.1:9000 ?");
	CHECK_EQ_STR(line_of(out, 1, line, sizeof(line)),
		     "  started 2026-11-23 11:21:37.123456 UTC, 2 rows, INCOMPLETE: still open when tracing stopped;");
	CHECK_EQ_STR(line_of(out, 2, line, sizeof(line)),
		     "    events were lost, this ladder may be incomplete");
	CHECK(plain_and_narrow(out));
	free(out);

	f.c.complete = true; /* complete, yet maybe lost */
	out = render(&f, false, false);
	CHECK_EQ_STR(line_of(out, 1, line, sizeof(line)),
		     "  started 2026-11-23 11:21:37.123456 UTC, 2 rows, complete;");
	CHECK_EQ_STR(line_of(out, 2, line, sizeof(line)),
		     "    events were lost, this ladder may be incomplete");
	free(out);
}

/* Widest everything: IPv6, the longest comm and pid, 32-bit numbers, every
 * flag, retransmissions, a hostile comm. Nothing may pass 100 columns, and
 * what does not fit an arrow moves to the continuation line. */
static void test_worst_case_width(void)
{
	struct fake f;
	struct conn_row *r, *tx, *rx;
	const __u32 big = 4294967295u;

	fake_init(&f, 18446744073709551615ull, AF_INET6,
		  "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535, big, "averyverylongnm",
		  "2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe", 65534, big - 1, "evil\033[2J\x7f");
	f.st[C] = ST_SYN_SENT;
	f.st[S] = ST_LISTEN;
	r = fake_seg(&f, 0, C, SYN_DIR_TX, F_SYN, big, 0, 0, 65535);
	r->marks |= ROW_RETRANSMIT;
	fake_syn_opts(r, 65535, 14, big, big);
	r = fake_row(&f, 1, C, SYN_EV_RETRANSMIT);
	r->ev.rtx.seq = big;
	fake_state(&f, 2, S, ST_LISTEN, ST_NEW_SYN_RECV, true);
	tx = fake_seg(&f, 3, C, SYN_DIR_TX, 0xff, big, big, big, 65535);
	tx->marks |= ROW_RETRANSMIT;
	r = fake_sys(&f, 4, C, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 2147483647, 2, 0);
	fake_caller(r, big - 2, "averyverylongnm");
	rx = fake_seg(&f, 5, S, SYN_DIR_RX, 0xff, big, big, big, 65535);
	rx->marks |= ROW_RETRANSMIT;
	fake_pair(&f, tx, rx);
	tx = fake_seg(&f, 6, S, SYN_DIR_TX, F_PSH | F_ACK, big, big, 65535, 65535);
	fake_sys(&f, 7, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0);
	rx = fake_seg(&f, 8, C, SYN_DIR_RX, F_PSH | F_ACK, big, big, 65535, 65535);
	fake_pair(&f, tx, rx);
	r = fake_row(&f, 9, S, SYN_EV_RESET);
	r->ev.rst.kind = SYN_RESET_SENT;
	r->ev.rst.reason = big;
	/* the largest errno the kernel returns, and one no table names */
	fake_sys(&f, 2000000000ull, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -4095);

	for (int color = 0; color < 2; color++) {
		char *out = render(&f, color, false);
		if (color)
			strip_sgr(out);
		CHECK(plain_and_narrow(out));
		CHECK(!strchr(out, '\033')); /* the comm's escape code is neutralised */
		CHECK_CONTAINS(out, "evil?[2J?/4294967294");
		CHECK_CONTAINS(out, "connection 18446744073709551615:\n"
				    "    [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535 averyverylongnm/4294967295\n"
				    "    -> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe]:65534 evil?[2J?/4294967294\n");
		/* the SYN keeps all of its label; its options come below */
		CHECK_CONTAINS(out, "|~~RETRANS SYN seq=4294967295 win=65535~~~~>|");
		CHECK_CONTAINS(out, "|  mss=65535 ws=14 sackOK                   |\n");
		CHECK_CONTAINS(out, "|  ts=4294967295/4294967295                 |\n");
		CHECK_CONTAINS(out, "| retransmit: seq=4294967295");
		CHECK_CONTAINS(out, "| NEW_SYN_RECV*\n");
		/* departing data: len then ack move below, seq stays */
		CHECK_CONTAINS(out, "|. . .--------------PSH,ACK seq=4294967295--|");
		CHECK_CONTAINS(out, "|  ack=4294967295 len=65535                 |\n");
		CHECK_CONTAINS(out, "RST sent reason=4294967295 |");
		/* a call text too long for the middle continues below */
		CHECK_CONTAINS(out, "| shutdown(fd=2147483647, SHUT_RDWR)        | NEW_SYN_RECV*\n"
				    "                                         |  [averyverylongnm/4294967293]             |\n");
		CHECK_CONTAINS(out, "connect = -1 errno 4095");
		/* 2000 s in: time and gap lose decimals to keep their columns */
		CHECK_CONTAINS(out, "\n  11 2000.00000 +1999.999s SYN_SENT      | connect = -1 errno 4095");
		free(out);
	}
}

/* Linux reports FIN_WAIT2 -> CLOSE for the full socket while the timewait
 * socket lives on: the tracker keeps the lane in its inferred TIME_WAIT, and
 * the star stays until a row sets another state. */
static void test_timewait_star(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 5, AF_INET, "127.0.0.1", 40002, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	f.st[C] = ST_FIN_WAIT2;
	f.st[S] = ST_LAST_ACK;
	fake_state(&f, 0, C, ST_FIN_WAIT2, ST_TIME_WAIT, true);
	r = fake_state(&f, 0, C, ST_FIN_WAIT2, ST_CLOSE, false);
	r->state_after[C] = f.st[C] = ST_TIME_WAIT;
	fake_state(&f, 60000000, C, ST_TIME_WAIT, ST_CLOSE, true);

	char *out = render(&f, false, false);
	CHECK_CONTAINS(out,
		"   1   0.000000         +0 TIME_WAIT*    | FIN_WAIT2 -> TIME_WAIT (inferred)         | LAST_ACK\n"
		"   2   0.000000         +0 TIME_WAIT*    | FIN_WAIT2 -> CLOSE                        | LAST_ACK\n"
		"   3  60.000000 +60.00000s CLOSE*        | TIME_WAIT -> CLOSE (inferred)             | LAST_ACK\n");
	free(out);
}

/* An arrow's label gets the room between the rails less its head and two
 * body characters at each side: 38 columns for a whole arrow. A label of
 * 38 stays whole; one of 39 gives up its window (the first to go), which
 * continues below. */
static void test_label_room_exactly(void)
{
	struct fake f;

	fake_init(&f, 6, AF_INET, "127.0.0.1", 40000, 10, "cli", "10.0.0.2", 80, 0, "");
	f.c.end[S].traced = false;
	f.st[C] = ST_ESTABLISHED;
	/* "ACK seq=1234567890 ack=123456789 win=0": 3 + 15 + 14 + 6 = 38 */
	fake_seg(&f, 1, C, SYN_DIR_TX, F_ACK, 1234567890, 123456789, 0, 0);
	/* "ACK seq=1234567890 ack=1234567890 win=0": 39 */
	fake_seg(&f, 2, C, SYN_DIR_TX, F_ACK, 1234567890, 1234567890, 0, 0);

	char *out = render(&f, false, false);
	CHECK_CONTAINS(out, "|--ACK seq=1234567890 ack=123456789 win=0-->|\n"
			    "   2   0.000001       +1us ESTABLISHED   |--ACK seq=1234567890 ack=1234567890------->|\n"
			    "                                         |  win=0                                    |\n");
	CHECK(plain_and_narrow(out));
	free(out);
}

static void test_finish_summary(void)
{
	struct sink_opts o = { 0 };
	struct capture cap;
	struct run_summary sum = { .events = 120, .lost = 4, .conns = 3, .incomplete = 1 };

	capture_start(&cap, &o);
	struct syn_sink *s = ladder_sink_new(&o);
	s->finish(s, &sum);
	s->destroy(s);
	char *out = capture_end(&cap);
	CHECK_EQ_STR(out, "synscope: 3 connections (1 incomplete), 120 events, 4 lost\n");
	free(out);
}

static char *render_width(struct fake *f, int width, __u8 explain)
{
	return render_opts(f, (struct sink_opts){ .width = width, .explain = explain });
}

/* No line wider than width display columns (a Chinese character takes two). */
static bool fits(const char *text, int width)
{
	char line[1024];
	bool ok = true;

	for (int i = 0, n = count_lines(text); i < n; i++) {
		line_of(text, i, line, sizeof(line));
		if (txt_width(line) > width) {
			fprintf(stderr, "  %d columns: %s\n", txt_width(line), line);
			ok = false;
		}
	}
	return ok;
}

/* An 80-column terminal: the middle is 23 columns (43 at 100); what does
 * not fit in a label or a call moves to continuation lines, as the SYN's
 * options always did. Lines worked out by hand from the column rule. */
static void test_width_80(void)
{
	struct fake f;
	char *out;

	fake_loopback(&f);
	out = render_width(&f, 80, 0);
	CHECK(fits(out, 80));
	CHECK_CONTAINS(out, "   #       time      delta client        | <- arrows / calls ->  | server\n"
			    "   1   0.000000         +0 CLOSE         | connect(fd=3) ...     | LISTEN\n"
			    "   2   0.000005       +5us SYN_SENT      | CLOSE -> SYN_SENT     | LISTEN\n"
			    "   3   0.000009       +4us SYN_SENT      |--SYN seq=1000-------->| LISTEN\n"
			    "                                         |  win=65495 mss=65495  |\n"
			    "                                         |  ws=7 sackOK ts=100/0 |\n"
			    "   4   0.000014       +5us SYN_SENT      |    LISTEN -> SYN_RECV | SYN_RECV*\n"
			    "                                         |  (inferred)           |\n"
			    "   5   0.000020       +6us SYN_SENT      |<----SYN,ACK seq=5000--| SYN_RECV*\n"
			    "                                         |  ack=1001 win=65483   |\n"
			    "                                         |  mss=65495 ws=7       |\n"
			    "                                         |  sackOK ts=200/100    |\n");
	CHECK_CONTAINS(out, "   7   0.000030       +5us ESTABLISHED   |--ACK seq=1001----. . .| SYN_RECV*\n"
			    "                                         |  ack=5001             |\n");
	CHECK_CONTAINS(out, "   9   0.000034       +3us ESTABLISHED   |. . .--ACK seq=1001--->| SYN_RECV*\n");
	CHECK_CONTAINS(out, "  22   1.502000 +1.499984s FIN_WAIT2     |           close(fd=4) | CLOSE_WAIT\n"
			    "                                         |  [worker/1240]        |\n");
	/* the same rows, nothing lost: 29 of them */
	CHECK_CONTAINS(out, "  29   1.502020       +5us TIME_WAIT     |          socket freed | CLOSE\n");
	free(out);

	/* explained, in both languages: the explanations wrap at 80 too */
	for (__u8 lang = EXPLAIN_EN; lang <= EXPLAIN_ZH; lang++) {
		out = render_width(&f, 80, lang);
		CHECK(fits(out, 80));
		free(out);
	}
	/* width 0 is today's 100, byte for byte */
	out = render_width(&f, 0, 0);
	CHECK_EQ_STR(out, loopback_want);
	free(out);
}

int main(void)
{
	RUN(test_loopback_exact);
	RUN(test_colour_keeps_layout);
	RUN(test_refused_remote_lane);
	RUN(test_server_inflight);
	RUN(test_relative_seq);
	RUN(test_incomplete_lost_header);
	RUN(test_worst_case_width);
	RUN(test_timewait_star);
	RUN(test_label_room_exactly);
	RUN(test_finish_summary);
	RUN(test_width_80);
	return TEST_SUMMARY();
}
