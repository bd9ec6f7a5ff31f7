/*
 * synscope: trace TCP connections and draw them.
 *
 * The one pipeline: bpf_source (ring buffer) -> tracker -> a sink. This file
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
#include "options.h"
#include "outfile.h"
#include "privs.h"
#include "proc_ports.h"
#include "sink.h"
#include "textout.h"
#include "tracker.h"

#define POLL_MS 50          /* the longest an event waits before it is shown */
#define DRAIN_MS 200        /* after the command exits: its sockets' last events */
#define MAX_WATCH 4096      /* ports of a -p process's existing sockets */

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

static struct syn_sink *sink_for(const struct options *o, const struct sink_opts *so)
{
	switch (o->format) {
	case FORMAT_STREAM:
		return stream_sink_new(so);
	case FORMAT_JSONL:
		return jsonl_sink_new(so);
	case FORMAT_HTML:
		return html_sink_new(so);
	default:
		return ladder_sink_new(so);
	}
}

static void on_event(void *ctx, const struct syn_event *e)
{
	tracker_on_event(ctx, e);
}

/* The kernel counts what it could not queue; turn news of it into an event. */
static void report_lost(struct bpf_source *src, struct tracker *t, __u64 *reported)
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
	tracker_on_event(t, &e);
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
	struct tracker *t = NULL;
	struct outfile *of = NULL;
	struct privs_user run_as;
	struct options o;
	struct sigaction sa;
	static __u16 watch[MAX_WATCH];
	FILE *out;
	char err[512];
	pid_t child = 0;
	int release_fd = -1, child_status = 0, rc = 1;
	bool child_done = false, child_stopped = false;
	__u64 lost_reported = 0, start, drain_until = 0, caps;

	if (options_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	if (o.help) {
		options_usage(stdout);
		return 0;
	}
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

		so.watch_ports = watch;
		so.nwatch = n > 0 ? n : 0;
	}
	src = bpf_source_open(&so, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "synscope: %s\n", err);
		goto cleanup;
	}
	/* attached: root is not needed any more; the output file is made by
	 * the user it belongs to (docs/reliability.md) */
	switch (privs_drop(&run_as, source_works_unprivileged, src, err, sizeof(err))) {
	case -1:
		fprintf(stderr, "synscope: %s\n", err);
		goto cleanup;
	case 1:
		fprintf(stderr, "synscope: %s\n", err);
		break;
	}
	of = o.out_path ? outfile_open(o.out_path, err, sizeof(err)) : outfile_stdout();
	if (!of) {
		fprintf(stderr, "synscope: %s\n", o.out_path ? err : "out of memory");
		goto cleanup;
	}
	out = outfile_stream(of);

	sko.out = out;
	sko.color = !o.out_path && !o.no_color && isatty(outfile_fd(of)) &&
		    !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	sko.relative_seq = o.relative_seq;
	sko.explain = o.explain;
	sko.pace_ms = o.pace_ms;
	sko.wall_offset_ns = (__s64)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
	sink = sink_for(&o, &sko);
	t = sink ? tracker_new(&sink, 1) : NULL;
	if (!t) {
		fprintf(stderr, "synscope: out of memory\n");
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

	start = now_ns(CLOCK_MONOTONIC);
	while (!stop_signal) {
		int n = bpf_source_poll(src, POLL_MS, on_event, t);
		__u64 now = now_ns(CLOCK_MONOTONIC);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "synscope: reading the ring buffer: %s\n", strerror(-n));
			break;
		}
		report_lost(src, t, &lost_reported);
		/* every sink is between lines and connections here */
		if (!outfile_commit(of))
			break; /* a write error, or nobody reads any more */
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
	while (bpf_source_poll(src, 0, on_event, t) > 0)
		;
	report_lost(src, t, &lost_reported);
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
	if (t) {
		const struct run_summary *sum;

		tracker_finish(t);
		sum = tracker_summary(t);
		/* the text sinks end with this line; say it on stderr too when
		 * their output is not what the user is looking at */
		if (o.out_path || o.format == FORMAT_JSONL || o.format == FORMAT_HTML ||
		    !isatty(fileno(stdout)))
			txt_summary(stderr, sum);
	}
	tracker_free(t);
	if (sink)
		sink->destroy(sink);
	if (outfile_close(of, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		rc = 1;
	}
	/* how the command ended, unless synscope ended it (signal, -d, | head) */
	if (rc == 0 && child_done && !child_stopped)
		rc = exit_status_of(child_status);
	return rc;
}
