/* Hand-built connections for the sink tests: what the tracker would hand a
 * sink, without depending on the tracker. Rows are appended in time order;
 * each copies the lanes' current states, state rows change them. */
#ifndef SYNSCOPE_FAKE_CONN_H
#define SYNSCOPE_FAKE_CONN_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "track/conn.h"
#include "track/sink.h"
#include "render/sinks.h"
#include "export/exports.h"
#include "render/explain.h"

/* Each test uses some of these helpers. */
#define FAKE_FN static __attribute__((unused))

#define FAKE_MAX_ROWS 64
#define FAKE_T0_NS 1000000000000ull /* monotonic time of the first row: 1000 s */

struct fake {
	struct conn c;
	struct conn_facts facts; /* c.facts points here */
	struct conn_row rows[FAKE_MAX_ROWS];
	__u8 st[2]; /* the lanes' current states */
};

/* Hand a sink the connection as the tracker would: every event as it
 * happens, every row in one batch, then the story. */
FAKE_FN void fake_hand_over(struct syn_sink *s, const struct fake *f)
{
	for (size_t i = 0; i < f->c.nrows; i++)
		if (s->event)
			s->event(s, &f->rows[i].ev, &f->c, f->rows[i].end);
	if (s->rows)
		s->rows(s, &f->c, f->c.rows, f->c.nrows);
	if (s->conn_done)
		s->conn_done(s, &f->c);
}

/* comm as the kernel gives it: up to 16 bytes, NUL-padded (not always ended). */
FAKE_FN void fake_set_comm(char dst[SYN_COMM_LEN], const char *src)
{
	size_t n = strlen(src);

	memset(dst, 0, SYN_COMM_LEN);
	memcpy(dst, src, n < SYN_COMM_LEN ? n : SYN_COMM_LEN);
}

FAKE_FN void fake_end(struct conn_end *e, enum conn_role role, int family, const char *addr,
		     __u16 port, __u32 pid, const char *comm)
{
	memset(e, 0, sizeof(*e));
	e->role = role;
	e->family = (__u8)family;
	inet_pton(family, addr, e->addr);
	e->port = port;
	e->traced = true;
	e->pid = pid;
	fake_set_comm(e->comm, comm);
}

/* A connection between client and server, both lanes traced and owned. */
FAKE_FN void fake_init(struct fake *f, __u64 id, int family,
		      const char *caddr, __u16 cport, __u32 cpid, const char *ccomm,
		      const char *saddr, __u16 sport, __u32 spid, const char *scomm)
{
	memset(f, 0, sizeof(*f));
	f->c.id = id;
	f->c.rows = f->rows;
	f->c.cap = FAKE_MAX_ROWS;
	f->c.complete = true;
	f->c.facts = &f->facts;
	fake_end(&f->c.end[0], ROLE_CLIENT, family, caddr, cport, cpid, ccomm);
	fake_end(&f->c.end[1], ROLE_SERVER, family, saddr, sport, spid, scomm);
}

/* A new row on lane end at t_us microseconds after FAKE_T0_NS: addresses in
 * that end's own view, pid/comm of its owner. */
FAKE_FN struct conn_row *fake_row(struct fake *f, __u64 t_us, int end, int kind)
{
	if (f->c.nrows >= FAKE_MAX_ROWS) {
		fprintf(stderr, "fake_conn: too many rows\n");
		exit(2);
	}
	struct conn_row *r = &f->rows[f->c.nrows++];
	const struct conn_end *me = &f->c.end[end], *peer = &f->c.end[1 - end];

	memset(r, 0, sizeof(*r));
	r->ev.ts_ns = FAKE_T0_NS + t_us * 1000;
	r->ev.sock_id = 0x5eed0000u + (unsigned)end; /* must never be printed */
	r->ev.kind = (__u8)kind;
	r->ev.family = me->family;
	memcpy(r->ev.saddr, me->addr, 16);
	memcpy(r->ev.daddr, peer->addr, 16);
	r->ev.sport = me->port;
	r->ev.dport = peer->port;
	r->ev.pid = r->ev.tid = me->pid;
	memcpy(r->ev.comm, me->comm, SYN_COMM_LEN);
	r->end = (__u8)end;
	r->state_after[0] = f->st[0];
	r->state_after[1] = f->st[1];
	r->pair = -1;
	return r;
}

FAKE_FN int fake_index(struct fake *f, const struct conn_row *r)
{
	return (int)(r - f->rows);
}

FAKE_FN struct conn_row *fake_seg(struct fake *f, __u64 t_us, int end, int dir, unsigned flags,
				 __u32 seq, __u32 ack, __u32 len, __u16 win)
{
	struct conn_row *r = fake_row(f, t_us, end, SYN_EV_SEGMENT);

	r->ev.seg.dir = (__u8)dir;
	r->ev.seg.flags = (__u8)flags;
	r->ev.seg.seq = seq;
	r->ev.seg.ack = ack;
	r->ev.seg.len = len;
	r->ev.seg.win = win;
	return r;
}

/* The usual Linux SYN options. */
FAKE_FN void fake_syn_opts(struct conn_row *r, __u16 mss, __u8 ws, __u32 tsval, __u32 tsecr)
{
	r->ev.seg.opts = SYN_OPT_MSS | SYN_OPT_WSCALE | SYN_OPT_SACK_PERM | SYN_OPT_TS;
	r->ev.seg.mss = mss;
	r->ev.seg.wscale = ws;
	r->ev.seg.tsval = tsval;
	r->ev.seg.tsecr = tsecr;
}

/* The same segment seen at both ends: tx on one lane, rx on the other. */
FAKE_FN void fake_pair(struct fake *f, struct conn_row *tx, struct conn_row *rx)
{
	rx->pair = fake_index(f, tx);
	tx->pair = fake_index(f, rx);
}

/* tx on lane end at t_us, rx at the other lane at rx_us, paired. Returns tx. */
FAKE_FN struct conn_row *fake_seg_both(struct fake *f, __u64 t_us, __u64 rx_us, int end,
				      unsigned flags, __u32 seq, __u32 ack, __u32 len, __u16 win)
{
	struct conn_row *tx = fake_seg(f, t_us, end, SYN_DIR_TX, flags, seq, ack, len, win);
	struct conn_row *rx = fake_seg(f, rx_us, 1 - end, SYN_DIR_RX, flags, seq, ack, len, win);

	fake_pair(f, tx, rx);
	return tx;
}

FAKE_FN struct conn_row *fake_state(struct fake *f, __u64 t_us, int end, __u8 oldst, __u8 newst,
				   bool inferred)
{
	f->st[end] = newst;
	struct conn_row *r = fake_row(f, t_us, end, SYN_EV_STATE);

	r->ev.state.oldstate = oldst;
	r->ev.state.newstate = newst;
	if (inferred)
		r->marks |= ROW_INFERRED;
	return r;
}

FAKE_FN struct conn_row *fake_sys(struct fake *f, __u64 t_us, int end, int call, int phase,
				 int fd, int arg, long long ret)
{
	struct conn_row *r = fake_row(f, t_us, end, SYN_EV_SYSCALL);

	r->ev.sys.call = (__u8)call;
	r->ev.sys.phase = (__u8)phase;
	r->ev.sys.fd = fd;
	r->ev.sys.arg = arg;
	r->ev.sys.ret = ret;
	if ((call == SYN_CALL_ACCEPT || call == SYN_CALL_ACCEPT4) && phase == SYN_PHASE_RETURN)
		r->ev.sys.new_fd = (int)ret;
	return r;
}

/* The call was made by another process than the lane's owner. */
FAKE_FN void fake_caller(struct conn_row *r, __u32 pid, const char *comm)
{
	r->ev.pid = r->ev.tid = pid;
	fake_set_comm(r->ev.comm, comm);
}

#define C 0 /* client lane */
#define S 1 /* server lane */
#define F_SYN SYN_TCP_SYN
#define F_ACK SYN_TCP_ACK
#define F_FIN SYN_TCP_FIN
#define F_RST SYN_TCP_RST
#define F_PSH SYN_TCP_PSH

/* A client refused by a remote host: the server lane is only its packets,
 * no segment is seen at both ends. */
FAKE_FN void fake_refused(struct fake *f)
{
	struct conn_row *r;

	fake_init(f, 2, AF_INET, "10.0.0.1", 50000, 77, "curl", "10.0.0.2", 81, 0, "");
	f->c.end[S].traced = false;
	f->st[C] = ST_CLOSE;
	fake_sys(f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 5, 0, 0);
	fake_state(f, 3, C, ST_CLOSE, ST_SYN_SENT, false);
	r = fake_seg(f, 6, C, SYN_DIR_TX, F_SYN, 1000, 0, 0, 64240);
	fake_syn_opts(r, 1460, 7, 55, 0);
	fake_seg(f, 250, C, SYN_DIR_RX, F_RST | F_ACK, 0, 1001, 0, 0);
	r = fake_row(f, 251, C, SYN_EV_RESET);
	r->ev.rst.kind = SYN_RESET_RECEIVED;
	r->ev.rst.state = ST_SYN_SENT;
	fake_state(f, 252, C, ST_SYN_SENT, ST_CLOSE, false);
	fake_sys(f, 260, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 5, 0, -111);
	fake_row(f, 270, C, SYN_EV_DESTROY);
}

/* A whole loopback connection: handshake, 5 bytes of data, 4-way teardown.
 * The client's last handshake ACK and its FIN each have another row between
 * their tx and rx (in flight); the server closes from another process. */
FAKE_FN void fake_loopback(struct fake *f)
{
	struct conn_row *r, *tx, *rx;

	fake_init(f, 1, AF_INET, "127.0.0.1", 41234, 1234, "demo-client",
		  "127.0.0.1", 8080, 1233, "demo-server");
	f->st[C] = ST_CLOSE;
	f->st[S] = ST_LISTEN;

	fake_sys(f, 0, C, SYN_CALL_CONNECT, SYN_PHASE_ENTRY, 3, 0, 0);             /* 0 */
	fake_state(f, 5, C, ST_CLOSE, ST_SYN_SENT, false);                          /* 1 */
	tx = fake_seg_both(f, 9, 12, C, F_SYN, 1000, 0, 0, 65495);                  /* 2, 3 */
	fake_syn_opts(tx, 65495, 7, 100, 0);
	fake_syn_opts(tx + 1, 65495, 7, 100, 0);
	fake_state(f, 14, S, ST_LISTEN, ST_SYN_RECV, true);                         /* 4 */
	tx = fake_seg_both(f, 20, 23, S, F_SYN | F_ACK, 5000, 1001, 0, 65483);      /* 5, 6 */
	fake_syn_opts(tx, 65495, 7, 200, 100);
	fake_syn_opts(tx + 1, 65495, 7, 200, 100);
	fake_state(f, 25, C, ST_SYN_SENT, ST_ESTABLISHED, false);                   /* 7 */
	tx = fake_seg(f, 30, C, SYN_DIR_TX, F_ACK, 1001, 5001, 0, 512);             /* 8 */
	fake_sys(f, 31, C, SYN_CALL_CONNECT, SYN_PHASE_RETURN, 3, 0, 0);           /* 9 */
	rx = fake_seg(f, 34, S, SYN_DIR_RX, F_ACK, 1001, 5001, 0, 512);             /* 10 */
	fake_pair(f, tx, rx);
	fake_state(f, 35, S, ST_SYN_RECV, ST_ESTABLISHED, false);                   /* 11 */
	fake_sys(f, 40, S, SYN_CALL_ACCEPT, SYN_PHASE_RETURN, 3, 0, 4);            /* 12 */
	fake_seg_both(f, 1000, 1004, C, F_PSH | F_ACK, 1001, 5001, 5, 512);         /* 13, 14 */
	fake_seg_both(f, 1100, 1103, S, F_ACK, 5001, 1006, 0, 512);                 /* 15, 16 */
	fake_sys(f, 2000, C, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 3, 1, 0);         /* 17 */
	fake_state(f, 2003, C, ST_ESTABLISHED, ST_FIN_WAIT1, false);                /* 18 */
	tx = fake_seg(f, 2005, C, SYN_DIR_TX, F_FIN | F_ACK, 1006, 5001, 0, 512);   /* 19 */
	fake_sys(f, 2007, C, SYN_CALL_SHUTDOWN, SYN_PHASE_RETURN, 3, 1, 0);        /* 20 */
	rx = fake_seg(f, 2010, S, SYN_DIR_RX, F_FIN | F_ACK, 1006, 5001, 0, 512);   /* 21 */
	fake_pair(f, tx, rx);
	fake_state(f, 2011, S, ST_ESTABLISHED, ST_CLOSE_WAIT, false);               /* 22 */
	fake_seg_both(f, 2012, 2015, S, F_ACK, 5001, 1007, 0, 512);                 /* 23, 24 */
	fake_state(f, 2016, C, ST_FIN_WAIT1, ST_FIN_WAIT2, false);                  /* 25 */
	r = fake_sys(f, 1502000, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0);      /* 26 */
	fake_caller(r, 1240, "worker");
	fake_state(f, 1502002, S, ST_CLOSE_WAIT, ST_LAST_ACK, false);               /* 27 */
	fake_seg_both(f, 1502004, 1502007, S, F_FIN | F_ACK, 5001, 1007, 0, 512);   /* 28, 29 */
	fake_state(f, 1502008, C, ST_FIN_WAIT2, ST_TIME_WAIT, false);               /* 30 */
	fake_seg_both(f, 1502010, 1502013, C, F_ACK, 1007, 5002, 0, 512);           /* 31, 32 */
	fake_state(f, 1502014, S, ST_LAST_ACK, ST_CLOSE, false);                    /* 33 */
	r = fake_sys(f, 1502015, S, SYN_CALL_CLOSE, SYN_PHASE_RETURN, 4, 0, 0);     /* 34 */
	fake_caller(r, 1240, "worker");
	fake_row(f, 1502020, S, SYN_EV_DESTROY);                                    /* 35 */
	f->c.end[S].destroyed = true;
}

/* A half-close: the client's shutdown(SHUT_WR) and FIN, then four writes
 * of the server's after it, then the server's close() and FIN. 27 rows. */
FAKE_FN void fake_half_close(struct fake *f)
{
	struct conn_row *r;

	fake_init(f, 1, AF_INET, "10.99.0.1", 40000, 10, "demo-client",
		  "10.99.0.2", 21400, 20, "demo-server");
	f->st[C] = f->st[S] = ST_ESTABLISHED;
	fake_sys(f, 0, C, SYN_CALL_SHUTDOWN, SYN_PHASE_ENTRY, 3, SHUT_WR, 0);     /* 0 */
	fake_state(f, 1, C, ST_ESTABLISHED, ST_FIN_WAIT1, false);                 /* 1 */
	fake_seg_both(f, 2, 3, C, F_FIN | F_ACK, 100, 300, 0, 512);              /* 2, 3 */
	fake_state(f, 4, S, ST_ESTABLISHED, ST_CLOSE_WAIT, false);                /* 4 */
	fake_seg_both(f, 5, 6, S, F_ACK, 300, 101, 0, 512);                      /* 5, 6 */
	fake_state(f, 7, C, ST_FIN_WAIT1, ST_FIN_WAIT2, false);                   /* 7 */
	for (int k = 0; k < 4; k++) {                                            /* 8 .. 19 */
		fake_sys(f, 10 + 10 * k, S, SYN_CALL_WRITE, SYN_PHASE_ENTRY, 4, 0, 0);
		fake_seg_both(f, 11 + 10 * k, 12 + 10 * k, S, F_PSH | F_ACK,
			      300 + 100 * k, 101, 100, 512);
	}
	r = fake_sys(f, 100, S, SYN_CALL_CLOSE, SYN_PHASE_ENTRY, 4, 0, 0);        /* 20 */
	r->ev.sys.last_ref = 1;
	fake_state(f, 101, S, ST_CLOSE_WAIT, ST_LAST_ACK, false);                 /* 21 */
	fake_seg_both(f, 102, 103, S, F_FIN | F_ACK, 700, 101, 0, 512);          /* 22, 23 */
	fake_state(f, 104, C, ST_FIN_WAIT2, ST_TIME_WAIT, false);                 /* 24 */
	fake_seg_both(f, 105, 106, C, F_ACK, 101, 701, 0, 512);                  /* 25, 26 */
}

/* Wall clock offset so that FAKE_T0_NS is 2026-11-23 11:21:37.123456 UTC
 * (epoch 1795432897 s: 20780 days to 2026-11-23, plus 11:21:37). */
#define FAKE_WALL_T0_NS 1795432897123456000ll
#define FAKE_WALL_OFFSET_NS (FAKE_WALL_T0_NS - (long long)FAKE_T0_NS)

/* A sink's whole output, captured with open_memstream(). */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

FAKE_FN void capture_start(struct capture *cap, struct sink_opts *o)
{
	cap->buf = NULL;
	cap->len = 0;
	cap->f = open_memstream(&cap->buf, &cap->len);
	if (!cap->f) {
		perror("open_memstream");
		exit(2);
	}
	o->out = cap->f;
}

/* Close the stream: cap->buf holds the text (free() it). */
FAKE_FN char *capture_end(struct capture *cap)
{
	fclose(cap->f);
	cap->f = NULL;
	return cap->buf;
}

/* fake_loopback drawn whole by the sink make makes, explained in lang;
 * *explained: how many of its rows have something to say. */
FAKE_FN char *fake_loopback_explained(struct syn_sink *(*make)(const struct sink_opts *),
				      int lang, int *explained)
{
	struct sink_opts o = { .explain = (__u8)lang, .wall_offset_ns = FAKE_WALL_OFFSET_NS };
	struct run_summary sum = { .events = 36, .conns = 1 };
	struct explain_note notes[FAKE_MAX_ROWS];
	struct capture cap;
	struct fake f;

	fake_loopback(&f);
	explain_conn(&f.c, notes);
	*explained = 0;
	for (size_t i = 0; i < f.c.nrows; i++)
		*explained += notes[i].key != EX_NONE;
	capture_start(&cap, &o);
	struct syn_sink *s = make(&o);
	fake_hand_over(s, &f);
	s->finish(s, &sum);
	s->destroy(s);
	return capture_end(&cap);
}

/* The line n (0-based) of text into buf, without its newline; "" past the end. */
FAKE_FN const char *line_of(const char *text, int n, char *buf, size_t len)
{
	const char *p = text;

	for (; n > 0 && p; n--) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	buf[0] = '\0';
	if (!p || !*p)
		return buf;
	size_t k = strcspn(p, "\n");
	if (k >= len)
		k = len - 1;
	memcpy(buf, p, k);
	buf[k] = '\0';
	return buf;
}

FAKE_FN int count_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

FAKE_FN bool has_escape(const char *text)
{
	return strchr(text, '\033') != NULL;
}

#endif
