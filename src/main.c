/* main.c - the dispatcher: vmstate-inspect COMMAND [OPTIONS] ARGS. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "command.h"
#include "error.h"

static const struct vi_command *const commands[] = {
	&cmd_dump,
	&cmd_check,
	&cmd_report,
	&cmd_diff,
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
		size_t n = 256;
		char *s;
		for (const struct vi_command *const *c = commands; *c; c++)
			n += strlen((*c)->name) + strlen((*c)->summary) + 8;
		s = malloc(n);
		if (!s)
			return (char *)text;
		strcpy(s, "Commands:\n");
		for (const struct vi_command *const *c = commands; *c; c++)
			sprintf(s + strlen(s), "  %-10s %s\n", (*c)->name, (*c)->summary);
		strcat(s, "\n'vmstate-inspect COMMAND --help' describes a command.\n"
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

int main(int argc, char **argv)
{
	static const struct argp argp = {
		NULL, parse_top, "COMMAND [ARGS...]",
		"Read saved QEMU migration streams: what is inside, and whether a "
		"given QEMU release and machine type would load them."
		"\vThe input is opened read-only and never modified.",
		NULL, help_filter, NULL
	};
	int cmd_index = -1;

	argp_err_exit_status = VI_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &cmd_index) != 0)
		return VI_EXIT_USAGE;
	for (const struct vi_command *const *c = commands; *c; c++)
		if (strcmp((*c)->name, argv[cmd_index]) == 0)
			return (*c)->run(argc - cmd_index, argv + cmd_index);
	fprintf(stderr, "vmstate-inspect: unknown command '%s'; try 'vmstate-inspect --help'\n",
		argv[cmd_index]);
	return VI_EXIT_USAGE;
}
