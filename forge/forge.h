/*
 * forge.h: what the files of the forge module share.  http.c talks to the
 * forge (the one place for timeouts, retries, TLS, size caps and keeping
 * the token secret), comment.c renders markdown, review.c decides what to
 * post, gitlab.c and gitea.c speak each forge's API.
 */
#ifndef PYSEC_FORGE_PRIVATE_H
#define PYSEC_FORGE_PRIVATE_H

#include <pthread.h>
#include <jansson.h>
#include "common.h"
#include "pysec_forge.h"

struct pysec_forge {
	pysec_forge_kind kind;
	char *base;		/* API root, no trailing slash */
	char *token;		/* secret: used for the header and to redact */
	char *auth;		/* the auth header line */
	char *ca_bundle;
	unsigned timeout_ms, connect_timeout_ms, retries, retry_base_ms, retry_max_ms, max_wait_ms;
	unsigned max_in_flight;
	size_t max_response;
	int gitlab_json;
	FILE *trace;
	int (*cancel)(void *payload);
	void *cancel_payload;
	struct forge_transport *transport;	/* NULL: the network, through libcurl */
	pthread_mutex_t lock;	/* guards not_before and trace */
	double not_before;	/* a Retry-After: no request starts before this (monotonic seconds) */
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
	int attempted;
	int rc;			/* 0 on a 2xx, else PYSEC_EFORGE */
	int fatal;		/* the forge is down or refuses us: send nothing more */
	long status;		/* the last HTTP status; 0 when none came */
	struct buf resp;
	long next_page;		/* from x-next-page, else the page= of Link's rel="next"; 0: none */
	long total;		/* x-total or x-total-count; -1 when absent */
	char *error;		/* why, when rc < 0; never holds the token */
	/* per attempt */
	char *link;
	char retry_after[64];
	int too_big;
};

void http_req_init(struct http_req *r, const char *method, char *url, char *body, const char *content_type);
void http_req_clear(struct http_req *r);

/*
 * Send `n` requests, at most max_in_flight at once, each with its retries.
 * After a fatal failure the requests not yet started are left unattempted.
 * Returns the number that failed (attempted and rc < 0).
 */
size_t http_run(pysec_forge *f, struct http_req **reqs, size_t n);

/*
 * A stand-in for the network (the fuzz target's): each request is answered
 * by `answer` with what a server would send, a status, header lines ("Name:
 * value", each ending in a line break) and a body; a status below 100 is a
 * connection that failed.  Everything after it (headers, the size cap,
 * retries, the parsing of the answer) runs as over the network.
 */
struct forge_answer {
	long status;
	const char *headers;
	size_t headers_len;
	const char *body;
	size_t body_len;
};

struct forge_transport {
	void (*answer)(struct forge_answer *out, const char *method, const char *url, const char *body, void *payload);
	void *payload;
};

/* GET `url` (owned: freed here) and parse the answer; on failure the message is in pysec_error_last(). */
int http_get_json(json_t **out, long *next_page, long *total, pysec_forge *f, char *url);

/* The API root followed by the formatted path. */
char *forge_url(const pysec_forge *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `s` percent-encoded for a path segment or a form value. */
char *url_escape(const char *s);
/* A copy of `s` with the token replaced. */
char *forge_redact(const pysec_forge *f, const char *s);
/* Print one line to the trace (when there is one). */
void forge_trace(pysec_forge *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- comment.c ------------------------------------------------------------ */

/* The inline comment on one finding: its marker, rule, levels, why, how to fix, a suggestion. */
char *comment_finding(const pysec_finding *f, const pysec_rule_info *rule, int blocking);

struct summary_row {
	const pysec_finding *f;
	int blocking;
};
/*
 * The summary table of `rows` (file, line, rule, severity) with the reasons
 * they are not inline; NULL when there are no rows.  `*hash` gets a
 * fingerprint of what the table says (16 hex digits).
 */
char *comment_summary_table(const struct summary_row *rows, size_t n, size_t outside, size_t over_cap,
	size_t refused, size_t cap, char hash[17]);

/* Append `s` as prose: markup characters escaped, control characters dropped, bad UTF-8 replaced. */
void md_text(struct buf *b, const char *s);
/* Append `s` as an inline code span that nothing in it can end (in_table: `|` escaped too). */
void md_code_span(struct buf *b, const char *s, int in_table);
/* Append a fenced block whose fence is longer than any run of backticks in `content`. */
void md_fence(struct buf *b, const char *info, const char *content);
/* True when `s` is valid UTF-8 without control characters other than tab. */
int text_is_clean(const char *s);

/*
 * Markers: the first line of every body pysec posts is an HTML comment,
 * `<!-- pysec:KEY=VALUE ... -->`.  Only a marker at the very start of a body
 * counts, so text quoted further down (code, a path) cannot fake one.
 * marker_get() copies VALUE of KEY (letters, digits, `,`, `-`) into `out`;
 * 0 when found, -1 when the body has no marker or the marker no such key.
 */
int marker_get(const char *body, const char *key, char *out, size_t outlen);
/* The same, allocated (for long values); NULL when absent. */
char *marker_dup(const char *body, const char *key);
/* A fingerprint as it goes into a marker: itself when it is 1 to 64 hex digits, else a hash of it. */
void fp_token(const char *fp, char out[65]);

/* --- review.c ------------------------------------------------------------- */

enum place {
	PLACE_NONE = 0,		/* does not count (confidence below the threshold) */
	PLACE_KEPT,		/* its comment is already there */
	PLACE_INLINE,		/* a new inline comment */
	PLACE_OUTSIDE,		/* summary: not on a line the diff adds */
	PLACE_OVER_CAP,		/* summary: past max_comments */
	PLACE_REFUSED,		/* summary: the forge refused its line */
};

struct item {
	const pysec_finding *f;
	int blocking;
	enum place place;
	char *text;		/* PLACE_INLINE: the comment */
};

/* A comment pysec posted before, found in the listing. */
struct earlier {
	char *id;		/* GitLab: discussion id; Gitea: comment id */
	char fp[65];		/* the finding's fingerprint; "" for a summary */
	int resolved;		/* GitLab: the thread is resolved */
	int found;		/* its finding is still there (set by the plan) */
	/* summaries (GitLab) */
	char hash[17];
	char *unplaced;		/* fingerprints the forge refused inline, comma-separated */
};

struct review {
	pysec_forge *forge;
	const pysec_review_target *target;
	const pysec_review_refs *refs;
	const pysec_review_options *opts;
	pysec_review_result *res;
	char *project;		/* the project, escaped for a URL path */
	struct item *items;
	size_t nitems;
	struct earlier *earlier;	/* inline comments */
	size_t nearlier, earlier_cap;
	struct earlier *sums;		/* GitLab: summary threads */
	size_t nsums, sums_cap;
	char gitea_summary[17];		/* Gitea: the newest pysec review's summary hash, "none", or "" */
	int gitea_requested;		/* Gitea: the newest pysec review requested changes */
	int forge_down;			/* a write failed fatally: send no more comments */
	char *first_error;
};

/* A new, zeroed entry at the end of `*v`. */
struct earlier *review_add_earlier(struct earlier **v, size_t *n, size_t *cap);
/* Send the writes, unless this is a dry run or the forge already failed fatally. */
void review_send(struct review *rv, struct http_req **reqs, size_t n);
/* Clear and free the requests and their array. */
void review_free_reqs(struct http_req **reqs, size_t n);
/*
 * Close every earlier comment whose finding is gone and that is not closed
 * yet: `close` makes the request for one (GitLab resolves the thread, Gitea
 * deletes the comment); each outcome is counted and reported.
 */
void review_close_stale(struct review *rv, struct http_req *(*close)(struct review *rv, const struct earlier *e));
/* Tell the caller about one write. */
void review_action(struct review *rv, pysec_review_action_kind kind, pysec_review_outcome outcome,
	const struct http_req *r, const char *text, const struct item *it, const char *fp, const char *error);
/* Account for one write that was (or was not) sent; returns the outcome to report. */
pysec_review_outcome review_outcome(struct review *rv, const struct http_req *r);
/* The summary table for the items now in the summary, and its hash; NULL when none. */
char *review_summary(struct review *rv, char hash[17]);
/* A status description: "2 findings at or above medium" / "no findings at or above medium". */
char *review_status_text(const struct review *rv);
/* The project as it goes into URL paths: GitLab "7" or "group%2Fproj", Gitea "owner/repo" (each part escaped). */
int project_path(char **out, pysec_forge_kind kind, const char *project);
/* JSON to text (compact), for request bodies. */
char *json_text(json_t *j);

/* Each forge: list what pysec posted before; then post, close and set the status. */
int gitlab_refs(pysec_review_refs *out, pysec_forge *f, const pysec_review_target *t);
int gitlab_list(struct review *rv);
void gitlab_apply(struct review *rv);
int gitea_refs(pysec_review_refs *out, pysec_forge *f, const pysec_review_target *t);
int gitea_list(struct review *rv);
void gitea_apply(struct review *rv);

/* Copy a 40-hex commit id from JSON; -1 when it is not one. */
int json_sha(char out[41], json_t *v);

#endif
