/*
 * JSONL back to events. Two jobs:
 *  - jsonl_parse_line(): one line, checked against the schema of
 *    docs/jsonl.md (every field known, typed and in range; what a kind of
 *    line must have, it has);
 *  - jsonl_read_events(): a file back into the event stream the tracker can
 *    take again. JSONL has no socket ids, no namespaces and no "socket freed"
 *    events, and holds the tracker's inferred states: those are dropped, and
 *    the rest is rebuilt from what each line says (docs/merge.md).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/hmap.h"
#include "source/file/json_scan.h"
#include "source/file/jsonl_read.h"
#include "base/names.h"
#include "base/strbuf.h"

#define JSONL_SCHEMA_VERSION 1
#define TS_LIMIT (1ull << 62)   /* as recordings: times stay far from overflow */
#define TCP_CLOSE_STATE 7

/* ---- one line ----------------------------------------------------------- */

struct line {
	struct json_obj o;
	char *err;
	size_t errlen;
	const char *kind;
};

static int say(struct line *l, const struct json_field *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int say(struct line *l, const struct json_field *f, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (f)
		n = snprintf(l->err, l->errlen, "column %d: ", f->col);
	if (n < 0 || (size_t)n >= l->errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int missing(struct line *l, const char *key)
{
	return say(l, NULL, "missing field \"%s\"%s%s%s", key, l->kind ? " in a " : "",
		   l->kind ? l->kind : "", l->kind ? " line" : "");
}

/* An unsigned integer in [0, max]. *present says whether it was there. */
static int get_uint(struct line *l, const char *key, __u64 max, bool required, __u64 *out,
		    bool *present)
{
	struct json_field *f = json_get(&l->o, key);

	*present = f != NULL;
	if (!f)
		return required ? missing(l, key) : 0;
	if (f->type != JSON_INT || f->neg || f->mag > max)
		return say(l, f, "\"%s\" must be an integer from 0 to %llu", key,
			   (unsigned long long)max);
	*out = f->mag;
	return 0;
}

static int need_uint(struct line *l, const char *key, __u64 max, __u64 *out)
{
	bool present;

	return get_uint(l, key, max, true, out, &present);
}

/* A required unsigned field into a narrower field of the event. */
static int need_u32(struct line *l, const char *key, __u32 *out)
{
	__u64 u = 0;

	if (need_uint(l, key, UINT32_MAX, &u))
		return -1;
	*out = (__u32)u;
	return 0;
}

static int need_u16(struct line *l, const char *key, __u16 *out)
{
	__u64 u = 0;

	if (need_uint(l, key, 65535, &u))
		return -1;
	*out = (__u16)u;
	return 0;
}

static int need_u8(struct line *l, const char *key, __u8 *out)
{
	__u64 u = 0;

	if (need_uint(l, key, 255, &u))
		return -1;
	*out = (__u8)u;
	return 0;
}

/* A signed integer in [lo, hi]. */
static int get_sint(struct line *l, const char *key, __s64 lo, __s64 hi, bool required,
		    __s64 *out, bool *present)
{
	struct json_field *f = json_get(&l->o, key);
	__s64 v;

	*present = f != NULL;
	if (!f)
		return required ? missing(l, key) : 0;
	if (f->type != JSON_INT)
		goto range;
	if (f->neg) {
		if (f->mag > (__u64)INT64_MAX + 1)
			goto range;
		v = (__s64)(0 - f->mag);
	} else {
		if (f->mag > (__u64)INT64_MAX)
			goto range;
		v = (__s64)f->mag;
	}
	if (v < lo || v > hi)
		goto range;
	*out = v;
	return 0;
range:
	return say(l, f, "\"%s\" must be an integer from %lld to %lld", key, (long long)lo,
		   (long long)hi);
}

/* A string; with nullable, null gives *out = NULL. */
static int get_str(struct line *l, const char *key, bool required, bool nullable,
		   const struct json_str **out)
{
	struct json_field *f = json_get(&l->o, key);

	*out = NULL;
	if (!f)
		return required ? missing(l, key) : 0;
	if (f->type == JSON_NULL && nullable)
		return 0;
	if (f->type != JSON_STR)
		return say(l, f, "\"%s\" must be a string%s", key, nullable ? " or null" : "");
	*out = &f->str;
	return 0;
}

static int get_bool(struct line *l, const char *key, bool *out)
{
	struct json_field *f = json_get(&l->o, key);

	if (!f)
		return 0;
	if (f->type != JSON_BOOL)
		return say(l, f, "\"%s\" must be true or false", key);
	*out = f->b;
	return 0;
}

static struct json_field *field_of(struct line *l, const char *key)
{
	for (int i = 0; i < l->o.n; i++)
		if (!strcmp(l->o.f[i].key.s, key))
			return &l->o.f[i];
	return NULL;
}

/* One of words[lo..hi) (NULL entries skipped): its index. */
static int get_word(struct line *l, const char *key, const char *(*name)(unsigned int),
		    unsigned int lo, unsigned int hi, const char *what, unsigned int *out)
{
	const struct json_str *s;

	if (get_str(l, key, true, false, &s))
		return -1;
	for (unsigned int i = lo; i < hi; i++) {
		if (name(i) && !strcmp(name(i), s->s)) {
			*out = i;
			return 0;
		}
	}
	return say(l, field_of(l, key), "\"%s\": unknown %s \"%.40s\"", key, what, s->s);
}

static const char *state_word(unsigned int i)
{
	return tcp_state_name(i);
}

/* A TCP state: a name, "?" (not one Linux defines) or, with nullable, null. */
static int get_state(struct line *l, const char *key, bool nullable, __u8 *out)
{
	struct json_field *f = json_get(&l->o, key);
	unsigned int v;

	if (!f)
		return missing(l, key);
	if (nullable && f->type == JSON_NULL) {
		*out = 0;
		return 0;
	}
	if (f->type == JSON_STR && !strcmp(f->str.s, "?")) {
		*out = 0;
		return 0;
	}
	if (get_word(l, key, state_word, 1, 13, "TCP state", &v))
		return -1;
	*out = (__u8)v;
	return 0;
}

static int get_addr(struct line *l, const char *key, __u8 addr[16], __u8 *family)
{
	const struct json_str *s;

	if (get_str(l, key, true, true, &s))
		return -1;
	memset(addr, 0, 16);
	if (!s) {
		*family = 0;
		return 0;
	}
	*family = strchr(s->s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*family, s->s, addr) != 1)
		return say(l, field_of(l, key), "\"%s\" is not an IPv4 or IPv6 address: \"%.60s\"",
			   key, s->s);
	return 0;
}

/* An array of names, each one bit (bit_of: 0 for a name it does not know,
 * what the message calls it), into *out: "flags" and "sock_flags". */
static int get_name_bits(struct line *l, struct json_field *f, const char *what,
			 unsigned int (*bit_of)(const char *), unsigned int *out)
{
	const char *key = f->key.s;

	if (f->type != JSON_ARR)
		return say(l, f, "\"%s\" must be an array of flag names", key);
	*out = 0;
	for (int i = 0; i < f->nitems; i++) {
		unsigned int bit = bit_of(f->items[i].s);

		if (!bit)
			return say(l, f, "\"%s\": unknown %s \"%.20s\"", key, what, f->items[i].s);
		if (*out & bit)
			return say(l, f, "\"%s\": %.20s twice", key, f->items[i].s);
		*out |= bit;
	}
	return 0;
}

static unsigned int tcp_flag_bit(const char *name)
{
	for (unsigned int b = 0; b < 8; b++)
		if (!strcmp(name, tcp_flag_name(b)))
			return 1u << b;
	return 0;
}

static int get_flags(struct line *l, __u8 *out)
{
	struct json_field *f = json_get(&l->o, "flags");
	unsigned int bits;

	if (!f)
		return missing(l, "flags");
	if (get_name_bits(l, f, "TCP flag", tcp_flag_bit, &bits))
		return -1;
	*out = (__u8)bits;
	return 0;
}

static int get_dir(struct line *l, __u8 *out)
{
	const struct json_str *s;

	if (get_str(l, "dir", true, false, &s))
		return -1;
	if (!strcmp(s->s, "tx") || !strcmp(s->s, "rx")) {
		*out = s->s[0] == 'r' ? SYN_DIR_RX : SYN_DIR_TX;
		return 0;
	}
	return say(l, field_of(l, "dir"), "\"dir\" must be \"tx\" or \"rx\"");
}

/* Reason names are what the recording kernel called them: [A-Za-z0-9_]. */
static int get_reason_name(struct line *l, char out[JSONL_NAME_MAX])
{
	const struct json_str *s;

	out[0] = '\0';
	if (get_str(l, "reason_name", false, false, &s))
		return -1;
	if (!s)
		return 0;
	if (s->len == 0 || s->len >= JSONL_NAME_MAX)
		goto bad;
	for (size_t i = 0; i < s->len; i++) {
		char c = s->s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			goto bad;
	}
	memcpy(out, s->s, s->len + 1);
	return 0;
bad:
	return say(l, field_of(l, "reason_name"),
		   "\"reason_name\" must be 1-255 letters, digits or '_'");
}

static const char *call_word(unsigned int i)
{
	return syn_call_name(i);
}

/* shutdown's "how": its name (SHUT_WR ...) or, for a value with no name, the number. */
static int parse_shutdown_how(struct line *l, struct syn_syscall *s)
{
	struct json_field *f = json_get(&l->o, "how");
	bool present;
	__s64 v;

	if (!f)
		return missing(l, "how");
	if (f->type != JSON_STR) {
		if (get_sint(l, "how", INT32_MIN, INT32_MAX, true, &v, &present))
			return -1;
		s->arg = (__s32)v;
		return 0;
	}
	for (int how = 0; how < 3; how++) {
		if (!strcmp(f->str.s, txt_shutdown_how(how))) {
			s->arg = how;
			return 0;
		}
	}
	return say(l, f, "\"how\": unknown \"%.20s\"", f->str.s);
}

/* "sock_flags": the flags given to socket() or accept4(), by name (or
 * "0x.." for bits no name covers); none: 0. */
static int get_sock_flags(struct line *l, unsigned int *out)
{
	struct json_field *f = json_get(&l->o, "sock_flags");

	*out = 0;
	if (!f)
		return 0;
	if (f->type == JSON_ARR && !f->nitems) /* written only when there is one */
		return say(l, f, "\"sock_flags\" must be an array of flag names");
	return get_name_bits(l, f, "flag", sock_flag_of, out);
}

/* The argument an entry carries, by call. */
static int parse_entry_arg(struct line *l, struct syn_syscall *s, unsigned int call)
{
	bool present, last_ref = false;
	unsigned int flags;
	__u64 u;
	__s64 v;

	switch (call) {
	case SYN_CALL_CLOSE:
		if (!field_of(l, "last_ref"))
			return missing(l, "last_ref");
		if (get_bool(l, "last_ref", &last_ref))
			return -1;
		s->last_ref = last_ref;
		return 0;
	case SYN_CALL_SHUTDOWN:
		return parse_shutdown_how(l, s);
	case SYN_CALL_LISTEN:
		if (get_sint(l, "backlog", INT32_MIN, INT32_MAX, true, &v, &present))
			return -1;
		s->arg = (__s32)v;
		return 0;
	case SYN_CALL_SENDMMSG:
	case SYN_CALL_RECVMMSG:
		if (get_sint(l, "vlen", INT32_MIN, INT32_MAX, false, &v, &present))
			return -1;
		s->arg = present ? (__s32)v : 0;
		return 0;
	case SYN_CALL_BIND:
	case SYN_CALL_SENDTO:
		if (get_uint(l, "port", 65535, false, &u, &present))
			return -1;
		s->arg = present ? (__s32)u : 0;
		return 0;
	case SYN_CALL_ACCEPT4:
		if (get_sock_flags(l, &flags))
			return -1;
		s->arg = (__s32)flags;
		return 0;
	default:
		return 0;
	}
}

/* A return: its value, its error's name, accept()'s new descriptor. */
static int parse_return(struct line *l, struct syn_syscall *s, unsigned int call)
{
	const struct json_str *str;
	bool present;
	__s64 v;

	if (get_sint(l, "ret", INT64_MIN, INT64_MAX, true, &v, &present))
		return -1;
	s->ret = v;
	if (get_str(l, "error", false, false, &str))
		return -1;
	if ((call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4) && s->ret >= 0) {
		if (get_sint(l, "new_fd", INT32_MIN, INT32_MAX, false, &v, &present))
			return -1;
		s->new_fd = present ? (__s32)v : -1;
	}
	return 0;
}

/* [gs]etsockopt's "level" and "optname": a name synscope writes, or a number. */
static int parse_sockopt_word(struct line *l, const char *key, int level, __s32 *out)
{
	struct json_field *f = json_get(&l->o, key);
	bool present;
	int v;
	__s64 n;

	if (!f)
		return missing(l, key);
	if (f->type != JSON_STR) {
		if (get_sint(l, key, INT32_MIN, INT32_MAX, true, &n, &present))
			return -1;
		*out = (__s32)n;
		return 0;
	}
	v = level < 0 ? sockopt_level_of(f->str.s) : sockopt_of(level, f->str.s);
	if (v < 0)
		return say(l, f, "\"%s\": unknown \"%.30s\"", key, f->str.s);
	*out = v;
	return 0;
}

/* [gs]etsockopt's option, and its value: setsockopt's on entry ("value",
 * SO_LINGER's "linger"), getsockopt's on return ("value"). */
static int parse_sockopt(struct line *l, struct syn_syscall *s)
{
	const struct json_str *name;
	bool value, linger;
	__s64 v;

	if (parse_sockopt_word(l, "level", -1, &s->level) ||
	    parse_sockopt_word(l, "optname", s->level, &s->arg))
		return -1;
	/* the value: setsockopt's as passed, getsockopt's as answered */
	if (s->phase != SYN_PHASE_ENTRY && s->call != SYN_CALL_GETSOCKOPT)
		return 0;
	if (get_sint(l, "value", INT32_MIN, INT32_MAX, false, &v, &value))
		return -1;
	s->val[0] = value ? (__s32)v : 0;
	if (s->call == SYN_CALL_GETSOCKOPT) { /* "so_error": the value's name, made again */
		s->vlen = value ? 4 : 0;
		return get_str(l, "so_error", false, false, &name);
	}
	if (get_sint(l, "linger", INT32_MIN, INT32_MAX, false, &v, &linger))
		return -1;
	s->val[1] = linger ? (__s32)v : 0;
	if (linger && !value)
		return say(l, field_of(l, "linger"), "\"linger\" without \"value\"");
	s->vlen = linger ? 8 : value ? 4 : 0;
	return 0;
}

/* socket()'s type, as the kernel side records it: the kind of socket (the
 * line's protocol says it) and the flags given. */
static int parse_socket_type(struct line *l, struct syn_event *e)
{
	unsigned int flags;

	if (get_sock_flags(l, &flags))
		return -1;
	e->sys.arg = (__s32)((e->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | flags);
	return 0;
}

static int parse_syscall(struct line *l, struct syn_event *e)
{
	struct syn_syscall *s = &e->sys;
	const struct json_str *str;
	__u64 u;
	__s64 v;
	unsigned int call;
	bool present;

	if (need_uint(l, "tid", UINT32_MAX, &u))
		return -1;
	e->tid = (__u32)u;
	if (get_word(l, "name", call_word, 1, SYN_CALL_MAX, "call", &call))
		return -1;
	s->call = (__u8)call;
	if (get_str(l, "phase", true, false, &str))
		return -1;
	if (strcmp(str->s, "entry") && strcmp(str->s, "return"))
		return say(l, field_of(l, "phase"), "\"phase\" must be \"entry\" or \"return\"");
	s->phase = str->s[0] == 'r' ? SYN_PHASE_RETURN : SYN_PHASE_ENTRY;
	if (get_sint(l, "fd", INT32_MIN, INT32_MAX, true, &v, &present))
		return -1;
	s->fd = (__s32)v;
	s->new_fd = -1;
	if ((call == SYN_CALL_SETSOCKOPT || call == SYN_CALL_GETSOCKOPT) && parse_sockopt(l, s))
		return -1;
	if (s->phase == SYN_PHASE_ENTRY)
		return parse_entry_arg(l, s, call);
	if (parse_return(l, s, call))
		return -1;
	return call == SYN_CALL_SOCKET ? parse_socket_type(l, e) : 0;
}

static int parse_segment(struct line *l, struct syn_event *e)
{
	struct syn_segment *s = &e->seg;
	bool present, has_tsval, has_tsecr, flag = false;
	__u64 u, tsecr = 0;

	if (get_dir(l, &s->dir) || get_flags(l, &s->flags))
		return -1;
	if (need_uint(l, "seq", UINT32_MAX, &u))
		return -1;
	s->seq = (__u32)u;
	if (need_uint(l, "ack", UINT32_MAX, &u))
		return -1;
	s->ack = (__u32)u;
	if (need_uint(l, "len", UINT32_MAX, &u))
		return -1;
	s->len = (__u32)u;
	if (need_uint(l, "win", 65535, &u))
		return -1;
	s->win = (__u16)u;
	if (get_uint(l, "mss", 65535, false, &u, &present))
		return -1;
	if (present) {
		s->opts |= SYN_OPT_MSS;
		s->mss = (__u16)u;
	}
	if (get_uint(l, "wscale", 255, false, &u, &present))
		return -1;
	if (present) {
		s->opts |= SYN_OPT_WSCALE;
		s->wscale = (__u8)u;
	}
	if (get_bool(l, "sack_perm", &flag))
		return -1;
	if (flag)
		s->opts |= SYN_OPT_SACK_PERM;
	if (get_uint(l, "tsval", UINT32_MAX, false, &u, &has_tsval) ||
	    get_uint(l, "tsecr", UINT32_MAX, false, &tsecr, &has_tsecr))
		return -1;
	if (has_tsval != has_tsecr)
		return say(l, NULL, "\"tsval\" and \"tsecr\" come together: one is missing");
	if (has_tsval) {
		s->opts |= SYN_OPT_TS;
		s->tsval = (__u32)u;
		s->tsecr = (__u32)tsecr;
	}
	bool fastopen = false;

	if (get_bool(l, "fastopen", &fastopen))
		return -1;
	if (fastopen) {
		s->opts |= SYN_OPT_FASTOPEN;
		if (need_uint(l, "fo_cookie_len", 255, &u))
			return -1;
		s->fo_cookie_len = (__u8)u;
	}
	/* the tracker marks these again from the segments themselves */
	if (get_bool(l, "retransmit", &flag) || get_bool(l, "dup_ack", &flag) ||
	    get_bool(l, "not_sent", &flag) || get_bool(l, "unanswered", &flag) ||
	    get_bool(l, "syn_cookie", &flag))
		return -1;
	return 0;
}

static const char *const sk_words[] = {
	[SYN_SK_REQUEST] = "request", [SYN_SK_TIMEWAIT] = "timewait", [SYN_SK_CONTROL] = "control",
	[SYN_SK_NONE] = "none",       [SYN_SK_LISTENER] = "listener",
};

static const char *sk_word(unsigned int i)
{
	return i < sizeof(sk_words) / sizeof(sk_words[0]) ? sk_words[i] : NULL;
}

/* Which kernel object sent it, when not the connection's full socket. */
static int parse_sk(struct line *l, struct syn_event *e)
{
	unsigned int v;

	if (!field_of(l, "sk"))
		return 0;
	if (get_word(l, "sk", sk_word, SYN_SK_REQUEST, SYN_SK_LISTENER + 1, "socket kind", &v))
		return -1;
	e->sk_kind = (__u8)v;
	return 0;
}

/* The kernel's view behind a retransmission, from the cause written. */
static int parse_cause(struct line *l, struct syn_event *e)
{
	static const struct {
		const char *word;
		__u8 ca_state, timer;
	} causes[] = {
		{ "fast_retransmit", SYN_CA_RECOVERY, 0 }, { "recovery", SYN_CA_RECOVERY, 0 },
		{ "timeout", SYN_CA_LOSS, 0 },
		{ "loss_probe", SYN_CA_OPEN, SYN_TIMER_LOSS_PROBE }, { "syn_timer", 0, 0 },
		{ "synack_timer", 0, 0 }, { "retransmit", 0, 0 },
	};
	const struct json_str *s;

	if (get_str(l, "cause", false, false, &s))
		return -1;
	if (!s || !strcmp(s->s, "unknown"))
		return 0; /* a recording of ABI 2: the view was not kept */
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		if (strcmp(s->s, causes[i].word))
			continue;
		e->sk_kind = SYN_SK_FULL;
		e->rtx.ca_state = causes[i].ca_state;
		e->rtx.timer = causes[i].timer;
		return 0;
	}
	return say(l, field_of(l, "cause"), "\"cause\": unknown \"%.20s\"", s->s);
}

static int parse_retransmit(struct line *l, struct syn_event *e)
{
	const struct json_str *s;

	if (need_u32(l, "seq", &e->rtx.seq) || get_str(l, "rtx", true, false, &s))
		return -1;
	if (strcmp(s->s, "skb") && strcmp(s->s, "synack"))
		return say(l, field_of(l, "rtx"), "\"rtx\" must be \"skb\" or \"synack\"");
	e->rtx.kind = s->s[1] == 'y' ? SYN_RETRANS_SYNACK : SYN_RETRANS_SKB;
	if (get_state(l, "state", true, &e->rtx.state))
		return -1;
	return parse_cause(l, e);
}

static int parse_reset(struct line *l, struct jsonl_rec *r)
{
	struct syn_event *e = &r->ev;
	const struct json_str *s;

	if (get_str(l, "rst", true, false, &s))
		return -1;
	if (strcmp(s->s, "sent") && strcmp(s->s, "received") && strcmp(s->s, "kernel_abort"))
		return say(l, field_of(l, "rst"),
			   "\"rst\" must be \"sent\", \"received\" or \"kernel_abort\"");
	/* a kernel's abort is its "reset received" with no RST behind it:
	 * the tracker tells it so again */
	e->rst.kind = s->s[0] == 's' ? SYN_RESET_SENT : SYN_RESET_RECEIVED;
	if (parse_sk(l, e) || get_state(l, "state", true, &e->rst.state) ||
	    need_u32(l, "reason", &e->rst.reason))
		return -1;
	/* only a reset this host sent has a reason */
	return e->rst.kind == SYN_RESET_SENT ? get_reason_name(l, r->reason_name) : 0;
}

static int parse_drop(struct line *l, struct jsonl_rec *r)
{
	struct syn_event *e = &r->ev;

	if (get_dir(l, &e->drop.dir) || get_flags(l, &e->drop.flags) ||
	    need_u32(l, "seq", &e->drop.seq) || need_u32(l, "ack", &e->drop.ack) ||
	    need_u32(l, "len", &e->drop.len) || need_u32(l, "reason", &e->drop.reason))
		return -1;
	return get_reason_name(l, r->reason_name);
}

static int parse_lost(struct line *l, struct syn_event *e)
{
	bool present;
	__u64 u;

	if (need_uint(l, "count", UINT64_MAX, &u))
		return -1;
	e->lost.count = u;
	if (get_uint(l, "since_t_ns", TS_LIMIT - 1, false, &u, &present))
		return -1;
	e->lost.since_ns = present ? u : 0;
	return 0;
}

static int parse_icmp(struct line *l, struct syn_event *e)
{
	const struct json_str *s;
	bool present;
	__u64 u;
	__u8 fam;

	if (need_u8(l, "type", &e->icmp.type) || need_u8(l, "code", &e->icmp.code) ||
	    get_str(l, "icmp", true, false, &s) || need_u32(l, "seq", &e->icmp.seq))
		return -1;
	if (get_uint(l, "mtu", UINT32_MAX, false, &u, &present))
		return -1;
	e->icmp.info = present ? (__u32)u : 0;
	return get_addr(l, "from", e->icmp.from, &fam);
}

static int parse_timewait(struct line *l, struct syn_event *e)
{
	const struct json_str *s;

	if (get_state(l, "from", false, &e->tw.substate))
		return -1;
	if (get_str(l, "to", true, false, &s) || strcmp(s->s, "CLOSE"))
		return say(l, field_of(l, "to"), "\"to\" of a timewait end must be \"CLOSE\"");
	if (get_str(l, "how", true, false, &s) || strcmp(s->s, "timer"))
		return say(l, field_of(l, "how"), "\"how\" of a timewait end must be \"timer\"");
	e->tw.how = SYN_TW_TIMER;
	e->sk_kind = SYN_SK_TIMEWAIT;
	return 0;
}

static int parse_kind_fields(struct line *l, struct jsonl_rec *r)
{
	struct syn_event *e = &r->ev;

	switch (e->kind) {
	case SYN_EV_SYSCALL:
		return parse_syscall(l, e);
	case SYN_EV_STATE:
		if (get_state(l, "from", false, &e->state.oldstate) ||
		    get_state(l, "to", false, &e->state.newstate))
			return -1;
		return get_bool(l, "inferred", &r->inferred);
	case SYN_EV_SEGMENT:
		return parse_segment(l, e) || parse_sk(l, e) ? -1 : 0;
	case SYN_EV_RETRANSMIT:
		return parse_retransmit(l, e);
	case SYN_EV_RESET:
		return parse_reset(l, r);
	case SYN_EV_DROP:
		return parse_drop(l, r);
	case SYN_EV_LOST:
		return parse_lost(l, e);
	case SYN_EV_ICMP:
		return parse_icmp(l, e);
	case SYN_EV_TIMEWAIT:
		return parse_timewait(l, e);
	}
	return 0;
}

static const char *kind_word(unsigned int i)
{
	return i == SYN_EV_DESTROY || i == SYN_EV_TICK ? NULL : syn_kind_name(i); /* never written */
}

/* "end": a lane on a connection's lines, absent outside any (conn 0). */
static int parse_end(struct line *l, struct jsonl_rec *r)
{
	const struct json_str *s;

	if (need_uint(l, "conn", UINT64_MAX, &r->conn) || get_str(l, "end", false, false, &s))
		return -1;
	if (r->conn && !s)
		return missing(l, "end");
	if (!r->conn && s)
		return say(l, field_of(l, "end"), "\"end\" on a line outside any connection (conn 0)");
	r->end = -1;
	if (!s)
		return 0;
	if (strcmp(s->s, "client") && strcmp(s->s, "server"))
		return say(l, field_of(l, "end"), "\"end\" must be \"client\" or \"server\"");
	r->end = s->s[0] == 's';
	return 0;
}

/* A port the kernel had on the event, where the lane's differs. */
static int kernel_port(struct line *l, const char *key, __u16 *port)
{
	bool present;
	__u64 u;

	if (get_uint(l, key, 65535, false, &u, &present))
		return -1;
	if (present)
		*port = (__u16)u;
	return 0;
}

/* Addresses, ports and protocol. */
static int parse_endpoints(struct line *l, struct syn_event *e)
{
	const struct json_str *s;
	__u8 dfam;

	if (get_addr(l, "saddr", e->saddr, &e->family) || get_addr(l, "daddr", e->daddr, &dfam))
		return -1;
	if (e->family != dfam)
		return say(l, field_of(l, "daddr"),
			   "\"saddr\" and \"daddr\" of different families (or one null)");
	if (need_u16(l, "sport", &e->sport) || need_u16(l, "dport", &e->dport) ||
	    kernel_port(l, "kernel_sport", &e->sport) || kernel_port(l, "kernel_dport", &e->dport))
		return -1;
	if (get_str(l, "proto", false, false, &s))
		return -1;
	if (s && strcmp(s->s, "udp"))
		return say(l, field_of(l, "proto"), "\"proto\" must be \"udp\" (TCP lines have none)");
	e->proto = s ? IPPROTO_UDP : e->kind == SYN_EV_LOST ? 0 : IPPROTO_TCP;
	return 0;
}

/* "v": the schema version, this one's only. */
static int need_version(struct line *l)
{
	__u64 u;

	if (need_uint(l, "v", UINT64_MAX, &u))
		return -1;
	if (u != JSONL_SCHEMA_VERSION)
		return say(l, field_of(l, "v"), "schema version %llu (this synscope reads version %d)",
			   (unsigned long long)u, JSONL_SCHEMA_VERSION);
	return 0;
}

static int parse_common(struct line *l, struct jsonl_rec *r)
{
	struct syn_event *e = &r->ev;
	const struct json_str *s;
	unsigned int kind;
	__u64 u;

	if (need_version(l))
		return -1;
	if (get_word(l, "kind", kind_word, SYN_EV_SYSCALL, SYN_EV_ICMP + 1, "kind", &kind))
		return -1;
	e->kind = (__u8)kind;
	l->kind = syn_kind_name(kind);
	if (need_uint(l, "t_ns", TS_LIMIT - 1, &u))
		return -1;
	e->ts_ns = u;
	if (parse_end(l, r) || need_u32(l, "pid", &e->pid) || get_str(l, "comm", true, false, &s))
		return -1;
	if (s->len > SYN_COMM_LEN)
		return say(l, field_of(l, "comm"), "\"comm\" longer than %d bytes", SYN_COMM_LEN);
	memcpy(e->comm, s->s, s->len);
	if (parse_endpoints(l, e))
		return -1;
	/* what --explain added: said again by the tracker, if asked */
	if (get_str(l, "explain", false, false, &s) || get_str(l, "explain_text", false, false, &s))
		return -1;
	return 0;
}

/* A "connection" line sums up a connection's other lines: the tracker
 * makes it again from them. Its schema version and number are checked, the
 * rest is taken as it is. 1 when the line is one, 0 when it is not, -1 on
 * an error (said). */
static int parse_summary(struct line *l, struct jsonl_rec *r)
{
	struct json_field *k = json_get(&l->o, "kind");
	__u64 u;

	if (!k || k->type != JSON_STR || strcmp(k->str.s, "connection")) {
		if (k)
			k->used = false; /* parse_common() takes it */
		l->o.next = 0;       /* ... in the order the writer wrote them */
		return 0;
	}
	l->kind = "connection";
	if (need_version(l))
		return -1;
	if (need_uint(l, "conn", UINT64_MAX, &u))
		return -1;
	if (!u)
		return say(l, field_of(l, "conn"), "a connection line of connection 0");
	for (int i = 0; i < l->o.n; i++)
		l->o.f[i].used = true;
	r->summary = true;
	return 1;
}

int jsonl_parse_line(const char *text, size_t len, struct jsonl_rec *r, char *err, size_t errlen)
{
	struct line l; /* not zeroed: json_scan_object() sets what it uses of l.o */
	int rc = -1;

	l.err = err;
	l.errlen = errlen;
	l.kind = NULL;
	memset(r, 0, sizeof(*r));
	r->end = -1;
	err[0] = '\0';
	if (json_scan_object(text, len, &l.o, err, errlen))
		goto out;
	switch (parse_summary(&l, r)) {
	case 1:
		rc = 0;
		goto out;
	case -1:
		goto out;
	}
	if (parse_common(&l, r) || parse_kind_fields(&l, r))
		goto out;
	for (int i = 0; i < l.o.n; i++) {
		if (!l.o.f[i].used) {
			say(&l, &l.o.f[i], "unexpected field \"%.40s\" in a %s line", l.o.f[i].key.s,
			    l.kind);
			goto out;
		}
	}
	rc = 0;
out:
	json_obj_free(&l.o);
	return rc;
}

/* ---- a file back into an event stream --------------------------------- */

/*
 * What is rebuilt (docs/merge.md):
 *  - socket ids: each end of each connection that had a socket (any call or
 *    reported state on it) gets one id for all its lines but received
 *    segments (the kernel has no socket for those either); lines outside any
 *    connection (a listener's calls) get one per process, fd and socket();
 *  - "socket freed": after an end's reported change to CLOSE and its last
 *    close(), whichever came later;
 *  - namespaces: one for the whole file (1; lost counts 0).
 */

struct end_info {
	bool socket;            /* a call or reported state on this end */
	bool stated;            /* a reported state change on this end */
	bool tcp;
	long closed;            /* index of its latest change to CLOSE, or -1 */
	long last_close;        /* index of its latest close() entry, or -1 */
};

struct item {
	struct syn_event ev;
	__u64 conn;
	int end;
	__u64 order;            /* line order; a "socket freed" goes just after its anchor */
};

static __u64 end_key(__u64 conn, int end)
{
	return conn * 2 + (__u64)end + 1;
}

static __u64 nonzero(__u64 v)
{
	return v ? v : 1;
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (a->ev.ts_ns != b->ev.ts_ns)
		return a->ev.ts_ns < b->ev.ts_ns ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static bool later(const struct item *items, long a, long b)
{
	if (b < 0)
		return true;
	return item_cmp(&items[a], &items[b]) > 0;
}

static int name_reason(char **names, __u32 value, const char *name, const char *what,
		       char *err, size_t errlen)
{
	if (!name[0] || value >= JSONL_REASONS)
		return 0;
	if (names[value]) {
		if (strcmp(names[value], name)) {
			snprintf(err, errlen, "%s reason %u is named %s here but %s before", what,
				 value, name, names[value]);
			return -1;
		}
		return 0;
	}
	names[value] = strdup(name);
	if (!names[value]) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static bool ev_has_socket_id(const struct item *it)
{
	const struct syn_event *e = &it->ev;

	switch (e->kind) {
	case SYN_EV_SEGMENT:
		return e->seg.dir == SYN_DIR_TX;
	case SYN_EV_RESET:
		return e->rst.state != 0;
	case SYN_EV_DROP:
	case SYN_EV_LOST:
		return false;
	default:
		return true;
	}
}

/* Socket ids, namespaces and "socket freed" events for items[0..n) (in time
 * order); appends to items, which has room for n more. */
/* Pass 1: what each end of each connection shows: a socket of its own,
 * its change to CLOSE, its last close(). */
static int note_ends(struct item *items, size_t n, struct hmap *ends)
{
	for (size_t i = 0; i < n; i++) {
		const struct syn_event *e = &items[i].ev;
		__u64 key = end_key(items[i].conn, items[i].end);
		struct end_info *ei;

		if (!items[i].conn)
			continue;
		ei = hmap_get(ends, key);
		if (!ei) {
			ei = calloc(1, sizeof(*ei));
			if (!ei || hmap_put(ends, key, ei)) {
				free(ei);
				return -1;
			}
			ei->closed = ei->last_close = -1;
		}
		if (e->kind == SYN_EV_SYSCALL || e->kind == SYN_EV_STATE)
			ei->socket = true;
		ei->stated |= e->kind == SYN_EV_STATE;
		ei->tcp = e->proto != IPPROTO_UDP; /* a line without "proto" is TCP */
		if (e->kind == SYN_EV_STATE && e->state.newstate == TCP_CLOSE_STATE)
			ei->closed = (long)i;
		if (e->kind == SYN_EV_SYSCALL && e->sys.call == SYN_CALL_CLOSE &&
		    e->sys.phase == SYN_PHASE_ENTRY && e->sys.last_ref)
			ei->last_close = (long)i;
	}
	return 0;
}

/* A call outside any connection: a process's fd names one socket from its
 * socket() on. */
static int fd_socket_id(struct hmap *fds, struct syn_event *e)
{
	__u64 fdkey = nonzero(((__u64)e->pid << 32) ^ (__u32)e->sys.fd);
	__u64 *gen = hmap_get(fds, fdkey);

	if (!gen) {
		gen = calloc(1, sizeof(*gen));
		if (!gen || hmap_put(fds, fdkey, gen)) {
			free(gen);
			return -1;
		}
	}
	if (e->sys.call == SYN_CALL_SOCKET)
		(*gen)++;
	e->sock_id = nonzero(hmap_mix(fdkey ^ hmap_mix(*gen + 0x5bd1e995ull)) ^
			     0x8000000000000000ull);
	return 0;
}

/* Pass 2: namespaces and socket ids, as the kernel gave them. */
static int give_socket_ids(struct item *items, size_t n, struct hmap *ends, struct hmap *fds)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct syn_event *e = &it->ev;

		e->netns = e->kind == SYN_EV_LOST ? 0 : 1;
		if (it->conn) {
			struct end_info *ei = hmap_get(ends, end_key(it->conn, it->end));

			if (ei->socket && ev_has_socket_id(it))
				e->sock_id = nonzero(hmap_mix(end_key(it->conn, it->end)));
		} else if (e->kind == SYN_EV_SYSCALL && fd_socket_id(fds, e)) {
			return -1;
		}
	}
	return 0;
}

/* The item after which an end's socket was freed, or -1: its change to
 * CLOSE, or its last close() if later (the process may close it long after a
 * reset); a TCP socket whose state never changed (its connect() failed
 * within the call) at its last close(). */
static long freed_after(const struct item *items, const struct end_info *ei)
{
	long anchor = ei->closed;

	if (anchor < 0)
		return ei->tcp && !ei->stated ? ei->last_close : -1;
	if (ei->last_close >= 0 && later(items, ei->last_close, anchor))
		anchor = ei->last_close;
	return anchor;
}

/* Pass 3: the kernel freed each socket (freed_after); the freeing goes at
 * the end of items (room for one per end was made). */
static size_t add_destroys(struct item *items, size_t n, struct hmap *ends)
{
	size_t extra = 0;

	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i], *d;
		struct end_info *ei;
		long anchor;

		if (!it->conn)
			continue;
		ei = hmap_get(ends, end_key(it->conn, it->end));
		/* once per end: at the item that settles it */
		if (!ei || (long)i != (ei->closed >= 0 ? ei->closed : ei->last_close))
			continue;
		anchor = freed_after(items, ei);
		if (anchor < 0)
			continue;
		d = &items[n + extra++];
		memset(d, 0, sizeof(*d));
		d->ev = items[anchor].ev;
		memset(&d->ev.seg, 0, sizeof(d->ev.seg));
		d->ev.kind = SYN_EV_DESTROY;
		d->ev.pid = d->ev.tid = 0;
		memset(d->ev.comm, 0, sizeof(d->ev.comm));
		d->ev.sock_id = nonzero(hmap_mix(end_key(it->conn, it->end)));
		d->conn = it->conn;
		d->end = it->end;
		d->order = items[anchor].order + 1;
	}
	return extra;
}

static void free_table(struct hmap *h)
{
	for (size_t i = 0; i < h->cap; i++)
		free(h->vals[i]);
	hmap_free(h);
}

static int rebuild(struct item *items, size_t *np, char *err, size_t errlen)
{
	struct hmap ends = { 0 }, fds = { 0 };
	int rc = -1;

	if (!note_ends(items, *np, &ends) && !give_socket_ids(items, *np, &ends, &fds)) {
		*np += add_destroys(items, *np, &ends);
		rc = 0;
	} else {
		snprintf(err, errlen, "out of memory");
	}
	free_table(&ends);
	free_table(&fds);
	return rc;
}

int jsonl_read_events(FILE *f, struct jsonl_events *out, char *err, size_t errlen)
{
	struct item *items = NULL;
	size_t n = 0, cap = 0, linecap = 0;
	char *line = NULL, msg[200];
	ssize_t len;
	struct jsonl_rec r;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	while ((len = getline(&line, &linecap, f)) >= 0) {
		out->lines++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > JSONL_LINE_MAX) {
			snprintf(err, errlen, "line %llu: longer than %d bytes",
				 (unsigned long long)out->lines, JSONL_LINE_MAX);
			goto fail;
		}
		if (len == 0) {
			snprintf(err, errlen, "line %llu: empty", (unsigned long long)out->lines);
			goto fail;
		}
		if (jsonl_parse_line(line, (size_t)len, &r, msg, sizeof(msg))) {
			snprintf(err, errlen, "line %llu: %s", (unsigned long long)out->lines, msg);
			goto fail;
		}
		if (name_reason(out->rst_names, r.ev.rst.reason, r.ev.kind == SYN_EV_RESET ?
				r.reason_name : "", "reset", msg, sizeof(msg)) ||
		    name_reason(out->drop_names, r.ev.drop.reason, r.ev.kind == SYN_EV_DROP ?
				r.reason_name : "", "drop", msg, sizeof(msg))) {
			snprintf(err, errlen, "line %llu: %s", (unsigned long long)out->lines, msg);
			goto fail;
		}
		if (r.inferred || r.summary)
			continue; /* the tracker makes it again */
		if (n == cap) {
			/* room for a "socket freed" per line, added later */
			size_t ncap = cap ? cap * 2 : 64;
			struct item *p = realloc(items, ncap * 2 * sizeof(*p));

			if (!p) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			items = p;
			cap = ncap;
		}
		items[n] = (struct item){ .ev = r.ev, .conn = r.conn, .end = r.end,
					  .order = out->lines * 2 };
		n++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		goto fail;
	}
	if (n) {
		qsort(items, n, sizeof(*items), item_cmp);
		if (rebuild(items, &n, err, errlen))
			goto fail;
		qsort(items, n, sizeof(*items), item_cmp);
		out->ev = malloc(n * sizeof(*out->ev));
		if (!out->ev) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			out->ev[i] = items[i].ev;
		out->n = n;
		out->first_ns = out->ev[0].ts_ns;
	}
	rc = 0;
	goto done;
fail:
	jsonl_events_free(out);
	if (errlen)
		txt_one_line(err); /* it may quote a decoded string: "a\nb" */
done:
	free(items);
	free(line);
	return rc;
}

void jsonl_events_free(struct jsonl_events *je)
{
	free(je->ev);
	for (int i = 0; i < JSONL_REASONS; i++) {
		free(je->rst_names[i]);
		free(je->drop_names[i]);
	}
	memset(je, 0, sizeof(*je));
}
