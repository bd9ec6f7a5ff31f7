/* Times as the text sinks write them: seconds since a connection began,
 * gaps between rows, wall-clock time. */
#ifndef SYNSCOPE_TEXT_TIME_H
#define SYNSCOPE_TEXT_TIME_H

#include <stddef.h>
#include <linux/types.h>

/* ns as seconds "S.uuuuuu"; fewer decimals when that is wider than width
 * (width <= 0: always 6 decimals). Truncates, never rounds up. */
char *txt_seconds(__u64 ns, int width, char *buf, size_t len);
/* A gap between rows: "+0" (under 1 us), "+9us", "+1234us", "+1.234567s";
 * at most 10 columns. */
char *txt_delta(__u64 ns, char *buf, size_t len);
/* Epoch nanoseconds as "2026-11-23 11:21:37.123456 UTC". */
char *txt_wall_utc(__s64 epoch_ns, char *buf, size_t len);
/* Epoch nanoseconds as the time of day, UTC, to the millisecond: "11:21:37.123". */
char *txt_clock_utc(__s64 epoch_ns, char *buf, size_t len);
/* A duration in milliseconds to the microsecond, truncated: "1000.030";
 * "-" when ns < 0 (not known). */
char *txt_ms(__s64 ns, char *buf, size_t len);

#endif
