/* Each CPU's ring holds its events in the order they were reserved, nearly
 * the order of their stamps (a softirq's program can run between another's
 * reserve and its clock read). Across rings, only the stamps tell the order:
 * the merge lets out the oldest head of all rings, again and again, up to a
 * horizon every ring is known to have delivered up to (the source picks it:
 * the time it started reading, less a margin for programs still running).
 * Events are read in place and each ring's space is given back as they go:
 * no copy, and nothing held but what is still in the rings. */
#include <linux/bpf.h>
#include "ring_merge.h"

/* Give the head record's space back to the kernel. */
static void ring_release(struct ring_view *r)
{
	__atomic_store_n(r->consumer_pos, *r->consumer_pos + r->head_bytes, __ATOMIC_RELEASE);
	r->head = NULL;
}

/* The ring's next event, or NULL: nothing written, or (*busy set) the next
 * record is still being written. Discarded and short records are skipped. */
static const struct syn_event *ring_peek(struct ring_view *r, bool *busy)
{
	while (!r->head) {
		unsigned long cons = *r->consumer_pos;
		unsigned long prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
		const unsigned char *rec;
		__u32 len, size;

		if (cons >= prod)
			return NULL;
		rec = r->data + (cons & r->mask);
		len = __atomic_load_n((const __u32 *)rec, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT) {
			*busy = true;
			return NULL;
		}
		size = len & ~BPF_RINGBUF_DISCARD_BIT;
		r->head_bytes = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		r->head = (const struct syn_event *)(rec + BPF_RINGBUF_HDR_SZ);
		if ((len & BPF_RINGBUF_DISCARD_BIT) || size < sizeof(struct syn_event))
			ring_release(r);
	}
	return r->head;
}

size_t ring_merge_deliver(struct ring_view *rings, int n, __u64 horizon_ns, syn_event_fn fn,
			  void *ctx, bool *held)
{
	size_t out = 0;
	bool busy, any;

	for (;;) {
		struct ring_view *best = NULL;
		/* best's events go out while older than every other ring's head */
		__u64 bound = horizon_ns;

		busy = any = false;
		for (int i = 0; i < n; i++) {
			const struct syn_event *e = ring_peek(&rings[i], &busy);

			if (!e)
				continue;
			any = true;
			if (e->ts_ns >= horizon_ns)
				continue;
			if (!best || e->ts_ns < best->head->ts_ns) {
				if (best && best->head->ts_ns < bound)
					bound = best->head->ts_ns;
				best = &rings[i];
			} else if (e->ts_ns < bound) {
				bound = e->ts_ns;
			}
		}
		if (!best)
			break;
		do {
			fn(ctx, best->head);
			ring_release(best);
			out++;
		} while (ring_peek(best, &busy) && best->head->ts_ns < bound);
	}
	if (held)
		*held = busy || any;
	return out;
}
