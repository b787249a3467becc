/*
 * test_proto.c: the hooks' protocol (proto/proto.c, pysec_proto.h): frames
 * that hold any byte, each malformed frame refused, the daemon's reading
 * of a request, the hook's reading of an answer, reading and writing
 * against a deadline, and the hook's client against a listener in a
 * thread of this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pysec_proto.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define S(lit) lit, sizeof(lit) - 1

static void frames_hold_any_byte(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	const char *p, *end, *v;
	char name[32];
	size_t vl;

	assert_int_equal(proto_frame(&b, "a", S("line\nwith NUL \0 and \n\n")), 0);
	assert_int_equal(proto_frame(&b, "empty", "", 0), 0);
	p = b.ptr;
	end = b.ptr + b.len;
	assert_int_equal(proto_next(&p, end, name, &v, &vl), 1);
	assert_string_equal(name, "a");
	assert_int_equal(vl, sizeof("line\nwith NUL \0 and \n\n") - 1);
	assert_memory_equal(v, "line\nwith NUL \0 and \n\n", vl);
	assert_int_equal(proto_next(&p, end, name, &v, &vl), 1);
	assert_string_equal(name, "empty");
	assert_int_equal(vl, 0);
	assert_int_equal(proto_next(&p, end, name, &v, &vl), 0);
	buf_free(&b);
}

static void malformed(const char *data, size_t len)
{
	const char *p = data, *v;
	char name[32];
	size_t vl;

	if (proto_next(&p, data + len, name, &v, &vl) != -1)
		fail_msg("'%.*s' was taken for a frame", (int)len, data);
}

static void malformed_frames(void **state)
{
	char longname[80];

	malformed(S("x 3\nab\n"));		/* shorter than it says */
	malformed(S("x 3\nabc"));		/* no line break after the value */
	malformed(S("x 3\nabcd\n"));		/* longer */
	malformed(S("x3\nabc\n"));		/* no blank */
	malformed(S(" 3\nabc\n"));		/* no name */
	malformed(S("x \nabc\n"));		/* no length */
	malformed(S("x 1a\nabc\n"));
	malformed(S("x -1\nabc\n"));
	malformed(S("x +3\nabc\n"));
	malformed(S("x 99999999999999999999999\nabc\n"));	/* would wrap */
	malformed(S("x 3"));			/* no line break at all */
	memset(longname, 'n', 40);
	memcpy(longname + 40, " 1\na\n", 6);
	malformed(longname, strlen(longname));	/* a name of 32 bytes or more */
}

static void frames_within_the_cap(void **state)
{
	struct buf b = BUF_INIT(16);

	assert_int_equal(proto_frame(&b, "x", S("12345678")), 0);	/* "x 8\n12345678\n": 13 bytes */
	assert_int_equal(proto_frame(&b, "x", "", 0), -1);
	buf_free(&b);
}

/* A request as the hook builds it: the header, then `frames`. */
static int parse(struct proto_request *r, const char *frames, size_t len)
{
	struct buf b = BUF_INIT(PROTO_MAX_REQUEST);
	static char copy[4096];
	int rc;

	assert_int_equal(buf_puts(&b, PROTO_HEADER), 0);
	assert_int_equal(buf_put(&b, frames, len), 0);
	assert_true(b.len <= sizeof(copy));
	memcpy(copy, b.ptr, b.len);
	rc = proto_request_parse(r, copy, b.len);
	buf_free(&b);
	return rc;
}

static void requests(void **state)
{
	struct proto_request r;

	assert_int_equal(parse(&r, S("repo 8\n/srv/a.g\nenv 5\nA=one\nnext 3\nnew\nenv 10\nGIT_DIR=/x\n"
		"env 5\nA=two\ninput 4\nx y\n\n")), 0);
	assert_memory_equal(r.repo, "/srv/a.g", r.repo_len);
	assert_int_equal(r.nenv, 3);
	assert_memory_equal(r.input, "x y\n", r.input_len);
	/* the last one sent wins, as in an environment */
	assert_string_equal(proto_request_env(&r, "A"), "two");
	assert_string_equal(proto_request_env(&r, "GIT_DIR"), "/x");
	assert_null(proto_request_env(&r, "GIT"));
	proto_request_clear(&r);

	/* an empty input is an input */
	assert_int_equal(parse(&r, S("repo 1\n/\ninput 0\n\n")), 0);
	assert_int_equal(r.input_len, 0);
	proto_request_clear(&r);
}

static void refused_request(const char *frames, size_t len, const char *want)
{
	struct proto_request r;

	error_set(0, "no error");
	assert_int_equal(parse(&r, frames, len), -1);
	assert_string_equal(error_last(), want);
	proto_request_clear(&r);
}

static void bad_requests(void **state)
{
	struct proto_request r;
	struct buf b = BUF_INIT(PROTO_MAX_REQUEST);
	size_t i;

	refused_request(S("input 0\n\n"), "a malformed request");				/* no repo */
	refused_request(S("repo 0\n\ninput 0\n\n"), "a malformed request");			/* an empty one */
	refused_request(S("repo 3\na\0b\ninput 0\n\n"), "a malformed request");		/* a NUL in it */
	refused_request(S("repo 2\n/a\n"), "a malformed request");				/* no input */
	refused_request(S("repo 2\n/a\ninput 5\nab\n"), "a malformed request");		/* a broken frame */
	refused_request(S("repo 2\n/a\nenv 3\nABC\ninput 0\n\n"), "a bad or extra environment variable");
	refused_request(S("repo 2\n/a\nenv 3\nA=\0\ninput 0\n\n"), "a bad or extra environment variable");

	/* no other header */
	assert_int_equal(proto_request_parse(&r, S("pysec-gate 2\nrepo 2\n/a\ninput 0\n\n")), -1);
	assert_string_equal(error_last(), "not a pysec-gate 1 request");
	proto_request_clear(&r);

	/* at most PROTO_MAX_ENV variables */
	assert_int_equal(buf_puts(&b, PROTO_HEADER), 0);
	assert_int_equal(proto_frame(&b, "repo", S("/a")), 0);
	for (i = 0; i <= PROTO_MAX_ENV; i++)
		assert_int_equal(proto_frame(&b, "env", S("A=1")), 0);
	assert_int_equal(proto_frame(&b, "input", "", 0), 0);
	assert_int_equal(proto_request_parse(&r, b.ptr, b.len), -1);
	assert_string_equal(error_last(), "a bad or extra environment variable");
	proto_request_clear(&r);
	buf_free(&b);
}

/* `answer` parsed: its return, with `why` or the lines appended after "before". */
static int answer(const char *data, size_t len, int *verdict, char *why, char *lines)
{
	struct buf out = BUF_INIT(1 << 20);
	int rc;

	buf_puts(&out, "before|");
	error_set(0, "no error");
	rc = proto_answer_parse(data, len, verdict, &out);
	snprintf(why, 256, "%s", rc < 0 ? error_last() : "");
	snprintf(lines, 256, "%s", buf_cstr(&out));
	buf_free(&out);
	return rc;
}

static void answers(void **state)
{
	char why[256], lines[256];
	int verdict = -1;

	assert_int_equal(answer(S("pysec-gate 1\nout 5\nline\n\nverdict 1\n1\nout 3\nend\n"), &verdict, why, lines), 0);
	assert_int_equal(verdict, 1);
	assert_string_equal(lines, "before|line\nend");
	assert_int_equal(answer(S("pysec-gate 1\nverdict 1\n0\n"), &verdict, why, lines), 0);
	assert_int_equal(verdict, 0);

	/* anything but a verdict: nothing appended, and why */
	assert_int_equal(answer(S("pysec-gate 1\nrefused 4\nbusy\n"), &verdict, why, lines), -1);
	assert_string_equal(why, "refused: busy");
	assert_string_equal(lines, "before|");
	assert_int_equal(answer(S("pysec-gate 1\nout 2\nx\n\nerror 9\nno\nobject\n"), &verdict, why, lines), -1);
	assert_string_equal(why, "it could not judge the push: no object");	/* control characters as blanks */
	assert_string_equal(lines, "before|");
	assert_int_equal(answer(S("pysec-gate 1\nout 2\nx\n\n"), &verdict, why, lines), -1);
	assert_string_equal(why, "a malformed answer");
	assert_int_equal(answer(S("pysec-gate 1\nverdict 1\n2\n"), &verdict, why, lines), -1);
	assert_string_equal(why, "a malformed answer");
	assert_int_equal(answer(S("pysec-gate 1\nverdict 1\n0\nout 9\nbroken\n"), &verdict, why, lines), -1);
	assert_string_equal(why, "a malformed answer");
	assert_string_equal(lines, "before|");
	assert_int_equal(answer(S("HTTP/1.1 200 OK\r\n"), &verdict, why, lines), -1);
	assert_string_equal(why, "not a pysec daemon answer");
	assert_int_equal(answer("", 0, &verdict, why, lines), -1);
	assert_string_equal(why, "it closed the connection");
}

static void reading_and_writing(void **state)
{
	struct buf b = BUF_INIT(8);
	int sv[2];

	/* all of it, up to the end */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(proto_write_all(sv[0], "1234567", 7, clock_now() + 5), 0);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(proto_read_all(sv[1], &b, clock_now() + 5), 0);
	assert_string_equal(buf_cstr(&b), "1234567");
	buf_free(&b);

	/* past the buffer's cap */
	b = (struct buf)BUF_INIT(4);
	errno = 0;
	assert_int_equal(proto_read_all(sv[1], &b, clock_now() + 5), 0);	/* at its end: nothing more */
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(proto_write_all(sv[0], "1234567", 7, clock_now() + 5), 0);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(proto_read_all(sv[1], &b, clock_now() + 5), -1);
	assert_int_equal(errno, EFBIG);
	buf_free(&b);

	/* nothing comes and the other side stays: the deadline ends the wait */
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	b = (struct buf)BUF_INIT(64);
	assert_int_equal(proto_read_all(sv[1], &b, clock_now() + 0.05), -1);
	assert_int_equal(errno, ETIMEDOUT);
	buf_free(&b);
	close(sv[0]);
	close(sv[1]);
}

/* --- the hook's client, against a listener in a thread ---------------------- */

struct listener {
	int fd;
	const char *reply;	/* the whole answer sent */
	size_t reply_len;
	struct proto_request req;	/* what came */
	struct buf in;
	int parsed;
};

static void *serve_one(void *arg)
{
	struct listener *l = arg;
	int c = accept(l->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	if (proto_read_all(c, &l->in, clock_now() + 30) == 0)
		l->parsed = proto_request_parse(&l->req, l->in.ptr, l->in.len) == 0;
	proto_write_all(c, l->reply, l->reply_len, clock_now() + 30);
	close(c);
	return NULL;
}

static void gate(void **state)
{
	char dir[] = "/tmp/pysec-proto-XXXXXX", path[64], *text = NULL;
	char *env[] = { "GIT_QUARANTINE_PATH=/q", "GL_USERNAME=alice" };
	struct sockaddr_un sa;
	struct listener l;
	size_t textlen = 0;
	pthread_t t;
	FILE *out;
	int verdict = -1;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	memset(&l, 0, sizeof(l));
	l.in = (struct buf)BUF_INIT(PROTO_MAX_REQUEST);
	l.reply = "pysec-gate 1\nout 17\nremote: rejected\n\nverdict 1\n1\n";
	l.reply_len = strlen(l.reply);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true((l.fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(l.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l.fd, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, serve_one, &l), 0);

	out = open_memstream(&text, &textlen);
	assert_int_equal(proto_gate(path, 30, geteuid(), "/srv/a.git", env, 2, S("old new ref\n"), out, &verdict), 0);
	fclose(out);
	pthread_join(t, NULL);
	assert_int_equal(verdict, 1);
	assert_string_equal(text, "remote: rejected\n");
	/* what the daemon was sent */
	assert_true(l.parsed);
	assert_memory_equal(l.req.repo, "/srv/a.git", l.req.repo_len);
	assert_string_equal(proto_request_env(&l.req, "GL_USERNAME"), "alice");
	assert_memory_equal(l.req.input, "old new ref\n", l.req.input_len);
	proto_request_clear(&l.req);
	buf_free(&l.in);
	free(text);
	close(l.fd);
	unlink(path);

	/* nobody listens: the hook is told why, and scans itself */
	verdict = -1;
	assert_int_equal(proto_gate(path, 30, geteuid(), "/srv/a.git", env, 2, S("x\n"), stdout, &verdict), -1);
	assert_string_equal(error_last(), "cannot connect: No such file or directory");
	assert_int_equal(verdict, -1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_hold_any_byte),
		cmocka_unit_test(malformed_frames),
		cmocka_unit_test(frames_within_the_cap),
		cmocka_unit_test(requests),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(answers),
		cmocka_unit_test(reading_and_writing),
		cmocka_unit_test(gate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
