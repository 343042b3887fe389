#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli/commands.h"

eia_status cli_uint(const char *opt, const char *s, unsigned long long min,
		    unsigned long long max, unsigned long long *out, eia_error *err)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return eia_fail(err, EIA_EINPUT, "%s: expected a number", opt);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return eia_fail(err, EIA_EINPUT, "%s: '%s' is not a number", opt, s);
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return eia_fail(err, EIA_EINPUT, "%s: %s is too large (at most %llu)",
					opt, s, max);
		v = v * 10 + d;
	}
	if (v < min)
		return eia_fail(err, EIA_EINPUT, "%s: %s is too small (at least %llu)", opt,
				s, min);
	*out = v;
	return EIA_OK;
}

eia_status cli_usage(eia_error *err, const char *command, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return eia_fail(err, EIA_EINPUT, "%s: %s (see 'eia %s --help')", command, why,
			command);
}
