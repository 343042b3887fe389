#include "cli/outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/crypto.h"
#include "model/sigfile.h"
#include "report/render.h"
#include "report/report_read.h"
#include "util/buf.h"
#include "util/fileio.h"

eia_status outputs_prepare(report_outputs *o, eia_error *err)
{
	char *pass = NULL;
	int encrypted = 0;
	eia_status st;

	if (o->sign_key == NULL)
		return EIA_OK;
	if ((st = crypto_private_encrypted(o->sign_key, &encrypted, err)) != EIA_OK)
		return st;
	if (!encrypted)
		return crypto_load_private(o->sign_key, NULL, &o->key, err);
	/* ask for the passphrase now, not after a long audit */
	if ((st = passphrase_get(o->passphrase_file, 0, &pass, err)) != EIA_OK)
		return st;
	st = crypto_load_private(o->sign_key, pass, &o->key, err);
	passphrase_free(pass);
	return st;
}

void outputs_release(report_outputs *o)
{
	EVP_PKEY_free(o->key);
	o->key = NULL;
}

eia_status render_json_bytes(const char *name, const char *what, const buf *json,
			     buf *out, eia_error *err)
{
	report_doc *doc = NULL;
	const report_writer *w = render_find(name);
	eia_status st;

	buf_init(out);
	if (w == NULL)
		return eia_fail(err, EIA_EINPUT, "no renderer '%s'", name);
	st = report_read(what, json->data, json->len, &doc, err);
	if (st != EIA_OK)
		return st;
	w->write(doc, out);
	report_doc_free(doc);
	return EIA_OK;
}

static eia_status render_file(const char *name, const char *path, const buf *json,
			      eia_error *err)
{
	buf out;
	eia_status st;

	if (path == NULL)
		return EIA_OK;
	st = render_json_bytes(name, "report", json, &out, err);
	if (st == EIA_OK)
		st = atomic_write(path, out.data, out.len, 0644, err);
	buf_free(&out);
	return st;
}

static eia_status sign_report(const report_outputs *o, const buf *json, eia_error *err)
{
	sigfile sf;
	sig_entry e;
	buf path, text;
	eia_status st;

	memset(&e, 0, sizeof(e));
	if ((st = crypto_keyid(o->key, e.key, err)) != EIA_OK)
		return st;
	e.alg = (sig_alg)crypto_key_alg(o->key);
	if ((st = crypto_sign(o->key, json->data, json->len, &e.sig, &e.sig_len, err)) != EIA_OK)
		return st;
	sigfile_init(&sf);
	sigfile_put(&sf, &e); /* a new report: only this signature is valid on it */
	buf_init(&text);
	sigfile_write(&sf, &text);
	buf_init(&path);
	buf_printf(&path, "%s.sig", o->report);
	st = atomic_write((char *)path.data, text.data, text.len, 0644, err);
	buf_free(&path);
	buf_free(&text);
	sigfile_free(&sf);
	return st;
}

eia_status outputs_write(const report_outputs *o, const report *r, int quiet,
			 eia_error *err)
{
	buf json, text;
	eia_status st = EIA_OK;

	if (quiet && o->report == NULL && o->junit == NULL && o->sarif == NULL &&
	    o->html == NULL && !o->json_stdout)
		return EIA_OK; /* nobody reads the report: do not build it */
	buf_init(&json);
	report_json_write(r, &json);
	if (o->report != NULL)
		st = atomic_write(o->report, json.data, json.len, 0644, err);
	if (st == EIA_OK && o->key != NULL)
		st = sign_report(o, &json, err);
	if (st == EIA_OK)
		st = render_file("junit", o->junit, &json, err);
	if (st == EIA_OK)
		st = render_file("sarif", o->sarif, &json, err);
	if (st == EIA_OK)
		st = render_file("html", o->html, &json, err);
	if (st == EIA_OK && o->json_stdout) {
		fwrite(json.data, 1, json.len, stdout);
	} else if (st == EIA_OK && !quiet) {
		st = render_json_bytes("text", "report", &json, &text, err);
		if (st == EIA_OK)
			fwrite(text.data, 1, text.len, stdout);
		buf_free(&text);
	}
	fflush(stdout);
	buf_free(&json);
	return st;
}

void outputs_write_error(const report_outputs *o, const report *r)
{
	buf json;
	eia_error ignored;

	buf_init(&json);
	report_json_write(r, &json);
	(void)atomic_write(o->report, json.data, json.len, 0644, &ignored);
	buf_free(&json);
}
