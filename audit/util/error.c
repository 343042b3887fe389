#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

eia_status eia_fail(eia_error *err, eia_status code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

eia_status eia_fail_errno(eia_error *err, eia_status code, int errnum,
			  const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, ": %s",
		 strerror(errnum));
	return code;
}

void eia_error_clear(eia_error *err)
{
	if (err != NULL) {
		err->code = EIA_OK;
		err->msg[0] = '\0';
	}
}
