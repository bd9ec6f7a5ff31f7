/* The whole userspace pipeline at once: synthetic events -> the real tracker
 * -> the real sinks, as a live run would drive them. */
#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include "test.h"
#include "events.h"
#include "base/names.h"
#include "track/tracker.h"
#include "render/sinks.h"
#include "export/exports.h"

#define TX SYN_DIR_TX
#define RX SYN_DIR_RX

/* connect() to a loopback port where nothing listens. The kernel answers
 * from no socket, in softirq context of the client's connect(): every event
 * of the server lane carries the client's pid. */
static size_t refused_loopback(struct syn_event *ev)
{
	struct ep cli = { "127.0.0.1", 48762 }, srv = { "127.0.0.1", 9999 };
	struct ep any = { "0.0.0.0", 0 }, cli0 = { "127.0.0.1", 0 }, srv0 = { "127.0.0.1", 0 };
	size_t n = 0;

	ev[n++] = ev_call(100, 7, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_state(105, 7, cli0, srv, 7, 2);
	ev[n++] = ev_seg(110, 7, cli, srv, TX, SYN_TCP_SYN, 777, 0, 0);
	ev[n++] = ev_seg(112, 0, srv, cli, RX, SYN_TCP_SYN, 777, 0, 0);
	ev[n++] = ev_kind(SYN_EV_RESET, 115, 0, srv, cli);
	ev[n - 1].rst.kind = SYN_RESET_SENT;
	ev[n - 1].rst.reason = 1;
	ev[n++] = ev_seg(117, 0, srv, cli, TX, SYN_TCP_RST | SYN_TCP_ACK, 0, 778, 0);
	ev[n++] = ev_seg(118, 0, cli, srv, RX, SYN_TCP_RST | SYN_TCP_ACK, 0, 778, 0);
	ev[n++] = ev_state(121, 7, cli0, srv, 2, 7);
	ev[n++] = ev_call(125, 7, any, srv0, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, -111);
	ev[n++] = ev_call(200, 7, any, srv0, 300, "client", SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 201, 7, any, srv0);
	ev[n++] = ev_call(205, 7, any, srv0, 300, "client", SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0);
	/* what the softirq context looks like: the client is the current task */
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind != SYN_EV_SYSCALL) {
			ev[i].pid = ev[i].tid = 300;
			strcpy(ev[i].comm, "client");
		}
	}
	return n;
}

static char *run_width(struct syn_sink *(*make)(const struct sink_opts *),
		       const struct syn_event *ev, size_t n, int width)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	struct sink_opts o = { .out = f, .width = width };
	struct syn_sink *s = make(&o);
	struct tracker *t = tracker_new(&s, 1, NULL);

	for (size_t i = 0; i < n; i++)
		tracker_on_event(t, &ev[i]);
	tracker_finish(t);
	tracker_free(t);
	s->destroy(s);
	fclose(f);
	return buf;
}

static char *run_events(struct syn_sink *(*make)(const struct sink_opts *),
			const struct syn_event *ev, size_t n)
{
	return run_width(make, ev, n, 0);
}

static char *run(struct syn_sink *(*make)(const struct sink_opts *))
{
	struct syn_event ev[16];

	return run_events(make, ev, refused_loopback(ev));
}

/* Each line of text that names the server lane. */
static bool every_server_line_lacks(const char *text, const char *lane_word, const char *bad)
{
	const char *p = text;
	bool ok = true;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)(len < 511 ? len : 511), p);
		if (strstr(line, lane_word) && strstr(line, bad)) {
			fprintf(stderr, "  server line names %s: %s\n", bad, line);
			ok = false;
		}
		p = nl ? nl + 1 : NULL;
	}
	return ok;
}

static void test_stream_never_names_softirq_task(void)
{
	char *out = run(stream_sink_new);

	CHECK_CONTAINS(out, " server ?");
	CHECK(every_server_line_lacks(out, " server ", "client/300"));
	CHECK_CONTAINS(out, " client client/300 ");
	free(out);
}

static void test_jsonl_server_rows_have_no_process(void)
{
	char *out = run(jsonl_sink_new);

	CHECK_CONTAINS(out, "\"end\":\"server\",\"pid\":0,\"comm\":\"\"");
	CHECK(every_server_line_lacks(out, "\"end\":\"server\"", "\"pid\":300"));
	CHECK_CONTAINS(out, "\"end\":\"client\",\"pid\":300,\"comm\":\"client\"");
	free(out);
}

static void test_ladder_says_no_socket(void)
{
	char *out = run(ladder_sink_new);

	/* no names known: the reason stays a number */
	CHECK_CONTAINS(out, "RST sent reason=1");
	free(out);

	/* the running kernel's names, as the live source sets them */
	rst_reason_names_set((const char *const[]){ "NOT_SPECIFIED", "NO_SOCKET" }, 2);
	out = run(ladder_sink_new);
	CHECK_CONTAINS(out, "RST sent: NO_SOCKET");

	CHECK_CONTAINS(out, "connection 1: 127.0.0.1:48762 client/300 -> 127.0.0.1:9999 (no socket)\n");
	CHECK_CONTAINS(out, "connect = -1 ECONNREFUSED");
	CHECK_CONTAINS(out, "synscope: 1 connection (0 incomplete), 12 events, 0 lost\n");
	free(out);

	out = run(jsonl_sink_new);
	CHECK_CONTAINS(out, "\"rst\":\"sent\",\"state\":null,\"reason\":1,\"reason_name\":\"NO_SOCKET\"}");
	free(out);
	rst_reason_names_set(NULL, 0);
	CHECK(rst_reason_name(1) == NULL);
}

/* One-way UDP: a receiver binds and waits in recvfrom(), a sender only calls
 * sendto(). The receiver's socket never names a peer, so the tracker holds
 * its calls until it is gone; the stream shows each line when it happens
 * all the same, once, in time order (it printed them last, at 0.000000). */
static size_t one_way_udp(struct syn_event *ev)
{
	struct ep rcv = { "127.0.0.1", 7500 }, snd = { "127.0.0.1", 45331 };
	struct ep any = { "0.0.0.0", 0 }, none = { "0.0.0.0", 0 };
	size_t n = 0;

#define US(t) ((__u64)(t) * 1000)
	ev[n++] = ev_call(US(10), 70, any, none, 200, "receiver", SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 3);
	ev[n++] = ev_call(US(11), 70, any, none, 200, "receiver", SYN_CALL_BIND, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_call(US(12), 70, rcv, none, 200, "receiver", SYN_CALL_BIND, SYN_PHASE_RETURN, 3, 0);
	ev[n++] = ev_call(US(13), 70, rcv, none, 200, "receiver", SYN_CALL_RECVFROM, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_call(US(20), 80, any, none, 300, "sender", SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 3);
	ev[n++] = ev_call(US(21), 80, any, none, 300, "sender", SYN_CALL_SENDTO, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_seg(US(22), 80, snd, rcv, TX, 0, 0, 0, 5);
	ev[n++] = ev_seg(US(23), 0, rcv, snd, RX, 0, 0, 0, 5);
	ev[n++] = ev_call(US(24), 80, snd, none, 300, "sender", SYN_CALL_SENDTO, SYN_PHASE_RETURN, 3, 5);
	ev[n++] = ev_call(US(25), 70, rcv, none, 200, "receiver", SYN_CALL_RECVFROM, SYN_PHASE_RETURN, 3, 5);
	ev[n++] = ev_call(US(30), 80, snd, none, 300, "sender", SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_call(US(31), 80, snd, none, 300, "sender", SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0);
	ev[n++] = ev_call(US(40), 70, rcv, none, 200, "receiver", SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0);
	ev[n - 1].sys.last_ref = 1;
	ev[n++] = ev_call(US(41), 70, rcv, none, 200, "receiver", SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0);
#undef US
	for (size_t i = 0; i < n; i++)
		ev[i].proto = IPPROTO_UDP;
	return n;
}

/* Lines that start with a time: nondecreasing? Each "needle" once? */
static bool stream_in_time_order(const char *out)
{
	double prev = -1;

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		double t;

		if (sscanf(p, "%lf ", &t) != 1 || !strchr("0123456789", *p))
			continue;
		if (t < prev) {
			fprintf(stderr, "  %.6f after %.6f: %.80s\n", t, prev, p);
			return false;
		}
		prev = t;
	}
	return true;
}

static void test_stream_shows_held_calls_when_they_happen(void)
{
	struct syn_event ev[16];
	size_t n = one_way_udp(ev);
	char *out = run_events(stream_sink_new, ev, n);

	CHECK(stream_in_time_order(out));
	CHECK_CONTAINS(out, "0.000000 - - receiver/200 0.0.0.0:0 > 0.0.0.0:0 socket = 3\n");
	CHECK_CONTAINS(out, "0.000003 - - receiver/200 127.0.0.1:7500 > 0.0.0.0:0 recvfrom(fd=3)\n");
	CHECK_EQ_INT(count_of(out, "recvfrom(fd=3)"), 1);
	CHECK_EQ_INT(count_of(out, "close(fd=3)"), 2);
	free(out);

	/* JSON Lines still has each of them once, the receiver's outside any connection */
	out = run_events(jsonl_sink_new, ev, n);
	CHECK_EQ_INT(count_of(out, "\"name\":\"recvfrom\",\"phase\":\"entry\""), 1);
	CHECK_EQ_INT(count_of(out, "\"name\":\"bind\""), 2);
	free(out);
}

/* A loopback connection with n data segments from the client, each
 * acknowledged, then reset: long enough for the story to fold. */
static size_t long_conn(struct syn_event *ev, size_t n)
{
	struct ep cli = { "127.0.0.1", 40700 }, srv = { "127.0.0.1", 9700 };
	size_t k = 0;
	__u64 t = 1000;
	__u32 seq = 101;

	ev[k++] = ev_state(t += 10, 0xC1, cli, srv, 7, 2);
	ev[k++] = ev_seg(t += 10, 0xC1, cli, srv, TX, SYN_TCP_SYN, 100, 0, 0);
	ev[k++] = ev_seg(t += 10, 0, srv, cli, RX, SYN_TCP_SYN, 100, 0, 0);
	ev[k++] = ev_seg(t += 10, 0, srv, cli, TX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101, 0);
	ev[k++] = ev_seg(t += 10, 0, cli, srv, RX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101, 0);
	ev[k++] = ev_state(t += 10, 0xC1, cli, srv, 2, 1);
	for (size_t i = 0; i < n; i++, seq += 10) {
		ev[k++] = ev_seg(t += 10, 0xC1, cli, srv, TX, SYN_TCP_ACK | SYN_TCP_PSH, seq, 901, 10);
		ev[k++] = ev_seg(t += 10, 0, srv, cli, RX, SYN_TCP_ACK | SYN_TCP_PSH, seq, 901, 10);
		ev[k++] = ev_seg(t += 10, 0x51, srv, cli, TX, SYN_TCP_ACK, 901, seq + 10, 0);
		ev[k++] = ev_seg(t += 10, 0, cli, srv, RX, SYN_TCP_ACK, 901, seq + 10, 0);
	}
	ev[k++] = ev_seg(t += 10, 0xC1, cli, srv, TX, SYN_TCP_RST | SYN_TCP_ACK, seq, 901, 0);
	ev[k++] = ev_kind(SYN_EV_DESTROY, t += 10, 0xC1, cli, srv);
	return k;
}

/* A summary row fits the middle: at 100 columns its head is between the
 * colons as before; at 80 the middle says "summary" and the head moves
 * below, with the figures. */
static void test_summary_row_fits(void)
{
	static struct syn_event ev[8 + 4 * 60];
	size_t n = long_conn(ev, 60);

	for (int width = 80; width <= 100; width += 20) {
		char *buf = run_width(ladder_sink_new, ev, n, width);
		/* the header says how many rows the summary stands for */
		const char *hdr = strstr(buf, " events, ");
		unsigned int folded = 0;
		char want[128];

		CHECK(hdr && sscanf(hdr, " events, %u of them in summary rows", &folded) == 1);
		if (width == 100) {
			/* the head, between colons (its length sets how many) */
			snprintf(want, sizeof(want), ":: %u rows in ", folded);
			CHECK_CONTAINS(buf, want);
			CHECK_CONTAINS(buf, " s summarized ::");
		} else {
			/* " summary " is 9 wide: 7 colons each side in 23 */
			snprintf(want, sizeof(want), "|::::::: summary :::::::| SYN_RECV*\n"
				 "                                         |  %u rows in ", folded);
			CHECK_CONTAINS(buf, want);
		}
		CHECK(folded > 0);
		free(buf);
	}
}

int main(void)
{
	RUN(test_stream_never_names_softirq_task);
	RUN(test_jsonl_server_rows_have_no_process);
	RUN(test_ladder_says_no_socket);
	RUN(test_stream_shows_held_calls_when_they_happen);
	RUN(test_summary_row_fits);
	return TEST_SUMMARY();
}
