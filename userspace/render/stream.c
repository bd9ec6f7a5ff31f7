/* Stream sink: one line per event, printed as the event arrives.
 *   0.000009 conn 1 client demo-client/1234 127.0.0.1:41234 > 127.0.0.1:8080 SYN seq=1000 win=65495 ... */
#include <stdlib.h>
#include <string.h>
#include "base/hmap.h"
#include "base/names.h"
#include "render/sinks.h"
#include "base/strbuf.h"
#include "render/text_event.h"
#include "render/text_line.h"
#include "render/text_summary.h"
#include "render/text_time.h"

/* Live, the handshake is at the start of a connection's rows: look no further
 * for the ISNs, so a long connection does not cost a scan per event. */
#define STREAM_ISN_SCAN_ROWS 64

/* The endpoints of recent events, as printed: a connection's events come
 * close together, and formatting two addresses was an eighth of the
 * stream's time. Direct-mapped by a hash of the tuple. */
#define EP_CACHE_SLOTS 64
#define EP_TEXT_LEN (2 * ADDR_STR_LEN + 4)

struct ep_key {
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;
	__u8 family, rx, pad[2];
};

struct ep_slot {
	struct ep_key key;
	char text[EP_TEXT_LEN]; /* "" while the slot is empty */
};

struct stream_sink {
	struct syn_sink base;
	struct sink_opts opts;
	bool started;
	__u64 t0;   /* ts_ns of the first event seen: time 0 */
	struct ep_slot eps[EP_CACHE_SLOTS];
};

/* "local > remote", "local < remote" for a received segment, into text. */
static void endpoints_text(const struct ep_key *k, char text[EP_TEXT_LEN])
{
	char local[ADDR_STR_LEN], remote[ADDR_STR_LEN], *p;

	endpoint_str(k->family, k->saddr, k->sport, local, sizeof(local));
	endpoint_str(k->family, k->daddr, k->dport, remote, sizeof(remote));
	/* by hand: a printf per line was a third of the stream's time */
	p = txt_put_str(text, local);
	*p++ = ' ';
	*p++ = k->rx ? '<' : '>';
	*p++ = ' ';
	*txt_put_str(p, remote) = '\0';
}

/* The tuple in its order (the tracker's tuple_key is the same from either
 * end, whose lines differ: a loopback segment's two ends would take turns
 * in one slot), mixed as the hash tables mix their keys. */
static size_t ep_slot_of(const struct ep_key *k)
{
	__u64 w[4], h = (__u64)k->sport << 32 | (__u64)k->dport << 16 | k->family << 1 | k->rx;

	memcpy(w, k->saddr, 16);
	memcpy(w + 2, k->daddr, 16);
	for (int i = 0; i < 4; i++)
		h = hmap_mix(h ^ w[i]);
	return (size_t)h % EP_CACHE_SLOTS;
}

/* The event's endpoints as stream_event prints them; "-" when it carries
 * no address. */
static const char *stream_endpoints(struct stream_sink *ss, const struct syn_event *e)
{
	struct ep_key k;
	struct ep_slot *slot;

	if (!e->family)
		return "-";
	memset(&k, 0, sizeof(k));
	memcpy(k.saddr, e->saddr, 16);
	memcpy(k.daddr, e->daddr, 16);
	k.sport = e->sport;
	k.dport = e->dport;
	k.family = e->family;
	k.rx = e->kind == SYN_EV_SEGMENT && e->seg.dir == SYN_DIR_RX;
	slot = &ss->eps[ep_slot_of(&k)];
	if (!slot->text[0] || memcmp(&slot->key, &k, sizeof(k))) {
		slot->key = k;
		endpoints_text(&k, slot->text);
	}
	return slot->text;
}

/* What the end is as far as is known when its event is printed: a live
 * stream cannot wait for the lanes to be ordered. */
static const char *stream_role(const struct conn_end *e)
{
	return e->role == ROLE_CLIENT ? "client" : e->role == ROLE_SERVER ? "server" : "?";
}

static void stream_event(struct syn_sink *s, const struct syn_event *e,
			 const struct conn *conn, int end)
{
	struct stream_sink *ss = (struct stream_sink *)s;
	bool in_conn = conn && (end == 0 || end == 1);
	struct seq_base base, *b = NULL;
	struct txt_line l;
	enum txt_color color = TXT_PLAIN;
	char t[32], id[32], proc[48], text[200];

	if (e->kind == SYN_EV_TICK || end == SINK_END_SHOWN)
		return; /* the clock, or printed already when it happened */
	if (!ss->started) {
		ss->started = true;
		ss->t0 = e->ts_ns;
	}
	txt_seconds(e->ts_ns > ss->t0 ? e->ts_ns - ss->t0 : 0, 0, t, sizeof(t));

	if (in_conn) {
		const struct conn_end *owner = &conn->end[end];

		*txt_put_u64(txt_put_str(id, "conn "), conn->id) = '\0';
		/* the lane's owner: a call by another process adds [comm/pid] below */
		txt_proc(owner->pid, owner->comm, proc, sizeof(proc));
		if (ss->opts.relative_seq) {
			seq_base_scan(&base, conn, STREAM_ISN_SCAN_ROWS);
			seq_base_note(&base, e, end);
			b = &base;
		}
	} else {
		txt_copy(id, sizeof(id), "-");
		txt_proc(e->pid, e->comm, proc, sizeof(proc));
	}

	if (e->kind == SYN_EV_SEGMENT) {
		struct seg_text st;
		size_t n;

		seg_text_build(&st, e, in_conn ? end : 0, b);
		seg_text_join(&st, SEG_TOK_ALL, text, sizeof(text));
		n = strlen(text);
		if ((e->seg.flags & SYN_TCP_SYN) && st.opts[0])
			snprintf(text + n, sizeof(text) - n, " %s", st.opts);
		color = txt_segment_color(e->seg.flags, false);
	} else {
		txt_event_text(e, in_conn ? end : 0, b, text, sizeof(text));
		if (e->kind == SYN_EV_SYSCALL && in_conn)
			txt_add_caller(text, sizeof(text), e, conn->end[end].pid);
		if (e->kind == SYN_EV_RETRANSMIT)
			color = TXT_RETRANS;
		else if (e->kind == SYN_EV_RESET)
			color = TXT_RST;
	}

	txt_line_start(&l, ss->opts.out, ss->opts.color);
	txt_line_put(&l, TXT_PLAIN, t);
	txt_line_gap_to(&l, 0);
	txt_line_put(&l, TXT_PLAIN, id);
	txt_line_gap_to(&l, 0);
	txt_line_put(&l, TXT_PLAIN, in_conn ? stream_role(&conn->end[end]) : "-");
	txt_line_gap_to(&l, 0);
	txt_line_put(&l, TXT_PLAIN, proc);
	txt_line_gap_to(&l, 0);
	txt_line_put(&l, TXT_PLAIN, stream_endpoints(ss, e));
	txt_line_gap_to(&l, 0);
	txt_line_put(&l, color, text);
	txt_line_end(&l);
	if (ss->opts.pace_ms) /* slow motion: the kernel's rings hold what comes meanwhile */
		txt_pause(ss->opts.out, ss->opts.pace_ms);
}

static void stream_conn_done(struct syn_sink *s, const struct conn *conn)
{
	/* Every event was printed as it came. */
	(void)s, (void)conn;
}

static void stream_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct stream_sink *ss = (struct stream_sink *)s;

	txt_summary(ss->opts.out, sum);
	fflush(ss->opts.out);
}

static void stream_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *stream_sink_new(const struct sink_opts *o)
{
	struct stream_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->base = (struct syn_sink){
		.event = stream_event,
		.conn_done = stream_conn_done,
		.finish = stream_finish,
		.destroy = stream_destroy,
	};
	ss->opts = *o;
	return &ss->base;
}
