/*
 * pysec-net.c: pysec-net, the commands that need the network libraries
 * (libcurl, libmicrohttpd, SQLite, libcrypto, libsystemd): `review` and `serve`.
 * git-pysec executes it, next to itself, with its own command line, so
 * `git pysec review` and `git pysec serve` work as if built in.
 */
#include "pysec_cli.h"

static const struct cli_cmd commands[] = {
	{ "review", cmd_review, CLI_REVIEW_SUMMARY },
	{ "serve", cmd_serve, CLI_SERVE_SUMMARY },
};

int main(int argc, char **argv)
{
	return cli_main(commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
