/* The recording writer (rec_write.h): what the tracker is given, as it
 * comes, into a file replay reads back. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include "record/ev_encode.h"
#include "record/outfile.h"
#include "record/rec_write.h"
#include "source/file/rec_format.h"

/* ---- writer ------------------------------------------------------------ */

/* Records are put together here and written a batch at a time: a write()
 * per record of a dozen bytes would cost more than it. In a .gz each batch
 * becomes one whole gzip member (a gzip file may hold any number, read as
 * one stream), so the file is whole gzip between two batches. 128 KiB: a
 * replay's flush of 1,024 plain events (124 bytes each) is one write(); at
 * 64 KiB the extra write()s cost a plain replay 5 % more CPU. */
#define STAGE_SIZE (128u << 10)
/* libdeflate's fastest level: a batch in about half zlib's level 1 time;
 * its levels 2 and 3 save under 2 % for 40-100 % more (docs/recording.md). */
#define GZ_LEVEL 1
/* The longest record the header writes: a reason's value and its name. */
#define RECORD_MAX (REC_RECHDR_LEN + 2 * REC_TEXT_MAX)
_Static_assert(RECORD_MAX <= STAGE_SIZE, "a record fits in a batch");

struct rec_writer {
	struct libdeflate_compressor *gz; /* .gz files; NULL: the batches as they are */
	__u8 *member;       /* a batch compressed, member_cap bytes at most */
	size_t member_cap;
	struct ev_encoder *enc; /* format 2 (compressed files); NULL: format 1 */
	size_t staged;      /* bytes in stage */
	int fd;
	__u64 records;      /* event records written (the end record counts these) */
	__u64 events;       /* ... of which events (not the source's ticks) */
	__u64 kept_events;  /* events known to be in the file: at the last whole batch */
	off_t kept_bytes;   /* ... and the file's size then */
	off_t written;      /* bytes that reached the file */
	bool failed;
	bool reader_gone;   /* the write failed with EPIPE: nobody reads the pipe */
	bool std_out;       /* -w -: the shell's file, never cut back */
	char err[256];
	__u8 stage[STAGE_SIZE];
};

/* The first failure is the one said; nothing is written after it. */
static int writer_fail(struct rec_writer *w, const char *why)
{
	if (!w->failed) {
		w->failed = true;
		snprintf(w->err, sizeof(w->err), "cannot write: %s", why);
	}
	return -1;
}

/* n bytes to the file, however many write() calls that takes. */
static int write_out(struct rec_writer *w, const __u8 *p, size_t n)
{
	size_t done = 0;
	int e = outfile_write_all(w->fd, p, n, &done);

	w->written += (off_t)done;
	w->reader_gone |= e == EPIPE;
	return e ? writer_fail(w, strerror(e)) : 0;
}

/* The staged records, to the file: a gzip member of them in a .gz. Each
 * batch is whole in the file once written: what it keeps if a later one
 * fails. */
static int write_staged(struct rec_writer *w)
{
	const __u8 *out = w->stage;
	size_t n = w->staged;

	w->staged = 0;
	if (w->failed)
		return -1;
	if (!n)
		return 0; /* no empty member at a flush with nothing new */
	if (w->gz) {
		n = libdeflate_gzip_compress(w->gz, w->stage, n, w->member, w->member_cap);
		if (!n)
			return writer_fail(w, "compression failed");
		out = w->member;
	}
	if (write_out(w, out, n))
		return -1;
	w->kept_bytes = w->written;
	w->kept_events = w->events;
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

/* One record, staged (a batch written first when it would not fit). */
static int write_record(struct rec_writer *w, enum rec_type type, const void *a, size_t alen,
			const void *b, size_t blen)
{
	size_t len = REC_RECHDR_LEN + alen + blen;

	if (w->failed)
		return -1;
	if (len > RECORD_MAX) {
		snprintf(w->err, sizeof(w->err), "record of %zu bytes: too long", len);
		w->failed = true;
		return -1;
	}
	if (w->staged + len > STAGE_SIZE && write_staged(w))
		return -1;
	w->staged += frame_record(w->stage + w->staged, type, a, alen, b, blen);
	return 0;
}

static int write_text(struct rec_writer *w, enum rec_type type, const char *s)
{
	return write_record(w, type, s, strnlen(s, REC_TEXT_MAX - 1), NULL, 0);
}

static int write_header(struct rec_writer *w, const struct rec_header *h)
{
	__u8 fixed[REC_HEADER_LEN], val[4];

	/* the first bytes of the stage: nothing was staged before */
	memcpy(w->stage, REC_MAGIC, REC_MAGIC_LEN);
	put_u32(w->stage + REC_MAGIC_LEN, w->enc ? REC_FORMAT_VERSION : REC_FORMAT_PLAIN);
	w->staged = REC_PREFIX_LEN;
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
	libdeflate_free_compressor(w->gz);
	free(w->member);
	free(w);
}

/* A writer with nothing written. A .gz gets a compressor and compact
 * events (format 2), where it would otherwise compress five times the
 * bytes; a plain file takes events as they are, the cheaper to write
 * (docs/recording.md has both measured). NULL when out of memory. */
static struct rec_writer *writer_new(bool compressed)
{
	struct rec_writer *w = calloc(1, sizeof(*w));

	if (!w || !compressed)
		return w;
	w->gz = libdeflate_alloc_compressor(GZ_LEVEL);
	w->member_cap = w->gz ? libdeflate_gzip_compress_bound(w->gz, STAGE_SIZE) : 0;
	w->member = w->member_cap ? malloc(w->member_cap) : NULL;
	w->enc = ev_encoder_new();
	if (!w->enc || !w->member) {
		writer_free(w);
		return NULL;
	}
	return w;
}

struct rec_writer *rec_writer_open(const char *path, const struct rec_header *h,
				   char *err, size_t errlen)
{
	struct rec_writer *w = writer_new(rec_path_compressed(path));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->std_out = rec_path_is_std(path);
	w->fd = w->std_out ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
			   : outfile_create(path, "-w", err, errlen);
	if (w->fd < 0) {
		if (w->std_out)
			snprintf(err, errlen, "standard output: %s", strerror(errno));
		writer_free(w);
		return NULL;
	}
	if (write_header(w, h) || rec_writer_flush(w)) {
		snprintf(err, errlen, "%s: %s", w->std_out ? "standard output" : path, w->err);
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
	return write_staged(w);
}

/* A write failed: the file is cut back to the last whole batch, a
 * recording that replays whole up to there (and then says it stops early),
 * and what it holds is what the writer says it recorded. */
static void writer_cut_back(struct rec_writer *w)
{
	struct stat st;

	if (!w->std_out && fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode))
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
	put_u64(count, w->records);
	if (!write_record(w, REC_T_END, count, sizeof(count), NULL, 0))
		write_staged(w);
	if (w->failed)
		writer_cut_back(w);
	if (close(w->fd))
		writer_fail(w, strerror(errno));
	rc = w->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "%s", w->err);
	if (kept)
		*kept = w->events;
	writer_free(w);
	return rc;
}

bool rec_writer_reader_gone(const struct rec_writer *w)
{
	return w->reader_gone;
}

const char *rec_writer_error(const struct rec_writer *w)
{
	return w->err;
}

__u64 rec_writer_events(const struct rec_writer *w)
{
	return w->failed ? w->kept_events : w->events;
}
