/* fileio.h - reading whole files with a size cap, and the one atomic writer.
 *
 * Every file eia writes (reports, signatures, state, manifests, keys) goes
 * through atomic_write: a temporary file in the same directory, written,
 * fsync'd, renamed over the target, then the directory fsync'd. A reader
 * sees the old complete file or the new complete one, never half. */
#ifndef EIA_FILEIO_H
#define EIA_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/error.h"

/* Default cap for manifests, trust stores, signature files, reports. */
#define EIA_MAX_INPUT_FILE ((size_t)256 << 20)

/* Reads all of the regular file `path` into out (NUL-terminated).
 * Fails with EIA_EINPUT past `max` bytes or if it is not a regular file. */
eia_status file_read_all(const char *path, size_t max, buf *out, eia_error *err);

/* Atomically replaces `path` with data, created with `mode`. */
eia_status atomic_write(const char *path, const void *data, size_t len,
			mode_t mode, eia_error *err);

#endif
