/* cmd_rules.c: `git pysec rules` and `git pysec explain <id>`. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static int load(pysec_engine **out, git_repository **repo)
{
	pysec_config *cfg = NULL;
	int rc;

	if (cli_open_repository_if_any(repo) < 0)
		return EXIT_FAILED;
	if ((rc = cli_config_local(&cfg, *repo, NULL, NULL, NULL)) < 0)
		return cli_fail(rc, "configuration");
	rc = pysec_engine_new(out, cfg);
	pysec_config_free(cfg);
	return rc < 0 ? cli_fail(rc, "rules") : 0;
}

static json_t *rule_json(const pysec_rule_info *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "title", r->title ? json_string(r->title) : json_null());
	json_object_set_new(o, "severity", json_string(pysec_level_name(r->severity)));
	json_object_set_new(o, "confidence", json_string(pysec_level_name(r->confidence)));
	json_object_set_new(o, "cwe", r->cwe ? json_integer(r->cwe) : json_null());
	json_object_set_new(o, "enabled", json_boolean(r->enabled));
	json_object_set_new(o, "message", json_string(r->message));
	json_object_set_new(o, "fix", r->fix ? json_string(r->fix) : json_null());
	json_object_set_new(o, "source", json_string(r->source));
	return o;
}

enum { OPT_FORMAT = 1, OPT_HELP };

static const struct cli_option rules_options[] = {
	{ "format", 0, 1, OPT_FORMAT },
	{ "help", 'h', 0, OPT_HELP },
};

static const struct cli_option explain_options[] = {
	{ "help", 'h', 0, OPT_HELP },
};

int cmd_rules(int argc, char **argv)
{
	static const char usage[] = "usage: git pysec rules [--format text|json]\n";
	struct cli_options o;
	pysec_engine *e = NULL;
	git_repository *repo = NULL;
	int json = 0, id, bad = 0;
	size_t i;
	int rc;

	cli_options_init(&o, "rules", rules_options, ARRAY_SIZE(rules_options), argc, argv);
	while ((id = cli_options_next(&o)) > 0) {
		if (id == OPT_HELP) {
			fputs(usage, stdout);
			cli_options_clear(&o);
			return EXIT_CLEAN;
		}
		json = !strcmp(o.value, "json");
		if (!json && strcmp(o.value, "text")) {
			fprintf(stderr, "git pysec rules: --format: '%s' is not text or json (the reports' formats are scan's)\n",
				o.value);
			bad = 1;
		}
	}
	bad |= id < 0 || o.noperands;
	cli_options_clear(&o);
	if (bad) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((rc = load(&e, &repo)) != 0)
		return rc;
	if (json) {
		json_t *arr = json_array();
		for (i = 0; i < pysec_engine_rule_count(e); i++)
			json_array_append_new(arr, rule_json(pysec_engine_rule(e, i)));
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(arr);
	} else {
		printf("%-8s %-8s %-10s %-5s %-3s %s\n", "ID", "SEVERITY", "CONFIDENCE", "CWE", "ON", "TITLE");
		for (i = 0; i < pysec_engine_rule_count(e); i++) {
			const pysec_rule_info *r = pysec_engine_rule(e, i);
			printf("%-8s %-8s %-10s %-5d %-3s %s\n", r->id, pysec_level_name(r->severity),
				pysec_level_name(r->confidence), r->cwe, r->enabled ? "yes" : "no",
				r->title ? r->title : r->name);
		}
	}
	pysec_engine_free(e);
	git_repository_free(repo);
	return EXIT_CLEAN;
}

int cmd_explain(int argc, char **argv)
{
	static const char usage[] = "usage: git pysec explain <rule id>\n";
	struct cli_options o;
	pysec_engine *e = NULL;
	git_repository *repo = NULL;
	const pysec_rule_info *r;
	const char *id_arg;
	int rc, id;

	cli_options_init(&o, "explain", explain_options, ARRAY_SIZE(explain_options), argc, argv);
	while ((id = cli_options_next(&o)) > 0) {
		fputs(usage, stdout);
		cli_options_clear(&o);
		return EXIT_CLEAN;
	}
	id_arg = id == 0 && o.noperands == 1 ? o.operands[0] : NULL;
	cli_options_clear(&o);
	if (!id_arg) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((rc = load(&e, &repo)) != 0)
		return rc;
	r = pysec_engine_rule_find(e, id_arg);
	if (!r) {
		fprintf(stderr, "git pysec: no rule '%s'; see 'git pysec rules'\n", id_arg);
		rc = EXIT_USAGE;
	} else {
		printf("%s  %s (%s)\n\n", r->id, r->title ? r->title : r->name, r->name);
		printf("severity %s, confidence %s", pysec_level_name(r->severity), pysec_level_name(r->confidence));
		if (r->cwe)
			printf(", CWE-%d", r->cwe);
		printf("%s\n\n", r->enabled ? "" : " (disabled)");
		printf("What: %s\n", r->message);
		if (r->why)
			printf("Why:  %s\n", r->why);
		if (r->fix)
			printf("Fix:  %s\n", r->fix);
		if (r->example)
			printf("\nExample:\n    %s\n", r->example);
		printf("\nDefined in %s\n", r->source);
	}
	pysec_engine_free(e);
	git_repository_free(repo);
	return rc;
}
