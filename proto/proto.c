/* proto.c: the framing of the daemon's Unix socket (pysec_proto.h), and the hook's client. */
#include "pysec_proto.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int proto_frame(struct buf *b, const char *name, const void *data, size_t len)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "%s %zu\n", name, len);

	return buf_put(b, head, (size_t)n) < 0 || buf_put(b, data, len) < 0 || buf_put(b, "\n", 1) < 0 ? -1 : 0;
}

int proto_next(const char **p, const char *end, char name[32], const char **value, size_t *len)
{
	const char *s = *p, *nl, *sp;
	unsigned long long n = 0;

	if (s >= end)
		return 0;
	nl = memchr(s, '\n', (size_t)(end - s) < 64 ? (size_t)(end - s) : 64);
	sp = nl ? memchr(s, ' ', (size_t)(nl - s)) : NULL;
	if (!nl || !sp || sp == s || (size_t)(sp - s) >= 32 || sp + 1 == nl)
		return -1;
	for (const char *d = sp + 1; d < nl; d++) {
		if (*d < '0' || *d > '9' || n > PROTO_MAX_REQUEST)
			return -1;
		n = n * 10 + (unsigned long long)(*d - '0');
	}
	if (n > (unsigned long long)(end - nl - 1) || (unsigned long long)(end - nl - 1) - n < 1 || nl[1 + n] != '\n')
		return -1;
	memcpy(name, s, (size_t)(sp - s));
	name[sp - s] = '\0';
	*value = nl + 1;
	*len = (size_t)n;
	*p = nl + 1 + n + 1;
	return 1;
}

int proto_request_parse(struct proto_request *r, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *v;
	char name[32];
	size_t vl;
	int rc, have_input = 0;

	memset(r, 0, sizeof(*r));
	if (len < strlen(PROTO_HEADER) || memcmp(p, PROTO_HEADER, strlen(PROTO_HEADER))) {
		return error_set(-1, "not a pysec-gate 1 request");
	}
	p += strlen(PROTO_HEADER);
	while ((rc = proto_next(&p, end, name, &v, &vl)) > 0) {
		if (!strcmp(name, "repo")) {
			r->repo = v;
			r->repo_len = vl;
		} else if (!strcmp(name, "env")) {
			if (r->nenv >= PROTO_MAX_ENV || !memchr(v, '=', vl) || memchr(v, '\0', vl)) {
				return error_set(-1, "a bad or extra environment variable");
			}
			r->env = xrealloc(r->env, (r->nenv + 1) * sizeof(*r->env));
			r->env[r->nenv++] = xstrndup(v, vl);
		} else if (!strcmp(name, "input")) {
			r->input = v;
			r->input_len = vl;
			have_input = 1;
		}
	}
	if (rc < 0 || !r->repo || !r->repo_len || memchr(r->repo, '\0', r->repo_len) || !have_input) {
		return error_set(-1, "a malformed request");
	}
	return 0;
}

void proto_request_clear(struct proto_request *r)
{
	size_t i;

	for (i = 0; i < r->nenv; i++)
		free(r->env[i]);
	free(r->env);
	memset(r, 0, sizeof(*r));
}

const char *proto_request_env(const struct proto_request *r, const char *name)
{
	size_t n = strlen(name), i;

	for (i = r->nenv; i-- > 0;)
		if (!strncmp(r->env[i], name, n) && r->env[i][n] == '=')
			return r->env[i] + n + 1;
	return NULL;
}

/* -1 with "<what>: <value>", the frame's value at most 200 bytes, control characters as blanks. */
static int error_quoted(const char *what, const char *v, size_t vl)
{
	char text[201];
	size_t i, n = vl > 200 ? 200 : vl;

	for (i = 0; i < n; i++)
		text[i] = (unsigned char)v[i] < ' ' || v[i] == 0x7f ? ' ' : v[i];
	text[n] = '\0';
	return error_set(-1, "%s: %s", what, text);
}

int proto_answer_parse(const char *data, size_t len, int *verdict, struct buf *out)
{
	const char *p, *v, *end = data + len;
	char name[32];
	size_t vl, start = out->len;
	int rc, have_verdict = 0;

	if (len < strlen(PROTO_HEADER) || memcmp(data, PROTO_HEADER, strlen(PROTO_HEADER))) {
		return error_set(-1, "%s", len ? "not a pysec daemon answer" : "it closed the connection");
	}
	/* read it all before taking anything: a broken answer gives nothing, and the hook scans itself */
	p = data + strlen(PROTO_HEADER);
	while ((rc = proto_next(&p, end, name, &v, &vl)) > 0) {
		if (!strcmp(name, "refused"))
			return error_quoted("refused", v, vl);
		if (!strcmp(name, "error"))
			return error_quoted("it could not judge the push", v, vl);
		if (!strcmp(name, "verdict") && vl == 1 && (*v == '0' || *v == '1')) {
			*verdict = *v - '0';
			have_verdict = 1;
		}
	}
	if (rc < 0 || !have_verdict)
		return error_set(-1, "a malformed answer");
	p = data + strlen(PROTO_HEADER);
	while (proto_next(&p, end, name, &v, &vl) > 0)
		if (!strcmp(name, "out") && buf_put(out, v, vl) < 0) {
			out->len = start;
			if (out->ptr)
				out->ptr[start] = '\0';
			return error_set(-1, "an answer too large");
		}
	return 0;
}

static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd pfd = { fd, events, 0 };
		double left = deadline - clock_now();
		int rc;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

int proto_write_all(int fd, const char *data, size_t len, double deadline)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int proto_read_all(int fd, struct buf *b, double deadline)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) < 0)
				return -1;
			continue;
		}
		/* a Unix socket closed with our data unread says ECONNRESET after what it sent: an end like EOF */
		if (n < 0 && errno == ECONNRESET)
			return 0;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf_put(b, chunk, (size_t)n) < 0) {
			errno = EFBIG;
			return -1;
		}
	}
}

/* -1 with "<what>: <strerror(err)>", or just "<what>" when `err` is 0. */
static int error_errno(const char *what, int err)
{
	return error_set(-1, "%s%s%s", what, err ? ": " : "", err ? strerror(err) : "");
}

/* A failure to send or read before `deadline`: "no answer in time" when it passed. */
static int error_io(const char *what, int err)
{
	return err == ETIMEDOUT ? error_errno("no answer in time", 0) : error_errno(what, err);
}

/* The request: the header, the repository, the environment, the input; -1 past PROTO_MAX_REQUEST. */
static int request_build(struct buf *b, const char *repo, char *const *env, size_t nenv, const char *input,
	size_t len)
{
	size_t i;

	if (buf_puts(b, PROTO_HEADER) < 0 || proto_frame(b, "repo", repo, strlen(repo)) < 0)
		return -1;
	for (i = 0; i < nenv; i++)
		if (proto_frame(b, "env", env[i], strlen(env[i])) < 0)
			return -1;
	return proto_frame(b, "input", input, len);
}

/* Connect to the daemon at `socket_path`, and trust it only when it runs as `daemon_uid` or root. */
static int gate_connect(int *out, const char *socket_path, uid_t daemon_uid)
{
	struct sockaddr_un sa;
	struct ucred peer;
	socklen_t peerlen = sizeof(peer);
	int fd, rc = -1;

	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return error_errno("socket path too long", 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, socket_path, strlen(socket_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return error_errno("socket", errno);
	/* a Unix socket connects at once, or says EAGAIN when its backlog is full: the daemon is busy */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = errno == EAGAIN ? error_errno("busy (its backlog is full)", 0) : error_errno("cannot connect", errno);
		goto done;
	}
	/* a listener anyone else set up there (the daemon down, the directory writable) must not judge pushes */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peerlen) < 0) {
		rc = error_errno("cannot tell who listens there", errno);
		goto done;
	}
	if (peer.uid != daemon_uid && peer.uid != 0) {
		rc = error_set(-1, "it runs as uid %u, not as the daemon's user (uid %u, pysec.daemonUser) or root; "
			"not trusted", (unsigned)peer.uid, (unsigned)daemon_uid);
		goto done;
	}
	*out = fd;
	return 0;
done:
	close(fd);
	return rc;
}

int proto_gate(const char *socket_path, double timeout, uid_t daemon_uid, const char *repo, char *const *env,
	size_t nenv, const char *input, size_t len, FILE *out, int *verdict)
{
	struct buf req = BUF_INIT(PROTO_MAX_REQUEST), ans = BUF_INIT(PROTO_MAX_ANSWER), text = BUF_INIT(PROTO_MAX_ANSWER);
	double deadline = clock_now() + timeout;
	int fd = -1, rc;

	if ((rc = gate_connect(&fd, socket_path, daemon_uid)) < 0)
		goto done;
	if ((rc = request_build(&req, repo, env, nenv, input, len)) < 0) {
		rc = error_errno("the request is too large", 0);
		goto done;
	}
	/* a refusal comes before the daemon reads the request: it is read all the same */
	if (proto_write_all(fd, req.ptr, req.len, deadline) < 0 && errno != EPIPE && errno != ECONNRESET) {
		rc = error_io("cannot send the request", errno);
		goto done;
	}
	buf_free(&req);
	shutdown(fd, SHUT_WR);
	if ((rc = proto_read_all(fd, &ans, deadline)) < 0) {
		rc = error_io("cannot read the answer", errno);
		goto done;
	}
	if ((rc = proto_answer_parse(buf_cstr(&ans), ans.len, verdict, &text)) < 0)
		goto done;
	if (text.len)
		fwrite(text.ptr, 1, text.len, out);
	fflush(out);
done:
	if (fd >= 0)
		close(fd);
	buf_free(&req);
	buf_free(&ans);
	buf_free(&text);
	return rc;
}
