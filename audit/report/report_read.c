#include "report/report_read.h"

#include <stdlib.h>
#include <string.h>

#include "scan/digest.h"
#include "util/buf.h"
#include "util/json_read.h"

typedef struct reader {
	const char *file;
	eia_error *err;
} reader;

static eia_status type_err(const reader *rd, const jr_node *n, const char *what,
			   const char *want)
{
	return eia_fail(rd->err, EIA_EINPUT, "%s:%lu:%lu: %s must be %s, not %s",
			rd->file, n->line, n->col, what, want, jr_kind_name(n->kind));
}

/* A scalar member as text; NULL when absent or null. */
static eia_status get_text(const reader *rd, const jr_node *obj, const char *key,
			   const char **out)
{
	const jr_node *n = jr_get(obj, key);

	*out = NULL;
	if (n == NULL || n->kind == JR_NULL)
		return EIA_OK;
	if (n->kind == JR_ARRAY || n->kind == JR_OBJECT)
		return type_err(rd, n, key, "a string or number");
	*out = n->str;
	return EIA_OK;
}

/* A member that must be `kind` when present; *out NULL when absent or null. */
static eia_status get_kind(const reader *rd, const jr_node *obj, const char *key,
			   jr_kind kind, const jr_node **out)
{
	const jr_node *n = jr_get(obj, key);

	*out = NULL;
	if (n == NULL || n->kind == JR_NULL)
		return EIA_OK;
	if (n->kind != kind)
		return type_err(rd, n, key, jr_kind_name(kind));
	*out = n;
	return EIA_OK;
}

typedef int (*key_filter)(const char *key);

static int is_digest_key(const char *key) { return digest_by_name(key) >= 0; }

/* Scalar members of an object as pairs, in file order; nested values are
 * skipped. With a filter, only the keys it accepts. */
static void read_pairs(const jr_node *obj, key_filter keep, report_pairs *out)
{
	out->v = NULL;
	out->n = 0;
	if (obj == NULL || obj->kind != JR_OBJECT || obj->n == 0)
		return;
	out->v = xcalloc(obj->n / 2, sizeof(*out->v));
	for (size_t i = 0; i + 1 < obj->n; i += 2) {
		const jr_node *k = obj->kids[i], *v = obj->kids[i + 1];
		if (v->kind == JR_ARRAY || v->kind == JR_OBJECT)
			continue;
		if (keep != NULL && !keep(k->str))
			continue;
		out->v[out->n].key = k->str;
		out->v[out->n].value = v->kind == JR_NULL ? NULL : v->str;
		out->v[out->n].number = v->kind == JR_NUMBER;
		out->n++;
	}
}

/* Several text members at once: keys[i] into *outs[i]. */
static eia_status get_texts(const reader *rd, const jr_node *obj,
			    const char *const *keys, const char **const *outs)
{
	eia_status st = EIA_OK;

	for (size_t i = 0; keys[i] != NULL && st == EIA_OK; i++)
		st = get_text(rd, obj, keys[i], outs[i]);
	return st;
}

static eia_status read_signature(const reader *rd, const jr_node *n,
				 report_signature *s)
{
	static const char *const keys[] = {"key", "name", "status", NULL};
	const char **outs[] = {&s->key, &s->name, &s->status};

	if (n->kind != JR_OBJECT)
		return type_err(rd, n, "signature", "an object");
	return get_texts(rd, n, keys, outs);
}

static eia_status read_manifest(const reader *rd, const jr_node *n,
				report_manifest *m)
{
	static const char *const keys[] = {"file", "name", "serial", "sha256",
					   "expires", "rollback", NULL};
	const char **outs[] = {&m->file, &m->name, &m->serial, &m->sha256,
			       &m->expires, &m->rollback};
	const jr_node *sys, *sigs, *thr;
	eia_status st;

	if (n->kind != JR_OBJECT)
		return type_err(rd, n, "manifest", "an object");
	if ((st = get_texts(rd, n, keys, outs)) != EIA_OK ||
	    (st = get_kind(rd, n, "system", JR_OBJECT, &sys)) != EIA_OK ||
	    (st = get_kind(rd, n, "signatures", JR_ARRAY, &sigs)) != EIA_OK ||
	    (st = get_kind(rd, n, "threshold", JR_OBJECT, &thr)) != EIA_OK)
		return st;
	read_pairs(sys, NULL, &m->system);
	if (thr != NULL &&
	    ((st = get_text(rd, thr, "required", &m->threshold_required)) != EIA_OK ||
	     (st = get_text(rd, thr, "valid", &m->threshold_valid)) != EIA_OK))
		return st;
	if (sigs == NULL || sigs->n == 0)
		return EIA_OK;
	m->signatures = xcalloc(sigs->n, sizeof(*m->signatures));
	for (size_t i = 0; i < sigs->n && st == EIA_OK; i++, m->n_signatures++)
		st = read_signature(rd, sigs->kids[i], &m->signatures[i]);
	return st;
}

static eia_status read_part(const reader *rd, const jr_node *n, report_part *p)
{
	static const char *const keys[] = {"name", "index", "offset", "length",
					   "status", NULL};
	const char **outs[] = {&p->name, &p->index, &p->offset, &p->length, &p->status};

	if (n->kind != JR_OBJECT)
		return type_err(rd, n, "region or chunk", "an object");
	read_pairs(n, is_digest_key, &p->digests);
	return get_texts(rd, n, keys, outs);
}

static eia_status read_parts(const reader *rd, const jr_node *obj, const char *key,
			     report_part **out, size_t *count)
{
	const jr_node *arr;
	eia_status st = get_kind(rd, obj, key, JR_ARRAY, &arr);

	if (st != EIA_OK || arr == NULL || arr->n == 0)
		return st;
	*out = xcalloc(arr->n, sizeof(**out));
	for (size_t i = 0; i < arr->n && st == EIA_OK; i++, (*count)++)
		st = read_part(rd, arr->kids[i], &(*out)[i]);
	return st;
}

static eia_status read_entry(const reader *rd, const jr_node *n, report_entry *e)
{
	static const char *const keys[] = {"path", "path_hex", "type", "status",
					   "size", "mode", "target", NULL};
	const char **outs[] = {&e->path, &e->path_hex, &e->type, &e->status,
			       &e->size, &e->mode, &e->target};
	const jr_node *members;
	eia_status st;

	if (n->kind != JR_OBJECT)
		return type_err(rd, n, "entry", "an object");
	read_pairs(n, is_digest_key, &e->digests);
	if ((st = get_texts(rd, n, keys, outs)) != EIA_OK ||
	    (st = read_parts(rd, n, "regions", &e->regions, &e->n_regions)) != EIA_OK ||
	    (st = read_parts(rd, n, "chunks", &e->chunks, &e->n_chunks)) != EIA_OK ||
	    (st = get_kind(rd, n, "members", JR_ARRAY, &members)) != EIA_OK)
		return st;
	if (members == NULL || members->n == 0)
		return EIA_OK;
	e->members = xcalloc(members->n, sizeof(*e->members));
	for (size_t i = 0; i < members->n && st == EIA_OK; i++, e->n_members++)
		st = read_entry(rd, members->kids[i], &e->members[i]);
	return st;
}

static eia_status read_attrs(const reader *rd, const jr_node *f, const char *key,
			     int *has, report_pairs *out)
{
	const jr_node *n;
	eia_status st = get_kind(rd, f, key, JR_OBJECT, &n);

	*has = n != NULL;
	read_pairs(n, NULL, out);
	return st;
}

static eia_status read_member_chain(const reader *rd, const jr_node *f,
				    report_finding *fd)
{
	const jr_node *arr;
	eia_status st = get_kind(rd, f, "member", JR_ARRAY, &arr);

	if (st != EIA_OK || arr == NULL || arr->n == 0)
		return st;
	fd->member = xcalloc(arr->n, sizeof(*fd->member));
	for (size_t i = 0; i < arr->n; i++) {
		const jr_node *m = arr->kids[i];
		if (m->kind != JR_STRING)
			return type_err(rd, m, "member", "a string");
		fd->member[fd->n_member++] = m->str;
	}
	return EIA_OK;
}

static eia_status read_finding(const reader *rd, const jr_node *n, report_finding *fd)
{
	static const char *const keys[] = {"kind", "severity", "path", "path_hex",
					   "region", "chunk", "message", NULL};
	const char **outs[] = {&fd->kind, &fd->severity, &fd->path, &fd->path_hex,
			       &fd->region, &fd->chunk, &fd->message};
	eia_status st;

	if (n->kind != JR_OBJECT)
		return type_err(rd, n, "finding", "an object");
	if ((st = get_texts(rd, n, keys, outs)) != EIA_OK ||
	    (st = read_member_chain(rd, n, fd)) != EIA_OK ||
	    (st = read_attrs(rd, n, "expected", &fd->has_expected, &fd->expected)) != EIA_OK ||
	    (st = read_attrs(rd, n, "actual", &fd->has_actual, &fd->actual)) != EIA_OK)
		return st;
	if (fd->kind == NULL)
		return eia_fail(rd->err, EIA_EINPUT, "%s:%lu:%lu: finding has no kind",
				rd->file, n->line, n->col);
	return EIA_OK;
}

typedef eia_status (*item_reader)(const reader *rd, const jr_node *n, void *item);

static eia_status item_manifest(const reader *rd, const jr_node *n, void *item)
{
	return read_manifest(rd, n, item);
}

static eia_status item_entry(const reader *rd, const jr_node *n, void *item)
{
	return read_entry(rd, n, item);
}

static eia_status item_finding(const reader *rd, const jr_node *n, void *item)
{
	return read_finding(rd, n, item);
}

/* An optional top-level array of objects into a calloc'd array. The count
 * only covers items handed to fn, so a half-read list frees cleanly. */
static eia_status read_list(const reader *rd, const jr_node *root, const char *key,
			    size_t size, item_reader fn, void **out, size_t *count)
{
	const jr_node *arr;
	eia_status st = get_kind(rd, root, key, JR_ARRAY, &arr);
	unsigned char *items;

	*out = NULL;
	if (st != EIA_OK || arr == NULL || arr->n == 0)
		return st;
	items = xcalloc(arr->n, size);
	*out = items;
	for (size_t i = 0; i < arr->n && st == EIA_OK; i++, (*count)++)
		st = fn(rd, arr->kids[i], items + i * size);
	return st;
}

static eia_status read_header(const reader *rd, const jr_node *root, report_doc *r)
{
	static const char *const results[] = {
		[REPORT_PASS] = "pass", [REPORT_DRIFT] = "drift",
		[REPORT_UNTRUSTED] = "untrusted", [REPORT_ERROR] = "error"};
	const jr_node *version = jr_get(root, "eia-report"), *res;
	uint64_t v;

	if (root->kind != JR_OBJECT || version == NULL)
		return eia_fail(rd->err, EIA_EINPUT, "%s: not an eia report", rd->file);
	if (!jr_uint(version, &v) || v != 1)
		return eia_fail(rd->err, EIA_EINPUT,
				"%s: not an eia report (unsupported eia-report version '%s')",
				rd->file, version->str ? version->str : "?");
	res = jr_get(root, "result");
	if (res == NULL || res->kind != JR_STRING)
		return eia_fail(rd->err, EIA_EINPUT, "%s: report has no result", rd->file);
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		if (strcmp(res->str, results[i]) == 0) {
			r->result = (report_result)i;
			r->result_name = results[i];
			return EIA_OK;
		}
	}
	return eia_fail(rd->err, EIA_EINPUT, "%s:%lu:%lu: unknown result '%s'",
			rd->file, res->line, res->col, res->str);
}

static eia_status read_sections(const reader *rd, const jr_node *root, report_doc *r)
{
	static const char *const target_keys[] = {"root", "files", "bytes", NULL};
	const char **target_outs[] = {&r->target_root, &r->target_files, &r->target_bytes};
	static const char *const sum_keys[] = {"entries", "ok", "findings", "fail",
					       "warn", NULL};
	const char **sum_outs[] = {&r->sum_entries, &r->sum_ok, &r->sum_findings,
				   &r->sum_fail, &r->sum_warn};
	const jr_node *tool, *context, *target, *summary;
	eia_status st;

	if ((st = get_kind(rd, root, "tool", JR_OBJECT, &tool)) != EIA_OK ||
	    (st = get_kind(rd, root, "context", JR_OBJECT, &context)) != EIA_OK ||
	    (st = get_kind(rd, root, "target", JR_OBJECT, &target)) != EIA_OK ||
	    (st = get_kind(rd, root, "summary", JR_OBJECT, &summary)) != EIA_OK ||
	    (st = get_text(rd, root, "started", &r->started)) != EIA_OK ||
	    (st = get_text(rd, root, "finished", &r->finished)) != EIA_OK)
		return st;
	if ((st = get_text(rd, root, "reason", &r->reason)) != EIA_OK)
		return st;
	if (r->reason == NULL && (st = get_text(rd, root, "error", &r->reason)) != EIA_OK)
		return st;
	if (tool != NULL &&
	    ((st = get_text(rd, tool, "name", &r->tool_name)) != EIA_OK ||
	     (st = get_text(rd, tool, "version", &r->tool_version)) != EIA_OK))
		return st;
	read_pairs(context, NULL, &r->context);
	if (target != NULL && (st = get_texts(rd, target, target_keys, target_outs)) != EIA_OK)
		return st;
	if (summary != NULL && (st = get_texts(rd, summary, sum_keys, sum_outs)) != EIA_OK)
		return st;
	return EIA_OK;
}

static void count_severities(report_doc *r)
{
	if (r->findings == NULL)
		return;
	for (size_t i = 0; i < r->n_findings; i++) {
		const char *sev = r->findings[i].severity;
		if (sev != NULL && strcmp(sev, "warn") == 0)
			r->n_warn++;
		else
			r->n_fail++;
	}
}

eia_status report_read(const char *file, const unsigned char *data, size_t len,
		       report_doc **out, eia_error *err)
{
	reader rd = {.file = file, .err = err};
	report_doc *r = xcalloc(1, sizeof(*r));
	jr_node *root = NULL;
	void *items;
	eia_status st;

	*out = NULL;
	st = jr_parse_ex(file, data, len, "context", &root, err);
	if (st != EIA_OK)
		goto out;
	r->tree = root;
	if ((st = read_header(&rd, root, r)) != EIA_OK ||
	    (st = read_sections(&rd, root, r)) != EIA_OK)
		goto out;
	st = read_list(&rd, root, "manifests", sizeof(report_manifest), item_manifest,
		       &items, &r->n_manifests);
	r->manifests = items;
	if (st != EIA_OK)
		goto out;
	st = read_list(&rd, root, "entries", sizeof(report_entry), item_entry, &items,
		       &r->n_entries);
	r->entries = items;
	if (st != EIA_OK)
		goto out;
	st = read_list(&rd, root, "findings", sizeof(report_finding), item_finding,
		       &items, &r->n_findings);
	r->findings = items;
	if (st != EIA_OK)
		goto out;
	count_severities(r);
	*out = r;
	r = NULL;
out:
	report_doc_free(r);
	return st;
}

static void free_parts(report_part *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].digests.v);
	free(p);
}

static void free_entries(report_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].digests.v);
		free_entries(e[i].members, e[i].n_members);
		free_parts(e[i].regions, e[i].n_regions);
		free_parts(e[i].chunks, e[i].n_chunks);
	}
	free(e);
}

void report_doc_free(report_doc *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_manifests; i++) {
		free(r->manifests[i].system.v);
		free(r->manifests[i].signatures);
	}
	free(r->manifests);
	free_entries(r->entries, r->n_entries);
	for (size_t i = 0; i < r->n_findings; i++) {
		free(r->findings[i].member);
		free(r->findings[i].expected.v);
		free(r->findings[i].actual.v);
	}
	free(r->findings);
	free(r->context.v);
	jr_free(r->tree);
	free(r);
}
