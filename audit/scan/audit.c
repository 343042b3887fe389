#include "scan/audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/engine.h"
#include "scan/progress.h"
#include "scan/walk.h"
#include "util/buf.h"
#include "util/paths.h"

/* One top-level entry being audited; written only by the job that owns it. */
typedef struct item {
	const entry *e;
	const manifest *layer;
	const node *nd;
	record *rec;         /* the report's record for this entry, filled in place */
	findings local;
} item;

typedef struct audit_ctx {
	const audit_options *o;
	tree t;
	item *items;
	size_t n_items;
	progress prog;
} audit_ctx;

static const char *node_type_name(const node *nd)
{
	return nd->type == ENT_OTHER ? nd->other : entry_type_name(nd->type);
}

static int type_matches(const entry *e, const node *nd)
{
	switch (e->type) {
	case ENT_FILE:
	case ENT_ARCHIVE:
		return nd->type == ENT_FILE;
	case ENT_FIRMWARE:
		return nd->type == ENT_FILE || (nd->type == ENT_OTHER &&
			(strcmp(nd->other, "block-device") == 0 ||
			 strcmp(nd->other, "char-device") == 0));
	default:
		return nd->type == e->type;
	}
}

static finding *add(item *it, finding_kind kind, const char *msg)
{
	return finding_add(&it->local, kind, SEV_FAIL, it->e->path, strlen(it->e->path),
			   NULL, 0, msg);
}

static void set_actual_type(finding *f, const node *nd)
{
	f->has_actual = 1;
	f->actual.mask = A_TYPE;
	f->actual.type = node_type_name(nd);
}

/* Type, mode, target and owner: everything but content. */
static int check_metadata(item *it, unsigned compare)
{
	const entry *e = it->e;
	const node *nd = it->nd;
	finding *f;

	if (!type_matches(e, nd)) {
		f = add(it, FK_TYPE_CHANGED, "type differs");
		f->has_expected = 1;
		f->expected.mask = A_TYPE;
		f->expected.type = entry_type_name(e->type);
		set_actual_type(f, nd);
		return 0;
	}
	if (e->has_mode && (compare & CMP_MODE) && e->mode != nd->mode) {
		f = add(it, FK_MODE_CHANGED, "permission bits differ");
		f->has_expected = f->has_actual = 1;
		f->expected.mask = f->actual.mask = A_MODE;
		f->expected.mode = e->mode;
		f->actual.mode = nd->mode;
	}
	if (e->target && (compare & CMP_TARGET) &&
	    (nd->target == NULL || strcmp(e->target, nd->target) != 0)) {
		f = add(it, FK_TARGET_CHANGED, "symlink target differs");
		f->has_expected = f->has_actual = 1;
		f->expected.mask = f->actual.mask = A_TARGET;
		f->expected.target = xstrdup(e->target);
		f->actual.target = xstrdup(nd->target ? nd->target : "");
	}
	if ((e->has_uid && (compare & CMP_UID) && e->uid != nd->uid) ||
	    (e->has_gid && (compare & CMP_GID) && e->gid != nd->gid)) {
		f = add(it, FK_OWNER_CHANGED, "owner differs");
		f->has_expected = f->has_actual = 1;
		f->expected.mask = (e->has_uid ? A_UID : 0) | (e->has_gid ? A_GID : 0);
		f->actual.mask = f->expected.mask;
		f->expected.uid = e->uid;
		f->expected.gid = e->gid;
		f->actual.uid = nd->uid;
		f->actual.gid = nd->gid;
	}
	return 1;
}

static int node_is_device(const node *nd)
{
	return nd->type == ENT_OTHER && (strcmp(nd->other, "block-device") == 0 ||
					 strcmp(nd->other, "char-device") == 0);
}

static fw_plan *firmware_plan(const entry *e)
{
	fw_plan *fw = xcalloc(1, sizeof(*fw));

	fw->n_regions = e->n_regions;
	fw->regions = xcalloc(e->n_regions ? e->n_regions : 1, sizeof(fw_region));
	for (size_t i = 0; i < e->n_regions; i++) {
		fw->regions[i].offset = e->regions[i].offset;
		fw->regions[i].length = e->regions[i].length;
		fw->regions[i].mask = e->regions[i].digests.mask;
	}
	fw->chunk_size = e->n_chunks ? e->chunk_size : 0;
	fw->n_chunks_max = e->n_chunks + 1;
	fw->chunks = xcalloc(fw->n_chunks_max, 32);
	return fw;
}

static void fw_plan_free(fw_plan *fw)
{
	if (fw == NULL)
		return;
	free(fw->regions);
	free(fw->chunks);
	free(fw);
}

static void firmware_findings(item *it, const fw_plan *fw)
{
	const entry *e = it->e;
	record *rec = it->rec;
	char msg[160];

	rec->n_regions = e->n_regions;
	rec->regions = xcalloc(e->n_regions ? e->n_regions : 1, sizeof(region_rec));
	for (size_t i = 0; i < e->n_regions; i++) {
		const fw_region *g = &fw->regions[i];
		region_rec *rr = &rec->regions[i];
		rr->name = xstrdup(e->regions[i].name);
		rr->offset = g->offset;
		rr->length = g->length;
		rr->digests = g->got;
		rr->ok = g->complete && digest_set_match(&e->regions[i].digests, &g->got);
		if (rr->ok)
			continue;
		snprintf(msg, sizeof(msg), g->complete ? "region content differs"
			 : "region extends past the end of the image");
		finding *f = add(it, FK_MODIFIED, msg);
		f->region = xstrdup(e->regions[i].name);
		f->has_expected = f->has_actual = 1;
		f->expected.mask = A_DIGESTS;
		f->expected.digests = e->regions[i].digests;
		f->actual.mask = A_DIGESTS;
		f->actual.digests = g->got;
	}
	rec->n_chunks = fw->n_chunks < fw->n_chunks_max ? fw->n_chunks : fw->n_chunks_max;
	rec->chunks = xcalloc(rec->n_chunks ? rec->n_chunks : 1, sizeof(chunk_rec));
	for (size_t i = 0; i < rec->n_chunks; i++) {
		memcpy(rec->chunks[i].sha256, fw->chunks[i], 32);
		rec->chunks[i].ok = i < e->n_chunks && memcmp(e->chunks[i], fw->chunks[i], 32) == 0;
	}
	for (size_t i = 0; i < e->n_chunks; i++) {
		if (i < rec->n_chunks && rec->chunks[i].ok)
			continue;
		finding *f = add(it, FK_MODIFIED, i < rec->n_chunks ? "chunk content differs"
				 : "chunk missing: the image is shorter");
		f->chunk = (int64_t)i;
		f->has_expected = 1;
		f->expected.mask = A_DIGESTS;
		f->expected.digests.mask = DG_MASK(DG_SHA256);
		memcpy(f->expected.digests.v[DG_SHA256], e->chunks[i], 32);
		if (i < rec->n_chunks) {
			f->has_actual = 1;
			f->actual.mask = A_DIGESTS;
			f->actual.digests.mask = DG_MASK(DG_SHA256);
			memcpy(f->actual.digests.v[DG_SHA256], fw->chunks[i], 32);
		}
	}
}

static unsigned digest_mask(const entry *e)
{
	return e->digests.mask | DG_MASK(DG_SHA256);
}

static void content_modified(item *it, const hash_result *hr)
{
	finding *f = add(it, FK_MODIFIED, it->e->has_size && it->e->size != hr->bytes
			 ? "size differs" : "content differs");
	attrs_from_entry(&f->expected, it->e);
	f->expected.mask &= A_SIZE | A_DIGESTS;
	f->has_expected = 1;
	f->has_actual = 1;
	f->actual.mask = A_SIZE | A_DIGESTS;
	f->actual.size = hr->bytes;
	f->actual.digests = hr->digests;
}

static void compare_members(const audit_ctx *c, item *it, const member_list *got)
{
	member_scope scope = {it->e->path, NULL, 0, it->layer->compare, c->o->limits.max_depth};
	archive_compare(&scope, it->e, got, &it->local, it->rec);
}

static void archive_members(const audit_ctx *c, item *it, int fd)
{
	member_list got;
	eia_error err;

	if (lseek(fd, 0, SEEK_SET) != 0) {
		add(it, FK_UNREADABLE, "cannot rewind the archive to read its members");
		return;
	}
	memset(&got, 0, sizeof(got));
	if (archive_read_members(fd, digest_mask(it->e), &c->o->limits,
				 &got, &err) != EIA_OK) {
		add(it, FK_UNREADABLE, err.msg);
		return;
	}
	compare_members(c, it, &got);
	member_list_free(&got);
}

/* The members of an archive that is not the certified one: as read ahead,
 * or read now. */
static void check_members(const audit_ctx *c, item *it, worker *w, ahead_job *ahead, int fd)
{
	char msg[300];

	if (ahead != NULL && ahead->members_read) {
		if (ahead->members_error != NULL)
			add(it, FK_UNREADABLE, ahead->members_error);
		else
			compare_members(c, it, &ahead->got);
		member_list_free(&ahead->got); /* this item is its only reader */
		return;
	}
	if (fd >= 0) { /* the descriptor just hashed */
		archive_members(c, it, fd);
		return;
	}
	fd = walk_open_in(&w->dirs, c->t.root_fd, it->e->path, it->nd, 0);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		add(it, FK_UNREADABLE, msg);
		return;
	}
	archive_members(c, it, fd);
	close(fd);
}

static int regions_past_end(const entry *e, uint64_t size)
{
	for (size_t i = 0; i < e->n_regions; i++)
		if (e->regions[i].offset > size || e->regions[i].length > size - e->regions[i].offset)
			return 1;
	return 0;
}

/* Second pass over an image whose whole digest differs: region and chunk
 * digests say where. Only drift pays for it, so a matching image is hashed
 * once, at the speed of one digest. */
static void locate_firmware_drift(item *it, worker *w, int fd, fw_plan *fw)
{
	hash_result hr;
	char msg[300];

	if (lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(msg, sizeof(msg), "cannot re-read to locate the drift: %s", strerror(errno));
		add(it, FK_UNREADABLE, msg);
		return;
	}
	hash_fd_max(w, fd, DG_MASK(DG_SHA256), fw,
		    node_is_device(it->nd) ? it->e->size : 0, &hr);
	if (hr.error) {
		snprintf(msg, sizeof(msg), "read error locating the drift: %s", strerror(hr.error));
		add(it, FK_UNREADABLE, msg);
		return;
	}
	firmware_findings(it, fw);
}

/* The digest the walk thread took ahead (walk_start), when this is a plain
 * file entry and sha256 is all it asks for: the same bytes, read through a
 * descriptor checked against the same walked inode. */
static int hashed_ahead(const audit_ctx *c, const item *it, hash_result *hr)
{
	const pre_hash *p;

	if (c->t.pre == NULL || it->e->type != ENT_FILE ||
	    digest_mask(it->e) != DG_MASK(DG_SHA256))
		return 0;
	p = &c->t.pre[it->nd - c->t.v];
	if (!p->done)
		return 0;
	memset(hr, 0, sizeof(*hr));
	hr->bytes = p->bytes;
	hr->digests.mask = DG_MASK(DG_SHA256);
	memcpy(hr->digests.v[DG_SHA256], p->sha256, 32);
	return 1;
}

/* The archive's digests, and its members when they differ, read on the
 * walk thread while the manifests parsed (ahead.h): NULL if not. */
static ahead_job *read_ahead(const audit_ctx *c, const item *it)
{
	if (c->o->walk == NULL || it->e->type != ENT_ARCHIVE)
		return NULL;
	return ahead_take(&c->o->walk->q, (size_t)(it->nd - c->t.v), digest_mask(it->e));
}

/* Opens and hashes a file, firmware image or archive; compares content. */
static void check_content(const audit_ctx *c, item *it, worker *w)
{
	const entry *e = it->e;
	fw_plan *fw = e->type == ENT_FIRMWARE ? firmware_plan(e) : NULL;
	ahead_job *ahead = read_ahead(c, it);
	hash_result hr;
	int fd = -1;
	char msg[300];

	if (fw != NULL && node_is_device(it->nd) && (!e->has_size || e->size == 0)) {
		add(it, FK_UNREADABLE, "a device in place of a firmware image is only read "
		    "for the image's size, and the manifest gives none");
		goto out;
	}
	if (ahead != NULL) {
		hr = ahead->hr;
	} else if (!hashed_ahead(c, it, &hr)) {
		fd = walk_open_in(&w->dirs, c->t.root_fd, e->path, it->nd, e->type == ENT_FIRMWARE);
		if (fd < 0) {
			snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
			add(it, FK_UNREADABLE, msg);
			goto out;
		}
		/* a device in place of a firmware image is read for the image's
		 * size only: /dev/zero never ends, a card is larger than the image
		 * on it. Regions and chunks are not hashed on this first pass: when
		 * the whole image matches, its bytes are the certified ones (as
		 * for archives) */
		hash_fd_max(w, fd, digest_mask(e), NULL,
			    fw && node_is_device(it->nd) ? e->size : 0, &hr);
		if (hr.error) {
			snprintf(msg, sizeof(msg), "read error: %s", strerror(hr.error));
			add(it, FK_UNREADABLE, msg);
			goto out;
		}
	}
	it->rec->has_size = 1;
	it->rec->size = hr.bytes;
	it->rec->digests = hr.digests;
	if (e->dynamic)
		goto out;
	if (((it->layer->compare & CMP_DIGEST) && !digest_set_match(&e->digests, &hr.digests)) ||
	    ((it->layer->compare & CMP_SIZE) && e->has_size && e->size != hr.bytes)) {
		content_modified(it, &hr);
		if (e->type == ENT_ARCHIVE && e->has_members)
			check_members(c, it, w, ahead, fd);
		if (fw != NULL && (e->n_regions || e->n_chunks))
			locate_firmware_drift(it, w, fd, fw);
	} else if (fw != NULL && regions_past_end(e, hr.bytes)) {
		/* the certified bytes cannot hold a region the manifest claims */
		locate_firmware_drift(it, w, fd, fw);
	}
out:
	if (fd >= 0)
		close(fd);
	fw_plan_free(fw);
}

static const char *record_status(const item *it)
{
	int warn = 0;

	for (size_t i = 0; i < it->local.n; i++) {
		if (it->local.v[i].kind == FK_MISSING)
			return "missing";
		if (it->local.v[i].sev == SEV_FAIL)
			return "drift";
		warn = 1;
	}
	return warn ? "warn" : "ok";
}

/* An entry absent from the walk because a directory above it could not be
 * read (or lies past the depth limit) is unproven, not missing. */
static int unexamined_ancestor(const audit_ctx *c, item *it)
{
	const char *path = it->e->path;
	char msg[300];

	for (const char *s = strchr(path, '/'); s != NULL; s = strchr(s + 1, '/')) {
		char *prefix = xmemdup0(path, (size_t)(s - path));
		const node *nd = tree_find(&c->t, prefix);
		free(prefix);
		if (nd == NULL || !nd->error)
			continue;
		snprintf(msg, sizeof(msg), "inside directory '%.*s' that could not be read: %s",
			 (int)(s - path), path, strerror(nd->error));
		add(it, nd->error == ELOOP ? FK_LIMIT_EXCEEDED : FK_UNREADABLE, msg);
		return 1;
	}
	return 0;
}

static void audit_item(void *ctx, size_t index, worker *w)
{
	audit_ctx *c = ctx;
	item *it = &c->items[index];
	const entry *e = it->e;

	it->rec->path = xstrdup(e->path);
	it->rec->path_len = strlen(e->path);
	it->rec->type = entry_type_name(e->type);
	it->rec->class_ = e->dynamic ? "dynamic" : NULL;
	it->nd = tree_find(&c->t, e->path);
	if (it->nd == NULL && unexamined_ancestor(c, it)) {
		goto out;
	} else if (it->nd == NULL) {
		finding *f = add(it, FK_MISSING, "listed in the manifest but not present");
		attrs_from_entry(&f->expected, e);
		f->has_expected = 1;
		goto out;
	}
	if (it->nd->error && it->nd->type == ENT_OTHER) {
		char msg[200];
		snprintf(msg, sizeof(msg), "cannot examine: %s", strerror(it->nd->error));
		add(it, FK_UNREADABLE, msg);
		goto out;
	}
	it->rec->has_mode = 1;
	it->rec->mode = it->nd->mode;
	if (it->nd->target)
		it->rec->target = xstrdup(it->nd->target);
	if (!check_metadata(it, it->layer->compare))
		goto out;
	if (e->type == ENT_FILE || e->type == ENT_ARCHIVE || e->type == ENT_FIRMWARE)
		check_content(c, it, w);
out:
	it->rec->status = record_status(it);
	if (it->nd != NULL && it->nd->type == ENT_FILE)
		progress_add(&c->prog, 1, it->nd->size);
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const item *)a)->e->path, ((const item *)b)->e->path);
}

static int items_sorted(const audit_ctx *c)
{
	for (size_t i = 1; i < c->n_items; i++)
		if (strcmp(c->items[i - 1].e->path, c->items[i].e->path) >= 0)
			return 0;
	return 1;
}

/* All layers' top-level entries, sorted; a path named twice is an error. */
static eia_status gather_items(audit_ctx *c, eia_error *err)
{
	const audit_options *o = c->o;
	size_t n = 0, k = 0;

	for (size_t l = 0; l < o->n_layers; l++)
		n += o->layers[l]->n_entries;
	c->items = xcalloc(n ? n : 1, sizeof(item));
	for (size_t l = 0; l < o->n_layers; l++)
		for (size_t i = 0; i < o->layers[l]->n_entries; i++) {
			c->items[k].e = &o->layers[l]->entries[i];
			c->items[k].layer = o->layers[l];
			k++;
		}
	c->n_items = n;
	/* one layer's entries come sorted (by path_cmp, the same order) */
	if (c->n_items > 1 && !items_sorted(c))
		qsort(c->items, n, sizeof(item), cmp_item);
	for (size_t i = 1; i < n; i++)
		if (strcmp(c->items[i - 1].e->path, c->items[i].e->path) == 0)
			return eia_fail(err, EIA_EINPUT,
					"manifests '%s' and '%s' both name the path '%s'",
					c->items[i - 1].layer->name, c->items[i].layer->name,
					c->items[i].e->path);
	return EIA_OK;
}

/* Listed: named by an entry, or a directory above one. */
static int is_listed(const audit_ctx *c, const node *nd)
{
	size_t lo = 0, hi = c->n_items;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->items[mid].e->path, nd->path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n_items) {
		const char *p = c->items[lo].e->path;
		if (strcmp(p, nd->path) == 0)
			return 1;
		/* entries under nd sort right after it, possibly after "nd-x" siblings */
		for (size_t i = lo; i < c->n_items; i++) {
			p = c->items[i].e->path;
			if (strncmp(p, nd->path, nd->path_len) != 0)
				break;
			if (p[nd->path_len] == '/')
				return 1;
			if (p[nd->path_len] > '/')
				break;
		}
	}
	return 0;
}

static int is_ignored(const audit_options *o, const char *path)
{
	for (size_t l = 0; l < o->n_layers; l++)
		for (size_t i = 0; i < o->layers[l]->n_ignore; i++)
			if (glob_match(o->layers[l]->ignore[i], path))
				return 1;
	return 0;
}

static unlisted_policy strictest_unlisted(const audit_options *o)
{
	unlisted_policy p = UNLISTED_IGNORE;

	for (size_t l = 0; l < o->n_layers; l++)
		if (o->layers[l]->unlisted < p)
			p = o->layers[l]->unlisted;
	return p;
}

/* A directory that could not be read hides what is in it: never a pass. */
static void unexamined(const node *nd, findings *out)
{
	char msg[200];

	if (nd->error == ELOOP)
		snprintf(msg, sizeof(msg), "directory deeper than %d levels: not examined",
			 WALK_MAX_DEPTH);
	else
		snprintf(msg, sizeof(msg), "cannot %s: %s", nd->type == ENT_DIR ? "read directory"
			 : "examine", strerror(nd->error));
	finding_add(out, nd->error == ELOOP ? FK_LIMIT_EXCEEDED : FK_UNREADABLE, SEV_FAIL,
		    nd->path, nd->path_len, NULL, 0, msg);
}

static void find_unlisted(const audit_ctx *c, findings *out)
{
	unlisted_policy pol = strictest_unlisted(c->o);

	for (size_t i = 0; i < c->t.n; i++) {
		const node *nd = &c->t.v[i];
		int listed = is_listed(c, nd);
		finding *f;
		if (is_ignored(c->o, nd->path))
			continue;
		/* listed non-directories are reported by their own entry */
		if (nd->error && (nd->type == ENT_DIR || !listed)) {
			unexamined(nd, out);
			continue;
		}
		if (listed || pol == UNLISTED_IGNORE)
			continue;
		f = finding_add(out, FK_UNLISTED, pol == UNLISTED_FAIL ? SEV_FAIL : SEV_WARN,
				nd->path, nd->path_len, NULL, 0,
				"present but not listed in any manifest");
		f->has_actual = 1;
		f->actual.mask = A_TYPE | A_MODE | (nd->type == ENT_FILE ? A_SIZE : 0) |
				 (nd->target ? A_TARGET : 0);
		f->actual.type = node_type_name(nd);
		f->actual.size = nd->size;
		f->actual.mode = nd->mode;
		f->actual.target = nd->target ? xstrdup(nd->target) : NULL;
	}
}

/* Moves each item's findings into the report (records are there already). */
static void collect(audit_ctx *c, report *r)
{
	for (size_t i = 0; i < c->n_items; i++) {
		item *it = &c->items[i];
		for (size_t j = 0; j < it->local.n; j++) {
			if (r->found.n == r->found.cap) {
				r->found.cap = r->found.cap ? r->found.cap * 2 : 64;
				r->found.v = xreallocarray(r->found.v, r->found.cap, sizeof(finding));
			}
			r->found.v[r->found.n++] = it->local.v[j];
		}
		free(it->local.v);
	}
}

eia_status audit_run(const audit_options *o, report *r, eia_error *err)
{
	audit_ctx c;
	eia_status st;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.t.root_fd = -1;
	st = gather_items(&c, err);
	if (st != EIA_OK)
		goto out;
	/* one record per item, in the items' (sorted) order: no copy at the end */
	r->records = xcalloc(c.n_items ? c.n_items : 1, sizeof(record));
	r->n_records = c.n_items;
	for (size_t i = 0; i < c.n_items; i++)
		c.items[i].rec = &r->records[i];
	st = o->walk != NULL ? walk_finish(o->walk, &c.t, err) : walk_tree(o->root, &c.t, err);
	if (st != EIA_OK)
		goto out;
	r->files = c.t.files;
	r->bytes = c.t.bytes;
	progress_start(&c.prog, o->progress, c.t.files, c.t.bytes);
	st = engine_run(c.n_items, o->jobs, audit_item, &c, err);
	progress_stop(&c.prog);
	if (st != EIA_OK)
		goto out;
	find_unlisted(&c, &r->found);
	collect(&c, r);
	findings_sort(&r->found);
out:
	if (st != EIA_OK) {
		for (size_t i = 0; i < r->n_records; i++)
			record_free(&r->records[i]);
		free(r->records);
		r->records = NULL;
		r->n_records = 0;
		for (size_t i = 0; i < c.n_items; i++)
			findings_free(&c.items[i].local);
	}
	free(c.items);
	if (o->walk != NULL) /* ends the thread (or a walk never finished) first */
		walk_discard(o->walk);
	tree_free(&c.t);
	return st;
}
