/* Unit tests of the util layer: JSON emitter, paths and globs, encodings,
 * RFC 3339, the strict YAML tree and atomic writes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/paths.h"
#include "util/timefmt.h"
#include "util/yaml_tree.h"

static void test_json_escaping(void)
{
	buf b;
	json_w w;
	const char raw[] = "a\"b\\c\n\x01\x1f\x7f\xd8\xa7\xff";

	buf_init(&b);
	json_init(&w, &b);
	json_obj_begin(&w, NULL);
	json_str(&w, "k", raw, sizeof(raw) - 1);
	json_hex_if_invalid(&w, "k_hex", raw, sizeof(raw) - 1);
	json_hex_if_invalid(&w, "never", "ok", 2);
	json_obj_end(&w);
	CHECK(strstr((char *)b.data, "\"a\\\"b\\\\c\\n\\u0001\\u001f\\u007f\xd8\xa7\\ufffd\"") != NULL);
	CHECK(strstr((char *)b.data, "\"k_hex\": \"6122625c630a011f7fd8a7ff\"") != NULL);
	CHECK(strstr((char *)b.data, "never") == NULL);
	buf_free(&b);
}

static void test_json_structure(void)
{
	buf b;
	json_w w;

	buf_init(&b);
	json_init(&w, &b);
	json_obj_begin(&w, NULL);
	json_arr_begin(&w, "empty");
	json_arr_end(&w);
	json_arr_begin(&w, "a");
	json_u64(&w, NULL, 18446744073709551615ULL);
	json_null(&w, NULL);
	json_bool(&w, NULL, 1);
	json_arr_end(&w);
	json_obj_end(&w);
	json_finish(&w);
	CHECK_STR((char *)b.data, "{\n  \"empty\": [],\n  \"a\": [\n    18446744073709551615,\n"
				  "    null,\n    true\n  ]\n}\n");
	buf_free(&b);
}

static void test_paths(void)
{
	CHECK(path_invalid("bin/x", 5) == NULL);
	CHECK(path_invalid("\xd8\xa7/\xd8\xa8", 5) == NULL);
	CHECK(path_invalid("/etc", 4) != NULL);
	CHECK(path_invalid("a//b", 4) != NULL);
	CHECK(path_invalid("a/./b", 5) != NULL);
	CHECK(path_invalid("a/..", 4) != NULL);
	CHECK(path_invalid("a/", 2) != NULL);
	CHECK(path_invalid("", 0) != NULL);
	CHECK(path_invalid("a\0b", 3) != NULL);
	CHECK(path_invalid("bad\xff", 4) != NULL);
	CHECK(path_invalid("..x/x..", 7) == NULL);
	CHECK(utf8_valid("\xed\xa0\x80", 3) == 0); /* surrogate */
	CHECK(utf8_valid("\xc0\xaf", 2) == 0);     /* overlong */
	CHECK(utf8_valid("\xf0\x9f\x97\xb3", 4) == 1);
	CHECK(utf8_valid("\xe2\x82", 2) == 0);     /* truncated */
}

static void test_glob(void)
{
	CHECK(glob_match("logs/**", "logs/a/b.log"));
	CHECK(glob_match("logs/**", "logs"));
	CHECK(!glob_match("logs/**", "logsx/a"));
	CHECK(glob_match("*.log", "a.log"));
	CHECK(!glob_match("*.log", "d/a.log"));
	CHECK(glob_match("**/*.log", "d/e/a.log"));
	CHECK(glob_match("**/*.log", "a.log"));
	CHECK(glob_match("fw/?.bin", "fw/a.bin"));
	CHECK(!glob_match("fw/?.bin", "fw/ab.bin"));
	CHECK(glob_match("fw/[a-c].bin", "fw/b.bin"));
	CHECK(!glob_match("fw/[!a-c].bin", "fw/b.bin"));
	CHECK(glob_match("a/**/z", "a/z"));
	CHECK(glob_match("a/**/z", "a/b/c/z"));
}

static void test_encodings(void)
{
	unsigned char out[8];
	size_t n;
	char hex[17];
	char *b64 = base64_encode((const unsigned char *)"hello", 5);
	unsigned char *back;

	CHECK_STR(b64, "aGVsbG8=");
	back = base64_decode(b64, strlen(b64), &n);
	CHECK(back != NULL && n == 5 && memcmp(back, "hello", 5) == 0);
	free(back);
	free(b64);
	CHECK(base64_decode("aGVsbG8", 7, &n) == NULL);
	CHECK(base64_decode("aG=sbG8=", 8, &n) == NULL);
	CHECK(base64_decode("aGVs bG8", 8, &n) == NULL);
	CHECK(hex_decode("00ff10", 6, out, 3) == 0 && out[1] == 0xff);
	CHECK(hex_decode("0g", 2, out, 1) != 0);
	hex_encode(out, 3, hex);
	CHECK_STR(hex, "00ff10");
}

static void test_time(void)
{
	int64_t t;
	char s[32];

	CHECK(rfc3339_parse("1970-01-01T00:00:00Z", &t) == 0 && t == 0);
	CHECK(rfc3339_parse("2026-11-01T09:00:00Z", &t) == 0 && t == 1793523600);
	CHECK(rfc3339_parse("2026-11-01T12:30:00+03:30", &t) == 0 && t == 1793523600);
	CHECK(rfc3339_parse("2024-02-29T00:00:00.123Z", &t) == 0);
	CHECK(rfc3339_parse("2023-02-29T00:00:00Z", &t) != 0);
	CHECK(rfc3339_parse("2026-11-01", &t) != 0);
	CHECK(rfc3339_parse("2026-11-01T09:00:00", &t) != 0);
	CHECK(rfc3339_parse("2026-13-01T09:00:00Z", &t) != 0);
	rfc3339_format(1793523600, s);
	CHECK_STR(s, "2026-11-01T09:00:00Z");
}

static int parse_fails(const char *text, const char *why)
{
	yt_node *n = NULL;
	eia_error err;
	eia_status st = yt_parse("t.yaml", (const unsigned char *)text, strlen(text), &n, &err);

	yt_free(n);
	if (st == EIA_OK)
		return 0;
	if (why != NULL && strstr(err.msg, why) == NULL) {
		fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, why);
		return 0;
	}
	return 1;
}

static void test_yaml_strict(void)
{
	yt_node *n = NULL;
	eia_error err;
	uint64_t v;
	const char *ok = "a: 1\nb: [x, \"y\"]\nc: {d: e}\n";

	CHECK(yt_parse("t.yaml", (const unsigned char *)ok, strlen(ok), &n, &err) == EIA_OK);
	CHECK(n != NULL && n->kind == YT_MAP && n->n == 6);
	CHECK(yt_uint("t.yaml", yt_get(n, "a"), "a", 10, &v, &err) == EIA_OK && v == 1);
	CHECK(yt_get(n, "b")->kids[1]->plain == 0);
	yt_free(n);
	CHECK(parse_fails("a: &x 1\nb: *x\n", "anchors"));
	CHECK(parse_fails("a: 1\na: 2\n", "t.yaml:2:1: duplicate key 'a'"));
	CHECK(parse_fails("a: 1\n---\nb: 2\n", "multi-document"));
	CHECK(parse_fails("a: !!str 1\n", "tags"));
	CHECK(parse_fails("? [a]\n: 1\n", "plain scalars"));
	CHECK(parse_fails("", "empty"));
	CHECK(parse_fails("a: \"\\0\"\n", NULL) == 0); /* an escaped NUL parses; schema refuses */
	{
		char deep[200];
		memset(deep, '[', 100);
		deep[100] = '\0';
		CHECK(parse_fails(deep, "nesting too deep"));
	}
}

static void test_uint_rules(void)
{
	yt_node *n = NULL;
	eia_error err;
	uint64_t v;
	const char *text = "a: 18446744073709551615\nb: 18446744073709551616\nc: \"5\"\nd: 05\ne: -1\n";

	CHECK(yt_parse("t.yaml", (const unsigned char *)text, strlen(text), &n, &err) == EIA_OK);
	CHECK(yt_uint("t.yaml", yt_get(n, "a"), "a", UINT64_MAX, &v, &err) == EIA_OK &&
	      v == UINT64_MAX);
	CHECK(yt_uint("t.yaml", yt_get(n, "b"), "b", UINT64_MAX, &v, &err) == EIA_EINPUT);
	CHECK(yt_uint("t.yaml", yt_get(n, "c"), "c", 10, &v, &err) == EIA_EINPUT);
	CHECK(yt_uint("t.yaml", yt_get(n, "d"), "d", 10, &v, &err) == EIA_EINPUT);
	CHECK(yt_uint("t.yaml", yt_get(n, "e"), "e", 10, &v, &err) == EIA_EINPUT);
	CHECK(strstr(err.msg, "t.yaml:5:4:") != NULL);
	yt_free(n);
}

static void test_error_lines_are_printable(void)
{
	eia_error e;

	eia_fail(&e, EIA_EINPUT, "role 'x\xe2\x80\xae" "esab' a\tb \xd8\xa7 \xff\x1b[31m");
	CHECK_STR(e.msg, "role 'x\\u202eesab' a\\x09b \xd8\xa7 \\xff\\x1b[31m");
}

static void test_atomic_write(void)
{
	const char *dir = getenv("EIA_TEST_TMP");
	char path[4096];
	buf b;
	eia_error err;
	struct stat st;

	if (dir == NULL)
		dir = "/tmp";
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/atomic-%d.txt", dir, (int)getpid());
	CHECK(atomic_write(path, "old", 3, 0600, &err) == EIA_OK);
	CHECK(atomic_write(path, "new!", 4, 0644, &err) == EIA_OK);
	CHECK(file_read_all(path, 100, &b, &err) == EIA_OK && b.len == 4 &&
	      memcmp(b.data, "new!", 4) == 0);
	buf_free(&b);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	CHECK(file_read_all(path, 2, &b, &err) == EIA_EINPUT);
	unlink(path);
	CHECK(atomic_write("/nonexistent-dir/x", "a", 1, 0644, &err) == EIA_EINPUT);
	CHECK(file_read_all("/nonexistent-dir/x", 10, &b, &err) == EIA_EINPUT);
}

int main(void)
{
	test_json_escaping();
	test_json_structure();
	test_paths();
	test_glob();
	test_encodings();
	test_time();
	test_yaml_strict();
	test_uint_rules();
	test_atomic_write();
	test_error_lines_are_printable();
	return check_done();
}
