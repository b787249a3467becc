/*
 * bandit_ini.c: a project's `.bandit`, the INI file whose [bandit] section
 * holds command line options (exclude, skips, tests, ...), read with inih
 * as Bandit reads it with Python's configparser: comma-separated values,
 * keys in any case, the other sections ignored.
 */
#include "bandit.h"
#include "util.h"

#include <ctype.h>
#include <ini.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

/* inih's line buffer: a longer line is refused here rather than read in pieces. */
#define INI_LINE_MAX 16384

struct reader {
	struct bandit_config *out;
	const char *buf, *end, *next;	/* the text, and where the next line starts */
	const char *last;		/* where the line inih was last given starts */
	unsigned line;			/* of the line inih was last given */
	int rc;				/* the first error; inih only stops on the handler's */
};

/* inih's options are the library's globals: set once, always to the same values. */
static pthread_once_t ini_once = PTHREAD_ONCE_INIT;

static void ini_setup(void)
{
	ini_use_stack = 0;
	ini_max_line = INI_LINE_MAX;
	ini_initial_alloc = INI_LINE_MAX;
	ini_allow_realloc = 0;
	ini_stop_on_first_error = 1;
}

/* inih's fgets: one line of the buffer at a time, so that the handler knows its number. */
static char *next_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *nl, *p = r->next;
	size_t len;

	if (r->rc < 0 || p >= r->end)
		return NULL;
	nl = memchr(p, '\n', (size_t)(r->end - p));
	len = nl ? (size_t)(nl - p) + 1 : (size_t)(r->end - p);
	r->line++;
	if (memchr(p, '\0', len)) {
		r->rc = error_set(PYSEC_EINVALID, "%s:%u: a NUL byte", r->out->path, r->line);
		return NULL;
	}
	if (len >= (size_t)num - 1) {
		r->rc = error_set(PYSEC_EINVALID, "%s:%u: a line longer than %d bytes", r->out->path, r->line,
			num - 2);
		return NULL;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	r->last = p;
	r->next = p + len;
	return str;
}

/* `s` without the blanks around it, in place. */
static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A value split on commas, as Bandit splits skips, tests and exclude. */
static int add_items(struct reader *r, const char *key, const char *value)
{
	char *copy = xstrdup(value), *tok, *save = NULL;
	const char **items = xcalloc(strlen(value) / 2 + 2, sizeof(*items));
	size_t n = 0;
	int rc;

	for (tok = strtok_r(copy, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		tok = trim(tok);
		if (*tok)
			items[n++] = tok;
	}
	rc = bandit_config_add(r->out, key, items, n, r->line);
	free(items);
	free(copy);
	return rc;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	char *key;
	size_t i;

	if (r->rc < 0)
		return 0;
	if (strcasecmp(section, "bandit"))
		return 1;
	/* configparser takes keys in any case, and one value per key */
	key = xstrdup(name);
	for (i = 0; key[i]; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	/* a line that starts with a blank continues the value before it (inih hands it over by the same name) */
	for (i = 0; i < r->out->len && !isspace((unsigned char)*r->last); i++)
		if (!strcmp(r->out->entries[i].key, key))
			r->rc = error_set(PYSEC_EINVALID, "%s:%u: '%s' is set twice in [bandit] (first on line %u)",
				r->out->path, r->line, key, r->out->entries[i].line);
	if (r->rc == 0)
		r->rc = add_items(r, key, value);
	free(key);
	return r->rc == 0;
}

int bandit_ini_read(struct bandit_config *out, const char *path, const char *buf, size_t len)
{
	struct reader r = { out, buf, buf + len, buf, buf, 0, 0 };
	int line;

	out->path = xstrdup(path);
	if (len > BANDIT_MAX_FILE)
		return error_set(PYSEC_ELIMIT, "%s: over %d bytes", path, BANDIT_MAX_FILE);
	pthread_once(&ini_once, ini_setup);
	line = ini_parse_stream(next_line, &r, on_pair, &r);
	if (r.rc < 0)
		return r.rc;
	if (line == -2)
		return error_set(PYSEC_ERROR, "%s: out of memory", path);
	if (line != 0)
		return error_set(PYSEC_EINVALID, "%s:%d: not INI: expected [section] or key = value", path, line);
	return 0;
}
