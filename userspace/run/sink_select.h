/* The sink a command line asks for (-f, --style). */
#ifndef SYNSCOPE_SINK_SELECT_H
#define SYNSCOPE_SINK_SELECT_H

#include "cli/options.h"
#include "track/sink.h"

/* NULL when out of memory. */
struct syn_sink *sink_for_options(const struct options *o, const struct sink_opts *so);

#endif
