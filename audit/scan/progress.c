#include "scan/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void human(double v, char *out, size_t n)
{
	static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
	int u = 0;

	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	snprintf(out, n, "%.1f %s", v, units[u]);
}

static void print_line(progress *p)
{
	uint64_t files = atomic_load(&p->files), bytes = atomic_load(&p->bytes);
	double secs = (double)(mono_ms() - p->started_ms) / 1000.0;
	double rate = secs > 0 ? (double)bytes / secs : 0;
	char done[32], total[32], speed[32], left[32] = "?";

	human((double)bytes, done, sizeof(done));
	human((double)p->total_bytes, total, sizeof(total));
	human(rate, speed, sizeof(speed));
	if (rate > 0 && p->total_bytes >= bytes)
		snprintf(left, sizeof(left), "%.0fs", (double)(p->total_bytes - bytes) / rate);
	fprintf(stderr, "\r\033[Keia: %llu/%llu files, %s/%s, %s/s, %s left",
		(unsigned long long)files, (unsigned long long)p->total_files, done, total,
		speed, left);
	fflush(stderr);
}

static void *printer(void *arg)
{
	progress *p = arg;
	struct timespec half = {0, 500000000};

	while (!atomic_load(&p->stop)) {
		print_line(p);
		nanosleep(&half, NULL);
	}
	return NULL;
}

void progress_start(progress *p, int enabled, uint64_t total_files, uint64_t total_bytes)
{
	memset(p, 0, sizeof(*p));
	atomic_init(&p->files, 0);
	atomic_init(&p->bytes, 0);
	atomic_init(&p->stop, 0);
	p->total_files = total_files;
	p->total_bytes = total_bytes;
	p->started_ms = mono_ms();
	if (enabled && pthread_create(&p->thread, NULL, printer, p) == 0)
		p->running = 1;
}

void progress_add(progress *p, uint64_t files, uint64_t bytes)
{
	atomic_fetch_add(&p->files, files);
	atomic_fetch_add(&p->bytes, bytes);
}

void progress_stop(progress *p)
{
	if (!p->running)
		return;
	atomic_store(&p->stop, 1);
	pthread_join(p->thread, NULL);
	print_line(p);
	fputs("\n", stderr);
	p->running = 0;
}
