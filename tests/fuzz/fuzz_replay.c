/* libFuzzer target: any bytes, replayed the whole way `synscope -r` does:
 * the reader, the replay filter, the tracker and all three sinks (their text
 * to /dev/null). A crafted recording must not crash any of them. Run by
 * `make fuzz` from tests/fuzz/corpus/replay/. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "filter/event_filter.h"
#include "base/names.h"
#include "source/file/rec_read.h"
#include "track/tracker.h"
#include "render/sinks.h"
#include "export/exports.h"

static FILE *devnull;

static void to_tracker(void *ctx, const struct syn_event *e)
{
	tracker_on_event(ctx, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_header h;
	struct rec_reader *r;
	struct syn_event e;
	struct syn_sink *sinks[3];
	struct sink_opts so = { 0 };
	struct tracker *t;
	struct event_filter *f = NULL;
	char err[256];
	int fd = memfd_create("fuzz_replay", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	r = rec_reader_fdopen(fd, &h, err, sizeof(err));
	if (!r)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	so.out = devnull;
	so.wall_offset_ns = h.wall_offset_ns;
	so.relative_seq = size & 1;
	sinks[0] = ladder_sink_new(&so);
	sinks[1] = stream_sink_new(&so);
	sinks[2] = jsonl_sink_new(&so);
	t = tracker_new(sinks, 3, NULL);
	rst_reason_names_set((const char *const *)h.rst_names, REC_RST_REASONS);
	/* half the inputs through a port filter: the first port seen */
	while (rec_reader_next(r, &e) == REC_EVENT) {
		if (!f && (size & 2) && e.sport) {
			struct event_filter_opts fo = { .ports = { e.sport }, .nports = 1 };

			f = event_filter_new(&fo);
		}
		if (f)
			event_filter_push(f, &e, to_tracker, t);
		else
			tracker_on_event(t, &e);
	}
	if (f)
		event_filter_finish(f, to_tracker, t);
	event_filter_free(f);
	tracker_finish(t);
	tracker_free(t);
	for (int i = 0; i < 3; i++)
		sinks[i]->destroy(sinks[i]);
	rec_reader_close(r);
	rec_header_free_names(&h);
	return 0;
}
