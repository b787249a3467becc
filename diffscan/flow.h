/*
 * flow.h: the values that reach a call's arguments, followed within a
 * function (or within the module) through assignments, augmented
 * assignments, concatenation, f-strings, `%` and `.format`, containers
 * and simple aliases.
 *
 * A name's value is what the assignments that may reach the use assign
 * (the last one in a block around the use, and any in an if, loop or try
 * between it and the use); a parameter, a loop or `with` target, or a name
 * bound outside the function is unknown.  While w->recording is set, every
 * statement a value is read from is added to w->sources: the engine uses
 * them to tell a touched line that changes what an untouched call gets.
 */
#ifndef PYSEC_FLOW_H
#define PYSEC_FLOW_H

#include "walk.h"

/* What reaches `n`: through a name with one reaching plain assignment, its value (followed again); else `n`. */
TSNode flow_value(struct walk *w, TSNode n);

/* 1: `n`'s value is a string, or a list, tuple or set, built only from literals; 2: another constant; 0: anything else. */
int flow_literal(struct walk *w, TSNode n);

#endif
