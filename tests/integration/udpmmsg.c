/* udpmmsg PORT: two UDP sockets on 127.0.0.1 trade datagrams with
 * sendmmsg() and recvmmsg(), as glibc's resolver sends its A and AAAA
 * queries. The client connects to the server's port and sends two 29-byte
 * queries in one sendmmsg(); the server takes them in one recvmmsg()
 * (MSG_WAITFORONE, room for 4) and answers both in one sendmmsg() to the
 * client's address; the client takes the answers the same way. Prints
 * "LANE CALL RET" for each of the four calls, as they returned.
 * For test_mmsg.sh. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROOM 4
#define QUERY_LEN 29

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("udpmmsg: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	return fd;
}

/* Two datagrams of QUERY_LEN bytes, to `to` (NULL: the connected peer). */
static int send_two(int fd, const struct sockaddr_in *to, char tag)
{
	static char bufs[2][QUERY_LEN];
	struct iovec iov[2];
	struct mmsghdr m[2];
	int n;

	memset(m, 0, sizeof(m));
	for (int i = 0; i < 2; i++) {
		memset(bufs[i], tag + i, QUERY_LEN);
		iov[i] = (struct iovec){ bufs[i], QUERY_LEN };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = (void *)to;
		m[i].msg_hdr.msg_namelen = to ? sizeof(*to) : 0;
	}
	n = sendmmsg(fd, m, 2, 0);
	if (n < 0)
		fail("sendmmsg: %s", strerror(errno));
	return n;
}

/* Whatever has come, at least one datagram; the first sender's address in *from. */
static int recv_some(int fd, struct sockaddr_in *from)
{
	static char bufs[ROOM][64];
	struct iovec iov[ROOM];
	struct mmsghdr m[ROOM];
	int n;

	memset(m, 0, sizeof(m));
	for (int i = 0; i < ROOM; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	m[0].msg_hdr.msg_name = from;
	m[0].msg_hdr.msg_namelen = sizeof(*from);
	n = recvmmsg(fd, m, ROOM, MSG_WAITFORONE, NULL);
	if (n < 0)
		fail("recvmmsg: %s", strerror(errno));
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv = { .sin_family = AF_INET }, peer;
	int s, c, n[4];

	if (argc != 2)
		fail("usage: udpmmsg PORT");
	srv.sin_port = htons((unsigned short)atoi(argv[1]));
	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = udp_socket();
	if (bind(s, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		fail("bind: %s", strerror(errno));
	c = udp_socket();
	if (connect(c, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		fail("connect: %s", strerror(errno));
	n[0] = send_two(c, NULL, 'a');
	n[1] = recv_some(s, &peer);
	n[2] = send_two(s, &peer, 'A');
	n[3] = recv_some(c, &peer);
	close(c);
	close(s);
	printf("client sendmmsg %d\nserver recvmmsg %d\nserver sendmmsg %d\nclient recvmmsg %d\n",
	       n[0], n[1], n[2], n[3]);
	return 0;
}
