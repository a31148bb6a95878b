/* command.h - one file per command (cmd-*.c), each exporting one entry that
 * declares what it takes; the framework (cmd-frame.c) does the rest, as
 * tmux's cmd_entry and command queue do: it parses the common options and
 * the command's own, opens the output (-o, atomic, checked, never onto a
 * file the run reads), loads the targets' schemas and machine types, calls
 * run with all of it in a struct vi_cmd_ctx, and frees everything once, on
 * every path.  A command file holds its own logic only. */
#ifndef VI_COMMAND_H
#define VI_COMMAND_H

#include <argp.h>
#include <stddef.h>
#include "vi-findings.h"
#include "schema-machines.h"
#include "vi-output.h"
#include "schema.h"

/* The common options a command takes (vi_command.common, or-ed). */
enum {
	VI_CMD_FORMAT = 1 << 0,       /* -f FORMAT: a row of .formats (default: the first) */
	VI_CMD_OUTPUT = 1 << 1,       /* -o FILE (without: standard output) */
	VI_CMD_SCHEMAS = 1 << 2,      /* --schemas DIR */
	VI_CMD_TARGET = 1 << 3,       /* --target ID, once (the last counts): its schema */
	VI_CMD_TARGETS = 1 << 4,      /* --target ID, repeatable: each one's schema and
				         machine types */
	VI_CMD_ALL_TARGETS = 1 << 5,  /* --all-targets: every installed target; one of it
				         and --target is required */
	VI_CMD_DEFAULT_ALL = 1 << 6,  /* no --target: every installed target */
	VI_CMD_MACHINE = 1 << 7,      /* --machine TYPE (1 to 255 bytes) */
	VI_CMD_MIN_SEVERITY = 1 << 8, /* --min-severity LEVEL */
	VI_CMD_INPUT = 1 << 9,        /* --snapshot and -q (input-options.c) */
	VI_CMD_SNAPSHOT = 1 << 10,    /* --snapshot only */
};

/* The common options' help lines: a command may word one its own way
 * (vi_command.opt_doc[VI_O_...]); NULL is the default. */
enum vi_cmd_opt {
	VI_O_FORMAT, VI_O_OUTPUT, VI_O_SCHEMAS, VI_O_TARGET, VI_O_ALL_TARGETS,
	VI_O_MACHINE, VI_O_MIN_SEVERITY, VI_O_COUNT
};

#define VI_CMD_MAX_TARGETS 64

/* A destination, loaded: its schema and (VI_CMD_TARGETS) machine types. */
struct vi_cmd_target {
	char *id;                    /* as given, or as installed */
	struct vi_schema schema;
	struct vi_machines machines;
	int has_machines;            /* machine data was found */
};

struct vi_command;

/* What run receives; the framework owns and frees all of it. */
struct vi_cmd_ctx {
	const struct vi_command *cmd;
	void *args;                          /* the command's own (args_size, zeroed) */
	const struct vi_outfmt *format;      /* chosen, or the first row */
	struct vi_out out;                   /* open when the command has formats */
	const char *output, *schema_dir, *machine;
	enum vi_severity min_severity;       /* default: note */
	const char *target_ids[VI_CMD_MAX_TARGETS];
	int ntarget_ids, all_targets;
	struct vi_cmd_target *targets;       /* loaded before run */
	int ntargets;
	const char *first_input;             /* the first positional argument */
	int ninputs;                         /* how many there were */
	/* the framework's */
	int out_open;
	struct argp_option *options;
	char format_doc[128];
};

struct vi_command {
	const char *name;
	const char *args;                    /* usage after the name, for the list */
	const char *summary;                 /* one line for --help */
	const char *usage;                   /* argp's args_doc ("FILE...") */
	const char *doc;                     /* argp's doc ("...\v...") */
	unsigned common;                     /* VI_CMD_... */
	const char *opt_doc[VI_O_COUNT];
	const struct argp_option *options;   /* its own options, or NULL */
	/* Its own keys, positional arguments and ARGP_KEY_END checks; st->input
	 * is the struct vi_cmd_ctx (its args in ->args).  A file argument the
	 * run reads is given to vi_out_note_read here. */
	argp_parser_t parse;
	size_t args_size;
	const struct vi_outfmt *formats;     /* NULL: no output document */
	int (*run)(struct vi_cmd_ctx *c);    /* returns the exit status */
	/* Instead of all of the above: a command of subcommands (schema). */
	int (*dispatch)(int argc, char **argv);
};

/* Run command c (argv[0] is what messages call it). */
int vi_cmd_main(const struct vi_command *c, int argc, char **argv);

/* Render model in the chosen format into the output and put it in place:
 * rc, or VI_EXIT_USAGE when it cannot be written.  A renderer that fails
 * (returns non-zero) leaves -o as it was and rc as it is. */
int vi_cmd_emit(struct vi_cmd_ctx *c, const void *model, int rc);
/* What run wrote to c->out.f directly, put in place: as vi_cmd_emit. */
int vi_cmd_commit(struct vi_cmd_ctx *c, int rc);
/* A target's name in reports: the schema's own, else the id given. */
const char *vi_cmd_target_name(const struct vi_cmd_target *t);

struct vi_dest;
/* The destination t is, with --machine resolved as t's release resolves it
 * (an alias is the type it names; a type it lacks is machine_unknown);
 * d->stream and d->notes are left NULL. */
void vi_cmd_dest(const struct vi_cmd_ctx *c, const struct vi_cmd_target *t, struct vi_dest *d);

#endif
