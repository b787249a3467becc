/*
 * pysec_proto.h: the daemon's Unix socket protocol (proto/proto.c): the
 * framing both sides use, the daemon's reading of a request, and the client
 * that `git pysec pre-receive` uses.
 *
 * A request is what a hook knows: its repository, the environment the gate
 * reads (pusher, push options, GitLab, the quarantine), and its stdin.
 * Both sides send a header line and then frames, each "<name> <length>\n"
 * then that many bytes and "\n"; a side ends by shutting down its writing
 * half.  So values may hold any byte, and nothing is parsed by lines.
 *
 *   request:  "pysec-gate 1\n", repo, env (one per variable, NAME=VALUE), input
 *   answer:   "pysec-gate 1\n", out (the remote: lines), verdict ("0" accept, "1" reject)
 *             or "pysec-gate 1\n", refused (why: busy, not allowed, outside the roots, ...)
 *             or "pysec-gate 1\n", error (why the daemon could not judge the push: it
 *             cannot read the repository or the pushed objects, ...)
 *
 * Anything but a verdict makes the hook judge the push in its own process.
 */
#ifndef PYSEC_PROTO_H
#define PYSEC_PROTO_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct buf;

#define PROTO_HEADER "pysec-gate 1\n"
#define PROTO_MAX_REQUEST (32u << 20)
#define PROTO_MAX_ANSWER (16u << 20)
#define PROTO_MAX_ENV 1024

/* Append one frame to `b` (util.h's buffer); -1 when it would pass the buffer's cap. */
int proto_frame(struct buf *b, const char *name, const void *data, size_t len);

/* The next frame of [*p, end): 1 with name and value, 0 at the end, -1 when malformed. */
int proto_next(const char **p, const char *end, char name[32], const char **value, size_t *len);

/*
 * A request as the daemon reads it.  `repo` and `input` point into the
 * buffer parsed; `env` holds copies, each "NAME=VALUE".
 */
struct proto_request {
	const char *repo;
	size_t repo_len;
	char **env;
	size_t nenv;
	const char *input;
	size_t input_len;
};

/*
 * Parse a whole request; -1 when it is not one, with why in error_last()
 * (util.h; then proto_request_clear() it all the same).
 */
int proto_request_parse(struct proto_request *out, const char *data, size_t len);
void proto_request_clear(struct proto_request *r);
/* The value of environment variable `name` in the request (the last one sent), or NULL. */
const char *proto_request_env(const struct proto_request *r, const char *name);

/*
 * Parse a whole answer: 0 with the verdict (0 accept, 1 reject) and the
 * daemon's lines appended to `out`; -1 when it is no verdict (refused, an
 * error, malformed), with the reason in error_last().  Nothing is appended
 * then.
 */
int proto_answer_parse(const char *data, size_t len, int *verdict, struct buf *out);

/* Write all of `data` to `fd` before `deadline` (clock_now() seconds); -1 on failure. */
int proto_write_all(int fd, const char *data, size_t len, double deadline);
/* Read until EOF into `b`, at most its cap, before `deadline`; -1 on failure (errno ETIMEDOUT, EFBIG, ...). */
int proto_read_all(int fd, struct buf *b, double deadline);

/*
 * Ask the daemon at `socket_path` to judge a push.  Returns 0 with the
 * verdict (0 accept, 1 reject) and the daemon's lines written to `out`;
 * -1 when it is down, busy, refuses, cannot judge it, or does not answer
 * within `timeout` seconds, with the reason in error_last().  Whatever listens
 * there is trusted only when it runs as `daemon_uid` or as root (the
 * credentials of the listening socket, SO_PEERCRED: systemd's own when it
 * holds the socket); anything else is not sent the push.
 */
int proto_gate(const char *socket_path, double timeout, uid_t daemon_uid, const char *repo, char *const *env,
	size_t nenv, const char *input, size_t len, FILE *out, int *verdict);

/*
 * What both hook front ends share (proto/hook.c): `git pysec pre-receive`
 * and the small client pysec-hook, which `git pysec install` writes into a
 * repository's hook with the daemon's settings resolved (README.md, "The
 * hook client").
 */

/* Is the environment entry "NAME=VALUE" one the gate reads (the pusher in `user_var`, push options, GitLab, ...)? */
int proto_env_wanted(const char *entry, const char *user_var);

/*
 * Let the repository's group read the push's quarantine ($GIT_QUARANTINE_PATH):
 * git makes it 0700 (the pusher's), so a daemon in the group could not read
 * the pushed objects.  For a group-shared repository (core.sharedRepository),
 * where the group may write the objects anyway and these are its objects once
 * the push is in: nothing is shown that the group could not have.  A failure
 * is not reported: the daemon then cannot read the push, and the hook judges
 * it itself.
 */
void proto_share_quarantine(void);

/*
 * Append to `out` the identity (path, device, inode, size, time of change)
 * of every file the daemon's settings are read from: pysec's `system_file`,
 * git's system, XDG and global files, and `repo_dir`'s config.  The client
 * trusts the settings written into its hook only while this is unchanged.
 */
int proto_config_stamp(struct buf *out, const char *system_file, const char *repo_dir);

#endif
