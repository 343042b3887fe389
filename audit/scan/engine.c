#include "scan/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"

#define ENGINE_MAX_WORKERS 256

unsigned engine_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1u : n > ENGINE_MAX_WORKERS ? ENGINE_MAX_WORKERS : (unsigned)n;
}

struct engine {
	atomic_size_t next;
	size_t n_jobs;
	engine_job_fn fn;
	void *ctx;
};

struct thread_arg {
	struct engine *e;
	worker w;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	struct engine *e = a->e;

	for (;;) {
		size_t i = atomic_fetch_add(&e->next, 1);
		if (i >= e->n_jobs)
			break;
		e->fn(e->ctx, i, &a->w);
	}
	return NULL;
}

eia_status worker_init(worker *w, unsigned id, eia_error *err)
{
	eia_status st;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->dirs.fd = -1;
	if (posix_memalign((void **)&w->buf, 4096, ENGINE_READ_SIZE) != 0)
		return eia_fail(err, EIA_EINPUT, "out of memory for read buffers");
	st = digest_ctx_init(&w->dc, DG_MASK_ALL, err);
	if (st == EIA_OK)
		st = digest_ctx_init(&w->chunk, DG_MASK(DG_SHA256), err);
	return st;
}

void worker_free(worker *w)
{
	if (w->dirs.fd >= 0)
		close(w->dirs.fd);
	free(w->dirs.path);
	digest_ctx_free(&w->dc);
	digest_ctx_free(&w->chunk);
	free(w->buf);
}

eia_status engine_run(size_t n_jobs, unsigned workers, engine_job_fn fn, void *ctx,
		      eia_error *err)
{
	struct engine e;
	struct thread_arg *args;
	pthread_t *tids;
	unsigned started = 0;
	eia_status st = EIA_OK;

	if (workers < 1)
		workers = 1;
	if (workers > ENGINE_MAX_WORKERS)
		workers = ENGINE_MAX_WORKERS;
	if (n_jobs < workers)
		workers = n_jobs ? (unsigned)n_jobs : 1;
	atomic_init(&e.next, 0);
	e.n_jobs = n_jobs;
	e.fn = fn;
	e.ctx = ctx;
	args = xcalloc(workers, sizeof(*args));
	tids = xcalloc(workers, sizeof(*tids));
	for (unsigned i = 0; i < workers; i++)
		args[i].w.dirs.fd = -1; /* worker_free of one never initialised */
	for (unsigned i = 0; i < workers && st == EIA_OK; i++) {
		args[i].e = &e;
		st = worker_init(&args[i].w, i, err);
	}
	if (st == EIA_OK && workers == 1) {
		thread_main(&args[0]);
	} else if (st == EIA_OK) {
		for (; started < workers; started++)
			if (pthread_create(&tids[started], NULL, thread_main, &args[started]) != 0)
				break;
		if (started == 0)
			thread_main(&args[0]);
		for (unsigned i = 0; i < started; i++)
			pthread_join(tids[i], NULL);
	}
	for (unsigned i = 0; i < workers; i++)
		worker_free(&args[i].w);
	free(args);
	free(tids);
	return st;
}

/* Feeds the part of [pos, pos+n) that overlaps each region. */
static void feed_regions(fw_plan *fw, digest_ctx *ctxs, uint64_t pos,
			 const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < fw->n_regions; i++) {
		fw_region *r = &fw->regions[i];
		uint64_t end = r->offset + r->length;
		uint64_t lo = pos > r->offset ? pos : r->offset;
		uint64_t hi = pos + n < end ? pos + n : end;
		if (lo < hi)
			digest_ctx_update(&ctxs[i], p + (lo - pos), (size_t)(hi - lo));
	}
}

/* Feeds chunk digests, closing a chunk at each chunk_size boundary. Chunks
 * past the plan's capacity are not hashed: nothing would compare them, and
 * a small chunk-size on a large image must not cost a digest per chunk. */
static void feed_chunks(worker *w, fw_plan *fw, uint64_t pos, const unsigned char *p,
			size_t n)
{
	while (n > 0 && fw->n_chunks < fw->n_chunks_max) {
		uint64_t in_chunk = pos % fw->chunk_size;
		uint64_t room = fw->chunk_size - in_chunk;
		size_t take = n < room ? n : (size_t)room;
		digest_set d;
		digest_ctx_update(&w->chunk, p, take);
		pos += take;
		p += take;
		n -= take;
		if (pos % fw->chunk_size == 0) {
			digest_ctx_final(&w->chunk, &d);
			if (fw->n_chunks < fw->n_chunks_max)
				memcpy(fw->chunks[fw->n_chunks], d.v[DG_SHA256], 32);
			fw->n_chunks++;
			digest_ctx_reset(&w->chunk, NULL);
		}
	}
}

static void finish_firmware(worker *w, fw_plan *fw, digest_ctx *ctxs, uint64_t total)
{
	if (fw->chunk_size && total % fw->chunk_size != 0 && fw->n_chunks < fw->n_chunks_max) {
		digest_set d;
		digest_ctx_final(&w->chunk, &d);
		memcpy(fw->chunks[fw->n_chunks], d.v[DG_SHA256], 32);
		fw->n_chunks++;
	}
	if (fw->chunk_size) { /* chunks past the capacity: counted, not hashed */
		uint64_t all = total / fw->chunk_size + (total % fw->chunk_size != 0);
		if (all > fw->n_chunks)
			fw->n_chunks = (size_t)all;
	}
	for (size_t i = 0; i < fw->n_regions; i++) {
		fw_region *r = &fw->regions[i];
		digest_ctx_final(&ctxs[i], &r->got);
		r->complete = r->offset <= total && r->length <= total - r->offset;
		digest_ctx_free(&ctxs[i]);
	}
}

void hash_fd(worker *w, int fd, unsigned mask, fw_plan *fw, hash_result *out)
{
	hash_fd_max(w, fd, mask, fw, 0, out);
}

void hash_fd_max(worker *w, int fd, unsigned mask, fw_plan *fw, uint64_t max_bytes,
		 hash_result *out)
{
	digest_ctx *ctxs = NULL;
	unsigned saved = w->dc.mask;
	void *parked[DG_COUNT];

	memset(out, 0, sizeof(*out));
	/* feed only the requested algorithms: park the others */
	for (int i = 0; i < DG_COUNT; i++) {
		parked[i] = w->dc.md[i];
		if (!(mask & DG_MASK(i)))
			w->dc.md[i] = NULL;
	}
	digest_ctx_reset(&w->dc, NULL);
	digest_ctx_reset(&w->chunk, NULL);
	if (fw != NULL && fw->n_regions) {
		ctxs = xcalloc(fw->n_regions, sizeof(*ctxs));
		for (size_t i = 0; i < fw->n_regions; i++)
			digest_ctx_init(&ctxs[i], fw->regions[i].mask | DG_MASK(DG_SHA256), NULL);
	}
	if (fw != NULL)
		fw->n_chunks = 0;
	for (;;) {
		size_t want = ENGINE_READ_SIZE;
		if (max_bytes) {
			if (out->bytes >= max_bytes)
				break;
			if (max_bytes - out->bytes < want)
				want = (size_t)(max_bytes - out->bytes);
		}
		ssize_t n = read(fd, w->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			out->error = errno;
			break;
		}
		if (n == 0)
			break;
		/* read-ahead advice pays for large images, not for one more
		 * syscall on each of many small files */
		if (out->bytes == 0 && (size_t)n == want)
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		digest_ctx_update(&w->dc, w->buf, (size_t)n);
		if (fw != NULL && fw->n_regions)
			feed_regions(fw, ctxs, out->bytes, w->buf, (size_t)n);
		if (fw != NULL && fw->chunk_size)
			feed_chunks(w, fw, out->bytes, w->buf, (size_t)n);
		out->bytes += (uint64_t)n;
	}
	digest_ctx_final(&w->dc, &out->digests);
	if (fw != NULL)
		finish_firmware(w, fw, ctxs, out->bytes);
	free(ctxs);
	for (int i = 0; i < DG_COUNT; i++)
		w->dc.md[i] = parked[i];
	w->dc.mask = saved;
}
