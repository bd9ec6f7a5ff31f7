/* What every drawing and export is asked for: where to write, and how. */
#ifndef SYNSCOPE_SINK_OPTS_H
#define SYNSCOPE_SINK_OPTS_H

#include <stdbool.h>
#include <stdio.h>
#include "track/sink.h"

/* The text drawings' width (ladder, --style rfc) in columns: a file or a
 * pipe gets the default, a terminal its own width within these bounds. */
#define TEXT_WIDTH_DEFAULT 100
#define TEXT_WIDTH_MIN 80
#define TEXT_WIDTH_MAX 200

struct sink_opts {
	FILE *out;
	bool color;          /* ANSI colour: only on a terminal, never with NO_COLOR */
	bool relative_seq;   /* print seq/ack relative to each end's initial sequence number */
	__s64 wall_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at start: ts_ns + this = epoch ns */
	__u8 explain;        /* enum explain_lang: annotate rows with what they mean */
	unsigned int pace_ms; /* slow motion: pause after each printed row */
	int width;           /* columns of the ladder and --style rfc; 0: TEXT_WIDTH_DEFAULT */
};

#endif
