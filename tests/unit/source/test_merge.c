/* synscope merge without root: real two-namespace recordings split into the
 * two hosts' views (by namespace, as each host would have recorded), one
 * host's clock moved by a known amount, merged again: the offset must come
 * out within 1 ms, every segment must arrive after it was sent, and the
 * JSONL must be the unsplit recording's, each host's lines moved by one
 * amount (0 for A, whose clock is the output's). Then the corners: two hosts
 * with the same namespace and thread numbers, kernels that number reasons
 * differently, inputs that overlap or share nothing, the command line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdint.h>
#include <unistd.h>
#include "events.h"
#include "record/rec_write.h"
#include "source/file/jsonl_read.h"
#include "source/file/merge.h"
#include "cli/merge_cli.h"
#include "recdata.h"
#include "test.h"

#define S 1000000000ll
#define SHIFT_TS (3 * S + S / 2)   /* B's clock 3.5 s ahead */
#define SHIFT_WALL (-8 * S / 10)   /* B's clock 0.8 s behind */
#define TOLERANCE (1000000ll)      /* the estimate, within 1 ms */

static char dir[64];

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* ---- splitting a real recording into two hosts --------------------------- */

static bool is_addr(const struct syn_event *e, const char *v4, const char *v6)
{
	__u8 a[16] = { 0 };

	if (e->family == AF_INET)
		inet_pton(AF_INET, v4, a);
	else if (e->family == AF_INET6)
		inet_pton(AF_INET6, v6, a);
	else
		return false;
	return !memcmp(e->saddr, a, 16);
}

static bool of_client_host(const struct syn_event *e)
{
	return is_addr(e, "10.99.0.1", "fd99::1");
}

/* host 0: the client's namespace, 1: the server's. Events without a
 * namespace go by address; lost counts and clock ticks to both. */
static size_t split(const struct recdata *d, int host, struct syn_event *out)
{
	__u32 client_ns = 0;
	size_t n = 0;

	for (size_t i = 0; i < d->n && !client_ns; i++)
		if (d->ev[i].netns && of_client_host(&d->ev[i]))
			client_ns = d->ev[i].netns;
	for (size_t i = 0; i < d->n; i++) {
		const struct syn_event *e = &d->ev[i];
		bool a = e->netns ? e->netns == client_ns : of_client_host(e);

		if (e->kind == SYN_EV_LOST || e->kind == SYN_EV_TICK || a == (host == 0))
			out[n++] = *e;
	}
	return n;
}

static bool write_rec(const char *path, const struct rec_header *h0, __s64 wall_shift,
		      const struct syn_event *ev, size_t n, __s64 ts_shift)
{
	struct rec_header h = *h0;
	struct rec_writer *w;
	char err[256];

	h.wall_offset_ns += wall_shift;
	w = rec_writer_open(path, &h, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "  %s: %s\n", path, err);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		struct syn_event e = ev[i];

		e.ts_ns += (__u64)ts_shift;
		rec_writer_event(w, &e);
	}
	return rec_writer_close(w, NULL, err, sizeof(err)) == 0;
}

static bool write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

/* ---- comparing JSONL modulo one shift per host --------------------------- */

struct line_info {
	char *rest;       /* the line without its t_ns */
	__s64 t;
	int host;         /* 0, 1, or -1 when the line does not say */
};

/* Both hosts' halves of the recording, each in an array of its own. */
static void split_hosts(const struct recdata *d, struct syn_event *ev[2], size_t n[2])
{
	for (int h = 0; h < 2; h++) {
		ev[h] = malloc(d->n * sizeof(*ev[h]));
		if (!ev[h])
			abort();
		n[h] = split(d, h, ev[h]);
	}
}

/* Take ,"key":VALUE out of line l (VALUE without commas). */
static void strip_field(char *l, const char *key)
{
	char *at = strstr(l, key), *end;

	if (!at || at == l || at[-1] != ',')
		return;
	end = strchr(at, ',');
	end = end ? end : strchr(at, '}');
	if (end)
		memmove(at - 1, end, strlen(end) + 1);
}

static size_t split_lines(char *text, struct line_info *out, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save)) {
		struct jsonl_rec r;
		char err[256], *t = strstr(l, "\"t_ns\":"), *comma;

		out[n].host = -1;
		out[n].t = t ? strtoll(t + 7, NULL, 10) : -1;
		if (!jsonl_parse_line(l, strlen(l), &r, err, sizeof(err)) && r.ev.family &&
		    (r.ev.saddr[0] || r.ev.saddr[15]))
			out[n].host = of_client_host(&r.ev) ? 0 : 1;
		/* a connection line's start, end and duration can span both
		 * hosts' clocks: the rest of it must be the same */
		if (strstr(l, "\"kind\":\"connection\"")) {
			out[n].host = -1;
			strip_field(l, "\"start_t_ns\":");
			strip_field(l, "\"duration_ns\":");
		}
		comma = t ? strchr(t, ',') : NULL;
		if (comma)
			memmove(t, comma + 1, strlen(comma + 1) + 1);
		out[n++].rest = l;
	}
	return n;
}

/* The same lines but for t_ns; the lines of host exact (0 client, 1
 * server) moved by exact_shift, the other host's all by one amount,
 * returned in *other_shift. */
static bool same_modulo_shift(char *ref, char *got, int exact, __s64 exact_shift,
			      __s64 *other_shift, const char *what)
{
	static struct line_info lr[512], lg[512];
	size_t nr = split_lines(ref, lr, 512), ng = split_lines(got, lg, 512);
	bool have_other = false, ok = true;

	if (!CHECK_EQ_INT(ng, nr)) {
		fprintf(stderr, "  %s\n", what);
		return false;
	}
	for (size_t i = 0; i < nr && ok; i++) {
		__s64 d = lg[i].t - lr[i].t;

		if (!CHECK_EQ_STR(lg[i].rest, lr[i].rest)) {
			ok = false;
		} else if (lr[i].host == exact) {
			ok = CHECK_EQ_INT(d, exact_shift);
		} else if (lr[i].host >= 0) {
			if (!have_other)
				*other_shift = d;
			have_other = true;
			ok = CHECK_EQ_INT(d, *other_shift);
		}
		if (!ok)
			fprintf(stderr, "  %s, line %zu\n", what, i + 1);
	}
	return ok && CHECK(have_other);
}

/* Every segment received after it was sent, on the merged clock. */
static void check_send_before_receive(const struct keep_sink *k, const char *what)
{
	int pairs = 0;

	for (int c = 0; c < k->nconns; c++) {
		const struct conn *cn = &k->conns[c];

		for (size_t i = 0; i < cn->nrows; i++) {
			const struct conn_row *r = &cn->rows[i];

			if (r->ev.kind != SYN_EV_SEGMENT || r->ev.seg.dir != SYN_DIR_RX || r->pair < 0)
				continue;
			pairs++;
			if (!CHECK(cn->rows[r->pair].ev.ts_ns < r->ev.ts_ns))
				fprintf(stderr, "  %s: conn %d row %zu received before it was sent\n",
					what, c + 1, i + 1);
		}
	}
	if (!CHECK(pairs > 0))
		fprintf(stderr, "  %s: no segment seen at both ends\n", what);
}

/* Events as merge_emit lets them out. */
struct gathered {
	struct syn_event *ev;
	size_t n;
};

static void gather(void *ctx, const struct syn_event *e)
{
	struct gathered *g = ctx;

	g->ev[g->n++] = *e;
}

/* Merge two files through the library; JSONL text, the plan, the conns. */
static char *merge_files(const char *pa, const char *pb, const __s64 *offset,
			 struct merge_plan *plan, struct keep_sink *k)
{
	struct merge_input a, b;
	char err[512], *text = NULL;

	keep_init(k);
	if (!CHECK_EQ_INT(merge_input_load(&a, pa, err, sizeof(err)), 0)) {
		fprintf(stderr, "  %s\n", err);
		return NULL;
	}
	if (!CHECK_EQ_INT(merge_input_load(&b, pb, err, sizeof(err)), 0)) {
		fprintf(stderr, "  %s\n", err);
		merge_input_free(&a);
		return NULL;
	}
	if (CHECK_EQ_INT(merge_prepare(&a, &b, offset, plan, err, sizeof(err)), 0)) {
		struct gathered all = { malloc((a.n + b.n) * sizeof(*all.ev)), 0 };

		merge_emit(&a, &b, gather, &all);
		rst_reason_names_set((const char *const *)a.rst_names, REC_RST_REASONS);
		drop_reason_names_set((const char *const *)a.drop_names, REC_RST_REASONS);
		text = recdata_jsonl(all.ev, all.n, plan->wall_offset_ns, &k->s, NULL);
		free(all.ev);
	} else {
		fprintf(stderr, "  %s\n", err);
	}
	merge_input_free(&a);
	merge_input_free(&b);
	return text;
}

static void check_offset(const struct merge_plan *p, __s64 want, const char *what)
{
	__s64 off = p->clock.offset_ns - want;

	if (!CHECK(off > -TOLERANCE && off < TOLERANCE))
		fprintf(stderr, "  %s: offset %lld, want %lld\n", what,
			(long long)p->clock.offset_ns, (long long)want);
	CHECK_EQ_INT(p->clock.violations, 0);
	CHECK(p->clock.source == CLOCK_FROM_HANDSHAKES || p->clock.source == CLOCK_FROM_SEGMENTS);
}

/* One scenario: recordings, JSONL, mixed, and B first. */
static void merge_scenario(const char *name)
{
	struct recdata d;
	struct syn_event *ev[2];
	size_t n[2];
	char pa[128], pb[128], pb2[128], ja[128], jb[128], what[160];
	char *ref, *got, *text;
	struct merge_plan plan;
	struct keep_sink k;
	__s64 other_shift = 0;

	if (!CHECK(recdata_load(name, &d)))
		return;
	rst_reason_names_set((const char *const *)d.h.rst_names, REC_RST_REASONS);
	drop_reason_names_set((const char *const *)d.h.drop_names, REC_RST_REASONS);
	ref = recdata_jsonl(d.ev, d.n, d.h.wall_offset_ns, NULL, NULL);
	split_hosts(&d, ev, n);
	path_in(pa, sizeof(pa), "a.gz");
	path_in(pb, sizeof(pb), "b.gz");
	path_in(pb2, sizeof(pb2), "b-behind.gz");
	path_in(ja, sizeof(ja), "a.jsonl");
	path_in(jb, sizeof(jb), "b.jsonl");
	CHECK(write_rec(pa, &d.h, 0, ev[0], n[0], 0));
	CHECK(write_rec(pb, &d.h, 0, ev[1], n[1], SHIFT_TS));
	CHECK(write_rec(pb2, &d.h, SHIFT_WALL, ev[1], n[1], 0));
	text = recdata_jsonl(ev[0], n[0], d.h.wall_offset_ns, NULL, NULL);
	CHECK(write_text(ja, text));
	free(text);
	text = recdata_jsonl(ev[1], n[1], d.h.wall_offset_ns + SHIFT_TS, NULL, NULL);
	CHECK(write_text(jb, text));
	free(text);

	static const struct {
		const char *a, *b, *label;
		__s64 truth, a_shift; /* 2nd's clock minus 1st's; how much the 1st's lines move */
		bool b_first;
	} runs[] = {
		{ "a.gz", "b.gz", "recordings, B 3.5 s ahead", SHIFT_TS, 0, false },
		{ "a.gz", "b-behind.gz", "recordings, B 0.8 s behind", SHIFT_WALL, 0, false },
		{ "a.jsonl", "b.jsonl", "JSONL", SHIFT_TS, 0, false },
		{ "a.gz", "b.jsonl", "recording and JSONL", SHIFT_TS, 0, false },
		{ "b.gz", "a.gz", "B first: B's clock", -SHIFT_TS, SHIFT_TS, true },
	};
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		char *ref_copy = strdup(ref);

		snprintf(what, sizeof(what), "%s: %s", name, runs[r].label);
		path_in(pa, sizeof(pa), runs[r].a);
		path_in(pb, sizeof(pb), runs[r].b);
		got = merge_files(pa, pb, NULL, &plan, &k);
		if (got) {
			check_offset(&plan, runs[r].truth, what);
			check_send_before_receive(&k, what);
			/* the first input's host keeps its times (here moved by how
			 * the test moved its clock); the other's are all moved by the
			 * estimate's error, within the tolerance */
			if (same_modulo_shift(ref_copy, got, runs[r].b_first, runs[r].a_shift,
					      &other_shift, what)) {
				__s64 err = other_shift - runs[r].a_shift;

				CHECK(err > -TOLERANCE && err < TOLERANCE);
			}
		}
		free(got);
		free(ref_copy);
		keep_free(&k);
	}
	free(ref);
	free(ev[0]);
	free(ev[1]);
	recdata_free(&d);
	rst_reason_names_set(NULL, 0);
	drop_reason_names_set(NULL, 0);
}

/* Where sub first is in s; -1 when nowhere. */
__attribute__((noinline)) /* gcc 12 takes recdata_jsonl's text for a dangling pointer */
static long pos_of(const char *s, const char *sub)
{
	const char *at = s ? strstr(s, sub) : NULL;

	return at ? at - s : -1;
}

/* d's events from index from on 6 s later, and a tick every 100 ms, as a
 * live trace writes them: before the first event stamped at or after it. */
static void pause_and_tick(struct recdata *d, size_t from)
{
	const __u64 step = S / 10;
	__u64 first = d->ev[0].ts_ns, last = d->ev[d->n - 1].ts_ns + 6 * S;
	size_t cap = d->n + (last - first) / step + 2, n = 0;
	struct syn_event *out = calloc(cap, sizeof(*out));
	__u64 tick = first - first % step + step;

	for (size_t i = 0; i < d->n; i++) {
		struct syn_event e = d->ev[i];

		e.ts_ns += i >= from ? 6 * S : 0;
		for (; tick <= e.ts_ns; tick += step)
			out[n++] = (struct syn_event){ .kind = SYN_EV_TICK, .ts_ns = tick };
		out[n++] = e;
	}
	out[n++] = (struct syn_event){ .kind = SYN_EV_TICK, .ts_ns = tick };
	free(d->ev);
	d->ev = out;
	d->n = n;
}

/* The two halves of one recording merged with the true offset write its
 * JSON Lines byte for byte, also where a connection went quiet: its rows
 * go out at the first tick 2 s after its last one, and the merge follows
 * one clock, A's ticks (each half has them, as each host's tracer writes
 * its own). handshake-close, idle for 6 s after the server's accept(): the
 * connection's lines come before the listener's close() that follows. */
static void test_quiet_cut_merges_back(void)
{
	struct recdata d;
	struct syn_event *ev[2];
	size_t n[2], gap;
	char pa[128], pb[128], *ref, *got;
	struct merge_plan plan;
	struct keep_sink k;
	const __s64 offset = SHIFT_TS;

	if (!CHECK(recdata_load("handshake-close", &d)))
		return;
	gap = recdata_after_accept(&d);
	pause_and_tick(&d, gap);
	rst_reason_names_set((const char *const *)d.h.rst_names, REC_RST_REASONS);
	drop_reason_names_set((const char *const *)d.h.drop_names, REC_RST_REASONS);
	ref = recdata_jsonl(d.ev, d.n, d.h.wall_offset_ns, NULL, NULL);
	/* the quiet cut is there: the connection's first line before the listener's last */
	long first_conn = pos_of(ref, "\"conn\":1,"), close_line = pos_of(ref, "\"name\":\"close\"");

	CHECK(gap > 0 && first_conn >= 0 && close_line >= 0 && first_conn < close_line);
	split_hosts(&d, ev, n);
	path_in(pa, sizeof(pa), "quiet-a.gz");
	path_in(pb, sizeof(pb), "quiet-b.gz");
	CHECK(write_rec(pa, &d.h, 0, ev[0], n[0], 0));
	CHECK(write_rec(pb, &d.h, 0, ev[1], n[1], offset));
	got = merge_files(pa, pb, &offset, &plan, &k);
	if (CHECK(got != NULL) && !CHECK_EQ_INT(strcmp(got, ref), 0))
		fprintf(stderr, "  merged:\n%s  unsplit:\n%s", got, ref);
	free(got);
	free(ref);
	keep_free(&k);
	free(ev[0]);
	free(ev[1]);
	recdata_free(&d);
	rst_reason_names_set(NULL, 0);
	drop_reason_names_set(NULL, 0);
}

static void test_real_scenarios_merge_back(void)
{
	for (size_t i = 0; i < RECDATA_N; i++)
		merge_scenario(recdata_names[i]);
}

/* ---- synthetic corners ------------------------------------------------ */

static struct merge_input mem_input(const char *name, const struct syn_event *ev, size_t n)
{
	struct merge_input in;

	memset(&in, 0, sizeof(in));
	in.path = name;
	in.ev = malloc((n + 1) * sizeof(*ev));
	memcpy(in.ev, ev, n * sizeof(*ev));
	in.n = n;
	return in;
}

#define TX SYN_DIR_TX
#define RX SYN_DIR_RX
#define US 1000ull

/* Both hosts in their first namespace (the same number on every host),
 * both listening on port 80, a thread 500 in accept() on each. The
 * connection from A's client to B's server must be B's listener's, and
 * B's accept() row B's call. */
static void test_same_namespace_and_thread_numbers(void)
{
	struct ep any = { "0.0.0.0", 0 }, la = { "10.0.0.1", 80 }, lb = { "10.0.0.2", 80 };
	struct ep cli = { "10.0.0.1", 40000 }, srv = { "10.0.0.2", 80 };
	struct syn_event a[16], b[16];
	size_t na = 0, nb = 0;
	__u64 t = 1000 * US, off = 5 * S;
	struct merge_input A, B;
	struct merge_plan p;
	struct keep_sink k;
	struct syn_sink *s = &k.s;
	struct tracker *tr;
	char err[256];

	/* B: the server listens, waits in accept() */
	b[nb++] = ev_call(off + t, 21, lb, any, 222, "b-srv", SYN_CALL_LISTEN, SYN_PHASE_ENTRY, 3, 0);
	b[nb++] = ev_call(off + t + 1, 21, lb, any, 222, "b-srv", SYN_CALL_LISTEN, SYN_PHASE_RETURN, 3, 0);
	b[nb++] = ev_call(off + t + 5, 21, lb, any, 222, "b-srv", SYN_CALL_ACCEPT, SYN_PHASE_ENTRY, 3, 0);
	b[nb - 1].tid = 500;
	/* A: a server of its own on port 80, listening later, thread 500 too */
	a[na++] = ev_call(t + 10, 11, la, any, 111, "a-srv", SYN_CALL_LISTEN, SYN_PHASE_ENTRY, 3, 0);
	a[na++] = ev_call(t + 11, 11, la, any, 111, "a-srv", SYN_CALL_LISTEN, SYN_PHASE_RETURN, 3, 0);
	a[na++] = ev_call(t + 12, 11, la, any, 111, "a-srv", SYN_CALL_ACCEPT, SYN_PHASE_ENTRY, 3, 0);
	a[na - 1].tid = 500;
	/* the handshake: A's client to B's server, 10 us each way */
	a[na++] = ev_call(t + 100, 12, any, any, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 4, 0);
	a[na++] = ev_seg(t + 110, 12, cli, srv, TX, SYN_TCP_SYN, 100, 0, 0);
	b[nb++] = ev_seg(off + t + 120, 0, srv, cli, RX, SYN_TCP_SYN, 100, 0, 0);
	b[nb++] = ev_seg(off + t + 130, 0, srv, cli, TX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101, 0);
	a[na++] = ev_seg(t + 140, 0, cli, srv, RX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101, 0);
	a[na++] = ev_seg(t + 150, 12, cli, srv, TX, SYN_TCP_ACK, 101, 901, 0);
	a[na++] = ev_call(t + 155, 12, cli, srv, 300, "client", SYN_CALL_CONNECT, SYN_PHASE_RETURN, 4, 0);
	b[nb++] = ev_seg(off + t + 160, 0, srv, cli, RX, SYN_TCP_ACK, 101, 901, 0);
	b[nb++] = ev_state(off + t + 165, 22, srv, cli, 10, 3);
	b[nb++] = ev_state(off + t + 166, 22, srv, cli, 3, 1);
	b[nb++] = ev_call(off + t + 170, 22, srv, cli, 222, "b-srv", SYN_CALL_ACCEPT, SYN_PHASE_RETURN, 3, 5);
	b[nb - 1].tid = 500;
	for (size_t i = 0; i < na; i++)
		a[i].netns = 4026531840u;
	for (size_t i = 0; i < nb; i++)
		b[i].netns = 4026531840u;

	A = mem_input("A", a, na);
	B = mem_input("B", b, nb);
	if (!CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0))
		goto out;
	CHECK_EQ_INT(p.clock.offset_ns, (__s64)off);
	CHECK_EQ_INT(p.netns_renamed, 1);
	CHECK(B.ev[0].netns != 4026531840u);
	keep_init(&k);
	tr = tracker_new(&s, 1, NULL);
	merge_emit(&A, &B, (merge_emit_fn)tracker_on_event, tr);
	tracker_finish(tr);
	tracker_free(tr);
	if (CHECK_EQ_INT(k.nconns, 1)) {
		const struct conn *c = &k.conns[0];
		bool accept_entry = false;

		CHECK_EQ_INT(c->end[1].pid, 222);
		CHECK_EQ_STR(c->end[1].comm, "b-srv");
		for (size_t i = 0; i < c->nrows; i++) {
			const struct syn_event *e = &c->rows[i].ev;

			if (e->kind == SYN_EV_SYSCALL && e->sys.call == SYN_CALL_ACCEPT &&
			    e->sys.phase == SYN_PHASE_ENTRY) {
				accept_entry = true;
				CHECK_EQ_STR(e->comm, "b-srv");
				CHECK_EQ_INT(c->rows[i].end, 1);
			}
		}
		CHECK(accept_entry);
	}
	keep_free(&k);
out:
	merge_input_free(&A);
	merge_input_free(&B);
}

/* B's kernel numbers reasons its own way: shown in A's numbers, a name A's
 * kernel does not have at a free number. */
static void test_reason_numbers_follow_a(void)
{
	struct ep x = { "10.0.0.1", 1 }, y = { "10.0.0.2", 2 };
	struct syn_event b[3];
	struct merge_input A, B;
	struct merge_plan p;
	char err[256];

	b[0] = ev_kind(SYN_EV_RESET, 10, 0, y, x);
	b[0].rst.kind = SYN_RESET_SENT;
	b[0].rst.reason = 3; /* NO_SOCKET on B's kernel */
	b[1] = b[0];
	b[1].rst.reason = 2; /* TCP_CLOSE on B's kernel: A's has none */
	b[2] = ev_kind(SYN_EV_DROP, 20, 0, y, x);
	b[2].drop.reason = 5; /* FOO on both */
	A = mem_input("A", b, 0);
	B = mem_input("B", b, 3);
	A.rst_names[2] = strdup("NO_SOCKET");
	A.drop_names[5] = strdup("FOO");
	B.rst_names[3] = strdup("NO_SOCKET");
	B.rst_names[2] = strdup("TCP_CLOSE");
	B.drop_names[5] = strdup("FOO");
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(B.ev[0].rst.reason, 2);
		CHECK_EQ_INT(B.ev[1].rst.reason, 255);
		CHECK_EQ_STR(A.rst_names[255], "TCP_CLOSE");
		CHECK_EQ_STR(A.rst_names[2], "NO_SOCKET");
		CHECK_EQ_INT(B.ev[2].drop.reason, 5);
		CHECK_EQ_INT(p.reasons_renamed, 2);
		CHECK(!p.reasons_clash);
	}
	merge_input_free(&A);
	merge_input_free(&B);
}

/* Two inputs that both sent the same segment are one host twice. */
static void test_overlapping_inputs_are_refused(void)
{
	struct ep cli = { "10.0.0.1", 1000 }, srv = { "10.0.0.2", 80 };
	struct syn_event e = ev_seg(10, 1, cli, srv, TX, SYN_TCP_SYN, 100, 0, 0);
	struct merge_input A = mem_input("A.gz", &e, 1), B = mem_input("B.gz", &e, 1);
	struct merge_plan p;
	char err[512];

	CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "A.gz and B.gz both hold 1 segment sent by the same socket "
		     "(10.0.0.1:1000 -> 10.0.0.2:80 SYN seq=100): each input must be one host's view");
	merge_input_free(&A);
	merge_input_free(&B);
}

/* Nothing in common: the clocks are taken as they are; an input whose
 * events come before the other's clock began moves the base earlier. */
static void test_nothing_in_common(void)
{
	struct ep c1 = { "10.0.0.1", 1000 }, s1 = { "10.0.0.2", 80 };
	struct ep c2 = { "10.0.0.3", 1000 }, s2 = { "10.0.0.4", 80 };
	struct syn_event a = ev_seg(10 * S, 1, c1, s1, TX, SYN_TCP_SYN, 100, 0, 0);
	struct syn_event b = ev_seg(900 * S, 2, c2, s2, TX, SYN_TCP_SYN, 200, 0, 0);
	struct merge_input A = mem_input("A", &a, 1), B = mem_input("B", &b, 1);
	struct merge_plan p;
	char err[256];

	A.wall_offset_ns = 1000 * S; /* A booted at 1000 s, B's event at 900 s */
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(p.clock.source, CLOCK_FROM_NONE);
		CHECK_EQ_INT(p.clock.offset_ns, 0);
		CHECK_EQ_INT(p.wall_offset_ns, 900 * S);
		CHECK_EQ_INT(B.ev[0].ts_ns, 0);
		CHECK_EQ_INT(A.ev[0].ts_ns, 110 * S);
	}
	merge_input_free(&A);
	merge_input_free(&B);
}

static void record_order(void *ctx, const struct syn_event *e)
{
	char *s = ctx;

	sprintf(s + strlen(s), "%s%llu", *s ? " " : "", (unsigned long long)e->ts_ns);
	if (e->pid)
		strcat(s, "b");
}

/* Inputs of events at the times in "10 20t 30" (t: a clock tick; B's
 * events get pid 1, "b" in the order); what merge_emit lets out. */
static void emit_order(const char *a_times, const char *b_times, char *got)
{
	struct syn_event ev[2][8];
	size_t n[2] = { 0, 0 };
	const char *times[2] = { a_times, b_times };
	struct merge_input in[2];

	memset(ev, 0, sizeof(ev));
	for (int h = 0; h < 2; h++) {
		for (const char *p = times[h]; *p && n[h] < 8; p += *p == ' ') {
			struct syn_event *e = &ev[h][n[h]++];
			char *end;

			e->ts_ns = strtoull(p, &end, 10);
			e->kind = *end == 't' ? SYN_EV_TICK : 0;
			e->pid = h;
			p = end + (*end == 't');
		}
		in[h] = mem_input(h ? "B" : "A", ev[h], n[h]);
	}
	got[0] = 0;
	merge_emit(&in[0], &in[1], record_order, got);
	merge_input_free(&in[0]);
	merge_input_free(&in[1]);
}

/* By time, each input in its own order, ties to A. One clock: B's ticks
 * are dropped up to A's last, so that the two halves of one recording tick
 * as it did; after A's last, and when A has none, B's go out. */
static void test_emit_order(void)
{
	char got[128];

	emit_order("10 20 30", "15 20 25", got);
	CHECK_EQ_STR(got, "10 15b 20 20b 25b 30");
	emit_order("10 20t 30", "15 20t 25 35t 40", got);
	CHECK_EQ_STR(got, "10 15b 20 25b 30 35b 40b");
	emit_order("10 20 30", "15 20t 25 35t 40", got);
	CHECK_EQ_STR(got, "10 15b 20 20b 25b 30 35b 40b");
}

/* A handshake worked out by hand. B's clock is about 5 s ahead. On each
 * host's own clock (us):
 *
 *     A (client)                            B (server)
 *     SYN      sent 1000   ----------->   arrives 5 s + 1010
 *     SYN-ACK  arrives 1040 <-----------  sent 5 s + 1020
 *     ACK      sent 1050   ----------->   arrives 5 s + 1062
 *
 * rx_B - tx_A: SYN 5 s + 10, ACK 5 s + 12; rx_A - tx_B: SYN-ACK -5 s + 20.
 * So 5 s - 20 < offset < 5 s + 10 (the SYN-ACK and the SYN), and the
 * handshake (SYN, SYN-ACK) says ((5 s + 10) - (-5 s + 20)) / 2 = 5 s - 5,
 * inside the bounds. On A's clock B's rows are then at 1015, 1025, 1067. */
#define HS_A(at, dir, fl, seq, ack) ev_seg((at) * US, 1, cli, srv, dir, fl, seq, ack, 0)
#define HS_B(at, dir, fl, seq, ack) ev_seg(5 * S + (at) * US, 2, srv, cli, dir, fl, seq, ack, 0)
static void test_hand_worked_handshake(void)
{
	struct ep cli = { "10.0.0.1", 40000 }, srv = { "10.0.0.2", 80 };
	struct syn_event a[3], b[3];
	struct merge_input A, B;
	struct merge_plan p;
	char err[256], order[128] = "";

	a[0] = HS_A(1000, TX, SYN_TCP_SYN, 100, 0);
	a[1] = HS_A(1040, RX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	a[2] = HS_A(1050, TX, SYN_TCP_ACK, 101, 901);
	b[0] = HS_B(1010, RX, SYN_TCP_SYN, 100, 0);
	b[1] = HS_B(1020, TX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	b[2] = HS_B(1062, RX, SYN_TCP_ACK, 101, 901);
	for (int i = 0; i < 3; i++)
		b[i].pid = 1; /* B's, for record_order */
	A = mem_input("A", a, 3);
	B = mem_input("B", b, 3);
	A.wall_offset_ns = B.wall_offset_ns = 1000 * S;
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(p.clock.source, CLOCK_FROM_HANDSHAKES);
		CHECK_EQ_INT(p.clock.rounds, 1);
		CHECK_EQ_INT(p.clock.segments, 3);
		CHECK_EQ_INT(p.clock.hi, 5 * S + 10 * US);
		CHECK_EQ_INT(p.clock.lo, 5 * S - 20 * US);
		CHECK_EQ_INT(p.clock.offset_ns, 5 * S - 5 * US);
		CHECK(!p.clock.moved && !p.clock.inconsistent);
		CHECK_EQ_INT(p.clock.violations, 0);
		CHECK_EQ_INT(p.wall_offset_ns, 1000 * S);
		CHECK_EQ_INT(A.ev[0].ts_ns, 1000 * US);
		CHECK_EQ_INT(B.ev[0].ts_ns, 1015 * US);
		CHECK_EQ_INT(B.ev[1].ts_ns, 1025 * US);
		CHECK_EQ_INT(B.ev[2].ts_ns, 1067 * US);
		merge_emit(&A, &B, record_order, order);
		CHECK_EQ_STR(order, "1000000 1015000b 1025000b 1040000 1050000 1067000b");
	}
	merge_input_free(&A);
	merge_input_free(&B);
}

/* The same handshake, B's SYN seen twice (the network duplicated it, at
 * 5 s + 3000): which arrival was the one A sent at 1000 cannot be told, so
 * the SYN gives neither a bound nor a handshake. What is left: the SYN-ACK
 * (offset > 5 s - 20) and the ACK (offset < 5 s + 12), and no handshake:
 * the middle, 5 s - 4. */
static void test_segment_received_twice_is_not_used(void)
{
	struct ep cli = { "10.0.0.1", 40000 }, srv = { "10.0.0.2", 80 };
	struct syn_event a[3], b[4];
	struct merge_input A, B;
	struct merge_plan p;
	char err[256];

	a[0] = HS_A(1000, TX, SYN_TCP_SYN, 100, 0);
	a[1] = HS_A(1040, RX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	a[2] = HS_A(1050, TX, SYN_TCP_ACK, 101, 901);
	b[0] = HS_B(1010, RX, SYN_TCP_SYN, 100, 0);
	b[1] = HS_B(1020, TX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	b[2] = HS_B(1062, RX, SYN_TCP_ACK, 101, 901);
	b[3] = HS_B(3000, RX, SYN_TCP_SYN, 100, 0);
	A = mem_input("A", a, 3);
	B = mem_input("B", b, 4);
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(p.clock.segments, 2);
		CHECK_EQ_INT(p.clock.rounds, 0);
		CHECK_EQ_INT(p.clock.source, CLOCK_FROM_SEGMENTS);
		CHECK_EQ_INT(p.clock.hi, 5 * S + 12 * US);
		CHECK_EQ_INT(p.clock.lo, 5 * S - 20 * US);
		CHECK_EQ_INT(p.clock.offset_ns, 5 * S - 4 * US);
	}
	merge_input_free(&A);
	merge_input_free(&B);
}

/* Two SYN-ACKs answer the client's ISN: one B sent at 5 s + 500, before the
 * SYN arrived at 5 s + 1010 (the answer to an earlier SYN with this ISN,
 * sent before tracing began), and the real one at 5 s + 1020. Only an
 * answer sent after the SYN arrived is its answer: the handshake is
 * ((5 s + 10) - (1040 - (5 s + 1020))) / 2 = 5 s - 5, not the early one's
 * ((5 s + 10) - (540 - (5 s + 500))) / 2 = 5 s - 15. */
static void test_answer_before_its_syn_is_not_its_answer(void)
{
	struct ep cli = { "10.0.0.1", 40000 }, srv = { "10.0.0.2", 80 };
	struct syn_event a[3], b[3];
	struct merge_input A, B;
	struct merge_plan p;
	char err[256];

	a[0] = HS_A(540, RX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	a[0].seg.tsval = 90; /* another segment than the real answer */
	a[1] = HS_A(1000, TX, SYN_TCP_SYN, 100, 0);
	a[2] = HS_A(1040, RX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	b[0] = HS_B(500, TX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	b[0].seg.tsval = 90;
	b[1] = HS_B(1010, RX, SYN_TCP_SYN, 100, 0);
	b[2] = HS_B(1020, TX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	A = mem_input("A", a, 3);
	B = mem_input("B", b, 3);
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(p.clock.rounds, 1);
		CHECK_EQ_INT(p.clock.segments, 3);
		/* 5 s - 20 (the later SYN-ACK) < offset < 5 s + 10 (the SYN) */
		CHECK_EQ_INT(p.clock.lo, 5 * S - 20 * US);
		CHECK_EQ_INT(p.clock.hi, 5 * S + 10 * US);
		CHECK_EQ_INT(p.clock.offset_ns, 5 * S - 5 * US);
	}
	merge_input_free(&A);
	merge_input_free(&B);
}

/* An answer can only come from the other host. Here A, which also holds the
 * server's address (two containers numbered alike), itself sent a SYN-ACK
 * with the client's ISN, at 5 s + 1015 by its clock, that B received at
 * 20 s: by the numbers it left after the SYN arrived at B (a comparison
 * across clocks, which is why the sender must be checked first). It is no
 * answer to A's SYN: the handshake is the one with B's SYN-ACK, 5 s - 5 as
 * above. Taken for the answer it would say ((5 s + 10) - (20 s - (5 s +
 * 1015))) / 2 = -5 s + 512.5, moved up to the bound: 5 s - 19. */
static void test_answer_from_the_same_host_is_not_an_answer(void)
{
	struct ep cli = { "10.0.0.1", 40000 }, srv = { "10.0.0.2", 80 };
	struct syn_event a[3], b[3];
	struct merge_input A, B;
	struct merge_plan p;
	char err[256];

	a[0] = HS_A(1000, TX, SYN_TCP_SYN, 100, 0);
	a[1] = HS_A(1040, RX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	a[2] = ev_seg(5 * S + 1015 * US, 3, srv, cli, TX, SYN_TCP_SYN | SYN_TCP_ACK, 700, 101, 0);
	b[0] = HS_B(1010, RX, SYN_TCP_SYN, 100, 0);
	b[1] = HS_B(1020, TX, SYN_TCP_SYN | SYN_TCP_ACK, 900, 101);
	b[2] = ev_seg(20 * S, 0, cli, srv, RX, SYN_TCP_SYN | SYN_TCP_ACK, 700, 101, 0);
	A = mem_input("A", a, 3);
	B = mem_input("B", b, 3);
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(p.clock.rounds, 1);
		CHECK(!p.clock.inconsistent);
		CHECK_EQ_INT(p.clock.offset_ns, 5 * S - 5 * US);
	}
	merge_input_free(&A);
	merge_input_free(&B);
}
#undef HS_A
#undef HS_B

/* B's first event exactly 1 ns before A's clock began: the time base moves
 * back that 1 ns, and nothing is before 0. */
static void test_one_ns_before_the_base(void)
{
	struct ep c1 = { "10.0.0.1", 1000 }, s1 = { "10.0.0.2", 80 };
	struct ep c2 = { "10.0.0.3", 1000 }, s2 = { "10.0.0.4", 80 };
	struct syn_event a = ev_seg(10 * S, 1, c1, s1, TX, SYN_TCP_SYN, 100, 0, 0);
	struct syn_event b = ev_seg(1000 * S - 1, 2, c2, s2, TX, SYN_TCP_SYN, 200, 0, 0);
	struct merge_input A = mem_input("A", &a, 1), B = mem_input("B", &b, 1);
	struct merge_plan p;
	char err[256];

	A.wall_offset_ns = 1000 * S; /* A's clock began at 1000 s; B's event at 1000 s - 1 ns */
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(p.wall_offset_ns, 1000 * S - 1);
		CHECK_EQ_INT(B.ev[0].ts_ns, 0);
		CHECK_EQ_INT(A.ev[0].ts_ns, 10 * S + 1);
	}
	merge_input_free(&A);
	merge_input_free(&B);
}

/* A number is free only if neither kernel uses it. B names 2 TCP_CLOSE (A's
 * 2 is NO_SOCKET) and 255 FOO (A has no 255). TCP_CLOSE needs a number
 * neither uses: 255 is B's FOO, so 254; FOO keeps 255. */
static void test_reason_number_free_on_both_kernels(void)
{
	struct ep x = { "10.0.0.1", 1 }, y = { "10.0.0.2", 2 };
	struct syn_event b[2];
	struct merge_input A, B;
	struct merge_plan p;
	char err[256];

	b[0] = ev_kind(SYN_EV_RESET, 10, 0, y, x);
	b[0].rst.kind = SYN_RESET_SENT;
	b[0].rst.reason = 2;
	b[1] = b[0];
	b[1].rst.reason = 255;
	A = mem_input("A", b, 0);
	B = mem_input("B", b, 2);
	A.rst_names[2] = strdup("NO_SOCKET");
	B.rst_names[2] = strdup("TCP_CLOSE");
	B.rst_names[255] = strdup("FOO");
	if (CHECK_EQ_INT(merge_prepare(&A, &B, NULL, &p, err, sizeof(err)), 0)) {
		CHECK_EQ_INT(B.ev[0].rst.reason, 254);
		CHECK_EQ_INT(B.ev[1].rst.reason, 255);
		CHECK_EQ_STR(A.rst_names[254], "TCP_CLOSE");
		CHECK_EQ_STR(A.rst_names[255], "FOO");
		CHECK_EQ_STR(A.rst_names[2], "NO_SOCKET");
		CHECK_EQ_INT(p.reasons_renamed, 1);
	}
	merge_input_free(&A);
	merge_input_free(&B);
}

/* ---- the command line --------------------------------------------------- */

#define ARGS(...) (sizeof((char *[]){ "merge", __VA_ARGS__ }) / sizeof(char *)), \
	(char *[]){ "merge", __VA_ARGS__ }

static void test_cli_errors(void)
{
	static const struct {
		char *argv[8];
		const char *msg;
	} cases[] = {
		{ { "a" }, "merge needs two inputs, one from each host: synscope merge [options] A B" },
		{ { "a", "b", "c" }, "merge joins two inputs: 'c' is a third" },
		{ { "-", "b" }, "merge reads its two inputs by name, not from standard input: save it to a file first" },
		{ { "a", "-" }, "merge reads its two inputs by name, not from standard input: save it to a file first" },
		{ { "-d", "5", "a", "b" }, "merge takes no -d/--duration: merge reads files: nothing is traced" },
		{ { "--pid=5", "a", "b" }, "merge takes no -p/--pid: a pid names a process on one host only" },
		{ { "-4r", "x", "a", "b" }, "merge takes no -r/--read: the inputs are A and B" },
		{ { "--buf", "8", "a", "b" }, "merge takes no -b/--buffer-kb: merge reads files: nothing is traced" },
		{ { "--offset", "soon", "a", "b" }, "invalid offset: 'soon' (seconds, B's clock minus A's, e.g. -0.25)" },
		{ { "--offset=1e10", "a", "b" }, "invalid offset: '1e10' (seconds, B's clock minus A's, e.g. -0.25)" },
		{ { "a", "b", "--offset" }, "option --offset needs a value" },
		{ { "-f", "xml", "a", "b" }, "unknown format: 'xml' (ladder, table, stats, stream, jsonl, html, mermaid or pcapng)" },
		{ { "a", "b", "-f" }, "option -f/--format needs a value" },
		{ { "--style", "rfc", "-f", "jsonl", "a", "b" }, "--style rfc draws the ladder format only (not -f jsonl)" },
		{ { "--bogus", "a", "b" }, "unknown option: --bogus" },
		{ { "-46", "a", "b" }, "-4 and -6 exclude each other (give neither for both)" },
		{ { "--lang", "zh", "a", "b" }, "--lang chooses the language of --explain: give --explain too" },
		{ { "-Z", "nobody", "a", "b" }, "merge takes no -Z/--user: -Z is the user to become after attaching; merge attaches nothing and needs no root: run it as that user" },
		{ { "-o", "x", "a", "b", "-o", "y" }, "-o/--output given twice: it takes one value (the last would silently win)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = { "merge" };
		int argc = 1;
		struct merge_cli m;
		char err[256] = "";

		while (argc < 9 && cases[i].argv[argc - 1])
			argv[argc] = cases[i].argv[argc - 1], argc++;
		CHECK_EQ_INT(merge_options_parse(argc, argv, &m, err, sizeof(err)), -1);
		CHECK_EQ_STR(err, cases[i].msg);
	}
}

static void test_cli_options_anywhere(void)
{
	struct merge_cli m;
	char err[256] = "";

	CHECK_EQ_INT(merge_options_parse(ARGS("a.gz", "-f", "mermaid", "b.jsonl", "-o", "out",
					      "--offset", "-0.8", "--relative-seq"), &m, err,
					 sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_STR(m.in[0], "a.gz");
	CHECK_EQ_STR(m.in[1], "b.jsonl");
	CHECK_EQ_INT(m.o.format, FORMAT_MERMAID);
	CHECK_EQ_STR(m.o.out_path, "out");
	CHECK(m.has_offset);
	CHECK_EQ_INT(m.offset_ns, -800000000);
	CHECK(m.o.relative_seq);

	CHECK_EQ_INT(merge_options_parse(ARGS("-fhtml", "--out=x.html", "-P", "443", "-6",
					      "--style=rfc", "--", "-a", "b"), &m, err,
					 sizeof(err)), -1); /* rfc with html: said by options_parse */
	CHECK_EQ_INT(merge_options_parse(ARGS("-fhtml", "--out=x.html", "-P", "443", "-6",
					      "--expl", "--", "-a", "b"), &m, err, sizeof(err)), 0);
	CHECK_EQ_INT(m.o.format, FORMAT_HTML);
	CHECK_EQ_STR(m.o.out_path, "x.html");
	CHECK_EQ_INT(m.o.nports, 1);
	CHECK_EQ_INT(m.o.ports[0], 443);
	CHECK_EQ_INT(m.o.family, AF_INET6);
	CHECK(m.o.explain);
	CHECK_EQ_STR(m.in[0], "-a");
	CHECK(!m.has_offset);

	CHECK_EQ_INT(merge_options_parse(ARGS("-h"), &m, err, sizeof(err)), 0);
	CHECK(m.help);
}

static char *run_cli(int argc, char **argv, int *rc)
{
	struct merge_cli m;
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *msg = open_memstream(&text, &len);

	if (merge_options_parse(argc, argv, &m, err, sizeof(err))) {
		fprintf(msg, "synscope: %s\n", err);
		*rc = 2;
	} else {
		*rc = merge_run(&m, msg);
	}
	fclose(msg);
	return text;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	getdelim(&buf, &len, '\0', f);
	fclose(f);
	return buf ? buf : strdup("");
}

/* Exit status and the one line it says, for inputs that cannot be used. */
/* The merge command's inputs, from one recording split in two hosts: A,
 * B (its clock SHIFT_TS ahead), JSON Lines broken on line 2, a text file
 * that is neither format, a name that does not exist. */
struct cli_files {
	struct recdata d;
	size_t n[2];
	char a[128], b[128], bad_jsonl[128], notes[128], nope[128], out[128];
};

static bool cli_files_make(struct cli_files *f)
{
	struct syn_event *ev[2];
	bool ok = true;

	if (!CHECK(recdata_load("handshake-close", &f->d)))
		return false;
	split_hosts(&f->d, ev, f->n);
	path_in(f->a, sizeof(f->a), "cli-a.gz");
	path_in(f->b, sizeof(f->b), "cli-b.gz");
	path_in(f->bad_jsonl, sizeof(f->bad_jsonl), "cli-bad.jsonl");
	path_in(f->notes, sizeof(f->notes), "cli-notes.txt");
	path_in(f->nope, sizeof(f->nope), "cli-nope");
	path_in(f->out, sizeof(f->out), "cli-out.jsonl");
	ok &= CHECK(write_rec(f->a, &f->d.h, 0, ev[0], f->n[0], 0));
	ok &= CHECK(write_rec(f->b, &f->d.h, 0, ev[1], f->n[1], SHIFT_TS));
	ok &= CHECK(write_text(f->bad_jsonl, "{\"v\":1,\"t_ns\":30,\"kind\":\"lost\",\"conn\":0,"
			       "\"pid\":0,\"comm\":\"\",\"saddr\":null,\"sport\":0,"
			       "\"daddr\":null,\"dport\":0,\"count\":1}\n{\"v\":1}\n"));
	ok &= CHECK(write_text(f->notes, "some notes\n"));
	free(ev[0]);
	free(ev[1]);
	if (!ok)
		recdata_free(&f->d);
	return ok;
}

/* The command fails with status 1 and says exactly want (a whole line). */
static void check_refused(int argc, char **argv, const char *want)
{
	int rc;
	char *msg = run_cli(argc, argv, &rc);

	CHECK_EQ_INT(rc, 1);
	CHECK_EQ_STR(msg, want);
	free(msg);
}

/* Inputs that cannot be merged: one line each, naming the file. */
static void test_cli_refuses_inputs(void)
{
	struct cli_files f;
	char want[800], *msg, *before, *after;
	int rc;

	if (!cli_files_make(&f))
		return;
	snprintf(want, sizeof(want), "synscope: %s: cannot open: No such file or directory\n",
		 f.nope);
	check_refused(ARGS(f.a, f.nope), want);
	snprintf(want, sizeof(want), "synscope: %s: neither a synscope recording nor synscope "
		 "JSON Lines\n", f.notes);
	check_refused(ARGS(f.notes, f.b), want);
	snprintf(want, sizeof(want), "synscope: %s: line 2: missing field \"kind\"\n", f.bad_jsonl);
	check_refused(ARGS(f.a, f.bad_jsonl), want);
	msg = run_cli(ARGS(f.a, f.a), &rc);
	CHECK_EQ_INT(rc, 1);
	CHECK_CONTAINS(msg, "are the same file: give one from each host");
	free(msg);

	/* -o naming an input: refused before anything is written to it */
	before = slurp(f.a);
	snprintf(want, sizeof(want), "synscope: %s: is a file being read\n", f.a);
	check_refused(ARGS(f.a, f.b, "-o", f.a), want);
	after = slurp(f.a);
	CHECK(!strcmp(before, after) && strlen(before) > 0);
	free(before);
	free(after);
	recdata_free(&f.d);
}

/* The events of a recording -w wrote: their count, or -1. */
static long count_recorded(const char *path, struct rec_header *h)
{
	char err[256];
	struct rec_reader *r = rec_reader_open(path, h, err, sizeof(err));
	struct syn_event e;
	long count = 0;

	if (!CHECK(r != NULL))
		return -1;
	while (rec_reader_next(r, &e) == REC_EVENT)
		count++;
	CHECK_EQ_INT(rec_reader_next(r, &e), REC_END);
	rec_reader_close(r);
	return count;
}

/* A merge: the inputs, the offset, the summary; -w records the result. */
static void test_cli_merges(void)
{
	struct cli_files f;
	struct rec_header h;
	char rec[128], want[800], *msg, *out;
	long count;
	int rc;

	if (!cli_files_make(&f))
		return;
	path_in(rec, sizeof(rec), "cli-merged.gz");
	msg = run_cli(ARGS(f.a, f.b, "-f", "jsonl", "-o", f.out, "-w", rec), &rc);
	CHECK_EQ_INT(rc, 0);
	snprintf(want, sizeof(want), "synscope: merge: %s: %zu events recorded on %s", f.a, f.n[0],
		 f.d.h.host);
	CHECK_CONTAINS(msg, want);
	CHECK_CONTAINS(msg, "synscope: merge: clock offset +3.50000");
	snprintf(want, sizeof(want), "(%s's clock minus %s's): from 1 handshake; 9 segments seen "
		 "at both ends\n", f.b, f.a);
	CHECK_CONTAINS(msg, want);
	CHECK_CONTAINS(msg, "synscope: 1 connection (0 incomplete), 53 events, 0 lost\n");
	free(msg);
	count = count_recorded(rec, &h);
	if (count >= 0) {
		CHECK_EQ_INT(count, (long)(f.n[0] + f.n[1]));
		CHECK_EQ_INT(h.wall_offset_ns, f.d.h.wall_offset_ns); /* A's clock */
		CHECK_EQ_STR(h.host, f.d.h.host); /* one host: both namespaces */
		rec_header_free_names(&h);
	}
	out = slurp(f.out);
	CHECK_CONTAINS(out, "\"kind\":\"segment\"");
	free(out);
	recdata_free(&f.d);
}

/* path, cut 30 bytes short of its end (among its last events: the first
 * 2 KB are the header), written to cut. */
static bool write_cut(const char *path, const char *cut)
{
	FILE *in = fopen(path, "rb"), *o = fopen(cut, "wb");
	static char buf[65536];
	size_t len = in ? fread(buf, 1, sizeof(buf), in) : 0;
	bool ok = o && len > 100;

	if (ok)
		fwrite(buf, 1, len - 30, o);
	if (o)
		fclose(o);
	if (in)
		fclose(in);
	return ok;
}

/* A cut recording: everything before the cut is merged, then the reason,
 * the last line. */
static void test_cli_cut_input(void)
{
	struct cli_files f;
	char cut[128], want[800], *msg;
	const char *reason, *nl;
	int rc;

	if (!cli_files_make(&f))
		return;
	path_in(cut, sizeof(cut), "cli-cut.gz");
	if (CHECK(write_cut(f.b, cut))) {
		msg = run_cli(ARGS(f.a, cut, "-o", f.out), &rc);
		CHECK_EQ_INT(rc, 1);
		CHECK_CONTAINS(msg, "synscope: 1 connection");
		snprintf(want, sizeof(want), "synscope: %s: truncated at byte ", cut);
		CHECK_CONTAINS(msg, want);
		/* one newline after the reason, at the end */
		reason = msg ? strstr(msg, want) : NULL;
		nl = reason ? strchr(reason, '\n') : NULL;
		CHECK(nl && nl[1] == '\0');
		free(msg);
	}
	recdata_free(&f.d);
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/synscope-test-merge.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_real_scenarios_merge_back);
	RUN(test_same_namespace_and_thread_numbers);
	RUN(test_reason_numbers_follow_a);
	RUN(test_overlapping_inputs_are_refused);
	RUN(test_nothing_in_common);
	RUN(test_emit_order);
	RUN(test_quiet_cut_merges_back);
	RUN(test_hand_worked_handshake);
	RUN(test_segment_received_twice_is_not_used);
	RUN(test_answer_before_its_syn_is_not_its_answer);
	RUN(test_answer_from_the_same_host_is_not_an_answer);
	RUN(test_one_ns_before_the_base);
	RUN(test_reason_number_free_on_both_kernels);
	RUN(test_cli_errors);
	RUN(test_cli_options_anywhere);
	RUN(test_cli_refuses_inputs);
	RUN(test_cli_merges);
	RUN(test_cli_cut_input);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "  could not remove %s\n", dir);
	return TEST_SUMMARY();
}
