/* schema-machines.c - machine types and compat properties: loading a target's
 * machine data and rules, and resolving a machine type or alias.
 *
 * A machine type pins old behaviour through compat properties (driver,
 * property, value, from arrays like hw_compat_5_1).  Rules, as data,
 * say what a property does to a stream (schemas/README-compat.md, "Effect
 * kinds"): a subsection, section, field, command or RAM flag that is never
 * sent, a virtio queue or MSI-X vector count, a feature bit, a register
 * bit, a ring size, a RAMBlock name, a request layout.  Each rule is
 * evaluated on the decoded tree and, where the tree has only a blob, on
 * the stream's bytes: check-compat*.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vi-budget.h"
#include "vi-json.h"
#include "schema-machines.h"
#include "schema.h"
#include "schema-lazy.h"
#include "schema-index.h"
#include "session.h"

const struct vi_idx_spec machines_index_objects[] = {
	{ "machines", "aliases", NULL },
	{ "provenance", NULL, NULL },
	{ NULL, NULL, NULL }
};

/* Machine data and compat rules sit in the schema directories: a FIFO or a
 * device there would block or never end, so only regular files are read. */
static json_t *load(const char *path, int *lazy,
		    struct vi_error *err)
{
	json_error_t jerr;
	struct stat st;
	json_t *doc = NULL;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: not a regular file", path);
		return NULL;
	}
	vi_budget_add_json_input((uint64_t)st.st_size);
	/* validated by `make`: machine types parsed when asked for */
	if (lazy && (*lazy = (doc = vi_lazy_load_file(path, (size_t)st.st_size, "machines",
							NULL, schema_index_dirs())) != NULL))
		return doc;
	doc = vi_json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: byte %d: bad JSON: %s", path,
			jerr.position, jerr.text);
	return doc;
}

static int valid_machines(json_t *doc, const char *path, struct vi_error *err)
{
	json_t *ms = json_object_get(doc, "machines"), *m, *p;
	const char *k;
	size_t i;

	if (!json_is_object(ms))
		return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: no \"machines\" object", path);
	json_object_foreach(ms, k, m) {
		if (!json_is_object(m) || (json_object_get(m, "compat_props") &&
					   !json_is_array(json_object_get(m, "compat_props"))))
			return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
				       "%s: machine %s: compat_props is not a list", path, k);
		json_array_foreach(json_object_get(m, "compat_props"), i, p)
			if (!jstr(p, "driver") || !jstr(p, "property") || !jstr(p, "value"))
				return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
					       "%s: machine %s: a compat property lacks "
					       "driver, property or value", path, k);
	}
	return 0;
}

/* compat-rules.json is every target's (report loads them all): read once,
 * shared read-only; charged to the budget per target as before. */
static json_t *cached_rules(const char *path, struct vi_error *err)
{
	static char cpath[1100];
	static json_t *cdoc;
	static struct stat cst;
	struct stat st;

	if (cdoc && !strcmp(cpath, path) && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == cst.st_size && st.st_mtim.tv_sec == cst.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == cst.st_mtim.tv_nsec && st.st_ino == cst.st_ino) {
		vi_budget_add_json_input((uint64_t)st.st_size);
		return json_incref(cdoc);
	}
	json_decref(cdoc);
	cdoc = NULL;
	if (stat(path, &cst) < 0 || !(cdoc = load(path, NULL, err)))
		return NULL;
	snprintf(cpath, sizeof(cpath), "%s", path);
	return json_incref(cdoc);
}

int machines_validate_file(const char *path, struct vi_error *err)
{
	json_t *doc = load(path, NULL, err);
	int rc = doc ? valid_machines(doc, path, err) : -1;

	json_decref(doc);
	return rc;
}

int machines_load(struct vi_machines *m, const char *target, const char *schema_dir,
		  struct vi_error *err)
{
	const char *const *dirs = schema_dirs(schema_dir);
	char rules[1100];

	memset(m, 0, sizeof(*m));
	if (strstr(target, ".json"))	/* a schema file, not a target id */
		return 1;
	for (int i = 0; dirs[i]; i++) {
		snprintf(m->path, sizeof(m->path), "%s/machines/%s.json", dirs[i], target);
		if (access(m->path, R_OK) != 0)
			continue;
		int lazy = 0;
		if (!(m->doc = load(m->path, &lazy, err)) ||
		    (!lazy && valid_machines(m->doc, m->path, err) < 0)) {
			machines_free(m);
			return -1;
		}
		snprintf(rules, sizeof(rules), "%s/compat-rules.json", dirs[i]);
		if (access(rules, R_OK) == 0) {
			json_t *r = cached_rules(rules, err);
			if (!r || !json_is_array(json_object_get(r, "rules"))) {
				json_decref(r);
				machines_free(m);
				return err->set ? -1 : vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
							      "%s: no \"rules\" list", rules);
			}
			m->rules = json_incref(json_object_get(r, "rules"));
			json_decref(r);
			snprintf(m->rules_path, sizeof(m->rules_path), "%s", rules);
		}
		return 0;
	}
	return 1;
}

void machines_free(struct vi_machines *m)
{
	vi_lazy_forget(m->doc);
	json_decref(m->doc);
	json_decref(m->rules);
	m->doc = m->rules = NULL;
}

json_t *machines_get(const struct vi_machines *m, const char *name, const char **resolved)
{
	json_t *ms = json_object_get(m->doc, "machines"), *v, *a;
	const char *k;
	size_t i;

	if ((v = vi_lazy_get(ms, name))) {
		if (resolved)
			*resolved = name;
		return v;
	}
	/* an alias: found from the index, without parsing every machine type */
	switch (vi_lazy_alias(ms, name, "aliases", &v, &k)) {
	case 1:
		if (resolved)
			*resolved = k;
		return v;
	case 0:
		return NULL;
	}
	vi_lazy_complete(ms);
	json_object_foreach(ms, k, v)
		json_array_foreach(json_object_get(v, "aliases"), i, a)
			if (json_is_string(a) && strcmp(json_string_value(a), name) == 0) {
				if (resolved)
					*resolved = k;
				return v;
			}
	return NULL;
}

json_t *machines_all(const struct vi_machines *m)
{
	json_t *ms = json_object_get(m->doc, "machines");

	vi_lazy_complete(ms);
	return ms;
}
