/* A connection's timeline, made batch by batch from its raw rows (tracker.c
 * decides the batches): each segment paired with its sighting at the other
 * end, retransmissions and segments that never left marked, the textbook
 * states Linux does not report inferred, both lanes' states after every row.
 * What it has learnt is kept in struct timeline, so a long connection taken
 * in many batches reads as it would taken at once. */
#ifndef SYNSCOPE_TIMELINE_H
#define SYNSCOPE_TIMELINE_H

#include "track/rowvec.h"

struct timeline {
	bool begun;            /* the lanes' first states are decided */
	__u8 cur[2];           /* each lane's state after the last row */
	bool reset[2];         /* the lane saw a reset */
	bool fin_rx[2];        /* the lane received its peer's FIN ... */
	__u32 fin_end[2];      /* ... and the sequence number just past it */
	bool in_tw[2];         /* the lane is in TIME-WAIT (its timewait socket lives) */
	bool on_request[2];    /* the lane is in SYN-RECEIVED on a request socket (inferred) */
	bool have_tx[2];       /* segments the lane sent are seen leaving */
	bool seq_started[2];
	bool synack_sent[2];
	__u32 next_seq[2];     /* just past the highest sequence number the lane sent */
	bool ack_known[2];
	__u32 last_ack[2];     /* the lane's last acknowledgement number ... */
	__u16 last_win[2];     /* ... and window */
	__u64 recovery_at[2];  /* the lane's last retransmission in recovery (0: none) */
};

/* Pair each received segment of rows[0..n) with its transmission at the
 * other end (pair indexes within rows[], -1: none). */
void timeline_pair(struct conn_row *rows, size_t n);

/* How many of rows[0..n) (paired) may be taken now, at most want, so that
 * no pair is split between what is taken and what stays. */
size_t timeline_cut(const struct conn_row *rows, size_t n, size_t want);

/* Take rows[0..n): sorted and paired, the connection's ends in their final
 * lanes. rows[n..n + ahead) are the rows that follow, looked at where a row's
 * meaning depends on what comes next (was this SYN answered?). Marks are set
 * in rows[]; the rows, with the inferred ones among them and both lanes'
 * states after each, are appended to out, paired within what was appended.
 * c->end[i].state and tw_since follow. False when out of memory. */
bool timeline_take(struct timeline *tl, struct conn *c, struct conn_row *rows, size_t n,
		   size_t ahead, struct row_vec *out);

/* The first segment of a handshake, SYN without ACK; its answer, SYN-ACK. */
bool ev_is_syn(const struct syn_event *e);
bool ev_is_synack(const struct syn_event *e);

#endif
