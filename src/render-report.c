/* render-report.c - the markdown and HTML views of a report (struct
 * vi_report, triage.c), for pasting into an issue and for reading in a
 * browser.
 *
 * Every string that came from the stream (section and RAMBlock names,
 * finding messages quoting them) is escaped for the format.  Neither view
 * shows guest data: the device tree lists scalar values, and byte buffers,
 * arrays and strings only with their length (see the man page).  The HTML
 * is one file with its style inline, no scripts and no references to
 * anything outside it; <details> makes the device tree expandable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "vi-escape.h"
#include "render-findings.h"
#include "render-report.h"
#include "report-triage.h"

#define MAX_TREE_ROWS 4000    /* per device in the HTML tree */

/* ---- escaping ---------------------------------------------------------------- */

/* Markdown inside a table cell or a line: HTML specials as entities, every
 * markdown punctuation backslash-escaped, control bytes as \xNN, no line
 * breaks. */
static void md(FILE *out, const char *raw)
{
	json_t *j = raw ? vi_jstr(raw) : NULL;	/* not UTF-8: \xNN text, as in JSON */
	const char *s = j ? json_string_value(j) : "";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '<')
			fputs("&lt;", out);
		else if (*p == '>')
			fputs("&gt;", out);
		else if (*p == '&')
			fputs("&amp;", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\\\x%02x", *p);
		else if (strchr("\\`*_{}[]|~", *p))
			fprintf(out, "\\%c", *p);
		else
			fputc(*p, out);
	}
	json_decref(j);
}

static void html(FILE *out, const char *raw)
{
	json_t *j = raw ? vi_jstr(raw) : NULL;	/* not UTF-8: \xNN text, as in JSON */
	const char *s = j ? json_string_value(j) : "";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\x%02x", *p);
			else
				fputc(*p, out);
		}
	}
	json_decref(j);
}

/* ---- shared -------------------------------------------------------------------- */

static int is_problem(const struct vi_report_dest *d)
{
	return d->errors || d->warnings;
}

/* Destinations, problems (reject, then warnings) first. */
static size_t dest_order(const struct vi_triage_report *r, size_t *order, size_t max)
{
	size_t n = 0;

	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < r->ndests && n < max; i++) {
			const struct vi_report_dest *d = &r->dests[i];
			int cls = d->errors ? 0 : is_problem(d) ? 1 : 2;
			if (cls == pass)
				order[n++] = i;
		}
	return n;
}

/* "qemu-10.0/x86_64 or qemu-7.2/x86_64": the releases the stream fits. */
static const char *source_text(const struct vi_triage_report *r)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nfit; i++)
		if (n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " or " : "",
					      r->rel[r->fit[i]].target);
	return buf[0] ? buf : NULL;
}

static const char *digest(const struct vi_report_block *b)
{
	return b->digest == VI_DIGEST_HEX ? b->hex : "-";
}

/* ---- markdown -------------------------------------------------------------- */

int vi_report_markdown(FILE *out, const void *model)
{
	const struct vi_triage_report *r = model;
	size_t order[256], n, i;

	if (r->error_only) {
		fputs("### vmstate-inspect report: ", out);
		md(out, r->file);
		fputs("\n\n**Not a stream that can be reported on:** ", out);
		md(out, r->error_message);
		fputc('\n', out);
		return ferror(out) ? -1 : 0;
	}
	fputs("### vmstate-inspect report: ", out);
	md(out, r->file);
	fprintf(out, "\n\n**Machine type** ");
	md(out, r->machine ? r->machine : "(none in the stream)");
	fprintf(out, " · **stream** %" PRIu64 " bytes", r->stream_size);
	if (source_text(r)) {
		fputs(" · **written by** ", out);
		md(out, source_text(r));
	}
	fputs("\n\n", out);
	if (r->ndests) {
		fputs("| destination | machine type | verdict | errors | warnings | first error |\n"
		      "|---|---|---|---:|---:|---|\n", out);
		n = dest_order(r, order, 256);
		for (i = 0; i < n; i++) {
			const struct vi_report_dest *d = &r->dests[order[i]];
			const struct vi_finding *e = d->first_error;
			fputs("| ", out);
			md(out, d->d->target);
			fputs(" | ", out);
			md(out, d->d->machine ? d->d->machine : "-");
			fprintf(out, " | %s%s%s | %zu | %zu | ", d->errors ? "**" : "",
				d->errors ? "reject" : "accept", d->errors ? "**" : "",
				d->errors, d->warnings);
			if (e) {
				md(out, vi_class_name(e->cls));
				fprintf(out, " at byte %" PRIu64 ": ", e->offset);
				md(out, e->message);
			}
			fputs(" |\n", out);
		}
	} else {
		fputs("No installed destination was checked (see `--target`).\n", out);
	}
	fputs("\n**Problems in the stream:** ", out);
	if (!r->nproblems)
		fputs("none\n", out);
	else {
		fputc('\n', out);
		for (i = 0; i < r->nproblems; i++) {
			const struct vi_report_problem *x = &r->problems[i];
			fputs("- ", out);
			md(out, vi_report_sev_names[x->severity]);
			if (x->has_offset)
				fprintf(out, " at byte %" PRIu64, x->offset);
			fputs(": ", out);
			md(out, x->message);
			fputc('\n', out);
		}
	}
	fprintf(out, "\n<details><summary>Devices: %zu section(s), RAM: %zu block(s)</summary>\n\n",
		r->ndevices, r->nblocks);
	fputs("| offset | bytes | version | section[instance] |\n|---:|---:|---:|---|\n", out);
	for (i = 0; i < r->ndevices; i++) {
		const struct vi_report_device *x = &r->devices[i];
		fprintf(out, "| 0x%08" PRIx64 " | %" PRIu64 " | %" PRIu64 " | ", x->offset,
			x->bytes, x->version_id);
		md(out, x->section);
		fprintf(out, "\\[%" PRIu64 "\\] |\n", x->instance_id);
	}
	fputs("\n| RAMBlock | bytes | zero pages | pages with data | digest |\n"
	      "|---|---:|---:|---:|---|\n", out);
	for (i = 0; i < r->nblocks; i++) {
		const struct vi_report_block *x = &r->blocks[i];
		fputs("| ", out);
		md(out, x->name);
		fprintf(out, " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %s |\n",
			x->used_length, x->zero_pages, x->normal_pages, digest(x));
	}
	fputs("\n</details>\n\n<sub>vmstate-inspect report --format markdown</sub>\n", out);
	return ferror(out) ? -1 : 0;
}

/* ---- HTML ------------------------------------------------------------------ */

static const char css[] =
	"body{font-family:sans-serif;margin:2em;color:#222;background:#fff}"
	"h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left;vertical-align:top}"
	"th{background:#e8eef4}td.n{text-align:right;font-family:monospace}"
	".reject{background:#f8d0d0;font-weight:bold}.accept{background:#d4f0d4}"
	".warn{background:#fff0c0}code,.mono{font-family:monospace}"
	"details{margin:.2em 0}summary{cursor:pointer;font-family:monospace}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}";

static void tree_rows(FILE *out, const struct vi_node *n, int depth, size_t *rows)
{
	for (size_t i = 0; i < n->nkids && *rows < MAX_TREE_ROWS; i++) {
		const struct vi_node *k = n->kids[i];
		if (k->kind == VI_N_WARNING)
			continue;
		(*rows)++;
		fprintf(out, "<tr><td class=n>0x%08" PRIx64 "</td><td class=n>%" PRIu64
			"</td><td style=\"padding-left:%dem\">", k->offset, k->length, 1 + depth);
		html(out, k->name);
		fputs("</td><td>", out);
		html(out, k->type);
		fputs("</td><td class=mono>", out);
		/* No guest data: scalars only, buffers/strings/arrays by length. */
		switch (k->vt) {
		case VI_V_UINT: fprintf(out, "%" PRIu64, k->v.u); break;
		case VI_V_INT: fprintf(out, "%" PRId64, k->v.i); break;
		case VI_V_BOOL: fputs(k->v.u ? "true" : "false", out); break;
		case VI_V_DOUBLE: fprintf(out, "%g", k->v.d); break;
		case VI_V_STR: fprintf(out, "(string, %zu bytes)", strlen(k->v.s)); break;
		case VI_V_BYTES: fprintf(out, "(%" PRIu64 " bytes)", k->blob_len); break;
		default:
			if (k->nkids)
				fprintf(out, "(%zu item(s))", (size_t)k->nkids);
		}
		fputs("</td></tr>\n", out);
		if (k->vt != VI_V_BYTES && !(k->nkids && k->kids[0]->nkids == 0 &&
					     k->kids[0]->vt != VI_V_NONE && vi_node_has(k, VI_A_ARRAY_LEN)))
			tree_rows(out, k, depth + 1, rows);
	}
}

static void html_findings(FILE *out, const struct vi_findings *fl)
{
	if (!fl->n) {
		fputs("<p>No findings.</p>\n", out);
		return;
	}
	fputs("<table><tr><th>severity</th><th>class</th><th>byte</th><th>path</th>"
	      "<th>message</th></tr>\n", out);
	for (size_t i = 0; i < fl->n; i++) {
		const struct vi_finding *f = &fl->v[i];
		fprintf(out, "<tr class=\"%s\"><td>", f->severity == VI_SEV_ERROR ? "reject"
			: f->severity == VI_SEV_WARNING ? "warn" : "");
		html(out, vi_severity_name(f->severity));
		fputs("</td><td>", out);
		html(out, vi_class_name(f->cls));
		fprintf(out, "</td><td class=n>%" PRIu64 "</td><td class=mono>", f->offset);
		html(out, f->path);
		fputs("</td><td>", out);
		html(out, f->message);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

int vi_report_html(FILE *out, const void *model)
{
	const struct vi_triage_report *r = model;
	size_t order[256], n, i;

	fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>vmstate-inspect report: ", out);
	html(out, r->file);
	fprintf(out, "</title>\n<style>%s</style></head><body>\n<h1>vmstate-inspect report: ", css);
	html(out, r->file);
	if (r->error_only) {
		fputs("</h1>\n<p>Not a stream that can be reported on: ", out);
		html(out, r->error_message);
		fputs("</p>\n</body></html>\n", out);
		return ferror(out) ? -1 : 0;
	}
	fputs("</h1>\n<h2>Summary</h2>\n<dl><dt>machine type</dt><dd>", out);
	html(out, r->machine ? r->machine : "(none in the stream)");
	fprintf(out, "</dd><dt>stream</dt><dd>%" PRIu64 " bytes (%s)</dd><dt>written by</dt><dd>",
		r->stream_size, r->container);
	html(out, source_text(r) ? source_text(r) : "cannot tell");
	fprintf(out, "</dd><dt>devices</dt><dd>%zu section(s)</dd><dt>RAM</dt><dd>%zu block(s)"
		"</dd><dt>problems in the stream</dt><dd>%zu</dd></dl>\n",
		r->ndevices, r->nblocks, r->nproblems);
	fputs("<h2>Destinations</h2>\n", out);
	if (r->ndests) {
		fputs("<table><tr><th>destination</th><th>machine type</th><th>verdict</th>"
		      "<th>errors</th><th>warnings</th><th>first error</th></tr>\n", out);
		n = dest_order(r, order, 256);
		for (i = 0; i < n; i++) {
			const struct vi_report_dest *d = &r->dests[order[i]];
			const struct vi_finding *e = d->first_error;
			fputs("<tr><td>", out);
			html(out, d->d->target);
			fputs("</td><td>", out);
			html(out, d->d->machine ? d->d->machine : "-");
			fprintf(out, "</td><td class=\"%s\">", d->errors ? "reject"
				: is_problem(d) ? "warn" : "accept");
			html(out, d->errors ? "reject" : "accept");
			fprintf(out, "</td><td class=n>%zu</td><td class=n>%zu</td><td>",
				d->errors, d->warnings);
			if (e) {
				html(out, vi_class_name(e->cls));
				fprintf(out, " at byte %" PRIu64 ": ", e->offset);
				html(out, e->message);
			}
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
		for (i = 0; i < n; i++) {
			const struct vi_report_dest *d = &r->dests[order[i]];
			fprintf(out, "<details%s><summary>findings for ", is_problem(d) ? " open" : "");
			html(out, d->d->target);
			fputs("</summary>\n", out);
			html_findings(out, &d->d->findings);
			fputs("</details>\n", out);
		}
	} else {
		fputs("<p>No installed destination was checked.</p>\n", out);
	}
	fputs("<h2>Problems in the stream</h2>\n", out);
	if (!r->nproblems)
		fputs("<p>None.</p>\n", out);
	else {
		fputs("<ul>\n", out);
		for (i = 0; i < r->nproblems; i++) {
			const struct vi_report_problem *x = &r->problems[i];
			fputs("<li>", out);
			html(out, vi_report_sev_names[x->severity]);
			if (x->has_offset)
				fprintf(out, " at byte %" PRIu64, x->offset);
			fputs(": ", out);
			html(out, x->message);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("<h2>RAM</h2>\n<table><tr><th>RAMBlock</th><th>bytes</th><th>zero pages</th>"
	      "<th>pages with data</th><th>digest</th></tr>\n", out);
	for (i = 0; i < r->nblocks; i++) {
		const struct vi_report_block *x = &r->blocks[i];
		fputs("<tr><td class=mono>", out);
		html(out, x->name);
		fprintf(out, "</td><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64 "</td>"
			"<td class=n>%" PRIu64 "</td><td class=mono>%s</td></tr>\n",
			x->used_length, x->zero_pages, x->normal_pages, digest(x));
	}
	fputs("</table>\n<h2>Devices</h2>\n", out);
	for (i = 0; i < r->ndevices; i++) {
		const struct vi_report_device *x = &r->devices[i];
		const struct vi_node *sec = x->first;
		size_t rows = 0;
		fprintf(out, "<details><summary>0x%08" PRIx64 " %8" PRIu64 " bytes v%" PRIu64 " ",
			x->offset, x->bytes, x->version_id);
		html(out, x->section);
		fprintf(out, "[%" PRIu64 "]</summary>\n", x->instance_id);
		if (sec && sec->nkids) {
			fputs("<table><tr><th>offset</th><th>bytes</th><th>name</th><th>type</th>"
			      "<th>value</th></tr>\n", out);
			tree_rows(out, sec, 0, &rows);
			fputs("</table>\n", out);
			if (rows == MAX_TREE_ROWS)
				fprintf(out, "<p>(the first %d rows)</p>\n", MAX_TREE_ROWS);
		} else {
			fputs("<p>Not decoded.</p>\n", out);
		}
		fputs("</details>\n", out);
	}
	fputs("<p><small>vmstate-inspect report --format html. Byte buffers, strings and "
	      "arrays are shown by length only: the report holds no guest data.</small></p>\n"
	      "</body></html>\n", out);
	return ferror(out) ? -1 : 0;
}
