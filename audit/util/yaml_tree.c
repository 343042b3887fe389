#include "util/yaml_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/buf.h"
#include "util/paths.h"

static unsigned long mark_line(yaml_mark_t m) { return (unsigned long)m.line + 1; }
static unsigned long mark_col(yaml_mark_t m) { return (unsigned long)m.column + 1; }

eia_status yt_err(eia_error *err, const char *file, const yt_node *n,
		  const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n != NULL)
		return eia_fail(err, EIA_EINPUT, "%s:%lu:%lu: %s", file, n->line,
				n->col, what);
	return eia_fail(err, EIA_EINPUT, "%s: %s", file, what);
}

/* Length of the valid UTF-8 sequence at p (2..4 bytes) and its code point,
 * or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left, unsigned *cp)
{
	size_t n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
		 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (n == 0 || n > left)
		return 0;
	*cp = p[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 2 && *cp < 0x80) || (n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* A scalar from the input, for a one-line error message: control characters
 * (C0, DEL, C1), bidirectional controls, line separators and '\\' escaped,
 * bytes that are not UTF-8 as \xNN, cut with "..." after about 80 bytes. */
static const char *show(const char *s, size_t len, char out[128])
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;

	while (i < len) {
		unsigned cp = p[i];
		size_t n = p[i] < 0x80 ? 1 : utf8_seq(p + i, len - i, &cp);
		char esc[16];
		if (n == 0)
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
		else if (cp == '\\')
			snprintf(esc, sizeof(esc), "\\\\");
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			snprintf(esc, sizeof(esc), "\\x%02x", cp);
		else if ((cp >= 0x200e && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
			 (cp >= 0x2066 && cp <= 0x2069))
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
		else
			snprintf(esc, sizeof(esc), "%.*s", (int)n, (const char *)p + i);
		if (o + strlen(esc) > 80) {
			memcpy(out + o, "...", 4);
			return out;
		}
		memcpy(out + o, esc, strlen(esc) + 1);
		o += strlen(esc);
		i += n ? n : 1;
	}
	out[o] = '\0';
	return out;
}

static eia_status mark_err(eia_error *err, const char *file, yaml_mark_t m,
			   const char *why)
{
	return eia_fail(err, EIA_EINPUT, "%s:%lu:%lu: %s", file, mark_line(m),
			mark_col(m), why);
}

void yt_free(yt_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		yt_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static void add_kid(yt_node *parent, yt_node *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kids = xreallocarray(parent->kids, parent->cap, sizeof(*parent->kids));
	}
	parent->kids[parent->n++] = kid;
}

static int cmp_key(const void *a, const void *b)
{
	const yt_node *x = *(const yt_node *const *)a;
	const yt_node *y = *(const yt_node *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Duplicate keys are found by sorting a copy: O(n log n) on hostile maps. */
static eia_status check_map(const char *file, const yt_node *map, eia_error *err)
{
	size_t pairs = map != NULL ? map->n / 2 : 0;
	const yt_node **keys;
	eia_status st = EIA_OK;

	if (map == NULL || pairs < 2)
		return EIA_OK;
	if (pairs <= 16) { /* an entry's handful of keys: compare pairwise */
		char shown[128];
		for (size_t i = 1; i < pairs; i++)
			for (size_t j = 0; j < i; j++)
				if (cmp_key(&map->kids[2 * j], &map->kids[2 * i]) == 0)
					return yt_err(err, file, map->kids[2 * i],
						      "duplicate key '%s'",
						      show(map->kids[2 * i]->str,
							   map->kids[2 * i]->len, shown));
		return EIA_OK;
	}
	keys = xcalloc(pairs, sizeof(*keys));
	for (size_t i = 0; i < pairs; i++)
		keys[i] = map->kids[2 * i];
	qsort(keys, pairs, sizeof(*keys), cmp_key);
	for (size_t i = 1; i < pairs; i++) {
		if (cmp_key(&keys[i - 1], &keys[i]) == 0) {
			const yt_node *later = keys[i]->line > keys[i - 1]->line ||
				(keys[i]->line == keys[i - 1]->line &&
				 keys[i]->col > keys[i - 1]->col) ? keys[i] : keys[i - 1];
			char shown[128];
			st = yt_err(err, file, later, "duplicate key '%s'",
				    show(later->str, later->len, shown));
			break;
		}
	}
	free(keys);
	return st;
}

/* Nodes of streamed items go back to a pool, kids arrays and all: the next
 * item, most likely of the same shape, is built without malloc. */
struct node_pool {
	yt_node **v;
	size_t n, cap;
};

static void pool_put(struct node_pool *p, yt_node *n)
{
	for (size_t i = 0; i < n->n; i++)
		pool_put(p, n->kids[i]);
	free(n->str);
	n->str = NULL;
	n->n = 0;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	p->v[p->n++] = n;
}

static void pool_free(struct node_pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i]->kids);
		free(p->v[i]);
	}
	free(p->v);
}

static yt_node *new_node(struct node_pool *p, yt_kind kind, yaml_mark_t m)
{
	yt_node *n;

	if (p->n > 0) {
		yt_node **kids;
		size_t cap;
		n = p->v[--p->n];
		kids = n->kids;
		cap = n->cap;
		memset(n, 0, sizeof(*n));
		n->kids = kids;
		n->cap = cap;
	} else {
		n = xcalloc(1, sizeof(*n));
	}
	n->kind = kind;
	n->line = mark_line(m);
	n->col = mark_col(m);
	return n;
}

struct tree_state {
	const char *file;
	yt_node *stack[YT_MAX_DEPTH + 1];
	size_t depth;
	yt_node *root;
	int documents;
	yt_stream *stream;   /* NULL: keep the whole tree */
	yt_node *streaming;  /* the sequence whose items go to stream->fn */
	yt_node *pending;    /* an item of it being built, not in the tree */
	struct node_pool pool;
};

/* Hands a complete item of the streamed sequence to the caller, frees it. */
static void deliver(struct tree_state *ts, yt_node *n)
{
	yt_stream *s = ts->stream;

	ts->streaming->streamed++;
	if (s->st == EIA_OK)
		s->st = s->fn(s->ctx, n, &s->err);
	pool_put(&ts->pool, n);
}

/* The value of root key stream->key, if a sequence, is streamed. */
static int starts_stream(const struct tree_state *ts, const yt_node *parent, const yt_node *n)
{
	const yt_node *key;

	if (ts->stream == NULL || ts->depth != 1 || parent->kind != YT_MAP ||
	    parent->n % 2 == 0 || n->kind != YT_SEQ)
		return 0;
	key = parent->kids[parent->n - 1];
	return key->len == strlen(ts->stream->key) &&
	       memcmp(key->str, ts->stream->key, key->len) == 0;
}

/* Attaches a finished or new node to its parent; checks key kinds. */
static eia_status attach(struct tree_state *ts, yt_node *n, eia_error *err)
{
	yt_node *parent;

	if (ts->depth == 0) {
		ts->root = n;
		return EIA_OK;
	}
	parent = ts->stack[ts->depth - 1];
	if (parent == NULL) { /* unreachable: every pushed node is non-NULL */
		yt_free(n);
		return eia_fail(err, EIA_EINPUT, "%s: unbalanced YAML event stream", ts->file);
	}
	if (parent->kind == YT_MAP && parent->n % 2 == 0 && n->kind != YT_SCALAR) {
		add_kid(parent, n); /* owned by the tree now, freed with it */
		return yt_err(err, ts->file, n, "mapping keys must be plain scalars");
	}
	if (parent == ts->streaming && n->kind == YT_SCALAR) {
		deliver(ts, n);
		return EIA_OK;
	}
	if (parent == ts->streaming) {
		ts->pending = n; /* handed over when it ends */
		return EIA_OK;
	}
	if (starts_stream(ts, parent, n))
		ts->streaming = n;
	add_kid(parent, n);
	return EIA_OK;
}

/* A mapping or sequence ended: check a mapping's keys; an item of the
 * streamed sequence is complete now. */
static eia_status on_end(struct tree_state *ts, const yaml_event_t *ev, eia_error *err)
{
	yt_node *done;
	eia_status st = EIA_OK;

	if (ts->depth == 0)
		return mark_err(err, ts->file, ev->start_mark, "unbalanced YAML event stream");
	done = ts->stack[--ts->depth];
	if (ev->type == YAML_MAPPING_END_EVENT)
		st = check_map(ts->file, done, err);
	if (done == ts->pending) {
		ts->pending = NULL;
		if (st == EIA_OK)
			deliver(ts, done);
		else
			yt_free(done);
	}
	return st;
}

static eia_status on_start(struct tree_state *ts, yaml_event_t *ev, eia_error *err)
{
	const char *anchor = NULL, *tag = NULL;
	yt_node *n;
	eia_status st;

	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = (const char *)ev->data.scalar.anchor;
		tag = (const char *)ev->data.scalar.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = (const char *)ev->data.sequence_start.anchor;
		tag = (const char *)ev->data.sequence_start.tag;
	} else {
		anchor = (const char *)ev->data.mapping_start.anchor;
		tag = (const char *)ev->data.mapping_start.tag;
	}
	if (anchor != NULL)
		return mark_err(err, ts->file, ev->start_mark, "YAML anchors are not allowed");
	if (tag != NULL)
		return mark_err(err, ts->file, ev->start_mark, "YAML tags are not allowed");
	if (ev->type == YAML_SCALAR_EVENT) {
		n = new_node(&ts->pool, YT_SCALAR, ev->start_mark);
		n->len = ev->data.scalar.length;
		/* libyaml's scalar buffers are NUL-terminated malloc blocks:
		 * take the buffer instead of copying it */
		if (ev->data.scalar.value[n->len] == '\0') {
			n->str = (char *)ev->data.scalar.value;
			ev->data.scalar.value = NULL;
		} else {
			n->str = xmemdup0(ev->data.scalar.value, n->len);
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return attach(ts, n, err);
	}
	if (ts->depth >= YT_MAX_DEPTH)
		return mark_err(err, ts->file, ev->start_mark, "nesting too deep");
	n = new_node(&ts->pool, ev->type == YAML_SEQUENCE_START_EVENT ? YT_SEQ : YT_MAP,
		     ev->start_mark);
	st = attach(ts, n, err);
	if (st != EIA_OK)
		return st;
	ts->stack[ts->depth++] = n;
	return EIA_OK;
}

static eia_status on_event(struct tree_state *ts, yaml_event_t *ev, eia_error *err)
{
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return mark_err(err, ts->file, ev->start_mark, "YAML aliases are not allowed");
	case YAML_DOCUMENT_START_EVENT:
		if (++ts->documents > 1)
			return mark_err(err, ts->file, ev->start_mark,
					"multi-document streams are not allowed");
		return EIA_OK;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_start(ts, ev, err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(ts, ev, err);
	default:
		return EIA_OK;
	}
}

/* YAML 1.1 printable: TAB, LF, CR, 0x20-0x7E, NEL, 0xA0-0xD7FF, 0xE000-0xFFFD,
 * 0x10000 and up (surrogates never pass utf8_valid). */
static int yaml_printable(unsigned cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0d || (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
	       (cp >= 0xa0 && cp <= 0xfffd) || cp >= 0x10000;
}

static unsigned decode_cp(const unsigned char *p, size_t n)
{
	unsigned cp = n == 1 ? p[0] : n == 2 ? p[0] & 0x1fu : n == 3 ? p[0] & 0x0fu : p[0] & 0x07u;

	for (size_t k = 1; k < n; k++)
		cp = cp << 6 | (p[k] & 0x3fu);
	return cp;
}

/* "FILE:LINE:COL" for an invalid byte or a character YAML refuses, before
 * yt_parse sees it: libyaml's reader errors carry no usable position. */
static eia_status check_chars(const char *file, const unsigned char *data, size_t len,
			      eia_error *err)
{
	unsigned long line = 1, col = 1;
	size_t i = 0;

	while (i < len) {
		size_t n;
		unsigned cp;
		/* printable ASCII, the bulk of any manifest, needs no decoding */
		if (data[i] >= 0x20 && data[i] < 0x7f) {
			i++;
			col++;
			continue;
		}
		n = data[i] < 0x80 ? 1 : data[i] < 0xe0 ? 2 : data[i] < 0xf0 ? 3 : 4;
		if (n > len - i || !utf8_valid((const char *)data + i, n))
			return eia_fail(err, EIA_EINPUT, "%s:%lu:%lu: invalid UTF-8 byte 0x%02x",
					file, line, col, data[i]);
		cp = decode_cp(data + i, n);
		if (!yaml_printable(cp) && !(cp == 0xfeff && i == 0))
			return eia_fail(err, EIA_EINPUT,
					"%s:%lu:%lu: control character U+%04X is not allowed%s",
					file, line, col, cp, cp == 0 ? " (NUL byte)" : "");
		if (data[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += n;
	}
	return EIA_OK;
}

eia_status yt_parse(const char *file, const unsigned char *data, size_t len,
		    yt_node **out, eia_error *err)
{
	return yt_parse_stream(file, data, len, NULL, out, err);
}

eia_status yt_parse_stream(const char *file, const unsigned char *data, size_t len,
			   yt_stream *s, yt_node **out, eia_error *err)
{
	struct tree_state ts;
	yaml_parser_t parser;
	yaml_event_t ev;
	eia_status st = EIA_OK;
	int done = 0;

	memset(&ts, 0, sizeof(ts));
	ts.file = file;
	ts.stream = s;
	if (s != NULL) {
		s->st = EIA_OK;
		s->err.code = EIA_OK;
		s->err.msg[0] = '\0';
	}
	*out = NULL;
	if ((st = check_chars(file, data, len, err)) != EIA_OK)
		return st;
	if (!yaml_parser_initialize(&parser))
		return eia_fail(err, EIA_EINPUT, "%s: cannot initialise YAML parser", file);
	yaml_parser_set_input_string(&parser, data, len);
	while (!done && st == EIA_OK) {
		if (!yaml_parser_parse(&parser, &ev)) {
			st = eia_fail(err, EIA_EINPUT, "%s:%lu:%lu: %s%s%s", file,
				      mark_line(parser.problem_mark),
				      mark_col(parser.problem_mark),
				      parser.problem ? parser.problem : "YAML syntax error",
				      parser.context ? " " : "",
				      parser.context ? parser.context : "");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		st = on_event(&ts, &ev, err);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (st == EIA_OK && ts.root == NULL)
		st = eia_fail(err, EIA_EINPUT, "%s:1:1: empty document", file);
	pool_free(&ts.pool);
	if (st != EIA_OK) {
		yt_free(ts.pending);
		yt_free(ts.root);
		return st;
	}
	*out = ts.root;
	return EIA_OK;
}

const yt_node *yt_get(const yt_node *map, const char *key)
{
	size_t klen = strlen(key);

	if (map == NULL || map->kind != YT_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const yt_node *k = map->kids[i];
		if (k->len == klen && memcmp(k->str, key, klen) == 0)
			return map->kids[i + 1];
	}
	return NULL;
}

eia_status yt_check_keys(const char *file, const yt_node *map,
			 const char *const *allowed, eia_error *err)
{
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const yt_node *k = map->kids[i];
		size_t j;
		for (j = 0; allowed[j] != NULL; j++)
			if (strlen(allowed[j]) == k->len &&
			    memcmp(allowed[j], k->str, k->len) == 0)
				break;
		if (allowed[j] == NULL) {
			char shown[128];
			return yt_err(err, file, k, "unknown key '%s'", show(k->str, k->len, shown));
		}
	}
	return EIA_OK;
}

static const char *kind_name(yt_kind k)
{
	return k == YT_MAP ? "a mapping" : k == YT_SEQ ? "a sequence" : "a scalar";
}

eia_status yt_want(const char *file, const yt_node *n, yt_kind kind,
		   const char *what, eia_error *err)
{
	if (n->kind != kind)
		return yt_err(err, file, n, "%s must be %s, not %s", what,
			      kind_name(kind), kind_name(n->kind));
	return EIA_OK;
}

eia_status yt_require(const char *file, const yt_node *map, const char *key,
		      const yt_node **out, eia_error *err)
{
	*out = yt_get(map, key);
	if (*out == NULL)
		return yt_err(err, file, map, "missing required key '%s'", key);
	return EIA_OK;
}

eia_status yt_uint(const char *file, const yt_node *n, const char *what,
		   uint64_t max, uint64_t *out, eia_error *err)
{
	uint64_t v = 0;

	if (n->kind != YT_SCALAR || !n->plain || n->len == 0)
		return yt_err(err, file, n, "%s must be an unquoted non-negative integer", what);
	if (n->len > 1 && n->str[0] == '0')
		return yt_err(err, file, n, "%s must not have leading zeros", what);
	for (size_t i = 0; i < n->len; i++) {
		unsigned d;
		if (n->str[i] < '0' || n->str[i] > '9')
			return yt_err(err, file, n, "%s must be an unquoted non-negative integer", what);
		d = (unsigned)(n->str[i] - '0');
		if (d > max || v > (max - d) / 10)
			return yt_err(err, file, n, "%s is out of range (at most %llu)",
				      what, (unsigned long long)max);
		v = v * 10 + d;
	}
	*out = v;
	return EIA_OK;
}

eia_status yt_str(const char *file, const yt_node *n, const char *what,
		  const char **out, eia_error *err)
{
	if (n->kind != YT_SCALAR)
		return yt_err(err, file, n, "%s must be a string, not %s", what,
			      kind_name(n->kind));
	if (memchr(n->str, '\0', n->len) != NULL)
		return yt_err(err, file, n, "%s contains a NUL byte", what);
	*out = n->str;
	return EIA_OK;
}
