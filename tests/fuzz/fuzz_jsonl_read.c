/* libFuzzer target: any bytes as JSON Lines given to `synscope merge`. The
 * first empty line splits the input into two files, A and B (an empty line
 * is never valid JSONL, so the reader sees two files it may accept). Each is
 * read; a refused file must say why in one line, "line N: ..."; when both
 * are read, they are merged (matching, the clock estimate, renumbering) and
 * rendered by the tracker and three sinks to /dev/null. Nothing may crash,
 * hang or leak. Run by `make fuzz` from tests/fuzz/corpus/jsonl_read/. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "source/file/jsonl_read.h"
#include "source/file/merge.h"
#include "base/names.h"
#include "track/tracker.h"
#include "render/sinks.h"
#include "export/exports.h"

static FILE *devnull;

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_jsonl_read: %s\n", what);
		abort();
	}
}

/* Read one half into a merge input; false when refused (properly). */
static bool read_half(const uint8_t *p, size_t n, const char *name, struct merge_input *in)
{
	struct jsonl_events je;
	char err[256] = "";
	FILE *f;
	int rc;

	memset(in, 0, sizeof(*in));
	in->path = name;
	in->jsonl = true;
	if (!n)
		return true;
	f = fmemopen((void *)p, n, "r");
	must(f != NULL, "fmemopen failed");
	rc = jsonl_read_events(f, &je, err, sizeof(err));
	fclose(f);
	if (rc) {
		must(!strncmp(err, "line ", 5) || !strcmp(err, "out of memory"),
		     "a refusal without its line number");
		must(strchr(err, '\n') == NULL, "a message of more than one line");
		return false;
	}
	for (size_t i = 1; i < je.n; i++)
		must(je.ev[i - 1].ts_ns <= je.ev[i].ts_ns, "events out of time order");
	in->ev = je.ev;
	in->n = je.n;
	for (int i = 0; i < JSONL_REASONS && i < REC_RST_REASONS; i++) {
		in->rst_names[i] = je.rst_names[i];
		in->drop_names[i] = je.drop_names[i];
	}
	return true;
}

static void to_tracker(void *ctx, const struct syn_event *e)
{
	tracker_on_event(ctx, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cut = size > 1 ? memmem(data, size, "\n\n", 2) : NULL;
	size_t na = cut ? (size_t)(cut - data) + 1 : size;
	struct merge_input a, b;
	struct merge_plan plan;
	struct syn_sink *sinks[3];
	struct sink_opts so = { 0 };
	struct tracker *t;
	char err[512];
	bool ok;

	ok = read_half(data, na, "A", &a);
	ok = read_half(cut ? cut + 2 : data + size, cut ? size - na - 1 : 0, "B", &b) && ok;
	if (!ok)
		goto out;
	if (merge_prepare(&a, &b, NULL, &plan, err, sizeof(err))) {
		must(err[0] && !strchr(err, '\n'), "a merge error that is not one line");
		goto out;
	}
	must(plan.clock.violations <= plan.clock.segments, "more violations than segments");
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	so.out = devnull;
	so.wall_offset_ns = plan.wall_offset_ns;
	so.relative_seq = size & 1;
	rst_reason_names_set((const char *const *)a.rst_names, REC_RST_REASONS);
	drop_reason_names_set((const char *const *)a.drop_names, REC_RST_REASONS);
	sinks[0] = ladder_sink_new(&so);
	sinks[1] = stream_sink_new(&so);
	sinks[2] = jsonl_sink_new(&so);
	t = tracker_new(sinks, 3, NULL);
	merge_emit(&a, &b, to_tracker, t);
	tracker_finish(t);
	tracker_free(t);
	for (int i = 0; i < 3; i++)
		sinks[i]->destroy(sinks[i]);
	rst_reason_names_set(NULL, 0);
	drop_reason_names_set(NULL, 0);
out:
	merge_input_free(&a);
	merge_input_free(&b);
	return 0;
}
