/* walk.h - read-only walk of the target tree.
 *
 * The tree is walked with openat/fstatat relative to an open root directory,
 * never following symlinks (they are recorded as symlinks with their target),
 * never opening FIFOs, sockets or devices. Nodes come back sorted by path.
 * walk_open_file opens a regular file beneath the root without following any
 * symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a component walk
 * with O_NOFOLLOW where openat2 is missing), read-only with O_NOATIME where
 * permitted, and checks it is the same inode the walk saw. */
#ifndef EIA_WALK_H
#define EIA_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "model/manifest.h"
#include "scan/ahead.h"
#include "scan/engine.h"
#include "util/error.h"

typedef struct node {
	char *path;          /* relative, '/'-separated; bytes may be non-UTF-8 */
	size_t path_len;
	entry_type type;     /* ENT_FILE, ENT_DIR, ENT_SYMLINK or ENT_OTHER */
	const char *other;   /* for ENT_OTHER: "fifo", "socket", "char-device"... */
	uint64_t size;
	unsigned mode;       /* permission bits (07777) */
	uint64_t uid, gid;
	dev_t dev;
	ino_t ino;
	char *target;        /* symlink target, or NULL */
	int error;           /* errno if it could not be examined or (a directory)
				read; ELOOP: deeper than WALK_MAX_DEPTH, not walked */
} node;

/* The sha256 of a small file hashed ahead (walk_start with speculate). */
typedef struct pre_hash {
	unsigned char sha256[32];
	uint64_t bytes;
	int done;            /* 0: not hashed ahead (or failed): hash it now */
} pre_hash;

typedef struct tree {
	int root_fd;         /* O_PATH|O_DIRECTORY descriptor of --root */
	node *v;             /* sorted by path */
	size_t n;
	uint64_t files, bytes;
	pre_hash *pre;       /* NULL, or one per node, parallel to v */
} tree;

/* Files up to this size are hashed ahead while the manifests parse. */
#define WALK_PRE_MAX ((uint64_t)1 << 20)

#define WALK_MAX_DEPTH 256

/* Walks root. The root itself is not a node. */
eia_status walk_tree(const char *root, tree *out, eia_error *err);

/* The same walk on its own thread, so it runs while the manifests are
 * parsed: walk_start never fails (without a thread, walk_finish walks);
 * walk_finish hands over the tree (or the walk's error); walk_end, before
 * the tree is freed, waits for the thread. Every started walk must be
 * finished and ended, or discarded (walk_discard does both and drops the
 * tree).
 *
 * With `speculate`, the thread then works ahead (ahead.h) until walk_finish:
 * archive entries handed to ahead_submit(j, e) by the parse, then sha256 of
 * regular files of up to WALK_PRE_MAX bytes into tree.pre. */
typedef struct walk_job {
	const char *root;
	pthread_t tid;
	int threaded;        /* a thread was started and not yet joined */
	int speculate;
	atomic_int cancel;   /* walk_discard: stop walking */
	ahead_queue q;
	tree t;
	eia_status st;
	eia_error err;
} walk_job;
void walk_start(walk_job *j, const char *root, int speculate, const archive_limits *lim);
eia_status walk_finish(walk_job *j, tree *out, eia_error *err);
void walk_end(walk_job *j);
void walk_discard(walk_job *j);
void tree_free(tree *t);
const node *tree_find(const tree *t, const char *path);

/* Opens `path` beneath root_fd as described above; returns fd or -1 with
 * errno set (ELOOP/EXDEV for symlinks, ESTALE if not the walked inode).
 * allow_device admits block/char devices (firmware entries naming one). */
int walk_open_file(int root_fd, const char *path, const node *expect, int allow_device);
/* The same, keeping the file's directory open in dc: the next file of that
 * directory is opened relative to it with O_NOFOLLOW, one component, no path
 * resolution from the root. The directory itself was opened beneath the root
 * without following symlinks, and the file is still checked against the
 * walked inode, so the guarantees are those of walk_open_file. */
int walk_open_in(dir_cache *dc, int root_fd, const char *path, const node *expect,
		 int allow_device);

#endif
