/*
 * fuzz_forge.c: any bytes as what a forge answers, through the whole review
 * (pysec_review_refs_get, then pysec_review_run: the listing of earlier
 * comments with its pagination, the writes, the status), with the network
 * replaced by a stand-in (forge.h, struct forge_transport) that gives the
 * answers in order.
 *
 * The first byte chooses the forge and its options (bit 4: GitLab's JSON
 * bodies, bit 5: a dry run); the rest is the answers, separated by lines
 * "====": a status line, header lines, a blank line, the body.  Requests
 * past the last answer fail to connect.  The review has findings on the
 * lines it adds and a cap of two inline comments, so that comments,
 * summaries and the status are all written.  The token must never show in
 * anything the review reports.  PYSEC_FUZZ_TRACE=1 prints the requests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "forge.h"
#include "fuzz.h"

#define TOKEN "tok-fuzz-secret"
#define SEPARATOR "\n====\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const pysec_forge_kind kinds[] = { PYSEC_FORGE_GITLAB, PYSEC_FORGE_GITEA, PYSEC_FORGE_GITHUB };
static const char *const projects[] = { "group/app", "owner/app", "owner/app" };

#define MAX_HEADERS 32

struct script {
	const char *p, *end;
	char *copy;		/* the current answer's header lines, split in place */
	const char *headers[2 * MAX_HEADERS + 1];
};

/* "Name: value" lines as libcurl's curl_easy_header() gives them: name, value pairs, the values trimmed. */
static void split_headers(struct script *s, const char *h, size_t len)
{
	char *line, *next;
	size_t n = 0;

	free(s->copy);
	if (!(s->copy = malloc(len + 1)))
		abort();
	memcpy(s->copy, h, len);
	s->copy[len] = '\0';
	for (line = s->copy; line && *line && n < 2 * MAX_HEADERS; line = next) {
		char *colon, *v, *e;

		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (!(colon = strchr(line, ':')))
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = v + strlen(v); e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		s->headers[n++] = line;
		s->headers[n++] = v;
	}
	s->headers[n] = NULL;
}

static void answer(struct forge_answer *out, const char *method, const char *url, const char *body, void *payload)
{
	struct script *s = payload;
	const char *next, *nl, *blank, *d;
	size_t n;

	if (s->p >= s->end) {
		out->status = 0;	/* no more answers: the connection fails */
		return;
	}
	n = (size_t)(s->end - s->p);
	next = memmem(s->p, n, SEPARATOR, strlen(SEPARATOR));
	if (!next)
		next = s->end;
	/* the status: the digits the answer starts with (the input is not NUL-terminated) */
	for (d = s->p, out->status = 0; d < next && d < s->p + 4 && *d >= '0' && *d <= '9'; d++)
		out->status = out->status * 10 + (*d - '0');
	nl = memchr(s->p, '\n', (size_t)(next - s->p));
	nl = nl ? nl + 1 : next;
	/* the headers end at the first empty line (there may be none) */
	blank = nl < next && *nl == '\n' ? nl - 1 : memmem(nl, (size_t)(next - nl), "\n\n", 2);
	split_headers(s, nl, blank ? (size_t)(blank + 1 - nl) : (size_t)(next - nl));
	out->headers = s->headers;
	out->body = blank ? blank + 2 : next;
	out->body_len = (size_t)(next - out->body);
	s->p = next < s->end ? next + strlen(SEPARATOR) : s->end;
}

static void check_secret(const char *s)
{
	if (s && strstr(s, TOKEN))
		abort();
}

static void on_action(const pysec_review_action *a, void *payload)
{
	check_secret(a->url);
	check_secret(a->text);
	check_secret(a->error);
}

/* A report with findings on the lines the changeset adds, made once. */
static void findings(const pysec_report **report_out, const pysec_changeset **cs_out)
{
	static pysec_report *report;
	static pysec_changeset *cs;

	if (!report) {
		static const char src[] = "import subprocess\nsubprocess.call(a, shell=True)\neval(b)\nexec(c)\n"
			"import pickle\npickle.loads(d)\n";
		pysec_scan_options so = PYSEC_SCAN_OPTIONS_INIT;
		char dir[] = "/tmp/pysec-fuzz-forge-XXXXXX", path[64];
		const char *paths[1] = { path };
		FILE *f;

		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/app.py", dir);
		if (!(f = fopen(path, "w")))
			abort();
		fputs(src, f);
		fclose(f);
		pysec_report_new(&report);
		if (pysec_changeset_from_paths(&cs, paths, 1) < 0 || pysec_scan(report, fuzz_engine(), cs, &so) < 0)
			abort();
		pysec_report_sort(report);
		unlink(path);
		rmdir(dir);
	}
	*report_out = report;
	*cs_out = cs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pysec_forge_options fo = PYSEC_FORGE_OPTIONS_INIT;
	pysec_review_options ro = PYSEC_REVIEW_OPTIONS_INIT;
	pysec_review_target target;
	pysec_review_refs refs;
	pysec_review_result res;
	const pysec_report *report;
	const pysec_changeset *cs;
	struct forge_transport transport;
	struct script script;
	pysec_forge *forge = NULL;
	size_t k;

	if (size < 1)
		return 0;
	findings(&report, &cs);
	k = (size_t)(data[0] & 0x0f) % (sizeof(kinds) / sizeof(kinds[0]));
	fo.kind = kinds[k];
	fo.url = "http://forge.invalid";
	fo.token = TOKEN;
	fo.retries = 0;		/* a retry would sleep */
	fo.max_wait_ms = 0;
	fo.max_in_flight = 1;	/* the answers are taken in the order the requests are made */
	fo.max_response = 1 << 20;
	fo.gitlab_json = (data[0] & 0x10) != 0;
	fo.trace = getenv("PYSEC_FUZZ_TRACE") ? stderr : NULL;	/* to see what a seed does */
	if (pysec_forge_new(&forge, &fo) < 0)
		abort();
	memset(&script, 0, sizeof(script));
	script.p = (const char *)data + 1;
	script.end = (const char *)data + size;
	transport.answer = answer;
	transport.payload = &script;
	forge->transport = &transport;

	target.project = projects[k];
	target.number = 1;
	memset(&refs, 0, sizeof(refs));
	if (pysec_review_refs_get(&refs, forge, &target) == 0) {
		ro.max_comments = 2;
		ro.dry_run = (data[0] & 0x20) != 0;
		ro.engine = fuzz_engine();
		ro.on_action = on_action;
		pysec_review_run(&res, forge, &target, &refs, report, cs, &ro);
	}
	check_secret(pysec_error_last());
	pysec_forge_free(forge);
	free(script.copy);
	return 0;
}
