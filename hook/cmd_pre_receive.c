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
 * first (pysec_proto.h): it runs the same gate with its rules compiled and
 * results warm.  If the daemon is down, busy, refuses, cannot read the
 * push, is slow (pysec.daemonTimeout, 5 seconds in all), or is not the
 * daemon at all (whatever listens there runs as another user than
 * pysec.daemonUser, by default the repository's owner, or root), the hook
 * says so in one line and runs the gate here: a missing daemon never lets
 * a push in unscanned.
 *
 * git runs this hook only in a repository it trusts (receive-pack refuses
 * one owned by another user unless safe.directory allows it), so libgit2's
 * own ownership check, which knows less of safe.directory than git ('*'),
 * is off here: git's decision stands.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pysec_cli.h"
#include "hook.h"
#include "pysec_hook.h"
#include "pysec_proto.h"
#include "util.h"

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
static int open_repository(git_repository **out, void *payload)
{
	git_repository **opened = payload;

	if (*opened) {
		*out = *opened;
		*opened = NULL;
		return 0;
	}
	return pysec_repository_open_hook(out);
}

/* core.sharedRepository gives the group read access: group, true, 1, all, world, everybody, 2, or 0xxx with g+r. */
static int shared_with_group(git_repository *repo)
{
	static const char *const words[] = { "group", "true", "1", "all", "world", "everybody", "2" };
	git_config *cfg = NULL;
	const char *v = NULL;
	size_t i;
	int shared = 0;

	if (git_repository_config_snapshot(&cfg, repo) < 0 || git_config_get_string(&v, cfg, "core.sharedRepository") < 0) {
		git_config_free(cfg);
		git_error_clear();
		return 0;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		shared |= !strcasecmp(v, words[i]);
	if (v[0] == '0' && strlen(v) > 1)
		shared = (strtoul(v, NULL, 8) & 0040) != 0;
	git_config_free(cfg);
	return shared;
}

/*
 * pysec.daemonUser (a name or a uid), else the owner of the repository; -1
 * when neither is known (error_last() says why).
 */
static int daemon_user(uid_t *out, const pysec_config *cfg, git_repository *repo)
{
	const char *name = pysec_config_get(cfg, "pysec.daemonUser", NULL);
	struct passwd *pw;
	struct stat st;
	char *end;

	if (name && *name) {
		unsigned long v = strtoul(name, &end, 10);
		if (!*end && end != name) {
			*out = (uid_t)v;
			return 0;
		}
		if ((pw = getpwnam(name))) {
			*out = pw->pw_uid;
			return 0;
		}
		return error_set(-1, "pysec.daemonUser: no user '%.100s'", name);
	}
	if (stat(git_repository_commondir(repo), &st) < 0)
		return error_set(-1, "cannot tell who owns the repository: %s", strerror(errno));
	*out = st.st_uid;
	return 0;
}

/* The server's policy, as the gate reads it before any pushed .pysec (with `git -c` when `command_line`). */
static int daemon_policy(pysec_config **cfg, git_repository *repo, int command_line)
{
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;

	src.system_file = cli_system_config();
	src.command_line = command_line;
	src.repo = repo;
	return pysec_config_load(cfg, &src);
}

/* pysec.daemonTimeout, 5 seconds when unset or out of (0, 3600] */
static double daemon_timeout(const pysec_config *cfg)
{
	double timeout = pysec_config_seconds(cfg, "pysec.daemonTimeout", 5.0);

	return timeout <= 0 || timeout > 3600 ? 5.0 : timeout;
}

/*
 * Send the push to the daemon the policy names, if it does.  Returns the
 * verdict (0 or 1), or -1 when the hook must judge the push itself.  The
 * repository it opens to read the policy is left in *repo_out (NULL when it
 * could not be opened), for the caller to pass on or free.
 */
static int through_daemon(git_repository **repo_out, const char *input, size_t len, const char *prefix)
{
	pysec_config *cfg = NULL;
	git_repository *repo = NULL;
	char real[PATH_MAX], **env = NULL;
	const char *sock;
	double timeout;
	size_t nenv = 0, i;
	uid_t uid = 0;	/* set by daemon_user() before any use */
	int verdict = -1;

	if (pysec_repository_open_hook(&repo) < 0 || daemon_policy(&cfg, repo, 1) < 0)
		goto done;	/* the gate will say what is wrong */
	if (!(sock = pysec_config_get(cfg, "pysec.daemonSocket", NULL)) || !*sock)
		goto done;
	timeout = daemon_timeout(cfg);
	if (!realpath(git_repository_commondir(repo), real)) {
		error_set(-1, "cannot resolve the repository's path");
		goto fallback;
	}
	if (daemon_user(&uid, cfg, repo) < 0)
		goto fallback;
	if (uid != geteuid() && shared_with_group(repo))
		proto_share_quarantine();
	for (i = 0; environ[i] && nenv < PROTO_MAX_ENV; i++) {
		char **grown;
		if (!proto_env_wanted(environ[i], pysec_config_get(cfg, "pysec.userVariable", NULL)))
			continue;
		if (!(grown = realloc(env, (nenv + 1) * sizeof(*env))))
			break;
		env = grown;
		env[nenv++] = environ[i];
	}
	if (proto_gate(sock, timeout, uid, real, env, nenv, input, len, stderr, &verdict) == 0)
		goto done;
fallback:
	verdict = -1;
	fprintf(stderr, "%spysec: note: the daemon at %s: %s; scanning here\n", prefix, sock, error_last());
done:
	free(env);
	pysec_config_free(cfg);
	*repo_out = repo;
	return verdict;
}

/* Append " --name='value'" to `b`; 1 when the value cannot be put between single quotes. */
static int put_arg(struct buf *b, const char *name, const char *value)
{
	if (strchr(value, '\'') || strchr(value, '\n'))
		return 1;
	return buf_printf(b, " --%s='%s'", name, value) < 0 ? -1 : 0;
}

int pre_receive_client_args(struct buf *args, const char *path)
{
	pysec_config *cfg = NULL;
	git_repository *repo = NULL;
	struct buf stamp = BUF_INIT(1 << 16);
	char real[PATH_MAX], num[64];
	const char *sock, *var;
	uid_t uid;
	int rc = 1;

	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);	/* as the hook opens it */
	if (pysec_repository_open(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH) < 0 || daemon_policy(&cfg, repo, 0) < 0 ||
	    !(sock = pysec_config_get(cfg, "pysec.daemonSocket", NULL)) || !*sock ||
	    !realpath(git_repository_commondir(repo), real))
		goto done;
	/* a daemonUser that names no user: git-pysec says so on every push */
	if (pysec_config_get(cfg, "pysec.daemonUser", NULL) && daemon_user(&uid, cfg, repo) < 0)
		goto done;
	if (proto_config_stamp(&stamp, cli_system_config(), real) < 0)
		goto done;
	snprintf(num, sizeof(num), "%.3f", daemon_timeout(cfg));
	if ((rc = put_arg(args, "socket", sock)) || (rc = put_arg(args, "timeout", num)))
		goto done;
	if (pysec_config_get(cfg, "pysec.daemonUser", NULL)) {
		snprintf(num, sizeof(num), "%u", (unsigned)uid);
		if ((rc = put_arg(args, "user", num)))
			goto done;
	}
	if ((var = pysec_config_get(cfg, "pysec.userVariable", NULL)) && *var && (rc = put_arg(args, "user-variable", var)))
		goto done;
	if (shared_with_group(repo) && (rc = buf_puts(args, " --share-quarantine")))
		goto done;
	rc = put_arg(args, "stamp", buf_cstr(&stamp));
done:
	buf_free(&stamp);
	pysec_config_free(cfg);
	git_repository_free(repo);
	git_error_clear();
	return rc;
}

int cmd_pre_receive(int argc, char **argv)
{
	pysec_gate_options opts = PYSEC_GATE_OPTIONS_INIT;
	git_repository *repo = NULL;
	struct buf input = BUF_INIT(CLI_STDIN_MAX);
	int rc, no_daemon;

	setvbuf(stderr, NULL, _IOLBF, 0);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);	/* git's decision stands (see above) */
	/* --no-daemon: the hook client (pysec-hook) asked the daemon already, and said why it did not answer */
	no_daemon = argc == 2 && !strcmp(argv[1], "--no-daemon");
	if (argc > 1 && !no_daemon) {
		int help = argc == 2 && !strcmp(argv[1], "-h");
		fputs("usage: git pysec pre-receive [--no-daemon] < <old> <new> <ref> lines\n", help ? stdout : stderr);
		return help ? EXIT_CLEAN : EXIT_USAGE;
	}
	if (fd_read_all(&input, STDIN_FILENO) < 0) {
		/* nothing to judge is not a clean push: fail closed */
		fprintf(stderr, "%spysec: error: cannot read the ref updates: %s; push rejected\n",
			getenv("GL_PROTOCOL") ? "GL-HOOK-ERR: " : "", strerror(errno));
		return EXIT_FINDINGS;
	}
	if (!no_daemon &&
	    (rc = through_daemon(&repo, buf_cstr(&input), input.len, getenv("GL_PROTOCOL") ? "GL-HOOK-ERR: " : "")) >= 0)
		goto done;
	opts.getenv = process_env;
	opts.open_repository = open_repository;
	opts.payload = &repo;
	opts.system_config = cli_system_config();
	rc = pysec_gate_run(buf_cstr(&input), input.len, &opts, stderr);
done:
	git_repository_free(repo);	/* NULL once the gate took it; a push that only deletes does not */
	buf_free(&input);
	return rc;
}
