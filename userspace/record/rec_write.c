/* The recording writer (rec_write.h): what the tracker is given, as it
 * comes, into a file replay reads back. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "record/ev_encode.h"
#include "record/outfile.h"
#include "record/rec_write.h"
#include "source/file/rec_format.h"

/* ---- writer ------------------------------------------------------------ */

/* Event records are put together here and handed to zlib a batch at a
 * time: a gzwrite() per record of a dozen bytes would cost more than it. */
#define STAGE_SIZE (64u << 10)

struct rec_writer {
	gzFile gz;
	struct ev_encoder *enc; /* format 2 (compressed files); NULL: format 1 */
	size_t staged;      /* bytes in stage */
	int fd;             /* a second descriptor of the file: it is cut back with it */
	__u64 records;      /* event records written (the end record counts these) */
	__u64 events;       /* ... of which events (not the source's ticks) */
	__u64 kept_events;  /* events known to be in the file: at the last flush */
	off_t kept_bytes;   /* ... and the file's size then */
	bool failed;
	char err[256];
	__u8 stage[STAGE_SIZE];
};

static int writer_fail(struct rec_writer *w)
{
	int zerr = Z_OK;
	const char *msg = gzerror(w->gz, &zerr);

	if (!w->failed) {
		w->failed = true;
		snprintf(w->err, sizeof(w->err), "cannot write: %s",
			 zerr == Z_ERRNO ? strerror(errno) : msg);
	}
	return -1;
}

/* The staged event records, to zlib. */
static int write_staged(struct rec_writer *w)
{
	size_t n = w->staged;

	w->staged = 0;
	if (w->failed)
		return -1;
	if (n && gzwrite(w->gz, w->stage, (unsigned)n) != (int)n)
		return writer_fail(w);
	return 0;
}

/* A framed record of a then b into out: its length. */
static size_t frame_record(__u8 *out, enum rec_type type, const void *a, size_t alen,
			   const void *b, size_t blen)
{
	put_u16(out, (__u16)type);
	put_u16(out + 2, (__u16)(alen + blen));
	if (alen)
		memcpy(out + REC_RECHDR_LEN, a, alen);
	if (blen)
		memcpy(out + REC_RECHDR_LEN + alen, b, blen);
	return REC_RECHDR_LEN + alen + blen;
}

/* One record, in one gzwrite: the writer's cost is per call, not per byte. */
static int write_record(struct rec_writer *w, enum rec_type type, const void *a, size_t alen,
			const void *b, size_t blen)
{
	__u8 rec[REC_RECHDR_LEN + 2 * REC_TEXT_MAX];
	size_t len = REC_RECHDR_LEN + alen + blen;

	if (w->failed)
		return -1;
	if (len > sizeof(rec)) {
		snprintf(w->err, sizeof(w->err), "record of %zu bytes: too long", len);
		w->failed = true;
		return -1;
	}
	frame_record(rec, type, a, alen, b, blen);
	if (gzwrite(w->gz, rec, (unsigned)len) != (int)len)
		return writer_fail(w);
	return 0;
}

static int write_text(struct rec_writer *w, enum rec_type type, const char *s)
{
	return write_record(w, type, s, strnlen(s, REC_TEXT_MAX - 1), NULL, 0);
}

static int write_header(struct rec_writer *w, const struct rec_header *h)
{
	__u8 prefix[REC_PREFIX_LEN], fixed[REC_HEADER_LEN], val[4];

	memcpy(prefix, REC_MAGIC, REC_MAGIC_LEN);
	put_u32(prefix + REC_MAGIC_LEN, w->enc ? REC_FORMAT_VERSION : REC_FORMAT_PLAIN);
	if (gzwrite(w->gz, prefix, sizeof(prefix)) != (int)sizeof(prefix))
		return writer_fail(w);
	put_u32(fixed, SYN_EV_ABI_VERSION);
	put_u32(fixed + 4, sizeof(struct syn_event));
	put_u64(fixed + 8, (__u64)h->wall_offset_ns);
	put_u64(fixed + 16, h->start_ns);
	if (write_record(w, REC_T_HEADER, fixed, sizeof(fixed), NULL, 0) ||
	    write_text(w, REC_T_HOST, h->host) || write_text(w, REC_T_KERNEL, h->kernel))
		return -1;
	for (__u32 i = 0; i < 2 * REC_RST_REASONS; i++) {
		bool drop = i >= REC_RST_REASONS;
		__u32 v = i % REC_RST_REASONS;
		const char *name = drop ? h->drop_names[v] : h->rst_names[v];

		if (!name || !*name)
			continue;
		put_u32(val, v);
		if (write_record(w, drop ? REC_T_DROP_REASON : REC_T_RST_REASON, val, sizeof(val),
				 name, strnlen(name, REC_TEXT_MAX - 1)))
			return -1;
	}
	return write_record(w, REC_T_HEADER_END, NULL, 0, NULL, 0);
}

bool rec_path_compressed(const char *path)
{
	size_t n = strlen(path);

	return n > 3 && !strcmp(path + n - 3, ".gz");
}

static void writer_free(struct rec_writer *w)
{
	ev_encoder_free(w->enc);
	free(w);
}

struct rec_writer *rec_writer_open(const char *path, const struct rec_header *h,
				   char *err, size_t errlen)
{
	struct rec_writer *w = calloc(1, sizeof(*w));
	int fd;

	/* Compact events where zlib would otherwise compress five times the
	 * bytes; a plain file takes events as they are, the cheaper to write
	 * (docs/recording.md has both measured). */
	if (w && rec_path_compressed(path))
		w->enc = ev_encoder_new();
	if (!w || (rec_path_compressed(path) && !w->enc)) {
		snprintf(err, errlen, "out of memory");
		free(w);
		return NULL;
	}
	fd = outfile_create(path, "-w", err, errlen);
	if (fd < 0) {
		writer_free(w);
		return NULL;
	}
	w->fd = dup(fd);
	w->gz = w->fd >= 0 ? gzdopen(fd, rec_path_compressed(path) ? REC_GZ_MODE : REC_RAW_MODE)
			   : NULL;
	if (!w->gz) {
		snprintf(err, errlen, "%s: cannot start compressing: out of memory", path);
		close(fd);
		if (w->fd >= 0)
			close(w->fd);
		writer_free(w);
		return NULL;
	}
	gzbuffer(w->gz, REC_GZ_BUFFER);
	if (write_header(w, h) || rec_writer_flush(w)) {
		writer_fail(w);
		snprintf(err, errlen, "%s: %s", path, w->err);
		gzclose(w->gz);
		close(w->fd);
		writer_free(w);
		return NULL;
	}
	return w;
}

int rec_writer_event(struct rec_writer *w, const struct syn_event *e)
{
	if (w->failed)
		return -1;
	if (w->enc)
		w->staged += ev_encode(w->enc, e, w->stage + w->staged);
	else
		w->staged += frame_record(w->stage + w->staged, REC_T_EVENT, e, sizeof(*e), NULL, 0);
	w->records++;
	w->events += e->kind != SYN_EV_TICK;
	_Static_assert(REC_RECHDR_LEN + sizeof(*e) <= EV_ENCODED_MAX, "room for either format");
	if (w->staged > STAGE_SIZE - EV_ENCODED_MAX)
		return write_staged(w);
	return 0;
}

int rec_writer_flush(struct rec_writer *w)
{
	off_t end;

	if (write_staged(w))
		return -1;
	if (gzflush(w->gz, Z_SYNC_FLUSH) != Z_OK)
		return writer_fail(w);
	/* all of it is in the file now: what it keeps if a later write fails */
	end = lseek(w->fd, 0, SEEK_CUR);
	if (end >= 0) {
		w->kept_bytes = end;
		w->kept_events = w->events;
	}
	return 0;
}

/* A write failed: the file is cut back to the last flush, a recording that
 * replays whole up to there (and then says it stops early), and what it
 * holds is what the writer says it recorded. */
static void writer_cut_back(struct rec_writer *w)
{
	struct stat st;

	if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode))
		(void)!ftruncate(w->fd, w->kept_bytes);
	w->events = w->kept_events;
}

int rec_writer_close(struct rec_writer *w, __u64 *kept, char *err, size_t errlen)
{
	__u8 count[8];
	int rc;

	if (!w)
		return 0;
	/* among format 2's events a framed record starts with a 0 */
	if (w->enc)
		w->stage[w->staged++] = 0;
	if (!write_staged(w)) {
		put_u64(count, w->records);
		write_record(w, REC_T_END, count, sizeof(count), NULL, 0);
	}
	rc = gzclose(w->gz);
	if (!w->failed && rc != Z_OK) {
		w->failed = true;
		snprintf(w->err, sizeof(w->err), "cannot write: %s",
			 rc == Z_ERRNO ? strerror(errno) : "compression failed");
	}
	if (w->failed)
		writer_cut_back(w);
	close(w->fd);
	rc = w->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "%s", w->err);
	if (kept)
		*kept = w->events;
	writer_free(w);
	return rc;
}

const char *rec_writer_error(const struct rec_writer *w)
{
	return w->err;
}

__u64 rec_writer_events(const struct rec_writer *w)
{
	return w->failed ? w->kept_events : w->events;
}
