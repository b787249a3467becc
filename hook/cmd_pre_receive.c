/*
 * cmd_pre_receive.c: `git pysec pre-receive`, the gate on the server.
 *
 * git runs it with one "<old> <new> <ref>" line per ref on stdin and shows
 * what it writes to stderr to the pusher as `remote:` lines; exit 0 lets
 * the push in, anything else rejects it.  Everything goes to stderr, line
 * buffered (stdout is block-buffered into a pipe and would interleave
 * badly).  The gate itself is the core's pysec_gate_run().
 *
 * When the policy names a daemon (pysec.daemonSocket), the push goes to it
 * first (daemon/proto.h): it runs the same gate with its rules compiled and
 * results warm.  If the daemon is down, busy, refuses or is slow
 * (pysec.daemonTimeout, 5 seconds in all), the hook says so in one line and
 * runs the gate here: a missing daemon never lets a push in unscanned.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "proto.h"

extern char **environ;

static const char *process_env(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

/*
 * The gate's repository: the one through_daemon() opened (payload), handed
 * over with its ownership, so that a push opens it once; else opened here,
 * which is also how a failure to open it reaches the pusher (the gate
 * reports it through pysec.onError).
 */
static int open_once(git_repository **out, void *payload)
{
	git_repository **opened = payload;

	if (*opened) {
		*out = *opened;
		*opened = NULL;
		return 0;
	}
	return pysec_repository_open_hook(out);
}

/* What the gate reads from the environment: the pusher, push options, GitLab, the quarantine. */
static int wanted_env(const char *entry, const char *user_var)
{
	static const char *const prefixes[] = { "GL_", "GITEA_", "GITHUB_", "GIT_PUSH_OPTION_",
		"GIT_QUARANTINE_PATH=", "GIT_OBJECT_DIRECTORY=" };
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(entry, prefixes[i], strlen(prefixes[i])))
			return 1;
	n = user_var ? strlen(user_var) : 0;
	return n && !strncmp(entry, user_var, n) && entry[n] == '=';
}

/*
 * Send the push to the daemon the policy names, if it does.  Returns the
 * verdict (0 or 1), or -1 when the hook must judge the push itself.  The
 * repository it opens to read the policy is left in *repo_out (NULL when it
 * could not be opened), for the caller to pass on or free.
 */
static int through_daemon(git_repository **repo_out, const char *input, size_t len, const char *prefix)
{
	const char *sys = cli_system_config(), *sock, *timeout_s;
	pysec_config *cfg = NULL;
	git_repository *repo = NULL;
	char real[PATH_MAX], why[512], **env = NULL;
	double timeout = 5.0;
	size_t nenv = 0, i;
	int verdict = -1;

	pysec_config_new(&cfg);
	if ((access(sys, F_OK) == 0 && pysec_config_add_file(cfg, sys, PYSEC_CONFIG_NORMAL) < 0) ||
	    pysec_repository_open_hook(&repo) < 0 || pysec_config_add_repository(cfg, repo) < 0)
		goto done;	/* the gate will say what is wrong */
	if (!(sock = pysec_config_get(cfg, "pysec.daemonSocket", NULL)) || !*sock)
		goto done;
	if ((timeout_s = pysec_config_get(cfg, "pysec.daemonTimeout", NULL)) != NULL) {
		char *end;
		double t = strtod(timeout_s, &end);
		if (end != timeout_s && !*end && t > 0 && t <= 3600)
			timeout = t;
	}
	if (!realpath(git_repository_commondir(repo), real)) {
		snprintf(why, sizeof(why), "cannot resolve the repository's path");
		goto fallback;
	}
	for (i = 0; environ[i] && nenv < PROTO_MAX_ENV; i++) {
		char **grown;
		if (!wanted_env(environ[i], pysec_config_get(cfg, "pysec.userVariable", NULL)))
			continue;
		if (!(grown = realloc(env, (nenv + 1) * sizeof(*env))))
			break;
		env = grown;
		env[nenv++] = environ[i];
	}
	if (proto_gate(sock, timeout, real, env, nenv, input, len, stderr, &verdict, why, sizeof(why)) == 0)
		goto done;
fallback:
	verdict = -1;
	fprintf(stderr, "%spysec: note: the daemon at %s: %s; scanning here\n", prefix, sock, why);
done:
	free(env);
	pysec_config_free(cfg);
	*repo_out = repo;
	return verdict;
}

int cmd_pre_receive(int argc, char **argv)
{
	pysec_gate_options opts = PYSEC_GATE_OPTIONS_INIT;
	git_repository *repo = NULL;
	char *input = NULL;
	size_t len = 0;
	int rc;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc > 1) {
		int help = argc == 2 && !strcmp(argv[1], "-h");
		fputs("usage: git pysec pre-receive < <old> <new> <ref> lines\n", help ? stdout : stderr);
		return help ? EXIT_CLEAN : EXIT_USAGE;
	}
	if (cli_read_stdin(&input, &len) < 0) {
		/* nothing to judge is not a clean push: fail closed */
		fprintf(stderr, "%spysec: error: cannot read the ref updates: %s; push rejected\n",
			getenv("GL_PROTOCOL") ? "GL-HOOK-ERR: " : "", strerror(errno));
		return EXIT_FINDINGS;
	}
	if ((rc = through_daemon(&repo, input, len, getenv("GL_PROTOCOL") ? "GL-HOOK-ERR: " : "")) >= 0)
		goto done;
	opts.getenv = process_env;
	opts.open_repository = open_once;
	opts.payload = &repo;
	opts.system_config = cli_system_config();
	rc = pysec_gate_run(input, len, &opts, stderr);
done:
	git_repository_free(repo);	/* NULL once the gate took it; a push that only deletes does not */
	free(input);
	return rc;
}
