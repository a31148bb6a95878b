/* command.h - one file per command (cmd-*.c), each exporting one entry that
 * main.c's dispatcher walks. */
#ifndef VI_COMMAND_H
#define VI_COMMAND_H

struct vi_command {
	const char *name;
	const char *args;     /* usage after the name */
	const char *summary;  /* one line for --help */
	int (*run)(int argc, char **argv);  /* argv[0] is the command name */
};

extern const struct vi_command cmd_dump;
extern const struct vi_command cmd_schema;
extern const struct vi_command cmd_check;
extern const struct vi_command cmd_report;
extern const struct vi_command cmd_diff;
extern const struct vi_command cmd_machines;
extern const struct vi_command cmd_targets;
extern const struct vi_command cmd_extract;
extern const struct vi_command cmd_explain;


#endif
