/*
 * test_rules.c: the rule file format, read by rules_parse() (rules.c).
 *
 * A rule file is line-oriented so that every error can name its place:
 * each failure is PYSEC_EINVALID with pysec_error_last() reading
 * "ORIGIN:LINE: message", LINE being the 1-based line at fault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "builtin.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>

#define ORIGIN "t.rule"

static int parse_len(struct rule_set *set, const char *text, size_t len, const pysec_config *cfg)
{
	return rules_parse(set, ORIGIN, text, len, cfg);
}

static int parse(struct rule_set *set, const char *text, const pysec_config *cfg)
{
	return parse_len(set, text, strlen(text), cfg);
}

static const struct rule *find_rule(const struct rule_set *set, const char *id)
{
	size_t i;

	for (i = 0; i < set->len; i++)
		if (!strcmp(set->rules[i].info.id, id))
			return &set->rules[i];
	return NULL;
}

/* The strings as one "a|b|c" string, for comparisons. */
static const char *joined(char *const *v, size_t n)
{
	static char out[1024];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "|" : "", v[i]);
	return out;
}

/*
 * Parsing `text` fails with PYSEC_EINVALID, the error names ORIGIN and
 * `line`, and its message holds `what`.
 */
#define assert_parse_error(text, line, what) \
	assert_parse_error_len((text), strlen(text), (line), (what), __FILE__, __LINE__)

static void assert_parse_error_len(const char *text, size_t len, unsigned line, const char *what,
	const char *file, int at)
{
	struct rule_set set = { 0 };
	char prefix[64], msg[1024];
	int rc;

	rc = parse_len(&set, text, len, NULL);
	snprintf(msg, sizeof(msg), "%s", pysec_error_last());
	rules_clear(&set);
	snprintf(prefix, sizeof(prefix), ORIGIN ":%u: ", line);
	if (rc != PYSEC_EINVALID)
		print_error("expected PYSEC_EINVALID, got %d (%s)\n", rc, msg);
	else if (strncmp(msg, prefix, strlen(prefix)) != 0)
		print_error("expected an error starting \"%s\", got \"%s\"\n", prefix, msg);
	else if (!strstr(msg, what))
		print_error("expected an error holding \"%s\", got \"%s\"\n", what, msg);
	else
		return;
	_fail(file, at);
}

/* A complete rule with the metadata every rule needs, for error tests to build on. */
#define HEADER(id) \
	"rule " id "\n" \
	"severity low\n" \
	"confidence high\n" \
	"message m\n"

/* --- a valid rule ------------------------------------------------------------- */

static void valid_rule_is_read_in_full(void **state)
{
	static const char text[] =
		"# a comment, then a blank line\n"
		"\n"
		"rule T1\n"
		"name        test_rule\n"
		"title       a title\n"
		"severity    medium\n"
		"confidence  high\n"
		"cwe         78\n"
		"message     the rule's message\n"
		"fix         the fix\n"
		"why         the reason\n"
		"example     first line\n"
		"example     second line\n"
		"match call os.system subprocess.*\n"
		"  when kwarg-truthy shell\n"
		"  unless arg-string 0\n"
		"  severity high\n"
		"  message the clause's message\n"
		"match assert\n";
	struct rule_set set = { 0 };
	const struct rule *r;
	const struct clause *c;

	assert_int_equal(parse(&set, text, NULL), 0);
	assert_int_equal(set.len, 1);
	r = &set.rules[0];
	assert_string_equal(r->info.id, "T1");
	assert_string_equal(r->info.name, "test_rule");
	assert_string_equal(r->info.title, "a title");
	assert_int_equal(r->info.severity, PYSEC_LEVEL_MEDIUM);
	assert_int_equal(r->info.confidence, PYSEC_LEVEL_HIGH);
	assert_int_equal(r->info.cwe, 78);
	assert_string_equal(r->info.message, "the rule's message");
	assert_string_equal(r->info.fix, "the fix");
	assert_string_equal(r->info.why, "the reason");
	assert_string_equal(r->info.example, "first line\nsecond line");
	assert_string_equal(r->info.source, ORIGIN);
	assert_true(r->info.enabled);
	assert_int_equal(r->nclauses, 2);

	c = &r->clauses[0];
	assert_int_equal(c->kind, KIND_CALL);
	assert_string_equal(joined(c->names, c->nnames), "os.system|subprocess.*");
	assert_int_equal(c->npreds, 2);
	assert_string_equal(c->preds[0].def->name, "kwarg-truthy");
	assert_false(c->preds[0].negate);
	assert_string_equal(joined(c->preds[0].args, c->preds[0].nargs), "shell");
	assert_string_equal(c->preds[1].def->name, "arg-string");
	assert_true(c->preds[1].negate);
	assert_int_equal(c->preds[1].number, 0);
	assert_int_equal(c->severity, PYSEC_LEVEL_HIGH);
	assert_int_equal(c->confidence, PYSEC_LEVEL_UNSET);	/* the rule's applies */
	assert_string_equal(c->message, "the clause's message");
	assert_int_equal(c->rule, 0);

	c = &r->clauses[1];
	assert_int_equal(c->kind, KIND_ASSERT);
	assert_int_equal(c->nnames, 0);
	assert_int_equal(c->npreds, 0);
	assert_null(c->message);
	assert_int_equal(c->rule, 0);
	rules_clear(&set);
}

static void name_defaults_to_id_and_enabled_can_be_false(void **state)
{
	struct rule_set set = { 0 };

	assert_int_equal(parse(&set, HEADER("T2") "enabled false\nmatch assert\n", NULL), 0);
	assert_string_equal(set.rules[0].info.name, "T2");
	assert_null(set.rules[0].info.title);
	assert_int_equal(set.rules[0].info.cwe, 0);
	assert_false(set.rules[0].info.enabled);
	rules_clear(&set);
}

static void quotes_keep_white_space_and_escapes(void **state)
{
	struct rule_set set = { 0 };
	const struct pred *p;

	assert_int_equal(parse(&set, HEADER("Q")
		"match string\n"
		"  when equals \"two words\" \"say \\\"hi\\\"\" plain \"back\\\\slash\"\n", NULL), 0);
	p = &set.rules[0].clauses[0].preds[0];
	assert_int_equal(p->nargs, 4);
	assert_string_equal(p->args[0], "two words");
	assert_string_equal(p->args[1], "say \"hi\"");
	assert_string_equal(p->args[2], "plain");
	assert_string_equal(p->args[3], "back\\slash");
	rules_clear(&set);
}

static void crlf_line_endings_are_accepted(void **state)
{
	struct rule_set set = { 0 };

	assert_int_equal(parse(&set, "rule CR\r\nseverity low\r\nconfidence low\r\n"
		"message m\r\nmatch call eval\r\n", NULL), 0);
	assert_string_equal(set.rules[0].info.message, "m");
	assert_string_equal(set.rules[0].clauses[0].names[0], "eval");
	rules_clear(&set);
}

/* --- errors name their line --------------------------------------------------- */

static void error_unknown_key(void **state)
{
	assert_parse_error(HEADER("E") "colour red\nmatch assert\n", 5, "unknown key 'colour'");
}

static void alias_names_a_rule_by_another_id(void **state)
{
	struct rule_set set = { 0 };

	assert_int_equal(parse(&set, "alias S1 E\nalias x-2 E\nalias S1 F\n" HEADER("E") "match assert\n", NULL), 0);
	assert_ptr_equal(rules_find(&set, "E", 1), &set.rules[0]);
	assert_ptr_equal(rules_find(&set, "X-2", 3), &set.rules[0]);
	assert_null(rules_find(&set, "S1", 2));	/* the later alias names F, which no rule is */
	assert_null(rules_find(&set, "X", 1));
	rules_clear(&set);
	assert_parse_error("alias S1\n", 1, "`alias` takes a name and a rule id");
	assert_parse_error("alias S1 B 602\n", 1, "`alias` takes a name and a rule id");
	assert_parse_error(HEADER("E") "alias S1 E\nmatch assert\n", 5, "`alias` must come before the first rule");
}

static void error_unknown_predicate(void **state)
{
	assert_parse_error(HEADER("E") "match assert\n  when no-such-predicate\n", 6,
		"unknown predicate 'no-such-predicate'");
}

static void error_predicate_with_too_few_arguments(void **state)
{
	assert_parse_error(HEADER("E") "match call f\n  when kwarg\n", 6,
		"predicate 'kwarg' takes");
}

static void error_predicate_with_too_many_arguments(void **state)
{
	assert_parse_error(HEADER("E") "match call f\n\n  when kwarg shell extra\n", 7,
		"predicate 'kwarg' takes");
}

static void error_predicate_not_for_this_match_kind(void **state)
{
	assert_parse_error(HEADER("E") "match assert\n  when kwarg shell\n", 6,
		"predicate 'kwarg' does not apply to `match assert`");
	assert_parse_error(HEADER("E") "match call f\n  when equals x\n", 6,
		"predicate 'equals' does not apply to `match call`");
}

static void error_predicate_wants_a_number(void **state)
{
	assert_parse_error(HEADER("E") "match call f\n  when arg-string first\n", 6,
		"wants a number, not 'first'");
}

static void error_bad_level(void **state)
{
	assert_parse_error("rule E\nseverity extreme\n", 2,
		"`severity` is low, medium or high, not 'extreme'");
	assert_parse_error(HEADER("E") "match assert\n  confidence sure\n", 6,
		"`confidence` is low, medium or high, not 'sure'");
}

static void error_incomplete_rule_names_its_rule_line(void **state)
{
	/*
	 * What a rule lacks (a message, its levels, a match) is known only
	 * when the rule ends: at the end of the file, or at the next rule's
	 * `rule` line (line 6 below, which has nothing wrong with it).  The
	 * error names the incomplete rule's own `rule` line.
	 */
	assert_parse_error("rule E\nseverity low\nconfidence low\nmatch assert\n\n" HEADER("OK")
		"match assert\n", 1, "rule E has no `message`");
	assert_parse_error("\nrule E\nseverity low\nconfidence low\nmatch assert\n", 2,
		"rule E has no `message`");
	assert_parse_error("rule E\nmessage m\nmatch assert\n", 1,
		"rule E needs `severity` and `confidence`");
	assert_parse_error(HEADER("E") "\n# no match\n", 1, "rule E has no `match`");
}

static void error_match_before_rule(void **state)
{
	assert_parse_error("# no rule yet\nmatch call eval\n", 2, "'match' outside a rule");
	assert_parse_error("\n\n\nwhen kwarg shell\n", 4, "'when' outside a rule");
}

static void error_when_before_match(void **state)
{
	assert_parse_error(HEADER("E") "when kwarg shell\n", 5, "`when` must follow a `match`");
}

static void error_metadata_after_match(void **state)
{
	assert_parse_error(HEADER("E") "match assert\ncwe 1\n", 6, "'cwe' belongs before the first `match`");
}

static void error_unknown_match_kind(void **state)
{
	assert_parse_error(HEADER("E") "match lambda\n", 5, "unknown match kind 'lambda'");
	assert_parse_error(HEADER("E") "match call\n", 5, "`match call` needs at least one name");
	assert_parse_error(HEADER("E") "match assert x\n", 5, "`match assert` takes no names");
}

static void error_bad_rule_id(void **state)
{
	assert_parse_error("\nrule 9lives\n", 2, "`rule` takes one id");
	assert_parse_error("rule A B\n", 1, "`rule` takes one id");
	assert_parse_error("rule\n", 1, "`rule` takes one id");
}

static void error_bad_cwe(void **state)
{
	assert_parse_error("rule E\ncwe seventy\n", 2, "`cwe` takes a number, not 'seventy'");
}

static void error_option_after_rule(void **state)
{
	assert_parse_error(HEADER("E") "match assert\noption x y\n", 6,
		"`option` must come before the first rule");
}

static void error_unterminated_quote(void **state)
{
	assert_parse_error(HEADER("E") "match string\n  when equals \"no end\n", 6,
		"unterminated quote");
}

static void error_unknown_option(void **state)
{
	assert_parse_error("option known a b\n" HEADER("E") "match call $unknown\n", 6,
		"unknown option 'unknown'");
}

static void error_bad_regex(void **state)
{
	assert_parse_error(HEADER("E") "match string\n  when text-matches \"(unclosed\"\n", 6,
		"bad regex for 'text-matches'");
	assert_parse_error("option bad.pattern \"[z-a]\"\n" HEADER("E") "match keyword\n"
		"  when name-like $bad.pattern\n", 7, "bad regex for 'name-like'");
}

static void error_nul_byte(void **state)
{
	static const char text[] = HEADER("E") "match call ev\0l\n";

	/* A NUL byte is refused with the line it is on (5), as every other error names its line. */
	assert_parse_error_len(text, sizeof(text) - 1, 5, "NUL", __FILE__, __LINE__);
}

static void error_after_complete_rules_keeps_them(void **state)
{
	struct rule_set set = { 0 };

	assert_int_equal(parse(&set, HEADER("GOOD") "match assert\n" HEADER("BAD") "bogus\n", NULL),
		PYSEC_EINVALID);
	assert_non_null(find_rule(&set, "GOOD"));
	assert_null(find_rule(&set, "BAD"));	/* the half-read rule is dropped */
	rules_clear(&set);
}

static void rule_failing_its_final_check_is_not_kept(void **state)
{
	struct rule_set set = { 0 };
	size_t len;

	/*
	 * A rule that fails the checks made when it ends (here: it has no
	 * message) is dropped: the set keeps no rule with a NULL message.
	 */
	assert_int_equal(parse(&set, "rule NOMSG\nseverity low\nconfidence low\nmatch assert\n", NULL),
		PYSEC_EINVALID);
	len = set.len;
	rules_clear(&set);
	assert_int_equal(len, 0);
}

/* --- a later rule with the same id replaces the earlier ----------------------- */

static void same_id_replaces_earlier_rule(void **state)
{
	struct rule_set set = { 0 };
	const struct rule *a;
	size_t i, k;

	assert_int_equal(parse(&set,
		"rule A\nseverity low\nconfidence low\nmessage first A\nmatch call one\n"
		"rule B\nseverity low\nconfidence low\nmessage only B\nmatch call two\n"
		"rule A\nseverity high\nconfidence high\nmessage second A\nmatch call three\nmatch assert\n",
		NULL), 0);
	assert_int_equal(set.len, 2);
	/* A keeps its place in the load order */
	assert_string_equal(set.rules[0].info.id, "A");
	assert_string_equal(set.rules[1].info.id, "B");
	a = find_rule(&set, "A");
	assert_string_equal(a->info.message, "second A");
	assert_int_equal(a->info.severity, PYSEC_LEVEL_HIGH);
	assert_int_equal(a->nclauses, 2);
	assert_string_equal(a->clauses[0].names[0], "three");
	assert_string_equal(find_rule(&set, "B")->info.message, "only B");
	/* every clause points at its own rule */
	for (i = 0; i < set.len; i++)
		for (k = 0; k < set.rules[i].nclauses; k++)
			assert_int_equal(set.rules[i].clauses[k].rule, i);
	rules_clear(&set);
}

static void rule_in_a_later_file_replaces_earlier_file(void **state)
{
	static const char builtin[] = HEADER("B602") "match call subprocess.call\n";
	static const char local[] = "rule B602\nseverity low\nconfidence low\nmessage local\nmatch call mine\n";
	struct rule_set set = { 0 };

	assert_int_equal(rules_parse(&set, "builtin:x.rule", builtin, strlen(builtin), NULL), 0);
	assert_int_equal(rules_parse(&set, "local/x.rule", local, strlen(local), NULL), 0);
	assert_int_equal(set.len, 1);
	assert_string_equal(set.rules[0].info.message, "local");
	assert_string_equal(set.rules[0].info.source, "local/x.rule");
	assert_string_equal(set.rules[0].clauses[0].names[0], "mine");
	rules_clear(&set);
}

/* --- $option ------------------------------------------------------------------ */

#define OPTIONS_AND_RULE \
	"option shell.funcs os.system os.popen\n" \
	"option secret.pattern \"(?i)pass word|token\"\n" \
	HEADER("O") \
	"match call $shell.funcs eval\n" \
	"match keyword\n" \
	"  when name-like $secret.pattern\n"

static void option_expands_to_its_values(void **state)
{
	struct rule_set set = { 0 };
	const struct rule *r;

	assert_int_equal(parse(&set, OPTIONS_AND_RULE, NULL), 0);
	r = find_rule(&set, "O");
	assert_string_equal(joined(r->clauses[0].names, r->clauses[0].nnames), "os.system|os.popen|eval");
	assert_int_equal(r->clauses[1].preds[0].nargs, 1);
	assert_string_equal(r->clauses[1].preds[0].args[0], "(?i)pass word|token");
	assert_non_null(r->clauses[1].preds[0].re);
	rules_clear(&set);
}

/* A pattern that several predicates name is compiled once: they share it, and its JIT. */
static void one_pattern_is_one_regex(void **state)
{
	struct rule_set set = { 0 };
	const struct pred *a, *b, *other;

	assert_int_equal(parse(&set, OPTIONS_AND_RULE HEADER("P") "match keyword\n"
		"  when name-like $secret.pattern\n"
		"  unless name-like \"(?i)pass word\"\n", NULL), 0);
	a = &find_rule(&set, "O")->clauses[1].preds[0];
	b = &find_rule(&set, "P")->clauses[0].preds[0];
	other = &find_rule(&set, "P")->clauses[0].preds[1];
	assert_non_null(a->re);
	assert_ptr_equal(a->re, b->re);
	assert_ptr_not_equal(a->re, other->re);
	assert_int_equal(set.regexes.len, 2);
	rules_clear(&set);
}

static void option_in_quotes_is_not_expanded(void **state)
{
	struct rule_set set = { 0 };

	assert_int_equal(parse(&set, "option o x y\n" HEADER("Q") "match string\n"
		"  when equals \"$o\" $ $o\n", NULL), 0);
	assert_string_equal(joined(set.rules[0].clauses[0].preds[0].args,
		set.rules[0].clauses[0].preds[0].nargs), "$o|$|x|y");
	rules_clear(&set);
}

static void option_declared_in_one_file_serves_the_next(void **state)
{
	struct rule_set set = { 0 };

	assert_int_equal(parse(&set, "option names a.b c.d\n", NULL), 0);
	assert_int_equal(parse(&set, HEADER("N") "match call $names\n", NULL), 0);
	assert_string_equal(joined(set.rules[0].clauses[0].names, set.rules[0].clauses[0].nnames), "a.b|c.d");
	rules_clear(&set);
}

static void config_replaces_option_values(void **state)
{
	struct rule_set set = { 0 };
	pysec_config *cfg;
	const struct rule *r;

	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.shell.funcs", "a, b"), 0);
	assert_int_equal(parse(&set, OPTIONS_AND_RULE, cfg), 0);
	r = find_rule(&set, "O");
	/* the configured list replaces the default as a whole */
	assert_string_equal(joined(r->clauses[0].names, r->clauses[0].nnames), "a|b|eval");
	/* an option the configuration does not name keeps its default */
	assert_string_equal(r->clauses[1].preds[0].args[0], "(?i)pass word|token");
	rules_clear(&set);
	pysec_config_free(cfg);
}

static void config_pattern_option_is_one_value(void **state)
{
	struct rule_set set = { 0 };
	pysec_config *cfg;
	const struct rule *r;

	/* options named *.pattern hold one regex, which may contain commas and blanks */
	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.secret.pattern", "a, b"), 0);
	assert_int_equal(parse(&set, OPTIONS_AND_RULE, cfg), 0);
	r = find_rule(&set, "O");
	assert_int_equal(r->clauses[1].preds[0].nargs, 1);
	assert_string_equal(r->clauses[1].preds[0].args[0], "a, b");
	rules_clear(&set);
	pysec_config_free(cfg);
}

static void config_with_bad_pattern_is_an_error(void **state)
{
	struct rule_set set = { 0 };
	pysec_config *cfg;
	int rc;

	assert_int_equal(pysec_config_new(&cfg), 0);
	assert_int_equal(pysec_config_set(cfg, "pysec.secret.pattern", "(unclosed"), 0);
	rc = parse(&set, OPTIONS_AND_RULE, cfg);
	rules_clear(&set);
	pysec_config_free(cfg);
	assert_int_equal(rc, PYSEC_EINVALID);
	assert_non_null(strstr(pysec_error_last(), ORIGIN ":9: bad regex for 'name-like'"));
}

static void later_option_declaration_replaces_earlier(void **state)
{
	struct rule_set set = { 0 };

	assert_int_equal(parse(&set, "option o first\noption o second third\n" HEADER("R")
		"match call $o\n", NULL), 0);
	assert_int_equal(set.nopts, 1);
	assert_string_equal(joined(set.rules[0].clauses[0].names, set.rules[0].clauses[0].nnames),
		"second|third");
	rules_clear(&set);
}

/*
 * A clause shares its option's values (rules.c): redefining the option in a
 * later file gives the later rules the new values and leaves the earlier
 * clauses theirs, and the source text the set was given can go.
 */
static void redefined_option_leaves_earlier_clauses_their_values(void **state)
{
	struct rule_set set = { 0 };
	char *first = strdup("option o a.b c.d\n" HEADER("A") "match call $o\n  when callee-in $o\n");

	assert_int_equal(parse(&set, first, NULL), 0);
	memset(first, 'x', strlen(first));
	free(first);
	assert_int_equal(parse(&set, "option o e.f\n" HEADER("B") "match call $o\n", NULL), 0);
	assert_string_equal(joined(set.rules[0].clauses[0].names, set.rules[0].clauses[0].nnames), "a.b|c.d");
	assert_string_equal(joined(set.rules[0].clauses[0].preds[0].args, set.rules[0].clauses[0].preds[0].nargs),
		"a.b|c.d");
	assert_string_equal(joined(set.rules[1].clauses[0].names, set.rules[1].clauses[0].nnames), "e.f");
	assert_string_equal(set.rules[0].info.source, ORIGIN);
	rules_clear(&set);
}

/* An option that names itself twice doubles with each line: it stops at the cap, not at memory's end. */
static void option_doubling_itself_is_refused(void **state)
{
	struct rule_set set = { 0 };
	struct buf text = BUF_INIT(1 << 20);
	int i, rc;

	buf_puts(&text, "option o a\n");
	for (i = 0; i < 40; i++)
		buf_puts(&text, "option o $o $o\n");
	rc = parse(&set, buf_cstr(&text), NULL);
	assert_int_equal(rc, PYSEC_EINVALID);
	assert_non_null(strstr(pysec_error_last(), ":15: '$o' makes the line longer than 10000 arguments"));
	rules_clear(&set);
	buf_free(&text);
}

/* Each line under the cap, the file over what its options may expand to: 10000 copies of 1 KB. */
static void options_expanding_past_the_file_cap_are_refused(void **state)
{
	struct rule_set set = { 0 };
	struct buf text = BUF_INIT(1 << 20);
	int i, rc;

	buf_puts(&text, "option v \"");
	for (i = 0; i < 1000; i++)
		buf_puts(&text, "x");
	buf_puts(&text, "\"\noption w $v $v $v $v $v $v $v $v $v $v\noption y");
	for (i = 0; i < 1000; i++)
		buf_puts(&text, " $w");
	buf_puts(&text, "\n");
	rc = parse(&set, buf_cstr(&text), NULL);
	assert_int_equal(rc, PYSEC_EINVALID);
	assert_non_null(strstr(pysec_error_last(), ":3: '$w' makes the file's options expand to more than 4 MiB"));
	rules_clear(&set);
	buf_free(&text);
}

/* --- the built-in rule files --------------------------------------------------- */

static void builtin_rule_files_parse(void **state)
{
	struct rule_set set = { 0 };
	const struct builtin_file *b;
	size_t files = 0;

	for (b = builtin_rule_files; b->name; b++, files++) {
		int rc = rules_parse(&set, b->name, b->text, strlen(b->text), NULL);
		if (rc != 0)
			fail_msg("%s: %s", b->name, pysec_error_last());
	}
	assert_true(files > 1);
	assert_non_null(find_rule(&set, "B602"));
	assert_non_null(find_rule(&set, "B101"));
	rules_clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_rule_is_read_in_full),
		cmocka_unit_test(redefined_option_leaves_earlier_clauses_their_values),
		cmocka_unit_test(name_defaults_to_id_and_enabled_can_be_false),
		cmocka_unit_test(quotes_keep_white_space_and_escapes),
		cmocka_unit_test(crlf_line_endings_are_accepted),
		cmocka_unit_test(error_unknown_key),
		cmocka_unit_test(alias_names_a_rule_by_another_id),
		cmocka_unit_test(error_unknown_predicate),
		cmocka_unit_test(error_predicate_with_too_few_arguments),
		cmocka_unit_test(error_predicate_with_too_many_arguments),
		cmocka_unit_test(error_predicate_not_for_this_match_kind),
		cmocka_unit_test(error_predicate_wants_a_number),
		cmocka_unit_test(error_bad_level),
		cmocka_unit_test(error_incomplete_rule_names_its_rule_line),
		cmocka_unit_test(error_match_before_rule),
		cmocka_unit_test(error_when_before_match),
		cmocka_unit_test(error_metadata_after_match),
		cmocka_unit_test(error_unknown_match_kind),
		cmocka_unit_test(error_bad_rule_id),
		cmocka_unit_test(error_bad_cwe),
		cmocka_unit_test(error_option_after_rule),
		cmocka_unit_test(error_unterminated_quote),
		cmocka_unit_test(error_unknown_option),
		cmocka_unit_test(error_bad_regex),
		cmocka_unit_test(error_nul_byte),
		cmocka_unit_test(error_after_complete_rules_keeps_them),
		cmocka_unit_test(rule_failing_its_final_check_is_not_kept),
		cmocka_unit_test(same_id_replaces_earlier_rule),
		cmocka_unit_test(rule_in_a_later_file_replaces_earlier_file),
		cmocka_unit_test(option_expands_to_its_values),
		cmocka_unit_test(one_pattern_is_one_regex),
		cmocka_unit_test(option_in_quotes_is_not_expanded),
		cmocka_unit_test(option_declared_in_one_file_serves_the_next),
		cmocka_unit_test(config_replaces_option_values),
		cmocka_unit_test(config_pattern_option_is_one_value),
		cmocka_unit_test(config_with_bad_pattern_is_an_error),
		cmocka_unit_test(later_option_declaration_replaces_earlier),
		cmocka_unit_test(option_doubling_itself_is_refused),
		cmocka_unit_test(options_expanding_past_the_file_cap_are_refused),
		cmocka_unit_test(builtin_rule_files_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
