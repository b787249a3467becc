/*
 * repository.c: opening repositories, with errors that name their cause.
 *
 * libgit2 1.5 refuses a repository owned by another user unless git's
 * safe.directory names it exactly (no '*'), and says only "config value
 * 'safe.directory' was not found" when there is no entry at all.  When that happens, the message
 * says whose repository it is and who runs pysec instead.
 */
#include "error.h"

#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void user_name(uid_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, len, "%s", res->pw_name);
	else
		snprintf(out, len, "no name");
}

/* A repository lives in `dir`: a .git in it, or a git directory itself. */
static int holds_repository(const char *dir)
{
	char p[PATH_MAX + 16];
	struct stat st;

	snprintf(p, sizeof(p), "%s/.git", dir);
	if (lstat(p, &st) == 0)
		return 1;
	snprintf(p, sizeof(p), "%s/HEAD", dir);
	if (stat(p, &st) < 0)
		return 0;
	snprintf(p, sizeof(p), "%s/objects", dir);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * After an open failed on ownership: the first directory from `start`
 * upwards (only `start` with GIT_REPOSITORY_OPEN_NO_SEARCH) that holds a
 * repository owned by someone else; 0 when found.
 */
static int foreign_repository(char out[PATH_MAX], uid_t *owner, const char *start, unsigned int flags)
{
	struct stat st;
	char *slash;

	if (!realpath(start, out))
		return -1;
	for (;;) {
		if (holds_repository(out) && stat(out, &st) == 0 && st.st_uid != geteuid()) {
			*owner = st.st_uid;
			return 0;
		}
		if ((flags & GIT_REPOSITORY_OPEN_NO_SEARCH) || !(slash = strrchr(out, '/')) || slash == out)
			return -1;
		*slash = '\0';
	}
}

int pysec_repository_open(git_repository **out, const char *path, unsigned int flags)
{
	const git_error *e;
	const char *start = path;
	char dir[PATH_MAX], owner_name[256], our_name[256];
	uid_t owner;
	int rc;

	if ((rc = git_repository_open_ext(out, path, flags, NULL)) == 0)
		return 0;
	e = git_error_last();
	/* without any safe.directory entry libgit2 1.5 fails on the lookup of one, not on the owner */
	if (rc != GIT_EOWNER && (!e || !e->message || !strstr(e->message, "safe.directory")))
		return error_set(rc == GIT_ENOTFOUND ? PYSEC_ENOTFOUND : PYSEC_EREPO, "%s",
			e && e->message ? e->message : "cannot open the repository");
	if (!start)
		start = (flags & GIT_REPOSITORY_OPEN_FROM_ENV) && getenv("GIT_DIR") ? getenv("GIT_DIR") : ".";
	if (foreign_repository(dir, &owner, start, flags) < 0)
		return error_set(PYSEC_EREPO, "%s", e && e->message ? e->message : "cannot open the repository");
	user_name(owner, owner_name, sizeof(owner_name));
	user_name(geteuid(), our_name, sizeof(our_name));
	return error_set(PYSEC_EREPO, "the repository at '%s' belongs to uid %u (%s), not to uid %u (%s) who runs "
		"pysec; git's safe.directory must name it exactly (libgit2 %d.%d does not take '*')", dir,
		(unsigned)owner, owner_name, (unsigned)geteuid(), our_name, LIBGIT2_VER_MAJOR, LIBGIT2_VER_MINOR);
}

int pysec_repository_open_hook(git_repository **out)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	char *objects;
	int rc;

	if ((rc = pysec_repository_open(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV)) < 0)
		return rc;
	/*
	 * libgit2 1.5.1 does not unquote a C-quoted alternates entry (a path
	 * with ':' in it) and skips a missing one silently, so the repository's
	 * own objects could be invisible from the quarantine: add them again
	 * (a duplicate is ignored).
	 */
	objects = xasprintf("%sobjects", git_repository_commondir(repo));
	rc = git_repository_odb(&odb, repo);
	if (rc == 0)
		rc = git_odb_add_disk_alternate(odb, objects);
	free(objects);
	git_odb_free(odb);
	if (rc < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot add the repository's objects");
		git_repository_free(repo);
		return rc;
	}
	*out = repo;
	return 0;
}
