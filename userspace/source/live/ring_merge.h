/* Events from several BPF ring buffers (one per CPU), read where the kernel
 * wrote them and let out in time order. Kernel ABI only (linux/bpf.h): no
 * libbpf, so the merge runs under unit tests on rings laid out in memory. */
#ifndef SYNSCOPE_RING_MERGE_H
#define SYNSCOPE_RING_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include "bpf/synscope_event.h"

typedef void (*syn_event_fn)(void *ctx, const struct syn_event *e);

/* One ring as the kernel maps it for a reader: the consumer position (ours
 * to write), the producer position (the kernel's), and the data area, mapped
 * twice in a row so that a record that wraps around is contiguous. */
struct ring_view {
	unsigned long *consumer_pos;
	const unsigned long *producer_pos;
	const unsigned char *data;
	unsigned long mask;           /* data bytes - 1 (a power of two) */
	const struct syn_event *head; /* the next event, once looked at */
	unsigned long head_bytes;     /* its record's bytes, header and padding in */
};

struct ring_merge {
	struct ring_view *rings; /* the caller fills them in */
	int n;
	int *heap;               /* rings by their head's stamp, oldest first */
	__u64 horizon;           /* the last ring_merge_horizon() */
	bool hold_busy;          /* a record still being written holds back what is newer in
				  * the other rings (true after init; the drain's last try
				  * turns it off: a record stuck for good stops its ring only) */
};

/* 0, or -1 when out of memory. */
int ring_merge_init(struct ring_merge *m, int nrings);
void ring_merge_free(struct ring_merge *m);

/* Let out, oldest first, every event the rings hold that was stamped before
 * horizon_ns (all of them with UINT64_MAX), and before the stamp of any
 * record still being written (hold_busy); each ring's space is given back
 * as its events go out. Returns how many went out. *held (may be NULL): a
 * ring still holds an event, or one being written. */
size_t ring_merge_deliver(struct ring_merge *m, __u64 horizon_ns, syn_event_fn fn, void *ctx,
			  bool *held);

/* The time before which every event has gone out, given known_ns: the
 * caller knows every event stamped before it had been written into the
 * rings (committed) when they were last read. That is known_ns, or the
 * oldest stamp still in a ring when it is older (a ring lets its events out
 * in the order they were reserved, and a program interrupted between its
 * reserve and its stamp puts an older stamp behind a newer one), a record
 * still being written included; never less than the last time it was asked:
 * a record that comes later than known_ns promised goes out late rather
 * than move the horizon back. Reads the rings up to a record still being
 * written, without taking anything from them. */
__u64 ring_merge_horizon(struct ring_merge *m, __u64 known_ns);

/* Of the records the kernel counted as submitted (a count that wraps at
 * 2^32, read before the last delivery), those never delivered, when
 * `delivered` were: delivery may run ahead of the count by the records
 * submitted after it was read, never behind it but by a loss of ours. */
__u32 ring_merge_unseen(__u32 submitted, __u64 delivered);

#endif
