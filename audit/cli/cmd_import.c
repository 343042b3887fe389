#include "cli/commands.h"

eia_status cmd_import(int argc, char **argv, eia_error *err)
{
	(void)argc;
	(void)argv;
	return eia_fail(err, EIA_EINPUT, "import: not implemented yet");
}

