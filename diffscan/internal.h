/* internal.h: every header of the core, for the files not yet moved to the ones they need. */
#ifndef PYSEC_INTERNAL_H
#define PYSEC_INTERNAL_H

#include "arena.h"
#include "builtin.h"
#include "cache.h"
#include "changeset.h"
#include "common.h"
#include "config.h"
#include "engine.h"
#include "finding.h"
#include "focus.h"
#include "lines.h"
#include "node.h"
#include "predicates.h"
#include "pyast.h"
#include "report.h"
#include "rules.h"
#include "ruleset.h"
#include "secrets.h"
#include "source.h"
#include "strmap.h"
#include "walk.h"

#endif
