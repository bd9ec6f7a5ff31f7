/* The engineer's views (docs/views.md): a line per finished connection
 * (-f table), statistics at exit and on demand (-f stats, --stats), and a
 * live view for a terminal (--top). Every number is the connection's facts
 * (track/conn_facts.h): the same in each view and in JSON Lines. */
#ifndef SYNSCOPE_VIEWS_H
#define SYNSCOPE_VIEWS_H

#include <stddef.h>
#include "render/sink_opts.h"

#define TABLE_LINE_MAX 400

/* A line per connection as it finishes, aligned like tcplife's; every
 * column one word (awk '{ print $5 }'). */
struct syn_sink *table_sink_new(const struct sink_opts *o);
/* The column names, and one connection's line, without the newline. */
char *table_header(char *buf, size_t len);
char *table_line(const struct conn *c, __s64 wall_offset_ns, char *buf, size_t len);
/* How it ended, one word: "FIN/FIN", "RST:server:NO_SOCKET", "refused",
 * "timeout", "unreachable", "open", "evicted:idle", "closed". */
char *table_ended(const struct conn *c, char *buf, size_t len);

/* Statistics of the connections that finished: at the end, and on each
 * report() (SIGUSR1) while tracing goes on. */
struct syn_sink *stats_sink_new(const struct sink_opts *o);

/* The live view: a screen a second (on the source's clock), redrawn in place
 * on the terminal o->out, which it gives back as it was at finish(). */
struct syn_sink *top_sink_new(const struct sink_opts *o);

#endif
