/* Who owns each end of a connection (owners.h). */
#include <stdlib.h>
#include <string.h>
#include "track/owners.h"

__u64 listener_key(__u32 netns, __u16 port)
{
	return ((__u64)netns << 16 | port) + 1;
}

void set_role(struct tconn *tc, int end, enum conn_role role)
{
	struct conn_end *e = &tc->c.end[end], *o = &tc->c.end[!end];

	if (e->role == ROLE_UNKNOWN)
		e->role = role;
	if (o->role == ROLE_UNKNOWN)
		o->role = role == ROLE_CLIENT ? ROLE_SERVER : ROLE_CLIENT;
}

void attribute(struct tconn *tc, int end, __u32 pid, const char *comm,
		      enum attribution how)
{
	struct conn_end *e = &tc->c.end[end];

	if (tc->te[end].attr >= how)
		return;
	tc->te[end].attr = how;
	e->pid = pid;
	memcpy(e->comm, comm, SYN_COMM_LEN);
}

/* Before accept(), the server end belongs to whoever listens on its port. */
void attribute_listener(struct tracker *t, struct tconn *tc, int end)
{
	struct conn_end *e = &tc->c.end[end];
	struct listener *l;

	if (e->role == ROLE_CLIENT)
		return;
	l = hmap_get(&t->listeners, listener_key(e->netns, e->port));
	if (!l)
		return;
	e->listening = true;
	if (tc->te[end].attr == ATTR_NONE)
		attribute(tc, end, l->pid, l->comm, ATTR_LISTENER);
}

void listener_set(struct tracker *t, const struct syn_event *e)
{
	__u64 key = listener_key(e->netns, e->sport);
	struct listener *l = hmap_get(&t->listeners, key);

	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || hmap_put(&t->listeners, key, l)) {
			free(l);
			return;
		}
	}
	l->pid = e->pid;
	memcpy(l->comm, e->comm, SYN_COMM_LEN);
}

void listener_drop(struct tracker *t, const struct syn_event *e)
{
	free(hmap_del(&t->listeners, listener_key(e->netns, e->sport)));
}
