/* archive_proto.h - the record stream from the archive box to its parent.
 *
 *   'M' depth:u8 type:u8 other:u8 size:u64 mode:u32 path:str target:str
 *       mask:u8 digests... nested:u8 nested_msg:str     (children first)
 *   'E' status:u8 message:str                           (last record)
 *
 * str = u32 length + bytes (0xffffffff: absent); integers little-endian.
 * The parent decodes with every length checked against what remains. */
#ifndef EIA_ARCHIVE_PROTO_H
#define EIA_ARCHIVE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "scan/archive.h"
#include "util/buf.h"

#define ARCHIVE_MAX_DEPTH_CAP 32
#define PROTO_MAX_STR 65536
#define PROTO_NOT_ARCHIVE 255

enum { OTHER_NONE, OTHER_HARDLINK, OTHER_FIFO, OTHER_CHAR, OTHER_BLOCK, OTHER_SOCKET };

typedef struct proto_member {
	unsigned depth;
	entry_type type;
	unsigned other;
	uint64_t size;
	unsigned mode;
	const char *path;
	size_t path_len;
	const char *target;     /* NULL: none */
	size_t target_len;
	const digest_set *digests;
	unsigned nested;        /* 0 or a finding kind */
	const char *nested_msg; /* NULL: none */
} proto_member;

void proto_put_member(buf *out, const proto_member *m);
void proto_put_end(buf *out, unsigned status, const char *message);
/* Decodes a complete stream into list. Returns 0, or -1 if the stream is
 * corrupt or truncated (no end record). */
int proto_decode(const unsigned char *p, size_t len, member_list *list);

#endif
