/* The local TCP ports of a process's sockets, from /proc: what `-p PID`
 * must watch from the start, for sockets created before tracing began. */
#ifndef SYNSCOPE_PROC_PORTS_H
#define SYNSCOPE_PROC_PORTS_H

#include <sys/types.h>
#include <linux/types.h>

/* Fill ports (no duplicates) with the local ports of the TCP sockets that pid
 * holds open, read under proc_root ("/proc"). Returns how many, or -1 when
 * the process cannot be read. */
int proc_tcp_ports(const char *proc_root, pid_t pid, __u16 *ports, int max);
/* The inode number of pid's network namespace (what the kernel side calls
 * netns), or 0 when it cannot be read. */
__u32 proc_netns(const char *proc_root, pid_t pid);

#endif
