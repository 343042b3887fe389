/* Unit tests of the scanning layer: hash_fd against one-shot OpenSSL
 * digests (whole, regions, chunks in one pass), the walk, the rollback
 * state rules, the archive record stream, and findings ordering. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model/state.h"
#include "report/findings.h"
#include "scan/archive_proto.h"
#include "scan/engine.h"
#include "scan/walk.h"

static char tmpdir[4096];

static void sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
	EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

struct hash_job {
	const char *path;
	fw_plan *fw;
	hash_result hr;
};

static void run_hash(void *ctx, size_t i, worker *w)
{
	struct hash_job *j = (struct hash_job *)ctx + i;
	int fd = open(j->path, O_RDONLY);

	hash_fd(w, fd, DG_MASK(DG_SHA256) | DG_MASK(DG_SHA512), j->fw, &j->hr);
	close(fd);
}

static void test_hash_regions_chunks(void)
{
	size_t size = 3 * 1048576 + 12345;
	unsigned char *data = malloc(size), want[32];
	char path[4200];
	fw_region regions[2] = {{.offset = 0, .length = 65536},
				{.offset = 1048000, .length = 2000000}};
	unsigned char chunks[8][32];
	fw_plan fw = {regions, 2, 1048576, chunks, 8, 0};
	struct hash_job job = {path, &fw, {0}};
	eia_error err;
	FILE *f;

	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	snprintf(path, sizeof(path), "%s/image.bin", tmpdir);
	f = fopen(path, "wb");
	fwrite(data, 1, size, f);
	fclose(f);
	CHECK(engine_run(1, 1, run_hash, &job, &err) == EIA_OK);
	CHECK(job.hr.bytes == size && job.hr.error == 0);
	sha256(data, size, want);
	CHECK(memcmp(job.hr.digests.v[DG_SHA256], want, 32) == 0);
	CHECK(job.hr.digests.mask == (DG_MASK(DG_SHA256) | DG_MASK(DG_SHA512)));
	sha256(data, 65536, want);
	CHECK(regions[0].complete && memcmp(regions[0].got.v[DG_SHA256], want, 32) == 0);
	sha256(data + 1048000, 2000000, want);
	CHECK(regions[1].complete && memcmp(regions[1].got.v[DG_SHA256], want, 32) == 0);
	CHECK(fw.n_chunks == 4);
	for (size_t i = 0; i < 4; i++) {
		size_t len = i < 3 ? 1048576 : 12345;
		sha256(data + i * 1048576, len, want);
		CHECK(memcmp(chunks[i], want, 32) == 0);
	}
	/* a region past the end is reported incomplete */
	regions[1].length = size;
	CHECK(engine_run(1, 1, run_hash, &job, &err) == EIA_OK);
	CHECK(!regions[1].complete);
	unlink(path);
	free(data);
}

static void test_walk(void)
{
	char root[4200], p[4400];
	tree t;
	eia_error err;
	const node *n;

	snprintf(root, sizeof(root), "%s/walk", tmpdir);
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/a-b", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/a/f", root);
	close(open(p, O_CREAT | O_WRONLY, 0640));
	snprintf(p, sizeof(p), "%s/a/link", root);
	CHECK(symlink("../../outside", p) == 0);
	snprintf(p, sizeof(p), "%s/fifo", root);
	CHECK(mkfifo(p, 0600) == 0);
	CHECK(walk_tree(root, &t, &err) == EIA_OK);
	CHECK(t.n == 5);
	CHECK_STR(t.v[0].path, "a");
	CHECK_STR(t.v[1].path, "a-b");   /* sorted as whole paths: '-' < '/' */
	CHECK_STR(t.v[2].path, "a/f");
	n = tree_find(&t, "a/link");
	CHECK(n != NULL && n->type == ENT_SYMLINK && strcmp(n->target, "../../outside") == 0);
	n = tree_find(&t, "fifo");
	CHECK(n != NULL && n->type == ENT_OTHER && strcmp(n->other, "fifo") == 0);
	CHECK(tree_find(&t, "a")->mode == 0700);
	/* the symlink is never followed when opening, the fifo never opened */
	CHECK(walk_open_file(t.root_fd, "a/link", NULL, 0) < 0);
	CHECK(walk_open_file(t.root_fd, "fifo", NULL, 0) < 0);
	int fd = walk_open_file(t.root_fd, "a/f", tree_find(&t, "a/f"), 0);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* an inode other than the walked one is refused */
	CHECK(walk_open_file(t.root_fd, "a/f", tree_find(&t, "a"), 0) < 0);
	tree_free(&t);
}

static void test_state_rules(void)
{
	state s = {0};
	unsigned char d1[32] = {1}, d2[32] = {2};
	eia_error err;

	CHECK(state_check(&s, "x", 5, d1, &err) == EIA_OK);
	state_record(&s, "x", 5, d1);
	CHECK(state_check(&s, "x", 5, d1, &err) == EIA_OK);
	CHECK(state_check(&s, "x", 4, d1, &err) == EIA_ETRUST && strstr(err.msg, "rollback"));
	CHECK(state_check(&s, "x", 5, d2, &err) == EIA_ETRUST && strstr(err.msg, "equivocation"));
	CHECK(state_check(&s, "x", 6, d2, &err) == EIA_OK);
	CHECK(state_check(&s, "y", 1, d2, &err) == EIA_OK);
	state_record(&s, "x", 3, d2); /* never lowers */
	CHECK(s.n == 1 && s.v[0].serial == 5);
	state_free(&s);
}

static void test_proto_round_trip(void)
{
	buf b;
	digest_set d = {DG_MASK(DG_SHA256), {{0}}};
	proto_member inner = {1, ENT_FILE, OTHER_NONE, 3, 0644, "x", 1, NULL, 0, &d, 0, NULL};
	proto_member outer = {0, ENT_ARCHIVE, OTHER_NONE, 10, 0600, "in.zip", 6, NULL, 0, &d, 0, NULL};
	proto_member link = {0, ENT_SYMLINK, OTHER_NONE, 0, 0777, "l", 1, "t", 1, &d, 0, NULL};
	member_list l;

	memset(d.v[DG_SHA256], 0xab, 32);
	buf_init(&b);
	proto_put_member(&b, &inner);
	proto_put_member(&b, &outer);
	proto_put_member(&b, &link);
	proto_put_end(&b, 0, NULL);
	CHECK(proto_decode(b.data, b.len, &l) == 0);
	CHECK(l.n == 2 && l.status == 0);
	CHECK(l.v[0].type == ENT_ARCHIVE && l.v[0].n_members == 1);
	CHECK(strcmp(l.v[0].members[0].path, "x") == 0 && l.v[0].members[0].size == 3);
	CHECK(l.v[1].type == ENT_SYMLINK && strcmp(l.v[1].target, "t") == 0);
	CHECK(l.v[0].members[0].digests.v[DG_SHA256][31] == 0xab);
	member_list_free(&l);
	/* every truncation of the stream is refused, never read past */
	for (size_t cut = 0; cut < b.len; cut++) {
		CHECK(proto_decode(b.data, cut, &l) != 0);
		member_list_free(&l);
	}
	buf_free(&b);
}

static void test_findings_order(void)
{
	findings f = {0};
	char *chain[] = {"z"};

	finding_add(&f, FK_MODIFIED, SEV_FAIL, "b", 1, NULL, 0, "m");
	finding_add(&f, FK_MEMBER_MISSING, SEV_FAIL, "a", 1, chain, 1, "m");
	finding_add(&f, FK_MODIFIED, SEV_FAIL, "a", 1, NULL, 0, "m");
	finding_add(&f, FK_MISSING, SEV_FAIL, "a", 1, NULL, 0, "m");
	findings_sort(&f);
	CHECK(strcmp(f.v[0].path, "a") == 0 && f.v[0].kind == FK_MISSING);
	CHECK(f.v[1].kind == FK_MODIFIED && f.v[1].n_member == 0);
	CHECK(f.v[2].n_member == 1);
	CHECK(strcmp(f.v[3].path, "b") == 0);
	CHECK_STR(finding_kind_name(FK_LIMIT_EXCEEDED), "limit-exceeded");
	findings_free(&f);
}

int main(void)
{
	const char *base = getenv("EIA_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/unit-scan-%d", base ? base : "/tmp", (int)getpid());
	mkdir(base ? base : "/tmp", 0755);
	mkdir(tmpdir, 0755);
	test_hash_regions_chunks();
	test_walk();
	test_state_rules();
	test_proto_round_trip();
	test_findings_order();
	{
		char cmd[4300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return check_done();
}
