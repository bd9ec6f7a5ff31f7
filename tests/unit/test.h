/* A tiny assertion kit: each check prints what failed and where, and counts.
 * A test file defines test functions and lists them in main() with RUN(). */
#ifndef SYNSCOPE_TEST_H
#define SYNSCOPE_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int test_checks_failed;
static int tests_passed, tests_failed;

#define CHECK(cond) ({							\
	bool ok_ = (cond);						\
	if (!ok_) {							\
		fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		test_checks_failed++;					\
	}								\
	ok_; })

#define CHECK_EQ_INT(a, b) ({						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	bool ok_ = a_ == b_;						\
	if (!ok_) {							\
		fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, a_, b_);		\
		test_checks_failed++;					\
	}								\
	ok_; })

#define CHECK_EQ_STR(a, b) ({						\
	const char *a_ = (a), *b_ = (b);				\
	bool ok_ = a_ && b_ && strcmp(a_, b_) == 0;			\
	if (!ok_) {							\
		fprintf(stderr, "  FAIL %s:%d: %s == %s\n--- got:\n%s\n--- want:\n%s\n", \
			__FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		test_checks_failed++;					\
	}								\
	ok_; })

/* Substring check: the message shows the haystack on failure. */
#define CHECK_CONTAINS(hay, needle) ({					\
	const char *h_ = (hay), *n_ = (needle);				\
	bool ok_ = h_ && n_ && strstr(h_, n_) != NULL;			\
	if (!ok_) {							\
		fprintf(stderr, "  FAIL %s:%d: \"%s\" not found in:\n%s\n", \
			__FILE__, __LINE__, n_ ? n_ : "(null)", h_ ? h_ : "(null)"); \
		test_checks_failed++;					\
	}								\
	ok_; })

/* How many times needle occurs in hay (overlapping ones too). */
static inline int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Order check: first and second both found in hay, first starting before
 * second. Two strstr() results compared with < would pass when the first
 * is NULL: this fails instead. */
#define CHECK_ORDER(hay, first, second) ({				\
	const char *h_ = (hay), *f_ = (first), *s_ = (second);		\
	const char *pf_ = h_ && f_ ? strstr(h_, f_) : NULL;		\
	const char *ps_ = h_ && s_ ? strstr(h_, s_) : NULL;		\
	bool ok_ = pf_ && ps_ && pf_ < ps_;				\
	if (!ok_) {							\
		fprintf(stderr, "  FAIL %s:%d: \"%s\" %s \"%s\" in:\n%s\n",	\
			__FILE__, __LINE__, f_ ? f_ : "(null)",		\
			!pf_ ? "(not found) before" : !ps_ ? "before (not found)"	\
			     : "not before", s_ ? s_ : "(null)", h_ ? h_ : "(null)"); \
		test_checks_failed++;					\
	}								\
	ok_; })

#define RUN(fn) do {							\
	int before_ = test_checks_failed;				\
	fn();								\
	if (test_checks_failed == before_) {				\
		tests_passed++;						\
		printf("ok   %s\n", #fn);				\
	} else {							\
		tests_failed++;						\
		printf("FAIL %s\n", #fn);				\
	}								\
} while (0)

/* The last line the test runner reads: "N passed, N failed". */
#define TEST_SUMMARY() ({						\
	printf("%d passed, %d failed\n", tests_passed, tests_failed);	\
	tests_failed ? 1 : 0; })

#endif
