/* check.h - the minimal unit-test harness: CHECK records a failure with file
 * and line and goes on; check_done prints "N passed, N failed" and returns the
 * exit status. Kept tiny on purpose: the end-to-end suite drives the binary. */
#ifndef EIA_CHECK_H
#define EIA_CHECK_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int check_pass, check_fail;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			check_pass++;                                          \
		} else {                                                       \
			check_fail++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

/* Open descriptors of this process (to check that nothing leaks one). */
static inline int check_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_pass, check_fail);
	return check_fail != 0;
}

#endif
