/* Recordings: the raw event stream in a file, gzip-compressed when its name
 * ends in .gz (docs/recording.md), so a trace can be replayed without root
 * through the same tracker and sinks.
 * The writer stores what the tracker was given; the reader hands it back one
 * event at a time and says exactly where a damaged file stops making sense. */
#ifndef SYNSCOPE_RECORDING_H
#define SYNSCOPE_RECORDING_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "bpf/synscope_event.h"

#define REC_FORMAT_VERSION 2      /* the newest: compact events (-w FILE.gz writes it) */
#define REC_FORMAT_PLAIN 1        /* events as they lie in memory (-w FILE writes it: cheapest) */
#define REC_FORMAT_OLDEST 1       /* the oldest format the reader reads */
#define REC_ABI_OLDEST 2          /* the oldest event ABI a recording may hold (read as today's) */
#define REC_TEXT_MAX 256          /* host name, kernel release, a reset reason name */
#define REC_RST_REASONS 256       /* reset reason values that can be named */

/* Everything replay needs besides the events to print what live tracing printed. */
struct rec_header {
	__u32 format_version;     /* the file's (filled in by the reader) */
	__u32 abi_version;        /* SYN_EV_ABI_VERSION of the recorder */
	__u32 event_size;         /* sizeof(struct syn_event) of the recorder */
	__s64 wall_offset_ns;     /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	__u64 start_ns;           /* wall-clock start, ns since the epoch */
	char host[REC_TEXT_MAX];  /* uname nodename */
	char kernel[REC_TEXT_MAX]; /* uname release */
	/* The recording kernel's enum sk_rst_reason and enum skb_drop_reason
	 * names; NULL = not known. */
	char *rst_names[REC_RST_REASONS];
	char *drop_names[REC_RST_REASONS];
};

/* Fill host, kernel, start_ns and the ABI fields from this machine; the
 * caller sets wall_offset_ns, rst_names and drop_names. */
void rec_header_init_local(struct rec_header *h);
/* Free the reason names a reader (or a caller) allocated. */
void rec_header_free_names(struct rec_header *h);

struct rec_reader;

enum rec_status {
	REC_EVENT = 1,      /* *e holds the next event */
	REC_END = 0,        /* the end record: the recording is complete */
	REC_TRUNCATED = -1, /* the file stops early: what came before was complete */
	REC_BAD = -2,       /* not a recording, an unsupported one, or damaged */
};

/* "-" names standard input to -r and standard output to -w, as in tcpdump. */
static inline bool rec_path_is_std(const char *path)
{
	return path && path[0] == '-' && !path[1];
}

/* Open path ("-": standard input) or an fd (the reader owns it), and read
 * the header into h.
 * NULL on failure with one line in err: "truncated at byte N (record M): ...",
 * "not a synscope recording ...", ... */
struct rec_reader *rec_reader_open(const char *path, struct rec_header *h,
				   char *err, size_t errlen);
struct rec_reader *rec_reader_fdopen(int fd, struct rec_header *h, char *err, size_t errlen);
/* The next event. REC_TRUNCATED and REC_BAD leave a message in
 * rec_reader_error(); every later call returns the same status. */
enum rec_status rec_reader_next(struct rec_reader *r, struct syn_event *e);
const char *rec_reader_error(const struct rec_reader *r);
/* Reading a pipe: once *flag is set, a read() a signal interrupts ends the
 * recording there (byte_in_stop_on). */
void rec_reader_stop_on(struct rec_reader *r, const volatile sig_atomic_t *flag);
void rec_reader_close(struct rec_reader *r);

#endif
