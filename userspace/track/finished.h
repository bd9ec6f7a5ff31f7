/* Connections that ended not long ago, by their tuple, so that a late
 * segment of one (its TIME-WAIT's traffic, a reset that comes after the
 * socket was freed, a timewait socket's end) is told as the connection it
 * belongs to and not as a new one. Bounded: the oldest go first. */
#ifndef SYNSCOPE_FINISHED_H
#define SYNSCOPE_FINISHED_H

#include "track/conn.h"
#include "base/hmap.h"

#define FINISHED_MAX 16384

struct finished_conn {
	__u64 key;              /* the tracker's tuple key */
	__u64 until;            /* remembered until then (event time) */
	void *what;             /* what the tracker keeps of it (malloc'd; freed with it) */
	bool gone;              /* forgotten before its time; freed when it leaves the queue */
};

struct finished_table {
	struct hmap by_key;
	struct finished_conn **queue; /* in the order they ended */
	size_t head, n, cap;
};

/* Remember fc (copied; fc->what is taken over, and freed when that is not
 * possible); one with the same key is replaced. False: no memory. */
bool finished_put(struct finished_table *ft, const struct finished_conn *fc);
struct finished_conn *finished_get(const struct finished_table *ft, __u64 key);
void finished_forget(struct finished_table *ft, __u64 key);
/* Forget what is past its time at now (and the oldest past FINISHED_MAX). */
void finished_expire(struct finished_table *ft, __u64 now);
void finished_free(struct finished_table *ft);

#endif
