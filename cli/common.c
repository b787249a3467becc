/*
 * common.c: what git-pysec and pysec-net share: running a command from a
 * table, mapping core errors to exit codes, loading the policy, and
 * opening the repository.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

#define NET_PROGRAM "pysec-net"

int cli_fail(int error, const char *what)
{
	if (what)
		fprintf(stderr, "git pysec: %s: %s\n", what, pysec_error_last());
	else
		fprintf(stderr, "git pysec: %s\n", pysec_error_last());
	switch (error) {
	case PYSEC_EINVALID:
		return EXIT_USAGE;
	default:
		return EXIT_FAILED;
	}
}

const char *cli_system_config(void)
{
	const char *env = getenv("PYSEC_CONFIG");

	return env && *env ? env : PYSEC_SYSCONFDIR "/pysec.conf";
}

int cli_open_repository(git_repository **out)
{
	int rc = pysec_repository_open(out, NULL, GIT_REPOSITORY_OPEN_FROM_ENV);

	if (rc == PYSEC_ENOTFOUND)
		fprintf(stderr, "git pysec: not in a git repository (%s)\n", pysec_error_last());
	else if (rc < 0)
		fprintf(stderr, "git pysec: %s\n", pysec_error_last());
	return rc < 0 ? -1 : 0;
}

int cli_open_repository_if_any(git_repository **out)
{
	int rc = pysec_repository_open(out, ".", 0);

	if (rc == PYSEC_ENOTFOUND)
		*out = NULL;
	else if (rc < 0)
		fprintf(stderr, "git pysec: %s\n", pysec_error_last());
	return rc == PYSEC_ENOTFOUND ? 0 : rc;
}

int cli_config_local(pysec_config **out, git_repository *repo, const char *extra_file, const char *bandit_file,
	const char *const *flags)
{
	static const char *const defaults[] = { "pysec.failOn", PYSEC_DEFAULT_FAIL_ON,
		"pysec.minConfidence", PYSEC_DEFAULT_MIN_CONFIDENCE, NULL };
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	const char *workdir = repo ? git_repository_workdir(repo) : NULL;
	char *tree_file = workdir ? xasprintf("%s.pysec", workdir) : NULL;
	int rc;

	src.defaults = defaults;
	src.system_file = cli_system_config();
	src.repo = repo;
	/* outside a repository (scan --full), the .pysec of the current directory */
	src.tree_file = tree_file ? tree_file : repo ? NULL : ".pysec";
	src.extra_file = extra_file;
	src.command_line = 1;
	src.flags = flags;
	src.bandit_dir = workdir ? workdir : repo ? NULL : ".";
	src.bandit_file = bandit_file;
	if ((rc = pysec_config_load(out, &src)) < 0) {
		pysec_config_free(*out);
		*out = NULL;
	}
	free(tree_file);
	return rc;
}

/* Resolve "." and ".." in the absolute path `p`, in place ("/a/./b/../c" is "/a/c"). */
static void path_normalize(char *p)
{
	char *out = p, *s = p;

	while (*s) {
		char *e;
		size_t n;
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (n == 1 && s[0] == '.') {
			s = e;
			continue;
		}
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (out > p && *--out != '/')
				;
			s = e;
			continue;
		}
		*out++ = '/';
		memmove(out, s, n);
		out += n;
		s = e;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

char *cli_path_from_top(git_repository *repo, const char *operand)
{
	const char *top = repo ? git_repository_workdir(repo) : NULL;
	char cwd[PATH_MAX], *abs;
	size_t n;

	if (operand[0] == '/') {
		abs = strdup(operand);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		if (asprintf(&abs, "%s/%s", cwd, operand) < 0)
			abs = NULL;
	}
	if (!abs)
		return NULL;
	path_normalize(abs);
	n = top ? strlen(top) : 0;
	while (n > 1 && top[n - 1] == '/')
		n--;
	if (top && !strncmp(abs, top, n) && (abs[n] == '/' || !abs[n])) {
		char *rel = strdup(abs[n] && abs[n + 1] ? abs + n + 1 : ".");
		free(abs);
		return rel;
	}
	return abs;
}

void cli_help(const struct cli_cmd *cmds, size_t ncmds)
{
	size_t i;

	printf("usage: git pysec <command> [<args>]\n\n");
	for (i = 0; i < ncmds; i++)
		printf("  %-12s %s\n", cmds[i].name, cmds[i].summary);
	printf("\nExit codes: 0 clean, 1 findings at or above the threshold, 2 usage or\n"
	       "configuration error, 3 the scan failed.  `git pysec <command> -h` for options.\n");
}

static int net_missing(const char *name, const char *path, int error)
{
	fprintf(stderr, "git pysec: %s needs " NET_PROGRAM " next to git-pysec (%s): %s\n",
		name, path, strerror(error));
	return EXIT_FAILED;
}

/*
 * The directory of the running executable, with a '/' at the end, found
 * through /proc/self/exe, so that a build tree and an installation both
 * work.  -1 with errno when it cannot be known or does not fit `size` with
 * `room` bytes to spare.
 */
static int self_dir(char *out, size_t size, size_t room)
{
	ssize_t n = readlink("/proc/self/exe", out, size);
	char *slash;

	if (n < 0)
		return -1;
	if ((size_t)n >= size || !(slash = memrchr(out, '/', (size_t)n)) || (size_t)(slash + 1 - out) + room > size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slash[1] = '\0';
	return 0;
}

/*
 * Run `argv` (all of it, the program's name included) in pysec-net, found
 * in the directory of the running executable.  execv keeps the process id
 * (LISTEN_PID still names it), the open descriptors (systemd's sockets,
 * stdin, stdout, stderr) and the signals a caller ignores; this process has
 * installed no handler.  Returns only on failure.
 */
static int exec_net(const char *name, char **argv)
{
	char path[PATH_MAX];

	if (self_dir(path, sizeof(path), sizeof(NET_PROGRAM)) < 0)
		return net_missing(name, "/proc/self/exe", errno);
	memcpy(path + strlen(path), NET_PROGRAM, sizeof(NET_PROGRAM));
	execv(path, argv);
	return net_missing(name, path, errno);
}

/*
 * `git pysec <command> --help`: the command's manual page, opened the way
 * `git help` opens git's own: by running man(1), with MANPATH starting
 * with the pages of this installation (<bindir>/../share/man) and of a
 * build tree (<bindir>/man), then man's own search path (the empty entry
 * at the end).  Returns only on failure.
 */
static int show_manual(const char *name)
{
	char dir[PATH_MAX], page[64], *manpath;
	const char *old = getenv("MANPATH");

	snprintf(page, sizeof(page), "git-pysec-%s", name);
	if (self_dir(dir, sizeof(dir), 0) == 0 &&
	    asprintf(&manpath, "%s../share/man:%sman:%s", dir, dir, old ? old : "") >= 0) {
		setenv("MANPATH", manpath, 1);
		free(manpath);
	}
	execlp("man", "man", page, (char *)NULL);
	fprintf(stderr, "git pysec: cannot run 'man' for %s: %s; 'git pysec %s -h' prints the usage\n", page,
		strerror(errno), name);
	return EXIT_FAILED;
}

int cli_main(const struct cli_cmd *cmds, size_t ncmds, int argc, char **argv)
{
	const char *name;
	size_t i;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_help(cmds, ncmds);
		return argc < 2 ? EXIT_USAGE : EXIT_CLEAN;
	}
	name = strcmp(argv[1], "--version") ? argv[1] : "version";
	/* `git pysec help scan` is `git pysec scan --help`, as `git help log` is `git log --help` */
	if (!strcmp(name, "help") && argc == 3 && argv[2][0] != '-') {
		for (i = 0; i < ncmds; i++)
			if (!strcmp(cmds[i].name, argv[2]))
				return show_manual(argv[2]);
		fprintf(stderr, "git pysec: '%s' is not a command; see 'git pysec help'\n", argv[2]);
		return EXIT_USAGE;
	}
	for (i = 0; i < ncmds; i++) {
		if (strcmp(cmds[i].name, name))
			continue;
		if (argc == 3 && !strcmp(argv[2], "--help"))
			return show_manual(name);
		if (!cmds[i].fn)
			return exec_net(name, argv);
		cli_libgit2_init();
		rc = cmds[i].fn(argc - 1, argv + 1);
		git_libgit2_shutdown();
		return rc;
	}
	fprintf(stderr, "git pysec: '%s' is not a command; see 'git pysec help'\n", name);
	return EXIT_USAGE;
}

void cli_options_init(struct cli_options *o, const char *cmd, const struct cli_option *opts, size_t nopts,
	int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->opts = opts;
	o->nopts = nopts;
	o->argc = argc;
	o->argv = argv;
	o->next = 1;
	o->dashdash = -1;
	o->operands = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*o->operands));
	if (!o->operands) {
		fputs("git pysec: out of memory\n", stderr);
		abort();
	}
}

void cli_options_clear(struct cli_options *o)
{
	free(o->operands);
	o->operands = NULL;
}

/*
 * A flag nobody defines, yet whose name says it would carry a secret: say
 * where the token goes instead (its value, if any, is never printed).
 */
static void unknown_option(const struct cli_options *o, const char *name, size_t len)
{
	fprintf(stderr, "git pysec %s: unknown option '--%.*s'", o->cmd, (int)len, name);
	if (memmem(name, len, "token", 5) || memmem(name, len, "secret", 6) || memmem(name, len, "password", 8))
		fputs("; a token is never given on the command line: use --token-file FILE or $PYSEC_TOKEN", stderr);
	fputc('\n', stderr);
}

/* The option's value is the next argument ("--name VALUE", "-x VALUE"). */
static int take_value(struct cli_options *o, const char *flag)
{
	if (o->next >= o->argc) {
		fprintf(stderr, "git pysec %s: option '%s' needs a value\n", o->cmd, flag);
		return -1;
	}
	o->value = o->argv[o->next++];
	return 0;
}

static int short_option(struct cli_options *o)
{
	char flag[3] = { '-', *o->bundle++, '\0' };
	size_t i;

	for (i = 0; i < o->nopts; i++) {
		if (!o->opts[i].short_name || o->opts[i].short_name != flag[1])
			continue;
		if (!o->opts[i].takes_value)
			return o->opts[i].id;
		/* "-xVALUE" or "-x VALUE" */
		if (*o->bundle) {
			o->value = o->bundle;
			o->bundle = NULL;
		} else if (take_value(o, flag) < 0) {
			return -1;
		}
		return o->opts[i].id;
	}
	fprintf(stderr, "git pysec %s: unknown option '%s'\n", o->cmd,
		(unsigned char)flag[1] > ' ' && (unsigned char)flag[1] < 0x7f ? flag : "-?");
	return -1;
}

static int long_option(struct cli_options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg), i;

	for (i = 0; i < o->nopts; i++) {
		const struct cli_option *opt = &o->opts[i];
		if (!opt->name || strlen(opt->name) != len || strncmp(opt->name, arg, len))
			continue;
		if (!opt->takes_value) {
			if (eq) {
				fprintf(stderr, "git pysec %s: option '--%s' takes no value\n", o->cmd, opt->name);
				return -1;
			}
			return opt->id;
		}
		if (eq) {
			o->value = eq + 1;
			return opt->id;
		}
		return take_value(o, arg - 2) < 0 ? -1 : opt->id;
	}
	unknown_option(o, arg, len);
	return -1;
}

int cli_options_next(struct cli_options *o)
{
	o->value = NULL;
	if (o->bundle && *o->bundle)
		return short_option(o);
	o->bundle = NULL;
	while (o->next < o->argc) {
		char *arg = o->argv[o->next++];
		if (!strcmp(arg, "--")) {
			o->dashdash = o->noperands;
			while (o->next < o->argc)
				o->operands[o->noperands++] = o->argv[o->next++];
			return 0;
		}
		if (!strncmp(arg, "--", 2))
			return long_option(o, arg + 2);
		if (arg[0] == '-' && arg[1]) {
			o->bundle = arg + 1;
			return short_option(o);
		}
		o->operands[o->noperands++] = arg;
	}
	return 0;
}
