/* A connection's story with runs of ordinary data folded (fold.h). */
#include <errno.h>
#include "base/names.h"
#include "track/fold.h"

#define NO_SERIAL (~0ull)

/* Where a row of the batch went: its index in the story (>= 0), or ... */
enum fold_pos {
	POS_UNDECIDED = -1,
	POS_HELD = -2,
	POS_FOLDED_BASE = -16, /* ... counted in summary k: POS_FOLDED_BASE - k */
};
#define POS_FOLDED_IN(k) ((__s32)(POS_FOLDED_BASE - (k)))
#define POS_IS_FOLDED(p) ((p) <= POS_FOLDED_BASE)
#define POS_SUMMARY(p) ((long)(POS_FOLDED_BASE - (p)))

void fold_init(struct fold *f, bool all)
{
	memset(f, 0, sizeof(*f));
	f->all = all;
	f->sum_at = -1;
}

static bool is_data_call(const struct syn_event *e)
{
	return e->kind == SYN_EV_SYSCALL &&
	       (syn_call_reads(e->sys.call) || syn_call_writes(e->sys.call));
}

/* Is the segment of row r an ordinary one: data or an acknowledgement,
 * neither a zero window, nor the update that ends one, nor a probe? The
 * sighting that counts updates what the lane last said: its window, and
 * how far its sequence space reaches (a SYN's and a FIN's count: a probe
 * after a FIN is one below the FIN's end). */
static bool segment_is_ordinary(struct fold *f, const struct conn_row *r)
{
	const struct syn_segment *s = &r->ev.seg;
	int from = row_sender(r);
	bool was_zero = f->zero_win[from];
	bool probe = s->len == 0 && f->seq_known[from] && s->seq + 1 == f->seq_end[from] &&
		     !(s->flags & (SYN_TCP_SYN | SYN_TCP_FIN | SYN_TCP_RST));

	if (row_counts_segment(r) && !(s->flags & SYN_TCP_RST)) {
		__u32 end = s->seq + s->len + !!(s->flags & SYN_TCP_SYN) + !!(s->flags & SYN_TCP_FIN);

		f->zero_win[from] = s->win == 0;
		if (!f->seq_known[from] || (__s32)(end - f->seq_end[from]) > 0)
			f->seq_end[from] = end;
		f->seq_known[from] = true;
	}
	if (r->marks & (ROW_RETRANSMIT | ROW_NOT_SENT) ||
	    (s->flags & (SYN_TCP_SYN | SYN_TCP_FIN | SYN_TCP_RST | SYN_TCP_URG)))
		return false;
	/* a zero window, or the update that opens it again; a keepalive or
	 * window probe: one byte below what was sent, no data */
	return s->win != 0 && !was_zero && !probe;
}

static bool row_is_ordinary(struct fold *f, const struct conn_row *r)
{
	const struct syn_event *e = &r->ev;

	if (r->marks & ROW_INFERRED)
		return false;
	if (is_data_call(e))
		return e->sys.phase == SYN_PHASE_ENTRY || e->sys.ret > 0 || e->sys.ret == -EAGAIN;
	return e->kind == SYN_EV_SEGMENT && segment_is_ordinary(f, r);
}

/* Rows that stay past the story's cap: what moves the connection through
 * its states. Everything else folds there. */
static bool row_is_essential(const struct conn_row *r)
{
	const struct syn_event *e = &r->ev;

	switch (e->kind) {
	case SYN_EV_STATE:
	case SYN_EV_RESET:
	case SYN_EV_DESTROY:
	case SYN_EV_TIMEWAIT:
		return true;
	case SYN_EV_SEGMENT:
		return (e->seg.flags & (SYN_TCP_SYN | SYN_TCP_FIN | SYN_TCP_RST)) &&
		       !(r->marks & ROW_RETRANSMIT);
	case SYN_EV_SYSCALL:
		return !is_data_call(e);
	}
	return false;
}

/* ---- placing rows in the story ---------------------------------------------- */

static bool place(struct conn *c, const struct conn_row *r, __s32 *at)
{
	struct row_vec v = { c->rows, c->nrows, c->cap };

	if (!row_vec_push(&v, r))
		return false;
	c->rows = v.v;
	c->nrows = v.n;
	c->cap = v.cap;
	c->rows[c->nrows - 1].pair = -1;
	*at = (__s32)(c->nrows - 1);
	return true;
}

static void link_pair(struct conn *c, __s32 a, __s32 b)
{
	if (a >= 0 && b >= 0) {
		c->rows[a].pair = b;
		c->rows[b].pair = a;
	}
}

/* Count row r in summary s. */
static void count_row(struct conn *c, struct conn_summary *s, const struct conn_row *r)
{
	const struct syn_event *e = &r->ev;

	s->rows++;
	c->folded++;
	if (e->kind == SYN_EV_SEGMENT && row_counts_segment(r)) {
		int from = row_sender(r);

		s->segs[from]++;
		s->bytes[from] += e->seg.len;
		if (e->seg.len == 0 && e->seg.flags == SYN_TCP_ACK)
			s->acks[from]++;
		if (r->marks & ROW_DUP_ACK)
			s->dup_acks[from]++;
	} else if (is_data_call(e) && e->sys.phase == SYN_PHASE_RETURN && e->sys.ret > 0) {
		bool w = syn_call_writes(e->sys.call);

		(w ? s->writes : s->reads)[r->end]++;
		(w ? s->write_bytes : s->read_bytes)[r->end] += (__u64)e->sys.ret;
	} else if (e->kind != SYN_EV_SEGMENT && !is_data_call(e)) {
		s->other[r->end]++;
	}
}

/* Count row r into the summary of the current run (placing the summary row
 * first if it has none yet); *at: where it went. */
static bool fold_row(struct fold *f, struct conn *c, const struct conn_row *r, __s32 *at_pos)
{
	struct conn_summary *s;
	const struct syn_event *e = &r->ev;

	if (f->sum_at < 0) {
		struct conn_row row;
		__s32 at;

		if (c->nsums == c->sums_cap) {
			size_t cap = c->sums_cap ? c->sums_cap * 2 : 2;
			struct conn_summary *p = realloc(c->sums, cap * sizeof(*p));

			if (!p)
				return false;
			c->sums = p;
			c->sums_cap = cap;
		}
		memset(&row, 0, sizeof(row));
		row.ev.kind = CONN_ROW_SUMMARY;
		row.ev.ts_ns = e->ts_ns;
		if (!place(c, &row, &at))
			return false;
		c->rows[at].summary = (__s32)c->nsums;
		memset(&c->sums[c->nsums], 0, sizeof(*c->sums));
		c->sums[c->nsums].ts_first = e->ts_ns;
		f->sum_at = (long)c->nsums++;
		f->sum_row = at;
	}
	s = &c->sums[f->sum_at];
	count_row(c, s, r);
	s->ts_last = e->ts_ns;
	/* the summary row shows the lanes as they are after its last row */
	c->rows[f->sum_row].state_after[0] = r->state_after[0];
	c->rows[f->sum_row].state_after[1] = r->state_after[1];
	if (at_pos)
		*at_pos = POS_FOLDED_IN(f->sum_at);
	return true;
}

/* The i-th row held, oldest first (the held rows are a ring: a run folds
 * one row per row it holds, and moving them all each time was a copy of
 * the whole tail per row). */
static struct fold_held *held_at(struct fold *f, int i)
{
	return &f->held[(f->held_first + i) % FOLD_HELD];
}

/* The held rows go into the story, in order, their pairs linked. pos and
 * base: the current batch's placements, for partners placed before. */
static bool flush_held(struct fold *f, struct conn *c, __s32 *pos, __u64 base, size_t n)
{
	__s32 at[FOLD_HELD];

	for (int i = 0; i < f->nheld; i++) {
		struct fold_held *h = held_at(f, i);

		if (!place(c, &h->row, &at[i]))
			return false;
		if (h->serial >= base && h->serial < base + n)
			pos[h->serial - base] = at[i];
		for (int j = 0; j < i; j++)
			if (held_at(f, j)->serial == h->pair_serial)
				link_pair(c, at[j], at[i]);
		if (h->pair_serial != NO_SERIAL && h->pair_serial >= base && h->pair_serial < base + n)
			link_pair(c, pos[h->pair_serial - base], at[i]);
	}
	f->nheld = 0;
	f->held_first = 0;
	return true;
}

static void held_drop_first(struct fold *f)
{
	f->held_first = (f->held_first + 1) % FOLD_HELD;
	f->nheld--;
}

/* Fold a held row into the current run's summary. */
static bool fold_held_row(struct fold *f, struct conn *c, const struct fold_held *h, __s32 *pos,
			  __u64 base)
{
	__s32 at;

	if (!fold_row(f, c, &h->row, &at))
		return false;
	if (h->serial >= base)
		pos[h->serial - base] = at;
	return true;
}

/* Hold row r (serial s) at the end of the run. Past FOLD_TAIL held, the
 * oldest folds, and with it the other sighting of every segment folded,
 * and whatever is held before that sighting: the two sightings of a
 * segment are both drawn or both counted (a lone arrival drawn would be
 * counted twice), and what a summary row counts all came before the rows
 * drawn after it. */
static bool hold(struct fold *f, struct conn *c, const struct conn_row *r, __u64 s, __u64 ps,
		 __s32 *pos, __u64 base)
{
	struct fold_held *h = held_at(f, f->nheld++);

	h->row = *r;
	h->serial = s;
	h->pair_serial = ps;
	pos[s - base] = POS_HELD;
	while (f->nheld > FOLD_TAIL) {
		int upto = 0;

		for (int i = 0; i <= upto; i++) {
			__u64 want = held_at(f, i)->pair_serial;

			for (int j = upto + 1; want != NO_SERIAL && j < f->nheld; j++)
				if (held_at(f, j)->serial == want)
					upto = j;
		}
		for (int i = 0; i <= upto; i++) {
			if (!fold_held_row(f, c, held_at(f, 0), pos, base))
				return false;
			held_drop_first(f);
		}
	}
	return true;
}

/* A control row: the run ends, what it held is placed, then the row. */
static bool place_control(struct fold *f, struct conn *c, const struct conn_row *r, __u64 s,
			  __u64 ps, __s32 *pos, __u64 base, size_t n)
{
	if (!flush_held(f, c, pos, base, n))
		return false;
	f->run = 0;
	f->sum_at = -1;
	if (!place(c, r, &pos[s - base]))
		return false;
	if (ps != NO_SERIAL && ps < s)
		link_pair(c, pos[ps - base], pos[s - base]);
	return true;
}

/* The second sighting of a segment whose first is in the story: placed
 * next to it (after what the run held, to keep the time order; a fold that
 * goes on starts a new summary row). */
static bool place_partner(struct fold *f, struct conn *c, const struct conn_row *r, __u64 s,
			  __u64 ps, __s32 *pos, __u64 base, size_t n)
{
	if (f->nheld && !flush_held(f, c, pos, base, n))
		return false;
	f->sum_at = -1;
	if (!place(c, r, &pos[s - base]))
		return false;
	link_pair(c, pos[ps - base], pos[s - base]);
	return true;
}

/* One row of the batch: placed, held or folded. */
static bool fold_one(struct fold *f, struct conn *c, const struct conn_row *rows, size_t i,
		     __s32 *pos, __u64 base, size_t n)
{
	const struct conn_row *r = &rows[i];
	__u64 s = base + i;
	__u64 ps = r->ev.kind == SYN_EV_SEGMENT && r->pair >= 0 ? base + (__u64)r->pair : NO_SERIAL;
	__s32 partner = ps != NO_SERIAL && ps < s ? pos[ps - base] : POS_UNDECIDED;
	size_t cap = f->all ? FOLD_MAX_ALL : FOLD_MAX;
	bool ordinary;

	c->events++;
	/* the second sighting of a segment goes where the first went, past
	 * the cap too: both drawn or both counted */
	if (partner >= 0)
		return place_partner(f, c, r, s, ps, pos, base, n);
	if (partner == POS_HELD)
		return hold(f, c, r, s, ps, pos, base);
	if (POS_IS_FOLDED(partner) && POS_SUMMARY(partner) != f->sum_at) {
		/* its first sighting is in an earlier run's summary: counted
		 * there too (the segment belongs where it was sent; that
		 * summary's time span stays) */
		count_row(c, &c->sums[POS_SUMMARY(partner)], r);
		pos[i] = partner;
		return true;
	}
	if (POS_IS_FOLDED(partner)) {
		/* in the current run's: what is held came before it, and is
		 * counted too, so that a summary row stands only for rows
		 * before those drawn after it */
		while (f->nheld) {
			if (!fold_held_row(f, c, held_at(f, 0), pos, base))
				return false;
			held_drop_first(f);
		}
		return fold_row(f, c, r, &pos[i]);
	}
	if (c->nrows >= cap && !row_is_essential(r)) {
		if (f->nheld) {
			if (!flush_held(f, c, pos, base, n))
				return false;
			f->sum_at = -1;
		}
		return fold_row(f, c, r, &pos[i]);
	}
	ordinary = !f->all && row_is_ordinary(f, r);
	if (!ordinary)
		return place_control(f, c, r, s, ps, pos, base, n);
	if (++f->run <= FOLD_HEAD)
		return place(c, r, &pos[i]);
	return hold(f, c, r, s, ps, pos, base);
}

#define FOLD_POS_ON_STACK 1024

bool fold_rows(struct fold *f, struct conn *c, const struct conn_row *rows, size_t n)
{
	__s32 pos_here[FOLD_POS_ON_STACK];
	__s32 *pos = n <= FOLD_POS_ON_STACK ? pos_here : malloc(n * sizeof(*pos));
	__u64 base = f->serial;
	bool ok = pos != NULL;
	struct row_vec story = { c->rows, c->nrows, c->cap };

	/* most stories keep most rows: room for them in one go */
	if (ok && row_vec_reserve(&story, n < 64 ? n : 64)) {
		c->rows = story.v;
		c->cap = story.cap;
	}
	for (size_t i = 0; ok && i < n; i++)
		pos[i] = POS_UNDECIDED;
	for (size_t i = 0; ok && i < n; i++)
		ok = fold_one(f, c, rows, i, pos, base, n);
	f->serial += n;
	/* held rows of this batch outlive it: their partners are held too */
	if (pos != pos_here)
		free(pos);
	return ok;
}

bool fold_end(struct fold *f, struct conn *c)
{
	__s32 none;

	return flush_held(f, c, &none, f->serial, 0);
}
