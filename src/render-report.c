/* render-report.c - the markdown and HTML views of a `report` document
 * (report-triage.c), for pasting into an issue and for reading in a browser.
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
#include "render-report.h"

#define MAX_TREE_ROWS 4000    /* per device in the HTML tree */

static const char *s_(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static uint64_t u_(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* ---- escaping ---------------------------------------------------------------- */

/* Markdown inside a table cell or a line: HTML specials as entities, every
 * markdown punctuation backslash-escaped, control bytes as \xNN, no line
 * breaks. */
static void md(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
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
}

static void html(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
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
}

/* ---- shared -------------------------------------------------------------------- */

static int is_problem(json_t *d)
{
	const char *v = s_(d, "verdict");
	return !v || strcmp(v, "accept") || u_(d, "warnings");
}

/* Destinations, problems (reject, then warnings) first. */
static size_t dest_order(json_t *dests, size_t *order)
{
	size_t n = 0, i;
	json_t *d;

	for (int pass = 0; pass < 3; pass++)
		json_array_foreach(dests, i, d) {
			int reject = s_(d, "verdict") && !strcmp(s_(d, "verdict"), "reject");
			int cls = reject ? 0 : is_problem(d) ? 1 : 2;
			if (cls == pass)
				order[n++] = i;
		}
	return n;
}

/* "qemu-10.0/x86_64 or qemu-7.2/x86_64": the releases the stream fits. */
static const char *source_text(json_t *src)
{
	static char buf[512];
	json_t *fit = json_object_get(json_object_get(src, "release"), "consistent_with"), *x;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(fit, i, x)
		if (json_is_string(x) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " or " : "",
					      json_string_value(x));
	return buf[0] ? buf : NULL;
}

/* ---- markdown -------------------------------------------------------------- */

/* A document with nothing to report: only its error. */
static int error_only(json_t *doc)
{
	return !json_object_get(doc, "destinations") && json_is_object(json_object_get(doc, "error"));
}

int vi_report_markdown(FILE *out, const void *model)
{
	json_t *doc = (json_t *)model;
	json_t *in = json_object_get(doc, "input"), *src = json_object_get(doc, "source");
	json_t *dests = json_object_get(doc, "destinations"), *probs = json_object_get(doc, "problems");
	json_t *devs = json_object_get(doc, "devices"), *x;
	json_t *blocks = json_object_get(json_object_get(json_object_get(doc, "bytes"), "ram"), "blocks");
	size_t order[256], n, i;

	if (error_only(doc)) {
		fputs("### vmstate-inspect report: ", out);
		md(out, s_(doc, "file"));
		fputs("\n\n**Not a stream that can be reported on:** ", out);
		md(out, s_(json_object_get(doc, "error"), "message"));
		fputc('\n', out);
		return ferror(out) ? -1 : 0;
	}
	fputs("### vmstate-inspect report: ", out);
	md(out, s_(in, "file"));
	fprintf(out, "\n\n**Machine type** ");
	md(out, s_(src, "machine") ? s_(src, "machine") : "(none in the stream)");
	fprintf(out, " · **stream** %" PRIu64 " bytes", u_(in, "stream_size"));
	if (source_text(src)) {
		fputs(" · **written by** ", out);
		md(out, source_text(src));
	}
	fputs("\n\n", out);
	if (json_array_size(dests)) {
		fputs("| destination | machine type | verdict | errors | warnings | first error |\n"
		      "|---|---|---|---:|---:|---|\n", out);
		n = dest_order(dests, order);
		for (i = 0; i < n && i < 256; i++) {
			json_t *d = json_array_get(dests, order[i]), *e = json_object_get(d, "first_error");
			const char *v = s_(d, "verdict");
			fputs("| ", out);
			md(out, s_(d, "target"));
			fputs(" | ", out);
			md(out, s_(d, "machine") ? s_(d, "machine") : "-");
			fprintf(out, " | %s%s%s | %" PRIu64 " | %" PRIu64 " | ",
				v && !strcmp(v, "reject") ? "**" : "", v ? v : "?",
				v && !strcmp(v, "reject") ? "**" : "", u_(d, "errors"), u_(d, "warnings"));
			if (json_is_object(e)) {
				md(out, s_(e, "class"));
				fprintf(out, " at byte %" PRIu64 ": ", u_(e, "offset"));
				md(out, s_(e, "message"));
			}
			fputs(" |\n", out);
		}
	} else {
		fputs("No installed destination was checked (see `--target`).\n", out);
	}
	fputs("\n**Problems in the stream:** ", out);
	if (!json_array_size(probs))
		fputs("none\n", out);
	else {
		fputc('\n', out);
		json_array_foreach(probs, i, x) {
			fputs("- ", out);
			md(out, s_(x, "severity"));
			if (json_is_integer(json_object_get(x, "offset")))
				fprintf(out, " at byte %" PRIu64, u_(x, "offset"));
			fputs(": ", out);
			md(out, s_(x, "message"));
			fputc('\n', out);
		}
	}
	fprintf(out, "\n<details><summary>Devices: %zu section(s), RAM: %zu block(s)</summary>\n\n",
		json_array_size(devs), json_array_size(blocks));
	fputs("| offset | bytes | version | section[instance] |\n|---:|---:|---:|---|\n", out);
	json_array_foreach(devs, i, x) {
		fprintf(out, "| 0x%08" PRIx64 " | %" PRIu64 " | %" PRIu64 " | ", u_(x, "offset"),
			u_(x, "bytes"), u_(x, "version_id"));
		md(out, s_(x, "section"));
		fprintf(out, "\\[%" PRIu64 "\\] |\n", u_(x, "instance_id"));
	}
	fputs("\n| RAMBlock | bytes | zero pages | pages with data | digest |\n"
	      "|---|---:|---:|---:|---|\n", out);
	json_array_foreach(blocks, i, x) {
		fputs("| ", out);
		md(out, s_(x, "name"));
		fprintf(out, " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %s |\n",
			u_(x, "used_length"), u_(x, "zero_pages"), u_(x, "normal_pages"),
			s_(x, "xxh3_128") ? s_(x, "xxh3_128") : "-");
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
		if (k->kind == VI_N_FOOTER || k->kind == VI_N_WARNING)
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
				fprintf(out, "(%zu item(s))", k->nkids);
		}
		fputs("</td></tr>\n", out);
		if (k->vt != VI_V_BYTES && !(k->nkids && k->kids[0]->nkids == 0 &&
					     k->kids[0]->vt != VI_V_NONE && vi_node_attr(k, "array_len")))
			tree_rows(out, k, depth + 1, rows);
	}
}

static const struct vi_node *device_node(const struct vi_node *root, uint64_t offset)
{
	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == VI_N_SECTION && root->kids[i]->offset == offset)
			return root->kids[i];
	return NULL;
}

static void html_findings(FILE *out, json_t *fl)
{
	json_t *f;
	size_t i;

	if (!json_array_size(fl)) {
		fputs("<p>No findings.</p>\n", out);
		return;
	}
	fputs("<table><tr><th>severity</th><th>class</th><th>byte</th><th>path</th>"
	      "<th>message</th></tr>\n", out);
	json_array_foreach(fl, i, f) {
		const char *sev = s_(f, "severity");
		fprintf(out, "<tr class=\"%s\"><td>", sev && !strcmp(sev, "error") ? "reject"
			: sev && !strcmp(sev, "warning") ? "warn" : "");
		html(out, sev);
		fputs("</td><td>", out);
		html(out, s_(f, "class"));
		fprintf(out, "</td><td class=n>%" PRIu64 "</td><td class=mono>", u_(f, "offset"));
		html(out, s_(f, "path"));
		fputs("</td><td>", out);
		html(out, s_(f, "message"));
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static const struct vi_node *html_tree;

void vi_report_set_tree(const struct vi_node *root)
{
	html_tree = root;
}

int vi_report_html(FILE *out, const void *model)
{
	json_t *doc = (json_t *)model;
	const struct vi_node *root = html_tree;
	json_t *in = json_object_get(doc, "input"), *src = json_object_get(doc, "source");
	json_t *dests = json_object_get(doc, "destinations"), *probs = json_object_get(doc, "problems");
	json_t *devs = json_object_get(doc, "devices"), *x;
	json_t *blocks = json_object_get(json_object_get(json_object_get(doc, "bytes"), "ram"), "blocks");
	size_t order[256], n, i;

	if (error_only(doc))
		in = doc;	/* its "file" */
	fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>vmstate-inspect report: ", out);
	html(out, s_(in, "file"));
	fprintf(out, "</title>\n<style>%s</style></head><body>\n<h1>vmstate-inspect report: ", css);
	html(out, s_(in, "file"));
	if (error_only(doc)) {
		fputs("</h1>\n<p>Not a stream that can be reported on: ", out);
		html(out, s_(json_object_get(doc, "error"), "message"));
		fputs("</p>\n</body></html>\n", out);
		return ferror(out) ? -1 : 0;
	}
	fputs("</h1>\n<h2>Summary</h2>\n<dl><dt>machine type</dt><dd>", out);
	html(out, s_(src, "machine") ? s_(src, "machine") : "(none in the stream)");
	fprintf(out, "</dd><dt>stream</dt><dd>%" PRIu64 " bytes (%s)</dd><dt>written by</dt><dd>",
		u_(in, "stream_size"), s_(in, "container") ? s_(in, "container") : "?");
	html(out, source_text(src) ? source_text(src) : "cannot tell");
	fprintf(out, "</dd><dt>devices</dt><dd>%zu section(s)</dd><dt>RAM</dt><dd>%zu block(s)"
		"</dd><dt>problems in the stream</dt><dd>%zu</dd></dl>\n",
		json_array_size(devs), json_array_size(blocks), json_array_size(probs));
	fputs("<h2>Destinations</h2>\n", out);
	if (json_array_size(dests)) {
		fputs("<table><tr><th>destination</th><th>machine type</th><th>verdict</th>"
		      "<th>errors</th><th>warnings</th><th>first error</th></tr>\n", out);
		n = dest_order(dests, order);
		for (i = 0; i < n; i++) {
			json_t *d = json_array_get(dests, order[i]), *e = json_object_get(d, "first_error");
			const char *v = s_(d, "verdict");
			fputs("<tr><td>", out);
			html(out, s_(d, "target"));
			fputs("</td><td>", out);
			html(out, s_(d, "machine") ? s_(d, "machine") : "-");
			fprintf(out, "</td><td class=\"%s\">", v && !strcmp(v, "reject") ? "reject"
				: is_problem(d) ? "warn" : "accept");
			html(out, v);
			fprintf(out, "</td><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64 "</td><td>",
				u_(d, "errors"), u_(d, "warnings"));
			if (json_is_object(e)) {
				html(out, s_(e, "class"));
				fprintf(out, " at byte %" PRIu64 ": ", u_(e, "offset"));
				html(out, s_(e, "message"));
			}
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
		for (i = 0; i < n; i++) {
			json_t *d = json_array_get(dests, order[i]);
			fprintf(out, "<details%s><summary>findings for ", is_problem(d) ? " open" : "");
			html(out, s_(d, "target"));
			fputs("</summary>\n", out);
			html_findings(out, json_object_get(d, "findings"));
			fputs("</details>\n", out);
		}
	} else {
		fputs("<p>No installed destination was checked.</p>\n", out);
	}
	fputs("<h2>Problems in the stream</h2>\n", out);
	if (!json_array_size(probs))
		fputs("<p>None.</p>\n", out);
	else {
		fputs("<ul>\n", out);
		json_array_foreach(probs, i, x) {
			fputs("<li>", out);
			html(out, s_(x, "severity"));
			if (json_is_integer(json_object_get(x, "offset")))
				fprintf(out, " at byte %" PRIu64, u_(x, "offset"));
			fputs(": ", out);
			html(out, s_(x, "message"));
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("<h2>RAM</h2>\n<table><tr><th>RAMBlock</th><th>bytes</th><th>zero pages</th>"
	      "<th>pages with data</th><th>digest</th></tr>\n", out);
	json_array_foreach(blocks, i, x) {
		fputs("<tr><td class=mono>", out);
		html(out, s_(x, "name"));
		fprintf(out, "</td><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64 "</td>"
			"<td class=n>%" PRIu64 "</td><td class=mono>%s</td></tr>\n",
			u_(x, "used_length"), u_(x, "zero_pages"), u_(x, "normal_pages"),
			s_(x, "xxh3_128") ? s_(x, "xxh3_128") : "-");
	}
	fputs("</table>\n<h2>Devices</h2>\n", out);
	json_array_foreach(devs, i, x) {
		const struct vi_node *sec = device_node(root, u_(x, "offset"));
		size_t rows = 0;
		fprintf(out, "<details><summary>0x%08" PRIx64 " %8" PRIu64 " bytes v%" PRIu64 " ",
			u_(x, "offset"), u_(x, "bytes"), u_(x, "version_id"));
		html(out, s_(x, "section"));
		fprintf(out, "[%" PRIu64 "]</summary>\n", u_(x, "instance_id"));
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
