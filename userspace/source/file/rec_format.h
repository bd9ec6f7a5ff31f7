/* The recording file format (docs/recording.md), shared by its reader
 * (here) and its writer (record/rec_write.c): a gzip stream holding the
 * magic "SYNSCOPE", a format version, then records of [type u16][length
 * u16][payload]. Every integer is stored little-endian. */
#ifndef SYNSCOPE_REC_FORMAT_H
#define SYNSCOPE_REC_FORMAT_H

#include "source/file/rec_read.h"


/* Every integer is stored little-endian, struct syn_event included (it is
 * written as it lies in memory). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "recordings assume a little-endian host");

#define REC_MAGIC "SYNSCOPE"
#define REC_MAGIC_LEN 8
#define REC_PREFIX_LEN (REC_MAGIC_LEN + 4)  /* magic + format version */
#define REC_RECHDR_LEN 4                    /* type u16 + length u16 */
#define REC_HEADER_LEN 24                   /* the HEADER record's fixed part */
/* Timestamps and the clock offset stay below this (146 years of ns) so that
 * ts_ns + wall_offset_ns, which every sink computes, cannot overflow. */
#define REC_TIME_MAX (1ull << 62)

/* Format 2's events (docs/recording.md): each one coded against one or two
 * of the last REC_HISTORY events. A record's first byte (its head) is 0 for
 * a framed record ([type u16][length u16][payload]), else it starts an
 * event. The split between two references is a word number (8 bytes). */
#define REC_HISTORY 1024u
#define REC_WORD 8
#define REC_VARINT_MAX 10                   /* bytes of a 64-bit number */
/* The most bytes an event of `size` bytes takes: head, second reference
 * and split, time, word mask, then a byte mask and 8 bytes per word. */
#define REC_EVENT_CODED_MAX(size) (5 * REC_VARINT_MAX + ((size) + REC_WORD - 1) / REC_WORD * (1 + REC_WORD))

enum rec_type {
	REC_T_HEADER = 1,      /* abi u32, event size u32, wall offset s64, start s64 */
	REC_T_HOST = 2,        /* text */
	REC_T_KERNEL = 3,      /* text */
	REC_T_RST_REASON = 4,  /* value u32, name */
	REC_T_HEADER_END = 5,  /* empty: events follow */
	REC_T_DROP_REASON = 6, /* value u32, name */
	REC_T_EVENT = 16,      /* struct syn_event, event size bytes */
	REC_T_END = 17,        /* number of event records u64 */
};

static inline void put_u16(__u8 *p, __u16 v)
{
	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
}

static inline void put_u32(__u8 *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (__u8)(v >> (8 * i));
}

static inline void put_u64(__u8 *p, __u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (__u8)(v >> (8 * i));
}

/* Unsigned LEB128: 7 bits a byte, the lowest first, the top bit set on all
 * but the last. Returns the bytes written (at most REC_VARINT_MAX). */
static inline size_t put_varint(__u8 *p, __u64 v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (__u8)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (__u8)v;
	return n;
}

/* A signed difference as an unsigned number, small either way: 0, -1, 1,
 * -2 ... become 0, 1, 2, 3 ... */
static inline __u64 zigzag(__u64 d)
{
	return d << 1 ^ (__u64)((__s64)d >> 63);
}

static inline __u64 unzigzag(__u64 z)
{
	return z >> 1 ^ (__u64)-(__s64)(z & 1);
}

static inline __u16 get_u16(const __u8 *p)
{
	return (__u16)(p[0] | p[1] << 8);
}

static inline __u32 get_u32(const __u8 *p)
{
	__u32 v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline __u64 get_u64(const __u8 *p)
{
	__u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
