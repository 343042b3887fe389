#include "cli/commands.h"

eia_status cmd_keygen(int argc, char **argv, eia_error *err)
{
	(void)argc;
	(void)argv;
	return eia_fail(err, EIA_EINPUT, "keygen: not implemented yet");
}

eia_status cmd_keyid(int argc, char **argv, eia_error *err)
{
	(void)argc;
	(void)argv;
	return eia_fail(err, EIA_EINPUT, "keyid: not implemented yet");
}

eia_status cmd_sign(int argc, char **argv, eia_error *err)
{
	(void)argc;
	(void)argv;
	return eia_fail(err, EIA_EINPUT, "sign: not implemented yet");
}

eia_status cmd_verify(int argc, char **argv, eia_error *err)
{
	(void)argc;
	(void)argv;
	return eia_fail(err, EIA_EINPUT, "verify: not implemented yet");
}

