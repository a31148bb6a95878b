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
#include "vi-escape.h"
#include "vi-output.h"
#include "input.h"
#include "render-redact.h"
#include "render.h"
#include "render-input.h"
#include "schema.h"
#include "session.h"

struct dump_args {
	const char *file;
	struct vi_walk_opts walk;
	int redact;
	int domain_xml;
};

enum { OPT_IGNORE_VMDESC = 256, OPT_DIGESTS, OPT_REDACT, OPT_LIST_SNAPSHOTS, OPT_DOMAIN_XML };

static const struct argp_option options[] = {
	{ "ignore-vmdesc", OPT_IGNORE_VMDESC, NULL, 0,
	  "Do not decode device sections from the stream's VMDESCRIPTION trailer", 0 },
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
	struct dump_args *a = ((struct vi_cmd_ctx *)state->input)->args;

	switch (key) {
	case OPT_IGNORE_VMDESC:
		a->walk.ignore_vmdesc = 1;
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
		vi_out_note_read(arg);
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "no FILE given (use - for stdin)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* --list-snapshots, --domain-xml: the container's facts, no stream walked;
 * written through out (opened by run), committed or aborted here. */
static int container_facts(struct vi_cmd_ctx *c)
{
	const struct dump_args *a = c->args;
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
			render_snapshot_list(c->out.f, &in, c->format != &dump_formats[0]);
		else
			render_domain_xml(c->out.f, in.libvirt);
		rc = vi_cmd_commit(c, rc);
	}
	vi_input_close(&in);
	return rc;	/* not committed: the framework aborts the output */
}

static int run(struct vi_cmd_ctx *c)
{
	struct dump_args *a = c->args;
	struct vi_session s;
	struct vi_doc doc;
	int rc;

	if (c->ntargets)
		a->walk.schema_vmsds = c->targets[0].schema.vmsds;
	if (vi_input_opts.list_snapshots || a->domain_xml)
		return container_facts(c);
	vi_session_walk(&s, a->file, &a->walk);
	if (a->redact && s.root)
		vi_redact_tree(s.root, s.r);
	doc.in = &s.in;
	doc.root = s.root;
	doc.err = &s.err;
	doc.unjudged = !vi_session_found(&s);
	rc = s.err.set ? s.err.exit_code : VI_EXIT_OK;
	vi_session_print_error(&s, a->file);
	/* text of nothing: not committed, -o stays as it was */
	if (c->format != &dump_formats[0] || s.root)
		rc = vi_cmd_emit(c, &doc, rc);
	if (getenv("VMSTATE_INSPECT_STATS") && s.r)	/* for bench/ */
		fprintf(stderr, "stats: bytes_read=%llu stream_size=%llu temp_bytes=%llu "
			"kept_bytes=%llu\n",
			(unsigned long long)s.r->bytes_read, (unsigned long long)s.in.size,
			(unsigned long long)s.in.temp_bytes,
			(unsigned long long)(s.in.rs ? rs_kept(s.in.rs) : 0));
	vi_session_close(&s);
	return rc;
}

const struct vi_command cmd_dump = {
	.name = "dump", .args = "[--format text|json] [--target ID] [--digests] [--redact] "
	"[--snapshot ID|NAME] [--list-snapshots | --domain-xml] FILE",
	.summary = "decode a stream into a readable tree or JSON",
	.usage = "FILE",
	.doc = "Decode a QEMU migration stream section by section, field by field."
	       "\vFILE may be a raw stream, a libvirt save image (any save_image_format), "
	       "a qcow2 image with savevm snapshots (--snapshot picks one), a gzip, bzip2, "
	       "lzop, zstd or xz compressed file of these, or - for stdin.  Device sections "
	       "are decoded from the stream's own VMDESCRIPTION trailer, or with --target "
	       "from a schema; otherwise they are listed with offset, length and a hex "
	       "preview.  RAM pages are counted, not shown; --digests reads them for each "
	       "RAMBlock's content digest.",
	.common = VI_CMD_FORMAT | VI_CMD_OUTPUT | VI_CMD_TARGET | VI_CMD_SCHEMAS | VI_CMD_INPUT,
	.opt_doc = {
		[VI_O_FORMAT] = "Output format: text (default) or json",
		[VI_O_OUTPUT] = "Write the output to FILE instead of stdout (replaced only once "
				"complete; - is standard output)",
		[VI_O_TARGET] = "Decode sections the trailer does not describe with this "
				"target's schema (qemu-RELEASE/ARCH, a schema file or a "
				"-dump-vmstate file)",
	},
	.options = options, .parse = parse, .args_size = sizeof(struct dump_args),
	.formats = dump_formats, .run = run,
};
