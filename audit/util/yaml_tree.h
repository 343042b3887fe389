/* yaml_tree.h - strict YAML reader on libyaml's event API.
 *
 * Parses one whole buffer into a small node tree and refuses what a
 * security-relevant configuration must never contain: aliases, anchors,
 * explicit tags, multi-document streams, duplicate or non-scalar mapping
 * keys, nesting deeper than YT_MAX_DEPTH. Every node keeps its 1-based
 * line and column so schema errors can say "FILE:LINE:COL: why".
 *
 * The tree is owned by the caller and released with yt_free. */
#ifndef EIA_YAML_TREE_H
#define EIA_YAML_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define YT_MAX_DEPTH 64

typedef enum { YT_SCALAR, YT_MAP, YT_SEQ } yt_kind;

typedef struct yt_node {
	yt_kind kind;
	unsigned long line, col;   /* 1-based */
	char *str;                 /* scalar text, NUL-terminated */
	size_t len;                /* scalar length in bytes */
	int plain;                 /* scalar was written without quotes */
	struct yt_node **kids;     /* map: key0, value0, key1, value1...; seq: items */
	size_t n;                  /* number of kids (2 x pairs for a map) */
	size_t cap;                /* room in kids */
	size_t streamed;           /* items handed to a yt_stream (kids stays empty) */
} yt_node;

/* Parses buf (len bytes). `file` names the input in error messages. */
eia_status yt_parse(const char *file, const unsigned char *data, size_t len,
		    yt_node **out, eia_error *err);

/* A long list read one item at a time, so memory holds one item's tree, not
 * the whole list's: each item of the sequence that is the value of root key
 * `key` is handed to fn as soon as it is complete (its own keys already
 * checked), then freed. That sequence stays in the tree with no kids and
 * `streamed` items. The first error fn returns is kept in st/err and no
 * further item is handed over; yt_parse_stream itself fails only for bad
 * YAML, so a caller checks the rest of the tree first and then reports the
 * item error: errors come in the same order as from a whole-tree parse. */
typedef eia_status (*yt_item_fn)(void *ctx, const yt_node *item, eia_error *err);
typedef struct yt_stream {
	const char *key;
	yt_item_fn fn;
	void *ctx;
	eia_status st;             /* out: first error from fn, or EIA_OK */
	eia_error err;
} yt_stream;
eia_status yt_parse_stream(const char *file, const unsigned char *data, size_t len,
			   yt_stream *s, yt_node **out, eia_error *err);
void yt_free(yt_node *n);

/* Formats "FILE:LINE:COL: message" into err and returns EIA_EINPUT. */
eia_status yt_err(eia_error *err, const char *file, const yt_node *n,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Mapping value for `key`, or NULL. */
const yt_node *yt_get(const yt_node *map, const char *key);
/* Errors on any key of `map` not in the NULL-terminated `allowed` list. */
eia_status yt_check_keys(const char *file, const yt_node *map,
			 const char *const *allowed, eia_error *err);
/* Errors unless n has `kind`; `what` names the field ("entries"). */
eia_status yt_want(const char *file, const yt_node *n, yt_kind kind,
		   const char *what, eia_error *err);
/* A required key: errors if absent from map (reported at the map). */
eia_status yt_require(const char *file, const yt_node *map, const char *key,
		      const yt_node **out, eia_error *err);
/* Plain decimal integer in [0, max]; no sign, no leading zeros but "0". */
eia_status yt_uint(const char *file, const yt_node *n, const char *what,
		   uint64_t max, uint64_t *out, eia_error *err);
/* Scalar string (any style, no NUL bytes). Returns a pointer into the tree. */
eia_status yt_str(const char *file, const yt_node *n, const char *what,
		  const char **out, eia_error *err);

#endif
