/* hook.h: what the hook room's commands share (hook/). */
#ifndef HOOK_H
#define HOOK_H

struct buf;

/*
 * The arguments `git pysec install` writes into a server repository's hook
 * for the client pysec-hook (bin/pysec-hook.c): the daemon's settings of the
 * repository at `path`, resolved as `git pysec pre-receive` reads them, and
 * the stamp of the files they came from (proto_config_stamp).  0 with them
 * appended to `args`; 1 when no daemon is configured, or a setting cannot be
 * written into a hook (then the hook runs git-pysec itself); -1 on failure.
 */
int pre_receive_client_args(struct buf *args, const char *path);

#endif
