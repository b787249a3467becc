/*
 * bandit_toml.c: `[tool.bandit]` in a pyproject.toml.
 */
#include "bandit.h"
#include "util.h"

int bandit_toml_read(struct bandit_config *out, const char *path, const char *buf, size_t len)
{
	(void)out;
	(void)buf;
	(void)len;
	return error_set(PYSEC_EINVALID, "%s: reading pyproject.toml is not supported yet", path);
}
