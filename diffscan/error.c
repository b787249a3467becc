/* error.c: pysec_error_last(), and libgit2's errors as the core's. */
#include "error.h"

const char *pysec_error_last(void)
{
	return error_last();
}

int error_from_git(int code, const char *what)
{
	const git_error *e = git_error_last();
	int ours = code == GIT_ENOTFOUND ? PYSEC_ENOTFOUND : PYSEC_EREPO;

	return error_set(ours, "%s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}
