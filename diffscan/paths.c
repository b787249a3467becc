/*
 * paths.c: gitignore patterns, matched by libgit2 (git_ignore_add_rule,
 * git_ignore_path_is_ignored) in an empty repository held in memory.  Its
 * configuration is a snapshot that names no excludes file, so libgit2 does
 * not fall back to the user's global one (~/.config/git/ignore).
 */
#include "paths.h"
#include "error.h"

#include <git2/sys/repository.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct path_rules {
	git_repository *repo;
	pthread_mutex_t lock;	/* libgit2's attribute cache is the repository's */
};

/* A configuration that says only core.excludesFile = /dev/null, kept as a snapshot (no file behind it). */
static int empty_config(git_config **out)
{
	static const char text[] = "[core]\n\texcludesFile = /dev/null\n";
	char tmpl[] = "/tmp/pysec-paths-XXXXXX";
	git_config *c = NULL;
	int fd = mkstemp(tmpl), rc = -1;

	if (fd < 0)
		return error_set(PYSEC_ERROR, "cannot create a temporary file for path patterns");
	if (write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1) && git_config_new(&c) == 0 &&
	    git_config_add_file_ondisk(c, tmpl, GIT_CONFIG_LEVEL_APP, NULL, 0) == 0 && git_config_snapshot(out, c) == 0)
		rc = 0;
	close(fd);
	unlink(tmpl);
	git_config_free(c);
	return rc < 0 ? error_from_git(PYSEC_ERROR, "path patterns") : 0;
}

int path_rules_new(struct path_rules **out, char *const *patterns, size_t n)
{
	struct path_rules *r = xcalloc(1, sizeof(*r));
	git_config *cfg = NULL;
	size_t i;
	int rc = 0;

	pthread_mutex_init(&r->lock, NULL);
	if (git_repository_new(&r->repo) < 0)
		rc = error_from_git(PYSEC_ERROR, "path patterns");
	else if ((rc = empty_config(&cfg)) == 0)
		git_repository_set_config(r->repo, cfg);
	for (i = 0; i < n && rc == 0; i++)
		if (strchr(patterns[i], '\n') || git_ignore_add_rule(r->repo, patterns[i]) < 0)
			rc = error_set(PYSEC_EINVALID, "'%s' is not a gitignore pattern", patterns[i]);
	git_config_free(cfg);
	if (rc < 0) {
		path_rules_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int path_rules_match(struct path_rules *r, const char *path)
{
	int ignored = 0;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (*path == '/')
		path++;
	pthread_mutex_lock(&r->lock);
	if (git_ignore_path_is_ignored(&ignored, r->repo, path) < 0) {
		ignored = 0;
		git_error_clear();
	}
	pthread_mutex_unlock(&r->lock);
	return ignored;
}

void path_rules_free(struct path_rules *r)
{
	if (!r)
		return;
	git_repository_free(r->repo);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
