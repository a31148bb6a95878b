/* report-triage.c - gathering what `report` shows about one walked stream into a
 * struct vi_triage_report (report-triage.h): the views only walk that. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report-triage.h"
#include "vi-release.h"
#include "vi-map.h"

const char *const vi_report_sev_names[] = { "warning", "note", "error" };

/* ---- input and source ----------------------------------------------------- */

static void input_part(struct vi_triage_report *r, const struct vi_session *s, const char *file)
{
	const struct vi_node *root = s->root;

	r->file = file;
	r->file_size = s->in.input_size;
	r->container = s->in.container ? s->in.container : "?";
	r->filters = s->in.filters;
	r->nfilters = s->in.nfilters;
	r->detail = s->in.detail[0] ? s->in.detail : NULL;
	r->stream_offset = s->in.base;
	r->stream_size = s->in.size;
	r->libvirt = s->in.libvirt;
	r->snapshot = s->in.has_snapshot ? &s->in.snapshot : NULL;
	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == VI_N_HEADER) {
			r->has_qevm = 1;
			r->qevm_version = vi_node_u(root->kids[i], VI_A_VERSION, 0);
		}
}

/* since: the release the stream's machine type came with (X*100+Y), or -1 */
static void release_part(struct vi_triage_report *r, const struct vi_triage_release *rel, size_t n,
			 int since)
{
	const struct vi_triage_release *best = NULL;
	int any_known = 0, other_arch = n > 0, too_old = 0;

	r->rel = rel;
	r->nrel = n;
	r->fit = vi_xmalloc((n ? n : 1) * sizeof(*r->fit));
	for (size_t i = 0; i < n; i++) {
		any_known |= rel[i].machine_known;
		other_arch &= rel[i].cpu_match == 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vi_triage_release *x = &rel[i];
		if ((any_known && !x->machine_known) || !x->cpu_match)
			continue;
		if (since >= 0 && vi_release_num_of_id(x->target) >= 0 &&
		    vi_release_num_of_id(x->target) < since) {
			too_old++;	/* a release before the machine type existed */
			if (!best || x->differ + x->unknown < best->differ + best->unknown)
				best = x;
			continue;
		}
		if (!x->differ && !x->unknown && x->same && x->target)
			r->fit[r->nfit++] = i;
		if (!best || x->differ + x->unknown < best->differ + best->unknown)
			best = x;
	}
	r->other_architecture = other_arch;
	r->newer_than_installed = !any_known && too_old && !r->nfit;
	if (!r->nfit && best && best->same + best->differ && best->target)
		r->closest = best;
}

static void source_part(struct vi_triage_report *r, const struct vi_session *s,
			const struct vi_triage_release *rel, size_t nrel)
{
	const struct vi_stream_facts *w = &s->facts;
	unsigned maj, min;
	int since = -1;

	if (w->machine[0]) {
		r->machine = w->machine;
		if (vi_release_of_machine(w->machine, &maj, &min)) {
			snprintf(r->machine_since, sizeof(r->machine_since), "%u.%u", maj, min);
			since = (int)(maj * 100 + min);
		}
	}
	r->has_page_size = w->page_size != 0;
	r->page_size = w->page_size;
	r->page_size_from = w->page_size_from ? w->page_size_from : "unknown";
	r->trailer = w->vmdesc != NULL;
	r->section_footers = w->footers == 1;
	if (w->cap_mapped_ram)
		r->caps[r->ncaps++] = "mapped-ram";
	if (w->cap_ignore_shared)
		r->caps[r->ncaps++] = "x-ignore-shared";
	for (size_t i = 0; i < w->nblocks; i++)
		if (w->blocks[i].xbzrle_pages) {
			r->caps[r->ncaps++] = "xbzrle";
			break;
		}
	for (size_t i = 0; i < w->nblocks; i++)
		if (w->blocks[i].compressed_pages) {
			r->caps[r->ncaps++] = "compress";
			break;
		}
	for (size_t i = 0; s->root && i < s->root->nkids; i++)
		if (s->root->kids[i]->kind == VI_N_COMMAND) {
			r->commands = vi_xrealloc(r->commands, (r->ncommands + 1) * sizeof(*r->commands));
			r->commands[r->ncommands++] = s->root->kids[i]->name;
		}
	release_part(r, rel, nrel, since);
}

/* ---- devices and bytes ----------------------------------------------------- */

static void devices_and_bytes(struct vi_triage_report *r, const struct vi_session *s)
{
	const struct vi_node *root = s->root;
	uint64_t seen = 0;
	struct vi_report_device *d = NULL;
	struct vi_map live = { 0 };	/* section id -> index of the device whose
					   START opened it (a later START of the
					   same id replaces it, as in the stream) */
	size_t nd = 0, cap = 0;

	for (size_t i = 0; root && i < root->nkids; i++)	/* sized once: 100 000 of them */
		cap += root->kids[i]->kind == VI_N_SECTION && vi_node_is_first_record(root->kids[i]);
	d = vi_xmalloc((cap ? cap : 1) * sizeof(*d));
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		seen += k->length;
		switch (k->kind) {
		case VI_N_HEADER: case VI_N_CONFIG:
			r->b_header += k->length;
			break;
		case VI_N_VMDESC:
			r->b_trailer += k->length;
			break;
		case VI_N_SECTION: {
			size_t j;
			uint32_t id = (uint32_t)vi_node_u(k, VI_A_SECTION_ID, 0);
			if (!strcmp(k->name, "ram")) {
				r->b_ram += k->length;
				break;
			}
			r->b_devices += k->length;
			if (vi_node_is_first_record(k)) {		/* FULL or START: a device of its own */
				memset(&d[nd], 0, sizeof(*d));
				d[nd].first = k;
				d[nd].section = k->name;
				d[nd].decoded_by = vi_node_s(k, VI_A_DECODED_BY);
				d[nd].instance_id = vi_node_u(k, VI_A_INSTANCE_ID, 0);
				d[nd].version_id = vi_node_u(k, VI_A_VERSION_ID, 0);
				d[nd].offset = k->offset;
				j = nd++;
				vi_map_put(&live, id, j);
			} else if ((j = vi_map_get(&live, id)) == SIZE_MAX) {
				break;			/* a PART/END without its START */
			}
			d[j].bytes += k->length;
			d[j].undecoded += vi_node_u(k, VI_A_UNDECODED_BYTES, 0);
			d[j].records++;
			break;
		}
		default:
			r->b_other += k->length;
		}
	}
	vi_map_free(&live);
	r->devices = d;
	r->ndevices = nd;
	r->b_stream = s->in.size;
	r->b_not_walked = s->in.size > seen ? s->in.size - seen : 0;
	r->blocks = vi_xmalloc((s->facts.nblocks ? s->facts.nblocks : 1) * sizeof(*r->blocks));
	r->nblocks = s->facts.nblocks;
	for (size_t i = 0; i < s->facts.nblocks; i++) {
		const struct vi_ramblock *b = &s->facts.blocks[i];
		struct vi_report_block *x = &r->blocks[i];
		memset(x, 0, sizeof(*x));
		x->name = b->name;
		x->used_length = b->used_length;
		x->pages = b->pages;
		x->zero_pages = b->zero_pages;
		x->normal_pages = b->normal_pages;
		x->xbzrle_pages = b->xbzrle_pages;
		x->compressed_pages = b->compressed_pages;
		if (s->facts.ram_digests && b->pg.done) {	/* --digests */
			x->digest = b->pg.unavailable ? VI_DIGEST_UNAVAILABLE : VI_DIGEST_HEX;
			x->hex = b->pg.hex;
		}
	}
}

/* ---- what is wrong ---------------------------------------------------------- */

static void add_problem(struct vi_triage_report *r, enum vi_report_sev sev, int has_offset,
			uint64_t offset, const char *msg)
{
	r->problems = vi_xrealloc(r->problems, (r->nproblems + 1) * sizeof(*r->problems));
	r->problems[r->nproblems++] = (struct vi_report_problem){ sev, has_offset, offset, msg };
}

static void problems(struct vi_triage_report *r, const struct vi_session *s)
{
	const struct vi_node *root = s->root;
	uint64_t undecoded = 0;

	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		if (k->kind == VI_N_SECTION)
			undecoded += vi_node_u(k, VI_A_UNDECODED_BYTES, 0);
		if (k->kind == VI_N_WARNING)
			add_problem(r, VI_RP_WARNING, 1, k->offset, k->vt == VI_V_STR ? k->v.s : k->name);
	}
	if (undecoded) {
		snprintf(r->undecoded_note, sizeof(r->undecoded_note), "%" PRIu64 " bytes of device "
			 "sections could not be decoded into fields (listed per device)", undecoded);
		add_problem(r, VI_RP_NOTE, 0, 0, r->undecoded_note);
	}
	if (s->err.set)
		add_problem(r, VI_RP_ERROR, s->err.has_offset, s->err.offset, s->err.msg);
}

static void dest_part(struct vi_triage_report *r, const struct vi_triage_dest *d, size_t n)
{
	r->dests = vi_xmalloc((n ? n : 1) * sizeof(*r->dests));
	r->ndests = n;
	for (size_t i = 0; i < n; i++) {
		struct vi_report_dest *x = &r->dests[i];
		memset(x, 0, sizeof(*x));
		x->d = &d[i];
		x->first_error = vi_findings_first_error(&d[i].findings);
		x->errors = d[i].findings.total_errors;	/* also those past the list's cap */
		x->warnings = d[i].findings.total_warnings;
	}
}

void vi_triage_build(struct vi_triage_report *r, const struct vi_session *s, const char *file,
		     const struct vi_triage_release *rel, size_t nrel,
		     const struct vi_triage_dest *dest, size_t ndest)
{
	memset(r, 0, sizeof(*r));
	r->root = s->root;
	input_part(r, s, file);
	source_part(r, s, rel, nrel);
	devices_and_bytes(r, s);
	problems(r, s);
	dest_part(r, dest, ndest);
	r->err = s->err.set ? &s->err : NULL;
}

void vi_triage_error(struct vi_triage_report *r, const char *file, json_t *error)
{
	json_t *m = json_object_get(error, "message");

	memset(r, 0, sizeof(*r));
	r->error_only = 1;
	r->file = file;
	r->error_doc = error;
	r->error_message = json_is_string(m) ? json_string_value(m) : NULL;
}

void vi_triage_free(struct vi_triage_report *r)
{
	free(r->fit);
	free(r->commands);
	free(r->devices);
	free(r->blocks);
	free(r->problems);
	free(r->dests);
	json_decref(r->error_doc);
	memset(r, 0, sizeof(*r));
}
