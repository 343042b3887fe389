/* crypto.h - the only place that makes keys, signs and verifies (OpenSSL EVP).
 *
 * Algorithms (SPEC.md): Ed25519 (default, pure EdDSA over the raw bytes);
 * ECDSA P-256/SHA-256 and P-384/SHA-384 with DER signatures; RSA-3072
 * RSASSA-PSS/SHA-256, salt length 32, MGF1-SHA-256. PKCS#1 v1.5 is refused.
 * Key id = lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
 * Private keys are PKCS#8 PEM, encrypted unless no passphrase (PBES2:
 * PBKDF2-HMAC-SHA256, 600000 iterations, AES-256-CBC).
 * Returned EVP_PKEY objects are owned by the caller (EVP_PKEY_free). */
#ifndef EIA_CRYPTO_H
#define EIA_CRYPTO_H

#include <openssl/evp.h>
#include <stddef.h>

#include "util/error.h"

typedef enum {
	ALG_ED25519,
	ALG_ECDSA_P256,
	ALG_ECDSA_P384,
	ALG_RSA_3072,
	ALG_COUNT
} sig_alg;

#define KEYID_HEX_LEN 64

const char *sig_alg_name(sig_alg a);
/* Returns the algorithm for "ed25519" etc., or -1. */
int sig_alg_by_name(const char *name);

/* Generates a key; writes PREFIX.key (0600) and PREFIX.pub atomically.
 * passphrase NULL means unencrypted. keyid receives 64 hex chars + NUL. */
eia_status crypto_keygen(sig_alg alg, const char *prefix, const char *passphrase,
			 char keyid[KEYID_HEX_LEN + 1], eia_error *err);
/* EIA_EINPUT ("already exists") unless nothing is at path. */
eia_status crypto_refuse_existing(const char *path, eia_error *err);
/* Sets *encrypted to 1 if the private key file at path is an
 * "ENCRYPTED PRIVATE KEY" (so a passphrase must be asked for), 0 if it is a
 * plain PKCS#8 "PRIVATE KEY". Any other content is an EIA_EINPUT error. */
eia_status crypto_private_encrypted(const char *path, int *encrypted, eia_error *err);
/* Loads a PKCS#8 PEM private key; refuses files readable by group/other.
 * passphrase NULL for an unencrypted key; an encrypted key without one, or
 * with a wrong one, is an EIA_EINPUT error. */
eia_status crypto_load_private(const char *path, const char *passphrase, EVP_PKEY **out,
			       eia_error *err);
/* Parses an SPKI PEM public key from memory. `what` names it in errors. */
eia_status crypto_load_public(const char *what, const char *pem, size_t len, EVP_PKEY **out,
			      eia_error *err);
/* The algorithm of a key, or -1 if it is none eia accepts (e.g. RSA-2048). */
int crypto_key_alg(EVP_PKEY *key);
eia_status crypto_keyid(EVP_PKEY *key, char keyid[KEYID_HEX_LEN + 1], eia_error *err);
/* Signs data; *sig is malloc'd. */
eia_status crypto_sign(EVP_PKEY *key, const unsigned char *data, size_t len, unsigned char **sig,
		       size_t *sig_len, eia_error *err);
/* 1 if sig is a valid `alg` signature of data by key, else 0. */
int crypto_verify(EVP_PKEY *key, sig_alg alg, const unsigned char *data, size_t len,
		  const unsigned char *sig, size_t sig_len);

/* Passphrase from --passphrase-file F (first line), else EIA_PASSPHRASE,
 * else the terminal without echo (twice when `confirm`); with none of them
 * fails with EIA_EINPUT instead of waiting. Returned string must be released
 * with passphrase_free (wipes it). */
eia_status passphrase_get(const char *file, int confirm, char **out, eia_error *err);
void passphrase_free(char *p);

#endif
