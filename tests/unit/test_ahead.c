/* test_ahead.c - archives read ahead on the walk thread (audit/scan/ahead.c).
 *
 * Real tar files written with libarchive, real files on disk, the real box
 * (this executable re-run as `__archive-box`, as eia is): an archive whose
 * digest differs is hashed and its members read; a matching one is only
 * hashed; a directory, a missing path, a non-archive entry or a dynamic one
 * start nothing; a result is handed over only for the same digest mask;
 * nothing is queued without speculation or after the queue is closed; a
 * walk discarded while a job runs ends cleanly. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "scan/ahead.h"
#include "scan/archive.h"
#include "scan/walk.h"

static char root[4096];

/* Under valgrind /proc/self/exe is valgrind's launcher, which refuses to run
 * as the box: the box then fails and its failure is what is handed over. */
static int box_works(void)
{
	const char *pre = getenv("LD_PRELOAD");
	return pre == NULL || strstr(pre, "vgpreload") == NULL;
}

static void sha256_of(const void *p, size_t n, unsigned char out[32])
{
	unsigned len = 32;
	CHECK(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1);
}

static void in_root(char *out, size_t size, const char *rel)
{
	snprintf(out, size, "%s/%s", root, rel);
}

static void write_tar(const char *rel, const char *x, const char *y)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	const char *names[2] = {"x", "d/y"}, *data[2] = {x, y};
	char p[4200];

	in_root(p, sizeof(p), rel);
	CHECK(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
	CHECK(archive_write_open_filename(a, p) == ARCHIVE_OK);
	for (int i = 0; i < 2; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, names[i]);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)strlen(data[i]));
		archive_entry_set_mtime(ae, 1700000000, 0);
		CHECK(archive_write_header(a, ae) == ARCHIVE_OK);
		CHECK(archive_write_data(a, data[i], strlen(data[i])) == (la_ssize_t)strlen(data[i]));
		archive_entry_free(ae);
	}
	CHECK(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
}

/* A gzip'd tar of `members` members of `size` bytes each: slow enough to read
 * that walk_finish comes while the job runs. */
static void write_big_tgz(const char *rel, int members, size_t size)
{
	struct archive *a = archive_write_new();
	char *data = malloc(size), p[4200], name[32];
	uint32_t x = 12345;

	CHECK(data != NULL);
	if (data == NULL)
		return;
	for (size_t i = 0; i < size; i++) { /* half-compressible bytes */
		x = x * 1103515245u + 12345u;
		data[i] = (char)('a' + ((x >> 16) & 15));
	}
	in_root(p, sizeof(p), rel);
	CHECK(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
	CHECK(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
	CHECK(archive_write_open_filename(a, p) == ARCHIVE_OK);
	for (int i = 0; i < members; i++) {
		struct archive_entry *ae = archive_entry_new();
		snprintf(name, sizeof(name), "m/%04d", i);
		archive_entry_set_pathname(ae, name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)size);
		CHECK(archive_write_header(a, ae) == ARCHIVE_OK);
		CHECK(archive_write_data(a, data, size) == (la_ssize_t)size);
		archive_entry_free(ae);
	}
	CHECK(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
	free(data);
}

static void write_file(const char *rel, const char *text)
{
	char p[4200];
	FILE *f;

	in_root(p, sizeof(p), rel);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int file_sha256(const char *rel, unsigned char out[32], uint64_t *size)
{
	char p[4200];
	static unsigned char data[1 << 16];
	FILE *f;
	size_t n;

	in_root(p, sizeof(p), rel);
	f = fopen(p, "rb");
	if (f == NULL)
		return -1;
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	sha256_of(data, n, out);
	*size = n;
	return 0;
}

static entry archive_entry_for(const char *path, const unsigned char *sha, int members)
{
	entry e;

	memset(&e, 0, sizeof(e));
	e.path = (char *)path;
	e.type = ENT_ARCHIVE;
	e.digests.mask = DG_MASK(DG_SHA256);
	memcpy(e.digests.v[DG_SHA256], sha, 32);
	e.has_members = members;
	return e;
}

/* Waits until the thread has considered every queued job and none runs. */
static int wait_idle(walk_job *j)
{
	for (int tries = 0; tries < 2000; tries++) {
		int idle;
		pthread_mutex_lock(&j->q.mu);
		idle = j->q.by_node != NULL && j->q.next == j->q.n;
		for (size_t i = 0; idle && i < j->q.n; i++)
			if (j->q.v[i]->state == AHEAD_RUNNING)
				idle = 0;
		pthread_mutex_unlock(&j->q.mu);
		if (idle)
			return 1;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static ahead_job *take(walk_job *j, const tree *t, const char *path, unsigned mask)
{
	const node *nd = tree_find(t, path);

	CHECK(nd != NULL);
	return nd != NULL ? ahead_take(&j->q, (size_t)(nd - t->v), mask) : NULL;
}

static void test_read_ahead(void)
{
	unsigned char wrong[32], good[32], x_sha[32], sha[32];
	uint64_t b_size = 0;
	const unsigned mask = DG_MASK(DG_SHA256);
	walk_job j;
	tree t;
	eia_error err;
	entry e;
	int before = check_open_fds();
	ahead_job *a;

	memset(wrong, 0xee, sizeof(wrong));
	CHECK(file_sha256("b.tar", good, &b_size) == 0);
	sha256_of("hello\n", 6, x_sha);

	walk_start(&j, root, 1, NULL);
	e = archive_entry_for("a.tar", wrong, 1); /* differs: members read */
	ahead_submit(&j, &e);
	e = archive_entry_for("b.tar", good, 1);  /* matches: hashed only */
	ahead_submit(&j, &e);
	e = archive_entry_for("c.tar", wrong, 1); /* not an archive */
	ahead_submit(&j, &e);
	e = archive_entry_for("e.tar", wrong, 0); /* no members listed */
	ahead_submit(&j, &e);
	e = archive_entry_for("dir.tar", wrong, 1);
	ahead_submit(&j, &e);
	e = archive_entry_for("nope.tar", wrong, 1);
	ahead_submit(&j, &e);
	e = archive_entry_for("dyn.tar", wrong, 1);
	e.dynamic = 1; /* never compared: nothing to do ahead */
	ahead_submit(&j, &e);
	e = archive_entry_for("f.txt", wrong, 0);
	e.type = ENT_FILE; /* small files are hashed ahead by tree.pre, not here */
	ahead_submit(&j, &e);
	CHECK(j.q.n == 6);
	CHECK(wait_idle(&j));
	CHECK(walk_finish(&j, &t, &err) == EIA_OK);

	e = archive_entry_for("late.tar", wrong, 1);
	ahead_submit(&j, &e); /* closed: not queued */
	CHECK(j.q.n == 6);

	a = take(&j, &t, "a.tar", mask);
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK(a->hashed && a->members_read);
		if (box_works()) {
			CHECK(a->members_error == NULL);
			CHECK(a->got.status == 0 && a->got.n == 2);
		} else {
			CHECK(a->members_error != NULL || a->got.status != 0);
		}
		for (size_t i = 0; i < a->got.n; i++)
			if (strcmp(a->got.v[i].path, "x") == 0)
				CHECK(memcmp(a->got.v[i].digests.v[DG_SHA256], x_sha, 32) == 0);
		member_list_free(&a->got);
	}
	a = take(&j, &t, "b.tar", mask);
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK(a->hashed && !a->members_read && a->got.n == 0);
		CHECK(a->hr.bytes == b_size);
		CHECK(memcmp(a->hr.digests.v[DG_SHA256], good, 32) == 0);
	}
	/* another digest mask (a layer asking for sha512 too): not this result */
	CHECK(take(&j, &t, "b.tar", mask | DG_MASK(DG_SHA512)) == NULL);
	a = take(&j, &t, "c.tar", mask);
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK(a->hashed && a->members_read);
		CHECK(a->members_error != NULL || a->got.status != 0);
		member_list_free(&a->got);
	}
	a = take(&j, &t, "e.tar", mask);
	CHECK(a != NULL && a->hashed && !a->members_read);
	if (a != NULL) {
		uint64_t n = 0;
		CHECK(file_sha256("e.tar", sha, &n) == 0);
		CHECK(memcmp(a->hr.digests.v[DG_SHA256], sha, 32) == 0);
	}
	CHECK(take(&j, &t, "dir.tar", mask) == NULL);
	CHECK(take(&j, &t, "dyn.tar", mask) == NULL);
	CHECK(take(&j, &t, "f.txt", mask) == NULL);
	CHECK(tree_find(&t, "nope.tar") == NULL);
	walk_end(&j);
	walk_end(&j); /* twice is harmless */
	tree_free(&t);
	CHECK(check_open_fds() == before);
}

static void test_no_speculation(void)
{
	unsigned char wrong[32];
	walk_job j;
	tree t;
	eia_error err;
	entry e;

	memset(wrong, 0xee, sizeof(wrong));
	walk_start(&j, root, 0, NULL); /* --jobs 1: no work ahead */
	e = archive_entry_for("a.tar", wrong, 1);
	ahead_submit(&j, &e);
	CHECK(j.q.n == 0);
	CHECK(walk_finish(&j, &t, &err) == EIA_OK);
	CHECK(take(&j, &t, "a.tar", DG_MASK(DG_SHA256)) == NULL);
	walk_end(&j);
	tree_free(&t);
}

/* The parse ends while the thread reads an archive: walk_finish hands the
 * tree over at once, the audit's ahead_take waits for the job, and walk_end
 * joins before the tree is freed (run under ASan and TSan in scripts/test). */
static void test_finish_while_running(void)
{
	unsigned char wrong[32];
	walk_job j;
	tree t;
	eia_error err;
	entry e;
	ahead_job *a;
	int running = 0;

	memset(wrong, 0xee, sizeof(wrong));
	walk_start(&j, root, 1, NULL);
	e = archive_entry_for("big.tgz", wrong, 1);
	ahead_submit(&j, &e);
	for (int tries = 0; tries < 2000 && !running; tries++) {
		pthread_mutex_lock(&j.q.mu);
		running = j.q.n == 1 && j.q.v[0]->state != AHEAD_QUEUED;
		pthread_mutex_unlock(&j.q.mu);
		if (!running) {
			struct timespec ts = {0, 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	CHECK(running);
	CHECK(walk_finish(&j, &t, &err) == EIA_OK);
	a = take(&j, &t, "big.tgz", DG_MASK(DG_SHA256));
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK(a->state == AHEAD_DONE && a->hashed && a->members_read);
		if (box_works())
			CHECK(a->members_error == NULL && a->got.status == 0 && a->got.n == 64);
		member_list_free(&a->got);
	}
	walk_end(&j);
	tree_free(&t);
}

static void test_discard_while_running(void)
{
	unsigned char wrong[32];
	int before = check_open_fds();

	memset(wrong, 0xee, sizeof(wrong));
	for (int round = 0; round < 5; round++) {
		walk_job j;
		entry e;
		walk_start(&j, root, 1, NULL);
		for (int k = 0; k < 4; k++) {
			e = archive_entry_for(k % 2 ? "a.tar" : "c.tar", wrong, 1);
			ahead_submit(&j, &e);
		}
		if (round % 2) { /* let a job start */
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		walk_discard(&j); /* the parse failed: joins, frees every job */
		CHECK(j.q.v == NULL && j.q.n == 0);
	}
	CHECK(check_open_fds() == before);
}

int main(int argc, char **argv)
{
	const char *base = getenv("EIA_TEST_TMP");
	char cmd[4300], p[4200];

	if (argc > 1 && strcmp(argv[1], "__archive-box") == 0) /* as eia's main */
		return archive_box_main(argc - 1, argv + 1);
	snprintf(root, sizeof(root), "%s/unit-ahead-%d", base ? base : "/tmp", (int)getpid());
	mkdir(base ? base : "/tmp", 0755);
	CHECK(mkdir(root, 0755) == 0);
	write_tar("a.tar", "hello\n", "world\n");
	write_tar("b.tar", "same\n", "bytes\n");
	write_tar("e.tar", "no\n", "members\n");
	write_file("c.tar", "this is not an archive at all, only text\n");
	write_file("dyn.tar", "dynamic\n");
	write_file("f.txt", "a small file\n");
	in_root(p, sizeof(p), "dir.tar");
	CHECK(mkdir(p, 0755) == 0);

	test_read_ahead();
	test_no_speculation();
	write_big_tgz("big.tgz", 64, 256 * 1024);
	test_finish_while_running();
	test_discard_while_running();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return check_done();
}
