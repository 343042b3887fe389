/* test_regress_proto_nul_name.c - found by fuzz_archive_proto: a record
 * stream naming a member "a\0b" decoded fine, and the audit then wrote a
 * report holding "a\u0000b", which report_read (and so `eia render` and
 * `eia verify`) refuses. The box only ever sends C strings, so the parent now
 * treats a NUL byte in any string as a corrupt stream. The same test pins the
 * other checks added with it: a nested or end status that is not a read
 * outcome, and a type "other" without its kind (the report would say
 * "type": null), are corrupt streams too. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scan/archive.h"
#include "scan/archive_proto.h"
#include "util/buf.h"

static void put_u32(buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	buf_add(b, x, 4);
}

/* One 'M' record: depth 0, no digests, no target, no nested message. */
static void put_member(buf *b, unsigned type, unsigned other, const char *path, size_t len,
		       unsigned nested)
{
	unsigned char head[4] = {'M', 0, (unsigned char)type, (unsigned char)other};

	buf_add(b, head, 4);
	put_u32(b, 1); /* size */
	put_u32(b, 0);
	put_u32(b, 0644); /* mode */
	put_u32(b, (uint32_t)len);
	buf_add(b, path, len);
	put_u32(b, 0xffffffffu); /* no target */
	buf_addc(b, 0); /* digest mask */
	buf_addc(b, (char)nested);
	put_u32(b, 0xffffffffu); /* no nested message */
}

static void put_end(buf *b, unsigned status)
{
	buf_addc(b, 'E');
	buf_addc(b, (char)status);
	put_u32(b, 0xffffffffu);
}

static int decode(const buf *b, member_list *l)
{
	return proto_decode(b->data, b->len, l);
}

int main(void)
{
	member_list l;
	buf b;

	/* the well-formed stream decodes */
	buf_init(&b);
	put_member(&b, ENT_FILE, OTHER_NONE, "ab", 2, 0);
	put_end(&b, 0);
	CHECK(decode(&b, &l) == 0 && l.n == 1 && l.v[0].path_len == 2);
	member_list_free(&l);
	buf_free(&b);

	/* the crashing input, minimised: a NUL inside the member name */
	buf_init(&b);
	put_member(&b, ENT_SYMLINK, OTHER_NONE, "a\0b", 3, 0);
	put_end(&b, 0);
	CHECK(decode(&b, &l) == -1);
	member_list_free(&l);
	buf_free(&b);

	/* a NUL in the end record's message */
	buf_init(&b);
	buf_addc(&b, 'E');
	buf_addc(&b, (char)FK_MALFORMED);
	put_u32(&b, 3);
	buf_add(&b, "x\0y", 3);
	CHECK(decode(&b, &l) == -1);
	member_list_free(&l);
	buf_free(&b);

	/* type ENT_OTHER with no kind: the report would carry "type": null */
	buf_init(&b);
	put_member(&b, ENT_OTHER, OTHER_NONE, "x", 1, 0);
	put_end(&b, 0);
	CHECK(decode(&b, &l) == -1);
	member_list_free(&l);
	buf_free(&b);

	/* a nested status that no read produces (FK_UNLISTED) */
	buf_init(&b);
	put_member(&b, ENT_ARCHIVE, OTHER_NONE, "in.zip", 6, FK_UNLISTED);
	put_end(&b, 0);
	CHECK(decode(&b, &l) == -1);
	member_list_free(&l);
	buf_free(&b);

	/* an end status that no read produces; and the ones that are */
	buf_init(&b);
	put_end(&b, 200);
	CHECK(decode(&b, &l) == -1);
	member_list_free(&l);
	buf_free(&b);
	buf_init(&b);
	put_end(&b, PROTO_NOT_ARCHIVE);
	CHECK(decode(&b, &l) == 0 && l.status == ARCHIVE_NOT_ARCHIVE);
	member_list_free(&l);
	buf_free(&b);
	buf_init(&b);
	put_end(&b, FK_LIMIT_EXCEEDED);
	CHECK(decode(&b, &l) == 0 && l.status == FK_LIMIT_EXCEEDED);
	member_list_free(&l);
	buf_free(&b);
	return check_done();
}
