/*
 * error.c: the thread's last error message, set once where the failure is
 * known.  It holds any length (a path is as long as it is); when there is
 * no memory for it, as much of it as a static buffer holds.
 */
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char *message;	/* allocated; NULL: `fallback` holds it */
static _Thread_local char fallback[1024] = "no error";

/* A thread's message is freed when it exits (pthread_setspecific's destructor). */
static pthread_key_t message_key;
static int message_key_made;
static pthread_once_t message_once = PTHREAD_ONCE_INIT;

/* At the thread's exit; anything that sets a message after it (another destructor) starts afresh. */
static void message_free(void *text)
{
	if (text == message)
		message = NULL;
	free(text);
}

static void message_key_create(void)
{
	message_key_made = pthread_key_create(&message_key, message_free) == 0;
}

const char *error_last(void)
{
	return message ? message : fallback;
}

static void message_keep(char *text)
{
	free(message);
	message = text;
	pthread_once(&message_once, message_key_create);
	if (message_key_made)
		pthread_setspecific(message_key, text);
}

/*
 * Formatted aside first: an argument may be error_last() itself, to say
 * where the failure below happened ("cannot open x: <why>").
 */
int error_set(int code, const char *fmt, ...)
{
	char *text, spare[sizeof(fallback)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n >= 0) {
		message_keep(text);
		return code;
	}
	/* out of memory: the start of the message, in the static buffer */
	va_start(ap, fmt);
	vsnprintf(spare, sizeof(spare), fmt, ap);
	va_end(ap);
	memcpy(fallback, spare, sizeof(fallback));
	message_keep(NULL);
	return code;
}
