/*
 * pysec_hook.h: the hook's commands (hook/), in git-pysec's command table:
 * the pre-receive gate on the server, and installing pysec's hooks.
 */
#ifndef PYSEC_HOOK_H
#define PYSEC_HOOK_H

/* `git pysec pre-receive`: judge the ref updates on stdin (through the daemon, else here). */
int cmd_pre_receive(int argc, char **argv);
/* `git pysec install`: put a hook where git or the hosting software runs it. */
int cmd_install(int argc, char **argv);

#endif
