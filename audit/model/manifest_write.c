/* manifest_write.c - the one canonical YAML form of a manifest.
 *
 * Fixed top-level key order, policy always written in full, entries sorted
 * by path, simple entries as one flow mapping per line, entries with
 * members/regions/chunks as block mappings. Every string is double-quoted
 * with escapes, so any valid path round-trips through manifest_parse. */
#include "model/manifest.h"

#include <stdio.h>
#include <string.h>

#include "util/encode.h"
#include "util/paths.h"

/* Code point of the valid UTF-8 sequence at p (n bytes). */
static unsigned utf8_cp(const unsigned char *p, size_t n)
{
	unsigned cp = n == 2 ? p[0] & 0x1fu : n == 3 ? p[0] & 0x0fu : p[0] & 0x07u;

	for (size_t k = 1; k < n; k++)
		cp = cp << 6 | (p[k] & 0x3fu);
	return cp;
}

/* YAML counts these as line breaks or non-printable: escape them. */
static int needs_escape(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
	       cp == 0xfffe || cp == 0xffff;
}

static void put_escaped(buf *out, const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (c == '"' || c == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)c);
		} else if (c == '\n') {
			buf_adds(out, "\\n");
		} else if (c == '\t') {
			buf_adds(out, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(out, "\\x%02x", c);
		} else if (c < 0x80) {
			buf_addc(out, (char)c);
		} else if (n > len - i || !utf8_valid((const char *)p + i, n)) {
			buf_adds(out, "\\ufffd"); /* never for parsed input */
			n = 1;
		} else if (needs_escape(utf8_cp(p + i, n))) {
			buf_printf(out, "\\u%04x", utf8_cp(p + i, n));
		} else {
			buf_add(out, p + i, n);
		}
		i += n;
	}
}

void manifest_quote(buf *out, const char *s)
{
	buf_addc(out, '"');
	put_escaped(out, (const unsigned char *)s, strlen(s));
	buf_addc(out, '"');
}

/* One character of s for manifest_show, as text in tmp; returns the bytes used. */
static size_t show_char(const unsigned char *p, size_t left, char tmp[16])
{
	size_t n = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;

	if (p[0] == '\\' || p[0] == '\n' || p[0] == '\t') {
		snprintf(tmp, 16, "\\%c", p[0] == '\n' ? 'n' : p[0] == '\t' ? 't' : '\\');
		return 1;
	}
	if (p[0] < 0x20 || p[0] == 0x7f ||
	    (p[0] >= 0x80 && (n > left || !utf8_valid((const char *)p, n)))) {
		snprintf(tmp, 16, "\\x%02x", p[0]);
		return 1;
	}
	if (n > 1 && needs_escape(utf8_cp(p, n)))
		snprintf(tmp, 16, "\\u%04x", utf8_cp(p, n));
	else
		snprintf(tmp, 16, "%.*s", (int)n, (const char *)p);
	return n;
}

void manifest_show_append(buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	while (left > 0) {
		char tmp[16];
		size_t used = show_char(p, left, tmp);
		buf_adds(out, tmp);
		p += used;
		left -= used;
	}
}

const char *manifest_show(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, left = strlen(s);

	if (size < 8) {
		if (size > 0)
			out[0] = '\0';
		return out;
	}
	while (left > 0) {
		char tmp[16];
		size_t used = show_char(p, left, tmp), n = strlen(tmp);
		if (o + n + 4 > size) {
			memcpy(out + o, "...", 4);
			return out;
		}
		memcpy(out + o, tmp, n);
		o += n;
		p += used;
		left -= used;
	}
	out[o] = '\0';
	return out;
}

static void put_hex(buf *out, const unsigned char *v, size_t n)
{
	char hex[2 * DG_MAX_SIZE + 1];

	hex_encode(v, n, hex);
	buf_adds(out, hex);
}

static void put_digests(buf *out, const digest_set *d, const char *sep)
{
	for (int i = 0; i < DG_COUNT; i++) {
		if (!(d->mask & DG_MASK(i)))
			continue;
		buf_printf(out, "%s%s: ", sep, digest_algs[i].name);
		put_hex(out, d->v[i], digest_algs[i].size);
	}
}

static void indent(buf *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf_addc(out, ' ');
}

/* Scalar attributes in canonical order; `sep` goes before each key. */
static void put_attributes(buf *out, const entry *e, const char *sep)
{
	buf_printf(out, "path: ");
	manifest_quote(out, e->path);
	buf_printf(out, "%stype: %s", sep, entry_type_name(e->type));
	if (e->dynamic)
		buf_printf(out, "%sclass: dynamic", sep);
	if (e->has_size)
		buf_printf(out, "%ssize: %llu", sep, (unsigned long long)e->size);
	put_digests(out, &e->digests, sep);
	if (e->has_mode)
		buf_printf(out, "%smode: \"%04o\"", sep, e->mode & 07777u);
	if (e->has_uid)
		buf_printf(out, "%suid: %llu", sep, (unsigned long long)e->uid);
	if (e->has_gid)
		buf_printf(out, "%sgid: %llu", sep, (unsigned long long)e->gid);
	if (e->target != NULL) {
		buf_printf(out, "%starget: ", sep);
		manifest_quote(out, e->target);
	}
}

static void write_entry(buf *out, const entry *e, unsigned ind);

static void write_nested(buf *out, const entry *e, unsigned ind)
{
	if (e->regions != NULL) {
		indent(out, ind);
		buf_adds(out, e->n_regions ? "regions:\n" : "regions: []\n");
		for (size_t i = 0; i < e->n_regions; i++) {
			const region *r = &e->regions[i];
			indent(out, ind + 2);
			buf_adds(out, "- {name: ");
			manifest_quote(out, r->name);
			buf_printf(out, ", offset: %llu, length: %llu",
				   (unsigned long long)r->offset, (unsigned long long)r->length);
			put_digests(out, &r->digests, ", ");
			buf_adds(out, "}\n");
		}
	}
	if (e->chunk_size > 0) {
		indent(out, ind);
		buf_printf(out, "chunk-size: %llu\n", (unsigned long long)e->chunk_size);
		indent(out, ind);
		buf_adds(out, e->n_chunks ? "chunks:\n" : "chunks: []\n");
		for (size_t i = 0; i < e->n_chunks; i++) {
			indent(out, ind + 2);
			buf_adds(out, "- ");
			put_hex(out, e->chunks[i], 32);
			buf_addc(out, '\n');
		}
	}
	if (e->has_members) {
		indent(out, ind);
		buf_adds(out, e->n_members ? "members:\n" : "members: []\n");
		for (size_t i = 0; i < e->n_members; i++)
			write_entry(out, &e->members[i], ind + 2);
	}
}

/* `ind` is the column of the "- " that starts the entry. */
static void write_entry(buf *out, const entry *e, unsigned ind)
{
	char sep[128];
	unsigned width = ind + 2 < sizeof(sep) - 2 ? ind + 2 : (unsigned)sizeof(sep) - 2;
	int block = e->has_members || e->regions != NULL || e->chunk_size > 0;

	indent(out, ind);
	if (!block) {
		buf_adds(out, "- {");
		put_attributes(out, e, ", ");
		buf_adds(out, "}\n");
		return;
	}
	/* block mapping: one key per line, aligned under "path" */
	sep[0] = '\n';
	memset(sep + 1, ' ', width);
	sep[1 + width] = '\0';
	buf_adds(out, "- ");
	put_attributes(out, e, sep);
	buf_addc(out, '\n');
	write_nested(out, e, ind + 2);
}

static void write_policy(buf *out, const manifest *m)
{
	const char *comma = "";

	buf_printf(out, "policy:\n  unlisted: %s\n  ignore: [", unlisted_name(m->unlisted));
	for (size_t i = 0; i < m->n_ignore; i++) {
		buf_adds(out, i ? ", " : "");
		manifest_quote(out, m->ignore[i]);
	}
	buf_adds(out, "]\n  compare: [");
	for (size_t i = 0; compare_names[i].name != NULL; i++) {
		if (!(m->compare & compare_names[i].bit))
			continue;
		buf_printf(out, "%s%s", comma, compare_names[i].name);
		comma = ", ";
	}
	buf_adds(out, "]\n");
}

static void write_opt(buf *out, const char *key, const char *value)
{
	if (value == NULL)
		return;
	buf_printf(out, "%s: ", key);
	manifest_quote(out, value);
	buf_addc(out, '\n');
}

void manifest_write(const manifest *m, buf *out)
{
	buf_adds(out, "eia-manifest: 1\n");
	write_opt(out, "name", m->name ? m->name : "");
	buf_printf(out, "serial: %llu\n", (unsigned long long)m->serial);
	write_opt(out, "created", m->created);
	write_opt(out, "expires", m->expires);
	write_opt(out, "description", m->description);
	if (m->n_system > 0) {
		buf_adds(out, "system:\n");
		for (size_t i = 0; i < m->n_system; i++) {
			buf_adds(out, "  ");
			manifest_quote(out, m->system[i].key);
			buf_adds(out, ": ");
			manifest_quote(out, m->system[i].value);
			buf_addc(out, '\n');
		}
	}
	write_policy(out, m);
	buf_adds(out, m->n_entries ? "entries:\n" : "entries: []\n");
	for (size_t i = 0; i < m->n_entries; i++)
		write_entry(out, &m->entries[i], 2);
}
