/* cmd-machines.c - "machines": a target's machine types, and two compared. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "command.h"
#include "vi-escape.h"
#include "vi-output.h"
#include "vi-json.h"
#include "schema-machines.h"
#include "render-jw.h"

struct machines_args {
	const char *target, *a, *b;
};

/* What is shown: every machine type, one, or two compared. */
struct view {
	struct vi_machines *m;
	json_t *ma, *mb, *diff;
	const char *ra, *rb;
};

static int text_view(FILE *out, const void *model);
static int json_view(FILE *out, const void *model);
static const struct vi_outfmt formats[] = {
	{ "text", text_view },
	{ "json", json_view },
	{ NULL, NULL },
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct machines_args *a = ((struct vi_cmd_ctx *)st->input)->args;

	switch (key) {
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

/* A string member, "" when absent: for comparing. */
static const char *s(json_t *o, const char *k)
{
	return jstr(o, k) ? jstr(o, k) : "";
}

/* The same, escaped for a terminal: for printing. */
static const char *t(json_t *o, const char *k)
{
	return vi_tx(s(o, k));
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

static int text_view(FILE *out, const void *model)
{
	const struct view *v = model;
	const char *k;
	json_t *x, *p;
	size_t i;

	if (v->mb) {
		fprintf(out, "%s vs %s: %zu compat properties differ\n", vi_tx(v->ra), vi_tx(v->rb),
			json_array_size(v->diff));
		json_array_foreach(v->diff, i, p)
			fprintf(out, "  %s.%s: %s=%s  %s=%s  (%s)\n", t(p, "driver"), t(p, "property"),
				vi_tx(v->ra), json_is_string(json_object_get(p, v->ra)) ? t(p, v->ra)
				: "(default)", vi_tx(v->rb), json_is_string(json_object_get(p, v->rb))
				? t(p, v->rb) : "(default)", t(p, "array"));
	} else if (v->ma) {
		fprintf(out, "%s: %zu compat properties\n", vi_tx(v->ra),
			json_array_size(json_object_get(v->ma, "compat_props")));
		json_array_foreach(json_object_get(v->ma, "compat_props"), i, p)
			fprintf(out, "  %-28s %-32s %-10s %s\n", t(p, "driver"), t(p, "property"),
				t(p, "value"), t(p, "array"));
	} else {
		json_object_foreach(machines_all(v->m), k, x)
			fprintf(out, "%-24s %4zu compat properties%s\n", vi_tx(k),
				json_array_size(json_object_get(x, "compat_props")),
				json_is_true(json_object_get(x, "default")) ? "  (default)" : "");
	}
	vi_tx_release();
	return 0;
}

static int json_view(FILE *out, const void *model)
{
	const struct view *v = model;
	json_t *doc;

	if (v->mb)
		doc = json_pack("{s:s,s:s,s:O}", "a", v->ra, "b", v->rb, "differences", v->diff);
	else
		doc = json_incref(v->ma ? v->ma : machines_all(v->m));
	vi_jw_dump(out, doc, 1, 0);
	json_decref(doc);
	return 0;
}

static int run(struct vi_cmd_ctx *c)
{
	const struct machines_args *a = c->args;
	struct vi_error err = { 0 };
	struct vi_machines m = { 0 };
	struct view v = { &m, NULL, NULL, NULL, NULL, NULL };
	int rc;

	if ((rc = machines_load(&m, a->target, c->schema_dir, &err)) != 0) {
		if (rc < 0)
			vi_error_print(&err, a->target);
		else
			fprintf(stderr, "vmstate-inspect: no machine data for target '%s'\n",
				vi_tx(a->target));
		return VI_EXIT_USAGE;
	}
	vi_out_note_read(m.path);
	if (m.rules_path[0])
		vi_out_note_read(m.rules_path);
	if ((a->a && !(v.ma = machines_get(&m, a->a, &v.ra))) ||
	    (a->b && !(v.mb = machines_get(&m, a->b, &v.rb)))) {
		fprintf(stderr, "vmstate-inspect: %s: unknown machine type '%s'\n", vi_tx(a->target),
			vi_tx(v.ma ? a->b : a->a));
		machines_free(&m);
		return VI_EXIT_USAGE;
	}
	if (v.mb)
		v.diff = compare(v.ma, v.mb, v.ra, v.rb);
	rc = vi_cmd_emit(c, &v, VI_EXIT_OK);
	json_decref(v.diff);
	machines_free(&m);
	return rc;
}

const struct vi_command cmd_machines = {
	.name = "machines", .args = "TARGET [TYPE [TYPE]]",
	.summary = "list or compare a target's machine types",
	.usage = "TARGET [TYPE [TYPE]]",
	.doc = "List a target's machine types with their compat properties, show one, "
	       "or compare two property by property."
	       "\vMachine data lives in schemas/machines/ and is generated from real QEMU "
	       "(see schemas/README-compat.md).  Exit status: 0, or 2 for an unknown "
	       "target or machine type, bad machine data or a write error.",
	.common = VI_CMD_SCHEMAS | VI_CMD_FORMAT | VI_CMD_OUTPUT,
	.opt_doc = { [VI_O_SCHEMAS] = "Look for target data in DIR first" },
	.parse = parse, .args_size = sizeof(struct machines_args), .formats = formats,
	.run = run,
};
