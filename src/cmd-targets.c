/* cmd-targets.c - "targets": which destinations check, diff and dump know. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "command.h"
#include "escape.h"
#include "output.h"
#include "schema.h"

struct targets_args {
	const char *schema_dir, *output;
	const struct vi_outfmt *format;
};

/* The installed targets: [{target, qemu_version | error}], and where. */
struct list {
	json_t *v;
	const char *from;
	int n;
};

static int text_view(FILE *out, const void *model)
{
	const struct list *l = model;
	json_t *x;
	size_t i;

	json_array_foreach(l->v, i, x) {
		json_t *e = json_object_get(x, "error");
		if (e)
			fprintf(out, "%-24s (unreadable: %s)\n",
				vi_tx(json_string_value(json_object_get(x, "target"))),
				vi_tx(json_string_value(e)));
		else
			fprintf(out, "%-24s %s\n",
				vi_tx(json_string_value(json_object_get(x, "target"))),
				vi_tx(json_string_value(json_object_get(x, "qemu_version"))));
	}
	if (l->n)
		fprintf(out, "(from %s)\n", vi_tx(l->from));
	else
		fprintf(out, "no targets installed (looked in %s)\n", vi_tx(l->from));
	vi_tx_release();
	return 0;
}

static int json_view(FILE *out, const void *model)
{
	const struct list *l = model;
	json_t *doc = json_pack("{s:o,s:O}", "directory", vi_jstr(l->from ? l->from : ""),
				"targets", l->v);

	json_dumpf(doc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(doc);
	return 0;
}

static const struct vi_outfmt formats[] = {
	{ "text", text_view },
	{ "json", json_view },
	{ NULL, NULL },
};

static const struct argp_option options[] = {
	{ "schemas", 256, "DIR", 0, "Look for target schemas in DIR first", 0 },
	{ "format", 'f', "FORMAT", 0, "text (default) or json", 0 },
	{ "output", 'o', "FILE", 0, "Write to FILE (replaced only once complete; - is standard output)", 0 },
	{ NULL, 'h', NULL, 0, "Give this help list", -1 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct targets_args *a = st->input;

	switch (key) {
	case 256: a->schema_dir = arg; return 0;
	case 'o': a->output = arg; return 0;
	case 'h': argp_state_help(st, stdout, ARGP_HELP_STD_HELP); return 0;
	case 'f':
		if (!(a->format = vi_outfmt_find(formats, arg)))
			argp_error(st, "unknown format '%s' (%s)", arg, vi_outfmt_names(formats));
		return 0;
	case ARGP_KEY_ARG:
		argp_error(st, "targets takes no arguments");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static void add(const char *id, const char *path, void *ctx)
{
	struct list *l = ctx;
	struct vi_schema s;
	struct vi_error err = { 0 };

	vi_out_note_read(path);
	if (schema_load_file(&s, path, &err) < 0) {
		json_array_append_new(l->v, json_pack("{s:o,s:o}", "target", vi_jstr(id),
						       "error", vi_jstr(err.msg)));
		return;
	}
	json_array_append_new(l->v, json_pack("{s:o,s:o}", "target", vi_jstr(id),
					       "qemu_version", s.qemu_version
					       ? vi_jstr(s.qemu_version) : json_null()));
	schema_free(&s);
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, NULL,
		"List the targets (qemu-RELEASE/ARCH) whose schemas are installed, with "
		"the QEMU build each was generated from."
		"\vExit status: 0, or 2 for a usage or write error.", NULL, NULL, NULL
	};
	struct targets_args a = { 0 };
	struct list l = { json_array(), NULL, 0 };
	struct vi_out out;
	int rc;

	a.format = &formats[0];
	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0) {
		json_decref(l.v);
		return VI_EXIT_USAGE;
	}
	if (vi_out_open(&out, a.output) < 0) {
		json_decref(l.v);
		return VI_EXIT_USAGE;
	}
	l.n = schema_targets(a.schema_dir, add, &l, &l.from);
	a.format->render(out.f, &l);
	rc = vi_out_commit(&out) < 0 ? VI_EXIT_USAGE : VI_EXIT_OK;
	json_decref(l.v);
	return rc;
}

const struct vi_command cmd_targets = {
	"targets", "[--format text|json]", "list the destinations whose schemas are installed", run
};
