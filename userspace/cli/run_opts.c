/* The run a command line asks for (commands.h). */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"

void run_opts_from(const struct options *o, bool filter, struct run_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->format = o->format;
	ro->style = o->style;
	ro->draw = !o->record_only;
	ro->out_path = o->out_path;
	ro->write_path = o->write_path;
	ro->no_color = o->no_color;
	ro->sink.relative_seq = o->relative_seq;
	ro->sink.explain = o->explain;
	ro->sink.pace_ms = o->pace_ms;
	ro->sink.width = o->width;
	ro->track.all_rows = o->verbose;
	ro->stats = o->stats;
	ro->track.select.slower_ns = o->slower_ns;
	ro->track.select.rst_only = o->rst_only;
	/* the formats that write a connection while it lasts take its events
	 * as the process filter passed them; the others are told its owners */
	if (o->format != FORMAT_STREAM && o->format != FORMAT_JSONL && o->format != FORMAT_PCAPNG)
		memcpy(ro->track.select.comm, o->comm, sizeof(o->comm));
	ro->msg = stderr;
	if (filter) {
		memcpy(ro->filter.ports, o->ports, sizeof(ro->filter.ports));
		ro->filter.nports = o->nports;
		ro->filter.pid = o->pid;
		ro->filter.family = o->family;
		memcpy(ro->filter.comm, o->comm, sizeof(o->comm));
	}
}
