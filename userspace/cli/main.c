/*
 * synscope: trace TCP connections and draw them.
 *
 * main() picks the command: "merge" and its own arguments, or the default,
 * which traces live or, with -r, replays a recording. Each opens the one
 * run (run/run.h) and feeds it events; this file only dispatches.
 */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"

/* Subcommands by name, as bpftool's cmds[]: the first word after synscope. */
static const struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
} commands[] = {
	{ "merge", merge_main },
};

/* No subcommand: trace, or replay with -r. */
static int default_main(int argc, char **argv)
{
	struct options o;
	char err[512];

	if (options_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	if (o.help) {
		options_usage(stdout);
		return 0;
	}
	return o.read_path ? replay_main(&o) : trace_main(&o);
}

int main(int argc, char **argv)
{
	for (size_t i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	return default_main(argc, argv);
}
