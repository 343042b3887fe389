/* manifest.h - the in-memory manifest and its strict parser and writer.
 *
 * manifest_parse is called only after the raw bytes have been trusted
 * (verify, then parse). It enforces SPEC.md's schema: unknown/duplicate
 * keys, wrong types, bad paths, missing sha256, refused md5/sha1, each an
 * EIA_EINPUT error "FILE:LINE:COL: why". manifest_write emits the one
 * canonical YAML form (sorted entries, fixed key order) so two parties
 * deriving a baseline from the same tree get byte-identical files.
 *
 * Everything inside a manifest is owned by it; manifest_free releases it. */
#ifndef EIA_MANIFEST_H
#define EIA_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "scan/digest.h"
#include "util/buf.h"
#include "util/error.h"

typedef enum {
	ENT_FILE, ENT_DIR, ENT_SYMLINK, ENT_ARCHIVE, ENT_FIRMWARE, ENT_OTHER
} entry_type;

const char *entry_type_name(entry_type t);

typedef enum { UNLISTED_FAIL, UNLISTED_WARN, UNLISTED_IGNORE } unlisted_policy;

/* Attributes that `policy.compare` may name. */
enum {
	CMP_TYPE = 1u << 0,
	CMP_SIZE = 1u << 1,
	CMP_DIGEST = 1u << 2,
	CMP_MODE = 1u << 3,
	CMP_TARGET = 1u << 4,
	CMP_UID = 1u << 5,
	CMP_GID = 1u << 6,
};
#define CMP_DEFAULT (CMP_TYPE | CMP_SIZE | CMP_DIGEST | CMP_MODE | CMP_TARGET)

/* The `policy.compare` names in canonical order, ended by {NULL, 0}. */
struct compare_name {
	const char *name;
	unsigned bit;
};
extern const struct compare_name compare_names[];

/* "fail", "warn" or "ignore". */
const char *unlisted_name(unlisted_policy u);

typedef struct region {
	char *name;
	uint64_t offset, length;
	digest_set digests;
	unsigned long line, col; /* where it was read, for error messages */
} region;

typedef struct entry {
	char *path;             /* validated, NUL-terminated */
	entry_type type;
	int dynamic;            /* class: dynamic */
	int has_size;
	uint64_t size;
	digest_set digests;     /* mask 0 when none given */
	int has_mode;
	unsigned mode;          /* permission bits incl. setuid/setgid/sticky */
	char *target;           /* symlink target, or NULL */
	int has_uid, has_gid;
	uint64_t uid, gid;
	struct entry *members;  /* archive members, sorted by path */
	size_t n_members;
	int has_members;        /* `members:` key present (even if empty) */
	region *regions;        /* firmware */
	size_t n_regions;
	uint64_t chunk_size;    /* 0 when absent */
	unsigned char (*chunks)[32]; /* sha256 per chunk */
	size_t n_chunks;
	unsigned long line, col; /* where the path was read (manifest or imported
				    list), for error messages; 0 if unknown */
} entry;

typedef struct kv {
	char *key, *value;
} kv;

typedef struct manifest {
	char *name;
	uint64_t serial;
	char *created, *expires, *description; /* NULL when absent */
	int64_t expires_at;                    /* valid when expires != NULL */
	kv *system;
	size_t n_system;
	unlisted_policy unlisted;
	char **ignore;
	size_t n_ignore;
	unsigned compare;                      /* CMP_* mask */
	entry *entries;                        /* sorted by path */
	size_t n_entries;
} manifest;

/* Largest serial accepted (fits a JSON number exactly). */
#define MANIFEST_MAX_SERIAL ((uint64_t)9007199254740991ULL)

void manifest_init(manifest *m);
eia_status manifest_parse(const char *file, const unsigned char *data, size_t len,
			  manifest *out, eia_error *err);
/* The same, calling fn(ctx, e) with each top-level entry as soon as it is
 * parsed, before the manifest as a whole is known to be valid: a caller may
 * start work on it ahead (read the file it names) but must not report or
 * decide anything on it before manifest_parse_ahead returns EIA_OK. e is
 * valid only during the call. */
typedef void (*manifest_entry_fn)(void *ctx, const entry *e);
eia_status manifest_parse_ahead(const char *file, const unsigned char *data, size_t len,
				manifest_entry_fn fn, void *ctx, manifest *out, eia_error *err);
/* Appends the canonical YAML form of m to out. */
void manifest_write(const manifest *m, buf *out);
/* Appends s as a double-quoted YAML string with every escape needed for any
 * valid UTF-8 string to read back unchanged. */
void manifest_quote(buf *out, const char *s);
/* Copies s into out (size bytes) for a one-line message: backslash, control
 * characters, Unicode line breaks and invalid bytes are escaped (as \n, \t,
 * \xNN, \uNNNN), and the text is cut with "..." if too long. Returns out. */
const char *manifest_show(const char *s, char *out, size_t size);
/* The same escaping, appended to out without a length limit (diff output). */
void manifest_show_append(buf *out, const char *s);
void manifest_free(manifest *m);
void entry_free(entry *e);

/* Limits of the schema: member nesting and uid/gid range. */
#define MANIFEST_MAX_MEMBER_DEPTH 16
#define MANIFEST_MAX_ID ((uint64_t)4294967295ULL)

/* Sorts v by path (path_cmp). Returns NULL, or the later (by line) of the
 * first two entries found with the same path. Used by the parser and by
 * importers. */
const entry *entry_sort(entry *v, size_t n);

/* Binary search by path in a sorted entry array; NULL if absent. */
const entry *entry_find(const entry *v, size_t n, const char *path);

#endif
