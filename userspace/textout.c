/* Text pieces shared by the text sinks: see textout.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "names.h"
#include "textout.h"

/* ---- colour and column-aware output ---- */

static const char *const sgr[] = {
	[TXT_PLAIN] = "",
	[TXT_SYN] = "\033[32m",
	[TXT_FIN] = "\033[33m",
	[TXT_RST] = "\033[1;31m",
	[TXT_RETRANS] = "\033[35m",
	[TXT_BOLD] = "\033[1m",
	[TXT_DIM] = "\033[2m",
};

enum txt_color txt_segment_color(unsigned int flags, bool retransmit)
{
	if (retransmit)
		return TXT_RETRANS;
	if (flags & SYN_TCP_RST)
		return TXT_RST;
	if (flags & SYN_TCP_SYN)
		return TXT_SYN;
	if (flags & SYN_TCP_FIN)
		return TXT_FIN;
	return TXT_PLAIN;
}

void txt_line_start(struct txt_line *l, FILE *f, bool color)
{
	l->f = f;
	l->color = color;
	l->col = 0;
	l->pending = 0;
	l->len = 0;
}

/* Out to the stream. synscope writes its output from one thread: stdio's
 * lock per call is not needed (a ladder row is several calls). */
static void line_flush(struct txt_line *l)
{
	fwrite_unlocked(l->buf, 1, l->len, l->f);
	l->len = 0;
}

/* Bytes into the line's buffer; what does not fit goes out first. */
static void line_write(struct txt_line *l, const char *s, size_t n)
{
	if (l->len + n > sizeof(l->buf)) {
		line_flush(l);
		if (n > sizeof(l->buf)) {
			fwrite_unlocked(s, 1, n, l->f);
			return;
		}
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_spaces(struct txt_line *l, int n)
{
	while (n > 0) {
		size_t k = (size_t)n;

		if (l->len == sizeof(l->buf))
			line_flush(l);
		if (k > sizeof(l->buf) - l->len)
			k = sizeof(l->buf) - l->len;
		memset(l->buf + l->len, ' ', k);
		l->len += k;
		n -= (int)k;
	}
}

void txt_line_pad_to(struct txt_line *l, int col)
{
	if (l->col + l->pending < col)
		l->pending = col - l->col;
}

void txt_line_gap_to(struct txt_line *l, int col)
{
	txt_line_pad_to(l, col);
	if (l->col > 0 && l->pending == 0)
		l->pending = 1;
}

void txt_line_putn_slow(struct txt_line *l, enum txt_color c, const char *s, size_t n)
{
	if (!n)
		return;
	line_spaces(l, l->pending);
	l->col += l->pending;
	l->pending = 0;
	if (l->color && c != TXT_PLAIN) {
		line_write(l, sgr[c], strlen(sgr[c]));
		line_write(l, s, n);
		line_write(l, "\033[0m", 4);
	} else {
		line_write(l, s, n);
	}
	l->col += (int)n;
}

void txt_line_put_right(struct txt_line *l, enum txt_color c, const char *s, int end_col)
{
	size_t n = strlen(s);

	txt_line_gap_to(l, end_col - (int)n);
	txt_line_putn(l, c, s, n);
}

int txt_line_end(struct txt_line *l)
{
	int width = l->col;

	line_write(l, "\n", 1);
	line_flush(l);
	l->col = 0;
	l->pending = 0;
	return width;
}

bool txt_wrap_next(const char **p, char brk, int room, char *out, size_t len)
{
	const char *s = *p;
	size_t used = 0;

	while (*s == brk)
		s++;
	if (!*s || len < 2)
		return false;
	if (room < 1)
		room = 1;
	if ((size_t)room >= len)
		room = (int)len - 1;
	{
		/* most text fits whole, its pieces one brk apart: one copy, each
		 * brk a space as the loop below would join them */
		size_t n = strlen(s);
		char twice[3] = { brk, brk, '\0' };

		if (n <= (size_t)room && s[n - 1] != brk && !strstr(s, twice)) {
			memcpy(out, s, n);
			out[n] = '\0';
			if (brk != ' ')
				for (char *q = strchr(out, brk); q; q = strchr(q + 1, brk))
					*q = ' ';
			*p = s + n;
			return true;
		}
	}
	while (*s) {
		const char *end = strchr(s, brk);
		size_t n = end ? (size_t)(end - s) : strlen(s);
		size_t need = n + (used ? 1 : 0);

		if (used + need > (size_t)room) {
			if (used)
				break;
			n = (size_t)room; /* one piece wider than a line: cut it */
			need = n;
		}
		if (used)
			out[used++] = ' ';
		memcpy(out + used, s, n);
		used += n;
		s += n;
		while (*s == brk)
			s++;
	}
	out[used] = '\0';
	*p = s;
	return true;
}

void txt_wrap(FILE *f, const char *text, char brk, int first_indent, int indent, int width)
{
	char chunk[512];
	int ind = first_indent;

	while (txt_wrap_next(&text, brk, width - ind, chunk, sizeof(chunk))) {
		struct txt_line l;

		txt_line_start(&l, f, false);
		txt_line_pad_to(&l, ind);
		txt_line_put(&l, TXT_PLAIN, chunk);
		txt_line_end(&l);
		ind = indent;
	}
}

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* The digits of v < 10^8, n of them (leading zeros when n is more than v
 * needs), ending at end: 32-bit arithmetic, two digits a step. */
static inline void put_digits32(char *end, unsigned int v, size_t n)
{
	char *q = end;

	while (n >= 2) {
		unsigned int r = v % 100;

		v /= 100;
		q -= 2;
		q[0] = digit_pairs[2 * r];
		q[1] = digit_pairs[2 * r + 1];
		n -= 2;
	}
	if (n)
		q[-1] = (char)('0' + v);
}

static inline size_t ndigits32(unsigned int v)
{
	return v < 10000 ? (v < 100 ? (v < 10 ? 1 : 2) : (v < 1000 ? 3 : 4))
			 : (v < 1000000 ? (v < 100000 ? 5 : 6) : (v < 10000000 ? 7 : 8));
}

/* The digits straight into place, in chunks of eight with 32-bit
 * arithmetic: every JSONL line has a dozen numbers, a nanosecond stamp of
 * nineteen digits among them. */
char *txt_put_u64(char *p, unsigned long long v)
{
	unsigned int lo, mid;
	size_t n;

	if (v < 100000000ull) {
		n = ndigits32((unsigned int)v);
		put_digits32(p + n, (unsigned int)v, n);
		return p + n;
	}
	lo = (unsigned int)(v % 100000000ull);
	v /= 100000000ull;
	if (v < 100000000ull) {
		n = ndigits32((unsigned int)v);
		put_digits32(p + n, (unsigned int)v, n);
		p += n;
	} else {
		mid = (unsigned int)(v % 100000000ull);
		v /= 100000000ull; /* at most 1844 */
		n = ndigits32((unsigned int)v);
		put_digits32(p + n, (unsigned int)v, n);
		p += n;
		put_digits32(p + 8, mid, 8);
		p += 8;
	}
	put_digits32(p + 8, lo, 8);
	return p + 8;
}

char *txt_put_s64(char *p, long long v)
{
	if (v < 0) {
		*p++ = '-';
		return txt_put_u64(p, 0ull - (unsigned long long)v);
	}
	return txt_put_u64(p, (unsigned long long)v);
}

char *txt_put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* tmp[0..end) into buf of size len, cut to fit, as snprintf would. */
static char *finish_copy(char *buf, size_t len, const char *tmp, const char *end)
{
	size_t n = (size_t)(end - tmp);

	if (!len)
		return buf;
	if (n >= len)
		n = len - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return buf;
}

char *txt_add_word(char *buf, size_t len, const char *word)
{
	size_t used = strnlen(buf, len);

	if (word[0] && used + 1 < len) {
		if (used)
			buf[used++] = ' ';
		txt_copy(buf + used, len - used, word);
	}
	return buf;
}

char *txt_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len ? len - 1 : 0);

	if (len) {
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return dst;
}

char *txt_one_line(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* ---- times ---- */

#define NS_PER_US 1000ull
#define NS_PER_S 1000000000ull

char *txt_seconds(__u64 ns, int width, char *buf, size_t len)
{
	unsigned long long sec = ns / NS_PER_S, us = (ns % NS_PER_S) / NS_PER_US;
	char tmp[32], *p = txt_put_u64(tmp, sec);
	int nsec = (int)(p - tmp), dec = 6;

	/* as many decimals as fit in width, at least one; else none */
	while (dec > 0 && width > 0 && nsec + 1 + dec > width) {
		dec--;
		us /= 10;
	}
	if (dec > 0) {
		*p++ = '.';
		for (int i = dec - 1; i >= 0; i--, us /= 10)
			p[i] = (char)('0' + us % 10);
		p += dec;
	}
	return finish_copy(buf, len, tmp, p);
}

char *txt_delta(__u64 ns, char *buf, size_t len)
{
	char tmp[40], *p = tmp;

	*p++ = '+';
	if (ns < NS_PER_US) {
		*p++ = '0';
	} else if (ns < NS_PER_S) {
		p = txt_put_u64(p, (unsigned long long)(ns / NS_PER_US));
		*p++ = 'u';
		*p++ = 's';
	} else {
		txt_seconds(ns, 8, p, 24);
		p += strlen(p);
		*p++ = 's';
	}
	return finish_copy(buf, len, tmp, p);
}

char *txt_wall_utc(__s64 epoch_ns, char *buf, size_t len)
{
	/* floor division, so a time before 1970 still prints sanely */
	__s64 sec = epoch_ns / (__s64)NS_PER_S, rem = epoch_ns % (__s64)NS_PER_S;
	if (rem < 0) {
		rem += NS_PER_S;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	char day[32];

	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%s.%06llu UTC", day, (unsigned long long)rem / NS_PER_US);
	return buf;
}

/* ---- names and event text ---- */

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ ECONNREFUSED, "ECONNREFUSED" }, { ECONNRESET, "ECONNRESET" },
	{ ETIMEDOUT, "ETIMEDOUT" },       { EINPROGRESS, "EINPROGRESS" },
	{ EAGAIN, "EAGAIN" },             { EINTR, "EINTR" },
	{ EBADF, "EBADF" },               { ENOTCONN, "ENOTCONN" },
	{ EINVAL, "EINVAL" },             { EADDRINUSE, "EADDRINUSE" },
	{ EHOSTUNREACH, "EHOSTUNREACH" }, { ENETUNREACH, "ENETUNREACH" },
	{ EPIPE, "EPIPE" },
};

const char *txt_errno_name(long err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

const char *txt_shutdown_how(int how)
{
	static const char *const hows[] = { "SHUT_RD", "SHUT_WR", "SHUT_RDWR" };

	return how >= 0 && how < 3 ? hows[how] : NULL;
}

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
	return finish_copy(buf, len, tmp, p);
}

char *txt_end_proc(const struct conn_end *e, char *buf, size_t len)
{
	if (!e->traced)
		snprintf(buf, len, "(remote)");
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

char *txt_syscall(const struct syn_event *e, char *buf, size_t len)
{
	const struct syn_syscall *s = &e->sys;
	const char *name = syn_call_name(s->call);
	char tmp[64], *p;

	/* the common forms without printf: "read(fd=3)", "read = 1" */
	if (s->phase == SYN_PHASE_ENTRY && s->call != SYN_CALL_SHUTDOWN && s->call != SYN_CALL_LISTEN &&
	    !(s->call == SYN_CALL_BIND && s->arg)) {
		p = txt_put_str(tmp, name);
		p = txt_put_str(p, "(fd=");
		p = txt_put_s64(p, s->fd);
		*p++ = ')';
		return finish_copy(buf, len, tmp, p);
	}
	if (s->phase != SYN_PHASE_ENTRY && s->ret >= 0) {
		p = txt_put_str(tmp, name);
		p = txt_put_str(p, " = ");
		p = txt_put_s64(p, s->ret);
		return finish_copy(buf, len, tmp, p);
	}
	if (s->phase == SYN_PHASE_ENTRY) {
		const char *how = txt_shutdown_how(s->arg);

		if (s->call == SYN_CALL_SHUTDOWN && how)
			snprintf(buf, len, "%s(fd=%d, %s)", name, s->fd, how);
		else if (s->call == SYN_CALL_SHUTDOWN)
			snprintf(buf, len, "%s(fd=%d, how=%d)", name, s->fd, s->arg);
		else if (s->call == SYN_CALL_LISTEN)
			snprintf(buf, len, "%s(fd=%d, backlog=%d)", name, s->fd, s->arg);
		else if ((s->call == SYN_CALL_BIND || s->call == SYN_CALL_SENDTO) && s->arg)
			snprintf(buf, len, "%s(fd=%d, port=%d)", name, s->fd, s->arg);
		else
			snprintf(buf, len, "%s(fd=%d)", name, s->fd);
	} else if (s->ret >= 0) {
		snprintf(buf, len, "%s = %lld", name, (long long)s->ret);
	} else {
		/* The kernel returns -errno; a program sees -1 and errno. */
		const char *err = txt_errno_name((long)-s->ret);

		if (err)
			snprintf(buf, len, "%s = -1 %s", name, err);
		else
			snprintf(buf, len, "%s = -1 errno %lld", name, -(long long)s->ret);
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
		return finish_copy(buf, len, tmp, p);
	}
	case SYN_EV_RETRANSMIT:
		/* the sending end resends: its own ISN */
		snprintf(buf, len, "%s: seq=%u", txt_retransmit_cause(e), seq_rel(b, end, e->rtx.seq));
		break;
	case SYN_EV_TIMEWAIT: {
		char tmp[64], *p = txt_put_str(tmp, tcp_state_name(e->tw.substate));

		p = txt_put_str(p, " -> CLOSE (timewait socket's timer)");
		return finish_copy(buf, len, tmp, p);
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
	if (x->timer == SYN_TIMER_LOSS_PROBE)
		return "tail loss probe";
	if (x->ca_state == SYN_CA_LOSS)
		return "retransmission timeout";
	if (x->ca_state == SYN_CA_RECOVERY)
		return "fast retransmit";
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
		/* at most "mss=65535 ws=255 sackOK ts=4294967295/4294967295": fits */
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

void txt_summary(FILE *f, const struct run_summary *sum)
{
	fprintf(f, "synscope: %llu connection%s (%llu incomplete), %llu events, %llu lost",
		(unsigned long long)sum->conns, sum->conns == 1 ? "" : "s",
		(unsigned long long)sum->incomplete,
		(unsigned long long)sum->events, (unsigned long long)sum->lost);
	if (sum->evicted)
		fprintf(f, ", %llu evicted", (unsigned long long)sum->evicted);
	if (sum->halfopen && sum->halfopen->counted)
		fprintf(f, ", %llu half-open counted, not drawn (-v draws them)",
			(unsigned long long)sum->halfopen->counted);
	fputc('\n', f);
}

/* "2,000 SYNs" */
static void put_count(char *buf, size_t len, __u64 n, const char *one, const char *many)
{
	char num[32];

	txt_thousands(n, num, sizeof(num));
	snprintf(buf, len, "%s %s", num, n == 1 ? one : many);
}

/* One port's line and what came in, went out and how they ended. */
static void halfopen_port_text(FILE *f, const struct halfopen_port *p, __s64 wall_offset_ns)
{
	static const char *const ends[HO_NENDS] = {
		[HO_NO_ACK] = "answered, no ACK back", [HO_RESET] = "reset by the peer",
		[HO_REFUSED] = "refused (RST sent)", [HO_UNANSWERED] = "never answered",
	};
	char ep[ADDR_STR_LEN], a[64], b[64], c[64], d[64], e[64], g[64], when[64], dur[32];
	char text[1024];
	int n;

	endpoint_str(p->family, p->addr, p->port, ep, sizeof(ep));
	txt_wall_utc((__s64)p->first_ts + wall_offset_ns, when, sizeof(when));
	txt_seconds(p->last_ts - p->first_ts, 0, dur, sizeof(dur));
	put_count(a, sizeof(a), p->conns, "connection", "connections");
	put_count(b, sizeof(b), p->syns, "SYN", "SYNs");
	put_count(c, sizeof(c), p->synacks, "SYN-ACK", "SYN-ACKs");
	put_count(d, sizeof(d), p->cookies, "with a SYN cookie", "with a SYN cookie");
	put_count(e, sizeof(e), p->synacks_resent, "resent", "resent");
	put_count(g, sizeof(g), p->rsts_out, "RST", "RSTs");
	snprintf(text, sizeof(text), "%s: %s over %s s from %s (%llu drawn);\tin: %s, %llu RST%s;\t"
		 "out: %s (%s, %s), %s;\tended:", ep, a, dur, when, (unsigned long long)p->drawn,
		 b, (unsigned long long)p->rsts_in, p->rsts_in == 1 ? "" : "s", c, d, e, g);
	n = (int)strlen(text);
	for (int i = 0; i < HO_NENDS && n < (int)sizeof(text); i++)
		if (p->ends[i])
			n += snprintf(text + n, sizeof(text) - (size_t)n, " %llu %s,",
				      (unsigned long long)p->ends[i], ends[i]);
	if (n > 0 && text[n - 1] == ',')
		text[--n] = '\0';
	for (int i = 0; i < HALFOPEN_DROP_REASONS && p->drops[i].count && n < (int)sizeof(text); i++) {
		const char *why = drop_reason_name(p->drops[i].reason);

		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%llu dropped: %s",
			      i ? ", " : ";\t", (unsigned long long)p->drops[i].count, why ? why : "?");
	}
	if (p->drops_other && n < (int)sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, ", %llu dropped for other reasons",
			 (unsigned long long)p->drops_other);
	txt_wrap(f, text, '\t', 2, 6, 100);
}

void txt_halfopen(FILE *f, const struct halfopen *h, __s64 wall_offset_ns)
{
	if (!h || !h->counted)
		return;
	fprintf(f, "half-open connections (a SYN and its answer, no socket, no call), by port; "
		"%llu not drawn one by one (-v draws them):\n", (unsigned long long)h->counted);
	for (size_t i = 0; i < h->n; i++)
		if (h->ports[i].conns > h->ports[i].drawn)
			halfopen_port_text(f, &h->ports[i], wall_offset_ns);
	fputc('\n', f);
}

/* ---- UTF-8 text (explanations in Chinese) ---- */

/* The code point at s and its byte length; invalid bytes count as one '?'. */
static unsigned int utf8_next(const char *s, int *nbytes)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*nbytes = 1;
		return u[0];
	}
	if ((u[0] & 0xe0) == 0xc0 && (u[1] & 0xc0) == 0x80) {
		*nbytes = 2;
		return (u[0] & 0x1fu) << 6 | (u[1] & 0x3fu);
	}
	if ((u[0] & 0xf0) == 0xe0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80) {
		*nbytes = 3;
		return (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 | (u[2] & 0x3fu);
	}
	if ((u[0] & 0xf8) == 0xf0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80 &&
	    (u[3] & 0xc0) == 0x80) {
		*nbytes = 4;
		return (u[0] & 0x07u) << 18 | (u[1] & 0x3fu) << 12 | (u[2] & 0x3fu) << 6 |
		       (u[3] & 0x3fu);
	}
	*nbytes = 1;
	return '?';
}

/* East Asian wide characters take two terminal columns. */
static int cp_width(unsigned int cp)
{
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

int txt_width(const char *s)
{
	int w = 0, nb;

	while (*s) {
		w += cp_width(utf8_next(s, &nb));
		s += nb;
	}
	return w;
}

void txt_wrap_utf8(FILE *f, const char *text, int indent, const char *mark, int width)
{
	int room = width - indent - txt_width(mark);
	bool first = true;

	if (room < 10)
		room = 10;
	while (*text == ' ')
		text++;
	while (*text) {
		const char *p = text, *brk = NULL;
		int w = 0, nb;

		/* take characters while they fit; remember the last place to break:
		 * a space, or either side of a wide character */
		while (*p) {
			unsigned int cp = utf8_next(p, &nb);
			int cw = cp_width(cp);

			if (w + cw > room)
				break;
			if (cp == ' ')
				brk = p;
			else if (cw == 2 && p != text)
				brk = p;
			w += cw;
			p += nb;
			if (cw == 2 && *p && *p != ' ')
				brk = p;
		}
		if (!*p || !brk || brk == text)
			brk = p; /* all of it fits, or one piece wider than the room: cut */
		fprintf(f, "%*s%s%.*s\n", indent, "", first ? mark : "", (int)(brk - text), text);
		if (first) {
			indent += txt_width(mark);
			first = false;
		}
		text = brk;
		while (*text == ' ')
			text++;
	}
}

/* ---- rows as notes ---- */

/* "1,234,567": figures a reader takes in at a glance. */
char *txt_thousands(unsigned long long v, char *buf, size_t len)
{
	char digits[24], out[32];
	size_t nd, o = 0;

	*txt_put_u64(digits, v) = '\0';
	nd = strlen(digits);
	for (size_t i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return txt_copy(buf, len, out);
}

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
	snprintf(buf, len, "%s -> %s: %s segment%s, %s B%s%s%s;", txt_lane_name(i),
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
		strcat(buf, ";");
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
	txt_event_text(e, r->end, b, buf, len);
	n = strlen(buf);
	if (e->kind == SYN_EV_SYSCALL) {
		/* these wait for the handshake: the return comes rows later */
		bool blocks = e->sys.call == SYN_CALL_CONNECT || e->sys.call == SYN_CALL_ACCEPT ||
			      e->sys.call == SYN_CALL_ACCEPT4;

		if (e->sys.phase == SYN_PHASE_ENTRY && blocks && n < len)
			txt_copy(buf + n, len - n, " ...");
		txt_add_caller(buf, len, e, c->end[r->end & 1].pid);
	} else if (e->kind == SYN_EV_STATE && (r->marks & ROW_INFERRED) && n < len) {
		txt_copy(buf + n, len - n, " (inferred)");
	}
	return buf;
}
