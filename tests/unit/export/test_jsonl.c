/* JSON Lines sink: every line a valid JSON object with the documented fields
 * in order; connection rows only from conn_done, other events live. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include "fake_conn.h"
#include "test.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "recdata.h"

/* ---- a strict, minimal JSON validator (RFC 8259) ---- */

static bool json_value(const char **p, int depth);

static void json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

/* The code point of the UTF-8 character at s, decoded by value and held to
 * RFC 3629's definition: the shortest form only (no overlong), no surrogate
 * (U+D800..U+DFFF), nothing above U+10FFFF. Its length in *n; -1 when the
 * bytes are not one character. Written apart from the writer's own check
 * (jsonl.c's table of second-byte ranges), so the two cannot share a slip. */
static long utf8_decode(const unsigned char *s, int *n)
{
	static const long least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	long cp;

	if ((s[0] & 0xe0) == 0xc0)
		*n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		*n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		*n = 4, cp = s[0] & 0x07;
	else
		return -1; /* ASCII is not here; 80-BF continue, F8-FF lead nothing */
	for (int i = 1; i < *n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the end of the text included */
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < least[*n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	return cp;
}

/* Four hex digits after \u: their value, -1 if they are not four. */
static long json_hex4(const unsigned char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static bool json_string(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;

	if (*s++ != '"')
		return false;
	while (*s != '"') {
		if (*s < 0x20) /* raw control bytes (and the end of the text) */
			return false;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				long u = json_hex4(s + 1);

				if (u < 0 || (u >= 0xdc00 && u <= 0xdfff))
					return false; /* a low surrogate alone */
				s += 5;
				if (u >= 0xd800 && u <= 0xdbff) { /* a high one: a low one must follow */
					long lo = s[0] == '\\' && s[1] == 'u' ? json_hex4(s + 2) : -1;

					if (lo < 0xdc00 || lo > 0xdfff)
						return false;
					s += 6;
				}
			} else if (*s && strchr("\"\\/bfnrt", *s)) {
				s++;
			} else {
				return false;
			}
		} else if (*s >= 0x80) {
			int n;

			if (utf8_decode(s, &n) < 0)
				return false;
			s += n;
		} else {
			s++;
		}
	}
	*p = (const char *)s + 1;
	return true;
}

static bool json_number(const char **p)
{
	const char *s = *p;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.' || *s == 'e' || *s == 'E') /* the schema has integers only */
		return false;
	*p = s;
	return true;
}

static bool json_container(const char **p, int depth, char open, char close, bool keyed)
{
	if (**p != open || depth > 8)
		return false;
	(*p)++;
	json_ws(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		json_ws(p);
		if (keyed) {
			if (!json_string(p))
				return false;
			json_ws(p);
			if (*(*p)++ != ':')
				return false;
		}
		if (!json_value(p, depth + 1))
			return false;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (*(*p)++ != ',')
			return false;
	}
}

static bool json_value(const char **p, int depth)
{
	json_ws(p);
	switch (**p) {
	case '{':
		return json_container(p, depth, '{', '}', true);
	case '[':
		return json_container(p, depth, '[', ']', false);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(*p, "true", 4) == 0 && (*p += 4);
	case 'f':
		return strncmp(*p, "false", 5) == 0 && (*p += 5);
	case 'n':
		return strncmp(*p, "null", 4) == 0 && (*p += 4);
	default:
		return json_number(p);
	}
}

/* One line is exactly one JSON object. */
static bool json_line_valid(const char *line)
{
	const char *p = line;

	return *p == '{' && json_value(&p, 0) && *p == '\0';
}

/* {"a":"TEXT"} */
static bool string_valid(const char *text)
{
	char line[64];

	snprintf(line, sizeof(line), "{\"a\":\"%s\"}", text);
	return json_line_valid(line);
}

static void test_validator_itself(void)
{
	CHECK(json_line_valid("{\"a\":[1,-2,\"x\\u00e9\"],\"b\":{\"c\":null,\"d\":true}}"));
	CHECK(!json_line_valid("{\"a\":1,}"));
	CHECK(!json_line_valid("{\"a\":\"\x01\"}"));
	CHECK(!json_line_valid("{\"a\":\"\\x\"}"));
	CHECK(!json_line_valid("{\"a\":\"\xff\"}"));
	CHECK(!json_line_valid("{\"a\":01}"));
	CHECK(!json_line_valid("{\"a\":1} x"));

	/* UTF-8 (RFC 3629): each boundary of the table, just inside and just out */
	CHECK(string_valid("\xc2\x80"));             /* U+0080, the least of two bytes */
	CHECK(!string_valid("\xc1\xbf"));            /* U+007F in two: overlong */
	CHECK(!string_valid("\xc0\x80"));            /* U+0000 in two: overlong */
	CHECK(string_valid("\xdf\xbf"));             /* U+07FF */
	CHECK(string_valid("\xe0\xa0\x80"));         /* U+0800, the least of three */
	CHECK(!string_valid("\xe0\x80\x80"));        /* U+0000 in three: overlong */
	CHECK(!string_valid("\xe0\x9f\xbf"));        /* U+07FF in three: overlong */
	CHECK(string_valid("\xed\x9f\xbf"));         /* U+D7FF, below the surrogates */
	CHECK(!string_valid("\xed\xa0\x80"));        /* U+D800, a surrogate */
	CHECK(!string_valid("\xed\xbf\xbf"));        /* U+DFFF, a surrogate */
	CHECK(string_valid("\xee\x80\x80"));         /* U+E000, above them */
	CHECK(string_valid("\xe2\x82\xac"));         /* U+20AC, the euro sign */
	CHECK(string_valid("\xf0\x90\x80\x80"));     /* U+10000, the least of four */
	CHECK(!string_valid("\xf0\x8f\xbf\xbf"));    /* U+FFFF in four: overlong */
	CHECK(string_valid("\xf4\x8f\xbf\xbf"));     /* U+10FFFF, the last code point */
	CHECK(!string_valid("\xf4\x90\x80\x80"));    /* U+110000: past the last */
	CHECK(!string_valid("\xf5\x80\x80\x80"));    /* F5 leads nothing */
	CHECK(!string_valid("\xf8\x88\x80\x80\x80")); /* nor does F8 (five bytes) */
	CHECK(!string_valid("\x80"));                /* a continuation byte alone */
	CHECK(!string_valid("\xe2\x82"));            /* cut short by the quote */
	CHECK(!string_valid("\xe2\x82x"));           /* cut short by ASCII */
	/* escapes: a surrogate only as a pair, high then low */
	CHECK(string_valid("\\ud83d\\ude00"));
	CHECK(string_valid("\\uD7FF\\uE000"));
	CHECK(!string_valid("\\ud800"));
	CHECK(!string_valid("\\ud800x"));
	CHECK(!string_valid("\\ud800\\u0041"));
	CHECK(!string_valid("\\udc00"));
	CHECK(!string_valid("\\ude00\\ud83d"));
	CHECK(!string_valid("\\u12"));
	CHECK(!string_valid("\\u12g4"));
	CHECK(!string_valid("\\u12\x10" "4"));
}

/* ---- the sink ---- */

static char *run_conn(struct fake *f, bool relative)
{
	struct sink_opts o = { .relative_seq = relative, .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct run_summary sum = { .events = 36, .conns = 1 };
	struct capture cap;

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);
	fake_hand_over(s, f);
	s->finish(s, &sum); /* writes nothing: the output stays pure JSONL */
	s->destroy(s);
	return capture_end(&cap);
}

static bool all_lines_valid(const char *out)
{
	char line[1024];
	bool ok = true;

	for (int i = 0; i < count_lines(out); i++) {
		line_of(out, i, line, sizeof(line));
		if (!json_line_valid(line)) {
			fprintf(stderr, "  invalid JSON line %d: %s\n", i, line);
			ok = false;
		}
		if (strncmp(line, "{\"v\":1,\"t_ns\":", 14) != 0) {
			fprintf(stderr, "  line %d does not start with v, t_ns: %s\n", i, line);
			ok = false;
		}
	}
	return ok;
}

/* A long or idle connection's rows come in batches while it lasts (the
 * tracker says more may come); with --explain each batch is told as part of
 * the whole: the half-close's second batch, from the server's data on, still
 * has its data after the client's FIN and the server's FIN as teardown 3/4.
 * Its end comes with its last rows, or (quiet release) in a last call of
 * none. */
static void test_explained_across_batches(void)
{
	for (int empty_end = 0; empty_end < 2; empty_end++) {
		struct sink_opts o = { .explain = EXPLAIN_EN, .wall_offset_ns = FAKE_WALL_OFFSET_NS };
		struct run_summary sum = { .conns = 1 };
		struct capture cap;
		struct fake f;
		char *out;

		fake_half_close(&f);
		capture_start(&cap, &o);
		struct syn_sink *s = jsonl_sink_new(&o);

		f.c.more_batches = true;
		s->rows(s, &f.c, f.rows, 8);
		f.c.more_batches = empty_end;
		for (size_t i = 8; i < f.c.nrows; i++)
			f.rows[i].pair -= f.rows[i].pair >= 0 ? 8 : 0;
		s->rows(s, &f.c, f.rows + 8, f.c.nrows - 8);
		f.c.more_batches = false;
		if (empty_end)
			s->rows(s, &f.c, NULL, 0);
		s->conn_done(s, &f.c);
		s->finish(s, &sum);
		s->destroy(s);
		out = capture_end(&cap);
		CHECK(all_lines_valid(out));
		CHECK_EQ_INT(count_lines(out), f.c.nrows + 1); /* and the connection line */
		CHECK_EQ_INT(count_of(out, "\"explain\":\"teardown-1\""), 1);
		CHECK_EQ_INT(count_of(out, "\"explain\":\"teardown-3\""), 1);
		CHECK_EQ_INT(count_of(out, "\"explain\":\"teardown-4\""), 1);
		CHECK_EQ_INT(count_of(out, "\"explain\":\"data-after-fin\""), 4);
		free(out);
	}
}

/* An established connection that goes quiet for 2 s on the source's clock
 * has its lines written then, not when it ends: the collector holds no rows
 * for it, and `tail -f` shows a keep-alive connection between requests. The
 * file then holds the same number of lines as without the pause. */
static void test_quiet_connection_written_then(void)
{
	struct quiet_run q;

	CHECK(recdata_quiet_run(jsonl_sink_new, &q));
	/* not quiet yet: the listener's lines only */
	CHECK_EQ_INT(count_of(q.early, "\"conn\":1,"), 0);
	CHECK(count_of(q.early, "\"conn\":0,") > 0);
	CHECK(count_of(q.quiet, "\"conn\":1,") > 20); /* the handshake's, the writes' */
	CHECK_EQ_INT(count_of(q.quiet, "\"kind\":\"connection\""), 0); /* it goes on */
	CHECK(all_lines_valid(q.paused));
	CHECK_EQ_INT(count_lines(q.paused), count_lines(q.whole));
	quiet_run_free(&q);
}

#define LO "\"saddr\":\"127.0.0.1\",\"sport\":41234,\"daddr\":\"127.0.0.1\",\"dport\":8080"
#define LO_S "\"saddr\":\"127.0.0.1\",\"sport\":8080,\"daddr\":\"127.0.0.1\",\"dport\":41234"
#define CLIENT "\"conn\":1,\"end\":\"client\",\"pid\":1234,\"comm\":\"demo-client\","
#define SERVER "\"conn\":1,\"end\":\"server\",\"pid\":1233,\"comm\":\"demo-server\","

static void test_loopback_lines(void)
{
	struct fake f;
	char line[1024];

	fake_loopback(&f);
	char *out = run_conn(&f, false);

	/* 36 rows, the destroy row is not written; the connection's line last */
	CHECK_EQ_INT(count_lines(out), 36);
	CHECK_CONTAINS(line_of(out, 35, line, sizeof(line)), "\"kind\":\"connection\"");
	CHECK(all_lines_valid(out));
	/* t_ns = 2026-11-23 11:21:37.123456 UTC + the row's offset */
	CHECK_EQ_STR(line_of(out, 0, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123456000,\"kind\":\"syscall\"," CLIENT LO
		     ",\"tid\":1234,\"name\":\"connect\",\"phase\":\"entry\",\"fd\":3}");
	CHECK_EQ_STR(line_of(out, 1, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123461000,\"kind\":\"state\"," CLIENT LO
		     ",\"from\":\"CLOSE\",\"to\":\"SYN_SENT\"}");
	CHECK_EQ_STR(line_of(out, 2, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123465000,\"kind\":\"segment\"," CLIENT LO
		     ",\"dir\":\"tx\",\"flags\":[\"SYN\"],\"seq\":1000,\"ack\":0,\"len\":0,\"win\":65495"
		     ",\"mss\":65495,\"wscale\":7,\"sack_perm\":true,\"tsval\":100,\"tsecr\":0}");
	CHECK_EQ_STR(line_of(out, 3, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123468000,\"kind\":\"segment\"," SERVER LO_S
		     ",\"dir\":\"rx\",\"flags\":[\"SYN\"],\"seq\":1000,\"ack\":0,\"len\":0,\"win\":65495"
		     ",\"mss\":65495,\"wscale\":7,\"sack_perm\":true,\"tsval\":100,\"tsecr\":0}");
	CHECK_EQ_STR(line_of(out, 4, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123470000,\"kind\":\"state\"," SERVER LO_S
		     ",\"from\":\"LISTEN\",\"to\":\"SYN_RECV\",\"inferred\":true}");
	CHECK_EQ_STR(line_of(out, 5, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123476000,\"kind\":\"segment\"," SERVER LO_S
		     ",\"dir\":\"tx\",\"flags\":[\"SYN\",\"ACK\"],\"seq\":5000,\"ack\":1001,\"len\":0,\"win\":65483"
		     ",\"mss\":65495,\"wscale\":7,\"sack_perm\":true,\"tsval\":200,\"tsecr\":100}");
	CHECK_EQ_STR(line_of(out, 9, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123487000,\"kind\":\"syscall\"," CLIENT LO
		     ",\"tid\":1234,\"name\":\"connect\",\"phase\":\"return\",\"fd\":3,\"ret\":0}");
	CHECK_EQ_STR(line_of(out, 12, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123496000,\"kind\":\"syscall\"," SERVER LO_S
		     ",\"tid\":1233,\"name\":\"accept\",\"phase\":\"return\",\"fd\":3,\"ret\":4,\"new_fd\":4}");
	CHECK_EQ_STR(line_of(out, 13, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897124456000,\"kind\":\"segment\"," CLIENT LO
		     ",\"dir\":\"tx\",\"flags\":[\"PSH\",\"ACK\"],\"seq\":1001,\"ack\":5001,\"len\":5,\"win\":512}");
	CHECK_EQ_STR(line_of(out, 17, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897125456000,\"kind\":\"syscall\"," CLIENT LO
		     ",\"tid\":1234,\"name\":\"shutdown\",\"phase\":\"entry\",\"fd\":3,\"how\":\"SHUT_WR\"}");
	CHECK_EQ_STR(line_of(out, 19, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897125461000,\"kind\":\"segment\"," CLIENT LO
		     ",\"dir\":\"tx\",\"flags\":[\"FIN\",\"ACK\"],\"seq\":1006,\"ack\":5001,\"len\":0,\"win\":512}");
	/* a syscall names its caller, not the lane's owner */
	CHECK_EQ_STR(line_of(out, 26, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432898625456000,\"kind\":\"syscall\",\"conn\":1,\"end\":\"server\","
		     "\"pid\":1240,\"comm\":\"worker\"," LO_S
		     ",\"tid\":1240,\"name\":\"close\",\"phase\":\"entry\",\"fd\":4,\"last_ref\":false}");
	CHECK_EQ_STR(line_of(out, 34, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432898625471000,\"kind\":\"syscall\",\"conn\":1,\"end\":\"server\","
		     "\"pid\":1240,\"comm\":\"worker\"," LO_S
		     ",\"tid\":1240,\"name\":\"close\",\"phase\":\"return\",\"fd\":4,\"ret\":0}");
	CHECK(!strstr(out, "destroy"));
	CHECK(!strstr(out, "1592590336")); /* sock_id */

	/* --relative-seq never changes JSONL */
	char *rel = run_conn(&f, true);
	CHECK_EQ_STR(rel, out);
	free(rel);
	free(out);
}

/* Refused by a remote host: error name, the reset, the RST segment whose pid
 * is the lane owner's (the event's own pid means nothing in softirq). */
static void test_refused_reset_retransmit(void)
{
	struct fake f;
	struct conn_row *r;
	char line[1024];

	fake_init(&f, 2, AF_INET6, "::1", 50000, 77, "curl", "::1", 81, 0, "");
	f.c.end[S].traced = false;
	r = fake_seg(&f, 0, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64240);
	r->marks |= ROW_RETRANSMIT;
	r = fake_row(&f, 1, C, SYN_EV_RETRANSMIT);
	r->ev.rtx.kind = SYN_RETRANS_SKB;
	r->ev.rtx.state = ST_SYN_SENT;
	r->ev.rtx.seq = 1000;
	r = fake_seg(&f, 2, C, SYN_DIR_RX, F_RST | F_ACK, 0, 1001, 0, 0);
	fake_caller(r, 0, "swapper/3");
	r = fake_row(&f, 3, C, SYN_EV_RESET);
	r->ev.rst.kind = SYN_RESET_RECEIVED;
	r->ev.rst.state = ST_SYN_SENT;
	r = fake_row(&f, 4, C, SYN_EV_RESET);
	r->ev.rst.kind = SYN_RESET_SENT;
	r->ev.rst.reason = 3;
	fake_sys(&f, 5, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -111);
	r = fake_row(&f, 6, C, SYN_EV_RETRANSMIT);
	r->ev.rtx.kind = SYN_RETRANS_SYNACK;
	r->ev.rtx.state = ST_SYN_RECV;
	r->ev.rtx.seq = 7;

	char *out = run_conn(&f, false);
#define V6 "\"conn\":2,\"end\":\"client\",\"pid\":77,\"comm\":\"curl\"," \
	"\"saddr\":\"::1\",\"sport\":50000,\"daddr\":\"::1\",\"dport\":81"
	CHECK(all_lines_valid(out));
	CHECK_EQ_STR(line_of(out, 0, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123456000,\"kind\":\"segment\"," V6
		     ",\"dir\":\"tx\",\"flags\":[\"SYN\"],\"seq\":1000,\"ack\":0,\"len\":0,\"win\":64240"
		     ",\"retransmit\":true}");
	CHECK_EQ_STR(line_of(out, 1, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123457000,\"kind\":\"retransmit\"," V6
		     ",\"seq\":1000,\"rtx\":\"skb\",\"state\":\"SYN_SENT\",\"cause\":\"unknown\"}");
	CHECK_EQ_STR(line_of(out, 2, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123458000,\"kind\":\"segment\"," V6
		     ",\"dir\":\"rx\",\"flags\":[\"RST\",\"ACK\"],\"seq\":0,\"ack\":1001,\"len\":0,\"win\":0}");
	CHECK_EQ_STR(line_of(out, 3, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123459000,\"kind\":\"reset\"," V6
		     ",\"rst\":\"received\",\"state\":\"SYN_SENT\",\"reason\":0}");
	CHECK_EQ_STR(line_of(out, 4, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123460000,\"kind\":\"reset\"," V6
		     ",\"rst\":\"sent\",\"state\":null,\"reason\":3}");
	CHECK_EQ_STR(line_of(out, 5, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123461000,\"kind\":\"syscall\"," V6
		     ",\"tid\":77,\"name\":\"connect\",\"phase\":\"return\",\"fd\":5,\"ret\":-111,\"error\":\"ECONNREFUSED\"}");
	CHECK_EQ_STR(line_of(out, 6, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123462000,\"kind\":\"retransmit\"," V6
		     ",\"seq\":7,\"rtx\":\"synack\",\"state\":\"SYN_RECV\",\"cause\":\"synack_timer\"}");
#undef V6
	free(out);
}

/* Events outside any connection are written live, with conn 0 and no end. */
static void test_no_conn_events_live(void)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct syn_event e = { 0 };
	struct fake f;

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);

	e.ts_ns = FAKE_T0_NS;
	e.kind = SYN_EV_SYSCALL;
	e.family = AF_INET;
	e.sport = 8080;
	e.pid = 1233;
	e.tid = 1236; /* a server thread: tid is its own */
	fake_set_comm(e.comm, "demo-server");
	e.sys.call = SYN_CALL_LISTEN;
	e.sys.fd = 3;
	e.sys.arg = 128;
	s->event(s, &e, NULL, 0);

	memset(&e, 0, sizeof(e));
	e.ts_ns = FAKE_T0_NS + 1000;
	e.kind = SYN_EV_STATE; /* a listener's state */
	e.family = AF_INET6;
	e.saddr[15] = 1;
	e.sport = 8080;
	e.pid = 1233;
	fake_set_comm(e.comm, "demo-server");
	e.state.oldstate = ST_CLOSE;
	e.state.newstate = ST_LISTEN;
	s->event(s, &e, NULL, 0);

	memset(&e, 0, sizeof(e));
	e.ts_ns = FAKE_T0_NS + 2000;
	e.kind = SYN_EV_LOST;
	e.lost.count = 5;
	s->event(s, &e, NULL, 0);

	memset(&e, 0, sizeof(e));
	e.ts_ns = FAKE_T0_NS + 3000;
	e.kind = SYN_EV_DESTROY; /* never written */
	s->event(s, &e, NULL, 0);

	fake_loopback(&f); /* a connection's event: waits for conn_done */
	s->event(s, &f.rows[0].ev, &f.c, 0);
	fflush(cap.f);
	CHECK_EQ_INT(count_lines(cap.buf), 3);
	s->destroy(s);

	char *out = capture_end(&cap), line[1024];
	CHECK(all_lines_valid(out));
	CHECK_EQ_STR(line_of(out, 0, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123456000,\"kind\":\"syscall\",\"conn\":0,\"pid\":1233,"
		     "\"comm\":\"demo-server\",\"saddr\":\"0.0.0.0\",\"sport\":8080,\"daddr\":\"0.0.0.0\","
		     "\"dport\":0,\"tid\":1236,\"name\":\"listen\",\"phase\":\"entry\",\"fd\":3,\"backlog\":128}");
	CHECK_EQ_STR(line_of(out, 1, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123457000,\"kind\":\"state\",\"conn\":0,\"pid\":1233,"
		     "\"comm\":\"demo-server\",\"saddr\":\"::1\",\"sport\":8080,\"daddr\":\"::\","
		     "\"dport\":0,\"from\":\"CLOSE\",\"to\":\"LISTEN\"}");
	CHECK_EQ_STR(line_of(out, 2, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897123458000,\"kind\":\"lost\",\"conn\":0,\"pid\":0,"
		     "\"comm\":\"\",\"saddr\":null,\"sport\":0,\"daddr\":null,\"dport\":0,\"count\":5}");
	free(out);
}

/* A call of thread 1233 on descriptor fd, with arg (a SOL_SOCKET option
 * for [gs]etsockopt). */
static struct syn_event syscall_event(__u8 call, __u8 phase, int fd, int opt)
{
	struct syn_event e = { 0 };

	e.ts_ns = FAKE_T0_NS;
	e.kind = SYN_EV_SYSCALL;
	e.pid = e.tid = 1233;
	e.sys.call = call;
	e.sys.phase = phase;
	e.sys.fd = fd;
	e.sys.level = SOL_SOCKET;
	e.sys.arg = opt;
	return e;
}

/* setsockopt(): the level and option by name (numbers for those without
 * one), the value read on entry, SO_LINGER's seconds; the return names the
 * option again. */
static void test_setsockopt_lines(void)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct syn_event e;
	char line[1024];

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);

	e = syscall_event(SYN_CALL_SETSOCKOPT, SYN_PHASE_ENTRY, 4, SO_LINGER);
	e.sys.vlen = 8;
	e.sys.val[0] = 1;
	s->event(s, &e, NULL, 0);
	e.sys.phase = SYN_PHASE_RETURN;
	s->event(s, &e, NULL, 0);
	e.sys.phase = SYN_PHASE_ENTRY;
	e.sys.level = IPPROTO_TCP;
	e.sys.arg = 4; /* TCP_KEEPIDLE */
	e.sys.vlen = 4;
	e.sys.val[0] = 7;
	e.sys.val[1] = 99; /* not read: not written */
	s->event(s, &e, NULL, 0);
	e.sys.level = 99;
	e.sys.arg = 77;
	e.sys.vlen = 0;
	s->event(s, &e, NULL, 0);
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.level = IPPROTO_TCP;
	e.sys.arg = 6; /* TCP_KEEPCNT */
	e.sys.ret = -22;
	s->event(s, &e, NULL, 0);
	s->destroy(s);

	char *out = capture_end(&cap);
	CHECK(all_lines_valid(out));
	CHECK_CONTAINS(line_of(out, 0, line, sizeof(line)),
		       ",\"name\":\"setsockopt\",\"phase\":\"entry\",\"fd\":4,\"level\":\"SOL_SOCKET\","
		       "\"optname\":\"SO_LINGER\",\"value\":1,\"linger\":0}");
	CHECK_CONTAINS(line_of(out, 1, line, sizeof(line)),
		       ",\"name\":\"setsockopt\",\"phase\":\"return\",\"fd\":4,\"level\":\"SOL_SOCKET\","
		       "\"optname\":\"SO_LINGER\",\"ret\":0}");
	CHECK_CONTAINS(line_of(out, 2, line, sizeof(line)),
		       ",\"level\":\"IPPROTO_TCP\",\"optname\":\"TCP_KEEPIDLE\",\"value\":7}");
	CHECK_CONTAINS(line_of(out, 3, line, sizeof(line)), ",\"fd\":4,\"level\":99,\"optname\":77}");
	CHECK_CONTAINS(line_of(out, 4, line, sizeof(line)),
		       ",\"optname\":\"TCP_KEEPCNT\",\"ret\":-22,\"error\":\"EINVAL\"}");
	free(out);
}

/* getsockopt(SO_ERROR), on return: the option, the error it answered as a
 * number and by name (none for 0), no value when the call failed. */
static void test_getsockopt_lines(void)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct syn_event e;
	char line[1024];

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);

	e = syscall_event(SYN_CALL_GETSOCKOPT, SYN_PHASE_RETURN, 5, SO_ERROR);
	e.sys.vlen = 4;
	e.sys.val[0] = ECONNREFUSED;
	s->event(s, &e, NULL, 0);
	e.sys.val[0] = 0;
	s->event(s, &e, NULL, 0);
	e.sys.vlen = 0;
	e.sys.ret = -EBADF;
	s->event(s, &e, NULL, 0);
	s->destroy(s);

	char *out = capture_end(&cap);
	CHECK(all_lines_valid(out));
	CHECK_CONTAINS(line_of(out, 0, line, sizeof(line)),
		       ",\"name\":\"getsockopt\",\"phase\":\"return\",\"fd\":5,\"level\":\"SOL_SOCKET\","
		       "\"optname\":\"SO_ERROR\",\"value\":111,\"so_error\":\"ECONNREFUSED\",\"ret\":0}");
	CHECK_CONTAINS(line_of(out, 1, line, sizeof(line)),
		       ",\"optname\":\"SO_ERROR\",\"value\":0,\"ret\":0}");
	CHECK_CONTAINS(line_of(out, 2, line, sizeof(line)),
		       ",\"optname\":\"SO_ERROR\",\"ret\":-9,\"error\":\"EBADF\"}");
	free(out);
}

/* sendmmsg(), recvmmsg(): the messages offered on entry ("vlen"), moved on
 * return ("ret"). */
static void test_mmsg_lines(void)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct syn_event e = syscall_event(SYN_CALL_SENDMMSG, SYN_PHASE_ENTRY, 3, 2);
	char line[1024];

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);

	s->event(s, &e, NULL, 0);
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.ret = 2;
	s->event(s, &e, NULL, 0);
	s->destroy(s);

	char *out = capture_end(&cap);
	CHECK(all_lines_valid(out));
	CHECK_CONTAINS(line_of(out, 0, line, sizeof(line)),
		       ",\"name\":\"sendmmsg\",\"phase\":\"entry\",\"fd\":3,\"vlen\":2}");
	CHECK_CONTAINS(line_of(out, 1, line, sizeof(line)),
		       ",\"name\":\"sendmmsg\",\"phase\":\"return\",\"fd\":3,\"ret\":2}");
	free(out);
}

/* socket()'s return and accept4()'s entry: the flags given, by name, a bit
 * without one in hex; none, no field; accept4()'s return has none. */
static void test_sock_flags_lines(void)
{
	struct sink_opts o = { .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;
	struct syn_event e = syscall_event(SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, SOCK_STREAM);
	char line[1024];

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);

	e.sys.ret = 3;
	s->event(s, &e, NULL, 0);
	e.sys.arg = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
	s->event(s, &e, NULL, 0);
	e = syscall_event(SYN_CALL_ACCEPT4, SYN_PHASE_ENTRY, 3, SOCK_NONBLOCK | 0x10);
	s->event(s, &e, NULL, 0);
	e.sys.phase = SYN_PHASE_RETURN;
	e.sys.ret = e.sys.new_fd = 4;
	s->event(s, &e, NULL, 0);
	s->destroy(s);

	char *out = capture_end(&cap);
	CHECK(all_lines_valid(out));
	CHECK_CONTAINS(line_of(out, 0, line, sizeof(line)),
		       ",\"name\":\"socket\",\"phase\":\"return\",\"fd\":3,\"ret\":3}");
	CHECK_CONTAINS(line_of(out, 1, line, sizeof(line)),
		       ",\"fd\":3,\"sock_flags\":[\"SOCK_NONBLOCK\",\"SOCK_CLOEXEC\"],\"ret\":3}");
	CHECK_CONTAINS(line_of(out, 2, line, sizeof(line)),
		       ",\"name\":\"accept4\",\"phase\":\"entry\",\"fd\":3,"
		       "\"sock_flags\":[\"SOCK_NONBLOCK\",\"0x10\"]}");
	CHECK_CONTAINS(line_of(out, 3, line, sizeof(line)),
		       ",\"phase\":\"return\",\"fd\":3,\"ret\":4,\"new_fd\":4}");
	free(out);
}

/* A comm is any 16 bytes: quotes, backslashes, control bytes, bytes that are
 * not UTF-8, and a name that fills all 16 without a NUL. */
static void test_hostile_comm(void)
{
	struct sink_opts o = { 0 };
	struct capture cap;
	struct syn_event e = { 0 };
	char line[1024];

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);
	e.kind = SYN_EV_SYSCALL;
	e.pid = 9;
	memcpy(e.comm, "a\"b\\c\x01\x1b\xff\xc3\xa9\x7f", 11);
	s->event(s, &e, NULL, 0);
	memcpy(e.comm, "0123456789abcdef", 16); /* no NUL */
	s->event(s, &e, NULL, 0);
	memcpy(e.comm, "ab\xe2\x82", 5); /* a character cut in half */
	s->event(s, &e, NULL, 0);
	s->destroy(s);

	char *out = capture_end(&cap);
	CHECK(all_lines_valid(out));
	CHECK_CONTAINS(line_of(out, 0, line, sizeof(line)),
		       ",\"pid\":9,\"comm\":\"a\\\"b\\\\c\\u0001\\u001b\\u00ff\xc3\xa9\\u007f\",");
	CHECK_CONTAINS(line_of(out, 1, line, sizeof(line)), ",\"comm\":\"0123456789abcdef\",");
	CHECK_CONTAINS(line_of(out, 2, line, sizeof(line)), ",\"comm\":\"ab\\u00e2\\u0082\",");
	free(out);
}

/* The connection line: its facts, set by hand, as docs/jsonl.md writes
 * them; a lane not on this host, a duration not known (null). */
static void test_connection_line(void)
{
	struct fake f;
	struct conn_facts *k = &f.facts;
	char line[1024];

	fake_init(&f, 7, AF_INET, "10.0.0.1", 40000, 300, "curl", "10.0.0.2", 80, 0, "");
	f.c.end[1].traced = false;
	f.c.maybe_lost = true;
	k->first_ts = FAKE_T0_NS;
	k->last_ts = FAKE_T0_NS + 2000000;
	k->syn_synack_ns = 30000;
	k->connect_ns = 110000;
	k->accept_ns = -1;
	k->duration_ns = 1900000;
	k->bytes[0] = 100, k->bytes[1] = 300;
	k->segs[0] = 6, k->segs[1] = 5;
	k->rtx[0] = 1;
	k->closed_first = 1;
	k->outcome = OUT_RST;
	k->rst_lane = 1;
	k->rst_reason_lane = -1; /* the peer's: no reason */
	char *out = run_conn(&f, false);

	CHECK_EQ_INT(count_lines(out), 1);
	CHECK(all_lines_valid(out));
	CHECK_EQ_STR(line_of(out, 0, line, sizeof(line)),
		     "{\"v\":1,\"t_ns\":1795432897125456000,\"kind\":\"connection\",\"conn\":7,"
		     "\"end\":\"client\",\"pid\":300,\"comm\":\"curl\",\"saddr\":\"10.0.0.1\","
		     "\"sport\":40000,\"daddr\":\"10.0.0.2\",\"dport\":80,"
		     "\"start_t_ns\":1795432897123456000,\"syn_synack_ns\":30000,"
		     "\"connect_ns\":110000,\"accept_wait_ns\":null,\"duration_ns\":1900000,"
		     "\"client_bytes\":100,\"client_segs\":6,\"client_rtx\":1,\"server_bytes\":300,"
		     "\"server_segs\":5,\"server_rtx\":0,\"server_pid\":0,\"server_comm\":\"\","
		     "\"server_remote\":true,\"closed_first\":\"server\",\"outcome\":\"rst\","
		     "\"rst_by\":\"server\",\"time_wait\":null,\"complete\":true,"
		     "\"events_lost\":true}");
	free(out);
}

/* Bytes that look like UTF-8 and are not: a surrogate, overlong forms, a
 * code point past U+10FFFF, a byte that leads nothing. Each byte of them is
 * written \u00XX (the byte as a code point), and the line stays valid. The
 * well-formed neighbours of each go out as they are. */
static void test_comm_not_quite_utf8(void)
{
	static const struct {
		const char *comm, *want;
	} cases[] = {
		{ "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080" },          /* U+D800 */
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },                      /* U+D7FF */
		{ "\xe0\x80\x80", "\\u00e0\\u0080\\u0080" },          /* overlong U+0000 */
		{ "\xe0\xa0\x80", "\xe0\xa0\x80" },                      /* U+0800 */
		{ "\xc1\xbf", "\\u00c1\\u00bf" },                       /* overlong U+007F */
		{ "\xf0\x8f\xbf\xbf", "\\u00f0\\u008f\\u00bf\\u00bf" }, /* overlong U+FFFF */
		{ "\xf0\x90\x80\x80", "\xf0\x90\x80\x80" },              /* U+10000 */
		{ "\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080" }, /* U+110000 */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },              /* U+10FFFF */
		{ "\xf5\x80\x80\x80", "\\u00f5\\u0080\\u0080\\u0080" }, /* no lead byte */
	};
	struct sink_opts o = { 0 };
	struct capture cap;
	struct syn_event e = { 0 };
	char line[1024], want[128];
	size_t n = sizeof(cases) / sizeof(cases[0]);

	capture_start(&cap, &o);
	struct syn_sink *s = jsonl_sink_new(&o);
	e.kind = SYN_EV_SYSCALL;
	for (size_t i = 0; i < n; i++) {
		memset(e.comm, 0, sizeof(e.comm));
		memcpy(e.comm, cases[i].comm, strlen(cases[i].comm));
		s->event(s, &e, NULL, 0);
	}
	/* all 16 bytes used, the last character cut after two of its three
	 * bytes; the byte after the name (padding, which a ring buffer record
	 * does not clear) is 0xAC and would complete it, but it is not the
	 * name's */
	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_LOST;
	memcpy(e.comm, "0123456789abcd\xe2\x82", 16);
	((unsigned char *)&e)[offsetof(struct syn_event, comm) + SYN_COMM_LEN] = 0xac;
	e.lost.count = 172;
	s->event(s, &e, NULL, 0);
	s->destroy(s);

	char *out = capture_end(&cap);
	CHECK(all_lines_valid(out));
	CHECK_EQ_INT(count_lines(out), (int)n + 1);
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), ",\"comm\":\"%s\",", cases[i].want);
		if (!CHECK_CONTAINS(line_of(out, (int)i, line, sizeof(line)), want))
			fprintf(stderr, "  case %zu\n", i);
	}
	CHECK_CONTAINS(line_of(out, (int)n, line, sizeof(line)),
		       ",\"comm\":\"0123456789abcd\\u00e2\\u0082\",");
	CHECK_CONTAINS(line, ",\"count\":172}");
	free(out);
}

int main(void)
{
	RUN(test_validator_itself);
	RUN(test_loopback_lines);
	RUN(test_explained_across_batches);
	RUN(test_quiet_connection_written_then);
	RUN(test_refused_reset_retransmit);
	RUN(test_no_conn_events_live);
	RUN(test_setsockopt_lines);
	RUN(test_getsockopt_lines);
	RUN(test_sock_flags_lines);
	RUN(test_mmsg_lines);
	RUN(test_hostile_comm);
	RUN(test_connection_line);
	RUN(test_comm_not_quite_utf8);
	return TEST_SUMMARY();
}
