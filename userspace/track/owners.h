/* Who owns each end: the process that connect()ed or accept()ed it; before
 * accept() returns, the one listening on the server's port. Packets and
 * softirq state changes carry whatever task the CPU ran: never used. */
#ifndef SYNSCOPE_TRACK_OWNERS_H
#define SYNSCOPE_TRACK_OWNERS_H

#include "track/tracker_int.h"

__u64 listener_key(__u32 netns, __u16 port);
/* listen() was called: its process owns the port's new connections. */
void listener_set(struct tracker *t, const struct syn_event *e);
void listener_drop(struct tracker *t, const struct syn_event *e);
/* One end's role, and the other's with it, unless known already. */
void set_role(struct tconn *tc, int end, enum conn_role role);
/* Credit end to a process, unless a surer way already did. */
void attribute(struct tconn *tc, int end, __u32 pid, const char *comm, enum attribution how);
void attribute_listener(struct tracker *t, struct tconn *tc, int end);

#endif
