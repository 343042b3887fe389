/* report_read.h - a finished REPORT.json read back into a read-only model,
 * for `eia render`, `eia verify` and the audit's own summaries.
 *
 * Reading is tolerant where the report may grow: unknown keys are ignored
 * and optional keys may be absent. It is strict where a wrong answer could
 * follow: the input must be valid JSON with "eia-report": 1 and a known
 * "result", and known keys must have the expected JSON types. Duplicate
 * keys are refused everywhere but in "context", whose --context pairs are
 * kept exactly as given (a key such as "witness" may repeat).
 *
 * Every scalar is kept as text: strings as read, numbers as written in the
 * file, booleans as "true"/"false"; NULL means absent or JSON null. All
 * strings are valid UTF-8 without NUL bytes. The whole model, strings
 * included, is owned by the report_doc and released by report_doc_free. */
#ifndef EIA_REPORT_READ_H
#define EIA_REPORT_READ_H

#include <stddef.h>

#include "util/error.h"

typedef enum {
	REPORT_PASS,
	REPORT_DRIFT,
	REPORT_UNTRUSTED,
	REPORT_ERROR
} report_result;

/* One key and its value as text (value NULL for JSON null). */
typedef struct report_pair {
	const char *key;
	const char *value;
	int number; /* the value was a JSON number */
} report_pair;

typedef struct report_pairs {
	report_pair *v;
	size_t n;
} report_pairs;

typedef struct report_signature {
	const char *key, *name, *status;
} report_signature;

typedef struct report_manifest {
	const char *file, *name, *serial, *sha256, *expires, *rollback;
	report_pairs system;
	report_signature *signatures;
	size_t n_signatures;
	const char *threshold_required, *threshold_valid;
} report_manifest;

/* Firmware region or chunk record ("chunk" records have index, no name). */
typedef struct report_part {
	const char *name, *index, *offset, *length, *status;
	report_pairs digests;
} report_part;

typedef struct report_entry {
	const char *path, *path_hex, *type, *status, *size, *mode, *target;
	report_pairs digests; /* sha256, sha512, ... in file order */
	struct report_entry *members;
	size_t n_members;
	report_part *regions;
	size_t n_regions;
	report_part *chunks;
	size_t n_chunks;
} report_entry;

typedef struct report_finding {
	const char *kind, *severity, *path, *path_hex, *region, *chunk, *message;
	const char **member; /* chain through nested archives */
	size_t n_member;
	int has_expected, has_actual;
	report_pairs expected, actual; /* type, size, sha256, mode, target... */
} report_finding;

typedef struct report_doc {
	report_result result;
	const char *result_name; /* "pass", "drift", "untrusted", "error" */
	const char *tool_name, *tool_version, *started, *finished;
	const char *reason; /* optional top-level "reason"/"error" text */
	report_manifest *manifests;
	size_t n_manifests;
	report_pairs context; /* --context pairs in command-line order */
	const char *target_root, *target_files, *target_bytes;
	const char *sum_entries, *sum_ok, *sum_findings, *sum_fail, *sum_warn;
	report_entry *entries;
	size_t n_entries;
	report_finding *findings;
	size_t n_findings;
	size_t n_fail, n_warn; /* counted from findings */
	void *tree;            /* private: the parsed JSON that owns the strings */
} report_doc;

/* Parses a report (len bytes of data). `file` names it in messages; a JSON
 * document without "eia-report": 1 fails with "FILE: not an eia report". */
eia_status report_read(const char *file, const unsigned char *data, size_t len,
		       report_doc **out, eia_error *err);
void report_doc_free(report_doc *r);

#endif
