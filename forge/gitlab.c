/*
 * gitlab.c: GitLab's REST API v4 (https://docs.gitlab.com/api/discussions/,
 * .../api/users/, .../api/commits/#set-the-pipeline-status-of-a-commit).
 * One discussion per inline comment (a DiffNote on the added line,
 * positioned with the merge request's own diff_refs), the summary as a
 * discussion without a position, threads of fixed findings resolved, and a
 * commit status.  Only threads whose first note the token's own user wrote
 * are pysec's.
 */
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_PAGES 1000

/* A numeric id, or the path with its slashes encoded (group%2Fproject). */
static int gitlab_project_path(char **out, const char *project)
{
	*out = http_url_escape(project);
	return 0;
}

static int gitlab_refs(pysec_review_refs *out, pysec_forge *f, const pysec_review_target *t, const char *project)
{
	pysec_review_refs refs;
	json_t *mr = NULL, *versions = NULL, *dr, *v;
	int rc;

	memset(&refs, 0, sizeof(refs));
	rc = http_get_json(&mr, NULL, NULL, f, forge_url(f, "/projects/%s/merge_requests/%llu", project,
		(unsigned long long)t->number));
	if (rc == PYSEC_ENOTFOUND) {
		rc = error_set(rc, "merge request !%llu of project '%s' not found (%s)",
			(unsigned long long)t->number, t->project, pysec_error_last());
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	/* the diff GitLab shows: its base, not the target branch's tip, which may have moved on */
	dr = json_object_get(mr, "diff_refs");
	if (http_json_sha(refs.base, json_object_get(dr, "base_sha")) == 0 &&
	    http_json_sha(refs.head, json_object_get(dr, "head_sha")) == 0 &&
	    http_json_sha(refs.start, json_object_get(dr, "start_sha")) == 0) {
		*out = refs;
		goto cleanup;
	}
	/* no diff_refs yet: the newest version has the same three */
	if ((rc = http_get_json(&versions, NULL, NULL, f, forge_url(f, "/projects/%s/merge_requests/%llu/versions",
		project, (unsigned long long)t->number))) < 0)
		goto cleanup;
	v = json_array_get(versions, 0);
	if (http_json_sha(refs.base, json_object_get(v, "base_commit_sha")) < 0 ||
	    http_json_sha(refs.head, json_object_get(v, "head_commit_sha")) < 0 ||
	    http_json_sha(refs.start, json_object_get(v, "start_commit_sha")) < 0) {
		rc = error_set(PYSEC_EFORGE, "merge request !%llu has neither diff_refs nor a version with "
			"its commits", (unsigned long long)t->number);
		goto cleanup;
	}
	*out = refs;
cleanup:
	json_decref(mr);
	json_decref(versions);
	return rc;
}

static int gitlab_list(struct review *rv)
{
	pysec_forge *f = rv->forge;
	long page = 1, next;
	int pages = 0, rc = 0;

	do {
		json_t *list = NULL, *d;
		size_t i;

		if ((rc = http_get_json(&list, &next, NULL, f, forge_url(f,
			"/projects/%s/merge_requests/%llu/discussions?per_page=100&page=%ld", rv->project,
			(unsigned long long)rv->target->number, page))) < 0)
			return rc;
		if (!json_is_array(list)) {
			json_decref(list);
			return error_set(PYSEC_EFORGE, "the discussions of merge request !%llu are not a list",
				(unsigned long long)rv->target->number);
		}
		json_array_foreach(list, i, d) {
			json_t *note = json_array_get(json_object_get(d, "notes"), 0);
			const char *id = json_string_value(json_object_get(d, "id"));
			const char *body = json_string_value(json_object_get(note, "body"));
			char val[65];
			struct earlier *e;

			/* only a thread pysec began is pysec's (anyone can copy a marker); replies are people's */
			if (!id || !body || !review_is_me(rv, json_object_get(note, "author")))
				continue;
			if (comment_marker_get(body, "fp", val, sizeof(val)) == 0) {
				e = review_add_earlier(&rv->earlier, &rv->nearlier, &rv->earlier_cap);
				memcpy(e->fp, val, sizeof(val));
			} else if (comment_marker_get(body, "summary", val, 17) == 0) {
				e = review_add_earlier(&rv->sums, &rv->nsums, &rv->sums_cap);
				memcpy(e->hash, val, 17);
				e->unplaced = comment_marker_dup(body, "unplaced");
			} else {
				continue;
			}
			e->id = xstrdup(id);
			e->resolved = json_is_true(json_object_get(note, "resolved"));
		}
		json_decref(list);
		if (next > 0 && next <= page)
			return error_set(PYSEC_EFORGE, "the discussions' pagination goes back to page %ld", next);
		page = next;
	} while (page > 0 && ++pages < MAX_PAGES);
	if (page > 0)
		return error_set(PYSEC_ELIMIT, "more than %d pages of discussions", MAX_PAGES);
	return 0;
}

/* One form field, or one member of the JSON body. */
static void field(struct buf *form, json_t *obj, const char *key, const char *value)
{
	char *k, *v;

	if (obj) {
		json_object_set_new(obj, key, json_string(value));
		return;
	}
	k = http_url_escape(key);
	v = http_url_escape(value);
	buf_printf(form, "%s%s=%s", form->len ? "&" : "", k, v);
	free(k);
	free(v);
}

/* A request body in the encoding chosen: the documented form fields, or JSON. */
struct body {
	struct buf form;
	json_t *json;
};

static void body_init(struct body *b, const pysec_forge *f)
{
	struct buf empty = BUF_INIT(SIZE_MAX / 2);

	b->form = empty;
	b->json = f->gitlab_json ? json_object() : NULL;
}

static const char *body_type(const struct body *b)
{
	return b->json ? "application/json" : "application/x-www-form-urlencoded";
}

static char *body_take(struct body *b)
{
	char *s;

	if (b->json) {
		s = http_json_text(b->json);
		json_decref(b->json);
		return s;
	}
	return buf_detach(&b->form);
}

static struct http_req *new_discussion(struct review *rv, const struct item *it, const char *text)
{
	pysec_forge *f = rv->forge;
	struct http_req *r;
	struct body b;
	char line[16];

	body_init(&b, f);
	field(&b.form, b.json, "body", text);
	if (it) {
		json_t *pos = b.json ? json_object() : NULL;
		snprintf(line, sizeof(line), "%u", it->f->line);
		if (pos) {
			field(NULL, pos, "position_type", "text");
			field(NULL, pos, "base_sha", rv->refs->base);
			field(NULL, pos, "start_sha", rv->refs->start);
			field(NULL, pos, "head_sha", rv->refs->head);
			field(NULL, pos, "new_path", it->f->path);
			/* a renamed file's line is placed by both names */
			field(NULL, pos, "old_path", it->old_path ? it->old_path : it->f->path);
			/* an added line has new_line only: an old_line makes it a context line */
			json_object_set_new(pos, "new_line", json_integer(it->f->line));
			json_object_set_new(b.json, "position", pos);
		} else {
			field(&b.form, NULL, "position[position_type]", "text");
			field(&b.form, NULL, "position[base_sha]", rv->refs->base);
			field(&b.form, NULL, "position[start_sha]", rv->refs->start);
			field(&b.form, NULL, "position[head_sha]", rv->refs->head);
			field(&b.form, NULL, "position[new_path]", it->f->path);
			field(&b.form, NULL, "position[old_path]", it->old_path ? it->old_path : it->f->path);
			field(&b.form, NULL, "position[new_line]", line);
		}
	}
	r = http_req_new("POST", forge_url(f, "/projects/%s/merge_requests/%llu/discussions", rv->project,
		(unsigned long long)rv->target->number), NULL, body_type(&b));
	r->body = body_take(&b);
	return r;
}

static struct http_req *resolve(struct review *rv, const char *id)
{
	struct http_req *r;
	char *eid = http_url_escape(id);

	r = http_req_new("PUT", forge_url(rv->forge, "/projects/%s/merge_requests/%llu/discussions/%s?resolved=true",
		rv->project, (unsigned long long)rv->target->number, eid), NULL, NULL);
	r->ok_not_found = 1;	/* a thread someone deleted needs no resolving */
	free(eid);
	return r;
}

/* GitLab's answer to a position outside its diff: 400 "Note {:line_code=>[\"can't be blank\", ...]}" */
static int gitlab_refuses_line(const struct http_req *r)
{
	return r->attempted && r->status == 400 && strstr(buf_cstr((struct buf *)&r->resp), "line_code");
}

static struct http_req *gitlab_single(struct review *rv, const struct item *it)
{
	return new_discussion(rv, it, it->text);
}

static struct http_req *resolve_earlier(struct review *rv, const struct earlier *e)
{
	return resolve(rv, e->id);
}

static void post_summary(struct review *rv)
{
	struct http_req **reqs;
	struct http_req *post = NULL;
	struct buf unplaced = BUF_INIT(SIZE_MAX / 2);
	char hash[17] = "", tok[65];
	char *table = review_summary(rv, hash), *text = NULL;
	size_t i, n = 0, keep = (size_t)-1;
	int posted = 0;

	if (table) {
		for (i = 0; i < rv->nsums; i++)
			if (!rv->sums[i].resolved && !strcmp(rv->sums[i].hash, hash) && keep == (size_t)-1)
				keep = i;	/* the same summary is there: leave it be */
		if (keep == (size_t)-1) {
			for (i = 0; i < rv->nitems; i++) {
				if (rv->items[i].place != PLACE_REFUSED)
					continue;
				comment_fp_token(rv->items[i].f->fingerprint, tok);
				buf_printf(&unplaced, "%s%s", unplaced.len ? "," : "", tok);
			}
			text = xasprintf("<!-- pysec:summary=%s%s%s -->\n%s", hash, unplaced.len ? " unplaced=" : "",
				buf_cstr(&unplaced), table);
			post = new_discussion(rv, NULL, text);
			review_send(rv, &post, 1);
			review_action(rv, PYSEC_REVIEW_SUMMARY, review_outcome(rv, post), post, text, NULL, NULL, NULL);
			posted = !rv->opts->dry_run && post->rc == 0 && post->attempted;
		}
	}
	/* the summaries it replaces are resolved, once the new one is there */
	if (!post || posted || rv->opts->dry_run) {
		reqs = xcalloc(rv->nsums ? rv->nsums : 1, sizeof(*reqs));
		for (i = 0; i < rv->nsums; i++)
			if (!rv->sums[i].resolved && i != keep)
				reqs[n++] = resolve(rv, rv->sums[i].id);
		review_send(rv, reqs, n);
		for (i = 0; i < n; i++)
			review_action(rv, PYSEC_REVIEW_SUMMARY, review_outcome(rv, reqs[i]), reqs[i], NULL, NULL, NULL,
				NULL);
		review_free_reqs(reqs, n);
	}
	http_req_free(post);
	buf_free(&unplaced);
	free(table);
	free(text);
}

static void post_status(struct review *rv)
{
	pysec_forge *f = rv->forge;
	struct http_req r, *rp = &r;
	struct body b;
	char *desc = review_status_text(rv), *text;
	const char *state = rv->res->blocking ? "failed" : "success";

	body_init(&b, f);
	field(&b.form, b.json, "state", state);
	field(&b.form, b.json, "name", rv->opts->status_name ? rv->opts->status_name : "pysec");
	field(&b.form, b.json, "description", desc);
	if (rv->opts->target_url && *rv->opts->target_url)
		field(&b.form, b.json, "target_url", rv->opts->target_url);
	http_req_init(&r, "POST", forge_url(f, "/projects/%s/statuses/%s", rv->project, rv->refs->head), NULL,
		body_type(&b));
	r.body = body_take(&b);
	r.retry_conflict = 1;	/* 409: another update of the same status is in progress */
	text = xasprintf("%s: %s", state, desc);
	/* the verdict is known whatever happened to the comments: always try to set it */
	if (!rv->opts->dry_run)
		http_run(f, &rp, 1);
	review_action(rv, PYSEC_REVIEW_STATUS, review_outcome(rv, &r), &r, text, NULL, NULL, NULL);
	http_req_clear(&r);
	free(text);
	free(desc);
}

/* One discussion per comment (GitLab has no reviews to bundle them in), then the summary. */
static void gitlab_post(struct review *rv)
{
	review_post_singly(rv);
	post_summary(rv);
}

const struct forge_ops forge_gitlab = {
	.kind = PYSEC_FORGE_GITLAB,
	.name = "gitlab",
	.api_path = "/api/v4",
	.auth_prefix = "PRIVATE-TOKEN: ",
	.accept = "Accept: application/json",
	.user_path = "/user",
	.login_key = "username",
	.project_path = gitlab_project_path,
	.refs = gitlab_refs,
	.list = gitlab_list,
	.post = gitlab_post,
	.close = resolve_earlier,
	.status = post_status,
	.single_comment = gitlab_single,
	.refuses_line = gitlab_refuses_line,
};
