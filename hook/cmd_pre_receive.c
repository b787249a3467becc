/*
 * cmd_pre_receive.c: `git pysec pre-receive`, the gate on the server.
 *
 * git runs it with one "<old> <new> <ref>" line per ref on stdin and shows
 * what it writes to stderr to the pusher as `remote:` lines; exit 0 lets
 * the push in, anything else rejects it.  Everything goes to stderr, line
 * buffered (stdout is block-buffered into a pipe and would interleave
 * badly).  The gate itself is the core's pysec_gate_run().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define STDIN_MAX (16 * 1024 * 1024)

static int read_stdin(char **out, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		size_t got;
		if (n == cap) {
			char *grown;
			if (cap >= STDIN_MAX) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				return -1;
			}
			buf = grown;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(stdin)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

static const char *process_env(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

static int open_from_env(git_repository **out, void *payload)
{
	(void)payload;
	return pysec_repository_open_hook(out);
}

int cmd_pre_receive(int argc, char **argv)
{
	pysec_gate_options opts = PYSEC_GATE_OPTIONS_INIT;
	char *input = NULL;
	size_t len = 0;
	int rc;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc > 1) {
		fprintf(stderr, "usage: git pysec pre-receive < <old> <new> <ref> lines\n");
		return EXIT_USAGE;
	}
	if (read_stdin(&input, &len) < 0) {
		/* nothing to judge is not a clean push: fail closed */
		fprintf(stderr, "%spysec: error: cannot read the ref updates: %s; push rejected\n",
			getenv("GL_PROTOCOL") ? "GL-HOOK-ERR: " : "", strerror(errno));
		return EXIT_FINDINGS;
	}
	opts.getenv = process_env;
	opts.open_repository = open_from_env;
	opts.system_config = cli_system_config();
	rc = pysec_gate_run(input, len, &opts, stderr);
	free(input);
	return rc;
}
