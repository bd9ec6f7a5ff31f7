/* -r FILE: the recorded events through the same run as live tracing.
 * Exit status 0 for a whole recording; 1 when it was damaged or cut short
 * (what came before is drawn, and one line says where it ended) or when an
 * output could not be written. */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/names.h"
#include "base/strbuf.h"
#include "cli/commands.h"
#include "render/text_time.h"
#include "source/file/merge_input.h"
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

/* Ctrl-C (or SIGTERM) while a live pipe is read: its writer, a synscope
 * -w - in the same terminal, stops too and ends the recording, so the
 * first one reads on to that end and loses nothing; a second stops reading
 * at once (no SA_RESTART: a read() waiting on the pipe returns). */
static volatile sig_atomic_t interrupts, stop_now;

static void on_interrupt(int sig)
{
	static const char reading_on[] = "synscope: reading on to the end of the recording, which "
					 "its writer makes when it stops (Ctrl-C again stops now)\n";

	(void)sig;
	if (++interrupts >= 2)
		stop_now = 1;
	else /* said at once: the pipe may bring nothing for a while */
		(void)!write(STDERR_FILENO, reading_on, sizeof(reading_on) - 1);
}

static void catch_interrupts(struct rec_reader *rd)
{
	struct sigaction sa = { .sa_handler = on_interrupt };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rec_reader_stop_on(rd, &stop_now);
}

/* One event through the run, the output committed now and then; false
 * when the output stopped the run (said by the run, or a reader gone). */
static bool replay_one(struct run *run, const struct syn_event *e, unsigned long *n, bool live)
{
	bool commit;

	run_event(run, e);
	commit = ++*n % COMMIT_EVENTS == 0 || (live && e->kind == SYN_EV_TICK);
	return !commit || run_commit(run, *n, RUN_OFFLINE_FLUSH_EVENTS);
}

/* The events, until the end, a damage, or an output that stops the run. */
static enum rec_status replay_events(struct rec_reader *rd, struct run *run, bool live,
				     bool *output_stopped)
{
	struct syn_event e;
	enum rec_status st;
	unsigned long n = 0;

	while ((st = rec_reader_next(rd, &e)) == REC_EVENT) {
		if (!replay_one(run, &e, &n, live)) {
			*output_stopped = true;
			break;
		}
	}
	return st;
}

/* -r FILE.jsonl: synscope's JSON Lines (another host's, say), read whole
 * (its lines need not be in time order) and drawn as a recording would be:
 * its times are wall-clock times, its reason names the writer's. */
static int replay_jsonl(const struct options *o, const char *shown)
{
	struct merge_input in;
	struct rec_header h;
	struct run_opts ro;
	struct run *run;
	unsigned long n = 0;
	char err[512];
	int rc = 1;

	if (merge_input_load(&in, o->read_path, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s: %s\n", shown, err);
		return 1;
	}
	rec_header_init_local(&h); /* of this host, but for where it came from: not said */
	snprintf(h.host, sizeof(h.host), "?");
	snprintf(h.kernel, sizeof(h.kernel), "?");
	h.start_ns = in.start_ns;
	run_opts_from(o, true, &ro);
	ro.header = &h;
	ro.inputs[0] = o->read_path;
	rst_reason_names_set((const char *const *)in.rst_names, REC_RST_REASONS);
	drop_reason_names_set((const char *const *)in.drop_names, REC_RST_REASONS);
	run = run_open(&ro, &rc);
	if (run) {
		fprintf(stderr, "synscope: replaying %s: %zu events from JSON Lines (where each "
			"socket was freed is rebuilt: docs/merge.md)\n", shown, in.n);
		for (size_t i = 0; i < in.n && replay_one(run, &in.ev[i], &n, false); i++)
			;
		rc = run_close(run, 0);
	}
	rst_reason_names_set(NULL, 0);
	drop_reason_names_set(NULL, 0);
	merge_input_free(&in);
	return rc;
}

/* Standard input must bring a recording, and --top one that is live (a
 * pipe from synscope -w -): a file is over before its first screen. 0, or
 * the exit status with one line said. */
static int check_input(const struct options *o, bool live)
{
	if (rec_path_is_std(o->read_path) && isatty(STDIN_FILENO)) {
		fprintf(stderr, "synscope: -r - reads a recording from standard input, and it is a "
			"terminal: pipe one in (... | synscope -r -)\n");
		return 2;
	}
	if (o->format == FORMAT_TOP && !live) {
		fprintf(stderr, "synscope: --top shows what happens now: with -r, only a live "
			"recording through a pipe (ssh host synscope -w - | synscope -r - --top); "
			"a file is over: -f table or -f stats\n");
		return 2;
	}
	return 0;
}

/* Last, under what was drawn: where the recording stopped (not when it was
 * the output that stopped reading). 1 when it was not its end. */
static int say_where_it_stopped(const struct options *o, struct rec_reader *rd,
				enum rec_status st)
{
	char q[512];

	if (st == REC_END)
		return 0;
	if (stop_now)
		fprintf(stderr, "synscope: %s: stopped (Ctrl-C) before the recording's end: what "
			"came is drawn\n", input_name(o->read_path, q, sizeof(q)));
	else
		fprintf(stderr, "synscope: %s: %s\n", input_name(o->read_path, q, sizeof(q)),
			rec_reader_error(rd));
	return 1;
}

int replay_main(const struct options *o)
{
	struct run_opts ro;
	struct rec_header h;
	struct rec_reader *rd;
	struct run *run;
	enum rec_status st;
	bool output_stopped = false, live = input_is_live(o->read_path);
	char err[256], q[512];
	int rc = check_input(o, live);

	if (rc)
		return rc;
	if (!rec_path_is_std(o->read_path) && merge_input_is_jsonl(o->read_path))
		return replay_jsonl(o, input_name(o->read_path, q, sizeof(q)));
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
		if (live)
			catch_interrupts(rd);
		st = replay_events(rd, run, live, &output_stopped);
		rc = run_close(run, 0);
		if (!output_stopped && say_where_it_stopped(o, rd, st))
			rc = 1;
	}
	rst_reason_names_set(NULL, 0);
	drop_reason_names_set(NULL, 0);
	rec_reader_close(rd);
	rec_header_free_names(&h);
	return rc;
}
