/*
 * bandit_yaml.c: a Bandit configuration in YAML (Bandit's -c FILE, pysec's
 * --bandit-config), read with libyaml's document loader: a mapping whose
 * values are strings or lists of strings (exclude_dirs, tests, skips), or
 * mappings of a plugin's options (assert_used: {skips: [...]}).
 */
#include "bandit.h"
#include "util.h"

#include <stdlib.h>
#include <yaml.h>

/* What is being read, for messages. */
struct reader {
	struct bandit_config *out;
	yaml_document_t *doc;
	const char *buf;
};

static unsigned node_line(const yaml_node_t *n)
{
	return (unsigned)n->start_mark.line + 1;
}

static int bad(const struct reader *r, const yaml_node_t *n, const char *what, const char *key)
{
	return error_set(PYSEC_EINVALID, "%s:%u: %s '%s'", r->out->path, node_line(n), what, key);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A value: a string (a list of one), or a list of strings. */
static int add_value(struct reader *r, const char *key, yaml_node_t *v)
{
	const char **items;
	yaml_node_item_t *it;
	size_t n = 0;
	int rc;

	if (v->type == YAML_SCALAR_NODE) {
		const char *one = scalar(v);
		return bandit_config_add(r->out, key, &one, 1, node_line(v));
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return bad(r, v, "expected a string or a list of strings for", key);
	if (v->data.sequence.items.top - v->data.sequence.items.start > BANDIT_MAX_VALUES)
		return error_set(PYSEC_ELIMIT, "%s:%u: more than %d values for '%s'", r->out->path, node_line(v),
			BANDIT_MAX_VALUES, key);
	items = xcalloc((size_t)(v->data.sequence.items.top - v->data.sequence.items.start) + 1, sizeof(*items));
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(r->doc, *it);
		if (!item || item->type != YAML_SCALAR_NODE) {
			free(items);
			return bad(r, v, "expected a list of strings for", key);
		}
		items[n++] = scalar(item);
	}
	rc = bandit_config_add(r->out, key, items, n, node_line(v));
	free(items);
	return rc;
}

/* One key of the top mapping: a setting, or a plugin's section of options (one level, as Bandit reads them). */
static int add_pair(struct reader *r, yaml_node_pair_t *p)
{
	yaml_node_t *k = yaml_document_get_node(r->doc, p->key), *v = yaml_document_get_node(r->doc, p->value);
	yaml_node_pair_t *q;
	int rc = 0;

	if (!k || !v || k->type != YAML_SCALAR_NODE)
		return error_set(PYSEC_EINVALID, "%s:%u: a key that is not a string", r->out->path,
			k ? node_line(k) : 0);
	if (v->type != YAML_MAPPING_NODE)
		return add_value(r, scalar(k), v);
	for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top && rc == 0; q++) {
		yaml_node_t *name = yaml_document_get_node(r->doc, q->key);
		yaml_node_t *value = yaml_document_get_node(r->doc, q->value);
		char *dotted;
		if (!name || !value || name->type != YAML_SCALAR_NODE)
			return error_set(PYSEC_EINVALID, "%s:%u: a key under '%s' that is not a string", r->out->path,
				name ? node_line(name) : node_line(v), scalar(k));
		dotted = xasprintf("%s.%s", scalar(k), scalar(name));
		rc = value->type == YAML_MAPPING_NODE ? bad(r, value, "too deep a mapping for", dotted) :
			add_value(r, dotted, value);
		free(dotted);
	}
	return rc;
}

/* libyaml's own words for what is wrong, where (a reader's error, bad bytes, knows only its offset). */
static int parse_error(const struct bandit_config *out, const yaml_parser_t *p, const char *buf)
{
	const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
	unsigned line = (unsigned)m->line + 1;
	size_t i;

	if (p->error == YAML_READER_ERROR)
		for (i = 0, line = 1; i < p->problem_offset; i++)
			line += buf[i] == '\n';
	return error_set(PYSEC_EINVALID, "%s:%u: not YAML: %s%s%s", out->path, line,
		p->problem ? p->problem : "cannot be parsed", p->context ? " " : "", p->context ? p->context : "");
}

static int read_document(struct reader *r, yaml_parser_t *p)
{
	yaml_document_t extra;
	yaml_node_t *root = yaml_document_get_root_node(r->doc);
	yaml_node_pair_t *pair;
	int rc = 0, more;

	if (!root || root->type != YAML_MAPPING_NODE)
		return error_set(PYSEC_EINVALID, "%s:%u: a Bandit configuration is a mapping (exclude_dirs: ..., "
			"skips: ...)", r->out->path, root ? node_line(root) : 1);
	if (!yaml_parser_load(p, &extra))
		return parse_error(r->out, p, r->buf);
	more = yaml_document_get_root_node(&extra) != NULL;
	yaml_document_delete(&extra);
	if (more)
		return error_set(PYSEC_EINVALID, "%s: more than one YAML document", r->out->path);
	for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top && rc == 0; pair++)
		rc = add_pair(r, pair);
	return rc;
}

int bandit_yaml_read(struct bandit_config *out, const char *path, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct reader r = { out, &doc, buf };
	int rc;

	out->path = xstrdup(path);
	if (len > BANDIT_MAX_FILE)
		return error_set(PYSEC_ELIMIT, "%s: over %d bytes", path, BANDIT_MAX_FILE);
	if (!yaml_parser_initialize(&parser))
		return error_set(PYSEC_ERROR, "%s: out of memory", path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = parse_error(out, &parser, buf);
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = read_document(&r, &parser);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}
