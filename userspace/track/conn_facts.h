/* What a connection amounts to (struct conn_facts in conn.h): counted from
 * every row as the tracker hands the rows over, batch by batch, and decided
 * when the connection ends. One set of definitions for the connection
 * table, the JSON Lines "connection" object, the statistics and the filters
 * that choose connections (--slower, --rst, --comm), so they all say the
 * same (docs/views.md defines each number). */
#ifndef SYNSCOPE_CONN_FACTS_H
#define SYNSCOPE_CONN_FACTS_H

#include "track/conn.h"

void facts_init(struct conn_facts *f);
/* A processed batch of c's rows (lanes final, marks set). */
void facts_rows(struct conn_facts *f, const struct conn *c, const struct conn_row *rows,
		size_t n);
/* c ended (c->complete and c->evicted are set): outcome, durations. */
void facts_end(struct conn_facts *f, const struct conn *c);

/* "fin", "rst", "refused", "timeout", "unreachable", "open", "evicted", "closed" */
const char *facts_outcome_name(enum conn_outcome o);
/* The longest of the opening's durations (SYN -> SYN-ACK, connect(),
 * accept wait), -1 when none is known: what --slower compares. */
__s64 facts_opening_ns(const struct conn_facts *f);

/* Is this end on another host? Not traced here (only its packets were
 * seen), and not at a loopback address: an end at 127.0.0.1 or ::1 that
 * synscope never saw (a UDP socket's connect() to a port, which sends
 * nothing) is on this host all the same. */
bool conn_end_remote(const struct conn_end *e);

/* Which finished connections are told (--slower, --rst, --comm). */
struct conn_select {
	__u64 slower_ns;          /* 0: any; else facts_opening_ns() at least this */
	bool rst_only;            /* only those that ended in a reset (refused included) */
	char comm[SYN_COMM_LEN];  /* "": any; else a process of either end has this name */
};

bool conn_select_any(const struct conn_select *s);
bool conn_selected(const struct conn_select *s, const struct conn *c);

#endif
