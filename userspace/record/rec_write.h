/* The recording writer (docs/recording.md): the raw event stream into a
 * file, gzip-compressed when its name ends in .gz, for -r to replay. */
#ifndef SYNSCOPE_REC_WRITE_H
#define SYNSCOPE_REC_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include "source/file/rec_read.h"

struct rec_writer;

/* Is a recording at this path gzip-compressed (its name ends in .gz)? */
bool rec_path_compressed(const char *path);
/* Create path ("-": standard output, as it is) and write the header.
 * NULL on failure, one line in err. */
struct rec_writer *rec_writer_open(const char *path, const struct rec_header *h,
				   char *err, size_t errlen);
/* Append one event (buffered; a tick too, not counted as an event). -1 on
 * a write error, see rec_writer_error(). */
int rec_writer_event(struct rec_writer *w, const struct syn_event *e);
/* Push everything written so far to the file (in a .gz, as a whole gzip
 * member; nothing when nothing is new): the file is then a recording, gzip
 * -t and zcat read it whole, and it keeps that much if a later write fails.
 * -1 on a write error. */
int rec_writer_flush(struct rec_writer *w);
/* The end record, then close. 0 when every byte reached the file; -1 with
 * one line in err otherwise: the file is then cut back to the last batch
 * written whole (the last flush at least), a recording that replays up to
 * there. *kept (when not NULL): the events the file holds. w is freed
 * either way; NULL is a no-op. */
int rec_writer_close(struct rec_writer *w, __u64 *kept, char *err, size_t errlen);
const char *rec_writer_error(const struct rec_writer *w);
/* A write failed because nobody reads the pipe any more (-w - | head). */
bool rec_writer_reader_gone(const struct rec_writer *w);
/* Events written (ticks not counted); after a write error, those the file
 * keeps. */
__u64 rec_writer_events(const struct rec_writer *w);

#endif
