/* fuzz_archive_proto.c - libFuzzer target for proto_decode (scan/archive_proto.h):
 * the parent's reader of the record stream that the archive box writes.
 *
 * The box runs libarchive on hostile input, so the parent must assume the
 * box itself may be subverted: any byte stream it sends must decode safely.
 * The decoded list then goes where the audit sends it (audit.c
 * archive_members): archive_compare against an expected archive entry, the
 * canonical JSON report, and report_read of that JSON, which must succeed.
 * A broken promise aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/manifest.h"
#include "report/findings.h"
#include "report/report_read.h"
#include "scan/archive.h"
#include "scan/archive_proto.h"
#include "util/buf.h"
#include "util/error.h"

#define FUZZ_MAX_INPUT ((size_t)1 << 20)
#define H64(c)                                                                                    \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		c c c c c c c c c c c c c c c c c c c

/* The expected side: an archive with a file, a directory, a symlink and a
 * nested archive that holds a file and a nested archive again; every digest
 * is one that no member will have, so every content comparison descends.
 * LLVMFuzzerInitialize adds "deep.tar": archives nested as deep as a manifest
 * allows (MANIFEST_MAX_MEMBER_DEPTH), "n.tar" in "n.tar"... down to file "f". */
static const char expected_yaml[] =
	"eia-manifest: 1\n"
	"name: fuzz\n"
	"serial: 1\n"
	"entries:\n"
	"  - path: pkg.tar.gz\n"
	"    type: archive\n"
	"    sha256: " H64("0") "\n"
	"    members:\n"
	"      - {path: usr/bin/x, type: file, size: 3, sha256: " H64("a") ", mode: \"0755\"}\n"
	"      - {path: usr, type: dir, mode: \"0755\"}\n"
	"      - {path: usr/lib/l.so, type: symlink, target: l.so.1}\n"
	"      - path: inner.zip\n"
	"        type: archive\n"
	"        sha256: " H64("b") "\n"
	"        members:\n"
	"          - {path: a, type: file, sha256: " H64("c") "}\n"
	"          - path: deeper.tar\n"
	"            type: archive\n"
	"            sha256: " H64("d") "\n"
	"            members: [{path: b, type: file, size: 1, sha256: " H64("e") "}]\n";

static manifest expected;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const char *detail)
{
	fprintf(stderr, "fuzz_archive_proto: %s\n%s\n", why, detail ? detail : "");
	abort();
}

static void add_deep_entry(buf *b)
{
	buf_adds(b, "  - path: deep.tar\n    type: archive\n    sha256: " H64("0") "\n"
		    "    members:\n");
	for (int level = 1; level <= MANIFEST_MAX_MEMBER_DEPTH; level++) {
		int ind = 2 + 4 * level;
		int last = level == MANIFEST_MAX_MEMBER_DEPTH;
		buf_printf(b, "%*s- path: %s\n%*s  type: %s\n%*s  sha256: " H64("0") "\n", ind, "",
			   last ? "f" : "n.tar", ind, "", last ? "file" : "archive", ind, "");
		if (!last)
			buf_printf(b, "%*s  members:\n", ind, "");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	eia_error err;
	buf yaml;

	(void)argc;
	(void)argv;
	buf_init(&yaml);
	buf_adds(&yaml, expected_yaml);
	add_deep_entry(&yaml);
	eia_error_clear(&err);
	if (manifest_parse("expected.yaml", yaml.data, yaml.len, &expected, &err) != EIA_OK)
		fail("the expected manifest does not parse", err.msg);
	buf_free(&yaml);
	return 0;
}

/* What judge_exit (archive.c) does with a stream that does not decode. */
static void mark_undecodable(member_list *got)
{
	got->status = FK_MALFORMED;
	free(got->message);
	got->message = xstrdup("archive reader ended without a complete listing");
}

/* The report an audit of this one entry would write, read back. */
static void check_report(const entry *e, member_list *got)
{
	report r;
	buf json;
	report_doc *doc = NULL;
	eia_error err;
	member_scope scope = {e->path, NULL, 0, CMP_DEFAULT | CMP_UID | CMP_GID,
			      ARCHIVE_MAX_DEPTH_CAP};

	memset(&r, 0, sizeof(r));
	r.result = "drift";
	r.root = xstrdup("/fuzz");
	r.records = xcalloc(1, sizeof(record));
	r.n_records = 1;
	r.records[0].path = xstrdup(e->path);
	r.records[0].path_len = strlen(e->path);
	r.records[0].type = entry_type_name(e->type);
	r.records[0].status = "drift";
	archive_compare(&scope, e, got, &r.found, &r.records[0]);
	findings_sort(&r.found);
	buf_init(&json);
	report_json_write(&r, &json);
	eia_error_clear(&err);
	if (report_read("report.json", json.data, json.len, &doc, &err) != EIA_OK) {
		fprintf(stderr, "%s\n", (const char *)json.data);
		fail("the report written for this listing does not read back", err.msg);
	}
	if (doc->n_entries != 1 || doc->n_findings != r.found.n)
		fail("the report read back has other entries or findings", NULL);
	report_doc_free(doc);
	buf_free(&json);
	report_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	member_list got;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (proto_decode(data, size, &got) != 0)
		mark_undecodable(&got);
	for (size_t i = 0; i < expected.n_entries; i++)
		check_report(&expected.entries[i], &got);
	member_list_free(&got);
	return 0;
}
