/* walk.c: what every walk shares: the grammar's ids, and running a predicate's regex. */
#include "walk.h"

#include <pthread.h>

static TSSymbol symbol(const TSLanguage *lang, const char *name)
{
	return ts_language_symbol_for_name(lang, name, (uint32_t)strlen(name), true);
}

void walk_grammar_init(struct walk_symbols *sym, struct walk_fields *field, const TSLanguage *lang)
{
#define S(x, name) sym->x = symbol(lang, name)
	S(call, "call"); S(attribute, "attribute"); S(identifier, "identifier");
	S(string, "string"); S(concatenated_string, "concatenated_string");
	S(argument_list, "argument_list"); S(keyword_argument, "keyword_argument");
	S(comment, "comment"); S(block, "block");
	S(binary_operator, "binary_operator"); S(assignment, "assignment");
	S(string_start, "string_start"); S(string_content, "string_content");
	S(list, "list"); S(tuple, "tuple");
	S(integer, "integer"); S(float_, "float"); S(true_, "true"); S(false_, "false");
	S(none, "none"); S(dictionary, "dictionary"); S(pair, "pair"); S(subscript, "subscript");
	S(comparison_operator, "comparison_operator");
	S(parenthesized_expression, "parenthesized_expression"); S(dotted_name, "dotted_name");
	S(aliased_import, "aliased_import");
	S(relative_import, "relative_import"); S(wildcard_import, "wildcard_import");
	S(import_statement, "import_statement"); S(import_from_statement, "import_from_statement");
	S(assert_statement, "assert_statement");
	S(except_clause, "except_clause"); S(function_definition, "function_definition");
	S(class_definition, "class_definition");
	S(default_parameter, "default_parameter"); S(typed_default_parameter, "typed_default_parameter");
	S(list_splat, "list_splat"); S(dictionary_splat, "dictionary_splat");
	S(module, "module"); S(expression_statement, "expression_statement");
	S(augmented_assignment, "augmented_assignment"); S(decorated_definition, "decorated_definition");
	S(global_statement, "global_statement"); S(nonlocal_statement, "nonlocal_statement");
	S(if_statement, "if_statement"); S(for_statement, "for_statement");
	S(while_statement, "while_statement"); S(try_statement, "try_statement");
	S(with_statement, "with_statement"); S(match_statement, "match_statement");
	S(lambda, "lambda"); S(for_in_clause, "for_in_clause");
	S(list_comprehension, "list_comprehension"); S(set_comprehension, "set_comprehension");
	S(dictionary_comprehension, "dictionary_comprehension");
	S(generator_expression, "generator_expression");
	S(parameters, "parameters");
#undef S
	sym->error = (TSSymbol)-1;
#define F(x) field->x = ts_language_field_id_for_name(lang, #x, (uint32_t)strlen(#x))
	F(function); F(arguments); F(object); F(attribute); F(name); F(value); F(alias);
	F(module_name); F(left); F(right); F(key); F(subscript); F(operator); F(body); F(parameters);
	F(definition);
#undef F
}

static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

/* A JIT-compiled copy of code, or code where JIT fails: matches running on code meanwhile are not disturbed. */
static pcre2_code *jit_copy(pcre2_code *code)
{
	pcre2_code *copy = pcre2_code_copy(code);

	if (copy && pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE) == 0)
		return copy;
	pcre2_code_free(copy);
	return code;
}

const pcre2_code *pred_regex(const struct pred *p, size_t len)
{
	/* an engine is shared read-only; a regex's fast and read are its only writes, atomic */
	struct regex *r = p->re;
	pcre2_code *fast = __atomic_load_n(&r->fast, __ATOMIC_ACQUIRE);

	if (fast)
		return fast;
	if (__atomic_add_fetch(&r->read, len, __ATOMIC_RELAXED) < PRED_JIT_AFTER)
		return r->code;
	pthread_mutex_lock(&jit_lock);
	if (!(fast = r->fast)) {
		fast = jit_copy(r->code);
		__atomic_store_n(&r->fast, fast, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&jit_lock);
	return fast;
}

int pred_search(struct walk *w, const struct pred *p, const char *s, size_t len)
{
	if (!w->md)
		w->md = pcre2_match_data_create(16, NULL);
	return pcre2_match(pred_regex(p, len), (PCRE2_SPTR)s, len, 0, 0, w->md, NULL) >= 0;
}
