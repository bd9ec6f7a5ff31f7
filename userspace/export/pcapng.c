/* pcapng sink: the segments synscope saw, as a capture file Wireshark and
 * tshark open (docs/exports.md). File layout (pcapng, host byte order):
 *
 *   Section Header Block
 *   Interface Description Block 0  "client": the client end of every connection
 *   Interface Description Block 1  "server": the server end
 *   Enhanced Packet Block ...      one per segment on the wire
 *
 * A segment seen at both ends is one packet, as a capture on the wire between
 * them would have it: on the interface of the end that saw it first (the
 * sender, outbound), when it was sent; its arrival is said in a comment. Two
 * copies would make Wireshark flag every segment as a retransmission or a
 * duplicate ACK. A segment seen at one end only is a packet on that end's
 * interface, outbound or inbound. Each packet is an IP header and a TCP
 * header rebuilt from the event (synscope never captures payload): captured
 * length is the headers, original length the headers plus the payload. Comments
 * carry both lanes' states at that moment and the calls and state changes
 * that happened since the connection's previous packet. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/names.h"
#include "export/exports.h"
#include "render/text_event.h"
#include "render/text_time.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BOM 0x1A2B3C4Du

#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IDB_NAME 2
#define IDB_DESCRIPTION 3
#define IDB_TSRESOL 9
#define EPB_FLAGS 2

#define EPB_FLAG_INBOUND 1u
#define EPB_FLAG_OUTBOUND 2u

#define LINKTYPE_RAW 101         /* raw IPv4 or IPv6, told apart by the version */
#define SNAPLEN 262144
#define PKT_TTL 64

#define BLOCK_MAX 8192           /* one packet block: headers and comments */
#define COMMENT_MAX 256
#define NOTES_MAX 24             /* events written before "... N more" */

/* ---- a block being built ---- */

struct blk {
	__u8 b[BLOCK_MAX];
	size_t len;
	bool full;               /* something did not fit: the block is cut */
};

struct pcapng_sink {
	struct syn_sink base;
	struct sink_opts opts;
	bool started;            /* section header and interfaces written */
	struct blk k;            /* the block being built */
};

/* Drawing state of one connection. */
struct pcapng_conn {
	const struct conn *c;
	const struct seq_base *b; /* NULL: absolute sequence numbers in notes */
	bool inferred[2];         /* the lane's state was set by an inferred row */
	size_t notes_from;        /* the first row the next packet has notes for */
	size_t last;              /* the last segment row: it has the trailing notes */
};

static void blk_put(struct blk *k, const void *p, size_t n)
{
	if (k->len + n > sizeof(k->b)) {
		k->full = true;
		return;
	}
	if (n) /* an empty option has no value pointer at all */
		memcpy(k->b + k->len, p, n);
	k->len += n;
}

static void blk_u16(struct blk *k, __u16 v)
{
	blk_put(k, &v, 2);
}

static void blk_u32(struct blk *k, __u32 v)
{
	blk_put(k, &v, 4);
}

static void blk_pad4(struct blk *k)
{
	static const __u8 zero[4];

	blk_put(k, zero, (4 - k->len % 4) % 4);
}

/* An option: code, length, value padded to 32 bits. */
static void blk_opt(struct blk *k, __u16 code, const void *v, size_t n)
{
	blk_u16(k, code);
	blk_u16(k, (__u16)n);
	blk_put(k, v, n);
	blk_pad4(k);
}

static void blk_opt_str(struct blk *k, __u16 code, const char *s)
{
	blk_opt(k, code, s, strlen(s));
}

/* Start a block: type and a total length patched by blk_write. */
static void blk_start(struct blk *k, __u32 type)
{
	k->len = 0;
	k->full = false;
	blk_u32(k, type);
	blk_u32(k, 0);
}

/* The trailing total length, the leading one patched, and out it goes. */
static void blk_write(struct blk *k, FILE *f)
{
	__u32 total = (__u32)k->len + 4;

	memcpy(k->b + 4, &total, 4);
	fwrite(k->b, 1, k->len, f);
	fwrite(&total, 4, 1, f);
}

/* ---- file header ---- */

static void pcapng_write_idb(struct blk *k, FILE *f, const char *name, const char *desc)
{
	__u8 tsresol = 9; /* 10^-9 s: nanoseconds, as the kernel stamps events */

	blk_start(k, PCAPNG_IDB);
	blk_u16(k, LINKTYPE_RAW);
	blk_u16(k, 0);
	blk_u32(k, SNAPLEN);
	blk_opt_str(k, IDB_NAME, name);
	blk_opt_str(k, IDB_DESCRIPTION, desc);
	blk_opt(k, IDB_TSRESOL, &tsresol, 1);
	blk_opt(k, OPT_END, NULL, 0);
	blk_write(k, f);
}

static void pcapng_start(struct pcapng_sink *ps)
{
	struct blk *k = &ps->k;
	FILE *f = ps->opts.out;

	if (ps->started)
		return;
	ps->started = true;
	blk_start(k, PCAPNG_SHB);
	blk_u32(k, PCAPNG_BOM);
	blk_u16(k, 1); /* version 1.0 */
	blk_u16(k, 0);
	blk_u32(k, 0xffffffffu); /* section length: not given */
	blk_u32(k, 0xffffffffu);
	blk_opt_str(k, SHB_USERAPPL, "synscope");
	blk_opt(k, OPT_END, NULL, 0);
	blk_write(k, f);
	pcapng_write_idb(k, f, "client", "synscope: the client end of each connection "
			 "(headers rebuilt from traced events, no payload)");
	pcapng_write_idb(k, f, "server", "synscope: the server end of each connection "
			 "(headers rebuilt from traced events, no payload)");
}

/* ---- IP and TCP headers ---- */

static __u32 csum_add(__u32 sum, const __u8 *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (__u32)p[n - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static void put_be16(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static void put_be32(__u8 *p, __u32 v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

/* The options a segment carried, in the order Linux writes them; padded
 * with NOPs to 32 bits. Returns their length. Only SYNs have them recorded. */
static size_t tcp_build_options(const struct syn_segment *s, __u8 *o)
{
	size_t n = 0;
	bool sack = s->opts & SYN_OPT_SACK_PERM, ts = s->opts & SYN_OPT_TS;

	if (s->opts & SYN_OPT_MSS) {
		o[n++] = 2, o[n++] = 4;
		put_be16(o + n, s->mss), n += 2;
	}
	if (sack && ts) {
		o[n++] = 4, o[n++] = 2;
	} else if (sack) {
		o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
	} else if (ts) {
		o[n++] = 1, o[n++] = 1;
	}
	if (ts) {
		o[n++] = 8, o[n++] = 10;
		put_be32(o + n, s->tsval), n += 4;
		put_be32(o + n, s->tsecr), n += 4;
	}
	if (s->opts & SYN_OPT_WSCALE) {
		o[n++] = 1;
		o[n++] = 3, o[n++] = 3, o[n++] = s->wscale;
	}
	while (n % 4)
		o[n++] = 1;
	return n;
}

/* The packet as it was on the wire, headers only, into pkt (at least 100
 * bytes). *wire_len gets the length with the payload. 0: not an IP segment. */
static size_t pcapng_build_packet(const struct syn_event *e, __u8 *pkt, __u32 *wire_len)
{
	const struct syn_segment *s = &e->seg;
	bool tx = s->dir == SYN_DIR_TX, v6 = e->family == AF_INET6, udp = e->proto == IPPROTO_UDP;
	__u8 l4 = udp ? IPPROTO_UDP : IPPROTO_TCP;
	const __u8 *src = tx ? e->saddr : e->daddr, *dst = tx ? e->daddr : e->saddr;
	size_t alen = v6 ? 16 : 4, iplen = v6 ? 40 : 20, optlen, thlen;
	__u8 *ip = pkt, *th;
	__u32 tcp_total, sum;

	if (e->family != AF_INET && e->family != AF_INET6)
		return 0;
	th = pkt + iplen;
	memset(pkt, 0, iplen + 20);
	optlen = udp ? 0 : tcp_build_options(s, th + 20);
	thlen = udp ? 8 : 20 + optlen;
	tcp_total = (__u32)thlen + s->len;
	*wire_len = (__u32)iplen + tcp_total;

	/* TCP (or UDP): the fields the event holds; the checksum below */
	put_be16(th, tx ? e->sport : e->dport);
	put_be16(th + 2, tx ? e->dport : e->sport);
	if (udp) {
		put_be16(th + 4, tcp_total > 0xffff ? 0 : tcp_total);
	} else {
		put_be32(th + 4, s->seq);
		put_be32(th + 8, s->ack);
		th[12] = (__u8)(thlen / 4) << 4;
		th[13] = s->flags;
		put_be16(th + 14, s->win);
	}

	if (v6) {
		ip[0] = 0x60;
		/* longer than 16 bits (a GSO super-segment): 0, as a jumbogram says */
		put_be16(ip + 4, tcp_total > 0xffff ? 0 : tcp_total);
		ip[6] = l4;
		ip[7] = PKT_TTL;
	} else {
		ip[0] = 0x45;
		/* 0 when it does not fit: what Wireshark reads as segmentation offload */
		put_be16(ip + 2, *wire_len > 0xffff ? 0 : *wire_len);
		ip[6] = 0x40; /* don't fragment, as Linux sends TCP */
		ip[8] = PKT_TTL;
		ip[9] = l4;
	}
	memcpy(ip + (v6 ? 8 : 12), src, alen);
	memcpy(ip + (v6 ? 24 : 16), dst, alen);
	if (!v6)
		put_be16(ip + 10, csum_fold(csum_add(0, ip, 20)));

	/* pseudo-header, then the TCP header; the payload is not known: its
	 * bytes count as zeros, which add nothing to the sum */
	sum = csum_add(0, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += l4 + (tcp_total >> 16) + (tcp_total & 0xffff);
	sum = csum_add(sum, th, thlen);
	put_be16(th + (udp ? 6 : 16), csum_fold(sum));
	return iplen + thlen;
}

/* ---- packets and their comments ---- */

/* "client SYN_SENT", "server SYN_RECV (inferred)", "server -" (none yet). */
static void lane_state_text(int lane, __u8 st, bool inferred, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s%s", txt_lane_name(lane), st ? tcp_state_name(st) : "-",
		 st && inferred ? " (inferred)" : "");
}

/* A segment this host dropped before the wire: a note, not a packet. */
static void not_sent_text(const struct conn *c, const struct conn_row *r,
			  const struct seq_base *b, char *buf, size_t len)
{
	struct seg_text t;
	char joined[200];

	(void)c;
	seg_text_build(&t, &r->ev, r->end, b);
	snprintf(buf, len, "NOT SENT (dropped on this host): %s",
		 seg_text_join(&t, SEG_TOK_ALL, joined, sizeof(joined)));
}

/* Notes for the rows in [from, to) that are not packets, "lane: text",
 * prefix before each ("" or "after: "). */
static void add_notes(struct blk *k, const struct conn *c, size_t from, size_t to,
		      const char *prefix, const struct seq_base *b)
{
	char text[COMMENT_MAX - 32], line[COMMENT_MAX];
	size_t shown = 0, more = 0;

	for (size_t i = from; i < to; i++) {
		const struct conn_row *r = &c->rows[i];

		if (r->ev.kind == SYN_EV_SEGMENT && !(r->marks & ROW_NOT_SENT))
			continue;
		if (shown == NOTES_MAX) {
			more++;
			continue;
		}
		if (r->ev.kind == SYN_EV_SEGMENT)
			not_sent_text(c, r, b, text, sizeof(text));
		else
			txt_row_text(c, r, b, text, sizeof(text));
		snprintf(line, sizeof(line), "%s%s: %s", prefix, txt_lane_name(r->end & 1), text);
		blk_opt_str(k, OPT_COMMENT, line);
		shown++;
	}
	if (more) {
		snprintf(line, sizeof(line), "%s%zu more events", prefix, more);
		blk_opt_str(k, OPT_COMMENT, line);
	}
}

/* Row i, the first sighting of a segment, as one packet on its lane's interface. */
static void pcapng_write_packet(struct pcapng_sink *ps, struct pcapng_conn *x, size_t i)
{
	const struct conn *c = x->c;
	const struct conn_row *r = &c->rows[i];
	const struct syn_event *e = &r->ev;
	struct blk *k = &ps->k;
	__u8 pkt[128];
	__u32 wire_len = 0, flags;
	size_t caplen = pcapng_build_packet(e, pkt, &wire_len);
	__s64 t = (__s64)e->ts_ns + ps->opts.wall_offset_ns;
	__u64 ts = t > 0 ? (__u64)t : 0;
	bool tx = e->seg.dir == SYN_DIR_TX;
	__s32 p = r->pair;
	const struct conn_row *other = p >= 0 && (size_t)p < c->nrows ? &c->rows[p] : NULL;
	__u8 marks = r->marks | (other ? other->marks : 0);
	char st[2][64], head[COMMENT_MAX], seen[64] = "", d[24];

	if (!caplen)
		return;
	blk_start(k, PCAPNG_EPB);
	blk_u32(k, r->end & 1); /* interface: the lane */
	blk_u32(k, (__u32)(ts >> 32));
	blk_u32(k, (__u32)ts);
	blk_u32(k, (__u32)caplen);
	blk_u32(k, wire_len);
	blk_put(k, pkt, caplen);
	blk_pad4(k);

	flags = tx ? EPB_FLAG_OUTBOUND : EPB_FLAG_INBOUND;
	blk_opt(k, EPB_FLAGS, &flags, 4);
	for (int lane = 0; lane < 2; lane++)
		lane_state_text(lane, r->state_after[lane], x->inferred[lane], st[lane], sizeof(st[0]));
	if (other && other->ev.ts_ns >= e->ts_ns)
		snprintf(seen, sizeof(seen), ", %s by %s %s", tx ? "received" : "sent",
			 txt_lane_name(other->end & 1), txt_delta(other->ev.ts_ns - e->ts_ns, d, sizeof(d)));
	snprintf(head, sizeof(head), "synscope connection %llu, %s by %s%s%s; states: %s, %s",
		 (unsigned long long)c->id, tx ? "sent" : "received", txt_lane_name(r->end & 1), seen,
		 (marks & ROW_RETRANSMIT) ? ", retransmission" : "", st[0], st[1]);
	blk_opt_str(k, OPT_COMMENT, head);
	add_notes(k, c, x->notes_from, i, "", x->b);
	if (i == x->last)
		add_notes(k, c, i + 1, c->nrows, "after: ", x->b);
	x->notes_from = i + 1;
	blk_opt(k, OPT_END, NULL, 0);
	if (!k->full) /* cannot happen with NOTES_MAX notes: never write a cut block */
		blk_write(k, ps->opts.out);
}

/* Is row i a packet: a segment's first sighting, one that left the host? */
static bool is_packet(const struct conn *c, size_t i)
{
	const struct conn_row *r = &c->rows[i];
	__s32 p = r->pair;

	if (r->ev.kind != SYN_EV_SEGMENT || (r->marks & ROW_NOT_SENT))
		return false;
	return !(p >= 0 && (size_t)p < i && c->rows[p].ev.kind == SYN_EV_SEGMENT);
}

static void pcapng_render_conn(struct pcapng_sink *ps, const struct conn *c)
{
	struct seq_base base;
	struct pcapng_conn x = { .c = c, .b = ps->opts.relative_seq ? &base : NULL };

	seq_base_scan(&base, c, c->nrows);
	for (size_t i = 0; i < c->nrows; i++)
		if (is_packet(c, i))
			x.last = i;
	for (size_t i = 0; i < c->nrows; i++) {
		const struct conn_row *r = &c->rows[i];

		/* as in the ladder: a kernel row that leaves the lane elsewhere
		 * (the full socket's FIN_WAIT2 -> CLOSE under a timewait
		 * socket) keeps the inferred state's mark */
		if (r->ev.kind == SYN_EV_STATE && r->ev.state.newstate == r->state_after[r->end & 1])
			x.inferred[r->end & 1] = r->marks & ROW_INFERRED;
		if (is_packet(c, i))
			pcapng_write_packet(ps, &x, i);
	}
}

/* A batch of a connection's rows: its packets, the other rows as their
 * comments. */
static void pcapng_rows(struct syn_sink *s, const struct conn *conn, const struct conn_row *rows,
			size_t n)
{
	struct pcapng_sink *ps = (struct pcapng_sink *)s;
	struct conn batch = *conn;

	batch.rows = (struct conn_row *)rows;
	batch.nrows = n;
	pcapng_start(ps);
	pcapng_render_conn(ps, &batch);
}

static void pcapng_finish(struct syn_sink *s, const struct run_summary *sum)
{
	struct pcapng_sink *ps = (struct pcapng_sink *)s;

	(void)sum; /* binary output: the caller reports the summary */
	pcapng_start(ps); /* no connection: still a valid, empty capture */
	fflush(ps->opts.out);
}

static void pcapng_destroy(struct syn_sink *s)
{
	free(s);
}

struct syn_sink *pcapng_sink_new(const struct sink_opts *o)
{
	struct pcapng_sink *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->base = (struct syn_sink){
		.rows = pcapng_rows,
		.finish = pcapng_finish,
		.destroy = pcapng_destroy,
	};
	ps->opts = *o;
	return &ps->base;
}
