/* render_junit.c - JUnit XML for CI dashboards (Jenkins, GitLab): one
 * testcase per top-level entry, one per path with findings but no entry
 * (unlisted files), one "trust" testcase that fails when the baseline is
 * untrusted. Each fail finding is a <failure> with expected versus actual in
 * its body; warn findings go to <system-out>. Every string is escaped for
 * XML 1.0, so the document stays well-formed whatever the names hold. */
#include <stdlib.h>
#include <string.h>

#include "report/render.h"

#define X RENDER_XML

typedef struct junit_state {
	const report_doc *r;
	buf classname; /* already escaped */
	buf cases;
	size_t tests, failures, errors;
} junit_state;

static void pairs_line(buf *out, const char *label, int has, const report_pairs *p)
{
	buf_adds(out, label);
	if (!has || p->n == 0)
		buf_adds(out, " none");
	for (size_t i = 0; has && i < p->n; i++) {
		buf_adds(out, i == 0 ? " " : ", ");
		render_str(out, p->v[i].key, "", X);
		buf_addc(out, ' ');
		render_str(out, p->v[i].value, "none", X);
	}
	buf_addc(out, '\n');
}

static void failure_message(buf *out, const report_finding *f)
{
	render_str(out, f->kind, "?", X);
	buf_adds(out, ": ");
	render_location(out, f, X);
	render_region_chunk(out, f, X);
	buf_adds(out, ": ");
	render_str(out, f->message, render_kind_text(f->kind), X);
}

static void write_failure(buf *out, const report_finding *f)
{
	buf_adds(out, "      <failure message=\"");
	failure_message(out, f);
	buf_adds(out, "\" type=\"");
	render_str(out, f->kind, "finding", X);
	buf_adds(out, "\">");
	failure_message(out, f);
	buf_addc(out, '\n');
	pairs_line(out, "expected:", f->has_expected, &f->expected);
	pairs_line(out, "actual:  ", f->has_actual, &f->actual);
	buf_adds(out, "</failure>\n");
}

static void testcase_open(junit_state *js, const char *path, const char *path_hex)
{
	buf_adds(&js->cases, "    <testcase classname=\"");
	buf_add(&js->cases, js->classname.data, js->classname.len);
	buf_adds(&js->cases, "\" name=\"");
	render_path(&js->cases, path, path_hex, X);
	buf_adds(&js->cases, "\"");
}

/* One testcase for `path` holding the findings ix[first .. first+count). */
static void path_testcase(junit_state *js, const char *path, const char *path_hex,
			  const render_index *ix, size_t first, size_t count)
{
	const report_doc *r = js->r;
	size_t warns = 0, fails = 0;

	testcase_open(js, path, path_hex);
	js->tests++;
	if (count == 0) {
		buf_adds(&js->cases, "/>\n");
		return;
	}
	buf_adds(&js->cases, ">\n");
	for (size_t i = first; i < first + count; i++) {
		const report_finding *f = &r->findings[ix[i].finding];
		if (render_is_warn(f)) {
			warns++;
			continue;
		}
		fails++;
		write_failure(&js->cases, f);
	}
	if (warns > 0) {
		buf_adds(&js->cases, "      <system-out>");
		for (size_t i = first; i < first + count; i++) {
			const report_finding *f = &r->findings[ix[i].finding];
			if (!render_is_warn(f))
				continue;
			buf_adds(&js->cases, "WARN ");
			failure_message(&js->cases, f);
			buf_addc(&js->cases, '\n');
			pairs_line(&js->cases, "expected:", f->has_expected, &f->expected);
			pairs_line(&js->cases, "actual:  ", f->has_actual, &f->actual);
		}
		buf_adds(&js->cases, "</system-out>\n");
	}
	js->failures += fails > 0;
	buf_adds(&js->cases, "    </testcase>\n");
}

static void trust_details(buf *out, const report_doc *r)
{
	for (size_t i = 0; i < r->n_manifests; i++) {
		const report_manifest *m = &r->manifests[i];
		buf_adds(out, "baseline ");
		render_str(out, render_manifest_label(m), NULL, X);
		buf_adds(out, " serial ");
		render_str(out, m->serial, "?", X);
		buf_adds(out, " sha256 ");
		render_str(out, m->sha256, "?", X);
		buf_adds(out, ": ");
		render_str(out, m->threshold_valid, "?", X);
		buf_adds(out, " valid signatures of ");
		render_str(out, m->threshold_required, "?", X);
		buf_adds(out, " required; rollback protection ");
		render_str(out, m->rollback, "unknown", X);
		buf_addc(out, '\n');
		for (size_t j = 0; j < m->n_signatures; j++) {
			const report_signature *s = &m->signatures[j];
			buf_adds(out, "  signature by ");
			render_str(out, s->name, "(unknown signer)", X);
			buf_adds(out, " key ");
			render_str(out, s->key, "?", X);
			buf_adds(out, ": ");
			render_str(out, s->status, "?", X);
			buf_addc(out, '\n');
		}
	}
}

static void trust_testcase(junit_state *js)
{
	const report_doc *r = js->r;
	buf *out = &js->cases;

	testcase_open(js, "trust", NULL);
	buf_adds(out, ">\n");
	js->tests++;
	if (r->result == REPORT_UNTRUSTED) {
		js->failures++;
		buf_adds(out, "      <failure message=\"the baseline is not trusted; no files "
			      "were compared\" type=\"untrusted\">");
	} else {
		buf_adds(out, "      <system-out>");
	}
	if (r->reason != NULL) {
		render_str(out, r->reason, "", X);
		buf_addc(out, '\n');
	}
	trust_details(out, r);
	buf_adds(out, r->result == REPORT_UNTRUSTED ? "</failure>\n" : "</system-out>\n");
	buf_adds(out, "    </testcase>\n");
	if (r->result != REPORT_ERROR)
		return;
	testcase_open(js, "audit", NULL);
	js->tests++;
	js->errors++;
	buf_adds(out, ">\n      <error message=\"the audit could not complete\" type=\"error\">");
	render_str(out, r->reason, "", X);
	buf_adds(out, "</error>\n    </testcase>\n");
}

static void all_testcases(junit_state *js)
{
	const report_doc *r = js->r;
	render_index *ix = render_index_findings(r);
	unsigned char *claimed = xcalloc(r->n_findings + 1, 1);
	size_t first, count;

	trust_testcase(js);
	for (size_t i = 0; i < r->n_entries; i++) {
		const report_entry *e = &r->entries[i];
		count = render_index_find(ix, r->n_findings, e->path, e->path_hex, &first);
		if (count > 0)
			memset(claimed + first, 1, count);
		path_testcase(js, e->path, e->path_hex, ix, first, count);
	}
	for (size_t i = 0; i < r->n_findings; i += count) {
		count = render_index_find(ix, r->n_findings, ix[i].path, ix[i].path_hex, &first);
		if (count == 0)
			count = 1;
		if (!claimed[i])
			path_testcase(js, ix[i].path, ix[i].path_hex, ix, i, count);
	}
	free(claimed);
	free(ix);
}

static void suite_properties(buf *out, const report_doc *r)
{
	buf_adds(out, "    <properties>\n      <property name=\"eia.result\" value=\"");
	buf_adds(out, r->result_name);
	buf_adds(out, "\"/>\n");
	for (size_t i = 0; i < r->n_manifests; i++) {
		buf_printf(out, "      <property name=\"eia.manifest.%zu\" value=\"", i + 1);
		render_str(out, r->manifests[i].name, "(unnamed)", X);
		buf_adds(out, " serial ");
		render_str(out, r->manifests[i].serial, "?", X);
		buf_adds(out, " sha256 ");
		render_str(out, r->manifests[i].sha256, "?", X);
		buf_adds(out, "\"/>\n");
	}
	for (size_t i = 0; i < r->context.n; i++) {
		buf_adds(out, "      <property name=\"context.");
		render_str(out, r->context.v[i].key, "", X);
		buf_adds(out, "\" value=\"");
		render_str(out, r->context.v[i].value, "", X);
		buf_adds(out, "\"/>\n");
	}
	buf_adds(out, "    </properties>\n");
}

static void manifest_names(buf *out, const report_doc *r, const char *sep)
{
	for (size_t i = 0; i < r->n_manifests; i++) {
		if (i > 0)
			buf_adds(out, sep);
		render_str(out, r->manifests[i].name, "unnamed", X);
	}
	if (r->n_manifests == 0)
		buf_adds(out, "audit");
}

static void write_junit(const report_doc *r, buf *out)
{
	junit_state js = {.r = r};

	buf_init(&js.classname);
	buf_init(&js.cases);
	buf_adds(&js.classname, "eia.");
	manifest_names(&js.classname, r, "+");
	all_testcases(&js);
	buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites name=\"eia\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n"
		   "  <testsuite name=\"eia audit: ", js.tests, js.failures, js.errors);
	manifest_names(out, r, ", ");
	buf_printf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\">\n",
		   js.tests, js.failures, js.errors);
	suite_properties(out, r);
	buf_add(out, js.cases.data, js.cases.len);
	buf_adds(out, "  </testsuite>\n</testsuites>\n");
	buf_free(&js.classname);
	buf_free(&js.cases);
}

const report_writer render_junit_writer = {
	.name = "junit",
	.write = write_junit,
};
