#include "scan/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/paths.h"

struct walker {
	tree *t;
	size_t cap;
	buf path;
	atomic_int *cancel; /* NULL, or set when the result is no longer wanted */
};

static node *push_node(struct walker *w)
{
	if (w->t->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->t->v = xreallocarray(w->t->v, w->cap, sizeof(node));
	}
	node *n = &w->t->v[w->t->n++];
	memset(n, 0, sizeof(*n));
	n->path = xmemdup0(w->path.data, w->path.len);
	n->path_len = w->path.len;
	return n;
}

static void fill_type(node *n, const struct stat *st)
{
	n->size = (uint64_t)st->st_size;
	n->mode = (unsigned)st->st_mode & 07777;
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	if (S_ISREG(st->st_mode))
		n->type = ENT_FILE;
	else if (S_ISDIR(st->st_mode))
		n->type = ENT_DIR;
	else if (S_ISLNK(st->st_mode))
		n->type = ENT_SYMLINK;
	else {
		n->type = ENT_OTHER;
		n->other = S_ISFIFO(st->st_mode) ? "fifo" : S_ISSOCK(st->st_mode) ? "socket"
			 : S_ISCHR(st->st_mode) ? "char-device" : S_ISBLK(st->st_mode) ? "block-device"
			 : "unknown";
	}
	if (n->type != ENT_FILE)
		n->size = 0;
}

static char *read_link(int dirfd, const char *name, size_t hint)
{
	size_t cap = hint + 1 > 256 ? hint + 1 : 256;

	for (;;) {
		char *b = xmalloc(cap);
		ssize_t r = readlinkat(dirfd, name, b, cap);
		if (r < 0) {
			free(b);
			return NULL;
		}
		if ((size_t)r < cap) {
			b[r] = '\0';
			return b;
		}
		free(b);
		if (cap > 65536)
			return NULL;
		cap *= 2;
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads all names of a directory (sorted) so the walk is deterministic. */
static char **list_dir(int fd, size_t *count, int *error)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	*error = 0;
	if (dupfd < 0 || (d = fdopendir(dupfd)) == NULL) {
		*error = errno;
		if (dupfd >= 0)
			close(dupfd);
		*count = 0;
		return NULL;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (errno != 0)
		*error = errno;
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	*count = n;
	return names;
}

static void walk_dir(struct walker *w, int dirfd, int depth);

static void visit(struct walker *w, int dirfd, const char *name, int depth)
{
	struct stat st;
	size_t base = w->path.len;
	node *n;

	if (base)
		buf_addc(&w->path, '/');
	buf_adds(&w->path, name);
	n = push_node(w);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT) { /* gone between readdir and stat: not there */
			free(n->path);
			w->t->n--;
			goto out;
		}
		n->type = ENT_OTHER;
		n->other = "unknown";
		n->error = errno;
		goto out;
	}
	fill_type(n, &st);
	if (n->type == ENT_FILE) {
		w->t->files++;
		w->t->bytes += n->size;
	} else if (n->type == ENT_SYMLINK) {
		n->target = read_link(dirfd, name, (size_t)st.st_size);
		if (n->target == NULL)
			n->error = errno ? errno : EIO;
	} else if (n->type == ENT_DIR) {
		size_t idx = w->t->n - 1;
		int fd = depth >= WALK_MAX_DEPTH ? -1
			: openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			w->t->v[idx].error = depth >= WALK_MAX_DEPTH ? ELOOP : errno;
		} else {
			walk_dir(w, fd, depth + 1);
			close(fd);
		}
	}
out:
	w->path.len = base;
	if (w->path.data)
		w->path.data[base] = '\0';
}

static void walk_dir(struct walker *w, int dirfd, int depth)
{
	size_t count = 0;
	int error;
	char **names = list_dir(dirfd, &count, &error);

	if (error && w->t->n > 0 && w->path.len > 0)
		w->t->v[w->t->n - 1].error = error;
	for (size_t i = 0; i < count; i++) {
		if (w->cancel == NULL || !atomic_load(w->cancel))
			visit(w, dirfd, names[i], depth);
		free(names[i]);
	}
	free(names);
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const node *)a)->path, ((const node *)b)->path);
}

static eia_status walk_until(const char *root, tree *out, atomic_int *cancel, eia_error *err);

eia_status walk_tree(const char *root, tree *out, eia_error *err)
{
	return walk_until(root, out, NULL, err);
}

static eia_status walk_until(const char *root, tree *out, atomic_int *cancel, eia_error *err)
{
	struct walker w;
	int fd;

	memset(out, 0, sizeof(*out));
	out->root_fd = -1;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return eia_fail_errno(err, EIA_EINPUT, errno, "--root %s", root);
	memset(&w, 0, sizeof(w));
	w.t = out;
	w.cancel = cancel;
	buf_init(&w.path);
	walk_dir(&w, fd, 0);
	buf_free(&w.path);
	/* names sorted per directory are not globally sorted ("a/b" vs "a-b") */
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(node), cmp_node);
	out->root_fd = fd;
	return EIA_OK;
}

static void *walk_thread(void *arg)
{
	walk_job *j = arg;

	j->st = walk_until(j->root, &j->t, &j->cancel, &j->err);
	if (j->st == EIA_OK && j->speculate)
		ahead_run(j); /* inline (walk_finish without a thread): closed, returns */
	pthread_mutex_lock(&j->q.mu);
	j->q.busy = 0;
	pthread_cond_broadcast(&j->q.cv);
	pthread_mutex_unlock(&j->q.mu);
	return NULL;
}

void walk_start(walk_job *j, const char *root, int spec, const archive_limits *lim)
{
	memset(j, 0, sizeof(*j));
	j->root = root;
	j->speculate = spec;
	atomic_init(&j->cancel, 0);
	ahead_init(&j->q, lim, spec);
	j->q.busy = 1; /* walking */
	j->t.root_fd = -1;
	j->threaded = pthread_create(&j->tid, NULL, walk_thread, j) == 0;
	if (!j->threaded)
		j->q.on = 0; /* walk_finish walks inline: nothing would run ahead */
}

eia_status walk_finish(walk_job *j, tree *out, eia_error *err)
{
	if (j->threaded) {
		ahead_close(&j->q); /* waits for the walk; a running archive job goes on */
	} else {
		j->q.closed = 1;
		walk_thread(j);
	}
	j->root = NULL;
	if (j->st != EIA_OK) {
		if (err != NULL)
			*err = j->err;
		walk_end(j);
		tree_free(&j->t);
		return j->st;
	}
	*out = j->t;
	memset(&j->t, 0, sizeof(j->t));
	j->t.root_fd = -1;
	return EIA_OK;
}

void walk_end(walk_job *j)
{
	if (j->threaded)
		pthread_join(j->tid, NULL);
	j->threaded = 0;
	ahead_free(&j->q);
}

void walk_discard(walk_job *j)
{
	tree t;

	memset(&t, 0, sizeof(t));
	if (j->root != NULL) {
		/* no job may start on a walk cut short: close the queue first */
		pthread_mutex_lock(&j->q.mu);
		j->q.closed = 1;
		pthread_mutex_unlock(&j->q.mu);
		atomic_store(&j->cancel, 1); /* an error exit need not wait for a large tree */
		if (walk_finish(j, &t, NULL) == EIA_OK) {
			walk_end(j);
			tree_free(&t);
			return;
		}
	}
	walk_end(j);
}

void tree_free(tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].target);
	}
	free(t->v);
	free(t->pre);
	if (t->root_fd >= 0)
		close(t->root_fd);
	memset(t, 0, sizeof(*t));
	t->root_fd = -1;
}

const node *tree_find(const tree *t, const char *path)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->v[mid].path, path);
		if (c == 0)
			return &t->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int open_components(int root_fd, const char *path, int flags)
{
	char *copy = xstrdup(path), *save = NULL;
	int fd = dup(root_fd);
	char *part = strtok_r(copy, "/", &save);

	while (fd >= 0 && part != NULL) {
		char *next = strtok_r(NULL, "/", &save);
		/* O_NOFOLLOW does not stop "..": never leave the root (callers'
		 * paths are validated; this fallback must hold on its own) */
		if (strcmp(part, "..") == 0 || strcmp(part, ".") == 0) {
			close(fd);
			fd = -1;
			errno = EXDEV;
			break;
		}
		int nfd = openat(fd, part, next ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
					      : flags | O_NOFOLLOW, 0);
		int saved = errno;
		close(fd);
		errno = saved;
		fd = nfd;
		part = next;
	}
	free(copy);
	return fd;
}

static int open_beneath(int root_fd, const char *path, int flags)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned)flags;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return open_components(root_fd, path, flags);
	return (int)fd;
}

/* The file `name` (one component) in dirfd, never through a symlink. */
static int open_one(int dirfd, const char *name, int flags)
{
	return openat(dirfd, name, flags | O_NOFOLLOW);
}

/* dc's directory becomes the parent of path; returns its fd and sets *base
 * to the last component, or -1 with errno. */
static int cached_dir(dir_cache *dc, int root_fd, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t len;
	int fd;

	if (slash == NULL) {
		*base = path;
		return root_fd;
	}
	*base = slash + 1;
	len = (size_t)(slash - path);
	if (dc->fd >= 0 && dc->root_fd == root_fd && dc->len == len &&
	    memcmp(dc->path, path, len) == 0)
		return dc->fd;
	if (dc->fd >= 0)
		close(dc->fd);
	free(dc->path);
	dc->fd = -1;
	dc->path = xmemdup0(path, len);
	dc->len = len;
	dc->root_fd = root_fd;
	fd = open_beneath(root_fd, dc->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		dc->fd = fd;
	return fd;
}

int walk_open_file(int root_fd, const char *path, const node *expect, int allow_device)
{
	return walk_open_in(NULL, root_fd, path, expect, allow_device);
}

int walk_open_in(dir_cache *dc, int root_fd, const char *path, const node *expect,
		 int allow_device)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	const char *base = path;
	struct stat st;
	int dirfd = dc != NULL ? cached_dir(dc, root_fd, path, &base) : root_fd;
	int fd;

	if (dirfd < 0)
		return -1;
	fd = dc != NULL ? open_one(dirfd, base, flags | O_NOATIME)
			: open_beneath(root_fd, path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership or CAP_FOWNER */
		fd = dc != NULL ? open_one(dirfd, base, flags) : open_beneath(root_fd, path, flags);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 ||
	    !(S_ISREG(st.st_mode) || (allow_device && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)))) ||
	    (expect != NULL && (st.st_dev != expect->dev || st.st_ino != expect->ino))) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}
