/*
 * webhook.c: the HTTP listener (libmicrohttpd).
 *
 *   POST /webhook/gitlab   GitLab merge request hooks
 *   POST /webhook/gitea    Gitea pull request hooks
 *   POST /webhook/github   GitHub pull request hooks (delivery.c: how each is authenticated and read)
 *   GET  /healthz          200 "ok" while the queue can be written, else 503 and why
 *   GET  /metrics          Prometheus text
 *
 * What a delivery asks for is read by delivery.c; anything that fails
 * authentication is answered 401 and logged.  Bodies past pysec.daemon.maxBody get
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

struct webhookd {
	struct daemon *d;
	struct MHD_Daemon *mhd;
};

/* One request's body as it arrives. */
struct upload {
	struct buf body;	/* capped at pysec.daemon.maxBody when the request came */
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

static const char *mhd_header(const char *name, void *payload)
{
	return MHD_lookup_connection_value(payload, MHD_HEADER_KIND, name);
}

static enum MHD_Result webhook(struct webhookd *w, struct MHD_Connection *c, pysec_forge_kind kind,
	const struct upload *up)
{
	struct generation *g = daemon_gen_get(w->d);
	const struct forge_conf *fc = dconfig_forge(g->cfg, kind);
	const char *forge = pysec_forge_kind_name(kind), *why;
	const struct project_map *map = NULL;
	enum queue_add_result added;
	enum delivery_verdict verdict;
	struct delivery dv;
	char addr[64];
	int64_t job = 0;
	enum MHD_Result rc;

	remote_addr(c, addr, sizeof(addr));
	verdict = delivery_read(&dv, kind, fc->secret, mhd_header, c, buf_cstr(&up->body), up->body.len);
	why = dv.why;
	if (verdict == DELIVERY_UNAUTHENTIC) {
		metrics_delivery(kind, DELIVERY_UNAUTHORIZED);
		dlog("warning", "webhook refused", json_pack("{s:s,s:s,s:s}", "forge", forge, "remote", addr, "why", why));
		rc = reply_json(c, MHD_HTTP_UNAUTHORIZED, json_pack("{s:s}", "error", "unauthorized"), NULL);
		goto done;
	}
	if (verdict == DELIVERY_NOT_FOR_US && !dv.root) {
		metrics_delivery(kind, DELIVERY_IGNORED);
		dlog("info", "webhook ignored", json_pack("{s:s,s:s?,s:s}", "forge", forge, "event", dv.event, "why", "another event"));
		rc = reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s}", "status", "ignored", "why", why), NULL);
		goto done;
	}
	if (verdict == DELIVERY_MALFORMED) {
		metrics_delivery(kind, DELIVERY_BAD_REQUEST);
		dlog("warning", "webhook: bad payload", json_pack("{s:s,s:s,s:s}", "forge", forge, "remote", addr, "why",
			*dv.jerror ? dv.jerror : why));
		rc = reply_json(c, MHD_HTTP_BAD_REQUEST, json_pack("{s:s}", "error", why), NULL);
		goto done;
	}
	if (verdict == DELIVERY_NOT_FOR_US || !(map = dconfig_project(g->cfg, kind, dv.project, dv.alt))) {
		if (verdict == DELIVERY_TO_REVIEW)
			why = "no repository is mapped to this project (pysec.daemon.project)";
		metrics_delivery(kind, DELIVERY_IGNORED);
		dlog("info", "webhook ignored", json_pack("{s:s,s:s?,s:I,s:s?,s:s}", "forge", forge, "project", dv.project,
			"request", (json_int_t)dv.number, "action", dv.action, "why", why));
		rc = reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s}", "status", "ignored", "why", why), NULL);
		goto done;
	}
	/* the job names the project as the mapping does (a GitLab path, or its numeric id: the API takes both) */
	if (queue_add(w->d->queue, dv.id, kind, map->project, dv.number, dv.head ? dv.head : "", g->cfg->max_pending,
		      &added, &job) < 0) {
		metrics_delivery(kind, DELIVERY_ERROR);
		dlog("error", "webhook: the queue failed", json_pack("{s:s,s:s}", "forge", forge, "delivery", dv.id));
		rc = reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s}", "error", "queue unavailable"), "30");
		goto done;
	}
	if (added == QUEUE_FULL) {
		metrics_delivery(kind, DELIVERY_FULL);
		dlog("warning", "webhook: queue full", json_pack("{s:s,s:s}", "forge", forge, "delivery", dv.id));
		rc = reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s}", "error", "too many pending reviews"), "60");
		goto done;
	}
	metrics_delivery(kind, added == QUEUE_ADDED ? DELIVERY_QUEUED : added == QUEUE_MERGED ? DELIVERY_MERGED :
		DELIVERY_DUPLICATE);
	dlog("info", "webhook accepted", json_pack("{s:s,s:s,s:I,s:s?,s:s,s:s,s:I}", "forge", forge, "project", dv.project,
		"request", (json_int_t)dv.number, "head", dv.head, "delivery", dv.id,
		"status", added == QUEUE_ADDED ? "queued" : added == QUEUE_MERGED ? "merged" : "duplicate", "job", (json_int_t)job));
	rc = reply_json(c, added == QUEUE_DUPLICATE ? MHD_HTTP_OK : MHD_HTTP_ACCEPTED,
		json_pack("{s:s,s:I}", "status", added == QUEUE_ADDED ? "queued" : added == QUEUE_MERGED ? "merged" : "duplicate",
			"job", (json_int_t)job), NULL);
done:
	delivery_clear(&dv);
	daemon_gen_put(w->d, g);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct webhookd *w = cls;
	struct upload *up = *con_cls;
	pysec_forge_kind kind = delivery_kind_of_path(url);
	struct generation *g;
	size_t max;

	if (!up) {
		const char *cl;
		if (!strcmp(url, "/healthz") || !strcmp(url, "/metrics")) {
			metrics_http(url + 1);
			if (strcmp(method, "GET") && strcmp(method, "HEAD"))
				return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n", 9, NULL);
			if (!strcmp(url, "/healthz")) {
				/* a probe write: the queue that deliveries go to can be written now */
				char why[300], text[400];
				int n;
				if (queue_health(w->d->queue, why, sizeof(why)) == 0)
					return reply(c, MHD_HTTP_OK, "text/plain", "ok\n", 3, NULL);
				n = snprintf(text, sizeof(text), "the queue cannot be written: %s\n", why);
				return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", text, (size_t)n, NULL);
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
		up = xcalloc(1, sizeof(*up));
		up->body = (struct buf)BUF_INIT(max);
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* past the cap, the rest is read and dropped */
		if (!up->too_large && buf_put(&up->body, upload_data, *upload_data_size) < 0)
			up->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (up->too_large) {
		metrics_delivery(kind, DELIVERY_TOO_LARGE);
		dlog("warning", "webhook refused: body too large", json_pack("{s:s}", "forge", pysec_forge_kind_name(kind)));
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "application/json", "{\"error\":\"body too large\"}", 26, NULL);
	}
	return webhook(w, c, kind, up);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	if (up) {
		buf_free(&up->body);
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

/* `addr`, "host:port" ("[v6]:port" too), as the address to bind. */
static int listen_address(struct addrinfo **out, const char *addr)
{
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints;
	char host[256];
	int rc;

	*out = NULL;
	if (!colon || colon == addr || !colon[1])
		return error_set(PYSEC_EINVALID, "pysec.daemon.listen is host:port, not '%s'", addr);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, colon + 1, &hints, out)) != 0)
		return error_set(PYSEC_EINVALID, "pysec.daemon.listen '%s': %s", addr, gai_strerror(rc));
	return 0;
}

int webhookd_start(struct webhookd **out, struct daemon *d, const char *addr, int fd, unsigned *port)
{
	struct webhookd *w = xcalloc(1, sizeof(*w));
	struct addrinfo *res = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	int rc = 0;

	w->d = d;
	if (fd < 0) {
		if ((rc = listen_address(&res, addr)) < 0)
			goto cleanup;
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
	if (!w->mhd) {
		rc = error_set(PYSEC_ERROR, "cannot listen on %s: %s", fd >= 0 ? "the socket from systemd" : addr,
			strerror(errno));
		goto cleanup;
	}
	info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : 0;
	*out = w;
	w = NULL;
cleanup:
	if (res)
		freeaddrinfo(res);
	free(w);
	return rc;
}

void webhookd_stop(struct webhookd *w)
{
	if (!w)
		return;
	/* waits for the handlers in flight: an accepted delivery is committed and answered */
	MHD_stop_daemon(w->mhd);
	free(w);
}
