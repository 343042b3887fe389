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
#include <sys/types.h>

#include "model/manifest.h"
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

typedef struct tree {
	int root_fd;         /* O_PATH|O_DIRECTORY descriptor of --root */
	node *v;             /* sorted by path */
	size_t n;
	uint64_t files, bytes;
} tree;

#define WALK_MAX_DEPTH 256

/* Walks root. The root itself is not a node. */
eia_status walk_tree(const char *root, tree *out, eia_error *err);
void tree_free(tree *t);
const node *tree_find(const tree *t, const char *path);

/* Opens `path` beneath root_fd as described above; returns fd or -1 with
 * errno set (ELOOP/EXDEV for symlinks, ESTALE if not the walked inode).
 * allow_device admits block/char devices (firmware entries naming one). */
int walk_open_file(int root_fd, const char *path, const node *expect, int allow_device);

#endif
