/* test_manifest.c - manifest_parse on valid and invalid inputs, the
 * canonical writer, and the parse(write(m)) round trip for tricky names. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/diff.h"
#include "model/import.h"
#include "model/manifest.h"

#define H64(c)                                                                                    \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		c c c c c c c c c c c c c c c c c c c

static const char full[] =
	"eia-manifest: 1\n"
	"name: isfahan-2026\n"
	"serial: 12\n"
	"created: 2026-11-01T09:00:00Z\n"
	"expires: 2027-01-31T00:00:00Z\n"
	"description: Certified build 5.17.2\n"
	"system: {vendor: ACME, model: DS200}\n"
	"policy:\n"
	"  unlisted: warn\n"
	"  ignore: [logs/**]\n"
	"  compare: [type, size, digest, mode, target, uid]\n"
	"entries:\n"
	"  - {path: lib, type: dir, mode: \"0755\"}\n"
	"  - {path: bin/tabulate, type: file, size: 3, sha256: " H64("a") ", mode: \"0755\"}\n"
	"  - {path: data/cvr.db, type: file, class: dynamic}\n"
	"  - {path: lib/libvote.so, type: symlink, target: libvote.so.5}\n"
	"  - path: packages/t.tar.gz\n"
	"    type: archive\n"
	"    sha256: " H64("b") "\n"
	"    members:\n"
	"      - {path: usr/bin/x, type: file, sha256: " H64("c") ", mode: 755}\n"
	"      - {path: usr/a.zip, type: archive, sha256: " H64("d") ", members: []}\n"
	"  - path: fw.bin\n"
	"    type: firmware\n"
	"    size: 5\n"
	"    sha256: " H64("e") "\n"
	"    regions:\n"
	"      - {name: boot, offset: 0, length: 2, sha256: " H64("f") "}\n"
	"    chunk-size: 2\n"
	"    chunks: [" H64("1") ", " H64("2") ", " H64("3") "]\n";

static eia_status parse_str(const char *text, manifest *m, eia_error *err)
{
	return manifest_parse("m.yaml", (const unsigned char *)text, strlen(text), m, err);
}

static void test_parse_full(void)
{
	manifest m;
	eia_error err;
	const entry *e;

	eia_error_clear(&err);
	CHECK(parse_str(full, &m, &err) == EIA_OK);
	if (err.msg[0])
		fprintf(stderr, "%s\n", err.msg);
	CHECK_STR(m.name, "isfahan-2026");
	CHECK(m.serial == 12);
	CHECK(m.expires != NULL && m.expires_at == 1801353600);
	CHECK(m.n_system == 2 && strcmp(m.system[0].key, "vendor") == 0);
	CHECK(m.unlisted == UNLISTED_WARN);
	CHECK(m.n_ignore == 1);
	CHECK(m.compare == (CMP_DEFAULT | CMP_UID));
	CHECK(m.n_entries == 6);
	CHECK_STR(m.entries[0].path, "bin/tabulate"); /* sorted */
	e = entry_find(m.entries, m.n_entries, "lib/libvote.so");
	CHECK(e != NULL && e->type == ENT_SYMLINK && strcmp(e->target, "libvote.so.5") == 0);
	e = entry_find(m.entries, m.n_entries, "data/cvr.db");
	CHECK(e != NULL && e->dynamic && e->digests.mask == 0);
	e = entry_find(m.entries, m.n_entries, "packages/t.tar.gz");
	CHECK(e != NULL && e->n_members == 2 && strcmp(e->members[0].path, "usr/a.zip") == 0);
	CHECK(e != NULL && e->members[1].mode == 0755 && e->members[0].has_members);
	e = entry_find(m.entries, m.n_entries, "fw.bin");
	CHECK(e != NULL && e->n_regions == 1 && e->chunk_size == 2 && e->n_chunks == 3);
	CHECK(e != NULL && e->chunks[2][0] == 0x33);
	CHECK(entry_find(m.entries, m.n_entries, "nope") == NULL);
	CHECK_STR(entry_type_name(ENT_FIRMWARE), "firmware");
	manifest_free(&m);
}

static void test_write_canonical(void)
{
	manifest m, m2;
	eia_error err;
	buf a, b;
	diff_result d;

	buf_init(&a);
	buf_init(&b);
	CHECK(parse_str(full, &m, &err) == EIA_OK);
	manifest_write(&m, &a);
	CHECK(manifest_parse("w.yaml", a.data, a.len, &m2, &err) == EIA_OK);
	manifest_write(&m2, &b);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	CHECK(strstr((char *)a.data,
		     "entries:\n  - {path: \"bin/tabulate\", type: file, size: 3, sha256: ") !=
	      NULL);
	CHECK(strstr((char *)a.data,
		     "    members:\n      - path: \"usr/a.zip\"\n        type: archive\n") != NULL);
	CHECK(strstr((char *)a.data, "  - {path: \"data/cvr.db\", type: file, class: dynamic}\n") !=
	      NULL);
	manifest_diff(&m, &m2, &d);
	CHECK(diff_empty(&d));
	diff_free(&d);
	manifest_free(&m);
	manifest_free(&m2);
	buf_free(&a);
	buf_free(&b);
}

static const char *const tricky[] = {"a b",
				     "new\nline",
				     "tab\there",
				     "quote\"d",
				     "single'q",
				     "back\\slash",
				     "colon: x",
				     "hash #x",
				     "#lead",
				     "-lead",
				     "- dash space",
				     "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85.txt",
				     "yes",
				     "no",
				     "null",
				     "~",
				     "true",
				     "123",
				     "0x1F",
				     "1e3",
				     "0755",
				     ".hidden",
				     "...",
				     "&anchor",
				     "*alias",
				     "!tag",
				     "%dir",
				     "@at",
				     "`tick",
				     "{brace",
				     "[bracket",
				     "> fold",
				     "| lit",
				     "? q",
				     " lead space",
				     "trail space ",
				     "del\x7f",
				     "bell\x07",
				     "cr\rx",
				     "nel\xc2\x85x",
				     "ls\xe2\x80\xa8x",
				     "bom\xef\xbb\xbfx",
				     "c1\xc2\x9bx",
				     "\xf0\x9f\x97\xb3 vote",
				     "dir/sub/f",
				     "comma, x",
				     "brace}x",
				     "a\\nb",
				     NULL};

static void test_round_trip_names(void)
{
	manifest m, back;
	eia_error err;
	buf out;
	size_t n = 0;

	manifest_init(&m);
	m.name = strdup("name: \"quoted\" #1\n");
	m.serial = MANIFEST_MAX_SERIAL;
	m.description = strdup("multi\nline\tdesc \\ ok");
	while (tricky[n] != NULL)
		n++;
	m.entries = calloc(n, sizeof(*m.entries));
	for (size_t i = 0; i < n; i++) {
		m.entries[i].path = strdup(tricky[i]);
		m.entries[i].type = ENT_SYMLINK;
		m.entries[i].target = strdup(tricky[i]);
	}
	m.n_entries = n;
	CHECK(entry_sort(m.entries, m.n_entries) == NULL);
	buf_init(&out);
	manifest_write(&m, &out);
	eia_error_clear(&err);
	CHECK(manifest_parse("rt.yaml", out.data, out.len, &back, &err) == EIA_OK);
	if (err.msg[0])
		fprintf(stderr, "round trip: %s\n", err.msg);
	CHECK(back.n_entries == n);
	for (size_t i = 0; i < n && i < back.n_entries; i++) {
		CHECK_STR(back.entries[i].path, m.entries[i].path);
		CHECK_STR(back.entries[i].target, m.entries[i].target);
	}
	CHECK(back.name != NULL && strcmp(back.name, m.name) == 0);
	CHECK(back.description != NULL && strcmp(back.description, m.description) == 0);
	CHECK(back.serial == MANIFEST_MAX_SERIAL);
	manifest_free(&back);
	manifest_free(&m);
	buf_free(&out);
}

struct bad_case {
	const char *yaml;
	const char *want; /* substring of the error, including FILE:LINE:COL */
};

#define HDR "eia-manifest: 1\nname: n\nserial: 1\n"

static const struct bad_case bad[] = {
	{"", "m.yaml:1:1: empty document"},
	{"- 1\n", "m.yaml:1:1: a manifest must be a mapping"},
	{"eia-manifest: 2\nname: n\nserial: 1\nentries: []\n",
	 "m.yaml:1:15: unsupported eia-manifest version 2"},
	{HDR "entries: []\nbogus: 1\n", "m.yaml:5:1: unknown key 'bogus'"},
	{HDR "entries: []\nname: x\n", "m.yaml:5:1: duplicate key 'name'"},
	{"eia-manifest: 1\nname: n\nserial: \"12\"\nentries: []\n",
	 "m.yaml:3:9: serial must be an unquoted"},
	{HDR "entries: 5\n", "m.yaml:4:10: entries must be a sequence"},
	{HDR "policy: {unlisted: fial}\nentries: []\n",
	 "m.yaml:4:20: policy.unlisted must be fail, warn or ignore"},
	{HDR "policy: {compare: [type, sizes]}\nentries: []\n",
	 "m.yaml:4:26: unknown compare attribute 'sizes'"},
	{HDR "entries:\n  - {path: /etc/x, type: dir}\n", "m.yaml:5:12: path must be relative"},
	{HDR "entries:\n  - {path: a/../b, type: dir}\n", "m.yaml:5:12: path has a '..' component"},
	{HDR "entries:\n  - {path: a, type: dir}\n  - {path: a, type: dir}\n",
	 "m.yaml:6:12: duplicate entry path 'a'"},
	{HDR "entries:\n  - {path: a, type: file}\n",
	 "m.yaml:5:5: missing sha256 on static file 'a'"},
	{HDR "entries:\n  - {path: a, type: file, md5: abc}\n",
	 "m.yaml:5:27: md5 is refused: use sha256"},
	{HDR "entries:\n  - {path: a, type: file, sha256: abc}\n",
	 "m.yaml:5:35: sha256 must be 64 hex digits, not 3"},
	{HDR "entries:\n  - {path: a, type: file, sha256: " H64("A") "}\n",
	 "sha256 must be lowercase hex"},
	{HDR "entries:\n  - {path: a, type: dir, mode: \"0855\"}\n",
	 "m.yaml:5:32: mode must be 3 or 4 octal digits"},
	{HDR "entries:\n  - {path: a, type: file, class: dynamic, size: 1}\n",
	 "dynamic entry 'a' carries no size or digest"},
	{HDR "entries:\n  - {path: a, type: dir, target: b}\n",
	 "m.yaml:5:34: target is only allowed on type symlink"},
	{HDR "entries:\n  - {path: a, type: symlink}\n", "symlink 'a' needs a target"},
	{HDR "entries:\n  - {path: a, type: firmware, size: 3, sha256: " H64(
		 "a") ", chunk-size: 2, chunks: [" H64("b") "]}\n",
	 "1 chunks given, but size 3 in chunks of 2 needs 2"},
	{HDR "entries:\n  - {path: a, type: firmware, size: 3, sha256: " H64(
		 "a") ", regions: [{name: r, offset: 2, length: 2, sha256: " H64("b") "}]}\n",
	 "region 'r' ends at 4, past the size 3"},
	{HDR "expires: tomorrow\nentries: []\n", "m.yaml:4:10: expires must be an RFC 3339 time"},
	{HDR "entries: []\n\xff\n", "m.yaml:5:1: invalid UTF-8 byte 0xff"},
	{NULL, NULL}};

static void test_bad_inputs(void)
{
	for (size_t i = 0; bad[i].yaml != NULL; i++) {
		manifest m;
		eia_error err;
		eia_error_clear(&err);
		eia_status st = parse_str(bad[i].yaml, &m, &err);
		CHECK(st == EIA_EINPUT);
		if (strstr(err.msg, bad[i].want) == NULL) {
			fprintf(stderr, "case %zu: want '%s', got '%s'\n", i, bad[i].want, err.msg);
			CHECK(0);
		}
		CHECK(m.entries == NULL && m.name == NULL);
		manifest_free(&m);
	}
}

static void test_import_sums(void)
{
	static const char sums[] =
		H64("a") "  ./bin/x\n"
			 "\\" H64("b") " *dir/new\\nline\n" H64("c") "  dir/back\\slash\n";
	manifest m;
	eia_error err;

	manifest_init(&m);
	CHECK(import_sha256sums("s.txt", (const unsigned char *)sums, strlen(sums), &m, &err) ==
	      EIA_OK);
	CHECK(m.n_entries == 5);
	CHECK(entry_find(m.entries, m.n_entries, "bin") != NULL);
	CHECK(entry_find(m.entries, m.n_entries, "dir/new\nline") != NULL);
	CHECK(entry_find(m.entries, m.n_entries, "dir/back\\slash") != NULL);
	manifest_free(&m);
	CHECK(import_sha256sums("s.txt", (const unsigned char *)"abc  x\n", 7, &m, &err) ==
	      EIA_EINPUT);
	CHECK(strstr(err.msg, "s.txt:1: ") != NULL);
}

int main(void)
{
	test_parse_full();
	test_write_canonical();
	test_round_trip_names();
	test_bad_inputs();
	test_import_sums();
	return check_done();
}
