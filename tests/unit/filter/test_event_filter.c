/* The replay filter: the kernel's port, pid and family rules on recorded
 * events. Each event is named by its timestamp; a test lists which pass. */
#include <sys/socket.h>
#include "test.h"
#include "events.h"
#include "filter/event_filter.h"

#define TX SYN_DIR_TX
#define RX SYN_DIR_RX
#define MAXEV 64

struct got {
	__u64 ts[MAXEV];
	int n;
};

static void collect(void *ctx, const struct syn_event *e)
{
	struct got *g = ctx;

	if (g->n < MAXEV)
		g->ts[g->n++] = e->ts_ns;
}

/* Run events through a filter; "1 2 5" style list of what passed. */
static const char *run(const struct event_filter_opts *o, const struct syn_event *ev, int n)
{
	static char out[512];
	struct event_filter *f = event_filter_new(o);
	struct got g = { 0 };
	size_t len = 0;

	for (int i = 0; i < n; i++)
		event_filter_push(f, &ev[i], collect, &g);
	event_filter_finish(f, collect, &g);
	event_filter_free(f);
	out[0] = '\0';
	for (int i = 0; i < g.n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%llu", i ? " " : "",
					(unsigned long long)g.ts[i]);
	return out;
}

static const struct ep any = { "0.0.0.0", 0 };

/* One loopback connection client CPORT -> server PORT, as the kernel
 * reports it: connect() before the port is chosen; the closing sockets'
 * late events with local port 0. Timestamps base+1 ... base+14. */
static int one_conn(struct syn_event *ev, __u64 base, __u16 port, __u16 cport, __u64 csid,
		    __u64 ssid, __u32 cpid, __u32 spid)
{
	struct ep cli = { "127.0.0.1", cport }, srv = { "127.0.0.1", port };
	struct ep cli0 = { "127.0.0.1", 0 }, srv0 = { "127.0.0.1", 0 }, srv_any = { "0.0.0.0", port };
	__u64 child = ssid + 1;
	int n = 0;

	ev[n++] = ev_call(base + 1, ssid, srv_any, any, spid, "server", SYN_CALL_ACCEPT,
			  SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_call(base + 2, csid, any, any, cpid, "client", SYN_CALL_CONNECT,
			  SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_state(base + 3, csid, cli, srv, 7, 2);
	ev[n++] = ev_seg(base + 4, csid, cli, srv, TX, SYN_TCP_SYN, 1, 0, 0);
	ev[n++] = ev_seg(base + 5, 0, srv, cli, RX, SYN_TCP_SYN, 1, 0, 0);
	ev[n++] = ev_state(base + 6, child, srv, cli, 3, 1);
	ev[n++] = ev_call(base + 7, csid, cli, srv, cpid, "client", SYN_CALL_CONNECT,
			  SYN_PHASE_RETURN, 3, 0);
	ev[n++] = ev_call(base + 8, child, srv, cli, spid, "server", SYN_CALL_ACCEPT,
			  SYN_PHASE_RETURN, 3, 4);
	ev[n++] = ev_state(base + 9, csid, cli0, srv, 5, 7);   /* FIN_WAIT2 -> CLOSE */
	ev[n++] = ev_kind(SYN_EV_DESTROY, base + 10, csid, cli0, srv);
	ev[n++] = ev_call(base + 11, csid, cli0, srv, cpid, "client", SYN_CALL_CLOSE,
			  SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_call(base + 12, csid, cli0, srv, cpid, "client", SYN_CALL_CLOSE,
			  SYN_PHASE_RETURN, 3, 0);
	ev[n++] = ev_state(base + 13, child, srv0, cli, 9, 7); /* LAST_ACK -> CLOSE */
	ev[n++] = ev_kind(SYN_EV_DESTROY, base + 14, child, srv0, cli);
	return n;
}

static void test_no_filter_passes_everything(void)
{
	struct event_filter_opts o = { 0 };
	struct syn_event ev[MAXEV];
	int n = one_conn(ev, 0, 8080, 41000, 10, 20, 300, 200);

	CHECK(!event_filter_any(&o));
	CHECK_EQ_STR(run(&o, ev, n), "1 2 3 4 5 6 7 8 9 10 11 12 13 14");
}

/* -P 8080 with a connection to 8080 and one to 9090 after it: all of the
 * first, including the server's port-0 late events (its socket passed
 * before) and the connect() entry (its destination shows in the SYN_SENT
 * change), none of the second. */
static void test_port_filter_keeps_the_connection(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct syn_event ev[MAXEV];
	int n = one_conn(ev, 0, 8080, 41000, 10, 20, 300, 200);

	n += one_conn(ev + n, 100, 9090, 42000, 30, 40, 301, 201);
	CHECK(event_filter_any(&o));
	CHECK_EQ_STR(run(&o, ev, n), "1 2 3 4 5 6 7 8 9 10 11 12 13 14");
}

/* While a connect() waits for its destination, later events wait behind
 * it: the order out is the order in. */
static void test_held_connect_keeps_order(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct ep cli = { "127.0.0.1", 41000 }, srv = { "127.0.0.1", 8080 };
	struct ep o1 = { "127.0.0.1", 50000 }, o2 = { "127.0.0.1", 8080 };
	struct syn_event ev[8];
	int n = 0;

	ev[n++] = ev_call(1, 10, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_seg(2, 0, o2, o1, RX, SYN_TCP_ACK, 5, 5, 10);   /* another 8080 conn */
	ev[n++] = ev_seg(3, 0, o1, o2, TX, SYN_TCP_ACK, 5, 5, 10);
	ev[n++] = ev_state(4, 10, cli, srv, 7, 2);                     /* names 8080 */
	ev[n++] = ev_seg(5, 10, cli, srv, TX, SYN_TCP_SYN, 1, 0, 0);
	CHECK_EQ_STR(run(&o, ev, n), "1 2 3 4 5");
	/* the same with a destination that is not wanted */
	o.ports[0] = 9090;
	CHECK_EQ_STR(run(&o, ev, n), "");
}

/* A refused connect(): its socket's SYN_SENT names the port; its return
 * carries port 0 again (the kernel disconnected it) and still passes. */
static void test_refused_connect(void)
{
	struct event_filter_opts o = { .ports = { 9999 }, .nports = 1 };
	struct ep cli = { "127.0.0.1", 48762 }, srv = { "127.0.0.1", 9999 };
	struct ep cli0 = { "127.0.0.1", 0 }, srv0 = { "127.0.0.1", 0 };
	struct syn_event ev[8];
	int n = 0;

	ev[n++] = ev_call(1, 7, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_state(2, 7, cli0, srv, 7, 2);
	ev[n++] = ev_seg(3, 7, cli, srv, TX, SYN_TCP_SYN, 777, 0, 0);
	ev[n++] = ev_seg(4, 0, cli, srv, RX, SYN_TCP_RST | SYN_TCP_ACK, 0, 778, 0);
	ev[n++] = ev_state(5, 7, cli0, srv, 2, 7);
	ev[n++] = ev_call(6, 7, any, srv0, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, -111);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 7, 7, any, srv0);
	CHECK_EQ_STR(run(&o, ev, n), "1 2 3 4 5 6 7");
}

/* No event of the socket names the port before connect() returns: the
 * return does (a connection whose SYN_SENT change was lost). */
static void test_connect_settled_by_its_return(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct ep cli = { "127.0.0.1", 41000 }, srv = { "127.0.0.1", 8080 }, other = { "10.0.0.1", 53 };
	struct syn_event ev[8];
	int n = 0;

	ev[n++] = ev_call(1, 10, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_seg(2, 0, other, other, RX, SYN_TCP_ACK, 1, 1, 0);  /* unrelated */
	ev[n++] = ev_call(3, 10, cli, srv, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0);
	ev[n++] = ev_state(4, 10, cli, srv, 1, 4);
	CHECK_EQ_STR(run(&o, ev, n), "1 3 4");
}

/* A connect() whose destination never shows is dropped after a second of
 * recorded time, and at the end: it never blocks what follows for long. */
static void test_unsettled_connect_is_dropped(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct ep a = { "127.0.0.1", 8080 }, b = { "127.0.0.1", 5000 };
	struct syn_event ev[8];
	int n = 0;

	ev[n++] = ev_call(1, 10, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_seg(2, 0, a, b, RX, SYN_TCP_ACK, 1, 1, 0);
	ev[n++] = ev_seg(2000000000ull, 0, a, b, RX, SYN_TCP_ACK, 1, 1, 0);
	CHECK_EQ_STR(run(&o, ev, n - 1), "2");        /* dropped at the end */
	CHECK_EQ_STR(run(&o, ev, n), "2 2000000000"); /* dropped when too old */
}

/* -p: the process's calls; the ports its listen()/accept()/connect() used
 * let its connections' segments and softirq states through. The other
 * process's calls and unrelated ports stay out. */
static void test_pid_filter(void)
{
	struct event_filter_opts o = { .pid = 200 };
	struct syn_event ev[MAXEV];
	int n = one_conn(ev, 0, 8080, 41000, 10, 20, 300, 200);
	struct ep x = { "127.0.0.1", 7000 }, y = { "127.0.0.1", 7001 };

	ev[n++] = ev_seg(15, 0, x, y, RX, SYN_TCP_SYN, 1, 0, 0);
	/* server 200: its calls; accept() watches 8080, so every packet and
	 * state change on 8080, and its child's late events (tracked); not
	 * the client's calls (pid 300), not port 7000 */
	CHECK_EQ_STR(run(&o, ev, n), "1 3 4 5 6 8 9 10 13 14");
	/* the client 300: its calls; connect() tracks its socket, whose SYN
	 * then watches port 41000 */
	o.pid = 300;
	CHECK_EQ_STR(run(&o, ev, n), "2 3 4 5 6 7 9 10 11 12 13 14");
}

/* --comm NAME: the pid filter's rules for the tasks of that name (the same
 * events pass as for the pid of the only process so named); a name and a
 * pid must both hold; a name is whole, not a prefix. */
static void test_comm_filter(void)
{
	struct event_filter_opts o = { .comm = "server" };
	struct syn_event ev[MAXEV];
	int n = one_conn(ev, 0, 8080, 41000, 10, 20, 300, 200);

	CHECK(event_filter_any(&o));
	CHECK_EQ_STR(run(&o, ev, n), "1 3 4 5 6 8 9 10 13 14");
	strcpy(o.comm, "client");
	CHECK_EQ_STR(run(&o, ev, n), "2 3 4 5 6 7 9 10 11 12 13 14");
	o.pid = 200; /* the server's pid, the client's name: no call is both */
	CHECK_EQ_STR(run(&o, ev, n), "");
	o.pid = 0;
	strcpy(o.comm, "serv");
	CHECK_EQ_STR(run(&o, ev, n), "");
}

/* -4 / -6: events of the other family never pass; lost counts always do. */
static void test_family_filter(void)
{
	struct event_filter_opts o = { .family = AF_INET6 };
	struct ep v4a = { "127.0.0.1", 1 }, v4b = { "127.0.0.1", 2 };
	struct ep v6a = { "::1", 1 }, v6b = { "::1", 2 };
	struct syn_event ev[4];

	ev[0] = ev_seg(1, 0, v4a, v4b, TX, SYN_TCP_SYN, 1, 0, 0);
	ev[1] = ev_seg(2, 0, v6a, v6b, TX, SYN_TCP_SYN, 1, 0, 0);
	ev[2] = ev_kind(SYN_EV_LOST, 3, 0, any, any);
	ev[2].family = 0;
	ev[3] = ev_state(4, 5, v4a, v4b, 7, 2);
	CHECK_EQ_STR(run(&o, ev, 4), "2 3");
	o.family = AF_INET;
	CHECK_EQ_STR(run(&o, ev, 4), "1 3 4");
}

/* A call's return passes exactly when its entry did. */
static void test_return_follows_entry(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct ep a = { "127.0.0.1", 8080 }, b = { "127.0.0.1", 5000 };
	struct ep c = { "127.0.0.1", 6000 }, d = { "127.0.0.1", 5001 };
	struct syn_event ev[4];

	ev[0] = ev_call(1, 10, a, b, 300, "x", SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 3, 0);
	ev[1] = ev_call(2, 10, any, any, 300, "x", SYN_CALL_SHUTDOWN, SYN_PHASE_RETURN, 3, 0);
	ev[2] = ev_call(3, 11, c, d, 300, "x", SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 4, 0);
	ev[3] = ev_call(4, 11, c, d, 300, "x", SYN_CALL_SHUTDOWN, SYN_PHASE_RETURN, 4, 0);
	CHECK_EQ_STR(run(&o, ev, 4), "1 2");
}

/* A timewait socket's end passes by its ports, as in the kernel; ticks
 * (the source's clock) always pass. */
static void test_timewait_and_ticks(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct ep a = { "127.0.0.1", 40000 }, b = { "127.0.0.1", 8080 };
	struct ep c = { "127.0.0.1", 40001 }, d = { "127.0.0.1", 9090 };
	struct syn_event ev[3];

	ev[0] = ev_kind(SYN_EV_TIMEWAIT, 1, 0, a, b);
	ev[1] = ev_kind(SYN_EV_TIMEWAIT, 2, 0, c, d);
	ev[2] = ev_kind(SYN_EV_TICK, 3, 0, any, any);
	ev[2].family = 0;
	CHECK_EQ_STR(run(&o, ev, 3), "1 3");
}

/* A Fast Open sendto() names its destination: its socket is followed from
 * then on, like a connect()'s: under a pid filter its state changes and
 * its SYN (softirq or not, ports not yet known) pass, as its return does. */
static void test_fastopen_sendto_tracks_its_socket(void)
{
	struct event_filter_opts o = { .pid = 300 };
	struct ep none = { "0.0.0.0", 0 }, cli = { "127.0.0.1", 40000 };
	struct ep srv = { "127.0.0.1", 8080 };
	struct syn_event ev[4];

	ev[0] = ev_call(1, 10, none, none, 300, "x", SYN_CALL_SENDTO, SYN_PHASE_ENTRY, 3, 0);
	ev[0].sys.arg = 8080; /* where to */
	ev[1] = ev_state(2, 10, cli, srv, 7, 2);
	ev[2] = ev_seg(3, 10, cli, srv, TX, SYN_TCP_SYN, 1, 0, 5);
	ev[3] = ev_call(4, 10, cli, srv, 300, "x", SYN_CALL_SENDTO, SYN_PHASE_RETURN, 3, 5);
	CHECK_EQ_STR(run(&o, ev, 4), "1 2 3 4");
}

/* socket() is reported on return only, with no port yet: under -P it
 * cannot be wanted, so the kernel drops it; under -p it passes for the
 * process; with no filter, always. */
static void test_socket_call_and_the_filters(void)
{
	struct event_filter_opts port = { .ports = { 8080 }, .nports = 1 }, pid = { .pid = 300 };
	struct event_filter_opts none = { 0 }, family = { .family = AF_INET6 };
	struct syn_event ev[2];

	ev[0] = ev_call(1, 10, any, any, 300, "x", SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 3);
	ev[1] = ev_call(2, 11, any, any, 301, "y", SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 3);
	CHECK_EQ_STR(run(&port, ev, 2), "");
	CHECK_EQ_STR(run(&pid, ev, 2), "1");
	CHECK_EQ_STR(run(&none, ev, 2), "1 2");
	CHECK_EQ_STR(run(&family, ev, 2), ""); /* IPv4 (any's family) under -6 */
}

/* getsockopt(SO_ERROR) is reported on return only, and judged as an entry
 * is: a refused connect()'s socket (followed since its connect(), its port
 * gone) passes, another socket does not, nor another process under -p. */
static void test_getsockopt_return_only(void)
{
	struct event_filter_opts port = { .ports = { 9999 }, .nports = 1 }, pid = { .pid = 300 };
	struct ep cli0 = { "127.0.0.1", 0 }, srv = { "127.0.0.1", 9999 };
	struct ep c = { "127.0.0.1", 6000 }, d = { "127.0.0.1", 5001 };
	struct syn_event ev[5];
	int n = 0;

	ev[n++] = ev_call(1, 7, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_call(2, 7, cli0, srv, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3,
			  -115);
	ev[n++] = ev_call(3, 7, cli0, cli0, 300, "client", SYN_CALL_GETSOCKOPT, SYN_PHASE_RETURN,
			  3, 0);
	ev[n++] = ev_call(4, 8, c, d, 300, "client", SYN_CALL_GETSOCKOPT, SYN_PHASE_RETURN, 4, 0);
	ev[n++] = ev_call(5, 9, c, d, 301, "other", SYN_CALL_GETSOCKOPT, SYN_PHASE_RETURN, 4, 0);
	CHECK_EQ_STR(run(&port, ev, n), "1 2 3");
	CHECK_EQ_STR(run(&pid, ev, n), "1 2 3 4");
}

/* A held connect() gives up after a second of recorded time: what waited
 * behind it comes out then, not at the end of the recording. */
static void test_old_hold_releases_what_waits(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct ep a = { "127.0.0.1", 8080 }, b = { "127.0.0.1", 5000 };
	struct event_filter *f = event_filter_new(&o);
	struct got g = { 0 };
	struct syn_event e;

	e = ev_call(1, 10, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	event_filter_push(f, &e, collect, &g);
	e = ev_seg(2, 0, a, b, RX, SYN_TCP_ACK, 1, 1, 0);
	event_filter_push(f, &e, collect, &g);
	CHECK_EQ_INT(g.n, 0); /* waits behind the connect() */
	e = ev_seg(1000000001, 0, a, b, RX, SYN_TCP_ACK, 1, 1, 0); /* the hold is 1 s + 1 ns old: still held */
	event_filter_push(f, &e, collect, &g);
	CHECK_EQ_INT(g.n, 0);
	e = ev_seg(1000000002, 0, a, b, RX, SYN_TCP_ACK, 1, 1, 0); /* 1 s + 2 ns: given up */
	event_filter_push(f, &e, collect, &g);
	if (CHECK_EQ_INT(g.n, 3)) {
		CHECK_EQ_INT(g.ts[0], 2);
		CHECK_EQ_INT(g.ts[1], 1000000001);
		CHECK_EQ_INT(g.ts[2], 1000000002);
	}
	event_filter_finish(f, collect, &g);
	event_filter_free(f);
}

/* The kernel reuses a freed socket's memory, and so its id: once a wanted
 * socket's end passed, its id is forgotten. A new socket with the same id
 * to an unwanted port does not pass. */
static void test_freed_socket_id_is_forgotten(void)
{
	struct event_filter_opts o = { .ports = { 8080 }, .nports = 1 };
	struct ep cli = { "127.0.0.1", 41000 }, srv = { "127.0.0.1", 8080 };
	struct ep cli0 = { "127.0.0.1", 0 }, other = { "127.0.0.1", 9090 };
	struct syn_event ev[4];

	ev[0] = ev_state(1, 10, cli, srv, 7, 2);              /* tracked from here */
	ev[1] = ev_kind(SYN_EV_DESTROY, 2, 10, cli0, srv);
	ev[2] = ev_state(3, 10, cli0, other, 7, 2);           /* the new socket, port 0 yet */
	ev[3] = ev_kind(SYN_EV_DESTROY, 4, 10, cli0, other);
	CHECK_EQ_STR(run(&o, ev, 4), "1 2");
}

int main(void)
{
	RUN(test_no_filter_passes_everything);
	RUN(test_port_filter_keeps_the_connection);
	RUN(test_held_connect_keeps_order);
	RUN(test_refused_connect);
	RUN(test_connect_settled_by_its_return);
	RUN(test_unsettled_connect_is_dropped);
	RUN(test_pid_filter);
	RUN(test_comm_filter);
	RUN(test_family_filter);
	RUN(test_return_follows_entry);
	RUN(test_timewait_and_ticks);
	RUN(test_fastopen_sendto_tracks_its_socket);
	RUN(test_socket_call_and_the_filters);
	RUN(test_getsockopt_return_only);
	RUN(test_old_hold_releases_what_waits);
	RUN(test_freed_socket_id_is_forgotten);
	return TEST_SUMMARY();
}
