/* `synscope merge [options] A B`: the command line and the run
 * (docs/merge.md). No root, no BPF: only files. */
#ifndef SYNSCOPE_MERGE_CLI_H
#define SYNSCOPE_MERGE_CLI_H

#include <stdio.h>
#include "cli/options.h"

struct merge_cli {
	struct options o;        /* output options and filters, as the main command takes them */
	const char *in[2];       /* A and B */
	bool has_offset;         /* --offset: B's clock minus A's, not estimated */
	__s64 offset_ns;
	bool help;
};

/* argv[0] is "merge". -1 with one line in err. */
int merge_options_parse(int argc, char **argv, struct merge_cli *m, char *err, size_t errlen);
void merge_usage(FILE *f);
/* Read, join, render. Messages go to msg (one line each). Returns the exit
 * status: 0, 1 (an input or the output failed), 2 (usage). */
int merge_run(const struct merge_cli *m, FILE *msg);
/* Both, for main(): argv[0] is "merge". */

#endif
