/* Format 2's compact events, written (ev_encode.h). For each event a few
 * earlier ones are candidates: the previous event, and the last one of the
 * same kind, of the same socket, and of both. Each candidate's cost is the
 * bytes its differences would take, the header words (identity: socket,
 * process, addresses) and the kind's own words counted apart, so that the
 * header can come from the socket's last event and the rest from the
 * kind's last one when that is cheaper. The record's layout is in
 * source/file/ev_decode.c and docs/recording.md. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "record/ev_encode.h"

#define WORDS (sizeof(struct syn_event) / REC_WORD)
#define MASKS ((WORDS + 7) / 8 * 8)  /* byte masks of the words, in whole 8s */
/* An event read as words: the compiler is told they alias its fields. */
typedef __u64 __attribute__((may_alias)) alias_u64;
/* The split between the header and the kind's words: the union's first. */
#define SPLIT (offsetof(struct syn_event, sys) / REC_WORD)
_Static_assert(sizeof(struct syn_event) % REC_WORD == 0, "events are whole words");
_Static_assert(offsetof(struct syn_event, sys) % REC_WORD == 0, "the union starts a word");
_Static_assert(WORDS - 1 <= 63, "a word mask holds every word but the first");
_Static_assert((REC_HISTORY & (REC_HISTORY - 1)) == 0, "the history is a power of two");

enum key_table { K_KIND, K_SOCK, K_SOCK_KIND, K_TABLES };
#define KEY_BITS 11                 /* 2048 keys of each table: the history holds 1024 events */
#define CANDIDATES (K_TABLES + 1)   /* and the previous event */

struct key_slot {
	__u64 key;
	__u64 num;          /* the last event with the key, numbered from 1; 0: none */
};

struct ev_encoder {
	__u64 count;        /* events encoded */
	__u64 prev_time;
	__u64 hist[REC_HISTORY][WORDS];   /* event i at i % REC_HISTORY */
	struct key_slot keys[K_TABLES][1u << KEY_BITS];
};

struct ev_encoder *ev_encoder_new(void)
{
	return calloc(1, sizeof(struct ev_encoder));
}

void ev_encoder_free(struct ev_encoder *enc)
{
	free(enc);
}

static __u64 mix(__u64 h, __u64 v)
{
	return (h ^ v) * 0x9E3779B97F4A7C15ull;
}

/* What kind of event, finer where a kind's records differ in shape: a
 * call's entry and return, a segment sent or received. */
static __u64 kind_key(const struct syn_event *e)
{
	__u64 k = e->kind;

	if (e->kind == SYN_EV_SYSCALL)
		k |= (__u64)e->sys.call << 8 | (__u64)e->sys.phase << 16;
	else if (e->kind == SYN_EV_SEGMENT)
		k |= (__u64)e->seg.dir << 8;
	else if (e->kind == SYN_EV_DROP)
		k |= (__u64)e->drop.dir << 8;
	return k;
}

/* Which socket: its id, or (a segment received, a reset from no socket)
 * its tuple in its namespace. */
static __u64 sock_key(const struct syn_event *e)
{
	__u64 h = mix(e->netns, (__u64)e->family << 32 | (__u64)e->sport << 16 | e->dport);
	__u64 a[4];

	if (e->sock_id)
		return e->sock_id;
	memcpy(a, e->saddr, 16);
	memcpy(a + 2, e->daddr, 16);
	for (int i = 0; i < 4; i++)
		h = mix(h, a[i]);
	return h;
}

static struct key_slot *key_slot(struct ev_encoder *enc, enum key_table t, __u64 key)
{
	return &enc->keys[t][mix(key, t) >> (64 - KEY_BITS)];
}

/* The candidates' event numbers, the likeliest first: the same socket's
 * last event of the kind, the previous event (before the first, one of
 * zeros: always there), the socket's last, the kind's last; none too old,
 * none twice. */
static size_t candidates(const struct ev_encoder *enc, struct key_slot *const slot[K_TABLES],
			 const __u64 key[K_TABLES], __u64 *num)
{
	static const enum key_table order[] = { K_SOCK_KIND, K_TABLES, K_SOCK, K_KIND };
	size_t n = 0;

	for (size_t i = 0; i < CANDIDATES; i++) {
		enum key_table t = order[i];
		__u64 cand = t == K_TABLES ? enc->count : slot[t]->key == key[t] ? slot[t]->num : 0;
		bool skip = t != K_TABLES && (!cand || enc->count - cand >= REC_HISTORY);

		for (size_t j = 0; j < n; j++)
			skip |= num[j] == cand;
		if (!skip)
			num[n++] = cand;
	}
	return n;
}

/* A bit set in each byte of x that is not zero: the byte's top bit. */
static __u64 nonzero_bytes(__u64 x)
{
	const __u64 low7 = 0x7f7f7f7f7f7f7f7full;

	return (((x & low7) + low7) | x) & ~low7;
}

/* bm[w] for every word: bit b set when byte b of word w differs between
 * ev and ref (bm[0], the time's, and those past the last word: 0). */
static void byte_masks(const __u64 *ev, const __u64 *ref, __u8 bm[MASKS])
{
	size_t w = 1;

	memset(bm, 0, MASKS);
#ifdef __SSE2__
	/* two words at a time: which of 16 bytes are equal, in one instruction */
	for (; w + 1 < WORDS; w += 2) {
		__m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(ev + w)),
					  _mm_loadu_si128((const __m128i *)(ref + w)));
		unsigned differ = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128()));

		bm[w] = (__u8)differ;
		bm[w + 1] = (__u8)(differ >> 8);
	}
#endif
	/* the top bits of the bytes, gathered into one byte */
	for (; w < WORDS; w++)
		bm[w] = (__u8)((nonzero_bytes(ev[w] ^ ref[w]) >> 7) * 0x0102040810204080ull >> 56);
}

/* The bytes [lo, hi) of a word set, the others clear (lo, hi up to 8). */
static inline __attribute__((always_inline)) __u64 byte_range(size_t lo, size_t hi)
{
	return (lo >= 8 ? 0 : ~0ull << (8 * lo)) & (hi >= 8 ? ~0ull : (1ull << (8 * hi)) - 1);
}

/* Bytes the differences of words [from, to) take, from their byte masks:
 * for each word that differs, its byte mask and the bytes. Eight masks at
 * a time: each one's bits counted in place (in pairs, fours, then the
 * byte), one more for a mask that is not zero, the eight sums added up by
 * a multiply. Inlined, so that the ranges are constants. */
static inline __attribute__((always_inline)) unsigned words_cost(const __u8 bm[MASKS],
								  size_t from, size_t to)
{
	const __u64 m1 = 0x5555555555555555ull, m2 = 0x3333333333333333ull,
		    m4 = 0x0f0f0f0f0f0f0f0full, ones = 0x0101010101010101ull;
	unsigned cost = 0;

	for (size_t i = 0; i < MASKS; i += 8) {
		__u64 v, nz;

		memcpy(&v, bm + i, 8);
		v &= byte_range(from > i ? from - i : 0, to > i ? to - i : 0);
		nz = nonzero_bytes(v) >> 7;
		v -= (v >> 1) & m1;
		v = (v & m2) + ((v >> 2) & m2);
		v = (v + (v >> 4)) & m4;
		cost += (unsigned)((v + nz) * ones >> 56);
	}
	return cost;
}

/* Bytes a reference back events back takes in the head: back < 64 in one. */
static unsigned back_len(__u64 back)
{
	return back < 64 ? 1 : 2;
}

struct choice {
	size_t a, b;         /* candidates: the reference, and the one from SPLIT on */
	unsigned cost;
};

/* The cheapest reference, or pair of references split at SPLIT. The first
 * candidate is taken at once when its differences take at most 4 bytes:
 * the others are seldom better then, and looking costs more than the byte
 * or two they might save (0.5 % of a storm's bytes, 7 % of the work). */
static struct choice choose(const struct ev_encoder *enc, const __u64 *ev, const __u64 *num,
			    size_t n, __u8 bm[][MASKS])
{
	struct choice one = { .cost = ~0u }, head = { .cost = ~0u }, tail = { .cost = ~0u };

	for (size_t c = 0; c < n; c++) {
		unsigned len = back_len(enc->count + 1 - num[c]), hc, tc;

		byte_masks(ev, enc->hist[(num[c] - 1) % REC_HISTORY], bm[c]);
		hc = words_cost(bm[c], 1, SPLIT);
		tc = words_cost(bm[c], SPLIT, WORDS);
		if (hc + tc + len < one.cost)
			one = (struct choice){ c, c, hc + tc + len };
		if (hc + len < head.cost)
			head = (struct choice){ c, c, hc + len };
		if (tc + len < tail.cost)
			tail = (struct choice){ c, c, tc + len };
		if (c == 0 && hc + tc <= 4)
			return one;
	}
	/* two references: the split takes a byte */
	if (head.cost + tail.cost + 1 < one.cost)
		return (struct choice){ head.a, tail.a, head.cost + tail.cost + 1 };
	return one;
}

/* Bit w set for each word whose byte mask is not zero. */
static __u64 words_differing(const __u8 bm[MASKS])
{
	__u64 m = 0, v;

	for (size_t i = 0; i < MASKS; i += 8) {
		memcpy(&v, bm + i, 8);
		m |= ((nonzero_bytes(v) >> 7) * 0x0102040810204080ull >> 56) << i;
	}
	return m;
}

/* v's bits in the opposite order. */
static __u64 bit_reverse(__u64 v)
{
	v = (v >> 1 & 0x5555555555555555ull) | (v & 0x5555555555555555ull) << 1;
	v = (v >> 2 & 0x3333333333333333ull) | (v & 0x3333333333333333ull) << 2;
	v = (v >> 4 & 0x0f0f0f0f0f0f0f0full) | (v & 0x0f0f0f0f0f0f0f0full) << 4;
	return __builtin_bswap64(v);
}

/* The words' differences from ra (words before SPLIT) and rb (the rest),
 * whose byte masks are bma and bmb: the word mask (word w at bit
 * WORDS-1-w), then from word 1 up each word's byte mask and bytes. */
static size_t put_words(__u8 *out, const __u64 *ev, const __u64 *ra, const __u64 *rb,
			const __u8 bma[MASKS], const __u8 bmb[MASKS])
{
	__u8 bm[MASKS];
	__u64 words;
	size_t n;

	memcpy(bm, bma, SPLIT);
	memcpy(bm + SPLIT, bmb + SPLIT, MASKS - SPLIT);
	words = words_differing(bm);
	n = put_varint(out, bit_reverse(words) >> (64 - WORDS));
	for (; words; words &= words - 1) {
		size_t w = (size_t)__builtin_ctzll(words);
		__u64 x = ev[w] ^ (w < SPLIT ? ra : rb)[w];

		out[n++] = bm[w];
		for (unsigned b = bm[w]; b; b &= b - 1)
			out[n++] = (__u8)(x >> (8 * __builtin_ctz(b)));
	}
	return n;
}

static void remember(struct ev_encoder *enc, const __u64 *ev, struct key_slot *const slot[K_TABLES],
		     const __u64 key[K_TABLES])
{
	enc->count++;
	memcpy(enc->hist[(enc->count - 1) % REC_HISTORY], ev, sizeof(enc->hist[0]));
	for (int t = 0; t < K_TABLES; t++)
		*slot[t] = (struct key_slot){ key[t], enc->count };
	enc->prev_time = ev[0];
}

size_t ev_encode(struct ev_encoder *enc, const struct syn_event *e, __u8 *out)
{
	const __u64 *ev = (const alias_u64 *)e, *ra, *rb;
	__u64 num[CANDIDATES], key[K_TABLES], back;
	__u8 bm[CANDIDATES][MASKS];
	struct key_slot *slot[K_TABLES];
	struct choice ch;
	size_t n;

	key[K_KIND] = kind_key(e);
	key[K_SOCK] = sock_key(e);
	key[K_SOCK_KIND] = mix(key[K_SOCK], key[K_KIND]);
	for (int t = 0; t < K_TABLES; t++)
		slot[t] = key_slot(enc, t, key[t]);
	ch = choose(enc, ev, num, candidates(enc, slot, key, num), bm);
	ra = enc->hist[(num[ch.a] - 1) % REC_HISTORY];
	rb = enc->hist[(num[ch.b] - 1) % REC_HISTORY];
	back = enc->count + 1 - num[ch.a];
	n = put_varint(out, back << 1 | (ch.b != ch.a));
	if (ch.b != ch.a) {
		n += put_varint(out + n, enc->count + 1 - num[ch.b]);
		n += put_varint(out + n, SPLIT);
	}
	n += put_varint(out + n, zigzag(ev[0] - enc->prev_time));
	n += put_words(out + n, ev, ra, rb, bm[ch.a], bm[ch.b]);
	remember(enc, ev, slot, key);
	return n;
}
