/* manifest_entry.c - the entry-level schema of SPEC.md "Manifest": path,
 * type, class, size, digests, mode, uid/gid, symlink target, archive
 * members (recursively), firmware regions and chunks. */
#include "model/manifest_entry.h"

#include <stdlib.h>
#include <string.h>

#include "util/paths.h"

static const char *const entry_keys[] = {"path",    "type",    "class",	     "size",
					 "sha256",  "sha512",  "sha3-256",   "blake2b512",
					 "mode",    "uid",     "gid",	     "target",
					 "members", "regions", "chunk-size", "chunks",
					 NULL};
static const char *const region_keys[] = {"name",   "offset",	"length",     "sha256",
					  "sha512", "sha3-256", "blake2b512", NULL};

static const char *const type_names[] = {
	[ENT_FILE] = "file",	   [ENT_DIR] = "dir",		[ENT_SYMLINK] = "symlink",
	[ENT_ARCHIVE] = "archive", [ENT_FIRMWARE] = "firmware", [ENT_OTHER] = "other"};

const char *entry_type_name(entry_type t)
{
	if ((unsigned)t > ENT_OTHER)
		return "other";
	return type_names[t];
}

void entry_free(entry *e)
{
	if (e == NULL)
		return;
	free(e->path);
	free(e->target);
	for (size_t i = 0; i < e->n_members; i++)
		entry_free(&e->members[i]);
	free(e->members);
	for (size_t i = 0; i < e->n_regions; i++)
		free(e->regions[i].name);
	free(e->regions);
	free(e->chunks);
	memset(e, 0, sizeof(*e));
}

static int entry_cmp(const void *a, const void *b)
{
	return path_cmp(((const entry *)a)->path, ((const entry *)b)->path);
}

const entry *entry_sort(entry *v, size_t n)
{
	size_t sorted = 1;

	if (n < 2)
		return NULL;
	/* a canonical manifest is sorted already: no need to move 51,000
	 * entries around to learn that */
	while (sorted < n && path_cmp(v[sorted - 1].path, v[sorted].path) < 0)
		sorted++;
	if (sorted == n)
		return NULL;
	qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 1; i < n; i++)
		if (path_cmp(v[i - 1].path, v[i].path) == 0)
			return v[i - 1].line > v[i].line ? &v[i - 1] : &v[i];
	return NULL;
}

/* md5 and sha1 get their own message rather than "unknown key". */
static eia_status refuse_weak(const char *file, const yt_node *map, eia_error *err)
{
	static const char *const weak[] = {"md5", "sha1", "sha-1", NULL};

	for (size_t i = 0; i + 1 < map->n; i += 2)
		for (size_t j = 0; weak[j] != NULL; j++)
			if (strcmp(map->kids[i]->str, weak[j]) == 0)
				return yt_err(err, file, map->kids[i], "%s is refused: use sha256",
					      weak[j]);
	return EIA_OK;
}

/* Exact-length lowercase hex (what sha256sum prints). */
static eia_status parse_hex(const char *file, const yt_node *n, const char *what, size_t size,
			    unsigned char *out, eia_error *err)
{
	const char *s;
	eia_status st = yt_str(file, n, what, &s, err);

	if (st != EIA_OK)
		return st;
	/* validated and decoded in one pass: a manifest holds one per file */
	for (size_t i = 0; i < n->len; i++) {
		unsigned v = s[i] >= '0' && s[i] <= '9' ? (unsigned)(s[i] - '0')
			   : s[i] >= 'a' && s[i] <= 'f' ? (unsigned)(s[i] - 'a' + 10) : 16;
		if (v == 16)
			return yt_err(err, file, n, "%s must be lowercase hex", what);
		if (i / 2 < size)
			out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] | v) : v << 4);
	}
	if (n->len != 2 * size)
		return yt_err(err, file, n, "%s must be %zu hex digits, not %zu", what, 2 * size,
			      n->len);
	return EIA_OK;
}

static eia_status parse_digests(const char *file, const yt_node *map, digest_set *d, eia_error *err)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < DG_COUNT; i++) {
		const yt_node *v = yt_get(map, digest_algs[i].name);
		eia_status st;
		if (v == NULL)
			continue;
		st = parse_hex(file, v, digest_algs[i].name, digest_algs[i].size, d->v[i], err);
		if (st != EIA_OK)
			return st;
		d->mask |= DG_MASK(i);
	}
	return EIA_OK;
}

static eia_status parse_mode(const char *file, const yt_node *n, unsigned *out, eia_error *err)
{
	const char *s;
	unsigned v = 0;
	eia_status st = yt_str(file, n, "mode", &s, err);

	if (st != EIA_OK)
		return st;
	if (n->len < 3 || n->len > 4)
		return yt_err(err, file, n, "mode must be 3 or 4 octal digits such as \"0755\"");
	for (size_t i = 0; i < n->len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return yt_err(err, file, n,
				      "mode must be 3 or 4 octal digits such as \"0755\"");
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	*out = v; /* at most 07777 by construction */
	return EIA_OK;
}

static eia_status parse_type(const char *file, const yt_node *map, entry *e, eia_error *err)
{
	char shown[256];
	const yt_node *v;
	const char *s;
	eia_status st;

	if ((st = yt_require(file, map, "type", &v, err)) != EIA_OK ||
	    (st = yt_str(file, v, "type", &s, err)) != EIA_OK)
		return st;
	for (int t = ENT_FILE; t < ENT_OTHER; t++)
		if (strcmp(s, type_names[t]) == 0) {
			e->type = (entry_type)t;
			goto class_;
		}
	return yt_err(err, file, v, "unknown type '%s' (file, dir, symlink, archive, firmware)",
		      manifest_show(s, shown, sizeof(shown)));
class_:
	if ((v = yt_get(map, "class")) == NULL)
		return EIA_OK;
	if ((st = yt_str(file, v, "class", &s, err)) != EIA_OK)
		return st;
	if (strcmp(s, "dynamic") == 0)
		e->dynamic = 1;
	else if (strcmp(s, "static") != 0)
		return yt_err(err, file, v, "class must be static or dynamic, not '%s'",
			      manifest_show(s, shown, sizeof(shown)));
	return EIA_OK;
}

static eia_status parse_path(const char *file, const yt_node *map, entry *e, eia_error *err)
{
	const yt_node *v;
	const char *s, *why;
	eia_status st;

	if ((st = yt_require(file, map, "path", &v, err)) != EIA_OK ||
	    (st = yt_str(file, v, "path", &s, err)) != EIA_OK)
		return st;
	if ((why = path_invalid(s, v->len)) != NULL)
		return yt_err(err, file, v, "%s", why);
	e->path = xmemdup0(s, v->len);
	e->line = v->line;
	e->col = v->col;
	return EIA_OK;
}

static eia_status parse_scalars(const char *file, const yt_node *map, entry *e, eia_error *err)
{
	const yt_node *v;
	eia_status st = EIA_OK;

	if ((v = yt_get(map, "size")) != NULL) {
		if ((st = yt_uint(file, v, "size", MANIFEST_MAX_SERIAL, &e->size, err)) != EIA_OK)
			return st;
		e->has_size = 1;
	}
	if ((v = yt_get(map, "mode")) != NULL) {
		if ((st = parse_mode(file, v, &e->mode, err)) != EIA_OK)
			return st;
		e->has_mode = 1;
	}
	if ((v = yt_get(map, "uid")) != NULL) {
		if ((st = yt_uint(file, v, "uid", MANIFEST_MAX_ID, &e->uid, err)) != EIA_OK)
			return st;
		e->has_uid = 1;
	}
	if ((v = yt_get(map, "gid")) != NULL) {
		if ((st = yt_uint(file, v, "gid", MANIFEST_MAX_ID, &e->gid, err)) != EIA_OK)
			return st;
		e->has_gid = 1;
	}
	if ((v = yt_get(map, "target")) != NULL) {
		const char *s;
		if ((st = yt_str(file, v, "target", &s, err)) != EIA_OK)
			return st;
		if (v->len == 0)
			return yt_err(err, file, v, "target must not be empty");
		e->target = xmemdup0(s, v->len);
	}
	return parse_digests(file, map, &e->digests, err);
}

static eia_status parse_region(const char *file, const yt_node *n, const entry *e, region *r,
			       eia_error *err)
{
	char shown[256];
	const yt_node *v;
	const char *s;
	eia_status st;

	if ((st = yt_want(file, n, YT_MAP, "region", err)) != EIA_OK ||
	    (st = refuse_weak(file, n, err)) != EIA_OK ||
	    (st = yt_check_keys(file, n, region_keys, err)) != EIA_OK)
		return st;
	if ((st = yt_require(file, n, "name", &v, err)) != EIA_OK ||
	    (st = yt_str(file, v, "region name", &s, err)) != EIA_OK)
		return st;
	if (v->len == 0)
		return yt_err(err, file, v, "region name must not be empty");
	r->name = xmemdup0(s, v->len);
	r->line = n->line;
	r->col = n->col;
	if ((st = yt_require(file, n, "offset", &v, err)) != EIA_OK ||
	    (st = yt_uint(file, v, "offset", MANIFEST_MAX_SERIAL, &r->offset, err)) != EIA_OK ||
	    (st = yt_require(file, n, "length", &v, err)) != EIA_OK ||
	    (st = yt_uint(file, v, "length", MANIFEST_MAX_SERIAL, &r->length, err)) != EIA_OK)
		return st;
	if (r->offset > MANIFEST_MAX_SERIAL - r->length)
		return yt_err(err, file, v, "region offset + length overflows");
	if (e->has_size && r->offset + r->length > e->size)
		return yt_err(err, file, v, "region '%s' ends at %llu, past the size %llu",
			      manifest_show(r->name, shown, sizeof(shown)),
			      (unsigned long long)(r->offset + r->length),
			      (unsigned long long)e->size);
	if ((st = parse_digests(file, n, &r->digests, err)) != EIA_OK)
		return st;
	if (!(r->digests.mask & DG_MASK(DG_SHA256)))
		return yt_err(err, file, n, "region '%s' needs a sha256",
			      manifest_show(r->name, shown, sizeof(shown)));
	return EIA_OK;
}

static int region_cmp(const void *a, const void *b)
{
	const region *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->length != y->length)
		return x->length < y->length ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int region_name_cmp(const void *a, const void *b)
{
	const region *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

/* Regions are kept sorted by (offset, length, name); names are unique
 * (checked on a copy sorted by name: O(n log n) on hostile input). */
static eia_status parse_regions(const char *file, const yt_node *seq, entry *e, eia_error *err)
{
	char shown[256];
	eia_status st = yt_want(file, seq, YT_SEQ, "regions", err);

	if (st != EIA_OK)
		return st;
	e->regions = xcalloc(seq->n + 1, sizeof(*e->regions));
	for (size_t i = 0; i < seq->n; i++) {
		st = parse_region(file, seq->kids[i], e, &e->regions[i], err);
		e->n_regions = i + 1;
		if (st != EIA_OK)
			return st;
	}
	qsort(e->regions, e->n_regions, sizeof(*e->regions), region_name_cmp);
	for (size_t i = 1; i < e->n_regions; i++) {
		const region *r = &e->regions[i];
		if (strcmp(e->regions[i - 1].name, r->name) == 0)
			return eia_fail(err, EIA_EINPUT, "%s:%lu:%lu: duplicate region name '%s'",
					file, r->line, r->col,
					manifest_show(r->name, shown, sizeof(shown)));
	}
	qsort(e->regions, e->n_regions, sizeof(*e->regions), region_cmp);
	return EIA_OK;
}

static eia_status parse_chunks(const char *file, const yt_node *map, entry *e, eia_error *err)
{
	const yt_node *seq = yt_get(map, "chunks"), *cs = yt_get(map, "chunk-size");
	eia_status st;

	if (cs == NULL)
		return yt_err(err, file, seq, "chunks need a chunk-size");
	if ((st = yt_uint(file, cs, "chunk-size", MANIFEST_MAX_SERIAL, &e->chunk_size, err)) !=
	    EIA_OK)
		return st;
	if (e->chunk_size == 0)
		return yt_err(err, file, cs, "chunk-size must be at least 1");
	if ((st = yt_want(file, seq, YT_SEQ, "chunks", err)) != EIA_OK)
		return st;
	e->chunks = xcalloc(seq->n + 1, sizeof(*e->chunks));
	e->n_chunks = seq->n;
	for (size_t i = 0; i < seq->n; i++)
		if ((st = parse_hex(file, seq->kids[i], "chunk sha256", 32, e->chunks[i], err)) !=
		    EIA_OK)
			return st;
	if (e->has_size) {
		uint64_t want = e->size / e->chunk_size + (e->size % e->chunk_size != 0);
		if (want != (uint64_t)e->n_chunks)
			return yt_err(
				err, file, seq,
				"%zu chunks given, but size %llu in chunks of %llu needs %llu",
				e->n_chunks, (unsigned long long)e->size,
				(unsigned long long)e->chunk_size, (unsigned long long)want);
	}
	return EIA_OK;
}

/* Keys that only some types may carry. */
static eia_status check_type_keys(const char *file, const yt_node *map, const entry *e,
				  eia_error *err)
{
	char shown[256];
	static const struct {
		const char *key;
		entry_type only;
	} only[] = {{"target", ENT_SYMLINK},
		    {"members", ENT_ARCHIVE},
		    {"regions", ENT_FIRMWARE},
		    {"chunks", ENT_FIRMWARE},
		    {"chunk-size", ENT_FIRMWARE}};
	int content = e->type == ENT_FILE || e->type == ENT_ARCHIVE || e->type == ENT_FIRMWARE;

	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		const yt_node *v = yt_get(map, only[i].key);
		if (v != NULL && e->type != only[i].only)
			return yt_err(err, file, v, "%s is only allowed on type %s, not %s",
				      only[i].key, type_names[only[i].only], type_names[e->type]);
	}
	if (e->type == ENT_SYMLINK && e->target == NULL)
		return yt_err(err, file, map, "symlink '%s' needs a target",
			      manifest_show(e->path, shown, sizeof(shown)));
	if (!content && (e->has_size || e->digests.mask != 0))
		return yt_err(err, file, map, "a %s entry carries no size or digest ('%s')",
			      type_names[e->type], manifest_show(e->path, shown, sizeof(shown)));
	if (e->dynamic && e->type != ENT_FILE && e->type != ENT_DIR)
		return yt_err(err, file, map,
			      "class dynamic is only for file and dir entries ('%s')",
			      manifest_show(e->path, shown, sizeof(shown)));
	if (e->dynamic && (e->has_size || e->digests.mask != 0))
		return yt_err(err, file, map, "dynamic entry '%s' carries no size or digest",
			      manifest_show(e->path, shown, sizeof(shown)));
	if (!e->dynamic && content && !(e->digests.mask & DG_MASK(DG_SHA256)))
		return yt_err(err, file, map, "missing sha256 on static %s '%s'",
			      type_names[e->type], manifest_show(e->path, shown, sizeof(shown)));
	return EIA_OK;
}

static eia_status parse_entry(const char *file, const yt_node *map, unsigned depth, entry *e,
			      eia_error *err)
{
	const yt_node *v;
	eia_status st;

	if ((st = yt_want(file, map, YT_MAP, depth ? "member" : "entry", err)) != EIA_OK ||
	    (st = refuse_weak(file, map, err)) != EIA_OK ||
	    (st = yt_check_keys(file, map, entry_keys, err)) != EIA_OK ||
	    (st = parse_path(file, map, e, err)) != EIA_OK ||
	    (st = parse_type(file, map, e, err)) != EIA_OK ||
	    (st = parse_scalars(file, map, e, err)) != EIA_OK ||
	    (st = check_type_keys(file, map, e, err)) != EIA_OK)
		return st;
	if ((v = yt_get(map, "regions")) != NULL && (st = parse_regions(file, v, e, err)) != EIA_OK)
		return st;
	if (yt_get(map, "chunks") != NULL) {
		if ((st = parse_chunks(file, map, e, err)) != EIA_OK)
			return st;
	} else if ((v = yt_get(map, "chunk-size")) != NULL) {
		return yt_err(err, file, v, "chunk-size needs chunks");
	}
	if ((v = yt_get(map, "members")) == NULL)
		return EIA_OK;
	if (depth + 1 > MANIFEST_MAX_MEMBER_DEPTH)
		return yt_err(err, file, v, "archive members nested deeper than %d levels",
			      MANIFEST_MAX_MEMBER_DEPTH);
	e->has_members = 1;
	return entry_parse_list(file, v, depth + 1, &e->members, &e->n_members, err);
}

eia_status entry_parse_one(const char *file, const yt_node *map, unsigned depth, entry *e,
			   eia_error *err)
{
	memset(e, 0, sizeof(*e));
	return parse_entry(file, map, depth, e, err);
}

eia_status entry_list_finish(const char *file, entry *v, size_t n, unsigned depth,
			     eia_error *err)
{
	char shown[256];
	const entry *dup = entry_sort(v, n);

	if (dup == NULL)
		return EIA_OK;
	return eia_fail(err, EIA_EINPUT, "%s:%lu:%lu: duplicate %s path '%s'", file, dup->line,
			dup->col, depth ? "member" : "entry",
			manifest_show(dup->path, shown, sizeof(shown)));
}

eia_status entry_parse_list(const char *file, const yt_node *seq, unsigned depth, entry **out,
			    size_t *n, eia_error *err)
{
	entry *v = NULL;
	size_t count = 0;
	eia_status st = yt_want(file, seq, YT_SEQ, depth ? "members" : "entries", err);

	if (st != EIA_OK)
		goto out;
	v = xcalloc(seq->n + 1, sizeof(*v));
	for (count = 0; count < seq->n && st == EIA_OK; count++)
		st = parse_entry(file, seq->kids[count], depth, &v[count], err);
	if (st == EIA_OK)
		st = entry_list_finish(file, v, count, depth, err);
out:
	if (st != EIA_OK) {
		for (size_t i = 0; i < count; i++)
			entry_free(&v[i]);
		free(v);
		v = NULL;
		count = 0;
	}
	*out = v;
	*n = count;
	return st;
}
