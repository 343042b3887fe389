/* json.h - the one JSON emitter: deterministic, pretty-printed (2 spaces),
 * full escaping of U+0000-U+001F, '"' and '\\'. Keys appear in the order the
 * caller emits them; canonical order is the callers' job.
 *
 * Byte strings that are not valid UTF-8 are written with each invalid byte
 * replaced by U+FFFD; callers that need them lossless also emit a *_hex
 * field (json_hex_if_invalid). */
#ifndef EIA_JSON_H
#define EIA_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Deep enough for entry records nested through ARCHIVE_MAX_DEPTH_CAP (32)
 * archive levels (2 JSON levels each) under the report's 3. Deeper output is
 * still well formed; only the comma bookkeeping is capped. */
#define JSON_MAX_DEPTH 128

typedef struct json_w {
	buf *out;
	int depth;
	int count[JSON_MAX_DEPTH]; /* items written at each level */
} json_w;

void json_init(json_w *w, buf *out);
/* `key` is NULL inside arrays and at the top level. */
void json_obj_begin(json_w *w, const char *key);
void json_obj_end(json_w *w);
void json_arr_begin(json_w *w, const char *key);
void json_arr_end(json_w *w);
void json_str(json_w *w, const char *key, const char *s, size_t len);
void json_cstr(json_w *w, const char *key, const char *s); /* NULL -> null */
void json_u64(json_w *w, const char *key, uint64_t v);
void json_i64(json_w *w, const char *key, int64_t v);
void json_bool(json_w *w, const char *key, int v);
void json_null(json_w *w, const char *key);
/* Writes `key`: hex of s if s is not valid UTF-8; nothing otherwise. */
void json_hex_if_invalid(json_w *w, const char *key, const char *s, size_t len);
/* Finishes the document with a newline. */
void json_finish(json_w *w);

/* Appends s as a quoted, escaped JSON string (used by other emitters). */
void json_quote(buf *out, const char *s, size_t len);

#endif
