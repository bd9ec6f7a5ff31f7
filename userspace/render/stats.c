/* Statistics of the connections that finished (views.h): how they ended,
 * log2 histograms of their timings and sizes, the processes and ports with
 * the most, resets and drops by reason, retransmissions. Exact counts of
 * every connection's facts (track/conn_facts.h), said at the end and on
 * each report() while tracing goes on. */
#include <stdlib.h>
#include <string.h>
#include "base/hmap.h"
#include "base/names.h"
#include "base/strbuf.h"
#include "render/hist.h"
#include "render/proc_table.h"
#include "render/text_event.h"
#include "render/views.h"
#include "track/conn_facts.h"

#define STATS_TOP 10          /* processes and ports listed */
#define STATS_PROCS 65536     /* processes told apart; the rest are counted together */
#define STATS_REASONS 256     /* reset and drop reasons told apart */

struct proc_count {
	struct proc_id id;
	__u64 conns;
};

struct reason_counts {
	__u64 n[STATS_REASONS];
	__u64 other;          /* a value past STATS_REASONS, or past a connection's own list */
};

struct stats_sink {
	struct syn_sink base;
	struct sink_opts opts;
	__u64 conns, continued;
	__u64 outcome[OUT_N];
	struct log2_hist syn_synack, connect, accept, duration, bytes[2];
	struct hmap procs;    /* pid and name -> struct proc_count */
	__u64 procs_other;    /* connection ends of processes past STATS_PROCS */
	__u64 ports[65536];   /* connections by the server's port */
	struct reason_counts rsts, drops, drops_outside;
	__u64 rsts_peer;
	__u64 segs[2], rtx[2], kernel_rtx;
};

/* ---- counting ----------------------------------------------------------- */

static void add_span(struct log2_hist *h, __s64 ns, __u64 unit_ns)
{
	if (ns < 0)
		h->unknown++;
	else
		hist_add(h, (__u64)ns / unit_ns);
}

static void count_reasons(struct reason_counts *rc, const struct facts_reason *r, __u64 other)
{
	for (int i = 0; i < FACTS_REASONS && r[i].count; i++) {
		if (r[i].reason < STATS_REASONS)
			rc->n[r[i].reason] += r[i].count;
		else
			rc->other += r[i].count;
	}
	rc->other += other;
}

static void count_proc(struct stats_sink *ss, const struct conn_end *e)
{
	struct proc_count *p = (struct proc_count *)proc_table_get(&ss->procs, e->pid, e->comm,
								    STATS_PROCS, sizeof(*p));

	if (p)
		p->conns++;
	else
		ss->procs_other++;
}

static void stats_conn_done(struct syn_sink *s, const struct conn *c)
{
	struct stats_sink *ss = (struct stats_sink *)s;
	const struct conn_facts *f = c->facts;

	if (c->continued) { /* late rows of a connection already counted */
		ss->continued++;
		return;
	}
	ss->conns++;
	ss->outcome[f->outcome < OUT_N ? f->outcome : OUT_CLOSED]++;
	add_span(&ss->syn_synack, f->syn_synack_ns, 1000);
	add_span(&ss->connect, f->connect_ns, 1000);
	add_span(&ss->accept, f->accept_ns, 1000);
	add_span(&ss->duration, f->duration_ns, 1000000);
	for (int i = 0; i < 2; i++) {
		hist_add(&ss->bytes[i], f->bytes[i]);
		ss->segs[i] += f->segs[i];
		ss->rtx[i] += f->rtx[i];
		ss->kernel_rtx += f->kernel_rtx[i];
		if (c->end[i].pid)
			count_proc(ss, &c->end[i]);
	}
	ss->ports[c->end[1].port]++;
	count_reasons(&ss->rsts, f->rsts, f->rsts_other);
	count_reasons(&ss->drops, f->drops, f->drops_other);
	ss->rsts_peer += f->rsts_peer;
}

/* Drops outside any connection (a segment of no connection synscope holds). */
static void stats_event(struct syn_sink *s, const struct syn_event *e, const struct conn *c,
			int end)
{
	struct stats_sink *ss = (struct stats_sink *)s;
	struct facts_reason r = { e->drop.reason, 1 };

	(void)end;
	if (!c && e->kind == SYN_EV_DROP)
		count_reasons(&ss->drops_outside, &r, 0);
}

/* ---- saying it ------------------------------------------------------------ */

static void print_hist(FILE *f, const char *title, const struct log2_hist *h, const char *unit)
{
	fprintf(f, "\n%s: %llu connection%s", title, (unsigned long long)h->n, h->n == 1 ? "" : "s");
	if (h->unknown)
		fprintf(f, " (%llu more without one)", (unsigned long long)h->unknown);
	fputs("\n", f);
	hist_print(f, h, unit);
}

static int proc_cmp(const void *pa, const void *pb)
{
	const struct proc_count *a = *(struct proc_count *const *)pa;
	const struct proc_count *b = *(struct proc_count *const *)pb;

	if (a->conns != b->conns)
		return a->conns > b->conns ? -1 : 1;
	return a->id.pid < b->id.pid ? -1 : a->id.pid > b->id.pid;
}

static void print_top_procs(FILE *f, const struct stats_sink *ss)
{
	struct proc_count **v = calloc(ss->procs.len + 1, sizeof(*v));
	size_t n = 0;
	char proc[48];

	if (!v)
		return;
	for (size_t i = 0; i < ss->procs.cap; i++)
		if (ss->procs.vals[i])
			v[n++] = ss->procs.vals[i];
	qsort(v, n, sizeof(*v), proc_cmp);
	fprintf(f, "\nprocesses with the most connections (either end; %zu process%s):\n", n,
		n == 1 ? "" : "es");
	for (size_t i = 0; i < n && i < STATS_TOP; i++)
		fprintf(f, "  %10llu  %s\n", (unsigned long long)v[i]->conns,
			txt_proc(v[i]->id.pid, v[i]->id.comm, proc, sizeof(proc)));
	if (ss->procs_other)
		fprintf(f, "  %10llu  (ends of processes past %d, not told apart)\n",
			(unsigned long long)ss->procs_other, STATS_PROCS);
	free(v);
}

static void print_top_ports(FILE *f, const struct stats_sink *ss)
{
	int top[STATS_TOP], ntop = 0;

	/* the STATS_TOP largest counts, lower ports first among equals */
	for (int p = 0; p < 65536; p++) {
		int at = ntop;

		if (!ss->ports[p])
			continue;
		while (at > 0 && ss->ports[top[at - 1]] < ss->ports[p])
			at--;
		if (at >= STATS_TOP)
			continue;
		if (ntop < STATS_TOP)
			ntop++;
		memmove(top + at + 1, top + at, (size_t)(ntop - 1 - at) * sizeof(top[0]));
		top[at] = p;
	}
	fprintf(f, "\nserver ports with the most connections:\n");
	for (int i = 0; i < ntop; i++)
		fprintf(f, "  %10llu  %d\n", (unsigned long long)ss->ports[top[i]], top[i]);
}

/* "NO_SOCKET 3, TCP_ABORT_ON_CLOSE 1" or "none" */
static void print_reasons(FILE *f, const struct reason_counts *rc,
			  const char *(*name)(unsigned int reason))
{
	bool any = false;

	for (unsigned int r = 0; r < STATS_REASONS; r++) {
		const char *nm = name(r);

		if (!rc->n[r])
			continue;
		if (nm)
			fprintf(f, "%s %s %llu", any ? "," : "", nm, (unsigned long long)rc->n[r]);
		else
			fprintf(f, "%s reason %u %llu", any ? "," : "", r, (unsigned long long)rc->n[r]);
		any = true;
	}
	if (rc->other)
		fprintf(f, "%s other reasons %llu", any ? "," : "", (unsigned long long)rc->other);
	if (!any && !rc->other)
		fputs(" none", f);
	fputc('\n', f);
}

static void print_outcomes(FILE *f, const struct stats_sink *ss)
{
	static const enum conn_outcome order[] = {
		OUT_FIN, OUT_RST, OUT_REFUSED, OUT_TIMEOUT, OUT_UNREACHABLE, OUT_CLOSED,
		OUT_EVICTED, OUT_OPEN,
	};

	fputs("by how they ended:", f);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		fprintf(f, "%s %s %llu", i ? "," : "", facts_outcome_name(order[i]),
			(unsigned long long)ss->outcome[order[i]]);
	fputc('\n', f);
}

static void stats_print(struct stats_sink *ss, const struct run_summary *sum, bool final)
{
	FILE *f = ss->opts.out;

	fprintf(f, "%s: %llu connection%s ended", final ? "statistics" : "statistics so far (SIGUSR1)",
		(unsigned long long)ss->conns, ss->conns == 1 ? "" : "s");
	if (!final)
		fprintf(f, ", %llu open now (counted when they end)", (unsigned long long)sum->open);
	if (ss->continued)
		fprintf(f, ", %llu late continuation%s of them (not counted again)",
			(unsigned long long)ss->continued, ss->continued == 1 ? "" : "s");
	if (sum->unselected)
		fprintf(f, "; %llu more not chosen (--slower, --rst, --comm)",
			(unsigned long long)sum->unselected);
	if (sum->lost)
		fprintf(f, "; %llu events LOST: the counts may be short", (unsigned long long)sum->lost);
	fputc('\n', f);
	print_outcomes(f, ss);
	print_hist(f, "connect latency, the client's SYN -> SYN-ACK", &ss->syn_synack, "usecs");
	print_hist(f, "connect() called -> returned (non-blocking: -> established)", &ss->connect,
		   "usecs");
	print_hist(f, "accept wait, handshake done -> accept() returned", &ss->accept, "usecs");
	print_hist(f, "duration, first SYN -> last segment", &ss->duration, "msecs");
	print_hist(f, "bytes client -> server", &ss->bytes[0], "bytes");
	print_hist(f, "bytes server -> client", &ss->bytes[1], "bytes");
	print_top_procs(f, ss);
	print_top_ports(f, ss);
	fputs("\nresets sent by this host, by reason:", f);
	print_reasons(f, &ss->rsts, rst_reason_name);
	fprintf(f, "resets from peers not on this host (no reason given): %llu\n",
		(unsigned long long)ss->rsts_peer);
	fputs("drops in connections, by reason:", f);
	print_reasons(f, &ss->drops, drop_reason_name);
	fputs("drops outside any connection, by reason:", f);
	print_reasons(f, &ss->drops_outside, drop_reason_name);
	fprintf(f, "retransmitted segments: client %llu, server %llu (of %llu and %llu sent); "
		"the kernel's retransmission events: %llu\n\n",
		(unsigned long long)ss->rtx[0], (unsigned long long)ss->rtx[1],
		(unsigned long long)ss->segs[0], (unsigned long long)ss->segs[1],
		(unsigned long long)ss->kernel_rtx);
}

static void stats_report(struct syn_sink *s, const struct run_summary *sum)
{
	stats_print((struct stats_sink *)s, sum, false);
}

static void stats_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct stats_sink *ss = (struct stats_sink *)s;

	stats_print(ss, sum, true);
	fflush(ss->opts.out);
}

static void stats_destroy(struct syn_sink *s)
{
	struct stats_sink *ss = (struct stats_sink *)s;

	for (size_t i = 0; i < ss->procs.cap; i++)
		free(ss->procs.vals[i]);
	hmap_free(&ss->procs);
	free(ss);
}

struct syn_sink *stats_sink_new(const struct sink_opts *o)
{
	struct stats_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->base = (struct syn_sink){
		.event = stats_event,
		.conn_done = stats_conn_done,
		.finish = stats_finish,
		.destroy = stats_destroy,
		.report = stats_report,
		.every_conn = true,
	};
	ss->opts = *o;
	return &ss->base;
}
