/*
 * Recording files (docs/recording.md): a gzip stream holding the magic
 * "SYNSCOPE", a format version, then records of [type u16][length u16]
 * [payload]. The header records say where and when the trace was made and
 * how to name what the kernel reported; then come the events, each a raw
 * struct syn_event; an end record with the event count closes the file.
 *
 * The reader trusts nothing: every length is checked before it is used, and
 * any problem ends reading with one line naming the byte offset (in the
 * uncompressed stream, as `zcat FILE | head -c N` counts) and the record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "source/file/byte_in.h"
#include "source/file/ev_decode.h"
#include "source/file/rec_format.h"


static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

void rec_header_init_local(struct rec_header *h)
{
	struct utsname u;
	struct timespec ts;

	memset(h, 0, sizeof(*h));
	h->format_version = REC_FORMAT_VERSION;
	h->abi_version = SYN_EV_ABI_VERSION;
	h->event_size = sizeof(struct syn_event);
	if (uname(&u) == 0) {
		copy_text(h->host, sizeof(h->host), u.nodename);
		copy_text(h->kernel, sizeof(h->kernel), u.release);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h->start_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

void rec_header_free_names(struct rec_header *h)
{
	for (int i = 0; i < REC_RST_REASONS; i++) {
		free(h->rst_names[i]);
		free(h->drop_names[i]);
		h->rst_names[i] = h->drop_names[i] = NULL;
	}
}

/* ---- reader ------------------------------------------------------------ */

struct rec_reader {
	struct byte_in *in;
	struct ev_decoder *dec; /* format 2's events */
	__u32 format;
	__u64 offset;       /* uncompressed bytes consumed */
	__u64 record;       /* number of the record being read, from 1; 0: file header */
	__u64 record_start; /* its offset */
	__u64 events;
	__u32 event_size;
	__u32 abi_version;
	enum rec_status status; /* REC_EVENT while reading; sticky after */
	__u8 buf[65535];    /* one record's payload: its length is a u16 */
	char err[256];
};

/* Stop reading: "LEAD at byte N (record M): detail", or just the detail
 * when lead is NULL (a file that is not what it claims: no place to name). */
static enum rec_status reader_stop(struct rec_reader *r, enum rec_status st, const char *lead,
				   const char *fmt, ...)
{
	/* a bad record is named where it starts; anything else where reading stopped */
	__u64 at = lead && !strcmp(lead, "bad record") ? r->record_start : r->offset;
	va_list ap;
	int n = 0;

	if (lead && r->record)
		n = snprintf(r->err, sizeof(r->err), "%s at byte %llu (record %llu): ", lead,
			     (unsigned long long)at, (unsigned long long)r->record);
	else if (lead)
		n = snprintf(r->err, sizeof(r->err), "%s at byte %llu (file header): ", lead,
			     (unsigned long long)at);
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	r->status = st;
	return st;
}

/* What the byte stream said: REC_EVENT when it goes on; a read error or
 * damaged compressed data stops reading here; an end (or a cut gzip
 * stream) is left to the caller, which knows what was cut short. */
static enum rec_status stream_status(struct rec_reader *r, enum byte_in_status st)
{
	unsigned long long at = (unsigned long long)byte_in_file_offset(r->in);

	switch (st) {
	case BYTE_IN_OK:
		return REC_EVENT;
	case BYTE_IN_IO:
		return reader_stop(r, REC_BAD, "cannot read", "%s", byte_in_error(r->in));
	case BYTE_IN_DAMAGED:
		return reader_stop(r, REC_BAD, "damaged", "compressed data: %s (found at byte %llu "
				   "of the file)", byte_in_error(r->in), at);
	case BYTE_IN_TRAILING:
		return reader_stop(r, REC_BAD, "damaged", "%s (at byte %llu of the file)",
				   byte_in_error(r->in), at);
	case BYTE_IN_CUT:
		r->status = REC_TRUNCATED; /* provisional: the caller says what was cut */
		return REC_TRUNCATED;
	case BYTE_IN_END:
	default:
		r->status = REC_END; /* provisional */
		return REC_TRUNCATED;
	}
}

/* Read up to len bytes; *got says how many came. REC_EVENT when all did;
 * a read error or damaged compressed data stops reading here; a short read
 * is left to the caller, which knows what was cut short. */
static enum rec_status read_bytes(struct rec_reader *r, void *buf, size_t len, size_t *got)
{
	enum byte_in_status st = byte_in_read(r->in, buf, len, got);

	r->offset += *got;
	return stream_status(r, st);
}

/* Did the gzip stream stop before its own end (rather than cleanly)? */
static bool gzip_cut(const struct rec_reader *r)
{
	return r->status == REC_TRUNCATED;
}

/* The data stops where a record would start. */
static enum rec_status stops_between_records(struct rec_reader *r)
{
	return reader_stop(r, REC_TRUNCATED, "truncated", gzip_cut(r)
			   ? "the compressed data stops before the end record"
			   : "no end record (the recording was not finished)");
}

/* A framed record's header and payload (lead: its bytes already taken, the
 * 0 before it among format 2's events): its type and length, its payload
 * in r->buf. */
static enum rec_status read_framed(struct rec_reader *r, size_t lead, __u16 *type, size_t *len)
{
	__u8 hdr[REC_RECHDR_LEN];
	size_t got;

	if (read_bytes(r, hdr, sizeof(hdr), &got) != REC_EVENT) {
		if (r->status == REC_BAD)
			return REC_BAD;
		if (got || lead)
			return reader_stop(r, REC_TRUNCATED, "truncated",
					   "record header cut short: %zu of %zu bytes", lead + got,
					   lead + REC_RECHDR_LEN);
		return stops_between_records(r);
	}
	*type = get_u16(hdr);
	*len = get_u16(hdr + 2);
	if (read_bytes(r, r->buf, *len, &got) != REC_EVENT) {
		if (r->status == REC_BAD)
			return REC_BAD;
		return reader_stop(r, REC_TRUNCATED, "truncated",
				   "record cut short: %zu of %zu bytes", got, *len);
	}
	return REC_EVENT;
}

/* The next record: its type and length, its payload in r->buf. */
static enum rec_status read_record(struct rec_reader *r, __u16 *type, size_t *len)
{
	r->record++;
	r->record_start = r->offset;
	return read_framed(r, 0, type, len);
}

/* Format 1's next record, as read_record() gives it; an event's copied into e. */
static enum rec_status read_plain(struct rec_reader *r, struct syn_event *e, __u16 *type,
				  size_t *len)
{
	if (read_record(r, type, len) != REC_EVENT)
		return r->status;
	if (*type != REC_T_EVENT)
		return REC_EVENT;
	if (*len != r->event_size)
		return reader_stop(r, REC_BAD, "bad record", "event record of %zu bytes (the header "
				   "says %u)", *len, r->event_size);
	memcpy(e, r->buf, sizeof(*e));
	return REC_EVENT;
}

/* Format 2's next record: an event, decoded into e (*type REC_T_EVENT), or
 * a framed one as read_record() gives it. */
static enum rec_status read_compact(struct rec_reader *r, struct syn_event *e, __u16 *type,
				    size_t *len)
{
	enum byte_in_status st;
	const __u8 *p;
	size_t avail, used;
	char why[160];

	r->record++;
	r->record_start = r->offset;
	st = byte_in_peek(r->in, ev_decoder_record_max(r->dec), &p, &avail);
	if (!avail)
		return stream_status(r, st) == REC_BAD ? REC_BAD : stops_between_records(r);
	if (!p[0]) {
		byte_in_skip(r->in, 1);
		r->offset++;
		if (read_framed(r, 1, type, len) != REC_EVENT)
			return r->status;
		if (*type == REC_T_EVENT)
			return reader_stop(r, REC_BAD, "bad record", "an event record of format 1 "
					   "among format 2's");
		return REC_EVENT;
	}
	switch (ev_decode(r->dec, p, avail, e, &used, why, sizeof(why))) {
	case EV_DECODED:
		byte_in_skip(r->in, used);
		r->offset += used;
		*type = REC_T_EVENT;
		return REC_EVENT;
	case EV_CUT:
		if (st == BYTE_IN_OK)
			return reader_stop(r, REC_BAD, "bad record", "an event record of more "
					   "than %zu bytes", avail);
		byte_in_skip(r->in, avail);
		r->offset += avail;
		if (stream_status(r, st) == REC_BAD)
			return REC_BAD;
		return reader_stop(r, REC_TRUNCATED, "truncated", "record cut short: an event "
				   "record stops after %zu bytes", avail);
	case EV_BAD:
	default:
		return reader_stop(r, REC_BAD, "bad record", "event record: %s", why);
	}
}

/* Text the sinks may print: printable ASCII; a name: an identifier. */
static bool text_ok(const __u8 *s, size_t len, bool ident)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
		if (ident && !(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
			       (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	}
	return true;
}

static enum rec_status take_text(struct rec_reader *r, char *dst, size_t len, const char *what)
{
	if (len > REC_TEXT_MAX - 1)
		return reader_stop(r, REC_BAD, "bad record", "%s of %zu bytes (at most %d)", what,
				   len, REC_TEXT_MAX - 1);
	if (!text_ok(r->buf, len, false))
		return reader_stop(r, REC_BAD, "bad record", "%s is not printable text", what);
	memcpy(dst, r->buf, len);
	dst[len] = '\0';
	return REC_EVENT;
}

static enum rec_status take_fixed_header(struct rec_reader *r, struct rec_header *h,
					 __u16 type, size_t len)
{
	if (type != REC_T_HEADER)
		return reader_stop(r, REC_BAD, "bad record", "type %u where the header record belongs",
				   type);
	if (len < REC_HEADER_LEN)
		return reader_stop(r, REC_BAD, "bad record", "header record of %zu bytes (at least %d)",
				   len, REC_HEADER_LEN);
	h->abi_version = get_u32(r->buf);
	h->event_size = get_u32(r->buf + 4);
	h->wall_offset_ns = (__s64)get_u64(r->buf + 8);
	h->start_ns = get_u64(r->buf + 16);
	if (h->abi_version > SYN_EV_ABI_VERSION || h->abi_version < REC_ABI_OLDEST)
		return reader_stop(r, REC_BAD, NULL, "events of ABI version %u: this synscope reads "
				   "versions %d to %d", h->abi_version, REC_ABI_OLDEST,
				   SYN_EV_ABI_VERSION);
	if (h->event_size != sizeof(struct syn_event))
		return reader_stop(r, REC_BAD, "bad record", "events of %u bytes: ABI version %d has %zu",
				   h->event_size, SYN_EV_ABI_VERSION, sizeof(struct syn_event));
	if (h->wall_offset_ns >= (__s64)REC_TIME_MAX || h->wall_offset_ns <= -(__s64)REC_TIME_MAX)
		return reader_stop(r, REC_BAD, "bad record", "clock offset of %lld ns: impossible",
				   (long long)h->wall_offset_ns);
	r->event_size = h->event_size;
	r->abi_version = h->abi_version;
	if (r->format == 2 && !(r->dec = ev_decoder_new(h->event_size)))
		return reader_stop(r, REC_BAD, NULL, "out of memory");
	return REC_EVENT;
}

/* One record between the header record and the header's end. */
static enum rec_status take_header_record(struct rec_reader *r, struct rec_header *h,
					  __u16 type, size_t len)
{
	__u32 value;

	switch (type) {
	case REC_T_HOST:
		return take_text(r, h->host, len, "host name");
	case REC_T_KERNEL:
		return take_text(r, h->kernel, len, "kernel release");
	case REC_T_RST_REASON:
	case REC_T_DROP_REASON: {
		const char *what = type == REC_T_RST_REASON ? "reset reason" : "drop reason";
		char **names = type == REC_T_RST_REASON ? h->rst_names : h->drop_names;

		if (len < 5 || len > 4 + REC_TEXT_MAX - 1)
			return reader_stop(r, REC_BAD, "bad record", "%s record of %zu bytes (5-%d)",
					   what, len, 4 + REC_TEXT_MAX - 1);
		value = get_u32(r->buf);
		if (value >= REC_RST_REASONS)
			return reader_stop(r, REC_BAD, "bad record", "%s %u (at most %d)", what,
					   value, REC_RST_REASONS - 1);
		if (!text_ok(r->buf + 4, len - 4, true))
			return reader_stop(r, REC_BAD, "bad record", "%s %u: its name is not an "
					   "identifier", what, value);
		free(names[value]);
		names[value] = strndup((const char *)r->buf + 4, len - 4);
		if (!names[value])
			return reader_stop(r, REC_BAD, NULL, "out of memory");
		return REC_EVENT;
	}
	case REC_T_HEADER:
		return reader_stop(r, REC_BAD, "bad record", "a second header record");
	case REC_T_EVENT:
	case REC_T_END:
		return reader_stop(r, REC_BAD, "bad record", "%s record before the header ended",
				   type == REC_T_EVENT ? "an event" : "the end");
	default:
		return REC_EVENT; /* a later version's header record: skip it */
	}
}

static bool is_prefix(const __u8 *p, size_t n, const char *of, size_t oflen)
{
	return n <= oflen && memcmp(p, of, n) == 0;
}

/* Magic and format version. */
static enum rec_status read_prefix(struct rec_reader *r, struct rec_header *h)
{
	__u8 p[REC_PREFIX_LEN] = { 0 };
	size_t got;

	if (read_bytes(r, p, sizeof(p), &got) != REC_EVENT) {
		if (r->status == REC_BAD)
			return REC_BAD;
		/* a gzip header cut short reads as raw bytes: say truncated too */
		if (!got || is_prefix(p, got, REC_MAGIC, REC_MAGIC_LEN) ||
		    (!byte_in_compressed(r->in) && is_prefix(p, got, "\x1f\x8b", 2)))
			return reader_stop(r, REC_TRUNCATED, "truncated", got || gzip_cut(r)
					   ? "the file header is cut short"
					   : "the file is empty");
	}
	if (p[0] == '{') /* JSON Lines: read whole, from a plain file (replay.c) */
		return reader_stop(r, REC_BAD, NULL, "JSON Lines, not a recording: -r reads "
				   "JSON Lines only from an uncompressed file named on the command "
				   "line (not standard input, not gzip)");
	if (memcmp(p, REC_MAGIC, REC_MAGIC_LEN))
		return reader_stop(r, REC_BAD, NULL, "not a synscope recording (neither gzip "
				   "nor plain data starts with SYNSCOPE)");
	h->format_version = get_u32(p + REC_MAGIC_LEN);
	if (got < sizeof(p))
		return reader_stop(r, REC_TRUNCATED, "truncated", "the file header is cut short");
	if (h->format_version < REC_FORMAT_OLDEST || h->format_version > REC_FORMAT_VERSION)
		return reader_stop(r, REC_BAD, NULL, "recording format version %u: this synscope "
				   "reads versions %d to %d", h->format_version, REC_FORMAT_OLDEST,
				   REC_FORMAT_VERSION);
	r->format = h->format_version;
	return REC_EVENT;
}

static enum rec_status read_header(struct rec_reader *r, struct rec_header *h)
{
	enum rec_status st = read_prefix(r, h);
	__u16 type;
	size_t len;

	if (st != REC_EVENT)
		return st;
	st = read_record(r, &type, &len);
	if (st == REC_EVENT)
		st = take_fixed_header(r, h, type, len);
	while (st == REC_EVENT) {
		st = read_record(r, &type, &len);
		if (st != REC_EVENT)
			break;
		if (type == REC_T_HEADER_END)
			return REC_EVENT;
		st = take_header_record(r, h, type, len);
	}
	return st;
}

struct rec_reader *rec_reader_fdopen(int fd, struct rec_header *h, char *err, size_t errlen)
{
	struct rec_reader *r = calloc(1, sizeof(*r));

	memset(h, 0, sizeof(*h));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	r->status = REC_EVENT;
	r->in = byte_in_open(fd);
	if (!r->in) {
		snprintf(err, errlen, "out of memory");
		free(r);
		return NULL;
	}
	if (read_header(r, h) != REC_EVENT) {
		snprintf(err, errlen, "%s", r->err);
		rec_header_free_names(h);
		rec_reader_close(r);
		return NULL;
	}
	return r;
}

void rec_reader_stop_on(struct rec_reader *r, const volatile sig_atomic_t *flag)
{
	byte_in_stop_on(r->in, flag);
}

struct rec_reader *rec_reader_open(const char *path, struct rec_header *h,
				   char *err, size_t errlen)
{
	int fd = rec_path_is_std(path) ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
				       : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		memset(h, 0, sizeof(*h));
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return NULL;
	}
	return rec_reader_fdopen(fd, h, err, errlen);
}

/* After the end record: nothing may follow, and the gzip stream must close. */
static enum rec_status check_after_end(struct rec_reader *r)
{
	__u8 extra;
	size_t got;

	r->record++;
	r->record_start = r->offset;
	if (read_bytes(r, &extra, 1, &got) == REC_EVENT)
		return reader_stop(r, REC_BAD, "bad record", "data after the end record");
	if (r->status == REC_BAD)
		return REC_BAD;
	if (gzip_cut(r))
		return reader_stop(r, REC_TRUNCATED, "truncated", "the compressed data stops before "
				   "its checksum (every record was read)");
	r->status = REC_END;
	return REC_END;
}

/* Version 3 had the same size and layout; the bytes version 4 gave a call
 * (setsockopt's value) were padding or past the end of its member: not
 * to be read as values. */
static void event_from_v3(struct syn_event *e)
{
	if (e->kind == SYN_EV_SYSCALL) {
		e->sys.vlen = 0;
		e->sys.val[0] = e->sys.val[1] = 0;
	}
}

/* Version 2 had the same size and layout; the bytes version 3 gave a
 * meaning were padding, an unused interface index, or past the end of a
 * smaller member: none of them may be read as version 3's fields. */
static void event_from_v2(struct syn_event *e)
{
	e->sk_kind = SYN_SK_UNKNOWN;
	if (e->kind == SYN_EV_SEGMENT)
		memset(&e->seg.fo_cookie_len, 0, 4);
	if (e->kind == SYN_EV_RETRANSMIT) {
		e->rtx.ca_state = 0;
		memset(&e->rtx.timer, 0, 4);
	}
	if (e->kind == SYN_EV_LOST)
		e->lost.since_ns = 0;
}

enum rec_status rec_reader_next(struct rec_reader *r, struct syn_event *e)
{
	enum rec_status st;
	__u16 type;
	size_t len;

	while (r->status == REC_EVENT) {
		st = r->dec ? read_compact(r, e, &type, &len) : read_plain(r, e, &type, &len);
		if (st != REC_EVENT)
			return st;
		switch (type) {
		case REC_T_EVENT:
			if (r->abi_version == 2)
				event_from_v2(e);
			if (r->abi_version <= 3)
				event_from_v3(e);
			if (e->ts_ns >= REC_TIME_MAX)
				return reader_stop(r, REC_BAD, "bad record", "event time %llu ns: "
						   "impossible", (unsigned long long)e->ts_ns);
			/* a time too, which the sinks print with the wall offset added */
			if (e->kind == SYN_EV_LOST && e->lost.since_ns >= REC_TIME_MAX)
				return reader_stop(r, REC_BAD, "bad record", "lost events since %llu "
						   "ns: impossible", (unsigned long long)e->lost.since_ns);
			r->events++;
			return REC_EVENT;
		case REC_T_END:
			if (len != 8)
				return reader_stop(r, REC_BAD, "bad record", "end record of %zu bytes (8)",
						   len);
			if (get_u64(r->buf) != r->events)
				return reader_stop(r, REC_BAD, "bad record", "the end record counts %llu "
						   "events, %llu came before it",
						   (unsigned long long)get_u64(r->buf),
						   (unsigned long long)r->events);
			return check_after_end(r);
		case REC_T_HEADER:
		case REC_T_HOST:
		case REC_T_KERNEL:
		case REC_T_RST_REASON:
		case REC_T_DROP_REASON:
		case REC_T_HEADER_END:
			return reader_stop(r, REC_BAD, "bad record", "header record (type %u) among "
					   "the events", type);
		default:
			break; /* a later version's record kind: skip it */
		}
	}
	return r->status;
}

const char *rec_reader_error(const struct rec_reader *r)
{
	return r->err;
}

void rec_reader_close(struct rec_reader *r)
{
	if (!r)
		return;
	byte_in_close(r->in);
	ev_decoder_free(r->dec);
	free(r);
}
