/* Power-of-two histograms, printed the way the bcc tools print theirs
 * (libbpf-tools' print_log2_hist): a value v goes to slot floor(log2(v)),
 * 0 and 1 both to slot 0; slot i holds 2^i .. 2^(i+1)-1. */
#ifndef SYNSCOPE_HIST_H
#define SYNSCOPE_HIST_H

#include <stdio.h>
#include <linux/types.h>

#define HIST_SLOTS 64

struct log2_hist {
	__u64 slot[HIST_SLOTS];
	__u64 n;           /* values added */
	__u64 unknown;     /* connections that had no such value (said under the histogram) */
};

/* The slot of v: 0 for 0 and 1, else floor(log2(v)). */
int hist_slot(__u64 v);
void hist_add(struct log2_hist *h, __u64 v);
/* bcc's look: "     usecs               : count    distribution" and a line
 * per slot up to the highest non-empty one, 40 stars for the largest count
 * (20 when the slots pass 32). Nothing when the histogram is empty. */
void hist_print(FILE *f, const struct log2_hist *h, const char *unit);

#endif
