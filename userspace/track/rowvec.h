/* A growable array of rows: a connection's raw rows waiting to be processed,
 * and the processed rows of a batch. */
#ifndef SYNSCOPE_ROWVEC_H
#define SYNSCOPE_ROWVEC_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "track/conn.h"

struct row_vec {
	struct conn_row *v;
	size_t n, cap;
};

/* Room for more rows; false when out of memory. A new vector starts small
 * (a flood's half-open connections hold two or three rows), then jumps to
 * what a whole short connection takes (about 50), then doubles. */
static inline bool row_vec_reserve(struct row_vec *rv, size_t more)
{
	size_t cap;
	struct conn_row *v;

	if (rv->n + more <= rv->cap)
		return true;
	cap = !rv->cap ? 2 : rv->cap < 64 ? 64 : rv->cap * 2;
	while (cap < rv->n + more)
		cap *= 2;
	v = realloc(rv->v, cap * sizeof(*v));
	if (!v)
		return false;
	rv->v = v;
	rv->cap = cap;
	return true;
}

static inline bool row_vec_push(struct row_vec *rv, const struct conn_row *r)
{
	if (!row_vec_reserve(rv, 1))
		return false;
	rv->v[rv->n++] = *r;
	return true;
}

/* Drop the first k rows. */
static inline void row_vec_shift(struct row_vec *rv, size_t k)
{
	if (k >= rv->n) {
		rv->n = 0;
		return;
	}
	memmove(rv->v, rv->v + k, (rv->n - k) * sizeof(*rv->v));
	rv->n -= k;
}

static inline void row_vec_free(struct row_vec *rv)
{
	free(rv->v);
	rv->v = NULL;
	rv->n = rv->cap = 0;
}

#endif
