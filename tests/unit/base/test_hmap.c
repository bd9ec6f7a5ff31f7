/* The open-addressing table: against a plain array as the model. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "base/hmap.h"

#define N 5000

static void test_put_get_delete_against_model(void)
{
	static void *model[N];
	struct hmap m = { 0 };
	__u64 rng = 12345;

	for (int round = 0; round < 40000; round++) {
		size_t k;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (size_t)(rng >> 33) % N;
		if ((rng >> 20) & 1) {
			model[k] = (void *)(uintptr_t)(k + 1);
			CHECK_EQ_INT(hmap_put(&m, k * 7919, model[k]), 0);
		} else {
			void *got = hmap_del(&m, k * 7919);

			if (!CHECK(got == model[k]))
				break;
			model[k] = NULL;
		}
	}
	size_t live = 0;

	for (size_t k = 0; k < N; k++) {
		live += model[k] != NULL;
		if (!CHECK(hmap_get(&m, k * 7919) == model[k]))
			break;
	}
	CHECK_EQ_INT(m.len, live);
	hmap_free(&m);
}

/* Keys that land in one probe run: deleting from the middle must not hide
 * the entries after it. */
static void test_delete_inside_probe_run(void)
{
	struct hmap m = { 0 };
	__u64 keys[40];
	int n = 0;

	hmap_put(&m, 1, (void *)1); /* make the table exist: 64 slots */
	hmap_del(&m, 1);
	for (__u64 k = 1; n < 40 && k < 1000000; k++)
		if ((hmap_mix(k) & 63) == 5 && m.cap == 64)
			keys[n++] = k;
	/* fill only what fits below half load */
	for (int i = 0; i < 20; i++)
		hmap_put(&m, keys[i], (void *)(uintptr_t)(i + 1));
	CHECK_EQ_INT(m.cap, 64);
	hmap_del(&m, keys[3]);
	hmap_del(&m, keys[0]);
	for (int i = 0; i < 20; i++) {
		void *want = (i == 0 || i == 3) ? NULL : (void *)(uintptr_t)(i + 1);

		CHECK(hmap_get(&m, keys[i]) == want);
	}
	hmap_free(&m);
}

static void test_zero_key_and_replace(void)
{
	struct hmap m = { 0 };

	CHECK(hmap_get(&m, 0) == NULL);
	CHECK(hmap_del(&m, 0) == NULL);
	hmap_put(&m, 0, (void *)7);
	hmap_put(&m, 0, (void *)8);
	CHECK(hmap_get(&m, 0) == (void *)8);
	CHECK_EQ_INT(m.len, 1);
	hmap_free(&m);
}

int main(void)
{
	RUN(test_put_get_delete_against_model);
	RUN(test_delete_inside_probe_run);
	RUN(test_zero_key_and_replace);
	return TEST_SUMMARY();
}
