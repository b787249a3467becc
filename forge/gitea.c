/*
 * gitea.c: Gitea's API v1.  One review (event COMMENT, or REQUEST_CHANGES
 * when a finding blocks) carries the new inline comments and, as its body,
 * the summary; comments of fixed findings are deleted; a commit status.
 * Gitea does not check that a line is in the diff, so nothing outside the
 * added lines is ever sent inline.
 */
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_PAGES 1000
#define PAGE_LIMIT 50

int gitea_refs(pysec_review_refs *out, pysec_forge *f, const pysec_review_target *t)
{
	pysec_review_refs refs;
	json_t *pr = NULL;
	char *project = NULL;
	int rc;

	memset(&refs, 0, sizeof(refs));
	if ((rc = project_path(&project, f->kind, t->project)) < 0)
		return rc;
	rc = http_get_json(&pr, NULL, NULL, f, forge_url(f, "/repos/%s/pulls/%llu", project,
		(unsigned long long)t->number));
	if (rc == PYSEC_ENOTFOUND) {
		rc = error_set(rc, "pull request #%llu of '%s' not found (%s)", (unsigned long long)t->number,
			t->project, pysec_error_last());
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	if (json_sha(refs.head, json_object_get(json_object_get(pr, "head"), "sha")) < 0 ||
	    json_sha(refs.start, json_object_get(json_object_get(pr, "base"), "sha")) < 0) {
		rc = error_set(PYSEC_EFORGE, "pull request #%llu has no head or base commit",
			(unsigned long long)t->number);
		goto cleanup;
	}
	/* the diff is from the merge base, as the pull request's own diff view shows it */
	if (json_sha(refs.base, json_object_get(pr, "merge_base")) < 0)
		memcpy(refs.base, refs.start, sizeof(refs.base));
	*out = refs;
cleanup:
	json_decref(pr);
	free(project);
	return rc;
}

/* The comments of pysec's own reviews: their fingerprints and ids. */
static int list_comments(struct review *rv, json_int_t *ids, size_t n)
{
	struct http_req **reqs = xcalloc(n ? n : 1, sizeof(*reqs));
	size_t i, j;
	int rc = 0;

	for (i = 0; i < n; i++) {
		reqs[i] = xcalloc(1, sizeof(**reqs));
		http_req_init(reqs[i], "GET", forge_url(rv->forge, "/repos/%s/pulls/%llu/reviews/%lld/comments",
			rv->project, (unsigned long long)rv->target->number, (long long)ids[i]), NULL, NULL);
	}
	http_run(rv->forge, reqs, n);
	for (i = 0; i < n && rc == 0; i++) {
		json_t *list, *c;
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
		json_array_foreach(list, j, c) {
			const char *body = json_string_value(json_object_get(c, "body"));
			json_t *id = json_object_get(c, "id");
			char fp[65];
			struct earlier *e;

			if (!json_is_integer(id) || marker_get(body, "fp", fp, sizeof(fp)) < 0)
				continue;
			e = review_add_earlier(&rv->earlier, &rv->nearlier, &rv->earlier_cap);
			memcpy(e->fp, fp, sizeof(fp));
			e->id = xasprintf("%lld", (long long)json_integer_value(id));
		}
		json_decref(list);
	}
	review_free_reqs(reqs, n);
	return rc;
}

int gitea_list(struct review *rv)
{
	pysec_forge *f = rv->forge;
	json_int_t *ids = NULL, newest = -1;
	size_t nids = 0, seen = 0;
	long page = 1, next, total;
	int pages = 0, rc = 0;

	do {
		json_t *list = NULL, *r;
		size_t i, got;

		if ((rc = http_get_json(&list, &next, &total, f, forge_url(f, "/repos/%s/pulls/%llu/reviews?page=%ld&limit=%d",
			rv->project, (unsigned long long)rv->target->number, page, PAGE_LIMIT))) < 0)
			goto cleanup;
		if (!json_is_array(list)) {
			json_decref(list);
			rc = error_set(PYSEC_EFORGE, "the reviews of pull request #%llu are not a list",
				(unsigned long long)rv->target->number);
			goto cleanup;
		}
		got = json_array_size(list);
		seen += got;
		json_array_foreach(list, i, r) {
			const char *body = json_string_value(json_object_get(r, "body"));
			json_t *id = json_object_get(r, "id"), *count = json_object_get(r, "comments_count");
			char summary[17];
			char *mark = marker_dup(body, "review");

			if (!mark || !json_is_integer(id))
				goto next_review;
			if (json_integer_value(id) > newest) {
				const char *state = json_string_value(json_object_get(r, "state"));
				newest = json_integer_value(id);
				if (marker_get(body, "summary", summary, sizeof(summary)) < 0)
					snprintf(summary, sizeof(summary), "none");
				memcpy(rv->gitea_summary, summary, sizeof(summary));
				rv->gitea_requested = state && !strcmp(state, "REQUEST_CHANGES");
			}
			if (!json_is_integer(count) || json_integer_value(count) > 0) {
				ids = xrealloc(ids, (nids + 1) * sizeof(*ids));
				ids[nids++] = json_integer_value(id);
			}
next_review:
			free(mark);
		}
		json_decref(list);
		/* Link's rel="next", else x-total-count says whether there is more */
		if (next <= 0 && total >= 0 && seen < (size_t)total && got > 0)
			next = page + 1;
		if (next > 0 && next <= page) {
			rc = error_set(PYSEC_EFORGE, "the reviews' pagination goes back to page %ld", next);
			goto cleanup;
		}
		page = next;
	} while (page > 0 && ++pages < MAX_PAGES);
	if (page > 0) {
		rc = error_set(PYSEC_ELIMIT, "more than %d pages of reviews", MAX_PAGES);
		goto cleanup;
	}
	rc = list_comments(rv, ids, nids);
cleanup:
	free(ids);
	return rc;
}

static void post_review(struct review *rv)
{
	pysec_forge *f = rv->forge;
	char hash[17] = "";
	char *table = review_summary(rv, hash), *body;
	const char *key = table ? hash : "none", *was = *rv->gitea_summary ? rv->gitea_summary : "none";
	json_t *req, *comments;
	struct http_req r, *rp = &r;
	struct buf text = BUF_INIT(SIZE_MAX / 2);
	pysec_review_outcome o;
	size_t i, ninline = 0;
	int request_changes = rv->res->blocking > 0;

	for (i = 0; i < rv->nitems; i++)
		ninline += rv->items[i].place == PLACE_INLINE;
	/* nothing new, the same summary, the same verdict: nothing to say */
	if (!ninline && !strcmp(key, was) && !(rv->gitea_requested && !request_changes)) {
		free(table);
		return;
	}
	buf_printf(&text, "<!-- pysec:review summary=%s -->\n", key);
	if (rv->res->findings)
		buf_printf(&text, "**pysec**: %zu finding%s in this pull request, %zu at or above the threshold.",
			rv->res->findings, rv->res->findings == 1 ? "" : "s", rv->res->blocking);
	else
		buf_puts(&text, "**pysec**: no findings in this pull request.");
	if (table)
		buf_printf(&text, "\n\n%s", table);
	body = buf_detach(&text);

	req = json_object();
	comments = json_array();
	json_object_set_new(req, "body", json_string(body));
	json_object_set_new(req, "event", json_string(request_changes ? "REQUEST_CHANGES" : "COMMENT"));
	json_object_set_new(req, "commit_id", json_string(rv->refs->head));
	for (i = 0; i < rv->nitems; i++) {
		json_t *c;
		if (rv->items[i].place != PLACE_INLINE)
			continue;
		c = json_object();
		json_object_set_new(c, "path", json_string(rv->items[i].f->path));
		json_object_set_new(c, "body", json_string(rv->items[i].text));
		/* a new line: new_position only, never both */
		json_object_set_new(c, "new_position", json_integer(rv->items[i].f->line));
		json_array_append_new(comments, c);
	}
	json_object_set_new(req, "comments", comments);
	http_req_init(&r, "POST", forge_url(f, "/repos/%s/pulls/%llu/reviews", rv->project,
		(unsigned long long)rv->target->number), json_text(req), "application/json");
	if (!rv->opts->dry_run) {
		http_run(f, &rp, 1);
		if (r.rc < 0 && r.status == 422 && request_changes) {
			/* one's own pull request cannot be rejected: comment instead */
			forge_trace(f, "forge: REQUEST_CHANGES refused (422); posting the review as COMMENT");
			json_object_set_new(req, "event", json_string("COMMENT"));
			free(r.body);
			free(r.error);
			r.body = json_text(req);
			r.error = NULL;
			r.rc = 0;
			http_run(f, &rp, 1);
		}
	}
	o = review_outcome(rv, &r);
	review_action(rv, PYSEC_REVIEW_REVIEW, o, &r, body, NULL, NULL, NULL);
	for (i = 0; i < rv->nitems; i++) {
		if (rv->items[i].place != PLACE_INLINE)
			continue;
		if (o == PYSEC_REVIEW_DONE)
			rv->res->posted++;
		/* the review carries them: their fate is the review's (counted once, above) */
		review_action(rv, PYSEC_REVIEW_COMMENT, o, &r, rv->items[i].text, &rv->items[i], NULL, NULL);
	}
	http_req_clear(&r);
	json_decref(req);
	free(body);
	free(table);
}

static struct http_req *delete_earlier(struct review *rv, const struct earlier *e)
{
	struct http_req *r = xcalloc(1, sizeof(*r));

	http_req_init(r, "DELETE", forge_url(rv->forge, "/repos/%s/issues/comments/%s", rv->project, e->id), NULL, NULL);
	r->ok_not_found = 1;	/* deleted already */
	return r;
}

static void post_status(struct review *rv)
{
	pysec_forge *f = rv->forge;
	struct http_req r, *rp = &r;
	json_t *req = json_object();
	char *desc = review_status_text(rv), *text;
	const char *state = rv->res->blocking ? "failure" : "success";

	json_object_set_new(req, "state", json_string(state));
	json_object_set_new(req, "context", json_string(rv->opts->status_name ? rv->opts->status_name : "pysec"));
	json_object_set_new(req, "description", json_string(desc));
	if (rv->opts->target_url && *rv->opts->target_url)
		json_object_set_new(req, "target_url", json_string(rv->opts->target_url));
	http_req_init(&r, "POST", forge_url(f, "/repos/%s/statuses/%s", rv->project, rv->refs->head),
		json_text(req), "application/json");
	text = xasprintf("%s: %s", state, desc);
	if (!rv->opts->dry_run)
		http_run(f, &rp, 1);
	review_action(rv, PYSEC_REVIEW_STATUS, review_outcome(rv, &r), &r, text, NULL, NULL, NULL);
	http_req_clear(&r);
	json_decref(req);
	free(text);
	free(desc);
}

void gitea_apply(struct review *rv)
{
	post_review(rv);
	review_close_stale(rv, delete_earlier);
	post_status(rv);
}
