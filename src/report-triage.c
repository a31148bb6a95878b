/* report-triage.c - gathering what `report` shows about one walked stream. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render-input.h"
#include "schema-facts.h"
#include "render-findings.h"
#include "vi-escape.h"
#include "report-triage.h"
#include "vi-release.h"
#include "vi-map.h"

static json_t *ju(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* ---- input and source ----------------------------------------------------- */

static json_t *input_part(const struct vi_session *s, const char *file)
{
	json_t *o = json_object(), *f = json_array();
	const struct vi_node *root = s->root;

	json_object_set_new(o, "file", vi_jstr(file));
	json_object_set_new(o, "file_size", ju(s->in.input_size));
	json_object_set_new(o, "container", vi_jstr(s->in.container ? s->in.container : "?"));
	for (int i = 0; i < s->in.nfilters; i++)
		json_array_append_new(f, vi_jstr(s->in.filters[i]));
	json_object_set_new(o, "filters", f);
	if (s->in.detail[0])
		json_object_set_new(o, "detail", vi_jstr(s->in.detail));
	json_object_set_new(o, "stream_offset", ju(s->in.base));
	json_object_set_new(o, "stream_size", ju(s->in.size));
	if (s->in.libvirt)
		json_object_set_new(o, "libvirt", render_libvirt_json(s->in.libvirt));
	if (s->in.has_snapshot)
		json_object_set_new(o, "snapshot", render_snapshot_json(&s->in.snapshot));
	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == VI_N_HEADER)
			json_object_set_new(o, "qevm_version",
					    ju(vi_node_attr_uint(root->kids[i], "version", 0)));
	return o;
}

/* since: the release the stream's machine type came with (X*100+Y), or -1 */
static json_t *release_part(const struct vi_triage_release *rel, size_t n, int since)
{
	json_t *o = json_object(), *all = json_array(), *fit = json_array();
	const struct vi_triage_release *best = NULL;
	int any_known = 0, other_arch = n > 0, too_old = 0;

	for (size_t i = 0; i < n; i++) {
		any_known |= rel[i].machine_known;
		other_arch &= rel[i].cpu_match == 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vi_triage_release *r = &rel[i];
		json_t *x = json_object();
		json_object_set_new(x, "target", vi_jstr(r->target));
		json_object_set_new(x, "qemu_version", vi_jstr(r->qemu_version));
		json_object_set_new(x, "machine_known", json_boolean(r->machine_known));
		json_object_set_new(x, "cpu_fields_match", r->cpu_match < 0 ? json_null()
							 : json_boolean(r->cpu_match));
		json_object_set_new(x, "sections_same_version", ju(r->same));
		json_object_set_new(x, "sections_other_version", ju(r->differ));
		json_object_set_new(x, "sections_unknown", ju(r->unknown));
		if (r->first_differ[0])
			json_object_set_new(x, "first_difference", vi_jstr(r->first_differ));
		json_array_append_new(all, x);
		if ((any_known && !r->machine_known) || !r->cpu_match)
			continue;
		if (since >= 0 && vi_release_num_of_id(r->target) >= 0 &&
		    vi_release_num_of_id(r->target) < since) {
			too_old++;	/* a release before the machine type existed */
			if (!best || r->differ + r->unknown < best->differ + best->unknown)
				best = r;
			continue;
		}
		if (!r->differ && !r->unknown && r->same)
			json_array_append_new(fit, vi_jstr(r->target));
		if (!best || r->differ + r->unknown < best->differ + best->unknown)
			best = r;
	}
	json_object_set_new(o, "by_target", all);
	json_object_set_new(o, "consistent_with", fit);
	json_object_set_new(o, "other_architecture", json_boolean(other_arch));
	json_object_set_new(o, "newer_than_installed",
			    json_boolean(!any_known && too_old && !json_array_size(fit)));
	if (!json_array_size(fit) && best && best->same + best->differ)
		json_object_set_new(o, "closest", vi_jstr(best->target));
	return o;
}

static json_t *source_part(const struct vi_session *s, const struct vi_triage_release *rel,
			   size_t nrel)
{
	const struct vi_stream_facts *w = &s->facts;
	const struct vi_node *root = s->root;
	json_t *o = json_object(), *caps = json_array(), *cmds = json_array();
	unsigned maj, min;

	if (w->machine[0]) {
		json_object_set_new(o, "machine", vi_jstr(w->machine));
		if (vi_release_of_machine(w->machine, &maj, &min)) {
			char v[32];
			snprintf(v, sizeof(v), "%u.%u", maj, min);
			json_object_set_new(o, "machine_type_since", vi_jstr(v));
		}
	} else {
		json_object_set_new(o, "machine", json_null());
	}
	json_object_set_new(o, "page_size", w->page_size ? ju(w->page_size) : json_null());
	json_object_set_new(o, "page_size_from", vi_jstr(w->page_size_from ? w->page_size_from
							     : "unknown"));
	json_object_set_new(o, "trailer", json_boolean(w->vmdesc != NULL));
	json_object_set_new(o, "section_footers", json_boolean(w->footers == 1));
	if (w->cap_mapped_ram)
		json_array_append_new(caps, vi_jstr("mapped-ram"));
	if (w->cap_ignore_shared)
		json_array_append_new(caps, vi_jstr("x-ignore-shared"));
	for (size_t i = 0; i < w->nblocks; i++)
		if (w->blocks[i].xbzrle_pages) {
			json_array_append_new(caps, vi_jstr("xbzrle"));
			break;
		}
	for (size_t i = 0; i < w->nblocks; i++)
		if (w->blocks[i].compressed_pages) {
			json_array_append_new(caps, vi_jstr("compress"));
			break;
		}
	json_object_set_new(o, "capabilities_seen", caps);
	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == VI_N_COMMAND)
			json_array_append_new(cmds, vi_jstr(root->kids[i]->name));
	json_object_set_new(o, "commands", cmds);
	json_object_set_new(o, "release", release_part(rel, nrel,
		w->machine[0] && vi_release_of_machine(w->machine, &maj, &min) ? (int)(maj * 100 + min)
									  : -1));
	return o;
}

/* ---- devices and bytes ----------------------------------------------------- */

struct dev {
	const struct vi_node *first;
	uint64_t bytes, undecoded;
	size_t records;
};

static json_t *devices_and_bytes(const struct vi_session *s, json_t *bytes)
{
	const struct vi_node *root = s->root;
	json_t *arr = json_array(), *ram = json_object(), *blocks = json_array();
	uint64_t hdr = 0, ramb = 0, devb = 0, trailer = 0, other = 0, seen = 0;
	struct dev *d = NULL;
	struct vi_map live = { 0 };	/* section id -> index of the device whose
					   START opened it (a later START of the
					   same id replaces it, as in the stream) */
	size_t nd = 0, cap = 0;

	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		seen += k->length;
		switch (k->kind) {
		case VI_N_HEADER: case VI_N_CONFIG:
			hdr += k->length;
			break;
		case VI_N_VMDESC:
			trailer += k->length;
			break;
		case VI_N_SECTION: {
			size_t j;
			uint32_t id = (uint32_t)vi_node_attr_uint(k, "section_id", 0);
			if (!strcmp(k->name, "ram")) {
				ramb += k->length;
				break;
			}
			devb += k->length;
			if (vi_node_is_first_record(k)) {		/* FULL or START: a device of its own */
				if (nd == cap) {
					cap = cap ? 2 * cap : 64;
					d = vi_xrealloc(d, cap * sizeof(*d));
				}
				memset(&d[nd], 0, sizeof(*d));
				d[nd].first = k;
				j = nd++;
				vi_map_put(&live, id, j);
			} else if ((j = vi_map_get(&live, id)) == SIZE_MAX) {
				break;			/* a PART/END without its START */
			}
			d[j].bytes += k->length;
			d[j].undecoded += vi_node_attr_uint(k, "undecoded_bytes", 0);
			d[j].records++;
			break;
		}
		default:
			other += k->length;
		}
	}
	for (size_t j = 0; j < nd; j++) {
		json_t *x = json_object();
		const char *by = vi_node_attr_str(d[j].first, "decoded_by");
		json_object_set_new(x, "section", vi_jstr(d[j].first->name));
		json_object_set_new(x, "instance_id", ju(vi_node_attr_uint(d[j].first, "instance_id", 0)));
		json_object_set_new(x, "version_id", ju(vi_node_attr_uint(d[j].first, "version_id", 0)));
		json_object_set_new(x, "offset", ju(d[j].first->offset));
		json_object_set_new(x, "bytes", ju(d[j].bytes));
		json_object_set_new(x, "records", ju(d[j].records));
		json_object_set_new(x, "decoded_by", by ? vi_jstr(by) : json_null());
		json_object_set_new(x, "undecoded_bytes", ju(d[j].undecoded));
		json_array_append_new(arr, x);
	}
	free(d);
	vi_map_free(&live);
	json_object_set_new(bytes, "stream", ju(s->in.size));
	json_object_set_new(bytes, "header_and_configuration", ju(hdr));
	json_object_set_new(ram, "bytes", ju(ramb));
	for (size_t i = 0; i < s->facts.nblocks; i++) {
		const struct vi_ramblock *b = &s->facts.blocks[i];
		json_t *x = json_object();
		json_object_set_new(x, "name", vi_jstr(b->name));
		json_object_set_new(x, "used_length", ju(b->used_length));
		json_object_set_new(x, "pages", ju(b->pages));
		json_object_set_new(x, "zero_pages", ju(b->zero_pages));
		json_object_set_new(x, "normal_pages", ju(b->normal_pages));
		json_object_set_new(x, "xbzrle_pages", ju(b->xbzrle_pages));
		json_object_set_new(x, "compressed_pages", ju(b->compressed_pages));
		if (s->facts.ram_digests && b->pg.done)	/* --digests */
			json_object_set_new(x, "xxh3_128", b->pg.unavailable ? json_null()
					    : json_string(b->pg.hex));
		json_array_append_new(blocks, x);
	}
	json_object_set_new(ram, "blocks", blocks);
	json_object_set_new(bytes, "ram", ram);
	json_object_set_new(bytes, "devices", ju(devb));
	json_object_set_new(bytes, "trailer", ju(trailer));
	json_object_set_new(bytes, "commands_and_end", ju(other));
	json_object_set_new(bytes, "not_walked", ju(s->in.size > seen ? s->in.size - seen : 0));
	return arr;
}

/* ---- what is wrong ---------------------------------------------------------- */

static json_t *problems(const struct vi_session *s)
{
	const struct vi_node *root = s->root;
	json_t *arr = json_array();
	uint64_t undecoded = 0;

	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		json_t *x;
		if (k->kind == VI_N_SECTION)
			undecoded += vi_node_attr_uint(k, "undecoded_bytes", 0);
		if (k->kind != VI_N_WARNING)
			continue;
		x = json_object();
		json_object_set_new(x, "severity", vi_jstr("warning"));
		json_object_set_new(x, "offset", ju(k->offset));
		json_object_set_new(x, "message", vi_jstr(k->vt == VI_V_STR ? k->v.s : k->name));
		json_array_append_new(arr, x);
	}
	if (undecoded) {
		json_t *x = json_object();
		char msg[160];
		snprintf(msg, sizeof(msg), "%" PRIu64 " bytes of device sections could not be "
			 "decoded into fields (listed per device)", undecoded);
		json_object_set_new(x, "severity", vi_jstr("note"));
		json_object_set_new(x, "offset", json_null());
		json_object_set_new(x, "message", vi_jstr(msg));
		json_array_append_new(arr, x);
	}
	if (s->err.set) {
		json_t *x = json_object();
		json_object_set_new(x, "severity", vi_jstr("error"));
		json_object_set_new(x, "offset", s->err.has_offset ? ju(s->err.offset) : json_null());
		json_object_set_new(x, "message", vi_jstr(s->err.msg));
		json_array_append_new(arr, x);
	}
	return arr;
}

static json_t *dest_part(const struct vi_triage_dest *d, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *x = json_object(), *fl = json_array();
		const struct vi_finding *first = vi_findings_first_error(&d[i].findings);
		size_t errors = 0, warnings = 0;
		for (size_t k = 0; k < d[i].findings.n; k++) {
			const struct vi_finding *f = &d[i].findings.v[k];
			errors += f->severity == VI_SEV_ERROR;
			warnings += f->severity == VI_SEV_WARNING;
			json_array_append_new(fl, vi_finding_json(f, NULL, 0));
		}
		json_object_set_new(x, "target", vi_jstr(d[i].target));
		json_object_set_new(x, "qemu_version", vi_jstr(d[i].qemu_version));
		json_object_set_new(x, "machine", d[i].machine ? vi_jstr(d[i].machine)
							   : json_null());
		json_object_set_new(x, "machine_known", json_boolean(d[i].machine_known));
		json_object_set_new(x, "verdict", vi_jstr(errors ? "reject" : "accept"));
		json_object_set_new(x, "errors", ju(errors));
		json_object_set_new(x, "warnings", ju(warnings));
		json_object_set_new(x, "first_error", first ? vi_finding_json(first, NULL, 0)
							     : json_null());
		json_object_set_new(x, "findings", fl);
		json_array_append_new(arr, x);
	}
	return arr;
}

json_t *vi_triage_build(const struct vi_session *s, const char *file,
			const struct vi_triage_release *rel, size_t nrel,
			const struct vi_triage_dest *dest, size_t ndest)
{
	json_t *doc = json_object(), *bytes = json_object();

	json_object_set_new(doc, "report_version", json_integer(1));
	json_object_set_new(doc, "input", input_part(s, file));
	json_object_set_new(doc, "source", source_part(s, rel, nrel));
	json_object_set_new(doc, "devices", devices_and_bytes(s, bytes));
	json_object_set_new(doc, "bytes", bytes);
	json_object_set_new(doc, "problems", problems(s));
	json_object_set_new(doc, "destinations", dest_part(dest, ndest));
	if (s->err.set) {
		json_t *e = json_object();
		json_object_set_new(e, "message", vi_jstr(s->err.msg));
		json_object_set_new(e, "offset", s->err.has_offset ? ju(s->err.offset) : json_null());
		json_object_set_new(e, "exit_code", json_integer(s->err.exit_code));
		json_object_set_new(doc, "error", e);
	} else {
		json_object_set_new(doc, "error", json_null());
	}
	return doc;
}
