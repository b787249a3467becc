/*
 * output.c: where `git pysec scan` writes its reports (--format to
 * standard output, --output FORMAT:PATH to files), and what the reports
 * say about the run: the directory paths start from, the repository, the
 * commit scanned.
 */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

/* asprintf, or NULL */
static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int cli_outputs_add(struct cli_outputs *outs, pysec_format format, const char *path)
{
	size_t i;

	if (outs->len == CLI_MAX_OUTPUTS) {
		fprintf(stderr, "git pysec: at most %d outputs\n", CLI_MAX_OUTPUTS);
		return -1;
	}
	for (i = 0; i < outs->len; i++) {
		if (!strcmp(outs->v[i].path, path)) {
			fprintf(stderr, "git pysec: two reports would go to %s\n",
				strcmp(path, "-") ? path : "standard output");
			return -1;
		}
	}
	outs->v[outs->len].format = format;
	outs->v[outs->len++].path = path;
	return 0;
}

int cli_outputs_parse(struct cli_outputs *outs, const char *spec)
{
	const char *colon = strchr(spec, ':');
	pysec_format format;
	char name[32];

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(name) || !colon[1]) {
		fprintf(stderr, "git pysec scan: --output: not FORMAT:PATH (FORMAT is %s; PATH '-' is standard output)\n",
			pysec_format_names());
		return -1;
	}
	memcpy(name, spec, (size_t)(colon - spec));
	name[colon - spec] = '\0';
	if (pysec_format_parse(&format, name) < 0) {
		fprintf(stderr, "git pysec scan: --output: '%s' is not a format (%s)\n", name, pysec_format_names());
		return -1;
	}
	return cli_outputs_add(outs, format, colon + 1);
}

/* Write to a temporary file beside `path`, then rename it: a reader never sees half a report. */
static int write_file(const char *path, const pysec_report *r, const pysec_write_options *wo)
{
	char tmp[PATH_MAX];
	FILE *f;
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= sizeof(tmp)) {
		fprintf(stderr, "git pysec: cannot write '%s': %s\n", path, strerror(ENAMETOOLONG));
		return -1;
	}
	if (!(f = fopen(tmp, "w"))) {
		fprintf(stderr, "git pysec: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	rc = pysec_report_write(r, wo, f);
	if (fclose(f) != 0 || rc < 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "git pysec: cannot write '%s': %s\n", path, rc < 0 ? pysec_error_last() : strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cli_outputs_write(const struct cli_outputs *outs, const pysec_report *r, const pysec_write_options *base,
	int color)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < outs->len; i++) {
		pysec_write_options wo = *base;
		wo.format = outs->v[i].format;
		if (strcmp(outs->v[i].path, "-")) {
			failed |= write_file(outs->v[i].path, r, &wo) < 0;
			continue;
		}
		wo.color = color && wo.format == PYSEC_FORMAT_TEXT;
		if (pysec_report_write(r, &wo, stdout) < 0 || fflush(stdout) != 0) {
			fprintf(stderr, "git pysec: cannot write the report: %s\n", strerror(errno));
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

/*
 * The repository's URI for a report, never with credentials: GitLab CI's
 * CI_PROJECT_URL, GitHub's or Gitea's GITHUB_SERVER_URL/GITHUB_REPOSITORY,
 * else the URL of the remote "origin" without its user and password (an
 * scp-like "host:path" as ssh://host/path, a local path as a file: URI).
 */
static char *repository_uri(git_repository *repo)
{
	const char *v = getenv("CI_PROJECT_URL"), *server = getenv("GITHUB_SERVER_URL"), *name = getenv("GITHUB_REPOSITORY");
	git_config *cfg = NULL;
	git_buf buf = { 0 };
	const char *url, *scheme, *host, *at, *colon;
	char *out = NULL;

	if (v && *v)
		return strdup(v);
	if (server && *server && name && *name)
		return dup_printf("%s/%s", server, name);
	/* the configured value as it is: git_remote_lookup() leaks in libgit2 1.5 (its insteadOf regexes) */
	if (!repo || git_repository_config_snapshot(&cfg, repo) < 0 ||
	    git_config_get_string_buf(&buf, cfg, "remote.origin.url") < 0) {
		git_config_free(cfg);
		return NULL;
	}
	url = buf.ptr;
	if ((scheme = strstr(url, "://")) != NULL) {
		host = scheme + 3;
		at = strchr(host, '@');
		if (at && at < host + strcspn(host, "/"))
			host = at + 1;
		out = dup_printf("%.*s://%s", (int)(scheme - url), url, host);
	} else if (url[0] == '/') {
		out = dup_printf("file://%s", url);
	} else if ((colon = strchr(url, ':')) != NULL && colon < url + strcspn(url, "/")) {
		host = (at = memchr(url, '@', (size_t)(colon - url))) ? at + 1 : url;
		out = dup_printf("ssh://%.*s/%s", (int)(colon - host), host, colon + 1);
	}
	git_buf_dispose(&buf);
	git_config_free(cfg);
	return out;
}

void cli_run_describe(struct cli_run *run, git_repository *repo, const char *revspec)
{
	git_object *obj = NULL;
	git_reference *head = NULL;
	git_revspec spec;
	const git_oid *id = NULL;

	memset(&spec, 0, sizeof(spec));
	if (repo && git_repository_workdir(repo))
		snprintf(run->root, sizeof(run->root), "%s", git_repository_workdir(repo));
	else if (!repo && !getcwd(run->root, sizeof(run->root)))
		run->root[0] = '\0';
	run->info.root = run->root[0] ? run->root : NULL;
	if (!repo)
		return;
	run->uri = repository_uri(repo);
	run->info.repository_uri = run->uri;
	if (revspec && git_revparse(&spec, repo, revspec) == 0) {
		git_object *tip = (spec.flags & GIT_REVSPEC_RANGE) ? spec.to : spec.from;
		if (tip && git_object_peel(&obj, tip, GIT_OBJECT_COMMIT) == 0)
			id = git_object_id(obj);
	} else if (!revspec && git_repository_head(&head, repo) == 0 &&
		   git_reference_peel(&obj, head, GIT_OBJECT_COMMIT) == 0) {
		id = git_object_id(obj);
		if (git_reference_is_branch(head))
			run->branch = strdup(git_reference_shorthand(head));
	}
	if (id) {
		git_oid_tostr(run->revision, sizeof(run->revision), id);
		run->info.revision = run->revision;
	}
	run->info.branch = run->branch;
	git_object_free(obj);
	git_object_free(spec.from);
	git_object_free(spec.to);
	git_reference_free(head);
}

void cli_run_release(struct cli_run *run)
{
	free(run->uri);
	free(run->branch);
}

/* --- progress (cli.h says how it is drawn) ------------------------------------- */

static void size_name(char *out, size_t size, uint64_t bytes)
{
	if (bytes >= 1024 * 1024)
		snprintf(out, size, "%.1f MiB", (double)bytes / (1024 * 1024));
	else if (bytes >= 1024)
		snprintf(out, size, "%.1f KiB", (double)bytes / 1024);
	else
		snprintf(out, size, "%u byte%s", (unsigned)bytes, bytes == 1 ? "" : "s");
}

static void progress_show(const pysec_scan_progress *p, void *payload)
{
	struct cli_progress *pl = payload;
	char size[32];

	if (p->seconds < pl->delay || p->seconds - pl->drawn < 0.1)
		return;
	pl->drawn = p->seconds;
	pl->shown = 1;
	size_name(size, sizeof(size), p->bytes);
	fprintf(stderr, "\rpysec: scanning: %zu of %zu files, %s\033[K", p->files_done, p->files_total, size);
}

static void progress_close(const pysec_scan_progress *p)
{
	char size[32];

	size_name(size, sizeof(size), p->bytes);
	fprintf(stderr, "\rpysec: scanned %zu file%s, %s, in %.2f s\033[K\n", p->files_total,
		p->files_total == 1 ? "" : "s", size, p->seconds);
}

void cli_progress_update(const pysec_scan_progress *p, void *payload)
{
	if (p->finished)
		progress_close(p);
	else
		progress_show(p, payload);
}

int cli_progress_wanted(struct cli_progress *pl, int quiet)
{
	const char *delay = getenv("PYSEC_PROGRESS_DELAY");

	memset(pl, 0, sizeof(*pl));
	if (quiet || !isatty(STDERR_FILENO))
		return 0;
	pl->delay = delay && *delay ? strtod(delay, NULL) : 1.0;
	pl->drawn = -1.0;
	return 1;
}
