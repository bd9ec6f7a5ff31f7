/*
 * synscope: trace TCP connections and draw them.
 *
 * The one pipeline: bpf_source (ring buffer) or a recording (-r) -> tracker
 * -> a sink; with -w, what the tracker is given is recorded too. This file
 * only wires it up: options, privilege and kernel checks, the traced command,
 * signals, the poll loop, and the exit status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bpf_source.h"
#include "collector_prio.h"
#include "event_filter.h"
#include "merge_cli.h"
#include "names.h"
#include "options.h"
#include "outfile.h"
#include "privs.h"
#include "proc_ports.h"
#include "recording.h"
#include "sink.h"
#include "sink_select.h"
#include "textout.h"
#include "tracker.h"

#define POLL_MS 50          /* the longest an event waits before it is shown */
#define DRAIN_MS 200        /* after the command exits: its sockets' last events */
#define MAX_WATCH 4096      /* ports of a -p process's existing sockets */
#define REC_FLUSH_NS 1000000000ull /* -w: at most this much is lost to a crash */
#define LOST_CHECK_NS 100000000ull /* asking the kernel costs a system call per program */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Is there an executable by this name, as execvp() would find it? */
static bool command_exists(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		struct stat st;

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".", name);
		if (access(buf, X_OK) == 0 && stat(buf, &st) == 0 && S_ISREG(st.st_mode))
			return true;
		path += len + (colon ? 1 : 0);
	}
	return false;
}

/* Fork the command stopped at a pipe: it runs only once tracing is attached,
 * so its first connect() is seen. It runs as the user synscope becomes. */
static pid_t spawn_held(char **cmd, int *release_fd, const struct privs_user *run_as)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char go, err[256];

		close(p[1]);
		if (read(p[0], &go, 1) != 1)
			_exit(126); /* synscope failed before tracing began */
		if (privs_drop(run_as, NULL, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "synscope: %s\n", err);
			_exit(126);
		}
		execvp(cmd[0], cmd);
		fprintf(stderr, "synscope: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*release_fd = p[1];
	return pid;
}

/* Where decoded events go: the replay filter (-r with -P/-p/-4/-6), then
 * the recording (-w), which holds exactly what the tracker is given. */
struct feed {
	struct tracker *t;
	struct event_filter *filter;
	struct rec_writer *w;
	const char *w_path;
	bool w_failed;
};

static void feed_tracker(void *ctx, const struct syn_event *e)
{
	struct feed *f = ctx;

	if (f->w && !f->w_failed && rec_writer_event(f->w, e)) {
		/* keep tracing to the other outputs: they lose nothing */
		fprintf(stderr, "synscope: %s: %s\n", f->w_path, rec_writer_error(f->w));
		f->w_failed = true;
	}
	if (f->t) /* NULL: recording only */
		tracker_on_event(f->t, e);
}

static void on_event(void *ctx, const struct syn_event *e)
{
	struct feed *f = ctx;

	if (f->filter)
		event_filter_push(f->filter, e, feed_tracker, f);
	else
		feed_tracker(f, e);
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* -w: start the recording; the header carries what replay needs to print
 * the same text (names from this kernel, the clock offset). */
static bool feed_record(struct feed *f, const char *path, const char *out_path,
			const struct rec_header *h)
{
	char err[256];

	if (same_file(path, out_path)) {
		/* two names of one file: -o is open, the recording would wipe it */
		fprintf(stderr, "synscope: %s: is the -o output too\n", path);
		return false;
	}
	f->w = rec_writer_open(path, h, err, sizeof(err));
	f->w_path = path;
	if (!f->w)
		fprintf(stderr, "synscope: %s\n", err); /* it names the file */
	return f->w != NULL;
}

/* Close the recording: its end record and the gzip trailer. False when
 * anything was not written (already said, or said now). A recording with
 * nothing drawn ends with what it holds. */
static bool feed_record_close(struct feed *f, bool record_only, __u64 lost)
{
	char err[256];
	bool ok = !f->w_failed;

	if (!f->w)
		return true;
	if (record_only)
		fprintf(stderr, "synscope: %llu events recorded in %s, %llu lost\n",
			(unsigned long long)rec_writer_events(f->w), f->w_path,
			(unsigned long long)lost);
	if (rec_writer_close(f->w, err, sizeof(err)) && !f->w_failed) {
		fprintf(stderr, "synscope: %s: %s\n", f->w_path, err);
		ok = false;
	}
	f->w = NULL;
	return ok && !f->w_failed;
}

/* The kernel counts what it could not queue; turn news of it into an event. */
static void report_lost(struct bpf_source *src, struct feed *f, __u64 *reported)
{
	__u64 lost = bpf_source_lost(src);
	struct syn_event e;

	if (lost <= *reported)
		return;
	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_LOST;
	e.ts_ns = now_ns(CLOCK_MONOTONIC);
	e.lost.count = lost - *reported;
	*reported = lost;
	on_event(f, &e);
}

/* -o FILE (a regular file, never through a symbolic link) or standard
 * output; NULL after saying why. */
static struct outfile *open_output(const struct options *o)
{
	char err[512];
	struct outfile *of = o->out_path ? outfile_open(o->out_path, err, sizeof(err))
					 : outfile_stdout();

	if (!of)
		fprintf(stderr, "synscope: %s\n", o->out_path ? err : "out of memory");
	return of;
}

static void sink_opts_for(const struct options *o, struct outfile *of, struct sink_opts *sko)
{
	memset(sko, 0, sizeof(*sko));
	sko->out = outfile_stream(of);
	sko->color = !o->out_path && !o->no_color && isatty(outfile_fd(of)) &&
		     !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	sko->relative_seq = o->relative_seq;
	sko->explain = o->explain;
	sko->pace_ms = o->pace_ms;
}

/* Render what is still open, say the summary, close the output. False when
 * the output could not be written. */
static bool end_output(const struct options *o, struct tracker *t, struct syn_sink *sink,
		       struct outfile *of)
{
	char err[512];
	bool ok = true;

	if (t) {
		tracker_finish(t);
		/* the ladder and stream end with this line; say it on stderr too
		 * when their output is not what the user is looking at, and
		 * always for the formats that keep it out of their output */
		if (o->out_path || !isatty(fileno(stdout)) ||
		    (o->format != FORMAT_LADDER && o->format != FORMAT_STREAM))
			txt_summary(stderr, tracker_summary(t));
	}
	tracker_free(t);
	if (sink)
		sink->destroy(sink);
	if (of && outfile_close(of, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		ok = false;
	}
	return ok;
}

/* -r FILE: the recorded events through the same tracker and sinks. Exit
 * status 0 for a whole recording; 1 when it was damaged or cut short (what
 * came before is rendered, and one line says where it ended). */
static int replay(const struct options *o)
{
	struct event_filter_opts fo = { 0 };
	struct sink_opts sko;
	struct syn_sink *sink = NULL;
	struct rec_reader *r;
	struct rec_header h;
	struct syn_event e;
	struct feed f = { 0 };
	enum rec_status st = REC_BAD;
	bool reading = false;
	unsigned long n = 0;
	char err[256], when[64];
	struct outfile *of = NULL;
	int rc = 1;

	r = rec_reader_open(o->read_path, &h, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "synscope: %s: %s\n", o->read_path, err);
		return 1;
	}
	if (same_file(o->read_path, o->out_path) || same_file(o->read_path, o->write_path)) {
		fprintf(stderr, "synscope: %s: is the recording being read\n",
			same_file(o->read_path, o->out_path) ? o->out_path : o->write_path);
		goto close_reader;
	}
	if (same_file(o->write_path, o->out_path)) {
		fprintf(stderr, "synscope: %s: is the -o output too\n", o->write_path);
		goto close_reader;
	}
	if (!o->record_only) {
		of = open_output(o);
		if (!of)
			goto close_reader;
		rst_reason_names_set((const char *const *)h.rst_names, REC_RST_REASONS);
		drop_reason_names_set((const char *const *)h.drop_names, REC_RST_REASONS);
		sink_opts_for(o, of, &sko);
		sko.wall_offset_ns = h.wall_offset_ns;
		sink = sink_for_options(o, &sko);
		f.t = sink ? tracker_new(&sink, 1, &(struct tracker_opts){ .all_rows = o->verbose }) : NULL;
	}
	memcpy(fo.ports, o->ports, sizeof(fo.ports));
	fo.nports = o->nports;
	fo.pid = o->pid;
	fo.family = o->family;
	if (event_filter_any(&fo))
		f.filter = event_filter_new(&fo);
	if ((!f.t && !o->record_only) || (event_filter_any(&fo) && !f.filter)) {
		fprintf(stderr, "synscope: out of memory\n");
		goto done;
	}
	if (o->write_path && !feed_record(&f, o->write_path, o->out_path, &h))
		goto done;

	txt_wall_utc((__s64)h.start_ns, when, sizeof(when));
	fprintf(stderr, "synscope: replaying %s: recorded on %s (kernel %s), %s\n", o->read_path,
		h.host[0] ? h.host : "?", h.kernel[0] ? h.kernel : "?", when);
	reading = true;
	signal(SIGPIPE, SIG_IGN); /* | head: seen as EPIPE, ends quietly */
	while ((st = rec_reader_next(r, &e)) == REC_EVENT) {
		on_event(&f, &e);
		if (++n % 4096 == 0 && of && !outfile_commit(of))
			break; /* a write error, or nobody reads any more */
	}
	if (f.filter)
		event_filter_finish(f.filter, feed_tracker, &f);
	rc = st == REC_END ? 0 : 1;
done:
	if (!feed_record_close(&f, o->record_only, 0))
		rc = 1;
	if (!end_output(o, f.t, sink, of))
		rc = 1;
	/* last, under what was rendered: where the recording stopped */
	if (reading && st != REC_END)
		fprintf(stderr, "synscope: %s: %s\n", o->read_path, rec_reader_error(r));
	event_filter_free(f.filter);
close_reader:
	rec_reader_close(r);
	rec_header_free_names(&h);
	return rc;
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Checked with no capability in effect before giving them up. */
static bool source_works_unprivileged(void *src)
{
	return bpf_source_counters_readable(src);
}

int main(int argc, char **argv)
{
	struct bpf_source_opts so = { 0 };
	struct sink_opts sko = { 0 };
	struct bpf_source *src = NULL;
	struct syn_sink *sink = NULL;
	struct feed f = { 0 };
	struct outfile *of = NULL;
	struct privs_user run_as;
	struct options o;
	struct sigaction sa;
	static __u16 watch[MAX_WATCH];
	static struct syn_watch_key watch_keys[MAX_WATCH];
	char err[512];
	pid_t child = 0;
	int release_fd = -1, child_status = 0, rc = 1;
	bool child_done = false, child_stopped = false;
	__u64 lost_reported = 0, start, drain_until = 0, flushed, flushed_events = 0, caps;
	__u64 lost_checked = 0, skipped = 0;
	__s64 wall_offset_ns;

	if (argc > 1 && !strcmp(argv[1], "merge"))
		return merge_main(argc - 1, argv + 1); /* files only: docs/merge.md */
	if (options_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	if (o.help) {
		options_usage(stdout);
		return 0;
	}
	if (o.format == FORMAT_PCAPNG && !o.out_path && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "synscope: pcapng is binary: give -o FILE or pipe it, not to a terminal\n");
		return 2;
	}
	if (o.read_path)
		return replay(&o);
	if (privs_effective_caps(&caps) == 0 && privs_missing(caps, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 1;
	}
	if (privs_target(o.run_as, getenv("SUDO_UID"), getenv("SUDO_GID"), getuid(), &run_as,
			 err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	if (o.cmd && !command_exists(o.cmd[0])) {
		fprintf(stderr, "synscope: command not found: %s\n", o.cmd[0]);
		return 127;
	}
	if (o.pid && kill((pid_t)o.pid, 0) && errno == ESRCH) {
		fprintf(stderr, "synscope: no process with pid %u\n", o.pid);
		return 1;
	}

	if (o.cmd) {
		child = spawn_held(o.cmd, &release_fd, &run_as);
		if (child < 0) {
			fprintf(stderr, "synscope: cannot start %s: %s\n", o.cmd[0], strerror(errno));
			goto cleanup;
		}
	}
	so.pid = child ? (__u32)child : o.pid;
	so.family = o.family;
	so.nports = o.nports;
	memcpy(so.ports, o.ports, sizeof(so.ports));
	so.ring_bytes = (size_t)o.buffer_kb * 1024;
	if (o.pid) {
		/* a server already blocked in accept(): its port must pass from
		 * the first packet on, not only after its next socket call */
		int n = proc_tcp_ports("/proc", (pid_t)o.pid, watch, MAX_WATCH);
		__u32 netns = proc_netns("/proc", (pid_t)o.pid);

		for (int i = 0; i < n; i++)
			watch_keys[i] = (struct syn_watch_key){ .netns = netns, .port = watch[i] };
		so.watch_ports = watch_keys;
		so.nwatch = n > 0 ? n : 0;
	}
	src = bpf_source_open(&so, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "synscope: %s\n", err);
		goto cleanup;
	}
	/* ahead of the load it traces, while it may (the command runs as it was) */
	collector_raise_priority();
	/* attached: root is not needed any more; the output files are made
	 * by the user they belong to (docs/reliability.md) */
	switch (privs_drop(&run_as, source_works_unprivileged, src, err, sizeof(err))) {
	case -1:
		fprintf(stderr, "synscope: %s\n", err);
		goto cleanup;
	case 1:
		fprintf(stderr, "synscope: %s\n", err);
		break;
	}
	wall_offset_ns = (__s64)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
	if (!o.record_only) {
		of = open_output(&o);
		if (!of)
			goto cleanup;
		sink_opts_for(&o, of, &sko);
		sko.wall_offset_ns = wall_offset_ns;
		sink = sink_for_options(&o, &sko);
		f.t = sink ? tracker_new(&sink, 1, &(struct tracker_opts){ .all_rows = o.verbose }) : NULL;
		if (!f.t) {
			fprintf(stderr, "synscope: out of memory\n");
			goto cleanup;
		}
	}
	if (o.write_path) {
		/* after bpf_source_open: it loaded this kernel's reason names */
		struct rec_header h;

		rec_header_init_local(&h);
		h.wall_offset_ns = wall_offset_ns;
		for (unsigned int i = 0; i < REC_RST_REASONS; i++) {
			h.rst_names[i] = (char *)rst_reason_name(i);
			h.drop_names[i] = (char *)drop_reason_name(i);
		}
		if (!feed_record(&f, o.write_path, o.out_path, &h))
			goto cleanup;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a reader that went away (| head) is seen as EPIPE and ends the run
	 * quietly; the command was forked before, with SIGPIPE as it was */
	signal(SIGPIPE, SIG_IGN);

	fprintf(stderr, "synscope: tracing\n");
	if (child) {
		if (write(release_fd, "g", 1) != 1) {
			fprintf(stderr, "synscope: cannot start %s: %s\n", o.cmd[0], strerror(errno));
			goto cleanup;
		}
		close(release_fd);
		release_fd = -1;
	}

	start = flushed = now_ns(CLOCK_MONOTONIC);
	while (!stop_signal) {
		int n = bpf_source_poll(src, POLL_MS, on_event, &f);
		__u64 now = now_ns(CLOCK_MONOTONIC);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "synscope: reading the ring buffer: %s\n", strerror(-n));
			break;
		}
		if (now - lost_checked >= LOST_CHECK_NS) {
			report_lost(src, &f, &lost_reported);
			lost_checked = now;
		}
		/* every sink is between lines and connections here */
		if (of && !outfile_commit(of))
			break; /* a write error, or nobody reads any more */
		if (f.w && !f.w_failed && now - flushed >= REC_FLUSH_NS &&
		    rec_writer_events(f.w) != flushed_events) {
			flushed_events = rec_writer_events(f.w);
			if (rec_writer_flush(f.w)) {
				fprintf(stderr, "synscope: %s: %s\n", f.w_path, rec_writer_error(f.w));
				f.w_failed = true;
			}
			flushed = now;
		}
		if (o.duration_s > 0 && now - start >= (__u64)(o.duration_s * 1e9))
			break;
		if (child && !child_done && waitpid(child, &child_status, WNOHANG) == child) {
			child_done = true;
			drain_until = now + DRAIN_MS * 1000000ull;
		}
		if (child_done && now >= drain_until)
			break;
	}
	/* whatever is still queued belongs in the output too */
	bpf_source_drain(src, on_event, &f);
	report_lost(src, &f, &lost_reported);
	skipped = bpf_source_skipped(src);
	rc = 0;

cleanup:
	if (release_fd >= 0)
		close(release_fd); /* a held child that never ran exits now */
	if (child > 0 && !child_done) {
		/* stopped by a signal or an error while the command still runs:
		 * ask it to end, but never hang on one that ignores us */
		child_stopped = true;
		kill(child, SIGTERM);
		for (int i = 0; i < 20 && !child_done; i++) {
			if (waitpid(child, &child_status, WNOHANG) == child)
				child_done = true;
			else
				usleep(50000);
		}
	}
	bpf_source_close(src);
	/* the recording is whole on every way out: Ctrl-C, SIGTERM, the
	 * command's exit, -d, an error */
	if (!feed_record_close(&f, o.record_only, lost_reported))
		rc = 1;
	if (!end_output(&o, f.t, sink, of))
		rc = 1;
	if (skipped)
		fprintf(stderr, "synscope: %llu of the lost events were never made: the kernel skipped "
			"a program that fired again on a CPU while it ran there (a bigger -b does not "
			"help those)\n", (unsigned long long)skipped);
	/* how the command ended, unless synscope ended it (signal, -d, | head) */
	if (rc == 0 && child_done && !child_stopped)
		rc = exit_status_of(child_status);
	return rc;
}
