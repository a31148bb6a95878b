/* decode-desc.c - reading a description (trailer entry or schema vmsd):
 * what the interpreter (decode-vmsd.c) and its schema mode (decode-schema.c)
 * both ask of a field. */
#include <stdint.h>
#include <string.h>
#include "decode-vmsd.h"

/* A non-negative integer member no larger than max, or -1. */
int64_t dv_jnum(json_t *o, const char *key, int64_t max)
{
	json_t *v = json_object_get(o, key);
	json_int_t x;

	if (!json_is_integer(v))
		return -1;
	x = json_integer_value(v);
	return x < 0 || x > max ? -1 : (int64_t)x;
}

/* Value of an earlier sibling field called name (count_from, size_from). */
int64_t dv_sibling_value(struct vi_node *parent, const char *name)
{
	for (size_t i = parent->nkids; i-- > 0;) {
		struct vi_node *s = parent->kids[i];
		if (s->kind == VI_N_FIELD && strcmp(s->name, name) == 0)
			return s->vt == VI_V_UINT ? (int64_t)(s->v.u & INT32_MAX) :
			       s->vt == VI_V_INT ? s->v.i : -1;
	}
	return -1;
}

/* The nested description of a field, if any. */
json_t *dv_nested(json_t *f, const char *type)
{
	json_t *sub = json_object_get(f, "struct");

	if (!json_is_object(sub) && (strcmp(type, "tmp") == 0 || strcmp(type, "vstruct") == 0) &&
	    json_is_array(json_object_get(f, "fields")))
		sub = f;	/* trailer: description written inline into the field */
	return json_is_object(sub) ? sub : NULL;
}
