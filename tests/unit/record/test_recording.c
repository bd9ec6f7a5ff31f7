/* Recordings: round trip, the documented byte layout, and damaged files
 * (cut at every byte, wrong magic/version/ABI, impossible lengths, flipped
 * bits, garbage) that must end with a clear message and never a crash. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include "test.h"
#include "events.h"
#include "record/ev_encode.h"
#include "record/rec_write.h"
#include "source/file/rec_read.h"

#define NEV 12
#define EV_REC_LEN (4 + 120)   /* format 1: record header + struct syn_event */
#define END_LEN_V2 (1 + 4 + 8) /* format 2: 0, the framed end record */

static char tmpdir[] = "/tmp/synscope-test-recording.XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tmpdir, name);
	return path[i];
}

/* A connection's worth of events, like a real loopback trace. */
static void make_events(struct syn_event *ev)
{
	struct ep cli = { "127.0.0.1", 41000 }, srv = { "127.0.0.1", 8080 }, any = { "0.0.0.0", 0 };
	size_t n = 0;

	ev[n++] = ev_call(1000, 7, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_state(1010, 7, cli, srv, 7, 2);
	ev[n++] = ev_seg(1020, 7, cli, srv, SYN_DIR_TX, SYN_TCP_SYN, 100, 0, 0);
	ev[n++] = ev_seg(1030, 0, srv, cli, SYN_DIR_RX, SYN_TCP_SYN, 100, 0, 0);
	ev[n++] = ev_seg(1040, 9, srv, cli, SYN_DIR_TX, SYN_TCP_SYN | SYN_TCP_ACK, 500, 101, 0);
	ev[n++] = ev_state(1050, 7, cli, srv, 2, 1);
	ev[n++] = ev_call(1060, 7, cli, srv, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0);
	ev[n++] = ev_kind(SYN_EV_RESET, 1070, 7, cli, srv);
	ev[n - 1].rst.reason = 2;
	ev[n++] = ev_kind(SYN_EV_LOST, 1080, 0, any, any);
	ev[n - 1].lost.count = 42;
	ev[n - 1].family = 0;
	ev[n++] = ev_call(1090, 7, cli, srv, 300, "client", SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_kind(SYN_EV_DESTROY, 1100, 7, cli, srv);
	ev[n++] = ev_call(1110, 7, cli, srv, 300, "client", SYN_CALL_CLOSE, SYN_PHASE_RETURN, 3, 0);
}

static void make_header(struct rec_header *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->host, sizeof(h->host), "testhost");
	snprintf(h->kernel, sizeof(h->kernel), "6.18.0-test");
	h->wall_offset_ns = 1763900000123456789LL;
	h->start_ns = 1763900005000000000ULL;
	h->rst_names[2] = "NO_SOCKET";
	h->rst_names[255] = "LAST_ONE";
}

static bool write_recording(const char *path, int nev)
{
	struct syn_event ev[NEV];
	struct rec_header h;
	struct rec_writer *w;
	char err[256] = "";

	make_events(ev);
	make_header(&h);
	w = rec_writer_open(path, &h, err, sizeof(err));
	if (!CHECK(w != NULL)) {
		fprintf(stderr, "  %s\n", err);
		return false;
	}
	for (int i = 0; i < nev; i++)
		CHECK_EQ_INT(rec_writer_event(w, &ev[i % NEV]), 0);
	CHECK_EQ_INT(rec_writer_events(w), nev);
	return CHECK_EQ_INT(rec_writer_close(w, NULL, err, sizeof(err)), 0);
}

static size_t slurp(const char *path, unsigned char **buf)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, got;

	*buf = malloc(cap);
	if (!f)
		return 0;
	while ((got = fread(*buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			*buf = realloc(*buf, cap *= 2);
	}
	fclose(f);
	return n;
}

static void spill(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(buf, 1, len, f);
	fclose(f);
}

/* The uncompressed stream of a .gz file. */
static size_t gunzip(const char *path, unsigned char **buf)
{
	gzFile gz = gzopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	int got;

	*buf = malloc(cap);
	while ((got = gzread(gz, *buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)got;
		if (n == cap)
			*buf = realloc(*buf, cap *= 2);
	}
	gzclose(gz);
	return n;
}

/* deflate src into a gzip file, with a sync flush after the first `flush_at`
 * bytes (a block boundary on a byte: the next block's header starts at
 * *boundary in the file). */
static size_t gzip_with_boundary(const unsigned char *src, size_t len, size_t flush_at,
				 unsigned char **dst, size_t *boundary)
{
	z_stream z = { 0 };
	size_t cap = len + 4096;

	*dst = malloc(cap);
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_out = *dst;
	z.avail_out = (uInt)cap;
	z.next_in = (unsigned char *)src;
	z.avail_in = (uInt)flush_at;
	deflate(&z, Z_SYNC_FLUSH);
	*boundary = z.total_out;
	z.avail_in = (uInt)(len - flush_at);
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return z.total_out;
}

/* src as one gzip member at dst (room enough): its length. */
static size_t gzip_bytes(unsigned char *dst, const void *src, size_t len)
{
	unsigned char *gz;
	size_t boundary, n = gzip_with_boundary(src, len, 0, &gz, &boundary);

	memcpy(dst, gz, n);
	free(gz);
	return n;
}

static size_t first_event_offset(void)
{
	return 12 + (4 + 24) + (4 + 8) + (4 + 11) + (4 + 13) + (4 + 12) + 4;
}

/* The plain stream of a recording of nev events (make_events() over and
 * over): format 2 as the writer writes it inside a .gz, or format 1 as it
 * writes a plain file, checked against the format built by hand: the same
 * header records, each event as it lies in memory in a record of its own,
 * the end record. */
static size_t recording_stream(int format, int nev, unsigned char **raw)
{
	const char *path = tmp_path("stream.rec"), *gz_path = tmp_path("stream.rec.gz");
	struct syn_event ev[NEV];
	unsigned char *v1;
	size_t n, written;

	*raw = NULL;
	if (format == 2) /* what a .gz holds inside */
		return write_recording(gz_path, nev) ? gunzip(gz_path, raw) : 0;
	if (!write_recording(path, nev))
		return 0;
	written = slurp(path, raw);
	make_events(ev);
	n = first_event_offset();
	v1 = malloc(n + (size_t)nev * EV_REC_LEN + 12);
	memcpy(v1, *raw, n);
	v1[8] = 1;
	for (int i = 0; i < nev; i++) {
		memcpy(v1 + n, "\x10\x00\x78\x00", 4);
		memcpy(v1 + n + 4, &ev[i % NEV], 120);
		n += EV_REC_LEN;
	}
	memcpy(v1 + n, "\x11\x00\x08\x00", 4);
	for (int i = 0; i < 8; i++)
		v1[n + 4 + i] = (unsigned char)((__u64)nev >> (8 * i));
	n += 12;
	CHECK(written == n && memcmp(*raw, v1, n) == 0);
	free(*raw);
	*raw = v1;
	return n;
}

/* A plain stream into a file, gzip-compressed when gz. */
static void spill_stream(const char *path, const unsigned char *raw, size_t len, bool gz)
{
	unsigned char *z;
	size_t zlen, boundary;

	if (!gz) {
		spill(path, raw, len);
		return;
	}
	zlen = gzip_with_boundary(raw, len, 0, &z, &boundary);
	spill(path, z, zlen);
	free(z);
}

/* That stream in a file, gzip-compressed when gz. */
static bool write_stream(const char *path, int format, int nev, bool gz)
{
	unsigned char *raw;
	size_t len = recording_stream(format, nev, &raw);

	if (!raw)
		return false;
	spill_stream(path, raw, len, gz);
	free(raw);
	return true;
}

/* Where each event record of that stream ends. */
static void event_ends(int format, int nev, size_t *ends)
{
	struct ev_encoder *enc = ev_encoder_new();
	struct syn_event ev[NEV];
	size_t at = first_event_offset();
	__u8 rec[EV_ENCODED_MAX];

	make_events(ev);
	for (int i = 0; i < nev; i++) {
		at += format == 1 ? EV_REC_LEN : ev_encode(enc, &ev[i % NEV], rec);
		ends[i] = at;
	}
	ev_encoder_free(enc);
}

struct read_result {
	bool opened;
	int events;             /* delivered, each checked against the original */
	bool events_match;
	enum rec_status last;
	char err[256];
};

/* Read path whole: its events must be ev[0], ev[1], ... ev[NEV-1], ev[0] ...,
 * never more than max. */
static struct read_result read_upto(const char *path, int max)
{
	struct read_result r = { .events_match = true };
	struct syn_event ev[NEV], e;
	struct rec_header h;
	struct rec_reader *rd;

	make_events(ev);
	rd = rec_reader_open(path, &h, r.err, sizeof(r.err));
	if (!rd)
		return r;
	r.opened = true;
	while ((r.last = rec_reader_next(rd, &e)) == REC_EVENT) {
		if (r.events >= max || memcmp(&e, &ev[r.events % NEV], sizeof(e)))
			r.events_match = false;
		r.events++;
	}
	snprintf(r.err, sizeof(r.err), "%s", rec_reader_error(rd));
	/* the end, or the error, stays */
	if (rec_reader_next(rd, &e) != r.last)
		r.events_match = false;
	rec_reader_close(rd);
	rec_header_free_names(&h);
	return r;
}

static struct read_result read_all(const char *path)
{
	return read_upto(path, NEV);
}

static void test_round_trip(void)
{
	const char *path = tmp_path("round.gz");
	struct syn_event ev[NEV], e;
	struct rec_header h;
	struct rec_reader *r;
	char err[256];
	int n = 0;

	if (!write_recording(path, NEV))
		return;
	make_events(ev);
	r = rec_reader_open(path, &h, err, sizeof(err));
	if (!CHECK(r != NULL)) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ_INT(h.format_version, 2);
	CHECK_EQ_INT(h.abi_version, SYN_EV_ABI_VERSION);
	CHECK_EQ_INT(h.event_size, 120);
	CHECK_EQ_STR(h.host, "testhost");
	CHECK_EQ_STR(h.kernel, "6.18.0-test");
	CHECK(h.wall_offset_ns == 1763900000123456789LL);
	CHECK(h.start_ns == 1763900005000000000ULL);
	CHECK_EQ_STR(h.rst_names[2], "NO_SOCKET");
	CHECK_EQ_STR(h.rst_names[255], "LAST_ONE");
	CHECK(h.rst_names[0] == NULL && h.rst_names[1] == NULL && h.rst_names[3] == NULL);
	while (rec_reader_next(r, &e) == REC_EVENT) {
		if (n < NEV)
			CHECK(memcmp(&e, &ev[n], sizeof(e)) == 0);
		n++;
	}
	CHECK_EQ_INT(n, NEV);
	CHECK_EQ_INT(rec_reader_next(r, &e), REC_END);
	rec_reader_close(r);
	rec_header_free_names(&h);
}

/* A name without .gz gets the records uncompressed and the events as they
 * are (format 1, the cheapest to write); a .gz holds compact events
 * (format 2) inside. Both read back the same events. */
static void test_plain_unless_gz(void)
{
	const char *gz = tmp_path("same.gz"), *plain = tmp_path("same.rec");
	unsigned char *inside = NULL, *raw = NULL;
	size_t ninside, nraw;
	struct read_result r;

	CHECK(rec_path_compressed("a.gz") && !rec_path_compressed("a.rec") &&
	      !rec_path_compressed(".gz") && !rec_path_compressed("a.gz.rec"));
	if (!write_recording(gz, NEV) || !write_recording(plain, NEV))
		return;
	ninside = gunzip(gz, &inside);
	nraw = slurp(plain, &raw);
	CHECK(nraw > 12 && memcmp(raw, "SYNSCOPE", 8) == 0 && raw[8] == REC_FORMAT_PLAIN);
	CHECK(ninside > 12 && memcmp(inside, "SYNSCOPE", 8) == 0 && inside[8] == REC_FORMAT_VERSION);
	CHECK(ninside < nraw);
	CHECK_EQ_INT(nraw, first_event_offset() + NEV * EV_REC_LEN + 12);
	r = read_all(plain);
	CHECK(r.opened && r.events_match);
	CHECK_EQ_INT(r.events, NEV);
	r = read_all(gz);
	CHECK(r.opened && r.events_match);
	CHECK_EQ_INT(r.events, NEV);
	CHECK_EQ_INT(r.last, REC_END);
	free(inside);
	free(raw);
}

static void test_empty_recording(void)
{
	const char *path = tmp_path("empty.gz");
	struct read_result r;

	if (!write_recording(path, 0))
		return;
	r = read_all(path);
	CHECK(r.opened);
	CHECK_EQ_INT(r.events, 0);
	CHECK_EQ_INT(r.last, REC_END);
}

static void test_local_header(void)
{
	struct rec_header h;
	struct utsname u;

	rec_header_init_local(&h);
	uname(&u);
	CHECK_EQ_STR(h.host, u.nodename);
	CHECK_EQ_STR(h.kernel, u.release);
	CHECK_EQ_INT(h.abi_version, SYN_EV_ABI_VERSION);
	CHECK_EQ_INT(h.event_size, sizeof(struct syn_event));
	CHECK(h.start_ns > 1600000000ull * 1000000000ull); /* after 2020: a wall clock */
}

/* The layout docs/recording.md promises, byte by byte. */
static void test_layout(void)
{
	const char *path = tmp_path("layout.gz");
	/* The first event, connect() entry, against the event of zeros before
	 * it (1 back: head 02): time 1000, zigzag 2000, d0 0f; the words that
	 * are not zero: 1 (sock_id 7), 2 (netns 0xf0000000 at 16, pid 300 =
	 * 0x12c at 20), 3 (tid 300 at 24, kind 1 at 28, family 2 at 29), 8
	 * and 9 (comm "client" from 68), 11 (call 2 at 88, fd 3 at 92), 12
	 * (new_fd -1 at 100): mask bits 13, 12, 11, 6, 5, 3, 2 = 0x386c,
	 * varint ec 70; then each word's byte mask and bytes. */
	static const __u8 first[] = {
		0x02, 0xd0, 0x0f, 0xec, 0x70,
		0x01, 0x07,
		0x38, 0xf0, 0x2c, 0x01,
		0x33, 0x2c, 0x01, 0x01, 0x02,
		0xf0, 'c', 'l', 'i', 'e',
		0x03, 'n', 't',
		0x11, 0x02, 0x03,
		0xf0, 0xff, 0xff, 0xff, 0xff,
	};
	unsigned char *gz, *raw, *p;
	size_t gzlen, len, ends[NEV];

	if (!write_recording(path, NEV))
		return;
	gzlen = slurp(path, &gz);
	CHECK(gzlen > 18 && gz[0] == 0x1f && gz[1] == 0x8b); /* a gzip file */
	len = gunzip(path, &raw);
	p = raw;
	CHECK(memcmp(p, "SYNSCOPE", 8) == 0);
	CHECK(p[8] == 2 && p[9] == 0 && p[10] == 0 && p[11] == 0);
	p += 12;
	/* header record: type 1, 24 bytes: abi, event size, wall offset, start */
	CHECK(p[0] == 1 && p[1] == 0 && p[2] == 24 && p[3] == 0);
	CHECK(p[4] == SYN_EV_ABI_VERSION && p[8] == 120);
	CHECK(p[12] == (1763900000123456789ULL & 0xff));
	p += 4 + 24;
	/* host, kernel, the two reset reasons, header end */
	CHECK(p[0] == 2 && p[2] == 8 && memcmp(p + 4, "testhost", 8) == 0);
	p += 4 + 8;
	CHECK(p[0] == 3 && p[2] == 11 && memcmp(p + 4, "6.18.0-test", 11) == 0);
	p += 4 + 11;
	CHECK(p[0] == 4 && p[2] == 4 + 9 && p[4] == 2 && memcmp(p + 8, "NO_SOCKET", 9) == 0);
	p += 4 + 13;
	CHECK(p[0] == 4 && p[2] == 4 + 8 && p[4] == 255 && memcmp(p + 8, "LAST_ONE", 8) == 0);
	p += 4 + 12;
	CHECK(p[0] == 5 && p[2] == 0 && p[3] == 0);
	p += 4;
	/* the events, each a compact record, the first as worked out above */
	CHECK_EQ_INT(p - raw, first_event_offset());
	CHECK(memcmp(p, first, sizeof(first)) == 0);
	event_ends(2, NEV, ends);
	CHECK_EQ_INT(ends[0] - first_event_offset(), sizeof(first));
	/* then a 0 and the framed end record with their count */
	p = raw + ends[NEV - 1];
	CHECK(p[0] == 0 && p[1] == 17 && p[2] == 0 && p[3] == 8 && p[4] == 0);
	CHECK(p[5] == NEV && p[6] == 0 && p[12] == 0);
	CHECK_EQ_INT(ends[NEV - 1] + END_LEN_V2, len);
	free(gz);
	free(raw);
}

/* What reading a format 2 stream cut at byte c (inside the events or the
 * end record) must say: where a record starts, that the recording was not
 * finished; inside one, how much of it came. */
static void cut_message_v2(size_t c, int nev, const size_t *ends, char *want, size_t len)
{
	size_t start = first_event_offset();
	int rec = 7; /* six header records before the first event */
	int n = snprintf(want, len, "truncated at byte %zu ", c);

	for (int i = 0; i < nev && ends[i] <= c; i++, rec++)
		start = ends[i];
	n += snprintf(want + n, len - (size_t)n, "(record %d): ", rec);
	if (c == start)
		snprintf(want + n, len - (size_t)n, "no end record (the recording was not finished)");
	else if (rec - 7 < nev)
		snprintf(want + n, len - (size_t)n, "record cut short: an event record stops after "
			 "%zu bytes", c - start);
	else if (c - start < 5)
		snprintf(want + n, len - (size_t)n, "record header cut short: %zu of 5 bytes",
			 c - start);
	else
		snprintf(want + n, len - (size_t)n, "record cut short: %zu of 8 bytes", c - start - 5);
}

/* The uncompressed stream cut at every byte: exactly the whole events
 * before the cut come out, and the message names the byte. */
static void truncated_plain_every_byte(int format)
{
	const char *cut = tmp_path("plain-cut");
	unsigned char *raw;
	size_t len = recording_stream(format, NEV, &raw), first_event = first_event_offset();
	size_t ends[NEV];
	bool all_ok = true;

	if (!raw)
		return;
	event_ends(format, NEV, ends);
	for (size_t c = 0; c < len; c++) {
		struct read_result r;
		char want[160];
		int want_events = 0;

		while (want_events < NEV && ends[want_events] <= c)
			want_events++;
		spill(cut, raw, c);
		r = read_all(cut);
		snprintf(want, sizeof(want), "truncated at byte %zu ", c);
		all_ok &= CHECK(r.opened == (c >= first_event));
		all_ok &= CHECK_EQ_INT(r.events, want_events);
		all_ok &= CHECK(r.events_match);
		if (r.opened)
			all_ok &= CHECK_EQ_INT(r.last, REC_TRUNCATED);
		if (format == 2 && r.opened)
			cut_message_v2(c, NEV, ends, want, sizeof(want));
		all_ok &= format == 2 && r.opened ? CHECK_EQ_STR(r.err, want)
						  : CHECK_CONTAINS(r.err, want);
		/* a plain stream has no container to say it was cut */
		if (want_events > 0 && c == ends[want_events - 1] && want_events < NEV)
			all_ok &= CHECK_CONTAINS(r.err, "no end record (the recording was not finished)");
		if (!all_ok) {
			fprintf(stderr, "  format %d, at cut %zu of %zu\n", format, c, len);
			break;
		}
	}
	free(raw);
}

static void test_truncated_plain_every_byte(void)
{
	truncated_plain_every_byte(1);
	truncated_plain_every_byte(2);
}

/* The gzip file cut at every byte: no crash, never more than was written,
 * more of the file never gives fewer events, and it always says so. */
static void truncated_gzip_every_byte(int format)
{
	const char *path = tmp_path("cut.gz"), *cut = tmp_path("cut-part.gz");
	unsigned char *gz;
	size_t len;
	int prev = 0;
	bool all_ok = true;

	if (!write_stream(path, format, NEV, true))
		return;
	len = slurp(path, &gz);
	for (size_t c = 0; c < len; c++) {
		struct read_result r;

		spill(cut, gz, c);
		r = read_all(cut);
		all_ok &= CHECK(r.events_match);
		all_ok &= CHECK(r.events >= prev);
		all_ok &= CHECK(!r.opened || r.last == REC_TRUNCATED);
		all_ok &= CHECK_CONTAINS(r.err, "truncated at byte ");
		/* zlib knows the stream was cut: the message never blames the writer */
		all_ok &= CHECK(!strstr(r.err, "no end record"));
		prev = r.events;
		if (!all_ok) {
			fprintf(stderr, "  format %d, at cut %zu of %zu: %s\n", format, c, len, r.err);
			break;
		}
	}
	/* cut in the gzip trailer: every event was there */
	CHECK_EQ_INT(prev, NEV);
	free(gz);
}

static void test_truncated_gzip_every_byte(void)
{
	truncated_gzip_every_byte(1);
	truncated_gzip_every_byte(2);
}

/* Rewrite the plain stream (of format 1, whose records have one length)
 * with one change, read it back. */
static struct read_result read_patched(size_t at, const void *bytes, size_t n)
{
	const char *out = tmp_path("patched");
	unsigned char *raw;
	size_t len = recording_stream(1, NEV, &raw);
	struct read_result r = { 0 };

	if (!raw)
		return r;
	memcpy(raw + at, bytes, n);
	spill(out, raw, len);
	free(raw);
	return read_all(out);
}

static void test_bad_magic_version_abi(void)
{
	struct read_result r;
	__u8 v3[4] = { 3, 0, 0, 0 };

	r = read_patched(0, "SYNSCOPX", 8);
	CHECK(!r.opened);
	CHECK_EQ_STR(r.err, "not a synscope recording (neither gzip nor plain data starts with SYNSCOPE)");
	/* JSON Lines come where a recording was expected (-r -, or gzipped) */
	r = read_patched(0, "{\"v\":1,\"", 8);
	CHECK(!r.opened);
	CHECK_EQ_STR(r.err, "JSON Lines, not a recording: -r reads JSON Lines only from an "
		     "uncompressed file named on the command line (not standard input, not gzip)");
	r = read_patched(8, v3, 4);
	CHECK(!r.opened);
	CHECK_EQ_STR(r.err, "recording format version 3: this synscope reads versions 1 to 2");
	__u8 abi_next[4] = { SYN_EV_ABI_VERSION + 1, 0, 0, 0 };
	char want[128];

	r = read_patched(12 + 4, abi_next, 4);
	CHECK(!r.opened);
	snprintf(want, sizeof(want), "events of ABI version %d: this synscope reads versions %d to %d",
		 SYN_EV_ABI_VERSION + 1, REC_ABI_OLDEST, SYN_EV_ABI_VERSION);
	CHECK_EQ_STR(r.err, want);
	/* one before the oldest it reads */
	__u8 abi_old[4] = { REC_ABI_OLDEST - 1, 0, 0, 0 };

	r = read_patched(12 + 4, abi_old, 4);
	CHECK(!r.opened);
	snprintf(want, sizeof(want), "events of ABI version %d: this synscope reads versions %d to %d",
		 REC_ABI_OLDEST - 1, REC_ABI_OLDEST, SYN_EV_ABI_VERSION);
	CHECK_EQ_STR(r.err, want);
}

/* Version 3 recordings replay: a call's bytes that version 4 gave to
 * setsockopt's value were never written then, and read as none. */
static void test_abi3_calls_have_no_value(void)
{
	const char *out = tmp_path("abi3");
	size_t sys = first_event_offset() + 4 + 88; /* the first event's union */
	__u8 v3[4] = { 3, 0, 0, 0 }, junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char *raw;
	struct read_result r;
	size_t len = recording_stream(1, NEV, &raw); /* format 1: events where they lie */

	if (!raw)
		return;
	raw[sys + 3] = 4;                  /* vlen */
	memcpy(raw + sys + 24, junk, 8);   /* val[] */
	spill(out, raw, len);
	r = read_all(out);                 /* as version 4: the value is read */
	CHECK(r.opened && !r.events_match);
	memcpy(raw + 12 + 4, v3, 4);
	spill(out, raw, len);
	r = read_all(out);                 /* as version 3: no value */
	CHECK(r.opened);
	CHECK(r.events_match);
	CHECK_EQ_INT(r.events, NEV);
	free(raw);
}

static void test_impossible_lengths(void)
{
	size_t ev0 = first_event_offset();
	__u8 len119[2] = { 119, 0 }, len8[2] = { 8, 0 }, len300[2] = { 0x2c, 0x01 };
	__u8 len9[2] = { 9, 0 }, reason300[4] = { 0x2c, 0x01, 0, 0 }, big[2] = { 0xff, 0xff };
	struct read_result r;
	char want[128];

	/* the third event record claims 119 bytes */
	r = read_patched(ev0 + 2 * EV_REC_LEN + 2, len119, 2);
	CHECK(r.opened);
	CHECK_EQ_INT(r.events, 2);
	CHECK_EQ_INT(r.last, REC_BAD);
	snprintf(want, sizeof(want), "bad record at byte %zu (record 9): event record of 119 bytes "
		 "(the header says 120)", ev0 + 2 * EV_REC_LEN);
	CHECK_EQ_STR(r.err, want);
	/* the header record is too short to hold its fields */
	r = read_patched(12 + 2, len8, 2);
	CHECK(!r.opened);
	CHECK_CONTAINS(r.err, "(record 1): header record of 8 bytes (at least 24)");
	/* a host name longer than any: it reads into the following records */
	r = read_patched(12 + 28 + 2, len300, 2);
	CHECK(!r.opened);
	CHECK_CONTAINS(r.err, "(record 2): host name of 300 bytes (at most 255)");
	/* the event count in the end record is wrong */
	r = read_patched(ev0 + NEV * EV_REC_LEN + 4, len9, 1);
	CHECK_EQ_INT(r.events, NEV);
	CHECK_EQ_INT(r.last, REC_BAD);
	CHECK_CONTAINS(r.err, "the end record counts 9 events, 12 came before it");
	/* a reset reason value past the table */
	r = read_patched(12 + 28 + 12 + 15 + 4, reason300, 4);
	CHECK(!r.opened);
	CHECK_CONTAINS(r.err, "(record 4): reset reason 300 (at most 255)");
	/* a reset reason name that a JSON line could not hold as it is */
	r = read_patched(12 + 28 + 12 + 15 + 8, "NO\"SOCKET", 9);
	CHECK(!r.opened);
	CHECK_CONTAINS(r.err, "reset reason 2: its name is not an identifier");
	/* an event record longer than the file */
	r = read_patched(ev0 + 2, big, 2);
	CHECK_EQ_INT(r.events, 0);
	CHECK_EQ_INT(r.last, REC_TRUNCATED);
	CHECK_CONTAINS(r.err, "record cut short: ");
	CHECK_CONTAINS(r.err, " of 65535 bytes");
}

/* Times whose sum with the clock offset no sink could compute. */
static void test_impossible_times(void)
{
	size_t ev0 = first_event_offset();
	__u8 big[8] = { 0, 0, 0, 0, 0, 0, 0, 0x40 };  /* 2^62 */
	struct read_result r;

	r = read_patched(ev0 + EV_REC_LEN + 4, big, 8); /* the second event's ts_ns */
	CHECK_EQ_INT(r.events, 1);
	CHECK_EQ_INT(r.last, REC_BAD);
	CHECK_CONTAINS(r.err, "(record 8): event time 4611686018427387904 ns: impossible");
	r = read_patched(12 + 4 + 8, big, 8);           /* the header's wall offset */
	CHECK(!r.opened);
	CHECK_CONTAINS(r.err, "(record 1): clock offset of 4611686018427387904 ns: impossible");
}

static void test_records_out_of_place(void)
{
	size_t ev0 = first_event_offset();
	__u8 type_header[2] = { 1, 0 }, type_event[2] = { 16, 0 }, type_unknown[2] = { 99, 0 };
	struct read_result r;

	r = read_patched(ev0 + EV_REC_LEN, type_header, 2);
	CHECK_EQ_INT(r.events, 1);
	CHECK_EQ_INT(r.last, REC_BAD);
	CHECK_CONTAINS(r.err, "header record (type 1) among the events");
	/* the host record claims to be an event */
	r = read_patched(12 + 28, type_event, 2);
	CHECK(!r.opened);
	CHECK_CONTAINS(r.err, "an event record before the header ended");
	/* a kind of record this version does not know is skipped */
	r = read_patched(ev0 + EV_REC_LEN, type_unknown, 2);
	CHECK_EQ_INT(r.last, REC_BAD); /* ... but the end record counts it */
	CHECK_EQ_INT(r.events, NEV - 1);
	CHECK_CONTAINS(r.err, "the end record counts 12 events, 11 came before it");
}

static void test_data_after_end(void)
{
	const char *path = tmp_path("after.gz"), *out = tmp_path("after");
	unsigned char *raw;
	size_t len;
	struct read_result r;

	if (!write_recording(path, NEV))
		return;
	len = gunzip(path, &raw);
	raw = realloc(raw, len + 1);
	raw[len] = 'x';
	spill(out, raw, len + 1);
	free(raw);
	r = read_all(out);
	CHECK_EQ_INT(r.events, NEV);
	CHECK_EQ_INT(r.last, REC_BAD);
	CHECK_CONTAINS(r.err, "data after the end record");
}

/* One flipped bit anywhere after the gzip header: never a crash, and never
 * a whole recording with different events (the gzip CRC sees it). */
static void test_flipped_bits(void)
{
	const char *path = tmp_path("flip.gz"), *out = tmp_path("flipped.gz");
	unsigned char *gz;
	size_t len;
	int wrong = 0;

	if (!write_recording(path, NEV))
		return;
	len = slurp(path, &gz);
	for (size_t i = 10; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			struct read_result r;

			gz[i] ^= (unsigned char)(1 << bit);
			spill(out, gz, len);
			r = read_all(out);
			gz[i] ^= (unsigned char)(1 << bit);
			if (r.opened && r.last == REC_END && !(r.events == NEV && r.events_match))
				wrong++;
			if (r.opened && r.last != REC_END && !r.err[0])
				wrong++;
		}
	}
	CHECK_EQ_INT(wrong, 0);
	free(gz);
}

/* Format 2 without compression has no checksum: a flipped bit may go
 * unseen, but never crashes, and what stops reading is said. */
static void test_flipped_bits_plain(void)
{
	const char *out = tmp_path("flipped");
	unsigned char *raw;
	size_t len = recording_stream(2, NEV, &raw);
	int silent = 0;

	for (size_t i = first_event_offset(); raw && i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct read_result r;

			raw[i] ^= (unsigned char)(1 << bit);
			spill(out, raw, len);
			r = read_all(out);
			raw[i] ^= (unsigned char)(1 << bit);
			silent += r.opened && r.last != REC_END && !r.err[0];
			CHECK(r.opened);
		}
	}
	CHECK_EQ_INT(silent, 0);
	free(raw);
}

/* Records format 2 refuses or skips among its events, each said where it
 * starts: the stream with bytes put in at one place, or one changed. */
static struct read_result read_spliced(size_t at, const void *bytes, size_t n, bool insert)
{
	const char *out = tmp_path("spliced");
	unsigned char *raw, *b;
	size_t len = recording_stream(2, NEV, &raw);
	struct read_result r = { 0 };

	if (!raw)
		return r;
	b = malloc(len + n);
	memcpy(b, raw, at);
	memcpy(b + at, bytes, n);
	memcpy(b + at + n, raw + at + (insert ? 0 : n), len - at - (insert ? 0 : n));
	spill(out, b, len + (insert ? n : 0));
	free(raw);
	free(b);
	return read_all(out);
}

static void test_compact_records_out_of_place(void)
{
	size_t ev0 = first_event_offset(), ends[NEV];
	struct read_result r;
	char want[160];

	event_ends(2, NEV, ends);
	/* the first event's head says 0 back */
	r = read_spliced(ev0, "\x01", 1, false);
	CHECK_EQ_INT(r.events, 0);
	CHECK_EQ_INT(r.last, REC_BAD);
	CHECK_EQ_STR(r.err, "bad record at byte 104 (record 7): event record: a reference 0 events "
		     "back (1 to 1024)");
	/* an event as format 1 wrote it, before the end */
	r = read_spliced(ends[NEV - 1], "\x00\x10\x00\x00\x00", 5, true);
	CHECK_EQ_INT(r.events, NEV);
	CHECK_EQ_INT(r.last, REC_BAD);
	snprintf(want, sizeof(want), "bad record at byte %zu (record %d): an event record of format 1 "
		 "among format 2's", ends[NEV - 1], 7 + NEV);
	CHECK_EQ_STR(r.err, want);
	/* a header record */
	r = read_spliced(ev0, "\x00\x01\x00\x00\x00", 5, true);
	CHECK_EQ_INT(r.events, 0);
	CHECK_EQ_STR(r.err, "bad record at byte 104 (record 7): header record (type 1) among the "
		     "events");
	/* a record of a kind a later version may add is skipped whole */
	r = read_spliced(ends[2], "\x00\x63\x00\x02\x00\x00\x00", 7, true);
	CHECK_EQ_INT(r.events, NEV);
	CHECK(r.events_match);
	CHECK_EQ_INT(r.last, REC_END);
	/* the end record's count */
	r = read_spliced(ends[NEV - 1] + 5, "\x09", 1, false);
	CHECK_EQ_INT(r.events, NEV);
	CHECK_EQ_INT(r.last, REC_BAD);
	snprintf(want, sizeof(want), "bad record at byte %zu (record %d): the end record counts 9 "
		 "events, 12 came before it", ends[NEV - 1], 7 + NEV);
	CHECK_EQ_STR(r.err, want);
}

/* A format 2 event damaged (its head made a reference 0 events back) at
 * the first, second, a middle and the last event, plain and gzip: every
 * event before it comes, each as written, and the message names the byte
 * where the damaged record starts and its number. */
static void test_compact_damage_at_offsets(void)
{
	static const int at[] = { 0, 1, NEV / 2, NEV - 1 };
	const char *out = tmp_path("damaged.gz");
	size_t ends[NEV], len;
	unsigned char *raw;

	event_ends(2, NEV, ends);
	len = recording_stream(2, NEV, &raw);
	for (size_t i = 0; raw && i < sizeof(at) / sizeof(at[0]); i++) {
		size_t start = at[i] ? ends[at[i] - 1] : first_event_offset();
		unsigned char was = raw[start];
		char want[160];

		snprintf(want, sizeof(want), "bad record at byte %zu (record %d): event record: a "
			 "reference 0 events back (1 to 1024)", start, 7 + at[i]);
		raw[start] = 0x01;
		for (int gz = 0; gz <= 1; gz++) {
			struct read_result r;

			spill_stream(out, raw, len, gz);
			r = read_all(out);
			CHECK_EQ_INT(r.events, at[i]);
			CHECK(r.events_match);
			CHECK_EQ_INT(r.last, REC_BAD);
			if (!CHECK_EQ_STR(r.err, want))
				fprintf(stderr, "  damage at event %d, %s\n", at[i], gz ? "gzip" : "plain");
		}
		raw[start] = was;
	}
	free(raw);
}

#define MANY 3849 /* the small .gz of the report: one zlib buffer holds it all */

/* One damaged byte in the compressed data of a small recording: every event
 * before the damage comes, each as written, and the damage is said where it
 * is. The events before it are what the same bytes give uncompressed. */
static void test_damage_small_gzip(void)
{
	const char *path = tmp_path("small.gz"), *plain = tmp_path("small-cut"),
		   *out = tmp_path("small-damaged.gz");
	unsigned char *raw, *gz;
	size_t len, gzlen, boundary, half;
	struct read_result before, r;
	char want[64];

	if (!write_recording(path, MANY))
		return;
	len = gunzip(path, &raw);
	half = len / 2;
	spill(plain, raw, half);
	before = read_upto(plain, MANY);
	CHECK(before.events > MANY / 3 && before.events_match);
	gzlen = gzip_with_boundary(raw, len, half, &gz, &boundary);
	gz[boundary] = 0x06; /* the next block's type: 3, which deflate does not have */
	spill(out, gz, gzlen);
	r = read_upto(out, MANY);
	CHECK(r.opened);
	CHECK_EQ_INT(r.events, before.events);
	CHECK(r.events_match);
	CHECK_EQ_INT(r.last, REC_BAD);
	snprintf(want, sizeof(want), "damaged at byte %zu ", half);
	CHECK_CONTAINS(r.err, want);
	snprintf(want, sizeof(want), "invalid block type (found at byte %zu of the file)",
		 boundary + 1);
	CHECK_CONTAINS(r.err, want);
	free(raw);
	free(gz);
}

/* Bytes after the end of the gzip stream are said, after every event. */
static void test_trailing_garbage(void)
{
	const char *path = tmp_path("trail.gz"), *out = tmp_path("trailed.gz");
	unsigned char *gz;
	size_t len;
	struct read_result r;
	char want[96];

	if (!write_recording(path, NEV))
		return;
	len = slurp(path, &gz);
	gz = realloc(gz, len + 5);
	memcpy(gz + len, "junk\n", 5);
	spill(out, gz, len + 5);
	r = read_all(out);
	CHECK_EQ_INT(r.events, NEV);
	CHECK(r.events_match);
	CHECK_EQ_INT(r.last, REC_BAD);
	snprintf(want, sizeof(want), "data after the end of the gzip stream (at byte %zu of the file)",
		 len);
	CHECK_CONTAINS(r.err, want);
	/* a second gzip member goes on with the stream, as zcat reads it: here
	 * an empty one is nothing more, and one holding a byte is that byte */
	free(gz);
	len = slurp(path, &gz);
	gz = realloc(gz, 2 * len + 64);
	len += gzip_bytes(gz + len, "", 0);
	spill(out, gz, len);
	r = read_all(out);
	CHECK_EQ_INT(r.events, NEV);
	CHECK_EQ_INT(r.last, REC_END);
	len += gzip_bytes(gz + len, "x", 1);
	spill(out, gz, len);
	r = read_all(out);
	CHECK_EQ_INT(r.events, NEV);
	CHECK_EQ_INT(r.last, REC_BAD);
	CHECK_CONTAINS(r.err, "data after the end record");
	free(gz);
}

/* Random bytes, raw and inside a valid gzip container. */
static void test_garbage(void)
{
	const char *out = tmp_path("garbage"), *outgz = tmp_path("garbage.gz");
	unsigned char buf[2048];
	unsigned int seed = 12345;

	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(buf));
		struct read_result r;
		gzFile gz;

		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)rand_r(&seed);
		if (round % 3 == 0 && n >= 8)
			memcpy(buf, "SYNSCOPE\1\0\0\0", n >= 12 ? 12 : 8); /* get past the magic */
		spill(out, buf, n);
		r = read_all(out);
		CHECK(r.err[0] != '\0');
		CHECK(!r.opened || r.last != REC_END);
		gz = gzopen(outgz, "wb");
		gzwrite(gz, buf, (unsigned)n);
		gzclose(gz);
		r = read_all(outgz);
		CHECK(r.err[0] != '\0');
		CHECK(!r.opened || r.last != REC_END);
	}
	spill(out, "hello, world\n", 13);
	CHECK_EQ_STR(read_all(out).err, "not a synscope recording (neither gzip nor plain data "
		     "starts with SYNSCOPE)");
	spill(out, "", 0);
	CHECK_EQ_STR(read_all(out).err, "truncated at byte 0 (file header): the file is empty");
	CHECK_EQ_STR(read_all(tmp_path("does-not-exist")).err, "cannot open: No such file or directory");
}

/* ---- every limit the reader enforces: exactly at it, and one past ---- */

/* A recording's plain stream, built byte by byte as docs/recording.md lays
 * it out, so each field can sit exactly at a limit (the writer would never
 * write most of these). */
struct hand {
	unsigned char b[300000];
	size_t n;
	int events;
	unsigned format;
};

/* Format 2's events, as the writer codes them (test_compact checks it). */
static struct ev_encoder *hand_enc;

static void hand_bytes(struct hand *h, const void *p, size_t n)
{
	memcpy(h->b + h->n, p, n);
	h->n += n;
}

static void hand_le(struct hand *h, unsigned long long v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		h->b[h->n++] = (unsigned char)(v >> (8 * i));
}

static void hand_record(struct hand *h, unsigned type, const void *payload, size_t len)
{
	hand_le(h, type, 2);
	hand_le(h, len, 2);
	if (payload)
		hand_bytes(h, payload, len);
	else
		memset(h->b + h->n, 0, len), h->n += len;
}

/* Magic, format version, a header record of hdr_len bytes (24 is the
 * fixed part; more is zeros a later version may use). */
static void hand_start(struct hand *h, unsigned format, unsigned abi, unsigned evsize,
		       long long wall, size_t hdr_len)
{
	unsigned char hdr[64] = { 0 };

	h->n = 0;
	h->events = 0;
	h->format = format;
	ev_encoder_free(hand_enc);
	hand_enc = ev_encoder_new();
	hand_bytes(h, "SYNSCOPE", 8);
	hand_le(h, format, 4);
	for (int i = 0; i < 4; i++) {
		hdr[i] = (unsigned char)(abi >> (8 * i));
		hdr[4 + i] = (unsigned char)(evsize >> (8 * i));
	}
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (unsigned char)((unsigned long long)wall >> (8 * i));
	hand_record(h, 1, hdr, hdr_len);
}

/* A reason record: value, then a name of len bytes ('A', 'B', ...). */
static void hand_reason(struct hand *h, unsigned type, unsigned value, size_t name_len)
{
	unsigned char p[4 + 300];

	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(value >> (8 * i));
	for (size_t i = 0; i < name_len; i++)
		p[4 + i] = (unsigned char)('A' + i % 26);
	hand_record(h, type, p, 4 + name_len);
}

static void hand_text(struct hand *h, unsigned type, char c, size_t len)
{
	char t[300];

	memset(t, c, len);
	hand_record(h, type, t, len);
}

/* An event record of len bytes (format 1; format 2's are as long as they
 * are): a lost event at ts (the rest zeros). */
static void hand_lost(struct hand *h, unsigned long long ts, unsigned long long since, size_t len)
{
	struct syn_event e;
	unsigned char p[200] = { 0 };

	memset(&e, 0, sizeof(e));
	e.kind = SYN_EV_LOST;
	e.ts_ns = ts;
	e.lost.count = 1;
	e.lost.since_ns = since;
	memcpy(p, &e, sizeof(e));
	if (h->format == 2)
		h->n += ev_encode(hand_enc, &e, h->b + h->n);
	else
		hand_record(h, 16, p, len);
	h->events++;
}

static void hand_event(struct hand *h, unsigned long long ts, size_t len)
{
	hand_lost(h, ts, 0, len);
}

static void hand_end(struct hand *h, size_t len, unsigned long long count)
{
	unsigned char p[16] = { 0 };

	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(count >> (8 * i));
	if (h->format == 2)
		hand_le(h, 0, 1);
	hand_record(h, 17, p, len);
}

/* The usual header's end, one event at 1000 ns and the end record. */
static void hand_finish(struct hand *h)
{
	hand_record(h, 5, NULL, 0);
	hand_event(h, 1000, 120);
	hand_end(h, 8, (unsigned long long)h->events);
}

struct hand_read {
	bool opened;
	int events;
	enum rec_status last;
	char err[256];
	struct rec_header h;     /* its names freed; host, kernel, offset kept */
	bool name_at[2][REC_RST_REASONS]; /* which reason values got a name */
	size_t name_len[2][REC_RST_REASONS];
};

static struct hand_read hand_read(const struct hand *h)
{
	const char *path = tmp_path("hand.rec");
	struct hand_read r;
	struct rec_reader *rd;
	struct syn_event e;

	memset(&r, 0, sizeof(r));
	spill(path, h->b, h->n);
	rd = rec_reader_open(path, &r.h, r.err, sizeof(r.err));
	if (!rd)
		return r;
	r.opened = true;
	while ((r.last = rec_reader_next(rd, &e)) == REC_EVENT)
		r.events++;
	snprintf(r.err, sizeof(r.err), "%s", rec_reader_error(rd));
	for (int i = 0; i < REC_RST_REASONS; i++) {
		r.name_at[0][i] = r.h.rst_names[i] != NULL;
		r.name_at[1][i] = r.h.drop_names[i] != NULL;
		r.name_len[0][i] = r.h.rst_names[i] ? strlen(r.h.rst_names[i]) : 0;
		r.name_len[1][i] = r.h.drop_names[i] ? strlen(r.h.drop_names[i]) : 0;
	}
	rec_header_free_names(&r.h);
	rec_reader_close(rd);
	return r;
}

/* Read whole: opened, its one event, the end. */
static bool hand_ok(const struct hand_read *r)
{
	bool ok = CHECK(r->opened) && CHECK_EQ_INT(r->events, 1) && CHECK_EQ_INT(r->last, REC_END);

	if (!ok)
		fprintf(stderr, "  error: %s\n", r->err);
	return ok;
}

#define V SYN_EV_ABI_VERSION

/* Host name and kernel release: 255 bytes (REC_TEXT_MAX - 1, what the
 * header's arrays hold with their NUL) and 256. One byte more would be
 * written into the next field: nothing outside the struct for a sanitizer
 * to see, so only the refusal shows it. */
static void test_limit_text_length(void)
{
	struct hand h;
	struct hand_read r;

	for (unsigned type = 2; type <= 3; type++) {
		const char *what = type == 2 ? "host name" : "kernel release";
		char want[128];

		hand_start(&h, 1, V, 120, 0, 24);
		hand_text(&h, type, 'x', 255);
		hand_text(&h, type == 2 ? 3 : 2, 'y', 3); /* the other one, after */
		hand_finish(&h);
		r = hand_read(&h);
		if (hand_ok(&r)) {
			CHECK_EQ_INT(strlen(type == 2 ? r.h.host : r.h.kernel), 255);
			CHECK_EQ_STR(type == 2 ? r.h.kernel : r.h.host, "yyy");
		}
		hand_start(&h, 1, V, 120, 0, 24);
		hand_text(&h, type, 'x', 256);
		hand_finish(&h);
		r = hand_read(&h);
		CHECK(!r.opened);
		snprintf(want, sizeof(want), "bad record at byte 40 (record 2): %s of 256 bytes "
			 "(at most 255)", what);
		CHECK_EQ_STR(r.err, want);
	}
	/* empty is fine */
	hand_start(&h, 1, V, 120, 0, 24);
	hand_text(&h, 2, 'x', 0);
	hand_finish(&h);
	r = hand_read(&h);
	if (hand_ok(&r))
		CHECK_EQ_STR(r.h.host, "");
}

/* Printable ASCII: ' ' (0x20) and '~' (0x7e) pass; 0x1f and DEL (0x7f)
 * would reach the terminal: refused. */
static void test_limit_text_bytes(void)
{
	static const struct {
		char c;
		bool ok;
	} cases[] = { { ' ', true }, { '~', true }, { '\x1f', false }, { '\x7f', false } };
	struct hand h;
	struct hand_read r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hand_start(&h, 1, V, 120, 0, 24);
		hand_text(&h, 2, cases[i].c, 4);
		hand_finish(&h);
		r = hand_read(&h);
		if (cases[i].ok) {
			hand_ok(&r);
		} else {
			CHECK(!r.opened);
			CHECK_EQ_STR(r.err, "bad record at byte 40 (record 2): host name is not "
				     "printable text");
		}
	}
}

/* Reason records: value (4 bytes) and a name of 1 to 255 bytes, value
 * 0 to 255 (REC_RST_REASONS - 1); both tables, reset and drop. */
static void test_limit_reasons(void)
{
	struct hand h;
	struct hand_read r;

	for (unsigned type = 4; type <= 6; type += 2) {
		int t = type == 4 ? 0 : 1;
		const char *what = type == 4 ? "reset reason" : "drop reason";
		char want[160];

		/* the smallest and the largest: name of 1 at value 0, 255 at 255 */
		hand_start(&h, 1, V, 120, 0, 24);
		hand_reason(&h, type, 0, 1);
		hand_reason(&h, type, 255, 255);
		hand_finish(&h);
		r = hand_read(&h);
		if (hand_ok(&r)) {
			CHECK(r.name_at[t][0] && r.name_at[t][255] && !r.name_at[t][254]);
			CHECK_EQ_INT(r.name_len[t][0], 1);
			CHECK_EQ_INT(r.name_len[t][255], 255);
			CHECK(!r.name_at[!t][0] && !r.name_at[!t][255]); /* the other table: none */
		}
		/* no name: 4 bytes */
		hand_start(&h, 1, V, 120, 0, 24);
		hand_reason(&h, type, 3, 0);
		hand_finish(&h);
		r = hand_read(&h);
		CHECK(!r.opened);
		snprintf(want, sizeof(want), "bad record at byte 40 (record 2): %s record of 4 bytes "
			 "(5-259)", what);
		CHECK_EQ_STR(r.err, want);
		/* a name of 256 */
		hand_start(&h, 1, V, 120, 0, 24);
		hand_reason(&h, type, 3, 256);
		hand_finish(&h);
		r = hand_read(&h);
		CHECK(!r.opened);
		snprintf(want, sizeof(want), "bad record at byte 40 (record 2): %s record of 260 "
			 "bytes (5-259)", what);
		CHECK_EQ_STR(r.err, want);
		/* value 256: one past the table */
		hand_start(&h, 1, V, 120, 0, 24);
		hand_reason(&h, type, 256, 4);
		hand_finish(&h);
		r = hand_read(&h);
		CHECK(!r.opened);
		snprintf(want, sizeof(want), "bad record at byte 40 (record 2): %s 256 (at most 255)",
			 what);
		CHECK_EQ_STR(r.err, want);
	}
}

/* The header record: its 24 bytes are needed, more are a later version's
 * (skipped); events of exactly 120 bytes. */
static void test_limit_header_record(void)
{
	struct hand h;
	struct hand_read r;

	hand_start(&h, 1, V, 120, 0, 24);
	hand_finish(&h);
	r = hand_read(&h);
	hand_ok(&r);
	hand_start(&h, 1, V, 120, 0, 25);
	hand_finish(&h);
	r = hand_read(&h);
	hand_ok(&r);
	hand_start(&h, 1, V, 120, 0, 23);
	hand_finish(&h);
	r = hand_read(&h);
	CHECK(!r.opened);
	CHECK_EQ_STR(r.err, "bad record at byte 12 (record 1): header record of 23 bytes (at least 24)");
	hand_start(&h, 1, V, 121, 0, 24);
	hand_finish(&h);
	r = hand_read(&h);
	CHECK(!r.opened);
	CHECK_EQ_STR(r.err, "bad record at byte 12 (record 1): events of 121 bytes: ABI version 4 has 120");
	hand_start(&h, 1, V, 119, 0, 24);
	hand_finish(&h);
	r = hand_read(&h);
	CHECK(!r.opened);
	CHECK_EQ_STR(r.err, "bad record at byte 12 (record 1): events of 119 bytes: ABI version 4 has 120");
}

/* Versions: formats 1 and 2; event ABI 2 (the oldest) to 4. */
static void test_limit_versions(void)
{
	static const struct {
		unsigned format, abi;
		const char *err; /* NULL: read */
	} cases[] = {
		{ 1, 2, NULL },
		{ 1, 3, NULL },
		{ 1, 4, NULL },
		{ 2, 2, NULL },
		{ 2, 3, NULL },
		{ 2, 4, NULL },
		{ 1, 1, "events of ABI version 1: this synscope reads versions 2 to 4" },
		{ 1, 5, "events of ABI version 5: this synscope reads versions 2 to 4" },
		{ 2, 5, "events of ABI version 5: this synscope reads versions 2 to 4" },
		{ 0, 4, "recording format version 0: this synscope reads versions 1 to 2" },
		{ 3, 4, "recording format version 3: this synscope reads versions 1 to 2" },
	};
	struct hand h;
	struct hand_read r;

	CHECK_EQ_INT(SYN_EV_ABI_VERSION, 4); /* the messages below say so */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hand_start(&h, cases[i].format, cases[i].abi, 120, 0, 24);
		hand_finish(&h);
		r = hand_read(&h);
		if (!cases[i].err) {
			if (hand_ok(&r))
				CHECK_EQ_INT(r.h.abi_version, cases[i].abi);
		} else {
			CHECK(!r.opened);
			CHECK_EQ_STR(r.err, cases[i].err);
		}
	}
}

/* Event and end records: exactly 120 and 8 bytes; one less, one more
 * refused. The event record starts at byte 44 (12 + 28 + 4), the end record
 * after it at 168. */
static void test_limit_event_and_end_records(void)
{
	static const size_t ev_len[] = { 119, 121 }, end_len[] = { 7, 9 };
	struct hand h;
	struct hand_read r;
	char want[128];

	for (int i = 0; i < 2; i++) {
		hand_start(&h, 1, V, 120, 0, 24);
		hand_record(&h, 5, NULL, 0);
		hand_event(&h, 1000, ev_len[i]);
		hand_end(&h, 8, 1);
		r = hand_read(&h);
		CHECK(r.opened);
		CHECK_EQ_INT(r.events, 0);
		CHECK_EQ_INT(r.last, REC_BAD);
		snprintf(want, sizeof(want), "bad record at byte 44 (record 3): event record of %zu "
			 "bytes (the header says 120)", ev_len[i]);
		CHECK_EQ_STR(r.err, want);

		hand_start(&h, 1, V, 120, 0, 24);
		hand_record(&h, 5, NULL, 0);
		hand_event(&h, 1000, 120);
		hand_end(&h, end_len[i], 1);
		r = hand_read(&h);
		CHECK_EQ_INT(r.events, 1);
		CHECK_EQ_INT(r.last, REC_BAD);
		snprintf(want, sizeof(want), "bad record at byte 168 (record 4): end record of %zu "
			 "bytes (8)", end_len[i]);
		CHECK_EQ_STR(r.err, want);
	}
	/* the count: one event, the end record says 0 or 2 */
	for (unsigned long long count = 0; count <= 2; count += 2) {
		hand_start(&h, 1, V, 120, 0, 24);
		hand_record(&h, 5, NULL, 0);
		hand_event(&h, 1000, 120);
		hand_end(&h, 8, count);
		r = hand_read(&h);
		CHECK_EQ_INT(r.last, REC_BAD);
		snprintf(want, sizeof(want), "bad record at byte 168 (record 4): the end record counts "
			 "%llu events, 1 came before it", count);
		CHECK_EQ_STR(r.err, want);
	}
	/* a record of the largest length (65535: its length is a u16) of a
	 * kind this version does not know is skipped whole */
	hand_start(&h, 1, V, 120, 0, 24);
	hand_record(&h, 5, NULL, 0);
	hand_record(&h, 99, NULL, 65535);
	hand_event(&h, 1000, 120);
	hand_end(&h, 8, 1);
	r = hand_read(&h);
	hand_ok(&r);
}

/* Times: an event's and the clock offset stay below 2^62 (REC_TIME_MAX),
 * the offset above -2^62, so that their sum cannot overflow. */
/* A recording of one lost event, at ts, lost since since, read back. */
static struct hand_read one_lost_event(struct hand *h, unsigned format, unsigned long long ts,
				       unsigned long long since)
{
	hand_start(h, format, V, 120, 0, 24);
	hand_record(h, 5, NULL, 0);
	hand_lost(h, ts, since, 120);
	hand_end(h, 8, 1);
	return hand_read(h);
}

/* That event refused, for why, where it starts (byte 44, record 3). */
static void refused_first_event(const struct hand_read *r, const char *why)
{
	char want[160];

	snprintf(want, sizeof(want), "bad record at byte 44 (record 3): %s", why);
	CHECK_EQ_INT(r->events, 0);
	CHECK_EQ_INT(r->last, REC_BAD);
	CHECK_EQ_STR(r->err, want);
}

/* A lost event's since_ns is a time as well: below 2^62, in both formats
 * (jsonl prints it with the wall offset added). */
static void test_limit_lost_since(void)
{
	const unsigned long long max = 1ull << 62;
	struct hand h;
	struct hand_read r;

	for (unsigned format = 1; format <= 2; format++) {
		r = one_lost_event(&h, format, 1000, max - 1);
		hand_ok(&r);
		r = one_lost_event(&h, format, 1000, max);
		refused_first_event(&r, "lost events since 4611686018427387904 ns: impossible");
	}
}

static void test_limit_times(void)
{
	const unsigned long long max = 1ull << 62;
	struct hand h;
	struct hand_read r;
	char want[160];

	/* in both formats: format 2's times are differences, summed mod 2^64 */
	for (unsigned format = 1; format <= 2; format++) {
		r = one_lost_event(&h, format, max - 1, 0);
		hand_ok(&r);
		r = one_lost_event(&h, format, max, 0);
		refused_first_event(&r, "event time 4611686018427387904 ns: impossible");
	}
	/* format 2: a time past 2^64 wraps round, to a time far beyond 2^62 */
	hand_start(&h, 2, V, 120, 0, 24);
	hand_record(&h, 5, NULL, 0);
	hand_event(&h, 1000, 120);
	hand_bytes(&h, "\x02\xd1\x0f\x00", 4); /* zigzag(-1001) = 2001, d1 0f: 1000 - 1001 ns */
	hand_end(&h, 8, 2);
	r = hand_read(&h);
	CHECK_EQ_INT(r.events, 1);
	CHECK_EQ_STR(r.err, "bad record at byte 53 (record 4): event time 18446744073709551615 ns: "
		     "impossible");

	for (int sign = 1; sign >= -1; sign -= 2) {
		long long inside = sign * (long long)(max - 1), outside = sign * (long long)max;

		hand_start(&h, 1, V, 120, inside, 24);
		hand_finish(&h);
		r = hand_read(&h);
		if (hand_ok(&r))
			CHECK(r.h.wall_offset_ns == inside);
		hand_start(&h, 1, V, 120, outside, 24);
		hand_finish(&h);
		r = hand_read(&h);
		CHECK(!r.opened);
		snprintf(want, sizeof(want), "bad record at byte 12 (record 1): clock offset of %lld "
			 "ns: impossible", outside);
		CHECK_EQ_STR(r.err, want);
	}
}

/* Recordings of ABI version 2: the bytes version 3 gave a meaning were
 * padding there, and padding can hold anything (a ring buffer record is not
 * cleared): none of it may be read as version 3's fields. */
static void test_abi2_padding_is_not_read(void)
{
	static const __u8 kinds[] = { SYN_EV_SEGMENT, SYN_EV_RETRANSMIT, SYN_EV_LOST };
	const char *path = tmp_path("abi2.rec");
	struct hand h;
	struct rec_header hd;
	struct rec_reader *rd;
	struct syn_event e, got[3];
	char err[256];
	int n = 0;

	hand_start(&h, 1, 2, 120, 0, 24);
	hand_record(&h, 5, NULL, 0);
	for (int i = 0; i < 3; i++) {
		memset(&e, 0xa5, sizeof(e)); /* garbage everywhere ... */
		e.kind = kinds[i];
		e.ts_ns = 1000 + (__u64)i;
		e.family = AF_INET;
		hand_record(&h, 16, &e, sizeof(e));
	}
	hand_end(&h, 8, 3);
	spill(path, h.b, h.n);
	rd = rec_reader_open(path, &hd, err, sizeof(err));
	if (!CHECK(rd != NULL)) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	while (n < 3 && rec_reader_next(rd, &got[n]) == REC_EVENT)
		n++;
	rec_reader_close(rd);
	rec_header_free_names(&hd);
	if (!CHECK_EQ_INT(n, 3))
		return;
	/* ... but what version 3 added reads as zero (SYN_SK_UNKNOWN) */
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(got[i].sk_kind, SYN_SK_UNKNOWN);
	CHECK_EQ_INT(got[0].seg.fo_cookie_len, 0);
	CHECK_EQ_INT(got[1].rtx.ca_state, 0);
	CHECK_EQ_INT(got[1].rtx.timer, 0);
	CHECK_EQ_INT(got[1].rtx.retransmits, 0);
	CHECK_EQ_INT(got[2].lost.since_ns, 0);
	/* and what version 2 had is kept as it was */
	CHECK_EQ_INT(got[0].seg.seq, 0xa5a5a5a5u);
	CHECK_EQ_INT(got[1].rtx.seq, 0xa5a5a5a5u);
	CHECK(got[2].lost.count == 0xa5a5a5a5a5a5a5a5ull);
}

#undef V

static void test_write_errors(void)
{
	struct rec_header h;
	char err[256] = "";

	struct rlimit old, small;
	char want[512];
	const char *path = tmp_path("no/such/dir.gz");

	make_header(&h);
	CHECK(rec_writer_open(path, &h, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "cannot write %s: No such file or directory", path);
	CHECK_EQ_STR(err, want);
	/* only regular files, never through a symbolic link */
	CHECK(rec_writer_open("/dev/full", &h, err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "not writing /dev/full: a character device (-w writes regular files only)");
	path = tmp_path("link.gz");
	if (CHECK(symlink(tmp_path("elsewhere.gz"), path) == 0)) {
		CHECK(rec_writer_open(path, &h, err, sizeof(err)) == NULL);
		snprintf(want, sizeof(want), "not writing %s: it is a symbolic link (-w never follows "
			 "one)", path);
		CHECK_EQ_STR(err, want);
		CHECK(access(tmp_path("elsewhere.gz"), F_OK) != 0);
	}
	/* the disk is full (a file size limit plays the full disk) */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 16;
	path = tmp_path("full.gz");
	if (CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0)) {
		CHECK(rec_writer_open(path, &h, err, sizeof(err)) == NULL);
		setrlimit(RLIMIT_FSIZE, &old);
		CHECK(strstr(err, "File too large") != NULL);
		CHECK(strncmp(err, path, strlen(path)) == 0);
	}
}

/* ---- how the writer writes: batches, gzip members, flushes, failures ---- */

/* The gzip members of a .gz file, each whole (its CRC and length checked):
 * how many, or -1 when the file is not whole members. Where each of the
 * first `max` starts, in the file and in the stream, into at and out_at
 * (when not NULL). */
static int gzip_member_starts(const char *path, size_t *at, size_t *out_at, int max)
{
	unsigned char *gz, out[1 << 16];
	size_t len = slurp(path, &gz), out_total = 0;
	z_stream z = { 0 };
	int members = 0, rc = Z_OK;

	inflateInit2(&z, 16 + MAX_WBITS);
	z.next_in = gz;
	z.avail_in = (uInt)len;
	while (z.avail_in > 0 && (rc == Z_OK || rc == Z_STREAM_END)) {
		if (at && members < max && z.total_in == 0) {
			at[members] = len - z.avail_in;
			out_at[members] = out_total;
		}
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			members++;
			out_total += z.total_out;
			inflateReset(&z);
		}
	}
	inflateEnd(&z);
	free(gz);
	return rc == Z_STREAM_END ? members : -1;
}

static int gzip_members(const char *path)
{
	return gzip_member_starts(path, NULL, NULL, 0);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* n more of make_events() over and over, after the `from` before them. */
static bool write_events(struct rec_writer *w, int from, int n)
{
	struct syn_event ev[NEV];
	bool ok = true;

	make_events(ev);
	for (int i = from; i < from + n; i++)
		ok &= rec_writer_event(w, &ev[i % NEV]) == 0;
	return ok;
}

static struct rec_writer *open_writer(const char *path)
{
	struct rec_header h;
	char err[256] = "";
	struct rec_writer *w;

	make_header(&h);
	w = rec_writer_open(path, &h, err, sizeof(err));
	if (!CHECK(w != NULL))
		fprintf(stderr, "  %s\n", err);
	return w;
}

/* Read so far (no end record yet): exactly the n events written. */
static bool reads_unfinished(const char *path, int n)
{
	struct read_result r = read_upto(path, n);

	return CHECK(r.opened) && CHECK_EQ_INT(r.events, n) && CHECK(r.events_match) &&
	       CHECK_EQ_INT(r.last, REC_TRUNCATED) &&
	       CHECK_CONTAINS(r.err, "no end record (the recording was not finished)");
}

/* Read whole: exactly the n events written, then the end record. */
static bool reads_whole(const char *path, int n)
{
	struct read_result r = read_upto(path, n);

	return CHECK(r.opened) && CHECK_EQ_INT(r.events, n) && CHECK(r.events_match) &&
	       CHECK_EQ_INT(r.last, REC_END);
}

#define MEMBERS_EVENTS 120000 /* several batches of compact events */

/* A .gz is gzip members, one a batch: the stage filled (128 KiB of compact
 * events) several times here. zlib reads them as one stream, and so does
 * our reader; level 1 still compresses (each member on its own). */
static void test_gz_members(void)
{
	const char *path = tmp_path("members.gz");
	unsigned char *inside;
	size_t ninside;

	if (!write_recording(path, MEMBERS_EVENTS))
		return;
	CHECK(gzip_members(path) >= 4);
	ninside = gunzip(path, &inside);
	CHECK(ninside > 3 * (128 << 10));
	CHECK(file_size(path) < (off_t)ninside / 4);
	reads_whole(path, MEMBERS_EVENTS);
	free(inside);
}

/* A damaged byte in a later member of the writer's .gz (its first block
 * made a type deflate does not have): every event of the members before it
 * comes, and the message names where in the stream and in the file, counted
 * over the members before. */
static void test_gz_damage_in_later_member(void)
{
	const char *path = tmp_path("members-damaged.gz"), *out = tmp_path("members-damaged2.gz"),
		   *plain = tmp_path("members-cut");
	size_t at[3], out_at[3], len;
	unsigned char *gz, *raw;
	struct read_result before, r;
	char want[96];

	if (!write_recording(path, MEMBERS_EVENTS) ||
	    !CHECK(gzip_member_starts(path, at, out_at, 3) >= 4))
		return;
	gunzip(path, &raw);
	spill(plain, raw, out_at[2]);
	before = read_upto(plain, MEMBERS_EVENTS);
	CHECK(before.events > 1000 && before.events_match);
	len = slurp(path, &gz);
	gz[at[2] + 10] |= 0x06; /* after the 10 bytes of gzip header: block type 3 */
	spill(out, gz, len);
	r = read_upto(out, MEMBERS_EVENTS);
	CHECK(r.opened && r.events_match);
	CHECK_EQ_INT(r.events, before.events);
	CHECK_EQ_INT(r.last, REC_BAD);
	snprintf(want, sizeof(want), "damaged at byte %zu ", out_at[2]);
	CHECK_CONTAINS(r.err, want);
	snprintf(want, sizeof(want), "invalid block type (found at byte %zu of the file)", at[2] + 11);
	CHECK_CONTAINS(r.err, want);
	free(raw);
	free(gz);
}

/* After each flush the file is a recording of everything so far: whole
 * gzip members (gzip -t would pass), every event, then no end record yet.
 * A flush with nothing new writes nothing (no empty member a second). */
static void flush_leaves_readable(const char *path, bool gz)
{
	struct rec_writer *w = open_writer(path);
	char err[256] = "";
	off_t size;

	if (!w)
		return;
	CHECK(!gz || gzip_members(path) == 1); /* the header, flushed by open */
	reads_unfinished(path, 0);
	for (int k = 1; k <= 3; k++) {
		CHECK(write_events(w, (k - 1) * 1000, 1000));
		CHECK_EQ_INT(rec_writer_flush(w), 0);
		CHECK(!gz || gzip_members(path) == 1 + k);
		if (!reads_unfinished(path, k * 1000))
			fprintf(stderr, "  %s, after flush %d\n", path, k);
		size = file_size(path);
		CHECK_EQ_INT(rec_writer_flush(w), 0);
		CHECK_EQ_INT(file_size(path), size);
	}
	CHECK_EQ_INT(rec_writer_close(w, NULL, err, sizeof(err)), 0);
	reads_whole(path, 3000);
}

static void test_flush_leaves_readable(void)
{
	flush_leaves_readable(tmp_path("flushed.rec"), false);
	flush_leaves_readable(tmp_path("flushed.rec.gz"), true);
}

/* A writer of path with `before` events flushed, then the disk full (a
 * file size limit plays it) `room` bytes further on. *size: the file's
 * size at the flush; old: the limit to put back. NULL when a step failed. */
static struct rec_writer *writer_nearly_full(const char *path, int before, off_t room,
					     off_t *size, struct rlimit *old)
{
	struct rec_writer *w = open_writer(path);
	struct rlimit small;
	char err[256];

	if (!w)
		return NULL;
	CHECK(write_events(w, 0, before));
	CHECK_EQ_INT(rec_writer_flush(w), 0);
	*size = file_size(path);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, old);
	small = *old;
	small.rlim_cur = (rlim_t)(*size + room);
	if (!CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0)) {
		rec_writer_close(w, NULL, err, sizeof(err));
		return NULL;
	}
	return w;
}

/* A write fails with 10 bytes of its batch in the file: the file is cut
 * back to the last flush (whole gzip members), the error said once, and the
 * events counted are those the file keeps. */
static void write_failure_cuts_back(const char *path, bool gz)
{
	struct rlimit old;
	char err[256] = "";
	__u64 kept = 0;
	off_t size;
	struct rec_writer *w = writer_nearly_full(path, 1000, 10, &size, &old);

	if (!w)
		return;
	write_events(w, 1000, 1000); /* plain: a batch fills, and fails */
	CHECK_EQ_INT(rec_writer_flush(w), -1);
	CHECK_EQ_STR(rec_writer_error(w), "cannot write: File too large");
	CHECK(!rec_writer_reader_gone(w));
	CHECK_EQ_INT(rec_writer_events(w), 1000);
	CHECK_EQ_INT(rec_writer_close(w, &kept, err, sizeof(err)), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_EQ_STR(err, "cannot write: File too large");
	CHECK_EQ_INT(kept, 1000);
	CHECK_EQ_INT(file_size(path), size);
	CHECK(!gz || gzip_members(path) == 2);
	reads_unfinished(path, 1000);
}

/* Between flushes too, every batch written whole is kept: a plain file's
 * first 128 KiB of event records (124 bytes each) fit, the next batch
 * does not. */
static void test_write_failure_keeps_whole_batches(void)
{
	const char *path = tmp_path("batches.rec");
	struct rlimit old;
	char err[256] = "";
	__u64 kept = 0;
	off_t size;
	struct rec_writer *w = writer_nearly_full(path, 0, 200000, &size, &old);

	if (!w)
		return;
	CHECK(!write_events(w, 0, 3000));
	CHECK_EQ_INT(rec_writer_close(w, &kept, err, sizeof(err)), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(kept > 1000 && kept < 1100);
	CHECK_EQ_INT(file_size(path), size + (off_t)kept * EV_REC_LEN);
	reads_unfinished(path, (int)kept);
}

static void test_write_failure_cuts_back(void)
{
	write_failure_cuts_back(tmp_path("full-later.rec"), false);
	write_failure_cuts_back(tmp_path("full-later.rec.gz"), true);
}

/* fd in the place of standard input or output (target), as a shell puts
 * a file or a pipe there, until fd_put_back: -w - and -r - use the real
 * descriptors. Returns what was there. */
static int fd_in_place(int target, int fd)
{
	int saved = dup(target);

	fflush(stdout);
	dup2(fd, target);
	close(fd);
	return saved;
}

static void fd_put_back(int target, int saved)
{
	fflush(stdout);
	dup2(saved, target);
	close(saved);
}

/* -w - writes the recording -w FILE would into whatever standard output
 * is; -r - reads one from standard input. */
static void test_dash_is_standard_output_and_input(void)
{
	const char *path = tmp_path("dash.rec"), *named = tmp_path("named.rec");
	struct read_result r;
	unsigned char *a, *b;
	size_t na, nb;
	int saved = fd_in_place(STDOUT_FILENO, open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	bool written = write_recording("-", 30);

	fd_put_back(STDOUT_FILENO, saved);
	CHECK(written);
	CHECK(write_recording(named, 30));
	na = slurp(path, &a);
	nb = slurp(named, &b);
	CHECK(na > 0 && na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	saved = fd_in_place(STDIN_FILENO, open(path, O_RDONLY));
	r = read_upto("-", 30);
	fd_put_back(STDIN_FILENO, saved);
	CHECK(r.opened && r.events_match);
	CHECK_EQ_INT(r.events, 30);
	CHECK_EQ_INT(r.last, REC_END);
}

/* The shell opened standard output: a failed write leaves what reached it
 * (a pipe cannot be cut back; a file may hold what came before). */
static void test_dash_is_never_cut_back(void)
{
	const char *path = tmp_path("dash-full.rec");
	int saved = fd_in_place(STDOUT_FILENO, open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	struct rec_writer *w = open_writer("-");
	struct rlimit old, small;
	char err[256] = "";
	off_t size;

	if (w) {
		write_events(w, 0, 1000);
		rec_writer_flush(w);
		size = file_size(path);
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		small = old;
		small.rlim_cur = (rlim_t)(size + 10);
		setrlimit(RLIMIT_FSIZE, &small);
		write_events(w, 1000, 1000);
		CHECK_EQ_INT(rec_writer_flush(w), -1);
		CHECK(!rec_writer_reader_gone(w)); /* a full disk is an error */
		CHECK_EQ_INT(rec_writer_close(w, NULL, err, sizeof(err)), -1);
		setrlimit(RLIMIT_FSIZE, &old);
		CHECK_EQ_INT(file_size(path), size + 10);
	}
	fd_put_back(STDOUT_FILENO, saved);
}

/* The reader of -w - went away (| head): said apart from a real error, so
 * the run can end quietly. */
static void test_dash_reader_gone(void)
{
	struct rec_writer *w;
	char err[256] = "";
	int p[2], saved;

	if (!CHECK(pipe(p) == 0))
		return;
	signal(SIGPIPE, SIG_IGN);
	saved = fd_in_place(STDOUT_FILENO, p[1]);
	w = open_writer("-");
	close(p[0]);
	if (w) {
		CHECK(!rec_writer_reader_gone(w));
		write_events(w, 0, 2000);
		CHECK_EQ_INT(rec_writer_flush(w), -1);
		CHECK(rec_writer_reader_gone(w));
		CHECK_EQ_STR(rec_writer_error(w), "cannot write: Broken pipe");
		CHECK_EQ_INT(rec_writer_close(w, NULL, err, sizeof(err)), -1);
	}
	fd_put_back(STDOUT_FILENO, saved);
	signal(SIGPIPE, SIG_DFL);
}

/* A header longer than a batch (every reason value named, each name as
 * long as it may be): written over several batches, read back whole. */
static void test_header_over_batches(void)
{
	static char names[2][REC_RST_REASONS][REC_TEXT_MAX];
	const char *paths[] = { tmp_path("long-header.rec"), tmp_path("long-header.rec.gz") };
	struct rec_header h, got;
	struct rec_reader *rd;
	char err[256] = "";

	make_header(&h);
	for (int t = 0; t < 2; t++) {
		for (int v = 0; v < REC_RST_REASONS; v++) {
			memset(names[t][v], 'A' + (v + t) % 26, REC_TEXT_MAX - 1);
			(t ? h.drop_names : h.rst_names)[v] = names[t][v];
		}
	}
	for (int i = 0; i < 2; i++) {
		struct rec_writer *w = rec_writer_open(paths[i], &h, err, sizeof(err));

		if (!CHECK(w != NULL) || !CHECK_EQ_INT(rec_writer_close(w, NULL, err, sizeof(err)), 0))
			continue;
		CHECK(file_size(paths[i]) > (i ? 0 : 128 << 10));
		CHECK(!i || gzip_members(paths[i]) >= 3);
		rd = rec_reader_open(paths[i], &got, err, sizeof(err));
		if (!CHECK(rd != NULL)) {
			fprintf(stderr, "  %s\n", err);
			continue;
		}
		for (int v = 0; v < REC_RST_REASONS; v++) {
			CHECK_EQ_STR(got.rst_names[v], names[0][v]);
			CHECK_EQ_STR(got.drop_names[v], names[1][v]);
		}
		rec_reader_close(rd);
		rec_header_free_names(&got);
	}
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_round_trip);
	RUN(test_dash_is_standard_output_and_input);
	RUN(test_dash_is_never_cut_back);
	RUN(test_dash_reader_gone);
	RUN(test_plain_unless_gz);
	RUN(test_empty_recording);
	RUN(test_local_header);
	RUN(test_layout);
	RUN(test_truncated_plain_every_byte);
	RUN(test_truncated_gzip_every_byte);
	RUN(test_bad_magic_version_abi);
	RUN(test_abi3_calls_have_no_value);
	RUN(test_impossible_lengths);
	RUN(test_impossible_times);
	RUN(test_records_out_of_place);
	RUN(test_data_after_end);
	RUN(test_flipped_bits);
	RUN(test_flipped_bits_plain);
	RUN(test_compact_records_out_of_place);
	RUN(test_compact_damage_at_offsets);
	RUN(test_damage_small_gzip);
	RUN(test_trailing_garbage);
	RUN(test_garbage);
	RUN(test_limit_text_length);
	RUN(test_limit_text_bytes);
	RUN(test_limit_reasons);
	RUN(test_limit_header_record);
	RUN(test_limit_versions);
	RUN(test_limit_event_and_end_records);
	RUN(test_limit_times);
	RUN(test_limit_lost_since);
	RUN(test_abi2_padding_is_not_read);
	RUN(test_write_errors);
	RUN(test_gz_members);
	RUN(test_gz_damage_in_later_member);
	RUN(test_flush_leaves_readable);
	RUN(test_write_failure_cuts_back);
	RUN(test_write_failure_keeps_whole_batches);
	RUN(test_header_over_batches);
	ev_encoder_free(hand_enc);
	if (!tests_failed) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd))
			fprintf(stderr, "  cannot remove %s\n", tmpdir);
	}
	return TEST_SUMMARY();
}
