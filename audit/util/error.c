#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Messages quote input (names, keys, values): control bytes are escaped so
 * every error stays one line that cannot drive the operator's terminal. */
static void make_printable(eia_error *err)
{
	char out[sizeof(err->msg)];
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)err->msg; *p; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			if (o + 1 >= sizeof(out))
				break;
			out[o++] = (char)*p;
			continue;
		}
		if (o + 4 >= sizeof(out))
			break;
		snprintf(out + o, 5, "\\x%02x", *p);
		o += 4;
	}
	out[o] = '\0';
	memcpy(err->msg, out, o + 1);
}

eia_status eia_fail(eia_error *err, eia_status code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	make_printable(err);
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
	make_printable(err);
	return code;
}

void eia_error_clear(eia_error *err)
{
	if (err != NULL) {
		err->code = EIA_OK;
		err->msg[0] = '\0';
	}
}
