/* The views' per-process records: a process is its pid and its name, and a
 * table holds at most so many. */
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "render/proc_table.h"

struct rec {
	struct proc_id id;
	__u64 n;
};

static const char *name(const char *s, char comm[SYN_COMM_LEN])
{
	memset(comm, 0, SYN_COMM_LEN);
	strncpy(comm, s, SYN_COMM_LEN - 1);
	return comm;
}

static void free_all(struct hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->vals[i]);
	hmap_free(m);
}

static void test_same_process_same_record(void)
{
	struct hmap m = { 0 };
	char c[SYN_COMM_LEN];
	struct rec *a = (struct rec *)proc_table_get(&m, 10, name("nginx", c), 4, sizeof(*a));

	if (!CHECK(a != NULL))
		return;
	CHECK_EQ_INT(a->id.pid, 10);
	CHECK_EQ_STR(a->id.comm, "nginx");
	CHECK_EQ_INT(a->n, 0); /* made zeroed */
	a->n = 7;
	CHECK(proc_table_get(&m, 10, name("nginx", c), 4, sizeof(*a)) == &a->id);
	/* the same pid as another program, another pid with the same name */
	CHECK(proc_table_get(&m, 10, name("curl", c), 4, sizeof(*a)) != &a->id);
	CHECK(proc_table_get(&m, 11, name("nginx", c), 4, sizeof(*a)) != &a->id);
	CHECK_EQ_INT(m.len, 3);
	free_all(&m);
}

/* Another process's record under the same key (64 bits of hash: made by
 * hand here) is not taken for this one's. */
static void test_key_shared_with_another(void)
{
	struct hmap m = { 0 };
	char c[SYN_COMM_LEN];
	struct rec *other = calloc(1, sizeof(*other));

	other->id.pid = 10;
	name("curl", other->id.comm);
	CHECK_EQ_INT(hmap_put(&m, proc_table_key(10, name("nginx", c)), other), 0);
	CHECK(proc_table_get(&m, 10, c, 4, sizeof(struct rec)) == NULL);
	other->id.pid = 11;
	name("nginx", other->id.comm);
	CHECK(proc_table_get(&m, 10, c, 4, sizeof(struct rec)) == NULL);
	CHECK_EQ_INT(m.len, 1);
	free_all(&m);
}

static void test_at_most_max(void)
{
	struct hmap m = { 0 };
	char c[SYN_COMM_LEN];

	name("ab", c);
	CHECK(proc_table_get(&m, 1, c, 2, sizeof(struct rec)) != NULL);
	CHECK(proc_table_get(&m, 2, c, 2, sizeof(struct rec)) != NULL);
	CHECK(proc_table_get(&m, 3, c, 2, sizeof(struct rec)) == NULL); /* counted apart */
	CHECK(proc_table_get(&m, 1, c, 2, sizeof(struct rec)) != NULL); /* still there */
	CHECK_EQ_INT(m.len, 2);
	free_all(&m);
}

int main(void)
{
	RUN(test_same_process_same_record);
	RUN(test_key_shared_with_another);
	RUN(test_at_most_max);
	return TEST_SUMMARY();
}
