/* test_regress_box_cab_read_after_fatal.c - found by fuzz_archive: a CAB
 * whose second folder's first data block has a bad checksum, holding a
 * member that declares 640 MiB (so the box follows it from the stream, not
 * from memory), killed the archive box with SIGSEGV. In nested_from_stream
 * (archive_box.c) the nested reader's first read of the member got
 * ARCHIVE_FATAL ("Invalid CFDATA") from the outer reader; the box then called
 * archive_read_data on the outer reader again (pull_data), and libarchive
 * 3.6.2's cab reader dereferences NULL. The parent contained it (finding
 * "malformed: archive reader crashed (signal 11)"); the box now never reads
 * from a reader after ARCHIVE_FATAL (outer_fatal) and must exit normally
 * with a malformed end record. Runs archive_box_main in a child with the
 * CAB on fd 0. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "scan/archive.h"
#include "scan/archive_proto.h"
#include "util/buf.h"

/* Folder 0: member "a" (20 bytes, stored); folder 1: member "b" declaring
 * 0x28000000 bytes, its first CFDATA block with checksum 0xdeadbeef. */
static const unsigned char cab[] = {
	0x4d, 0x53, 0x43, 0x46, 0x00, 0x00, 0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x00, 0x02, 0x00,
	0x00, 0x00, 0x34, 0x12, 0x00, 0x00, 0x58, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x74,
	0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc4, 0x21, 0x00, 0x80, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0xc4, 0x21, 0x00, 0x80, 0x00, 0x00, 0x62, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x14, 0x00, 0x14, 0x00, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0xef, 0xbe, 0xad, 0xde,
	0x08, 0x00, 0x08, 0x00, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38};

/* Runs the box on `in` (fd 0) with default limits; collects its stream. */
static int run_box(int in, buf *stream)
{
	char *argv[] = {"__archive-box", "1",	       "4",  "200000", "17179869184",
			"1000",		 "1073741824", "60", "132",    NULL};
	unsigned char tmp[4096];
	int pfd[2], status = -1;
	pid_t pid;
	ssize_t n;

	if (pipe(pfd) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in, 0);
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		_exit(archive_box_main(9, argv));
	}
	close(pfd[1]);
	while ((n = read(pfd[0], tmp, sizeof(tmp))) > 0)
		buf_add(stream, tmp, (size_t)n);
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return status;
}

int main(void)
{
	FILE *f = tmpfile();
	member_list list;
	buf stream;
	int status;

	CHECK(f != NULL);
	if (f == NULL)
		return check_done();
	CHECK(fwrite(cab, 1, sizeof(cab), f) == sizeof(cab));
	fflush(f);
	rewind(f);
	buf_init(&stream);
	status = run_box(fileno(f), &stream);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFSIGNALED(status))
		fprintf(stderr, "  the box died of signal %d\n", WTERMSIG(status));
	CHECK(proto_decode(stream.data, stream.len, &list) == 0);
	CHECK(list.status == FK_MALFORMED);
	CHECK(list.n == 1 && list.v[0].path_len == 1 && list.v[0].path[0] == 'a');
	member_list_free(&list);
	buf_free(&stream);
	fclose(f);
	return check_done();
}
