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
 * so its first connect() is seen. */
static pid_t spawn_held(char **cmd, int *release_fd)
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
		char go;

		close(p[1]);
		if (read(p[0], &go, 1) != 1)
			_exit(126); /* synscope failed before tracing began */
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
	case FORMAT_MERMAID:
		return mermaid_sink_new(so);
	case FORMAT_PCAPNG:
		return pcapng_sink_new(so);
	default:
		return o->style == STYLE_RFC ? rfc_sink_new(so) : ladder_sink_new(so);
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

int main(int argc, char **argv)
{
	struct bpf_source_opts so = { 0 };
	struct sink_opts sko = { 0 };
	struct bpf_source *src = NULL;
	struct syn_sink *sink = NULL;
	struct tracker *t = NULL;
	struct options o;
	struct sigaction sa;
	static __u16 watch[MAX_WATCH];
	static struct syn_watch_key watch_keys[MAX_WATCH];
	FILE *out = stdout;
	char err[256];
	pid_t child = 0;
	int release_fd = -1, child_status = 0, rc = 1;
	bool child_done = false;
	__u64 lost_reported = 0, start, drain_until = 0;

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
	if (geteuid() != 0) {
		fprintf(stderr, "synscope: must run as root (loading BPF needs CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)\n");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "synscope: no kernel BTF at /sys/kernel/btf/vmlinux (needs a kernel built with CONFIG_DEBUG_INFO_BTF=y)\n");
		return 1;
	}
	if (o.cmd && !command_exists(o.cmd[0])) {
		fprintf(stderr, "synscope: command not found: %s\n", o.cmd[0]);
		return 127;
	}
	if (o.pid && kill((pid_t)o.pid, 0) && errno == ESRCH) {
		fprintf(stderr, "synscope: no process with pid %u\n", o.pid);
		return 1;
	}
	if (o.out_path) {
		out = fopen(o.out_path, "w");
		if (!out) {
			fprintf(stderr, "synscope: cannot write %s: %s\n", o.out_path, strerror(errno));
			return 1;
		}
	}

	sko.out = out;
	sko.color = !o.out_path && !o.no_color && isatty(fileno(out)) &&
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

	if (o.cmd) {
		child = spawn_held(o.cmd, &release_fd);
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

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

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
		fflush(out);
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
		/* the ladder and stream end with this line; say it on stderr too
		 * when their output is not what the user is looking at, and
		 * always for the formats that keep it out of their output */
		if (o.out_path || !isatty(fileno(stdout)) || (o.format != FORMAT_LADDER &&
							      o.format != FORMAT_STREAM))
			txt_summary(stderr, sum);
	}
	tracker_free(t);
	if (sink)
		sink->destroy(sink);
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, "synscope: error writing %s: %s\n",
			o.out_path ? o.out_path : "standard output", strerror(errno));
		rc = 1;
	}
	if (out != stdout)
		fclose(out);
	if (rc == 0 && child_done)
		rc = exit_status_of(child_status);
	return rc;
}
