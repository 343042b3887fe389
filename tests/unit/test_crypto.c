/* test_crypto.c - encodings, key ids, keygen, sign/verify per algorithm,
 * tamper detection, fixed parameters (PSS salt, no PKCS#1 v1.5), private
 * key file rules and passphrase sources. Real OpenSSL, real files. */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model/crypto.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/fileio.h"

/* RFC 8032 section 7.1, TEST 1 (empty message). */
static const char rfc_pub_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	"-----END PUBLIC KEY-----\n";
static const char rfc_keyid[] = "06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9";
static const char rfc_sig_hex[] =
	"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
	"39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

static char tmpdir[512];

static void test_encodings(void)
{
	unsigned char raw[4] = {0x00, 0xff, 0x10, 0xab}, back[4];
	char hex[9];
	size_t n = 0;
	char *b64;
	unsigned char *dec;

	hex_encode(raw, 4, hex);
	CHECK_STR(hex, "00ff10ab");
	CHECK(hex_decode("00FF10ab", 8, back, 4) == 0 && memcmp(raw, back, 4) == 0);
	CHECK(hex_decode("00ff10a", 7, back, 4) == -1);
	CHECK(hex_decode("00ff10ag", 8, back, 4) == -1);
	b64 = base64_encode((const unsigned char *)"foobar", 6);
	CHECK_STR(b64, "Zm9vYmFy");
	free(b64);
	b64 = base64_encode((const unsigned char *)"fo", 2);
	CHECK_STR(b64, "Zm8=");
	free(b64);
	dec = base64_decode("Zm8=", 4, &n);
	CHECK(dec != NULL && n == 2 && memcmp(dec, "fo", 2) == 0);
	free(dec);
	CHECK(base64_decode("Zm8", 3, &n) == NULL); /* unpadded */
	CHECK(base64_decode("Zm 8=", 5, &n) == NULL); /* whitespace */
	CHECK(base64_decode("Z=8=", 4, &n) == NULL); /* data after padding */
	CHECK(base64_decode("Zm8=Zm8=", 8, &n) == NULL); /* padding mid-stream */
}

static void test_known_vector(void)
{
	unsigned char sig[64];
	char id[KEYID_HEX_LEN + 1];
	EVP_PKEY *pub = NULL;
	eia_error err;

	CHECK(crypto_load_public("rfc", rfc_pub_pem, strlen(rfc_pub_pem), &pub, &err) == EIA_OK);
	if (pub == NULL)
		return;
	CHECK(crypto_key_alg(pub) == ALG_ED25519);
	CHECK(crypto_keyid(pub, id, &err) == EIA_OK);
	CHECK_STR(id, rfc_keyid);
	CHECK(hex_decode(rfc_sig_hex, 128, sig, 64) == 0);
	CHECK(crypto_verify(pub, ALG_ED25519, (const unsigned char *)"", 0, sig, 64) == 1);
	CHECK(crypto_verify(pub, ALG_ED25519, (const unsigned char *)"x", 1, sig, 64) == 0);
	CHECK(crypto_verify(pub, ALG_ECDSA_P256, (const unsigned char *)"", 0, sig, 64) == 0);
	sig[10] ^= 1;
	CHECK(crypto_verify(pub, ALG_ED25519, (const unsigned char *)"", 0, sig, 64) == 0);
	EVP_PKEY_free(pub);
}

static void test_alg_names(void)
{
	CHECK(sig_alg_by_name("ed25519") == ALG_ED25519);
	CHECK(sig_alg_by_name("ecdsa-p256") == ALG_ECDSA_P256);
	CHECK(sig_alg_by_name("ecdsa-p384") == ALG_ECDSA_P384);
	CHECK(sig_alg_by_name("rsa-3072") == ALG_RSA_3072);
	CHECK(sig_alg_by_name("rsa-2048") == -1);
	CHECK(sig_alg_by_name("ED25519") == -1);
	CHECK_STR(sig_alg_name(ALG_ECDSA_P384), "ecdsa-p384");
}

static char *tmp_path(const char *name)
{
	static char p[1024];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* Generates, reloads, signs, verifies and tampers for one algorithm. */
static void roundtrip(sig_alg alg, const char *pass)
{
	static const unsigned char msg[] = "eia-manifest: 1\nname: x\n";
	char prefix[1024], keypath[1100], pubpath[1100], id[KEYID_HEX_LEN + 1];
	char id2[KEYID_HEX_LEN + 1];
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	EVP_PKEY *priv = NULL, *pub = NULL;
	struct stat sb;
	eia_error err;
	buf pem;

	snprintf(prefix, sizeof(prefix), "%s", tmp_path(sig_alg_name(alg)));
	snprintf(keypath, sizeof(keypath), "%s.key", prefix);
	snprintf(pubpath, sizeof(pubpath), "%s.pub", prefix);
	unlink(keypath);
	CHECK(crypto_keygen(alg, prefix, pass, id, &err) == EIA_OK);
	CHECK(crypto_keygen(alg, prefix, pass, id2, &err) == EIA_EINPUT);
	CHECK(stat(keypath, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(crypto_load_private(keypath, pass, &priv, &err) == EIA_OK);
	if (priv == NULL)
		return;
	CHECK(crypto_key_alg(priv) == (int)alg);
	CHECK(crypto_keyid(priv, id2, &err) == EIA_OK);
	CHECK_STR(id, id2);
	CHECK(file_read_all(pubpath, 65536, &pem, &err) == EIA_OK);
	CHECK(crypto_load_public(pubpath, (char *)pem.data, pem.len, &pub, &err) == EIA_OK);
	buf_free(&pem);
	CHECK(crypto_sign(priv, msg, sizeof(msg) - 1, &sig, &sig_len, &err) == EIA_OK);
	CHECK(crypto_verify(pub, alg, msg, sizeof(msg) - 1, sig, sig_len) == 1);
	CHECK(crypto_verify(pub, alg, msg, sizeof(msg) - 2, sig, sig_len) == 0);
	CHECK(crypto_verify(pub, (sig_alg)((alg + 1) % ALG_COUNT), msg, sizeof(msg) - 1, sig,
			    sig_len) == 0);
	if (sig != NULL) {
		sig[sig_len / 2] ^= 0x40;
		CHECK(crypto_verify(pub, alg, msg, sizeof(msg) - 1, sig, sig_len) == 0);
	}
	free(sig);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
}

/* PKCS#1 v1.5 and a PSS salt other than 32 must be refused. */
static void test_rsa_parameters(void)
{
	static const unsigned char msg[] = "payload";
	unsigned char sig[512];
	size_t n = sizeof(sig);
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	eia_error err;

	CHECK(crypto_load_private(tmp_path("rsa-3072.key"), NULL, &key, &err) == EIA_OK);
	if (key == NULL || ctx == NULL)
		goto out;
	CHECK(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1);
	CHECK(EVP_DigestSign(ctx, sig, &n, msg, sizeof(msg)) == 1);
	CHECK(crypto_verify(key, ALG_RSA_3072, msg, sizeof(msg), sig, n) == 0);
	EVP_MD_CTX_reset(ctx);
	n = sizeof(sig);
	CHECK(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20) == 1);
	CHECK(EVP_DigestSign(ctx, sig, &n, msg, sizeof(msg)) == 1);
	CHECK(crypto_verify(key, ALG_RSA_3072, msg, sizeof(msg), sig, n) == 0);
	EVP_MD_CTX_reset(ctx);
	n = sizeof(sig);
	CHECK(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1);
	CHECK(EVP_DigestSign(ctx, sig, &n, msg, sizeof(msg)) == 1);
	CHECK(crypto_verify(key, ALG_RSA_3072, msg, sizeof(msg), sig, n) == 1);
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
}

static void test_private_key_rules(void)
{
	EVP_PKEY *key = NULL;
	eia_error err;
	char *path = tmp_path("ecdsa-p256.key");

	/* encrypted with "correct horse" in main() */
	CHECK(crypto_load_private(path, "wrong", &key, &err) == EIA_EINPUT);
	CHECK(strstr(err.msg, "wrong passphrase or corrupt key") != NULL);
	CHECK(crypto_load_private(path, NULL, &key, &err) == EIA_EINPUT);
	CHECK(strstr(err.msg, "encrypted") != NULL);
	CHECK(chmod(path, 0640) == 0);
	CHECK(crypto_load_private(path, "correct horse", &key, &err) == EIA_EINPUT);
	CHECK(strstr(err.msg, "group or others") != NULL);
	CHECK(chmod(path, 0600) == 0);
	CHECK(crypto_load_private(path, "correct horse", &key, &err) == EIA_OK);
	EVP_PKEY_free(key);
	key = NULL;
	CHECK(crypto_load_private(tmp_path("ed25519.pub"), NULL, &key, &err) == EIA_EINPUT);
	CHECK(crypto_load_public("x", "garbage", 7, &key, &err) == EIA_EINPUT);
	CHECK(key == NULL);
}

static void test_passphrase_sources(void)
{
	char *p = NULL;
	eia_error err;
	char *file = tmp_path("pass.txt");

	CHECK(atomic_write(file, "s3cret\r\nsecond line\n", 20, 0600, &err) == EIA_OK);
	unsetenv("EIA_PASSPHRASE");
	CHECK(passphrase_get(file, 1, &p, &err) == EIA_OK && p && strcmp(p, "s3cret") == 0);
	passphrase_free(p);
	setenv("EIA_PASSPHRASE", "from env", 1);
	CHECK(passphrase_get(NULL, 1, &p, &err) == EIA_OK && p && strcmp(p, "from env") == 0);
	passphrase_free(p);
	CHECK(passphrase_get(file, 0, &p, &err) == EIA_OK && p && strcmp(p, "s3cret") == 0);
	passphrase_free(p);
	CHECK(atomic_write(file, "\n", 1, 0600, &err) == EIA_OK);
	CHECK(passphrase_get(file, 0, &p, &err) == EIA_EINPUT);
	CHECK(passphrase_get(tmp_path("absent"), 0, &p, &err) == EIA_EINPUT);
	unsetenv("EIA_PASSPHRASE");
}

int main(void)
{
	const char *root = getenv("EIA_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/unit-crypto-XXXXXX", root ? root : "/tmp");
	if (root)
		mkdir(root, 0755);
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		return 1;
	}
	test_encodings();
	test_known_vector();
	test_alg_names();
	roundtrip(ALG_ED25519, NULL);
	roundtrip(ALG_ECDSA_P256, "correct horse");
	roundtrip(ALG_ECDSA_P384, NULL);
	roundtrip(ALG_RSA_3072, NULL);
	test_rsa_parameters();
	test_private_key_rules();
	test_passphrase_sources();
	return check_done();
}
