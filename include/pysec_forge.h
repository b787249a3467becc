/*
 * pysec_forge.h: reviewing a GitLab merge request, a Gitea pull request or
 * a GitHub pull request.
 *
 * The findings of a scan of what the request adds become inline comments
 * on its lines, one summary comment for the rest, and a commit status on its
 * head.  A caller (`git pysec review`, the daemon's review workers) follows these
 * steps:
 *
 *   1. pysec_forge_new()          a client for one forge: API URL, token, TLS,
 *                                 timeouts, retries
 *   2. pysec_review_refs_get()    the request's commits as the forge states
 *                                 them (GitLab: diff_refs; Gitea: merge base
 *                                 and head), never the target branch's tip
 *   3. the core (pysec.h)         scan "base...head" in a local repository
 *                                 that holds both commits
 *   4. pysec_review_run()         list what pysec posted before, post what
 *                                 is new, resolve (GitLab) or delete (Gitea)
 *                                 what is fixed, set the commit status
 *
 * Conventions are the core's: 0 or a negative code, the message read back
 * with pysec_error_last() (per thread), output parameters first and named
 * `out`, options structs with an _INIT macro.  The token is a secret: no
 * message, trace line or action this module produces ever holds it.
 *
 * A pysec_forge is used by one thread at a time (it may run a few requests
 * in parallel inside a call); a daemon makes one per job.
 */
#ifndef PYSEC_FORGE_H
#define PYSEC_FORGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pysec.h"

/* The forge refused a request, or could not be reached after the retries. */
#define PYSEC_EFORGE (-20)

typedef enum {
	PYSEC_FORGE_GITLAB = 1,	/* REST API v4 */
	PYSEC_FORGE_GITEA = 2,	/* API v1 */
	PYSEC_FORGE_GITHUB = 3,	/* REST API (github.com, or GitHub Enterprise Server's /api/v3) */
} pysec_forge_kind;

/* "gitlab", "gitea" or "github" (any case); 0 when none. */
pysec_forge_kind pysec_forge_kind_parse(const char *name);
const char *pysec_forge_kind_name(pysec_forge_kind kind);

typedef struct pysec_forge pysec_forge;

typedef struct {
	pysec_forge_kind kind;
	/*
	 * The API root ("https://gitlab.example.com/api/v4"); a bare server URL
	 * gets "/api/v4" (GitLab), "/api/v1" (Gitea) or "/api/v3" (GitHub
	 * Enterprise Server) added, and https://github.com becomes
	 * https://api.github.com.  http and https only; TLS certificates are
	 * always verified.
	 */
	const char *url;
	const char *token;		/* copied; sent only in the auth header */
	/*
	 * The login the token acts as, for when the forge will not say: a
	 * GitHub Actions GITHUB_TOKEN or a GitHub App's token cannot read
	 * /user ("github-actions[bot]", "my-app[bot]").  NULL: the forge must say.
	 */
	const char *login;
	const char *ca_bundle;		/* PEM file of CAs to trust instead of the system's; NULL: the system's */
	unsigned timeout_ms;		/* one attempt of one request, start to end */
	unsigned connect_timeout_ms;
	unsigned retries;		/* further attempts after a 5xx, a 429 or a connection error */
	unsigned retry_base_ms;		/* the first backoff; it doubles per attempt, with jitter */
	unsigned retry_max_ms;		/* the longest backoff */
	/*
	 * Rate limits: the longest a request waits in all for the forge's
	 * Retry-After or x-ratelimit-reset (a longer wait fails it).  These
	 * waits do not use up `retries`, which are for failures.
	 */
	unsigned max_wait_ms;
	unsigned max_in_flight;		/* requests at once (1..16) */
	size_t max_response;		/* bytes; a larger answer fails the request */
	int gitlab_json;		/* GitLab: send JSON bodies rather than the documented form fields */
	FILE *trace;			/* one line per request (method, URL, status, retries), or NULL */
	/*
	 * Asked while a request runs (about once a second when nothing moves)
	 * and while one waits to be retried: once it returns non-zero, the
	 * transfer is aborted, nothing is retried or started, and the call
	 * fails (a daemon that is stopping).  NULL: never.
	 */
	int (*cancel)(void *payload);
	void *cancel_payload;
} pysec_forge_options;

#define PYSEC_FORGE_OPTIONS_INIT \
	{ 0, NULL, NULL, NULL, NULL, 30000, 10000, 4, 500, 30000, 60000, 4, 16u << 20, 0, NULL, NULL, NULL }

/* A client for one forge; PYSEC_EINVALID for a bad URL, a token that cannot go in a header, ... */
int pysec_forge_new(pysec_forge **out, const pysec_forge_options *opts);
void pysec_forge_free(pysec_forge *forge);
/* The API root in use (after "/api/vN" was added); never holds the token. */
const char *pysec_forge_url(const pysec_forge *forge);

/*
 * Who the token acts as, as the first review with a client found it (GET
 * /user; or the login of the options, when the forge will not say).  A
 * caller that makes a client per review (the daemon) gives it to the next
 * client of the same URL and token, which then does not ask again: one
 * request less per review, on the token's rate limit.
 */
typedef struct {
	int64_t id;		/* -1 when only the login is known */
	char login[256];
} pysec_forge_user;

/* 0 with the user, or PYSEC_ENOTFOUND when no review with this client has found it yet. */
int pysec_forge_user_get(pysec_forge_user *out, const pysec_forge *forge);
void pysec_forge_user_set(pysec_forge *forge, const pysec_forge_user *user);

/* One merge request (GitLab) or pull request (Gitea, GitHub). */
typedef struct {
	const char *project;	/* GitLab: the numeric id or "group/project"; Gitea, GitHub: "owner/repo" */
	uint64_t number;	/* GitLab: the merge request's iid; Gitea, GitHub: the pull request's number */
} pysec_review_target;

/* A request's commits, 40 hex digits each. */
typedef struct {
	char base[41];		/* the diff's base: GitLab base_sha, Gitea merge_base; "" when the forge does not say */
	char start[41];		/* GitLab start_sha; Gitea, GitHub: the base branch's commit */
	char head[41];		/* the request's head: what is scanned, commented on and given the status */
} pysec_review_refs;

/*
 * The request's commits.  GitLab: the merge request's diff_refs, else its
 * newest version; Gitea: the pull request's merge base and head; GitHub:
 * its base and head commits, with base left "" (GitHub does not state the
 * merge base: pysec_review_request_run() finds it in the repository, as
 * GitHub's own diff is base...head).  PYSEC_ENOTFOUND when the forge does
 * not know the request.
 */
int pysec_review_refs_get(pysec_review_refs *out, pysec_forge *forge, const pysec_review_target *target);

/* What pysec_review_run does, one report per write (or would-be write). */
typedef enum {
	PYSEC_REVIEW_COMMENT = 1,	/* an inline comment on one finding */
	PYSEC_REVIEW_REVIEW,		/* Gitea, GitHub: the one review that carries the new comments and the summary */
	PYSEC_REVIEW_SUMMARY,		/* GitLab: the summary comment, or its resolution when it is outdated */
	PYSEC_REVIEW_CLOSE,		/* an earlier comment whose finding is gone: resolved, deleted or marked fixed */
	PYSEC_REVIEW_STATUS,		/* the commit status on the head */
	PYSEC_REVIEW_WITHDRAW,		/* an earlier review of pysec's that requested changes, withdrawn */
	PYSEC_REVIEW_DROP,		/* an earlier review of pysec's, deleted with its comments (all stale) */
} pysec_review_action_kind;

typedef enum {
	PYSEC_REVIEW_DONE = 0,
	PYSEC_REVIEW_DRY_RUN,		/* not sent: options.dry_run */
	PYSEC_REVIEW_FAILED,		/* sent, and refused or never answered: see `error` */
	PYSEC_REVIEW_NOT_SENT,		/* not attempted, because the forge had failed before */
	PYSEC_REVIEW_MOVED,		/* an inline comment the forge refused for its line: it went to the summary */
} pysec_review_outcome;

typedef struct {
	pysec_review_action_kind kind;
	pysec_review_outcome outcome;
	const char *method;		/* "POST", "PUT", "PATCH", "DELETE" */
	const char *url;		/* never holds the token */
	const char *text;		/* the markdown posted (for a status: "state: description") */
	const pysec_finding *finding;	/* COMMENT: its finding; else NULL */
	const char *fingerprint;	/* COMMENT, CLOSE: the finding's fingerprint; WITHDRAW, DROP: the review's id */
	const char *error;		/* FAILED, MOVED: why; else NULL */
} pysec_review_action;

typedef void (*pysec_review_cb)(const pysec_review_action *action, void *payload);

typedef struct {
	pysec_threshold threshold;	/* what counts at all, and what fails the status */
	size_t max_comments;		/* inline comments a request may carry, earlier ones included */
	int dry_run;			/* read what is there, but send no writes (they are reported) */
	const char *status_name;	/* the commit status's name (GitLab) / context (Gitea, GitHub) */
	const char *target_url;		/* the status's link (the CI job), or NULL */
	const pysec_engine *engine;	/* the rules' "why it matters" texts; may be NULL */
	pysec_review_cb on_action;	/* may be NULL */
	void *payload;
} pysec_review_options;

#define PYSEC_REVIEW_OPTIONS_INIT \
	{ { PYSEC_LEVEL_LOW, PYSEC_LEVEL_LOW }, 25, 0, "pysec", NULL, NULL, NULL, NULL }

typedef struct {
	size_t findings;	/* findings that count (their confidence reaches the threshold) */
	size_t blocking;	/* of those, the ones at or above fail_on: the status fails */
	size_t posted;		/* new inline comments */
	size_t kept;		/* findings that already had their comment */
	size_t in_summary;	/* findings only in the summary: outside the diff, over the cap, refused */
	size_t closed;		/* earlier comments closed because their finding is gone (checked by listing again) */
	size_t withdrawn;	/* earlier requests for changes withdrawn because nothing blocks any more */
	size_t failed;		/* writes that failed */
	size_t not_sent;	/* writes not attempted after the forge failed */
} pysec_review_result;

/*
 * Review `target`: `report` holds the findings of a scan of
 * `refs->base...refs->head`, `cs` the changeset scanned (a finding is
 * commented inline only on a line it adds), both sorted as after
 * pysec_report_sort().
 *
 * First the forge says which user the token acts as: only comments and
 * reviews that user wrote are pysec's (anyone can copy a marker into a
 * comment of their own, and such a comment is left alone).  Among those,
 * earlier comments are found by the fingerprint each carries
 * (`<!-- pysec:fp=... -->`), following pagination; a finding that has one
 * is not posted again, and one whose finding is gone is closed: GitLab
 * resolves its thread; Gitea deletes pysec's review when every comment in
 * it is stale, else marks the comment fixed (Gitea's comment DELETE
 * answers 204 to a review comment and keeps it); GitHub deletes the
 * comment, or marks it fixed when someone answered it.  What was closed is
 * checked by listing again.  Findings outside the diff's added lines, past
 * `max_comments`, or on a line the forge refuses, go into one summary.
 * GitLab: one discussion per comment, the summary as a discussion of its
 * own.  Gitea and GitHub: one review (event COMMENT, or REQUEST_CHANGES
 * when a finding blocks) carrying the new comments, with the summary as its
 * body; when nothing blocks any more, pysec's earlier requests for changes
 * are withdrawn (dismissed; on Gitea, where only an administrator may
 * dismiss, deleted instead), since a later COMMENT leaves them in force.
 * Then the commit status (success, or failed with the count) on
 * refs->head.
 *
 * `out` is filled in whatever happens.  Returns PYSEC_EFORGE when a write
 * failed (each is reported through on_action; once the forge fails, the
 * remaining comments are not attempted, but the status still is), or the
 * forge did not say who the token is or the listing failed (then nothing
 * is written).
 */
int pysec_review_run(pysec_review_result *out, pysec_forge *forge, const pysec_review_target *target,
	const pysec_review_refs *refs, const pysec_report *report, const pysec_changeset *cs,
	const pysec_review_options *opts);

/*
 * Network settings from the policy: pysec.review.timeout and
 * .connectTimeout (seconds), .retries, .retryBaseMs, .retryMaxMs, .maxWait
 * (seconds of rate-limit waits honoured), .maxInFlight, .gitlabEncoding
 * (form or json), .caBundle, .botLogin (`login`).  Unset keys keep what `opts` holds.  PYSEC_EINVALID
 * names the key that is wrong.
 */
int pysec_forge_options_from_config(pysec_forge_options *opts, const pysec_config *cfg);

/*
 * A whole review, as `git pysec review` and the daemon run it:
 * pysec_review_refs_get(), a check that both commits are in `repo`, the
 * policy (the system's, the repository's, the target's `.pysec` at the base
 * commit, the request's own `.pysec` only where it is stricter, then
 * `extra_config`, git -c, the flags: pysec_config_load()), the scan of
 * base...head, then pysec_review_run().
 */
typedef struct {
	const char *system_config;	/* the system policy file; missing is fine */
	const char *extra_config;	/* a further policy file over the others (--config), or NULL */
	int command_line;		/* git -c and GIT_CONFIG_COUNT over those (pysec_config_sources) */
	const char *fail_on;		/* over the policy (flags), or NULL; the default is medium */
	const char *min_confidence;	/* likewise */
	pysec_cache *cache;		/* compiled rules and blob results to reuse, or NULL */
	pysec_review_options review;	/* its threshold and engine are set here from the policy */
	/* after the scan, before anything is written (the CLI prints the findings); may be NULL */
	void (*on_scan)(const pysec_review_refs *refs, const pysec_report *report, const pysec_threshold *t,
		const char *notes, void *payload);
	void *payload;
	/* how far the scan is (pysec_scan_options' progress), or NULL */
	void (*progress)(const pysec_scan_progress *progress, void *payload);
	void *progress_payload;
} pysec_review_request_options;

typedef struct {
	pysec_review_refs refs;		/* once the forge answered */
	pysec_review_result result;	/* once the review ran */
	int reviewed;			/* pysec_review_run() ran: `result` holds what it did */
	/* on failure, the step that failed: "review", "configuration", "rules", "scan" or the range */
	char step[128];
} pysec_review_request_result;

/*
 * Returns 0 when the review was posted (out->result.blocking says whether
 * the status failed), else a negative code with out->step naming the step:
 * PYSEC_EFORGE or PYSEC_ENOTFOUND from the forge, PYSEC_ENOTFOUND for a
 * commit that is not in `repo`, PYSEC_EINVALID for the policy or rules, or
 * what the scan returned (an incomplete scan posts nothing: its silence
 * would read as "clean").
 */
int pysec_review_request_run(pysec_review_request_result *out, pysec_forge *forge, git_repository *repo,
	const pysec_review_target *target, const pysec_review_request_options *opts);

#endif
