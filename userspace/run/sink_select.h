/* The sink a run asks for (-f, --style). */
#ifndef SYNSCOPE_SINK_SELECT_H
#define SYNSCOPE_SINK_SELECT_H

#include "render/sink_opts.h"
#include "run/run.h"

/* NULL when out of memory. */
struct syn_sink *sink_for_format(enum out_format format, enum ladder_style style,
				 const struct sink_opts *so);

#endif
