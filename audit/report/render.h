/* render.h - the report writers: a finished report model (report_read.h)
 * rendered as text, HTML, JUnit XML or SARIF, each one table entry behind
 * one interface. Writers only render; they never fail and never touch files.
 *
 *   const report_writer *w = render_find("junit");
 *   w->write(doc, &out);              // appends to out
 *
 * The lower half of this header holds the helpers the writers share: one
 * escaper for every user-supplied string, the finding location and the
 * expected-versus-actual wording. */
#ifndef EIA_RENDER_H
#define EIA_RENDER_H

#include <stddef.h>

#include "report/report_read.h"
#include "util/buf.h"

typedef struct report_writer {
	const char *name; /* "text", "html", "junit", "sarif" */
	void (*write)(const report_doc *r, buf *out);
} report_writer;

/* The writer called `name`, or NULL. */
const report_writer *render_find(const char *name);

/* The table entries, one per render_*.c. */
extern const report_writer render_text_writer;
extern const report_writer render_html_writer;
extern const report_writer render_junit_writer;
extern const report_writer render_sarif_writer;

/* ---- shared by the writers ---- */

typedef enum {
	RENDER_TEXT, /* terminal: control characters escaped, '\' doubled */
	RENDER_HTML, /* HTML text or attribute: also &<>"' as entities */
	RENDER_XML   /* XML 1.0 text or attribute: same, always well-formed */
} render_mode;

/* Appends s[0..len) escaped for mode. Control characters (C0, DEL, C1),
 * bidirectional marks/overrides/isolates, invisible characters (zero-width
 * space, word joiner, BOM, soft hyphen; not ZWNJ/ZWJ), line/paragraph
 * separators and noncharacters become visible escapes ("\n", "\x1b",
 * "\u202e"); bytes that are not UTF-8 become "\xNN". Nothing raw can reach
 * a terminal or break a document, a name cannot reorder the text around it,
 * and two different names never look the same. */
void render_escape(buf *out, const char *s, size_t len, render_mode mode);
/* Same for a NUL-terminated string; NULL appends `missing` (may be NULL). */
void render_str(buf *out, const char *s, const char *missing, render_mode mode);

/* A path, from its lossless path_hex form when present (bytes that are
 * not UTF-8 then show as "\xNN"); "(no path)" when both are NULL. */
void render_path(buf *out, const char *path, const char *path_hex,
		 render_mode mode);
/* The path's bytes (path_hex decoded when present and well-formed), as a
 * malloc'd NUL-terminated copy the caller frees; *len excludes the NUL. */
char *render_path_raw(const char *path, const char *path_hex, size_t *len);
/* "path -> member -> member" (escaped for mode). */
void render_location(buf *out, const report_finding *f, render_mode mode);
/* " [region boot] [chunk 3]" or nothing. */
void render_region_chunk(buf *out, const report_finding *f, render_mode mode);
/* What differs: "sha256 expected X actual Y; size 10 -> 12", or
 * "expected type file, size 1" / "found type file, ..." when one side is
 * absent.
 * With `shorten`, digests are cut to 12 hex digits. Appends nothing when
 * the finding carries no attributes. */
void render_attr_diff(buf *out, const report_finding *f, int shorten,
		      render_mode mode);
/* One line describing a finding kind ("content differs from the baseline"). */
const char *render_kind_text(const char *kind);
/* The verdict word: "PASS", "DRIFT", "UNTRUSTED", "ERROR". */
const char *render_verdict(const report_doc *r);
/* Findings ordered by top-level path (then report order), so writers can
 * group them per entry without quadratic scans. */
typedef struct render_index {
	const char *path, *path_hex;
	size_t finding; /* index into r->findings */
} render_index;
/* r->n_findings items, sorted; the caller frees the array. */
render_index *render_index_findings(const report_doc *r);
/* The run ix[*first .. *first + count) of findings on (path, path_hex);
 * returns count (0 if none). */
size_t render_index_find(const render_index *ix, size_t n, const char *path,
			 const char *path_hex, size_t *first);
/* How to call a baseline: its name, else its file, else "(unnamed)". */
const char *render_manifest_label(const report_manifest *m);
/* 1 if this baseline is why trust failed in an untrusted report: no
 * signatures at all, or fewer valid ones than required. */
int render_manifest_short(const report_manifest *m);
/* 1 and *out set if s is a plain decimal number that fits; else 0. */
int render_uint(const char *s, unsigned long long *out);
/* 1 if the manifest's threshold says fewer valid signatures than required. */
int render_threshold_short(const report_manifest *m);
/* 1 if the finding's severity is "warn". */
int render_is_warn(const report_finding *f);
/* 1 if key names a digest (sha256, sha512, sha3-256, blake2b512). */
int render_is_digest(const char *key);

#endif
