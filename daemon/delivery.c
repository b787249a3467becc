/*
 * delivery.c: what a webhook delivery asks for, from its headers and body
 * alone: is it authentic, is it an event to review, which request and head,
 * and the key that makes a second delivery of it a duplicate.  No network,
 * no queue: webhook.c answers the HTTP request and queues the job, and the
 * fuzz target (fuzz/fuzz_webhook.c) calls this directly.
 *
 * A delivery is authenticated before its body is parsed.
 */
#include "daemon.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/* GitLab: the token as configured; both sides hashed first, so that the comparison's time says nothing of the length. */
static int gitlab_authentic(const char *secret, const char *given)
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

/* Gitea: the hex HMAC-SHA256 of the raw body, keyed with the secret. */
static int gitea_authentic(const char *secret, const char *given, const char *body, size_t len)
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

static void body_digest(const char *body, size_t len, char out[65])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)body, len, d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/*
 * The fields of a merge request or pull request event: 1 when it is one to
 * review, 0 when it is to be ignored, -1 when it is malformed (with why).
 */
static int parse_event(struct delivery *dv, json_t *root)
{
	if (dv->kind == PYSEC_FORGE_GITLAB) {
		json_t *oa = json_object_get(root, "object_attributes"), *proj = json_object_get(root, "project");
		json_t *iid = json_object_get(oa, "iid"), *id = json_object_get(proj, "id");
		const char *kind = json_string_value(json_object_get(root, "object_kind"));
		if (!kind || strcmp(kind, "merge_request")) {
			dv->why = "not a merge request event";
			return 0;
		}
		dv->action = json_string_value(json_object_get(oa, "action"));
		dv->project = json_string_value(json_object_get(proj, "path_with_namespace"));
		dv->head = json_string_value(json_object_get(json_object_get(oa, "last_commit"), "id"));
		if (json_is_integer(id))
			snprintf(dv->alt, sizeof(dv->alt), "%lld", (long long)json_integer_value(id));
		if (!dv->project || !json_is_integer(iid) || json_integer_value(iid) <= 0 || !dv->action) {
			dv->why = "a merge request event without project, iid or action";
			return -1;
		}
		dv->number = (uint64_t)json_integer_value(iid);
		/* rescan on open, reopen, and an update that moved the head (oldrev is there) */
		if (strcmp(dv->action, "open") && strcmp(dv->action, "reopen") &&
		    !(!strcmp(dv->action, "update") && json_object_get(oa, "oldrev"))) {
			dv->why = "an action that changes no code";
			return 0;
		}
		return 1;
	}
	dv->action = json_string_value(json_object_get(root, "action"));
	dv->project = json_string_value(json_object_get(json_object_get(root, "repository"), "full_name"));
	dv->head = json_string_value(json_object_get(json_object_get(json_object_get(root, "pull_request"), "head"), "sha"));
	if (!dv->project || !json_is_integer(json_object_get(root, "number")) ||
	    json_integer_value(json_object_get(root, "number")) <= 0 || !dv->action) {
		dv->why = "a pull request event without repository, number or action";
		return -1;
	}
	dv->number = (uint64_t)json_integer_value(json_object_get(root, "number"));
	if (strcmp(dv->action, "opened") && strcmp(dv->action, "reopened") && strcmp(dv->action, "synchronized")) {
		dv->why = "an action that changes no code";
		return 0;
	}
	return 1;
}

enum delivery_verdict delivery_read(struct delivery *out, pysec_forge_kind kind, const char *secret,
	delivery_header_fn header, void *payload, const char *body, size_t len)
{
	int gitlab = kind == PYSEC_FORGE_GITLAB;
	const char *auth = header(gitlab ? "X-Gitlab-Token" : "X-Gitea-Signature", payload), *event, *key;
	json_error_t jerr;
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (!(gitlab ? gitlab_authentic(secret, auth) : gitea_authentic(secret, auth, body, len))) {
		out->why = !secret ? "no webhook secret is configured for this forge" : auth ? "bad secret" : "no secret sent";
		return DELIVERY_UNAUTHENTIC;
	}
	event = header(gitlab ? "X-Gitlab-Event" : "X-Gitea-Event", payload);
	if (!event || strcmp(event, gitlab ? "Merge Request Hook" : "pull_request")) {
		out->event = event;
		out->why = "not a merge or pull request event";
		return DELIVERY_NOT_FOR_US;
	}
	out->event = event;
	if (!(out->root = json_loadb(body, len, 0, &jerr))) {
		snprintf(out->jerror, sizeof(out->jerror), "%s", jerr.text);
		out->why = "the body is not JSON";
		return DELIVERY_MALFORMED;
	}
	if ((rc = parse_event(out, out->root)) <= 0)
		return rc < 0 ? DELIVERY_MALFORMED : DELIVERY_NOT_FOR_US;
	/* de-duplication: the forge's delivery id, else the body itself */
	key = header(gitlab ? "Idempotency-Key" : "X-Gitea-Delivery", payload);
	if (!key || !*key || strlen(key) > 256) {
		body_digest(body, len, out->digest);
		key = out->digest;
	}
	snprintf(out->id, sizeof(out->id), "%s:%s", pysec_forge_kind_name(kind), key);
	return DELIVERY_TO_REVIEW;
}

void delivery_clear(struct delivery *dv)
{
	json_decref(dv->root);
	memset(dv, 0, sizeof(*dv));
}
