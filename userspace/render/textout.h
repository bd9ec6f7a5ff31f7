/* Text pieces the text sinks (ladder, stream, jsonl) share, so that the same
 * event reads the same in every format. Nothing here allocates. */
#ifndef SYNSCOPE_TEXTOUT_H
#define SYNSCOPE_TEXTOUT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "track/conn.h"
#include "track/sink.h"

/* ---- colour and column-aware output ---- */

enum txt_color {
	TXT_PLAIN = 0,
	TXT_SYN,      /* green */
	TXT_FIN,      /* yellow */
	TXT_RST,      /* bold red */
	TXT_RETRANS,  /* magenta */
	TXT_BOLD,     /* a lane whose state just changed */
	TXT_DIM,      /* inferred: synscope's guess, not the kernel's report */
};

/* The colour of a segment's drawing: retransmit > RST > SYN > FIN > plain. */
enum txt_color txt_segment_color(unsigned int flags, bool retransmit);

/* One output line written piece by piece. It counts display columns (escape
 * codes excluded) and holds padding back until more text follows, so colour
 * never moves a column and lines never end in spaces. */
struct txt_line {
	FILE *f;
	bool color;
	int col;      /* columns written */
	int pending;  /* spaces owed before the next text */
	size_t len;   /* bytes held in buf: a line is written with one fwrite */
	char buf[512];
};

void txt_line_start(struct txt_line *l, FILE *f, bool color);
/* Continue at column col (no-op if already there or past it). */
void txt_line_pad_to(struct txt_line *l, int col);
/* Like pad_to, but keep at least one space from what is already written. */
void txt_line_gap_to(struct txt_line *l, int col);
/* txt_line_putn's other cases: colour, a full buffer. */
void txt_line_putn_slow(struct txt_line *l, enum txt_color c, const char *s, size_t n);

/* Write the n bytes (ASCII) at s in colour c. Inline: a ladder row is a dozen
 * pieces, most of them short, plain and after some padding. */
static inline void txt_line_putn(struct txt_line *l, enum txt_color c, const char *s, size_t n)
{
	size_t pad = (size_t)l->pending;

	if (!n)
		return;
	if ((l->color && c != TXT_PLAIN) || l->len + pad + n > sizeof(l->buf)) {
		txt_line_putn_slow(l, c, s, n);
		return;
	}
	memset(l->buf + l->len, ' ', pad);
	memcpy(l->buf + l->len + pad, s, n);
	l->len += pad + n;
	l->col += (int)(pad + n);
	l->pending = 0;
}

/* Write s (ASCII) in colour c. */
static inline void txt_line_put(struct txt_line *l, enum txt_color c, const char *s)
{
	txt_line_putn(l, c, s, strlen(s));
}
/* Write s so that it ends at column end_col, at least one space after the
 * text before it. */
void txt_line_put_right(struct txt_line *l, enum txt_color c, const char *s, int end_col);
/* End the line: returns its display width. */
int txt_line_end(struct txt_line *l);

/* The next line of wrapped text: from *p, as many pieces separated by brk
 * as fit in room columns, joined by single spaces, into out; a piece wider
 * than room is cut. Advances *p; false when nothing is left. */
bool txt_wrap_next(const char **p, char brk, int room, char *out, size_t len);
/* Print text over as many lines as needed to stay within width columns,
 * breaking only at the character brk (printed as a space). The first line is
 * indented by first_indent, the others by indent. A piece longer than a
 * whole line is cut, never let past width. */
void txt_wrap(FILE *f, const char *text, char brk, int first_indent, int indent, int width);

/* printf-free pieces for the hot paths (every row of every connection):
 * each writes at p, with no terminating NUL, and returns the new end. The
 * caller makes room: a number takes at most 20 characters. */
char *txt_put_u64(char *p, unsigned long long v);
char *txt_put_s64(char *p, long long v);
char *txt_put_str(char *p, const char *s);

/* Append word to the space-separated words in buf (nothing if word is "");
 * cut to fit; returns buf. */
char *txt_add_word(char *buf, size_t len, const char *word);
/* Copy src into dst of size len, cut to fit; returns dst. */
char *txt_copy(char *dst, size_t len, const char *src);
/* A message that quotes its input stays one line of plain text: each control
 * byte becomes '?'. Returns s. */
char *txt_one_line(char *s);

/* ---- times ---- */

/* ns as seconds "S.uuuuuu"; fewer decimals when that is wider than width
 * (width <= 0: always 6 decimals). Truncates, never rounds up. */
char *txt_seconds(__u64 ns, int width, char *buf, size_t len);
/* A gap between rows: "+0" (under 1 us), "+9us", "+1234us", "+1.234567s";
 * at most 10 columns. */
char *txt_delta(__u64 ns, char *buf, size_t len);
/* Epoch nanoseconds as "2026-11-23 11:21:37.123456 UTC". */
char *txt_wall_utc(__s64 epoch_ns, char *buf, size_t len);

/* ---- names and event text ---- */

/* "ECONNREFUSED" ... for the errnos sockets commonly return; NULL otherwise. */
const char *txt_errno_name(long err);
/* shutdown()'s how: "SHUT_RD", "SHUT_WR", "SHUT_RDWR"; NULL otherwise. */
const char *txt_shutdown_how(int how);
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

/* v with thousands separators: "1,234,567". Returns buf. */
char *txt_thousands(unsigned long long v, char *buf, size_t len);
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
	char opts[64];
};

void seg_text_build(struct seg_text *t, const struct syn_event *e, int end,
		    const struct seq_base *b);
/* What a row's marks add to its flags: "SYN,ACK(cookie)", "ACK(dup)". */
void seg_text_marks(struct seg_text *t, __u8 marks);
/* The tokens whose bit is in mask, joined by spaces. */
char *seg_text_join(const struct seg_text *t, unsigned int mask, char *buf, size_t len);

/* Display columns of UTF-8 text: East Asian wide characters count two. */
int txt_width(const char *s);
/* Print UTF-8 text wrapped to width columns: the first line indented by
 * indent and starting with mark, the others aligned under the text after
 * mark. Breaks at spaces, and between wide (CJK) characters. */
void txt_wrap_utf8(FILE *f, const char *text, int indent, const char *mark, int width);

/* "synscope: N connections (M incomplete), E events, L lost\n" */
void txt_summary(FILE *f, const struct run_summary *sum);
/* The half-open connections that were counted and not drawn, a line a port:
 * SYNs in, SYN-ACKs out (cookies), resets, drops by reason, how they ended. */
void txt_halfopen(FILE *f, const struct halfopen *h, __s64 wall_offset_ns);

#endif
