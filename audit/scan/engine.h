/* engine.h - the parallel hashing engine.
 *
 * engine_run hands job indexes 0..n-1 to `workers` threads (an atomic
 * counter, no locks on the hot path); each job writes only its own result
 * slot, so the gathered results are deterministic whatever the scheduling.
 * Every worker owns a reusable multi-digest context and one aligned read
 * buffer, so no per-file allocation happens in hash_fd. */
#ifndef EIA_ENGINE_H
#define EIA_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "scan/digest.h"
#include "util/error.h"

#define ENGINE_READ_SIZE ((size_t)1 << 20)

/* A directory kept open between files: the audit opens the files of one
 * directory relative to it (walk_open_in) instead of resolving every path
 * from the root again. fd is -1 when empty. */
typedef struct dir_cache {
	int root_fd;         /* the root fd was opened beneath */
	int fd;
	char *path;          /* relative to the root, no trailing '/' */
	size_t len;
} dir_cache;

typedef struct worker {
	dir_cache dirs;
	digest_ctx dc;       /* all algorithms; only the requested ones are fed */
	digest_ctx chunk;    /* sha256 only, for firmware chunks and regions */
	unsigned char *buf;  /* ENGINE_READ_SIZE bytes, page-aligned */
	unsigned id;
} worker;

typedef void (*engine_job_fn)(void *ctx, size_t index, worker *w);

/* A worker outside engine_run (a thread of the caller's own). */
eia_status worker_init(worker *w, unsigned id, eia_error *err);
void worker_free(worker *w);

/* Number of online CPUs (at least 1). */
unsigned engine_default_jobs(void);
eia_status engine_run(size_t n_jobs, unsigned workers, engine_job_fn fn, void *ctx,
		      eia_error *err);

/* A firmware read plan: regions and chunks computed in the same pass. */
typedef struct fw_region {
	uint64_t offset, length;
	digest_set got;      /* filled by hash_fd (sha256 + requested) */
	unsigned mask;
	int complete;        /* the image covered the whole region */
} fw_region;

typedef struct fw_plan {
	fw_region *regions;
	size_t n_regions;
	uint64_t chunk_size; /* 0: no chunks */
	unsigned char (*chunks)[32]; /* filled: sha256 per chunk read */
	size_t n_chunks_max; /* capacity of chunks */
	size_t n_chunks;     /* chunks actually read */
} fw_plan;

typedef struct hash_result {
	int error;           /* errno of a read error, 0 if none */
	uint64_t bytes;      /* bytes read */
	digest_set digests;
} hash_result;

/* Reads fd to EOF once, computing `mask` digests, and firmware regions and
 * chunks when fw is not NULL. */
void hash_fd(worker *w, int fd, unsigned mask, fw_plan *fw, hash_result *out);
/* The same, stopping after max_bytes (0: no cap): a device read in place of
 * a firmware image (/dev/zero never ends). */
void hash_fd_max(worker *w, int fd, unsigned mask, fw_plan *fw, uint64_t max_bytes,
		 hash_result *out);

#endif
