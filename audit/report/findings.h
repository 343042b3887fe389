/* findings.h - the one report model: per-entry evidence records, findings,
 * and the audit's identity, filled by the audit and written by report_json.
 *
 * Every string is owned by the model; report_free releases everything.
 * Findings are sorted by location (path, member chain, region, chunk, kind)
 * before writing so that two audits of the same bytes give the same report. */
#ifndef EIA_FINDINGS_H
#define EIA_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "model/manifest.h"
#include "model/trust.h"
#include "scan/digest.h"

typedef enum {
	FK_MISSING, FK_UNLISTED, FK_MODIFIED, FK_TYPE_CHANGED, FK_MODE_CHANGED,
	FK_TARGET_CHANGED, FK_OWNER_CHANGED, FK_MEMBER_MISSING, FK_MEMBER_UNLISTED,
	FK_UNREADABLE, FK_MALFORMED, FK_LIMIT_EXCEEDED, FK_COUNT
} finding_kind;

const char *finding_kind_name(finding_kind k);

typedef enum { SEV_FAIL, SEV_WARN } severity;

/* Attribute bits of an attrs value. */
enum {
	A_TYPE = 1u << 0, A_SIZE = 1u << 1, A_DIGESTS = 1u << 2, A_MODE = 1u << 3,
	A_TARGET = 1u << 4, A_UID = 1u << 5, A_GID = 1u << 6,
};

typedef struct attrs {
	unsigned mask;
	const char *type;    /* static string: "file", "fifo"... */
	uint64_t size;
	digest_set digests;
	unsigned mode;
	char *target;
	uint64_t uid, gid;
} attrs;

typedef struct finding {
	finding_kind kind;
	severity sev;
	char *path;          /* top-level path (bytes, maybe non-UTF-8) */
	size_t path_len;
	char **member;       /* chain through nested archives */
	size_t n_member;
	char *region;        /* firmware region name or NULL */
	int64_t chunk;       /* chunk index or -1 */
	int has_expected, has_actual;
	attrs expected, actual;
	char *message;
} finding;

typedef struct region_rec {
	char *name;
	uint64_t offset, length;
	int ok;
	digest_set digests;
} region_rec;

typedef struct chunk_rec {
	int ok;
	unsigned char sha256[32];
} chunk_rec;

/* Evidence for one entry (or member): what was actually read. */
typedef struct record {
	char *path;
	size_t path_len;
	const char *type;
	const char *status;  /* "ok", "drift", "warn", "missing" */
	int has_size;
	uint64_t size;
	digest_set digests;
	int has_mode;
	unsigned mode;
	char *target;
	const char *class_;  /* "dynamic" or NULL */
	struct record *members;
	size_t n_members;
	region_rec *regions;
	size_t n_regions;
	chunk_rec *chunks;
	size_t n_chunks;
} record;

typedef struct findings {
	finding *v;
	size_t n, cap;
} findings;

/* Appends a finding and returns it for the caller to fill attrs.
 * path is copied; chain (n_chain strings) is copied; message copied. */
finding *finding_add(findings *f, finding_kind kind, severity sev, const char *path,
		     size_t path_len, char *const *chain, size_t n_chain,
		     const char *message);
void findings_sort(findings *f);
void findings_free(findings *f);
void record_free(record *r);
void attrs_free(attrs *a);

/* Fills attrs from a manifest entry (only attributes present in it). */
void attrs_from_entry(attrs *a, const entry *e);

typedef struct manifest_info {
	char *file;
	char *name;
	uint64_t serial;
	unsigned char sha256[32];
	char *expires;
	kv *system;          /* borrowed from the manifest or copied; see report_free */
	size_t n_system;
	trust_verdict verdict;
	int trusted;
	int parsed;
	const char *rollback; /* "enforced" | "not-enforced" */
} manifest_info;

typedef struct report {
	int64_t started, finished;
	const char *result;  /* "pass", "drift", "untrusted", "error" */
	char *reason;        /* why, for "untrusted" and "error"; else NULL */
	manifest_info *manifests;
	size_t n_manifests;
	kv *context;
	size_t n_context;
	char *root;
	uint64_t files, bytes;
	record *records;     /* one per top-level manifest entry, sorted by path */
	size_t n_records;
	findings found;
} report;

void report_free(report *r);
/* Canonical JSON. */
void report_json_write(const report *r, buf *out);

#endif
