/*
 * tcplab: the classroom scenarios (scripts/scenario.sh, docs/scenarios.md) as
 * real sockets. One scenario runs as two processes, usually in two network
 * namespaces: "tcplab server" (comm "demo-server") and "tcplab client" (comm
 * "demo-client"). Every step is a plain blocking syscall that a tracer can
 * see, and every step's result is checked: when the kernel does something
 * other than what the scenario teaches, the process prints one line
 * "tcplab: ROLE: ..." on stderr and exits 1.
 *
 * Usage:
 *   tcplab list
 *   tcplab server --scenario NAME [options]
 *   tcplab client --scenario NAME [options]
 *
 * The server prints "ready" on stdout once its socket is bound (and listening)
 * so that a script can start the client without racing listen(). Timing is
 * part of each scenario: where two segments must stay separate on the wire,
 * the side that would send the second one waits --settle-ms (300 ms) first,
 * well beyond Linux's delayed-ACK timer (the next timer tick while the
 * connection has received no data, about 40 ms once it has).
 *
 * simultaneous-close and simultaneous-open need both ends to act at the same
 * instant. The two processes share a file (--sync FILE, mapped by both) that
 * holds a spin barrier; they pin themselves to different CPUs, meet at the
 * barrier and call close() / connect() together, at real-time priority for
 * that moment so that no other busy process delays one of them. Whether the segments really
 * crossed is checked (both ends in TIME-WAIT; both connect() calls
 * succeeding without a listener), and if not the pair tries again on new
 * ports, up to --attempts times. Attempt k (from 0) uses server port P+k and,
 * for simultaneous-open, client port P+N+k (N = --attempts).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQUEST "hello\n"
#define REPLY "world\n"
#define DEFAULT_PORT 9000
#define DEFAULT_SETTLE_MS 300 /* past the longest delayed ACK (TCP_DELACK_MAX, 200 ms) */
#define DEFAULT_ATTEMPTS 20
#define DEFAULT_TIMEOUT_S 30
#define MAX_ATTEMPTS 100
#define LISTEN_BACKLOG 16
#define BACKLOG_FULL_CONNS 3  /* backlog-full: listen(fd, 1) queues two, drops the third SYN */

/* Kernel TCP state numbers (include/net/tcp_states.h). */
enum {
	LAB_TCP_ESTABLISHED = 1,
	LAB_TCP_TIME_WAIT = 6,
	LAB_TCP_CLOSE = 7,
	LAB_TCP_LISTEN = 10,
};

struct endpoint {
	struct sockaddr_storage sa;
	socklen_t len;
	int af;
	char text[INET6_ADDRSTRLEN + 8];
};

/* Both ends of one connection, as this host sees them. */
struct tuple {
	struct endpoint local, remote;
};

/* The file both processes map (--sync). Barrier generation g is reached by
 * role r when mark[r] >= g; the value a role publishes with barrier g sits in
 * value[r][g & 1], so the next barrier's value cannot overwrite it before the
 * peer has read it. */
struct lab_shared {
	_Atomic uint32_t mark[2];
	_Atomic int32_t value[2][2];
};

enum role { ROLE_SERVER = 0, ROLE_CLIENT = 1 };

struct lab {
	const struct scenario *sc;
	enum role role;
	struct endpoint srv;       /* --addr, --port: where the server is */
	struct endpoint cli;       /* --client-addr: simultaneous-open binds here */
	unsigned int port;
	unsigned int attempts;
	unsigned int settle_ms;
	unsigned int slow_ms;
	bool verbose;
	bool realtime;             /* SCHED_FIFO at the simultaneous moment */
	struct lab_shared *shared; /* --sync FILE, or NULL */
	uint32_t gen;              /* the last barrier generation passed */
};

struct scenario {
	const char *name;
	const char *summary;
	void (*server)(struct lab *); /* NULL: the scenario has no server process */
	void (*client)(struct lab *);
	bool needs_sync;
};

static const char *role_name = "tcplab";

/* ---- messages ---- */

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	va_list ap;

	/* Only the first failing thread prints; the others wait for exit(). */
	pthread_mutex_lock(&lock);
	fprintf(stderr, "tcplab: %s: ", role_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#include "sock_io.h" /* after fail(): it calls it */

/* step: says what comes next (--verbose) and, with --slow, pauses first so a
 * teacher can talk about it. Never called where timing is the point. */
/* say: tells what comes next (--verbose), in one write() so that the two
 * processes' lines never mix. */
static void __attribute__((format(printf, 2, 0))) vsay(const struct lab *l, const char *fmt,
							  va_list ap)
{
	char line[256];
	int n;

	if (!l->verbose)
		return;
	n = snprintf(line, sizeof(line), "%s: ", role_name);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0) {
		/* stderr is gone: nobody to tell */
	}
}

static void __attribute__((format(printf, 2, 3))) say(const struct lab *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(l, fmt, ap);
	va_end(ap);
}

/* step: say, and with --slow pause first so a teacher can talk about it.
 * Where timing is the point, the scenario uses say() instead. */
static void __attribute__((format(printf, 2, 3))) step(const struct lab *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(l, fmt, ap);
	va_end(ap);
	if (l->slow_ms)
		sleep_ms(l->slow_ms);
}

/* How long to wait for the other process to do its part: --slow and
 * --settle-ms stretch every step, so they stretch this too. */
static unsigned int peer_wait_ms(const struct lab *l)
{
	return 10000 + 10 * (l->slow_ms + l->settle_ms);
}

/* settle: lets the kernel send what it still owes (a delayed ACK) before
 * this end's next segment, so the two stay separate on the wire. */
static void settle(const struct lab *l)
{
	sleep_ms(l->settle_ms);
}

/* A result line on stdout, for the script that runs the scenario. */
static void __attribute__((format(printf, 1, 2))) report(const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	printf("%s: ", role_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	funlockfile(stdout);
}

static void announce_ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

static void on_alarm(int sig)
{
	static const char msg[] = ": timed out\n";

	(void)sig;
	if (write(2, "tcplab: ", 8) < 0 || write(2, role_name, strlen(role_name)) < 0 ||
	    write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* ---- addresses ---- */

static void endpoint_set(struct endpoint *ep, const char *addr, unsigned int port)
{
	memset(ep, 0, sizeof(*ep));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			fail("bad IPv6 address '%s'", addr);
		ep->len = sizeof(*s6);
		ep->af = AF_INET6;
		snprintf(ep->text, sizeof(ep->text), "[%s]:%u", addr, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			fail("bad IPv4 address '%s'", addr);
		ep->len = sizeof(*s4);
		ep->af = AF_INET;
		snprintf(ep->text, sizeof(ep->text), "%s:%u", addr, port);
	}
}

static unsigned int endpoint_port(const struct endpoint *ep)
{
	if (ep->af == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&ep->sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&ep->sa)->sin_port);
}

/* The same address with another port. */
static struct endpoint endpoint_with_port(const struct endpoint *ep, unsigned int port)
{
	struct endpoint out = *ep;
	char addr[INET6_ADDRSTRLEN];

	if (out.af == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out.sa;

		s6->sin6_port = htons((uint16_t)port);
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(out.text, sizeof(out.text), "[%s]:%u", addr, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out.sa;

		s4->sin_port = htons((uint16_t)port);
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(out.text, sizeof(out.text), "%s:%u", addr, port);
	}
	return out;
}

static void endpoint_from_sockaddr(struct endpoint *ep, const struct sockaddr_storage *sa,
				   socklen_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	memset(ep, 0, sizeof(*ep));
	memcpy(&ep->sa, sa, len);
	ep->len = len;
	ep->af = sa->ss_family;
	if (ep->af == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(ep->text, sizeof(ep->text), "[%s]:%u", addr, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(ep->text, sizeof(ep->text), "%s:%u", addr, ntohs(s4->sin_port));
	}
}

static struct tuple tuple_of(int fd)
{
	struct tuple t;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		fail("getsockname: %s", strerror(errno));
	endpoint_from_sockaddr(&t.local, &sa, len);
	len = sizeof(sa);
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0)
		fail("getpeername: %s", strerror(errno));
	endpoint_from_sockaddr(&t.remote, &sa, len);
	return t;
}

/* Each connected descriptor's 4-tuple, noted when it connects: after a RST
 * or the peer's FIN the socket may no longer say (getpeername() fails), but
 * the checks after close() still need it. */
#define MAX_FDS 256
static struct tuple fd_tuples[MAX_FDS];

static void note_tuple(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		fail("descriptor %d: more than this program expects", fd);
	fd_tuples[fd] = tuple_of(fd);
}

static void copy_tuple(int from, int to)
{
	if (to < 0 || to >= MAX_FDS)
		fail("descriptor %d: more than this program expects", to);
	fd_tuples[to] = fd_tuples[from];
}

/* ---- socket steps, each checked ---- */

static int tcp_socket(int af)
{
	int fd = socket(af, SOCK_STREAM, 0);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	return fd;
}

static void bind_reuse(int fd, const struct endpoint *ep)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fail("setsockopt SO_REUSEADDR: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)&ep->sa, ep->len) < 0)
		fail("bind %s: %s", ep->text, strerror(errno));
}

static int listen_at(const struct endpoint *ep, int backlog)
{
	int fd = tcp_socket(ep->af);

	bind_reuse(fd, ep);
	if (listen(fd, backlog) < 0)
		fail("listen %s: %s", ep->text, strerror(errno));
	return fd;
}

static int accept_one(int lfd)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0) {
			note_tuple(fd);
			return fd;
		}
		if (errno != EINTR)
			fail("accept: %s", strerror(errno));
	}
}

/* connect(); returns 0 or the errno. */
static int try_connect(int fd, const struct endpoint *ep)
{
	while (connect(fd, (const struct sockaddr *)&ep->sa, ep->len) < 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}

static int connect_to(const struct lab *l, const struct endpoint *ep)
{
	int fd = tcp_socket(ep->af);
	int err;

	step(l, "connect() to %s", ep->text);
	err = try_connect(fd, ep);
	if (err)
		fail("connect %s: %s", ep->text, strerror(err));
	note_tuple(fd);
	return fd;
}

static void write_str(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

/* write() must fail with err (EPIPE: a connection reset after the peer's FIN). */
static void write_expect_error(int fd, int err)
{
	ssize_t n = write(fd, REQUEST, strlen(REQUEST));

	if (n >= 0)
		fail("write: %zd bytes; expected %s", n, strerrorname_np(err));
	if (errno != err)
		fail("write: %s; expected %s", strerrorname_np(errno), strerrorname_np(err));
}

/* read() must fail with err (the peer's RST). */
static void read_expect_error(int fd, int err)
{
	char buf[64];
	ssize_t n = read_some(fd, buf, sizeof(buf));

	if (n == 0)
		fail("read: returned 0 (EOF); expected %s", strerrorname_np(err));
	if (n > 0)
		fail("read: %zd bytes; expected %s", n, strerrorname_np(err));
	if (errno != err)
		fail("read: %s; expected %s", strerrorname_np(errno), strerrorname_np(err));
}

static struct tcp_info tcp_info_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		fail("getsockopt TCP_INFO: %s", strerror(errno));
	return ti;
}

static void expect_retransmissions(int fd, unsigned int want)
{
	struct tcp_info ti = tcp_info_of(fd);

	if (ti.tcpi_total_retrans != want)
		fail("TCP_INFO: %u retransmitted segments, expected %u", ti.tcpi_total_retrans, want);
}

/* ---- what the kernel holds for a 4-tuple (sock_diag) ---- */

/* The state of the socket (or time-wait socket) with this exact 4-tuple in
 * this network namespace: a kernel TCP state number, or 0 when there is
 * none (a listener that would match instead counts as none). */
static int tuple_state(const struct tuple *t)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	char buf[8192];
	int fd, state = -1;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.req.sdiag_family = (uint8_t)t->local.af;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = ~0u;
	msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (t->local.af == AF_INET6) {
		const struct sockaddr_in6 *l = (const void *)&t->local.sa, *r = (const void *)&t->remote.sa;

		msg.req.id.idiag_sport = l->sin6_port;
		msg.req.id.idiag_dport = r->sin6_port;
		memcpy(msg.req.id.idiag_src, &l->sin6_addr, 16);
		memcpy(msg.req.id.idiag_dst, &r->sin6_addr, 16);
	} else {
		const struct sockaddr_in *l = (const void *)&t->local.sa, *r = (const void *)&t->remote.sa;

		msg.req.id.idiag_sport = l->sin_port;
		msg.req.id.idiag_dport = r->sin_port;
		msg.req.id.idiag_src[0] = l->sin_addr.s_addr;
		msg.req.id.idiag_dst[0] = r->sin_addr.s_addr;
	}

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		fail("socket NETLINK_SOCK_DIAG: %s", strerror(errno));
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		fail("sock_diag send: %s", strerror(errno));
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		fail("sock_diag recv: %s", strerror(errno));
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (e->error == -ENOENT)
				state = 0;
			else
				fail("sock_diag: %s", strerror(-e->error));
			break;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			state = m->idiag_state == LAB_TCP_LISTEN ? 0 : m->idiag_state;
			break;
		}
	}
	close(fd);
	if (state < 0)
		fail("sock_diag: no answer for %s -> %s", t->local.text, t->remote.text);
	return state;
}

/* After close(): waits until the connection has finished its teardown here,
 * and returns how it ended: LAB_TCP_TIME_WAIT, or 0 (nothing left). */
static int wait_teardown(const struct lab *l, const struct tuple *t)
{
	unsigned int limit_ms = peer_wait_ms(l);

	int gone = 0;

	for (unsigned int ms = 0; ms < limit_ms; ms++) {
		int st = tuple_state(t);

		if (st == LAB_TCP_TIME_WAIT)
			return st;
		/* The lookup is lockless: while an orphaned FIN-WAIT-2 socket is
		 * swapped for its timewait socket, it can find the full socket
		 * already CLOSE, or neither. Gone is gone when it stays so. */
		if (st == 0 || st == LAB_TCP_CLOSE) {
			if (++gone == 3)
				return 0;
		} else {
			gone = 0;
		}
		sleep_ms(1);
	}
	fail("%s -> %s: still in state %d %u ms after close()", t->local.text, t->remote.text,
	     tuple_state(t), limit_ms);
}

/* The active closer must end in TIME-WAIT, the passive one with nothing. */
static void expect_teardown(const struct lab *l, const struct tuple *t, bool time_wait)
{
	int st = wait_teardown(l, t);

	if (time_wait && st != LAB_TCP_TIME_WAIT)
		fail("%s -> %s: no TIME-WAIT after close(); this end should have closed first",
		     t->local.text, t->remote.text);
	if (!time_wait && st == LAB_TCP_TIME_WAIT)
		fail("%s -> %s: in TIME-WAIT after close(); this end should have closed second",
		     t->local.text, t->remote.text);
}

/* close() and the check of how this end's teardown ended. */
static void close_expect(const struct lab *l, int fd, bool time_wait)
{
	struct tuple t = fd_tuples[fd];

	close_checked(fd);
	expect_teardown(l, &t, time_wait);
}

/* ---- the kernel's SNMP counters of this namespace ---- */

/* One TcpExt counter from /proc/net/netstat (this process's namespace). */
static unsigned long long tcpext_counter(const char *name)
{
	FILE *f = fopen("/proc/net/netstat", "r");
	char names[8192], values[8192];
	unsigned long long v = 0;
	bool found = false;

	if (!f)
		fail("/proc/net/netstat: %s", strerror(errno));
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *sn, *sv;
		char *n = strtok_r(names, " \n", &sn), *val = strtok_r(values, " \n", &sv);

		if (!n || strcmp(n, "TcpExt:") != 0)
			continue;
		while ((n = strtok_r(NULL, " \n", &sn)) && (val = strtok_r(NULL, " \n", &sv))) {
			if (strcmp(n, name) == 0) {
				v = strtoull(val, NULL, 10);
				found = true;
				break;
			}
		}
		break;
	}
	fclose(f);
	if (!found)
		fail("/proc/net/netstat: no TcpExt %s", name);
	return v;
}

/* ---- the two processes' meeting point (--sync) ---- */

static struct lab_shared *shared_map(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct stat st;
	void *p;

	if (fd < 0)
		fail("--sync %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		fail("--sync %s: %s", path, strerror(errno));
	/* Both processes size it; the second ftruncate() changes nothing. */
	if ((size_t)st.st_size < sizeof(struct lab_shared) &&
	    ftruncate(fd, sizeof(struct lab_shared)) < 0)
		fail("--sync %s: %s", path, strerror(errno));
	p = mmap(NULL, sizeof(struct lab_shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fail("--sync %s: mmap: %s", path, strerror(errno));
	close(fd);
	return p;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Real-time priority (SCHED_FIFO) only for the moment both ends must act
 * together: no ordinary process on the same CPU can then preempt the one
 * that spins or the one that acts. Without CAP_SYS_NICE it stays off. */
static bool realtime(const struct lab *l, bool on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	if (on && !l->realtime)
		return false;
	return sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp) == 0;
}

/* Publishes value, waits (spinning, so that both leave within a fraction of
 * a microsecond) until the peer reached the same barrier, returns its value.
 * A real-time spinner waits at most 20 ms before it goes back to ordinary
 * priority and waits on: it must not starve the CPU it runs on. */
static int32_t barrier(struct lab *l, int32_t value)
{
	uint32_t g = ++l->gen;
	int me = l->role, peer = !l->role;
	bool rt = sched_getscheduler(0) == SCHED_FIFO;
	long limit_ms = peer_wait_ms(l);
	unsigned long spins = 0;
	struct timespec t0;

	atomic_store(&l->shared->value[me][g & 1], value);
	atomic_store(&l->shared->mark[me], g);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load_explicit(&l->shared->mark[peer], memory_order_acquire) < g) {
		cpu_relax();
		if (++spins % (1u << 12) != 0)
			continue;
		if (rt && ms_since(&t0) > 20)
			rt = !realtime(l, false);
		if (spins % (1u << 20) == 0) {
			if (ms_since(&t0) > limit_ms)
				fail("--sync: the %s did not arrive within %ld ms",
				     peer == ROLE_SERVER ? "server" : "client", limit_ms);
			sched_yield();
		}
	}
	return atomic_load(&l->shared->value[peer][g & 1]);
}

/* The meeting just before acting together: both have arrived at an ordinary
 * barrier, so at this second one neither waits long, even in real time. */
static void barrier_release(struct lab *l)
{
	barrier(l, 0);
	realtime(l, true);
	barrier(l, 0);
}

/* Server and client on different CPUs, so that both really run at the
 * barrier's release. */
static void pin_cpu(const struct lab *l)
{
	cpu_set_t set;
	int cpus[CPU_SETSIZE], n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpus[l->role == ROLE_SERVER ? n - 1 : 0], &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- the scenarios ---- */

/* exit-close, dup-close, fork-close, lost-syn: the server
 * accepts, reads EOF (the client's FIN), waits --settle-ms, so that the
 * kernel's delayed ACK of the FIN leaves first, and closes: ACK and FIN are
 * two segments. */
static void serve_until_eof(struct lab *l, int lfd)
{
	int fd;

	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	step(l, "read() until the client's FIN: returns 0");
	read_eof(fd);
	settle(l);
	step(l, "close()");
	close_expect(l, fd, false);
}

static void handshake_close_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);

	announce_ready();
	serve_until_eof(l, lfd);
}

/* handshake-close: RFC 9293's Figure 6 then Figure 12. The client sends a
 * request right after the handshake (Figure 6's line 5, ACK with DATA),
 * waits, and closes first; the server reads it and EOF, waits past its
 * delayed ACK of the FIN, and closes: four segments. */
static void request_close_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	int fd;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	step(l, "read() the request");
	read_expect(fd, REQUEST);
	step(l, "read() until the client's FIN: returns 0");
	read_eof(fd);
	settle(l);
	step(l, "close()");
	close_expect(l, fd, false);
}

static void request_close_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	step(l, "write() the request");
	write_str(fd, REQUEST);
	settle(l);
	step(l, "close(): FIN");
	close_expect(l, fd, true);
}

/* merged-fin: the server closes the moment read() returns 0, while the
 * kernel still delays its ACK of the FIN: the FIN carries that ACK. Linux
 * delays it by the "ato" estimate, which is 0 (the next timer tick, 4 ms at
 * HZ=250) until the connection has received data and 40 ms after: the
 * client's request is what leaves the server time to close first. */
static void merged_fin_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	int fd;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	step(l, "read() the request");
	read_expect(fd, REQUEST);
	step(l, "read() until the client's FIN, then close() at once");
	read_eof(fd);
	/* No step(), no pause: --slow must not delay this close(). */
	close_expect(l, fd, false);
}

static void merged_fin_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	settle(l);
	step(l, "write() the request");
	write_str(fd, REQUEST);
	settle(l);
	step(l, "close(): FIN");
	close_expect(l, fd, true);
}

/* The server accepts and close()s first: its end in TIME-WAIT at the end,
 * or (time_wait false) gone by then. */
static void close_first_server(struct lab *l, bool time_wait)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	int fd;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	settle(l);
	step(l, "close() first: FIN");
	close_expect(l, fd, time_wait);
}

static void server_close_server(struct lab *l)
{
	close_first_server(l, true);
}

static void server_close_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	step(l, "read() until the server's FIN: returns 0");
	read_eof(fd);
	settle(l);
	step(l, "close()");
	close_expect(l, fd, false);
}

/* simultaneous-close: each attempt is a fresh connection on a new port; both
 * ends meet at the barrier and close() at once. Only when both FINs left
 * before either end processed the other's does each end go FIN-WAIT-1 ->
 * CLOSING -> TIME-WAIT; otherwise one end is an ordinary passive closer and
 * ends with no TIME-WAIT. */
static void simultaneous_close(struct lab *l)
{
	pin_cpu(l);
	if (l->role == ROLE_SERVER)
		announce_ready();
	for (unsigned int a = 0; a < l->attempts; a++) {
		struct endpoint srv = endpoint_with_port(&l->srv, l->port + a);
		struct tuple t;
		int fd, lfd = -1;
		bool mine, theirs;

		if (l->role == ROLE_SERVER) {
			lfd = listen_at(&srv, LISTEN_BACKLOG);
			barrier(l, 0);               /* listening */
			fd = accept_one(lfd);
			close_checked(lfd);
		} else {
			barrier(l, 0);
			fd = connect_to(l, &srv);
		}
		t = fd_tuples[fd];
		step(l, "attempt %u: close() at the same instant as the peer", a + 1);
		barrier_release(l);                  /* both connected */
		if (close(fd) < 0)
			fail("close: %s", strerror(errno));
		realtime(l, false);
		mine = wait_teardown(l, &t) == LAB_TCP_TIME_WAIT;
		theirs = barrier(l, mine);
		if (mine && theirs) {
			report("simultaneous close on attempt %u of %u (port %u)", a + 1,
			       l->attempts, l->port + a);
			return;
		}
		step(l, "attempt %u: TIME-WAIT here: %s, at the peer: %s: the FINs did not cross",
		     a + 1, mine ? "yes" : "no", theirs ? "yes" : "no");
	}
	fail("the FINs did not cross in %u attempts", l->attempts);
}

/* simultaneous-open: no listener at all. Both ends bind, meet at the
 * barrier and connect() to each other. If either SYN arrives before the other
 * end's connect() has begun, it finds no socket and is answered by RST (both
 * connect() calls fail), and the pair tries again on new ports; when both
 * connect() calls succeed, the SYNs crossed: SYN-SENT -> SYN-RECEIVED ->
 * ESTABLISHED on both ends. Then the client closes first. */
static void simultaneous_open(struct lab *l)
{
	int fd = -1;

	pin_cpu(l);
	if (l->role == ROLE_SERVER)
		announce_ready();
	for (unsigned int a = 0; a < l->attempts && fd < 0; a++) {
		struct endpoint s = endpoint_with_port(&l->srv, l->port + a);
		struct endpoint c = endpoint_with_port(&l->cli, l->port + l->attempts + a);
		const struct endpoint *self = l->role == ROLE_SERVER ? &s : &c;
		const struct endpoint *peer = l->role == ROLE_SERVER ? &c : &s;
		struct timeval limit = { .tv_sec = 5 };
		int sfd = tcp_socket(self->af), err, peer_err;

		/* A blocking connect() gives up (EINPROGRESS) after SO_SNDTIMEO. */
		if (setsockopt(sfd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit)) < 0)
			fail("setsockopt SO_SNDTIMEO: %s", strerror(errno));
		bind_reuse(sfd, self);
		step(l, "attempt %u: connect() to %s at the same instant as the peer", a + 1,
		     peer->text);
		barrier_release(l);                  /* both bound */
		err = try_connect(sfd, peer);
		realtime(l, false);
		peer_err = barrier(l, err);
		if (!err && !peer_err) {
			report("simultaneous open on attempt %u of %u (ports %u, %u)", a + 1,
			       l->attempts, endpoint_port(&s), endpoint_port(&c));
			note_tuple(sfd);
			fd = sfd;
			break;
		}
		if (err && err != ECONNREFUSED && err != ECONNRESET)
			fail("connect %s: %s", peer->text, strerror(err));
		step(l, "attempt %u: connect() %s, the peer's %s: the SYNs did not cross", a + 1,
		     err ? strerrorname_np(err) : "succeeded",
		     peer_err ? strerrorname_np(peer_err) : "succeeded");
		close_checked(sfd);
	}
	if (fd < 0)
		fail("the SYNs did not cross in %u attempts", l->attempts);
	if (l->role == ROLE_CLIENT) {
		settle(l);
		step(l, "close(): FIN");
		close_expect(l, fd, true);
	} else {
		step(l, "read() until the client's FIN: returns 0");
		read_eof(fd);
		settle(l);
		step(l, "close()");
		close_expect(l, fd, false);
	}
}

/* self-connect: one socket bound to addr:port connects to addr:port. Its SYN
 * comes back to itself while it is in SYN-SENT: a simultaneous open with a
 * single socket. What it writes, it reads back. */
static void self_connect_client(struct lab *l)
{
	int fd = tcp_socket(l->srv.af), err;
	struct tuple t;

	bind_reuse(fd, &l->srv);
	step(l, "connect() to its own address %s", l->srv.text);
	err = try_connect(fd, &l->srv);
	if (err)
		fail("connect %s to itself: %s", l->srv.text, strerror(err));
	note_tuple(fd);
	t = fd_tuples[fd];
	if (t.local.len != t.remote.len || memcmp(&t.local.sa, &t.remote.sa, t.local.len) != 0)
		fail("connected to %s, not to itself (%s)", t.remote.text, t.local.text);
	settle(l);
	step(l, "write() \"hello\": the same socket receives it");
	write_str(fd, REQUEST);
	read_expect(fd, REQUEST);
	settle(l);
	step(l, "close(): its own FIN comes back to it");
	close_expect(l, fd, true);
}

/* half-close: the client sends its request and shuts down its sending
 * side; the server reads the request and the EOF, then still sends its
 * reply and only then closes. */
static void half_close_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	int fd;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	step(l, "read() the request");
	read_expect(fd, REQUEST);
	step(l, "read() until the client's FIN: returns 0");
	read_eof(fd);
	settle(l);
	step(l, "write() the reply after the client's FIN");
	write_str(fd, REPLY);
	settle(l);
	step(l, "close()");
	close_expect(l, fd, false);
}

static void half_close_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	settle(l);
	step(l, "write() the request");
	write_str(fd, REQUEST);
	settle(l);
	step(l, "shutdown(SHUT_WR): FIN, but still reading");
	if (shutdown(fd, SHUT_WR) < 0)
		fail("shutdown: %s", strerror(errno));
	step(l, "read() the reply that comes after our FIN");
	read_expect(fd, REPLY);
	step(l, "read() until the server's FIN: returns 0");
	read_eof(fd);
	step(l, "close(): nothing left to send");
	close_expect(l, fd, true);
}

static void refused_client(struct lab *l)
{
	int fd = tcp_socket(l->srv.af);
	int err;

	step(l, "connect() to %s where nobody listens", l->srv.text);
	err = try_connect(fd, &l->srv);
	if (err != ECONNREFUSED)
		fail("connect %s: %s; expected ECONNREFUSED", l->srv.text,
		     err ? strerrorname_np(err) : "success");
	close_checked(fd);
}

/* linger-rst and unread-rst: the server expects the client's RST. */
static void reset_by_client_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	int fd;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	step(l, "read(): the client's RST makes it fail with ECONNRESET");
	read_expect_error(fd, ECONNRESET);
	step(l, "close(): nothing left to send");
	close_expect(l, fd, false);
}

static void linger_rst_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	settle(l);
	step(l, "setsockopt(SO_LINGER, 0) and close(): RST instead of FIN");
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		fail("setsockopt SO_LINGER: %s", strerror(errno));
	close_expect(l, fd, false);
}

/* unread-rst: the server closes while the client's request is still unread
 * in its receive queue: the kernel answers with RST, not FIN. */
static void unread_rst_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	struct pollfd p;
	int fd;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	step(l, "poll(): the request arrives, and is not read");
	if (poll(&p, 1, -1) != 1)
		fail("poll: %s", strerror(errno));
	settle(l);
	step(l, "close() with unread data: RST");
	close_expect(l, fd, false);
}

static void unread_rst_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	settle(l);
	step(l, "write() a request the server will not read");
	write_str(fd, REQUEST);
	step(l, "read(): the server's RST makes it fail with ECONNRESET");
	read_expect_error(fd, ECONNRESET);
	step(l, "close(): nothing left to send");
	close_expect(l, fd, false);
}

/* write-after-close: the server closes first; the client reads the EOF and
 * writes all the same. Nobody will read that data (the server's process
 * closed its socket; a timewait socket holds its FIN-WAIT-2 on), so the
 * server's kernel answers it with RST. After the FIN, the RST shows not in
 * read(), which still says end-of-file, but in the next write(): EPIPE, and
 * SIGPIPE (ignored here; it ends a program that does not). */
static void write_after_close_server(struct lab *l)
{
	close_first_server(l, false); /* the RST ends its timewait socket */
}

static void write_after_close_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	step(l, "read() until the server's FIN: returns 0");
	read_eof(fd);
	settle(l);
	step(l, "write() all the same: the data goes out, but nobody will read it");
	write_str(fd, REQUEST);
	settle(l);
	step(l, "write() again: the server's RST came back, it fails with EPIPE (and SIGPIPE)");
	write_expect_error(fd, EPIPE);
	step(l, "close(): nothing left to send");
	close_expect(l, fd, false);
}

/* lost-syn: scenario.sh drops the first SYN in the server's namespace; the
 * client's connect() succeeds after one retransmission. */
static void lost_syn_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	expect_retransmissions(fd, 1);
	settle(l);
	step(l, "close(): FIN");
	close_expect(l, fd, true);
}

/* accept-queue: the handshake completes with no accept() at all; the
 * connection waits in the listener's accept queue, and accept() takes it
 * later without any segment on the wire. */
static void accept_queue_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	announce_ready();
	step(l, "poll() on the listener: a connection is ready, before accept()");
	if (poll(&p, 1, -1) != 1)
		fail("poll: %s", strerror(errno));
	settle(l);
	step(l, "accept(): takes the finished connection from the queue");
	fd = accept_one(lfd);
	close_checked(lfd);
	if (tcp_info_of(fd).tcpi_state != LAB_TCP_ESTABLISHED)
		fail("accept: the connection is in state %u, not ESTABLISHED",
		     tcp_info_of(fd).tcpi_state);
	step(l, "write() a greeting");
	write_str(fd, REPLY);
	step(l, "read() until the client's FIN: returns 0");
	read_eof(fd);
	settle(l);
	step(l, "close()");
	close_expect(l, fd, false);
}

static void accept_queue_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	step(l, "connect() returned; read() the server's greeting");
	read_expect(fd, REPLY);
	settle(l);
	step(l, "close(): FIN");
	close_expect(l, fd, true);
}

/* backlog-full: listen(fd, 1) holds two finished connections in the accept
 * queue; the third client's SYN finds it full and is dropped
 * (ListenOverflows). The server then accepts all three: the third only after
 * the client retransmitted its SYN. The server closes each first. */
static void backlog_full_server(struct lab *l)
{
	unsigned long long before = tcpext_counter("ListenOverflows"), after;
	int lfd = listen_at(&l->srv, 1);
	int fds[BACKLOG_FULL_CONNS];

	announce_ready();
	step(l, "no accept(): wait until the kernel drops a SYN (ListenOverflows)");
	for (int ms = 0; tcpext_counter("ListenOverflows") == before; ms++) {
		if (ms > (int)peer_wait_ms(l))
			fail("no SYN dropped within %u ms (ListenOverflows stays %llu)",
			     peer_wait_ms(l), before);
		sleep_ms(1);
	}
	/* Make room before the client retransmits its SYN (1 s): no pause here. */
	say(l, "accept() the %d queued connections at once", BACKLOG_FULL_CONNS - 1);
	for (int i = 0; i < BACKLOG_FULL_CONNS - 1; i++)
		fds[i] = accept_one(lfd);
	for (int i = 0; i < BACKLOG_FULL_CONNS - 1; i++) {
		step(l, "close() connection %d first: FIN", i + 1);
		close_expect(l, fds[i], true);
	}
	step(l, "accept() connection %d: its retransmitted SYN found room", BACKLOG_FULL_CONNS);
	fds[BACKLOG_FULL_CONNS - 1] = accept_one(lfd);
	step(l, "close() connection %d first: FIN", BACKLOG_FULL_CONNS);
	close_expect(l, fds[BACKLOG_FULL_CONNS - 1], true);
	close_checked(lfd);
	after = tcpext_counter("ListenOverflows");
	if (after - before != 1)
		fail("ListenOverflows went up by %llu; expected 1 dropped SYN", after - before);
}

/* The client's connections to the full backlog: each starts --settle-ms
 * after the one before it has connected, so the first two are complete and
 * queued when the third SYN arrives. */
struct backlog_clients {
	struct lab *l;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int connected;  /* connections whose connect() returned */
};

struct backlog_conn {
	struct backlog_clients *all;
	int index;
};

static void *backlog_full_conn(void *arg)
{
	struct backlog_conn *c = arg;
	struct backlog_clients *all = c->all;
	int fd;

	pthread_mutex_lock(&all->lock);
	while (all->connected < c->index)
		pthread_cond_wait(&all->changed, &all->lock);
	pthread_mutex_unlock(&all->lock);
	settle(all->l);
	fd = connect_to(all->l, &all->l->srv);
	pthread_mutex_lock(&all->lock);
	all->connected++;
	pthread_cond_broadcast(&all->changed);
	pthread_mutex_unlock(&all->lock);
	/* Only the third found the queue full and had to send its SYN again. */
	expect_retransmissions(fd, c->index == BACKLOG_FULL_CONNS - 1 ? 1 : 0);
	read_eof(fd);
	settle(all->l);
	close_expect(all->l, fd, false);
	return NULL;
}

static void backlog_full_client(struct lab *l)
{
	pthread_t tids[BACKLOG_FULL_CONNS];
	struct backlog_conn conns[BACKLOG_FULL_CONNS];
	struct backlog_clients all = {
		.l = l,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.changed = PTHREAD_COND_INITIALIZER,
	};

	step(l, "%d connections, one after the other", BACKLOG_FULL_CONNS);
	for (int i = 0; i < BACKLOG_FULL_CONNS; i++) {
		conns[i] = (struct backlog_conn){ .all = &all, .index = i };
		int err = pthread_create(&tids[i], NULL, backlog_full_conn, &conns[i]);
		if (err)
			fail("pthread_create: %s", strerror(err));
	}
	for (int i = 0; i < BACKLOG_FULL_CONNS; i++)
		pthread_join(tids[i], NULL);
}

/* backlog-late: the accept queue fills up between a client's SYN and its
 * last ACK. listen(fd, 1): the first client's connection is queued. The
 * second's SYN is answered, but its last ACK is dropped once by an nft rule
 * (scripts/scenario.sh), so it stays half-open in the server's SYN queue,
 * while a third client completes and fills the accept queue. When the server
 * repeats its SYN-ACK, the second client's ACK finds the queue full: the
 * kernel drops it (reason TCP_LISTEN_OVERFLOW) and repeats its SYN-ACK
 * later. The server then accepts the two queued connections, and the second
 * one completes late on the next SYN-ACK. The server closes each first. */
#define BACKLOG_LATE_CONNS 3
#define BACKLOG_LATE_DELAYED 1 /* the connection answered late: client port --port + 1 */

static void backlog_late_server(struct lab *l)
{
	unsigned long long before = tcpext_counter("ListenOverflows"), after;
	int lfd = listen_at(&l->srv, 1);
	int fds[BACKLOG_LATE_CONNS];

	announce_ready();
	step(l, "no accept(): wait until a last ACK finds the accept queue full (ListenOverflows)");
	for (int ms = 0; tcpext_counter("ListenOverflows") == before; ms++) {
		if (ms > (int)peer_wait_ms(l))
			fail("no ACK dropped within %u ms (ListenOverflows stays %llu)",
			     peer_wait_ms(l), before);
		sleep_ms(1);
	}
	/* make room before the next SYN-ACK (2 s later): no pause here */
	say(l, "accept() the %d queued connections", BACKLOG_LATE_CONNS - 1);
	for (int i = 0; i < BACKLOG_LATE_CONNS - 1; i++)
		fds[i] = accept_one(lfd);
	for (int i = 0; i < BACKLOG_LATE_CONNS - 1; i++) {
		step(l, "close() queued connection %d first: FIN", i + 1);
		close_expect(l, fds[i], true);
	}
	step(l, "accept() the late one: it completes on the repeated SYN-ACK");
	fds[BACKLOG_LATE_CONNS - 1] = accept_one(lfd);
	step(l, "close() it first: FIN");
	close_expect(l, fds[BACKLOG_LATE_CONNS - 1], true);
	close_checked(lfd);
	after = tcpext_counter("ListenOverflows");
	if (after - before != 1)
		fail("ListenOverflows went up by %llu; expected 1 dropped ACK", after - before);
}

struct backlog_late_conn {
	struct lab *l;
	int fd;
};

static void *backlog_late_finish(void *arg)
{
	struct backlog_late_conn *c = arg;

	read_eof(c->fd);
	settle(c->l);
	close_expect(c->l, c->fd, false);
	return NULL;
}

static void backlog_late_client(struct lab *l)
{
	struct backlog_late_conn conns[BACKLOG_LATE_CONNS];
	pthread_t tids[BACKLOG_LATE_CONNS];

	step(l, "%d connections, one after the other; the second from port %u",
	     BACKLOG_LATE_CONNS, l->port + 1);
	for (int i = 0; i < BACKLOG_LATE_CONNS; i++) {
		int fd = tcp_socket(l->srv.af), err;

		if (i == BACKLOG_LATE_DELAYED) {
			/* the port scripts/scenario.sh's rule knows */
			struct endpoint me = endpoint_with_port(&l->cli, l->port + 1);

			bind_reuse(fd, &me);
		}
		step(l, "connect() %d to %s", i + 1, l->srv.text);
		err = try_connect(fd, &l->srv);
		if (err)
			fail("connect %s: %s", l->srv.text, strerror(err));
		note_tuple(fd);
		conns[i] = (struct backlog_late_conn){ .l = l, .fd = fd };
		settle(l);
	}
	for (int i = 0; i < BACKLOG_LATE_CONNS; i++) {
		int err = pthread_create(&tids[i], NULL, backlog_late_finish, &conns[i]);

		if (err)
			fail("pthread_create: %s", strerror(err));
	}
	for (int i = 0; i < BACKLOG_LATE_CONNS; i++)
		pthread_join(tids[i], NULL);
}

/* exit-close: the client never calls close(); exit() closes its descriptors
 * and the kernel sends the FIN. */
static void exit_close_client(struct lab *l)
{
	connect_to(l, &l->srv);
	settle(l);
	step(l, "exit() without close(): the kernel closes the socket, FIN");
	fflush(NULL);
	exit(0);
}

/* Segments this end has sent so far, and its state: what must not change
 * when a close() only drops one of several references. */
static void expect_nothing_sent(int fd, unsigned int segs_before)
{
	struct tcp_info ti = tcp_info_of(fd);

	if (ti.tcpi_state != LAB_TCP_ESTABLISHED)
		fail("after closing one reference: state %u, not ESTABLISHED", ti.tcpi_state);
	if (ti.tcpi_segs_out != segs_before)
		fail("after closing one reference: %u segments sent, expected none",
		     ti.tcpi_segs_out - segs_before);
}

static void dup_close_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);
	int fd2;
	unsigned int segs;

	settle(l);
	step(l, "dup(): two descriptors, one socket");
	fd2 = dup(fd);
	if (fd2 < 0)
		fail("dup: %s", strerror(errno));
	copy_tuple(fd, fd2);
	segs = tcp_info_of(fd2).tcpi_segs_out;
	step(l, "close() the first descriptor: nothing is sent");
	close_checked(fd);
	settle(l);
	expect_nothing_sent(fd2, segs);
	step(l, "close() the last descriptor: FIN");
	close_expect(l, fd2, true);
}

static void fork_close_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);
	int go[2], status;
	unsigned int segs;
	pid_t pid;
	char c;

	settle(l);
	segs = tcp_info_of(fd).tcpi_segs_out;
	if (pipe(go) < 0)
		fail("pipe: %s", strerror(errno));
	step(l, "fork(): the child shares the socket");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		role_name = "client (child)";
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			fail("the parent died before closing its descriptor");
		settle(l);
		expect_nothing_sent(fd, segs);
		step(l, "close() in the child, the last reference: FIN");
		close_expect(l, fd, true);
		_exit(0);
	}
	close(go[0]);
	step(l, "close() in the parent: nothing is sent");
	close_checked(fd);
	if (write(go[1], "c", 1) != 1)
		fail("pipe write: %s", strerror(errno));
	close(go[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		exit(1); /* the child printed why */
}

/* eof: the server is blocked in read() when the client's FIN arrives; the
 * read returns 0, and so does every read after it. */
static void eof_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	int fd;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	step(l, "read() the request");
	read_expect(fd, REQUEST);
	step(l, "read() blocks; the client's FIN makes it return 0");
	read_eof(fd);
	step(l, "read() again: still 0, EOF stays");
	read_eof(fd);
	settle(l);
	step(l, "close()");
	close_expect(l, fd, false);
}

static void eof_client(struct lab *l)
{
	int fd = connect_to(l, &l->srv);

	settle(l);
	step(l, "write() the request");
	write_str(fd, REQUEST);
	settle(l);
	step(l, "close(): FIN");
	close_expect(l, fd, true);
}

/* ---- keepalive ---- */

#define KEEPALIVE_PROBES 3   /* TCP_KEEPCNT; TCP_KEEPIDLE and TCP_KEEPINTVL are 1 s */
/* keepalive-dead: the server waits this long for anything to arrive. The
 * client gives up 4 s after the handshake (idle 1 s, then 3 probes 1 s
 * apart); the server must outlast it. */
#define KEEPALIVE_DEAD_WAIT_MS 6000

static void setsockopt_int(int fd, int level, int opt, int v, const char *name)
{
	if (setsockopt(fd, level, opt, &v, sizeof(v)) < 0)
		fail("setsockopt %s: %s", name, strerror(errno));
}

/* A client socket with keepalive on: idle 1 s, probes 1 s apart, 3 of them. */
static int keepalive_connect(const struct lab *l)
{
	int fd = tcp_socket(l->srv.af), err;

	step(l, "SO_KEEPALIVE on: TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT %d",
	     KEEPALIVE_PROBES);
	setsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1, "TCP_KEEPIDLE");
	setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1, "TCP_KEEPINTVL");
	setsockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, KEEPALIVE_PROBES, "TCP_KEEPCNT");
	step(l, "connect() to %s", l->srv.text);
	err = try_connect(fd, &l->srv);
	if (err)
		fail("connect %s: %s", l->srv.text, strerror(err));
	note_tuple(fd);
	return fd;
}

/* keepalive: nobody sends anything; after 1 s of silence the client's
 * kernel probes the server, whose kernel answers, three times, 1 s apart.
 * The client closes just after the third answer: client-first teardown. */
static void keepalive_server(struct lab *l)
{
	handshake_close_server(l);
}

static void keepalive_client(struct lab *l)
{
	int fd = keepalive_connect(l);
	unsigned long long base = tcpext_counter("TCPKeepAlive"), sent = 0;
	unsigned int limit_ms = peer_wait_ms(l);

	say(l, "wait, sending nothing: the kernel probes after 1 s of silence");
	for (unsigned int ms = 0; ms < limit_ms && sent < KEEPALIVE_PROBES; ms += 10) {
		sleep_ms(10);
		sent = tcpext_counter("TCPKeepAlive") - base;
	}
	if (sent != KEEPALIVE_PROBES)
		fail("%llu keepalive probes sent in %u ms, expected %d", sent, limit_ms,
		     KEEPALIVE_PROBES);
	/* the answer comes within microseconds; the next probe 1 s later */
	settle(l);
	if (tcp_info_of(fd).tcpi_probes != 0)
		fail("TCP_INFO: the last keepalive probe was not answered");
	if (tcpext_counter("TCPKeepAlive") - base != KEEPALIVE_PROBES)
		fail("more than %d keepalive probes before close()", KEEPALIVE_PROBES);
	say(l, "close(): FIN");
	close_expect(l, fd, true);
}

/* keepalive-dead: scripts/scenario.sh's firewall in the server's namespace
 * lets the handshake in and then drops everything the client sends, and the
 * RST the server's close() sends: to the client the server is gone, as if
 * its host had crashed. The client's 3 probes go unanswered; its kernel
 * gives up (RST, reason TCP_KEEPALIVE_TIMEOUT) and its blocked read() fails
 * with ETIMEDOUT. The server never hears any of it. */
static void keepalive_dead_server(struct lab *l)
{
	int lfd = listen_at(&l->srv, LISTEN_BACKLOG);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct pollfd p;
	int fd, n;

	announce_ready();
	step(l, "accept()");
	fd = accept_one(lfd);
	close_checked(lfd);
	step(l, "SO_LINGER 0: its close() will send RST, which its firewall drops");
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		fail("setsockopt SO_LINGER: %s", strerror(errno));
	say(l, "wait %d ms: nothing will arrive", KEEPALIVE_DEAD_WAIT_MS);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	while ((n = poll(&p, 1, KEEPALIVE_DEAD_WAIT_MS)) < 0 && errno == EINTR)
		;
	if (n != 0)
		fail("poll: %s; the firewall should have kept everything out",
		     n < 0 ? strerror(errno) : "something arrived");
	if (tcp_info_of(fd).tcpi_state != LAB_TCP_ESTABLISHED)
		fail("not ESTABLISHED: the server should never have learnt of the client's end");
	step(l, "close(): RST, dropped by its own firewall");
	close_expect(l, fd, false);
}

static void keepalive_dead_client(struct lab *l)
{
	int fd = keepalive_connect(l);
	unsigned long long base = tcpext_counter("TCPKeepAlive");

	step(l, "read(): blocks; unanswered probes make it fail with ETIMEDOUT");
	read_expect_error(fd, ETIMEDOUT);
	if (tcpext_counter("TCPKeepAlive") - base != KEEPALIVE_PROBES)
		fail("%llu keepalive probes sent, expected %d", tcpext_counter("TCPKeepAlive") - base,
		     KEEPALIVE_PROBES);
	step(l, "close(): the connection is already gone, nothing to send");
	close_expect(l, fd, false);
}

/* ---- SO_REUSEADDR ---- */

/* reuseaddr: the server closes first, so its end of the connection waits in
 * TIME-WAIT, holding the address and port. It "restarts" on a new socket:
 * bind() without SO_REUSEADDR fails with EADDRINUSE; with it (which the old
 * socket had too, as servers do) it succeeds, and the client connects again.
 * The two processes meet at the --sync barrier once the server listens again. */
static void reuseaddr_server(struct lab *l)
{
	int lfd;

	server_close_server(l);
	step(l, "restart: a new socket, bind() without SO_REUSEADDR");
	lfd = tcp_socket(l->srv.af);
	if (bind(lfd, (const struct sockaddr *)&l->srv.sa, l->srv.len) == 0)
		fail("bind %s succeeded; expected EADDRINUSE while TIME-WAIT holds it", l->srv.text);
	if (errno != EADDRINUSE)
		fail("bind %s: %s; expected EADDRINUSE", l->srv.text, strerrorname_np(errno));
	step(l, "setsockopt(SO_REUSEADDR, 1), bind() again");
	setsockopt_int(lfd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	if (bind(lfd, (const struct sockaddr *)&l->srv.sa, l->srv.len) < 0)
		fail("bind %s with SO_REUSEADDR: %s", l->srv.text, strerror(errno));
	if (listen(lfd, LISTEN_BACKLOG) < 0)
		fail("listen %s: %s", l->srv.text, strerror(errno));
	barrier(l, 0); /* the client may connect again */
	serve_until_eof(l, lfd);
}

static void reuseaddr_client(struct lab *l)
{
	int fd;

	server_close_client(l);
	barrier(l, 0); /* the server listens again */
	fd = connect_to(l, &l->srv);
	settle(l);
	step(l, "close(): FIN");
	close_expect(l, fd, true);
}

/* ---- UDP, for contrast ---- */

static int udp_socket(const struct lab *l)
{
	int fd = socket(l->srv.af, SOCK_DGRAM, 0);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	return fd;
}

/* The server's socket, bound to its address; says "ready". */
static int udp_bound(const struct lab *l)
{
	int fd = udp_socket(l);

	if (bind(fd, (const struct sockaddr *)&l->srv.sa, l->srv.len) < 0)
		fail("bind %s: %s", l->srv.text, strerror(errno));
	announce_ready();
	return fd;
}

/* recvfrom() of one datagram that must be want; its sender into peer (NULL: not asked). */
static void udp_recv_expect(int fd, const char *want, struct sockaddr_storage *peer,
			    socklen_t *len)
{
	char buf[64];
	ssize_t n;

	while ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)peer, len)) < 0 &&
	       errno == EINTR)
		;
	if (n != (ssize_t)strlen(want) || memcmp(buf, want, (size_t)n) != 0)
		fail("recvfrom: %s", n < 0 ? strerror(errno) : "not the datagram sent");
}

static void udp_send(int fd, const char *msg, const struct sockaddr *to, socklen_t len,
		     const char *what)
{
	if (sendto(fd, msg, strlen(msg), 0, to, len) < 0)
		fail("sendto %s: %s", what, strerror(errno));
}

/* udp: one datagram each way. No connection: no handshake, no teardown. */
static void udp_server(struct lab *l)
{
	int fd = udp_bound(l);
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	step(l, "recvfrom(): the request");
	udp_recv_expect(fd, REQUEST, &peer, &len);
	step(l, "sendto(): the reply");
	udp_send(fd, REPLY, (struct sockaddr *)&peer, len, "the client");
	step(l, "close(): nothing on the wire");
	close_checked(fd);
}

static void udp_client(struct lab *l)
{
	int fd = udp_socket(l);
	struct timeval limit = { .tv_sec = 5 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) < 0)
		fail("setsockopt SO_RCVTIMEO: %s", strerror(errno));
	step(l, "sendto() %s: the request, no connection first", l->srv.text);
	udp_send(fd, REQUEST, (const struct sockaddr *)&l->srv.sa, l->srv.len, l->srv.text);
	step(l, "recvfrom(): the reply");
	udp_recv_expect(fd, REPLY, NULL, NULL);
	step(l, "close(): nothing on the wire");
	close_checked(fd);
}

/* udp-oneway: the receiver binds and waits in recvfrom(); the sender only
 * calls sendto() and closes. One datagram, no answer: nothing on the wire
 * but the data itself, and nothing tells the sender it arrived. */
static void udp_oneway_server(struct lab *l)
{
	int fd = udp_bound(l);

	step(l, "recvfrom(): waits for a datagram");
	udp_recv_expect(fd, REQUEST, NULL, NULL);
	step(l, "close(): nothing on the wire");
	close_checked(fd);
}

static void udp_oneway_client(struct lab *l)
{
	int fd = udp_socket(l);

	step(l, "sendto() %s: one datagram, no connection, no answer", l->srv.text);
	udp_send(fd, REQUEST, (const struct sockaddr *)&l->srv.sa, l->srv.len, l->srv.text);
	step(l, "close(): nothing on the wire");
	close_checked(fd);
}

static const struct scenario scenarios[] = {
	{ "handshake-close", "three-way handshake, a request, client closes first: four-way teardown",
	  request_close_server, request_close_client, false },
	{ "merged-fin", "the server closes at once on EOF: its FIN carries the delayed ACK (three segments)",
	  merged_fin_server, merged_fin_client, false },
	{ "server-close", "the server closes first and ends in TIME-WAIT",
	  server_close_server, server_close_client, false },
	{ "simultaneous-close", "both close() at once: FIN-WAIT-1 -> CLOSING -> TIME-WAIT on both ends",
	  simultaneous_close, simultaneous_close, true },
	{ "simultaneous-open", "both connect() to each other at once, no listener: crossing SYNs",
	  simultaneous_open, simultaneous_open, true },
	{ "self-connect", "one socket connects to its own address on loopback",
	  NULL, self_connect_client, false },
	{ "half-close", "shutdown(SHUT_WR), then the server still sends its reply after the FIN",
	  half_close_server, half_close_client, false },
	{ "refused", "no listener: SYN answered by RST, connect() fails with ECONNREFUSED",
	  NULL, refused_client, false },
	{ "linger-rst", "SO_LINGER 0 then close(): RST instead of FIN",
	  reset_by_client_server, linger_rst_client, false },
	{ "unread-rst", "close() with unread data in the receive queue: RST instead of FIN",
	  unread_rst_server, unread_rst_client, false },
	{ "write-after-close", "the client writes after the server closed: RST, then EPIPE and SIGPIPE",
	  write_after_close_server, write_after_close_client, false },
	{ "lost-syn", "the first SYN is dropped; the client retransmits it after the initial RTO",
	  handshake_close_server, lost_syn_client, false },
	{ "accept-queue", "the handshake completes before accept(); accept() sends nothing",
	  accept_queue_server, accept_queue_client, false },
	{ "backlog-full", "listen(fd, 1), three clients, no accept(): the third SYN is dropped",
	  backlog_full_server, backlog_full_client, false },
	{ "backlog-late", "a last ACK finds the accept queue full: dropped, answered late",
	  backlog_late_server, backlog_late_client, false },
	{ "exit-close", "the client exits without close(): the kernel sends its FIN",
	  handshake_close_server, exit_close_client, false },
	{ "dup-close", "close() of one of two dup()ed descriptors sends nothing; the last one sends FIN",
	  handshake_close_server, dup_close_client, false },
	{ "fork-close", "the parent's close() sends nothing; the forked child's close() sends FIN",
	  handshake_close_server, fork_close_client, false },
	{ "eof", "the FIN is end-of-file: the server's blocked read() returns 0",
	  eof_server, eof_client, false },
	{ "keepalive", "SO_KEEPALIVE, idle 1 s: three probes of an idle connection, each answered",
	  keepalive_server, keepalive_client, false },
	{ "keepalive-dead", "keepalive with a dead peer: 3 probes unanswered, RST and ETIMEDOUT",
	  keepalive_dead_server, keepalive_dead_client, false },
	{ "reuseaddr", "the server restarts during TIME-WAIT: bind() fails, SO_REUSEADDR lets it",
	  reuseaddr_server, reuseaddr_client, true },
	{ "udp", "UDP for contrast: a request and a reply, no handshake, no teardown",
	  udp_server, udp_client, false },
	{ "udp-oneway", "UDP one way: the sender only sends, the receiver only receives; no answer",
	  udp_oneway_server, udp_oneway_client, false },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < N_SCENARIOS; i++)
		if (strcmp(scenarios[i].name, name) == 0)
			return &scenarios[i];
	return NULL;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: tcplab list\n"
"       tcplab server --scenario NAME [options]\n"
"       tcplab client --scenario NAME [options]\n"
"\n"
"The classroom scenarios as real sockets: \"server\" (process name demo-server)\n"
"and \"client\" (demo-client), usually run in two network namespaces by\n"
"scripts/scenario.sh. The server prints \"ready\" on stdout once it is bound\n"
"and listening. Each process checks its own syscalls' results and exits 1\n"
"with one line \"tcplab: ROLE: ...\" when the kernel did something else.\n"
"\n"
"  -s, --scenario NAME     the scenario (tcplab list shows them)\n"
"  -a, --addr A            the server's address (default 127.0.0.1)\n"
"  -p, --port P            the server's port (default %d)\n"
"      --client-addr A     simultaneous-open: the client's own address\n"
"      --sync FILE         simultaneous-*: a file both processes map\n"
"      --attempts N        simultaneous-*: tries before giving up (default %d)\n"
"      --no-realtime       simultaneous-*: no SCHED_FIFO at the moment of acting\n"
"      --settle-ms MS      pause that keeps segments apart (default %d)\n"
"      --slow MS           pause MS before every step, for a teacher\n"
"      --timeout-s S       give up after S seconds (default %d)\n"
"  -v, --verbose           say each step on stderr\n"
"  -h, --help              this text\n",
		DEFAULT_PORT, DEFAULT_ATTEMPTS, DEFAULT_SETTLE_MS, DEFAULT_TIMEOUT_S);
}

static unsigned int parse_uint(const char *opt, const char *s, unsigned int min, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = (s && *s != '-') ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *s == '-' || errno || *end || v < min || v > max)
		fail("%s: '%s' is not a number from %u to %u", opt, s ? s : "", min, max);
	return (unsigned int)v;
}

enum {
	OPT_CLIENT_ADDR = 256,
	OPT_SYNC,
	OPT_ATTEMPTS,
	OPT_SETTLE,
	OPT_SLOW,
	OPT_TIMEOUT,
	OPT_NO_REALTIME,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "client-addr", required_argument, NULL, OPT_CLIENT_ADDR },
		{ "sync", required_argument, NULL, OPT_SYNC },
		{ "attempts", required_argument, NULL, OPT_ATTEMPTS },
		{ "settle-ms", required_argument, NULL, OPT_SETTLE },
		{ "slow", required_argument, NULL, OPT_SLOW },
		{ "timeout-s", required_argument, NULL, OPT_TIMEOUT },
		{ "no-realtime", no_argument, NULL, OPT_NO_REALTIME },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab l = {
		.port = DEFAULT_PORT,
		.attempts = DEFAULT_ATTEMPTS,
		.settle_ms = DEFAULT_SETTLE_MS,
		.realtime = true,
	};
	const char *scenario = NULL, *addr = "127.0.0.1", *client_addr = NULL, *sync = NULL;
	unsigned int timeout_s = DEFAULT_TIMEOUT_S;
	const char *mode;
	struct sigaction sa;
	int opt;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	if (strcmp(mode, "-h") == 0 || strcmp(mode, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(mode, "list") == 0) {
		if (argc != 2)
			fail("list takes no arguments");
		for (size_t i = 0; i < N_SCENARIOS; i++)
			printf("%-19s %s\n", scenarios[i].name, scenarios[i].summary);
		return 0;
	}
	if (strcmp(mode, "server") == 0)
		l.role = ROLE_SERVER;
	else if (strcmp(mode, "client") == 0)
		l.role = ROLE_CLIENT;
	else
		fail("unknown command '%s' (list, server, client)", mode);
	role_name = mode;

	optind = 2;
	while ((opt = getopt_long(argc, argv, "s:a:p:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': scenario = optarg; break;
		case 'a': addr = optarg; break;
		case 'p': l.port = parse_uint("--port", optarg, 1, 65535); break;
		case OPT_CLIENT_ADDR: client_addr = optarg; break;
		case OPT_SYNC: sync = optarg; break;
		case OPT_ATTEMPTS: l.attempts = parse_uint("--attempts", optarg, 1, MAX_ATTEMPTS); break;
		case OPT_SETTLE: l.settle_ms = parse_uint("--settle-ms", optarg, 0, 60000); break;
		case OPT_SLOW: l.slow_ms = parse_uint("--slow", optarg, 0, 60000); break;
		case OPT_TIMEOUT: timeout_s = parse_uint("--timeout-s", optarg, 1, 3600); break;
		case OPT_NO_REALTIME: l.realtime = false; break;
		case 'v': l.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		fail("unexpected argument '%s'", argv[optind]);
	if (!scenario)
		fail("--scenario is required (tcplab list shows them)");
	l.sc = find_scenario(scenario);
	if (!l.sc)
		fail("unknown scenario '%s' (tcplab list shows them)", scenario);
	if (l.role == ROLE_SERVER && !l.sc->server)
		fail("scenario %s has no server", scenario);
	endpoint_set(&l.srv, addr, l.port);
	if (l.sc->needs_sync) {
		if (!sync)
			fail("scenario %s needs --sync FILE (shared by server and client)", scenario);
		if (l.port + 2 * l.attempts - 1 > 65535)
			fail("--port %u + 2 x --attempts %u passes 65535", l.port, l.attempts);
		l.shared = shared_map(sync);
	}
	if (l.sc->client == simultaneous_open || l.sc->client == backlog_late_client) {
		if (!client_addr)
			fail("scenario %s needs --client-addr (the client's own address)", scenario);
		endpoint_set(&l.cli, client_addr, l.port);
		if (l.cli.af != l.srv.af)
			fail("--addr %s and --client-addr %s are not the same family", addr, client_addr);
	}

	/* Process names as the tracer will show them. */
	role_name = l.role == ROLE_SERVER ? "server" : "client";
	prctl(PR_SET_NAME, l.role == ROLE_SERVER ? "demo-server" : "demo-client", 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/* No scenario has 40 steps: --slow cannot make it time out. */
	alarm(timeout_s + 40 * l.slow_ms / 1000);
	/* A closed stdout (the script stopped reading) must fail the write, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	if (l.role == ROLE_SERVER)
		l.sc->server(&l);
	else
		l.sc->client(&l);
	return 0;
}
