/* cmd_audit.c - `eia audit`: trust first, then parse, then compare.
 *
 * Order (SPEC.md): every manifest's raw bytes are checked against the trust
 * store before any YAML of it is parsed; an untrusted manifest stops the
 * audit with exit 3 (its report, if asked for, says "untrusted"). Then the
 * manifests are parsed, expiry and rollback are checked, the tree is
 * compared, and the report and its renderings are written. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/outputs.h"
#include "model/manifest.h"
#include "model/state.h"
#include "model/trust.h"
#include "scan/audit.h"
#include "scan/digest.h"
#include "scan/engine.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/timefmt.h"

#define MAX_LAYERS 64

typedef struct audit_args {
	const char *manifests[MAX_LAYERS];
	size_t n_manifests;
	const char *trust, *root, *state;
	kv context[256];
	size_t n_context;
	report_outputs out;
	unsigned jobs;
	int quiet, progress;
	archive_limits limits;
} audit_args;

typedef struct layer {
	buf raw;
	sigfile sigs;
	manifest m;
	int parsed;
} layer;

static const char usage_text[] =
	"usage: eia audit --manifest MANIFEST.yaml [--manifest MORE.yaml]... --trust TRUST.yaml\n"
	"                 --root DIR [--state STATE.yaml] [--context KEY=VALUE]...\n"
	"                 [--report REPORT.json] [--sign-report PRIVATE_KEY [--passphrase-file F]]\n"
	"                 [--junit FILE] [--sarif FILE] [--html FILE] [--json]\n"
	"                 [--jobs N] [--quiet | --progress]\n"
	"                 [--max-depth N] [--max-entries N] [--max-bytes N] [--max-ratio N]\n\n"
	"Verifies each manifest's signatures (MANIFEST.yaml.sig) against the trust store\n"
	"over its raw bytes, then compares every certified entry with the tree under DIR,\n"
	"read-only. Exit 0 pass, 1 drift, 2 usage/input/I-O error, 3 trust failure.\n";

enum {
	OPT_MANIFEST = 256, OPT_TRUST, OPT_ROOT, OPT_STATE, OPT_CONTEXT, OPT_REPORT,
	OPT_SIGN_REPORT, OPT_PASSFILE, OPT_JUNIT, OPT_SARIF, OPT_HTML, OPT_JSON, OPT_JOBS,
	OPT_QUIET, OPT_PROGRESS, OPT_MAX_DEPTH, OPT_MAX_ENTRIES, OPT_MAX_BYTES,
	OPT_MAX_RATIO, OPT_HELP
};

static const struct option options[] = {
	{"context", required_argument, NULL, OPT_CONTEXT},
	{"help", no_argument, NULL, OPT_HELP},
	{"html", required_argument, NULL, OPT_HTML},
	{"jobs", required_argument, NULL, OPT_JOBS},
	{"json", no_argument, NULL, OPT_JSON},
	{"junit", required_argument, NULL, OPT_JUNIT},
	{"manifest", required_argument, NULL, OPT_MANIFEST},
	{"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
	{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
	{"max-entries", required_argument, NULL, OPT_MAX_ENTRIES},
	{"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"report", required_argument, NULL, OPT_REPORT},
	{"root", required_argument, NULL, OPT_ROOT},
	{"sarif", required_argument, NULL, OPT_SARIF},
	{"sign-report", required_argument, NULL, OPT_SIGN_REPORT},
	{"state", required_argument, NULL, OPT_STATE},
	{"trust", required_argument, NULL, OPT_TRUST},
	{NULL, 0, NULL, 0},
};

static eia_status add_context(audit_args *a, const char *arg, eia_error *err)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return cli_usage(err, "audit", "--context wants KEY=VALUE, got '%s'", arg);
	if (a->n_context == sizeof(a->context) / sizeof(a->context[0]))
		return cli_usage(err, "audit", "too many --context pairs");
	for (size_t i = 0; i < a->n_context; i++)
		if (strlen(a->context[i].key) == (size_t)(eq - arg) &&
		    strncmp(a->context[i].key, arg, (size_t)(eq - arg)) == 0)
			return cli_usage(err, "audit", "--context key '%.*s' given twice",
					 (int)(eq - arg), arg);
	a->context[a->n_context].key = xmemdup0(arg, (size_t)(eq - arg));
	a->context[a->n_context].value = xstrdup(eq + 1);
	a->n_context++;
	return EIA_OK;
}

static eia_status limit_opt(const char *name, const char *arg, uint64_t *out,
			    eia_error *err)
{
	unsigned long long v;
	eia_status st = cli_uint(name, arg, 1, UINT64_MAX, &v, err);

	if (st == EIA_OK)
		*out = v;
	return st;
}

static eia_status parse_one(audit_args *a, int c, const char *arg, eia_error *err)
{
	unsigned long long v = 0;
	eia_status st = EIA_OK;

	switch (c) {
	case OPT_MANIFEST:
		if (a->n_manifests == MAX_LAYERS)
			return cli_usage(err, "audit", "too many --manifest options");
		a->manifests[a->n_manifests++] = arg;
		break;
	case OPT_TRUST: a->trust = arg; break;
	case OPT_ROOT: a->root = arg; break;
	case OPT_STATE: a->state = arg; break;
	case OPT_CONTEXT: return add_context(a, arg, err);
	case OPT_REPORT: a->out.report = arg; break;
	case OPT_SIGN_REPORT: a->out.sign_key = arg; break;
	case OPT_PASSFILE: a->out.passphrase_file = arg; break;
	case OPT_JUNIT: a->out.junit = arg; break;
	case OPT_SARIF: a->out.sarif = arg; break;
	case OPT_HTML: a->out.html = arg; break;
	case OPT_JSON: a->out.json_stdout = 1; break;
	case OPT_QUIET: a->quiet = 1; break;
	case OPT_PROGRESS: a->progress = 1; break;
	case OPT_JOBS:
		st = cli_uint("--jobs", arg, 1, 256, &v, err);
		a->jobs = (unsigned)v;
		break;
	case OPT_MAX_DEPTH:
		st = cli_uint("--max-depth", arg, 0, 64, &v, err);
		a->limits.max_depth = (unsigned)v;
		break;
	case OPT_MAX_ENTRIES: st = limit_opt("--max-entries", arg, &a->limits.max_entries, err); break;
	case OPT_MAX_BYTES: st = limit_opt("--max-bytes", arg, &a->limits.max_bytes, err); break;
	case OPT_MAX_RATIO: st = limit_opt("--max-ratio", arg, &a->limits.max_ratio, err); break;
	default:
		return cli_usage(err, "audit", "unknown option");
	}
	return st;
}

static eia_status parse_args(int argc, char **argv, audit_args *a, int *help,
			     eia_error *err)
{
	int c;
	eia_status st;

	memset(a, 0, sizeof(*a));
	archive_limits_default(&a->limits);
	a->jobs = engine_default_jobs();
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			*help = 1;
			return EIA_OK;
		}
		if (c == '?' || c == ':')
			return cli_usage(err, "audit", c == ':' ? "option '%s' needs a value"
					 : "unknown option '%s'", argv[optind - 1]);
		if ((st = parse_one(a, c, optarg, err)) != EIA_OK)
			return st;
	}
	if (optind < argc)
		return cli_usage(err, "audit", "unexpected argument '%s'", argv[optind]);
	if (a->n_manifests == 0)
		return cli_usage(err, "audit", "--manifest is required");
	if (a->trust == NULL)
		return cli_usage(err, "audit", "--trust is required");
	if (a->root == NULL)
		return cli_usage(err, "audit", "--root is required");
	if (a->out.sign_key != NULL && a->out.report == NULL)
		return cli_usage(err, "audit", "--sign-report needs --report");
	if (a->quiet && a->progress)
		return cli_usage(err, "audit", "--quiet and --progress exclude each other");
	return EIA_OK;
}

/* Reads a manifest's raw bytes and its .sig, and decides trust. */
static eia_status trust_layer(const char *path, layer *l, manifest_info *mi,
			      const trust_store *ts, int64_t now, eia_error *err)
{
	buf sigpath;
	eia_status st;

	mi->file = xstrdup(path);
	mi->rollback = "not-enforced";
	st = file_read_all(path, EIA_MAX_INPUT_FILE, &l->raw, err);
	if (st != EIA_OK)
		return st;
	sha256_buf(l->raw.data, l->raw.len, mi->sha256);
	buf_init(&sigpath);
	buf_printf(&sigpath, "%s.sig", path);
	st = sigfile_load((char *)sigpath.data, &l->sigs, err);
	buf_free(&sigpath);
	if (st != EIA_OK)
		return st;
	st = trust_check(ts, ROLE_BASELINE, l->raw.data, l->raw.len, &l->sigs, now,
			 &mi->verdict, err);
	if (st == EIA_ETRUST) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		return eia_fail(err, EIA_ETRUST, "%s: %s", path, why);
	}
	mi->trusted = st == EIA_OK;
	return st;
}

/* Parses a trusted manifest and checks that it has not expired. */
static eia_status parse_layer(const char *path, layer *l, manifest_info *mi, int64_t now,
			      walk_job *walk, eia_error *err)
{
	const manifest *m = &l->m;
	eia_status st = manifest_parse_ahead(path, l->raw.data, l->raw.len, ahead_submit, walk,
					     &l->m, err);

	if (st != EIA_OK)
		return st;
	buf_free(&l->raw); /* trusted, parsed and digested: the bytes are done */
	l->parsed = mi->parsed = 1;
	mi->name = xstrdup(m->name);
	mi->serial = m->serial;
	mi->expires = m->expires ? xstrdup(m->expires) : NULL;
	mi->n_system = m->n_system;
	mi->system = xcalloc(m->n_system ? m->n_system : 1, sizeof(kv));
	for (size_t i = 0; i < m->n_system; i++) {
		mi->system[i].key = xstrdup(m->system[i].key);
		mi->system[i].value = xstrdup(m->system[i].value);
	}
	if (m->expires != NULL && now > m->expires_at) {
		mi->trusted = 0;
		return eia_fail(err, EIA_ETRUST, "%s: manifest '%s' expired at %s", path,
				m->name, m->expires);
	}
	return EIA_OK;
}

/* Rollback check (before) or check-and-record (after the comparison). */
static eia_status rollback(const audit_args *a, layer *layers, report *r, int save,
			   eia_error *err)
{
	state s;
	int lock = -1;
	eia_status st;

	if (a->state == NULL)
		return EIA_OK;
	if ((st = state_lock(a->state, &lock, err)) != EIA_OK)
		return st;
	st = state_load(a->state, &s, err);
	for (size_t i = 0; st == EIA_OK && i < a->n_manifests; i++) {
		st = state_check(&s, layers[i].m.name, layers[i].m.serial,
				 r->manifests[i].sha256, err);
		r->manifests[i].rollback = "enforced";
		if (save && st == EIA_OK)
			state_record(&s, layers[i].m.name, layers[i].m.serial,
				     r->manifests[i].sha256);
	}
	if (save && st == EIA_OK)
		st = state_save(a->state, &s, err);
	state_free(&s);
	state_unlock(lock);
	return st;
}

static eia_status run_audit(audit_args *a, layer *layers, report *r, eia_error *err)
{
	const manifest *ms[MAX_LAYERS];
	walk_job walk;
	trust_store ts;
	audit_options o;
	int64_t now = eia_now();
	eia_status st;

	trust_init(&ts);
	if ((st = trust_load(a->trust, &ts, err)) != EIA_OK)
		return st;
	/* every layer's signatures are checked and listed, even after a failure */
	for (size_t i = 0; i < a->n_manifests && st != EIA_EINPUT; i++) {
		eia_error one;
		eia_status s1 = trust_layer(a->manifests[i], &layers[i], &r->manifests[i],
					    &ts, now, &one);
		if (s1 != EIA_OK && (st == EIA_OK || s1 == EIA_EINPUT)) {
			st = s1;
			*err = one;
		}
	}
	trust_free(&ts);
	if (st != EIA_OK)
		return st;
	/* trusted: walk --root (metadata only) while the manifests are parsed */
	walk_start(&walk, a->root, a->jobs > 1, &a->limits); /* a second core to work ahead on */
	for (size_t i = 0; i < a->n_manifests && st == EIA_OK; i++)
		st = parse_layer(a->manifests[i], &layers[i], &r->manifests[i], now, &walk, err);
	if (st == EIA_OK)
		st = rollback(a, layers, r, 0, err);
	if (st != EIA_OK) {
		walk_discard(&walk);
		return st;
	}
	for (size_t i = 0; i < a->n_manifests; i++)
		ms[i] = &layers[i].m;
	memset(&o, 0, sizeof(o));
	o.layers = ms;
	o.n_layers = a->n_manifests;
	o.root = a->root;
	o.jobs = a->jobs;
	o.limits = a->limits;
	o.walk = &walk;
	/* progress on a terminal unless --quiet; --progress forces it */
	o.progress = a->progress || (!a->quiet && isatty(STDERR_FILENO));
	if ((st = audit_run(&o, r, err)) != EIA_OK)
		return st;
	return rollback(a, layers, r, 1, err);
}

static void report_begin(report *r, const audit_args *a)
{
	char *abs = realpath(a->root, NULL);

	memset(r, 0, sizeof(*r));
	r->started = eia_now();
	r->root = abs ? abs : xstrdup(a->root);
	r->n_manifests = a->n_manifests;
	r->manifests = xcalloc(a->n_manifests, sizeof(manifest_info));
	r->n_context = a->n_context;
	r->context = xcalloc(a->n_context ? a->n_context : 1, sizeof(kv));
	for (size_t i = 0; i < a->n_context; i++)
		r->context[i] = a->context[i]; /* ownership moves to the report */
}

static const char *result_of(const report *r, eia_status st)
{
	if (st == EIA_ETRUST)
		return "untrusted";
	if (st != EIA_OK)
		return "error";
	for (size_t i = 0; i < r->found.n; i++)
		if (r->found.v[i].sev == SEV_FAIL)
			return "drift";
	return "pass";
}

eia_status cmd_audit(int argc, char **argv, eia_error *err)
{
	audit_args a;
	layer layers[MAX_LAYERS];
	report r;
	int help = 0;
	eia_status st, out_st;

	if ((st = parse_args(argc, argv, &a, &help, err)) != EIA_OK || help) {
		if (help)
			fputs(usage_text, stdout);
		for (size_t i = 0; i < a.n_context; i++) {
			free(a.context[i].key);
			free(a.context[i].value);
		}
		return st;
	}
	memset(layers, 0, sizeof(layers));
	report_begin(&r, &a);
	if ((st = outputs_prepare(&a.out, err)) == EIA_OK)
		st = run_audit(&a, layers, &r, err);
	r.finished = eia_now();
	r.result = result_of(&r, st);
	if (st == EIA_ETRUST || st == EIA_EINPUT)
		r.reason = xstrdup(err->msg);
	if (st == EIA_ETRUST) {
		/* an untrusted audit lists signatures only: nothing was compared */
		for (size_t i = 0; i < r.n_records; i++)
			record_free(&r.records[i]);
		r.n_records = 0;
		findings_free(&r.found);
	}
	if (st == EIA_OK || st == EIA_ETRUST) {
		eia_error out_err;
		out_st = outputs_write(&a.out, &r, a.quiet, &out_err);
		if (out_st != EIA_OK && st == EIA_OK) {
			*err = out_err;
			st = out_st;
		}
	} else if (a.out.report != NULL) {
		/* nothing could be concluded: the record still says so */
		for (size_t i = 0; i < r.n_records; i++)
			record_free(&r.records[i]);
		r.n_records = 0;
		findings_free(&r.found);
		outputs_write_error(&a.out, &r);
	}
	if (st == EIA_OK && strcmp(r.result, "drift") == 0)
		st = EIA_DRIFT;
	outputs_release(&a.out);
	for (size_t i = 0; i < a.n_manifests; i++) {
		buf_free(&layers[i].raw);
		sigfile_free(&layers[i].sigs);
		if (layers[i].parsed)
			manifest_free(&layers[i].m);
	}
	report_free(&r);
	return st;
}
