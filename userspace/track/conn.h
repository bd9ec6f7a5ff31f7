/* The connection model: what the tracker builds and every sink reads. */
#ifndef SYNSCOPE_CONN_H
#define SYNSCOPE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include "bpf/synscope_event.h"

/* TCP states by the kernel's numbers (include/net/tcp_states.h), as the
 * state events and conn_end.state carry them. */
enum tcp_state_num {
	ST_ESTABLISHED = 1, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1, ST_FIN_WAIT2,
	ST_TIME_WAIT, ST_CLOSE, ST_CLOSE_WAIT, ST_LAST_ACK, ST_LISTEN, ST_CLOSING,
	ST_NEW_SYN_RECV,
};

enum conn_role {
	ROLE_UNKNOWN = 0,
	ROLE_CLIENT = 1, /* sent the first SYN / called connect() */
	ROLE_SERVER = 2, /* answered it / listened and accepted */
};

/* One end of a connection: one lane of the ladder. */
struct conn_end {
	enum conn_role role;
	__u8 family;
	__u8 addr[16];
	__u16 port;
	__u32 netns;
	__u64 sock_id;       /* 0 when this end was seen only as segments */
	bool traced;         /* this host captured the end itself, not just its packets */
	bool destroyed;      /* tcp_destroy_sock seen: the kernel socket is gone */
	bool listening;      /* something was known to listen on this end's port */
	__u32 pid;           /* the process that owns the end; 0 = not known */
	char comm[SYN_COMM_LEN];
	__u8 state;          /* the state after the last row (kernel TCP_* numbers) */
	bool isn_known;      /* this end's SYN was seen: isn holds its initial sequence number */
	__u32 isn;
	__u64 tw_since;      /* the end entered TIME-WAIT then (0: it did not): it lasts 2MSL */
};

enum row_mark {
	ROW_INFERRED = 0x01,   /* a state the kernel did not report: synscope inferred it */
	ROW_RETRANSMIT = 0x02, /* this segment is a retransmission */
	ROW_NOT_SENT = 0x04,   /* a segment queued for sending that this host dropped before
				* the wire (its qdisc, its firewall): it never left */
	ROW_COOKIE = 0x08,     /* a SYN-ACK carrying a SYN cookie: no request socket behind it */
	ROW_NO_RST = 0x10,     /* a "reset received" with no RST arriving: the kernel aborted
				* the connection itself (data after close(), say) */
	ROW_DUP_ACK = 0x20,    /* a duplicate ACK: no data, the same acknowledgement and window
				* as the sender's last, with data of the peer outstanding */
	ROW_UNANSWERED = 0x40, /* a SYN that arrived and got no answer and no drop reason
				* before the next SYN or the end (a full SYN or accept queue) */
	ROW_RECOVERY = 0x80,   /* a retransmission in recovery after its first (the fast
				* retransmit): SACK recovery resending the next hole */
};

/* A row that stands for a run of ordinary data rows a ladder does not draw
 * one by one (row.ev.kind): its figures are in conn.sums[row.summary]. */
#define CONN_ROW_SUMMARY 0x80

/* One event placed on the connection's timeline. */
struct conn_row {
	struct syn_event ev;
	__u8 end;            /* index into conn.end[]: the lane this event happened on */
	__u8 marks;          /* enum row_mark bits */
	__u8 state_after[2]; /* both lanes' states after this row; 0 = none yet */
	union {
		__s32 pair;  /* segments: index of the same segment at the other end, or -1 */
		__s32 summary; /* CONN_ROW_SUMMARY rows: index into conn.sums */
	};
};

/* What a summary row stands for. Lanes are indexes into conn.end[]; a
 * segment counts once, for the lane that sent it (seen leaving, or seen
 * arriving when its sender is not on this host). */
struct conn_summary {
	__u64 ts_first, ts_last;
	__u64 rows;          /* rows it stands for */
	__u64 segs[2];       /* segments sent by each lane ... */
	__u64 bytes[2];      /* ... the payload bytes in them */
	__u64 acks[2];       /* ... of which pure ACKs (no payload, no flags but ACK) */
	__u64 dup_acks[2];   /* ... of which repeated the previous ACK with no data (duplicate ACKs) */
	__u64 writes[2], write_bytes[2]; /* write()/send*() calls returned, and bytes they took */
	__u64 reads[2], read_bytes[2];   /* read()/recv*() calls returned with data */
	__u64 other[2];      /* rows of other kinds, folded only past the view's cap */
};

enum evict_reason {
	EVICT_NONE = 0,
	EVICT_IDLE = 1,      /* no live socket and quiet for TRACKER_IDLE_NS */
	EVICT_CAP = 2,       /* TRACKER_MAX_OPEN connections open: the least recently active */
};

/* How a connection ended, as the connection table says it (conn_facts.h). */
enum conn_outcome {
	OUT_OPEN = 0,      /* still open when tracing stopped */
	OUT_FIN,           /* both ends sent their FIN: an orderly close */
	OUT_RST,           /* a reset ended it */
	OUT_REFUSED,       /* its SYN was answered with a reset: nothing listened */
	OUT_TIMEOUT,       /* the kernel gave up: a call returned ETIMEDOUT, retransmissions
			    * ran out, or FIN-WAIT-2 timed out */
	OUT_UNREACHABLE,   /* connect() failed with EHOSTUNREACH or ENETUNREACH (an ICMP error) */
	OUT_EVICTED,       /* shown early to bound memory (enum evict_reason) */
	OUT_CLOSED,        /* ended otherwise: one FIN only, a UDP flow's last close() */
	OUT_N,
};

#define FACTS_REASONS 4  /* reset and drop reasons told apart per connection */

struct facts_reason {
	__u32 reason;
	__u64 count;
};

/*
 * What a connection amounts to, counted from every row (none folded) as
 * the rows are handed over (conn_facts.h): what the connection table, the
 * JSON Lines "connection" object and the statistics say. Lanes as conn.end.
 * Times are the source's (ts_ns), 0 when not seen; durations -1 when not
 * known.
 */
struct conn_facts {
	__u64 first_ts, last_ts;        /* the first and the last row */
	__u64 syn_ts;                   /* the first SYN seen, wherever */
	__u64 syn_tx_ts, synack_rx_ts;  /* the client sent its first SYN; received the first SYN-ACK */
	__u64 connect_ts, connect_ret_ts; /* the client's first connect(): called, returned */
	__s64 connect_ret;
	__u64 estab_ts[2];              /* each lane's kernel-reported move to ESTABLISHED */
	__u64 accept_ts;                /* the server's accept() returned this connection */
	__u64 first_seg_ts, last_seg_ts;
	__u64 fin_ts[2], rst_ts[2];     /* each lane's first FIN, first RST sent */
	__u64 segs[2], bytes[2];        /* segments each lane sent (that left), their payload */
	__u64 unshown[2];               /* ... of which seen only arriving, though the lane is
					 * traced: their departure never reached synscope */
	__u64 rtx[2];                   /* ... of which retransmissions */
	__u64 kernel_rtx[2];            /* the kernel's retransmission events on each lane */
	long err;                       /* the first call that failed for the connection's sake
					 * (ETIMEDOUT, ECONNREFUSED, EHOSTUNREACH ...): -errno */
	__u8 close_from[2];             /* the state each lane left for CLOSE (the kernel's) */
	bool fin_wait2_timeout;         /* a timewait socket in FIN-WAIT-2 timed out */
	__s8 rst_reason_lane;           /* the lane of the first reset sent with a reason, -1 */
	__u32 rst_reason;
	struct facts_reason rsts[FACTS_REASONS]; /* resets sent by this host, by reason */
	__u64 rsts_other;               /* ... past FACTS_REASONS reasons */
	__u64 rsts_peer;                /* resets from a peer not on this host (no reason) */
	struct facts_reason drops[FACTS_REASONS]; /* segments the kernel dropped, by reason */
	__u64 drops_other;
	/* decided when the connection ends (facts_end) */
	enum conn_outcome outcome;
	__s8 closed_first;              /* the lane whose FIN or RST came first, -1 none */
	__s8 rst_lane;                  /* OUT_RST/OUT_REFUSED: the lane that sent it, -1 */
	__u8 time_wait;                 /* bit per lane left in TIME-WAIT */
	bool connect_nonblocking;       /* connect() said EINPROGRESS: connect_ns runs to
					 * the client's ESTABLISHED */
	__s64 syn_synack_ns;            /* the client's first SYN -> its first SYN-ACK */
	__s64 connect_ns;               /* connect() called -> returned (or established) */
	__s64 accept_ns;                /* the server's handshake done -> accept() returned */
	__s64 duration_ns;              /* the first SYN (or row) -> the last segment (or row) */
};

/*
 * A connection as the sinks see it. While it lasts, the tracker hands its
 * rows to each sink's rows() in batches (every row, in time order); when it
 * ends, conn_done() gets the story: rows[] then holds what a ladder draws,
 * runs of ordinary data folded into summary rows (all of them with -v).
 */
struct conn {
	__u64 id;            /* 1, 2, 3 ... in order of first sight; same for both ends */
	__u8 proto;          /* IPPROTO_TCP, or IPPROTO_UDP: a flow of datagrams */
	struct conn_end end[2]; /* end[0] is the client lane, end[1] the server lane */
	struct conn_row *rows;  /* time order */
	size_t nrows, cap;
	struct conn_summary *sums; /* what the summary rows stand for */
	size_t nsums, sums_cap;
	__u64 events;        /* rows it had in all (before folding), inferred ones included */
	__u32 setup_rows;    /* the story's first rows are its listener's setup (socket,
			      * setsockopt, bind, listen: in the server lane, before the
			      * connection began); only its first connection has them, and
			      * only in the story: rows() never gets them */
	__u64 folded;        /* of those, rows a summary row stands for */
	bool complete;       /* every traced end was seen to close */
	bool maybe_lost;     /* the kernel lost events while this connection was open */
	bool continued;      /* events of a connection already shown: late segments of its
			      * tuple (TIME-WAIT's traffic, a late reset) */
	bool half_open;      /* only a handshake's first segments: no socket, no call */
	__u8 evicted;        /* enum evict_reason: shown before it ended */
	bool more_batches;   /* in rows(): the connection is not over, later batches may
			      * come (a long one's, a quiet one's); false in its last */
	const struct conn_facts *facts; /* counted from every row: final in conn_done(), NULL
				     * before (the tracker keeps it: a connection handed over
				     * in one go has none while it is open) */
};

/* The lane that sent row r's segment. */
static inline int row_sender(const struct conn_row *r)
{
	return r->ev.seg.dir == SYN_DIR_TX ? r->end : !r->end;
}

/* Does row r's sighting count its segment? Where it left; where it arrived
 * when its departure was not seen: its sender is not on this host, or that
 * record never reached synscope (a full ring, or a packet the kernel ran no
 * program for: docs/reliability.md). Rows paired. */
static inline bool row_counts_segment(const struct conn_row *r)
{
	return r->ev.seg.dir == SYN_DIR_TX || r->pair < 0;
}

#endif
