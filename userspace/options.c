#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "explain.h"
#include "options.h"
#include "textout.h"

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
"                        stream: a line per event as it happens\n"
"                        jsonl: JSON Lines, one object per event (docs/jsonl.md)\n"
"                        html: one web page drawing every connection (docs/html.md)\n"
"                        mermaid: a Mermaid sequence diagram per connection\n"
"                        pcapng: a capture file for Wireshark (-o FILE or a pipe)\n"
"                        (mermaid and pcapng: docs/exports.md)\n"
"      --style S         how the ladder format draws: ladder (default), or rfc:\n"
"                        numbered lines in the notation of RFC 9293's figures\n"
"  -o, --output FILE     write to FILE (no colour)\n"
"  -w, --write FILE      record the events to FILE (gzip if it ends in .gz), for -r;\n"
"                        alone, nothing is drawn: add -o or -f to draw as well\n"
"  -r, --read FILE       replay a recording, as root or not: the same options give\n"
"                        the same output as live; -P, -p, -4, -6 filter it\n"
"  -d, --duration SECS   stop after SECS seconds (a command still running gets SIGTERM)\n"
"      --relative-seq    sequence numbers relative to each end's first SYN\n"
"  -v, --verbose         draw every row: no data run folded into a summary row,\n"
"                        every half-open connection of a flood drawn on its own\n"
"      --no-color        no colour even on a terminal (so does NO_COLOR=1)\n"
"      --explain         say under each row what it means (handshake 1/3, EOF ...)\n"
"      --lang L          language of --explain: en (default) or zh (Simplified Chinese)\n"
"      --pace SECS       slow motion: pause SECS after each ladder row (for a class)\n"
"  -b, --buffer-kb N     each CPU's ring buffer in KiB (power of two; default 32768\n"
"                        for all CPUs together, at least 1024 each)\n"
"  -Z, --user USER       once attached, run as USER (default: the sudo caller;\n"
"                        -Z root keeps root); -o files and the command run as USER\n"
"      --no-payload      the default, and the only mode: payload bytes are never\n"
"                        captured, only header fields and lengths\n"
"  -h, --help            this help\n";

void options_usage(FILE *f)
{
	fputs(usage_text, f);
}

enum {
	OPT_RELATIVE_SEQ = 256, OPT_NO_COLOR, OPT_EXPLAIN, OPT_LANG, OPT_PACE, OPT_STYLE,
	OPT_NO_PAYLOAD,
};

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, 'P' },
	{ "pid", required_argument, NULL, 'p' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "format", required_argument, NULL, 'f' },
	{ "style", required_argument, NULL, OPT_STYLE },
	{ "output", required_argument, NULL, 'o' },
	{ "write", required_argument, NULL, 'w' },
	{ "read", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 'd' },
	{ "buffer-kb", required_argument, NULL, 'b' },
	{ "relative-seq", no_argument, NULL, OPT_RELATIVE_SEQ },
	{ "verbose", no_argument, NULL, 'v' },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "pace", required_argument, NULL, OPT_PACE },
	{ "user", required_argument, NULL, 'Z' },
	{ "no-payload", no_argument, NULL, OPT_NO_PAYLOAD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

static const char *opt_name(int c, char *buf, size_t len)
{
	for (const struct option *lo = long_opts; lo->name; lo++) {
		if (lo->val == c) {
			if (c < 256)
				snprintf(buf, len, "-%c/--%s", c, lo->name);
			else
				snprintf(buf, len, "--%s", lo->name);
			return buf;
		}
	}
	snprintf(buf, len, "-%c", c);
	return buf;
}

/* What -r and -w allow with them. */
static int options_check_files(const struct options *o, char *err, size_t errlen)
{
	if (o->read_path) {
		if (o->cmd) {
			snprintf(err, errlen, "-r and a command exclude each other: a recording is replayed, "
				 "nothing runs");
			return -1;
		}
		if (o->duration_s > 0) {
			snprintf(err, errlen, "-r and -d exclude each other: a replay reads the whole recording");
			return -1;
		}
		if (o->buffer_kb) {
			snprintf(err, errlen, "-r and -b exclude each other: a replay has no ring buffer");
			return -1;
		}
		if (o->write_path && !strcmp(o->read_path, o->write_path)) {
			snprintf(err, errlen, "-r and -w name the same file: '%s'", o->read_path);
			return -1;
		}
		if (o->out_path && !strcmp(o->read_path, o->out_path)) {
			snprintf(err, errlen, "-r and -o name the same file: '%s'", o->read_path);
			return -1;
		}
	}
	if (o->write_path && o->out_path && !strcmp(o->write_path, o->out_path)) {
		snprintf(err, errlen, "-w and -o name the same file: '%s'", o->write_path);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	unsigned long v;
	char name[32];
	bool want_explain = false, draw = false;
	__u8 lang = EXPLAIN_EN;
	int c;

	memset(o, 0, sizeof(*o));
	/* 0, not 1: glibc then also forgets where it was inside a group of
	 * short options (-abc) the last time, which points into old argv */
	optind = 0;
	opterr = 0;
	/* '+': stop at the first non-option, the command to run */
	while ((c = getopt_long(argc, argv, "+:P:p:46f:o:w:r:d:b:Z:hv", long_opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (!parse_ulong(optarg, 1, 65535, &v)) {
				snprintf(err, errlen, "port out of range: '%s' (1-65535)", optarg);
				return -1;
			}
			if (o->nports == SYN_MAX_PORTS) {
				snprintf(err, errlen, "too many ports: at most %d -P options", SYN_MAX_PORTS);
				return -1;
			}
			o->ports[o->nports++] = (__u16)v;
			break;
		case 'p':
			if (!parse_ulong(optarg, 1, INT_MAX, &v)) {
				snprintf(err, errlen, "invalid pid: '%s'", optarg);
				return -1;
			}
			o->pid = (__u32)v;
			break;
		case '4':
		case '6':
			if (o->family && o->family != (c == '4' ? AF_INET : AF_INET6)) {
				snprintf(err, errlen, "-4 and -6 exclude each other (give neither for both)");
				return -1;
			}
			o->family = c == '4' ? AF_INET : AF_INET6;
			break;
		case 'f':
			draw = true;
			if (!strcmp(optarg, "ladder")) {
				o->format = FORMAT_LADDER;
			} else if (!strcmp(optarg, "stream")) {
				o->format = FORMAT_STREAM;
			} else if (!strcmp(optarg, "jsonl")) {
				o->format = FORMAT_JSONL;
			} else if (!strcmp(optarg, "html")) {
				o->format = FORMAT_HTML;
			} else if (!strcmp(optarg, "mermaid")) {
				o->format = FORMAT_MERMAID;
			} else if (!strcmp(optarg, "pcapng")) {
				o->format = FORMAT_PCAPNG;
			} else {
				snprintf(err, errlen,
					 "unknown format: '%s' (ladder, stream, jsonl, html, mermaid or pcapng)",
					 optarg);
				return -1;
			}
			break;
		case 'o':
			draw = true;
			if (!*optarg) {
				snprintf(err, errlen, "empty output file name");
				return -1;
			}
			o->out_path = optarg;
			break;
		case 'w':
		case 'r':
			if (!*optarg) {
				snprintf(err, errlen, "empty %s file name", c == 'w' ? "recording" : "replay");
				return -1;
			}
			*(c == 'w' ? &o->write_path : &o->read_path) = optarg;
			break;
		case 'd': {
			char *end;
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno || *end || !*optarg || !(d > 0) || d > 1e7) {
				snprintf(err, errlen, "invalid duration: '%s' (seconds, > 0)", optarg);
				return -1;
			}
			o->duration_s = d;
			break;
		}
		case 'b':
			if (!parse_ulong(optarg, 4, 1u << 22, &v) || (v & (v - 1))) {
				snprintf(err, errlen, "invalid buffer size: '%s' KiB (a power of two, 4-4194304)",
					 optarg);
				return -1;
			}
			o->buffer_kb = (unsigned int)v;
			break;
		case OPT_STYLE:
			draw = true;
			if (!strcmp(optarg, "ladder")) {
				o->style = STYLE_LADDER;
			} else if (!strcmp(optarg, "rfc")) {
				o->style = STYLE_RFC;
			} else {
				snprintf(err, errlen, "unknown style: '%s' (ladder or rfc)", optarg);
				return -1;
			}
			break;
		case 'Z':
			if (!*optarg) {
				snprintf(err, errlen, "empty user name for -Z");
				return -1;
			}
			o->run_as = optarg;
			break;
		case OPT_NO_PAYLOAD:
			/* nothing to switch off: no payload byte is ever read */
			break;
		case OPT_RELATIVE_SEQ:
			draw = true;
			o->relative_seq = true;
			break;
		case 'v':
			draw = true;
			o->verbose = true;
			break;
		case OPT_NO_COLOR:
			draw = true;
			o->no_color = true;
			break;
		case OPT_PACE: {
			char *end;
			double d;

			draw = true;
			errno = 0;
			d = strtod(optarg, &end);
			if (errno || *end || !*optarg || !(d >= 0) || d > 60) {
				snprintf(err, errlen, "invalid pace: '%s' (seconds between rows, 0-60)",
					 optarg);
				return -1;
			}
			o->pace_ms = (unsigned int)(d * 1000 + 0.5);
			break;
		}
		case OPT_EXPLAIN:
			draw = true;
			want_explain = true;
			break;
		case OPT_LANG:
			if (!strcmp(optarg, "en")) {
				lang = EXPLAIN_EN;
			} else if (!strcmp(optarg, "zh")) {
				lang = EXPLAIN_ZH;
			} else {
				snprintf(err, errlen, "unknown language: '%s' (en or zh)", optarg);
				return -1;
			}
			o->lang_set = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			snprintf(err, errlen, "option %s needs a value",
				 optopt ? opt_name(optopt, name, sizeof(name)) : argv[optind - 1]);
			return -1;
		default:
			if (optopt && !strncmp(argv[optind - 1], "--", 2) && strchr(argv[optind - 1], '='))
				/* --no-color=1: getopt names the option by its value */
				snprintf(err, errlen, "option %.*s takes no value",
					 (int)(strchr(argv[optind - 1], '=') - argv[optind - 1]),
					 argv[optind - 1]);
			else if (optopt && optopt < 256)
				snprintf(err, errlen, "unknown option: -%c", optopt);
			else
				snprintf(err, errlen, "unknown option: %s", argv[optind - 1]);
			return -1;
		}
	}
	if (o->style == STYLE_RFC && o->format != FORMAT_LADDER) {
		snprintf(err, errlen, "--style rfc draws the ladder format only (not -f %s)",
			 o->format == FORMAT_STREAM ? "stream" : "jsonl");
		return -1;
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (o->lang_set && !want_explain) {
		snprintf(err, errlen, "--lang chooses the language of --explain: give --explain too");
		return -1;
	}
	o->explain = want_explain ? lang : EXPLAIN_OFF;
	/* like tcpdump -w: a recording alone draws nothing, and costs least */
	o->record_only = o->write_path && !draw;
	if (o->cmd && o->pid && !o->read_path) {
		snprintf(err, errlen, "-p and a command exclude each other: the command is the process traced");
		return -1;
	}
	return options_check_files(o, err, errlen);
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	int rc = parse_args(argc, argv, o, err, errlen);

	/* messages quote what was typed: keep them one line of plain text */
	if (rc && errlen)
		txt_one_line(err);
	return rc;
}
