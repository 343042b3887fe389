/* manifest.c - the strict manifest schema: YAML tree -> struct manifest.
 *
 * Every rule of SPEC.md "Manifest" is checked here; each violation is an
 * EIA_EINPUT error "FILE:LINE:COL: why" pointing at the offending node.
 * Entry-level rules live in manifest_entry.c; the canonical writer in
 * manifest_write.c. */
#include "model/manifest.h"

#include <stdlib.h>
#include <string.h>

#include "model/manifest_entry.h"
#include "util/paths.h"
#include "util/timefmt.h"
#include "util/yaml_tree.h"

static const char *const top_keys[] = {"eia-manifest", "name",	 "serial", "created", "expires",
				       "description",  "system", "policy", "entries", NULL};
static const char *const policy_keys[] = {"unlisted", "ignore", "compare", NULL};

/* policy.compare names, in canonical order (manifest_write uses it too). */
const struct compare_name compare_names[] = {{"type", CMP_TYPE},     {"size", CMP_SIZE},
					     {"digest", CMP_DIGEST}, {"mode", CMP_MODE},
					     {"target", CMP_TARGET}, {"uid", CMP_UID},
					     {"gid", CMP_GID},	     {NULL, 0}};

const char *unlisted_name(unlisted_policy u)
{
	return u == UNLISTED_WARN ? "warn" : u == UNLISTED_IGNORE ? "ignore" : "fail";
}

void manifest_init(manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->unlisted = UNLISTED_FAIL;
	m->compare = CMP_DEFAULT;
}

void manifest_free(manifest *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->created);
	free(m->expires);
	free(m->description);
	for (size_t i = 0; i < m->n_system; i++) {
		free(m->system[i].key);
		free(m->system[i].value);
	}
	free(m->system);
	for (size_t i = 0; i < m->n_ignore; i++)
		free(m->ignore[i]);
	free(m->ignore);
	for (size_t i = 0; i < m->n_entries; i++)
		entry_free(&m->entries[i]);
	free(m->entries);
	manifest_init(m);
}

const entry *entry_find(const entry *v, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = path_cmp(v[mid].path, path);
		if (c == 0)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static eia_status dup_str(const char *file, const yt_node *n, const char *what, int nonempty,
			  char **out, eia_error *err)
{
	const char *s;
	eia_status st = yt_str(file, n, what, &s, err);

	if (st != EIA_OK)
		return st;
	if (nonempty && n->len == 0)
		return yt_err(err, file, n, "%s must not be empty", what);
	*out = xmemdup0(s, n->len);
	return EIA_OK;
}

static eia_status parse_time(const char *file, const yt_node *n, const char *what, char **text,
			     int64_t *at, eia_error *err)
{
	int64_t t;
	eia_status st = dup_str(file, n, what, 1, text, err);

	if (st != EIA_OK)
		return st;
	if (rfc3339_parse(*text, &t) != 0)
		return yt_err(err, file, n,
			      "%s must be an RFC 3339 time such as 2027-01-31T00:00:00Z", what);
	if (at != NULL)
		*at = t;
	return EIA_OK;
}

static eia_status parse_system(const char *file, const yt_node *n, manifest *m, eia_error *err)
{
	eia_status st = yt_want(file, n, YT_MAP, "system", err);

	if (st != EIA_OK)
		return st;
	m->system = xcalloc(n->n / 2 + 1, sizeof(*m->system));
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		kv *p = &m->system[m->n_system];
		st = dup_str(file, n->kids[i], "system key", 1, &p->key, err);
		if (st == EIA_OK)
			st = dup_str(file, n->kids[i + 1], "system value", 0, &p->value, err);
		if (p->key != NULL)
			m->n_system++;
		if (st != EIA_OK)
			return st;
	}
	return EIA_OK;
}

static eia_status parse_ignore(const char *file, const yt_node *n, manifest *m, eia_error *err)
{
	eia_status st = yt_want(file, n, YT_SEQ, "policy.ignore", err);

	if (st != EIA_OK)
		return st;
	m->ignore = xcalloc(n->n + 1, sizeof(*m->ignore));
	for (size_t i = 0; i < n->n; i++) {
		st = dup_str(file, n->kids[i], "policy.ignore glob", 1, &m->ignore[m->n_ignore],
			     err);
		if (st != EIA_OK)
			return st;
		m->n_ignore++;
	}
	return EIA_OK;
}

static eia_status parse_compare(const char *file, const yt_node *n, manifest *m, eia_error *err)
{
	char shown[256];
	eia_status st = yt_want(file, n, YT_SEQ, "policy.compare", err);

	if (st != EIA_OK)
		return st;
	m->compare = 0;
	for (size_t i = 0; i < n->n; i++) {
		const yt_node *k = n->kids[i];
		const char *s;
		size_t j;
		st = yt_str(file, k, "policy.compare item", &s, err);
		if (st != EIA_OK)
			return st;
		for (j = 0; compare_names[j].name != NULL; j++)
			if (strcmp(compare_names[j].name, s) == 0)
				break;
		if (compare_names[j].name == NULL)
			return yt_err(
				err, file, k,
				"unknown compare attribute '%s' (type, size, digest, mode, target, uid, gid)",
				manifest_show(s, shown, sizeof(shown)));
		if (m->compare & compare_names[j].bit)
			return yt_err(err, file, k, "compare attribute '%s' listed twice",
				      manifest_show(s, shown, sizeof(shown)));
		m->compare |= compare_names[j].bit;
	}
	return EIA_OK;
}

static eia_status parse_policy(const char *file, const yt_node *n, manifest *m, eia_error *err)
{
	char shown[256];
	const yt_node *v;
	eia_status st = yt_want(file, n, YT_MAP, "policy", err);

	if (st == EIA_OK)
		st = yt_check_keys(file, n, policy_keys, err);
	if (st != EIA_OK)
		return st;
	if ((v = yt_get(n, "unlisted")) != NULL) {
		const char *s;
		if ((st = yt_str(file, v, "policy.unlisted", &s, err)) != EIA_OK)
			return st;
		if (strcmp(s, "fail") == 0)
			m->unlisted = UNLISTED_FAIL;
		else if (strcmp(s, "warn") == 0)
			m->unlisted = UNLISTED_WARN;
		else if (strcmp(s, "ignore") == 0)
			m->unlisted = UNLISTED_IGNORE;
		else
			return yt_err(err, file, v,
				      "policy.unlisted must be fail, warn or ignore, not '%s'",
				      manifest_show(s, shown, sizeof(shown)));
	}
	if ((v = yt_get(n, "ignore")) != NULL && (st = parse_ignore(file, v, m, err)) != EIA_OK)
		return st;
	if ((v = yt_get(n, "compare")) != NULL)
		return parse_compare(file, v, m, err);
	return EIA_OK;
}

static eia_status parse_header(const char *file, const yt_node *root, manifest *m, eia_error *err)
{
	const yt_node *v;
	eia_status st;
	uint64_t version;

	if ((st = yt_require(file, root, "eia-manifest", &v, err)) != EIA_OK ||
	    (st = yt_uint(file, v, "eia-manifest", UINT64_MAX, &version, err)) != EIA_OK)
		return st;
	if (version != 1)
		return yt_err(err, file, v,
			      "unsupported eia-manifest version %llu (this eia reads 1)",
			      (unsigned long long)version);
	if ((st = yt_require(file, root, "name", &v, err)) != EIA_OK ||
	    (st = dup_str(file, v, "name", 1, &m->name, err)) != EIA_OK)
		return st;
	if ((st = yt_require(file, root, "serial", &v, err)) != EIA_OK ||
	    (st = yt_uint(file, v, "serial", MANIFEST_MAX_SERIAL, &m->serial, err)) != EIA_OK)
		return st;
	if ((v = yt_get(root, "created")) != NULL &&
	    (st = parse_time(file, v, "created", &m->created, NULL, err)) != EIA_OK)
		return st;
	if ((v = yt_get(root, "expires")) != NULL &&
	    (st = parse_time(file, v, "expires", &m->expires, &m->expires_at, err)) != EIA_OK)
		return st;
	if ((v = yt_get(root, "description")) != NULL &&
	    (st = dup_str(file, v, "description", 0, &m->description, err)) != EIA_OK)
		return st;
	if ((v = yt_get(root, "system")) != NULL && (st = parse_system(file, v, m, err)) != EIA_OK)
		return st;
	if ((v = yt_get(root, "policy")) != NULL)
		return parse_policy(file, v, m, err);
	return EIA_OK;
}

/* Entries arrive one at a time from the YAML stream (yt_parse_stream):
 * the manifest's memory is its entries, not a YAML tree of all of them. */
struct entry_sink {
	const char *file;
	entry *v;
	size_t n, cap;
	manifest_entry_fn fn;
	void *ctx;
};

static eia_status take_entry(void *ctx, const yt_node *item, eia_error *err)
{
	struct entry_sink *k = ctx;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap + k->cap / 2 : 1024;
		k->v = xreallocarray(k->v, k->cap, sizeof(*k->v));
	}
	eia_status st = entry_parse_one(k->file, item, 0, &k->v[k->n++], err);
	if (st == EIA_OK && k->fn != NULL)
		k->fn(k->ctx, &k->v[k->n - 1]);
	return st;
}

static void sink_free(struct entry_sink *k)
{
	for (size_t i = 0; i < k->n; i++)
		entry_free(&k->v[i]);
	free(k->v);
	k->v = NULL;
	k->n = k->cap = 0;
}

static eia_status parse_root(const char *file, const yt_node *root, yt_stream *s,
			     struct entry_sink *k, manifest *m, eia_error *err)
{
	const yt_node *v;
	eia_status st;

	if (root->kind != YT_MAP)
		return yt_err(err, file, root,
			      "a manifest must be a mapping starting with 'eia-manifest: 1'");
	if ((st = yt_check_keys(file, root, top_keys, err)) != EIA_OK ||
	    (st = parse_header(file, root, m, err)) != EIA_OK)
		return st;
	if ((st = yt_require(file, root, "entries", &v, err)) != EIA_OK)
		return st;
	if (v->kind != YT_SEQ) /* not streamed: the schema error as for members */
		return entry_parse_list(file, v, 0, &m->entries, &m->n_entries, err);
	if (s->st != EIA_OK) {
		if (err != NULL)
			*err = s->err;
		return s->st;
	}
	if ((st = entry_list_finish(file, k->v, k->n, 0, err)) != EIA_OK)
		return st;
	m->entries = k->n ? xreallocarray(k->v, k->n, sizeof(*k->v)) : k->v;
	m->n_entries = k->n;
	k->v = NULL;
	k->n = k->cap = 0;
	return EIA_OK;
}

eia_status manifest_parse(const char *file, const unsigned char *data, size_t len, manifest *out,
			  eia_error *err)
{
	return manifest_parse_ahead(file, data, len, NULL, NULL, out, err);
}

eia_status manifest_parse_ahead(const char *file, const unsigned char *data, size_t len,
				manifest_entry_fn fn, void *ctx, manifest *out, eia_error *err)
{
	struct entry_sink sink = {file, NULL, 0, 0, fn, ctx};
	yt_stream stream = {"entries", take_entry, &sink, EIA_OK, {EIA_OK, ""}};
	yt_node *root = NULL;
	eia_status st;
	manifest m;

	manifest_init(&m);
	manifest_init(out);
	st = yt_parse_stream(file, data, len, &stream, &root, err);
	if (st != EIA_OK) {
		/* libyaml gives no position for an empty stream: point at 1:1 */
		size_t flen = strlen(file);
		if (err != NULL && strncmp(err->msg, file, flen) == 0 &&
		    strcmp(err->msg + flen, ":1:1: empty document") == 0)
			st = eia_fail(err, EIA_EINPUT,
				      "%s:1:1: empty document (expected 'eia-manifest: 1')", file);
		goto out;
	}
	st = parse_root(file, root, &stream, &sink, &m, err);
	if (st == EIA_OK) {
		*out = m;
		manifest_init(&m);
	}
out:
	sink_free(&sink);
	manifest_free(&m);
	yt_free(root);
	return st;
}
