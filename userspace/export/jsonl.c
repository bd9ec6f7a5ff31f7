/* JSON Lines sink: one JSON object per event, schema in docs/jsonl.md.
 * A connection's rows are written as the tracker hands them over: in time
 * order, all at once when a short connection ends, in batches while a long
 * one lasts. Events outside any connection are written as they come.
 * Nothing but JSON lines ever goes to the output. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/hmap.h"
#include "render/explain.h"
#include "base/names.h"
#include "export/exports.h"
#include "base/strbuf.h"
#include "render/text_event.h"
#include "track/conn_facts.h"

#define JSONL_VERSION_STR "1"

/* ,"saddr":"...","sport":N,"daddr":"...","dport":N of one lane: the same
 * on every line of a connection, made once per batch. */
struct jsonl_where {
	char text[2 * ADDR_STR_LEN + 64];
	size_t len;
};

struct jsonl_sink {
	struct syn_sink base;
	struct sink_opts opts;
	/* the last comms written and their JSON strings: a connection's lines
	 * say its two owners' */
	struct {
		char raw[SYN_COMM_LEN];
		char json[6 * SYN_COMM_LEN + 3];
		size_t len;
	} comms[4];
	unsigned int comm_next;
	/* --explain: the story so far of each connection still handing over
	 * batches (conn id -> struct explain_story) */
	struct hmap stories;
};

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if it
 * is not one: a comm cut mid-character must not make the line invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* second-byte ranges that rule out overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* One JSON line, built in memory and written with one fwrite: printf per
 * field was most of a replay's time. put() callers reserve room first. */
struct jbuf {
	FILE *f;
	char *p;
	char b[4096];
};

static void jb_flush(struct jbuf *j)
{
	fwrite(j->b, 1, (size_t)(j->p - j->b), j->f);
	j->p = j->b;
}

static char *jb_room(struct jbuf *j, size_t n)
{
	if ((size_t)(j->b + sizeof(j->b) - j->p) < n)
		jb_flush(j);
	return j->p;
}

/* n bytes of s, with room for a number (24) after them */
static inline void jb_put(struct jbuf *j, const char *s, size_t n)
{
	memcpy(jb_room(j, n + 24), s, n);
	j->p += n;
}

/* Keys and other literals: their length is known when compiled. */
#define jb_lit(j, lit) jb_put(j, lit, sizeof(lit) - 1)
#define jb_key(j, key) jb_lit(j, ",\"" key "\":")
#define jb_u64(j, key, v) (jb_key(j, key), (j)->p = txt_put_u64((j)->p, (v)))
#define jb_s64(j, key, v) (jb_key(j, key), (j)->p = txt_put_s64((j)->p, (v)))

static inline void jb_raw(struct jbuf *j, const char *s)
{
	jb_put(j, s, strlen(s));
}

/* ,"key":"value" for a value that needs no escaping (our own names) */
#define jb_name(j, key, value) (jb_lit(j, ",\"" key "\":\""), jb_raw(j, value), jb_lit(j, "\""))

/* s (at most max bytes, NUL-terminated if shorter) as a JSON string. Control
 * bytes and bytes that are not UTF-8 are written \u00XX. */
static void json_put_str(struct jbuf *j, const char *str, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, max);
	char *p;

	if (n > 1024) {
		json_put_str(j, str, 1024); /* never here: our strings are short */
		return;
	}
	p = jb_room(j, 6 * n + 2);
	*p++ = '"';
	for (size_t i = 0; i < n;) {
		size_t k;

		if (s[i] == '"' || s[i] == '\\') {
			*p++ = '\\';
			*p++ = (char)s[i++];
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			*p++ = (char)s[i++];
		} else if (s[i] >= 0x80 && (k = utf8_seq_len(s + i, n - i))) {
			memcpy(p, s + i, k);
			p += k;
			i += k;
		} else {
			memcpy(p, "\\u00", 4);
			p[4] = hex[s[i] >> 4];
			p[5] = hex[s[i] & 15];
			p += 6;
			i++;
		}
	}
	*p++ = '"';
	j->p = p;
}

/* A comm as a JSON string, from the cache when it was one of the last. */
static void json_put_comm(struct jsonl_sink *js, struct jbuf *j, const char *comm)
{
	unsigned int k = js->comm_next++ % 4;
	char *start;

	for (unsigned int i = 0; i < 4; i++) {
		if (js->comms[i].len && !memcmp(comm, js->comms[i].raw, SYN_COMM_LEN)) {
			jb_put(j, js->comms[i].json, js->comms[i].len);
			js->comm_next--;
			return;
		}
	}
	start = jb_room(j, 6 * SYN_COMM_LEN + 2 + 24);
	json_put_str(j, comm, SYN_COMM_LEN);
	memcpy(js->comms[k].raw, comm, SYN_COMM_LEN);
	js->comms[k].len = (size_t)(j->p - start);
	memcpy(js->comms[k].json, start, js->comms[k].len);
}

/* A state name, or null for 0 (no socket / not known). */
static void json_put_state(struct jbuf *j, unsigned int state)
{
	if (state)
		jb_name(j, "state", tcp_state_name(state));
	else
		jb_lit(j, ",\"state\":null");
}

/* "saddr":"127.0.0.1" or null when the family is not known. */
#define json_put_addr(j, key, family, addr) do {					\
	char a_[ADDR_STR_LEN];								\
											\
	if ((family) == AF_INET || (family) == AF_INET6)				\
		jb_name(j, key, addr_str(family, addr, a_, sizeof(a_)));		\
	else										\
		jb_lit(j, ",\"" key "\":null");					\
} while (0)

/* Lane end's addresses and ports as every line of conn says them: its own
 * view, whatever the kernel still had on an event (a socket on its way out
 * reports port 0). */
static void jsonl_where_make(struct jsonl_where *w, const struct conn *conn, int end)
{
	const struct conn_end *me = &conn->end[end], *peer = &conn->end[!end];
	char a[ADDR_STR_LEN];
	char *p = w->text;

#define W_LIT(lit) (memcpy(p, lit, sizeof(lit) - 1), p += sizeof(lit) - 1)
	if (me->family == AF_INET || me->family == AF_INET6) {
		W_LIT(",\"saddr\":\"");
		p = txt_put_str(p, addr_str(me->family, me->addr, a, sizeof(a)));
		W_LIT("\"");
	} else {
		W_LIT(",\"saddr\":null");
	}
	W_LIT(",\"sport\":");
	p = txt_put_u64(p, me->port);
	if (peer->family == AF_INET || peer->family == AF_INET6) {
		W_LIT(",\"daddr\":\"");
		p = txt_put_str(p, addr_str(peer->family, peer->addr, a, sizeof(a)));
		W_LIT("\"");
	} else {
		W_LIT(",\"daddr\":null");
	}
	W_LIT(",\"dport\":");
	p = txt_put_u64(p, peer->port);
#undef W_LIT
	w->len = (size_t)(p - w->text);
}

/* "dir":"tx","flags":["SYN","ACK"] */
static void json_put_dir_flags(struct jbuf *j, __u8 dir, __u8 flags)
{
	const char *sep = "";

	jb_name(j, "dir", dir == SYN_DIR_RX ? "rx" : "tx");
	jb_lit(j, ",\"flags\":[");
	for (unsigned int i = 0; i < 8; i++) {
		if (flags & (1u << i)) {
			jb_raw(j, sep);
			jb_lit(j, "\"");
			jb_raw(j, tcp_flag_name(i));
			jb_lit(j, "\"");
			sep = ",";
		}
	}
	jb_lit(j, "]");
}

static void json_put_segment(struct jbuf *j, const struct syn_segment *s, __u8 marks)
{
	json_put_dir_flags(j, s->dir, s->flags);
	jb_u64(j, "seq", s->seq);
	jb_u64(j, "ack", s->ack);
	jb_u64(j, "len", s->len);
	jb_u64(j, "win", s->win);
	if (s->opts & SYN_OPT_MSS)
		jb_u64(j, "mss", s->mss);
	if (s->opts & SYN_OPT_WSCALE)
		jb_u64(j, "wscale", s->wscale);
	if (s->opts & SYN_OPT_SACK_PERM)
		jb_lit(j, ",\"sack_perm\":true");
	if (s->opts & SYN_OPT_TS) {
		jb_u64(j, "tsval", s->tsval);
		jb_u64(j, "tsecr", s->tsecr);
	}
	if (s->opts & SYN_OPT_FASTOPEN) {
		jb_lit(j, ",\"fastopen\":true");
		jb_u64(j, "fo_cookie_len", s->fo_cookie_len);
	}
	if (marks & ROW_RETRANSMIT)
		jb_lit(j, ",\"retransmit\":true");
	if (marks & ROW_DUP_ACK)
		jb_lit(j, ",\"dup_ack\":true");
	if (marks & ROW_COOKIE)
		jb_lit(j, ",\"syn_cookie\":true");
	if (marks & ROW_NOT_SENT)
		jb_lit(j, ",\"not_sent\":true");
	if (marks & ROW_UNANSWERED)
		jb_lit(j, ",\"unanswered\":true");
}

/* getsockopt(SO_ERROR)'s answer: "value":111,"so_error":"ECONNREFUSED". */
static void json_put_so_error(struct jbuf *j, __s32 value)
{
	const char *name = txt_errno_name(value);

	jb_s64(j, "value", value);
	if (name)
		jb_name(j, "so_error", name);
}

/* [gs]etsockopt's option, on entry and return: "level":"SOL_SOCKET","optname":"SO_LINGER"
 * (numbers when they have no name here); on entry its value as passed:
 * "value":1, and SO_LINGER's seconds "linger":0;
 * getsockopt's answer on return. */
static void json_put_sockopt(struct jbuf *j, const struct syn_syscall *s)
{
	const char *level = sockopt_level_name(s->level), *opt = sockopt_name(s->level, s->arg);

	if (level)
		jb_name(j, "level", level);
	else
		jb_s64(j, "level", s->level);
	if (opt)
		jb_name(j, "optname", opt);
	else
		jb_s64(j, "optname", s->arg);
	if (s->call == SYN_CALL_GETSOCKOPT) {
		if (s->vlen >= 4)
			json_put_so_error(j, s->val[0]);
		return;
	}
	if (s->phase == SYN_PHASE_ENTRY && s->vlen >= 4)
		jb_s64(j, "value", s->val[0]);
	if (s->phase == SYN_PHASE_ENTRY && s->vlen >= 8)
		jb_s64(j, "linger", s->val[1]);
}

/* "sock_flags":["SOCK_NONBLOCK","SOCK_CLOEXEC"] (socket, accept4), when any. */
static void json_put_sock_flags(struct jbuf *j, const struct syn_syscall *s)
{
	unsigned int flags = syn_call_sock_flags(s);
	char names[80];

	if (!flags)
		return;
	jb_lit(j, ",\"sock_flags\":[\"");
	jb_raw(j, txt_sock_flags(flags, "\",\"", names, sizeof(names)));
	jb_lit(j, "\"]");
}

static void json_put_syscall(struct jbuf *j, const struct syn_event *e)
{
	const struct syn_syscall *s = &e->sys;
	const char *how = txt_shutdown_how(s->arg);

	jb_u64(j, "tid", e->tid);
	jb_name(j, "name", syn_call_name(s->call));
	jb_name(j, "phase", s->phase == SYN_PHASE_RETURN ? "return" : "entry");
	jb_s64(j, "fd", s->fd);
	if (s->call == SYN_CALL_SETSOCKOPT || s->call == SYN_CALL_GETSOCKOPT)
		json_put_sockopt(j, s);
	json_put_sock_flags(j, s);
	if (s->phase == SYN_PHASE_ENTRY) {
		/* only the close of the last descriptor of a socket sends a FIN */
		if (s->call == SYN_CALL_CLOSE)
			jb_raw(j, s->last_ref ? ",\"last_ref\":true" : ",\"last_ref\":false");
		/* the arguments are known on entry */
		if (s->call == SYN_CALL_SHUTDOWN && how)
			jb_name(j, "how", how);
		else if (s->call == SYN_CALL_SHUTDOWN)
			jb_s64(j, "how", s->arg);
		else if (s->call == SYN_CALL_LISTEN)
			jb_s64(j, "backlog", s->arg);
		else if (syn_call_mmsg(s->call))
			jb_s64(j, "vlen", s->arg);
		else if ((s->call == SYN_CALL_BIND || s->call == SYN_CALL_SENDTO) && s->arg)
			jb_s64(j, "port", s->arg);
		return;
	}
	const char *error = txt_errno_name(txt_errno_of(s->ret));

	jb_s64(j, "ret", (long long)s->ret);
	if (error)
		jb_name(j, "error", error);
	if ((s->call == SYN_CALL_ACCEPT || s->call == SYN_CALL_ACCEPT4) && s->ret >= 0)
		jb_s64(j, "new_fd", s->new_fd);
}

/* "sk":"request" ... when not the connection's own full socket. */
static void json_put_sk(struct jbuf *j, __u8 sk_kind)
{
	static const char *const names[] = {
		[SYN_SK_REQUEST] = "request", [SYN_SK_TIMEWAIT] = "timewait",
		[SYN_SK_CONTROL] = "control", [SYN_SK_NONE] = "none",
		[SYN_SK_LISTENER] = "listener",
	};

	if (sk_kind < sizeof(names) / sizeof(names[0]) && names[sk_kind])
		jb_name(j, "sk", names[sk_kind]);
}

/* Why the kernel resent, as a stable name. */
static const char *retransmit_cause_name(const struct syn_event *e)
{
	const char *c = txt_retransmit_cause(e);

	if (!strcmp(c, "fast retransmit"))
		return "fast_retransmit";
	if (!strcmp(c, "retransmission timeout"))
		return "timeout";
	if (!strcmp(c, "tail loss probe"))
		return "loss_probe";
	if (!strcmp(c, "SYN resent (timer)"))
		return "syn_timer";
	if (!strcmp(c, "SYN-ACK resent (timer)"))
		return "synack_timer";
	return "unknown";
}

/* One event as one line. conn NULL: outside any connection. */
/* The lane's own view (where: made once a batch, or NULL to make it here),
 * and what the kernel had on the event where it differs (a socket on its way
 * out reports port 0); the event's own addresses outside any connection. */
static void json_put_endpoints(struct jbuf *j, const struct syn_event *e,
			       const struct conn *conn, int end, const struct jsonl_where *where)
{
	const struct conn_end *me, *peer;
	struct jsonl_where w;

	if (!conn) {
		json_put_addr(j, "saddr", e->family, e->saddr);
		jb_u64(j, "sport", e->sport);
		json_put_addr(j, "daddr", e->family, e->daddr);
		jb_u64(j, "dport", e->dport);
		return;
	}
	if (!where) {
		jsonl_where_make(&w, conn, end);
		where = &w;
	}
	jb_put(j, where->text, where->len);
	me = &conn->end[end];
	peer = &conn->end[!end];
	if (e->family && (e->sport != me->port || e->dport != peer->port)) {
		jb_u64(j, "kernel_sport", e->sport);
		jb_u64(j, "kernel_dport", e->dport);
	}
}

static void json_put_retransmit(struct jbuf *j, const struct syn_event *e, __u8 marks)
{
	jb_u64(j, "seq", e->rtx.seq);
	jb_name(j, "rtx", e->rtx.kind == SYN_RETRANS_SYNACK ? "synack" : "skb");
	json_put_state(j, e->rtx.state);
	jb_name(j, "cause", (marks & ROW_RECOVERY) ? "recovery" : retransmit_cause_name(e));
}

static void json_put_reason_name(struct jbuf *j, const char *name)
{
	if (!name)
		return;
	jb_key(j, "reason_name");
	json_put_str(j, name, 256);
}

static void json_put_reset(struct jbuf *j, const struct syn_event *e, __u8 marks)
{
	bool sent = e->rst.kind == SYN_RESET_SENT;

	/* the kernel's own abort reports "received" with no RST behind it */
	jb_name(j, "rst", sent ? "sent" : (marks & ROW_NO_RST) ? "kernel_abort" : "received");
	json_put_sk(j, e->sk_kind);
	json_put_state(j, e->rst.state);
	jb_u64(j, "reason", e->rst.reason);
	if (sent)
		json_put_reason_name(j, rst_reason_name(e->rst.reason));
}

static void json_put_icmp(struct jbuf *j, const struct syn_event *e)
{
	jb_u64(j, "type", e->icmp.type);
	jb_u64(j, "code", e->icmp.code);
	jb_name(j, "icmp", icmp_error_name(e->family, e->icmp.type, e->icmp.code));
	jb_u64(j, "seq", e->icmp.seq);
	if (e->icmp.info)
		jb_u64(j, "mtu", e->icmp.info);
	json_put_addr(j, "from", e->family, e->icmp.from);
}

static void json_put_drop(struct jbuf *j, const struct syn_event *e)
{
	json_put_dir_flags(j, e->drop.dir, e->drop.flags);
	jb_u64(j, "seq", e->drop.seq);
	jb_u64(j, "ack", e->drop.ack);
	jb_u64(j, "len", e->drop.len);
	jb_u64(j, "reason", e->drop.reason);
	json_put_reason_name(j, drop_reason_name(e->drop.reason));
}

/* The fields of the event's kind (docs/jsonl.md). */
static void json_put_kind_fields(struct jbuf *j, const struct sink_opts *o,
				 const struct syn_event *e, __u8 marks)
{
	switch (e->kind) {
	case SYN_EV_SYSCALL:
		json_put_syscall(j, e);
		break;
	case SYN_EV_STATE:
		jb_name(j, "from", tcp_state_name(e->state.oldstate));
		jb_name(j, "to", tcp_state_name(e->state.newstate));
		if (marks & ROW_INFERRED)
			jb_lit(j, ",\"inferred\":true");
		break;
	case SYN_EV_SEGMENT:
		json_put_segment(j, &e->seg, marks);
		json_put_sk(j, e->sk_kind);
		break;
	case SYN_EV_RETRANSMIT:
		json_put_retransmit(j, e, marks);
		break;
	case SYN_EV_RESET:
		json_put_reset(j, e, marks);
		break;
	case SYN_EV_LOST:
		jb_u64(j, "count", (unsigned long long)e->lost.count);
		if (e->lost.since_ns)
			jb_s64(j, "since_t_ns", (long long)((__s64)e->lost.since_ns + o->wall_offset_ns));
		break;
	case SYN_EV_ICMP:
		json_put_icmp(j, e);
		break;
	case SYN_EV_TIMEWAIT:
		jb_name(j, "from", tcp_state_name(e->tw.substate));
		jb_lit(j, ",\"to\":\"CLOSE\",\"how\":\"timer\"");
		break;
	case SYN_EV_DROP:
		json_put_drop(j, e);
		break;
	}
}

/* One event as one line. conn NULL: outside any connection. where: the
 * lanes' addresses (jsonl_where_make), or NULL to make them here. */
static void jsonl_write_event(struct jsonl_sink *js, const struct syn_event *e,
			      const struct conn *conn, int end, __u8 marks,
			      const char *explain_key, const char *explain_text,
			      const struct jsonl_where *where)
{
	const struct sink_opts *o = &js->opts;
	struct jbuf jb, *j = &jb;
	bool in_conn = conn && (end == 0 || end == 1);
	const char *comm;
	__u32 pid;

	if (e->kind == SYN_EV_DESTROY)
		return; /* not part of the schema: the state change to CLOSE says it */
	txt_event_owner(e, in_conn ? conn : NULL, end, &pid, &comm);
	j->f = o->out;
	j->p = j->b;

	jb_lit(j, "{\"v\":" JSONL_VERSION_STR);
	jb_s64(j, "t_ns", (long long)((__s64)e->ts_ns + o->wall_offset_ns));
	jb_name(j, "kind", syn_kind_name(e->kind));
	jb_u64(j, "conn", in_conn ? (unsigned long long)conn->id : 0ull);
	if (in_conn)
		jb_name(j, "end", txt_lane_name(end));
	jb_u64(j, "pid", pid);
	jb_key(j, "comm");
	json_put_comm(js, j, comm);
	json_put_endpoints(j, e, in_conn ? conn : NULL, end, where);
	if (e->proto == IPPROTO_UDP)
		jb_lit(j, ",\"proto\":\"udp\"");
	json_put_kind_fields(j, o, e, marks);
	if (explain_key && *explain_key) {
		jb_name(j, "explain", explain_key);
		jb_key(j, "explain_text");
		json_put_str(j, explain_text, strlen(explain_text));
	}
	jb_lit(j, "}\n");
	jb_flush(j);
}

static void jsonl_event(struct syn_sink *s, const struct syn_event *e,
			const struct conn *conn, int end)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;

	/* Connection events come as rows: time order, lanes known. */
	if (!conn && e->kind != SYN_EV_TICK && end != SINK_END_LATER)
		jsonl_write_event(js, e, NULL, 0, 0, NULL, NULL, NULL);
}

/* What batch's rows mean: a whole connection's on their own; a batch of a
 * connection in many with what its batches before showed, kept until its
 * last (jsonl_rows). */
static void jsonl_explain(struct jsonl_sink *js, const struct conn *batch,
			  struct explain_note *notes)
{
	struct explain_story *st = hmap_get(&js->stories, batch->id);

	if (!st && batch->more_batches) {
		st = explain_story_new();
		if (st && hmap_put(&js->stories, batch->id, st)) {
			explain_story_free(st);
			st = NULL;
		}
	}
	if (st)
		explain_batch(batch, st, notes);
	else
		explain_conn(batch, notes);
}

/* A batch of a connection's rows, with --explain what each means. */
static void jsonl_rows(struct syn_sink *s, const struct conn *conn, const struct conn_row *rows,
		       size_t n)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;
	struct explain_note *notes = NULL;
	struct conn batch = *conn;
	struct jsonl_where where[2];

	batch.rows = (struct conn_row *)rows;
	batch.nrows = n;
	if (js->opts.explain && n) {
		notes = calloc(n, sizeof(*notes));
		if (notes)
			jsonl_explain(js, &batch, notes);
	}
	jsonl_where_make(&where[0], conn, 0);
	jsonl_where_make(&where[1], conn, 1);
	for (size_t i = 0; i < n; i++) {
		const struct conn_row *r = &rows[i];
		char text[512];

		text[0] = '\0';
		if (notes)
			explain_text(&batch, i, &notes[i], js->opts.explain, text, sizeof(text));
		jsonl_write_event(js, &r->ev, conn, r->end, r->marks,
				  notes ? explain_key_name(notes[i].key) : NULL, text,
				  r->end < 2 ? &where[r->end] : NULL);
	}
	free(notes);
	if (!conn->more_batches) /* its last batch: what the batches told is done */
		explain_story_free(hmap_del(&js->stories, conn->id));
}

/* A duration in ns, or null when it is not known. */
static void json_put_span(struct jbuf *j, const char *key, __s64 ns)
{
	jb_lit(j, ",\"");
	jb_raw(j, key);
	jb_lit(j, "\":");
	if (ns < 0)
		jb_lit(j, "null");
	else
		j->p = txt_put_s64(j->p, ns);
}

/* "client", "server", "both" (bits 1, 2, 3) or null. */
static void json_put_lanes(struct jbuf *j, const char *key, unsigned int bits)
{
	static const char *const words[] = { "null", "\"client\"", "\"server\"", "\"both\"" };

	jb_lit(j, ",\"");
	jb_raw(j, key);
	jb_lit(j, "\":");
	jb_raw(j, words[bits & 3]);
}

/* What each lane sent, and who it is when it is not the common fields' client. */
static void json_put_lane_counts(struct jbuf *j, const struct conn *c)
{
	const struct conn_facts *f = c->facts;

	jb_u64(j, "client_bytes", f->bytes[0]);
	jb_u64(j, "client_segs", f->segs[0]);
	jb_u64(j, "client_rtx", f->rtx[0]);
	jb_u64(j, "server_bytes", f->bytes[1]);
	jb_u64(j, "server_segs", f->segs[1]);
	jb_u64(j, "server_rtx", f->rtx[1]);
	jb_u64(j, "server_pid", c->end[1].pid);
	jb_key(j, "server_comm");
	json_put_str(j, c->end[1].comm, SYN_COMM_LEN);
	if (conn_end_remote(&c->end[0]))
		jb_lit(j, ",\"client_remote\":true");
	if (conn_end_remote(&c->end[1]))
		jb_lit(j, ",\"server_remote\":true");
}

/* How it ended (docs/jsonl.md, "connection"). */
static void json_put_ending(struct jbuf *j, const struct conn *c)
{
	const struct conn_facts *f = c->facts;

	json_put_lanes(j, "closed_first", f->closed_first < 0 ? 0 : 1u << f->closed_first);
	jb_name(j, "outcome", facts_outcome_name(f->outcome));
	if (f->outcome == OUT_RST || f->outcome == OUT_REFUSED) {
		json_put_lanes(j, "rst_by", f->rst_lane < 0 ? 0 : 1u << f->rst_lane);
		if (f->rst_reason_lane >= 0 && f->rst_reason_lane == f->rst_lane) {
			jb_u64(j, "rst_reason", f->rst_reason);
			json_put_reason_name(j, rst_reason_name(f->rst_reason));
		}
	}
	json_put_lanes(j, "time_wait", f->time_wait);
	jb_raw(j, c->complete ? ",\"complete\":true" : ",\"complete\":false");
	if (c->evicted)
		jb_name(j, "evicted", c->evicted == EVICT_CAP ? "cap" : "idle");
	if (c->continued)
		jb_lit(j, ",\"continued\":true");
	if (c->maybe_lost)
		jb_lit(j, ",\"events_lost\":true");
}

/* One line per finished connection, after its rows: the connection
 * table's numbers, from the client's view (the common fields are the
 * client's; server_pid and server_comm name the server's owner). */
static void jsonl_conn_done(struct syn_sink *s, const struct conn *c)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;
	const struct conn_facts *f = c->facts;
	struct jbuf jb, *j = &jb;

	j->f = js->opts.out;
	j->p = j->b;
	jb_lit(j, "{\"v\":" JSONL_VERSION_STR);
	jb_s64(j, "t_ns", (long long)((__s64)f->last_ts + js->opts.wall_offset_ns));
	jb_lit(j, ",\"kind\":\"connection\"");
	jb_u64(j, "conn", c->id);
	jb_lit(j, ",\"end\":\"client\"");
	jb_u64(j, "pid", c->end[0].pid);
	jb_key(j, "comm");
	json_put_str(j, c->end[0].comm, SYN_COMM_LEN);
	json_put_addr(j, "saddr", c->end[0].family, c->end[0].addr);
	jb_u64(j, "sport", c->end[0].port);
	json_put_addr(j, "daddr", c->end[1].family, c->end[1].addr);
	jb_u64(j, "dport", c->end[1].port);
	if (c->proto == IPPROTO_UDP)
		jb_lit(j, ",\"proto\":\"udp\"");
	jb_s64(j, "start_t_ns", (long long)((__s64)f->first_ts + js->opts.wall_offset_ns));
	json_put_span(j, "syn_synack_ns", f->syn_synack_ns);
	json_put_span(j, "connect_ns", f->connect_ns);
	if (f->connect_nonblocking)
		jb_lit(j, ",\"connect_nonblocking\":true");
	json_put_span(j, "accept_wait_ns", f->accept_ns);
	json_put_span(j, "duration_ns", f->duration_ns);
	json_put_lane_counts(j, c);
	json_put_ending(j, c);
	jb_lit(j, "}\n");
	jb_flush(j);
}

static void jsonl_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;

	(void)sum; /* the stream stays pure JSONL: the caller reports the summary */
	fflush(js->opts.out);
}

static void jsonl_destroy(struct syn_sink *s)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;

	/* connections still open when tracing stopped */
	for (size_t i = 0; i < js->stories.cap; i++)
		explain_story_free(js->stories.vals[i]);
	hmap_free(&js->stories);
	free(s);
}

struct syn_sink *jsonl_sink_new(const struct sink_opts *o)
{
	struct jsonl_sink *js = calloc(1, sizeof(*js));

	if (!js)
		return NULL;
	js->base = (struct syn_sink){
		.event = jsonl_event,
		.rows = jsonl_rows,
		.conn_done = jsonl_conn_done,
		.finish = jsonl_finish,
		.every_conn = true, /* every connection has its rows: each has its line */
		.destroy = jsonl_destroy,
	};
	js->opts = *o;
	return &js->base;
}
