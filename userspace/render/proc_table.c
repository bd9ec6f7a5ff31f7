#include <stdlib.h>
#include <string.h>
#include "render/proc_table.h"

__u64 proc_table_key(__u32 pid, const char comm[SYN_COMM_LEN])
{
	__u64 a, b;

	memcpy(&a, comm, 8);
	memcpy(&b, comm + 8, 8);
	return hmap_mix(hmap_mix(a ^ pid) ^ b) | 1;
}

struct proc_id *proc_table_get(struct hmap *m, __u32 pid, const char comm[SYN_COMM_LEN],
			       size_t max, size_t size)
{
	__u64 key = proc_table_key(pid, comm);
	struct proc_id *p = hmap_get(m, key);

	if (p)
		return p->pid == pid && !memcmp(p->comm, comm, SYN_COMM_LEN) ? p : NULL;
	if (m->len >= max || !(p = calloc(1, size)))
		return NULL;
	p->pid = pid;
	memcpy(p->comm, comm, SYN_COMM_LEN);
	if (hmap_put(m, key, p)) {
		free(p);
		return NULL;
	}
	return p;
}
