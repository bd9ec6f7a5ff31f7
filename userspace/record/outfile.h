/* Where the sinks write: an -o file or standard output, behind one FILE*.
 *
 * -o files are opened without following a symbolic link and only if they are
 * (or become) regular files. Output is kept whole at "commit" points, the
 * places where every sink has written complete lines / connections: when a
 * write fails, an -o file is cut back to its last commit and nothing more is
 * written to it. A reader that went away (EPIPE, `| head`) is told apart
 * from a real error, so the caller can end quietly. */
#ifndef SYNSCOPE_OUTFILE_H
#define SYNSCOPE_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct outfile;

/* Create or truncate PATH for writing, the safe way: never through a
 * symbolic link, only a regular file (opt names the option in messages).
 * The fd, or -1 with one line in err. */
int outfile_create(const char *path, const char *opt, char *err, size_t errlen);
/* n bytes of buf to fd, however many write() calls that takes (short
 * writes, EINTR): 0, or the errno of the write that failed (EIO for one
 * that wrote nothing). *done: the bytes that reached fd either way. */
int outfile_write_all(int fd, const void *buf, size_t n, size_t *done);
/* Create or truncate PATH for writing. NULL with one line in err when PATH
 * is a symbolic link, not a regular file, or cannot be opened. */
struct outfile *outfile_open(const char *path, char *err, size_t errlen);
/* Standard output (never truncated by synscope: the shell opened it). */
struct outfile *outfile_stdout(void);

FILE *outfile_stream(struct outfile *f);
/* The file descriptor underneath (isatty and the like). */
int outfile_fd(const struct outfile *f);

/* A commit point: flush, and remember this size as complete. Returns false
 * once writing has failed or the reader of a pipe has gone. */
bool outfile_commit(struct outfile *f);
/* The reader of a pipe has gone: not an error, just nobody to write for. */
bool outfile_reader_gone(const struct outfile *f);

/* Final commit and close. Returns 0, or -1 with one line in err when
 * something could not be written (a reader that went away is not that). */
int outfile_close(struct outfile *f, char *err, size_t errlen);

#endif
