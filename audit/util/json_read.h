/* json_read.h - a small strict JSON (RFC 8259) reader into a node tree.
 *
 * Used for eia's own reports: libyaml refuses some valid JSON (raw C1
 * control characters, U+FFFE, surrogate-pair escapes), so reports are not
 * read through the YAML reader. Strict: one value, no trailing garbage, no
 * comments, no duplicate object keys, valid UTF-8 only, strings without NUL,
 * nesting at most JR_MAX_DEPTH. Every node keeps its 1-based line/column.
 *
 * The tree is owned by the caller and released with jr_free. Strings are
 * NUL-terminated UTF-8; numbers keep their source text in `str`. */
#ifndef EIA_JSON_READ_H
#define EIA_JSON_READ_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Every value costs a node (~100 bytes): 4M values bound memory to about
 * 400 MB, enough for reports of several hundred thousand entries. */
#define JR_MAX_VALUES 4000000
#define JR_MAX_DEPTH 128 /* = JSON_MAX_DEPTH of the emitter */

typedef enum { JR_NULL, JR_BOOL, JR_NUMBER, JR_STRING, JR_ARRAY, JR_OBJECT } jr_kind;

typedef struct jr_node {
	jr_kind kind;
	unsigned long line, col;  /* 1-based */
	char *str;                /* string value, number text, "true"/"false" */
	size_t len;               /* bytes in str */
	struct jr_node **kids;    /* array: items; object: key0, value0, key1... */
	size_t n;                 /* number of kids (2 x pairs for an object) */
} jr_node;

/* Parses data (len bytes); `file` names the input in error messages. */
eia_status jr_parse(const char *file, const unsigned char *data, size_t len,
		    jr_node **out, eia_error *err);
/* Same, except that the object under top-level member `repeatable` may
 * repeat keys (a report's "context" keeps --context pairs exactly as
 * given, so "witness" may appear twice). Every other object stays strict. */
eia_status jr_parse_ex(const char *file, const unsigned char *data, size_t len,
		       const char *repeatable, jr_node **out, eia_error *err);
void jr_free(jr_node *n);

/* Object member `key`, or NULL (also when obj is not an object). */
const jr_node *jr_get(const jr_node *obj, const char *key);
/* 1 and *out set if n is a plain non-negative integer that fits. */
int jr_uint(const jr_node *n, uint64_t *out);
/* "array", "object", ... for messages. */
const char *jr_kind_name(jr_kind k);

#endif
