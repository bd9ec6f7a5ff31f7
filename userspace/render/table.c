/* The connection table (views.h): a line per finished connection, in the
 * order they finish, like bcc's tcplife, with what synscope sees of both
 * ends. docs/views.md defines every column.
 *
 * END(UTC)     CONN CLIENT           SERVER           CLIENT-ADDR     SERVER-ADDR  SYN-SA ...
 * 22:39:18.418    1 demo-client/5838 demo-server/5837 127.0.0.1:33438 127.0.0.1:9123 0.027 ...
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "base/names.h"
#include "render/text_event.h"
#include "render/text_summary.h"
#include "render/text_time.h"
#include "render/views.h"
#include "track/conn_facts.h"

#define PROC_W 22
#define ADDR_W 21

struct table_sink {
	struct syn_sink base;
	struct sink_opts opts;
};

char *table_header(char *buf, size_t len)
{
	snprintf(buf, len, "%-12s %6s %-*s %-*s %-*s %-*s %9s %9s %9s %10s %10s %6s %10s %6s %7s "
		 "%-6s %-6s %s", "END(UTC)", "CONN", PROC_W, "CLIENT", PROC_W, "SERVER", ADDR_W,
		 "CLIENT-ADDR", ADDR_W, "SERVER-ADDR", "SYN-SA", "CONNECT", "ACCEPT", "DURATION",
		 "C>S-BYTES", "SEGS", "S>C-BYTES", "SEGS", "RTX", "CLOSED", "TW", "ENDED");
	return buf;
}

/* One word: a name's spaces as '_' (awk splits on them). */
static char *one_word(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == ' ')
			*p = '_';
	return s;
}

static const char *lane_word(int lane)
{
	return lane == 0 ? "client" : lane == 1 ? "server" : "-";
}

static const char *tw_word(__u8 bits)
{
	static const char *const words[] = { "-", "client", "server", "both" };

	return words[bits & 3];
}

char *table_ended(const struct conn *c, char *buf, size_t len)
{
	const struct conn_facts *f = c->facts;
	const char *why;
	int n;

	switch (f->outcome) {
	case OUT_FIN:
		n = snprintf(buf, len, "FIN/FIN");
		break;
	case OUT_RST:
		why = f->rst_reason_lane == f->rst_lane ? rst_reason_name(f->rst_reason) : NULL;
		n = snprintf(buf, len, "RST:%s%s%s", lane_word(f->rst_lane), why ? ":" : "",
			     why ? why : "");
		break;
	case OUT_EVICTED:
		n = snprintf(buf, len, "evicted:%s", c->evicted == EVICT_CAP ? "cap" : "idle");
		break;
	default:
		n = snprintf(buf, len, "%s", facts_outcome_name(f->outcome));
		break;
	}
	if (n >= 0 && (size_t)n < len && c->proto == IPPROTO_UDP)
		n += snprintf(buf + n, len - (size_t)n, ";udp");
	if (n >= 0 && (size_t)n < len && c->maybe_lost)
		snprintf(buf + n, len - (size_t)n, ";events-lost");
	return buf;
}

char *table_line(const struct conn *c, __s64 wall_offset_ns, char *buf, size_t len)
{
	const struct conn_facts *f = c->facts;
	char when[24], id[24], proc[2][48], ep[2][ADDR_STR_LEN], ms[4][24], rtx[48], ended[96];

	txt_clock_utc((__s64)f->last_ts + wall_offset_ns, when, sizeof(when));
	snprintf(id, sizeof(id), "%llu%s", (unsigned long long)c->id, c->continued ? "+" : "");
	for (int i = 0; i < 2; i++) {
		one_word(txt_end_proc(&c->end[i], proc[i], sizeof(proc[i])));
		endpoint_str(c->end[i].family, c->end[i].addr, c->end[i].port, ep[i], sizeof(ep[i]));
	}
	txt_ms(f->syn_synack_ns, ms[0], sizeof(ms[0]));
	txt_ms(f->connect_ns, ms[1], sizeof(ms[1]));
	txt_ms(f->accept_ns, ms[2], sizeof(ms[2]));
	txt_ms(f->duration_ns, ms[3], sizeof(ms[3]));
	snprintf(rtx, sizeof(rtx), "%llu/%llu", (unsigned long long)f->rtx[0],
		 (unsigned long long)f->rtx[1]);
	snprintf(buf, len, "%-12s %6s %-*s %-*s %-*s %-*s %9s %9s %9s %10s %10llu %6llu %10llu %6llu "
		 "%7s %-6s %-6s %s", when, id, PROC_W, proc[0], PROC_W, proc[1], ADDR_W, ep[0],
		 ADDR_W, ep[1], ms[0], ms[1], ms[2], ms[3], (unsigned long long)f->bytes[0],
		 (unsigned long long)f->segs[0], (unsigned long long)f->bytes[1],
		 (unsigned long long)f->segs[1], rtx, lane_word(f->closed_first),
		 tw_word(f->time_wait), table_ended(c, ended, sizeof(ended)));
	return buf;
}

static void table_conn_done(struct syn_sink *s, const struct conn *c)
{
	struct table_sink *ts = (struct table_sink *)s;
	char line[TABLE_LINE_MAX];

	/* no flush: the poll loop commits the output every few ms */
	fprintf(ts->opts.out, "%s\n", table_line(c, ts->opts.wall_offset_ns, line, sizeof(line)));
}

static void table_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct table_sink *ts = (struct table_sink *)s;

	txt_summary(ts->opts.out, sum);
	fflush(ts->opts.out);
}

static void table_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *table_sink_new(const struct sink_opts *o)
{
	struct table_sink *ts = calloc(1, sizeof(*ts));
	char head[TABLE_LINE_MAX];

	if (!ts)
		return NULL;
	ts->base = (struct syn_sink){
		.conn_done = table_conn_done,
		.finish = table_finish,
		.destroy = table_destroy,
		.every_conn = true, /* a flood's half-open connections each have their line */
	};
	ts->opts = *o;
	fprintf(o->out, "%s\n", table_header(head, sizeof(head)));
	return &ts->base;
}
