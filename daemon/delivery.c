/*
 * delivery.c: what a webhook delivery asks for, from its headers and body
 * alone: is it authentic, is it an event to review, which request and head,
 * and the key that makes a second delivery of it a duplicate.  No network,
 * no queue: webhook.c answers the HTTP request and queues the job, and the
 * fuzz target (fuzz/fuzz_webhook.c) calls this directly.  The forges are
 * one table (hook_forges): where each delivers, how it signs, its events.
 *
 *   GitLab   X-Gitlab-Token, the secret itself, compared in constant time
 *   Gitea    X-Gitea-Signature, the hex HMAC-SHA256 of the raw body, or
 *            X-Hub-Signature-256, which Gitea sends too
 *   GitHub   X-Hub-Signature-256, "sha256=" and the hex HMAC-SHA256 of the raw body
 *
 * A delivery is authenticated before its body is parsed.
 */
#include "daemon.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/* GitLab's token as configured; both sides hashed first, so that the comparison's time says nothing of the length. */
static int token_matches(const char *secret, const char *given)
{
	unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];

	if (!secret || !given)
		return 0;
	SHA256((const unsigned char *)secret, strlen(secret), a);
	SHA256((const unsigned char *)given, strlen(given), b);
	return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

/* `given` is the hex HMAC-SHA256 of the raw body, keyed with the secret (compared in constant time). */
static int hmac_matches(const char *secret, const char *given, const char *body, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE], want[32];
	unsigned int maclen = 0;
	size_t wantlen = 0;

	if (!secret || !given || strlen(given) != 64)
		return 0;
	if (!OPENSSL_hexstr2buf_ex(want, sizeof(want), &wantlen, given, '\0') || wantlen != sizeof(want)) {
		ERR_clear_error();	/* OpenSSL queued why: not ours to keep */
		return 0;
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

/* Whether a delivery comes from the forge: 1, else 0 with *sent telling whether it sent any secret at all. */
static int gitlab_authentic(const char *secret, delivery_header_fn header, void *payload, const char *body,
	size_t len, int *sent)
{
	*sent = header("X-Gitlab-Token", payload) != NULL;
	return token_matches(secret, header("X-Gitlab-Token", payload));
}

/* Gitea signs with X-Gitea-Signature and X-Hub-Signature-256 alike: either will do. */
static int gitea_authentic(const char *secret, delivery_header_fn header, void *payload, const char *body,
	size_t len, int *sent)
{
	*sent = header("X-Gitea-Signature", payload) || header("X-Hub-Signature-256", payload);
	return hmac_matches(secret, header("X-Gitea-Signature", payload), body, len) ||
	       hub_matches(secret, header("X-Hub-Signature-256", payload), body, len);
}

static int github_authentic(const char *secret, delivery_header_fn header, void *payload, const char *body,
	size_t len, int *sent)
{
	*sent = header("X-Hub-Signature-256", payload) != NULL;
	return hub_matches(secret, header("X-Hub-Signature-256", payload), body, len);
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
static int gitlab_parse(struct delivery *dv, json_t *root)
{
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

/* Gitea's and GitHub's pull_request payloads have the same shape; the actions that bring new code differ. */
static int pull_request_parse(struct delivery *dv, json_t *root, const char *const *actions)
{
	json_t *number = json_object_get(root, "number");

	dv->action = json_string_value(json_object_get(root, "action"));
	dv->project = json_string_value(json_object_get(json_object_get(root, "repository"), "full_name"));
	dv->head = json_string_value(json_object_get(json_object_get(json_object_get(root, "pull_request"), "head"), "sha"));
	if (!dv->project || !json_is_integer(number) || json_integer_value(number) <= 0 || !dv->action) {
		dv->why = "a pull request event without repository, number or action";
		return -1;
	}
	dv->number = (uint64_t)json_integer_value(number);
	for (; *actions; actions++)
		if (!strcmp(dv->action, *actions))
			return 1;
	dv->why = "an action that changes no code";
	return 0;
}

static int gitea_parse(struct delivery *dv, json_t *root)
{
	static const char *const actions[] = { "opened", "reopened", "synchronized", NULL };

	return pull_request_parse(dv, root, actions);
}

/* https://docs.github.com/webhooks/webhook-events-and-payloads#pull_request: "synchronize", new commits */
static int github_parse(struct delivery *dv, json_t *root)
{
	static const char *const actions[] = { "opened", "reopened", "synchronize", NULL };

	return pull_request_parse(dv, root, actions);
}

/* What differs between the forges' webhooks. */
struct hook_forge {
	pysec_forge_kind kind;
	const char *path;		/* where it is delivered */
	const char *event_header;	/* the header that names the event ... */
	const char *event;		/* ... and the event that is reviewed */
	const char *delivery_header;	/* the delivery's id, for de-duplication */
	int (*authentic)(const char *secret, delivery_header_fn header, void *payload, const char *body, size_t len,
		int *sent);
	int (*parse)(struct delivery *dv, json_t *root);
};

static const struct hook_forge hook_forges[] = {
	{ PYSEC_FORGE_GITLAB, "/webhook/gitlab", "X-Gitlab-Event", "Merge Request Hook", "Idempotency-Key",
	  gitlab_authentic, gitlab_parse },
	{ PYSEC_FORGE_GITEA, "/webhook/gitea", "X-Gitea-Event", "pull_request", "X-Gitea-Delivery",
	  gitea_authentic, gitea_parse },
	{ PYSEC_FORGE_GITHUB, "/webhook/github", "X-GitHub-Event", "pull_request", "X-GitHub-Delivery",
	  github_authentic, github_parse },
};

pysec_forge_kind delivery_kind_of_path(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(hook_forges) / sizeof(hook_forges[0]); i++)
		if (!strcmp(path, hook_forges[i].path))
			return hook_forges[i].kind;
	return 0;
}

enum delivery_verdict delivery_read(struct delivery *out, pysec_forge_kind kind, const char *secret,
	delivery_header_fn header, void *payload, const char *body, size_t len)
{
	const struct hook_forge *hf = NULL;
	const char *key;
	json_error_t jerr;
	size_t i;
	int rc, sent = 0;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	for (i = 0; i < sizeof(hook_forges) / sizeof(hook_forges[0]); i++)
		if (hook_forges[i].kind == kind)
			hf = &hook_forges[i];
	if (!hf || !hf->authentic(secret, header, payload, body, len, &sent)) {
		out->why = !secret ? "no webhook secret is configured for this forge" : sent ? "bad secret" : "no secret sent";
		return DELIVERY_UNAUTHENTIC;
	}
	out->event = header(hf->event_header, payload);
	if (!out->event || strcmp(out->event, hf->event)) {
		out->why = "not a merge or pull request event";
		return DELIVERY_NOT_FOR_US;
	}
	if (!(out->root = json_loadb(body, len, 0, &jerr))) {
		snprintf(out->jerror, sizeof(out->jerror), "%s", jerr.text);
		out->why = "the body is not JSON";
		return DELIVERY_MALFORMED;
	}
	if ((rc = hf->parse(out, out->root)) <= 0)
		return rc < 0 ? DELIVERY_MALFORMED : DELIVERY_NOT_FOR_US;
	/* de-duplication: the forge's delivery id, else the body itself */
	key = header(hf->delivery_header, payload);
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
