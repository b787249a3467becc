/*
 * seeds_main.c: a fuzz target without libFuzzer, for `make check-unit`:
 * each file named on the command line, or in a directory named there, is
 * given to LLVMFuzzerTestOneInput once (the seeds of fuzz/seeds/<target>
 * and every input fuzzing ever stopped on).  A crash or an abort fails it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "cannot read '%s'\n", path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (!(data = realloc(data, cap)))
				abort();
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int i, failed = 0;
	size_t ran = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **names = NULL;
		int n, k;

		if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			failed |= run_file(argv[i]) < 0;
			ran++;
			continue;
		}
		n = scandir(argv[i], &names, NULL, alphasort);
		for (k = 0; k < n; k++) {
			char path[4096];
			if (names[k]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
				failed |= run_file(path) < 0;
				ran++;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("%s: %zu inputs\n", argv[0], ran);
	return failed;
}
