/* archive_box.c - the child side of the archive box.
 *
 * Runs as `eia __archive-box MASK DEPTH ENTRIES BYTES RATIO MEMORY SECONDS`
 * with the archive on fd 0 and a pipe on fd 1. It caps its own address
 * space, CPU time and file size before libarchive sees a byte, reads every
 * member (nested archives from the outer stream, never from disk) and writes
 * one binary record per member, children before their parent, then an end
 * record. Whatever libarchive does with hostile input stays in here. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan/archive.h"
#include "scan/archive_proto.h"
#include "scan/digest.h"
#include "util/buf.h"

#define BOX_BLOCK 65536

typedef struct box {
	unsigned mask;
	archive_limits lim;
	uint64_t in_size, total, entries;
	uint64_t consumed[ARCHIVE_MAX_DEPTH_CAP + 2];
	int limit_hit;
	char limit_msg[200];
	buf out;
	digest_ctx dc[ARCHIVE_MAX_DEPTH_CAP + 2];
	unsigned char blk[ARCHIVE_MAX_DEPTH_CAP + 2][BOX_BLOCK];
} box;

static void flush_out(box *b, int force)
{
	if (!force && b->out.len < 65536)
		return;
	size_t off = 0;
	while (off < b->out.len) {
		ssize_t n = write(1, b->out.data + off, b->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	b->out.len = 0;
}

static struct archive *new_reader(void)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	/* every archive format except mtree (it names files on disk), raw, empty */
	archive_read_support_format_7zip(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_lha(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_warc(a);
	archive_read_support_format_xar(a);
	archive_read_support_format_zip(a);
	/* built-in decompressors only: no external filter programs */
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_compress(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_lzip(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_rpm(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	return a;
}

/* Counts decompressed bytes against the total and ratio limits. */
static int count_bytes(box *b, size_t n)
{
	b->total += n;
	if (b->total > b->lim.max_bytes) {
		snprintf(b->limit_msg, sizeof(b->limit_msg),
			 "more than %llu decompressed bytes (--max-bytes)",
			 (unsigned long long)b->lim.max_bytes);
		b->limit_hit = 1;
	} else if (b->total > ((uint64_t)1 << 20) && b->in_size > 0 &&
		   b->total / b->in_size >= b->lim.max_ratio) {
		snprintf(b->limit_msg, sizeof(b->limit_msg),
			 "decompression ratio above %llu:1 (--max-ratio)",
			 (unsigned long long)b->lim.max_ratio);
		b->limit_hit = 1;
	}
	return b->limit_hit ? -1 : 0;
}

typedef struct nested_src {
	box *b;
	struct archive *outer;
	unsigned level;
} nested_src;

/* Feeds the inner reader from the outer member's data, hashing as it goes. */
static la_ssize_t nested_read(struct archive *inner, void *ud, const void **p)
{
	nested_src *s = ud;
	box *b = s->b;
	la_ssize_t n = archive_read_data(s->outer, b->blk[s->level], BOX_BLOCK);

	if (n < 0) {
		archive_set_error(inner, EIO, "%s", archive_error_string(s->outer));
		return -1;
	}
	if (n > 0) {
		digest_ctx_update(&b->dc[s->level], b->blk[s->level], (size_t)n);
		b->consumed[s->level] += (uint64_t)n;
		if (count_bytes(b, (size_t)n) != 0) {
			archive_set_error(inner, E2BIG, "%s", b->limit_msg);
			return -1;
		}
	}
	*p = b->blk[s->level];
	return n;
}

/* Member names are data: strip "./" prefixes and trailing '/' only. */
static const char *normalise(const char *p, size_t *len)
{
	size_t n = strlen(p);

	while (n >= 2 && p[0] == '.' && p[1] == '/') {
		p += 2;
		n -= 2;
		while (n > 0 && p[0] == '/' && n > 1 && p[1] == '/') {
			p++;
			n--;
		}
	}
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1 && p[0] == '.')
		n = 0;
	*len = n;
	return p;
}

static void classify(struct archive_entry *ae, proto_member *m)
{
	mode_t t = archive_entry_filetype(ae);

	m->type = ENT_OTHER;
	m->other = OTHER_NONE;
	if (archive_entry_hardlink(ae) != NULL) {
		m->other = OTHER_HARDLINK;
		m->target = archive_entry_hardlink(ae);
	} else if (t == AE_IFREG || t == 0) {
		m->type = ENT_FILE;
	} else if (t == AE_IFDIR) {
		m->type = ENT_DIR;
	} else if (t == AE_IFLNK) {
		m->type = ENT_SYMLINK;
		m->target = archive_entry_symlink(ae);
		if (m->target == NULL)
			m->target = "";
	} else {
		m->other = t == AE_IFIFO ? OTHER_FIFO : t == AE_IFCHR ? OTHER_CHAR
			 : t == AE_IFBLK ? OTHER_BLOCK : OTHER_SOCKET;
	}
	if (m->target != NULL)
		m->target_len = strlen(m->target);
}

static int read_entries(box *b, struct archive *a, unsigned depth, const char **why);

/* Reads one regular member's data; follows it if it is itself an archive. */
static int read_member_data(box *b, struct archive *a, unsigned depth, proto_member *m,
			    digest_set *d, const char **nested_msg)
{
	digest_ctx *dc = &b->dc[depth + 1];
	la_ssize_t n;

	digest_ctx_reset(dc, NULL);
	b->consumed[depth + 1] = 0;
	if (depth < b->lim.max_depth) {
		nested_src src = {b, a, depth + 1};
		struct archive *in = new_reader();
		if (in != NULL && archive_read_open(in, &src, NULL, nested_read, NULL) == ARCHIVE_OK) {
			m->type = ENT_ARCHIVE;
			const char *why = NULL;
			int r = read_entries(b, in, depth + 1, &why);
			if (r != 0 && !b->limit_hit) {
				m->nested = (unsigned)r;
				*nested_msg = why;
			}
		}
		if (in != NULL)
			archive_read_free(in);
		if (b->limit_hit)
			return FK_LIMIT_EXCEEDED;
	}
	while ((n = archive_read_data(a, b->blk[depth + 1], BOX_BLOCK)) > 0) {
		digest_ctx_update(dc, b->blk[depth + 1], (size_t)n);
		b->consumed[depth + 1] += (uint64_t)n;
		if (count_bytes(b, (size_t)n) != 0)
			return FK_LIMIT_EXCEEDED;
	}
	if (n < 0)
		return FK_MALFORMED;
	digest_ctx_final(dc, d);
	m->size = b->consumed[depth + 1];
	return 0;
}

static int header_error(struct archive *a, const char **why)
{
	*why = archive_error_string(a);
	if (*why == NULL)
		*why = "corrupt archive data";
	return archive_errno(a) == ENOMEM ? FK_LIMIT_EXCEEDED : FK_MALFORMED;
}

/* Reads every member of a; returns 0 or a finding kind with *why set. */
static int read_entries(box *b, struct archive *a, unsigned depth, const char **why)
{
	struct archive_entry *ae;

	for (;;) {
		proto_member m;
		digest_set d;
		const char *nested_msg = NULL, *name;
		int r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return header_error(a, why);
		if (++b->entries > b->lim.max_entries) {
			snprintf(b->limit_msg, sizeof(b->limit_msg),
				 "more than %llu entries (--max-entries)",
				 (unsigned long long)b->lim.max_entries);
			b->limit_hit = 1;
			return FK_LIMIT_EXCEEDED;
		}
		memset(&m, 0, sizeof(m));
		memset(&d, 0, sizeof(d));
		m.depth = depth;
		name = archive_entry_pathname_utf8(ae);
		if (name == NULL)
			name = archive_entry_pathname(ae);
		if (name == NULL)
			name = "";
		m.path = normalise(name, &m.path_len);
		classify(ae, &m);
		m.mode = (unsigned)archive_entry_perm(ae) & 07777;
		if (m.type == ENT_FILE) {
			r = read_member_data(b, a, depth, &m, &d, &nested_msg);
			if (r != 0) {
				*why = r == FK_LIMIT_EXCEEDED && b->limit_hit ? b->limit_msg
					: archive_error_string(a);
				return r;
			}
		}
		m.digests = &d;
		m.nested_msg = nested_msg;
		if (m.path_len > 0) /* the "./" entry of the archive itself */
			proto_put_member(&b->out, &m);
		flush_out(b, 0);
	}
}

static void set_limits(const box *b)
{
	struct rlimit cpu = {b->lim.max_seconds, b->lim.max_seconds + 1};
	struct rlimit none = {0, 0};

	setrlimit(RLIMIT_CPU, &cpu);
	setrlimit(RLIMIT_FSIZE, &none); /* the box never writes a file */
	setrlimit(RLIMIT_CORE, &none);
#if defined(__SANITIZE_ADDRESS__)
#define EIA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EIA_ASAN 1
#endif
#endif
#ifndef EIA_ASAN
	/* AddressSanitizer reserves terabytes of shadow memory: no RLIMIT_AS there */
	struct rlimit as = {b->lim.max_memory, b->lim.max_memory};
	setrlimit(RLIMIT_AS, &as);
#endif
}

static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int parse_box_args(int argc, char **argv, box *b)
{
	uint64_t v[8];

	if (argc != 9)
		return -1;
	for (int i = 0; i < 8; i++)
		if (parse_u64(argv[i + 1], &v[i]) != 0)
			return -1;
	b->mask = (unsigned)(v[0] & DG_MASK_ALL) | DG_MASK(DG_SHA256);
	b->lim.max_depth = (unsigned)(v[1] > ARCHIVE_MAX_DEPTH_CAP ? ARCHIVE_MAX_DEPTH_CAP : v[1]);
	b->lim.max_entries = v[2];
	b->lim.max_bytes = v[3];
	b->lim.max_ratio = v[4] ? v[4] : 1;
	b->lim.max_memory = v[5];
	b->lim.max_seconds = (unsigned)(v[6] > 86400 ? 86400 : v[6]);
	b->in_size = v[7];
	return 0;
}

int archive_box_main(int argc, char **argv)
{
	box *b = xcalloc(1, sizeof(*b));
	struct archive *a;
	const char *why = NULL;
	int r;

	if (parse_box_args(argc, argv, b) != 0)
		return 2;
	set_limits(b);
	setlocale(LC_ALL, "C.UTF-8");
	for (unsigned i = 0; i < ARCHIVE_MAX_DEPTH_CAP + 2; i++)
		digest_ctx_init(&b->dc[i], b->mask, NULL);
	a = new_reader();
	if (a == NULL || archive_read_open_fd(a, 0, BOX_BLOCK) != ARCHIVE_OK) {
		proto_put_end(&b->out, a ? PROTO_NOT_ARCHIVE : FK_LIMIT_EXCEEDED,
			      a ? archive_error_string(a) : "out of memory");
	} else {
		r = read_entries(b, a, 0, &why);
		proto_put_end(&b->out, (unsigned)r, r ? (why ? why : "corrupt archive") : NULL);
	}
	flush_out(b, 1);
	if (a != NULL)
		archive_read_free(a);
	return 0;
}
