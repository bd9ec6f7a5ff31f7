/*
 * A listener's setup: its socket(), setsockopt(), bind() (a failed one
 * too) and listen() calls and its CLOSE -> LISTEN, before any connection
 * exists. They are shown as they happen, outside any connection (the
 * stream, JSON Lines); a copy is kept by the listener's socket and port
 * until the kernel makes a full socket from that listener: its connection
 * takes the copy and draws it in that socket's lane, before its first row
 * (conn.setup_rows): the ladder then shows how the server came to listen.
 * Later connections of the same listener do not repeat it.
 */
#include <stdlib.h>
#include <string.h>
#include "track/tracker_int.h"

#define SETUP_EVENTS_MAX 32   /* calls kept per listener (the first ones) */
#define SETUPS_MAX 65536      /* listeners followed at once */

struct setup {
	__u64 sid;
	__u64 port_key;          /* key in setup_ports, 0 when not there */
	struct syn_event *evs;
	size_t n, cap;
};

static __u64 setup_port_key(__u32 netns, __u16 port)
{
	return ((__u64)netns << 16 | port) + 1;
}

static void setup_append(struct setup *s, const struct syn_event *e)
{
	if (s->n == SETUP_EVENTS_MAX)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct syn_event *p = realloc(s->evs, cap * sizeof(*p));

		if (!p)
			return;
		s->evs = p;
		s->cap = cap;
	}
	s->evs[s->n++] = *e;
}

static void setup_free(struct tracker *t, struct setup *s)
{
	if (s->port_key && hmap_get(&t->setup_ports, s->port_key) == s)
		hmap_del(&t->setup_ports, s->port_key);
	hmap_del(&t->setups, s->sid);
	t->nsetups--;
	free(s->evs);
	free(s);
}

/* The listener's port is known: connections to it find the setup there. */
static void setup_at_port(struct tracker *t, struct setup *s, const struct syn_event *e)
{
	__u64 key = setup_port_key(e->netns, e->sport);

	if (!e->sport || s->port_key == key)
		return;
	if (s->port_key && hmap_get(&t->setup_ports, s->port_key) == s)
		hmap_del(&t->setup_ports, s->port_key);
	s->port_key = hmap_put(&t->setup_ports, key, s) ? 0 : key;
}

void setup_listen(struct tracker *t, const struct syn_event *e, const struct pending *before)
{
	struct setup *s = hmap_get(&t->setups, e->sock_id);

	if (!e->sock_id)
		return;
	if (!s && e->sys.phase == SYN_PHASE_ENTRY && t->nsetups < SETUPS_MAX) {
		s = calloc(1, sizeof(*s));
		if (!s || hmap_put(&t->setups, e->sock_id, s)) {
			free(s);
			return;
		}
		s->sid = e->sock_id;
		t->nsetups++;
		for (size_t i = 0; before && i < before->n; i++)
			setup_append(s, &before->evs[i]);
	}
	if (!s)
		return;
	if (e->sys.phase == SYN_PHASE_RETURN && e->sys.ret < 0) {
		setup_free(t, s); /* no listener after all */
		return;
	}
	setup_append(s, e);
	setup_at_port(t, s, e);
}

/* By its socket, or (an event read back from JSON Lines has none) by the
 * port the listener is on. */
static struct setup *setup_of(struct tracker *t, const struct syn_event *e)
{
	if (e->sock_id)
		return hmap_get(&t->setups, e->sock_id);
	return hmap_get(&t->setup_ports, setup_port_key(e->netns, e->sport));
}

bool setup_note(struct tracker *t, const struct syn_event *e)
{
	struct setup *s = setup_of(t, e);

	if (!s)
		return false;
	setup_append(s, e);
	return true;
}

void setup_end(struct tracker *t, const struct syn_event *e)
{
	struct setup *s = setup_of(t, e);

	if (s)
		setup_free(t, s);
}

/* The kernel made a connection's full socket from a listener (its
 * LISTEN -> SYN_RECV, or accept() returned it): the first connection of
 * that listener takes its setup, which leaves the listener's keeping. */
void setup_claim(struct tracker *t, struct tconn *tc, const struct syn_event *e)
{
	__u64 key = setup_port_key(e->netns, e->sport);
	struct setup *s;

	if (tc->setup || tc->c.continued || !e->sock_id || !e->sport)
		return;
	s = hmap_get(&t->setup_ports, key);
	if (!s || !s->n)
		return;
	hmap_del(&t->setup_ports, key);
	hmap_del(&t->setups, s->sid);
	t->nsetups--;
	s->port_key = 0;
	tc->setup = s;
	tc->setup_sock = e->sock_id;
}

void setup_free_one(struct setup *s)
{
	if (s) {
		free(s->evs);
		free(s);
	}
}

/* tc's story begins in f: the setup it took goes first, in the lane of
 * the socket the listener made. */
void setup_place(struct tconn *tc, struct fold *f)
{
	struct setup *s = tc->setup;
	struct row_vec rows = { 0 };
	__u8 st = ST_CLOSE;
	int lane;

	if (!s)
		return;
	lane = tc->c.end[1].sock_id == tc->setup_sock ? 1 : tc->c.end[0].sock_id == tc->setup_sock ? 0 : -1;
	if (lane >= 0 && row_vec_reserve(&rows, s->n)) {
		for (size_t i = 0; i < s->n; i++) {
			struct conn_row *r = &rows.v[rows.n++];

			memset(r, 0, sizeof(*r));
			r->ev = s->evs[i];
			r->end = (__u8)lane;
			r->pair = -1;
			if (r->ev.kind == SYN_EV_STATE)
				st = r->ev.state.newstate;
			r->state_after[lane] = st;
		}
		if (fold_rows(f, &tc->c, rows.v, rows.n))
			tc->c.setup_rows = (__u32)tc->c.nrows;
		row_vec_free(&rows);
	}
	setup_free_one(s);
	tc->setup = NULL;
}

void setup_free_all(struct tracker *t)
{
	for (size_t i = 0; i < t->setups.cap; i++)
		setup_free_one(t->setups.vals[i]);
	hmap_free(&t->setups);
	hmap_free(&t->setup_ports);
}
