/* The subcommands main() dispatches to, and what they share: the run's
 * options made from the command line. */
#ifndef SYNSCOPE_COMMANDS_H
#define SYNSCOPE_COMMANDS_H

#include "cli/options.h"
#include "run/run.h"

/* Live tracing: the kernel's events until Ctrl-C, -d, or the command exits. */
int trace_main(const struct options *o);
/* -r FILE: a recording's events through the same run. */
int replay_main(const struct options *o);
/* synscope merge A B: two hosts' views (docs/merge.md). */
int merge_main(int argc, char **argv);

/* The run a command line asks for, before the source fills in what it knows
 * (the clock offset, the recording's header, the files it reads). filter:
 * redo -P/-p/-4/-6 in userspace (a replay; live, the kernel did). */
void run_opts_from(const struct options *o, bool filter, struct run_opts *ro);

#endif
