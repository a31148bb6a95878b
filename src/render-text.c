/* render-text.c - the text view: one line per value, like tshark -V/readelf.
 *
 *   OFFSET      LENGTH  NAME  TYPE  = VALUE  [facts]
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "vi-escape.h"
#include "render.h"
#include "render-input.h"

#define ARRAY_SHOWN 16

static void value(FILE *out, const struct vi_node *n)
{
	switch (n->vt) {
	case VI_V_UINT:
		if (n->v.u > 9)
			fprintf(out, "%" PRIu64 " (0x%" PRIx64 ")", n->v.u, n->v.u);
		else
			fprintf(out, "%" PRIu64, n->v.u);
		break;
	case VI_V_INT: fprintf(out, "%" PRId64, n->v.i); break;
	case VI_V_BOOL: fputs(n->v.u ? "true" : "false", out); break;
	case VI_V_DOUBLE:	/* spelt as in the JSON view */
		if (isnan(n->v.d))
			fputs("NaN", out);
		else if (isinf(n->v.d))
			fputs(n->v.d < 0 ? "-Infinity" : "Infinity", out);
		else
			fprintf(out, "%g", n->v.d);
		break;
	case VI_V_STR:
		fputc('"', out);
		vi_put_text(out, n->v.s);
		fputc('"', out);
		break;
	case VI_V_BYTES:
		for (size_t i = 0; i < n->nbytes; i++)
			fprintf(out, "%s%02x", i && i % 4 == 0 ? " " : "", n->bytes[i]);
		if (n->nbytes < n->blob_len)
			fputs(" ...", out);
		break;
	default: break;
	}
}

static void attrs(FILE *out, const struct vi_node *n, const char *skip)
{
	int first = 1;

	for (size_t i = 0; i < n->nattrs; i++) {
		const struct vi_attr *a = &n->attrs[i];
		if (skip && strstr(skip, vi_attr_name(a)))
			continue;
		fprintf(out, "%s%s=", first ? "  [" : " ", vi_attr_name(a));
		if (a->is_str)
			vi_put_text(out, a->s);
		else
			fprintf(out, "%" PRIu64, a->u);
		first = 0;
	}
	if (!first)
		fputc(']', out);
}

static int scalar_array(const struct vi_node *n)
{
	if (!vi_node_get(n, VI_A_ARRAY_LEN) || !n->nkids)
		return 0;
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->nkids || n->kids[i]->vt == VI_V_NONE ||
		    n->kids[i]->vt == VI_V_BYTES)
			return 0;
	return 1;
}

static void line_start(FILE *out, const struct vi_node *n, int depth)
{
	fprintf(out, "0x%08" PRIx64 " %8" PRIu64 "  %*s", n->offset, n->length,
		2 * depth, "");
}

static void node(FILE *out, const struct vi_node *n, int depth)
{
	const char *skip = NULL;

	switch (n->kind) {
	case VI_N_WARNING:
		return;	/* listed at the end */
	case VI_N_SECTION:
		line_start(out, n, depth);
		{
			char kind[8];
			size_t i;
			for (i = 0; n->type[i] && i < sizeof(kind) - 1; i++)
				kind[i] = (char)(n->type[i] - 32 * (n->type[i] >= 'a'));
			kind[i] = '\0';
			fprintf(out, "%-5s ", kind);
			vi_put_text(out, n->name);
		}
		skip = "payload_offset";
		break;
	case VI_N_RAM:
		fprintf(out, "\nRAM (page size %" PRIu64 "):\n",
			vi_node_get(n, VI_A_PAGE_SIZE)->u);
		fprintf(out, "  %-32s %14s %10s %10s %10s\n", "block", "bytes", "pages",
			"zero", "normal");
		for (size_t i = 0; i < n->nkids; i++) {
			const struct vi_node *b = n->kids[i];
			const struct vi_attr *d = vi_node_get(b, VI_A_XXH3_128);
			fprintf(out, "  %-32s %14" PRIu64 " %10" PRIu64 " %10" PRIu64
				" %10" PRIu64, vi_tx(b->name),
				vi_node_get(b, VI_A_USED_LENGTH)->u, vi_node_get(b, VI_A_PAGES)->u,
				vi_node_get(b, VI_A_ZERO_PAGES)->u,
				vi_node_get(b, VI_A_NORMAL_PAGES)->u);
			if (d)
				fprintf(out, "  xxh3-128 %s", d->s);
			else if ((d = vi_node_get(b, VI_A_DIGEST_UNAVAILABLE)))
				fprintf(out, "  no digest: %s", d->s);
			fputc('\n', out);
		}
		return;
	default:
		line_start(out, n, depth);
		vi_put_text(out, n->name);
		if (n->type[0] && strcmp(n->type, n->name) != 0) {
			fputs("  ", out);
			vi_put_text(out, n->type);
		}
		break;
	}
	if (scalar_array(n)) {
		fputs(" = [", out);
		for (size_t i = 0; i < n->nkids && i < ARRAY_SHOWN; i++) {
			fputs(i ? ", " : "", out);
			value(out, n->kids[i]);
		}
		fputs(n->nkids > ARRAY_SHOWN ? ", ...]" : "]", out);
		attrs(out, n, NULL);
		fputc('\n', out);
		return;
	}
	if (n->vt != VI_V_NONE) {
		fputs(" = ", out);
		value(out, n);
	}
	attrs(out, n, skip);
	fputc('\n', out);
	for (size_t i = 0; i < n->nkids; i++)
		node(out, n->kids[i], depth + 1);
	{
		struct vi_node fbuf;
		struct vi_attr fattr;
		const struct vi_node *f = vi_node_footer(n, &fbuf, &fattr);
		if (f)
			node(out, f, depth + 1);
	}
}

void render_text(FILE *out, const struct vi_doc *doc)
{
	const struct vi_node *root = doc->root;
	const struct vi_attr *u;

	fprintf(out, "%s: %s", vi_tx(doc->in->name), doc->in->container);
	for (int i = 0; i < doc->in->nfilters; i++)
		fprintf(out, ", %s-compressed", doc->in->filters[i]);
	fprintf(out, ", stream of %" PRIu64 " bytes", doc->in->size);
	if (doc->in->base)
		fprintf(out, " at file offset %" PRIu64, doc->in->base);
	if (doc->in->detail[0])
		fprintf(out, " (%s)", vi_tx(doc->in->detail));
	fputc('\n', out);
	if (doc->in->libvirt)
		render_libvirt_text(out, doc->in->libvirt);
	if (doc->in->has_snapshot) {
		char date[40];
		render_snapshot_date(date, sizeof(date), &doc->in->snapshot);
		fprintf(out, "qcow2 snapshot '%s' (id %s), taken %s UTC, VM state %" PRIu64
			" bytes\n", doc->in->snapshot.name, doc->in->snapshot.id, date,
			doc->in->snapshot.vm_state_size);
	}
	fprintf(out, "%-10s %8s  %s\n", "offset", "length", "name  type = value  [facts]");
	if (!root)
		return;
	for (size_t i = 0; i < root->nkids; i++)
		node(out, root->kids[i], 0);
	u = vi_node_get(root, VI_A_UNDECODED_BYTES);
	if (u)
		fprintf(out, "\nundecoded bytes in device sections: %" PRIu64 "\n", u->u);
	for (size_t i = 0; i < root->nkids; i++)
		if (root->kids[i]->kind == VI_N_WARNING)
			fprintf(out, "warning: byte %" PRIu64 ": %s\n", root->kids[i]->offset,
				vi_tx(root->kids[i]->v.s));
	if (doc->err && doc->err->set)
		fprintf(out, "error: %s%s\n", doc->err->has_offset ? "see below: " : "",
			doc->err->msg);
	vi_tx_release();
}
