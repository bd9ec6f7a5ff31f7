/* Each CPU's ring holds its events in the order they were reserved, nearly
 * the order of their stamps (a softirq's program can run between another's
 * reserve and its clock read). Across rings, only the stamps tell the order:
 * the merge lets out the oldest head of all rings (a heap of the rings by
 * their heads), again and again, up to a horizon every ring is known to have
 * delivered up to (the source picks it: the time it started reading, less a
 * margin for programs still running), and never past a record still being
 * written: its stamp, as far as it can be read, holds the newer ones back.
 * Events are read in place and each ring's space is given back as they go:
 * no copy, and nothing held but what is still in the rings. */
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include "source/live/ring_merge.h"

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

/* The stamp of the record being written at pos. Its program writes the stamp
 * just after it reserves the record, so this is the stamp, or (not written
 * yet) what the memory held: an older record's stamp or 0. Either holds
 * back no less than the stamp would. */
static __u64 busy_stamp(const unsigned char *rec)
{
	const struct syn_event *e = (const void *)(rec + BPF_RINGBUF_HDR_SZ);

	return __atomic_load_n(&e->ts_ns, __ATOMIC_RELAXED);
}

/* The stamp of the record being written at r's head; UINT64_MAX when its
 * head is not one. */
static __u64 ring_busy_head(const struct ring_view *r)
{
	unsigned long cons = *r->consumer_pos;
	unsigned long prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	const unsigned char *rec = r->data + (cons & r->mask);

	if (r->head || cons >= prod)
		return UINT64_MAX;
	if (!(__atomic_load_n((const __u32 *)rec, __ATOMIC_ACQUIRE) & BPF_RINGBUF_BUSY_BIT))
		return UINT64_MAX;
	return busy_stamp(rec);
}

/* The oldest stamp among the ring's committed events (head included), up
 * to one still being written, that one's included; UINT64_MAX when there
 * is none. */
static __u64 ring_oldest(const struct ring_view *r)
{
	unsigned long pos = *r->consumer_pos;
	unsigned long prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	__u64 oldest = UINT64_MAX;

	while (pos < prod) {
		const unsigned char *rec = r->data + (pos & r->mask);
		__u32 len = __atomic_load_n((const __u32 *)rec, __ATOMIC_ACQUIRE);
		__u32 size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		const struct syn_event *e = (const void *)(rec + BPF_RINGBUF_HDR_SZ);

		if (len & BPF_RINGBUF_BUSY_BIT) {
			if (busy_stamp(rec) < oldest)
				oldest = busy_stamp(rec);
			break;
		}
		if (!(len & BPF_RINGBUF_DISCARD_BIT) && size >= sizeof(*e) && e->ts_ns < oldest)
			oldest = e->ts_ns;
		pos += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
	}
	return oldest;
}

__u64 ring_merge_horizon(struct ring_merge *m, __u64 known_ns)
{
	__u64 h = known_ns;

	for (int i = 0; i < m->n; i++) {
		__u64 oldest = ring_oldest(&m->rings[i]);

		if (oldest < h)
			h = oldest;
	}
	if (h > m->horizon)
		m->horizon = h;
	return m->horizon;
}

int ring_merge_init(struct ring_merge *m, int nrings)
{
	m->horizon = 0;
	m->hold_busy = true;
	m->n = nrings > 0 ? nrings : 0;
	m->rings = calloc(m->n ? (size_t)m->n : 1, sizeof(*m->rings));
	m->heap = calloc(m->n ? (size_t)m->n : 1, sizeof(*m->heap));
	if (!m->rings || !m->heap) {
		ring_merge_free(m);
		return -1;
	}
	return 0;
}

void ring_merge_free(struct ring_merge *m)
{
	free(m->rings);
	free(m->heap);
	m->rings = NULL;
	m->heap = NULL;
	m->n = 0;
}

/* Does ring a's head go before ring b's? Equal stamps: the lower ring. */
static bool goes_first(const struct ring_merge *m, int a, int b)
{
	__u64 ta = m->rings[a].head->ts_ns, tb = m->rings[b].head->ts_ns;

	return ta < tb || (ta == tb && a < b);
}

/* The heap's entry at i moved later: down to its place. */
static void sift_down(struct ring_merge *m, int len, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, first = i, tmp;

		if (l < len && goes_first(m, m->heap[l], m->heap[first]))
			first = l;
		if (r < len && goes_first(m, m->heap[r], m->heap[first]))
			first = r;
		if (first == i)
			return;
		tmp = m->heap[i];
		m->heap[i] = m->heap[first];
		m->heap[first] = tmp;
		i = first;
	}
}

size_t ring_merge_deliver(struct ring_merge *m, __u64 horizon_ns, syn_event_fn fn, void *ctx,
			  bool *held)
{
	size_t out = 0;
	bool busy = false, later = false;
	int len = 0;

	/* the rings with an event to let out, in a heap by its stamp: one
	 * comparison per level for each event, however many CPUs there are */
	for (int i = 0; i < m->n; i++) {
		const struct syn_event *e = ring_peek(&m->rings[i], &busy);

		if (!e && m->hold_busy) {
			__u64 b = ring_busy_head(&m->rings[i]);

			horizon_ns = b < horizon_ns ? b : horizon_ns;
		}
	}
	for (int i = 0; i < m->n; i++)
		if (m->rings[i].head && m->rings[i].head->ts_ns < horizon_ns)
			m->heap[len++] = i;
	for (int i = len / 2 - 1; i >= 0; i--)
		sift_down(m, len, i);
	while (len > 0 && m->rings[m->heap[0]].head->ts_ns < horizon_ns) {
		struct ring_view *r = &m->rings[m->heap[0]];
		__u64 b;

		fn(ctx, r->head);
		ring_release(r);
		out++;
		if (!ring_peek(r, &busy) && m->hold_busy && (b = ring_busy_head(r)) < horizon_ns)
			horizon_ns = b; /* its next record is being written */
		if (!r->head || r->head->ts_ns >= horizon_ns)
			m->heap[0] = m->heap[--len]; /* this ring is done for now */
		sift_down(m, len, 0);
	}
	for (int i = 0; i < m->n && !later; i++)
		later = m->rings[i].head != NULL;
	if (held)
		*held = busy || later;
	return out;
}

__u32 ring_merge_unseen(__u32 submitted, __u64 delivered)
{
	__s32 behind = (__s32)(submitted - (__u32)delivered);

	return behind > 0 ? (__u32)behind : 0;
}
