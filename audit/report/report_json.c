/* report_json.c - the canonical JSON report (SPEC.md "Report"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/findings.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/paths.h"
#include "util/timefmt.h"

static void write_time(json_w *w, const char *key, int64_t t)
{
	char s[32];

	rfc3339_format(t, s);
	json_cstr(w, key, s);
}

static void write_hex(json_w *w, const char *key, const unsigned char *p, size_t n)
{
	char hex[2 * DG_MAX_SIZE + 1];

	hex_encode(p, n, hex);
	json_cstr(w, key, hex);
}

static void write_digests(json_w *w, const digest_set *d)
{
	for (int i = 0; i < DG_COUNT; i++)
		if (d->mask & DG_MASK(i))
			write_hex(w, digest_algs[i].name, d->v[i], digest_algs[i].size);
}

static void write_mode(json_w *w, unsigned mode)
{
	char s[8];

	snprintf(s, sizeof(s), "%04o", mode & 07777);
	json_cstr(w, "mode", s);
}

static void write_path(json_w *w, const char *p, size_t len)
{
	json_str(w, "path", p, len);
	json_hex_if_invalid(w, "path_hex", p, len);
}

static void write_attrs(json_w *w, const char *key, int has, const attrs *a)
{
	if (!has) {
		json_null(w, key);
		return;
	}
	json_obj_begin(w, key);
	if (a->mask & A_TYPE)
		json_cstr(w, "type", a->type);
	if (a->mask & A_SIZE)
		json_u64(w, "size", a->size);
	if (a->mask & A_DIGESTS)
		write_digests(w, &a->digests);
	if (a->mask & A_MODE)
		write_mode(w, a->mode);
	if (a->mask & A_TARGET) {
		json_cstr(w, "target", a->target);
		json_hex_if_invalid(w, "target_hex", a->target, strlen(a->target));
	}
	if (a->mask & A_UID)
		json_u64(w, "uid", a->uid);
	if (a->mask & A_GID)
		json_u64(w, "gid", a->gid);
	json_obj_end(w);
}

static void write_record(json_w *w, const record *r)
{
	json_obj_begin(w, NULL);
	write_path(w, r->path, r->path_len);
	json_cstr(w, "type", r->type);
	if (r->class_)
		json_cstr(w, "class", r->class_);
	json_cstr(w, "status", r->status);
	if (r->has_size)
		json_u64(w, "size", r->size);
	write_digests(w, &r->digests);
	if (r->has_mode)
		write_mode(w, r->mode);
	if (r->target) {
		json_cstr(w, "target", r->target);
		json_hex_if_invalid(w, "target_hex", r->target, strlen(r->target));
	}
	if (r->n_members) {
		json_arr_begin(w, "members");
		for (size_t i = 0; i < r->n_members; i++)
			write_record(w, &r->members[i]);
		json_arr_end(w);
	}
	if (r->n_regions) {
		json_arr_begin(w, "regions");
		for (size_t i = 0; i < r->n_regions; i++) {
			const region_rec *g = &r->regions[i];
			json_obj_begin(w, NULL);
			json_cstr(w, "name", g->name);
			json_u64(w, "offset", g->offset);
			json_u64(w, "length", g->length);
			json_cstr(w, "status", g->ok ? "ok" : "drift");
			write_digests(w, &g->digests);
			json_obj_end(w);
		}
		json_arr_end(w);
	}
	if (r->n_chunks) {
		json_arr_begin(w, "chunks");
		for (size_t i = 0; i < r->n_chunks; i++) {
			json_obj_begin(w, NULL);
			json_u64(w, "index", i);
			json_cstr(w, "status", r->chunks[i].ok ? "ok" : "drift");
			write_hex(w, "sha256", r->chunks[i].sha256, 32);
			json_obj_end(w);
		}
		json_arr_end(w);
	}
	json_obj_end(w);
}

/* Member names that are not UTF-8 stay lossless: the whole chain in hex. */
static void write_member_hex(json_w *w, const finding *f)
{
	int any = 0;

	for (size_t i = 0; i < f->n_member; i++)
		any |= !utf8_valid(f->member[i], strlen(f->member[i]));
	if (!any)
		return;
	json_arr_begin(w, "member_hex");
	for (size_t i = 0; i < f->n_member; i++) {
		size_t n = strlen(f->member[i]);
		char *hex = xmalloc(2 * n + 1);
		hex_encode((const unsigned char *)f->member[i], n, hex);
		json_cstr(w, NULL, hex);
		free(hex);
	}
	json_arr_end(w);
}

static void write_finding(json_w *w, const finding *f)
{
	json_obj_begin(w, NULL);
	json_cstr(w, "kind", finding_kind_name(f->kind));
	json_cstr(w, "severity", f->sev == SEV_FAIL ? "fail" : "warn");
	write_path(w, f->path, f->path_len);
	json_arr_begin(w, "member");
	for (size_t i = 0; i < f->n_member; i++)
		json_cstr(w, NULL, f->member[i]);
	json_arr_end(w);
	write_member_hex(w, f);
	json_cstr(w, "region", f->region);
	if (f->chunk >= 0)
		json_i64(w, "chunk", f->chunk);
	else
		json_null(w, "chunk");
	write_attrs(w, "expected", f->has_expected, &f->expected);
	write_attrs(w, "actual", f->has_actual, &f->actual);
	json_cstr(w, "message", f->message);
	json_obj_end(w);
}

static void write_manifest(json_w *w, const manifest_info *m)
{
	json_obj_begin(w, NULL);
	json_cstr(w, "file", m->file);
	json_cstr(w, "name", m->name);
	if (m->parsed)
		json_u64(w, "serial", m->serial);
	else
		json_null(w, "serial");
	write_hex(w, "sha256", m->sha256, 32);
	json_cstr(w, "expires", m->expires);
	json_obj_begin(w, "system");
	for (size_t i = 0; i < m->n_system; i++)
		json_cstr(w, m->system[i].key, m->system[i].value);
	json_obj_end(w);
	json_arr_begin(w, "signatures");
	for (size_t i = 0; i < m->verdict.n; i++) {
		const sig_result *s = &m->verdict.v[i];
		json_obj_begin(w, NULL);
		json_cstr(w, "key", s->key);
		json_cstr(w, "name", s->name);
		json_cstr(w, "status", sig_status_name(s->status));
		json_obj_end(w);
	}
	json_arr_end(w);
	json_obj_begin(w, "threshold");
	json_u64(w, "required", m->verdict.required);
	json_u64(w, "valid", m->verdict.valid);
	json_obj_end(w);
	json_cstr(w, "rollback", m->rollback);
	json_obj_end(w);
}

static void write_summary(json_w *w, const report *r)
{
	uint64_t ok = 0, fail = 0, warn = 0;

	for (size_t i = 0; i < r->n_records; i++)
		ok += strcmp(r->records[i].status, "ok") == 0;
	for (size_t i = 0; i < r->found.n; i++) {
		fail += r->found.v[i].sev == SEV_FAIL;
		warn += r->found.v[i].sev == SEV_WARN;
	}
	json_obj_begin(w, "summary");
	json_u64(w, "entries", r->n_records);
	json_u64(w, "ok", ok);
	json_u64(w, "findings", r->found.n);
	json_u64(w, "fail", fail);
	json_u64(w, "warn", warn);
	json_obj_end(w);
}

void report_json_write(const report *r, buf *out)
{
	json_w w;

	json_init(&w, out);
	json_obj_begin(&w, NULL);
	json_u64(&w, "eia-report", 1);
	json_obj_begin(&w, "tool");
	json_cstr(&w, "name", "eia");
	json_cstr(&w, "version", EIA_VERSION);
	json_obj_end(&w);
	write_time(&w, "started", r->started);
	write_time(&w, "finished", r->finished);
	json_cstr(&w, "result", r->result);
	if (r->reason != NULL)
		json_cstr(&w, "reason", r->reason);
	json_arr_begin(&w, "manifests");
	for (size_t i = 0; i < r->n_manifests; i++)
		write_manifest(&w, &r->manifests[i]);
	json_arr_end(&w);
	json_obj_begin(&w, "context");
	for (size_t i = 0; i < r->n_context; i++)
		json_cstr(&w, r->context[i].key, r->context[i].value);
	json_obj_end(&w);
	json_obj_begin(&w, "target");
	json_cstr(&w, "root", r->root);
	json_u64(&w, "files", r->files);
	json_u64(&w, "bytes", r->bytes);
	json_obj_end(&w);
	write_summary(&w, r);
	json_arr_begin(&w, "entries");
	for (size_t i = 0; i < r->n_records; i++)
		write_record(&w, &r->records[i]);
	json_arr_end(&w);
	json_arr_begin(&w, "findings");
	for (size_t i = 0; i < r->found.n; i++)
		write_finding(&w, &r->found.v[i]);
	json_arr_end(&w);
	json_obj_end(&w);
	json_finish(&w);
}
