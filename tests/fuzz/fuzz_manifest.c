/* fuzz_manifest.c - libFuzzer target for manifest_parse (model/manifest.h).
 *
 * Beyond "no crash, no leak, no undefined behaviour" it checks two promises:
 *  - a failed parse says EIA_EINPUT with a one-line "FILE:..." message (no
 *    raw control characters: main prints it as is);
 *  - a manifest that parses writes back (manifest_write) to a canonical form
 *    that parses again and writes the very same bytes.
 * A broken promise aborts, which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/manifest.h"
#include "util/buf.h"
#include "util/error.h"

#define FUZZ_TARGET "fuzz_manifest"
#define FUZZ_FILE "fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_common.h"

static void check_round_trip(const manifest *m)
{
	manifest again;
	eia_error err;
	buf first, second;

	buf_init(&first);
	buf_init(&second);
	manifest_write(m, &first);
	eia_error_clear(&err);
	if (manifest_parse(FUZZ_FILE, first.data, first.len, &again, &err) != EIA_OK) {
		fprintf(stderr, "%s\n", (const char *)first.data);
		fail("canonical output does not parse again", err.msg);
	}
	manifest_write(&again, &second);
	if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0) {
		fprintf(stderr, "first:\n%s\nsecond:\n%s\n", (const char *)first.data,
			(const char *)second.data);
		fail("canonical output is not stable", NULL);
	}
	manifest_free(&again);
	buf_free(&first);
	buf_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	manifest m;
	eia_error err;
	eia_status st;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	eia_error_clear(&err);
	st = manifest_parse(FUZZ_FILE, data, size, &m, &err);
	if (st == EIA_OK)
		check_round_trip(&m);
	else
		check_error(st, &err);
	manifest_free(&m);
	return 0;
}
