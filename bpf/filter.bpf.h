/* The filters (-P, -p, --comm, -4, -6): what passes, and what the programs
 * remember of what passed (ports, connections, sockets).
 *
 * Part of synscope.bpf.c, included there in order (each part uses the
 * ones before it); not a header for anything else. */
#ifndef SYNSCOPE_FILTER_BPF_H
#define SYNSCOPE_FILTER_BPF_H

static __always_inline bool port_wanted(__u16 sport, __u16 dport)
{
	if (!filter_nports)
		return true;
	for (int i = 0; i < SYN_MAX_PORTS; i++) {
		if (i >= filter_nports)
			break;
		if (filter_ports[i] == sport || filter_ports[i] == dport)
			return true;
	}
	return false;
}

static __always_inline bool family_wanted(__u8 family)
{
	return !filter_family || filter_family == family;
}

/* -p or --comm: only some tasks' calls, and what their sockets take part in
 * (their ports, their connections' other halves). */
static __always_inline bool filter_task(void)
{
	return filter_pid || filter_comm[0];
}

/* The current task (t) has the name asked for: the kernel keeps comm NUL
 * padded (__set_task_comm), so two words compare it whole. */
static __always_inline bool comm_wanted(struct task_struct *t)
{
	__u64 c[2];

	if (!filter_comm[0])
		return true;
	__builtin_memcpy(c, t->comm, sizeof(c));
	return c[0] == filter_comm[0] && c[1] == filter_comm[1];
}

/* The current task (t) has the name asked for, and it or one of its
 * ancestors is the traced process. */
static __always_inline bool task_wanted(struct task_struct *t)
{
	if (!comm_wanted(t))
		return false;
	if (!filter_pid)
		return true;
	for (int i = 0; i < 8; i++) {
		if (!t)
			return false;
		if ((__u32)t->tgid == filter_pid)
			return true;
		t = t->real_parent;
	}
	return false;
}

/* With a pid or name filter, a packet or softirq event passes when one of its ports
 * belongs to a traced process's socket. */
/* The same key from either end's view of a connection. */
static __always_inline void conn_key_of(const struct tuple *t, struct conn_key *k)
{
	__u64 s0, s1, d0, d1;
	bool swap;

	__builtin_memcpy(&s0, t->saddr, 8);
	__builtin_memcpy(&s1, t->saddr + 8, 8);
	__builtin_memcpy(&d0, t->daddr, 8);
	__builtin_memcpy(&d1, t->daddr + 8, 8);
	swap = t->sport > t->dport ||
	       (t->sport == t->dport && (s0 > d0 || (s0 == d0 && s1 > d1)));
	__builtin_memset(k, 0, sizeof(*k));
	k->family = t->family;
	__builtin_memcpy(k->lo_addr, swap ? t->daddr : t->saddr, 16);
	__builtin_memcpy(k->hi_addr, swap ? t->saddr : t->daddr, 16);
	k->lo_port = swap ? t->dport : t->sport;
	k->hi_port = swap ? t->sport : t->dport;
}

static __always_inline void watch_conn(const struct tuple *t)
{
	struct conn_key k;
	__u8 one = 1;

	if (!filter_task())
		return;
	conn_key_of(t, &k);
	bpf_map_update_elem(&watch_conns, &k, &one, BPF_ANY);
}

static __always_inline bool ports_watched(const struct tuple *t)
{
	struct syn_watch_key k = { .netns = t->netns, .port = t->sport };
	struct conn_key ck;

	if (!filter_task())
		return true;
	if (bpf_map_lookup_elem(&watch_ports, &k))
		return true;
	k.port = t->dport;
	if (bpf_map_lookup_elem(&watch_ports, &k))
		return true;
	conn_key_of(t, &ck);
	return bpf_map_lookup_elem(&watch_conns, &ck);
}

static __always_inline bool sk_wanted(const struct tuple *t)
{
	return family_wanted(t->family) && port_wanted(t->sport, t->dport) && ports_watched(t);
}

static __always_inline void watch_port(__u32 netns, __u16 port)
{
	struct syn_watch_key k = { .netns = netns, .port = port };
	__u8 one = 1;

	if (filter_task() && port)
		bpf_map_update_elem(&watch_ports, &k, &one, BPF_ANY);
}

static __always_inline bool filtering(void)
{
	return filter_nports || filter_task();
}

/* Set once any socket was tracked: until then (a filter that matched
 * nothing yet) no event needs a lookup. */
__u32 any_tracked = 0;

static __always_inline bool sock_tracked(const void *sk)
{
	union sock_key key = { .sk = sk };

	if (!sk || !any_tracked)
		return false;
	return bpf_map_lookup_elem(&tracked, &key);
}

static __always_inline void sock_track(const void *sk)
{
	union sock_key key = { .sk = sk };
	__u8 one = 1;

	/* once: its every state change asks, and an LRU map's update costs
	 * several lookups (the lookup marks the entry used all the same) */
	if (filtering() && sk && !sock_tracked(sk)) {
		bpf_map_update_elem(&tracked, &key, &one, BPF_ANY);
		if (!any_tracked)
			any_tracked = 1;
	}
}

static __always_inline void sock_untrack(const void *sk)
{
	union sock_key key = { .sk = sk };

	if (filtering() && sk && any_tracked)
		bpf_map_delete_elem(&tracked, &key);
}

/* With a pid or name filter, a packet passes when one of its ports is
 * watched, or when sent is true (it left this host from socket sk) and sk
 * is tracked: a traced connect()'s SYN before its port was known (on the
 * wire, or dropped before it got there). Its port is watched from then on. */
static __always_inline bool packet_watched(const struct tuple *t, bool sent, const void *sk)
{
	if (ports_watched(t))
		return true;
	if (!sent || !sock_tracked(sk))
		return false;
	watch_port(t->netns, t->sport);
	return true;
}

#endif
