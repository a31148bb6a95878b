/* report-triage-versions.c - how a walked stream's section versions compare with one
 * target's schema (vi_triage_versions): the evidence `report` gives for which
 * QEMU release wrote the stream.  The rest of the report is in report-triage.c. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "schema-facts.h"
#include "schema-shape.h"
#include "report-triage.h"
#include "vi-tree.h"

/* Sections every release and architecture has alike (migration's own): no
 * evidence of which QEMU wrote the stream. */
static int generic_section(const char *name)
{
	return !strcmp(name, "ram") || !strcmp(name, "block") || !strcmp(name, "dirty-bitmap");
}

/* Does the release know every subsection the section carries? */
static const char *unknown_subsection(const struct vi_node *sec, const struct vi_shape *vmsd)
{
	for (size_t k = 0; k < sec->nkids; k++)
		if (sec->kids[k]->kind == VI_N_SUBSECTION &&
		    !vi_shape_knows_subsection(vmsd, sec->kids[k]->name))
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

/* The schema's field called name (the exact name first, then one that
 * differs only in a trailing index), into *f; 0 when there is none. */
static int schema_field(const struct vi_shape_list *fields, const char *name,
			struct vi_shape_field *f)
{
	struct vi_shape_list l = *fields;
	size_t len = base_len(name);

	while (vi_shape_next(&l, f))
		if (f->name && !strcmp(f->name, name))
			return 1;
	for (l = *fields; vi_shape_next(&l, f);)
		if (f->name && base_len(f->name) == len && !strncmp(f->name, name, len))
			return 1;
	return 0;
}

/* The first field under n that fields lacks or types otherwise (structs
 * compared field by field), or NULL. */
static const char *field_differs(const struct vi_node *n, const struct vi_shape_list *fields,
				 int depth)
{
	if (vi_shape_list_empty(fields) || depth > 8)
		return NULL;
	for (size_t k = 0; k < n->nkids; k++) {
		const struct vi_node *x = n->kids[k];
		struct vi_shape_field f;
		const char *r;
		if (x->kind != VI_N_FIELD || !x->name[0] || x->name[0] == '[')
			continue;	/* "[0]": an element, compared with its field */
		if (!schema_field(fields, x->name, &f))
			return x->name;
		if (!x->nkids && f.type && x->type[0] && strcmp(f.type, x->type) != 0)
			return x->name;
		if (x->nkids && x->kids[0]->name[0] == '[')	/* arrays: not compared */
			continue;
		if (x->nkids && f.has_struct && (r = field_differs(x, &f.kids, depth + 1)))
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
static const char *unknown_field(const struct vi_node *sec, const struct vi_shape *vmsd)
{
	struct vi_shape_list l;

	vi_shape_fields(vmsd, &l);
	return field_differs(sec, &l, 0);
}

/* Every architecture calls its CPU's vmstate "cpu", with fields of its own
 * (x86 env.regs, ARM cpreg_indexes, RISC-V env.gpr ...): at least half of
 * the stream's top-level cpu fields must be the schema's. */
static int cpu_matches(const struct vi_node *root, const struct vi_shape *vmsd)
{
	const struct vi_node *cpu = NULL;
	size_t have = 0, known = 0, i;
	struct vi_shape_list all, l;
	struct vi_shape_field f;

	for (i = 0; root && i < root->nkids && !cpu; i++)
		if (vi_node_is_first_record(root->kids[i]) && !strcmp(root->kids[i]->name, "cpu"))
			cpu = root->kids[i];
	if (!cpu || !vmsd)
		return cpu && !vmsd ? 0 : -1;
	vi_shape_fields(vmsd, &all);
	for (i = 0; i < cpu->nkids; i++) {
		const struct vi_node *x = cpu->kids[i];
		if (x->kind != VI_N_FIELD)
			continue;
		have++;
		for (l = all; vi_shape_next(&l, &f);)
			if (f.name && !strcmp(f.name, x->name)) {
				known++;
				break;
			}
	}
	return have < 3 ? -1 : 2 * known >= have;
}

/* A target's lookups by section name (names are interned: one pointer per
 * name), so a stream of many sections of one device looks it up once. */
#define MEMO 64
struct memo {
	const char *name[MEMO];
	int found[MEMO];
	struct vi_shape shape[MEMO];
};

static int lookup(const struct vi_schema *schema, struct memo *m, const char *name,
		  struct vi_shape *v)
{
	size_t k = ((uintptr_t)name >> 4) % MEMO;

	if (m->name[k] != name) {
		m->name[k] = name;
		m->found[k] = schema_shape(schema, facts_vmsd_name(schema->vmsds, name),
					   &m->shape[k]);
	}
	*v = m->shape[k];
	return m->found[k];
}

/* One section against one target: counted in r. */
static void weigh(const struct vi_node *sec, const struct vi_schema *schema, struct memo *m,
		  struct vi_triage_release *r)
{
	const char *t = r->target ? r->target : "the schema", *sub, *fld;
	struct vi_shape v;
	int64_t have, want;

	if (!lookup(schema, m, sec->name, &v) || !vi_shape_version(&v, &want)) {
		r->unknown++;
		return;
	}
	have = (int64_t)vi_node_u(sec, VI_A_VERSION_ID, 0);
	sub = have == want ? unknown_subsection(sec, &v) : NULL;
	fld = have == want && !sub && by_trailer(sec) ? unknown_field(sec, &v) : NULL;
	if (have == want && !sub && !fld) {
		r->same++;
		return;
	}
	if (r->differ++)
		return;
	if (fld)
		snprintf(r->first_differ, sizeof(r->first_differ),
			 "%s: field %s is not %s's (same version, other name or type)", sec->name, fld, t);
	else if (sub)
		snprintf(r->first_differ, sizeof(r->first_differ),
			 "%s: subsection %s unknown to %s", sec->name, sub, t);
	else
		snprintf(r->first_differ, sizeof(r->first_differ),
			 "%s: version %" PRId64 " in the stream, %" PRId64 " in %s",
			 sec->name, have, want, t);
}

void vi_triage_versions(const struct vi_session *s, const struct vi_schema *const *schemas,
			struct vi_triage_release *const *r, size_t n)
{
	const struct vi_node *root = s->root;
	struct memo *m = vi_xmalloc((n ? n : 1) * sizeof(*m));
	struct vi_shape cpu;

	memset(m, 0, (n ? n : 1) * sizeof(*m));
	for (size_t t = 0; t < n; t++) {
		r[t]->same = r[t]->differ = r[t]->unknown = 0;
		r[t]->first_differ[0] = '\0';
		r[t]->cpu_match = cpu_matches(root, schema_shape(schemas[t], "cpu", &cpu) ? &cpu : NULL);
	}
	/* One pass over the sections, each weighed against every target. */
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *sec = root->kids[i];
		if (!vi_node_is_first_record(sec) || generic_section(sec->name))
			continue;
		for (size_t t = 0; t < n; t++)
			weigh(sec, schemas[t], &m[t], r[t]);
	}
	free(m);
}
