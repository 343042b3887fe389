/* state.h - rollback state (SPEC.md "Rollback state").
 *
 *   eia-state: 1
 *   series:
 *     - {name: "isfahan-2026", serial: 12, sha256: "<64 hex>"}
 *
 * One record per manifest name: the highest serial accepted and the digest
 * of that manifest's bytes. state_lock takes an exclusive flock on
 * STATE.yaml.lock (a separate file, because the state itself is replaced by
 * rename); the caller reads, checks, updates and writes while holding it. */
#ifndef EIA_STATE_H
#define EIA_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct state_series {
	char *name;
	uint64_t serial;
	unsigned char sha256[32];
} state_series;

typedef struct state {
	state_series *v;
	size_t n;
} state;

/* Returns a lock descriptor (>= 0) or fails. */
eia_status state_lock(const char *path, int *lock_fd, eia_error *err);
void state_unlock(int lock_fd);
/* A missing file is an empty state. */
eia_status state_load(const char *path, state *out, eia_error *err);
/* EIA_ETRUST on rollback (lower serial) or equivocation (same serial,
 * other bytes); EIA_OK if new or not older. */
eia_status state_check(const state *s, const char *name, uint64_t serial,
		       const unsigned char sha256[32], eia_error *err);
/* Records serial/digest for name if it is not lower than what is there. */
void state_record(state *s, const char *name, uint64_t serial,
		  const unsigned char sha256[32]);
eia_status state_save(const char *path, const state *s, eia_error *err);
void state_free(state *s);

#endif
