/* cmd-check.c - "check": would this destination load these streams? */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check-engine.h"
#include "command.h"
#include "render-findings.h"

#define MAX_FILES 4096

struct check_args {
	const char *target, *machine, *dest_stream, *schema_dir, *output;
	enum vi_report_format format;
	const char *files[MAX_FILES];
	int nfiles;
};

enum { OPT_TARGET = 256, OPT_MACHINE, OPT_DEST, OPT_SCHEMAS };

static const struct argp_option options[] = {
	{ "target", OPT_TARGET, "ID", 0, "Destination: qemu-RELEASE/ARCH (see schemas/) or a schema or -dump-vmstate file (required)", 0 },
	{ "machine", OPT_MACHINE, "TYPE", 0, "Destination machine type (default: the one in --dest-stream, else the stream's own)", 0 },
	{ "dest-stream", OPT_DEST, "FILE", 0, "A stream the destination's own configuration wrote: its devices, instances, RAMBlocks and values", 0 },
	{ "schemas", OPT_SCHEMAS, "DIR", 0, "Look for target schemas in DIR first", 0 },
	{ "format", 'f', "FORMAT", 0, "text (default), json, sarif or junit", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct check_args *a = st->input;

	switch (key) {
	case OPT_TARGET: a->target = arg; return 0;
	case OPT_MACHINE: a->machine = arg; return 0;
	case OPT_DEST: a->dest_stream = arg; return 0;
	case OPT_SCHEMAS: a->schema_dir = arg; return 0;
	case 'o': a->output = arg; return 0;
	case 'f':
		if (vi_report_format_parse(arg, &a->format) < 0)
			argp_error(st, "unknown format '%s' (text, json, sarif or junit)", arg);
		return 0;
	case ARGP_KEY_ARG:
		if (a->nfiles == MAX_FILES)
			argp_error(st, "at most %d files", MAX_FILES);
		a->files[a->nfiles++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->target)
			argp_error(st, "--target is required (e.g. --target qemu-10.0/x86_64)");
		if (!a->nfiles)
			argp_error(st, "no FILE given");
		if (a->machine && (!*a->machine || strlen(a->machine) > 255))
			argp_error(st, "bad machine type '%s'", a->machine);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "FILE...",
		"Predict whether a destination QEMU (release, architecture, machine type) "
		"would load each stream, and if not, why."
		"\vExit status: 0 every stream would be accepted, 1 at least one rejected, "
		"2 usage, schema or target error, 3 an input could not be read.  Without "
		"--dest-stream the destination is assumed to have the source's devices.",
		NULL, NULL, NULL
	};
	struct check_args a = { 0 };
	struct vi_error err = { 0 };
	struct vi_schema schema;
	struct vi_session dest;
	struct vi_dest d = { 0 };
	struct vi_report rep = { 0 };
	struct vi_walk_opts wopts = { 0 };
	struct vi_machines machines = { 0 };
	int rc = VI_EXIT_OK, have_dest = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	if (vi_output_clobbers(a.output, a.files, (size_t)a.nfiles) ||
	    vi_output_clobbers(a.output, &a.dest_stream, 1))
		return VI_EXIT_USAGE;
	if (schema_load_target(&schema, a.target, a.schema_dir, &err) < 0) {
		vi_error_print(&err, a.target);
		return VI_EXIT_USAGE;
	}
	d.schema = &schema;
	d.machine = a.machine;
	if ((rc = machines_load(&machines, a.target, a.schema_dir, &err)) < 0) {
		vi_error_print(&err, a.target);
		schema_free(&schema);
		return VI_EXIT_USAGE;
	}
	rc = VI_EXIT_OK;
	if (machines.doc) {
		d.machines = &machines;
		if (a.machine && !machines_get(&machines, a.machine, NULL)) {
			fprintf(stderr, "vmstate-inspect: %s: unknown machine type '%s' (see "
				"'vmstate-inspect machines %s')\n", a.target, a.machine, a.target);
			machines_free(&machines);
			schema_free(&schema);
			return VI_EXIT_USAGE;
		}
	}
	wopts.schema_vmsds = schema.vmsds;
	if (a.dest_stream) {
		have_dest = 1;
		if (vi_session_walk(&dest, a.dest_stream, &wopts) < 0) {
			vi_error_print(&dest.err, a.dest_stream);
			fprintf(stderr, "vmstate-inspect: --dest-stream must be a stream the "
				"destination wrote completely\n");
			vi_session_close(&dest);
			schema_free(&schema);
			return dest.opened ? VI_EXIT_USAGE : VI_EXIT_INPUT;
		}
		d.stream = &dest;
	}
	rep.tool_command = "check";
	rep.target = schema.target;
	rep.qemu_version = schema.qemu_version;
	rep.machine = a.machine ? a.machine : have_dest ? dest.w.machine : NULL;
	rep.results = vi_xmalloc((size_t)a.nfiles * sizeof(*rep.results));
	rep.n = (size_t)a.nfiles;
	rep.verdict = "accept";
	for (int i = 0; i < a.nfiles; i++) {
		struct vi_result *x = &rep.results[i];
		struct vi_session s;
		memset(x, 0, sizeof(*x));
		x->file = a.files[i];
		vi_session_walk(&s, a.files[i], &wopts);
		if (s.err.set && !s.err.has_offset) {	/* could not be read at all */
			vi_error_print(&s.err, a.files[i]);
			x->unreadable = 1;
			x->verdict = "unreadable";
			rc = VI_EXIT_INPUT;
		} else {
			size_t errors = vi_check_stream(&s, a.files[i], &d, &x->findings);
			x->verdict = errors ? "reject" : "accept";
			if (errors) {
				rep.verdict = "reject";
				if (rc == VI_EXIT_OK)
					rc = VI_EXIT_FINDINGS;
			}
		}
		vi_session_close(&s);
	}
	if (rc == VI_EXIT_INPUT && !strcmp(rep.verdict, "accept"))
		rep.verdict = "unreadable";
	if (vi_report_write(a.output, &rep, a.format) < 0)
		rc = VI_EXIT_USAGE;
	for (size_t i = 0; i < rep.n; i++)
		vi_findings_free(&rep.results[i].findings);
	free(rep.results);
	if (have_dest)
		vi_session_close(&dest);
	machines_free(&machines);
	schema_free(&schema);
	return rc;
}

const struct vi_command cmd_check = {
	"check", "--target ID [--machine TYPE] [--dest-stream FILE] FILE...",
	"predict whether a destination would load a stream", run
};
