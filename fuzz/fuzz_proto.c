/*
 * fuzz_proto.c: any bytes as what comes over the daemon's Unix socket:
 * a request as the daemon reads it (daemon/hooks.c), and an answer as the
 * hook reads it (proto/proto.c) (a daemon, or whatever listens on pysec.daemonSocket).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pysec_proto.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY", "GL_PROTOCOL",
		"GL_USERNAME", "GIT_PUSH_OPTION_COUNT", "GIT_PUSH_OPTION_0", "" };
	struct proto_request req;
	struct buf out = BUF_INIT(PROTO_MAX_ANSWER);
	size_t i;
	int verdict = -1;

	error_set(0, "%s", "");
	if (proto_request_parse(&req, (const char *)data, size) == 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const char *v = proto_request_env(&req, names[i]);
			if (v && strlen(v) > req.input_len + size)
				abort();	/* a value longer than the request itself */
		}
	} else if (!*error_last()) {
		abort();	/* a refusal always says why */
	}
	proto_request_clear(&req);
	error_set(0, "%s", "");
	if (proto_answer_parse((const char *)data, size, &verdict, &out) == 0) {
		if (verdict != 0 && verdict != 1)
			abort();
	} else if (out.len || !*error_last()) {
		abort();	/* no verdict: nothing for the pusher's screen */
	}
	buf_free(&out);
	return 0;
}
