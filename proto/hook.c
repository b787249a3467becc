/*
 * hook.c: what both hook front ends do before they send a push to the
 * daemon (pysec_proto.h): `git pysec pre-receive` and the small client
 * bin/pysec-hook.c, which loads neither libgit2 nor the rules.  Only libc.
 */
#include "pysec_proto.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int proto_env_wanted(const char *entry, const char *user_var)
{
	static const char *const prefixes[] = { "GL_", "GITEA_", "GITHUB_", "GIT_PUSH_OPTION_",
		"GIT_QUARANTINE_PATH=", "GIT_OBJECT_DIRECTORY=", "GIT_CONFIG_PARAMETERS=", "GIT_CONFIG_COUNT=",
		"GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_" };
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(entry, prefixes[i], strlen(prefixes[i])))
			return 1;
	n = user_var ? strlen(user_var) : 0;
	return n && !strncmp(entry, user_var, n) && entry[n] == '=';
}

/*
 * Only what this user owns, directories g+rx and files g+r, no deeper than
 * git makes it (objects/xx/, pack/).
 */
static void share_dir(int dirfd, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int dfd;

	if (fstat(dirfd, &st) < 0 || st.st_uid != geteuid() || fchmod(dirfd, (st.st_mode & 07777) | 0050) < 0 ||
	    depth >= 2 || (dfd = dup(dirfd)) < 0)
		return;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		int fd;
		if (e->d_name[0] == '.' || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != geteuid())
			continue;
		if (S_ISREG(st.st_mode)) {
			if (!(st.st_mode & 0040))
				fchmodat(dirfd, e->d_name, (st.st_mode & 07777) | 0040, 0);
		} else if (S_ISDIR(st.st_mode) &&
			   (fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			share_dir(fd, depth + 1);
			close(fd);
		}
	}
	closedir(d);
}

void proto_share_quarantine(void)
{
	const char *q = getenv("GIT_QUARANTINE_PATH");
	int fd;

	if (!q || !*q || (fd = open(q, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	share_dir(fd, 0);
	close(fd);
}

/*
 * One file's identity and version: where it is, which inode, its size and
 * time of change; "-" when absent, wherever it was looked for (install run
 * with another $HOME than the hook's finds no global file either).
 */
static int stamp_file(struct buf *b, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return buf_puts(b, "-;");
	return buf_printf(b, "%s %ju %ju %jd %jd.%09ld;", path, (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
		(intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int proto_config_stamp(struct buf *out, const char *system_file, const char *repo_dir)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	char *xdg_file, *global_file, *repo_file;
	int rc;

	if (!home)
		home = "";
	xdg_file = xdg && *xdg ? xasprintf("%s/git/config", xdg) : xasprintf("%s/.config/git/config", home);
	global_file = xasprintf("%s/.gitconfig", home);
	repo_file = xasprintf("%s/config", repo_dir);
	/* libgit2's order: its system file (Debian's /etc/gitconfig), XDG, global, the repository's */
	rc = stamp_file(out, system_file) < 0 || stamp_file(out, "/etc/gitconfig") < 0 || stamp_file(out, xdg_file) < 0 ||
		stamp_file(out, global_file) < 0 || stamp_file(out, repo_file) < 0 ? -1 : 0;
	free(xdg_file);
	free(global_file);
	free(repo_file);
	return rc;
}
