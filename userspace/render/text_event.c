/* Events, rows and segments as the text sinks write them (text_event.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "base/names.h"
#include "base/strbuf.h"
#include "render/text_event.h"
#include "track/conn_facts.h"
#include "render/text_time.h"

char *txt_comm(const char comm[SYN_COMM_LEN], char *buf, size_t len)
{
	size_t n = strnlen(comm, SYN_COMM_LEN), i;

	if (!len)
		return buf;
	for (i = 0; i < n && i + 1 < len; i++) {
		unsigned char ch = (unsigned char)comm[i];
		buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[i] = '\0';
	return buf;
}

void txt_event_owner(const struct syn_event *e, const struct conn *conn, int end,
		     __u32 *pid, const char **comm)
{
	if (!conn || e->kind == SYN_EV_SYSCALL || (end != 0 && end != 1)) {
		*pid = e->pid;
		*comm = e->comm;
	} else {
		*pid = conn->end[end].pid;
		*comm = conn->end[end].comm;
	}
}

char *txt_proc(__u32 pid, const char comm[SYN_COMM_LEN], char *buf, size_t len)
{
	char tmp[SYN_COMM_LEN + 16], *p;

	if (!pid)
		return txt_copy(buf, len, "?");
	txt_comm(comm, tmp, SYN_COMM_LEN + 1);
	p = tmp + strlen(tmp);
	*p++ = '/';
	p = txt_put_u64(p, pid);
	return txt_copy_span(buf, len, tmp, p);
}

char *txt_end_proc(const struct conn_end *e, char *buf, size_t len)
{
	if (conn_end_remote(e))
		snprintf(buf, len, "(remote)");
	else if (!e->traced) /* on this host, and nothing of it seen */
		txt_copy(buf, len, "?");
	else if (!e->pid && !e->sock_id && !e->listening && e->state != ST_LISTEN &&
		 e->state != ST_SYN_RECV)
		snprintf(buf, len, "(no socket)"); /* nothing listens: a closed port */
	else
		txt_proc(e->pid, e->comm, buf, len); /* "?": a listener from before tracing */
	return buf;
}

const char *txt_lane_name(int end)
{
	return end ? "server" : "client";
}

/* "setsockopt(fd=3, SO_REUSEADDR=1)", "setsockopt(fd=3, SO_LINGER={1,0})";
 * an option without a name: "setsockopt(fd=3, level=6, opt=99=1)". */
/* A [gs]etsockopt option by name, "SO_LINGER", or by numbers: "level=6, opt=99". */
static const char *sockopt_label(const struct syn_syscall *s, char *buf, size_t len)
{
	const char *opt = sockopt_name(s->level, s->arg);

	if (opt)
		return opt;
	snprintf(buf, len, "level=%d, opt=%d", s->level, s->arg);
	return buf;
}

static char *txt_setsockopt(const struct syn_syscall *s, char *buf, size_t len)
{
	char name[40], value[32] = "";

	if (s->vlen >= 8)
		snprintf(value, sizeof(value), "={%d,%d}", s->val[0], s->val[1]);
	else if (s->vlen >= 4)
		snprintf(value, sizeof(value), "=%d", s->val[0]);
	snprintf(buf, len, "setsockopt(fd=%d, %s%s)", s->fd, sockopt_label(s, name, sizeof(name)),
		 value);
	return buf;
}

/* A return value as a program sees it: "3", "-1 ECONNREFUSED" (the kernel
 * returns -errno; a program sees -1 and errno), "-1 errno 300". */
static const char *txt_ret(long long ret, char *buf, size_t len)
{
	long err_no = txt_errno_of(ret);
	char err[24];

	if (err_no)
		snprintf(buf, len, "-1 %s", txt_errno_text(err_no, err, sizeof(err)));
	else /* a count, or no errno: as it came */
		snprintf(buf, len, "%lld", ret);
	return buf;
}

/* getsockopt(SO_ERROR), on return: "getsockopt(fd=5, SO_ERROR): ECONNREFUSED",
 * ": 0" for no error; a failed call "getsockopt(fd=5, SO_ERROR) = -1 EBADF". */
static char *txt_getsockopt(const struct syn_syscall *s, char *buf, size_t len)
{
	char name[40], ret[32];
	const char *opt = sockopt_label(s, name, sizeof(name));

	if (s->ret != 0 || s->vlen < 4)
		snprintf(buf, len, "getsockopt(fd=%d, %s) = %s", s->fd, opt,
			 txt_ret(s->ret, ret, sizeof(ret)));
	else if (s->val[0] > 0) /* an errno */
		snprintf(buf, len, "getsockopt(fd=%d, %s): %s", s->fd, opt,
			 txt_errno_text(s->val[0], ret, sizeof(ret)));
	else
		snprintf(buf, len, "getsockopt(fd=%d, %s): %d", s->fd, opt, s->val[0]);
	return buf;
}

/* "socket(SOCK_NONBLOCK|SOCK_CLOEXEC) = 3", "accept4(fd=3, SOCK_NONBLOCK)":
 * the flags a program gave (SOCK_NONBLOCK: the socket's calls will not wait). */
static char *txt_flagged_call(const struct syn_syscall *s, char *buf, size_t len)
{
	char flags[48];

	txt_sock_flags(syn_call_sock_flags(s), "|", flags, sizeof(flags));
	if (s->call == SYN_CALL_SOCKET)
		snprintf(buf, len, "socket(%s) = %lld", flags, (long long)s->ret);
	else
		snprintf(buf, len, "%s(fd=%d, %s)", syn_call_name(s->call), s->fd, flags);
	return buf;
}

char *txt_syscall(const struct syn_event *e, char *buf, size_t len)
{
	const struct syn_syscall *s = &e->sys;
	const char *name = syn_call_name(s->call);
	char tmp[64], *p;

	if (s->phase == SYN_PHASE_ENTRY && s->call == SYN_CALL_SETSOCKOPT)
		return txt_setsockopt(s, buf, len);
	if (s->call == SYN_CALL_GETSOCKOPT)
		return txt_getsockopt(s, buf, len);
	if (syn_call_sock_flags(s))
		return txt_flagged_call(s, buf, len);
	/* the common forms without printf: "read(fd=3)", "read = 1" */
	if (s->phase == SYN_PHASE_ENTRY && s->call != SYN_CALL_SHUTDOWN && s->call != SYN_CALL_LISTEN &&
	    !syn_call_mmsg(s->call) &&
	    !((s->call == SYN_CALL_BIND || s->call == SYN_CALL_SENDTO) && s->arg)) {
		p = txt_put_str(tmp, name);
		p = txt_put_str(p, "(fd=");
		p = txt_put_s64(p, s->fd);
		*p++ = ')';
		return txt_copy_span(buf, len, tmp, p);
	}
	if (s->phase != SYN_PHASE_ENTRY && s->ret >= 0) {
		p = txt_put_str(tmp, name);
		p = txt_put_str(p, " = ");
		p = txt_put_s64(p, s->ret);
		return txt_copy_span(buf, len, tmp, p);
	}
	if (s->phase == SYN_PHASE_ENTRY) {
		const char *how = txt_shutdown_how(s->arg);

		if (s->call == SYN_CALL_SHUTDOWN && how)
			snprintf(buf, len, "%s(fd=%d, %s)", name, s->fd, how);
		else if (s->call == SYN_CALL_SHUTDOWN)
			snprintf(buf, len, "%s(fd=%d, how=%d)", name, s->fd, s->arg);
		else if (s->call == SYN_CALL_LISTEN)
			snprintf(buf, len, "%s(fd=%d, backlog=%d)", name, s->fd, s->arg);
		else if (syn_call_mmsg(s->call))
			snprintf(buf, len, "%s(fd=%d, vlen=%d)", name, s->fd, s->arg);
		else if ((s->call == SYN_CALL_BIND || s->call == SYN_CALL_SENDTO) && s->arg)
			snprintf(buf, len, "%s(fd=%d, port=%d)", name, s->fd, s->arg);
		else
			snprintf(buf, len, "%s(fd=%d)", name, s->fd);
	} else {
		snprintf(buf, len, "%s = %s", name, txt_ret(s->ret, tmp, sizeof(tmp)));
	}
	return buf;
}

char *txt_add_caller(char *buf, size_t len, const struct syn_event *e, __u32 owner_pid)
{
	char proc[48], tag[52];

	if (e->pid != owner_pid) {
		snprintf(tag, sizeof(tag), "[%s]", txt_proc(e->pid, e->comm, proc, sizeof(proc)));
		txt_add_word(buf, len, tag);
	}
	return buf;
}

/* ---- sequence numbers ---- */

int seg_sender(const struct syn_event *e, int end)
{
	return e->seg.dir == SYN_DIR_TX ? end : 1 - end;
}

void seq_base_note(struct seq_base *b, const struct syn_event *e, int end)
{
	if (e->kind != SYN_EV_SEGMENT || !(e->seg.flags & SYN_TCP_SYN) || end < 0 || end > 1)
		return;
	int who = seg_sender(e, end);
	if (!b->known[who]) {
		b->known[who] = true;
		b->isn[who] = e->seg.seq;
	}
}

void seq_base_scan(struct seq_base *b, const struct conn *c, size_t max_rows)
{
	size_t n = c->nrows < max_rows ? c->nrows : max_rows;

	memset(b, 0, sizeof(*b));
	/* the tracker saw each lane's SYN, in an earlier batch perhaps */
	for (int i = 0; i < 2; i++) {
		b->known[i] = c->end[i].isn_known;
		b->isn[i] = c->end[i].isn;
	}
	for (size_t i = 0; i < n && !(b->known[0] && b->known[1]); i++)
		seq_base_note(b, &c->rows[i].ev, c->rows[i].end);
}

__u32 seq_rel(const struct seq_base *b, int who, __u32 v)
{
	if (!b || who < 0 || who > 1 || !b->known[who])
		return v;
	return v - b->isn[who]; /* wraps mod 2^32, as sequence numbers do */
}

char *txt_event_text(const struct syn_event *e, int end, const struct seq_base *b,
		     char *buf, size_t len)
{
	switch (e->kind) {
	case SYN_EV_SYSCALL:
		return txt_syscall(e, buf, len);
	case SYN_EV_STATE: {
		char tmp[64], *p = txt_put_str(tmp, tcp_state_name(e->state.oldstate));

		p = txt_put_str(p, " -> ");
		p = txt_put_str(p, tcp_state_name(e->state.newstate));
		return txt_copy_span(buf, len, tmp, p);
	}
	case SYN_EV_RETRANSMIT:
		/* the sending end resends: its own ISN */
		snprintf(buf, len, "%s: seq=%u", txt_retransmit_cause(e), seq_rel(b, end, e->rtx.seq));
		break;
	case SYN_EV_ICMP: {
		char from[ADDR_STR_LEN];

		addr_str(e->family, e->icmp.from, from, sizeof(from));
		if (e->icmp.info && ((e->family == 10 && e->icmp.type == 2) ||
				     (e->family != 10 && e->icmp.type == 3 && e->icmp.code == 4)))
			snprintf(buf, len, "ICMP %s from %s: MTU %u (about seq=%u)",
				 icmp_error_name(e->family, e->icmp.type, e->icmp.code), from,
				 e->icmp.info, seq_rel(b, end, e->icmp.seq));
		else
			snprintf(buf, len, "ICMP %s from %s (about seq=%u)",
				 icmp_error_name(e->family, e->icmp.type, e->icmp.code), from,
				 seq_rel(b, end, e->icmp.seq));
		break;
	}
	case SYN_EV_TIMEWAIT: {
		char tmp[64], *p = txt_put_str(tmp, tcp_state_name(e->tw.substate));

		p = txt_put_str(p, " -> CLOSE (timewait socket's timer)");
		return txt_copy_span(buf, len, tmp, p);
	}
	case SYN_EV_RESET:
		if (e->rst.kind == SYN_RESET_SENT && e->rst.reason && rst_reason_name(e->rst.reason))
			snprintf(buf, len, "RST sent: %s", rst_reason_name(e->rst.reason));
		else if (e->rst.kind == SYN_RESET_SENT && e->rst.reason)
			snprintf(buf, len, "RST sent reason=%u", e->rst.reason);
		else
			snprintf(buf, len, "RST %s", e->rst.kind == SYN_RESET_SENT ? "sent" : "received");
		break;
	case SYN_EV_DESTROY:
		txt_copy(buf, len, "socket freed");
		break;
	case SYN_EV_LOST:
		snprintf(buf, len, "LOST %llu events", (unsigned long long)e->lost.count);
		break;
	case SYN_EV_DROP: {
		char flags[40];
		const char *why = drop_reason_name(e->drop.reason);

		if (e->proto == IPPROTO_UDP)
			snprintf(flags, sizeof(flags), "datagram");
		else
			tcp_flags_str(e->drop.flags, ",", flags, sizeof(flags));
		if (why)
			snprintf(buf, len, "DROPPED %s: %s", flags[0] ? flags : "segment", why);
		else
			snprintf(buf, len, "DROPPED %s: reason=%u", flags[0] ? flags : "segment",
				 e->drop.reason);
		break;
	}
	default:
		snprintf(buf, len, "%s", syn_kind_name(e->kind));
	}
	return buf;
}

const char *txt_retransmit_cause(const struct syn_event *e)
{
	const struct syn_retransmit *x = &e->rtx;

	if (x->kind == SYN_RETRANS_SYNACK)
		return "SYN-ACK resent (timer)";
	if (e->sk_kind == SYN_SK_UNKNOWN) /* a recording of ABI 2: the kernel's view was not kept */
		return "retransmit";
	if (x->state == ST_SYN_SENT)
		return "SYN resent (timer)";
	/* the state first: a loss probe timer is often pending in recovery too */
	if (x->ca_state == SYN_CA_LOSS)
		return "retransmission timeout";
	if (x->ca_state == SYN_CA_RECOVERY)
		return "fast retransmit";
	if (x->timer == SYN_TIMER_LOSS_PROBE)
		return "tail loss probe";
	return "retransmit";
}

/* ---- segment labels ---- */

/* "name=N" into a token (40 bytes: always room). */
static void seg_tok(char *tok, const char *name, unsigned int v)
{
	char *p = txt_put_str(tok, name);

	*txt_put_u64(p, v) = '\0';
}

void seg_text_build(struct seg_text *t, const struct syn_event *e, int end,
		    const struct seq_base *b)
{
	const struct syn_segment *s = &e->seg;
	int from = seg_sender(e, end);

	for (int i = 0; i < SEG_NTOK; i++)
		t->tok[i][0] = '\0';
	t->opts[0] = '\0';
	if (e->proto == IPPROTO_UDP) { /* a datagram: no flags, no sequence numbers */
		memcpy(t->tok[SEG_FLAGS], "UDP", 4);
		seg_tok(t->tok[SEG_LEN], "len=", s->len);
		return;
	}
	tcp_flags_str(s->flags, ",", t->tok[SEG_FLAGS], sizeof(t->tok[0]));
	if (!t->tok[SEG_FLAGS][0])
		memcpy(t->tok[SEG_FLAGS], "none", 5);
	seg_tok(t->tok[SEG_SEQ], "seq=", seq_rel(b, from, s->seq));
	if (s->flags & SYN_TCP_ACK) /* ack acknowledges the other end's bytes */
		seg_tok(t->tok[SEG_ACK], "ack=", seq_rel(b, 1 - from, s->ack));
	if (s->len)
		seg_tok(t->tok[SEG_LEN], "len=", s->len);
	/* the window a connection starts with; a closed one (a reset's says nothing) */
	if ((s->flags & SYN_TCP_SYN) || (s->win == 0 && !(s->flags & SYN_TCP_RST)))
		seg_tok(t->tok[SEG_WIN], "win=", s->win);

	if (s->opts) {
		/* at most "mss=65535 ws=255 sackOK ts=4294967295/4294967295
		 * fastopen:cookie=255B": 70 bytes, and the NUL */
		char *p = t->opts;

		if (s->opts & SYN_OPT_MSS)
			p = txt_put_u64(txt_put_str(p, "mss="), s->mss);
		if (s->opts & SYN_OPT_WSCALE)
			p = txt_put_u64(txt_put_str(p, p > t->opts ? " ws=" : "ws="), s->wscale);
		if (s->opts & SYN_OPT_SACK_PERM)
			p = txt_put_str(p, p > t->opts ? " sackOK" : "sackOK");
		if (s->opts & SYN_OPT_TS) {
			p = txt_put_u64(txt_put_str(p, p > t->opts ? " ts=" : "ts="), s->tsval);
			p = txt_put_u64(txt_put_str(p, "/"), s->tsecr);
		}
		if ((s->opts & SYN_OPT_FASTOPEN) && !s->fo_cookie_len)
			p = txt_put_str(p, p > t->opts ? " fastopen:cookie?" : "fastopen:cookie?");
		else if (s->opts & SYN_OPT_FASTOPEN)
			p = txt_put_str(txt_put_u64(txt_put_str(p, p > t->opts ? " fastopen:cookie="
									 : "fastopen:cookie="),
						    s->fo_cookie_len), "B");
		*p = '\0';
	}
}

void seg_text_marks(struct seg_text *t, __u8 marks)
{
	char *f = t->tok[SEG_FLAGS];
	size_t n = strlen(f);

	if ((marks & ROW_COOKIE) && n + 8 < sizeof(t->tok[0]))
		strcpy(f + n, "(cookie)");
	else if ((marks & ROW_DUP_ACK) && n + 6 < sizeof(t->tok[0]))
		strcpy(f + n, "(dup)");
}

char *seg_text_join(const struct seg_text *t, unsigned int mask, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (int i = 0; i < SEG_NTOK; i++) {
		size_t n, sp = used ? 1 : 0;

		if (!(mask & (1u << i)) || !t->tok[i][0])
			continue;
		n = strlen(t->tok[i]);
		if (used + sp + n >= len) {
			/* cut, as snprintf would, and stop */
			snprintf(buf + used, len - used, "%s%s", sp ? " " : "", t->tok[i]);
			break;
		}
		if (sp)
			buf[used] = ' ';
		memcpy(buf + used + sp, t->tok[i], n + 1);
		used += sp + n;
	}
	return buf;
}


/* ---- rows as notes ---- */


/* "client -> server 1,492 segments 7,460 B (3 dup ACKs)" for lane i. */
static void summary_flow(const struct conn_summary *s, int i, char *buf, size_t len)
{
	char segs[32], bytes[32], dups[32];

	if (!s->segs[i]) {
		buf[0] = '\0';
		return;
	}
	txt_thousands(s->segs[i], segs, sizeof(segs));
	txt_thousands(s->bytes[i], bytes, sizeof(bytes));
	txt_thousands(s->dup_acks[i], dups, sizeof(dups));
	snprintf(buf, len, "%s -> %s: %s segment%s, %s B%s%s%s.", txt_lane_name(i),
		 txt_lane_name(!i), segs, s->segs[i] == 1 ? "" : "s", bytes,
		 s->dup_acks[i] ? " (" : "", s->dup_acks[i] ? dups : "",
		 s->dup_acks[i] ? (s->dup_acks[i] == 1 ? " dup ACK)" : " dup ACKs)") : "");
}

/* "client: 1,492 write() 7,460 B, 1,492 read() 7,460 B;" for lane i. */
static void summary_calls(const struct conn_summary *s, int i, char *buf, size_t len)
{
	char w[32], wb[32], r[32], rb[32], o[32];
	int n = snprintf(buf, len, "%s:", txt_lane_name(i));

	if (!s->writes[i] && !s->reads[i] && !s->other[i]) {
		buf[0] = '\0';
		return;
	}
	txt_thousands(s->writes[i], w, sizeof(w));
	txt_thousands(s->write_bytes[i], wb, sizeof(wb));
	txt_thousands(s->reads[i], r, sizeof(r));
	txt_thousands(s->read_bytes[i], rb, sizeof(rb));
	txt_thousands(s->other[i], o, sizeof(o));
	if (s->writes[i] && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %s write %s B%s", w, wb,
			      s->reads[i] || s->other[i] ? "," : "");
	if (s->reads[i] && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %s read %s B%s", r, rb, s->other[i] ? "," : "");
	if (s->other[i] && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %s other rows", o);
	if (n > 0 && (size_t)n + 1 < len)
		strcat(buf, ".");
}

char *txt_summary_text(const struct conn *c, const struct conn_row *r, char *head, size_t hlen,
		       char *body, size_t blen)
{
	const struct conn_summary *s = &c->sums[r->summary];
	char rows[32], dur[32], part[4][160];

	txt_thousands(s->rows, rows, sizeof(rows));
	txt_seconds(s->ts_last - s->ts_first, 0, dur, sizeof(dur));
	snprintf(head, hlen, "%s rows in %s s summarized", rows, dur);
	for (int i = 0; i < 2; i++) {
		summary_flow(s, i, part[i], sizeof(part[i]));
		summary_calls(s, i, part[2 + i], sizeof(part[2 + i]));
	}
	body[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (part[i][0])
			txt_add_word(body, blen, part[i]);
	return head;
}

char *txt_row_text(const struct conn *c, const struct conn_row *r, const struct seq_base *b,
		   char *buf, size_t len)
{
	const struct syn_event *e = &r->ev;
	size_t n;

	if (e->kind == CONN_ROW_SUMMARY) {
		char head[96], body[512];

		txt_summary_text(c, r, head, sizeof(head), body, sizeof(body));
		snprintf(buf, len, "[%s: %s]", head, body);
		return buf;
	}
	if (e->kind == SYN_EV_RESET && (r->marks & ROW_NO_RST)) {
		txt_copy(buf, len, "reset by the kernel itself (no RST arrived)");
		return buf;
	}
	if (e->kind == SYN_EV_RETRANSMIT && (r->marks & ROW_RECOVERY)) {
		snprintf(buf, len, "SACK recovery: seq=%u", seq_rel(b, r->end & 1, e->rtx.seq));
		return buf;
	}
	txt_event_text(e, r->end, b, buf, len);
	n = strlen(buf);
	if (e->kind == SYN_EV_SYSCALL) {
		/* these wait for the handshake: the return comes rows later (a UDP
		 * socket's connect() has none to wait for) */
		bool blocks = (e->sys.call == SYN_CALL_CONNECT && c->proto != IPPROTO_UDP) ||
			      e->sys.call == SYN_CALL_ACCEPT || e->sys.call == SYN_CALL_ACCEPT4;

		if (e->sys.phase == SYN_PHASE_ENTRY && blocks && n < len)
			txt_copy(buf + n, len - n, " ...");
		txt_add_caller(buf, len, e, c->end[r->end & 1].pid);
	} else if (e->kind == SYN_EV_STATE && (r->marks & ROW_INFERRED) && n < len) {
		txt_copy(buf + n, len - n, " (inferred)");
	}
	return buf;
}

