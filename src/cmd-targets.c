/* cmd-targets.c - "targets": which destinations check, diff and dump know. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "command.h"
#include "vi-escape.h"
#include "vi-output.h"
#include "schema.h"
#include "render-jw.h"

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

	vi_jw_dump(out, doc, 1, 0);
	json_decref(doc);
	return 0;
}

static const struct vi_outfmt formats[] = {
	{ "text", text_view },
	{ "json", json_view },
	{ NULL, NULL },
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	(void)arg;
	if (key == ARGP_KEY_ARG)
		argp_error(st, "targets takes no arguments");
	return ARGP_ERR_UNKNOWN;
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

static int run(struct vi_cmd_ctx *c)
{
	struct list l = { json_array(), NULL, 0 };
	int rc;

	l.n = schema_targets(c->schema_dir, add, &l, &l.from);
	rc = vi_cmd_emit(c, &l, VI_EXIT_OK);
	json_decref(l.v);
	return rc;
}

const struct vi_command cmd_targets = {
	.name = "targets", .args = "[--format text|json]",
	.summary = "list the destinations whose schemas are installed",
	.doc = "List the targets (qemu-RELEASE/ARCH) whose schemas are installed, with "
	       "the QEMU build each was generated from."
	       "\vExit status: 0, or 2 for a usage or write error.",
	.common = VI_CMD_SCHEMAS | VI_CMD_FORMAT | VI_CMD_OUTPUT,
	.parse = parse, .formats = formats, .run = run,
};
