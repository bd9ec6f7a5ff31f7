/* JSON Lines sink: one JSON object per event, schema in docs/jsonl.md.
 * A connection's rows are written when it is done (time order, final process
 * attribution); events outside any connection are written as they come.
 * Nothing but JSON lines ever goes to the output. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "explain.h"
#include "names.h"
#include "sink.h"
#include "textout.h"

#define JSONL_VERSION 1

struct jsonl_sink {
	struct syn_sink base;
	struct sink_opts opts;
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

/* s (at most max bytes, NUL-terminated if shorter) as a JSON string. Control
 * bytes and bytes that are not UTF-8 are written \u00XX. */
static void json_put_str(FILE *f, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, max);

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t k;

		if (s[i] == '"' || s[i] == '\\') {
			fputc('\\', f);
			fputc(s[i++], f);
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			fputc(s[i++], f);
		} else if (s[i] >= 0x80 && (k = utf8_seq_len(s + i, n - i))) {
			fwrite(s + i, 1, k, f);
			i += k;
		} else {
			fprintf(f, "\\u%04x", s[i++]);
		}
	}
	fputc('"', f);
}

/* "saddr":"127.0.0.1" or null when the family is not known. */
static void json_put_addr(FILE *f, const char *key, unsigned int family, const __u8 addr[16])
{
	char a[ADDR_STR_LEN];

	if (family == AF_INET || family == AF_INET6)
		fprintf(f, ",\"%s\":\"%s\"", key, addr_str(family, addr, a, sizeof(a)));
	else
		fprintf(f, ",\"%s\":null", key);
}

/* A state name, or null for 0 (no socket / not known). */
static void json_put_state(FILE *f, const char *key, unsigned int state)
{
	if (state)
		fprintf(f, ",\"%s\":\"%s\"", key, tcp_state_name(state));
	else
		fprintf(f, ",\"%s\":null", key);
}

/* "dir":"tx","flags":["SYN","ACK"] */
static void json_put_dir_flags(FILE *f, __u8 dir, __u8 flags)
{
	const char *sep = "";

	fprintf(f, ",\"dir\":\"%s\",\"flags\":[", dir == SYN_DIR_RX ? "rx" : "tx");
	for (unsigned int i = 0; i < 8; i++) {
		if (flags & (1u << i)) {
			fprintf(f, "%s\"%s\"", sep, tcp_flag_name(i));
			sep = ",";
		}
	}
	fputc(']', f);
}

static void json_put_segment(FILE *f, const struct syn_segment *s, __u8 marks)
{
	json_put_dir_flags(f, s->dir, s->flags);
	fprintf(f, ",\"seq\":%u,\"ack\":%u,\"len\":%u,\"win\":%u", s->seq, s->ack, s->len, s->win);
	if (s->opts & SYN_OPT_MSS)
		fprintf(f, ",\"mss\":%u", s->mss);
	if (s->opts & SYN_OPT_WSCALE)
		fprintf(f, ",\"wscale\":%u", s->wscale);
	if (s->opts & SYN_OPT_SACK_PERM)
		fprintf(f, ",\"sack_perm\":true");
	if (s->opts & SYN_OPT_TS)
		fprintf(f, ",\"tsval\":%u,\"tsecr\":%u", s->tsval, s->tsecr);
	if (marks & ROW_RETRANSMIT)
		fprintf(f, ",\"retransmit\":true");
}

static void json_put_syscall(FILE *f, const struct syn_event *e)
{
	const struct syn_syscall *s = &e->sys;
	const char *how = txt_shutdown_how(s->arg);

	fprintf(f, ",\"tid\":%u,\"name\":\"%s\",\"phase\":\"%s\",\"fd\":%d", e->tid,
		syn_call_name(s->call), s->phase == SYN_PHASE_RETURN ? "return" : "entry", s->fd);
	if (s->phase == SYN_PHASE_ENTRY) {
		/* only the close of the last descriptor of a socket sends a FIN */
		if (s->call == SYN_CALL_CLOSE)
			fprintf(f, ",\"last_ref\":%s", s->last_ref ? "true" : "false");
		/* the arguments are known on entry */
		if (s->call == SYN_CALL_SHUTDOWN && how)
			fprintf(f, ",\"how\":\"%s\"", how);
		else if (s->call == SYN_CALL_SHUTDOWN)
			fprintf(f, ",\"how\":%d", s->arg);
		else if (s->call == SYN_CALL_LISTEN)
			fprintf(f, ",\"backlog\":%d", s->arg);
		else if ((s->call == SYN_CALL_BIND || s->call == SYN_CALL_SENDTO) && s->arg)
			fprintf(f, ",\"port\":%d", s->arg);
		return;
	}
	fprintf(f, ",\"ret\":%lld", (long long)s->ret);
	if (s->ret < 0 && txt_errno_name((long)-s->ret))
		fprintf(f, ",\"error\":\"%s\"", txt_errno_name((long)-s->ret));
	if ((s->call == SYN_CALL_ACCEPT || s->call == SYN_CALL_ACCEPT4) && s->ret >= 0)
		fprintf(f, ",\"new_fd\":%d", s->new_fd);
}

/* One event as one line. conn NULL: outside any connection. */
static void jsonl_write_event(const struct sink_opts *o, const struct syn_event *e,
			      const struct conn *conn, int end, __u8 marks,
			      const char *explain_key, const char *explain_text)
{
	FILE *f = o->out;
	bool in_conn = conn && (end == 0 || end == 1);
	const char *comm;
	__u32 pid;

	if (e->kind == SYN_EV_DESTROY)
		return; /* not part of the schema: the state change to CLOSE says it */
	txt_event_owner(e, in_conn ? conn : NULL, end, &pid, &comm);

	fprintf(f, "{\"v\":%d,\"t_ns\":%lld,\"kind\":\"%s\",\"conn\":%llu", JSONL_VERSION,
		(long long)((__s64)e->ts_ns + o->wall_offset_ns), syn_kind_name(e->kind),
		in_conn ? (unsigned long long)conn->id : 0ull);
	if (in_conn)
		fprintf(f, ",\"end\":\"%s\"", txt_lane_name(end));
	fprintf(f, ",\"pid\":%u,\"comm\":", pid);
	json_put_str(f, comm, SYN_COMM_LEN);
	json_put_addr(f, "saddr", e->family, e->saddr);
	fprintf(f, ",\"sport\":%u", e->sport);
	json_put_addr(f, "daddr", e->family, e->daddr);
	fprintf(f, ",\"dport\":%u", e->dport);
	if (e->proto == IPPROTO_UDP)
		fprintf(f, ",\"proto\":\"udp\"");

	switch (e->kind) {
	case SYN_EV_SYSCALL:
		json_put_syscall(f, e);
		break;
	case SYN_EV_STATE:
		fprintf(f, ",\"from\":\"%s\",\"to\":\"%s\"", tcp_state_name(e->state.oldstate),
			tcp_state_name(e->state.newstate));
		if (marks & ROW_INFERRED)
			fprintf(f, ",\"inferred\":true");
		break;
	case SYN_EV_SEGMENT:
		json_put_segment(f, &e->seg, marks);
		break;
	case SYN_EV_RETRANSMIT:
		fprintf(f, ",\"seq\":%u,\"rtx\":\"%s\"", e->rtx.seq,
			e->rtx.kind == SYN_RETRANS_SYNACK ? "synack" : "skb");
		json_put_state(f, "state", e->rtx.state);
		break;
	case SYN_EV_RESET:
		fprintf(f, ",\"rst\":\"%s\"", e->rst.kind == SYN_RESET_RECEIVED ? "received" : "sent");
		json_put_state(f, "state", e->rst.state);
		fprintf(f, ",\"reason\":%u", e->rst.reason);
		if (e->rst.kind == SYN_RESET_SENT && rst_reason_name(e->rst.reason))
			fprintf(f, ",\"reason_name\":\"%s\"", rst_reason_name(e->rst.reason));
		break;
	case SYN_EV_LOST:
		fprintf(f, ",\"count\":%llu", (unsigned long long)e->lost.count);
		break;
	case SYN_EV_DROP:
		json_put_dir_flags(f, e->drop.dir, e->drop.flags);
		fprintf(f, ",\"seq\":%u,\"ack\":%u,\"len\":%u,\"reason\":%u", e->drop.seq,
			e->drop.ack, e->drop.len, e->drop.reason);
		if (drop_reason_name(e->drop.reason))
			fprintf(f, ",\"reason_name\":\"%s\"", drop_reason_name(e->drop.reason));
		break;
	}
	if (explain_key && *explain_key) {
		fprintf(f, ",\"explain\":\"%s\",\"explain_text\":", explain_key);
		json_put_str(f, explain_text, strlen(explain_text));
	}
	fputs("}\n", f);
}

static void jsonl_event(struct syn_sink *s, const struct syn_event *e,
			const struct conn *conn, int end)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;

	(void)end;
	/* Connection events wait for conn_done: time order, final attribution. */
	if (!conn)
		jsonl_write_event(&js->opts, e, NULL, 0, 0, NULL, NULL);
}

static void jsonl_conn_done(struct syn_sink *s, const struct conn *conn)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;
	struct explain_note *notes = NULL;

	if (js->opts.explain && conn->nrows) {
		notes = calloc(conn->nrows, sizeof(*notes));
		if (notes)
			explain_conn(conn, notes);
	}
	for (size_t i = 0; i < conn->nrows; i++) {
		const struct conn_row *r = &conn->rows[i];
		char text[512] = "";

		if (notes)
			explain_text(conn, i, &notes[i], js->opts.explain, text, sizeof(text));
		jsonl_write_event(&js->opts, &r->ev, conn, r->end, r->marks,
				  notes ? explain_key_name(notes[i].key) : NULL, text);
	}
	free(notes);
}

static void jsonl_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct jsonl_sink *js = (struct jsonl_sink *)s;

	(void)sum; /* the stream stays pure JSONL: the caller reports the summary */
	fflush(js->opts.out);
}

static void jsonl_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *jsonl_sink_new(const struct sink_opts *o)
{
	struct jsonl_sink *js = calloc(1, sizeof(*js));

	if (!js)
		return NULL;
	js->base = (struct syn_sink){
		.event = jsonl_event,
		.conn_done = jsonl_conn_done,
		.finish = jsonl_finish,
		.destroy = jsonl_destroy,
	};
	js->opts = *o;
	return &js->base;
}
