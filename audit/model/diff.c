/* diff.c - manifest comparison: a merge walk over the sorted entry arrays,
 * recursing into archive members and firmware regions. */
#include "model/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/encode.h"
#include "util/paths.h"

/* Where a change is: the top-level path and the member chain below it. */
struct where {
	const char *top;
	const char *chain[MANIFEST_MAX_MEMBER_DEPTH + 1];
	size_t n;
};

const char *diff_kind_name(diff_kind k)
{
	return k == DIFF_ADDED ? "added" : k == DIFF_REMOVED ? "removed" : "changed";
}

static void value_free(diff_value *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n_list; i++)
		free(v->list[i]);
	free(v->list);
}

static void fields_free(diff_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		value_free(&f[i].old);
		value_free(&f[i].new_);
	}
	free(f);
}

void diff_free(diff_result *d)
{
	fields_free(d->header, d->n_header);
	fields_free(d->policy, d->n_policy);
	for (size_t i = 0; i < d->n_changes; i++) {
		diff_change *c = &d->changes[i];
		free(c->path);
		for (size_t j = 0; j < c->n_member; j++)
			free(c->member[j]);
		free(c->member);
		free(c->region);
		fields_free(c->fields, c->n_fields);
	}
	free(d->changes);
	memset(d, 0, sizeof(*d));
}

int diff_empty(const diff_result *d)
{
	return d->n_header == 0 && d->n_policy == 0 && d->n_changes == 0;
}

static diff_value v_none(void)
{
	diff_value v = {DV_NONE, NULL, 0, NULL, 0};
	return v;
}

static diff_value v_str(const char *s)
{
	diff_value v = v_none();
	if (s != NULL) {
		v.kind = DV_STR;
		v.str = xstrdup(s);
	}
	return v;
}

static diff_value v_num(int has, uint64_t n)
{
	diff_value v = v_none();
	if (has) {
		v.kind = DV_NUM;
		v.num = n;
	}
	return v;
}

static diff_value v_hex(int has, const unsigned char *p, size_t n)
{
	char hex[2 * DG_MAX_SIZE + 1];

	if (!has)
		return v_none();
	hex_encode(p, n, hex);
	return v_str(hex);
}

static int v_equal(const diff_value *a, const diff_value *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == DV_STR)
		return strcmp(a->str, b->str) == 0;
	if (a->kind == DV_NUM)
		return a->num == b->num;
	if (a->kind == DV_LIST) {
		if (a->n_list != b->n_list)
			return 0;
		for (size_t i = 0; i < a->n_list; i++)
			if (strcmp(a->list[i], b->list[i]) != 0)
				return 0;
	}
	return 1;
}

/* Appends the field if the values differ; takes ownership of both. */
static void field(diff_field **v, size_t *n, const char *name, diff_value old, diff_value new_)
{
	if (v_equal(&old, &new_)) {
		value_free(&old);
		value_free(&new_);
		return;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	(*v)[*n].old = old;
	(*v)[*n].new_ = new_;
	(*n)++;
}

static diff_change *new_change(diff_result *d, diff_kind kind, const struct where *w,
			       const char *path, const char *region_name)
{
	diff_change *c;

	d->changes = xreallocarray(d->changes, d->n_changes + 1, sizeof(*d->changes));
	c = &d->changes[d->n_changes++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->path = xstrdup(w->top != NULL ? w->top : path);
	if (w->top != NULL) {
		c->n_member = w->n + 1;
		c->member = xcalloc(c->n_member, sizeof(*c->member));
		for (size_t i = 0; i < w->n; i++)
			c->member[i] = xstrdup(w->chain[i]);
		c->member[w->n] = xstrdup(path);
	}
	c->region = region_name != NULL ? xstrdup(region_name) : NULL;
	return c;
}

static const char *class_name(const entry *e)
{
	return e->dynamic ? "dynamic" : "static";
}

static void mode_value(const entry *e, diff_value *v)
{
	char m[8];

	if (!e->has_mode) {
		*v = v_none();
		return;
	}
	snprintf(m, sizeof(m), "%04o", e->mode & 07777u);
	*v = v_str(m);
}

static void digest_fields(diff_field **f, size_t *n, const digest_set *a, const digest_set *b)
{
	for (int i = 0; i < DG_COUNT; i++)
		field(f, n, digest_algs[i].name,
		      v_hex((a->mask & DG_MASK(i)) != 0, a->v[i], digest_algs[i].size),
		      v_hex((b->mask & DG_MASK(i)) != 0, b->v[i], digest_algs[i].size));
}

static void chunk_fields(diff_field **f, size_t *n, const entry *a, const entry *b)
{
	field(f, n, "chunk-size", v_num(a->chunk_size > 0, a->chunk_size),
	      v_num(b->chunk_size > 0, b->chunk_size));
	field(f, n, "chunks", v_num(a->chunk_size > 0, a->n_chunks),
	      v_num(b->chunk_size > 0, b->n_chunks));
	if (a->chunk_size != b->chunk_size)
		return; /* per-chunk comparison only makes sense at equal sizes */
	for (size_t i = 0; i < a->n_chunks && i < b->n_chunks; i++) {
		char name[40];
		snprintf(name, sizeof(name), "chunk[%zu]", i);
		field(f, n, name, v_hex(1, a->chunks[i], 32), v_hex(1, b->chunks[i], 32));
	}
}

static void attribute_fields(diff_field **f, size_t *n, const entry *a, const entry *b)
{
	diff_value ma, mb;

	field(f, n, "type", v_str(entry_type_name(a->type)), v_str(entry_type_name(b->type)));
	field(f, n, "class", v_str(class_name(a)), v_str(class_name(b)));
	field(f, n, "size", v_num(a->has_size, a->size), v_num(b->has_size, b->size));
	digest_fields(f, n, &a->digests, &b->digests);
	mode_value(a, &ma);
	mode_value(b, &mb);
	field(f, n, "mode", ma, mb);
	field(f, n, "uid", v_num(a->has_uid, a->uid), v_num(b->has_uid, b->uid));
	field(f, n, "gid", v_num(a->has_gid, a->gid), v_num(b->has_gid, b->gid));
	field(f, n, "target", v_str(a->target), v_str(b->target));
	chunk_fields(f, n, a, b);
	/* a members list appearing or going away (its items are diffed below) */
	field(f, n, "members", v_str(a->has_members ? "listed" : NULL),
	      v_str(b->has_members ? "listed" : NULL));
}

static int region_ptr_cmp(const void *x, const void *y)
{
	return strcmp((*(const region *const *)x)->name, (*(const region *const *)y)->name);
}

/* The regions of e as pointers sorted by name (names are unique). */
static const region **regions_by_name(const entry *e)
{
	const region **v = xcalloc(e->n_regions + 1, sizeof(*v));

	for (size_t i = 0; i < e->n_regions; i++)
		v[i] = &e->regions[i];
	qsort(v, e->n_regions, sizeof(*v), region_ptr_cmp);
	return v;
}

static void region_pair(diff_result *d, const struct where *w, const char *path, const region *ra,
			const region *rb)
{
	diff_field *f = NULL;
	size_t n = 0;
	diff_change *c;

	field(&f, &n, "offset", v_num(1, ra->offset), v_num(1, rb->offset));
	field(&f, &n, "length", v_num(1, ra->length), v_num(1, rb->length));
	digest_fields(&f, &n, &ra->digests, &rb->digests);
	if (n == 0)
		return;
	c = new_change(d, DIFF_CHANGED, w, path, ra->name);
	c->fields = f;
	c->n_fields = n;
}

/* Regions are matched by name, reported in name order. */
static void diff_regions(diff_result *d, const struct where *w, const entry *a, const entry *b)
{
	const region **ra = regions_by_name(a), **rb = regions_by_name(b);
	size_t i = 0, j = 0;

	while (i < a->n_regions || j < b->n_regions) {
		int c = i == a->n_regions ? 1 :
			j == b->n_regions ? -1 :
					    strcmp(ra[i]->name, rb[j]->name);
		if (c < 0) {
			new_change(d, DIFF_REMOVED, w, a->path, ra[i++]->name);
		} else if (c > 0) {
			new_change(d, DIFF_ADDED, w, b->path, rb[j++]->name);
		} else {
			region_pair(d, w, a->path, ra[i++], rb[j++]);
		}
	}
	free(ra);
	free(rb);
}

static void diff_lists(diff_result *d, struct where *w, const entry *a, size_t na, const entry *b,
		       size_t nb);

static void diff_pair(diff_result *d, struct where *w, const entry *a, const entry *b)
{
	diff_field *f = NULL;
	size_t n = 0;

	attribute_fields(&f, &n, a, b);
	if (n > 0) {
		diff_change *c = new_change(d, DIFF_CHANGED, w, a->path, NULL);
		c->fields = f;
		c->n_fields = n;
	}
	diff_regions(d, w, a, b);
	if ((a->n_members == 0 && b->n_members == 0) || w->n >= MANIFEST_MAX_MEMBER_DEPTH)
		return;
	/* descend: this entry becomes the next link of the member chain */
	struct where inner = *w;
	if (inner.top == NULL)
		inner.top = a->path;
	else
		inner.chain[inner.n++] = a->path;
	diff_lists(d, &inner, a->members, a->n_members, b->members, b->n_members);
}

static void diff_lists(diff_result *d, struct where *w, const entry *a, size_t na, const entry *b,
		       size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : path_cmp(a[i].path, b[j].path);
		if (c < 0) {
			new_change(d, DIFF_REMOVED, w, a[i++].path, NULL);
		} else if (c > 0) {
			new_change(d, DIFF_ADDED, w, b[j++].path, NULL);
		} else {
			diff_pair(d, w, &a[i], &b[j]);
			i++;
			j++;
		}
	}
}

static diff_value v_list(char *const *s, size_t n)
{
	diff_value v = v_none();

	v.kind = DV_LIST;
	v.n_list = n;
	v.list = xcalloc(n + 1, sizeof(*v.list));
	for (size_t i = 0; i < n; i++)
		v.list[i] = xstrdup(s[i]);
	return v;
}

static diff_value v_compare(unsigned mask)
{
	char *names[8];
	size_t n = 0;

	for (size_t i = 0; compare_names[i].name != NULL && n < 8; i++)
		if (mask & compare_names[i].bit)
			names[n++] = (char *)compare_names[i].name;
	return v_list(names, n);
}

static const char *system_get(const manifest *m, const char *key)
{
	for (size_t i = 0; i < m->n_system; i++)
		if (strcmp(m->system[i].key, key) == 0)
			return m->system[i].value;
	return NULL;
}

static void system_fields(diff_result *d, const manifest *a, const manifest *b)
{
	char name[300];

	for (size_t i = 0; i < a->n_system; i++) {
		snprintf(name, sizeof(name), "system.%s", a->system[i].key);
		field(&d->header, &d->n_header, name, v_str(a->system[i].value),
		      v_str(system_get(b, a->system[i].key)));
	}
	for (size_t i = 0; i < b->n_system; i++) {
		if (system_get(a, b->system[i].key) != NULL)
			continue;
		snprintf(name, sizeof(name), "system.%s", b->system[i].key);
		field(&d->header, &d->n_header, name, v_none(), v_str(b->system[i].value));
	}
}

void manifest_diff(const manifest *a, const manifest *b, diff_result *d)
{
	struct where w;

	memset(d, 0, sizeof(*d));
	memset(&w, 0, sizeof(w));
	field(&d->header, &d->n_header, "name", v_str(a->name), v_str(b->name));
	field(&d->header, &d->n_header, "serial", v_num(1, a->serial), v_num(1, b->serial));
	field(&d->header, &d->n_header, "created", v_str(a->created), v_str(b->created));
	field(&d->header, &d->n_header, "expires", v_str(a->expires), v_str(b->expires));
	field(&d->header, &d->n_header, "description", v_str(a->description),
	      v_str(b->description));
	system_fields(d, a, b);
	field(&d->policy, &d->n_policy, "unlisted", v_str(unlisted_name(a->unlisted)),
	      v_str(unlisted_name(b->unlisted)));
	field(&d->policy, &d->n_policy, "ignore", v_list(a->ignore, a->n_ignore),
	      v_list(b->ignore, b->n_ignore));
	field(&d->policy, &d->n_policy, "compare", v_compare(a->compare), v_compare(b->compare));
	diff_lists(d, &w, a->entries, a->n_entries, b->entries, b->n_entries);
}
