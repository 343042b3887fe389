/* outputs.h - everything `audit` writes once the report model is final:
 * the canonical JSON (--report, --json), its signature (--sign-report), the
 * renderings (--junit, --sarif, --html) and the text summary on stdout.
 * Renderings are made from the canonical JSON bytes, never from a second
 * model, so every format says exactly what the signed report says. */
#ifndef EIA_OUTPUTS_H
#define EIA_OUTPUTS_H

#include <openssl/evp.h>

#include "report/findings.h"
#include "util/error.h"

typedef struct report_outputs {
	const char *report, *sign_key, *passphrase_file;
	const char *junit, *sarif, *html;
	int json_stdout;
	EVP_PKEY *key;        /* loaded by outputs_prepare when signing */
} report_outputs;

/* Loads the report-signing key up front, so a wrong passphrase fails
 * before the audit runs. */
eia_status outputs_prepare(report_outputs *o, eia_error *err);
eia_status outputs_write(const report_outputs *o, const report *r, int quiet,
			 eia_error *err);
/* After an input/I-O error: writes only --report (result "error"),
 * best effort, so the election record shows the audit was attempted. */
void outputs_write_error(const report_outputs *o, const report *r);
void outputs_release(report_outputs *o);

/* Renders canonical report JSON with the named writer into out. */
eia_status render_json_bytes(const char *name, const char *what, const buf *json,
			     buf *out, eia_error *err);

#endif
