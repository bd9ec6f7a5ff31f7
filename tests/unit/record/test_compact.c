/* Format 2's compact events (docs/recording.md): small encodings worked out
 * by hand byte by byte, every check the decoder makes with its message,
 * and round trips of real and random event streams through the encoder
 * (record/ev_encode.c) and the decoder (source/file/ev_decode.c). */
#define _GNU_SOURCE
#include <stdlib.h>
#include "test.h"
#include "recdata.h"
#include "record/ev_encode.h"
#include "source/file/ev_decode.h"

#define ES 120

/* An event of zeros but for its kind, time and socket. */
static struct syn_event bare(__u8 kind, __u64 ts, __u64 sock_id)
{
	struct syn_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.ts_ns = ts;
	e.sock_id = sock_id;
	return e;
}

/* Encode ev[0..n) with a fresh encoder: every record must be what want
 * says (NULL: not checked), then decode them back with a fresh decoder. */
static bool encode_decode(const struct syn_event *ev, size_t n, const __u8 *const want[],
			  const size_t want_len[])
{
	struct ev_encoder *enc = ev_encoder_new();
	struct ev_decoder *dec = ev_decoder_new(ES);
	bool ok = CHECK(enc && dec);

	for (size_t i = 0; ok && i < n; i++) {
		__u8 rec[EV_ENCODED_MAX];
		size_t len = ev_encode(enc, &ev[i], rec), used = 0;
		struct syn_event back;
		char why[128] = "";

		if (want && want[i]) {
			ok &= CHECK_EQ_INT(len, want_len[i]);
			ok &= CHECK(len == want_len[i] && memcmp(rec, want[i], len) == 0);
		}
		ok &= CHECK(len <= EV_ENCODED_MAX && len <= ev_decoder_record_max(dec));
		ok &= CHECK_EQ_INT(ev_decode(dec, rec, len, &back, &used, why, sizeof(why)),
				   EV_DECODED);
		ok &= CHECK_EQ_INT(used, len);
		ok &= CHECK(memcmp(&back, &ev[i], ES) == 0);
		if (!ok)
			fprintf(stderr, "  at event %zu: %s\n", i, why);
	}
	ev_encoder_free(enc);
	ev_decoder_free(dec);
	return ok;
}

/* Three lost events, worked out by hand. Offsets in struct syn_event:
 * kind at byte 28 (word 3, byte 4), lost.count at 88 (word 11, byte 0). */
static void test_hand_lost_events(void)
{
	struct syn_event ev[3] = { bare(SYN_EV_LOST, 1000, 0), bare(SYN_EV_LOST, 1500, 0),
				   bare(SYN_EV_LOST, 1400, 0) };
	/* the first against the event of zeros before it (1 back: head 1 << 1);
	 * time: zigzag(1000) = 2000 = 0x7d0, varint d0 0f; words 3 and 11
	 * differ: mask bits 14-3 and 14-11 = 0x808, varint 88 10; word 3:
	 * byte mask 0x10 (byte 4), 07 the kind; word 11: mask 0x01, 01 */
	static const __u8 r1[] = { 0x02, 0xd0, 0x0f, 0x88, 0x10, 0x10, 0x07, 0x01, 0x01 };
	/* the second against the first (1 back): time +500, zigzag 1000 =
	 * e8 07; only word 11 (bit 3): byte 0, 1 ^ 2 = 3 */
	static const __u8 r2[] = { 0x02, 0xe8, 0x07, 0x08, 0x01, 0x03 };
	/* the third is the second 100 ns earlier: zigzag(-100) = 199, c7 01;
	 * no word differs */
	static const __u8 r3[] = { 0x02, 0xc7, 0x01, 0x00 };
	const __u8 *const want[] = { r1, r2, r3 };
	const size_t len[] = { sizeof(r1), sizeof(r2), sizeof(r3) };

	ev[0].lost.count = 1;
	ev[1].lost.count = 2;
	ev[2].lost.count = 2;
	encode_decode(ev, 3, want, len);
}

/* A segment of a socket whose last event was a call, after another
 * socket's segment: its header against the call (2 back), its kind's
 * words against the segment (1 back). Offsets: sock_id word 1, pid at 20
 * (word 2), tid at 24 and kind at 28 (word 3), comm at 68 (word 8), the
 * union from 88 (word 11: call / dir, flags; word 12: seq at 96). */
static void test_hand_two_references(void)
{
	struct syn_event ev[3] = { bare(SYN_EV_SYSCALL, 100, 7), bare(SYN_EV_SEGMENT, 200, 9),
				   bare(SYN_EV_SEGMENT, 300, 7) };
	/* against the segment (1 back) the header differs in sock_id (7 ^ 9,
	 * 2 bytes), pid, tid (3 each) and comm (4): 12, the rest in seq (2); against
	 * the call (2 back) the header only in the kind (2 bytes), the rest in
	 * call, flags, fd and seq (7). Apart: 2 + 1 (head) + 2 + 1 (second
	 * back) + 1 (split) = 7 bytes, against 10 for the call alone.
	 * head: 2 << 1 | 1 = 05; B: 01; split: word 11, 0b; time +100:
	 * zigzag 200, c8 01; words 3 and 12: bits 11 and 2 = 0x804, 84 10;
	 * word 3: byte 4, 1 ^ 3 = 02; word 12: byte 0, 0x00 ^ 0x01 = 01 */
	static const __u8 r3[] = { 0x05, 0x01, 0x0b, 0xc8, 0x01, 0x84, 0x10, 0x10, 0x02, 0x01,
				   0x01 };
	const __u8 *const want[] = { NULL, NULL, r3 };
	const size_t len[] = { 0, 0, sizeof(r3) };

	ev[0].pid = ev[0].tid = ev[2].pid = ev[2].tid = 300;
	strcpy(ev[0].comm, "app");
	strcpy(ev[2].comm, "app");
	ev[0].sys.call = SYN_CALL_READ;
	ev[0].sys.fd = 3;
	ev[1].seg.flags = ev[2].seg.flags = SYN_TCP_ACK;
	ev[1].seg.seq = 0x1000;
	ev[2].seg.seq = 0x1001;
	encode_decode(ev, 3, want, len);
}

struct reject_case {
	__u8 rec[24];
	size_t len;
	const char *why;
};

/* Each check of the decoder, with its message; a refused record leaves
 * the decoder as it was (the next record decodes as if it had not come). */
static void test_decoder_rejects(void)
{
	static const struct reject_case cases[] = {
		{ { 0x01, 0x00, 0x00 }, 3, "a reference 0 events back (1 to 1024)" },
		{ { 0x80, 0x00, 0x00, 0x00 }, 4, "a number in more bytes than it needs" },
		/* 1025 back: head 2050 = 0x802, varint 82 10 */
		{ { 0x82, 0x10, 0x00, 0x00 }, 4, "a reference 1025 events back (1 to 1024)" },
		{ { 0x03, 0x00, 0x01, 0x00, 0x00 }, 5,
		  "a second reference 0 events back (1 to 1024)" },
		{ { 0x03, 0x81, 0x08, 0x01, 0x00, 0x00 }, 6,
		  "a second reference 1025 events back (1 to 1024)" },
		{ { 0x03, 0x01, 0x00, 0x00, 0x00 }, 5, "a split at word 0 (1 to 14)" },
		{ { 0x03, 0x01, 0x0f, 0x00, 0x00 }, 5, "a split at word 15 (1 to 14)" },
		/* a time of 11 bytes; one of 10 whose last byte holds more than bit 63 */
		{ { 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00 },
		  13, "a number of more than 64 bits" },
		{ { 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x00 }, 12,
		  "a number of more than 64 bits" },
		/* bit 14 would be word 0, the time */
		{ { 0x02, 0x00, 0x80, 0x80, 0x01 }, 5, "word mask 0x4000 names words past the "
		  "event's 15" },
		{ { 0x02, 0x00, 0x01, 0x00 }, 4, "word 14 said to differ, in no byte" },
		{ { 0x02, 0x00, 0x01, 0x01, 0x00 }, 5, "byte 112 said to differ by zero" },
		{ { 0x02, 0x00, 0x01, 0x81, 0x07, 0x00 }, 6, "byte 119 said to differ by zero" },
	};
	static const __u8 good[] = { 0x02, 0xd0, 0x0f, 0x88, 0x10, 0x10, 0x07, 0x01, 0x01 };
	struct ev_decoder *dec = ev_decoder_new(ES);
	struct syn_event e;
	size_t used;
	char why[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(ev_decode(dec, cases[i].rec, cases[i].len, &e, &used, why, sizeof(why)),
			     EV_BAD);
		if (!CHECK_EQ_STR(why, cases[i].why))
			fprintf(stderr, "  case %zu\n", i);
		CHECK_EQ_INT(used, 0);
	}
	/* nothing refused was kept: this is still the first event */
	CHECK_EQ_INT(ev_decode(dec, good, sizeof(good), &e, &used, why, sizeof(why)), EV_DECODED);
	CHECK(e.ts_ns == 1000 && e.kind == SYN_EV_LOST && e.lost.count == 1 && used == sizeof(good));
	/* the largest numbers that are right: 1024 back with a second
	 * reference (head 2049, 81 10), 1 back from word 14 on (01 0e), a
	 * time of 10 bytes whose last holds bit 63 */
	static const __u8 far[] = { 0x81, 0x10, 0x01, 0x0e, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
				    0x80, 0x80, 0x80, 0x01, 0x00 };
	CHECK_EQ_INT(ev_decode(dec, far, sizeof(far), &e, &used, why, sizeof(why)), EV_DECODED);
	CHECK_EQ_INT(used, sizeof(far));
	ev_decoder_free(dec);
}

/* A record cut anywhere is cut, never read past, and leaves no trace. */
static void test_decoder_cut(void)
{
	static const __u8 r1[] = { 0x02, 0xd0, 0x0f, 0x88, 0x10, 0x10, 0x07, 0x01, 0x01 };
	struct ev_decoder *dec = ev_decoder_new(ES);
	struct syn_event e;
	size_t used;
	char why[128];
	__u8 *heap;

	for (size_t len = 0; len < sizeof(r1); len++) {
		/* exactly len bytes on the heap: a read past them is the sanitizer's */
		heap = malloc(len ? len : 1);
		memcpy(heap, r1, len);
		CHECK_EQ_INT(ev_decode(dec, heap, len, &e, &used, why, sizeof(why)), EV_CUT);
		CHECK_EQ_INT(used, 0);
		free(heap);
	}
	CHECK_EQ_INT(ev_decode(dec, r1, sizeof(r1), &e, &used, why, sizeof(why)), EV_DECODED);
	CHECK(e.ts_ns == 1000 && used == sizeof(r1));
	ev_decoder_free(dec);
}

/* Any event size from a word to 64 words; a byte mask past a short last
 * word's end is refused. */
static void test_decoder_sizes(void)
{
	static const __u8 past[] = { 0x02, 0x00, 0x01, 0x10, 0x07 };
	static const __u8 in[] = { 0x02, 0x00, 0x01, 0x08, 0x07 };
	struct ev_decoder *dec;
	__u8 out[12];
	size_t used;
	char why[128];

	CHECK(ev_decoder_new(7) == NULL);
	CHECK(ev_decoder_new(513) == NULL);
	ev_decoder_free(ev_decoder_new(8));
	ev_decoder_free(ev_decoder_new(512));
	dec = ev_decoder_new(12); /* words 0 and 1, the second of 4 bytes */
	if (!CHECK(dec != NULL))
		return;
	CHECK_EQ_INT(ev_decode(dec, past, sizeof(past), out, &used, why, sizeof(why)), EV_BAD);
	CHECK_EQ_STR(why, "byte mask 0x10 of word 1 past the event's end");
	CHECK_EQ_INT(ev_decode(dec, in, sizeof(in), out, &used, why, sizeof(why)), EV_DECODED);
	CHECK(out[11] == 0x07 && used == sizeof(in));
	ev_decoder_free(dec);
}

/* Every kind of event, from a few sockets, in one buffer as the file
 * holds them: records of many lengths one after another, each found by
 * the decoder without a length (a short record after a long one, and the
 * other way round), the first against the zeros before it. */
static void test_every_kind_in_one_buffer(void)
{
	enum { N = 3 * SYN_EV_ICMP };
	static __u8 buf[N * EV_ENCODED_MAX];
	struct ev_encoder *enc = ev_encoder_new();
	struct ev_decoder *dec = ev_decoder_new(ES);
	struct syn_event ev[N], back;
	size_t at = 0, len[N], shortest = ~(size_t)0, longest = 0, used;
	char why[128] = "";

	for (int i = 0; i < N; i++) {
		ev[i] = bare((__u8)(1 + i % SYN_EV_ICMP), 1000 + 37 * (__u64)i, 1 + (i / 5) % 3);
		ev[i].pid = ev[i].tid = 400 + (__u32)(i % 2);
		ev[i].seg.seq = 0x10000u * (__u32)i + 1;   /* the union: each kind's fields */
		if (i % 7 == 0)
			memset(ev[i].comm, 'a' + i % 26, sizeof(ev[i].comm) - 1);
		len[i] = ev_encode(enc, &ev[i], buf + at);
		at += len[i];
		shortest = len[i] < shortest ? len[i] : shortest;
		longest = len[i] > longest ? len[i] : longest;
	}
	CHECK(longest >= shortest + 8);  /* the lengths do vary */
	at = 0;
	for (int i = 0; i < N; i++) {
		if (!CHECK_EQ_INT(ev_decode(dec, buf + at, sizeof(buf) - at, &back, &used, why,
					    sizeof(why)), EV_DECODED) ||
		    !CHECK_EQ_INT(used, len[i]) || !CHECK(memcmp(&back, &ev[i], ES) == 0)) {
			fprintf(stderr, "  at event %d: %s\n", i, why);
			break;
		}
		at += used;
	}
	ev_encoder_free(enc);
	ev_decoder_free(dec);
}

/* A socket's event again after 1023, 1024 and 1025 others: only up to
 * 1024 back may it be the reference (1023 others: 1024 back); after more,
 * its last event has left the history, and its place there holds a later
 * one: the last other, another socket's event differing in one byte, so
 * that a reference to the place would look cheap. */
static void test_history_edge(void)
{
	enum { GAP_MAX = REC_HISTORY + 1 };
	struct syn_event *ev = malloc((GAP_MAX + 2) * sizeof(*ev));

	for (size_t gap = REC_HISTORY - 1; gap <= GAP_MAX; gap++) {
		/* sockets 0x5000 and 0x5001: their keys are not the lost events' */
		ev[0] = bare(SYN_EV_STATE, 100, 0x5000);
		memset(ev[0].comm, 'q', sizeof(ev[0].comm) - 1);
		ev[0].pid = ev[0].tid = 777;
		for (size_t i = 1; i <= gap; i++) {
			ev[i] = bare(SYN_EV_LOST, 100 + i, 0);
			ev[i].lost.count = i;
		}
		ev[gap] = ev[0];
		ev[gap].sock_id = 0x5001;
		ev[gap + 1] = ev[0];
		ev[gap + 1].ts_ns = 200 + gap;
		if (!encode_decode(ev, gap + 2, NULL, NULL))
			fprintf(stderr, "  after %zu others\n", gap);
	}
	free(ev);
}

static __u64 next_rand(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A stream like a busy host's: many sockets (more than the history holds,
 * so that some come back after 1024 other events), their kinds and fields
 * changing a little or wholly, times going on, back, and far; and now and
 * then an event of random bytes. */
static void random_stream(struct syn_event *ev, size_t n, __u64 seed)
{
	enum { SOCKS = 1500 };
	static struct syn_event sock[SOCKS];
	__u64 ts = 1000;

	for (size_t i = 0; i < SOCKS; i++) {
		memset(&sock[i], 0, sizeof(sock[i]));
		sock[i].sock_id = next_rand(&seed);
		sock[i].netns = 4026531840u;
		sock[i].pid = sock[i].tid = (__u32)(next_rand(&seed) % 70000);
		sock[i].family = 2;
		sock[i].sport = (__u16)next_rand(&seed);
		sock[i].dport = 8080;
		snprintf(sock[i].comm, sizeof(sock[i].comm), "p%zu", i % 17);
	}
	for (size_t i = 0; i < n; i++) {
		__u64 r = next_rand(&seed);
		struct syn_event *s = &sock[r % (i < n / 2 ? 40 : SOCKS)];

		ts += r >> 60 == 0 ? next_rand(&seed) >> 20 : (r >> 40) % 5000;
		if (r >> 58 == 1)
			ts -= ts / 3;
		ts %= 1ull << 62;
		s->kind = (__u8)(1 + (r >> 8) % 11);
		s->sys.call = (__u8)(1 + (r >> 12) % 14);
		s->sys.phase = (__u8)(r >> 16 & 1);
		s->seg.seq += (__u32)((r >> 20) % 1500);
		if ((r >> 32) % 7 == 0)
			s->sys.ret = (__s64)next_rand(&seed);
		ev[i] = *s;
		ev[i].ts_ns = ts;
		if ((r >> 24) % 97 == 0)
			for (size_t b = 8; b < ES; b++)
				((__u8 *)&ev[i])[b] = (__u8)next_rand(&seed);
	}
}

static void test_round_trip_random(void)
{
	enum { N = 60000 };
	struct syn_event *ev = malloc(N * sizeof(*ev));

	for (__u64 seed = 1; seed <= 3; seed++) {
		random_stream(ev, N, seed * 0x9E3779B97F4A7C15ull);
		if (!encode_decode(ev, N, NULL, NULL))
			fprintf(stderr, "  seed %llu\n", (unsigned long long)seed);
	}
	/* the extremes of the time: 0, 2^62 - 1 and back */
	ev[0] = bare(SYN_EV_TICK, (1ull << 62) - 1, 0);
	ev[1] = bare(SYN_EV_TICK, 0, 0);
	ev[2] = bare(SYN_EV_TICK, (1ull << 62) - 1, 0);
	memset(&ev[3], 0xff, sizeof(ev[3]));
	memset(&ev[4], 0, sizeof(ev[4]));
	encode_decode(ev, 5, NULL, NULL);
	free(ev);
}

/* The real recordings of tests/unit/data, one after another. */
static void test_round_trip_real(void)
{
	struct syn_event *all = NULL;
	size_t n = 0;

	for (size_t i = 0; i < RECDATA_N; i++) {
		struct recdata d;

		if (!CHECK(recdata_load(recdata_names[i], &d)))
			continue;
		all = realloc(all, (n + d.n) * sizeof(*all));
		memcpy(all + n, d.ev, d.n * sizeof(*all));
		n += d.n;
		recdata_free(&d);
	}
	CHECK(n > 300);
	encode_decode(all, n, NULL, NULL);
	free(all);
}

int main(void)
{
	RUN(test_hand_lost_events);
	RUN(test_hand_two_references);
	RUN(test_decoder_rejects);
	RUN(test_decoder_cut);
	RUN(test_decoder_sizes);
	RUN(test_every_kind_in_one_buffer);
	RUN(test_history_edge);
	RUN(test_round_trip_random);
	RUN(test_round_trip_real);
	return TEST_SUMMARY();
}
