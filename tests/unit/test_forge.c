/*
 * test_forge.c: the forge library without a server: which API root a URL
 * gives on each forge, the forges' names, the markers pysec finds its own
 * comments by, the markdown it posts, where each forge takes an inline
 * comment, and how http.c reads answers (retries, rate limits, pages),
 * with the network replaced by forge.h's stand-in (struct forge_transport)
 * answering from a script.  (The whole conversation with a forge is tested
 * against the stand-in servers: tests/t/t30 to t32.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pysec_forge.h"
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <git2.h>

static void check_root(pysec_forge_kind kind, const char *url, const char *want)
{
	pysec_forge_options o = PYSEC_FORGE_OPTIONS_INIT;
	pysec_forge *f = NULL;

	o.kind = kind;
	o.url = url;
	o.token = "t0ken";
	assert_int_equal(pysec_forge_new(&f, &o), 0);
	assert_string_equal(pysec_forge_url(f), want);
	pysec_forge_free(f);
}

static void api_roots(void **state)
{
	check_root(PYSEC_FORGE_GITLAB, "https://gitlab.example.com", "https://gitlab.example.com/api/v4");
	check_root(PYSEC_FORGE_GITLAB, "https://gitlab.example.com/api/v4/", "https://gitlab.example.com/api/v4");
	check_root(PYSEC_FORGE_GITEA, "https://gitea.example.com/", "https://gitea.example.com/api/v1");
	/* github.com's API is on a host of its own; GitHub Enterprise Server's is /api/v3 */
	check_root(PYSEC_FORGE_GITHUB, "https://github.com", "https://api.github.com");
	check_root(PYSEC_FORGE_GITHUB, "https://GitHub.com/", "https://api.github.com");
	check_root(PYSEC_FORGE_GITHUB, "https://api.github.com", "https://api.github.com");
	check_root(PYSEC_FORGE_GITHUB, "https://ghe.example.com", "https://ghe.example.com/api/v3");
	check_root(PYSEC_FORGE_GITHUB, "https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3");
	/* only the forge's own host: a look-alike is a server like any other */
	check_root(PYSEC_FORGE_GITHUB, "https://github.com.example.org", "https://github.com.example.org/api/v3");
	check_root(PYSEC_FORGE_GITEA, "https://github.com", "https://github.com/api/v1");
}

static void names(void **state)
{
	assert_int_equal(pysec_forge_kind_parse("github"), PYSEC_FORGE_GITHUB);
	assert_int_equal(pysec_forge_kind_parse("GitLab"), PYSEC_FORGE_GITLAB);
	assert_int_equal(pysec_forge_kind_parse("gitea"), PYSEC_FORGE_GITEA);
	assert_int_equal(pysec_forge_kind_parse("git"), 0);
	assert_int_equal(pysec_forge_kind_parse(NULL), 0);
	assert_string_equal(pysec_forge_kind_name(PYSEC_FORGE_GITHUB), "github");
}

static void bad_options(void **state)
{
	pysec_forge_options o = PYSEC_FORGE_OPTIONS_INIT;
	pysec_forge *f = NULL;

	o.kind = PYSEC_FORGE_GITHUB;
	o.url = "https://ghe.example.com";
	o.token = "tok en";
	assert_int_equal(pysec_forge_new(&f, &o), PYSEC_EINVALID);
	o.token = "token";
	o.login = "bad\nlogin";
	assert_int_equal(pysec_forge_new(&f, &o), PYSEC_EINVALID);
	o.login = "github-actions[bot]";
	o.kind = 9;
	assert_int_equal(pysec_forge_new(&f, &o), PYSEC_EINVALID);
	assert_null(f);
}

static void shas(void **state)
{
	char out[41];
	json_t *v;

	v = json_string("0123456789ABCDEFabcdef0123456789abcdef01");
	assert_int_equal(http_json_sha(out, v), 0);
	assert_string_equal(out, "0123456789abcdefabcdef0123456789abcdef01");
	json_decref(v);
	v = json_string("0123456789abcdefabcdef0123456789abcdef0");
	assert_int_equal(http_json_sha(out, v), -1);
	json_decref(v);
	v = json_string("0123456789abcdefabcdef0123456789abcdef0g");
	assert_int_equal(http_json_sha(out, v), -1);
	json_decref(v);
	v = json_integer(1);
	assert_int_equal(http_json_sha(out, v), -1);
	json_decref(v);
}

static void check_bad_url(const char *url, const char *why)
{
	pysec_forge_options o = PYSEC_FORGE_OPTIONS_INIT;
	pysec_forge *f = NULL;

	o.kind = PYSEC_FORGE_GITLAB;
	o.url = url;
	o.token = "t0ken";
	assert_int_equal(pysec_forge_new(&f, &o), PYSEC_EINVALID);
	assert_null(f);
	if (!strstr(pysec_error_last(), why))
		fail_msg("'%s': '%s' does not say '%s'", url, pysec_error_last(), why);
}

static void bad_urls(void **state)
{
	check_bad_url("gitlab.example.com", "is not http:// or https://");
	check_bad_url("ftp://gitlab.example.com", "is not http:// or https://");
	check_bad_url("https://", "has no host");
	check_bad_url("https://bot:pw@gitlab.example.com", "must not hold credentials");
	check_bad_url("https://bot@gitlab.example.com/", "must not hold credentials");
	check_bad_url("https://gitlab.example.com/?private_token=x", "no blanks, query or fragment");
	check_bad_url("https://gitlab.example.com/#top", "no blanks, query or fragment");
	check_bad_url("https://gitlab.example.com/a b", "no blanks, query or fragment");
	check_bad_url("https://gitlab.example.com/\x01", "no blanks, query or fragment");
	check_bad_url("https://gitlab.example.com:99999", "no blanks, query or fragment");
	/* what libcurl reads leniently is written back as it reads it */
	check_root(PYSEC_FORGE_GITLAB, "HTTPS://gitlab.example.com:8443/", "https://gitlab.example.com:8443/api/v4");
	check_root(PYSEC_FORGE_GITEA, "http://[::1]:3000", "http://[::1]:3000/api/v1");
}

static void markers(void **state)
{
	char v[65];

	assert_int_equal(comment_marker_get("<!-- pysec:fp=abc123 closed -->\nfixed", "fp", v, sizeof(v)), 0);
	assert_string_equal(v, "abc123");
	assert_int_equal(comment_marker_get("<!-- pysec:fp=abc123 closed -->\nfixed", "closed", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(comment_marker_get("<!-- pysec:review summary=none verdict=block unplaced=a1,b2 -->", "verdict", v,
		sizeof(v)), 0);
	assert_string_equal(v, "block");
	assert_int_equal(comment_marker_get("<!-- pysec:review summary=none verdict=block unplaced=a1,b2 -->", "unplaced", v,
		sizeof(v)), 0);
	assert_string_equal(v, "a1,b2");
	/* only at the very start of a body, on its first line */
	assert_int_equal(comment_marker_get("quoted: <!-- pysec:fp=abc -->", "fp", v, sizeof(v)), -1);
	assert_int_equal(comment_marker_get("<!-- pysec:fp=abc\n -->", "fp", v, sizeof(v)), -1);
	assert_int_equal(comment_marker_get("<!-- pysec:fp=a\"b -->", "fp", v, sizeof(v)), -1);
}

/* --- the markdown pysec posts ---------------------------------------------- */

static char *span(const char *s, int in_table)
{
	struct buf b = BUF_INIT(1 << 20);

	comment_md_code_span(&b, s, in_table);
	return buf_detach(&b);
}

static char *prose(const char *s)
{
	struct buf b = BUF_INIT(1 << 20);

	comment_md_text(&b, s);
	return buf_detach(&b);
}

static void check_owned(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void markdown_escapes(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	/* what would start a list, a heading or markup is escaped; a mention cannot ping */
	check_owned(prose("- x"), "\\- x");
	check_owned(prose("12) y"), "12\\) y");
	check_owned(prose("# *a* _b_ @team [l](u)"), "\\# \\*a\\* \\_b\\_ \\@team \\[l\\](u)");
	/* a fake marker is only text */
	check_owned(prose("<!-- pysec:fp=1 -->"), "\\<\\!-- pysec:fp=1 --\\>");
	/* code spans: longer than any run of backticks inside, padded where they touch it */
	check_owned(span("a.py", 0), "`a.py`");
	check_owned(span("a`b", 0), "``a`b``");
	check_owned(span("`x", 0), "`` `x ``");
	check_owned(span("a|b", 1), "`a\\|b`");
	check_owned(span("a|b", 0), "`a|b`");
	/* control and bidirectional characters, and bad UTF-8, are replaced; a tab is a space */
	check_owned(span("a\x1b[31m", 0), "`a\xef\xbf\xbd[31m`");
	check_owned(span("ab\xe2\x80\xae" "cd", 0), "`ab\xef\xbf\xbd" "cd`");
	check_owned(span("a\xff\tb", 0), "`a\xef\xbf\xbd b`");
	/* a fence longer than the content's backticks */
	comment_md_fence(&b, "suggestion", "x = '````'");
	assert_string_equal(buf_cstr(&b), "`````suggestion\nx = '````'\n`````\n");
	buf_free(&b);
	assert_true(comment_text_is_clean("a\tb"));
	assert_false(comment_text_is_clean("a\nb"));
	assert_false(comment_text_is_clean("\xe2\x80\xae"));
	assert_true(comment_text_is_utf8("caf\xc3\xa9"));
	assert_false(comment_text_is_utf8("caf\xe9"));
}

static pysec_finding finding_at(const char *path, uint32_t line)
{
	pysec_finding f;

	memset(&f, 0, sizeof(f));
	f.rule = "B602";
	f.title = "subprocess call with shell=True";
	f.severity = PYSEC_LEVEL_HIGH;
	f.confidence = PYSEC_LEVEL_MEDIUM;
	f.cwe = 78;
	f.path = path;
	f.line = line;
	f.fingerprint = "abc123";
	return f;
}

static void finding_comment(void **state)
{
	pysec_finding f = finding_at("a.py", 4);
	pysec_rule_info rule;
	char *text, tok[65];

	memset(&rule, 0, sizeof(rule));
	rule.why = "A shell reads *every* character.";
	f.message = "1. the command goes through /bin/sh";
	f.fix = "Pass a list.";
	f.code = "subprocess.call(cmd, shell=True)";
	f.suggestion = "subprocess.call(cmd)";
	text = comment_finding(&f, &rule, 1);
	assert_string_equal(text, "<!-- pysec:fp=abc123 -->\n"
		"**pysec B602: subprocess call with shell=True**\n\n"
		"Severity **high**, confidence **medium**, CWE-78 (blocks the merge)\n\n"
		"1\\. the command goes through /bin/sh\n\n"
		"**Why it matters:** A shell reads \\*every\\* character.\n\n"
		"**How to fix:** Pass a list.\n\n"
		"```suggestion\nsubprocess.call(cmd)\n```");
	free(text);

	/* no suggestion that would change nothing, nor one that is not a clean line */
	f.suggestion = f.code;
	text = comment_finding(&f, NULL, 0);
	assert_null(strstr(text, "suggestion"));
	assert_non_null(strstr(text, "(below the policy's threshold)"));
	free(text);
	f.suggestion = "a()\nb()";
	text = comment_finding(&f, NULL, 0);
	assert_null(strstr(text, "suggestion"));
	free(text);

	/* a fingerprint that is not 1 to 64 hex digits goes into the marker hashed */
	f.fingerprint = "B602:a.py --> x";
	text = comment_finding(&f, NULL, 0);
	comment_fp_token(f.fingerprint, tok);
	assert_int_equal(strlen(tok), 16);
	assert_int_equal(strspn(tok, "0123456789abcdef"), 16);
	assert_int_equal(strncmp(text, "<!-- pysec:fp=", 14), 0);
	assert_int_equal(strncmp(text + 14, tok, 16), 0);
	assert_string_equal(text + 30, " -->\n**pysec B602: subprocess call with shell=True**\n\n"
		"Severity **high**, confidence **medium**, CWE-78 (below the policy's threshold)\n\n"
		"1\\. the command goes through /bin/sh\n\n**How to fix:** Pass a list.");
	free(text);

	text = comment_closed("abc123", "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(text, "<!-- pysec:fp=abc123 closed -->\n**pysec**: fixed. The finding this comment was "
		"about is gone as of commit 0123456789ab.");
	free(text);
}

static void summary_table(void **state)
{
	pysec_finding a = finding_at("a.py", 2), b = finding_at("we|ird.py", 9);
	struct summary_row rows[2] = { { &a, 1 }, { &b, 0 } };
	struct summary_counts why = { 1, 1, 0, 0 };
	struct summary_row *many;
	char hash[17], again[17], *text;
	size_t i;

	assert_null(comment_summary_table(rows, 0, &why, 5, hash));
	text = comment_summary_table(rows, 2, &why, 5, hash);
	assert_string_equal(text, "**pysec: 2 findings not shown inline**\n\n"
		"1 is on lines this change does not add; 1 is past the limit of 5 inline comments.\n\n"
		"| File | Line | Rule | Severity |\n|---|---|---|---|\n"
		"| `a.py` | 2 | B602 subprocess call with shell=True | high (blocking) |\n"
		"| `we\\|ird.py` | 9 | B602 subprocess call with shell=True | high |");
	assert_int_equal(strspn(hash, "0123456789abcdef"), 16);
	free(text);
	/* the hash is of what the table says: the same table, the same hash; another, another */
	text = comment_summary_table(rows, 2, &why, 5, again);
	assert_string_equal(hash, again);
	free(text);
	rows[1].blocking = 1;
	text = comment_summary_table(rows, 2, &why, 5, again);
	assert_string_not_equal(hash, again);
	free(text);

	why.outside = why.over_cap = 0;
	why.refused = 1;
	why.bad_name = 2;
	text = comment_summary_table(rows, 1, &why, 5, hash);
	assert_non_null(strstr(text, "\n\n1 was refused by the forge for its line; 2 are in a file whose name is not "
		"UTF-8, which the forge's API cannot carry.\n\n"));
	free(text);

	/* a long table stops at 500 rows and says how many more there are */
	many = calloc(502, sizeof(*many));
	for (i = 0; i < 502; i++)
		many[i].f = &a;
	why.refused = why.bad_name = 0;
	why.outside = 502;
	text = comment_summary_table(many, 502, &why, 5, hash);
	assert_non_null(strstr(text, "\n\nand 2 more; `git pysec scan` lists them all."));
	free(text);
	free(many);
}

/* --- a scripted forge ---------------------------------------------------------- */

#define MAX_ASKED 32

struct reply {
	long status;		/* below 100: the connection fails */
	const char *headers[9];	/* name, value, ..., NULL */
	const char *body;
};

struct script {
	const struct reply *replies;
	size_t n, asked;
	char urls[MAX_ASKED][256];
	int cancel;
};

static void answer(struct forge_answer *out, const char *method, const char *url, const char *body, void *payload)
{
	struct script *s = payload;
	const struct reply *r;

	if (s->asked < MAX_ASKED)
		snprintf(s->urls[s->asked], sizeof(s->urls[0]), "%s %s", method, url);
	if (s->asked >= s->n) {
		s->asked++;
		return;
	}
	r = &s->replies[s->asked++];
	out->status = r->status;
	out->headers = r->headers;
	out->body = r->body;
	out->body_len = r->body ? strlen(r->body) : 0;
}

static int cancel_asked(void *payload)
{
	return ((struct script *)payload)->cancel;
}

struct scripted {
	pysec_forge *f;
	struct forge_transport t;
	struct script s;
};

/* A forge that answers from `replies`: no backoff to speak of, no waiting unless `max_wait_ms`. */
static void scripted_open(struct scripted *sf, pysec_forge_kind kind, const struct reply *replies, size_t n,
	unsigned retries, unsigned max_wait_ms)
{
	pysec_forge_options o = PYSEC_FORGE_OPTIONS_INIT;

	memset(sf, 0, sizeof(*sf));
	o.kind = kind;
	o.url = "https://forge.example";
	o.token = "t0ken";
	o.retries = retries;
	o.retry_base_ms = 1;
	o.retry_max_ms = 2;
	o.max_wait_ms = max_wait_ms;
	o.max_in_flight = 1;
	o.max_response = 64;
	assert_int_equal(pysec_forge_new(&sf->f, &o), 0);
	sf->s.replies = replies;
	sf->s.n = n;
	sf->t.answer = answer;
	sf->t.payload = &sf->s;
	sf->f->transport = &sf->t;
}

/* One GET through http_run: its request (cleared by the caller) and the number of attempts. */
static size_t get_once(struct http_req *r, const struct reply *replies, size_t n, unsigned retries,
	unsigned max_wait_ms)
{
	struct scripted sf;
	struct http_req *rp = r;

	scripted_open(&sf, PYSEC_FORGE_GITHUB, replies, n, retries, max_wait_ms);
	http_req_init(r, "GET", forge_url(sf.f, "/user"), NULL, NULL);
	http_run(sf.f, &rp, 1);
	pysec_forge_free(sf.f);
	return sf.s.asked;
}

#define GET_ONCE(r, replies, retries, wait) get_once(r, replies, sizeof(replies) / sizeof(replies[0]), retries, wait)

static void check_error(const struct http_req *r, const char *want)
{
	assert_true(r->rc < 0);
	assert_non_null(r->error);
	if (!strstr(r->error, want))
		fail_msg("'%s' does not say '%s'", r->error, want);
}

/* --- retries: what is tried again, what fails at once, what stops the rest ---- */

static void retry_failures(void **state)
{
	static const struct reply flaky[] = { { 500, { NULL }, NULL }, { 502, { NULL }, NULL }, { 200, { NULL }, "{}" } };
	static const struct reply down[] = { { 500, { NULL }, "{\"message\":\"boom\"}" }, { 503, { NULL }, NULL },
		{ 500, { NULL }, "{\"message\":\"boom\"}" }, { 200, { NULL }, "{}" } };
	static const struct reply refused[] = { { 0, { NULL }, NULL } };
	struct http_req r;

	/* 5xx is tried again, up to the retries */
	assert_int_equal(GET_ONCE(&r, flaky, 2, 0), 3);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_cstr(&r.resp), "{}");
	http_req_clear(&r);
	assert_int_equal(GET_ONCE(&r, down, 2, 0), 3);
	check_error(&r, "GET https://forge.example/api/v3/user: HTTP 500: boom (after 3 attempts)");
	assert_true(r.fatal);
	http_req_clear(&r);
	assert_int_equal(GET_ONCE(&r, down, 0, 0), 1);
	check_error(&r, "HTTP 500: boom");
	assert_null(strstr(r.error, "attempts"));
	http_req_clear(&r);
	/* a connection that fails likewise */
	assert_int_equal(GET_ONCE(&r, refused, 1, 0), 2);
	check_error(&r, "(after 2 attempts)");
	assert_true(r.fatal);
	assert_int_equal(r.status, 0);
	http_req_clear(&r);
}

static void refusals(void **state)
{
	static const struct reply unauthorized[] = { { 401, { NULL }, "{\"message\":\"401 Unauthorized\"}" } };
	static const struct reply forbidden[] = { { 403, { NULL }, "{\"message\":\"Resource not accessible\"}" } };
	static const struct reply missing[] = { { 404, { NULL }, "{\"message\":\"404 Not Found\"}" } };
	static const struct reply invalid[] = { { 422, { NULL }, "{\"message\":\"Validation Failed\"}" } };
	static const struct reply moved[] = { { 302, { "Location", "https://elsewhere.example/", NULL }, NULL } };
	static const struct reply busy[] = { { 409, { NULL }, NULL }, { 201, { NULL }, "{}" } };
	struct http_req r;

	/* refused once, refused for good: no retry, and the rest is not sent */
	assert_int_equal(GET_ONCE(&r, unauthorized, 3, 0), 1);
	check_error(&r, "HTTP 401: 401 Unauthorized");
	assert_true(r.fatal);
	http_req_clear(&r);
	assert_int_equal(GET_ONCE(&r, forbidden, 3, 0), 1);
	check_error(&r, "HTTP 403: Resource not accessible");
	assert_true(r.fatal);
	http_req_clear(&r);
	assert_int_equal(GET_ONCE(&r, missing, 3, 0), 1);
	check_error(&r, "HTTP 404");
	assert_true(r.fatal);
	http_req_clear(&r);
	/* one write the forge will not take says nothing of the others */
	assert_int_equal(GET_ONCE(&r, invalid, 3, 0), 1);
	check_error(&r, "HTTP 422: Validation Failed");
	assert_false(r.fatal);
	http_req_clear(&r);
	/* a redirect would take the token along */
	assert_int_equal(GET_ONCE(&r, moved, 3, 0), 1);
	check_error(&r, "HTTP 302: redirects are not followed");
	assert_true(r.fatal);
	http_req_clear(&r);
	/* 409 is "busy" only where the request says so (GitLab's commit statuses) */
	assert_int_equal(GET_ONCE(&r, busy, 3, 0), 1);
	check_error(&r, "HTTP 409");
	assert_false(r.fatal);
	http_req_clear(&r);
}

static void retry_flags(void **state)
{
	static const struct reply busy[] = { { 409, { NULL }, NULL }, { 201, { NULL }, "{}" } };
	static const struct reply gone[] = { { 404, { NULL }, NULL } };
	struct scripted sf;
	struct http_req r, *rp = &r;

	scripted_open(&sf, PYSEC_FORGE_GITLAB, busy, 2, 1, 0);
	http_req_init(&r, "POST", forge_url(sf.f, "/projects/7/statuses/x"), NULL, NULL);
	r.retry_conflict = 1;
	assert_int_equal(http_run(sf.f, &rp, 1), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(sf.s.asked, 2);
	http_req_clear(&r);
	pysec_forge_free(sf.f);

	/* what was to be removed is gone already: done */
	scripted_open(&sf, PYSEC_FORGE_GITHUB, gone, 1, 1, 0);
	http_req_init(&r, "DELETE", forge_url(sf.f, "/repos/o/r/pulls/comments/5"), NULL, NULL);
	r.ok_not_found = 1;
	assert_int_equal(http_run(sf.f, &rp, 1), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(sf.s.asked, 1);
	http_req_clear(&r);
	pysec_forge_free(sf.f);
}

static void too_big(void **state)
{
	static const struct reply big[] = { { 200, { NULL },
		"[\"0123456789\",\"0123456789\",\"0123456789\",\"0123456789\",\"0123456789\",\"0123456789\"]" } };
	struct http_req r;

	assert_int_equal(GET_ONCE(&r, big, 3, 0), 1);
	check_error(&r, "the answer is larger than 64 bytes");
	assert_true(r.fatal);
	http_req_clear(&r);
}

static void fatal_stops_the_rest(void **state)
{
	static const struct reply replies[] = { { 201, { NULL }, "{}" }, { 401, { NULL }, NULL }, { 201, { NULL }, "{}" } };
	struct scripted sf;
	struct http_req *reqs[4];
	size_t i;

	scripted_open(&sf, PYSEC_FORGE_GITHUB, replies, 3, 2, 0);
	for (i = 0; i < 4; i++)
		reqs[i] = http_req_new("POST", forge_url(sf.f, "/repos/o/r/pulls/1/comments"), NULL, NULL);
	assert_int_equal(http_run(sf.f, reqs, 4), 1);
	assert_int_equal(sf.s.asked, 2);
	assert_int_equal(reqs[0]->rc, 0);
	assert_true(reqs[1]->attempted && reqs[1]->fatal);
	assert_false(reqs[2]->attempted);
	assert_false(reqs[3]->attempted);
	for (i = 0; i < 4; i++)
		http_req_free(reqs[i]);
	pysec_forge_free(sf.f);
}

static void cancel(void **state)
{
	static const struct reply ok[] = { { 200, { NULL }, "{}" } };
	struct scripted sf;
	struct http_req r, *rp = &r;

	scripted_open(&sf, PYSEC_FORGE_GITEA, ok, 1, 2, 0);
	sf.f->cancel = cancel_asked;
	sf.f->cancel_payload = &sf.s;
	sf.s.cancel = 1;
	http_req_init(&r, "GET", forge_url(sf.f, "/user"), NULL, NULL);
	assert_int_equal(http_run(sf.f, &rp, 1), 1);
	check_error(&r, "canceled");
	assert_int_equal(sf.s.asked, 0);
	http_req_clear(&r);
	pysec_forge_free(sf.f);
}

/* --- rate limits: waited out without using up the retries, within maxWait ---- */

static void rate_limits(void **state)
{
	static const struct reply limited[] = {
		{ 429, { "Retry-After", "0", NULL }, NULL },
		{ 429, { "retry-after", "Wed, 21 Oct 2015 07:28:00 GMT", NULL }, NULL },	/* a date gone by */
		{ 403, { "Retry-After", "0", NULL }, "{\"message\":\"slow down\"}" },
		{ 200, { NULL }, "{}" },
	};
	static const struct reply long_wait[] = { { 429, { "Retry-After", "30", NULL }, NULL }, { 200, { NULL }, "{}" } };
	static const struct reply busy_wait[] = { { 503, { "Retry-After", "30", NULL }, NULL }, { 200, { NULL }, "{}" } };
	static const struct reply spent[] = {
		{ 403, { "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "4102444800", NULL },
		  "{\"message\":\"API rate limit exceeded\"}" },
		{ 200, { NULL }, "{}" },
	};
	static const struct reply secondary[] = {
		{ 403, { NULL }, "{\"message\":\"You have exceeded a secondary rate limit\"}" },
		{ 200, { NULL }, "{}" },
	};
	static const struct reply endless[] = {
		{ 429, { "Retry-After", "0", NULL }, NULL }, { 429, { "Retry-After", "0", NULL }, NULL },
		{ 429, { "Retry-After", "0", NULL }, NULL }, { 429, { "Retry-After", "0", NULL }, NULL },
		{ 429, { "Retry-After", "0", NULL }, NULL }, { 429, { "Retry-After", "0", NULL }, NULL },
		{ 429, { "Retry-After", "0", NULL }, NULL }, { 429, { "Retry-After", "0", NULL }, NULL },
		{ 429, { "Retry-After", "0", NULL }, NULL }, { 429, { "Retry-After", "0", NULL }, NULL },
		{ 429, { "Retry-After", "0", NULL }, NULL }, { 200, { NULL }, "{}" },
	};
	struct http_req r;

	/* no retries allowed, yet every limit is waited out */
	assert_int_equal(GET_ONCE(&r, limited, 0, 1000), 4);
	assert_int_equal(r.rc, 0);
	http_req_clear(&r);
	/* a wait past pysec.review.maxWait fails at once, and for good */
	assert_int_equal(GET_ONCE(&r, long_wait, 3, 1000), 1);
	check_error(&r, "rate limited (HTTP 429): the forge asks to wait 30 s, after 0 s; pysec.review.maxWait allows 1 s");
	assert_true(r.fatal);
	http_req_clear(&r);
	/* a 503 that says when is a failure (it counts) whose backoff is its Retry-After */
	assert_int_equal(GET_ONCE(&r, busy_wait, 3, 1000), 1);
	check_error(&r, "rate limited: the forge asks to wait 30 s more, after 0 s");
	http_req_clear(&r);
	assert_int_equal(GET_ONCE(&r, busy_wait, 0, 1000), 1);
	check_error(&r, "HTTP 503");
	http_req_clear(&r);
	/* GitHub: a 403 with the limit spent is a limit, not a refusal: wait until the reset */
	assert_int_equal(GET_ONCE(&r, spent, 3, 1000), 1);
	check_error(&r, "rate limited (HTTP 403): the forge asks to wait");
	http_req_clear(&r);
	/* ... and a secondary limit wants a minute */
	assert_int_equal(GET_ONCE(&r, secondary, 3, 1000), 1);
	check_error(&r, "rate limited (HTTP 403): the forge asks to wait 60 s");
	http_req_clear(&r);
	/* waits of nothing add up to no time, but there are at most ten */
	assert_int_equal(GET_ONCE(&r, endless, 0, 1000), 11);
	check_error(&r, "rate limited (HTTP 429)");
	http_req_clear(&r);
}

/* --- pages: Link (GitHub, Gitea), x-next-page and x-total (GitLab), x-total-count (Gitea) */

static void check_page(const struct reply *rep, long want_next, long want_total)
{
	struct scripted sf;
	json_t *j = NULL;
	long next = -7, total = -7;

	scripted_open(&sf, PYSEC_FORGE_GITHUB, rep, 1, 0, 0);
	assert_int_equal(http_get_json(&j, &next, &total, sf.f, forge_url(sf.f, "/x")), 0);
	if (next != want_next || total != want_total)
		fail_msg("%s: %s: next page %ld, total %ld; want %ld, %ld", rep->headers[0], rep->headers[1], next,
			total, want_next, want_total);
	json_decref(j);
	pysec_forge_free(sf.f);
}

static void pages(void **state)
{
	static const struct reply replies[] = {
		{ 200, { "Link", "<https://api.github.com/repositories/1/pulls/1/comments?per_page=100&page=3>; rel=\"next\", "
			"<https://api.github.com/repositories/1/pulls/1/comments?per_page=100&page=9>; rel=\"last\"", NULL }, "[]" },
		{ 200, { "Link", "<https://api.github.com/x?page=9>; rel=\"last\", <https://api.github.com/x?page=4>; rel=\"next\"",
			NULL }, "[]" },
		{ 200, { "link", "<https://api.github.com/x?page=1>; rel=\"prev\"", NULL }, "[]" },
		{ 200, { "Link", "<https://api.github.com/x?page=1>; rel=\"prev\"", "Link",
			"<https://api.github.com/x?spage=7&page=2>; rel=\"next\"", NULL }, "[]" },
		{ 200, { "Link", "<https://api.github.com/x?page=>; rel=\"next\"", NULL }, "[]" },
		{ 200, { "X-Next-Page", "2", "X-Total", "150", NULL }, "[]" },
		{ 200, { "X-Next-Page", "", "X-Total", "150", NULL }, "[]" },
		{ 200, { "X-Next-Page", "-2", "x-total-count", "7", NULL }, "[]" },
		{ 200, { "X-Total-Count", "12x", NULL }, "[]" },
		{ 200, { "X-Next-Page", "99999999999999", NULL }, "[]" },
	};

	check_page(&replies[0], 3, -1);
	check_page(&replies[1], 4, -1);
	check_page(&replies[2], 0, -1);
	check_page(&replies[3], 2, -1);
	check_page(&replies[4], 0, -1);
	check_page(&replies[5], 2, 150);
	check_page(&replies[6], 0, 150);
	check_page(&replies[7], 0, 7);
	check_page(&replies[8], 0, -1);
	check_page(&replies[9], 0, -1);
}

static void review_of(struct review *rv, pysec_forge *f, const pysec_review_target *t, const pysec_review_refs *refs,
	char *project)
{
	memset(rv, 0, sizeof(*rv));
	rv->forge = f;
	rv->ops = f->ops;
	rv->target = t;
	rv->refs = refs;
	rv->project = project;
	rv->me.id = 1;
	snprintf(rv->me.login, sizeof(rv->me.login), "pysec-bot");
}

static void list_pagination(void **state)
{
	static const struct reply back[] = {
		{ 200, { "X-Next-Page", "2", NULL }, "[]" },
		{ 200, { "X-Next-Page", "1", NULL }, "[]" },
	};
	static const struct reply counted[] = {
		{ 200, { "X-Total-Count", "3", NULL }, "[{\"id\":1,\"user\":{\"id\":9}},{\"id\":2,\"user\":{\"id\":9}}]" },
		{ 200, { "X-Total-Count", "3", NULL }, "[{\"id\":3,\"user\":{\"id\":9}}]" },
		{ 200, { NULL }, "[]" },
	};
	static const struct reply lying[] = {
		{ 200, { "X-Total-Count", "300", NULL }, "[{\"id\":1,\"user\":{\"id\":9}}]" },
		{ 200, { "X-Total-Count", "300", NULL }, "[]" },
		{ 200, { NULL }, "[]" },
	};
	pysec_review_target t = { "group/app", 3 };
	pysec_review_refs refs;
	struct scripted sf;
	struct review rv;
	char project[] = "group%2Fapp";

	memset(&refs, 0, sizeof(refs));
	/* GitLab: x-next-page leads on; a page that points back is an error, not a loop */
	scripted_open(&sf, PYSEC_FORGE_GITLAB, back, 2, 0, 0);
	review_of(&rv, sf.f, &t, &refs, project);
	assert_int_equal(forge_gitlab.list(&rv), PYSEC_EFORGE);
	assert_non_null(strstr(pysec_error_last(), "pagination goes back to page 1"));
	assert_int_equal(sf.s.asked, 2);
	assert_string_equal(sf.s.urls[1], "GET https://forge.example/api/v4/projects/group%2Fapp/merge_requests/3/"
		"discussions?per_page=100&page=2");
	pysec_forge_free(sf.f);

	/* Gitea without Link: x-total-count says whether there is another page */
	scripted_open(&sf, PYSEC_FORGE_GITEA, counted, 3, 0, 0);
	review_of(&rv, sf.f, &t, &refs, project);
	assert_int_equal(forge_gitea.list(&rv), 0);
	assert_int_equal(sf.s.asked, 2);
	assert_non_null(strstr(sf.s.urls[1], "/pulls/3/reviews?page=2&limit=50"));
	pysec_forge_free(sf.f);
	/* ... until a page is empty, whatever it claims */
	scripted_open(&sf, PYSEC_FORGE_GITEA, lying, 3, 0, 0);
	review_of(&rv, sf.f, &t, &refs, project);
	assert_int_equal(forge_gitea.list(&rv), 0);
	assert_int_equal(sf.s.asked, 2);
	pysec_forge_free(sf.f);
}

/* --- where each forge takes an inline comment ---------------------------------- */

#define SHA_BASE "1111111111111111111111111111111111111111"
#define SHA_START "2222222222222222222222222222222222222222"
#define SHA_HEAD "3333333333333333333333333333333333333333"

static void positions(void **state)
{
	static const struct reply none[] = { { 0, { NULL }, NULL } };
	pysec_review_target t = { "group/app", 3 };
	pysec_review_refs refs = { SHA_BASE, SHA_START, SHA_HEAD };
	pysec_finding f = finding_at("new.py", 4);
	struct item it = { &f, 1, PLACE_INLINE, (char *)"text", "old.py" };
	struct scripted sf;
	struct review rv;
	struct http_req *r;
	json_t *c;
	char project[] = "o/r";

	/* GitLab: a DiffNote on the new line, placed by both names of a renamed file, never old_line */
	scripted_open(&sf, PYSEC_FORGE_GITLAB, none, 0, 0, 0);
	review_of(&rv, sf.f, &t, &refs, project);
	r = forge_gitlab.single_comment(&rv, &it);
	assert_string_equal(r->url, "https://forge.example/api/v4/projects/o/r/merge_requests/3/discussions");
	assert_string_equal(r->content_type, "application/x-www-form-urlencoded");
	assert_string_equal(r->body, "body=text&position%5Bposition_type%5D=text&position%5Bbase_sha%5D=" SHA_BASE
		"&position%5Bstart_sha%5D=" SHA_START "&position%5Bhead_sha%5D=" SHA_HEAD
		"&position%5Bnew_path%5D=new.py&position%5Bold_path%5D=old.py&position%5Bnew_line%5D=4");
	http_req_free(r);
	sf.f->gitlab_json = 1;
	it.old_path = NULL;
	r = forge_gitlab.single_comment(&rv, &it);
	assert_string_equal(r->body, "{\"body\":\"text\",\"position\":{\"position_type\":\"text\",\"base_sha\":\"" SHA_BASE
		"\",\"start_sha\":\"" SHA_START "\",\"head_sha\":\"" SHA_HEAD "\",\"new_path\":\"new.py\","
		"\"old_path\":\"new.py\",\"new_line\":4}}");
	http_req_free(r);
	pysec_forge_free(sf.f);

	/* GitHub: the line of the new file, on the RIGHT side; not the diff `position` */
	scripted_open(&sf, PYSEC_FORGE_GITHUB, none, 0, 0, 0);
	review_of(&rv, sf.f, &t, &refs, project);
	c = forge_github.review_comment(&rv, &it);
	assert_int_equal(json_integer_value(json_object_get(c, "line")), 4);
	assert_string_equal(json_string_value(json_object_get(c, "side")), "RIGHT");
	assert_string_equal(json_string_value(json_object_get(c, "path")), "new.py");
	assert_null(json_object_get(c, "position"));
	json_decref(c);
	r = forge_github.single_comment(&rv, &it);
	assert_string_equal(r->url, "https://forge.example/api/v3/repos/o/r/pulls/3/comments");
	assert_string_equal(r->body, "{\"path\":\"new.py\",\"body\":\"text\",\"line\":4,\"side\":\"RIGHT\","
		"\"commit_id\":\"" SHA_HEAD "\"}");
	http_req_free(r);
	pysec_forge_free(sf.f);

	/* Gitea: new_position only (an old_position too would make it a line of the old file) */
	scripted_open(&sf, PYSEC_FORGE_GITEA, none, 0, 0, 0);
	review_of(&rv, sf.f, &t, &refs, project);
	c = forge_gitea.review_comment(&rv, &it);
	assert_int_equal(json_integer_value(json_object_get(c, "new_position")), 4);
	assert_null(json_object_get(c, "old_position"));
	json_decref(c);
	assert_null(forge_gitea.single_comment);
	pysec_forge_free(sf.f);
}

static struct http_req *answered(long status, const char *body)
{
	struct http_req *r = http_req_new("POST", strdup("https://forge.example/x"), NULL, NULL);

	r->attempted = 1;
	r->status = status;
	r->resp.max = 1 << 20;
	buf_puts(&r->resp, body);
	return r;
}

static void refused_lines(void **state)
{
	struct http_req *r;

	/* GitLab's words for a position outside its diff */
	r = answered(400, "{\"message\":\"400 Bad request - Note {:line_code=>[\\\"can't be blank\\\", \\\"must be a valid line code\\\"]}\"}");
	assert_true(forge_gitlab.refuses_line(r));
	assert_false(forge_github.refuses_line(r));
	http_req_free(r);
	r = answered(400, "{\"message\":\"400 Bad request - body is missing\"}");
	assert_false(forge_gitlab.refuses_line(r));
	http_req_free(r);
	/* GitHub's, for a review and for a single comment */
	r = answered(422, "{\"message\":\"Unprocessable Entity\",\"errors\":[\"Pull request review thread line must be part "
		"of the diff and Pull request review thread diff hunk can't be blank\"]}");
	assert_true(forge_github.refuses_line(r));
	assert_false(forge_gitlab.refuses_line(r));
	http_req_free(r);
	r = answered(422, "{\"message\":\"Validation Failed\",\"errors\":[{\"message\":\"pull_request_review_thread.line "
		"must be part of the diff\"}]}");
	assert_true(forge_github.refuses_line(r));
	http_req_free(r);
	r = answered(422, "{\"message\":\"Validation Failed\",\"errors\":[\"Can not request changes on your own pull request\"]}");
	assert_false(forge_github.refuses_line(r));
	http_req_free(r);
}

/* --- which findings of a change get an inline comment ----------------------------- */

struct seen {
	char inline_at[8][64];
	size_t ninline;
	char *summary;
};

static void on_action(const pysec_review_action *a, void *payload)
{
	struct seen *s = payload;

	assert_int_equal(a->outcome, PYSEC_REVIEW_DRY_RUN);
	if (a->kind == PYSEC_REVIEW_COMMENT && s->ninline < 8)
		snprintf(s->inline_at[s->ninline++], sizeof(s->inline_at[0]), "%s:%u", a->finding->path, a->finding->line);
	if (a->kind == PYSEC_REVIEW_SUMMARY && a->text) {
		free(s->summary);
		s->summary = strdup(a->text);
	}
}

static void tree_of(git_tree **out, git_repository *repo, const char *path, const char *text)
{
	git_treebuilder *tb = NULL;
	git_oid blob, tree;

	assert_int_equal(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, path, &blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree, tb), 0);
	assert_int_equal(git_tree_lookup(out, repo, &tree), 0);
	git_treebuilder_free(tb);
}

/* A finding on a line the change adds is commented on; one on a context line goes to the summary. */
static void inline_only_on_added_lines(void **state)
{
	static const struct reply replies[] = {
		{ 200, { NULL }, "{\"id\":1,\"username\":\"pysec-bot\"}" },
		{ 200, { NULL }, "[]" },
	};
	pysec_review_options ro = PYSEC_REVIEW_OPTIONS_INIT;
	pysec_scan_options so = PYSEC_SCAN_OPTIONS_INIT;
	pysec_review_target t = { "group/app", 3 };
	pysec_review_refs refs = { SHA_BASE, SHA_START, SHA_HEAD };
	pysec_review_result res;
	char dir[] = "/tmp/pysec-test-forge-XXXXXX", cmd[64];
	git_repository *repo = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	pysec_changeset *cs = NULL;
	pysec_report *report = NULL;
	pysec_engine *engine = NULL;
	struct scripted sf;
	struct seen seen;

	git_libgit2_init();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	/* the call starts on line 2, which the change does not add; it adds shell=True on line 3, and line 4 */
	tree_of(&old_tree, repo, "a.py", "import subprocess\nsubprocess.call(\n    cmd)\n");
	tree_of(&new_tree, repo, "a.py", "import subprocess\nsubprocess.call(\n    cmd, shell=True)\neval(x)\n");
	assert_int_equal(pysec_changeset_from_trees(&cs, repo, old_tree, new_tree, NULL), 0);
	assert_int_equal(pysec_engine_new(&engine, NULL), 0);
	assert_int_equal(pysec_report_new(&report), 0);
	so.repo = repo;
	assert_int_equal(pysec_scan(report, engine, cs, &so), 0);
	pysec_report_sort(report);
	assert_true(pysec_report_finding_count(report) >= 2);

	memset(&seen, 0, sizeof(seen));
	scripted_open(&sf, PYSEC_FORGE_GITLAB, replies, 2, 0, 0);
	ro.dry_run = 1;
	ro.engine = engine;
	ro.on_action = on_action;
	ro.payload = &seen;
	assert_int_equal(pysec_review_run(&res, sf.f, &t, &refs, report, cs, &ro), 0);
	assert_int_equal(seen.ninline, 1);
	assert_string_equal(seen.inline_at[0], "a.py:4");
	assert_non_null(seen.summary);
	assert_non_null(strstr(seen.summary, "1 is on lines this change does not add"));
	assert_non_null(strstr(seen.summary, "| `a.py` | 2 | B602 "));
	assert_int_equal(sf.s.asked, 2);
	free(seen.summary);

	pysec_forge_free(sf.f);
	pysec_report_free(report);
	pysec_engine_free(engine);
	pysec_changeset_free(cs);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_repository_free(repo);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api_roots),
		cmocka_unit_test(names),
		cmocka_unit_test(bad_options),
		cmocka_unit_test(bad_urls),
		cmocka_unit_test(markers),
		cmocka_unit_test(shas),
		cmocka_unit_test(markdown_escapes),
		cmocka_unit_test(finding_comment),
		cmocka_unit_test(summary_table),
		cmocka_unit_test(retry_failures),
		cmocka_unit_test(refusals),
		cmocka_unit_test(retry_flags),
		cmocka_unit_test(too_big),
		cmocka_unit_test(fatal_stops_the_rest),
		cmocka_unit_test(cancel),
		cmocka_unit_test(rate_limits),
		cmocka_unit_test(pages),
		cmocka_unit_test(list_pagination),
		cmocka_unit_test(positions),
		cmocka_unit_test(refused_lines),
		cmocka_unit_test(inline_only_on_added_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
