/*
 * engine.h: the rules compiled for dispatch, and the scan of one file:
 * its parse (focused or whole) and one walk over it.
 */
#ifndef PYSEC_ENGINE_H
#define PYSEC_ENGINE_H

#include <pthread.h>
#include "lines.h"
#include "needle.h"
#include "report.h"
#include "ruleset.h"
#include "strmap.h"
#include "walk.h"

struct glob_ref;
struct path_rules;

/* A [pysec "path:PATTERN"] section: the rules switched off for the paths PATTERN matches. */
struct path_section {
	struct path_rules *match;
	char **disabled;
	size_t ndisabled;
};

struct pysec_engine {
	struct rule_set set;
	const TSLanguage *lang;
	struct walk_symbols sym;
	struct walk_fields field;
	uint8_t *kind_of;		/* per TSSymbol: what the walk does there */
	uint8_t *opaque;		/* per TSSymbol: 1 if the walk need not look inside */
	uint32_t symbol_count;
	struct strmap call_exact;	/* qualified name -> struct clause_list */
	struct glob_ref *call_globs;	/* call clauses named by a glob, sorted by it */
	size_t nglobs, globcap;
	struct clause_list by_kind[KIND_COUNT];
	int honour_nosec;
	int show_suppressed;		/* pysec.showSuppressed: report what `# nosec` covers, marked */
	struct path_rules *excludes;	/* pysec.exclude: gitignore patterns; NULL: none */
	struct path_section *paths;	/* the [pysec "path:PATTERN"] sections, in the policy's order */
	size_t npaths;
	struct strmap imported_words;	/* the parts of every module an `imported` predicate names (focus.c) */
	struct strmap exports;		/* module -> what `from module import *` binds (char **, NULL-terminated) */
	/* what each clause needs of a statement: a full scan parses those (focus.c); built on first use */
	struct needle_set needles;
	int needles_ready;
	pthread_mutex_t needles_lock;
};

/*
 * The engine's needles, built by the first full scan that asks (a push
 * never does: 0.2 ms of every hook's start saved).  Safe from any thread.
 */
const struct needle_set *engine_needles(const struct pysec_engine *eng);

struct file_scan {
	const char *path;
	const char *data;
	size_t len;
	int python;			/* parse it and run the code rules */
	int whole;			/* parse it whole, never focused (focus.c): for tests */
	const struct lineset *code;	/* lines for the code rules */
	const struct lineset *text;	/* lines for the `line` rules (any text file) */
	const char *commit;
};

/*
 * Scan one file; `deadline` is a clock_now() limit or 0.  Findings and
 * entries (syntax errors, nosec warnings) go to `report`.  Safe to call
 * from several threads at once.
 */
int engine_scan_file(const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, double deadline);

/* Is `path` left out of scans (pysec.exclude)? */
int engine_excluded(const struct pysec_engine *eng, const char *path);
/* Drop the findings of `report` from `from` on whose rule a path section switches off for `path`. */
void engine_drop_path_disabled(const struct pysec_engine *eng, struct pysec_report *report, size_t from,
	const char *path);

#endif
