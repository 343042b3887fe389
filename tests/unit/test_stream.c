/* test_stream.c - the streamed paths: yt_parse_stream (items of the root
 * key's sequence handed over one at a time), manifest_parse on top of it
 * (error order, duplicates, digests decoded in one pass), walk_open_in (a
 * cached directory, still never following a symlink and still checking the
 * walked inode) and the walk on its own thread (walk_start/finish/discard).
 * Real files in a temporary tree, no mocks; run under ASan for the leaks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "model/manifest.h"
#include "scan/engine.h"
#include "scan/walk.h"
#include "util/buf.h"
#include "util/yaml_tree.h"

#define H64(c)                                                                                    \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		c c c c c c c c c c c c c c c c c c c

#define HDR "eia-manifest: 1\nname: n\nserial: 1\n"

static char tmpdir[4096];

/* ---- yt_parse_stream ------------------------------------------------- */

#define MAX_SEEN 64

/* What the callback saw, item by item. */
struct seen {
	size_t calls;
	size_t fail_at; /* index of the item to refuse; SIZE_MAX: none */
	yt_kind kind[MAX_SEEN];
	char text[MAX_SEEN][32]; /* scalar text, a map's "k", or "seq/N" */
	unsigned long line[MAX_SEEN], col[MAX_SEEN];
	size_t kids[MAX_SEEN];
};

static eia_status on_item(void *ctx, const yt_node *item, eia_error *err)
{
	struct seen *s = ctx;
	size_t i = s->calls++;
	const yt_node *k;

	if (i >= MAX_SEEN)
		return eia_fail(err, EIA_EINPUT, "too many items");
	s->kind[i] = item->kind;
	s->line[i] = item->line;
	s->col[i] = item->col;
	s->kids[i] = item->n;
	if (item->kind == YT_SCALAR)
		snprintf(s->text[i], sizeof(s->text[i]), "%s", item->str);
	else if (item->kind == YT_MAP && (k = yt_get(item, "k")) != NULL && k->kind == YT_SCALAR)
		snprintf(s->text[i], sizeof(s->text[i]), "%s", k->str);
	else
		snprintf(s->text[i], sizeof(s->text[i]), "%s/%zu",
			 item->kind == YT_SEQ ? "seq" : "map", item->n);
	if (i == s->fail_at)
		return eia_fail(err, EIA_EINPUT, "refused item %zu '%s'", i, s->text[i]);
	return EIA_OK;
}

static eia_status stream_parse(const char *text, struct seen *seen, yt_stream *s, yt_node **root,
			       eia_error *err)
{
	memset(seen, 0, sizeof(*seen));
	seen->fail_at = SIZE_MAX;
	s->key = "entries";
	s->fn = on_item;
	s->ctx = seen;
	eia_error_clear(err);
	return yt_parse_stream("t.yaml", (const unsigned char *)text, strlen(text), s, root, err);
}

static void test_stream_scalars_in_order(void)
{
	const char *text = "a: 1\nentries:\n  - x\n  - \"y\"\n  - z\nb: [2]\n";
	struct seen seen;
	yt_stream s;
	yt_node *root = NULL;
	const yt_node *e;
	eia_error err;

	s.st = EIA_ETRUST; /* stale results of an earlier parse are reset */
	snprintf(s.err.msg, sizeof(s.err.msg), "stale");
	CHECK(stream_parse(text, &seen, &s, &root, &err) == EIA_OK);
	CHECK(s.st == EIA_OK && s.err.msg[0] == '\0');
	CHECK(seen.calls == 3);
	CHECK_STR(seen.text[0], "x");
	CHECK_STR(seen.text[1], "y");
	CHECK_STR(seen.text[2], "z");
	CHECK(seen.kind[0] == YT_SCALAR && seen.line[0] == 3 && seen.col[0] == 5);
	CHECK(seen.line[2] == 5 && seen.col[2] == 5);
	CHECK(root != NULL && root->kind == YT_MAP && root->n == 6);
	e = yt_get(root, "entries");
	CHECK(e != NULL && e->kind == YT_SEQ && e->n == 0 && e->streamed == 3);
	CHECK(yt_get(root, "a") != NULL && strcmp(yt_get(root, "a")->str, "1") == 0);
	CHECK(yt_get(root, "b") != NULL && yt_get(root, "b")->n == 1);
	yt_free(root);

	/* the same text without a stream keeps every item in the tree */
	CHECK(yt_parse("t.yaml", (const unsigned char *)text, strlen(text), &root, &err) == EIA_OK);
	e = yt_get(root, "entries");
	CHECK(e != NULL && e->n == 3 && e->streamed == 0);
	yt_free(root);
}

static void test_stream_map_items(void)
{
	const char *text =
		"entries:\n"
		"  - {k: one, v: [1, 2]}\n"
		"  - k: two\n"
		"    v: {x: 1, y: [a, {b: c}]}\n"
		"  - three\n"
		"  - [p, q, r]\n"
		"  - []\n"
		"  - {}\n"
		"tail: 1\n";
	struct seen seen;
	yt_stream s;
	yt_node *root = NULL;
	eia_error err;

	CHECK(stream_parse(text, &seen, &s, &root, &err) == EIA_OK);
	CHECK(s.st == EIA_OK);
	CHECK(seen.calls == 6);
	CHECK(seen.kind[0] == YT_MAP && seen.kids[0] == 4 && strcmp(seen.text[0], "one") == 0);
	CHECK(seen.line[0] == 2 && seen.col[0] == 5);
	CHECK(seen.kind[1] == YT_MAP && seen.kids[1] == 4 && strcmp(seen.text[1], "two") == 0);
	CHECK(seen.line[1] == 3 && seen.col[1] == 5);
	CHECK(seen.kind[2] == YT_SCALAR && strcmp(seen.text[2], "three") == 0);
	CHECK(seen.kind[3] == YT_SEQ && strcmp(seen.text[3], "seq/3") == 0);
	CHECK(seen.kind[4] == YT_SEQ && seen.kids[4] == 0);
	CHECK(seen.kind[5] == YT_MAP && seen.kids[5] == 0);
	CHECK(root != NULL && yt_get(root, "entries")->streamed == 6);
	CHECK(yt_get(root, "tail") != NULL);
	yt_free(root);
}

/* Nested values of a map item are complete when the callback sees it. */
static eia_status check_nested(void *ctx, const yt_node *item, eia_error *err)
{
	size_t *bad = ctx;
	const yt_node *v = yt_get(item, "v"), *y;

	(void)err;
	if (item->kind != YT_MAP || v == NULL || v->kind != YT_MAP ||
	    (y = yt_get(v, "y")) == NULL || y->kind != YT_SEQ || y->n != 2 ||
	    y->kids[1]->kind != YT_MAP || strcmp(yt_get(y->kids[1], "b")->str, "c") != 0)
		(*bad)++;
	return EIA_OK;
}

static void test_stream_nested_complete(void)
{
	const char *text =
		"entries:\n  - k: two\n    v: {x: 1, y: [a, {b: c}]}\n"
		"  - {k: 3, v: {y: [1, {b: c}]}}\n";
	size_t bad = 0;
	yt_stream s = {"entries", check_nested, &bad, EIA_OK, {EIA_OK, ""}};
	yt_node *root = NULL;
	eia_error err;

	CHECK(yt_parse_stream("t.yaml", (const unsigned char *)text, strlen(text), &s, &root,
			      &err) == EIA_OK);
	CHECK(bad == 0 && yt_get(root, "entries")->streamed == 2);
	yt_free(root);
}

/* Many items of changing shape: nodes go back to a pool and are reused;
 * every item must still read as written. */
struct many {
	size_t n, bad;
};

static eia_status check_many(void *ctx, const yt_node *item, eia_error *err)
{
	struct many *m = ctx;
	char want[32];
	const yt_node *i;

	(void)err;
	snprintf(want, sizeof(want), "%zu", m->n);
	if (m->n % 3 == 2) {
		if (item->kind != YT_SCALAR || strcmp(item->str, want) != 0 || item->n != 0)
			m->bad++;
	} else if (item->kind != YT_MAP || (i = yt_get(item, "i")) == NULL ||
		   strcmp(i->str, want) != 0 || item->n != (m->n % 3 == 0 ? 4 : 2 * 20) ||
		   (m->n % 3 == 0 && yt_get(item, "pad")->n != m->n % 7)) {
		m->bad++;
	}
	m->n++;
	return EIA_OK;
}

static void test_stream_many_items(void)
{
	struct many m = {0, 0};
	yt_stream s = {"entries", check_many, &m, EIA_OK, {EIA_OK, ""}};
	yt_node *root = NULL;
	eia_error err;
	buf b;

	buf_init(&b);
	buf_adds(&b, "entries:\n");
	for (size_t i = 0; i < 3000; i++) {
		if (i % 3 == 0) {
			buf_printf(&b, "  - i: %zu\n    pad: [", i);
			for (size_t j = 0; j < i % 7; j++)
				buf_printf(&b, "%s%zu", j ? ", " : "", j);
			buf_adds(&b, "]\n");
		} else if (i % 3 == 1) { /* more than 16 keys: the sorted duplicate check */
			buf_printf(&b, "  - {i: %zu", i);
			for (size_t j = 0; j < 19; j++)
				buf_printf(&b, ", k%zu: %zu", j, j);
			buf_adds(&b, "}\n");
		} else {
			buf_printf(&b, "  - %zu\n", i);
		}
	}
	CHECK(yt_parse_stream("t.yaml", b.data, b.len, &s, &root, &err) == EIA_OK);
	CHECK(m.n == 3000 && m.bad == 0);
	CHECK(root != NULL && yt_get(root, "entries")->streamed == 3000);
	yt_free(root);
	buf_free(&b);
}

struct bad_stream {
	const char *yaml;
	const char *want; /* substring of the error */
	size_t delivered; /* items handed over before the error */
};

/* Errors inside an item being built: the item is not handed over, the
 * parse fails, nothing leaks (ASan), no tree comes back. */
static const struct bad_stream bad_items[] = {
	{"entries:\n  - {k: one}\n  - {k: two, v: [1, 2\n", "t.yaml:", 1},
	{"entries:\n  - k: one\n  - k: two\n    v:\n      - x\n      - {y: 1\n", "t.yaml:", 1},
	{"entries:\n  - k: one\n  - k: two\n    v: [a, b\n    w: : :\n", "t.yaml:", 1},
	{"entries:\n  - k: one\n  - k: two\n    k: dup\n", "t.yaml:4:5: duplicate key 'k'", 1},
	{"entries:\n  - k: one\n    v: {a: 1, a: 2}\n", "t.yaml:3:15: duplicate key 'a'", 0},
	{"entries:\n  - x\n  - k: &a one\n", "anchors are not allowed", 1},
	{"entries:\n  - x\n  - {k: !!str one}\n", "tags are not allowed", 1},
	{"entries:\n  - {k: a, [x]: 1}\n", "mapping keys must be plain scalars", 0},
	{"entries:\n  - {k: a, v: {[x]: 1}}\n", "mapping keys must be plain scalars", 0},
	{"entries:\n  - {k: a, k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8,"
	 " k9: 9, k10: 10, k11: 11, k12: 12, k13: 13, k14: 14, k15: 15, k16: 16, k7: x}\n",
	 "duplicate key 'k7'", 0},
	{"entries:\n  - one\n  - *nothing\n", "aliases are not allowed", 1},
	{"entries:\n  - one\n  - {k: two}\n---\nx: 1\n", "multi-document", 2},
	/* an item cut off by the end of the text */
	{"entries:\n  - {k: one}\n  - {k: two, v: {a: [1,", "t.yaml:", 1},
	{NULL, NULL, 0}};

static void test_stream_error_in_item(void)
{
	for (size_t i = 0; bad_items[i].yaml != NULL; i++) {
		struct seen seen;
		yt_stream s;
		yt_node *root = (yt_node *)&seen; /* must come back NULL */
		eia_error err;
		eia_status st = stream_parse(bad_items[i].yaml, &seen, &s, &root, &err);
		CHECK(st == EIA_EINPUT);
		CHECK(root == NULL);
		CHECK(s.st == EIA_OK); /* the callback refused nothing */
		if (strstr(err.msg, bad_items[i].want) == NULL ||
		    seen.calls != bad_items[i].delivered) {
			fprintf(stderr, "bad item %zu: want '%s' after %zu, got '%s' after %zu\n",
				i, bad_items[i].want, bad_items[i].delivered, err.msg, seen.calls);
			CHECK(0);
		}
	}
	/* too deep inside the third item: two handed over, the third freed */
	{
		struct seen seen;
		yt_stream s;
		yt_node *root = NULL;
		eia_error err;
		buf b;
		buf_init(&b);
		buf_adds(&b, "entries:\n  - a\n  - b\n  - {k: c, v: ");
		for (int i = 0; i < YT_MAX_DEPTH; i++)
			buf_addc(&b, '[');
		for (int i = 0; i < YT_MAX_DEPTH; i++)
			buf_addc(&b, ']');
		buf_adds(&b, "}\n");
		CHECK(stream_parse((const char *)b.data, &seen, &s, &root, &err) == EIA_EINPUT);
		CHECK(root == NULL && seen.calls == 2 &&
		      strstr(err.msg, "nesting too deep") != NULL);
		buf_free(&b);
	}
}

static void test_stream_callback_error(void)
{
	struct seen seen;
	yt_stream s;
	yt_node *root = NULL;
	eia_error err;

	s.key = "entries";
	s.fn = on_item;
	s.ctx = &seen;
	/* the first refusal is kept; no item after it reaches the callback,
	 * but the YAML is read to the end and the tree comes back */
	{
		const char *text = "head: 1\nentries: [a, {k: b}, c, d]\ntail: {x: 1}\n";
		memset(&seen, 0, sizeof(seen));
		seen.fail_at = 1;
		eia_error_clear(&err);
		CHECK(yt_parse_stream("t.yaml", (const unsigned char *)text, strlen(text), &s,
				      &root, &err) == EIA_OK);
		CHECK(seen.calls == 2);
		CHECK(s.st == EIA_EINPUT && s.err.code == EIA_EINPUT);
		CHECK_STR(s.err.msg, "refused item 1 'b'");
		CHECK(err.msg[0] == '\0'); /* the caller's error is untouched */
		CHECK(root != NULL && yt_get(root, "entries")->streamed == 4);
		CHECK(yt_get(root, "tail") != NULL && yt_get(yt_get(root, "tail"), "x") != NULL);
		yt_free(root);
	}
	/* a YAML error after a refused item is still the parse's error */
	{
		const char *text = "entries: [a, b, c]\nx: 1\nx: 2\n";
		memset(&seen, 0, sizeof(seen));
		seen.fail_at = 0;
		root = NULL;
		eia_error_clear(&err);
		CHECK(yt_parse_stream("t.yaml", (const unsigned char *)text, strlen(text), &s,
				      &root, &err) == EIA_EINPUT);
		CHECK(root == NULL && seen.calls == 1);
		CHECK(strstr(err.msg, "t.yaml:3:1: duplicate key 'x'") != NULL);
		CHECK(s.st == EIA_EINPUT && strcmp(s.err.msg, "refused item 0 'a'") == 0);
	}
	/* a refusal of the last item, then a YAML syntax error */
	{
		const char *text = "entries: [a]\nx: [\n";
		memset(&seen, 0, sizeof(seen));
		seen.fail_at = 0;
		root = NULL;
		CHECK(yt_parse_stream("t.yaml", (const unsigned char *)text, strlen(text), &s,
				      &root, &err) == EIA_EINPUT);
		CHECK(root == NULL && seen.calls == 1 && s.st == EIA_EINPUT);
	}
}

static void test_stream_only_root_sequence(void)
{
	struct seen seen;
	yt_stream s;
	yt_node *root = NULL;
	const yt_node *v;
	eia_error err;

	/* a mapping or a scalar under the key stays in the tree */
	CHECK(stream_parse("entries: {a: 1, b: [x]}\n", &seen, &s, &root, &err) == EIA_OK);
	v = yt_get(root, "entries");
	CHECK(seen.calls == 0 && v != NULL && v->kind == YT_MAP && v->n == 4 && v->streamed == 0);
	CHECK(yt_get(v, "b")->n == 1 && yt_get(v, "b")->streamed == 0);
	yt_free(root);
	CHECK(stream_parse("entries: x\n", &seen, &s, &root, &err) == EIA_OK);
	v = yt_get(root, "entries");
	CHECK(seen.calls == 0 && v != NULL && v->kind == YT_SCALAR && strcmp(v->str, "x") == 0);
	yt_free(root);
	CHECK(stream_parse("entries:\n", &seen, &s, &root, &err) == EIA_OK);
	CHECK(seen.calls == 0 && yt_get(root, "entries")->kind == YT_SCALAR);
	yt_free(root);
	/* the key deeper down, or a longer/shorter key, is not the root key */
	CHECK(stream_parse("other: {entries: [1, 2]}\nentriesX: [3]\nentrie: [4]\n", &seen, &s,
			   &root, &err) == EIA_OK);
	CHECK(seen.calls == 0);
	CHECK(yt_get(yt_get(root, "other"), "entries")->n == 2);
	CHECK(yt_get(root, "entriesX")->n == 1 && yt_get(root, "entrie")->n == 1);
	yt_free(root);
	CHECK(stream_parse("- entries: [a, b]\n", &seen, &s, &root, &err) == EIA_OK);
	CHECK(seen.calls == 0 && root->kind == YT_SEQ && yt_get(root->kids[0], "entries")->n == 2);
	yt_free(root);
	/* a sequence as a mapping key is refused, never streamed */
	CHECK(stream_parse("? [a, b]\n: 1\n", &seen, &s, &root, &err) == EIA_EINPUT);
	CHECK(seen.calls == 0 && root == NULL);
}

static void test_stream_duplicate_key(void)
{
	struct seen seen;
	yt_stream s;
	yt_node *root = NULL;
	eia_error err;

	CHECK(stream_parse("entries: [a]\nname: n\nentries: [b, c]\n", &seen, &s, &root, &err) ==
	      EIA_EINPUT);
	CHECK(root == NULL);
	CHECK(strstr(err.msg, "t.yaml:3:1: duplicate key 'entries'") != NULL);
	CHECK(stream_parse("entries:\n  - {k: a}\nentries: x\n", &seen, &s, &root, &err) ==
	      EIA_EINPUT);
	CHECK(root == NULL && strstr(err.msg, "t.yaml:3:1: duplicate key 'entries'") != NULL);
	CHECK(stream_parse("entries: x\nentries: [a]\n", &seen, &s, &root, &err) == EIA_EINPUT);
	CHECK(root == NULL && strstr(err.msg, "t.yaml:2:1: duplicate key 'entries'") != NULL);
}

static void test_stream_flow(void)
{
	struct seen seen;
	yt_stream s;
	yt_node *root = NULL;
	const yt_node *v;
	eia_error err;

	CHECK(stream_parse("entries: []\n", &seen, &s, &root, &err) == EIA_OK);
	v = yt_get(root, "entries");
	CHECK(seen.calls == 0 && s.st == EIA_OK);
	CHECK(v != NULL && v->kind == YT_SEQ && v->n == 0 && v->streamed == 0);
	yt_free(root);
	CHECK(stream_parse("{a: 1, entries: [x, {k: y}, [z]], b: 2}\n", &seen, &s, &root, &err) ==
	      EIA_OK);
	CHECK(seen.calls == 3 && strcmp(seen.text[0], "x") == 0 && strcmp(seen.text[1], "y") == 0 &&
	      strcmp(seen.text[2], "seq/1") == 0);
	CHECK(seen.line[1] == 1 && seen.col[1] == 21);
	CHECK(yt_get(root, "entries")->streamed == 3 && yt_get(root, "b") != NULL);
	yt_free(root);
}

/* check_chars runs before the parse; its ASCII fast path must still count
 * columns and refuse DEL and C0/C1 controls. */
static void test_stream_chars(void)
{
	static const struct {
		const char *text;
		const char *want; /* NULL: parses */
	} cases[] = {{"a: \"\xc3\xa9\tx\"\n", NULL}, /* a tab inside a quoted scalar */
		     {"a: x\x7f\n", "t.yaml:1:5: control character U+007F"},
		     {"a: \xc3\xa9\x7f\n", "t.yaml:1:5: control character U+007F"},
		     {"a: b\nc: \x01\n", "t.yaml:2:4: control character U+0001"},
		     {"a: \xc2\x80\n", "t.yaml:1:4: control character U+0080"},
		     {"a: \xc2\x85\n", NULL}, /* NEL is printable */
		     {"a: \xc3\n", "t.yaml:1:4: invalid UTF-8 byte 0xc3"},
		     {"a: \x80z\n", "t.yaml:1:4: invalid UTF-8 byte 0x80"},
		     {"a: \xf0\x9f", "t.yaml:1:4: invalid UTF-8 byte 0xf0"},
		     {"a: \xc0\xaf\n", "t.yaml:1:4: invalid UTF-8 byte 0xc0"},
		     {"a: \xed\xa0\x80\n", "t.yaml:1:4: invalid UTF-8 byte 0xed"},
		     {"\xef\xbb\xbf"
		      "a: 1\n",
		      NULL},
		     {NULL, NULL}};

	for (size_t i = 0; cases[i].text != NULL; i++) {
		yt_node *root = NULL;
		eia_error err;
		eia_status st;
		eia_error_clear(&err);
		st = yt_parse("t.yaml", (const unsigned char *)cases[i].text, strlen(cases[i].text),
			      &root, &err);
		if (cases[i].want == NULL ?
			    st != EIA_OK :
			    st == EIA_OK || strstr(err.msg, cases[i].want) == NULL) {
			fprintf(stderr, "chars %zu: want '%s', got '%s'\n", i,
				cases[i].want ? cases[i].want : "ok", err.msg);
			CHECK(0);
		} else {
			CHECK(1);
		}
		yt_free(root);
	}
	{
		static const unsigned char nul[] = "a: b\n\nc: d\0e\n";
		yt_node *root = NULL;
		eia_error err;
		CHECK(yt_parse("t.yaml", nul, sizeof(nul) - 1, &root, &err) == EIA_EINPUT);
		CHECK(strstr(err.msg,
			     "t.yaml:3:5: control character U+0000 is not allowed "
			     "(NUL byte)") != NULL);
		CHECK(root == NULL);
	}
}

/* ---- manifest_parse on the stream ---------------------------------- */

static eia_status parse_str(const char *text, manifest *m, eia_error *err)
{
	eia_error_clear(err);
	return manifest_parse("m.yaml", (const unsigned char *)text, strlen(text), m, err);
}

/* Fails with a message containing `want`; the manifest is left empty. */
static int parse_fails_with(const char *text, const char *want)
{
	manifest m;
	eia_error err;
	eia_status st = parse_str(text, &m, &err);
	int ok = st == EIA_EINPUT && strstr(err.msg, want) != NULL && m.entries == NULL &&
		 m.name == NULL && m.n_entries == 0;

	if (!ok)
		fprintf(stderr, "want '%s', got status %d '%s'\n", want, (int)st, err.msg);
	manifest_free(&m);
	return ok;
}

/* The error of `text`, for comparing two inputs. */
static void error_of(const char *text, char *out, size_t size)
{
	manifest m;
	eia_error err;

	if (parse_str(text, &m, &err) == EIA_OK)
		snprintf(out, size, "(parsed)");
	else
		snprintf(out, size, "%s", err.msg);
	manifest_free(&m);
}

static void test_manifest_error_order(void)
{
	char with_bad[1024], with_good[1024];

	/* a top-level key after entries is reported before a bad entry, as
	 * a whole-tree parse would: the entry error is held back */
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: bogus}\nbogus: 1\n",
			       "m.yaml:6:1: unknown key 'bogus'"));
	error_of(HDR "entries:\n  - {path: a, type: bogus}\nbogus: 1\n", with_bad,
		 sizeof(with_bad));
	error_of(HDR "entries:\n  - {path: a, type: dir}\nbogus: 1\n", with_good,
		 sizeof(with_good));
	CHECK_STR(with_bad, with_good);
	/* header errors after entries too */
	CHECK(
		parse_fails_with("eia-manifest: 1\nname: n\nentries:\n  - {path: a, type: bogus}\n"
				 "serial: \"1\"\n",
				 "m.yaml:5:9: serial must be an unquoted"));
	CHECK(parse_fails_with("eia-manifest: 1\nname: n\nentries:\n  - {path: a, type: bogus}\n",
			       "m.yaml:1:1: missing required key 'serial'"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: bogus}\npolicy: {unlisted: no}\n",
			       "m.yaml:6:20: policy.unlisted must be fail, warn or ignore"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: bogus}\n"
				   "expires: soon\n",
			       "m.yaml:6:10: expires must be an RFC 3339 time"));
	/* a YAML error anywhere comes before both */
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: bogus}\nname: again\n",
			       "m.yaml:6:1: duplicate key 'name'"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: bogus}\nbogus: [\n", "m.yaml:"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: bogus}\n  - {path: b, path: c}\n",
			       "m.yaml:6:15: duplicate key 'path'"));
	/* entries that are not a sequence: the schema error, not streamed */
	CHECK(parse_fails_with(HDR "entries: {path: a}\n",
			       "m.yaml:4:10: entries must be a sequence, not a mapping"));
	CHECK(parse_fails_with(HDR "entries:\n", "m.yaml:4:9: entries must be a sequence"));
	CHECK(parse_fails_with(HDR "entries: [a]\nentries: []\n",
			       "m.yaml:5:1: duplicate key 'entries'"));
	CHECK(parse_fails_with(HDR, "m.yaml:1:1: missing required key 'entries'"));
}

static void test_manifest_entry_errors(void)
{
	/* a bad entry alone: FILE:LINE:COL of the entry's offending node, the
	 * first bad entry, not a later one */
	CHECK(parse_fails_with(HDR
			       "entries:\n  - {path: a, type: dir}\n  - {path: b, type: bogus}\n"
			       "  - {path: c, type: alsobad}\n",
			       "m.yaml:6:21: unknown type 'bogus'"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: dir}\n  - just-a-string\n",
			       "m.yaml:6:5: entry must be a mapping, not a scalar"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: dir}\n  - [x]\n",
			       "m.yaml:6:5: entry must be a mapping, not a sequence"));
	CHECK(parse_fails_with(HDR "entries:\n  - path: a\n    type: file\n",
			       "m.yaml:5:5: missing sha256 on static file 'a'"));
	CHECK(parse_fails_with(HDR "entries:\n  - {type: dir}\n",
			       "m.yaml:5:5: missing required key 'path'"));
	/* duplicate paths: the later line, whatever the order */
	CHECK(parse_fails_with(HDR "entries:\n  - {path: b, type: dir}\n  - {path: a, type: dir}\n"
				   "  - {path: b, type: dir}\n",
			       "m.yaml:7:12: duplicate entry path 'b'"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: dir}\n  - {path: a, type: dir}\n",
			       "m.yaml:6:12: duplicate entry path 'a'"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: c, type: dir}\n  - {path: b, type: dir}\n"
				   "  - {path: a, type: dir}\n  - {path: c, type: dir}\n",
			       "m.yaml:8:12: duplicate entry path 'c'"));
	/* digests: checked and decoded in one pass, same messages as before */
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: " H64("A") "}\n",
			       "m.yaml:5:35: sha256 must be lowercase hex"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: " H64(
				       "a") "}\n  - {path: b, type: file, sha256: " H64("a") "F}\n",
			       "m.yaml:6:35: sha256 must be lowercase hex"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: abcG}\n",
			       "m.yaml:5:35: sha256 must be lowercase hex"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: 0x12}\n",
			       "m.yaml:5:35: sha256 must be lowercase hex"));
	CHECK(parse_fails_with(HDR
			       "entries:\n  - {path: a, type: file, sha256: \"" H64("a") " \"}\n",
			       "sha256 must be lowercase hex"));
	CHECK(parse_fails_with(HDR
			       "entries:\n  - {path: a, type: file, sha256: "
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n",
			       "m.yaml:5:35: sha256 must be 64 hex digits, not 63"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: " H64("a") "00}\n",
			       "m.yaml:5:35: sha256 must be 64 hex digits, not 66"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: \"\"}\n",
			       "m.yaml:5:35: sha256 must be 64 hex digits, not 0"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: " H64(
				       "a") ", sha512: " H64("b") "}\n",
			       "sha512 must be 128 hex digits, not 64"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: firmware, sha256: " H64(
				       "a") ", chunk-size: 1, chunks: [" H64("b") ", abc]}\n",
			       "chunk sha256 must be 64 hex digits, not 3"));
	CHECK(parse_fails_with(HDR "entries:\n  - {path: a, type: file, sha256: [" H64("a") "]}\n",
			       "m.yaml:5:35: sha256 must be a string, not a sequence"));
}

static void hex_to_bytes(const char *hex, unsigned char *out)
{
	for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
		unsigned hi = (unsigned)(strchr("0123456789abcdef", hex[i]) - "0123456789abcdef");
		unsigned lo =
			(unsigned)(strchr("0123456789abcdef", hex[i + 1]) - "0123456789abcdef");
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
}

static void test_manifest_sorted_decoded(void)
{
	static const char h1[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	static const char h2[] = "ffeeddccbbaa99887766554433221100fedcba9876543210f0e1d2c3b4a59687";
	static const char h3[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char h512[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
		"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
	char text[2048];
	unsigned char want[64];
	manifest m;
	eia_error err;

	snprintf(text, sizeof(text),
		 HDR
		 "entries:\n"
		 "  - {path: m/x, type: file, size: 1, sha256: %s}\n"
		 "  - path: bin/z\n    type: file\n    sha256: %s\n    sha512: %s\n"
		 "  - {path: a, type: file, sha256: \"%s\", mode: \"0644\"}\n",
		 h1, h2, h512, h3);
	CHECK(parse_str(text, &m, &err) == EIA_OK);
	if (err.msg[0])
		fprintf(stderr, "%s\n", err.msg);
	CHECK(m.n_entries == 3);
	if (m.n_entries == 3) {
		CHECK_STR(m.entries[0].path, "a");
		CHECK_STR(m.entries[1].path, "bin/z");
		CHECK_STR(m.entries[2].path, "m/x");
		hex_to_bytes(h3, want);
		CHECK(memcmp(m.entries[0].digests.v[DG_SHA256], want, 32) == 0);
		CHECK(m.entries[0].digests.mask == DG_MASK(DG_SHA256) && m.entries[0].mode == 0644);
		hex_to_bytes(h2, want);
		CHECK(memcmp(m.entries[1].digests.v[DG_SHA256], want, 32) == 0);
		hex_to_bytes(h512, want);
		CHECK(memcmp(m.entries[1].digests.v[DG_SHA512], want, 64) == 0);
		CHECK(m.entries[1].digests.mask == (DG_MASK(DG_SHA256) | DG_MASK(DG_SHA512)));
		hex_to_bytes(h1, want);
		CHECK(memcmp(m.entries[2].digests.v[DG_SHA256], want, 32) == 0);
		CHECK(m.entries[2].has_size && m.entries[2].size == 1);
		CHECK(m.entries[2].line == 5 && m.entries[2].col == 12);
		CHECK(m.entries[1].line == 6 && m.entries[1].col == 11);
		CHECK(entry_find(m.entries, m.n_entries, "bin/z") == &m.entries[1]);
	}
	manifest_free(&m);
	/* an empty list */
	CHECK(parse_str(HDR "entries: []\n", &m, &err) == EIA_OK);
	CHECK(m.n_entries == 0 && m.entries == NULL && strcmp(m.name, "n") == 0);
	manifest_free(&m);
}

/* More entries than the sink's first allocation, in reverse order. */
static void test_manifest_many_entries(void)
{
	const size_t count = 2600;
	manifest m;
	eia_error err;
	size_t bad = 0;
	buf b;

	buf_init(&b);
	buf_adds(&b, HDR "entries:\n");
	for (size_t i = count; i-- > 0;)
		buf_printf(&b, "  - {path: d/f%05zu, type: file, sha256: %064zx}\n", i, i * 7919);
	CHECK(manifest_parse("m.yaml", b.data, b.len, &m, &err) == EIA_OK);
	CHECK(m.n_entries == count);
	for (size_t i = 0; i < m.n_entries && i < count; i++) {
		char path[32];
		unsigned char want[32] = {0};
		size_t v = i * 7919;
		snprintf(path, sizeof(path), "d/f%05zu", i);
		for (size_t k = 0; k < sizeof(size_t); k++)
			want[31 - k] = (unsigned char)(v >> (8 * k));
		if (strcmp(m.entries[i].path, path) != 0 ||
		    memcmp(m.entries[i].digests.v[DG_SHA256], want, 32) != 0 ||
		    m.entries[i].line != (unsigned long)(5 + count - 1 - i))
			bad++;
	}
	CHECK(bad == 0);
	manifest_free(&m);
	/* the same, with one bad entry near the end: its position, no leak */
	buf_adds(&b, "  - {path: zz, type: file, sha256: " H64("a") "0}\n");
	CHECK(manifest_parse("m.yaml", b.data, b.len, &m, &err) == EIA_EINPUT);
	{
		char want[64];
		snprintf(want, sizeof(want), "m.yaml:%zu:36: sha256 must be 64 hex digits, not 65",
			 5 + count);
		CHECK(strstr(err.msg, want) != NULL);
	}
	CHECK(m.entries == NULL && m.n_entries == 0);
	manifest_free(&m);
	buf_free(&b);
}

/* ---- walk_open_in: a cached directory, same guarantees ------------- */

static char root[4200], outside[4200];

static void under(char *out, size_t size, const char *base, const char *rel)
{
	snprintf(out, size, "%s/%s", base, rel);
}

static void put(const char *rel, const char *content)
{
	char p[8400];
	int fd;

	under(p, sizeof(p), root, rel);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);
}

/* A file whose content names it: "content of a/f1". */
static void put_named(const char *rel)
{
	char content[256];

	snprintf(content, sizeof(content), "content of %s", rel);
	put(rel, content);
}

static void mk(const char *rel)
{
	char p[8400];

	under(p, sizeof(p), root, rel);
	CHECK(mkdir(p, 0755) == 0);
}

static void lnk(const char *target, const char *rel)
{
	char p[8400];

	under(p, sizeof(p), root, rel);
	CHECK(symlink(target, p) == 0);
}

static void mv(const char *from, const char *to)
{
	char a[8400], b[8400];

	under(a, sizeof(a), root, from);
	under(b, sizeof(b), root, to);
	CHECK(rename(a, b) == 0);
}

static size_t read_all(int fd, char *out, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	return n;
}

static void dc_init(dir_cache *dc)
{
	dc->fd = -1;
	dc->path = NULL;
	dc->len = 0;
}

static void dc_free(dir_cache *dc)
{
	if (dc->fd >= 0)
		close(dc->fd);
	free(dc->path);
	dc_init(dc);
}

/* Opens `path` through dc; 1 if it is the walked inode with the content
 * put_named wrote. */
static int opens_named(dir_cache *dc, const tree *t, const char *path)
{
	const node *nd = tree_find(t, path);
	char want[256], got[256];
	struct stat st;
	int fd, ok;

	if (nd == NULL) {
		fprintf(stderr, "%s: not walked\n", path);
		return 0;
	}
	fd = walk_open_in(dc, t->root_fd, path, nd, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: walk_open_in: %s\n", path, strerror(errno));
		return 0;
	}
	snprintf(want, sizeof(want), "content of %s", path);
	read_all(fd, got, sizeof(got));
	ok = strcmp(got, want) == 0 && fstat(fd, &st) == 0 && st.st_ino == nd->ino &&
	     st.st_dev == nd->dev;
	if (!ok)
		fprintf(stderr, "%s: read '%s'\n", path, got);
	close(fd);
	return ok;
}

/* -1 with errno `want` (0: any errno) and the cache still usable. */
static int refused(dir_cache *dc, const tree *t, const char *path, const node *expect,
		   int allow_device, int want)
{
	int fd;

	errno = 0;
	fd = walk_open_in(dc, t->root_fd, path, expect, allow_device);
	if (fd >= 0) {
		fprintf(stderr, "%s: opened, should be refused\n", path);
		close(fd);
		return 0;
	}
	if (want != 0 && errno != want) {
		fprintf(stderr, "%s: errno %d (%s), want %d (%s)\n", path, errno, strerror(errno),
			want, strerror(want));
		return 0;
	}
	return 1;
}

static int have_device; /* mknod worked: c/null is a char device */

static void build_tree(void)
{
	static const char *const dirs[] = {"a", "a/b", "ab", "c", "d", "e", "s", NULL};
	static const char *const files[] = {"top.txt", "a/f1",	"a/f2",	     "a/b/g1",	 "a/b/g2",
					    "ab/f",    "c/h1",	"c/h2",	     "d/x",	 "d/y",
					    "e/keep",  "e/old", "e/wasfile", "e/tofifo", "e/f3",
					    "s/q",     NULL};
	char p[8400];

	CHECK(mkdir(root, 0755) == 0);
	CHECK(mkdir(outside, 0755) == 0);
	for (size_t i = 0; dirs[i] != NULL; i++)
		mk(dirs[i]);
	for (size_t i = 0; files[i] != NULL; i++)
		put_named(files[i]);
	lnk("h1", "c/link");
	lnk("a", "lnkdir");
	lnk("b", "a/blink");
	lnk(root, "abs");
	lnk("top.txt", "toplink");
	under(p, sizeof(p), root, "c/fifo");
	CHECK(mkfifo(p, 0600) == 0);
	under(p, sizeof(p), root, "tfifo");
	CHECK(mkfifo(p, 0600) == 0);
	under(p, sizeof(p), root, "c/null");
	have_device = mknod(p, S_IFCHR | 0600, makedev(1, 3)) == 0;
	under(p, sizeof(p), outside, "secret.txt");
	{
		FILE *f = fopen(p, "w");
		CHECK(f != NULL);
		if (f != NULL) {
			fputs("outside", f);
			fclose(f);
		}
	}
}

static void test_walk_open_interleaved(const tree *t)
{
	static const char *const order[] = {"a/f1",    "c/h1", "a/b/g1", "a/f2",   "top.txt",
					    "c/h2",    "ab/f", "a/f1",	 "a/b/g2", "a/b/g1",
					    "top.txt", "ab/f", "a/f2",	 "d/x",	   "c/h1",
					    "d/y",     "s/q",  "e/keep", "a/b/g2", "top.txt",
					    NULL};
	dir_cache dc;

	dc_init(&dc);
	for (size_t i = 0; order[i] != NULL; i++) {
		const char *slash = strrchr(order[i], '/');
		CHECK(opens_named(&dc, t, order[i]));
		if (slash != NULL) /* the file's directory is the cached one now */
			CHECK(dc.fd >= 0 && dc.len == (size_t)(slash - order[i]) &&
			      memcmp(dc.path, order[i], dc.len) == 0 && dc.path[dc.len] == '\0');
	}
	/* a top-level file leaves the cached directory in place */
	CHECK(dc.fd >= 0 && strcmp(dc.path, "a/b") == 0);
	/* another walked file of the cached directory is not the one asked */
	CHECK(refused(&dc, t, "a/b/g1", tree_find(t, "a/b/g2"), 0, ESTALE));
	/* a directory that cannot be opened does not poison the cache */
	CHECK(refused(&dc, t, "nodir/x", NULL, 0, ENOENT));
	CHECK(dc.fd < 0);
	CHECK(refused(&dc, t, "nodir/x", NULL, 0, ENOENT));
	CHECK(opens_named(&dc, t, "a/f1"));
	CHECK(refused(&dc, t, "a/missing", NULL, 0, ENOENT));
	CHECK(opens_named(&dc, t, "a/f2"));
	dc_free(&dc);
	/* a cold cache and top-level files only: the root itself, no cache */
	CHECK(opens_named(&dc, t, "top.txt"));
	CHECK(dc.fd == -1 && dc.path == NULL);
	dc_free(&dc);
	/* the same files without a cache */
	for (size_t i = 0; order[i] != NULL; i++) {
		int fd = walk_open_file(t->root_fd, order[i], tree_find(t, order[i]), 0);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
	}
}

static void test_walk_open_symlinks(const tree *t)
{
	dir_cache dc;

	dc_init(&dc);
	/* a symlink as the last component, cold and warm cache */
	CHECK(tree_find(t, "c/link") != NULL && tree_find(t, "c/link")->type == ENT_SYMLINK);
	CHECK(refused(&dc, t, "c/link", tree_find(t, "c/link"), 0, ELOOP));
	CHECK(opens_named(&dc, t, "c/h1"));
	CHECK(refused(&dc, t, "c/link", NULL, 0, ELOOP));
	CHECK(refused(&dc, t, "c/link", tree_find(t, "c/h1"), 0, ELOOP));
	CHECK(refused(&dc, t, "toplink", tree_find(t, "top.txt"), 0, ELOOP));
	CHECK(refused(&dc, t, "toplink", NULL, 0, ELOOP));
	/* a symlink as a directory component: refused although the file it
	 * leads to is the very inode the walk saw there */
	CHECK(refused(&dc, t, "lnkdir/f1", tree_find(t, "a/f1"), 0, 0));
	CHECK(dc.fd < 0);
	CHECK(refused(&dc, t, "lnkdir/f1", NULL, 0, 0));
	CHECK(refused(&dc, t, "a/blink/g1", tree_find(t, "a/b/g1"), 0, 0));
	CHECK(refused(&dc, t, "abs/top.txt", tree_find(t, "top.txt"), 0, 0));
	CHECK(refused(&dc, t, "abs/a/f1", tree_find(t, "a/f1"), 0, 0));
	/* and never beneath-the-root escapes, even without an inode to check */
	{
		char rel[4300];
		const char *slash = strrchr(outside, '/');
		snprintf(rel, sizeof(rel), "../%s/secret.txt", slash ? slash + 1 : outside);
		CHECK(refused(&dc, t, rel, NULL, 0, 0));
		CHECK(walk_open_file(t->root_fd, rel, NULL, 0) < 0);
	}
	CHECK(opens_named(&dc, t, "a/f1")); /* still usable after refusals */
	dc_free(&dc);
}

static void guard_against_blocking(void)
{
	/* SIGALRM's default action ends the test: an open that blocks fails */
	alarm(20);
}

static void test_walk_open_fifo_device(const tree *t)
{
	dir_cache dc;
	const node *nd;

	dc_init(&dc);
	guard_against_blocking();
	nd = tree_find(t, "c/fifo");
	CHECK(nd != NULL && nd->type == ENT_OTHER && strcmp(nd->other, "fifo") == 0);
	CHECK(refused(&dc, t, "c/fifo", nd, 0, ESTALE));
	CHECK(refused(&dc, t, "c/fifo", NULL, 0, ESTALE));
	CHECK(refused(&dc, t, "c/fifo", NULL, 1, ESTALE));
	CHECK(refused(&dc, t, "tfifo", tree_find(t, "tfifo"), 0, ESTALE));
	CHECK(walk_open_file(t->root_fd, "c/fifo", nd, 0) < 0);
	alarm(0);
	if (have_device) {
		int fd;
		nd = tree_find(t, "c/null");
		CHECK(nd != NULL && nd->type == ENT_OTHER && strcmp(nd->other, "char-device") == 0);
		CHECK(refused(&dc, t, "c/null", nd, 0, ESTALE));
		fd = walk_open_in(&dc, t->root_fd, "c/null", nd, 1);
		CHECK(fd >= 0 || errno == EACCES); /* EACCES: a nodev mount */
		if (fd >= 0)
			close(fd);
	} else {
		printf("note: mknod refused, device case skipped\n");
	}
	dc_free(&dc);
}

/* Files replaced after the walk: a new inode, a directory, a FIFO, a
 * symlink to a hard link of the walked inode. */
static void test_walk_open_replaced(const tree *t)
{
	dir_cache warm, cold;
	char a[8400], b[8400];

	dc_init(&warm);
	dc_init(&cold);
	CHECK(opens_named(&warm, t, "e/keep"));
	/* created while the old one still exists: surely another inode */
	put("e/old.new", "content of e/old");
	mv("e/old.new", "e/old");
	CHECK(refused(&warm, t, "e/old", tree_find(t, "e/old"), 0, ESTALE));
	CHECK(refused(&cold, t, "e/old", tree_find(t, "e/old"), 0, ESTALE));
	dc_free(&cold);
	CHECK(walk_open_file(t->root_fd, "e/old", tree_find(t, "e/old"), 0) < 0 && errno == ESTALE);
	/* a directory in place of the file */
	mv("e/wasfile", "e/wasfile.gone");
	mk("e/wasfile");
	CHECK(refused(&warm, t, "e/wasfile", tree_find(t, "e/wasfile"), 0, ESTALE));
	CHECK(refused(&warm, t, "e/wasfile", NULL, 0, ESTALE));
	/* a FIFO in place of the file: refused, never blocks */
	under(a, sizeof(a), root, "e/tofifo.new");
	CHECK(mkfifo(a, 0600) == 0);
	mv("e/tofifo.new", "e/tofifo");
	guard_against_blocking();
	CHECK(refused(&warm, t, "e/tofifo", tree_find(t, "e/tofifo"), 0, ESTALE));
	CHECK(refused(&cold, t, "e/tofifo", tree_find(t, "e/tofifo"), 0, ESTALE));
	alarm(0);
	dc_free(&cold);
	/* a symlink to a hard link of the walked inode: the inode check would
	 * pass, the symlink must not be followed */
	under(a, sizeof(a), root, "e/f3");
	under(b, sizeof(b), root, "e/f3.hl");
	CHECK(link(a, b) == 0);
	lnk("f3.hl", "e/f3.sl");
	mv("e/f3.sl", "e/f3");
	CHECK(refused(&warm, t, "e/f3", tree_find(t, "e/f3"), 0, ELOOP));
	CHECK(refused(&cold, t, "e/f3", tree_find(t, "e/f3"), 0, ELOOP));
	CHECK(walk_open_file(t->root_fd, "e/f3", tree_find(t, "e/f3"), 0) < 0);
	CHECK(opens_named(&warm, t, "e/keep"));
	dc_free(&warm);
	dc_free(&cold);
}

/* 1 if fd is -1 (failed closed) or the walked inode with its content. */
static int closed_or_walked(int fd, const node *nd, const char *want)
{
	struct stat st;
	char got[256];
	int ok;

	if (fd < 0)
		return 1;
	read_all(fd, got, sizeof(got));
	ok = fstat(fd, &st) == 0 && st.st_ino == nd->ino && st.st_dev == nd->dev &&
	     strcmp(got, want) == 0;
	if (!ok)
		fprintf(stderr, "opened another inode (%lu, not %lu): '%s'\n",
			(unsigned long)st.st_ino, (unsigned long)nd->ino, got);
	close(fd);
	return ok;
}

/* A directory renamed away and replaced after the walk. */
static void test_walk_open_dir_replaced(const tree *t)
{
	dir_cache warm, cold, warm2;
	const node *y = tree_find(t, "d/y"), *x = tree_find(t, "d/x"), *q = tree_find(t, "s/q");
	char a[8400], b[8400];
	int fd;

	dc_init(&warm);
	dc_init(&cold);
	dc_init(&warm2);
	CHECK(opens_named(&warm, t, "d/x"));
	CHECK(opens_named(&warm2, t, "s/q"));
	mv("d", "d.gone");
	mk("d");
	put("d/y", "impostor");
	put("d/x", "impostor");
	/* warm: the cached directory is the walked one; cold: the new one */
	fd = walk_open_in(&warm, t->root_fd, "d/y", y, 0);
	CHECK(closed_or_walked(fd, y, "content of d/y"));
	fd = walk_open_in(&cold, t->root_fd, "d/y", y, 0);
	CHECK(closed_or_walked(fd, y, "content of d/y"));
	CHECK(fd < 0 && errno == ESTALE);
	fd = walk_open_file(t->root_fd, "d/x", x, 0);
	CHECK(closed_or_walked(fd, x, "content of d/x"));
	CHECK(fd < 0 && errno == ESTALE);
	/* the walked directory moved out of the root altogether */
	under(a, sizeof(a), root, "d.gone");
	under(b, sizeof(b), outside, "d.moved");
	CHECK(rename(a, b) == 0);
	fd = walk_open_in(&warm, t->root_fd, "d/x", x, 0);
	CHECK(closed_or_walked(fd, x, "content of d/x"));
	fd = walk_open_in(&cold, t->root_fd, "d/x", x, 0);
	CHECK(closed_or_walked(fd, x, "content of d/x"));
	/* replaced by a symlink to a directory outside that holds a hard link
	 * of the walked inode: a new open must not follow it */
	under(a, sizeof(a), root, "s/q");
	under(b, sizeof(b), outside, "q");
	CHECK(link(a, b) == 0);
	mv("s", "s.gone");
	lnk(outside, "s");
	dc_free(&cold);
	CHECK(refused(&cold, t, "s/q", q, 0, 0));
	CHECK(errno != ESTALE); /* refused for the symlink, not the inode */
	fd = walk_open_in(&warm2, t->root_fd, "s/q", q, 0);
	CHECK(closed_or_walked(fd, q, "content of s/q"));
	CHECK(walk_open_file(t->root_fd, "s/q", q, 0) < 0);
	dc_free(&warm);
	dc_free(&cold);
	dc_free(&warm2);
}

/* ---- walk on a thread ---------------------------------------------- */

static int same_node(const node *a, const node *b)
{
	return strcmp(a->path, b->path) == 0 && a->path_len == b->path_len && a->type == b->type &&
	       (a->other == b->other ||
		(a->other != NULL && b->other != NULL && strcmp(a->other, b->other) == 0)) &&
	       a->size == b->size && a->mode == b->mode && a->uid == b->uid && a->gid == b->gid &&
	       a->dev == b->dev && a->ino == b->ino && a->error == b->error &&
	       (a->target == b->target ||
		(a->target != NULL && b->target != NULL && strcmp(a->target, b->target) == 0));
}

static int same_tree(const tree *a, const tree *b)
{
	struct stat sa, sb;

	if (a->n != b->n || a->files != b->files || a->bytes != b->bytes)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!same_node(&a->v[i], &b->v[i])) {
			fprintf(stderr, "node %zu differs: %s / %s\n", i, a->v[i].path,
				b->v[i].path);
			return 0;
		}
	return a->root_fd >= 0 && b->root_fd >= 0 && a->root_fd != b->root_fd &&
	       fstat(a->root_fd, &sa) == 0 && fstat(b->root_fd, &sb) == 0 &&
	       sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* Every digest hashed ahead is the file's sha256; returns how many. */
static size_t check_pre(const tree *t, size_t *bad)
{
	size_t done = 0;

	if (t->pre == NULL)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		unsigned char want[32];
		char data[4096];
		size_t len;
		int fd;
		if (!t->pre[i].done)
			continue;
		done++;
		fd = openat(t->root_fd, t->v[i].path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || t->v[i].type != ENT_FILE) {
			(*bad)++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		len = read_all(fd, data, sizeof(data));
		close(fd);
		EVP_Digest(data, len, want, NULL, EVP_sha256(), NULL);
		if (memcmp(want, t->pre[i].sha256, 32) != 0 || t->pre[i].bytes != len)
			(*bad)++;
	}
	return done;
}

static void test_walk_job(void)
{
	tree direct, threaded, spec;
	walk_job j;
	eia_error err;
	size_t bad = 0, done;

	CHECK(walk_tree(root, &direct, &err) == EIA_OK);
	CHECK(direct.n > 20 && direct.pre == NULL);
	walk_start(&j, root, 0, NULL);
	CHECK(walk_finish(&j, &threaded, &err) == EIA_OK);
	CHECK(same_tree(&direct, &threaded));
	CHECK(threaded.pre == NULL);
	CHECK(j.root == NULL && j.t.root_fd == -1 && j.t.v == NULL);
	walk_discard(&j); /* finished: nothing left to drop */
	/* hashing ahead changes nothing in the tree; what it hashed is right */
	walk_start(&j, root, 1, NULL);
	{
		struct timespec ts = {0, 300 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	CHECK(walk_finish(&j, &spec, &err) == EIA_OK);
	CHECK(same_tree(&direct, &spec));
	CHECK(spec.pre != NULL);
	done = check_pre(&spec, &bad);
	CHECK(bad == 0);
	if (done == 0)
		printf("note: no file was hashed ahead in 300 ms\n");
	walk_end(&j); /* the thread is joined before its tree is freed */
	tree_free(&direct);
	tree_free(&threaded);
	tree_free(&spec);
	CHECK(spec.root_fd == -1 && spec.v == NULL && spec.pre == NULL);
}

static void test_walk_discard(void)
{
	char missing[8400];
	walk_job j;
	tree t;
	eia_error err;
	int before = check_open_fds();

	/* started, never finished: dropped without a leak (ASan), fds closed */
	walk_start(&j, root, 0, NULL);
	walk_discard(&j);
	CHECK(j.root == NULL);
	walk_discard(&j); /* twice is harmless */
	walk_start(&j, root, 1, NULL);
	walk_discard(&j);
	CHECK(check_open_fds() == before);
	/* a root that is not there */
	under(missing, sizeof(missing), tmpdir, "no-such-root");
	walk_start(&j, missing, 1, NULL);
	walk_discard(&j);
	walk_start(&j, missing, 0, NULL);
	eia_error_clear(&err);
	CHECK(walk_finish(&j, &t, &err) == EIA_EINPUT);
	CHECK(strstr(err.msg, "no-such-root") != NULL);
	walk_discard(&j);
	/* a file as the root */
	under(missing, sizeof(missing), root, "top.txt");
	walk_start(&j, missing, 0, NULL);
	CHECK(walk_finish(&j, &t, &err) == EIA_EINPUT);
	CHECK(check_open_fds() == before);
}

static void test_walk_open(void)
{
	tree t;
	eia_error err;
	int before;

	build_tree();
	before = check_open_fds();
	CHECK(walk_tree(root, &t, &err) == EIA_OK);
	test_walk_open_interleaved(&t);
	test_walk_open_symlinks(&t);
	test_walk_open_fifo_device(&t);
	test_walk_open_replaced(&t);
	test_walk_open_dir_replaced(&t);
	tree_free(&t);
	CHECK(check_open_fds() == before);
}

int main(void)
{
	const char *base = getenv("EIA_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/unit-stream-%d", base ? base : "/tmp", (int)getpid());
	mkdir(base ? base : "/tmp", 0755);
	mkdir(tmpdir, 0755);
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	snprintf(outside, sizeof(outside), "%s/out", tmpdir);

	test_stream_scalars_in_order();
	test_stream_map_items();
	test_stream_nested_complete();
	test_stream_many_items();
	test_stream_error_in_item();
	test_stream_callback_error();
	test_stream_only_root_sequence();
	test_stream_duplicate_key();
	test_stream_flow();
	test_stream_chars();
	test_manifest_error_order();
	test_manifest_entry_errors();
	test_manifest_sorted_decoded();
	test_manifest_many_entries();
	test_walk_open();
	test_walk_job();
	test_walk_discard();
	{
		char cmd[4300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return check_done();
}
