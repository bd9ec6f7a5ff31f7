/* A connection's story: the rows a ladder draws (conn.rows). Processed rows
 * come batch by batch (timeline.h). Control rows are always kept: handshake
 * and teardown, state changes, calls other than plain reads and writes,
 * resets, retransmissions, drops, zero windows and probes. A run of ordinary
 * data rows keeps its first FOLD_HEAD and last FOLD_TAIL rows and folds the
 * rest into one summary row (struct conn_summary): segments and bytes each
 * way, duplicate ACKs, the reads and writes behind them. With every row
 * asked for (-v) nothing is folded. Either way a story holds at most
 * FOLD_MAX (FOLD_MAX_ALL) rows: past that, every row folds, and says so. */
#ifndef SYNSCOPE_FOLD_H
#define SYNSCOPE_FOLD_H

#include "track/rowvec.h"

#define FOLD_HEAD 16
#define FOLD_TAIL 8
#define FOLD_MAX 10000
#define FOLD_MAX_ALL 200000
#define FOLD_HELD (FOLD_TAIL + 2)

struct fold_held {
	struct conn_row row;
	__u64 serial, pair_serial; /* pair_serial: ~0 when it has none */
};

struct fold {
	bool all;                  /* keep every row (up to FOLD_MAX_ALL) */
	__u64 serial;              /* rows seen so far: the next row's number */
	__u64 run;                 /* ordinary rows in the current run */
	long sum_at;               /* the current run's summary: index in conn.sums, -1 none */
	__s32 sum_row;             /* ... and its row in conn.rows */
	struct fold_held held[FOLD_HELD]; /* the run's last rows, not placed yet: a ring */
	int held_first, nheld;     /* ... from held[held_first], so many */
	bool zero_win[2];          /* per sending lane: its last window was zero */
	__u32 seq_end[2];          /* just past the highest sequence number sent */
	bool seq_known[2];
};

void fold_init(struct fold *f, bool all);
/* Add a processed batch (pairs within it) to c's story. False: out of memory. */
bool fold_rows(struct fold *f, struct conn *c, const struct conn_row *rows, size_t n);
/* The connection ended: place what is held. */
bool fold_end(struct fold *f, struct conn *c);

#endif
