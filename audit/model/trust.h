/* trust.h - the trust store and the signature-threshold decision.
 *
 * trust_parse reads TRUST.yaml strictly and checks every key's id against
 * the SHA-256 of its embedded public key. trust_check decides, for the raw
 * bytes of a manifest or report, the status of every signature entry and
 * whether the threshold for the role is met by distinct valid keys.
 * A key with `revoked` set never counts, whatever the date. */
#ifndef EIA_TRUST_H
#define EIA_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "model/crypto.h"
#include "model/sigfile.h"
#include "util/error.h"

enum {
	ROLE_BASELINE = 1u << 0,
	ROLE_REPORT = 1u << 1
};

typedef struct trust_key {
	char id[KEYID_HEX_LEN + 1];
	char *name;
	unsigned roles;
	int has_not_before, has_not_after, has_revoked;
	int64_t not_before, not_after, revoked;
	EVP_PKEY *pkey;
	sig_alg alg;
} trust_key;

typedef struct trust_store {
	char *name;
	unsigned threshold_baseline, threshold_report;
	trust_key *keys;
	size_t n_keys;
} trust_store;

typedef enum {
	SIG_VALID,
	SIG_INVALID,
	SIG_UNKNOWN_KEY,
	SIG_REVOKED,
	SIG_EXPIRED_KEY,
	SIG_NOT_YET_VALID,
	SIG_WRONG_ROLE
} sig_status;

const char *sig_status_name(sig_status s);

typedef struct sig_result {
	char key[KEYID_HEX_LEN + 1];
	char *name; /* signer's name from the trust store, or NULL */
	sig_status status;
} sig_result;

typedef struct trust_verdict {
	sig_result *v; /* one per signature entry, in file order */
	size_t n;
	unsigned required, valid;
} trust_verdict;

void trust_init(trust_store *t);
eia_status trust_parse(const char *file, const unsigned char *data, size_t len, trust_store *out,
		       eia_error *err);
eia_status trust_load(const char *path, trust_store *out, eia_error *err);
void trust_free(trust_store *t);

/* Fills out for every entry of sigs (status order: unknown-key, revoked,
 * wrong-role, not-yet-valid, expired-key, then valid/invalid; an entry whose
 * algorithm is not its key's is invalid) and counts distinct valid keys.
 * Returns EIA_OK when the threshold for `role` (ROLE_BASELINE or
 * ROLE_REPORT) is met, else EIA_ETRUST with err like "untrusted: 1 of 2
 * required baseline signatures valid" (no file name: the caller adds it).
 * No entries at all is EIA_ETRUST. `out` is filled in every case: always
 * release it with trust_verdict_free. */
eia_status trust_check(const trust_store *t, unsigned role, const unsigned char *data, size_t len,
		       const sigfile *sigs, int64_t now, trust_verdict *out, eia_error *err);
void trust_verdict_free(trust_verdict *v);

#endif
