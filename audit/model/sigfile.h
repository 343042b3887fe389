/* sigfile.h - FILE.sig: the detached signature list (SPEC.md).
 *
 *   eia-signatures: 1
 *   signatures:
 *     - {key: <64 hex>, algorithm: ed25519, signature: <base64>}
 *
 * Parsing is strict (yaml_tree). At most one entry per key: sigfile_put
 * replaces an existing entry for the same key. Owned by the sigfile. */
#ifndef EIA_SIGFILE_H
#define EIA_SIGFILE_H

#include <stddef.h>

#include "model/crypto.h"
#include "util/buf.h"
#include "util/error.h"

#define SIGFILE_MAX_ENTRIES 256
#define SIGFILE_MAX_SIG 1024 /* decoded bytes per signature */

typedef struct sig_entry {
	char key[KEYID_HEX_LEN + 1];
	sig_alg alg;
	unsigned char *sig;
	size_t sig_len;
} sig_entry;

typedef struct sigfile {
	sig_entry *v;
	size_t n;
} sigfile;

void sigfile_init(sigfile *s);
eia_status sigfile_parse(const char *file, const unsigned char *data, size_t len, sigfile *out,
			 eia_error *err);
/* Reads PATH; a missing file gives EIA_ETRUST ("PATH: no signature file"),
 * any other read or parse error EIA_EINPUT (with FILE:LINE:COL). */
eia_status sigfile_load(const char *path, sigfile *out, eia_error *err);
/* Index of the entry for key id `key`, or -1. */
long sigfile_find(const sigfile *s, const char *key);
/* Takes ownership of e->sig. Replaces the entry for the same key in place,
 * else appends (the caller keeps n <= SIGFILE_MAX_ENTRIES: sigfile_find). */
void sigfile_put(sigfile *s, sig_entry *e);
void sigfile_write(const sigfile *s, buf *out);
void sigfile_free(sigfile *s);

#endif
