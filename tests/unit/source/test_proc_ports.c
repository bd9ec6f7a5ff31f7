/* proc_tcp_ports() and proc_pids_named() on a fake /proc built in a temporary directory. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test.h"
#include "source/live/proc_ports.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void link_fd(int fd, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/42/fd/%d", root, fd);
	if (symlink(target, path))
		perror("symlink");
}

static void make_fake_proc(void)
{
	char path[256];

	snprintf(root, sizeof(root), "/tmp/synscope-proc.XXXXXX");
	if (!mkdtemp(root))
		perror("mkdtemp");
	snprintf(path, sizeof(path), "%s/42", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/42/fd", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/42/net", root);
	mkdir(path, 0755);
	link_fd(0, "/dev/null");
	link_fd(3, "socket:[1001]");   /* listener on 8080 (0x1F90) */
	link_fd(4, "socket:[1002]");   /* established, local port 0xA2B4 */
	link_fd(5, "pipe:[77]");
	link_fd(6, "socket:[2001]");   /* an IPv6 listener on 443 (0x01BB) */
	link_fd(7, "socket:[9999]");   /* a UDP or unix socket: in no TCP table */
	put("42/net/tcp",
	    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n"
	    "   1: 0100007F:A2B4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1\n"
	    "   2: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0\n"
	    "   3: 0100007F:1F90 0100007F:A2B4 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1\n");
	snprintf(path, sizeof(path), "%s/43", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/self", root);
	mkdir(path, 0755);
	put("42/comm", "nginx\n");
	put("43/comm", "nginx-debug\n");
	put("self/comm", "nginx\n");  /* not a process number */
	put("42/net/tcp6",
	    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	    "   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0\n");
}

static void test_ports_of_the_process_sockets_only(void)
{
	__u16 ports[8];
	int n = proc_tcp_ports(root, 42, ports, 8);

	/* 22 (inode 5555) and the accepted 8080<->A2B4 peer (1003) are not its */
	if (CHECK_EQ_INT(n, 3)) {
		CHECK_EQ_INT(ports[0], 8080);
		CHECK_EQ_INT(ports[1], 0xA2B4);
		CHECK_EQ_INT(ports[2], 443);
	}
}

static void test_limits_and_missing_process(void)
{
	__u16 ports[2];

	CHECK_EQ_INT(proc_tcp_ports(root, 42, ports, 2), 2);
	CHECK_EQ_INT(proc_tcp_ports(root, 43, ports, 2), -1);
}

/* --comm NAME: the processes of that name, by their whole name. */
static void test_pids_by_name(void)
{
	pid_t pids[4];

	if (CHECK_EQ_INT(proc_pids_named(root, "nginx", pids, 4), 1))
		CHECK_EQ_INT(pids[0], 42);
	CHECK_EQ_INT(proc_pids_named(root, "nginx-debug", pids, 4), 1);
	CHECK_EQ_INT(proc_pids_named(root, "ngin", pids, 4), 0);
	CHECK_EQ_INT(proc_pids_named(root, "nginx", pids, 0), 0);
	CHECK_EQ_INT(proc_pids_named("/nonexistent", "nginx", pids, 4), 0);
}

int main(void)
{
	char cmd[128];
	int rc;

	make_fake_proc();
	RUN(test_ports_of_the_process_sockets_only);
	RUN(test_limits_and_missing_process);
	RUN(test_pids_by_name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	rc = system(cmd);
	(void)rc;
	return TEST_SUMMARY();
}
