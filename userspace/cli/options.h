/* Command-line options: parsed and checked here, without touching the kernel,
 * so every error message is unit-tested. */
#ifndef SYNSCOPE_OPTIONS_H
#define SYNSCOPE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "bpf/synscope_event.h"
#include "run/run.h"


/* What the command line asks for: tracing (no -r), a replay (-r), merge. */
enum command {
	CMD_TRACE = 1,
	CMD_REPLAY = 2,
	CMD_MERGE = 4,
};

struct options {
	enum command command;
	__u16 ports[SYN_MAX_PORTS];
	int nports;
	__u32 pid;
	__u8 family;          /* AF_INET, AF_INET6, 0 = both */
	enum out_format format;
	enum ladder_style style;
	const char *out_path; /* NULL: standard output */
	const char *write_path; /* -w: record the events to this file (docs/recording.md) */
	const char *read_path;  /* -r: replay this recording instead of tracing */
	bool record_only;     /* -w without -o, -f or a drawing option: nothing drawn */
	bool relative_seq;
	bool verbose;         /* -v: every row drawn, nothing folded */
	bool no_color;
	__u8 explain;         /* enum explain_lang: 0 = off */
	bool lang_set;        /* --lang given (it needs --explain) */
	unsigned int pace_ms; /* --pace: pause between ladder rows */
	int width;            /* --width: columns of the ladder and --style rfc; 0: not given */
	double duration_s;    /* 0: until Ctrl-C or the command exits */
	unsigned int buffer_kb; /* ring buffer size; 0 = default */
	const char *run_as;   /* -Z: user to become once attached; NULL = the sudo caller */
	bool help;
	char **cmd;           /* the command to run and trace, NULL-terminated; or NULL */
	const char *inputs[2]; /* merge: A and B */
	bool has_offset;      /* merge --offset: B's clock minus A's, not estimated */
	__s64 offset_ns;
	bool stats;           /* --stats: the statistics too, at the end and on SIGUSR1 */
	__u64 slower_ns;      /* --slower MS: only connections that opened this slowly */
	bool rst_only;        /* --rst: only connections that ended in a reset */
	char comm[SYN_COMM_LEN]; /* --comm NAME: only this process's ("" = any) */
};

/* Parse argv: one table of options for every command, each refused where
 * it does not apply, or when given twice where it takes one value, with a
 * line that says why. CMD_TRACE also takes -r (then it is a replay); argv[0]
 * is the program or "merge". On error returns -1 with one line (no trailing
 * newline) in err. */
int options_parse_as(enum command cmd, int argc, char **argv, struct options *o, char *err,
		     size_t errlen);
/* options_parse_as(CMD_TRACE, ...) */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);
void options_usage(FILE *f);

#endif
