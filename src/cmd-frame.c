/* cmd-frame.c - what every command shares: the common options, the
 * output, the targets, and cleaning up once (command.h). */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check-engine.h"
#include "command.h"
#include "vi-budget.h"
#include "vi-escape.h"
#include "input.h"
#include "vi-tree.h"

enum { OPT_FORMAT = 'f', OPT_OUTPUT = 'o', OPT_SCHEMAS = 0x1200, OPT_TARGET, OPT_ALL_TARGETS,
       OPT_MACHINE, OPT_MIN_SEVERITY };

/* The common options: which flag brings each, its row, its default help. */
static const struct common {
	unsigned flag;
	enum vi_cmd_opt doc;
	struct argp_option row;
} commons[] = {
	{ VI_CMD_TARGET | VI_CMD_TARGETS, VI_O_TARGET,
	  { "target", OPT_TARGET, "ID", 0, "Destination: qemu-RELEASE/ARCH, a schema file or a "
	    "-dump-vmstate file", 0 } },
	{ VI_CMD_ALL_TARGETS, VI_O_ALL_TARGETS,
	  { "all-targets", OPT_ALL_TARGETS, NULL, 0, "Check every installed target of each "
	    "stream's architecture", 0 } },
	{ VI_CMD_MACHINE, VI_O_MACHINE,
	  { "machine", OPT_MACHINE, "TYPE", 0, "Destination machine type (default: the "
	    "stream's own)", 0 } },
	{ VI_CMD_SCHEMAS, VI_O_SCHEMAS,
	  { "schemas", OPT_SCHEMAS, "DIR", 0, "Look for target schemas in DIR first", 0 } },
	{ VI_CMD_FORMAT, VI_O_FORMAT, { "format", OPT_FORMAT, "FORMAT", 0, NULL, 0 } },
	{ VI_CMD_OUTPUT, VI_O_OUTPUT,
	  { "output", OPT_OUTPUT, "FILE", 0, "Write to FILE (replaced only once complete; - is "
	    "standard output)", 0 } },
	{ VI_CMD_MIN_SEVERITY, VI_O_MIN_SEVERITY,
	  { "min-severity", OPT_MIN_SEVERITY, "LEVEL", 0, "Leave out findings below LEVEL: "
	    "error, warning or note (default)", 0 } },
};
#define NCOMMONS (sizeof(commons) / sizeof(commons[0]))

/* "text (default), json, sarif or junit" */
static void format_doc(char *buf, size_t n, const struct vi_outfmt *t)
{
	size_t o = 0, k = 0;

	while (t[k].name)
		k++;
	buf[0] = '\0';
	for (size_t i = 0; i < k && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, i == 0 ? "%s (default)" : i + 1 == k
				      ? " or %s" : ", %s", t[i].name);
}

static void *zalloc(size_t n, size_t size)
{
	void *p = vi_xmalloc(n * size);

	memset(p, 0, n * size);
	return p;
}

static struct argp_option *build_options(struct vi_cmd_ctx *c)
{
	const struct vi_command *e = c->cmd;
	size_t own = 0, n = 0;
	struct argp_option *v;

	while (e->options && (e->options[own].name || e->options[own].key))
		own++;
	v = zalloc(NCOMMONS + own + 2, sizeof(*v));
	for (size_t i = 0; i < NCOMMONS; i++) {
		if (!(e->common & commons[i].flag))
			continue;
		v[n] = commons[i].row;
		if (e->opt_doc[commons[i].doc])
			v[n].doc = e->opt_doc[commons[i].doc];
		else if (commons[i].doc == VI_O_FORMAT)
			v[n].doc = c->format_doc;
		n++;
	}
	for (size_t i = 0; i < own; i++)
		v[n++] = e->options[i];
	v[n].key = 'h';
	v[n].doc = "Give this help list";
	v[n].group = -1;
	return v;
}

static error_t parse(int key, char *arg, struct argp_state *st)
{
	struct vi_cmd_ctx *c = st->input;
	const struct vi_command *e = c->cmd;
	error_t rc = ARGP_ERR_UNKNOWN;

	switch (key) {
	case 'h':
		argp_state_help(st, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case OPT_FORMAT:
		if (!(c->format = vi_outfmt_find(e->formats, arg)))
			argp_error(st, "unknown format '%s' (%s)", arg, vi_outfmt_names(e->formats));
		return 0;
	case OPT_OUTPUT: c->output = arg; return 0;
	case OPT_SCHEMAS: c->schema_dir = arg; return 0;
	case OPT_MACHINE: c->machine = arg; return 0;
	case OPT_ALL_TARGETS: c->all_targets = 1; return 0;
	case OPT_TARGET:
		if (e->common & VI_CMD_TARGET) {
			c->target_ids[0] = arg;
			c->ntarget_ids = 1;
			return 0;
		}
		if (c->ntarget_ids == VI_CMD_MAX_TARGETS)
			argp_error(st, "at most %d --target options", VI_CMD_MAX_TARGETS);
		c->target_ids[c->ntarget_ids++] = arg;
		return 0;
	case OPT_MIN_SEVERITY:
		if (vi_severity_parse(arg, &c->min_severity) < 0)
			argp_error(st, "unknown severity '%s' (error, warning or note)", arg);
		return 0;
	case ARGP_KEY_ARG:
		if (!c->ninputs++)
			c->first_input = arg;
		break;
	case ARGP_KEY_END:
		if ((e->common & VI_CMD_ALL_TARGETS) && !c->ntarget_ids && !c->all_targets)
			argp_error(st, "--target or --all-targets is required (e.g. --target "
				   "qemu-10.0/x86_64)");
		if (c->ntarget_ids && c->all_targets)
			argp_error(st, "--target and --all-targets exclude each other");
		break;
	}
	if (e->parse)
		rc = e->parse(key, arg, st);
	if (key == ARGP_KEY_END && c->machine && (!*c->machine || strlen(c->machine) > 255))
		argp_error(st, "bad machine type '%s'", c->machine);
	return key == ARGP_KEY_END ? 0 : rc;
}

static void add_installed(const char *id, const char *path, void *ctx)
{
	struct vi_cmd_ctx *c = ctx;

	(void)path;
	if (c->ntargets < VI_CMD_MAX_TARGETS)
		c->targets[c->ntargets++].id = vi_xstrdup(id);
}

/* Every target named or installed, loaded; -1 after one line on stderr. */
static int load_targets(struct vi_cmd_ctx *c)
{
	const struct vi_command *e = c->cmd;
	struct vi_error err = { 0 };

	c->targets = zalloc(VI_CMD_MAX_TARGETS, sizeof(*c->targets));
	for (int i = 0; i < c->ntarget_ids; i++)
		c->targets[c->ntargets++].id = vi_xstrdup(c->target_ids[i]);
	if (!c->ntarget_ids && (c->all_targets || (e->common & VI_CMD_DEFAULT_ALL)))
		schema_targets(c->schema_dir, add_installed, c, NULL);
	if (c->all_targets && !c->ntargets) {
		fprintf(stderr, "vmstate-inspect: --all-targets: no targets installed (see "
			"'vmstate-inspect targets')\n");
		return -1;
	}
	for (int i = 0; i < c->ntargets; i++) {
		struct vi_cmd_target *t = &c->targets[i];
		int rc;
		if (schema_load_target(&t->schema, t->id, c->schema_dir, &err) < 0) {
			vi_error_print(&err, t->id);
			return -1;
		}
		vi_out_note_read(t->schema.path);
		if (!(e->common & VI_CMD_TARGETS))
			continue;
		if ((rc = machines_load(&t->machines, t->id, c->schema_dir, &err)) < 0) {
			vi_error_print(&err, t->id);
			return -1;
		}
		t->has_machines = rc == 0 && t->machines.doc;
		if (t->has_machines) {
			vi_out_note_read(t->machines.path);
			vi_out_note_read(t->machines.rules_path[0] ? t->machines.rules_path : NULL);
		}
	}
	return 0;
}

static void cleanup(struct vi_cmd_ctx *c)
{
	if (c->out_open)
		vi_out_abort(&c->out);	/* nothing when committed */
	for (int i = 0; c->targets && i < VI_CMD_MAX_TARGETS; i++) {
		schema_free(&c->targets[i].schema);
		machines_free(&c->targets[i].machines);
		free(c->targets[i].id);
	}
	free(c->targets);
	free(c->options);
	free(c->args);
}

int vi_cmd_main(const struct vi_command *e, int argc, char **argv)
{
	struct argp_child children[2] = { { 0 }, { 0 } };
	struct argp argp = { NULL, parse, e->usage, e->doc, children, NULL, NULL };
	struct vi_cmd_ctx c;
	int rc;

	if (e->dispatch)
		return e->dispatch(argc, argv);
	memset(&c, 0, sizeof(c));
	c.cmd = e;
	c.args = zalloc(1, e->args_size ? e->args_size : 1);
	c.min_severity = VI_SEV_NOTE;
	c.format = e->formats;
	if (e->formats)
		format_doc(c.format_doc, sizeof(c.format_doc), e->formats);
	argp.options = c.options = build_options(&c);
	if (e->common & VI_CMD_INPUT)
		children[0].argp = &vi_input_argp;
	else if (e->common & VI_CMD_SNAPSHOT)
		children[0].argp = &vi_input_argp_snapshot;
	if (argp_parse(&argp, argc, argv, 0, NULL, &c) != 0) {
		cleanup(&c);
		return VI_EXIT_USAGE;
	}
	if (e->formats) {
		if (vi_out_open(&c.out, c.output) < 0) {
			cleanup(&c);
			return VI_EXIT_USAGE;
		}
		c.out_open = 1;
	}
	if ((e->common & (VI_CMD_TARGET | VI_CMD_TARGETS)) && load_targets(&c) < 0) {
		cleanup(&c);
		return VI_EXIT_USAGE;
	}
	rc = e->run(&c);
	cleanup(&c);
	return rc;
}

int vi_cmd_commit(struct vi_cmd_ctx *c, int rc)
{
	return vi_out_commit(&c->out) < 0 ? VI_EXIT_USAGE : rc;
}

int vi_cmd_emit(struct vi_cmd_ctx *c, const void *model, int rc)
{
	unsigned refused = vi_budget_refusals();

	if (c->format->render(c->out.f, model)) {
		vi_out_abort(&c->out);
		return rc;
	}
	/* A view that builds jansson values as it writes loses keys silently
	 * when the memory budget refuses one: write nothing rather than that. */
	if (vi_budget_refusals() != refused) {
		vi_out_abort(&c->out);
		/* One line naming the input, as every input error does (the
		 * document is about all of them; there is no byte offset). */
		if (c->first_input)
			fprintf(stderr, "vmstate-inspect: %s: ", vi_tx(c->first_input));
		else
			fprintf(stderr, "vmstate-inspect: %s: ", c->cmd->name);
		if (c->ninputs > 1)
			fprintf(stderr, "(and %d more inputs) ", c->ninputs - 1);
		fprintf(stderr, "the %s output of %s would take more than %llu MiB (the memory "
			"budget); refusing to write it\n", c->format->name, c->cmd->name,
			(unsigned long long)(vi_budget_limit() >> 20));
		return VI_EXIT_INPUT;
	}
	return vi_cmd_commit(c, rc);
}

const char *vi_cmd_target_name(const struct vi_cmd_target *t)
{
	return t->schema.target ? t->schema.target : t->id;
}

void vi_cmd_dest(const struct vi_cmd_ctx *c, const struct vi_cmd_target *t, struct vi_dest *d)
{
	memset(d, 0, sizeof(*d));
	d->schema = &t->schema;
	d->machine = c->machine;
	d->machines = t->has_machines ? &t->machines : NULL;
	/* An alias (q35, pc, virt...) is the type this release resolves it
	 * to; a type the release lacks is a reject, not an error. */
	if (c->machine && d->machines && !machines_get(d->machines, c->machine, &d->machine))
		d->machine_unknown = 1;
}
