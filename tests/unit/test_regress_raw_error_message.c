/* test_regress_raw_error_message.c - found by fuzz_sigfile and fuzz_trust:
 * parse errors quoted input text raw, so a key, algorithm, role or time
 * holding a tab, newline or ESC sequence (YAML escapes "\t", "\n", "\e" make
 * them easy) produced an error that is not the one line SPEC.md promises and
 * could drive the operator's terminal. Fixed twice over: eia_fail escapes
 * control bytes in every message (error.c), and yaml_tree.c shows keys
 * escaped and cut to a readable length. Every message here must be one line
 * without control characters. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/sigfile.h"
#include "model/trust.h"

#define KEY "b668d41392b472580e3bda19a62ea2251af042b5cc7602a588f9da7ce7593c5f"
#define PUB                                                                    \
	"    public-key: |\n"                                                  \
	"      -----BEGIN PUBLIC KEY-----\n"                                   \
	"      MCowBQYDK2VwAyEAtK+y1/ahr159rnJ5VE57BlScXkU4evwdxfGY8Fke5Uo=\n" \
	"      -----END PUBLIC KEY-----\n"
#define TRUST_HEAD                                                             \
	"eia-trust: 1\nname: t\nthresholds: {baseline: 1, report: 1}\nkeys:\n" \
	"  - id: " KEY "\n    name: n\n"

static int one_clean_line(const char *msg)
{
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return msg[0] != '\0';
}

static void sig_case(const char *text)
{
	sigfile s;
	eia_error err;

	eia_error_clear(&err);
	CHECK(sigfile_parse("x.sig", (const unsigned char *)text, strlen(text), &s, &err) ==
	      EIA_EINPUT);
	CHECK(one_clean_line(err.msg));
	if (!one_clean_line(err.msg))
		fprintf(stderr, "  message: %s\n", err.msg);
	sigfile_free(&s);
}

static void trust_case(const char *text)
{
	trust_store t;
	eia_error err;

	eia_error_clear(&err);
	CHECK(trust_parse("t.yaml", (const unsigned char *)text, strlen(text), &t, &err) ==
	      EIA_EINPUT);
	CHECK(one_clean_line(err.msg));
	if (!one_clean_line(err.msg))
		fprintf(stderr, "  message: %s\n", err.msg);
	trust_free(&t);
}

int main(void)
{
	/* yaml_tree.c yt_check_keys: the fuzzer's input, "ei<TAB>a-siure: ..." */
	sig_case("ei\ta-siure: sd$1392b472580e3bf9da7ce759");
	sig_case("\"eia-\\e[31msignatures\": 1\n");
	/* yaml_tree.c check_map: a duplicate key with a newline in it */
	sig_case("\"a\\nb\": 1\n\"a\\nb\": 2\n");
	/* sigfile.c parse_entry: unknown algorithm */
	sig_case("eia-signatures: 1\nsignatures:\n  - {key: " KEY
		 ", algorithm: \"ed\\e[31m25519\", signature: \"AAEC/w==\"}\n");
	/* trust.c parse_roles: unknown role */
	trust_case(TRUST_HEAD "    roles: [\"base\\tline\"]\n" PUB);
	/* trust.c parse_time: not an RFC 3339 time */
	trust_case(TRUST_HEAD "    roles: [baseline]\n    not-after: \"2027\\n-01-01\"\n" PUB);
	return check_done();
}
