/* cmd-diff.c - "diff": would migration from one target to another break? */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "command.h"
#include "diff.h"
#include "input.h"
#include "render-findings.h"

struct diff_args {
	const char *src, *dst, *machine, *schema_dir, *output;
	int both;
	enum vi_report_format format;
};

enum { OPT_BOTH = 256, OPT_MACHINE, OPT_SCHEMAS };

static const struct argp_option options[] = {
	{ "both", OPT_BOTH, NULL, 0, "Also check the DST -> SRC direction", 0 },
	{ "machine", OPT_MACHINE, "TYPE", 0, "Machine type both sides run (recorded in the report)", 0 },
	{ "schemas", OPT_SCHEMAS, "DIR", 0, "Look for target schemas in DIR first", 0 },
	{ "format", 'f', "FORMAT", 0, "text (default), json, sarif or junit", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct diff_args *a = st->input;

	switch (key) {
	case OPT_BOTH: a->both = 1; return 0;
	case OPT_MACHINE: a->machine = arg; return 0;
	case OPT_SCHEMAS: a->schema_dir = arg; return 0;
	case 'o': a->output = arg; return 0;
	case 'f':
		if (vi_report_format_parse(arg, &a->format) < 0)
			argp_error(st, "unknown format '%s' (text, json, sarif or junit)", arg);
		return 0;
	case ARGP_KEY_ARG:
		if (!a->src)
			a->src = arg;
		else if (!a->dst)
			a->dst = arg;
		else
			argp_error(st, "diff takes SRC and DST");
		return 0;
	case ARGP_KEY_END:
		if (!a->dst)
			argp_error(st, "diff needs SRC and DST (targets like qemu-7.2/x86_64, "
				   "schema files or -dump-vmstate files)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static void one(struct vi_result *x, const struct vi_schema *s, const struct vi_schema *d,
		char *label, size_t n)
{
	snprintf(label, n, "%s -> %s", s->target, d->target);
	memset(x, 0, sizeof(*x));
	x->file = label;
	x->verdict = vi_diff_schemas(s, d, &x->findings) ? "incompatible" : "compatible";
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "SRC DST",
		"Compare two targets' device vmstates for migration from SRC to DST: "
		"sections and subsections that disappear, version moves that break the "
		"direction, fields renamed, resized or added without a version bump."
		"\vSRC and DST are target ids (qemu-7.2/x86_64), schema files, or raw "
		"-dump-vmstate files.  Exit status: 0 compatible, 1 incompatible, 2 usage.",
		NULL, NULL, NULL
	};
	struct diff_args a = { 0 };
	struct vi_error err = { 0 };
	struct vi_schema s, d;
	struct vi_result res[2];
	struct vi_report rep = { 0 };
	char l0[600], l1[600];
	int rc;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	{
		const char *in[2] = { a.src, a.dst };	/* target ids are no files: skipped */
		if (vi_output_clobbers(a.output, in, 2))
			return VI_EXIT_USAGE;
	}
	if (schema_load_target(&s, a.src, a.schema_dir, &err) < 0) {
		vi_error_print(&err, a.src);
		return VI_EXIT_USAGE;
	}
	if (schema_load_target(&d, a.dst, a.schema_dir, &err) < 0) {
		vi_error_print(&err, a.dst);
		schema_free(&s);
		return VI_EXIT_USAGE;
	}
	one(&res[0], &s, &d, l0, sizeof(l0));
	if (a.both)
		one(&res[1], &d, &s, l1, sizeof(l1));
	rep.tool_command = "diff";
	rep.target = d.target;
	rep.qemu_version = d.qemu_version;
	rep.machine = a.machine;
	rep.results = res;
	rep.n = a.both ? 2 : 1;
	rep.no_offsets = 1;
	rep.verdict = "compatible";
	for (size_t i = 0; i < rep.n; i++)
		if (!strcmp(res[i].verdict, "incompatible"))
			rep.verdict = "incompatible";
	rc = strcmp(rep.verdict, "compatible") ? VI_EXIT_FINDINGS : VI_EXIT_OK;
	if (vi_report_write(a.output, &rep, a.format) < 0)
		rc = VI_EXIT_USAGE;
	for (size_t i = 0; i < rep.n; i++)
		vi_findings_free(&res[i].findings);
	schema_free(&s);
	schema_free(&d);
	return rc;
}

const struct vi_command cmd_diff = {
	"diff", "SRC DST [--both] [--machine TYPE]",
	"compare two targets' schemas for migration", run
};
