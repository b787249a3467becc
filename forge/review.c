/*
 * review.c: the review flow, the same for every forge (its table of
 * operations, forge.h, does what differs): who the token is, what it
 * posted before, which findings already have their comment, which get one
 * now, which go into the summary, which earlier comments and requests for
 * changes are for findings that are gone, and a check, by listing again,
 * that what was closed is closed.
 */
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

int pysec_review_refs_get(pysec_review_refs *out, pysec_forge *forge, const pysec_review_target *target)
{
	char *project = NULL;
	int rc;

	if (!target->project || !*target->project || !target->number)
		return error_set(PYSEC_EINVALID, "a review needs a project and a request number");
	if ((rc = forge->ops->project_path(&project, target->project)) < 0)
		return rc;
	rc = forge->ops->refs(out, forge, target, project);
	free(project);
	return rc;
}

/*
 * Who the token acts as (GitLab GET /api/v4/user, Gitea and GitHub GET
 * /user).  A token that may not read it (GitHub Actions' GITHUB_TOKEN and
 * GitHub Apps' tokens get 403 "Resource not accessible by integration")
 * acts as the login the caller names, if any.
 */
static int ask_user(struct review *rv)
{
	pysec_forge *f = rv->forge;
	json_t *u = NULL, *id, *login;
	long status = 0;
	int rc;

	rc = http_get_json_status(&u, &status, f, forge_url(f, "%s", rv->ops->user_path));
	if (rc < 0 && (status == 403 || status == 404) && f->login) {
		rv->me.id = -1;
		snprintf(rv->me.login, sizeof(rv->me.login), "%s", f->login);
		forge_trace(f, "forge: %s refused (%ld); acting as '%s' (the bot login)", rv->ops->user_path, status, f->login);
		return 0;
	}
	if (rc < 0)
		return error_set(PYSEC_EFORGE, "cannot tell which user the token acts as, so which comments are "
			"pysec's: %s%s", pysec_error_last(), status == 403 ? " (name it with pysec.review.botLogin)" : "");
	id = json_object_get(u, "id");
	login = json_object_get(u, rv->ops->login_key);
	if (!json_is_integer(id) || !json_is_string(login)) {
		json_decref(u);
		return error_set(PYSEC_EFORGE, "GET %s: the answer has no user id and %s", rv->ops->user_path,
			rv->ops->login_key);
	}
	rv->me.id = json_integer_value(id);
	snprintf(rv->me.login, sizeof(rv->me.login), "%s", json_string_value(login));
	forge_trace(f, "forge: the token acts as '%s' (id %lld)", rv->me.login, (long long)rv->me.id);
	json_decref(u);
	return 0;
}

/* Who the token acts as: asked once per client, or known from an earlier client (pysec_forge_user_set). */
static int whoami(struct review *rv)
{
	pysec_forge *f = rv->forge;
	int rc;

	if (f->me_known) {
		rv->me = f->me;
		return 0;
	}
	if ((rc = ask_user(rv)) == 0)
		pysec_forge_user_set(f, &rv->me);
	return rc;
}

int review_is_me(const struct review *rv, json_t *user)
{
	json_t *id = json_object_get(user, "id");
	const char *login = json_string_value(json_object_get(user, rv->ops->login_key));

	if (rv->me.id >= 0)
		return json_is_integer(id) && json_integer_value(id) == rv->me.id;
	/* only the login is known: logins are case-insensitive on every forge */
	return login && !strcasecmp(login, rv->me.login);
}

void review_send(struct review *rv, struct http_req **reqs, size_t n)
{
	if (!rv->opts->dry_run && !rv->forge_down)
		http_run(rv->forge, reqs, n);
}

void review_free_reqs(struct http_req **reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		http_req_free(reqs[i]);
	free(reqs);
}

struct earlier *review_add_earlier(struct earlier **v, size_t *n, size_t *cap)
{
	struct earlier *e;

	array_reserve((void **)v, cap, *n + 1, sizeof(**v));
	e = &(*v)[(*n)++];
	memset(e, 0, sizeof(*e));
	e->review = -1;
	return e;
}

struct own_review *review_add_own(struct review *rv, const char *id, json_int_t num)
{
	struct own_review *r = ARRAY_PUSH(rv->reviews, rv->nreviews, rv->reviews_cap);

	memset(r, 0, sizeof(*r));
	r->id = xstrdup(id);
	r->num = num;
	snprintf(r->summary, sizeof(r->summary), "none");
	return r;
}

void review_action(struct review *rv, pysec_review_action_kind kind, pysec_review_outcome outcome,
	const struct http_req *r, const char *text, const struct item *it, const char *fp, const char *error)
{
	pysec_review_action a;
	char tok[65], *url, *why;

	if (!rv->opts->on_action)
		return;
	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.outcome = outcome;
	a.method = r ? r->method : NULL;
	/* a URL holds ids the forge gave, which may echo the token: never shown as they came */
	url = r ? forge_redact(rv->forge, r->url) : NULL;
	a.url = url;
	a.text = text;
	a.finding = it ? it->f : NULL;
	if (it) {
		comment_fp_token(it->f->fingerprint, tok);
		fp = tok;
	}
	a.fingerprint = fp;
	error = error ? error : r && r->attempted && r->rc < 0 ? r->error : NULL;
	why = error ? forge_redact(rv->forge, error) : NULL;
	a.error = why;
	rv->opts->on_action(&a, rv->opts->payload);
	free(url);
	free(why);
}

/* A write that was sent and answered, yet did not do what it said: it counts as failed. */
static void review_failed(struct review *rv, const char *error)
{
	rv->res->failed++;
	if (!rv->first_error)
		rv->first_error = forge_redact(rv->forge, error);
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
		review_failed(rv, r->error);
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

/* Split a marker's comma-separated list onto `v`. */
static void split_list(char ***v, size_t *n, const char *p)
{
	while (p && *p) {
		size_t len = strcspn(p, ",");
		if (len) {
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = xstrndup(p, len);
		}
		p += len + (p[len] == ',');
	}
}

static const struct own_review *newest_own(const struct review *rv);

/*
 * Fingerprints the forge refused inline before, as pysec's open summaries
 * (GitLab) or its newest review (Gitea, GitHub) list them: a rerun does not
 * try them again, so it posts nothing new.
 */
static char **refused_before(const struct review *rv, size_t *n)
{
	const struct own_review *last = newest_own(rv);
	char **v = NULL;
	size_t i;

	*n = 0;
	for (i = 0; i < rv->nsums; i++)
		if (!rv->sums[i].resolved)
			split_list(&v, n, rv->sums[i].unplaced);
	if (last)
		split_list(&v, n, last->unplaced);
	return v;
}

static void items_free(struct review *rv)
{
	size_t i;

	for (i = 0; i < rv->nitems; i++)
		free(rv->items[i].text);
	free(rv->items);
	rv->items = NULL;
	rv->nitems = 0;
}

/*
 * Set each item's place, and mark the earlier comments whose findings are
 * still there.  Run again after a review was deleted (its comments are then
 * gone, and their findings need new ones).
 */
static void plan(struct review *rv)
{
	const pysec_threshold *t = &rv->opts->threshold;
	struct item **cand;
	char **unplaced;
	size_t i, j, ncand = 0, kept = 0, refused = 0, slots, nunplaced;

	items_free(rv);
	rv->res->findings = rv->res->blocking = rv->res->kept = 0;
	for (j = 0; j < rv->nearlier; j++)
		rv->earlier[j].found = 0;
	unplaced = refused_before(rv, &nunplaced);
	rv->nitems = pysec_report_finding_count(rv->report);
	rv->items = xcalloc(rv->nitems ? rv->nitems : 1, sizeof(*rv->items));
	cand = xcalloc(rv->nitems ? rv->nitems : 1, sizeof(*cand));
	for (i = 0; i < rv->nitems; i++) {
		struct item *it = &rv->items[i];
		char fp[65];
		int had = 0;

		it->f = pysec_report_finding(rv->report, i);
		if (!pysec_finding_counts(it->f, t))
			continue;
		it->blocking = pysec_finding_blocks(it->f, t);
		it->old_path = pysec_changeset_old_path(rv->cs, it->f->path);
		rv->res->findings++;
		rv->res->blocking += it->blocking;
		comment_fp_token(it->f->fingerprint, fp);
		for (j = 0; j < rv->nearlier; j++) {
			if (!rv->earlier[j].gone && !strcmp(rv->earlier[j].fp, fp)) {
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
		if (!pysec_changeset_adds(rv->cs, it->f->path, it->f->line)) {
			it->place = PLACE_OUTSIDE;
			continue;
		}
		/* any name git can hold can be commented on, but an API's JSON carries UTF-8 only */
		if (!comment_text_is_utf8(it->f->path) || (it->old_path && !comment_text_is_utf8(it->old_path))) {
			it->place = PLACE_BAD_NAME;
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
	struct summary_counts why = { 0, 0, 0, 0 };
	size_t i, n = 0;
	char *text;

	for (i = 0; i < rv->nitems; i++) {
		const struct item *it = &rv->items[i];
		if (it->place != PLACE_OUTSIDE && it->place != PLACE_OVER_CAP && it->place != PLACE_REFUSED &&
		    it->place != PLACE_BAD_NAME)
			continue;
		why.outside += it->place == PLACE_OUTSIDE;
		why.over_cap += it->place == PLACE_OVER_CAP;
		why.refused += it->place == PLACE_REFUSED;
		why.bad_name += it->place == PLACE_BAD_NAME;
		rows[n].f = it->f;
		rows[n].blocking = it->blocking;
		n++;
	}
	rv->res->in_summary = n;
	text = comment_summary_table(rows, n, &why, rv->opts->max_comments, hash);
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

int review_project_owner_repo(char **out, const char *project)
{
	const char *slash = strchr(project, '/');
	char *owner, *owner_e, *repo_e;

	if (!slash || slash == project || !slash[1] || strchr(slash + 1, '/'))
		return error_set(PYSEC_EINVALID, "the project is owner/repo, not '%s'", project);
	owner = xstrndup(project, (size_t)(slash - project));
	owner_e = http_url_escape(owner);
	repo_e = http_url_escape(slash + 1);
	*out = xasprintf("%s/%s", owner_e, repo_e);
	free(owner);
	free(owner_e);
	free(repo_e);
	return 0;
}

/* --- closing, deleting and withdrawing, checked afterwards ------------------ */

/* A write whose effect is checked by listing again before it is reported. */
struct checked {
	pysec_review_action_kind kind;
	struct http_req *r;
	long earlier;		/* CLOSE: index in rv->earlier */
	long own;		/* DROP, WITHDRAW: index in rv->reviews */
	int withdrawal;		/* it withdraws a request for changes (a DROP may, where dismissing was refused) */
	size_t closes;		/* DROP: the stale comments it removes */
	pysec_review_outcome outcome;
	char *error;		/* set when the listing shows it did not happen */
};

struct checks {
	struct checked *v;
	size_t n, cap;
};

static struct checked *check_add(struct checks *c, pysec_review_action_kind kind, struct http_req *r, long earlier,
	long own)
{
	struct checked *k = ARRAY_PUSH(c->v, c->n, c->cap);

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->r = r;
	k->earlier = earlier;
	k->own = own;
	return k;
}

/* Send the writes of `c` from `first` on, at once, and note each outcome (not yet reported). */
static void checks_send(struct review *rv, struct checks *c, size_t first)
{
	struct http_req **reqs = xcalloc(c->n - first + 1, sizeof(*reqs));
	size_t i;

	for (i = first; i < c->n; i++)
		reqs[i - first] = c->v[i].r;
	review_send(rv, reqs, c->n - first);
	for (i = first; i < c->n; i++)
		c->v[i].outcome = review_outcome(rv, c->v[i].r);
	free(reqs);
}

static long own_index(const struct review *rv, const char *id)
{
	size_t i;

	for (i = 0; i < rv->nreviews; i++)
		if (!strcmp(rv->reviews[i].id, id))
			return (long)i;
	return -1;
}

/* pysec's comments in review `own` whose finding is gone. */
static size_t stale_in(const struct review *rv, size_t own)
{
	size_t i, n = 0;

	for (i = 0; i < rv->nearlier; i++)
		n += rv->earlier[i].review == (long)own && !rv->earlier[i].found && !rv->earlier[i].gone;
	return n;
}

/* Its review was deleted: its comments are gone, and their findings need new ones. */
static void own_gone(struct review *rv, size_t own)
{
	size_t i;

	rv->reviews[own].gone = 1;
	for (i = 0; i < rv->nearlier; i++)
		if (rv->earlier[i].review == (long)own)
			rv->earlier[i].gone = 1;
}

/*
 * Nothing blocks any more: withdraw every request for changes pysec made,
 * for a later COMMENT review leaves it in force (Gitea
 * models/issues/review.go: only the reviewer's next approval or rejection,
 * a dismissal or a deletion ends it; GitHub likewise).  A forge that
 * refuses the dismissal (Gitea lets only repository administrators
 * dismiss: routers/api/v1/repo/pull_review.go, dismissReview) gets the
 * review deleted instead, where it holds nobody else's words.
 */
static void withdraw_requests(struct review *rv, struct checks *c)
{
	size_t i, replan = 0;

	if (rv->res->blocking || !rv->ops->withdraw)
		return;
	/* one at a time: a refusal (403) is fatal to a batch, and here it has a remedy */
	for (i = 0; i < rv->nreviews; i++) {
		struct own_review *r = &rv->reviews[i];
		struct checked *k;
		if (!r->in_force)
			continue;
		k = check_add(c, PYSEC_REVIEW_WITHDRAW, rv->ops->withdraw(rv, r), -1, (long)i);
		k->withdrawal = 1;
		checks_send(rv, c, c->n - 1);
		/* a refused dismissal says nothing of the other writes: they are still sent */
		if (k->outcome == PYSEC_REVIEW_FAILED && k->r->status == 403)
			rv->forge_down = 0;
		if (k->outcome == PYSEC_REVIEW_FAILED && k->r->status == 403 && rv->ops->drop && !r->foreign) {
			/* the dismissal was refused: the review goes instead, and the refusal is no failure */
			rv->res->failed--;
			if (rv->first_error && k->r->error && !strcmp(rv->first_error, k->r->error)) {
				free(rv->first_error);
				rv->first_error = NULL;
			}
			http_req_free(k->r);
			k->kind = PYSEC_REVIEW_DROP;
			k->closes = stale_in(rv, i);
			k->r = rv->ops->drop(rv, r);
			checks_send(rv, c, c->n - 1);
			if (k->outcome == PYSEC_REVIEW_DONE) {
				replan += r->comments > 0;
				own_gone(rv, i);
			}
		}
		rv->res->withdrawn += k->outcome == PYSEC_REVIEW_DONE;
	}
	if (replan)
		plan(rv);
}

/*
 * Reviews to delete whole (where the forge can): every comment in it is
 * pysec's and its finding is gone.  On Gitea that is the only way to
 * remove a review comment (its comment DELETE answers 204 and keeps a
 * review comment: routers/api/v1/repo/issue_comment.go, deleteIssueComment).
 */
static void mark_drops(struct review *rv)
{
	size_t i, j;

	if (!rv->ops->drop)
		return;
	for (i = 0; i < rv->nreviews; i++) {
		struct own_review *r = &rv->reviews[i];
		int stale = 1;
		if (r->gone || r->foreign || !r->comments)
			continue;
		for (j = 0; j < rv->nearlier; j++)
			if (rv->earlier[j].review == (long)i && (rv->earlier[j].found || rv->earlier[j].replied))
				stale = 0;
		r->drop = stale;
	}
}

/* Delete the reviews marked, then close every other earlier comment whose finding is gone. */
static void close_stale(struct review *rv, struct checks *c)
{
	size_t i, first = c->n;

	for (i = 0; i < rv->nreviews; i++)
		if (rv->reviews[i].drop && !rv->reviews[i].gone)
			check_add(c, PYSEC_REVIEW_DROP, rv->ops->drop(rv, &rv->reviews[i]), -1, (long)i)->closes =
				stale_in(rv, i);
	for (i = 0; i < rv->nearlier; i++) {
		const struct earlier *e = &rv->earlier[i];
		if (e->found || e->resolved || e->gone || (e->review >= 0 && rv->reviews[e->review].drop))
			continue;
		check_add(c, PYSEC_REVIEW_CLOSE, rv->ops->close(rv, e), (long)i, -1);
	}
	checks_send(rv, c, first);
	for (i = first; i < c->n; i++)
		if (c->v[i].kind == PYSEC_REVIEW_DROP && c->v[i].outcome == PYSEC_REVIEW_DONE)
			own_gone(rv, (size_t)c->v[i].own);
}

static const struct earlier *earlier_by_id(const struct review *rv, const char *id)
{
	size_t i;

	for (i = 0; i < rv->nearlier; i++)
		if (!strcmp(rv->earlier[i].id, id))
			return &rv->earlier[i];
	return NULL;
}

static void review_clear(struct review *rv);

/*
 * A forge's answer is not proof: Gitea answers 204 to a DELETE it ignores.
 * List again, and a write whose effect is not there failed.
 */
static void verify(struct review *rv, struct checks *c)
{
	struct review again;
	size_t i, done = 0;
	int rc;

	for (i = 0; i < c->n; i++)
		done += c->v[i].outcome == PYSEC_REVIEW_DONE;
	if (!done)
		return;
	memset(&again, 0, sizeof(again));
	again.forge = rv->forge;
	again.ops = rv->ops;
	again.target = rv->target;
	again.refs = rv->refs;
	again.opts = rv->opts;
	again.project = rv->project;
	again.me = rv->me;
	again.res = rv->res;
	if ((rc = rv->ops->list(&again)) < 0) {
		char *why = xasprintf("cannot list again to check what was closed: %s", pysec_error_last());
		review_failed(rv, why);
		free(why);
		again.project = NULL;
		review_clear(&again);
		return;
	}
	for (i = 0; i < c->n; i++) {
		struct checked *k = &c->v[i];
		const struct earlier *e = k->earlier >= 0 ? &rv->earlier[k->earlier] : NULL, *now;
		long own = k->own >= 0 ? own_index(&again, rv->reviews[k->own].id) : -1;
		int undone;

		if (k->outcome != PYSEC_REVIEW_DONE)
			continue;
		now = e ? earlier_by_id(&again, e->id) : NULL;
		undone = k->kind == PYSEC_REVIEW_CLOSE ? now && !now->resolved :
			 k->kind == PYSEC_REVIEW_DROP ? own >= 0 : own >= 0 && again.reviews[own].in_force;
		if (undone) {
			k->error = xasprintf("the forge answered %ld to %s %s, but listing again shows %s", k->r->status,
				k->r->method, k->r->url, k->kind == PYSEC_REVIEW_WITHDRAW ? "it still requests changes" :
				"it is still there");
			k->outcome = PYSEC_REVIEW_FAILED;
			review_failed(rv, k->error);
		}
	}
	again.project = NULL;
	review_clear(&again);
}

/* Report each checked write, count what was closed, and free them. */
static void checks_report(struct review *rv, struct checks *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct checked *k = &c->v[i];
		const char *fp = k->earlier >= 0 ? rv->earlier[k->earlier].fp : rv->reviews[k->own].id;
		if (k->outcome == PYSEC_REVIEW_DONE)
			rv->res->closed += k->kind == PYSEC_REVIEW_CLOSE ? 1 : k->closes;
		/* counted when sent (the summary says so); the listing may have shown otherwise */
		if (k->withdrawal && k->outcome == PYSEC_REVIEW_FAILED && k->r->rc == 0)
			rv->res->withdrawn--;
		review_action(rv, k->kind, k->outcome, k->r, NULL, NULL, fp, k->error);
		http_req_free(k->r);
		free(k->error);
	}
	free(c->v);
}

/* --- posting a review (forges with reviews) --------------------------------- */

/* pysec's newest review that is still there: what pysec said last. */
static const struct own_review *newest_own(const struct review *rv)
{
	const struct own_review *best = NULL;
	size_t i;

	for (i = 0; i < rv->nreviews; i++)
		if (!rv->reviews[i].gone && !rv->reviews[i].drop && (!best || rv->reviews[i].num > best->num))
			best = &rv->reviews[i];
	return best;
}

/* The fingerprints of the findings the forge refused inline, comma-separated ("" when none). */
static char *refused_list(const struct review *rv)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	char tok[65];
	size_t i;

	for (i = 0; i < rv->nitems; i++) {
		if (rv->items[i].place != PLACE_REFUSED)
			continue;
		comment_fp_token(rv->items[i].f->fingerprint, tok);
		buf_printf(&b, "%s%s", b.len ? "," : "", tok);
	}
	return b.len ? buf_detach(&b) : xstrdup("");
}

static char *bundle_body(struct review *rv, const char *key, const char *table, int request_changes)
{
	struct buf text = BUF_INIT(SIZE_MAX / 2);
	char *refused = refused_list(rv);

	buf_printf(&text, "<!-- pysec:review summary=%s verdict=%s%s%s -->\n", key, request_changes ? "block" : "pass",
		*refused ? " unplaced=" : "", refused);
	free(refused);
	if (rv->res->findings)
		buf_printf(&text, "**pysec**: %zu finding%s in this pull request, %zu at or above the threshold.",
			rv->res->findings, rv->res->findings == 1 ? "" : "s", rv->res->blocking);
	else
		buf_puts(&text, "**pysec**: no findings in this pull request.");
	if (rv->res->withdrawn)
		buf_puts(&text, "\n\nNothing blocks the merge any more: pysec withdrew its request for changes.");
	if (table)
		buf_printf(&text, "\n\n%s", table);
	return buf_detach(&text);
}

void review_post_singly(struct review *rv)
{
	struct http_req **reqs = xcalloc(rv->nitems ? rv->nitems : 1, sizeof(*reqs));
	struct item **its = xcalloc(rv->nitems ? rv->nitems : 1, sizeof(*its));
	size_t i, n = 0;

	for (i = 0; i < rv->nitems; i++) {
		if (rv->items[i].place != PLACE_INLINE)
			continue;
		its[n] = &rv->items[i];
		reqs[n++] = rv->ops->single_comment(rv, &rv->items[i]);
	}
	review_send(rv, reqs, n);
	for (i = 0; i < n; i++) {
		pysec_review_outcome o;
		if (reqs[i]->attempted && rv->ops->refuses_line(reqs[i])) {
			its[i]->place = PLACE_REFUSED;
			review_action(rv, PYSEC_REVIEW_COMMENT, PYSEC_REVIEW_MOVED, reqs[i], its[i]->text, its[i], NULL,
				reqs[i]->error);
			continue;
		}
		o = review_outcome(rv, reqs[i]);
		if (o == PYSEC_REVIEW_DONE)
			rv->res->posted++;
		review_action(rv, PYSEC_REVIEW_COMMENT, o, reqs[i], its[i]->text, its[i], NULL, NULL);
	}
	review_free_reqs(reqs, n);
	free(its);
}

static json_t *bundle_request(struct review *rv, const char *body, int request_changes, int with_comments)
{
	json_t *req = json_object(), *comments = json_array();
	size_t i;

	json_object_set_new(req, "body", json_string(body));
	json_object_set_new(req, "event", json_string(request_changes ? "REQUEST_CHANGES" : "COMMENT"));
	json_object_set_new(req, "commit_id", json_string(rv->refs->head));
	for (i = 0; with_comments && i < rv->nitems; i++)
		if (rv->items[i].place == PLACE_INLINE)
			json_array_append_new(comments, rv->ops->review_comment(rv, &rv->items[i]));
	json_object_set_new(req, "comments", comments);
	return req;
}

/*
 * One review: the new inline comments, the summary as its body, and the
 * verdict as its event (REQUEST_CHANGES when a finding blocks).  Sent when
 * something changed: new comments, another summary, another verdict than
 * pysec's newest review's, or a withdrawn request to mention.  A forge that
 * refuses to let one reject one's own request (422) gets a COMMENT; one
 * that refuses the whole review for a line it cannot place gets the
 * comments one by one, and the summary lists the refused.
 */
void review_post_bundle(struct review *rv)
{
	pysec_forge *f = rv->forge;
	const struct own_review *last = newest_own(rv);
	char hash[17] = "", *table = NULL, *body = NULL;
	const char *key;
	struct http_req *r = NULL;
	pysec_review_outcome o;
	size_t i, ninline = 0;
	int block = rv->res->blocking > 0, event_block = block, with_comments = 1;

	for (i = 0; i < rv->nitems; i++)
		ninline += rv->items[i].place == PLACE_INLINE;
	table = review_summary(rv, hash);
	key = table ? hash : "none";
	if (!ninline && !strcmp(key, last ? last->summary : "none") && block == (last && last->meant_block) &&
	    !rv->res->withdrawn) {
		free(table);
		return;
	}
	body = bundle_body(rv, key, table, block);
	for (;;) {
		json_t *req = bundle_request(rv, body, event_block, with_comments);
		http_req_free(r);
		r = http_req_new("POST", forge_url(f, "/repos/%s/pulls/%llu/reviews", rv->project,
			(unsigned long long)rv->target->number), http_json_text(req), "application/json");
		json_decref(req);
		review_send(rv, &r, 1);
		if (!r->attempted || r->rc == 0 || r->status != 422)
			break;
		if (with_comments && ninline && rv->ops->single_comment && rv->ops->refuses_line(r)) {
			/* a line it cannot place refuses the whole review: the comments alone, then the body */
			forge_trace(f, "forge: the review was refused for a line; posting its comments one by one");
			with_comments = 0;
			review_post_singly(rv);
			free(table);
			free(body);
			table = review_summary(rv, hash);
			body = bundle_body(rv, table ? hash : "none", table, block);
			continue;
		}
		if (!event_block)
			break;
		/* one's own request cannot be rejected: the same review as a COMMENT */
		forge_trace(f, "forge: REQUEST_CHANGES refused (422); posting the review as COMMENT");
		event_block = 0;
	}
	o = review_outcome(rv, r);
	review_action(rv, PYSEC_REVIEW_REVIEW, o, r, body, NULL, NULL, NULL);
	for (i = 0; with_comments && i < rv->nitems; i++) {
		if (rv->items[i].place != PLACE_INLINE)
			continue;
		if (o == PYSEC_REVIEW_DONE)
			rv->res->posted++;
		/* the review carries them: their fate is the review's (counted once, above) */
		review_action(rv, PYSEC_REVIEW_COMMENT, o, r, rv->items[i].text, &rv->items[i], NULL, NULL);
	}
	http_req_free(r);
	free(body);
	free(table);
}

int review_get_pull(json_t **out, pysec_forge *f, const pysec_review_target *t, const char *project)
{
	int rc = http_get_json(out, NULL, NULL, f, forge_url(f, "/repos/%s/pulls/%llu", project,
		(unsigned long long)t->number));

	if (rc == PYSEC_ENOTFOUND)
		rc = error_set(rc, "pull request #%llu of '%s' not found (%s)", (unsigned long long)t->number,
			t->project, pysec_error_last());
	return rc;
}

struct own_review *review_take_own(struct review *rv, json_t *r, int in_force)
{
	const char *body = json_string_value(json_object_get(r, "body"));
	json_t *id = json_object_get(r, "id");
	char summary[17], verdict[8], num[32];
	char *mark = comment_marker_dup(body, "review");
	struct own_review *o;

	if (!mark || !json_is_integer(id) || !review_is_me(rv, json_object_get(r, "user"))) {
		free(mark);
		return NULL;
	}
	free(mark);
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(id));
	o = review_add_own(rv, num, json_integer_value(id));
	if (comment_marker_get(body, "summary", summary, sizeof(summary)) == 0)
		memcpy(o->summary, summary, sizeof(summary));
	o->unplaced = comment_marker_dup(body, "unplaced");
	o->in_force = in_force;
	/* what pysec meant, even where the forge refused it (one's own pull request) */
	o->meant_block = comment_marker_get(body, "verdict", verdict, sizeof(verdict)) == 0 ? !strcmp(verdict, "block") : in_force;
	return o;
}

struct http_req *review_dismissal(struct review *rv, const struct own_review *o, const char *method, const char *key,
	json_t *value)
{
	json_t *req = json_object();
	struct http_req *r;

	json_object_set_new(req, "message", json_string("pysec: no finding blocks the merge any more"));
	json_object_set_new(req, key, value);
	r = http_req_new(method, forge_url(rv->forge, "/repos/%s/pulls/%llu/reviews/%s/dismissals", rv->project,
		(unsigned long long)rv->target->number, o->id), http_json_text(req), "application/json");
	json_decref(req);
	return r;
}

void review_post_status_json(struct review *rv)
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
		http_json_text(req), "application/json");
	text = xasprintf("%s: %s", state, desc);
	/* the verdict is known whatever happened to the comments: always try to set it */
	if (!rv->opts->dry_run)
		http_run(f, &rp, 1);
	review_action(rv, PYSEC_REVIEW_STATUS, review_outcome(rv, &r), &r, text, NULL, NULL, NULL);
	http_req_clear(&r);
	json_decref(req);
	free(text);
	free(desc);
}

/* --- the flow ------------------------------------------------------------- */

static void earlier_free(struct earlier *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].unplaced);
	}
	free(v);
}

static void review_clear(struct review *rv)
{
	size_t i;

	items_free(rv);
	earlier_free(rv->earlier, rv->nearlier);
	earlier_free(rv->sums, rv->nsums);
	for (i = 0; i < rv->nreviews; i++) {
		free(rv->reviews[i].id);
		free(rv->reviews[i].unplaced);
	}
	free(rv->reviews);
	free(rv->first_error);
	free(rv->project);
}

int pysec_review_run(pysec_review_result *out, pysec_forge *forge, const pysec_review_target *target,
	const pysec_review_refs *refs, const pysec_report *report, const pysec_changeset *cs,
	const pysec_review_options *opts)
{
	struct review rv;
	struct checks checks = { NULL, 0, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!target->project || !*target->project || !target->number)
		return error_set(PYSEC_EINVALID, "a review needs a project and a request number");
	memset(&rv, 0, sizeof(rv));
	rv.forge = forge;
	rv.ops = forge->ops;
	rv.target = target;
	rv.refs = refs;
	rv.opts = opts;
	rv.report = report;
	rv.cs = cs;
	rv.res = out;
	if ((rc = rv.ops->project_path(&rv.project, target->project)) < 0)
		return rc;

	/* who pysec is, and what it said before: without it a rerun would post everything again */
	if ((rc = whoami(&rv)) < 0 || (rc = rv.ops->list(&rv)) < 0)
		goto cleanup;
	plan(&rv);
	withdraw_requests(&rv, &checks);
	mark_drops(&rv);
	rv.ops->post(&rv);
	close_stale(&rv, &checks);
	if (!opts->dry_run)
		verify(&rv, &checks);
	checks_report(&rv, &checks);
	rv.ops->status(&rv);
	if (out->failed || out->not_sent) {
		rc = error_set(PYSEC_EFORGE, "%zu write%s failed and %zu %s not sent; first: %s", out->failed,
			out->failed == 1 ? "" : "s", out->not_sent, out->not_sent == 1 ? "was" : "were",
			rv.first_error ? rv.first_error : "?");
	}
cleanup:
	review_clear(&rv);
	return rc;
}
