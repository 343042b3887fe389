/* render_sarif.c - SARIF 2.1.0 for code-scanning dashboards: one rule per
 * finding kind used, one result per finding (error for fail, warning for
 * warn) located at the percent-encoded path, with the member chain as
 * logical locations and member, region, chunk, expected and actual as
 * properties. Built on the one JSON emitter (util/json.h). */
#include <stdlib.h>
#include <string.h>

#include "report/render.h"
#include "util/json.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* RFC 3986: keep unreserved characters and '/', percent-encode the rest
 * (UTF-8 bytes, so non-ASCII names stay lossless). */
static void uri_escape(buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~' || c == '/') {
			buf_addc(out, (char)c);
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		}
	}
}

static void uri_str(json_w *w, const char *key, const char *path, const char *path_hex)
{
	size_t len;
	char *raw = render_path_raw(path, path_hex, &len);
	buf uri;

	buf_init(&uri);
	uri_escape(&uri, raw, len);
	json_str(w, key, (const char *)uri.data, uri.len);
	buf_free(&uri);
	free(raw);
}

/* A scalar as read: numbers that fit as JSON numbers, the rest as strings. */
static void scalar(json_w *w, const char *key, const char *v, int number)
{
	unsigned long long n;

	if (v == NULL)
		json_null(w, key);
	else if (number && render_uint(v, &n))
		json_u64(w, key, n);
	else
		json_cstr(w, key, v);
}

static void pairs_obj(json_w *w, const char *key, int has, const report_pairs *p)
{
	if (!has) {
		json_null(w, key);
		return;
	}
	json_obj_begin(w, key);
	for (size_t i = 0; i < p->n; i++)
		scalar(w, p->v[i].key, p->v[i].value, p->v[i].number);
	json_obj_end(w);
}

/* The finding kinds in order of first use; returns how many. */
static size_t kinds_used(const report_doc *r, const char **kinds)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_findings; i++) {
		const char *k = r->findings[i].kind;
		size_t j;
		for (j = 0; j < n; j++)
			if (strcmp(kinds[j], k) == 0)
				break;
		if (j == n)
			kinds[n++] = k;
	}
	return n;
}

static size_t kind_index(const char **kinds, size_t n, const char *kind)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kinds[i], kind) == 0)
			return i;
	return 0;
}

static void write_driver(json_w *w, const report_doc *r, const char **kinds, size_t n)
{
	json_obj_begin(w, "tool");
	json_obj_begin(w, "driver");
	json_cstr(w, "name", "eia");
	json_cstr(w, "version", r->tool_version ? r->tool_version : EIA_VERSION);
	json_arr_begin(w, "rules");
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(w, NULL);
		json_cstr(w, "id", kinds[i]);
		json_cstr(w, "name", kinds[i]);
		json_obj_begin(w, "shortDescription");
		json_cstr(w, "text", render_kind_text(kinds[i]));
		json_obj_end(w);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_obj_end(w);
	json_obj_end(w);
}

static void message_text(json_w *w, const report_finding *f)
{
	buf text, diff;

	buf_init(&text);
	buf_init(&diff);
	render_str(&text, f->kind, "?", RENDER_TEXT);
	buf_adds(&text, ": ");
	render_location(&text, f, RENDER_TEXT);
	render_region_chunk(&text, f, RENDER_TEXT);
	buf_adds(&text, ": ");
	render_str(&text, f->message, render_kind_text(f->kind), RENDER_TEXT);
	render_attr_diff(&diff, f, 1, RENDER_TEXT);
	if (diff.len > 0) {
		buf_adds(&text, " (");
		buf_add(&text, diff.data, diff.len);
		buf_addc(&text, ')');
	}
	json_obj_begin(w, "message");
	json_str(w, "text", (const char *)text.data, text.len);
	json_obj_end(w);
	buf_free(&text);
	buf_free(&diff);
}

/* The member chain through nested archives, innermost last. */
static void logical_locations(json_w *w, const report_finding *f)
{
	buf fq;

	buf_init(&fq);
	buf_adds(&fq, f->path ? f->path : "");
	json_arr_begin(w, "logicalLocations");
	for (size_t i = 0; i < f->n_member; i++) {
		buf_addc(&fq, '!');
		buf_adds(&fq, f->member[i]);
		json_obj_begin(w, NULL);
		json_cstr(w, "name", f->member[i]);
		json_str(w, "fullyQualifiedName", (const char *)fq.data, fq.len);
		json_cstr(w, "kind", "resource");
		json_obj_end(w);
	}
	json_arr_end(w);
	buf_free(&fq);
}

static void result_properties(json_w *w, const report_finding *f)
{
	json_obj_begin(w, "properties");
	json_cstr(w, "severity", f->severity);
	json_cstr(w, "path", f->path);
	if (f->path_hex != NULL)
		json_cstr(w, "path_hex", f->path_hex);
	json_arr_begin(w, "member");
	for (size_t i = 0; i < f->n_member; i++)
		json_cstr(w, NULL, f->member[i]);
	json_arr_end(w);
	json_cstr(w, "region", f->region);
	scalar(w, "chunk", f->chunk, 1);
	pairs_obj(w, "expected", f->has_expected, &f->expected);
	pairs_obj(w, "actual", f->has_actual, &f->actual);
	json_obj_end(w);
}

static void write_result(json_w *w, const report_finding *f, size_t rule_index)
{
	json_obj_begin(w, NULL);
	json_cstr(w, "ruleId", f->kind);
	json_u64(w, "ruleIndex", rule_index);
	json_cstr(w, "level", render_is_warn(f) ? "warning" : "error");
	message_text(w, f);
	json_arr_begin(w, "locations");
	json_obj_begin(w, NULL);
	json_obj_begin(w, "physicalLocation");
	json_obj_begin(w, "artifactLocation");
	uri_str(w, "uri", f->path, f->path_hex);
	json_obj_end(w);
	json_obj_end(w);
	if (f->n_member > 0)
		logical_locations(w, f);
	json_obj_end(w);
	json_arr_end(w);
	result_properties(w, f);
	json_obj_end(w);
}

/* Why nothing was compared, as the text summary's verdict line says it. */
static void verdict_notification(json_w *w, const report_doc *r)
{
	buf text;
	size_t line = 0;

	buf_init(&text);
	render_text_writer.write(r, &text);
	while (line < text.len && text.data[line] != '\n')
		line++;
	json_arr_begin(w, "toolExecutionNotifications");
	json_obj_begin(w, NULL);
	json_cstr(w, "level", "error");
	json_obj_begin(w, "message");
	json_str(w, "text", (const char *)text.data, line);
	json_obj_end(w);
	json_obj_end(w);
	json_arr_end(w);
	buf_free(&text);
}

static void write_invocation(json_w *w, const report_doc *r)
{
	json_arr_begin(w, "invocations");
	json_obj_begin(w, NULL);
	json_bool(w, "executionSuccessful", r->result != REPORT_ERROR);
	if (r->started != NULL)
		json_cstr(w, "startTimeUtc", r->started);
	if (r->finished != NULL)
		json_cstr(w, "endTimeUtc", r->finished);
	if (r->result == REPORT_UNTRUSTED || r->result == REPORT_ERROR)
		verdict_notification(w, r);
	json_obj_end(w);
	json_arr_end(w);
}

static void run_properties(json_w *w, const report_doc *r)
{
	json_obj_begin(w, "properties");
	json_cstr(w, "result", r->result_name);
	json_arr_begin(w, "manifests");
	for (size_t i = 0; i < r->n_manifests; i++) {
		json_obj_begin(w, NULL);
		json_cstr(w, "name", r->manifests[i].name);
		scalar(w, "serial", r->manifests[i].serial, 1);
		json_cstr(w, "sha256", r->manifests[i].sha256);
		json_obj_end(w);
	}
	json_arr_end(w);
	pairs_obj(w, "context", 1, &r->context);
	json_cstr(w, "root", r->target_root);
	json_obj_end(w);
}

static void write_sarif(const report_doc *r, buf *out)
{
	const char **kinds = xcalloc(r->n_findings + 1, sizeof(*kinds));
	size_t n_kinds = kinds_used(r, kinds);
	json_w w;

	json_init(&w, out);
	json_obj_begin(&w, NULL);
	json_cstr(&w, "$schema", SARIF_SCHEMA);
	json_cstr(&w, "version", "2.1.0");
	json_arr_begin(&w, "runs");
	json_obj_begin(&w, NULL);
	write_driver(&w, r, kinds, n_kinds);
	write_invocation(&w, r);
	json_arr_begin(&w, "results");
	for (size_t i = 0; i < r->n_findings; i++)
		write_result(&w, &r->findings[i],
			     kind_index(kinds, n_kinds, r->findings[i].kind));
	json_arr_end(&w);
	run_properties(&w, r);
	json_obj_end(&w);
	json_arr_end(&w);
	json_obj_end(&w);
	json_finish(&w);
	free(kinds);
}

const report_writer render_sarif_writer = {
	.name = "sarif",
	.write = write_sarif,
};
