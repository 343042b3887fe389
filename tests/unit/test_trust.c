/* test_trust.c - signature files and the trust store: strict parsing with
 * file:line:col errors, canonical writing, and every trust_check status. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "model/sigfile.h"
#include "model/trust.h"
#include "util/buf.h"
#include "util/fileio.h"

#define NOW ((int64_t)1800000000) /* 2027-01-15 */

struct key {
	char id[KEYID_HEX_LEN + 1];
	EVP_PKEY *priv;
	buf pub;
};

static char tmpdir[512];
static struct key keys[4]; /* ed25519, ecdsa-p256, ecdsa-p384, ed25519 (unlisted) */
static const unsigned char data[] = "eia-manifest: 1\nname: test\nserial: 1\n";

static void make_key(struct key *k, sig_alg alg, const char *name)
{
	char prefix[700], path[800];
	eia_error err;

	snprintf(prefix, sizeof(prefix), "%s/%s", tmpdir, name);
	CHECK(crypto_keygen(alg, prefix, NULL, k->id, &err) == EIA_OK);
	snprintf(path, sizeof(path), "%s.key", prefix);
	CHECK(crypto_load_private(path, NULL, &k->priv, &err) == EIA_OK);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	CHECK(file_read_all(path, 65536, &k->pub, &err) == EIA_OK);
}

/* Appends one key to a trust store; `extra` lines go before public-key. */
static void add_key(buf *b, const struct key *k, const char *roles, const char *extra)
{
	const char *p = (const char *)k->pub.data;

	buf_printf(b,
		   "  - id: %s\n    name: Officer %.6s\n    roles: [%s]\n%s"
		   "    public-key: |\n",
		   k->id, k->id, roles, extra);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_printf(b, "      %.*s\n", (int)n, p);
		p += n + (nl != NULL);
	}
}

static void sign_entry(sigfile *s, const struct key *k, const unsigned char *d, size_t n)
{
	sig_entry e;
	eia_error err;

	memset(&e, 0, sizeof(e));
	memcpy(e.key, k->id, sizeof(e.key));
	e.alg = (sig_alg)crypto_key_alg(k->priv);
	CHECK(crypto_sign(k->priv, d, n, &e.sig, &e.sig_len, &err) == EIA_OK);
	s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = e;
}

static void test_sigfile_roundtrip(void)
{
	sigfile s, back;
	buf out;
	eia_error err;
	sig_entry e;

	sigfile_init(&s);
	buf_init(&out);
	sign_entry(&s, &keys[0], data, sizeof(data));
	sign_entry(&s, &keys[1], data, sizeof(data));
	/* re-signing with keys[0] replaces in place */
	memset(&e, 0, sizeof(e));
	memcpy(e.key, keys[0].id, sizeof(e.key));
	e.alg = ALG_ED25519;
	e.sig = malloc(64);
	memset(e.sig, 7, 64);
	e.sig_len = 64;
	sigfile_put(&s, &e);
	CHECK(s.n == 2 && s.v[0].sig[0] == 7 && sigfile_find(&s, keys[1].id) == 1);
	sigfile_write(&s, &out);
	CHECK(strncmp((char *)out.data, "eia-signatures: 1\nsignatures:\n  - key: ", 38) == 0);
	CHECK(sigfile_parse("t.sig", out.data, out.len, &back, &err) == EIA_OK);
	CHECK(back.n == 2 && back.v[1].alg == ALG_ECDSA_P256 &&
	      back.v[1].sig_len == s.v[1].sig_len &&
	      memcmp(back.v[1].sig, s.v[1].sig, s.v[1].sig_len) == 0);
	sigfile_free(&back);
	sigfile_free(&s);
	buf_free(&out);
}

static void expect_sig_error(const char *text, const char *where, const char *why)
{
	sigfile s;
	eia_error err;

	CHECK(sigfile_parse("t.sig", (const unsigned char *)text, strlen(text), &s, &err) ==
	      EIA_EINPUT);
	CHECK(strstr(err.msg, where) != NULL && strstr(err.msg, why) != NULL);
	if (strstr(err.msg, where) == NULL || strstr(err.msg, why) == NULL)
		fprintf(stderr, "  got: %s\n", err.msg);
}

static void test_sigfile_errors(void)
{
	const char *k = "0000000000000000000000000000000000000000000000000000000000000000";
	char t[512];
	sigfile s;
	eia_error err;

	expect_sig_error("eia-signatures: 2\nsignatures: []\n", "t.sig:1:17", "version");
	expect_sig_error("eia-signatures: 1\nsignatures: []\nextra: 1\n", "t.sig:3:1",
			 "unknown key");
	snprintf(t, sizeof(t),
		 "eia-signatures: 1\nsignatures:\n  - key: %s\n"
		 "    algorithm: dsa\n    signature: AAAA\n",
		 k);
	expect_sig_error(t, "t.sig:4:16", "unknown algorithm");
	snprintf(t, sizeof(t),
		 "eia-signatures: 1\nsignatures:\n  - key: %.63sA\n"
		 "    algorithm: ed25519\n    signature: AAAA\n",
		 k);
	expect_sig_error(t, "t.sig:3:10", "64 lowercase hex");
	snprintf(t, sizeof(t),
		 "eia-signatures: 1\nsignatures:\n  - key: %s\n"
		 "    algorithm: ed25519\n    signature: AA AA\n",
		 k);
	expect_sig_error(t, "t.sig:5:16", "base64");
	snprintf(t, sizeof(t),
		 "eia-signatures: 1\nsignatures:\n  - key: %s\n"
		 "    algorithm: ed25519\n    signature: AAAA\n    signature: AAAA\n",
		 k);
	expect_sig_error(t, "t.sig:6:5", "duplicate key");
	CHECK(sigfile_load("/nonexistent/x.sig", &s, &err) == EIA_ETRUST);
	CHECK(strstr(err.msg, "no signature file") != NULL);
}

static eia_status parse_store(const buf *b, trust_store *t, eia_error *err)
{
	return trust_parse("trust.yaml", b->data, b->len, t, err);
}

static void header(buf *b, unsigned baseline, unsigned report)
{
	buf_init(b);
	buf_printf(b,
		   "eia-trust: 1\nname: Test Office\nthresholds: {baseline: %u, "
		   "report: %u}\nkeys:\n",
		   baseline, report);
}

static void expect_trust_error(buf *b, const char *where, const char *why)
{
	trust_store t;
	eia_error err;

	CHECK(parse_store(b, &t, &err) == EIA_EINPUT);
	CHECK(strstr(err.msg, where) != NULL && strstr(err.msg, why) != NULL);
	if (strstr(err.msg, where) == NULL || strstr(err.msg, why) == NULL)
		fprintf(stderr, "  got: %s\n", err.msg);
	buf_free(b);
}

static void test_trust_errors(void)
{
	buf b;

	header(&b, 0, 1);
	add_key(&b, &keys[0], "baseline", "");
	expect_trust_error(&b, "trust.yaml:3:24", "at least 1");
	header(&b, 1, 1);
	add_key(&b, &keys[0], "baseline", "    colour: red\n");
	expect_trust_error(&b, "trust.yaml:8:5", "unknown key 'colour'");
	header(&b, 1, 1);
	add_key(&b, &keys[0], "baseline", "    name: again\n");
	expect_trust_error(&b, "trust.yaml:8:5", "duplicate key 'name'");
	header(&b, 1, 1);
	add_key(&b, &keys[0], "baseline", "");
	add_key(&b, &keys[0], "report", "");
	expect_trust_error(&b, "trust.yaml:12:9", "duplicate key id");
	header(&b, 1, 1);
	add_key(&b, &keys[0], "baseline", "");
	memcpy(strstr((char *)b.data, keys[0].id), keys[1].id, KEYID_HEX_LEN);
	expect_trust_error(&b, "trust.yaml:5:9", "does not match public-key");
	header(&b, 1, 1);
	add_key(&b, &keys[0], "baseline", "    not-after: 2027-13-01T00:00:00Z\n");
	expect_trust_error(&b, "trust.yaml:8:16", "RFC 3339");
	header(&b, 1, 1);
	add_key(&b, &keys[0], "auditor", "");
	expect_trust_error(&b, "trust.yaml:7:13", "unknown role");
	buf_init(&b);
	buf_adds(&b, "eia-trust: 1\nname: x\nkeys: []\n");
	expect_trust_error(&b, "trust.yaml:1:1", "missing required key 'thresholds'");
	buf_init(&b);
	buf_adds(&b, "eia-trust: 1\nname: x\nthresholds: {baseline: 1}\nkeys: []\n");
	expect_trust_error(&b, "trust.yaml:3:13", "missing required key 'report'");
}

/* Builds the store used by the status tests:
 * keys[0] baseline, keys[1] baseline+report, keys[2] report only. */
static void status_store(buf *b, unsigned baseline, const char *extra0)
{
	header(b, baseline, 1);
	add_key(b, &keys[0], "baseline", extra0);
	add_key(b, &keys[1], "baseline, report", "");
	add_key(b, &keys[2], "report", "");
}

static sig_status one_status(const char *extra0, int64_t now)
{
	trust_store t;
	trust_verdict v;
	sigfile s;
	eia_error err;
	buf b;
	sig_status st = SIG_INVALID;

	status_store(&b, 1, extra0);
	sigfile_init(&s);
	sign_entry(&s, &keys[0], data, sizeof(data));
	if (parse_store(&b, &t, &err) == EIA_OK) {
		(void)trust_check(&t, ROLE_BASELINE, data, sizeof(data), &s, now, &v, &err);
		st = v.n == 1 ? v.v[0].status : SIG_INVALID;
		trust_verdict_free(&v);
		trust_free(&t);
	} else {
		fprintf(stderr, "  store: %s\n", err.msg);
	}
	sigfile_free(&s);
	buf_free(&b);
	return st;
}

static void test_key_validity(void)
{
	CHECK(one_status("", NOW) == SIG_VALID);
	CHECK(one_status("    revoked: 2099-01-01T00:00:00Z\n", NOW) == SIG_REVOKED);
	CHECK(one_status("    not-before: 2099-01-01T00:00:00Z\n", NOW) == SIG_NOT_YET_VALID);
	CHECK(one_status("    not-after: 2000-01-01T00:00:00Z\n", NOW) == SIG_EXPIRED_KEY);
	CHECK(one_status("    not-before: 2020-01-01T00:00:00Z\n"
			 "    not-after: 2099-01-01T00:00:00+02:00\n",
			 NOW) == SIG_VALID);
	/* revoked wins over every other reason */
	CHECK(one_status("    not-after: 2000-01-01T00:00:00Z\n"
			 "    revoked: 2000-01-01T00:00:00Z\n",
			 NOW) == SIG_REVOKED);
}

static void test_statuses_and_threshold(void)
{
	unsigned char other[] = "something else";
	trust_store t;
	trust_verdict v;
	sigfile s;
	eia_error err;
	buf b;

	status_store(&b, 2, "");
	CHECK(parse_store(&b, &t, &err) == EIA_OK);
	sigfile_init(&s);
	CHECK(trust_check(&t, ROLE_BASELINE, data, sizeof(data), &s, NOW, &v, &err) == EIA_ETRUST);
	trust_verdict_free(&v);
	sign_entry(&s, &keys[3], data, sizeof(data)); /* unknown-key */
	sign_entry(&s, &keys[2], data, sizeof(data)); /* wrong-role */
	sign_entry(&s, &keys[0], other, sizeof(other)); /* invalid */
	sign_entry(&s, &keys[1], data, sizeof(data)); /* valid */
	sign_entry(&s, &keys[1], data, sizeof(data)); /* valid, same key again */
	CHECK(trust_check(&t, ROLE_BASELINE, data, sizeof(data), &s, NOW, &v, &err) == EIA_ETRUST);
	CHECK(v.n == 5 && v.valid == 1 && v.required == 2);
	CHECK(v.v[0].status == SIG_UNKNOWN_KEY && v.v[0].name == NULL);
	CHECK(v.v[1].status == SIG_WRONG_ROLE && v.v[1].name != NULL);
	CHECK(v.v[2].status == SIG_INVALID && v.v[3].status == SIG_VALID);
	CHECK(strstr(err.msg, "1 of 2 required baseline signatures valid") != NULL);
	CHECK_STR(sig_status_name(v.v[1].status), "wrong-role");
	trust_verdict_free(&v);
	free(s.v[2].sig);
	s.v[2] = s.v[--s.n]; /* replace the invalid entry with ... */
	sign_entry(&s, &keys[0], data, sizeof(data)); /* ... a good one */
	CHECK(trust_check(&t, ROLE_BASELINE, data, sizeof(data), &s, NOW, &v, &err) == EIA_OK);
	CHECK(v.valid == 2);
	trust_verdict_free(&v);
	/* as a report: keys[1] and keys[2] count, keys[0] lacks the role */
	CHECK(trust_check(&t, ROLE_REPORT, data, sizeof(data), &s, NOW, &v, &err) == EIA_OK);
	CHECK(v.valid == 2 && v.required == 1 && v.v[v.n - 1].status == SIG_WRONG_ROLE);
	trust_verdict_free(&v);
	/* algorithm in the entry must match the key's */
	s.v[s.n - 1].alg = ALG_ECDSA_P256;
	CHECK(trust_check(&t, ROLE_BASELINE, data, sizeof(data), &s, NOW, &v, &err) == EIA_ETRUST);
	CHECK(v.v[s.n - 1].status == SIG_INVALID);
	trust_verdict_free(&v);
	sigfile_free(&s);
	trust_free(&t);
	buf_free(&b);
}

int main(void)
{
	const char *root = getenv("EIA_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/unit-trust-XXXXXX", root ? root : "/tmp");
	if (root)
		mkdir(root, 0755);
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		return 1;
	}
	make_key(&keys[0], ALG_ED25519, "a");
	make_key(&keys[1], ALG_ECDSA_P256, "b");
	make_key(&keys[2], ALG_ECDSA_P384, "c");
	make_key(&keys[3], ALG_ED25519, "d");
	test_sigfile_roundtrip();
	test_sigfile_errors();
	test_trust_errors();
	test_key_validity();
	test_statuses_and_threshold();
	for (int i = 0; i < 4; i++) {
		EVP_PKEY_free(keys[i].priv);
		buf_free(&keys[i].pub);
	}
	return check_done();
}
