/* main.c - the dispatcher: vmstate-inspect COMMAND [OPTIONS] ARGS. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "vi-budget.h"
#include "command.h"
#include "vi-error.h"
#include "vi-escape.h"
#include "vi-findings.h"
#include "vi-output.h"

/* The commands, in the order --help lists them; adding one is its file
 * (cmd-NAME.c, exporting cmd_NAME), a line here and a row below. */
extern const struct vi_command cmd_dump, cmd_check, cmd_report, cmd_diff, cmd_extract,
	cmd_explain, cmd_machines, cmd_targets, cmd_schema;

static const struct vi_command *const commands[] = {
	&cmd_dump,
	&cmd_check,
	&cmd_report,
	&cmd_diff,
	&cmd_extract,
	&cmd_explain,
	&cmd_machines,
	&cmd_targets,
	&cmd_schema,
	NULL,
};

const char *argp_program_version = PACKAGE_NAME " " PACKAGE_VERSION;
const char *argp_program_bug_address = NULL;

static char *help_filter(int key, const char *text, void *input)
{
	(void)input;
	if (key == ARGP_KEY_HELP_POST_DOC) {
		size_t n = 1024;
		char *s;
		for (const struct vi_command *const *c = commands; *c; c++)
			n += strlen((*c)->name) + strlen((*c)->summary) + 8;
		s = malloc(n);
		if (!s)
			return (char *)text;
		strcpy(s, "Commands:\n");
		for (const struct vi_command *const *c = commands; *c; c++)
			sprintf(s + strlen(s), "  %-10s %s\n", (*c)->name, (*c)->summary);
		strcat(s, "\n'vmstate-inspect COMMAND --help' (or 'vmstate-inspect help COMMAND') "
			  "describes a command; 'vmstate-inspect help classes' lists the finding "
			  "classes.\n"
			  "Exit status: 0 ok/accept, 1 reject/incompatible, 2 usage or schema "
			  "error, 3 unreadable or malformed input.");
		return s;
	}
	return (char *)text;
}

static error_t parse_top(int key, char *arg, struct argp_state *state)
{
	int *cmd_index = state->input;

	(void)arg;
	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case ARGP_KEY_ARG:
		*cmd_index = state->next - 1;
		state->next = state->argc;	/* the rest belongs to the command */
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no command given");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct vi_command *find(const char *name)
{
	for (const struct vi_command *const *c = commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

/* Run c with argv[0] "vmstate-inspect NAME", so argp's messages name a
 * command line that exists ("Try `vmstate-inspect dump --help'"). */
static int run_command(const struct vi_command *c, int argc, char **argv)
{
	char name[64];

	snprintf(name, sizeof(name), "vmstate-inspect %s", c->name);
	argv[0] = name;
	return vi_cmd_main(c, argc, argv);
}

/* help [COMMAND | classes] */
static int help(int argc, char **argv)
{
	const struct vi_command *c;
	char *hargv[4];

	if (argc < 2)
		return -1;	/* the top-level help */
	if (strcmp(argv[1], "classes") == 0) {
		for (int i = 0; i < VI_C_COUNT; i++)
			printf("%-20s %-8s %s\n", vi_classes[i].name,
			       vi_severity_name(vi_classes[i].severity), vi_classes[i].doc);
		return fflush(stdout) == 0 && !ferror(stdout) ? VI_EXIT_OK : VI_EXIT_USAGE;
	}
	if (!(c = find(argv[1]))) {
		fprintf(stderr, "vmstate-inspect: help: unknown command '%s'; try "
			"'vmstate-inspect --help'\n", vi_tx(argv[1]));
		return VI_EXIT_USAGE;
	}
	hargv[0] = argv[1];
	if (strcmp(c->name, "schema") == 0) {
		hargv[1] = (char *)"import";
		hargv[2] = (char *)"--help";
		hargv[3] = NULL;
		return run_command(c, 3, hargv);
	}
	hargv[1] = (char *)"--help";
	hargv[2] = NULL;
	return run_command(c, 2, hargv);
}

int main(int argc, char **argv)
{
	static const struct argp_option top_options[] = {
		{ NULL, 'h', NULL, 0, "Give this help list", -1 },
		{ 0 }
	};
	static const struct argp argp = {
		top_options, parse_top, "COMMAND [ARGS...]",
		"Read saved QEMU migration streams: what is inside, and whether a "
		"given QEMU release and machine type would load them."
		"\vThe input is opened read-only and never modified.",
		NULL, help_filter, NULL
	};
	int cmd_index = -1;
	const struct vi_command *c;

	vi_stdio_guard();
	argp_err_exit_status = VI_EXIT_USAGE;
	vi_budget_reset();
	if (argc >= 2 && strcmp(argv[1], "help") == 0) {
		int rc = help(argc - 1, argv + 1);
		if (rc >= 0)
			return rc;
		argc = 2;
		argv[1] = (char *)"--help";
	}
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &cmd_index) != 0)
		return VI_EXIT_USAGE;
	if ((c = find(argv[cmd_index])))
		return run_command(c, argc - cmd_index, argv + cmd_index);
	fprintf(stderr, "vmstate-inspect: unknown command '%s'; try 'vmstate-inspect --help'\n",
		vi_tx(argv[cmd_index]));
	return VI_EXIT_USAGE;
}
