/* Reading synscope's JSON Lines (docs/jsonl.md) back into events, so that a
 * JSONL trace can go through the tracker again (synscope merge). JSONL is
 * what the tracker made of the events, not the events themselves: what
 * comes back, and how the rest is rebuilt, is in docs/merge.md. */
#ifndef SYNSCOPE_JSONL_READ_H
#define SYNSCOPE_JSONL_READ_H

#include <stdbool.h>
#include <stdio.h>
#include "bpf/synscope_event.h"

#define JSONL_LINE_MAX 65536     /* longer lines are refused */
#define JSONL_REASONS 256        /* reason values that can be named */
#define JSONL_NAME_MAX 256       /* a reason name, with its NUL */

/* Everything one line says. */
struct jsonl_rec {
	struct syn_event ev;     /* sock_id and netns 0: JSONL has neither */
	__u64 conn;              /* 0: outside any connection */
	int end;                 /* 0 client, 1 server; -1 when conn is 0 */
	bool inferred;           /* a state synscope inferred, not the kernel's */
	bool summary;            /* a "connection" line: what the tracker made of a whole
				  * connection, made again from the events (skipped) */
	char reason_name[JSONL_NAME_MAX]; /* reset sent / drop: "" when not named */
};

/* One line without its newline. 0, or -1 with one line in err (the column
 * and what is wrong; the caller adds the line number). */
int jsonl_parse_line(const char *line, size_t len, struct jsonl_rec *r, char *err, size_t errlen);

/* A whole file as an event stream the tracker can take again. */
struct jsonl_events {
	struct syn_event *ev;    /* in time order */
	size_t n;
	__u64 lines;             /* lines read */
	__u64 first_ns;          /* the earliest t_ns, 0 when empty */
	char *rst_names[JSONL_REASONS];  /* reason names the lines gave, NULL = none */
	char *drop_names[JSONL_REASONS];
};

/* Read f to its end. Refuses the file at its first bad line: -1 with
 * "line N: ..." in err (out is left empty). */
int jsonl_read_events(FILE *f, struct jsonl_events *out, char *err, size_t errlen);
void jsonl_events_free(struct jsonl_events *je);

#endif
