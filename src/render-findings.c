/* render-findings.c - one list of findings, four views. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include "config.h"
#include "render-findings.h"

int vi_report_format_parse(const char *s, enum vi_report_format *out)
{
	static const char *const names[] = { "text", "json", "sarif", "junit" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum vi_report_format)i;
			return 0;
		}
	return -1;
}

static void text(FILE *out, const struct vi_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct vi_result *x = &r->results[i];
		fprintf(out, "%s: %s (%s%s%s)\n", x->file, x->verdict, r->target,
			r->machine ? ", machine " : "", r->machine ? r->machine : "");
		for (size_t k = 0; k < x->findings.n; k++) {
			const struct vi_finding *f = &x->findings.v[k];
			if (r->no_offsets)
				fprintf(out, "  %-7s %-18s %s\n", vi_severity_name(f->severity),
					f->cls, f->message);
			else
				fprintf(out, "  %-7s %-18s byte %-9" PRIu64 " %s: %s\n",
					vi_severity_name(f->severity), f->cls, f->offset, f->path,
					f->message);
		}
	}
	if (r->n > 1)
		fprintf(out, "verdict: %s\n", r->verdict);
}

json_t *vi_finding_json(const struct vi_finding *f, const char *file, int no_offsets)
{
	json_t *o = json_object();

	if (file)
		json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "class", json_string(f->cls));
	json_object_set_new(o, "severity", json_string(vi_severity_name(f->severity)));
	json_object_set_new(o, "offset", no_offsets ? json_null() : json_integer((json_int_t)f->offset));
	json_object_set_new(o, "length", no_offsets ? json_null() : json_integer((json_int_t)f->length));
	json_object_set_new(o, "path", json_string(f->path));
	json_object_set_new(o, "message", json_string(f->message));
	return o;
}

static void json_view(FILE *out, const struct vi_report *r)
{
	json_t *o = json_object(), *files = json_array(), *all = json_array();

	json_object_set_new(o, "format_version", json_integer(1));
	json_object_set_new(o, "command", json_string(r->tool_command));
	json_object_set_new(o, "target", json_string(r->target));
	json_object_set_new(o, "qemu_version", r->qemu_version ? json_string(r->qemu_version) : json_null());
	json_object_set_new(o, "machine", r->machine ? json_string(r->machine) : json_null());
	json_object_set_new(o, "verdict", json_string(r->verdict));
	for (size_t i = 0; i < r->n; i++) {
		const struct vi_result *x = &r->results[i];
		json_t *fo = json_object(), *fl = json_array();
		const struct vi_finding *first = vi_findings_first_error(&x->findings);
		json_object_set_new(fo, "file", json_string(x->file));
		json_object_set_new(fo, "verdict", json_string(x->verdict));
		json_object_set_new(fo, "failure_class", first ? json_string(first->cls) : json_null());
		for (size_t k = 0; k < x->findings.n; k++) {
			json_array_append_new(fl, vi_finding_json(&x->findings.v[k], NULL, r->no_offsets));
			json_array_append_new(all, vi_finding_json(&x->findings.v[k], x->file, r->no_offsets));
		}
		json_object_set_new(fo, "findings", fl);
		json_array_append_new(files, fo);
	}
	json_object_set_new(o, "findings", all);
	json_object_set_new(o, "files", files);
	json_dumpf(o, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(o);
}

static void sarif(FILE *out, const struct vi_report *r)
{
	json_t *o = json_object(), *run = json_object(), *driver = json_object();
	json_t *rules = json_array(), *results = json_array();

	json_object_set_new(o, "$schema", json_string(
		"https://docs.oasis-open.org/sarif/sarif/v2.1.0/cos02/schemas/sarif-schema-2.1.0.json"));
	json_object_set_new(o, "version", json_string("2.1.0"));
	json_object_set_new(driver, "name", json_string(PACKAGE_NAME));
	json_object_set_new(driver, "version", json_string(PACKAGE_VERSION));
	for (const struct vi_class_info *c = vi_classes; c->name; c++)
		json_array_append_new(rules, json_pack("{s:s,s:{s:s}}", "id", c->name,
						      "shortDescription", "text", c->description));
	json_object_set_new(driver, "rules", rules);
	json_object_set_new(run, "tool", json_pack("{s:o}", "driver", driver));
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->results[i].findings.n; k++) {
			const struct vi_finding *f = &r->results[i].findings.v[k];
			json_t *phys = json_pack("{s:{s:s}}", "artifactLocation", "uri",
						 r->results[i].file);
			if (!r->no_offsets) {
				json_t *region = json_pack("{s:I}", "byteOffset", (json_int_t)f->offset);
				if (f->length)
					json_object_set_new(region, "byteLength",
							    json_integer((json_int_t)f->length));
				json_object_set_new(phys, "region", region);
			}
			json_array_append_new(results, json_pack(
				"{s:s,s:s,s:{s:s},s:[{s:o,s:[{s:s}]}]}",
				"ruleId", f->cls,
				"level", vi_severity_name(f->severity),
				"message", "text", f->message,
				"locations", "physicalLocation", phys,
				"logicalLocations", "fullyQualifiedName", f->path));
		}
	json_object_set_new(run, "results", results);
	json_object_set_new(o, "runs", json_pack("[o]", run));
	json_dumpf(o, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(o);
}

static void xml(FILE *out, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, out);
		}
}

/* One test suite per input, one test case per finding path (plus one for
 * the whole input), failures for error findings. */
static void junit(FILE *out, const struct vi_report *r)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", out);
	xml(out, PACKAGE_NAME " ");
	xml(out, r->tool_command);
	fputs("\">\n", out);
	for (size_t i = 0; i < r->n; i++) {
		const struct vi_result *x = &r->results[i];
		size_t errors = 0;
		for (size_t k = 0; k < x->findings.n; k++)
			errors += x->findings.v[k].severity == VI_SEV_ERROR;
		fputs("  <testsuite name=\"", out);
		xml(out, x->file);
		fprintf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", errors + 1, errors);
		fputs("    <testcase classname=\"", out);
		xml(out, x->file);
		fputs("\" name=\"loads into ", out);
		xml(out, r->target);
		fputs("\"/>\n", out);
		for (size_t k = 0; k < x->findings.n; k++) {
			const struct vi_finding *f = &x->findings.v[k];
			if (f->severity != VI_SEV_ERROR)
				continue;
			fputs("    <testcase classname=\"", out);
			xml(out, x->file);
			fputs("\" name=\"", out);
			xml(out, f->path);
			fputs("\">\n      <failure type=\"", out);
			xml(out, f->cls);
			fputs("\" message=\"", out);
			xml(out, f->message);
			if (r->no_offsets)
				fputs("\">", out);
			else
				fprintf(out, "\">byte %" PRIu64 ": ", f->offset);
			xml(out, f->message);
			fputs("</failure>\n    </testcase>\n", out);
		}
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
}

void vi_report_render(FILE *out, const struct vi_report *r, enum vi_report_format f)
{
	switch (f) {
	case VI_REP_JSON: json_view(out, r); break;
	case VI_REP_SARIF: sarif(out, r); break;
	case VI_REP_JUNIT: junit(out, r); break;
	default: text(out, r); break;
	}
}

int vi_report_write(const char *path, const struct vi_report *r, enum vi_report_format f)
{
	FILE *out = path ? fopen(path, "w") : stdout;

	if (!out) {
		fprintf(stderr, "vmstate-inspect: %s: cannot write: %s\n", path, strerror(errno));
		return -1;
	}
	vi_report_render(out, r, f);
	return out == stdout ? fflush(out) : fclose(out);
}
