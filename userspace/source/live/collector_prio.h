/* The live collector's scheduling priority. It must drain the rings while
 * the load it traces keeps the CPUs busy: on a busy machine, a collector at
 * normal priority waited up to ~130 ms for a CPU at a time, and rings that
 * fill faster than that lose events (docs/performance.md). It asks for
 * little CPU (a fifth of a core at 370,000 events/s), so running it ahead
 * of the load costs the load little. */
#ifndef SYNSCOPE_COLLECTOR_PRIO_H
#define SYNSCOPE_COLLECTOR_PRIO_H

#define COLLECTOR_NICE (-10)

/* Raise the calling thread to nice COLLECTOR_NICE if it runs at a lower
 * priority and may (CAP_SYS_NICE, root); a command synscope runs is forked
 * before and keeps its own. Returns the nice value it runs at now. */
int collector_raise_priority(void);

#endif
