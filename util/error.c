/* error.c: the thread's last error message, set once where the failure is known. */
#include "util.h"

#include <stdio.h>

static _Thread_local char last_error[1024] = "no error";

const char *error_last(void)
{
	return last_error;
}

/*
 * Formatted aside first: an argument may be error_last() itself, to say
 * where the failure below happened ("cannot open x: <why>").
 */
int error_set(int code, const char *fmt, ...)
{
	char text[sizeof(last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memcpy(last_error, text, sizeof(text));
	return code;
}
