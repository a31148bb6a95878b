/* cmd-schema.c - "schema import": build a schema for a QEMU build. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "vi-budget.h"
#include "command.h"
#include "vi-escape.h"
#include "vi-output.h"
#include "input.h"
#include "schema-import.h"
#include "session.h"
#include "render-jw.h"

#define MAX_INPUTS 64

struct import_args {
	const char *dumps[MAX_INPUTS], *streams[MAX_INPUTS], *extras[MAX_INPUTS];
	const char *notes[MAX_INPUTS];
	int ndumps, nstreams, nextras, nnotes;
	const char *qemu_version, *target;
};

enum { OPT_DUMP = 256, OPT_STREAM, OPT_EXTRA, OPT_QEMU_VERSION, OPT_TARGET, OPT_PROV };

static const struct argp_option options[] = {
	{ "dump-vmstate", OPT_DUMP, "FILE", 0, "JSON written by qemu-system-ARCH -dump-vmstate (required)", 0 },
	{ "stream", OPT_STREAM, "FILE", 0, "A stream the same binary wrote, with its trailer (repeatable)", 0 },
	{ "extra", OPT_EXTRA, "FILE", 0, "{\"vmsds\": {name: {version_id, minimum_version_id}}} for vmstates -dump-vmstate misses (repeatable)", 0 },
	{ "qemu-version", OPT_QEMU_VERSION, "TEXT", 0, "Exact first line of the binary's --version (required)", 0 },
	{ "target", OPT_TARGET, "ID", 0, "Target id to record, e.g. qemu-10.0/x86_64 (required)", 0 },
	{ "provenance", OPT_PROV, "TEXT", 0, "How the inputs were made, e.g. a command line (repeatable)", 0 },
	{ 0 }
};

static int push(struct argp_state *st, const char **list, int *n, const char *v)
{
	if (*n == MAX_INPUTS)
		argp_error(st, "at most %d of each input", MAX_INPUTS);
	list[(*n)++] = v;
	return 0;
}

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct import_args *a = ((struct vi_cmd_ctx *)st->input)->args;

	switch (key) {
	case OPT_DUMP: vi_out_note_read(arg); return push(st, a->dumps, &a->ndumps, arg);
	case OPT_STREAM: vi_out_note_read(arg); return push(st, a->streams, &a->nstreams, arg);
	case OPT_EXTRA: vi_out_note_read(arg); return push(st, a->extras, &a->nextras, arg);
	case OPT_PROV: return push(st, a->notes, &a->nnotes, arg);
	case OPT_QEMU_VERSION: a->qemu_version = arg; return 0;
	case OPT_TARGET: a->target = arg; return 0;
	case ARGP_KEY_ARG: argp_error(st, "unexpected argument '%s'", arg); return 0;
	case ARGP_KEY_END:
		if (!a->ndumps || !a->qemu_version || !a->target)
			argp_error(st, "--dump-vmstate, --qemu-version and --target are required");
		return 0;
	default: return ARGP_ERR_UNKNOWN;
	}
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int import_stream(struct vi_import *im, const char *path, json_t *prov,
			 json_t *doc)
{
	struct vi_session s;
	struct vi_node *root;
	json_t *devices;
	int rc = 0;

	if (vi_session_walk(&s, path, NULL) < 0) {
		vi_session_print_error(&s, path);
		vi_session_close(&s);
		return -1;
	}
	if (!s.facts.vmdesc) {
		fprintf(stderr, "vmstate-inspect: %s: no VMDESCRIPTION trailer, nothing to learn\n",
			vi_tx(path));
		vi_session_close(&s);
		return -1;
	}
	devices = json_object_get(s.facts.vmdesc, "devices");
	root = s.root;
	for (size_t i = 0; i < root->nkids; i++) {
		struct vi_node *sec = root->kids[i];
		const struct vi_attr *idx = vi_node_get(sec, VI_A_VMDESC_INDEX);
		if (sec->kind != VI_N_SECTION)
			continue;
		if (strcmp(sec->type, "start") == 0)
			import_live_section(im, sec->name, (uint32_t)vi_node_get(sec, VI_A_VERSION_ID)->u);
		else if (idx)
			import_section(im, json_array_get(devices, idx->u), sec);
	}
	if (s.facts.page_size)
		json_object_set_new(doc, "page_size", json_integer(s.facts.page_size));
	json_array_append_new(prov, json_pack("{s:s,s:s}", "file", base(path),
					      "machine", s.facts.machine));
	vi_session_close(&s);
	return rc;
}

static int write_schema(FILE *out, const void *doc)
{
	vi_jw_dump(out, doc, 1, VI_JW_SORT_KEYS);
	return 0;
}

static const struct vi_outfmt formats[] = { { "json", write_schema }, { NULL, NULL } };

static int import(struct vi_cmd_ctx *c)
{
	const struct import_args *a = c->args;
	struct vi_error err = { 0 };
	struct vi_import im = { 0 };
	json_t *doc = NULL, *prov, *list;
	int rc = VI_EXIT_OK;
	unsigned refused = vi_budget_refusals();

	for (int i = 0; i < a->ndumps; i++) {
		struct vi_schema s;
		if (schema_load_file(&s, a->dumps[i], &err) < 0) {
			vi_error_print(&err, a->dumps[i]);
			json_decref(doc);
			return VI_EXIT_USAGE;
		}
		if (!doc) {
			doc = json_incref(s.doc);
		} else {	/* union of the vmsds of several machine types */
			const char *k;
			json_t *v;
			json_object_foreach(s.vmsds, k, v)
				if (!json_object_get(json_object_get(doc, "vmsds"), k))
					json_object_set(json_object_get(doc, "vmsds"), k, v);
		}
		schema_free(&s);
	}
	json_object_set_new(doc, "target", json_string(a->target));
	json_object_set_new(doc, "qemu_version", json_string(a->qemu_version));
	json_object_del(doc, "machine");
	json_object_del(doc, "device_classes_only");
	prov = json_object();
	json_object_set_new(doc, "provenance", prov);
	list = json_array();
	for (int i = 0; i < a->ndumps; i++)
		json_array_append_new(list, json_string(base(a->dumps[i])));
	json_object_set_new(prov, "dump_vmstate", list);
	im.vmsds = json_object_get(doc, "vmsds");
	list = json_array();
	json_object_set_new(prov, "streams", list);
	for (int i = 0; i < a->nstreams; i++)
		if (import_stream(&im, a->streams[i], list, doc) < 0)
			rc = VI_EXIT_INPUT;
	list = json_array();
	json_object_set_new(prov, "extra", list);
	for (int i = 0; i < a->nextras; i++) {
		json_error_t jerr;
		json_t *x = vi_json_load_file(a->extras[i], 0, &jerr);
		if (!x || import_extra(&im, x) < 0) {
			fprintf(stderr, "vmstate-inspect: %s: not an extra-versions file%s%s\n",
				vi_tx(a->extras[i]), x ? "" : ": ", x ? "" : vi_tx(jerr.text));
			rc = VI_EXIT_USAGE;
		} else {
			json_t *src = json_object_get(x, "source");
			json_array_append_new(list, json_string(json_is_string(src)
				? json_string_value(src) : base(a->extras[i])));
		}
		json_decref(x);
	}
	list = json_array();
	for (int i = 0; i < a->nnotes; i++)
		json_array_append_new(list, json_string(a->notes[i]));
	json_object_set_new(prov, "notes", list);
	import_finish(im.vmsds, 0);
	import_free(&im);
	{	/* variants are the qom entries' descriptions, listed at load time */
		const char *k;
		json_t *v;
		json_object_foreach(im.vmsds, k, v)
			json_object_del(v, "variants");
	}
	if (im.unmatched)
		fprintf(stderr, "vmstate-inspect: note: %u trailer fields had no -dump-vmstate "
			"counterpart\n", im.unmatched);
	if (rc == VI_EXIT_OK && vi_budget_refusals() != refused) {
		/* jansson was refused memory: a key of the schema may be missing */
		fprintf(stderr, "vmstate-inspect: schema import: the schema would take more than "
			"%llu MiB (the memory budget); refusing to write it\n",
			(unsigned long long)(vi_budget_limit() >> 20));
		rc = VI_EXIT_USAGE;
	}
	if (rc == VI_EXIT_OK && schema_validate(doc, "(result)", &err) < 0) {
		vi_error_print(&err, "schema import");
		rc = VI_EXIT_USAGE;
	}
	if (rc == VI_EXIT_OK)	/* else no schema: -o stays as it was */
		rc = vi_cmd_emit(c, doc, rc);
	/* What -dump-vmstate alone cannot give (the man page says it too);
	 * only for a schema that was written (an error is one line). */
	if (rc == VI_EXIT_OK && !a->nstreams)
		fprintf(stderr, "vmstate-inspect: warning: no --stream: the schema lacks every "
			"vmstate -dump-vmstate misses (ram, timer, cpu, apic, slirp, ...) and the "
			"types of fields; check with it rejects every stream (unknown sections); "
			"tools/import-qemu.sh BINARY TARGET DIR makes a complete target\n");
	else if (rc == VI_EXIT_OK && !a->nextras)
		fprintf(stderr, "vmstate-inspect: note: no --extra: the vmstates only the streams "
			"show have no minimum_version_id (no version-too-old for them), and a "
			"section none of the %d stream(s) holds (slirp without -netdev user, ...) is "
			"unknown to the schema\n", a->nstreams);
	json_decref(doc);
	return rc;
}

static const struct vi_command cmd_schema_import = {
	.name = "schema import",
	.doc = "Build a schema (schemas/README.md) for a QEMU binary from its "
	       "-dump-vmstate output and streams it wrote."
	       "\vThe schema records the --qemu-version text and what it was made from.",
	.common = VI_CMD_OUTPUT | VI_CMD_INPUT,
	.opt_doc = {
		[VI_O_OUTPUT] = "Write the schema to FILE (default stdout; replaced only once "
				"complete; - is standard output)",
	},
	.options = options, .parse = parse, .args_size = sizeof(struct import_args),
	.formats = formats, .run = import,
};

static int dispatch(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0) {
		argv[1] = (char *)"vmstate-inspect schema import";
		return vi_cmd_main(&cmd_schema_import, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "import") != 0 && argv[1][0] != '-') {
		fprintf(stderr, "vmstate-inspect schema: unknown subcommand '%s'; try "
			"'vmstate-inspect schema import --help'\n", vi_tx(argv[1]));
		return VI_EXIT_USAGE;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: vmstate-inspect schema import [OPTIONS]\n"
		       "Build a device schema for a QEMU binary; "
		       "'vmstate-inspect schema import --help' lists the options.\n");
		return VI_EXIT_OK;
	}
	fprintf(stderr, "vmstate-inspect schema: expected 'import'; try 'vmstate-inspect schema --help'\n");
	return VI_EXIT_USAGE;
}

const struct vi_command cmd_schema = {
	.name = "schema",
	.args = "import --dump-vmstate FILE [--stream FILE]... --qemu-version TEXT --target ID",
	.summary = "build a device schema for a QEMU build", .dispatch = dispatch,
};
