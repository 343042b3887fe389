/* progress.h - progress of a long audit on stderr (files, bytes, rate, time
 * left), from a thread of its own that wakes twice a second. Workers only
 * add to atomic counters. Never part of the report. */
#ifndef EIA_PROGRESS_H
#define EIA_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct progress {
	atomic_uint_least64_t files, bytes;
	uint64_t total_files, total_bytes;
	atomic_int stop;
	int running;
	int64_t started_ms;
	pthread_t thread;
} progress;

/* Starts the printer thread when enabled; otherwise only counts. */
void progress_start(progress *p, int enabled, uint64_t total_files, uint64_t total_bytes);
void progress_add(progress *p, uint64_t files, uint64_t bytes);
/* Stops the thread and clears the line. */
void progress_stop(progress *p);

#endif
