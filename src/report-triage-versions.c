/* report-triage-versions.c - how a walked stream's section versions compare with one
 * target's schema (vi_triage_versions): the evidence `report` gives for which
 * QEMU release wrote the stream.  The rest of the report is in report-triage.c. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "schema-facts.h"
#include "report-triage.h"

/* Sections every release and architecture has alike (migration's own): no
 * evidence of which QEMU wrote the stream. */
static int generic_section(const char *name)
{
	return !strcmp(name, "ram") || !strcmp(name, "block") || !strcmp(name, "dirty-bitmap");
}

/* Does the release know every subsection the section carries? */
static const char *unknown_subsection(const struct vi_node *sec, json_t *vmsd)
{
	for (size_t k = 0; k < sec->nkids; k++)
		if (sec->kids[k]->kind == VI_N_SUBSECTION &&
		    !schema_subsection(vmsd, sec->kids[k]->name) &&
		    schema_subsection_name_known(vmsd, sec->kids[k]->name) != 1)
			return sec->kids[k]->name;
	return NULL;
}

static int by_trailer(const struct vi_node *sec)
{
	const struct vi_attr *a = vi_node_get(sec, VI_A_DECODED_BY);

	return a && a->is_str && !strcmp(a->s, "vmdesc");
}

/* The length of name without a trailing index ("env.cr[0]", "bus[0].ifs[1]"). */
static size_t base_len(const char *name)
{
	size_t n = strlen(name);
	const char *b = strrchr(name, '[');

	return n && name[n - 1] == ']' && b ? (size_t)(b - name) : n;
}

static json_t *schema_field(json_t *fields, const char *name)
{
	size_t len = base_len(name), i;
	json_t *f;

	json_array_foreach(fields, i, f)	/* the exact name first */
		if (json_is_string(json_object_get(f, "name")) &&
		    !strcmp(json_string_value(json_object_get(f, "name")), name))
			return f;
	json_array_foreach(fields, i, f) {
		json_t *n = json_object_get(f, "name");
		if (json_is_string(n) && base_len(json_string_value(n)) == len &&
		    !strncmp(json_string_value(n), name, len))
			return f;
	}
	return NULL;
}

/* The first field under n that fields lacks or types otherwise (structs
 * compared field by field), or NULL. */
static const char *field_differs(const struct vi_node *n, json_t *fields, int depth)
{
	if (!json_array_size(fields) || depth > 8)
		return NULL;
	for (size_t k = 0; k < n->nkids; k++) {
		const struct vi_node *x = n->kids[k];
		json_t *f, *ty, *st;
		const char *r;
		if (x->kind != VI_N_FIELD || !x->name[0] || x->name[0] == '[')
			continue;	/* "[0]": an element, compared with its field */
		if (!(f = schema_field(fields, x->name)))
			return x->name;
		ty = json_object_get(f, "type");
		st = json_object_get(f, "struct");
		if (!x->nkids && json_is_string(ty) && x->type[0] &&
		    strcmp(json_string_value(ty), x->type) != 0)
			return x->name;
		if (x->nkids && x->kids[0]->name[0] == '[')	/* arrays: not compared */
			continue;
		if (x->nkids && st && (r = field_differs(x, json_object_get(st, "fields"), depth + 1)))
			return r;
	}
	return NULL;
}

/* A field (top-level, or in a struct that is no array) that the stream's
 * trailer names or types otherwise than the schema's vmstate of the same
 * version: fields are renamed or retyped between releases without a version
 * change (5.2's ps2kbd "common" is 7.2's "parent_obj", 11.1's ARM
 * cpreg_vmstate_array_len a plain int32), so another release wrote the
 * stream.  NULL when the schema lists no fields.  Only for sections the
 * trailer decoded (else the names are the schema's own). */
static const char *unknown_field(const struct vi_node *sec, json_t *vmsd)
{
	return field_differs(sec, json_object_get(vmsd, "fields"), 0);
}

/* Every architecture calls its CPU's vmstate "cpu", with fields of its own
 * (x86 env.regs, ARM cpreg_indexes, RISC-V env.gpr ...): at least half of
 * the stream's top-level cpu fields must be the schema's. */
static int cpu_matches(const struct vi_node *root, json_t *vmsd)
{
	const struct vi_node *cpu = NULL;
	size_t have = 0, known = 0, i, k;
	json_t *f;

	for (i = 0; root && i < root->nkids && !cpu; i++)
		if (vi_node_is_first_record(root->kids[i]) && !strcmp(root->kids[i]->name, "cpu"))
			cpu = root->kids[i];
	if (!cpu || !vmsd)
		return cpu && !vmsd ? 0 : -1;
	for (i = 0; i < cpu->nkids; i++) {
		const struct vi_node *x = cpu->kids[i];
		if (x->kind != VI_N_FIELD)
			continue;
		have++;
		json_array_foreach(json_object_get(vmsd, "fields"), k, f) {
			json_t *n = json_object_get(f, "name");
			if (json_is_string(n) && !strcmp(json_string_value(n), x->name)) {
				known++;
				break;
			}
		}
	}
	return have < 3 ? -1 : 2 * known >= have;
}

void vi_triage_versions(const struct vi_session *s, const struct vi_schema *schema,
			struct vi_triage_release *r)
{
	const struct vi_node *root = s->root;
	const char *t = r->target ? r->target : "the schema";

	r->same = r->differ = r->unknown = 0;
	r->first_differ[0] = '\0';
	r->cpu_match = cpu_matches(root, schema_vmsd(schema, "cpu"));
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *sec = root->kids[i];
		const char *sub, *fld;
		json_t *v;
		json_int_t have, want;
		if (!vi_node_is_first_record(sec) || generic_section(sec->name))
			continue;
		v = schema_vmsd(schema, facts_vmsd_name(schema->vmsds, sec->name));
		if (!v || !json_is_integer(json_object_get(v, "version_id"))) {
			r->unknown++;
			continue;
		}
		have = (json_int_t)vi_node_u(sec, VI_A_VERSION_ID, 0);
		want = json_integer_value(json_object_get(v, "version_id"));
		sub = have == want ? unknown_subsection(sec, v) : NULL;
		fld = have == want && !sub && by_trailer(sec) ? unknown_field(sec, v) : NULL;
		if (have == want && !sub && !fld) {
			r->same++;
			continue;
		}
		if (r->differ++)
			continue;
		if (fld)
			snprintf(r->first_differ, sizeof(r->first_differ),
				 "%s: field %s is not %s's (same version, other name or type)", sec->name, fld, t);
		else if (sub)
			snprintf(r->first_differ, sizeof(r->first_differ),
				 "%s: subsection %s unknown to %s", sec->name, sub, t);
		else
			snprintf(r->first_differ, sizeof(r->first_differ),
				 "%s: version %" JSON_INTEGER_FORMAT " in the stream, %"
				 JSON_INTEGER_FORMAT " in %s", sec->name, have, want, t);
	}
}
