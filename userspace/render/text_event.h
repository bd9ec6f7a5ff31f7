/* Events, rows and segments as the text sinks write them, so that the same
 * event reads the same in every format. Nothing here allocates. */
#ifndef SYNSCOPE_TEXT_EVENT_H
#define SYNSCOPE_TEXT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include "track/conn.h"

/* comm made printable ASCII: other bytes become '?', so a process name can
 * never smuggle escape codes into a terminal. */
char *txt_comm(const char comm[SYN_COMM_LEN], char *buf, size_t len);
/* "comm/pid", or "?" when pid is 0 (not known). */
char *txt_proc(__u32 pid, const char comm[SYN_COMM_LEN], char *buf, size_t len);
/* The process an event is shown as: a syscall names its caller; a packet or
 * a state change on a lane names the lane's owner, or nobody (pid 0), never
 * the task that happened to run the softirq. Outside a connection (listen(),
 * a listener's states: always in the caller's context) the event's own. */
void txt_event_owner(const struct syn_event *e, const struct conn *conn, int end,
		     __u32 *pid, const char **comm);
/* Who a lane belongs to, as a connection's header names it: "comm/pid",
 * "?" (not known), "(no socket)" (on this host but never had a socket, e.g.
 * a SYN to a closed port) or "(remote)" (only its packets were seen). */
char *txt_end_proc(const struct conn_end *e, char *buf, size_t len);
/* "client" or "server". */
const char *txt_lane_name(int end);

/* Entry "connect(fd=3)", "shutdown(fd=3, SHUT_WR)", "listen(fd=3, backlog=128)";
 * return "connect = 0", "accept4 = 4", "connect = -1 ECONNREFUSED". */
char *txt_syscall(const struct syn_event *e, char *buf, size_t len);

/* Append " [comm/pid]" of the process that made syscall e when it is not the
 * lane's owner owner_pid. Returns buf. */
char *txt_add_caller(char *buf, size_t len, const struct syn_event *e, __u32 owner_pid);

/* ---- sequence numbers ---- */

/* Each lane's initial sequence number: the seq of the first SYN it sent. */
struct seq_base {
	bool known[2];
	__u32 isn[2];
};

/* The lane that sent a segment seen on lane end: tx -> end, rx -> the other. */
int seg_sender(const struct syn_event *e, int end);
/* Learn an ISN from e if it is a SYN whose sender's ISN is not known yet. */
void seq_base_note(struct seq_base *b, const struct syn_event *e, int end);
/* Learn ISNs from the first max_rows rows of c. */
void seq_base_scan(struct seq_base *b, const struct conn *c, size_t max_rows);
/* v relative to lane who's ISN; v itself when b is NULL or the ISN unknown. */
__u32 seq_rel(const struct seq_base *b, int who, __u32 v);

/* State, retransmit, reset, destroy and lost events as one short text:
 * "SYN_SENT -> ESTABLISHED", "fast retransmit: seq=N", "RST sent reason=2",
 * "socket freed", "LOST 5 events". Syscalls as txt_syscall(). Segments are
 * seg_text's job. b may be NULL (absolute seq). */
char *txt_event_text(const struct syn_event *e, int end, const struct seq_base *b,
		     char *buf, size_t len);

/* Why the kernel resent: "fast retransmit", "retransmission timeout",
 * "tail loss probe", "SYN resent (timer)", "SYN-ACK resent (timer)", or
 * "retransmit" when the event does not say (a recording of ABI 2). */
const char *txt_retransmit_cause(const struct syn_event *e);

/* ---- rows as notes ---- */

/* A summary row (CONN_ROW_SUMMARY) in two parts: head "2,984 rows in 1.203 s
 * summarized", body what they were, lane by lane. Returns head. */
char *txt_summary_text(const struct conn *c, const struct conn_row *r, char *head, size_t hlen,
		       char *body, size_t blen);

/* A row that is not a segment as one note, as the ladder writes it:
 * txt_event_text() plus " ..." after a call that waits for the handshake,
 * " [comm/pid]" when another process than the lane's owner made the call,
 * " (inferred)" on a state synscope inferred. */
char *txt_row_text(const struct conn *c, const struct conn_row *r, const struct seq_base *b,
		   char *buf, size_t len);

/* ---- segment labels ---- */

enum seg_tok { SEG_FLAGS, SEG_SEQ, SEG_ACK, SEG_LEN, SEG_WIN, SEG_NTOK };
#define SEG_TOK_ALL ((1u << SEG_NTOK) - 1)

/* A segment's label in pieces, so a sink can drop the ones that do not fit:
 * tok[SEG_FLAGS] "SYN,ACK", "seq=N", "ack=N" (only with ACK), "len=N" (only
 * when > 0), "win=N" (on SYNs only); "" = absent.
 * opts: "mss=N ws=N sackOK ts=VAL/ECR", the options present. */
struct seg_text {
	char tok[SEG_NTOK][40];
	char opts[80];   /* the longest: 70 (text_event.c) */
};

void seg_text_build(struct seg_text *t, const struct syn_event *e, int end,
		    const struct seq_base *b);
/* What a row's marks add to its flags: "SYN,ACK(cookie)", "ACK(dup)". */
void seg_text_marks(struct seg_text *t, __u8 marks);
/* The tokens whose bit is in mask, joined by spaces. */
char *seg_text_join(const struct seg_text *t, unsigned int mask, char *buf, size_t len);

#endif
