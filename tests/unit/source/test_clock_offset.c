/* The clock offset estimator, on hand-made timings: B's clock runs theta
 * ahead of A's; a segment A->B takes d_ab, B->A d_ba. Then
 * rx_B - tx_A = theta + d_ab and rx_A - tx_B = d_ba - theta. */
#include "source/file/clock_offset.h"
#include "test.h"

#define US 1000ll
#define S 1000000000ll

static struct clock_estimate run(const __s64 *ab, size_t nab, const __s64 *ba, size_t nba,
				 const struct clock_round *r, size_t nr, const __s64 *user)
{
	struct clock_obs o = { .ab = ab, .nab = nab, .ba = ba, .nba = nba, .rounds = r,
			       .nrounds = nr };
	struct clock_estimate e;

	clock_estimate(&o, user, &e);
	return e;
}

/* Equal delays both ways: the handshake gives the offset exactly. */
static void test_symmetric_handshake_is_exact(void)
{
	__s64 theta = 3 * S + 500 * 1000 * US, d = 40 * US;
	__s64 ab[] = { theta + d }, ba[] = { d - theta };
	struct clock_round r[] = { { theta + d, d - theta } };
	struct clock_estimate e = run(ab, 1, ba, 1, r, 1, NULL);

	CHECK_EQ_INT(e.source, CLOCK_FROM_HANDSHAKES);
	CHECK_EQ_INT(e.offset_ns, theta);
	CHECK_EQ_INT(e.rounds, 1);
	CHECK_EQ_INT(e.segments, 2);
	CHECK(!e.moved);
	CHECK_EQ_INT(e.violations, 0);
}

/* 30 us one way, 10 us back: the estimate is off by half the difference. */
static void test_asymmetric_delays_err_by_half_the_difference(void)
{
	__s64 theta = -800 * 1000 * US;
	struct clock_round r[] = { { theta + 30 * US, 10 * US - theta } };
	__s64 ab[] = { theta + 30 * US }, ba[] = { 10 * US - theta };
	struct clock_estimate e = run(ab, 1, ba, 1, r, 1, NULL);

	CHECK_EQ_INT(e.offset_ns, theta + 10 * US);
	/* both segments still arrive after they were sent */
	CHECK_EQ_INT(e.violations, 0);
}

/* One handshake delayed by a busy host cannot pull the median. */
static void test_median_ignores_one_slow_handshake(void)
{
	__s64 theta = 2 * S;
	struct clock_round r[] = {
		{ theta + 20 * US, 20 * US - theta },
		{ theta + 5000 * US, 20 * US - theta }, /* 5 ms stuck one way */
		{ theta + 22 * US, 20 * US - theta },
	};
	struct clock_estimate e = run(NULL, 0, NULL, 0, r, 3, NULL);

	CHECK_EQ_INT(e.offset_ns, theta + 1 * US);
	CHECK_EQ_INT(e.round_min, theta);
	CHECK_EQ_INT(e.round_max, theta + 2490 * US);
}

static void test_median_of_an_even_count_is_the_middle(void)
{
	struct clock_round r[] = { { 100, 100 }, { 400, 0 }, { 40, 0 }, { 1000, 0 } };
	/* estimates 0, 200, 20, 500: the middle two are 20 and 200 */
	struct clock_estimate e = run(NULL, 0, NULL, 0, r, 4, NULL);

	CHECK_EQ_INT(e.offset_ns, 110);
}

/* The handshake says theta + 15 us, but a data segment A->B took only
 * 5 us: at that offset it would arrive 10 us before it was sent. The
 * offset moves just inside what every segment allows. */
static void test_estimate_moves_inside_the_bounds(void)
{
	__s64 theta = 1 * S;
	struct clock_round r[] = { { theta + 40 * US, 10 * US - theta } };
	__s64 ab[] = { theta + 40 * US, theta + 5 * US }, ba[] = { 10 * US - theta };
	struct clock_estimate e = run(ab, 2, ba, 1, r, 1, NULL);

	CHECK_EQ_INT(e.raw_ns, theta + 15 * US);
	CHECK(e.has_hi && e.has_lo);
	CHECK_EQ_INT(e.hi, theta + 5 * US);
	CHECK_EQ_INT(e.lo, theta - 10 * US);
	CHECK(e.moved);
	CHECK_EQ_INT(e.offset_ns, theta + 5 * US - CLOCK_MARGIN_NS);
	CHECK_EQ_INT(e.violations, 0);
}

/* With less room than twice the margin, the offset goes to the middle. */
static void test_tight_bounds_give_the_middle(void)
{
	__s64 ab[] = { 500 }, ba[] = { 100 }; /* -100 < offset < 500 */
	struct clock_round r[] = { { 5000, 100 } };
	struct clock_estimate e = run(ab, 1, ba, 1, r, 1, NULL);

	CHECK(e.moved);
	CHECK_EQ_INT(e.offset_ns, 200);
	CHECK_EQ_INT(e.violations, 0);
}

/* Clocks that drifted: no one offset orders both segments. The estimate
 * stays and the segments out of order are counted (here both: each
 * "arrives" 25 us early). */
static void test_inconsistent_bounds_are_reported(void)
{
	__s64 ab[] = { 100 * US }, ba[] = { -150 * US }; /* offset < 100 us, offset > 150 us */
	struct clock_round r[] = { { 100 * US, -150 * US } };
	struct clock_estimate e = run(ab, 1, ba, 1, r, 1, NULL);

	CHECK(e.inconsistent);
	CHECK(!e.moved);
	CHECK_EQ_INT(e.offset_ns, 125 * US);
	CHECK_EQ_INT(e.violations, 2);
}

/* Segments both ways but no handshake (tracing began later): the middle
 * of the bounds. */
static void test_without_handshakes_the_middle_of_the_bounds(void)
{
	__s64 ab[] = { 7 * S + 30 * US, 7 * S + 12 * US }, ba[] = { 20 * US - 7 * S };

	struct clock_estimate e = run(ab, 2, ba, 1, NULL, 0, NULL);

	CHECK_EQ_INT(e.source, CLOCK_FROM_SEGMENTS);
	/* 7 s - 20 us < offset < 7 s + 12 us */
	CHECK_EQ_INT(e.offset_ns, 7 * S - 4 * US);
	CHECK_EQ_INT(e.violations, 0);
}

/* The consistency check at its edge. lo < offset < hi must hold for an
 * integer offset: bounds 2 ns apart leave one (lo + 1), 1 ns apart none. */
static void test_bounds_one_ns_apart_are_inconsistent(void)
{
	__s64 ab2[] = { 1002 }, ab1[] = { 1001 }, ba[] = { -1000 }; /* lo = 1000 */
	struct clock_estimate e = run(ab2, 1, ba, 1, NULL, 0, NULL);

	CHECK(!e.inconsistent);
	CHECK_EQ_INT(e.source, CLOCK_FROM_SEGMENTS);
	CHECK_EQ_INT(e.offset_ns, 1001);
	CHECK_EQ_INT(e.violations, 0);
	e = run(ab1, 1, ba, 1, NULL, 0, NULL);
	CHECK(e.inconsistent);
	CHECK_EQ_INT(e.source, CLOCK_FROM_NONE); /* the middle of nothing is no estimate */
}

/* A handshake estimate exactly on a bound: the segment that makes the bound
 * would arrive the very nanosecond it was sent. Moved inside, by the margin
 * or, with 2000 ns of room, by half of it. */
static void test_estimate_on_a_bound_moves_inside(void)
{
	__s64 ab[] = { 2000 }, ba[] = { 0 };          /* 0 < offset < 2000 */
	struct clock_round hi[] = { { 5000, 1000 } }; /* (5000 - 1000) / 2 = 2000 */
	struct clock_round lo[] = { { 1000, 1000 } }; /* 0 */
	struct clock_estimate e = run(ab, 1, ba, 1, hi, 1, NULL);

	CHECK_EQ_INT(e.raw_ns, 2000);
	CHECK(e.moved);
	CHECK_EQ_INT(e.offset_ns, 1000);
	CHECK_EQ_INT(e.violations, 0);
	e = run(ab, 1, ba, 1, lo, 1, NULL);
	CHECK_EQ_INT(e.raw_ns, 0);
	CHECK(e.moved);
	CHECK_EQ_INT(e.offset_ns, 1000);
	CHECK_EQ_INT(e.violations, 0);
}

/* A given offset at which a segment arrives the nanosecond it left: that
 * is out of order too (a segment takes time), either way. */
static void test_arrival_at_the_send_time_is_a_violation(void)
{
	__s64 ab[] = { 10 * US }, ba[] = { -10 * US }, user = 10 * US;
	struct clock_estimate e = run(ab, 1, NULL, 0, NULL, 0, &user);

	CHECK_EQ_INT(e.violations, 1);
	e = run(NULL, 0, ba, 1, NULL, 0, &user);
	CHECK_EQ_INT(e.violations, 1);
	user = 10 * US - 1;
	e = run(ab, 1, ba, 1, NULL, 0, &user);
	CHECK_EQ_INT(e.violations, 1); /* the B->A one: -10 us <= -(10 us - 1) */
}

static void test_nothing_in_common_means_no_shift(void)
{
	struct clock_estimate e = run(NULL, 0, NULL, 0, NULL, 0, NULL);

	CHECK_EQ_INT(e.source, CLOCK_FROM_NONE);
	CHECK_EQ_INT(e.offset_ns, 0);
	CHECK_EQ_INT(e.segments, 0);
}

/* Only A->B segments: 0 is kept when it orders them, else moved below. */
static void test_one_way_only_keeps_zero_when_it_fits(void)
{
	__s64 ok[] = { 50 * US }, late[] = { -2 * S };
	struct clock_estimate e = run(ok, 1, NULL, 0, NULL, 0, NULL);

	CHECK_EQ_INT(e.offset_ns, 0);
	CHECK(!e.moved);
	e = run(late, 1, NULL, 0, NULL, 0, NULL);
	CHECK(e.moved);
	CHECK_EQ_INT(e.offset_ns, -2 * S - CLOCK_MARGIN_NS);
}

/* A given offset is used as it is, and checked. */
static void test_user_offset_is_not_moved(void)
{
	__s64 ab[] = { 10 * US }, ba[] = { 10 * US };
	__s64 user = 20 * US;
	struct clock_round r[] = { { 10 * US, 10 * US } };
	struct clock_estimate e = run(ab, 1, ba, 1, r, 1, &user);

	CHECK_EQ_INT(e.source, CLOCK_FROM_USER);
	CHECK_EQ_INT(e.offset_ns, 20 * US);
	CHECK(!e.moved);
	CHECK_EQ_INT(e.violations, 1); /* the A->B one */
}

int main(void)
{
	RUN(test_symmetric_handshake_is_exact);
	RUN(test_asymmetric_delays_err_by_half_the_difference);
	RUN(test_median_ignores_one_slow_handshake);
	RUN(test_median_of_an_even_count_is_the_middle);
	RUN(test_estimate_moves_inside_the_bounds);
	RUN(test_tight_bounds_give_the_middle);
	RUN(test_inconsistent_bounds_are_reported);
	RUN(test_without_handshakes_the_middle_of_the_bounds);
	RUN(test_bounds_one_ns_apart_are_inconsistent);
	RUN(test_estimate_on_a_bound_moves_inside);
	RUN(test_arrival_at_the_send_time_is_a_violation);
	RUN(test_nothing_in_common_means_no_shift);
	RUN(test_one_way_only_keeps_zero_when_it_fits);
	RUN(test_user_offset_is_not_moved);
	return TEST_SUMMARY();
}
