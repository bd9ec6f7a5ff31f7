/* The kernel side's filters (-P ports, -p pid, -4/-6), in userspace, for
 * replaying a recording: filtering a full recording gives the connections
 * that filtering live would have given (docs/recording.md says where it can
 * differ). The rules follow the kernel side's (bpf/filter.bpf.h and its callers):
 *  - a socket that passed once is remembered by sock_id (its late events
 *    carry local port 0); with a pid filter, so are its local ports, which
 *    let its received segments and softirq state changes through; a process
 *    name filter (--comm) is a pid filter whose processes are named so;
 *  - a call's return passes when its entry did;
 *  - the kernel knows connect()'s destination from the user's sockaddr; a
 *    recording does not, so with a port filter a connect() entry waits for
 *    the first event of its socket that names the destination port (or the
 *    call's return) before it is let through or dropped.
 * Events come out in the order they went in. */
#ifndef SYNSCOPE_EVENT_FILTER_H
#define SYNSCOPE_EVENT_FILTER_H

#include <stdbool.h>
#include "bpf/synscope_event.h"

struct event_filter_opts {
	__u16 ports[SYN_MAX_PORTS];
	int nports;
	__u32 pid;     /* only this process's calls (descendants are not known) */
	__u8 family;   /* AF_INET / AF_INET6; 0 = both */
	char comm[SYN_COMM_LEN]; /* only calls of tasks with this name ("" = any): as the pid */
};

/* Where the events that pass go. */
typedef void (*event_filter_emit)(void *ctx, const struct syn_event *e);

struct event_filter;

/* NULL when out of memory. */
struct event_filter *event_filter_new(const struct event_filter_opts *o);
/* Does the filter let anything less than everything through? */
bool event_filter_any(const struct event_filter_opts *o);
/* Take one event; emit() gets every event that is now known to pass. */
void event_filter_push(struct event_filter *f, const struct syn_event *e,
		       event_filter_emit emit, void *ctx);
/* No more events: what still waits for a destination is dropped. */
void event_filter_finish(struct event_filter *f, event_filter_emit emit, void *ctx);
void event_filter_free(struct event_filter *f);

/* Keep, in order, what of ev[0..*n) passes o's filters (an input read
 * whole): *ev and *n replaced. 0, or -1 when out of memory (unchanged). */
int event_filter_events(const struct event_filter_opts *o, struct syn_event **ev, size_t *n);

#endif
