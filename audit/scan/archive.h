/* archive.h - archive members, read with libarchive inside a child process
 * (the "box") under RLIMIT_AS, RLIMIT_CPU and a wall-clock watchdog.
 *
 * Members are streamed, never extracted; nested archives are read from the
 * outer stream up to a depth limit. Member names are data: they are
 * validated and reported, never used as paths. */
#ifndef EIA_ARCHIVE_H
#define EIA_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "model/manifest.h"
#include "report/findings.h"
#include "util/error.h"

typedef struct archive_limits {
	unsigned max_depth;         /* nesting depth (default 4) */
	uint64_t max_entries;       /* entries per top-level archive, nested ones
				     * included (default 200,000) */
	uint64_t max_bytes;         /* decompressed bytes per archive (default 16 GiB) */
	uint64_t max_ratio;         /* decompressed / raw bytes read so far, once
				     * past 1 MiB of each (default 1000) */
	uint64_t max_memory;        /* RLIMIT_AS of the box (default 1 GiB); nested
				     * archives up to 1/16 of it are read from memory */
	unsigned max_seconds;       /* CPU and wall clock of the box (default 300) */
} archive_limits;

void archive_limits_default(archive_limits *l);

/* One member as read from an archive (possibly nested). */
typedef struct member {
	char *path;                 /* bytes as stored; may be invalid */
	size_t path_len;
	entry_type type;            /* FILE, DIR, SYMLINK, ARCHIVE (nested), OTHER */
	const char *other;          /* "hardlink", "fifo", "device"... */
	uint64_t size;
	unsigned mode;
	char *target;               /* symlink or hardlink target */
	digest_set digests;
	struct member *members;     /* nested archive content */
	size_t n_members;
	int nested_status;          /* 0 ok, else a finding kind: the member is unsafe
				     * (hardlink or symlink trick) or, if nested, its
				     * archive could not be read */
	char *nested_message;       /* why, when nested_status != 0 */
} member;

typedef struct member_list {
	member *v;
	size_t n;
	int status;                 /* 0, ARCHIVE_NOT_ARCHIVE, FK_MALFORMED or FK_LIMIT_EXCEEDED */
	char *message;              /* why, when status != 0 */
} member_list;

/* list->status when libarchive does not recognise the data as an archive. */
#define ARCHIVE_NOT_ARCHIVE (-1)

/* Reads the archive open on fd (from its start) in the box. `mask` digests
 * are computed for every member. Errors inside the archive are reported in
 * list->status; EIA_EINPUT only when the box itself cannot run. Hardlinks to
 * an earlier regular file come back as files with their link group's
 * content; other hardlinks, and members whose path goes through a symlink
 * member, come back with nested_status FK_MALFORMED and a message. */
eia_status archive_read_members(int fd, unsigned mask, const archive_limits *lim,
				member_list *list, eia_error *err);
void member_list_free(member_list *l);

/* 1 if the first bytes of fd carry the magic of a format or filter the box
 * reads (a cheap in-process pre-filter; the box makes the decision). */
int archive_probe(int fd);
/* The same test on the first n bytes of data (ARCHIVE_MAGIC_BYTES suffice). */
#define ARCHIVE_MAGIC_BYTES 32774
int archive_magic(const unsigned char *head, size_t n);

/* Compares expected members with those read; appends findings with the
 * member chain below `chain` and fills rec->members. */
typedef struct member_scope {
	const char *path;           /* top-level entry path */
	char **chain;               /* member chain down to this archive */
	size_t depth;
	unsigned compare;           /* CMP_* of the layer */
	unsigned max_depth;
} member_scope;

void archive_compare(const member_scope *scope, const entry *expected,
		     const member_list *got, findings *out, record *rec);

/* A libarchive reader with exactly the formats and filters the box reads
 * (every format but mtree/raw/empty; built-in filters only). Owned by the
 * caller (archive_read_free). Also used by the archive fuzz target. */
struct archive;
struct archive *archive_box_reader(void);

/* The box's child side (the hidden command `eia __archive-box`): argv holds
 * the mask and limits; reads the archive on fd 0, writes records to fd 1.
 * Returns the process exit status. */
int archive_box_main(int argc, char **argv);

#endif
