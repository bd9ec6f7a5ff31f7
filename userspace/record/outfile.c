#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record/outfile.h"

struct outfile {
	FILE *stream;      /* what the sinks write to: a cookie stream over fd */
	int fd;
	bool owned;        /* an -o file: ours to cut back and close */
	bool is_pipe;      /* a pipe or FIFO: its reader can go away */
	int err;           /* the first write error; nothing is written after it */
	off_t written;     /* bytes that reached fd */
	off_t good;        /* written at the last commit: whole lines, whole connections */
	char name[256];
	char buf[64 * 1024]; /* the stream's buffer: glibc sizes its own at 8 KiB */
};

int outfile_write_all(int fd, const void *buf, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, (const char *)buf + *done, n - *done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		*done += (size_t)w;
	}
	return 0;
}

/* The one place bytes reach the file. After a failure it writes nothing
 * more, and an -o file is cut back to its last commit, so what is there
 * stays whole. */
static ssize_t outfile_write(void *cookie, const char *buf, size_t n)
{
	struct outfile *f = cookie;
	size_t done;

	if (f->err) {
		errno = f->err;
		return 0;
	}
	f->err = outfile_write_all(f->fd, buf, n, &done);
	f->written += (off_t)done;
	if (f->err) {
		if (f->owned && f->written > f->good && ftruncate(f->fd, f->good) == 0)
			f->written = f->good;
		errno = f->err;
		return 0; /* stdio: 0 is an error, never a negative count */
	}
	return (ssize_t)n;
}

static struct outfile *outfile_wrap(int fd, bool owned, const char *name)
{
	cookie_io_functions_t io = { .write = outfile_write };
	struct outfile *f = calloc(1, sizeof(*f));
	struct stat st;

	if (!f)
		return NULL;
	f->fd = fd;
	f->owned = owned;
	f->is_pipe = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->stream = fopencookie(f, "w", io);
	if (!f->stream) {
		free(f);
		return NULL;
	}
	/* a terminal sees each line as it comes, like stdio's own stdout */
	setvbuf(f->stream, f->buf, isatty(fd) ? _IOLBF : _IOFBF, sizeof(f->buf));
	return f;
}

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

int outfile_create(const char *path, const char *opt, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: opening a FIFO must not wait for a reader. No O_TRUNC:
	 * nothing is changed before fstat says it is a regular file. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			snprintf(err, errlen, "not writing %s: it is a symbolic link "
				 "(%s never follows one)", path, opt);
		else if (e == ENXIO || e == EISDIR)
			snprintf(err, errlen, "not writing %s: %s (%s writes regular files only)", path,
				 e == EISDIR ? "a directory" :
				 lstat(path, &st) == 0 ? file_kind(st.st_mode) : "not a regular file",
				 opt);
		else
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not writing %s: %s (%s writes regular files only)", path,
			 file_kind(st.st_mode), opt);
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, 0) || (st.st_size && ftruncate(fd, 0))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct outfile *outfile_open(const char *path, char *err, size_t errlen)
{
	struct outfile *f;
	int fd = outfile_create(path, "-o", err, errlen);

	if (fd < 0)
		return NULL;
	f = outfile_wrap(fd, true, path);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		close(fd);
	}
	return f;
}

struct outfile *outfile_stdout(void)
{
	return outfile_wrap(STDOUT_FILENO, false, "standard output");
}

FILE *outfile_stream(struct outfile *f)
{
	return f->stream;
}

int outfile_fd(const struct outfile *f)
{
	return f->fd;
}

/* A pipe whose reader closed its end reports POLLERR to the writer: seen
 * here even when there is nothing to write. */
static bool pipe_reader_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

bool outfile_commit(struct outfile *f)
{
	if (f->err)
		return false;
	if (fflush(f->stream) && !f->err)
		f->err = errno ? errno : EIO;
	if (f->err)
		return false;
	f->good = f->written;
	if (f->is_pipe && pipe_reader_closed(f->fd)) {
		f->err = EPIPE;
		return false;
	}
	return true;
}

bool outfile_reader_gone(const struct outfile *f)
{
	return f->err == EPIPE || f->err == ECONNRESET;
}

int outfile_close(struct outfile *f, char *err, size_t errlen)
{
	int rc = 0;

	if (!f)
		return 0;
	outfile_commit(f);
	fclose(f->stream); /* nothing left to flush: the commit did, or failed */
	if (f->owned && close(f->fd) && !f->err)
		f->err = errno;
	if (f->err && !outfile_reader_gone(f)) {
		if (f->owned)
			snprintf(err, errlen, "error writing %s: %s (it keeps the %lld bytes "
				 "written before: complete lines and connections only)",
				 f->name, strerror(f->err), (long long)f->good);
		else
			snprintf(err, errlen, "error writing %s: %s", f->name, strerror(f->err));
		rc = -1;
	}
	free(f);
	return rc;
}
