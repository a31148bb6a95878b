/* schema.c - loading, normalising and validating device schemas. */
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vi-budget.h"
#include "vi-json.h"
#include "schema.h"
#include "schema-facts.h"
#include "schema-lazy.h"
#include "schema-shape.h"
#include "schema-index.h"
#include "vi-limits.h"
#include "vi-release.h"

#define MAX_SCHEMA_BYTES (256u << 20)

static int bad(struct vi_error *err, const char *path, const char *where,
	       const char *what)
{
	return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "schema %s: %s: %s", path,
		       where, what);
}

static int is_small_uint(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 &&
	       json_integer_value(v) <= INT32_MAX;
}

static int check_vmsd(json_t *d, const char *path, const char *where, int depth,
		      struct vi_error *err);

static int check_field(json_t *f, const char *path, const char *where, int depth,
		       struct vi_error *err)
{
	static const char *const uints[] = { "version_id", "size", "num",
		"observed_array_len", "observed_size" };
	static const char *const bools[] = { "field_exists", "observed_absent" };
	static const char *const strs[] = { "type", "count_from", "size_from",
		"exists_if_nonzero" };
	char at[512];
	json_t *v;

	if (!json_is_object(f) || !json_is_string(json_object_get(f, "name")))
		return bad(err, path, where, "a field is not an object with a \"name\"");
	snprintf(at, sizeof(at), "%.200s.%.200s", where, json_string_value(json_object_get(f, "name")));
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
		if ((v = json_object_get(f, uints[i])) && !is_small_uint(v))
			return bad(err, path, at, "a count or size is not an integer 0..2^31-1");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if ((v = json_object_get(f, strs[i])) && !json_is_string(v))
			return bad(err, path, at, "type/count_from/size_from must be strings");
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if ((v = json_object_get(f, bools[i])) && !json_is_boolean(v))
			return bad(err, path, at, "field_exists/observed_absent must be booleans");
	if ((v = json_object_get(f, "struct")))
		return check_vmsd(v, path, at, depth + 1, err);
	return 0;
}

static int check_vmsd(json_t *d, const char *path, const char *where, int depth,
		      struct vi_error *err)
{
	json_t *v, *x;
	size_t i;
	char at[512];

	if (depth > VI_MAX_DESC_DEPTH)
		return bad(err, path, where, "descriptions nested too deep");
	if (!json_is_object(d) || !json_is_string(json_object_get(d, "name")))
		return bad(err, path, where, "a description is not an object with a \"name\"");
	snprintf(at, sizeof(at), "%s", json_string_value(json_object_get(d, "name")));
	if (!is_small_uint(json_object_get(d, "version_id")))
		return bad(err, path, at, "version_id is not an integer 0..2^31-1");
	v = json_object_get(d, "minimum_version_id");
	if (v && !json_is_null(v) && !is_small_uint(v))
		return bad(err, path, at, "minimum_version_id is not an integer or null");
	v = json_object_get(d, "fields");
	if (v && !json_is_array(v))
		return bad(err, path, at, "fields is not a list");
	json_array_foreach(v, i, x)
		if (check_field(x, path, at, depth, err) < 0)
			return -1;
	v = json_object_get(d, "subsections");
	if (v && !json_is_array(v))
		return bad(err, path, at, "subsections is not a list");
	json_array_foreach(v, i, x)
		if (check_vmsd(x, path, at, depth + 1, err) < 0)
			return -1;
	v = json_object_get(d, "registered_instance_id");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > UINT32_MAX))
		return bad(err, path, at, "registered_instance_id is not an instance id");
	v = json_object_get(d, "subsection_names");
	if (v && !json_is_array(v))
		return bad(err, path, at, "subsection_names is not a list");
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return bad(err, path, at, "subsection_names holds a non-string");
	v = json_object_get(d, "cpreg_index_sets");
	if (v && !json_is_array(v))
		return bad(err, path, at, "cpreg_index_sets is not a list");
	json_array_foreach(v, i, x) {
		json_t *list = json_object_get(x, "indexes"), *y;
		size_t j;
		if (!json_is_string(json_object_get(x, "cpu")) || !json_is_array(list))
			return bad(err, path, at, "a cpreg_index_sets entry is not {cpu, indexes}");
		json_array_foreach(list, j, y)
			if (!json_is_integer(y))
				return bad(err, path, at, "cpreg_index_sets holds a non-integer index");
	}
	return 0;
}

int schema_validate(json_t *doc, const char *path, struct vi_error *err)
{
	json_t *vmsds = json_object_get(doc, "vmsds"), *v, *x;
	const char *k, *why;

	if (!json_is_object(doc) || !json_is_object(vmsds))
		return bad(err, path, "top level", "no \"vmsds\" object");
	if (!json_is_string(json_object_get(doc, "target")) ||
	    !json_is_string(json_object_get(doc, "qemu_version")))
		return bad(err, path, "top level", "\"target\" and \"qemu_version\" must be strings");
	json_object_foreach(vmsds, k, v)
		if (check_vmsd(v, path, k, 0, err) < 0)
			return -1;
	v = json_object_get(doc, "qom");
	if (v && !json_is_object(v))
		return bad(err, path, "top level", "\"qom\" is not an object");
	json_object_foreach(v, k, x) {
		json_t *d = json_object_get(x, "description"), *n = json_object_get(x, "vmsd");
		if (!json_is_object(x) || (n && !json_is_null(n) && !json_is_string(n)))
			return bad(err, path, k, "a qom entry is not {\"vmsd\": name or null}");
		if (d && check_vmsd(d, path, k, 0, err) < 0)
			return -1;
	}
	if (facts_validate(doc, &why) < 0)
		return bad(err, path, "top level", why);
	return 0;
}

/* ---- loading ------------------------------------------------------------ */

/* Several device classes may register vmstates of one name with different
 * layouts (isa-serial and serial-mm are both "serial" in QEMU 7.2; isa-vga
 * and VGA both "vga"): a section's idstr cannot tell which.  The schema keeps
 * one layout under vmsds and the others in their qom entry's "description";
 * list those under the vmsd's "variants" for decoders to try in turn: for
 * one vmsd (the hook of lazy loading, schema-lazy.h), or every one. */
static void add_variant(json_t *v, json_t *d)
{
	json_t *list, *x;
	size_t i;
	int dup = 0;

	if (!json_is_array(list = json_object_get(v, "variants"))) {
		list = json_array();
		json_object_set_new(v, "variants", list);
	}
	json_array_foreach(list, i, x)
		dup |= x == d;
	if (!dup && json_array_size(list) < 16)
		json_array_append(list, d);
}

static int add_qom_variant(json_t *q, const char *key, void *v)
{
	json_t *d = json_object_get(q, "description");

	(void)key;
	if (json_is_object(d))
		add_variant(v, d);
	return 0;
}

static int count_qom_variant(json_t *q, const char *key, void *n)
{
	(void)key;
	*(size_t *)n += json_is_object(json_object_get(q, "description"));
	return 0;
}

/* fn on each qom entry whose vmsd is name, in the file's order: found by
 * the index when qom is lazy too (schema-index.h), else by a pass. */
static void each_qom_of(json_t *doc, const char *name, vi_lazy_each fn, void *ctx)
{
	json_t *qom = json_object_get(doc, "qom"), *q;
	const char *k;

	if (vi_lazy_aliases(qom, name, "vmsd", fn, ctx) >= 0)
		return;
	vi_lazy_complete(qom);
	json_object_foreach(qom, k, q)
		if (!strcmp(jstr(q, "vmsd") ? jstr(q, "vmsd") : "", name))
			fn(q, k, ctx);
}

/* A schema's objects that `make` indexes, each parsed entry by entry when
 * asked for (schema-lazy.h): its vmsds (with their shapes, schema-shape.h),
 * its QOM types (found by the vmsd they name), its provenance. */
const struct vi_idx_spec schema_index_objects[] = {
	{ "vmsds", NULL, vi_shape_encode_bytes },
	{ "qom", "vmsd", NULL },
	{ "provenance", NULL, NULL },
	{ NULL, NULL, NULL }
};

/* One vmsd's (the hook of lazy loading).  v may be shared with other
 * schemas (schema-lazy.c): a copy gets them. */
static json_t *attach_variants_of(json_t *doc, const char *name, json_t *v)
{
	json_t *copy;
	size_t n = 0;

	if (!json_is_object(v))
		return NULL;
	each_qom_of(doc, name, count_qom_variant, &n);
	if (!n)
		return NULL;
	if (!(copy = json_deep_copy(v)))
		vi_lazy_no_memory(name);
	each_qom_of(doc, name, add_qom_variant, copy);
	return copy;
}

/* Every vmsd's, in one pass over qom (linear in the schema). */
static void attach_variants(json_t *doc)
{
	json_t *vmsds = json_object_get(doc, "vmsds"), *q;
	const char *k;

	json_object_foreach(json_object_get(doc, "qom"), k, q) {
		json_t *d = json_object_get(q, "description");
		json_t *v = json_object_get(vmsds, jstr(q, "vmsd") ? jstr(q, "vmsd") : "");
		if (json_is_object(d) && json_is_object(v))
			add_variant(v, d);
	}
}

static int over_budget(struct vi_error *err, const char *path)
{
	return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "schema %s: would take more than "
		       "%llu MiB of memory (the budget: %llu MiB + %llu bytes per byte of "
		       "JSON and %llu per stream byte read)",
		       path, (unsigned long long)(vi_budget_limit() >> 20),
		       (unsigned long long)(VI_BUDGET_BASE >> 20),
		       (unsigned long long)VI_BUDGET_PER_JSON_BYTE,
		       (unsigned long long)VI_BUDGET_PER_BYTE);
}

/* A file `make` validated (described by a trusted validated.idx): its
 * vmsds and qom entries are parsed when first asked for (schema-lazy.h).  1 loaded, 0 not
 * such a file (load it whole), -1 error. */
static int load_lazy(struct vi_schema *s, const char *path, const char *const *dirs,
		     size_t size, unsigned refused, struct vi_error *err)
{
	json_t *doc = vi_lazy_load_file(path, size, "vmsds", attach_variants_of, dirs);

	if (!doc)
		return 0;
	if (vi_budget_refusals() != refused) {
		vi_lazy_forget(doc);
		json_decref(doc);
		return over_budget(err, path);
	}
	s->doc = doc;
	s->vmsds = json_object_get(doc, "vmsds");
	s->target = json_string_value(json_object_get(doc, "target"));
	s->qemu_version = json_string_value(json_object_get(doc, "qemu_version"));
	return 1;
}

static int load_file(struct vi_schema *s, const char *path, const char *const *dirs,
		     struct vi_error *err)
{
	json_error_t jerr;
	unsigned refused;
	json_t *doc;
	struct stat st;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (stat(path, &st) < 0)
		return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "schema %s: %s", path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_SCHEMA_BYTES)
		return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
			       "schema %s: not a regular file of at most %u bytes", path,
			       MAX_SCHEMA_BYTES);
	vi_budget_add_json_input((uint64_t)st.st_size);
	refused = vi_budget_refusals();
	if (dirs && (rc = load_lazy(s, path, schema_index_dirs(), (size_t)st.st_size, refused,
				    err)) != 0)
		return rc < 0 ? -1 : 0;
	doc = vi_json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc && vi_budget_refusals() != refused)
		return over_budget(err, path);
	if (!doc)
		return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
			       "schema %s: byte %d: bad JSON: %s", path, jerr.position, jerr.text);
	if (json_object_get(doc, "vmschkmachine")) {
		json_t *n = schema_from_dump_vmstate(doc, err);
		json_decref(doc);
		if (!n)
			return -1;
		doc = n;
	}
	if (vi_budget_refusals() != refused) {	/* a key may be missing */
		json_decref(doc);
		return over_budget(err, path);
	}
	if (schema_validate(doc, path, err) < 0) {
		json_decref(doc);
		return -1;
	}
	s->doc = doc;
	s->vmsds = json_object_get(doc, "vmsds");
	attach_variants(doc);
	s->target = json_string_value(json_object_get(doc, "target"));
	s->qemu_version = json_string_value(json_object_get(doc, "qemu_version"));
	return 0;
}

int schema_load_file(struct vi_schema *s, const char *path, struct vi_error *err)
{
	return load_file(s, path, NULL, err);
}

/* The install's schema directory, then a build tree's (the binary at
 * <top>/src/prog or <top>/build/src/prog), from dirs[k]; the next k. */
static int builtin_dirs(const char **dirs, int k)
{
	static char exe_rel[2][1100];
	char exe[1024];
	ssize_t n;

	dirs[k++] = VI_SCHEMADIR;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		snprintf(exe_rel[0], sizeof(exe_rel[0]), "%s/../schemas", exe);
		snprintf(exe_rel[1], sizeof(exe_rel[1]), "%s/../../schemas", exe);
		dirs[k++] = exe_rel[0];
		dirs[k++] = exe_rel[1];
	}
	return k;
}

const char *const *schema_dirs(const char *override)
{
	static const char *dirs[5];
	int k = 0;

	if (override)
		dirs[k++] = override;
	else if (getenv("VMSTATE_INSPECT_SCHEMAS"))
		dirs[k++] = getenv("VMSTATE_INSPECT_SCHEMAS");
	dirs[builtin_dirs(dirs, k)] = NULL;
	return dirs;
}

const char *const *schema_index_dirs(void)
{
	static const char *dirs[4];

	dirs[builtin_dirs(dirs, 0)] = NULL;
	return dirs;
}

int schema_targets(const char *override, schema_target_fn fn, void *ctx, const char **dir)
{
	const char *const *dirs = schema_dirs(override);
	int found = 0;

	for (int i = 0; dirs[i] && !found; i++) {
		struct dirent **rels = NULL;
		int nrel = scandir(dirs[i], &rels, NULL, alphasort);
		for (int k = 0; k < nrel; k++) {
			char sub[1400];
			struct dirent **files = NULL;
			int nf;
			if (strncmp(rels[k]->d_name, "qemu-", 5) == 0) {
				snprintf(sub, sizeof(sub), "%s/%s", dirs[i], rels[k]->d_name);
				nf = scandir(sub, &files, NULL, alphasort);
				for (int j = 0; j < nf; j++) {
					size_t n = strlen(files[j]->d_name);
					char id[600], path[2000];
					if (n > 5 && !strcmp(files[j]->d_name + n - 5, ".json")) {
						snprintf(id, sizeof(id), "%s/%.*s", rels[k]->d_name,
							 (int)(n - 5), files[j]->d_name);
						snprintf(path, sizeof(path), "%s/%s", sub, files[j]->d_name);
						fn(id, path, ctx);
						found++;
					}
					free(files[j]);
				}
				free(files);
			}
			free(rels[k]);
		}
		free(rels);
		if (found && dir)
			*dir = dirs[i];
	}
	if (!found && dir)
		*dir = dirs[0];
	return found;
}

int schema_load_target(struct vi_schema *s, const char *target,
		       const char *schema_dir, struct vi_error *err)
{
	const char *const *dirs;
	char path[1200];

	if (strchr(target, '.') && access(target, R_OK) == 0 &&
	    strstr(target, ".json"))
		return schema_load_file(s, target, err);
	for (const char *p = target; *p; p++)
		if (!(*p == '-' || *p == '.' || *p == '/' || *p == '_' ||
		      (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')) || (p[0] == '.' && p[1] == '.'))
			return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
				       "bad target '%s' (expected e.g. qemu-10.0/x86_64)", target);
	dirs = schema_dirs(schema_dir);
	for (int i = 0; dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s.json", dirs[i], target);
		if (access(path, R_OK) == 0)
			return load_file(s, path, dirs, err);
	}
	return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
		       "unknown target '%s': no %s.json in %s (see 'vmstate-inspect targets')",
		       target, target, dirs[0]);
}

void schema_free(struct vi_schema *s)
{
	vi_lazy_forget(s->doc);
	json_decref(s->doc);
	memset(s, 0, sizeof(*s));
}

json_t *schema_vmsd(const struct vi_schema *s, const char *name)
{
	return vi_lazy_get(s->vmsds, name);
}

void schema_complete(const struct vi_schema *s)
{
	for (const struct vi_idx_spec *o = schema_index_objects; o->key; o++)
		vi_lazy_complete(json_object_get(s->doc, o->key));
}

json_t *schema_subsection(json_t *vmsd, const char *name)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(vmsd, "subsections"), i, x) {
		json_t *n = json_object_get(x, "name");
		if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
			return x;
	}
	return NULL;
}

int schema_subsection_name_known(json_t *vmsd, const char *name)
{
	json_t *names = json_object_get(vmsd, "subsection_names"), *x, *p;
	const char *parent = json_is_string(p = json_object_get(vmsd, "name")) ?
			     json_string_value(p) : NULL;
	size_t i;

	if (!json_is_array(names) || !parent || strncmp(name, parent, strlen(parent)) != 0 ||
	    name[strlen(parent)] != '/')
		return -1;
	json_array_foreach(names, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), name) == 0)
			return 1;
	return 0;
}

const char *schema_release(const struct vi_schema *s, char *buf, size_t n)
{
	return vi_release_of_target(s->target, buf, n);
}
