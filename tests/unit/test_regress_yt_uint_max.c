/* test_regress_yt_uint_max.c - found while fixing yaml_tree.c for the fuzzers:
 * yt_uint's overflow test computed (max - d) / 10 in unsigned arithmetic, so
 * with a small max a single digit above it wrapped around and was accepted
 * ("eia-state: 5" read as 5 with max 1). Values above max must be refused. */
#include <string.h>

#include "check.h"
#include "util/yaml_tree.h"

static int read_uint(const char *text, uint64_t max, uint64_t *v)
{
	yt_node *root = NULL;
	eia_error err;
	eia_status st;

	eia_error_clear(&err);
	if (yt_parse("u.yaml", (const unsigned char *)text, strlen(text), &root, &err) != EIA_OK)
		return -1;
	st = yt_uint("u.yaml", yt_get(root, "v"), "v", max, v, &err);
	yt_free(root);
	return st == EIA_OK ? 0 : 1;
}

int main(void)
{
	uint64_t v = 99;

	CHECK(read_uint("v: 1\n", 1, &v) == 0 && v == 1);
	CHECK(read_uint("v: 0\n", 1, &v) == 0 && v == 0);
	CHECK(read_uint("v: 5\n", 1, &v) == 1);
	CHECK(read_uint("v: 2\n", 1, &v) == 1);
	CHECK(read_uint("v: 10\n", 1, &v) == 1);
	CHECK(read_uint("v: 9\n", 0, &v) == 1);
	CHECK(read_uint("v: 1000\n", 1000, &v) == 0 && v == 1000);
	CHECK(read_uint("v: 1001\n", 1000, &v) == 1);
	CHECK(read_uint("v: 18446744073709551615\n", UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	CHECK(read_uint("v: 18446744073709551616\n", UINT64_MAX, &v) == 1);
	return check_done();
}
