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

/* http(s)://host[:port][/path], nothing else: no credentials, query or fragment, no blanks. */
static int check_url(const char *url)
{
	const char *p, *auth;
	size_t authlen;

	if (!strncasecmp(url, "https://", 8))
		auth = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		auth = url + 7;
	else
		return error_set(PYSEC_EINVALID, "forge URL '%s' is not http:// or https://", url);
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
			return error_set(PYSEC_EINVALID, "forge URL must be scheme://host[:port][/path] "
				"(no blanks, query or fragment)");
	authlen = strcspn(auth, "/");
	if (!authlen)
		return error_set(PYSEC_EINVALID, "forge URL '%s' has no host", url);
	if (memchr(auth, '@', authlen))
		return error_set(PYSEC_EINVALID, "forge URL must not hold credentials; give the token "
			"with --token-file or $PYSEC_TOKEN");
	return 0;
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
 * the forge's own cloud host its API's.
 */
static char *api_root(const struct forge_ops *ops, const char *url)
{
	size_t n = strlen(url);
	const char *host = strstr(url, "://") + 3;
	size_t hostlen = strcspn(host, "/");

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (strstr(url, "/api/v") || (ops->cloud_api && !strncasecmp(url, ops->cloud_api, n) &&
					   strlen(ops->cloud_api) == n))
		return xstrndup(url, n);
	if (ops->cloud_host && hostlen == strlen(ops->cloud_host) && !strncasecmp(host, ops->cloud_host, hostlen))
		return xstrdup(ops->cloud_api);
	return xasprintf("%.*s%s", (int)n, url, ops->api_path);
}

int pysec_forge_new(pysec_forge **out, const pysec_forge_options *opts)
{
	const struct forge_ops *ops = forge_ops_of(opts->kind);
	pysec_forge *f;
	int rc;

	if (!ops)
		return error_set(PYSEC_EINVALID, "the forge is gitlab, gitea or github");
	if (!opts->url || !*opts->url)
		return error_set(PYSEC_EINVALID, "no forge URL");
	if ((rc = check_url(opts->url)) < 0 || (rc = check_token(opts->token)) < 0)
		return rc;
	if (opts->login && (!*opts->login || !comment_text_is_clean(opts->login) || strlen(opts->login) > 255))
		return error_set(PYSEC_EINVALID, "the bot login is 1 to 255 printable characters");
	if (opts->ca_bundle && access(opts->ca_bundle, R_OK) != 0)
		return error_set(PYSEC_EINVALID, "cannot read CA bundle '%s'", opts->ca_bundle);
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return error_set(PYSEC_ERROR, "libcurl: %s", curl_easy_strerror(curl_init_rc));

	f = xcalloc(1, sizeof(*f));
	f->ops = ops;
	f->base = api_root(ops, opts->url);
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
	free(r->link);
	buf_free(&r->resp);
	r->url = r->body = r->error = r->link = NULL;
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

/* The value of the header `name` in `line` ("Name: value\r\n"), trimmed, or NULL. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *v, *e = line + len;

	if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	for (v = line + nl + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*vlen = (size_t)(e - v);
	return v;
}

static long parse_long(const char *v, size_t len)
{
	long n = 0;
	size_t i;

	if (!len || len > 12)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *payload)
{
	struct http_req *r = payload;
	size_t n = size * nmemb, vlen;
	const char *v;
	long num;

	if ((v = header_value(data, n, "retry-after", &vlen)))
		snprintf(r->retry_after, sizeof(r->retry_after), "%.*s", (int)vlen, v);
	else if ((v = header_value(data, n, "x-ratelimit-remaining", &vlen)))
		r->limit_remaining = parse_long(v, vlen);
	else if ((v = header_value(data, n, "x-ratelimit-reset", &vlen)))
		r->limit_reset = parse_long(v, vlen);
	else if ((v = header_value(data, n, "x-next-page", &vlen)) && (num = parse_long(v, vlen)) > 0)
		r->next_page = num;
	else if ((v = header_value(data, n, "x-total", &vlen)) && (num = parse_long(v, vlen)) >= 0)
		r->total = num;
	else if ((v = header_value(data, n, "x-total-count", &vlen)) && (num = parse_long(v, vlen)) >= 0)
		r->total = num;
	else if ((v = header_value(data, n, "link", &vlen)) && vlen < 8192) {
		free(r->link);
		r->link = xstrndup(v, vlen);
	}
	return n;
}

/*
 * The page number of Link's rel="next" URL.  The URL itself is never
 * followed: the next request is built from the API root, so a Link that
 * names another host cannot draw the token there.
 */
static long link_next_page(const char *link)
{
	const char *p = link;

	while ((p = strchr(p, '<'))) {
		const char *end = strchr(p, '>'), *params, *next, *q;
		if (!end)
			return 0;
		params = end + 1;
		next = strchr(params, '<');
		if (!next)
			next = params + strlen(params);
		if (!strstr(params, "rel=\"next\"") || strstr(params, "rel=\"next\"") > next) {
			p = end;
			continue;
		}
		for (q = p; q < end; q++)
			if ((*q == '?' || *q == '&') && !strncmp(q + 1, "page=", 5))
				return parse_long(q + 6, strspn(q + 6, "0123456789"));
		return 0;
	}
	return 0;
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

/* Wait `ms`, in slices, so that a cancel ends the wait; -1 when it did. */
static int sleep_ms(pysec_forge *f, double ms)
{
	while (ms > 0) {
		double slice = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, (long)(slice * 1e6) };

		if (canceled(f))
			return -1;
		while (nanosleep(&ts, &ts) < 0)
			;
		ms -= slice;
	}
	return canceled(f) ? -1 : 0;
}

/* Seconds from a Retry-After value (delta-seconds or an HTTP date); -1 when absent or unreadable. */
static double retry_after_seconds(const char *v)
{
	long n;
	time_t when;

	if (!*v)
		return -1;
	if ((n = parse_long(v, strlen(v))) >= 0)
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

static void set_options(pysec_forge *f, CURL *c, struct http_req *r, struct curl_slist *headers, char *errbuf)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
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
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
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

static void fail_req(pysec_forge *f, struct http_req *r, int fatal, unsigned attempts, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void fail_req(pysec_forge *f, struct http_req *r, int fatal, unsigned attempts, const char *fmt, ...)
{
	char why[512];
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	msg = attempts > 1 ? xasprintf("%s %s: %s (after %u attempts)", r->method, r->url, why, attempts)
			   : xasprintf("%s %s: %s", r->method, r->url, why);
	free(r->error);
	r->error = forge_redact(f, msg);
	free(msg);
	r->rc = PYSEC_EFORGE;
	r->fatal = fatal;
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
	free(r->link);
	r->link = NULL;
	buf_free(&r->resp);
	r->resp.max = f->max_response;
}

/* The wait before attempt `attempt` + 1: the base doubled per attempt, capped, with jitter. */
static double backoff_ms(const pysec_forge *f, unsigned attempt, unsigned *seed)
{
	double ms = (double)f->retry_base_ms;
	unsigned i;

	for (i = 1; i < attempt && ms < f->retry_max_ms; i++)
		ms *= 2;
	if (ms > f->retry_max_ms)
		ms = f->retry_max_ms;
	return ms / 2 + (ms / 2) * ((double)rand_r(seed) / RAND_MAX);
}

/* The stand-in's answer, fed through the same callbacks as libcurl's: what libcurl would return. */
static CURLcode transport_perform(pysec_forge *f, struct http_req *r)
{
	struct forge_answer a;
	const char *h, *end;

	memset(&a, 0, sizeof(a));
	f->transport->answer(&a, r->method, r->url, r->body, f->transport->payload);
	if (a.status < 100)
		return CURLE_COULDNT_CONNECT;
	for (h = a.headers, end = a.headers + a.headers_len; h && h < end;) {
		const char *nl = memchr(h, '\n', (size_t)(end - h));
		size_t n = nl ? (size_t)(nl - h) + 1 : (size_t)(end - h);
		char *line = xstrndup(h, n);
		on_header(line, 1, n, r);
		free(line);
		h += n;
	}
	r->status = a.status;
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

/*
 * One request on handle `c`, with its retries: a 2xx is success; 5xx,
 * 429, (where asked) 409 and connection errors are tried again after a
 * backoff; anything else fails at once.  Rate limits are waited out
 * (rate_limit_wait) without using up the retries, which are for failures,
 * but the waits of one request add up to at most max_wait_ms.  401, 403,
 * 404, a redirect, TLS errors and spent retries are fatal: the forge is
 * down or will refuse the rest too.
 */
static void http_send(pysec_forge *f, CURL *c, struct http_req *r, unsigned *seed)
{
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE], ctype[128];
	unsigned attempt, failures = 0, rate_waits = 0;
	double waited = 0;

	headers = curl_slist_append(headers, f->auth);
	headers = curl_slist_append(headers, f->ops->accept);
	if (f->ops->extra_header)
		headers = curl_slist_append(headers, f->ops->extra_header);
	headers = curl_slist_append(headers, "Expect:");
	if (r->content_type) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", r->content_type);
		headers = curl_slist_append(headers, ctype);
	}
	r->attempted = 1;
	for (attempt = 1;; attempt++) {
		double wait = wait_needed(f), started, rl;
		int retry = 0;
		CURLcode cc;

		if (wait > 0) {
			if ((waited + wait) * 1000 > (double)f->max_wait_ms) {
				fail_req(f, r, 1, attempt - 1, "rate limited: the forge asks to wait %.0f s more, after %.0f s; "
					"pysec.review.maxWait allows %.0f s", wait, waited, f->max_wait_ms / 1000.0);
				break;
			}
			if (sleep_ms(f, wait * 1000) < 0) {
				fail_req(f, r, 1, attempt, "canceled");
				break;
			}
			waited += wait;
		}
		if (canceled(f)) {
			fail_req(f, r, 1, attempt, "canceled");
			break;
		}
		attempt_reset(f, r);
		errbuf[0] = '\0';
		started = clock_now();
		if (f->transport) {
			cc = transport_perform(f, r);
		} else {
			set_options(f, c, r, headers, errbuf);
			cc = curl_easy_perform(c);
			if (cc == CURLE_OK)
				curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		}

		if (cc != CURLE_OK) {
			if (cc == CURLE_ABORTED_BY_CALLBACK) {
				fail_req(f, r, 1, attempt, "canceled");
				break;
			}
			if (r->too_big) {
				fail_req(f, r, 1, attempt, "the answer is larger than %zu bytes", f->max_response);
				break;
			}
			forge_trace(f, "forge: %s %s -> %s", r->method, r->url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
			if (!transient(cc) || ++failures > f->retries) {
				fail_req(f, r, 1, attempt, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
				break;
			}
			retry = 1;
		} else {
			forge_trace(f, "forge: %s %s -> %ld (%.2f s)", r->method, r->url, r->status, clock_now() - started);
			note_limit(f, r);
			if (r->status >= 200 && r->status < 300) {
				r->rc = 0;
				break;
			}
			if ((rl = rate_limit_wait(r)) >= 0) {
				if (++rate_waits > MAX_RATE_WAITS || (waited + rl) * 1000 > (double)f->max_wait_ms) {
					fail_req(f, r, 1, attempt, "rate limited (HTTP %ld): the forge asks to wait %.0f s, after "
						"%.0f s; pysec.review.maxWait allows %.0f s", r->status, rl, waited,
						f->max_wait_ms / 1000.0);
					break;
				}
				/* everyone waits: the limit is the forge's, not this request's */
				pthread_mutex_lock(&f->lock);
				if (f->not_before < clock_now() + rl)
					f->not_before = clock_now() + rl;
				pthread_mutex_unlock(&f->lock);
				forge_trace(f, "forge: rate limited; waiting %.0f s", rl);
				continue;
			}
			if (r->status == 429 || r->status >= 500 || (r->status == 409 && r->retry_conflict)) {
				double ra = r->status == 503 ? retry_after_seconds(r->retry_after) : -1;
				if (++failures > f->retries) {
					char *says = server_says(r);
					fail_req(f, r, 1, attempt, "HTTP %ld%s%s", r->status, *says ? ": " : "", says);
					free(says);
					break;
				}
				if (ra >= 0) {
					/* a 503 that says when: that is the backoff (bounded as a rate limit is) */
					pthread_mutex_lock(&f->lock);
					if (f->not_before < clock_now() + ra)
						f->not_before = clock_now() + ra;
					pthread_mutex_unlock(&f->lock);
					forge_trace(f, "forge: unavailable; waiting %.0f s (Retry-After)", ra);
					continue;
				}
				retry = 1;
			} else {
				char *says;
				int fatal;
				if (r->status == 404 && r->ok_not_found) {
					r->rc = 0;	/* what was to be removed is gone already */
					break;
				}
				says = server_says(r);
				fatal = r->status == 401 || r->status == 403 ||
					    (r->status >= 300 && r->status < 400) || r->status == 404;
				if (r->status >= 300 && r->status < 400)
					fail_req(f, r, 1, attempt, "HTTP %ld: redirects are not followed; give the "
						"final API URL", r->status);
				else
					fail_req(f, r, fatal, attempt, "HTTP %ld%s%s", r->status, *says ? ": " : "", says);
				free(says);
				break;
			}
		}
		if (retry) {
			double ms = backoff_ms(f, failures, seed);
			forge_trace(f, "forge: retrying in %.0f ms (failure %u of %u allowed)", ms, failures, f->retries);
			if (sleep_ms(f, ms) < 0) {
				fail_req(f, r, 1, attempt, "canceled");
				break;
			}
		}
	}
	curl_slist_free_all(headers);
}

struct batch {
	pysec_forge *f;
	struct http_req **reqs;
	size_t n, next;
	int stop;
	pthread_mutex_t lock;
};

static void *worker(void *payload)
{
	struct batch *b = payload;
	CURL *c = curl_easy_init();
	/* the microseconds, wrapped: a double past UINT_MAX converted to unsigned is undefined */
	unsigned seed = (unsigned)(uint64_t)(clock_now() * 1e6) ^ (unsigned)(uintptr_t)&c;

	for (;;) {
		struct http_req *r;
		pthread_mutex_lock(&b->lock);
		if (b->stop || b->next >= b->n || !c) {
			pthread_mutex_unlock(&b->lock);
			break;
		}
		r = b->reqs[b->next++];
		pthread_mutex_unlock(&b->lock);
		http_send(b->f, c, r, &seed);
		if (r->rc < 0 && r->fatal) {
			pthread_mutex_lock(&b->lock);
			b->stop = 1;
			pthread_mutex_unlock(&b->lock);
		}
	}
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

size_t http_run(pysec_forge *f, struct http_req **reqs, size_t n)
{
	struct batch b;
	pthread_t threads[16];
	size_t i, nthreads = n < f->max_in_flight ? n : f->max_in_flight, started = 0, failed = 0;

	if (!n)
		return 0;
	memset(&b, 0, sizeof(b));
	b.f = f;
	b.reqs = reqs;
	b.n = n;
	pthread_mutex_init(&b.lock, NULL);
	if (nthreads > 1)
		for (i = 0; i < nthreads; i++)
			if (pthread_create(&threads[started], NULL, worker, &b) == 0)
				started++;
	if (!started)
		worker(&b);	/* one at a time, on this thread */
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&b.lock);
	for (i = 0; i < n; i++) {
		if (reqs[i]->attempted && reqs[i]->rc < 0)
			failed++;
		else if (reqs[i]->attempted && reqs[i]->link && !reqs[i]->next_page)
			reqs[i]->next_page = link_next_page(reqs[i]->link);
	}
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
