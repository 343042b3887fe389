/* timefmt.h - RFC 3339 timestamps (UTC "Z" or numeric offsets). */
#ifndef EIA_TIMEFMT_H
#define EIA_TIMEFMT_H

#include <stdint.h>
#include <time.h>

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"; returns 0 or -1. */
int rfc3339_parse(const char *s, int64_t *out);
/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (out >= 21 bytes). */
void rfc3339_format(int64_t t, char out[32]);
/* The current time from the system clock (no override: expiry must not be
 * switchable from the environment). */
int64_t eia_now(void);

#endif
