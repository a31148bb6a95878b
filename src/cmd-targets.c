/* cmd-targets.c - "targets": which destinations check, diff and dump know. */
#include <limits.h>
#include <argp.h>
#include <dirent.h>
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

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, NULL,
		"List the targets (qemu-RELEASE/ARCH) whose schemas are installed, with "
		"the QEMU build each was generated from.", NULL, NULL, NULL
	};
	const char *dir = NULL, *const *dirs;
	int found = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &dir) != 0)
		return VI_EXIT_USAGE;
	dirs = schema_dirs(dir);
	for (int i = 0; dirs[i] && !found; i++) {
		DIR *top = opendir(dirs[i]);
		struct dirent *rel;
		if (!top)
			continue;
		while ((rel = readdir(top))) {
			char sub[1400];
			DIR *d;
			struct dirent *f;
			if (strncmp(rel->d_name, "qemu-", 5) != 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dirs[i], rel->d_name);
			if (!(d = opendir(sub)))
				continue;
			while ((f = readdir(d))) {
				size_t n = strlen(f->d_name);
				char id[600], path[2000];
				struct vi_schema s;
				struct vi_error err = { 0 };
				if (n < 6 || strcmp(f->d_name + n - 5, ".json"))
					continue;
				snprintf(id, sizeof(id), "%s/%.*s", rel->d_name, (int)(n - 5), f->d_name);
				snprintf(path, sizeof(path), "%s/%s", sub, f->d_name);
				if (schema_load_file(&s, path, &err) < 0) {
					printf("%-24s (unreadable: %s)\n", id, err.msg);
					continue;
				}
				printf("%-24s %s\n", id, s.qemu_version);
				schema_free(&s);
				found++;
			}
			closedir(d);
		}
		closedir(top);
		if (found)
			printf("(from %s)\n", dirs[i]);
	}
	if (!found)
		printf("no targets installed (looked in %s)\n", dirs[0]);
	return VI_EXIT_OK;
}

const struct vi_command cmd_targets = {
	"targets", "", "list the destinations whose schemas are installed", run
};
