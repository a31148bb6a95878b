/* schema-import-kids.c - a walked node's field children as schema-import.c
 * reads them: by index, by name, and the earlier siblings whose value could
 * be a count, size or field_exists test. */
#include <stdlib.h>
#include <string.h>
#include "vi-json.h"
#include "schema-import-kids.h"
#include "vi-size.h"

/* The k-th child of node that stands for a trailer field entry. */
struct vi_node *ik_field_kid(struct vi_node *node, size_t k)
{
	for (size_t i = 0; node && i < node->nkids; i++)
		if (node->kids[i]->kind == VI_N_FIELD && k-- == 0)
			return node->kids[i];
	return NULL;
}

void ik_kids_init(struct kids *ks, struct vi_node *node)
{
	memset(ks, 0, sizeof(*ks));
	ks->node = node;
	if (!node || !node->nkids)
		return;
	ks->v = vi_xmalloc(node->nkids * sizeof(*ks->v));
	for (size_t i = 0; i < node->nkids; i++)
		if (node->kids[i]->kind == VI_N_FIELD)
			ks->v[ks->n++] = node->kids[i];
}

void ik_kids_free(struct kids *ks)
{
	free(ks->v);
	json_decref(ks->byname);
	json_decref(ks->subs);
}

/* The first subsection child called name, through a name index. */
struct vi_node *ik_kid_subsection(struct kids *ks, const char *name)
{
	json_t *at;

	if (!ks->node)
		return NULL;
	if (!ks->subs) {
		ks->subs = json_object();
		for (size_t i = ks->node->nkids; i-- > 0;)	/* the first one wins */
			if (ks->node->kids[i]->kind == VI_N_SUBSECTION)
				json_object_set_new(ks->subs, ks->node->kids[i]->name,
						    json_integer((json_int_t)i));
	}
	at = json_object_get(ks->subs, name);
	return at ? ks->node->kids[json_integer_value(at)] : NULL;
}

struct vi_node *ik_kid_at(const struct kids *ks, size_t k)
{
	return k < ks->n ? ks->v[k] : NULL;
}

/* Names of the earlier siblings (before child k, at most LOOKBACK back)
 * whose value is want (or want / mult), nearest first, at most
 * MAX_CANDIDATES: candidates for what holds a count or a size. */
json_t *ik_siblings_with(const struct kids *ks, size_t k, uint64_t want, uint64_t mult)
{
	json_t *names = json_array();

	for (size_t i = k; i-- > 0 && k - i <= LOOKBACK &&
			   json_array_size(names) < MAX_CANDIDATES;) {
		struct vi_node *s = ik_kid_at(ks, i);
		uint64_t v, vm;
		if (!s || (s->vt != VI_V_UINT && s->vt != VI_V_INT))
			continue;
		v = s->vt == VI_V_UINT ? s->v.u : (uint64_t)s->v.i;
		if (v == want || (mult > 1 && vi_mul_ok(v, mult, &vm) && vm == want))
			json_array_append_new(names, json_string(s->name));
	}
	return names;
}

/* Keep in sf[key] only the names every observation so far agreed on. */
json_t *ik_intersect(json_t *sf, const char *key, json_t *names)
{
	json_t *old = json_object_get(sf, key), *keep, *x, *y;
	size_t i, j;

	if (!old) {
		json_object_set_new(sf, key, names);
		return names;
	}
	keep = json_array();
	json_array_foreach(old, i, x)
		json_array_foreach(names, j, y)
			if (json_equal(x, y)) {
				json_array_append(keep, x);
				break;
			}
	json_decref(names);
	json_object_set_new(sf, key, keep);
	return keep;
}

/* Value of the first child field called name, or -1. */
int64_t ik_kid_value(struct kids *ks, const char *name)
{
	json_t *at;
	struct vi_node *s;

	if (!ks->byname) {
		ks->byname = json_object();
		for (size_t i = ks->n; i-- > 0;)	/* the first one wins */
			json_object_set_new(ks->byname, ks->v[i]->name, json_integer((json_int_t)i));
	}
	if (!(at = json_object_get(ks->byname, name)) ||
	    !(s = ik_kid_at(ks, (size_t)json_integer_value(at))))
		return -1;
	return s->vt == VI_V_UINT ? (int64_t)(s->v.u & INT64_MAX) :
	       s->vt == VI_V_INT ? s->v.i : -1;
}
