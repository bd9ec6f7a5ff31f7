/*
 * Live tracing: checks (capabilities, the command, the pid), the traced
 * command held at a pipe until the programs are attached, root given up,
 * the run opened, then the poll loop until Ctrl-C, -d or the command's exit
 * (plus DRAIN_MS for its sockets' last events), and the exit status: the
 * command's (128 + a signal that ended it), unless synscope ended it.
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
#include "base/names.h"
#include "cli/commands.h"
#include "source/file/rec_read.h"
#include "source/live/bpf_source.h"
#include "source/live/collector_prio.h"
#include "source/live/privs.h"
#include "source/live/proc_ports.h"

#define POLL_MS 50          /* the longest an event waits before it is shown */
#define DRAIN_MS 200        /* after the command exits: its sockets' last events */
#define MAX_WATCH 4096      /* ports of a -p process's existing sockets */
#define REC_FLUSH_NS 1000000000ull /* -w: at most this much is lost to a crash */
#define PIPE_FLUSH_NS 200000000ull /* -w -: a live reader (-r - --top) draws this often */
#define TICK_NS 50000000ull /* a loss check and a tick at most this often: asking the
			     * kernel about losses costs a system call per program */

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

/* The traced command: held, released, waited for. */
struct child {
	pid_t pid;           /* 0: no command */
	int release_fd;
	int status;
	bool done, stopped;  /* it exited; synscope ended it */
};

static void child_release(struct child *ch)
{
	if (ch->release_fd >= 0)
		close(ch->release_fd); /* a held child that never ran exits now */
	ch->release_fd = -1;
}

/* Stopped by a signal or an error while the command still runs: ask it to
 * end, but never hang on one that ignores us. */
static void child_end(struct child *ch)
{
	child_release(ch);
	if (ch->pid <= 0 || ch->done)
		return;
	ch->stopped = true;
	kill(ch->pid, SIGTERM);
	for (int i = 0; i < 20 && !ch->done; i++) {
		if (waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid)
			ch->done = true;
		else
			usleep(50000);
	}
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* ---- the live source's clock, as events: losses and ticks --------------- */

struct live_clock {
	__u64 start;         /* the programs were loaded then */
	__u64 lost_reported; /* the kernel's count, as far as told (and ours, at the end) */
	__u64 lost_since;    /* the last loss check began then: news counted since happened later */
	__u64 tick;          /* the last tick's time */
};

/* So many events lost, stamped after since_ns and before now. */
static void emit_lost(struct run *run, __u64 count, __u64 since_ns)
{
	struct syn_event e;

	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_LOST;
	e.ts_ns = now_ns(CLOCK_MONOTONIC);
	e.lost.count = count;
	e.lost.since_ns = since_ns;
	run_event(run, &e);
}

/* The kernel counts what it could not queue; turn news of it into an
 * event: so many events, stamped after the previous check (since_ns) and
 * before this one (ts_ns). */
static void report_lost(struct bpf_source *src, struct run *run, struct live_clock *c)
{
	__u64 before = now_ns(CLOCK_MONOTONIC);
	__u64 lost = bpf_source_lost(src);

	if (lost > c->lost_reported) {
		emit_lost(run, lost - c->lost_reported, c->lost_since);
		c->lost_reported = lost;
	}
	c->lost_since = before;
}

/* Records the kernel queued that the drain did not hand on: not a full
 * ring nor a skipped run (those are counted lost), so a fault of ours,
 * found only at the end: said, and counted lost over the whole run. */
static void report_unseen(struct bpf_source *src, struct run *run, struct live_clock *c,
			  __u32 submitted)
{
	__u32 unseen = bpf_source_unseen(src, submitted);

	if (!unseen)
		return;
	fprintf(stderr, "synscope: %u event%s the kernel queued never reached the collector (not "
		"a full ring: a fault of synscope's, please report it); any connection may miss %s\n",
		unseen, unseen == 1 ? "" : "s", unseen == 1 ? "it" : "them");
	emit_lost(run, unseen, c->start);
	c->lost_reported += unseen;
}

/* Every event stamped before the merge's horizon has been delivered, and
 * report_lost() just counted what was lost before it: say so with a tick,
 * through the same path as the events (recordings hold it). Ticks never go
 * back; one that would not move is not made, but the last (final) is. */
static void report_tick(struct bpf_source *src, struct run *run, struct live_clock *c, bool final)
{
	__u64 h = bpf_source_horizon(src);
	struct syn_event e;

	if (h <= c->tick && !final)
		return;
	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_TICK;
	e.ts_ns = h > c->tick ? h : c->tick;
	c->tick = e.ts_ns;
	run_event(run, &e);
}

static void on_event(void *ctx, const struct syn_event *e)
{
	run_event(ctx, e);
}

/* ---- setting up ------------------------------------------------------------- */

/* The ports of pid's sockets, in its namespace, added to keys[*n..max). */
static void watch_process(pid_t pid, struct syn_watch_key *keys, int *n, int max)
{
	static __u16 ports[MAX_WATCH];
	int k = proc_tcp_ports("/proc", pid, ports, max - *n);
	__u32 netns = proc_netns("/proc", pid);

	for (int i = 0; i < k && *n < max; i++)
		keys[(*n)++] = (struct syn_watch_key){ .netns = netns, .port = ports[i] };
}

/* What the kernel side is asked to filter and hold. */
static void source_opts_for(const struct options *o, pid_t child, struct bpf_source_opts *so)
{
	static struct syn_watch_key watch_keys[MAX_WATCH];
	static pid_t named[MAX_WATCH];

	memset(so, 0, sizeof(*so));
	so->pid = child ? (__u32)child : o->pid;
	memcpy(so->comm, o->comm, sizeof(so->comm));
	so->family = o->family;
	so->nports = o->nports;
	memcpy(so->ports, o->ports, sizeof(so->ports));
	so->ring_bytes = (size_t)o->buffer_kb * 1024;
	so->watch_ports = watch_keys;
	/* a server already blocked in accept(): its port must pass from the
	 * first packet on, not only after its next socket call */
	if (o->pid)
		watch_process((pid_t)o->pid, watch_keys, &so->nwatch, MAX_WATCH);
	if (o->comm[0] && !o->pid) {
		int n = proc_pids_named("/proc", o->comm, named, MAX_WATCH);

		for (int i = 0; i < n; i++)
			watch_process(named[i], watch_keys, &so->nwatch, MAX_WATCH);
	}
}

/* Before anything is loaded: who we may be, what we run. 0 to go on, else
 * the exit status (the line said). */
static int trace_check(const struct options *o, struct privs_user *run_as)
{
	char err[512];
	__u64 caps;

	if (privs_effective_caps(&caps) == 0 && privs_missing(caps, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 1;
	}
	if (privs_target(o->run_as, getenv("SUDO_UID"), getenv("SUDO_GID"), getuid(), run_as,
			 err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	if (o->cmd && !command_exists(o->cmd[0])) {
		fprintf(stderr, "synscope: command not found: %s\n", o->cmd[0]);
		return 127;
	}
	if (o->pid && kill((pid_t)o->pid, 0) && errno == ESRCH) {
		fprintf(stderr, "synscope: no process with pid %u\n", o->pid);
		return 1;
	}
	return 0;
}

/* Checked with no capability in effect before giving them up. */
static bool source_works_unprivileged(void *src)
{
	return bpf_source_counters_readable(src);
}

/* -w's header: this host, this kernel's reason names (loaded by the source). */
static void local_header(struct rec_header *h, __s64 wall_offset_ns)
{
	rec_header_init_local(h);
	h->wall_offset_ns = wall_offset_ns;
	for (unsigned int i = 0; i < REC_RST_REASONS; i++) {
		h->rst_names[i] = (char *)rst_reason_name(i);
		h->drop_names[i] = (char *)drop_reason_name(i);
	}
}

/* Attached: root is not needed any more; the output files are made by the
 * user they belong to (docs/reliability.md). Then the run. */
static struct run *open_run(const struct options *o, struct bpf_source *src,
			    const struct privs_user *run_as, struct rec_header *h, int *status)
{
	struct run_opts ro;
	char err[512];
	__s64 wall_offset_ns;

	*status = 1;
	/* ahead of the load it traces, while it may (the command runs as it was) */
	collector_raise_priority();
	switch (privs_drop(run_as, source_works_unprivileged, src, err, sizeof(err))) {
	case -1:
		fprintf(stderr, "synscope: %s\n", err);
		return NULL;
	case 1:
		fprintf(stderr, "synscope: %s\n", err);
		break;
	}
	wall_offset_ns = (__s64)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
	local_header(h, wall_offset_ns);
	run_opts_from(o, false, &ro); /* the kernel filters */
	ro.sink.wall_offset_ns = wall_offset_ns;
	ro.header = h;
	return run_open(&ro, status);
}

static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- the loop ------------------------------------------------------------------ */

/* Poll until a stop: a signal, -d, the command's exit (and its drain), an
 * output that stops the run, or the ring buffer failing. */
static void trace_loop(const struct options *o, struct bpf_source *src, struct run *run,
		       struct child *ch, struct live_clock *clk)
{
	__u64 start = now_ns(CLOCK_MONOTONIC), ticked = 0, drain_until = 0;
	__u64 flush_ns = rec_path_is_std(o->write_path) ? PIPE_FLUSH_NS : REC_FLUSH_NS;
	__u32 submitted;

	while (!stop_signal) {
		int n = bpf_source_poll(src, POLL_MS, on_event, run);
		__u64 now = now_ns(CLOCK_MONOTONIC);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "synscope: reading the ring buffer: %s\n", strerror(-n));
			break;
		}
		if (now - ticked >= TICK_NS) {
			report_lost(src, run, clk);
			report_tick(src, run, clk, false);
			ticked = now;
		}
		/* every sink is between lines and connections here */
		if (!run_commit(run, now, flush_ns))
			break; /* a write error, or nobody reads any more */
		if (o->duration_s > 0 && now - start >= (__u64)(o->duration_s * 1e9))
			break;
		if (ch->pid && !ch->done && waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid) {
			ch->done = true;
			drain_until = now + DRAIN_MS * 1000000ull;
		}
		if (ch->done && now >= drain_until)
			break;
	}
	/* whatever is still queued belongs in the output too; what the kernel
	 * counted as queued before the drain must all come out of it */
	submitted = bpf_source_submitted(src);
	bpf_source_drain(src, on_event, run);
	report_lost(src, run, clk);
	report_unseen(src, run, clk, submitted);
	report_tick(src, run, clk, true);
}

static bool release_child(struct child *ch, const struct options *o)
{
	if (!ch->pid)
		return true;
	if (write(ch->release_fd, "g", 1) != 1) {
		fprintf(stderr, "synscope: cannot start %s: %s\n", o->cmd[0], strerror(errno));
		return false;
	}
	child_release(ch);
	return true;
}

int trace_main(const struct options *o)
{
	struct child ch = { .release_fd = -1 };
	struct live_clock clk = { 0 };
	struct bpf_source_opts so;
	struct bpf_source *src = NULL;
	struct privs_user run_as;
	struct rec_header h;
	struct run *run = NULL;
	char err[512];
	__u64 skipped = 0;
	int rc = trace_check(o, &run_as);

	if (rc)
		return rc;
	if (o->cmd && (ch.pid = spawn_held(o->cmd, &ch.release_fd, &run_as)) < 0) {
		fprintf(stderr, "synscope: cannot start %s: %s\n", o->cmd[0], strerror(errno));
		return 1;
	}
	source_opts_for(o, ch.pid, &so);
	clk.lost_since = clk.start = now_ns(CLOCK_MONOTONIC); /* the kernel counts from the load on */
	rc = 1;
	src = bpf_source_open(&so, err, sizeof(err));
	if (!src)
		fprintf(stderr, "synscope: %s\n", err);
	else
		run = open_run(o, src, &run_as, &h, &rc);
	if (run) {
		catch_stop_signals();
		fprintf(stderr, "synscope: tracing\n");
		rc = release_child(&ch, o) ? 0 : 1;
		if (!rc) {
			trace_loop(o, src, run, &ch, &clk);
			skipped = bpf_source_skipped(src);
		}
	}
	child_end(&ch);
	bpf_source_close(src);
	/* the recording and the drawing are whole on every way out: Ctrl-C,
	 * SIGTERM, the command's exit, -d, an error */
	if (run)
		rc |= run_close(run, clk.lost_reported);
	if (skipped)
		fprintf(stderr, "synscope: %llu of the lost events were never made: the kernel skipped "
			"a program that fired again on a CPU while it ran there (a bigger -b does not "
			"help those)\n", (unsigned long long)skipped);
	/* how the command ended, unless synscope ended it (signal, -d, | head) */
	if (rc == 0 && ch.done && !ch.stopped)
		rc = exit_status_of(ch.status);
	return rc;
}
