// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * synscope kernel side: TCP socket calls, state changes and segments from
 * tracepoints (tp_btf only: no kprobes, no fentry, no tracefs needed), into
 * a BPF ring buffer per CPU of fixed-size struct syn_event records.
 *
 * Everything is filtered before a record is reserved, so traffic the user did
 * not ask for costs a few loads and compares.
 *
 * This file holds the programs, one per tracepoint; what they share is in
 * the parts included below, each with one job, in the order they build on
 * each other.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "synscope_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "consts.bpf.h"
#include "maps.bpf.h"
#include "sock.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "calls.bpf.h"
#include "packet.bpf.h"

/* ---- socket calls ------------------------------------------------------ */

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
	/* CLOSE after the port was given back (tcp_set_state unhashes first):
	 * inet_sport still names it, so a socket's last state names its
	 * connection, where nothing else did (IPv6 frees a SYN that neighbour
	 * discovery could not send with no drop reason) */
	if (!t.sport && newstate == TCP_CLOSE)
		t.sport = bpf_ntohs(inet_sport_of(sk, true));
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
	if (!family_wanted(t.family) || !port_wanted(t.sport, t.dport) ||
	    !packet_watched(&t, !rx && kind == SYN_SK_FULL, sk))
		return 0;
	/* a segment its own full socket sent names that socket: a SYN the
	 * neighbour layer dropped (ARP got no answer) never reached the device,
	 * so its drop is the only record of the port connect() bound */
	e = event_reserve(SYN_EV_DROP, &t, !rx && kind == SYN_SK_FULL ? sk : NULL, 0, kind);
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
