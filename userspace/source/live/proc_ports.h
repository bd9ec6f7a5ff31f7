/* The local TCP ports of a process's sockets, from /proc: what `-p PID`
 * (and `--comm NAME`) must watch from the start, for sockets created before
 * tracing began. */
#ifndef SYNSCOPE_PROC_PORTS_H
#define SYNSCOPE_PROC_PORTS_H

#include <sys/types.h>
#include <linux/types.h>

/* Fill ports (no duplicates) with the local ports of the TCP sockets that pid
 * holds open, read under proc_root ("/proc"). Returns how many, or -1 when
 * the process cannot be read. */
int proc_tcp_ports(const char *proc_root, pid_t pid, __u16 *ports, int max);
/* The processes whose name (/proc/PID/comm, what the kernel's task comm
 * says) is comm: up to max of them into pids. Returns how many. What
 * `--comm NAME` must watch from the start. */
int proc_pids_named(const char *proc_root, const char *comm, pid_t *pids, int max);
/* The inode number of pid's network namespace (what the kernel side calls
 * netns), or 0 when it cannot be read. */
__u32 proc_netns(const char *proc_root, pid_t pid);

#endif
