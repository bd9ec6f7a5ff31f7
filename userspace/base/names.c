#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/names.h"
#include "base/strbuf.h"

static const char *const tcp_states[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT",   [3] = "SYN_RECV",
	[4] = "FIN_WAIT1",   [5] = "FIN_WAIT2",  [6] = "TIME_WAIT",
	[7] = "CLOSE",       [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
	[10] = "LISTEN",     [11] = "CLOSING",   [12] = "NEW_SYN_RECV",
};

const char *tcp_state_name(unsigned int state)
{
	if (state < sizeof(tcp_states) / sizeof(tcp_states[0]) && tcp_states[state])
		return tcp_states[state];
	return "?";
}

static const char *const calls[] = {
	[SYN_CALL_LISTEN] = "listen",     [SYN_CALL_CONNECT] = "connect",
	[SYN_CALL_ACCEPT] = "accept",     [SYN_CALL_ACCEPT4] = "accept4",
	[SYN_CALL_SHUTDOWN] = "shutdown", [SYN_CALL_CLOSE] = "close",
	[SYN_CALL_SOCKET] = "socket",     [SYN_CALL_BIND] = "bind",
	[SYN_CALL_READ] = "read",         [SYN_CALL_WRITE] = "write",
	[SYN_CALL_RECVFROM] = "recvfrom", [SYN_CALL_SENDTO] = "sendto",
	[SYN_CALL_RECVMSG] = "recvmsg",   [SYN_CALL_SENDMSG] = "sendmsg",
	[SYN_CALL_SETSOCKOPT] = "setsockopt",
	[SYN_CALL_READV] = "readv",       [SYN_CALL_WRITEV] = "writev",
	[SYN_CALL_SENDFILE] = "sendfile", [SYN_CALL_GETSOCKOPT] = "getsockopt",
	[SYN_CALL_SENDMMSG] = "sendmmsg", [SYN_CALL_RECVMMSG] = "recvmmsg",
};

const char *syn_call_name(unsigned int call)
{
	if (call < sizeof(calls) / sizeof(calls[0]) && calls[call])
		return calls[call];
	return "?";
}

bool syn_call_reads(unsigned int call)
{
	return call == SYN_CALL_READ || call == SYN_CALL_RECVFROM || call == SYN_CALL_RECVMSG ||
	       call == SYN_CALL_READV;
}

bool syn_call_writes(unsigned int call)
{
	return call == SYN_CALL_WRITE || call == SYN_CALL_SENDTO || call == SYN_CALL_SENDMSG ||
	       call == SYN_CALL_WRITEV || call == SYN_CALL_SENDFILE;
}

bool syn_call_mmsg(unsigned int call)
{
	return call == SYN_CALL_SENDMMSG || call == SYN_CALL_RECVMMSG;
}

bool syn_call_return_only(unsigned int call)
{
	return call == SYN_CALL_SOCKET || call == SYN_CALL_GETSOCKOPT;
}

static const char *const kinds[] = {
	[SYN_EV_SYSCALL] = "syscall",       [SYN_EV_STATE] = "state",
	[SYN_EV_SEGMENT] = "segment",       [SYN_EV_RETRANSMIT] = "retransmit",
	[SYN_EV_RESET] = "reset",           [SYN_EV_DESTROY] = "destroy",
	[SYN_EV_LOST] = "lost",             [SYN_EV_DROP] = "drop",
	[SYN_EV_TIMEWAIT] = "timewait",     [SYN_EV_TICK] = "tick",
	[SYN_EV_ICMP] = "icmp",
};

const char *syn_kind_name(unsigned int kind)
{
	if (kind < sizeof(kinds) / sizeof(kinds[0]) && kinds[kind])
		return kinds[kind];
	return "?";
}

static const char *const flag_names[8] = {
	"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
};

const char *tcp_flag_name(unsigned int bit_index)
{
	return bit_index < 8 ? flag_names[bit_index] : "?";
}

char *tcp_flags_str(unsigned int flags, const char *sep, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int i = 0; i < 8; i++) {
		const char *pre = used ? sep : "";
		size_t np, nn;

		if (!(flags & (1u << i)))
			continue;
		np = strlen(pre);
		nn = strlen(flag_names[i]);
		if (used + np + nn >= len) {
			/* cut, as snprintf would, and stop */
			snprintf(buf + used, len - used, "%s%s", pre, flag_names[i]);
			break;
		}
		memcpy(buf + used, pre, np);
		memcpy(buf + used + np, flag_names[i], nn + 1);
		used += np + nn;
	}
	return buf;
}

#define REASONS_MAX 256

/* Names of a kernel enum's values, as the running kernel numbers them. */
static char *rst_reasons[REASONS_MAX], *drop_reasons[REASONS_MAX];

static void reason_names_set(char **table, const char *const *names, size_t n)
{
	for (size_t i = 0; i < REASONS_MAX; i++) {
		free(table[i]);
		table[i] = i < n && names[i] ? strdup(names[i]) : NULL;
	}
}

void rst_reason_names_set(const char *const *names, size_t n)
{
	reason_names_set(rst_reasons, names, n);
}

const char *rst_reason_name(unsigned int reason)
{
	return reason < REASONS_MAX ? rst_reasons[reason] : NULL;
}

void drop_reason_names_set(const char *const *names, size_t n)
{
	reason_names_set(drop_reasons, names, n);
}

const char *drop_reason_name(unsigned int reason)
{
	return reason < REASONS_MAX ? drop_reasons[reason] : NULL;
}

char *addr_str(unsigned int family, const __u8 addr[16], char *buf, size_t len)
{
	int af = family == AF_INET6 ? AF_INET6 : AF_INET;

	if (af == AF_INET && len >= INET_ADDRSTRLEN) {
		/* every event has two: inet_ntop's printf was a replay's top cost */
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			unsigned int b = addr[i];

			if (i)
				*p++ = '.';
			if (b >= 100)
				*p++ = (char)('0' + b / 100);
			if (b >= 10)
				*p++ = (char)('0' + b / 10 % 10);
			*p++ = (char)('0' + b % 10);
		}
		*p = '\0';
		return buf;
	}

	if (!inet_ntop(af, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *endpoint_str(unsigned int family, const __u8 addr[16], unsigned int port,
		   char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_str(family, addr, a, sizeof(a));
	if (family != AF_INET6) {
		char tmp[INET6_ADDRSTRLEN + 8], *p = txt_put_str(tmp, a);

		*p++ = ':';
		*txt_put_u64(p, port) = '\0';
		return txt_copy(buf, len, tmp);
	}
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

/* ICMP errors by what they say, v4 and v6 told apart by family. */
const char *icmp_error_name(__u8 family, __u8 type, __u8 code)
{
	static const char *const unreach4[16] = {
		"network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
		"fragmentation needed", "source route failed", "network unknown", "host unknown",
		"source host isolated", "network prohibited", "host prohibited",
		"network unreachable for TOS", "host unreachable for TOS", "administratively prohibited",
		"host precedence violation", "precedence cutoff",
	};
	static const char *const unreach6[8] = {
		"no route", "administratively prohibited", "beyond scope", "address unreachable",
		"port unreachable", "source address failed policy", "reject route", "source routing error",
	};

	if (family == 10) {
		if (type == 1)
			return code < 8 ? unreach6[code] : "destination unreachable";
		return type == 2 ? "packet too big" : type == 3 ? "hop limit exceeded" :
		       type == 4 ? "parameter problem" : "error";
	}
	if (type == 3)
		return code < 16 ? unreach4[code] : "destination unreachable";
	return type == 11 ? "time exceeded" : type == 12 ? "parameter problem" : "error";
}

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
	{ EPIPE, "EPIPE" },               { ENOPROTOOPT, "ENOPROTOOPT" },
	{ EALREADY, "EALREADY" },         { EISCONN, "EISCONN" },
	/* what connect() and accept() meet on a busy or locked-down host */
	{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { EPERM, "EPERM" },
	{ EACCES, "EACCES" },             { ENETDOWN, "ENETDOWN" },
	{ ECONNABORTED, "ECONNABORTED" }, { EMFILE, "EMFILE" },
	{ ENFILE, "ENFILE" },             { ENOBUFS, "ENOBUFS" },
	{ ENOMEM, "ENOMEM" },             { EAFNOSUPPORT, "EAFNOSUPPORT" },
};

char *txt_errno_text(long err, char *buf, size_t len)
{
	const char *name = txt_errno_name(err);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "errno %ld", err);
	return buf;
}

long txt_errno_of(long long ret)
{
	return ret < 0 && ret >= -4095 ? (long)-ret : 0;
}

const char *txt_errno_name(long err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

/* The setsockopt() options the kernel side reports, and getsockopt()'s one
 * (bpf/calls.bpf.h). */
static const struct {
	int level, optname;
	const char *name;
} sockopts[] = {
	{ SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR" },
	{ SOL_SOCKET, SO_ERROR, "SO_ERROR" }, /* getsockopt()'s */
	{ SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF" },
	{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF" },
	{ SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE" },
	{ SOL_SOCKET, SO_LINGER, "SO_LINGER" },
	{ SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT" },
	{ IPPROTO_TCP, 1, "TCP_NODELAY" },
	{ IPPROTO_TCP, 2, "TCP_MAXSEG" },
	{ IPPROTO_TCP, 3, "TCP_CORK" },
	{ IPPROTO_TCP, 4, "TCP_KEEPIDLE" },
	{ IPPROTO_TCP, 5, "TCP_KEEPINTVL" },
	{ IPPROTO_TCP, 6, "TCP_KEEPCNT" },
	{ IPPROTO_TCP, 7, "TCP_SYNCNT" },
	{ IPPROTO_TCP, 8, "TCP_LINGER2" },
	{ IPPROTO_TCP, 9, "TCP_DEFER_ACCEPT" },
	{ IPPROTO_TCP, 10, "TCP_WINDOW_CLAMP" },
	{ IPPROTO_TCP, 12, "TCP_QUICKACK" },
	{ IPPROTO_TCP, 18, "TCP_USER_TIMEOUT" },
	{ IPPROTO_TCP, 23, "TCP_FASTOPEN" },
	{ IPPROTO_TCP, 25, "TCP_NOTSENT_LOWAT" },
	{ IPPROTO_TCP, 30, "TCP_FASTOPEN_CONNECT" },
};

const char *sockopt_level_name(int level)
{
	return level == SOL_SOCKET ? "SOL_SOCKET" : level == IPPROTO_TCP ? "IPPROTO_TCP" : NULL;
}

int sockopt_level_of(const char *name)
{
	if (!strcmp(name, "SOL_SOCKET"))
		return SOL_SOCKET;
	return !strcmp(name, "IPPROTO_TCP") ? IPPROTO_TCP : -1;
}

const char *sockopt_name(int level, int optname)
{
	for (size_t i = 0; i < sizeof(sockopts) / sizeof(sockopts[0]); i++)
		if (sockopts[i].level == level && sockopts[i].optname == optname)
			return sockopts[i].name;
	return NULL;
}

int sockopt_of(int level, const char *name)
{
	for (size_t i = 0; i < sizeof(sockopts) / sizeof(sockopts[0]); i++)
		if (sockopts[i].level == level && !strcmp(sockopts[i].name, name))
			return sockopts[i].optname;
	return -1;
}

const char *txt_shutdown_how(int how)
{
	static const char *const hows[] = { "SHUT_RD", "SHUT_WR", "SHUT_RDWR" };

	return how >= 0 && how < 3 ? hows[how] : NULL;
}


static const struct {
	unsigned int bit;
	const char *name;
} sock_flags[] = { { SOCK_NONBLOCK, "SOCK_NONBLOCK" }, { SOCK_CLOEXEC, "SOCK_CLOEXEC" } };
#define SOCK_FLAGS_NAMED (SOCK_NONBLOCK | SOCK_CLOEXEC)

/* socket()'s type holds the kind of socket in its low 4 bits, flags above */
unsigned int sock_type_flags(int type)
{
	return (unsigned int)type & ~0xfu;
}

unsigned int syn_call_sock_flags(const struct syn_syscall *s)
{
	if (s->call == SYN_CALL_SOCKET && s->phase == SYN_PHASE_RETURN && s->ret >= 0)
		return sock_type_flags(s->arg);
	if (s->call == SYN_CALL_ACCEPT4 && s->phase == SYN_PHASE_ENTRY)
		return (unsigned int)s->arg;
	return 0;
}

#define NSOCK_FLAGS (sizeof(sock_flags) / sizeof(sock_flags[0]))

char *txt_sock_flags(unsigned int flags, const char *sep, char *buf, size_t len)
{
	unsigned int rest = flags & ~(unsigned int)SOCK_FLAGS_NAMED;
	int n = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < NSOCK_FLAGS && n >= 0 && (size_t)n < len; i++)
		if (flags & sock_flags[i].bit)
			n += snprintf(buf + n, len - (size_t)n, "%s%s", n ? sep : "",
				      sock_flags[i].name);
	if (rest && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s0x%x", n ? sep : "", rest);
	return buf;
}

unsigned int sock_flag_of(const char *name)
{
	char *end;
	unsigned long v;

	for (size_t i = 0; i < NSOCK_FLAGS; i++)
		if (!strcmp(name, sock_flags[i].name))
			return sock_flags[i].bit;
	if (strncmp(name, "0x", 2) || !isxdigit((unsigned char)name[2]))
		return 0;
	v = strtoul(name + 2, &end, 16);
	/* a named bit must come by its name */
	return *end || v > 0xffffffffu || (v & SOCK_FLAGS_NAMED) ? 0 : (unsigned int)v;
}
