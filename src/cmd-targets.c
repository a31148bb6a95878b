/* cmd-targets.c - "targets": which destinations check, diff and dump know. */
#include <limits.h>
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "command.h"
#include "schema.h"

static const struct argp_option options[] = {
	{ "schemas", 256, "DIR", 0, "Look for target schemas in DIR first", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *st)
{
	const char **dir = st->input;

	if (key == 256) {
		*dir = arg;
		return 0;
	}
	if (key == ARGP_KEY_ARG)
		argp_error(st, "targets takes no arguments");
	return ARGP_ERR_UNKNOWN;
}

static void show(const char *id, const char *path, void *ctx)
{
	struct vi_schema s;
	struct vi_error err = { 0 };

	(void)ctx;
	if (schema_load_file(&s, path, &err) < 0) {
		printf("%-24s (unreadable: %s)\n", id, err.msg);
		return;
	}
	printf("%-24s %s\n", id, s.qemu_version);
	schema_free(&s);
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, NULL,
		"List the targets (qemu-RELEASE/ARCH) whose schemas are installed, with "
		"the QEMU build each was generated from.", NULL, NULL, NULL
	};
	const char *dir = NULL, *from = NULL;

	if (argp_parse(&argp, argc, argv, 0, NULL, &dir) != 0)
		return VI_EXIT_USAGE;
	if (schema_targets(dir, show, NULL, &from))
		printf("(from %s)\n", from);
	else
		printf("no targets installed (looked in %s)\n", from);
	return VI_EXIT_OK;
}

const struct vi_command cmd_targets = {
	"targets", "", "list the destinations whose schemas are installed", run
};
