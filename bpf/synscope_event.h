/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel/userspace event ABI of synscope: the only header shared by
 * bpf/synscope.bpf.c and userspace/. Every record in the ring buffer is one
 * struct syn_event of fixed size. Recordings (issue 4) store these records
 * too, so any change here bumps SYN_EV_ABI_VERSION (and the reader learns
 * to read the previous version: userspace/recording.c).
 *
 * Version 3: sk_kind (was padding), the segment's Fast Open cookie length
 * (was an unused ifindex), the retransmission's congestion state and timer,
 * the lost window, timewait ends, ticks and ICMP errors.
 * Version 4: setsockopt() (level, option, the value read on entry: in the
 * syscall's former padding, its new_fd's place and the union's unused
 * last 8 bytes).
 * A new value of an enum (readv, writev, sendfile, getsockopt, sendmmsg
 * and recvmmsg since 2026-12-07) keeps the version: the layout is the same, and an older
 * reader names a call it does not know "?".
 *
 * No field ever holds a kernel address: sockets are named by sock_id, a keyed
 * bijective hash of the kernel pointer computed in the kernel with a per-run
 * secret key (see sock_id() in synscope.bpf.c).
 */
#ifndef SYNSCOPE_EVENT_H
#define SYNSCOPE_EVENT_H

#ifdef __bpf__
/* vmlinux.h provides __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

#define SYN_EV_ABI_VERSION 4
#define SYN_COMM_LEN 16
#define SYN_MAX_PORTS 8

enum syn_ev_kind {
	SYN_EV_SYSCALL = 1,    /* a socket call: entry or return */
	SYN_EV_STATE = 2,      /* sock:inet_sock_set_state */
	SYN_EV_SEGMENT = 3,    /* a TCP segment sent (net_dev_queue) or received */
	SYN_EV_RETRANSMIT = 4, /* tcp:tcp_retransmit_skb / tcp_retransmit_synack */
	SYN_EV_RESET = 5,      /* tcp:tcp_send_reset / tcp_receive_reset */
	SYN_EV_DESTROY = 6,    /* tcp:tcp_destroy_sock: the kernel socket is gone */
	SYN_EV_LOST = 7,       /* made by userspace from the kernel's lost counter */
	SYN_EV_DROP = 8,       /* skb:kfree_skb: the kernel dropped a segment, with its reason */
	SYN_EV_TIMEWAIT = 9,   /* a timewait socket's timer fired: it ends (timer:timer_expire_entry) */
	SYN_EV_TICK = 10,      /* made by userspace: every event stamped before ts_ns has come,
				* and every loss among them was reported (a SYN_EV_LOST before) */
	SYN_EV_ICMP = 11,      /* an ICMP error arrived about a TCP segment this host sent */
};

/* Which kernel object an event came from. Linux keeps one connection in up
 * to three objects over its life: a request socket from SYN to the final
 * ACK, a full socket, a timewait socket after an active close. Packets the
 * kernel answers for no socket (a reset to a closed port, a timewait ACK)
 * leave from a per-CPU control socket; a SYN-ACK carrying a SYN cookie
 * leaves from none. */
enum syn_sk_kind {
	SYN_SK_UNKNOWN = 0,   /* not looked at (received segments: not yet demultiplexed) */
	SYN_SK_FULL = 1,
	SYN_SK_REQUEST = 2,
	SYN_SK_TIMEWAIT = 3,
	SYN_SK_CONTROL = 4,
	SYN_SK_NONE = 5,      /* sent with no socket at all: a SYN cookie's SYN-ACK */
	SYN_SK_LISTENER = 6,
};

/* Socket calls, numbered by synscope (not by the arch's syscall table). */
enum syn_call {
	SYN_CALL_LISTEN = 1,
	SYN_CALL_CONNECT = 2,
	SYN_CALL_ACCEPT = 3,
	SYN_CALL_ACCEPT4 = 4,
	SYN_CALL_SHUTDOWN = 5,
	SYN_CALL_CLOSE = 6,
	SYN_CALL_SOCKET = 7,   /* reported on return only: the socket exists from then */
	SYN_CALL_BIND = 8,
	SYN_CALL_READ = 9,
	SYN_CALL_WRITE = 10,
	SYN_CALL_RECVFROM = 11,
	SYN_CALL_SENDTO = 12,
	SYN_CALL_RECVMSG = 13,
	SYN_CALL_SENDMSG = 14,
	SYN_CALL_SETSOCKOPT = 15, /* only options that change TCP's behaviour (synscope.bpf.c) */
	SYN_CALL_READV = 16,
	SYN_CALL_WRITEV = 17,     /* nginx's responses */
	SYN_CALL_SENDFILE = 18,   /* a file's bytes to the socket, its first argument */
	SYN_CALL_GETSOCKOPT = 19, /* SO_ERROR only, on return only: how a non-blocking
				   * connect() ended, as the program learns it */
	SYN_CALL_SENDMMSG = 20,   /* several messages in one call (glibc's resolver: its A and
				   * AAAA queries); arg: how many offered, ret: how many sent */
	SYN_CALL_RECVMMSG = 21,   /* arg: how many at most, ret: how many received */
	SYN_CALL_MAX = 22,
};

enum syn_phase {
	SYN_PHASE_ENTRY = 0,
	SYN_PHASE_RETURN = 1,
};

/* TCP header flag bits, as on the wire (byte 13 of the TCP header). */
enum syn_tcp_flag {
	SYN_TCP_FIN = 0x01,
	SYN_TCP_SYN = 0x02,
	SYN_TCP_RST = 0x04,
	SYN_TCP_PSH = 0x08,
	SYN_TCP_ACK = 0x10,
	SYN_TCP_URG = 0x20,
	SYN_TCP_ECE = 0x40,
	SYN_TCP_CWR = 0x80,
};

enum syn_dir {
	SYN_DIR_TX = 0,
	SYN_DIR_RX = 1,
};

/* Which handshake options a segment carried (seg.opts bits). */
enum syn_opt {
	SYN_OPT_MSS = 0x01,
	SYN_OPT_WSCALE = 0x02,
	SYN_OPT_SACK_PERM = 0x04,
	SYN_OPT_TS = 0x08,
	SYN_OPT_FASTOPEN = 0x10, /* TCP Fast Open (kind 34, or the experimental 254 / 0xF989) */
};

enum syn_retrans_kind {
	SYN_RETRANS_SKB = 0,    /* tcp_retransmit_skb: data, SYN, FIN ... */
	SYN_RETRANS_SYNACK = 1, /* tcp_retransmit_synack: from the request socket */
};

enum syn_reset_kind {
	SYN_RESET_SENT = 0,
	SYN_RESET_RECEIVED = 1,
};

struct syn_syscall {
	__u8 call;      /* enum syn_call */
	__u8 phase;     /* enum syn_phase */
	__u8 last_ref;  /* close: this fd held the last reference to the file */
	__u8 vlen;      /* setsockopt entry, getsockopt return: bytes of the value in val
			 * (0, 4 or 8) */
	__s32 fd;       /* the fd the call acted on; accept return: the listener's */
	__s32 arg;      /* shutdown: how; listen: backlog; accept4: flags; socket: its type,
			 * flags included (SOCK_STREAM | SOCK_NONBLOCK ...); bind, sendto:
			 * the port named; read, recv*: the bytes asked for; [gs]etsockopt: optname;
			 * sendmmsg, recvmmsg: vlen, the messages offered or room for */
	union {
		__s32 new_fd; /* accept return: the new fd (= ret when ret >= 0) */
		__s32 level;  /* [gs]etsockopt: SOL_SOCKET (1), IPPROTO_TCP (6) */
	};
	__s64 ret;      /* return value, on SYN_PHASE_RETURN */
	__s32 val[2];   /* setsockopt entry: the option's int value as the caller passed it;
			 * SO_LINGER: l_onoff, l_linger; getsockopt return: the value the
			 * kernel wrote (SO_ERROR: an errno, 0 for none) */
};

struct syn_state {
	__u8 oldstate;  /* kernel TCP_* numbering: 1 = ESTABLISHED ... 12 = NEW_SYN_RECV */
	__u8 newstate;
	__u8 pad[2];
};

struct syn_segment {
	__u8 dir;       /* enum syn_dir */
	__u8 flags;     /* enum syn_tcp_flag bits */
	__u8 opts;      /* enum syn_opt bits present */
	__u8 wscale;
	__u16 win;      /* raw window field (not scaled) */
	__u16 mss;
	__u32 seq;
	__u32 ack;
	__u32 len;      /* payload bytes (a GSO super-segment counts all of them) */
	__u32 tsval;
	__u32 tsecr;
	__u8 fo_cookie_len; /* SYN_OPT_FASTOPEN: cookie bytes (0: a cookie request) */
	__u8 pad[3];
};

/* The sender's own view when it resends (tcp_retransmit_skb): what the
 * tracker needs to say why. ca_state TCP_CA_Loss is a retransmission
 * timeout, TCP_CA_Recovery fast retransmit or recovery; a pending
 * ICSK_TIME_LOSS_PROBE (5) timer is a tail loss probe. */
enum syn_ca_state {
	SYN_CA_OPEN = 0, SYN_CA_DISORDER = 1, SYN_CA_CWR = 2, SYN_CA_RECOVERY = 3, SYN_CA_LOSS = 4,
};

enum syn_icsk_timer {
	SYN_TIMER_NONE = 0, SYN_TIMER_RETRANS = 1, SYN_TIMER_DACK = 2, SYN_TIMER_PROBE0 = 3,
	SYN_TIMER_LOSS_PROBE = 5, SYN_TIMER_REO_TIMEOUT = 6,
};

struct syn_retransmit {
	__u8 kind;      /* enum syn_retrans_kind */
	__u8 state;     /* the socket's state at the time */
	__u8 flags;     /* TCP flags of the retransmitted segment, when known */
	__u8 ca_state;  /* enum syn_ca_state, full sockets only */
	__u32 seq;
	__u32 end_seq;
	__u8 timer;     /* enum syn_icsk_timer: the socket's pending timer (icsk_pending) */
	__u8 retransmits; /* timeouts in a row so far (icsk_retransmits, saturated at 255);
			   * a request socket: SYN-ACKs resent (num_retrans) */
	__u8 pad[2];
};

struct syn_reset {
	__u8 kind;      /* enum syn_reset_kind */
	__u8 state;     /* the socket's state, 0 when no socket (e.g. refused) */
	__u8 pad[2];
	__u32 reason;   /* enum sk_rst_reason of the running kernel, sent only */
};

/* A segment the kernel freed as dropped (not consumed). */
struct syn_drop {
	__u8 dir;       /* enum syn_dir: where it was when dropped */
	__u8 flags;     /* TCP flags; 0 for UDP */
	__u8 pad[2];
	__u32 seq;
	__u32 ack;
	__u32 len;      /* payload bytes */
	__u32 reason;   /* enum skb_drop_reason of the running kernel */
};

/* A key of the watch_ports map: a local port in a network namespace. */
struct syn_watch_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct syn_lost {
	__u64 count;    /* events the kernel could not reserve since the last report */
	__u64 since_ns; /* ... stamped after this (the previous check); ts_ns is this check */
};

enum syn_tw_how {
	SYN_TW_TIMER = 0,   /* its timer fired: 2MSL passed (or FIN-WAIT-2's timeout) */
};

/* An ICMP (or ICMPv6) error about a TCP segment this host sent: the tuple
 * is that segment's (local = its source), read from the copy the error
 * carries. */
struct syn_icmp {
	__u8 type;      /* ICMP type (v4: 3 unreachable, 11 time exceeded, 12 parameter problem;
			 * v6: 1 unreachable, 2 packet too big, 3 time exceeded, 4 parameter problem) */
	__u8 code;
	__u8 pad[2];
	__u32 seq;      /* the sequence number of the segment it is about */
	__u32 info;     /* packet too big / fragmentation needed: the next hop's MTU */
	__u8 from[16];  /* who sent the error: a router on the way, or the peer itself */
};

/* A timewait socket ended. The tuple is its own view. */
struct syn_timewait {
	__u8 how;       /* enum syn_tw_how */
	__u8 substate;  /* TIME_WAIT, or FIN_WAIT2 when the peer's FIN never came */
	__u8 pad[2];
};

struct syn_event {
	__u64 ts_ns;    /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 sock_id;  /* keyed hash naming the kernel socket; 0 = none known */
	__u32 netns;    /* network namespace inode number */
	__u32 pid;      /* tgid of the current task (meaningless in softirq) */
	__u32 tid;
	__u8 kind;      /* enum syn_ev_kind */
	__u8 family;    /* AF_INET (2) or AF_INET6 (10); 0 = not known yet */
	__u16 sport;    /* local port, host order: the local socket's view */
	__u16 dport;    /* remote port, host order */
	__u8 proto;     /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 sk_kind;   /* enum syn_sk_kind: the kernel object it came from */
	__u8 saddr[16]; /* local address: IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* remote address */
	char comm[SYN_COMM_LEN];
	union {
		struct syn_syscall sys;
		struct syn_state state;
		struct syn_segment seg;
		struct syn_retransmit rtx;
		struct syn_reset rst;
		struct syn_drop drop;
		struct syn_lost lost;
		struct syn_timewait tw;
		struct syn_icmp icmp;
	};
};

/* Fixed size: kernel and userspace must agree, and recordings depend on it. */
_Static_assert(sizeof(struct syn_event) == 120, "struct syn_event ABI size changed");
_Static_assert(sizeof(struct syn_syscall) == 32, "a syscall's fields must fit the union (32 bytes)");

#endif /* SYNSCOPE_EVENT_H */
