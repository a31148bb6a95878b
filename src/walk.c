/* walk.c - the record loop: header, configuration, sections, commands, EOF,
 * trailer.  Payloads are handed to the module that owns their kind. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "vi-limits.h"
#include "walk.h"
#include "schema-facts.h"
#include "schema-lazy.h"

static struct vi_section *bind_section(struct vi_walk *w, uint32_t id,
				       const char *idstr, uint32_t instance,
				       uint32_t version, uint64_t off)
{
	struct vi_section *s = walk_section_by_id(w, id);

	if (!s) {
		if (w->f->nsections == VI_MAX_SECTIONS) {
			vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				"more than %u sections", VI_MAX_SECTIONS);
			vi_error_hard(w->err);
			return NULL;
		}
		if (w->f->nsections == w->csections) {
			w->csections = w->csections ? w->csections * 2 : 64;
			w->f->sections = vi_xrealloc(w->f->sections,
						  w->csections * sizeof(*w->f->sections));
		}
		s = &w->f->sections[w->f->nsections];
		memset(s, 0, sizeof(*s));
		s->id = id;
		vi_map_put(&w->sec_map, id, w->f->nsections++);
	}
	s->id = id;
	if (!s->idstr || strcmp(s->idstr, idstr)) {
		if (s->idstr)
			vi_budget_release_ptr(s->idstr);
		free(s->idstr);
		s->idstr = vi_xstrdup(idstr);
		vi_budget_charge_ptr(s->idstr);
	}
	s->instance_id = instance;
	s->version_id = version;
	return s;
}

static int walk_footer(struct vi_walk *w, struct vi_node *sec, const struct vi_section *s)
{
	struct vi_reader *r = w->r;
	uint64_t off = rd_tell(r);
	uint8_t b;
	uint32_t id;
	char name[VI_ESC_NAME];

	if (w->f->footers == 0)
		return 0;
	vi_esc(name, sizeof(name), s->idstr);
	if (rd_peek(r, 0, &b, 1) != 1) {
		vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			"truncated: expected the footer of section %u (%s)", s->id, name);
		return vi_error_class(w->err, VI_C_TRUNCATED);
	}
	if (b != QVM_SECTION_FOOTER) {
		if (w->f->footers < 0 && walk_record_plausible(w, off)) {
			w->f->footers = 0;	/* send-section-footer=off machine type */
			return 0;
		}
		vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			"bad section footer for section %u (%s): found byte 0x%02x, "
			"expected 0x7e", s->id, name, b);
		return vi_error_class(w->err, VI_C_BAD_FOOTER);
	}
	w->f->footers = 1;
	if (rd_skip(r, 1, "footer") < 0 || rd_be32(r, &id, "footer section id") < 0)
		return -1;
	if (id != s->id) {
		vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 1,
			"bad section footer for section %u (%s): it names section id %u",
			s->id, name, id);
		return vi_error_class(w->err, VI_C_BAD_FOOTER);
	}
	sec->footer = 1;	/* its node is made when shown (vi_node_footer) */
	return 0;
}

/* No trailer entry: decode with the target schema, else find the footer. */
static int walk_schema_payload(struct vi_walk *w, struct vi_node *sec,
			       const struct vi_section *s)
{
	json_t *vmsd = vi_lazy_get(w->opts.schema_vmsds,
				   facts_vmsd_name(w->opts.schema_vmsds, s->idstr));
	json_t *variants = json_object_get(vmsd, "variants");
	struct vi_mismatch why = { "" };
	int rc;

	if (!vmsd)
		return walk_opaque_payload(w, sec, s->id);
	/* The main layout, then those of other classes with this vmsd name;
	 * first those a generated stream showed (they know the field types). */
	for (size_t k = 0; k < 2 * (json_array_size(variants) + 1); k++) {
		size_t i = k % (json_array_size(variants) + 1);
		json_t *d = i ? json_array_get(variants, i - 1) : vmsd;
		if (json_is_true(json_object_get(d, "observed")) != (k <= json_array_size(variants)))
			continue;
		rc = vmsd_decode_schema(&w->dec, d, sec, s->id, s->version_id, &why);
		if (rc == 0) {
			vi_node_put_s(sec, VI_A_DECODED_BY, "schema");
			return 0;
		}
		if (rc != VMSD_MISMATCH)
			return rc;
	}
	walk_warn(w, rd_tell(w->r), "section %u (%s): the schema does not explain it (%s); "
		  "section shown undecoded", s->id, s->idstr, why.msg);
	return walk_opaque_payload(w, sec, s->id);
}

static int walk_device_payload(struct vi_walk *w, struct vi_node *sec,
			       const struct vi_section *s)
{
	int exact;
	json_t *desc = vmdesc_take_device(w, s->idstr, s->instance_id, &exact);
	uint64_t start = rd_tell(w->r), undecoded;
	struct vi_mismatch why;
	size_t warnings;
	int rc;

	if (!desc)
		return walk_schema_payload(w, sec, s);
	vi_node_put_s(sec, VI_A_DECODED_BY, "vmdesc");
	vi_node_put_u(sec, VI_A_VMDESC_INDEX, w->vmdesc_taken);
	/* The trailer records exactly what was written: when the footer is not
	 * where it says, the footer is what is wrong (walk_footer says so) --
	 * unless the entry already failed to explain some of the bytes: QEMU
	 * 7.2 describes an array of pointers by its first element, so an array
	 * of NULL markers with one real element in it is longer than described
	 * (s390_css).  Then the entry is what is wrong. */
	undecoded = w->dec.undecoded_total;
	warnings = w->root->nkids;
	rc = vmsd_decode_payload(&w->dec, desc, sec, 0, &why);
	if (rc == 0 && (!exact || w->dec.undecoded_total > undecoded) &&
	    !walk_at_section_end(w, s->id))
		rc = VMSD_MISMATCH;	/* another entry's layout, or a wrong one */
	if (rc != VMSD_MISMATCH) {
		if (w->dec.undecoded_total > undecoded)
			vi_node_put_u(sec, VI_A_UNDECODED_BYTES, w->dec.undecoded_total - undecoded);
		return rc;
	}
	w->dec.undecoded_total = undecoded;
	vi_node_drop_kids_from(w->root, warnings);	/* this decode's element warnings */
	if (!exact)
		vmdesc_give_back(w);
	walk_warn(w, start, "section %u (%s): the VMDESCRIPTION entry does not match "
		  "the bytes (%s); section shown undecoded", s->id, s->idstr,
		  why.msg);
	vi_node_drop_kids_from(sec, 0);
	if (rd_seek(w->r, start) < 0)
		return -1;
	vi_node_put_s(sec, VI_A_DECODED_BY, "none");
	return walk_opaque_payload(w, sec, s->id);
}

static int walk_section(struct vi_walk *w, struct vi_node *parent, uint8_t type,
			uint64_t off)
{
	static const char *const kinds[] = { "", "start", "part", "end", "full" };
	struct vi_reader *r = w->r;
	struct vi_section *s;
	struct vi_node *sec;
	uint32_t id, instance = 0, version = 0;
	char idstr[256];
	int rc;

	if (type == QVM_SECTION_FULL && vmdesc_late_probe(w) < 0)
		return -1;
	if (rd_be32(r, &id, "section id") < 0)
		return -1;
	if (type == QVM_SECTION_START || type == QVM_SECTION_FULL) {
		if (rd_cstr(r, idstr, "section name") < 0 ||
		    rd_be32(r, &instance, "instance id") < 0 ||
		    rd_be32(r, &version, "section version") < 0)
			return -1;
		if (!idstr[0])
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 5,
				       "section %u has an empty name", id);
		if (!(s = bind_section(w, id, idstr, instance, version, off)))
			return -1;
	} else if (!(s = walk_section_by_id(w, id))) {
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 1,
			       "%s record for section id %u, which no START record opened",
			       kinds[type], id);
	}
	sec = vi_node_new(parent, VI_N_SECTION, s->idstr, kinds[type], off);
	/* ids, payload offset and length, undecoded bytes, decoded_by; a
	 * payload node and a footer */
	vi_node_reserve(sec, 7, 2);
	vi_node_put_u(sec, VI_A_SECTION_ID, id);
	vi_node_put_u(sec, VI_A_INSTANCE_ID, s->instance_id);
	vi_node_put_u(sec, VI_A_VERSION_ID, s->version_id);
	vi_node_put_u(sec, VI_A_PAYLOAD_OFFSET, rd_tell(r));
	if (type == QVM_SECTION_START || type == QVM_SECTION_FULL)
		s->first = sec;
	w->dec.empty_elems = 0;

	if (type == QVM_SECTION_FULL)
		rc = walk_device_payload(w, sec, s);
	else
		rc = walk_live_payload(w, sec, s->idstr, s->id, type == QVM_SECTION_START);
	if (!vi_node_get(sec, VI_A_UNDECODED_BYTES))
		vi_node_put_u(sec, VI_A_UNDECODED_BYTES, 0);
	vi_node_attr_u(sec, "payload_length",
		       rd_tell(r) - vi_node_get(sec, VI_A_PAYLOAD_OFFSET)->u);
	if (rc == 0)
		rc = walk_footer(w, sec, s);
	sec->length = rd_tell(r) - off;
	vi_node_fit(sec);
	return rc;
}

int walk_records(struct vi_walk *w, struct vi_node *parent, int nested)
{
	struct vi_reader *r = w->r;

	for (;;) {
		uint64_t off = rd_tell(r);
		uint8_t type;
		int rc;

		if (walk_node_budget(w) < 0)
			return -1;
		if (rd_u8(r, &type, nested ? "record type in PACKAGED data"
					   : "record type (section, command or EOF)") < 0)
			return -1;
		switch (type) {
		case QVM_EOF: {
			struct vi_node *e = vi_node_new(parent, VI_N_EOF, "eof", "eof", off);
			e->length = 1;
			return 0;
		}
		case QVM_SECTION_START:
		case QVM_SECTION_PART:
		case QVM_SECTION_END:
		case QVM_SECTION_FULL:
			rc = walk_section(w, parent, type, off);
			break;
		case QVM_COMMAND:
			rc = walk_command(w, parent);
			break;
		case QVM_CONFIGURATION:
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "configuration record (0x07) out of place: it may only "
				       "follow the file header");
		default:
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
				       "unknown record type 0x%02x (expected a section 0x01-0x04, "
				       "a command 0x08 or EOF 0x00)", type);
		}
		if (rc < 0)
			return -1;
	}
}

static int walk_header(struct vi_walk *w)
{
	struct vi_node *h = vi_node_new(w->root, VI_N_HEADER, "header", "header", 0);
	uint32_t magic, version;

	h->length = 8;
	if (rd_be32(w->r, &magic, "stream magic") < 0)
		return vi_error_class(w->err, VI_C_BAD_MAGIC);
	if (magic != QEVM_MAGIC) {
		vi_fail(w->err, VI_EXIT_INPUT, 0,
			"bad magic 0x%08x, expected 0x5145564d (\"QEVM\")", magic);
		return vi_error_class(w->err, VI_C_BAD_MAGIC);
	}
	if (rd_be32(w->r, &version, "stream version") < 0)
		return vi_error_class(w->err, VI_C_BAD_MAGIC);
	vi_node_attr_s(h, "magic", "QEVM");
	vi_node_put_u(h, VI_A_VERSION, version);
	if (version == QEVM_VERSION_COMPAT)
		vi_fail(w->err, VI_EXIT_INPUT, 4,
			"stream version 2 (SaveVM v2) is obsolete; no QEMU in range loads it");
	else if (version != QEVM_VERSION)
		vi_fail(w->err, VI_EXIT_INPUT, 4,
			"unsupported stream version %u, expected 3", version);
	if (w->err->set)
		return vi_error_class(w->err, VI_C_BAD_MAGIC);
	return 0;
}

/* The walk is over: the section table and its map served to find a record's
 * section by id, and nothing reads them afterwards (on 100 000 sections they
 * held ~4 MB until the session closed). */
static void forget_sections(struct vi_walk *w)
{
	for (size_t i = 0; i < w->f->nsections; i++) {
		vi_budget_release_ptr(w->f->sections[i].idstr);
		free(w->f->sections[i].idstr);
	}
	free(w->f->sections);
	w->f->sections = NULL;
	w->f->nsections = 0;
	w->csections = 0;
	vi_map_free(&w->sec_map);
}

int vi_walk_stream(struct vi_walk *w, struct vi_reader *r,
		   const struct vi_walk_opts *opts, struct vi_stream_facts *facts,
		   struct vi_error *err)
{
	uint8_t b;
	int rc;

	memset(w, 0, sizeof(*w));
	memset(facts, 0, sizeof(*facts));
	w->f = facts;
	w->r = r;
	w->err = err;
	if (opts)
		w->opts = *opts;
	w->f->ram_digests = w->opts.ram_digests;
	w->f->footers = -1;
	w->f->vmdesc_offset = UINT64_MAX;
	w->nodes_made0 = vi_node_made();
	walk_decode_env(w);
	w->root = vi_node_new(NULL, VI_N_ROOT, "stream", "stream", 0);
	w->root->length = r->size;

	if (walk_header(w) < 0)
		return -1;
	if (rd_streaming(r))
		w->probe_late = 1;	/* the trailer is at the end: vmdesc_late_probe */
	else if (vmdesc_probe(w) < 0)
		return -1;
	if (rd_peek(r, 0, &b, 1) == 1 && b == QVM_CONFIGURATION)
		if (walk_configuration(w, w->root) < 0)
			return -1;
	rc = walk_records(w, w->root, 0);
	if (rc == 0)
		rc = vmdesc_walk_trailer(w);
	walk_ram_summarise(w);
	if (rc == 0)
		vi_node_put_u(w->root, VI_A_UNDECODED_BYTES, w->dec.undecoded_total);
	if (rd_streaming(r))
		w->root->length = r->size != UINT64_MAX ? r->size : rd_tell(r);
	forget_sections(w);
	return rc;
}

void vi_walk_free(struct vi_walk *w)
{
	vi_node_free(w->root);
	if (w->f) {
		json_decref(w->f->vmdesc);
		for (size_t i = 0; i < w->f->nblocks; i++)
			ram_pages_free(&w->f->blocks[i].pg);
		free(w->f->blocks);
		forget_sections(w);	/* a walk that stopped early has them */
		memset(w->f, 0, sizeof(*w->f));
	}
	free(w->vmdesc_used);
	vi_map_free(&w->sec_map);
	free(w->vd_keys);
	free(w->vd_pos);
	free(w->vd_free);
	free(w->block_hash);
	memset(w, 0, sizeof(*w));
}
