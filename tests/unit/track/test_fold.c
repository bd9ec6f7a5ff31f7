/* The story summarizer (userspace/fold.c) against a simple model: random
 * streams of a connection's processed rows, ordinary (data segments and
 * ACKs, each seen leaving one lane and arriving at the other a few rows
 * later; read()/write() calls) and control (state changes, other calls,
 * SYN/FIN/RST, retransmissions, zero windows and the update after them,
 * keepalive probes, inferred states, EOF and failed calls), handed to
 * fold_rows() in batches cut where no pair is split, as the tracker does.
 * The generator knows which rows are control rows; the model checks:
 *  - every row is in the story or counted in exactly one summary row (each
 *    row carries its serial number; summaries count rows, segments, bytes,
 *    reads and writes per lane, and they add up to the rows not drawn);
 *  - both sightings of a segment are drawn, or both folded;
 *  - every control row is drawn;
 *  - the story is in time order, each summary row between the rows around
 *    the ones it stands for;
 *  - a run of ordinary rows draws at most FOLD_HEAD + FOLD_TAIL of them and
 *    their partners (plus the summary rows), however long it is;
 *  - with every row asked for (-v), nothing folds;
 *  - past FOLD_MAX story rows, rows fold but control rows that move the
 *    connection through its states stay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "track/fold.h"

#define CLIENT 0
#define SERVER 1

struct gen {
	struct conn_row *rows;
	bool *control;          /* by serial: a row the story must draw */
	size_t n, cap;
	__u32 seq[2];           /* the next sequence number each lane sends */
	bool seq_sent[2];       /* a lane has sent a segment */
	bool zero_win[2];       /* a lane's last segment announced a zero window */
	__u64 ts;
	unsigned int rng;
	/* arrivals still to come: their transmission's serial, rows to wait */
	struct { size_t tx; int wait; } later[8];
	int nlater;
};

static unsigned int rnd(struct gen *g, unsigned int n)
{
	g->rng = g->rng * 1103515245u + 12345u;
	return (g->rng >> 8) % n;
}

static struct conn_row *add(struct gen *g, int lane, bool control)
{
	struct conn_row *r;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->rows = realloc(g->rows, g->cap * sizeof(*g->rows));
		g->control = realloc(g->control, g->cap * sizeof(*g->control));
		if (!g->rows || !g->control)
			abort();
	}
	r = &g->rows[g->n];
	memset(r, 0, sizeof(*r));
	r->ev.ts_ns = g->ts += 1 + rnd(g, 1000);
	r->ev.tid = (__u32)g->n; /* the serial: which row a story row is */
	r->end = (__u8)lane;
	r->pair = -1;
	r->state_after[0] = r->state_after[1] = 1;
	g->control[g->n] = control;
	g->n++;
	return r;
}

/* The arrival of a transmission at the other lane (both lanes are on
 * this host), paired with it. */
static void arrive(struct gen *g, size_t tx)
{
	struct conn_row *r = add(g, !g->rows[tx].end, g->control[tx]);

	r->ev.kind = SYN_EV_SEGMENT;
	r->ev.seg = g->rows[tx].ev.seg;
	r->ev.seg.dir = SYN_DIR_RX;
	r->marks = g->rows[tx].marks;
	r->pair = (__s32)tx;
	g->rows[tx].pair = (__s32)(g->n - 1);
}

/* Arrivals whose wait is over; all of them with flush. */
static void arrivals(struct gen *g, bool flush)
{
	for (int i = 0; i < g->nlater;) {
		if (flush || --g->later[i].wait < 0) {
			arrive(g, g->later[i].tx);
			g->later[i] = g->later[--g->nlater];
		} else {
			i++;
		}
	}
}

/* A segment sent by lane: flags, payload, window, marks; seq from the
 * lane's count (a retransmission resends what came before). */
static void segment(struct gen *g, int lane, __u8 flags, __u32 len, __u16 win, __u8 marks,
		    bool control)
{
	struct conn_row *r;

	if (g->zero_win[lane])
		control = true; /* the window update after a zero window */
	g->zero_win[lane] = win == 0;
	r = add(g, lane, control);
	r->ev.kind = SYN_EV_SEGMENT;
	r->ev.seg.dir = SYN_DIR_TX;
	r->ev.seg.flags = flags;
	r->ev.seg.len = len;
	r->ev.seg.win = win;
	r->ev.seg.ack = g->seq[!lane];
	r->marks = marks;
	if (marks & ROW_RETRANSMIT) {
		r->ev.seg.seq = g->seq[lane] - len;
	} else if (!len && !(flags & (SYN_TCP_SYN | SYN_TCP_FIN)) && control && g->seq_sent[lane] &&
		   win) {
		r->ev.seg.seq = g->seq[lane] - 1; /* a keepalive probe */
	} else {
		r->ev.seg.seq = g->seq[lane];
		g->seq[lane] += len + !!(flags & SYN_TCP_SYN) + !!(flags & SYN_TCP_FIN);
	}
	g->seq_sent[lane] = true;
	if (g->nlater < 8 && rnd(g, 4)) {
		g->later[g->nlater].tx = g->n - 1;
		g->later[g->nlater].wait = (int)rnd(g, 4);
		g->nlater++;
	} else {
		arrive(g, g->n - 1);
	}
}

static void call(struct gen *g, int lane, __u8 call, __u8 phase, __s64 ret, bool control)
{
	struct conn_row *r = add(g, lane, control);

	r->ev.kind = SYN_EV_SYSCALL;
	r->ev.sys.call = call;
	r->ev.sys.phase = phase;
	r->ev.sys.ret = ret;
}

/* Every call that moves a stream's bytes is ordinary, whichever the
 * program uses (nginx's writev() and sendfile(), Python's sendto()). */
static const __u8 write_calls[] = { SYN_CALL_WRITE, SYN_CALL_SENDTO, SYN_CALL_SENDMSG,
				    SYN_CALL_WRITEV, SYN_CALL_SENDFILE };
static const __u8 read_calls[] = { SYN_CALL_READ, SYN_CALL_RECVFROM, SYN_CALL_RECVMSG,
				   SYN_CALL_READV };

static bool model_writes(__u8 call)
{
	return memchr(write_calls, call, sizeof(write_calls)) != NULL;
}

static void ordinary(struct gen *g)
{
	int lane = (int)rnd(g, 2);
	__u32 len = 1 + rnd(g, 1400);
	__u8 w = write_calls[rnd(g, sizeof(write_calls))];
	__u8 r = read_calls[rnd(g, sizeof(read_calls))];

	switch (rnd(g, 4)) {
	case 0:
		segment(g, lane, SYN_TCP_PSH | SYN_TCP_ACK, len, 512, 0, false);
		break;
	case 1:
		segment(g, lane, SYN_TCP_ACK, 0, 512, 0, false);
		break;
	case 2:
		call(g, lane, w, SYN_PHASE_ENTRY, 0, false);
		call(g, lane, w, SYN_PHASE_RETURN, len, false);
		break;
	default:
		call(g, lane, r, SYN_PHASE_ENTRY, 0, false);
		call(g, lane, r, SYN_PHASE_RETURN, rnd(g, 3) ? (__s64)len : -EAGAIN, false);
		break;
	}
}

static void control(struct gen *g)
{
	int lane = (int)rnd(g, 2);
	struct conn_row *r;

	switch (rnd(g, 9)) {
	case 0:
		r = add(g, lane, true);
		r->ev.kind = SYN_EV_STATE;
		r->ev.state.oldstate = 1;
		r->ev.state.newstate = 8;
		r->marks = rnd(g, 2) ? ROW_INFERRED : 0;
		break;
	case 1:
		call(g, lane, rnd(g, 2) ? SYN_CALL_CLOSE : SYN_CALL_SHUTDOWN, (__u8)rnd(g, 2), 0, true);
		break;
	case 2:
		segment(g, lane, SYN_TCP_FIN | SYN_TCP_ACK, 0, 512, 0, true);
		break;
	case 3:
		segment(g, lane, rnd(g, 2) ? SYN_TCP_SYN : SYN_TCP_RST, 0, 512, 0, true);
		break;
	case 4:
		if (g->seq_sent[lane] && g->seq[lane] > 100)
			segment(g, lane, SYN_TCP_PSH | SYN_TCP_ACK, 10, 512, ROW_RETRANSMIT, true);
		break;
	case 5:
		segment(g, lane, SYN_TCP_ACK, 0, 0, 0, true); /* zero window */
		break;
	case 6:
		if (g->seq_sent[lane])
			segment(g, lane, SYN_TCP_ACK, 0, 512, 0, true); /* probe */
		break;
	case 7:
		call(g, lane, SYN_CALL_READ, SYN_PHASE_RETURN, 0, true); /* EOF */
		break;
	default:
		call(g, lane, SYN_CALL_WRITE, SYN_PHASE_RETURN, -EPIPE, true);
		break;
	}
}

/* A stream: runs of ordinary rows (some long) between control rows. */
static void generate(struct gen *g, unsigned int seed, size_t runs, size_t max_run)
{
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	g->seq[0] = 1000;
	g->seq[1] = 5000;
	for (size_t i = 0; i < runs; i++) {
		size_t len = rnd(g, 3) ? rnd(g, 40) : rnd(g, (unsigned int)max_run + 1);

		for (size_t k = 0; k < len; k++) {
			ordinary(g);
			arrivals(g, false);
		}
		for (unsigned int k = 1 + rnd(g, 3); k > 0; k--) {
			control(g);
			arrivals(g, false);
		}
	}
	arrivals(g, true);
}

/* Feed the stream in batches cut where no pair is split, each batch's pair
 * indexes made relative to it. */
static bool feed(struct gen *g, struct fold *f, struct conn *c, unsigned int seed)
{
	struct conn_row *batch = malloc(g->n * sizeof(*batch));
	size_t start = 0;
	bool ok = batch != NULL;

	g->rng = seed;
	while (ok && start < g->n) {
		size_t end = start + 1 + rnd(g, 600), reach = start;

		if (end > g->n)
			end = g->n;
		/* a pair must not cross the cut: move the cut past its partner */
		for (size_t i = start; i < end || i < reach; i++) {
			if (g->rows[i].ev.kind == SYN_EV_SEGMENT && g->rows[i].pair >= 0 &&
			    (size_t)g->rows[i].pair + 1 > reach)
				reach = (size_t)g->rows[i].pair + 1;
			if (i + 1 >= end && i + 1 >= reach) {
				end = i + 1;
				break;
			}
		}
		for (size_t i = start; i < end; i++) {
			batch[i - start] = g->rows[i];
			if (batch[i - start].ev.kind == SYN_EV_SEGMENT && batch[i - start].pair >= 0)
				batch[i - start].pair -= (__s32)start;
		}
		ok = fold_rows(f, c, batch, end - start);
		start = end;
	}
	free(batch);
	return ok && fold_end(f, c);
}

/* Segments and bytes sent, writes and reads that returned data, per lane. */
struct tally {
	__u64 segs[2], bytes[2], writes[2], reads[2];
};

static void tally_row(struct tally *t, const struct conn_row *r)
{
	if (r->ev.kind == SYN_EV_SEGMENT && r->ev.seg.dir == SYN_DIR_TX) {
		t->segs[r->end]++;
		t->bytes[r->end] += r->ev.seg.len;
	} else if (r->ev.kind == SYN_EV_SYSCALL && r->ev.sys.phase == SYN_PHASE_RETURN &&
		   r->ev.sys.ret > 0) {
		(model_writes(r->ev.sys.call) ? t->writes : t->reads)[r->end]++;
	}
}

static void tally_summary(struct tally *t, const struct conn_summary *s)
{
	for (int l = 0; l < 2; l++) {
		t->segs[l] += s->segs[l];
		t->bytes[l] += s->bytes[l];
		t->writes[l] += s->writes[l];
		t->reads[l] += s->reads[l];
	}
}

/* What the folded connection shows: its rows (each story row once, by its
 * serial in ev.tid, in order) and summaries (in time between them). */
struct shown {
	size_t nsum, drawn_rows;
	__u64 sum_rows;
	bool order_ok, serial_ok;
	struct tally t;
};

static void scan_shown(const struct gen *g, const struct conn *c, bool *drawn, struct shown *w)
{
	size_t last_serial = 0;
	__u64 prev_ts = 0;

	*w = (struct shown){ .order_ok = true, .serial_ok = true };
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];

		if (r->ev.kind == CONN_ROW_SUMMARY) {
			const struct conn_summary *s = &c->sums[r->summary];

			w->nsum++;
			w->sum_rows += s->rows;
			tally_summary(&w->t, s);
			if (s->ts_first < prev_ts || s->ts_last < s->ts_first)
				w->order_ok = false;
			if (i + 1 < c->nrows && c->rows[i + 1].ev.kind != CONN_ROW_SUMMARY &&
			    c->rows[i + 1].ev.ts_ns < s->ts_last)
				w->order_ok = false;
			prev_ts = s->ts_last;
			continue;
		}
		if (r->ev.ts_ns < prev_ts)
			w->order_ok = false;
		prev_ts = r->ev.ts_ns;
		if (r->ev.tid >= g->n || drawn[r->ev.tid] ||
		    (w->drawn_rows && r->ev.tid <= last_serial))
			w->serial_ok = false; /* unknown, twice, or out of order */
		else
			drawn[r->ev.tid] = true;
		last_serial = r->ev.tid;
		w->drawn_rows++;
		tally_row(&w->t, r);
	}
}

/* A run draws its head and tail and the partners of those: the bound
 * depends on how many runs and control rows there are, not on how long a
 * run is. */
static bool within_bound(const struct gen *g, const struct conn *c)
{
	size_t ncontrol = 0, nruns = 0;

	for (size_t i = 0; i < g->n; i++) {
		ncontrol += g->control[i];
		if (!g->control[i] && (i == 0 || g->control[i - 1]))
			nruns++;
	}
	return c->nrows <= 2 * ncontrol + nruns * (4 * (FOLD_HEAD + FOLD_TAIL) + 8);
}

/* What the model says of one story. */
static void check_story(struct gen *g, const struct conn *c, bool all)
{
	bool *drawn = calloc(g->n, sizeof(*drawn)), pair_ok = true, control_ok = true;
	struct tally want = { 0 };
	struct shown w;
	__u64 folded_rows = 0;

	if (!CHECK(drawn))
		return;
	scan_shown(g, c, drawn, &w);
	for (size_t i = 0; i < g->n; i++) {
		const struct conn_row *r = &g->rows[i];

		folded_rows += !drawn[i];
		if (g->control[i] && !drawn[i])
			control_ok = false;
		if (r->ev.kind == SYN_EV_SEGMENT && r->pair >= 0 && drawn[i] != drawn[r->pair])
			pair_ok = false;
		tally_row(&want, r);
	}
	CHECK(w.serial_ok);
	CHECK(w.order_ok);
	CHECK(pair_ok);
	CHECK(control_ok);
	CHECK(all || within_bound(g, c));
	CHECK_EQ_INT(c->events, g->n);
	CHECK_EQ_INT(w.drawn_rows + w.sum_rows, g->n);
	CHECK_EQ_INT(folded_rows, w.sum_rows);
	CHECK_EQ_INT(c->folded, w.sum_rows);
	CHECK_EQ_INT(c->nrows, w.drawn_rows + w.nsum);
	for (int l = 0; l < 2; l++) {
		CHECK_EQ_INT(w.t.segs[l], want.segs[l]);
		CHECK_EQ_INT(w.t.bytes[l], want.bytes[l]);
		CHECK_EQ_INT(w.t.writes[l], want.writes[l]);
		CHECK_EQ_INT(w.t.reads[l], want.reads[l]);
	}
	if (all)
		CHECK_EQ_INT(w.nsum, 0);
	free(drawn);
}

static void run_model(unsigned int seed, size_t runs, size_t max_run, bool all)
{
	struct gen g;
	struct fold f;
	struct conn c;

	generate(&g, seed, runs, max_run);
	memset(&c, 0, sizeof(c));
	c.end[0].traced = c.end[1].traced = true;
	fold_init(&f, all);
	CHECK(feed(&g, &f, &c, seed * 7 + 1));
	check_story(&g, &c, all);
	free(c.rows);
	free(c.sums);
	free(g.rows);
	free(g.control);
}

static void test_random_streams_against_the_model(void)
{
	int before = test_checks_failed;

	for (unsigned int seed = 1; seed <= 300 && test_checks_failed == before; seed++) {
		run_model(seed, 1 + seed % 60, seed % 3 ? 200 : 3000, false);
		if (test_checks_failed != before)
			fprintf(stderr, "  (seed %u)\n", seed);
	}
}

static void test_every_row_with_v(void)
{
	int before = test_checks_failed;

	for (unsigned int seed = 1; seed <= 40 && test_checks_failed == before; seed++)
		run_model(seed, 20, 500, true);
}

/* One long run: the story stays the same size whatever its length. */
static void test_long_run_is_bounded(void)
{
	size_t rows[2];

	for (int k = 0; k < 2; k++) {
		struct gen g;
		struct fold f;
		struct conn c;

		memset(&g, 0, sizeof(g));
		g.rng = 5;
		g.seq[0] = 1000;
		g.seq[1] = 5000;
		control(&g);
		for (size_t i = 0; i < (k ? 100000u : 1000u); i++) {
			ordinary(&g);
			arrivals(&g, false);
		}
		arrivals(&g, true);
		memset(&c, 0, sizeof(c));
		c.end[0].traced = c.end[1].traced = true;
		fold_init(&f, false);
		CHECK(feed(&g, &f, &c, 3));
		check_story(&g, &c, false);
		rows[k] = c.nrows;
		free(c.rows);
		free(c.sums);
		free(g.rows);
		free(g.control);
	}
	CHECK(rows[1] <= rows[0] + 4);
	CHECK(rows[1] <= 2 * (FOLD_HEAD + FOLD_TAIL) + 8);
}

/* Past FOLD_MAX story rows (a stream of nothing but control rows), the
 * rest folds but the rows that move the connection through its states
 * stay, and everything is still counted. */
static void test_cap_keeps_essential_rows(void)
{
	struct gen g;
	struct fold f;
	struct conn c;
	size_t states = 0, drawn_states = 0, sum_rows = 0;

	memset(&g, 0, sizeof(g));
	g.rng = 9;
	for (size_t i = 0; i < FOLD_MAX + 5000; i++) {
		struct conn_row *r = add(&g, (int)(i & 1), true);

		if (i % 10 == 0) {
			r->ev.kind = SYN_EV_STATE;
			r->ev.state.oldstate = 1;
			r->ev.state.newstate = 8;
			states++;
		} else {
			r->ev.kind = SYN_EV_SYSCALL; /* EOF reads: control, not essential */
			r->ev.sys.call = SYN_CALL_READ;
			r->ev.sys.phase = SYN_PHASE_RETURN;
		}
	}
	memset(&c, 0, sizeof(c));
	c.end[0].traced = c.end[1].traced = true;
	fold_init(&f, false);
	CHECK(feed(&g, &f, &c, 11));
	for (size_t i = 0; i < c.nrows; i++) {
		if (c.rows[i].ev.kind == SYN_EV_STATE)
			drawn_states++;
		if (c.rows[i].ev.kind == CONN_ROW_SUMMARY)
			sum_rows += c.sums[c.rows[i].summary].rows;
	}
	CHECK_EQ_INT(drawn_states, states);
	CHECK(c.nrows <= FOLD_MAX + states + 2 * (FOLD_MAX + 5000 - FOLD_MAX) / 9);
	CHECK(sum_rows > 0);
	CHECK_EQ_INT(c.events, FOLD_MAX + 5000);
	CHECK_EQ_INT(c.folded, sum_rows);
	free(c.rows);
	free(c.sums);
	free(g.rows);
	free(g.control);
}

int main(void)
{
	RUN(test_random_streams_against_the_model);
	RUN(test_every_row_with_v);
	RUN(test_long_run_is_bounded);
	RUN(test_cap_keeps_essential_rows);
	return TEST_SUMMARY();
}
