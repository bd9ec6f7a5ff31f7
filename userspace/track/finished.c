/* Recently finished connections by tuple (finished.h). */
#include <stdlib.h>
#include <string.h>
#include "track/finished.h"

struct finished_conn *finished_get(const struct finished_table *ft, __u64 key)
{
	return hmap_get(&ft->by_key, key);
}

void finished_forget(struct finished_table *ft, __u64 key)
{
	struct finished_conn *fc = hmap_del(&ft->by_key, key);

	if (fc)
		fc->gone = true; /* the queue still points at it */
}

/* The oldest entry leaves the queue (and the table, if still in it). */
static void finished_pop(struct finished_table *ft)
{
	struct finished_conn *fc = ft->queue[ft->head];

	if (!fc->gone)
		hmap_del(&ft->by_key, fc->key);
	free(fc->what);
	free(fc);
	ft->head = (ft->head + 1) % ft->cap;
	ft->n--;
}

static bool queue_grow(struct finished_table *ft)
{
	size_t cap = ft->cap ? ft->cap * 2 : 64;
	struct finished_conn **q = malloc(cap * sizeof(*q));

	if (!q)
		return false;
	for (size_t i = 0; i < ft->n; i++)
		q[i] = ft->queue[(ft->head + i) % ft->cap];
	free(ft->queue);
	ft->queue = q;
	ft->head = 0;
	ft->cap = cap;
	return true;
}

bool finished_put(struct finished_table *ft, const struct finished_conn *fc)
{
	struct finished_conn *copy;

	if (ft->n >= FINISHED_MAX)
		finished_pop(ft);
	if (ft->n == ft->cap && !queue_grow(ft)) {
		free(fc->what);
		return false;
	}
	copy = malloc(sizeof(*copy));
	if (!copy) {
		free(fc->what);
		return false;
	}
	*copy = *fc;
	copy->gone = false;
	finished_forget(ft, fc->key);
	if (hmap_put(&ft->by_key, fc->key, copy)) {
		free(copy->what);
		free(copy);
		return false;
	}
	ft->queue[(ft->head + ft->n) % ft->cap] = copy;
	ft->n++;
	return true;
}

void finished_expire(struct finished_table *ft, __u64 now)
{
	while (ft->n && (ft->queue[ft->head]->gone || ft->queue[ft->head]->until < now))
		finished_pop(ft);
}

void finished_free(struct finished_table *ft)
{
	while (ft->n)
		finished_pop(ft);
	free(ft->queue);
	hmap_free(&ft->by_key);
	memset(ft, 0, sizeof(*ft));
}
