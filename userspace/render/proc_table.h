/* The processes the views count by (-f stats, --top): a process is its pid
 * and its name together (a pid comes back as another program), and a view
 * keeps at most so many, counting the rest apart. */
#ifndef SYNSCOPE_PROC_TABLE_H
#define SYNSCOPE_PROC_TABLE_H

#include <stddef.h>
#include "base/hmap.h"
#include "bpf/synscope_event.h"

/* The first member of each view's per-process record. */
struct proc_id {
	__u32 pid;
	char comm[SYN_COMM_LEN];
};

/* The key of pid and comm's record (never 0). */
__u64 proc_table_key(__u32 pid, const char comm[SYN_COMM_LEN]);

/* pid and comm's record in m (records of size bytes, struct proc_id first),
 * made zeroed when m holds fewer than max. NULL when m is full, memory ran
 * out, or another process holds the same key: the caller counts it apart. */
struct proc_id *proc_table_get(struct hmap *m, __u32 pid, const char comm[SYN_COMM_LEN],
			       size_t max, size_t size);

#endif
