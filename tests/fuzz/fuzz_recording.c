/* libFuzzer target: any bytes, as a file given to `synscope -r`. The reader
 * must never crash, hang or leak, must end with REC_END or a message, and
 * every message is one line. Run by `make fuzz` (scripts/run-tests.sh fuzz)
 * from the seed corpus in tests/fuzz/corpus/recording/. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "source/file/rec_read.h"

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_recording: %s\n", what);
		abort();
	}
}

static void check_message(const char *msg)
{
	must(msg[0] != '\0', "an error without a message");
	must(strchr(msg, '\n') == NULL, "a message of more than one line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_header h;
	struct rec_reader *r;
	struct syn_event e;
	enum rec_status st;
	char err[256];
	int fd = memfd_create("fuzz_recording", MFD_CLOEXEC);
	size_t done = 0;

	must(fd >= 0, "memfd_create failed");
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		must(n > 0, "write to memfd failed");
		done += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	err[0] = '\0';
	r = rec_reader_fdopen(fd, &h, err, sizeof(err));
	if (!r) {
		check_message(err);
		return 0;
	}
	must(h.format_version >= REC_FORMAT_OLDEST && h.format_version <= REC_FORMAT_VERSION &&
	     h.event_size == sizeof(e),
	     "a header accepted that this version cannot read");
	for (int i = 0; i < REC_RST_REASONS; i++)
		must(!h.rst_names[i] || strlen(h.rst_names[i]) < REC_TEXT_MAX, "a name too long");
	while ((st = rec_reader_next(r, &e)) == REC_EVENT)
		;
	if (st != REC_END)
		check_message(rec_reader_error(r));
	must(rec_reader_next(r, &e) == st, "the end or error did not stay");
	rec_reader_close(r);
	rec_header_free_names(&h);
	return 0;
}
