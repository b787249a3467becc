/*
 * pysec.h: the core library of pysec, a security gate for the Python lines
 * that a git change touches.
 *
 * A caller (the `git pysec` front ends: scan, pre-receive, review, serve)
 * follows these steps:
 *
 *   1. pysec_config_load()    read the policy (git-config syntax files)
 *   2. pysec_engine_new()     load and compile the rules once; the engine is
 *                             immutable and may be shared by threads
 *   3. pysec_changeset_*()    say what to scan: a rev range, the index, the
 *                             working tree, a push, or whole files
 *   4. pysec_scan()           parse each distinct blob once, run the rules
 *                             over the touched lines, collect a report
 *   5. pysec_report_write_*() print it; pysec_report_verdict() decides
 *
 * Every function that can fail returns 0 or a negative PYSEC_E* code and
 * sets a message that pysec_error_last() reads back (per thread).  Output
 * parameters come first, are named `out`, and are set only on success.
 * Objects are released with their own *_free(), which accepts NULL.
 *
 * Content is data: a file that does not parse, is binary, or is too large
 * becomes an entry in the report, never an error return.
 */
#ifndef PYSEC_H
#define PYSEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <git2.h>

#define PYSEC_VERSION "0.1.0"
/* Where pysec's documentation is (SARIF's informationUri); the build may set it. */
#ifndef PYSEC_URL
#define PYSEC_URL "file:///usr/local/share/doc/pysec/README.md"
#endif

/* Error codes.  PYSEC_ERROR is the generic failure. */
enum {
	PYSEC_OK = 0,
	PYSEC_ERROR = -1,
	PYSEC_EINVALID = -2,	/* bad configuration, rule file or argument */
	PYSEC_ENOTFOUND = -3,	/* a revision, path or rule that is not there */
	PYSEC_EREPO = -4,	/* the repository could not be read */
	PYSEC_ELIMIT = -5,	/* a time, size or count budget was spent */
};

/* The last error message of this thread, never NULL. */
const char *pysec_error_last(void);

/* Severity and confidence share one scale; 0 means "unset". */
typedef enum {
	PYSEC_LEVEL_UNSET = 0,
	PYSEC_LEVEL_LOW = 1,
	PYSEC_LEVEL_MEDIUM = 2,
	PYSEC_LEVEL_HIGH = 3,
} pysec_level;

const char *pysec_level_name(pysec_level level);
/* Parse "low", "medium", "high" (any case); returns PYSEC_LEVEL_UNSET if none. */
pysec_level pysec_level_parse(const char *name);

/*
 * Configuration
 *
 * Files in git-config syntax, read by libgit2.  Later sources override
 * earlier ones, except where a source is marked `strict_only`: then it may
 * only make the policy stricter (enable rules, lower thresholds), which is
 * how pushed content is kept from weakening a server policy.
 */
typedef struct pysec_config pysec_config;

typedef enum {
	PYSEC_CONFIG_NORMAL = 0,
	PYSEC_CONFIG_STRICT_ONLY = 1,
} pysec_config_trust;

/*
 * Where a policy comes from.  pysec_config_load() reads these in this
 * order, each over the ones before it (a key set twice takes the later
 * value; a list, such as pysec.disable, every value):
 *
 *   1. defaults        the front end's own: "key", "value", ..., NULL
 *   2. system_file     the system policy (/etc/pysec.conf); missing is fine
 *   3. repo            the repository's git config (with git's system,
 *                      global and local files, as libgit2 reads them)
 *   4. tree_file       a `.pysec` on disk (a working tree's); missing is fine
 *      tree_commit     or the `.pysec` of this commit's tree (a review's base)
 *   5. strict_commits  the `.pysec` of each of these commits' trees, which
 *                      may only make the policy stricter (pushed content, a
 *                      request's head); with strict_if_allowed, only when
 *                      the policy so far says pysec.allowInTreeConfig
 *   6. extra_file      --config FILE; it must exist
 *   7. command_line    git's -c: GIT_CONFIG_COUNT with GIT_CONFIG_KEY_<n> and
 *                      GIT_CONFIG_VALUE_<n>, then GIT_CONFIG_PARAMETERS, read
 *                      through `getenv` (NULL: the process's environment) as
 *                      git reads them
 *   8. flags           the command's own options: "key", "value", ..., NULL
 *   9. the project's Bandit configuration, for the settings that none of
 *      the above sets: bandit_file (--bandit-config, Bandit's -c: YAML, or
 *      TOML when it ends in .toml; it must exist) or else pyproject.toml's
 *      [tool.bandit], and .bandit, at the top of bandit_dir (a working
 *      tree), of tree_commit's tree, and (strict-only, as their .pysec) of
 *      strict_commits' trees; pysec.banditConfig = false reads only
 *      bandit_file
 *
 * Only pysec.* keys are kept.  Fields left 0 or NULL are not read.
 */
typedef struct {
	const char *const *defaults;
	const char *system_file;
	git_repository *repo;
	const char *tree_file;
	const git_oid *tree_commit;
	const git_oid *strict_commits;
	size_t strict_count;
	int strict_if_allowed;
	const char *extra_file;
	int command_line;
	const char *(*getenv)(const char *name, void *payload);
	void *payload;
	const char *const *flags;
	const char *bandit_dir;
	const char *bandit_file;
} pysec_config_sources;

#define PYSEC_CONFIG_SOURCES_INIT { 0 }

/*
 * Read the policy from `sources`.  *out is set either way: on failure
 * (PYSEC_EINVALID names the source and what is wrong in it) it holds what
 * the sources before the failing one said, so that the gate can still
 * follow pysec.onError.  Free it either way.
 */
int pysec_config_load(pysec_config **out, const pysec_config_sources *sources);
void pysec_config_free(pysec_config *cfg);

/* Read back one value: the last one set, or `fallback`. */
const char *pysec_config_get(const pysec_config *cfg, const char *key, const char *fallback);
/* A boolean as git reads one (true/yes/on/1, false/no/off/0), or `fallback` when unset. */
int pysec_config_bool(const pysec_config *cfg, const char *key, int fallback);
/* A whole number up to `max` as git writes one ("10", "64k", "0x10"), or `fallback` when unset. */
unsigned long long pysec_config_number(const pysec_config *cfg, const char *key, unsigned long long max,
	unsigned long long fallback);
/* Seconds, with a fraction ("0.5"), or `fallback` when unset. */
double pysec_config_seconds(const pysec_config *cfg, const char *key, double fallback);
/* Notes about entries that were ignored (strict-only sources), one per line. */
const char *pysec_config_notes(const pysec_config *cfg);

/* The entries of a policy, in the order they were read, each over the ones before it. */
typedef struct {
	const char *key;	/* as the documentation spells a setting: "pysec.failOn" */
	const char *value;
	int replaced;		/* a later entry sets the key again (a list, pysec.disable, keeps them all) */
} pysec_config_item;

size_t pysec_config_count(const pysec_config *cfg);
void pysec_config_entry(const pysec_config *cfg, size_t i, pysec_config_item *out);
/*
 * Where entry `i` was set: "FILE:LINE", "git -c", "GIT_CONFIG_KEY_0",
 * "command line", "default"; the caller frees it.  Finding a file's line
 * parses parts of the file again, so ask only for a message.
 */
char *pysec_config_where(const pysec_config *cfg, size_t i);

/*
 * One source at a time: the loader's steps, for tests and fuzzers.
 */
/* An empty configuration: every default applies. */
int pysec_config_new(pysec_config **out);
/* Add a git-config file; a missing file is PYSEC_ENOTFOUND. */
int pysec_config_add_file(pysec_config *cfg, const char *path, pysec_config_trust trust);
/* Add a git-config text held in memory (an in-tree .pysec blob). */
int pysec_config_add_buffer(pysec_config *cfg, const char *name, const char *text,
	size_t len, pysec_config_trust trust);
/* Add the file at `path` in `commit`'s tree (an in-tree .pysec); missing: PYSEC_ENOTFOUND. */
int pysec_config_add_committed_file(pysec_config *cfg, git_repository *repo, const git_oid *commit,
	const char *path, pysec_config_trust trust);
/* Add the pysec.* entries of a repository's own config. */
int pysec_config_add_repository(pysec_config *cfg, git_repository *repo);
/* Set one value, as from a command line flag (trusted). */
int pysec_config_set(pysec_config *cfg, const char *key, const char *value);

/*
 * Rules and the engine
 *
 * The built-in rules are the files of rules/ compiled into the binary; the
 * directories named by `pysec.rulesDir` are loaded after them, and a rule
 * there with a built-in id replaces it.  See rules/README.md for the format.
 */
typedef struct pysec_engine pysec_engine;

typedef struct {
	const char *id;		/* "B602" */
	const char *name;	/* "subprocess_popen_with_shell_equals_true" */
	const char *title;
	const char *kind;	/* what it matches: "call", "import", ... */
	pysec_level severity;	/* the default; a match clause may change it */
	pysec_level confidence;
	int cwe;		/* 0 when none */
	const char *message;
	const char *fix;
	const char *why;
	const char *example;
	const char *source;	/* "builtin:python/B602.rule" or a path */
	int enabled;
} pysec_rule_info;

int pysec_engine_new(pysec_engine **out, const pysec_config *cfg);
void pysec_engine_free(pysec_engine *engine);
size_t pysec_engine_rule_count(const pysec_engine *engine);
/*
 * True when some enabled rule is a history rule (`match line`: secrets),
 * which a push must apply to every line of every new commit, because
 * history keeps a secret that a later commit removes.
 */
int pysec_engine_has_history_rules(const pysec_engine *engine);
/* Rule `i` in load order; NULL past the end. */
const pysec_rule_info *pysec_engine_rule(const pysec_engine *engine, size_t i);
const pysec_rule_info *pysec_engine_rule_find(const pysec_engine *engine, const char *id);

/*
 * Changesets: what to scan
 *
 * A changeset is a list of files, each with where its new content comes
 * from (a blob, or a path on disk), the lines that count as touched, and
 * the commit that introduced them when known.
 */
typedef struct pysec_changeset pysec_changeset;
typedef struct pysec_report pysec_report;	/* see Reports below */

/* Lines added by `spec`: "REV" (against its first parent), "A..B", "A...B". */
int pysec_changeset_from_revspec(pysec_changeset **out, git_repository *repo, const char *spec);
/* Lines the index adds over HEAD (a pre-commit check). */
int pysec_changeset_from_index(pysec_changeset **out, git_repository *repo);
/* Lines the working tree and index add over HEAD. */
int pysec_changeset_from_workdir(pysec_changeset **out, git_repository *repo);
/* Lines `new_tree` adds over `old_tree` (either may be NULL: the empty tree). */
int pysec_changeset_from_trees(pysec_changeset **out, git_repository *repo,
	git_tree *old_tree, git_tree *new_tree, const git_oid *commit);
/*
 * Every line of every Python file under the paths (files or directories).
 * With `ignores`, a repository with a working tree, what git ignores there
 * (.gitignore, info/exclude, core.excludesFile, as libgit2 reads them) is
 * left out of the directories walked; a file named in `paths` is scanned
 * whatever.  NULL: nothing is ignored.
 */
int pysec_changeset_from_paths(pysec_changeset **out, git_repository *ignores, const char *const *paths,
	size_t count);
/*
 * The same for paths named from the directory `root` (with its '/' at the
 * end: the top of a working tree), as the report names them; an absolute
 * path is itself.
 */
int pysec_changeset_from_paths_in(pysec_changeset **out, git_repository *ignores, const char *root,
	const char *const *paths, size_t count);
/*
 * Pushes: the pre-receive hook's input, one "<old> <new> <ref>" line per
 * ref.  The lines a push adds are, per ref, those of diff(base, new) where
 * base is the old tip when it is an ancestor of new, else the existing
 * commit the new history starts from (the first parent of the oldest new
 * commit on new's first-parent chain), else the empty tree.  Deleted refs
 * add nothing; annotated tags are peeled; a ref to a blob or tree is
 * skipped with a note.  Findings get the commit that added their line.
 */
typedef struct {
	git_oid old_id, new_id;
	char *refname;
} pysec_ref_update;

typedef struct pysec_push pysec_push;

/* Parse pre-receive input; malformed input is PYSEC_EINVALID naming its line. */
int pysec_push_parse(pysec_push **out, const char *input, size_t len);
/*
 * Parse pre-push input ("<local ref> <local id> <remote ref> <remote id>"
 * lines, in the sender's clone): the remote's id is the update's old id;
 * scan it with pysec_push_options.known_refs naming the remote's refs.
 */
int pysec_push_parse_pre_push(pysec_push **out, const char *input, size_t len);
size_t pysec_push_count(const pysec_push *push);
const pysec_ref_update *pysec_push_update(const pysec_push *push, size_t i);
void pysec_push_free(pysec_push *push);

typedef struct {
	size_t max_commits;	/* more new commits than this: PYSEC_ELIMIT; 0 = no limit */
	int history;		/* also every line each new commit adds, for the history rules */
	/*
	 * NULL: a commit is new unless some ref reaches it (pre-receive: the
	 * repository is the receiver).  Else a pre-push in the sender's clone:
	 * a commit is new unless a ref under this prefix ("refs/remotes/origin/")
	 * or an update's old id (what the remote has) reaches it.
	 */
	const char *known_refs;
} pysec_push_options;

#define PYSEC_PUSH_OPTIONS_INIT { 0, 0, NULL }
/*
 * pysec.maxCommits' default: high enough for a project's whole history
 * pushed into an empty repository (an import), a bound on a push's memory
 * all the same (bench/README.md, import.sh).
 */
#define PYSEC_PUSH_MAX_COMMITS 100000

/* The lines `push` adds to `repo`; notes about refs it skips go to `report`. */
int pysec_changeset_from_push(pysec_changeset **out, pysec_report *report, git_repository *repo,
	const pysec_push *push, const pysec_push_options *opts);

/*
 * git_repository_open_ext() with errors that name their cause: where
 * libgit2 refuses a repository owned by another user (and says only that
 * "config value 'safe.directory' was not found"), PYSEC_EREPO says whose
 * it is and who runs pysec.  PYSEC_ENOTFOUND when there is no repository.
 */
int pysec_repository_open(git_repository **out, const char *path, unsigned int flags);

/*
 * Open the repository a hook runs in so that the pushed objects, still in
 * the quarantine directory, are visible (GIT_DIR, GIT_OBJECT_DIRECTORY and
 * the alternates from the environment, plus the common objects directory,
 * which libgit2 1.5 misses when the path holds a ':').
 */
int pysec_repository_open_hook(git_repository **out);

/*
 * The pre-receive gate: `input` is what git gives the hook on stdin; the
 * `remote:` lines go to `out`.  Returns 0 to accept the push and 1 to
 * reject it; a failure goes through the policy (pysec.onError), except
 * with `defer_failures`: then a failure that says nothing of the push (the
 * repository, its objects, the policy or the rules could not be read)
 * returns PYSEC_GATE_DEFERRED, with the reason in pysec_error_last(), and
 * what was written to `out` is to be dropped: the caller hands the push to
 * someone who can judge it (the daemon to the hook's own process).  A spent
 * budget or limit is the push's own, and a verdict either way.  The
 * environment (pusher, push options, GitLab) and the repository come
 * through the callbacks, so that a daemon can run the gate for a hook in
 * another process.
 */
typedef struct pysec_cache pysec_cache;	/* see Caches below */

typedef struct {
	const char *(*getenv)(const char *name, void *payload);
	/*
	 * The repository, its quarantine included.  Called once for the push,
	 * and again for each more thread that a large push's scan starts: each
	 * call a handle of its own (a failure there only means one thread less).
	 */
	int (*open_repository)(git_repository **out, void *payload);
	void *payload;
	const char *system_config;	/* the system policy file; missing is fine */
	pysec_cache *cache;		/* compiled rules and blob results kept between runs, or NULL */
	int defer_failures;
} pysec_gate_options;

#define PYSEC_GATE_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, 0 }
#define PYSEC_GATE_DEFERRED 2

int pysec_gate_run(const char *input, size_t len, const pysec_gate_options *opts, FILE *out);

/*
 * Keep only the files that match one of the git pathspecs (paths from the
 * top of the working tree; a directory matches what is under it, globs
 * match across '/', as in `git diff -- <pathspec>`).
 */
int pysec_changeset_limit(pysec_changeset *cs, const char *const *pathspecs, size_t count);

/* Append the entries of `src` to `dst` (src is left empty). */
void pysec_changeset_merge(pysec_changeset *dst, pysec_changeset *src);
size_t pysec_changeset_count(const pysec_changeset *cs);
/* True when `line` (1-based) of `path` is one of the lines the changeset adds. */
int pysec_changeset_adds(const pysec_changeset *cs, const char *path, uint32_t line);
/* The name `path` had before the change when it was renamed or copied; else NULL. */
const char *pysec_changeset_old_path(const pysec_changeset *cs, const char *path);
void pysec_changeset_free(pysec_changeset *cs);

/*
 * Reports
 */
typedef struct {
	const char *rule;	/* rule id */
	const char *title;
	pysec_level severity;
	pysec_level confidence;
	int cwe;
	const char *path;
	uint32_t line, column;	/* 1-based; column counts bytes */
	uint32_t end_line, end_column;
	uint32_t column_utf16, end_column_utf16;	/* the same columns in UTF-16 code units (SARIF's) */
	uint32_t column_char, end_column_char;		/* and in characters (code points: what editors count) */
	const char *message;
	const char *fix;
	const char *code;	/* the source line the finding starts on */
	const char *commit;	/* hex id, or NULL */
	const char *fingerprint;
	const char *suggestion;	/* the finding's first line rewritten by the rule's `suggest`, or NULL */
	/*
	 * 1: a `# nosec` covers it.  Such findings are in a report only when
	 * the policy says pysec.showSuppressed; they never count or block,
	 * and only SARIF (as suppressed results) and JSON show them.
	 */
	int suppressed;
	/*
	 * A change-aware finding (README, "What a change adds"): the finding is
	 * the verdict of an untouched call that the value of the touched line
	 * (line, column, ...) now reaches; this is that call (related_line 0:
	 * none), and related_code its first line.
	 */
	uint32_t related_line, related_column, related_end_line, related_end_column;
	uint32_t related_column_utf16, related_end_column_utf16;	/* as column_utf16 */
	const char *related_code;
} pysec_finding;

typedef enum {
	PYSEC_ENTRY_ERROR = 1,	/* a file that could not be scanned fully */
	PYSEC_ENTRY_SKIPPED,	/* a file left out on purpose: binary, symlink, ... */
	PYSEC_ENTRY_WARNING,	/* e.g. a `# nosec` with an unknown rule id */
} pysec_entry_kind;

typedef struct {
	pysec_entry_kind kind;
	const char *path;	/* may be NULL for a scan-wide entry */
	uint32_t line;		/* 0 when not about one line */
	const char *message;
} pysec_entry;

int pysec_report_new(pysec_report **out);
void pysec_report_free(pysec_report *report);
size_t pysec_report_finding_count(const pysec_report *report);
const pysec_finding *pysec_report_finding(const pysec_report *report, size_t i);
size_t pysec_report_entry_count(const pysec_report *report);
const pysec_entry *pysec_report_entry(const pysec_report *report, size_t i);
/* Sort findings by path, line, column, rule, and entries by path and line (scans produce them in any order). */
void pysec_report_sort(pysec_report *report);

/*
 * The threshold every command applies unless the policy or a flag sets
 * one (pysec.failOn, pysec.minConfidence): a local scan judges as the
 * server's hook and a review do.
 */
#define PYSEC_DEFAULT_FAIL_ON "medium"
#define PYSEC_DEFAULT_MIN_CONFIDENCE "medium"

/* A finding is "blocking" when both levels reach the thresholds. */
typedef struct {
	pysec_level fail_on;		/* minimum severity that fails */
	pysec_level min_confidence;	/* minimum confidence that counts at all */
} pysec_threshold;

/* True when the finding counts at all (its confidence reaches min_confidence, and no `# nosec` covers it). */
int pysec_finding_counts(const pysec_finding *f, const pysec_threshold *t);
/* True when the finding counts and its severity reaches fail_on. */
int pysec_finding_blocks(const pysec_finding *f, const pysec_threshold *t);
/* Number of blocking findings. */
size_t pysec_report_blocking(const pysec_report *report, const pysec_threshold *t);

/*
 * Baselines: the findings a code base had when it adopted pysec, so that a
 * scan reports only new ones.  A baseline is pysec's JSON report (findings
 * matched by fingerprint) or Bandit's (`bandit -f json`: matched by file
 * and test id, counted, as Bandit's `-b` does).
 */
typedef struct pysec_baseline pysec_baseline;

/* Read the baseline at `path`; a file that is not such a report is PYSEC_EINVALID, naming it. */
int pysec_baseline_load(pysec_baseline **out, const char *path);
/* Drop from `report` the findings the baseline has (each matches once); returns how many. */
size_t pysec_baseline_filter(pysec_baseline *baseline, pysec_report *report);
void pysec_baseline_free(pysec_baseline *baseline);

typedef enum {
	PYSEC_FORMAT_TEXT = 0,
	PYSEC_FORMAT_JSON,
	PYSEC_FORMAT_PUSH,	/* one line a finding for `remote:` output; below the threshold: warnings */
	PYSEC_FORMAT_SARIF,	/* SARIF 2.1.0, columns in UTF-16 code units */
	PYSEC_FORMAT_GITLAB_CODEQUALITY,	/* GitLab's Code Quality report */
	PYSEC_FORMAT_GITLAB_SAST,	/* GitLab's security report, SAST schema 15.0.7 */
	PYSEC_FORMAT_JUNIT,	/* JUnit XML: a test case per finding */
	PYSEC_FORMAT_RDJSON,	/* reviewdog's diagnostic format */
	PYSEC_FORMAT_GITHUB,	/* GitHub Actions workflow commands (annotations) */
} pysec_format;

/* The format `name` names ("sarif", "gitlab-sast", ...; not "push"); -1 when none does. */
int pysec_format_parse(pysec_format *out, const char *name);
/* The names pysec_format_parse() takes, separated by '|' ("text|json|sarif|..."). */
const char *pysec_format_names(void);

/*
 * What a run was, for the formats that describe it (SARIF, GitLab SAST,
 * JUnit).  Every field may be left 0 or NULL: it is then left out.
 */
typedef struct {
	const pysec_engine *engine;	/* its enabled rules are listed (SARIF); NULL: those of the findings */
	int exit_code;			/* what the command exits with */
	double start_time, end_time;	/* seconds since the epoch */
	const char *root;		/* the absolute directory the findings' relative paths start from */
	const char *repository_uri;	/* the repository's URI (never with credentials) */
	const char *revision;		/* the commit scanned, hex */
	const char *branch;		/* its branch */
} pysec_run_info;

typedef struct {
	pysec_format format;
	int color;			/* text only: ANSI colour */
	pysec_threshold threshold;	/* findings below min_confidence are not printed */
	const char *line_prefix;	/* text only: put before every line ("GL-HOOK-ERR: ") */
	const pysec_run_info *run;	/* or NULL */
} pysec_write_options;

#define PYSEC_WRITE_OPTIONS_INIT { PYSEC_FORMAT_TEXT, 0, { PYSEC_LEVEL_LOW, PYSEC_LEVEL_LOW }, NULL, NULL }

int pysec_report_write(const pysec_report *report, const pysec_write_options *opts, FILE *out);

/*
 * `path` as git prints it with core.quotePath false (quote.c): as it is
 * when plain, else in double quotes with C escapes (\n, \t, \", \\, and
 * octal) for control characters, and, where git would print them raw,
 * also for bidirectional and other invisible format characters and for
 * bytes that are not UTF-8: they would make a terminal or a log show
 * another name.  The caller frees the copy.
 */
char *pysec_path_quote(const char *path);

/*
 * Scanning
 */
/* How far a scan is, for a progress line. */
typedef struct {
	size_t files_done, files_total;	/* distinct files (blobs or paths on disk) */
	uint64_t bytes;			/* read so far */
	double seconds;			/* since the scan started */
	int finished;			/* 1 on the call when the scan is over */
} pysec_scan_progress;

typedef struct {
	size_t max_file_size;	/* bytes; larger files are skipped with an entry */
	double time_budget;	/* seconds; 0 = none; spent => PYSEC_ELIMIT */
	git_repository *repo;	/* where blob ids are looked up; may be NULL for paths */
	unsigned threads;	/* at most this many threads; 0 = one per CPU (for blobs, as many as the work repays) */
	pysec_cache *cache;	/* blob results to reuse and keep, when the engine came from it; or NULL */
	/*
	 * Called after each file, one call at a time (from the thread that
	 * scanned it), and once more when the scan is over; or NULL.
	 */
	void (*progress)(const pysec_scan_progress *progress, void *payload);
	void *progress_payload;
	/*
	 * Seconds more for each file a push's new commit adds lines to, added to
	 * the budget as the scan diffs the commit (a push of a whole history
	 * gets time in proportion to it); 0 = none.
	 */
	double time_per_file;
	/*
	 * Another handle on `repo`'s objects (a hook's quarantine included),
	 * for a thread of its own: libgit2 reads one object database's pack
	 * one object at a time.  NULL, or a failure: the threads share `repo`'s.
	 */
	int (*open_repository)(git_repository **out, void *payload);
	void *open_payload;
} pysec_scan_options;

#define PYSEC_SCAN_MAX_FILE_SIZE_DEFAULT (1024 * 1024)
#define PYSEC_SCAN_OPTIONS_INIT { PYSEC_SCAN_MAX_FILE_SIZE_DEFAULT, 0, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL }

/*
 * Scan every entry of `cs` and append the findings and entries to `report`;
 * then each new commit of a push, diffed in turn, for the history rules.
 * Each distinct blob of the entries is read and parsed once.  A large
 * scan of blobs is shared by the CPUs, each thread with its own handle on
 * the repository's objects.  Returns PYSEC_ELIMIT when the
 * time budget ran out (the report then holds what was found so far) and
 * PYSEC_EREPO when the repository failed under it.
 */
int pysec_scan(pysec_report *report, const pysec_engine *engine,
	const pysec_changeset *cs, const pysec_scan_options *opts);

/*
 * Caches: what a long-running caller (the daemon) keeps between scans.
 *
 * Compiled engines, one per policy (the policy's entries that can change
 * what the rules find, and the names, sizes and times of the files in its
 * rules directories), and the result of scanning one blob, keyed by the
 * engine, the blob id, its path and the exact lines scanned.  A blob
 * scanned again with the same added lines (the same commit pushed to
 * another branch, a rebase that leaves the file alone, the review of a
 * request pushed in one go) is then not parsed again.  The result is not
 * kept for all lines and filtered on use: a file's findings on some lines
 * are not a subset of its findings on all lines (fingerprints number
 * repeats among the lines scanned; a string chain is judged at its first
 * scanned string).  The commit of each finding is set on every use.
 *
 * Thread-safe; bounded in entries and bytes (least recently used first
 * out), and in engines (one that a caller still holds is never freed).
 */
typedef struct {
	size_t max_entries;	/* blob results kept */
	size_t max_bytes;	/* their approximate size */
	size_t max_engines;	/* compiled policies kept */
} pysec_cache_options;

#define PYSEC_CACHE_OPTIONS_INIT { 100000, 256u << 20, 16 }

int pysec_cache_new(pysec_cache **out, const pysec_cache_options *opts);
/* Every engine it handed out must have been released. */
void pysec_cache_free(pysec_cache *cache);
/*
 * The engine for `cfg`, compiled on first use of its policy and kept; the
 * caller gives it back with pysec_cache_engine_release().  Scans with this
 * engine and `pysec_scan_options.cache` set to this cache use and fill it.
 */
int pysec_cache_engine(const pysec_engine **out, pysec_cache *cache, const pysec_config *cfg);
void pysec_cache_engine_release(pysec_cache *cache, const pysec_engine *engine);

typedef struct {
	uint64_t hits, misses, evictions;	/* blob results */
	size_t entries, bytes, engines;
} pysec_cache_stats;

void pysec_cache_stats_get(pysec_cache_stats *out, pysec_cache *cache);

/*
 * Scan one buffer as the Python file `path`, every line touched.  For tests
 * and for front ends that hold content themselves.
 */
int pysec_scan_buffer(pysec_report *report, const pysec_engine *engine,
	const char *path, const char *data, size_t len);

#endif
