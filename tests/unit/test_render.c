/* test_render.c - the report reader and the writers' escaping: every
 * user-supplied string must come out inert in text, HTML and XML. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/render.h"
#include "report/report_read.h"
#include "util/json_read.h"

static char *esc(const char *s, size_t len, render_mode mode)
{
	buf b;
	size_t n;

	buf_init(&b);
	render_escape(&b, s, len, mode);
	buf_addc(&b, '\0');
	return buf_steal(&b, &n);
}

static int check_esc(const char *in, render_mode mode, const char *want)
{
	char *got = esc(in, strlen(in), mode);
	int ok = strcmp(got, want) == 0;
	if (!ok)
		fprintf(stderr, "escape(%s) = [%s], want [%s]\n", in, got, want);
	free(got);
	return ok;
}

static void test_escape_text(void)
{
	CHECK(check_esc("bin/tabulate", RENDER_TEXT, "bin/tabulate"));
	CHECK(check_esc("a\nb\tc\rd", RENDER_TEXT, "a\\nb\\tc\\rd"));
	CHECK(check_esc("x\x1b[2Jy\x7f", RENDER_TEXT, "x\\x1b[2Jy\\x7f"));
	CHECK(check_esc("back\\slash", RENDER_TEXT, "back\\\\slash"));
	CHECK(check_esc("<&>\"'", RENDER_TEXT, "<&>\"'"));
	CHECK(check_esc("c1\xc2\x85!", RENDER_TEXT, "c1\\u0085!"));
	CHECK(check_esc("rlo\xe2\x80\xaetxt", RENDER_TEXT, "rlo\\u202etxt"));
	CHECK(check_esc("iso\xe2\x81\xa6x", RENDER_TEXT, "iso\\u2066x"));
	CHECK(check_esc("ls\xe2\x80\xa8", RENDER_TEXT, "ls\\u2028"));
	/* invisible look-alikes: zero-width space, RLM, BOM, soft hyphen */
	CHECK(check_esc("tab\xe2\x80\x8bulate", RENDER_TEXT, "tab\\u200bulate"));
	CHECK(check_esc("a\xe2\x80\x8f\xef\xbb\xbf\xc2\xad", RENDER_TEXT, "a\\u200f\\ufeff\\u00ad"));
	CHECK(check_esc("bad\xff\xfe", RENDER_TEXT, "bad\\xff\\xfe"));
	CHECK(check_esc("\xc3\x28", RENDER_TEXT, "\\xc3("));
	/* Persian with ZWNJ stays as it is */
	CHECK(check_esc("رای\xe2\x80\x8cافزار", RENDER_TEXT, "رای\xe2\x80\x8cافزار"));
	CHECK(check_esc("😀", RENDER_TEXT, "😀"));
	{
		char *s = esc("a\0b", 3, RENDER_TEXT);
		CHECK_STR(s, "a\\x00b");
		free(s);
	}
}

static void test_escape_markup(void)
{
	CHECK(check_esc("<script>alert('x')</script>", RENDER_HTML,
			"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
	CHECK(check_esc("a&b \"q\"", RENDER_HTML, "a&amp;b &quot;q&quot;"));
	CHECK(check_esc("back\\slash", RENDER_HTML, "back\\slash"));
	CHECK(check_esc("a\nb", RENDER_HTML, "a\\nb"));
	CHECK(check_esc("<a b=\"c\">&'", RENDER_XML, "&lt;a b=&quot;c&quot;&gt;&amp;&#39;"));
	/* characters XML 1.0 refuses never appear raw */
	CHECK(check_esc("\x01\x08\x0b\x0c\x1f", RENDER_XML, "\\x01\\x08\\x0b\\x0c\\x1f"));
	CHECK(check_esc("\xef\xbf\xbe\xef\xbf\xbf", RENDER_XML, "\\ufffe\\uffff"));
	CHECK(check_esc("bad\xc0\xafname", RENDER_XML, "bad\\xc0\\xafname"));
	CHECK(check_esc("مریم احمدی", RENDER_XML, "مریم احمدی"));
}

static jr_node *parse(const char *s, eia_error *err)
{
	jr_node *n = NULL;
	eia_error_clear(err);
	if (jr_parse("t.json", (const unsigned char *)s, strlen(s), &n, err) != EIA_OK)
		return NULL;
	return n;
}

static void test_json_read(void)
{
	eia_error err;
	jr_node *n;
	uint64_t v;

	n = parse("{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\\n\"]}", &err);
	CHECK(n != NULL);
	if (n != NULL) {
		const jr_node *a = jr_get(n, "a");
		CHECK(a != NULL && a->kind == JR_ARRAY && a->n == 5);
		CHECK(jr_uint(a->kids[0], &v) && v == 1);
		CHECK(!jr_uint(a->kids[1], &v));
		CHECK_STR(a->kids[4]->str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
		jr_free(n);
	}
	/* raw C1 control characters and U+FFFE are valid JSON (libyaml refuses them) */
	n = parse("{\"p\": \"a\xc2\x85\xef\xbf\xbe\"}", &err);
	CHECK(n != NULL);
	jr_free(n);
	CHECK(parse("{\"a\": 1, \"a\": 2}", &err) == NULL);
	CHECK(strstr(err.msg, "duplicate key") != NULL);
	CHECK(parse("{\"a\": \"\\ud800\"}", &err) == NULL);
	CHECK(parse("{\"a\": \"\\u0000\"}", &err) == NULL);
	CHECK(parse("{\"a\": \"\xff\"}", &err) == NULL);
	CHECK(parse("{\"a\": \"tab\there\"}", &err) == NULL);
	CHECK(parse("{\"a\": 01}", &err) == NULL);
	CHECK(parse("{\"a\": 1,}", &err) == NULL);
	CHECK(parse("{\"a\": 1} x", &err) == NULL);
	CHECK(parse("", &err) == NULL);
	CHECK(parse("{\n  \"a\": tru\n}", &err) == NULL);
	CHECK(strncmp(err.msg, "t.json:2:", 9) == 0);
	{
		char deep[400];
		memset(deep, '[', 200);
		memset(deep + 200, ']', 200);
		deep[399] = '\0';
		CHECK(parse(deep, &err) == NULL);
		CHECK(strstr(err.msg, "nesting too deep") != NULL);
	}
}

static const char minimal[] =
	"{\"eia-report\": 1, \"result\": \"drift\", \"future-key\": {\"x\": [1]},\n"
	" \"manifests\": [{\"name\": \"m<1>\", \"serial\": 3,\n"
	"   \"signatures\": [{\"key\": \"ab\", \"name\": null, \"status\": \"valid\"}],\n"
	"   \"threshold\": {\"required\": 1, \"valid\": 1}}],\n"
	" \"entries\": [{\"path\": \"a b/x\", \"status\": \"drift\", \"size\": 1,\n"
	"   \"sha256\": \"00\", \"members\": [{\"path\": \"in\", \"status\": \"ok\"}]}],\n"
	" \"findings\": [{\"kind\": \"modified\", \"severity\": \"fail\", \"path\": \"a b/x\",\n"
	"   \"member\": [\"in\"], \"region\": null, \"chunk\": 7,\n"
	"   \"expected\": {\"size\": 1}, \"actual\": {\"size\": 2}, \"message\": \"m\"},\n"
	"  {\"kind\": \"unlisted\", \"severity\": \"warn\", \"path\": \"new\\nline\", \"member\": [],\n"
	"   \"expected\": null, \"actual\": {\"type\": \"file\"}}]}\n";

static report_doc *read_doc(const char *s, eia_error *err)
{
	report_doc *r = NULL;
	eia_error_clear(err);
	if (report_read("r.json", (const unsigned char *)s, strlen(s), &r, err) != EIA_OK)
		return NULL;
	return r;
}

static char *render(const report_doc *r, const char *name)
{
	buf b;
	size_t n;

	buf_init(&b);
	render_find(name)->write(r, &b);
	buf_addc(&b, '\0');
	return buf_steal(&b, &n);
}

static void test_report_read(void)
{
	eia_error err;
	report_doc *r = read_doc(minimal, &err);

	CHECK(r != NULL);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return;
	}
	CHECK(r->result == REPORT_DRIFT);
	CHECK(r->n_manifests == 1 && r->manifests[0].n_signatures == 1);
	CHECK(r->manifests[0].signatures[0].name == NULL);
	CHECK_STR(r->manifests[0].serial, "3");
	CHECK(r->n_entries == 1 && r->entries[0].n_members == 1);
	CHECK(r->entries[0].digests.n == 1);
	CHECK(r->n_findings == 2 && r->n_fail == 1 && r->n_warn == 1);
	CHECK_STR(r->findings[0].chunk, "7");
	CHECK(r->findings[0].n_member == 1 && !r->findings[1].has_expected);
	report_doc_free(r);

	CHECK(read_doc("{\"result\": \"pass\"}", &err) == NULL);
	CHECK_STR(err.msg, "r.json: not an eia report");
	CHECK(read_doc("{\"eia-report\": 1, \"result\": \"maybe\"}", &err) == NULL);
	CHECK(read_doc("{\"eia-report\": 1, \"result\": \"pass\", \"findings\": {}}", &err) == NULL);
	CHECK(read_doc("{\"eia-report\": 1, \"result\": \"pass\", \"findings\": [{}]}", &err) == NULL);
	r = read_doc("{\"eia-report\": 1, \"result\": \"pass\"}", &err);
	CHECK(r != NULL && r->n_entries == 0);
	report_doc_free(r);
	/* --context pairs may repeat a key; nothing else may */
	r = read_doc("{\"eia-report\": 1, \"result\": \"pass\", \"context\": "
		     "{\"witness\": \"A\", \"witness\": \"B\"}, \"target\": {\"root\": \"/\"}}", &err);
	CHECK(r != NULL && r->context.n == 2);
	if (r != NULL)
		CHECK_STR(r->context.v[1].value, "B");
	report_doc_free(r);
	CHECK(read_doc("{\"eia-report\": 1, \"result\": \"pass\", \"result\": \"drift\"}", &err) == NULL);
	CHECK(read_doc("{\"eia-report\": 1, \"result\": \"pass\", \"context\": null, "
		       "\"target\": {\"root\": \"a\", \"root\": \"b\"}}", &err) == NULL);
	CHECK(read_doc("{\"eia-report\": 1, \"result\": \"pass\", \"context\": {\"a\": "
		       "{\"b\": 1, \"b\": 2}}}", &err) == NULL);
}

static void test_writers(void)
{
	eia_error err;
	report_doc *r = read_doc(minimal, &err);
	char *s;

	CHECK(render_find("text") != NULL && render_find("html") != NULL);
	CHECK(render_find("junit") != NULL && render_find("sarif") != NULL);
	CHECK(render_find("json") == NULL && render_find(NULL) == NULL);
	if (r == NULL)
		return;
	s = render(r, "text");
	CHECK(strncmp(s, "DRIFT: 2 findings (1 fail, 1 warn)\n", 35) == 0);
	CHECK(strstr(s, "FAIL modified  a b/x -> in [chunk 7]: size 1 -> 2\n") != NULL);
	CHECK(strstr(s, "WARN unlisted  new\\nline: found type file\n") != NULL);
	free(s);
	s = render(r, "html");
	CHECK(strstr(s, "<script") == NULL && strstr(s, "m&lt;1&gt;") != NULL);
	CHECK(strstr(s, "<html lang=\"en\" dir=\"ltr\">") != NULL);
	CHECK(strstr(s, "<bdi>new\\nline</bdi>") != NULL);
	free(s);
	s = render(r, "junit");
	CHECK(strstr(s, "tests=\"3\" failures=\"1\"") != NULL);
	CHECK(strstr(s, "name=\"new\\nline\"") != NULL);
	free(s);
	s = render(r, "sarif");
	CHECK(strstr(s, "\"uri\": \"a%20b/x\"") != NULL);
	CHECK(strstr(s, "\"level\": \"warning\"") != NULL);
	CHECK(strstr(s, "\"chunk\": 7") != NULL);
	free(s);
	report_doc_free(r);
}

int main(void)
{
	test_escape_text();
	test_escape_markup();
	test_json_read();
	test_report_read();
	test_writers();
	return check_done();
}
