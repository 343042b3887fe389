/* cmd_baseline.c - `eia baseline`: a canonical manifest derived from a tree.
 *
 * Deterministic by construction: the walk is sorted, nothing time-dependent
 * is written unless asked (--expires), and manifest_write has one form. Two
 * parties deriving a baseline from the same bytes get identical files. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "model/manifest.h"
#include "scan/archive.h"
#include "scan/engine.h"
#include "scan/walk.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/paths.h"
#include "util/timefmt.h"

#define MAX_GLOBS 256
#define DEFAULT_CHUNK ((uint64_t)1 << 20)

typedef struct baseline_args {
	const char *root, *out, *name, *expires;
	uint64_t serial;
	int have_serial, no_members, jobs_set;
	const char *firmware[MAX_GLOBS], *ignore[MAX_GLOBS];
	size_t n_firmware, n_ignore;
	uint64_t chunk_size;
	unlisted_policy unlisted;
	unsigned jobs;
	archive_limits limits;
} baseline_args;

static const char usage_text[] =
	"usage: eia baseline --root DIR -o MANIFEST.yaml --name NAME --serial N\n"
	"                    [--expires RFC3339] [--firmware GLOB]... [--chunk-size BYTES]\n"
	"                    [--no-members] [--ignore GLOB]... [--unlisted fail|warn|ignore]\n"
	"                    [--jobs N]\n\n"
	"Writes an unsigned canonical manifest of every file, directory and symlink under\n"
	"DIR (sorted, byte-identical for identical trees). Files matching --firmware are\n"
	"firmware entries with chunk digests (default chunk size 1048576); files that\n"
	"libarchive reads as archives get their members, unless --no-members. Sign the\n"
	"result with 'eia sign'.\n";

enum {
	OPT_ROOT = 256, OPT_NAME, OPT_SERIAL, OPT_EXPIRES, OPT_FIRMWARE, OPT_CHUNK,
	OPT_NO_MEMBERS, OPT_IGNORE, OPT_UNLISTED, OPT_JOBS, OPT_HELP
};

static const struct option options[] = {
	{"chunk-size", required_argument, NULL, OPT_CHUNK},
	{"expires", required_argument, NULL, OPT_EXPIRES},
	{"firmware", required_argument, NULL, OPT_FIRMWARE},
	{"help", no_argument, NULL, OPT_HELP},
	{"ignore", required_argument, NULL, OPT_IGNORE},
	{"jobs", required_argument, NULL, OPT_JOBS},
	{"name", required_argument, NULL, OPT_NAME},
	{"no-members", no_argument, NULL, OPT_NO_MEMBERS},
	{"output", required_argument, NULL, 'o'},
	{"root", required_argument, NULL, OPT_ROOT},
	{"serial", required_argument, NULL, OPT_SERIAL},
	{"unlisted", required_argument, NULL, OPT_UNLISTED},
	{NULL, 0, NULL, 0},
};

static eia_status add_glob(const char **v, size_t *n, const char *g, eia_error *err)
{
	if (*n == MAX_GLOBS)
		return cli_usage(err, "baseline", "too many globs");
	v[(*n)++] = g;
	return EIA_OK;
}

static eia_status parse_one(baseline_args *a, int c, const char *arg, eia_error *err)
{
	unsigned long long v;
	int64_t t;
	eia_status st = EIA_OK;

	switch (c) {
	case 'o': a->out = arg; break;
	case OPT_ROOT: a->root = arg; break;
	case OPT_NAME: a->name = arg; break;
	case OPT_NO_MEMBERS: a->no_members = 1; break;
	case OPT_FIRMWARE: return add_glob(a->firmware, &a->n_firmware, arg, err);
	case OPT_IGNORE: return add_glob(a->ignore, &a->n_ignore, arg, err);
	case OPT_SERIAL:
		st = cli_uint("--serial", arg, 0, MANIFEST_MAX_SERIAL, &v, err);
		a->serial = v;
		a->have_serial = 1;
		break;
	case OPT_CHUNK:
		st = cli_uint("--chunk-size", arg, 512, (unsigned long long)1 << 40, &v, err);
		a->chunk_size = v;
		break;
	case OPT_JOBS:
		st = cli_uint("--jobs", arg, 1, 256, &v, err);
		a->jobs = (unsigned)v;
		break;
	case OPT_EXPIRES:
		if (rfc3339_parse(arg, &t) != 0)
			return cli_usage(err, "baseline", "--expires '%s' is not an RFC 3339 time", arg);
		a->expires = arg;
		break;
	case OPT_UNLISTED:
		if (strcmp(arg, "fail") == 0)
			a->unlisted = UNLISTED_FAIL;
		else if (strcmp(arg, "warn") == 0)
			a->unlisted = UNLISTED_WARN;
		else if (strcmp(arg, "ignore") == 0)
			a->unlisted = UNLISTED_IGNORE;
		else
			return cli_usage(err, "baseline", "--unlisted must be fail, warn or ignore");
		break;
	default:
		return cli_usage(err, "baseline", "unknown option");
	}
	return st;
}

static eia_status parse_args(int argc, char **argv, baseline_args *a, int *help,
			     eia_error *err)
{
	int c;
	eia_status st;

	memset(a, 0, sizeof(*a));
	a->unlisted = UNLISTED_FAIL;
	a->chunk_size = DEFAULT_CHUNK;
	a->jobs = engine_default_jobs();
	archive_limits_default(&a->limits);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			*help = 1;
			return EIA_OK;
		}
		if (c == '?' || c == ':')
			return cli_usage(err, "baseline", c == ':' ? "option '%s' needs a value"
					 : "unknown option '%s'", argv[optind - 1]);
		if ((st = parse_one(a, c, optarg, err)) != EIA_OK)
			return st;
	}
	if (optind < argc)
		return cli_usage(err, "baseline", "unexpected argument '%s'", argv[optind]);
	if (a->root == NULL || a->out == NULL || a->name == NULL || !a->have_serial)
		return cli_usage(err, "baseline", "--root, -o, --name and --serial are required");
	if (a->name[0] == '\0')
		return cli_usage(err, "baseline", "--name must not be empty");
	return EIA_OK;
}

typedef struct bjob {
	const node *nd;
	entry e;
	int error;           /* errno when the file could not be read */
	char *problem;       /* member-level problem that blocks certification */
} bjob;

typedef struct bctx {
	const baseline_args *a;
	const tree *t;
	bjob *jobs;
	size_t n;
} bctx;

static int matches_any(const char *const *globs, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (glob_match(globs[i], path))
			return 1;
	return 0;
}

static int cmp_entry_path(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

/* Sorts converted members; a name twice in one archive cannot be certified. */
static char *sort_members(entry *es, size_t n)
{
	buf b;

	qsort(es, n, sizeof(entry), cmp_entry_path);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(es[i - 1].path, es[i].path) != 0)
			continue;
		buf_init(&b);
		buf_printf(&b, "member '%s' appears twice", es[i].path);
		return buf_steal(&b, NULL);
	}
	return NULL;
}

/* Converts members read from an archive into manifest entries. */
static char *members_to_entries(const member *v, size_t n, entry **out, size_t *n_out)
{
	entry *es = xcalloc(n ? n : 1, sizeof(entry));
	char *problem = NULL;

	for (size_t i = 0; i < n && problem == NULL; i++) {
		const member *m = &v[i];
		entry *e = &es[i];
		const char *why = path_invalid(m->path, m->path_len);
		if (why == NULL && m->nested_status != 0)
			why = m->nested_message ? m->nested_message : "nested archive unreadable";
		if (why != NULL || m->type == ENT_OTHER) {
			buf b;
			buf_init(&b);
			buf_printf(&b, "member '%s': %s", m->path,
				   why ? why : "is not a file, directory or symlink");
			problem = buf_steal(&b, NULL);
			break;
		}
		e->path = xstrdup(m->path);
		e->type = m->type;
		e->has_mode = 1;
		e->mode = m->mode;
		if (m->type == ENT_FILE || m->type == ENT_ARCHIVE) {
			e->has_size = 1;
			e->size = m->size;
			e->digests.mask = DG_MASK(DG_SHA256);
			memcpy(e->digests.v[DG_SHA256], m->digests.v[DG_SHA256], 32);
		}
		if (m->type == ENT_SYMLINK) {
			e->target = xstrdup(m->target ? m->target : "");
			e->has_mode = 0;
		}
		if (m->type == ENT_ARCHIVE) {
			e->has_members = 1;
			problem = members_to_entries(m->members, m->n_members, &e->members,
						     &e->n_members);
		}
	}
	*out = es;
	*n_out = n;
	if (problem == NULL && n > 1)
		problem = sort_members(es, n);
	return problem;
}

static void baseline_archive(bjob *j, int fd, const baseline_args *a)
{
	member_list ml;
	eia_error err;

	if (a->no_members || !archive_probe(fd) || lseek(fd, 0, SEEK_SET) != 0)
		return;
	if (archive_read_members(fd, DG_MASK(DG_SHA256), &a->limits, &ml, &err) != EIA_OK) {
		j->problem = xstrdup(err.msg);
		return;
	}
	if (ml.status == ARCHIVE_NOT_ARCHIVE) {
		/* e.g. a plain .gz file: certified as a file, without members */
	} else if (ml.status != 0) {
		buf b;
		buf_init(&b);
		buf_printf(&b, "archive cannot be certified: %s", ml.message ? ml.message : "malformed");
		j->problem = buf_steal(&b, NULL);
	} else {
		j->e.type = ENT_ARCHIVE;
		j->e.has_members = 1;
		j->problem = members_to_entries(ml.v, ml.n, &j->e.members, &j->e.n_members);
	}
	member_list_free(&ml);
}

static void baseline_file(bctx *c, bjob *j, worker *w)
{
	const baseline_args *a = c->a;
	int fw = matches_any(a->firmware, a->n_firmware, j->nd->path);
	fw_plan plan;
	hash_result hr;
	int fd = walk_open_in(&w->dirs, c->t->root_fd, j->nd->path, j->nd, 0);

	if (fd < 0) {
		j->error = errno;
		return;
	}
	memset(&plan, 0, sizeof(plan));
	if (fw) {
		plan.chunk_size = a->chunk_size;
		plan.n_chunks_max = (size_t)((j->nd->size + a->chunk_size - 1) / a->chunk_size) + 1;
		plan.chunks = xcalloc(plan.n_chunks_max, 32);
	}
	hash_fd(w, fd, DG_MASK(DG_SHA256), fw ? &plan : NULL, &hr);
	if (hr.error) {
		j->error = hr.error;
	} else {
		j->e.type = fw ? ENT_FIRMWARE : ENT_FILE;
		j->e.has_size = 1;
		j->e.size = hr.bytes;
		j->e.digests = hr.digests;
		if (fw && plan.n_chunks <= plan.n_chunks_max) {
			j->e.chunk_size = a->chunk_size;
			j->e.n_chunks = plan.n_chunks;
			j->e.chunks = (unsigned char(*)[32])plan.chunks;
			plan.chunks = NULL;
		}
		if (!fw)
			baseline_archive(j, fd, a);
	}
	free(plan.chunks);
	close(fd);
}

static void baseline_job(void *ctx, size_t i, worker *w)
{
	bctx *c = ctx;
	bjob *j = &c->jobs[i];
	const node *nd = j->nd;

	j->e.path = xstrdup(nd->path);
	j->e.type = nd->type;
	if (nd->type == ENT_DIR || nd->type == ENT_FILE) {
		j->e.has_mode = 1;
		j->e.mode = nd->mode;
	}
	if (nd->type == ENT_SYMLINK)
		j->e.target = xstrdup(nd->target ? nd->target : "");
	if (nd->type == ENT_FILE)
		baseline_file(c, j, w);
}

/* Nodes to certify: everything not ignored; refuses what cannot be named. */
static eia_status select_nodes(bctx *c, eia_error *err)
{
	const baseline_args *a = c->a;
	const tree *t = c->t;

	c->jobs = xcalloc(t->n ? t->n : 1, sizeof(bjob));
	for (size_t i = 0; i < t->n; i++) {
		const node *nd = &t->v[i];
		const char *why;
		if (matches_any(a->ignore, a->n_ignore, nd->path))
			continue;
		if ((why = path_invalid(nd->path, nd->path_len)) != NULL)
			return eia_fail(err, EIA_EINPUT, "%s/%s: %s: a manifest cannot name it",
					a->root, nd->path, why);
		if (nd->type == ENT_OTHER)
			return eia_fail(err, EIA_EINPUT, "%s/%s: is a %s: only files, directories "
					"and symlinks can be certified", a->root, nd->path, nd->other);
		if (nd->error)
			return eia_fail_errno(err, EIA_EINPUT, nd->error, "%s/%s", a->root, nd->path);
		c->jobs[c->n++].nd = nd;
	}
	return EIA_OK;
}

static eia_status collect_entries(bctx *c, manifest *m, eia_error *err)
{
	eia_status st = EIA_OK;

	m->entries = xcalloc(c->n ? c->n : 1, sizeof(entry));
	for (size_t i = 0; i < c->n; i++) {
		bjob *j = &c->jobs[i];
		if (st == EIA_OK && j->error)
			st = eia_fail_errno(err, EIA_EINPUT, j->error, "%s/%s", c->a->root,
					    j->nd->path);
		else if (st == EIA_OK && j->problem)
			st = eia_fail(err, EIA_EINPUT, "%s/%s: %s", c->a->root, j->nd->path,
				      j->problem);
		free(j->problem);
		m->entries[m->n_entries++] = j->e; /* moved; freed with the manifest */
	}
	return st;
}

static void fill_header(const baseline_args *a, manifest *m)
{
	manifest_init(m);
	m->name = xstrdup(a->name);
	m->serial = a->serial;
	if (a->expires) {
		m->expires = xstrdup(a->expires);
		rfc3339_parse(a->expires, &m->expires_at);
	}
	m->unlisted = a->unlisted;
	m->compare = CMP_DEFAULT;
	m->n_ignore = a->n_ignore;
	m->ignore = xcalloc(a->n_ignore ? a->n_ignore : 1, sizeof(char *));
	for (size_t i = 0; i < a->n_ignore; i++)
		m->ignore[i] = xstrdup(a->ignore[i]);
}

eia_status cmd_baseline(int argc, char **argv, eia_error *err)
{
	baseline_args a;
	bctx c;
	tree t;
	manifest m;
	buf out;
	int help = 0;
	eia_status st;

	if ((st = parse_args(argc, argv, &a, &help, err)) != EIA_OK || help) {
		if (help)
			fputs(usage_text, stdout);
		return st;
	}
	if ((st = walk_tree(a.root, &t, err)) != EIA_OK)
		return st;
	memset(&c, 0, sizeof(c));
	c.a = &a;
	c.t = &t;
	fill_header(&a, &m);
	st = select_nodes(&c, err);
	if (st == EIA_OK)
		st = engine_run(c.n, a.jobs, baseline_job, &c, err);
	if (st == EIA_OK)
		st = collect_entries(&c, &m, err);
	if (st == EIA_OK) {
		buf_init(&out);
		manifest_write(&m, &out);
		st = atomic_write(a.out, out.data, out.len, 0644, err);
		buf_free(&out);
	}
	if (st == EIA_OK)
		printf("wrote %s: %zu entries (name %s, serial %llu, unsigned: sign it with "
		       "'eia sign')\n", a.out, m.n_entries, m.name, (unsigned long long)m.serial);
	free(c.jobs);
	manifest_free(&m);
	tree_free(&t);
	return st;
}
