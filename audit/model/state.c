#include "model/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/encode.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/yaml_tree.h"

#define STATE_MAX_SERIES 100000

eia_status state_lock(const char *path, int *lock_fd, eia_error *err)
{
	buf p;
	int fd;

	buf_init(&p);
	buf_printf(&p, "%s.lock", path);
	fd = open((char *)p.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		eia_status st = eia_fail_errno(err, EIA_EINPUT, errno, "%s", (char *)p.data);
		buf_free(&p);
		return st;
	}
	buf_free(&p);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			int saved = errno;
			close(fd);
			return eia_fail_errno(err, EIA_EINPUT, saved, "%s: cannot lock", path);
		}
	}
	*lock_fd = fd;
	return EIA_OK;
}

void state_unlock(int lock_fd)
{
	if (lock_fd >= 0) {
		flock(lock_fd, LOCK_UN);
		close(lock_fd);
	}
}

static eia_status parse_series(const char *file, const yt_node *item, state *s,
			       eia_error *err)
{
	static const char *const keys[] = {"name", "serial", "sha256", NULL};
	const yt_node *n;
	const char *name, *hex;
	state_series *x;
	eia_status st;

	if ((st = yt_want(file, item, YT_MAP, "series item", err)) ||
	    (st = yt_check_keys(file, item, keys, err)) ||
	    (st = yt_require(file, item, "name", &n, err)) ||
	    (st = yt_str(file, n, "name", &name, err)))
		return st;
	x = &s->v[s->n];
	memset(x, 0, sizeof(*x));
	if ((st = yt_require(file, item, "serial", &n, err)) ||
	    (st = yt_uint(file, n, "serial", UINT64_MAX, &x->serial, err)) ||
	    (st = yt_require(file, item, "sha256", &n, err)) ||
	    (st = yt_str(file, n, "sha256", &hex, err)))
		return st;
	if (hex_decode(hex, strlen(hex), x->sha256, 32) != 0)
		return yt_err(err, file, n, "sha256 must be 64 hex digits");
	x->name = xstrdup(name);
	s->n++;
	return EIA_OK;
}

static eia_status parse_state(const char *file, const yt_node *root, state *s,
			      eia_error *err)
{
	static const char *const keys[] = {"eia-state", "series", NULL};
	const yt_node *n;
	uint64_t version;
	eia_status st;

	if ((st = yt_want(file, root, YT_MAP, "state", err)) ||
	    (st = yt_check_keys(file, root, keys, err)) ||
	    (st = yt_require(file, root, "eia-state", &n, err)) ||
	    (st = yt_uint(file, n, "eia-state", 1, &version, err)))
		return st;
	if (version != 1)
		return yt_err(err, file, n, "unsupported eia-state version");
	if ((st = yt_require(file, root, "series", &n, err)) ||
	    (st = yt_want(file, n, YT_SEQ, "series", err)))
		return st;
	if (n->n > STATE_MAX_SERIES)
		return yt_err(err, file, n, "too many series");
	s->v = xcalloc(n->n ? n->n : 1, sizeof(state_series));
	for (size_t i = 0; i < n->n; i++)
		if ((st = parse_series(file, n->kids[i], s, err)) != EIA_OK)
			return st;
	return EIA_OK;
}

eia_status state_load(const char *path, state *out, eia_error *err)
{
	buf data;
	yt_node *root = NULL;
	eia_status st;

	memset(out, 0, sizeof(*out));
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return EIA_OK;
	st = file_read_all(path, EIA_MAX_INPUT_FILE, &data, err);
	if (st != EIA_OK)
		return st;
	st = yt_parse(path, data.data, data.len, &root, err);
	if (st == EIA_OK)
		st = parse_state(path, root, out, err);
	yt_free(root);
	buf_free(&data);
	if (st != EIA_OK)
		state_free(out);
	return st;
}

static state_series *find(const state *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

eia_status state_check(const state *s, const char *name, uint64_t serial,
		       const unsigned char sha256[32], eia_error *err)
{
	const state_series *x = find(s, name);

	if (x == NULL || serial > x->serial)
		return EIA_OK;
	if (serial < x->serial)
		return eia_fail(err, EIA_ETRUST,
				"rollback: manifest '%s' serial %llu is lower than serial %llu "
				"accepted before", name, (unsigned long long)serial,
				(unsigned long long)x->serial);
	if (memcmp(x->sha256, sha256, 32) != 0)
		return eia_fail(err, EIA_ETRUST,
				"equivocation: manifest '%s' serial %llu differs from the one "
				"accepted before with the same serial", name,
				(unsigned long long)serial);
	return EIA_OK;
}

void state_record(state *s, const char *name, uint64_t serial,
		  const unsigned char sha256[32])
{
	state_series *x = find(s, name);

	if (x == NULL) {
		s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
		x = &s->v[s->n++];
		x->name = xstrdup(name);
	} else if (serial < x->serial) {
		return;
	}
	x->serial = serial;
	memcpy(x->sha256, sha256, 32);
}

static int cmp_series(const void *a, const void *b)
{
	return strcmp(((const state_series *)a)->name, ((const state_series *)b)->name);
}

eia_status state_save(const char *path, const state *s, eia_error *err)
{
	buf out;
	char hex[65];
	eia_status st;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_series);
	buf_init(&out);
	buf_adds(&out, "eia-state: 1\nseries:\n");
	if (s->n == 0)
		buf_adds(&out, "  []\n");
	for (size_t i = 0; i < s->n; i++) {
		buf_adds(&out, "  - {name: ");
		json_quote(&out, s->v[i].name, strlen(s->v[i].name));
		hex_encode(s->v[i].sha256, 32, hex);
		buf_printf(&out, ", serial: %llu, sha256: \"%s\"}\n",
			   (unsigned long long)s->v[i].serial, hex);
	}
	st = atomic_write(path, out.data, out.len, 0644, err);
	buf_free(&out);
	return st;
}

void state_free(state *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
