/*
 * review.c: what to post for one request, whichever the forge: which
 * findings already have their comment, which get one now, which go into
 * the summary, and which earlier comments are for findings that are gone.
 */
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>

int pysec_review_refs_get(pysec_review_refs *out, pysec_forge *forge, const pysec_review_target *target)
{
	if (!target->project || !*target->project || !target->number)
		return error_set(PYSEC_EINVALID, "a review needs a project and a request number");
	return forge->kind == PYSEC_FORGE_GITLAB ? gitlab_refs(out, forge, target) : gitea_refs(out, forge, target);
}

void review_send(struct review *rv, struct http_req **reqs, size_t n)
{
	if (!rv->opts->dry_run && !rv->forge_down)
		http_run(rv->forge, reqs, n);
}

void review_free_reqs(struct http_req **reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		http_req_clear(reqs[i]);
		free(reqs[i]);
	}
	free(reqs);
}

void review_close_stale(struct review *rv, struct http_req *(*close)(struct review *rv, const struct earlier *e))
{
	struct http_req **reqs = xcalloc(rv->nearlier ? rv->nearlier : 1, sizeof(*reqs));
	struct earlier **es = xcalloc(rv->nearlier ? rv->nearlier : 1, sizeof(*es));
	size_t i, n = 0;

	for (i = 0; i < rv->nearlier; i++) {
		if (rv->earlier[i].found || rv->earlier[i].resolved)
			continue;
		es[n] = &rv->earlier[i];
		reqs[n++] = close(rv, &rv->earlier[i]);
	}
	review_send(rv, reqs, n);
	for (i = 0; i < n; i++) {
		pysec_review_outcome o = review_outcome(rv, reqs[i]);
		if (o == PYSEC_REVIEW_DONE)
			rv->res->closed++;
		review_action(rv, PYSEC_REVIEW_CLOSE, o, reqs[i], NULL, NULL, es[i]->fp, NULL);
	}
	review_free_reqs(reqs, n);
	free(es);
}

struct earlier *review_add_earlier(struct earlier **v, size_t *n, size_t *cap)
{
	struct earlier *e;

	array_reserve((void **)v, cap, *n + 1, sizeof(**v));
	e = &(*v)[(*n)++];
	memset(e, 0, sizeof(*e));
	return e;
}

void review_action(struct review *rv, pysec_review_action_kind kind, pysec_review_outcome outcome,
	const struct http_req *r, const char *text, const struct item *it, const char *fp, const char *error)
{
	pysec_review_action a;
	char tok[65];

	if (!rv->opts->on_action)
		return;
	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.outcome = outcome;
	a.method = r ? r->method : NULL;
	a.url = r ? r->url : NULL;
	a.text = text;
	a.finding = it ? it->f : NULL;
	if (it) {
		fp_token(it->f->fingerprint, tok);
		fp = tok;
	}
	a.fingerprint = fp;
	a.error = error ? error : r && r->attempted && r->rc < 0 ? r->error : NULL;
	rv->opts->on_action(&a, rv->opts->payload);
}

pysec_review_outcome review_outcome(struct review *rv, const struct http_req *r)
{
	if (rv->opts->dry_run)
		return PYSEC_REVIEW_DRY_RUN;
	if (!r->attempted) {
		rv->res->not_sent++;
		return PYSEC_REVIEW_NOT_SENT;
	}
	if (r->rc < 0) {
		rv->res->failed++;
		if (!rv->first_error)
			rv->first_error = xstrdup(r->error);
		if (r->fatal)
			rv->forge_down = 1;
		return PYSEC_REVIEW_FAILED;
	}
	return PYSEC_REVIEW_DONE;
}

static int severity_rank(const struct item *it)
{
	return it->blocking * 100 + (int)it->f->severity * 10 + (int)it->f->confidence;
}

/* Candidates for the free inline slots: blocking first, then by severity and confidence, then in file order. */
static int by_priority(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a, *y = *(const struct item *const *)b;
	int rx = severity_rank(x), ry = severity_rank(y);

	if (rx != ry)
		return ry - rx;
	return x < y ? -1 : x > y;
}

/* Set each item's place, and mark the earlier comments whose findings are still there. */
static void plan(struct review *rv, const pysec_report *report, const pysec_changeset *cs)
{
	const pysec_threshold *t = &rv->opts->threshold;
	struct item **cand;
	char **unplaced = NULL;
	size_t i, j, ncand = 0, kept = 0, refused = 0, slots, nunplaced = 0;

	/* fingerprints the forge refused inline before, as the open summary lists them */
	for (i = 0; i < rv->nsums; i++) {
		char *list = rv->sums[i].unplaced, *p;
		if (rv->sums[i].resolved || !list)
			continue;
		for (p = list; *p;) {
			size_t n = strcspn(p, ",");
			if (n) {
				unplaced = xrealloc(unplaced, (nunplaced + 1) * sizeof(*unplaced));
				unplaced[nunplaced++] = xstrndup(p, n);
			}
			p += n + (p[n] == ',');
		}
	}

	rv->nitems = pysec_report_finding_count(report);
	rv->items = xcalloc(rv->nitems ? rv->nitems : 1, sizeof(*rv->items));
	cand = xcalloc(rv->nitems ? rv->nitems : 1, sizeof(*cand));
	for (i = 0; i < rv->nitems; i++) {
		struct item *it = &rv->items[i];
		char fp[65];
		int had = 0;

		it->f = pysec_report_finding(report, i);
		if (!pysec_finding_counts(it->f, t))
			continue;
		it->blocking = pysec_finding_blocks(it->f, t);
		rv->res->findings++;
		rv->res->blocking += it->blocking;
		fp_token(it->f->fingerprint, fp);
		for (j = 0; j < rv->nearlier; j++) {
			if (!strcmp(rv->earlier[j].fp, fp)) {
				/* the first is the one kept; a second copy (a retried post) is closed */
				if (!had)
					rv->earlier[j].found = 1;
				had = 1;
			}
		}
		if (had) {
			it->place = PLACE_KEPT;
			kept++;
			continue;
		}
		if (!text_is_clean(it->f->path) || !pysec_changeset_adds(cs, it->f->path, it->f->line)) {
			it->place = PLACE_OUTSIDE;
			continue;
		}
		for (j = 0; j < nunplaced; j++)
			if (!strcmp(unplaced[j], fp))
				break;
		if (j < nunplaced) {
			it->place = PLACE_REFUSED;
			refused++;
			continue;
		}
		cand[ncand++] = it;
	}
	qsort(cand, ncand, sizeof(*cand), by_priority);
	/* a refused line kept its slot when it was refused; it keeps it, so reruns agree */
	slots = rv->opts->max_comments > kept + refused ? rv->opts->max_comments - kept - refused : 0;
	for (i = 0; i < ncand; i++)
		cand[i]->place = i < slots ? PLACE_INLINE : PLACE_OVER_CAP;
	for (i = 0; i < rv->nitems; i++) {
		struct item *it = &rv->items[i];
		if (it->place == PLACE_INLINE)
			it->text = comment_finding(it->f, rv->opts->engine ?
				pysec_engine_rule_find(rv->opts->engine, it->f->rule) : NULL, it->blocking);
	}
	rv->res->kept = kept;
	for (i = 0; i < nunplaced; i++)
		free(unplaced[i]);
	free(unplaced);
	free(cand);
}

char *review_summary(struct review *rv, char hash[17])
{
	struct summary_row *rows = xcalloc(rv->nitems ? rv->nitems : 1, sizeof(*rows));
	size_t i, n = 0, outside = 0, over = 0, refused = 0;
	char *text;

	for (i = 0; i < rv->nitems; i++) {
		const struct item *it = &rv->items[i];
		if (it->place != PLACE_OUTSIDE && it->place != PLACE_OVER_CAP && it->place != PLACE_REFUSED)
			continue;
		outside += it->place == PLACE_OUTSIDE;
		over += it->place == PLACE_OVER_CAP;
		refused += it->place == PLACE_REFUSED;
		rows[n].f = it->f;
		rows[n].blocking = it->blocking;
		n++;
	}
	rv->res->in_summary = n;
	text = comment_summary_table(rows, n, outside, over, refused, rv->opts->max_comments, hash);
	free(rows);
	return text;
}

char *review_status_text(const struct review *rv)
{
	const pysec_threshold *t = &rv->opts->threshold;
	size_t n = rv->res->blocking;

	if (!n)
		return xasprintf("no findings at or above %s (confidence %s)", pysec_level_name(t->fail_on),
			pysec_level_name(t->min_confidence));
	return xasprintf("%zu finding%s at or above %s (confidence %s)", n, n == 1 ? "" : "s",
		pysec_level_name(t->fail_on), pysec_level_name(t->min_confidence));
}

int project_path(char **out, pysec_forge_kind kind, const char *project)
{
	const char *slash = strchr(project, '/');
	char *owner, *owner_e, *repo_e;

	if (kind == PYSEC_FORGE_GITLAB) {
		/* a numeric id, or the path with its slashes encoded (group%2Fproject) */
		*out = url_escape(project);
		return 0;
	}
	if (!slash || slash == project || !slash[1] || strchr(slash + 1, '/'))
		return error_set(PYSEC_EINVALID, "a Gitea project is owner/repo, not '%s'", project);
	owner = xstrndup(project, (size_t)(slash - project));
	owner_e = url_escape(owner);
	repo_e = url_escape(slash + 1);
	*out = xasprintf("%s/%s", owner_e, repo_e);
	free(owner);
	free(owner_e);
	free(repo_e);
	return 0;
}

static void earlier_free(struct earlier *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].unplaced);
	}
	free(v);
}

int pysec_review_run(pysec_review_result *out, pysec_forge *forge, const pysec_review_target *target,
	const pysec_review_refs *refs, const pysec_report *report, const pysec_changeset *cs,
	const pysec_review_options *opts)
{
	struct review rv;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!target->project || !*target->project || !target->number)
		return error_set(PYSEC_EINVALID, "a review needs a project and a request number");
	memset(&rv, 0, sizeof(rv));
	rv.forge = forge;
	rv.target = target;
	rv.refs = refs;
	rv.opts = opts;
	rv.res = out;
	if ((rc = project_path(&rv.project, forge->kind, target->project)) < 0)
		return rc;

	/* what is there first: without it a rerun would post everything again */
	rc = forge->kind == PYSEC_FORGE_GITLAB ? gitlab_list(&rv) : gitea_list(&rv);
	if (rc < 0)
		goto cleanup;
	plan(&rv, report, cs);
	if (forge->kind == PYSEC_FORGE_GITLAB)
		gitlab_apply(&rv);
	else
		gitea_apply(&rv);
	if (out->failed || out->not_sent) {
		rc = error_set(PYSEC_EFORGE, "%zu write%s failed and %zu %s not sent; first: %s", out->failed,
			out->failed == 1 ? "" : "s", out->not_sent, out->not_sent == 1 ? "was" : "were",
			rv.first_error ? rv.first_error : "?");
	}
cleanup:
	for (i = 0; i < rv.nitems; i++)
		free(rv.items[i].text);
	free(rv.items);
	earlier_free(rv.earlier, rv.nearlier);
	earlier_free(rv.sums, rv.nsums);
	free(rv.first_error);
	free(rv.project);
	return rc;
}
