/* The per-CPU rings' merge, on rings laid out in memory the way the kernel
 * maps them for a reader: time order out, nothing lost or doubled, each
 * ring's space given back only for what went out. */
#include <linux/bpf.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "source/live/ring_merge.h"

#define RING_BYTES 1024 /* 8 records of an event */
#define MAXEV 16384

/* A ring and its reader's view. The data area is followed by a copy of
 * itself, as the kernel maps it twice in a row. */
struct fake_ring {
	unsigned long cons, prod;
	unsigned char data[2 * RING_BYTES];
	struct ring_view view;
};

static void fake_init(struct fake_ring *f, unsigned long start)
{
	memset(f, 0, sizeof(*f));
	f->cons = f->prod = start;
	f->view.consumer_pos = &f->cons;
	f->view.producer_pos = &f->prod;
	f->view.data = f->data;
	f->view.mask = RING_BYTES - 1;
}

static void fake_put(struct fake_ring *f, unsigned long pos, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long at = (pos + i) & (RING_BYTES - 1);

		f->data[at] = f->data[at + RING_BYTES] = ((const unsigned char *)p)[i];
	}
}

/* Write a record the way bpf_ringbuf_reserve/submit leave it: a length
 * (with the busy or discard bit) and a page offset, then the data. Returns
 * where its length word is, or ULONG_MAX when the ring is full. */
static unsigned long fake_write(struct fake_ring *f, __u32 bits, __u32 size, __u64 ts, __u32 tid)
{
	struct syn_event e = { 0 };
	__u32 hdr[2] = { size | bits, 0 };
	unsigned long at = f->prod, bytes = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;

	if (f->prod + bytes - f->cons > RING_BYTES)
		return ULONG_MAX;
	e.ts_ns = ts;
	e.tid = tid;
	fake_put(f, at, hdr, sizeof(hdr));
	fake_put(f, at + BPF_RINGBUF_HDR_SZ, &e, size < sizeof(e) ? size : sizeof(e));
	f->prod += bytes;
	return at;
}

static void push(struct fake_ring *f, __u64 ts, __u32 tid)
{
	CHECK(fake_write(f, 0, sizeof(struct syn_event), ts, tid) != ULONG_MAX);
}

/* A record being written is committed: its busy bit cleared. */
static void fake_commit(struct fake_ring *f, unsigned long at)
{
	__u32 len = sizeof(struct syn_event);

	fake_put(f, at, &len, sizeof(len));
}

struct got {
	__u64 ts[MAXEV];
	__u32 tid[MAXEV];
	size_t n;
};

static void collect(void *ctx, const struct syn_event *e)
{
	struct got *g = ctx;

	if (g->n < MAXEV) {
		g->ts[g->n] = e->ts_ns;
		g->tid[g->n] = e->tid;
	}
	g->n++;
}

/* The tids let out so far, from the first, are want[]. */
static void check_tids(const struct got *g, const __u32 *want, size_t n)
{
	CHECK_EQ_INT(g->n, n);
	for (size_t i = 0; i < n && i < g->n; i++)
		CHECK_EQ_INT(g->tid[i], want[i]);
}

static struct fake_ring ring[64];
static struct ring_merge M;

/* n fake rings, each starting at its own position, in M. */
/* n rings, ring i starting at i * start_step (a multiple of 8: the kernel
 * keeps every record 8-byte aligned, and the reader relies on it). */
static void setup(int n, unsigned long start_step)
{
	CHECK(start_step % 8 == 0);
	ring_merge_free(&M);
	CHECK_EQ_INT(ring_merge_init(&M, n), 0);
	for (int i = 0; i < n; i++) {
		fake_init(&ring[i], (unsigned long)i * start_step);
		M.rings[i] = ring[i].view;
	}
}

static void test_two_rings_come_out_in_time_order(void)
{
	struct got g = { 0 };
	bool held = true;

	setup(2, 0);
	push(&ring[0], 10, 1);
	push(&ring[0], 30, 3);
	push(&ring[0], 50, 5);
	push(&ring[1], 20, 2);
	push(&ring[1], 40, 4);
	push(&ring[1], 60, 6);
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, &held), 6);
	check_tids(&g, (const __u32[]){ 1, 2, 3, 4, 5, 6 }, 6);
	CHECK(!held);
	/* all space given back */
	CHECK_EQ_INT(ring[0].cons, ring[0].prod);
	CHECK_EQ_INT(ring[1].cons, ring[1].prod);
}

static void test_events_at_or_after_the_horizon_stay_in_their_ring(void)
{
	struct got g = { 0 };
	bool held = false;

	setup(2, 0);
	push(&ring[0], 100, 1);
	push(&ring[0], 300, 3);
	push(&ring[1], 200, 2);
	CHECK_EQ_INT(ring_merge_deliver(&M, 300, collect, &g, &held), 2);
	check_tids(&g, (const __u32[]){ 1, 2 }, 2);
	CHECK(held);
	/* the held one's space is still the ring's */
	CHECK_EQ_INT(ring[0].prod - ring[0].cons, 128);
	CHECK_EQ_INT(ring[1].cons, ring[1].prod);
	/* ring 1 then delivers what came before ring 0's held one */
	push(&ring[1], 250, 4);
	push(&ring[0], 400, 5);
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, &held), 3);
	check_tids(&g, (const __u32[]){ 1, 2, 4, 3, 5 }, 5);
	CHECK(!held);
}

/* A softirq's program ran between another's reserve and its clock read: the
 * ring's order is the order the tracepoints fired in, and is kept. */
static void test_a_ring_keeps_its_own_order(void)
{
	struct got g = { 0 };

	setup(2, 0);
	push(&ring[0], 10, 1);
	push(&ring[0], 40, 4);
	push(&ring[0], 20, 2);
	push(&ring[1], 30, 3);
	ring_merge_deliver(&M, UINT64_MAX, collect, &g, NULL);
	check_tids(&g, (const __u32[]){ 1, 3, 4, 2 }, 4);
}

static void test_equal_times_go_lower_ring_first(void)
{
	struct got g = { 0 };

	setup(3, 0);
	push(&ring[2], 5, 3);
	push(&ring[1], 5, 2);
	push(&ring[0], 5, 1);
	ring_merge_deliver(&M, UINT64_MAX, collect, &g, NULL);
	check_tids(&g, (const __u32[]){ 1, 2, 3 }, 3);
}

/* A record still being written stops its ring, not the others; once
 * committed it goes out, and what came after it in its ring. */
/* A record still being written (stamped 10) holds back what other rings
 * have from its stamp on: they went out first (20 before 10), and -f stream
 * printed a line after a later one. What is older goes out; the rest once it
 * is committed, in time order. */
static void test_a_record_being_written_holds_back_what_is_newer(void)
{
	struct got g = { 0 };
	unsigned long at;
	bool held = false;

	setup(2, 0);
	at = fake_write(&ring[0], BPF_RINGBUF_BUSY_BIT, sizeof(struct syn_event), 10, 1);
	push(&ring[0], 30, 3);
	push(&ring[1], 5, 4);
	push(&ring[1], 20, 2);
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, &held), 1);
	check_tids(&g, (const __u32[]){ 4 }, 1);
	CHECK(held);
	CHECK_EQ_INT(ring[0].cons, 0);
	fake_commit(&ring[0], at);
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, &held), 3);
	check_tids(&g, (const __u32[]){ 4, 1, 2, 3 }, 4);
	CHECK(!held);
}

/* Its program not done yet (its CPU taken away), such a record is waited for,
 * not forever: with hold_busy off (the drain's last try) the other rings go. */
static void test_a_stuck_record_stops_only_its_ring_at_the_end(void)
{
	struct got g = { 0 };
	bool held = false;

	setup(2, 0);
	CHECK(fake_write(&ring[0], BPF_RINGBUF_BUSY_BIT, sizeof(struct syn_event), 10, 1) !=
	      ULONG_MAX);
	push(&ring[0], 30, 3);
	push(&ring[1], 20, 2);
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, &held), 0);
	M.hold_busy = false;
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, &held), 1);
	check_tids(&g, (const __u32[]){ 2 }, 1);
	CHECK(held);
}

static void test_discarded_and_short_records_are_skipped(void)
{
	struct got g = { 0 };

	setup(2, 0);
	push(&ring[0], 10, 1);
	CHECK(fake_write(&ring[0], BPF_RINGBUF_DISCARD_BIT, sizeof(struct syn_event), 15, 9) !=
	      ULONG_MAX);
	CHECK(fake_write(&ring[0], 0, 12, 16, 8) != ULONG_MAX);
	push(&ring[0], 20, 2);
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, NULL), 2);
	check_tids(&g, (const __u32[]){ 1, 2 }, 2);
	CHECK_EQ_INT(ring[0].cons, ring[0].prod);
}

/* Positions run on past the ring's size; a record that starts near the end
 * reads on into the second mapping. */
static void test_records_across_the_end_of_the_ring(void)
{
	struct got g = { 0 };
	__u32 tid = 1;

	setup(2, 0);
	fake_init(&ring[0], 64);
	M.rings[0] = ring[0].view;
	for (int round = 0; round < 5; round++) {
		/* fill it: 8 records, one of them split by the end */
		while (fake_write(&ring[0], 0, sizeof(struct syn_event), tid, tid) != ULONG_MAX)
			tid++;
		CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, NULL), 8);
	}
	CHECK_EQ_INT(g.n, tid - 1);
	for (size_t i = 0; i < g.n && i < MAXEV; i++)
		if (!CHECK_EQ_INT(g.tid[i], i + 1) || !CHECK_EQ_INT(g.ts[i], i + 1))
			break;
}

/* n rings, each fed its own rising clock (what finds a ring full is lost),
 * read in rounds the way the source reads: after each round, what is older than the
 * round's start less a margin goes out. Against a model: every event out
 * once, in time order. */
static void rounds_against_a_model(int n, int rounds)
{
	static struct got g;
	static unsigned char seen[MAXEV];
	__u64 rng = 99 + (__u64)n, clock[64] = { 0 }, now = 0, last = 0;
	__u32 next_tid = 1;
	size_t sum_in = 0;

	g.n = 0;
	memset(seen, 0, sizeof(seen));
	setup(n, 200);
	for (int round = 0; round < rounds; round++) {
		now += 20;
		for (int r = 0; r < n; r++) {
			while (clock[r] + 5 < now) {
				__u64 ts;

				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				ts = clock[r] + 1 + (rng >> 61);
				clock[r] = ts;
				/* a full ring loses the event, as the kernel's does */
				if (fake_write(&ring[r], 0, sizeof(struct syn_event), ts, next_tid) ==
				    ULONG_MAX)
					continue;
				next_tid++;
				sum_in++;
			}
		}
		ring_merge_deliver(&M, now - 10, collect, &g, NULL);
	}
	ring_merge_deliver(&M, UINT64_MAX, collect, &g, NULL);
	CHECK_EQ_INT(g.n, sum_in);
	CHECK(g.n <= MAXEV && g.n > 1000);
	for (size_t i = 0; i < g.n && i < MAXEV; i++) {
		if (!CHECK(g.ts[i] >= last))
			break;
		last = g.ts[i];
		CHECK(g.tid[i] < MAXEV && !seen[g.tid[i]]);
		if (g.tid[i] < MAXEV)
			seen[g.tid[i]] = 1;
	}
	for (int r = 0; r < n; r++)
		CHECK_EQ_INT(ring[r].cons, ring[r].prod);
}

static void test_five_rings_against_a_model(void)
{
	rounds_against_a_model(5, 200);
}

static void test_sixty_four_rings_against_a_model(void)
{
	rounds_against_a_model(64, 40);
}

/* The horizon: what the caller knows (every event stamped before it was
 * in the rings), unless a ring still holds an older stamp. */
static void test_horizon_is_the_known_time_when_nothing_older_is_left(void)
{
	struct got g = { 0 };

	setup(2, 0);
	CHECK_EQ_INT(ring_merge_horizon(&M, 50), 50); /* empty rings */
	push(&ring[0], 90, 1);
	push(&ring[0], 120, 2);
	push(&ring[1], 110, 3);
	CHECK_EQ_INT(ring_merge_deliver(&M, 100, collect, &g, NULL), 1);
	CHECK_EQ_INT(ring_merge_horizon(&M, 100), 100);
	CHECK_EQ_INT(ring_merge_deliver(&M, UINT64_MAX, collect, &g, NULL), 2);
	CHECK_EQ_INT(ring_merge_horizon(&M, 200), 200);
}

/* A program interrupted between its reserve and its stamp leaves an older
 * stamp behind a newer one in its ring: the ring lets out neither before
 * the newer one's time, so the horizon waits at the older stamp. */
static void test_horizon_waits_for_an_older_stamp_behind_a_newer_one(void)
{
	struct got g = { 0 };

	setup(2, 0);
	push(&ring[0], 105, 1);
	push(&ring[0], 98, 2);
	push(&ring[1], 99, 3);
	CHECK_EQ_INT(ring_merge_deliver(&M, 103, collect, &g, NULL), 1);
	check_tids(&g, (const __u32[]){ 3 }, 1);
	CHECK_EQ_INT(ring_merge_horizon(&M, 103), 98);
	CHECK_EQ_INT(ring_merge_deliver(&M, 110, collect, &g, NULL), 2);
	CHECK_EQ_INT(ring_merge_horizon(&M, 110), 110);
}

/* Discarded records do not hold it back; a record being written stops the
 * look at its ring (the caller's known time covers it: the margin). */
/* A discarded record is no event; a record being written is one, stamped
 * (as far as its stamp can be read yet) at 40: a tick must not pass it. */
static void test_horizon_skips_discarded_and_waits_for_a_record_being_written(void)
{
	unsigned long at;

	setup(2, 0);
	CHECK(fake_write(&ring[0], BPF_RINGBUF_DISCARD_BIT, sizeof(struct syn_event), 5, 9) !=
	      ULONG_MAX);
	push(&ring[0], 150, 1);
	at = fake_write(&ring[1], BPF_RINGBUF_BUSY_BIT, sizeof(struct syn_event), 40, 2);
	push(&ring[1], 7, 3);
	CHECK_EQ_INT(ring_merge_horizon(&M, 100), 40);
	fake_commit(&ring[1], at); /* now 7 is the oldest behind it: never back, though */
	CHECK_EQ_INT(ring_merge_horizon(&M, 120), 40);
}

/* A record later than the caller's known time promised (kept from its ring
 * past the margin) does not move the horizon back: it goes out late. */
static void test_horizon_never_goes_back(void)
{
	struct got g = { 0 };

	setup(1, 0);
	CHECK_EQ_INT(ring_merge_horizon(&M, 100), 100);
	push(&ring[0], 60, 1);
	CHECK_EQ_INT(ring_merge_horizon(&M, 120), 100);
	CHECK_EQ_INT(ring_merge_horizon(&M, 90), 100);
	CHECK_EQ_INT(ring_merge_deliver(&M, 120, collect, &g, NULL), 1);
	CHECK_EQ_INT(ring_merge_horizon(&M, 130), 130);
}

/* Ticks made from the horizon, against a model: rings fed rising clocks
 * with stamps sometimes out of order within a ring (an interrupted
 * program), every event written before the round's reader passes its stamp
 * (the margin's promise). After each round a tick; at the end a drain and a
 * last tick at the drain's time. Ticks never go back, and no event goes out
 * after a tick with a stamp before it. */
static void test_ticks_are_monotonic_and_nothing_older_follows_one(void)
{
	static struct got g;
	static __u64 tick_at[400], tick_ts[400];
	__u64 rng = 7, clock[4] = { 0 }, now = 0, h;
	int nticks = 0, swaps = 0, held_back = 0;

	g.n = 0;
	setup(4, 296); /* the rings start apart, on 8-byte boundaries as the kernel's do */
	for (int round = 0; round < 300; round++) {
		now += 20;
		for (int r = 0; r < 4; r++) {
			while (clock[r] + 5 < now) {
				__u64 a, b;

				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				a = clock[r] + 1 + (rng >> 61);
				b = a + 1 + ((rng >> 58) & 3);
				clock[r] = b;
				if ((rng >> 40) & 1) { /* b reserved first, stamped after a */
					fake_write(&ring[r], 0, sizeof(struct syn_event), b, 1);
					fake_write(&ring[r], 0, sizeof(struct syn_event), a, 1);
					swaps++;
				} else {
					fake_write(&ring[r], 0, sizeof(struct syn_event), a, 1);
					fake_write(&ring[r], 0, sizeof(struct syn_event), b, 1);
				}
			}
		}
		ring_merge_deliver(&M, now - 10, collect, &g, NULL);
		h = ring_merge_horizon(&M, now - 10);
		held_back += h < now - 10;
		tick_at[nticks] = g.n;
		tick_ts[nticks++] = h;
	}
	ring_merge_deliver(&M, UINT64_MAX, collect, &g, NULL);
	h = ring_merge_horizon(&M, now);
	CHECK_EQ_INT(h, now);
	tick_at[nticks] = g.n;
	tick_ts[nticks++] = h;
	CHECK(swaps > 100 && held_back > 10 && g.n > 1000 && g.n <= MAXEV);
	for (int k = 1; k < nticks; k++)
		if (!CHECK(tick_ts[k] >= tick_ts[k - 1]))
			break;
	for (int k = 0; k < nticks; k++)
		for (size_t i = tick_at[k]; i < g.n && i < MAXEV; i++)
			if (!CHECK(g.ts[i] >= tick_ts[k]))
				return;
}

/* What the kernel counted as submitted against what came out: nothing
 * unseen when as many or more came out (records submitted after the count
 * was read), the difference when fewer did, across either count's wrap. */
static void test_unseen_records(void)
{
	CHECK_EQ_INT(ring_merge_unseen(10, 10), 0);
	CHECK_EQ_INT(ring_merge_unseen(10, 13), 0);
	CHECK_EQ_INT(ring_merge_unseen(10, 7), 3);
	CHECK_EQ_INT(ring_merge_unseen(2, (1ull << 32) - 3), 5);           /* the count wrapped */
	CHECK_EQ_INT(ring_merge_unseen(UINT32_MAX, (1ull << 32) + 2), 0);  /* delivery wrapped */
	CHECK_EQ_INT(ring_merge_unseen(0, 5ull << 32), 0);
}

int main(void)
{
	RUN(test_two_rings_come_out_in_time_order);
	RUN(test_events_at_or_after_the_horizon_stay_in_their_ring);
	RUN(test_a_ring_keeps_its_own_order);
	RUN(test_equal_times_go_lower_ring_first);
	RUN(test_a_record_being_written_holds_back_what_is_newer);
	RUN(test_a_stuck_record_stops_only_its_ring_at_the_end);
	RUN(test_discarded_and_short_records_are_skipped);
	RUN(test_records_across_the_end_of_the_ring);
	RUN(test_five_rings_against_a_model);
	RUN(test_sixty_four_rings_against_a_model);
	RUN(test_horizon_is_the_known_time_when_nothing_older_is_left);
	RUN(test_horizon_waits_for_an_older_stamp_behind_a_newer_one);
	RUN(test_horizon_skips_discarded_and_waits_for_a_record_being_written);
	RUN(test_horizon_never_goes_back);
	RUN(test_ticks_are_monotonic_and_nothing_older_follows_one);
	RUN(test_unseen_records);
	ring_merge_free(&M);
	return TEST_SUMMARY();
}
