#include <netinet/in.h>
/* pcapng sink: the bytes read back block by block (pcapng spec: section
 * header, interface descriptions, enhanced packet blocks and their options),
 * the rebuilt IPv4/IPv6 and TCP headers compared with hand-written values,
 * and their checksums verified here with a sum of our own. */
#include <stdbool.h>
#include "fake_conn.h"
#include "test.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "recdata.h"

#define MAX_PKTS 32
#define MAX_COMMENTS 16

struct pkt {
	__u32 ifid;
	__u64 ts;              /* in the interface's units */
	__u32 caplen, origlen;
	const __u8 *data;
	bool has_flags;
	__u32 flags;
	int ncomments;
	char comment[MAX_COMMENTS][256];
};

struct capfile {
	int nidb;
	__u16 linktype[4];
	char ifname[4][32];
	int tsresol[4];        /* -1: option absent */
	int npkts;
	struct pkt pkts[MAX_PKTS];
};

static __u16 rd16(const __u8 *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return v;
}

static __u32 rd32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

static __u32 be16(const __u8 *p)
{
	return (__u32)p[0] << 8 | p[1];
}

static __u32 be32(const __u8 *p)
{
	return be16(p) << 16 | be16(p + 2);
}

/* The options from p to end: each (code, length, value padded to 4), the
 * last one opt_endofopt ending exactly at end. Calls fn for each other. */
static bool walk_options(const __u8 *p, const __u8 *end,
			 void (*fn)(void *ctx, __u16 code, const __u8 *v, __u16 len), void *ctx)
{
	while (p + 4 <= end) {
		__u16 code = rd16(p), len = rd16(p + 2);
		size_t padded = (len + 3u) & ~3u;

		if (code == 0)
			return CHECK_EQ_INT(len, 0) && CHECK(p + 4 == end);
		if (!CHECK(p + 4 + padded <= end))
			return false;
		for (size_t i = len; i < padded; i++) /* padding is zeros */
			if (!CHECK_EQ_INT(p[4 + i], 0))
				return false;
		fn(ctx, code, p + 4, len);
		p += 4 + padded;
	}
	return CHECK(!"options not ended by opt_endofopt");
}

static void idb_option(void *ctx, __u16 code, const __u8 *v, __u16 len)
{
	struct capfile *cf = ctx;
	int i = cf->nidb;

	if (code == 2 && len < sizeof(cf->ifname[i])) { /* if_name */
		memcpy(cf->ifname[i], v, len);
		cf->ifname[i][len] = '\0';
	} else if (code == 9 && CHECK_EQ_INT(len, 1)) { /* if_tsresol */
		cf->tsresol[i] = v[0];
	}
}

static void epb_option(void *ctx, __u16 code, const __u8 *v, __u16 len)
{
	struct pkt *p = ctx;

	if (code == 2 && CHECK_EQ_INT(len, 4)) { /* epb_flags */
		p->has_flags = true;
		p->flags = rd32(v);
	} else if (code == 1 && CHECK(p->ncomments < MAX_COMMENTS) && CHECK(len < 256)) {
		memcpy(p->comment[p->ncomments], v, len); /* UTF-8, not NUL-ended */
		p->comment[p->ncomments][len] = '\0';
		CHECK_EQ_INT(strlen(p->comment[p->ncomments]), len);
		p->ncomments++;
	}
}

/* Read a whole file: a section header first, then interfaces and packets. */
static bool parse_capture(const __u8 *buf, size_t len, struct capfile *cf)
{
	size_t off = 0;
	bool first = true;

	memset(cf, 0, sizeof(*cf));
	while (off < len) {
		const __u8 *b = buf + off;
		__u32 type, total;

		if (!CHECK(len - off >= 12))
			return false;
		type = rd32(b);
		total = rd32(b + 4);
		if (!CHECK(total >= 12 && total % 4 == 0 && total <= len - off) ||
		    !CHECK_EQ_INT(rd32(b + total - 4), total))
			return false;
		const __u8 *body = b + 8, *end = b + total - 4;

		if (first) {
			/* section header: byte-order magic, version 1.0, length unknown */
			if (!CHECK_EQ_INT(type, 0x0A0D0D0A) || !CHECK_EQ_INT(rd32(body), 0x1A2B3C4D) ||
			    !CHECK_EQ_INT(rd16(body + 4), 1) || !CHECK_EQ_INT(rd16(body + 6), 0))
				return false;
			CHECK_EQ_INT(rd32(body + 8), 0xffffffffu);
			CHECK_EQ_INT(rd32(body + 12), 0xffffffffu);
			first = false;
		} else if (type == 1) {
			if (!CHECK(cf->nidb < 4))
				return false;
			cf->linktype[cf->nidb] = rd16(body);
			cf->tsresol[cf->nidb] = -1;
			if (!walk_options(body + 8, end, idb_option, cf))
				return false;
			cf->nidb++;
		} else if (type == 6) {
			struct pkt *p = &cf->pkts[cf->npkts];

			if (!CHECK(cf->npkts < MAX_PKTS))
				return false;
			memset(p, 0, sizeof(*p));
			p->ifid = rd32(body);
			p->ts = (__u64)rd32(body + 4) << 32 | rd32(body + 8);
			p->caplen = rd32(body + 12);
			p->origlen = rd32(body + 16);
			p->data = body + 20;
			if (!CHECK(p->ifid < (__u32)cf->nidb) || !CHECK(p->caplen <= p->origlen) ||
			    !CHECK(body + 20 + ((p->caplen + 3) & ~3u) <= end))
				return false;
			if (!walk_options(body + 20 + ((p->caplen + 3) & ~3u), end, epb_option, p))
				return false;
			cf->npkts++;
		} else {
			CHECK(!"unexpected block type");
			return false;
		}
		off += total;
	}
	return !first;
}

/* ---- the Internet checksum, written here from RFC 1071 ---- */

static __u32 sum16(__u32 acc, const __u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc += (i % 2) ? p[i] : (__u32)p[i] << 8;
	return acc;
}

static __u32 fold(__u32 acc)
{
	while (acc > 0xffff)
		acc = (acc >> 16) + (acc & 0xffff);
	return acc;
}

/* The IPv4 header sums to 0xffff with its checksum in. */
static bool ipv4_checksum_ok(const __u8 *ip)
{
	return fold(sum16(0, ip, 20)) == 0xffff;
}

/* The TCP checksum over the pseudo-header and the header in the capture; the
 * payload, not captured, is taken as zeros (docs/exports.md). tcp_len is the
 * TCP length the IP header gives. */
static bool tcp_checksum_ok(const __u8 *src, const __u8 *dst, size_t alen, __u32 tcp_len,
			    const __u8 *th, size_t thlen)
{
	__u8 pseudo_len[4] = { (__u8)(tcp_len >> 24), (__u8)(tcp_len >> 16), (__u8)(tcp_len >> 8),
			       (__u8)tcp_len };
	__u8 proto[2] = { 0, 6 };
	__u32 acc = sum16(0, src, alen);

	acc = sum16(acc, dst, alen);
	acc = sum16(acc, pseudo_len, 4);
	acc = sum16(acc, proto, 2);
	acc = sum16(acc, th, thlen);
	return fold(acc) == 0xffff;
}

/* ---- rendering ---- */

struct output {
	char *buf;
	size_t len;
};

static struct output render_all(struct fake **fs, int n)
{
	struct sink_opts o = { .relative_seq = true, .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct run_summary sum = { 0 };
	struct capture cap;
	struct output out;

	capture_start(&cap, &o);
	struct syn_sink *s = pcapng_sink_new(&o);
	for (int k = 0; k < n; k++) {
		fake_hand_over(s, fs[k]);
	}
	s->finish(s, &sum);
	s->destroy(s);
	out.buf = capture_end(&cap);
	out.len = cap.len;
	return out;
}

static struct output render(struct fake *f)
{
	return render_all(&f, 1);
}

/* The two interfaces every file has. */
static void check_interfaces(const struct capfile *cf)
{
	CHECK_EQ_INT(cf->nidb, 2);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(cf->linktype[i], 101); /* LINKTYPE_RAW */
		CHECK_EQ_INT(cf->tsresol[i], 9);    /* nanoseconds */
	}
	CHECK_EQ_STR(cf->ifname[0], "client");
	CHECK_EQ_STR(cf->ifname[1], "server");
}

struct want_v4 {
	__u32 ifid;
	__u64 t_us;
	__u16 sport, dport;
	__u8 flags;
	__u32 seq, ack, len;
	__u16 win;
	__u32 optlen;
};

/* An IPv4 packet of the loopback connection against its expected fields. */
static void check_v4_packet(const struct pkt *p, const struct want_v4 *w)
{
	const __u8 *ip = p->data, *th = ip + 20;
	static const __u8 lo[4] = { 127, 0, 0, 1 };
	__u32 thlen = 20 + w->optlen;

	CHECK_EQ_INT(p->ifid, w->ifid);
	CHECK_EQ_INT(p->ts, FAKE_WALL_T0_NS + w->t_us * 1000);
	CHECK(p->has_flags);
	CHECK_EQ_INT(p->flags, 2); /* outbound: sent by the lane it is on */
	CHECK_EQ_INT(p->caplen, 20 + thlen);
	CHECK_EQ_INT(p->origlen, 20 + thlen + w->len);
	if (p->caplen < 40)
		return;
	CHECK_EQ_INT(ip[0], 0x45);
	CHECK_EQ_INT(be16(ip + 2), 20 + thlen + w->len); /* total length counts the payload */
	CHECK_EQ_INT(ip[9], 6);
	CHECK(memcmp(ip + 12, lo, 4) == 0 && memcmp(ip + 16, lo, 4) == 0);
	CHECK(ipv4_checksum_ok(ip));
	CHECK_EQ_INT(be16(th), w->sport);
	CHECK_EQ_INT(be16(th + 2), w->dport);
	CHECK_EQ_INT(be32(th + 4), w->seq); /* always absolute: --relative-seq is for text */
	CHECK_EQ_INT(be32(th + 8), w->ack);
	CHECK_EQ_INT(th[12] >> 4, thlen / 4);
	CHECK_EQ_INT(th[13], w->flags);
	CHECK_EQ_INT(be16(th + 14), w->win);
	CHECK(tcp_checksum_ok(ip + 12, ip + 16, 4, be16(ip + 2) - 20u, th, thlen));
}

static void test_loopback_packets(void)
{
	/* one packet per segment on the wire, where and when it was sent */
	static const struct want_v4 want[] = {
		{ 0, 9, 41234, 8080, F_SYN, 1000, 0, 0, 65495, 20 },
		{ 1, 20, 8080, 41234, F_SYN | F_ACK, 5000, 1001, 0, 65483, 20 },
		{ 0, 30, 41234, 8080, F_ACK, 1001, 5001, 0, 512, 0 },
		{ 0, 1000, 41234, 8080, F_PSH | F_ACK, 1001, 5001, 5, 512, 0 },
		{ 1, 1100, 8080, 41234, F_ACK, 5001, 1006, 0, 512, 0 },
		{ 0, 2005, 41234, 8080, F_FIN | F_ACK, 1006, 5001, 0, 512, 0 },
		{ 1, 2012, 8080, 41234, F_ACK, 5001, 1007, 0, 512, 0 },
		{ 1, 1502004, 8080, 41234, F_FIN | F_ACK, 5001, 1007, 0, 512, 0 },
		{ 0, 1502010, 41234, 8080, F_ACK, 1007, 5002, 0, 512, 0 },
	};
	/* Linux's SYN options: MSS, SACK permitted, timestamps, NOP, window scale */
	static const __u8 syn_opts[20] = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 100,
					   0, 0, 0, 0, 1, 3, 3, 7 };
	static const __u8 synack_opts[20] = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 200,
					      0, 0, 0, 100, 1, 3, 3, 7 };
	static struct capfile cf;
	struct fake f;

	fake_loopback(&f);
	struct output out = render(&f);
	if (!CHECK(parse_capture((const __u8 *)out.buf, out.len, &cf)))
		goto out;
	check_interfaces(&cf);
	if (!CHECK_EQ_INT(cf.npkts, 9))
		goto out;
	for (int i = 0; i < 9; i++)
		check_v4_packet(&cf.pkts[i], &want[i]);
	CHECK(memcmp(cf.pkts[0].data + 40, syn_opts, 20) == 0);
	CHECK(memcmp(cf.pkts[1].data + 40, synack_opts, 20) == 0);
	/* the payload is never in the file, only counted */
	CHECK_EQ_INT(cf.pkts[3].caplen, 40);
	CHECK_EQ_INT(cf.pkts[3].origlen, 45);

	/* comments: both lanes' states, then what happened since the last packet */
	struct pkt *p = &cf.pkts[0];
	if (CHECK_EQ_INT(p->ncomments, 3)) {
		CHECK_EQ_STR(p->comment[0], "synscope connection 1, sent by client, received by server +3us; "
					    "states: client SYN_SENT, server LISTEN");
		CHECK_EQ_STR(p->comment[1], "client: connect(fd=3) ...");
		CHECK_EQ_STR(p->comment[2], "client: CLOSE -> SYN_SENT");
	}
	p = &cf.pkts[1];
	if (CHECK_EQ_INT(p->ncomments, 2)) {
		CHECK_EQ_STR(p->comment[0], "synscope connection 1, sent by server, received by client +3us; "
					    "states: client SYN_SENT, server SYN_RECV (inferred)");
		CHECK_EQ_STR(p->comment[1], "server: LISTEN -> SYN_RECV (inferred)");
	}
	p = &cf.pkts[3];
	if (CHECK_EQ_INT(p->ncomments, 4)) {
		CHECK_EQ_STR(p->comment[0], "synscope connection 1, sent by client, received by server +4us; "
					    "states: client ESTABLISHED, server ESTABLISHED");
		CHECK_EQ_STR(p->comment[1], "client: connect = 0");
		CHECK_EQ_STR(p->comment[2], "server: SYN_RECV -> ESTABLISHED");
		CHECK_EQ_STR(p->comment[3], "server: accept = 4");
	}
	p = &cf.pkts[7];
	if (CHECK_EQ_INT(p->ncomments, 4)) {
		CHECK_EQ_STR(p->comment[0], "synscope connection 1, sent by server, received by client +3us; "
					    "states: client FIN_WAIT2, server LAST_ACK");
		CHECK_EQ_STR(p->comment[1], "client: FIN_WAIT1 -> FIN_WAIT2");
		CHECK_EQ_STR(p->comment[2], "server: close(fd=4) [worker/1240]");
		CHECK_EQ_STR(p->comment[3], "server: CLOSE_WAIT -> LAST_ACK");
	}
	/* the last packet also carries what came after it */
	p = &cf.pkts[8];
	if (CHECK_EQ_INT(p->ncomments, 5)) {
		CHECK_EQ_STR(p->comment[0], "synscope connection 1, sent by client, received by server +3us; "
					    "states: client TIME_WAIT, server LAST_ACK");
		CHECK_EQ_STR(p->comment[1], "client: FIN_WAIT2 -> TIME_WAIT");
		CHECK_EQ_STR(p->comment[2], "after: server: LAST_ACK -> CLOSE");
		CHECK_EQ_STR(p->comment[3], "after: server: close = 0 [worker/1240]");
		CHECK_EQ_STR(p->comment[4], "after: server: socket freed");
	}
out:
	free(out.buf);
}

/* IPv6, a remote server: its segments are inbound on the client's interface,
 * from the server's address; other option sets; a retransmission. */
static void test_ipv6_remote(void)
{
	static const __u8 caddr[16] = { 0xfd, [15] = 1 }, saddr[16] = { 0xfd, [15] = 2 };
	/* MSS, NOP, window scale: no SACK, no timestamps */
	static const __u8 syn_opts[8] = { 2, 4, 0x05, 0xa0, 1, 3, 3, 7 };
	/* MSS, NOP, NOP, SACK permitted, NOP, window scale */
	static const __u8 synack_opts[12] = { 2, 4, 0x05, 0x78, 1, 1, 4, 2, 1, 3, 3, 9 };
	static struct capfile cf;
	struct conn_row *r;
	struct fake f;

	fake_init(&f, 4, AF_INET6, "fd00::1", 50000, 77, "curl", "fd00::2", 443, 0, "");
	f.c.end[S].traced = false;
	f.st[C] = ST_CLOSE;
	fake_state(&f, 3, C, ST_CLOSE, ST_SYN_SENT, false);
	r = fake_seg(&f, 6, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64800);
	r->ev.seg.opts = SYN_OPT_MSS | SYN_OPT_WSCALE;
	r->ev.seg.mss = 1440;
	r->ev.seg.wscale = 7;
	r = fake_seg(&f, 1000006, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64800);
	r->ev.seg.opts = SYN_OPT_MSS | SYN_OPT_WSCALE;
	r->ev.seg.mss = 1440;
	r->ev.seg.wscale = 7;
	r->marks |= ROW_RETRANSMIT;
	r = fake_seg(&f, 1000250, C, SYN_DIR_RX, F_SYN | F_ACK, 7000, 1001, 0, 65535);
	r->ev.seg.opts = SYN_OPT_MSS | SYN_OPT_WSCALE | SYN_OPT_SACK_PERM;
	r->ev.seg.mss = 1400;
	r->ev.seg.wscale = 9;
	fake_state(&f, 1000251, C, ST_SYN_SENT, ST_ESTABLISHED, false);
	fake_seg(&f, 1000260, C, SYN_DIR_TX, F_PSH | F_ACK, 1001, 7001, 100, 507);

	struct output out = render(&f);
	if (!CHECK(parse_capture((const __u8 *)out.buf, out.len, &cf)))
		goto out;
	check_interfaces(&cf);
	if (!CHECK_EQ_INT(cf.npkts, 4))
		goto out;

	struct pkt *syn = &cf.pkts[0], *rtx = &cf.pkts[1], *synack = &cf.pkts[2], *data = &cf.pkts[3];
	const __u8 *ip = syn->data, *th = ip + 40;

	/* the SYN: an IPv6 header, 8 bytes of options */
	CHECK_EQ_INT(syn->ifid, 0);
	CHECK_EQ_INT(syn->flags, 2);
	CHECK_EQ_INT(syn->caplen, 40 + 28);
	CHECK_EQ_INT(syn->origlen, 40 + 28);
	CHECK_EQ_INT(ip[0] >> 4, 6);
	CHECK_EQ_INT(be16(ip + 4), 28); /* payload length: TCP header and data */
	CHECK_EQ_INT(ip[6], 6);         /* next header: TCP */
	CHECK(memcmp(ip + 8, caddr, 16) == 0 && memcmp(ip + 24, saddr, 16) == 0);
	CHECK_EQ_INT(be16(th), 50000);
	CHECK_EQ_INT(be16(th + 2), 443);
	CHECK_EQ_INT(th[12] >> 4, 7);
	CHECK(memcmp(th + 20, syn_opts, 8) == 0);
	CHECK(tcp_checksum_ok(ip + 8, ip + 24, 16, be16(ip + 4), th, 28));
	CHECK_EQ_STR(syn->comment[0], "synscope connection 4, sent by client; "
				      "states: client SYN_SENT, server -");
	CHECK_EQ_STR(rtx->comment[0], "synscope connection 4, sent by client, retransmission; "
				      "states: client SYN_SENT, server -");

	/* the SYN-ACK: received from the remote end, so inbound and from its address */
	ip = synack->data;
	th = ip + 40;
	CHECK_EQ_INT(synack->ifid, 0);
	CHECK_EQ_INT(synack->flags, 1);
	CHECK(memcmp(ip + 8, saddr, 16) == 0 && memcmp(ip + 24, caddr, 16) == 0);
	CHECK_EQ_INT(be16(th), 443);
	CHECK_EQ_INT(be16(th + 2), 50000);
	CHECK_EQ_INT(be32(th + 4), 7000);
	CHECK_EQ_INT(be32(th + 8), 1001);
	CHECK_EQ_INT(th[13], F_SYN | F_ACK);
	CHECK_EQ_INT(th[12] >> 4, 8);
	CHECK(memcmp(th + 20, synack_opts, 12) == 0);
	CHECK(tcp_checksum_ok(ip + 8, ip + 24, 16, be16(ip + 4), th, 32));
	CHECK_EQ_STR(synack->comment[0], "synscope connection 4, received by client; "
					 "states: client SYN_SENT, server -");

	/* 100 bytes of data: counted in the lengths, not captured */
	ip = data->data;
	CHECK_EQ_INT(data->caplen, 60);
	CHECK_EQ_INT(data->origlen, 160);
	CHECK_EQ_INT(be16(ip + 4), 120);
	CHECK(tcp_checksum_ok(ip + 8, ip + 24, 16, be16(ip + 4), ip + 40, 20));
	CHECK_EQ_STR(data->comment[1], "client: SYN_SENT -> ESTABLISHED");
out:
	free(out.buf);
}

/* Timestamps without SACK; a GSO super-segment longer than an IPv4 total
 * length can say. */
static void test_ts_only_and_gso(void)
{
	/* MSS, NOP, NOP, timestamps */
	static const __u8 syn_opts[16] = { 2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0 };
	static struct capfile cf;
	struct conn_row *r;
	struct fake f;

	fake_init(&f, 5, AF_INET, "127.0.0.1", 40000, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	r = fake_seg(&f, 0, C, SYN_DIR_TX, F_SYN, 1, 0, 0, 100);
	r->ev.seg.opts = SYN_OPT_MSS | SYN_OPT_TS;
	r->ev.seg.mss = 1460;
	r->ev.seg.tsval = 256;
	fake_seg(&f, 10, C, SYN_DIR_TX, F_ACK, 2, 2, 70000, 100);

	struct output out = render(&f);
	if (!CHECK(parse_capture((const __u8 *)out.buf, out.len, &cf)) || !CHECK_EQ_INT(cf.npkts, 2))
		goto out;
	CHECK_EQ_INT(cf.pkts[0].caplen, 56);
	CHECK(memcmp(cf.pkts[0].data + 40, syn_opts, 16) == 0);
	CHECK(ipv4_checksum_ok(cf.pkts[0].data));
	CHECK_EQ_INT(cf.pkts[1].caplen, 40);
	CHECK_EQ_INT(cf.pkts[1].origlen, 70040);
	CHECK_EQ_INT(be16(cf.pkts[1].data + 2), 0); /* too long to say: 0 */
	CHECK(ipv4_checksum_ok(cf.pkts[1].data));
	CHECK(tcp_checksum_ok(cf.pkts[1].data + 12, cf.pkts[1].data + 16, 4, 70020,
			      cf.pkts[1].data + 20, 20));
out:
	free(out.buf);
}

/* Nothing traced: still a file Wireshark opens, with no packets; a
 * connection with no segment adds none. Headers come once for many. */
static void test_empty_and_many(void)
{
	static struct capfile cf;
	struct fake a, b, c;
	struct fake *all[3] = { &a, &b, &c };

	struct output out = render_all(NULL, 0);
	CHECK(parse_capture((const __u8 *)out.buf, out.len, &cf));
	check_interfaces(&cf);
	CHECK_EQ_INT(cf.npkts, 0);
	free(out.buf);

	fake_loopback(&a);
	fake_init(&b, 2, AF_INET, "127.0.0.1", 40000, 10, "cli", "127.0.0.1", 9000, 11, "srv");
	fake_sys(&b, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);
	fake_loopback(&c);
	c.c.id = 3;
	out = render_all(all, 3);
	CHECK(parse_capture((const __u8 *)out.buf, out.len, &cf));
	check_interfaces(&cf);
	CHECK_EQ_INT(cf.npkts, 18);
	CHECK_CONTAINS(cf.pkts[9].comment[0], "synscope connection 3, ");
	free(out.buf);
}

/* A UDP datagram is rebuilt as UDP: protocol 17, an 8-byte header whose
 * length counts the payload, a checksum over the pseudo-header. */
static void test_udp_datagram(void)
{
	struct fake f;
	struct capfile cf;
	struct output out;

	fake_init(&f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 9000, 20, "demo-server");
	f.c.proto = IPPROTO_UDP;
	fake_seg(&f, 1, C, SYN_DIR_TX, 0, 0, 0, 6, 0)->ev.proto = IPPROTO_UDP;
	out = render(&f);
	if (CHECK(parse_capture((const __u8 *)out.buf, out.len, &cf)) && CHECK_EQ_INT(cf.npkts, 1)) {
		const struct pkt *p = &cf.pkts[0];
		const __u8 *ip = p->data, *uh = p->data + 20;
		__u8 pseudo[12] = { 10, 99, 0, 1, 10, 99, 0, 2, 0, 17, 0, 14 };

		CHECK_EQ_INT(p->caplen, 28);
		CHECK_EQ_INT(p->origlen, 34);
		CHECK_EQ_INT(ip[9], 17);
		CHECK(ipv4_checksum_ok(ip));
		CHECK_EQ_INT(be16(uh), 40000);
		CHECK_EQ_INT(be16(uh + 2), 9000);
		CHECK_EQ_INT(be16(uh + 4), 14);
		CHECK_EQ_INT(fold(sum16(sum16(0, pseudo, 12), uh, 8)), 0xffff);
	}
	free(out.buf);
}

/* A segment this host dropped before the wire (a full qdisc) never left:
 * no packet, a note on the next packet instead. The client's SYN and its
 * resent data are the two packets (sequence numbers relative to the SYN). */
static void test_not_sent_is_no_packet(void)
{
	static struct capfile cf;
	struct conn_row *r;
	struct fake f;

	fake_init(&f, 7, AF_INET, "127.0.0.1", 40000, 10, "cli", "10.0.0.2", 9000, 0, "");
	f.c.end[S].traced = false;
	fake_seg(&f, 0, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 100);
	r = fake_seg(&f, 10, C, SYN_DIR_TX, F_PSH | F_ACK, 1001, 5001, 5, 100);
	r->marks |= ROW_NOT_SENT;
	r = fake_seg(&f, 20, C, SYN_DIR_TX, F_PSH | F_ACK, 1001, 5001, 5, 100);
	r->marks |= ROW_RETRANSMIT;

	struct output out = render(&f);
	if (CHECK(parse_capture((const __u8 *)out.buf, out.len, &cf)) && CHECK_EQ_INT(cf.npkts, 2)) {
		CHECK_EQ_INT(be32(cf.pkts[0].data + 24), 1000);
		CHECK_EQ_INT(be32(cf.pkts[1].data + 24), 1001);
		CHECK_EQ_INT(cf.pkts[1].origlen, 45);
		if (CHECK_EQ_INT(cf.pkts[1].ncomments, 2))
			CHECK_EQ_STR(cf.pkts[1].comment[1],
				     "client: NOT SENT (dropped on this host): PSH,ACK seq=1 ack=5001 len=5");
	}
	free(out.buf);
}

/* A connection quiet for 2 s has its packets written then, not when it
 * ends (the collector holds no rows for it); in the end the file holds the
 * packets it holds without the pause, in the same order. */
static void test_quiet_connection_written_then(void)
{
	static struct capfile whole, quiet, paused;
	struct quiet_run q;

	CHECK(recdata_quiet_run(pcapng_sink_new, &q));
	CHECK_EQ_INT(q.early_len, 0); /* not quiet yet: nothing, not even the header */
	if (CHECK(parse_capture((const __u8 *)q.whole, q.whole_len, &whole)) &&
	    CHECK(parse_capture((const __u8 *)q.quiet, q.quiet_len, &quiet)) &&
	    CHECK(parse_capture((const __u8 *)q.paused, q.paused_len, &paused))) {
		CHECK(quiet.npkts >= 3 && quiet.npkts < whole.npkts); /* the handshake at least */
		CHECK_EQ_INT(paused.npkts, whole.npkts);
		for (int i = 0; i < paused.npkts && i < whole.npkts; i++) {
			const struct pkt *a = &paused.pkts[i], *b = &whole.pkts[i];

			CHECK(a->ifid == b->ifid && a->caplen == b->caplen &&
			      !memcmp(a->data, b->data, a->caplen));
		}
	}
	quiet_run_free(&q);
}

int main(void)
{
	RUN(test_loopback_packets);
	RUN(test_ipv6_remote);
	RUN(test_ts_only_and_gso);
	RUN(test_empty_and_many);
	RUN(test_udp_datagram);
	RUN(test_not_sent_is_no_packet);
	RUN(test_quiet_connection_written_then);
	return TEST_SUMMARY();
}
