/*
 * predicates.h: the vocabulary of a clause's `when` and `unless` lines
 * over the nodes of a walk (rules/README.md lists it; secrets.h has the
 * predicates of `line` clauses).
 */
#ifndef PYSEC_PREDICATES_H
#define PYSEC_PREDICATES_H

#include "ruleset.h"

/* The predicate named `name`, or NULL. */
const struct pred_def *pred_lookup(const char *name);
/* Does `p` depend on the file only (path-matches), not on a node or a line? */
int pred_per_file(const struct pred *p);

#endif
