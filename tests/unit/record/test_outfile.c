/* Output files: what -o refuses, what a write error leaves behind, and a
 * reader that went away. No root needed: a file size limit (RLIMIT_FSIZE)
 * stands in for a full disk. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test.h"
#include "record/outfile.h"

static char dir[] = "/tmp/synscope-test-outfile.XXXXXX";

/* dir/name, in one of four buffers: a call may take two of them. */
static const char *in_dir(const char *name)
{
	static char paths[4][256];
	static int next;
	char *path = paths[next++ % 4];

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	return path;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The whole file, or "" (static buffer). */
static const char *read_file(const char *path)
{
	static char buf[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* outfile_open(path) must fail with err containing why, and leave no file. */
static void check_refused(const char *path, const char *why)
{
	char err[512] = "";

	CHECK(outfile_open(path, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, why);
	CHECK(!strchr(err, '\n'));
}

static void test_refuses_symlinks(void)
{
	char want[300];

	write_file(in_dir("target"), "precious\n");
	CHECK(symlink(in_dir("target"), in_dir("link")) == 0);
	snprintf(want, sizeof(want), "not writing %s: it is a symbolic link", in_dir("link"));
	check_refused(in_dir("link"), want);
	CHECK_EQ_STR(read_file(in_dir("target")), "precious\n");

	CHECK(symlink(in_dir("nowhere"), in_dir("dangling")) == 0);
	check_refused(in_dir("dangling"), "it is a symbolic link");
	CHECK(access(in_dir("nowhere"), F_OK) != 0);
}

static void test_refuses_what_is_not_a_regular_file(void)
{
	int reader;

	CHECK(mkfifo(in_dir("fifo"), 0600) == 0);
	check_refused(in_dir("fifo"), "a FIFO (-o writes regular files only)");
	/* with a reader the open succeeds: fstat must still say no */
	reader = open(in_dir("fifo"), O_RDONLY | O_NONBLOCK);
	CHECK(reader >= 0);
	check_refused(in_dir("fifo"), "a FIFO (-o writes regular files only)");
	close(reader);
	CHECK(mkdir(in_dir("dir"), 0700) == 0);
	check_refused(in_dir("dir"), "a directory");
	check_refused("/dev/null", "not writing /dev/null: a character device");
	check_refused(in_dir("no/such/dir"), "cannot write");
}

static void test_truncates_a_regular_file(void)
{
	char err[512] = "";
	struct outfile *f;

	write_file(in_dir("old"), "old old old old old old\n");
	f = outfile_open(in_dir("old"), err, sizeof(err));
	if (!CHECK(f != NULL))
		return;
	fputs("new\n", outfile_stream(f));
	CHECK(outfile_commit(f));
	CHECK_EQ_INT(outfile_close(f, err, sizeof(err)), 0);
	CHECK_EQ_STR(read_file(in_dir("old")), "new\n");
}

/* A write that fails halfway cuts the file back to the last commit, and
 * nothing written after that reaches it. */
static void test_write_error_keeps_whole_commits(void)
{
	struct rlimit old, lim = { 4096, RLIM_INFINITY };
	char err[512] = "", line[100];
	size_t linelen = 0;
	struct outfile *f;
	struct stat st;
	bool failed = false;

	f = outfile_open(in_dir("limited"), err, sizeof(err));
	if (!CHECK(f != NULL))
		return;
	fputs("first commit\n", outfile_stream(f));
	CHECK(outfile_commit(f));
	/* past the limit write() fails with EFBIG, as with ENOSPC on a full disk */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim.rlim_max = old.rlim_max;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (int i = 0; i < 200 && !failed; i++) {
		linelen = (size_t)snprintf(line, sizeof(line), "line %03d of a connection that "
					   "will not fit ...........\n", i);
		fputs(line, outfile_stream(f));
		if (i % 10 == 9)
			failed = !outfile_commit(f);
	}
	CHECK(failed);
	CHECK(!outfile_reader_gone(f));
	fputs("after the error\n", outfile_stream(f));
	CHECK(!outfile_commit(f));
	CHECK_EQ_INT(outfile_close(f, err, sizeof(err)), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_CONTAINS(err, "error writing ");
	CHECK_CONTAINS(err, "File too large");
	CHECK(!strchr(err, '\n'));
	/* what is left: whole commits of ten lines after the first */
	CHECK(stat(in_dir("limited"), &st) == 0);
	CHECK(st.st_size <= 4096);
	CHECK(st.st_size > (off_t)strlen("first commit\n"));
	CHECK_EQ_INT((st.st_size - (off_t)strlen("first commit\n")) % (off_t)(10 * linelen), 0);
	CHECK(strncmp(read_file(in_dir("limited")), "first commit\nline 000", 21) == 0);
	CHECK(!strstr(read_file(in_dir("limited")), "after the error"));
}

/* `| head`: the reader closes its end; that is no error. */
static void test_reader_gone_is_not_an_error(void)
{
	char err[512] = "";
	struct outfile *f;
	int p[2], saved = dup(STDOUT_FILENO);

	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	if (!CHECK(pipe(p) == 0) || !CHECK(dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO))
		return;
	close(p[1]);
	f = outfile_stdout();
	fputs("read this\n", outfile_stream(f));
	CHECK(outfile_commit(f));
	close(p[0]); /* the reader goes, with nothing new to write */
	CHECK(!outfile_commit(f));
	CHECK(outfile_reader_gone(f));
	fputs("nobody reads this\n", outfile_stream(f));
	CHECK_EQ_INT(outfile_close(f, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_refuses_symlinks);
	RUN(test_refuses_what_is_not_a_regular_file);
	RUN(test_truncates_a_regular_file);
	RUN(test_write_error_keeps_whole_commits);
	RUN(test_reader_gone_is_not_an_error);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return TEST_SUMMARY();
}
