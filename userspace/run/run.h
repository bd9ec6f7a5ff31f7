/* One run of the pipeline: events -> filter -> recorder -> tracker -> sink
 * -> output. Live tracing, replay (-r) and merge open one, feed it events
 * and close it, so a guarantee one of them gives (docs/reliability.md: -o a
 * regular file never reached through a symbolic link and cut back to its
 * last whole line on a write error, a closed pipe ending quietly, the
 * summary line, the counts said being the counts written) all of them give. */
#ifndef SYNSCOPE_RUN_H
#define SYNSCOPE_RUN_H

#include <stdbool.h>
#include <stdio.h>
#include "filter/event_filter.h"
#include "render/sink_opts.h"
#include "source/file/rec_read.h"
#include "track/tracker.h"

enum out_format {
	FORMAT_LADDER = 0,
	FORMAT_STREAM,
	FORMAT_JSONL,
	FORMAT_HTML,
	FORMAT_MERMAID,
	FORMAT_PCAPNG,
	FORMAT_TABLE,    /* a line per finished connection (docs/views.md) */
	FORMAT_STATS,    /* statistics only: at the end, and on SIGUSR1 */
	FORMAT_TOP,      /* --top: the live view, a terminal only */
};

/* How the ladder format draws a connection. */
enum ladder_style {
	STYLE_LADDER = 0,  /* lanes, rails and arrows (docs/ladder.md) */
	STYLE_RFC,         /* RFC 9293's figures (docs/rfc-style.md) */
};

#define RUN_MAX_INPUTS 2

struct run_opts {
	enum out_format format;
	enum ladder_style style;
	bool draw;                  /* false: -w alone, nothing drawn */
	const char *out_path;       /* -o FILE; NULL: standard output */
	const char *write_path;     /* -w FILE; NULL: no recording */
	const struct rec_header *header; /* -w: what the recording's header says */
	struct event_filter_opts filter; /* the kernel's filters redone (replay, merge) */
	struct sink_opts sink;      /* out and color are the run's to set */
	bool no_color;
	struct tracker_opts track;
	bool stats;                 /* --stats: the statistics too, after the format's output
				     * (on msg when the format is not text) */
	const char *inputs[RUN_MAX_INPUTS]; /* files read (replay, merge): never an output */
	FILE *msg;                  /* where its one-line messages go (stderr) */
};

struct run;

/* Can the options be run at all: an output that is a file being read, -w
 * and -o naming one file, pcapng to a terminal? 0, or the exit status to
 * end with after one line on o->msg (2: impossible as asked, 1: the files
 * clash). run_open() asks too; a command that reads big inputs first asks
 * before. */
int run_check(const struct run_opts *o);
/* Open the outputs (-w first: it is made before the drawing starts), the
 * sink and the tracker. NULL after one line on msg; *status is the exit
 * status to end with (2: the options ask for something impossible, 1: it
 * could not be done). */
struct run *run_open(const struct run_opts *o, int *status);
/* One event, from whatever source. */
void run_event(struct run *r, const struct syn_event *e);
/* Every sink is between lines and connections: a commit point of the
 * output; the recording is flushed when its last flush is older than
 * flush_ns (0: now; offline, now_ns and flush_ns may count events). A SIGUSR1 since the last commit is answered here: the
 * statistics so far (or one line saying none were asked for). False once
 * the run must stop: a write error (said) or a reader that went away
 * (quietly). */
bool run_commit(struct run *r, __u64 now_ns, __u64 flush_ns);
/* Replaying or merging, -w is flushed every so many events: a flush ends a
 * gzip member, and members of a few kilobytes compress a fifth worse. */
#define RUN_OFFLINE_FLUSH_EVENTS 16384
/* Tracing ended: hand over what is still open, say the summary where it
 * belongs, close the recording and the output. lost: the source's losses,
 * for -w alone's line. The exit status so far (0, or 1 when something could
 * not be written); r is freed. */
int run_close(struct run *r, __u64 lost);

#endif
