/* Segments and datagrams: the headers of a packet on its way out or in, its
 * TCP options, an ICMP error that quotes one of ours, and the record of each.
 *
 * Part of synscope.bpf.c, included there in order (each part uses the
 * ones before it); not a header for anything else. */
#ifndef SYNSCOPE_PACKET_BPF_H
#define SYNSCOPE_PACKET_BPF_H

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
	if (!packet_watched(&t, !rx, skb->sk))
		return 0;
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

#endif
