/* trust.c - TRUST.yaml (strict) and the per-signature trust decision.
 *
 * Status order for each signature entry: unknown-key, revoked, wrong-role,
 * not-yet-valid, expired-key, then the cryptographic check (valid/invalid).
 * A key with `revoked` set never counts, whatever the revocation date: the
 * date is kept for the record, but a signature's time cannot be trusted
 * (it is not in the signed bytes), so back-dating would otherwise defeat it. */
#include "model/trust.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/fileio.h"
#include "util/timefmt.h"
#include "util/yaml_tree.h"

#define TRUST_MAX_BYTES ((size_t)4 << 20)
#define TRUST_MAX_KEYS 1024
#define TRUST_MAX_THRESHOLD SIGFILE_MAX_ENTRIES

static const char *const status_names[] = {
	[SIG_VALID] = "valid",
	[SIG_INVALID] = "invalid",
	[SIG_UNKNOWN_KEY] = "unknown-key",
	[SIG_REVOKED] = "revoked",
	[SIG_EXPIRED_KEY] = "expired-key",
	[SIG_NOT_YET_VALID] = "not-yet-valid",
	[SIG_WRONG_ROLE] = "wrong-role",
};

const char *sig_status_name(sig_status s)
{
	return (unsigned)s <= SIG_WRONG_ROLE ? status_names[s] : "invalid";
}

void trust_init(trust_store *t)
{
	memset(t, 0, sizeof(*t));
}

void trust_free(trust_store *t)
{
	for (size_t i = 0; i < t->n_keys; i++) {
		free(t->keys[i].name);
		EVP_PKEY_free(t->keys[i].pkey);
	}
	free(t->keys);
	free(t->name);
	trust_init(t);
}

static eia_status parse_time(const char *file, const yt_node *map, const char *field, int *has,
			     int64_t *out, eia_error *err)
{
	const yt_node *n = yt_get(map, field);
	const char *text;
	eia_status st;

	*has = 0;
	if (n == NULL)
		return EIA_OK;
	if ((st = yt_str(file, n, field, &text, err)) != EIA_OK)
		return st;
	if (rfc3339_parse(text, out) != 0)
		return yt_err(err, file, n,
			      "%s: '%s' is not an RFC 3339 time "
			      "(e.g. 2026-01-01T00:00:00Z)",
			      field, text);
	*has = 1;
	return EIA_OK;
}

static eia_status parse_roles(const char *file, const yt_node *n, unsigned *roles, eia_error *err)
{
	eia_status st = yt_want(file, n, YT_SEQ, "roles", err);

	*roles = 0;
	if (st != EIA_OK)
		return st;
	for (size_t i = 0; i < n->n; i++) {
		const yt_node *r = n->kids[i];
		const char *text;
		unsigned bit;
		if ((st = yt_str(file, r, "role", &text, err)) != EIA_OK)
			return st;
		if (strcmp(text, "baseline") == 0)
			bit = ROLE_BASELINE;
		else if (strcmp(text, "report") == 0)
			bit = ROLE_REPORT;
		else
			return yt_err(err, file, r, "unknown role '%s' (baseline or report)", text);
		if (*roles & bit)
			return yt_err(err, file, r, "duplicate role '%s'", text);
		*roles |= bit;
	}
	if (*roles == 0)
		return yt_err(err, file, n, "roles must name baseline, report or both");
	return EIA_OK;
}

/* Parses public-key and checks the declared id against the computed one. */
static eia_status parse_public_key(const char *file, const yt_node *pk, const yt_node *id,
				   trust_key *k, eia_error *err)
{
	char computed[KEYID_HEX_LEN + 1];
	const char *text;
	eia_error why;
	eia_status st;

	if ((st = yt_str(file, pk, "public-key", &text, err)) != EIA_OK)
		return st;
	if (crypto_load_public("public-key", text, pk->len, &k->pkey, &why) != EIA_OK)
		return yt_err(err, file, pk, "%s", why.msg);
	k->alg = (sig_alg)crypto_key_alg(k->pkey);
	if ((st = crypto_keyid(k->pkey, computed, err)) != EIA_OK)
		return st;
	if (strcmp(computed, k->id) != 0)
		return yt_err(err, file, id, "id does not match public-key (its id is %s)",
			      computed);
	return EIA_OK;
}

static eia_status parse_id(const char *file, const yt_node *n, char id[KEYID_HEX_LEN + 1],
			   eia_error *err)
{
	const char *text;
	eia_status st = yt_str(file, n, "id", &text, err);

	if (st != EIA_OK)
		return st;
	if (n->len != KEYID_HEX_LEN || strspn(text, "0123456789abcdef") != KEYID_HEX_LEN)
		return yt_err(err, file, n, "id must be 64 lowercase hex digits");
	memcpy(id, text, KEYID_HEX_LEN + 1);
	return EIA_OK;
}

static eia_status parse_key(const char *file, const yt_node *map, trust_key *k, eia_error *err)
{
	static const char *const allowed[] = {"id",	   "name",    "roles",	    "not-before",
					      "not-after", "revoked", "public-key", NULL};
	const yt_node *id, *name, *roles, *pk;
	const char *text;
	eia_status st;

	if ((st = yt_want(file, map, YT_MAP, "a key", err)) != EIA_OK ||
	    (st = yt_check_keys(file, map, allowed, err)) != EIA_OK ||
	    (st = yt_require(file, map, "id", &id, err)) != EIA_OK ||
	    (st = yt_require(file, map, "name", &name, err)) != EIA_OK ||
	    (st = yt_require(file, map, "roles", &roles, err)) != EIA_OK ||
	    (st = yt_require(file, map, "public-key", &pk, err)) != EIA_OK ||
	    (st = parse_id(file, id, k->id, err)) != EIA_OK ||
	    (st = yt_str(file, name, "name", &text, err)) != EIA_OK)
		return st;
	if (*text == '\0')
		return yt_err(err, file, name, "name must not be empty");
	k->name = xstrdup(text);
	if ((st = parse_roles(file, roles, &k->roles, err)) != EIA_OK ||
	    (st = parse_time(file, map, "not-before", &k->has_not_before, &k->not_before, err)) !=
		    EIA_OK ||
	    (st = parse_time(file, map, "not-after", &k->has_not_after, &k->not_after, err)) !=
		    EIA_OK ||
	    (st = parse_time(file, map, "revoked", &k->has_revoked, &k->revoked, err)) != EIA_OK)
		return st;
	if (k->has_not_before && k->has_not_after && k->not_after < k->not_before)
		return yt_err(err, file, yt_get(map, "not-after"),
			      "not-after is earlier than not-before");
	return parse_public_key(file, pk, id, k, err);
}

static eia_status parse_keys(const char *file, const yt_node *list, trust_store *t, eia_error *err)
{
	eia_status st = yt_want(file, list, YT_SEQ, "keys", err);

	if (st != EIA_OK)
		return st;
	if (list->n > TRUST_MAX_KEYS)
		return yt_err(err, file, list, "more than %d keys", TRUST_MAX_KEYS);
	t->keys = xcalloc(list->n, sizeof(*t->keys));
	for (size_t i = 0; i < list->n; i++) {
		t->n_keys = i + 1; /* so trust_free releases a partly parsed key */
		st = parse_key(file, list->kids[i], &t->keys[i], err);
		if (st != EIA_OK)
			return st;
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->keys[j].id, t->keys[i].id) == 0)
				return yt_err(err, file, yt_get(list->kids[i], "id"),
					      "duplicate key id (also key %zu)", j + 1);
	}
	return EIA_OK;
}

static eia_status parse_threshold(const char *file, const yt_node *map, const char *key,
				  unsigned *out, eia_error *err)
{
	const yt_node *n;
	uint64_t v;
	eia_status st;

	if ((st = yt_require(file, map, key, &n, err)) != EIA_OK ||
	    (st = yt_uint(file, n, key, TRUST_MAX_THRESHOLD, &v, err)) != EIA_OK)
		return st;
	if (v < 1)
		return yt_err(err, file, n, "thresholds.%s must be at least 1", key);
	*out = (unsigned)v;
	return EIA_OK;
}

static eia_status parse_thresholds(const char *file, const yt_node *n, trust_store *t,
				   eia_error *err)
{
	static const char *const allowed[] = {"baseline", "report", NULL};
	eia_status st;

	if ((st = yt_want(file, n, YT_MAP, "thresholds", err)) != EIA_OK ||
	    (st = yt_check_keys(file, n, allowed, err)) != EIA_OK ||
	    (st = parse_threshold(file, n, "baseline", &t->threshold_baseline, err)) != EIA_OK)
		return st;
	return parse_threshold(file, n, "report", &t->threshold_report, err);
}

static eia_status parse_root(const char *file, const yt_node *root, trust_store *t, eia_error *err)
{
	static const char *const allowed[] = {"eia-trust", "name", "thresholds", "keys", NULL};
	const yt_node *ver, *name, *thresholds, *keys;
	const char *text;
	uint64_t v;
	eia_status st;

	if ((st = yt_want(file, root, YT_MAP, "a trust store", err)) != EIA_OK ||
	    (st = yt_check_keys(file, root, allowed, err)) != EIA_OK ||
	    (st = yt_require(file, root, "eia-trust", &ver, err)) != EIA_OK ||
	    (st = yt_uint(file, ver, "eia-trust", 1000, &v, err)) != EIA_OK)
		return st;
	if (v != 1)
		return yt_err(err, file, ver,
			      "unsupported eia-trust version %llu (this "
			      "eia reads 1)",
			      (unsigned long long)v);
	if ((st = yt_require(file, root, "name", &name, err)) != EIA_OK ||
	    (st = yt_str(file, name, "name", &text, err)) != EIA_OK)
		return st;
	t->name = xstrdup(text);
	if ((st = yt_require(file, root, "thresholds", &thresholds, err)) != EIA_OK ||
	    (st = parse_thresholds(file, thresholds, t, err)) != EIA_OK ||
	    (st = yt_require(file, root, "keys", &keys, err)) != EIA_OK)
		return st;
	return parse_keys(file, keys, t, err);
}

eia_status trust_parse(const char *file, const unsigned char *data, size_t len, trust_store *out,
		       eia_error *err)
{
	yt_node *root = NULL;
	eia_status st;

	trust_init(out);
	st = yt_parse(file, data, len, &root, err);
	if (st == EIA_OK)
		st = parse_root(file, root, out, err);
	yt_free(root);
	if (st != EIA_OK)
		trust_free(out);
	return st;
}

eia_status trust_load(const char *path, trust_store *out, eia_error *err)
{
	buf b;
	eia_status st;

	trust_init(out);
	st = file_read_all(path, TRUST_MAX_BYTES, &b, err);
	if (st != EIA_OK)
		return st;
	st = trust_parse(path, b.data, b.len, out, err);
	buf_free(&b);
	return st;
}

static const trust_key *find_key(const trust_store *t, const char *id)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (strcmp(t->keys[i].id, id) == 0)
			return &t->keys[i];
	return NULL;
}

/* Key ids are compared, roles and dates checked, before any cryptography. */
static sig_status entry_status(const trust_key *k, unsigned role, const sig_entry *e,
			       const unsigned char *data, size_t len, int64_t now)
{
	if (k == NULL)
		return SIG_UNKNOWN_KEY;
	if (k->has_revoked)
		return SIG_REVOKED;
	if ((k->roles & role) == 0)
		return SIG_WRONG_ROLE;
	if (k->has_not_before && now < k->not_before)
		return SIG_NOT_YET_VALID;
	if (k->has_not_after && now > k->not_after)
		return SIG_EXPIRED_KEY;
	if (e->alg != k->alg)
		return SIG_INVALID;
	return crypto_verify(k->pkey, e->alg, data, len, e->sig, e->sig_len) ? SIG_VALID :
									       SIG_INVALID;
}

static unsigned count_distinct_valid(const trust_verdict *v)
{
	unsigned valid = 0;

	for (size_t i = 0; i < v->n; i++) {
		size_t j;
		if (v->v[i].status != SIG_VALID)
			continue;
		for (j = 0; j < i; j++)
			if (v->v[j].status == SIG_VALID && strcmp(v->v[j].key, v->v[i].key) == 0)
				break;
		if (j == i)
			valid++;
	}
	return valid;
}

eia_status trust_check(const trust_store *t, unsigned role, const unsigned char *data, size_t len,
		       const sigfile *sigs, int64_t now, trust_verdict *out, eia_error *err)
{
	const char *kind = role == ROLE_REPORT ? "report" : "baseline";

	memset(out, 0, sizeof(*out));
	if (role != ROLE_BASELINE && role != ROLE_REPORT)
		return eia_fail(err, EIA_EINPUT, "internal error: bad trust role %u", role);
	out->required = role == ROLE_REPORT ? t->threshold_report : t->threshold_baseline;
	out->v = xcalloc(sigs->n, sizeof(*out->v));
	out->n = sigs->n;
	for (size_t i = 0; i < sigs->n; i++) {
		const trust_key *k = find_key(t, sigs->v[i].key);
		memcpy(out->v[i].key, sigs->v[i].key, KEYID_HEX_LEN + 1);
		out->v[i].name = k ? xstrdup(k->name) : NULL;
		out->v[i].status = entry_status(k, role, &sigs->v[i], data, len, now);
	}
	out->valid = count_distinct_valid(out);
	if (sigs->n == 0)
		return eia_fail(err, EIA_ETRUST,
				"not signed: the signature file lists no "
				"signatures (%s threshold: %u)",
				kind, out->required);
	if (out->valid >= out->required)
		return EIA_OK;
	return eia_fail(err, EIA_ETRUST, "untrusted: %u of %u required %s signatures valid",
			out->valid, out->required, kind);
}

void trust_verdict_free(trust_verdict *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].name);
	free(v->v);
	memset(v, 0, sizeof(*v));
}
