/* Socket calls: what sys_enter and sys_exit do for the calls synscope
 * follows (an entry and a return record each).
 *
 * Part of synscope.bpf.c, included there in order (each part uses the
 * ones before it); not a header for anything else. */
#ifndef SYNSCOPE_CALLS_BPF_H
#define SYNSCOPE_CALLS_BPF_H

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
	case NR_GETSOCKOPT: return SYN_CALL_GETSOCKOPT;
	case NR_SENDMMSG: return SYN_CALL_SENDMMSG;
	case NR_RECVMMSG: return SYN_CALL_RECVMMSG;
	case NR_READV: return SYN_CALL_READV;
	case NR_WRITEV: return SYN_CALL_WRITEV;
	case NR_SENDFILE: return SYN_CALL_SENDFILE;
	}
	return 0;
}

/* setsockopt() options that change what TCP does on the wire or at close
 * (names in userspace/base/names.c). Others (timeouts of calls, marks,
 * buffers' watermarks...) are not reported: a program may set them often. */
#define SOL_SOCKET_ 1
#define SO_ERROR_ 4
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

/* getsockopt() is followed for SO_ERROR alone: how a program learns what
 * became of its non-blocking connect() (curl, after poll()). Other options
 * are read often (TCP_INFO) and change nothing. */
static __always_inline bool getsockopt_wanted(long level, long optname)
{
	return level == SOL_SOCKET_ && optname == SO_ERROR_;
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

/* A TCP connect()'s destination, from its sockaddr, into t while the socket
 * has none yet: a connect() that fails before any segment (no route, no
 * local port free) is the only record of where it meant to go. */
static __always_inline void sockaddr_peer(const void *uaddr, struct tuple *t)
{
	struct {
		__u16 family;
		__u16 port;
		__u32 v4;     /* sockaddr_in's address; sockaddr_in6's flow info */
	} head = {};

	if (bpf_probe_read_user(&head, sizeof(head), uaddr) || head.family != t->family)
		return;
	if (head.family == AF_INET)
		__builtin_memcpy(t->daddr, &head.v4, 4);
	else if (head.family != AF_INET6 || bpf_probe_read_user(t->daddr, 16, uaddr + 8))
		return;
	t->dport = bpf_ntohs(head.port);
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

/* getsockopt(fd, SOL_SOCKET, SO_ERROR, optval, optlen) returned: the
 * error the kernel wrote to optval (and cleared on the socket), read back
 * from the caller's memory. One record: the call cannot block or send. */
static __always_inline void emit_getsockopt(struct pt_regs *regs, const struct tuple *t,
					    const void *sk, __s32 fd, long ret)
{
	struct syn_event *e = call_event(SYN_CALL_GETSOCKOPT, SYN_PHASE_RETURN, t, sk, 0, fd,
					 (__s32)regs->dx, ret, (__s32)regs->si, false);

	if (!e)
		return;
	if (ret == 0 && !bpf_probe_read_user(e->sys.val, 4, (const void *)regs->r10))
		e->sys.vlen = 4;
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

/* Does a call's entry name a wanted port: connect() and bind() in their
 * sockaddr, an unconnected UDP socket's sendto() in its 5th argument? */
static __always_inline bool call_names_wanted_port(__u8 call, struct pt_regs *regs, bool entry)
{
	if (!entry)
		return false;
	if (call == SYN_CALL_CONNECT || call == SYN_CALL_BIND)
		return port_wanted(0, sockaddr_port((void *)regs->si));
	return call == SYN_CALL_SENDTO && regs->r8 &&
	       port_wanted(0, sockaddr_port((void *)regs->r8));
}

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
	if (call_names_wanted_port(call, regs, entry))
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
	if (port_wanted(t->sport, t->dport) || call_names_wanted_port(call, regs, entry))
		return true;
	return sock_tracked(sk);
}

/* A followed call's socket, remembered: its packets pass the filters from
 * now on (a connect()'s SYN before its port is chosen, a UDP socket's first
 * datagram before it is bound, a Fast Open sendto()'s SYN), and its return
 * passes as its entry did, though a failed connection leaves the socket
 * without the port that passed. */
static __always_inline void remember_call_socket(__u8 call, struct pt_regs *regs,
						 struct task_struct *task, const struct sock *sk,
						 const struct tuple *t)
{
	if (call == SYN_CALL_CONNECT || call == SYN_CALL_BIND || t->proto == IPPROTO_UDP ||
	    (call == SYN_CALL_SENDTO && regs->r8))
		sock_track(sk);
	if (call == SYN_CALL_LISTEN || call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4 ||
	    (t->proto == IPPROTO_UDP && t->sport))
		watch_port(t->netns, t->sport);
	/* the thread's close() stash is made here, not by its first close():
	 * an allocation there would delay that close() (two close()s meant to
	 * cross would not) */
	if (call == SYN_CALL_CONNECT || call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4)
		bpf_task_storage_get(&closes, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* The argument an entry record carries besides the descriptor. */
static __always_inline __s32 entry_arg(__u8 call, struct pt_regs *regs)
{
	__s32 arg = 0;

	if (call == SYN_CALL_SHUTDOWN || call == SYN_CALL_LISTEN)
		arg = (__s32)regs->si;
	if (call == SYN_CALL_ACCEPT4)
		arg = (__s32)regs->r10;
	if (call == SYN_CALL_BIND)
		arg = sockaddr_port((void *)regs->si);
	if (call == SYN_CALL_SENDTO) /* where to: a datagram's peer, 0 when connected */
		arg = regs->r8 ? sockaddr_port((void *)regs->r8) : 0;
	else if ((call >= SYN_CALL_READ && call <= SYN_CALL_RECVFROM) ||
		 call == SYN_CALL_SENDMMSG || call == SYN_CALL_RECVMMSG)
		arg = (__s32)regs->dx; /* the bytes asked for; sendmmsg, recvmmsg: vlen */
	return arg;
}

/* What close()'s return will need: its socket may be gone by then. */
static __always_inline void stash_close(struct task_struct *task, const struct sock *sk,
					const struct tuple *t, __s32 fd)
{
	struct close_stash *st = bpf_task_storage_get(&closes, task, 0,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (st) {
		sock_id_in(&st->sid, sk);
		st->t = *t;
		st->fd = fd;
		st->pending = 1;
	}
}

static __always_inline int sys_enter(struct pt_regs *regs, long nr, bool direct)
{
	__u8 call = call_of_nr(nr);
	struct task_struct *task;
	struct file *f;
	struct sock *sk;
	struct tuple t;
	__s32 fd, arg;

	/* socket() is reported on return only: the socket exists from then;
	 * getsockopt() too: its answer is the news */
	if (!call || call == SYN_CALL_SOCKET || call == SYN_CALL_GETSOCKOPT)
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
	/* not on a bound socket: with both ports its entry would name a
	 * connection under a source address routing has not chosen yet */
	if (call == SYN_CALL_CONNECT && t.proto == IPPROTO_TCP && !t.dport && !t.sport)
		sockaddr_peer((const void *)regs->si, &t);
	remember_call_socket(call, regs, task, sk, &t);
	arg = entry_arg(call, regs);
	if (call == SYN_CALL_CLOSE) {
		stash_close(task, sk, &t, fd);
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

/* close() returned: told with what its entry saw (the socket may be gone). */
static __always_inline void close_returned(struct task_struct *task, long ret)
{
	struct close_stash *st = bpf_task_storage_get(&closes, task, 0, 0);

	if (st && st->pending) {
		st->pending = 0;
		emit_call(SYN_CALL_CLOSE, SYN_PHASE_RETURN, &st->t, NULL, st->sid, st->fd, 0, ret, -1,
			  false);
	}
}

/* socket() returned: a TCP or UDP socket, only without a port filter (the
 * new socket has no port yet). */
static __always_inline void socket_returned(struct pt_regs *regs, struct task_struct *task,
					    long ret, bool direct)
{
	int domain = (int)regs->di, type = (int)regs->si;
	struct sock *sk;
	struct tuple t;

	if (ret < 0 || filter_nports || (domain != AF_INET && domain != AF_INET6) ||
	    ((type & SOCK_TYPE_MASK) != SOCK_STREAM && (type & SOCK_TYPE_MASK) != SOCK_DGRAM))
		return;
	sk = inet_sock_of_file(file_from_fd(task, (int)ret, direct), true, direct);
	if (!sk)
		return;
	tuple_from_full_sk(sk, &t, direct);
	emit_call(SYN_CALL_SOCKET, SYN_PHASE_RETURN, &t, sk, 0, (__s32)ret, type, ret, -1, false);
}

/* accept() returned descriptor fd: the accepted connection's socket and
 * tuple replace the listener's in *sk and *t. */
static __always_inline void take_accepted(struct task_struct *task, int fd, struct sock **sk,
					  struct tuple *t, bool direct)
{
	struct sock *child = inet_sock_of_file(file_from_fd(task, fd, direct), false, direct);

	if (!child)
		return;
	*sk = child;
	tuple_from_full_sk(child, t, direct);
	/* reset (or hit by an ICMP error) before accept() returned: unhashed,
	 * its local port cleared; inet_sport keeps it */
	if (!t->sport)
		t->sport = bpf_ntohs(inet_sport_of(child, direct));
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
	if (call == SYN_CALL_GETSOCKOPT && !getsockopt_wanted((long)regs->si, (long)regs->dx))
		return 0;
	task = bpf_get_current_task_btf();
	if (is_self(task))
		return 0;
	if (call == SYN_CALL_CLOSE) {
		close_returned(task, ret);
		return 0;
	}
	if (!task_wanted(task))
		return 0;
	if (call == SYN_CALL_SOCKET) {
		socket_returned(regs, task, ret, direct);
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
		take_accepted(task, (int)ret, &sk, &t, direct);
		new_fd = (__s32)ret;
	}
	if ((call == SYN_CALL_CONNECT || call == SYN_CALL_BIND) && filter_task())
		watch_port(t.netns, t.sport);
	if (call == SYN_CALL_SETSOCKOPT) { /* which option: the entry's level and optname */
		arg = (__s32)regs->dx;
		new_fd = (__s32)regs->si;
	}
	if (call == SYN_CALL_GETSOCKOPT) {
		emit_getsockopt(regs, &t, sk, fd, ret);
		return 0;
	}
	emit_call(call, SYN_PHASE_RETURN, &t, sk, 0, fd, arg, ret, new_fd, false);
	return 0;
}

#endif
