/* Socket I/O for the test programs (tcpdemo.c, tcplab.c): every call
 * checked, EINTR retried, anything unexpected is fail()'s one line and exit
 * status 1. The including file defines fail() first: each program names
 * itself in its messages its own way. */
#ifndef SYNSCOPE_SOCK_IO_H
#define SYNSCOPE_SOCK_IO_H

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("write: %s", strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
}

static ssize_t read_some(int fd, char *buf, size_t len)
{
	ssize_t n;

	while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
		;
	return n;
}

/* Reads exactly want; EOF, an error or other bytes fail. */
static void read_expect(int fd, const char *want)
{
	size_t len = strlen(want), got = 0;
	char buf[64];

	if (len > sizeof(buf))
		fail("read_expect: '%s' is longer than %zu bytes", want, sizeof(buf));
	while (got < len) {
		ssize_t n = read_some(fd, buf + got, len - got);

		if (n < 0)
			fail("read: %s; expected \"%.*s\"", strerror(errno), (int)len - 1, want);
		if (n == 0)
			fail("read: EOF after %zu of %zu bytes", got, len);
		got += (size_t)n;
	}
	if (memcmp(buf, want, len) != 0)
		fail("read: unexpected data '%.*s'", (int)len, buf);
}

/* The peer's FIN as seen by the application: read() returns 0. */
static void read_eof(int fd)
{
	char buf[64];
	ssize_t n = read_some(fd, buf, sizeof(buf));

	if (n < 0)
		fail("read: %s; expected 0 (EOF, the peer's FIN)", strerror(errno));
	if (n > 0)
		fail("read: %zd bytes; expected 0 (EOF, the peer's FIN)", n);
}

static void close_checked(int fd)
{
	if (close(fd) < 0)
		fail("close: %s", strerror(errno));
}

#endif
