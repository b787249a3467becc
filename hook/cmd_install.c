/*
 * cmd_install.c: `git pysec install`: put the pre-receive hook where the
 * hosting software runs it, with its execute bit checked (git skips a hook
 * without one silently, and the push is accepted unscanned).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

static const char usage[] =
	"usage: git pysec install [--force] <bare-repository>            hooks/pre-receive\n"
	"   or: git pysec install --gitea [--force] <repository>         hooks/pre-receive.d/pysec\n"
	"   or: git pysec install --gitlab [--force] <repository>        custom_hooks/pre-receive.d/pysec\n"
	"   or: git pysec install --global [--force] <hooks-directory>   <dir>/pre-receive.d/pysec\n";

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

static char *read_small(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 65537);
	n = buf ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

enum { OPT_FORCE = 1, OPT_GITEA, OPT_GITLAB, OPT_GLOBAL, OPT_HELP };

static const struct cli_option options[] = {
	{ "force", 0, 0, OPT_FORCE },
	{ "gitea", 0, 0, OPT_GITEA },
	{ "gitlab", 0, 0, OPT_GITLAB },
	{ "global", 0, 0, OPT_GLOBAL },
	{ "help", 'h', 0, OPT_HELP },
};

int cmd_install(int argc, char **argv)
{
	struct cli_options o;
	const char *layout = "bare", *target = NULL;
	char self[PATH_MAX], dir[PATH_MAX], hook[PATH_MAX + 32], script[PATH_MAX + 128];
	int force = 0, help = 0, id, fd;
	ssize_t n;
	struct stat st;
	char *existing;

	cli_options_init(&o, "install", options, ARRAY_SIZE(options), argc, argv);
	while ((id = cli_options_next(&o)) > 0) {
		if (id == OPT_FORCE)
			force = 1;
		else if (id == OPT_HELP)
			help = 1;
		else
			layout = id == OPT_GITEA ? "gitea" : id == OPT_GITLAB ? "gitlab" : "global";
	}
	target = id == 0 && o.noperands == 1 ? o.operands[0] : NULL;
	cli_options_clear(&o);
	if (help) {
		fputs(usage, stdout);
		return EXIT_CLEAN;
	}
	if (!target) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "git pysec: install: cannot find my own path\n");
		return EXIT_FAILED;
	}
	self[n] = '\0';
	if (!strcmp(layout, "bare"))
		snprintf(dir, sizeof(dir), "%s/hooks", target);
	else if (!strcmp(layout, "gitea"))
		snprintf(dir, sizeof(dir), "%s/hooks/pre-receive.d", target);
	else if (!strcmp(layout, "gitlab"))
		snprintf(dir, sizeof(dir), "%s/custom_hooks/pre-receive.d", target);
	else
		snprintf(dir, sizeof(dir), "%s/pre-receive.d", target);
	snprintf(hook, sizeof(hook), "%s/%s", dir, !strcmp(layout, "bare") ? "pre-receive" : "pysec");
	snprintf(script, sizeof(script), "#!/bin/sh\n# installed by git pysec install\nexec '%s' pre-receive\n", self);
	if (strchr(self, '\'')) {
		fprintf(stderr, "git pysec: install: my path has a quote in it: %s\n", self);
		return EXIT_FAILED;
	}
	if (strcmp(layout, "global") && stat(target, &st) < 0) {
		fprintf(stderr, "git pysec: install: no repository at %s\n", target);
		return EXIT_USAGE;
	}
	existing = read_small(hook);
	if (existing && strcmp(existing, script) && !force) {
		fprintf(stderr, "git pysec: install: %s exists and is not pysec's; not overwriting it "
			"(chain it from there, or use --force to replace it)\n", hook);
		free(existing);
		return EXIT_FAILED;
	}
	if (existing && strcmp(existing, script))
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
			"git would skip it and accept every push\n", hook);
		return EXIT_FAILED;
	}
	printf("installed %s\n", hook);
	return EXIT_CLEAN;
}
