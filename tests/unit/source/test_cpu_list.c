/* The online CPU list, as the kernel writes it and as it must not be read. */
#include "test.h"
#include "source/live/cpu_list.h"

static void check_set(const bool *set, const char *want, int n)
{
	for (int i = 0; i < n; i++)
		if (!CHECK_EQ_INT(set[i], want[i] == '1'))
			fprintf(stderr, "  (cpu %d)\n", i);
}

static void test_ranges_and_single_cpus(void)
{
	bool set[12];

	CHECK_EQ_INT(cpu_list_parse("0-3,6,8-9\n", set, 12), 7);
	check_set(set, "111100101100", 12);
	CHECK_EQ_INT(cpu_list_parse("0", set, 12), 1);
	check_set(set, "100000000000", 12);
}

static void test_cpus_past_the_array_are_left_out(void)
{
	bool set[4];

	CHECK_EQ_INT(cpu_list_parse("2-7\n", set, 4), 2);
	check_set(set, "0011", 4);
}

static void test_overlaps_count_once(void)
{
	bool set[8];

	CHECK_EQ_INT(cpu_list_parse("0-3,2-5", set, 8), 6);
	check_set(set, "11111100", 8);
}

static void test_what_is_not_a_cpu_list(void)
{
	const char *bad[] = { "", "-1", "3-1", "0,,1", "a", "0-", "1 2", "0\nx", "0-99999999" };
	bool set[4];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ_INT(cpu_list_parse(bad[i], set, 4), bad[i][0] ? -1 : 0))
			fprintf(stderr, "  (input \"%s\")\n", bad[i]);
}

int main(void)
{
	RUN(test_ranges_and_single_cpus);
	RUN(test_cpus_past_the_array_are_left_out);
	RUN(test_overlaps_count_once);
	RUN(test_what_is_not_a_cpu_list);
	return TEST_SUMMARY();
}
