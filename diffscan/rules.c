/*
 * rules.c: the rule file format (rules/README.md has it for rule authors).
 *
 * A line-oriented format, so that every error can name its file and line:
 *
 *     option NAME VALUE...          a default the configuration may replace
 *     alias NAME ID                 another tool's id for rule ID (Ruff's S602)
 *     rule ID                       starts a rule; metadata lines follow
 *     match KIND [NAME...]          starts a clause; its conditions follow
 *     when PREDICATE [ARG...]       the clause needs this to hold
 *     unless PREDICATE [ARG...]     ... or this not to hold
 *
 * Arguments are separated by white space; "double quotes" keep spaces, and
 * `$option` stands for the option's values.  Within a rule the first clause
 * that holds for a node wins, so a specific clause goes before a general one.
 *
 * A rule set keeps a copy of each file's text in its pool, and the parse
 * cuts it in place: an argument or a text is a NUL-terminated run of that
 * copy, an option's values are shared by every line that names them, and
 * nothing is freed before the whole set is (the built-in rules are read on
 * every push that adds a line: as some 5,000 allocations and frees, they
 * cost about what the scan of a one-function push costs).
 */
#include "rules.h"
#include "pysec.h"
#include "util.h"
#include "config.h"
#include "predicates.h"
#include "secrets.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

struct parser {
	struct rule_set *set;
	const struct pysec_config *cfg;
	const char *origin;
	unsigned line;
	struct rule *rule;	/* the rule being read, or NULL */
	unsigned rule_line;	/* where it started: a rule's own faults are reported there */
	struct clause *clause;	/* its clause being read, or NULL */
	size_t expanded;	/* bytes $options have expanded to in this file so far */
	char **argv;		/* split_args' scratch vector */
	size_t argcap;
	const char *source;	/* the origin, in the set's pool (each rule's info.source) */
	struct buf example;	/* the rule's `example` lines, joined */
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(PYSEC_EINVALID, "%s:%u: %s", p->origin, p->line, msg);
}

/* Is `key` the word `name`?  Inline, so that most keys are told apart by their first letter. */
static inline int is_key(const char *key, const char *name)
{
	return key[0] == name[0] && !strcmp(key, name);
}

/* Do `a` and `b` differ in more than case?  The first letters decide most (a word's first byte, folded). */
static inline int differs_ignoring_case(const char *a, const char *b)
{
	return (a[0] | 0x20) != (b[0] | 0x20) || strcasecmp(a, b);
}

static struct option *option_find(const struct rule_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->nopts; i++)
		if (!differs_ignoring_case(set->options[i].name, name))
			return &set->options[i];
	return NULL;
}

/*
 * The most arguments one line may expand to: an option names others
 * ($name), so a file of `option x $x $x` lines would double x with each
 * line (found by fuzz_rules: 25 s and 2 GB for a 3 KB file).
 */
#define MAX_ARGS 10000
/*
 * The most bytes (with a pointer for each argument) $options may expand to
 * in one file: the line's cap alone still let each line of a 64 KB file
 * copy 10000 long values (found by fuzz_rules: 1 GB).  The built-in files
 * expand to about 1 KB each.
 */
#define MAX_EXPANDED (4u << 20)

/*
 * Split `s`, a line of the set's copy of the file, into arguments in place
 * (each is NUL-terminated where it ends), expanding $options.  Quotes keep
 * white space.  *out is a vector in the set's pool, NULL-terminated.
 */
static int split_args(struct parser *p, char *s, char ***out, size_t *n)
{
	size_t len = 0;

	while (*s) {
		char *tok;
		int quoted = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			/* unquoted into the bytes it was read from: never longer */
			char *w = tok = s;
			quoted = 1;
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*w++ = *s;
			}
			if (*s != '"')
				return fail(p, "unterminated quote");
			s++;
			*w = '\0';
		} else {
			tok = s;
			while (*s && !isspace((unsigned char)*s))
				s++;
			if (*s)
				*s++ = '\0';
		}
		if (!quoted && tok[0] == '$' && tok[1]) {
			const struct option *o = option_find(p->set, tok + 1);
			size_t i;
			if (!o)
				return fail(p, "unknown option '%s' (declare it with `option`)", tok + 1);
			if (len + o->nvalues > MAX_ARGS)
				return fail(p, "'$%s' makes the line longer than %d arguments", o->name, MAX_ARGS);
			for (i = 0; i < o->nvalues && p->expanded <= MAX_EXPANDED; i++) {
				p->expanded += strlen(o->values[i]) + 1 + sizeof(char *);
				*ARRAY_PUSH(p->argv, len, p->argcap) = o->values[i];
			}
			if (p->expanded > MAX_EXPANDED)
				return fail(p, "'$%s' makes the file's options expand to more than %u MiB",
					o->name, MAX_EXPANDED >> 20);
		} else {
			*ARRAY_PUSH(p->argv, len, p->argcap) = tok;
		}
	}
	*out = pool_alloc(&p->set->pool, (len + 1) * sizeof(**out));
	if (len)
		memcpy(*out, p->argv, len * sizeof(**out));
	(*out)[len] = NULL;
	*n = len;
	return 0;
}

static const struct { const char *name; enum match_kind kind; } kinds[] = {
	{ "call", KIND_CALL }, { "import", KIND_IMPORT }, { "assert", KIND_ASSERT },
	{ "except", KIND_EXCEPT }, { "string", KIND_STRING }, { "keyword", KIND_KEYWORD },
	{ "default", KIND_DEFAULT }, { "source", KIND_SOURCE }, { "line", KIND_LINE },
};

const char *match_kind_name(enum match_kind kind);
const char *match_kind_name(enum match_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "?";
}

/* The configuration's values for option `name` (pysec.NAME), in the set's pool; 0 when it has none. */
static size_t configured_values(struct parser *p, const char *name, char ***out)
{
	char **cfgv = NULL, *key;
	size_t n, i;

	if (!p->cfg)
		return 0;
	key = xasprintf("pysec.%s", name);
	n = config_list(p->cfg, key, &cfgv);
	free(key);
	if (n) {
		*out = pool_alloc(&p->set->pool, (n + 1) * sizeof(**out));
		for (i = 0; i < n; i++)
			(*out)[i] = pool_strndup(&p->set->pool, cfgv[i], strlen(cfgv[i]));
		(*out)[n] = NULL;
	}
	for (i = 0; i < n; i++)
		free(cfgv[i]);
	free(cfgv);
	return n;
}

static int parse_option(struct parser *p, char *rest)
{
	struct option *o;
	char **args;
	size_t nargs, ncfg;
	int rc;

	if (p->rule)
		return fail(p, "`option` must come before the first rule of a file");
	if ((rc = split_args(p, rest, &args, &nargs)) < 0)
		return rc;
	if (nargs < 1)
		return fail(p, "`option` needs a name");
	o = option_find(p->set, args[0]);
	if (!o) {
		o = ARRAY_PUSH(p->set->options, p->set->nopts, p->set->optcap);
		o->name = args[0];
	}
	/* the configuration (pysec.NAME) replaces the default as a whole */
	if ((ncfg = configured_values(p, o->name, &o->values)) != 0) {
		o->nvalues = ncfg;
	} else {
		o->values = args + 1;
		o->nvalues = nargs - 1;
	}
	return 0;
}

static void regex_free(void *v)
{
	struct regex *r = v;

	if (r->fast != r->code)
		pcre2_code_free(r->fast);
	pcre2_code_free(r->code);
	free(r);
}

/* The set's regex for `pattern` (compiled on its first use) in *out; an error when it does not compile. */
static int regex_get(struct regex **out, struct parser *p, const char *pattern, const char *for_what)
{
	size_t len = strlen(pattern);
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	pcre2_code *code;
	int errcode;

	if ((*out = strmap_get(&p->set->regexes, pattern, len)) != NULL)
		return 0;
	code = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errcode, &erroff, NULL);
	if (!code) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return fail(p, "bad regex for '%s' at offset %zu: %s", for_what, (size_t)erroff, (const char *)msg);
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->code = code;
	p->set->regexes.free_value = regex_free;
	strmap_put(&p->set->regexes, pattern, len, *out);
	return 0;
}

/* What a rule holds outside the set's pool. */
static void rule_free(struct rule *r)
{
	size_t i;

	for (i = 0; i < r->nclauses; i++) {
		pcre2_code_free(r->clauses[i].suggest_re);
		free(r->clauses[i].preds);
	}
	free(r->clauses);
}

static int valid_id(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* `alias NAME ID`: NAME names rule ID wherever an id is taken; a later alias of NAME replaces it. */
static int parse_alias(struct parser *p, char *rest)
{
	struct rule_set *set = p->set;
	struct alias *a = NULL;
	char **args;
	size_t nargs, i;
	int rc;

	if (p->rule)
		return fail(p, "`alias` must come before the first rule of a file");
	if ((rc = split_args(p, rest, &args, &nargs)) < 0)
		return rc;
	if (nargs != 2 || !valid_id(args[0]) || !valid_id(args[1]) || strlen(args[0]) > 32 || strlen(args[1]) > 32)
		return fail(p, "`alias` takes a name and a rule id, each of letters, digits, '-' and '_'");
	for (i = 0; i < set->naliases && !a; i++)
		if (!differs_ignoring_case(set->aliases[i].name, args[0]))
			a = &set->aliases[i];
	if (!a)
		a = ARRAY_PUSH(set->aliases, set->naliases, set->aliascap);
	a->name = args[0];
	a->id = args[1];
	return 0;
}

/* Check the rule just finished; it replaces any earlier rule with its id. */
/* What is wrong with a whole rule, or NULL. */
static const char *rule_fault(const struct rule *r)
{
	size_t i;

	if (!r->info.message)
		return "has no `message`";
	if (!r->info.severity || !r->info.confidence)
		return "needs `severity` and `confidence`";
	if (!r->nclauses)
		return "has no `match`";
	for (i = 0; i < r->nclauses; i++) {
		const struct clause *c = &r->clauses[i];
		if (c->kind == KIND_LINE && (!c->npreds || c->preds[0].negate ||
					     strcmp(c->preds[0].def->name, "line-matches")))
			return "has a `match line` clause that does not start with `when line-matches REGEX`";
	}
	return NULL;
}

/*
 * Check the rule just read (its faults are reported at its `rule` line and
 * it is dropped); it replaces any earlier rule with its id.
 */
static int finish_rule(struct parser *p)
{
	struct rule *r = p->rule;
	struct rule_set *set = p->set;
	const char *fault;
	size_t i, self;

	if (!r)
		return 0;
	p->rule = NULL;
	p->clause = NULL;
	if (p->example.len) {
		r->info.example = pool_strndup(&set->pool, p->example.ptr, p->example.len);
		p->example.len = 0;
	}
	if ((fault = rule_fault(r)) != NULL) {
		int rc;
		p->line = p->rule_line;
		rc = fail(p, "rule %s %s", r->info.id, fault);
		rule_free(r);
		set->len--;
		return rc;
	}
	/* r is the last rule; one with its id before it takes its place */
	self = (size_t)(r - set->rules);
	for (i = 0; i < self; i++) {
		if (!strcmp(set->rules[i].info.id, r->info.id)) {
			size_t k;
			rule_free(&set->rules[i]);
			set->rules[i] = *r;
			set->len--;
			for (k = 0; k < set->rules[i].nclauses; k++)
				set->rules[i].clauses[k].rule = i;
			break;
		}
	}
	return 0;
}

static int parse_rule(struct parser *p, char *rest)
{
	struct rule *r;
	char **args;
	size_t nargs;
	int rc;

	if ((rc = finish_rule(p)) < 0)
		return rc;
	if ((rc = split_args(p, rest, &args, &nargs)) < 0)
		return rc;
	if (nargs != 1 || !valid_id(args[0]) || strlen(args[0]) > 32)
		return fail(p, "`rule` takes one id of letters, digits, '-' and '_'");
	if (!p->source)
		p->source = pool_strndup(&p->set->pool, p->origin, strlen(p->origin));
	r = ARRAY_PUSH(p->set->rules, p->set->len, p->set->cap);
	memset(r, 0, sizeof(*r));
	p->rule_line = p->line;
	r->info.id = args[0];
	r->info.name = r->info.id;
	r->info.enabled = 1;
	r->info.source = p->source;
	p->rule = r;
	p->clause = NULL;
	return 0;
}

static int parse_level(struct parser *p, const char *key, const char *value, pysec_level *out)
{
	pysec_level l = pysec_level_parse(value);

	if (!l)
		return fail(p, "`%s` is low, medium or high, not '%s'", key, value);
	*out = l;
	return 0;
}

/*
 * title, message, fix, why, name: the rest of the line is the text (in the
 * set's copy of the file); example: its lines are joined, at the rule's end.
 */
static int parse_text(struct parser *p, const char *key, const char *value)
{
	static const char *keys[] = { "name", "title", "message", "fix", "why", "example" };
	struct rule *r = p->rule;
	const char **slot[] = { &r->info.name, &r->info.title, &r->info.message, &r->info.fix,
		&r->info.why, NULL };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!is_key(key, keys[i]))
			continue;
		if (!*value)
			return fail(p, "`%s` needs a value", key);
		if (slot[i]) {
			*slot[i] = value;
		} else if ((p->example.len && buf_put(&p->example, "\n", 1) < 0) ||
			   buf_puts(&p->example, value) < 0) {
			return fail(p, "the rule's example is longer than its file");
		}
		return 1;
	}
	return 0;
}

static int parse_match(struct parser *p, char *rest)
{
	struct rule *r = p->rule;
	struct clause *c;
	char **args;
	size_t nargs, i;
	int rc;

	if ((rc = split_args(p, rest, &args, &nargs)) < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (nargs && is_key(args[0], kinds[i].name))
			break;
	if (i == ARRAY_SIZE(kinds))
		return fail(p, "unknown match kind '%s' (call, import, assert, except, string, keyword, default, source, line)",
			nargs ? args[0] : "");
	if ((kinds[i].kind == KIND_CALL || kinds[i].kind == KIND_IMPORT) && nargs < 2)
		return fail(p, "`match %s` needs at least one name", kinds[i].name);
	if (kinds[i].kind != KIND_CALL && kinds[i].kind != KIND_IMPORT && nargs > 1)
		return fail(p, "`match %s` takes no names", kinds[i].name);
	r->clauses = xrealloc(r->clauses, (r->nclauses + 1) * sizeof(*r->clauses));
	c = &r->clauses[r->nclauses++];
	memset(c, 0, sizeof(*c));
	c->kind = kinds[i].kind;
	c->rule = (size_t)(r - p->set->rules);
	c->names = args + 1;
	c->nnames = nargs - 1;
	p->clause = c;
	return 0;
}

static int parse_number(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_pred(struct parser *p, char *rest, int negate)
{
	struct clause *c = p->clause;
	struct pred *pr;
	const struct pred_def *def;
	char **args;
	size_t nargs;
	int rc;

	if (!c)
		return fail(p, "`%s` must follow a `match`", negate ? "unless" : "when");
	if ((rc = split_args(p, rest, &args, &nargs)) < 0)
		return rc;
	def = nargs ? pred_lookup(args[0]) : NULL;
	if (nargs && !def)
		def = line_pred_lookup(args[0]);
	if (!def)
		return fail(p, "unknown predicate '%s' (rules/README.md lists them)", nargs ? args[0] : "");
	if (!(def->kinds & (1u << c->kind)))
		return fail(p, "predicate '%s' does not apply to `match %s`", def->name, match_kind_name(c->kind));
	if ((int)nargs - 1 < def->min_args || (def->max_args >= 0 && (int)nargs - 1 > def->max_args))
		return fail(p, "predicate '%s' takes %d to %d arguments, not %zu", def->name,
			def->min_args, def->max_args, nargs - 1);
	c->preds = xrealloc(c->preds, (c->npreds + 1) * sizeof(*c->preds));
	pr = &c->preds[c->npreds++];
	memset(pr, 0, sizeof(*pr));
	pr->def = def;
	pr->negate = negate;
	args++;
	pr->args = args;
	pr->nargs = nargs - 1;
	if (def->number_arg >= 0 && parse_number(args[def->number_arg], &pr->number) < 0)
		return fail(p, "predicate '%s' wants a number, not '%s'", def->name, args[def->number_arg]);
	if (def->regex_arg >= 0)
		return regex_get(&pr->re, p, args[def->regex_arg], def->name);
	return 0;
}

/* suggest FROM TO: the clause's fix as a rewrite of the flagged line (a PCRE2 substitution). */
static int parse_suggest(struct parser *p, char *rest)
{
	char **args;
	size_t nargs;
	int rc, errcode;
	PCRE2_SIZE erroff;

	if (!p->clause)
		return fail(p, "`suggest` belongs to a clause (after `match`)");
	if ((rc = split_args(p, rest, &args, &nargs)) < 0)
		return rc;
	if (nargs != 2)
		return fail(p, "`suggest` takes a regex and its replacement");
	pcre2_code_free(p->clause->suggest_re);
	p->clause->suggest_re = pcre2_compile((PCRE2_SPTR)args[0], PCRE2_ZERO_TERMINATED,
		PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errcode, &erroff, NULL);
	p->clause->suggest_to = args[1];
	if (!p->clause->suggest_re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return fail(p, "bad regex for `suggest` at offset %zu: %s", (size_t)erroff, (const char *)msg);
	}
	return 0;
}

static int parse_line(struct parser *p, const char *key, char *rest)
{
	struct rule *r = p->rule;
	int rc;

	if (is_key(key, "option"))
		return parse_option(p, rest);
	if (is_key(key, "alias"))
		return parse_alias(p, rest);
	if (is_key(key, "rule"))
		return parse_rule(p, rest);
	if (!r)
		return fail(p, "'%s' outside a rule (start one with `rule ID`)", key);
	if (is_key(key, "match"))
		return parse_match(p, rest);
	if (is_key(key, "when") || is_key(key, "unless"))
		return parse_pred(p, rest, key[0] == 'u');
	if (is_key(key, "severity"))
		return parse_level(p, key, rest, p->clause ? &p->clause->severity : &r->info.severity);
	if (is_key(key, "confidence"))
		return parse_level(p, key, rest, p->clause ? &p->clause->confidence : &r->info.confidence);
	if (is_key(key, "suggest"))
		return parse_suggest(p, rest);
	if (p->clause && is_key(key, "message") && *rest) {
		p->clause->message = rest;
		return 0;
	}
	if (p->clause)
		return fail(p, "'%s' belongs before the first `match` of the rule", key);
	if (is_key(key, "cwe")) {
		long v;
		if (parse_number(rest, &v) < 0 || v < 0 || v > 100000)
			return fail(p, "`cwe` takes a number, not '%s'", rest);
		r->info.cwe = (int)v;
		return 0;
	}
	if (is_key(key, "mask")) {
		if (strcmp(rest, "strings"))
			return fail(p, "`mask` takes `strings`");
		r->mask_strings = 1;
		return 0;
	}
	if (is_key(key, "enabled")) {
		r->info.enabled = strcmp(rest, "false") != 0;
		return 0;
	}
	if ((rc = parse_text(p, key, rest)) != 0)
		return rc < 0 ? rc : 0;
	return fail(p, "unknown key '%s'", key);
}

int rules_parse(struct rule_set *set, const char *origin, const char *text, size_t len,
	const struct pysec_config *cfg)
{
	struct parser p = { set, cfg, origin, 0, NULL, 0, NULL, 0, NULL, 0, NULL, BUF_INIT(len + 1) };
	const char *s = text, *end = text + len;
	char *copy;
	int rc = 0;

	if ((s = memchr(text, '\0', len)) != NULL) {
		unsigned at = 1;
		const char *t;
		for (t = text; t < s; t++)
			at += *t == '\n';
		return error_set(PYSEC_EINVALID, "%s:%u: a rule file is text, this one has a NUL byte", origin, at);
	}
	/* one copy, kept by the set and cut in place */
	s = copy = pool_strndup(&set->pool, text, len);
	end = copy + len;
	while (s < end && rc == 0) {
		char *line = (char *)s, *eol = memchr(line, '\n', (size_t)(end - s)), *key, *rest;
		size_t klen;

		p.line++;
		if (eol)
			*eol = '\0';
		s = eol ? eol + 1 : end;
		for (key = line; isspace((unsigned char)*key); key++)
			;
		/* trailing white space (and a CR) is not part of any value */
		for (rest = key + strlen(key); rest > key && isspace((unsigned char)rest[-1]); rest--)
			rest[-1] = '\0';
		if (*key && *key != '#') {
			for (klen = 0; key[klen] && !isspace((unsigned char)key[klen]); klen++)
				;
			rest = key + klen;
			if (*rest)
				*rest++ = '\0';
			while (isspace((unsigned char)*rest))
				rest++;
			rc = parse_line(&p, key, rest);
		}
	}
	if (rc == 0)
		rc = finish_rule(&p);
	else if (p.rule) {
		/* drop the half-read rule */
		rule_free(p.rule);
		set->len--;
	}
	free(p.argv);
	buf_free(&p.example);
	return rc;
}

void rules_clear(struct rule_set *set)
{
	size_t i;

	for (i = 0; i < set->len; i++)
		rule_free(&set->rules[i]);
	free(set->rules);
	free(set->options);
	free(set->aliases);
	strmap_clear(&set->regexes);
	pool_clear(&set->pool);
	memset(set, 0, sizeof(*set));
}
