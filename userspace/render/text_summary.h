/* What a run ends with: the summary line, and the half-open connections of
 * a flood that were counted and not drawn. */
#ifndef SYNSCOPE_TEXT_SUMMARY_H
#define SYNSCOPE_TEXT_SUMMARY_H

#include <stdio.h>
#include "track/sink.h"

/* ", N segments seen only arriving: their departure never reached synscope"
 * (run_summary.unshown), or "" when there were none: the summary line's and
 * the HTML footer's words. */
void txt_unshown(char *buf, size_t len, __u64 unshown);
/* "synscope: N connections (M incomplete), E events, L lost\n" */
void txt_summary(FILE *f, const struct run_summary *sum);
/* The half-open connections that were counted and not drawn, a line a port:
 * SYNs in, SYN-ACKs out (cookies), resets, drops by reason, how they ended. */
void txt_halfopen(FILE *f, const struct halfopen *h, __s64 wall_offset_ns);

#endif
