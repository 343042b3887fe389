/* fuzz_trust.c - libFuzzer target for trust_parse (model/trust.h), and
 * trust_check over the store it returns.
 *
 * Checks, besides memory safety: a failed parse is EIA_EINPUT with a one-line
 * "FILE:..." message; every parsed key has a name, a role, an algorithm eia
 * accepts and an id equal to the SHA-256 of its public key; thresholds are
 * at least 1; and signatures that are not signatures (bytes of the input)
 * never count as valid. A broken promise aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/crypto.h"
#include "model/sigfile.h"
#include "model/trust.h"
#include "util/buf.h"
#include "util/error.h"

#define FUZZ_TARGET "fuzz_trust"
#define FUZZ_FILE "fuzz-trust.yaml"
#define FUZZ_NOW ((int64_t)1780000000) /* 2026-05-28 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_common.h"

static void check_store(const trust_store *t)
{
	if (t->name == NULL || t->threshold_baseline < 1 || t->threshold_report < 1)
		fail("store without a name or with a zero threshold", t->name);
	for (size_t i = 0; i < t->n_keys; i++) {
		const trust_key *k = &t->keys[i];
		char id[KEYID_HEX_LEN + 1];
		eia_error err;
		if (k->name == NULL || k->name[0] == '\0' || k->pkey == NULL ||
		    (k->roles & (ROLE_BASELINE | ROLE_REPORT)) == 0)
			fail("key without a name, a public key or a role", k->id);
		if ((unsigned)k->alg >= ALG_COUNT)
			fail("key of an algorithm eia does not accept", k->id);
		if (crypto_keyid(k->pkey, id, &err) != EIA_OK || strcmp(id, k->id) != 0)
			fail("key id differs from the SHA-256 of its public key", k->id);
	}
}

/* One entry per key, each "signed" with bytes of the input. */
static void check_forgeries(const trust_store *t, const uint8_t *data, size_t size)
{
	static const unsigned char message[] = "eia-manifest: 1\n";
	size_t sig_len = size < 96 ? size : 96;
	sigfile sigs;
	trust_verdict v;
	eia_error err;

	if (sig_len == 0)
		return;
	sigfile_init(&sigs);
	for (size_t i = 0; i < t->n_keys && i < SIGFILE_MAX_ENTRIES; i++) {
		sig_entry e;
		memcpy(e.key, t->keys[i].id, sizeof(e.key));
		e.alg = (unsigned)t->keys[i].alg < ALG_COUNT ? t->keys[i].alg : ALG_ED25519;
		e.sig = xmalloc(sig_len);
		memcpy(e.sig, data + size - sig_len, sig_len);
		e.sig_len = sig_len;
		sigfile_put(&sigs, &e);
	}
	for (unsigned role = ROLE_BASELINE; role <= ROLE_REPORT; role <<= 1) {
		eia_error_clear(&err);
		if (trust_check(t, role, message, sizeof(message) - 1, &sigs, FUZZ_NOW, &v, &err) ==
			    EIA_OK ||
		    v.valid != 0)
			fail("bytes of the input counted as a valid signature", err.msg);
		if (v.n != sigs.n)
			fail("verdict does not list every signature entry", NULL);
		trust_verdict_free(&v);
	}
	sigfile_free(&sigs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trust_store t;
	eia_error err;
	eia_status st;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	eia_error_clear(&err);
	st = trust_parse(FUZZ_FILE, data, size, &t, &err);
	if (st == EIA_OK) {
		check_store(&t);
		check_forgeries(&t, data, size);
	} else {
		check_error(st, &err);
	}
	trust_free(&t);
	return 0;
}
