/* test_regress_json_depth.c - found while writing fuzz_archive_proto: the
 * report of an archive nested as deep as a manifest allows (members 16 levels
 * down, MANIFEST_MAX_MEMBER_DEPTH) nests entry records 3 + 2 * 16 JSON levels
 * deep, past the emitter's old JSON_MAX_DEPTH of 32, and json.c's item()
 * indexed w->count[] out of bounds (UBSan: "index 33 out of bounds for type
 * 'int[32]'" at json.c:71, a stack overrun in report_json_write). Reachable
 * with `audit --max-depth 16` or more on such an archive whose innermost
 * member differs. The report must be written and must read back whole. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/manifest.h"
#include "report/findings.h"
#include "report/report_read.h"
#include "scan/archive.h"
#include "util/buf.h"

#define LEVELS MANIFEST_MAX_MEMBER_DEPTH

/* A manifest with one archive holding an archive ... LEVELS deep, the last
 * holding file "f". Every expected digest is zeros. */
static char *deep_manifest(void)
{
	buf b;

	buf_init(&b);
	buf_adds(&b, "eia-manifest: 1\nname: deep\nserial: 1\nentries:\n");
	buf_adds(&b, "  - path: a.tar\n    type: archive\n    sha256: ");
	for (int i = 0; i < 64; i++)
		buf_addc(&b, '0');
	buf_adds(&b, "\n    members:\n");
	for (int d = 1; d <= LEVELS; d++) {
		int ind = 4 + 4 * d;
		const char *name = d < LEVELS ? "n.tar" : "f";
		buf_printf(&b, "%*s- path: %s\n%*s  type: %s\n%*s  sha256: ", ind - 2, "", name,
			   ind - 2, "", d < LEVELS ? "archive" : "file", ind - 2, "");
		for (int i = 0; i < 64; i++)
			buf_addc(&b, '0');
		buf_addc(&b, '\n');
		if (d < LEVELS)
			buf_printf(&b, "%*s  members:\n", ind - 2, "");
	}
	return buf_steal(&b, NULL);
}

/* The listing the box would send: the same chain, every digest 0x11... */
static member *deep_members(int level)
{
	member *m = calloc(1, sizeof(*m));

	m->path = strdup(level < LEVELS ? "n.tar" : "f");
	m->path_len = strlen(m->path);
	m->type = level < LEVELS ? ENT_ARCHIVE : ENT_FILE;
	m->size = 1;
	m->digests.mask = DG_MASK(DG_SHA256);
	memset(m->digests.v[DG_SHA256], 0x11, 32);
	if (level < LEVELS) {
		m->members = deep_members(level + 1);
		m->n_members = 1;
	}
	return m;
}

static size_t record_depth(const report_entry *e)
{
	return e->n_members ? 1 + record_depth(&e->members[0]) : 0;
}

int main(void)
{
	char *yaml = deep_manifest();
	manifest m;
	eia_error err;
	report r;
	buf json;
	report_doc *doc = NULL;

	eia_error_clear(&err);
	CHECK(manifest_parse("deep.yaml", (const unsigned char *)yaml, strlen(yaml), &m, &err) ==
	      EIA_OK);
	if (err.msg[0])
		fprintf(stderr, "%s\n", err.msg);
	if (m.n_entries != 1)
		return check_done();

	member_list got = {deep_members(1), 1, 0, NULL};
	member_scope scope = {m.entries[0].path, NULL, 0, CMP_DEFAULT, 32};
	memset(&r, 0, sizeof(r));
	r.result = "drift";
	r.root = strdup("/media");
	r.records = calloc(1, sizeof(record));
	r.n_records = 1;
	r.records[0].path = strdup(m.entries[0].path);
	r.records[0].path_len = strlen(m.entries[0].path);
	r.records[0].type = "archive";
	r.records[0].status = "drift";
	archive_compare(&scope, &m.entries[0], &got, &r.found, &r.records[0]);
	CHECK(r.found.n == LEVELS); /* one `modified` per level */

	buf_init(&json);
	report_json_write(&r, &json);
	CHECK(report_read("deep.json", json.data, json.len, &doc, &err) == EIA_OK);
	if (doc != NULL) {
		CHECK(doc->n_entries == 1);
		CHECK(doc->n_entries == 1 && record_depth(&doc->entries[0]) == LEVELS);
		CHECK(doc->n_findings == LEVELS);
	} else {
		fprintf(stderr, "%s\n", err.msg);
	}
	report_doc_free(doc);
	buf_free(&json);
	report_free(&r);
	member_list_free(&got);
	manifest_free(&m);
	free(yaml);
	return check_done();
}
