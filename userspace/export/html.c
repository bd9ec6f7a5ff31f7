/* HTML sink: one self-contained page (no network needed: no scripts, styles
 * or fonts from elsewhere) with one SVG ladder per connection, drawn big
 * enough for a classroom projector. docs/html.md says what it shows.
 *
 * Time runs down the page, one step per row of the connection; the client
 * lane is on the left, the server lane on the right. Everything is drawn
 * here in C: the page needs no script to show the diagrams, the little
 * inline script only copies hover details into a large box. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "base/names.h"
#include "export/exports.h"
#include "render/explain.h"
#include "render/text_event.h"
#include "render/text_line.h"
#include "render/text_summary.h"
#include "render/text_time.h"
#include "track/conn_facts.h"

/* SVG geometry, in SVG units (the drawing scales to the page width). */
#define SVG_W 1100
#define LANE_X0 330            /* client lane */
#define LANE_X1 870            /* server lane */
#define LANE_HEAD_Y 34         /* "client" / "server" */
#define TOP_Y 124              /* first row */
#define ROW_H 34               /* one row of the connection */
#define GAP_H 40               /* extra room where time jumps */
#define GAP_NS 100000000ull    /* jumps of 100 ms or more get that room */
#define BOTTOM_H 30
#define TIME_X 8               /* the time column's left edge */
#define STATE_GAP 16           /* state names keep this far from the lane */
#define BAR_W 14               /* a syscall's box on the lane */
#define HEAD_LEN 16            /* arrowhead */
#define HEAD_HALF 7
#define LABEL_RISE 7           /* a label sits this far above its arrow */
#define LABEL_CHAR_W 10.3      /* width of one label character (17px monospace) */
#define LABEL_ASCENT 16        /* a label's box: above its baseline (the font's: 15.8 px) ... */
#define LABEL_DESCENT 5        /* ... and below */
#define LABEL_MARGIN 6         /* labels keep this far inside the lanes */
#define HTML_TCP_TIME_WAIT 6   /* kernel TCP_TIME_WAIT */

struct html_sink {
	struct syn_sink base;
	struct sink_opts opts;
	bool started;          /* the page head is written */
};

/* ---- escaping ---- */

/* s as HTML text or attribute value: every character that could end an
 * element or an attribute is an entity. Trace text is already ASCII
 * (txt_comm() and friends); anything else that slipped through shows as '?'. */
static void html_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '\n': fputc('\n', f); break; /* a tooltip's line break */
		default:
			fputc((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?', f);
		}
	}
}

/* Text that may hold UTF-8 (explanations in Chinese) as HTML text: escaped
 * like html_put, whole UTF-8 characters kept, anything else '?'. */
static void html_put_utf8(FILE *f, const char *s)
{
	while (*s) {
		int n = txt_utf8_len(s);

		if (n > 1) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		} else {
			char one[2] = { n ? *s : '?', '\0' };

			html_put(f, one);
			s++;
		}
	}
}

/* printf, then html_put: for any text that holds something from the trace. */
__attribute__((format(printf, 2, 3)))
static void html_putf(FILE *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	html_put(f, buf);
}

/* printf at the end of the text in buf, cut to fit: tooltips are built in pieces. */
__attribute__((format(printf, 3, 4)))
static void html_addf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* A hover text: <title> gives the browser's own tooltip, the page's script
 * also shows it in the details box. Lines are separated by '\n'. */
static void html_title(FILE *f, const char *text)
{
	fputs("<title>", f);
	html_put(f, text);
	fputs("</title>", f);
}

/* ---- the page ---- */

static const char page_head[] =
"<!DOCTYPE html>\n"
"<html lang=\"en\">\n"
"<head>\n"
"<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<meta name=\"generator\" content=\"synscope\">\n"
"<title>synscope: TCP connections</title>\n"
"<style>\n"
"body { font-family: \"DejaVu Sans\", \"Liberation Sans\", Arial, sans-serif;\n"
"  font-size: 20px; margin: 1em 2em 6em; color: #111; background: #fff; }\n"
"h1 { font-size: 1.6em; margin: 0.2em 0; }\n"
"h2 { font-size: 1.35em; margin: 1.2em 0 0.2em; }\n"
"section.conn { border-top: 3px solid #999; margin-top: 1.5em; }\n"
".meta { margin: 0.2em 0 0.5em; color: #333; }\n"
".banner { display: inline-block; font-weight: bold; padding: 0.2em 0.6em;\n"
"  margin: 0.2em 0.5em 0.2em 0; border: 3px solid; border-radius: 6px; }\n"
".banner.incomplete { color: #8a4b00; border-color: #e08a00; background: #fff4e0; }\n"
".banner.lost { color: #a00000; border-color: #d00000; background: #ffecec; }\n"
".key { display: inline-block; margin: 0.15em 0.9em 0.15em 0; padding-bottom: 2px;\n"
"  border-bottom: 5px solid; }\n"
".key.syn { border-color: #138a36; }\n"
".key.fin { border-color: #c76b00; }\n"
".key.rst { border-color: #d00000; }\n"
".key.rtx { border-color: #b0169e; border-bottom-style: dashed; }\n"
".key.data { border-color: #1f3f8f; }\n"
".key.call { border-color: #7a8fb8; border-bottom-width: 12px; }\n"
".key.inferred { font-style: italic; color: #777; border-color: transparent; }\n"
"svg.ladder { display: block; width: 100%; max-width: 1500px; height: auto; margin: 0.5em 0; }\n"
"svg.ladder text { font-family: \"DejaVu Sans Mono\", \"Liberation Mono\", monospace;\n"
"  font-size: 17px; fill: #111; }\n"
"svg.ladder .lanehead { font-family: \"DejaVu Sans\", \"Liberation Sans\", Arial, sans-serif;\n"
"  font-size: 26px; font-weight: bold; }\n"
"svg.ladder .laneinfo { font-size: 17px; }\n"
"svg.ladder .lane { stroke: #444; stroke-width: 4; }\n"
"svg.ladder .lane.remote { stroke-dasharray: 10 8; }\n"
"svg.ladder .time { font-size: 14px; fill: #777; }\n"
"svg.ladder .gap line { stroke: #bbb; stroke-width: 2; stroke-dasharray: 4 6; }\n"
"svg.ladder .gap text { fill: #777; font-style: italic; }\n"
"svg.ladder .seg line { stroke-width: 3; }\n"
"svg.ladder .seg text { paint-order: stroke; stroke: #fff; stroke-width: 5px;\n"
"  stroke-linejoin: round; }\n"
"svg.ladder .seg.data line { stroke: #1f3f8f; }\n"
"svg.ladder .seg.data polygon { fill: #1f3f8f; }\n"
"svg.ladder .seg.syn line { stroke: #138a36; }\n"
"svg.ladder .seg.syn polygon { fill: #138a36; }\n"
"svg.ladder .seg.fin line { stroke: #c76b00; }\n"
"svg.ladder .seg.fin polygon { fill: #c76b00; }\n"
"svg.ladder .seg.rst line { stroke: #d00000; stroke-width: 5; }\n"
"svg.ladder .seg.rst polygon { fill: #d00000; }\n"
"svg.ladder .seg.rst text { fill: #d00000; font-weight: bold; }\n"
"svg.ladder .seg.rtx line { stroke: #b0169e; stroke-dasharray: 10 6; }\n"
"svg.ladder .seg.rtx polygon { fill: #b0169e; }\n"
"svg.ladder .seg.rtx text { fill: #b0169e; }\n"
"svg.ladder .seg.oneend line { stroke-dasharray: 2 5; stroke-linecap: round; }\n"
"svg.ladder .seg:hover line { stroke-width: 6; }\n"
"svg.ladder .call rect { fill: #dbe3f3; stroke: #7a8fb8; stroke-width: 2; }\n"
"svg.ladder .call.open rect { stroke-dasharray: 5 4; }\n"
"svg.ladder .call text { fill: #23346b; }\n"
"svg.ladder .call:hover rect { fill: #b9c8ea; }\n"
"svg.ladder .state { font-family: \"DejaVu Sans\", \"Liberation Sans\", Arial, sans-serif;\n"
"  font-size: 19px; font-weight: bold; }\n"
"svg.ladder .state.inferred { font-weight: normal; font-style: italic; fill: #777; }\n"
"svg.ladder .state.aside { font-weight: normal; font-size: 15px; fill: #777; }\n"
"svg.ladder .tick { fill: #444; }\n"
"svg.ladder .tick.inferred { fill: #fff; stroke: #777; stroke-width: 2; }\n"
"svg.ladder .note text { fill: #555; font-style: italic; }\n"
"svg.ladder .note.rtx text { fill: #b0169e; font-style: normal; font-weight: bold; }\n"
"svg.ladder .note.rst text { fill: #d00000; font-style: normal; font-weight: bold; }\n"
"ol.explain { margin: 0.3em 0 1em; padding-left: 2.2em; }\n"
"ol.explain li { margin: 0.15em 0; }\n"
"ol.explain .time { font-family: \"DejaVu Sans Mono\", \"Liberation Mono\", monospace;\n"
"  font-size: 0.85em; color: #777; }\n"
"ol.explain .who { font-weight: bold; }\n"
"footer.summary { margin-top: 2em; padding-top: 0.5em; border-top: 3px solid #999;\n"
"  font-size: 1.1em; }\n"
"#details { position: fixed; left: 1em; right: 1em; bottom: 0.5em; padding: 0.4em 0.8em;\n"
"  font-size: 22px; white-space: pre-line; background: #fffbe0; border: 2px solid #c9b458;\n"
"  border-radius: 6px; }\n"
"</style>\n"
"</head>\n"
"<body>\n"
"<h1>synscope: TCP connections</h1>\n"
"<p class=\"legend\">"
"<span class=\"key syn\">SYN</span>"
"<span class=\"key data\">data / ACK</span>"
"<span class=\"key fin\">FIN</span>"
"<span class=\"key rst\">RST</span>"
"<span class=\"key rtx\">retransmission</span>"
"<span class=\"key call\">socket call (box on the caller&#39;s lane)</span>"
"<span class=\"key inferred\">STATE inferred by synscope</span>"
"</p>\n"
"<p class=\"meta\">Time runs down. A slanted arrow was seen leaving one end and arriving at\n"
"the other; a dotted flat arrow was seen at one end only. Point at anything for details.</p>\n";

/* The hover box: shows the <title> of whatever the pointer is over. */
static const char page_tail[] =
"<div id=\"details\" hidden></div>\n"
"<script>\n"
"(function () {\n"
"  var box = document.getElementById('details');\n"
"  document.addEventListener('mouseover', function (ev) {\n"
"    for (var n = ev.target; n && n.querySelector; n = n.parentNode) {\n"
"      var t = n.querySelector(':scope > title');\n"
"      if (t) { box.textContent = t.textContent; box.hidden = false; return; }\n"
"    }\n"
"    box.hidden = true;\n"
"  });\n"
"})();\n"
"</script>\n"
"</body>\n"
"</html>\n";

static void html_start(struct html_sink *hs)
{
	if (hs->started)
		return;
	hs->started = true;
	fputs(page_head, hs->opts.out);
}

/* ---- one connection ---- */

/* A segment label's box on the page. */
struct label_box {
	double x0, y0, x1, y1;
};

struct html_ctx {
	const struct conn *c;
	const struct sink_opts *o;
	FILE *f;
	struct seq_base base;
	int *y;                /* each row's y */
	bool *drawn;           /* syscall returns already drawn with their entry */
	__u64 t0;
	struct label_box *labels; /* the segment labels placed so far */
	size_t nlabels;
};

static int lane_x(int end)
{
	return end ? LANE_X1 : LANE_X0;
}

/* +1 when text beside lane end runs into the middle, towards the other lane. */
static int lane_inward(int end)
{
	return end ? -1 : 1;
}

static const struct seq_base *html_base(const struct html_ctx *x)
{
	return x->o->relative_seq ? &x->base : NULL;
}

static __u64 html_rel_ns(const struct html_ctx *x, __u64 ts)
{
	return ts > x->t0 ? ts - x->t0 : 0;
}

/* "0.001234 s" since the connection's first row. */
static char *html_time(const struct html_ctx *x, __u64 ts, char *buf, size_t len)
{
	char s[32];

	snprintf(buf, len, "%s s", txt_seconds(html_rel_ns(x, ts), 0, s, sizeof(s)));
	return buf;
}

/* Rows one step apart; a jump in time of GAP_NS or more gets extra room. */
static int html_layout(struct html_ctx *x)
{
	const struct conn *c = x->c;
	int y = TOP_Y;

	for (size_t i = 0; i < c->nrows; i++) {
		if (i > 0) {
			__u64 a = c->rows[i - 1].ev.ts_ns, b = c->rows[i].ev.ts_ns;

			y += ROW_H + (b > a && b - a >= GAP_NS ? GAP_H : 0);
		}
		x->y[i] = y;
	}
	return (c->nrows ? y : TOP_Y - ROW_H) + ROW_H / 2 + BOTTOM_H;
}

/* Row i's segment and row *p are the same segment seen at both ends. */
static bool html_pair_of(const struct conn *c, size_t i, size_t *p)
{
	__s32 q = c->rows[i].pair;

	if (q < 0 || (size_t)q >= c->nrows || (size_t)q == i)
		return false;
	if (c->rows[q].ev.kind != SYN_EV_SEGMENT || c->rows[q].pair != (__s32)i)
		return false;
	*p = (size_t)q;
	return true;
}

/* Arrows drawn for c: a segment seen at both ends is one arrow. */
static size_t html_count_segments(const struct conn *c)
{
	size_t n = 0, p;

	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].ev.kind == SYN_EV_SEGMENT && !(html_pair_of(c, i, &p) && p < i))
			n++;
	return n;
}

static double html_sqrt(double v)
{
	double r = v > 1 ? v : 1;

	for (int i = 0; i < 40; i++) /* Newton: no libm needed for one length */
		r = 0.5 * (r + v / r);
	return r;
}

static const char *html_seg_class(unsigned int flags, bool retrans)
{
	switch (txt_segment_color(flags, retrans)) {
	case TXT_RETRANS: return "rtx";
	case TXT_RST: return "rst";
	case TXT_SYN: return "syn";
	case TXT_FIN: return "fin";
	default: return "data";
	}
}

static bool label_free(const struct html_ctx *x, const struct label_box *b)
{
	for (size_t i = 0; i < x->nlabels; i++) {
		const struct label_box *o = &x->labels[i];

		if (b->x0 < o->x1 && o->x0 < b->x1 && b->y0 < o->y1 && o->y0 < b->y1)
			return false;
	}
	return true;
}

/* Where a label half wide goes on the arrow from (x1, y1) by (dx, dy): over
 * its middle, high enough to clear its slant, unless another label is there
 * (two arrows that cross can have the same middle): then further along the
 * arrow, nearer its sender first; as a last resort, above. Returns its
 * centre's x and its baseline's y; the box is kept. */
static void label_place(struct html_ctx *x, double x1, double y1, double dx, double dy,
			double half, double *cx, double *cy)
{
	static const double along[] = { 0.5, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88 };
	double lo = LANE_X0 + half + LABEL_MARGIN, hi = LANE_X1 - half - LABEL_MARGIN;
	double rise = LABEL_RISE + (dy < 0 ? -dy : dy) / (dx < 0 ? -dx : dx) * half;
	struct label_box b;

	for (size_t k = 0; k < 2 * sizeof(along) / sizeof(along[0]) + 40; k++) {
		double t = along[k < 7 ? k : 0];

		*cx = x1 + t * dx;
		*cx = lo > hi ? (LANE_X0 + LANE_X1) / 2.0 : *cx < lo ? lo : *cx > hi ? hi : *cx;
		*cy = y1 + t * dy - rise;
		if (k >= 7) /* stacked above the middle, a line at a time */
			*cy -= (double)(k - 6) * (LABEL_ASCENT + LABEL_DESCENT + 1);
		b = (struct label_box){ *cx - half, *cy - LABEL_ASCENT, *cx + half, *cy + LABEL_DESCENT };
		if (label_free(x, &b))
			break;
	}
	if (x->labels)
		x->labels[x->nlabels++] = b;
}

/* The segment of row i: an arrow from the sender's lane to the receiver's,
 * from the row it left to the row it arrived when both were seen. */
static void html_draw_segment(struct html_ctx *x, size_t i)
{
	const struct conn *c = x->c;
	const struct conn_row *r = &c->rows[i], *tx = r, *rx = NULL;
	const struct syn_event *e = &r->ev;
	int from = seg_sender(e, r->end & 1), to = 1 - from;
	bool retrans = r->marks & ROW_RETRANSMIT;
	size_t p;
	struct seg_text t;
	char joined[160], label[200], tip[600], a[32], b[32], d[32], abs[80] = "";

	if (html_pair_of(c, i, &p)) {
		rx = &c->rows[p];
		if (e->seg.dir == SYN_DIR_RX) { /* only if it arrived before it left */
			tx = rx;
			rx = r;
		}
		retrans |= rx->marks & ROW_RETRANSMIT;
	}
	int y1 = x->y[tx - c->rows], y2 = rx ? x->y[rx - c->rows] : y1;
	double x1 = lane_x(from), x2 = lane_x(to), dx = x2 - x1, dy = y2 - y1;
	double len = html_sqrt(dx * dx + dy * dy), ux = dx / len, uy = dy / len;
	double bx = x2 - ux * HEAD_LEN, by = y2 - uy * HEAD_LEN; /* the head's base */

	seg_text_build(&t, e, r->end & 1, html_base(x));
	snprintf(label, sizeof(label), "%s%s", retrans ? "RETRANS " : "",
		 seg_text_join(&t, SEG_TOK_ALL, joined, sizeof(joined)));
	if (x->o->relative_seq)
		snprintf(abs, sizeof(abs), "\nabsolute seq=%u ack=%u", e->seg.seq, e->seg.ack);

	snprintf(tip, sizeof(tip), "%s -> %s: %s%s%s%s", txt_lane_name(from), txt_lane_name(to),
		 label, t.opts[0] ? "\noptions: " : "", t.opts, abs);
	if (rx)
		html_addf(tip, sizeof(tip), "\nleft the %s at %s, arrived at the %s at %s (%s)",
			  txt_lane_name(from), html_time(x, tx->ev.ts_ns, a, sizeof(a)),
			  txt_lane_name(to), html_time(x, rx->ev.ts_ns, b, sizeof(b)),
			  txt_delta(rx->ev.ts_ns > tx->ev.ts_ns ? rx->ev.ts_ns - tx->ev.ts_ns : 0,
				    d, sizeof(d)));
	else
		html_addf(tip, sizeof(tip), "\nseen %s the %s at %s only: %s",
			  e->seg.dir == SYN_DIR_TX ? "leaving" : "arriving at", txt_lane_name(r->end & 1),
			  html_time(x, e->ts_ns, a, sizeof(a)),
			  e->seg.dir == SYN_DIR_TX ? "not seen arriving" : "its sending was not seen");

	fprintf(x->f, "<g class=\"seg %s%s\">", html_seg_class(e->seg.flags, retrans),
		rx ? "" : " oneend");
	html_title(x->f, tip);
	fprintf(x->f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>", x1, y1, bx, by);
	fprintf(x->f, "<polygon points=\"%.1f,%d %.1f,%.1f %.1f,%.1f\"/>", x2, y2,
		bx - uy * HEAD_HALF, by + ux * HEAD_HALF, bx + uy * HEAD_HALF, by - ux * HEAD_HALF);
	double cx, cy;

	label_place(x, x1, y1, dx, dy, strlen(label) * LABEL_CHAR_W / 2, &cx, &cy);
	fprintf(x->f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">", cx, cy);
	html_put(x->f, label);
	fputs("</text></g>\n", x->f);
}

/* The return of the call entered at row i: same lane, call and thread. */
static bool html_return_of(const struct conn *c, size_t i, size_t *ret)
{
	const struct conn_row *r = &c->rows[i];

	for (size_t j = i + 1; j < c->nrows; j++) {
		const struct conn_row *q = &c->rows[j];

		if (q->ev.kind != SYN_EV_SYSCALL || q->end != r->end || q->ev.tid != r->ev.tid ||
		    q->ev.sys.call != r->ev.sys.call)
			continue;
		if (q->ev.sys.phase != SYN_PHASE_RETURN)
			return false; /* entered again: this entry's return was not seen */
		*ret = j;
		return true;
	}
	return false;
}

/* Text beside lane end at height y, in the middle between the lanes. */
static void html_lane_text(struct html_ctx *x, int end, int y, const char *text)
{
	int tx = lane_x(end) + lane_inward(end) * (BAR_W / 2 + 8);

	fprintf(x->f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">", tx, y + 6, end ? "end" : "start");
	html_put(x->f, text);
	fputs("</text>", x->f);
}

/* A socket call: a box on the caller's lane from its entry to its return,
 * the call written beside the box at both ends. */
static void html_draw_call(struct html_ctx *x, size_t i)
{
	const struct conn *c = x->c;
	const struct conn_row *r = &c->rows[i], *ret = NULL;
	const struct syn_event *e = &r->ev;
	int end = r->end & 1;
	__u32 owner = c->end[end].pid;
	size_t j = i;
	char in[160], out[160], tip[600], who[64], a[32], b[32];
	bool open = false;

	if (x->drawn[i])
		return;
	if (e->sys.phase == SYN_PHASE_ENTRY) {
		if (html_return_of(c, i, &j)) {
			ret = &c->rows[j];
			x->drawn[j] = true;
		} else {
			open = true; /* still in the call, or its return was not traced */
			j = c->nrows - 1;
		}
	}
	int y1 = x->y[i] - ROW_H / 2 + 4, y2 = x->y[j] + ROW_H / 2 - 4;

	txt_proc(e->pid, e->comm, who, sizeof(who));
	if (e->sys.phase == SYN_PHASE_ENTRY) {
		txt_syscall(e, in, sizeof(in));
		snprintf(tip, sizeof(tip), "%s called %s at %s", who, in,
			 html_time(x, e->ts_ns, a, sizeof(a)));
		if (ret)
			html_addf(tip, sizeof(tip), "\nreturned %s at %s",
				  txt_syscall(&ret->ev, out, sizeof(out)),
				  html_time(x, ret->ev.ts_ns, b, sizeof(b)));
		else
			html_addf(tip, sizeof(tip), "\nno return seen before tracing stopped");
		if (e->sys.call == SYN_CALL_CLOSE)
			html_addf(tip, sizeof(tip), "\n%s", e->sys.last_ref
				  ? "last descriptor of the socket: TCP closes it"
				  : "other descriptors still hold the socket open");
		if (open)
			html_addf(in, sizeof(in), " ...");
	} else {
		txt_syscall(e, out, sizeof(out));
		snprintf(tip, sizeof(tip), "%s: %s at %s%s", who, out,
			 html_time(x, e->ts_ns, a, sizeof(a)),
			 syn_call_return_only(e->sys.call) ? "" : " (its entry was not seen)");
		in[0] = '\0';
	}

	fprintf(x->f, "<g class=\"call%s\">", open ? " open" : "");
	html_title(x->f, tip);
	fprintf(x->f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>",
		lane_x(end) - BAR_W / 2, y1, BAR_W, y2 - y1);
	if (in[0]) {
		txt_add_caller(in, sizeof(in), e, owner);
		html_lane_text(x, end, x->y[i], in);
	}
	if (e->sys.phase == SYN_PHASE_RETURN || ret) {
		const struct syn_event *re = ret ? &ret->ev : e;

		txt_syscall(re, out, sizeof(out));
		txt_add_caller(out, sizeof(out), re, owner);
		html_lane_text(x, end, x->y[ret ? j : i], out);
	}
	fputs("</g>\n", x->f);
}

/* A state change: the new state written outside the lane, a dot on it. */
static void html_draw_state(struct html_ctx *x, size_t i)
{
	const struct conn *c = x->c;
	const struct conn_row *r = &c->rows[i];
	int end = r->end & 1, y = x->y[i];
	unsigned int from = r->ev.state.oldstate, to = r->ev.state.newstate, lane = r->state_after[end];
	bool inferred = (r->marks & ROW_INFERRED) || !c->end[end].traced;
	bool aside = to != lane && lane; /* the lane stays in another state */
	int tx = lane_x(end) - lane_inward(end) * STATE_GAP;
	char tip[400], a[32];

	snprintf(tip, sizeof(tip), "%s: %s -> %s at %s", txt_lane_name(end), tcp_state_name(from),
		 tcp_state_name(to), html_time(x, r->ev.ts_ns, a, sizeof(a)));
	if (r->marks & ROW_INFERRED)
		html_addf(tip, sizeof(tip), "\ninferred by synscope: the kernel does not report "
			  "this change, the textbook state machine makes it here");
	else if (!c->end[end].traced)
		html_addf(tip, sizeof(tip), "\ninferred from packets: this end is not traced");
	else if (aside)
		html_addf(tip, sizeof(tip), "\nreported by the kernel for its socket; the connection "
			  "stays in %s%s", tcp_state_name(lane), lane == HTML_TCP_TIME_WAIT
			  ? ": Linux hands TIME_WAIT to a separate timewait socket" : "");
	else
		html_addf(tip, sizeof(tip), "\nreported by the kernel");

	fprintf(x->f, "<g><circle class=\"tick%s\" cx=\"%d\" cy=\"%d\" r=\"7\"/>",
		inferred ? " inferred" : "", lane_x(end), y);
	fprintf(x->f, "<text class=\"state%s%s\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">",
		inferred ? " inferred" : "", aside ? " aside" : "", tx, y + 7, end ? "start" : "end");
	html_title(x->f, tip);
	if (aside)
		html_putf(x->f, "socket: %s", tcp_state_name(to));
	else
		html_put(x->f, tcp_state_name(to));
	fputs("</text></g>\n", x->f);
}

/* Retransmit timers, resets, freed sockets, lost events: a note beside the lane. */
static void html_draw_note(struct html_ctx *x, size_t i)
{
	const struct conn_row *r = &x->c->rows[i];
	const struct syn_event *e = &r->ev;
	const char *cls = "", *why = "";
	char text[200], tip[400], a[32];

	txt_row_text(x->c, r, html_base(x), text, sizeof(text));
	switch (e->kind) {
	case SYN_EV_RETRANSMIT:
		cls = " rtx";
		why = "the kernel sends the segment again";
		break;
	case CONN_ROW_SUMMARY:
		why = "a run of ordinary data rows, folded: -v draws every row";
		break;
	case SYN_EV_TIMEWAIT:
		why = "the timewait socket's timer fired: its end of the connection is gone";
		break;
	case SYN_EV_ICMP:
		cls = " rst";
		why = "an ICMP error about a segment of this connection arrived";
		break;
	case SYN_EV_RESET:
		cls = " rst";
		why = e->rst.kind == SYN_RESET_SENT ? "this end sent a reset: the connection is aborted"
						     : "this end received a reset: the connection is aborted";
		break;
	case SYN_EV_DESTROY:
		why = "the kernel freed this end's socket";
		break;
	case SYN_EV_LOST:
		cls = " rst";
		why = "the kernel could not queue these events: rows are missing here";
		break;
	}
	snprintf(tip, sizeof(tip), "%s: %s at %s\n%s", txt_lane_name(r->end & 1), text,
		 html_time(x, e->ts_ns, a, sizeof(a)), why);
	fprintf(x->f, "<g class=\"note%s\">", cls);
	html_title(x->f, tip);
	html_lane_text(x, r->end & 1, x->y[i], text);
	fputs("</g>\n", x->f);
}

/* --explain: what each row means, as a list under the drawing, each with
 * its time and the lane it happened on. */
static void html_explain(struct html_ctx *x)
{
	const struct conn *c = x->c;
	enum explain_lang lang = x->o->explain;
	struct explain_note *notes = calloc(c->nrows ? c->nrows : 1, sizeof(*notes));
	char text[512], t[32];

	if (!notes)
		return;
	explain_conn(c, notes);
	fprintf(x->f, "<ol class=\"explain\" lang=\"%s\">\n", lang == EXPLAIN_ZH ? "zh-Hans" : "en");
	for (size_t i = 0; i < c->nrows; i++) {
		if (notes[i].key == EX_NONE)
			continue;
		explain_text(c, i, &notes[i], lang, text, sizeof(text));
		fprintf(x->f, "<li><span class=\"time\">%s</span> <span class=\"who\">",
			html_time(x, c->rows[i].ev.ts_ns, t, sizeof(t)));
		html_put_utf8(x->f, explain_lane(c->rows[i].end & 1, lang));
		fputs("</span> ", x->f);
		html_put_utf8(x->f, text);
		fputs("</li>\n", x->f);
	}
	fputs("</ol>\n", x->f);
	free(notes);
}

/* The two lanes and their owners at the top. */
static void html_draw_lanes(struct html_ctx *x, int height)
{
	for (int end = 0; end < 2; end++) {
		const struct conn_end *ce = &x->c->end[end];
		char ep[ADDR_STR_LEN], proc[64];
		int lx = lane_x(end);

		endpoint_str(ce->family, ce->addr, ce->port, ep, sizeof(ep));
		txt_end_proc(ce, proc, sizeof(proc));
		fprintf(x->f, "<text class=\"lanehead\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
			lx, LANE_HEAD_Y, txt_lane_name(end));
		fprintf(x->f, "<text class=\"laneinfo\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", lx,
			LANE_HEAD_Y + 28);
		html_put(x->f, ep);
		fprintf(x->f, "</text><text class=\"laneinfo\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", lx,
			LANE_HEAD_Y + 52);
		html_put(x->f, proc);
		fprintf(x->f, "</text>\n<line class=\"lane%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
			conn_end_remote(ce) ? " remote" : "", lx, TOP_Y - ROW_H / 2 - 4, lx, height - BOTTOM_H / 2);
	}
}

/* Each row's time since the first, and a dashed break where time jumps. */
static void html_draw_times(struct html_ctx *x)
{
	const struct conn *c = x->c;
	char t[32], d[32];

	for (size_t i = 0; i < c->nrows; i++) {
		__u64 ts = c->rows[i].ev.ts_ns, prev = i ? c->rows[i - 1].ev.ts_ns : ts;

		if (i && ts > prev && ts - prev >= GAP_NS) {
			int gy = x->y[i] - (ROW_H + GAP_H) / 2;

			txt_seconds(ts - prev, 0, d, sizeof(d));
			fprintf(x->f, "<g class=\"gap\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
				"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s s later</text></g>\n",
				TIME_X, gy, SVG_W - TIME_X, gy, (LANE_X0 + LANE_X1) / 2, gy - 6, d);
		}
		fprintf(x->f, "<text class=\"time\" x=\"%d\" y=\"%d\">%s</text>\n", TIME_X, x->y[i] + 5,
			txt_seconds(html_rel_ns(x, ts), 0, t, sizeof(t)));
	}
}

/* The heading above a connection's drawing, with its warnings. */
static void html_conn_heading(struct html_ctx *x, size_t nseg)
{
	const struct conn *c = x->c;
	char ep[2][ADDR_STR_LEN], proc[2][64], when[64];

	for (int i = 0; i < 2; i++) {
		endpoint_str(c->end[i].family, c->end[i].addr, c->end[i].port, ep[i], sizeof(ep[i]));
		txt_end_proc(&c->end[i], proc[i], sizeof(proc[i]));
	}
	fprintf(x->f, "<h2>Connection %llu: ", (unsigned long long)c->id);
	html_putf(x->f, "%s %s", ep[0], proc[0]);
	fputs(" &rarr; ", x->f);
	html_putf(x->f, "%s %s", ep[1], proc[1]);
	fputs("</h2>\n", x->f);

	if (c->nrows)
		txt_wall_utc((__s64)c->rows[0].ev.ts_ns + x->o->wall_offset_ns, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "?");
	fprintf(x->f, "<p class=\"meta\">started %s, %zu event%s, %zu segment%s, %s</p>\n", when,
		c->nrows, c->nrows == 1 ? "" : "s", nseg, nseg == 1 ? "" : "s",
		c->complete ? "complete" : "incomplete");
	if (!c->complete)
		fputs("<p class=\"banner incomplete\">INCOMPLETE: the connection was still open when "
		      "tracing stopped</p>\n", x->f);
	if (c->maybe_lost)
		fputs("<p class=\"banner lost\">events may be missing: the kernel lost events while this "
		      "connection was open</p>\n", x->f);
}

static void html_render_conn(const struct sink_opts *o, const struct conn *c)
{
	struct html_ctx x = { .c = c, .o = o, .f = o->out };
	size_t nseg = html_count_segments(c), n = c->nrows ? c->nrows : 1;
	int height;

	x.y = calloc(n, sizeof(*x.y));
	x.drawn = calloc(n, sizeof(*x.drawn));
	x.labels = calloc(n, sizeof(*x.labels)); /* NULL: labels placed without looking */
	if (!x.y || !x.drawn) {
		fprintf(x.f, "<p class=\"banner lost\">connection %llu: out of memory</p>\n",
			(unsigned long long)c->id);
		goto out;
	}
	seq_base_scan(&x.base, c, c->nrows);
	if (c->nrows)
		x.t0 = c->rows[0].ev.ts_ns;
	height = html_layout(&x);

	fprintf(x.f, "<section class=\"conn\" id=\"conn-%llu\" data-conn=\"%llu\" "
		"data-segments=\"%zu\">\n", (unsigned long long)c->id, (unsigned long long)c->id, nseg);
	html_conn_heading(&x, nseg);
	fprintf(x.f, "<svg class=\"ladder\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		"aria-label=\"ladder diagram of connection %llu\">\n",
		SVG_W, height, SVG_W, height, (unsigned long long)c->id);
	html_draw_lanes(&x, height);
	html_draw_times(&x);
	/* boxes under arrows, arrows under the text beside the lanes */
	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].ev.kind == SYN_EV_SYSCALL)
			html_draw_call(&x, i);
	for (size_t i = 0, p; i < c->nrows; i++)
		if (c->rows[i].ev.kind == SYN_EV_SEGMENT && !(html_pair_of(c, i, &p) && p < i))
			html_draw_segment(&x, i);
	for (size_t i = 0; i < c->nrows; i++) {
		int kind = c->rows[i].ev.kind;

		if (kind == SYN_EV_STATE)
			html_draw_state(&x, i);
		else if (kind != SYN_EV_SYSCALL && kind != SYN_EV_SEGMENT)
			html_draw_note(&x, i);
	}
	fputs("</svg>\n", x.f);
	if (o->explain)
		html_explain(&x);
	fputs("</section>\n", x.f);
out:
	free(x.y);
	free(x.drawn);
	free(x.labels);
}

/* ---- the sink ---- */

static void html_event(struct syn_sink *s, const struct syn_event *e,
		       const struct conn *conn, int end)
{
	/* drawn whole, once the connection is done */
	(void)s, (void)e, (void)conn, (void)end;
}

static void html_conn_done(struct syn_sink *s, const struct conn *conn)
{
	struct html_sink *hs = (struct html_sink *)s;

	html_start(hs);
	html_render_conn(&hs->opts, conn);
}

static void html_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct html_sink *hs = (struct html_sink *)s;
	FILE *f = hs->opts.out;
	char unshown[128];

	html_start(hs);
	if (!sum->conns)
		fputs("<p class=\"meta\">No connection was traced.</p>\n", f);
	fprintf(f, "<footer class=\"summary\">%llu connection%s (%llu incomplete), %llu events, "
		"%llu lost", (unsigned long long)sum->conns, sum->conns == 1 ? "" : "s",
		(unsigned long long)sum->incomplete, (unsigned long long)sum->events,
		(unsigned long long)sum->lost);
	txt_unshown(unshown, sizeof(unshown), sum->unshown);
	fputs(unshown, f);
	if (sum->lost)
		fputs("<p class=\"banner lost\">the kernel lost events: some connections may miss rows, "
		      "some may be missing</p>", f);
	fputs("</footer>\n", f);
	fputs(page_tail, f);
	fflush(f);
}

static void html_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *html_sink_new(const struct sink_opts *o)
{
	struct html_sink *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return NULL;
	hs->base = (struct syn_sink){
		.event = html_event,
		.conn_done = html_conn_done,
		.finish = html_finish,
		.destroy = html_destroy,
	};
	hs->opts = *o;
	return &hs->base;
}
