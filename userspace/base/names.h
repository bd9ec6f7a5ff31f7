/* Names and text forms of event fields, shared by every sink. */
#ifndef SYNSCOPE_NAMES_H
#define SYNSCOPE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include "bpf/synscope_event.h"

#define ADDR_STR_LEN 48   /* "[ffff:...:ffff]:65535" fits */

/* Kernel TCP state number -> "ESTABLISHED", "SYN_SENT", ...; "?" when unknown. */
const char *tcp_state_name(unsigned int state);
/* "connect", "accept4", ... */
const char *syn_call_name(unsigned int call);
/* A call that takes a stream's bytes in (read, recvfrom, recvmsg, readv) or
 * puts them out (write, sendto, sendmsg, writev, sendfile). */
bool syn_call_reads(unsigned int call);
bool syn_call_writes(unsigned int call);
/* sendmmsg, recvmmsg: messages, not bytes, in arg (vlen) and ret. */
bool syn_call_mmsg(unsigned int call);
/* A call the kernel side reports on return only, one record (socket,
 * getsockopt): it has no entry to miss. */
bool syn_call_return_only(unsigned int call);
/* "syscall", "state", "segment", "retransmit", "reset", "destroy", "lost" */
const char *syn_kind_name(unsigned int kind);
/* The flag names set in flags, in wire order FIN SYN RST PSH ACK URG ECE CWR,
 * joined by sep: "SYN,ACK". Returns buf. */
char *tcp_flags_str(unsigned int flags, const char *sep, char *buf, size_t len);
/* Index (0..7) of flag bit i's name: "FIN" ... "CWR". */
const char *tcp_flag_name(unsigned int bit_index);
/* The address alone: "127.0.0.1", "::1". */
char *addr_str(unsigned int family, const __u8 addr[16], char *buf, size_t len);
/* Address and port: "127.0.0.1:8080", "[::1]:8080". */
char *endpoint_str(unsigned int family, const __u8 addr[16], unsigned int port,
		   char *buf, size_t len);

/* Why the kernel sent a reset: `enum sk_rst_reason` of the running kernel,
 * whose values differ between kernels. The source that knows the kernel sets
 * the names once (a copy is kept; NULL entries are unknown; n = 0 clears). */
void rst_reason_names_set(const char *const *names, size_t n);
/* "NO_SOCKET", or NULL when the name is not known. */
const char *rst_reason_name(unsigned int reason);
/* Why the kernel dropped a segment: `enum skb_drop_reason`, the same way
 * ("TCP_LISTEN_OVERFLOW", without the SKB_DROP_REASON_ prefix). */
void drop_reason_names_set(const char *const *names, size_t n);
const char *drop_reason_name(unsigned int reason);

/* "port unreachable", "packet too big" ...: what an ICMP error says. */
const char *icmp_error_name(__u8 family, __u8 type, __u8 code);

/* "ECONNREFUSED" ... for the errnos sockets commonly return; NULL otherwise. */
const char *txt_errno_name(long err);
/* The same, or "errno 200" for one without a name here: in buf. */
char *txt_errno_text(long err, char *buf, size_t len);
/* The errno a system call's return carries (the kernel returns -4095 .. -1
 * for -errno); 0 for any other value, which no errno is (a damaged
 * recording's INT64_MIN, say). */
long txt_errno_of(long long ret);
/* setsockopt()'s level: "SOL_SOCKET", "IPPROTO_TCP"; NULL for others. And back: -1 unknown. */
const char *sockopt_level_name(int level);
int sockopt_level_of(const char *name);
/* An option the kernel side reports: "SO_REUSEADDR", "TCP_KEEPIDLE" ...; NULL for others.
 * And back, within a level: -1 unknown. */
const char *sockopt_name(int level, int optname);
int sockopt_of(int level, const char *name);
/* shutdown()'s how: "SHUT_RD", "SHUT_WR", "SHUT_RDWR"; NULL otherwise. */
const char *txt_shutdown_how(int how);
/* The flags in socket()'s type (its low 4 bits are the kind of socket). */
unsigned int sock_type_flags(int type);
/* The flags a call's record carries: socket()'s return (a descriptor made),
 * accept4()'s entry; 0 for any other record. */
unsigned int syn_call_sock_flags(const struct syn_syscall *s);
/* Those flags' names joined by sep, as tcp_flags_str() does:
 * "SOCK_NONBLOCK|SOCK_CLOEXEC", a bit no name covers as "0x10", "" for none. */
char *txt_sock_flags(unsigned int flags, const char *sep, char *buf, size_t len);
/* Back: a name, or a "0x.." of bits no name covers; 0 for neither. */
unsigned int sock_flag_of(const char *name);

#endif
