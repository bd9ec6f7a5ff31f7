/* The live event source: loads the BPF programs and reads their ring buffer.
 * The only part of synscope that talks to libbpf or the kernel. */
#ifndef SYNSCOPE_BPF_SOURCE_H
#define SYNSCOPE_BPF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include "bpf/synscope_event.h"
#include "source/live/ring_merge.h"

struct bpf_source_opts {
	__u32 pid;                 /* trace this process and its descendants; 0 = all */
	char comm[SYN_COMM_LEN];   /* trace the tasks of this name (NUL padded); "" = all */
	__u8 family;               /* AF_INET / AF_INET6; 0 = both */
	__u16 ports[SYN_MAX_PORTS];
	int nports;
	size_t ring_bytes;         /* each CPU's ring buffer, a power of two; 0 = default */
	const struct syn_watch_key *watch_ports; /* with pid or comm: their sockets' ports,
						  * made before tracing */
	int nwatch;
};

struct bpf_source;

/* Probe, load and attach. On failure returns NULL and a one-line reason in err. */
struct bpf_source *bpf_source_open(const struct bpf_source_opts *o, char *err, size_t errlen);
/* Read what is queued, waiting up to timeout_ms for more, and deliver in
 * time order all but the last few milliseconds' (left in the rings for the
 * next call: another CPU's ring may still bring older ones). Returns the number of events read,
 * or a negative errno (-EINTR when a signal came). */
int bpf_source_poll(struct bpf_source *s, int timeout_ms, syn_event_fn fn, void *ctx);
/* The rest, with everything held for the merge: the last call. */
void bpf_source_drain(struct bpf_source *s, syn_event_fn fn, void *ctx);
/* Every event stamped before the time returned has been delivered by the
 * calls so far (unless its program was kept from finishing for longer than
 * the merge's margin: such a record comes late, not lost). It never goes
 * back. After the drain, it is the drain's time (or the oldest stamp the
 * drain left behind). */
__u64 bpf_source_horizon(struct bpf_source *s);
/* Events the kernel could not queue since the start. */
__u64 bpf_source_lost(struct bpf_source *s);
/* Of those, the program runs the kernel skipped (a tracepoint that fired on
 * a CPU while its program was already running there): a bigger ring does
 * not bring them back. */
__u64 bpf_source_skipped(struct bpf_source *s);
/* The records the kernel submitted to the rings so far, by its own count
 * (wrapping at 2^32); 0 when it cannot be read. */
__u32 bpf_source_submitted(struct bpf_source *s);
/* After the drain: of the records bpf_source_submitted() counted before it,
 * those never delivered. A full ring and a skipped run never submit (they
 * are lost, and counted so): anything here is lost on our side. */
__u32 bpf_source_unseen(struct bpf_source *s, __u32 submitted);
/* Can the counters still be read (checked before privileges are dropped)? */
bool bpf_source_counters_readable(struct bpf_source *s);
void bpf_source_close(struct bpf_source *s);

#endif
