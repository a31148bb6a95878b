/* render-report-json.c - the JSON view of a report (struct
 * vi_triage_report, triage.c), written through the one JSON writer
 * (render-jw.c) as the report is walked; the members and their order are
 * the man page's (report_version, input, source, devices, bytes, problems,
 * destinations, error). */
#include <stdio.h>
#include "render-findings.h"
#include "render-input.h"
#include "render-jw.h"
#include "render-report.h"
#include "report-triage.h"

/* A count as the document always wrote it (a signed JSON integer). */
static void ki(struct vi_jw *w, const char *key, uint64_t v)
{
	vi_jw_key(w, key);
	vi_jw_int(w, (int64_t)v);
}

static void kjson(struct vi_jw *w, const char *key, json_t *v)
{
	vi_jw_key(w, key);
	vi_jw_json(w, v);
	json_decref(v);
}

static void json_input(struct vi_jw *w, const struct vi_triage_report *r)
{
	vi_jw_key(w, "input");
	vi_jw_obj(w);
	vi_jw_kstr(w, "file", r->file);
	ki(w, "file_size", r->file_size);
	vi_jw_kstr(w, "container", r->container);
	vi_jw_key(w, "filters");
	vi_jw_arr(w);
	for (int i = 0; i < r->nfilters; i++)
		vi_jw_str(w, r->filters[i]);
	vi_jw_end(w);
	vi_jw_kstr(w, "detail", r->detail);
	ki(w, "stream_offset", r->stream_offset);
	ki(w, "stream_size", r->stream_size);
	if (r->libvirt)
		kjson(w, "libvirt", render_libvirt_json(r->libvirt));
	if (r->snapshot)
		kjson(w, "snapshot", render_snapshot_json(r->snapshot));
	if (r->has_qevm)
		ki(w, "qevm_version", r->qevm_version);
	vi_jw_end(w);
}

static void json_release(struct vi_jw *w, const struct vi_triage_report *r)
{
	vi_jw_key(w, "release");
	vi_jw_obj(w);
	vi_jw_key(w, "by_target");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->nrel; i++) {
		const struct vi_triage_release *x = &r->rel[i];
		vi_jw_obj(w);
		vi_jw_kstr(w, "target", x->target);
		vi_jw_kstr(w, "qemu_version", x->qemu_version);
		vi_jw_kbool(w, "machine_known", x->machine_known);
		if (x->cpu_match < 0)
			vi_jw_knull(w, "cpu_fields_match");
		else
			vi_jw_kbool(w, "cpu_fields_match", x->cpu_match);
		ki(w, "sections_same_version", x->same);
		ki(w, "sections_other_version", x->differ);
		ki(w, "sections_unknown", x->unknown);
		if (x->first_differ[0])
			vi_jw_kstr(w, "first_difference", x->first_differ);
		vi_jw_end(w);
	}
	vi_jw_end(w);
	vi_jw_key(w, "consistent_with");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->nfit; i++)
		vi_jw_str(w, r->rel[r->fit[i]].target);
	vi_jw_end(w);
	vi_jw_kbool(w, "other_architecture", r->other_architecture);
	vi_jw_kbool(w, "newer_than_installed", r->newer_than_installed);
	if (r->closest)
		vi_jw_kstr(w, "closest", r->closest->target);
	vi_jw_end(w);
}

static void json_source(struct vi_jw *w, const struct vi_triage_report *r)
{
	vi_jw_key(w, "source");
	vi_jw_obj(w);
	if (r->machine) {
		vi_jw_kstr(w, "machine", r->machine);
		if (r->machine_since[0])
			vi_jw_kstr(w, "machine_type_since", r->machine_since);
	} else {
		vi_jw_knull(w, "machine");
	}
	if (r->has_page_size)
		ki(w, "page_size", r->page_size);
	else
		vi_jw_knull(w, "page_size");
	vi_jw_kstr(w, "page_size_from", r->page_size_from);
	vi_jw_kbool(w, "trailer", r->trailer);
	vi_jw_kbool(w, "section_footers", r->section_footers);
	vi_jw_key(w, "capabilities_seen");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->ncaps; i++)
		vi_jw_str(w, r->caps[i]);
	vi_jw_end(w);
	vi_jw_key(w, "commands");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->ncommands; i++)
		vi_jw_str(w, r->commands[i]);
	vi_jw_end(w);
	json_release(w, r);
	vi_jw_end(w);
}

static void json_devices_bytes(struct vi_jw *w, const struct vi_triage_report *r)
{
	vi_jw_key(w, "devices");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->ndevices; i++) {
		const struct vi_report_device *d = &r->devices[i];
		vi_jw_obj(w);
		vi_jw_kstr(w, "section", d->section);
		ki(w, "instance_id", d->instance_id);
		ki(w, "version_id", d->version_id);
		ki(w, "offset", d->offset);
		ki(w, "bytes", d->bytes);
		ki(w, "records", d->records);
		if (d->decoded_by)
			vi_jw_kstr(w, "decoded_by", d->decoded_by);
		else
			vi_jw_knull(w, "decoded_by");
		ki(w, "undecoded_bytes", d->undecoded);
		vi_jw_end(w);
	}
	vi_jw_end(w);
	vi_jw_key(w, "bytes");
	vi_jw_obj(w);
	ki(w, "stream", r->b_stream);
	ki(w, "header_and_configuration", r->b_header);
	vi_jw_key(w, "ram");
	vi_jw_obj(w);
	ki(w, "bytes", r->b_ram);
	vi_jw_key(w, "blocks");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->nblocks; i++) {
		const struct vi_report_block *b = &r->blocks[i];
		vi_jw_obj(w);
		vi_jw_kstr(w, "name", b->name);
		ki(w, "used_length", b->used_length);
		ki(w, "pages", b->pages);
		ki(w, "zero_pages", b->zero_pages);
		ki(w, "normal_pages", b->normal_pages);
		ki(w, "xbzrle_pages", b->xbzrle_pages);
		ki(w, "compressed_pages", b->compressed_pages);
		if (b->digest == VI_DIGEST_UNAVAILABLE)
			vi_jw_knull(w, "xxh3_128");
		else if (b->digest == VI_DIGEST_HEX)
			vi_jw_kstr(w, "xxh3_128", b->hex);
		vi_jw_end(w);
	}
	vi_jw_end(w);
	vi_jw_end(w);
	ki(w, "devices", r->b_devices);
	ki(w, "trailer", r->b_trailer);
	ki(w, "commands_and_end", r->b_other);
	ki(w, "not_walked", r->b_not_walked);
	vi_jw_end(w);
}

static void json_problems_dests(struct vi_jw *w, const struct vi_triage_report *r)
{
	vi_jw_key(w, "problems");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->nproblems; i++) {
		const struct vi_report_problem *p = &r->problems[i];
		vi_jw_obj(w);
		vi_jw_kstr(w, "severity", vi_report_sev_names[p->severity]);
		if (p->has_offset)
			ki(w, "offset", p->offset);
		else
			vi_jw_knull(w, "offset");
		vi_jw_kstr(w, "message", p->message);
		vi_jw_end(w);
	}
	vi_jw_end(w);
	vi_jw_key(w, "destinations");
	vi_jw_arr(w);
	for (size_t i = 0; i < r->ndests; i++) {
		const struct vi_report_dest *x = &r->dests[i];
		vi_jw_obj(w);
		vi_jw_kstr(w, "target", x->d->target);
		vi_jw_kstr(w, "qemu_version", x->d->qemu_version);
		if (x->d->machine)
			vi_jw_kstr(w, "machine", x->d->machine);
		else
			vi_jw_knull(w, "machine");
		vi_jw_kbool(w, "machine_known", x->d->machine_known);
		vi_jw_kstr(w, "verdict", x->errors ? "reject" : "accept");
		ki(w, "errors", x->errors);
		ki(w, "warnings", x->warnings);
		vi_jw_key(w, "first_error");
		if (x->first_error)
			vi_finding_write(w, x->first_error, NULL, 0);
		else
			vi_jw_null(w);
		vi_jw_key(w, "findings");
		vi_jw_arr(w);
		for (size_t k = 0; k < x->d->findings.n; k++)
			vi_finding_write(w, &x->d->findings.v[k], NULL, 0);
		vi_jw_end(w);
		vi_jw_end(w);
	}
	vi_jw_end(w);
}

int vi_report_json(FILE *out, const void *model)
{
	const struct vi_triage_report *r = model;
	struct vi_jw w;

	vi_jw_init(&w, out, 2, 0);
	vi_jw_obj(&w);
	ki(&w, "report_version", 1);
	if (r->error_only) {
		vi_jw_kstr(&w, "file", r->file);
		vi_jw_key(&w, "error");
		vi_jw_json(&w, r->error_doc);
		vi_jw_end(&w);
		vi_jw_done(&w);
		return 0;
	}
	json_input(&w, r);
	json_source(&w, r);
	json_devices_bytes(&w, r);
	json_problems_dests(&w, r);
	vi_jw_key(&w, "error");
	if (r->err) {
		vi_jw_obj(&w);
		vi_jw_kstr(&w, "message", r->err->msg);
		if (r->err->has_offset)
			ki(&w, "offset", r->err->offset);
		else
			vi_jw_knull(&w, "offset");
		ki(&w, "exit_code", (uint64_t)(int64_t)r->err->exit_code);
		vi_jw_end(&w);
	} else {
		vi_jw_null(&w);
	}
	vi_jw_end(&w);
	vi_jw_done(&w);
	return 0;
}

