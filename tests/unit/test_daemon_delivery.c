/*
 * test_daemon_delivery.c: what a webhook delivery asks for (daemon/delivery.c),
 * from its headers and body alone: authentication on each forge (GitHub's
 * documented example signature among them), the events and actions that
 * are reviewed, malformed bodies, and the key that makes a second delivery
 * a duplicate.  (The listener around it is tested in tests/t/t41, t42.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon.h"

#include <strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/* A request's headers: name, value, ..., NULL. */
static const char *header(const char *name, void *payload)
{
	const char *const *h = payload;

	for (; *h; h += 2)
		if (!strcasecmp(*h, name))
			return h[1];
	return NULL;
}

static enum delivery_verdict read_one(struct delivery *dv, pysec_forge_kind kind, const char *secret,
	const char **headers, const char *body)
{
	return delivery_read(dv, kind, secret, header, headers, body, strlen(body));
}

/* The hex HMAC-SHA256 of `body` with `secret`, after `prefix`. */
static void sign(char *out, const char *prefix, const char *secret, const char *body)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), mac, &len));
	out += snprintf(out, 16, "%s", prefix);
	for (i = 0; i < len; i++)
		out += snprintf(out, 3, "%02x", mac[i]);
}

static const char gitlab_open[] =
	"{\"object_kind\":\"merge_request\",\"project\":{\"id\":42,\"path_with_namespace\":\"group/app\"},"
	"\"object_attributes\":{\"iid\":7,\"action\":\"open\",\"last_commit\":{\"id\":\"abc123\"}}}";

static void gitlab(void **state)
{
	const char *h[] = { "X-Gitlab-Event", "Merge Request Hook", "X-Gitlab-Token", "tok", "Idempotency-Key", "k-1", NULL };
	struct delivery dv;

	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", h, gitlab_open), DELIVERY_TO_REVIEW);
	assert_string_equal(dv.project, "group/app");
	assert_string_equal(dv.alt, "42");
	assert_int_equal(dv.number, 7);
	assert_string_equal(dv.head, "abc123");
	assert_string_equal(dv.action, "open");
	assert_string_equal(dv.id, "gitlab:k-1");
	delivery_clear(&dv);

	/* an update is reviewed when it moved the head (oldrev), not when it changed the title */
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", h,
		"{\"object_kind\":\"merge_request\",\"project\":{\"path_with_namespace\":\"g/a\"},"
		"\"object_attributes\":{\"iid\":7,\"action\":\"update\",\"oldrev\":\"0ld\"}}"), DELIVERY_TO_REVIEW);
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", h,
		"{\"object_kind\":\"merge_request\",\"project\":{\"path_with_namespace\":\"g/a\"},"
		"\"object_attributes\":{\"iid\":7,\"action\":\"update\"}}"), DELIVERY_NOT_FOR_US);
	assert_string_equal(dv.why, "an action that changes no code");
	assert_non_null(dv.root);
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", h,
		"{\"object_kind\":\"merge_request\",\"project\":{\"path_with_namespace\":\"g/a\"},"
		"\"object_attributes\":{\"iid\":7,\"action\":\"close\"}}"), DELIVERY_NOT_FOR_US);
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", h, "{\"object_kind\":\"note\"}"), DELIVERY_NOT_FOR_US);
	assert_string_equal(dv.why, "not a merge request event");
	delivery_clear(&dv);
}

static void gitlab_refusals(void **state)
{
	const char *wrong[] = { "X-Gitlab-Event", "Merge Request Hook", "X-Gitlab-Token", "tok2", NULL };
	const char *none[] = { "X-Gitlab-Event", "Merge Request Hook", NULL };
	const char *push[] = { "X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "tok", NULL };
	const char *ok[] = { "X-Gitlab-Event", "Merge Request Hook", "X-Gitlab-Token", "tok", NULL };
	struct delivery dv;

	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", wrong, gitlab_open), DELIVERY_UNAUTHENTIC);
	assert_string_equal(dv.why, "bad secret");
	assert_null(dv.root);	/* not parsed before it is authentic */
	delivery_clear(&dv);
	/* a prefix of the token is not the token */
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok2", ok, gitlab_open), DELIVERY_UNAUTHENTIC);
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", none, gitlab_open), DELIVERY_UNAUTHENTIC);
	assert_string_equal(dv.why, "no secret sent");
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, NULL, ok, gitlab_open), DELIVERY_UNAUTHENTIC);
	assert_string_equal(dv.why, "no webhook secret is configured for this forge");
	delivery_clear(&dv);

	/* another event: ignored without reading the body */
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", push, "not json"), DELIVERY_NOT_FOR_US);
	assert_null(dv.root);
	delivery_clear(&dv);

	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", ok, "{\"object_kind\":"), DELIVERY_MALFORMED);
	assert_string_equal(dv.why, "the body is not JSON");
	assert_true(dv.jerror[0] != '\0');
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", ok,
		"{\"object_kind\":\"merge_request\",\"project\":{\"path_with_namespace\":\"g/a\"},"
		"\"object_attributes\":{\"iid\":0,\"action\":\"open\"}}"), DELIVERY_MALFORMED);
	assert_string_equal(dv.why, "a merge request event without project, iid or action");
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITLAB, "tok", ok,
		"{\"object_kind\":\"merge_request\",\"object_attributes\":{\"iid\":3,\"action\":\"open\"}}"),
		DELIVERY_MALFORMED);
	delivery_clear(&dv);
}

/*
 * GitHub's own example (docs.github.com, "Validating webhook deliveries"):
 * the secret "It's a Secret to Everybody" and the payload "Hello, World!"
 * give this signature.  The payload is no JSON: authentic, then malformed.
 */
static void github_documented_signature(void **state)
{
	const char *h[] = { "X-GitHub-Event", "pull_request", "X-Hub-Signature-256",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", NULL };
	const char *bad[] = { "X-GitHub-Event", "pull_request", "X-Hub-Signature-256",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18", NULL };
	const char *sha1[] = { "X-GitHub-Event", "pull_request", "X-Hub-Signature-256",
		"sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", NULL };
	const char *bare[] = { "X-GitHub-Event", "pull_request", "X-Hub-Signature-256",
		"757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", NULL };
	struct delivery dv;

	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "It's a Secret to Everybody", h, "Hello, World!"),
		DELIVERY_MALFORMED);
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "It's a Secret to Everybody", bad, "Hello, World!"),
		DELIVERY_UNAUTHENTIC);
	assert_string_equal(dv.why, "bad secret");
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "It's a Secret to Everybody", sha1, "Hello, World!"),
		DELIVERY_UNAUTHENTIC);
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "It's a Secret to Everybody", bare, "Hello, World!"),
		DELIVERY_UNAUTHENTIC);
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "another secret", h, "Hello, World!"), DELIVERY_UNAUTHENTIC);
	delivery_clear(&dv);
}

static const char pull_request_fmt[] =
	"{\"action\":\"%s\",\"number\":12,\"repository\":{\"full_name\":\"o/r\"},\"pull_request\":{\"head\":{\"sha\":\"f00\"}}}";

/* `action` on `kind`, signed as that forge signs, with `id` as the delivery's id (or none). */
static enum delivery_verdict pull_request(struct delivery *dv, pysec_forge_kind kind, const char *action, const char *id,
	int hub)
{
	static char body[512], sig[128];
	static const char *h[9];
	size_t n = 0;

	snprintf(body, sizeof(body), pull_request_fmt, action);
	h[n++] = kind == PYSEC_FORGE_GITEA ? "X-Gitea-Event" : "X-GitHub-Event";
	h[n++] = "pull_request";
	if (kind == PYSEC_FORGE_GITEA && !hub) {
		sign(sig, "", "s", body);
		h[n++] = "X-Gitea-Signature";
	} else {
		sign(sig, "sha256=", "s", body);
		h[n++] = "X-Hub-Signature-256";
	}
	h[n++] = sig;
	if (id) {
		h[n++] = kind == PYSEC_FORGE_GITEA ? "X-Gitea-Delivery" : "X-GitHub-Delivery";
		h[n++] = id;
	}
	h[n] = NULL;
	return read_one(dv, kind, "s", h, body);
}

/* What each forge's action is taken for: Gitea's name for new commits is not GitHub's. */
static const struct {
	pysec_forge_kind kind;
	const char *action;
	int hub;	/* Gitea: signed with X-Hub-Signature-256 instead of X-Gitea-Signature */
	enum delivery_verdict verdict;
} actions[] = {
	{ PYSEC_FORGE_GITHUB, "opened", 0, DELIVERY_TO_REVIEW },
	{ PYSEC_FORGE_GITHUB, "reopened", 0, DELIVERY_TO_REVIEW },
	{ PYSEC_FORGE_GITHUB, "synchronized", 0, DELIVERY_NOT_FOR_US },
	{ PYSEC_FORGE_GITHUB, "closed", 0, DELIVERY_NOT_FOR_US },
	{ PYSEC_FORGE_GITEA, "opened", 1, DELIVERY_TO_REVIEW },
	{ PYSEC_FORGE_GITEA, "reopened", 0, DELIVERY_TO_REVIEW },
	{ PYSEC_FORGE_GITEA, "synchronize", 0, DELIVERY_NOT_FOR_US },
	{ PYSEC_FORGE_GITEA, "edited", 1, DELIVERY_NOT_FOR_US },
};

static void pull_requests(void **state)
{
	struct delivery dv;
	char longid[300], digest[65];
	unsigned char d[SHA256_DIGEST_LENGTH];
	char body[512];
	size_t i;

	assert_int_equal(pull_request(&dv, PYSEC_FORGE_GITHUB, "synchronize", "d-1", 0), DELIVERY_TO_REVIEW);
	assert_string_equal(dv.project, "o/r");
	assert_int_equal(dv.number, 12);
	assert_string_equal(dv.head, "f00");
	assert_string_equal(dv.id, "github:d-1");
	delivery_clear(&dv);
	assert_int_equal(pull_request(&dv, PYSEC_FORGE_GITEA, "synchronized", "g-1", 0), DELIVERY_TO_REVIEW);
	assert_string_equal(dv.id, "gitea:g-1");
	delivery_clear(&dv);
	assert_int_equal(pull_request(&dv, PYSEC_FORGE_GITHUB, "edited", "d", 0), DELIVERY_NOT_FOR_US);
	assert_string_equal(dv.why, "an action that changes no code");
	delivery_clear(&dv);
	for (i = 0; i < ARRAY_SIZE(actions); i++) {
		if (pull_request(&dv, actions[i].kind, actions[i].action, "d", actions[i].hub) != actions[i].verdict)
			fail_msg("%s %s", pysec_forge_kind_name(actions[i].kind), actions[i].action);
		delivery_clear(&dv);
	}

	/* no delivery id, or one too long to be one: the body's sha256 is the key */
	snprintf(body, sizeof(body), pull_request_fmt, "opened");
	SHA256((const unsigned char *)body, strlen(body), d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(digest + 2 * i, 3, "%02x", d[i]);
	assert_int_equal(pull_request(&dv, PYSEC_FORGE_GITHUB, "opened", NULL, 0), DELIVERY_TO_REVIEW);
	assert_string_equal(dv.id + strlen("github:"), digest);
	delivery_clear(&dv);
	memset(longid, 'x', 257);
	longid[257] = '\0';
	assert_int_equal(pull_request(&dv, PYSEC_FORGE_GITHUB, "opened", longid, 0), DELIVERY_TO_REVIEW);
	assert_string_equal(dv.id + strlen("github:"), digest);
	delivery_clear(&dv);
}

static void pull_request_refusals(void **state)
{
	const char body[] = "{\"action\":\"opened\",\"number\":-1,\"repository\":{\"full_name\":\"o/r\"}}";
	char sig[128];
	const char *h[] = { "X-GitHub-Event", "pull_request", "X-Hub-Signature-256", sig, NULL };
	const char *push[] = { "X-GitHub-Event", "push", "X-Hub-Signature-256", sig, NULL };
	struct delivery dv;

	sign(sig, "sha256=", "s", body);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "s", h, body), DELIVERY_MALFORMED);
	assert_string_equal(dv.why, "a pull request event without repository, number or action");
	delivery_clear(&dv);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "s", push, body), DELIVERY_NOT_FOR_US);
	assert_string_equal(dv.why, "not a merge or pull request event");
	delivery_clear(&dv);
	/* Gitea's signature without the prefix is no GitHub signature */
	sign(sig, "", "s", body);
	assert_int_equal(read_one(&dv, PYSEC_FORGE_GITHUB, "s", h, body), DELIVERY_UNAUTHENTIC);
	delivery_clear(&dv);
}

static void paths(void **state)
{
	assert_int_equal(delivery_kind_of_path("/webhook/gitlab"), PYSEC_FORGE_GITLAB);
	assert_int_equal(delivery_kind_of_path("/webhook/gitea"), PYSEC_FORGE_GITEA);
	assert_int_equal(delivery_kind_of_path("/webhook/github"), PYSEC_FORGE_GITHUB);
	assert_int_equal(delivery_kind_of_path("/webhook/github/"), 0);
	assert_int_equal(delivery_kind_of_path("/webhook/GitHub"), 0);
	assert_int_equal(delivery_kind_of_path("/webhook"), 0);
	assert_int_equal(delivery_kind_of_path(""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gitlab),
		cmocka_unit_test(gitlab_refusals),
		cmocka_unit_test(github_documented_signature),
		cmocka_unit_test(pull_requests),
		cmocka_unit_test(pull_request_refusals),
		cmocka_unit_test(paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
