/*
 * tunpeer: a scripted remote TCP peer with no kernel socket.
 *
 * It attaches to a tun device (IFF_TUN | IFF_NO_PI) in a network namespace
 * where the peer's address is routed into that device. The local kernel sends
 * the peer's packets there; tunpeer reads them and writes back the TCP
 * segments (and ICMP errors) a script dictates, with correct IPv4/IPv6 and
 * TCP checksums. No socket exists on the peer's side, so the local end of a
 * connection lives only as long as the local kernel keeps it, as with a peer
 * on another host (on loopback the other end's socket keeps it alive).
 *
 * Usage:
 *   tunpeer --dev NAME --local ADDR --peer ADDR --port N [--log FILE]
 *           [--go FILE] [--hold] SCRIPT
 *
 *   --local, --peer  the local end's and the peer's addresses (both IPv4 or
 *                    both IPv6)
 *   --port N         the peer's port when it is the server (the default), the
 *                    local listener's when the script says "peer client"
 *   --log FILE       one line per packet in and out, and per script step
 *                    (default: standard output)
 *   --go FILE        start the script only once FILE exists (packets that
 *                    arrive before are kept for it)
 *   --hold           after the script, keep reading and logging until SIGINT
 *                    or SIGTERM: the device stays attached, so the local
 *                    kernel's late packets still reach the wire
 *
 * The log's first line is "ready ..." once the device is attached; then one
 * line per packet:
 *   0.012345 in  10.77.0.1:41234 > 10.77.0.2:80 SYN seq=123 ack=0 len=0 win=64240 mss=1460 (rel 0/0)
 * ("in" = from the local kernel, "out" = written by tunpeer; seq and ack
 * absolute, rel = relative to the sender's and the receiver's ISN), "step N:
 * TEXT" per script line, "done" at its end or "FAIL line N: ..." (also on
 * standard error, exit status 1).
 *
 * Script: one command per line, '#' starts a comment. DUR is 200ms, 1.5s, 2s.
 * Sequence numbers are relative: seq= to the sender's ISN, ack= to the
 * receiver's (so "ack=1" acknowledges a SYN).
 *
 *   peer server|client [sport=N]  who opens (default server: the peer answers
 *                                 on --port; client: the peer connects from
 *                                 sport, default 40000, to --port)
 *   isn N                         the peer's initial sequence number (default 1000000)
 *   window N                      default window field of segments sent (65535)
 *   timeout DUR                   default time an expect waits (3s)
 *   ts on|off                     add a timestamp option to every segment sent
 *   new [sport=N] [isn=N]         a new connection: forget the local end's
 *                                 port and ISN and all sequence state (a
 *                                 learned Fast Open cookie is kept)
 *   expect FLAGS [checks] [drop] [timeout=DUR]
 *                                 the next segment from the local end must
 *                                 have exactly FLAGS ("SYN,ACK", "FIN,ACK",
 *                                 alternatives with '|': "ACK|PSH,ACK");
 *                                 checks: seq=N ack=N len=N win=N mss=N ws=N
 *                                 sackok ts tfo (option present) tfo-len=N;
 *                                 drop: behave as if it was lost (not
 *                                 acknowledged, not SACKed)
 *   await FLAGS [checks] [drop] [timeout=DUR]
 *                                 the same, skipping (and taking in) segments
 *                                 that do not match
 *   quiet DUR                     nothing may arrive for DUR
 *   sleep DUR                     wait; what arrives meanwhile is kept
 *   send FLAGS [seq=N] [ack=N] [len=N] [win=N] [mss=N] [ws=N] [sackok]
 *        [sack=auto|L-R[,L-R...]] [ts|ts=VAL/ECR] [tfo|tfo=HEX|tfo=cookie]
 *                                 one segment; seq and ack default to what
 *                                 the peer sent and received so far; sack
 *                                 blocks are relative to the local ISN, auto
 *                                 = the out-of-order data the peer holds;
 *                                 tfo = a Fast Open option (kind 34): empty (a
 *                                 cookie request), those bytes, or the
 *                                 cookie the local end gave the peer
 *   ack-until SEQ [timeout=DUR]   take what arrives, acknowledging each segment
 *                                 that carries data, until everything below
 *                                 SEQ (relative) has arrived in order (how
 *                                 the kernel cuts it up is its own business)
 *   dupack N [sack]               N duplicate ACKs of what arrived in order,
 *                                 with SACK blocks of what arrived out of order
 *   send ICMP port-unreachable|host-unreachable|net-unreachable|frag-needed [mtu=N]
 *                                 an ICMP (ICMPv6) error about the last
 *                                 segment that arrived, from the peer's address
 *   flood N [sport=P] [mss=N]     N SYNs from ports P.. P+N-1 (default 30000)
 *                                 to --port, each with its own ISN, reading the
 *                                 answers as they come; logs a summary line
 *                                 "flood: N SYN sent, A SYN,ACK, R RST, O other"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define MAX_PKT 65536
#define KEEP_BYTES 1500        /* of a received packet: enough to quote in ICMP */
#define RXQ_LEN 8192           /* received packets waiting for the script */
#define MAX_OOO 4              /* out-of-order blocks the peer remembers */
#define MAX_COOKIE 16
#define MAX_WORDS 24
#define DEFAULT_ISN 1000000u
#define DEFAULT_SPORT 40000
#define DEFAULT_FLOOD_SPORT 30000
#define DEFAULT_TIMEOUT_MS 3000
#define DEFAULT_WINDOW 65535
#define FLOOD_SETTLE_MS 300    /* after the last SYN, how long answers are awaited */

struct ip_addr {
	int af;
	uint8_t b[16];
};

struct tcp_opts {
	int mss;                /* -1: absent */
	int ws;                 /* -1: absent */
	bool sack_perm;
	int nsack;
	uint32_t sack[4][2];    /* absolute left, right */
	bool ts;
	uint32_t tsval, tsecr;
	bool tfo;
	int tfo_len;
	uint8_t tfo_cookie[MAX_COOKIE];
};

/* A TCP segment as it was on the wire (numbers absolute). */
struct seg {
	struct ip_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint32_t len;
	struct tcp_opts opts;
};

/* A packet read from the device, kept until the script takes it. */
struct rx_pkt {
	bool is_tcp;
	struct seg seg;
	size_t len;             /* bytes kept in data */
	uint8_t data[KEEP_BYTES];
};

struct block {
	uint32_t left, right;   /* relative to the local ISN */
};

/* One conversation, as the peer sees it. Relative numbers: the peer's from
 * its ISN, the local end's from the local ISN. */
struct conn {
	uint16_t peer_port, local_port;   /* 0: not known yet */
	uint32_t isn;
	uint32_t snd_nxt;                  /* relative to isn */
	bool have_local_isn;
	uint32_t local_isn;
	uint32_t rcv_nxt;                  /* relative to local_isn */
	struct block ooo[MAX_OOO];         /* most recent first */
	int nooo;
	uint32_t ts_recent;
};

struct peer {
	int tun;
	struct ip_addr local, remote;
	uint16_t port;
	bool peer_is_client;
	struct conn c;
	uint8_t cookie[MAX_COOKIE];
	int cookie_len;
	int timeout_ms;
	uint16_t window;
	bool ts_always;
	uint16_t ip_id;
	struct timespec t0;
	FILE *log;
	int line;                          /* script line being run */
	struct rx_pkt *rxq;                /* ring of RXQ_LEN */
	unsigned int rxq_head, rxq_count;
	struct rx_pkt last_rx;             /* the last packet the script took */
	bool have_last_rx;
};

static volatile sig_atomic_t stop_requested;
static struct peer *fail_peer; /* for fail(): where to log */
static bool hold_mode;         /* --hold: stay attached, even after a failure */

static void hold_until_signal(struct peer *p);

/* ---- messages ---- */

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fail_peer && fail_peer->line > 0) {
		fprintf(stderr, "tunpeer: line %d: %s\n", fail_peer->line, msg);
		if (fail_peer->log) {
			fprintf(fail_peer->log, "FAIL line %d: %s\n", fail_peer->line, msg);
			fflush(fail_peer->log);
		}
	} else {
		fprintf(stderr, "tunpeer: %s\n", msg);
	}
	/* Detached, the device would lose its carrier and the local kernel's
	 * next packets would vanish before the capture: stay until told. */
	if (hold_mode && fail_peer && fail_peer->tun >= 0) {
		hold_mode = false; /* a failure while holding ends it */
		hold_until_signal(fail_peer);
	}
	exit(1);
}

static double now_s(const struct peer *p)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) / 1e9;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 2, 3))) log_line(struct peer *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->log, "%.6f ", now_s(p));
	va_start(ap, fmt);
	vfprintf(p->log, fmt, ap);
	va_end(ap);
	fputc('\n', p->log);
	fflush(p->log);
}

/* ---- parsing words ---- */

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > 0xffffffffull || s[0] == '-')
		return false;
	*out = (uint32_t)v;
	return true;
}

static uint32_t word_u32(const char *what, const char *s, uint32_t max)
{
	uint32_t v;

	if (*s == '+')
		s++;
	if (!parse_u32(s, &v) || v > max)
		fail("%s: '%s' is not a number from 0 to %u", what, s, max);
	return v;
}

/* "200ms", "1.5s", "2s" -> milliseconds */
static int parse_duration_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		fail("'%s' is not a duration (200ms, 1.5s)", s);
	if (strcmp(end, "ms") == 0)
		return (int)v;
	if (strcmp(end, "s") == 0)
		return (int)(v * 1000);
	fail("'%s' is not a duration (200ms, 1.5s)", s);
}

static const char *flag_names[8] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" };

/* "SYN,ACK" -> bits; unknown names fail */
static uint8_t parse_flags(const char *s)
{
	char buf[64], *tok, *save;
	uint8_t f = 0;

	if (strlen(s) >= sizeof(buf))
		fail("flags '%s' too long", s);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < 8 && strcmp(tok, flag_names[i]) != 0; i++)
			;
		if (i == 8)
			fail("unknown TCP flag '%s' in '%s'", tok, s);
		f |= (uint8_t)(1u << i);
	}
	return f;
}

static const char *flags_text(uint8_t f, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < 8; i++) {
		if (!(f & (1u << i)))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", flag_names[i]);
	}
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

/* "key=value": the value if word starts with key=, else NULL */
static const char *word_value(const char *word, const char *key)
{
	size_t n = strlen(key);

	return strncmp(word, key, n) == 0 && word[n] == '=' ? word + n + 1 : NULL;
}

static int hex_bytes(const char *s, uint8_t *out, int max)
{
	int n = 0;

	if (strlen(s) % 2)
		fail("'%s': an even number of hex digits", s);
	for (; *s; s += 2) {
		unsigned int b;

		if (n == max || sscanf(s, "%2x", &b) != 1)
			fail("'%s': at most %d bytes of hex", s, max);
		out[n++] = (uint8_t)b;
	}
	return n;
}

/* ---- addresses ---- */

static void addr_parse(const char *s, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1)
		a->af = AF_INET;
	else if (inet_pton(AF_INET6, s, a->b) == 1)
		a->af = AF_INET6;
	else
		fail("'%s' is not an IPv4 or IPv6 address", s);
}

static bool addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->af == b->af && memcmp(a->b, b->b, a->af == AF_INET ? 4 : 16) == 0;
}

static const char *endpoint_text(const struct ip_addr *a, uint16_t port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->af, a->b, ip, sizeof(ip));
	snprintf(buf, len, a->af == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
	return buf;
}

/* ---- checksums ---- */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The transport checksum over the IPv4 or IPv6 pseudo-header. */
static uint16_t l4_checksum(const struct ip_addr *src, const struct ip_addr *dst, uint8_t proto,
			    const uint8_t *l4, size_t len)
{
	size_t alen = src->af == AF_INET ? 4 : 16;
	uint8_t tail[8] = { 0 };
	uint32_t sum = 0;

	sum = csum_add(sum, src->b, alen);
	sum = csum_add(sum, dst->b, alen);
	if (src->af == AF_INET) {
		tail[1] = proto;
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		sum = csum_add(sum, tail, 4);
	} else {
		tail[0] = (uint8_t)(len >> 24);
		tail[1] = (uint8_t)(len >> 16);
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		tail[7] = proto;
		sum = csum_add(sum, tail, 8);
	}
	return csum_fold(csum_add(sum, l4, len));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* ---- IP headers ---- */

/* Writes an IPv4 or IPv6 header for a payload of len bytes; returns its size. */
static size_t ip_header(struct peer *p, uint8_t *buf, const struct ip_addr *src,
			const struct ip_addr *dst, uint8_t proto, size_t len)
{
	if (src->af == AF_INET) {
		memset(buf, 0, 20);
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(20 + len));
		put16(buf + 4, p->ip_id++);
		put16(buf + 6, 0x4000); /* DF, as Linux sends TCP */
		buf[8] = 64;
		buf[9] = proto;
		memcpy(buf + 12, src->b, 4);
		memcpy(buf + 16, dst->b, 4);
		put16(buf + 10, csum_fold(csum_add(0, buf, 20)));
		return 20;
	}
	memset(buf, 0, 40);
	buf[0] = 0x60;
	put16(buf + 4, (uint16_t)len);
	buf[6] = proto;
	buf[7] = 64;
	memcpy(buf + 8, src->b, 16);
	memcpy(buf + 24, dst->b, 16);
	return 40;
}

/* ---- TCP options ---- */

static void opts_clear(struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mss = -1;
	o->ws = -1;
}

/* Encodes the options the way Linux lays them out, padded to 4 bytes. */
static size_t opts_encode(const struct tcp_opts *o, uint8_t *b)
{
	size_t n = 0;
	int i;

	if (o->mss >= 0) {
		b[n++] = 2, b[n++] = 4;
		put16(b + n, (uint16_t)o->mss), n += 2;
	}
	if (o->sack_perm && o->ts) {
		b[n++] = 4, b[n++] = 2;
	} else if (o->sack_perm) {
		b[n++] = 1, b[n++] = 1, b[n++] = 4, b[n++] = 2;
	} else if (o->ts) {
		b[n++] = 1, b[n++] = 1;
	}
	if (o->ts) {
		b[n++] = 8, b[n++] = 10;
		put32(b + n, o->tsval), n += 4;
		put32(b + n, o->tsecr), n += 4;
	}
	if (o->ws >= 0) {
		b[n++] = 1, b[n++] = 3, b[n++] = 3, b[n++] = (uint8_t)o->ws;
	}
	if (o->nsack) {
		b[n++] = 1, b[n++] = 1, b[n++] = 5, b[n++] = (uint8_t)(2 + 8 * o->nsack);
		for (i = 0; i < o->nsack; i++) {
			put32(b + n, o->sack[i][0]), n += 4;
			put32(b + n, o->sack[i][1]), n += 4;
		}
	}
	if (o->tfo) {
		b[n++] = 34, b[n++] = (uint8_t)(2 + o->tfo_len);
		memcpy(b + n, o->tfo_cookie, (size_t)o->tfo_len), n += (size_t)o->tfo_len;
	}
	while (n % 4)
		b[n++] = 1;
	if (n > 40)
		fail("TCP options take %zu bytes, more than the 40 a header holds", n);
	return n;
}

static void opts_parse(const uint8_t *b, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	opts_clear(o);
	while (i < len) {
		uint8_t kind = b[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = b[i + 1]) < 2 || i + olen > len)
			break;
		if (kind == 2 && olen == 4)
			o->mss = get16(b + i + 2);
		else if (kind == 3 && olen == 3)
			o->ws = b[i + 2];
		else if (kind == 4 && olen == 2)
			o->sack_perm = true;
		else if (kind == 5 && olen >= 10) {
			for (o->nsack = 0; o->nsack < 4 && 2 + 8 * (o->nsack + 1) <= olen; o->nsack++) {
				o->sack[o->nsack][0] = get32(b + i + 2 + 8 * o->nsack);
				o->sack[o->nsack][1] = get32(b + i + 6 + 8 * o->nsack);
			}
		} else if (kind == 8 && olen == 10) {
			o->ts = true;
			o->tsval = get32(b + i + 2);
			o->tsecr = get32(b + i + 6);
		} else if (kind == 34 && olen - 2 <= MAX_COOKIE) {
			o->tfo = true;
			o->tfo_len = olen - 2;
			memcpy(o->tfo_cookie, b + i + 2, (size_t)o->tfo_len);
		}
		i += olen;
	}
}

static void opts_text(const struct tcp_opts *o, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
#define ADD(...) (n += (size_t)snprintf(buf + n, len > n ? len - n : 0, __VA_ARGS__))
	if (o->mss >= 0)
		ADD(" mss=%d", o->mss);
	if (o->ws >= 0)
		ADD(" ws=%d", o->ws);
	if (o->sack_perm)
		ADD(" sackok");
	if (o->ts)
		ADD(" ts=%u/%u", o->tsval, o->tsecr);
	for (i = 0; i < o->nsack; i++)
		ADD("%s%u-%u", i ? "," : " sack=", o->sack[i][0], o->sack[i][1]);
	if (o->tfo) {
		ADD(" tfo=");
		for (i = 0; i < o->tfo_len; i++)
			ADD("%02x", o->tfo_cookie[i]);
		if (!o->tfo_len)
			ADD("request");
	}
#undef ADD
}

/* ---- logging packets ---- */

/* Relative numbers of a segment: its seq from its sender's ISN, its ack from
 * the receiver's, when known. */
static void log_segment(struct peer *p, const char *dir, const struct seg *s)
{
	char src[64], dst[64], fl[48], opts[256], rel[64];
	bool in = dir[0] == 'i';
	const struct conn *c = &p->c;
	bool ours = in ? s->dport == c->peer_port && (!c->local_port || s->sport == c->local_port)
		       : true;

	rel[0] = 0;
	if (ours && c->have_local_isn) {
		uint32_t rseq = in ? s->seq - c->local_isn : s->seq - c->isn;
		uint32_t rack = in ? s->ack - c->isn : s->ack - c->local_isn;

		if (s->flags & TH_ACK)
			snprintf(rel, sizeof(rel), " (rel %u/%u)", rseq, rack);
		else
			snprintf(rel, sizeof(rel), " (rel %u)", rseq);
	}
	opts_text(&s->opts, opts, sizeof(opts));
	log_line(p, "%-3s %s > %s %s seq=%u ack=%u len=%u win=%u%s%s", dir,
		 endpoint_text(&s->src, s->sport, src, sizeof(src)),
		 endpoint_text(&s->dst, s->dport, dst, sizeof(dst)),
		 flags_text(s->flags, fl, sizeof(fl)), s->seq, s->ack, s->len, s->win, opts, rel);
}

/* ---- the device ---- */

static int tun_attach(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (strlen(name) >= IFNAMSIZ)
		fail("device name '%s' too long", name);
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		fail("TUNSETIFF %s: %s", name, strerror(errno));
	return fd;
}

static void tun_write(struct peer *p, const uint8_t *pkt, size_t len)
{
	ssize_t n = write(p->tun, pkt, len);

	if (n < 0)
		fail("write to the tun device: %s", strerror(errno));
	if ((size_t)n != len)
		fail("short write to the tun device: %zd of %zu bytes", n, len);
}

/* ---- reading packets ---- */

/* Parses an IP packet from the local kernel. Returns false for anything that
 * is not a TCP segment from the local address to the peer's. */
static bool parse_tcp_packet(const struct peer *p, const uint8_t *b, size_t len, struct seg *s)
{
	size_t ihl, total, thl;
	uint8_t proto;
	const uint8_t *th;

	memset(s, 0, sizeof(*s));
	if (len < 20)
		return false;
	if ((b[0] >> 4) == 4) {
		ihl = (size_t)(b[0] & 15) * 4;
		total = get16(b + 2);
		proto = b[9];
		s->src.af = s->dst.af = AF_INET;
		memcpy(s->src.b, b + 12, 4);
		memcpy(s->dst.b, b + 16, 4);
	} else if ((b[0] >> 4) == 6 && len >= 40) {
		ihl = 40;
		total = 40 + (size_t)get16(b + 4);
		proto = b[6];  /* extension headers: not from a plain TCP socket */
		s->src.af = s->dst.af = AF_INET6;
		memcpy(s->src.b, b + 8, 16);
		memcpy(s->dst.b, b + 24, 16);
	} else {
		return false;
	}
	if (proto != IPPROTO_TCP || total > len || ihl + 20 > total)
		return false;
	if (!addr_eq(&s->src, &p->local) || !addr_eq(&s->dst, &p->remote))
		return false;
	th = b + ihl;
	thl = (size_t)(th[12] >> 4) * 4;
	if (thl < 20 || ihl + thl > total)
		return false;
	s->sport = get16(th);
	s->dport = get16(th + 2);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	s->flags = th[13];
	s->win = get16(th + 14);
	s->len = (uint32_t)(total - ihl - thl);
	opts_parse(th + 20, thl - 20, &s->opts);
	return true;
}

static void log_other(struct peer *p, const uint8_t *b, size_t len)
{
	int v = len ? b[0] >> 4 : 0;
	int proto = v == 4 && len >= 20 ? b[9] : v == 6 && len >= 40 ? b[6] : -1;

	log_line(p, "in  other ipv%d proto=%d len=%zu", v, proto, len);
}

/* Reads one packet if one is ready within timeout_ms (-1: none waiting).
 * TCP segments are logged and queued; other packets only logged. Returns
 * true when a packet was read. */
static bool read_one(struct peer *p, int timeout_ms)
{
	static uint8_t buf[MAX_PKT];
	struct pollfd pfd = { .fd = p->tun, .events = POLLIN };
	struct rx_pkt *r;
	ssize_t n;
	int rc = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);

	if (rc < 0 && errno == EINTR)
		return false;
	if (rc < 0)
		fail("poll: %s", strerror(errno));
	if (rc == 0)
		return false;
	n = read(p->tun, buf, sizeof(buf));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return false;
		fail("read from the tun device: %s", strerror(errno));
	}
	if (p->rxq_count == RXQ_LEN)
		fail("more than %d packets waiting for the script", RXQ_LEN);
	r = &p->rxq[(p->rxq_head + p->rxq_count) % RXQ_LEN];
	r->is_tcp = parse_tcp_packet(p, buf, (size_t)n, &r->seg);
	if (!r->is_tcp) {
		log_other(p, buf, (size_t)n);
		return true;
	}
	r->len = (size_t)n < KEEP_BYTES ? (size_t)n : KEEP_BYTES;
	memcpy(r->data, buf, r->len);
	p->rxq_count++;
	log_segment(p, "in", &r->seg);
	return true;
}

/* Reads whatever arrives until deadline (ms, now_ms clock). */
static void pump_until(struct peer *p, long long deadline)
{
	long long left;

	while (!stop_requested && (left = deadline - now_ms()) > 0)
		read_one(p, (int)left);
}

/* The next queued TCP segment, waiting until deadline; NULL if none came. */
static struct rx_pkt *next_segment(struct peer *p, long long deadline)
{
	struct rx_pkt *r;

	while (!p->rxq_count) {
		long long left = deadline - now_ms();

		if (left <= 0 || stop_requested)
			return NULL;
		read_one(p, (int)left);
	}
	r = &p->rxq[p->rxq_head];
	p->rxq_head = (p->rxq_head + 1) % RXQ_LEN;
	p->rxq_count--;
	return r;
}

/* ---- the conversation's state ---- */

static bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static void conn_reset(struct conn *c, uint16_t peer_port, uint16_t local_port, uint32_t isn)
{
	memset(c, 0, sizeof(*c));
	c->peer_port = peer_port;
	c->local_port = local_port;
	c->isn = isn;
}

/* Data that arrived above rcv_nxt: remembered as a SACK block, most recent
 * first, merged with the blocks it touches. */
static void ooo_add(struct conn *c, uint32_t left, uint32_t right)
{
	struct block b = { left, right };
	int i, j;

	for (i = 0; i < c->nooo;) {
		struct block *o = &c->ooo[i];

		if (!seq_before(o->right, b.left) && !seq_before(b.right, o->left)) {
			if (seq_before(o->left, b.left))
				b.left = o->left;
			if (seq_before(b.right, o->right))
				b.right = o->right;
			for (j = i; j + 1 < c->nooo; j++)
				c->ooo[j] = c->ooo[j + 1];
			c->nooo--;
		} else {
			i++;
		}
	}
	if (c->nooo == MAX_OOO)
		c->nooo--;
	memmove(c->ooo + 1, c->ooo, sizeof(c->ooo[0]) * (size_t)c->nooo);
	c->ooo[0] = b;
	c->nooo++;
}

/* rcv_nxt moved: blocks it reached are in order now. */
static void ooo_fill(struct conn *c)
{
	bool moved = true;
	int i, j;

	while (moved) {
		moved = false;
		for (i = 0; i < c->nooo; i++) {
			if (seq_before(c->rcv_nxt, c->ooo[i].left))
				continue;
			if (seq_before(c->rcv_nxt, c->ooo[i].right))
				c->rcv_nxt = c->ooo[i].right;
			for (j = i; j + 1 < c->nooo; j++)
				c->ooo[j] = c->ooo[j + 1];
			c->nooo--;
			moved = true;
			break;
		}
	}
}

static void learn_cookie(struct peer *p, const struct seg *s)
{
	if (!s->opts.tfo || !s->opts.tfo_len || !(s->flags & TH_SYN))
		return;
	memcpy(p->cookie, s->opts.tfo_cookie, (size_t)s->opts.tfo_len);
	p->cookie_len = s->opts.tfo_len;
}

/* What the peer learns from a segment it took; a dropped one teaches only
 * the ports and the ISN (a SYN must be known to number anything). */
static void conn_take(struct peer *p, const struct seg *s, bool drop)
{
	struct conn *c = &p->c;
	uint32_t start, end;

	if (!c->local_port)
		c->local_port = s->sport;
	if ((s->flags & TH_SYN) && !c->have_local_isn) {
		c->have_local_isn = true;
		c->local_isn = s->seq;
	}
	learn_cookie(p, s);
	if (drop || !c->have_local_isn)
		return;
	if (s->opts.ts)
		c->ts_recent = s->opts.tsval;
	start = s->seq - c->local_isn + ((s->flags & TH_SYN) ? 1 : 0);
	end = start + s->len;
	if (!seq_before(c->rcv_nxt, start) || ((s->flags & TH_SYN) && !c->rcv_nxt)) {
		if (seq_before(c->rcv_nxt, end + ((s->flags & TH_FIN) ? 1 : 0)))
			c->rcv_nxt = end + ((s->flags & TH_FIN) ? 1 : 0);
		ooo_fill(c);
	} else if (s->len) {
		ooo_add(c, start, end);
	}
}

/* ---- sending ---- */

/* Writes one segment from the peer; numbers are absolute. */
static void send_segment(struct peer *p, const struct seg *s)
{
	static uint8_t pkt[MAX_PKT];
	uint8_t th[60];
	size_t olen, thl, ihl;

	memset(th, 0, sizeof(th));
	olen = opts_encode(&s->opts, th + 20);
	thl = 20 + olen;
	if (s->len > 1500)
		fail("len=%u: more than one 1500-byte packet", s->len);
	put16(th, s->sport);
	put16(th + 2, s->dport);
	put32(th + 4, s->seq);
	put32(th + 8, s->ack);
	th[12] = (uint8_t)(thl / 4 << 4);
	th[13] = s->flags;
	put16(th + 14, s->win);
	ihl = ip_header(p, pkt, &s->src, &s->dst, IPPROTO_TCP, thl + s->len);
	memcpy(pkt + ihl, th, thl);
	memset(pkt + ihl + thl, 'x', s->len);
	put16(pkt + ihl + 16, l4_checksum(&s->src, &s->dst, IPPROTO_TCP, pkt + ihl, thl + s->len));
	tun_write(p, pkt, ihl + thl + s->len);
	log_segment(p, "out", s);
}

/* A segment of the current conversation with the default numbers: the
 * peer's next sequence number and, with ACK, everything received in order. */
static void seg_default(struct peer *p, struct seg *s, uint8_t flags)
{
	struct conn *c = &p->c;

	memset(s, 0, sizeof(*s));
	opts_clear(&s->opts);
	s->src = p->remote;
	s->dst = p->local;
	s->sport = c->peer_port;
	s->dport = c->local_port;
	s->flags = flags;
	s->seq = c->isn + c->snd_nxt;
	s->ack = (flags & TH_ACK) ? c->local_isn + c->rcv_nxt : 0;
	s->win = p->window;
	if (p->ts_always) {
		s->opts.ts = true;
		s->opts.tsval = (uint32_t)now_ms();
		s->opts.tsecr = c->ts_recent;
	}
}

static void sack_auto(const struct conn *c, struct tcp_opts *o)
{
	int i;

	o->nsack = c->nooo > 3 ? 3 : c->nooo; /* room beside timestamps */
	for (i = 0; i < o->nsack; i++) {
		o->sack[i][0] = c->local_isn + c->ooo[i].left;
		o->sack[i][1] = c->local_isn + c->ooo[i].right;
	}
}

/* "L-R,L-R" relative to the local ISN */
static void sack_parse(const struct conn *c, const char *s, struct tcp_opts *o)
{
	char buf[128], *tok, *save;

	if (strlen(s) >= sizeof(buf))
		fail("sack=%s: too long", s);
	strcpy(buf, s);
	o->nsack = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');

		if (!dash || o->nsack == 4)
			fail("sack=%s: want up to 4 blocks LEFT-RIGHT", s);
		*dash = 0;
		o->sack[o->nsack][0] = c->local_isn + word_u32("sack", tok, UINT32_MAX);
		o->sack[o->nsack][1] = c->local_isn + word_u32("sack", dash + 1, UINT32_MAX);
		o->nsack++;
	}
}

static void tfo_option(struct peer *p, const char *v, struct tcp_opts *o)
{
	o->tfo = true;
	if (!v) {
		o->tfo_len = 0;
	} else if (strcmp(v, "cookie") == 0) {
		if (!p->cookie_len)
			fail("tfo=cookie: the local end gave no Fast Open cookie");
		o->tfo_len = p->cookie_len;
		memcpy(o->tfo_cookie, p->cookie, (size_t)p->cookie_len);
	} else {
		o->tfo_len = hex_bytes(v, o->tfo_cookie, MAX_COOKIE);
	}
}

/* Applies one "key=value" or option word of a send line to s. */
static void send_word(struct peer *p, struct seg *s, const char *w)
{
	struct conn *c = &p->c;
	const char *v;

	if ((v = word_value(w, "seq"))) {
		s->seq = c->isn + word_u32("seq", v, UINT32_MAX);
	} else if ((v = word_value(w, "ack"))) {
		s->ack = c->local_isn + word_u32("ack", v, UINT32_MAX);
	} else if ((v = word_value(w, "len"))) {
		s->len = word_u32("len", v, 1500);
	} else if ((v = word_value(w, "win"))) {
		s->win = (uint16_t)word_u32("win", v, 65535);
	} else if ((v = word_value(w, "mss"))) {
		s->opts.mss = (int)word_u32("mss", v, 65535);
	} else if ((v = word_value(w, "ws"))) {
		s->opts.ws = (int)word_u32("ws", v, 14);
	} else if (strcmp(w, "sackok") == 0) {
		s->opts.sack_perm = true;
	} else if ((v = word_value(w, "sack"))) {
		if (strcmp(v, "auto") == 0)
			sack_auto(c, &s->opts);
		else
			sack_parse(c, v, &s->opts);
	} else if (strcmp(w, "ts") == 0) {
		s->opts.ts = true;
		s->opts.tsval = (uint32_t)now_ms();
		s->opts.tsecr = c->ts_recent;
	} else if ((v = word_value(w, "ts"))) {
		s->opts.ts = true;
		if (sscanf(v, "%u/%u", &s->opts.tsval, &s->opts.tsecr) != 2)
			fail("ts=%s: want VAL/ECR", v);
	} else if (strcmp(w, "tfo") == 0 || (v = word_value(w, "tfo"))) {
		tfo_option(p, strcmp(w, "tfo") == 0 ? NULL : v, &s->opts);
	} else {
		fail("send: unknown word '%s'", w);
	}
}

/* The peer's next sequence number after sending s. */
static void advance_snd_nxt(struct conn *c, const struct seg *s)
{
	uint32_t end = s->seq - c->isn + s->len + ((s->flags & TH_SYN) ? 1 : 0) +
		       ((s->flags & TH_FIN) ? 1 : 0);

	if (s->flags & TH_RST)
		return;
	if (seq_before(c->snd_nxt, end))
		c->snd_nxt = end;
}

static void cmd_send_tcp(struct peer *p, char **w, int n)
{
	struct seg s;
	int i;

	if (!p->c.local_port)
		fail("send: the local end's port is not known yet (no segment from it)");
	seg_default(p, &s, parse_flags(w[1]));
	for (i = 2; i < n; i++)
		send_word(p, &s, w[i]);
	send_segment(p, &s);
	advance_snd_nxt(&p->c, &s);
}

/* ---- ICMP ---- */

struct icmp_kind {
	const char *name;
	uint8_t type4, code4, type6, code6;
};

static const struct icmp_kind icmp_kinds[] = {
	{ "port-unreachable", 3, 3, 1, 4 },
	{ "host-unreachable", 3, 1, 1, 3 },
	{ "net-unreachable", 3, 0, 1, 0 },
	{ "frag-needed", 3, 4, 2, 0 }, /* ICMPv6: packet too big */
};

static void cmd_send_icmp(struct peer *p, char **w, int n)
{
	static uint8_t pkt[MAX_PKT];
	const struct icmp_kind *k = NULL;
	uint8_t *icmp;
	uint32_t mtu = 1280;
	size_t quote, ihl, i;
	bool v6 = p->local.af == AF_INET6;

	if (n < 3)
		fail("send ICMP: which one? port-unreachable, host-unreachable, ...");
	for (i = 0; i < sizeof(icmp_kinds) / sizeof(icmp_kinds[0]); i++)
		if (strcmp(w[2], icmp_kinds[i].name) == 0)
			k = &icmp_kinds[i];
	if (!k)
		fail("send ICMP: unknown kind '%s'", w[2]);
	for (i = 3; i < (size_t)n; i++) {
		const char *v = word_value(w[i], "mtu");

		if (!v)
			fail("send ICMP: unknown word '%s'", w[i]);
		mtu = word_u32("mtu", v, 65535);
	}
	if (!p->have_last_rx)
		fail("send ICMP: no segment has arrived to answer");
	/* as much of the offending packet as a minimal-MTU error can carry */
	quote = p->last_rx.len < (v6 ? 1232u : 548u) ? p->last_rx.len : (v6 ? 1232u : 548u);
	ihl = ip_header(p, pkt, &p->remote, &p->local, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, 8 + quote);
	icmp = pkt + ihl;
	memset(icmp, 0, 8);
	icmp[0] = v6 ? k->type6 : k->type4;
	icmp[1] = v6 ? k->code6 : k->code4;
	if (strcmp(k->name, "frag-needed") == 0) {
		if (v6)
			put32(icmp + 4, mtu);
		else
			put16(icmp + 6, (uint16_t)mtu);
	}
	memcpy(icmp + 8, p->last_rx.data, quote);
	if (v6)
		put16(icmp + 2, l4_checksum(&p->remote, &p->local, IPPROTO_ICMPV6, icmp, 8 + quote));
	else
		put16(icmp + 2, csum_fold(csum_add(0, icmp, 8 + quote)));
	tun_write(p, pkt, ihl + 8 + quote);
	log_line(p, "out ICMP%s %s type=%u code=%u quoting %zu bytes", v6 ? "v6" : "", k->name,
		 icmp[0], icmp[1], quote);
}

/* ---- expect ---- */

struct expectation {
	char flags_alt[8];       /* accepted flag sets */
	int nalt;
	bool check_seq, check_ack, check_len, check_win, check_mss, check_ws;
	uint32_t seq, ack, len, win, mss, ws;
	bool sackok, ts, tfo, check_tfo_len;
	int tfo_len;
	bool drop;
	int timeout_ms;
};

static void expectation_parse(struct peer *p, struct expectation *e, char **w, int n)
{
	char buf[128], *tok, *save;
	const char *v;
	int i;

	memset(e, 0, sizeof(*e));
	e->timeout_ms = p->timeout_ms;
	if (n < 2)
		fail("%s: which flags?", w[0]);
	if (strlen(w[1]) >= sizeof(buf))
		fail("flags '%s' too long", w[1]);
	strcpy(buf, w[1]);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		if (e->nalt == 8)
			fail("%s: at most 8 alternatives", w[0]);
		e->flags_alt[e->nalt++] = (char)parse_flags(tok);
	}
	for (i = 2; i < n; i++) {
		if ((v = word_value(w[i], "seq")))
			e->check_seq = true, e->seq = word_u32("seq", v, UINT32_MAX);
		else if ((v = word_value(w[i], "ack")))
			e->check_ack = true, e->ack = word_u32("ack", v, UINT32_MAX);
		else if ((v = word_value(w[i], "len")))
			e->check_len = true, e->len = word_u32("len", v, UINT32_MAX);
		else if ((v = word_value(w[i], "win")))
			e->check_win = true, e->win = word_u32("win", v, 65535);
		else if ((v = word_value(w[i], "mss")))
			e->check_mss = true, e->mss = word_u32("mss", v, 65535);
		else if ((v = word_value(w[i], "ws")))
			e->check_ws = true, e->ws = word_u32("ws", v, 14);
		else if ((v = word_value(w[i], "tfo-len")))
			e->tfo = e->check_tfo_len = true, e->tfo_len = (int)word_u32("tfo-len", v, MAX_COOKIE);
		else if ((v = word_value(w[i], "timeout")))
			e->timeout_ms = parse_duration_ms(v);
		else if (strcmp(w[i], "sackok") == 0)
			e->sackok = true;
		else if (strcmp(w[i], "ts") == 0)
			e->ts = true;
		else if (strcmp(w[i], "tfo") == 0)
			e->tfo = true;
		else if (strcmp(w[i], "drop") == 0)
			e->drop = true;
		else
			fail("%s: unknown word '%s'", w[0], w[i]);
	}
}

/* Why s does not meet e, in a few words; NULL when it does. Sequence
 * numbers are compared relative to the ISNs (a SYN sets the local one). */
static const char *expectation_miss(const struct peer *p, const struct expectation *e,
				    const struct seg *s, char *why, size_t len)
{
	const struct conn *c = &p->c;
	uint32_t local_isn = c->have_local_isn ? c->local_isn : s->seq;
	bool flags_ok = false;
	int i;

	for (i = 0; i < e->nalt; i++)
		flags_ok |= (uint8_t)e->flags_alt[i] == s->flags;
	if (!flags_ok)
		return snprintf(why, len, "other flags"), why;
	if (c->local_port && s->sport != c->local_port)
		return snprintf(why, len, "from port %u, not %u", s->sport, c->local_port), why;
	if (s->dport != c->peer_port)
		return snprintf(why, len, "to port %u, not %u", s->dport, c->peer_port), why;
	if (e->check_seq && s->seq - local_isn != e->seq)
		return snprintf(why, len, "seq %u, not %u", s->seq - local_isn, e->seq), why;
	if (e->check_ack && s->ack - c->isn != e->ack)
		return snprintf(why, len, "ack %u, not %u", s->ack - c->isn, e->ack), why;
	if (e->check_len && s->len != e->len)
		return snprintf(why, len, "len %u, not %u", s->len, e->len), why;
	if (e->check_win && s->win != e->win)
		return snprintf(why, len, "win %u, not %u", s->win, e->win), why;
	if (e->check_mss && s->opts.mss != (int)e->mss)
		return snprintf(why, len, "mss %d, not %u", s->opts.mss, e->mss), why;
	if (e->check_ws && s->opts.ws != (int)e->ws)
		return snprintf(why, len, "ws %d, not %u", s->opts.ws, e->ws), why;
	if (e->sackok && !s->opts.sack_perm)
		return snprintf(why, len, "no SACK-permitted option"), why;
	if (e->ts && !s->opts.ts)
		return snprintf(why, len, "no timestamp option"), why;
	if (e->tfo && !s->opts.tfo)
		return snprintf(why, len, "no Fast Open option"), why;
	if (e->check_tfo_len && s->opts.tfo_len != e->tfo_len)
		return snprintf(why, len, "Fast Open cookie of %d bytes, not %d", s->opts.tfo_len,
				e->tfo_len), why;
	return NULL;
}

static void seg_summary(const struct seg *s, char *buf, size_t len)
{
	char fl[48];

	snprintf(buf, len, "%s seq=%u ack=%u len=%u win=%u from port %u", flags_text(s->flags, fl,
		 sizeof(fl)), s->seq, s->ack, s->len, s->win, s->sport);
}

/* expect (strict) and await (skips what does not match). */
static void cmd_expect(struct peer *p, char **w, int n, bool skip)
{
	struct expectation e;
	long long deadline;
	char why[128], got[160];

	expectation_parse(p, &e, w, n);
	deadline = now_ms() + e.timeout_ms;
	for (;;) {
		struct rx_pkt *r = next_segment(p, deadline);

		if (!r)
			fail("%s %s: nothing arrived in %d ms", w[0], w[1], e.timeout_ms);
		if (!expectation_miss(p, &e, &r->seg, why, sizeof(why))) {
			conn_take(p, &r->seg, e.drop);
			p->last_rx = *r;
			p->have_last_rx = true;
			if (e.drop)
				log_line(p, "note: dropped seq=%u len=%u (taken as lost)", r->seg.seq,
					 r->seg.len);
			return;
		}
		if (!skip) {
			seg_summary(&r->seg, got, sizeof(got));
			fail("expect %s: got %s (%s)", w[1], got, why);
		}
		conn_take(p, &r->seg, false);
		p->last_rx = *r;
		p->have_last_rx = true;
	}
}

static void cmd_quiet(struct peer *p, char **w, int n)
{
	int ms;
	struct rx_pkt *r;
	char got[160];

	if (n != 2)
		fail("quiet DUR");
	ms = parse_duration_ms(w[1]);
	r = next_segment(p, now_ms() + ms);
	if (r) {
		seg_summary(&r->seg, got, sizeof(got));
		fail("quiet %s: got %s", w[1], got);
	}
}

static void cmd_ack_until(struct peer *p, char **w, int n)
{
	uint32_t want;
	int timeout_ms = p->timeout_ms, i;
	long long deadline;
	const char *v;

	if (n < 2)
		fail("ack-until SEQ [timeout=DUR]");
	want = word_u32("ack-until", w[1], UINT32_MAX);
	for (i = 2; i < n; i++) {
		if (!(v = word_value(w[i], "timeout")))
			fail("ack-until: unknown word '%s'", w[i]);
		timeout_ms = parse_duration_ms(v);
	}
	deadline = now_ms() + timeout_ms;
	while (seq_before(p->c.rcv_nxt, want)) {
		struct rx_pkt *r = next_segment(p, deadline);
		struct seg s;

		if (!r)
			fail("ack-until %u: only %u in order after %d ms", want, p->c.rcv_nxt, timeout_ms);
		conn_take(p, &r->seg, false);
		p->last_rx = *r;
		p->have_last_rx = true;
		if (!r->seg.len)
			continue;
		seg_default(p, &s, TH_ACK);
		send_segment(p, &s);
	}
}

static void cmd_dupack(struct peer *p, char **w, int n)
{
	uint32_t count, i;
	bool sack = n == 3 && strcmp(w[2], "sack") == 0;

	if (n < 2 || n > 3 || (n == 3 && !sack))
		fail("dupack N [sack]");
	count = word_u32("dupack", w[1], 100);
	for (i = 0; i < count; i++) {
		struct seg s;

		seg_default(p, &s, TH_ACK);
		if (sack)
			sack_auto(&p->c, &s.opts);
		send_segment(p, &s);
	}
}

/* ---- flood ---- */

struct flood_count {
	unsigned int synack, rst, other;
};

/* Takes in every queued segment a flood provoked. */
static void flood_tally(struct peer *p, struct flood_count *fc, uint16_t lo, uint16_t hi)
{
	while (p->rxq_count) {
		struct rx_pkt *r = &p->rxq[p->rxq_head];

		p->rxq_head = (p->rxq_head + 1) % RXQ_LEN;
		p->rxq_count--;
		if (r->seg.dport < lo || r->seg.dport > hi)
			fc->other++;
		else if (r->seg.flags == (TH_SYN | TH_ACK))
			fc->synack++;
		else if (r->seg.flags & TH_RST)
			fc->rst++;
		else
			fc->other++;
	}
}

static void cmd_flood(struct peer *p, char **w, int n)
{
	uint32_t count, sport = DEFAULT_FLOOD_SPORT, mss = 0, i;
	struct flood_count fc = { 0, 0, 0 };
	const char *v;
	int k;

	if (n < 2)
		fail("flood N [sport=P] [mss=N]");
	count = word_u32("flood", w[1], 30000);
	for (k = 2; k < n; k++) {
		if ((v = word_value(w[k], "sport")))
			sport = word_u32("sport", v, 65535);
		else if ((v = word_value(w[k], "mss")))
			mss = word_u32("mss", v, 65535);
		else
			fail("flood: unknown word '%s'", w[k]);
	}
	if (!count || sport + count - 1 > 65535)
		fail("flood: ports %u..%u do not fit", sport, sport + count - 1);
	for (i = 0; i < count; i++) {
		struct seg s;

		memset(&s, 0, sizeof(s));
		opts_clear(&s.opts);
		s.src = p->remote;
		s.dst = p->local;
		s.sport = (uint16_t)(sport + i);
		s.dport = p->port;
		s.flags = TH_SYN;
		s.seq = 0x20000000u + i * 7919u;
		s.win = p->window;
		if (mss)
			s.opts.mss = (int)mss;
		send_segment(p, &s);
		while (read_one(p, -1)) /* answers as they come: the queue stays short */
			;
		flood_tally(p, &fc, (uint16_t)sport, (uint16_t)(sport + count - 1));
	}
	pump_until(p, now_ms() + FLOOD_SETTLE_MS);
	flood_tally(p, &fc, (uint16_t)sport, (uint16_t)(sport + count - 1));
	log_line(p, "flood: %u SYN sent, %u SYN,ACK, %u RST, %u other", count, fc.synack, fc.rst,
		 fc.other);
}

/* ---- the script ---- */

static void cmd_peer(struct peer *p, char **w, int n)
{
	uint32_t sport = DEFAULT_SPORT;
	const char *v;

	if (n < 2 || (strcmp(w[1], "server") && strcmp(w[1], "client")))
		fail("peer server|client [sport=N]");
	if (n == 3 && (v = word_value(w[2], "sport")))
		sport = word_u32("sport", v, 65535);
	else if (n > 2)
		fail("peer: unknown word '%s'", w[2]);
	p->peer_is_client = strcmp(w[1], "client") == 0;
	if (p->peer_is_client)
		conn_reset(&p->c, (uint16_t)sport, p->port, p->c.isn);
	else
		conn_reset(&p->c, p->port, 0, p->c.isn);
}

static void cmd_new(struct peer *p, char **w, int n)
{
	uint32_t sport = p->c.peer_port, isn = p->c.isn;
	const char *v;
	int i;

	for (i = 1; i < n; i++) {
		if ((v = word_value(w[i], "sport")))
			sport = word_u32("sport", v, 65535);
		else if ((v = word_value(w[i], "isn")))
			isn = word_u32("isn", v, UINT32_MAX);
		else
			fail("new: unknown word '%s'", w[i]);
	}
	if (p->peer_is_client)
		conn_reset(&p->c, (uint16_t)sport, p->port, isn);
	else
		conn_reset(&p->c, p->port, 0, isn);
}

static void cmd_setting(struct peer *p, char **w, int n)
{
	if (n != 2)
		fail("%s: one value", w[0]);
	if (strcmp(w[0], "isn") == 0)
		p->c.isn = word_u32("isn", w[1], UINT32_MAX);
	else if (strcmp(w[0], "window") == 0)
		p->window = (uint16_t)word_u32("window", w[1], 65535);
	else if (strcmp(w[0], "timeout") == 0)
		p->timeout_ms = parse_duration_ms(w[1]);
	else if (strcmp(w[0], "ts") == 0 && (!strcmp(w[1], "on") || !strcmp(w[1], "off")))
		p->ts_always = strcmp(w[1], "on") == 0;
	else
		fail("%s: bad value '%s'", w[0], w[1]);
}

static void cmd_sleep(struct peer *p, char **w, int n)
{
	if (n != 2)
		fail("sleep DUR");
	pump_until(p, now_ms() + parse_duration_ms(w[1]));
}

static void run_command(struct peer *p, char **w, int n)
{
	const char *c = w[0];

	if (!strcmp(c, "expect") || !strcmp(c, "await"))
		cmd_expect(p, w, n, c[0] == 'a');
	else if (!strcmp(c, "send") && n >= 2 && !strcmp(w[1], "ICMP"))
		cmd_send_icmp(p, w, n);
	else if (!strcmp(c, "send") && n >= 2)
		cmd_send_tcp(p, w, n);
	else if (!strcmp(c, "sleep"))
		cmd_sleep(p, w, n);
	else if (!strcmp(c, "quiet"))
		cmd_quiet(p, w, n);
	else if (!strcmp(c, "ack-until"))
		cmd_ack_until(p, w, n);
	else if (!strcmp(c, "dupack"))
		cmd_dupack(p, w, n);
	else if (!strcmp(c, "flood"))
		cmd_flood(p, w, n);
	else if (!strcmp(c, "peer"))
		cmd_peer(p, w, n);
	else if (!strcmp(c, "new"))
		cmd_new(p, w, n);
	else if (!strcmp(c, "isn") || !strcmp(c, "window") || !strcmp(c, "timeout") ||
		 !strcmp(c, "ts"))
		cmd_setting(p, w, n);
	else
		fail("unknown command '%s'", c);
}

/* Splits a line into words; returns how many ('#' ends the line). */
static int split_words(char *line, char **w)
{
	char *hash = strchr(line, '#'), *save, *tok;
	int n = 0;

	if (hash)
		*hash = 0;
	for (tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_WORDS)
			fail("more than %d words on a line", MAX_WORDS);
		w[n++] = tok;
	}
	return n;
}

static void run_script(struct peer *p, FILE *f)
{
	char line[512], text[512], *w[MAX_WORDS];
	int n;

	while (fgets(line, sizeof(line), f)) {
		p->line++;
		snprintf(text, sizeof(text), "%s", line);
		text[strcspn(text, "\n")] = 0;
		n = split_words(line, w);
		if (!n)
			continue;
		log_line(p, "step %d: %s", p->line, text);
		run_command(p, w, n);
		if (stop_requested)
			fail("stopped by a signal");
	}
	p->line = 0;
	log_line(p, "done");
}

/* ---- main ---- */

/* Reads and logs what still arrives, taking nothing, until SIGINT/SIGTERM. */
static void hold_until_signal(struct peer *p)
{
	static uint8_t buf[MAX_PKT];
	struct pollfd pfd = { .fd = p->tun, .events = POLLIN };
	struct seg s;

	while (!stop_requested) {
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(p->tun, buf, sizeof(buf));
		if (n < 0)
			continue;
		if (parse_tcp_packet(p, buf, (size_t)n, &s))
			log_segment(p, "in", &s);
		else
			log_other(p, buf, (size_t)n);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void wait_go(struct peer *p, const char *go)
{
	struct stat st;
	long long deadline = now_ms() + 20000;

	while (stat(go, &st) < 0) {
		if (now_ms() > deadline || stop_requested)
			fail("%s did not appear within 20 s", go);
		pump_until(p, now_ms() + 10);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: tunpeer --dev NAME --local ADDR --peer ADDR --port N [--log FILE] "
			"[--go FILE] [--hold] SCRIPT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },  { "local", required_argument, NULL, 'l' },
		{ "peer", required_argument, NULL, 'r' }, { "port", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'o' },  { "go", required_argument, NULL, 'g' },
		{ "hold", no_argument, NULL, 'H' },       { NULL, 0, NULL, 0 },
	};
	static struct peer peer;
	struct peer *p = &peer;
	const char *dev = NULL, *go = NULL, *log = NULL;
	bool hold = false, have_local = false, have_peer = false;
	struct sigaction sa;
	FILE *script;
	int opt;

	fail_peer = p;
	p->tun = -1;
	p->log = stdout;
	p->port = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'l': addr_parse(optarg, &p->local), have_local = true; break;
		case 'r': addr_parse(optarg, &p->remote), have_peer = true; break;
		case 'p': p->port = (uint16_t)word_u32("--port", optarg, 65535); break;
		case 'o': log = optarg; break;
		case 'g': go = optarg; break;
		case 'H': hold = true; break;
		default: usage();
		}
	}
	if (!dev || !have_local || !have_peer || !p->port || optind != argc - 1)
		usage();
	if (p->local.af != p->remote.af)
		fail("--local and --peer must both be IPv4 or both IPv6");
	if (log && !(p->log = fopen(log, "w")))
		fail("%s: %s", log, strerror(errno));
	if (!(script = fopen(argv[optind], "r")))
		fail("%s: %s", argv[optind], strerror(errno));
	if (!(p->rxq = calloc(RXQ_LEN, sizeof(*p->rxq))))
		fail("out of memory");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	p->timeout_ms = DEFAULT_TIMEOUT_MS;
	p->window = DEFAULT_WINDOW;
	conn_reset(&p->c, p->port, 0, DEFAULT_ISN);
	p->tun = tun_attach(dev);
	hold_mode = hold;
	fprintf(p->log, "ready %s\n", dev);
	fflush(p->log);
	if (go)
		wait_go(p, go);
	run_script(p, script);
	fclose(script);
	if (hold)
		hold_until_signal(p);
	return 0;
}
