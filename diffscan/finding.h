/*
 * finding.h: a clause that held becomes a finding: its place, its code
 * line, its fingerprint, unless a `# nosec` comment covers it.
 */
#ifndef PYSEC_FINDING_H
#define PYSEC_FINDING_H

#include "walk.h"

/* Record a finding of clause `c` spanning `node`'s start to `last`'s end, unless a `# nosec` covers it
 * (then recorded marked suppressed only under pysec.showSuppressed). */
void finding_add(struct walk *w, const struct clause *c, TSNode node, TSNode last);
/*
 * Record a finding of clause `c` from byte `byte` (at `start`) to `end`.
 * `code` is the line to show (NULL: the source line of `byte`); `fp_text`
 * is what the fingerprint is made of besides the rule, path and scope.
 */
void finding_add_at(struct walk *w, const struct clause *c, size_t byte, TSPoint start, TSPoint end,
	const char *code, const char *fp_text, size_t fp_len);
/*
 * A change-aware finding: clause `c` holds for the untouched `call`, and
 * the touched statement `source` sets a value it gets.  Reported at
 * `source`, with the call as its related location.
 */
void finding_add_flow(struct walk *w, const struct clause *c, TSNode source, TSNode call);
/* Read every `# nosec` comment of the file, warning about ids that are not rules. */
void nosec_collect(struct walk *w, TSNode root);

#endif
