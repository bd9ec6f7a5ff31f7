/*
 * synscope merge. The output options are the main command's: they are
 * picked out of the arguments here and handed to options_parse(), so they
 * mean, check and complain exactly as there. merge adds --offset and takes
 * its two inputs anywhere on the line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "source/file/merge.h"
#include "cli/commands.h"
#include "cli/merge_cli.h"
#include "base/names.h"
#include "base/strbuf.h"
#include "filter/event_filter.h"
#include "record/rec_write.h"
#include "run/sink_select.h"
#include "render/text_summary.h"
#include "render/text_time.h"
#include "track/tracker.h"


static const char usage_text[] =
"usage: synscope merge [options] A B\n"
"Join two hosts' views of the same connections into one ladder per connection.\n"
"A and B are recordings (synscope -w) or JSON Lines (synscope -f jsonl), one\n"
"made on each host. Connections are matched by addresses, ports and sequence\n"
"numbers; the offset between the two clocks is estimated from the handshakes\n"
"both saw, and B's events are put on A's clock. No root needed (docs/merge.md).\n"
"\n"
"  -f, --format F        ladder (default), stream, jsonl, html, mermaid, pcapng\n"
"      --style S         ladder (default) or rfc\n"
"  -o, --output FILE     write to FILE\n"
"  -w, --write FILE      also write the merged events as a recording (-r replays it)\n"
"  -P, --port N, -4, -6  only these connections (as -r filters a recording)\n"
"      --offset SECS     B's clock minus A's, instead of estimating it\n"
"      --relative-seq, --no-color, --explain, --lang L, --pace SECS, --width N:\n"
"                        as for tracing\n"
"  -h, --help            this help\n";

void merge_usage(FILE *f)
{
	fputs(usage_text, f);
}

int merge_options_parse(int argc, char **argv, struct merge_cli *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (options_parse_as(CMD_MERGE, argc, argv, &m->o, err, errlen))
		return -1;
	m->help = m->o.help;
	m->in[0] = m->o.inputs[0];
	m->in[1] = m->o.inputs[1];
	m->has_offset = m->o.has_offset;
	m->offset_ns = m->o.offset_ns;
	return 0;
}

/* ---- the run ------------------------------------------------------------ */

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* +3.500000412 */
static char *secs(__s64 ns, char *buf, size_t len)
{
	__u64 mag = ns < 0 ? 0 - (__u64)ns : (__u64)ns;

	snprintf(buf, len, "%c%llu.%09llu", ns < 0 ? '-' : '+',
		 (unsigned long long)(mag / 1000000000ull), (unsigned long long)(mag % 1000000000ull));
	return buf;
}

static void say_input(FILE *msg, const struct merge_input *in)
{
	char when[64];

	if (in->jsonl) {
		fprintf(msg, "synscope: merge: %s: %zu events from JSON Lines\n", in->path, in->n);
		return;
	}
	txt_wall_utc((__s64)in->start_ns, when, sizeof(when));
	fprintf(msg, "synscope: merge: %s: %zu events recorded on %s (kernel %s), %s\n", in->path,
		in->n, in->host[0] ? in->host : "?", in->kernel[0] ? in->kernel : "?", when);
}

static void say_clock(FILE *msg, const struct merge_input *a, const struct merge_input *b,
		      const struct merge_plan *p)
{
	const struct clock_estimate *c = &p->clock;
	char o[32], lo[32], hi[32], raw[32];

	fprintf(msg, "synscope: merge: clock offset %s s (%s's clock minus %s's): ",
		secs(c->offset_ns, o, sizeof(o)), b->path, a->path);
	switch (c->source) {
	case CLOCK_FROM_USER:
		fprintf(msg, "given with --offset");
		break;
	case CLOCK_FROM_HANDSHAKES:
		if (c->rounds == 1)
			fprintf(msg, "from 1 handshake");
		else
			fprintf(msg, "the median of %zu handshakes (%s to %s)", c->rounds,
				secs(c->round_min, lo, sizeof(lo)), secs(c->round_max, hi, sizeof(hi)));
		break;
	case CLOCK_FROM_SEGMENTS:
		fprintf(msg, "no handshake was seen at both ends: the middle of what the "
			"segments allow (%s to %s)", secs(c->lo, lo, sizeof(lo)),
			secs(c->hi, hi, sizeof(hi)));
		break;
	case CLOCK_FROM_NONE:
		fprintf(msg, "not estimated: no segment was seen at both ends, so the clocks are "
			"taken as they are (--offset sets it)");
		break;
	}
	if (c->segments)
		fprintf(msg, "; %zu segment%s seen at both ends", c->segments,
			c->segments == 1 ? "" : "s");
	fputc('\n', msg);
	if (c->moved)
		fprintf(msg, "synscope: merge: the estimate %s s would have had a segment arrive "
			"before it was sent: moved to %s s\n", secs(c->raw_ns, raw, sizeof(raw)), o);
	if (c->violations)
		fprintf(msg, "synscope: merge: warning: %zu of %zu segments arrive before they were "
			"sent with this offset%s\n", c->violations, c->segments,
			c->inconsistent ? " (no one offset orders them all: did a clock drift?)" : "");
	if (p->reasons_renamed)
		fprintf(msg, "synscope: merge: %zu reset or drop reason%s of %s's kernel shown "
			"with the number %s's kernel gives %s\n", p->reasons_renamed,
			p->reasons_renamed == 1 ? "" : "s", b->path, a->path,
			p->reasons_renamed == 1 ? "it" : "them");
	if (p->reasons_clash)
		fprintf(msg, "synscope: merge: warning: too many reason names for both kernels: "
			"some of %s's are shown with %s's names\n", b->path, a->path);
}

/* "hostA+hostB": where the merged recording's events come from. */
static void both(char *out, size_t len, const char *a, const char *b)
{
	if (!strcmp(a, b))
		snprintf(out, len, "%s", a[0] ? a : "?");
	else
		snprintf(out, len, "%s+%s", a[0] ? a : "?", b[0] ? b : "?");
}

/* The merged recording's header: both hosts, A's clock and reason names. */
static void merged_header(struct rec_header *h, const struct merge_input *a,
			  const struct merge_input *b, const struct merge_plan *p)
{
	rec_header_init_local(h);
	both(h->host, sizeof(h->host), a->host, b->host);
	both(h->kernel, sizeof(h->kernel), a->kernel, b->kernel);
	h->start_ns = a->start_ns && (!b->start_ns || a->start_ns < b->start_ns) ? a->start_ns
										 : b->start_ns;
	h->wall_offset_ns = p->wall_offset_ns;
	memcpy(h->rst_names, a->rst_names, sizeof(h->rst_names));
	memcpy(h->drop_names, a->drop_names, sizeof(h->drop_names));
}

/* Each input read whole and filtered apart: a host's filters follow that
 * host's sockets. */
static int load_inputs(const struct merge_cli *m, struct merge_input in[2],
		       const char *const shown[2], FILE *msg)
{
	const struct options *o = &m->o;
	struct event_filter_opts fo = { 0 };
	char err[512];

	memcpy(fo.ports, o->ports, sizeof(fo.ports));
	fo.nports = o->nports;
	fo.family = o->family;
	if (same_file(m->in[0], m->in[1])) {
		fprintf(msg, "synscope: merge: %s and %s are the same file: give one from each host\n",
			shown[0], shown[1]);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (merge_input_load(&in[i], m->in[i], err, sizeof(err))) {
			fprintf(msg, "synscope: %s: %s\n", shown[i], err);
			return -1;
		}
		in[i].path = shown[i]; /* every later message names it so */
		if (event_filter_events(&fo, &in[i].ev, &in[i].n)) {
			fprintf(msg, "synscope: %s: out of memory\n", shown[i]);
			return -1;
		}
	}
	return 0;
}

#define COMMIT_EVENTS 64 /* a commit point of the output every so many events: the
			  * inputs are in memory, a commit costs a flush */

struct feed {
	struct run *run;
	unsigned long n;
	bool stopped;      /* the output failed (said) or nobody reads it */
};

static void feed_event(void *ctx, const struct syn_event *e)
{
	struct feed *f = ctx;

	if (f->stopped)
		return;
	run_event(f->run, e);
	if (++f->n % COMMIT_EVENTS == 0 && !run_commit(f->run, f->n, RUN_OFFLINE_FLUSH_EVENTS))
		f->stopped = true;
}

/* The merged events through the one run: every output rule of live
 * tracing holds here too. */
static int merge_draw(const struct merge_cli *m, struct merge_input in[2],
		      const struct merge_plan *plan, FILE *msg)
{
	struct run_opts ro;
	struct rec_header h;
	struct feed f = { 0 };
	int rc;

	merged_header(&h, &in[0], &in[1], plan);
	run_opts_from(&m->o, false, &ro); /* each input was filtered as it was read */
	ro.msg = msg;
	ro.sink.wall_offset_ns = plan->wall_offset_ns;
	ro.header = &h;
	ro.inputs[0] = m->in[0];
	ro.inputs[1] = m->in[1];
	/* the sinks name reasons as the kernels did: both kernels' names, in A's numbers */
	rst_reason_names_set((const char *const *)in[0].rst_names, REC_RST_REASONS);
	drop_reason_names_set((const char *const *)in[0].drop_names, REC_RST_REASONS);
	f.run = run_open(&ro, &rc);
	if (!f.run)
		return rc;
	merge_emit(&in[0], &in[1], feed_event, &f);
	return run_close(f.run, 0);
}

int merge_run(const struct merge_cli *m, FILE *msg)
{
	struct merge_input in[2] = { { 0 } };
	struct merge_plan plan;
	struct run_opts ro;
	char err[512];
	char quoted[2][512]; /* a file name as messages show it: on one line */
	const char *shown[2];
	int rc;

	for (int i = 0; i < 2; i++)
		shown[i] = txt_one_line(txt_copy(quoted[i], sizeof(quoted[i]), m->in[i]));
	/* outputs that clash with the inputs: said before anything is read */
	run_opts_from(&m->o, false, &ro);
	ro.msg = msg;
	ro.inputs[0] = m->in[0];
	ro.inputs[1] = m->in[1];
	rc = run_check(&ro);
	if (rc)
		return rc;
	rc = 1;
	if (load_inputs(m, in, shown, msg))
		goto done;
	say_input(msg, &in[0]);
	say_input(msg, &in[1]);
	if (merge_prepare(&in[0], &in[1], m->has_offset ? &m->offset_ns : NULL, &plan, err,
			  sizeof(err))) {
		fprintf(msg, "synscope: merge: %s\n", err);
		goto done;
	}
	say_clock(msg, &in[0], &in[1], &plan);
	rc = merge_draw(m, in, &plan, msg);
	/* last, under what was drawn: where a damaged recording stopped */
	for (int i = 0; i < 2; i++) {
		if (in[i].damage[0]) {
			fprintf(msg, "synscope: %s: %s\n", in[i].path, in[i].damage);
			rc = rc ? rc : 1;
		}
	}
done:
	merge_input_free(&in[0]);
	merge_input_free(&in[1]);
	rst_reason_names_set(NULL, 0);
	drop_reason_names_set(NULL, 0);
	return rc;
}

int merge_main(int argc, char **argv)
{
	struct merge_cli m;
	char err[256];

	if (merge_options_parse(argc, argv, &m, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	if (m.help) {
		merge_usage(stdout);
		return 0;
	}
	return merge_run(&m, stderr);
}
