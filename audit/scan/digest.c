#include "scan/digest.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

const digest_alg digest_algs[DG_COUNT] = {
	[DG_SHA256] = {.name = "sha256", .evp_name = "SHA256", .size = 32},
	[DG_SHA512] = {.name = "sha512", .evp_name = "SHA512", .size = 64},
	[DG_SHA3_256] = {.name = "sha3-256", .evp_name = "SHA3-256", .size = 32},
	[DG_BLAKE2B512] = {.name = "blake2b512", .evp_name = "BLAKE2B-512", .size = 64},
};

/* Fetched once; immutable afterwards and shared by all threads. */
static EVP_MD *fetched[DG_COUNT];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	for (int i = 0; i < DG_COUNT; i++)
		fetched[i] = EVP_MD_fetch(NULL, digest_algs[i].evp_name, NULL);
}

int digest_by_name(const char *name)
{
	for (int i = 0; i < DG_COUNT; i++)
		if (strcmp(digest_algs[i].name, name) == 0)
			return i;
	return -1;
}

int digest_set_match(const digest_set *want, const digest_set *got)
{
	unsigned common = want->mask & got->mask;

	if (want->mask == 0 || common != want->mask)
		return 0;
	for (int i = 0; i < DG_COUNT; i++)
		if ((common & DG_MASK(i)) &&
		    memcmp(want->v[i], got->v[i], digest_algs[i].size) != 0)
			return 0;
	return 1;
}

eia_status digest_ctx_init(digest_ctx *c, unsigned mask, eia_error *err)
{
	pthread_once(&fetch_once, fetch_all);
	memset(c, 0, sizeof(*c));
	c->mask = mask;
	for (int i = 0; i < DG_COUNT; i++) {
		if (!(mask & DG_MASK(i)))
			continue;
		if (fetched[i] == NULL) {
			digest_ctx_free(c);
			return eia_fail(err, EIA_EINPUT, "digest %s: not available in OpenSSL",
					digest_algs[i].name);
		}
		c->md[i] = EVP_MD_CTX_new();
		if (c->md[i] == NULL || !EVP_DigestInit_ex2(c->md[i], fetched[i], NULL)) {
			digest_ctx_free(c);
			return eia_fail(err, EIA_EINPUT, "digest %s: cannot initialise",
					digest_algs[i].name);
		}
	}
	return EIA_OK;
}

eia_status digest_ctx_reset(digest_ctx *c, eia_error *err)
{
	for (int i = 0; i < DG_COUNT; i++)
		if (c->md[i] != NULL && !EVP_DigestInit_ex2(c->md[i], fetched[i], NULL))
			return eia_fail(err, EIA_EINPUT, "digest %s: cannot reset",
					digest_algs[i].name);
	return EIA_OK;
}

void digest_ctx_update(digest_ctx *c, const void *p, size_t n)
{
	for (int i = 0; i < DG_COUNT; i++)
		if (c->md[i] != NULL)
			EVP_DigestUpdate(c->md[i], p, n);
}

void digest_ctx_final(digest_ctx *c, digest_set *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < DG_COUNT; i++) {
		if (c->md[i] == NULL)
			continue;
		EVP_DigestFinal_ex(c->md[i], out->v[i], NULL);
		out->mask |= DG_MASK(i);
	}
}

void digest_ctx_free(digest_ctx *c)
{
	for (int i = 0; i < DG_COUNT; i++) {
		EVP_MD_CTX_free(c->md[i]);
		c->md[i] = NULL;
	}
}

void sha256_buf(const void *p, size_t n, unsigned char out[32])
{
	EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}
