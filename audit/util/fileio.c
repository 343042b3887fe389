#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

eia_status file_read_all(const char *path, size_t max, buf *out, eia_error *err)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO put in place of an input must not block the open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	eia_status rc = EIA_OK;

	buf_init(out);
	if (fd < 0)
		return eia_fail_errno(err, EIA_EINPUT, errno, "%s", path);
	if (fstat(fd, &st) != 0) {
		rc = eia_fail_errno(err, EIA_EINPUT, errno, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = eia_fail(err, EIA_EINPUT, "%s: not a regular file", path);
		goto out;
	}
	for (;;) {
		ssize_t n;
		buf_reserve(out, 65536);
		n = read(fd, out->data + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = eia_fail_errno(err, EIA_EINPUT, errno, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (out->len > max) {
			rc = eia_fail(err, EIA_EINPUT, "%s: larger than the limit of %zu bytes",
				      path, max);
			goto out;
		}
	}
	buf_reserve(out, 0);
out:
	close(fd);
	if (rc != EIA_OK)
		buf_free(out);
	return rc;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int dfd;

	if (copy == NULL)
		return;
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(copy);
}

eia_status atomic_write(const char *path, const void *data, size_t len,
			mode_t mode, eia_error *err)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	int fd, saved;

	if (tmp == NULL)
		return eia_fail(err, EIA_EINPUT, "%s: out of memory", path);
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", 12);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		free(tmp);
		return eia_fail_errno(err, EIA_EINPUT, saved, "%s: cannot create temporary file", path);
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		goto fail;
	}
	if (close(fd) != 0) {
		saved = errno;
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		saved = errno;
		goto fail;
	}
	free(tmp);
	fsync_dir_of(path);
	return EIA_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return eia_fail_errno(err, EIA_EINPUT, saved, "%s: cannot write", path);
}
