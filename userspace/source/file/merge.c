/*
 * Joining two hosts' events.
 *
 * A segment is the same segment at both ends when everything its header
 * says matches: sender and receiver (addresses, ports), seq, ack, flags,
 * length, window and options (the timestamp option tells a retransmission
 * from the original). Only segments sent exactly once by one input and
 * received exactly once by the other are used: those are certain.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/hmap.h"
#include "source/file/merge.h"
#include "base/names.h"

#define TIME_LIMIT (1ll << 62)  /* as recordings: far from overflow */

struct seg_key {
	__u8 family, proto, flags, opts, wscale, pad[3];
	__u8 src[16], dst[16];
	__u16 sport, dport, win, mss;
	__u32 seq, ack, len, tsval, tsecr;
};

struct seg_obs {
	struct seg_key k;
	__u8 input;              /* 0 = a, 1 = b */
	__u8 dir;                /* SYN_DIR_TX / SYN_DIR_RX */
	__s64 wall;              /* on its own host's clock */
};

/* The two halves of a handshake: a SYN, and its answer (SYN-ACK, or a
 * reset with ACK) the other way, named by the client's initial sequence
 * number. */
struct hs_key {
	__u8 family, pad[3];
	__u8 client[16], server[16];
	__u16 cport, sport;
	__u32 isn;
};

struct hs_half {
	struct hs_key k;
	int from;                /* the input that sent it */
	__s64 delta;             /* rx - tx, each on its own clock */
	__s64 tx, rx;
};

struct growing {
	void *p;
	size_t n, cap, size;
};

static void *grow_push(struct growing *g)
{
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 64;
		void *p = realloc(g->p, ncap * g->size);

		if (!p)
			return NULL;
		g->p = p;
		g->cap = ncap;
	}
	return (char *)g->p + g->size * g->n++;
}

static __s64 wall_of(const struct merge_input *in, const struct syn_event *e)
{
	return (__s64)e->ts_ns + in->wall_offset_ns;
}

static int seg_obs_cmp(const void *pa, const void *pb)
{
	const struct seg_obs *a = pa, *b = pb;
	int r = memcmp(&a->k, &b->k, sizeof(a->k));

	if (r)
		return r;
	if (a->input != b->input)
		return a->input - b->input;
	return a->dir - b->dir;
}

static int hs_cmp(const void *pa, const void *pb)
{
	const struct hs_half *a = pa, *b = pb;
	int r = memcmp(&a->k, &b->k, sizeof(a->k));

	if (r)
		return r;
	return a->tx < b->tx ? -1 : a->tx > b->tx;
}

static bool collect_segments(const struct merge_input *in, int input, struct growing *g)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct syn_event *e = &in->ev[i];
		struct seg_obs *o;
		bool tx;

		if (e->kind != SYN_EV_SEGMENT || !e->family)
			continue;
		o = grow_push(g);
		if (!o)
			return false;
		memset(o, 0, sizeof(*o));
		tx = e->seg.dir == SYN_DIR_TX;
		o->k.family = e->family;
		o->k.proto = e->proto ? e->proto : 6;
		o->k.flags = e->seg.flags;
		o->k.opts = e->seg.opts;
		o->k.wscale = e->seg.wscale;
		memcpy(o->k.src, tx ? e->saddr : e->daddr, 16);
		memcpy(o->k.dst, tx ? e->daddr : e->saddr, 16);
		o->k.sport = tx ? e->sport : e->dport;
		o->k.dport = tx ? e->dport : e->sport;
		o->k.win = e->seg.win;
		o->k.mss = e->seg.mss;
		o->k.seq = e->seg.seq;
		o->k.ack = e->seg.ack;
		o->k.len = e->seg.len;
		o->k.tsval = e->seg.tsval;
		o->k.tsecr = e->seg.tsecr;
		o->input = (__u8)input;
		o->dir = e->seg.dir;
		o->wall = wall_of(in, e);
	}
	return true;
}

static void say_overlap(struct merge_plan *p, const struct seg_key *k)
{
	char src[ADDR_STR_LEN], dst[ADDR_STR_LEN], fl[40];

	if (p->overlap++)
		return;
	if (k->proto == 17)
		snprintf(fl, sizeof(fl), "UDP");
	else if (!k->flags)
		snprintf(fl, sizeof(fl), "no flags");
	else
		tcp_flags_str(k->flags, ",", fl, sizeof(fl));
	snprintf(p->overlap_example, sizeof(p->overlap_example), "%s -> %s %s seq=%u",
		 endpoint_str(k->family, k->src, k->sport, src, sizeof(src)),
		 endpoint_str(k->family, k->dst, k->dport, dst, sizeof(dst)), fl, k->seq);
}

/* A handshake half, if this segment is one. */
static bool hs_half_of(const struct seg_key *k, int from, __s64 tx, __s64 rx,
		       struct growing *syns, struct growing *answers)
{
	bool syn = (k->flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == SYN_TCP_SYN;
	bool answer = (k->flags & SYN_TCP_ACK) && (k->flags & (SYN_TCP_SYN | SYN_TCP_RST));
	struct hs_half *h;

	if (k->proto != 6 || (!syn && !answer))
		return true;
	h = grow_push(syn ? syns : answers);
	if (!h)
		return false;
	memset(h, 0, sizeof(*h));
	h->k.family = k->family;
	memcpy(h->k.client, syn ? k->src : k->dst, 16);
	memcpy(h->k.server, syn ? k->dst : k->src, 16);
	h->k.cport = syn ? k->sport : k->dport;
	h->k.sport = syn ? k->dport : k->sport;
	h->k.isn = syn ? k->seq : k->ack - 1;
	h->from = from;
	h->tx = tx;
	h->rx = rx;
	h->delta = rx - tx;
	return true;
}

/* Pair each SYN with the first answer sent after it arrived (the same
 * host's clock: no offset needed for that). */
static bool pair_handshakes(struct growing *syns, struct growing *answers, struct growing *rounds)
{
	struct hs_half *ans = answers->p;

	if (answers->n)
		qsort(answers->p, answers->n, sizeof(struct hs_half), hs_cmp);
	for (size_t i = 0; i < syns->n; i++) {
		const struct hs_half *s = (const struct hs_half *)syns->p + i;
		size_t lo = 0, hi = answers->n;
		struct clock_round *r;

		while (lo < hi) { /* the first answer with this key */
			size_t mid = lo + (hi - lo) / 2;

			if (memcmp(&ans[mid].k, &s->k, sizeof(s->k)) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < answers->n && !memcmp(&ans[lo].k, &s->k, sizeof(s->k)); lo++) {
			if (ans[lo].from == s->from || ans[lo].tx < s->rx)
				continue;
			r = grow_push(rounds);
			if (!r)
				return false;
			r->ab = s->from == 0 ? s->delta : ans[lo].delta;
			r->ba = s->from == 0 ? ans[lo].delta : s->delta;
			break;
		}
	}
	return true;
}

/* Segments seen at both ends: one-way delays both ways, and handshakes. */
static int match_segments(const struct merge_input *a, const struct merge_input *b,
			  const __s64 *user, struct merge_plan *p)
{
	struct growing obs = { .size = sizeof(struct seg_obs) };
	struct growing ab = { .size = sizeof(__s64) }, ba = { .size = sizeof(__s64) };
	struct growing syns = { .size = sizeof(struct hs_half) };
	struct growing answers = { .size = sizeof(struct hs_half) };
	struct growing rounds = { .size = sizeof(struct clock_round) };
	struct clock_obs co;
	int rc = -1;

	if (!collect_segments(a, 0, &obs) || !collect_segments(b, 1, &obs))
		goto out;
	if (obs.n)
		qsort(obs.p, obs.n, sizeof(struct seg_obs), seg_obs_cmp);
	for (size_t i = 0; i < obs.n;) {
		const struct seg_obs *o = obs.p;
		size_t j = i;
		unsigned int count[2][2] = { { 0 } }; /* [input][dir] */
		__s64 wall[2][2] = { { 0 } };

		while (j < obs.n && !memcmp(&o[j].k, &o[i].k, sizeof(o[i].k))) {
			count[o[j].input][o[j].dir]++;
			wall[o[j].input][o[j].dir] = o[j].wall;
			j++;
		}
		if (count[0][SYN_DIR_TX] && count[1][SYN_DIR_TX])
			say_overlap(p, &o[i].k);
		for (int from = 0; from < 2; from++) {
			int to = !from;
			__s64 *d;

			if (count[from][SYN_DIR_TX] != 1 || count[to][SYN_DIR_RX] != 1 ||
			    count[to][SYN_DIR_TX] || count[from][SYN_DIR_RX])
				continue;
			d = grow_push(from == 0 ? &ab : &ba);
			if (!d)
				goto out;
			*d = wall[to][SYN_DIR_RX] - wall[from][SYN_DIR_TX];
			if (!hs_half_of(&o[i].k, from, wall[from][SYN_DIR_TX], wall[to][SYN_DIR_RX],
					&syns, &answers))
				goto out;
		}
		i = j;
	}
	if (!pair_handshakes(&syns, &answers, &rounds))
		goto out;
	co = (struct clock_obs){ .ab = ab.p, .nab = ab.n, .ba = ba.p, .nba = ba.n,
				 .rounds = rounds.p, .nrounds = rounds.n };
	clock_estimate(&co, user, &p->clock);
	rc = 0;
out:
	free(obs.p);
	free(ab.p);
	free(ba.p);
	free(syns.p);
	free(answers.p);
	free(rounds.p);
	return rc;
}

/* ---- rewriting b ---------------------------------------------------------- */

static int name_index(char *const *names, const char *name)
{
	for (int i = 0; i < REC_RST_REASONS; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return -1;
}

/* One table of reason names for both kernels: b's values are renumbered
 * where a's kernel uses the number for another name or the name under
 * another number. map[v] is b's value v's new number. */
static int merge_names(char **an, char **bn, __u32 map[REC_RST_REASONS], struct merge_plan *p)
{
	for (int v = 0; v < REC_RST_REASONS; v++) {
		int u;

		map[v] = (__u32)v;
		if (!bn[v] || (an[v] && !strcmp(an[v], bn[v])))
			continue;
		u = name_index(an, bn[v]);
		if (u < 0 && !an[v] && name_index(bn, bn[v]) == v) {
			an[v] = strdup(bn[v]);
			if (!an[v])
				return -1;
			continue;
		}
		if (u < 0) {
			for (u = REC_RST_REASONS - 1; u >= 0 && (an[u] || bn[u]); u--)
				;
			if (u < 0) {
				p->reasons_clash = true;
				continue;
			}
			an[u] = strdup(bn[v]);
			if (!an[u])
				return -1;
		}
		map[v] = (__u32)u;
		p->reasons_renamed++;
	}
	return 0;
}

static int u32_cmp(const void *pa, const void *pb)
{
	__u32 a = *(const __u32 *)pa, b = *(const __u32 *)pb;

	return a < b ? -1 : a > b;
}

/* a's namespace numbers, sorted and unique. */
static __u32 *netns_set(const struct merge_input *in, size_t *n)
{
	__u32 *s = malloc((in->n + 1) * sizeof(*s));
	size_t k = 0;

	if (!s)
		return NULL;
	for (size_t i = 0; i < in->n; i++)
		s[k++] = in->ev[i].netns;
	if (k)
		qsort(s, k, sizeof(*s), u32_cmp);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (!*n || s[*n - 1] != s[i])
			s[(*n)++] = s[i];
	return s;
}

static bool in_set(const __u32 *s, size_t n, __u32 v)
{
	return bsearch(&v, s, n, sizeof(*s), u32_cmp) != NULL;
}

/* Namespace numbers are per host (every host's first one is the same
 * number): b's that a uses too get numbers neither uses, so the tracker
 * never takes b's listener for a's. */
static int rename_netns(const struct merge_input *a, struct merge_input *b, struct merge_plan *p)
{
	size_t na = 0, nb = 0;
	__u32 *sa = netns_set(a, &na), *sb = netns_set(b, &nb);
	struct hmap renamed = { 0 };
	__u32 next = 1;
	int rc = -1;

	if (!sa || !sb)
		goto out;
	for (size_t i = 0; i < b->n; i++) {
		__u32 v = b->ev[i].netns;
		void *to;

		if (!v || !in_set(sa, na, v))
			continue;
		to = hmap_get(&renamed, v);
		if (!to) {
			while (in_set(sa, na, next) || in_set(sb, nb, next))
				next++;
			to = (void *)(uintptr_t)next++;
			if (hmap_put(&renamed, v, to))
				goto out;
			p->netns_renamed++;
		}
		b->ev[i].netns = (__u32)(uintptr_t)to;
	}
	rc = 0;
out:
	hmap_free(&renamed);
	free(sa);
	free(sb);
	return rc;
}

static int check_times(const struct merge_input *in, char *err, size_t errlen)
{
	for (size_t i = 0; i < in->n; i++) {
		__s64 w = wall_of(in, &in->ev[i]);

		if (w < 0 || w >= TIME_LIMIT) {
			snprintf(err, errlen, "%s: event %zu: its wall-clock time is out of range",
				 in->path, i + 1);
			return -1;
		}
	}
	return 0;
}

int merge_prepare(struct merge_input *a, struct merge_input *b, const __s64 *user_offset,
		  struct merge_plan *p, char *err, size_t errlen)
{
	__u32 rst_map[REC_RST_REASONS], drop_map[REC_RST_REASONS];
	__s64 base = a->wall_offset_ns, lowest = 0, highest = 0;
	bool any = false;

	memset(p, 0, sizeof(*p));
	if (check_times(a, err, errlen) || check_times(b, err, errlen))
		return -1;
	if (match_segments(a, b, user_offset, p))
		goto oom;
	if (p->overlap) {
		snprintf(err, errlen, "%s and %s both hold %zu segment%s sent by the same socket "
			 "(%s): each input must be one host's view", a->path, b->path, p->overlap,
			 p->overlap == 1 ? "" : "s", p->overlap_example);
		return -1;
	}
	if (merge_names(a->rst_names, b->rst_names, rst_map, p) ||
	    merge_names(a->drop_names, b->drop_names, drop_map, p) || rename_netns(a, b, p))
		goto oom;

	/* one time base: A's clock, as a's ts_ns are (unless b starts before
	 * a's clock began: then earlier) */
	for (int in = 0; in < 2; in++) {
		const struct merge_input *x = in ? b : a;
		__s64 shift = in ? p->clock.offset_ns : 0;

		for (size_t i = 0; i < x->n; i++) {
			__s64 t = wall_of(x, &x->ev[i]) - shift - base;

			if (!any || t < lowest)
				lowest = t;
			if (!any || t > highest)
				highest = t;
			any = true;
		}
	}
	if (lowest < 0)
		base += lowest;
	if (any && highest - (lowest < 0 ? lowest : 0) >= TIME_LIMIT) {
		snprintf(err, errlen, "%s and %s are too far apart in time", a->path, b->path);
		return -1;
	}
	for (size_t i = 0; i < a->n; i++)
		a->ev[i].ts_ns = (__u64)(wall_of(a, &a->ev[i]) - base);
	for (size_t i = 0; i < b->n; i++) {
		struct syn_event *e = &b->ev[i];

		e->ts_ns = (__u64)(wall_of(b, e) - p->clock.offset_ns - base);
		/* socket ids are per host: keep b's apart from a's */
		if (e->sock_id)
			e->sock_id = (e->sock_id ^ 0x9e3779b97f4a7c15ull) ? e->sock_id ^ 0x9e3779b97f4a7c15ull
									  : 1;
		if (e->kind == SYN_EV_RESET && e->rst.kind == SYN_RESET_SENT &&
		    e->rst.reason < REC_RST_REASONS)
			e->rst.reason = rst_map[e->rst.reason];
		if (e->kind == SYN_EV_DROP && e->drop.reason < REC_RST_REASONS)
			e->drop.reason = drop_map[e->drop.reason];
	}
	a->wall_offset_ns = b->wall_offset_ns = base;
	p->wall_offset_ns = base;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The stamp of in's last clock tick; 0 when it has none. */
static __u64 last_tick(const struct merge_input *in)
{
	for (size_t i = in->n; i > 0; i--)
		if (in->ev[i - 1].kind == SYN_EV_TICK)
			return in->ev[i - 1].ts_ns;
	return 0;
}

void merge_emit(const struct merge_input *a, const struct merge_input *b, merge_emit_fn emit,
		void *ctx)
{
	/* B's ticks only after A's last: one host's clock paces the hand-overs
	 * (a quiet connection's batch goes out at a tick), so a merge of one
	 * recording's two halves cuts where the recording did */
	__u64 a_ticks_until = last_tick(a);
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		if (j == b->n || (i < a->n && a->ev[i].ts_ns <= b->ev[j].ts_ns)) {
			emit(ctx, &a->ev[i++]);
			continue;
		}
		const struct syn_event *e = &b->ev[j++];

		if (e->kind != SYN_EV_TICK || e->ts_ns > a_ticks_until)
			emit(ctx, e);
	}
}
