/* cmd-report.c - "report": a one-screen triage summary of an attached stream. */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check-engine.h"
#include "command.h"
#include "vi-escape.h"
#include "render-findings.h"
#include "input.h"
#include "report-triage.h"
#include "vi-budget.h"

struct report_args {
	const char *file;
	int digests;
};

enum { OPT_DIGESTS = 256 };

static const struct argp_option options[] = {
	{ "digests", OPT_DIGESTS, NULL, 0,
	  "Read the RAM pages and give each RAMBlock's XXH3-128 content digest", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct report_args *a = ((struct vi_cmd_ctx *)st->input)->args;

	switch (key) {
	case OPT_DIGESTS: a->digests = 1; return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(st, "report takes one FILE");
		a->file = arg;
		vi_out_note_read(arg);
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(st, "no FILE given");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* What the report needs of a target, beside what the framework loaded. */
struct tgt {
	struct vi_triage_release rel;
	int selected;
};

/* Without --target: the targets that know the stream's machine type, else
 * those that know every one of its device sections (a machine type newer
 * than the schemas), else none; never one whose CPU state has other fields
 * ("virt" is a machine type of several architectures). */
static void select_targets(const struct vi_cmd_ctx *c, struct tgt *t, const char *machine)
{
	int any = 0;

	for (int i = 0; i < c->ntargets; i++) {
		t[i].rel.machine_known = machine && c->targets[i].machines.doc &&
					 machines_get(&c->targets[i].machines, machine, NULL) &&
					 t[i].rel.cpu_match != 0;
		any |= t[i].rel.machine_known;
	}
	for (int i = 0; i < c->ntargets; i++)
		t[i].selected = c->ntarget_ids > 0 || (any ? t[i].rel.machine_known
						      : !t[i].rel.unknown && t[i].rel.same &&
							t[i].rel.cpu_match != 0);
}

/* Did the walk leave a device section undecoded for want of a trailer
 * entry (a target's schema may decode it)? */
static int undescribed_section(const struct vi_session *s)
{
	for (size_t i = 0; s->root && i < s->root->nkids; i++) {
		const char *by = vi_node_s(s->root->kids[i], VI_A_DECODED_BY);
		if (by && !strcmp(by, "none"))
			return 1;
	}
	return 0;
}

static int has_header(const struct vi_session *s)
{
	for (size_t i = 0; s->root && i < s->root->nkids; i++)
		if (s->root->kids[i]->kind == VI_N_HEADER)
			return 1;
	return 0;
}

static int run(struct vi_cmd_ctx *c)
{
	const struct report_args *a = c->args;
	struct tgt t[VI_CMD_MAX_TARGETS];
	struct vi_session s0, *view = &s0, *kept = NULL;
	struct vi_triage_release rel[VI_CMD_MAX_TARGETS], *rels[VI_CMD_MAX_TARGETS];
	const struct vi_schema *schemas[VI_CMD_MAX_TARGETS];
	struct vi_triage_dest dest[VI_CMD_MAX_TARGETS];
	struct vi_walk_opts wopts = { 0 };
	int nrel = 0, ndest = 0, rc = VI_EXIT_OK, schema_helps, sel[VI_CMD_MAX_TARGETS];
	const char *machine;
	struct vi_triage_report rep;
	unsigned refused;

	memset(t, 0, sizeof(t));
	for (int i = 0; i < c->ntargets; i++) {
		t[i].rel.target = vi_cmd_target_name(&c->targets[i]);
		t[i].rel.qemu_version = c->targets[i].schema.qemu_version;
	}
	wopts.ram_digests = a->digests;
	vi_session_walk(&s0, a->file, &wopts);
	vi_session_drop_pages(&s0);	/* the digests stay */
	if (s0.err.set && (!s0.err.has_offset || !has_header(&s0))) {	/* nothing to report */
		vi_session_print_error(&s0, a->file);
		vi_triage_error(&rep, a->file, vi_error_json(&s0.err, NULL, vi_session_found(&s0),
							      &s0.in));
		rc = vi_cmd_emit(c, &rep, VI_EXIT_INPUT);
		vi_triage_free(&rep);
		vi_session_close(&s0);
		return rc;
	}
	schema_helps = undescribed_section(&s0);
	for (int i = 0; i < c->ntargets; i++) {
		schemas[i] = &c->targets[i].schema;
		rels[i] = &t[i].rel;
	}
	vi_triage_versions(&s0, schemas, rels, (size_t)c->ntargets);
	select_targets(c, t, s0.facts.machine[0] ? s0.facts.machine : NULL);
	machine = c->machine ? c->machine : s0.facts.machine[0] ? s0.facts.machine : NULL;
	for (int i = 0; i < c->ntargets; i++) {
		rel[nrel++] = t[i].rel;
		if (t[i].selected)
			sel[ndest++] = i;
	}
	/* With a section no trailer entry decodes, each destination walks the
	 * stream again with its schema, as check does; the first one's walk is
	 * also the devices the report shows.  One tree at a time: the first
	 * walk's goes (its facts stay), and the first destination is walked
	 * last.  Else the first walk is already what check would see. */
	if (schema_helps && ndest)
		vi_session_drop_tree(&s0);
	for (int k = ndest - 1; k >= 0; k--) {
		int i = sel[k];
		struct vi_dest d;
		struct vi_session *st;

		vi_cmd_dest(c, &c->targets[i], &d);
		if (schema_helps) {
			wopts.schema_vmsds = c->targets[i].schema.vmsds;
			st = vi_xmalloc(sizeof(*st));
			vi_session_rewalk(st, &s0, &wopts);	/* stdin is read once */
		} else {
			st = &s0;
		}
		memset(&dest[k], 0, sizeof(dest[k]));
		dest[k].target = t[i].rel.target;
		dest[k].qemu_version = c->targets[i].schema.qemu_version;
		dest[k].machine = machine;
		dest[k].machine_known = machine && c->targets[i].machines.doc &&
					machines_get(&c->targets[i].machines, machine, NULL);
		vi_check_stream(st, a->file, &d, &dest[k].findings);
		if (st == &s0)
			continue;
		if (k == 0) {			/* devices as this schema decodes them */
			kept = view = st;
		} else {
			vi_session_close(st);
			free(st);
		}
	}
	refused = vi_budget_refusals();
	vi_triage_build(&rep, view, a->file, rel, (size_t)nrel, dest, (size_t)ndest);
	if (s0.err.set) {
		vi_session_print_error(&s0, a->file);
		rc = VI_EXIT_INPUT;
	}
	if (vi_budget_refusals() != refused) {	/* a key may be missing: say so, write nothing */
		fprintf(stderr, "vmstate-inspect: %s: the report would take more than %llu MiB "
			"(the memory budget); refusing to write it\n", vi_tx(a->file),
			(unsigned long long)(vi_budget_limit() >> 20));
		rc = VI_EXIT_INPUT;
	} else {
		rc = vi_cmd_emit(c, &rep, rc);
	}
	vi_triage_free(&rep);
	for (int i = 0; i < ndest; i++)
		vi_findings_free(&dest[i].findings);
	if (kept) {
		vi_session_close(kept);
		free(kept);
	}
	vi_session_close(&s0);
	return rc;
}

const struct vi_command cmd_report = {
	.name = "report", .args = "[--target ID]... [--machine TYPE] [--digests] FILE",
	.summary = "summarise a stream for a bug report",
	.usage = "FILE",
	.doc = "Summarise one stream for a bug report: input and container, machine type "
	       "and the QEMU release its section versions point to, where the bytes go, "
	       "what is wrong in the stream, what each destination would do, and every "
	       "device with its version."
	       "\vExit status: 0 the report was written, 2 usage or schema error, 3 the "
	       "input is unreadable or malformed (the report then shows what was read "
	       "before the error).  Destinations are judged as by 'check' without "
	       "--dest-stream: configured like the source.",
	.common = VI_CMD_TARGETS | VI_CMD_DEFAULT_ALL | VI_CMD_MACHINE | VI_CMD_SCHEMAS |
		  VI_CMD_FORMAT | VI_CMD_OUTPUT | VI_CMD_INPUT,
	.opt_doc = {
		[VI_O_TARGET] = "Check against this destination (repeatable; default: every "
				"installed target of the stream's architecture)",
		[VI_O_OUTPUT] = "Write the report to FILE (replaced only once complete; - is "
				"standard output)",
	},
	.options = options, .parse = parse, .args_size = sizeof(struct report_args),
	.formats = vi_triage_formats, .run = run,
};
