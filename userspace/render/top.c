/* The live view (views.h, --top): a screen a second, redrawn in place.
 *
 *   synscope --top  22:39:18 UTC  every 1 s, Ctrl-C ends
 *   last 1.00 s: 812.0 new connections/s, 810.0 ended/s, 3.0 resets/s, 1.0 retransmissions/s
 *   open: 57 connections; their ends: SYN_SENT 2, ESTABLISHED 80, ...; TIME-WAIT 30
 *
 *   PROCESS                     CONNS   SYN  ESTAB CLOSING TIME-WAIT
 *   nginx/812                      40     0     38       2       120
 *
 *   slowest handshakes of the last 1.00 s (the client's SYN -> SYN-ACK) ...
 *
 * Everything is counted from the events as they come (event()): a
 * connection's ends are in the state the kernel last reported; an end left
 * in TIME-WAIT when its connection finished counts for 2MSL (60 s) after
 * that, with the process it belonged to. Resets are RST segments, counted
 * once where they left (or arrived, from a peer not on this host);
 * retransmissions are this host's kernel's. Frames go by the source's
 * clock (clock()), so a test can drive them with ticks. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "base/hmap.h"
#include "base/names.h"
#include "render/proc_table.h"
#include "render/text_event.h"
#include "render/text_time.h"
#include "render/views.h"
#include "track/tracker.h"

#define TOP_FRAME_NS 1000000000ull
#define TOP_SLOW 5               /* slowest handshakes listed */
#define TOP_TW_MAX 131072        /* TIME-WAIT ends followed after their connection */
#define TOP_PROCS 4096           /* processes told apart on a screen */
#define TOP_FIXED_LINES 10       /* the lines around the process list */

enum top_group { G_SYN, G_ESTAB, G_CLOSING, G_TW, G_N };

struct top_conn {
	__u8 state[2];               /* by role: client, server; the kernel's last word */
	__u32 pid[2];
	char comm[2][SYN_COMM_LEN];
	__u64 syn_tx_ts;             /* the client's first SYN left then */
	bool timed;                  /* its handshake is counted */
};

struct top_tw {
	__u64 until;
	__u32 pid;
	char comm[SYN_COMM_LEN];
};

struct top_slow {
	__u64 id;
	__s64 ns;
	char client[48], server[ADDR_STR_LEN + 48];
};

struct top_proc {
	struct proc_id id;
	__u64 conns, ends[G_N];
};

struct top_sink {
	struct syn_sink base;
	struct sink_opts opts;
	struct hmap conns;           /* conn id -> struct top_conn */
	struct top_tw *tw;           /* a ring of TIME-WAIT ends, oldest first */
	size_t tw_head, tw_n;
	__u64 tw_dropped;            /* ends past TOP_TW_MAX, no longer followed */
	__u64 last_frame, lost;
	__u64 new_conns, ended, resets, rtx; /* since the last frame */
	struct top_slow slow[TOP_SLOW];
	int nslow;
	bool screen_on;
};

/* ---- counting from the events ------------------------------------------- */

static int role_of(const struct conn *c, int end)
{
	enum conn_role r = c->end[end].role;

	return r == ROLE_CLIENT ? 0 : r == ROLE_SERVER ? 1 : end;
}

/* The state an end is in as far as the kernel said: a full socket handed to
 * a timewait socket is still closing (FIN-WAIT-2) or in TIME-WAIT. */
static __u8 live_state(const struct syn_state *s)
{
	if (s->newstate == ST_CLOSE && s->oldstate == ST_FIN_WAIT2)
		return ST_FIN_WAIT2;
	if (s->newstate == ST_CLOSE && s->oldstate == ST_CLOSING)
		return ST_TIME_WAIT;
	return s->newstate;
}

static void note_slow(struct top_sink *ts, const struct conn *c, __s64 ns)
{
	struct top_slow *s;
	int at = ts->nslow;

	while (at > 0 && ts->slow[at - 1].ns < ns)
		at--;
	if (at >= TOP_SLOW)
		return;
	if (ts->nslow < TOP_SLOW)
		ts->nslow++;
	memmove(&ts->slow[at + 1], &ts->slow[at], (size_t)(ts->nslow - 1 - at) * sizeof(*s));
	s = &ts->slow[at];
	s->id = c->id;
	s->ns = ns;
	txt_proc(c->end[0].pid, c->end[0].comm, s->client, sizeof(s->client));
	endpoint_str(c->end[1].family, c->end[1].addr, c->end[1].port, s->server, sizeof(s->server));
}

static void top_segment(struct top_sink *ts, struct top_conn *tc, const struct conn *c,
			const struct syn_event *e, int end, int role)
{
	const struct syn_segment *g = &e->seg;
	int sender = g->dir == SYN_DIR_TX ? end : !end;

	if ((g->flags & SYN_TCP_RST) && (g->dir == SYN_DIR_TX || !c->end[sender].traced))
		ts->resets++;
	if (role != 0)
		return;
	if ((g->flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == SYN_TCP_SYN && g->dir == SYN_DIR_TX &&
	    !tc->syn_tx_ts)
		tc->syn_tx_ts = e->ts_ns;
	if ((g->flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == (SYN_TCP_SYN | SYN_TCP_ACK) &&
	    g->dir == SYN_DIR_RX && tc->syn_tx_ts && !tc->timed) {
		tc->timed = true;
		note_slow(ts, c, (__s64)(e->ts_ns - tc->syn_tx_ts));
	}
}

static struct top_conn *top_conn_of(struct top_sink *ts, const struct conn *c)
{
	struct top_conn *tc = hmap_get(&ts->conns, c->id);

	if (tc)
		return tc;
	tc = calloc(1, sizeof(*tc));
	if (tc && hmap_put(&ts->conns, c->id, tc)) {
		free(tc);
		tc = NULL;
	}
	if (tc)
		ts->new_conns++;
	return tc;
}

static void top_event(struct syn_sink *s, const struct syn_event *e, const struct conn *c,
		      int end)
{
	struct top_sink *ts = (struct top_sink *)s;
	struct top_conn *tc;
	int role;

	if (e->kind == SYN_EV_LOST)
		ts->lost += e->lost.count;
	if (!c || (end != 0 && end != 1) || c->continued || !(tc = top_conn_of(ts, c)))
		return;
	role = role_of(c, end);
	if (c->end[end].pid) {
		tc->pid[role] = c->end[end].pid;
		memcpy(tc->comm[role], c->end[end].comm, SYN_COMM_LEN);
	}
	if (e->kind == SYN_EV_STATE)
		tc->state[role] = live_state(&e->state);
	else if (e->kind == SYN_EV_SEGMENT)
		top_segment(ts, tc, c, e, end, role);
	else if (e->kind == SYN_EV_RETRANSMIT)
		ts->rtx++;
}

static void tw_push(struct top_sink *ts, __u64 until, const struct conn_end *e)
{
	struct top_tw *w;

	if (!ts->tw && !(ts->tw = calloc(TOP_TW_MAX, sizeof(*ts->tw))))
		return;
	if (ts->tw_n == TOP_TW_MAX) { /* the oldest is no longer followed: said on screen */
		ts->tw_head = (ts->tw_head + 1) % TOP_TW_MAX;
		ts->tw_n--;
		ts->tw_dropped++;
	}
	w = &ts->tw[(ts->tw_head + ts->tw_n++) % TOP_TW_MAX];
	w->until = until;
	w->pid = e->pid;
	memcpy(w->comm, e->comm, SYN_COMM_LEN);
}

static void top_conn_done(struct syn_sink *s, const struct conn *c)
{
	struct top_sink *ts = (struct top_sink *)s;

	if (c->continued)
		return;
	free(hmap_del(&ts->conns, c->id));
	ts->ended++;
	for (int i = 0; i < 2; i++)
		if (c->end[i].state == ST_TIME_WAIT && c->end[i].tw_since)
			tw_push(ts, c->end[i].tw_since + TIME_WAIT_NS, &c->end[i]);
}

/* ---- the screen ------------------------------------------------------------- */

static enum top_group group_of(__u8 state)
{
	switch (state) {
	case ST_ESTABLISHED:
		return G_ESTAB;
	case ST_TIME_WAIT:
		return G_TW;
	case ST_FIN_WAIT1: case ST_FIN_WAIT2: case ST_CLOSE_WAIT: case ST_LAST_ACK:
	case ST_CLOSING: case ST_CLOSE:
		return G_CLOSING;
	default:
		return G_SYN;
	}
}

static struct top_proc *proc_of(struct hmap *m, __u32 pid, const char comm[SYN_COMM_LEN])
{
	return (struct top_proc *)proc_table_get(m, pid, comm, TOP_PROCS, sizeof(struct top_proc));
}

/* The processes' ends by state, the ends by state, into procs and by_state. */
static void tally(const struct top_sink *ts, struct hmap *procs, __u64 by_state[ST_NEW_SYN_RECV + 1])
{
	for (size_t i = 0; i < ts->conns.cap; i++) {
		const struct top_conn *tc = ts->conns.vals[i];

		for (int r = 0; tc && r < 2; r++) {
			struct top_proc *p = tc->pid[r] ? proc_of(procs, tc->pid[r], tc->comm[r]) : NULL;

			if (tc->state[r] <= ST_NEW_SYN_RECV)
				by_state[tc->state[r]]++;
			if (!p)
				continue;
			p->ends[group_of(tc->state[r])]++;
			if (r == 0 || tc->pid[0] != tc->pid[1] || memcmp(tc->comm[0], tc->comm[1], 16))
				p->conns++;
		}
	}
	for (size_t i = 0; i < ts->tw_n; i++) {
		const struct top_tw *w = &ts->tw[(ts->tw_head + i) % TOP_TW_MAX];
		struct top_proc *p = w->pid ? proc_of(procs, w->pid, w->comm) : NULL;

		if (p)
			p->ends[G_TW]++;
	}
}

static int proc_cmp(const void *pa, const void *pb)
{
	const struct top_proc *a = *(struct top_proc *const *)pa, *b = *(struct top_proc *const *)pb;
	__u64 wa = a->conns + a->ends[G_TW], wb = b->conns + b->ends[G_TW];

	if (wa != wb)
		return wa > wb ? -1 : 1;
	return a->id.pid < b->id.pid ? -1 : a->id.pid > b->id.pid;
}

/* One screen line: the text, then "erase to the end of the line". */
#define LINE(f, ...) (fprintf(f, __VA_ARGS__), fputs("\033[K\n", f))

static void print_procs(struct top_sink *ts, struct hmap *procs, int room)
{
	struct top_proc **v = calloc(procs->len + 1, sizeof(*v));
	FILE *f = ts->opts.out;
	size_t n = 0;
	char proc[48];

	LINE(f, "%-24s %8s %6s %6s %8s %10s", "PROCESS", "CONNS", "SYN", "ESTAB", "CLOSING",
	     "TIME-WAIT");
	if (!v)
		return;
	for (size_t i = 0; i < procs->cap; i++)
		if (procs->vals[i])
			v[n++] = procs->vals[i];
	qsort(v, n, sizeof(*v), proc_cmp);
	for (size_t i = 0; i < n && (int)i < room; i++)
		LINE(f, "%-24s %8llu %6llu %6llu %8llu %10llu",
		     txt_proc(v[i]->id.pid, v[i]->id.comm, proc, sizeof(proc)),
		     (unsigned long long)v[i]->conns, (unsigned long long)v[i]->ends[G_SYN],
		     (unsigned long long)v[i]->ends[G_ESTAB], (unsigned long long)v[i]->ends[G_CLOSING],
		     (unsigned long long)v[i]->ends[G_TW]);
	if ((int)n > room)
		LINE(f, "(%zu more processes: a taller terminal shows them)", n - (size_t)room);
	free(v);
}

static void print_states(FILE *f, const struct top_sink *ts, const __u64 *by_state)
{
	fprintf(f, "open: %zu connection%s; their ends:", ts->conns.len, ts->conns.len == 1 ? "" : "s");
	for (unsigned int st = 1; st <= ST_NEW_SYN_RECV; st++)
		if (by_state[st])
			fprintf(f, " %s %llu", tcp_state_name(st), (unsigned long long)by_state[st]);
	if (by_state[0])
		fprintf(f, " (no state yet) %llu", (unsigned long long)by_state[0]);
	LINE(f, "; TIME-WAIT after the end: %zu%s", ts->tw_n,
	     ts->tw_dropped ? " (the oldest no longer followed)" : "");
}

static void print_slow(FILE *f, const struct top_sink *ts, double secs)
{
	char ms[24];

	LINE(f, "slowest handshakes of the last %.2f s (the client's SYN -> SYN-ACK, ms):", secs);
	if (!ts->nslow)
		LINE(f, "  none measured (no client on this host finished a handshake)");
	for (int i = 0; i < ts->nslow; i++)
		LINE(f, "  %10s  conn %-8llu %-24s -> %s", txt_ms(ts->slow[i].ns, ms, sizeof(ms)),
		     (unsigned long long)ts->slow[i].id, ts->slow[i].client, ts->slow[i].server);
}

static int screen_rows(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 12)
		return ws.ws_row;
	return 24;
}

static void top_frame(struct top_sink *ts, __u64 now)
{
	FILE *f = ts->opts.out;
	double secs = (double)(now - ts->last_frame) / 1e9;
	__u64 by_state[ST_NEW_SYN_RECV + 1] = { 0 };
	struct hmap procs = { 0 };
	char when[40];

	if (!ts->screen_on) {
		fputs("\033[?1049h\033[?25l", f); /* the alternate screen, no cursor */
		ts->screen_on = true;
	}
	fputs("\033[H", f);
	txt_wall_utc((__s64)now + ts->opts.wall_offset_ns, when, sizeof(when));
	LINE(f, "synscope --top  %.19s UTC  every 1 s, Ctrl-C ends%s", when,
	     ts->lost ? "  (EVENTS LOST: counts are short)" : "");
	if (secs <= 0)
		secs = 1;
	LINE(f, "last %.2f s: %.1f new connections/s, %.1f ended/s, %.1f resets/s, "
	     "%.1f retransmissions/s", secs, (double)ts->new_conns / secs, (double)ts->ended / secs,
	     (double)ts->resets / secs, (double)ts->rtx / secs);
	tally(ts, &procs, by_state);
	print_states(f, ts, by_state);
	LINE(f, "%s", "");
	print_procs(ts, &procs, screen_rows(f) - TOP_FIXED_LINES - ts->nslow);
	LINE(f, "%s", "");
	print_slow(f, ts, secs);
	fputs("\033[J", f); /* erase what the last screen had below */
	fflush(f);
	for (size_t i = 0; i < procs.cap; i++)
		free(procs.vals[i]);
	hmap_free(&procs);
	ts->new_conns = ts->ended = ts->resets = ts->rtx = 0;
	ts->nslow = 0;
	ts->last_frame = now;
}

static void top_clock(struct syn_sink *s, __u64 now)
{
	struct top_sink *ts = (struct top_sink *)s;

	while (ts->tw_n && ts->tw[ts->tw_head].until <= now) {
		ts->tw_head = (ts->tw_head + 1) % TOP_TW_MAX;
		ts->tw_n--;
	}
	if (!ts->last_frame)
		ts->last_frame = now; /* the first second begins */
	else if (now - ts->last_frame >= TOP_FRAME_NS)
		top_frame(ts, now);
}

/* The terminal as it was: the normal screen, the cursor. */
static void top_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct top_sink *ts = (struct top_sink *)s;

	(void)sum; /* the run says the summary line on the normal screen */
	if (ts->screen_on)
		fputs("\033[?25h\033[?1049l", ts->opts.out);
	ts->screen_on = false;
	fflush(ts->opts.out);
}

static void top_destroy(struct syn_sink *s)
{
	struct top_sink *ts = (struct top_sink *)s;

	top_finish(s, NULL);
	for (size_t i = 0; i < ts->conns.cap; i++)
		free(ts->conns.vals[i]);
	hmap_free(&ts->conns);
	free(ts->tw);
	free(ts);
}

struct syn_sink *top_sink_new(const struct sink_opts *o)
{
	struct top_sink *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->base = (struct syn_sink){
		.event = top_event,
		.conn_done = top_conn_done,
		.finish = top_finish,
		.destroy = top_destroy,
		.clock = top_clock,
		.every_conn = true,
	};
	ts->opts = *o;
	return &ts->base;
}
