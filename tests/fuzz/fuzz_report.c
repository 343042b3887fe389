/* fuzz_report.c - libFuzzer target for report_read (report/report_read.h)
 * and the four writers that render what it returns (report/render.h).
 *
 * `eia render` and `eia verify` read reports that may come from anywhere.
 * Checks, besides memory safety: a failed read is EIA_EINPUT with a one-line
 * message; every rendered text, HTML and JUnit document is valid UTF-8
 * without raw control characters (C0 other than tab and newline, DEL, C1) or
 * bidirectional overrides/isolates (render.h); and the SARIF output, which
 * carries names losslessly as JSON data, is valid JSON. A broken promise
 * aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/render.h"
#include "report/report_read.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json_read.h"

#define FUZZ_MAX_INPUT ((size_t)1 << 20)
#define FUZZ_FILE "fuzz-report.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const char *writer, const char *detail)
{
	fprintf(stderr, "fuzz_report: %s%s%s\n%s\n", writer ? writer : "", writer ? ": " : "", why,
		detail ? detail : "");
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
		fail("read failure is not EIA_EINPUT", NULL, err->msg);
	if (skip_message_check())
		return;
	if (strncmp(err->msg, FUZZ_FILE, sizeof(FUZZ_FILE) - 1) != 0)
		fail("error message does not start with the file name", NULL, err->msg);
	for (const unsigned char *p = (const unsigned char *)err->msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fail("raw control character in the error message", NULL, err->msg);
}

/* Length of the UTF-8 sequence at p and its code point, or 0 if invalid. */
static size_t utf8_next(const unsigned char *p, size_t left, unsigned *cp)
{
	size_t n = p[0] < 0x80		 ? 1 :
		   (p[0] & 0xe0) == 0xc0 ? 2 :
		   (p[0] & 0xf0) == 0xe0 ? 3 :
		   (p[0] & 0xf8) == 0xf0 ? 4 :
					   0;

	if (n == 0 || n > left)
		return 0;
	*cp = n == 1 ? p[0] : p[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 2 && *cp < 0x80) || (n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

static int forbidden(unsigned cp)
{
	return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void check_output(const char *writer, const buf *out)
{
	size_t i = 0;

	while (i < out->len) {
		unsigned cp = 0;
		size_t n = utf8_next(out->data + i, out->len - i, &cp);
		char where[64];
		snprintf(where, sizeof(where), "at byte %zu (U+%04X)", i, cp);
		if (n == 0)
			fail("output is not valid UTF-8", writer, where);
		if (forbidden(cp))
			fail("raw control or bidirectional character in the output", writer, where);
		i += n;
	}
}

static void render_all(const report_doc *doc)
{
	static const char *const names[] = {"text", "html", "junit", "sarif"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const report_writer *w = render_find(names[i]);
		buf out;
		if (w == NULL)
			fail("writer missing", names[i], NULL);
		buf_init(&out);
		w->write(doc, &out);
		if (strcmp(names[i], "sarif") != 0) {
			check_output(names[i], &out);
		} else {
			/* data, not display text: strings hold names losslessly
			 * (JSON-escaped); it must be valid JSON */
			jr_node *root = NULL;
			eia_error err;
			eia_error_clear(&err);
			if (jr_parse("sarif", out.data, out.len, &root, &err) != EIA_OK)
				fail("SARIF output is not valid JSON", names[i], err.msg);
			jr_free(root);
		}
		buf_free(&out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	report_doc *doc = NULL;
	eia_error err;
	eia_status st;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	eia_error_clear(&err);
	st = report_read(FUZZ_FILE, data, size, &doc, &err);
	if (st == EIA_OK)
		render_all(doc);
	else
		check_error(st, &err);
	report_doc_free(doc);
	return 0;
}
