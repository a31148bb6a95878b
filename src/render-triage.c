/* render-triage.c - the text and JSON views of a report (struct vi_triage_report,
 * triage.c); markdown and HTML are in render-report.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "vi-escape.h"
#include "render-input.h"
#include "render-report.h"
#include "report-triage.h"

/* A string from the input escaped for a terminal (vi_tx), NULL kept. */
static const char *tx(const char *s)
{
	return s ? vi_tx(s) : NULL;
}

/* jansson keeps no string that is not UTF-8: such a name is not shown. */
static const char *utf8(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	json_decref(j);
	return j ? s : NULL;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* "2026-12-06T14:03:11Z" (render_snapshot_json's "date"). */
static void snapshot_date(char *buf, size_t size, const struct vi_snapshot *sn)
{
	render_snapshot_date(buf, size, sn);
	if (strlen(buf) == 19 && size > 20) {
		buf[10] = 'T';
		strcat(buf, "Z");
	}
}

/* What the libvirt header or the qcow2 snapshot says (input.h). */
static void container_lines(FILE *out, const struct vi_triage_report *r)
{
	const struct vi_libvirt *lv = r->libvirt;
	const struct vi_snapshot *sn = r->snapshot;

	if (lv) {
		char name[VI_ESC_NAME], uuid[VI_ESC_NAME], machine[VI_ESC_NAME];
		const char *dm = *lv->machine ? tx(utf8(lv->machine)) : NULL;
		fprintf(out, "  domain       %s, uuid %s; guest %s when saved (libvirt save "
			"image v%" PRIu64 ", %s)\n",
			vi_esc(name, sizeof(name), *lv->name && utf8(lv->name) ? tx(lv->name) : "?"),
			vi_esc(uuid, sizeof(uuid), *lv->uuid && utf8(lv->uuid) ? tx(lv->uuid) : "?"),
			lv->was_running ? "running" : "paused", (uint64_t)lv->version,
			tx(utf8(lv->format_name)));
		fprintf(out, "  domain XML   machine %s%s\n",
			vi_esc(machine, sizeof(machine), dm ? dm : "? (not in the XML)"),
			!dm || !r->machine ? ""
			: strcmp(dm, tx(r->machine)) == 0
			? " (the stream's too)" : " (NOT the stream's machine type)");
	}
	if (sn) {
		char name[VI_ESC_NAME], id[VI_ESC_NAME], date[40];
		snapshot_date(date, sizeof(date), sn);
		fprintf(out, "  snapshot     '%s' (id %s), taken %s, VM state %" PRIu64 " bytes\n",
			vi_esc(name, sizeof(name), tx(utf8(sn->name))),
			vi_esc(id, sizeof(id), tx(utf8(sn->id))), date, sn->vm_state_size);
	}
}

static void input_line(FILE *out, const struct vi_triage_report *r)
{
	fprintf(out, "  input        %" PRIu64 " bytes", r->file_size);
	for (int i = 0; i < r->nfilters; i++)
		fprintf(out, "%s%s", i ? " + " : ", compressed: ", tx(r->filters[i]));
	fprintf(out, "; %s, QEMU migration stream of %" PRIu64 " bytes at offset %" PRIu64,
		tx(r->container), r->stream_size, r->stream_offset);
	if (r->has_qevm)
		fprintf(out, " (QEVM version %" PRIu64 ")", r->qevm_version);
	fprintf(out, "\n");
	if (r->detail)
		fprintf(out, "               %s\n", tx(r->detail));
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

static void source_lines(FILE *out, const struct vi_triage_report *r)
{
	const struct vi_triage_release *c = r->closest;

	if (r->machine)
		fprintf(out, "  machine      %s%s%s%s\n", tx(r->machine),
			r->machine_since[0] ? " (a machine type of QEMU " : "", r->machine_since,
			r->machine_since[0] ? " and later)" : "");
	else
		fprintf(out, "  machine      not in the stream (no configuration section)\n");
	if (r->nfit) {
		fprintf(out, "  source       written by ");
		for (size_t i = 0; i < r->nfit; i++) {
			const char *fit = r->rel[r->fit[i]].target;
			for (size_t k = 0; k < r->nrel; k++)
				if (r->rel[k].target && !strcmp(r->rel[k].target, fit)) {
					fprintf(out, "%s%s (", i ? " or " : "", tx(fit));
					short_version(out, tx(r->rel[k].qemu_version));
					fprintf(out, ")");
				}
		}
		fprintf(out, ", as far as section versions and subsections tell\n");
	} else if (r->newer_than_installed) {
		fprintf(out, "  source       QEMU %s or later (its machine type), newer than the "
			"installed releases%s%s\n", r->machine_since,
			c ? "; closest: " : "", c ? tx(c->target) : "");
	} else if (r->other_architecture) {
		fprintf(out, "  source       another architecture than the installed targets' (its "
			"cpu section has other fields)\n");
	} else if (!c) {
		fprintf(out, "  source       no device section to compare with the installed releases\n");
	} else {
		for (size_t k = 0; k < r->nrel; k++) {
			const struct vi_triage_release *t = &r->rel[k];
			if (t->target && !strcmp(t->target, c->target))
				fprintf(out, "  source       written by a release that is not installed "
					"(none matches); closest %s: %zu section(s) at other "
					"versions or layouts, %zu unknown%s%s\n", tx(t->target),
					t->differ, t->unknown, t->first_differ[0] ? "; first: " : "",
					tx(t->first_differ));
		}
	}
	fprintf(out, "  stream       page size ");
	if (r->has_page_size)
		fprintf(out, "%" PRIu64, r->page_size);
	else
		fprintf(out, "unknown");
	fprintf(out, " (%s); trailer %s; section footers %s; capabilities seen: ",
		tx(r->page_size_from), r->trailer ? "yes" : "no", r->section_footers ? "yes" : "no");
	for (size_t i = 0; i < r->ncaps; i++)
		fprintf(out, "%s%s", i ? ", " : "", r->caps[i]);
	fprintf(out, "%s; commands: ", r->ncaps ? "" : "none");
	for (size_t i = 0; i < r->ncommands; i++)
		fprintf(out, "%s%s", i ? ", " : "", tx(r->commands[i]));
	fprintf(out, "%s\n", r->ncommands ? "" : "none");
}

static void bytes_lines(FILE *out, const struct vi_triage_report *r)
{
	uint64_t total = r->b_stream, pages = 0, zero = 0, normal = 0, xb = 0, guest = 0;

	fprintf(out, "  bytes        RAM %" PRIu64 " (%.1f%%), devices %" PRIu64 " (%.1f%%), "
		"trailer %" PRIu64 " (%.1f%%), header %" PRIu64 ", commands/end %" PRIu64,
		r->b_ram, pct(r->b_ram, total), r->b_devices, pct(r->b_devices, total),
		r->b_trailer, pct(r->b_trailer, total), r->b_header, r->b_other);
	if (r->b_not_walked)
		fprintf(out, ", not walked %" PRIu64, r->b_not_walked);
	fprintf(out, "\n");
	for (size_t i = 0; i < r->nblocks; i++) {
		guest += r->blocks[i].used_length;
		pages += r->blocks[i].pages;
		zero += r->blocks[i].zero_pages;
		normal += r->blocks[i].normal_pages;
		xb += r->blocks[i].xbzrle_pages;
	}
	fprintf(out, "  RAM          %zu block(s), %" PRIu64 " bytes of guest memory; %" PRIu64
		" page records: %" PRIu64 " zero, %" PRIu64 " with data",
		r->nblocks, guest, pages, zero, normal);
	if (xb)
		fprintf(out, ", %" PRIu64 " XBZRLE", xb);
	fprintf(out, "\n");
	for (size_t i = 0; i < r->nblocks; i++) {
		const struct vi_report_block *b = &r->blocks[i];
		char name[VI_ESC_NAME];
		if (b->digest == VI_DIGEST_NONE)
			continue;		/* no --digests */
		fprintf(out, "    %-32s xxh3-128 %s\n", vi_esc(name, sizeof(name), b->name),
			b->digest == VI_DIGEST_HEX ? b->hex : "(not computable)");
	}
}

static void device_lines(FILE *out, const struct vi_triage_report *r)
{
	fprintf(out, "  devices      %zu section(s): offset, bytes, version, section[instance]\n",
		r->ndevices);
	for (size_t i = 0; i < r->ndevices; i++) {
		const struct vi_report_device *d = &r->devices[i];
		fprintf(out, "    0x%08" PRIx64 " %8" PRIu64 "  v%-3" PRIu64 " %s[%" PRIu64 "]",
			d->offset, d->bytes, d->version_id, tx(d->section), d->instance_id);
		if (d->undecoded)
			fprintf(out, "  (%" PRIu64 " bytes undecoded)", d->undecoded);
		else if (d->decoded_by && strcmp(d->decoded_by, "vmdesc"))
			fprintf(out, "  (decoded by %s)", tx(d->decoded_by));
		fprintf(out, "\n");
	}
}

static void problem_lines(FILE *out, const struct vi_triage_report *r)
{
	if (!r->nproblems) {
		fprintf(out, "  problems     none in the stream itself\n");
		return;
	}
	fprintf(out, "  problems     %zu\n", r->nproblems);
	for (size_t i = 0; i < r->nproblems; i++) {
		const struct vi_report_problem *p = &r->problems[i];
		const char *sev = vi_report_sev_names[p->severity];
		if (p->has_offset)
			fprintf(out, "    %-7s byte %" PRIu64 " (0x%" PRIx64 "): %s\n", sev,
				p->offset, p->offset, tx(p->message));
		else
			fprintf(out, "    %-7s %s\n", sev, tx(p->message));
	}
}

/* The errors after the first and the warnings, a line each, at most 8. */
static void list_findings(FILE *out, const struct vi_findings *fl, const struct vi_finding *first)
{
	size_t shown = 0, more = 0;

	for (size_t i = 0; i < fl->n; i++) {
		const struct vi_finding *f = &fl->v[i];
		if (f->severity == VI_SEV_NOTE ||
		    (first && f->offset == first->offset && !strcmp(f->message, first->message)))
			continue;
		if (shown == 8) {
			more++;
			continue;
		}
		fprintf(out, "      %-7s %s at byte %" PRIu64 ": %s\n",
			vi_severity_name(f->severity), vi_class_name(f->cls), f->offset,
			tx(f->message));
		shown++;
	}
	if (more)
		fprintf(out, "      ... %zu more (--format json lists them all)\n", more);
}

static void dest_lines(FILE *out, const struct vi_triage_report *r)
{
	if (!r->ndests) {
		if (r->other_architecture || !r->machine)
			fprintf(out, "  destinations none checked (no installed target is of this "
				"stream's architecture; see --target)\n");
		else
			fprintf(out, "  destinations none checked (no installed release has machine "
				"type %s: a newer QEMU wrote it?  --target checks anyway)\n",
				tx(r->machine));
		return;
	}
	fprintf(out, "  destinations (loading this stream, as configured as its source)\n");
	for (size_t i = 0; i < r->ndests; i++) {
		const struct vi_report_dest *x = &r->dests[i];
		const struct vi_finding *e = x->first_error;
		fprintf(out, "    %-18s %-16s %s", tx(x->d->target),
			x->d->machine ? tx(x->d->machine) : "-", x->errors ? "reject" : "accept");
		if (e)
			fprintf(out, ": %s at byte %" PRIu64 ": %s", vi_class_name(e->cls), e->offset,
				tx(e->message));
		fprintf(out, " (%zu error(s), %zu warning(s))\n", x->errors, x->warnings);
		list_findings(out, &x->d->findings, e);
	}
}

static int text_view(FILE *out, const void *model)
{
	const struct vi_triage_report *r = model;

	if (r->error_only)
		return 1;	/* the error line says it all: -o stays as it was */
	fprintf(out, "%s\n", tx(r->file));
	input_line(out, r);
	container_lines(out, r);
	source_lines(out, r);
	bytes_lines(out, r);
	problem_lines(out, r);
	dest_lines(out, r);
	device_lines(out, r);
	vi_tx_release();
	return 0;
}

/* The views of a report; adding one is a renderer and a row. */
const struct vi_outfmt vi_triage_formats[] = {
	{ "text", text_view },
	{ "json", vi_report_json },		/* render-report-json.c */
	{ "markdown", vi_report_markdown },	/* render-report.c */
	{ "html", vi_report_html },
	{ NULL, NULL },
};
