/*
 * forge.h: what the files of the forge module share.
 *
 *   http.c      talks to the forge: the one place for timeouts, retries,
 *               rate limits, TLS, size caps and keeping the token secret
 *   review.c    the review flow, the same for every forge: who am I, what
 *               did I post before, what to post, close and withdraw now
 *   comment.c   the markdown pysec posts, and the markers in it
 *   request.c   a whole review from the forge's commits to the status
 *   gitlab.c, gitea.c, github.c
 *               one file per forge: its table of operations (struct
 *               forge_ops), as curl's protocol handlers or libgit2's
 *               transports are, so that review.c never asks which forge
 *               it talks to
 */
#ifndef PYSEC_FORGE_PRIVATE_H
#define PYSEC_FORGE_PRIVATE_H

#include <pthread.h>
#include <jansson.h>
#include "util.h"
#include "pysec_forge.h"

struct review;
struct earlier;
struct own_review;
struct item;
struct http_req;

/* The operations of one forge; NULL where the forge has no such thing. */
struct forge_ops {
	pysec_forge_kind kind;
	const char *name;		/* "gitlab": flags, settings, messages */
	const char *api_path;		/* added to a bare server URL ("/api/v4") */
	const char *cloud_host;		/* a server whose API is on a host of its own ("github.com"), or NULL */
	const char *cloud_api;		/* ... and that API's root ("https://api.github.com") */
	const char *auth_prefix;	/* the auth header line, up to the token */
	const char *accept;		/* the Accept header line */
	const char *extra_header;	/* one more header line every request carries, or NULL */
	const char *user_path;		/* the token's own user ("/user") */
	const char *login_key;		/* its name's key in a user object ("username", "login") */

	/* The project as it goes into URL paths (escaped); PYSEC_EINVALID names what is wrong. */
	int (*project_path)(char **out, const char *project);
	/* The request's commits (base may be left "" when the forge does not state it). */
	int (*refs)(pysec_review_refs *out, pysec_forge *f, const pysec_review_target *t, const char *project);
	/* What the token's own user posted before: rv->earlier, rv->sums, rv->reviews. */
	int (*list)(struct review *rv);
	/* Post the new inline comments, the summary and, where there are reviews, the verdict. */
	void (*post)(struct review *rv);
	/* Close one earlier comment whose finding is gone (resolve, delete or mark it fixed). */
	struct http_req *(*close)(struct review *rv, const struct earlier *e);
	/* Delete one of pysec's reviews with all its comments (Gitea). */
	struct http_req *(*drop)(struct review *rv, const struct own_review *r);
	/* Withdraw one of pysec's reviews that requests changes (a dismissal). */
	struct http_req *(*withdraw)(struct review *rv, const struct own_review *r);
	/* The commit status on the head. */
	void (*status)(struct review *rv);

	/*
	 * Forges with reviews (review_post_bundle: POST /repos/{owner}/{repo}/pulls/{n}/reviews on both
	 * Gitea and GitHub): one inline comment as an entry of the review's `comments`.
	 */
	json_t *(*review_comment)(const struct review *rv, const struct item *it);
	/* One inline comment on its own: GitLab's every comment, GitHub's when it refuses a whole review for one line. */
	struct http_req *(*single_comment)(struct review *rv, const struct item *it);
	/* True when an answer to a comment or review says a line is not one the forge can comment on. */
	int (*refuses_line)(const struct http_req *r);
};

extern const struct forge_ops forge_gitlab, forge_gitea, forge_github;

struct pysec_forge {
	const struct forge_ops *ops;
	char *base;		/* API root, no trailing slash */
	char *token;		/* secret: used for the header and to redact */
	char *auth;		/* the auth header line */
	char *login;		/* who the token acts as when the forge will not say, or NULL */
	char *ca_bundle;
	unsigned timeout_ms, connect_timeout_ms, retries, retry_base_ms, retry_max_ms, max_wait_ms;
	unsigned max_in_flight;
	size_t max_response;
	int gitlab_json;
	FILE *trace;
	int (*cancel)(void *payload);
	void *cancel_payload;
	struct forge_transport *transport;	/* NULL: the network, through libcurl */
	pthread_mutex_t lock;	/* guards not_before, limit_reset and trace */
	double not_before;	/* a Retry-After: no request starts before this (monotonic seconds) */
	long long limit_reset;	/* the rate limit is spent until this time (x-ratelimit-reset, epoch seconds) */
	pysec_forge_user me;	/* who the token acts as, once me_known */
	int me_known;
};

/* --- http.c --------------------------------------------------------------- */

struct http_req {
	/* set by the caller (http_req_init) */
	const char *method;
	char *url;		/* owned; built by forge_url(), so it starts with the API root */
	char *body;		/* owned, or NULL */
	const char *content_type;
	int retry_conflict;	/* a 409 means "busy, try again" (GitLab commit statuses) */
	int ok_not_found;	/* a 404 is success: what was to be removed is gone */
	/* set by http_run */
	int attempted;		/* it was started (not left unsent after a fatal failure) */
	int rc;			/* 0 on a 2xx, else PYSEC_EFORGE */
	int fatal;		/* the forge is down or refuses us: send nothing more */
	long status;		/* the last HTTP status; 0 when none came */
	struct buf resp;
	long next_page;		/* from x-next-page, else the page= of Link's rel="next"; 0: none */
	long total;		/* x-total or x-total-count; -1 when absent */
	char *error;		/* why, when rc < 0; never holds the token */
	/* what the last attempt's answer said (http.c) */
	char retry_after[64];
	long long limit_remaining;	/* x-ratelimit-remaining; -1 when absent */
	long long limit_reset;		/* x-ratelimit-reset (epoch seconds); -1 when absent */
	int too_big;
};

void http_req_init(struct http_req *r, const char *method, char *url, char *body, const char *content_type);
void http_req_clear(struct http_req *r);
/* A new request on the heap (for the arrays review.c sends at once); http_req_free() clears and frees it. */
struct http_req *http_req_new(const char *method, char *url, char *body, const char *content_type);
void http_req_free(struct http_req *r);

/*
 * Send `n` requests, at most max_in_flight at once (libcurl's multi
 * interface, on the caller's thread), each with its retries: a 2xx is
 * success; 5xx, 429, (where asked) 409 and connection errors are tried
 * again after a backoff; rate limits are waited out within max_wait_ms;
 * anything else fails at once.  After a fatal failure the requests not yet
 * started are left unattempted.  Returns the number that failed
 * (attempted and rc < 0).
 */
size_t http_run(pysec_forge *f, struct http_req **reqs, size_t n);

/*
 * A stand-in for the network (the fuzz target's and the unit tests'): each
 * request is answered by `answer` with what a server would send, a status,
 * headers (name, value, name, value, ..., NULL: the values trimmed, as
 * libcurl's curl_easy_header() gives them) and a body; a status below 100
 * is a connection that failed.  Everything after it (the size cap,
 * retries, waits, the reading of the answer) runs as over the network.
 */
struct forge_answer {
	long status;
	const char *const *headers;
	const char *body;
	size_t body_len;
};

struct forge_transport {
	void (*answer)(struct forge_answer *out, const char *method, const char *url, const char *body, void *payload);
	void *payload;
};

/*
 * GET `url` (owned: freed here) and parse the answer; on failure the
 * message is in pysec_error_last() and *status (when not NULL) holds the
 * HTTP status (0 when none came).
 */
int http_get_json(json_t **out, long *next_page, long *total, pysec_forge *f, char *url);
int http_get_json_status(json_t **out, long *status, pysec_forge *f, char *url);

/* The API root followed by the formatted path. */
char *forge_url(const pysec_forge *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `s` percent-encoded for a path segment or a form value. */
char *http_url_escape(const char *s);
/* A copy of `s` with the token replaced. */
char *forge_redact(const pysec_forge *f, const char *s);
/* Print one line to the trace (when there is one). */
void forge_trace(pysec_forge *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- comment.c ------------------------------------------------------------ */

/* The inline comment on one finding: its marker, rule, levels, why, how to fix, a suggestion. */
char *comment_finding(const pysec_finding *f, const pysec_rule_info *rule, int blocking);
/* What an earlier comment becomes when its finding is gone, on a forge that keeps it (marker `closed`). */
char *comment_closed(const char *fp, const char *head);

struct summary_row {
	const pysec_finding *f;
	int blocking;
};
/* Why findings are in the summary and not inline: how many for each reason. */
struct summary_counts {
	size_t outside;		/* not on a line the change adds */
	size_t over_cap;	/* past the cap */
	size_t refused;		/* the forge refused the line */
	size_t bad_name;	/* the file's name is not UTF-8 */
};
/*
 * The summary table of `rows` (file, line, rule, severity) with the reasons
 * they are not inline; NULL when there are no rows.  `*hash` gets a
 * fingerprint of what the table says (16 hex digits).
 */
char *comment_summary_table(const struct summary_row *rows, size_t n, const struct summary_counts *why,
	size_t cap, char hash[17]);

/* Append `s` as prose: markup characters escaped, control characters dropped, bad UTF-8 replaced. */
void comment_md_text(struct buf *b, const char *s);
/* Append `s` as an inline code span that nothing in it can end (in_table: `|` escaped too). */
void comment_md_code_span(struct buf *b, const char *s, int in_table);
/* Append a fenced block whose fence is longer than any run of backticks in `content`. */
void comment_md_fence(struct buf *b, const char *info, const char *content);
/* True when `s` is valid UTF-8 without control characters other than tab. */
int comment_text_is_clean(const char *s);
/* True when `s` is valid UTF-8 (what a JSON string can carry). */
int comment_text_is_utf8(const char *s);

/*
 * Markers: the first line of every body pysec posts is an HTML comment,
 * `<!-- pysec:KEY=VALUE ... -->`.  Only a marker at the very start of a body
 * counts, so text quoted further down (code, a path) cannot fake one; and
 * only a body the token's own user wrote is pysec's at all, since anyone
 * can write any text (review.c checks the author).
 * comment_marker_get() copies VALUE of KEY (letters, digits, `,`, `-`) into `out`;
 * 0 when found, -1 when the body has no marker or the marker no such key.
 */
int comment_marker_get(const char *body, const char *key, char *out, size_t outlen);
/* The same, allocated (for long values); NULL when absent. */
char *comment_marker_dup(const char *body, const char *key);
/* A fingerprint as it goes into a marker: itself when it is 1 to 64 hex digits, else a hash of it. */
void comment_fp_token(const char *fp, char out[65]);

/* --- review.c ------------------------------------------------------------- */

enum place {
	PLACE_NONE = 0,		/* does not count (confidence below the threshold) */
	PLACE_KEPT,		/* its comment is already there */
	PLACE_INLINE,		/* a new inline comment */
	PLACE_OUTSIDE,		/* summary: not on a line the diff adds */
	PLACE_OVER_CAP,		/* summary: past max_comments */
	PLACE_REFUSED,		/* summary: the forge refused its line */
	PLACE_BAD_NAME,		/* summary: its file's name is not UTF-8, which no API can carry */
};

struct item {
	const pysec_finding *f;
	int blocking;
	enum place place;
	char *text;		/* PLACE_INLINE: the comment */
	const char *old_path;	/* a renamed file's name before the change, or NULL */
};

/* The user the token acts as. */

/* An inline comment pysec posted before (the token's user, with a marker), found in the listing. */
struct earlier {
	char *id;		/* GitLab: discussion id; Gitea, GitHub: comment id */
	char fp[65];		/* the finding's fingerprint; "" for a summary */
	int resolved;		/* GitLab: the thread is resolved (by anyone: it stays so) */
	int replied;		/* someone else answered in its thread: never deleted, only closed */
	long review;		/* Gitea, GitHub: its review's index in rv->reviews; -1 when none */
	int found;		/* its finding is still there (set by the plan) */
	int gone;		/* its review was deleted in this run */
	/* summaries (GitLab) */
	char hash[17];
	char *unplaced;		/* fingerprints the forge refused inline, comma-separated */
};

/* A review pysec posted before (Gitea, GitHub). */
struct own_review {
	char *id;
	json_int_t num;		/* the forge's id: newer reviews have larger ones */
	char summary[17];	/* the hash of the summary in its body, or "none" */
	char *unplaced;		/* fingerprints the forge refused inline, comma-separated (its marker's) */
	int meant_block;	/* its marker says it was to request changes (the forge may have refused) */
	int in_force;		/* it requests changes now: not dismissed, not superseded */
	int foreign;		/* it holds comments of others (replies) or without a marker: never deleted */
	int empty;		/* the listing says it holds no comments at all */
	size_t comments;	/* pysec's open comments in it */
	int drop;		/* delete it whole in this run: all its comments are pysec's and stale */
	int gone;		/* deleted in this run */
};

struct review {
	pysec_forge *forge;
	const struct forge_ops *ops;
	const pysec_review_target *target;
	const pysec_review_refs *refs;
	const pysec_review_options *opts;
	const pysec_report *report;
	const pysec_changeset *cs;
	pysec_review_result *res;
	char *project;		/* the project, escaped for a URL path */
	pysec_forge_user me;
	struct item *items;
	size_t nitems;
	struct earlier *earlier;	/* inline comments */
	size_t nearlier, earlier_cap;
	struct earlier *sums;		/* GitLab: summary threads */
	size_t nsums, sums_cap;
	struct own_review *reviews;	/* Gitea, GitHub */
	size_t nreviews, reviews_cap;
	int forge_down;			/* a write failed fatally: send no more comments */
	char *first_error;
};

/* True when `user` (a user object of the forge's JSON) is the token's own user. */
int review_is_me(const struct review *rv, json_t *user);
/* New, zeroed entries at the end of the lists. */
struct earlier *review_add_earlier(struct earlier **v, size_t *n, size_t *cap);
struct own_review *review_add_own(struct review *rv, const char *id, json_int_t num);
/* Send the writes, unless this is a dry run or the forge already failed fatally. */
void review_send(struct review *rv, struct http_req **reqs, size_t n);
/* Clear and free the requests and their array. */
void review_free_reqs(struct http_req **reqs, size_t n);
/* Tell the caller about one write. */
void review_action(struct review *rv, pysec_review_action_kind kind, pysec_review_outcome outcome,
	const struct http_req *r, const char *text, const struct item *it, const char *fp, const char *error);
/* Account for one write that was (or was not) sent; returns the outcome to report. */
pysec_review_outcome review_outcome(struct review *rv, const struct http_req *r);
/* The summary table for the items now in the summary, and its hash; NULL when none. */
char *review_summary(struct review *rv, char hash[17]);
/* A status description: "2 findings at or above medium" / "no findings at or above medium". */
char *review_status_text(const struct review *rv);
/*
 * Each new inline comment as a request of its own (ops->single_comment); one
 * the forge refuses for its line (ops->refuses_line) goes to the summary.
 */
void review_post_singly(struct review *rv);
/* Forges with reviews: one review with the new comments, the summary as its body, the verdict as its event. */
void review_post_bundle(struct review *rv);
/* The project as owner/repo, each part escaped (Gitea, GitHub). */
int review_project_owner_repo(char **out, const char *project);
/* JSON to text (compact), for request bodies. */
char *http_json_text(json_t *j);
/* Copy a 40-hex commit id from JSON; -1 when it is not one. */
int http_json_sha(char out[41], json_t *v);
/* The commit status as Gitea and GitHub take it (POST /repos/{o}/{r}/statuses/{sha}: failure or success). */
void review_post_status_json(struct review *rv);
/* GET /repos/{o}/{r}/pulls/{n} (Gitea, GitHub); PYSEC_ENOTFOUND says which pull request. */
int review_get_pull(json_t **out, pysec_forge *f, const pysec_review_target *t, const char *project);
/*
 * One review of a listing (Gitea, GitHub): a new entry of rv->reviews when
 * it is pysec's (the token's user, with the review marker), with its
 * summary, refused lines and verdict; else NULL.
 */
struct own_review *review_take_own(struct review *rv, json_t *r, int in_force);
/* A dismissal of pysec's review `o` (Gitea POST, GitHub PUT .../dismissals), with one more field. */
struct http_req *review_dismissal(struct review *rv, const struct own_review *o, const char *method, const char *key,
	json_t *value);

#endif
