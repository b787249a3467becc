/*
 * isolate.c: scanning a large file in a child process.
 *
 * libtree-sitter 0.20.7 (Debian bookworm's) frees memory twice after error
 * recovery on some inputs of tens of thousands of broken statements (fixed
 * upstream in 0.20.8; found here by the unit tests).  Such input is hostile
 * or broken, never valid Python, but it must not take the scan down with
 * it.  Files above ISOLATE_MIN_SIZE, the only ones big enough to hold that
 * many tokens, are scanned in a forked child that sends its findings back
 * as JSON lines; a child that dies becomes one error entry.
 */
#include "internal.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define RESULT_MAX (64 * 1024 * 1024)

static void put_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
	if (v && !json_object_get(o, key))
		json_object_set_new(o, key, json_null());
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_json(int fd, json_t *o)
{
	char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	int rc = line ? write_all(fd, line, strlen(line)) : -1;

	if (rc == 0)
		rc = write_all(fd, "\n", 1);
	free(line);
	json_decref(o);
	return rc;
}

/* In the child: one line per finding ("f"), entry ("e"), and the result ("r"). */
static void send_report(int fd, const struct pysec_report *r, int rc)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const pysec_finding *f = &r->findings[i];
		json_t *o = json_object();
		json_object_set_new(o, "t", json_string("f"));
		put_str(o, "rule", f->rule);
		put_str(o, "title", f->title);
		json_object_set_new(o, "severity", json_integer(f->severity));
		json_object_set_new(o, "confidence", json_integer(f->confidence));
		json_object_set_new(o, "cwe", json_integer(f->cwe));
		put_str(o, "path", f->path);
		json_object_set_new(o, "line", json_integer(f->line));
		json_object_set_new(o, "column", json_integer(f->column));
		json_object_set_new(o, "end_line", json_integer(f->end_line));
		json_object_set_new(o, "end_column", json_integer(f->end_column));
		put_str(o, "message", f->message);
		put_str(o, "fix", f->fix);
		put_str(o, "code", f->code);
		put_str(o, "commit", f->commit);
		put_str(o, "fingerprint", f->fingerprint);
		put_str(o, "suggestion", f->suggestion);
		if (send_json(fd, o) < 0)
			return;
	}
	for (i = 0; i < r->nentries; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "t", json_string("e"));
		json_object_set_new(o, "kind", json_integer(r->entries[i].kind));
		put_str(o, "path", r->entries[i].path);
		json_object_set_new(o, "line", json_integer(r->entries[i].line));
		put_str(o, "message", r->entries[i].message);
		if (send_json(fd, o) < 0)
			return;
	}
	{
		json_t *o = json_object();
		json_object_set_new(o, "t", json_string("r"));
		json_object_set_new(o, "rc", json_integer(rc));
		put_str(o, "error", rc < 0 ? pysec_error_last() : NULL);
		send_json(fd, o);
	}
}

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static uint32_t u32_of(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v < 0 || v > UINT32_MAX ? 0 : (uint32_t)v;
}

static pysec_level level_of(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v >= PYSEC_LEVEL_LOW && v <= PYSEC_LEVEL_HIGH ? (pysec_level)v : PYSEC_LEVEL_LOW;
}

/* In the parent: the child's lines into `report`; returns the child's result code. */
static int receive_report(struct pysec_report *report, char *data, size_t len, int *got_result)
{
	char *s = data, *end = data + len;
	int rc = 0;

	*got_result = 0;
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		json_t *o;
		const char *t;
		if (!nl)
			break;
		*nl = '\0';
		o = json_loads(s, 0, NULL);
		s = nl + 1;
		t = o ? str_of(o, "t") : NULL;
		if (t && !strcmp(t, "f")) {
			pysec_finding f;
			memset(&f, 0, sizeof(f));
			f.rule = str_of(o, "rule");
			f.title = str_of(o, "title");
			f.severity = level_of(o, "severity");
			f.confidence = level_of(o, "confidence");
			f.cwe = (int)u32_of(o, "cwe");
			f.path = str_of(o, "path");
			f.line = u32_of(o, "line");
			f.column = u32_of(o, "column");
			f.end_line = u32_of(o, "end_line");
			f.end_column = u32_of(o, "end_column");
			f.message = str_of(o, "message");
			f.fix = str_of(o, "fix");
			f.code = str_of(o, "code");
			f.commit = str_of(o, "commit");
			f.fingerprint = str_of(o, "fingerprint");
			f.suggestion = str_of(o, "suggestion");
			if (f.rule && f.path && f.message)
				report_add_finding(report, &f);
		} else if (t && !strcmp(t, "e")) {
			json_int_t k = json_integer_value(json_object_get(o, "kind"));
			report_add_entry(report, k >= PYSEC_ENTRY_ERROR && k <= PYSEC_ENTRY_WARNING ? (pysec_entry_kind)k
				: PYSEC_ENTRY_ERROR, str_of(o, "path"), u32_of(o, "line"), "%s",
				str_of(o, "message") ? str_of(o, "message") : "");
		} else if (t && !strcmp(t, "r")) {
			rc = (int)json_integer_value(json_object_get(o, "rc"));
			if (rc < 0)
				error_set(rc, "%s", str_of(o, "error") ? str_of(o, "error") : "scan failed");
			*got_result = 1;
		}
		json_decref(o);
	}
	return rc;
}

int engine_scan_file_isolated(const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, TSParser *parser, double deadline)
{
	struct buf out = BUF_INIT(RESULT_MAX);
	int fds[2], status = 0, got_result = 0, rc;
	pid_t pid;

	if (pipe(fds) < 0)
		return error_set(PYSEC_ERROR, "cannot create a pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(PYSEC_ERROR, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		struct pysec_report mine;
		close(fds[0]);
		memset(&mine, 0, sizeof(mine));
		rc = engine_scan_file(eng, &mine, f, parser, deadline);
		send_report(fds[1], &mine, rc);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || buf_put(&out, chunk, (size_t)n) < 0)
			break;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = receive_report(report, out.ptr ? out.ptr : (char *)"", out.len, &got_result);
	buf_free(&out);
	if (!got_result) {
		if (WIFSIGNALED(status))
			report_add_entry(report, PYSEC_ENTRY_ERROR, f->path, 0,
				"the Python parser crashed on this file (signal %d; a libtree-sitter 0.20.7 bug "
				"on broken input); its code rules did not run", WTERMSIG(status));
		else
			report_add_entry(report, PYSEC_ENTRY_ERROR, f->path, 0, "scanning this file failed");
		return 0;
	}
	return rc;
}

int engine_scan(const struct pysec_engine *eng, struct pysec_report *report,
	const struct file_scan *f, TSParser *parser, double deadline)
{
	if (f->python && f->code && f->len >= ISOLATE_MIN_SIZE)
		return engine_scan_file_isolated(eng, report, f, parser, deadline);
	return engine_scan_file(eng, report, f, parser, deadline);
}
