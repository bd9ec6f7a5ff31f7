/* Ladder sink: one diagram per finished connection, client lane on the left,
 * server lane on the right, segments as arrows between them. docs/ladder.md
 * shows how to read one. Every line fits the width asked for (100 columns
 * unless a terminal or --width says otherwise): only the middle field
 * changes, what does not fit in it goes to continuation lines. */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <time.h>
#include "render/explain.h"
#include "base/names.h"
#include "render/sinks.h"
#include "base/strbuf.h"
#include "render/text_event.h"
#include "render/text_line.h"
#include "render/text_summary.h"
#include "render/text_time.h"
#include "track/tracker.h"

/* Columns: "%4d %10s %10s " then the client lane's state, its rail '|', the
 * middle field (arrows, calls, notes), the server's rail and state:
 *   num time delta CLIENT_STATE  |--SYN seq=0 win=65495---------->| SERVER_STATE
 * At 100 columns the middle is 43 wide, the right rail at 85, the server's
 * state at 87; at 80, 23, 65 and 67. */
#define NUM_END 4
#define TIME_END 15
#define DELTA_END 26
#define LANE_W 13                           /* "NEW_SYN_RECV*" */
#define COL_CLIENT 27
#define COL_RAIL_L (COL_CLIENT + LANE_W + 1) /* 41 */
#define COL_MID (COL_RAIL_L + 1)            /* 42 */
#define FIXED_W (COL_MID + 2 + LANE_W)      /* 57: all but the middle */
#define MID_W_MAX (TEXT_WIDTH_MAX - FIXED_W)
#define CONT_INDENT 2                       /* continuation text starts under the label */
#define ARROW_MIN_FILL 2                    /* body characters between label and head */
#define INFLIGHT ". . ."
#define EXPLAIN_INDENT 6                    /* explanations: under the time column */
#define EXPLAIN_MARK "# "

struct ladder_sink {
	struct syn_sink base;
	struct sink_opts opts;
};

enum arrow_form {
	ARROW_FULL,    /* sent and received in one printed row, or other end not seen */
	ARROW_DEPART,  /* sent here; received rows later: head is ". . ." */
	ARROW_ARRIVE,  /* received here; sent rows earlier: tail is ". . ." */
	ARROW_NOT_SENT, /* dropped on this host before the wire: head is "x" */
};

/* What one printed row shows. */
struct ladder_view {
	const struct conn_row *first, *last; /* time from first, lane states from last */
	char mid[MID_W_MAX + 1];
	enum txt_color mid_color;
	bool mid_arrow;                      /* a segment: mid runs rail to rail */
	bool mid_right;                      /* server-side text: right-aligned */
	char cont[384];                      /* continuation line, "" for none */
};

/* A row's view, empty: its text buffers are not cleared, only ended (a
 * view is 600 bytes, zeroing it was 1 % of drawing a storm). */
static void view_start(struct ladder_view *v, const struct conn_row *r)
{
	v->first = v->last = r;
	v->mid[0] = v->cont[0] = '\0';
	v->mid_color = TXT_PLAIN;
	v->mid_arrow = v->mid_right = false;
}

/* Drawing state of one connection. */
struct ladder_ctx {
	const struct conn *c;
	const struct sink_opts *o;
	struct seq_base base;
	int num;                             /* printed rows so far */
	__u64 t0, prev_ts;
	__u8 prev_state[2];
	bool inferred[2];                    /* the lane's state came from an inferred row */
	struct explain_note *notes;          /* --explain: what each row means, or NULL */
	int width;                           /* every line fits this many columns */
	int mid_w;                           /* the middle field: arrows run rail to rail */
	int rail_r, col_server;              /* the right rail, the server lane's state */
	int text_w, cont_w;                  /* text between the rails, continuation text */
};

/* The columns for a drawing width columns wide. */
static void ladder_geometry(struct ladder_ctx *x, int width)
{
	if (width <= 0)
		width = TEXT_WIDTH_DEFAULT;
	if (width < TEXT_WIDTH_MIN)
		width = TEXT_WIDTH_MIN;
	if (width > TEXT_WIDTH_MAX)
		width = TEXT_WIDTH_MAX;
	x->width = width;
	x->mid_w = width - FIXED_W;
	x->rail_r = COL_MID + x->mid_w;
	x->col_server = x->rail_r + 2;
	x->text_w = x->mid_w - 2;            /* text keeps a space from each rail */
	x->cont_w = x->mid_w - CONT_INDENT - 1;
}

/* The tx and rx rows of one segment are next to each other: one printed row. */
static bool ladder_merges_next(const struct conn *c, size_t i)
{
	const struct conn_row *r = &c->rows[i];

	return r->ev.kind == SYN_EV_SEGMENT && i + 1 < c->nrows && r->pair == (__s32)(i + 1) &&
	       c->rows[i + 1].pair == (__s32)i && c->rows[i + 1].ev.kind == SYN_EV_SEGMENT;
}

static size_t ladder_count_rows(const struct conn *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nrows; i++, n++)
		if (ladder_merges_next(c, i))
			i++;
	return n;
}

/* The arrow between the lanes, label next to the sending lane:
 * client -> server  [tail]--LABEL------[head]   head ">" or ". . ."
 * server -> client  [head]------LABEL--[tail]   head "<" or ". . ."
 * tail is ". . ." on arrival rows, else nothing. */
static void arrow_draw(char *out, int mid_w, const char *label, bool to_server, char body,
		       enum arrow_form form)
{
	const char *tail = form == ARROW_ARRIVE ? INFLIGHT : "";
	const char *head = form == ARROW_DEPART ? INFLIGHT : form == ARROW_NOT_SENT ? "x" :
			   to_server ? ">" : "<";
	const char *left = to_server ? tail : head, *right = to_server ? head : tail;
	size_t nl = strlen(left), nlab = strlen(label), nr = strlen(right);
	size_t fill = (size_t)mid_w - 2 - nl - nlab - nr; /* label fitted by the caller */
	size_t lead = to_server ? 2 : fill, trail = to_server ? fill : 2;
	char *p = out;

	memcpy(p, left, nl), p += nl;
	memset(p, body, lead), p += lead;
	memcpy(p, label, nlab), p += nlab;
	memset(p, body, trail), p += trail;
	memcpy(p, right, nr), p += nr;
	*p = '\0';
}

static int arrow_label_room(enum arrow_form form, int mid_w)
{
	int tail = form == ARROW_ARRIVE ? (int)strlen(INFLIGHT) : 0;
	int head = form == ARROW_DEPART ? (int)strlen(INFLIGHT) : 1; /* ">", "<", "x" */

	return mid_w - tail - 2 - head - ARROW_MIN_FILL;
}

/* A segment's arrow. What does not fit in the label moves to the continuation
 * line, win first, then len, ack, seq; SYN options always go there. */
static void ladder_segment_view(struct ladder_ctx *x, struct ladder_view *v,
				const struct conn_row *r, bool retrans, enum arrow_form form)
{
	static const enum seg_tok drop_order[] = { SEG_WIN, SEG_LEN, SEG_ACK, SEG_SEQ };
	const struct syn_event *e = &r->ev;
	unsigned int flags = e->seg.flags;
	unsigned int want = form == ARROW_ARRIVE ? (1u << SEG_FLAGS | 1u << SEG_SEQ) : SEG_TOK_ALL;
	unsigned int mask = want;
	int room = arrow_label_room(form, x->mid_w);
	const char *prefix = form == ARROW_NOT_SENT ? "NOT SENT " : retrans ? "RETRANS " : "";
	const char *dropped = "";
	char body = retrans ? '~' : (flags & SYN_TCP_RST) ? '=' : '-';
	struct seg_text t;
	char joined[256], label[300];

	seg_text_build(&t, e, r->end, x->o->relative_seq ? &x->base : NULL);
	seg_text_marks(&t, r->marks);
	for (size_t k = 0;; k++) {
		size_t np = strlen(prefix);

		memcpy(label, prefix, np);
		txt_copy(label + np, sizeof(label) - np, seg_text_join(&t, mask, joined, sizeof(joined)));
		if ((int)strlen(label) <= room)
			break;
		if (k < sizeof(drop_order) / sizeof(drop_order[0]))
			mask &= ~(1u << drop_order[k]);
		else if (prefix[0])
			dropped = prefix, prefix = ""; /* said below; the ~ body or x head still says it */
		else
			break;
	}
	label[room] = '\0'; /* only absurd flag sets get here */

	/* what the label lost, then a SYN's options: the continuation line */
	v->cont[0] = '\0';
	if (dropped[0]) {
		txt_copy(v->cont, sizeof(v->cont), dropped);
		v->cont[strlen(v->cont) - 1] = '\0'; /* its trailing space */
	}
	txt_add_word(v->cont, sizeof(v->cont), seg_text_join(&t, want & ~mask, joined, sizeof(joined)));
	if ((flags & SYN_TCP_SYN) && form != ARROW_ARRIVE)
		txt_add_word(v->cont, sizeof(v->cont), t.opts);
	if (r->marks & ROW_UNANSWERED)
		txt_add_word(v->cont, sizeof(v->cont), "no answer and no drop reason: the listener's SYN "
			     "queue or accept queue is full (nstat: TCPReqQFullDrop, ListenOverflows)");
	arrow_draw(v->mid, x->mid_w, label, seg_sender(e, r->end) == 0, body, form);
	v->mid_color = txt_segment_color(flags, retrans);
	v->mid_arrow = true;
}

/* A summary row: what it stands for across the middle, the figures below. */
static void ladder_summary_view(struct ladder_ctx *x, struct ladder_view *v,
				const struct conn_row *r)
{
	char head[96], body[512], label[sizeof(head) + 2];
	size_t n, lead, w = (size_t)x->mid_w;
	bool fits;

	txt_summary_text(x->c, r, head, sizeof(head), body, sizeof(body));
	snprintf(label, sizeof(label), " %s ", head);
	/* two ':' at least each side; in a narrow middle, the figures below say it all */
	fits = strlen(label) + 4 <= w;
	if (!fits)
		snprintf(label, sizeof(label), " summary ");
	n = strlen(label);
	lead = (w - n) / 2;
	memset(v->mid, ':', w);
	memcpy(v->mid + lead, label, n);
	v->mid[w] = '\0';
	v->mid_arrow = true;
	v->mid_color = TXT_DIM;
	v->cont[0] = '\0';
	if (!fits)
		snprintf(v->cont, sizeof(v->cont), "%.95s;", head);
	txt_add_word(v->cont, sizeof(v->cont), body);
}

/* Syscalls, states and notes: text on the side of the lane they happened on. */
static void ladder_text_view(struct ladder_ctx *x, struct ladder_view *v, const struct conn_row *r)
{
	const struct syn_event *e = &r->ev;
	char text[200];

	if (e->kind == CONN_ROW_SUMMARY) {
		ladder_summary_view(x, v, r);
		return;
	}
	txt_row_text(x->c, r, x->o->relative_seq ? &x->base : NULL, text, sizeof(text));
	v->mid_color = TXT_PLAIN;
	if (e->kind == SYN_EV_STATE && (r->marks & ROW_INFERRED)) {
		v->mid_color = TXT_DIM;
	} else if (e->kind == SYN_EV_RETRANSMIT) {
		v->mid_color = TXT_RETRANS;
	} else if (e->kind == SYN_EV_RESET) {
		v->mid_color = TXT_RST;
	}

	/* Too long for the middle field: the rest continues on the next line. */
	const char *rest = text;
	txt_wrap_next(&rest, ' ', x->text_w, v->mid, sizeof(v->mid));
	txt_copy(v->cont, sizeof(v->cont), rest);
	v->mid_right = r->end == 1;
}

/* A lane's state after the row: "ESTABLISHED", "SYN_RECV*" when synscope
 * inferred it, blank when not known yet. */
static void ladder_put_lane(struct ladder_ctx *x, struct txt_line *l, int lane, __u8 st)
{
	/* each state's name, plain and starred, made once: two on every row */
	static char names[256][2][LANE_W + 2];
	static size_t lens[256][2];
	bool starred = x->inferred[lane] || !x->c->end[lane].traced;
	enum txt_color color = TXT_PLAIN;

	if (!st)
		return;
	if (!lens[st][starred]) {
		char *name = names[st][starred];

		txt_copy(name, sizeof(names[st][starred]) - 1, tcp_state_name(st));
		if (starred)
			strcat(name, "*");
		lens[st][starred] = strlen(name);
	}
	if (starred)
		color = TXT_DIM;
	else if (st != x->prev_state[lane])
		color = TXT_BOLD;
	txt_line_gap_to(l, lane ? x->col_server : COL_CLIENT);
	txt_line_putn(l, color, names[st][starred], lens[st][starred]);
}

/* Continuation lines: between the rails, indented under the label. */
static void ladder_print_cont(const struct ladder_ctx *x, const char *cont)
{
	char chunk[MID_W_MAX + 1];

	while (txt_wrap_next(&cont, ' ', x->cont_w, chunk, sizeof(chunk))) {
		struct txt_line l;

		txt_line_start(&l, x->o->out, false);
		txt_line_pad_to(&l, COL_RAIL_L);
		txt_line_put(&l, TXT_PLAIN, "|");
		txt_line_pad_to(&l, COL_RAIL_L + 1 + CONT_INDENT);
		txt_line_put(&l, TXT_PLAIN, chunk);
		txt_line_pad_to(&l, x->rail_r);
		txt_line_put(&l, TXT_PLAIN, "|");
		txt_line_end(&l);
	}
}

static void ladder_print_view(struct ladder_ctx *x, const struct ladder_view *v)
{
	FILE *f = x->o->out;
	struct txt_line l;
	__u64 ts = v->first->ev.ts_ns;
	char num[16], t[24], d[24];

	/* A lane's state is starred when an inferred row set it. A kernel row that
	 * leaves the lane elsewhere (FIN_WAIT2 -> CLOSE of the full socket while
	 * the timewait socket stays in TIME_WAIT) does not take the star away. */
	for (const struct conn_row *r = v->first; r <= v->last; r++)
		if (r->ev.kind == SYN_EV_STATE && r->ev.state.newstate == r->state_after[r->end & 1])
			x->inferred[r->end & 1] = r->marks & ROW_INFERRED;

	x->num++;
	*txt_put_s64(num, x->num) = '\0';
	txt_seconds(ts > x->t0 ? ts - x->t0 : 0, TIME_END - NUM_END - 1, t, sizeof(t));
	txt_delta(x->num == 1 || ts < x->prev_ts ? 0 : ts - x->prev_ts, d, sizeof(d));

	txt_line_start(&l, f, x->o->color);
	txt_line_put_right(&l, TXT_PLAIN, num, NUM_END);
	txt_line_put_right(&l, TXT_PLAIN, t, TIME_END);
	txt_line_put_right(&l, TXT_PLAIN, d, DELTA_END);
	ladder_put_lane(x, &l, 0, v->last->state_after[0]);
	txt_line_gap_to(&l, COL_RAIL_L);
	txt_line_put(&l, TXT_PLAIN, "|");
	if (v->mid_arrow) {
		txt_line_put(&l, v->mid_color, v->mid);
	} else if (v->mid_right) {
		txt_line_put_right(&l, v->mid_color, v->mid, x->rail_r - 1);
	} else {
		txt_line_pad_to(&l, COL_MID + 1);
		txt_line_put(&l, v->mid_color, v->mid);
	}
	txt_line_pad_to(&l, x->rail_r);
	txt_line_put(&l, TXT_PLAIN, "|");
	ladder_put_lane(x, &l, 1, v->last->state_after[1]);
	txt_line_end(&l);
	ladder_print_cont(x, v->cont);
	if (x->notes) {
		/* a merged row: what the sending and the receiving end said, if both did */
		for (const struct conn_row *r = v->first; r <= v->last; r++) {
			size_t i = (size_t)(r - x->c->rows);
			char text[512];

			if (x->notes[i].key == EX_NONE)
				continue;
			explain_text(x->c, i, &x->notes[i], x->o->explain, text, sizeof(text));
			txt_wrap_utf8(f, text, EXPLAIN_INDENT, EXPLAIN_MARK, x->width);
		}
	}

	if (x->o->pace_ms) /* slow motion for a class: one row at a time */
		txt_pause(f, x->o->pace_ms);
	x->prev_ts = ts;
	x->prev_state[0] = v->last->state_after[0];
	x->prev_state[1] = v->last->state_after[1];
}

/* "3,124 events, 3,054 of them in summary rows (-v draws every row)" when
 * rows were folded: a line of the header. */
static void ladder_print_folded(struct ladder_ctx *x)
{
	char ev[32], fo[32], text[200];

	if (!x->c->folded)
		return;
	txt_thousands(x->c->events, ev, sizeof(ev));
	txt_thousands(x->c->folded, fo, sizeof(fo));
	snprintf(text, sizeof(text), "%s events,\t%s of them in summary rows (-v draws every row)",
		 ev, fo);
	txt_wrap(x->o->out, text, '\t', 2, 4, x->width);
}

/* How the connection ended, as the header says it. */
static const char *ladder_ending(const struct conn *c)
{
	if (c->complete)
		return "complete";
	switch (c->evicted) {
	case EVICT_IDLE:
		return "INCOMPLETE:\tshown early, idle 120 s without a live socket";
	case EVICT_CAP:
		return "INCOMPLETE:\tshown early, 65,536 connections were open";
	}
	return "INCOMPLETE:\tstill open when tracing stopped";
}

/* Lanes left in TIME-WAIT: when it began, and when Linux will end it. Not a
 * row: nothing has happened yet. */
static void ladder_print_time_wait(struct ladder_ctx *x)
{
	const struct conn *c = x->c;

	for (int i = 0; i < 2; i++) {
		const struct conn_end *e = &c->end[i];
		char since[24], until[24], text[300];

		if (e->state != ST_TIME_WAIT || !e->tw_since)
			continue;
		txt_seconds(e->tw_since > x->t0 ? e->tw_since - x->t0 : 0, 0, since, sizeof(since));
		txt_seconds(e->tw_since + TIME_WAIT_NS - x->t0, 0, until, sizeof(until));
		snprintf(text, sizeof(text), "the %s stays in TIME-WAIT from %s for 2MSL (60 s on Linux): "
			 "until about %s, unless an RST or a new SYN ends it sooner",
			 txt_lane_name(i), since, until);
		txt_wrap_utf8(x->o->out, text, EXPLAIN_INDENT, "", x->width);
	}
}

static void ladder_print_header(struct ladder_ctx *x)
{
	const struct conn *c = x->c;
	FILE *f = x->o->out;
	char text[500], ep[2][ADDR_STR_LEN], proc[2][48], when[64];
	size_t rows = ladder_count_rows(c);

	for (int i = 0; i < 2; i++) {
		const struct conn_end *e = &c->end[i];

		endpoint_str(e->family, e->addr, e->port, ep[i], sizeof(ep[i]));
		txt_end_proc(e, proc[i], sizeof(proc[i]));
	}
	/* '\t' marks where the header may break when it is too wide */
	snprintf(text, sizeof(text), "connection %llu%s%s:\t%s %s\t-> %s %s",
		 (unsigned long long)c->id, c->proto == IPPROTO_UDP ? " (UDP)" : "",
		 c->continued ? " (continued)" : "", ep[0], proc[0], ep[1], proc[1]);
	txt_wrap(f, text, '\t', 0, 4, x->width);

	if (c->nrows)
		txt_wall_utc((__s64)c->rows[0].ev.ts_ns + x->o->wall_offset_ns, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "?");
	snprintf(text, sizeof(text), "%s %s, %zu row%s, %s%s",
		 c->continued ? "after it was shown, from" : "started", when, rows,
		 rows == 1 ? "" : "s", ladder_ending(c),
		 c->maybe_lost ? ";\tevents were lost, this ladder may be incomplete" : "");
	txt_wrap(f, text, '\t', 2, 4, x->width);
	ladder_print_folded(x);

	struct txt_line l;
	txt_line_start(&l, f, false);
	txt_line_put_right(&l, TXT_PLAIN, "#", NUM_END);
	txt_line_put_right(&l, TXT_PLAIN, "time", TIME_END);
	txt_line_put_right(&l, TXT_PLAIN, "delta", DELTA_END);
	txt_line_gap_to(&l, COL_CLIENT);
	txt_line_put(&l, TXT_PLAIN, "client");
	txt_line_gap_to(&l, COL_RAIL_L);
	txt_line_put(&l, TXT_PLAIN, "|");
	txt_line_pad_to(&l, COL_MID + (x->mid_w - 20) / 2);
	txt_line_put(&l, TXT_PLAIN, "<- arrows / calls ->"); /* 20 columns */
	txt_line_pad_to(&l, x->rail_r);
	txt_line_put(&l, TXT_PLAIN, "|");
	txt_line_gap_to(&l, x->col_server);
	txt_line_put(&l, TXT_PLAIN, "server");
	txt_line_end(&l);
}

/* Print connection c as a ladder diagram. */
static void ladder_render_conn(const struct sink_opts *o, const struct conn *c)
{
	struct ladder_ctx x = { .c = c, .o = o };

	ladder_geometry(&x, o->width);
	seq_base_scan(&x.base, c, c->nrows);
	if (o->explain && c->nrows) {
		x.notes = calloc(c->nrows, sizeof(*x.notes));
		if (x.notes)
			explain_conn(c, x.notes);
	}
	if (c->nrows)
		x.t0 = x.prev_ts = c->rows[0].ev.ts_ns;
	ladder_print_header(&x);

	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];
		struct ladder_view v;
		__s32 p = r->pair;
		bool paired = r->ev.kind == SYN_EV_SEGMENT && p >= 0 && (size_t)p < c->nrows &&
			      (size_t)p != i;

		view_start(&v, r);
		if (r->ev.kind != SYN_EV_SEGMENT) {
			ladder_text_view(&x, &v, r);
		} else if (ladder_merges_next(c, i)) {
			bool retrans = (r->marks | r[1].marks) & ROW_RETRANSMIT;

			v.last = &r[1];
			ladder_segment_view(&x, &v, r, retrans, ARROW_FULL);
			i++;
		} else {
			enum arrow_form form = (r->marks & ROW_NOT_SENT) ? ARROW_NOT_SENT :
					       !paired ? ARROW_FULL :
					       (size_t)p > i ? ARROW_DEPART : ARROW_ARRIVE;

			ladder_segment_view(&x, &v, r, r->marks & ROW_RETRANSMIT, form);
		}
		ladder_print_view(&x, &v);
	}
	ladder_print_time_wait(&x);
	fputc('\n', o->out);
	free(x.notes);
}

static void ladder_event(struct syn_sink *s, const struct syn_event *e,
			 const struct conn *conn, int end)
{
	/* The ladder is drawn whole, once the connection is done. */
	(void)s, (void)e, (void)conn, (void)end;
}

static void ladder_conn_done(struct syn_sink *s, const struct conn *conn)
{
	struct ladder_sink *ls = (struct ladder_sink *)s;

	/* no flush here: the poll loop flushes every few ms, a flush per
	 * connection would be a write per connection under load */
	ladder_render_conn(&ls->opts, conn);
}

static void ladder_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct ladder_sink *ls = (struct ladder_sink *)s;

	txt_halfopen(ls->opts.out, sum->halfopen, ls->opts.wall_offset_ns);
	txt_summary(ls->opts.out, sum);
	fflush(ls->opts.out);
}

static void ladder_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *ladder_sink_new(const struct sink_opts *o)
{
	struct ladder_sink *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return NULL;
	ls->base = (struct syn_sink){
		.event = ladder_event,
		.conn_done = ladder_conn_done,
		.finish = ladder_finish,
		.destroy = ladder_destroy,
	};
	ls->opts = *o;
	return &ls->base;
}
