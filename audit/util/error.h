/* error.h - one error record that modules fill and only main prints.
 *
 * Every fallible function takes an `eia_error *` and returns an eia_status.
 * The message has the SPEC shape "<what>: <why>"; main prefixes "eia: ". */
#ifndef EIA_ERROR_H
#define EIA_ERROR_H

#include <stddef.h>

typedef enum {
	EIA_OK = 0,      /* success */
	EIA_DRIFT = 1,   /* audit found drift / diff found differences */
	EIA_EINPUT = 2,  /* usage, malformed input, I/O: nothing concluded */
	EIA_ETRUST = 3   /* trust failure */
} eia_status;

typedef struct eia_error {
	eia_status code;
	char msg[1024];
} eia_error;

/* Sets err (if not NULL) and returns code. printf-style. */
eia_status eia_fail(eia_error *err, eia_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with ": strerror(errnum)" appended. */
eia_status eia_fail_errno(eia_error *err, eia_status code, int errnum,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void eia_error_clear(eia_error *err);

#endif
