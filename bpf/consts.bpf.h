/* Kernel constants the programs compare with (macros, so not in vmlinux.h),
 * and the x86_64 numbers of the calls synscope follows.
 *
 * Part of synscope.bpf.c, included there in order (each part uses the
 * ones before it); not a header for anything else. */
#ifndef SYNSCOPE_CONSTS_BPF_H
#define SYNSCOPE_CONSTS_BPF_H

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf
#define TCP_STATE_TIME_WAIT 6
#define TCP_STATE_LISTEN 10
#define TCP_STATE_NEW_SYN_RECV 12

/* x86_64 syscall numbers of the calls we follow. */
#if defined(__TARGET_ARCH_x86)
#define NR_READ 0
#define NR_WRITE 1
#define NR_CLOSE 3
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDFILE 40
#define NR_SOCKET 41
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_SHUTDOWN 48
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_SETSOCKOPT 54
#define NR_GETSOCKOPT 55
#define NR_ACCEPT4 288
#define NR_RECVMMSG 299
#define NR_SENDMMSG 307
#else
#error "synscope's syscall table is x86_64 only for now"
#endif

#endif
