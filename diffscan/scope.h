/*
 * scope.h: what a name means where it is used, as Python decides it.
 *
 * Before its walk, the engine reads every statement of a file once
 * (scope_build) and records, per scope (the module, each class body, each
 * function), the names it binds and from where on: imports and aliases
 * with the qualified name they stand for, everything else (a def, a class,
 * a parameter, an object) as an object of the file's own.  The walk then
 * resolves a name through those tables: a function's own names first
 * (bound anywhere in it, or declared global or nonlocal), then the
 * functions around it, then the module as it stands when the function
 * runs (after the whole module: late binding), then the builtins; a class
 * body's names are seen only by the class body itself.  Lambdas and
 * comprehensions are scopes too; the walk pushes them as it meets them.
 */
#ifndef PYSEC_SCOPE_H
#define PYSEC_SCOPE_H

#include "focus.h"
#include "walk.h"

struct scopes;

/*
 * Read the bindings of the walk's tree `root`, and of the context
 * statements of a focused parse (`context`, the tree of `focus`'s text; a
 * null node when there are none), into w->scopes.  `exports` maps a
 * module to what `from module import *` brings (a char ** list, NULL
 * terminated); may be NULL.
 */
void scope_build(struct walk *w, TSNode root, const struct focus *focus, TSNode context,
	const struct strmap *exports);
void scope_free(struct scopes *s);

/* The scope of the function or class statement `def` (its body's scope), or the current one if unknown. */
uint32_t scope_of(const struct walk *w, TSNode def);

/* A lambda's or comprehension's names, while the walk is inside it. */
void scope_push_light(struct walk *w, TSNode n);
/* How many lambdas and comprehensions the walk is in; leave all but the first `depth`. */
size_t scope_light_depth(const struct walk *w);
void scope_light_pop(struct walk *w, size_t depth);

/*
 * The dotted name of an identifier/attribute chain with its first part
 * resolved where `n` is (the walk's scope): `sp.call` is "subprocess.call"
 * after `import subprocess as sp`.  A name bound to an object of the
 * file's own (a parameter, a def, `x = Runner()`) has no module: `run(...)`
 * is ".run", as a chain rooted in a call keeps only ".attr".  Calls that
 * name a module or an attribute by a literal are what they name:
 * `getattr(os, "system")` is "os.system", `importlib.import_module("os")`
 * and `__import__("os")` are "os".  Returns the length, 0 when there is no
 * name.
 */
size_t node_qualname(const struct walk *w, TSNode n, char *out, size_t cap);

#endif
