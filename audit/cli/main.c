/* main.c - sets up, dispatches to one command, maps its status to the exit
 * code of SPEC.md and prints the one error line. Nothing else exits. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "scan/archive.h"

static const struct command {
	const char *name;
	command_fn fn;
	const char *summary;
} commands[] = {
	{"audit", cmd_audit, "check a tree against signed manifests"},
	{"baseline", cmd_baseline, "derive a canonical manifest from a tree"},
	{"diff", cmd_diff, "show what changed between two manifests"},
	{"import", cmd_import, "turn a sha256sum list or mtree spec into a manifest"},
	{"keygen", cmd_keygen, "generate a signing key pair"},
	{"keyid", cmd_keyid, "print the key id of a public key"},
	{"render", cmd_render, "render a JSON report as text, HTML, JUnit or SARIF"},
	{"sign", cmd_sign, "add a signature to FILE.sig"},
	{"verify", cmd_verify, "check the signatures on a manifest or report"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: eia COMMAND [OPTIONS]\n"
		"       eia --help | --version | COMMAND --help\n\n"
		"eia checks that election software and firmware are exactly what was\n"
		"certified and signed, and says precisely what differs.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nexit codes: 0 ok/pass, 1 drift or differences, 2 usage/input/I-O "
		     "error, 3 trust failure\n");
}

int main(int argc, char **argv)
{
	eia_error err;
	eia_status st;

	eia_error_clear(&err);
	/* past a file-size limit, write() must fail (exit 2), not kill us */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EIA_EINPUT;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EIA_OK;
	}
	if (strcmp(argv[1], "__archive-box") == 0) /* the archive box's child */
		return archive_box_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0) {
		printf("eia %s\n", EIA_VERSION);
		return EIA_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		st = commands[i].fn(argc - 1, argv + 1, &err);
		if (st == EIA_EINPUT || st == EIA_ETRUST) {
			fflush(stdout);
			fprintf(stderr, "eia: %s\n", err.msg[0] ? err.msg : "failed");
		}
		return (int)st;
	}
	fprintf(stderr, "eia: unknown command '%s' (see 'eia --help')\n", argv[1]);
	return EIA_EINPUT;
}
