/* What synscope needs of the running kernel, tracepoint by tracepoint: which
 * ones it cannot work without, and what is lost without the others. Kept
 * apart from the libbpf code so the decisions are unit-tested. */
#ifndef SYNSCOPE_KERNEL_REQS_H
#define SYNSCOPE_KERNEL_REQS_H

#include <stdbool.h>
#include <stddef.h>

struct tp_req {
	const char *name;  /* tracepoint, as in SEC("tp_btf/NAME") */
	int nargs;         /* arguments the program reads */
	const char *lost;  /* what is not shown without it; NULL: required */
};

/* The requirement for a tracepoint; one not listed is required, with no
 * argument count checked. */
struct tp_req tp_req_find(const char *name);

/* Judge what the kernel offers for tracepoint name: nargs is the number of
 * arguments its BTF declares, -1 when there is no such tracepoint. Returns
 * true when the program can be loaded. Otherwise msg holds one line and
 * *fatal says whether synscope must stop (false: run without it). */
bool tp_req_check(const char *name, int nargs, bool *fatal, char *msg, size_t len);

#endif
