/* audit.h - compares trusted, parsed manifests with the tree under --root.
 *
 * audit_run walks the root once, matches every top-level entry of every
 * layer with what is there, hashes content in parallel (engine.h) and fills
 * the report's evidence records, findings and target totals. It never
 * writes anything under the root. Trust and rollback are decided before it
 * is called. */
#ifndef EIA_AUDIT_H
#define EIA_AUDIT_H

#include "model/manifest.h"
#include "report/findings.h"
#include "scan/archive.h"
#include "scan/walk.h"
#include "util/error.h"

typedef struct audit_options {
	const manifest *const *layers;  /* in command-line order */
	size_t n_layers;
	const char *root;
	unsigned jobs;
	archive_limits limits;
	int progress;                   /* print progress on stderr */
	walk_job *walk;                 /* a walk of root already started, or NULL */
} audit_options;

/* Fills r->records, r->found, r->files, r->bytes. EIA_EINPUT when the
 * root cannot be read or two layers name the same path. */
eia_status audit_run(const audit_options *o, report *r, eia_error *err);

#endif
