/* Mermaid sink: hand-built connections rendered and compared with hand-written
 * diagrams; every output is checked by Mermaid's own parser in the
 * integration test test_mermaid_parse (node is not needed here). */
#define _GNU_SOURCE
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include "fake_conn.h"
#include "test.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "render/explain.h"

static char *render_all(struct fake **fs, int n, bool relative)
{
	struct sink_opts o = { .relative_seq = relative, .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct run_summary sum = { 0 };
	struct capture cap;

	capture_start(&cap, &o);
	struct syn_sink *s = mermaid_sink_new(&o);
	for (int k = 0; k < n; k++) {
		fake_hand_over(s, fs[k]);
	}
	s->finish(s, &sum);
	s->destroy(s);
	return capture_end(&cap);
}

static char *render(struct fake *f, bool relative)
{
	return render_all(&f, 1, relative);
}

/* ---- Mermaid's parser ----
 * Unit tests need neither node nor the network: with MERMAID_PARSE_DIR set
 * (tests/integration/test_mermaid_parse.sh), each diagram the tests render
 * is written there, named for what Mermaid's parser must say of it
 * (NNN-ok-DIAGRAMS.mmd or NNN-bad.mmd), and that script runs the parser. */

static int dumped;

static void dump_for_parser(const char *text, const char *what)
{
	const char *dir = getenv("MERMAID_PARSE_DIR");
	char path[PATH_MAX];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%03d-%s.mmd", dir, ++dumped, what);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

/* The parser must accept text, with this many diagrams. */
static bool parses(const char *text, int diagrams)
{
	char what[32];

	snprintf(what, sizeof(what), "ok-%d", diagrams);
	dump_for_parser(text, what);
	return true;
}

/* The parser must reject text. */
static bool rejected(const char *text)
{
	dump_for_parser(text, "bad");
	return true;
}

/* ---- the tests ---- */

static void test_loopback_exact(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render(&f, true);
	CHECK_EQ_STR(out,
		"sequenceDiagram\n"
		"    title connection 1, started 2026-11-23 11:21:37.123456 UTC\n"
		"    participant C as client 127.0.0.1:41234 demo-client/1234\n"
		"    participant S as server 127.0.0.1:8080 demo-server/1233\n"
		"    Note left of C: connect(fd=3) ...\n"
		"    Note left of C: CLOSE -> SYN_SENT\n"
		"    C->>S: SYN seq=0 win=65495 mss=65495 ws=7 sackOK ts=100/0\n"
		"    Note right of S: LISTEN -> SYN_RECV (inferred)\n"
		"    S->>C: SYN,ACK seq=0 ack=1 win=65483 mss=65495 ws=7 sackOK ts=200/100\n"
		"    Note left of C: SYN_SENT -> ESTABLISHED\n"
		"    C->>S: ACK seq=1 ack=1\n"
		"    Note left of C: connect = 0\n"
		"    Note right of S: SYN_RECV -> ESTABLISHED\n"
		"    Note right of S: accept = 4\n"
		"    C->>S: PSH,ACK seq=1 ack=1 len=5\n"
		"    S->>C: ACK seq=1 ack=6\n"
		"    Note left of C: shutdown(fd=3, SHUT_WR)\n"
		"    Note left of C: ESTABLISHED -> FIN_WAIT1\n"
		"    C->>S: FIN,ACK seq=6 ack=1\n"
		"    Note left of C: shutdown = 0\n"
		"    Note right of S: ESTABLISHED -> CLOSE_WAIT\n"
		"    S->>C: ACK seq=1 ack=7\n"
		"    Note left of C: FIN_WAIT1 -> FIN_WAIT2\n"
		"    Note right of S: close(fd=4) [worker/1240]\n"
		"    Note right of S: CLOSE_WAIT -> LAST_ACK\n"
		"    S->>C: FIN,ACK seq=1 ack=7\n"
		"    Note left of C: FIN_WAIT2 -> TIME_WAIT\n"
		"    C->>S: ACK seq=7 ack=2\n"
		"    Note right of S: LAST_ACK -> CLOSE\n"
		"    Note right of S: close = 0 [worker/1240]\n"
		"    Note right of S: socket freed\n"
		"\n");
	CHECK(parses(out, 1));
	free(out);

	/* absolute numbers by default */
	out = render(&f, false);
	CHECK_CONTAINS(out, "    S->>C: SYN,ACK seq=5000 ack=1001 win=65483 ");
	CHECK_CONTAINS(out, "    C->>S: ACK seq=1007 ack=5002\n");
	free(out);
}

/* A refused connect to a remote host: rx-only segments draw from the remote
 * lane; a retransmitted SYN is dotted. */
static void test_remote_retransmit_ipv6(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 7, AF_INET6, "fd00::1", 50000, 77, "curl", "fd00::2", 81, 0, "");
	f.c.end[S].traced = false;
	f.st[C] = ST_CLOSE;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);
	fake_state(&f, 3, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg(&f, 6, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64240);
	r = fake_row(&f, 1000006, C, SYN_EV_RETRANSMIT);
	r->ev.rtx.seq = 1000;
	r = fake_seg(&f, 1000007, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64240);
	r->marks |= ROW_RETRANSMIT;
	fake_seg(&f, 1000250, C, SYN_DIR_RX, F_RST | F_ACK, 0, 1001, 0, 0);
	fake_state(&f, 1000252, C, ST_SYN_SENT, ST_CLOSE, false);
	fake_sys(&f, 1000260, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -111);

	char *out = render(&f, false);
	CHECK_EQ_STR(out,
		"sequenceDiagram\n"
		"    title connection 7, started 2026-11-23 11:21:37.123456 UTC\n"
		"    participant C as client [fd00::1]:50000 curl/77\n"
		"    participant S as server [fd00::2]:81 (remote)\n"
		"    Note left of C: connect(fd=5) ...\n"
		"    Note left of C: CLOSE -> SYN_SENT\n"
		"    C->>S: SYN seq=1000 win=64240\n"
		"    Note left of C: retransmit: seq=1000\n"
		"    C-->>S: RETRANS SYN seq=1000 win=64240\n"
		"    S->>C: RST,ACK seq=0 ack=1001\n"
		"    Note left of C: SYN_SENT -> CLOSE\n"
		"    Note left of C: connect = -1 ECONNREFUSED\n"
		"\n");
	CHECK(parses(out, 1));
	free(out);
}

/* Process names are any bytes: the ones Mermaid reads as syntax are written
 * as its entity codes, and the result still parses. */
static void test_hostile_names(void)
{
	struct fake f;

	fake_init(&f, 3, AF_INET, "127.0.0.1", 40000, 10, "a;b#c<d&e\n%%f", "127.0.0.1", 9000, 11,
		  "x:y->>z");
	f.c.complete = false;
	f.c.maybe_lost = true;
	f.st[C] = ST_ESTABLISHED;
	f.st[S] = ST_ESTABLISHED;
	struct conn_row *r = fake_sys(&f, 1, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0);
	fake_caller(r, 12, "w;<b>#1");

	char *out = render(&f, false);
	CHECK_EQ_STR(out,
		"sequenceDiagram\n"
		"    title connection 3, started 2026-11-23 11:21:37.123457 UTC, "
		"INCOMPLETE: still open when tracing stopped, events were lost: this diagram may be incomplete\n"
		"    participant C as client 127.0.0.1:40000 a#59;b#35;c#lt;d#amp;e?%%f/10\n"
		"    participant S as server 127.0.0.1:9000 x:y->>z/11\n"
		"    Note right of S: close(fd=4) [w#59;#lt;b>#35;1/12]\n"
		"\n");
	CHECK(parses(out, 1));
	free(out);
}

/* Two connections: two diagrams, each parsed on its own. */
static void test_two_diagrams(void)
{
	struct fake a, b;
	struct fake *both[2] = { &a, &b };

	fake_loopback(&a);
	fake_loopback(&b);
	b.c.id = 2;
	char *out = render_all(both, 2, false);
	char *second = strstr(out, "\n\nsequenceDiagram\n    title connection 2,");

	CHECK(second != NULL);
	CHECK_EQ_INT(strncmp(out, "sequenceDiagram\n    title connection 1,", 39), 0);
	CHECK(parses(out, 2));
	free(out);
}

/* The parser is a real check: it rejects what is not Mermaid, and the
 * characters the sink escapes would break a diagram if left alone. */
static void test_parser_rejects(void)
{
	CHECK(rejected("sequenceDiagram\n    C->>S SYN seq=0\n"));           /* no ':' */
	CHECK(rejected("sequenceDiagram\n    Note left of C: a;b\n"));       /* raw ';' */
	CHECK(rejected("sequenceDiagram\n    participant C as x;y\n"));
	CHECK(parses("sequenceDiagram\n    Note left of C: a#59;b\n", 1));  /* escaped */
	CHECK(rejected("graph TD\n    A-->B\n"));                           /* no diagram */
}

/* Nothing but diagrams: no summary line in the output. */
static void test_finish_writes_nothing(void)
{
	char *out = render_all(NULL, 0, false);

	CHECK_EQ_STR(out, "");
	free(out);
}

/* --explain: each meaning a note over both lifelines, right after its row. */
static void test_explained_as_notes(void)
{
	for (int lang = EXPLAIN_EN; lang <= EXPLAIN_ZH; lang++) {
		int explained;
		char *out = fake_loopback_explained(mermaid_sink_new, lang, &explained);

		CHECK_EQ_INT(count_of(out, "Note over C,S: "), explained);
		if (lang == EXPLAIN_EN) {
			/* the SYN's arrow, then what it means */
			CHECK_CONTAINS(out, "win=65495 mss=65495 ws=7 sackOK ts=100/0\n"
				       "    Note over C,S: handshake 1/3: SYN, the client asks to open "
				       "and picks its initial sequence number\n");
			CHECK(parses(out, 1));
		} else {
			CHECK_CONTAINS(out, "    Note over C,S: 握手 1/3：SYN，客户端请求建立连接");
			CHECK(parses(out, 1));
		}
		free(out);
	}
}

int main(void)
{
	RUN(test_loopback_exact);
	RUN(test_remote_retransmit_ipv6);
	RUN(test_hostile_names);
	RUN(test_two_diagrams);
	RUN(test_parser_rejects);
	RUN(test_finish_writes_nothing);
	RUN(test_explained_as_notes);
	return TEST_SUMMARY();
}
