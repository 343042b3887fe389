#include "util/json_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/paths.h"

typedef struct jr_parser {
	const char *file;
	const unsigned char *p;
	size_t len, pos;
	unsigned long line;
	size_t line_start;
	int depth;
	size_t values;          /* parsed so far, capped at JR_MAX_VALUES */
	const char *repeatable; /* top-level key whose object may repeat keys */
	int repeat_next;        /* the next container is that object */
	eia_error *err;
} jr_parser;

static eia_status perr(jr_parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static eia_status perr(jr_parser *ps, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return eia_fail(ps->err, EIA_EINPUT, "%s:%lu:%lu: %s", ps->file, ps->line,
			(unsigned long)(ps->pos - ps->line_start + 1), why);
}

void jr_free(jr_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		jr_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

const char *jr_kind_name(jr_kind k)
{
	static const char *const names[] = {
		[JR_NULL] = "null", [JR_BOOL] = "a boolean", [JR_NUMBER] = "a number",
		[JR_STRING] = "a string", [JR_ARRAY] = "an array", [JR_OBJECT] = "an object"};
	return names[k];
}

static void skip_ws(jr_parser *ps)
{
	while (ps->pos < ps->len) {
		unsigned char c = ps->p[ps->pos];
		if (c == '\n') {
			ps->line++;
			ps->line_start = ps->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		ps->pos++;
	}
}

static jr_node *new_node(jr_parser *ps, jr_kind kind)
{
	jr_node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = ps->line;
	n->col = (unsigned long)(ps->pos - ps->line_start + 1);
	return n;
}

static void add_kid(jr_node *parent, jr_node *kid)
{
	if (parent->n == 0 || (parent->n & (parent->n - 1)) == 0) {
		size_t cap = parent->n ? parent->n * 2 : 4;
		parent->kids = xreallocarray(parent->kids, cap, sizeof(*parent->kids));
	}
	parent->kids[parent->n++] = kid;
}

static int hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		v = v * 16 + d;
	}
	*out = v;
	return 0;
}

static void put_utf8(buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* \uXXXX (ps->pos at the 'u'), joining surrogate pairs. */
static eia_status unicode_escape(jr_parser *ps, buf *b)
{
	unsigned cp, lo;

	if (ps->len - ps->pos < 5 || hex4(ps->p + ps->pos + 1, &cp) != 0)
		return perr(ps, "bad \\u escape");
	ps->pos += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return perr(ps, "lone low surrogate in \\u escape");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->len - ps->pos < 6 || ps->p[ps->pos] != '\\' ||
		    ps->p[ps->pos + 1] != 'u' || hex4(ps->p + ps->pos + 2, &lo) != 0 ||
		    lo < 0xdc00 || lo > 0xdfff)
			return perr(ps, "unpaired high surrogate in \\u escape");
		ps->pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return perr(ps, "strings must not contain NUL (\\u0000)");
	put_utf8(b, cp);
	return EIA_OK;
}

static eia_status string_escape(jr_parser *ps, buf *b)
{
	static const char simple[][2] = {{'"', '"'}, {'\\', '\\'}, {'/', '/'},
					 {'b', '\b'}, {'f', '\f'}, {'n', '\n'},
					 {'r', '\r'}, {'t', '\t'}};
	unsigned char c;

	if (++ps->pos >= ps->len)
		return perr(ps, "unterminated string");
	c = ps->p[ps->pos];
	if (c == 'u')
		return unicode_escape(ps, b);
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (simple[i][0] == (char)c) {
			buf_addc(b, simple[i][1]);
			ps->pos++;
			return EIA_OK;
		}
	}
	return perr(ps, "invalid escape '\\%c'", c >= 0x20 && c < 0x7f ? c : '?');
}

/* Length of the UTF-8 sequence at the cursor, or 0 if invalid. */
static size_t utf8_at(const jr_parser *ps)
{
	unsigned char c = ps->p[ps->pos];
	size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	if (n > ps->len - ps->pos)
		return 0;
	return utf8_valid((const char *)ps->p + ps->pos, n) ? n : 0;
}

/* Advances over characters that need no unescaping; stops at '"', '\\'
 * or the end of input. Refuses raw control characters and bad UTF-8. */
static eia_status scan_plain(jr_parser *ps)
{
	while (ps->pos < ps->len) {
		unsigned char c = ps->p[ps->pos];
		size_t seq;
		if (c == '"' || c == '\\')
			return EIA_OK;
		if (c < 0x20)
			return perr(ps, "control character in string (must be escaped)");
		seq = c < 0x80 ? 1 : utf8_at(ps);
		if (seq == 0)
			return perr(ps, "invalid UTF-8 in string");
		ps->pos += seq;
	}
	return EIA_OK;
}

/* The rest of a string holding escapes; `start` is just past the quote. */
static eia_status parse_escaped(jr_parser *ps, size_t start, jr_node *n)
{
	eia_status st = EIA_OK;
	buf b;

	buf_init(&b);
	buf_add(&b, ps->p + start, ps->pos - start);
	for (;;) {
		size_t from = ps->pos;
		if ((st = scan_plain(ps)) != EIA_OK)
			goto out;
		buf_add(&b, ps->p + from, ps->pos - from);
		if (ps->pos >= ps->len) {
			st = perr(ps, "unterminated string");
			goto out;
		}
		if (ps->p[ps->pos] == '"')
			break;
		if ((st = string_escape(ps, &b)) != EIA_OK)
			goto out;
	}
	ps->pos++;
	n->len = b.len;
	n->str = xmemdup0(b.data, b.len);
out:
	buf_free(&b);
	return st;
}

/* A string at the cursor (on the opening quote) into a new node; strings
 * without escapes are copied straight from the input at their exact size. */
static eia_status parse_string(jr_parser *ps, jr_node **out)
{
	jr_node *n = new_node(ps, JR_STRING);
	size_t start = ++ps->pos;
	eia_status st = scan_plain(ps);

	if (st == EIA_OK && ps->pos >= ps->len)
		st = perr(ps, "unterminated string");
	if (st == EIA_OK && ps->p[ps->pos] == '"') {
		n->len = ps->pos - start;
		n->str = xmemdup0(ps->p + start, n->len);
		ps->pos++;
	} else if (st == EIA_OK) {
		st = parse_escaped(ps, start, n);
	}
	if (st != EIA_OK) {
		jr_free(n);
		return st;
	}
	*out = n;
	return EIA_OK;
}

static size_t digits(const jr_parser *ps, size_t at)
{
	size_t n = 0;
	while (at + n < ps->len && ps->p[at + n] >= '0' && ps->p[at + n] <= '9')
		n++;
	return n;
}

static eia_status parse_number(jr_parser *ps, jr_node **out)
{
	size_t start = ps->pos, at = ps->pos, d;
	jr_node *n;

	if (at < ps->len && ps->p[at] == '-')
		at++;
	d = digits(ps, at);
	if (d == 0 || (d > 1 && ps->p[at] == '0'))
		return perr(ps, "invalid number");
	at += d;
	if (at < ps->len && ps->p[at] == '.') {
		if ((d = digits(ps, ++at)) == 0)
			return perr(ps, "invalid number");
		at += d;
	}
	if (at < ps->len && (ps->p[at] == 'e' || ps->p[at] == 'E')) {
		at++;
		if (at < ps->len && (ps->p[at] == '+' || ps->p[at] == '-'))
			at++;
		if ((d = digits(ps, at)) == 0)
			return perr(ps, "invalid number");
		at += d;
	}
	n = new_node(ps, JR_NUMBER);
	n->str = xmemdup0(ps->p + start, at - start);
	n->len = at - start;
	ps->pos = at;
	*out = n;
	return EIA_OK;
}

static eia_status parse_literal(jr_parser *ps, jr_node **out)
{
	static const struct { const char *word; jr_kind kind; } words[] = {
		{"true", JR_BOOL}, {"false", JR_BOOL}, {"null", JR_NULL}};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i].word);
		if (ps->len - ps->pos >= wl &&
		    memcmp(ps->p + ps->pos, words[i].word, wl) == 0) {
			jr_node *n = new_node(ps, words[i].kind);
			n->str = xstrdup(words[i].word);
			n->len = wl;
			ps->pos += wl;
			*out = n;
			return EIA_OK;
		}
	}
	return perr(ps, "unexpected character");
}

static eia_status parse_value(jr_parser *ps, jr_node **out);

static int cmp_key(const void *a, const void *b)
{
	const jr_node *x = *(const jr_node *const *)a;
	const jr_node *y = *(const jr_node *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static eia_status check_duplicates(jr_parser *ps, const jr_node *obj)
{
	size_t pairs = obj->n / 2;
	const jr_node **keys;
	eia_status st = EIA_OK;

	if (pairs < 2)
		return EIA_OK;
	keys = xcalloc(pairs, sizeof(*keys));
	for (size_t i = 0; i < pairs; i++)
		keys[i] = obj->kids[2 * i];
	qsort(keys, pairs, sizeof(*keys), cmp_key);
	for (size_t i = 1; i < pairs && st == EIA_OK; i++)
		if (cmp_key(&keys[i - 1], &keys[i]) == 0)
			st = eia_fail(ps->err, EIA_EINPUT, "%s:%lu:%lu: duplicate key '%s'",
				      ps->file, obj->line, obj->col, keys[i]->str);
	free(keys);
	return st;
}

/* Array or object; the cursor is on '[' or '{'. */
static eia_status parse_container(jr_parser *ps, jr_node **out)
{
	int object = ps->p[ps->pos] == '{';
	int check_dups = object && !ps->repeat_next;
	char close = object ? '}' : ']';
	jr_node *n = new_node(ps, object ? JR_OBJECT : JR_ARRAY), *kid = NULL;
	eia_status st = EIA_OK;

	ps->repeat_next = 0;
	if (++ps->depth > JR_MAX_DEPTH) {
		st = perr(ps, "nesting too deep");
		goto out;
	}
	ps->pos++;
	skip_ws(ps);
	if (ps->pos < ps->len && ps->p[ps->pos] == (unsigned char)close)
		goto done;
	for (;;) {
		skip_ws(ps);
		if (object) {
			if (ps->pos >= ps->len || ps->p[ps->pos] != '"') {
				st = perr(ps, "expected a string key");
				goto out;
			}
			if ((st = parse_string(ps, &kid)) != EIA_OK)
				goto out;
			add_kid(n, kid);
			skip_ws(ps);
			if (ps->pos >= ps->len || ps->p[ps->pos] != ':') {
				st = perr(ps, "expected ':'");
				goto out;
			}
			ps->pos++;
			ps->repeat_next = ps->depth == 1 && ps->repeatable != NULL &&
					  strcmp(kid->str, ps->repeatable) == 0;
		}
		if ((st = parse_value(ps, &kid)) != EIA_OK)
			goto out;
		ps->repeat_next = 0;
		add_kid(n, kid);
		skip_ws(ps);
		if (ps->pos < ps->len && ps->p[ps->pos] == ',') {
			ps->pos++;
			continue;
		}
		if (ps->pos < ps->len && ps->p[ps->pos] == (unsigned char)close)
			break;
		st = perr(ps, "expected ',' or '%c'", close);
		goto out;
	}
done:
	ps->pos++;
	ps->depth--;
	if (check_dups && (st = check_duplicates(ps, n)) != EIA_OK)
		goto out;
	*out = n;
	n = NULL;
out:
	jr_free(n);
	return st;
}

static eia_status parse_value(jr_parser *ps, jr_node **out)
{
	unsigned char c;

	skip_ws(ps);
	if (ps->pos >= ps->len)
		return perr(ps, "unexpected end of input");
	if (++ps->values > JR_MAX_VALUES)
		return perr(ps, "more than %d values: too large to read", JR_MAX_VALUES);
	c = ps->p[ps->pos];
	if (c == '{' || c == '[')
		return parse_container(ps, out);
	if (c == '"')
		return parse_string(ps, out);
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(ps, out);
	return parse_literal(ps, out);
}

eia_status jr_parse(const char *file, const unsigned char *data, size_t len,
		    jr_node **out, eia_error *err)
{
	return jr_parse_ex(file, data, len, NULL, out, err);
}

eia_status jr_parse_ex(const char *file, const unsigned char *data, size_t len,
		       const char *repeatable, jr_node **out, eia_error *err)
{
	jr_parser ps = {.file = file, .p = data, .len = len, .line = 1,
			.repeatable = repeatable, .err = err};
	jr_node *root = NULL;
	eia_status st;

	*out = NULL;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		ps.pos = ps.line_start = 3;
	skip_ws(&ps);
	if (ps.pos >= len)
		return eia_fail(err, EIA_EINPUT, "%s: empty document", file);
	st = parse_value(&ps, &root);
	if (st != EIA_OK)
		return st;
	skip_ws(&ps);
	if (ps.pos < len) {
		jr_free(root);
		return perr(&ps, "unexpected data after the JSON value");
	}
	*out = root;
	return EIA_OK;
}

const jr_node *jr_get(const jr_node *obj, const char *key)
{
	size_t klen = strlen(key);

	if (obj == NULL || obj->kind != JR_OBJECT)
		return NULL;
	for (size_t i = 0; i + 1 < obj->n; i += 2) {
		const jr_node *k = obj->kids[i];
		if (k->len == klen && memcmp(k->str, key, klen) == 0)
			return obj->kids[i + 1];
	}
	return NULL;
}

int jr_uint(const jr_node *n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == NULL || n->kind != JR_NUMBER || n->len == 0)
		return 0;
	for (size_t i = 0; i < n->len; i++) {
		unsigned d;
		if (n->str[i] < '0' || n->str[i] > '9')
			return 0;
		d = (unsigned)(n->str[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}
