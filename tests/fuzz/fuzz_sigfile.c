/* fuzz_sigfile.c - libFuzzer target for sigfile_parse (model/sigfile.h).
 *
 * Checks, besides memory safety: a failed parse is EIA_EINPUT with a one-line
 * "FILE:..." message; a parsed file respects the caps (entries, signature
 * bytes, 64-hex key ids) and sigfile_write's output parses
 * again and writes the very same bytes. A broken promise aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/sigfile.h"
#include "util/buf.h"
#include "util/error.h"

#define FUZZ_TARGET "fuzz_sigfile"
#define FUZZ_FILE "fuzz.sig"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_common.h"

static void check_caps(const sigfile *s)
{
	if (s->n > SIGFILE_MAX_ENTRIES)
		fail("more entries than SIGFILE_MAX_ENTRIES", NULL);
	for (size_t i = 0; i < s->n; i++) {
		const sig_entry *e = &s->v[i];
		if (e->sig_len > SIGFILE_MAX_SIG || (unsigned)e->alg >= ALG_COUNT)
			fail("signature entry over its caps", e->key);
		if (strlen(e->key) != KEYID_HEX_LEN ||
		    strspn(e->key, "0123456789abcdef") != KEYID_HEX_LEN)
			fail("key id is not 64 lowercase hex digits", e->key);
	}
}

static void check_round_trip(const sigfile *s)
{
	sigfile again;
	eia_error err;
	buf first, second;

	buf_init(&first);
	buf_init(&second);
	sigfile_write(s, &first);
	eia_error_clear(&err);
	if (sigfile_parse(FUZZ_FILE, first.data, first.len, &again, &err) != EIA_OK) {
		fprintf(stderr, "%s\n", (const char *)first.data);
		fail("written signature file does not parse again", err.msg);
	}
	sigfile_write(&again, &second);
	if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0)
		fail("written signature file is not stable", (const char *)second.data);
	sigfile_free(&again);
	buf_free(&first);
	buf_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigfile s;
	eia_error err;
	eia_status st;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	eia_error_clear(&err);
	st = sigfile_parse(FUZZ_FILE, data, size, &s, &err);
	if (st == EIA_OK) {
		check_caps(&s);
		check_round_trip(&s);
	} else {
		check_error(st, &err);
	}
	sigfile_free(&s);
	return 0;
}
