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
#include "filter/event_filter.h"
#include "record/rec_write.h"
#include "run/sink_select.h"
#include "render/text_summary.h"
#include "render/text_time.h"
#include "track/tracker.h"

#define MAX_OFFSET_S 1e9   /* 31 years: anything more is a typo */

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
"      --relative-seq, --no-color, --explain, --lang L, --pace SECS: as for tracing\n"
"  -h, --help            this help\n";

void merge_usage(FILE *f)
{
	fputs(usage_text, f);
}

/* The main command's options: which take a value, which merge refuses. */
static const struct merge_opt {
	const char *name;
	char c;
	bool value;
	const char *refused; /* why merge has no use for it */
} opts[] = {
	{ "port", 'P', true, NULL },
	{ "pid", 'p', true, "a pid names a process on one host only" },
	{ "ipv4", '4', false, NULL },
	{ "ipv6", '6', false, NULL },
	{ "format", 'f', true, NULL },
	{ "style", 0, true, NULL },
	{ "output", 'o', true, NULL },
	{ "write", 'w', true, NULL },
	{ "read", 'r', true, "the inputs are A and B" },
	{ "duration", 'd', true, "merge reads files, it does not trace" },
	{ "buffer-kb", 'b', true, "merge reads files, it does not trace" },
	{ "relative-seq", 0, false, NULL },
	{ "verbose", 'v', false, NULL },
	{ "no-color", 0, false, NULL },
	{ "explain", 0, false, NULL },
	{ "lang", 0, true, NULL },
	{ "pace", 0, true, NULL },
	{ "help", 'h', false, NULL },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* A long option by its name or, as getopt_long takes them, a prefix only
 * it has. NULL when unknown or ambiguous (options_parse says which). */
static const struct merge_opt *long_opt(const char *name, size_t len)
{
	const struct merge_opt *found = NULL;

	for (size_t i = 0; i < NOPTS; i++) {
		if (strncmp(opts[i].name, name, len))
			continue;
		if (strlen(opts[i].name) == len)
			return &opts[i];
		if (found)
			return NULL;
		found = &opts[i];
	}
	return found;
}

static const struct merge_opt *short_opt(char c)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].c == c)
			return &opts[i];
	return NULL;
}

static int refuse(const struct merge_opt *mo, char *err, size_t errlen)
{
	if (mo->c)
		snprintf(err, errlen, "merge has no -%c/--%s: %s", mo->c, mo->name, mo->refused);
	else
		snprintf(err, errlen, "merge has no --%s: %s", mo->name, mo->refused);
	return -1;
}

static int parse_offset(const char *s, struct merge_cli *m, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = s ? strtod(s, &end) : 0;
	if (!s || !*s || errno || *end || !(v >= -MAX_OFFSET_S && v <= MAX_OFFSET_S)) {
		snprintf(err, errlen, "invalid offset: '%s' (seconds, B's clock minus A's, e.g. "
			 "-0.25)", s ? s : "");
		return -1;
	}
	m->has_offset = true;
	m->offset_ns = (__s64)(v * 1e9 + (v < 0 ? -0.5 : 0.5));
	return 0;
}

int merge_options_parse(int argc, char **argv, struct merge_cli *m, char *err, size_t errlen)
{
	char **pass = calloc((size_t)argc + 1, sizeof(*pass));
	int npass = 0, nin = 0, rc = -1;

	memset(m, 0, sizeof(*m));
	if (!pass) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pass[npass++] = "synscope merge";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct merge_opt *mo = NULL;
		bool takes_next = false;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++) {
				if (nin == 2)
					goto too_many;
				m->in[nin++] = argv[i];
			}
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (nin == 2)
				goto too_many;
			m->in[nin++] = a;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			if (len == 6 && !strncmp(a + 2, "offset", 6)) {
				if (!eq && i + 1 >= argc) {
					snprintf(err, errlen, "option --offset needs a value");
					goto out;
				}
				if (parse_offset(eq ? eq + 1 : argv[++i], m, err, errlen))
					goto out;
				continue;
			}
			mo = long_opt(a + 2, len);
			takes_next = mo && mo->value && !eq;
		} else {
			/* a cluster: -46, -fjsonl, -f jsonl */
			for (const char *c = a + 1; *c; c++) {
				mo = short_opt(*c);
				if (!mo || mo->refused)
					break;
				if (mo->value) {
					takes_next = !c[1];
					break;
				}
			}
		}
		if (mo && mo->refused) {
			refuse(mo, err, errlen);
			goto out;
		}
		if (mo && !strcmp(mo->name, "help"))
			m->help = true;
		pass[npass++] = (char *)a;
		if (takes_next && i + 1 < argc)
			pass[npass++] = argv[++i];
	}
	if (m->help) {
		rc = 0;
		goto out;
	}
	if (options_parse(npass, pass, &m->o, err, errlen))
		goto out;
	if (nin < 2) {
		snprintf(err, errlen, "merge needs two inputs, one from each host: synscope merge "
			 "[options] A B");
		goto out;
	}
	rc = 0;
	goto out;
too_many:
	snprintf(err, errlen, "merge joins two inputs: '%s' is a third", argv[argc - 1]);
out:
	free(pass);
	return rc;
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
static int load_inputs(const struct merge_cli *m, struct merge_input in[2], FILE *msg)
{
	const struct options *o = &m->o;
	struct event_filter_opts fo = { 0 };
	char err[512];

	memcpy(fo.ports, o->ports, sizeof(fo.ports));
	fo.nports = o->nports;
	fo.family = o->family;
	if (same_file(m->in[0], m->in[1])) {
		fprintf(msg, "synscope: merge: %s and %s are the same file: give one from each host\n",
			m->in[0], m->in[1]);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (merge_input_load(&in[i], m->in[i], err, sizeof(err))) {
			fprintf(msg, "synscope: %s: %s\n", m->in[i], err);
			return -1;
		}
		if (event_filter_events(&fo, &in[i].ev, &in[i].n)) {
			fprintf(msg, "synscope: %s: out of memory\n", m->in[i]);
			return -1;
		}
	}
	return 0;
}

struct feed {
	struct run *run;
};

static void feed_event(void *ctx, const struct syn_event *e)
{
	run_event(((struct feed *)ctx)->run, e);
}

/* The merged events through the one run: every output rule of live
 * tracing holds here too. */
static int merge_draw(const struct merge_cli *m, struct merge_input in[2],
		      const struct merge_plan *plan, FILE *msg)
{
	struct run_opts ro;
	struct rec_header h;
	struct feed f;
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
	int rc;

	/* outputs that clash with the inputs: said before anything is read */
	run_opts_from(&m->o, false, &ro);
	ro.msg = msg;
	ro.inputs[0] = m->in[0];
	ro.inputs[1] = m->in[1];
	rc = run_check(&ro);
	if (rc)
		return rc;
	rc = 1;
	if (load_inputs(m, in, msg))
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
