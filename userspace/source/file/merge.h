/* synscope merge: two hosts' views of the same connections as one event
 * stream (docs/merge.md). Segments seen at both ends are matched by
 * addresses, ports, sequence numbers and the rest of the header; the
 * handshakes among them give the offset between the two clocks; B's events
 * are moved onto A's clock, and the two streams go to the tracker by time. */
#ifndef SYNSCOPE_MERGE_H
#define SYNSCOPE_MERGE_H

#include "source/file/clock_offset.h"
#include "source/file/merge_input.h"

struct merge_plan {
	struct clock_estimate clock;
	__s64 wall_offset_ns;    /* for the sinks: ts_ns + this = wall clock (A's) */
	size_t overlap;          /* segments both inputs sent: they are not two hosts */
	char overlap_example[160];
	size_t netns_renamed;    /* B's namespaces that had the number of one of A's */
	size_t reasons_renamed;  /* B's reason values given another number (A's kernel has
				  * the name under another one, or another name there) */
	bool reasons_clash;      /* no free number for one of B's reason names */
};

/* Match, estimate, and rewrite b onto a's clock: afterwards both inputs'
 * ts_ns are on one time base (ts_ns + plan.wall_offset_ns = wall clock on
 * A's clock), b's namespaces, socket ids and reason values cannot be taken
 * for a's, and a's reason names hold both kernels' (for the sinks).
 * user_offset: B's clock minus A's, given, or NULL to estimate it.
 * -1 with one line in err: the inputs overlap, or times out of range. */
int merge_prepare(struct merge_input *a, struct merge_input *b, const __s64 *user_offset,
		  struct merge_plan *p, char *err, size_t errlen);

typedef void (*merge_emit_fn)(void *ctx, const struct syn_event *e);

/* Both streams, by time; each keeps its own order (ties: a first). B's
 * clock ticks only after A's last one. */
void merge_emit(const struct merge_input *a, const struct merge_input *b, merge_emit_fn emit,
		void *ctx);

#endif
