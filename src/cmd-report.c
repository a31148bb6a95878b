/* cmd-report.c - "report": a one-screen triage summary of an attached stream. */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check-engine.h"
#include "command.h"
#include "escape.h"
#include "render-findings.h"
#include "render-report.h"
#include "input.h"
#include "triage.h"
#include "budget.h"

#define MAX_TARGETS 64

struct report_args {
	const char *targets[MAX_TARGETS];
	int ntargets;
	const char *machine, *schema_dir, *output, *file;
	const struct vi_outfmt *format;
	int digests;
};

enum { OPT_TARGET = 256, OPT_MACHINE, OPT_SCHEMAS, OPT_DIGESTS };

static const struct argp_option options[] = {
	{ "target", OPT_TARGET, "ID", 0, "Check against this destination (repeatable; default: every installed target of the stream's architecture)", 0 },
	{ "machine", OPT_MACHINE, "TYPE", 0, "Destination machine type (default: the stream's own)", 0 },
	{ "schemas", OPT_SCHEMAS, "DIR", 0, "Look for target schemas in DIR first", 0 },
	{ "format", 'f', "FORMAT", 0, "text (default), json, markdown or html", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE (replaced only once complete; - is standard output)", 0 },
	{ NULL, 'h', NULL, 0, "Give this help list", -1 },
	{ "digests", OPT_DIGESTS, NULL, 0,
	  "Read the RAM pages and give each RAMBlock's XXH3-128 content digest", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct report_args *a = st->input;

	switch (key) {
	case OPT_TARGET:
		if (a->ntargets == MAX_TARGETS)
			argp_error(st, "at most %d --target options", MAX_TARGETS);
		a->targets[a->ntargets++] = arg;
		return 0;
	case OPT_MACHINE: a->machine = arg; return 0;
	case OPT_SCHEMAS: a->schema_dir = arg; return 0;
	case OPT_DIGESTS: a->digests = 1; return 0;
	case 'o': a->output = arg; return 0;
	case 'f':
		if (!(a->format = vi_outfmt_find(vi_triage_formats, arg)))
			argp_error(st, "unknown format '%s' (%s)", arg,
				   vi_outfmt_names(vi_triage_formats));
		return 0;
	case 'h':
		argp_state_help(st, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(st, "report takes one FILE");
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(st, "no FILE given");
		if (a->machine && (!*a->machine || strlen(a->machine) > 255))
			argp_error(st, "bad machine type '%s'", a->machine);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* A target and what the report needs of it. */
struct tgt {
	char id[128];
	struct vi_schema schema;
	struct vi_machines machines;
	struct vi_triage_release rel;
	int selected;
};

struct tgts {
	struct tgt v[MAX_TARGETS];
	int n;
	const char *schema_dir;
};

static void add_installed(const char *id, const char *path, void *ctx)
{
	struct tgts *t = ctx;

	(void)path;
	if (t->n < MAX_TARGETS)
		snprintf(t->v[t->n++].id, sizeof(t->v[0].id), "%s", id);
}

static int load_targets(struct tgts *t, struct report_args *a)
{
	struct vi_error err = { 0 };

	if (a->ntargets)
		for (int i = 0; i < a->ntargets; i++)
			snprintf(t->v[t->n++].id, sizeof(t->v[0].id), "%s", a->targets[i]);
	else
		schema_targets(a->schema_dir, add_installed, t, NULL);
	for (int i = 0; i < t->n; i++) {
		if (schema_load_target(&t->v[i].schema, t->v[i].id, a->schema_dir, &err) < 0 ||
		    machines_load(&t->v[i].machines, t->v[i].id, a->schema_dir, &err) < 0) {
			vi_error_print(&err, t->v[i].id);
			return -1;
		}
		vi_out_note_read(t->v[i].schema.path);
		if (t->v[i].machines.doc) {
			vi_out_note_read(t->v[i].machines.path);
			if (t->v[i].machines.rules_path[0])
				vi_out_note_read(t->v[i].machines.rules_path);
		}
		t->v[i].rel.target = t->v[i].schema.target ? t->v[i].schema.target : t->v[i].id;
		t->v[i].rel.qemu_version = t->v[i].schema.qemu_version;
	}
	return 0;
}

/* Without --target: the targets that know the stream's machine type, else
 * those that know every one of its device sections (a machine type newer
 * than the schemas), else none; never one whose CPU state has other fields
 * ("virt" is a machine type of several architectures). */
static void select_targets(struct tgts *t, const char *machine, int explicit)
{
	int any = 0;

	for (int i = 0; i < t->n; i++) {
		t->v[i].rel.machine_known = machine && t->v[i].machines.doc &&
					    machines_get(&t->v[i].machines, machine, NULL) &&
					    t->v[i].rel.cpu_match != 0;
		any |= t->v[i].rel.machine_known;
	}
	for (int i = 0; i < t->n; i++)
		t->v[i].selected = explicit || (any ? t->v[i].rel.machine_known
						    : !t->v[i].rel.unknown && t->v[i].rel.same &&
						      t->v[i].rel.cpu_match != 0);
}

/* The document of an input with nothing to report: the error. */
static json_t *error_doc(const struct report_args *a, const struct vi_session *s)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "report_version", json_integer(1));
	json_object_set_new(doc, "file", vi_jstr(a->file));
	json_object_set_new(doc, "error", vi_error_json(&s->err, NULL, vi_session_found(s),
							 &s->in));
	return doc;
}

/* Did the walk leave a device section undecoded for want of a trailer
 * entry (a target's schema may decode it)? */
static int undescribed_section(const struct vi_session *s)
{
	for (size_t i = 0; s->w.root && i < s->w.root->nkids; i++) {
		const struct vi_attr *a = vi_node_attr(s->w.root->kids[i], "decoded_by");
		if (a && a->is_str && !strcmp(a->s, "none"))
			return 1;
	}
	return 0;
}

static int has_header(const struct vi_session *s)
{
	for (size_t i = 0; s->w.root && i < s->w.root->nkids; i++)
		if (s->w.root->kids[i]->kind == VI_N_HEADER)
			return 1;
	return 0;
}

static const struct argp_child input_children[] = { { &vi_input_argp, 0, NULL, 0 }, { 0 } };

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "FILE",
		"Summarise one stream for a bug report: input and container, machine type "
		"and the QEMU release its section versions point to, where the bytes go, "
		"what is wrong in the stream, what each destination would do, and every "
		"device with its version."
		"\vExit status: 0 the report was written, 2 usage or schema error, 3 the "
		"input is unreadable or malformed (the report then shows what was read "
		"before the error).  Destinations are judged as by 'check' without "
		"--dest-stream: configured like the source.",
		input_children, NULL, NULL
	};
	struct report_args a = { 0 };
	static struct tgts t;
	struct vi_session s0, *view = &s0, *kept = NULL;
	struct vi_triage_release rel[MAX_TARGETS];
	struct vi_triage_dest dest[MAX_TARGETS];
	struct vi_walk_opts wopts = { 0 };
	int nrel = 0, ndest = 0, rc = VI_EXIT_OK, schema_helps;
	const char *machine;
	json_t *doc;
	unsigned refused;
	struct vi_out out;

	a.format = &vi_triage_formats[0];
	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	vi_out_note_read(a.file);
	if (vi_out_open(&out, a.output) < 0)
		return VI_EXIT_USAGE;
	memset(&t, 0, sizeof(t));
	if (load_targets(&t, &a) < 0) {
		rc = VI_EXIT_USAGE;
		vi_out_abort(&out);
		goto free_targets;
	}
	wopts.ram_digests = a.digests;
	vi_session_walk(&s0, a.file, &wopts);
	if (s0.err.set && (!s0.err.has_offset || !has_header(&s0))) {	/* nothing to report */
		vi_session_print_error(&s0, a.file);
		doc = error_doc(&a, &s0);
		rc = VI_EXIT_INPUT;
		if (a.format->render(out.f, doc))
			vi_out_abort(&out);
		else if (vi_out_commit(&out) < 0)
			rc = VI_EXIT_USAGE;
		json_decref(doc);
		vi_session_close(&s0);
		goto free_targets;
	}
	schema_helps = undescribed_section(&s0);
	for (int i = 0; i < t.n; i++)
		vi_triage_versions(&s0, &t.v[i].schema, &t.v[i].rel);
	select_targets(&t, s0.w.machine[0] ? s0.w.machine : NULL, a.ntargets > 0);
	machine = a.machine ? a.machine : s0.w.machine[0] ? s0.w.machine : NULL;
	for (int i = 0; i < t.n; i++) {
		struct vi_dest d = { &t.v[i].schema, NULL, a.machine,
				     t.v[i].machines.doc ? &t.v[i].machines : NULL, NULL, 0 };
		struct vi_session *st;
		/* an alias is the type this release resolves it to */
		if (a.machine && d.machines && !machines_get(d.machines, a.machine, &d.machine))
			d.machine_unknown = 1;
		rel[nrel++] = t.v[i].rel;
		if (!t.v[i].selected)
			continue;
		/* Walked again with the target's schema, as check does, when a
		 * section has no trailer entry to decode it; else the first walk
		 * is already what check would see. */
		if (schema_helps) {
			wopts.schema_vmsds = t.v[i].schema.vmsds;
			st = vi_xmalloc(sizeof(*st));
			vi_session_rewalk(st, &s0, &wopts);	/* stdin is read once */
		} else {
			st = &s0;
		}
		memset(&dest[ndest], 0, sizeof(dest[ndest]));
		dest[ndest].target = t.v[i].rel.target;
		dest[ndest].qemu_version = t.v[i].schema.qemu_version;
		dest[ndest].machine = machine;
		dest[ndest].machine_known = machine && t.v[i].machines.doc &&
					    machines_get(&t.v[i].machines, machine, NULL);
		vi_check_stream(st, a.file, &d, &dest[ndest].findings);
		ndest++;
		if (st == &s0)
			continue;
		if (!kept) {			/* devices as this schema decodes them */
			kept = view = st;
		} else {
			vi_session_close(st);
			free(st);
		}
	}
	refused = vi_budget_refusals();
	doc = vi_triage_build(view, a.file, rel, (size_t)nrel, dest, (size_t)ndest);
	vi_report_set_tree(view->w.root);	/* the HTML view's device tree */
	if (s0.err.set) {
		vi_session_print_error(&s0, a.file);
		rc = VI_EXIT_INPUT;
	}
	if (vi_budget_refusals() != refused) {	/* a key may be missing: say so, write nothing */
		fprintf(stderr, "vmstate-inspect: %s: the report would take more than %llu MiB "
			"(the memory budget); refusing to write it\n", vi_tx(a.file),
			(unsigned long long)(vi_budget_limit() >> 20));
		rc = VI_EXIT_INPUT;
		vi_out_abort(&out);
	} else if (a.format->render(out.f, doc))
		vi_out_abort(&out);
	else if (vi_out_commit(&out) < 0)
		rc = VI_EXIT_USAGE;
	json_decref(doc);
	for (int i = 0; i < ndest; i++)
		vi_findings_free(&dest[i].findings);
	if (kept) {
		vi_session_close(kept);
		free(kept);
	}
	vi_session_close(&s0);
free_targets:
	for (int i = 0; i < t.n; i++) {
		schema_free(&t.v[i].schema);
		machines_free(&t.v[i].machines);
	}
	return rc;
}

const struct vi_command cmd_report = {
	"report", "[--target ID]... [--machine TYPE] [--digests] FILE",
	"summarise a stream for a bug report", run
};
