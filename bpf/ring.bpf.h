/* Records: reserved in this CPU's ring with the common header filled in,
 * submitted with a wakeup only now and then, counted when the ring is full.
 *
 * Part of synscope.bpf.c, included there in order (each part uses the
 * ones before it); not a header for anything else. */
#ifndef SYNSCOPE_RING_BPF_H
#define SYNSCOPE_RING_BPF_H

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Reserve a record and fill the common header; NULL (and counted) when full.
 * The socket is named from sk, or when sk is NULL by sid (0: none); sk_kind
 * says what kind of kernel object the event came from (enum syn_sk_kind). */
static __always_inline struct syn_event *event_reserve(__u8 kind, const struct tuple *t,
						       const void *sk, __u64 sid, __u8 sk_kind)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	struct syn_event *e = ring ? bpf_ringbuf_reserve(ring, sizeof(*e), 0) : NULL;
	struct task_struct *task;
	__u64 *comm;

	if (!e) {
		count_lost();
		return NULL;
	}
	/* one helper call for the ids and the name (the kernel does not inline
	 * bpf_get_current_pid_tgid either) */
	task = bpf_get_current_task_btf();
	e->ts_ns = bpf_ktime_get_ns();
	if (sk)
		sock_id_in(&e->sock_id, sk);
	else
		e->sock_id = sid;
	e->netns = t->netns;
	e->pid = (__u32)task->tgid;
	e->tid = (__u32)task->pid;
	e->kind = kind;
	e->family = t->family;
	e->sport = t->sport;
	e->dport = t->dport;
	e->proto = t->proto;
	e->sk_kind = sk_kind;
	__builtin_memcpy(e->saddr, t->saddr, 16);
	__builtin_memcpy(e->daddr, t->daddr, 16);
	/* a segment or a socket's end happens in whatever task the CPU ran:
	 * its name says nothing (the tracker names lanes from the calls) */
	comm = (__u64 *)e->comm;
	if (kind == SYN_EV_SEGMENT || kind == SYN_EV_DESTROY) {
		comm[0] = comm[1] = 0;
	} else {
		/* two loads, not the helper's string copy: the kernel keeps comm
		 * NUL-padded (strscpy_pad), so the bytes are the helper's */
		const __u64 *c = (const __u64 *)task->comm;

		comm[0] = c[0];
		comm[1] = c[1];
	}
	/* the union is 32 bytes: clear it so no stale ring memory leaks out */
	__builtin_memset(&e->seg, 0, sizeof(e->seg));
	return e;
}

/* Bytes waiting in this CPU's ring. */
static __always_inline __u64 ring_queued(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);

	return ring ? bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) : 0;
}

/* Submit, waking the reader only once enough has queued: a wakeup per event
 * would cost more than the event. The reader also polls on a short timer. */
static __always_inline void event_submit(struct syn_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u32 zero = 0, *n = bpf_map_lookup_elem(&submits, &zero);

	/* how full the buffer is, only every wakeup_mask + 1 events per CPU:
	 * asking costs as much as the rest of the submit */
	if (n && !(++*n & wakeup_mask) &&
	    (!wakeup_bytes || ring_queued() >= wakeup_bytes))
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

#endif
