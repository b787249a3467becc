/*
 * bandit_files.c: a project's Bandit configuration files, found and read
 * with the reader of their format, each bounded in size.
 */
#include "bandit_files.h"
#include "committed.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>

enum bandit_format { FORMAT_YAML, FORMAT_INI, FORMAT_TOML };

static const struct {
	const char *name;
	enum bandit_format format;
} project_files[BANDIT_FILES] = {
	[BANDIT_PYPROJECT] = { "pyproject.toml", FORMAT_TOML },
	[BANDIT_INI] = { ".bandit", FORMAT_INI },
};

static int read_text(struct bandit_config *out, enum bandit_format format, const char *name, const char *text,
	size_t len)
{
	/* a pyproject.toml that does not mention Bandit is some other tool's: not even parsed */
	if (format == FORMAT_TOML && !memmem(text, len, "bandit", 6)) {
		out->path = xstrdup(name);
		return 0;
	}
	if (format == FORMAT_YAML)
		return bandit_yaml_read(out, name, text, len);
	if (format == FORMAT_INI)
		return bandit_ini_read(out, name, text, len);
	return bandit_toml_read(out, name, text, len);
}

/* The file at `path`, in `format`; a missing one is PYSEC_ENOTFOUND. */
static int read_file(struct bandit_config *out, const char *path, enum bandit_format format)
{
	struct buf b = BUF_INIT(BANDIT_MAX_FILE);
	int rc, e;

	if (file_read(&b, path, FILE_REGULAR) < 0) {
		e = errno;
		buf_free(&b);
		if (e == ENOENT)
			return error_set(PYSEC_ENOTFOUND, "cannot read '%s': %s", path, strerror(e));
		if (e == EFBIG)
			return error_set(PYSEC_ELIMIT, "%s: over %d bytes", path, BANDIT_MAX_FILE);
		return error_set(PYSEC_EINVALID, "cannot read '%s': %s", path, e == EINVAL ? "not a file" : strerror(e));
	}
	rc = read_text(out, format, path, b.ptr ? b.ptr : "", b.len);
	buf_free(&b);
	return rc;
}

int bandit_files_read_named(struct bandit_config *out, const char *path)
{
	size_t len = strlen(path);
	int rc;

	/* as Bandit's -c: TOML by its name, else YAML; a file named and not there is a mistake of the caller's */
	rc = read_file(out, path, len >= 5 && !strcmp(path + len - 5, ".toml") ? FORMAT_TOML : FORMAT_YAML);
	return rc == PYSEC_ENOTFOUND ? error_set(PYSEC_EINVALID, "%s", error_last()) : rc;
}

int bandit_files_read_dir(struct bandit_config *out, const char *dir, enum bandit_file which)
{
	size_t len = strlen(dir);
	char *path = xasprintf("%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", project_files[which].name);
	int rc = read_file(out, path, project_files[which].format);

	free(path);
	return rc;
}

int bandit_files_read_commit(struct bandit_config *out, git_repository *repo, const git_oid *commit,
	enum bandit_file which, int pushed)
{
	const char *path = project_files[which].name;
	git_blob *blob = NULL;
	char *name;
	int rc;

	if ((rc = committed_file_read(&blob, repo, commit, path, BANDIT_MAX_FILE)) < 0)
		return rc;
	name = pushed ? xasprintf("%s (pushed)", path) : xstrdup(path);
	rc = read_text(out, project_files[which].format, name, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	free(name);
	git_blob_free(blob);
	return rc;
}
