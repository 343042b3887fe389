/* ahead.c - work done ahead on the walk thread while the manifests parse
 * (see ahead.h). Every shared field of the queue is read and written under
 * q->mu; a job's results are written by the thread while it is RUNNING and
 * read by the audit only once it is DONE. */
#include "scan/ahead.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/walk.h"
#include "util/buf.h"

void ahead_init(ahead_queue *q, const archive_limits *lim, int on)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->on = on;
	if (lim != NULL)
		q->lim = *lim;
	else
		archive_limits_default(&q->lim);
}

static void job_free(ahead_job *a)
{
	free(a->path);
	member_list_free(&a->got);
	free(a->members_error);
	free(a);
}

void ahead_free(ahead_queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		job_free(q->v[i]);
	free(q->v);
	free(q->by_node);
	q->v = NULL;
	q->by_node = NULL;
	q->n = q->cap = q->next = 0;
	q->on = 0;
}

void ahead_submit(void *ctx, const entry *e)
{
	ahead_queue *q = &((struct walk_job *)ctx)->q;
	ahead_job *a;

	if (e->type != ENT_ARCHIVE || e->dynamic || !q->on)
		return;
	pthread_mutex_lock(&q->mu);
	if (q->closed || q->n - q->next >= AHEAD_MAX_QUEUED) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	pthread_mutex_unlock(&q->mu);
	a = xcalloc(1, sizeof(*a));
	a->path = xstrdup(e->path);
	a->mask = e->digests.mask | DG_MASK(DG_SHA256); /* as the audit hashes it */
	a->want = e->digests;
	a->has_size = e->has_size;
	a->size = e->size;
	a->has_members = e->has_members;
	a->state = AHEAD_QUEUED;
	pthread_mutex_lock(&q->mu);
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->v = xreallocarray(q->v, q->cap, sizeof(*q->v));
	}
	q->v[q->n++] = a;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Hashes the archive and, when it is not the certified one, reads its
 * members: what check_content in audit.c would do, without its verdict. */
static void run_job(int root_fd, worker *w, const archive_limits *lim, ahead_job *a,
		    const node *nd)
{
	eia_error err;
	int fd = walk_open_in(&w->dirs, root_fd, a->path, nd, 0);

	if (fd < 0)
		return; /* the audit opens it again and reports why */
	hash_fd(w, fd, a->mask, NULL, &a->hr);
	if (a->hr.error)
		goto out;
	a->hashed = 1;
	if (!a->has_members || (digest_set_match(&a->want, &a->hr.digests) &&
				(!a->has_size || a->size == a->hr.bytes)))
		goto out;
	if (lseek(fd, 0, SEEK_SET) != 0)
		goto out;
	if (archive_read_members(fd, a->mask, lim, &a->got, &err) != EIA_OK) {
		member_list_free(&a->got);
		a->members_error = xstrdup(err.msg);
	}
	a->members_read = 1;
out:
	close(fd);
}

/* Starts the next queued job whose file the walk found; with q->mu held,
 * which it drops while the job runs. Returns 0 when there was none. While
 * it runs, walk_finish may hand j->t over: only the root descriptor (read
 * here, under the lock) and the node (its array stays until walk_end) are
 * used. */
static int next_job(walk_job *j, worker *w)
{
	ahead_queue *q = &j->q;

	while (q->next < q->n) {
		ahead_job *a = q->v[q->next++];
		const node *nd = tree_find(&j->t, a->path);
		size_t i;
		if (nd == NULL || nd->type != ENT_FILE || nd->error)
			continue;
		i = (size_t)(nd - j->t.v);
		if (q->by_node[i] != NULL) /* the same path in another layer */
			continue;
		q->by_node[i] = a;
		a->state = AHEAD_RUNNING;
		int root_fd = j->t.root_fd;
		pthread_mutex_unlock(&q->mu);
		run_job(root_fd, w, &q->lim, a, nd);
		pthread_mutex_lock(&q->mu);
		a->state = AHEAD_DONE;
		pthread_cond_broadcast(&q->cv);
		return 1;
	}
	return 0;
}

/* sha256 of the small file at node i into t->pre; without the lock (the
 * audit reads t->pre only once the thread is no longer busy). */
static void hash_small(tree *t, worker *w, size_t i)
{
	const node *nd = &t->v[i];
	hash_result hr;
	int fd;

	if (nd->type != ENT_FILE || nd->error || nd->size > WALK_PRE_MAX)
		return;
	fd = walk_open_in(&w->dirs, t->root_fd, nd->path, nd, 0);
	if (fd < 0)
		return; /* left to the audit, which reports it as it would have */
	hash_fd(w, fd, DG_MASK(DG_SHA256), NULL, &hr);
	close(fd);
	if (hr.error)
		return;
	memcpy(t->pre[i].sha256, hr.digests.v[DG_SHA256], 32);
	t->pre[i].bytes = hr.bytes;
	t->pre[i].done = 1;
}

void ahead_run(walk_job *j)
{
	ahead_queue *q = &j->q;
	tree *t = &j->t;
	size_t small = 0;
	worker w;

	if (worker_init(&w, 0, NULL) != EIA_OK) {
		worker_free(&w);
		return;
	}
	t->pre = xcalloc(t->n ? t->n : 1, sizeof(*t->pre));
	pthread_mutex_lock(&q->mu);
	q->by_node = xcalloc(t->n ? t->n : 1, sizeof(*q->by_node));
	/* archives first: each is a large piece of the audit's work */
	while (!q->closed) {
		q->busy = 0; /* running an archive job: the audit need not wait */
		if (next_job(j, &w))
			continue;
		if (small < t->n) {
			q->busy = 1;
			pthread_mutex_unlock(&q->mu);
			hash_small(t, &w, small++);
			pthread_mutex_lock(&q->mu);
			continue;
		}
		pthread_cond_wait(&q->cv, &q->mu);
	}
	q->busy = 0;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	worker_free(&w);
}

void ahead_close(ahead_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	while (q->busy)
		pthread_cond_wait(&q->cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

ahead_job *ahead_take(ahead_queue *q, size_t index, unsigned mask)
{
	ahead_job *a;

	pthread_mutex_lock(&q->mu);
	a = q->by_node != NULL ? q->by_node[index] : NULL;
	while (a != NULL && a->state != AHEAD_DONE)
		pthread_cond_wait(&q->cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
	return a != NULL && a->mask == mask && a->hashed ? a : NULL;
}
