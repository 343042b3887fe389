/* archive.c - the parent side of the archive box, and member comparison.
 *
 * archive_read_members spawns `eia __archive-box` (posix_spawn of
 * /proc/self/exe: a fresh process, no state shared with our threads) with
 * the archive as its stdin, reads its record stream under a wall-clock
 * deadline, and turns a child that dies, overruns or times out into a
 * limit-exceeded or malformed status. One child per archive read; archives
 * whose digest matches are never read at all. */
#include "scan/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scan/archive_proto.h"
#include "util/buf.h"
#include "util/paths.h"

#define BOX_MAX_STREAM ((size_t)512 << 20)

void archive_limits_default(archive_limits *l)
{
	l->max_depth = 4;
	l->max_entries = 200000;
	l->max_bytes = (uint64_t)16 << 30;
	l->max_ratio = 1000;
	l->max_memory = (uint64_t)1 << 30;
	l->max_seconds = 300; /* 16 GiB of xz at ~100 MB/s needs ~160 s */
}

static pid_t spawn_box(int fd, int out_fd, unsigned mask, const archive_limits *lim,
		       uint64_t in_size)
{
	char args[8][24];
	char *argv[11];
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	unsigned long long v[8] = {mask, lim->max_depth, lim->max_entries, lim->max_bytes,
				   lim->max_ratio, lim->max_memory, lim->max_seconds, in_size};

	argv[0] = "eia";
	argv[1] = "__archive-box";
	for (int i = 0; i < 8; i++) {
		snprintf(args[i], sizeof(args[i]), "%llu", v[i]);
		argv[i + 2] = args[i];
	}
	argv[10] = NULL;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	posix_spawn_file_actions_adddup2(&fa, fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's stream until EOF, the size cap or the deadline. */
static int drain(int rfd, buf *stream, int64_t deadline, int *timed_out)
{
	unsigned char tmp[65536];

	for (;;) {
		struct pollfd p = {rfd, POLLIN, 0};
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			*timed_out = 1;
			return -1;
		}
		int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		ssize_t n = read(rfd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		if (stream->len + (size_t)n > BOX_MAX_STREAM)
			return -2;
		buf_add(stream, tmp, (size_t)n);
	}
}

static void set_status(member_list *list, int status, const char *msg)
{
	list->status = status;
	free(list->message);
	list->message = xstrdup(msg);
}

static void judge_exit(member_list *list, int wstatus, int decoded, int timed_out,
		       int overflow, const archive_limits *lim)
{
	char msg[200];

	if (timed_out) {
		snprintf(msg, sizeof(msg), "archive reader stopped after %u s (time limit)",
			 lim->max_seconds);
		set_status(list, FK_LIMIT_EXCEEDED, msg);
	} else if (overflow) {
		set_status(list, FK_LIMIT_EXCEEDED, "archive listing too large");
	} else if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);
		if (sig == SIGXCPU || sig == SIGKILL || sig == SIGABRT) {
			snprintf(msg, sizeof(msg), "archive reader exceeded its %s limit",
				 sig == SIGXCPU ? "CPU time" : "memory or time");
			set_status(list, FK_LIMIT_EXCEEDED, msg);
		} else {
			snprintf(msg, sizeof(msg), "archive reader crashed (signal %d)", sig);
			set_status(list, FK_MALFORMED, msg);
		}
	} else if (decoded != 0) {
		set_status(list, FK_MALFORMED, "archive reader ended without a complete listing");
	}
}

static int cmp_member_ptr(const void *a, const void *b);

/* Sorted pointers to v, for lookups by name. */
static member **sort_by_name(member *v, size_t n)
{
	member **sorted = xcalloc(n ? n : 1, sizeof(member *));

	for (size_t i = 0; i < n; i++)
		sorted[i] = &v[i];
	qsort(sorted, n, sizeof(member *), cmp_member_ptr);
	return sorted;
}

static member *find_member(member **sorted, size_t n, const char *name, size_t len)
{
	member key = {.path = (char *)name, .path_len = len};
	const member *k = &key;
	member **hit = bsearch(&k, sorted, n, sizeof(member *), cmp_member_ptr);

	return hit ? *hit : NULL;
}

static void member_problem(member *m, const char *fmt, const char *name, size_t len)
{
	buf b;

	if (m->nested_status != 0)
		return;
	buf_init(&b);
	buf_printf(&b, fmt, (int)(len > 200 ? 200 : len), name);
	free(m->nested_message);
	m->nested_message = buf_steal(&b, NULL);
	m->nested_status = FK_MALFORMED;
}

static void adopt_content(member *to, const member *from)
{
	to->type = ENT_FILE;
	to->other = NULL;
	to->size = from->size;
	to->digests = from->digests;
	free(to->target); /* the link's name of the file, not a symlink target */
	to->target = NULL;
}

/* Hardlinks are files with the content of their link group: the last member
 * of the group that carries data (tar stores it on the first, cpio newc on
 * the last), as an extraction would leave them. A link to anything but an
 * earlier regular file of the same archive is left a "hardlink" and flagged. */
static void resolve_hardlinks(member *v, size_t n, member **sorted)
{
	member **root = xcalloc(n ? n : 1, sizeof(member *));
	member **carrier = xcalloc(n ? n : 1, sizeof(member *));

	for (size_t i = 0; i < n; i++) {
		member *m = &v[i], *t;
		carrier[i] = m;
		if (m->type != ENT_OTHER || m->other == NULL || strcmp(m->other, "hardlink") != 0)
			continue;
		t = m->target ? find_member(sorted, n, m->target, strlen(m->target)) : NULL;
		if (t == NULL || t >= m || (t->type != ENT_FILE && t->type != ENT_ARCHIVE)) {
			const char *to = m->target ? m->target : "";
			member_problem(m, "hardlink to '%.*s': no earlier file of that name",
				       to, strlen(to));
			continue;
		}
		root[i] = t;
		if (m->size > 0)
			carrier[t - v] = m;
	}
	for (size_t i = 0; i < n; i++) {
		if (root[i] == NULL)
			continue;
		member *c = carrier[root[i] - v];
		adopt_content(&v[i], c);
		if (c != root[i])
			adopt_content(root[i], c);
	}
	free(root);
	free(carrier);
}

/* A member whose path goes through a symlink member would be written
 * outside its directory on extraction: flagged, never followed. */
static void flag_symlink_paths(member *v, size_t n, member **sorted)
{
	for (size_t i = 0; i < n; i++) {
		member *m = &v[i];
		for (size_t k = 1; k < m->path_len; k++) {
			member *p;
			if (m->path[k] != '/')
				continue;
			p = find_member(sorted, n, m->path, k);
			if (p != NULL && p->type == ENT_SYMLINK) {
				member_problem(m, "path goes through the symlink member '%.*s'",
					       m->path, k);
				break;
			}
		}
	}
}

static void members_check(member *v, size_t n)
{
	member **sorted = sort_by_name(v, n);

	resolve_hardlinks(v, n, sorted);
	flag_symlink_paths(v, n, sorted);
	free(sorted);
	for (size_t i = 0; i < n; i++)
		members_check(v[i].members, v[i].n_members);
}

eia_status archive_read_members(int fd, unsigned mask, const archive_limits *lim,
				member_list *list, eia_error *err)
{
	int pfd[2];
	struct stat st;
	buf stream;
	pid_t pid;
	int wstatus = 0, timed_out = 0, rc, decoded = -1;

	memset(list, 0, sizeof(*list));
	if (fstat(fd, &st) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		return eia_fail_errno(err, EIA_EINPUT, errno, "archive");
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return eia_fail_errno(err, EIA_EINPUT, errno, "archive box pipe");
	pid = spawn_box(fd, pfd[1], mask, lim, (uint64_t)st.st_size);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return eia_fail(err, EIA_EINPUT, "cannot start the archive box");
	}
	buf_init(&stream);
	rc = drain(pfd[0], &stream, now_ms() + (int64_t)lim->max_seconds * 1000 + 2000,
		   &timed_out);
	if (rc != 0)
		kill(pid, SIGKILL);
	close(pfd[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (rc == 0)
		decoded = proto_decode(stream.data, stream.len, list);
	if (decoded == 0)
		members_check(list->v, list->n);
	judge_exit(list, wstatus, decoded, timed_out, rc == -2, lim);
	buf_free(&stream);
	return EIA_OK;
}

static int magic_at(const unsigned char *p, size_t n, size_t off, const char *m, size_t mlen)
{
	return n >= off + mlen && memcmp(p + off, m, mlen) == 0;
}

static int tar_checksum_ok(const unsigned char *h, size_t n)
{
	unsigned long sum = 0, want = 0;
	int digits = 0;

	if (n < 512)
		return 0;
	for (size_t i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	for (size_t i = 148; i < 156; i++) {
		if (h[i] >= '0' && h[i] <= '7') {
			want = want * 8 + (unsigned long)(h[i] - '0');
			digits++;
		} else if (h[i] != ' ' && h[i] != '\0') {
			return 0;
		}
	}
	return digits > 0 && sum == want && sum != 256; /* 256: an all-zero header */
}

int archive_magic(const unsigned char *head, size_t n)
{
	static const struct { size_t off; const char *m; size_t len; } magics[] = {
		{0, "\x1f\x8b", 2}, {0, "BZh", 3}, {0, "\xfd" "7zXZ\0", 6},
		{0, "\x28\xb5\x2f\xfd", 4}, {0, "\x04\x22\x4d\x18", 4}, {0, "LZIP", 4},
		{0, "\x1f\x9d", 2}, {0, "\x5d\x00\x00", 3}, {0, "PK\x03\x04", 4},
		{0, "PK\x05\x06", 4}, {0, "7z\xbc\xaf\x27\x1c", 6}, {0, "MSCF", 4},
		{0, "!<arch>\n", 8}, {0, "070707", 6}, {0, "070701", 6}, {0, "070702", 6},
		{0, "\xc7\x71", 2}, {0, "\x71\xc7", 2}, {0, "Rar!\x1a\x07", 6},
		{0, "xar!", 4}, {2, "-lh", 3}, {0, "\xed\xab\xee\xdb", 4},
		{257, "ustar", 5}, {32769, "CD001", 5}, {0, "WARC/", 5},
	};
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (magic_at(head, n, magics[i].off, magics[i].m, magics[i].len))
			return 1;
	return tar_checksum_ok(head, n);
}

int archive_probe(int fd)
{
	unsigned char head[ARCHIVE_MAGIC_BYTES];
	ssize_t n = pread(fd, head, sizeof(head), 0);

	return n > 0 && archive_magic(head, (size_t)n);
}

static int cmp_member_ptr(const void *a, const void *b)
{
	const member *x = *(const member *const *)a, *y = *(const member *const *)b;
	size_t n = x->path_len < y->path_len ? x->path_len : y->path_len;
	int c = memcmp(x->path, y->path, n);

	return c ? c : (x->path_len > y->path_len) - (x->path_len < y->path_len);
}

static int cmp_entry_member(const entry *e, const member *m)
{
	size_t el = strlen(e->path), n = el < m->path_len ? el : m->path_len;
	int c = memcmp(e->path, m->path, n);

	return c ? c : (el > m->path_len) - (el < m->path_len);
}

static finding *member_finding(const member_scope *s, findings *out, finding_kind kind,
			       const char *name, const char *msg)
{
	char *chain[ARCHIVE_MAX_DEPTH_CAP + 2];
	size_t n = 0;

	for (; n < s->depth && n < ARCHIVE_MAX_DEPTH_CAP; n++)
		chain[n] = s->chain[n];
	if (name != NULL)
		chain[n++] = (char *)name;
	return finding_add(out, kind, SEV_FAIL, s->path, strlen(s->path), chain, n, msg);
}

static void member_attrs(attrs *a, const member *m)
{
	memset(a, 0, sizeof(*a));
	a->mask = A_TYPE | A_MODE;
	a->type = m->type == ENT_OTHER ? m->other : entry_type_name(m->type);
	a->mode = m->mode;
	if (m->type == ENT_FILE || m->type == ENT_ARCHIVE) {
		a->mask |= A_SIZE | A_DIGESTS;
		a->size = m->size;
		a->digests = m->digests;
	}
	if (m->target != NULL) {
		a->mask |= A_TARGET;
		a->target = xstrdup(m->target);
	}
}

static void fill_member_record(record *r, const member *m)
{
	r->path = xmemdup0(m->path, m->path_len);
	r->path_len = m->path_len;
	r->type = m->type == ENT_OTHER ? m->other : entry_type_name(m->type);
	r->status = "ok";
	if (m->type == ENT_FILE || m->type == ENT_ARCHIVE) {
		r->has_size = 1;
		r->size = m->size;
		r->digests = m->digests;
	}
	r->has_mode = 1;
	r->mode = m->mode;
	if (m->target)
		r->target = xstrdup(m->target);
}

static int member_types_match(const entry *e, const member *m)
{
	if (m->type == ENT_OTHER)
		return 0;
	if (e->type == ENT_FILE || e->type == ENT_ARCHIVE)
		return m->type == ENT_FILE || m->type == ENT_ARCHIVE;
	return e->type == m->type;
}

static void compare_member(const member_scope *s, const entry *e, const member *m,
			   findings *out, record *r);

/* The nesting depth the box actually follows. */
static size_t box_depth(const member_scope *s)
{
	return s->max_depth > ARCHIVE_MAX_DEPTH_CAP ? ARCHIVE_MAX_DEPTH_CAP : s->max_depth;
}

/* Content of one expected member that is present with a compatible type. */
static void compare_member_content(const member_scope *s, const entry *e, const member *m,
				   findings *out, record *r)
{
	finding *f;
	int differs = ((s->compare & CMP_DIGEST) && e->digests.mask &&
		       !digest_set_match(&e->digests, &m->digests)) ||
		      ((s->compare & CMP_SIZE) && e->has_size && e->size != m->size);

	if (!differs)
		return;
	f = member_finding(s, out, FK_MODIFIED, e->path,
			   e->has_size && e->size != m->size ? "size differs" : "content differs");
	attrs_from_entry(&f->expected, e);
	f->expected.mask &= A_SIZE | A_DIGESTS;
	member_attrs(&f->actual, m);
	f->actual.mask &= A_SIZE | A_DIGESTS;
	f->has_expected = f->has_actual = 1;
	r->status = "drift";
	if (e->type != ENT_ARCHIVE || !e->has_members || m->nested_status != 0)
		return; /* an unreadable nested archive is reported by bad_names */
	if (m->type == ENT_ARCHIVE) {
		member_scope inner = *s;
		member_list got = {m->members, m->n_members, m->nested_status, m->nested_message};
		char *chain[ARCHIVE_MAX_DEPTH_CAP + 1];
		for (size_t i = 0; i < s->depth; i++)
			chain[i] = s->chain[i];
		chain[s->depth] = e->path;
		inner.chain = chain;
		inner.depth = s->depth + 1;
		archive_compare(&inner, e, &got, out, r);
	} else {
		member_finding(s, out, s->depth >= box_depth(s) ? FK_LIMIT_EXCEEDED
			       : FK_MALFORMED, e->path, s->depth >= box_depth(s)
			       ? "nested archive deeper than --max-depth: members not compared"
			       : "expected a nested archive, but it cannot be read as one");
	}
}

static void compare_member(const member_scope *s, const entry *e, const member *m,
			   findings *out, record *r)
{
	finding *f;

	if (!member_types_match(e, m)) {
		f = member_finding(s, out, FK_TYPE_CHANGED, e->path, "member type differs");
		f->has_expected = f->has_actual = 1;
		f->expected.mask = f->actual.mask = A_TYPE;
		f->expected.type = entry_type_name(e->type);
		f->actual.type = m->type == ENT_OTHER ? m->other : entry_type_name(m->type);
		r->status = "drift";
		return;
	}
	if (e->has_mode && (s->compare & CMP_MODE) && e->mode != m->mode) {
		f = member_finding(s, out, FK_MODE_CHANGED, e->path, "member permission bits differ");
		f->has_expected = f->has_actual = 1;
		f->expected.mask = f->actual.mask = A_MODE;
		f->expected.mode = e->mode;
		f->actual.mode = m->mode;
		r->status = "drift";
	}
	if (e->target && (s->compare & CMP_TARGET) &&
	    (m->target == NULL || strcmp(e->target, m->target) != 0)) {
		f = member_finding(s, out, FK_TARGET_CHANGED, e->path, "member symlink target differs");
		f->has_expected = f->has_actual = 1;
		f->expected.mask = f->actual.mask = A_TARGET;
		f->expected.target = xstrdup(e->target);
		f->actual.target = xstrdup(m->target ? m->target : "");
		r->status = "drift";
	}
	compare_member_content(s, e, m, out, r);
}

/* Member names that are not plain relative paths are reported, never used. */
static int bad_names(const member_scope *s, member **sorted, size_t n, findings *out)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		const member *m = sorted[i];
		const char *why = path_invalid(m->path, m->path_len);
		if (why == NULL && i > 0 && cmp_member_ptr(&sorted[i - 1], &sorted[i]) == 0)
			why = "duplicate member name";
		if (why == NULL && m->nested_status != 0) {
			member_finding(s, out, (finding_kind)m->nested_status, m->path,
				       m->nested_message ? m->nested_message : "nested archive unreadable");
			bad = 1;
			continue;
		}
		if (why != NULL) {
			char msg[200];
			snprintf(msg, sizeof(msg), "unsafe member name: %s", why);
			member_finding(s, out, FK_MALFORMED, m->path, msg);
			bad = 1;
		}
	}
	return bad;
}

void archive_compare(const member_scope *s, const entry *expected,
		     const member_list *got, findings *out, record *rec)
{
	member **sorted;
	size_t i = 0, j = 0;

	if (got->status != 0) {
		member_finding(s, out, got->status == ARCHIVE_NOT_ARCHIVE ? FK_MALFORMED
			       : (finding_kind)got->status, NULL,
			       got->status == ARCHIVE_NOT_ARCHIVE ? "not a readable archive"
			       : got->message ? got->message : "archive unreadable");
		return; /* a partial listing would invent member-missing findings */
	}
	sorted = sort_by_name(got->v, got->n);
	bad_names(s, sorted, got->n, out);
	rec->members = xcalloc(got->n ? got->n : 1, sizeof(record));
	while (i < expected->n_members || j < got->n) {
		const entry *e = i < expected->n_members ? &expected->members[i] : NULL;
		const member *m = j < got->n ? sorted[j] : NULL;
		int c = e == NULL ? 1 : m == NULL ? -1 : cmp_entry_member(e, m);
		if (c < 0) {
			finding *f = member_finding(s, out, FK_MEMBER_MISSING, e->path,
						    "member listed in the manifest is not in the archive");
			attrs_from_entry(&f->expected, e);
			f->has_expected = 1;
			i++;
			continue;
		}
		if (m == NULL)
			break; /* not reached: c >= 0 needs a member */
		record *r = &rec->members[rec->n_members++];
		fill_member_record(r, m);
		if (c > 0) {
			if (got->status == 0 && (j == 0 || cmp_member_ptr(&sorted[j - 1], &sorted[j]) != 0)) {
				finding *f = member_finding(s, out, FK_MEMBER_UNLISTED, m->path,
							    "member present but not listed in the manifest");
				member_attrs(&f->actual, m);
				f->has_actual = 1;
			}
			r->status = "drift";
		} else {
			compare_member(s, e, m, out, r);
			i++;
		}
		j++;
	}
	free(sorted);
}
