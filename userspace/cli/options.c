#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/strbuf.h"
#include "cli/options.h"
#include "render/explain.h"
#include "source/file/rec_read.h"

static const char usage_text[] =
"usage: synscope [options] [-- command [args...]]\n"
"       synscope -r FILE [options]\n"
"       synscope merge [options] A B    (two hosts' views: synscope merge -h)\n"
"Trace TCP connections: socket calls, state changes and every segment,\n"
"drawn as one ladder per connection. Needs root, except to replay (-r) or merge.\n"
"\n"
"  (no command)          trace the whole system until Ctrl-C or -d\n"
"  -- command args       run the command, trace it and its children until it exits\n"
"\n"
"  -P, --port N          only connections with port N at either end (repeatable, up to 8)\n"
"  -p, --pid N           only process N and its children\n"
"  -4, --ipv4            only IPv4\n"
"  -6, --ipv6            only IPv6\n"
"  -f, --format F        ladder (default): a diagram per connection when it ends\n"
"                        table: a line per connection when it ends (tcplife's look)\n"
"                        stats: statistics at the end and on SIGUSR1 (docs/views.md)\n"
"                        stream: a line per event as it happens\n"
"                        jsonl: JSON Lines, one object per event (docs/jsonl.md)\n"
"                        html: one web page drawing every connection (docs/html.md)\n"
"                        mermaid: a Mermaid sequence diagram per connection\n"
"                        pcapng: a capture file for Wireshark (-o FILE or a pipe)\n"
"                        (mermaid and pcapng: docs/exports.md)\n"
"      --style S         how the ladder format draws: ladder (default), or rfc:\n"
"                        numbered lines in the notation of RFC 9293's figures\n"
"      --top             a live view on the terminal, a screen a second: connections\n"
"                        by state and process, rates, the slowest handshakes\n"
"      --stats           the statistics too, after the output (on stderr for jsonl,\n"
"                        html, mermaid, pcapng); SIGUSR1 says them so far\n"
"      --slower MS       only connections that took at least MS milliseconds to open\n"
"                        (SYN -> SYN-ACK, connect() or the accept wait)\n"
"      --rst             only connections that ended in a reset (refused too)\n"
"      --comm NAME       only connections of processes named NAME (either end)\n"
"  -o, --output FILE     write to FILE (no colour); - is standard output\n"
"      --width N         the ladder's width in columns, 80-200 (default: a terminal's\n"
"                        width up to 100; 100 in a file or a pipe)\n"
"  -w, --write FILE      record the events to FILE (gzip if it ends in .gz), for -r;\n"
"                        alone, nothing is drawn: add -o or -f to draw as well;\n"
"                        - is standard output, a pipe or a file (ssh host synscope -w -)\n"
"  -r, --read FILE       replay a recording, as root or not: the same options give\n"
"                        the same output as live; -P, -p, -4, -6 filter it;\n"
"                        - is standard input (... | synscope -r -, --top too);\n"
"                        or redraw synscope's JSON Lines (docs/merge.md)\n"
"  -d, --duration SECS   stop after SECS seconds, at most 10000000 (a command still\n"
"                        running gets SIGTERM)\n"
"      --relative-seq    sequence numbers relative to each end's first SYN (not jsonl:\n"
"                        it keeps the numbers on the wire)\n"
"  -v, --verbose         draw every row: no data run folded into a summary row,\n"
"                        every half-open connection of a flood drawn on its own\n"
"      --no-color        no colour even on a terminal (so does NO_COLOR=1)\n"
"      --explain         say what each row means (handshake 1/3, EOF ...): under it in\n"
"                        the ladder, comment lines in --style rfc, a list in html,\n"
"                        notes in mermaid, fields in jsonl (not stream, pcapng)\n"
"      --lang L          language of --explain: en (default) or zh (Simplified Chinese)\n"
"      --pace SECS       slow motion: pause SECS after each ladder row, --style rfc\n"
"                        step or stream line (for a class)\n"
"  -b, --buffer-kb N     each CPU's ring buffer in KiB (a power of two, 4-2097152;\n"
"                        default 32768 for all CPUs together, at least 1024 each)\n"
"  -Z, --user USER       once attached, run as USER (default: the sudo caller;\n"
"                        -Z root keeps root); -o files and the command run as USER\n"
"      --no-payload      the default, and the only mode: payload bytes are never\n"
"                        captured, only header fields and lengths\n"
"  -h, --help            this help\n";

void options_usage(FILE *f)
{
	fputs(usage_text, f);
}


/* ---- the one table: trace, replay (-r) and merge take their options here ---- */

enum {
	OPT_RELATIVE_SEQ = 256, OPT_NO_COLOR, OPT_EXPLAIN, OPT_LANG, OPT_PACE, OPT_STYLE,
	OPT_NO_PAYLOAD, OPT_OFFSET, OPT_TOP, OPT_STATS, OPT_SLOWER, OPT_RST, OPT_COMM, OPT_WIDTH,
};

#define BUFFER_KB_MAX (1u << 21) /* 2 GiB a ring: the kernel takes no more */
#define DURATION_MAX 1e7         /* 116 days: anything more is a typo */
#define PACE_MAX 60
#define OFFSET_MAX 1e9           /* 31 years: anything more is a typo */
#define SLOWER_MAX_MS 1e7        /* 2.8 hours: anything more is a typo */

_Static_assert(SYN_MAX_PORTS == 8, "the -P message names the limit");

struct parse {
	struct options *o;
	char *err;
	size_t errlen;
	bool draw, want_explain;
	bool format_given, top;
	__u8 lang;
};

typedef int (*opt_set)(struct parse *p, const char *arg);

/* What is drawn: the format, and for the ladder format its style. */
enum drawing {
	DRAW_LADDER = FORMAT_LADDER, DRAW_STREAM = FORMAT_STREAM, DRAW_JSONL = FORMAT_JSONL,
	DRAW_HTML = FORMAT_HTML, DRAW_MERMAID = FORMAT_MERMAID, DRAW_PCAPNG = FORMAT_PCAPNG,
	DRAW_TABLE = FORMAT_TABLE, DRAW_STATS = FORMAT_STATS, DRAW_TOP = FORMAT_TOP,
	DRAW_RFC, NDRAWINGS
};

struct opt_def {
	const char *name;   /* --name */
	int c;              /* -c, or an OPT_ number */
	bool value;         /* takes one */
	bool once;          /* twice is refused: the last would silently win */
	bool draws;         /* asks for a drawing (with -w: draw as well as record) */
	opt_set set;
	const char *no_trace, *no_replay, *no_merge; /* why not, NULL: it applies */
	const char *const *no_drawing; /* why not, by enum drawing; NULL: it applies to all */
};

static int fail(struct parse *p, const char *fmt, const char *arg)
{
	snprintf(p->err, p->errlen, fmt, arg);
	return -1;
}

/* A whole decimal number in [lo, hi], nothing else in the string. */
static bool parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* A decimal number of seconds in [lo, hi]. */
static bool parse_secs(const char *s, double lo, double hi, bool lo_open, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !*s || !(lo_open ? d > lo : d >= lo) || !(d <= hi))
		return false;
	*out = d;
	return true;
}

static int set_port(struct parse *p, const char *arg)
{
	unsigned long v;

	if (!parse_ulong(arg, 1, 65535, &v))
		return fail(p, "port out of range: '%s' (1-65535)", arg);
	if (p->o->nports == SYN_MAX_PORTS)
		return fail(p, "too many ports: at most %s -P options", "8");
	p->o->ports[p->o->nports++] = (__u16)v;
	return 0;
}

static int set_pid(struct parse *p, const char *arg)
{
	unsigned long v;

	if (!parse_ulong(arg, 1, INT_MAX, &v))
		return fail(p, "invalid pid: '%s'", arg);
	p->o->pid = (__u32)v;
	return 0;
}

static int set_family(struct parse *p, __u8 family)
{
	if (p->o->family && p->o->family != family)
		return fail(p, "%s", "-4 and -6 exclude each other (give neither for both)");
	p->o->family = family;
	return 0;
}

static int set_ipv4(struct parse *p, const char *arg)
{
	(void)arg;
	return set_family(p, AF_INET);
}

static int set_ipv6(struct parse *p, const char *arg)
{
	(void)arg;
	return set_family(p, AF_INET6);
}

static const char *format_name(enum out_format f)
{
	static const char *const names[] = {
		[FORMAT_LADDER] = "ladder", [FORMAT_STREAM] = "stream", [FORMAT_JSONL] = "jsonl",
		[FORMAT_HTML] = "html",     [FORMAT_MERMAID] = "mermaid", [FORMAT_PCAPNG] = "pcapng",
		[FORMAT_TABLE] = "table",   [FORMAT_STATS] = "stats",   [FORMAT_TOP] = "top",
	};

	return names[f];
}

static int set_format(struct parse *p, const char *arg)
{
	for (enum out_format f = FORMAT_LADDER; f < FORMAT_TOP; f++) {
		if (!strcmp(arg, format_name(f))) {
			p->o->format = f;
			p->format_given = true;
			return 0;
		}
	}
	return fail(p, "unknown format: '%s' (ladder, table, stats, stream, jsonl, html, mermaid "
		    "or pcapng)", arg);
}

static int set_style(struct parse *p, const char *arg)
{
	if (!strcmp(arg, "ladder") || !strcmp(arg, "rfc")) {
		p->o->style = arg[0] == 'r' ? STYLE_RFC : STYLE_LADDER;
		return 0;
	}
	return fail(p, "unknown style: '%s' (ladder or rfc)", arg);
}

static int set_path(struct parse *p, const char *arg, const char **dst, const char *what)
{
	if (!*arg)
		return fail(p, "empty %s file name", what);
	*dst = arg;
	return 0;
}

/* "-o -": standard output, as tools that write files take it (and as
 * without -o); it was a file named "-". */
static int set_output(struct parse *p, const char *arg)
{
	if (!strcmp(arg, "-")) {
		p->o->out_path = NULL;
		return 0;
	}
	return set_path(p, arg, &p->o->out_path, "output");
}

/* A recording to standard output or from standard input ("-"), as tcpdump
 * takes -w - and -r -: a live trace on another host watched here through a
 * pipe. Only a named file is cut back to its last commit after a failed
 * write (the shell opened standard output). */
static int set_write(struct parse *p, const char *arg)
{
	return set_path(p, arg, &p->o->write_path, "recording");
}

static int set_read(struct parse *p, const char *arg)
{
	return set_path(p, arg, &p->o->read_path, "replay");
}

static int set_duration(struct parse *p, const char *arg)
{
	if (!parse_secs(arg, 0, DURATION_MAX, true, &p->o->duration_s))
		return fail(p, "invalid duration: '%s' (seconds, more than 0 and at most 10000000)",
			    arg);
	return 0;
}

static int set_buffer(struct parse *p, const char *arg)
{
	unsigned long v;

	if (!parse_ulong(arg, 4, BUFFER_KB_MAX, &v) || (v & (v - 1)))
		return fail(p, "invalid buffer size: '%s' KiB (a power of two, 4-2097152)", arg);
	p->o->buffer_kb = (unsigned int)v;
	return 0;
}

static int set_user(struct parse *p, const char *arg)
{
	if (!*arg)
		return fail(p, "%s", "empty user name for -Z");
	p->o->run_as = arg;
	return 0;
}

static int set_flag(struct parse *p, const char *arg)
{
	(void)p, (void)arg; /* --no-payload: nothing to switch off, no payload byte is ever read */
	return 0;
}

static int set_relative(struct parse *p, const char *arg)
{
	(void)arg;
	p->o->relative_seq = true;
	return 0;
}

static int set_verbose(struct parse *p, const char *arg)
{
	(void)arg;
	p->o->verbose = true;
	return 0;
}

static int set_no_color(struct parse *p, const char *arg)
{
	(void)arg;
	p->o->no_color = true;
	return 0;
}

static int set_explain(struct parse *p, const char *arg)
{
	(void)arg;
	p->want_explain = true;
	return 0;
}

static int set_lang(struct parse *p, const char *arg)
{
	if (!strcmp(arg, "en") || !strcmp(arg, "zh")) {
		p->lang = arg[0] == 'z' ? EXPLAIN_ZH : EXPLAIN_EN;
		p->o->lang_set = true;
		return 0;
	}
	return fail(p, "unknown language: '%s' (en or zh)", arg);
}

static int set_pace(struct parse *p, const char *arg)
{
	double d;

	if (!parse_secs(arg, 0, PACE_MAX, false, &d))
		return fail(p, "invalid pace: '%s' (seconds between rows, 0-60)", arg);
	p->o->pace_ms = (unsigned int)(d * 1000 + 0.5);
	return 0;
}

static int set_width(struct parse *p, const char *arg)
{
	unsigned long v;

	if (!parse_ulong(arg, TEXT_WIDTH_MIN, TEXT_WIDTH_MAX, &v))
		return fail(p, "invalid width: '%s' (columns, 80-200)", arg);
	p->o->width = (int)v;
	return 0;
}

static int set_offset(struct parse *p, const char *arg)
{
	double v;

	if (!parse_secs(arg, -OFFSET_MAX, OFFSET_MAX, false, &v))
		return fail(p, "invalid offset: '%s' (seconds, B's clock minus A's, e.g. -0.25)", arg);
	p->o->has_offset = true;
	p->o->offset_ns = (__s64)(v * 1e9 + (v < 0 ? -0.5 : 0.5));
	return 0;
}

static int set_top(struct parse *p, const char *arg)
{
	(void)arg;
	p->top = true;
	return 0;
}

static int set_stats(struct parse *p, const char *arg)
{
	(void)arg;
	p->o->stats = true;
	return 0;
}

static int set_slower(struct parse *p, const char *arg)
{
	double ms;

	if (!parse_secs(arg, 0, SLOWER_MAX_MS, true, &ms))
		return fail(p, "invalid --slower: '%s' (milliseconds, more than 0, e.g. 0.5 or 200)",
			    arg);
	p->o->slower_ns = (__u64)(ms * 1e6 + 0.5);
	return 0;
}

static int set_rst(struct parse *p, const char *arg)
{
	(void)arg;
	p->o->rst_only = true;
	return 0;
}

/* A process name as the kernel keeps it: at most 15 bytes. */
static int set_comm(struct parse *p, const char *arg)
{
	if (!*arg || strlen(arg) >= SYN_COMM_LEN)
		return fail(p, "invalid --comm: '%s' (a process name, 1-15 bytes, as ps -o comm "
			    "shows it)", arg);
	memset(p->o->comm, 0, sizeof(p->o->comm));
	memcpy(p->o->comm, arg, strlen(arg));
	return 0;
}

static int set_help(struct parse *p, const char *arg)
{
	(void)arg;
	p->o->help = true;
	return 0;
}

#define NOT_LIVE "replay reads a recording: nothing is traced"
#define NOT_FILES "merge reads files: nothing is traced"
#define NOT_NOW "--top shows what happens now, and a file is over: -f table or -f stats"
#define NOT_NOW_FILE NOT_NOW " (a live recording through a pipe takes it: synscope -w - | " \
		     "synscope -r - --top)"
#define NO_ROWS "a view counts whole connections: it draws no rows"
#define NO_SEQ "a view shows no sequence numbers"
#define EXPLAINED_BY "the ladder, --style rfc, -f jsonl, html and mermaid explain"
static const char *const explain_not[NDRAWINGS] = {
	[DRAW_STREAM] = "a row's meaning depends on the rows around it (was this SYN answered?), "
			"and the stream prints each event as it happens; " EXPLAINED_BY,
	[DRAW_PCAPNG] = "a capture holds the packets; " EXPLAINED_BY,
	[DRAW_TABLE] = NO_ROWS "; " EXPLAINED_BY, [DRAW_STATS] = NO_ROWS "; " EXPLAINED_BY,
	[DRAW_TOP] = NO_ROWS "; " EXPLAINED_BY,
};
#define READ_WHOLE "it writes a file to be read whole, at the reader's pace; --pace slows the " \
		   "ladder, --style rfc and -f stream"
static const char *const pace_not[NDRAWINGS] = {
	[DRAW_JSONL] = READ_WHOLE, [DRAW_HTML] = READ_WHOLE, [DRAW_MERMAID] = READ_WHOLE,
	[DRAW_PCAPNG] = READ_WHOLE, [DRAW_TABLE] = NO_ROWS, [DRAW_STATS] = NO_ROWS,
	[DRAW_TOP] = NO_ROWS,
};
#define NO_WIDTH "only the ladder and --style rfc are drawn to a width"
static const char *const width_not[NDRAWINGS] = {
	[DRAW_STREAM] = NO_WIDTH, [DRAW_JSONL] = NO_WIDTH, [DRAW_HTML] = NO_WIDTH,
	[DRAW_MERMAID] = NO_WIDTH, [DRAW_PCAPNG] = NO_WIDTH, [DRAW_TABLE] = NO_WIDTH,
	[DRAW_STATS] = NO_WIDTH, [DRAW_TOP] = NO_WIDTH,
};
static const char *const relative_not[NDRAWINGS] = {
	[DRAW_JSONL] = "JSON Lines keeps the numbers on the wire (a reader counts from each SYN's "
		       "seq: docs/jsonl.md)",
	[DRAW_TABLE] = NO_SEQ, [DRAW_STATS] = NO_SEQ, [DRAW_TOP] = NO_SEQ,
};
static const struct opt_def defs[] = {
	{ "port", 'P', true, false, false, set_port, NULL, NULL, NULL, NULL },
	{ "pid", 'p', true, true, false, set_pid, NULL, NULL,
	  "a pid names a process on one host only", NULL },
	{ "ipv4", '4', false, false, false, set_ipv4, NULL, NULL, NULL, NULL },
	{ "ipv6", '6', false, false, false, set_ipv6, NULL, NULL, NULL, NULL },
	{ "format", 'f', true, true, true, set_format, NULL, NULL, NULL, NULL },
	{ "style", OPT_STYLE, true, true, true, set_style, NULL, NULL, NULL, NULL },
	{ "output", 'o', true, true, true, set_output, NULL, NULL, NULL, NULL },
	{ "write", 'w', true, true, false, set_write, NULL, NULL, NULL, NULL },
	{ "read", 'r', true, true, false, set_read, NULL, NULL, "the inputs are A and B", NULL },
	{ "duration", 'd', true, true, false, set_duration, NULL,
	  "a replay reads the whole recording", NOT_FILES, NULL },
	{ "buffer-kb", 'b', true, true, false, set_buffer, NULL, "a replay has no ring buffer",
	  NOT_FILES, NULL },
	{ "user", 'Z', true, true, false, set_user, NULL,
	  "-Z is the user to become after attaching; a replay attaches nothing and needs no root: "
	  "run it as that user", "-Z is the user to become after attaching; merge attaches nothing "
	  "and needs no root: run it as that user", NULL },
	{ "relative-seq", OPT_RELATIVE_SEQ, false, false, true, set_relative, NULL, NULL, NULL,
	  relative_not },
	{ "verbose", 'v', false, false, true, set_verbose, NULL, NULL, NULL, NULL },
	{ "no-color", OPT_NO_COLOR, false, false, true, set_no_color, NULL, NULL, NULL, NULL },
	{ "explain", OPT_EXPLAIN, false, false, true, set_explain, NULL, NULL, NULL, explain_not },
	{ "lang", OPT_LANG, true, true, false, set_lang, NULL, NULL, NULL, explain_not },
	{ "pace", OPT_PACE, true, true, true, set_pace, NULL, NULL, NULL, pace_not },
	{ "width", OPT_WIDTH, true, true, true, set_width, NULL, NULL, NULL, width_not },
	{ "no-payload", OPT_NO_PAYLOAD, false, false, false, set_flag, NULL, NULL, NULL, NULL },
	{ "offset", OPT_OFFSET, true, true, false, set_offset, "only merge has two clocks",
	  "only merge has two clocks", NULL, NULL },
	{ "top", OPT_TOP, false, false, true, set_top, NULL, NOT_NOW_FILE, NOT_NOW, NULL },
	{ "stats", OPT_STATS, false, false, true, set_stats, NULL, NULL, NULL, NULL },
	{ "slower", OPT_SLOWER, true, true, true, set_slower, NULL, NULL, NULL, NULL },
	{ "rst", OPT_RST, false, false, true, set_rst, NULL, NULL, NULL, NULL },
	{ "comm", OPT_COMM, true, true, false, set_comm, NULL, NULL, NULL, NULL },
	{ "help", 'h', false, false, false, set_help, NULL, NULL, NULL, NULL },
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const struct opt_def *def_of(int c)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (defs[i].c == c)
			return &defs[i];
	return NULL;
}

/* "-f/--format" or "--style". */
static const char *opt_name(const struct opt_def *d, char *buf, size_t len)
{
	if (d->c < 256)
		snprintf(buf, len, "-%c/--%s", d->c, d->name);
	else
		snprintf(buf, len, "--%s", d->name);
	return buf;
}

/* getopt_long's tables, made from defs[]. */
static void getopt_tables(struct option *longs, char *shorts, bool permute)
{
	char *s = shorts;
	size_t n = 0;

	if (!permute)
		*s++ = '+'; /* stop at the first non-option: the command to run */
	*s++ = ':';
	for (size_t i = 0; i < NDEFS; i++) {
		longs[n++] = (struct option){ defs[i].name, defs[i].value ? required_argument
									 : no_argument, NULL, defs[i].c };
		if (defs[i].c < 256) {
			*s++ = (char)defs[i].c;
			if (defs[i].value)
				*s++ = ':';
		}
	}
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';
}

/* What getopt said it could not take. */
static int bad_option(struct parse *p, int c, char **argv)
{
	const char *arg = argv[optind - 1];
	char name[64];

	if (c == ':' && optopt && def_of(optopt))
		return fail(p, "option %s needs a value", opt_name(def_of(optopt), name, sizeof(name)));
	if (c == ':')
		return fail(p, "option %s needs a value", arg);
	if (optopt && !strncmp(arg, "--", 2) && strchr(arg, '=')) {
		/* --no-color=1: getopt names the option by its value */
		snprintf(p->err, p->errlen, "option %.*s takes no value",
			 (int)(strchr(arg, '=') - arg), arg);
		return -1;
	}
	if (optopt && optopt < 256) {
		snprintf(p->err, p->errlen, "unknown option: -%c", optopt);
		return -1;
	}
	return fail(p, "unknown option: %s", arg);
}

/* Each option given, once where once is all it takes, where it applies. */
static int check_given(struct parse *p, enum command cmd, const unsigned int *count)
{
	static const char *const cmd_names[] = { "", "tracing", "replay (-r)", "", "merge" };
	char name[64];

	for (size_t i = 0; i < NDEFS; i++) {
		const struct opt_def *d = &defs[i];
		const char *why = cmd == CMD_TRACE ? d->no_trace : cmd == CMD_REPLAY ? d->no_replay
									      : d->no_merge;

		if (!count[i])
			continue;
		if (d->c == OPT_TOP && cmd == CMD_REPLAY && rec_path_is_std(p->o->read_path))
			why = NULL; /* a live recording through a pipe: replay_main checks */
		if (why) {
			snprintf(p->err, p->errlen, "%s takes no %s: %s", cmd_names[cmd],
				 opt_name(d, name, sizeof(name)), why);
			return -1;
		}
		if (d->once && count[i] > 1) {
			snprintf(p->err, p->errlen, "%s given twice: it takes one value (the last would "
				 "silently win)", opt_name(d, name, sizeof(name)));
			return -1;
		}
	}
	return 0;
}

/* The options and what they ask for, as getopt hands them over. */
static int parse_loop(struct parse *p, int argc, char **argv, bool permute, unsigned int *count)
{
	struct option longs[NDEFS + 1];
	char shorts[3 + 2 * NDEFS];
	int c;

	getopt_tables(longs, shorts, permute);
	/* 0, not 1: glibc then also forgets where it was inside a group of
	 * short options (-abc) the last time, which points into old argv */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct opt_def *d = def_of(c);

		if (!d)
			return bad_option(p, c, argv);
		count[d - defs]++;
		p->draw |= d->draws;
		if (d->set(p, optarg))
			return -1;
		if (p->o->help)
			return 0;
	}
	return 0;
}

/* ---- what the options say together ------------------------------------------ */

/* --top, --stats and the options that choose finished connections. */
static int check_views(struct parse *p)
{
	struct options *o = p->o;
	enum out_format f = o->format;

	if (p->top && p->format_given)
		return fail(p, "--top is a view of its own: not with -f %s", format_name(f));
	if (p->top) {
		o->format = f = FORMAT_TOP;
		if (o->out_path)
			return fail(p, "%s", "--top draws on the terminal: not with -o (-f table or "
				    "-f stats write to files)");
		if (o->stats)
			return fail(p, "%s", "--top is a screen: --stats pages would be drawn over "
				    "(run synscope -f stats beside it)");
	}
	if (o->stats && f == FORMAT_STATS)
		return fail(p, "%s", "--stats with -f stats: the statistics are the output already");
	if ((o->slower_ns || o->rst_only) && f == FORMAT_TOP)
		return fail(p, "%s", "--slower and --rst choose connections once they end; --top "
			    "shows them while they last");
	if ((o->slower_ns || o->rst_only) &&
	    (f == FORMAT_STREAM || f == FORMAT_JSONL || f == FORMAT_PCAPNG))
		return fail(p, "--slower and --rst choose connections once they end; -f %s writes "
			    "them while they last (jsonl: choose from its \"connection\" lines)",
			    format_name(f));
	return 0;
}

/* Each option given where the drawing asked for takes it. */
static int check_drawing(struct parse *p, const unsigned int *count)
{
	const struct options *o = p->o;
	enum drawing d = o->style == STYLE_RFC ? DRAW_RFC : (enum drawing)o->format;
	char name[64];

	for (size_t i = 0; i < NDEFS; i++) {
		const char *why = defs[i].no_drawing ? defs[i].no_drawing[d] : NULL;

		if (!count[i] || !why)
			continue;
		snprintf(p->err, p->errlen, "%s does not apply to %s%s: %s",
			 opt_name(&defs[i], name, sizeof(name)),
			 d == DRAW_RFC ? "--style rfc" : d == DRAW_TOP ? "--top" : "-f ",
			 d == DRAW_RFC || d == DRAW_TOP ? "" : format_name(o->format), why);
		return -1;
	}
	return 0;
}

/* -r, -w and -o: no file both read and written, one standard output. */
static int check_files(struct parse *p)
{
	const struct options *o = p->o;
	bool write_std = rec_path_is_std(o->write_path);

	if (write_std && p->draw && !o->out_path)
		return fail(p, "%s", "-w - and the drawing would both go to standard output: give the "
			    "drawing -o FILE");
	if (write_std && o->cmd)
		return fail(p, "%s", "-w - and a command: the command's own output would go into the "
			    "recording; name a file, or trace it with -p PID");
	if (o->read_path && o->write_path && !write_std && !strcmp(o->read_path, o->write_path))
		return fail(p, "-r and -w name the same file: '%s'", o->read_path);
	if (o->read_path && o->out_path && !strcmp(o->read_path, o->out_path))
		return fail(p, "-r and -o name the same file: '%s'", o->read_path);
	if (o->write_path && o->out_path && !strcmp(o->write_path, o->out_path))
		return fail(p, "-w and -o name the same file: '%s'", o->write_path);
	return 0;
}

static int check_combined(struct parse *p, enum command cmd, const unsigned int *count)
{
	struct options *o = p->o;

	if (check_views(p))
		return -1;
	if (o->style == STYLE_RFC && o->format != FORMAT_LADDER)
		return fail(p, "--style rfc draws the ladder format only (not -f %s)",
			    format_name(o->format));
	if (check_drawing(p, count))
		return -1;
	if (o->lang_set && !p->want_explain)
		return fail(p, "%s", "--lang chooses the language of --explain: give --explain too");
	if (cmd == CMD_REPLAY && o->cmd)
		return fail(p, "%s", "-r and a command exclude each other: a recording is replayed, "
			    "nothing runs");
	if (cmd == CMD_TRACE && o->cmd && o->pid)
		return fail(p, "%s", "-p and a command exclude each other: the command is the "
			    "process traced");
	if (check_files(p))
		return -1;
	o->explain = p->want_explain ? p->lang : EXPLAIN_OFF;
	/* like tcpdump -w: a recording alone draws nothing, and costs least */
	o->record_only = o->write_path && !p->draw;
	return 0;
}

/* merge's two inputs: what is left once the options are taken. */
static int take_inputs(struct parse *p, int argc, char **argv)
{
	int n = argc - optind;

	if (n > 2)
		return fail(p, "merge joins two inputs: '%s' is a third", argv[optind + 2]);
	if (n < 2)
		return fail(p, "%s", "merge needs two inputs, one from each host: synscope merge "
			    "[options] A B");
	for (int i = 0; i < 2; i++)
		if (rec_path_is_std(argv[optind + i]))
			return fail(p, "%s", "merge reads its two inputs by name, not from standard "
				    "input: save it to a file first");
	p->o->inputs[0] = argv[optind];
	p->o->inputs[1] = argv[optind + 1];
	return 0;
}

static int parse_args(int argc, char **argv, enum command want, struct options *o, char *err,
		      size_t errlen)
{
	struct parse p = { .o = o, .err = err, .errlen = errlen, .lang = EXPLAIN_EN };
	unsigned int count[NDEFS] = { 0 };
	enum command cmd;

	memset(o, 0, sizeof(*o));
	if (parse_loop(&p, argc, argv, want == CMD_MERGE, count))
		return -1;
	if (o->help)
		return 0;
	cmd = want == CMD_MERGE ? CMD_MERGE : o->read_path ? CMD_REPLAY : CMD_TRACE;
	o->command = cmd;
	if (check_given(&p, cmd, count))
		return -1;
	if (cmd == CMD_MERGE && take_inputs(&p, argc, argv))
		return -1;
	if (cmd != CMD_MERGE && optind < argc)
		o->cmd = &argv[optind];
	return check_combined(&p, cmd, count);
}

int options_parse_as(enum command cmd, int argc, char **argv, struct options *o, char *err,
		     size_t errlen)
{
	int rc = parse_args(argc, argv, cmd, o, err, errlen);

	/* messages quote what was typed: keep them one line of plain text */
	if (rc && errlen)
		txt_one_line(err);
	return rc;
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	return options_parse_as(CMD_TRACE, argc, argv, o, err, errlen);
}
