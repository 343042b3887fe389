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
	struct archive *top;        /* the outermost reader: raw bytes consumed */
	uint64_t in_size, total, entries;
	uint64_t consumed[ARCHIVE_MAX_DEPTH_CAP + 2];
	int outer_fatal[ARCHIVE_MAX_DEPTH_CAP + 2]; /* a read at this level was FATAL */
	int limit_hit;
	char limit_msg[200];
	char nested_msg[ARCHIVE_MAX_DEPTH_CAP + 2][256];
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

struct archive *archive_box_reader(void)
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

/* The ratio's denominator: raw archive bytes read so far, so that a bomb is
 * stopped early rather than after the whole file is read; but at least the
 * first MiB of the file, so that a legitimate archive opening with a long
 * run of zeros (a padded image) is not taken for one. */
static uint64_t raw_consumed(const box *b)
{
	la_int64_t n = b->top != NULL ? archive_filter_bytes(b->top, -1) : 0;
	uint64_t floor = b->in_size < ((uint64_t)1 << 20) ? b->in_size : (uint64_t)1 << 20;

	if (floor == 0)
		floor = 1;
	return n > 0 && (uint64_t)n > floor ? (uint64_t)n : floor;
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
	} else if (b->total > ((uint64_t)1 << 20) &&
		   b->total / raw_consumed(b) >= b->lim.max_ratio) {
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
		if (n == ARCHIVE_FATAL) /* libarchive 3.6.2 may crash if asked again */
			b->outer_fatal[s->level] = 1;
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
		m->target = normalise(archive_entry_hardlink(ae), &m->target_len);
		return;
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

/* Nested archives up to this size are read from memory, where libarchive
 * can seek: 7z and zip's central directory need it. Larger ones stream. */
static uint64_t nested_memory_cap(const box *b)
{
	return b->lim.max_memory / 16;
}

/* Reads the rest of the current member's data into the digest of `level`,
 * keeping a copy in keep[0..cap) while it fits. Returns 0 or a kind. */
static int pull_data(box *b, struct archive *a, unsigned level, unsigned char *keep,
		     size_t cap, size_t *kept)
{
	la_ssize_t n;

	if (b->outer_fatal[level])
		return FK_MALFORMED;
	while ((n = archive_read_data(a, b->blk[level], BOX_BLOCK)) > 0) {
		digest_ctx_update(&b->dc[level], b->blk[level], (size_t)n);
		if (keep != NULL && (size_t)n <= cap - *kept) {
			memcpy(keep + *kept, b->blk[level], (size_t)n);
			*kept += (size_t)n;
		}
		b->consumed[level] += (uint64_t)n;
		if (count_bytes(b, (size_t)n) != 0)
			return FK_LIMIT_EXCEEDED;
	}
	return n < 0 ? FK_MALFORMED : 0;
}

/* Lists the nested archive open on `in` as the children of m. */
static void follow_nested(box *b, struct archive *in, unsigned level, proto_member *m)
{
	const char *why = NULL;
	int r;

	m->type = ENT_ARCHIVE;
	r = read_entries(b, in, level, &why);
	if (r != 0 && !b->limit_hit) {
		/* the message lives in `in`, which is freed before m is sent */
		snprintf(b->nested_msg[level], sizeof(b->nested_msg[level]), "nested archive: %s",
			 why ? why : "corrupt archive data");
		m->nested = (unsigned)r;
		m->nested_msg = b->nested_msg[level];
	}
}

static void nested_from_stream(box *b, struct archive *a, unsigned level, proto_member *m)
{
	nested_src src = {b, a, level};
	struct archive *in = archive_box_reader();

	if (in != NULL && archive_read_open(in, &src, NULL, nested_read, NULL) == ARCHIVE_OK)
		follow_nested(b, in, level, m);
	if (in != NULL)
		archive_read_free(in);
}

static int nested_from_memory(box *b, struct archive *a, unsigned level, size_t size,
			      proto_member *m)
{
	unsigned char *data = malloc(size);
	size_t kept = 0;
	int r;

	if (data == NULL) {
		nested_from_stream(b, a, level, m);
		return 0;
	}
	r = pull_data(b, a, level, data, size, &kept);
	/* a fresh libarchive reader per member costs more than the magic check */
	if (r == 0 && kept == b->consumed[level] && archive_magic(data, kept)) {
		struct archive *in = archive_box_reader();
		if (in != NULL && archive_read_open_memory(in, data, kept) == ARCHIVE_OK)
			follow_nested(b, in, level, m);
		if (in != NULL)
			archive_read_free(in);
	}
	free(data);
	return r;
}

/* Reads one member's data (files, and hardlinks that carry data); follows
 * a regular member that is itself an archive, within the depth limit. */
static int read_member_data(box *b, struct archive *a, struct archive_entry *ae,
			    unsigned depth, proto_member *m, digest_set *d)
{
	unsigned level = depth + 1;
	la_int64_t declared = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : -1;
	int r = 0;

	digest_ctx_reset(&b->dc[level], NULL);
	b->consumed[level] = 0;
	b->outer_fatal[level] = 0;
	if (m->type == ENT_FILE && depth < b->lim.max_depth) {
		if (declared > 0 && (uint64_t)declared <= nested_memory_cap(b))
			r = nested_from_memory(b, a, level, (size_t)declared, m);
		else
			nested_from_stream(b, a, level, m);
	}
	if (b->limit_hit)
		return FK_LIMIT_EXCEEDED;
	if (r == 0)
		r = pull_data(b, a, level, NULL, 0, NULL);
	if (r != 0)
		return r;
	digest_ctx_final(&b->dc[level], d);
	m->size = b->consumed[level];
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
		const char *name;
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
		if (m.type == ENT_FILE || m.other == OTHER_HARDLINK) {
			r = read_member_data(b, a, ae, depth, &m, &d);
			if (r != 0) {
				*why = r == FK_LIMIT_EXCEEDED && b->limit_hit ? b->limit_msg
					: archive_error_string(a);
				return r;
			}
		}
		m.digests = &d;
		if (m.nested == 0 && (m.path_len > PROTO_MAX_STR || m.target_len > PROTO_MAX_STR)) {
			/* the record truncates it: it must not pass for another name */
			m.nested = FK_MALFORMED;
			m.nested_msg = "member name or link target longer than 65536 bytes";
		}
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

	if (parse_box_args(argc, argv, b) != 0) {
		free(b);
		return 2;
	}
	set_limits(b);
	setlocale(LC_ALL, "C.UTF-8");
	/* member times are never compared: spare mktime() its /etc/localtime reads */
	setenv("TZ", "UTC", 1);
	for (unsigned i = 0; i < ARCHIVE_MAX_DEPTH_CAP + 2; i++)
		digest_ctx_init(&b->dc[i], b->mask, NULL);
	a = archive_box_reader();
	b->top = a;
	if (a == NULL || archive_read_open_fd(a, 0, BOX_BLOCK) != ARCHIVE_OK) {
		proto_put_end(&b->out, a ? PROTO_NOT_ARCHIVE : FK_LIMIT_EXCEEDED,
			      a ? archive_error_string(a) : "out of memory");
	} else {
		r = read_entries(b, a, 0, &why);
		if (b->limit_hit)
			why = b->limit_msg;
		proto_put_end(&b->out, (unsigned)r,
			      r ? (why ? why : "corrupt or truncated archive data") : NULL);
	}
	flush_out(b, 1);
	if (a != NULL)
		archive_read_free(a);
	for (unsigned i = 0; i < ARCHIVE_MAX_DEPTH_CAP + 2; i++)
		digest_ctx_free(&b->dc[i]);
	buf_free(&b->out);
	free(b);
	return 0;
}
