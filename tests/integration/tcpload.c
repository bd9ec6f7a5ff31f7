/*
 * tcpload: long, busy connections for synscope's tests and bench (issue 17).
 * Many persistent connections, many request/response round trips each, the
 * way a load generator drives a server: every client thread keeps one
 * request in flight on each of its connections (an epoll loop, as
 * redis-benchmark does), the server answers from a few epoll threads. When
 * a connection has had its round trips, the client closes it first; the
 * server reads EOF and closes: a four-way teardown. Every step is a plain
 * syscall (socket, connect, accept, read, write, close) on blocking sockets
 * that epoll says are ready, so no read returns EAGAIN.
 *
 * Usage:
 *   tcpload pair   [--port P] [--family 4|6] [--conns C] [--requests N]
 *                  [--size S] [--threads T] [--timeout-ms MS]
 *       Forks the server ("load-server") and, once it listens, the client
 *       ("load-client"); waits for both. The client prints one line:
 *       "conns=C requests=R secs=S rate=R/s".
 *   tcpload server [--port P] [--family 4|6] [--conns C] [--size S] [--threads T]
 *       Serves C connections (then exits): each request of S bytes gets a
 *       reply of S bytes.
 *   tcpload client [--port P] [--family 4|6] [--conns C] [--requests N]
 *                  [--size S] [--threads T] [--pause-ms MS]
 *       C connections, N round trips each; --pause-ms: a client thread
 *       waits this long after each reply before the next request (a
 *       connection that stays open but is mostly idle).
 *
 * A request is S-1 bytes of 'p' and a newline ("ping\n" when S is 5), its
 * reply S-1 bytes of 'o' and a newline; the client checks every reply.
 * Defaults: port 9100, 127.0.0.1 (::1 with --family 6), 1 connection, 1000
 * requests, 5 bytes, 2 threads, timeout 120000 ms (pair). Prints nothing
 * else on success; on failure one line "tcpload: ROLE: ..." on stderr and
 * exit status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65536
#define MAX_CONNS 100000
#define MAX_THREADS 64

struct opts {
	unsigned int port, family, conns, requests, size, threads, timeout_ms, pause_ms;
};

static const char *role = "tcpload";
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	fprintf(stderr, "tcpload: %s: ", role);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* after fail(): it calls it; not every helper is used here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "sock_io.h"
#pragma GCC diagnostic pop

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void become(const char *name)
{
	role = name;
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

struct endpoint {
	struct sockaddr_storage sa;
	socklen_t len;
	int af;
};

static void resolve(const struct opts *o, struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (o->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)o->port);
		s6->sin6_addr = in6addr_loopback;
		ep->len = sizeof(*s6);
		ep->af = AF_INET6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)o->port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ep->len = sizeof(*s4);
		ep->af = AF_INET;
	}
}

/* ---- one connection's buffer ---------------------------------------------- */

struct lconn {
	int fd;
	unsigned int have;  /* bytes of the current message read so far */
	unsigned int done;  /* round trips completed (client) */
	char *buf;
};

static void fill_msg(char *buf, unsigned int size, char c)
{
	memset(buf, c, size - 1);
	buf[size - 1] = '\n';
}

/* Read what is there (epoll said so: this does not block). Returns the
 * bytes read, 0 at EOF. */
static ssize_t read_ready(struct lconn *c, unsigned int size)
{
	ssize_t n = read_some(c->fd, c->buf + c->have, size - c->have);

	if (n < 0)
		fail("read: %s", strerror(errno));
	c->have += (unsigned int)n;
	return n;
}

static int epoll_new(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		fail("epoll_create1: %s", strerror(errno));
	return ep;
}

static void epoll_add(int ep, struct lconn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		fail("epoll_ctl: %s", strerror(errno));
}

/* ---- server ------------------------------------------------------------------ */

struct server_thread {
	pthread_t th;
	int ep;
	const struct opts *o;
	atomic_uint *closed;
	char *reply;
};

static void *server_loop(void *arg)
{
	struct server_thread *st = arg;
	const struct opts *o = st->o;
	struct epoll_event evs[64];

	while (atomic_load(st->closed) < o->conns) {
		int n = epoll_wait(st->ep, evs, 64, 100);

		if (n < 0 && errno != EINTR)
			fail("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct lconn *c = evs[i].data.ptr;

			if (read_ready(c, o->size) == 0) {
				if (c->have)
					fail("EOF in the middle of a request");
				close_checked(c->fd);
				free(c->buf);
				free(c);
				atomic_fetch_add(st->closed, 1);
				continue;
			}
			if (c->have < o->size)
				continue;
			if (c->buf[o->size - 1] != '\n' || c->buf[0] != (o->size > 1 ? 'p' : '\n'))
				fail("not a request");
			c->have = 0;
			write_all(c->fd, st->reply, o->size);
		}
	}
	return NULL;
}

static int listen_on(const struct endpoint *ep)
{
	int one = 1, fd = socket(ep->af, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		fail("setsockopt: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)&ep->sa, ep->len))
		fail("bind: %s", strerror(errno));
	if (listen(fd, 4096))
		fail("listen: %s", strerror(errno));
	return fd;
}

/* Accept o->conns connections, spread over the threads' epoll sets, and
 * serve them until every one has closed. ready: told once listening. */
static int run_server(const struct opts *o, int ready)
{
	struct server_thread st[MAX_THREADS];
	atomic_uint closed;
	struct endpoint ep;
	char *reply = malloc(o->size);
	int lfd, err;

	if (!reply)
		fail("out of memory");
	fill_msg(reply, o->size, 'o');
	resolve(o, &ep);
	lfd = listen_on(&ep);
	if (ready >= 0) {
		write_all(ready, "L", 1);
		close(ready);
	}
	atomic_init(&closed, 0);
	for (unsigned int i = 0; i < o->threads; i++) {
		st[i] = (struct server_thread){ .ep = epoll_new(), .o = o, .closed = &closed,
						.reply = reply };
		if ((err = pthread_create(&st[i].th, NULL, server_loop, &st[i])))
			fail("pthread_create: %s", strerror(err));
	}
	for (unsigned int i = 0; i < o->conns; i++) {
		struct lconn *c = calloc(1, sizeof(*c));

		if (!c || !(c->buf = malloc(o->size)))
			fail("out of memory");
		while ((c->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			if (errno != EINTR && errno != ECONNABORTED)
				fail("accept: %s", strerror(errno));
		epoll_add(st[i % o->threads].ep, c);
	}
	close_checked(lfd);
	for (unsigned int i = 0; i < o->threads; i++) {
		pthread_join(st[i].th, NULL);
		close(st[i].ep);
	}
	free(reply);
	return 0;
}

/* ---- client ------------------------------------------------------------------ */

struct client_thread {
	pthread_t th;
	const struct opts *o;
	const struct endpoint *ep;
	unsigned int first, n;   /* its connections: first, first + threads, ... */
	char *request, *reply;
};

static void *client_loop(void *arg)
{
	struct client_thread *ct = arg;
	const struct opts *o = ct->o;
	struct lconn *cs = calloc(ct->n, sizeof(*cs));
	struct epoll_event evs[64];
	unsigned int open = 0;
	int ep = epoll_new();

	if (!cs)
		fail("out of memory");
	for (unsigned int i = 0; i < ct->n; i++) {
		struct lconn *c = &cs[i];

		c->fd = socket(ct->ep->af, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			fail("socket: %s", strerror(errno));
		if (connect(c->fd, (const struct sockaddr *)&ct->ep->sa, ct->ep->len))
			fail("connect: %s", strerror(errno));
		if (!(c->buf = malloc(o->size)))
			fail("out of memory");
		epoll_add(ep, c);
		open++;
		if (o->requests)
			write_all(c->fd, ct->request, o->size);
		else {
			close_checked(c->fd);
			open--;
		}
	}
	while (open) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno != EINTR)
			fail("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct lconn *c = evs[i].data.ptr;

			if (read_ready(c, o->size) == 0)
				fail("the server closed a connection after %u of %u round trips",
				     c->done, o->requests);
			if (c->have < o->size)
				continue;
			if (memcmp(c->buf, ct->reply, o->size))
				fail("not the reply");
			c->have = 0;
			if (++c->done < o->requests) {
				if (o->pause_ms)
					sleep_ms(o->pause_ms);
				write_all(c->fd, ct->request, o->size);
				continue;
			}
			close_checked(c->fd); /* leaves the epoll set with it */
			open--;
		}
	}
	for (unsigned int i = 0; i < ct->n; i++)
		free(cs[i].buf);
	free(cs);
	close(ep);
	return NULL;
}

static int run_client(const struct opts *o)
{
	struct client_thread ct[MAX_THREADS];
	unsigned int threads = o->threads < o->conns ? o->threads : o->conns;
	char *request = malloc(o->size), *reply = malloc(o->size);
	struct endpoint ep;
	double t0, secs;
	int err;

	if (!request || !reply)
		fail("out of memory");
	fill_msg(request, o->size, 'p');
	fill_msg(reply, o->size, 'o');
	resolve(o, &ep);
	t0 = now_sec();
	for (unsigned int i = 0; i < threads; i++) {
		ct[i] = (struct client_thread){ .o = o, .ep = &ep, .first = i,
						.n = o->conns / threads + (i < o->conns % threads),
						.request = request, .reply = reply };
		if ((err = pthread_create(&ct[i].th, NULL, client_loop, &ct[i])))
			fail("pthread_create: %s", strerror(err));
	}
	for (unsigned int i = 0; i < threads; i++)
		pthread_join(ct[i].th, NULL);
	secs = now_sec() - t0;
	printf("conns=%u requests=%llu secs=%.3f rate=%.0f/s\n", o->conns,
	       (unsigned long long)o->conns * o->requests, secs,
	       secs > 0 ? (double)o->conns * o->requests / secs : 0.0);
	fflush(stdout);
	free(request);
	free(reply);
	return 0;
}

/* ---- pair -------------------------------------------------------------------- */

/* Wait for both children; kill them past the timeout. 0 when both exited 0. */
static int wait_both(pid_t pids[2], unsigned int timeout_ms)
{
	double end = now_sec() + timeout_ms / 1000.0;
	int rc = 0, left = 2;

	while (left) {
		int status;
		pid_t p = waitpid(-1, &status, WNOHANG);

		if (p < 0)
			break;
		if (p == 0) {
			if (now_sec() > end) {
				fprintf(stderr, "tcpload: pair: still running after %u ms\n", timeout_ms);
				kill(pids[0], SIGKILL);
				kill(pids[1], SIGKILL);
				end = now_sec() + 3600;
				rc = 1;
			}
			sleep_ms(10);
			continue;
		}
		left--;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	}
	return rc;
}

static int run_pair(const struct opts *o)
{
	pid_t pids[2];
	int ready[2];
	char c;

	if (pipe2(ready, O_CLOEXEC))
		fail("pipe: %s", strerror(errno));
	pids[0] = fork();
	if (pids[0] < 0)
		fail("fork: %s", strerror(errno));
	if (pids[0] == 0) {
		become("load-server");
		close(ready[0]);
		exit(run_server(o, ready[1]));
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "tcpload: pair: the server did not start\n");
		waitpid(pids[0], NULL, 0);
		return 1;
	}
	close(ready[0]);
	pids[1] = fork();
	if (pids[1] < 0)
		fail("fork: %s", strerror(errno));
	if (pids[1] == 0) {
		become("load-client");
		exit(run_client(o));
	}
	return wait_both(pids, o->timeout_ms);
}

/* ---- command line ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: tcpload pair|server|client [--port P] [--family 4|6] [--conns C]\n"
		   "               [--requests N] [--size S] [--threads T] [--timeout-ms MS]\n"
		   "               [--pause-ms MS]\n");
}

static unsigned int parse_uint(const char *name, const char *s, unsigned int min,
			       unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || errno || *end || v < min || v > max)
		fail("--%s: want a number from %u to %u, got '%s'", name, min, max, s);
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'P' },
		{ "family", required_argument, NULL, 'f' },
		{ "conns", required_argument, NULL, 'c' },
		{ "requests", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "pause-ms", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .port = 9100, .family = 4, .conns = 1, .requests = 1000, .size = 5,
			  .threads = 2, .timeout_ms = 120000 };
	const char *mode;
	int c;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'P': o.port = parse_uint("port", optarg, 1, 65535); break;
		case 'f': o.family = parse_uint("family", optarg, 4, 6); break;
		case 'c': o.conns = parse_uint("conns", optarg, 1, MAX_CONNS); break;
		case 'n': o.requests = parse_uint("requests", optarg, 0, 100000000); break;
		case 's': o.size = parse_uint("size", optarg, 1, MAX_SIZE); break;
		case 't': o.threads = parse_uint("threads", optarg, 1, MAX_THREADS); break;
		case 'T': o.timeout_ms = parse_uint("timeout-ms", optarg, 1, 86400000); break;
		case 'p': o.pause_ms = parse_uint("pause-ms", optarg, 0, 60000); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (o.family != 4 && o.family != 6)) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "pair"))
		return run_pair(&o);
	if (!strcmp(mode, "server")) {
		become("load-server");
		return run_server(&o, -1);
	}
	if (!strcmp(mode, "client")) {
		become("load-client");
		return run_client(&o);
	}
	usage(stderr);
	return 2;
}
