/*
 * fuzz_config.c: any bytes as a configuration file, read by everything
 * that reads one: the policy (as the system's file, and as an in-tree
 * .pysec that may only make it stricter), the review's network settings,
 * the daemon's settings (pysec.daemon.*, the forges), the rules'
 * options in the engine, and as GIT_CONFIG_PARAMETERS (what `git -c`
 * passes on).
 *
 * Building the engine compiles every rule (milliseconds), so it is done
 * for one input in 32, chosen by a hash of the input (the same input
 * always takes the same path, as libFuzzer needs), and never for a policy
 * that names rule directories (which would load whatever they hold).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <git2.h>
#include "daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char file_path[] = "/tmp/pysec-fuzz-config-XXXXXX";

static void remove_file(void)
{
	unlink(file_path);
}

/*
 * One file, written again for each input, removed at exit.  libgit2 reads
 * it, and reads nothing before git_libgit2_init() (every front end calls it
 * first): without it every input was refused before any of pysec's code.
 */
static const char *config_file(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0) {
		pysec_config *empty = NULL;
		if (git_libgit2_init() < 0 || (fd = mkstemp(file_path)) < 0)
			abort();
		atexit(remove_file);
		/* an empty file is a valid one: if it is refused, no input reaches pysec's code */
		pysec_config_new(&empty);
		if (pysec_config_add_file(empty, file_path, PYSEC_CONFIG_NORMAL) != 0) {
			fprintf(stderr, "fuzz_config: an empty file is refused: %s\n", pysec_error_last());
			abort();
		}
		pysec_config_free(empty);
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return file_path;
}

static uint32_t hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

/* The input, up to its first NUL, as GIT_CONFIG_PARAMETERS. */
static const char *parameters_env(const char *name, void *payload)
{
	return !strcmp(name, "GIT_CONFIG_PARAMETERS") ? payload : NULL;
}

static void as_parameters(const uint8_t *data, size_t size)
{
	pysec_config_sources src = PYSEC_CONFIG_SOURCES_INIT;
	pysec_config *cfg = NULL;
	char *text = strndup((const char *)data, size);

	if (!text)
		abort();
	src.command_line = 1;
	src.getenv = parameters_env;
	src.payload = text;
	if (pysec_config_load(&cfg, &src) < 0 && !*pysec_error_last())
		abort();	/* a refusal says why */
	pysec_config_free(cfg);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = config_file(data, size);
	pysec_forge_options fo = PYSEC_FORGE_OPTIONS_INIT;
	pysec_serve_options flags;
	struct dconfig *dc = NULL;
	pysec_config *cfg = NULL;
	pysec_engine *engine = NULL;

	/* the system policy: every entry taken */
	pysec_config_new(&cfg);
	if (pysec_config_add_file(cfg, path, PYSEC_CONFIG_NORMAL) == 0) {
		pysec_forge_options_from_config(&fo, cfg);
		if (hash(data, size) % 32 == 0 && !pysec_config_get(cfg, "pysec.rulesDir", NULL) &&
		    pysec_engine_new(&engine, cfg) == 0)
			pysec_engine_free(engine);
	}
	pysec_config_free(cfg);

	/* an in-tree .pysec over a policy: only what makes it stricter is kept */
	pysec_config_new(&cfg);
	pysec_config_set(cfg, "pysec.failOn", "medium");
	pysec_config_set(cfg, "pysec.minConfidence", "medium");
	if (pysec_config_add_buffer(cfg, ".pysec (pushed)", (const char *)data, size, PYSEC_CONFIG_STRICT_ONLY) == 0) {
		if (pysec_level_parse(pysec_config_get(cfg, "pysec.failOn", NULL)) > PYSEC_LEVEL_MEDIUM ||
		    pysec_level_parse(pysec_config_get(cfg, "pysec.minConfidence", NULL)) > PYSEC_LEVEL_MEDIUM)
			abort();	/* pushed content weakened the policy */
		if (pysec_config_get(cfg, "pysec.disable", NULL) || pysec_config_get(cfg, "pysec.exclude", NULL))
			abort();
	}
	pysec_config_free(cfg);

	as_parameters(data, size);

	/* the daemon's settings */
	memset(&flags, 0, sizeof(flags));
	flags.config = path;
	error_set(0, "%s", "");
	if (dconfig_load(&dc, &flags) == 0)
		dconfig_free(dc);
	else if (!*error_last())
		abort();	/* a refusal says why */
	return 0;
}
