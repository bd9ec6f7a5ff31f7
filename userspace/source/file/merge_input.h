/* One input of synscope merge: a recording or a JSONL file, read whole into
 * memory (the clock offset must be known before the first event is shown,
 * and JSONL is not in time order). */
#ifndef SYNSCOPE_MERGE_INPUT_H
#define SYNSCOPE_MERGE_INPUT_H

#include <stdbool.h>
#include "source/file/rec_read.h"

struct merge_input {
	const char *path;
	bool jsonl;                 /* else a recording */
	char host[REC_TEXT_MAX];    /* recordings: where, on what kernel */
	char kernel[REC_TEXT_MAX];
	__u64 start_ns;             /* recording start, or JSONL's first t_ns */
	__s64 wall_offset_ns;       /* ts_ns + this = this host's wall clock; JSONL: 0 */
	char *rst_names[REC_RST_REASONS];  /* this host's kernel's reason names */
	char *drop_names[REC_RST_REASONS];
	struct syn_event *ev;       /* in the input's order (JSONL: time order) */
	size_t n;
	char damage[256];           /* a recording cut short or damaged: what the reader
				     * said; the events before it are kept */
};

/* Read path whole. -1 with one line in err when it cannot be read at all:
 * not there, neither kind, a bad JSONL line ("line N: ..."). A recording
 * damaged part way is not an error: see damage. (Each input is filtered
 * apart, with the filter stage's event_filter_events(): a host's filters
 * follow that host's sockets.) */
int merge_input_load(struct merge_input *in, const char *path, char *err, size_t errlen);
void merge_input_free(struct merge_input *in);
/* Does path start as JSON Lines do (with '{')? false for a recording, or
 * a file that cannot be read (its reader says why). */
bool merge_input_is_jsonl(const char *path);

#endif
