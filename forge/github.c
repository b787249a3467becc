/*
 * github.c: GitHub's REST API (github.com at https://api.github.com, GitHub
 * Enterprise Server at <server>/api/v3), from its documentation:
 *
 *   https://docs.github.com/rest/pulls/pulls#get-a-pull-request
 *   https://docs.github.com/rest/pulls/reviews (create, list, dismiss)
 *   https://docs.github.com/rest/pulls/comments (list, create, update, delete)
 *   https://docs.github.com/rest/commits/statuses#create-a-commit-status
 *   https://docs.github.com/rest/users/users#get-the-authenticated-user
 *   https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api
 *   https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api (http.c)
 *
 * One review (event COMMENT, or REQUEST_CHANGES when a finding blocks)
 * carries the new inline comments, each on its line of the new file
 * (`line`, side RIGHT), and the summary as its body.  GitHub refuses the
 * whole review (422) when one comment is not on a line of its diff, and
 * does not say which: review.c then posts the comments one by one and the
 * refused go to the summary.  A stale comment is deleted, or, when someone
 * answered it, edited to say it is fixed (the thread keeps its replies).
 * A request for changes is withdrawn by a dismissal.  The pull request
 * does not state its merge base: request.c finds it in the repository.
 */
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_PAGES 1000

static int github_refs(pysec_review_refs *out, pysec_forge *f, const pysec_review_target *t, const char *project)
{
	pysec_review_refs refs;
	json_t *pr = NULL;
	int rc;

	memset(&refs, 0, sizeof(refs));
	if ((rc = review_get_pull(&pr, f, t, project)) < 0)
		goto cleanup;
	if (http_json_sha(refs.head, json_object_get(json_object_get(pr, "head"), "sha")) < 0 ||
	    http_json_sha(refs.start, json_object_get(json_object_get(pr, "base"), "sha")) < 0) {
		rc = error_set(PYSEC_EFORGE, "pull request #%llu has no head or base commit", (unsigned long long)t->number);
		goto cleanup;
	}
	/* refs.base stays "": GitHub shows base...head, from their merge base */
	*out = refs;
cleanup:
	json_decref(pr);
	return rc;
}

/* GET every page of `path` (a list, paged by Link) and hand each item to `take`. */
static int each_item(struct review *rv, const char *what, const char *path, void (*take)(struct review *rv, json_t *item))
{
	pysec_forge *f = rv->forge;
	long page = 1, next;
	int pages = 0, rc;

	do {
		json_t *list = NULL, *item;
		size_t i;

		if ((rc = http_get_json(&list, &next, NULL, f, forge_url(f, "/repos/%s/pulls/%llu/%s?per_page=100&page=%ld",
			rv->project, (unsigned long long)rv->target->number, path, page))) < 0)
			return rc;
		if (!json_is_array(list)) {
			json_decref(list);
			return error_set(PYSEC_EFORGE, "the %s of pull request #%llu are not a list", what,
				(unsigned long long)rv->target->number);
		}
		json_array_foreach(list, i, item)
			take(rv, item);
		json_decref(list);
		if (next > 0 && next <= page)
			return error_set(PYSEC_EFORGE, "the %s' pagination goes back to page %ld", what, next);
		page = next;
	} while (page > 0 && ++pages < MAX_PAGES);
	if (page > 0)
		return error_set(PYSEC_ELIMIT, "more than %d pages of %s", MAX_PAGES, what);
	return 0;
}

/*
 * One review of the listing.  A dismissed review's state is DISMISSED; pysec
 * never approves, so each of its CHANGES_REQUESTED is in force.
 */
static void take_review(struct review *rv, json_t *r)
{
	const char *state = json_string_value(json_object_get(r, "state"));

	review_take_own(rv, r, state && !strcmp(state, "CHANGES_REQUESTED"));
}

/* One review comment: pysec's own first comments of a thread (with a marker), and whom anyone answered. */
static void take_comment(struct review *rv, json_t *c)
{
	const char *body = json_string_value(json_object_get(c, "body"));
	json_t *id = json_object_get(c, "id"), *parent = json_object_get(c, "in_reply_to_id");
	char fp[65], closed[2], num[32];
	struct earlier *e;
	size_t i;

	if (json_is_integer(parent)) {
		/* an answer: the thread it is in is no longer pysec's alone (comments come oldest first) */
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(parent));
		for (i = 0; i < rv->nearlier; i++)
			if (!strcmp(rv->earlier[i].id, num))
				rv->earlier[i].replied |= !review_is_me(rv, json_object_get(c, "user"));
		return;
	}
	if (!json_is_integer(id) || !review_is_me(rv, json_object_get(c, "user")) ||
	    comment_marker_get(body, "fp", fp, sizeof(fp)) < 0 || comment_marker_get(body, "closed", closed, sizeof(closed)) == 0)
		return;
	e = review_add_earlier(&rv->earlier, &rv->nearlier, &rv->earlier_cap);
	memcpy(e->fp, fp, sizeof(fp));
	e->id = xasprintf("%lld", (long long)json_integer_value(id));
	if (json_is_integer(json_object_get(c, "pull_request_review_id"))) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(c, "pull_request_review_id")));
		for (i = 0; i < rv->nreviews; i++)
			if (!strcmp(rv->reviews[i].id, num)) {
				e->review = (long)i;
				rv->reviews[i].comments++;
			}
	}
}

static int github_list(struct review *rv)
{
	int rc;

	if ((rc = each_item(rv, "reviews", "reviews", take_review)) < 0)
		return rc;
	return each_item(rv, "review comments", "comments", take_comment);
}

static json_t *github_review_comment(const struct review *rv, const struct item *it)
{
	json_t *c = json_object();

	json_object_set_new(c, "path", json_string(it->f->path));
	json_object_set_new(c, "body", json_string(it->text));
	/* a line of the new file; `position` (in the diff) is the old way */
	json_object_set_new(c, "line", json_integer(it->f->line));
	json_object_set_new(c, "side", json_string("RIGHT"));
	return c;
}

static struct http_req *github_single_comment(struct review *rv, const struct item *it)
{
	json_t *req = github_review_comment(rv, it);
	struct http_req *r;

	json_object_set_new(req, "commit_id", json_string(rv->refs->head));
	r = http_req_new("POST", forge_url(rv->forge, "/repos/%s/pulls/%llu/comments", rv->project,
		(unsigned long long)rv->target->number), http_json_text(req), "application/json");
	json_decref(req);
	return r;
}

/*
 * GitHub's words for a line outside the diff: a review gets 422 "Pull
 * request review thread line must be part of the diff ...", a single
 * comment 422 "pull_request_review_thread.line must be part of the diff".
 */
static int github_refuses_line(const struct http_req *r)
{
	return r->status == 422 && memmem(r->resp.ptr ? r->resp.ptr : "", r->resp.len, "must be part of the diff", 24);
}

static struct http_req *github_close(struct review *rv, const struct earlier *e)
{
	json_t *req;
	char *text;
	struct http_req *r;

	if (!e->replied) {
		r = http_req_new("DELETE", forge_url(rv->forge, "/repos/%s/pulls/comments/%s", rv->project, e->id),
			NULL, NULL);
		r->ok_not_found = 1;	/* deleted already */
		return r;
	}
	/* someone answered it: the thread stays, its first comment says the finding is fixed */
	req = json_object();
	text = comment_closed(e->fp, rv->refs->head);
	json_object_set_new(req, "body", json_string(text));
	r = http_req_new("PATCH", forge_url(rv->forge, "/repos/%s/pulls/comments/%s", rv->project, e->id),
		http_json_text(req), "application/json");
	json_decref(req);
	free(text);
	return r;
}

static struct http_req *github_withdraw(struct review *rv, const struct own_review *o)
{
	return review_dismissal(rv, o, "PUT", "event", json_string("DISMISS"));
}

const struct forge_ops forge_github = {
	.kind = PYSEC_FORGE_GITHUB,
	.name = "github",
	.api_path = "/api/v3",
	.cloud_host = "github.com",
	.cloud_api = "https://api.github.com",
	.auth_prefix = "Authorization: Bearer ",
	.accept = "Accept: application/vnd.github+json",
	.extra_header = "X-GitHub-Api-Version: 2022-11-28",
	.user_path = "/user",
	.login_key = "login",
	.project_path = review_project_owner_repo,
	.refs = github_refs,
	.list = github_list,
	.post = review_post_bundle,
	.close = github_close,
	.withdraw = github_withdraw,
	.status = review_post_status_json,
	.review_comment = github_review_comment,
	.single_comment = github_single_comment,
	.refuses_line = github_refuses_line,
};
