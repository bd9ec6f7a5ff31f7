/* Half-open connections, counted by the port they came to. A SYN flood
 * makes thousands of connections that are only a SYN and its answer (or
 * none): a ladder each would bury everything else. The first few of each
 * port are drawn; the rest are counted here and told as one summary
 * (docs/ladder.md); -v draws them all. Every row of every one still goes
 * to the sinks that keep every row (JSONL, pcapng, recordings). */
#ifndef SYNSCOPE_HALFOPEN_H
#define SYNSCOPE_HALFOPEN_H

#include "track/conn.h"

#define HALFOPEN_DRAWN 10      /* drawn one by one, per port */
#define HALFOPEN_DROP_REASONS 8 /* drop reasons told apart, per port */
#define HALFOPEN_PORTS 1024    /* ports told apart; the rest share one line */

enum halfopen_end {
	HO_NO_ACK,       /* answered; nothing came back before it was shown */
	HO_RESET,        /* answered; the peer reset it */
	HO_REFUSED,      /* answered with a reset: nothing listened */
	HO_UNANSWERED,   /* no answer at all (a full queue, or a drop with a reason) */
	HO_NENDS,
};

struct halfopen_port {
	__u32 netns;
	__u8 family;
	__u8 addr[16];
	__u16 port;
	__u64 conns, drawn;
	__u64 syns, synacks, cookies, synacks_resent, rsts_in, rsts_out;
	__u64 ends[HO_NENDS];
	struct { __u32 reason; __u64 count; } drops[HALFOPEN_DROP_REASONS];
	__u64 drops_other;
	__u64 first_ts, last_ts;
};

struct halfopen {
	struct halfopen_port *ports;
	size_t n, cap;
	bool all;            /* -v: every one drawn (still counted) */
	__u64 counted;       /* connections counted and not drawn */
};

/* Only a handshake's first segments: no call, no reported state, no data. */
bool halfopen_is(const struct conn *c);
/* Count c, a half-open connection. True when it is drawn as well. */
bool halfopen_count(struct halfopen *h, const struct conn *c);
void halfopen_free(struct halfopen *h);

#endif
