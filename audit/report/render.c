#include "report/render.h"

#include <stdlib.h>
#include <string.h>

#include "scan/digest.h"
#include "util/encode.h"
#include "util/paths.h"

static const report_writer *const writers[] = {
	&render_text_writer,
	&render_html_writer,
	&render_junit_writer,
	&render_sarif_writer,
};

const report_writer *render_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
		if (strcmp(writers[i]->name, name) == 0)
			return writers[i];
	return NULL;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	size_t n = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	return n <= left && utf8_valid((const char *)p, n) ? n : 0;
}

static unsigned utf8_decode(const unsigned char *p, size_t n)
{
	static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	unsigned cp = p[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/* Code points shown as \uXXXX: C1 controls; bidi marks, embeddings,
 * overrides and isolates (a name must not reorder the text around it);
 * invisible characters that would make two different names look the same
 * (ZWNJ and ZWJ stay: Persian and other scripts need them); line and
 * paragraph separators; noncharacters that XML refuses. */
static int hidden_codepoint(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{0x80, 0x9f},     {0xad, 0xad},     {0x61c, 0x61c},   {0x180e, 0x180e},
		{0x200b, 0x200b}, {0x200e, 0x200f}, {0x2028, 0x202e}, {0x2060, 0x2064},
		{0x2066, 0x2069}, {0xfeff, 0xfeff}, {0xfffe, 0xffff},
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return 1;
	return 0;
}

static void escape_ascii(buf *out, unsigned char c, render_mode mode)
{
	static const char *const named[] = {['\t'] = "\\t", ['\n'] = "\\n", ['\r'] = "\\r"};
	static const char *const entities[] = {['&'] = "&amp;", ['<'] = "&lt;",
					       ['>'] = "&gt;", ['"'] = "&quot;",
					       ['\''] = "&#39;"};

	if (c < 0x20 || c == 0x7f) {
		if (c < sizeof(named) / sizeof(named[0]) && named[c] != NULL)
			buf_adds(out, named[c]);
		else
			buf_printf(out, "\\x%02x", c);
	} else if (mode == RENDER_TEXT && c == '\\') {
		buf_adds(out, "\\\\");
	} else if (mode != RENDER_TEXT && c < sizeof(entities) / sizeof(entities[0]) &&
		   entities[c] != NULL) {
		buf_adds(out, entities[c]);
	} else {
		buf_addc(out, (char)c);
	}
}

void render_escape(buf *out, const char *s, size_t len, render_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n;
		if (p[i] < 0x80) {
			escape_ascii(out, p[i++], mode);
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (n == 0) {
			buf_printf(out, "\\x%02x", p[i++]);
			continue;
		}
		if (hidden_codepoint(utf8_decode(p + i, n)))
			buf_printf(out, "\\u%04x", utf8_decode(p + i, n));
		else
			buf_add(out, p + i, n);
		i += n;
	}
}

void render_str(buf *out, const char *s, const char *missing, render_mode mode)
{
	if (s == NULL)
		s = missing;
	if (s != NULL)
		render_escape(out, s, strlen(s), mode);
}

char *render_path_raw(const char *path, const char *path_hex, size_t *len)
{
	size_t hl = path_hex != NULL ? strlen(path_hex) : 0;
	unsigned char *raw;

	if (hl > 0 && hl % 2 == 0) {
		raw = xmalloc(hl / 2 + 1);
		if (hex_decode(path_hex, hl, raw, hl / 2) == 0) {
			raw[hl / 2] = '\0';
			*len = hl / 2;
			return (char *)raw;
		}
		free(raw);
	}
	if (path == NULL)
		path = "(no path)";
	*len = strlen(path);
	return xmemdup0(path, *len);
}

void render_path(buf *out, const char *path, const char *path_hex,
		 render_mode mode)
{
	size_t len;
	char *raw = render_path_raw(path, path_hex, &len);

	render_escape(out, raw, len, mode);
	free(raw);
}

void render_location(buf *out, const report_finding *f, render_mode mode)
{
	render_path(out, f->path, f->path_hex, mode);
	for (size_t i = 0; i < f->n_member; i++) {
		buf_adds(out, mode == RENDER_TEXT ? " -> " : " -&gt; ");
		render_str(out, f->member[i], "", mode);
	}
}

void render_region_chunk(buf *out, const report_finding *f, render_mode mode)
{
	if (f->region != NULL) {
		buf_adds(out, " [region ");
		render_str(out, f->region, "", mode);
		buf_addc(out, ']');
	}
	if (f->chunk != NULL) {
		buf_adds(out, " [chunk ");
		render_str(out, f->chunk, "", mode);
		buf_addc(out, ']');
	}
}

static const char *pair_lookup(const report_pairs *p, const char *key, int *found)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].key, key) == 0) {
			*found = 1;
			return p->v[i].value;
		}
	}
	*found = 0;
	return NULL;
}

static void put_value(buf *out, const char *key, const char *v, int shorten,
		      render_mode mode)
{
	if (v == NULL) {
		buf_adds(out, "none");
	} else if (shorten && render_is_digest(key) && strlen(v) > 12) {
		render_escape(out, v, 12, mode);
		buf_adds(out, "..");
	} else {
		render_escape(out, v, strlen(v), mode);
	}
}

static void put_side(buf *out, const char *label, const report_pairs *p,
		     int shorten, render_mode mode)
{
	buf_adds(out, label);
	for (size_t i = 0; i < p->n; i++) {
		buf_adds(out, i == 0 ? " " : ", ");
		render_str(out, p->v[i].key, "", mode);
		buf_addc(out, ' ');
		put_value(out, p->v[i].key, p->v[i].value, shorten, mode);
	}
}

static void put_change(buf *out, const char *key, const char *e, const char *a,
		       int shorten, render_mode mode)
{
	if (out->len > 0)
		buf_adds(out, "; ");
	render_str(out, key, "", mode);
	if (render_is_digest(key)) {
		buf_adds(out, " expected ");
		put_value(out, key, e, shorten, mode);
		buf_adds(out, " actual ");
	} else {
		buf_addc(out, ' ');
		put_value(out, key, e, shorten, mode);
		buf_adds(out, mode == RENDER_TEXT ? " -> " : " -&gt; ");
	}
	put_value(out, key, a, shorten, mode);
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Differences only, into a scratch buffer so "; " separators stay local. */
static void put_changes(buf *out, const report_finding *f, int shorten,
			render_mode mode)
{
	buf tmp;
	int found;

	buf_init(&tmp);
	for (size_t i = 0; i < f->expected.n; i++) {
		const report_pair *e = &f->expected.v[i];
		const char *a = pair_lookup(&f->actual, e->key, &found);
		if (!found || !same(e->value, a))
			put_change(&tmp, e->key, e->value, a, shorten, mode);
	}
	for (size_t i = 0; i < f->actual.n; i++) {
		const report_pair *a = &f->actual.v[i];
		pair_lookup(&f->expected, a->key, &found);
		if (!found)
			put_change(&tmp, a->key, NULL, a->value, shorten, mode);
	}
	buf_add(out, tmp.data, tmp.len);
	buf_free(&tmp);
}

void render_attr_diff(buf *out, const report_finding *f, int shorten,
		      render_mode mode)
{
	int e = f->has_expected && f->expected.n > 0;
	int a = f->has_actual && f->actual.n > 0;

	if (e && !a)
		put_side(out, "expected", &f->expected, shorten, mode);
	else if (a && !e)
		put_side(out, "found", &f->actual, shorten, mode);
	else if (e && a)
		put_changes(out, f, shorten, mode);
}

const char *render_kind_text(const char *kind)
{
	static const struct { const char *kind, *text; } kinds[] = {
		{"missing", "a path the baseline lists is missing"},
		{"unlisted", "a path the baseline does not list is present"},
		{"modified", "content differs from the baseline"},
		{"type-changed", "the file type differs from the baseline"},
		{"mode-changed", "permissions differ from the baseline"},
		{"target-changed", "the symbolic link target differs from the baseline"},
		{"owner-changed", "owner or group differs from the baseline"},
		{"member-missing", "an archive member the baseline lists is missing"},
		{"member-unlisted", "an archive holds a member the baseline does not list"},
		{"unreadable", "a path could not be read"},
		{"malformed", "an archive or image is malformed"},
		{"limit-exceeded", "a safety limit was exceeded while reading"},
	};

	for (size_t i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].text;
	return "a difference from the baseline";
}

const char *render_verdict(const report_doc *r)
{
	static const char *const words[] = {
		[REPORT_PASS] = "PASS", [REPORT_DRIFT] = "DRIFT",
		[REPORT_UNTRUSTED] = "UNTRUSTED", [REPORT_ERROR] = "ERROR"};
	return words[r->result];
}

static int index_cmp_key(const char *p1, const char *h1, const char *p2,
			 const char *h2)
{
	int c = strcmp(p1 ? p1 : "", p2 ? p2 : "");
	return c != 0 ? c : strcmp(h1 ? h1 : "", h2 ? h2 : "");
}

static int index_cmp(const void *a, const void *b)
{
	const render_index *x = a, *y = b;
	int c = index_cmp_key(x->path, x->path_hex, y->path, y->path_hex);
	return c != 0 ? c : (x->finding > y->finding) - (x->finding < y->finding);
}

render_index *render_index_findings(const report_doc *r)
{
	render_index *ix = xcalloc(r->n_findings + 1, sizeof(*ix));

	for (size_t i = 0; i < r->n_findings; i++) {
		ix[i].path = r->findings[i].path;
		ix[i].path_hex = r->findings[i].path_hex;
		ix[i].finding = i;
	}
	if (r->n_findings > 1)
		qsort(ix, r->n_findings, sizeof(*ix), index_cmp);
	return ix;
}

size_t render_index_find(const render_index *ix, size_t n, const char *path,
			 const char *path_hex, size_t *first)
{
	size_t lo = 0, hi = n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (index_cmp_key(ix[mid].path, ix[mid].path_hex, path, path_hex) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < n; end++)
		if (index_cmp_key(ix[end].path, ix[end].path_hex, path, path_hex) != 0)
			break;
	*first = lo;
	return end - lo;
}

int render_is_warn(const report_finding *f)
{
	return f->severity != NULL && strcmp(f->severity, "warn") == 0;
}

int render_is_digest(const char *key)
{
	return key != NULL && digest_by_name(key) >= 0;
}

int render_uint(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (~0ULL - 9) / 10)
			return 0;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 1;
}

int render_threshold_short(const report_manifest *m)
{
	unsigned long long required, valid;

	if (!render_uint(m->threshold_required, &required) ||
	    !render_uint(m->threshold_valid, &valid))
		return 0;
	return valid < required;
}

const char *render_manifest_label(const report_manifest *m)
{
	if (m->name != NULL)
		return m->name;
	return m->file != NULL ? m->file : "(unnamed)";
}

int render_manifest_short(const report_manifest *m)
{
	return m->n_signatures == 0 || render_threshold_short(m);
}
