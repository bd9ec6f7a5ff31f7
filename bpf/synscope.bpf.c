// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * synscope kernel side: TCP socket calls, state changes and segments from
 * tracepoints (tp_btf only: no kprobes, no fentry, no tracefs needed), into
 * one BPF ring buffer of fixed-size struct syn_event records.
 *
 * Everything is filtered before a record is reserved, so traffic the user did
 * not ask for costs a few loads and compares.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "synscope_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf
#define TCP_STATE_TIME_WAIT 6
#define TCP_STATE_LISTEN 10
#define TCP_STATE_NEW_SYN_RECV 12

/* x86_64 syscall numbers of the calls we follow. */
#if defined(__TARGET_ARCH_x86)
#define NR_READ 0
#define NR_WRITE 1
#define NR_CLOSE 3
#define NR_SOCKET 41
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_SHUTDOWN 48
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_SETSOCKOPT 54
#define NR_ACCEPT4 288
#else
#error "synscope's syscall table is x86_64 only for now"
#endif

/* Read-only configuration, set by the loader before load. */
const volatile __u32 filter_pid = 0;      /* trace this process and its descendants */
/* trace the tasks of this name (--comm; the 16 bytes of task->comm, NUL
 * padded, as two words: compared in two loads), 0 = any */
const volatile __u64 filter_comm[2] = {};
const volatile __u8 filter_family = 0;    /* AF_INET / AF_INET6, 0 = both */
const volatile __u8 filter_nports = 0;
const volatile __u16 filter_ports[SYN_MAX_PORTS] = {};
const volatile __u64 id_key1 = 0;         /* per-run secret for sock_id_in() */
const volatile __u64 id_key2 = 0;
const volatile __u32 wakeup_bytes = 0;    /* wake userspace when this much is queued */
const volatile __u32 wakeup_mask = 0;     /* ... looking every wakeup_mask + 1 events */
const volatile __u32 self_tgid = 0;       /* synscope itself: its calls are not traced */
const volatile __u8 retransmit_err = 0;   /* tcp_retransmit_skb passes err (6.11+) */
/* Where tw_timer_handler is, from /proc/kallsyms: a timer that runs it is a
 * timewait socket's. Compared with, never written out; without it the
 * timer program is not loaded. */
const volatile __u64 tw_timer_fn = 0;

/* A ring buffer per CPU: one shared ring's lock and producer position moved
 * between the cores on every record. The loader sizes them, makes one per
 * online CPU (a CPU not online shares one), puts each in its CPU's slot and
 * merges their events back into time order. */
struct ring_of_cpu {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ring_of_cpu);
} rings SEC(".maps");

/* Events submitted per CPU: event_submit() looks at the fill level every
 * few. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} submits SEC(".maps");

/* Events that found the ring buffer full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* With a pid or name filter: local ports of the traced processes' sockets, so the
 * segments and softirq state changes of their connections pass too. Keyed
 * by namespace as well: the same port elsewhere is someone else's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct syn_watch_key);
	__type(value, __u8);
} watch_ports SEC(".maps");

/* With a pid or name filter: connections a traced socket took part in, by their
 * addresses and ports (either end's view), in any namespace: so the peer's
 * half on this host passes too, even where no traced process lives (a
 * refusing server namespace's RST). Filled by the handshake's segments. */
struct conn_key {
	__u8 lo_addr[16], hi_addr[16];
	__u16 lo_port, hi_port;
	__u8 family, pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, __u8);
} watch_conns SEC(".maps");

/* With any filter: sockets that passed it once. Their later events pass too,
 * even after the kernel cleared their ports on the way out (the last state
 * changes, the destroy and the final close() carry local port 0), and a
 * traced connect()'s socket passes before its port is chosen. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} tracked SEC(".maps");

/* The addresses and ports of one end, in that end's own view. */
struct tuple {
	__u32 netns;    /* network namespace inode */
	__u8 family;
	__u8 proto;     /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 sport, dport;
	__u8 saddr[16], daddr[16];
};

static __always_inline __u64 mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * A pointer's value as a plain number. The verifier refuses arithmetic on
 * BTF pointers and reads a pointer spilled to the stack back as that pointer;
 * but a privileged program may store one into map or ring-buffer memory and
 * load it back as a number. slot is such memory, owned by this program run
 * (a record reserved but not submitted, or this task's close stash).
 */
static __always_inline __u64 ptr_value_in(volatile __u64 *slot, const void *p)
{
	*(const void *volatile *)slot = p;
	return *slot;
}

/* Names a kernel socket (sk, not NULL) without revealing its address: a
 * bijection (so no two live sockets collide) keyed by two secrets chosen at
 * each start. The address passes through slot, which then holds the name:
 * nothing outside the program ever sees the address. */
static __always_inline void sock_id_in(volatile __u64 *slot, const void *sk)
{
	*slot = mix64(mix64(ptr_value_in(slot, sk) ^ id_key1) ^ id_key2);
}

/* The tracked map's key: the address itself, on the stack, which the map
 * helpers may read in a privileged program. It never leaves the kernel. */
union sock_key {
	const void *sk;
	__u64 value;
};

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

	if (filtering() && sk) {
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

static __always_inline bool is_v4_mapped(const __u8 *a)
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	return a[10] == 0xff && a[11] == 0xff;
}

/* IPv4-mapped IPv6 sockets send IPv4 packets: name them as IPv4 so their
 * states and syscalls join their segments. */
static __always_inline void tuple_unmap_v4(struct tuple *t)
{
	if (t->family != AF_INET6 || !is_v4_mapped(t->saddr) || !is_v4_mapped(t->daddr))
		return;
	t->family = AF_INET;
	__builtin_memcpy(t->saddr, t->saddr + 12, 4);
	__builtin_memset(t->saddr + 4, 0, 12);
	__builtin_memcpy(t->daddr, t->daddr + 12, 4);
	__builtin_memset(t->daddr + 4, 0, 12);
}

/*
 * Reading kernel memory. A tp_btf program reads the fields of its arguments
 * (and of what they point to) with plain loads: the verifier knows their
 * types. A pointer found some other way (a file behind a descriptor) is a
 * plain number to the verifier: on kernels with the bpf_rdonly_cast kfunc it
 * is given its type back and read the same way; without, every field costs a
 * bpf_probe_read_kernel call (BPF_CORE_READ). RD(direct, p, a, b) reads
 * p->a->b either way; direct must be a compile-time constant.
 */
#define RD_CHAIN1(p, a) ((p)->a)
#define RD_CHAIN2(p, a, b) ((p)->a->b)
#define RD_CHAIN3(p, a, b, c) ((p)->a->b->c)
#define RD_PICK(_1, _2, _3, NAME, ...) NAME
#define RD_CHAIN(p, ...) RD_PICK(__VA_ARGS__, RD_CHAIN3, RD_CHAIN2, RD_CHAIN1, x)(p, __VA_ARGS__)
#define RD(direct, p, ...) ((direct) ? RD_CHAIN(p, __VA_ARGS__) : BPF_CORE_READ(p, __VA_ARGS__))

/* Works for full, request and timewait sockets: all start with sock_common. */
static __always_inline void tuple_from_sk(const struct sock_common *sk, struct tuple *t, bool direct)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->proto = IPPROTO_TCP; /* request and timewait sockets are TCP's */
	t->netns = RD(direct, sk, skc_net.net, ns.inum);
	t->family = RD(direct, sk, skc_family);
	t->sport = RD(direct, sk, skc_num);
	t->dport = bpf_ntohs(RD(direct, sk, skc_dport));
	if (t->family == AF_INET) {
		__u32 s = RD(direct, sk, skc_rcv_saddr), d = RD(direct, sk, skc_daddr);

		__builtin_memcpy(t->saddr, &s, 4);
		__builtin_memcpy(t->daddr, &d, 4);
	} else if (t->family == AF_INET6) {
		if (direct) {
			__builtin_memcpy(t->saddr, sk->skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			__builtin_memcpy(t->daddr, sk->skc_v6_daddr.in6_u.u6_addr8, 16);
		} else {
			/* &array: the macro copies sizeof(*dst), which must be all 16 bytes */
			BPF_CORE_READ_INTO(&t->saddr, sk, skc_v6_rcv_saddr.in6_u.u6_addr8);
			BPF_CORE_READ_INTO(&t->daddr, sk, skc_v6_daddr.in6_u.u6_addr8);
		}
		tuple_unmap_v4(t);
	}
}

/* A full socket, TCP or UDP. */
static __always_inline void tuple_from_full_sk(const struct sock *sk, struct tuple *t, bool direct)
{
	tuple_from_sk(&sk->__sk_common, t, direct);
	t->proto = RD(direct, sk, sk_protocol);
}

/* Which kernel object sk (not NULL, a BTF pointer) is. A request or a
 * timewait socket is only a struct sock_common: its state says which, before
 * any field past that is read. A raw socket the kernel made for itself is
 * TCP's control socket (per CPU for IPv4, per namespace for IPv6), which
 * sends what no socket sends for itself (a reset to a closed port); a raw
 * socket of a program (a packet generator) is none of ours. */
static __always_inline __u8 sk_kind_of(const struct sock *sk)
{
	__u8 st = sk->__sk_common.skc_state;

	if (st == TCP_STATE_NEW_SYN_RECV)
		return SYN_SK_REQUEST;
	if (st == TCP_STATE_TIME_WAIT)
		return SYN_SK_TIMEWAIT;
	if (sk->sk_type == SOCK_RAW)
		return BPF_CORE_READ_BITFIELD(sk, sk_kern_sock) ? SYN_SK_CONTROL : SYN_SK_UNKNOWN;
	return st == TCP_STATE_LISTEN ? SYN_SK_LISTENER : SYN_SK_FULL;
}

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

/* ---- socket calls ------------------------------------------------------ */

/* Kernel 6.2+: a pointer value made into a typed, read-only pointer. Weak:
 * on older kernels only the *_compat programs load (bpf_source.c). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* The file behind a descriptor of the current task, or NULL. Direct: the
 * table's slot is read with one load, as the first field of a struct kiocb
 * (ki_filp, a struct file pointer) cast onto it, instead of a helper call
 * copying 8 bytes (a third of a filtered-out call's cost). */
static __always_inline struct file *file_from_fd(struct task_struct *task, int fd, bool direct)
{
	struct fdtable *fdt = task->files->fdt;
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (direct) {
		struct kiocb *slot = bpf_rdonly_cast(&fds[fd], bpf_core_type_id_kernel(struct kiocb));

		return slot->ki_filp;
	}
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The TCP (or, with udp, UDP) socket behind a file; NULL for any other file. */
static __always_inline struct sock *inet_sock_of_file(struct file *f, bool udp, bool direct)
{
	struct socket *sock;
	struct sock *sk;
	void *priv;
	__u16 family, proto, type;

	if (!f || (RD(direct, f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	priv = RD(direct, f, private_data);
	sock = direct ? bpf_rdonly_cast(priv, bpf_core_type_id_kernel(struct socket)) : priv;
	sk = RD(direct, sock, sk);
	if (!sk)
		return NULL;
	proto = RD(direct, sk, sk_protocol);
	type = RD(direct, sk, sk_type);
	if (!(proto == IPPROTO_TCP && type == SOCK_STREAM) &&
	    !(udp && proto == IPPROTO_UDP && type == SOCK_DGRAM))
		return NULL;
	family = RD(direct, sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	return sk;
}

/* A socket's local port as its packets carry it: unlike skc_num, not
 * cleared when the socket is unhashed. */
static __always_inline __be16 inet_sport_of(const struct sock *sk, bool direct)
{
	if (direct) {
		const struct inet_sock *inet = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct inet_sock));

		return inet->inet_sport;
	}
	return BPF_CORE_READ((const struct inet_sock *)sk, inet_sport);
}

/* Kernels before 6.13 counted file references in f_count. */
struct file___old {
	atomic_long_t f_count;
};

/* Does this descriptor hold the file's last reference (close sends FIN)? */
static __always_inline bool file_last_ref(struct file *f, bool direct)
{
	if (bpf_core_field_exists(f->f_ref)) {
		/* file_ref_t stores count - 1: 0 means one reference */
		return RD(direct, f, f_ref.refcnt.counter) == 0;
	}
	return BPF_CORE_READ((struct file___old *)f, f_count.counter) == 1;
}

static __always_inline __u8 call_of_nr(long nr)
{
	switch (nr) {
	case NR_LISTEN: return SYN_CALL_LISTEN;
	case NR_CONNECT: return SYN_CALL_CONNECT;
	case NR_ACCEPT: return SYN_CALL_ACCEPT;
	case NR_ACCEPT4: return SYN_CALL_ACCEPT4;
	case NR_SHUTDOWN: return SYN_CALL_SHUTDOWN;
	case NR_CLOSE: return SYN_CALL_CLOSE;
	case NR_SOCKET: return SYN_CALL_SOCKET;
	case NR_BIND: return SYN_CALL_BIND;
	case NR_READ: return SYN_CALL_READ;
	case NR_WRITE: return SYN_CALL_WRITE;
	case NR_RECVFROM: return SYN_CALL_RECVFROM;
	case NR_SENDTO: return SYN_CALL_SENDTO;
	case NR_RECVMSG: return SYN_CALL_RECVMSG;
	case NR_SENDMSG: return SYN_CALL_SENDMSG;
	case NR_SETSOCKOPT: return SYN_CALL_SETSOCKOPT;
	}
	return 0;
}

/* setsockopt() options that change what TCP does on the wire or at close
 * (names in userspace/base/names.c). Others (timeouts of calls, marks,
 * buffers' watermarks...) are not reported: a program may set them often. */
#define SOL_SOCKET_ 1
#define SO_LINGER_ 13
/* SO_REUSEADDR 2, SO_SNDBUF 7, SO_RCVBUF 8, SO_KEEPALIVE 9, SO_LINGER 13, SO_REUSEPORT 15 */
#define SOCKET_OPTS ((1u << 2) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 13) | (1u << 15))
/* TCP_NODELAY 1, TCP_MAXSEG 2, TCP_CORK 3, TCP_KEEPIDLE 4, TCP_KEEPINTVL 5,
 * TCP_KEEPCNT 6, TCP_SYNCNT 7, TCP_LINGER2 8, TCP_DEFER_ACCEPT 9,
 * TCP_WINDOW_CLAMP 10, TCP_QUICKACK 12, TCP_USER_TIMEOUT 18, TCP_FASTOPEN 23,
 * TCP_NOTSENT_LOWAT 25, TCP_FASTOPEN_CONNECT 30: each an int */
#define TCP_OPTS (0x7feu | (1u << 12) | (1u << 18) | (1u << 23) | (1u << 25) | (1u << 30))

static __always_inline bool sockopt_wanted(long level, long optname)
{
	if (optname < 0 || optname > 31)
		return false;
	if (level == SOL_SOCKET_)
		return SOCKET_OPTS & (1u << optname);
	return level == IPPROTO_TCP && (TCP_OPTS & (1u << optname));
}

/* Calls that also mean something on a UDP socket (the classroom's contrast). */
static __always_inline bool call_for_udp(__u8 call)
{
	return call != SYN_CALL_LISTEN && call != SYN_CALL_ACCEPT && call != SYN_CALL_ACCEPT4 &&
	       call != SYN_CALL_SHUTDOWN;
}

/* connect() and bind() name a port in a user sockaddr: the port filter
 * needs it before the socket holds it. */
static __always_inline __u16 sockaddr_port(const void *uaddr)
{
	struct {
		__u16 family;
		__u16 port;
	} head = {};

	if (bpf_probe_read_user(&head, sizeof(head), uaddr))
		return 0;
	if (head.family != AF_INET && head.family != AF_INET6)
		return 0;
	return bpf_ntohs(head.port);
}

/* A call's record, reserved and filled, not submitted yet (NULL: the ring is full). */
static __always_inline struct syn_event *call_event(__u8 call, __u8 phase, const struct tuple *t,
						    const void *sk, __u64 sid, __s32 fd, __s32 arg,
						    __s64 ret, __s32 new_fd, bool last_ref)
{
	struct syn_event *e = event_reserve(SYN_EV_SYSCALL, t, sk, sid, SYN_SK_FULL);

	if (!e)
		return NULL;
	e->sys.call = call;
	e->sys.phase = phase;
	e->sys.last_ref = last_ref;
	e->sys.fd = fd;
	e->sys.arg = arg;
	e->sys.new_fd = new_fd;
	e->sys.ret = ret;
	return e;
}

static __always_inline void emit_call(__u8 call, __u8 phase, const struct tuple *t,
				      const void *sk, __u64 sid, __s32 fd, __s32 arg, __s64 ret,
				      __s32 new_fd, bool last_ref)
{
	struct syn_event *e = call_event(call, phase, t, sk, sid, fd, arg, ret, new_fd, last_ref);

	if (e)
		event_submit(e);
}

/* setsockopt(fd, level, optname, optval, optlen) entered: the value is read
 * from the caller's memory now, as the kernel is about to read it (an int;
 * SO_LINGER's struct linger is two). A value that cannot be read is left
 * out (vlen 0): the call's return says what the kernel made of it. */
static __always_inline void emit_setsockopt(struct pt_regs *regs, const struct tuple *t,
					    const void *sk, __s32 fd)
{
	long level = (long)regs->si, optname = (long)regs->dx, optlen = (long)regs->r8;
	const void *optval = (const void *)regs->r10;
	struct syn_event *e = call_event(SYN_CALL_SETSOCKOPT, SYN_PHASE_ENTRY, t, sk, 0, fd,
					 (__s32)optname, 0, (__s32)level, false);

	if (!e)
		return;
	if (level == SOL_SOCKET_ && optname == SO_LINGER_ && optlen >= 8) {
		if (!bpf_probe_read_user(e->sys.val, 8, optval))
			e->sys.vlen = 8;
	} else if (optlen >= 4 && !bpf_probe_read_user(e->sys.val, 4, optval)) {
		e->sys.vlen = 4;
	}
	event_submit(e);
}

/* synscope's own calls (its output file, its poll) are never news. */
static __always_inline bool is_self(struct task_struct *task)
{
	return self_tgid && (__u32)task->tgid == self_tgid;
}

/* close() returns after its socket may be gone: what its entry saw, kept
 * with the thread (task storage: a cached pointer away, where a hash map's
 * update and delete cost more than the event). Left in place and marked not
 * pending after the return, so a thread allocates it once. */
struct close_stash {
	__u64 sid;
	struct tuple t;
	__s32 fd;
	__u8 pending;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct close_stash);
} closes SEC(".maps");

/* With a port filter, most calls are on other sockets: their ports alone,
 * before the rest of the tuple is read, say so. */
static __always_inline bool call_ports_unwanted(__u8 call, struct pt_regs *regs,
						const struct sock *sk, bool entry, bool direct)
{
	if (!filter_nports)
		return false;
	if (port_wanted(RD(direct, sk, __sk_common.skc_num),
			bpf_ntohs(RD(direct, sk, __sk_common.skc_dport))))
		return false;
	if (entry && (call == SYN_CALL_CONNECT || call == SYN_CALL_BIND) &&
	    port_wanted(0, sockaddr_port((void *)regs->si)))
		return false;
	if (entry && call == SYN_CALL_SENDTO && regs->r8 &&
	    port_wanted(0, sockaddr_port((void *)regs->r8)))
		return false;
	return !sock_tracked(sk);
}

/* Does a call on this socket pass the filters? Entry and return decide
 * alike, so a call's return is reported when its entry was: connect() and
 * bind() mark their socket tracked on entry, before it holds the port. */
static __always_inline bool call_wanted(__u8 call, struct pt_regs *regs, const struct sock *sk,
					const struct tuple *t, bool entry)
{
	if (t->proto == IPPROTO_UDP && !call_for_udp(call))
		return false;
	if (!family_wanted(t->family))
		return false;
	if (port_wanted(t->sport, t->dport))
		return true;
	if (entry && (call == SYN_CALL_CONNECT || call == SYN_CALL_BIND) &&
	    port_wanted(0, sockaddr_port((void *)regs->si)))
		return true;
	/* an unconnected UDP socket's sendto() names its peer in its 5th argument */
	if (entry && call == SYN_CALL_SENDTO && regs->r8 &&
	    port_wanted(0, sockaddr_port((void *)regs->r8)))
		return true;
	return sock_tracked(sk);
}

static __always_inline int sys_enter(struct pt_regs *regs, long nr, bool direct)
{
	__u8 call = call_of_nr(nr);
	struct task_struct *task;
	struct file *f;
	struct sock *sk;
	struct tuple t;
	__s32 fd, arg = 0;

	/* socket() is reported on return only: the socket exists from then */
	if (!call || call == SYN_CALL_SOCKET)
		return 0;
	if (call == SYN_CALL_SETSOCKOPT && !sockopt_wanted((long)regs->si, (long)regs->dx))
		return 0;
	task = bpf_get_current_task_btf();
	if (is_self(task) || !task_wanted(task))
		return 0;
	fd = (__s32)regs->di;
	f = file_from_fd(task, fd, direct);
	sk = inet_sock_of_file(f, true, direct);
	if (!sk || call_ports_unwanted(call, regs, sk, true, direct))
		return 0;
	tuple_from_full_sk(sk, &t, direct);
	if (!call_wanted(call, regs, sk, &t, true))
		return 0;
	/* its packets pass from now on: a connect()'s SYN before its port is
	 * chosen, a UDP socket's first datagram before it is bound, a Fast
	 * Open sendto()'s SYN; and its return passes as its entry did, though
	 * a failed connection leaves the socket without the port that passed */
	if (call == SYN_CALL_CONNECT || call == SYN_CALL_BIND || t.proto == IPPROTO_UDP ||
	    (call == SYN_CALL_SENDTO && regs->r8))
		sock_track(sk);
	if (call == SYN_CALL_LISTEN || call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4 ||
	    (t.proto == IPPROTO_UDP && t.sport))
		watch_port(t.netns, t.sport);
	/* the thread's close() stash is made here, not by its first close():
	 * an allocation there would delay that close() (two close()s meant to
	 * cross would not) */
	if (call == SYN_CALL_CONNECT || call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4)
		bpf_task_storage_get(&closes, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (call == SYN_CALL_SHUTDOWN || call == SYN_CALL_LISTEN)
		arg = (__s32)regs->si;
	if (call == SYN_CALL_ACCEPT4)
		arg = (__s32)regs->r10;
	if (call == SYN_CALL_BIND)
		arg = sockaddr_port((void *)regs->si);
	if (call == SYN_CALL_SENDTO) /* where to: a datagram's peer, 0 when connected */
		arg = regs->r8 ? sockaddr_port((void *)regs->r8) : 0;
	else if (call >= SYN_CALL_READ && call <= SYN_CALL_RECVFROM)
		arg = (__s32)regs->dx; /* the bytes asked for */

	if (call == SYN_CALL_CLOSE) {
		struct close_stash *st = bpf_task_storage_get(&closes, task, 0,
							      BPF_LOCAL_STORAGE_GET_F_CREATE);

		if (st) {
			sock_id_in(&st->sid, sk);
			st->t = t;
			st->fd = fd;
			st->pending = 1;
		}
		emit_call(call, SYN_PHASE_ENTRY, &t, sk, 0, fd, arg, 0, -1, file_last_ref(f, direct));
		return 0;
	}
	if (call == SYN_CALL_SETSOCKOPT) {
		emit_setsockopt(regs, &t, sk, fd);
		return 0;
	}
	emit_call(call, SYN_PHASE_ENTRY, &t, sk, 0, fd, arg, 0, -1, false);
	return 0;
}

/* The return of a call: its arguments are still in regs (x86_64 keeps them
 * in pt_regs; only ax holds the result), so the socket is found again from
 * the descriptor rather than stashed per call. */
static __always_inline int sys_exit(struct pt_regs *regs, long ret, bool direct)
{
	__u8 call = call_of_nr(regs->orig_ax);
	struct task_struct *task;
	struct sock *sk;
	struct tuple t;
	__s32 fd, new_fd = -1, arg = 0;

	if (!call)
		return 0;
	if (call == SYN_CALL_SETSOCKOPT && !sockopt_wanted((long)regs->si, (long)regs->dx))
		return 0;
	task = bpf_get_current_task_btf();
	if (is_self(task))
		return 0;
	if (call == SYN_CALL_CLOSE) {
		struct close_stash *st = bpf_task_storage_get(&closes, task, 0, 0);

		if (st && st->pending) {
			st->pending = 0;
			emit_call(call, SYN_PHASE_RETURN, &st->t, NULL, st->sid, st->fd, 0, ret, -1,
				  false);
		}
		return 0;
	}
	if (!task_wanted(task))
		return 0;
	if (call == SYN_CALL_SOCKET) {
		int domain = (int)regs->di, type = (int)regs->si;

		/* the new socket has no port yet: only without a port filter */
		if (ret < 0 || filter_nports || (domain != AF_INET && domain != AF_INET6) ||
		    ((type & SOCK_TYPE_MASK) != SOCK_STREAM && (type & SOCK_TYPE_MASK) != SOCK_DGRAM))
			return 0;
		sk = inet_sock_of_file(file_from_fd(task, (int)ret, direct), true, direct);
		if (!sk)
			return 0;
		tuple_from_full_sk(sk, &t, direct);
		emit_call(call, SYN_PHASE_RETURN, &t, sk, 0, (__s32)ret, type, ret, -1, false);
		return 0;
	}
	fd = (__s32)regs->di;
	sk = inet_sock_of_file(file_from_fd(task, fd, direct), true, direct);
	if (!sk || call_ports_unwanted(call, regs, sk, false, direct))
		return 0;
	tuple_from_full_sk(sk, &t, direct);
	if (!call_wanted(call, regs, sk, &t, false))
		return 0;
	if ((call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4) && ret >= 0) {
		/* report the accepted connection's socket, not the listener */
		struct sock *child = inet_sock_of_file(file_from_fd(task, (int)ret, direct), false,
						       direct);

		if (child) {
			sk = child;
			tuple_from_full_sk(sk, &t, direct);
			/* reset (or hit by an ICMP error) before accept() returned:
			 * unhashed, its local port cleared; inet_sport keeps it */
			if (!t.sport)
				t.sport = bpf_ntohs(inet_sport_of(sk, direct));
		}
		new_fd = (__s32)ret;
	}
	if ((call == SYN_CALL_CONNECT || call == SYN_CALL_BIND) && filter_task())
		watch_port(t.netns, t.sport);
	if (call == SYN_CALL_SETSOCKOPT) { /* which option: the entry's level and optname */
		arg = (__s32)regs->dx;
		new_fd = (__s32)regs->si;
	}
	emit_call(call, SYN_PHASE_RETURN, &t, sk, 0, fd, arg, ret, new_fd, false);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long nr)
{
	return sys_enter(regs, nr, true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	return sys_exit(regs, ret, true);
}

/* The same for kernels without bpf_rdonly_cast (before 6.2). */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter_compat, struct pt_regs *regs, long nr)
{
	return sys_enter(regs, nr, false);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit_compat, struct pt_regs *regs, long ret)
{
	return sys_exit(regs, ret, false);
}

/* ---- state changes ----------------------------------------------------- */

/* With only a port filter, a socket's own ports (or that it passed before)
 * decide before its tuple is read: most sockets are someone else's. */
static __always_inline bool sk_ports_unwanted(const struct sock *sk)
{
	return filter_nports && !filter_task() &&
	       !port_wanted(sk->__sk_common.skc_num, bpf_ntohs(sk->__sk_common.skc_dport)) &&
	       !sock_tracked(sk);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct syn_event *e;
	struct tuple t;

	if (sk->sk_protocol != IPPROTO_TCP || sk_ports_unwanted(sk))
		return 0;
	tuple_from_sk(&sk->__sk_common, &t, true);
	if (!family_wanted(t.family))
		return 0;
	if (filtering()) {
		if (sk_wanted(&t))
			sock_track(sk);
		else if (!sock_tracked(sk))
			return 0;
	}
	e = event_reserve(SYN_EV_STATE, &t, sk, 0, SYN_SK_FULL);
	if (!e)
		return 0;
	e->state.oldstate = oldstate;
	e->state.newstate = newstate;
	event_submit(e);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(on_destroy_sock, struct sock *sk)
{
	struct syn_event *e;
	struct tuple t;

	if (sk_ports_unwanted(sk))
		return 0;
	tuple_from_sk(&sk->__sk_common, &t, true);
	if (!family_wanted(t.family))
		return 0;
	if (filtering()) {
		if (!sk_wanted(&t) && !sock_tracked(sk))
			return 0;
		sock_untrack(sk);
	}
	e = event_reserve(SYN_EV_DESTROY, &t, sk, 0, SYN_SK_FULL);
	if (e)
		event_submit(e);
	return 0;
}

/* ---- segments ---------------------------------------------------------- */

struct tcp_fixed {
	__be16 source, dest;
	__be32 seq, ack_seq;
	__u8 doff_res;  /* data offset in the high nibble */
	__u8 flags;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

struct udp_fixed {
	__be16 source, dest;
	__be16 len;
	__sum16 check;
};

static __always_inline bool l4_wanted(__u8 l4, bool udp)
{
	return l4 == IPPROTO_TCP || (udp && l4 == IPPROTO_UDP);
}

/* parse_ip_l4 with loads through typed read-only pointers (bpf_rdonly_cast)
 * instead of a helper call copying the headers: the common case of a
 * segment event costs less, and a filtered-out one much less. */
static __always_inline int parse_ip_l4_direct(const void *ip, __u16 proto, bool rx, bool udp,
					      struct tuple *t, struct tcp_fixed *th)
{
	const struct tcphdr *l4h;
	int thoff;
	__u8 l4;

	__builtin_memset(t, 0, sizeof(*t));
	if (proto == bpf_htons(ETH_P_IP)) {
		const struct iphdr *iph = bpf_rdonly_cast(ip, bpf_core_type_id_kernel(struct iphdr));
		__u32 src, dst;

		l4 = iph->protocol;
		if (!l4_wanted(l4, udp))
			return 0;
		if (iph->frag_off & bpf_htons(0x1fff)) /* non-first fragment: no TCP header */
			return 0;
		thoff = (*(const __u8 *)iph & 0x0f) * 4; /* ihl, the low nibble of byte 0 */
		if (thoff < 20)
			return 0;
		t->family = AF_INET;
		src = iph->saddr;
		dst = iph->daddr;
		/* t->saddr is the local end: on rx that is the packet's destination */
		__builtin_memcpy(rx ? t->daddr : t->saddr, &src, 4);
		__builtin_memcpy(rx ? t->saddr : t->daddr, &dst, 4);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = bpf_rdonly_cast(ip, bpf_core_type_id_kernel(struct ipv6hdr));
		__u32 a[8];

		l4 = ip6->nexthdr;
		if (!l4_wanted(l4, udp))
			return 0;
		t->family = AF_INET6;
		for (int i = 0; i < 4; i++) {
			a[i] = ip6->saddr.in6_u.u6_addr32[i];
			a[4 + i] = ip6->daddr.in6_u.u6_addr32[i];
		}
		__builtin_memcpy(rx ? t->daddr : t->saddr, a, 16);
		__builtin_memcpy(rx ? t->saddr : t->daddr, a + 4, 16);
		thoff = sizeof(struct ipv6hdr);
	} else {
		return 0;
	}
	t->proto = l4;
	l4h = bpf_rdonly_cast(ip + thoff, bpf_core_type_id_kernel(struct tcphdr));
	__builtin_memset(th, 0, sizeof(*th));
	/* a UDP header starts with its ports too */
	th->source = l4h->source;
	th->dest = l4h->dest;
	if (l4 == IPPROTO_TCP) {
		th->seq = l4h->seq;
		th->ack_seq = l4h->ack_seq;
		th->doff_res = ((const __u8 *)l4h)[12];
		th->flags = ((const __u8 *)l4h)[13];
		th->window = l4h->window;
	} else {
		th->doff_res = 2 << 4; /* 8 header bytes, in the TCP field's units */
	}
	t->sport = bpf_ntohs(rx ? th->dest : th->source);
	t->dport = bpf_ntohs(rx ? th->source : th->dest);
	return thoff;
}

/* Parse IP + TCP (or, with udp, UDP) headers at ip (kernel memory). tx: the
 * packet's source is the local end; rx: its destination is. th gets the TCP
 * header; for UDP only its ports are filled, and t->proto says which. Returns
 * the L4 header offset from ip, or 0 when this is nothing we can read. */
static __always_inline int parse_ip_l4(const void *ip, __u16 proto, bool rx, bool udp,
				       struct tuple *t, struct tcp_fixed *th)
{
	/* one read for the IP header and the L4 header after it, as they
	 * nearly always are (IPv4 without options); a second only if not */
	union {
		struct {
			struct iphdr ip;
			struct tcp_fixed l4;
		} v4;
		struct {
			struct ipv6hdr ip;
			struct tcp_fixed l4;
		} v6;
	} h;
	bool l4_read = false;
	int thoff;

	__builtin_memset(t, 0, sizeof(*t));
	if (proto == bpf_htons(ETH_P_IP)) {
		if (bpf_probe_read_kernel(&h.v4, sizeof(h.v4), ip)) {
			if (bpf_probe_read_kernel(&h.v4.ip, sizeof(h.v4.ip), ip))
				return 0;
		} else {
			l4_read = h.v4.ip.ihl == 5;
		}
		if (!l4_wanted(h.v4.ip.protocol, udp))
			return 0;
		if (h.v4.ip.frag_off & bpf_htons(0x1fff)) /* non-first fragment: no TCP header */
			return 0;
		t->family = AF_INET;
		t->proto = h.v4.ip.protocol;
		/* t->saddr is the local end: on rx that is the packet's destination */
		__builtin_memcpy(rx ? t->daddr : t->saddr, &h.v4.ip.saddr, 4);
		__builtin_memcpy(rx ? t->saddr : t->daddr, &h.v4.ip.daddr, 4);
		thoff = h.v4.ip.ihl * 4;
		if (thoff < 20)
			return 0;
		if (l4_read)
			__builtin_memcpy(th, &h.v4.l4, sizeof(*th));
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (bpf_probe_read_kernel(&h.v6, sizeof(h.v6), ip)) {
			if (bpf_probe_read_kernel(&h.v6.ip, sizeof(h.v6.ip), ip))
				return 0;
		} else {
			l4_read = true;
		}
		if (!l4_wanted(h.v6.ip.nexthdr, udp))
			return 0;
		t->family = AF_INET6;
		t->proto = h.v6.ip.nexthdr;
		__builtin_memcpy(rx ? t->daddr : t->saddr, &h.v6.ip.saddr, 16);
		__builtin_memcpy(rx ? t->saddr : t->daddr, &h.v6.ip.daddr, 16);
		thoff = sizeof(h.v6.ip);
		if (l4_read)
			__builtin_memcpy(th, &h.v6.l4, sizeof(*th));
	} else {
		return 0;
	}
	if (!l4_read && bpf_probe_read_kernel(th, sizeof(*th), ip + thoff))
		return 0;
	if (t->proto == IPPROTO_UDP) {
		/* the UDP header is the first 8 bytes of what was read */
		struct udp_fixed uh;

		__builtin_memcpy(&uh, th, sizeof(uh));
		__builtin_memset(th, 0, sizeof(*th));
		th->source = uh.source;
		th->dest = uh.dest;
		th->doff_res = 2 << 4; /* 8 header bytes, in the TCP field's units */
	}
	t->sport = bpf_ntohs(rx ? th->dest : th->source);
	t->dport = bpf_ntohs(rx ? th->source : th->dest);
	return thoff;
}

/* The handshake options (MSS, window scale, SACK permitted, timestamps,
 * Fast Open). */
static __always_inline void parse_tcp_options(const void *opt_start, int optlen,
					      struct syn_segment *seg)
{
	__u8 o[64] = {}; /* indexes are masked with 63: all of it must be initialised */
	int i = 0;

	if (optlen <= 0)
		return;
	if (optlen > 40)
		optlen = 40;
	if (bpf_probe_read_kernel(o, 40, opt_start))
		return;
	for (int n = 0; n < 20; n++) {
		__u8 kind, len;

		if (i >= optlen || i > 38)
			break;
		kind = o[i & 63];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		len = o[(i + 1) & 63];
		if (len < 2 || i + len > optlen)
			break;
		if (kind == 2 && len == 4 && i + 3 < 40) {
			seg->opts |= SYN_OPT_MSS;
			seg->mss = (o[(i + 2) & 63] << 8) | o[(i + 3) & 63];
		} else if (kind == 3 && len == 3 && i + 2 < 40) {
			seg->opts |= SYN_OPT_WSCALE;
			seg->wscale = o[(i + 2) & 63];
		} else if (kind == 4 && len == 2) {
			seg->opts |= SYN_OPT_SACK_PERM;
		} else if (kind == 34) {
			/* Fast Open (RFC 7413): a cookie, or with none a request for one */
			seg->opts |= SYN_OPT_FASTOPEN;
			seg->fo_cookie_len = len - 2;
		} else if (kind == 254 && len >= 4 && i + 3 < 40 && o[(i + 2) & 63] == 0xf9 &&
			   o[(i + 3) & 63] == 0x89) {
			/* the same before it had a number: experimental, magic 0xF989 */
			seg->opts |= SYN_OPT_FASTOPEN;
			seg->fo_cookie_len = len - 4;
		} else if (kind == 8 && len == 10 && i + 9 < 40) {
			seg->opts |= SYN_OPT_TS;
			seg->tsval = ((__u32)o[(i + 2) & 63] << 24) | ((__u32)o[(i + 3) & 63] << 16) |
				     ((__u32)o[(i + 4) & 63] << 8) | o[(i + 5) & 63];
			seg->tsecr = ((__u32)o[(i + 6) & 63] << 24) | ((__u32)o[(i + 7) & 63] << 16) |
				     ((__u32)o[(i + 8) & 63] << 8) | o[(i + 9) & 63];
		}
		i += len;
	}
}

/* ---- ICMP errors about our segments ------------------------------------- */

#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58

struct icmp_fixed {
	__u8 type, code;
	__be16 csum;
	__be32 rest;    /* unused, or the next hop's MTU */
};

/* The fields of the TCP header an ICMP error must quote (8 bytes). */
struct tcp_quoted {
	__be16 source, dest;
	__be32 seq;
};

static __always_inline bool icmp_v4_error(__u8 type)
{
	return type == 3 || type == 11 || type == 12; /* unreachable, time exceeded, parameter */
}

static __always_inline bool icmp_v6_error(__u8 type)
{
	return type >= 1 && type <= 4; /* unreachable, too big, time exceeded, parameter */
}

/* An ICMP error arriving at ip (an IPv4 or IPv6 header): when it quotes a
 * TCP segment of ours, the event. Rare traffic: plain probe reads, one
 * program for all four segment programs, off the hot path. */
static __noinline int on_icmp(const void *ip, __u16 proto, __u32 netns)
{
	struct icmp_fixed ic;
	struct tcp_quoted tq;
	struct syn_event *e;
	struct tuple t = {};
	__u8 from[16] = {};

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr iph, in;
		int off;

		if (bpf_probe_read_kernel(&iph, sizeof(iph), ip) || iph.protocol != IPPROTO_ICMP_)
			return 0;
		off = iph.ihl * 4;
		if (off < 20 || bpf_probe_read_kernel(&ic, sizeof(ic), ip + off) ||
		    !icmp_v4_error(ic.type) ||
		    bpf_probe_read_kernel(&in, sizeof(in), ip + off + 8) || in.protocol != IPPROTO_TCP ||
		    in.ihl < 5 || bpf_probe_read_kernel(&tq, sizeof(tq), ip + off + 8 + in.ihl * 4))
			return 0;
		t.family = AF_INET;
		__builtin_memcpy(t.saddr, &in.saddr, 4); /* the quoted segment was ours */
		__builtin_memcpy(t.daddr, &in.daddr, 4);
		__builtin_memcpy(from, &iph.saddr, 4);
	} else {
		struct ipv6hdr ip6, in6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), ip) || ip6.nexthdr != IPPROTO_ICMPV6_ ||
		    bpf_probe_read_kernel(&ic, sizeof(ic), ip + 40) || !icmp_v6_error(ic.type) ||
		    bpf_probe_read_kernel(&in6, sizeof(in6), ip + 48) || in6.nexthdr != IPPROTO_TCP ||
		    bpf_probe_read_kernel(&tq, sizeof(tq), ip + 88))
			return 0;
		t.family = AF_INET6;
		__builtin_memcpy(t.saddr, &in6.saddr, 16);
		__builtin_memcpy(t.daddr, &in6.daddr, 16);
		__builtin_memcpy(from, &ip6.saddr, 16);
	}
	t.proto = IPPROTO_TCP;
	t.sport = bpf_ntohs(tq.source);
	t.dport = bpf_ntohs(tq.dest);
	t.netns = netns;
	if (!sk_wanted(&t))
		return 0;
	e = event_reserve(SYN_EV_ICMP, &t, NULL, 0, SYN_SK_UNKNOWN);
	if (!e)
		return 0;
	e->icmp.type = ic.type;
	e->icmp.code = ic.code;
	e->icmp.seq = bpf_ntohl(tq.seq);
	e->icmp.info = bpf_ntohl(ic.rest) & 0xffff;
	__builtin_memcpy(e->icmp.from, from, 16);
	event_submit(e);
	return 0;
}

static __always_inline int on_skb(struct sk_buff *skb, bool rx, bool direct)
{
	unsigned char *head = skb->head;
	unsigned char *data = skb->data;
	__u16 proto = skb->protocol;
	struct tcp_fixed th;
	struct syn_event *e;
	struct tuple t;
	const void *ip;
	const struct sock *own = NULL;
	__u32 hdrs, skb_len;
	int thoff, doff;
	__u8 kind = SYN_SK_UNKNOWN; /* received: not demultiplexed yet */

	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
		return 0;
	/* rx: eth_type_trans left data at the IP header; tx: data is at the
	 * link header and network_header marks IP */
	ip = rx ? (const void *)data : (const void *)(head + skb->network_header);
	thoff = direct ? parse_ip_l4_direct(ip, proto, rx, true, &t, &th) :
			 parse_ip_l4(ip, proto, rx, true, &t, &th);
	if (!thoff && rx) /* not TCP or UDP: an ICMP error about our segment? */
		return on_icmp(ip, proto, skb->dev->nd_net.net->ns.inum);
	if (!thoff || !family_wanted(t.family) || !port_wanted(t.sport, t.dport))
		return 0;
	t.netns = skb->dev->nd_net.net->ns.inum;
	if (filter_task() && !ports_watched(&t)) {
		if (rx || !sock_tracked(skb->sk))
			return 0;
		watch_port(t.netns, t.sport); /* the traced connect()'s SYN: now we know its port */
	}
	if (filter_task() && (th.flags & SYN_TCP_SYN))
		watch_conn(&t); /* its peer's half passes too, wherever it lives */
	if (!rx) {
		struct sock *sk = skb->sk;

		/* only the connection's own full socket shares an identity with its
		 * syscalls and states: not a request or timewait socket, nor the
		 * control socket that sends resets (it has no port). No socket at
		 * all: a SYN-ACK carrying a SYN cookie (tcp_make_synack) */
		kind = sk ? sk_kind_of(sk) : SYN_SK_NONE;
		if (kind == SYN_SK_FULL && sk->__sk_common.skc_num == t.sport)
			own = sk;
	}
	e = event_reserve(SYN_EV_SEGMENT, &t, own, 0, kind);
	if (!e)
		return 0;
	doff = (th.doff_res >> 4) * 4;
	e->seg.dir = rx ? SYN_DIR_RX : SYN_DIR_TX;
	e->seg.flags = th.flags;
	e->seg.seq = bpf_ntohl(th.seq);
	e->seg.ack = bpf_ntohl(th.ack_seq);
	e->seg.win = bpf_ntohs(th.window);
	skb_len = skb->len;
	hdrs = (__u32)((const unsigned char *)ip - data) + thoff + doff;
	e->seg.len = skb_len > hdrs ? skb_len - hdrs : 0;
	if (t.proto == IPPROTO_TCP && (th.flags & SYN_TCP_SYN) && doff > 20)
		parse_tcp_options(ip + thoff + 20, doff - 20, &e->seg);
	event_submit(e);
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(on_net_dev_queue, struct sk_buff *skb)
{
	return on_skb(skb, false, true);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(on_netif_receive_skb, struct sk_buff *skb)
{
	return on_skb(skb, true, true);
}

/* The same for kernels without bpf_rdonly_cast (before 6.2). */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(on_net_dev_queue_compat, struct sk_buff *skb)
{
	return on_skb(skb, false, false);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(on_netif_receive_skb_compat, struct sk_buff *skb)
{
	return on_skb(skb, true, false);
}

/* ---- drops --------------------------------------------------------------- */

/* The other end's view of the same tuple. */
static __always_inline void tuple_swap(struct tuple *t)
{
	__u8 a[16];
	__u16 p = t->sport;

	t->sport = t->dport;
	t->dport = p;
	__builtin_memcpy(a, t->saddr, 16);
	__builtin_memcpy(t->saddr, t->daddr, 16);
	__builtin_memcpy(t->daddr, a, 16);
}

/* The network namespace of a packet: its device's, and before it has one
 * (a segment dropped in the OUTPUT chain has no device yet) its socket's,
 * or with no socket either (a SYN cookie's SYN-ACK) its route's device's. */
static __always_inline __u32 skb_netns(const struct sk_buff *skb, const struct sock *sk)
{
	struct net_device *dev = skb->dev;
	struct dst_entry *dst;

	if (dev)
		return dev->nd_net.net->ns.inum;
	if (sk)
		return sk->__sk_common.skc_net.net->ns.inum;
	dst = (struct dst_entry *)(skb->_skb_refdst & ~1UL); /* the low bit: not refcounted */
	return dst ? BPF_CORE_READ(dst, dev, nd_net.net, ns.inum) : 0;
}

/* A segment the kernel freed as a drop, not a consume: a full accept queue,
 * a firewall, no socket... The reason says which (enum skb_drop_reason). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(on_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	__u16 nh = skb->network_header;
	struct tcp_fixed th;
	struct syn_event *e;
	struct sock *sk;
	struct tuple t;
	const void *ip;
	bool rx = true;
	__u8 kind = SYN_SK_UNKNOWN;
	int thoff;

	/* consumed is no drop; NOT_SPECIFIED is mostly a segment already handled
	 * (a timewait socket's FIN, say) freed through the drop path, and
	 * QUEUE_PURGE a destroyed socket's queues emptied: neither is news */
	if (reason <= bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED) ||
	    nh == (__u16)~0U)
		return 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE))
		return 0;
	ip = skb->head + nh;
	/* parsed as sent (the packet's source is the local end), then turned
	 * around unless it was: most drops are of arriving segments */
	thoff = parse_ip_l4(ip, skb->protocol, false, true, &t, &th);
	if (!thoff)
		return 0;
	sk = skb->sk;
	if (sk) {
		/* the object it belongs to: one that sent it, or (demultiplexed
		 * already) the one it arrived for. The control socket only sends,
		 * and has no port of its own (a raw socket's is its protocol);
		 * any other sent it when its port is the source port */
		kind = sk_kind_of(sk);
		rx = kind != SYN_SK_CONTROL &&
		     !(kind != SYN_SK_UNKNOWN && sk->__sk_common.skc_num == t.sport);
		/* a full socket already unhashed has no skc_num (close() with
		 * SO_LINGER 0 goes to CLOSE, then sends its RST): its packets
		 * still carry inet_sport. Rare: a helper call is fine here */
		if (rx && kind == SYN_SK_FULL && !sk->__sk_common.skc_num &&
		    bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport)) == t.sport)
			rx = false;
	}
	if (rx)
		tuple_swap(&t);
	t.netns = skb_netns(skb, sk);
	if (!sk_wanted(&t))
		return 0;
	e = event_reserve(SYN_EV_DROP, &t, NULL, 0, kind);
	if (!e)
		return 0;
	e->drop.dir = rx ? SYN_DIR_RX : SYN_DIR_TX;
	e->drop.flags = th.flags;
	e->drop.seq = bpf_ntohl(th.seq);
	e->drop.ack = bpf_ntohl(th.ack_seq);
	e->drop.reason = reason;
	{
		/* skb->len counts from data, which may already be past the IP
		 * header (pulled) or before it */
		__s64 data_off = skb->data - skb->head;
		__s64 hdrs = (__s64)nh - data_off + thoff + (th.doff_res >> 4) * 4;
		__s64 len = (__s64)skb->len - hdrs;

		e->drop.len = len > 0 ? (__u32)len : 0;
	}
	event_submit(e);
	return 0;
}

/* ---- retransmissions and resets ---------------------------------------- */

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retransmit_skb, const struct sock *sk, const struct sk_buff *skb, int err)
{
	const struct tcp_skb_cb *cb = (const void *)skb->cb;
	const struct inet_connection_sock *icsk = (const void *)sk;
	struct syn_event *e;
	struct tuple t;
	__u8 n;

	/* the tracepoint also fires for an attempt that sent nothing (the
	 * original still in a queue of the host, no memory): the kernel tries
	 * again later, and that retransmission is the one to show. Read only
	 * where the kernel has the argument (the loader says). */
	if (retransmit_err && err)
		return 0;
	tuple_from_sk(&sk->__sk_common, &t, true);
	if (!sk_wanted(&t))
		return 0;
	e = event_reserve(SYN_EV_RETRANSMIT, &t, sk, 0, SYN_SK_FULL);
	if (!e)
		return 0;
	e->rtx.kind = SYN_RETRANS_SKB;
	e->rtx.state = sk->__sk_common.skc_state;
	e->rtx.seq = BPF_CORE_READ(cb, seq);
	e->rtx.end_seq = BPF_CORE_READ(cb, end_seq);
	e->rtx.flags = BPF_CORE_READ(cb, tcp_flags);
	/* why it resends, as the sender sees it: the congestion state (Loss
	 * after a timeout, Recovery in fast retransmit), the timer it runs
	 * from (a tail loss probe's stays pending while it sends) and the
	 * timeouts so far. Past struct sock: read, not loaded */
	e->rtx.ca_state = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
	e->rtx.timer = BPF_CORE_READ(icsk, icsk_pending);
	n = BPF_CORE_READ(icsk, icsk_retransmits); /* a __u8 in this kernel: 255 at most */
	e->rtx.retransmits = n;
	event_submit(e);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(on_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	struct syn_event *e;
	struct tuple t;

	tuple_from_sk(&req->__req_common, &t, true);
	if (!sk_wanted(&t))
		return 0;
	e = event_reserve(SYN_EV_RETRANSMIT, &t, NULL, 0, SYN_SK_REQUEST);
	if (!e)
		return 0;
	e->rtx.kind = SYN_RETRANS_SYNACK;
	e->rtx.state = TCP_STATE_NEW_SYN_RECV;
	e->rtx.seq = BPF_CORE_READ((struct tcp_request_sock *)req, snt_isn);
	e->rtx.flags = SYN_TCP_SYN | SYN_TCP_ACK;
	e->rtx.retransmits = req->num_retrans; /* SYN-ACKs resent before this one */
	event_submit(e);
	return 0;
}

/* A reset from a socket's own tuple (sk, a full socket), or from the segment
 * that caused it (skb, in its receiver's view): a SYN to a closed port has no
 * socket at all, and a request, timewait or listening socket answers for a
 * tuple that is not its own (a listener's has no peer). kind names the
 * object: enum syn_sk_kind; state is its state (0: none). */
static __always_inline int emit_reset(const struct sock *sk, const struct sk_buff *skb,
				      __u8 rst, __u32 reason, __u8 kind, __u8 state)
{
	struct syn_event *e;
	struct tuple t;

	if (sk) {
		tuple_from_sk(&sk->__sk_common, &t, true);
	} else if (skb) {
		struct tcp_fixed th;
		const void *ip = skb->head + skb->network_header;

		if (!parse_ip_l4(ip, skb->protocol, true, false, &t, &th))
			return 0;
		t.netns = skb_netns(skb, NULL);
	} else {
		return 0;
	}
	if (!sk_wanted(&t) && !sock_tracked(sk))
		return 0;
	e = event_reserve(SYN_EV_RESET, &t, sk, 0, kind);
	if (!e)
		return 0;
	e->rst.kind = rst;
	e->rst.state = state;
	e->rst.reason = reason;
	event_submit(e);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_send_reset, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	__u8 kind, state;

	/* no socket: the control socket answers for nobody (a closed port) */
	if (!sk)
		return emit_reset(NULL, skb, SYN_RESET_SENT, reason, SYN_SK_CONTROL, 0);
	kind = sk_kind_of(sk);
	state = sk->__sk_common.skc_state;
	/* a request, timewait or listening socket is named by the segment's
	 * tuple, not by its pointer or its own (a listener's has port 0 for
	 * the peer, and its sock_id would pull the listener into the
	 * connection) */
	if (kind != SYN_SK_FULL && skb)
		return emit_reset(NULL, skb, SYN_RESET_SENT, reason, kind, state);
	return emit_reset(sk, skb, SYN_RESET_SENT, reason, kind, state);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(on_receive_reset, struct sock *sk)
{
	return emit_reset(sk, NULL, SYN_RESET_RECEIVED, 0, SYN_SK_FULL,
			  sk->__sk_common.skc_state);
}

/* ---- timewait sockets ---------------------------------------------------- */

/* A timer fired. When it is a timewait socket's (its function is
 * tw_timer_handler), that socket ends now: 2MSL passed, or the FIN-WAIT-2
 * timeout of an orphan whose peer never sent its FIN. Every other timer of
 * the host costs one load and one compare. The socket is found around its
 * timer and read with helper calls; only its tuple, namespace and substate
 * leave, never its address (no sock_id: its segments and resets are named
 * by their tuple too). */
/* The rest, out of line: the program that every timer runs stays a load
 * and a compare, with no stack frame to set up. */
static __noinline int timewait_ended(const struct timer_list *timer)
{
	const struct inet_timewait_sock *tw;
	struct syn_event *e;
	struct tuple t;

	if (!timer)
		return 0;
	tw = (const void *)timer - bpf_core_field_offset(struct inet_timewait_sock, tw_timer);
	tuple_from_sk(&tw->__tw_common, &t, false);
	if (!sk_wanted(&t))
		return 0;
	e = event_reserve(SYN_EV_TIMEWAIT, &t, NULL, 0, SYN_SK_TIMEWAIT);
	if (!e)
		return 0;
	e->tw.how = SYN_TW_TIMER;
	e->tw.substate = BPF_CORE_READ(tw, tw_substate);
	event_submit(e);
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(on_timer_expire, struct timer_list *timer, unsigned long baseclk)
{
	if ((__u64)timer->function != tw_timer_fn)
		return 0;
	return timewait_ended(timer);
}
