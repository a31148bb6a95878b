/* schema-facts.c - a release's loader facts from its schema (schema-facts.h). */
#include <ctype.h>
#include <string.h>
#include "schema-facts.h"
#include "schema-lazy.h"

static json_t *fact(const struct vi_schema *s, const char *key)
{
	json_t *f = s && s->doc ? json_object_get(s->doc, "release_facts") : NULL;
	return json_object_get(f, key);
}

static int in_list(json_t *list, const char *name)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x)
		if (json_is_string(x) && !strcmp(json_string_value(x), name))
			return 1;
	return 0;
}

int facts_capability_known(const struct vi_schema *s, const char *name)
{
	json_t *l = fact(s, "migration_capabilities");
	return json_is_array(l) ? in_list(l, name) : -1;
}

json_t *facts_validated_capabilities(const struct vi_schema *s)
{
	json_t *l = fact(s, "validated_capabilities");
	return json_is_array(l) ? l : NULL;
}

int facts_command(const struct vi_schema *s, uint64_t cmd, const char **name, size_t *known)
{
	json_t *l = fact(s, "migration_commands"), *c;

	if (!json_is_array(l))
		return -1;
	*known = json_array_size(l);
	/* loadvm_process_command: cmd >= MIG_CMD_MAX or MIG_CMD_INVALID (0) */
	if (cmd == 0 || cmd >= json_array_size(l))
		return 0;
	c = json_array_get(l, cmd);
	*name = json_string_value(json_object_get(c, "name"));
	return 1;
}

int facts_virtio_subsection(const struct vi_schema *s, const char *parent, const char *name,
			    int *version_id, int *minimum_version_id)
{
	json_t *l = fact(s, "virtio_subsections"), *x;
	size_t i;

	if (!json_is_array(l))
		return -1;
	json_array_foreach(l, i, x) {
		const char *p = json_string_value(json_object_get(x, "parent"));
		const char *n = json_string_value(json_object_get(x, "name"));
		if (p && n && !strcmp(p, parent) && !strcmp(n, name)) {
			*version_id = (int)json_integer_value(json_object_get(x, "version_id"));
			*minimum_version_id =
				(int)json_integer_value(json_object_get(x, "minimum_version_id"));
			return 1;
		}
	}
	return 0;
}

static int strings(json_t *l)
{
	size_t i;
	json_t *x;

	if (!l)
		return 1;
	if (!json_is_array(l))
		return 0;
	json_array_foreach(l, i, x)
		if (!json_is_string(x))
			return 0;
	return 1;
}

int facts_validate(json_t *doc, const char **why)
{
	json_t *f = json_object_get(doc, "release_facts"), *l, *x;
	size_t i;

	if (!f)
		return 0;
	*why = "\"release_facts\" is not an object of lists";
	if (!json_is_object(f) || !strings(json_object_get(f, "migration_capabilities")) ||
	    !strings(json_object_get(f, "validated_capabilities")))
		return -1;
	l = json_object_get(f, "migration_commands");
	if (l && !json_is_array(l))
		return -1;
	*why = "a release_facts migration_commands entry is not {name, len}";
	json_array_foreach(l, i, x)
		if (!json_is_string(json_object_get(x, "name")) ||
		    !json_is_integer(json_object_get(x, "len")))
			return -1;
	l = json_object_get(f, "virtio_subsections");
	*why = "release_facts virtio_subsections is not a list";
	if (l && !json_is_array(l))
		return -1;
	*why = "a release_facts virtio_subsections entry is not {parent, name, version_id, "
	       "minimum_version_id}";
	json_array_foreach(l, i, x) {
		json_t *v = json_object_get(x, "version_id"), *m = json_object_get(x, "minimum_version_id");
		if (!json_is_string(json_object_get(x, "parent")) ||
		    !json_is_string(json_object_get(x, "name")) || !json_is_integer(v) ||
		    !json_is_integer(m) || json_integer_value(v) < 0 || json_integer_value(v) > 255 ||
		    json_integer_value(m) < 0 || json_integer_value(m) > 255)
			return -1;
	}
	return 0;
}

/* Does the idstr component at p (up to '/') look like a qdev bus path
 * element: a PCI or sysbus address ("0000:00:02.0", "pci@800000020000000:01.0",
 * "virtio-mmio@000000000a000000"), a USB port or CCW device number ("1.2",
 * "fe.0.0001")?  A vmsd name is neither. */
static int bus_path_component(const char *p)
{
	size_t n = strcspn(p, "/");
	int digit = 0, hexdot = 1;

	if (!p[n] || memchr(p, ':', n) || memchr(p, '@', n))
		return p[n] != '\0';
	for (size_t i = 0; i < n; i++) {
		digit |= isdigit((unsigned char)p[i]) != 0;
		hexdot &= isxdigit((unsigned char)p[i]) || p[i] == '.';
	}
	return n && hexdot && digit;
}

const char *facts_vmsd_name(json_t *vmsds, const char *idstr)
{
	const char *name = idstr;

	for (const char *p = idstr; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (vi_lazy_has(vmsds, p))
			return p;
	/* None known: what follows the bus path ("icp/server" stays whole). */
	while (bus_path_component(name))
		name = strchr(name, '/') + 1;
	return name;
}
