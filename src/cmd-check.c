/* cmd-check.c - "check": would these destinations load these streams? */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check-baseline.h"
#include "check-engine.h"
#include "command.h"
#include "escape.h"
#include "input.h"
#include "render-findings.h"
#include "triage.h"

#define MAX_FILES 4096
#define MAX_TARGETS 64

struct check_args {
	const char *targets[MAX_TARGETS];
	int ntargets, all_targets, quiet;
	const char *machine, *dest_stream, *schema_dir, *output, *baseline, *write_baseline;
	const struct vi_outfmt *format;
	enum vi_severity min_severity;
	const char *files[MAX_FILES];
	int nfiles;
};

enum { OPT_TARGET = 256, OPT_MACHINE, OPT_DEST, OPT_SCHEMAS, OPT_ALL, OPT_MIN_SEV,
       OPT_BASELINE, OPT_WRITE_BASELINE };

static const struct argp_option options[] = {
	{ "target", OPT_TARGET, "ID", 0, "Destination: qemu-RELEASE/ARCH (see 'vmstate-inspect targets') or a schema or -dump-vmstate file; repeatable, each is checked", 0 },
	{ "all-targets", OPT_ALL, NULL, 0, "Check every installed target of each stream's architecture", 0 },
	{ "machine", OPT_MACHINE, "TYPE", 0, "Destination machine type or alias (default: the one in --dest-stream, else the stream's own)", 0 },
	{ "dest-stream", OPT_DEST, "FILE", 0, "A stream the destination's own configuration wrote: its devices, instances, RAMBlocks, values and whether it expects a configuration section", 0 },
	{ "schemas", OPT_SCHEMAS, "DIR", 0, "Look for target schemas in DIR first", 0 },
	{ "format", 'f', "FORMAT", 0, "text (default), json, sarif or junit", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE (replaced only once complete; - is standard output)", 0 },
	{ "min-severity", OPT_MIN_SEV, "LEVEL", 0, "Leave out findings below LEVEL: error, warning or note (default)", 0 },
	{ "quiet", 'q', NULL, 0, "Text: print only the verdicts", 0 },
	{ "baseline", OPT_BASELINE, "FILE", 0, "Findings accepted on purpose (CLASS PATH-PATTERN TARGET per line): shown as suppressed, not counted in the verdict", 0 },
	{ "write-baseline", OPT_WRITE_BASELINE, "FILE", 0, "Also write the findings shown as a baseline to FILE (replaced only once complete)", 0 },
	{ NULL, 'h', NULL, 0, "Give this help list", -1 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct check_args *a = st->input;

	switch (key) {
	case OPT_TARGET:
		if (a->ntargets == MAX_TARGETS)
			argp_error(st, "at most %d --target options", MAX_TARGETS);
		a->targets[a->ntargets++] = arg;
		return 0;
	case OPT_ALL: a->all_targets = 1; return 0;
	case OPT_MACHINE: a->machine = arg; return 0;
	case OPT_DEST: a->dest_stream = arg; return 0;
	case OPT_SCHEMAS: a->schema_dir = arg; return 0;
	case 'o': a->output = arg; return 0;
	case OPT_BASELINE: a->baseline = arg; return 0;
	case OPT_WRITE_BASELINE: a->write_baseline = arg; return 0;
	case 'q': a->quiet = vi_input_opts.quiet = 1; return 0;
	case 'h': argp_state_help(st, stdout, ARGP_HELP_STD_HELP); return 0;
	case OPT_MIN_SEV:
		if (vi_severity_parse(arg, &a->min_severity) < 0)
			argp_error(st, "unknown severity '%s' (error, warning or note)", arg);
		return 0;
	case 'f':
		if (!(a->format = vi_outfmt_find(vi_report_formats, arg)))
			argp_error(st, "unknown format '%s' (%s)", arg,
				   vi_outfmt_names(vi_report_formats));
		return 0;
	case ARGP_KEY_ARG:
		if (a->nfiles == MAX_FILES)
			argp_error(st, "at most %d files", MAX_FILES);
		a->files[a->nfiles++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->ntargets && !a->all_targets)
			argp_error(st, "--target or --all-targets is required (e.g. --target qemu-10.0/x86_64)");
		if (a->ntargets && a->all_targets)
			argp_error(st, "--target and --all-targets exclude each other");
		if (!a->nfiles)
			argp_error(st, "no FILE given");
		if (a->machine && (!*a->machine || strlen(a->machine) > 255))
			argp_error(st, "bad machine type '%s'", a->machine);
		if (a->write_baseline && (!strcmp(a->write_baseline, "-") || !*a->write_baseline) &&
		    (!a->output || !strcmp(a->output, "-")))
			argp_error(st, "--write-baseline to standard output needs -o FILE for the report");
		if (a->write_baseline && a->output && !strcmp(a->write_baseline, a->output))
			argp_error(st, "--write-baseline and -o name the same file");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* A destination: its schema and machine types. */
struct dest {
	char id[256];
	struct vi_schema schema;
	struct vi_machines machines;
	int has_machines;
};

static void add_installed(const char *id, const char *path, void *ctx)
{
	struct dest *v = ctx;
	int n = 0;

	(void)path;
	while (n < MAX_TARGETS && v[n].id[0])
		n++;
	if (n < MAX_TARGETS)
		snprintf(v[n].id, sizeof(v[n].id), "%s", id);
}

/* --all-targets: is target d of stream s's architecture (its cpu section
 * has d's fields, or it cannot tell)? */
static int fits(const struct vi_session *s, const struct dest *d)
{
	struct vi_triage_release rel;

	memset(&rel, 0, sizeof(rel));
	vi_triage_versions(s, &d->schema, &rel);
	return rel.cpu_match != 0;
}

static int load_dest(struct dest *d, const char *schema_dir)
{
	struct vi_error err = { 0 };
	int rc;

	if (schema_load_target(&d->schema, d->id, schema_dir, &err) < 0) {
		vi_error_print(&err, d->id);
		return -1;
	}
	vi_out_note_read(d->schema.path);
	if ((rc = machines_load(&d->machines, d->id, schema_dir, &err)) < 0) {
		vi_error_print(&err, d->id);
		schema_free(&d->schema);
		return -1;
	}
	d->has_machines = rc == 0 && d->machines.doc;
	if (d->has_machines) {
		vi_out_note_read(d->machines.path);
		vi_out_note_read(d->machines.rules_path[0] ? d->machines.rules_path : NULL);
	}
	return 0;
}
static const struct argp_child input_children[] = {
	{ &vi_input_argp_snapshot, 0, NULL, 0 }, { 0 }
};

/* A usage or schema error after the outputs were opened: nothing is written. */
static void abandon(struct vi_out *out, struct vi_out *wbout, const struct check_args *a,
		    struct vi_baseline *bl)
{
	vi_out_abort(out);
	if (a->write_baseline)
		vi_out_abort(wbout);
	vi_baseline_free(bl);
}

/* --write-baseline: every finding shown, as an entry for its target. */
static int write_baseline(struct vi_out *wbout, const struct vi_report *rep)
{
	struct vi_baseline_writer wb = { 0 };
	int rc;

	for (size_t i = 0; i < rep->n; i++)
		for (size_t k = 0; k < rep->results[i].findings.n; k++)
			if (rep->results[i].findings.v[k].severity >= rep->min_severity)
				vi_baseline_collect(&wb, &rep->results[i].findings.v[k],
						    rep->results[i].target);
	vi_baseline_write(&wb, wbout->f);
	vi_baseline_writer_free(&wb);
	rc = vi_out_commit(wbout);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "FILE...",
		"Predict whether a destination QEMU (release, architecture, machine type) "
		"would load each stream, and if not, why."
		"\vExit status: 0 every stream would be accepted by every destination, 1 at "
		"least one rejected, 2 usage, schema, target or write error, 3 an input "
		"could not be judged (missing, unreadable, empty, not a format this tool "
		"knows, a container or compression it cannot read): the worst of all.  A "
		"stream that was found but is damaged is a verdict (reject).  Without "
		"--dest-stream the destination is assumed to have the source's devices.",
		input_children, NULL, NULL
	};
	static struct check_args a;
	static struct dest dests[MAX_TARGETS];
	struct vi_session dest;
	struct vi_report rep = { 0 };
	struct vi_walk_opts wopts = { 0 };
	struct vi_out out, wbout;
	struct vi_baseline bl = { 0 };
	int ndests = 0, have_dest = 0, dest_rc = 0, rc;
	struct vi_error dest_err = { 0 };

	memset(&a, 0, sizeof(a));
	memset(dests, 0, sizeof(dests));
	a.format = &vi_report_formats[0];
	a.min_severity = VI_SEV_NOTE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	for (int i = 0; i < a.nfiles; i++)
		vi_out_note_read(a.files[i]);
	vi_out_note_read(a.dest_stream);
	vi_out_note_read(a.baseline);
	if (a.baseline && vi_baseline_load(&bl, a.baseline) < 0)
		return VI_EXIT_USAGE;
	if (vi_out_open(&out, a.output) < 0) {
		vi_baseline_free(&bl);
		return VI_EXIT_USAGE;
	}
	if (a.write_baseline && vi_out_open(&wbout, a.write_baseline) < 0) {
		vi_out_abort(&out);
		vi_baseline_free(&bl);
		return VI_EXIT_USAGE;
	}
	if (a.all_targets)
		schema_targets(a.schema_dir, add_installed, dests, NULL);
	else
		for (int i = 0; i < a.ntargets; i++)
			snprintf(dests[i].id, sizeof(dests[i].id), "%s", a.targets[i]);
	while (ndests < MAX_TARGETS && dests[ndests].id[0])
		ndests++;
	if (!ndests) {
		fprintf(stderr, "vmstate-inspect: --all-targets: no targets installed (see "
			"'vmstate-inspect targets')\n");
		abandon(&out, &wbout, &a, &bl);
		return VI_EXIT_USAGE;
	}
	for (int i = 0; i < ndests; i++)
		if (load_dest(&dests[i], a.schema_dir) < 0) {
			for (int k = 0; k < i; k++) {
				schema_free(&dests[k].schema);
				machines_free(&dests[k].machines);
			}
			abandon(&out, &wbout, &a, &bl);
			return VI_EXIT_USAGE;
		}
	if (a.dest_stream) {
		have_dest = 1;
		wopts.schema_vmsds = dests[0].schema.vmsds;
		if (vi_session_walk(&dest, a.dest_stream, &wopts) < 0) {
			/* No verdict for any file: each result carries this error. */
			vi_session_print_error(&dest, a.dest_stream);
			dest_rc = vi_session_found(&dest) ? VI_EXIT_USAGE : VI_EXIT_INPUT;
			dest_err = dest.err;	/* the documents name the file at fault */
			snprintf(dest_err.msg, sizeof(dest_err.msg), "--dest-stream %.200s: %.290s",
				 vi_tx(a.dest_stream), dest.err.msg);
			vi_session_close(&dest);
			have_dest = 0;
		}
	}
	rep.tool_command = "check";
	rep.machine = a.machine;
	rep.min_severity = a.min_severity;
	rep.quiet = a.quiet;
	rep.results = vi_xmalloc((size_t)a.nfiles * (size_t)ndests * sizeof(*rep.results));
	for (int i = 0; i < a.nfiles; i++) {
		struct vi_session first;
		int walked = 0;
		for (int t = 0; t < ndests; t++) {
			struct vi_result *x = &rep.results[rep.n];
			struct vi_session again, *s = &first;

			if (dest_rc) {
				memset(x, 0, sizeof(*x));
				x->file = a.files[i];
				x->input = (size_t)i;
				x->artifact = a.dest_stream;
				x->target = dests[t].schema.target ? dests[t].schema.target
								   : dests[t].id;
				x->qemu_version = dests[t].schema.qemu_version;
				x->error = dest_err;
				rep.n++;
				continue;
			}
			struct vi_dest d = { &dests[t].schema, have_dest ? &dest : NULL, a.machine,
					     dests[t].has_machines ? &dests[t].machines : NULL,
					     &rep.notes, 0 };
			/* An alias (q35, pc, virt...) is the type this release resolves
			 * it to; a type the release lacks is a reject, not an error. */
			if (a.machine && d.machines && !machines_get(d.machines, a.machine, &d.machine))
				d.machine_unknown = 1;
			wopts.schema_vmsds = dests[t].schema.vmsds;
			/* Walked with each destination's schema (it may decode what the
			 * trailer does not describe); standard input is read once. */
			if (!walked++)
				vi_session_walk(&first, a.files[i], &wopts);
			else if (vi_session_found(&first))
				vi_session_rewalk(s = &again, &first, &wopts);
			if (a.all_targets && vi_session_found(&first) && !fits(&first, &dests[t])) {
				if (s != &first)
					vi_session_close(s);
				continue;
			}
			memset(x, 0, sizeof(*x));
			x->file = a.files[i];
			x->input = (size_t)i;
			x->target = dests[t].schema.target ? dests[t].schema.target : dests[t].id;
			x->qemu_version = dests[t].schema.qemu_version;
			x->found = vi_session_found(s);
			x->in = s->in;
			x->machine = d.machine ? d.machine : have_dest && dest.w.machine[0]
				? dest.w.machine : s->w.machine[0] ? s->w.machine : NULL;
			if (x->machine == s->w.machine)	/* the session goes before rendering */
				x->machine = vi_xstrdup(s->w.machine), x->own_machine = 1;
			if (!x->found) {	/* cannot be judged: no verdict */
				x->error = s->err;
				if (t == 0 || walked == 1)
					vi_session_print_error(s, a.files[i]);
			} else {
				size_t errors = vi_check_stream(s, a.files[i], &d, &x->findings);
				if (a.baseline) {	/* accepted on purpose: not in the verdict */
					size_t ok = vi_baseline_apply(&bl, &x->findings, x->target);
					errors -= ok < errors ? ok : errors;
				}
				x->verdict = errors ? "reject" : "accept";
			}
			if (s != &first)
				vi_session_close(s);
			rep.n++;
		}
		if (walked)
			vi_session_close(&first);
	}
	vi_report_finish(&rep, "accept", "reject");
	if (dest_rc)
		rep.exit_code = dest_rc;
	if (a.baseline) {
		rep.baseline = a.baseline;
		vi_baseline_notes(&bl, &rep.notes);
	}
	rc = rep.exit_code;
	a.format->render(out.f, &rep);
	if (vi_out_commit(&out) < 0) {
		rc = VI_EXIT_USAGE;
		if (a.write_baseline)
			vi_out_abort(&wbout);
	} else if (a.write_baseline && write_baseline(&wbout, &rep) < 0) {
		rc = VI_EXIT_USAGE;
	}
	for (size_t i = 0; i < rep.n; i++) {
		vi_findings_free(&rep.results[i].findings);
		if (rep.results[i].own_machine)
			free((char *)rep.results[i].machine);
	}
	vi_findings_free(&rep.notes);
	vi_baseline_free(&bl);
	free(rep.results);
	if (have_dest)
		vi_session_close(&dest);
	for (int i = 0; i < ndests; i++) {
		schema_free(&dests[i].schema);
		machines_free(&dests[i].machines);
	}
	return rc;
}

const struct vi_command cmd_check = {
	"check", "--target ID... | --all-targets [--machine TYPE] [--dest-stream FILE] FILE...",
	"predict whether destinations would load streams", run
};
