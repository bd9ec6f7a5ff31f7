/* The drawings: text for a terminal or a file. */
#ifndef SYNSCOPE_SINKS_H
#define SYNSCOPE_SINKS_H

#include "render/sink_opts.h"

struct syn_sink *ladder_sink_new(const struct sink_opts *o);
/* The connection in the notation of RFC 9293's figures (docs/rfc-style.md). */
struct syn_sink *rfc_sink_new(const struct sink_opts *o);
struct syn_sink *stream_sink_new(const struct sink_opts *o);

#endif
