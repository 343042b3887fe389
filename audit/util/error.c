#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Code point of the UTF-8 sequence at p (n bytes, 2..4), or -1. */
static long utf8_at(const unsigned char *p, size_t *n)
{
	size_t len = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
		   : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	long cp;

	if (len == 0)
		return -1;
	cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*n = len;
	return cp;
}

/* Invisible or reordering characters that could disguise a message. */
static int hidden(long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Messages quote input (names, keys, values): control bytes, C1 controls
 * and bidirectional overrides are escaped, so every error stays one line
 * that cannot drive or disguise itself on the operator's terminal. */
static void make_printable(eia_error *err)
{
	char out[sizeof(err->msg)];
	const unsigned char *p = (const unsigned char *)err->msg;
	size_t o = 0;

	while (*p) {
		char esc[24];
		size_t n = 1;
		long cp = *p < 0x80 ? *p : utf8_at(p, &n);
		if (cp < 0x20 || cp == 0x7f) /* also -1: not UTF-8 */
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else if (hidden(cp))
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		else
			snprintf(esc, sizeof(esc), "%.*s", (int)n, (const char *)p);
		if (cp < 0x20 || cp == 0x7f) /* also -1: not UTF-8 */
			n = 1;
		if (o + strlen(esc) >= sizeof(out))
			break;
		memcpy(out + o, esc, strlen(esc));
		o += strlen(esc);
		p += n;
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
