/* The live collector's priority: raised to COLLECTOR_NICE when allowed,
 * never lowered, and what it reports is what the thread runs at. */
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>
#include "test.h"
#include "source/live/collector_prio.h"

static int nice_now(void)
{
	return getpriority(PRIO_PROCESS, 0);
}

static void test_raised_or_left(void)
{
	int before = nice_now(), got = collector_raise_priority();

	CHECK_EQ_INT(got, nice_now());
	CHECK(got <= before);
	if (geteuid() == 0)
		CHECK_EQ_INT(got, before < COLLECTOR_NICE ? before : COLLECTOR_NICE);
	else if (before > COLLECTOR_NICE)
		CHECK_EQ_INT(got, before); /* not allowed: left as it was */
}

static void test_never_lowered(void)
{
	int before = nice_now();

	/* a second call changes nothing; nor does one at a higher priority */
	CHECK_EQ_INT(collector_raise_priority(), before);
	CHECK_EQ_INT(nice_now(), before);
}

int main(void)
{
	RUN(test_raised_or_left);
	RUN(test_never_lowered);
	return TEST_SUMMARY();
}
