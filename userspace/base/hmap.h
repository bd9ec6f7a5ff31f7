/* An open-addressing hash table from 64-bit keys to pointers (linear probing,
 * backward-shift deletion: no tombstones, so lookups stay short under churn). */
#ifndef SYNSCOPE_HMAP_H
#define SYNSCOPE_HMAP_H

#include <stddef.h>
#include <linux/types.h>

struct hmap {
	__u64 *keys;
	void **vals;      /* NULL = empty slot: values are never NULL */
	size_t cap;       /* a power of two, or 0 */
	size_t len;
};

void hmap_free(struct hmap *m);
void *hmap_get(const struct hmap *m, __u64 key);
/* Insert or replace; val must not be NULL. Returns -1 when out of memory. */
int hmap_put(struct hmap *m, __u64 key, void *val);
/* Remove and return the value, or NULL when absent. */
void *hmap_del(struct hmap *m, __u64 key);
/* Mix a 64-bit value so that structured keys spread over the table. */
__u64 hmap_mix(__u64 x);

#endif
