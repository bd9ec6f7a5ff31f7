/* Explain mode: what each row of a finished connection means, in plain words,
 * for a classroom ("handshake 1/3: SYN ...", "read() returns 0: end-of-file").
 * The meaning comes from the whole connection (which FIN came first, whether
 * an ACK rode on a FIN), so a connection is explained once, then row by row. */
#ifndef SYNSCOPE_EXPLAIN_H
#define SYNSCOPE_EXPLAIN_H

#include <stddef.h>
#include "track/conn.h"

enum explain_lang {
	EXPLAIN_OFF = 0,
	EXPLAIN_EN,  /* English */
	EXPLAIN_ZH,  /* Simplified Chinese */
};

/* What a row means: one of these, with the lanes it talks about. */
enum explain_key {
	EX_NONE = 0,
	EX_SOCKET, EX_BIND, EX_CONNECT_CALL, EX_CONNECT_CALL_REFUSED_AT_ONCE, EX_CONNECT_OK,
	EX_CONNECT_REFUSED, EX_CONNECT_TIMEDOUT, EX_CONNECT_HOST_UNREACH, EX_CONNECT_NET_UNREACH,
	EX_CONNECT_NO_PORT, EX_CONNECT_FAIL,
	EX_ACCEPT_CALL, EX_ACCEPT_OK, EX_ACCEPT_QUEUED,
	EX_SYN, EX_SYN_RETRANS, EX_SYN_SIMUL, EX_SYN_UNANSWERED, EX_SYNACK, EX_SYNACK_SIMUL,
	EX_SYNACK_AGAIN, EX_ACK3, EX_ACK3_AGAIN,
	EX_DATA, EX_DATA_HALF_CLOSED, EX_DATA_ACK, EX_RETRANS,
	EX_FIN1, EX_FIN1_EXIT, EX_ACK2, EX_ACK2_DATA, EX_FIN_MERGED, EX_FIN2, EX_FIN2_EXIT, EX_ACK4,
	EX_FIN_SIMUL, EX_ACK_SIMUL, EX_ACK_SIMUL_OPEN,
	EX_SELF_SYN, EX_SELF_SYNACK, EX_SELF_FIN,
	EX_RST, EX_RST_REFUSED, EX_UDP,
	EX_ST_SYN_SENT, EX_ST_SYN_RECV_INFERRED, EX_ST_SYN_RECV_KERNEL, EX_ST_SYN_RECV_SIMUL,
	EX_ST_ESTABLISHED, EX_ST_FIN_WAIT1, EX_ST_FIN_WAIT2, EX_ST_CLOSE_WAIT, EX_ST_LAST_ACK,
	EX_ST_CLOSING, EX_ST_TIME_WAIT, EX_ST_TW_KERNEL, EX_ST_TW_END, EX_ST_CLOSED,
	EX_READ_DATA, EX_READ_EOF, EX_READ_FAIL, EX_WRITE, EX_WRITE_FAIL,
	EX_CLOSE_FIN, EX_CLOSE_RST, EX_CLOSE_NOT_LAST, EX_CLOSE_ABANDON, EX_CLOSE_FREE,
	EX_SHUT_WR, EX_SHUT_RD, EX_SHUT_RDWR,
	EX_SENDTO_UDP, EX_RECVFROM_UDP,
	EX_DESTROY,
	EX_DROP_BACKLOG, EX_DROP_BACKLOG_ACK, EX_DROP_INVALID_SYN, EX_DROP_OLD, EX_DROP_NO_SOCKET, EX_DROP_FIREWALL,
	EX_DROP_NEIGH,
	EX_DROP_OTHER,
	EX_RST_SENT_NO_SOCKET, EX_RST_SENT_UNREAD, EX_RST_SENT_LINGER, EX_RST_SENT_OTHER,
	EX_RST_RECEIVED,
	EX_RETRANS_FAST, EX_RETRANS_RTO, EX_RETRANS_TLP, EX_DUP_ACK,
	EX_ZERO_WINDOW, EX_WINDOW_UPDATE, EX_WINDOW_PROBE, EX_KEEPALIVE,
	EX_SYNACK_COOKIE, EX_RST_KERNEL_ABORT, EX_RST_RECEIVED_REFUSED,
	EX_ST_TW_KILLED, EX_ST_REQ_RESET, EX_ST_FW2_TIMEOUT, EX_SUMMARY, EX_RST_SENT_LISTENER,
	EX_ST_SYN_RECV_FASTOPEN, EX_ACCEPT_FASTOPEN, EX_CONNECT_DEFERRED, EX_READ_AFTER_RESET,
	EX_WRITE_ZERO_WINDOW, EX_RETRANS_RECOVERY, EX_ICMP_PORT, EX_ICMP, EX_ICMP_OWN_HOST,
	EX_LISTEN, EX_ST_LISTEN, EX_BIND_IN_USE, EX_BIND_FAIL,
	EX_SO_REUSEADDR, EX_SO_REUSEPORT, EX_SO_KEEPALIVE, EX_TCP_KEEPIDLE, EX_TCP_KEEPINTVL,
	EX_TCP_KEEPCNT, EX_SO_LINGER_RST, EX_SO_LINGER_WAIT, EX_SO_LINGER_OFF, EX_TCP_NODELAY,
	EX_TCP_FASTOPEN, EX_SOCKOPT_OFF, EX_SOCKOPT, EX_SOCKOPT_FAIL,
	EX_SOCKET_UDP, EX_CLOSE_UDP, EX_RECV_WAIT_UDP,
	EX_KEEPALIVE_UNANSWERED, EX_KEEPALIVE_ACK, EX_DROP_PROBE, EX_RST_SENT_KEEPALIVE,
	EX_READ_KEEPALIVE,
	EX_CONNECT_OK_SIMUL, EX_ST_TW_KERNEL_HELD, EX_ST_CLOSING_SELF,
	EX_CONNECT_CALL_NONBLOCK, EX_CONNECT_INPROGRESS, EX_CONNECT_INPROGRESS_DONE,
	EX_ACCEPT_CALL_READY, EX_CONNECT_AGAIN, EX_CONNECT_AGAIN_OPEN, EX_CONNECT_AGAIN_BUSY,
	EX_CONNECT_INPROGRESS_ENDED, EX_READ_AGAIN, EX_WRITE_AGAIN,
	EX_SO_ERROR_NONE, EX_SO_ERROR_REFUSED, EX_SO_ERROR, EX_SENDMMSG, EX_RECVMMSG,
	EX_CONNECT_UDP, EX_ST_CLOSE_AFTER_SHUTDOWN, EX_SOCKET_NONBLOCK, EX_RST_SENT_DATA_AFTER_CLOSE,
	EX_RST_RECEIVED_AFTER_FIN, EX_WRITE_EPIPE,
	EX_NKEYS
};

struct explain_note {
	__u8 key;     /* enum explain_key */
	__u8 who;     /* the lane the text is about: 0 client, 1 server */
	__u32 n;      /* a count the text says ({n}) that the row itself does not hold
		       * (the 2nd unanswered keepalive probe); 0: the row's own number */
};

/* Fill notes[0 .. c->nrows-1]: what each row means (EX_NONE: nothing to say). */
void explain_conn(const struct conn *c, struct explain_note *notes);

/* A connection explained batch by batch as it goes (JSON Lines: rows()):
 * what its earlier batches showed (the first FINs, calls that closed or
 * accepted, the states the last one ended in), so that a batch is told as
 * it would be within the whole connection: the server's FIN after a long
 * half-close is teardown 3/4, not 1/4. explain_story_new: NULL when out of
 * memory. */
struct explain_story;
struct explain_story *explain_story_new(void);
void explain_story_free(struct explain_story *st);
/* explain_conn() for batch, the next rows of the connection st has seen. */
void explain_batch(const struct conn *batch, struct explain_story *st,
		   struct explain_note *notes);
/* The note of row i as text in lang; "" for EX_NONE. Returns buf. */
char *explain_text(const struct conn *c, size_t i, const struct explain_note *n,
		   enum explain_lang lang, char *buf, size_t len);
/* "client" / "客户端" ... */
const char *explain_lane(int lane, enum explain_lang lang);
/* The stable name of a key ("handshake-1", "teardown-2", ...), for JSONL and tests. */
const char *explain_key_name(unsigned int key);

#endif
