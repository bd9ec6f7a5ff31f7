/* The kernel's CPU lists (/sys/devices/system/cpu/online: "0-3,6,8-9"). */
#ifndef SYNSCOPE_CPU_LIST_H
#define SYNSCOPE_CPU_LIST_H

#include <stdbool.h>

/* Mark in set[0..n) the CPUs text names (a trailing newline is fine; CPUs
 * past n are left out). Returns how many of set are marked, or -1 when text
 * is not a CPU list. */
int cpu_list_parse(const char *text, bool *set, int n);

#endif
