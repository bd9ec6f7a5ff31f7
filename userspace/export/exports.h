/* The exports: formats other programs read. */
#ifndef SYNSCOPE_EXPORTS_H
#define SYNSCOPE_EXPORTS_H

#include "render/sink_opts.h"

struct syn_sink *jsonl_sink_new(const struct sink_opts *o);
/* One self-contained HTML page, an SVG ladder per connection (docs/html.md). */
struct syn_sink *html_sink_new(const struct sink_opts *o);
struct syn_sink *mermaid_sink_new(const struct sink_opts *o);
/* Binary: o->out must not be a terminal (the run refuses that). */
struct syn_sink *pcapng_sink_new(const struct sink_opts *o);

#endif
