/* The live collector's scheduling priority (collector_prio.h). */
#include <errno.h>
#include <sys/resource.h>
#include "source/live/collector_prio.h"

int collector_raise_priority(void)
{
	int cur;

	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if (cur == -1 && errno)
		return 0;
	if (cur <= COLLECTOR_NICE || setpriority(PRIO_PROCESS, 0, COLLECTOR_NICE))
		return cur; /* already there, or not allowed: as it was */
	return COLLECTOR_NICE;
}
