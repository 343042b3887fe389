/* crypto.c - key generation, key ids, signing and verification (EVP), and
 * passphrase input. Private key bytes and passphrases are wiped after use. */
#include "model/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/encode.h"
#include "util/fileio.h"

#define KEY_FILE_MAX ((size_t)64 << 10)
#define PSS_SALT_LEN 32
#define KDF_ITERATIONS 600000

static const char *const alg_names[ALG_COUNT] = {
	[ALG_ED25519] = "ed25519",
	[ALG_ECDSA_P256] = "ecdsa-p256",
	[ALG_ECDSA_P384] = "ecdsa-p384",
	[ALG_RSA_3072] = "rsa-3072",
};

const char *sig_alg_name(sig_alg a)
{
	return (unsigned)a < ALG_COUNT ? alg_names[a] : "unknown";
}

int sig_alg_by_name(const char *name)
{
	for (int i = 0; i < ALG_COUNT; i++)
		if (strcmp(alg_names[i], name) == 0)
			return i;
	return -1;
}

/* The digest each algorithm signs with; NULL for pure Ed25519. */
static const EVP_MD *alg_md(sig_alg a)
{
	switch (a) {
	case ALG_ECDSA_P256:
	case ALG_RSA_3072:
		return EVP_sha256();
	case ALG_ECDSA_P384:
		return EVP_sha384();
	default:
		return NULL;
	}
}

static int ec_curve_alg(EVP_PKEY *key)
{
	char group[64];
	size_t len = 0;
	int nid;

	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    &len))
		return -1;
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	if (nid == NID_X9_62_prime256v1)
		return ALG_ECDSA_P256;
	if (nid == NID_secp384r1)
		return ALG_ECDSA_P384;
	return -1;
}

int crypto_key_alg(EVP_PKEY *key)
{
	if (key == NULL)
		return -1;
	if (EVP_PKEY_is_a(key, "ED25519"))
		return ALG_ED25519;
	if (EVP_PKEY_is_a(key, "EC"))
		return ec_curve_alg(key);
	if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) == 3072)
		return ALG_RSA_3072;
	return -1;
}

eia_status crypto_keyid(EVP_PKEY *key, char keyid[KEYID_HEX_LEN + 1], eia_error *err)
{
	unsigned char digest[32], *der = NULL, *p;
	unsigned int dlen = 0;
	int len = i2d_PUBKEY(key, NULL);
	eia_status st = EIA_OK;

	if (len <= 0)
		return eia_fail(err, EIA_EINPUT, "cannot encode public key");
	der = xmalloc((size_t)len);
	p = der;
	if (i2d_PUBKEY(key, &p) != len ||
	    !EVP_Digest(der, (size_t)len, digest, &dlen, EVP_sha256(), NULL) ||
	    dlen != sizeof(digest)) {
		st = eia_fail(err, EIA_EINPUT, "cannot compute key id");
		goto out;
	}
	hex_encode(digest, sizeof(digest), keyid);
out:
	free(der);
	ERR_clear_error();
	return st;
}

static EVP_PKEY *generate(sig_alg alg)
{
	switch (alg) {
	case ALG_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case ALG_ECDSA_P256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case ALG_ECDSA_P384:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case ALG_RSA_3072:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	default:
		return NULL;
	}
}

/* Writes the PEM that `bio` holds to path, then wipes it. */
static eia_status write_bio(BIO *bio, const char *path, mode_t mode, eia_error *err)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	eia_status st;

	if (len <= 0 || data == NULL)
		return eia_fail(err, EIA_EINPUT, "%s: cannot encode key", path);
	st = atomic_write(path, data, (size_t)len, mode, err);
	OPENSSL_cleanse(data, (size_t)len);
	return st;
}

/* PKCS#8 PEM of the private key into bio: plain, or PBES2 with AES-256-CBC
 * and PBKDF2-HMAC-SHA256 at KDF_ITERATIONS (OpenSSL's default is 2048). */
static int encode_private(BIO *bio, EVP_PKEY *key, const char *passphrase)
{
	PKCS8_PRIV_KEY_INFO *p8;
	X509_SIG *enc = NULL;
	int ok;

	if (passphrase == NULL)
		return PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	p8 = EVP_PKEY2PKCS8(key);
	if (p8 != NULL)
		enc = PKCS8_encrypt_ex(-1, EVP_aes_256_cbc(), passphrase, (int)strlen(passphrase),
				       NULL, 0, KDF_ITERATIONS, p8, NULL, NULL);
	ok = enc != NULL && PEM_write_bio_PKCS8(bio, enc);
	X509_SIG_free(enc);
	PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key octets */
	return ok;
}

static eia_status write_keys(EVP_PKEY *key, const char *key_path, const char *pub_path,
			     const char *passphrase, eia_error *err)
{
	BIO *priv = BIO_new(BIO_s_secmem()), *pub = BIO_new(BIO_s_mem());
	eia_status st;

	if (priv == NULL || pub == NULL) {
		st = eia_fail(err, EIA_EINPUT, "%s: out of memory", key_path);
		goto out;
	}
	if (!encode_private(priv, key, passphrase) || !PEM_write_bio_PUBKEY(pub, key)) {
		st = eia_fail(err, EIA_EINPUT, "%s: cannot encode key", key_path);
		goto out;
	}
	st = write_bio(priv, key_path, 0600, err);
	if (st == EIA_OK)
		st = write_bio(pub, pub_path, 0644, err);
out:
	BIO_free(priv);
	BIO_free(pub);
	return st;
}

/* EIA_OK only if nothing exists at path (a private key is never replaced). */
eia_status crypto_refuse_existing(const char *path, eia_error *err)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		return eia_fail(err, EIA_EINPUT,
				"%s: already exists; refusing to overwrite "
				"a private key",
				path);
	if (errno != ENOENT)
		return eia_fail_errno(err, EIA_EINPUT, errno, "%s", path);
	return EIA_OK;
}

eia_status crypto_keygen(sig_alg alg, const char *prefix, const char *passphrase,
			 char keyid[KEYID_HEX_LEN + 1], eia_error *err)
{
	buf key_path, pub_path;
	EVP_PKEY *key = NULL;
	eia_status st;

	buf_init(&key_path);
	buf_init(&pub_path);
	buf_printf(&key_path, "%s.key", prefix);
	buf_printf(&pub_path, "%s.pub", prefix);
	if ((st = crypto_refuse_existing((char *)key_path.data, err)) != EIA_OK)
		goto out;
	key = generate(alg);
	if (key == NULL) {
		st = eia_fail(err, EIA_EINPUT, "cannot generate %s key", sig_alg_name(alg));
		goto out;
	}
	st = crypto_keyid(key, keyid, err);
	if (st == EIA_OK)
		st = write_keys(key, (char *)key_path.data, (char *)pub_path.data, passphrase, err);
out:
	EVP_PKEY_free(key);
	buf_free(&key_path);
	buf_free(&pub_path);
	ERR_clear_error();
	return st;
}

/* Never prompts: OpenSSL's default callback would read the terminal. */
static int pass_cb(char *out, int size, int rwflag, void *u)
{
	size_t len;

	(void)rwflag;
	if (u == NULL || size <= 0)
		return -1;
	len = strlen(u);
	if (len > (size_t)size)
		return -1;
	memcpy(out, u, len);
	return (int)len;
}

static void wipe_buf(buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

/* Reads all of fd into one fixed buffer (no reallocation leaves copies of
 * key material behind). */
static eia_status read_fd_fixed(int fd, const char *path, buf *out, eia_error *err)
{
	out->cap = KEY_FILE_MAX + 1;
	out->data = xmalloc(out->cap);
	out->len = 0;
	for (;;) {
		ssize_t n = read(fd, out->data + out->len, out->cap - 1 - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return eia_fail_errno(err, EIA_EINPUT, errno, "%s", path);
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len == out->cap - 1)
			return eia_fail(err, EIA_EINPUT, "%s: too large for a key file", path);
	}
	out->data[out->len] = '\0';
	return EIA_OK;
}

/* Reads a private key file: no symlinks, regular, no group/other bits. */
static eia_status read_private(const char *path, buf *out, eia_error *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	eia_status st = EIA_OK;

	buf_init(out);
	if (fd < 0)
		return eia_fail_errno(err, EIA_EINPUT, errno, "%s", path);
	if (fstat(fd, &sb) != 0) {
		st = eia_fail_errno(err, EIA_EINPUT, errno, "%s", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = eia_fail(err, EIA_EINPUT, "%s: not a regular file", path);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		st = eia_fail(err, EIA_EINPUT,
			      "%s: private key is accessible by group or "
			      "others (mode %04o); run chmod 600 on it",
			      path, (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	st = read_fd_fixed(fd, path, out, err);
out:
	close(fd);
	if (st != EIA_OK)
		wipe_buf(out);
	return st;
}

static int pem_kind(const buf *b)
{
	static const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
	static const char plain[] = "-----BEGIN PRIVATE KEY-----";

	if (b->len == 0)
		return -1;
	if (memmem(b->data, b->len, enc, sizeof(enc) - 1) != NULL)
		return 1;
	if (memmem(b->data, b->len, plain, sizeof(plain) - 1) != NULL)
		return 0;
	return -1;
}

eia_status crypto_private_encrypted(const char *path, int *encrypted, eia_error *err)
{
	buf b;
	eia_status st = read_private(path, &b, err);

	if (st != EIA_OK)
		return st;
	*encrypted = pem_kind(&b);
	if (*encrypted < 0)
		st = eia_fail(err, EIA_EINPUT, "%s: not a PKCS#8 PEM private key", path);
	wipe_buf(&b);
	return st;
}

eia_status crypto_load_private(const char *path, const char *passphrase, EVP_PKEY **out,
			       eia_error *err)
{
	buf b;
	BIO *bio = NULL;
	int kind;
	eia_status st = read_private(path, &b, err);

	*out = NULL;
	if (st != EIA_OK)
		return st;
	kind = pem_kind(&b);
	if (kind < 0) {
		st = eia_fail(err, EIA_EINPUT, "%s: not a PKCS#8 PEM private key", path);
		goto out;
	}
	if (kind == 1 && passphrase == NULL) {
		st = eia_fail(err, EIA_EINPUT,
			      "%s: key is encrypted and no passphrase was "
			      "given",
			      path);
		goto out;
	}
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	if (bio != NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, pass_cb,
					       kind == 1 ? (void *)passphrase : NULL);
	if (*out == NULL) {
		st = eia_fail(err, EIA_EINPUT, "%s: %s", path,
			      kind == 1 ? "wrong passphrase or corrupt key" :
					  "corrupt private key");
		goto out;
	}
	if (crypto_key_alg(*out) < 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		st = eia_fail(err, EIA_EINPUT,
			      "%s: unsupported key type (eia uses ed25519, "
			      "ecdsa-p256, ecdsa-p384, rsa-3072)",
			      path);
	}
out:
	BIO_free(bio);
	wipe_buf(&b);
	ERR_clear_error();
	return st;
}

eia_status crypto_load_public(const char *what, const char *pem, size_t len, EVP_PKEY **out,
			      eia_error *err)
{
	static const char head[] = "-----BEGIN PUBLIC KEY-----";
	size_t i = 0;
	BIO *bio;

	*out = NULL;
	while (i < len && (pem[i] == ' ' || pem[i] == '\t' || pem[i] == '\n' || pem[i] == '\r'))
		i++;
	if (len - i < sizeof(head) - 1 || memcmp(pem + i, head, sizeof(head) - 1) != 0 ||
	    len > KEY_FILE_MAX)
		return eia_fail(err, EIA_EINPUT,
				"%s: not a PEM public key (SPKI, "
				"\"BEGIN PUBLIC KEY\")",
				what);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_PUBKEY(bio, NULL, pass_cb, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (*out == NULL)
		return eia_fail(err, EIA_EINPUT, "%s: corrupt public key", what);
	if (crypto_key_alg(*out) < 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return eia_fail(err, EIA_EINPUT,
				"%s: unsupported key type (eia accepts "
				"ed25519, ecdsa-p256, ecdsa-p384, rsa-3072)",
				what);
	}
	return EIA_OK;
}

/* Sets up ctx for signing or verifying with the fixed parameters of alg. */
static int init_ctx(EVP_MD_CTX *ctx, EVP_PKEY *key, sig_alg alg, int sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = alg_md(alg);
	int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, key) :
			EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key);

	if (ok != 1)
		return 0;
	if (alg != ALG_RSA_3072)
		return 1;
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
}

int crypto_verify(EVP_PKEY *key, sig_alg alg, const unsigned char *data, size_t len,
		  const unsigned char *sig, size_t sig_len)
{
	static const unsigned char empty[1];
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (key == NULL || sig == NULL || sig_len == 0 || crypto_key_alg(key) != (int)alg)
		return 0;
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && init_ctx(ctx, key, alg, 0))
		ok = EVP_DigestVerify(ctx, sig, sig_len, data ? data : empty, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

eia_status crypto_sign(EVP_PKEY *key, const unsigned char *data, size_t len, unsigned char **sig,
		       size_t *sig_len, eia_error *err)
{
	static const unsigned char empty[1];
	int alg = crypto_key_alg(key);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 0;
	eia_status st = EIA_OK;

	*sig = NULL;
	if (data == NULL)
		data = empty;
	if (alg < 0 || ctx == NULL || !init_ctx(ctx, key, (sig_alg)alg, 1) ||
	    EVP_DigestSign(ctx, NULL, &n, data, len) != 1 || n == 0) {
		st = eia_fail(err, EIA_EINPUT, "cannot set up signing");
		goto out;
	}
	*sig = xmalloc(n);
	if (EVP_DigestSign(ctx, *sig, &n, data, len) != 1) {
		st = eia_fail(err, EIA_EINPUT, "signing failed");
		goto out;
	}
	*sig_len = n;
	/* A faulty signature must never leave the machine. */
	if (!crypto_verify(key, (sig_alg)alg, data, len, *sig, n))
		st = eia_fail(err, EIA_EINPUT, "signature failed its self-check");
out:
	if (st != EIA_OK) {
		free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return st;
}

/* ---- passphrases ---------------------------------------------------- */

#define PASSPHRASE_MAX 1024

void passphrase_free(char *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, strlen(p));
	free(p);
}

/* Copies the first line of data[0..len) (without "\n" or "\r\n"). */
static eia_status first_line(const char *what, const char *data, size_t len, char **out,
			     eia_error *err)
{
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) : len;

	if (n > 0 && data[n - 1] == '\r')
		n--;
	if (n == 0)
		return eia_fail(err, EIA_EINPUT, "%s: empty passphrase", what);
	if (n > PASSPHRASE_MAX)
		return eia_fail(err, EIA_EINPUT, "%s: passphrase longer than %d bytes", what,
				PASSPHRASE_MAX);
	if (memchr(data, '\0', n) != NULL)
		return eia_fail(err, EIA_EINPUT, "%s: passphrase contains a NUL byte", what);
	*out = xmemdup0(data, n);
	return EIA_OK;
}

static eia_status passphrase_from_file(const char *file, char **out, eia_error *err)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	buf b;
	eia_status st;

	if (fd < 0)
		return eia_fail_errno(err, EIA_EINPUT, errno, "%s", file);
	st = read_fd_fixed(fd, file, &b, err);
	close(fd);
	if (st == EIA_OK)
		st = first_line(file, (const char *)b.data, b.len, out, err);
	wipe_buf(&b);
	return st;
}

/* Reads one line from the terminal fd with echo off. */
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
#define N_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* The one piece of process-wide state here: a signal handler can do
 * nothing else. Set while a passphrase prompt is interrupted. */
static volatile sig_atomic_t tty_interrupted;

static void interrupt_read(int sig)
{
	(void)sig;
	tty_interrupted = 1; /* and the pending read() fails with EINTR */
}

/* While echo is off, ^C and friends end the read instead of killing eia
 * with the terminal left silent. */
static void catch_signals(struct sigaction old[N_TTY_SIGNALS])
{
	struct sigaction sa;

	tty_interrupted = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupt_read;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_TTY_SIGNALS; i++)
		(void)sigaction(tty_signals[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction old[N_TTY_SIGNALS])
{
	for (size_t i = 0; i < N_TTY_SIGNALS; i++)
		(void)sigaction(tty_signals[i], &old[i], NULL);
}

/* Reads up to a newline into line; returns the length, or -1 if a signal
 * interrupted, or sizeof(line) if it did not fit. */
static long read_line(int fd, char *line, size_t size)
{
	size_t n = 0;

	while (n < size) {
		ssize_t r;
		if (tty_interrupted)
			return -1;
		r = read(fd, line + n, 1);
		if (r < 0 && errno == EINTR)
			return -1;
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	return (long)n;
}

/* Reads one line from the terminal fd with echo off. */
static eia_status tty_read(int fd, const char *prompt, char **out, eia_error *err)
{
	struct sigaction old[N_TTY_SIGNALS];
	struct termios saved, quiet;
	char line[PASSPHRASE_MAX + 2];
	long n = 0;
	ssize_t ignored;
	eia_status st;

	if (tcgetattr(fd, &saved) != 0)
		return eia_fail_errno(err, EIA_EINPUT, errno, "/dev/tty");
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	catch_signals(old);
	/* echo off before the prompt, so nothing typed after it is shown */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0 || write(fd, prompt, strlen(prompt)) < 0)
		n = -2;
	else
		n = read_line(fd, line, sizeof(line));
	(void)tcsetattr(fd, TCSAFLUSH, &saved);
	restore_signals(old);
	ignored = write(fd, "\n", 1); /* the user's Enter was not echoed */
	(void)ignored;
	if (n == -2)
		st = eia_fail(err, EIA_EINPUT, "/dev/tty: cannot turn off echo");
	else if (n == -1)
		st = eia_fail(err, EIA_EINPUT, "passphrase entry interrupted");
	else if ((size_t)n >= sizeof(line))
		st = eia_fail(err, EIA_EINPUT, "passphrase longer than %d bytes", PASSPHRASE_MAX);
	else
		st = first_line("terminal", line, (size_t)n, out, err);
	OPENSSL_cleanse(line, sizeof(line));
	return st;
}

static eia_status passphrase_from_tty(int confirm, char **out, eia_error *err)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *again = NULL;
	eia_status st;

	if (fd < 0)
		return eia_fail(err, EIA_EINPUT,
				"no passphrase: use --passphrase-file, "
				"EIA_PASSPHRASE or a terminal, or --no-passphrase");
	st = tty_read(fd, "Passphrase: ", out, err);
	if (st == EIA_OK && confirm) {
		st = tty_read(fd, "Passphrase again: ", &again, err);
		if (st == EIA_OK && (*out == NULL || again == NULL || strcmp(*out, again) != 0))
			st = eia_fail(err, EIA_EINPUT, "the passphrases do not match");
		passphrase_free(again);
		if (st != EIA_OK) {
			passphrase_free(*out);
			*out = NULL;
		}
	}
	close(fd);
	return st;
}

eia_status passphrase_get(const char *file, int confirm, char **out, eia_error *err)
{
	const char *env = getenv("EIA_PASSPHRASE");

	*out = NULL;
	if (file != NULL)
		return passphrase_from_file(file, out, err);
	if (env != NULL)
		return first_line("EIA_PASSPHRASE", env, strlen(env), out, err);
	return passphrase_from_tty(confirm, out, err);
}
