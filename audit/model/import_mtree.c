/* import_mtree.c - BSD mtree specifications (mtree(5)) to manifest entries.
 *
 * Supported: `#` comments, backslash line continuations, /set and /unset,
 * full paths ("./a/b") and the relative form of `mtree -c` (a `type=dir`
 * line without '/' enters the directory, ".." leaves it), vis(3) escapes
 * in names (\ooo octal, \\, \s, \t, \n ...), and the keywords type
 * (file, dir, link), mode, size, sha256digest/sha256, sha512digest/sha512,
 * link, uid, gid. Keywords that eia does not compare (time, flags, nlink,
 * uname, md5digest ...) are ignored; the "." root entry is skipped. */
#include "model/import.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/encode.h"

#define MTREE_MAX_DEPTH 1024

/* Keyword values in effect for one line (/set defaults plus its own). */
struct mtree_kw {
	int has_type, has_mode, has_size, has_uid, has_gid;
	const char *type_name; /* points into a keyword table */
	entry_type type;
	unsigned mode;
	uint64_t size, uid, gid;
	digest_set digests;
	char *link;
};

struct mtree_state {
	const char *file;
	unsigned long lineno;
	struct mtree_kw defaults;
	char *cwd[MTREE_MAX_DEPTH]; /* relative-form directory stack */
	size_t depth;
	import_list list;
	eia_error *err;
};

static eia_status fail(struct mtree_state *ms, const char *why, const char *what)
{
	char shown[256];

	if (what == NULL)
		return eia_fail(ms->err, EIA_EINPUT, "%s:%lu: %s", ms->file, ms->lineno, why);
	return eia_fail(ms->err, EIA_EINPUT, "%s:%lu: %s '%s'", ms->file, ms->lineno, why,
			manifest_show(what, shown, sizeof(shown)));
}

static void kw_free(struct mtree_kw *k)
{
	free(k->link);
	memset(k, 0, sizeof(*k));
}

static int octal_digit(char c)
{
	return c >= '0' && c <= '7';
}

/* vis(3)-style escapes as mtree writes them. Returns -1 on a bad escape. */
static int unescape(const char *s, size_t len, buf *out)
{
	static const char named[] = "\\\\a\ab\bf\fn\nr\rs t\tv\v";

	for (size_t i = 0; i < len; i++) {
		const char *hit;
		if (s[i] != '\\') {
			buf_addc(out, s[i]);
			continue;
		}
		if (i + 3 < len && octal_digit(s[i + 1]) && octal_digit(s[i + 2]) &&
		    octal_digit(s[i + 3])) {
			unsigned v = (unsigned)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
						(s[i + 3] - '0'));
			if (v > 255)
				return -1;
			buf_addc(out, (char)v);
			i += 3;
			continue;
		}
		if (i + 1 >= len || s[i + 1] == '\0')
			return -1;
		for (hit = named; *hit; hit += 2)
			if (*hit == s[i + 1])
				break;
		if (*hit == '\0')
			return -1;
		buf_addc(out, hit[1]);
		i++;
	}
	return 0;
}

static int parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_mode(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 6)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!octal_digit(s[i]))
			return -1;
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	if (v > 07777)
		return -1;
	*out = v;
	return 0;
}

static eia_status set_type(struct mtree_state *ms, struct mtree_kw *k, const char *v, size_t len)
{
	static const struct {
		const char *name;
		entry_type type;
	} types[] = {{"file", ENT_FILE},   {"dir", ENT_DIR},	{"link", ENT_SYMLINK},
		     {"block", ENT_OTHER}, {"char", ENT_OTHER}, {"fifo", ENT_OTHER},
		     {"socket", ENT_OTHER}};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].name) != len || memcmp(types[i].name, v, len) != 0)
			continue;
		k->has_type = 1;
		k->type = types[i].type;
		k->type_name = types[i].name;
		return EIA_OK;
	}
	return fail(ms, "unknown mtree type", NULL);
}

static eia_status set_digest(struct mtree_state *ms, struct mtree_kw *k, int alg, const char *v,
			     size_t len)
{
	size_t size = digest_algs[alg].size;

	if (hex_decode(v, len, k->digests.v[alg], size) != 0)
		return fail(ms, "bad digest value for", digest_algs[alg].name);
	k->digests.mask |= DG_MASK(alg);
	return EIA_OK;
}

static eia_status set_link(struct mtree_state *ms, struct mtree_kw *k, const char *v, size_t len)
{
	buf b;

	buf_init(&b);
	if (unescape(v, len, &b) != 0 || b.len == 0 || memchr(b.data, '\0', b.len) != NULL) {
		buf_free(&b);
		return fail(ms, "bad link target", NULL);
	}
	free(k->link);
	k->link = buf_steal(&b, NULL);
	return EIA_OK;
}

/* One "key=value" word. Keywords eia does not compare are ignored. */
static eia_status set_keyword(struct mtree_state *ms, struct mtree_kw *k, const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	size_t klen, vlen;
	const char *v;

	if (eq == NULL)
		return EIA_OK; /* valueless keywords: optional, nochange, ignore */
	klen = (size_t)(eq - w);
	v = eq + 1;
	vlen = len - klen - 1;
#define KEY(name) (klen == sizeof(name) - 1 && memcmp(w, name, klen) == 0)
	if (KEY("type"))
		return set_type(ms, k, v, vlen);
	if (KEY("mode"))
		return (k->has_mode = parse_mode(v, vlen, &k->mode) == 0) ?
			       EIA_OK :
			       fail(ms, "bad mode", NULL);
	if (KEY("size"))
		return (k->has_size = parse_dec(v, vlen, MANIFEST_MAX_SERIAL, &k->size) == 0) ?
			       EIA_OK :
			       fail(ms, "bad size", NULL);
	if (KEY("uid"))
		return (k->has_uid = parse_dec(v, vlen, MANIFEST_MAX_ID, &k->uid) == 0) ?
			       EIA_OK :
			       fail(ms, "bad uid", NULL);
	if (KEY("gid"))
		return (k->has_gid = parse_dec(v, vlen, MANIFEST_MAX_ID, &k->gid) == 0) ?
			       EIA_OK :
			       fail(ms, "bad gid", NULL);
	if (KEY("sha256digest") || KEY("sha256"))
		return set_digest(ms, k, DG_SHA256, v, vlen);
	if (KEY("sha512digest") || KEY("sha512"))
		return set_digest(ms, k, DG_SHA512, v, vlen);
	if (KEY("link"))
		return set_link(ms, k, v, vlen);
#undef KEY
	return EIA_OK;
}

static void unset_keyword(struct mtree_kw *k, const char *w, size_t len)
{
#define KEY(name) (len == sizeof(name) - 1 && memcmp(w, name, len) == 0)
	if (KEY("all")) {
		kw_free(k);
	} else if (KEY("type")) {
		k->has_type = 0;
	} else if (KEY("mode")) {
		k->has_mode = 0;
	} else if (KEY("size")) {
		k->has_size = 0;
	} else if (KEY("uid")) {
		k->has_uid = 0;
	} else if (KEY("gid")) {
		k->has_gid = 0;
	} else if (KEY("sha256digest") || KEY("sha256")) {
		k->digests.mask &= ~DG_MASK(DG_SHA256);
	} else if (KEY("sha512digest") || KEY("sha512")) {
		k->digests.mask &= ~DG_MASK(DG_SHA512);
	} else if (KEY("link")) {
		free(k->link);
		k->link = NULL;
	}
#undef KEY
}

/* Splits at blanks: the next word of s[*pos..len), 0 at the end. */
static int next_word(const char *s, size_t len, size_t *pos, const char **w, size_t *wlen)
{
	size_t i = *pos;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return 0;
	*w = s + i;
	while (i < len && s[i] != ' ' && s[i] != '\t')
		i++;
	*wlen = (size_t)(s + i - *w);
	*pos = i;
	return 1;
}

static eia_status apply_words(struct mtree_state *ms, struct mtree_kw *k, const char *s, size_t len,
			      size_t pos, int unset)
{
	const char *w;
	size_t wlen;
	eia_status st;

	while (next_word(s, len, &pos, &w, &wlen)) {
		if (unset) {
			unset_keyword(k, w, wlen);
			continue;
		}
		if ((st = set_keyword(ms, k, w, wlen)) != EIA_OK)
			return st;
	}
	return EIA_OK;
}

/* The full path of `name` (already unescaped): as written when it holds a
 * '/', else relative to the current directory of the `mtree -c` form. */
static char *full_path(const struct mtree_state *ms, const char *name)
{
	buf b;

	buf_init(&b);
	if (strchr(name, '/') == NULL)
		for (size_t i = 0; i < ms->depth; i++) {
			buf_adds(&b, ms->cwd[i]);
			buf_addc(&b, '/');
		}
	buf_adds(&b, name);
	return buf_steal(&b, NULL);
}

/* Turns the keywords of one path line into an entry. */
static eia_status make_entry(struct mtree_state *ms, const struct mtree_kw *k, char *path)
{
	entry e;
	entry_type t = k->has_type ? k->type : ENT_FILE;
	eia_status st = EIA_OK;

	memset(&e, 0, sizeof(e));
	e.path = path;
	e.line = ms->lineno;
	if (t == ENT_OTHER)
		st = fail(ms, "unsupported mtree type", k->type_name);
	else if (t == ENT_SYMLINK && k->link == NULL)
		st = fail(ms, "link without a link= target:", path);
	else if (t == ENT_FILE && !(k->digests.mask & DG_MASK(DG_SHA256)))
		st = fail(ms, "no sha256digest (eia needs sha256 on every file):", path);
	if (st != EIA_OK) {
		entry_free(&e);
		return st;
	}
	e.type = t;
	e.has_mode = k->has_mode;
	e.mode = k->mode;
	e.has_uid = k->has_uid;
	e.uid = k->uid;
	e.has_gid = k->has_gid;
	e.gid = k->gid;
	if (t == ENT_FILE) {
		e.has_size = k->has_size;
		e.size = k->size;
		e.digests = k->digests;
	}
	if (t == ENT_SYMLINK)
		e.target = xstrdup(k->link);
	return import_add(ms->file, &ms->list, &e, ms->err);
}

static eia_status path_line(struct mtree_state *ms, const char *s, size_t len)
{
	struct mtree_kw k = ms->defaults;
	const char *w = NULL;
	size_t wlen = 0, pos = 0;
	char *name = NULL, *path = NULL;
	buf b;
	eia_status st = EIA_OK;

	k.link = ms->defaults.link != NULL ? xstrdup(ms->defaults.link) : NULL;
	buf_init(&b);
	next_word(s, len, &pos, &w, &wlen);
	if (unescape(w, wlen, &b) != 0 || memchr(b.data, '\0', b.len) != NULL) {
		st = fail(ms, "bad escape or NUL byte in the path", NULL);
		goto out;
	}
	name = buf_steal(&b, NULL);
	if (strcmp(name, "..") == 0) {
		if (ms->depth == 0)
			st = fail(ms, "'..' above the top directory", NULL);
		else
			free(ms->cwd[--ms->depth]);
		goto out;
	}
	if ((st = apply_words(ms, &k, s, len, pos, 0)) != EIA_OK)
		goto out;
	path = full_path(ms, name);
	if (strchr(name, '/') == NULL && k.has_type && k.type == ENT_DIR) {
		if (ms->depth == MTREE_MAX_DEPTH) {
			st = fail(ms, "directories nested too deep", NULL);
			goto out;
		}
		ms->cwd[ms->depth++] = name;
		name = NULL;
	}
	if (strcmp(path, ".") == 0) /* the root itself */
		goto out;
	st = make_entry(ms, &k, path);
	path = NULL;
out:
	free(path);
	free(name);
	kw_free(&k);
	buf_free(&b);
	return st;
}

static eia_status logical_line(struct mtree_state *ms, const char *s, size_t len)
{
	size_t pos = 0;
	const char *w;
	size_t wlen;

	if (memchr(s, '\0', len) != NULL)
		return fail(ms, "line contains a NUL byte", NULL);
	if (!next_word(s, len, &pos, &w, &wlen) || w[0] == '#')
		return EIA_OK;
	if (wlen == 4 && memcmp(w, "/set", 4) == 0)
		return apply_words(ms, &ms->defaults, s, len, pos, 0);
	if (wlen == 6 && memcmp(w, "/unset", 6) == 0)
		return apply_words(ms, &ms->defaults, s, len, pos, 1);
	if (w[0] == '/')
		return fail(ms, "unknown mtree command or absolute path", NULL);
	return path_line(ms, s + (w - s), len - (size_t)(w - s));
}

eia_status import_mtree(const char *file, const unsigned char *data, size_t len, manifest *m,
			eia_error *err)
{
	struct mtree_state ms;
	const char *line;
	size_t line_len, pos = 0;
	unsigned long physical = 0;
	buf joined;
	eia_status st = EIA_OK;

	memset(&ms, 0, sizeof(ms));
	ms.file = file;
	ms.err = err;
	buf_init(&joined);
	while (st == EIA_OK && import_next_line(data, len, &pos, &line, &line_len)) {
		physical++;
		if (joined.len == 0)
			ms.lineno = physical;
		/* a trailing backslash continues the line */
		if (line_len > 0 && line[line_len - 1] == '\\') {
			buf_add(&joined, line, line_len - 1);
			buf_addc(&joined, ' ');
			continue;
		}
		buf_add(&joined, line, line_len);
		if (joined.len > 0)
			st = logical_line(&ms, (const char *)joined.data, joined.len);
		joined.len = 0;
	}
	if (st == EIA_OK && joined.len > 0)
		st = logical_line(&ms, (const char *)joined.data, joined.len);
	buf_free(&joined);
	kw_free(&ms.defaults);
	while (ms.depth > 0)
		free(ms.cwd[--ms.depth]);
	if (st != EIA_OK) {
		import_list_free(&ms.list);
		return st;
	}
	return import_finish(file, &ms.list, m, err);
}
