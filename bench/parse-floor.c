/*
 * parse-floor.c: the "bare parse" floor for `git pysec scan --full`.
 *
 * Reads file paths on stdin, one per line.  Then, timed as one loop: for
 * each path, read the whole file into memory, parse it with tree-sitter
 * (one TSParser reused, the Python grammar pysec links), delete the tree.
 * No rules, no walk, no report: what is left is the least any
 * tree-sitter based scanner has to spend on the same files.
 *
 * Prints: bytes, files and the wall seconds (CLOCK_MONOTONIC) of the loop,
 * reading included.  Reading the list of paths is not timed.
 *
 * Build (bench/full-scan.sh does this):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o build/bench/parse-floor \
 *      bench/parse-floor.c build/grammar/python/parser.o build/grammar/python/scanner.o -ltree-sitter
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole file in a malloc'd, NUL-terminated buffer; NULL on failure. */
static char *read_whole(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size >= UINT32_MAX) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
}

int main(void)
{
	char **paths = NULL, *line = NULL;
	size_t npaths = 0, cap = 0, linecap = 0, i, files = 0, failed = 0;
	unsigned long long bytes = 0;
	ssize_t n;
	TSParser *parser;
	double start, secs;

	while ((n = getline(&line, &linecap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (npaths == cap) {
			cap = cap ? 2 * cap : 1024;
			paths = realloc(paths, cap * sizeof(*paths));
			if (!paths) {
				perror("parse-floor");
				return 1;
			}
		}
		if (!(paths[npaths++] = strdup(line))) {
			perror("parse-floor");
			return 1;
		}
	}
	free(line);

	parser = ts_parser_new();
	if (!ts_parser_set_language(parser, tree_sitter_python())) {
		fprintf(stderr, "parse-floor: grammar and library ABI versions differ\n");
		return 1;
	}

	start = now();
	for (i = 0; i < npaths; i++) {
		size_t len = 0;
		char *data = read_whole(paths[i], &len);
		TSTree *tree;

		if (!data) {
			failed++;
			continue;
		}
		tree = ts_parser_parse_string(parser, NULL, data, (uint32_t)len);
		if (tree)
			ts_tree_delete(tree);
		else
			failed++;
		free(data);
		bytes += len;
		files++;
	}
	secs = now() - start;

	ts_parser_delete(parser);
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);

	printf("bytes %llu files %zu seconds %.6f\n", bytes, files, secs);
	if (failed)
		fprintf(stderr, "parse-floor: %zu of %zu files could not be read or parsed\n", failed, npaths);
	return failed ? 1 : 0;
}
