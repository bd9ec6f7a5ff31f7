/* One run of the pipeline (run.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/strbuf.h"
#include "record/outfile.h"
#include "record/rec_write.h"
#include "render/text_summary.h"
#include "run/run.h"
#include "run/sink_select.h"

struct run {
	struct run_opts o;
	struct event_filter *filter;   /* NULL: nothing to filter */
	struct rec_writer *w;          /* -w */
	bool w_failed;                 /* said once; the other outputs go on */
	__u64 w_flushed_at;
	struct outfile *out;           /* NULL: nothing drawn */
	struct syn_sink *sinks[2];     /* the format's, and --stats' */
	int nsinks;
	struct tracker *t;
	bool stopped;                  /* the output failed (said) or its reader went */
};

/* Two names of one file? (an input and an output, -o and -w) */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!a || !b || rec_path_is_std(a) || rec_path_is_std(b))
		return false; /* "-" is standard input or output, not a file's name */
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* A file name as a message may quote it: control bytes as '?'. The run
 * writes "-" (-w -), so that is standard output. */
static const char *quoted(const char *path, char *buf, size_t len)
{
	if (rec_path_is_std(path))
		return "standard output";
	return txt_one_line(txt_copy(buf, len, path));
}

static void say(const struct run *r, const char *path, const char *what)
{
	char q[512];

	fprintf(r->o.msg, "synscope: %s: %s\n", quoted(path, q, sizeof(q)), what);
}

/* SIGUSR1: the statistics so far, at the next commit point. */
static volatile sig_atomic_t report_asked;

static void on_report_signal(int sig)
{
	(void)sig;
	report_asked = 1;
}

int run_check(const struct run_opts *o)
{
	const struct run *r = &(struct run){ .o = *o };

	if (o->draw && o->format == FORMAT_PCAPNG && !o->out_path && isatty(STDOUT_FILENO)) {
		fprintf(o->msg, "synscope: pcapng is binary: give -o FILE or pipe it, "
			"not to a terminal\n");
		return 2;
	}
	if (o->draw && o->format == FORMAT_TOP && (o->out_path || !isatty(STDOUT_FILENO))) {
		fprintf(o->msg, "synscope: --top draws on a terminal, and standard output is not "
			"one: -f table or -f stats write to files and pipes\n");
		return 2;
	}
	if (rec_path_is_std(o->write_path) && isatty(STDOUT_FILENO)) {
		fprintf(o->msg, "synscope: a recording is binary: pipe -w - or redirect it to a "
			"file, not to a terminal\n");
		return 2;
	}
	for (int i = 0; i < RUN_MAX_INPUTS; i++) {
		if (o->draw && same_file(o->inputs[i], o->out_path)) {
			say(r, o->out_path, "is a file being read");
			return 1;
		}
		if (same_file(o->inputs[i], o->write_path)) {
			say(r, o->write_path, "is a file being read");
			return 1;
		}
	}
	if (o->draw && same_file(o->write_path, o->out_path)) {
		say(r, o->write_path, "is the -o output too");
		return 1;
	}
	return 0;
}

static bool open_recording(struct run *r)
{
	char err[512];

	r->w = rec_writer_open(r->o.write_path, r->o.header, err, sizeof(err));
	if (!r->w)
		fprintf(r->o.msg, "synscope: %s\n", txt_one_line(err)); /* it names the file */
	return r->w != NULL;
}

/* Formats that are text for a reader: the summary line and --stats' pages
 * go in them. */
static bool format_is_text(enum out_format f)
{
	return f == FORMAT_LADDER || f == FORMAT_STREAM || f == FORMAT_TABLE || f == FORMAT_STATS;
}

/* The width a terminal on fd has (its window size, else $COLUMNS), within
 * what the text drawings take: never over the default, never under the
 * least they can be drawn to. 0 when fd is no terminal. */
static int terminal_width(int fd)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	long cols = 0;

	if (!isatty(fd))
		return 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		cols = ws.ws_col;
	else if (env && *env)
		cols = strtol(env, NULL, 10);
	if (cols <= 0 || cols > TEXT_WIDTH_DEFAULT)
		return TEXT_WIDTH_DEFAULT;
	return cols < TEXT_WIDTH_MIN ? TEXT_WIDTH_MIN : (int)cols;
}

/* --stats beside another format: its pages go with text, or to the
 * messages when the output is a file of another format. */
static void add_stats_sink(struct run *r)
{
	struct sink_opts so = r->o.sink;

	if (!format_is_text(r->o.format))
		so.out = r->o.msg; /* the output stays one format */
	so.color = false;
	r->sinks[r->nsinks] = sink_for_format(FORMAT_STATS, STYLE_LADDER, &so);
	if (r->sinks[r->nsinks])
		r->nsinks++;
}

/* -o FILE (a regular file, never through a symbolic link) or standard
 * output; colour only on a terminal, never with NO_COLOR; on a terminal
 * and without --width, the terminal's width. */
static bool open_drawing(struct run *r)
{
	struct run_opts *o = &r->o;
	const char *no_color = getenv("NO_COLOR");
	char err[512];

	r->out = o->out_path ? outfile_open(o->out_path, err, sizeof(err)) : outfile_stdout();
	if (!r->out) {
		fprintf(o->msg, "synscope: %s\n", o->out_path ? txt_one_line(err) : "out of memory");
		return false;
	}
	o->sink.out = outfile_stream(r->out);
	o->sink.color = !o->out_path && !o->no_color && isatty(outfile_fd(r->out)) &&
			!(no_color && *no_color);
	if (!o->sink.width && !o->out_path)
		o->sink.width = terminal_width(outfile_fd(r->out));
	r->sinks[r->nsinks] = sink_for_format(o->format, o->style, &o->sink);
	if (r->sinks[r->nsinks])
		r->nsinks++;
	if (r->nsinks && o->stats && o->format != FORMAT_STATS)
		add_stats_sink(r);
	if (r->nsinks == 1 + (o->stats && o->format != FORMAT_STATS))
		r->t = tracker_new(r->sinks, r->nsinks, &o->track);
	if (!r->t)
		fprintf(o->msg, "synscope: out of memory\n");
	return r->t != NULL;
}

/* SIGUSR1 asks for the statistics so far; without SA_RESTART, so that a
 * poll returns at once and the answer does not wait for traffic. */
static void catch_report_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_report_signal;
	sigemptyset(&sa.sa_mask);
	report_asked = 0;
	sigaction(SIGUSR1, &sa, NULL);
}

/* Does path name a file (not "-", standard output)? */
static bool file_exists(const char *path)
{
	struct stat st;

	return path && strcmp(path, "-") && !lstat(path, &st);
}

struct run *run_open(const struct run_opts *opts, int *status)
{
	struct run *r = calloc(1, sizeof(*r));
	bool had_recording = file_exists(opts->write_path);

	*status = 1;
	if (!r) {
		fprintf(opts->msg, "synscope: out of memory\n");
		return NULL;
	}
	r->o = *opts;
	*status = run_check(&r->o);
	if (*status)
		goto fail;
	*status = 1;
	if (event_filter_any(&r->o.filter) && !(r->filter = event_filter_new(&r->o.filter))) {
		fprintf(r->o.msg, "synscope: out of memory\n");
		goto fail;
	}
	if (r->o.write_path && !open_recording(r))
		goto fail;
	if (r->o.draw && !open_drawing(r))
		goto fail;
	/* a reader that went away (| head) is seen as EPIPE and ends the run
	 * quietly; a traced command was forked before, with SIGPIPE as it was */
	signal(SIGPIPE, SIG_IGN);
	catch_report_signal();
	*status = 0;
	return r;
fail:
	if (r->w) {
		rec_writer_close(r->w, NULL, (char[8]){ 0 }, 8);
		/* a -w FILE this run made, then failed to use (-o refused): no
		 * empty recording left to look like a trace */
		if (!had_recording && strcmp(r->o.write_path, "-"))
			unlink(r->o.write_path);
	}
	for (int i = 0; i < r->nsinks; i++)
		r->sinks[i]->destroy(r->sinks[i]);
	tracker_free(r->t);
	if (r->out)
		outfile_close(r->out, (char[8]){ 0 }, 8);
	event_filter_free(r->filter);
	free(r);
	return NULL;
}

/* A write to the recording failed. The reader of -w - going away (| head)
 * ends the run quietly, as the text output's does; any other failure is
 * said, and the other outputs go on: they lose nothing. */
static void recording_failed(struct run *r)
{
	r->w_failed = true;
	if (rec_writer_reader_gone(r->w))
		r->stopped = true;
	else
		say(r, r->o.write_path, rec_writer_error(r->w));
}

/* After the filter: the recording holds exactly what the tracker is given. */
static void feed_tracker(void *ctx, const struct syn_event *e)
{
	struct run *r = ctx;

	if (r->w && !r->w_failed && rec_writer_event(r->w, e))
		recording_failed(r);
	if (r->t)
		tracker_on_event(r->t, e);
}

void run_event(struct run *r, const struct syn_event *e)
{
	if (r->filter)
		event_filter_push(r->filter, e, feed_tracker, r);
	else
		feed_tracker(r, e);
}

/* A SIGUSR1 came: the sinks that can say what they know so far do. */
static void answer_report(struct run *r)
{
	bool any = false;

	report_asked = 0;
	for (int i = 0; i < r->nsinks; i++)
		any |= r->sinks[i]->report != NULL;
	if (any && r->t)
		tracker_report(r->t);
	else
		fprintf(r->o.msg, "synscope: SIGUSR1 asks for the statistics so far: none were asked "
			"for (--stats or -f stats)\n");
}

bool run_commit(struct run *r, __u64 now_ns, __u64 flush_ns)
{
	if (report_asked && !r->stopped)
		answer_report(r);
	if (r->out && !r->stopped && !outfile_commit(r->out))
		r->stopped = true; /* a write error, or nobody reads any more */
	if (r->w && !r->w_failed && now_ns - r->w_flushed_at >= flush_ns) {
		r->w_flushed_at = now_ns;
		if (rec_writer_flush(r->w))
			recording_failed(r);
	}
	return !r->stopped;
}

/* The end record and the gzip trailer. -w alone says what it recorded: the
 * events the file holds, after a write error too. */
static int close_recording(struct run *r, __u64 lost)
{
	char err[256], q[512];
	__u64 kept = 0;
	bool gone;
	int rc = 0;

	if (!r->w)
		return 0;
	if (!r->w_failed && rec_writer_flush(r->w))
		recording_failed(r);
	gone = rec_writer_reader_gone(r->w);
	if (rec_writer_close(r->w, &kept, err, sizeof(err))) {
		if (!r->w_failed)
			say(r, r->o.write_path, err);
		rc = !gone;
	} else if (r->w_failed) {
		rc = 1;
	}
	if (!r->o.draw)
		fprintf(r->o.msg, "synscope: %llu events recorded in %s, %llu lost%s\n",
			(unsigned long long)kept, quoted(r->o.write_path, q, sizeof(q)),
			(unsigned long long)lost, gone ? "; its reader went away" : "");
	return rc;
}

/* Do two descriptors write to one file or pipe (`> lesson.txt 2>&1`)? */
static bool same_file_open(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The summary line ends the ladder, the stream and the table; said on msg too when
 * their output is not what the user is looking at, and always for the
 * formats that keep it out of their output; never twice in one file. */
static bool summary_on_msg(const struct run *r)
{
	/* -f stats says every count in its own words */
	bool in_output = format_is_text(r->o.format) && r->o.format != FORMAT_STATS;

	if (!in_output)
		return true;
	if (r->o.out_path)
		return true;
	return !isatty(STDOUT_FILENO) && !same_file_open(STDOUT_FILENO, fileno(r->o.msg));
}

int run_close(struct run *r, __u64 lost)
{
	char err[512];
	int rc = 0;

	if (r->filter)
		event_filter_finish(r->filter, feed_tracker, r);
	if (r->t) { /* after a write error, nothing more reaches the file */
		tracker_finish(r->t);
		if (summary_on_msg(r))
			txt_summary(r->o.msg, tracker_summary(r->t));
	}
	rc |= close_recording(r, lost);
	for (int i = 0; i < r->nsinks; i++)
		r->sinks[i]->destroy(r->sinks[i]);
	tracker_free(r->t);
	if (r->out && outfile_close(r->out, err, sizeof(err))) {
		fprintf(r->o.msg, "synscope: %s\n", txt_one_line(err));
		rc = 1;
	}
	event_filter_free(r->filter);
	free(r);
	return rc;
}
