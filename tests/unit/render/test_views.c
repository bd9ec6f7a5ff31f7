/* The engineer's views (render/views.h): the histogram math, the table's
 * line, the statistics and the live view, from connections whose facts are
 * set by hand; every expected number is worked out in the comments. */
#include <errno.h>
#include <stdint.h>
#include "test.h"
#include "fake_conn.h"
#include "base/names.h"
#include "render/hist.h"
#include "render/views.h"
#include "track/conn_facts.h"
#include "track/tracker.h"

#define MS_NS 1000000ull

/* ---- histograms ------------------------------------------------------------ */

static void test_hist_slots(void)
{
	/* 0 and 1 share slot 0; slot i holds 2^i .. 2^(i+1)-1 */
	CHECK_EQ_INT(hist_slot(0), 0);
	CHECK_EQ_INT(hist_slot(1), 0);
	CHECK_EQ_INT(hist_slot(2), 1);
	CHECK_EQ_INT(hist_slot(3), 1);
	CHECK_EQ_INT(hist_slot(4), 2);
	CHECK_EQ_INT(hist_slot(7), 2);
	CHECK_EQ_INT(hist_slot(8), 3);
	CHECK_EQ_INT(hist_slot(1023), 9);
	CHECK_EQ_INT(hist_slot(1024), 10);
	CHECK_EQ_INT(hist_slot(1000030), 19); /* 2^19 = 524288 <= 1000030 < 1048576 */
	CHECK_EQ_INT(hist_slot(1ull << 63), 63);
	CHECK_EQ_INT(hist_slot(UINT64_MAX), 63);
}

static char *hist_text(const struct log2_hist *h, const char *unit)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	hist_print(f, h, unit);
	fclose(f);
	return text;
}

/* bcc's look: 40 stars for the largest count, count * 40 / largest for the
 * others (1 * 40 / 4 = 10, 2 * 40 / 4 = 20), up to the last non-empty slot. */
static void test_hist_print(void)
{
	struct log2_hist h = { { 0 }, 0, 0 };
	char *text;

	text = hist_text(&h, "usecs");
	CHECK_EQ_STR(text, ""); /* empty: nothing */
	free(text);
	hist_add(&h, 1);  /* slot 0 */
	hist_add(&h, 4);  /* slot 2, four times */
	hist_add(&h, 5);
	hist_add(&h, 6);
	hist_add(&h, 7);
	hist_add(&h, 8);  /* slot 3, twice */
	hist_add(&h, 15);
	CHECK_EQ_INT(h.n, 7);
	text = hist_text(&h, "usecs");
	CHECK_EQ_STR(text,
		"     usecs               : count    distribution\n"
		"         0 -> 1          : 1        |**********                              |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 4        |****************************************|\n"
		"         8 -> 15         : 2        |********************                    |\n");
	free(text);
}

/* ---- the table --------------------------------------------------------------- */

/* Connection 7: curl/300 at 10.0.0.1:40000 to nginx/400 at 10.0.0.2:80, ended
 * 2 ms after FAKE_T0_NS (11:21:37.123456 UTC + 2 ms = 11:21:37.125). */
static void fake_facts(struct fake *f)
{
	struct conn_facts *k = &f->facts;

	fake_init(f, 7, AF_INET, "10.0.0.1", 40000, 300, "curl", "10.0.0.2", 80, 400, "nginx");
	facts_init(k);
	k->first_ts = FAKE_T0_NS;
	k->last_ts = FAKE_T0_NS + 2 * MS_NS;
	k->syn_synack_ns = 30000;        /* 0.030 ms */
	k->connect_ns = 1000110000;      /* 1000.110 ms */
	k->duration_ns = 1234567891;     /* 1234.567 ms: truncated, not rounded */
	k->bytes[0] = 100, k->bytes[1] = 300;
	k->segs[0] = 6, k->segs[1] = 5;
	k->rtx[0] = 1;
	k->closed_first = 0;
	k->time_wait = 1;
	k->outcome = OUT_FIN;
}

static void test_table_line(void)
{
	struct fake f;
	char line[TABLE_LINE_MAX];

	fake_facts(&f);
	/* the widths: 12 6 22 22 21 21 9 9 9 10 10 6 10 6 7 6 6, one space apart */
	CHECK_EQ_STR(table_line(&f.c, FAKE_WALL_OFFSET_NS, line, sizeof(line)),
		     "11:21:37.125      7 curl/300               nginx/400              "
		     "10.0.0.1:40000        10.0.0.2:80               0.030  1000.110         - "
		     "  1234.567        100      6        300      5     1/0 client client FIN/FIN");
	CHECK_EQ_STR(table_header(line, sizeof(line)),
		     "END(UTC)       CONN CLIENT                 SERVER                 "
		     "CLIENT-ADDR           SERVER-ADDR              SYN-SA   CONNECT    ACCEPT "
		     "  DURATION  C>S-BYTES   SEGS  S>C-BYTES   SEGS     RTX CLOSED TW     ENDED");
}

/* How it ended, one word each; a name's spaces as '_'. */
static void test_table_ended(void)
{
	static const char *const names[] = { NULL, NULL, "NO_SOCKET" };
	struct fake f;
	char w[96], line[TABLE_LINE_MAX];

	fake_facts(&f);
	CHECK_EQ_STR(table_ended(&f.c, w, sizeof(w)), "FIN/FIN");
	rst_reason_names_set(names, 3);
	f.facts.outcome = OUT_RST;
	f.facts.rst_lane = 1;
	f.facts.rst_reason_lane = 1;
	f.facts.rst_reason = 2;
	CHECK_EQ_STR(table_ended(&f.c, w, sizeof(w)), "RST:server:NO_SOCKET");
	f.facts.rst_reason_lane = 0; /* the reason was another lane's: not this RST's */
	CHECK_EQ_STR(table_ended(&f.c, w, sizeof(w)), "RST:server");
	rst_reason_names_set(NULL, 0);
	f.facts.outcome = OUT_REFUSED;
	CHECK_EQ_STR(table_ended(&f.c, w, sizeof(w)), "refused");
	f.facts.outcome = OUT_EVICTED;
	f.c.evicted = EVICT_IDLE;
	CHECK_EQ_STR(table_ended(&f.c, w, sizeof(w)), "evicted:idle");
	f.facts.outcome = OUT_OPEN;
	f.c.maybe_lost = true;
	f.c.proto = 17;
	CHECK_EQ_STR(table_ended(&f.c, w, sizeof(w)), "open;udp;events-lost");
	f.c.continued = true;
	fake_set_comm(f.c.end[0].comm, "Web Content");
	table_line(&f.c, FAKE_WALL_OFFSET_NS, line, sizeof(line));
	CHECK_CONTAINS(line, ".125     7+ Web_Content/300 "); /* " " and "%6s" */
	f.c.end[1].traced = false;
	table_line(&f.c, FAKE_WALL_OFFSET_NS, line, sizeof(line));
	CHECK_CONTAINS(line, " (remote) ");
}

/* ---- statistics -------------------------------------------------------------- */

static char *stats_of(struct fake *f, int n, const struct run_summary *sum, bool report)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct syn_sink *s;

	capture_start(&cap, &o);
	s = stats_sink_new(&o);
	CHECK(s->every_conn);
	for (int i = 0; i < n; i++)
		s->conn_done(s, &f[i].c);
	if (report)
		s->report(s, sum);
	else
		s->finish(s, sum);
	s->destroy(s);
	return capture_end(&cap);
}

/* Three connections: A (the fake above: SYN-SA 30 us, slot 4; connect()
 * 1000110 us, slot 19; no accept wait; 1234 ms, slot 10; 100 and 300 bytes,
 * slots 6 and 8), B (refused by a closed port, reset NO_SOCKET: connect()
 * 25 us, slot 4; 0 ms; no bytes) and A's late continuation (not counted
 * again). */
static void test_stats(void)
{
	static const char *const names[] = { NULL, NULL, "NO_SOCKET" };
	struct run_summary sum = { .conns = 2, .unselected = 1, .open = 4 };
	struct fake f[3];
	char *text;

	fake_facts(&f[0]);
	fake_facts(&f[1]);
	f[1].c.id = 8;
	f[1].c.end[1].pid = 0;
	f[1].c.end[1].port = 9090;
	f[1].facts.outcome = OUT_REFUSED;
	f[1].facts.syn_synack_ns = -1;
	f[1].facts.connect_ns = 25000;
	f[1].facts.duration_ns = 8000;
	f[1].facts.bytes[0] = f[1].facts.bytes[1] = 0;
	f[1].facts.rtx[0] = 0;
	f[1].facts.segs[0] = f[1].facts.segs[1] = 1;
	f[1].facts.rsts[0] = (struct facts_reason){ 2, 1 };
	fake_facts(&f[2]);
	f[2].c.continued = true;
	rst_reason_names_set(names, 3);
	text = stats_of(f, 3, &sum, false);
	rst_reason_names_set(NULL, 0);
	CHECK_CONTAINS(text, "statistics: 2 connections ended, 1 late continuation of them (not "
		       "counted again); 1 more not chosen (--slower, --rst, --comm)\n");
	CHECK_CONTAINS(text, "by how they ended: fin 1, rst 0, refused 1, timeout 0, unreachable 0, "
		       "closed 0, evicted 0, open 0\n");
	CHECK_CONTAINS(text, "connect latency, the client's SYN -> SYN-ACK: 1 connection (1 more "
		       "without one)\n     usecs               : count    distribution\n"
		       "         0 -> 1          : 0        |                                        |\n");
	CHECK_CONTAINS(text, "        16 -> 31         : 1        |****************************************|\n"
		       "\nconnect() called");
	/* connect(): 25 us in slot 4, 1000110 us in slot 19 */
	CHECK_CONTAINS(text, "        16 -> 31         : 1        |****************************************|\n"
		       "        32 -> 63         : 0 ");
	CHECK_CONTAINS(text, "    524288 -> 1048575    : 1        |****************************************|\n"
		       "\naccept wait, handshake done -> accept() returned: 0 connections (2 more "
		       "without one)\n\nduration");
	/* durations: 0 ms (slot 0) and 1234 ms (slot 10) */
	CHECK_CONTAINS(text, "     msecs               : count    distribution\n"
		       "         0 -> 1          : 1        |****************************************|\n");
	CHECK_CONTAINS(text, "      1024 -> 2047       : 1        |****************************************|\n"
		       "\nbytes client -> server: 2 connections\n");
	CHECK_CONTAINS(text, "        64 -> 127        : 1        |****************************************|\n"
		       "\nbytes server -> client");
	CHECK_CONTAINS(text, "       256 -> 511        : 1        |****************************************|\n"
		       "\nprocesses");
	/* curl/300 was the client of both; nginx/400 the server of A only */
	CHECK_CONTAINS(text, "(either end; 2 processes):\n           2  curl/300\n"
		       "           1  nginx/400\n");
	CHECK_CONTAINS(text, "server ports with the most connections:\n           1  80\n"
		       "           1  9090\n");
	CHECK_CONTAINS(text, "resets sent by this host, by reason: NO_SOCKET 1\n");
	CHECK_CONTAINS(text, "drops in connections, by reason: none\n");
	CHECK_CONTAINS(text, "retransmitted segments: client 1, server 0 (of 7 and 6 sent); the "
		       "kernel's retransmission events: 0\n");
	free(text);
	text = stats_of(f, 1, &sum, true);
	CHECK_CONTAINS(text, "statistics so far (SIGUSR1): 1 connection ended, 4 open now (counted "
		       "when they end); 1 more not chosen");
	free(text);
}

/* ---- the live view ------------------------------------------------------------ */

static void hand(struct syn_sink *s, struct fake *f, struct conn_row *r)
{
	s->event(s, &r->ev, &f->c, r->end);
}

/* One second on the source's clock: connection 1 (curl/300 -> nginx/400)
 * opens with a SYN at 100 ms answered at 250 ms (150 ms); connection 2 is
 * refused (an RST sent by its server lane) and ends; one retransmission.
 * Then connection 1 ends with its client in TIME-WAIT from 1.5 s: counted
 * for 60 s. */
static void test_top(void)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct fake a, b;
	struct syn_sink *s;
	char *text, line[256];
	const char *frame2, *frame3;

	fake_init(&a, 1, AF_INET, "10.0.0.1", 40000, 300, "curl", "10.0.0.2", 80, 400, "nginx");
	fake_init(&b, 2, AF_INET, "10.0.0.1", 40001, 300, "curl", "10.0.0.2", 81, 0, "");
	capture_start(&cap, &o);
	s = top_sink_new(&o);
	s->clock(s, FAKE_T0_NS);                      /* the first second begins */
	hand(s, &a, fake_state(&a, 90000, 0, ST_CLOSE, ST_SYN_SENT, false));
	hand(s, &a, fake_seg(&a, 100000, 0, SYN_DIR_TX, SYN_TCP_SYN, 1, 0, 0, 64));
	hand(s, &a, fake_seg(&a, 250000, 0, SYN_DIR_RX, SYN_TCP_SYN | SYN_TCP_ACK, 9, 2, 0, 64));
	hand(s, &a, fake_state(&a, 250010, 0, ST_SYN_SENT, ST_ESTABLISHED, false));
	hand(s, &a, fake_state(&a, 250020, 1, ST_SYN_RECV, ST_ESTABLISHED, false));
	hand(s, &b, fake_seg(&b, 300000, 1, SYN_DIR_TX, SYN_TCP_RST | SYN_TCP_ACK, 0, 1, 0, 0));
	hand(s, &b, fake_seg(&b, 300010, 0, SYN_DIR_RX, SYN_TCP_RST | SYN_TCP_ACK, 0, 1, 0, 0));
	hand(s, &a, fake_row(&a, 400000, 0, SYN_EV_RETRANSMIT));
	s->conn_done(s, &b.c);
	s->clock(s, FAKE_T0_NS + 500 * MS_NS);       /* not a second yet: no screen */
	s->clock(s, FAKE_T0_NS + 1000 * MS_NS);
	a.c.end[0].state = ST_TIME_WAIT;
	a.c.end[0].tw_since = FAKE_T0_NS + 1500 * MS_NS;
	s->conn_done(s, &a.c);
	s->clock(s, FAKE_T0_NS + 2000 * MS_NS);
	s->clock(s, FAKE_T0_NS + 61500 * MS_NS);      /* 2MSL after 1.5 s: gone, a screen */
	s->clock(s, FAKE_T0_NS + 62000 * MS_NS);      /* half a second later: none */
	s->finish(s, NULL);
	s->destroy(s);
	text = capture_end(&cap);

	CHECK(!strncmp(text, "\033[?1049h\033[?25l\033[H", 17));
	CHECK_EQ_STR(line_of(text, 0, line, sizeof(line)), "\033[?1049h\033[?25l\033[Hsynscope --top  "
		     "2026-11-23 11:21:38 UTC  every 1 s, Ctrl-C ends\033[K");
	CHECK_EQ_STR(line_of(text, 1, line, sizeof(line)), "last 1.00 s: 2.0 new connections/s, "
		     "1.0 ended/s, 1.0 resets/s, 1.0 retransmissions/s\033[K");
	CHECK_EQ_STR(line_of(text, 2, line, sizeof(line)),
		     "open: 1 connection; their ends: ESTABLISHED 2; TIME-WAIT after the end: 0\033[K");
	CHECK_CONTAINS(text, "\nPROCESS                     CONNS    SYN  ESTAB  CLOSING  TIME-WAIT\033[K\n"
		       "curl/300                        1      0      1        0          0\033[K\n"
		       "nginx/400                       1      0      1        0          0\033[K\n");
	CHECK_CONTAINS(text, "slowest handshakes of the last 1.00 s (the client's SYN -> SYN-ACK, "
		       "ms):\033[K\n     150.000  conn 1        curl/300                 -> 10.0.0.2:80"
		       "\033[K\n\033[J");
	frame2 = strstr(text + 1, "\033[Hsynscope --top  2026-11-23 11:21:39");
	if (CHECK(frame2 != NULL)) {
		CHECK_CONTAINS(frame2, "last 1.00 s: 0.0 new connections/s, 1.0 ended/s, 0.0 resets/s");
		CHECK_CONTAINS(frame2, "open: 0 connections; their ends:; TIME-WAIT after the end: 1");
		CHECK_CONTAINS(frame2, "\ncurl/300                        0      0      0        0"
			       "          1\033[K\n");
		CHECK_CONTAINS(frame2, "  none measured");
	}
	/* 11:21:37.123456 + 61.5 s = 11:22:38.623456 */
	frame3 = frame2 ? strstr(frame2 + 1, "\033[Hsynscope --top  2026-11-23 11:22:38") : NULL;
	if (CHECK(frame3 != NULL)) {
		CHECK(!strstr(frame3 + 1, "\033[Hsynscope"));
		CHECK_CONTAINS(frame3, "last 59.50 s: 0.0 new connections/s");
		CHECK_CONTAINS(frame3, "TIME-WAIT after the end: 0\033[K");
		CHECK(!strstr(frame3, "curl/300"));
	}
	/* the terminal as it was, once */
	CHECK_CONTAINS(text, "\033[J\033[?25h\033[?1049l");
	CHECK(!strstr(strstr(text, "\033[?1049l") + 1, "\033[?1049l"));
	free(text);
}

int main(void)
{
	RUN(test_hist_slots);
	RUN(test_hist_print);
	RUN(test_table_line);
	RUN(test_table_ended);
	RUN(test_stats);
	RUN(test_top);
	return TEST_SUMMARY();
}
