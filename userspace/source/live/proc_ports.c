#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "source/live/proc_ports.h"

#define MAX_INODES 4096

/* The inode numbers of the sockets among pid's descriptors. */
static int socket_inodes(const char *proc_root, pid_t pid, unsigned long *inodes, int max)
{
	char path[512], link[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%d/fd", proc_root, (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)) && n < max) {
		ssize_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%d/fd/%s", proc_root, (int)pid, d->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &inodes[n]) == 1)
			n++;
	}
	closedir(dir);
	return n;
}

static void add_port(__u16 *ports, int *n, int max, unsigned int port)
{
	for (int i = 0; i < *n; i++)
		if (ports[i] == port)
			return;
	if (*n < max && port)
		ports[(*n)++] = (__u16)port;
}

/* Lines of /proc/PID/net/tcp{,6}: "sl local_address rem_address st ... inode". */
static void scan_table(const char *file, const unsigned long *inodes, int ninodes,
		       __u16 *ports, int *n, int max)
{
	char line[512];
	FILE *f = fopen(file, "r");

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned long inode;
		unsigned int port;
		char *colon;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &inode) != 2)
			continue;
		colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1)
			continue;
		for (int i = 0; i < ninodes; i++) {
			if (inodes[i] == inode) {
				add_port(ports, n, max, port);
				break;
			}
		}
	}
	fclose(f);
}

int proc_tcp_ports(const char *proc_root, pid_t pid, __u16 *ports, int max)
{
	unsigned long *inodes = malloc(MAX_INODES * sizeof(*inodes));
	char file[512];
	int ninodes, n = 0;

	if (!inodes)
		return -1;
	ninodes = socket_inodes(proc_root, pid, inodes, MAX_INODES);
	if (ninodes < 0) {
		free(inodes);
		return -1;
	}
	/* the process's own network namespace: its view of the tables */
	snprintf(file, sizeof(file), "%s/%d/net/tcp", proc_root, (int)pid);
	scan_table(file, inodes, ninodes, ports, &n, max);
	snprintf(file, sizeof(file), "%s/%d/net/tcp6", proc_root, (int)pid);
	scan_table(file, inodes, ninodes, ports, &n, max);
	free(inodes);
	return n;
}

/* /proc/PID/comm without its newline into buf; false when it cannot be read. */
static bool read_comm(const char *proc_root, const char *pid, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s/comm", proc_root, pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

int proc_pids_named(const char *proc_root, const char *comm, pid_t *pids, int max)
{
	DIR *dir = opendir(proc_root);
	struct dirent *d;
	char name[64];
	int n = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9' ||
		    d->d_name[strspn(d->d_name, "0123456789")])
			continue; /* not a process */
		if (read_comm(proc_root, d->d_name, name, sizeof(name)) && !strcmp(name, comm))
			pids[n++] = (pid_t)atoi(d->d_name);
	}
	closedir(dir);
	return n;
}

__u32 proc_netns(const char *proc_root, pid_t pid)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%d/ns/net", proc_root, (int)pid);
	if (stat(path, &st))
		return 0;
	return (__u32)st.st_ino;
}
