/* Writes the fuzz seed corpus with the real writer: make fuzz-corpus.
 *   whole.gz   a small recording: header, reset reason names, a connection
 *   whole.raw  the same, uncompressed (the reader takes plain data too, and
 *              the fuzzer mutates records better without the compression)
 *   empty.gz   the header and the end record, no event
 *   cut.gz     whole.gz cut in the middle */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include "events.h"
#include "record/rec_write.h"
#include "source/file/rec_read.h"

static int write_rec(const char *path, int nev)
{
	struct ep cli = { "127.0.0.1", 41000 }, srv = { "127.0.0.1", 8080 }, any = { "0.0.0.0", 0 };
	struct syn_event ev[8];
	struct rec_header h;
	struct rec_writer *w;
	char err[256];
	int n = 0;

	ev[n++] = ev_call(1000, 7, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0);
	ev[n++] = ev_state(1010, 7, cli, srv, 7, 2);
	ev[n++] = ev_seg(1020, 7, cli, srv, SYN_DIR_TX, SYN_TCP_SYN, 100, 0, 0);
	ev[n++] = ev_seg(1040, 9, srv, cli, SYN_DIR_TX, SYN_TCP_SYN | SYN_TCP_ACK, 500, 101, 0);
	ev[n++] = ev_kind(SYN_EV_RESET, 1070, 7, cli, srv);
	ev[n - 1].rst.reason = 2;
	ev[n++] = ev_kind(SYN_EV_LOST, 1080, 0, any, any);
	ev[n - 1].lost.count = 3;
	ev[n++] = ev_kind(SYN_EV_DESTROY, 1100, 7, cli, srv);
	memset(&h, 0, sizeof(h));
	snprintf(h.host, sizeof(h.host), "seedhost");
	snprintf(h.kernel, sizeof(h.kernel), "6.18.0");
	h.wall_offset_ns = 1763900000000000000LL;
	h.start_ns = 1763900001000000000ULL;
	h.rst_names[2] = "NO_SOCKET";
	h.rst_names[3] = "TCP_INVALID_ACK_SEQUENCE";
	w = rec_writer_open(path, &h, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "make_corpus: %s: %s\n", path, err);
		return -1;
	}
	for (int i = 0; i < nev && i < n; i++)
		rec_writer_event(w, &ev[i]);
	if (rec_writer_close(w, NULL, err, sizeof(err))) {
		fprintf(stderr, "make_corpus: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* Copy src to dst, uncompressed (raw) or cut to half its size. */
static int derive(const char *src, const char *dst, int raw)
{
	unsigned char buf[1 << 16];
	FILE *in, *out;
	size_t n;

	if (raw) {
		gzFile gz = gzopen(src, "rb");
		int got;

		out = fopen(dst, "wb");
		if (!gz || !out)
			return -1;
		while ((got = gzread(gz, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)got, out);
		gzclose(gz);
		return fclose(out);
	}
	in = fopen(src, "rb");
	out = fopen(dst, "wb");
	if (!in || !out)
		return -1;
	n = fread(buf, 1, sizeof(buf), in);
	fwrite(buf, 1, n / 2, out);
	fclose(in);
	return fclose(out);
}

int main(int argc, char **argv)
{
	char whole[4096], path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus DIR\n");
		return 2;
	}
	snprintf(whole, sizeof(whole), "%s/whole.gz", argv[1]);
	if (write_rec(whole, 8))
		return 1;
	snprintf(path, sizeof(path), "%s/whole.raw", argv[1]);
	if (derive(whole, path, 1))
		return 1;
	snprintf(path, sizeof(path), "%s/cut.gz", argv[1]);
	if (derive(whole, path, 0))
		return 1;
	snprintf(path, sizeof(path), "%s/empty.gz", argv[1]);
	return write_rec(path, 0) ? 1 : 0;
}
