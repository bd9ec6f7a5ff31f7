/* A file's bytes, gunzipped as they are read (byte_in.h). zlib's gzread()
 * throws away what it decoded into its buffer when it meets damage further
 * on: in a small file that is everything. Here inflate() writes into our own
 * buffer and what it wrote before the damage is handed out first. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "source/file/byte_in.h"

#define IN_SIZE (64u << 10)
#define OUT_SIZE (256u << 10)
_Static_assert(BYTE_IN_PEEK_MAX <= OUT_SIZE / 2, "a peek leaves room to refill");
#define GZIP_ONLY (16 + MAX_WBITS) /* inflateInit2: a gzip wrapper, no other */

struct byte_in {
	int fd;
	bool gzip;
	bool file_ended;                 /* read() said 0 */
	enum byte_in_status pending;     /* said once the buffer is handed out */
	z_stream z;
	__u64 plain_taken;               /* bytes read, when not gzip */
	__u64 members_in;                /* file bytes of the gzip members before this one */
	size_t out_pos, out_len;
	const volatile sig_atomic_t *stop_now; /* set: a read() a signal interrupts ends */
	char err[160];
	unsigned char in[IN_SIZE];
	unsigned char out[OUT_SIZE];
};

static enum byte_in_status stop(struct byte_in *b, enum byte_in_status st, const char *why)
{
	snprintf(b->err, sizeof(b->err), "%s", why ? why : "");
	b->pending = st;
	return st;
}

/* One read(): bytes into buf, 0 at the end, -1 with the reason said. */
static ssize_t read_some(struct byte_in *b, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(b->fd, buf, len);
	while (n < 0 && errno == EINTR && !(b->stop_now && *b->stop_now));
	if (n < 0)
		stop(b, BYTE_IN_IO, strerror(errno));
	if (n == 0)
		b->file_ended = true;
	return n;
}

/* At least two unread input bytes, when the file has them. */
static size_t input_ahead(struct byte_in *b)
{
	ssize_t n;

	if (b->z.avail_in >= 2 || b->file_ended)
		return b->z.avail_in;
	memmove(b->in, b->z.next_in, b->z.avail_in);
	b->z.next_in = b->in;
	while (b->z.avail_in < 2 && (n = read_some(b, b->in + b->z.avail_in,
						   IN_SIZE - b->z.avail_in)) > 0)
		b->z.avail_in += (uInt)n;
	return b->z.avail_in;
}

/* A gzip member ended: another member goes on with the stream (gzip and
 * zcat read them as one); anything else after it is said, not ignored. */
static void member_ended(struct byte_in *b)
{
	size_t ahead = input_ahead(b);

	if (b->pending != BYTE_IN_OK)
		return;
	if (ahead == 0) {
		stop(b, BYTE_IN_END, NULL);
		return;
	}
	if (ahead >= 2 && b->z.next_in[0] == 0x1f && b->z.next_in[1] == 0x8b) {
		b->members_in += b->z.total_in; /* inflateReset() zeroes total_in */
		if (inflateReset(&b->z) != Z_OK)
			stop(b, BYTE_IN_DAMAGED, "cannot start the next gzip member");
		return;
	}
	stop(b, BYTE_IN_TRAILING, "data after the end of the gzip stream");
}

/* More output: returns once some came or a status is pending. A read()
 * is not repeated once there is output, so a pipe is replayed as it comes. */
static void refill_gzip(struct byte_in *b)
{
	ssize_t n;
	int rc;

	b->z.next_out = b->out + b->out_len;
	b->z.avail_out = (uInt)(OUT_SIZE - b->out_len);
	while (b->pending == BYTE_IN_OK) {
		if (b->z.avail_in == 0) {
			if (b->z.avail_out < OUT_SIZE - b->out_len)
				break;
			n = b->file_ended ? 0 : read_some(b, b->in, IN_SIZE);
			if (n < 0)
				break;
			if (n == 0) {
				stop(b, BYTE_IN_CUT, "the gzip stream stops before its end");
				break;
			}
			b->z.next_in = b->in;
			b->z.avail_in = (uInt)n;
		}
		rc = inflate(&b->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			member_ended(b);
		else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT)
			stop(b, BYTE_IN_DAMAGED, b->z.msg ? b->z.msg : "not deflate data");
		else if (rc == Z_MEM_ERROR)
			stop(b, BYTE_IN_DAMAGED, "out of memory");
		if (b->z.avail_out == 0)
			break;
	}
	b->out_len = OUT_SIZE - b->z.avail_out;
}

static void refill_plain(struct byte_in *b)
{
	ssize_t n = read_some(b, b->out + b->out_len, OUT_SIZE - b->out_len);

	if (n > 0) {
		b->out_len += (size_t)n;
		b->plain_taken += (size_t)n;
	}
	if (n == 0)
		stop(b, BYTE_IN_END, NULL);
}

/* More bytes after those not yet handed out, which move to the front. */
static void refill(struct byte_in *b)
{
	memmove(b->out, b->out + b->out_pos, b->out_len - b->out_pos);
	b->out_len -= b->out_pos;
	b->out_pos = 0;
	if (b->gzip)
		refill_gzip(b);
	else
		refill_plain(b);
}

/* The first bytes decide: gzip's magic, or the bytes as they are. */
static bool sniff(struct byte_in *b)
{
	size_t have = 0;
	ssize_t n;

	while (have < 2 && (n = read_some(b, b->in + have, IN_SIZE - have)) > 0)
		have += (size_t)n;
	b->pending = BYTE_IN_OK; /* a read error is met again, and said, by the first read */
	b->gzip = have >= 2 && b->in[0] == 0x1f && b->in[1] == 0x8b;
	if (!b->gzip) {
		memcpy(b->out, b->in, have);
		b->out_len = have;
		b->plain_taken = have;
		return true;
	}
	b->z.next_in = b->in;
	b->z.avail_in = (uInt)have;
	return inflateInit2(&b->z, GZIP_ONLY) == Z_OK;
}

struct byte_in *byte_in_open(int fd)
{
	struct byte_in *b = calloc(1, sizeof(*b));

	if (!b) {
		close(fd);
		return NULL;
	}
	b->fd = fd;
	if (!sniff(b)) {
		close(fd);
		free(b);
		return NULL;
	}
	return b;
}

enum byte_in_status byte_in_read(struct byte_in *b, void *buf, size_t len, size_t *got)
{
	size_t n;

	*got = 0;
	while (*got < len) {
		if (b->out_pos == b->out_len) {
			if (b->pending != BYTE_IN_OK)
				return b->pending;
			refill(b);
			continue;
		}
		n = len - *got < b->out_len - b->out_pos ? len - *got : b->out_len - b->out_pos;
		memcpy((unsigned char *)buf + *got, b->out + b->out_pos, n);
		b->out_pos += n;
		*got += n;
	}
	return BYTE_IN_OK;
}

enum byte_in_status byte_in_peek(struct byte_in *b, size_t want, const __u8 **p, size_t *avail)
{
	if (want > BYTE_IN_PEEK_MAX)
		want = BYTE_IN_PEEK_MAX;
	while (b->out_len - b->out_pos < want && b->pending == BYTE_IN_OK)
		refill(b);
	*p = b->out + b->out_pos;
	*avail = b->out_len - b->out_pos;
	return *avail >= want ? BYTE_IN_OK : b->pending;
}

void byte_in_skip(struct byte_in *b, size_t n)
{
	b->out_pos += n < b->out_len - b->out_pos ? n : b->out_len - b->out_pos;
}

void byte_in_stop_on(struct byte_in *b, const volatile sig_atomic_t *flag)
{
	b->stop_now = flag;
}

bool byte_in_compressed(const struct byte_in *b)
{
	return b->gzip;
}

const char *byte_in_error(const struct byte_in *b)
{
	return b->err;
}

__u64 byte_in_file_offset(const struct byte_in *b)
{
	return b->gzip ? b->members_in + b->z.total_in : b->plain_taken - (b->out_len - b->out_pos);
}

void byte_in_close(struct byte_in *b)
{
	if (!b)
		return;
	if (b->gzip)
		inflateEnd(&b->z);
	close(b->fd);
	free(b);
}
