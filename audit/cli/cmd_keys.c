/* cmd_keys.c - eia keygen, keyid, sign and verify. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "model/crypto.h"
#include "model/sigfile.h"
#include "model/trust.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/timefmt.h"
#include "util/yaml_tree.h"

#define PUBLIC_KEY_MAX ((size_t)64 << 10)

enum {
	OPT_PASSFILE = 256,
	OPT_NO_PASS,
	OPT_TRUST,
	OPT_SIGS
};

/* ---- keygen --------------------------------------------------------- */

static const char keygen_usage[] =
	"usage: eia keygen -o PREFIX [--algorithm ed25519|ecdsa-p256|ecdsa-p384|rsa-3072]\n"
	"                  [--passphrase-file F | --no-passphrase]\n\n"
	"Writes PREFIX.key (PKCS#8 PEM, mode 0600, AES-256 encrypted unless\n"
	"--no-passphrase) and PREFIX.pub (SPKI PEM), and prints the key id.\n"
	"The passphrase comes from --passphrase-file (first line), EIA_PASSPHRASE\n"
	"or the terminal. The default algorithm is ed25519.\n";

struct keygen_opts {
	const char *prefix, *passfile;
	int no_pass, help;
	sig_alg alg;
};

static eia_status keygen_parse(int argc, char **argv, struct keygen_opts *o, eia_error *err)
{
	static const struct option longopts[] = {
		{"algorithm", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{"no-passphrase", no_argument, NULL, OPT_NO_PASS},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
		{NULL, 0, NULL, 0},
	};
	int c, a;

	memset(o, 0, sizeof(*o));
	o->alg = ALG_ED25519;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+a:ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if ((a = sig_alg_by_name(optarg)) < 0)
				return cli_usage(err, "keygen", "unknown algorithm '%s'", optarg);
			o->alg = (sig_alg)a;
			break;
		case 'h':
			o->help = 1;
			return EIA_OK;
		case 'o':
			o->prefix = optarg;
			break;
		case OPT_PASSFILE:
			o->passfile = optarg;
			break;
		case OPT_NO_PASS:
			o->no_pass = 1;
			break;
		default:
			return cli_usage(err, "keygen", "bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage(err, "keygen", "unexpected argument '%s'", argv[optind]);
	if (o->prefix == NULL || *o->prefix == '\0')
		return cli_usage(err, "keygen", "-o PREFIX is required");
	if (o->passfile && o->no_pass)
		return cli_usage(err, "keygen",
				 "--passphrase-file and --no-passphrase "
				 "exclude each other");
	return EIA_OK;
}

eia_status cmd_keygen(int argc, char **argv, eia_error *err)
{
	struct keygen_opts o;
	char keyid[KEYID_HEX_LEN + 1], *pass = NULL;
	buf key_path;
	eia_status st = keygen_parse(argc, argv, &o, err);

	if (st != EIA_OK || o.help) {
		if (st == EIA_OK)
			fputs(keygen_usage, stdout);
		return st;
	}
	buf_init(&key_path);
	buf_printf(&key_path, "%s.key", o.prefix);
	if ((st = crypto_refuse_existing((char *)key_path.data, err)) != EIA_OK)
		goto out;
	if (!o.no_pass && (st = passphrase_get(o.passfile, 1, &pass, err)) != EIA_OK)
		goto out;
	st = crypto_keygen(o.alg, o.prefix, pass, keyid, err);
	if (st == EIA_OK)
		printf("%s\n", keyid);
out:
	passphrase_free(pass);
	buf_free(&key_path);
	return st;
}

/* ---- keyid ---------------------------------------------------------- */

static const char keyid_usage[] =
	"usage: eia keyid PUBLIC_KEY.pem\n\n"
	"Prints the key id: the lowercase hex SHA-256 of the DER SubjectPublicKeyInfo\n"
	"(openssl pkey -pubin -in KEY.pub -outform DER | sha256sum).\n";

eia_status cmd_keyid(int argc, char **argv, eia_error *err)
{
	char keyid[KEYID_HEX_LEN + 1];
	EVP_PKEY *key = NULL;
	buf b;
	eia_status st;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(keyid_usage, stdout);
		return EIA_OK;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(err, "keyid", "expected exactly one PUBLIC_KEY.pem");
	st = file_read_all(argv[1], PUBLIC_KEY_MAX, &b, err);
	if (st != EIA_OK)
		return st;
	st = crypto_load_public(argv[1], (const char *)b.data, b.len, &key, err);
	if (st == EIA_OK)
		st = crypto_keyid(key, keyid, err);
	if (st == EIA_OK)
		printf("%s\n", keyid);
	EVP_PKEY_free(key);
	buf_free(&b);
	return st;
}

/* ---- sign ----------------------------------------------------------- */

static const char sign_usage[] =
	"usage: eia sign -k PRIVATE_KEY [--passphrase-file F] FILE\n\n"
	"Signs the exact bytes of FILE and adds the signature to FILE.sig (one\n"
	"entry per key: signing again with the same key replaces its entry).\n";

struct sign_opts {
	const char *key, *passfile, *file;
	int help;
};

static eia_status sign_parse(int argc, char **argv, struct sign_opts *o, eia_error *err)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"key", required_argument, NULL, 'k'},
		{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hk:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			o->help = 1;
			return EIA_OK;
		case 'k':
			o->key = optarg;
			break;
		case OPT_PASSFILE:
			o->passfile = optarg;
			break;
		default:
			return cli_usage(err, "sign", "bad option '%s'", argv[optind - 1]);
		}
	}
	if (o->key == NULL)
		return cli_usage(err, "sign", "-k PRIVATE_KEY is required");
	if (argc - optind != 1)
		return cli_usage(err, "sign", "expected exactly one FILE to sign");
	o->file = argv[optind];
	return EIA_OK;
}

/* Loads the private key, asking for a passphrase only if it is encrypted. */
static eia_status load_signing_key(const char *path, const char *passfile, EVP_PKEY **key,
				   eia_error *err)
{
	char *pass = NULL;
	int encrypted = 0;
	eia_status st = crypto_private_encrypted(path, &encrypted, err);

	if (st == EIA_OK && encrypted)
		st = passphrase_get(passfile, 0, &pass, err);
	if (st == EIA_OK)
		st = crypto_load_private(path, pass, key, err);
	passphrase_free(pass);
	return st;
}

/* Reads FILE.sig if present; a missing one starts an empty list. */
static eia_status load_existing_sigs(const char *path, sigfile *s, eia_error *err)
{
	struct stat sb;

	sigfile_init(s);
	if (lstat(path, &sb) != 0 && errno == ENOENT)
		return EIA_OK;
	return sigfile_load(path, s, err);
}

static eia_status sign_file(const struct sign_opts *o, EVP_PKEY *key, const char *sig_path,
			    eia_error *err)
{
	sig_entry e;
	sigfile sigs;
	buf data, out;
	eia_status st;

	memset(&e, 0, sizeof(e));
	buf_init(&out);
	sigfile_init(&sigs);
	if ((st = file_read_all(o->file, EIA_MAX_INPUT_FILE, &data, err)) != EIA_OK)
		return st;
	if ((st = load_existing_sigs(sig_path, &sigs, err)) != EIA_OK ||
	    (st = crypto_keyid(key, e.key, err)) != EIA_OK)
		goto out;
	if (sigfile_find(&sigs, e.key) < 0 && sigs.n >= SIGFILE_MAX_ENTRIES) {
		st = eia_fail(err, EIA_EINPUT, "%s: already holds %d signatures", sig_path,
			      SIGFILE_MAX_ENTRIES);
		goto out;
	}
	e.alg = (sig_alg)crypto_key_alg(key);
	if ((st = crypto_sign(key, data.data, data.len, &e.sig, &e.sig_len, err)) != EIA_OK)
		goto out;
	sigfile_put(&sigs, &e);
	sigfile_write(&sigs, &out);
	st = atomic_write(sig_path, out.data, out.len, 0644, err);
	if (st == EIA_OK)
		printf("signed %s with key %s (%s)\n", o->file, e.key, sig_path);
out:
	sigfile_free(&sigs);
	buf_free(&data);
	buf_free(&out);
	return st;
}

eia_status cmd_sign(int argc, char **argv, eia_error *err)
{
	struct sign_opts o;
	EVP_PKEY *key = NULL;
	buf sig_path;
	eia_status st = sign_parse(argc, argv, &o, err);

	if (st != EIA_OK || o.help) {
		if (st == EIA_OK)
			fputs(sign_usage, stdout);
		return st;
	}
	buf_init(&sig_path);
	buf_printf(&sig_path, "%s.sig", o.file);
	st = load_signing_key(o.key, o.passfile, &key, err);
	if (st == EIA_OK)
		st = sign_file(&o, key, (char *)sig_path.data, err);
	EVP_PKEY_free(key);
	buf_free(&sig_path);
	return st;
}

/* ---- verify --------------------------------------------------------- */

static const char verify_usage[] =
	"usage: eia verify --trust TRUST.yaml FILE [--signatures FILE.sig]\n\n"
	"Checks the signatures on a manifest or a report (told apart by content:\n"
	"a report is JSON with \"eia-report\") against the trust store, and\n"
	"prints each entry's status. Exit 0 when the threshold for the kind\n"
	"(baseline or report) is met by distinct valid keys, 3 when not.\n";

struct verify_opts {
	const char *trust, *sigs, *file;
	int help;
};

static eia_status verify_parse(int argc, char **argv, struct verify_opts *o, eia_error *err)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"signatures", required_argument, NULL, OPT_SIGS},
		{"trust", required_argument, NULL, OPT_TRUST},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			o->help = 1;
			return EIA_OK;
		case OPT_SIGS:
			o->sigs = optarg;
			break;
		case OPT_TRUST:
			o->trust = optarg;
			break;
		default:
			return cli_usage(err, "verify", "bad option '%s'", argv[optind - 1]);
		}
	}
	if (o->trust == NULL)
		return cli_usage(err, "verify", "--trust TRUST.yaml is required");
	if (argc - optind != 1)
		return cli_usage(err, "verify", "expected exactly one FILE to verify");
	o->file = argv[optind];
	return EIA_OK;
}

static int is_json_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A report is a JSON object whose top level has "eia-report". eia writes
 * it as the first key, which is checked without parsing; other layouts are
 * parsed. Whatever this decides, the role's own keys must have signed. */
static int is_report(const buf *data)
{
	static const char key[] = "\"eia-report\"";
	yt_node *root = NULL;
	eia_error ignored;
	size_t i = 0;
	int report;

	while (i < data->len && is_json_space(data->data[i]))
		i++;
	if (i == data->len || data->data[i++] != '{')
		return 0;
	while (i < data->len && is_json_space(data->data[i]))
		i++;
	if (data->len - i >= sizeof(key) - 1 && memcmp(data->data + i, key, sizeof(key) - 1) == 0)
		return 1;
	if (yt_parse("report", data->data, data->len, &root, &ignored) != EIA_OK)
		return 0;
	report = root->kind == YT_MAP && yt_get(root, "eia-report") != NULL;
	yt_free(root);
	return report;
}

static void print_verdict(const trust_verdict *v, const char *kind, eia_status st)
{
	for (size_t i = 0; i < v->n; i++)
		printf("%s %s %s\n", sig_status_name(v->v[i].status), v->v[i].key,
		       v->v[i].name ? v->v[i].name : "(not in the trust store)");
	if (st == EIA_OK)
		printf("trusted: %u of %u required %s signatures valid\n", v->valid, v->required,
		       kind);
}

static eia_status verify_file(const struct verify_opts *o, const trust_store *t,
			      const char *sig_path, eia_error *err)
{
	trust_verdict v;
	sigfile sigs;
	buf data;
	eia_status st;
	eia_error why;
	int report;

	memset(&v, 0, sizeof(v));
	sigfile_init(&sigs);
	if ((st = file_read_all(o->file, EIA_MAX_INPUT_FILE, &data, err)) != EIA_OK)
		return st;
	if ((st = sigfile_load(sig_path, &sigs, err)) != EIA_OK)
		goto out;
	report = is_report(&data);
	st = trust_check(t, report ? ROLE_REPORT : ROLE_BASELINE, data.data, data.len, &sigs,
			 eia_now(), &v, &why);
	print_verdict(&v, report ? "report" : "baseline", st);
	if (st != EIA_OK)
		eia_fail(err, st, "%s: %s", o->file, why.msg);
out:
	trust_verdict_free(&v);
	sigfile_free(&sigs);
	buf_free(&data);
	return st;
}

eia_status cmd_verify(int argc, char **argv, eia_error *err)
{
	struct verify_opts o;
	trust_store t;
	buf sig_path;
	eia_status st = verify_parse(argc, argv, &o, err);

	if (st != EIA_OK || o.help) {
		if (st == EIA_OK)
			fputs(verify_usage, stdout);
		return st;
	}
	buf_init(&sig_path);
	if (o.sigs != NULL)
		buf_adds(&sig_path, o.sigs);
	else
		buf_printf(&sig_path, "%s.sig", o.file);
	st = trust_load(o.trust, &t, err);
	if (st == EIA_OK) {
		st = verify_file(&o, &t, (char *)sig_path.data, err);
		trust_free(&t);
	}
	buf_free(&sig_path);
	return st;
}
