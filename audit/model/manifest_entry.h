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

/* One entry (member when depth > 0) from its mapping; e is zeroed first and
 * holds what was parsed even on failure (entry_free releases it). */
eia_status entry_parse_one(const char *file, const yt_node *map, unsigned depth, entry *e,
			   eia_error *err);
/* Sorts v by path and refuses duplicate paths. */
eia_status entry_list_finish(const char *file, entry *v, size_t n, unsigned depth,
			     eia_error *err);

#endif
