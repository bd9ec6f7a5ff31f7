/* -r FILE: the recorded events through the same run as live tracing.
 * Exit status 0 for a whole recording; 1 when it was damaged or cut short
 * (what came before is drawn, and one line says where it ended) or when an
 * output could not be written. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/names.h"
#include "base/strbuf.h"
#include "cli/commands.h"
#include "render/text_time.h"
#include "source/file/rec_read.h"

#define COMMIT_EVENTS 1024 /* a commit point of the output every so many events */

/* The recording as messages name it: "-" is standard input. */
static const char *input_name(const char *path, char *buf, size_t len)
{
	if (rec_path_is_std(path))
		return "standard input";
	return txt_one_line(txt_copy(buf, len, path));
}

static void say_recording(const char *path, const struct rec_header *h)
{
	char when[64], q[512];

	txt_wall_utc((__s64)h->start_ns, when, sizeof(when));
	fprintf(stderr, "synscope: replaying %s: recorded on %s (kernel %s), %s\n",
		input_name(path, q, sizeof(q)), h->host[0] ? h->host : "?",
		h->kernel[0] ? h->kernel : "?", when);
}

/* Is the recording coming through a pipe (-r - at the end of a live
 * -w -)? Then what is drawn is written out at each of the source's ticks,
 * not only every COMMIT_EVENTS: a quiet trace's connections show as they
 * end, not when the pipe closes. */
static bool input_is_live(const char *path)
{
	struct stat st;

	return rec_path_is_std(path) && fstat(STDIN_FILENO, &st) == 0 && !S_ISREG(st.st_mode);
}

/* The events, until the end, a damage, or an output that stops the run. */
static enum rec_status replay_events(struct rec_reader *rd, struct run *run, bool live,
				     bool *output_stopped)
{
	struct syn_event e;
	enum rec_status st;
	unsigned long n = 0;

	while ((st = rec_reader_next(rd, &e)) == REC_EVENT) {
		bool commit;

		run_event(run, &e);
		commit = ++n % COMMIT_EVENTS == 0 || (live && e.kind == SYN_EV_TICK);
		if (commit && !run_commit(run, n, RUN_OFFLINE_FLUSH_EVENTS)) {
			*output_stopped = true; /* said by the run, or a reader gone */
			break;
		}
	}
	return st;
}

int replay_main(const struct options *o)
{
	struct run_opts ro;
	struct rec_header h;
	struct rec_reader *rd;
	struct run *run;
	enum rec_status st;
	bool output_stopped = false;
	char err[256], q[512];
	int rc;

	if (rec_path_is_std(o->read_path) && isatty(STDIN_FILENO)) {
		fprintf(stderr, "synscope: -r - reads a recording from standard input, and it is a "
			"terminal: pipe one in (... | synscope -r -)\n");
		return 2;
	}
	rd = rec_reader_open(o->read_path, &h, err, sizeof(err));
	if (!rd) {
		fprintf(stderr, "synscope: %s: %s\n", input_name(o->read_path, q, sizeof(q)), err);
		return 1;
	}
	run_opts_from(o, true, &ro);
	ro.sink.wall_offset_ns = h.wall_offset_ns;
	ro.header = &h;
	ro.inputs[0] = o->read_path;
	/* the sinks name reasons as the recording kernel did */
	rst_reason_names_set((const char *const *)h.rst_names, REC_RST_REASONS);
	drop_reason_names_set((const char *const *)h.drop_names, REC_RST_REASONS);
	run = run_open(&ro, &rc);
	if (run) {
		say_recording(o->read_path, &h);
		st = replay_events(rd, run, input_is_live(o->read_path), &output_stopped);
		rc = run_close(run, 0);
		/* last, under what was drawn: where the recording stopped (not when
		 * it was the output that stopped reading) */
		if (!output_stopped && st != REC_END) {
			fprintf(stderr, "synscope: %s: %s\n", input_name(o->read_path, q, sizeof(q)),
				rec_reader_error(rd));
			rc = 1;
		}
	}
	rst_reason_names_set(NULL, 0);
	drop_reason_names_set(NULL, 0);
	rec_reader_close(rd);
	rec_header_free_names(&h);
	return rc;
}
