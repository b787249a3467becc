/*
 * cmd_install.c: `git pysec install`: put the pre-receive hook where the
 * hosting software runs it, or the pre-commit or pre-push hook into a
 * developer's clone, with its execute bit checked (git skips a hook without
 * one silently, and the push is accepted unscanned).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hook.h"
#include "pysec_cli.h"
#include "pysec_hook.h"
#include "util.h"

static const char usage[] =
	"usage: git pysec install [--force] <bare-repository>            hooks/pre-receive\n"
	"   or: git pysec install --gitea [--force] <repository>         hooks/pre-receive.d/pysec\n"
	"   or: git pysec install --gitlab [--force] <repository>        custom_hooks/pre-receive.d/pysec\n"
	"   or: git pysec install --global [--force] <hooks-directory>   <dir>/pre-receive.d/pysec\n"
	"   or: git pysec install --pre-commit [--force] [<clone>]       its pre-commit hook: scan what is staged\n"
	"   or: git pysec install --pre-push [--force] [<clone>]         its pre-push hook: scan what a push sends\n"
	"\n"
	"A clone's hooks go where git runs them (core.hooksPath, else .git/hooks);\n"
	"<clone> defaults to the repository of the current directory.  An existing\n"
	"hook that is not pysec's is never replaced without --force.\n";

#define HOOK_HEADER "#!/bin/sh\n# installed by git pysec install\n"

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/* The hook at `path`, or NULL when there is none. */
static char *read_small(const char *path)
{
	struct buf b = BUF_INIT(65536);
	int err;

	if (file_read(&b, path, 0) < 0) {
		err = errno;
		buf_free(&b);
		/* larger than any hook pysec writes: someone else's, whatever it holds */
		return err == EFBIG ? xstrdup("a hook larger than 64 KiB") : NULL;
	}
	return buf_detach(&b);
}

/*
 * Where git runs a clone's hooks: core.hooksPath (relative to the top of
 * the working tree, or to the repository when bare), else its hooks/.
 */
static int clone_hooks_dir(char *out, size_t size, const char *target)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf path = { 0 };
	int rc = -1;

	if (git_repository_open_ext(&repo, target ? target : ".", 0, NULL) < 0) {
		const git_error *e = git_error_last();
		fprintf(stderr, "git pysec: install: '%s' is not a git repository (%s)\n", target ? target : ".",
			e ? e->message : "?");
		return -1;
	}
	if (git_repository_config_snapshot(&cfg, repo) == 0 && git_config_get_path(&path, cfg, "core.hooksPath") == 0) {
		if (path.ptr[0] == '/')
			snprintf(out, size, "%s", path.ptr);
		else
			snprintf(out, size, "%s%s", git_repository_workdir(repo) ? git_repository_workdir(repo)
				: git_repository_path(repo), path.ptr);
	} else {
		snprintf(out, size, "%shooks", git_repository_commondir(repo));
	}
	rc = 0;
	git_buf_dispose(&path);
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

/*
 * A server repository's pre-receive hook.  When its policy names a daemon,
 * the client pysec-hook installed next to git-pysec (`self`), with the
 * daemon's settings as they are now (pre_receive_client_args): it asks
 * the daemon without loading libgit2 or the rules, and executes git-pysec
 * whenever it cannot (README.md, "The hook client").  Else git-pysec.
 */
static char *server_hook(const char *self, const char *repo)
{
	struct buf args = BUF_INIT(1 << 17);
	char *client = NULL, *script;
	const char *slash = strrchr(self, '/');

	if (repo && slash) {
		client = xasprintf("%.*s/pysec-hook", (int)(slash - self), self);
		if (access(client, X_OK) < 0 || pre_receive_client_args(&args, repo) != 0) {
			free(client);
			client = NULL;
		}
	}
	if (client)
		script = xasprintf(HOOK_HEADER "# the daemon's settings as they were at install: "
			"run git pysec install again after changing them\n"
			"exec '%s'%s '%s'\n", client, buf_cstr(&args), self);
	else
		script = xasprintf(HOOK_HEADER "exec '%s' pre-receive\n", self);
	free(client);
	buf_free(&args);
	return script;
}

enum { OPT_FORCE = 1, OPT_GITEA, OPT_GITLAB, OPT_GLOBAL, OPT_PRE_COMMIT, OPT_PRE_PUSH, OPT_HELP };

static const struct cli_option options[] = {
	{ "force", 0, 0, OPT_FORCE },
	{ "gitea", 0, 0, OPT_GITEA },
	{ "gitlab", 0, 0, OPT_GITLAB },
	{ "global", 0, 0, OPT_GLOBAL },
	{ "pre-commit", 0, 0, OPT_PRE_COMMIT },
	{ "pre-push", 0, 0, OPT_PRE_PUSH },
	{ "help", 'h', 0, OPT_HELP },
};

/* Is `path` a repository with a working tree (a developer's clone, where git runs no pre-receive hook)? */
static int has_working_tree(const char *path)
{
	git_repository *repo = NULL;
	int clone = git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 &&
		!git_repository_is_bare(repo);

	git_repository_free(repo);
	return clone;
}

/* Write `script` as the hook at `path` in `dir`, unless another hook is there (without `force`). */
static int hook_write(const char *dir, const char *hook, const char *script, int force)
{
	char *existing;
	int fd;
	struct stat st;

	existing = read_small(hook);
	/* a hook pysec wrote, for another path of git-pysec, is replaced without --force */
	if (existing && !strncmp(existing, script, strlen(HOOK_HEADER)))
		existing[0] = '\0';
	if (existing && *existing && strcmp(existing, script) && !force) {
		fprintf(stderr, "git pysec: install: %s exists and is not pysec's; not overwriting it "
			"(chain it from there, or use --force to replace it)\n", hook);
		free(existing);
		return EXIT_FAILED;
	}
	if (existing && *existing && strcmp(existing, script))
		fprintf(stderr, "git pysec: install: replacing the existing %s (--force)\n", hook);
	free(existing);
	if (mkdir_p(dir) < 0) {
		fprintf(stderr, "git pysec: install: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_FAILED;
	}
	fd = open(hook, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0755);
	if (fd < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script) || fchmod(fd, 0755) < 0 ||
	    close(fd) < 0) {
		fprintf(stderr, "git pysec: install: cannot write %s: %s\n", hook, strerror(errno));
		return EXIT_FAILED;
	}
	/* git skips a hook it cannot execute without a word: check, do not assume */
	if (stat(hook, &st) < 0 || !(st.st_mode & S_IXUSR) || access(hook, X_OK) < 0) {
		fprintf(stderr, "git pysec: install: %s is not executable here (a noexec mount?); "
			"git would skip it without a word\n", hook);
		return EXIT_FAILED;
	}
	printf("installed %s\n", hook);
	return EXIT_CLEAN;
}

int cmd_install(int argc, char **argv)
{
	struct cli_options o;
	const char *layout = "bare", *target = NULL, *name, *command;
	char self[PATH_MAX], dir[PATH_MAX], hook[PATH_MAX + 32], *script;
	int force = 0, help = 0, id, in_clone, rc;
	ssize_t n;
	struct stat st;

	cli_options_init(&o, "install", options, ARRAY_SIZE(options), argc, argv);
	while ((id = cli_options_next(&o)) > 0) {
		if (id == OPT_FORCE)
			force = 1;
		else if (id == OPT_HELP)
			help = 1;
		else
			layout = options[id - 1].name;	/* the layout is the option's name */
	}
	target = id == 0 && o.noperands == 1 ? o.operands[0] : NULL;
	in_clone = !strcmp(layout, "pre-commit") || !strcmp(layout, "pre-push");
	if (help) {
		cli_options_clear(&o);
		fputs(usage, stdout);
		return EXIT_CLEAN;
	}
	if (id < 0 || o.noperands > 1 || (!target && !in_clone)) {
		cli_options_clear(&o);
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cli_options_clear(&o);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "git pysec: install: cannot find my own path\n");
		return EXIT_FAILED;
	}
	self[n] = '\0';
	if (strchr(self, '\'')) {
		fprintf(stderr, "git pysec: install: my path has a quote in it: %s\n", self);
		return EXIT_FAILED;
	}
	if (in_clone) {
		if (clone_hooks_dir(dir, sizeof(dir), target) < 0)
			return EXIT_USAGE;
		name = layout;
		command = !strcmp(layout, "pre-commit") ? "scan --staged" : "scan --pre-push \"$1\"";
	} else {
		if (!strcmp(layout, "bare"))
			snprintf(dir, sizeof(dir), "%s/hooks", target);
		else if (!strcmp(layout, "gitea"))
			snprintf(dir, sizeof(dir), "%s/hooks/pre-receive.d", target);
		else if (!strcmp(layout, "gitlab"))
			snprintf(dir, sizeof(dir), "%s/custom_hooks/pre-receive.d", target);
		else
			snprintf(dir, sizeof(dir), "%s/pre-receive.d", target);
		name = !strcmp(layout, "bare") ? "pre-receive" : "pysec";
		command = "pre-receive";
		if (strcmp(layout, "global") && stat(target, &st) < 0) {
			fprintf(stderr, "git pysec: install: no repository at %s\n", target);
			return EXIT_USAGE;
		}
		if (strcmp(layout, "global") && has_working_tree(target)) {
			fprintf(stderr, "git pysec: install: '%s' is a clone with a working tree, not a server's "
				"(bare) repository; a clone's own hooks: git pysec install --pre-commit or --pre-push\n",
				target);
			return EXIT_USAGE;
		}
	}
	snprintf(hook, sizeof(hook), "%s/%s", dir, name);
	if (!strcmp(command, "pre-receive"))
		script = server_hook(self, strcmp(layout, "global") ? target : NULL);
	else
		script = xasprintf(HOOK_HEADER "exec '%s' %s\n", self, command);
	rc = hook_write(dir, hook, script, force);
	free(script);
	return rc;
}
