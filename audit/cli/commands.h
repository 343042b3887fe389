/* commands.h - one entry point per eia command (cmd_*.c).
 *
 * Each command parses its own options (getopt_long over one table), does its
 * work through the library, prints its normal output on stdout, and returns
 * a status with err filled on failure. Only main prints errors and exits. */
#ifndef EIA_COMMANDS_H
#define EIA_COMMANDS_H

#include "util/error.h"

typedef eia_status (*command_fn)(int argc, char **argv, eia_error *err);

eia_status cmd_keygen(int argc, char **argv, eia_error *err);
eia_status cmd_keyid(int argc, char **argv, eia_error *err);
eia_status cmd_sign(int argc, char **argv, eia_error *err);
eia_status cmd_verify(int argc, char **argv, eia_error *err);
eia_status cmd_baseline(int argc, char **argv, eia_error *err);
eia_status cmd_import(int argc, char **argv, eia_error *err);
eia_status cmd_audit(int argc, char **argv, eia_error *err);
eia_status cmd_diff(int argc, char **argv, eia_error *err);
eia_status cmd_render(int argc, char **argv, eia_error *err);

/* Shared option helpers (cli_util.c). */
/* Parses a decimal uint64 in [min, max] for option `opt`. */
eia_status cli_uint(const char *opt, const char *s, unsigned long long min,
		    unsigned long long max, unsigned long long *out, eia_error *err);
/* Usage error: "COMMAND: why (see 'eia COMMAND --help')". */
eia_status cli_usage(eia_error *err, const char *command, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
