/* explain-locate.c - where in a walked stream each of QEMU's error lines
 * points (the table's enum explain_loc): the section, field, subsection or
 * byte.  The command (cmd-explain.c) matches the lines and shows them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "explain.h"
#include "session.h"

/* ---- the tree ------------------------------------------------------------- */

static int is_section_named(const struct vi_node *n, const char *name)
{
	return n->kind == VI_N_SECTION && name[0] && vi_idstr_names(n->name, name);
}

/* The first START/FULL section named name (instance: UINT64_MAX any). */
static const struct vi_node *find_section(const struct vi_node *root, const char *name,
					  uint64_t instance)
{
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		if (is_section_named(k, name) && vi_node_get(k, VI_A_INSTANCE_ID) &&
		    (instance == UINT64_MAX || vi_node_u(k, VI_A_INSTANCE_ID, 0) == instance))
			return k;
	}
	return NULL;
}

static const struct vi_node *find_section_id(const struct vi_node *root, uint64_t id)
{
	for (size_t i = 0; root && i < root->nkids; i++) {
		const struct vi_node *k = root->kids[i];
		if (k->kind == VI_N_SECTION && vi_node_u(k, VI_A_SECTION_ID, UINT64_MAX) == id)
			return k;
	}
	return NULL;
}

static const struct vi_node *find_kind(const struct vi_node *root, enum vi_kind kind)
{
	for (size_t i = 0; root && i < root->nkids; i++)
		if (root->kids[i]->kind == kind)
			return root->kids[i];
	return NULL;
}

/* Does n stand for vmsd (a struct, subsection or section of that name)? */
static int names_vmsd(const struct vi_node *n, const char *vmsd)
{
	if (is_section_named(n, vmsd) || !strcmp(n->name, vmsd))
		return 1;
	return n->type && !strncmp(n->type, "struct ", 7) && !strcmp(n->type + 7, vmsd);
}

/* Depth first: a node named name (any name if NULL) below an ancestor that
 * names vmsd (any if NULL or empty); pred filters further. */
static const struct vi_node *find_below(const struct vi_node *n, const char *name,
					const char *vmsd, int in_vmsd,
					int (*pred)(const struct vi_node *, const void *),
					const void *arg)
{
	for (size_t i = 0; i < n->nkids; i++) {
		const struct vi_node *k = n->kids[i], *r;
		int inside = in_vmsd || !vmsd || !vmsd[0] || names_vmsd(n, vmsd);
		if (inside && (!name || !strcmp(k->name, name)) && (!pred || pred(k, arg)))
			return k;
		if ((r = find_below(k, name, vmsd, inside, pred, arg)))
			return r;
	}
	return NULL;
}

static int has_value(const struct vi_node *n, const void *arg)
{
	uint64_t v = *(const uint64_t *)arg;
	return (n->vt == VI_V_UINT && n->v.u == v) || (n->vt == VI_V_INT && (uint64_t)n->v.i == v);
}

static int is_pci_config(const struct vi_node *n, const void *arg)
{
	(void)arg;
	return n->type && !strcmp(n->type, "pci config");
}

static int is_stream_ramblock(const struct vi_node *n, const void *arg)
{
	(void)arg;
	return n->kind == VI_N_RAMBLOCK && n->parent && !strcmp(n->parent->name, "ramblocks");
}

const struct vi_node *explain_section_of(const struct vi_node *n)
{
	while (n && n->kind != VI_N_SECTION)
		n = n->parent;
	return n;
}

void explain_path_of(const struct vi_node *n, char *out, size_t size)
{
	const struct vi_node *chain[64];
	size_t k = 0, len = 0;

	for (; n && n->kind != VI_N_ROOT && k < 64; n = n->parent)
		chain[k++] = n;
	out[0] = '\0';
	while (k-- > 0 && len < size) {
		char esc[VI_ESC_NAME];
		const struct vi_node *c = chain[k];
		vi_esc(esc, sizeof(esc), c->name);
		if (c->kind == VI_N_SECTION && vi_node_get(c, VI_A_INSTANCE_ID))
			len += (size_t)snprintf(out + len, size - len, "%s%s[%" PRIu64 "]",
						len ? "/" : "", esc, vi_node_u(c, VI_A_INSTANCE_ID, 0));
		else
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "/" : "", esc);
	}
}

/* ---- locating ------------------------------------------------------------- */

static void at(struct ex_line *l, const struct vi_node *n, uint64_t off, const char *how)
{
	l->node = n;
	l->offset = n && off == UINT64_MAX ? n->offset : off;
	l->located = n != NULL || off != UINT64_MAX;
	l->how = how;
}

static int walk_error_at(struct ex_line *l, const struct explain_ctx *c)
{
	if (!c->err->set || !c->err->has_offset)
		return 0;
	at(l, NULL, c->err->offset, "where the stream stops being readable");
	return 1;
}

void explain_locate(struct ex_line *l, const struct explain_ctx *c)
{
	const char *g1 = l->g[0], *g2 = l->g[1];
	const struct vi_node *scope = c->device ? c->device : c->root, *n;
	uint64_t v;

	switch (l->row->loc) {
	case EX_HEADER:
		at(l, find_kind(c->root, VI_N_HEADER), 0, "the file header");
		l->located = 1;
		return;
	case EX_CONFIG:
		if ((n = find_kind(c->root, VI_N_CONFIG)))
			return at(l, n, UINT64_MAX, "the configuration record");
		at(l, NULL, 8, "where the configuration record should be");
		return;
	case EX_CONFIG_PAGE:
	case EX_CONFIG_CAPS:
		if ((n = find_kind(c->root, VI_N_CONFIG))) {
			const struct vi_node *s = find_below(n, l->row->loc == EX_CONFIG_PAGE
				? "configuration/target-page-bits" : "configuration/capabilities",
				NULL, 1, NULL, NULL);
			return at(l, s ? s : n, UINT64_MAX, "the configuration record");
		}
		return;
	case EX_TRAILER:
		if ((n = find_kind(c->root, VI_N_EOF)))
			return at(l, n, UINT64_MAX, "the EOF record");
		walk_error_at(l, c);
		return;
	case EX_SECTION_INSTANCE:
	case EX_SECTION_INSTANCE_HEX:
		v = strtoull(g2, NULL, l->row->loc == EX_SECTION_INSTANCE ? 10 : 16);
		if ((n = find_section(c->root, g1, v)))
			return at(l, n, UINT64_MAX, "the section's header");
		break;
	case EX_SECTION_ID:
		if ((n = find_section_id(c->root, strtoull(g1, NULL, 10))))
			return at(l, n, UINT64_MAX, "the first record of that section id");
		break;
	case EX_SECTION_VERSION:
		if ((n = find_section(c->root, g1, UINT64_MAX)))	/* type id len idstr instance */
			return at(l, n, n->offset + 1 + 4 + 1 + strlen(n->name) + 4,
				  "the section's version_id");
		if ((n = find_below(scope, NULL, NULL, 1, NULL, NULL)) && c->device &&
		    (n = find_below(c->device, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the nested description");
		break;
	case EX_SECTION:
		if ((n = find_section(c->root, g1, UINT64_MAX)))
			return at(l, n, UINT64_MAX, "the section");
		if ((n = find_below(scope, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the nested description");
		break;
	case EX_FOOTER:
		if ((n = find_section(c->root, g1, UINT64_MAX))) {
			const struct vi_node *f = vi_node_footer(n, &l->footer, &l->footer_attr);
			if (c->err->set && c->err->has_offset && c->err->offset >= n->offset &&
			    c->err->offset <= n->offset + n->length + 5)
				return at(l, n, c->err->offset, "the byte where the footer should be");
			return at(l, f ? f : n, f ? UINT64_MAX : n->offset + n->length,
				  "the section's footer");
		}
		break;
	case EX_FIELD:
		if ((n = find_below(scope, g2, g1, 0, NULL, NULL)) ||
		    (c->device && (n = find_below(c->root, g2, g1, 0, NULL, NULL))))
			return at(l, n, UINT64_MAX, "the field");
		if (g1[0] && (n = find_below(scope, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the description the field belongs to");
		if (walk_error_at(l, c))
			return;
		break;
	case EX_SUBSECTION:
		if ((n = find_below(scope, g1, NULL, 1, NULL, NULL)))
			return at(l, n, UINT64_MAX, "the subsection");
		if ((n = find_section(c->root, g2, UINT64_MAX)))
			return at(l, n, UINT64_MAX, "the section holding the subsection");
		break;
	case EX_PCI_CONFIG:
		v = strtoull(g1, NULL, 16);
		if ((n = find_below(scope, "config", "PCIDevice", 0, is_pci_config, NULL)) ||
		    (n = find_below(scope, NULL, NULL, 1, is_pci_config, NULL)))
			return at(l, n, v < n->length ? n->offset + v : UINT64_MAX,
				  "the byte of the PCI config space");
		break;
	case EX_RAMBLOCK:
		if ((n = find_below(c->root, g1, NULL, 1, is_stream_ramblock, NULL)))
			return at(l, n, UINT64_MAX, "the RAMBlock in the MEM_SIZE list");
		break;
	case EX_VALUE:
	case EX_VALUE_HEX:
		v = (uint64_t)strtoll(g1, NULL, l->row->loc == EX_VALUE ? 10 : 16);
		if (c->device && (n = find_below(c->device, NULL, NULL, 1, has_value, &v)))
			return at(l, n, UINT64_MAX, "the first field of the device with that value");
		break;
	case EX_RECORD_TYPE:
		v = strtoull(g1, NULL, 10);
		n = v == 7 ? find_kind(c->root, VI_N_CONFIG) : v == 6 ? find_kind(c->root, VI_N_VMDESC)
		    : v == 8 ? find_kind(c->root, VI_N_COMMAND) : NULL;
		if (n)
			return at(l, n, UINT64_MAX, "the first record of that type");
		/* fall through */
	case EX_WALK_ERROR:
		if (walk_error_at(l, c))
			return;
		break;
	case EX_COMMAND:
		/* a command the walker does not know stops the walk there */
		if (walk_error_at(l, c))
			return;
		if ((n = find_kind(c->root, VI_N_COMMAND)))
			return at(l, n, UINT64_MAX, "the first COMMAND record");
		break;
	case EX_CONTEXT:
	case EX_SUMMARY:
		break;
	}
	if (c->device)
		at(l, c->device, UINT64_MAX, "the device the other lines name");
}
