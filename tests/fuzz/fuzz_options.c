/* libFuzzer target: the command line. The input is split at NUL bytes into
 * arguments after "synscope"; options_parse() must never crash, and must
 * either fail with one non-empty line or give options that hold together.
 * Run by `make fuzz` from the seed corpus in tests/fuzz/corpus/options/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"

#define MAX_ARGS 32

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_options: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct options o;
	char err[256];
	int argc = 0;
	size_t start = 0;

	must(buf != NULL, "out of memory");
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "synscope";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	err[0] = '\0';
	if (options_parse(argc, argv, &o, err, sizeof(err))) {
		must(err[0] != '\0', "an error without a message");
		must(strchr(err, '\n') == NULL, "a message of more than one line");
	} else if (!o.help) {
		must(o.nports >= 0 && o.nports <= SYN_MAX_PORTS, "more ports than there is room for");
		for (int i = 0; i < o.nports; i++)
			must(o.ports[i] != 0, "port 0 accepted");
		must(!(o.cmd && o.pid && !o.read_path), "a command and -p together");
		must(!(o.read_path && o.cmd), "-r and a command together");
		must(o.buffer_kb == 0 || (o.buffer_kb & (o.buffer_kb - 1)) == 0,
		     "a ring buffer size that is not a power of two");
		must(!o.out_path || o.out_path[0], "an empty -o");
		must(strnlen(o.comm, SYN_COMM_LEN) < SYN_COMM_LEN, "a --comm without its NUL");
		must(!(o.format == FORMAT_TOP && (o.out_path || o.stats)), "--top with -o or --stats");
		must(!(o.format == FORMAT_STATS && o.stats), "-f stats with --stats");
		must(!((o.slower_ns || o.rst_only) &&
		       (o.format == FORMAT_STREAM || o.format == FORMAT_JSONL ||
			o.format == FORMAT_PCAPNG || o.format == FORMAT_TOP)),
		     "--slower or --rst with a format that writes connections while they last");
	}
	free(buf);
	return 0;
}
