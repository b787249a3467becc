/*
 * webhook.c: the HTTP listener (libmicrohttpd).
 *
 *   POST /webhook/gitlab   GitLab merge request hooks: X-Gitlab-Token, compared in constant time
 *   POST /webhook/gitea    Gitea pull request hooks: X-Gitea-Signature, HMAC-SHA256 of the raw body
 *                          (or X-Hub-Signature-256, which Gitea sends too)
 *   POST /webhook/github   GitHub pull request hooks: X-Hub-Signature-256, "sha256=" and the
 *                          HMAC-SHA256 of the raw body, compared in constant time
 *   GET  /healthz          200 "ok" while the queue answers
 *   GET  /metrics          Prometheus text
 *
 * A delivery is authenticated before its body is parsed; anything that
 * fails is answered 401 and logged.  Bodies past pysec.daemon.maxBody get
 * 413.  An accepted delivery is committed to the queue before its 2xx; a
 * delivery the daemon has no use for (another event or action, a project
 * with no repository here) still gets a 2xx (a 4xx makes GitLab disable the
 * hook), saying why it was ignored.
 */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

struct webhookd {
	struct daemon *d;
	struct MHD_Daemon *mhd;
};

/* One request's body as it arrives. */
struct upload {
	char *data;
	size_t len, cap;
	int too_large;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
	size_t len, const char *retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *body, const char *retry_after)
{
	char *text = json_dumps(body, JSON_COMPACT);
	enum MHD_Result rc = reply(c, status, "application/json", text ? text : "{}", text ? strlen(text) : 2, retry_after);

	free(text);
	json_decref(body);
	return rc;
}

static void remote_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, len, "?");
	if (!ci || !ci->client_addr)
		return;
	getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		sizeof(struct sockaddr_in), out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
}

/* GitLab: the token as configured; both sides hashed first, so that the comparison's time says nothing of the length. */
static int token_matches(const char *secret, const char *given)
{
	unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];

	if (!secret || !given)
		return 0;
	SHA256((const unsigned char *)secret, strlen(secret), a);
	SHA256((const unsigned char *)given, strlen(given), b);
	return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

static int hexval(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
	       ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* `given` is the hex HMAC-SHA256 of the raw body, keyed with the secret (compared in constant time). */
static int hmac_matches(const char *secret, const char *given, const char *body, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE], want[32];
	unsigned int maclen = 0;
	size_t i;

	if (!secret || !given || strlen(given) != 64)
		return 0;
	for (i = 0; i < 32; i++) {
		int hi = hexval(given[2 * i]), lo = hexval(given[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &maclen) ||
	    maclen != 32)
		return 0;
	return CRYPTO_memcmp(mac, want, 32) == 0;
}

/*
 * X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the raw body
 * (https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries;
 * Gitea sends it too, services/webhook/deliver.go).
 */
static int hub_matches(const char *secret, const char *given, const char *body, size_t len)
{
	return given && !strncmp(given, "sha256=", 7) && hmac_matches(secret, given + 7, body, len);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Whether a delivery comes from the forge: 1, else 0 with *sent telling whether it sent any secret at all. */
static int gitlab_authentic(const char *secret, struct MHD_Connection *c, const char *body, size_t len, int *sent)
{
	*sent = header(c, "X-Gitlab-Token") != NULL;
	return token_matches(secret, header(c, "X-Gitlab-Token"));
}

/* Gitea signs with X-Gitea-Signature and X-Hub-Signature-256 alike: either will do. */
static int gitea_authentic(const char *secret, struct MHD_Connection *c, const char *body, size_t len, int *sent)
{
	*sent = header(c, "X-Gitea-Signature") || header(c, "X-Hub-Signature-256");
	return hmac_matches(secret, header(c, "X-Gitea-Signature"), body, len) ||
	       hub_matches(secret, header(c, "X-Hub-Signature-256"), body, len);
}

static int github_authentic(const char *secret, struct MHD_Connection *c, const char *body, size_t len, int *sent)
{
	*sent = header(c, "X-Hub-Signature-256") != NULL;
	return hub_matches(secret, header(c, "X-Hub-Signature-256"), body, len);
}

static void body_digest(const char *body, size_t len, char out[65])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)body, len, d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

struct delivery {
	pysec_forge_kind kind;
	const char *project;	/* path_with_namespace / full_name */
	char alt[32];		/* GitLab: the numeric project id */
	uint64_t number;
	const char *head;
	const char *action;
};

/*
 * The fields of a merge request or pull request event: 1 when it is one to
 * review, 0 when it is to be ignored, -1 when it is malformed (with why).
 */
static int gitlab_parse(struct delivery *dv, json_t *root, const char **why)
{
	json_t *oa = json_object_get(root, "object_attributes"), *proj = json_object_get(root, "project");
	json_t *iid = json_object_get(oa, "iid"), *id = json_object_get(proj, "id");
	const char *kind = json_string_value(json_object_get(root, "object_kind"));

	if (!kind || strcmp(kind, "merge_request")) {
		*why = "not a merge request event";
		return 0;
	}
	dv->action = json_string_value(json_object_get(oa, "action"));
	dv->project = json_string_value(json_object_get(proj, "path_with_namespace"));
	dv->head = json_string_value(json_object_get(json_object_get(oa, "last_commit"), "id"));
	if (json_is_integer(id))
		snprintf(dv->alt, sizeof(dv->alt), "%lld", (long long)json_integer_value(id));
	if (!dv->project || !json_is_integer(iid) || json_integer_value(iid) <= 0 || !dv->action) {
		*why = "a merge request event without project, iid or action";
		return -1;
	}
	dv->number = (uint64_t)json_integer_value(iid);
	/* rescan on open, reopen, and an update that moved the head (oldrev is there) */
	if (strcmp(dv->action, "open") && strcmp(dv->action, "reopen") &&
	    !(!strcmp(dv->action, "update") && json_object_get(oa, "oldrev"))) {
		*why = "an action that changes no code";
		return 0;
	}
	return 1;
}

/* Gitea's and GitHub's pull_request payloads have the same shape; the actions that bring new code differ. */
static int pull_request_parse(struct delivery *dv, json_t *root, const char **why, const char *const *actions)
{
	json_t *number = json_object_get(root, "number");

	dv->action = json_string_value(json_object_get(root, "action"));
	dv->project = json_string_value(json_object_get(json_object_get(root, "repository"), "full_name"));
	dv->head = json_string_value(json_object_get(json_object_get(json_object_get(root, "pull_request"), "head"), "sha"));
	if (!dv->project || !json_is_integer(number) || json_integer_value(number) <= 0 || !dv->action) {
		*why = "a pull request event without repository, number or action";
		return -1;
	}
	dv->number = (uint64_t)json_integer_value(number);
	for (; *actions; actions++)
		if (!strcmp(dv->action, *actions))
			return 1;
	*why = "an action that changes no code";
	return 0;
}

static int gitea_parse(struct delivery *dv, json_t *root, const char **why)
{
	static const char *const actions[] = { "opened", "reopened", "synchronized", NULL };

	return pull_request_parse(dv, root, why, actions);
}

/* https://docs.github.com/webhooks/webhook-events-and-payloads#pull_request: "synchronize", new commits */
static int github_parse(struct delivery *dv, json_t *root, const char **why)
{
	static const char *const actions[] = { "opened", "reopened", "synchronize", NULL };

	return pull_request_parse(dv, root, why, actions);
}

/* What differs between the forges' webhooks. */
struct hook_forge {
	pysec_forge_kind kind;
	const char *path;		/* where it is delivered */
	const char *event_header;	/* the header that names the event ... */
	const char *event;		/* ... and the event that is reviewed */
	const char *delivery_header;	/* the delivery's id, for de-duplication */
	int (*authentic)(const char *secret, struct MHD_Connection *c, const char *body, size_t len, int *sent);
	int (*parse)(struct delivery *dv, json_t *root, const char **why);
};

static const struct hook_forge hook_forges[] = {
	{ PYSEC_FORGE_GITLAB, "/webhook/gitlab", "X-Gitlab-Event", "Merge Request Hook", "Idempotency-Key",
	  gitlab_authentic, gitlab_parse },
	{ PYSEC_FORGE_GITEA, "/webhook/gitea", "X-Gitea-Event", "pull_request", "X-Gitea-Delivery",
	  gitea_authentic, gitea_parse },
	{ PYSEC_FORGE_GITHUB, "/webhook/github", "X-GitHub-Event", "pull_request", "X-GitHub-Delivery",
	  github_authentic, github_parse },
};

static enum MHD_Result webhook(struct webhookd *w, struct MHD_Connection *c, const struct hook_forge *hf,
	const struct upload *up)
{
	struct generation *g = daemon_gen_get(w->d);
	pysec_forge_kind kind = hf->kind;
	const struct forge_conf *fc = dconfig_forge(g->cfg, kind);
	const char *forge = pysec_forge_kind_name(kind), *why = NULL, *event, *key;
	struct delivery dv;
	const struct project_map *map = NULL;
	enum queue_add_result added;
	json_error_t jerr;
	json_t *root = NULL;
	char addr[64], digest[65], id[600];
	int64_t job = 0;
	enum MHD_Result rc;
	int ok, sent = 0;

	remote_addr(c, addr, sizeof(addr));
	memset(&dv, 0, sizeof(dv));
	dv.kind = kind;
	ok = hf->authentic(fc->secret, c, up->data ? up->data : "", up->len, &sent);
	if (!ok) {
		why = !fc->secret ? "no webhook secret is configured for this forge" : sent ? "bad secret" : "no secret sent";
		metrics_delivery(kind, DELIVERY_UNAUTHORIZED);
		dlog("warning", "webhook refused", json_pack("{s:s,s:s,s:s}", "forge", forge, "remote", addr, "why", why));
		rc = reply_json(c, MHD_HTTP_UNAUTHORIZED, json_pack("{s:s}", "error", "unauthorized"), NULL);
		goto done;
	}
	event = header(c, hf->event_header);
	if (!event || strcmp(event, hf->event)) {
		metrics_delivery(kind, DELIVERY_IGNORED);
		dlog("info", "webhook ignored", json_pack("{s:s,s:s?,s:s}", "forge", forge, "event", event, "why", "another event"));
		rc = reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s}", "status", "ignored", "why", "not a merge or pull request event"), NULL);
		goto done;
	}
	root = json_loadb(up->data ? up->data : "", up->len, 0, &jerr);
	ok = root ? hf->parse(&dv, root, &why) : -1;
	if (ok < 0) {
		metrics_delivery(kind, DELIVERY_BAD_REQUEST);
		dlog("warning", "webhook: bad payload", json_pack("{s:s,s:s,s:s}", "forge", forge, "remote", addr, "why",
			root ? why : jerr.text));
		rc = reply_json(c, MHD_HTTP_BAD_REQUEST, json_pack("{s:s}", "error", root ? why : "the body is not JSON"), NULL);
		goto done;
	}
	if (ok == 0 || !(map = dconfig_project(g->cfg, kind, dv.project, dv.alt))) {
		if (ok)
			why = "no repository is mapped to this project (pysec.daemon.project)";
		metrics_delivery(kind, DELIVERY_IGNORED);
		dlog("info", "webhook ignored", json_pack("{s:s,s:s?,s:I,s:s?,s:s}", "forge", forge, "project", dv.project,
			"request", (json_int_t)dv.number, "action", dv.action, "why", why));
		rc = reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s}", "status", "ignored", "why", why), NULL);
		goto done;
	}
	/* de-duplication: the forge's delivery id, else the body itself */
	key = header(c, hf->delivery_header);
	if (!key || !*key || strlen(key) > 256) {
		body_digest(up->data ? up->data : "", up->len, digest);
		key = digest;
	}
	snprintf(id, sizeof(id), "%s:%s", forge, key);
	/* the job names the project as the mapping does (a GitLab path, or its numeric id: the API takes both) */
	if (queue_add(w->d->queue, id, kind, map->project, dv.number, dv.head ? dv.head : "", g->cfg->max_pending,
		      &added, &job) < 0) {
		metrics_delivery(kind, DELIVERY_ERROR);
		dlog("error", "webhook: the queue failed", json_pack("{s:s,s:s}", "forge", forge, "delivery", id));
		rc = reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s}", "error", "queue unavailable"), "30");
		goto done;
	}
	if (added == QUEUE_FULL) {
		metrics_delivery(kind, DELIVERY_FULL);
		dlog("warning", "webhook: queue full", json_pack("{s:s,s:s}", "forge", forge, "delivery", id));
		rc = reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s}", "error", "too many pending reviews"), "60");
		goto done;
	}
	metrics_delivery(kind, added == QUEUE_ADDED ? DELIVERY_QUEUED : added == QUEUE_MERGED ? DELIVERY_MERGED :
		DELIVERY_DUPLICATE);
	dlog("info", "webhook accepted", json_pack("{s:s,s:s,s:I,s:s?,s:s,s:s,s:I}", "forge", forge, "project", dv.project,
		"request", (json_int_t)dv.number, "head", dv.head, "delivery", id,
		"status", added == QUEUE_ADDED ? "queued" : added == QUEUE_MERGED ? "merged" : "duplicate", "job", (json_int_t)job));
	rc = reply_json(c, added == QUEUE_DUPLICATE ? MHD_HTTP_OK : MHD_HTTP_ACCEPTED,
		json_pack("{s:s,s:I}", "status", added == QUEUE_ADDED ? "queued" : added == QUEUE_MERGED ? "merged" : "duplicate",
			"job", (json_int_t)job), NULL);
done:
	json_decref(root);
	daemon_gen_put(w->d, g);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct webhookd *w = cls;
	struct upload *up = *con_cls;
	const struct hook_forge *hf = NULL;
	pysec_forge_kind kind = 0;
	struct generation *g;
	size_t max, i;

	for (i = 0; i < sizeof(hook_forges) / sizeof(hook_forges[0]); i++)
		if (!strcmp(url, hook_forges[i].path))
			hf = &hook_forges[i];
	if (hf)
		kind = hf->kind;

	if (!up) {
		const char *cl;
		if (!strcmp(url, "/healthz") || !strcmp(url, "/metrics")) {
			metrics_http(url + 1);
			if (strcmp(method, "GET") && strcmp(method, "HEAD"))
				return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n", 9, NULL);
			if (!strcmp(url, "/healthz")) {
				int64_t counts[5];
				queue_counts(w->d->queue, counts);
				return counts[0] < 0 ? reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "queue unavailable\n", 18, NULL)
						     : reply(c, MHD_HTTP_OK, "text/plain", "ok\n", 3, NULL);
			} else {
				size_t len = 0;
				char *text = metrics_render(w->d, &len);
				enum MHD_Result rc = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", text ? text : "", text ? len : 0, NULL);
				free(text);
				return rc;
			}
		}
		metrics_http(kind ? "webhook" : "other");
		if (!kind)
			return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n", 10, NULL);
		if (strcmp(method, "POST"))
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "POST only\n", 10, NULL);
		g = daemon_gen_get(w->d);
		max = g->cfg->max_body;
		daemon_gen_put(w->d, g);
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > max) {
			/* answered before the body is read: MHD closes the connection after */
			metrics_delivery(kind, DELIVERY_TOO_LARGE);
			dlog("warning", "webhook refused: body too large", json_pack("{s:s,s:s}", "forge",
				pysec_forge_kind_name(kind), "length", cl));
			return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "application/json", "{\"error\":\"body too large\"}", 26, NULL);
		}
		up = calloc(1, sizeof(*up));
		if (!up)
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size) {
		g = daemon_gen_get(w->d);
		max = g->cfg->max_body;
		daemon_gen_put(w->d, g);
		if (up->len + *upload_data_size > max) {
			up->too_large = 1;	/* the rest is read and dropped */
		} else if (!up->too_large) {
			if (up->len + *upload_data_size > up->cap) {
				size_t cap = up->cap ? up->cap : 16384;
				char *grown;
				while (cap < up->len + *upload_data_size)
					cap *= 2;
				if (!(grown = realloc(up->data, cap)))
					return MHD_NO;
				up->data = grown;
				up->cap = cap;
			}
			memcpy(up->data + up->len, upload_data, *upload_data_size);
			up->len += *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (up->too_large) {
		metrics_delivery(kind, DELIVERY_TOO_LARGE);
		dlog("warning", "webhook refused: body too large", json_pack("{s:s}", "forge", pysec_forge_kind_name(kind)));
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "application/json", "{\"error\":\"body too large\"}", 26, NULL);
	}
	return webhook(w, c, hf, up);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	if (up) {
		free(up->data);
		free(up);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages, as log lines */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	dlog("warning", "http", json_pack("{s:s}", "detail", msg));
}

int webhookd_start(struct webhookd **out, struct daemon *d, const char *addr, int fd, unsigned *port,
	char *err, size_t errlen)
{
	struct webhookd *w = dcheck(calloc(1, sizeof(*w)));
	struct addrinfo hints, *res = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	char host[256];
	const char *colon;

	w->d = d;
	if (fd < 0) {
		int rc;
		colon = strrchr(addr, ':');
		if (!colon || colon == addr || !colon[1]) {
			snprintf(err, errlen, "pysec.daemon.listen is host:port, not '%s'", addr);
			free(w);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
		if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
			snprintf(err, errlen, "pysec.daemon.listen '%s': %s", addr, gai_strerror(rc));
			free(w);
			return -1;
		}
		if (res->ai_family == AF_INET6)
			flags |= MHD_USE_IPv6;
	}
	/* the listening socket: systemd's, or one bound here */
	if (fd >= 0)
		w->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, w,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	else
		w->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, w,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, res->ai_addr,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (res)
		freeaddrinfo(res);
	if (!w->mhd) {
		snprintf(err, errlen, "cannot listen on %s: %s", fd >= 0 ? "the socket from systemd" : addr, strerror(errno));
		free(w);
		return -1;
	}
	info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : 0;
	*out = w;
	return 0;
}

void webhookd_stop(struct webhookd *w)
{
	if (!w)
		return;
	/* waits for the handlers in flight: an accepted delivery is committed and answered */
	MHD_stop_daemon(w->mhd);
	free(w);
}
