/*
 * error.h: the core's errors: the thread's message is util's (error_set),
 * read back through pysec_error_last(); libgit2's errors become ours here.
 */
#ifndef PYSEC_ERROR_H
#define PYSEC_ERROR_H

#include "pysec.h"
#include "util.h"

/* Copy libgit2's last error into ours, prefixed with what we were doing. */
int error_from_git(int code, const char *what);

#endif
