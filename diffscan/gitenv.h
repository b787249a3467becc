/*
 * gitenv.h: the settings git's -c passes on to a command it runs, through
 * the environment (libgit2 reads neither variable): GIT_CONFIG_COUNT's
 * GIT_CONFIG_KEY_<n> and GIT_CONFIG_VALUE_<n> first, then
 * GIT_CONFIG_PARAMETERS' (what `git -c` sets), as git reads them: its
 * quoting, its checks of a key, its messages.
 */
#ifndef PYSEC_GITENV_H
#define PYSEC_GITENV_H

typedef const char *(*gitenv_getenv_fn)(const char *name, void *payload);
/* One setting: its key as written, its value (NULL: none, which is true), and "git -c" or "GIT_CONFIG_KEY_<n>". */
typedef int (*gitenv_setting_fn)(const char *key, const char *value, const char *origin, void *ctx);

/* Hand each setting to `setting`, in git's order; 0, or the first failure (PYSEC_EINVALID with git's words). */
int gitenv_read(gitenv_getenv_fn get, void *payload, gitenv_setting_fn setting, void *ctx);

#endif
