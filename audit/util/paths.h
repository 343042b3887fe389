/* paths.h - manifest path rules, UTF-8 checks, and glob matching. */
#ifndef EIA_PATHS_H
#define EIA_PATHS_H

#include <stddef.h>

/* Returns NULL if `p` (len bytes) is a valid manifest path: relative,
 * '/'-separated, no empty, "." or ".." components, no NUL, valid UTF-8.
 * Otherwise a static string saying why. */
const char *path_invalid(const char *p, size_t len);

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t len);

/* Glob match over '/'-separated paths: '*' and '?' stay inside one
 * component, '**' spans components, "[...]" classes; "dir/ **" (without the
 * space) also matches "dir" itself. Returns 1 on match. */
int glob_match(const char *pat, const char *s);

/* Byte-wise comparison used to order paths everywhere (reports, manifests). */
int path_cmp(const char *a, const char *b);

#endif
