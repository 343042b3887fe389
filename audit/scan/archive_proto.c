#include "scan/archive_proto.h"

#include <stdlib.h>
#include <string.h>

static void put_u32(buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8),
			      (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
	buf_add(b, x, 4);
}

static void put_u64(buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(buf *b, const char *s, size_t len)
{
	if (s == NULL) {
		put_u32(b, 0xffffffffu);
		return;
	}
	if (len > PROTO_MAX_STR)
		len = PROTO_MAX_STR;
	put_u32(b, (uint32_t)len);
	buf_add(b, s, len);
}

void proto_put_member(buf *out, const proto_member *m)
{
	unsigned char head[4] = {'M', (unsigned char)m->depth, (unsigned char)m->type,
				 (unsigned char)m->other};

	buf_add(out, head, 4);
	put_u64(out, m->size);
	put_u32(out, m->mode);
	put_str(out, m->path, m->path_len);
	put_str(out, m->target, m->target_len);
	buf_addc(out, (char)m->digests->mask);
	for (int i = 0; i < DG_COUNT; i++)
		if (m->digests->mask & DG_MASK(i))
			buf_add(out, m->digests->v[i], digest_algs[i].size);
	buf_addc(out, (char)m->nested);
	put_str(out, m->nested_msg, m->nested_msg ? strlen(m->nested_msg) : 0);
}

void proto_put_end(buf *out, unsigned status, const char *message)
{
	buf_addc(out, 'E');
	buf_addc(out, (char)status);
	put_str(out, message, message ? strlen(message) : 0);
}

typedef struct reader {
	const unsigned char *p;
	size_t left;
	int bad;
} reader;

static const unsigned char *take(reader *r, size_t n)
{
	const unsigned char *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static unsigned get_u8(reader *r)
{
	const unsigned char *p = take(r, 1);
	return p ? p[0] : 0;
}

static uint32_t get_u32(reader *r)
{
	const unsigned char *p = take(r, 4);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		   (uint32_t)p[3] << 24 : 0;
}

static uint64_t get_u64(reader *r)
{
	uint64_t lo = get_u32(r);
	return lo | (uint64_t)get_u32(r) << 32;
}

/* Returns a malloc'd NUL-terminated copy, or NULL when absent. Every string
 * the box sends comes from a C string, so one holding a NUL byte is corrupt
 * (and would end up in a report that no JSON reader accepts). */
static char *get_str(reader *r, size_t *len)
{
	uint32_t n = get_u32(r);
	const unsigned char *p;

	*len = 0;
	if (n == 0xffffffffu || r->bad)
		return NULL;
	if (n > PROTO_MAX_STR || (p = take(r, n)) == NULL || memchr(p, '\0', n) != NULL) {
		r->bad = 1;
		return NULL;
	}
	*len = n;
	return xmemdup0(p, n);
}

/* Pending children per depth: a member at depth d adopts pending[d+1]. */
typedef struct pending {
	member *v;
	size_t n, cap;
} pending;

static void pend_push(pending *p, member *m)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xreallocarray(p->v, p->cap, sizeof(member));
	}
	p->v[p->n++] = *m;
}

/* 1 for the statuses of a read that the box reports: fine, malformed, limit. */
static int read_outcome(int status)
{
	return status == 0 || status == FK_MALFORMED || status == FK_LIMIT_EXCEEDED;
}

static int get_member(reader *r, member *m, unsigned *depth)
{
	static const char *const others[] = {
		[OTHER_NONE] = NULL, [OTHER_HARDLINK] = "hardlink", [OTHER_FIFO] = "fifo",
		[OTHER_CHAR] = "char-device", [OTHER_BLOCK] = "block-device",
		[OTHER_SOCKET] = "socket"};
	unsigned type, other;
	size_t len;

	memset(m, 0, sizeof(*m));
	*depth = get_u8(r);
	type = get_u8(r);
	other = get_u8(r);
	m->size = get_u64(r);
	m->mode = get_u32(r) & 07777;
	m->path = get_str(r, &m->path_len);
	m->target = get_str(r, &len);
	m->digests.mask = get_u8(r) & DG_MASK_ALL;
	for (int i = 0; i < DG_COUNT; i++) {
		const unsigned char *p;
		if ((m->digests.mask & DG_MASK(i)) && (p = take(r, digest_algs[i].size)) != NULL)
			memcpy(m->digests.v[i], p, digest_algs[i].size);
	}
	m->nested_status = (int)get_u8(r);
	m->nested_message = get_str(r, &len);
	/* only what the box writes: "other" exactly for ENT_OTHER, no firmware,
	 * a nested status that is a read outcome */
	if (type > ENT_OTHER || type == ENT_FIRMWARE || other > OTHER_SOCKET ||
	    (type == ENT_OTHER) != (other != OTHER_NONE) || m->path == NULL ||
	    *depth > ARCHIVE_MAX_DEPTH_CAP || !read_outcome(m->nested_status))
		r->bad = 1;
	m->type = (entry_type)type;
	m->other = r->bad ? NULL : others[other];
	return r->bad ? -1 : 0;
}

static void free_member(member *m)
{
	free(m->path);
	free(m->target);
	free(m->nested_message);
	for (size_t i = 0; i < m->n_members; i++)
		free_member(&m->members[i]);
	free(m->members);
}

void member_list_free(member_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free_member(&l->v[i]);
	free(l->v);
	free(l->message);
	memset(l, 0, sizeof(*l));
}

int proto_decode(const unsigned char *p, size_t len, member_list *list)
{
	pending pend[ARCHIVE_MAX_DEPTH_CAP + 2];
	reader r = {p, len, 0};
	int ended = 0;

	memset(pend, 0, sizeof(pend));
	memset(list, 0, sizeof(*list));
	while (!r.bad && !ended && r.left > 0) {
		unsigned tag = get_u8(&r), depth;
		member m;
		size_t mlen;
		if (tag == 'E') {
			unsigned st = get_u8(&r);
			list->status = st == PROTO_NOT_ARCHIVE ? ARCHIVE_NOT_ARCHIVE : (int)st;
			list->message = get_str(&r, &mlen);
			if (st != PROTO_NOT_ARCHIVE && !read_outcome((int)st))
				r.bad = 1;
			ended = !r.bad;
		} else if (tag == 'M' && get_member(&r, &m, &depth) == 0) {
			m.members = pend[depth + 1].v;
			m.n_members = pend[depth + 1].n;
			memset(&pend[depth + 1], 0, sizeof(pending));
			pend_push(&pend[depth], &m);
		} else {
			if (tag == 'M')
				free_member(&m);
			r.bad = 1;
		}
	}
	list->v = pend[0].v;
	list->n = pend[0].n;
	for (size_t d = 1; d < ARCHIVE_MAX_DEPTH_CAP + 2; d++) {
		for (size_t i = 0; i < pend[d].n; i++)
			free_member(&pend[d].v[i]);
		free(pend[d].v);
	}
	return ended ? 0 : -1;
}
