/*
 * tcpapp: the local end of a remote-peer scenario (tests/integration/
 * test_remote.sh): a real application making real socket calls, one per
 * line of a script, each with the result it must have. Its partner is
 * tunpeer, a scripted peer on a tun device with no socket of its own.
 *
 * Usage:
 *   tcpapp --local ADDR --peer ADDR --port N [--log FILE] SCRIPT
 *
 * The log (default standard output) has one line per call synscope traces,
 * in the order they were made, for the test to find in synscope's trace:
 *   0.001234 call connect fd=3 ret=0
 *   0.501234 call read fd=3 ret=-104 ECONNRESET
 * a line "ready" just before the first step that talks to the network
 * (setup: socket, setsockopt, bind, listen, nonblock comes before it), and
 * "done" at the end. Any result other than the script's is one line
 * "tcpapp: line N: ..." on standard error and exit status 1.
 *
 * Script (one step a line, '#' comments; ERR is an errno name such as
 * ECONNREFUSED; without "=ERR" a step must succeed):
 *   socket                      a TCP socket of --local's family, the current one
 *   setsockopt NAME VALUE       on the current socket: keepalive, keepidle,
 *                               keepintvl, keepcnt, nodelay, linger (seconds,
 *                               on), linger2, fastopen (queue length),
 *                               fastopen_connect, syncnt, user_timeout (ms),
 *                               rcvbuf, sndbuf, reuseaddr
 *   nonblock                    O_NONBLOCK on the current socket
 *   bind [PORT]                 to --local:PORT (default --port)
 *   listen BACKLOG              the current socket becomes the listener
 *   connect [=ERR]              to --peer:--port
 *   poll-out MS =ready|=timeout the non-blocking connect finished in MS, or not
 *   accept [=ERR]               on the listener; the new socket is the current one
 *   write N [=ERR]              N bytes, all of them
 *   read N [=ERR]               exactly N bytes
 *   read-eof                    read() returns 0
 *   sendto-fastopen N [=ERR]    sendto(MSG_FASTOPEN) of N bytes to --peer:--port
 *   shutdown wr|rd|rdwr
 *   close                       the current socket
 *   close-listener
 *   sleep MS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORDS 8
#define MAX_IO 65536

struct app {
	struct sockaddr_storage local, peer;
	socklen_t alen;
	int af;
	unsigned int port;
	int fd;                 /* the current socket, -1 none */
	int lfd;                /* the listener, -1 none */
	bool ready;
	FILE *log;
	int line;
	struct timespec t0;
};

static struct app *fail_app;

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (fail_app && fail_app->line)
		fprintf(stderr, "tcpapp: line %d: ", fail_app->line);
	else
		fprintf(stderr, "tcpapp: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double elapsed(const struct app *a)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - a->t0.tv_sec) + (double)(t.tv_nsec - a->t0.tv_nsec) / 1e9;
}

/* ---- errno names: the ones a TCP scenario meets ---- */

static const struct {
	int err;
	const char *name;
} errnos[] = {
	{ ECONNREFUSED, "ECONNREFUSED" }, { ECONNRESET, "ECONNRESET" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ EINPROGRESS, "EINPROGRESS" },   { EAGAIN, "EAGAIN" },         { EPIPE, "EPIPE" },
	{ EHOSTUNREACH, "EHOSTUNREACH" }, { ENETUNREACH, "ENETUNREACH" }, { ENOTCONN, "ENOTCONN" },
	{ EINVAL, "EINVAL" },             { EADDRINUSE, "EADDRINUSE" },   { EALREADY, "EALREADY" },
	{ EBADF, "EBADF" },               { EOPNOTSUPP, "EOPNOTSUPP" }, { ECONNABORTED, "ECONNABORTED" },
};

static const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "?";
}

static int errno_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(errnos[i].name, name) == 0)
			return errnos[i].err;
	fail("unknown errno name '%s'", name);
}

/* ---- the log ---- */

/* One traced call and its result (ret < 0: -errno). */
static void log_call(struct app *a, const char *name, int fd, long ret)
{
	if (ret < 0)
		fprintf(a->log, "%.6f call %s fd=%d ret=%ld %s\n", elapsed(a), name, fd, ret,
			errno_name((int)-ret));
	else
		fprintf(a->log, "%.6f call %s fd=%d ret=%ld\n", elapsed(a), name, fd, ret);
	fflush(a->log);
}

static void say_ready(struct app *a)
{
	if (a->ready)
		return;
	a->ready = true;
	fprintf(a->log, "ready\n");
	fflush(a->log);
}

/* ---- results ---- */

/* "=ERR" among the words: the errno the step must fail with, 0 if none. */
static int wanted_errno(char **w, int n, int first)
{
	int i;

	for (i = first; i < n; i++)
		if (w[i][0] == '=')
			return errno_parse(w[i] + 1);
	return 0;
}

/* ret of a call against what the script wants: the error, or success. */
static void check_result(const char *what, long ret, int err, int want)
{
	if (want && ret >= 0)
		fail("%s succeeded (%ld), expected %s", what, ret, errno_name(want));
	if (want && err != want)
		fail("%s: %s, expected %s", what, strerror(err), errno_name(want));
	if (!want && ret < 0)
		fail("%s: %s", what, strerror(err));
}

static unsigned int word_uint(const char *what, const char *s, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > max)
		fail("%s: '%s' is not a number up to %u", what, s, max);
	return (unsigned int)v;
}

static int need_fd(const struct app *a, const char *what)
{
	if (a->fd < 0)
		fail("%s: no current socket", what);
	return a->fd;
}

/* ---- steps ---- */

static void step_socket(struct app *a)
{
	a->fd = socket(a->af, SOCK_STREAM, 0);
	if (a->fd < 0)
		fail("socket: %s", strerror(errno));
}

static const struct {
	const char *name;
	int level, opt;
} sockopts[] = {
	{ "keepalive", SOL_SOCKET, SO_KEEPALIVE },
	{ "rcvbuf", SOL_SOCKET, SO_RCVBUF },
	{ "sndbuf", SOL_SOCKET, SO_SNDBUF },
	{ "reuseaddr", SOL_SOCKET, SO_REUSEADDR },
	{ "keepidle", IPPROTO_TCP, TCP_KEEPIDLE },
	{ "keepintvl", IPPROTO_TCP, TCP_KEEPINTVL },
	{ "keepcnt", IPPROTO_TCP, TCP_KEEPCNT },
	{ "nodelay", IPPROTO_TCP, TCP_NODELAY },
	{ "linger2", IPPROTO_TCP, TCP_LINGER2 },
	{ "fastopen", IPPROTO_TCP, TCP_FASTOPEN },
	{ "fastopen_connect", IPPROTO_TCP, TCP_FASTOPEN_CONNECT },
	{ "syncnt", IPPROTO_TCP, TCP_SYNCNT },
	{ "user_timeout", IPPROTO_TCP, TCP_USER_TIMEOUT },
};

static void step_setsockopt(struct app *a, char **w, int n)
{
	int fd = need_fd(a, "setsockopt");
	int v, rc;
	size_t i;

	if (n != 3)
		fail("setsockopt NAME VALUE");
	v = (int)word_uint("setsockopt", w[2], 1 << 30);
	if (strcmp(w[1], "linger") == 0) {
		struct linger l = { .l_onoff = 1, .l_linger = v };

		rc = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	} else {
		for (i = 0; i < sizeof(sockopts) / sizeof(sockopts[0]); i++)
			if (strcmp(w[1], sockopts[i].name) == 0)
				break;
		if (i == sizeof(sockopts) / sizeof(sockopts[0]))
			fail("setsockopt: unknown option '%s'", w[1]);
		rc = setsockopt(fd, sockopts[i].level, sockopts[i].opt, &v, sizeof(v));
	}
	if (rc < 0)
		fail("setsockopt %s %d: %s", w[1], v, strerror(errno));
}

static void step_nonblock(struct app *a)
{
	int fd = need_fd(a, "nonblock");
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		fail("fcntl O_NONBLOCK: %s", strerror(errno));
}

static void set_port(struct sockaddr_storage *ss, unsigned int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static void step_bind(struct app *a, char **w, int n)
{
	int fd = need_fd(a, "bind");
	struct sockaddr_storage ss = a->local;
	int rc;

	set_port(&ss, n > 1 ? word_uint("bind", w[1], 65535) : a->port);
	rc = bind(fd, (struct sockaddr *)&ss, a->alen);
	log_call(a, "bind", fd, rc < 0 ? -errno : rc);
	check_result("bind", rc, errno, wanted_errno(w, n, 1));
}

static void step_listen(struct app *a, char **w, int n)
{
	int fd = need_fd(a, "listen");
	int rc;

	if (n != 2)
		fail("listen BACKLOG");
	rc = listen(fd, (int)word_uint("listen", w[1], 65535));
	log_call(a, "listen", fd, rc < 0 ? -errno : rc);
	check_result("listen", rc, errno, 0);
	a->lfd = fd;
	a->fd = -1;
}

static void step_connect(struct app *a, char **w, int n)
{
	int fd = need_fd(a, "connect");
	int rc, err;

	say_ready(a);
	rc = connect(fd, (struct sockaddr *)&a->peer, a->alen);
	err = errno;
	log_call(a, "connect", fd, rc < 0 ? -err : rc);
	check_result("connect", rc, err, wanted_errno(w, n, 1));
}

static void step_poll_out(struct app *a, char **w, int n)
{
	struct pollfd pfd = { .fd = need_fd(a, "poll-out"), .events = POLLOUT };
	int rc;

	if (n != 3 || (strcmp(w[2], "=ready") && strcmp(w[2], "=timeout")))
		fail("poll-out MS =ready|=timeout");
	say_ready(a);
	rc = poll(&pfd, 1, (int)word_uint("poll-out", w[1], 600000));
	if (rc < 0)
		fail("poll: %s", strerror(errno));
	if ((rc == 0) != (strcmp(w[2], "=timeout") == 0))
		fail("poll-out %s: %s", w[1], rc ? "the connect finished" : "timed out");
}

static void step_accept(struct app *a, char **w, int n)
{
	int fd, err;

	if (a->lfd < 0)
		fail("accept: no listener");
	say_ready(a);
	fd = accept(a->lfd, NULL, NULL);
	err = errno;
	log_call(a, "accept", a->lfd, fd < 0 ? -err : fd);
	check_result("accept", fd, err, wanted_errno(w, n, 1));
	if (fd >= 0)
		a->fd = fd;
}

static void step_write(struct app *a, char **w, int n)
{
	static char buf[MAX_IO];
	int fd = need_fd(a, "write");
	unsigned int len;
	ssize_t rc;
	int err;

	if (n < 2)
		fail("write N [=ERR]");
	say_ready(a);
	len = word_uint("write", w[1], MAX_IO);
	memset(buf, 'l', len);
	rc = write(fd, buf, len);
	err = errno;
	log_call(a, "write", fd, rc < 0 ? -err : rc);
	check_result("write", rc, err, wanted_errno(w, n, 2));
	if (rc >= 0 && (unsigned int)rc != len)
		fail("write: %zd of %u bytes", rc, len);
}

/* Reads until N bytes came (each read() logged), or the wanted error. */
static void step_read(struct app *a, char **w, int n)
{
	static char buf[MAX_IO];
	int fd = need_fd(a, "read");
	unsigned int len, got = 0;
	int want, err;

	if (n < 2)
		fail("read N [=ERR]");
	say_ready(a);
	len = word_uint("read", w[1], MAX_IO);
	want = wanted_errno(w, n, 2);
	while (got < len || want) {
		ssize_t rc = read(fd, buf, len - got);

		err = errno;
		log_call(a, "read", fd, rc < 0 ? -err : rc);
		if (rc < 0 && err == EINTR)
			continue;
		if (want || rc < 0) {
			check_result("read", rc, err, want);
			return;
		}
		if (rc == 0)
			fail("read: EOF after %u of %u bytes", got, len);
		got += (unsigned int)rc;
	}
}

static void step_read_eof(struct app *a)
{
	char buf[256];
	int fd = need_fd(a, "read-eof");
	ssize_t rc;

	say_ready(a);
	rc = read(fd, buf, sizeof(buf));
	log_call(a, "read", fd, rc < 0 ? -errno : rc);
	if (rc != 0)
		fail("read-eof: read returned %zd (%s)", rc, rc < 0 ? strerror(errno) : "data");
}

static void step_sendto_fastopen(struct app *a, char **w, int n)
{
	static char buf[MAX_IO];
	int fd = need_fd(a, "sendto-fastopen");
	unsigned int len;
	ssize_t rc;
	int err;

	if (n < 2)
		fail("sendto-fastopen N [=ERR]");
	say_ready(a);
	len = word_uint("sendto-fastopen", w[1], MAX_IO);
	memset(buf, 'f', len);
	rc = sendto(fd, buf, len, MSG_FASTOPEN, (struct sockaddr *)&a->peer, a->alen);
	err = errno;
	log_call(a, "sendto", fd, rc < 0 ? -err : rc);
	check_result("sendto", rc, err, wanted_errno(w, n, 2));
}

static void step_shutdown(struct app *a, char **w, int n)
{
	int fd = need_fd(a, "shutdown");
	int how, rc;

	if (n != 2)
		fail("shutdown wr|rd|rdwr");
	how = !strcmp(w[1], "rd") ? SHUT_RD : !strcmp(w[1], "wr") ? SHUT_WR
		: !strcmp(w[1], "rdwr") ? SHUT_RDWR : -1;
	if (how < 0)
		fail("shutdown: '%s' is not rd, wr or rdwr", w[1]);
	say_ready(a);
	rc = shutdown(fd, how);
	log_call(a, "shutdown", fd, rc < 0 ? -errno : rc);
	check_result("shutdown", rc, errno, 0);
}

static void close_logged(struct app *a, int fd)
{
	int rc;

	say_ready(a);
	rc = close(fd);
	log_call(a, "close", fd, rc < 0 ? -errno : rc);
	check_result("close", rc, errno, 0);
}

static void step_close(struct app *a)
{
	close_logged(a, need_fd(a, "close"));
	a->fd = -1;
}

static void step_close_listener(struct app *a)
{
	if (a->lfd < 0)
		fail("close-listener: no listener");
	close_logged(a, a->lfd);
	a->lfd = -1;
}

static void run_step(struct app *a, char **w, int n)
{
	const char *s = w[0];

	if (!strcmp(s, "socket"))
		step_socket(a);
	else if (!strcmp(s, "setsockopt"))
		step_setsockopt(a, w, n);
	else if (!strcmp(s, "nonblock"))
		step_nonblock(a);
	else if (!strcmp(s, "bind"))
		step_bind(a, w, n);
	else if (!strcmp(s, "listen"))
		step_listen(a, w, n);
	else if (!strcmp(s, "connect"))
		step_connect(a, w, n);
	else if (!strcmp(s, "poll-out"))
		step_poll_out(a, w, n);
	else if (!strcmp(s, "accept"))
		step_accept(a, w, n);
	else if (!strcmp(s, "write"))
		step_write(a, w, n);
	else if (!strcmp(s, "read"))
		step_read(a, w, n);
	else if (!strcmp(s, "read-eof"))
		step_read_eof(a);
	else if (!strcmp(s, "sendto-fastopen"))
		step_sendto_fastopen(a, w, n);
	else if (!strcmp(s, "shutdown"))
		step_shutdown(a, w, n);
	else if (!strcmp(s, "close"))
		step_close(a);
	else if (!strcmp(s, "close-listener"))
		step_close_listener(a);
	else if (!strcmp(s, "sleep") && n == 2) {
		say_ready(a);
		sleep_ms(word_uint("sleep", w[1], 600000));
	} else
		fail("unknown step '%s'", s);
}

static void run_script(struct app *a, FILE *f)
{
	char line[256], *w[MAX_WORDS], *save, *tok;
	int n;

	while (fgets(line, sizeof(line), f)) {
		a->line++;
		line[strcspn(line, "#")] = 0;
		n = 0;
		for (tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == MAX_WORDS)
				fail("more than %d words", MAX_WORDS);
			w[n++] = tok;
		}
		if (n)
			run_step(a, w, n);
	}
	a->line = 0;
	say_ready(a);
	fprintf(a->log, "done\n");
	fflush(a->log);
}

static void addr_set(struct app *a, struct sockaddr_storage *ss, const char *text)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)a->port);
	} else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)a->port);
	} else {
		fail("'%s' is not an IPv4 or IPv6 address", text);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "local", required_argument, NULL, 'l' }, { "peer", required_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'p' },  { "log", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	static struct app app = { .fd = -1, .lfd = -1 };
	struct app *a = &app;
	const char *local = NULL, *peer = NULL, *log = NULL;
	FILE *script;
	int opt;

	fail_app = a;
	a->log = stdout;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': local = optarg; break;
		case 'r': peer = optarg; break;
		case 'p': a->port = word_uint("--port", optarg, 65535); break;
		case 'o': log = optarg; break;
		default: fail("usage: tcpapp --local ADDR --peer ADDR --port N [--log FILE] SCRIPT");
		}
	}
	if (!local || !peer || !a->port || optind != argc - 1)
		fail("usage: tcpapp --local ADDR --peer ADDR --port N [--log FILE] SCRIPT");
	addr_set(a, &a->local, local);
	addr_set(a, &a->peer, peer);
	if (a->local.ss_family != a->peer.ss_family)
		fail("--local and --peer must be of one family");
	a->af = a->local.ss_family;
	a->alen = a->af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (log && !(a->log = fopen(log, "w")))
		fail("%s: %s", log, strerror(errno));
	if (!(script = fopen(argv[optind], "r")))
		fail("%s: %s", argv[optind], strerror(errno));
	prctl(PR_SET_NAME, "tcpapp");
	clock_gettime(CLOCK_MONOTONIC, &a->t0);
	run_script(a, script);
	fclose(script);
	return 0;
}
