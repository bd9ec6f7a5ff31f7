/*
 * tcpdemo: real TCP clients and servers for synscope's demo, integration
 * tests and benchmark. Blocking sockets and plain socket(), bind(), listen(),
 * connect(), accept(), read(), write(), close() calls, so every step is a real
 * syscall that synscope can see. Prints nothing on success unless --verbose;
 * on failure prints one line "tcpdemo: ..." to stderr and exits non-zero.
 *
 * Usage:
 *   tcpdemo pair --scenario NAME [--family 4|6] [--addr A] [--port P]
 *                [--count N] [--linger-ms MS] [--timeout-ms MS] [--verbose]
 *       Forks a server process ("demo-server") and, once it listens, a client
 *       process ("demo-client"), runs one scenario and waits for both.
 *       Scenarios:
 *         client-close  handshake; the client writes "hello\n", the server
 *                       replies "world\n"; the client closes first; the server
 *                       reads EOF, waits --linger-ms (200) and closes, so its
 *                       ACK of the client's FIN and its own FIN are separate
 *                       segments: a four-way teardown.
 *         server-close  the same exchange, but the server closes right after
 *                       its reply; the client reads EOF, waits --linger-ms and
 *                       closes.
 *         refused       no server: the client connects to a port nobody
 *                       listens on; success means connect() failed with
 *                       ECONNREFUSED.
 *         parallel      --count N (default 50) clients connect at once, the
 *                       server serves all N concurrently (a thread each);
 *                       each connection is a client-close exchange.
 *
 *   tcpdemo server [--addr A] [--port P] [--count N] [--close-first|--close-second]
 *                  [--linger-ms MS] [--verbose]
 *       Listens (SO_REUSEADDR), accepts N connections (default 1), serves each
 *       in its own thread: read "hello\n", write "world\n", then close. The
 *       server closes second by default (reads EOF, waits --linger-ms, closes).
 *
 *   tcpdemo client [--addr A] [--port P] [--count N] [--close-first|--close-second]
 *                  [--linger-ms MS] [--expect-refused] [--verbose]
 *       N parallel connections (default 1): write "hello\n", read "world\n",
 *       then close. The client closes first by default. --expect-refused:
 *       succeed only if connect() fails with ECONNREFUSED.
 *
 *   tcpdemo storm [--family 4|6] [--addr A] [--port P] [--conns N] [--threads T]
 *       Benchmark: T server threads share one listener, T client threads make
 *       N short connections in total (connect, write 1 byte, read the 1-byte
 *       reply, close; the server closes first so TIME_WAIT stays on the
 *       server side and client ports do not run out). Prints one line:
 *       "conns=N secs=S rate=R" (R = connections per second).
 *
 * Defaults: --addr 127.0.0.1 (::1 with --family 6), --port 9000,
 * --linger-ms 200, --timeout-ms 10000 (pair only), --conns 20000, --threads 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQUEST "hello\n"
#define REPLY "world\n"
#define LISTEN_BACKLOG 4096
#define DEFAULT_PORT 9000
#define DEFAULT_LINGER_MS 200
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_PARALLEL 50
#define MAX_COUNT 10000

enum close_order {
	CLOSE_DEFAULT = 0, /* the role's default: client first, server second */
	CLOSE_FIRST,       /* close right after the exchange */
	CLOSE_SECOND,      /* read EOF, wait linger_ms, then close */
};

struct opts {
	const char *scenario;
	const char *addr;
	int family;             /* 4, 6, or 0 = from --addr */
	unsigned int port;
	unsigned int count;     /* 0 = the mode's default */
	unsigned int linger_ms;
	unsigned int timeout_ms;
	unsigned int conns;
	unsigned int threads;
	enum close_order close;
	bool expect_refused;
	bool verbose;
};

/* The resolved peer/listen address. */
struct endpoint {
	struct sockaddr_storage sa;
	socklen_t len;
	int af;
	char text[INET6_ADDRSTRLEN + 8];
};

static const char *role; /* prefix of messages: the process's role, once known */
static bool verbose;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/* Print one error line and exit 1. Safe from any thread: only the first
 * caller prints; the others block until the process is gone. */
static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	fprintf(stderr, "tcpdemo: ");
	if (role)
		fprintf(stderr, "%s: ", role ? role : "tcpdemo");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	flockfile(stderr);
	fprintf(stderr, "%s: ", role ? role : "tcpdemo");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

#include "sock_io.h" /* after fail(): it calls it */

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (unsigned int)v;
	return true;
}

static void resolve(const struct opts *o, struct endpoint *ep)
{
	const char *addr = o->addr;

	if (!addr)
		addr = o->family == 6 ? "::1" : "127.0.0.1";
	memset(ep, 0, sizeof(*ep));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->sa;

		if (o->family == 4)
			fail("--addr %s is not IPv4 (--family 4)", addr);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)o->port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			fail("bad IPv6 address '%s'", addr);
		ep->len = sizeof(*s6);
		ep->af = AF_INET6;
		snprintf(ep->text, sizeof(ep->text), "[%s]:%u", addr, o->port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->sa;

		if (o->family == 6)
			fail("--addr %s is not IPv6 (--family 6)", addr);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)o->port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			fail("bad IPv4 address '%s'", addr);
		ep->len = sizeof(*s4);
		ep->af = AF_INET;
		snprintf(ep->text, sizeof(ep->text), "%s:%u", addr, o->port);
	}
}

static int listen_on(const struct endpoint *ep)
{
	int one = 1;
	int fd = socket(ep->af, SOCK_STREAM, 0);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail("setsockopt SO_REUSEADDR: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)&ep->sa, ep->len) < 0)
		fail("bind %s: %s", ep->text, strerror(errno));
	if (listen(fd, LISTEN_BACKLOG) < 0)
		fail("listen %s: %s", ep->text, strerror(errno));
	return fd;
}

/* ---- server and client of the hello/world exchange ---- */

struct conn_job {
	int fd;
	unsigned int index;
	const struct opts *o;
	const struct endpoint *ep;
	pthread_barrier_t *start; /* clients: connect together */
};

static void *serve_conn(void *arg)
{
	struct conn_job *j = arg;

	read_expect(j->fd, REQUEST);
	write_all(j->fd, REPLY, strlen(REPLY));
	if (j->o->close == CLOSE_FIRST) {
		say("conn %u: replied, closing first", j->index);
	} else {
		read_eof(j->fd);
		say("conn %u: EOF, closing in %u ms", j->index, j->o->linger_ms);
		sleep_ms(j->o->linger_ms);
	}
	close_checked(j->fd);
	return NULL;
}

/* Accepts count connections on lfd, one thread each; closes lfd after the
 * last accept and returns once every connection is served. */
static void run_server(int lfd, const struct opts *o, unsigned int count)
{
	struct conn_job *jobs = calloc(count, sizeof(*jobs));
	pthread_t *tids = calloc(count, sizeof(*tids));

	if (!jobs || !tids)
		fail("out of memory");
	for (unsigned int i = 0; i < count;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fail("accept: %s", strerror(errno));
		}
		say("conn %u: accepted fd %d", i, fd);
		jobs[i] = (struct conn_job){ .fd = fd, .index = i, .o = o };
		int err = pthread_create(&tids[i], NULL, serve_conn, &jobs[i]);
		if (err)
			fail("pthread_create: %s", strerror(err));
		i++;
	}
	close_checked(lfd);
	for (unsigned int i = 0; i < count; i++)
		pthread_join(tids[i], NULL);
	free(jobs);
	free(tids);
}

static void *client_conn(void *arg)
{
	struct conn_job *j = arg;
	int fd;

	if (j->start)
		pthread_barrier_wait(j->start);
	fd = socket(j->ep->af, SOCK_STREAM, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)&j->ep->sa, j->ep->len) < 0) {
		if (j->o->expect_refused && errno == ECONNREFUSED) {
			say("conn %u: connect %s refused, as expected", j->index, j->ep->text);
			close_checked(fd);
			return NULL;
		}
		fail("connect %s: %s", j->ep->text, strerror(errno));
	}
	if (j->o->expect_refused)
		fail("connect %s succeeded; expected ECONNREFUSED", j->ep->text);
	say("conn %u: connected to %s", j->index, j->ep->text);
	write_all(fd, REQUEST, strlen(REQUEST));
	read_expect(fd, REPLY);
	if (j->o->close == CLOSE_SECOND) {
		read_eof(fd);
		say("conn %u: EOF, closing in %u ms", j->index, j->o->linger_ms);
		sleep_ms(j->o->linger_ms);
	} else {
		say("conn %u: got reply, closing first", j->index);
	}
	close_checked(fd);
	return NULL;
}

static void run_clients(const struct endpoint *ep, const struct opts *o, unsigned int count)
{
	struct conn_job *jobs = calloc(count, sizeof(*jobs));
	pthread_t *tids = calloc(count, sizeof(*tids));
	pthread_barrier_t start;

	if (!jobs || !tids)
		fail("out of memory");
	if (count == 1) {
		jobs[0] = (struct conn_job){ .fd = -1, .o = o, .ep = ep };
		client_conn(&jobs[0]);
		goto out;
	}
	pthread_barrier_init(&start, NULL, count);
	for (unsigned int i = 0; i < count; i++) {
		jobs[i] = (struct conn_job){ .fd = -1, .index = i, .o = o, .ep = ep, .start = &start };
		int err = pthread_create(&tids[i], NULL, client_conn, &jobs[i]);
		if (err)
			fail("pthread_create: %s", strerror(err));
	}
	for (unsigned int i = 0; i < count; i++)
		pthread_join(tids[i], NULL);
	pthread_barrier_destroy(&start);
out:
	free(jobs);
	free(tids);
}

static int cmd_server(struct opts *o)
{
	struct endpoint ep;
	int lfd;

	role = "server";
	if (o->close == CLOSE_DEFAULT)
		o->close = CLOSE_SECOND;
	resolve(o, &ep);
	lfd = listen_on(&ep);
	say("listening on %s", ep.text);
	run_server(lfd, o, o->count ? o->count : 1);
	return 0;
}

static int cmd_client(struct opts *o)
{
	struct endpoint ep;

	role = "client";
	if (o->close == CLOSE_DEFAULT)
		o->close = CLOSE_FIRST;
	resolve(o, &ep);
	run_clients(&ep, o, o->count ? o->count : 1);
	return 0;
}

/* ---- pair: a server process and a client process ---- */

/* In a forked child: name the process, die with the parent, take SIGCHLD
 * back (the parent blocks it to wait with a timeout). */
static void become(const char *name)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	role = name;
	prctl(PR_SET_NAME, name, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

/* Waits for every pid in pids[] (0 = none) until timeout_ms. Returns 0 when
 * all exited 0, else 1 (after killing what is left). The children print
 * their own error line; this adds one only for signals and timeouts. */
static int wait_children(pid_t pids[2], const char *names[2], unsigned int timeout_ms)
{
	sigset_t chld;
	double deadline = now_sec() + timeout_ms / 1000.0;
	int rc = 0, left = (pids[0] > 0) + (pids[1] > 0);

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (left) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid < 0 && errno != EINTR)
			fail("waitpid: %s", strerror(errno));
		if (pid > 0) {
			int k = pid == pids[0] ? 0 : pid == pids[1] ? 1 : -1;

			if (k < 0)
				continue;
			pids[k] = 0;
			left--;
			if (WIFSIGNALED(status)) {
				fprintf(stderr, "tcpdemo: %s killed by signal %d\n", names[k],
					WTERMSIG(status));
				rc = 1;
			} else if (WEXITSTATUS(status) != 0) {
				rc = 1;
			}
			if (rc)
				break;
			continue;
		}
		double rem = deadline - now_sec();
		if (rem <= 0) {
			fprintf(stderr, "tcpdemo: pair: timed out after %u ms\n", timeout_ms);
			rc = 1;
			break;
		}
		struct timespec ts = { .tv_sec = (time_t)rem,
				       .tv_nsec = (long)((rem - (double)(time_t)rem) * 1e9) };
		sigtimedwait(&chld, NULL, &ts);
	}
	for (int k = 0; k < 2; k++) {
		if (pids[k] > 0) {
			kill(pids[k], SIGKILL);
			waitpid(pids[k], NULL, 0);
		}
	}
	return rc;
}

static int cmd_pair(struct opts *o)
{
	struct endpoint ep;
	struct opts srv = *o, cli = *o;
	pid_t pids[2] = { 0, 0 };
	const char *names[2] = { "demo-server", "demo-client" };
	unsigned int count = 1;
	sigset_t chld;
	int ready[2];

	role = "pair";
	if (!o->scenario)
		fail("--scenario is required (client-close, server-close, refused, parallel)");
	if (strcmp(o->scenario, "client-close") == 0) {
		srv.close = CLOSE_SECOND;
		cli.close = CLOSE_FIRST;
	} else if (strcmp(o->scenario, "server-close") == 0) {
		srv.close = CLOSE_FIRST;
		cli.close = CLOSE_SECOND;
	} else if (strcmp(o->scenario, "refused") == 0) {
		cli.expect_refused = true;
	} else if (strcmp(o->scenario, "parallel") == 0) {
		srv.close = CLOSE_SECOND;
		cli.close = CLOSE_FIRST;
		count = o->count ? o->count : DEFAULT_PARALLEL;
	} else {
		fail("unknown scenario '%s' (client-close, server-close, refused, parallel)",
		     o->scenario);
	}
	if (o->count && strcmp(o->scenario, "parallel") != 0)
		fail("--count only applies to --scenario parallel");
	resolve(o, &ep);

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	fflush(NULL);

	if (!cli.expect_refused) {
		if (pipe(ready) < 0)
			fail("pipe: %s", strerror(errno));
		pids[0] = fork();
		if (pids[0] < 0)
			fail("fork: %s", strerror(errno));
		if (pids[0] == 0) {
			int lfd;

			become(names[0]);
			close(ready[0]);
			lfd = listen_on(&ep);
			say("listening on %s", ep.text);
			write_all(ready[1], "L", 1);
			close(ready[1]);
			run_server(lfd, &srv, count);
			exit(0);
		}
		close(ready[1]);
		/* The server is listening once it wrote to the pipe; EOF means it died. */
		struct pollfd p = { .fd = ready[0], .events = POLLIN };
		char c;
		int n = poll(&p, 1, (int)o->timeout_ms);
		if (n <= 0 || read(ready[0], &c, 1) != 1) {
			if (n == 0)
				fprintf(stderr, "tcpdemo: pair: server not listening after %u ms\n",
					o->timeout_ms);
			close(ready[0]);
			wait_children(pids, names, 1000);
			return 1;
		}
		close(ready[0]);
	}

	pids[1] = fork();
	if (pids[1] < 0)
		fail("fork: %s", strerror(errno));
	if (pids[1] == 0) {
		become(names[1]);
		run_clients(&ep, &cli, count);
		exit(0);
	}
	return wait_children(pids, names, o->timeout_ms);
}

/* ---- storm: many short connections, for the benchmark ---- */

struct storm {
	struct endpoint ep;
	int lfd;
	unsigned int conns;
	atomic_uint next;   /* the next connection number a client takes */
	atomic_bool done;   /* clients finished: accept() failures are the shutdown */
};

static void *storm_server(void *arg)
{
	struct storm *s = arg;
	char c;

	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);

		if (fd < 0) {
			if (atomic_load(&s->done))
				return NULL;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fail("accept: %s", strerror(errno));
		}
		ssize_t n;
		while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			fail("read: %s", n < 0 ? strerror(errno) : "EOF before the request byte");
		write_all(fd, &c, 1);
		close_checked(fd);
	}
}

static void *storm_client(void *arg)
{
	struct storm *s = arg;
	char c = 'x';

	while (atomic_fetch_add(&s->next, 1) < s->conns) {
		int fd = socket(s->ep.af, SOCK_STREAM, 0);

		if (fd < 0)
			fail("socket: %s", strerror(errno));
		if (connect(fd, (const struct sockaddr *)&s->ep.sa, s->ep.len) < 0)
			fail("connect %s: %s", s->ep.text, strerror(errno));
		write_all(fd, &c, 1);
		ssize_t n;
		while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			fail("read: %s", n < 0 ? strerror(errno) : "EOF before the reply byte");
		close_checked(fd);
	}
	return NULL;
}

static int cmd_storm(struct opts *o)
{
	static struct storm s;
	unsigned int t = o->threads;
	pthread_t *srv = calloc(t, sizeof(*srv)), *cli = calloc(t, sizeof(*cli));
	double t0, secs;
	int err;

	role = "storm";
	if (!srv || !cli)
		fail("out of memory");
	resolve(o, &s.ep);
	s.lfd = listen_on(&s.ep);
	s.conns = o->conns;
	atomic_init(&s.next, 0);
	atomic_init(&s.done, false);
	for (unsigned int i = 0; i < t; i++)
		if ((err = pthread_create(&srv[i], NULL, storm_server, &s)))
			fail("pthread_create: %s", strerror(err));
	t0 = now_sec();
	for (unsigned int i = 0; i < t; i++)
		if ((err = pthread_create(&cli[i], NULL, storm_client, &s)))
			fail("pthread_create: %s", strerror(err));
	for (unsigned int i = 0; i < t; i++)
		pthread_join(cli[i], NULL);
	secs = now_sec() - t0;
	/* Wake the server threads blocked in accept(): it fails with EINVAL. */
	atomic_store(&s.done, true);
	shutdown(s.lfd, SHUT_RDWR);
	for (unsigned int i = 0; i < t; i++)
		pthread_join(srv[i], NULL);
	close_checked(s.lfd);
	printf("conns=%u secs=%.3f rate=%.0f\n", s.conns, secs, secs > 0 ? s.conns / secs : 0.0);
	free(srv);
	free(cli);
	return 0;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: tcpdemo pair --scenario NAME [--family 4|6] [--addr A] [--port P]\n"
"                    [--count N] [--linger-ms MS] [--timeout-ms MS] [--verbose]\n"
"       tcpdemo server [--addr A] [--port P] [--count N] [--close-first|--close-second]\n"
"                      [--linger-ms MS] [--verbose]\n"
"       tcpdemo client [--addr A] [--port P] [--count N] [--close-first|--close-second]\n"
"                      [--linger-ms MS] [--expect-refused] [--verbose]\n"
"       tcpdemo storm [--family 4|6] [--addr A] [--port P] [--conns N] [--threads T]\n"
"\n"
"Real TCP connections for synscope's demo and tests. The exchange: the client\n"
"writes \"hello\\n\", the server replies \"world\\n\", then both close. The end that\n"
"closes first closes right after the exchange; the other reads EOF, waits\n"
"--linger-ms (200) and closes, so the teardown is four separate segments.\n"
"\n"
"pair scenarios (a \"demo-server\" and a \"demo-client\" process on loopback):\n"
"  client-close   the client closes first\n"
"  server-close   the server closes first\n"
"  refused        no listener: connect() must fail with ECONNREFUSED\n"
"  parallel       --count N (50) concurrent client-close connections\n"
"\n"
"  -s, --scenario NAME   pair: the scenario to run\n"
"  -f, --family 4|6      address family: 127.0.0.1 or ::1 (default 4)\n"
"  -a, --addr A          address to listen on / connect to\n"
"  -p, --port P          TCP port (default %d)\n"
"  -n, --count N         connections: server/client/parallel\n"
"      --close-first     server/client: this end closes first\n"
"      --close-second    server/client: this end waits for EOF, then closes\n"
"  -l, --linger-ms MS    wait after EOF before closing (default %d)\n"
"      --timeout-ms MS   pair: give up and fail after MS (default %d)\n"
"      --expect-refused  client: succeed only if connect() is refused\n"
"  -c, --conns N         storm: connections in total (default 20000)\n"
"  -t, --threads T       storm: client threads, and as many server threads (default 2)\n"
"  -v, --verbose         say what happens, on stderr\n"
"  -h, --help            this text\n"
"\n"
"Exit status 0 on success; otherwise 1 and one line \"tcpdemo: ...\" on stderr.\n",
		DEFAULT_PORT, DEFAULT_LINGER_MS, DEFAULT_TIMEOUT_MS);
}

enum {
	OPT_CLOSE_FIRST = 256,
	OPT_CLOSE_SECOND,
	OPT_TIMEOUT,
	OPT_EXPECT_REFUSED,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "family", required_argument, NULL, 'f' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "close-first", no_argument, NULL, OPT_CLOSE_FIRST },
		{ "close-second", no_argument, NULL, OPT_CLOSE_SECOND },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "expect-refused", no_argument, NULL, OPT_EXPECT_REFUSED },
		{ "conns", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.port = DEFAULT_PORT,
		.linger_ms = DEFAULT_LINGER_MS,
		.timeout_ms = DEFAULT_TIMEOUT_MS,
		.conns = 20000,
		.threads = 2,
	};
	const char *mode;
	unsigned int fam;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	if (strcmp(mode, "-h") == 0 || strcmp(mode, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	/* Parse the options after the mode word. */
	argv++;
	argc--;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:f:a:p:n:l:c:t:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.scenario = optarg;
			break;
		case 'f':
			if (!parse_uint(optarg, 4, 6, &fam) || fam == 5)
				fail("--family must be 4 or 6");
			o.family = (int)fam;
			break;
		case 'a':
			o.addr = optarg;
			break;
		case 'p':
			if (!parse_uint(optarg, 1, 65535, &o.port))
				fail("--port must be 1..65535");
			break;
		case 'n':
			if (!parse_uint(optarg, 1, MAX_COUNT, &o.count))
				fail("--count must be 1..%d", MAX_COUNT);
			break;
		case OPT_CLOSE_FIRST:
			o.close = CLOSE_FIRST;
			break;
		case OPT_CLOSE_SECOND:
			o.close = CLOSE_SECOND;
			break;
		case 'l':
			if (!parse_uint(optarg, 0, 60000, &o.linger_ms))
				fail("--linger-ms must be 0..60000");
			break;
		case OPT_TIMEOUT:
			if (!parse_uint(optarg, 1, 3600000, &o.timeout_ms))
				fail("--timeout-ms must be 1..3600000");
			break;
		case OPT_EXPECT_REFUSED:
			o.expect_refused = true;
			break;
		case 'c':
			if (!parse_uint(optarg, 1, UINT_MAX / 2, &o.conns))
				fail("--conns must be at least 1");
			break;
		case 't':
			if (!parse_uint(optarg, 1, 256, &o.threads))
				fail("--threads must be 1..256");
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fail("bad or incomplete option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		fail("unexpected argument '%s' (see --help)", argv[optind]);
	verbose = o.verbose;

	if (strcmp(mode, "pair") == 0)
		return cmd_pair(&o);
	if (o.scenario)
		fail("--scenario only applies to 'pair'");
	if (strcmp(mode, "server") == 0)
		return cmd_server(&o);
	if (strcmp(mode, "client") == 0)
		return cmd_client(&o);
	if (strcmp(mode, "storm") == 0)
		return cmd_storm(&o);
	fail("unknown mode '%s' (pair, server, client, storm; see --help)", mode);
}
