/* cmd_diff.c - `eia diff OLD.yaml NEW.yaml [--json]`: what NEW adds, removes
 * and changes against OLD. A review tool: the manifests are parsed without
 * any signature check. Exit 0 identical, 1 different, 2 malformed. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "model/diff.h"
#include "model/manifest.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/json.h"

static const char diff_usage[] =
	"usage: eia diff OLD.yaml NEW.yaml [--json]\n\n"
	"Shows what the manifest NEW adds, removes and changes against OLD: entries,\n"
	"archive members, firmware regions and chunks, policy, name, serial, expiry.\n"
	"Both files are parsed with the full strict schema but their signatures are\n"
	"NOT checked: diff is a review tool, not an audit (use 'eia verify' or\n"
	"'eia audit' for trust).\n\n"
	"  --json   print a JSON object instead of one change per line\n\n"
	"exit codes: 0 identical, 1 the manifests differ, 2 usage or malformed input\n";

/* Text output: one change per line, so control characters, '\\' and the
 * characters some readers take for line breaks are escaped. */
static void text_str(buf *out, const char *s)
{
	manifest_show_append(out, s);
}

static void text_value(buf *out, const diff_value *v)
{
	if (v->kind == DV_NONE) {
		buf_adds(out, "(none)");
	} else if (v->kind == DV_NUM) {
		buf_printf(out, "%llu", (unsigned long long)v->num);
	} else if (v->kind == DV_STR) {
		text_str(out, v->str);
	} else {
		buf_addc(out, '[');
		for (size_t i = 0; i < v->n_list; i++) {
			buf_adds(out, i ? ", " : "");
			text_str(out, v->list[i]);
		}
		buf_addc(out, ']');
	}
}

static void text_fields(buf *out, const diff_field *f, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		buf_adds(out, i ? ", " : "");
		buf_printf(out, "%s%s", f[i].name, sep);
		text_value(out, &f[i].old);
		buf_adds(out, " -> ");
		text_value(out, &f[i].new_);
	}
}

static void write_text(const diff_result *d, buf *out)
{
	for (size_t i = 0; i < d->n_header; i++) {
		buf_adds(out, "manifest ");
		text_fields(out, &d->header[i], 1, ": ");
		buf_addc(out, '\n');
	}
	for (size_t i = 0; i < d->n_policy; i++) {
		buf_adds(out, "policy   ");
		text_fields(out, &d->policy[i], 1, ": ");
		buf_addc(out, '\n');
	}
	for (size_t i = 0; i < d->n_changes; i++) {
		const diff_change *c = &d->changes[i];
		buf_printf(out, "%-8s ", diff_kind_name(c->kind));
		text_str(out, c->path);
		for (size_t j = 0; j < c->n_member; j++) {
			buf_adds(out, " member ");
			text_str(out, c->member[j]);
		}
		if (c->region != NULL) {
			buf_adds(out, " region ");
			text_str(out, c->region);
		}
		if (c->n_fields > 0) {
			buf_adds(out, ": ");
			text_fields(out, c->fields, c->n_fields, " ");
		}
		buf_addc(out, '\n');
	}
}

static void json_value(json_w *w, const char *key, const diff_value *v)
{
	if (v->kind == DV_NONE) {
		json_null(w, key);
	} else if (v->kind == DV_NUM) {
		json_u64(w, key, v->num);
	} else if (v->kind == DV_STR) {
		json_cstr(w, key, v->str);
	} else {
		json_arr_begin(w, key);
		for (size_t i = 0; i < v->n_list; i++)
			json_cstr(w, NULL, v->list[i]);
		json_arr_end(w);
	}
}

static void json_field_list(json_w *w, const char *key, const diff_field *f, size_t n)
{
	json_arr_begin(w, key);
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(w, NULL);
		json_cstr(w, "field", f[i].name);
		json_value(w, "old", &f[i].old);
		json_value(w, "new", &f[i].new_);
		json_obj_end(w);
	}
	json_arr_end(w);
}

static void json_change(json_w *w, const diff_change *c)
{
	json_obj_begin(w, NULL);
	json_cstr(w, "change", diff_kind_name(c->kind));
	json_cstr(w, "path", c->path);
	json_arr_begin(w, "member");
	for (size_t j = 0; j < c->n_member; j++)
		json_cstr(w, NULL, c->member[j]);
	json_arr_end(w);
	json_cstr(w, "region", c->region);
	json_obj_begin(w, "fields");
	for (size_t j = 0; j < c->n_fields; j++) {
		json_obj_begin(w, c->fields[j].name);
		json_value(w, "old", &c->fields[j].old);
		json_value(w, "new", &c->fields[j].new_);
		json_obj_end(w);
	}
	json_obj_end(w);
	json_obj_end(w);
}

static void write_json(const manifest *a, const manifest *b, const diff_result *d, buf *out)
{
	json_w w;

	json_init(&w, out);
	json_obj_begin(&w, NULL);
	json_obj_begin(&w, "old");
	json_cstr(&w, "name", a->name);
	json_u64(&w, "serial", a->serial);
	json_obj_end(&w);
	json_obj_begin(&w, "new");
	json_cstr(&w, "name", b->name);
	json_u64(&w, "serial", b->serial);
	json_obj_end(&w);
	json_bool(&w, "identical", diff_empty(d));
	json_field_list(&w, "manifest", d->header, d->n_header);
	json_field_list(&w, "policy", d->policy, d->n_policy);
	json_arr_begin(&w, "changes");
	for (size_t i = 0; i < d->n_changes; i++)
		json_change(&w, &d->changes[i]);
	json_arr_end(&w);
	json_obj_end(&w);
	json_finish(&w);
}

static eia_status load(const char *path, manifest *m, eia_error *err)
{
	buf data;
	eia_status st = file_read_all(path, EIA_MAX_INPUT_FILE, &data, err);

	if (st == EIA_OK)
		st = manifest_parse(path, data.data, data.len, m, err);
	buf_free(&data);
	return st;
}

static eia_status parse_args(int argc, char **argv, int *json, eia_error *err)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(diff_usage, stdout);
			return EIA_DRIFT; /* handled: caller returns EIA_OK */
		}
		if (c == 'j')
			*json = 1;
		else
			return cli_usage(err, "diff", "unknown option '%s'", argv[optind - 1]);
	}
	if (argc - optind != 2)
		return cli_usage(err, "diff", "expected OLD.yaml NEW.yaml");
	return EIA_OK;
}

eia_status cmd_diff(int argc, char **argv, eia_error *err)
{
	manifest a, b;
	diff_result d;
	buf out;
	int json = 0;
	eia_status st = parse_args(argc, argv, &json, err);

	if (st != EIA_OK)
		return st == EIA_DRIFT ? EIA_OK : st;
	manifest_init(&a);
	manifest_init(&b);
	memset(&d, 0, sizeof(d));
	buf_init(&out);
	if ((st = load(argv[optind], &a, err)) != EIA_OK ||
	    (st = load(argv[optind + 1], &b, err)) != EIA_OK)
		goto out;
	manifest_diff(&a, &b, &d);
	if (json)
		write_json(&a, &b, &d, &out);
	else if (diff_empty(&d))
		buf_adds(&out, "no differences\n");
	else
		write_text(&d, &out);
	fwrite(out.data, 1, out.len, stdout);
	if (fflush(stdout) != 0)
		st = eia_fail(err, EIA_EINPUT, "diff: cannot write to standard output");
	else
		st = diff_empty(&d) ? EIA_OK : EIA_DRIFT;
out:
	buf_free(&out);
	diff_free(&d);
	manifest_free(&a);
	manifest_free(&b);
	return st;
}
