/* render-findings.c - one list of results, one table of views. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "vi-escape.h"
#include "render-findings.h"
#include "render-jw.h"

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

static int shown(const struct vi_report *r, const struct vi_finding *f)
{
	return f->severity >= r->min_severity;
}

void vi_report_finish(struct vi_report *r, const char *accept, const char *reject)
{
	int bad = 0, rejected = 0;

	for (size_t i = 0; i < r->n; i++) {
		bad |= r->results[i].verdict == NULL;
		rejected |= r->results[i].verdict && strcmp(r->results[i].verdict, reject) == 0;
	}
	r->verdict = bad ? NULL : rejected ? reject : accept;
	if (r->exit_code < VI_EXIT_USAGE)
		r->exit_code = bad ? VI_EXIT_INPUT : rejected ? VI_EXIT_FINDINGS : VI_EXIT_OK;
}

/* What the offsets of a result count, and where the stream lies. */
static int file_offset(const struct vi_result *x, uint64_t off, uint64_t *file)
{
	return x->found && vi_input_file_offset(&x->in, off, file);
}

/* ---- text ---------------------------------------------------------------- */

static void text_head(FILE *out, const struct vi_result *x)
{
	fprintf(out, "%s: %s (%s%s%s)", vi_tx(x->file), x->verdict ? x->verdict : "unreadable",
		vi_tx(x->target), x->machine ? ", machine " : "", x->machine ? vi_tx(x->machine) : "");
	if (!x->verdict)
		fprintf(out, ": %s", x->error.msg);
	fputc('\n', out);
}

static int text(FILE *out, const void *model)
{
	const struct vi_report *r = model;

	for (size_t i = 0; i < r->n; i++) {
		const struct vi_result *x = &r->results[i];
		text_head(out, x);
		for (size_t k = 0; !r->quiet && k < x->findings.n; k++) {
			const struct vi_finding *f = &x->findings.v[k];
			if (!shown(r, f))
				continue;
			if (r->no_offsets)
				fprintf(out, "  %-7s %-18s %s", vi_severity_name(f->severity),
					vi_class_name(f->cls), vi_tx(f->message));
			else
				fprintf(out, "  %-7s %-18s byte %-9" PRIu64 " %s: %s",
					vi_severity_name(f->severity), vi_class_name(f->cls), f->offset,
					vi_tx(f->path), vi_tx(f->message));
			if (f->suppressed)
				fprintf(out, " [suppressed: %s]", vi_tx(f->suppressed));
			fputc('\n', out);
		}
	}
	for (size_t k = 0; !r->quiet && k < r->notes.n; k++)
		if (shown(r, &r->notes.v[k]))
			fprintf(out, "%s: %s\n", vi_severity_name(r->notes.v[k].severity),
				vi_tx(r->notes.v[k].message));
	if (r->n > 1)
		fprintf(out, "verdict: %s\n", r->verdict ? r->verdict
			: "none (an input could not be judged)");
	vi_tx_release();
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

json_t *vi_finding_json(const struct vi_finding *f, const char *file, int no_offsets)
{
	json_t *o = json_object();

	if (file)
		json_object_set_new(o, "file", vi_jstr(file));
	json_object_set_new(o, "class", json_string(vi_class_name(f->cls)));
	json_object_set_new(o, "severity", json_string(vi_severity_name(f->severity)));
	json_object_set_new(o, "offset", no_offsets ? json_null() : json_integer((json_int_t)f->offset));
	json_object_set_new(o, "length", no_offsets ? json_null() : json_integer((json_int_t)f->length));
	json_object_set_new(o, "path", vi_jstr(f->path));
	json_object_set_new(o, "message", vi_jstr(f->message));
	return o;
}

void vi_finding_write(struct vi_jw *w, const struct vi_finding *f, const char *file,
		      int no_offsets)
{
	vi_jw_obj(w);
	if (file)
		vi_jw_kstr(w, "file", file);
	vi_jw_kstr(w, "class", vi_class_name(f->cls));
	vi_jw_kstr(w, "severity", vi_severity_name(f->severity));
	if (no_offsets) {
		vi_jw_knull(w, "offset");
		vi_jw_knull(w, "length");
	} else {
		vi_jw_key(w, "offset");
		vi_jw_int(w, (int64_t)f->offset);
		vi_jw_key(w, "length");
		vi_jw_int(w, (int64_t)f->length);
	}
	if (f->path)	/* as json_object_set_new() of vi_jstr(NULL): left out */
		vi_jw_kstr(w, "path", f->path);
	if (f->message)
		vi_jw_kstr(w, "message", f->message);
	vi_jw_end(w);
}

json_t *vi_error_json(const struct vi_error *e, const char *file, int found,
		      const struct vi_input *in)
{
	json_t *o = json_object();
	int in_stream = found && in;
	uint64_t fo;

	if (file)
		json_object_set_new(o, "file", vi_jstr(file));
	json_object_set_new(o, "class", json_string(in_stream ? vi_class_name(vi_error_cls(e))
							     : "unreadable"));
	json_object_set_new(o, "message", vi_jstr(e->msg));
	json_object_set_new(o, "offset", e->has_offset ? json_integer((json_int_t)e->offset)
							 : json_null());
	json_object_set_new(o, "offset_of", !e->has_offset ? json_null()
			    : json_string(in_stream ? "stream" : "file"));
	json_object_set_new(o, "file_offset", !e->has_offset ? json_null()
			    : !in_stream ? json_integer((json_int_t)e->offset)
			    : vi_input_file_offset(in, e->offset, &fo)
			    ? json_integer((json_int_t)fo) : json_null());
	json_object_set_new(o, "exit_code", json_integer(e->exit_code ? e->exit_code : VI_EXIT_INPUT));
	return o;
}

static json_t *stream_json(const struct vi_result *x)
{
	const struct vi_input *in = x->found ? &x->in : NULL;
	json_t *o, *fl;
	uint64_t fo;

	if (!in)
		return json_null();
	o = json_object();
	fl = json_array();
	json_object_set_new(o, "container", json_string(in->container ? in->container : "raw"));
	for (int i = 0; i < in->nfilters; i++)
		json_array_append_new(fl, json_string(in->filters[i]));
	json_object_set_new(o, "filters", fl);
	json_object_set_new(o, "file_offset", vi_input_file_offset(in, 0, &fo)
			    ? json_integer((json_int_t)fo) : json_null());
	json_object_set_new(o, "size", json_integer((json_int_t)in->size));
	return o;
}

/* check --baseline: every finding says whether it was suppressed, and by
 * which entry. */
static json_t *suppression(const struct vi_report *r, const struct vi_finding *f, json_t *o)
{
	if (!r->baseline)
		return o;
	json_object_set_new(o, "suppressed", json_boolean(f->suppressed != NULL));
	json_object_set_new(o, "justification", f->suppressed
			    ? vi_jstr(f->suppressed) : json_null());
	return o;
}

static int json_view(FILE *out, const void *model)
{
	const struct vi_report *r = model;
	json_t *o = json_object(), *files = json_array(), *all = json_array();
	json_t *targets = json_array(), *notes = json_array(), *first_err = NULL;
	int one_target = 1;

	for (size_t i = 0; i < r->n; i++) {
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(r->results[k].target, r->results[i].target);
		if (!seen)
			json_array_append_new(targets, json_pack("{s:o,s:o}",
				"target", vi_jstr(r->results[i].target), "qemu_version",
				r->results[i].qemu_version ? vi_jstr(r->results[i].qemu_version)
							   : json_null()));
	}
	one_target = json_array_size(targets) == 1;
	json_object_set_new(o, "format_version", json_integer(1));
	json_object_set_new(o, "command", json_string(r->tool_command));
	json_object_set_new(o, "target", one_target ? json_incref(json_object_get(
		json_array_get(targets, 0), "target")) : json_null());
	json_object_set_new(o, "qemu_version", one_target ? json_incref(json_object_get(
		json_array_get(targets, 0), "qemu_version")) : json_null());
	json_object_set_new(o, "machine", r->machine ? vi_jstr(r->machine) : json_null());
	json_object_set_new(o, "targets", targets);
	if (r->verdict)
		json_object_set_new(o, "verdict", json_string(r->verdict));
	if (r->baseline)
		json_object_set_new(o, "baseline", vi_jstr(r->baseline));
	for (size_t i = 0; i < r->n; i++) {
		const struct vi_result *x = &r->results[i];
		json_t *fo = json_object(), *fl = json_array();
		const struct vi_finding *first = vi_findings_first_error(&x->findings);
		json_object_set_new(fo, "file", vi_jstr(x->file));
		json_object_set_new(fo, "target", vi_jstr(x->target));
		json_object_set_new(fo, "qemu_version", x->qemu_version ? vi_jstr(x->qemu_version)
									: json_null());
		json_object_set_new(fo, "machine", x->machine ? vi_jstr(x->machine) : json_null());
		if (!r->no_offsets)
			json_object_set_new(fo, "stream", stream_json(x));
		if (x->verdict) {
			json_object_set_new(fo, "verdict", json_string(x->verdict));
		} else {
			json_t *e = vi_error_json(&x->error, x->file, x->found, &x->in);
			if (!first_err)
				first_err = json_incref(e);
			json_object_set_new(fo, "error", e);
		}
		json_object_set_new(fo, "failure_class", first ? json_string(vi_class_name(first->cls))
							       : json_null());
		for (size_t k = 0; k < x->findings.n; k++) {
			json_t *f;
			if (!shown(r, &x->findings.v[k]))
				continue;
			json_array_append_new(fl, suppression(r, &x->findings.v[k],
				vi_finding_json(&x->findings.v[k], NULL, r->no_offsets)));
			f = suppression(r, &x->findings.v[k],
					vi_finding_json(&x->findings.v[k], x->file, r->no_offsets));
			json_object_set_new(f, "target", vi_jstr(x->target));
			json_array_append_new(all, f);
		}
		json_object_set_new(fo, "findings", fl);
		json_array_append_new(files, fo);
	}
	for (size_t k = 0; k < r->notes.n; k++)
		if (shown(r, &r->notes.v[k]))
			json_array_append_new(notes, vi_finding_json(&r->notes.v[k], NULL, 1));
	if (first_err)
		json_object_set_new(o, "error", first_err);
	json_object_set_new(o, "notes", notes);
	json_object_set_new(o, "findings", all);
	json_object_set_new(o, "files", files);
	vi_jw_dump(out, o, 1, 0);
	json_decref(o);
	return 0;
}

/* ---- SARIF 2.1.0 ---------------------------------------------------------- */

/* The artifacts: each input file, and the stream inside it when the stream
 * is not the file byte for byte (a container, compression).  Returns the
 * index results of x point at. */
static int sarif_artifact(json_t *artifacts, const struct vi_report *r, size_t i)
{
	const struct vi_result *x = &r->results[i];
	const char *path = x->artifact ? x->artifact : x->file;
	char *uri = vi_file_uri(path);
	json_t *a;
	size_t idx = json_array_size(artifacts);
	const struct vi_input *in = x->found ? &x->in : NULL;
	uint64_t fo;

	json_array_append_new(artifacts, json_pack("{s:{s:s},s:[s]}", "location", "uri", uri,
						   "roles", "analysisTarget"));
	free(uri);
	if (!in || (strcmp(in->container, "raw") == 0 && in->base == 0 && !in->nfilters))
		return (int)idx;
	a = json_pack("{s:I,s:{s:s},s:I}", "parentIndex", (json_int_t)idx, "description", "text",
		      "the QEMU migration stream inside the file: byte offsets in results count its bytes",
		      "length", (json_int_t)in->size);
	if (vi_input_file_offset(in, 0, &fo))
		json_object_set_new(a, "offset", json_integer((json_int_t)fo));
	json_object_set_new(a, "properties", json_pack("{s:s,s:i}", "container", in->container,
						       "compressionLayers", in->nfilters));
	json_array_append_new(artifacts, a);
	return (int)idx + 1;
}

static json_t *sarif_location(const struct vi_report *r, size_t i, int art, int has_offset,
			      uint64_t off, uint64_t len)
{
	const struct vi_result *x = &r->results[i];
	char *uri = vi_file_uri(x->artifact ? x->artifact : x->file);
	json_t *phys = json_pack("{s:{s:s,s:i}}", "artifactLocation", "uri", uri, "index", art);
	uint64_t fo;

	free(uri);
	if (has_offset) {
		json_t *region = json_pack("{s:I}", "byteOffset", (json_int_t)off);
		if (len)
			json_object_set_new(region, "byteLength", json_integer((json_int_t)len));
		json_object_set_new(phys, "region", region);
		if (file_offset(x, off, &fo))
			json_object_set_new(phys, "properties", json_pack("{s:I}", "fileOffset",
									   (json_int_t)fo));
	}
	return json_pack("{s:o}", "physicalLocation", phys);
}

static int sarif(FILE *out, const void *model)
{
	const struct vi_report *r = model;
	json_t *o = json_object(), *run = json_object(), *driver = json_object();
	json_t *rules = json_array(), *results = json_array(), *artifacts = json_array();
	json_t *notifs = json_array(), *inv;
	int art = 0;

	json_object_set_new(o, "$schema", json_string(SARIF_SCHEMA));
	json_object_set_new(o, "version", json_string("2.1.0"));
	json_object_set_new(driver, "name", json_string(PACKAGE_NAME));
	json_object_set_new(driver, "version", json_string(PACKAGE_VERSION));
	for (int c = 0; c < VI_C_COUNT; c++)
		json_array_append_new(rules, json_pack("{s:s,s:s,s:{s:s},s:{s:s}}",
			"id", vi_classes[c].name, "name", vi_classes[c].name,
			"shortDescription", "text", vi_classes[c].doc,
			"defaultConfiguration", "level", vi_severity_name(vi_classes[c].severity)));
	json_object_set_new(driver, "rules", rules);
	json_object_set_new(run, "tool", json_pack("{s:o}", "driver", driver));
	for (size_t i = 0; i < r->n; i++) {
		const struct vi_result *x = &r->results[i];
		if (i == 0 || x->input != r->results[i - 1].input)
			art = sarif_artifact(artifacts, r, i);
		if (!x->verdict) {
			int in_stream = x->found;
			enum vi_class c = in_stream ? vi_error_cls(&x->error) : VI_C_UNREADABLE;
			json_t *n = json_pack("{s:s,s:{s:s},s:{s:s,s:i}}", "level", "error",
					      "message", "text", x->error.msg,
					      "associatedRule", "id", vi_class_name(c), "index", (int)c);
			json_object_set_new(n, "locations", json_pack("[o]", sarif_location(r, i, art,
				x->error.has_offset, x->error.offset, 0)));
			json_object_set_new(n, "properties", json_pack("{s:o}", "target", vi_jstr(x->target)));
			json_array_append_new(notifs, n);
			continue;
		}
		for (size_t k = 0; k < x->findings.n; k++) {
			const struct vi_finding *f = &x->findings.v[k];
			json_t *res;
			if (!shown(r, f))
				continue;
			res = json_pack("{s:s,s:i,s:s,s:{s:o}}", "ruleId", vi_class_name(f->cls),
					"ruleIndex", (int)f->cls, "level", vi_severity_name(f->severity),
					"message", "text", vi_jstr(f->message));
			json_object_set_new(res, "locations", json_pack("[o]", sarif_location(r, i, art,
				!r->no_offsets, f->offset, f->length)));
			json_object_set_new(json_array_get(json_object_get(res, "locations"), 0),
					    "logicalLocations", json_pack("[{s:o}]",
					    "fullyQualifiedName", vi_jstr(f->path)));
			json_object_set_new(res, "properties", json_pack("{s:o,s:o}", "target",
					    vi_jstr(x->target), "file", vi_jstr(x->file)));
			if (f->suppressed)	/* SARIF 2.1.0 3.27.23, 3.35 */
				json_object_set_new(res, "suppressions", json_pack("[{s:s,s:s,s:o}]",
					"kind", "external", "status", "accepted",
					"justification", vi_jstr(f->suppressed)));
			else if (r->baseline)	/* looked for, none: an empty array */
				json_object_set_new(res, "suppressions", json_array());
			json_array_append_new(results, res);
		}
	}
	for (size_t k = 0; k < r->notes.n; k++)
		if (shown(r, &r->notes.v[k]))
			json_array_append_new(notifs, json_pack("{s:s,s:{s:o}}", "level", "note",
				"message", "text", vi_jstr(r->notes.v[k].message)));
	inv = json_pack("{s:b,s:i}", "executionSuccessful", r->verdict != NULL,
			"exitCode", r->exit_code);
	json_object_set_new(inv, "toolExecutionNotifications", notifs);
	json_object_set_new(run, "invocations", json_pack("[o]", inv));
	json_object_set_new(run, "artifacts", artifacts);
	json_object_set_new(run, "results", results);
	json_object_set_new(o, "runs", json_pack("[o]", run));
	vi_jw_dump(out, o, 1, 0);
	json_decref(o);
	return 0;
}

/* ---- JUnit XML ------------------------------------------------------------ */

static void junit_finding(FILE *out, const struct vi_report *r, const struct vi_finding *f)
{
	fprintf(out, "%s %s ", vi_severity_name(f->severity), vi_class_name(f->cls));
	if (!r->no_offsets)
		fprintf(out, "byte %" PRIu64 " ", f->offset);
	vi_put_xml(out, f->path, 0);
	fputs(": ", out);
	vi_put_xml(out, f->message, 0);
	if (f->suppressed) {
		fputs(" [suppressed: ", out);
		vi_put_xml(out, f->suppressed, 0);
		fputc(']', out);
	}
	fputc('\n', out);
}

/* One test suite per input, one test case per (input, destination): a
 * failure (every finding in it) on reject, an error when the input could
 * not be judged.  The counts depend only on the command line. */
static int junit(FILE *out, const void *model)
{
	const struct vi_report *r = model;
	size_t tests = r->n, failures = 0, errors = 0;

	for (size_t i = 0; i < r->n; i++) {
		errors += !r->results[i].verdict;
		failures += r->results[i].verdict && vi_findings_first_error(&r->results[i].findings);
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"%s %s\" "
		"tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", PACKAGE_NAME, r->tool_command,
		tests, failures, errors);
	for (size_t i = 0; i < r->n; ) {
		size_t end = i, t = 0, fl = 0, er = 0;
		while (end < r->n && r->results[end].input == r->results[i].input)
			end++;
		for (size_t k = i; k < end; k++) {
			t++;
			er += !r->results[k].verdict;
			fl += r->results[k].verdict && vi_findings_first_error(&r->results[k].findings);
		}
		fputs("  <testsuite name=\"", out);
		vi_put_xml(out, r->results[i].file, 1);
		fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\">\n",
			t, fl, er);
		for (; i < end; i++) {
			const struct vi_result *x = &r->results[i];
			const struct vi_finding *first = vi_findings_first_error(&x->findings);
			fputs("    <testcase classname=\"", out);
			vi_put_xml(out, x->file, 1);
			fputs("\" name=\"", out);
			vi_put_xml(out, r->no_offsets ? "migrates " : "loads into ", 1);
			vi_put_xml(out, x->target, 1);
			if (x->machine) {
				fputs(" (machine ", out);
				vi_put_xml(out, x->machine, 1);
				fputc(')', out);
			}
			fputs("\">\n", out);
			if (!x->verdict) {
				fputs("      <error type=\"", out);
				vi_put_xml(out, vi_class_name(x->found
					   ? vi_error_cls(&x->error) : VI_C_UNREADABLE), 1);
				fputs("\" message=\"", out);
				vi_put_xml(out, x->error.msg, 1);
				fputs("\">", out);
				vi_put_xml(out, x->error.msg, 0);
				fputs("</error>\n", out);
			} else if (first) {
				fputs("      <failure type=\"", out);
				vi_put_xml(out, vi_class_name(first->cls), 1);
				fputs("\" message=\"", out);
				vi_put_xml(out, first->message, 1);
				fputs("\">", out);
				for (size_t k = 0; k < x->findings.n; k++)
					if (shown(r, &x->findings.v[k]))
						junit_finding(out, r, &x->findings.v[k]);
				fputs("</failure>\n", out);
			} else if (x->findings.n) {
				int any = 0;
				for (size_t k = 0; k < x->findings.n; k++)
					any |= shown(r, &x->findings.v[k]);
				if (any) {
					fputs("      <system-out>", out);
					for (size_t k = 0; k < x->findings.n; k++)
						if (shown(r, &x->findings.v[k]))
							junit_finding(out, r, &x->findings.v[k]);
					fputs("</system-out>\n", out);
				}
			}
			fputs("    </testcase>\n", out);
		}
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
	return 0;
}

const struct vi_outfmt vi_report_formats[] = {
	{ "text", text },
	{ "json", json_view },
	{ "sarif", sarif },
	{ "junit", junit },
	{ NULL, NULL },
};
