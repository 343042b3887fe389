/* sigfile.c - strict reader and canonical writer of FILE.sig. */
#include "model/sigfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/encode.h"
#include "util/fileio.h"
#include "util/yaml_tree.h"

/* 256 entries of about 600 bytes each fit well within this. */
#define SIGFILE_MAX_BYTES ((size_t)1 << 20)

void sigfile_init(sigfile *s)
{
	s->v = NULL;
	s->n = 0;
}

void sigfile_free(sigfile *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].sig);
	free(s->v);
	sigfile_init(s);
}

static int is_keyid(const char *s, size_t len)
{
	if (len != KEYID_HEX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static eia_status parse_signature(const char *file, const yt_node *n, sig_entry *e, eia_error *err)
{
	const char *text;
	eia_status st = yt_str(file, n, "signature", &text, err);

	if (st != EIA_OK)
		return st;
	if (n->len > (SIGFILE_MAX_SIG + 2) / 3 * 4)
		return yt_err(err, file, n, "signature is longer than %d bytes", SIGFILE_MAX_SIG);
	e->sig = base64_decode(text, n->len, &e->sig_len);
	if (e->sig == NULL)
		return yt_err(err, file, n,
			      "signature is not valid base64 (padded, no "
			      "whitespace)");
	if (e->sig_len == 0 || e->sig_len > SIGFILE_MAX_SIG)
		return yt_err(err, file, n, "signature has a bad length (%zu bytes)", e->sig_len);
	return EIA_OK;
}

static eia_status parse_entry(const char *file, const yt_node *item, sig_entry *e, eia_error *err)
{
	static const char *const allowed[] = {"key", "algorithm", "signature", NULL};
	const yt_node *key, *alg, *sig;
	const char *text;
	int a;
	eia_status st;

	if ((st = yt_want(file, item, YT_MAP, "a signature entry", err)) != EIA_OK ||
	    (st = yt_check_keys(file, item, allowed, err)) != EIA_OK ||
	    (st = yt_require(file, item, "key", &key, err)) != EIA_OK ||
	    (st = yt_require(file, item, "algorithm", &alg, err)) != EIA_OK ||
	    (st = yt_require(file, item, "signature", &sig, err)) != EIA_OK ||
	    (st = yt_str(file, key, "key", &text, err)) != EIA_OK)
		return st;
	if (!is_keyid(text, key->len))
		return yt_err(err, file, key, "key must be a key id of 64 lowercase hex digits");
	memcpy(e->key, text, KEYID_HEX_LEN + 1);
	if ((st = yt_str(file, alg, "algorithm", &text, err)) != EIA_OK)
		return st;
	a = sig_alg_by_name(text);
	if (a < 0)
		return yt_err(err, file, alg,
			      "unknown algorithm '%s' (ed25519, ecdsa-p256, "
			      "ecdsa-p384 or rsa-3072)",
			      text);
	e->alg = (sig_alg)a;
	return parse_signature(file, sig, e, err);
}

static eia_status parse_tree(const char *file, const yt_node *root, sigfile *out, eia_error *err)
{
	static const char *const allowed[] = {"eia-signatures", "signatures", NULL};
	const yt_node *ver, *list;
	uint64_t v;
	eia_status st;

	if ((st = yt_want(file, root, YT_MAP, "a signature file", err)) != EIA_OK ||
	    (st = yt_check_keys(file, root, allowed, err)) != EIA_OK ||
	    (st = yt_require(file, root, "eia-signatures", &ver, err)) != EIA_OK ||
	    (st = yt_uint(file, ver, "eia-signatures", 1000, &v, err)) != EIA_OK)
		return st;
	if (v != 1)
		return yt_err(err, file, ver,
			      "unsupported eia-signatures version %llu "
			      "(this eia reads 1)",
			      (unsigned long long)v);
	if ((st = yt_require(file, root, "signatures", &list, err)) != EIA_OK ||
	    (st = yt_want(file, list, YT_SEQ, "signatures", err)) != EIA_OK)
		return st;
	if (list->n > SIGFILE_MAX_ENTRIES)
		return yt_err(err, file, list, "more than %d signatures", SIGFILE_MAX_ENTRIES);
	out->v = xcalloc(list->n, sizeof(*out->v));
	for (size_t i = 0; i < list->n; i++) {
		out->n = i + 1; /* so sigfile_free releases a partly parsed entry */
		st = parse_entry(file, list->kids[i], &out->v[i], err);
		if (st != EIA_OK)
			return st;
	}
	out->n = list->n;
	return EIA_OK;
}

eia_status sigfile_parse(const char *file, const unsigned char *data, size_t len, sigfile *out,
			 eia_error *err)
{
	yt_node *root = NULL;
	eia_status st;

	sigfile_init(out);
	st = yt_parse(file, data, len, &root, err);
	if (st == EIA_OK)
		st = parse_tree(file, root, out, err);
	yt_free(root);
	if (st != EIA_OK)
		sigfile_free(out);
	return st;
}

eia_status sigfile_load(const char *path, sigfile *out, eia_error *err)
{
	struct stat sb;
	buf b;
	eia_status st;

	sigfile_init(out);
	if (stat(path, &sb) != 0 && errno == ENOENT)
		return eia_fail(err, EIA_ETRUST, "%s: no signature file", path);
	st = file_read_all(path, SIGFILE_MAX_BYTES, &b, err);
	if (st != EIA_OK)
		return st;
	st = sigfile_parse(path, b.data, b.len, out, err);
	buf_free(&b);
	return st;
}

long sigfile_find(const sigfile *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].key, key) == 0)
			return (long)i;
	return -1;
}

void sigfile_put(sigfile *s, sig_entry *e)
{
	long i = sigfile_find(s, e->key);

	if (i >= 0) {
		free(s->v[i].sig);
		s->v[i] = *e;
		return;
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = *e;
}

void sigfile_write(const sigfile *s, buf *out)
{
	buf_adds(out, "eia-signatures: 1\n");
	if (s->n == 0) {
		buf_adds(out, "signatures: []\n");
		return;
	}
	buf_adds(out, "signatures:\n");
	for (size_t i = 0; i < s->n; i++) {
		char *b64 = base64_encode(s->v[i].sig, s->v[i].sig_len);
		buf_printf(out, "  - key: %s\n    algorithm: %s\n    signature: %s\n", s->v[i].key,
			   sig_alg_name(s->v[i].alg), b64);
		free(b64);
	}
}
