/* cmd_render.c - `eia render REPORT.json (--text|--html|--junit|--sarif) [-o FILE]`:
 * reads a finished report and writes it in another format, to FILE
 * (atomically) or to stdout. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "report/render.h"
#include "report/report_read.h"
#include "util/fileio.h"

static const char render_help[] =
	"usage: eia render REPORT.json (--text | --html | --junit | --sarif) [-o FILE]\n"
	"\n"
	"Renders a finished eia JSON report in another format:\n"
	"  --text        concise human summary, verdict on the first line\n"
	"  --html        self-contained printable page for the election record\n"
	"  --junit       JUnit XML for CI dashboards (Jenkins, GitLab)\n"
	"  --sarif       SARIF 2.1.0 for code-scanning dashboards\n"
	"  -o, --output FILE  write FILE atomically instead of standard output\n"
	"  -h, --help    show this help\n"
	"\n"
	"exit codes: 0 rendered, 2 usage error or unreadable/invalid report\n";

struct render_opts {
	const char *report;
	const char *format;
	const char *output;
	int help;
};

static eia_status parse_render_opts(int argc, char **argv, struct render_opts *o,
				    eia_error *err)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},   {"html", no_argument, NULL, 'H'},
		{"junit", no_argument, NULL, 'J'},  {"output", required_argument, NULL, 'o'},
		{"sarif", no_argument, NULL, 'S'},  {"text", no_argument, NULL, 'T'},
		{NULL, 0, NULL, 0}};
	static const char *const formats[] = {['H'] = "html", ['J'] = "junit",
					      ['S'] = "sarif", ['T'] = "text"};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		if (c == 'h') {
			o->help = 1;
			return EIA_OK;
		} else if (c == 'o') {
			o->output = optarg;
		} else if (c == 'H' || c == 'J' || c == 'S' || c == 'T') {
			if (o->format != NULL && strcmp(o->format, formats[c]) != 0)
				return cli_usage(err, "render", "choose one of --text, --html, --junit, --sarif");
			o->format = formats[c];
		} else if (c == ':') {
			return cli_usage(err, "render", "option '%s' needs a FILE", argv[optind - 1]);
		} else {
			return cli_usage(err, "render", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(err, "render", optind == argc ? "missing REPORT.json" : "exactly one REPORT.json expected");
	o->report = argv[optind];
	if (o->format == NULL)
		return cli_usage(err, "render", "missing format: --text, --html, --junit or --sarif");
	return EIA_OK;
}

static eia_status write_stdout(const buf *out, eia_error *err)
{
	if (fwrite(out->data, 1, out->len, stdout) != out->len || fflush(stdout) != 0)
		return eia_fail(err, EIA_EINPUT, "standard output: write failed");
	return EIA_OK;
}

eia_status cmd_render(int argc, char **argv, eia_error *err)
{
	struct render_opts o;
	report_doc *doc = NULL;
	buf in, out;
	eia_status st;

	buf_init(&in);
	buf_init(&out);
	st = parse_render_opts(argc, argv, &o, err);
	if (st != EIA_OK || o.help) {
		if (o.help)
			fputs(render_help, stdout);
		goto out;
	}
	st = file_read_all(o.report, EIA_MAX_INPUT_FILE, &in, err);
	if (st != EIA_OK)
		goto out;
	st = report_read(o.report, in.data, in.len, &doc, err);
	if (st != EIA_OK)
		goto out;
	render_find(o.format)->write(doc, &out);
	if (o.output != NULL)
		st = atomic_write(o.output, out.data, out.len, 0644, err);
	else
		st = write_stdout(&out, err);
out:
	report_doc_free(doc);
	buf_free(&in);
	buf_free(&out);
	return st;
}
