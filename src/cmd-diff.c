/* cmd-diff.c - "diff": would migration from one target to another break? */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "command.h"
#include "diff.h"
#include "diff-stream.h"
#include "render-diff-stream.h"
#include "vi-escape.h"
#include "input.h"
#include "session.h"
#include "render-findings.h"
#include "render-jw.h"

struct diff_args {
	const char *src, *dst, *machine;
	int both, quiet;
	struct vi_diff_stream_opts stream;	/* when SRC and DST are streams */
};

enum { OPT_BOTH = 256, OPT_MACHINE, OPT_IGNORE, OPT_NO_DEFAULT_IGNORE };

static const struct argp_option options[] = {
	{ "both", OPT_BOTH, NULL, 0, "Also check the DST -> SRC direction", 0 },
	{ "machine", OPT_MACHINE, "TYPE", 0, "Machine type both sides run (recorded in the report)", 0 },
	{ "quiet", 'q', NULL, 0, "Text: print only the verdicts", 0 },
	{ "ignore", OPT_IGNORE, "PATTERN", 0,
	  "Streams: ignore fields whose path (section/field/...) matches this shell "
	  "pattern (repeatable)", 0 },
	{ "no-default-ignore", OPT_NO_DEFAULT_IGNORE, NULL, 0,
	  "Streams: also show the volatile fields ignored by default (clocks, timers, RTC)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct diff_args *a = ((struct vi_cmd_ctx *)st->input)->args;

	switch (key) {
	case OPT_BOTH: a->both = 1; return 0;
	case OPT_MACHINE: a->machine = arg; return 0;
	case 'q': a->quiet = 1; return 0;
	case OPT_IGNORE:
		if (a->stream.nignore == VI_DIFF_MAX_IGNORE)
			argp_error(st, "at most %d --ignore patterns", VI_DIFF_MAX_IGNORE);
		a->stream.ignore[a->stream.nignore++] = arg;
		return 0;
	case OPT_NO_DEFAULT_IGNORE: a->stream.no_default = 1; return 0;
	case ARGP_KEY_ARG:
		vi_out_note_read(arg);	/* target ids are no files: skipped */
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
		char *label, size_t n, size_t input)
{
	snprintf(label, n, "%s -> %s", s->target, d->target);
	memset(x, 0, sizeof(*x));
	x->file = label;
	x->artifact = d->path;
	x->target = d->target;
	x->qemu_version = d->qemu_version;
	x->input = input;
	x->verdict = vi_diff_schemas(s, d, &x->findings) ? "incompatible" : "compatible";
}

/* Does path name a file that opens as a migration stream? */
static int is_stream(const char *path)
{
	struct vi_input in;
	struct vi_error err = { 0 };
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : NULL;
	unsigned char m[4] = { 0 };
	int yes;

	if (!f)
		return 0;
	yes = fread(m, 1, 4, f) == 4 && m[0] != '{' && m[0] != '[';	/* not JSON */
	fclose(f);
	if (!yes)
		return 0;
	yes = vi_input_open(&in, path, &err) == 0;
	vi_input_close(&in);	/* a failed open may hold a container's facts */
	return yes;
}

/* An operand that cannot be read (not even to its end: a pipe or
 * compressed input is read once, so corrupt data shows only then) is
 * reported as one that cannot be opened: -2, its error in *err and which
 * one in *which (0 SRC, 1 DST). */
static int unreadable(struct vi_session *s, struct vi_session *t, int which,
		      struct vi_error *err, int *which_out)
{
	*err = (which ? t : s)->err;
	*which_out = which;
	vi_session_close(s);
	if (which)
		vi_session_close(t);
	return -2;
}

static int run_streams(struct vi_cmd_ctx *c, struct vi_error *err, int *which)
{
	const struct diff_args *a = c->args;
	struct vi_out *out = &c->out;
	struct vi_walk_opts wopts = { 0 };
	struct vi_session s, t;
	json_t *doc;
	int rc, json = !strcmp(c->format->name, "json");

	wopts.ram_digests = 1;
	if (vi_session_walk(&s, a->src, &wopts) < 0 || s.err.set) {
		if (!vi_session_found(&s))
			return unreadable(&s, &t, 0, err, which);
		vi_session_print_error(&s, a->src);
		vi_session_close(&s);
		return VI_EXIT_INPUT;
	}
	if (vi_session_walk(&t, a->dst, &wopts) < 0 || t.err.set) {
		if (!vi_session_found(&t))
			return unreadable(&s, &t, 1, err, which);
		vi_session_print_error(&t, a->dst);
		vi_session_close(&s);
		vi_session_close(&t);
		return VI_EXIT_INPUT;
	}
	if (!json && strcmp(c->format->name, "text")) {
		fprintf(stderr, "vmstate-inspect: diff of two streams: --format text or json\n");
		vi_session_close(&s);
		vi_session_close(&t);
		return VI_EXIT_USAGE;
	}
	doc = vi_diff_streams(&s, &t, &a->stream);
	rc = json_is_true(json_object_get(doc, "same")) ? VI_EXIT_OK : VI_EXIT_FINDINGS;
	if (json) {
		json_object_set_new(doc, "a", json_string(vi_tx(a->src)));
		json_object_set_new(doc, "b", json_string(vi_tx(a->dst)));
		vi_jw_dump(out->f, doc, 2, 0);
	} else {
		vi_diff_streams_text(out->f, doc, vi_tx(a->src), vi_tx(a->dst));
	}
	rc = vi_cmd_commit(c, rc);
	json_decref(doc);
	vi_session_close(&s);
	vi_session_close(&t);
	return rc;
}

static int run(struct vi_cmd_ctx *c)
{
	const struct diff_args *a = c->args;
	struct vi_error err = { 0 };
	struct vi_schema s = { 0 }, d = { 0 };
	struct vi_result res[2];
	struct vi_report rep = { 0 };
	char l0[600], l1[600];
	int rc, loaded = 0, ss, ds, bad_rc = VI_EXIT_USAGE;

	ss = is_stream(a->src);
	ds = is_stream(a->dst);
	if (ss && ds) {
		int which = 0;
		rc = run_streams(c, &err, &which);
		if (rc != -2)
			return rc;
		bad_rc = VI_EXIT_INPUT;	/* the report carries the error */
		loaded = which;
	}
	rep.tool_command = "diff";
	rep.machine = a->machine;
	rep.results = res;
	rep.no_offsets = 1;
	rep.min_severity = c->min_severity;
	rep.quiet = a->quiet;
	if (ss && ds) {
		/* one of them could not be read: err and loaded say which */
	} else if (ss != ds) {
		/* One operand is a stream, so the other was meant as one too: the
		 * error is why that one is no stream (exit 3), or a usage error
		 * when it is a schema (a stream is not compared with a schema). */
		const char *other = ss ? a->dst : a->src;
		struct vi_input in;

		if (schema_load_target(&d, other, c->schema_dir, &err) == 0) {
			schema_free(&d);
			fprintf(stderr, "vmstate-inspect: diff compares two streams or two "
				"targets, not a stream with a target (%s)\n", vi_tx(other));
			return VI_EXIT_USAGE;
		}
		memset(&err, 0, sizeof(err));
		if (vi_input_open(&in, other, &err) == 0)	/* opens, walks badly */
			vi_fail(&err, VI_EXIT_INPUT, -1, "not a QEMU migration stream");
		vi_input_close(&in);
		bad_rc = VI_EXIT_INPUT;
		loaded = ss ? 1 : 0;
	} else if (schema_load_target(&s, a->src, c->schema_dir, &err) == 0) {
		loaded = 1;
		vi_out_note_read(s.path);
		if (schema_load_target(&d, a->dst, c->schema_dir, &err) == 0) {
			loaded = 2;
			vi_out_note_read(d.path);
		}
	}
	if (loaded < 2) {	/* the report carries the error */
		const char *bad = loaded ? a->dst : a->src;
		vi_error_print(&err, bad);
		memset(&res[0], 0, sizeof(res[0]));
		snprintf(l0, sizeof(l0), "%s -> %s", a->src, a->dst);
		res[0].file = l0;
		res[0].artifact = bad;
		res[0].target = a->dst;
		res[0].error = err;
		rep.n = 1;
		rep.exit_code = bad_rc;
	} else {
		one(&res[0], &s, &d, l0, sizeof(l0), 0);
		if (a->both)
			one(&res[1], &d, &s, l1, sizeof(l1), 1);
		rep.n = a->both ? 2 : 1;
	}
	vi_report_finish(&rep, "compatible", "incompatible");
	rc = vi_cmd_emit(c, &rep, rep.exit_code);
	for (size_t i = 0; i < rep.n; i++)
		vi_findings_free(&res[i].findings);
	schema_free(&s);
	schema_free(&d);
	return rc;
}

const struct vi_command cmd_diff = {
	.name = "diff", .args = "SRC DST [--both] [--machine TYPE] [--ignore PATTERN]...",
	.summary = "compare two targets' schemas for migration, or two streams",
	.usage = "SRC DST",
	.doc = "Compare two targets' device vmstates for migration from SRC to DST: "
	       "sections and subsections that disappear, version moves that break the "
	       "direction, fields renamed, resized or added without a version bump.  "
	       "When SRC and DST are both streams, compare the two saved states: "
	       "sections in one only, versions, subsections, every decoded field that "
	       "differs, and RAM per RAMBlock (digest, pages that differ)."
	       "\vSRC and DST are target ids (qemu-7.2/x86_64), schema files, or raw "
	       "-dump-vmstate files, or two streams.  Exit status: 0 compatible (streams: "
	       "same), 1 incompatible (different), 2 usage, write error, or a SRC or DST "
	       "that cannot be read as a schema (the report then carries the error), "
	       "3 a stream that cannot be read to its end.",
	.common = VI_CMD_SCHEMAS | VI_CMD_FORMAT | VI_CMD_OUTPUT | VI_CMD_MIN_SEVERITY,
	.opt_doc = {
		[VI_O_OUTPUT] = "Write the report to FILE (replaced only once complete; - is "
				"standard output)",
	},
	.options = options, .parse = parse, .args_size = sizeof(struct diff_args),
	.formats = vi_report_formats, .run = run,
};
