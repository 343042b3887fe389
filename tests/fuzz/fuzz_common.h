/* fuzz_common.h - what the YAML parser targets share: the input cap, the
 * abort-with-detail helper, and the one-line error check. Define FUZZ_TARGET
 * (the target's name) and FUZZ_FILE (the name parsers report) first. */
#ifndef EIA_FUZZ_COMMON_H
#define EIA_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define FUZZ_MAX_INPUT ((size_t)1 << 20)

static void fail(const char *why, const char *detail)
{
	fprintf(stderr, FUZZ_TARGET ": %s\n%s\n", why, detail ? detail : "");
	abort();
}

/* EIA_FUZZ_SKIP_MESSAGES=1 keeps only the status check, to fuzz on past a
 * known message defect. */
static int skip_message_check(void)
{
	static int skip = -1;

	if (skip < 0)
		skip = getenv("EIA_FUZZ_SKIP_MESSAGES") != NULL;
	return skip;
}

/* EIA_EINPUT, one line, "FILE:..." prefix: what main prints after "eia: ". */
static void check_error(eia_status st, const eia_error *err)
{
	if (st != EIA_EINPUT)
		fail("parse failure is not EIA_EINPUT", err->msg);
	if (skip_message_check())
		return;
	if (strncmp(err->msg, FUZZ_FILE ":", sizeof(FUZZ_FILE)) != 0)
		fail("error message does not start with the file name", err->msg);
	for (const unsigned char *p = (const unsigned char *)err->msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fail("raw control character in the error message", err->msg);
}

#endif
