/* import.c - the shared import machinery (line splitting, path checks,
 * implied directories) and the `sha256sum` importer. */
#include "model/import.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/encode.h"
#include "util/paths.h"

void import_list_free(import_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int import_next_line(const unsigned char *data, size_t len, size_t *pos, const char **line,
		     size_t *line_len)
{
	const unsigned char *nl;

	if (*pos >= len)
		return 0;
	*line = (const char *)data + *pos;
	nl = memchr(data + *pos, '\n', len - *pos);
	*line_len = nl != NULL ? (size_t)(nl - (data + *pos)) : len - *pos;
	*pos += *line_len + (nl != NULL);
	return 1;
}

eia_status import_add(const char *file, import_list *l, entry *e, eia_error *err)
{
	const char *p = e->path, *why;
	size_t len = e->path != NULL ? strlen(e->path) : 0;

	while (len >= 2 && p[0] == '.' && p[1] == '/') {
		p += 2;
		len -= 2;
	}
	if (p == NULL)
		why = "path is empty";
	else if (len > IMPORT_MAX_PATH)
		why = "path is too long";
	else
		why = path_invalid(p, len);
	if (why != NULL) {
		eia_status st = eia_fail(err, EIA_EINPUT, "%s:%lu: %s", file, e->line, why);
		entry_free(e);
		return st;
	}
	memmove(e->path, p, len + 1);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *e;
	memset(e, 0, sizeof(*e));
	return EIA_OK;
}

static int str_cmp(const void *a, const void *b)
{
	return path_cmp(*(char *const *)a, *(char *const *)b);
}

/* Every proper prefix "a", "a/b" of every path "a/b/c", sorted and unique. */
static char **parent_dirs(const import_list *l, size_t *n_out)
{
	char **v = NULL;
	size_t n = 0, cap = 0, u = 0;

	for (size_t i = 0; i < l->n; i++) {
		const char *p = l->v[i].path;
		for (const char *s = strchr(p, '/'); s != NULL; s = strchr(s + 1, '/')) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n++] = xmemdup0(p, (size_t)(s - p));
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), str_cmp);
	for (size_t i = 0; i < n; i++) {
		if (u > 0 && strcmp(v[u - 1], v[i]) == 0)
			free(v[i]);
		else
			v[u++] = v[i];
	}
	*n_out = u;
	return v;
}

/* Adds a plain `dir` entry for each parent not listed; a parent listed as
 * something other than a directory is an error. */
static eia_status add_parents(const char *file, import_list *l, eia_error *err)
{
	char shown[256];
	size_t n_dirs, n_listed = l->n;
	char **dirs = parent_dirs(l, &n_dirs);
	eia_status st = EIA_OK;

	for (size_t i = 0; i < n_dirs; i++) {
		const entry *e = entry_find(l->v, n_listed, dirs[i]);
		if (e != NULL && e->type != ENT_DIR && st == EIA_OK)
			st = eia_fail(
				err, EIA_EINPUT,
				"%s:%lu: '%s' is listed as a %s but other paths are inside it",
				file, e->line, manifest_show(e->path, shown, sizeof(shown)),
				entry_type_name(e->type));
		if (e != NULL || st != EIA_OK) {
			free(dirs[i]);
			continue;
		}
		if (l->n == l->cap) {
			l->cap = l->cap * 2 + 64;
			l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
		}
		memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
		l->v[l->n].path = dirs[i];
		l->v[l->n++].type = ENT_DIR;
	}
	free(dirs);
	return st;
}

eia_status import_finish(const char *file, import_list *l, manifest *m, eia_error *err)
{
	const entry *dup = entry_sort(l->v, l->n);
	eia_status st = EIA_OK;
	char shown[256];

	if (dup != NULL) {
		st = eia_fail(err, EIA_EINPUT, "%s:%lu: '%s' is listed twice", file, dup->line,
			      manifest_show(dup->path, shown, sizeof(shown)));
		goto out;
	}
	if ((st = add_parents(file, l, err)) != EIA_OK)
		goto out;
	entry_sort(l->v, l->n);
	m->entries = l->v;
	m->n_entries = l->n;
	memset(l, 0, sizeof(*l));
out:
	import_list_free(l);
	return st;
}

/* GNU sha256sum escapes names holding '\\', '\n' or '\r' and marks the
 * line with a leading backslash. */
static eia_status sums_unescape(const char *file, unsigned long lineno, const char *s, size_t len,
				char **out, eia_error *err)
{
	buf b;

	buf_init(&b);
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			buf_addc(&b, s[i]);
			continue;
		}
		if (i + 1 < len && (s[i + 1] == '\\' || s[i + 1] == 'n' || s[i + 1] == 'r')) {
			buf_addc(&b, s[i + 1] == '\\' ? '\\' : s[i + 1] == 'n' ? '\n' : '\r');
			i++;
			continue;
		}
		buf_free(&b);
		return eia_fail(err, EIA_EINPUT, "%s:%lu: bad escape in file name", file, lineno);
	}
	*out = buf_steal(&b, NULL);
	return EIA_OK;
}

static eia_status sums_line(const char *file, unsigned long lineno, const char *s, size_t len,
			    import_list *l, eia_error *err)
{
	entry e;
	int escaped = len > 0 && s[0] == '\\';
	eia_status st;

	memset(&e, 0, sizeof(e));
	if (memchr(s, '\0', len) != NULL)
		return eia_fail(err, EIA_EINPUT, "%s:%lu: line contains a NUL byte", file, lineno);
	s += escaped;
	len -= (size_t)escaped;
	if (len < 67 || s[64] != ' ' || (s[65] != ' ' && s[65] != '*'))
		return eia_fail(err, EIA_EINPUT,
				"%s:%lu: expected '<64 hex digits>  PATH' (sha256sum output)", file,
				lineno);
	if (hex_decode(s, 64, e.digests.v[DG_SHA256], 32) != 0)
		return eia_fail(err, EIA_EINPUT, "%s:%lu: the sha256 is not 64 hex digits", file,
				lineno);
	if (!escaped && s[len - 1] == '\r')
		return eia_fail(err, EIA_EINPUT, "%s:%lu: line ends with CR (DOS line endings?)",
				file, lineno);
	if (!escaped)
		e.path = xmemdup0(s + 66, len - 66);
	else if ((st = sums_unescape(file, lineno, s + 66, len - 66, &e.path, err)) != EIA_OK)
		return st;
	e.type = ENT_FILE;
	e.digests.mask = DG_MASK(DG_SHA256);
	e.line = lineno;
	return import_add(file, l, &e, err);
}

eia_status import_sha256sums(const char *file, const unsigned char *data, size_t len, manifest *m,
			     eia_error *err)
{
	import_list l = {NULL, 0, 0};
	size_t pos = 0;
	unsigned long lineno = 0;
	const char *line;
	size_t line_len;
	eia_status st;

	while (import_next_line(data, len, &pos, &line, &line_len)) {
		lineno++;
		if (line_len == 0)
			continue;
		if ((st = sums_line(file, lineno, line, line_len, &l, err)) != EIA_OK) {
			import_list_free(&l);
			return st;
		}
	}
	return import_finish(file, &l, m, err);
}
