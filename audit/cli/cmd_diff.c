#include "cli/commands.h"

eia_status cmd_diff(int argc, char **argv, eia_error *err)
{
	(void)argc;
	(void)argv;
	return eia_fail(err, EIA_EINPUT, "diff: not implemented yet");
}

