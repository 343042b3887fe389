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

#define FUZZ_MAX_INPUT ((size_t)1 << 20)
#define FUZZ_FILE "fuzz.sig"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const char *detail)
{
	fprintf(stderr, "fuzz_sigfile: %s\n%s\n", why, detail ? detail : "");
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
