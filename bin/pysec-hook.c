/*
 * pysec-hook.c: the pre-receive hook's client for the daemon.
 *
 * `git pysec install` writes it into a server repository's hook when the
 * policy names a daemon (pysec.daemonSocket), with the daemon's settings
 * resolved and the stamp of the files they came from:
 *
 *   pysec-hook --socket=PATH --timeout=SECONDS [--user=UID] [--user-variable=NAME]
 *              [--share-quarantine] --stamp=STAMP /path/to/git-pysec
 *
 * It links only util/ and proto/ (statically where the build allows): no
 * libgit2, no rules, no dynamic loader, so a push through the daemon costs
 * the hook about what the request itself costs.  It sends the push exactly
 * as `git pysec pre-receive` does (pysec_proto.h) and relays the daemon's
 * verdict and lines.  The verdict never depends on it: whenever it cannot
 * be sure it would ask the daemon as git-pysec would (the settings' files
 * changed since install, `git -c` names pysec or an include, the repository
 * is not a plain one in $GIT_DIR), it executes `git-pysec pre-receive` with
 * the same ref lines; whenever the daemon does not judge the push (down,
 * busy, not the daemon's user, slow, a malformed answer, it cannot read the
 * push), it says why in one line, as git-pysec does, and executes
 * `git-pysec pre-receive --no-daemon`, which judges the push in its own
 * process.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pysec_proto.h"
#include "util.h"

extern char **environ;

/* as git-pysec reads them (cli_system_config(), CLI_STDIN_MAX) */
#define SYSTEM_CONFIG PYSEC_SYSCONFDIR "/pysec.conf"
#define STDIN_MAX (16 * 1024 * 1024)

struct settings {
	const char *socket, *user_variable, *stamp, *full;
	double timeout;
	long long uid;	/* -1: the repository's owner */
	int share_quarantine;
};

/* The value of "--name=VALUE" in `arg`, or NULL. */
static const char *option(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, "--", 2) && !strncmp(arg + 2, name, n) && arg[2 + n] == '=' ? arg + 3 + n : NULL;
}

/* 0, or -1 when the arguments are not the ones install writes (then only the path of git-pysec may be known). */
static int settings_parse(struct settings *s, int argc, char **argv)
{
	unsigned long long v;
	const char *a;
	char *end;
	int i;

	memset(s, 0, sizeof(*s));
	s->uid = -1;
	if (argc < 2 || argv[argc - 1][0] != '/')
		return -1;
	s->full = argv[argc - 1];
	for (i = 1; i < argc - 1; i++) {
		if ((a = option(argv[i], "socket")))
			s->socket = a;
		else if ((a = option(argv[i], "stamp")))
			s->stamp = a;
		else if ((a = option(argv[i], "user-variable")))
			s->user_variable = a;
		else if ((a = option(argv[i], "timeout"))) {
			s->timeout = strtod(a, &end);
			if (*end || end == a || !(s->timeout > 0 && s->timeout <= 3600))
				return -1;
		} else if ((a = option(argv[i], "user"))) {
			/* not util's parse_uint: text.c links libgit2 */
			errno = 0;
			v = strtoull(a, &end, 10);
			if (*a < '0' || *a > '9' || *end || errno || v >= (uid_t)-1)
				return -1;
			s->uid = (long long)v;
		} else if (!strcmp(argv[i], "--share-quarantine"))
			s->share_quarantine = 1;
		else
			return -1;
	}
	return s->socket && *s->socket && s->stamp && s->timeout > 0 ? 0 : -1;
}

/* Does `git -c` (GIT_CONFIG_PARAMETERS, GIT_CONFIG_KEY_<n>) say anything of pysec, or include a file? */
static int command_line_config(void)
{
	size_t i;

	for (i = 0; environ[i]; i++)
		if ((!strncmp(environ[i], "GIT_CONFIG_PARAMETERS=", 22) || !strncmp(environ[i], "GIT_CONFIG_KEY_", 15)) &&
		    (strcasestr(environ[i], "pysec") || strcasestr(environ[i], "include")))
			return 1;
	return 0;
}

/*
 * The repository as git-pysec would send it: $GIT_DIR resolved, a plain one
 * (no GIT_COMMON_DIR, no commondir file), its settings unchanged since
 * install.  -1 when git-pysec must decide.
 */
static int repository_resolve(char real[PATH_MAX], const struct settings *s)
{
	const char *dir = getenv("GIT_DIR"), *sys = getenv("PYSEC_CONFIG");
	struct buf stamp = BUF_INIT(1 << 16);
	char *commondir;
	int rc = -1;

	if (!dir || !*dir || getenv("GIT_COMMON_DIR") || !realpath(dir, real))
		return -1;
	commondir = xasprintf("%s/commondir", real);
	if (access(commondir, F_OK) < 0 && errno == ENOENT &&
	    proto_config_stamp(&stamp, sys && *sys ? sys : SYSTEM_CONFIG, real) == 0 &&
	    !strcmp(buf_cstr(&stamp), s->stamp) && !command_line_config())
		rc = 0;
	free(commondir);
	buf_free(&stamp);
	return rc;
}

/*
 * Run git-pysec's own hook on the same ref lines (in a memfd as its stdin).
 * Returns only when it cannot: the push is rejected then.
 */
static int run_full(const char *full, const struct buf *input, int no_daemon, const char *prefix)
{
	char *args[] = { (char *)full, "pre-receive", no_daemon ? "--no-daemon" : NULL, NULL };
	int fd = memfd_create("pysec-ref-lines", 0);
	size_t off = 0;

	while (fd >= 0 && off < input->len) {
		ssize_t n = write(fd, input->ptr + off, input->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			fd = -1;
			break;
		}
		off += (size_t)n;
	}
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO) {
		if (fd != STDIN_FILENO)
			close(fd);
		execv(full, args);
	}
	fprintf(stderr, "%spysec: error: cannot run %s: %s; push rejected\n", prefix, full, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct settings s;
	struct buf input = BUF_INIT(STDIN_MAX);
	const char *prefix = getenv("GL_PROTOCOL") ? "GL-HOOK-ERR: " : "";
	char real[PATH_MAX], **env = NULL;
	size_t nenv = 0, i;
	struct stat st;
	uid_t uid;
	int verdict;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (settings_parse(&s, argc, argv) < 0) {
		if (!s.full) {
			fprintf(stderr, "%spysec: error: usage: pysec-hook --socket=PATH --timeout=SECONDS --stamp=STAMP "
				"[options] /path/to/git-pysec (run git pysec install again); push rejected\n", prefix);
			return 1;
		}
		s.socket = NULL;	/* settings it cannot read: git-pysec reads its own */
	}
	if (fd_read_all(&input, STDIN_FILENO) < 0) {
		/* nothing to judge is not a clean push: fail closed, as git-pysec does */
		fprintf(stderr, "%spysec: error: cannot read the ref updates: %s; push rejected\n", prefix, strerror(errno));
		return 1;
	}
	if (!s.socket || repository_resolve(real, &s) < 0)
		return run_full(s.full, &input, 0, prefix);
	if (s.uid >= 0) {
		uid = (uid_t)s.uid;
	} else if (stat(real, &st) == 0) {
		uid = st.st_uid;
	} else {
		error_set(-1, "cannot tell who owns the repository: %s", strerror(errno));
		goto fallback;
	}
	if (uid != geteuid() && s.share_quarantine)
		proto_share_quarantine();
	for (i = 0; environ[i] && nenv < PROTO_MAX_ENV; i++) {
		if (!proto_env_wanted(environ[i], s.user_variable))
			continue;
		env = xrealloc(env, (nenv + 1) * sizeof(*env));
		env[nenv++] = environ[i];
	}
	if (proto_gate(s.socket, s.timeout, uid, real, env, nenv, buf_cstr(&input), input.len, stderr, &verdict) == 0) {
		free(env);
		buf_free(&input);
		return verdict;
	}
fallback:
	free(env);
	fprintf(stderr, "%spysec: note: the daemon at %s: %s; scanning here\n", prefix, s.socket, error_last());
	return run_full(s.full, &input, 1, prefix);
}
