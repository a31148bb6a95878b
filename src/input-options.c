/* input-options.c - the options of every command that reads a stream. */
#include <argp.h>
#include <stdlib.h>
#include "input.h"

struct vi_input_opts vi_input_opts;

enum { OPT_SNAPSHOT = 0x1100 };

static const struct argp_option options[] = {
	{ "snapshot", OPT_SNAPSHOT, "ID|NAME", 0,
	  "qcow2 input: read the VM state of this savevm snapshot (default: "
	  "$VMSTATE_INSPECT_SNAPSHOT, else the most recent one with a VM state)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	(void)state;
	if (key != OPT_SNAPSHOT)
		return ARGP_ERR_UNKNOWN;
	vi_input_opts.snapshot = arg;
	return 0;
}

const struct argp vi_input_argp = { options, parse, NULL, NULL, NULL, NULL, NULL };
