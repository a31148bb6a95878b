/* cmd-machines.c - "machines": a target's machine types, and two compared. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "command.h"
#include "jutil.h"
#include "machines.h"

struct machines_args {
	const char *target, *a, *b, *schema_dir;
	int json;
};

static const struct argp_option options[] = {
	{ "schemas", 256, "DIR", 0, "Look for target data in DIR first", 0 },
	{ "format", 'f', "FORMAT", 0, "text (default) or json", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct machines_args *a = st->input;

	switch (key) {
	case 256: a->schema_dir = arg; return 0;
	case 'f':
		if (strcmp(arg, "json") && strcmp(arg, "text"))
			argp_error(st, "unknown format '%s' (text or json)", arg);
		a->json = !strcmp(arg, "json");
		return 0;
	case ARGP_KEY_ARG:
		if (!a->target) a->target = arg;
		else if (!a->a) a->a = arg;
		else if (!a->b) a->b = arg;
		else argp_error(st, "machines takes TARGET and at most two machine types");
		return 0;
	case ARGP_KEY_END:
		if (!a->target)
			argp_error(st, "no TARGET given (e.g. qemu-10.0/x86_64)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* A string member, "" when absent: for printing. */
static const char *s(json_t *o, const char *k)
{
	return jstr(o, k) ? jstr(o, k) : "";
}

/* The entry of props for driver.property, or NULL.  A property can occur
 * twice (an older array overriding a newer one): the last entry is the
 * value QEMU applies. */
static json_t *prop(json_t *props, json_t *p)
{
	json_t *x, *found = NULL;
	size_t i;

	json_array_foreach(props, i, x)
		if (!strcmp(s(x, "driver"), s(p, "driver")) && !strcmp(s(x, "property"), s(p, "property")))
			found = x;
	return found;
}

static json_t *compare(json_t *ma, json_t *mb, const char *na, const char *nb)
{
	json_t *pa = json_object_get(ma, "compat_props"), *pb = json_object_get(mb, "compat_props");
	json_t *out = json_array(), *p, *q;
	size_t i;

	json_array_foreach(pa, i, p) {
		if (prop(pa, p) != p)
			continue;	/* not the effective entry */
		q = prop(pb, p);
		if (!q || strcmp(s(p, "value"), s(q, "value")))
			json_array_append_new(out, json_pack("{s:s,s:s,s:s?,s:s?,s:s?}",
				"driver", s(p, "driver"), "property", s(p, "property"),
				na, s(p, "value"), nb, q ? s(q, "value") : NULL,
				"array", s(p, "array")));
	}
	json_array_foreach(pb, i, p)
		if (prop(pb, p) == p && !prop(pa, p))
			json_array_append_new(out, json_pack("{s:s,s:s,s:n,s:s,s:s}",
				"driver", s(p, "driver"), "property", s(p, "property"),
				na, nb, s(p, "value"), "array", s(p, "array")));
	return out;
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "TARGET [TYPE [TYPE]]",
		"List a target's machine types with their compat properties, show one, "
		"or compare two property by property."
		"\vMachine data lives in schemas/machines/ and is generated from real QEMU "
		"(see schemas/README-compat.md).  Exit status: 0, or 2 for an unknown "
		"target or machine type.",
		NULL, NULL, NULL
	};
	struct machines_args a = { 0 };
	struct vi_error err = { 0 };
	struct vi_machines m;
	json_t *ma = NULL, *mb = NULL, *out;
	const char *ra = NULL, *rb = NULL, *k;
	json_t *v, *p;
	size_t i;
	int rc;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	if ((rc = machines_load(&m, a.target, a.schema_dir, &err)) != 0) {
		if (rc < 0)
			vi_error_print(&err, a.target);
		else
			fprintf(stderr, "vmstate-inspect: no machine data for target '%s'\n", a.target);
		return VI_EXIT_USAGE;
	}
	if ((a.a && !(ma = machines_get(&m, a.a, &ra))) || (a.b && !(mb = machines_get(&m, a.b, &rb)))) {
		fprintf(stderr, "vmstate-inspect: %s: unknown machine type '%s'\n", a.target,
			ma ? a.b : a.a);
		machines_free(&m);
		return VI_EXIT_USAGE;
	}
	if (mb) {
		out = compare(ma, mb, ra, rb);
		if (a.json) {
			json_dumpf(json_pack("{s:s,s:s,s:o}", "a", ra, "b", rb, "differences", out),
				   stdout, JSON_INDENT(1));
			putchar('\n');
		} else {
			printf("%s vs %s: %zu compat properties differ\n", ra, rb, json_array_size(out));
			json_array_foreach(out, i, p)
				printf("  %s.%s: %s=%s  %s=%s  (%s)\n", s(p, "driver"), s(p, "property"),
				       ra, json_is_string(json_object_get(p, ra)) ? s(p, ra) : "(default)",
				       rb, json_is_string(json_object_get(p, rb)) ? s(p, rb) : "(default)",
				       s(p, "array"));
			json_decref(out);
		}
	} else if (ma) {
		if (a.json) {
			json_dumpf(ma, stdout, JSON_INDENT(1));
			putchar('\n');
		} else {
			printf("%s: %zu compat properties\n", ra, json_array_size(json_object_get(ma, "compat_props")));
			json_array_foreach(json_object_get(ma, "compat_props"), i, p)
				printf("  %-28s %-32s %-10s %s\n", s(p, "driver"), s(p, "property"),
				       s(p, "value"), s(p, "array"));
		}
	} else if (a.json) {
		json_dumpf(json_object_get(m.doc, "machines"), stdout, JSON_INDENT(1));
		putchar('\n');
	} else {
		json_object_foreach(json_object_get(m.doc, "machines"), k, v)
			printf("%-24s %4zu compat properties%s\n", k,
			       json_array_size(json_object_get(v, "compat_props")),
			       json_is_true(json_object_get(v, "default")) ? "  (default)" : "");
	}
	machines_free(&m);
	return VI_EXIT_OK;
}

const struct vi_command cmd_machines = {
	"machines", "TARGET [TYPE [TYPE]]",
	"list or compare a target's machine types", run
};
