/* What the tracker's two files share: tracker.c routes events to
 * connections (identity, attribution), tracker_conn.c keeps a connection
 * from its first row to the sinks (batches, settling, the end). */
#ifndef SYNSCOPE_TRACKER_INT_H
#define SYNSCOPE_TRACKER_INT_H

#include "track/finished.h"
#include "track/fold.h"
#include "base/hmap.h"
#include "track/timeline.h"
#include "track/tracker.h"

/* How sure we are who owns an end. */
enum attribution {
	ATTR_NONE = 0,
	ATTR_LISTENER = 1, /* the process listening on the server's port */
	ATTR_SYSCALL = 2,  /* the process that connected or accepted it */
};

/* What the tracker learnt of one end from its raw events: who owns it, and
 * whether it has settled (tracker_conn.c: end_settled). Swapped with the
 * end when the ends take their lanes. */
struct tend {
	enum attribution attr;
	bool sockless_rst;     /* answered with a reset and has no socket */
	bool handed_over;      /* the kernel reported FIN_WAIT2 -> CLOSE: a timewait socket
				* in FIN-WAIT-2 took over */
	bool fin_in;           /* the peer's FIN arrived at this end */
	bool rst_in;           /* an RST arrived at this end */
	bool tw_gone;          /* its timewait socket ended (SYN_EV_TIMEWAIT) */
	bool synack_out;       /* it answered a SYN */
};

struct setup;

/* The tracker's lists of connections, each doubly linked through a link of
 * its own in every tconn. */
enum tlist_id {
	TL_OPEN,    /* open connections, most recently active first */
	TL_SETTLED, /* settled ones waiting for TRACKER_GRACE_NS, in the order they settled */
	TL_BIRTH,   /* open ones in the order they began: not continued ones */
	TL_HOLDING, /* ones with rows waiting, by when the latest came: oldest first */
	TL_N
};

struct tconn;
struct tlink {
	struct tconn *prev, *next;
};
struct tlist {
	struct tconn *first, *last;
};

struct tconn {
	struct conn c;          /* what the sinks see: first member */
	__u64 key;              /* key in by_tuple, 0 when not indexed */
	struct tend te[2];
	int in_call;            /* socket calls entered and not yet returned */
	bool segments;          /* a segment of it was seen */
	bool ordered;           /* the ends have their lanes for good (a batch went out) */
	struct row_vec raw;     /* rows not handed over yet, in time order */
	bool holding;           /* in the holding list */
	struct timeline tl;
	struct fold *fold;      /* the story being folded; made with the first batch */
	struct conn_facts *facts; /* what it amounts to so far: made with the first batch of
				   * many, or for the last one on conn_finish()'s stack */
	bool facts_borrowed;    /* facts is conn_finish()'s, not to be freed */
	struct setup *setup;    /* its listener's setup, for the story's start (setup.c) */
	__u64 setup_sock;       /* ... drawn in the lane of this socket, the listener's child */
	__u64 last_ts;          /* its latest event: the open list is kept by this */
	__u64 settled_at;       /* every end settled at this time; 0 while not */
	bool retired;           /* a new connection took its tuple: it waits, unindexed, for
				 * the clock to hand it over as it was then (retired_complete) */
	bool retired_complete;
	struct tlink link[TL_N]; /* its place in each of the tracker's lists */
	bool in_birth;          /* in the birth list (the settled list: settled_at) */
};

/* What the tracker keeps of a connection that ended (finished.h), to go on
 * where it stopped when a late segment of it comes. */
struct afterlife {
	__u64 id;
	__u8 proto;
	struct conn_end end[2]; /* in their lanes: the client first */
	struct tend te[2];
	struct timeline tl;
};

struct pending {
	struct syn_event *evs;
	size_t n, cap;
};

struct listener {
	__u32 pid;
	char comm[SYN_COMM_LEN];
};

struct tracker {
	struct syn_sink **sinks;
	int nsinks;
	struct tracker_opts opts;
	struct hmap by_tuple;   /* tuple key -> tconn */
	struct hmap by_sock;    /* sock_id -> tconn */
	struct hmap pending;    /* sock_id -> pending: events before the tuple */
	struct hmap accepts;    /* netns:tid -> syn_event: accept() entered, not returned */
	struct hmap listeners;  /* netns:port -> listener */
	struct hmap udp_bound;  /* netns:port -> udp_bound: an unconnected UDP socket's calls wait
				 * there for a datagram to its port to join */
	struct hmap setups;     /* sock_id -> setup: a listener's calls before its connections */
	struct hmap setup_ports; /* netns:port -> setup, the same */
	size_t nsetups;
	struct finished_table finished;
	struct tlist lists[TL_N]; /* open, settled and birth lists (enum tlist_id) */
	size_t nopen, npending, nsettled;
	__u64 next_id;
	__u64 clock;            /* the source's time: the latest tick, or event without ticks */
	bool ticked;            /* the source sends ticks: only they move the clock */
	__u64 lost_until;       /* events stamped up to this may have lost company */
	size_t quiet_freed;     /* bytes of quiet connections' rows freed since the last trim */
	struct halfopen halfopen;
	struct run_summary sum;
};

/* setup.c: a listener's setup, drawn before its first connection */
/* listen() entered or returned on a socket without a connection; before: the
 * socket's calls until then (socket, setsockopt, bind), or NULL. */
void setup_listen(struct tracker *t, const struct syn_event *e, const struct pending *before);
/* Another event of a socket whose setup is kept (its CLOSE -> LISTEN, a
 * setsockopt() after listen()): kept too. False when it has none. */
bool setup_note(struct tracker *t, const struct syn_event *e);
/* The listener closes: its setup is forgotten. */
void setup_end(struct tracker *t, const struct syn_event *e);
/* e made tc's full socket from a listener: tc takes that listener's setup,
 * if no connection did before. */
void setup_claim(struct tracker *t, struct tconn *tc, const struct syn_event *e);
/* The first batch of tc's story: the setup it took goes first. */
void setup_place(struct tconn *tc, struct fold *f);
void setup_free_one(struct setup *s);
void setup_free_all(struct tracker *t);

/* tracker_conn.c */
struct tconn *conn_new(struct tracker *t, const struct syn_event *e);
void conn_touch(struct tracker *t, struct tconn *tc, __u64 ts);
void conn_unborn(struct tracker *t, struct tconn *tc);
void conn_add_row(struct tracker *t, struct tconn *tc, const struct syn_event *e, int end);
bool conn_settled(const struct tconn *tc);
void conn_check_settled(struct tracker *t, struct tconn *tc);
void conn_finish(struct tracker *t, struct tconn *tc, bool complete);
void conn_evict(struct tracker *t, struct tconn *tc, __u8 reason);
void conn_retire(struct tracker *t, struct tconn *tc);
void conn_finish_settled(struct tracker *t, struct tconn *tc);
void tracker_run_clock(struct tracker *t);
void conn_free(struct tconn *tc);

#endif
