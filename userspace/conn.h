/* The connection model: what the tracker builds and every sink reads. */
#ifndef SYNSCOPE_CONN_H
#define SYNSCOPE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include "../bpf/synscope_event.h"

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
	__u32 pid;           /* the process that owns the end; 0 = not known */
	char comm[SYN_COMM_LEN];
	__u8 state;          /* the state after the last row (kernel TCP_* numbers) */
};

enum row_mark {
	ROW_INFERRED = 0x01,   /* a state the kernel did not report: synscope inferred it */
	ROW_RETRANSMIT = 0x02, /* this segment is a retransmission */
};

/* One event placed on the connection's timeline. */
struct conn_row {
	struct syn_event ev;
	__u8 end;            /* index into conn.end[]: the lane this event happened on */
	__u8 marks;          /* enum row_mark bits */
	__u8 state_after[2]; /* both lanes' states after this row; 0 = none yet */
	__s32 pair;          /* segments: row index of the same segment at the other end, or -1 */
};

struct conn {
	__u64 id;            /* 1, 2, 3 ... in order of first sight; same for both ends */
	__u8 proto;          /* IPPROTO_TCP, or IPPROTO_UDP: a flow of datagrams */
	struct conn_end end[2]; /* end[0] is the client lane, end[1] the server lane */
	struct conn_row *rows;  /* in time order once the connection is finished */
	size_t nrows, cap;
	bool complete;       /* every traced end was seen to close */
	bool maybe_lost;     /* the kernel lost events while this connection was open */
	bool evicted;        /* shown before it ended: idle without a socket, or too many open */
	__u64 elided;        /* data rows not kept: a long connection keeps its first rows */
};

#endif
