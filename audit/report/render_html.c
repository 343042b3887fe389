/* render_html.c - a self-contained printable page for the election record:
 * inline CSS only (no scripts, no external resources), verdict first in
 * colour and words, every user-supplied string escaped and isolated in a
 * <bdi> so right-to-left names render correctly without reordering the
 * text around them, A4 print rules and a block for witness signatures. */
#include <stdlib.h>
#include <string.h>

#include "report/render.h"

#define H RENDER_HTML

static const char html_style[] =
	"@page{size:A4;margin:14mm 12mm}\n"
	"html{font-family:\"DejaVu Sans\",\"Noto Sans\",\"Noto Sans Arabic\",Vazirmatn,"
	"Tahoma,Arial,sans-serif;font-size:10.5pt;color:#000;background:#fff}\n"
	"body{margin:0 auto;max-width:190mm;padding:6mm}\n"
	"h1{font-size:15pt;margin:0 0 3mm}h2{font-size:13pt;margin:7mm 0 2mm;"
	"border-bottom:2px solid #000}h3{font-size:11pt;margin:4mm 0 1mm}\n"
	".verdict{border:6px solid #000;padding:3mm 6mm;margin:0 0 5mm}\n"
	".verdict .word{font-size:40pt;font-weight:bold;letter-spacing:.06em;margin:0}\n"
	".verdict .why{font-size:12pt;margin:1mm 0 0}\n"
	".v-pass{border-color:#176f2c;background:#e4f4e7}.v-pass .word{color:#176f2c}\n"
	".v-drift{border:10px double #b00020;background:#fde8eb}.v-drift .word{color:#b00020}\n"
	".v-untrusted{border:8px dashed #8a4b00;background:#fff1db}"
	".v-untrusted .word{color:#8a4b00}\n"
	".v-error{border:8px dotted #333;background:#eee}.v-error .word{color:#333}\n"
	"table{border-collapse:collapse;width:100%;margin:1mm 0 4mm}\n"
	"th,td{border:1px solid #777;padding:1mm 2mm;text-align:start;vertical-align:top}\n"
	"th{background:#eee;font-weight:bold}table.kv th{width:28%}\n"
	"bdi{unicode-bidi:isolate}.hex{font-family:\"DejaVu Sans Mono\",monospace;"
	"font-size:8pt;word-break:break-all}\n"
	".path{overflow-wrap:anywhere}.entries td:first-child{width:36%}.none{color:#555;font-style:italic}\n"
	".bad{font-weight:bold;color:#b00020}.warn{font-weight:bold;color:#8a4b00}"
	".good{color:#176f2c}\n"
	".attrs{margin:0;padding:0;list-style:none}.note{color:#333;font-size:9pt}\n"
	"tr.member td:first-child{padding-inline-start:6mm}"
	"tr.member2 td:first-child{padding-inline-start:10mm}\n"
	"table.findings{table-layout:fixed}.findings th:nth-child(1){width:9%}"
	".findings th:nth-child(2){width:17%}.findings th:nth-child(3){width:18%}\n"
	".entries td{font-size:9pt}.witness td{height:13mm}\n"
	"footer{margin-top:6mm;font-size:8.5pt;color:#333}\n"
	"@media print{body{padding:0;max-width:none}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"tr,.verdict,.witness,li{break-inside:avoid;page-break-inside:avoid}"
	"thead{display:table-header-group}"
	"h2,h3{break-after:avoid;page-break-after:avoid}}\n";

/* A user-supplied string, escaped and isolated; `missing` when NULL. */
static void user(buf *out, const char *s, const char *missing)
{
	if (s == NULL) {
		buf_printf(out, "<span class=\"none\">%s</span>", missing);
		return;
	}
	buf_adds(out, "<bdi>");
	render_str(out, s, NULL, H);
	buf_adds(out, "</bdi>");
}

/* A table cell holding one user-supplied string: the cell takes the
 * string's own direction, so a Persian value reads and aligns right. */
static void user_cell(buf *out, const char *tag, const char *s, const char *missing)
{
	if (s == NULL) {
		buf_printf(out, "<%s><span class=\"none\">%s</span></%s>", tag, missing, tag);
		return;
	}
	buf_printf(out, "<%s dir=\"auto\">", tag);
	render_str(out, s, NULL, H);
	buf_printf(out, "</%s>", tag);
}

static void user_class(buf *out, const char *cls, const char *s)
{
	if (s == NULL) {
		buf_adds(out, "<span class=\"none\">none</span>");
		return;
	}
	buf_printf(out, "<bdi class=\"%s\">", cls);
	render_str(out, s, NULL, H);
	buf_adds(out, "</bdi>");
}

/* A path kept left-to-right as a path, each component isolated so a
 * right-to-left name reads correctly without reordering the components. */
static void path_html(buf *out, const char *s, size_t len)
{
	size_t start = 0;

	buf_adds(out, "<span class=\"path\" dir=\"ltr\">");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '/')
			continue;
		buf_adds(out, "<bdi>");
		render_escape(out, s + start, i - start, H);
		buf_adds(out, i < len ? "</bdi>/" : "</bdi>");
		start = i + 1;
	}
	buf_adds(out, "</span>");
}

static void path_cell(buf *out, const char *path, const char *path_hex)
{
	size_t len;
	char *raw = render_path_raw(path, path_hex, &len);

	path_html(out, raw, len);
	free(raw);
	if (path_hex != NULL) {
		buf_adds(out, " <span class=\"note\">(not UTF-8; bytes ");
		user_class(out, "hex", path_hex);
		buf_adds(out, ")</span>");
	}
}

/* <tr><th>label</th><td>value</td></tr> with a user-supplied value. */
static void kv_row(buf *out, const char *label, const char *value, int hex)
{
	buf_printf(out, "<tr><th>%s</th>", label);
	if (hex) {
		buf_adds(out, "<td>");
		user_class(out, "hex", value);
		buf_adds(out, "</td>");
	} else {
		user_cell(out, "td", value, "none");
	}
	buf_adds(out, "</tr>\n");
}

static const char *status_class(const char *status)
{
	if (status == NULL)
		return "none";
	if (strcmp(status, "ok") == 0 || strcmp(status, "valid") == 0)
		return "good";
	return strcmp(status, "warn") == 0 ? "warn" : "bad";
}

static void status_cell(buf *out, const char *status)
{
	buf_printf(out, "<td class=\"%s\">", status_class(status));
	user(out, status, "unknown");
	buf_adds(out, "</td>");
}

static void write_head(const report_doc *r, buf *out)
{
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n"
		      "<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<title>eia audit report: ");
	buf_adds(out, render_verdict(r));
	for (size_t i = 0; i < r->n_manifests; i++) {
		buf_adds(out, i == 0 ? " \xe2\x80\x94 " : ", ");
		render_str(out, r->manifests[i].name, "(unnamed)", H);
	}
	buf_adds(out, "</title>\n<style>\n");
	buf_adds(out, html_style);
	buf_adds(out, "</style>\n</head>\n<body>\n<h1>Election software integrity audit</h1>\n");
}

static void untrusted_why(const report_doc *r, buf *out)
{
	buf_adds(out, "The baseline could not be trusted, so no files were compared.");
	for (size_t i = 0; i < r->n_manifests; i++) {
		const report_manifest *m = &r->manifests[i];
		if (!render_manifest_short(m))
			continue;
		buf_adds(out, " Baseline ");
		user(out, render_manifest_label(m), "");
		if (m->n_signatures == 0) {
			buf_adds(out, " has no signatures.");
			continue;
		}
		buf_adds(out, " has ");
		user(out, m->threshold_valid, "?");
		buf_adds(out, " of ");
		user(out, m->threshold_required, "?");
		buf_adds(out, " required valid signatures.");
	}
}

static void write_verdict(const report_doc *r, buf *out)
{
	static const char *const classes[] = {
		[REPORT_PASS] = "v-pass", [REPORT_DRIFT] = "v-drift",
		[REPORT_UNTRUSTED] = "v-untrusted", [REPORT_ERROR] = "v-error"};

	buf_printf(out, "<header class=\"verdict %s\">\n<p class=\"word\">%s</p>\n<p class=\"why\">",
		   classes[r->result], render_verdict(r));
	if (r->result == REPORT_PASS)
		buf_adds(out, "Every certified file is present and unchanged and nothing "
			      "unexpected was found.");
	else if (r->result == REPORT_DRIFT)
		buf_adds(out, "The audited media do NOT match the certified baseline.");
	else if (r->result == REPORT_UNTRUSTED)
		untrusted_why(r, out);
	else
		buf_adds(out, "The audit could not be completed; nothing can be concluded.");
	if (r->n_findings > 0)
		buf_printf(out, " %zu finding%s: %zu fail, %zu warn.", r->n_findings,
			   r->n_findings == 1 ? "" : "s", r->n_fail, r->n_warn);
	if (r->reason != NULL) {
		buf_adds(out, " ");
		user(out, r->reason, "");
	}
	buf_adds(out, "</p>\n</header>\n");
}

static void write_summary(const report_doc *r, buf *out)
{
	buf_adds(out, "<h2>Summary</h2>\n<table class=\"kv\">\n");
	buf_printf(out, "<tr><th>Result</th><td><b>%s</b> (%s)</td></tr>\n",
		   render_verdict(r), r->result_name);
	kv_row(out, "Audit started", r->started, 0);
	kv_row(out, "Audit finished", r->finished, 0);
	buf_adds(out, "<tr><th>Tool</th><td>");
	user(out, r->tool_name, "eia");
	buf_adds(out, " ");
	user(out, r->tool_version, "(version unknown)");
	buf_adds(out, "</td></tr>\n");
	kv_row(out, "Entries checked", r->sum_entries, 0);
	kv_row(out, "Entries OK", r->sum_ok, 0);
	buf_printf(out, "<tr><th>Findings</th><td>%zu (%zu fail, %zu warn)</td></tr>\n",
		   r->n_findings, r->n_fail, r->n_warn);
	buf_adds(out, "</table>\n");
}

static void write_signatures(const report_manifest *m, buf *out)
{
	buf_adds(out, "<table>\n<thead><tr><th>Signer</th><th>Key id</th><th>Status</th>"
		      "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < m->n_signatures; i++) {
		const report_signature *s = &m->signatures[i];
		buf_adds(out, "<tr>");
		user_cell(out, "td", s->name, "unknown signer");
		buf_adds(out, "<td>");
		user_class(out, "hex", s->key);
		buf_adds(out, "</td>");
		status_cell(out, s->status);
		buf_adds(out, "</tr>\n");
	}
	if (m->n_signatures == 0)
		buf_adds(out, "<tr><td colspan=\"3\" class=\"bad\">no signatures</td></tr>\n");
	buf_adds(out, "</tbody>\n</table>\n");
}

static void write_manifest(const report_manifest *m, size_t i, buf *out)
{
	buf_printf(out, "<h3>Baseline %zu: ", i + 1);
	user(out, render_manifest_label(m), "");
	buf_adds(out, "</h3>\n<table class=\"kv\">\n");
	kv_row(out, "Manifest name", m->name, 0);
	kv_row(out, "Manifest file", m->file, 0);
	kv_row(out, "Serial", m->serial, 0);
	kv_row(out, "Manifest SHA-256", m->sha256, 1);
	kv_row(out, "Expires", m->expires, 0);
	for (size_t j = 0; j < m->system.n; j++) {
		buf_adds(out, "<tr><th>System: ");
		user(out, m->system.v[j].key, "");
		buf_adds(out, "</th>");
		user_cell(out, "td", m->system.v[j].value, "none");
		buf_adds(out, "</tr>\n");
	}
	buf_printf(out, "<tr><th>Signature threshold</th><td class=\"%s\">",
		   render_manifest_short(m) ? "bad" : "good");
	user(out, m->threshold_valid, "?");
	buf_adds(out, " valid of ");
	user(out, m->threshold_required, "?");
	buf_adds(out, " required</td></tr>\n");
	buf_printf(out, "<tr><th>Rollback protection</th><td class=\"%s\">%s</td></tr>\n",
		   m->rollback && strcmp(m->rollback, "enforced") == 0 ? "good" : "warn",
		   m->rollback && strcmp(m->rollback, "enforced") == 0
			   ? "enforced" : "NOT enforced (no rollback state given)");
	buf_adds(out, "</table>\n");
	write_signatures(m, out);
}

static void write_baseline(const report_doc *r, buf *out)
{
	buf_adds(out, "<h2>Baseline identity and signatures</h2>\n");
	if (r->n_manifests == 0)
		buf_adds(out, "<p class=\"none\">The report names no baseline.</p>\n");
	for (size_t i = 0; i < r->n_manifests; i++)
		write_manifest(&r->manifests[i], i, out);
}

static void write_custody(const report_doc *r, buf *out)
{
	buf_adds(out, "<h2>Target and chain of custody</h2>\n<table class=\"kv\">\n");
	kv_row(out, "Audited root", r->target_root, 0);
	kv_row(out, "Files", r->target_files, 0);
	kv_row(out, "Bytes", r->target_bytes, 0);
	for (size_t i = 0; i < r->context.n; i++) {
		buf_adds(out, "<tr>");
		user_cell(out, "th", r->context.v[i].key, "");
		user_cell(out, "td", r->context.v[i].value, "none");
		buf_adds(out, "</tr>\n");
	}
	buf_adds(out, "</table>\n");
}

static void attrs_cell(buf *out, int has, const report_pairs *p, const char *absent)
{
	buf_adds(out, "<td>");
	if (!has || p->n == 0) {
		buf_printf(out, "<span class=\"none\">%s</span></td>", absent);
		return;
	}
	buf_adds(out, "<ul class=\"attrs\">");
	for (size_t i = 0; i < p->n; i++) {
		buf_adds(out, "<li>");
		user(out, p->v[i].key, "");
		buf_adds(out, ": ");
		if (render_is_digest(p->v[i].key))
			user_class(out, "hex", p->v[i].value);
		else
			user(out, p->v[i].value, "none");
		buf_adds(out, "</li>");
	}
	buf_adds(out, "</ul></td>");
}

static void where_cell(buf *out, const report_finding *f)
{
	int said = 0;

	buf_adds(out, "<td>");
	if (f->n_member > 0) {
		buf_adds(out, "archive member ");
		for (size_t i = 0; i < f->n_member; i++) {
			if (i > 0)
				buf_adds(out, " \xe2\x86\x92 ");
			path_html(out, f->member[i], strlen(f->member[i]));
		}
		said = 1;
	}
	if (f->region != NULL) {
		buf_adds(out, said ? "<br>region " : "region ");
		user(out, f->region, "");
		said = 1;
	}
	if (f->chunk != NULL) {
		buf_adds(out, said ? "<br>chunk " : "chunk ");
		user(out, f->chunk, "");
		said = 1;
	}
	if (!said)
		buf_adds(out, "the path itself");
	buf_adds(out, "</td>");
}

static void finding_row(buf *out, const report_finding *f)
{
	int warn = render_is_warn(f);

	buf_printf(out, "<tr><td class=\"%s\">%s</td><td><b>", warn ? "warn" : "bad",
		   warn ? "WARN" : "FAIL");
	user(out, f->kind, "?");
	buf_adds(out, "</b><br><span class=\"note\">");
	if (f->message != NULL)
		user(out, f->message, "");
	else
		buf_adds(out, render_kind_text(f->kind));
	buf_adds(out, "</span></td>");
	where_cell(out, f);
	attrs_cell(out, f->has_expected, &f->expected, "not in the baseline");
	attrs_cell(out, f->has_actual, &f->actual, "not found");
	buf_adds(out, "</tr>\n");
}

static void write_findings(const report_doc *r, buf *out)
{
	render_index *ix = render_index_findings(r);
	size_t i = 0, first, count;

	buf_adds(out, "<h2>Findings</h2>\n");
	if (r->n_findings == 0)
		buf_printf(out, "<p>No findings.%s</p>\n", r->result == REPORT_UNTRUSTED
			   ? " No files were compared because the baseline is not trusted." : "");
	while (i < r->n_findings) {
		count = render_index_find(ix, r->n_findings, ix[i].path, ix[i].path_hex, &first);
		if (count == 0)
			count = 1; /* cannot happen; keeps the loop finite */
		buf_adds(out, "<h3>");
		path_cell(out, ix[i].path, ix[i].path_hex);
		buf_adds(out, "</h3>\n<table class=\"findings\">\n<thead><tr><th>Severity</th>"
			      "<th>Finding</th><th>Where</th><th>Expected</th><th>Actual</th>"
			      "</tr></thead>\n<tbody>\n");
		for (size_t j = i; j < i + count && j < r->n_findings; j++)
			finding_row(out, &r->findings[ix[j].finding]);
		buf_adds(out, "</tbody>\n</table>\n");
		i += count;
	}
	free(ix);
}

static void parts_note(buf *out, const report_entry *e)
{
	size_t drift = 0;

	for (size_t i = 0; i < e->n_regions; i++) {
		buf_adds(out, i == 0 ? "<br><span class=\"note\">regions: " : ", ");
		user(out, e->regions[i].name, "?");
		buf_adds(out, " ");
		user(out, e->regions[i].status, "?");
	}
	if (e->n_regions > 0)
		buf_adds(out, "</span>");
	if (e->n_chunks == 0)
		return;
	buf_printf(out, "<br><span class=\"note\">%zu chunks", e->n_chunks);
	for (size_t i = 0; i < e->n_chunks; i++) {
		const report_part *c = &e->chunks[i];
		if (c->status == NULL || strcmp(c->status, "ok") == 0)
			continue;
		buf_adds(out, drift++ == 0 ? "; differing: " : ", ");
		user(out, c->index, "?");
	}
	buf_adds(out, drift == 0 ? ", all ok</span>" : "</span>");
}

static void entry_row(buf *out, const report_entry *e, int depth)
{
	static const char *const row_class[] = {"", " class=\"member\"", " class=\"member2\""};

	buf_printf(out, "<tr%s><td>", row_class[depth > 2 ? 2 : depth]);
	if (depth > 0)
		buf_adds(out, "\xe2\x86\xb3 ");
	path_cell(out, e->path, e->path_hex);
	parts_note(out, e);
	buf_adds(out, "</td><td>");
	user(out, e->type, "");
	buf_adds(out, "</td>");
	status_cell(out, e->status);
	buf_adds(out, "<td>");
	user(out, e->size, "");
	buf_adds(out, "</td><td>");
	for (size_t i = 0; i < e->digests.n; i++) {
		buf_adds(out, i == 0 ? "" : "<br>");
		user(out, e->digests.v[i].key, "");
		buf_adds(out, " ");
		user_class(out, "hex", e->digests.v[i].value);
	}
	buf_adds(out, "</td></tr>\n");
	for (size_t i = 0; i < e->n_members; i++)
		entry_row(out, &e->members[i], depth + 1);
}

static void write_entries(const report_doc *r, buf *out)
{
	buf_adds(out, "<h2>Evidence: every entry checked</h2>\n");
	if (r->n_entries == 0) {
		buf_adds(out, "<p class=\"none\">No entries were checked.</p>\n");
		return;
	}
	buf_adds(out, "<p class=\"note\">Each computed digest can be re-checked with "
		      "<code>sha256sum</code>. Archive members are indented under their "
		      "archive.</p>\n<table class=\"entries\">\n<thead><tr><th>Path</th>"
		      "<th>Type</th><th>Status</th><th>Size (bytes)</th><th>Digests</th>"
		      "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->n_entries; i++)
		entry_row(out, &r->entries[i], 0);
	buf_adds(out, "</tbody>\n</table>\n");
}

static void write_witnesses(buf *out)
{
	buf_adds(out, "<section class=\"witness\">\n<h2>Witnesses</h2>\n"
		      "<p>We witnessed this audit and the result stated above.</p>\n"
		      "<table>\n<thead><tr><th style=\"width:28%\">Name</th>"
		      "<th style=\"width:22%\">Role</th><th style=\"width:32%\">Signature</th>"
		      "<th style=\"width:18%\">Date</th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < 4; i++)
		buf_adds(out, "<tr><td></td><td></td><td></td><td></td></tr>\n");
	buf_adds(out, "</tbody>\n</table>\n</section>\n");
}

static void write_footer(const report_doc *r, buf *out)
{
	buf_adds(out, "<footer>Rendered by eia from the JSON report of the audit "
		      "finished ");
	user(out, r->finished, "(time unknown)");
	buf_adds(out, ". The signed JSON report is the authoritative record; this page "
		      "is a rendering of it.</footer>\n</body>\n</html>\n");
}

static void write_html(const report_doc *r, buf *out)
{
	write_head(r, out);
	write_verdict(r, out);
	write_summary(r, out);
	write_baseline(r, out);
	write_custody(r, out);
	write_findings(r, out);
	write_entries(r, out);
	write_witnesses(out);
	write_footer(r, out);
}

const report_writer render_html_writer = {
	.name = "html",
	.write = write_html,
};
