/* HTML sink: hand-built connections rendered into a page, checked for
 * structure (a small well-formedness checker, itself tested to fail on bad
 * input), escaping, one drawing per connection, one arrow per segment,
 * inferred states, banners, and the absence of kernel addresses. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include "fake_conn.h"
#include "test.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "render/explain.h"
#include "render/text_line.h"

/* ---- a tiny well-formedness checker for what the sink writes ---- */

#define MAX_DEPTH 64

static bool is_void_element(const char *name)
{
	return !strcmp(name, "meta") || !strcmp(name, "br") || !strcmp(name, "hr") ||
	       !strcmp(name, "img") || !strcmp(name, "link") || !strcmp(name, "input");
}

/* An entity the sink writes: &amp; &lt; &gt; &quot; &#39; &rarr;.
 * Returns its length, 0 if not one. */
static size_t entity_len(const char *p)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&rarr;" };

	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (!strncmp(p, ents[i], strlen(ents[i])))
			return strlen(ents[i]);
	return 0;
}

static size_t read_name(const char *p, char *name, size_t len)
{
	size_t n = 0;

	while ((isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == ':') && n + 1 < len) {
		name[n] = (char)tolower((unsigned char)p[n]);
		n++;
	}
	name[n] = '\0';
	return n;
}

static bool checker_quiet; /* while testing the checker on bad input */

/* The problem at p, printed with a little context; returns false. */
static bool bad(const char *doc, const char *p, const char *what)
{
	if (!checker_quiet)
		fprintf(stderr, "  not well-formed at byte %td: %s: \"%.40s\"\n", p - doc, what, p);
	return false;
}

/* Inside a tag, after its name: attributes name="value" until > or />.
 * Sets *self_closed; returns the position after the tag or NULL. */
static const char *check_attrs(const char *doc, const char *p, bool *self_closed)
{
	char name[32];

	*self_closed = false;
	for (;;) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (*p == '>')
			return p + 1;
		if (p[0] == '/' && p[1] == '>') {
			*self_closed = true;
			return p + 2;
		}
		if (!read_name(p, name, sizeof(name)))
			return bad(doc, p, "attribute name expected"), NULL;
		p += strlen(name);
		if (*p != '=')
			continue; /* boolean attribute: hidden */
		if (*++p != '"')
			return bad(doc, p, "attribute value not in double quotes"), NULL;
		for (p++; *p != '"'; p++) {
			if (!*p || *p == '<' || *p == '>')
				return bad(doc, p, "raw < > or end of text in an attribute value"), NULL;
			if (*p == '&' && !entity_len(p))
				return bad(doc, p, "& that starts no entity in an attribute"), NULL;
		}
		p++;
	}
}

/* Every element closed, in order; text holds no raw < >, every & an entity;
 * script and style bodies are skipped; printable ASCII, whole UTF-8 characters
 * (explanations in Chinese) and newlines only. */
static bool well_formed(const char *doc)
{
	char stack[MAX_DEPTH][16], name[16];
	int depth = 0;
	const char *p = doc;

	while (*p) {
		if (!strncmp(p, "<!DOCTYPE html>", 15)) {
			p += 15;
		} else if (p[0] == '<' && p[1] == '/') {
			p += 2 + read_name(p + 2, name, sizeof(name));
			if (!depth || strcmp(stack[depth - 1], name))
				return bad(doc, p, depth ? "closes an element that is not the innermost open one"
							 : "closes an element never opened");
			if (*p++ != '>')
				return bad(doc, p - 1, "> expected after an end tag name");
			depth--;
		} else if (p[0] == '<' && isalpha((unsigned char)p[1])) {
			bool self_closed;

			p += 1 + read_name(p + 1, name, sizeof(name));
			p = check_attrs(doc, p, &self_closed);
			if (!p)
				return false;
			if (!strcmp(name, "script") || !strcmp(name, "style")) {
				char end[24];

				snprintf(end, sizeof(end), "</%s>", name);
				p = strstr(p, end);
				if (!p)
					return bad(doc, doc, "script or style never closed");
				p += strlen(end);
			} else if (!self_closed && !is_void_element(name)) {
				if (depth == MAX_DEPTH)
					return bad(doc, p, "nested too deep");
				snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
			}
		} else if (*p == '<' || *p == '>') {
			return bad(doc, p, "raw < or > in text");
		} else if (*p == '&') {
			size_t n = entity_len(p);

			if (!n)
				return bad(doc, p, "& that starts no entity");
			p += n;
		} else if ((unsigned char)*p >= 0x80 && txt_utf8_len(p) > 1) {
			p += txt_utf8_len(p); /* whole UTF-8 characters: explanations in Chinese */
		} else if (*p != '\n' && (*p < 0x20 || *p > 0x7e)) {
			return bad(doc, p, "byte outside printable ASCII or UTF-8");
		} else {
			p++;
		}
	}
	if (depth)
		return bad(doc, p, "elements left open at the end");
	return true;
}

/* ---- rendering ---- */

/* conns rendered into one page, finished with sum. */
static char *render_page(struct fake **conns, int n, const struct run_summary *sum, bool relative)
{
	struct sink_opts o = { .relative_seq = relative, .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct capture cap;

	capture_start(&cap, &o);
	struct syn_sink *s = html_sink_new(&o);
	for (int k = 0; k < n; k++) {
		struct fake *f = conns[k];

		fake_hand_over(s, f);
	}
	s->finish(s, sum);
	s->destroy(s);
	return capture_end(&cap);
}

static char *render_one(struct fake *f)
{
	struct run_summary sum = { .events = f->c.nrows, .conns = 1 };

	return render_page(&f, 1, &sum, false);
}

/* A SYN lost once and retransmitted, still open when tracing stopped, while
 * the kernel lost events. */
static void fake_retransmitted(struct fake *f)
{
	struct conn_row *r;

	fake_init(f, 3, AF_INET, "127.0.0.1", 40000, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	f->c.complete = false;
	f->c.maybe_lost = true;
	f->st[C] = ST_CLOSE;
	f->st[S] = ST_LISTEN;
	fake_state(f, 0, C, ST_CLOSE, ST_SYN_SENT, false);
	fake_seg(f, 2, C, SYN_DIR_TX, F_SYN, 77, 0, 0, 65495);          /* dropped */
	r = fake_row(f, 1000000, C, SYN_EV_RETRANSMIT);
	r->ev.rtx.seq = 77;
	r = fake_seg_both(f, 1000002, 1000005, C, F_SYN, 77, 0, 0, 65495);
	r->marks |= ROW_RETRANSMIT;
	fake_state(f, 1000006, S, ST_LISTEN, ST_SYN_RECV, true);
	fake_seg_both(f, 1000010, 1000012, S, F_SYN | F_ACK, 900, 78, 0, 65483);
}

/* ---- the checker can fail ---- */

static void test_checker_rejects_bad_pages(void)
{
	CHECK(well_formed("<!DOCTYPE html>\n<p class=\"a\">x &amp; y<br></p><svg><line x1=\"1\"/></svg>"));
	checker_quiet = true;
	CHECK(!well_formed("<a><b></a></b>"));
	CHECK(!well_formed("<p>x < y</p>"));
	CHECK(!well_formed("<p>x > y</p>"));
	CHECK(!well_formed("<p>AT&T</p>"));
	CHECK(!well_formed("<p title=\"a\"b\">x</p>"));
	CHECK(!well_formed("<p title=\"<b>\">x</p>"));
	CHECK(!well_formed("<section><p>open</p>"));
	CHECK(!well_formed("</p>"));
	checker_quiet = false;
}

/* ---- the page ---- */

static void test_page_is_well_formed(void)
{
	struct fake a, b, c;
	struct fake *all[] = { &a, &b, &c };
	struct run_summary sum = { .events = 60, .lost = 3, .conns = 3, .incomplete = 1 };

	fake_loopback(&a);
	fake_refused(&b);
	fake_retransmitted(&c);
	for (int relative = 0; relative < 2; relative++) {
		char *out = render_page(all, 3, &sum, relative);

		CHECK(!strncmp(out, "<!DOCTYPE html>\n<html lang=\"en\">\n", 32));
		CHECK(strlen(out) > 8 && !strcmp(out + strlen(out) - 8, "</html>\n"));
		CHECK(well_formed(out));
		CHECK_EQ_INT(count_of(out, "<html"), 1);
		CHECK_EQ_INT(count_of(out, "</body>"), 1);
		free(out);
	}
}

/* Nothing the browser would fetch: the page must work without a network. */
static void test_self_contained(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render_one(&f);
	CHECK(!strstr(out, "://"));
	CHECK(!strstr(out, "src="));
	CHECK(!strstr(out, "href="));
	CHECK(!strstr(out, "@import"));
	CHECK(!strstr(out, "url("));
	free(out);
}

static void test_one_svg_per_connection(void)
{
	struct fake a, b, c;
	struct fake *all[] = { &a, &b, &c };
	struct run_summary sum = { .events = 60, .conns = 3 };

	fake_loopback(&a);
	fake_refused(&b);
	fake_retransmitted(&c);
	char *out = render_page(all, 3, &sum, false);
	CHECK_EQ_INT(count_of(out, "<svg"), 3);
	CHECK_EQ_INT(count_of(out, "</svg>"), 3);
	CHECK_EQ_INT(count_of(out, "<section class=\"conn\""), 3);
	/* in the order they finished, each its own drawing */
	const char *s1 = strstr(out, "data-conn=\"1\""), *s2 = strstr(out, "data-conn=\"2\""),
		   *s3 = strstr(out, "data-conn=\"3\"");
	CHECK(s1 && s2 && s3 && s1 < s2 && s2 < s3);
	/* the first connection's drawing is in its own section, before the second's */
	CHECK_ORDER(s1, "<svg", "data-conn=\"2\"");
	free(out);
}

/* fake_loopback has 9 segments, each seen at both ends: 9 arrows, slanted. */
static void test_arrow_per_segment(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "<g class=\"seg "), 9);
	CHECK_EQ_INT(count_of(out, "<polygon"), 9);
	CHECK_CONTAINS(out, "data-segments=\"9\"");
	CHECK_EQ_INT(count_of(out, " oneend"), 0);
	/* 2 SYNs, 2 FINs, the rest data or ACK */
	CHECK_EQ_INT(count_of(out, "<g class=\"seg syn\">"), 2);
	CHECK_EQ_INT(count_of(out, "<g class=\"seg fin\">"), 2);
	CHECK_EQ_INT(count_of(out, "<g class=\"seg data\">"), 5);

	/* the first SYN: it left on one row and arrived on the next, lower */
	const char *g = strstr(out, "<g class=\"seg syn\">");
	int y1 = -1;
	double x1, x2, y2 = -1;
	if (CHECK(g && strstr(g, "<line "))) {
		CHECK_EQ_INT(sscanf(strstr(g, "<line "), "<line x1=\"%lf\" y1=\"%d\" x2=\"%lf\" y2=\"%lf\"",
				    &x1, &y1, &x2, &y2), 4);
		CHECK(x1 < x2);   /* client (left) to server (right) */
		CHECK(y2 > y1 + 10);
	}
	CHECK_CONTAINS(out, "client -&gt; server: SYN seq=1000 win=65495\n"
			    "options: mss=65495 ws=7 sackOK ts=100/0");
	free(out);
}

/* Seen at one end only: flat arrows, one per segment, marked as such. */
static void test_one_end_arrows_are_flat(void)
{
	struct fake f;
	int y1;
	double x1, x2, y2;

	fake_refused(&f);
	char *out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "<g class=\"seg "), 2);
	CHECK_EQ_INT(count_of(out, " oneend\">"), 2);
	CHECK_CONTAINS(out, "<g class=\"seg rst oneend\">");
	const char *g = strstr(out, "<g class=\"seg rst oneend\">");
	if (CHECK(g && strstr(g, "<line "))) {
		CHECK_EQ_INT(sscanf(strstr(g, "<line "), "<line x1=\"%lf\" y1=\"%d\" x2=\"%lf\" y2=\"%lf\"",
				    &x1, &y1, &x2, &y2), 4);
		CHECK(x1 > x2);   /* from the server lane to the client's */
		CHECK(y2 == y1);
	}
	CHECK_CONTAINS(out, "(remote)");
	CHECK_CONTAINS(out, "<line class=\"lane remote\"");
	CHECK_CONTAINS(out, "connect = -1 ECONNREFUSED");
	CHECK_CONTAINS(out, "<g class=\"note rst\">");
	free(out);
}

static void test_retransmission_marked(void)
{
	struct fake f;

	fake_retransmitted(&f);
	char *out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "<g class=\"seg "), 3);
	CHECK_EQ_INT(count_of(out, "<g class=\"seg rtx\">"), 1);
	CHECK_CONTAINS(out, "RETRANS SYN seq=77");
	CHECK_CONTAINS(out, "<g class=\"note rtx\">");
	CHECK_CONTAINS(out, "retransmit: seq=77");
	free(out);
}

/* fake_loopback: one inferred state (the server's SYN_RECV), 9 reported. */
static void test_inferred_states_marked(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "<text class=\"state inferred\""), 1);
	CHECK_EQ_INT(count_of(out, "<text class=\"state\""), 9);
	CHECK_EQ_INT(count_of(out, "<circle class=\"tick inferred\""), 1);
	const char *s = strstr(out, "<text class=\"state inferred\"");
	if (CHECK(s)) {
		const char *title = strstr(s, "<title>");

		/* its tooltip starts with the change, says who inferred it, and
		 * ends inside this text element, before the next state's */
		CHECK(title && !strncmp(title + 7, "server: LISTEN -&gt; SYN_RECV", 29));
		CHECK_ORDER(s, "<title>server: LISTEN -&gt; SYN_RECV", "</text>");
		CHECK_ORDER(s, "\ninferred by synscope: the kernel does not report this change", "</text>");
		CHECK_ORDER(s, "</title>SYN_RECV</text>", "<text class=\"state\"");
	}
	free(out);
}

/* Linux reports FIN_WAIT2 -> CLOSE for the full socket while the connection
 * stays in TIME_WAIT (a timewait socket): written aside, not as the lane's state. */
static void test_timewait_socket_aside(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 5, AF_INET, "127.0.0.1", 40002, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	f.st[C] = ST_FIN_WAIT2;
	f.st[S] = ST_LAST_ACK;
	fake_seg_both(&f, 0, 2, S, F_FIN | F_ACK, 5, 9, 0, 100);
	fake_state(&f, 3, C, ST_FIN_WAIT2, ST_TIME_WAIT, true);
	r = fake_state(&f, 3, C, ST_FIN_WAIT2, ST_CLOSE, false);
	r->state_after[C] = f.st[C] = ST_TIME_WAIT;
	char *out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "<text class=\"state inferred\""), 1);
	CHECK_EQ_INT(count_of(out, "<text class=\"state aside\""), 1);
	const char *s = strstr(out, "<text class=\"state aside\"");
	if (CHECK(s)) {
		CHECK(strstr(s, "</title>socket: CLOSE</text>") != NULL);
		CHECK(strstr(s, "the connection stays in TIME_WAIT: Linux hands TIME_WAIT") != NULL);
	}
	free(out);
}

/* socket() and getsockopt(SO_ERROR) are reported on return only: their
 * boxes miss no entry. */
static void test_return_only_calls(void)
{
	struct fake f;

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "curl", "10.99.0.2", 1, 0, "");
	f.c.end[S].traced = false;
	f.st[C] = ST_CLOSE;
	fake_sys(&f, 0, C, SYN_CALL_SOCKET, SYN_PHASE_RETURN, 5, 0, 5);
	struct conn_row *r = fake_sys(&f, 9, C, SYN_CALL_GETSOCKOPT, SYN_PHASE_RETURN, 5, SO_ERROR, 0);
	r->ev.sys.level = SOL_SOCKET;
	r->ev.sys.vlen = 4;
	r->ev.sys.val[0] = ECONNREFUSED;
	fake_sys(&f, 20, C, SYN_CALL_ACCEPT, SYN_PHASE_RETURN, 3, 0, 4);
	char *out = render_one(&f);
	CHECK_CONTAINS(out, "curl/10: socket = 5 at 0.000000 s</title>");
	CHECK_CONTAINS(out, "curl/10: getsockopt(fd=5, SO_ERROR): ECONNREFUSED at 0.000009 s</title>");
	CHECK_CONTAINS(out, "curl/10: accept = 4 at 0.000020 s (its entry was not seen)</title>");
	free(out);
}

/* Socket calls: a box from entry to return on the caller's lane. */
static void test_syscall_boxes(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render_one(&f);
	/* connect, accept (return only), shutdown, close */
	CHECK_EQ_INT(count_of(out, "<g class=\"call\">"), 4);
	CHECK_EQ_INT(count_of(out, "<g class=\"call open\">"), 0);
	CHECK_CONTAINS(out, "demo-client/1234 called connect(fd=3) at 0.000000 s\n"
			    "returned connect = 0 at 0.000031 s");
	CHECK_CONTAINS(out, "accept = 4");
	CHECK_CONTAINS(out, "(its entry was not seen)");
	CHECK_CONTAINS(out, "close(fd=4) [worker/1240]");
	CHECK_CONTAINS(out, "close = 0 [worker/1240]");
	free(out);

	/* a call with no return: the box runs on to the end, marked open */
	fake_loopback(&f);
	f.c.nrows = 30; /* cut before the close's return */
	out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "<g class=\"call open\">"), 1);
	CHECK_CONTAINS(out, "close(fd=4) ... [worker/1240]");
	free(out);
}

/* Two threads of the server in read() at once: each box runs from its
 * thread's entry to that thread's return, none is left open. */
static void test_call_boxes_per_thread(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 9, AF_INET, "127.0.0.1", 40000, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	r = fake_sys(&f, 10, S, SYN_CALL_READ, SYN_PHASE_ENTRY, 4, 0, 0);
	r->ev.tid = 1240;
	r = fake_sys(&f, 20, S, SYN_CALL_READ, SYN_PHASE_ENTRY, 5, 0, 0);
	r->ev.tid = 1241;
	r = fake_sys(&f, 30, S, SYN_CALL_READ, SYN_PHASE_RETURN, 5, 0, 3);
	r->ev.tid = 1241;
	r = fake_sys(&f, 40, S, SYN_CALL_READ, SYN_PHASE_RETURN, 4, 0, 5);
	r->ev.tid = 1240;
	char *out = render_one(&f);
	CHECK(well_formed(out));
	CHECK_EQ_INT(count_of(out, "<g class=\"call\">"), 2);
	CHECK_EQ_INT(count_of(out, "<g class=\"call open\">"), 0);
	/* times from the connection's first row (10 us) */
	CHECK_CONTAINS(out, "srv/11 called read(fd=4) at 0.000000 s\nreturned read = 5 at 0.000030 s");
	CHECK_CONTAINS(out, "srv/11 called read(fd=5) at 0.000010 s\nreturned read = 3 at 0.000020 s");
	free(out);
}

/* Process names can hold anything a program puts there. */
static void test_hostile_comm_escaped(void)
{
	static const char hostile[] = "<b>&\"x'</b>";
	static const char escaped[] = "&lt;b&gt;&amp;&quot;x&#39;&lt;/b&gt;";
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 7, AF_INET, "127.0.0.1", 40000, 10, hostile, "127.0.0.1", 9000, 11, "x\"><script>");
	f.st[C] = ST_CLOSE;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	r = fake_sys(&f, 1, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0);
	fake_caller(r, 99, "a&b<c>\"d'");
	fake_seg_both(&f, 2, 3, C, F_SYN, 1, 0, 0, 100);
	char *out = render_one(&f);
	CHECK(well_formed(out));
	CHECK(!strstr(out, hostile));
	CHECK(!strstr(out, "x\"><script>"));
	CHECK_EQ_INT(count_of(out, "<script>"), 1); /* the page's own */
	CHECK(!strstr(out, "a&b"));
	CHECK_CONTAINS(out, escaped);
	CHECK_CONTAINS(out, "x&quot;&gt;&lt;script&gt;/11");
	CHECK_CONTAINS(out, "[a&amp;b&lt;c&gt;&quot;d&#39;/99]");
	free(out);

	/* bytes that are not printable ASCII never reach the page */
	fake_init(&f, 8, AF_INET, "127.0.0.1", 40000, 10, "\x1b[2J\xc3\xa9", "127.0.0.1", 9000, 11, "s");
	fake_seg_both(&f, 2, 3, C, F_SYN, 1, 0, 0, 100);
	out = render_one(&f);
	CHECK(well_formed(out));
	CHECK_CONTAINS(out, "?[2J?" "?/10");
	free(out);
}

static void test_banners(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render_one(&f);
	CHECK(!strstr(out, "INCOMPLETE"));
	CHECK(!strstr(out, "events may be missing"));
	CHECK_CONTAINS(out, "<h2>Connection 1: 127.0.0.1:41234 demo-client/1234 &rarr; "
			    "127.0.0.1:8080 demo-server/1233</h2>");
	CHECK_CONTAINS(out, "started 2026-11-23 11:21:37.123456 UTC, 36 events, 9 segments, complete");
	free(out);

	fake_retransmitted(&f);
	out = render_one(&f);
	CHECK_CONTAINS(out, "<p class=\"banner incomplete\">INCOMPLETE");
	CHECK_CONTAINS(out, "<p class=\"banner lost\">events may be missing");
	CHECK_CONTAINS(out, ", incomplete</p>");
	free(out);
}

/* Time jumps get a visible break: the loopback's close comes 1.5 s later. */
static void test_time_gap(void)
{
	struct fake f;

	fake_loopback(&f);
	char *out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "<g class=\"gap\">"), 1);
	CHECK_CONTAINS(out, ">1.499984 s later</text>");
	CHECK_CONTAINS(out, "<text class=\"time\" x=\"8\"");
	CHECK_CONTAINS(out, ">1.502020</text>");
	free(out);
}

/* Socket ids are kernel addresses: never on the page, in any form. */
static void test_no_kernel_addresses(void)
{
	struct fake a, b;
	struct fake *all[] = { &a, &b };
	struct run_summary sum = { .events = 60, .conns = 2 };

	fake_loopback(&a);
	fake_retransmitted(&b);
	for (int i = 0; i < 2; i++) {
		a.c.end[i].sock_id = 0xffff888012345678ull;
		b.c.end[i].sock_id = 0xffff888087654321ull;
	}
	char *out = render_page(all, 2, &sum, false);
	CHECK(!strstr(out, "5eed"));
	CHECK(!strstr(out, "5EED"));
	CHECK(!strstr(out, "1592590336")); /* 0x5eed0000 in decimal */
	CHECK(!strstr(out, "1592590337"));
	CHECK(!strstr(out, "ffff888"));
	CHECK(!strstr(out, "0x"));
	free(out);
}

static void test_summary_footer(void)
{
	struct run_summary sum = { .events = 120, .lost = 4, .conns = 3, .incomplete = 1 };
	char *out = render_page(NULL, 0, &sum, false);

	CHECK(well_formed(out));
	CHECK_CONTAINS(out, "<footer class=\"summary\">3 connections (1 incomplete), 120 events, 4 lost");
	CHECK_CONTAINS(out, "<p class=\"banner lost\">the kernel lost events");
	free(out);

	/* nothing traced: still a whole page that says so */
	sum = (struct run_summary){ .events = 0 };
	out = render_page(NULL, 0, &sum, false);
	CHECK(well_formed(out));
	CHECK_EQ_INT(count_of(out, "<svg"), 0);
	CHECK_CONTAINS(out, "No connection was traced.");
	CHECK_CONTAINS(out, "0 connections (0 incomplete), 0 events, 0 lost</footer>");
	free(out);

	/* segments seen only arriving from a traced sender are said */
	sum = (struct run_summary){ .events = 50, .conns = 1, .unshown = 2 };
	out = render_page(NULL, 0, &sum, false);
	CHECK(well_formed(out));
	CHECK_CONTAINS(out, "1 connection (0 incomplete), 50 events, 0 lost, 2 segments seen only "
		       "arriving: their departure never reached synscope</footer>");
	free(out);
}

/* ---- labels of crossing arrows ---- */

/* A label's box on the page: SVG text at (x, y) anchored in the middle, 17px
 * monospace (10.3 units a character, 14 above the baseline, 5 below). */
struct box {
	double x0, y0, x1, y1;
};

/* The boxes of every segment label in page, up to max. */
static int label_boxes(const char *page, struct box *b, int max)
{
	int n = 0;

	for (const char *p = strstr(page, "<g class=\"seg"); p && n < max;
	     p = strstr(p + 1, "<g class=\"seg")) {
		const char *t = strstr(p, "<text x=\"");
		double x, y;
		int len;

		if (!t || sscanf(t, "<text x=\"%lf\" y=\"%lf\"", &x, &y) != 2)
			break;
		t = strchr(t, '>') + 1;
		len = (int)strcspn(t, "<");
		b[n++] = (struct box){ x - len * 10.3 / 2, y - 14, x + len * 10.3 / 2, y + 5 };
	}
	return n;
}

static bool boxes_meet(const struct box *a, const struct box *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* Two crossing segments whose arrows have the same middle (simultaneous
 * close: A's FIN leaves, B's leaves, B's arrives, A's arrives): their labels
 * were drawn in the same place. Every pair of labels stays apart, each on
 * its own arrow, and inside the lanes. */
static void test_crossing_labels_apart(void)
{
	struct box b[8];
	struct conn_row *a, *a_rx, *c, *c_rx;
	struct fake f;
	char *out;
	int n;

	fake_init(&f, 5, AF_INET, "10.99.0.1", 40000, 10, "cli", "10.99.0.2", 9000, 11, "srv");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	a = fake_seg(&f, 10, C, SYN_DIR_TX, F_FIN | F_ACK, 1, 1, 0, 64);
	c = fake_seg(&f, 11, S, SYN_DIR_TX, F_FIN | F_ACK, 1, 1, 0, 64);
	c_rx = fake_seg(&f, 12, C, SYN_DIR_RX, F_FIN | F_ACK, 1, 1, 0, 64);
	a_rx = fake_seg(&f, 13, S, SYN_DIR_RX, F_FIN | F_ACK, 1, 1, 0, 64);
	fake_pair(&f, a, a_rx);
	fake_pair(&f, c, c_rx);
	/* and the two ACKs, crossing the same way */
	a = fake_seg(&f, 20, C, SYN_DIR_TX, F_ACK, 2, 2, 0, 64);
	c = fake_seg(&f, 21, S, SYN_DIR_TX, F_ACK, 2, 2, 0, 64);
	c_rx = fake_seg(&f, 22, C, SYN_DIR_RX, F_ACK, 2, 2, 0, 64);
	a_rx = fake_seg(&f, 23, S, SYN_DIR_RX, F_ACK, 2, 2, 0, 64);
	fake_pair(&f, a, a_rx);
	fake_pair(&f, c, c_rx);
	out = render_one(&f);
	CHECK(well_formed(out));
	n = label_boxes(out, b, 8);
	CHECK_EQ_INT(n, 4);
	for (int i = 0; i < n; i++) {
		CHECK(b[i].x0 >= 330 && b[i].x1 <= 870); /* between the lanes */
		for (int j = i + 1; j < n; j++)
			if (!CHECK(!boxes_meet(&b[i], &b[j])))
				fprintf(stderr, "  labels %d and %d meet: (%.0f,%.0f)-(%.0f,%.0f) and "
					"(%.0f,%.0f)-(%.0f,%.0f)\n", i, j, b[i].x0, b[i].y0, b[i].x1,
					b[i].y1, b[j].x0, b[j].y0, b[j].x1, b[j].y1);
	}
	free(out);
}

/* --explain: what each row means, as text under the drawing, in a list
 * that gives each its time and lane; Chinese as UTF-8. */
static void test_explained_as_text(void)
{
	for (int lang = EXPLAIN_EN; lang <= EXPLAIN_ZH; lang++) {
		int explained;
		char *out = fake_loopback_explained(html_sink_new, lang, &explained);

		CHECK(well_formed(out));
		CHECK_EQ_INT(count_of(out, "<ol class=\"explain\""), 1);
		CHECK_EQ_INT(count_of(out, "<li>"), explained);
		if (lang == EXPLAIN_EN) {
			CHECK_CONTAINS(out, "<ol class=\"explain\" lang=\"en\">");
			CHECK_CONTAINS(out, "<li><span class=\"time\">0.000009 s</span> "
				       "<span class=\"who\">client</span> handshake 1/3: SYN, the "
				       "client asks to open and picks its initial sequence number</li>");
		} else {
			CHECK_CONTAINS(out, "<ol class=\"explain\" lang=\"zh-Hans\">");
			CHECK_CONTAINS(out, "<span class=\"who\">客户端</span> 握手 1/3：SYN，"
				       "客户端请求建立连接");
		}
		free(out);
	}
	/* without --explain, no list */
	struct fake f;
	char *out;

	fake_loopback(&f);
	out = render_one(&f);
	CHECK_EQ_INT(count_of(out, "class=\"explain\""), 0);
	free(out);
}

int main(void)
{
	RUN(test_checker_rejects_bad_pages);
	RUN(test_page_is_well_formed);
	RUN(test_self_contained);
	RUN(test_one_svg_per_connection);
	RUN(test_arrow_per_segment);
	RUN(test_one_end_arrows_are_flat);
	RUN(test_retransmission_marked);
	RUN(test_inferred_states_marked);
	RUN(test_timewait_socket_aside);
	RUN(test_syscall_boxes);
	RUN(test_return_only_calls);
	RUN(test_call_boxes_per_thread);
	RUN(test_hostile_comm_escaped);
	RUN(test_banners);
	RUN(test_time_gap);
	RUN(test_no_kernel_addresses);
	RUN(test_summary_footer);
	RUN(test_explained_as_text);
	RUN(test_crossing_labels_apart);
	return TEST_SUMMARY();
}
