/* input-options.c - the options of every command that reads a stream. */
#include <argp.h>
#include <stdlib.h>
#include "input.h"

struct vi_input_opts vi_input_opts;

enum { OPT_SNAPSHOT = 0x1100, OPT_QUIET };

#define SNAPSHOT_OPTION \
	{ "snapshot", OPT_SNAPSHOT, "ID|NAME", 0, \
	  "qcow2 input: read the VM state of this savevm snapshot (default: " \
	  "$VMSTATE_INSPECT_SNAPSHOT, else the most recent one with a VM state)", 0 }

static const struct argp_option options[] = {
	SNAPSHOT_OPTION,
	{ "quiet", 'q', NULL, 0, "No progress line on a terminal while a pipe or "
	  "compressed input is read", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	(void)state;
	switch (key) {
	case OPT_SNAPSHOT:
		vi_input_opts.snapshot = arg;
		return 0;
	case 'q':
		vi_input_opts.quiet = 1;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp vi_input_argp = { options, parse, NULL, NULL, NULL, NULL, NULL };
/* --snapshot only: the options array ends before "quiet". */
static const struct argp_option snapshot_only[] = { SNAPSHOT_OPTION, { 0 } };
const struct argp vi_input_argp_snapshot = { snapshot_only, parse, NULL, NULL, NULL, NULL,
					     NULL };
