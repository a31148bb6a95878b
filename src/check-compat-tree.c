/* check-compat-tree.c - what the compat-property rules look for in a
 * decoded tree: sections of a vmsd, nodes by kind, name or type, bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "vi-pci-config.h"
#include "vi-bytes.h"
#include "check-compat.h"

void cc_viol(struct eval *e, struct vi_node *at, uint64_t off, uint64_t len,
	     const char *fmt, ...)
{
	struct viol *x;
	va_list ap;

	if (e->out->n == e->out->cap) {
		e->out->cap = e->out->cap ? 2 * e->out->cap : 8;
		e->out->v = vi_xrealloc(e->out->v, e->out->cap * sizeof(*e->out->v));
	}
	x = &e->out->v[e->out->n++];
	x->at = at;
	x->offset = off;
	x->length = len;
	va_start(ap, fmt);
	vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
	va_end(ap);
}

int cc_section_matches(const struct vi_node *sec, const char *vmsd)
{
	return vi_node_is_first_record(sec) && vmsd && (!strcmp(vmsd, "*") || !strcmp(vi_idstr_vmsd(sec->name), vmsd));
}

void cc_collect(struct vi_node *n, pick_fn pick, const void *arg, struct vi_node **found,
		size_t max, size_t *nfound, int depth)
{
	if (depth > 64 || *nfound >= max)
		return;
	if (pick(n, arg))
		found[(*nfound)++] = n;
	for (size_t i = 0; i < n->nkids; i++)
		cc_collect(n->kids[i], pick, arg, found, max, nfound, depth + 1);
}

int cc_pick_subsection(const struct vi_node *n, const void *name)
{
	return n->kind == VI_N_SUBSECTION && !strcmp(n->name, name);
}

int cc_pick_field_named(const struct vi_node *n, const void *name)
{
	return n->kind == VI_N_FIELD && !strcmp(n->name, name);
}

int cc_pick_type(const struct vi_node *n, const void *type)
{
	return n->kind == VI_N_FIELD && !strcmp(n->type, type);
}

struct vi_node *cc_kid(struct vi_node *n, const char *name)
{
	for (size_t i = 0; n && i < n->nkids; i++)
		if (!strcmp(n->kids[i]->name, name))
			return n->kids[i];
	return NULL;
}

int cc_read_at(struct eval *e, uint64_t off, uint8_t *buf, size_t n)
{
	return e->s->r && rd_peek_at(e->s->r, off, buf, n) == n ? 0 : -1;
}

int cc_number(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int cc_is_off(const char *v)
{
	return v && (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"));
}

struct vi_node *cc_virtio_payload(struct vi_node *sec)
{
	struct vi_node *found[1];
	size_t n = 0;

	cc_collect(sec, cc_pick_type, "virtio", found, 1, &n, 0);
	return n && found[0]->nkids ? found[0] : NULL;   /* decoded, not a blob */
}
