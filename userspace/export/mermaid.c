/* Mermaid sink: one `sequenceDiagram` per finished connection, for GitHub and
 * any Mermaid renderer (docs/exports.md). The client is participant C, the
 * server S; a segment is one arrow (seen at both ends or not), calls, states
 * and other events are notes beside the lane they happened on.
 *
 * Diagrams follow each other separated by a blank line; each starts with a
 * line that is exactly "sequenceDiagram", the rest is indented. */
#include <stdlib.h>
#include <string.h>
#include "base/names.h"
#include "export/exports.h"
#include "render/explain.h"
#include "base/strbuf.h"
#include "render/text_event.h"
#include "render/text_line.h"
#include "render/text_time.h"

#define MMD_INDENT "    "

struct mermaid_sink {
	struct syn_sink base;
	struct sink_opts opts;
};

/* Text in a title, alias, message or note. Mermaid's grammar ends a statement
 * at ';' and reads "#name;" as an entity code; its HTML labels read '<' and
 * '&'. Those four are written as Mermaid entity codes, so a process name can
 * neither break the diagram nor inject markup. Anything not printable ASCII
 * becomes '?' (comm is already, this keeps every caller safe). */
static void mmd_put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '#')
			fputs("#35;", f);
		else if (ch == ';')
			fputs("#59;", f);
		else if (ch == '<')
			fputs("#lt;", f);
		else if (ch == '&')
			fputs("#amp;", f);
		else if (ch < 0x20 || ch >= 0x7f)
			fputc('?', f);
		else
			fputc(ch, f);
	}
}

/* Our own text that may hold UTF-8 (explanations in Chinese): escaped like
 * mmd_put_text, whole UTF-8 characters kept. */
static void mmd_put_utf8(FILE *f, const char *s)
{
	while (*s) {
		int n = txt_utf8_len(s);
		char one[2] = { n ? *s : '?', '\0' };

		if (n > 1) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
			continue;
		}
		mmd_put_text(f, one);
		s++;
	}
}

/* "participant C as client 127.0.0.1:41234 demo-client/1234" */
static void mmd_participant(FILE *f, const struct conn *c, int lane)
{
	const struct conn_end *e = &c->end[lane];
	char ep[ADDR_STR_LEN], proc[48], text[128];

	endpoint_str(e->family, e->addr, e->port, ep, sizeof(ep));
	snprintf(text, sizeof(text), "%s %s %s", txt_lane_name(lane), ep,
		 txt_end_proc(e, proc, sizeof(proc)));
	fprintf(f, MMD_INDENT "participant %c as ", lane ? 'S' : 'C');
	mmd_put_text(f, text);
	fputc('\n', f);
}

static void mmd_title(FILE *f, const struct conn *c, __s64 wall_offset_ns)
{
	char text[200], when[64];

	if (c->nrows)
		txt_wall_utc((__s64)c->rows[0].ev.ts_ns + wall_offset_ns, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "?");
	snprintf(text, sizeof(text), "connection %llu, started %s%s%s", (unsigned long long)c->id,
		 when, c->complete ? "" : ", INCOMPLETE: still open when tracing stopped",
		 c->maybe_lost ? ", events were lost: this diagram may be incomplete" : "");
	fputs(MMD_INDENT "title ", f);
	mmd_put_text(f, text);
	fputc('\n', f);
}

/* One arrow from the sender's lifeline to the other: "C->>S: SYN seq=0 ...".
 * A retransmission is dotted. */
static void mmd_arrow(FILE *f, const struct conn_row *r, bool retrans, const struct seq_base *b)
{
	int from = seg_sender(&r->ev, r->end);
	struct seg_text t;
	char label[300];

	seg_text_build(&t, &r->ev, r->end, b);
	seg_text_join(&t, SEG_TOK_ALL, label, sizeof(label));
	if (r->ev.seg.flags & SYN_TCP_SYN)
		txt_add_word(label, sizeof(label), t.opts);
	fprintf(f, MMD_INDENT "%c%s%c: %s", from ? 'S' : 'C', retrans ? "-->>" : "->>",
		from ? 'C' : 'S', retrans ? "RETRANS " : "");
	mmd_put_text(f, label);
	fputc('\n', f);
}

static void mmd_note(FILE *f, const struct conn *c, const struct conn_row *r,
		     const struct seq_base *b)
{
	char text[256];

	txt_row_text(c, r, b, text, sizeof(text));
	fputs(r->end ? MMD_INDENT "Note right of S: " : MMD_INDENT "Note left of C: ", f);
	mmd_put_text(f, text);
	fputc('\n', f);
}

/* Is row i the second sighting of a segment already drawn? */
static bool mmd_drawn_before(const struct conn *c, size_t i)
{
	__s32 p = c->rows[i].pair;

	return p >= 0 && (size_t)p < i && c->rows[p].ev.kind == SYN_EV_SEGMENT;
}

/* --explain: what row i means, a note over both lifelines. */
static void mmd_explain(FILE *f, const struct conn *c, const struct explain_note *notes, size_t i,
			enum explain_lang lang)
{
	char text[512];

	if (!notes || notes[i].key == EX_NONE)
		return;
	explain_text(c, i, &notes[i], lang, text, sizeof(text));
	fputs(MMD_INDENT "Note over C,S: ", f);
	mmd_put_utf8(f, text);
	fputc('\n', f);
}

static void mermaid_render_conn(const struct sink_opts *o, const struct conn *c)
{
	FILE *f = o->out;
	struct seq_base base;
	const struct seq_base *b = o->relative_seq ? &base : NULL;
	struct explain_note *notes = o->explain ? calloc(c->nrows ? c->nrows : 1, sizeof(*notes))
						: NULL;

	if (notes)
		explain_conn(c, notes);
	seq_base_scan(&base, c, c->nrows);
	fputs("sequenceDiagram\n", f);
	mmd_title(f, c, o->wall_offset_ns);
	mmd_participant(f, c, 0);
	mmd_participant(f, c, 1);
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];
		__s32 p = r->pair;

		if (r->ev.kind != SYN_EV_SEGMENT) {
			mmd_note(f, c, r, b);
		} else if (!mmd_drawn_before(c, i)) {
			/* drawn where it was first seen; the sender's row has the label */
			bool paired = p >= 0 && (size_t)p < c->nrows;
			__u8 marks = r->marks | (paired ? c->rows[p].marks : 0);
			const struct conn_row *label = r;

			if (paired && r->ev.seg.dir == SYN_DIR_RX)
				label = &c->rows[p];
			mmd_arrow(f, label, marks & ROW_RETRANSMIT, b);
		}
		mmd_explain(f, c, notes, i, o->explain);
	}
	fputc('\n', f);
	free(notes);
}

static void mermaid_event(struct syn_sink *s, const struct syn_event *e,
			  const struct conn *conn, int end)
{
	/* a diagram is drawn whole, once the connection is done */
	(void)s, (void)e, (void)conn, (void)end;
}

static void mermaid_conn_done(struct syn_sink *s, const struct conn *conn)
{
	struct mermaid_sink *ms = (struct mermaid_sink *)s;

	mermaid_render_conn(&ms->opts, conn);
}

static void mermaid_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct mermaid_sink *ms = (struct mermaid_sink *)s;

	(void)sum; /* only diagrams in the output: the caller reports the summary */
	fflush(ms->opts.out);
}

static void mermaid_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *mermaid_sink_new(const struct sink_opts *o)
{
	struct mermaid_sink *ms = calloc(1, sizeof(*ms));

	if (!ms)
		return NULL;
	ms->base = (struct syn_sink){
		.event = mermaid_event,
		.conn_done = mermaid_conn_done,
		.finish = mermaid_finish,
		.destroy = mermaid_destroy,
	};
	ms->opts = *o;
	return &ms->base;
}
