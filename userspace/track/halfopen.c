/* Half-open connections counted by port (halfopen.h). */
#include <stdlib.h>
#include <string.h>
#include "track/halfopen.h"

bool halfopen_is(const struct conn *c)
{
	if (c->proto && c->proto != 6 /* IPPROTO_TCP */)
		return false;
	if (c->continued || !c->nrows)
		return false;
	for (size_t i = 0; i < c->nrows; i++) {
		const struct syn_event *e = &c->rows[i].ev;

		if (e->kind == SYN_EV_SYSCALL || e->kind == SYN_EV_DESTROY ||
		    (e->kind == SYN_EV_STATE && !(c->rows[i].marks & ROW_INFERRED)))
			return false;
		if (e->kind == SYN_EV_SEGMENT && (e->seg.len || (e->seg.flags & SYN_TCP_FIN)))
			return false;
		if (e->kind == CONN_ROW_SUMMARY)
			return false;
	}
	return true;
}

/* The port's line: the server lane's address and port. */
static struct halfopen_port *port_of(struct halfopen *h, const struct conn_end *srv)
{
	for (size_t i = 0; i < h->n; i++) {
		struct halfopen_port *p = &h->ports[i];

		if (p->port == srv->port && p->netns == srv->netns && p->family == srv->family &&
		    !memcmp(p->addr, srv->addr, 16))
			return p;
	}
	if (h->n == HALFOPEN_PORTS)
		return &h->ports[h->n - 1]; /* the last line takes the rest */
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 4;
		struct halfopen_port *p = realloc(h->ports, cap * sizeof(*p));

		if (!p)
			return NULL;
		h->ports = p;
		h->cap = cap;
	}
	struct halfopen_port *p = &h->ports[h->n++];

	memset(p, 0, sizeof(*p));
	p->netns = srv->netns;
	p->family = srv->family;
	memcpy(p->addr, srv->addr, 16);
	p->port = srv->port;
	return p;
}

static void count_drop(struct halfopen_port *p, __u32 reason)
{
	for (int i = 0; i < HALFOPEN_DROP_REASONS; i++) {
		if (p->drops[i].count && p->drops[i].reason != reason)
			continue;
		p->drops[i].reason = reason;
		p->drops[i].count++;
		return;
	}
	p->drops_other++;
}

/* What the server lane (end 1) saw and did. */
static void count_rows(struct halfopen_port *p, const struct conn *c, bool *answered,
		       bool *reset, bool *refused)
{
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];
		const struct syn_event *e = &r->ev;
		bool at_server = r->end == 1, in = e->seg.dir == SYN_DIR_RX;

		if (e->kind == SYN_EV_DROP && at_server) {
			count_drop(p, e->drop.reason);
		} else if (e->kind == SYN_EV_RETRANSMIT && e->rtx.kind == SYN_RETRANS_SYNACK) {
			p->synacks_resent++;
		} else if (e->kind == SYN_EV_SEGMENT) {
			/* a segment counts where the server end saw it, or where the
			 * client sent it when the server end is not on this host */
			if (!at_server && c->end[1].traced)
				continue;
			if (!at_server)
				in = !in;
			if (in && (e->seg.flags & (SYN_TCP_SYN | SYN_TCP_ACK)) == SYN_TCP_SYN)
				p->syns++;
			if (in && (e->seg.flags & SYN_TCP_RST))
				p->rsts_in++, *reset = true;
			if (!in && (e->seg.flags & SYN_TCP_SYN))
				p->synacks++, *answered = true;
			if (!in && (e->seg.flags & SYN_TCP_SYN) && (r->marks & ROW_COOKIE))
				p->cookies++;
			if (!in && (e->seg.flags & SYN_TCP_RST))
				p->rsts_out++, *refused = true;
		}
	}
}

bool halfopen_count(struct halfopen *h, const struct conn *c)
{
	struct halfopen_port *p = port_of(h, &c->end[1]);
	bool answered = false, reset = false, refused = false;
	__u64 ts = c->nrows ? c->rows[0].ev.ts_ns : 0;

	if (!p)
		return true; /* out of memory: draw it rather than lose it */
	count_rows(p, c, &answered, &reset, &refused);
	p->ends[refused ? HO_REFUSED : reset ? HO_RESET : answered ? HO_NO_ACK : HO_UNANSWERED]++;
	if (!p->first_ts || ts < p->first_ts)
		p->first_ts = ts;
	if (ts > p->last_ts)
		p->last_ts = ts;
	p->conns++;
	if (h->all || p->drawn < HALFOPEN_DRAWN) {
		p->drawn++;
		return true;
	}
	h->counted++;
	return false;
}

void halfopen_free(struct halfopen *h)
{
	free(h->ports);
	memset(h, 0, sizeof(*h));
}
