/* A file's bytes as written: gunzipped as they are read when the file is
 * gzip, as they are otherwise. Decompressing as it goes, it hands out every
 * byte that decodes before a damage, however small the file, and it tells a
 * cut stream, damaged data and bytes after the gzip stream's end apart.
 * Gzip members one after another are one stream, as gzip and zcat read them. */
#ifndef SYNSCOPE_BYTE_IN_H
#define SYNSCOPE_BYTE_IN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum byte_in_status {
	BYTE_IN_OK,       /* every byte asked for came */
	BYTE_IN_END,      /* the data ended where it should (plain: the file's end) */
	BYTE_IN_CUT,      /* the gzip stream stops before its own end */
	BYTE_IN_DAMAGED,  /* the compressed data cannot be decoded here */
	BYTE_IN_TRAILING, /* bytes that are no gzip member follow the gzip data */
	BYTE_IN_IO,       /* read() failed */
};

struct byte_in;

/* Reads fd (owned from here on). NULL only when out of memory (fd closed). */
struct byte_in *byte_in_open(int fd);
/* Up to len bytes into buf, *got of them. Anything but BYTE_IN_OK is said
 * once the bytes before it are all handed out; then it stays. */
enum byte_in_status byte_in_read(struct byte_in *b, void *buf, size_t len, size_t *got);
/* The next bytes in place, without taking them: at least want of them
 * (at most BYTE_IN_PEEK_MAX) at *p, *avail in all. Fewer only when the data
 * stops before: then the status says why (as byte_in_read() would), and
 * *p holds every byte that came before it. */
#define BYTE_IN_PEEK_MAX (64u << 10)
enum byte_in_status byte_in_peek(struct byte_in *b, size_t want, const __u8 **p, size_t *avail);
/* Take n of the bytes a peek showed. */
void byte_in_skip(struct byte_in *b, size_t n);
/* A read() a signal interrupts once *flag is set ends reading (BYTE_IN_IO),
 * instead of being tried again: a second Ctrl-C stops a replay waiting on a
 * pipe. */
void byte_in_stop_on(struct byte_in *b, const volatile sig_atomic_t *flag);
bool byte_in_compressed(const struct byte_in *b);
/* What the status said (zlib's words, strerror), "" when nothing. */
const char *byte_in_error(const struct byte_in *b);
/* Bytes of the file taken so far: where damage was found, where trailing bytes start. */
__u64 byte_in_file_offset(const struct byte_in *b);
void byte_in_close(struct byte_in *b);

#endif
