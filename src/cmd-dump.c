/* cmd-dump.c - "dump": decode a stream into a text tree or JSON. */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "command.h"
#include "render.h"
#include "session.h"

struct dump_args {
	const char *file;
	const char *output;
	enum vi_format_out format;
	struct vi_walk_opts walk;
};

enum { OPT_IGNORE_VMDESC = 256 };

static const struct argp_option options[] = {
	{ "format", 'f', "FORMAT", 0, "Output format: text (default) or json", 0 },
	{ "output", 'o', "FILE", 0, "Write the output to FILE instead of stdout", 0 },
	{ "ignore-vmdesc", OPT_IGNORE_VMDESC, NULL, 0,
	  "Do not decode device sections from the stream's VMDESCRIPTION trailer", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct dump_args *a = state->input;

	switch (key) {
	case 'f':
		if (strcmp(arg, "text") == 0)
			a->format = VI_OUT_TEXT;
		else if (strcmp(arg, "json") == 0)
			a->format = VI_OUT_JSON;
		else
			argp_error(state, "unknown format '%s' (text or json)", arg);
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case OPT_IGNORE_VMDESC:
		a->walk.ignore_vmdesc = 1;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "dump takes one FILE");
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "no FILE given (use - for stdin)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "FILE",
		"Decode a QEMU migration stream section by section, field by field."
		"\vFILE may be a raw stream, a libvirt save image, an xz-compressed "
		"stream, or - for stdin.  Device sections are decoded from the stream's "
		"own VMDESCRIPTION trailer; without one they are listed with offset, "
		"length and a hex preview.  RAM pages are counted, not shown.",
		NULL, NULL, NULL
	};
	struct dump_args a = { 0 };
	struct vi_session s;
	struct vi_doc doc;
	FILE *out = stdout;
	int rc;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	vi_session_walk(&s, a.file, &a.walk);
	if (a.output && !(out = fopen(a.output, "w"))) {
		fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", a.output,
			strerror(errno));
		vi_session_close(&s);
		return VI_EXIT_USAGE;
	}
	doc.in = &s.in;
	doc.root = s.w.root;
	doc.err = &s.err;
	if (a.format == VI_OUT_JSON) {
		json_t *j = render_json(&doc);
		render_json_dump(out, j);
		json_decref(j);
	} else if (s.w.root) {
		render_text(out, &doc);
	}
	if (out != stdout)
		fclose(out);
	else
		fflush(stdout);
	vi_error_print(&s.err, a.file);
	rc = s.err.set ? s.err.exit_code : VI_EXIT_OK;
	vi_session_close(&s);
	return rc;
}

const struct vi_command cmd_dump = {
	"dump", "[--format text|json] FILE",
	"decode a stream into a readable tree or JSON", run
};
