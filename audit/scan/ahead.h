/* ahead.h - work done ahead while the manifests parse.
 *
 * The parse of a large manifest is serial; the walk thread (walk.h) finishes
 * long before it and then uses the rest of the parse, a core that would
 * otherwise sit idle:
 *
 *  - archive entries, handed over one by one as the parse streams them
 *    (ahead_submit, from manifest_parse_ahead): the archive is hashed with
 *    the entry's digests and, when they differ from the certified ones, its
 *    members are read in the archive box, as the audit would;
 *  - then regular files of up to WALK_PRE_MAX bytes, in path order: sha256.
 *
 * Files are opened with walk_open_in, checked against the walked inode, as
 * the audit's own reads are. Nothing here reports anything: the audit takes
 * a result (ahead_take, pre_hash) instead of reading the file again, once
 * the parse has succeeded, and produces the same report either way.
 * A job already running when the parse ends goes on, and the audit waits
 * for it; a job not yet started is left to the audit's workers. */
#ifndef EIA_AHEAD_H
#define EIA_AHEAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "model/manifest.h"
#include "scan/archive.h"
#include "scan/engine.h"

/* At most this many archive jobs wait to start; more are left to the audit,
 * so that a manifest of many archives does not queue a copy of each. */
#define AHEAD_MAX_QUEUED 256

typedef enum { AHEAD_QUEUED, AHEAD_RUNNING, AHEAD_DONE } ahead_state;

typedef struct ahead_job {
	char *path;
	unsigned mask;          /* digests of the archive and of its members */
	digest_set want;        /* certified digests: members are read on a difference */
	int has_size;
	uint64_t size;
	int has_members;        /* the entry lists members */
	ahead_state state;
	int hashed;             /* hr is the archive's content */
	hash_result hr;
	int members_read;       /* got, or members_error, holds the box's answer */
	member_list got;
	char *members_error;    /* the box failed: the audit reports this */
} ahead_job;

typedef struct ahead_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* a job queued, finished, or the queue closed */
	int on;                 /* jobs are taken (a walk thread that speculates) */
	int closed;             /* the parse is over: no job starts any more */
	int busy;               /* the thread is hashing small files or walking */
	archive_limits lim;
	ahead_job **v;          /* every job submitted, in order */
	size_t n, cap, next;    /* next: first not yet considered by the thread */
	ahead_job **by_node;    /* the job started for each tree node, or NULL */
} ahead_queue;

struct walk_job;

/* Copies what an archive entry needs into a job (other entries: nothing).
 * fn of manifest_parse_ahead; ctx is the walk_job. */
void ahead_submit(void *ctx, const entry *e);
/* The walk thread's work after the walk, until the queue is closed. */
void ahead_run(struct walk_job *j);
/* The job run ahead for tree node `index` with this digest mask, waiting
 * for it to finish if it is running; NULL if none ran (the caller does the
 * work). The caller takes got (and must free it). */
ahead_job *ahead_take(ahead_queue *q, size_t index, unsigned mask);

void ahead_init(ahead_queue *q, const archive_limits *lim, int on);
void ahead_close(ahead_queue *q);  /* no new job; waits while busy */
void ahead_free(ahead_queue *q);   /* after the thread has ended */

#endif
