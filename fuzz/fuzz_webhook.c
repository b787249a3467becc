/*
 * fuzz_webhook.c: any bytes as a webhook delivery, headers and body, read
 * as the daemon reads it (daemon/delivery.c).
 *
 * The first byte chooses the forge (bit 2: GitHub, else bit 0: Gitea, else
 * GitLab) and whether the delivery carries the right token or signature
 * (bit 1; bit 3: Gitea's in X-Hub-Signature-256 rather than
 * X-Gitea-Signature), computed here over the body as the forge would, so
 * that the parsing behind the authentication is reached too; otherwise
 * whatever the headers say is checked.  Then "Name: value" lines up to an
 * empty line, then the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "daemon.h"

#define SECRET "fuzz-secret"
#define MAX_HEADERS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct headers {
	char *name[MAX_HEADERS], *value[MAX_HEADERS];
	size_t n;
	char signature[65], hub[72];	/* the hex HMAC-SHA256 of the body; "sha256=" and it */
	pysec_forge_kind kind;
	const char *signed_as;		/* the header that carries the right secret, or NULL */
};

static const char *lookup(const char *name, void *payload)
{
	struct headers *h = payload;
	size_t i;

	if (h->signed_as && !strcasecmp(name, h->signed_as))
		return h->kind == PYSEC_FORGE_GITLAB ? SECRET : !strcmp(h->signed_as, "X-Hub-Signature-256") ? h->hub :
		       h->signature;
	for (i = 0; i < h->n; i++)
		if (!strcasecmp(h->name[i], name))
			return h->value[i];
	return NULL;
}

/* The delivery holds the right secret, in a header its forge reads. */
static int holds_secret(struct headers *h)
{
	const char *token = lookup("X-Gitlab-Token", h), *sig = lookup("X-Gitea-Signature", h);
	const char *hub = lookup("X-Hub-Signature-256", h);
	int hub_right = hub && !strncmp(hub, "sha256=", 7) && !strcasecmp(hub + 7, h->signature);

	if (h->kind == PYSEC_FORGE_GITLAB)
		return token && !strcmp(token, SECRET);
	if (h->kind == PYSEC_FORGE_GITEA)
		return (sig && !strcasecmp(sig, h->signature)) || hub_right;
	return hub_right;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct headers h;
	struct delivery dv;
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	enum delivery_verdict v;

	if (size < 1)
		return 0;
	memset(&h, 0, sizeof(h));
	h.kind = data[0] & 4 ? PYSEC_FORGE_GITHUB : data[0] & 1 ? PYSEC_FORGE_GITEA : PYSEC_FORGE_GITLAB;
	if (data[0] & 2)
		h.signed_as = h.kind == PYSEC_FORGE_GITLAB ? "X-Gitlab-Token" :
			      h.kind == PYSEC_FORGE_GITEA && !(data[0] & 8) ? "X-Gitea-Signature" : "X-Hub-Signature-256";
	while (p < end && *p != '\n' && h.n < MAX_HEADERS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *colon;
		if (!nl)
			nl = end;
		colon = memchr(p, ':', (size_t)(nl - p));
		if (colon) {
			const char *val = colon + 1;
			while (val < nl && *val == ' ')
				val++;
			h.name[h.n] = strndup(p, (size_t)(colon - p));
			h.value[h.n] = strndup(val, (size_t)(nl - val));
			h.n++;
		}
		p = nl < end ? nl + 1 : end;
	}
	if (p < end && *p == '\n')
		p++;
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)p, (size_t)(end - p), mac, &maclen);
	for (i = 0; i < maclen && i < 32; i++)
		snprintf(h.signature + 2 * i, 3, "%02x", mac[i]);
	snprintf(h.hub, sizeof(h.hub), "sha256=%s", h.signature);
	v = delivery_read(&dv, h.kind, SECRET, lookup, &h, p, (size_t)(end - p));
	if (v == DELIVERY_TO_REVIEW && (!dv.project || !dv.number || !*dv.id))
		abort();	/* a job needs its project, its request and a delivery id */
	if (v != DELIVERY_TO_REVIEW && !dv.why)
		abort();	/* anything else is logged with its reason */
	if (v != DELIVERY_UNAUTHENTIC && !holds_secret(&h))
		abort();	/* a wrong secret never passes */
	if (h.signed_as && v == DELIVERY_UNAUTHENTIC)
		abort();	/* and the right one always does */
	delivery_clear(&dv);
	for (i = 0; i < h.n; i++) {
		free(h.name[i]);
		free(h.value[i]);
	}
	return 0;
}
