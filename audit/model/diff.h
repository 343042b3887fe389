/* diff.h - what a NEW manifest adds, removes and changes against an OLD one.
 *
 * manifest_diff compares two parsed manifests (no trust involved: this is a
 * review tool) and fills a diff_result whose changes are in path order:
 * each entry's own change first, then its regions, then its members
 * (recursively, with the chain of member paths). Values are rendered once
 * here (hex digests, octal modes) so text and JSON writers only print.
 *
 * Everything in a diff_result is owned by it; diff_free releases it. */
#ifndef EIA_DIFF_H
#define EIA_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "model/manifest.h"

typedef enum {
	DV_NONE,
	DV_STR,
	DV_NUM,
	DV_LIST
} diff_value_kind;

typedef struct diff_value {
	diff_value_kind kind; /* DV_NONE: the attribute is absent */
	char *str;
	uint64_t num;
	char **list;
	size_t n_list;
} diff_value;

typedef struct diff_field {
	char *name; /* "sha256", "size", "chunk[3]", "system.vendor" ... */
	diff_value old, new_;
} diff_field;

typedef enum {
	DIFF_ADDED,
	DIFF_REMOVED,
	DIFF_CHANGED
} diff_kind;

typedef struct diff_change {
	diff_kind kind;
	char *path; /* top-level entry path */
	char **member; /* chain of member paths through nested archives */
	size_t n_member;
	char *region; /* firmware region name, or NULL */
	diff_field *fields; /* for DIFF_CHANGED */
	size_t n_fields;
} diff_change;

typedef struct diff_result {
	diff_field *header; /* name, serial, created, expires, description, system.* */
	size_t n_header;
	diff_field *policy; /* unlisted, ignore, compare */
	size_t n_policy;
	diff_change *changes;
	size_t n_changes;
} diff_result;

/* a is OLD, b is NEW; d is overwritten. */
void manifest_diff(const manifest *a, const manifest *b, diff_result *d);
/* 1 when the manifests are equivalent. */
int diff_empty(const diff_result *d);
void diff_free(diff_result *d);
const char *diff_kind_name(diff_kind k);

#endif
