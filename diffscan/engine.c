/*
 * engine.c: rules compiled for dispatch, and the one walk per file.
 *
 * Why not tree-sitter queries: a query cursor over a whole file costs about
 * a third of the parse for one trivial pattern and two thirds for sixty
 * (measured on the python3.11 standard library), while a plain cursor walk
 * costs a tenth.  So the walk visits every node once, knows which scope it
 * is in (what names mean there was read from the statements first:
 * scope.c), and hands a node only to the clauses that can match it: calls
 * by their qualified name through a hash table, other nodes by their kind.
 *
 * For a change, the tree usually holds only the touched statements
 * (focus.c); the statements before them that bind their names were parsed
 * apart, and the walk replays them as it passes their place in the file.
 */
#include "engine.h"
#include "arena.h"
#include "builtin.h"
#include "pysec.h"
#include "util.h"
#include "config.h"
#include "finding.h"
#include "flow.h"
#include "focus.h"
#include "lines.h"
#include "paths.h"
#include "pyast.h"
#include "report.h"
#include "rules.h"
#include "scope.h"
#include "secrets.h"
#include "source.h"
#include "strmap.h"
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

const TSLanguage *tree_sitter_python(void);

enum action {
	ACT_NONE = 0,
	ACT_CALL,
	ACT_IMPORT,
	ACT_IMPORT_FROM,
	ACT_ASSERT,
	ACT_EXCEPT,
	ACT_STRING,
	ACT_CONCAT,
	ACT_KEYWORD,
	ACT_DEFAULT,
};

#define MAX_FILE_RULE_SIZE (1024 * 1024)

/* A call clause named by a glob, with what lets most calls be turned away before fnmatch(). */
struct glob_ref {
	const char *pattern;
	const struct clause *clause;
	const char *lit;	/* a run of the pattern that every match holds, */
	size_t litlen;
	enum { GLOB_AT_START, GLOB_AT_END, GLOB_INSIDE } anchor;	/* ...there */
	int same;		/* the same pattern as the one before (they are sorted) */
};

static void init_symbols(struct pysec_engine *e)
{
	walk_grammar_init(&e->sym, &e->field, e->lang);
	e->symbol_count = ts_language_symbol_count(e->lang);
	e->kind_of = xcalloc(e->symbol_count, 1);
	e->kind_of[e->sym.call] = ACT_CALL;
	e->kind_of[e->sym.import_statement] = ACT_IMPORT;
	e->kind_of[e->sym.import_from_statement] = ACT_IMPORT_FROM;
	e->kind_of[e->sym.assert_statement] = ACT_ASSERT;
	e->kind_of[e->sym.except_clause] = ACT_EXCEPT;
	e->kind_of[e->sym.string] = ACT_STRING;
	e->kind_of[e->sym.concatenated_string] = ACT_CONCAT;
	e->kind_of[e->sym.keyword_argument] = ACT_KEYWORD;
	e->kind_of[e->sym.default_parameter] = ACT_DEFAULT;
	e->kind_of[e->sym.typed_default_parameter] = ACT_DEFAULT;
	/* nothing below these can match a rule: the walk does not go in */
	e->opaque = xcalloc(e->symbol_count, 1);
	e->opaque[e->sym.dotted_name] = 1;
	e->opaque[e->sym.import_statement] = 1;
	e->opaque[e->sym.import_from_statement] = 1;
	e->opaque[e->sym.string_content] = 1;
	e->opaque[e->sym.string_start] = 1;
}

/* --- loading -------------------------------------------------------------- */

static int load_dir(struct rule_set *set, const char *dir, const struct pysec_config *cfg)
{
	struct dirent **names = NULL;
	int n, i, rc = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return error_set(PYSEC_ENOTFOUND, "cannot read rules directory '%s'", dir);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t nl = strlen(name);
		char *path = NULL;
		struct buf text = BUF_INIT(MAX_FILE_RULE_SIZE);

		if (rc < 0 || nl < 6 || strcmp(name + nl - 5, ".rule"))
			goto next;
		path = xasprintf("%s/%s", dir, name);
		if (file_read(&text, path, 0) < 0)
			rc = errno == EFBIG ? error_set(PYSEC_EINVALID, "%s: rule file over %d bytes", path, MAX_FILE_RULE_SIZE) :
				error_set(PYSEC_EINVALID, "%s: cannot open rule file", path);
		else
			rc = rules_parse(set, path, buf_cstr(&text), text.len, cfg);
next:
		buf_free(&text);
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* pysec.only (Bandit's tests): the rules it names, and no other. */
static void apply_only(struct pysec_engine *e, const struct pysec_config *cfg)
{
	char **ids = NULL;
	size_t n = config_list(cfg, "pysec.only", &ids), i, k;

	for (k = 0; n && k < e->set.len; k++)
		e->set.rules[k].info.enabled = 0;
	for (i = 0; i < n; i++) {
		const struct rule *r = rules_find(&e->set, ids[i], strlen(ids[i]));
		if (r)
			e->set.rules[r - e->set.rules].info.enabled = 1;
		free(ids[i]);
	}
	free(ids);
}

static void apply_selection(struct pysec_engine *e, const struct pysec_config *cfg)
{
	static const char *const keys[] = { "pysec.enable", "pysec.disable" };
	char **ids = NULL;
	size_t n, i, k, key;

	apply_only(e, cfg);
	for (key = 0; key < ARRAY_SIZE(keys); key++) {
		n = config_list(cfg, keys[key], &ids);
		for (i = 0; i < n; i++) {
			const struct rule *r = rules_find(&e->set, ids[i], strlen(ids[i]));
			if (r)
				e->set.rules[r - e->set.rules].info.enabled = key == 0;
			for (k = 0; key == 0 && k < e->set.len && !strcmp(ids[i], "all"); k++)
				e->set.rules[k].info.enabled = 1;
			free(ids[i]);
		}
		free(ids);
		ids = NULL;
	}
}

/* A key the policy sets that is no setting must be a rule file's option (pysec.shell-injection.subprocess). */
static int check_option(const struct pysec_engine *e, const struct pysec_config *cfg, size_t i)
{
	const char *key = cfg->entries[i].key, *close;
	struct suggest s;
	char *where;
	size_t k;
	int rc;

	for (k = 0; k < e->set.nopts; k++)
		if (!strcasecmp(e->set.options[k].name, key + 6))
			return 0;
	suggest_init(&s, key + 6);
	for (k = 0; k < e->set.nopts; k++)
		suggest_try(&s, e->set.options[k].name);
	close = suggest_best(&s);
	where = pysec_config_where(cfg, i);
	rc = error_set(PYSEC_EINVALID, "%s: unknown key '%s' (set to '%s')%s%s%s", where, key, cfg->entries[i].value,
		close ? "; did you mean 'pysec." : "", close ? close : "", close ? "'?" : "");
	free(where);
	return rc;
}

/* Each id pysec.enable, pysec.disable or pysec.only names is a rule's ("all" too, for enable). */
static int check_ids(const struct pysec_engine *e, const struct pysec_config *cfg, size_t i)
{
	char **ids = NULL, *where;
	size_t n = config_entry_items(cfg, i, &ids), k, r;
	int rc = 0;

	for (k = 0; k < n; k++) {
		struct suggest s;
		const char *close;
		if (rc < 0 || rules_find(&e->set, ids[k], strlen(ids[k])) ||
		    (!strcmp(ids[k], "all") && !strcasecmp(cfg->entries[i].key, "pysec.enable")))
			continue;
		suggest_init(&s, ids[k]);
		for (r = 0; r < e->set.len; r++)
			suggest_try(&s, e->set.rules[r].info.id);
		close = suggest_best(&s);
		where = pysec_config_where(cfg, i);
		rc = error_set(PYSEC_EINVALID, "%s: '%s' in '%s' is not a rule%s%s%s", where, ids[k],
			cfg->entries[i].key, close ? "; did you mean '" : "", close ? close : "", close ? "'?" : "");
		free(where);
	}
	for (k = 0; k < n; k++)
		free(ids[k]);
	free(ids);
	return rc;
}

/* The pattern of a [pysec "path:PATTERN"] section's key (pysec.path:PATTERN.NAME), its length; 0: not one. */
static size_t path_pattern(const char *key, const char **pattern)
{
	const char *last = strrchr(key, '.');

	if (strncasecmp(key, "pysec.path:", 11) || !last || last < key + 11)
		return 0;
	*pattern = key + 11;
	return (size_t)(last - *pattern);
}

/* A path section takes `disable` (rule ids), for now the one thing a path changes. */
static int check_path_key(const struct pysec_engine *e, const struct pysec_config *cfg, size_t i)
{
	const char *key = cfg->entries[i].key, *name = strrchr(key, '.') + 1;
	char *where;
	int rc;

	if (!strcasecmp(name, "disable"))
		return check_ids(e, cfg, i);
	where = pysec_config_where(cfg, i);
	rc = error_set(PYSEC_EINVALID, "%s: unknown key '%s' (set to '%s'); a [pysec \"path:PATTERN\"] section takes "
		"'disable'", where, key, cfg->entries[i].value);
	free(where);
	return rc;
}

/* What the policy says of the rules is about rules there are: their options and ids. */
static int check_policy(const struct pysec_engine *e, const struct pysec_config *cfg)
{
	const char *pattern;
	size_t i;
	int rc = 0;

	for (i = 0; cfg && i < cfg->len && rc == 0; i++) {
		const char *key = cfg->entries[i].key;
		if (path_pattern(key, &pattern))
			rc = check_path_key(e, cfg, i);
		else if (!config_is_setting(key))
			rc = check_option(e, cfg, i);
		else if (!strcasecmp(key, "pysec.enable") || !strcasecmp(key, "pysec.disable") ||
			 !strcasecmp(key, "pysec.only"))
			rc = check_ids(e, cfg, i);
	}
	return rc;
}

/* pysec.exclude, and each [pysec "path:PATTERN"] entry as a section of its own. */
static int load_paths(struct pysec_engine *e, const struct pysec_config *cfg)
{
	char **v = NULL;
	size_t n = config_list(cfg, "pysec.exclude", &v), i, k, cap = 0;
	int rc = 0;

	if (n)
		rc = path_rules_new(&e->excludes, v, n);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	for (i = 0; i < cfg->len && rc == 0; i++) {
		const char *pattern;
		size_t len = path_pattern(cfg->entries[i].key, &pattern);
		struct path_section *s;
		char *p;
		if (!len)
			continue;
		s = ARRAY_PUSH(e->paths, e->npaths, cap);
		memset(s, 0, sizeof(*s));
		p = xstrndup(pattern, len);
		rc = path_rules_new(&s->match, &p, 1);
		free(p);
		s->ndisabled = config_entry_items(cfg, i, &s->disabled);
		for (k = 0; k < s->ndisabled; k++) {
			/* a name or an alias (Ruff's S101) stands for the rule's id, which findings carry */
			const struct rule *r = rules_find(&e->set, s->disabled[k], strlen(s->disabled[k]));
			if (r && strcmp(r->info.id, s->disabled[k])) {
				free(s->disabled[k]);
				s->disabled[k] = xstrdup(r->info.id);
			}
		}
	}
	return rc;
}

int engine_excluded(const struct pysec_engine *e, const char *path)
{
	return e->excludes && path_rules_match(e->excludes, path);
}

void engine_drop_path_disabled(const struct pysec_engine *e, struct pysec_report *r, size_t from, const char *path)
{
	size_t s, i, k;

	for (s = 0; s < e->npaths; s++) {
		const struct path_section *p = &e->paths[s];
		if (from >= r->nfindings || !path_rules_match(p->match, path))
			continue;
		for (i = r->nfindings; i-- > from;)
			for (k = 0; k < p->ndisabled; k++)
				if (!strcasecmp(r->findings[i].rule, p->disabled[k])) {
					report_drop_finding(r, i);
					break;
				}
	}
}

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * A literal run that every name the glob matches holds, so that most calls
 * are turned away before fnmatch(): the longest run between * and ?, or
 * (with [ or a backslash in the glob) the part before the first; anchored
 * where the glob starts or ends with it (`requests.*`, `*.run`).
 */
static void glob_literal(struct glob_ref *g)
{
	const char *s = g->pattern, *run = s;
	size_t n;

	g->lit = s;
	g->litlen = strcspn(s, "*?[\\");
	g->anchor = GLOB_AT_START;
	if (strpbrk(s, "[\\"))
		return;
	for (;;) {
		n = strcspn(run, "*?");
		if (n > g->litlen) {
			g->lit = run;
			g->litlen = n;
			g->anchor = run == s ? GLOB_AT_START : !run[n] ? GLOB_AT_END : GLOB_INSIDE;
		}
		if (!run[n])
			break;
		run += n + 1;
	}
}

static int glob_may_match(const struct glob_ref *g, const char *name, size_t len)
{
	if (len < g->litlen)
		return 0;
	if (!g->litlen)
		return 1;
	/* most calls differ from the literal in its first (last) byte: no memcmp() then */
	switch (g->anchor) {
	case GLOB_AT_START:
		return name[0] == g->lit[0] && !memcmp(name, g->lit, g->litlen);
	case GLOB_AT_END:
		return name[len - 1] == g->lit[g->litlen - 1] && !memcmp(name + len - g->litlen, g->lit, g->litlen);
	default:
		return memmem(name, len, g->lit, g->litlen) != NULL;
	}
}

static int glob_order(const void *a, const void *b)
{
	return strcmp(((const struct glob_ref *)a)->pattern, ((const struct glob_ref *)b)->pattern);
}

static void list_push(struct clause_list *l, const struct clause *c)
{
	*ARRAY_PUSH(l->v, l->len, l->cap) = c;
}

static void free_clause_list(void *p)
{
	struct clause_list *l = p;

	if (l) {
		free(l->v);
		free(l);
	}
}

/* The words of the modules a clause's `imported` predicates name: a focused parse keeps their imports. */
static void index_imported(struct pysec_engine *e, const struct clause *cl)
{
	size_t i, k;

	for (i = 0; i < cl->npreds; i++) {
		if (strcmp(cl->preds[i].def->name, "imported"))
			continue;
		for (k = 0; k < cl->preds[i].nargs; k++) {
			const char *m = cl->preds[i].args[k];
			while (*m) {
				size_t n = strcspn(m, ".");
				if (n)
					strmap_put(&e->imported_words, m, n, (void *)1);
				m += n + (m[n] == '.');
			}
		}
	}
}

/*
 * `option exports.MODULE NAME...` (rules/exports.rule): what `from MODULE
 * import *` binds; the option's own NULL-terminated vector, in the rules' pool.
 */
static void index_exports(struct pysec_engine *e)
{
	size_t i;

	for (i = 0; i < e->set.nopts; i++) {
		const struct option *o = &e->set.options[i];
		if (strncasecmp(o->name, "exports.", 8) || !o->name[8])
			continue;
		strmap_put(&e->exports, o->name + 8, strlen(o->name + 8), o->values);
	}
}

static void index_clauses(struct pysec_engine *e)
{
	size_t r, c, i;

	e->call_exact.free_value = free_clause_list;
	for (r = 0; r < e->set.len; r++) {
		struct rule *rule = &e->set.rules[r];
		if (!rule->info.enabled)
			continue;
		for (c = 0; c < rule->nclauses; c++) {
			const struct clause *cl = &rule->clauses[c];
			index_imported(e, cl);
			if (cl->kind != KIND_CALL) {
				list_push(&e->by_kind[cl->kind], cl);
				continue;
			}
			for (i = 0; i < cl->nnames; i++) {
				const char *name = cl->names[i];
				struct clause_list *l;
				if (has_glob(name)) {
					struct glob_ref *g = ARRAY_PUSH(e->call_globs, e->nglobs, e->globcap);
					g->pattern = name;
					g->clause = cl;
					glob_literal(g);
					continue;
				}
				l = strmap_get(&e->call_exact, name, strlen(name));
				if (!l) {
					l = xcalloc(1, sizeof(*l));
					strmap_put(&e->call_exact, name, strlen(name), l);
				}
				if (!l->len || l->v[l->len - 1] != cl)
					list_push(l, cl);
			}
		}
	}
	/* equal globs side by side, matched once per call (dispatch orders the clauses itself) */
	if (e->nglobs > 1)
		qsort(e->call_globs, e->nglobs, sizeof(*e->call_globs), glob_order);
	for (i = 0; i < e->nglobs; i++)
		e->call_globs[i].same = i && !strcmp(e->call_globs[i].pattern, e->call_globs[i - 1].pattern);
}

int pysec_engine_new(pysec_engine **out, const pysec_config *cfg)
{
	struct pysec_engine *e = xcalloc(1, sizeof(*e));
	const struct builtin_file *b;
	char **dirs = NULL;
	size_t ndirs = 0, i;
	int rc = 0;

	arena_install();
	e->lang = tree_sitter_python();
	if (ts_language_version(e->lang) > TREE_SITTER_LANGUAGE_VERSION ||
	    ts_language_version(e->lang) < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION) {
		uint32_t abi = ts_language_version(e->lang);
		free(e);
		return error_set(PYSEC_ERROR, "tree-sitter-python ABI %u is not loadable by this libtree-sitter", abi);
	}
	pthread_mutex_init(&e->needles_lock, NULL);
	init_symbols(e);
	for (b = builtin_rule_files; b->name && rc == 0; b++)
		rc = rules_parse(&e->set, b->origin, b->text, strlen(b->text), cfg);
	if (cfg)
		ndirs = config_list(cfg, "pysec.rulesdir", &dirs);
	for (i = 0; i < ndirs; i++) {
		if (rc == 0)
			rc = load_dir(&e->set, dirs[i], cfg);
		free(dirs[i]);
	}
	free(dirs);
	if (rc == 0)
		rc = check_policy(e, cfg);
	if (rc == 0 && cfg)
		rc = load_paths(e, cfg);
	if (rc < 0) {
		pysec_engine_free(e);
		return rc;
	}
	if (cfg)
		apply_selection(e, cfg);
	e->honour_nosec = pysec_config_bool(cfg, "pysec.nosec", 1);
	e->show_suppressed = pysec_config_bool(cfg, "pysec.showSuppressed", 0);
	index_clauses(e);
	index_exports(e);
	*out = e;
	return 0;
}

const struct needle_set *engine_needles(const struct pysec_engine *eng)
{
	/* built once, under the lock: the rest of the engine stays as pysec_engine_new() left it */
	struct pysec_engine *e = (struct pysec_engine *)eng;

	pthread_mutex_lock(&e->needles_lock);
	if (!e->needles_ready) {
		needles_build(&e->needles, &e->set);
		e->needles_ready = 1;
	}
	pthread_mutex_unlock(&e->needles_lock);
	return &e->needles;
}

void pysec_engine_free(pysec_engine *e)
{
	size_t k;

	if (!e)
		return;
	rules_clear(&e->set);
	free(e->kind_of);
	free(e->opaque);
	strmap_clear(&e->call_exact);
	strmap_clear(&e->imported_words);
	strmap_clear(&e->exports);
	if (e->needles_ready)
		needles_free(&e->needles);
	pthread_mutex_destroy(&e->needles_lock);
	free(e->call_globs);
	path_rules_free(e->excludes);
	for (k = 0; k < e->npaths; k++) {
		size_t i;
		path_rules_free(e->paths[k].match);
		for (i = 0; i < e->paths[k].ndisabled; i++)
			free(e->paths[k].disabled[i]);
		free(e->paths[k].disabled);
	}
	free(e->paths);
	for (k = 0; k < KIND_COUNT; k++)
		free(e->by_kind[k].v);
	free(e);
}

int pysec_engine_has_history_rules(const pysec_engine *e)
{
	return e->by_kind[KIND_LINE].len > 0;
}

size_t pysec_engine_rule_count(const pysec_engine *e)
{
	return e->set.len;
}

const pysec_rule_info *pysec_engine_rule(const pysec_engine *e, size_t i)
{
	return i < e->set.len ? &e->set.rules[i].info : NULL;
}

const pysec_rule_info *pysec_engine_rule_find(const pysec_engine *e, const char *id)
{
	const struct rule *r = rules_find(&e->set, id, strlen(id));

	return r ? &r->info : NULL;
}

/* --- the walk ------------------------------------------------------------- */

static int clause_holds(struct walk *w, const struct clause *c, TSNode n)
{
	size_t i;

	for (i = 0; i < c->npreds; i++) {
		const struct pred *p = &c->preds[i];
		int holds = p->def->fn(w, n, p) != 0;
		if (holds == p->negate)
			return 0;
	}
	return 1;
}

static int clause_order(const void *a, const void *b)
{
	const struct clause *x = *(const struct clause *const *)a, *y = *(const struct clause *const *)b;

	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Offer `n` to each candidate clause (in rule order, a rule's clauses in
 * file order); the first clause of a rule that holds reports it.  The
 * finding spans from the start of `start` to the end of `last` (a keyword
 * argument is reported from its call's start; a default from its def to
 * the parameters); it counts only if that touches a touched line.
 */
/* Does a touched line come before call `n` in its function (or the module)?  Only then can one reach it. */
static int touched_before(struct walk *w, TSNode n)
{
	uint32_t from = 0;
	size_t k;

	for (k = 1; k <= w->depth; k++) {
		TSNode a = walk_ancestor(w, k);
		if (node_symbol(a) == w->sym->function_definition) {
			from = ts_node_start_point(a).row;
			break;
		}
	}
	return lineset_hits(w->touched, from + 1, ts_node_start_point(n).row + 1);
}

/* Does statement `st` (a source of a value, flow.c) set only literals? */
static int sets_only_literals(struct walk *w, TSNode st)
{
	TSNode a = node_named_child(st, 0);

	if (node_symbol(a) != w->sym->assignment && node_symbol(a) != w->sym->augmented_assignment)
		return 0;
	while (node_symbol(node_child_by_field_id(a, w->field->right)) == w->sym->assignment)
		a = node_child_by_field_id(a, w->field->right);
	return flow_literal(w, node_child_by_field_id(a, w->field->right)) != 0;
}

/*
 * An untouched call: its clauses are judged with the statements its
 * values come from recorded (flow.c); where the verdict rests on a touched
 * statement, that statement reports it (README, "What a change adds").
 */
static void dispatch_untouched(struct walk *w, const struct clause *const *cands, size_t count, TSNode n)
{
	size_t i, k, last_rule = SIZE_MAX, rule = SIZE_MAX;

	for (i = 0; i < count; i++) {
		const struct clause *c = cands[i];
		int holds;
		if (c->rule == last_rule)
			continue;
		if (c->rule != rule) {
			rule = c->rule;
			w->nsources = 0;	/* what the rule's clauses read, up to the one that holds */
		}
		w->mark = -1;
		w->recording = 1;
		holds = clause_holds(w, c, n);
		w->recording = 0;
		if (!holds)
			continue;
		last_rule = c->rule;
		for (k = 0; k < w->nsources; k++) {
			TSNode st = w->sources[k];
			if (!lineset_hits(w->touched, ts_node_start_point(st).row + 1, node_end_point(st).row + 1))
				continue;
			/* a literal set there makes the call no worse than any literal would */
			if (!sets_only_literals(w, st))
				finding_add_flow(w, c, st, n);
			break;
		}
	}
}

static void dispatch(struct walk *w, const struct clause *const *cands, size_t count,
	TSNode n, TSNode start, TSNode last)
{
	size_t i, last_rule = SIZE_MAX;

	if (!count)
		return;
	if (!lineset_hits(w->touched, ts_node_start_point(start).row + 1, node_end_point(last).row + 1)) {
		if (w->change_aware && node_symbol(n) == w->sym->call && touched_before(w, n))
			dispatch_untouched(w, cands, count, n);
		return;
	}
	for (i = 0; i < count; i++) {
		const struct clause *c = cands[i];
		if (c->rule == last_rule)
			continue;
		w->mark = -1;
		if (clause_holds(w, c, n)) {
			finding_add(w, c, start, last);
			last_rule = c->rule;
		}
	}
}

static void dispatch_kind(struct walk *w, enum match_kind kind, TSNode n, TSNode start, TSNode last)
{
	const struct clause_list *l = &w->eng->by_kind[kind];

	dispatch(w, l->v, l->len, n, start, last);
}

/* The import clauses that the modules of one statement match: offered it once, one finding a rule. */
struct import_hits {
	const struct clause *v[64];
	size_t n;
};

/* An imported module name: remember it, and note the import clauses it matches. */
static void visit_module(struct walk *w, struct import_hits *h, const char *module, size_t len)
{
	const struct clause_list *l = &w->eng->by_kind[KIND_IMPORT];
	size_t i, j, k;

	strmap_put(&w->imports, module, len, (void *)1);
	for (i = 0; i < l->len; i++) {
		const struct clause *c = l->v[i];
		for (k = 0; k < c->nnames; k++) {
			size_t cl = strlen(c->names[k]);
			/* a module matches itself and what is inside it, not pickletools for pickle */
			if (len >= cl && !memcmp(module, c->names[k], cl) && (len == cl || module[cl] == '.'))
				break;
		}
		if (k == c->nnames)
			continue;
		for (j = 0; j < h->n && h->v[j] != c; j++)
			;
		if (j == h->n && h->n < ARRAY_SIZE(h->v))
			h->v[h->n++] = c;
	}
}

static void dispatch_imports(struct walk *w, TSNode stmt, struct import_hits *h)
{
	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), clause_order);
	dispatch(w, h->v, h->n, stmt, stmt, stmt);
}

static void visit_import(struct walk *w, TSNode n)
{
	uint32_t i, count = node_named_child_count(n);
	struct import_hits h;

	h.n = 0;

	for (i = 0; i < count; i++) {
		TSNode c = node_named_child(n, i), name = c;
		size_t len;
		const char *t;
		if (node_symbol(c) == w->sym->aliased_import)
			name = node_child_by_field_id(c, w->field->name);
		else if (node_symbol(c) != w->sym->dotted_name)
			continue;
		t = node_text(w, name, &len);
		visit_module(w, &h, t, len);
	}
	dispatch_imports(w, n, &h);
}

static void visit_import_from(struct walk *w, TSNode n)
{
	TSNode mod = node_child_by_field_id(n, w->field->module_name);
	uint32_t i, count = node_named_child_count(n);
	char full[512];
	const char *mt = NULL;
	size_t mlen = 0;
	struct import_hits h;

	h.n = 0;

	mt = import_from_module(w, n, &mlen);
	for (i = 0; i < count; i++) {
		TSNode c = node_named_child(n, i), name = c;
		const char *t;
		size_t len, flen;
		if (ts_node_eq(c, mod))
			continue;
		if (node_symbol(c) == w->sym->aliased_import) {
			name = node_child_by_field_id(c, w->field->name);
		} else if (node_symbol(c) == w->sym->wildcard_import) {
			name = c;
		} else if (node_symbol(c) != w->sym->dotted_name) {
			continue;
		}
		t = node_text(w, name, &len);
		flen = (size_t)snprintf(full, sizeof(full), "%.*s%s%.*s", (int)mlen, mt ? mt : "",
			mt ? "." : "", (int)len, t);
		if (flen >= sizeof(full))
			continue;
		visit_module(w, &h, full, flen);
	}
	dispatch_imports(w, n, &h);
}

static int is_dynamic_import(const char *q)
{
	return !strcmp(q, "__import__") || !strcmp(q, "importlib.import_module") ||
	       !strcmp(q, "importlib.__import__");
}

static void visit_call(struct walk *w, TSNode n)
{
	const struct clause *cands[64];
	const struct clause_list *l;
	size_t i, count = 0;
	int hit = 0;

	w->call = n;
	w->qualname_len = node_qualname(w, node_child_by_field_id(n, w->field->function),
		w->qualname, sizeof(w->qualname));
	if (!w->qualname_len)
		return;
	if (is_dynamic_import(w->qualname)) {
		TSNode a = call_positional(w, n, 0);
		struct buf v = BUF_INIT(512);
		struct import_hits h;
		h.n = 0;
		if (!ts_node_is_null(a) && node_symbol(a) == w->sym->string &&
		    node_string_value(w, a, &v) == 0 && v.len) {
			visit_module(w, &h, buf_cstr(&v), v.len);
			dispatch_imports(w, n, &h);
		}
		buf_free(&v);
	}
	l = strmap_get(&w->eng->call_exact, w->qualname, w->qualname_len);
	for (i = 0; l && i < l->len && count < ARRAY_SIZE(cands); i++)
		cands[count++] = l->v[i];
	for (i = 0; i < w->eng->nglobs && count < ARRAY_SIZE(cands); i++) {
		const struct glob_ref *g = &w->eng->call_globs[i];
		if (!g->same)
			hit = glob_may_match(g, w->qualname, w->qualname_len) &&
			      (!strcmp(g->pattern, "*") || fnmatch(g->pattern, w->qualname, 0) == 0);
		if (hit)
			cands[count++] = g->clause;
	}
	if (count > 1)
		qsort(cands, count, sizeof(*cands), clause_order);
	dispatch(w, cands, count, n, n, n);
}

static void visit_keyword(struct walk *w, TSNode n)
{
	TSNode call = walk_ancestor(w, 2);

	/* a keyword of a call, not of a class statement's bases */
	if (node_symbol(call) == w->sym->call)
		dispatch_kind(w, KIND_KEYWORD, n, call, n);
}

/* A default of a parameter of a def, positional or keyword-only (not of a lambda). */
static void visit_default(struct walk *w, TSNode n)
{
	TSNode params = walk_ancestor(w, 1), def = walk_ancestor(w, 2);

	if (node_symbol(def) != w->sym->function_definition)
		return;
	dispatch_kind(w, KIND_DEFAULT, n, def, params);
}

static void visit(struct walk *w, TSNode n, enum action act)
{
	switch (act) {
	case ACT_CALL:
		visit_call(w, n);
		break;
	case ACT_IMPORT:
		visit_import(w, n);
		break;
	case ACT_IMPORT_FROM:
		visit_import_from(w, n);
		break;
	case ACT_ASSERT:
		dispatch_kind(w, KIND_ASSERT, n, n, n);
		break;
	case ACT_EXCEPT:
		dispatch_kind(w, KIND_EXCEPT, n, n, n);
		break;
	case ACT_CONCAT:
		w->string_skip_end = node_end_byte(n);
		dispatch_kind(w, KIND_STRING, n, n, n);
		break;
	case ACT_STRING:
		if (ts_node_start_byte(n) >= w->string_skip_end)
			dispatch_kind(w, KIND_STRING, n, n, n);
		break;
	case ACT_KEYWORD:
		visit_keyword(w, n);
		break;
	case ACT_DEFAULT:
		visit_default(w, n);
		break;
	case ACT_NONE:
		break;
	}
}

/*
 * Going down into `n`: remember the scopes in effect, and enter the one
 * `n` opens (a def's or class's body, a lambda, a comprehension).  A
 * replayed statement is of the module.
 */
static void push_ancestor(struct walk *w, TSNode n, int replaying)
{
	TSSymbol s = node_symbol(n);
	struct walk_frame *f;

	if (w->depth >= w->frames_cap)
		array_reserve((void **)&w->frames, &w->frames_cap, w->depth + 1, sizeof(*w->frames));
	f = &w->frames[w->depth];
	f->scope = w->scope;
	f->light = (uint32_t)scope_light_depth(w);
	if (!replaying) {
		if (s == w->sym->block && w->depth) {
			TSNode def = w->anc[w->depth - 1];
			if (node_symbol(def) == w->sym->function_definition || node_symbol(def) == w->sym->class_definition)
				w->scope = scope_of(w, def);
		} else if (s == w->sym->lambda || s == w->sym->list_comprehension || s == w->sym->set_comprehension ||
			   s == w->sym->dictionary_comprehension || s == w->sym->generator_expression) {
			scope_push_light(w, n);
		}
	}
	*ARRAY_PUSH(w->anc, w->depth, w->anc_cap) = n;
}

/* Going back up past anc[depth - 1]: the scopes in effect there again. */
static void pop_ancestor(struct walk *w)
{
	w->depth--;
	w->scope = w->frames[w->depth].scope;
	scope_light_pop(w, w->frames[w->depth].light);
}

static void replay_until(struct walk *w, uint32_t byte);

/*
 * What the walk visits shows in the text (the walk's triggers): a call has
 * its arguments in parentheses, a string its quotes (tree-sitter-python's
 * strings include Python 2's backquotes), an import, an assert and an
 * except their keywords.  (A keyword argument or a def's default has no
 * trigger of its own, but is inside parentheses.)  So where the text has
 * no trigger, the walk has nothing to visit.
 *
 * next_trigger() finds the first trigger at or after `at`.  It is asked in
 * the walk's pre-order, so `at` only grows and the file is scanned once.
 */
struct trigger_scan {
	const char *src;
	uint32_t len;
	uint32_t from;		/* `next` is the first trigger at or after this */
	uint32_t next;
};

static int trigger_at(const char *src, uint32_t len, uint32_t i)
{
	/* 1: a trigger; 2: the first letter of a trigger keyword */
	static const uint8_t first[256] = {
		['('] = 1, ['"'] = 1, ['\''] = 1, ['`'] = 1, ['i'] = 2, ['a'] = 2, ['e'] = 2,
	};
	const char *s = src + i;
	uint32_t left = len - i;

	switch (first[(uint8_t)*s]) {
	case 1:
		return 1;
	case 2:
		return left >= 6 && (!memcmp(s, "import", 6) || !memcmp(s, "assert", 6) || !memcmp(s, "except", 6));
	default:
		return 0;
	}
}

static uint32_t next_trigger(struct trigger_scan *t, uint32_t at)
{
	uint32_t i;

	if (at >= t->from && t->next >= at)
		return t->next;
	for (i = at; i < t->len && !trigger_at(t->src, t->len, i); i++)
		;
	t->from = at;
	t->next = i;
	return i;
}

/* Keyword arguments and defaults, which have no trigger of their own, are below these. */
static int holds_keywords(struct walk *w, TSSymbol s)
{
	return s == w->sym->argument_list || s == w->sym->parameters;
}

#ifdef PYSEC_SELF_CHECK
/* `n` (if `itself`) or some node below it is one the walk visits (a lambda's defaults it passes by: visit_default()). */
static int visits(struct walk *w, TSNode n, int itself)
{
	TSTreeCursor cur = ts_tree_cursor_new(n);
	int found = 0, depth = 0;

	for (;;) {
		TSNode d = ts_tree_cursor_current_node(&cur);
		TSSymbol s = node_symbol(d);
		if ((depth || itself) && (s >= w->eng->symbol_count || w->eng->kind_of[s]) &&
		    !(w->eng->kind_of[s] == ACT_DEFAULT && !strcmp(node_type(node_parent(d)), "lambda_parameters"))) {
			found = 1;
			break;
		}
		if (ts_tree_cursor_goto_first_child(&cur)) {
			depth++;
			continue;
		}
		while (depth && !ts_tree_cursor_goto_next_sibling(&cur)) {
			ts_tree_cursor_goto_parent(&cur);
			depth--;
		}
		if (!depth)
			break;
	}
	ts_tree_cursor_delete(&cur);
	return found;
}

/*
 * The children of `parent` after byte `from` that end by byte `to` hold
 * nothing the walk visits.  (A fresh cursor: a copy of the walk's would
 * copy its whole stack at every step, and a line of 100,000 `+` is that
 * deep.)
 */
static int passes_nothing(struct walk *w, TSNode parent, uint32_t from, uint32_t to)
{
	TSTreeCursor cur = ts_tree_cursor_new(parent);
	int found = 0;

	/* libtree-sitter 0.20.7: the first child that ends at or past the byte */
	if (ts_tree_cursor_goto_first_child_for_byte(&cur, from + 1) >= 0) {
		do {
			TSNode n = ts_tree_cursor_current_node(&cur);
			if (node_end_byte(n) > to)
				break;
			found = visits(w, n, 1);
		} while (!found && ts_tree_cursor_goto_next_sibling(&cur));
	}
	ts_tree_cursor_delete(&cur);
	return !found;
}
#endif

static int skip_below(struct walk *w, struct trigger_scan *t, TSNode n, TSSymbol s)
{
	uint32_t start, end;

	if (node_has_error(n))
		return 0;
	start = ts_node_start_byte(n);
	end = node_end_byte(n);
	if (holds_keywords(w, s) && memchr(w->src + start, '=', end - start))
		return 0;
	/* a node's own opening parenthesis (arguments, a tuple) opens nothing below it */
	if (start < end && w->src[start] == '(')
		start++;
	if (next_trigger(t, start) < end)
		return 0;
#ifdef PYSEC_SELF_CHECK
	SELF_CHECK(!visits(w, n, 0));
#endif
	return 1;
}

enum step { ON_SIBLING, ON_PARENT, AT_ROOT };

/*
 * From the cursor's node on to the next one that may hold something to
 * visit: its next sibling; past siblings with no trigger, straight to the
 * one that holds the next trigger (tree-sitter finds it by byte, going
 * down its balanced hidden nodes, where stepping sibling by sibling goes
 * through them for each); or, when no trigger is left in the parent, up to
 * the parent.  In an error-recovered parent, or one that holds keyword
 * arguments, it steps one sibling at a time.  `base`: the walk's depth at
 * its root, whose siblings are not the walk's.
 */
static enum step step_on(struct walk *w, TSTreeCursor *cur, struct trigger_scan *t, size_t base)
{
	TSNode n, parent;
	uint32_t next;

	if (w->depth == base)
		return AT_ROOT;
	parent = w->anc[w->depth - 1];
	if (!node_has_error(parent) && !holds_keywords(w, node_symbol(parent))) {
		n = ts_tree_cursor_current_node(cur);
		next = next_trigger(t, node_end_byte(n));
#ifdef PYSEC_SELF_CHECK
		SELF_CHECK(passes_nothing(w, parent, node_end_byte(n), next));
#endif
		ts_tree_cursor_goto_parent(cur);
		/* libtree-sitter 0.20.7 goes to the first child that ends at or past its byte: past `next` */
		if (next < node_end_byte(parent) && ts_tree_cursor_goto_first_child_for_byte(cur, next + 1) >= 0)
			return ON_SIBLING;
		return ON_PARENT;
	}
	if (ts_tree_cursor_goto_next_sibling(cur))
		return ON_SIBLING;
	ts_tree_cursor_goto_parent(cur);
	return ON_PARENT;
}

/*
 * Pre-order, iterative (a file of 100,000 nested brackets must not blow the
 * stack), over `root`'s subtree, where the text says something may be
 * visited (skip_below(), step_on()).  `replaying`: a context statement of a
 * focused parse, where only what binds names is visited.
 */
static int walk_tree(struct walk *w, TSNode root, int replaying)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	const uint8_t *kind_of = w->eng->kind_of, *opaque = w->eng->opaque;
	uint32_t nsym = w->eng->symbol_count;
	size_t base = w->depth;
	unsigned long visited = 0;
	struct trigger_scan trig = { w->src, (uint32_t)w->len, 0, 0 };
	int rc = 0;

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&cur);
		TSSymbol s = node_symbol(n);
		if (!replaying && ts_node_start_byte(n) > w->replay_before)
			replay_until(w, ts_node_start_byte(n));
		if (s < nsym && kind_of[s] &&
		    (!replaying || kind_of[s] == ACT_IMPORT || kind_of[s] == ACT_IMPORT_FROM ||
		     kind_of[s] == ACT_CALL))
			visit(w, n, (enum action)kind_of[s]);
		if ((++visited & 4095) == 0 && w->deadline && clock_now() > w->deadline) {
			rc = PYSEC_ELIMIT;
			break;
		}
		/* a string without interpolations has only its text below it */
		if (!(s < nsym && opaque[s]) && !(s == w->sym->string && !node_is_fstring(w, n)) &&
		    !skip_below(w, &trig, n, s) && ts_tree_cursor_goto_first_child(&cur)) {
			push_ancestor(w, n, replaying);
			continue;
		}
		for (;;) {
			enum step st = step_on(w, &cur, &trig, base);
			if (st == ON_SIBLING)
				break;
			if (st == AT_ROOT)
				goto done;
			pop_ancestor(w);
		}
	}
done:
	while (w->depth > base)
		pop_ancestor(w);
	ts_tree_cursor_delete(&cur);
	return rc;
}

/* --- focused parses (focus.c) --------------------------------------------- */

/* The context statements of a focused parse, parsed apart, replayed in file order. */
struct replay {
	const struct focus *focus;
	TSTreeCursor cur;		/* on the next top-level statement of the context tree */
	int more;			/* the cursor is on one */
	size_t stmt;			/* the focus->context entry it belongs to */
};

/* The file offset of the statement the cursor is on comes from. */
static uint32_t replay_offset(struct replay *r)
{
	const struct focus *f = r->focus;
	uint32_t at = ts_node_start_byte(ts_tree_cursor_current_node(&r->cur));

	while (r->stmt + 1 < f->ncontext && f->context[r->stmt + 1].offset <= at)
		r->stmt++;
	return f->context[r->stmt].file_offset;
}

/* A replayed node's file position is its position in the context text plus this. */
static int64_t replay_delta(struct replay *r)
{
	const struct focus_context *c = &r->focus->context[r->stmt];

	return (int64_t)c->file_code - (int64_t)c->offset;
}

/*
 * Replay the context statements that come before `byte` in the file: their
 * imports, as the whole-file walk would have met them (what their names
 * mean, scope.c read before the walk).  They touch no line, so nothing is
 * reported from them.
 */
static void replay_until(struct walk *w, uint32_t byte)
{
	static const struct lineset none;
	struct replay *r = w->replay;
	const char *src = w->src;
	size_t len = w->len;
	const struct lineset *touched = w->touched;

	w->src = r->focus->text.ptr;
	w->len = r->focus->text.len;
	w->touched = &none;
	while (r->more && replay_offset(r) < byte) {
		w->pos_delta = replay_delta(r);
		walk_tree(w, ts_tree_cursor_current_node(&r->cur), 1);
		r->more = ts_tree_cursor_goto_next_sibling(&r->cur);
	}
	w->pos_delta = 0;
	w->src = src;
	w->len = len;
	w->touched = touched;
	w->replay_before = r->more ? replay_offset(r) : UINT32_MAX;
}

/* --- file scope ----------------------------------------------------------- */

static void report_syntax_error(struct walk *w, TSNode root)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	TSNode n = root;

	/* descend towards the first error */
	for (;;) {
		n = ts_tree_cursor_current_node(&cur);
		if (node_symbol(n) == w->sym->error || node_is_missing(n))
			break;
		if (node_has_error(n) && ts_tree_cursor_goto_first_child(&cur))
			continue;
		if (!ts_tree_cursor_goto_next_sibling(&cur)) {
			/* no child carries it: the error is this node's own */
			break;
		}
	}
	ts_tree_cursor_delete(&cur);
	report_add_entry(w->report, PYSEC_ENTRY_ERROR, w->path, ts_node_start_point(n).row + 1,
		"syntax error: %s; rules ran on what the parser recovered",
		node_is_missing(n) ? "missing token" : "cannot parse this part");
}

static void walk_free(struct walk *w)
{
	size_t i, k;

	scope_free(w->scopes);
	strmap_clear(&w->imports);
	strmap_clear(&w->passed);
	free(w->sources);
	for (i = 0; i < w->nnosec; i++) {
		for (k = 0; k < w->nosec[i].nids; k++)
			free(w->nosec[i].ids[k]);
		free(w->nosec[i].ids);
	}
	free(w->nosec);
	free(w->anc);
	free(w->frames);
	free(w->fps);
	pcre2_match_data_free(w->md);
	buf_free(&w->str_value);
	buf_free(&w->sql_stmt);
}

/* Python stops at 200; past this no file is Python, and the parser is not safe on it. */
#define MAX_BRACKET_DEPTH 1000
/* Seconds one file may take to parse, whatever the budget. */
#define FILE_PARSE_LIMIT 10.0

/*
 * Parse `len` bytes of `src` (only `ranges`, when there are any) within the
 * file's time limit.  Returns 0 with *out set; 1 when the file's own limit
 * ran out (said in the report: code rules not run); or an error.
 */
static int parse_timed(struct walk *w, TSParser *parser, const char *src, size_t len,
	const TSRange *ranges, size_t nranges, TSTree **out)
{
	double left = FILE_PARSE_LIMIT;
	int own_limit = 1;

	/*
	 * Real files parse in milliseconds; tree-sitter's error recovery can take
	 * minutes and gigabytes on a few hundred kilobytes of broken statements.
	 */
	if (w->deadline && w->deadline - clock_now() < left) {
		left = w->deadline - clock_now();
		if (left <= 0)
			return error_set(PYSEC_ELIMIT, "time budget spent before %s", w->path);
		own_limit = 0;
	}
	if (!ts_parser_set_included_ranges(parser, ranges, (uint32_t)nranges))
		return error_set(PYSEC_ERROR, "%s: the parts to parse overlap (a bug in focus.c)", w->path);
	ts_parser_set_timeout_micros(parser, (uint64_t)(left * 1e6) + 1);
	*out = ts_parser_parse_string(parser, NULL, src, (uint32_t)len);
	if (*out)
		return 0;
	ts_parser_reset(parser);
	if (own_limit) {
		report_add_entry(w->report, PYSEC_ENTRY_ERROR, w->path, 0,
			"parsing took longer than %d s (pathological input): code rules not run",
			(int)FILE_PARSE_LIMIT);
		return 1;
	}
	return error_set(PYSEC_ELIMIT, "time budget spent while parsing %s", w->path);
}

/*
 * The focused parse of focus.c's plan: its context statements, then the
 * file's ranges.  Returns 0 with *tree set, or NULL when the ranges do not
 * parse cleanly (the whole file is parsed then, so that what is reported
 * never depends on how the file was cut); else what parse_timed() returns.
 */
static int parse_focused(struct walk *w, TSParser *parser, const struct focus *focus,
	TSTree **tree, TSTree **context)
{
	int rc = 0;

	*tree = *context = NULL;
	if (focus->text.len)
		rc = parse_timed(w, parser, focus->text.ptr, focus->text.len, NULL, 0, context);
	if (rc == 0)
		rc = focus->nranges ? parse_timed(w, parser, w->src, w->len, focus->ranges, focus->nranges, tree) :
				      parse_timed(w, parser, "", 0, NULL, 0, tree);
	if (rc == 0 && node_has_error(ts_tree_root_node(*tree))) {
		ts_tree_delete(*tree);
		*tree = NULL;
	}
	if (*context && !*tree) {
		ts_tree_delete(*context);
		*context = NULL;
	}
	return rc;
}

/* Rules on the file's bytes: the clause marks where it matched, and finding_add() checks that line is touched. */
static void dispatch_source(struct walk *w, TSNode root)
{
	const struct clause_list *l = &w->eng->by_kind[KIND_SOURCE];
	size_t i, last_rule = SIZE_MAX;

	for (i = 0; i < l->len; i++) {
		const struct clause *c = l->v[i];
		if (c->rule == last_rule)
			continue;
		w->mark = -1;
		if (clause_holds(w, c, root) && (w->mark >= 0 || lineset_hits(w->touched, 1, UINT32_MAX))) {
			finding_add(w, c, root, root);
			last_rule = c->rule;
		}
	}
}

static void replay_begin(struct walk *w, struct replay *r, const struct focus *focus, TSTree *context)
{
	r->focus = focus;
	r->cur = ts_tree_cursor_new(ts_tree_root_node(context));
	r->more = ts_tree_cursor_goto_first_child(&r->cur);
	r->stmt = 0;
	w->replay = r;
	w->replay_before = r->more ? replay_offset(r) : UINT32_MAX;
}

static void replay_end(struct walk *w)
{
	if (w->replay)
		ts_tree_cursor_delete(&w->replay->cur);
	w->replay = NULL;
	w->replay_before = UINT32_MAX;
}

static int scan_python(struct walk *w, const struct file_scan *f, TSParser *parser)
{
	struct focus focus;
	struct replay replay;
	TSTree *tree = NULL, *context = NULL;
	TSNode root;
	int rc = 0, planned;

	if (source_bracket_depth(f->data, f->len, MAX_BRACKET_DEPTH) > MAX_BRACKET_DEPTH) {
		report_add_entry(w->report, PYSEC_ENTRY_ERROR, f->path, 0,
			"brackets nested deeper than %d levels (Python allows 200): not parsed, code rules not run",
			MAX_BRACKET_DEPTH);
		return 0;
	}
	if (w->whole)
		planned = 0;
	else if (w->touched->all)
		planned = focus_plan_needles(&focus, f->data, f->len, engine_needles(w->eng), &w->eng->imported_words);
	else
		planned = focus_plan(&focus, f->data, f->len, w->touched, &w->eng->imported_words);
	if (planned)
		rc = parse_focused(w, parser, &focus, &tree, &context);
	w->focused = tree != NULL;
	if (rc == 0 && !tree)
		rc = parse_timed(w, parser, f->data, f->len, NULL, 0, &tree);
	if (rc != 0)
		goto done;
	root = ts_tree_root_node(tree);
	if (context)
		scope_build(w, root, &focus, ts_tree_root_node(context), &w->eng->exports);
	else
		scope_build(w, root, NULL, (TSNode){ { 0 }, 0, 0 }, &w->eng->exports);
	nosec_collect(w, root);
	dispatch_source(w, root);
	if (node_has_error(root))
		report_syntax_error(w, root);
	if (context)
		replay_begin(w, &replay, &focus, context);
	rc = walk_tree(w, root, 0);
	replay_end(w);
	if (rc == PYSEC_ELIMIT)
		error_set(rc, "time budget spent while scanning %s", f->path);
done:
	if (rc == 1)
		rc = 0;	/* the file's own limit: said in the report */
	/*
	 * The trees are not deleted: they are in the file's arena, which
	 * scan_code() ends whole, and ts_tree_delete() would visit every node
	 * to free it (2% of a full scan).
	 */
	if (planned)
		focus_free(&focus);
	return rc;
}

/* scan_code(): a predicate needed more of the file than the focused parse held */
#define SCAN_AGAIN_WHOLE 2

static void walk_init(struct walk *w, const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, const struct lineset *touched, double deadline)
{
	memset(w, 0, sizeof(*w));
	w->eng = eng;
	w->sym = &eng->sym;
	w->field = &eng->field;
	w->rules = &eng->set;
	w->honour_nosec = eng->honour_nosec;
	w->show_suppressed = eng->show_suppressed;
	w->src = f->data;
	w->len = f->len;
	w->path = f->path;
	w->touched = touched;
	w->change_aware = !touched->all;
	w->report = report;
	w->commit = f->commit;
	w->deadline = deadline;
	w->mark = -1;
	w->replay_before = UINT32_MAX;
}

/*
 * The code rules on one Python file, focused unless `whole` (*focused: it
 * was); SCAN_AGAIN_WHOLE: it needs the whole file.
 */
static int scan_code(const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, int whole, double deadline, int *focused)
{
	/* the parser and its trees live in an arena of their own (arena.c says why) */
	struct arena *a = arena_begin();
	TSParser *parser = ts_parser_new();
	struct walk w;
	int rc;

	walk_init(&w, eng, report, f, f->code, deadline);
	w.whole = whole;
	if (!ts_parser_set_language(parser, eng->lang))
		rc = error_set(PYSEC_ERROR, "cannot load the Python grammar");
	else
		rc = scan_python(&w, f, parser);
	if (rc == 0 && w.needs_whole)
		rc = SCAN_AGAIN_WHOLE;
	*focused = w.focused;
	ts_parser_delete(parser);
	arena_end(a);
	walk_free(&w);
	return rc;
}

#ifdef PYSEC_SELF_CHECK
static char *finding_key(const pysec_finding *x)
{
	return xasprintf("%s %u:%u-%u:%u %d/%d %d %s %s", x->rule, x->line, x->column, x->end_line, x->end_column,
		(int)x->severity, (int)x->confidence, x->suppressed, x->fingerprint, x->message);
}

static int key_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_error_entry(const struct pysec_report *r)
{
	size_t i;

	for (i = 0; i < pysec_report_entry_count(r); i++)
		if (pysec_report_entry(r, i)->kind == PYSEC_ENTRY_ERROR)
			return 1;
	return 0;
}

/* The findings from `first` on, one text line each, sorted. */
static char **finding_keys(const struct pysec_report *r, size_t first, size_t *n)
{
	size_t i;
	char **v;

	*n = pysec_report_finding_count(r) - first;
	v = xcalloc(*n ? *n : 1, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = finding_key(pysec_report_finding(r, first + i));
	qsort(v, *n, sizeof(*v), key_order);
	return v;
}

/*
 * A full scan parses only the statements that hold what some clause
 * needs (focus.c, needle.c): it must find what a whole parse finds.
 */
static void check_needle_plan(const struct pysec_engine *eng, const struct pysec_report *report, size_t first,
	const struct file_scan *f)
{
	struct file_scan whole = *f;
	pysec_report *r;
	char **a, **b;
	size_t na, nb, i;
	int focused;

	whole.whole = 1;
	if (pysec_report_new(&r) != 0)
		return;
	/* with a syntax error, how the parser recovers depends on what it is given (focus.c) */
	if (scan_code(eng, r, &whole, 1, 0, &focused) == 0 && !has_error_entry(r)) {
		a = finding_keys(report, first, &na);
		b = finding_keys(r, 0, &nb);
		for (i = 0; i < na && i < nb && !strcmp(a[i], b[i]); i++)
			;
		if (na != nb || i < na)
			fprintf(stderr, "%s: a full scan's plan found %zu findings, a whole parse %zu; first apart: %s | %s\n",
				f->path, na, nb, i < na ? a[i] : "-", i < nb ? b[i] : "-");
		SELF_CHECK(na == nb && i == na);
		for (i = 0; i < na; i++)
			free(a[i]);
		for (i = 0; i < nb; i++)
			free(b[i]);
		free(a);
		free(b);
	}
	pysec_report_free(r);
}
#endif

int engine_scan_file(const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, double deadline)
{
	struct lineset none = { 0 };
	size_t findings = report->nfindings, entries = report->nentries;
	int rc = 0, focused = 0;

	if (f->len > UINT32_MAX)
		return error_set(PYSEC_ELIMIT, "%s: too large to parse", f->path);
	if (f->python && f->code) {
		rc = scan_code(eng, report, f, f->whole, deadline, &focused);
		if (rc == SCAN_AGAIN_WHOLE) {
			/* what the focused parse found is found again, with the context it lacked */
			report_truncate(report, findings, entries);
			rc = scan_code(eng, report, f, 1, deadline, &focused);
		}
#ifdef PYSEC_SELF_CHECK
		if (rc == 0 && focused && f->code->all)
			check_needle_plan(eng, report, findings, f);
#endif
	}
	if (rc == 0 && f->text && eng->by_kind[KIND_LINE].len) {
		struct walk w;
		walk_init(&w, eng, report, f, &none, deadline);
		rc = secrets_scan(&w, &eng->by_kind[KIND_LINE], f->text);
		walk_free(&w);
	}
	return rc;
}
