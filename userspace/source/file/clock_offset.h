/* The offset between two hosts' clocks, from segments both of them saw
 * (docs/merge.md). Host A sends a segment at tx_A (A's clock) that host B
 * receives at rx_B (B's clock): rx_B - tx_A = offset + delay, where offset
 * is B's clock minus A's and delay > 0. The other way, rx_A - tx_B =
 * delay - offset. A handshake (a SYN one way, its answer the other) gives
 * one round trip: offset = ((rx_B - tx_A) - (rx_A - tx_B)) / 2, exact when
 * both delays are equal, as NTP assumes. Every segment seen at both ends
 * bounds the offset too: nothing arrives before it was sent. */
#ifndef SYNSCOPE_CLOCK_OFFSET_H
#define SYNSCOPE_CLOCK_OFFSET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Put inside the bounds, an offset keeps this far from them (ns), or half
 * the room when there is less. */
#define CLOCK_MARGIN_NS 1000

/* One round trip: a segment A sent and B received, and one back. */
struct clock_round {
	__s64 ab;   /* rx_B - tx_A */
	__s64 ba;   /* rx_A - tx_B */
};

struct clock_obs {
	const __s64 *ab;            /* every segment A sent and B received: rx_B - tx_A */
	size_t nab;
	const __s64 *ba;            /* every segment B sent and A received: rx_A - tx_B */
	size_t nba;
	const struct clock_round *rounds; /* handshakes seen at both ends */
	size_t nrounds;
};

enum clock_source {
	CLOCK_FROM_NONE = 0,        /* nothing seen at both ends: clocks taken as they are */
	CLOCK_FROM_HANDSHAKES,      /* the median of the handshakes' estimates */
	CLOCK_FROM_SEGMENTS,        /* no handshake: the middle of the bounds */
	CLOCK_FROM_USER,            /* given (--offset) */
};

struct clock_estimate {
	enum clock_source source;
	__s64 offset_ns;            /* B's clock - A's: B's times minus this are A's */
	__s64 raw_ns;               /* the estimate before it was moved into the bounds */
	size_t rounds;
	__s64 round_min, round_max; /* the handshakes' own estimates, lowest and highest */
	size_t segments;            /* segments seen at both ends */
	bool has_lo, has_hi;
	__s64 lo, hi;               /* every segment arrives after it was sent when
				     * lo < offset < hi */
	bool moved;                 /* the estimate was outside: moved inside */
	bool inconsistent;          /* no one offset orders every segment (drift?) */
	size_t violations;          /* segments that arrive before they were sent at offset_ns */
};

/* user: a given offset (not moved, only checked), or NULL to estimate. */
void clock_estimate(const struct clock_obs *o, const __s64 *user, struct clock_estimate *out);

#endif
