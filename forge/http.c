/*
 * http.c: every request to a forge goes through here, so that timeouts,
 * retries, Retry-After, TLS, the size cap and keeping the token out of
 * messages are each decided once.
 */
#include "forge.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Every forge pysec speaks: the only place that maps a kind to its operations. */
static const struct forge_ops *const forges[] = { &forge_gitlab, &forge_gitea, &forge_github };

static const struct forge_ops *forge_ops_of(pysec_forge_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(forges); i++)
		if (forges[i]->kind == kind)
			return forges[i];
	return NULL;
}

pysec_forge_kind pysec_forge_kind_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(forges); i++)
		if (!strcasecmp(name, forges[i]->name))
			return forges[i]->kind;
	return 0;
}

const char *pysec_forge_kind_name(pysec_forge_kind kind)
{
	const struct forge_ops *ops = forge_ops_of(kind);

	return ops ? ops->name : "unknown";
}

/*
 * The server's URL as libcurl's URL parser reads it (`*out`, without
 * trailing slashes, and its host): http(s)://host[:port][/path] and nothing
 * else, no credentials, query, fragment or blanks.
 */
static int server_url(char **out, char **host, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *rest = NULL, *full = NULL;
	CURLUcode uc;
	size_t n;
	int rc = 0;

	if (!u)
		return error_set(PYSEC_ERROR, "out of memory");
	uc = curl_url_set(u, CURLUPART_URL, url, CURLU_DISALLOW_USER | CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_USER_NOT_ALLOWED)
		rc = error_set(PYSEC_EINVALID, "forge URL must not hold credentials; give the token "
			"with --token-file or $PYSEC_TOKEN");
	else if (uc == CURLUE_NO_HOST)
		rc = error_set(PYSEC_EINVALID, "forge URL '%s' has no host", url);
	else if (uc == CURLUE_BAD_SCHEME || uc == CURLUE_NO_SCHEME ||
		 (uc == CURLUE_OK && (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
				      (strcmp(scheme, "http") && strcmp(scheme, "https")))))
		rc = error_set(PYSEC_EINVALID, "forge URL '%s' is not http:// or https://", url);
	else if (uc != CURLUE_OK || curl_url_get(u, CURLUPART_QUERY, &rest, 0) != CURLUE_NO_QUERY ||
		 curl_url_get(u, CURLUPART_FRAGMENT, &rest, 0) != CURLUE_NO_FRAGMENT)
		rc = error_set(PYSEC_EINVALID, "forge URL must be scheme://host[:port][/path] "
			"(no blanks, query or fragment)");
	else if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
		 curl_url_get(u, CURLUPART_HOST, &rest, 0) != CURLUE_OK)
		rc = error_set(PYSEC_ERROR, "out of memory");
	if (rc == 0) {
		for (n = strlen(full); n > 0 && full[n - 1] == '/'; n--)
			;
		*out = xstrndup(full, n);
		*host = xstrdup(rest);
	}
	curl_free(scheme);
	curl_free(rest);
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}

static int check_token(const char *token)
{
	const char *p;

	if (!token || !*token)
		return error_set(PYSEC_EINVALID, "no forge token (--token-file FILE or $PYSEC_TOKEN)");
	for (p = token; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return error_set(PYSEC_EINVALID, "the forge token holds a blank, control or "
				"non-ASCII character");
	if (strlen(token) > 4096)
		return error_set(PYSEC_EINVALID, "the forge token is longer than 4096 bytes");
	return 0;
}

/*
 * The API root: a URL that names one (".../api/v4", the forge's own API
 * host) as it is, else the server's URL with the forge's API path, or for
 * the forge's own cloud host its API's.  `url` is server_url()'s.
 */
static char *api_root(const struct forge_ops *ops, const char *url, const char *host)
{
	if (strstr(url, "/api/v") || (ops->cloud_api && !strcasecmp(url, ops->cloud_api)))
		return xstrdup(url);
	if (ops->cloud_host && !strcasecmp(host, ops->cloud_host))
		return xstrdup(ops->cloud_api);
	return xasprintf("%s%s", url, ops->api_path);
}

/* The options other than the kind and the URL; libcurl ready. */
static int check_options(const pysec_forge_options *opts)
{
	int rc;

	if ((rc = check_token(opts->token)) < 0)
		return rc;
	if (opts->login && (!*opts->login || !comment_text_is_clean(opts->login) || strlen(opts->login) > 255))
		return error_set(PYSEC_EINVALID, "the bot login is 1 to 255 printable characters");
	if (opts->ca_bundle && access(opts->ca_bundle, R_OK) != 0)
		return error_set(PYSEC_EINVALID, "cannot read CA bundle '%s'", opts->ca_bundle);
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return error_set(PYSEC_ERROR, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	return 0;
}

int pysec_forge_new(pysec_forge **out, const pysec_forge_options *opts)
{
	const struct forge_ops *ops = forge_ops_of(opts->kind);
	char *url = NULL, *host = NULL;
	pysec_forge *f;
	int rc;

	if (!ops)
		return error_set(PYSEC_EINVALID, "the forge is gitlab, gitea or github");
	if (!opts->url || !*opts->url)
		return error_set(PYSEC_EINVALID, "no forge URL");
	if ((rc = server_url(&url, &host, opts->url)) < 0)
		return rc;
	if ((rc = check_options(opts)) < 0) {
		free(url);
		free(host);
		return rc;
	}

	f = xcalloc(1, sizeof(*f));
	f->ops = ops;
	f->base = api_root(ops, url, host);
	free(url);
	free(host);
	f->token = xstrdup(opts->token);
	f->auth = xasprintf("%s%s", ops->auth_prefix, opts->token);
	f->login = opts->login ? xstrdup(opts->login) : NULL;
	f->ca_bundle = opts->ca_bundle ? xstrdup(opts->ca_bundle) : NULL;
	f->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 30000;
	f->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : 10000;
	f->retries = opts->retries;
	f->retry_base_ms = opts->retry_base_ms ? opts->retry_base_ms : 1;
	f->retry_max_ms = opts->retry_max_ms > f->retry_base_ms ? opts->retry_max_ms : f->retry_base_ms;
	f->max_wait_ms = opts->max_wait_ms;
	f->max_in_flight = opts->max_in_flight < 1 ? 1 : opts->max_in_flight > 16 ? 16 : opts->max_in_flight;
	f->max_response = opts->max_response ? opts->max_response : 16u << 20;
	f->gitlab_json = opts->gitlab_json;
	f->trace = opts->trace;
	f->cancel = opts->cancel;
	f->cancel_payload = opts->cancel_payload;
	pthread_mutex_init(&f->lock, NULL);
	forge_trace(f, "forge: %s API %s; TLS verification on, CA bundle %s; timeout %u ms, "
		"%u retries, backoff %u..%u ms, %u in flight", ops->name, f->base,
		f->ca_bundle ? f->ca_bundle : "(system)", f->timeout_ms, f->retries, f->retry_base_ms,
		f->retry_max_ms, f->max_in_flight);
	*out = f;
	return 0;
}

void pysec_forge_free(pysec_forge *f)
{
	if (!f)
		return;
	free(f->base);
	free(f->login);
	secret_free(f->token);
	secret_free(f->auth);
	free(f->ca_bundle);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

const char *pysec_forge_url(const pysec_forge *f)
{
	return f->base;
}

int pysec_forge_user_get(pysec_forge_user *out, const pysec_forge *f)
{
	if (!f->me_known)
		return error_set(PYSEC_ENOTFOUND, "no review has asked who the token is yet");
	*out = f->me;
	return 0;
}

void pysec_forge_user_set(pysec_forge *f, const pysec_forge_user *user)
{
	f->me = *user;
	f->me.login[sizeof(f->me.login) - 1] = '\0';
	f->me_known = 1;
}

char *forge_url(const pysec_forge *f, const char *fmt, ...)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	char *path;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	path = xmalloc(n < 0 ? 1 : (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(path, n < 0 ? 1 : (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_puts(&b, f->base);
	buf_puts(&b, path);
	free(path);
	return buf_detach(&b);
}

char *http_url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *copy;

	if (!e) {
		fprintf(stderr, "pysec: out of memory\n");
		abort();
	}
	copy = xstrdup(e);
	curl_free(e);
	return copy;
}

char *forge_redact(const pysec_forge *f, const char *s)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	size_t tl = f->token ? strlen(f->token) : 0;
	const char *hit;

	if (!tl)
		return xstrdup(s);
	while ((hit = strstr(s, f->token))) {
		buf_put(&b, s, (size_t)(hit - s));
		buf_puts(&b, "[token]");
		s = hit + tl;
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

void forge_trace(pysec_forge *f, const char *fmt, ...)
{
	char line[2048];
	char *safe;
	va_list ap;

	if (!f->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	safe = forge_redact(f, line);
	pthread_mutex_lock(&f->lock);
	fprintf(f->trace, "%s\n", safe);
	fflush(f->trace);
	pthread_mutex_unlock(&f->lock);
	free(safe);
}

void http_req_init(struct http_req *r, const char *method, char *url, char *body, const char *content_type)
{
	struct buf empty = BUF_INIT(0);

	memset(r, 0, sizeof(*r));
	r->method = method;
	r->url = url;
	r->body = body;
	r->content_type = content_type;
	r->resp = empty;
	r->total = -1;
	r->limit_remaining = r->limit_reset = -1;
}

struct http_req *http_req_new(const char *method, char *url, char *body, const char *content_type)
{
	struct http_req *r = xmalloc(sizeof(*r));

	http_req_init(r, method, url, body, content_type);
	return r;
}

void http_req_free(struct http_req *r)
{
	if (r) {
		http_req_clear(r);
		free(r);
	}
}

void http_req_clear(struct http_req *r)
{
	free(r->url);
	free(r->body);
	free(r->error);
	buf_free(&r->resp);
	r->url = r->body = r->error = NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *payload)
{
	struct http_req *r = payload;
	size_t n = size * nmemb;

	if (buf_put(&r->resp, data, n) < 0) {
		r->too_big = 1;
		return 0;	/* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

/* --- reading an answer ------------------------------------------------------ */

/* The `index`th value of the response header `name` (trimmed), or NULL: libcurl's, or the stand-in's. */
typedef const char *(*header_nth_fn)(void *src, const char *name, size_t index);

static const char *curl_header_nth(void *src, const char *name, size_t index)
{
	struct curl_header *h;

	return curl_easy_header(src, name, index, CURLH_HEADER, -1, &h) == CURLHE_OK ? h->value : NULL;
}

static const char *answer_header_nth(void *src, const char *name, size_t index)
{
	const struct forge_answer *a = src;
	const char *const *h;

	for (h = a->headers; h && h[0] && h[1]; h += 2)
		if (!strcasecmp(h[0], name) && index-- == 0)
			return h[1];
	return NULL;
}

/* A header's whole number (digits only, at most 12 of them), or -1. */
static long long header_number(const char *v)
{
	unsigned long long n;

	return v && parse_uint(&n, v, 999999999999ULL) == 0 ? (long long)n : -1;
}

/*
 * The page number of Link's rel="next" URL, or 0.  The URL itself is never
 * followed: the next request is built from the API root, so a Link that
 * names another host cannot draw the token there.
 */
static long link_next_page(const char *link)
{
	const char *p = link;

	while ((p = strchr(p, '<'))) {
		const char *end = strchr(p, '>'), *params, *next, *rel, *q;
		if (!end)
			return 0;
		params = end + 1;
		next = strchr(params, '<');
		if (!next)
			next = params + strlen(params);
		rel = strstr(params, "rel=\"next\"");
		if (!rel || rel > next) {
			p = end;
			continue;
		}
		for (q = p; q < end; q++) {
			if ((*q == '?' || *q == '&') && !strncmp(q + 1, "page=", 5)) {
				char digits[16];
				size_t nd = strspn(q + 6, "0123456789");
				long long page;
				if (nd >= sizeof(digits))
					return 0;
				memcpy(digits, q + 6, nd);
				digits[nd] = '\0';
				page = header_number(digits);
				return page > 0 ? (long)page : 0;
			}
		}
		return 0;
	}
	return 0;
}

/* Longer Link headers are not read (their scan is quadratic): no forge sends one. */
#define MAX_LINK 8192

/*
 * What the answer's headers say for retries and pages: Retry-After and
 * GitHub's x-ratelimit-*, GitLab's x-next-page and x-total, Gitea's
 * x-total-count, and Link's rel="next" (GitHub, Gitea).
 */
static void read_headers(struct http_req *r, header_nth_fn nth, void *src)
{
	const char *v;
	long long n;
	size_t i;

	if ((v = nth(src, "retry-after", 0)))
		snprintf(r->retry_after, sizeof(r->retry_after), "%s", v);
	r->limit_remaining = header_number(nth(src, "x-ratelimit-remaining", 0));
	r->limit_reset = header_number(nth(src, "x-ratelimit-reset", 0));
	if ((n = header_number(nth(src, "x-next-page", 0))) > 0)
		r->next_page = (long)n;
	if ((n = header_number(nth(src, "x-total", 0))) >= 0 || (n = header_number(nth(src, "x-total-count", 0))) >= 0)
		r->total = (long)n;
	for (i = 0; !r->next_page && (v = nth(src, "link", i)); i++)
		if (strlen(v) < MAX_LINK)
			r->next_page = link_next_page(v);
}

/* What the server said, short and printable: its JSON "message" or "error", else the start of the body. */
static char *server_says(const struct http_req *r)
{
	char text[240];
	json_t *j = NULL, *m;
	size_t i, n = 0;
	const char *src = buf_cstr((struct buf *)&r->resp);
	char *dumped = NULL;

	if (r->resp.len && (j = json_loadb(r->resp.ptr, r->resp.len, 0, NULL))) {
		m = json_object_get(j, "message");
		if (!m)
			m = json_object_get(j, "error");
		if (json_is_string(m))
			src = json_string_value(m);
		else if (m)
			src = dumped = json_dumps(m, JSON_COMPACT);
	}
	for (i = 0; src && src[i] && n < sizeof(text) - 4; i++)
		text[n++] = (unsigned char)src[i] < ' ' || src[i] == 0x7f ? ' ' : src[i];
	if (src && src[i])
		memcpy(text + n, "...", 3), n += 3;
	text[n] = '\0';
	free(dumped);
	json_decref(j);
	return xstrdup(text);
}

static int canceled(pysec_forge *f)
{
	return f->cancel && f->cancel(f->cancel_payload);
}

/* libcurl's progress callback: non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *payload, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	return canceled(payload);
}

/* Seconds from a Retry-After value (delta-seconds or an HTTP date); -1 when absent or unreadable. */
static double retry_after_seconds(const char *v)
{
	long long n;
	time_t when;

	if (!*v)
		return -1;
	if ((n = header_number(v)) >= 0)
		return (double)n;
	if ((when = curl_getdate(v, NULL)) < 0)
		return -1;
	return when > time(NULL) ? (double)(when - time(NULL)) : 0;
}

static int transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* --- one request, attempt by attempt ------------------------------------------ */

enum xfer_state {
	XFER_QUEUED = 0,	/* not started */
	XFER_WAITING,		/* its next attempt starts at `due` */
	XFER_RUNNING,		/* an attempt is in the multi handle */
	XFER_DONE,		/* r->rc says how it ended */
	XFER_CLOSED,		/* done, and its handle is freed */
};

/* A request on its way: its attempts, and the failures and waits that bound them. */
struct xfer {
	struct http_req *r;
	enum xfer_state state;
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	unsigned attempts;	/* started so far */
	unsigned failures;	/* counted against pysec.review.retries */
	unsigned rate_waits;
	double waited;		/* seconds waited for the forge, against pysec.review.maxWait */
	double due;		/* clock_now() when the next attempt may start */
	double started;
	int held;		/* the forge's hold was waited out: the attempt starts without asking again */
};

static void fail_req(pysec_forge *f, struct xfer *x, int fatal, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail_req(pysec_forge *f, struct xfer *x, int fatal, const char *fmt, ...)
{
	struct http_req *r = x->r;
	char why[512];
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	msg = x->attempts > 1 ? xasprintf("%s %s: %s (after %u attempts)", r->method, r->url, why, x->attempts)
			      : xasprintf("%s %s: %s", r->method, r->url, why);
	free(r->error);
	r->error = forge_redact(f, msg);
	free(msg);
	r->rc = PYSEC_EFORGE;
	r->fatal = fatal;
	x->state = XFER_DONE;
}

/* Fail with the HTTP status and what the server said. */
static void fail_status(pysec_forge *f, struct xfer *x, int fatal)
{
	char *says = server_says(x->r);

	fail_req(f, x, fatal, "HTTP %ld%s%s", x->r->status, *says ? ": " : "", says);
	free(says);
}

/* The header lines every request carries, and its content type. */
static int xfer_headers(const pysec_forge *f, struct xfer *x)
{
	char ctype[128];
	const char *lines[5];
	size_t i, n = 0;

	lines[n++] = f->auth;
	lines[n++] = f->ops->accept;
	if (f->ops->extra_header)
		lines[n++] = f->ops->extra_header;
	lines[n++] = "Expect:";
	if (x->r->content_type) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", x->r->content_type);
		lines[n++] = ctype;
	}
	for (i = 0; i < n; i++) {
		struct curl_slist *h = curl_slist_append(x->headers, lines[i]);
		if (!h)
			return -1;
		x->headers = h;
	}
	return 0;
}

static void set_options(pysec_forge *f, struct xfer *x)
{
	struct http_req *r = x->r;
	CURL *c = x->easy;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "git-pysec/" PYSEC_VERSION);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* TLS is always verified; the only choice is which CAs to trust */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->ca_bundle)
		curl_easy_setopt(c, CURLOPT_CAINFO, f->ca_bundle);
	/* a redirect would carry the token elsewhere: none are followed */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	if (f->cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (!strcmp(r->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
		if (strcmp(r->method, "DELETE") || r->body) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(r->body ? strlen(r->body) : 0));
		}
	}
}

/* Forget what the previous attempt received. */
static void attempt_reset(const pysec_forge *f, struct http_req *r)
{
	r->status = 0;
	r->next_page = 0;
	r->total = -1;
	r->retry_after[0] = '\0';
	r->limit_remaining = r->limit_reset = -1;
	r->too_big = 0;
	buf_free(&r->resp);
	r->resp.max = f->max_response;
}

/* The stand-in's answer, read as libcurl's is: what libcurl would return. */
static CURLcode transport_perform(pysec_forge *f, struct http_req *r)
{
	struct forge_answer a;

	memset(&a, 0, sizeof(a));
	f->transport->answer(&a, r->method, r->url, r->body, f->transport->payload);
	if (a.status < 100)
		return CURLE_COULDNT_CONNECT;
	r->status = a.status;
	read_headers(r, answer_header_nth, &a);
	if (a.body_len && on_body((char *)a.body, 1, a.body_len, r) != a.body_len)
		return CURLE_WRITE_ERROR;
	return CURLE_OK;
}

/* At most this many rate-limit waits for one request, whatever they add up to (a Retry-After of 0 ...). */
#define MAX_RATE_WAITS 10

/*
 * The seconds a rate-limited answer asks to wait, or -1 when it is not
 * one.  GitLab and Gitea say 429 with Retry-After.  GitHub
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api)
 * says 403 or 429, and: with retry-after, wait that long; with
 * x-ratelimit-remaining 0, the primary limit is spent until
 * x-ratelimit-reset; a secondary limit without either wants at least a
 * minute.  A 403 with none of these is a refusal, not a limit.
 */
static double rate_limit_wait(const struct http_req *r)
{
	time_t now = time(NULL);
	double ra;

	if (r->status != 429 && r->status != 403)
		return -1;
	if ((ra = retry_after_seconds(r->retry_after)) >= 0)
		return ra;
	if (r->limit_remaining == 0 && r->limit_reset >= 0)
		return r->limit_reset > now ? (double)(r->limit_reset - now) + 1 : 1;
	if (memmem(r->resp.ptr ? r->resp.ptr : "", r->resp.len, "secondary rate limit", 20))
		return 60;
	return -1;
}

/* Remember what the answer says of the primary limit: spent (until when), or not. */
static void note_limit(pysec_forge *f, const struct http_req *r)
{
	pthread_mutex_lock(&f->lock);
	if (r->limit_remaining == 0 && r->limit_reset > f->limit_reset)
		f->limit_reset = r->limit_reset;
	else if (r->limit_remaining > 0)
		f->limit_reset = 0;
	pthread_mutex_unlock(&f->lock);
}

/* No request to this forge starts for `s` seconds: the limit is the forge's, not one request's. */
static void hold_forge(pysec_forge *f, double s)
{
	pthread_mutex_lock(&f->lock);
	if (f->not_before < clock_now() + s)
		f->not_before = clock_now() + s;
	pthread_mutex_unlock(&f->lock);
}

/* Seconds until this forge may be asked again: a Retry-After, or a spent rate limit. */
static double wait_needed(pysec_forge *f)
{
	double wait = 0, now;
	long long left;

	pthread_mutex_lock(&f->lock);
	now = clock_now();
	if (f->not_before > now)
		wait = f->not_before - now;
	left = f->limit_reset ? f->limit_reset - (long long)time(NULL) : 0;
	if (left > 0 && (double)left + 1 > wait)
		wait = (double)left + 1;
	pthread_mutex_unlock(&f->lock);
	return wait;
}

/* What an attempt's outcome calls for. */
enum verdict {
	VERDICT_DONE,		/* success or a failure for good: r->rc says which */
	VERDICT_RETRY,		/* a failure worth another attempt, after a backoff */
	VERDICT_WAIT,		/* the forge asks everyone to wait so many seconds, then try again */
};

/* A transfer that failed below HTTP: connection errors are tried again, the rest are fatal. */
static enum verdict classify_error(pysec_forge *f, struct xfer *x, CURLcode cc)
{
	struct http_req *r = x->r;
	const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);

	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		fail_req(f, x, 1, "canceled");
		return VERDICT_DONE;
	}
	if (r->too_big) {
		fail_req(f, x, 1, "the answer is larger than %zu bytes", f->max_response);
		return VERDICT_DONE;
	}
	forge_trace(f, "forge: %s %s -> %s", r->method, r->url, why);
	if (!transient(cc) || ++x->failures > f->retries) {
		fail_req(f, x, 1, "%s", why);
		return VERDICT_DONE;
	}
	return VERDICT_RETRY;
}

/*
 * An answer other than 2xx.  Rate limits are waited out (rate_limit_wait)
 * without using up the retries, which are for failures; 5xx, 429 and
 * (where asked) 409 are tried again; anything else fails at once.  401,
 * 403, 404, a redirect and spent retries are fatal: the forge is down or
 * will refuse the rest too.
 */
static enum verdict classify_status(pysec_forge *f, struct xfer *x, double *wait)
{
	struct http_req *r = x->r;
	double rl;

	if ((rl = rate_limit_wait(r)) >= 0) {
		if (++x->rate_waits > MAX_RATE_WAITS || (x->waited + rl) * 1000 > (double)f->max_wait_ms) {
			fail_req(f, x, 1, "rate limited (HTTP %ld): the forge asks to wait %.0f s, after %.0f s; "
				"pysec.review.maxWait allows %.0f s", r->status, rl, x->waited, f->max_wait_ms / 1000.0);
			return VERDICT_DONE;
		}
		forge_trace(f, "forge: rate limited; waiting %.0f s", rl);
		*wait = rl;
		return VERDICT_WAIT;
	}
	if (r->status == 429 || r->status >= 500 || (r->status == 409 && r->retry_conflict)) {
		double ra = r->status == 503 ? retry_after_seconds(r->retry_after) : -1;
		if (++x->failures > f->retries) {
			fail_status(f, x, 1);
			return VERDICT_DONE;
		}
		if (ra < 0)
			return VERDICT_RETRY;
		/* a 503 that says when: that is the backoff (bounded as a rate limit is) */
		forge_trace(f, "forge: unavailable; waiting %.0f s (Retry-After)", ra);
		*wait = ra;
		return VERDICT_WAIT;
	}
	if (r->status == 404 && r->ok_not_found) {
		r->rc = 0;	/* what was to be removed is gone already */
		x->state = XFER_DONE;
		return VERDICT_DONE;
	}
	if (r->status >= 300 && r->status < 400)
		fail_req(f, x, 1, "HTTP %ld: redirects are not followed; give the final API URL", r->status);
	else
		fail_status(f, x, r->status == 401 || r->status == 403 || r->status == 404);
	return VERDICT_DONE;
}

static enum verdict classify(pysec_forge *f, struct xfer *x, CURLcode cc, double *wait)
{
	struct http_req *r = x->r;

	if (cc != CURLE_OK)
		return classify_error(f, x, cc);
	forge_trace(f, "forge: %s %s -> %ld (%.2f s)", r->method, r->url, r->status, clock_now() - x->started);
	note_limit(f, r);
	if (r->status >= 200 && r->status < 300) {
		r->rc = 0;
		x->state = XFER_DONE;
		return VERDICT_DONE;
	}
	return classify_status(f, x, wait);
}

/* The wait before the next attempt after `failures` failures: the base doubled per failure, capped, with jitter. */
static double backoff_ms(const pysec_forge *f, unsigned failures, unsigned *seed)
{
	double ms = (double)f->retry_base_ms;
	unsigned i;

	for (i = 1; i < failures && ms < f->retry_max_ms; i++)
		ms *= 2;
	if (ms > f->retry_max_ms)
		ms = f->retry_max_ms;
	return ms / 2 + (ms / 2) * ((double)rand_r(seed) / RAND_MAX);
}

/* When the next attempt starts: after a backoff (a retry), or when the forge allows (a wait). */
static void schedule(pysec_forge *f, struct xfer *x, enum verdict v, double wait, unsigned *seed)
{
	double now = clock_now();

	x->state = XFER_WAITING;
	if (v == VERDICT_WAIT) {
		hold_forge(f, wait);
		x->due = now;	/* the check before the attempt waits the hold out, within maxWait */
		return;
	}
	wait = backoff_ms(f, x->failures, seed);
	forge_trace(f, "forge: retrying in %.0f ms (failure %u of %u allowed)", wait, x->failures, f->retries);
	x->due = now + wait / 1000;
}

/* An attempt is over (`cc`, with the status and headers read): what comes next. */
static void attempt_done(pysec_forge *f, struct xfer *x, CURLcode cc, unsigned *seed)
{
	double wait = 0;
	enum verdict v = classify(f, x, cc, &wait);

	if (v != VERDICT_DONE)
		schedule(f, x, v, wait, seed);
}

/*
 * Before an attempt: the forge's hold (a Retry-After, a spent rate limit)
 * is waited out first, and all of one request's waits add up to at most
 * pysec.review.maxWait.  1: start now; 0: not yet (x->due is set); -1:
 * failed.
 */
static int attempt_cleared(pysec_forge *f, struct xfer *x, double now)
{
	double wait;

	if (x->held) {
		x->held = 0;
		return 1;
	}
	if ((wait = wait_needed(f)) <= 0)
		return 1;
	if ((x->waited + wait) * 1000 > (double)f->max_wait_ms) {
		fail_req(f, x, 1, "rate limited: the forge asks to wait %.0f s more, after %.0f s; "
			"pysec.review.maxWait allows %.0f s", wait, x->waited, f->max_wait_ms / 1000.0);
		return -1;
	}
	x->waited += wait;
	x->held = 1;
	x->due = now + wait;
	return 0;
}

/* Start one attempt: the stand-in answers at once; on the network it joins `multi`. */
static void attempt_start(pysec_forge *f, CURLM *multi, struct xfer *x, unsigned *seed)
{
	struct http_req *r = x->r;

	x->attempts++;
	attempt_reset(f, r);
	x->errbuf[0] = '\0';
	x->started = clock_now();
	if (f->transport) {
		attempt_done(f, x, transport_perform(f, r), seed);
		return;
	}
	set_options(f, x);
	if (curl_multi_add_handle(multi, x->easy) != CURLM_OK) {
		fail_req(f, x, 1, "libcurl cannot start the transfer");
		return;
	}
	x->state = XFER_RUNNING;
}

/* --- many requests at once, on one thread (libcurl's multi interface) ------- */

struct run {
	pysec_forge *f;
	CURLM *multi;		/* NULL on the stand-in */
	struct xfer *x;
	size_t n, admitted, active;
	int stop;		/* a fatal failure: start no more */
	unsigned seed;		/* the backoffs' jitter */
};

/* Let the next requests in: at most max_in_flight on their way at once, none after a fatal failure. */
static void run_admit(struct run *run)
{
	while (!run->stop && run->admitted < run->n && run->active < run->f->max_in_flight) {
		struct xfer *x = &run->x[run->admitted++];

		run->active++;
		x->r->attempted = 1;
		x->state = XFER_WAITING;
		x->due = clock_now();
		if (run->multi && (!(x->easy = curl_easy_init()) || xfer_headers(run->f, x) < 0))
			fail_req(run->f, x, 1, "libcurl cannot start the transfer: out of memory");
	}
}

/* Start the attempts that are due; cancel the waiting ones when asked.  The next one due, or -1 when none waits. */
static double run_start_due(struct run *run)
{
	double now = clock_now(), next = -1;
	int cancel = canceled(run->f);
	size_t i;

	for (i = 0; i < run->admitted; i++) {
		struct xfer *x = &run->x[i];

		if (x->state != XFER_WAITING)
			continue;
		if (cancel) {
			fail_req(run->f, x, 1, "canceled");
			continue;
		}
		if (x->due <= now && attempt_cleared(run->f, x, now) > 0)
			attempt_start(run->f, run->multi, x, &run->seed);
		if (x->state == XFER_WAITING && (next < 0 || x->due < next))
			next = x->due;
	}
	return next;
}

/* Read the attempts libcurl finished; how many there were. */
static size_t run_collect(struct run *run)
{
	CURLMsg *m;
	size_t ended = 0;
	int left;

	while ((m = curl_multi_info_read(run->multi, &left))) {
		struct xfer *x = NULL;
		CURLcode cc = m->data.result;
		CURL *easy = m->easy_handle;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		if (cc == CURLE_OK)
			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &x->r->status);
		read_headers(x->r, curl_header_nth, easy);
		curl_multi_remove_handle(run->multi, easy);
		attempt_done(run->f, x, cc, &run->seed);
		ended++;
	}
	return ended;
}

/* Free what the finished requests held; a fatal failure stops the rest.  How many finished. */
static size_t run_close_done(struct run *run)
{
	size_t i, closed = 0;

	for (i = 0; i < run->admitted; i++) {
		struct xfer *x = &run->x[i];

		if (x->state != XFER_DONE)
			continue;
		if (x->easy)
			curl_easy_cleanup(x->easy);
		curl_slist_free_all(x->headers);
		x->easy = NULL;
		x->headers = NULL;
		x->state = XFER_CLOSED;
		run->active--;
		run->stop |= x->r->rc < 0 && x->r->fatal;
		closed++;
	}
	return closed;
}

/*
 * Move the transfers on, then wait until the next attempt is due (`due`,
 * -1: none waits) or a transfer needs attention, at most 100 ms so that a
 * cancel is seen.  Nothing waits when requests ended: they are seen to first.
 */
static void run_wait(struct run *run, double due)
{
	double ms = due < 0 ? 100 : (due - clock_now()) * 1000;
	int running = 0;

	if (ms > 100)
		ms = 100;
	if (run->multi) {
		curl_multi_perform(run->multi, &running);
		if (!run_collect(run) && !run_close_done(run) && ms > 0)
			curl_multi_poll(run->multi, NULL, 0, (int)ms, NULL);
	} else if (due >= 0 && ms > 0 && !run_close_done(run)) {
		struct timespec ts = { 0, (long)(ms * 1e6) };
		while (nanosleep(&ts, &ts) < 0)
			;
	}
}

size_t http_run(pysec_forge *f, struct http_req **reqs, size_t n)
{
	struct run run;
	size_t i, failed = 0;

	if (!n)
		return 0;
	memset(&run, 0, sizeof(run));
	run.f = f;
	run.n = n;
	run.x = xcalloc(n, sizeof(*run.x));
	/* the microseconds, wrapped: a double past UINT_MAX converted to unsigned is undefined */
	run.seed = (unsigned)(uint64_t)(clock_now() * 1e6) ^ (unsigned)(uintptr_t)&run;
	for (i = 0; i < n; i++)
		run.x[i].r = reqs[i];
	if (!f->transport && !(run.multi = curl_multi_init())) {
		/* the first fails, the rest are not sent */
		run.x[0].state = XFER_WAITING;
		run.admitted = run.active = 1;
		reqs[0]->attempted = 1;
		fail_req(f, &run.x[0], 1, "libcurl cannot start the transfer: out of memory");
	}
	for (;;) {
		run_close_done(&run);
		run_admit(&run);
		if (!run.active)
			break;
		run_wait(&run, run_start_due(&run));
	}
	if (run.multi)
		curl_multi_cleanup(run.multi);
	free(run.x);
	for (i = 0; i < n; i++)
		failed += reqs[i]->attempted && reqs[i]->rc < 0;
	return failed;
}

static int get_json(json_t **out, long *next_page, long *total, long *status, pysec_forge *f, char *url)
{
	struct http_req r, *rp = &r;
	json_error_t jerr;
	json_t *j;
	int rc;

	http_req_init(&r, "GET", url, NULL, NULL);
	http_run(f, &rp, 1);
	if (status)
		*status = r.status;
	if (r.rc < 0) {
		rc = error_set(r.status == 404 ? PYSEC_ENOTFOUND : PYSEC_EFORGE, "%s", r.error);
	} else if (!(j = json_loadb(buf_cstr(&r.resp), r.resp.len, 0, &jerr))) {
		/* the parser quotes the answer, which may echo the token */
		char *says = forge_redact(f, jerr.text);
		rc = error_set(PYSEC_EFORGE, "GET %s: the answer is not JSON (%s)", r.url, says);
		free(says);
	} else {
		*out = j;
		if (next_page)
			*next_page = r.next_page;
		if (total)
			*total = r.total;
		rc = 0;
	}
	http_req_clear(&r);
	return rc;
}

int http_get_json(json_t **out, long *next_page, long *total, pysec_forge *f, char *url)
{
	return get_json(out, next_page, total, NULL, f, url);
}

int http_get_json_status(json_t **out, long *status, pysec_forge *f, char *url)
{
	return get_json(out, NULL, NULL, status, f, url);
}

int http_json_sha(char out[41], json_t *v)
{
	const char *s = json_string_value(v);
	size_t i;

	if (!s || strlen(s) != 40)
		return -1;
	for (i = 0; i < 40; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	for (i = 0; i < 40; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[40] = '\0';
	return 0;
}

char *http_json_text(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	char *copy;

	if (!s) {
		fprintf(stderr, "pysec: cannot encode JSON\n");
		abort();
	}
	copy = xstrdup(s);
	free(s);
	return copy;
}
