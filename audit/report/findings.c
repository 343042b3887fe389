#include "report/findings.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static const char *const kind_names[FK_COUNT] = {
	[FK_MISSING] = "missing",
	[FK_UNLISTED] = "unlisted",
	[FK_MODIFIED] = "modified",
	[FK_TYPE_CHANGED] = "type-changed",
	[FK_MODE_CHANGED] = "mode-changed",
	[FK_TARGET_CHANGED] = "target-changed",
	[FK_OWNER_CHANGED] = "owner-changed",
	[FK_MEMBER_MISSING] = "member-missing",
	[FK_MEMBER_UNLISTED] = "member-unlisted",
	[FK_UNREADABLE] = "unreadable",
	[FK_MALFORMED] = "malformed",
	[FK_LIMIT_EXCEEDED] = "limit-exceeded",
};

const char *finding_kind_name(finding_kind k)
{
	return k < FK_COUNT ? kind_names[k] : "unknown";
}

finding *finding_add(findings *f, finding_kind kind, severity sev, const char *path,
		     size_t path_len, char *const *chain, size_t n_chain,
		     const char *message)
{
	finding *x;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 2; /* most entries have none or one */
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->sev = sev;
	x->path = xmemdup0(path, path_len);
	x->path_len = path_len;
	x->chunk = -1;
	if (n_chain) {
		x->member = xcalloc(n_chain, sizeof(char *));
		for (size_t i = 0; i < n_chain; i++)
			x->member[i] = xstrdup(chain[i]);
		x->n_member = n_chain;
	}
	x->message = xstrdup(message ? message : "");
	return x;
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

static int cmp_finding(const void *pa, const void *pb)
{
	const finding *a = pa, *b = pb;
	int c = cmp_bytes(a->path, a->path_len, b->path, b->path_len);
	size_t n = a->n_member < b->n_member ? a->n_member : b->n_member;

	if (c)
		return c;
	for (size_t i = 0; i < n; i++)
		if ((c = strcmp(a->member[i], b->member[i])) != 0)
			return c;
	if (a->n_member != b->n_member)
		return a->n_member < b->n_member ? -1 : 1;
	c = strcmp(a->region ? a->region : "", b->region ? b->region : "");
	if (c)
		return c;
	if (a->chunk != b->chunk)
		return a->chunk < b->chunk ? -1 : 1;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

void findings_sort(findings *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_finding);
}

void attrs_free(attrs *a)
{
	free(a->target);
	a->target = NULL;
}

void findings_free(findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		finding *x = &f->v[i];
		free(x->path);
		for (size_t j = 0; j < x->n_member; j++)
			free(x->member[j]);
		free(x->member);
		free(x->region);
		free(x->message);
		attrs_free(&x->expected);
		attrs_free(&x->actual);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void record_free(record *r)
{
	free(r->path);
	free(r->target);
	for (size_t i = 0; i < r->n_members; i++)
		record_free(&r->members[i]);
	free(r->members);
	for (size_t i = 0; i < r->n_regions; i++)
		free(r->regions[i].name);
	free(r->regions);
	free(r->chunks);
}

void attrs_from_entry(attrs *a, const entry *e)
{
	memset(a, 0, sizeof(*a));
	a->mask = A_TYPE;
	a->type = entry_type_name(e->type);
	if (e->has_size) {
		a->mask |= A_SIZE;
		a->size = e->size;
	}
	if (e->digests.mask) {
		a->mask |= A_DIGESTS;
		a->digests = e->digests;
	}
	if (e->has_mode) {
		a->mask |= A_MODE;
		a->mode = e->mode;
	}
	if (e->target) {
		a->mask |= A_TARGET;
		a->target = xstrdup(e->target);
	}
	if (e->has_uid) {
		a->mask |= A_UID;
		a->uid = e->uid;
	}
	if (e->has_gid) {
		a->mask |= A_GID;
		a->gid = e->gid;
	}
}

void report_free(report *r)
{
	for (size_t i = 0; i < r->n_manifests; i++) {
		manifest_info *m = &r->manifests[i];
		free(m->file);
		free(m->name);
		free(m->expires);
		for (size_t j = 0; j < m->n_system; j++) {
			free(m->system[j].key);
			free(m->system[j].value);
		}
		free(m->system);
		trust_verdict_free(&m->verdict);
	}
	free(r->manifests);
	for (size_t i = 0; i < r->n_context; i++) {
		free(r->context[i].key);
		free(r->context[i].value);
	}
	free(r->context);
	free(r->root);
	free(r->reason);
	for (size_t i = 0; i < r->n_records; i++)
		record_free(&r->records[i]);
	free(r->records);
	findings_free(&r->found);
	memset(r, 0, sizeof(*r));
}
