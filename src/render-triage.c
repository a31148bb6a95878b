/* render-triage.c - the text view of a `report` document (report-triage.c). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "vi-escape.h"
#include "render-report.h"
#include "report-triage.h"

/* A string member escaped for a terminal (vi_tx), or NULL. */
static const char *s_(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? vi_tx(json_string_value(v)) : NULL;
}

/* A string of a list, escaped likewise. */
static const char *sv(json_t *v)
{
	return vi_tx(json_string_value(v));
}

static uint64_t u_(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* What the libvirt header or the qcow2 snapshot says (render-input.c). */
static void container_lines(FILE *out, json_t *in, json_t *src)
{
	json_t *lv = json_object_get(in, "libvirt"), *sn = json_object_get(in, "snapshot");
	json_t *d = json_object_get(lv, "domain");

	if (lv) {
		char name[VI_ESC_NAME], uuid[VI_ESC_NAME], machine[VI_ESC_NAME];
		fprintf(out, "  domain       %s, uuid %s; guest %s when saved (libvirt save "
			"image v%" PRIu64 ", %s)\n",
			vi_esc(name, sizeof(name), s_(d, "name") ? s_(d, "name") : "?"),
			vi_esc(uuid, sizeof(uuid), s_(d, "uuid") ? s_(d, "uuid") : "?"),
			json_is_true(json_object_get(lv, "was_running")) ? "running" : "paused",
			u_(lv, "version"), s_(lv, "format"));
		fprintf(out, "  domain XML   machine %s%s\n",
			vi_esc(machine, sizeof(machine),
			       s_(d, "machine") ? s_(d, "machine") : "? (not in the XML)"),
			!s_(d, "machine") || !s_(src, "machine") ? ""
			: strcmp(s_(d, "machine"), s_(src, "machine")) == 0
			? " (the stream's too)" : " (NOT the stream's machine type)");
	}
	if (sn) {
		char name[VI_ESC_NAME], id[VI_ESC_NAME];
		fprintf(out, "  snapshot     '%s' (id %s), taken %s, VM state %" PRIu64 " bytes\n",
			vi_esc(name, sizeof(name), s_(sn, "name")),
			vi_esc(id, sizeof(id), s_(sn, "id")), s_(sn, "date"),
			u_(sn, "vm_state_size"));
	}
}

static void input_line(FILE *out, json_t *in)
{
	json_t *f = json_object_get(in, "filters"), *x;
	size_t i;

	fprintf(out, "  input        %" PRIu64 " bytes", u_(in, "file_size"));
	json_array_foreach(f, i, x)
		fprintf(out, "%s%s", i ? " + " : ", compressed: ", sv(x));
	fprintf(out, "; %s, QEMU migration stream of %" PRIu64 " bytes at offset %" PRIu64,
		s_(in, "container"), u_(in, "stream_size"), u_(in, "stream_offset"));
	if (json_object_get(in, "qevm_version"))
		fprintf(out, " (QEVM version %" PRIu64 ")", u_(in, "qevm_version"));
	fprintf(out, "\n");
	if (s_(in, "detail"))
		fprintf(out, "               %s\n", s_(in, "detail"));
}

/* "7.2.22" out of "QEMU emulator version 7.2.22 (Debian ...)". */
static void short_version(FILE *out, const char *v)
{
	const char *p = v ? strstr(v, "version ") : NULL;
	size_t n;

	if (!p) {
		fprintf(out, "%s", v ? v : "?");
		return;
	}
	p += 8;
	n = strcspn(p, " ");
	fprintf(out, "QEMU %.*s", (int)n, p);
}

static void source_lines(FILE *out, json_t *src)
{
	json_t *rel = json_object_get(src, "release"), *fit = json_object_get(rel, "consistent_with");
	json_t *caps = json_object_get(src, "capabilities_seen");
	json_t *cmds = json_object_get(src, "commands"), *x, *t;
	size_t i, k;

	if (s_(src, "machine"))
		fprintf(out, "  machine      %s%s%s%s\n", s_(src, "machine"),
			s_(src, "machine_type_since") ? " (a machine type of QEMU " : "",
			s_(src, "machine_type_since") ? s_(src, "machine_type_since") : "",
			s_(src, "machine_type_since") ? " and later)" : "");
	else
		fprintf(out, "  machine      not in the stream (no configuration section)\n");
	if (json_array_size(fit)) {
		fprintf(out, "  source       written by ");
		json_array_foreach(fit, i, x) {
			json_array_foreach(json_object_get(rel, "by_target"), k, t)
				if (!strcmp(s_(t, "target"), sv(x))) {
					fprintf(out, "%s%s (", i ? " or " : "", sv(x));
					short_version(out, s_(t, "qemu_version"));
					fprintf(out, ")");
				}
		}
		fprintf(out, ", as far as section versions and subsections tell\n");
	} else if (json_is_true(json_object_get(rel, "newer_than_installed"))) {
		fprintf(out, "  source       QEMU %s or later (its machine type), newer than the "
			"installed releases%s%s\n", s_(src, "machine_type_since"),
			s_(rel, "closest") ? "; closest: " : "",
			s_(rel, "closest") ? s_(rel, "closest") : "");
	} else if (json_is_true(json_object_get(rel, "other_architecture"))) {
		fprintf(out, "  source       another architecture than the installed targets' (its "
			"cpu section has other fields)\n");
	} else if (!s_(rel, "closest")) {
		fprintf(out, "  source       no device section to compare with the installed releases\n");
	} else {
		json_array_foreach(json_object_get(rel, "by_target"), k, t)
			if (!strcmp(s_(t, "target"), s_(rel, "closest")))
				fprintf(out, "  source       written by a release that is not installed "
					"(none matches); closest %s: %" PRIu64 " section(s) at other "
					"versions or layouts, %" PRIu64 " unknown%s%s\n", s_(t, "target"),
					u_(t, "sections_other_version"), u_(t, "sections_unknown"),
					s_(t, "first_difference") ? "; first: " : "",
					s_(t, "first_difference") ? s_(t, "first_difference") : "");
	}
	fprintf(out, "  stream       page size ");
	if (json_is_integer(json_object_get(src, "page_size")))
		fprintf(out, "%" PRIu64, u_(src, "page_size"));
	else
		fprintf(out, "unknown");
	fprintf(out, " (%s); trailer %s; section footers %s; capabilities seen: ",
		s_(src, "page_size_from"), json_is_true(json_object_get(src, "trailer")) ? "yes" : "no",
		json_is_true(json_object_get(src, "section_footers")) ? "yes" : "no");
	json_array_foreach(caps, i, x)
		fprintf(out, "%s%s", i ? ", " : "", sv(x));
	fprintf(out, "%s; commands: ", json_array_size(caps) ? "" : "none");
	json_array_foreach(cmds, i, x)
		fprintf(out, "%s%s", i ? ", " : "", sv(x));
	fprintf(out, "%s\n", json_array_size(cmds) ? "" : "none");
}

static void bytes_lines(FILE *out, json_t *b)
{
	json_t *ram = json_object_get(b, "ram"), *x;
	uint64_t total = u_(b, "stream"), pages = 0, zero = 0, normal = 0, xb = 0, guest = 0;
	size_t i;

	fprintf(out, "  bytes        RAM %" PRIu64 " (%.1f%%), devices %" PRIu64 " (%.1f%%), "
		"trailer %" PRIu64 " (%.1f%%), header %" PRIu64 ", commands/end %" PRIu64,
		u_(ram, "bytes"), pct(u_(ram, "bytes"), total), u_(b, "devices"),
		pct(u_(b, "devices"), total), u_(b, "trailer"), pct(u_(b, "trailer"), total),
		u_(b, "header_and_configuration"), u_(b, "commands_and_end"));
	if (u_(b, "not_walked"))
		fprintf(out, ", not walked %" PRIu64, u_(b, "not_walked"));
	fprintf(out, "\n");
	json_array_foreach(json_object_get(ram, "blocks"), i, x) {
		guest += u_(x, "used_length");
		pages += u_(x, "pages");
		zero += u_(x, "zero_pages");
		normal += u_(x, "normal_pages");
		xb += u_(x, "xbzrle_pages");
	}
	fprintf(out, "  RAM          %zu block(s), %" PRIu64 " bytes of guest memory; %" PRIu64
		" page records: %" PRIu64 " zero, %" PRIu64 " with data",
		json_array_size(json_object_get(ram, "blocks")), guest, pages, zero, normal);
	if (xb)
		fprintf(out, ", %" PRIu64 " XBZRLE", xb);
	fprintf(out, "\n");
	json_array_foreach(json_object_get(ram, "blocks"), i, x) {
		json_t *d = json_object_get(x, "xxh3_128");
		char name[VI_ESC_NAME];
		if (!d)
			continue;		/* no --digests */
		fprintf(out, "    %-32s xxh3-128 %s\n",
			vi_esc(name, sizeof(name), json_string_value(json_object_get(x, "name"))),
			json_is_string(d) ? json_string_value(d) : "(not computable)");
	}
}

static void device_lines(FILE *out, json_t *devs)
{
	json_t *d;
	size_t i;

	fprintf(out, "  devices      %zu section(s): offset, bytes, version, section[instance]\n",
		json_array_size(devs));
	json_array_foreach(devs, i, d) {
		fprintf(out, "    0x%08" PRIx64 " %8" PRIu64 "  v%-3" PRIu64 " %s[%" PRIu64 "]",
			u_(d, "offset"), u_(d, "bytes"), u_(d, "version_id"), s_(d, "section"),
			u_(d, "instance_id"));
		if (u_(d, "undecoded_bytes"))
			fprintf(out, "  (%" PRIu64 " bytes undecoded)", u_(d, "undecoded_bytes"));
		else if (s_(d, "decoded_by") && strcmp(s_(d, "decoded_by"), "vmdesc"))
			fprintf(out, "  (decoded by %s)", s_(d, "decoded_by"));
		fprintf(out, "\n");
	}
}

static void problem_lines(FILE *out, json_t *probs)
{
	json_t *p;
	size_t i;

	if (!json_array_size(probs)) {
		fprintf(out, "  problems     none in the stream itself\n");
		return;
	}
	fprintf(out, "  problems     %zu\n", json_array_size(probs));
	json_array_foreach(probs, i, p) {
		if (json_is_integer(json_object_get(p, "offset")))
			fprintf(out, "    %-7s byte %" PRIu64 " (0x%" PRIx64 "): %s\n", s_(p, "severity"),
				u_(p, "offset"), u_(p, "offset"), s_(p, "message"));
		else
			fprintf(out, "    %-7s %s\n", s_(p, "severity"), s_(p, "message"));
	}
}

/* The errors after the first and the warnings, a line each, at most 8. */
static void list_findings(FILE *out, json_t *fl, json_t *first)
{
	json_t *f;
	size_t i, shown = 0, more = 0;

	json_array_foreach(fl, i, f) {
		const char *sev = s_(f, "severity");
		if (!sev || !strcmp(sev, "note") ||
		    (json_is_object(first) && u_(f, "offset") == u_(first, "offset") &&
		     !strcmp(s_(f, "message"), s_(first, "message"))))
			continue;
		if (shown == 8) {
			more++;
			continue;
		}
		fprintf(out, "      %-7s %s at byte %" PRIu64 ": %s\n", sev, s_(f, "class"),
			u_(f, "offset"), s_(f, "message"));
		shown++;
	}
	if (more)
		fprintf(out, "      ... %zu more (--format json lists them all)\n", more);
}

static void dest_lines(FILE *out, json_t *dests, json_t *src)
{
	json_t *d, *rel = json_object_get(src, "release");
	size_t i;

	if (!json_array_size(dests)) {
		if (json_is_true(json_object_get(rel, "other_architecture")) || !s_(src, "machine"))
			fprintf(out, "  destinations none checked (no installed target is of this "
				"stream's architecture; see --target)\n");
		else
			fprintf(out, "  destinations none checked (no installed release has machine "
				"type %s: a newer QEMU wrote it?  --target checks anyway)\n",
				s_(src, "machine"));
		return;
	}
	fprintf(out, "  destinations (loading this stream, as configured as its source)\n");
	json_array_foreach(dests, i, d) {
		json_t *e = json_object_get(d, "first_error");
		fprintf(out, "    %-18s %-16s %s", s_(d, "target"),
			s_(d, "machine") ? s_(d, "machine") : "-", s_(d, "verdict"));
		if (json_is_object(e))
			fprintf(out, ": %s at byte %" PRIu64 ": %s", s_(e, "class"), u_(e, "offset"),
				s_(e, "message"));
		fprintf(out, " (%" PRIu64 " error(s), %" PRIu64 " warning(s))\n", u_(d, "errors"),
			u_(d, "warnings"));
		list_findings(out, json_object_get(d, "findings"), e);
	}
}

void vi_triage_text(FILE *out, json_t *doc)
{
	json_t *in = json_object_get(doc, "input");

	if (!in)	/* an error document: the error line says it all */
		return;
	fprintf(out, "%s\n", s_(in, "file"));
	input_line(out, in);
	container_lines(out, in, json_object_get(doc, "source"));
	source_lines(out, json_object_get(doc, "source"));
	bytes_lines(out, json_object_get(doc, "bytes"));
	problem_lines(out, json_object_get(doc, "problems"));
	dest_lines(out, json_object_get(doc, "destinations"), json_object_get(doc, "source"));
	device_lines(out, json_object_get(doc, "devices"));
	vi_tx_release();
}

static int text_view(FILE *out, const void *doc)
{
	json_t *d = (json_t *)doc;

	if (!json_object_get(d, "input"))
		return 1;	/* nothing to show: -o stays as it was */
	vi_triage_text(out, d);
	return 0;
}

static int json_view(FILE *out, const void *doc)
{
	json_dumpf((json_t *)doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	return 0;
}

/* The views of a report document; adding one is a renderer and a row. */
const struct vi_outfmt vi_triage_formats[] = {
	{ "text", text_view },
	{ "json", json_view },
	{ "markdown", vi_report_markdown },	/* render-report.c */
	{ "html", vi_report_html },
	{ NULL, NULL },
};
