/* cmd_import.c - `eia import (--sha256sums FILE | --mtree FILE) -o MANIFEST.yaml
 * --name NAME --serial N`: an unsigned canonical manifest from another tool's
 * listing, to be reviewed and signed with `eia sign`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "model/import.h"
#include "model/manifest.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/paths.h"

static const char import_usage[] =
	"usage: eia import (--sha256sums FILE | --mtree FILE) -o MANIFEST.yaml\n"
	"                  --name NAME --serial N\n\n"
	"Turns a listing made by another tool into a canonical eia manifest:\n"
	"  --sha256sums FILE  output of `sha256sum` (text or binary mode, escaped names)\n"
	"  --mtree FILE       a BSD mtree spec with sha256 digests, e.g. from\n"
	"                     bsdtar --format=mtree --options='!all,type,mode,size,sha256,link,uid,gid'\n"
	"  -o, --output FILE  the manifest to write (atomically)\n"
	"  --name NAME        the manifest series name\n"
	"  --serial N         the serial number of this issue\n\n"
	"A leading \"./\" is stripped from paths; parent directories of listed paths are\n"
	"added as `dir` entries. The policy is `unlisted: fail` with the default compare\n"
	"list. The manifest is NOT signed: review it, then run `eia sign`.\n";

struct import_opts {
	const char *sums, *mtree, *output, *name, *serial;
};

static eia_status parse_args(int argc, char **argv, struct import_opts *o, eia_error *err)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"mtree", required_argument, NULL, 'm'},
					     {"name", required_argument, NULL, 'n'},
					     {"output", required_argument, NULL, 'o'},
					     {"serial", required_argument, NULL, 's'},
					     {"sha256sums", required_argument, NULL, 'S'},
					     {NULL, 0, NULL, 0}};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(import_usage, stdout);
			return EIA_DRIFT; /* handled: the caller returns EIA_OK */
		case 'm':
			o->mtree = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 's':
			o->serial = optarg;
			break;
		case 'S':
			o->sums = optarg;
			break;
		case ':':
			return cli_usage(err, "import", "option '%s' needs a value",
					 argv[optind - 1]);
		default:
			return cli_usage(err, "import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage(err, "import", "unexpected argument '%s'", argv[optind]);
	if ((o->sums == NULL) == (o->mtree == NULL))
		return cli_usage(err, "import", "give exactly one of --sha256sums and --mtree");
	if (o->output == NULL || o->name == NULL || o->serial == NULL)
		return cli_usage(err, "import", "-o, --name and --serial are required");
	return EIA_OK;
}

static eia_status set_header(const struct import_opts *o, manifest *m, eia_error *err)
{
	unsigned long long serial;
	eia_status st = cli_uint("--serial", o->serial, 0, MANIFEST_MAX_SERIAL, &serial, err);

	if (st != EIA_OK)
		return st;
	if (o->name == NULL || o->name[0] == '\0' || !utf8_valid(o->name, strlen(o->name)))
		return eia_fail(err, EIA_EINPUT, "--name: must be a non-empty UTF-8 string");
	m->name = xstrdup(o->name);
	m->serial = serial;
	m->unlisted = UNLISTED_FAIL;
	m->compare = CMP_DEFAULT;
	return EIA_OK;
}

eia_status cmd_import(int argc, char **argv, eia_error *err)
{
	struct import_opts o;
	const char *input;
	manifest m, check;
	buf in, out;
	eia_status st;

	memset(&o, 0, sizeof(o));
	if ((st = parse_args(argc, argv, &o, err)) != EIA_OK)
		return st == EIA_DRIFT ? EIA_OK : st;
	manifest_init(&m);
	manifest_init(&check);
	buf_init(&out);
	input = o.sums != NULL ? o.sums : o.mtree;
	if ((st = file_read_all(input, EIA_MAX_INPUT_FILE, &in, err)) != EIA_OK)
		goto out;
	if ((st = set_header(&o, &m, err)) != EIA_OK)
		goto out;
	if (o.sums != NULL)
		st = import_sha256sums(input, in.data, in.len, &m, err);
	else
		st = import_mtree(input, in.data, in.len, &m, err);
	if (st != EIA_OK)
		goto out;
	manifest_write(&m, &out);
	/* what we write must read back under the strict schema */
	if ((st = manifest_parse(o.output, out.data, out.len, &check, err)) != EIA_OK)
		goto out;
	st = atomic_write(o.output, out.data, out.len, 0644, err);
	if (st == EIA_OK)
		printf("wrote %s: %zu entries (unsigned; sign it with 'eia sign')\n", o.output,
		       m.n_entries);
out:
	buf_free(&in);
	buf_free(&out);
	manifest_free(&m);
	manifest_free(&check);
	return st;
}
