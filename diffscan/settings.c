/*
 * settings.c: the table of every pysec.* setting (README's Configuration
 * and the example policy document each one) and the values they take.
 */
#include "settings.h"
#include "pysec.h"
#include "util.h"

#include <ctype.h>
#include <git2.h>
#include <stdlib.h>
#include <strings.h>

static const char *const on_error[] = { "reject", "accept", NULL };
static const char *const forges[] = { "gitlab", "gitea", "github", NULL };
static const char *const encodings[] = { "form", "json", NULL };
static const char *const syncs[] = { "full", "normal", NULL };

static const struct setting settings[] = {
	/* the policy */
	{ "pysec.failOn", SETTING_LEVEL, 0, NULL, 0 },
	{ "pysec.minConfidence", SETTING_LEVEL, 0, NULL, 0 },
	{ "pysec.nosec", SETTING_BOOL, 0, NULL, 0 },
	{ "pysec.showSuppressed", SETTING_BOOL, 0, NULL, 0 },
	{ "pysec.disable", SETTING_RULES, 0, NULL, 1 },
	{ "pysec.enable", SETTING_RULES, 0, NULL, 1 },
	{ "pysec.only", SETTING_RULES, 0, NULL, 1 },
	{ "pysec.exclude", SETTING_TEXT, 0, NULL, 1 },
	{ "pysec.rulesDir", SETTING_TEXT, 0, NULL, 1 },
	{ "pysec.banditConfig", SETTING_BOOL, 0, NULL, 0 },
	/* the hook */
	{ "pysec.timeBudget", SETTING_SECONDS, 0, NULL, 0 },
	{ "pysec.timeBudgetPerFile", SETTING_SECONDS, 0, NULL, 0 },
	{ "pysec.maxCommits", SETTING_NUMBER, 100000000, NULL, 0 },
	{ "pysec.onError", SETTING_CHOICE, 0, on_error, 0 },
	{ "pysec.bypassUsers", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.userVariable", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.bypassLog", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.allowInTreeConfig", SETTING_BOOL, 0, NULL, 0 },
	{ "pysec.daemonSocket", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemonTimeout", SETTING_SECONDS, 0, NULL, 0 },
	{ "pysec.daemonUser", SETTING_TEXT, 0, NULL, 0 },
	/* git pysec review */
	{ "pysec.review.forge", SETTING_CHOICE, 0, forges, 0 },
	{ "pysec.review.url", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.project", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.request", SETTING_NUMBER, UINT64_MAX, NULL, 0 },
	{ "pysec.review.tokenFile", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.tokenEnv", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.botLogin", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.caBundle", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.maxComments", SETTING_NUMBER, 100000, NULL, 0 },
	{ "pysec.review.statusName", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.targetUrl", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.review.timeout", SETTING_NUMBER, 3600, NULL, 0 },
	{ "pysec.review.connectTimeout", SETTING_NUMBER, 3600, NULL, 0 },
	{ "pysec.review.retries", SETTING_NUMBER, 20, NULL, 0 },
	{ "pysec.review.retryBaseMs", SETTING_NUMBER, 600000, NULL, 0 },
	{ "pysec.review.retryMaxMs", SETTING_NUMBER, 3600000, NULL, 0 },
	{ "pysec.review.maxWait", SETTING_NUMBER, 3600, NULL, 0 },
	{ "pysec.review.maxInFlight", SETTING_NUMBER, 16, NULL, 0 },
	{ "pysec.review.gitlabEncoding", SETTING_CHOICE, 0, encodings, 0 },
	/* git pysec serve: read through this table, the values checked by the daemon (daemon/config.c) */
	{ "pysec.daemon.root", SETTING_TEXT, 0, NULL, 1 },
	{ "pysec.daemon.allowUser", SETTING_TEXT, 0, NULL, 1 },
	{ "pysec.daemon.allowGroup", SETTING_TEXT, 0, NULL, 1 },
	{ "pysec.daemon.socketGroup", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.listen", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.queueDb", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.queueSync", SETTING_CHOICE, 0, syncs, 0 },
	{ "pysec.daemon.queueLease", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.queuePasswordFile", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.project", SETTING_TEXT, 0, NULL, 1 },
	{ "pysec.daemon.workers", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.queue", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.requestTimeout", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.cacheEntries", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.cacheBytes", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.maxBody", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.maxPending", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.reviewWorkers", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.attempts", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.backoffMs", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.backoffMaxMs", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.daemon.stopTimeout", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.gitlab.url", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.gitlab.tokenFile", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.gitlab.secretFile", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.gitea.url", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.gitea.tokenFile", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.gitea.secretFile", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.github.url", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.github.tokenFile", SETTING_TEXT, 0, NULL, 0 },
	{ "pysec.github.secretFile", SETTING_TEXT, 0, NULL, 0 },
};

/* The subsections that are the front ends' own; any other is a group of rule options. */
static const char *const own_sections[] = { "pysec.review.", "pysec.daemon.", "pysec.gitlab.", "pysec.gitea.",
	"pysec.github." };

const struct setting *setting_find(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		if (!strcasecmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

const struct setting *setting_at(size_t i)
{
	return i < ARRAY_SIZE(settings) ? &settings[i] : NULL;
}

int setting_in_own_section(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(own_sections); i++)
		if (!strncasecmp(key, own_sections[i], strlen(own_sections[i])))
			return 1;
	return 0;
}

const char *setting_suggest(const char *key)
{
	struct suggest s;
	size_t i;

	suggest_init(&s, key);
	for (i = 0; i < ARRAY_SIZE(settings); i++)
		suggest_try(&s, settings[i].key);
	return suggest_best(&s);
}

int setting_parse_seconds(double *out, const char *s)
{
	char *end;
	double d;

	/* git-config has no fractions: strtod's, in the C locale (a library never sets another) */
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	d = strtod(s, &end);
	if (end == s || *end || !(d >= 0 && d <= 86400.0 * 365))
		return -1;
	*out = d;
	return 0;
}

static int check_choice(const struct setting *s, const char *value)
{
	struct buf b = BUF_INIT(4096);
	size_t i;
	int rc;

	for (i = 0; s->choices[i]; i++)
		if (!strcmp(s->choices[i], value))
			return 0;
	buf_puts(&b, "(");
	for (i = 0; s->choices[i]; i++)
		buf_printf(&b, "%s%s", i ? s->choices[i + 1] ? ", " : " or " : "", s->choices[i]);
	buf_puts(&b, ")");
	rc = error_set(PYSEC_EINVALID, "%s", buf_cstr(&b));
	buf_free(&b);
	return rc;
}

int setting_check_value(const struct setting *s, const char *value)
{
	unsigned long long n;
	double d;
	int b;

	switch (s->kind) {
	case SETTING_BOOL:
		if (git_config_parse_bool(&b, value) == 0)
			return 0;
		git_error_clear();
		return error_set(PYSEC_EINVALID, "(true or false)");
	case SETTING_LEVEL:
		if (pysec_level_parse(value))
			return 0;
		return error_set(PYSEC_EINVALID, "(low, medium or high)");
	case SETTING_NUMBER:
		if (config_parse_uint(&n, value, s->max) == 0)
			return 0;
		return error_set(PYSEC_EINVALID, "(a whole number up to %llu; k, m and g multiply by 1024)", s->max);
	case SETTING_SECONDS:
		if (setting_parse_seconds(&d, value) == 0)
			return 0;
		return error_set(PYSEC_EINVALID, "(seconds, such as 4 or 0.5)");
	case SETTING_CHOICE:
		return check_choice(s, value);
	default:
		return 0;
	}
}
