/* cmd-dump.c - "dump": decode a stream into a text tree or JSON. */
#include <limits.h>
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "command.h"
#include "escape.h"
#include "output.h"
#include "input.h"
#include "redact.h"
#include "render.h"
#include "render-input.h"
#include "schema.h"
#include "session.h"

struct dump_args {
	const char *file;
	const char *output;
	const char *target, *schema_dir;
	const struct vi_outfmt *format;
	struct vi_walk_opts walk;
	int redact;
	int domain_xml;
};

enum { OPT_IGNORE_VMDESC = 256, OPT_TARGET, OPT_SCHEMAS, OPT_DIGESTS, OPT_REDACT,
       OPT_LIST_SNAPSHOTS, OPT_DOMAIN_XML };

static const struct argp_option options[] = {
	{ "format", 'f', "FORMAT", 0, "Output format: text (default) or json", 0 },
	{ "output", 'o', "FILE", 0, "Write the output to FILE instead of stdout (replaced only once complete; - is standard output)", 0 },
	{ NULL, 'h', NULL, 0, "Give this help list", -1 },
	{ "ignore-vmdesc", OPT_IGNORE_VMDESC, NULL, 0,
	  "Do not decode device sections from the stream's VMDESCRIPTION trailer", 0 },
	{ "target", OPT_TARGET, "ID", 0,
	  "Decode sections the trailer does not describe with this target's schema "
	  "(qemu-RELEASE/ARCH, a schema file or a -dump-vmstate file)", 0 },
	{ "schemas", OPT_SCHEMAS, "DIR", 0, "Look for target schemas in DIR first", 0 },
	{ "digests", OPT_DIGESTS, NULL, 0,
	  "Read the RAM pages and give each RAMBlock's XXH3-128 content digest "
	  "(slower: every page is read)", 0 },
	{ "redact", OPT_REDACT, NULL, 0,
	  "Replace buffers that can hold guest data (network frames, disk requests, "
	  "framebuffers, serial and input FIFOs, undecoded bytes) by length and digest", 0 },
	{ "list-snapshots", OPT_LIST_SNAPSHOTS, NULL, 0,
	  "qcow2 input: list its snapshots (id, name, VM state size, date, VM clock) "
	  "instead of decoding one", 0 },
	{ "domain-xml", OPT_DOMAIN_XML, NULL, 0,
	  "libvirt save image: print the domain XML it holds instead of decoding the "
	  "stream", 0 },
	{ 0 }
};

static int text_view(FILE *out, const void *doc)
{
	const struct vi_doc *d = doc;

	if (d->root)	/* an input that could not be opened has no text view */
		render_text(out, d);
	return 0;
}

static int json_view(FILE *out, const void *doc)
{
	return render_json_write(out, doc);
}

static const struct vi_outfmt dump_formats[] = {
	{ "text", text_view },
	{ "json", json_view },
	{ NULL, NULL },
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct dump_args *a = state->input;

	switch (key) {
	case 'f':
		if (!(a->format = vi_outfmt_find(dump_formats, arg)))
			argp_error(state, "unknown format '%s' (%s)", arg, vi_outfmt_names(dump_formats));
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case OPT_IGNORE_VMDESC:
		a->walk.ignore_vmdesc = 1;
		return 0;
	case OPT_TARGET:
		a->target = arg;
		return 0;
	case OPT_SCHEMAS:
		a->schema_dir = arg;
		return 0;
	case OPT_DIGESTS:
		a->walk.ram_digests = 1;
		return 0;
	case OPT_REDACT:
		a->redact = 1;
		return 0;
	case OPT_LIST_SNAPSHOTS:
		vi_input_opts.list_snapshots = 1;
		return 0;
	case OPT_DOMAIN_XML:
		a->domain_xml = 1;
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

static const struct argp_child input_children[] = { { &vi_input_argp, 0, NULL, 0 }, { 0 } };

/* --list-snapshots, --domain-xml: the container's facts, no stream walked;
 * written through out (opened by run), committed or aborted here. */
static int container_facts(const struct dump_args *a, struct vi_out *out)
{
	struct vi_input in;
	struct vi_error err = { 0 };
	int rc = VI_EXIT_OK;

	if (vi_input_open(&in, a->file, &err) < 0) {
		vi_error_print(&err, a->file);
		rc = err.exit_code;
	} else if (vi_input_opts.list_snapshots && strcmp(in.container, "qcow2") != 0) {
		fprintf(stderr, "vmstate-inspect: %s: --list-snapshots: not a qcow2 image (%s)\n",
			vi_tx(a->file), in.container);
		rc = VI_EXIT_INPUT;
	} else if (a->domain_xml && !in.libvirt) {
		fprintf(stderr, "vmstate-inspect: %s: --domain-xml: not a libvirt save image "
			"(%s)\n", vi_tx(a->file), in.container);
		rc = VI_EXIT_INPUT;
	} else {
		if (vi_input_opts.list_snapshots)
			render_snapshot_list(out->f, &in, a->format != &dump_formats[0]);
		else
			render_domain_xml(out->f, in.libvirt);
		if (vi_out_commit(out) < 0)
			rc = VI_EXIT_USAGE;
		vi_input_close(&in);
		return rc;
	}
	vi_input_close(&in);
	vi_out_abort(out);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, "FILE",
		"Decode a QEMU migration stream section by section, field by field."
		"\vFILE may be a raw stream, a libvirt save image (any save_image_format), "
		"a qcow2 image with savevm snapshots (--snapshot picks one), a gzip, bzip2, "
		"lzop, zstd or xz compressed file of these, or - for stdin.  Device sections are decoded from the stream's "
		"own VMDESCRIPTION trailer, or with --target from a schema; otherwise they "
		"are listed with offset, length and a hex preview.  RAM pages are counted, "
		"not shown; --digests reads them for each RAMBlock's content digest.",
		input_children, NULL, NULL
	};
	struct dump_args a = { 0 };
	struct vi_schema schema = { 0 };
	struct vi_error serr = { 0 };
	struct vi_session s;
	struct vi_doc doc;
	struct vi_out out;
	int rc;

	a.format = &dump_formats[0];
	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		return VI_EXIT_USAGE;
	vi_out_note_read(a.file);
	if (vi_out_open(&out, a.output) < 0)
		return VI_EXIT_USAGE;
	if (a.target) {
		if (schema_load_target(&schema, a.target, a.schema_dir, &serr) < 0) {
			vi_error_print(&serr, a.target);
			vi_out_abort(&out);
			return VI_EXIT_USAGE;
		}
		vi_out_note_read(schema.path);
		a.walk.schema_vmsds = schema.vmsds;
	}
	if (vi_input_opts.list_snapshots || a.domain_xml) {
		rc = container_facts(&a, &out);
		schema_free(&schema);
		return rc;
	}
	vi_session_walk(&s, a.file, &a.walk);
	if (a.redact && s.w.root)
		vi_redact_tree(s.w.root, s.r);
	doc.in = &s.in;
	doc.root = s.w.root;
	doc.err = &s.err;
	doc.unjudged = !vi_session_found(&s);
	rc = s.err.set ? s.err.exit_code : VI_EXIT_OK;
	vi_session_print_error(&s, a.file);
	if (a.format == &dump_formats[0] && !s.w.root) {
		vi_out_abort(&out);	/* nothing to show: -o stays as it was */
	} else {
		a.format->render(out.f, &doc);
		if (vi_out_commit(&out) < 0)
			rc = VI_EXIT_USAGE;
	}
	if (getenv("VMSTATE_INSPECT_STATS") && s.r)	/* for bench/ */
		fprintf(stderr, "stats: bytes_read=%llu stream_size=%llu temp_bytes=%llu "
			"kept_bytes=%llu\n",
			(unsigned long long)s.r->bytes_read, (unsigned long long)s.in.size,
			(unsigned long long)s.in.temp_bytes,
			(unsigned long long)(s.in.rs ? rs_kept(s.in.rs) : 0));
	vi_session_close(&s);
	schema_free(&schema);
	return rc;
}

const struct vi_command cmd_dump = {
	"dump", "[--format text|json] [--target ID] [--digests] [--redact] "
	"[--snapshot ID|NAME] [--list-snapshots | --domain-xml] FILE",
	"decode a stream into a readable tree or JSON", run
};
