/* digest.h - the digest algorithms eia knows, as one table, and a
 * multi-digest context that hashes each byte once for every algorithm in a
 * mask. md5 and sha1 are deliberately absent. Contexts are reusable:
 * digest_ctx_reset starts a new message without reallocating. */
#ifndef EIA_DIGEST_H
#define EIA_DIGEST_H

#include <stddef.h>

#include "util/error.h"

enum { DG_SHA256, DG_SHA512, DG_SHA3_256, DG_BLAKE2B512, DG_COUNT };
#define DG_MAX_SIZE 64
#define DG_MASK(i) (1u << (i))
#define DG_MASK_ALL ((1u << DG_COUNT) - 1)

typedef struct digest_alg {
	const char *name;     /* manifest/report key: "sha256" */
	const char *evp_name; /* OpenSSL name: "SHA256" */
	size_t size;          /* bytes */
} digest_alg;

extern const digest_alg digest_algs[DG_COUNT];

typedef struct digest_set {
	unsigned mask; /* which v[i] are set */
	unsigned char v[DG_COUNT][DG_MAX_SIZE];
} digest_set;

/* Index for a manifest key, or -1. */
int digest_by_name(const char *name);
/* 1 if every algorithm present in both sets matches and `want` has at least one. */
int digest_set_match(const digest_set *want, const digest_set *got);

typedef struct digest_ctx {
	void *md[DG_COUNT]; /* EVP_MD_CTX * */
	unsigned mask;
} digest_ctx;

eia_status digest_ctx_init(digest_ctx *c, unsigned mask, eia_error *err);
eia_status digest_ctx_reset(digest_ctx *c, eia_error *err);
void digest_ctx_update(digest_ctx *c, const void *p, size_t n);
void digest_ctx_final(digest_ctx *c, digest_set *out);
void digest_ctx_free(digest_ctx *c);

/* One-shot SHA-256 of a buffer. */
void sha256_buf(const void *p, size_t n, unsigned char out[32]);

#endif
