/* fuzz_archive.c - libFuzzer target for the archive reader the box runs.
 *
 * The box's child side (scan/archive_box.c) is not callable in-process: it
 * reads fd 0 and writes fd 1 under rlimits. This target replicates its
 * libarchive setup exactly (archive_box_reader(): the same formats
 * and built-in filters, no mtree, no external programs; C.UTF-8 locale) and
 * its reading pattern: every header, the UTF-8 and raw pathnames, link
 * targets, type and permissions, the data of files and hardlinks in 64 KiB
 * blocks, and nested archives: from memory when the member declares a size
 * up to 64 MiB (nested_from_memory), else from the outer member's data
 * stream (nested_from_stream), then the rest of the member's data.
 * The input is fed as archive_read_open_fd feeds the box (fd_read below).
 * The reader comes from archive_box_reader(), so the two cannot drift apart.
 *
 * Caps: 1000 entries and 16 MiB of decompressed data per input, nesting 3.
 * Findings here are libarchive's: what the box exists to contain. Run with
 * -rss_limit_mb=2048 -timeout=10.
 *
 * The system libarchive carries no coverage instrumentation, so on its own
 * libFuzzer would see only this file's few branches and drop most seeds. The
 * target therefore reports what it observes as libFuzzer "extra counters":
 * format and filter codes, return codes, errno, which error message (its
 * words, not the names or numbers in it), entry types and size classes, per
 * nesting level. Each
 * distinct observation is a feature, which keeps one seed per format and
 * rewards inputs that reach new error paths inside libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/archive.h"

#define FUZZ_MAX_INPUT ((size_t)1 << 20)
#define FUZZ_MAX_ENTRIES 1000
#define FUZZ_MAX_BYTES ((uint64_t)16 << 20)
#define FUZZ_MAX_DEPTH 3
#define FUZZ_MEMORY_CAP ((uint64_t)64 << 20) /* nested_memory_cap: 1 GiB / 16 */
#define FUZZ_BLOCK 65536

#define FEATURES 16384

/* Cleared by libFuzzer before every input; a bump is a coverage feature. */
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t features[FEATURES];

enum {
	F_FORMAT = 1,
	F_FILTER,
	F_HEADER_RC,
	F_ERRNO,
	F_ERROR_TEXT,
	F_TYPE,
	F_NAME_LEN,
	F_DATA_RC,
	F_DATA_LOG,
	F_ENTRIES,
	F_NESTED
};

static void feature(unsigned kind, unsigned depth, uint64_t value)
{
	uint64_t h = 1469598103934665603ull ^ (kind << 8 | depth);

	h = (h ^ value) * 1099511628211ull;
	h ^= h >> 29;
	features[h % FEATURES]++;
}

static unsigned log2_class(uint64_t v)
{
	unsigned c = 0;

	while (v > 0) {
		c++;
		v >>= 1;
	}
	return c;
}

/* The error text as a feature: which message, not the numbers or names
 * quoted in it (letters and spaces of its first 40 bytes, up to a quote,
 * colon or parenthesis), so that it marks an error path in libarchive. */
static void feature_error(struct archive *a, unsigned depth)
{
	const char *e = archive_error_string(a);
	uint64_t h = 1469598103934665603ull;

	feature(F_ERRNO, depth, (uint64_t)(unsigned)archive_errno(a));
	if (e == NULL)
		return;
	for (int i = 0; i < 40 && e[i] && !strchr("'\":(", e[i]); i++)
		if ((e[i] >= 'a' && e[i] <= 'z') || (e[i] >= 'A' && e[i] <= 'Z') || e[i] == ' ')
			h = (h ^ (unsigned char)e[i]) * 1099511628211ull;
	feature(F_ERROR_TEXT, depth, h);
}

typedef struct fuzz_box {
	uint64_t entries, total;
	unsigned sink; /* keeps the reads of entry fields from being optimised away */
	unsigned char blk[FUZZ_MAX_DEPTH + 2][FUZZ_BLOCK];
} fuzz_box;

typedef struct nested_src {
	fuzz_box *b;
	struct archive *outer;
	unsigned level;
	int outer_failed; /* the outer reader returned ARCHIVE_FATAL: use it no more */
} nested_src;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setlocale(LC_ALL, "C.UTF-8"); /* as archive_box_main */
	return 0;
}

static int count_bytes(fuzz_box *b, size_t n)
{
	b->total += n;
	return b->total > FUZZ_MAX_BYTES ? -1 : 0;
}

static la_ssize_t nested_read(struct archive *inner, void *ud, const void **p)
{
	nested_src *s = ud;
	la_ssize_t n = archive_read_data(s->outer, s->b->blk[s->level], FUZZ_BLOCK);

	if (n < 0) {
		if (n == ARCHIVE_FATAL)
			s->outer_failed = 1;
		archive_set_error(inner, EIO, "%s", archive_error_string(s->outer));
		return -1;
	}
	if (n > 0 && count_bytes(s->b, (size_t)n) != 0) {
		archive_set_error(inner, E2BIG, "too many decompressed bytes");
		return -1;
	}
	*p = s->b->blk[s->level];
	return n;
}

static int read_entries(fuzz_box *b, struct archive *a, unsigned depth);

/* pull_data in archive_box.c: the rest of the member's data, kept in
 * keep[0..cap) while it fits. */
static int pull_data(fuzz_box *b, struct archive *a, unsigned level, unsigned char *keep,
		     size_t cap, size_t *kept, uint64_t *consumed)
{
	la_ssize_t n;

	while ((n = archive_read_data(a, b->blk[level], FUZZ_BLOCK)) > 0) {
		if (keep != NULL && (size_t)n <= cap - *kept) {
			memcpy(keep + *kept, b->blk[level], (size_t)n);
			*kept += (size_t)n;
		}
		*consumed += (uint64_t)n;
		if (count_bytes(b, (size_t)n) != 0)
			return -1;
	}
	feature(F_DATA_RC, level, (uint64_t)(n < 0 ? -n : 0));
	feature(F_DATA_LOG, level, log2_class(*consumed));
	if (n < 0)
		feature_error(a, level);
	return n < 0 ? -1 : 0;
}

/* Returns -1 when the outer reader returned ARCHIVE_FATAL under the inner
 * one, and the member's data is not read again (archive_box.c: outer_fatal,
 * pull_data): libarchive 3.6.2's cab reader dereferences NULL when
 * archive_read_data is called again after ARCHIVE_FATAL ("Invalid CFDATA"),
 * which this target found (test_regress_box_cab_read_after_fatal.c). */
static int nested_from_stream(fuzz_box *b, struct archive *a, unsigned level)
{
	nested_src src = {b, a, level, 0};
	struct archive *in = archive_box_reader();

	if (in != NULL && archive_read_open(in, &src, NULL, nested_read, NULL) == ARCHIVE_OK)
		(void)read_entries(b, in, level);
	if (in != NULL)
		archive_read_free(in);
	return src.outer_failed ? -1 : 0;
}

static int nested_from_memory(fuzz_box *b, struct archive *a, unsigned level, size_t size,
			      uint64_t *consumed)
{
	unsigned char *data = malloc(size);
	size_t kept = 0;
	int r;

	if (data == NULL)
		return nested_from_stream(b, a, level);
	r = pull_data(b, a, level, data, size, &kept, consumed);
	if (r == 0 && kept == *consumed) {
		struct archive *in = archive_box_reader();
		if (in != NULL && archive_read_open_memory(in, data, kept) == ARCHIVE_OK)
			(void)read_entries(b, in, level);
		if (in != NULL)
			archive_read_free(in);
	}
	free(data);
	return r;
}

/* read_member_data in archive_box.c: a member that declares a size up to
 * FUZZ_MEMORY_CAP is read into memory and opened from there (libarchive can
 * seek), any other is followed from the stream; then the rest is read. */
static int read_member_data(fuzz_box *b, struct archive *a, struct archive_entry *ae,
			    unsigned depth, int is_file)
{
	unsigned level = depth + 1;
	la_int64_t declared = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : -1;
	uint64_t consumed = 0;
	int r = 0;

	if (is_file && depth < FUZZ_MAX_DEPTH) {
		feature(F_NESTED, depth, declared > 0 && (uint64_t)declared <= FUZZ_MEMORY_CAP);
		if (declared > 0 && (uint64_t)declared <= FUZZ_MEMORY_CAP)
			r = nested_from_memory(b, a, level, (size_t)declared, &consumed);
		else
			r = nested_from_stream(b, a, level);
	}
	if (b->total > FUZZ_MAX_BYTES || b->entries > FUZZ_MAX_ENTRIES)
		return -1;
	if (r == 0)
		r = pull_data(b, a, level, NULL, 0, NULL, &consumed);
	return r;
}

/* The entry fields the box reads (classify, normalise). */
static void touch_entry(fuzz_box *b, struct archive_entry *ae)
{
	const char *s[4] = {archive_entry_pathname_utf8(ae), archive_entry_pathname(ae),
			    archive_entry_hardlink(ae), archive_entry_symlink(ae)};

	for (int i = 0; i < 4; i++) {
		size_t len = s[i] != NULL ? strlen(s[i]) : 0;
		b->sink += (unsigned)len;
		feature(F_NAME_LEN, (unsigned)i, s[i] != NULL ? 1 + log2_class(len) : 0);
	}
	b->sink += (unsigned)archive_entry_filetype(ae) + (unsigned)archive_entry_perm(ae);
	feature(F_TYPE, 0,
		(uint64_t)archive_entry_filetype(ae) << 1 |
			(uint64_t)archive_entry_size_is_set(ae));
}

static void feature_formats(struct archive *a, unsigned depth)
{
	feature(F_FORMAT, depth, (uint64_t)(unsigned)archive_format(a));
	for (int i = 0; i < archive_filter_count(a); i++)
		feature(F_FILTER, depth,
			(uint64_t)(unsigned)archive_filter_code(a, i) << 4 | (unsigned)i);
}

static int read_entries(fuzz_box *b, struct archive *a, unsigned depth)
{
	struct archive_entry *ae;

	for (uint64_t n = 0;; n++) {
		int r = archive_read_next_header(a, &ae);
		feature(F_HEADER_RC, depth, (uint64_t)(r + 64));
		feature(F_ENTRIES, depth, log2_class(n));
		if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
			feature_error(a, depth);
		if (n == 0)
			feature_formats(a, depth);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN || ++b->entries > FUZZ_MAX_ENTRIES)
			return -1;
		touch_entry(b, ae);
		/* as classify(): files, and hardlinks (which may carry data) */
		int link = archive_entry_hardlink(ae) != NULL;
		int file = !link && (archive_entry_filetype(ae) == AE_IFREG ||
				     archive_entry_filetype(ae) == 0);
		if ((file || link) && read_member_data(b, a, ae, depth, file) != 0)
			return -1;
	}
}

/* The input as the box sees its fd 0 through archive_read_open_fd(a, 0,
 * 65536): reads of one block at a time and a skip callback (the fd is the
 * archive file itself, so lseek works), no seek callback. Reading from
 * memory instead would change how libarchive's readers buffer and skip. */
typedef struct fd_like {
	const uint8_t *data;
	size_t size, off;
} fd_like;

static la_ssize_t fd_read(struct archive *a, void *ud, const void **p)
{
	fd_like *f = ud;
	size_t n = f->size - f->off < FUZZ_BLOCK ? f->size - f->off : FUZZ_BLOCK;

	(void)a;
	*p = f->data + f->off;
	f->off += n;
	return (la_ssize_t)n;
}

static la_int64_t fd_skip(struct archive *a, void *ud, la_int64_t request)
{
	fd_like *f = ud;
	uint64_t left = f->size - f->off;

	(void)a;
	/* archive_read_open_fd skips whole 64 KiB blocks only, as here */
	request = request / FUZZ_BLOCK * FUZZ_BLOCK;
	if (request <= 0)
		return 0;
	if ((uint64_t)request > left)
		request = (la_int64_t)left;
	f->off += (size_t)request;
	return request;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fd_like in = {data, size, 0};
	fuzz_box *b;
	struct archive *a;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	b = calloc(1, sizeof(*b));
	a = archive_box_reader();
	if (a != NULL) {
		archive_read_set_read_callback(a, fd_read);
		archive_read_set_skip_callback(a, fd_skip);
		archive_read_set_callback_data(a, &in);
	}
	if (b != NULL && a != NULL && archive_read_open1(a) == ARCHIVE_OK)
		(void)read_entries(b, a, 0);
	if (a != NULL)
		archive_read_free(a);
	free(b);
	return 0;
}
