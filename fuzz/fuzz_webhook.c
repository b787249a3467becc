/*
 * fuzz_webhook.c: any bytes as a webhook delivery, headers and body, read
 * as the daemon reads it (daemon/delivery.c).
 *
 * The first byte chooses the forge (bit 0: GitLab or Gitea) and whether the
 * delivery carries the right token or signature (bit 1), computed here
 * over the body as the forge would, so that the parsing behind the
 * authentication is reached too; otherwise whatever the headers say is
 * checked.  Then "Name: value" lines up to an empty line, then the body.
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
	char signature[65];
	pysec_forge_kind kind;
	int signed_right;
};

static const char *lookup(const char *name, void *payload)
{
	struct headers *h = payload;
	size_t i;

	if (h->signed_right && !strcasecmp(name, h->kind == PYSEC_FORGE_GITLAB ? "X-Gitlab-Token" : "X-Gitea-Signature"))
		return h->kind == PYSEC_FORGE_GITLAB ? SECRET : h->signature;
	for (i = 0; i < h->n; i++)
		if (!strcasecmp(h->name[i], name))
			return h->value[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct headers h;
	struct delivery dv;
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	enum delivery_verdict v;
	const char *auth;

	if (size < 1)
		return 0;
	memset(&h, 0, sizeof(h));
	h.kind = data[0] & 1 ? PYSEC_FORGE_GITEA : PYSEC_FORGE_GITLAB;
	h.signed_right = (data[0] & 2) != 0;
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
	v = delivery_read(&dv, h.kind, SECRET, lookup, &h, p, (size_t)(end - p));
	if (v == DELIVERY_TO_REVIEW && (!dv.project || !dv.number || !*dv.id))
		abort();	/* a job needs its project, its request and a delivery id */
	if (v != DELIVERY_TO_REVIEW && !dv.why)
		abort();	/* anything else is logged with its reason */
	auth = lookup(h.kind == PYSEC_FORGE_GITLAB ? "X-Gitlab-Token" : "X-Gitea-Signature", &h);
	if (v != DELIVERY_UNAUTHENTIC && (!auth || (h.kind == PYSEC_FORGE_GITLAB ? strcmp(auth, SECRET) :
						   strcasecmp(auth, h.signature))))
		abort();	/* a wrong secret never passes */
	if (h.signed_right && v == DELIVERY_UNAUTHENTIC)
		abort();	/* and the right one always does */
	delivery_clear(&dv);
	for (i = 0; i < h.n; i++) {
		free(h.name[i]);
		free(h.value[i]);
	}
	return 0;
}
