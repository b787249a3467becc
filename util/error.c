/* error.c: the thread's last error message, set once where the failure is known. */
#include "util.h"

#include <stdio.h>

static _Thread_local char last_error[1024] = "no error";

const char *error_last(void)
{
	return last_error;
}

int error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}
