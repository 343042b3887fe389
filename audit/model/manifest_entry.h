/* manifest_entry.h - internal to the manifest model: the entry-level schema
 * (one entry, its members, regions and chunks). Used by manifest.c only. */
#ifndef EIA_MANIFEST_ENTRY_H
#define EIA_MANIFEST_ENTRY_H

#include <stddef.h>

#include "model/manifest.h"
#include "util/yaml_tree.h"

/* Parses the sequence `seq` of entries (members when depth > 0) into a new
 * array sorted by path; refuses duplicate paths. On failure *out is NULL. */
eia_status entry_parse_list(const char *file, const yt_node *seq, unsigned depth, entry **out,
			    size_t *n, eia_error *err);

#endif
