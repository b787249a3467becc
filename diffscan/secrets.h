/*
 * secrets.h: `match line` clauses: a regex over the touched lines of any
 * text file (secrets.c), and the predicates that judge what it found.
 */
#ifndef PYSEC_SECRETS_H
#define PYSEC_SECRETS_H

#include "walk.h"

/* The `line` clause predicate named `name`, or NULL. */
const struct pred_def *line_pred_lookup(const char *name);
/* Run `clauses` (all `match line`) over the `lines` of the walk's file. */
int secrets_scan(struct walk *w, const struct clause_list *clauses, const struct lineset *lines);

#endif
