/* What a connection amounts to (conn_facts.h). */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>
#include "track/conn_facts.h"
#include "track/timeline.h"

void facts_init(struct conn_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->rst_reason_lane = -1;
	f->closed_first = -1;
	f->rst_lane = -1;
	f->syn_synack_ns = f->connect_ns = f->accept_ns = f->duration_ns = -1;
}

static void first(__u64 *at, __u64 ts)
{
	if (!*at)
		*at = ts;
}

static void count_reason(struct facts_reason *r, __u64 *other, __u32 reason)
{
	for (int i = 0; i < FACTS_REASONS; i++) {
		if (r[i].count && r[i].reason != reason)
			continue;
		r[i].reason = reason;
		r[i].count++;
		return;
	}
	(*other)++;
}

/* A segment counts once, for the lane that sent it (row_counts_segment, as
 * fold.c counts); one dropped on this host before the wire never left. */
static void facts_segment(struct conn_facts *f, const struct conn *c, const struct conn_row *r)
{
	const struct syn_segment *g = &r->ev.seg;
	int sender = row_sender(r);
	__u64 ts = r->ev.ts_ns;

	if (ev_is_syn(&r->ev)) {
		first(&f->syn_ts, ts);
		if (sender == 0 && g->dir == SYN_DIR_TX && !(r->marks & ROW_NOT_SENT))
			first(&f->syn_tx_ts, ts);
	}
	if (ev_is_synack(&r->ev) && g->dir == SYN_DIR_RX && r->end == 0)
		first(&f->synack_rx_ts, ts);
	if (r->marks & ROW_NOT_SENT)
		return;
	first(&f->first_seg_ts, ts);
	f->last_seg_ts = ts; /* any sighting: the last one arrived then */
	if (!row_counts_segment(r))
		return; /* its departure counted it */
	if (g->dir != SYN_DIR_TX && c->end[sender].traced)
		f->unshown[sender]++;
	f->segs[sender]++;
	f->bytes[sender] += g->len;
	if (r->marks & ROW_RETRANSMIT)
		f->rtx[sender]++;
	if ((g->flags & SYN_TCP_FIN) && !(g->flags & SYN_TCP_RST))
		first(&f->fin_ts[sender], ts);
	if (g->flags & SYN_TCP_RST)
		first(&f->rst_ts[sender], ts);
}

static bool is_accept(__u8 call)
{
	return call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4;
}

/* Errors that say how a connection ended rather than how a program used it. */
static bool ending_errno(long ret)
{
	return ret == -ETIMEDOUT || ret == -ECONNREFUSED || ret == -EHOSTUNREACH ||
	       ret == -ENETUNREACH;
}

static void facts_call(struct conn_facts *f, const struct conn_row *r)
{
	const struct syn_syscall *s = &r->ev.sys;
	__u64 ts = r->ev.ts_ns;

	if (s->call == SYN_CALL_CONNECT && r->end == 0) {
		if (s->phase == SYN_PHASE_ENTRY) {
			first(&f->connect_ts, ts);
		} else if (f->connect_ts && !f->connect_ret_ts) {
			f->connect_ret_ts = ts;
			f->connect_ret = s->ret;
		}
	}
	if (is_accept(s->call) && s->phase == SYN_PHASE_RETURN && s->ret >= 0 && r->end == 1)
		first(&f->accept_ts, ts);
	if (s->phase == SYN_PHASE_RETURN && !f->err && ending_errno((long)s->ret))
		f->err = (long)s->ret;
}

static void facts_state(struct conn_facts *f, const struct conn_row *r)
{
	const struct syn_state *s = &r->ev.state;

	if (r->marks & ROW_INFERRED)
		return; /* times are the kernel's */
	if (s->newstate == ST_ESTABLISHED &&
	    (s->oldstate == ST_SYN_SENT || s->oldstate == ST_SYN_RECV))
		first(&f->estab_ts[r->end], r->ev.ts_ns);
	if (s->newstate == ST_CLOSE && !f->close_from[r->end])
		f->close_from[r->end] = s->oldstate;
}

static void facts_reset(struct conn_facts *f, const struct conn *c, const struct conn_row *r)
{
	const struct syn_reset *s = &r->ev.rst;

	if (s->kind == SYN_RESET_SENT) {
		count_reason(f->rsts, &f->rsts_other, s->reason);
		if (f->rst_reason_lane < 0) {
			f->rst_reason_lane = (__s8)r->end;
			f->rst_reason = s->reason;
		}
	} else if (!c->end[!r->end].traced && !(r->marks & ROW_NO_RST)) {
		f->rsts_peer++; /* its sender said nothing: not on this host */
	}
}

void facts_rows(struct conn_facts *f, const struct conn *c, const struct conn_row *rows,
		size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct conn_row *r = &rows[i];

		first(&f->first_ts, r->ev.ts_ns);
		if (r->ev.ts_ns > f->last_ts)
			f->last_ts = r->ev.ts_ns;
		switch (r->ev.kind) {
		case SYN_EV_SEGMENT:
			facts_segment(f, c, r);
			break;
		case SYN_EV_SYSCALL:
			facts_call(f, r);
			break;
		case SYN_EV_STATE:
			facts_state(f, r);
			break;
		case SYN_EV_RESET:
			facts_reset(f, c, r);
			break;
		case SYN_EV_DROP:
			count_reason(f->drops, &f->drops_other, r->ev.drop.reason);
			break;
		case SYN_EV_RETRANSMIT:
			f->kernel_rtx[r->end]++;
			break;
		case SYN_EV_TIMEWAIT:
			if (r->ev.tw.substate == ST_FIN_WAIT2)
				f->fin_wait2_timeout = true;
			break;
		}
	}
}

/* ---- the end: how it ended, durations ------------------------------------ */

/* The earlier of two times that may be unknown (0). */
static __u64 earlier(__u64 a, __u64 b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static __s64 span(__u64 from, __u64 to)
{
	return from && to && to >= from ? (__s64)(to - from) : -1;
}

/* The lane whose FIN or RST came first: it closed first. */
static int first_closer(const struct conn_facts *f)
{
	__u64 t0 = earlier(f->fin_ts[0], f->rst_ts[0]), t1 = earlier(f->fin_ts[1], f->rst_ts[1]);

	if (!t0 && !t1)
		return -1;
	return !t1 || (t0 && t0 <= t1) ? 0 : 1;
}

/* A lane the kernel closed from an open state after resending, with no
 * reset: its retransmissions ran out. */
static bool gave_up(const struct conn_facts *f)
{
	for (int i = 0; i < 2; i++) {
		__u8 from = f->close_from[i];

		if (f->kernel_rtx[i] && !f->rst_ts[0] && !f->rst_ts[1] &&
		    (from == ST_SYN_SENT || from == ST_SYN_RECV || from == ST_ESTABLISHED ||
		     from == ST_FIN_WAIT1 || from == ST_CLOSE_WAIT || from == ST_CLOSING))
			return true;
	}
	return false;
}

/* A reset before both FINs were out ended it: refused when it answered the
 * SYN (no handshake done, sent by the server, or connect() said so). */
static bool ended_by_reset(struct conn_facts *f)
{
	__u64 rst = earlier(f->rst_ts[0], f->rst_ts[1]);
	__u64 fins = f->fin_ts[0] && f->fin_ts[1] ?
		     (f->fin_ts[0] > f->fin_ts[1] ? f->fin_ts[0] : f->fin_ts[1]) : 0;
	bool handshake = f->estab_ts[0] || f->estab_ts[1] || f->synack_rx_ts;

	if (!rst && f->rst_reason_lane >= 0)
		rst = f->last_ts; /* a reset event without its segment (filtered, lost) */
	if (!rst || (fins && fins < rst))
		return false;
	f->rst_lane = (__s8)(f->rst_ts[0] && f->rst_ts[0] == rst ? 0 :
			     f->rst_ts[1] ? 1 : f->rst_reason_lane);
	f->outcome = f->err == -ECONNREFUSED || (!handshake && f->rst_lane == 1) ? OUT_REFUSED
										   : OUT_RST;
	return true;
}

static enum conn_outcome outcome_of(struct conn_facts *f, const struct conn *c)
{
	if (c->proto == IPPROTO_UDP)
		return c->complete ? OUT_CLOSED : c->evicted ? OUT_EVICTED : OUT_OPEN;
	if (ended_by_reset(f))
		return f->outcome;
	if (f->err == -ETIMEDOUT || f->fin_wait2_timeout || gave_up(f))
		return OUT_TIMEOUT;
	if (f->err == -EHOSTUNREACH || f->err == -ENETUNREACH)
		return OUT_UNREACHABLE;
	if (f->fin_ts[0] && f->fin_ts[1])
		return OUT_FIN;
	if (c->evicted)
		return OUT_EVICTED;
	return c->complete ? OUT_CLOSED : OUT_OPEN;
}

void facts_end(struct conn_facts *f, const struct conn *c)
{
	f->outcome = outcome_of(f, c);
	f->closed_first = (__s8)first_closer(f);
	f->time_wait = 0;
	for (int i = 0; i < 2; i++)
		if (c->end[i].state == ST_TIME_WAIT && c->end[i].tw_since)
			f->time_wait |= (__u8)(1u << i);
	if (c->end[0].traced)
		f->syn_synack_ns = span(f->syn_tx_ts, f->synack_rx_ts);
	f->connect_nonblocking = f->connect_ret_ts && f->connect_ret == -EINPROGRESS;
	if (f->connect_nonblocking)
		f->connect_ns = span(f->connect_ts, f->estab_ts[0]);
	else
		f->connect_ns = span(f->connect_ts, f->connect_ret_ts);
	f->accept_ns = span(f->estab_ts[1], f->accept_ts);
	f->duration_ns = span(f->syn_ts ? f->syn_ts : f->first_ts,
			      f->last_seg_ts ? f->last_seg_ts : f->last_ts);
}

const char *facts_outcome_name(enum conn_outcome o)
{
	static const char *const names[OUT_N] = {
		[OUT_OPEN] = "open", [OUT_FIN] = "fin", [OUT_RST] = "rst",
		[OUT_REFUSED] = "refused", [OUT_TIMEOUT] = "timeout",
		[OUT_UNREACHABLE] = "unreachable", [OUT_EVICTED] = "evicted",
		[OUT_CLOSED] = "closed",
	};

	return (unsigned int)o < OUT_N ? names[o] : "?";
}

__s64 facts_opening_ns(const struct conn_facts *f)
{
	__s64 m = f->syn_synack_ns;

	if (f->connect_ns > m)
		m = f->connect_ns;
	if (f->accept_ns > m)
		m = f->accept_ns;
	return m;
}

/* ---- choosing connections ------------------------------------------------- */

bool conn_select_any(const struct conn_select *s)
{
	return s->slower_ns || s->rst_only || s->comm[0];
}

static bool comm_is(const char comm[SYN_COMM_LEN], const char *want)
{
	return !strncmp(comm, want, SYN_COMM_LEN);
}

bool conn_selected(const struct conn_select *s, const struct conn *c)
{
	const struct conn_facts *f = c->facts;

	if (s->rst_only && f->outcome != OUT_RST && f->outcome != OUT_REFUSED)
		return false;
	if (s->slower_ns && facts_opening_ns(f) < (__s64)s->slower_ns)
		return false;
	if (s->comm[0] && !comm_is(c->end[0].comm, s->comm) && !comm_is(c->end[1].comm, s->comm))
		return false;
	return true;
}

static bool addr_loopback(__u8 family, const __u8 a[16])
{
	static const __u8 v6_loopback[16] = { [15] = 1 };
	static const __u8 v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return a[0] == 127;
	return family == AF_INET6 && (!memcmp(a, v6_loopback, 16) ||
				      (!memcmp(a, v4_mapped, 12) && a[12] == 127));
}

bool conn_end_remote(const struct conn_end *e)
{
	return !e->traced && !addr_loopback(e->family, e->addr);
}
