/* import.h - manifests from other tools' listings: `sha256sum` output and
 * BSD mtree specifications (as written by `bsdtar --format=mtree` or
 * `mtree -c`). The importers fill m->entries only (sorted by path, with the
 * parent directories of every listed path added as plain `dir` entries so
 * that an `unlisted: fail` policy does not flag them); the caller sets
 * name, serial and policy. Errors are EIA_EINPUT "FILE:LINE: why".
 *
 * The entries are owned by m (manifest_free). */
#ifndef EIA_IMPORT_H
#define EIA_IMPORT_H

#include <stddef.h>

#include "model/manifest.h"

/* Longest path an importer accepts, in bytes. */
#define IMPORT_MAX_PATH 4096

eia_status import_sha256sums(const char *file, const unsigned char *data, size_t len, manifest *m,
			     eia_error *err);
eia_status import_mtree(const char *file, const unsigned char *data, size_t len, manifest *m,
			eia_error *err);

/* Shared by the importers (import.c). */
typedef struct import_list {
	entry *v;
	size_t n, cap;
} import_list;

/* Next line of data from *pos (without the '\n'); 0 at the end. */
int import_next_line(const unsigned char *data, size_t len, size_t *pos, const char **line,
		     size_t *line_len);
/* Validates e->path (after stripping leading "./"), then appends e (the
 * list takes ownership, also on failure). */
eia_status import_add(const char *file, import_list *l, entry *e, eia_error *err);
/* Adds implied parent directories, sorts, refuses duplicates and moves the
 * list into m->entries. Frees the list in every case. */
eia_status import_finish(const char *file, import_list *l, manifest *m, eia_error *err);
void import_list_free(import_list *l);

#endif
