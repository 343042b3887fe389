/* render_text.c - the concise human summary: verdict on the first line,
 * the baseline's identity and signers, then one line per finding. Every
 * name is escaped so nothing raw reaches the terminal. */
#include <string.h>

#include "report/render.h"

#define T RENDER_TEXT

static void findings_count(buf *out, const report_doc *r)
{
	buf_printf(out, "%zu finding%s (%zu fail, %zu warn)", r->n_findings,
		   r->n_findings == 1 ? "" : "s", r->n_fail, r->n_warn);
}

/* Why trust failed: the layers short of their threshold, else the reason. */
static void untrusted_why(buf *out, const report_doc *r)
{
	size_t said = 0;

	for (size_t i = 0; i < r->n_manifests; i++) {
		const report_manifest *m = &r->manifests[i];
		if (!render_manifest_short(m))
			continue;
		buf_adds(out, said++ ? "; " : ": ");
		buf_adds(out, "baseline ");
		render_str(out, render_manifest_label(m), NULL, T);
		if (m->n_signatures == 0) {
			buf_adds(out, " has no signatures");
			continue;
		}
		buf_adds(out, " has ");
		render_str(out, m->threshold_valid, "?", T);
		buf_adds(out, " of ");
		render_str(out, m->threshold_required, "?", T);
		buf_adds(out, " required valid signatures");
	}
	if (r->reason != NULL) {
		buf_adds(out, said++ ? "; " : ": ");
		render_str(out, r->reason, "", T);
	}
	if (said == 0)
		buf_adds(out, ": the baseline was not accepted (see signatures)");
}

static void write_verdict(const report_doc *r, buf *out)
{
	buf_adds(out, render_verdict(r));
	switch (r->result) {
	case REPORT_PASS:
	case REPORT_DRIFT:
		if (r->n_findings > 0 || r->result == REPORT_DRIFT) {
			buf_adds(out, ": ");
			findings_count(out, r);
		}
		break;
	case REPORT_UNTRUSTED:
		untrusted_why(out, r);
		break;
	case REPORT_ERROR:
		if (r->reason != NULL) {
			buf_adds(out, ": ");
			render_str(out, r->reason, "", T);
		}
		break;
	}
	buf_addc(out, '\n');
}

static void write_signature(const report_signature *s, buf *out)
{
	buf_adds(out, "  signed by ");
	render_str(out, s->name, "(unknown signer)", T);
	buf_adds(out, " (key ");
	if (s->key != NULL && strlen(s->key) > 16) {
		render_escape(out, s->key, 16, T);
		buf_adds(out, "..");
	} else {
		render_str(out, s->key, "?", T);
	}
	buf_adds(out, "): ");
	render_str(out, s->status, "?", T);
	buf_addc(out, '\n');
}

static void write_manifest(const report_manifest *m, buf *out)
{
	buf_adds(out, "baseline ");
	render_str(out, render_manifest_label(m), NULL, T);
	buf_adds(out, " serial ");
	render_str(out, m->serial, "?", T);
	if (m->sha256 != NULL) {
		buf_adds(out, ", sha256 ");
		render_str(out, m->sha256, "", T);
	}
	if (m->expires != NULL) {
		buf_adds(out, ", expires ");
		render_str(out, m->expires, "", T);
	}
	buf_addc(out, '\n');
	for (size_t i = 0; i < m->n_signatures; i++)
		write_signature(&m->signatures[i], out);
	if (m->threshold_required != NULL) {
		buf_adds(out, "  signatures: ");
		render_str(out, m->threshold_valid, "?", T);
		buf_adds(out, " valid, ");
		render_str(out, m->threshold_required, "?", T);
		buf_adds(out, " required\n");
	}
	if (m->rollback != NULL) {
		buf_adds(out, "  rollback protection: ");
		buf_adds(out, strcmp(m->rollback, "enforced") == 0 ? "enforced" : "NOT enforced");
		buf_addc(out, '\n');
	}
}

static void write_target(const report_doc *r, buf *out)
{
	if (r->target_root != NULL) {
		buf_adds(out, "target ");
		render_str(out, r->target_root, "", T);
		buf_adds(out, ": ");
		render_str(out, r->target_files, "?", T);
		buf_adds(out, " files, ");
		render_str(out, r->target_bytes, "?", T);
		buf_adds(out, " bytes\n");
	}
	for (size_t i = 0; i < r->context.n; i++) {
		buf_adds(out, i == 0 ? "context: " : ", ");
		render_str(out, r->context.v[i].key, "", T);
		buf_addc(out, '=');
		render_str(out, r->context.v[i].value, "", T);
	}
	if (r->context.n > 0)
		buf_addc(out, '\n');
	if (r->sum_entries != NULL) {
		buf_adds(out, "checked ");
		render_str(out, r->sum_entries, "?", T);
		buf_adds(out, " entries, ");
		render_str(out, r->sum_ok, "?", T);
		buf_adds(out, " ok\n");
	}
}

static size_t kind_width(const report_doc *r)
{
	size_t w = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		const char *k = r->findings[i].kind;
		if (k != NULL && strlen(k) > w)
			w = strlen(k);
	}
	return w;
}

static void write_finding(const report_finding *f, size_t width, buf *out)
{
	size_t mark = out->len, klen;
	buf diff;

	buf_adds(out, render_is_warn(f) ? "WARN " : "FAIL ");
	render_str(out, f->kind, "?", T);
	klen = out->len - mark - 5;
	for (size_t i = klen; i < width + 2; i++)
		buf_addc(out, ' ');
	render_location(out, f, T);
	render_region_chunk(out, f, T);
	buf_init(&diff);
	render_attr_diff(&diff, f, 1, T);
	buf_adds(out, ": ");
	if (diff.len > 0)
		buf_add(out, diff.data, diff.len);
	else
		render_str(out, f->message, render_kind_text(f->kind), T);
	buf_addc(out, '\n');
	buf_free(&diff);
}

static void write_text(const report_doc *r, buf *out)
{
	size_t width = kind_width(r);

	write_verdict(r, out);
	for (size_t i = 0; i < r->n_manifests; i++)
		write_manifest(&r->manifests[i], out);
	write_target(r, out);
	for (size_t i = 0; i < r->n_findings; i++)
		write_finding(&r->findings[i], width, out);
}

const report_writer render_text_writer = {
	.name = "text",
	.write = write_text,
};
