/* Command-line parsing: every bad input gets one specific line. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "test.h"
#include "render/explain.h"
#include "cli/options.h"

static int parse(struct options *o, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "synscope";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	err[0] = '\0';
	return options_parse(argc, argv, o, err, 256);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_defaults(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, (const char *const[]){ NULL }), 0);
	CHECK_EQ_INT(o.format, FORMAT_LADDER);
	CHECK_EQ_INT(o.style, STYLE_LADDER);
	CHECK_EQ_INT(o.nports, 0);
	CHECK(o.cmd == NULL);
}

static void test_everything_good(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-P", "80", "--port", "443", "-6", "--format", "jsonl",
					   "-o", "x.jsonl", "--no-color", "-d", "2.5",
					   "-b", "1024")), 0);
	CHECK_EQ_INT(o.nports, 2);
	CHECK_EQ_INT(o.ports[0], 80);
	CHECK_EQ_INT(o.ports[1], 443);
	CHECK_EQ_INT(o.family, AF_INET6);
	CHECK_EQ_INT(o.format, FORMAT_JSONL);
	CHECK_EQ_STR(o.out_path, "x.jsonl");
	CHECK(!o.relative_seq && o.no_color);
	CHECK(o.duration_s == 2.5);
	CHECK_EQ_INT(o.buffer_kb, 1024);
}

static void test_every_format_by_name(void)
{
	static const struct {
		const char *name;
		enum out_format want;
	} formats[] = {
		{ "ladder", FORMAT_LADDER }, { "stream", FORMAT_STREAM },
		{ "jsonl", FORMAT_JSONL },   { "html", FORMAT_HTML },
		{ "mermaid", FORMAT_MERMAID }, { "pcapng", FORMAT_PCAPNG },
		{ "table", FORMAT_TABLE },   { "stats", FORMAT_STATS },
	};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct options o;
		char err[256];

		CHECK_EQ_INT(parse(&o, err, ARGS("-f", formats[i].name)), 0);
		CHECK_EQ_INT(o.format, formats[i].want);
		CHECK_EQ_INT(parse(&o, err, ARGS("--format", formats[i].name, "-o", "x")), 0);
		CHECK_EQ_INT(o.format, formats[i].want);
	}
}

static void test_export_formats(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "mermaid")), 0);
	CHECK_EQ_INT(o.format, FORMAT_MERMAID);
	CHECK_EQ_INT(parse(&o, err, ARGS("--format", "pcapng", "-o", "x.pcapng")), 0);
	CHECK_EQ_INT(o.format, FORMAT_PCAPNG);
	CHECK_EQ_STR(o.out_path, "x.pcapng");
}

/* Every format is in the help. */
static void test_usage_lists_formats(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	options_usage(f);
	fclose(f);
	CHECK_CONTAINS(text, "ladder (default)");
	CHECK_CONTAINS(text, "\n                        stream: ");
	CHECK_CONTAINS(text, "\n                        jsonl: ");
	CHECK_CONTAINS(text, "\n                        mermaid: ");
	CHECK_CONTAINS(text, "\n                        pcapng: ");
	CHECK_CONTAINS(text, "\n                        table: ");
	CHECK_CONTAINS(text, "\n                        stats: ");
	CHECK_CONTAINS(text, "\n      --top ");
	free(text);
}

static void test_command_after_dashes_keeps_its_options(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-P", "9000", "--", "curl", "-P", "x")), 0);
	if (CHECK(o.cmd != NULL)) {
		CHECK_EQ_STR(o.cmd[0], "curl");
		CHECK_EQ_STR(o.cmd[1], "-P");
		CHECK_EQ_STR(o.cmd[2], "x");
		CHECK(o.cmd[3] == NULL);
	}
	CHECK_EQ_INT(o.nports, 1);
}

static void test_errors(void)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ { "-P", "0" }, "port out of range: '0' (1-65535)" },
		{ { "-P", "65536" }, "port out of range: '65536' (1-65535)" },
		{ { "-P", "80x" }, "port out of range: '80x' (1-65535)" },
		{ { "-P", "-1" }, "port out of range: '-1' (1-65535)" },
		{ { "-p", "abc" }, "invalid pid: 'abc'" },
		{ { "-p", "0" }, "invalid pid: '0'" },
		{ { "--bogus" }, "unknown option: --bogus" },
		{ { "-z" }, "unknown option: -z" },
		{ { "-4", "-6" }, "-4 and -6 exclude each other (give neither for both)" },
		{ { "--format", "xml" }, "unknown format: 'xml' (ladder, table, stats, stream, jsonl, html, mermaid or pcapng)" },
		{ { "-f", "HTML" }, "unknown format: 'HTML' (ladder, table, stats, stream, jsonl, html, mermaid or pcapng)" },
		{ { "-f", "pcap" }, "unknown format: 'pcap' (ladder, table, stats, stream, jsonl, html, mermaid or pcapng)" },
		{ { "-d", "0" }, "invalid duration: '0' (seconds, more than 0 and at most 10000000)" },
		{ { "-d", "soon" }, "invalid duration: 'soon' (seconds, more than 0 and at most 10000000)" },
		{ { "-d", "10000001" }, "invalid duration: '10000001' (seconds, more than 0 and at most 10000000)" },
		{ { "-b", "1000" }, "invalid buffer size: '1000' KiB (a power of two, 4-2097152)" },
		/* the kernel takes a 2 GiB ring, not a 4 GiB one: the limit is the parser's */
		{ { "-b", "4194304" }, "invalid buffer size: '4194304' KiB (a power of two, 4-2097152)" },
		{ { "-b", "2" }, "invalid buffer size: '2' KiB (a power of two, 4-2097152)" },
		{ { "-o", "" }, "empty output file name" },
		{ { "-P" }, "option -P/--port needs a value" },
		{ { "-p", "5", "--", "ls" }, "-p and a command exclude each other: the command is the process traced" },
		{ { "--style", "fancy" }, "unknown style: 'fancy' (ladder or rfc)" },
		{ { "--style" }, "option --style needs a value" },
		{ { "--style", "rfc", "-f", "jsonl" }, "--style rfc draws the ladder format only (not -f jsonl)" },
		{ { "-f", "stream", "--style", "rfc" }, "--style rfc draws the ladder format only (not -f stream)" },
		{ { "-w", "" }, "empty recording file name" },
		{ { "-w", "-", "-f", "jsonl" }, "-w - and the drawing would both go to standard output: give the drawing -o FILE" },
		{ { "-w", "-", "-o", "-" }, "-w - and the drawing would both go to standard output: give the drawing -o FILE" },
		{ { "-r", "x.rec", "-w", "-", "--explain" }, "-w - and the drawing would both go to standard output: give the drawing -o FILE" },
		{ { "-w", "-", "--", "ls" }, "-w - and a command: the command's own output would go into the recording; name a file, or trace it with -p PID" },
		{ { "-r", "a.rec", "-w", "a.rec" }, "-r and -w name the same file: 'a.rec'" },
		{ { "-r", "" }, "empty replay file name" },
		{ { "-r" }, "option -r/--read needs a value" },
		{ { "-r", "x.gz", "--", "ls" }, "-r and a command exclude each other: a recording is replayed, nothing runs" },
		{ { "-r", "x.gz", "-p", "5", "ls" }, "-r and a command exclude each other: a recording is replayed, nothing runs" },
		{ { "-r", "x.gz", "-d", "5" }, "replay (-r) takes no -d/--duration: a replay reads the whole recording" },
		{ { "-r", "x.gz", "-b", "64" }, "replay (-r) takes no -b/--buffer-kb: a replay has no ring buffer" },
		{ { "-r", "x.gz", "-Z", "nobody" }, "replay (-r) takes no -Z/--user: -Z is the user to become after attaching; a replay attaches nothing and needs no root: run it as that user" },
		{ { "--offset", "1" }, "tracing takes no --offset: only merge has two clocks" },
		{ { "-r", "x.gz", "--offset", "1" }, "replay (-r) takes no --offset: only merge has two clocks" },
		/* one value each: the last would win silently */
		{ { "-o", "a", "-o", "b" }, "-o/--output given twice: it takes one value (the last would silently win)" },
		{ { "-f", "jsonl", "-f", "html" }, "-f/--format given twice: it takes one value (the last would silently win)" },
		{ { "-w", "a", "-w", "b" }, "-w/--write given twice: it takes one value (the last would silently win)" },
		{ { "-r", "a", "-r", "b" }, "-r/--read given twice: it takes one value (the last would silently win)" },
		{ { "--style", "rfc", "--style", "ladder" }, "--style given twice: it takes one value (the last would silently win)" },
		{ { "-f", "html", "--style", "rfc" }, "--style rfc draws the ladder format only (not -f html)" },
		{ { "-f", "mermaid", "--style", "rfc" }, "--style rfc draws the ladder format only (not -f mermaid)" },
		{ { "-f", "pcapng", "--style", "rfc" }, "--style rfc draws the ladder format only (not -f pcapng)" },
		/* what was typed is quoted, control bytes and all, as one plain line */
		{ { "-f", "x\033[2J\ny" }, "unknown format: 'x?[2J?y' (ladder, table, stats, stream, jsonl, html, mermaid or pcapng)" },
		{ { "-r", "x.gz", "-w", "x.gz" }, "-r and -w name the same file: 'x.gz'" },
		{ { "-r", "x.gz", "-o", "x.gz" }, "-r and -o name the same file: 'x.gz'" },
		{ { "-w", "x.gz", "-o", "x.gz" }, "-w and -o name the same file: 'x.gz'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct options o;
		char err[256];

		CHECK_EQ_INT(parse(&o, err, cases[i].args), -1);
		CHECK_EQ_STR(err, cases[i].msg);
		CHECK(!strchr(err, '\n'));
	}
}

/* "-o -" is standard output, as without -o: no file named "-". */
static void test_output_dash_is_stdout(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-o", "-")), 0);
	CHECK(o.out_path == NULL);
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "jsonl", "-o", "-", "-w", "x.rec")), 0);
	CHECK(o.out_path == NULL);
	CHECK_EQ_STR(o.write_path, "x.rec");
	CHECK(!o.record_only);
	CHECK_EQ_INT(parse(&o, err, ARGS("-o", "./-")), 0);
	CHECK_EQ_STR(o.out_path, "./-"); /* a file of that name, asked for so */
}

/* -w - and -r -, as tcpdump takes them: a recording through a pipe, from
 * another host or into another synscope. */
static void test_recording_dash_is_a_pipe(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-w", "-", "-P", "80")), 0);
	CHECK_EQ_STR(o.write_path, "-");
	CHECK(o.record_only);
	CHECK_EQ_INT(parse(&o, err, ARGS("-w", "-", "-o", "lesson.txt")), 0);
	CHECK_EQ_STR(o.out_path, "lesson.txt");
	CHECK(!o.record_only);
	CHECK_EQ_INT(parse(&o, err, ARGS("-r", "-", "-w", "-", "-P", "80")), 0);
	CHECK_EQ_INT(o.command, CMD_REPLAY);
	CHECK_EQ_STR(o.read_path, "-");
	CHECK_EQ_STR(o.write_path, "-");
	CHECK_EQ_INT(parse(&o, err, ARGS("-r", "-", "-f", "jsonl")), 0);
	CHECK_EQ_STR(o.read_path, "-");
	CHECK(o.out_path == NULL);
}

/* --style picks the drawing of the ladder format, before or after -f. */
static void test_style(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("--style", "rfc")), 0);
	CHECK_EQ_INT(o.style, STYLE_RFC);
	CHECK_EQ_INT(o.format, FORMAT_LADDER);
	CHECK_EQ_INT(parse(&o, err, ARGS("--style", "rfc", "-f", "ladder")), 0);
	CHECK_EQ_INT(o.style, STYLE_RFC);
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "ladder", "--style", "ladder")), 0);
	CHECK_EQ_INT(o.style, STYLE_LADDER);
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "jsonl", "--style", "ladder")), 0);
	CHECK_EQ_INT(o.format, FORMAT_JSONL);
}

/* -w records alongside any format; -r replays with the filters and formats. */
static void test_record_and_replay(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-w", "rec.gz", "-f", "jsonl", "-o", "x", "--", "ls")), 0);
	CHECK_EQ_STR(o.write_path, "rec.gz");
	CHECK(o.read_path == NULL);
	CHECK(o.cmd != NULL);
	CHECK_EQ_INT(parse(&o, err, ARGS("--read", "rec.gz", "-P", "80", "-p", "42", "-6",
					   "--format", "stream", "--write", "part.gz")), 0);
	CHECK_EQ_STR(o.read_path, "rec.gz");
	CHECK_EQ_STR(o.write_path, "part.gz");
	CHECK_EQ_INT(o.pid, 42);
	CHECK_EQ_INT(o.nports, 1);
	CHECK(o.cmd == NULL);
	CHECK(!o.record_only);
}

/* -w alone records and draws nothing; any output or drawing option draws. */
static void test_record_only(void)
{
	static const char *const draws[][2] = {
		{ "-o", "x" }, { "-f", "ladder" }, { "--explain", NULL }, { "--style", "rfc" },
		{ "--pace", "0" }, { "--relative-seq", NULL }, { "--no-color", NULL },
	};
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-w", "rec", "-P", "80", "--", "ls")), 0);
	CHECK(o.record_only);
	CHECK_EQ_INT(parse(&o, err, ARGS("-r", "a.gz", "-P", "80", "-w", "b.gz")), 0);
	CHECK(o.record_only);
	CHECK_EQ_INT(parse(&o, err, ARGS("-P", "80")), 0);
	CHECK(!o.record_only);
	for (size_t i = 0; i < sizeof(draws) / sizeof(draws[0]); i++) {
		const char *args[] = { "-w", "rec", draws[i][0], draws[i][1], NULL };

		CHECK_EQ_INT(parse(&o, err, args), 0);
		if (!CHECK(!o.record_only))
			fprintf(stderr, "  with %s\n", draws[i][0]);
	}
}

static void test_too_many_ports(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-P", "1", "-P", "2", "-P", "3", "-P", "4", "-P", "5",
					   "-P", "6", "-P", "7", "-P", "8", "-P", "9")), -1);
	CHECK_EQ_STR(err, "too many ports: at most 8 -P options");
}

static void test_explain_and_lang(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("--explain")), 0);
	CHECK_EQ_INT(o.explain, EXPLAIN_EN);
	CHECK_EQ_INT(parse(&o, err, ARGS("--lang", "zh", "--explain")), 0);
	CHECK_EQ_INT(o.explain, EXPLAIN_ZH);
	CHECK_EQ_INT(parse(&o, err, ARGS("--explain", "--lang=en")), 0);
	CHECK_EQ_INT(o.explain, EXPLAIN_EN);
	CHECK_EQ_INT(parse(&o, err, (const char *const[]){ NULL }), 0);
	CHECK_EQ_INT(o.explain, EXPLAIN_OFF);
	CHECK_EQ_INT(parse(&o, err, ARGS("--explain", "--lang", "fr")), -1);
	CHECK_EQ_STR(err, "unknown language: 'fr' (en or zh)");
	CHECK_EQ_INT(parse(&o, err, ARGS("--lang", "zh")), -1);
	CHECK_EQ_STR(err, "--lang chooses the language of --explain: give --explain too");
	CHECK_EQ_INT(parse(&o, err, ARGS("--pace", "0.5")), 0);
	CHECK_EQ_INT(o.pace_ms, 500);
	CHECK_EQ_INT(parse(&o, err, ARGS("--pace", "-1")), -1);
	CHECK_EQ_STR(err, "invalid pace: '-1' (seconds between rows, 0-60)");
}

/* Each drawing option works with each format, or is refused with one line
 * that says why (--explain with -f html, mermaid and --style rfc was
 * silently ignored, so was --pace with -f stream). */
static void test_options_by_format(void)
{
	static const char *const explained[][4] = {
		{ "-f", "ladder" }, { "--style", "rfc" }, { "-f", "jsonl" }, { "-f", "html" },
		{ "-f", "mermaid" },
	};
	static const char *const paced[][2] = {
		{ "-f", "ladder" }, { "--style", "rfc" }, { "-f", "stream" },
	};
	static const char *const unpaced[] = { "jsonl", "html", "mermaid", "pcapng" };
	struct options o;
	char err[256];

	for (size_t i = 0; i < sizeof(explained) / sizeof(explained[0]); i++) {
		const char *args[] = { explained[i][0], explained[i][1], "--explain", "--lang", "zh",
				       "-o", "x", NULL };

		if (!CHECK_EQ_INT(parse(&o, err, args), 0))
			fprintf(stderr, "  %s %s: %s\n", explained[i][0], explained[i][1], err);
		CHECK_EQ_INT(o.explain, EXPLAIN_ZH);
	}
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "stream", "--explain")), -1);
	CHECK_EQ_STR(err, "--explain does not apply to -f stream: a row's meaning depends on the "
		     "rows around it (was this SYN answered?), and the stream prints each event as it "
		     "happens; the ladder, --style rfc, -f jsonl, html and mermaid explain");
	CHECK_EQ_INT(parse(&o, err, ARGS("--explain", "-f", "pcapng", "-o", "x")), -1);
	CHECK_EQ_STR(err, "--explain does not apply to -f pcapng: a capture holds the packets; the "
		     "ladder, --style rfc, -f jsonl, html and mermaid explain");
	for (size_t i = 0; i < sizeof(paced) / sizeof(paced[0]); i++) {
		const char *args[] = { paced[i][0], paced[i][1], "--pace", "1", NULL };

		if (!CHECK_EQ_INT(parse(&o, err, args), 0))
			fprintf(stderr, "  %s %s: %s\n", paced[i][0], paced[i][1], err);
		CHECK_EQ_INT(o.pace_ms, 1000);
	}
	for (size_t i = 0; i < sizeof(unpaced) / sizeof(unpaced[0]); i++) {
		char want[256];

		CHECK_EQ_INT(parse(&o, err, ARGS("-f", unpaced[i], "--pace", "1", "-o", "x")), -1);
		snprintf(want, sizeof(want), "--pace does not apply to -f %s: it writes a file to be "
			 "read whole, at the reader's pace; --pace slows the ladder, --style rfc and "
			 "-f stream", unpaced[i]);
		CHECK_EQ_STR(err, want);
	}
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "jsonl", "--relative-seq")), -1);
	CHECK_EQ_STR(err, "--relative-seq does not apply to -f jsonl: JSON Lines keeps the numbers "
		     "on the wire (a reader counts from each SYN's seq: docs/jsonl.md)");
	/* merge and replay take the same table */
	CHECK_EQ_INT(parse(&o, err, ARGS("-r", "a.gz", "-f", "stream", "--explain")), -1);
	CHECK_CONTAINS(err, "--explain does not apply to -f stream: ");
}

/* --width N: the ladder's and --style rfc's width for a file (a terminal's
 * own width is taken when it is not given). */
static void test_width(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, (const char *const[]){ NULL }), 0);
	CHECK_EQ_INT(o.width, 0);
	CHECK_EQ_INT(parse(&o, err, ARGS("--width", "80", "-o", "x.txt")), 0);
	CHECK_EQ_INT(o.width, 80);
	CHECK_EQ_INT(parse(&o, err, ARGS("--style", "rfc", "--width=200")), 0);
	CHECK_EQ_INT(o.width, 200);
	CHECK_EQ_INT(parse(&o, err, ARGS("--width", "79")), -1);
	CHECK_EQ_STR(err, "invalid width: '79' (columns, 80-200)");
	CHECK_EQ_INT(parse(&o, err, ARGS("--width", "201")), -1);
	CHECK_EQ_INT(parse(&o, err, ARGS("--width", "wide")), -1);
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "html", "--width", "80")), -1);
	CHECK_EQ_STR(err, "--width does not apply to -f html: only the ladder and --style rfc are "
		     "drawn to a width");
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "stream", "--width", "80")), -1);
	CHECK_EQ_STR(err, "--width does not apply to -f stream: only the ladder and --style rfc are "
		     "drawn to a width");
}

/* -Z and --no-payload (docs/reliability.md) */
static void test_user_and_no_payload(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, (const char *const[]){ NULL }), 0);
	CHECK(o.run_as == NULL);
	CHECK_EQ_INT(parse(&o, err, ARGS("-Z", "nobody", "--no-payload", "-P", "80")), 0);
	CHECK_EQ_STR(o.run_as, "nobody");
	CHECK_EQ_INT(o.nports, 1);
	CHECK_EQ_INT(parse(&o, err, ARGS("--user=root")), 0);
	CHECK_EQ_STR(o.run_as, "root");
	CHECK_EQ_INT(parse(&o, err, ARGS("-Z", "")), -1);
	CHECK_EQ_STR(err, "empty user name for -Z");
	CHECK_EQ_INT(parse(&o, err, ARGS("-Z")), -1);
	CHECK_EQ_STR(err, "option -Z/--user needs a value");
	CHECK_EQ_INT(parse(&o, err, ARGS("--no-payload=yes")), -1);
	CHECK_EQ_STR(err, "option --no-payload takes no value");
}

/* Every limit of the option table, exactly at it and one past it (or the
 * nearest value past it that is otherwise valid: -b takes powers of two). */
static void test_limits_exactly(void)
{
	static const struct {
		const char *opt, *ok, *bad, *msg; /* msg: %s is the bad value */
	} cases[] = {
		{ "-P", "1", "0", "port out of range: '%s' (1-65535)" },
		{ "-P", "65535", "65536", "port out of range: '%s' (1-65535)" },
		{ "-p", "1", "0", "invalid pid: '%s'" },
		{ "-p", "2147483647", "2147483648", "invalid pid: '%s'" },      /* INT_MAX */
		{ "-b", "4", "2", "invalid buffer size: '%s' KiB (a power of two, 4-2097152)" },
		{ "-b", "2097152", "4194304", "invalid buffer size: '%s' KiB (a power of two, 4-2097152)" },
		{ "-b", "8", "6", "invalid buffer size: '%s' KiB (a power of two, 4-2097152)" },
		{ "-d", "10000000", "10000000.001",
		  "invalid duration: '%s' (seconds, more than 0 and at most 10000000)" },
		{ "-d", "0.000001", "0", "invalid duration: '%s' (seconds, more than 0 and at most 10000000)" },
		{ "-d", "0.000001", "-0.000001",
		  "invalid duration: '%s' (seconds, more than 0 and at most 10000000)" },
		{ "--pace", "0", "-0.001", "invalid pace: '%s' (seconds between rows, 0-60)" },
		{ "--pace", "60", "60.001", "invalid pace: '%s' (seconds between rows, 0-60)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct options o;
		char err[256], want[256];

		if (!CHECK_EQ_INT(parse(&o, err, ARGS(cases[i].opt, cases[i].ok)), 0))
			fprintf(stderr, "  %s %s: %s\n", cases[i].opt, cases[i].ok, err);
		CHECK_EQ_INT(parse(&o, err, ARGS(cases[i].opt, cases[i].bad)), -1);
		snprintf(want, sizeof(want), cases[i].msg, cases[i].bad);
		CHECK_EQ_STR(err, want);
	}
}

/* ... and the values taken at the limits are the values given. */
static void test_limit_values_kept(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-P", "65535", "-P", "1", "-p", "2147483647", "-b", "4")), 0);
	CHECK_EQ_INT(o.ports[0], 65535);
	CHECK_EQ_INT(o.ports[1], 1);
	CHECK_EQ_INT(o.pid, 2147483647);
	CHECK_EQ_INT(o.buffer_kb, 4);
	CHECK_EQ_INT(parse(&o, err, ARGS("-b", "2097152", "-d", "10000000", "--pace", "60")), 0);
	CHECK_EQ_INT(o.buffer_kb, 2097152);
	CHECK(o.duration_s == 10000000.0);
	CHECK_EQ_INT(o.pace_ms, 60000);
	CHECK_EQ_INT(parse(&o, err, ARGS("--pace", "0.0004")), 0);
	CHECK_EQ_INT(o.pace_ms, 0);     /* rounded to the nearest ms */
	CHECK_EQ_INT(parse(&o, err, ARGS("--pace", "0.0005")), 0);
	CHECK_EQ_INT(o.pace_ms, 1);
	/* 8 ports is the most (SYN_MAX_PORTS): all kept; the 9th is refused (test_too_many_ports) */
	CHECK_EQ_INT(parse(&o, err, ARGS("-P", "1", "-P", "2", "-P", "3", "-P", "4", "-P", "5",
					   "-P", "6", "-P", "7", "-P", "8")), 0);
	CHECK_EQ_INT(o.nports, 8);
	CHECK_EQ_INT(o.ports[7], 8);
}

/* merge's --offset: at most 1e9 s either way (31 years: more is a typo). */
static void test_limit_offset(void)
{
	static const char *const ok[] = { "1000000000", "-1000000000", "0", "-0.25" };
	static const char *const bad[] = { "1000000000.5", "-1000000000.5", "1e10", "nan", "inf", "" };
	static const __s64 ok_ns[] = { 1000000000ll * 1000000000ll, -1000000000ll * 1000000000ll, 0,
				       -250000000 };
	struct options o;
	char err[256], want[160];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *argv[] = { "merge", "--offset", (char *)ok[i], "a", "b", NULL };

		if (!CHECK_EQ_INT(options_parse_as(CMD_MERGE, 5, argv, &o, err, sizeof(err)), 0))
			fprintf(stderr, "  --offset %s: %s\n", ok[i], err);
		CHECK(o.has_offset);
		CHECK_EQ_INT(o.offset_ns, ok_ns[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "merge", "--offset", (char *)bad[i], "a", "b", NULL };

		CHECK_EQ_INT(options_parse_as(CMD_MERGE, 5, argv, &o, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "invalid offset: '%s' (seconds, B's clock minus A's, "
			 "e.g. -0.25)", bad[i]);
		CHECK_EQ_STR(err, want);
	}
}

/* Found by fuzz_options: a parse that stopped inside a group of short
 * options (-4x: -4, then the unknown -x) left glibc pointing into that argv;
 * the next parse, with other strings, must not read it. */
static void test_parse_after_a_stopped_group(void)
{
	struct options o;
	char err[256];
	char *first = strdup("-4x"), *second = strdup("-6");
	char *argv1[] = { "synscope", first, NULL }, *argv2[] = { "synscope", second, NULL };

	CHECK_EQ_INT(options_parse(2, argv1, &o, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "unknown option: -x");
	free(first);
	CHECK_EQ_INT(options_parse(2, argv2, &o, err, sizeof(err)), 0);
	CHECK_EQ_INT(o.family, AF_INET6);
	free(second);
}

/* Found by fuzz_options: an error quoting what was typed stays one line. */
static void test_error_quoting_control_bytes(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "a\nb\033[31m")), -1);
	CHECK_EQ_STR(err, "unknown format: 'a?b?[31m' (ladder, table, stats, stream, jsonl, html, mermaid or pcapng)");
}

/* The views' options: --top, --stats, and the choice of connections. */
static void test_views(void)
{
	struct options o;
	char err[256];

	CHECK_EQ_INT(parse(&o, err, ARGS("--top", "-P", "80")), 0);
	CHECK_EQ_INT(o.format, FORMAT_TOP);
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "table", "--stats", "--slower", "1.5", "--rst",
					   "--comm", "nginx")), 0);
	CHECK_EQ_INT(o.format, FORMAT_TABLE);
	CHECK(o.stats && o.rst_only);
	CHECK_EQ_INT(o.slower_ns, 1500000);
	CHECK_EQ_STR(o.comm, "nginx");
	CHECK_EQ_INT(parse(&o, err, ARGS("--slower", "0.001")), 0);
	CHECK_EQ_INT(o.slower_ns, 1000);
	CHECK_EQ_INT(o.format, FORMAT_LADDER); /* --slower draws: the ladders of slow ones */
	CHECK_EQ_INT(parse(&o, err, ARGS("-w", "x.rec", "--rst")), 0);
	CHECK(!o.record_only);
	CHECK_EQ_INT(parse(&o, err, ARGS("-w", "x.rec", "--comm", "ab")), 0);
	CHECK(o.record_only); /* a filter: it chooses what is recorded, it draws nothing */
	CHECK_EQ_INT(parse(&o, err, ARGS("-f", "jsonl", "--comm", "ab", "--stats")), 0);
}

static void test_views_refused(void)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ { "--top", "-f", "table" }, "--top is a view of its own: not with -f table" },
		{ { "--top", "-o", "x" },
		  "--top draws on the terminal: not with -o (-f table or -f stats write to files)" },
		{ { "--top", "--stats" },
		  "--top is a screen: --stats pages would be drawn over (run synscope -f stats beside it)" },
		{ { "-f", "stats", "--stats" },
		  "--stats with -f stats: the statistics are the output already" },
		{ { "-f", "jsonl", "--rst" }, "--slower and --rst choose connections once they end; "
		  "-f jsonl writes them while they last (jsonl: choose from its \"connection\" lines)" },
		{ { "--slower", "5", "-f", "stream" }, "--slower and --rst choose connections once they "
		  "end; -f stream writes them while they last (jsonl: choose from its \"connection\" "
		  "lines)" },
		{ { "--top", "--rst" },
		  "--slower and --rst choose connections once they end; --top shows them while they last" },
		{ { "--slower", "0" }, "invalid --slower: '0' (milliseconds, more than 0, e.g. 0.5 or 200)" },
		{ { "--slower", "fast" },
		  "invalid --slower: 'fast' (milliseconds, more than 0, e.g. 0.5 or 200)" },
		{ { "--comm", "" },
		  "invalid --comm: '' (a process name, 1-15 bytes, as ps -o comm shows it)" },
		{ { "--comm", "0123456789abcdef" }, "invalid --comm: '0123456789abcdef' (a process name, "
		  "1-15 bytes, as ps -o comm shows it)" },
		{ { "-r", "x.rec", "--top" }, "replay (-r) takes no --top: --top shows what happens now, "
		  "and a file is over: -f table or -f stats (a live recording through a pipe takes "
		  "it: synscope -w - | synscope -r - --top)" },
		{ { "-f", "top" },
		  "unknown format: 'top' (ladder, table, stats, stream, jsonl, html, mermaid or pcapng)" },
	};
	struct options o;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_INT(parse(&o, err, cases[i].args), -1);
		CHECK_EQ_STR(err, cases[i].msg);
	}
	CHECK_EQ_INT(options_parse_as(CMD_MERGE, 4, (char *[]){ "merge", "--top", "a", "b", NULL },
				      &o, err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "merge takes no --top: --top shows what happens now, and a file is over: "
		     "-f table or -f stats");
	/* standard input may be a live recording: replay_main looks */
	CHECK_EQ_INT(parse(&o, err, ARGS("-r", "-", "--top")), 0);
	CHECK_EQ_INT(o.format, FORMAT_TOP);
	CHECK_EQ_INT(options_parse_as(CMD_MERGE, 5, (char *[]){ "merge", "-f", "table", "a", "b",
								 NULL }, &o, err, sizeof(err)), 0);
}

int main(void)
{
	RUN(test_output_dash_is_stdout);
	RUN(test_recording_dash_is_a_pipe);
	RUN(test_defaults);
	RUN(test_everything_good);
	RUN(test_every_format_by_name);
	RUN(test_export_formats);
	RUN(test_usage_lists_formats);
	RUN(test_command_after_dashes_keeps_its_options);
	RUN(test_errors);
	RUN(test_style);
	RUN(test_record_and_replay);
	RUN(test_record_only);
	RUN(test_too_many_ports);
	RUN(test_limits_exactly);
	RUN(test_limit_values_kept);
	RUN(test_limit_offset);
	RUN(test_explain_and_lang);
	RUN(test_options_by_format);
	RUN(test_width);
	RUN(test_parse_after_a_stopped_group);
	RUN(test_error_quoting_control_bytes);
	RUN(test_user_and_no_payload);
	RUN(test_views);
	RUN(test_views_refused);
	return TEST_SUMMARY();
}
