/* Sockets: the tuple of one end read from its socket, the names sockets get
 * instead of their addresses, and the socket behind a file descriptor.
 *
 * Part of synscope.bpf.c, included there in order (each part uses the
 * ones before it); not a header for anything else. */
#ifndef SYNSCOPE_SOCK_BPF_H
#define SYNSCOPE_SOCK_BPF_H

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

#endif
