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
#include "vi-escape.h"
#include "input.h"
#include "render-findings.h"
#include "report-triage.h"

#define MAX_FILES 4096

struct check_args {
	int quiet;
	const char *dest_stream, *baseline, *write_baseline;
	const char *files[MAX_FILES];
	int nfiles;
};

enum { OPT_DEST = 256, OPT_BASELINE, OPT_WRITE_BASELINE };

static const struct argp_option options[] = {
	{ "dest-stream", OPT_DEST, "FILE", 0, "A stream the destination's own configuration wrote: its devices, instances, RAMBlocks, values and whether it expects a configuration section", 0 },
	{ "quiet", 'q', NULL, 0, "Text: print only the verdicts", 0 },
	{ "baseline", OPT_BASELINE, "FILE", 0, "Findings accepted on purpose (CLASS PATH-PATTERN TARGET per line): shown as suppressed, not counted in the verdict", 0 },
	{ "write-baseline", OPT_WRITE_BASELINE, "FILE", 0, "Also write the findings shown as a baseline to FILE (replaced only once complete)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct vi_cmd_ctx *c = st->input;
	struct check_args *a = c->args;

	switch (key) {
	case OPT_DEST: a->dest_stream = arg; vi_out_note_read(arg); return 0;
	case OPT_BASELINE: a->baseline = arg; vi_out_note_read(arg); return 0;
	case OPT_WRITE_BASELINE: a->write_baseline = arg; return 0;
	case 'q': a->quiet = vi_input_opts.quiet = 1; return 0;
	case ARGP_KEY_ARG:
		if (a->nfiles == MAX_FILES)
			argp_error(st, "at most %d files", MAX_FILES);
		a->files[a->nfiles++] = arg;
		vi_out_note_read(arg);
		return 0;
	case ARGP_KEY_END:
		if (!a->nfiles)
			argp_error(st, "no FILE given");
		if (a->write_baseline && (!strcmp(a->write_baseline, "-") || !*a->write_baseline) &&
		    (!c->output || !strcmp(c->output, "-")))
			argp_error(st, "--write-baseline to standard output needs -o FILE for the report");
		if (a->write_baseline && c->output && !strcmp(a->write_baseline, c->output))
			argp_error(st, "--write-baseline and -o name the same file");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* --all-targets: is target d of stream s's architecture (its cpu section
 * has d's fields, or it cannot tell)? */
static int fits(const struct vi_session *s, const struct vi_cmd_target *d)
{
	struct vi_triage_release rel, *r = &rel;
	const struct vi_schema *schema = &d->schema;

	memset(&rel, 0, sizeof(rel));
	vi_triage_versions(s, &schema, &r, 1);
	return rel.cpu_match != 0;
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

/* The result of file i against target t when --dest-stream could not be
 * read: no verdict, that error. */
static void dest_failed(struct vi_result *x, const struct check_args *a, int i,
			const struct vi_cmd_target *t, const struct vi_error *err)
{
	memset(x, 0, sizeof(*x));
	x->file = a->files[i];
	x->input = (size_t)i;
	x->artifact = a->dest_stream;
	x->target = vi_cmd_target_name(t);
	x->qemu_version = t->schema.qemu_version;
	x->error = *err;
}

/* What judging one stream against one target needs. */
struct judging {
	const struct vi_cmd_ctx *c;
	const struct check_args *a;
	struct vi_session *dest;	/* --dest-stream, walked, or NULL */
	struct vi_baseline *bl;
	struct vi_walk_opts wopts;
	struct vi_report *rep;		/* the next result is filled */
};

/* File i against target t.  first is the file's first walk (*walked counts
 * them): walked again with each destination's schema, which may decode
 * what the trailer does not describe; standard input is read once. */
static void judge(struct judging *j, int i, int t, struct vi_session *first, int *walked)
{
	const struct vi_cmd_target *tg = &j->c->targets[t];
	const char *file = j->a->files[i];
	struct vi_result *x = &j->rep->results[j->rep->n];
	struct vi_session again, *s = first;
	struct vi_dest d;

	vi_cmd_dest(j->c, tg, &d);
	d.stream = j->dest;
	d.notes = &j->rep->notes;
	j->wopts.schema_vmsds = tg->schema.vmsds;
	if (!(*walked)++)
		vi_session_walk(first, file, &j->wopts);
	else if (vi_session_found(first))
		vi_session_rewalk(s = &again, first, &j->wopts);
	if (j->c->all_targets && vi_session_found(first) && !fits(first, tg)) {
		if (s != first)
			vi_session_close(s);
		return;
	}
	memset(x, 0, sizeof(*x));
	x->file = file;
	x->input = (size_t)i;
	x->target = vi_cmd_target_name(tg);
	x->qemu_version = tg->schema.qemu_version;
	x->found = vi_session_found(s);
	x->in = s->in;
	x->machine = d.machine ? d.machine : j->dest && j->dest->facts.machine[0]
		? j->dest->facts.machine : s->facts.machine[0] ? s->facts.machine : NULL;
	if (x->machine == s->facts.machine)	/* the session goes before rendering */
		x->machine = vi_xstrdup(s->facts.machine), x->own_machine = 1;
	if (!x->found) {	/* cannot be judged: no verdict */
		x->error = s->err;
		if (t == 0 || *walked == 1)
			vi_session_print_error(s, file);
	} else {
		size_t errors = vi_check_stream(s, file, &d, &x->findings);
		if (j->a->baseline) {	/* accepted on purpose: not in the verdict */
			size_t ok = vi_baseline_apply(j->bl, &x->findings, x->target);
			errors -= ok < errors ? ok : errors;
		}
		x->verdict = errors ? "reject" : "accept";
	}
	if (s != first)
		vi_session_close(s);
	j->rep->n++;
}

static int run(struct vi_cmd_ctx *c)
{
	const struct check_args *a = c->args;
	struct vi_session dest;
	struct vi_report rep = { 0 };
	struct vi_out wbout;
	struct vi_baseline bl = { 0 };
	struct judging j = { c, a, NULL, &bl, { 0 }, &rep };
	int dest_rc = 0, rc;
	struct vi_error dest_err = { 0 };

	if (a->baseline && vi_baseline_load(&bl, a->baseline) < 0)
		return VI_EXIT_USAGE;
	if (a->write_baseline && vi_out_open(&wbout, a->write_baseline) < 0) {
		vi_baseline_free(&bl);
		return VI_EXIT_USAGE;
	}
	if (a->dest_stream) {
		j.dest = &dest;
		j.wopts.schema_vmsds = c->targets[0].schema.vmsds;
		if (vi_session_walk(&dest, a->dest_stream, &j.wopts) < 0) {
			/* No verdict for any file: each result carries this error. */
			vi_session_print_error(&dest, a->dest_stream);
			dest_rc = vi_session_found(&dest) ? VI_EXIT_USAGE : VI_EXIT_INPUT;
			dest_err = dest.err;	/* the documents name the file at fault */
			snprintf(dest_err.msg, sizeof(dest_err.msg), "--dest-stream %.200s: %.290s",
				 vi_tx(a->dest_stream), dest.err.msg);
			vi_session_close(&dest);
			j.dest = NULL;
		}
	}
	rep.tool_command = "check";
	rep.machine = c->machine;
	rep.min_severity = c->min_severity;
	rep.quiet = a->quiet;
	rep.results = vi_xmalloc((size_t)a->nfiles * (size_t)c->ntargets * sizeof(*rep.results));
	for (int i = 0; i < a->nfiles; i++) {
		struct vi_session first;
		int walked = 0;
		for (int t = 0; t < c->ntargets; t++)
			if (dest_rc)
				dest_failed(&rep.results[rep.n++], a, i, &c->targets[t], &dest_err);
			else
				judge(&j, i, t, &first, &walked);
		if (walked)
			vi_session_close(&first);
	}
	vi_report_finish(&rep, "accept", "reject");
	if (dest_rc)
		rep.exit_code = dest_rc;
	if (a->baseline) {
		rep.baseline = a->baseline;
		vi_baseline_notes(&bl, &rep.notes);
	}
	rc = rep.exit_code;
	c->format->render(c->out.f, &rep);
	if (vi_out_commit(&c->out) < 0) {
		rc = VI_EXIT_USAGE;
		if (a->write_baseline)
			vi_out_abort(&wbout);
	} else if (a->write_baseline && write_baseline(&wbout, &rep) < 0) {
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
	if (j.dest)
		vi_session_close(&dest);
	return rc;
}

const struct vi_command cmd_check = {
	.name = "check",
	.args = "--target ID... | --all-targets [--machine TYPE] [--dest-stream FILE] FILE...",
	.summary = "predict whether destinations would load streams",
	.usage = "FILE...",
	.doc = "Predict whether a destination QEMU (release, architecture, machine type) "
	       "would load each stream, and if not, why."
	       "\vExit status: 0 every stream would be accepted by every destination, 1 at "
	       "least one rejected, 2 usage, schema, target or write error, 3 an input "
	       "could not be judged (missing, unreadable, empty, not a format this tool "
	       "knows, a container or compression it cannot read): the worst of all.  A "
	       "stream that was found but is damaged is a verdict (reject).  Without "
	       "--dest-stream the destination is assumed to have the source's devices.",
	.common = VI_CMD_TARGETS | VI_CMD_ALL_TARGETS | VI_CMD_MACHINE | VI_CMD_SCHEMAS |
		  VI_CMD_FORMAT | VI_CMD_OUTPUT | VI_CMD_MIN_SEVERITY | VI_CMD_SNAPSHOT,
	.opt_doc = {
		[VI_O_TARGET] = "Destination: qemu-RELEASE/ARCH (see 'vmstate-inspect targets') "
				"or a schema or -dump-vmstate file; repeatable, each is checked",
		[VI_O_MACHINE] = "Destination machine type or alias (default: the one in "
				 "--dest-stream, else the stream's own)",
		[VI_O_OUTPUT] = "Write the report to FILE (replaced only once complete; - is "
				"standard output)",
	},
	.options = options, .parse = parse, .args_size = sizeof(struct check_args),
	.formats = vi_report_formats, .run = run,
};
