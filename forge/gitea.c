/*
 * gitea.c: Gitea's API v1 (its source: routers/api/v1/repo/pull.go,
 * pull_review.go, issue_comment.go, status.go; models/issues/review.go).
 *
 * One review (event COMMENT, or REQUEST_CHANGES when a finding blocks)
 * carries the new inline comments and, as its body, the summary.  Gitea
 * does not check that a line is in the diff, so nothing outside the added
 * lines is ever sent inline.  Comments of fixed findings cannot be deleted
 * one by one: DELETE /issues/comments/{id} answers 204 and keeps a review
 * comment (deleteIssueComment returns early for CommentTypeCode).  So a
 * review of pysec's whose comments are all stale is deleted whole
 * (DELETE /pulls/{index}/reviews/{id}: the reviewer may, and DeleteReview
 * takes its code comments along), and a stale comment in a review that
 * must stay is edited to say it is fixed (PATCH /issues/comments/{id}:
 * a code comment has content support).  A request for changes is
 * withdrawn by a dismissal, which only a repository administrator may do;
 * review.c deletes the review when that is refused.
 */
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_PAGES 1000
#define PAGE_LIMIT 50

static int gitea_refs(pysec_review_refs *out, pysec_forge *f, const pysec_review_target *t, const char *project)
{
	pysec_review_refs refs;
	json_t *pr = NULL;
	int rc, has_base, has_merge_base;

	memset(&refs, 0, sizeof(refs));
	if ((rc = review_get_pull(&pr, f, t, project)) < 0)
		goto cleanup;
	has_base = http_json_sha(refs.start, json_object_get(json_object_get(pr, "base"), "sha")) == 0;
	/* the diff is from the merge base, as the pull request's own diff view shows it */
	has_merge_base = http_json_sha(refs.base, json_object_get(pr, "merge_base")) == 0;
	if (http_json_sha(refs.head, json_object_get(json_object_get(pr, "head"), "sha")) < 0 ||
	    (!has_base && !has_merge_base)) {
		rc = error_set(PYSEC_EFORGE, "pull request #%llu has no head commit, or neither a merge base nor a "
			"base commit", (unsigned long long)t->number);
		goto cleanup;
	}
	if (!has_merge_base)
		memcpy(refs.base, refs.start, sizeof(refs.base));
	if (!has_base)
		memcpy(refs.start, refs.base, sizeof(refs.start));
	*out = refs;
cleanup:
	json_decref(pr);
	return rc;
}

/* The comments of one of pysec's reviews: pysec's open ones, and whether anyone else's are there. */
static void take_comments(struct review *rv, size_t own, json_t *list)
{
	json_t *c;
	size_t j;

	json_array_foreach(list, j, c) {
		const char *body = json_string_value(json_object_get(c, "body"));
		json_t *id = json_object_get(c, "id");
		char fp[65], closed[2];
		struct earlier *e;

		if (!review_is_me(rv, json_object_get(c, "user")) || !json_is_integer(id) ||
		    comment_marker_get(body, "fp", fp, sizeof(fp)) < 0) {
			/* a reply, or a comment pysec did not write: the review is not only pysec's */
			rv->reviews[own].foreign = 1;
			continue;
		}
		if (comment_marker_get(body, "closed", closed, sizeof(closed)) == 0)
			continue;	/* closed before: its finding was gone */
		e = review_add_earlier(&rv->earlier, &rv->nearlier, &rv->earlier_cap);
		memcpy(e->fp, fp, sizeof(fp));
		e->id = xasprintf("%lld", (long long)json_integer_value(id));
		e->review = (long)own;
		rv->reviews[own].comments++;
	}
}

/* The comments of pysec's reviews (GET .../reviews/{id}/comments, not paged), a few at once. */
static int list_comments(struct review *rv)
{
	struct http_req **reqs = xcalloc(rv->nreviews ? rv->nreviews : 1, sizeof(*reqs));
	size_t *own = xcalloc(rv->nreviews ? rv->nreviews : 1, sizeof(*own));
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < rv->nreviews; i++) {
		if (rv->reviews[i].empty)
			continue;
		own[n] = i;
		reqs[n++] = http_req_new("GET", forge_url(rv->forge, "/repos/%s/pulls/%llu/reviews/%s/comments",
			rv->project, (unsigned long long)rv->target->number, rv->reviews[i].id), NULL, NULL);
	}
	http_run(rv->forge, reqs, n);
	for (i = 0; i < n && rc == 0; i++) {
		json_t *list;
		json_error_t jerr;

		if (reqs[i]->rc < 0 || !reqs[i]->attempted) {
			rc = error_set(PYSEC_EFORGE, "%s", reqs[i]->error ? reqs[i]->error : "listing not finished");
			break;
		}
		if (!(list = json_loadb(buf_cstr(&reqs[i]->resp), reqs[i]->resp.len, 0, &jerr)) || !json_is_array(list)) {
			rc = error_set(PYSEC_EFORGE, "GET %s: the answer is not a JSON list", reqs[i]->url);
			json_decref(list);
			break;
		}
		take_comments(rv, own[i], list);
		json_decref(list);
	}
	review_free_reqs(reqs, n);
	free(own);
	return rc;
}

/* One review of the listing; a request for changes is in force until dismissed (review.go). */
static void take_review(struct review *rv, json_t *r)
{
	const char *state = json_string_value(json_object_get(r, "state"));
	json_t *count = json_object_get(r, "comments_count");
	struct own_review *o = review_take_own(rv, r, state && !strcmp(state, "REQUEST_CHANGES") &&
		!json_is_true(json_object_get(r, "dismissed")));

	if (o)
		o->empty = json_is_integer(count) && json_integer_value(count) == 0;
}

static int gitea_list(struct review *rv)
{
	pysec_forge *f = rv->forge;
	size_t seen = 0;
	long page = 1, next, total;
	int pages = 0, rc = 0;

	do {
		json_t *list = NULL, *r;
		size_t i, got;

		if ((rc = http_get_json(&list, &next, &total, f, forge_url(f, "/repos/%s/pulls/%llu/reviews?page=%ld&limit=%d",
			rv->project, (unsigned long long)rv->target->number, page, PAGE_LIMIT))) < 0)
			return rc;
		if (!json_is_array(list)) {
			json_decref(list);
			return error_set(PYSEC_EFORGE, "the reviews of pull request #%llu are not a list",
				(unsigned long long)rv->target->number);
		}
		got = json_array_size(list);
		seen += got;
		json_array_foreach(list, i, r)
			take_review(rv, r);
		json_decref(list);
		/* Link's rel="next", else x-total-count says whether there is more */
		if (next <= 0 && total >= 0 && seen < (size_t)total && got > 0)
			next = page + 1;
		if (next > 0 && next <= page)
			return error_set(PYSEC_EFORGE, "the reviews' pagination goes back to page %ld", next);
		page = next;
	} while (page > 0 && ++pages < MAX_PAGES);
	if (page > 0)
		return error_set(PYSEC_ELIMIT, "more than %d pages of reviews", MAX_PAGES);
	return list_comments(rv);
}

static json_t *gitea_review_comment(const struct review *rv, const struct item *it)
{
	json_t *c = json_object();

	json_object_set_new(c, "path", json_string(it->f->path));
	json_object_set_new(c, "body", json_string(it->text));
	/* a new line: new_position only, never both */
	json_object_set_new(c, "new_position", json_integer(it->f->line));
	return c;
}

/* A stale comment in a review that stays: edited to say it is fixed. */
static struct http_req *gitea_close(struct review *rv, const struct earlier *e)
{
	json_t *req = json_object();
	char *text = comment_closed(e->fp, rv->refs->head);
	struct http_req *r;

	json_object_set_new(req, "body", json_string(text));
	r = http_req_new("PATCH", forge_url(rv->forge, "/repos/%s/issues/comments/%s", rv->project, e->id),
		http_json_text(req), "application/json");
	json_decref(req);
	free(text);
	return r;
}

static struct http_req *gitea_drop(struct review *rv, const struct own_review *o)
{
	struct http_req *r = http_req_new("DELETE", forge_url(rv->forge, "/repos/%s/pulls/%llu/reviews/%s", rv->project,
		(unsigned long long)rv->target->number, o->id), NULL, NULL);

	r->ok_not_found = 1;	/* deleted already */
	return r;
}

static struct http_req *gitea_withdraw(struct review *rv, const struct own_review *o)
{
	return review_dismissal(rv, o, "POST", "priors", json_false());
}

const struct forge_ops forge_gitea = {
	.kind = PYSEC_FORGE_GITEA,
	.name = "gitea",
	.api_path = "/api/v1",
	.auth_prefix = "Authorization: token ",
	.accept = "Accept: application/json",
	.user_path = "/user",
	.login_key = "login",
	.project_path = review_project_owner_repo,
	.refs = gitea_refs,
	.list = gitea_list,
	.post = review_post_bundle,
	.close = gitea_close,
	.drop = gitea_drop,
	.withdraw = gitea_withdraw,
	.status = review_post_status_json,
	.review_comment = gitea_review_comment,
};
