/* Explain mode: each row of hand-built connections (shaped like real 6.18
 * traces) gets the textbook meaning a teacher would give it, in English and
 * Chinese, and the ladder prints it within its 100 columns. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "render/explain.h"
#include "fake_conn.h"
#include "base/names.h"
#include "test.h"
#include "base/strbuf.h"
#include "render/text_line.h"
#include "render/sinks.h"
#include "export/exports.h"

static struct explain_note notes[FAKE_MAX_ROWS];

static const char *key_at(const struct fake *f, int i)
{
	explain_conn(&f->c, notes);
	return explain_key_name(notes[i].key);
}

/* The key names of every row, "-" for none, joined by spaces. */
static char *keys_of(const struct fake *f, char *buf, size_t len)
{
	explain_conn(&f->c, notes);
	buf[0] = '\0';
	for (size_t i = 0; i < f->c.nrows; i++) {
		const char *k = explain_key_name(notes[i].key);

		txt_add_word(buf, len, *k ? k : "-");
	}
	return buf;
}

/* f's rows k .. n as a batch of their own (pairs counted from k), in b. */
static void batch_of(const struct fake *f, size_t k, size_t n, struct conn *b,
		     struct conn_row *rows)
{
	*b = f->c;
	b->rows = rows;
	b->nrows = n - k;
	b->more_batches = n < f->c.nrows;
	for (size_t i = k; i < n; i++) {
		rows[i - k] = f->rows[i];
		if (rows[i - k].pair >= 0)
			rows[i - k].pair -= (__s32)k;
	}
}

/* Does a cut before row k split a segment's two sightings? The tracker
 * never cuts there. */
static bool cut_splits_pair(const struct fake *f, size_t k)
{
	for (size_t i = 0; i < f->c.nrows; i++)
		if (f->rows[i].pair >= 0 && (i < k) != ((size_t)f->rows[i].pair < k))
			return true;
	return false;
}

/* A connection handed over in two batches (JSONL's rows()): at every cut
 * the tracker could make, the second batch's rows mean what they mean in
 * the whole connection (its first batch's last rows cannot see past the
 * cut: the rows after it are not handed over yet). Returns the cuts tried. */
static int batches_tell_the_whole_story(const struct fake *f)
{
	static struct explain_note whole[FAKE_MAX_ROWS], got[FAKE_MAX_ROWS];
	static struct conn_row rows[FAKE_MAX_ROWS];
	size_t n = f->c.nrows;
	int cuts = 0;

	explain_conn(&f->c, whole);
	for (size_t k = 1; k < n; k++) {
		struct explain_story *st = explain_story_new();
		struct conn b;

		if (cut_splits_pair(f, k) || !CHECK(st != NULL)) {
			explain_story_free(st);
			continue;
		}
		batch_of(f, 0, k, &b, rows);
		explain_batch(&b, st, got);
		batch_of(f, k, n, &b, rows);
		explain_batch(&b, st, got + k);
		explain_story_free(st);
		cuts++;
		for (size_t i = k; i < n; i++)
			if (!CHECK_EQ_STR(explain_key_name(got[i].key), explain_key_name(whole[i].key)))
				fprintf(stderr, "  cut before row %zu, row %zu\n", k, i);
	}
	return cuts;
}

static void test_loopback_story(void)
{
	struct fake f;
	char keys[2048];

	fake_loopback(&f);
	f.rows[26].ev.sys.last_ref = 1; /* the server's close() drops the last reference */
	keys_of(&f, keys, sizeof(keys));
	CHECK_EQ_STR(keys,
		     "connect-call state-syn-sent handshake-1 - state-syn-received handshake-2 - "
		     "state-established handshake-3 connect-returns - state-established "
		     "accept-returns data - ack - shutdown-wr state-fin-wait-1 teardown-1 - - "
		     "state-close-wait teardown-2 - state-fin-wait-2 close-sends-fin state-last-ack "
		     "teardown-3 - state-time-wait teardown-4 - state-closed - socket-freed");
	/* who each note is about */
	CHECK_EQ_INT(notes[2].who, C);
	CHECK_EQ_INT(notes[5].who, S);
	CHECK_EQ_INT(notes[23].who, S);
	CHECK(batches_tell_the_whole_story(&f) > 10);
}

static void test_texts_name_the_right_lanes(void)
{
	struct fake f;
	char buf[512];

	fake_loopback(&f);
	explain_conn(&f.c, notes);
	CHECK_EQ_STR(explain_text(&f.c, 23, &notes[23], EXPLAIN_EN, buf, sizeof(buf)),
		     "teardown 2/4: ACK of the client's FIN; from that FIN on, the server's read() returns 0");
	CHECK_EQ_STR(explain_text(&f.c, 23, &notes[23], EXPLAIN_ZH, buf, sizeof(buf)),
		     "挥手 2/4：确认客户端的 FIN；从那个 FIN 起，服务器的 read() 返回 0");
	CHECK_EQ_STR(explain_text(&f.c, 13, &notes[13], EXPLAIN_EN, buf, sizeof(buf)),
		     "data: 5 bytes from the client");
	CHECK_EQ_STR(explain_text(&f.c, 9, &notes[9], EXPLAIN_EN, buf, sizeof(buf)),
		     "connect() returns: the client saw the SYN-ACK (2nd segment)");
	CHECK_EQ_STR(explain_text(&f.c, 3, &notes[3], EXPLAIN_EN, buf, sizeof(buf)), "");
	CHECK_EQ_STR(explain_text(&f.c, 2, &notes[2], EXPLAIN_OFF, buf, sizeof(buf)), "");
}

/* An answer written by the server and read by the client, with these calls. */
static void fake_answer(struct fake *f, __u8 write_call, __u8 read_call)
{
	fake_init(f, 1, AF_INET, "10.99.0.1", 40000, 10, "curl", "10.99.0.2", 80, 20, "nginx");
	f->st[C] = f->st[S] = ST_ESTABLISHED;
	fake_sys(f, 10, S, write_call, SYN_PHASE_ENTRY, 5, 0, 0);                 /* 0 */
	fake_seg_both(f, 11, 12, S, F_PSH | F_ACK, 300, 101, 153, 512);           /* 1, 2 */
	fake_sys(f, 13, S, write_call, SYN_PHASE_RETURN, 5, 0, 153);              /* 3 */
	fake_sys(f, 14, C, read_call, SYN_PHASE_ENTRY, 5, 0, 0);                  /* 4 */
	fake_sys(f, 15, C, read_call, SYN_PHASE_RETURN, 5, 0, 153);               /* 5 */
}

/* Every call that moves the stream's bytes is told as write() or read()
 * is, by its own name: nginx answers with writev() and serves files with
 * sendfile(). */
static void test_other_write_and_read_calls(void)
{
	static const __u8 writes[] = { SYN_CALL_SENDTO, SYN_CALL_SENDMSG, SYN_CALL_WRITEV,
				       SYN_CALL_SENDFILE };
	static const __u8 reads[] = { SYN_CALL_RECVFROM, SYN_CALL_RECVMSG, SYN_CALL_READV };
	struct fake f;
	char want[256], got[256], buf[512];

	fake_answer(&f, SYN_CALL_WRITE, SYN_CALL_READ);
	CHECK_EQ_STR(keys_of(&f, want, sizeof(want)), "- data - write - read-data");
	for (size_t k = 0; k < sizeof(writes); k++) {
		fake_answer(&f, writes[k], reads[k % sizeof(reads)]);
		CHECK_EQ_STR(keys_of(&f, got, sizeof(got)), want);
		snprintf(want, sizeof(want), "%s(): 153 bytes copied into the send buffer; the "
			 "kernel sends them", syn_call_name(writes[k]));
		CHECK_EQ_STR(explain_text(&f.c, 3, &notes[3], EXPLAIN_EN, buf, sizeof(buf)), want);
		keys_of(&f, want, sizeof(want));
	}
	/* non-blocking, EAGAIN: no room to write, nothing to read yet (nginx, redis) */
	fake_answer(&f, SYN_CALL_WRITEV, SYN_CALL_RECVFROM);
	f.rows[3].ev.sys.ret = -EAGAIN;
	f.rows[5].ev.sys.ret = -EAGAIN;
	CHECK_EQ_STR(keys_of(&f, got, sizeof(got)), "- data - write-again - read-again");
	CHECK_EQ_STR(explain_text(&f.c, 5, &notes[5], EXPLAIN_EN, buf, sizeof(buf)),
		     "recvfrom() fails with EAGAIN: the socket is non-blocking and nothing has arrived "
		     "yet; the client waits until it becomes readable (poll, epoll) and reads again");
}

/* Client closes; the server reads EOF and closes at once: its FIN carries
 * the ACK of the client's FIN. */
static void test_merged_fin_ack(void)
{
	struct fake f;
	struct conn_row *r;
	char keys[1024];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	r = fake_sys(&f, 0, C, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0, 0);         /* 0 */
	r->ev.sys.last_ref = 1;
	fake_seg_both(&f, 2, 5, C, F_FIN | F_ACK, 100, 300, 0, 512);             /* 1, 2 */
	r = fake_sys(&f, 7, S, SYN_CALL_READ, SYN_PHASE_RETURN, 4, 0, 0);         /* 3 */
	r = fake_sys(&f, 9, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0);         /* 4 */
	r->ev.sys.last_ref = 1;
	fake_seg_both(&f, 10, 12, S, F_FIN | F_ACK, 300, 101, 0, 512);           /* 5, 6 */
	fake_seg_both(&f, 14, 16, C, F_ACK, 101, 301, 0, 512);                   /* 7, 8 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "close-sends-fin teardown-1 - read-eof close-sends-fin teardown-2-3 - "
		     "teardown-4 -");
	CHECK(batches_tell_the_whole_story(&f) > 3);
}

/* A half-close (fake_half_close). In batches (a long connection in JSONL)
 * the server's FIN is still teardown 3/4 and its data still comes after the
 * client's FIN: a batch that starts after teardown 1/4 was told it as 1/4
 * before the story carried over. */
static void test_half_close_in_batches(void)
{
	struct fake f;
	char keys[1024];

	fake_half_close(&f);
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "shutdown-wr state-fin-wait-1 teardown-1 - state-close-wait teardown-2 - "
		     "state-fin-wait-2 - data-after-fin - - data-after-fin - - data-after-fin - "
		     "- data-after-fin - close-sends-fin state-last-ack teardown-3 - "
		     "state-time-wait teardown-4 -");
	CHECK(batches_tell_the_whole_story(&f) > 15);
}

/* A half-close where the receiver of the first FIN answers with data at
 * once (a TLS close_notify does): that segment is teardown 2/4, and it is
 * also data; the data after it comes after the FIN. */
static void test_fin_acked_by_data(void)
{
	struct fake f;
	char keys[512], buf[512];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_sys(&f, 0, C, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 3, SHUT_WR, 0);   /* 0 */
	fake_seg_both(&f, 2, 3, C, F_FIN | F_ACK, 100, 300, 0, 512);            /* 1, 2 */
	fake_seg_both(&f, 5, 6, S, F_PSH | F_ACK, 300, 101, 24, 512);           /* 3, 4 */
	fake_seg_both(&f, 7, 8, S, F_PSH | F_ACK, 324, 101, 10, 512);           /* 5, 6 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "shutdown-wr teardown-1 - teardown-2-data - data-after-fin -");
	CHECK_EQ_STR(explain_text(&f.c, 3, &notes[3], EXPLAIN_EN, buf, sizeof(buf)),
		     "teardown 2/4: 24 bytes of data from the server that also acknowledge the "
		     "client's FIN: the server may still send (half-close); from that FIN on, its "
		     "read() returns 0");
	CHECK_EQ_STR(explain_text(&f.c, 3, &notes[3], EXPLAIN_ZH, buf, sizeof(buf)),
		     "挥手 2/4：服务器发送 24 字节数据，同时确认了客户端的 FIN：服务器仍可继续发送（半关闭）；"
		     "从那个 FIN 起，服务器的 read() 返回 0");
}

/* Both FINs leave before either arrives: neither acknowledges the other.
 * The lane first is first's; the client's sequence numbers start at 100,
 * the server's at 300. */
static void simultaneous_close(struct fake *f, int first)
{
	const __u32 seq[2] = { 100, 300 };
	int a = first, b = !first;

	fake_init(f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f->st[C] = f->st[S] = ST_ESTABLISHED;
	fake_seg(f, 1, a, SYN_DIR_TX, F_FIN | F_ACK, seq[a], seq[b], 0, 512);       /* 0 */
	fake_seg(f, 2, b, SYN_DIR_TX, F_FIN | F_ACK, seq[b], seq[a], 0, 512);       /* 1 */
	fake_state(f, 3, a, ST_FIN_WAIT1, ST_CLOSING, false);                       /* 2 */
	fake_seg(f, 4, a, SYN_DIR_TX, F_ACK, seq[a] + 1, seq[b] + 1, 0, 512);      /* 3 */
	fake_seg(f, 5, b, SYN_DIR_TX, F_ACK, seq[b] + 1, seq[a] + 1, 0, 512);      /* 4 */
}

static void test_simultaneous_close(void)
{
	struct fake f;
	char keys[1024];

	for (int first = C; first <= S; first++) {
		simultaneous_close(&f, first);
		CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
			     "simultaneous-close-fin simultaneous-close-fin state-closing "
			     "simultaneous-close-ack simultaneous-close-ack");
		CHECK_EQ_INT(batches_tell_the_whole_story(&f), 4);
	}
}

/* A TCP_STATE reset from a lane that accept() returned is its own
 * (zero linger), not its listener's closing; still so when the accept()
 * came in an earlier batch. */
static void test_reset_after_accept_in_batches(void)
{
	static const char *const reasons[] = { "NOT_SPECIFIED", "TCP_STATE" };
	struct fake f;
	struct conn_row *r;

	rst_reason_names_set(reasons, 2);
	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_sys(&f, 0, S, SYN_CALL_ACCEPT, SYN_PHASE_RETURN, 3, 0, 4);           /* 0 */
	fake_seg_both(&f, 2, 3, C, F_PSH | F_ACK, 100, 300, 5, 512);             /* 1, 2 */
	r = fake_row(&f, 4, S, SYN_EV_RESET);                                    /* 3 */
	r->ev.rst.kind = SYN_RESET_SENT;
	r->ev.rst.reason = 1;
	fake_seg_both(&f, 5, 6, S, F_RST | F_ACK, 300, 105, 0, 0);               /* 4, 5 */
	CHECK_EQ_STR(key_at(&f, 3), "rst-linger");
	CHECK(batches_tell_the_whole_story(&f) >= 3);
	rst_reason_names_set(NULL, 0);
}

/* Data that reaches a socket its process has closed is answered with RST:
 * the kernel says so as TCP_ABORT_ON_DATA (the full socket) or
 * TCP_TIMEWAIT_SOCKET (the timewait socket holding FIN-WAIT-2 on). */
static void test_reset_for_data_after_close(void)
{
	static const char *const reasons[] = { "NOT_SPECIFIED", "TCP_TIMEWAIT_SOCKET",
					       "TCP_ABORT_ON_DATA" };
	struct fake f;
	struct conn_row *r;
	char buf[512];

	rst_reason_names_set(reasons, 3);
	for (__u32 reason = 1; reason <= 2; reason++) {
		fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
			  "10.99.0.2", 21400, 20, "demo-server");
		f.st[C] = f.st[S] = ST_ESTABLISHED;
		fake_seg_both(&f, 1, 2, S, F_FIN | F_ACK, 300, 101, 0, 512);     /* 0, 1 */
		fake_seg_both(&f, 3, 4, C, F_PSH | F_ACK, 101, 301, 4, 512);     /* 2, 3 */
		r = fake_row(&f, 5, S, SYN_EV_RESET);                            /* 4 */
		r->ev.rst.kind = SYN_RESET_SENT;
		r->ev.rst.reason = reason;
		CHECK_EQ_STR(key_at(&f, 4), "rst-data-after-close");
	}
	CHECK_EQ_STR(explain_text(&f.c, 4, &notes[4], EXPLAIN_EN, buf, sizeof(buf)),
		     "data arrived after the server had closed its socket (close(), or its process "
		     "exited): no one can read it any more, so the server's kernel answers with RST "
		     "(TCP_ABORT_ON_DATA)");
	rst_reason_names_set(NULL, 0);

	/* the client had the server's FIN (CLOSE-WAIT): Linux keeps the reset
	 * for its next write(), EPIPE, and read() still says end-of-file */
	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_seg_both(&f, 1, 2, S, F_FIN | F_ACK, 300, 101, 0, 512);             /* 0, 1 */
	fake_state(&f, 3, C, ST_ESTABLISHED, ST_CLOSE_WAIT, false);               /* 2 */
	fake_seg_both(&f, 4, 5, S, F_RST, 301, 0, 0, 0);                         /* 3, 4 */
	r = fake_row(&f, 6, C, SYN_EV_RESET);                                    /* 5 */
	r->ev.rst.kind = SYN_RESET_RECEIVED;
	fake_sys(&f, 7, C, SYN_CALL_WRITE, SYN_PHASE_RETURN, 3, 0, -EPIPE);      /* 6 */
	fake_sys(&f, 8, C, SYN_CALL_WRITE, SYN_PHASE_RETURN, 3, 0, -ECONNRESET); /* 7 */
	CHECK_EQ_STR(key_at(&f, 5), "rst-received-after-fin");
	CHECK_EQ_STR(key_at(&f, 6), "write-epipe");
	CHECK_EQ_STR(key_at(&f, 7), "write-fails");
	CHECK_EQ_STR(explain_text(&f.c, 6, &notes[6], EXPLAIN_EN, buf, sizeof(buf)),
		     "write() fails with EPIPE: this end can send nothing more (the connection was "
		     "reset, or its sending side shut down); the kernel also sends the process "
		     "SIGPIPE, which ends a program that neither ignores nor handles it");
}

/* A plain close, then the client's FIN sent again, acknowledging only up
 * to the server's FIN (it left before that FIN was in). Taken in batches, a
 * FIN resent in a later batch is not its lane's first: the close stays
 * plain, its last ACKs are not a simultaneous close's. */
static void test_resent_fin_in_a_later_batch(void)
{
	struct fake f;

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_seg_both(&f, 1, 2, C, F_FIN | F_ACK, 100, 300, 0, 512);             /* 0, 1 */
	fake_state(&f, 3, S, ST_ESTABLISHED, ST_CLOSE_WAIT, false);               /* 2 */
	fake_seg_both(&f, 4, 5, S, F_FIN | F_ACK, 300, 101, 0, 512);             /* 3, 4 */
	fake_state(&f, 6, C, ST_FIN_WAIT1, ST_TIME_WAIT, false);                  /* 5 */
	/* the client's FIN again, acknowledging only up to the server's FIN */
	fake_seg_both(&f, 7, 8, C, F_FIN | F_ACK, 100, 300, 0, 512);             /* 6, 7 */
	fake_seg_both(&f, 9, 10, S, F_ACK, 301, 101, 0, 512);                    /* 8, 9 */
	fake_seg_both(&f, 11, 12, C, F_ACK, 101, 301, 0, 512);                   /* 10, 11 */
	CHECK(batches_tell_the_whole_story(&f) > 4);
}

/* Crossing SYNs: each side answers the other's SYN with SYN-ACK. */
static void test_simultaneous_open(void)
{
	struct fake f;
	char keys[1024];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_CLOSE;
	fake_seg(&f, 1, C, SYN_DIR_TX, F_SYN, 100, 0, 0, 512);                     /* 0 */
	fake_seg(&f, 2, S, SYN_DIR_TX, F_SYN, 300, 0, 0, 512);                     /* 1 */
	fake_state(&f, 3, C, ST_SYN_SENT, ST_SYN_RECV, false);                     /* 2 */
	fake_seg(&f, 4, C, SYN_DIR_TX, F_SYN | F_ACK, 100, 301, 0, 512);          /* 3 */
	fake_seg(&f, 5, S, SYN_DIR_TX, F_SYN | F_ACK, 300, 101, 0, 512);          /* 4 */
	fake_seg(&f, 6, S, SYN_DIR_TX, F_ACK, 301, 101, 0, 512);                  /* 5 */
	fake_seg(&f, 7, C, SYN_DIR_TX, F_ACK, 101, 301, 0, 512);                  /* 6 */
	fake_seg(&f, 8, C, SYN_DIR_TX, F_PSH | F_ACK, 101, 301, 5, 512);          /* 7 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "simultaneous-open-syn simultaneous-open-syn state-syn-received-simultaneous "
		     "simultaneous-open-synack simultaneous-open-synack simultaneous-open-ack "
		     "simultaneous-open-ack data");
	/* connect() returns after four segments, not after "the 2nd" */
	fake_sys(&f, 9, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);         /* 8 */
	CHECK_EQ_STR(key_at(&f, 8), "connect-returns-simultaneous");
	CHECK_EQ_INT(batches_tell_the_whole_story(&f), 8);
}

static void test_refused(void)
{
	static const char *const reasons[] = { "NOT_SPECIFIED", "NO_SOCKET" };
	struct fake f;
	struct conn_row *r;
	char keys[1024];

	rst_reason_names_set(reasons, 2);
	fake_init(&f, 1, AF_INET, "127.0.0.1", 40000, 10, "demo-client",
		  "127.0.0.1", 21400, 0, "");
	f.c.end[S].traced = true; /* the server's host is this host: no socket there */
	f.st[C] = ST_CLOSE;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);          /* 0 */
	fake_seg_both(&f, 2, 3, C, F_SYN, 100, 0, 0, 512);                       /* 1, 2 */
	r = fake_row(&f, 4, S, SYN_EV_RESET);                                    /* 3 */
	r->ev.rst.reason = 1;
	fake_seg_both(&f, 5, 6, S, F_RST | F_ACK, 0, 101, 0, 0);                 /* 4, 5 */
	fake_sys(&f, 8, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -111);     /* 6 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call handshake-1 - rst-no-socket rst-refused - connect-refused");
	CHECK(batches_tell_the_whole_story(&f) > 3);
	/* non-blocking (curl to a closed port on this host): refused before
	 * the call returned EINPROGRESS */
	f.rows[6].ev.sys.ret = -115;
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-nonblocking handshake-1 - rst-no-socket rst-refused - "
		     "connect-in-progress-ended");
	CHECK(batches_tell_the_whole_story(&f) > 3);
	rst_reason_names_set(NULL, 0);
}

/* The client process exits without close(): the kernel closes and sends
 * FIN. A close() of a dup()ed descriptor sends nothing. */
static void test_exit_and_dup(void)
{
	struct fake f;
	char keys[1024];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_sys(&f, 0, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 5, 0, 0);           /* 0: not last */
	fake_sys(&f, 1, S, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 5, 0, 0);          /* 1 */
	fake_seg_both(&f, 2, 3, C, F_FIN | F_ACK, 100, 300, 0, 512);             /* 2, 3 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)), "close-not-last - teardown-1-exit -");
	CHECK(batches_tell_the_whole_story(&f) > 0);
}

/* The handshake completes before accept() is called: it returns at once. */
static void test_accept_queue(void)
{
	struct fake f;

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = ST_ESTABLISHED;
	f.st[S] = ST_SYN_RECV;
	fake_state(&f, 1, S, ST_SYN_RECV, ST_ESTABLISHED, false);                 /* 0 */
	fake_sys(&f, 500000, S, SYN_CALL_ACCEPT, SYN_PHASE_ENTRY, 3, 0, 0);       /* 1 */
	fake_sys(&f, 500010, S, SYN_CALL_ACCEPT, SYN_PHASE_RETURN, 3, 0, 4);      /* 2 */
	CHECK_EQ_STR(key_at(&f, 2), "accept-from-queue");
	/* called after the handshake (a server that polled first): it does not wait */
	CHECK_EQ_STR(key_at(&f, 1), "accept-call-ready");

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[S] = ST_SYN_RECV;
	fake_sys(&f, 0, S, SYN_CALL_ACCEPT, SYN_PHASE_ENTRY, 3, 0, 0);            /* 0 */
	fake_state(&f, 1, S, ST_SYN_RECV, ST_ESTABLISHED, false);                 /* 1 */
	fake_sys(&f, 10, S, SYN_CALL_ACCEPT, SYN_PHASE_RETURN, 3, 0, 4);          /* 2 */
	CHECK_EQ_STR(key_at(&f, 2), "accept-returns");
	CHECK_EQ_STR(key_at(&f, 0), "accept-call"); /* called before: it waits */
	CHECK_EQ_INT(batches_tell_the_whole_story(&f), 2);

	/* accept4() (nginx, nc) is named as it was called */
	char buf[512];

	f.rows[0].ev.sys.call = f.rows[2].ev.sys.call = SYN_CALL_ACCEPT4;
	f.rows[0].ev.sys.arg = SOCK_NONBLOCK;
	CHECK_EQ_STR(key_at(&f, 2), "accept-returns");
	CHECK_EQ_STR(explain_text(&f.c, 0, &notes[0], EXPLAIN_EN, buf, sizeof(buf)),
		     "accept4(): the server waits for a connection whose handshake is complete");
	CHECK_EQ_STR(explain_text(&f.c, 2, &notes[2], EXPLAIN_EN, buf, sizeof(buf)),
		     "accept4() returns: the 3rd segment arrived, the connection is ready");
}

static void test_udp_and_drops(void)
{
	static const char *drops[41];
	struct fake f;
	struct conn_row *r;
	char keys[1024], buf[512];

	drops[40] = "TCP_LISTEN_OVERFLOW";
	drop_reason_names_set(drops, 41);
	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.c.proto = IPPROTO_UDP;
	fake_sys(&f, 0, C, SYN_CALL_SENDTO, SYN_PHASE_RETURN, 3, 0, 5);           /* 0 */
	fake_seg_both(&f, 2, 3, C, 0, 0, 0, 5, 0);                                /* 1, 2 */
	fake_sys(&f, 4, S, SYN_CALL_RECVFROM, SYN_PHASE_RETURN, 3, 0, 5);         /* 3 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)), "udp-send udp-datagram - udp-receive");
	CHECK_EQ_STR(explain_text(&f.c, 1, &notes[1], EXPLAIN_EN, buf, sizeof(buf)),
		     "UDP datagram of 5 bytes from the client: no handshake before it, no ACK after "
		     "it, no teardown");

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[S] = ST_LISTEN;
	fake_seg(&f, 1, S, SYN_DIR_RX, F_SYN, 100, 0, 0, 512);                    /* 0 */
	r = fake_row(&f, 2, S, SYN_EV_DROP);                                      /* 1 */
	r->ev.drop.flags = F_SYN;
	r->ev.drop.reason = 40;
	CHECK_EQ_STR(key_at(&f, 1), "drop-backlog-full");
	CHECK_EQ_STR(explain_text(&f.c, 1, &notes[1], EXPLAIN_EN, buf, sizeof(buf)),
		     "dropped: the listen backlog (accept queue) is full; the client will retransmit");
	drop_reason_names_set(NULL, 0);
}

/* A resolver: connect() on UDP only records the peer; sendmmsg() and
 * recvmmsg() count messages, not bytes (its A and AAAA queries in one
 * call): a UDP receiver waits as for one datagram; a failure or nothing
 * moved is not explained. */
static void test_mmsg_calls(void)
{
	struct fake f;
	char keys[1024], buf[512];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "getent",
		  "10.99.0.2", 53, 0, "");
	f.c.proto = IPPROTO_UDP;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);           /* 0 */
	fake_sys(&f, 1, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);          /* 1 */
	fake_sys(&f, 2, C, SYN_CALL_SENDMMSG, SYN_PHASE_ENTRY, 3, 2, 0);          /* 2 */
	fake_seg(&f, 3, C, SYN_DIR_TX, 0, 0, 0, 29, 0);                           /* 3 */
	fake_seg(&f, 4, C, SYN_DIR_TX, 0, 0, 0, 29, 0);                           /* 4 */
	fake_sys(&f, 5, C, SYN_CALL_SENDMMSG, SYN_PHASE_RETURN, 3, 2, 2);         /* 5 */
	fake_sys(&f, 6, C, SYN_CALL_RECVMMSG, SYN_PHASE_ENTRY, 3, 4, 0);          /* 6 */
	fake_sys(&f, 7, C, SYN_CALL_RECVMMSG, SYN_PHASE_RETURN, 3, 4, 2);         /* 7 */
	fake_sys(&f, 8, C, SYN_CALL_RECVMMSG, SYN_PHASE_RETURN, 3, 4, -EAGAIN);   /* 8 */
	fake_sys(&f, 9, C, SYN_CALL_SENDMMSG, SYN_PHASE_RETURN, 3, 2, 0);         /* 9 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "udp-connect - - udp-datagram udp-datagram sendmmsg udp-receive-wait recvmmsg - -");
	CHECK_EQ_STR(explain_text(&f.c, 0, &notes[0], EXPLAIN_EN, buf, sizeof(buf)),
		     "connect() on a UDP socket sends nothing: it only records the peer's address, so "
		     "later sends need none and only that peer's datagrams are received");
	CHECK_EQ_STR(explain_text(&f.c, 5, &notes[5], EXPLAIN_EN, buf, sizeof(buf)),
		     "sendmmsg(): 2 messages handed to the kernel in one call; on UDP each one is a "
		     "datagram of its own (glibc's resolver sends its A and AAAA queries so)");
	CHECK_EQ_STR(explain_text(&f.c, 7, &notes[7], EXPLAIN_EN, buf, sizeof(buf)),
		     "recvmmsg(): 2 messages taken in one call; on UDP each one is one whole datagram");
	CHECK_CONTAINS(explain_text(&f.c, 7, &notes[7], EXPLAIN_ZH, buf, sizeof(buf)),
		       "recvmmsg()：一次调用取走 2 条消息");
	/* on TCP the entry of a receive is no datagram's wait */
	f.c.proto = IPPROTO_TCP;
	CHECK_EQ_STR(key_at(&f, 6), "");
}

/* Python's http.server: shutdown(SHUT_WR) sends the FIN, then close() of
 * the last descriptor sets the state it is in once more (FIN_WAIT1 ->
 * FIN_WAIT1): no FIN-WAIT-1 story again. An inferred row is no such call. */
static void test_close_after_shutdown(void)
{
	struct fake f;
	char keys[1024], buf[512];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "wget",
		  "10.99.0.2", 8000, 20, "python3");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_sys(&f, 0, S, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 4, SHUT_WR, 0);    /* 0 */
	fake_state(&f, 1, S, ST_ESTABLISHED, ST_FIN_WAIT1, false);                 /* 1 */
	fake_seg_both(&f, 2, 3, S, F_FIN | F_ACK, 300, 101, 0, 512);              /* 2, 3 */
	fake_sys(&f, 4, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0)->ev.sys.last_ref = 1; /* 4 */
	fake_state(&f, 5, S, ST_FIN_WAIT1, ST_FIN_WAIT1, false);                   /* 5 */
	fake_state(&f, 6, C, ST_ESTABLISHED, ST_CLOSE_WAIT, false);                /* 6 */
	fake_sys(&f, 7, C, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 3, SHUT_WR, 0);    /* 7 */
	fake_state(&f, 8, C, ST_CLOSE_WAIT, ST_LAST_ACK, false);                   /* 8 */
	fake_state(&f, 9, C, ST_LAST_ACK, ST_LAST_ACK, false);                     /* 9 */
	keys_of(&f, keys, sizeof(keys));
	CHECK_EQ_STR(key_at(&f, 1), "state-fin-wait-1");
	CHECK_EQ_STR(key_at(&f, 5), "state-again-close");
	CHECK_EQ_STR(key_at(&f, 8), "state-last-ack");
	CHECK_EQ_STR(key_at(&f, 9), "state-again-close");
	CHECK_EQ_STR(explain_text(&f.c, 5, &notes[5], EXPLAIN_EN, buf, sizeof(buf)),
		     "the same state again: the server's last descriptor was closed after shutdown() "
		     "had sent its FIN; Linux reports the state it stays in, and nothing is sent");
	f.rows[5].marks |= ROW_INFERRED;
	CHECK_EQ_STR(key_at(&f, 5), "state-fin-wait-1");
}

/* UDP's calls say nothing of TCP states: a socket, a receiver waiting,
 * a close() that sends nothing. */
static void test_udp_calls(void)
{
	struct fake f;
	char keys[1024], buf[512];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.c.proto = IPPROTO_UDP;
	fake_sys(&f, 0, S, SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 2, 3);           /* 0 */
	fake_sys(&f, 1, S, SYN_CALL_BIND, SYN_PHASE_ENTRY, 3, 21400, 0);          /* 1 */
	fake_sys(&f, 2, S, SYN_CALL_RECVFROM, SYN_PHASE_ENTRY, 3, 64, 0);         /* 2 */
	fake_sys(&f, 3, C, SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 2, 3);           /* 3 */
	fake_sys(&f, 4, C, SYN_CALL_SENDTO, SYN_PHASE_RETURN, 3, 0, 6);           /* 4 */
	fake_seg_both(&f, 5, 6, C, 0, 0, 0, 6, 0);                                /* 5, 6 */
	fake_sys(&f, 7, C, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0, 0)->ev.sys.last_ref = 1; /* 7 */
	fake_sys(&f, 8, S, SYN_CALL_RECVFROM, SYN_PHASE_RETURN, 3, 0, 6);         /* 8 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "udp-socket bind udp-receive-wait udp-socket udp-send udp-datagram - udp-close "
		     "udp-receive");
	CHECK_EQ_STR(explain_text(&f.c, 0, &notes[0], EXPLAIN_EN, buf, sizeof(buf)),
		     "socket(): a new UDP socket, with no address yet; UDP keeps no connection and no "
		     "states");
	CHECK_EQ_STR(explain_text(&f.c, 2, &notes[2], EXPLAIN_EN, buf, sizeof(buf)),
		     "recvfrom(): the server waits for a datagram; it needs no connection: anyone may "
		     "send one to its port");
	CHECK_EQ_STR(explain_text(&f.c, 7, &notes[7], EXPLAIN_EN, buf, sizeof(buf)),
		     "close(): the socket is gone and nothing is sent: UDP has no connection to end");
}

/* A handshake between the two lanes of f: client ISN 100, server ISN 500. */
static void fake_handshake(struct fake *f)
{
	fake_seg_both(f, 1, 2, C, F_SYN, 100, 0, 0, 512);
	fake_seg_both(f, 3, 4, S, F_SYN | F_ACK, 500, 101, 0, 512);
	fake_seg_both(f, 5, 6, C, F_ACK, 101, 501, 0, 512);
}

static struct conn_row *fake_drop(struct fake *f, __u64 t_us, int end, int dir, unsigned flags,
				  __u32 seq, __u32 reason)
{
	struct conn_row *r = fake_row(f, t_us, end, SYN_EV_DROP);

	r->ev.drop.dir = (__u8)dir;
	r->ev.drop.flags = (__u8)flags;
	r->ev.drop.seq = seq;
	r->ev.drop.reason = reason;
	return r;
}

/* Keepalive: a probe (no data, the sequence number one below the next) is
 * answered by the peer's kernel, which drops the probe once answered
 * (TCP_OLD_SEQUENCE). With a dead peer the probes are numbered, and the
 * reset after the last (TCP_KEEPALIVE_TIMEOUT) and the read() that fails
 * with ETIMEDOUT say that those probes went unanswered. */
static void test_keepalive(void)
{
	static const char *drops[8], *rsts[4];
	struct fake f;
	struct conn_row *r;
	char keys[1024], buf[512];

	drops[5] = "TCP_OLD_SEQUENCE";
	drops[6] = "NETFILTER_DROP";
	rsts[3] = "TCP_KEEPALIVE_TIMEOUT";
	drop_reason_names_set(drops, 8);
	rst_reason_names_set(rsts, 4);

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	fake_handshake(&f);                                                       /* 0-5 */
	fake_seg_both(&f, 1000000, 1000001, C, F_ACK, 100, 501, 0, 512);        /* 6, 7 */
	fake_seg_both(&f, 1000002, 1000003, S, F_ACK, 501, 101, 0, 512);        /* 8, 9 */
	fake_drop(&f, 1000002, S, SYN_DIR_RX, F_ACK, 100, 5);                     /* 10 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "handshake-1 - handshake-2 - handshake-3 - keepalive-probe - keepalive-answer - "
		     "drop-probe-answered");
	CHECK_EQ_STR(explain_text(&f.c, 8, &notes[8], EXPLAIN_EN, buf, sizeof(buf)),
		     "the server's kernel answers the keepalive probe with an ACK: the server is still "
		     "there (its application takes no part)");

	/* the server's host is gone: its firewall drops everything */
	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	fake_handshake(&f);                                                       /* 0-5 */
	fake_sys(&f, 10, C, SYN_CALL_READ, SYN_PHASE_ENTRY, 3, 64, 0);            /* 6 */
	for (int k = 0; k < 3; k++) {                                             /* 7-15 */
		fake_seg_both(&f, 1000000 * (k + 1), 1000000 * (k + 1) + 1, C, F_ACK, 100, 501, 0,
			      512);
		fake_drop(&f, 1000000 * (k + 1) + 2, S, SYN_DIR_RX, F_ACK, 100, 6);
	}
	fake_seg_both(&f, 4000000, 4000001, C, F_RST | F_ACK, 101, 501, 0, 0);    /* 16, 17 */
	r = fake_row(&f, 4000002, C, SYN_EV_RESET);                               /* 18 */
	r->ev.rst.kind = SYN_RESET_SENT;
	r->ev.rst.reason = 3;
	fake_state(&f, 4000003, C, ST_ESTABLISHED, ST_CLOSE, false);              /* 19 */
	fake_drop(&f, 4000004, S, SYN_DIR_RX, F_RST | F_ACK, 101, 6);             /* 20 */
	fake_sys(&f, 4000005, C, SYN_CALL_READ, SYN_PHASE_RETURN, 3, 0, -110);    /* 21 */
	/* the server closes with SO_LINGER 0: its RST never leaves its host */
	fake_sys(&f, 6000000, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0)->ev.sys.last_ref = 1; /* 22 */
	fake_state(&f, 6000001, S, ST_ESTABLISHED, ST_CLOSE, false);              /* 23 */
	fake_drop(&f, 6000002, S, SYN_DIR_TX, F_RST | F_ACK, 501, 6);             /* 24 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "handshake-1 - handshake-2 - handshake-3 - - keepalive-probe-unanswered - "
		     "drop-firewall keepalive-probe-unanswered - drop-firewall "
		     "keepalive-probe-unanswered - drop-firewall rst - rst-keepalive-timeout "
		     "state-closed drop-firewall read-keepalive-timeout close-aborts state-closed "
		     "drop-firewall");
	CHECK_EQ_STR(explain_text(&f.c, 13, &notes[13], EXPLAIN_EN, buf, sizeof(buf)),
		     "keepalive probe 3 in a row without an answer: nothing comes back from the server; "
		     "after TCP_KEEPCNT of them the client's kernel gives up");
	CHECK_EQ_STR(explain_text(&f.c, 18, &notes[18], EXPLAIN_EN, buf, sizeof(buf)),
		     "the client's kernel gives the server up: its last 3 keepalive probes got no "
		     "answer (TCP_KEEPCNT), so it resets the connection, and the client's calls fail "
		     "with ETIMEDOUT");
	CHECK_EQ_STR(explain_text(&f.c, 21, &notes[21], EXPLAIN_EN, buf, sizeof(buf)),
		     "read() fails with ETIMEDOUT: the keepalive probes went unanswered, so the kernel "
		     "gave the connection up (the RST above); the server never said goodbye");
	CHECK_EQ_STR(explain_text(&f.c, 18, &notes[18], EXPLAIN_ZH, buf, sizeof(buf)),
		     "客户端的内核放弃了服务器：最近 3 个保活探测都没有回答（TCP_KEEPCNT），于是重置连接，"
		     "客户端的调用以 ETIMEDOUT 失败");
	drop_reason_names_set(NULL, 0);
	rst_reason_names_set(NULL, 0);
	CHECK(batches_tell_the_whole_story(&f) > 10);
}

/* curl --connect-timeout 3 to an address on the local link that nobody
 * has (a real 6.18 trace): the SYN waits for ARP, curl gives up and closes
 * the SYN_SENT socket, and the kernel drops the SYN later (NEIGH_FAILED). */
static void test_connect_given_up(void)
{
	static const char *drops[4];
	struct fake f;
	struct conn_row *r, *close_row;
	char keys[512], buf[512];

	drops[3] = "NEIGH_FAILED";
	drop_reason_names_set(drops, 4);
	fake_init(&f, 1, AF_INET, "192.0.2.2", 50338, 10, "curl", "192.0.2.99", 80, 0, "");
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);             /* 0 */
	fake_state(&f, 1, C, ST_CLOSE, ST_SYN_SENT, false);                          /* 1 */
	fake_sys(&f, 2, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -EINPROGRESS);  /* 2 */
	close_row = fake_sys(&f, 3000000, C, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 5, 0, 0); /* 3 */
	close_row->ev.sys.last_ref = 1;
	fake_state(&f, 3000001, C, ST_SYN_SENT, ST_CLOSE, false);                    /* 4 */
	fake_drop(&f, 3000100, C, SYN_DIR_TX, F_SYN, 4016041349u, 3);               /* 5 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-nonblocking state-syn-sent connect-in-progress close-abandons-connect "
		     "state-closed drop-no-neighbour");
	CHECK_EQ_STR(explain_text(&f.c, 5, &notes[5], EXPLAIN_EN, buf, sizeof(buf)),
		     "dropped before it left: the client's host never learned the next hop's "
		     "link-layer address (ARP or neighbour discovery got no answer: NEIGH_FAILED), so "
		     "nothing reached the wire");
	/* the client's own host says host unreachable (ARP failed), a router
	 * says it: which one speaks is in the ICMP's source */
	r = fake_row(&f, 3000101, C, SYN_EV_ICMP);                                 /* 6 */
	r->ev.icmp.type = 3; /* destination unreachable, host */
	r->ev.icmp.code = 1;
	memcpy(r->ev.icmp.from, r->ev.saddr, 16);
	CHECK_EQ_STR(key_at(&f, 6), "icmp-from-own-host");
	CHECK_EQ_STR(explain_text(&f.c, 6, &notes[6], EXPLAIN_EN, buf, sizeof(buf)),
		     "ICMP host unreachable from the client's own host: its next hop never answered "
		     "ARP or neighbour discovery, so the kernel reports the segment undeliverable; a "
		     "connect() still waiting fails with EHOSTUNREACH (No route to host)");
	r->ev.icmp.from[3] = 1; /* 192.0.2.1, the router */
	CHECK_EQ_STR(key_at(&f, 6), "icmp");
	r->ev.icmp.code = 3; /* port unreachable, from the router's side */
	CHECK_EQ_STR(key_at(&f, 6), "icmp-port-unreachable");
	/* the blocking connect() of the same story fails, and says why */
	f.rows[2].ev.sys.ret = -EHOSTUNREACH;
	CHECK_EQ_STR(key_at(&f, 2), "connect-host-unreachable");
	CHECK_EQ_STR(explain_text(&f.c, 2, &notes[2], EXPLAIN_EN, buf, sizeof(buf)),
		     "connect() fails with EHOSTUNREACH (No route to host): an ICMP error said the "
		     "server's host cannot be reached, or nothing answered ARP or neighbour discovery "
		     "for it");
	f.rows[2].ev.sys.ret = -ETIMEDOUT;
	CHECK_EQ_STR(key_at(&f, 2), "connect-timed-out");
	f.rows[2].ev.sys.ret = -ENETUNREACH;
	CHECK_EQ_STR(key_at(&f, 2), "connect-network-unreachable");
	f.rows[2].ev.sys.ret = -ENETDOWN;
	CHECK_EQ_STR(key_at(&f, 2), "connect-fails");
	CHECK_EQ_STR(explain_text(&f.c, 2, &notes[2], EXPLAIN_EN, buf, sizeof(buf)),
		     "connect() fails: ENETDOWN");
	f.rows[2].ev.sys.ret = -EINPROGRESS;
	/* a close() that leaves another descriptor open abandons nothing */
	close_row->ev.sys.last_ref = 0;
	CHECK_EQ_STR(key_at(&f, 3), "close-not-last");
	drop_reason_names_set(NULL, 0);
}

/* connect() with no route (a real trace: a namespace without a default
 * route, Python to 8.8.8.8:80): the kernel refuses within the call, no SYN,
 * no state; said at the entry, and the return says why. */
static void test_connect_refused_within_the_call(void)
{
	struct fake f;
	char keys[256], buf[512];

	fake_init(&f, 1, AF_INET, "0.0.0.0", 0, 10, "python3", "8.8.8.8", 80, 0, "");
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);               /* 0 */
	fake_sys(&f, 12, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -ENETUNREACH);  /* 1 */
	fake_sys(&f, 95, C, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0, 0)->ev.sys.last_ref = 1; /* 2 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-fails-at-once connect-network-unreachable close");
	CHECK_EQ_STR(explain_text(&f.c, 0, &notes[0], EXPLAIN_EN, buf, sizeof(buf)),
		     "connect(): the client asks to connect, and its own kernel refuses within the "
		     "call: no SYN is sent and no local port is chosen (the return says why)");
	/* no local port free (a real trace: ip_local_port_range one port wide,
	 * taken): the kernel reports SYN_SENT and takes it back within the call */
	fake_init(&f, 1, AF_INET, "0.0.0.0", 0, 10, "python3", "127.0.0.1", 21899, 0, "");
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);                 /* 0 */
	fake_state(&f, 2, C, ST_CLOSE, ST_SYN_SENT, false);                            /* 1 */
	fake_state(&f, 2, C, ST_SYN_SENT, ST_CLOSE, false);                            /* 2 */
	fake_sys(&f, 3, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -EADDRNOTAVAIL);   /* 3 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-fails-at-once state-syn-sent state-closed connect-no-local-port");
	/* one whose SYN left (a reset came back), or was dropped before it left
	 * (no ARP answer), is the plain call */
	fake_init(&f, 1, AF_INET, "10.0.0.1", 40000, 10, "python3", "10.0.0.2", 80, 0, "");
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);               /* 0 */
	fake_state(&f, 1, C, ST_CLOSE, ST_SYN_SENT, false);                          /* 1 */
	fake_seg_both(&f, 2, 3, C, F_SYN, 100, 0, 0, 512);                           /* 2, 3 */
	fake_sys(&f, 12, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -ECONNREFUSED); /* 4 */
	CHECK_EQ_STR(key_at(&f, 0), "connect-call");
	fake_init(&f, 1, AF_INET, "10.0.0.1", 40000, 10, "python3", "10.0.0.9", 80, 0, "");
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);               /* 0 */
	fake_state(&f, 1, C, ST_CLOSE, ST_SYN_SENT, false);                          /* 1 */
	fake_drop(&f, 400000, C, SYN_DIR_TX, F_SYN, 100, 0);                         /* 2 */
	fake_sys(&f, 400100, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -EHOSTUNREACH); /* 3 */
	CHECK_EQ_STR(key_at(&f, 0), "connect-call");
	/* IPv6 (a real trace): neighbour discovery's failure frees the SYN with
	 * no drop reason; the socket is aborted 400 ms later by a timer, not by
	 * the calling thread */
	fake_init(&f, 1, AF_INET6, "::", 0, 10, "python3", "fd16::9", 80, 0, "");
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);               /* 0 */
	fake_state(&f, 1, C, ST_CLOSE, ST_SYN_SENT, false);                          /* 1 */
	fake_state(&f, 405000, C, ST_SYN_SENT, ST_CLOSE, false)->ev.tid = 0;         /* 2 */
	fake_sys(&f, 405100, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -EHOSTUNREACH); /* 3 */
	CHECK_EQ_STR(key_at(&f, 0), "connect-call");
}

static struct conn_row *fake_sockopt(struct fake *f, __u64 t_us, int end, int level, int opt,
				     int nval, int v0, int v1)
{
	struct conn_row *r = fake_sys(f, t_us, end, SYN_CALL_SETSOCKOPT, SYN_PHASE_ENTRY, 3, opt, 0);

	r->ev.sys.level = level;
	r->ev.sys.vlen = (__u8)(4 * nval);
	r->ev.sys.val[0] = v0;
	r->ev.sys.val[1] = v1;
	return r;
}

/* The listener's setup in the server lane: a bind() refused because the
 * address is in use, SO_REUSEADDR, bind, listen(backlog), LISTEN; and what
 * each socket option a class meets does. */
static void test_listener_setup_and_options(void)
{
	struct fake f;
	char keys[1024], buf[512];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	fake_sys(&f, 0, S, SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3, 1, 3);           /* 0 */
	fake_sys(&f, 1, S, SYN_CALL_BIND, SYN_PHASE_ENTRY, 3, 21400, 0);          /* 1 */
	fake_sys(&f, 2, S, SYN_CALL_BIND, SYN_PHASE_RETURN, 3, 0, -98);           /* 2 */
	fake_sockopt(&f, 3, S, SOL_SOCKET, SO_REUSEADDR, 1, 1, 0);               /* 3 */
	fake_sys(&f, 4, S, SYN_CALL_SETSOCKOPT, SYN_PHASE_RETURN, 3, SO_REUSEADDR, 0); /* 4 */
	fake_sys(&f, 5, S, SYN_CALL_BIND, SYN_PHASE_RETURN, 3, 0, 0);             /* 5 */
	fake_sys(&f, 6, S, SYN_CALL_LISTEN, SYN_PHASE_ENTRY, 3, 16, 0);           /* 6 */
	fake_state(&f, 7, S, ST_CLOSE, ST_LISTEN, false);                         /* 7 */
	fake_sys(&f, 8, S, SYN_CALL_LISTEN, SYN_PHASE_RETURN, 3, 0, 0);           /* 8 */
	f.c.setup_rows = 9;
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "socket bind bind-in-use so-reuseaddr - - listen state-listen -");
	CHECK_EQ_STR(explain_text(&f.c, 6, &notes[6], EXPLAIN_EN, buf, sizeof(buf)),
		     "listen(): the server's socket will wait for connections: from now on its kernel "
		     "answers SYNs on this port by itself and keeps the finished connections in an "
		     "accept queue (backlog 16) until accept() takes them");
	CHECK_EQ_STR(explain_text(&f.c, 7, &notes[7], EXPLAIN_EN, buf, sizeof(buf)),
		     "LISTEN: the server waits for connections on its port");
	CHECK_CONTAINS(explain_text(&f.c, 2, &notes[2], EXPLAIN_EN, buf, sizeof(buf)),
		       "bind() fails with EADDRINUSE: another socket still holds this address and port");
	CHECK_CONTAINS(explain_text(&f.c, 2, &notes[2], EXPLAIN_ZH, buf, sizeof(buf)),
		       "bind() 失败（EADDRINUSE）");

	/* the options, one row each, on the client */
	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	fake_sockopt(&f, 0, C, SOL_SOCKET, SO_KEEPALIVE, 1, 1, 0);                /* 0 */
	fake_sockopt(&f, 1, C, IPPROTO_TCP, 4, 1, 1, 0);      /* TCP_KEEPIDLE   1 */
	fake_sockopt(&f, 2, C, IPPROTO_TCP, 5, 1, 1, 0);      /* TCP_KEEPINTVL  2 */
	fake_sockopt(&f, 3, C, IPPROTO_TCP, 6, 1, 3, 0);      /* TCP_KEEPCNT    3 */
	fake_sockopt(&f, 4, C, SOL_SOCKET, SO_LINGER, 2, 1, 0);                   /* 4 */
	fake_sockopt(&f, 5, C, SOL_SOCKET, SO_LINGER, 2, 1, 5);                   /* 5 */
	fake_sockopt(&f, 6, C, SOL_SOCKET, SO_LINGER, 2, 0, 5);                   /* 6 */
	fake_sockopt(&f, 7, C, IPPROTO_TCP, 1, 1, 1, 0);      /* TCP_NODELAY    7 */
	fake_sockopt(&f, 8, C, IPPROTO_TCP, 1, 1, 0, 0);      /* ... off        8 */
	fake_sockopt(&f, 9, C, SOL_SOCKET, SO_REUSEPORT, 1, 1, 0);                /* 9 */
	fake_sockopt(&f, 10, C, IPPROTO_TCP, 23, 1, 5, 0);    /* TCP_FASTOPEN  10 */
	fake_sockopt(&f, 11, C, IPPROTO_TCP, 18, 1, 3000, 0); /* TCP_USER_TIMEOUT 11 */
	fake_sockopt(&f, 12, C, IPPROTO_TCP, 6, 0, 0, 0);     /* value unread  12 */
	fake_sys(&f, 13, C, SYN_CALL_SETSOCKOPT, SYN_PHASE_RETURN, 3, 6, -22)->ev.sys.level =
		IPPROTO_TCP;                                                      /* 13 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "so-keepalive tcp-keepidle tcp-keepintvl tcp-keepcnt so-linger-zero so-linger "
		     "so-linger-off tcp-nodelay sockopt-off so-reuseport tcp-fastopen sockopt - "
		     "setsockopt-fails");
	CHECK_EQ_STR(explain_text(&f.c, 1, &notes[1], EXPLAIN_EN, buf, sizeof(buf)),
		     "TCP_KEEPIDLE 1 s: the first keepalive probe goes out once nothing has arrived from "
		     "the server for 1 s");
	CHECK_EQ_STR(explain_text(&f.c, 3, &notes[3], EXPLAIN_EN, buf, sizeof(buf)),
		     "TCP_KEEPCNT 3: after 3 keepalive probes in a row without an answer the kernel "
		     "gives the connection up: it sends RST, and the application's calls fail with "
		     "ETIMEDOUT");
	CHECK_EQ_STR(explain_text(&f.c, 5, &notes[5], EXPLAIN_EN, buf, sizeof(buf)),
		     "SO_LINGER on with 5 s: close() waits up to 5 s until the data still in the send "
		     "buffer is acknowledged");
	CHECK_EQ_STR(explain_text(&f.c, 8, &notes[8], EXPLAIN_EN, buf, sizeof(buf)),
		     "setsockopt(): TCP_NODELAY off");
	CHECK_EQ_STR(explain_text(&f.c, 11, &notes[11], EXPLAIN_EN, buf, sizeof(buf)),
		     "setsockopt(): TCP_USER_TIMEOUT set to 3000");
	CHECK_EQ_STR(explain_text(&f.c, 13, &notes[13], EXPLAIN_EN, buf, sizeof(buf)),
		     "setsockopt() fails: EINVAL; the option stays as it was");
	CHECK_EQ_STR(explain_text(&f.c, 3, &notes[3], EXPLAIN_ZH, buf, sizeof(buf)),
		     "TCP_KEEPCNT 3：连续 3 个保活探测都没有回答，内核就放弃这个连接：发送 RST，"
		     "应用程序的调用以 ETIMEDOUT 失败");
}

/* Every line of an explained ladder fits 100 columns, Chinese included. */
static void test_ladder_explained_fits(void)
{
	for (int lang = EXPLAIN_EN; lang <= EXPLAIN_ZH; lang++) {
		struct sink_opts o = { .explain = (__u8)lang };
		struct capture cap;
		struct syn_sink *s;
		struct fake f;
		char *out, line[1024];
		int explained = 0, n;

		fake_loopback(&f);
		capture_start(&cap, &o);
		s = ladder_sink_new(&o);
		s->conn_done(s, &f.c);
		s->destroy(s);
		out = capture_end(&cap);
		n = count_lines(out);
		for (int i = 0; i < n; i++) {
			line_of(out, i, line, sizeof(line));
			if (!strncmp(line, "      # ", 8))
				explained++;
			if (!CHECK(txt_width(line) <= 100))
				fprintf(stderr, "  too wide: %s\n", line);
		}
		CHECK_EQ_INT(explained, 25); /* the 25 notes of test_loopback_story */
		CHECK(strstr(out, lang == EXPLAIN_ZH ? "# 握手 1/3：SYN，客户端请求建立连接"
						     : "# handshake 1/3: SYN, the client asks") != NULL);
		free(out);
	}
}

static void test_wrap_utf8(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	/* 12 wide characters = 24 columns; room is 20 - 2 - 2 = 16: 8 per line */
	txt_wrap_utf8(f, "一二三四五六七八九十百千", 2, "# ", 20);
	fclose(f);
	CHECK_EQ_STR(buf, "  # 一二三四五六七八\n    九十百千\n");
	free(buf);
	CHECK_EQ_INT(txt_width("a：b"), 4);
}

/* English text takes the ASCII path: a line holds room columns exactly,
 * breaks at its last space, cuts a word wider than the room, and the same
 * text with one wide character in it (the slow path) breaks alike. */
static void test_wrap_ascii(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* room 20 - 2 - 2 = 16 columns */
		{ "abcdefghijklmnop", "  # abcdefghijklmnop\n" },             /* 16: fits */
		{ "abcdefgh ijklmnop", "  # abcdefgh\n    ijklmnop\n" },     /* 17: breaks */
		{ "abcdefg hijklmnop q", "  # abcdefg\n    hijklmnop q\n" },
		{ "abcdefghijklmnopqrs tu", "  # abcdefghijklmnop\n    qrs tu\n" }, /* cut */
		{ "a  b", "  # a  b\n" },                                  /* inner spaces kept */
		{ "abc defghijklmnop", "  # abc\n    defghijklmnop\n" },  /* a space at 16 */
		{ "abc defghijklm 一", "  # abc defghijklm\n    一\n" },  /* 17: slow path */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		txt_wrap_utf8(f, cases[i].text, 2, "# ", 20);
		fclose(f);
		CHECK_EQ_STR(buf, cases[i].want);
		free(buf);
	}
}

/* Kinsoku: no line starts with closing punctuation (，。；：、）」 ...) nor
 * ends with an opening bracket; the character before goes down with it. */
static void test_wrap_utf8_kinsoku(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* 8 wide characters a line: the 9th is "；", the 8th goes with it */
		{ "一二三四五六七八；九十", "  # 一二三四五六七\n    八；九十\n" },
		{ "一二三四五六七八，九十", "  # 一二三四五六七\n    八，九十\n" },
		{ "一二三四五六七八。", "  # 一二三四五六七\n    八。\n" },
		{ "一二三四五六七八）九", "  # 一二三四五六七\n    八）九\n" },
		{ "一二三四五六七八」九", "  # 一二三四五六七\n    八」九\n" },
		{ "一二三四五六七八、九", "  # 一二三四五六七\n    八、九\n" },
		{ "一二三四五六七八：九", "  # 一二三四五六七\n    八：九\n" },
		/* the 8th is "（": it opens what follows, it goes down */
		{ "一二三四五六七（八九）", "  # 一二三四五六七\n    （八九）\n" },
		/* two in a row: both stay with the character before them */
		{ "一二三四五六七八）。九", "  # 一二三四五六七\n    八）。九\n" },
		/* a space is still a place to break */
		{ "一二三四五六 abc；", "  # 一二三四五六\n    abc；\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		txt_wrap_utf8(f, cases[i].text, 2, "# ", 20);
		fclose(f);
		CHECK_EQ_STR(buf, cases[i].want);
		free(buf);
	}
}

/* One socket connected to itself: it sends to itself, and only what it
 * sends is explained. */
/* The kernel's CLOSE when a timewait socket takes the lane over: the full
 * socket is freed there only if its descriptor was already closed; a
 * half-closed client still holds it until its close(). */
static void test_timewait_handover(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = ST_TIME_WAIT;
	f.st[S] = ST_LAST_ACK;
	r = fake_state(&f, 1, C, ST_FIN_WAIT2, ST_CLOSE, false);                  /* 0 */
	r->state_after[C] = f.st[C] = ST_TIME_WAIT;
	fake_sys(&f, 2, C, SYN_CALL_READ, SYN_PHASE_RETURN, 3, 0, 0);             /* 1 */
	r = fake_sys(&f, 3, C, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0, 0);         /* 2 */
	r->ev.sys.last_ref = 1;
	fake_row(&f, 4, C, SYN_EV_DESTROY);                                        /* 3 */
	CHECK_EQ_STR(key_at(&f, 0), "state-timewait-socket-held");
	/* the same, closed first: the socket goes at the handover */
	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = ST_FIN_WAIT2;
	r = fake_state(&f, 1, C, ST_FIN_WAIT2, ST_CLOSE, false);                  /* 0 */
	r->state_after[C] = f.st[C] = ST_FIN_WAIT2;
	fake_row(&f, 2, C, SYN_EV_DESTROY);                                        /* 1 */
	CHECK_EQ_STR(key_at(&f, 0), "state-timewait-socket");
}

static void test_self_connect(void)
{
	struct fake f;
	char keys[1024];

	fake_init(&f, 1, AF_INET, "127.0.0.1", 21450, 10, "demo-client",
		  "127.0.0.1", 21450, 10, "demo-client");
	f.st[C] = ST_CLOSE;
	fake_seg(&f, 1, C, SYN_DIR_TX, F_SYN, 100, 0, 0, 512);                     /* 0 */
	fake_seg(&f, 2, C, SYN_DIR_RX, F_SYN, 100, 0, 0, 512);                     /* 1 */
	fake_seg(&f, 3, C, SYN_DIR_TX, F_SYN | F_ACK, 100, 101, 0, 512);          /* 2 */
	fake_seg(&f, 4, C, SYN_DIR_RX, F_SYN | F_ACK, 100, 101, 0, 512);          /* 3 */
	fake_seg(&f, 5, C, SYN_DIR_TX, F_FIN | F_ACK, 101, 101, 0, 512);          /* 4 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "self-connect-syn - self-connect-synack - self-connect-fin");
	/* its own FIN comes back: no "server" sent it */
	fake_seg(&f, 6, C, SYN_DIR_RX, F_FIN | F_ACK, 101, 101, 0, 512);          /* 5 */
	fake_state(&f, 7, C, ST_FIN_WAIT1, ST_CLOSING, false);                     /* 6 */
	CHECK_EQ_STR(key_at(&f, 6), "state-closing-self");
	CHECK(batches_tell_the_whole_story(&f) > 3);
}

/* Calls still in progress when the trace ends (an entry, no return) are
 * no failure and no end of file: a read() waiting for data says nothing,
 * nor does a write() blocked on a full buffer; a non-blocking connect()
 * returning EINPROGRESS is under way, not failed. */
static void test_calls_in_progress(void)
{
	struct fake f;
	char keys[1024];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = ST_CLOSE;
	f.st[S] = ST_LISTEN;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);           /* 0 */
	fake_sys(&f, 1, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -115);       /* 1 */
	fake_sys(&f, 2, C, SYN_CALL_READ, SYN_PHASE_ENTRY, 3, 0, 0);              /* 2 */
	fake_sys(&f, 3, S, SYN_CALL_WRITE, SYN_PHASE_ENTRY, 4, 0, 0);             /* 3 */
	fake_sys(&f, 4, S, SYN_CALL_RECVMSG, SYN_PHASE_ENTRY, 4, 0, 0);           /* 4 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-nonblocking connect-in-progress - - -");
	/* the same calls returning: now they say what happened */
	fake_sys(&f, 5, C, SYN_CALL_READ, SYN_PHASE_RETURN, 3, 0, 0);             /* 5 */
	fake_sys(&f, 6, S, SYN_CALL_WRITE, SYN_PHASE_RETURN, 4, 0, 5);            /* 6 */
	fake_sys(&f, 7, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, -110);       /* 7 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-nonblocking connect-in-progress - - - read-eof write connect-timed-out");
	CHECK_EQ_INT(batches_tell_the_whole_story(&f), 7);
}

/* A non-blocking connect() (curl's, a browser's) returns EINPROGRESS at
 * once and does not wait; its entry says so when its return is in sight.
 * To a peer on another host it returns before the SYN-ACK; on loopback the
 * handshake can complete while the call runs, and it still returns
 * EINPROGRESS (as curl's did on 6.18). A blocking one waits, as before. */
/* A client's non-blocking connect() to a peer on another host: the call,
 * SYN_SENT, the SYN, EINPROGRESS (rows 0-3). */
static void fake_nonblocking_connect(struct fake *f, const char *comm, __u16 port)
{
	fake_init(f, 1, AF_INET, "10.99.0.1", 40000, 10, comm, "10.99.0.2", port, 0, "");
	f->c.end[S].traced = false;
	f->st[C] = ST_CLOSE;
	fake_sys(f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);             /* 0 */
	fake_state(f, 3, C, ST_CLOSE, ST_SYN_SENT, false);                         /* 1 */
	fake_seg(f, 6, C, SYN_DIR_TX, F_SYN, 100, 0, 0, 512);                      /* 2 */
	fake_sys(f, 9, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -EINPROGRESS); /* 3 */
}

static void test_nonblocking_connect(void)
{
	struct fake f;
	char keys[1024], buf[512];

	fake_nonblocking_connect(&f, "curl", 80);
	fake_seg(&f, 300, C, SYN_DIR_RX, F_SYN | F_ACK, 900, 101, 0, 512);         /* 4 */
	fake_state(&f, 301, C, ST_SYN_SENT, ST_ESTABLISHED, false);                /* 5 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-nonblocking state-syn-sent handshake-1 connect-in-progress "
		     "handshake-2 state-established");
	CHECK_EQ_STR(explain_text(&f.c, 3, &notes[3], EXPLAIN_EN, buf, sizeof(buf)),
		     "connect() returns EINPROGRESS, which is no failure: the socket is non-blocking "
		     "and the handshake goes on; the client learns it is done when the socket becomes "
		     "writable (poll, select, epoll)");
	CHECK_EQ_INT(batches_tell_the_whole_story(&f), 5);

	fake_loopback(&f);
	f.rows[9].ev.sys.ret = -EINPROGRESS; /* the client's connect() returns after its ESTABLISHED */
	CHECK_EQ_STR(key_at(&f, 0), "connect-call-nonblocking");
	CHECK_EQ_STR(key_at(&f, 9), "connect-in-progress-done");
	CHECK_EQ_STR(explain_text(&f.c, 0, &notes[0], EXPLAIN_EN, buf, sizeof(buf)),
		     "connect() on a non-blocking socket: the client starts the three-way handshake "
		     "and does not wait for it");
	/* another thread's connect() return is not this call's */
	f.rows[9].ev.tid++;
	CHECK_EQ_STR(key_at(&f, 0), "connect-call");
}

/* A TCP socket made non-blocking by socket()'s own flags: said there; a
 * SOCK_CLOEXEC alone changes nothing TCP does. */
static void test_socket_nonblock(void)
{
	struct fake f;
	char buf[512];

	fake_init(&f, 1, AF_INET, "127.0.0.1", 40000, 10, "curl", "127.0.0.1", 80, 20, "srv");
	fake_sys(&f, 0, C, SYN_CALL_SOCKET, SYN_PHASE_RETURN, 3,
		 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 3);                      /* 0 */
	fake_sys(&f, 1, C, SYN_CALL_SOCKET, SYN_PHASE_RETURN, 4, SOCK_STREAM | SOCK_CLOEXEC, 4); /* 1 */
	CHECK_EQ_STR(key_at(&f, 0), "socket-nonblock");
	CHECK_EQ_STR(key_at(&f, 1), "socket");
	CHECK_EQ_STR(explain_text(&f.c, 0, &notes[0], EXPLAIN_EN, buf, sizeof(buf)),
		     "socket(): a new socket, CLOSED, with no address yet; SOCK_NONBLOCK makes it "
		     "non-blocking: connect(), accept() and read() on it return at once (EINPROGRESS, "
		     "EAGAIN) rather than wait");
}

/* getsockopt(SO_ERROR) answering value (ret 0), or failing (ret < 0: no value). */
static void fake_so_error(struct fake *f, __u64 t_us, __s32 value, __s64 ret)
{
	struct conn_row *r = fake_sys(f, t_us, C, SYN_CALL_GETSOCKOPT, SYN_PHASE_RETURN, 5,
				      SO_ERROR, ret);

	r->ev.sys.level = SOL_SOCKET;
	r->ev.sys.vlen = ret ? 0 : 4;
	r->ev.sys.val[0] = ret ? 0 : value;
}

/* How curl learns what became of its non-blocking connect(): refused (an
 * RST answered the SYN), open (0), another error by name ({why}); a failed
 * getsockopt() answers nothing and is not explained. */
static void test_so_error_answers(void)
{
	struct fake f;
	char keys[1024], buf[512];

	fake_nonblocking_connect(&f, "curl", 1);
	fake_seg(&f, 300, C, SYN_DIR_RX, F_RST | F_ACK, 0, 101, 0, 0);             /* 4 */
	fake_state(&f, 301, C, ST_SYN_SENT, ST_CLOSE, false);                      /* 5 */
	fake_so_error(&f, 400, ECONNREFUSED, 0);                                   /* 6 */
	fake_so_error(&f, 410, 0, 0);                                              /* 7 */
	fake_so_error(&f, 420, ETIMEDOUT, 0);                                      /* 8 */
	fake_so_error(&f, 430, 200, 0);                                            /* 9 */
	fake_so_error(&f, 440, 0, -EFAULT);                                        /* 10 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-nonblocking state-syn-sent handshake-1 connect-in-progress "
		     "rst-refused state-closed so-error-refused so-error-none so-error so-error -");
	CHECK_EQ_STR(explain_text(&f.c, 6, &notes[6], EXPLAIN_EN, buf, sizeof(buf)),
		     "getsockopt(SO_ERROR) answers ECONNREFUSED: an RST answered the SYN, the "
		     "connection was refused; this is how the client learns that its non-blocking "
		     "connect() failed (reading the error clears it)");
	CHECK_EQ_STR(explain_text(&f.c, 7, &notes[7], EXPLAIN_EN, buf, sizeof(buf)),
		     "getsockopt(SO_ERROR) answers 0: no error waits on the socket; after a "
		     "non-blocking connect() this is how the client learns that the connection is open");
	CHECK_EQ_STR(explain_text(&f.c, 8, &notes[8], EXPLAIN_EN, buf, sizeof(buf)),
		     "getsockopt(SO_ERROR) answers ETIMEDOUT: the error that ended the client's "
		     "connection attempt (or its connection), kept on the socket until read; after a "
		     "non-blocking connect() this is how the client learns that it failed");
	CHECK_CONTAINS(explain_text(&f.c, 9, &notes[9], EXPLAIN_EN, buf, sizeof(buf)),
		       "answers errno 200: ");
	CHECK_CONTAINS(explain_text(&f.c, 8, &notes[8], EXPLAIN_ZH, buf, sizeof(buf)),
		       "getsockopt(SO_ERROR) 返回 ETIMEDOUT：结束客户端这次连接尝试");
	CHECK_EQ_INT(batches_tell_the_whole_story(&f), 10);
}

/* Asked again (hiredis after poll()): still under way (EALREADY), then
 * open (0, EISCONN); nothing is sent. */
static void test_connect_asked_again(void)
{
	struct fake f;
	char keys[1024];

	fake_nonblocking_connect(&f, "redis-cli", 6379);
	fake_sys(&f, 20, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);           /* 4 */
	fake_sys(&f, 21, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -114);       /* 5 */
	fake_seg(&f, 300, C, SYN_DIR_RX, F_SYN | F_ACK, 900, 101, 0, 512);         /* 6 */
	fake_state(&f, 301, C, ST_SYN_SENT, ST_ESTABLISHED, false);                /* 7 */
	fake_sys(&f, 310, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);          /* 8 */
	fake_sys(&f, 311, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, 0);         /* 9 */
	fake_sys(&f, 320, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);          /* 10 */
	fake_sys(&f, 321, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -106);      /* 11 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)),
		     "connect-call-nonblocking state-syn-sent handshake-1 connect-in-progress "
		     "connect-again connect-again-busy handshake-2 state-established "
		     "connect-again connect-again-open connect-again connect-again-open");
	CHECK_EQ_INT(batches_tell_the_whole_story(&f), 11);
}

/* Resets: an RST answering a SYN from a lane with a socket is no refusal
 * (something was there); one the kernel made itself, with no RST arriving,
 * is its own abort; a read() returning 0 after a reset, without the peer's
 * FIN, is no orderly end of file. */
static void test_resets_told_apart(void)
{
	struct fake f;
	struct conn_row *r;
	char keys[1024];

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.c.end[S].sock_id = 0x51; /* the server lane had a socket */
	f.st[C] = ST_CLOSE;
	fake_sys(&f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);          /* 0 */
	fake_seg_both(&f, 2, 3, C, F_SYN, 100, 0, 0, 512);                       /* 1, 2 */
	fake_seg_both(&f, 5, 6, S, F_RST | F_ACK, 0, 101, 0, 0);                 /* 3, 4 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)), "connect-call handshake-1 - rst -");

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	r = fake_row(&f, 1, S, SYN_EV_RESET);                                    /* 0 */
	r->ev.rst.kind = SYN_RESET_RECEIVED;
	r->marks |= ROW_NO_RST;
	fake_seg_both(&f, 3, 4, S, F_RST | F_ACK, 300, 101, 0, 0);               /* 1, 2 */
	fake_sys(&f, 5, C, SYN_CALL_READ, SYN_PHASE_RETURN, 3, 0, 0);            /* 3 */
	CHECK_EQ_STR(keys_of(&f, keys, sizeof(keys)), "rst-kernel-abort rst - read-after-reset");

	/* after the peer's FIN, 0 is the end of file, a reset or not after it */
	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = f.st[S] = ST_ESTABLISHED;
	fake_seg_both(&f, 1, 2, S, F_FIN | F_ACK, 300, 101, 0, 512);             /* 0, 1 */
	fake_seg_both(&f, 3, 4, S, F_RST | F_ACK, 301, 101, 0, 0);               /* 2, 3 */
	fake_sys(&f, 5, C, SYN_CALL_READ, SYN_PHASE_RETURN, 3, 0, 0);            /* 4 */
	CHECK_EQ_STR(key_at(&f, 4), "read-eof");
	CHECK(batches_tell_the_whole_story(&f) > 1);
}

/* Linux reports FIN_WAIT2 -> CLOSE for the full socket while the lane goes
 * on in a timewait socket: that report is explained as the hand-over. */
static void test_timewait_socket_takes_over(void)
{
	struct fake f;
	struct conn_row *r;

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f.st[C] = ST_FIN_WAIT2;
	f.st[S] = ST_CLOSE_WAIT;
	r = fake_state(&f, 1, C, ST_FIN_WAIT2, ST_CLOSE, false);                  /* 0 */
	r->state_after[C] = f.st[C] = ST_FIN_WAIT2; /* the lane stays in FIN-WAIT-2 */
	fake_row(&f, 2, C, SYN_EV_DESTROY);   /* closed already: freed right there */
	CHECK_EQ_STR(key_at(&f, 0), "state-timewait-socket");
	r->state_after[C] = f.st[C] = ST_CLOSE;     /* the lane's own end */
	CHECK_EQ_STR(key_at(&f, 0), "state-closed");
}

int main(void)
{
	RUN(test_loopback_story);
	RUN(test_texts_name_the_right_lanes);
	RUN(test_merged_fin_ack);
	RUN(test_half_close_in_batches);
	RUN(test_fin_acked_by_data);
	RUN(test_connect_given_up);
	RUN(test_connect_refused_within_the_call);
	RUN(test_simultaneous_close);
	RUN(test_resent_fin_in_a_later_batch);
	RUN(test_reset_after_accept_in_batches);
	RUN(test_reset_for_data_after_close);
	RUN(test_simultaneous_open);
	RUN(test_refused);
	RUN(test_exit_and_dup);
	RUN(test_accept_queue);
	RUN(test_udp_and_drops);
	RUN(test_listener_setup_and_options);
	RUN(test_udp_calls);
	RUN(test_mmsg_calls);
	RUN(test_close_after_shutdown);
	RUN(test_keepalive);
	RUN(test_ladder_explained_fits);
	RUN(test_wrap_utf8);
	RUN(test_wrap_utf8_kinsoku);
	RUN(test_wrap_ascii);
	RUN(test_self_connect);
	RUN(test_nonblocking_connect);
	RUN(test_socket_nonblock);
	RUN(test_connect_asked_again);
	RUN(test_so_error_answers);
	RUN(test_other_write_and_read_calls);
	RUN(test_timewait_handover);
	RUN(test_calls_in_progress);
	RUN(test_resets_told_apart);
	RUN(test_timewait_socket_takes_over);
	return TEST_SUMMARY();
}
