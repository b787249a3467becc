/*
 * cmd_config.c: `git pysec config`: the policy a scan here would use,
 * each value with where it was set, as `git config --show-origin` shows
 * git's.  The policy is checked as a scan checks it, rules included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char usage[] =
	"usage: git pysec config [--all] [--config FILE] [--bandit-config FILE]\n"
	"\n"
	"  --all                   also the values that later ones replace\n"
	"  --config FILE           a pysec config file (git-config syntax) over the others, as for scan\n"
	"  --bandit-config FILE    the project's Bandit configuration, as for scan\n";

enum { OPT_ALL = 1, OPT_CONFIG, OPT_BANDIT_CONFIG, OPT_HELP };

static const struct cli_option options[] = {
	{ "all", 0, 0, OPT_ALL },
	{ "config", 0, 1, OPT_CONFIG },
	{ "bandit-config", 0, 1, OPT_BANDIT_CONFIG },
	{ "help", 'h', 0, OPT_HELP },
};

/* One line per value: where it was set, a tab, key=value. */
static void print_policy(const pysec_config *cfg, int all)
{
	size_t i;

	for (i = 0; i < pysec_config_count(cfg); i++) {
		pysec_config_item it;
		char *where;

		pysec_config_entry(cfg, i, &it);
		if (all || !it.replaced) {
			where = pysec_config_where(cfg, i);
			printf("%s\t%s=%s\n", where, it.key, it.value);
			free(where);
		}
	}
}

int cmd_config(int argc, char **argv)
{
	struct cli_options o;
	const char *extra = NULL, *bandit = NULL;
	git_repository *repo = NULL;
	pysec_config *cfg = NULL;
	pysec_engine *engine = NULL;
	int id, all = 0, rc, exit_code = EXIT_CLEAN;

	cli_options_init(&o, "config", options, ARRAY_SIZE(options), argc, argv);
	while ((id = cli_options_next(&o)) > 0) {
		if (id == OPT_HELP) {
			fputs(usage, stdout);
			cli_options_clear(&o);
			return EXIT_CLEAN;
		}
		if (id == OPT_ALL)
			all = 1;
		else if (id == OPT_BANDIT_CONFIG)
			bandit = o.value;
		else
			extra = o.value;
	}
	if (id < 0 || o.noperands) {
		cli_options_clear(&o);
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cli_options_clear(&o);
	if (cli_open_repository_if_any(&repo) < 0)
		return EXIT_FAILED;
	if ((rc = cli_config_local(&cfg, repo, extra, bandit, NULL)) < 0)
		exit_code = cli_fail(rc, "configuration");
	else if ((rc = pysec_engine_new(&engine, cfg)) < 0)
		exit_code = cli_fail(rc, "rules");
	else
		print_policy(cfg, all);
	if (cfg && *pysec_config_notes(cfg))
		fputs(pysec_config_notes(cfg), stderr);
	pysec_engine_free(engine);
	pysec_config_free(cfg);
	git_repository_free(repo);
	return exit_code;
}
