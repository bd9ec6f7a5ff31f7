/* The sink a run asks for (sink_select.h). */
#include "export/exports.h"
#include "render/sinks.h"
#include "render/views.h"
#include "run/sink_select.h"

struct syn_sink *sink_for_format(enum out_format format, enum ladder_style style,
				 const struct sink_opts *so)
{
	switch (format) {
	case FORMAT_STREAM:
		return stream_sink_new(so);
	case FORMAT_JSONL:
		return jsonl_sink_new(so);
	case FORMAT_HTML:
		return html_sink_new(so);
	case FORMAT_MERMAID:
		return mermaid_sink_new(so);
	case FORMAT_PCAPNG:
		return pcapng_sink_new(so);
	case FORMAT_TABLE:
		return table_sink_new(so);
	case FORMAT_STATS:
		return stats_sink_new(so);
	case FORMAT_TOP:
		return top_sink_new(so);
	default:
		return style == STYLE_RFC ? rfc_sink_new(so) : ladder_sink_new(so);
	}
}
