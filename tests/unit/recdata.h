/* Real recordings for unit tests (tests/unit/data/README.md): read one whole,
 * and render events as JSONL text. Paths are relative to the repository
 * root, where scripts/run-tests.sh runs the tests. */
#ifndef SYNSCOPE_TEST_RECDATA_H
#define SYNSCOPE_TEST_RECDATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/names.h"
#include "source/file/rec_read.h"
#include "track/sink.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "track/tracker.h"
#include "track/limits.h"

#define DATA_DIR "tests/unit/data/"

/* Every scenario recorded between two namespaces, client 10.99.0.1 (or
 * fd99::1) and server 10.99.0.2 (fd99::2). */
static const char *const recdata_names[] = {
	"handshake-close", "handshake-close-v6", "refused", "lost-syn", "simultaneous-open",
	"backlog-late", "udp",
};
#define RECDATA_N (sizeof(recdata_names) / sizeof(recdata_names[0]))

struct recdata {
	struct rec_header h;
	struct syn_event *ev;
	size_t n;
};

/* NULL-free on failure: n = 0 and a message on stderr. */
static inline bool recdata_load(const char *name, struct recdata *d)
{
	char path[256], err[256];
	struct rec_reader *r;
	struct syn_event e;
	size_t cap = 0;

	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), DATA_DIR "%s.gz", name);
	r = rec_reader_open(path, &d->h, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "  %s: %s\n", path, err);
		return false;
	}
	while (rec_reader_next(r, &e) == REC_EVENT) {
		if (d->n == cap) {
			cap = cap ? cap * 2 : 64;
			d->ev = realloc(d->ev, cap * sizeof(e));
		}
		d->ev[d->n++] = e;
	}
	rec_reader_close(r);
	return d->n > 0;
}

static inline void recdata_free(struct recdata *d)
{
	free(d->ev);
	rec_header_free_names(&d->h);
}

/* The index just after the first accept() return (0: none): the server has
 * its connection, and a pause from there is a connection gone quiet. */
static inline size_t recdata_after_accept(const struct recdata *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct syn_event *e = &d->ev[i];

		if (e->kind == SYN_EV_SYSCALL && e->sys.phase == SYN_PHASE_RETURN &&
		    (e->sys.call == SYN_CALL_ACCEPT || e->sys.call == SYN_CALL_ACCEPT4))
			return i + 1;
	}
	return 0;
}

typedef struct syn_sink *(*recdata_sink_fn)(const struct sink_opts *o);

/* The events through the tracker into a sink made by sink_new (and keep, if
 * given); what it wrote. */
static inline char *recdata_render(recdata_sink_fn sink_new, const struct syn_event *ev, size_t n,
				   __s64 wall_offset, struct syn_sink *keep, struct run_summary *sum,
				   size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct sink_opts o = { .out = f, .wall_offset_ns = wall_offset };
	struct syn_sink *sinks[2] = { sink_new(&o), keep };
	struct tracker *t = tracker_new(sinks, keep ? 2 : 1, NULL);

	for (size_t i = 0; i < n; i++)
		tracker_on_event(t, &ev[i]);
	tracker_finish(t);
	if (sum)
		*sum = *tracker_summary(t);
	tracker_free(t);
	sinks[0]->destroy(sinks[0]);
	fclose(f);
	return buf;
}

/* The events through the tracker into the JSONL sink (and keep, if given). */
static inline char *recdata_jsonl(const struct syn_event *ev, size_t n, __s64 wall_offset,
				  struct syn_sink *keep, struct run_summary *sum)
{
	size_t len;

	return recdata_render(jsonl_sink_new, ev, n, wall_offset, keep, sum, &len);
}

/* What a sink wrote of handshake-close, whole and with its connection idle
 * for 6 s after the server's accept(): by a tick just short of 2 s into the
 * pause (early), by the tick 2 s into it (quiet: TRACKER_QUIET_NS, the
 * rows go out), and in the end (paused). */
struct quiet_run {
	char *whole, *early, *quiet, *paused;
	size_t whole_len, early_len, quiet_len, paused_len;
};

/* What f, an open_memstream of *buf and *len, holds so far: a copy. */
static inline char *recdata_copy(FILE *f, char *const *buf, const size_t *len, size_t *copy_len)
{
	fflush(f);

	char *copy = malloc(*len + 1);

	memcpy(copy, *buf, *len + 1);
	*copy_len = *len;
	return copy;
}

static inline bool recdata_quiet_run(recdata_sink_fn sink_new, struct quiet_run *q)
{
	struct recdata d;
	size_t gap;

	memset(q, 0, sizeof(*q));
	if (!recdata_load("handshake-close", &d))
		return false;
	gap = recdata_after_accept(&d);
	q->whole = recdata_render(sink_new, d.ev, d.n, d.h.wall_offset_ns, NULL, NULL, &q->whole_len);
	for (size_t i = gap; i < d.n; i++)
		d.ev[i].ts_ns += 3 * TRACKER_QUIET_NS;

	FILE *f = open_memstream(&q->paused, &q->paused_len);
	struct sink_opts o = { .out = f, .wall_offset_ns = d.h.wall_offset_ns };
	struct syn_sink *s = sink_new(&o);
	struct tracker *t = tracker_new(&s, 1, NULL);
	struct syn_event tick = { .kind = SYN_EV_TICK,
				  .ts_ns = d.ev[gap - 1].ts_ns + TRACKER_QUIET_NS - 1 };

	for (size_t i = 0; i < gap; i++)
		tracker_on_event(t, &d.ev[i]);
	tracker_on_event(t, &tick);
	q->early = recdata_copy(f, &q->paused, &q->paused_len, &q->early_len);
	tick.ts_ns++;
	tracker_on_event(t, &tick);
	q->quiet = recdata_copy(f, &q->paused, &q->paused_len, &q->quiet_len);
	for (size_t i = gap; i < d.n; i++)
		tracker_on_event(t, &d.ev[i]);
	tracker_finish(t);
	tracker_free(t);
	s->destroy(s);
	fclose(f);
	recdata_free(&d);
	return gap > 0 && gap < d.n;
}

static inline void quiet_run_free(struct quiet_run *q)
{
	free(q->whole);
	free(q->early);
	free(q->quiet);
	free(q->paused);
}

#endif
