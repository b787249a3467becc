/*
 * test_daemon_config.c: the daemon's settings (daemon/config.c): the
 * defaults, every key read, the command line over the file, and each
 * refusal with its message; then the lookups the daemon makes in them
 * (a forge's project, a path under the roots).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon.h"

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[PATH_MAX], conf[PATH_MAX + 16];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* `text` as the configuration file, read with `flags` (NULL: none). */
static int load_with(struct dconfig **out, const char *text, const pysec_serve_options *flags)
{
	pysec_serve_options none;

	write_file(conf, text);
	if (!flags) {
		memset(&none, 0, sizeof(none));
		flags = &none;
	}
	((pysec_serve_options *)flags)->config = conf;
	return dconfig_load(out, flags);
}

static int load(struct dconfig **out, const char *text)
{
	return load_with(out, text, NULL);
}

/* `text` is refused, with a message that holds `why`. */
static void refused(const char *text, const char *why)
{
	struct dconfig *cfg = (struct dconfig *)&cfg;

	assert_int_equal(load(&cfg, text), PYSEC_EINVALID);
	assert_null(cfg);
	if (!strstr(error_last(), why))
		fail_msg("'%s' does not say '%s'", error_last(), why);
}

static int setup(void **state)
{
	char *real;

	snprintf(dir, sizeof(dir), "%s/pysec-dconfig-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	/* the roots are kept as real paths: compare with the real one */
	assert_non_null(real = realpath(dir, NULL));
	snprintf(dir, sizeof(dir), "%s", real);
	free(real);
	snprintf(conf, sizeof(conf), "%s/pysec.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void defaults(void **state)
{
	struct dconfig *cfg = NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	assert_int_equal(load(&cfg, ""), 0);
	assert_string_equal(cfg->file, conf);
	assert_null(cfg->socket);
	assert_null(cfg->listen);
	assert_null(cfg->queue_db);
	assert_int_equal(cfg->nroots, 0);
	/* nobody named: only the daemon's own user */
	assert_int_equal(cfg->nusers, 1);
	assert_int_equal(cfg->users[0], geteuid());
	assert_int_equal(cfg->ngroups, 0);
	assert_int_equal(cfg->workers, cpus > 0 ? (unsigned)cpus : 1);
	assert_int_equal(cfg->queue, cfg->workers * 8);
	assert_true(cfg->request_timeout == 5);
	assert_int_equal(cfg->cache.max_entries, 100000);
	assert_int_equal(cfg->cache.max_bytes, 256u << 20);
	assert_int_equal(cfg->queue_sync_full, 1);
	assert_int_equal(cfg->max_body, 1u << 20);
	assert_int_equal(cfg->max_pending, 10000);
	assert_int_equal(cfg->review_workers, 2);
	assert_int_equal(cfg->attempts, 6);
	assert_int_equal(cfg->backoff_ms, 5000);
	assert_int_equal(cfg->backoff_max_ms, 600000);
	assert_true(cfg->stop_timeout == 20);
	assert_null(cfg->gitlab.url);
	assert_null(cfg->github.token);
	dconfig_free(cfg);

	/* no file at all is no setting at all */
	unlink(conf);
	{
		pysec_serve_options flags;

		memset(&flags, 0, sizeof(flags));
		flags.config = conf;
		assert_int_equal(dconfig_load(&cfg, &flags), 0);
		assert_int_equal(cfg->review_workers, 2);
		dconfig_free(cfg);
	}
}

static void every_key(void **state)
{
	struct dconfig *cfg = NULL;
	char text[4 * PATH_MAX + 1024], token[PATH_MAX + 16], secret[PATH_MAX + 16], link[PATH_MAX + 16];

	snprintf(token, sizeof(token), "%s/gitlab.token", dir);
	snprintf(secret, sizeof(secret), "%s/gitlab.secret", dir);
	write_file(token, "glpat-abc  \n");
	write_file(secret, "s3cret\nsecond line\n");
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(dir, link), 0);
	snprintf(text, sizeof(text),
		"[pysec]\n\tdaemonSocket = /run/pysec/pysec.sock\n"
		"[pysec \"daemon\"]\n"
		"\troot = %s\n\troot = /\n"
		"\tallowUser = 0\n\tallowUser = root\n\tallowGroup = 0\n\tallowGroup = root\n"
		"\tsocketGroup = git\n\tworkers = 0x4\n\tqueue = 3\n\trequestTimeout = 7\n"
		"\tcacheEntries = 10k\n\tcacheBytes = 1m\n\tlisten = 127.0.0.1:0\n\tqueueDb = /var/q.db\n"
		"\tqueueSync = normal\n\tmaxBody = 2048\n\tmaxPending = 9\n\treviewWorkers = 0\n\tattempts = 0\n"
		"\tbackoffMs = 100\n\tbackoffMaxMs = 50\n\tstopTimeout = 3\n"
		"\tproject = gitlab group/app /srv/git/a repo with blanks.git\n"
		"\tproject = \" github   o/r\t/srv/git/r.git\"\n"
		"[pysec \"gitlab\"]\n\turl = https://gitlab.example.com\n\ttokenFile = %s\n\tsecretFile = %s\n",
		link, token, secret);
	assert_int_equal(load(&cfg, text), 0);
	assert_string_equal(cfg->socket, "/run/pysec/pysec.sock");
	assert_string_equal(cfg->socket_group, "git");
	assert_int_equal(cfg->nroots, 2);
	assert_string_equal(cfg->roots[0], dir);	/* the link's target */
	assert_string_equal(cfg->roots[1], "/");
	assert_int_equal(cfg->nusers, 2);
	assert_int_equal(cfg->users[0], 0);
	assert_int_equal(cfg->users[1], getpwnam("root")->pw_uid);
	assert_int_equal(cfg->ngroups, 2);
	assert_int_equal(cfg->groups[1], getgrnam("root")->gr_gid);
	assert_int_equal(cfg->workers, 4);
	assert_int_equal(cfg->queue, 3);
	assert_true(cfg->request_timeout == 7);
	assert_int_equal(cfg->cache.max_entries, 10240);
	assert_int_equal(cfg->cache.max_bytes, 1u << 20);
	assert_string_equal(cfg->listen, "127.0.0.1:0");
	assert_string_equal(cfg->queue_db, "/var/q.db");
	assert_int_equal(cfg->queue_sync_full, 0);
	assert_int_equal(cfg->max_body, 2048);
	assert_int_equal(cfg->max_pending, 9);
	/* 0 workers or attempts would do nothing at all: one */
	assert_int_equal(cfg->review_workers, 1);
	assert_int_equal(cfg->attempts, 1);
	/* a cap below the first delay is the first delay */
	assert_int_equal(cfg->backoff_ms, 100);
	assert_int_equal(cfg->backoff_max_ms, 100);
	assert_true(cfg->stop_timeout == 3);
	assert_int_equal(cfg->nprojects, 2);
	assert_int_equal(cfg->projects[0].kind, PYSEC_FORGE_GITLAB);
	assert_string_equal(cfg->projects[0].project, "group/app");
	assert_string_equal(cfg->projects[0].path, "/srv/git/a repo with blanks.git");
	assert_int_equal(cfg->projects[1].kind, PYSEC_FORGE_GITHUB);
	assert_string_equal(cfg->projects[1].project, "o/r");
	assert_string_equal(cfg->projects[1].path, "/srv/git/r.git");
	/* secrets: the first line, without its line break and trailing blanks */
	assert_string_equal(cfg->gitlab.url, "https://gitlab.example.com");
	assert_string_equal(cfg->gitlab.token, "glpat-abc");
	assert_string_equal(cfg->gitlab.secret, "s3cret");
	assert_string_equal(dconfig_forge(cfg, PYSEC_FORGE_GITLAB)->token, "glpat-abc");
	assert_null(dconfig_forge(cfg, PYSEC_FORGE_GITEA)->url);
	dconfig_free(cfg);
	unlink(link);
}

static void flags_over_the_file(void **state)
{
	struct dconfig *cfg = NULL;
	pysec_serve_options flags;

	memset(&flags, 0, sizeof(flags));
	flags.socket = "/tmp/flag.sock";
	flags.listen = "[::1]:8089";
	flags.queue_db = "/tmp/flag.db";
	assert_int_equal(load_with(&cfg, "[pysec]\n\tdaemonSocket = /file.sock\n[pysec \"daemon\"]\n"
		"\tlisten = 0.0.0.0:1\n\tqueueDb = /file.db\n", &flags), 0);
	assert_string_equal(cfg->socket, "/tmp/flag.sock");
	assert_string_equal(cfg->listen, "[::1]:8089");
	assert_string_equal(cfg->queue_db, "/tmp/flag.db");
	dconfig_free(cfg);

	/* a listener from the command line needs a queue all the same */
	memset(&flags, 0, sizeof(flags));
	flags.listen = "127.0.0.1:0";
	assert_int_equal(load_with(&cfg, "", &flags), PYSEC_EINVALID);
	assert_non_null(strstr(error_last(), "needs a queue (pysec.daemon.queueDb)"));
}

static void refusals(void **state)
{
	char text[PATH_MAX * 2], path[PATH_MAX + 16];

	/* read by the policy's loader: what is wrong says where, and an unknown key what was meant */
	refused("[pysec \"daemon\"\n", "pysec.conf: failed to parse config file: missing ']'");
	refused("[pysec \"daemon\"]\n\twokers = 2\n",
		"pysec.conf:2: unknown key 'pysec.daemon.wokers' (set to '2'); did you mean 'pysec.daemon.workers'?");
	refused("[pysec \"daemon\"]\n\tqueueSync = fast\n",
		"pysec.conf:2: bad value 'fast' for 'pysec.daemon.queueSync' (full or normal)");
	refused("[pysec]\n\tdaemonTimeout = soon\n", "pysec.conf:2: bad value 'soon' for 'pysec.daemonTimeout'");
	refused("[pysec \"daemon\"]\n\n\tworkers = 257\n",
		"pysec.conf:3: pysec.daemon.workers must be a whole number up to 256, not '257'");
	refused("[pysec \"daemon\"]\n\troot = /\n\troot = /no/such/dir\n",
		"pysec.conf:3: pysec.daemon.root '/no/such/dir': No such file");
	refused("[pysec \"daemon\"]\n\tworkers = -1\n", "not '-1'");
	refused("[pysec \"daemon\"]\n\tqueue = many\n", "pysec.daemon.queue must be a whole number");
	refused("[pysec \"daemon\"]\n\tmaxBody = 1g\n", "pysec.daemon.maxBody must be a whole number up to 67108864");
	refused("[pysec \"daemon\"]\n\tstopTimeout = 3601\n", "pysec.daemon.stopTimeout");
	refused("[pysec \"daemon\"]\n\tlisten = 127.0.0.1:0\n",
		"a webhook listener (pysec.daemon.listen) needs a queue (pysec.daemon.queueDb)");
	refused("[pysec \"daemon\"]\n\troot = /no/such/dir\n", "pysec.daemon.root '/no/such/dir': No such file");
	refused("[pysec \"daemon\"]\n\tallowUser = no-such-user-pysec\n", "pysec.daemon.allowUser: no user 'no-such-user-pysec'");
	refused("[pysec \"daemon\"]\n\tallowGroup = no-such-group-pysec\n",
		"pysec.daemon.allowGroup: no group 'no-such-group-pysec'");
	refused("[pysec \"daemon\"]\n\tproject = gitlab group/app\n",
		"pysec.daemon.project is 'gitlab|gitea|github PROJECT PATH', not 'gitlab group/app'");
	refused("[pysec \"daemon\"]\n\tproject = svn a /srv/a\n", "pysec.daemon.project: 'svn' is not gitlab, gitea or github");
	/* the first bad value of a list is the one named */
	refused("[pysec \"daemon\"]\n\tallowUser = 0\n\tallowUser = nobody-pysec-x\n\tallowUser = nobody-pysec-y\n",
		"no user 'nobody-pysec-x'");

	/* secret files: missing, empty, not a regular file */
	snprintf(text, sizeof(text), "[pysec \"github\"]\n\ttokenFile = %s/none\n", dir);
	refused(text, "/none': No such file or directory");
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, "\n");
	snprintf(text, sizeof(text), "[pysec \"gitea\"]\n\tsecretFile = %s\n", path);
	refused(text, "empty' is empty");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(text, sizeof(text), "[pysec \"gitlab\"]\n\tsecretFile = %s\n", path);
	refused(text, "fifo' is not a regular file");
	unlink(path);
}

static void lookups(void **state)
{
	struct dconfig *cfg = NULL;

	assert_int_equal(load(&cfg, "[pysec \"daemon\"]\n\tproject = gitlab group/app /srv/a.git\n"
		"\tproject = gitlab 42 /srv/b.git\n\tproject = gitea group/app /srv/c.git\n"), 0);
	assert_string_equal(dconfig_project(cfg, PYSEC_FORGE_GITLAB, "group/app", NULL)->path, "/srv/a.git");
	assert_string_equal(dconfig_project(cfg, PYSEC_FORGE_GITEA, "group/app", NULL)->path, "/srv/c.git");
	/* GitLab's numeric project id, when the path is mapped under no name */
	assert_string_equal(dconfig_project(cfg, PYSEC_FORGE_GITLAB, "other/name", "42")->path, "/srv/b.git");
	assert_null(dconfig_project(cfg, PYSEC_FORGE_GITHUB, "group/app", NULL));
	assert_null(dconfig_project(cfg, PYSEC_FORGE_GITLAB, "group/ap", "7"));
	assert_null(dconfig_project(cfg, PYSEC_FORGE_GITLAB, NULL, NULL));
	dconfig_free(cfg);
}

static void under_roots(void **state)
{
	struct dconfig *cfg = NULL;
	char text[PATH_MAX + 64], path[PATH_MAX + 16];

	snprintf(text, sizeof(text), "[pysec \"daemon\"]\n\troot = %s\n", dir);
	assert_int_equal(load(&cfg, text), 0);
	assert_true(dconfig_under_roots(cfg, dir));
	snprintf(path, sizeof(path), "%s/repo.git", dir);
	assert_true(dconfig_under_roots(cfg, path));
	/* a name that begins the same is not under it */
	snprintf(path, sizeof(path), "%sx/repo.git", dir);
	assert_false(dconfig_under_roots(cfg, path));
	assert_false(dconfig_under_roots(cfg, "/"));
	dconfig_free(cfg);

	assert_int_equal(load(&cfg, "[pysec \"daemon\"]\n\troot = /\n"), 0);
	assert_true(dconfig_under_roots(cfg, "/srv/git/a.git"));
	assert_true(dconfig_under_roots(cfg, "/"));
	dconfig_free(cfg);

	/* no root: nothing is served */
	assert_int_equal(load(&cfg, ""), 0);
	assert_false(dconfig_under_roots(cfg, "/srv/git/a.git"));
	dconfig_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(flags_over_the_file),
		cmocka_unit_test(refusals),
		cmocka_unit_test(lookups),
		cmocka_unit_test(under_roots),
	};

	git_libgit2_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
