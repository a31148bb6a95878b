/* schema-shape.c - a vmsd's shape encoded and read (schema-shape.h). */
#include <stdlib.h>
#include <string.h>
#include "schema.h"
#include "schema-index.h"
#include "schema-lazy.h"
#include "schema-shape.h"
#include "vi-budget.h"
#include "vi-tree.h"	/* vi_xmalloc */

/* Deeper field lists are never compared (report-triage-versions.c stops
 * there): they are written empty. */
#define SHAPE_MAX_DEPTH 8

enum { F_NAME = 1, F_TYPE = 2, F_STRUCT = 4 };

/* ---- encoding ------------------------------------------------------------ */

static void put(struct vi_shape_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? 2 * b->cap : 256;
		b->p = vi_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put32(struct vi_shape_buf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void put_str(struct vi_shape_buf *b, const char *s)
{
	size_t n = strlen(s);

	put32(b, (uint32_t)n);
	put(b, s, n + 1);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);

	return json_is_string(x) ? json_string_value(x) : NULL;
}

static void put_list(struct vi_shape_buf *b, json_t *fields, int depth)
{
	size_t at = b->len, i;
	uint32_t n = 0, len;
	json_t *f;

	put32(b, 0);	/* the count and the length, filled in below */
	put32(b, 0);
	if (depth <= SHAPE_MAX_DEPTH)
		json_array_foreach(fields, i, f) {
			const char *name = jstr(f, "name"), *type = jstr(f, "type");
			json_t *st = json_object_get(f, "struct");
			unsigned char flags = (name ? F_NAME : 0) | (type ? F_TYPE : 0) |
					      (st ? F_STRUCT : 0);
			put_str(b, name ? name : "");
			put(b, &flags, 1);
			if (type)
				put_str(b, type);
			if (st)
				put_list(b, json_object_get(st, "fields"), depth + 1);
			n++;
		}
	len = (uint32_t)(b->len - at - 8);
	memcpy(b->p + at, &n, sizeof(n));
	memcpy(b->p + at + 4, &len, sizeof(len));
}

void vi_shape_encode(json_t *vmsd, struct vi_shape_buf *b)
{
	json_t *v = json_object_get(vmsd, "version_id"), *x;
	json_t *names = json_object_get(vmsd, "subsection_names");
	const char *parent = jstr(vmsd, "name");
	size_t at, i, plen = parent ? strlen(parent) : 0;
	unsigned char has = json_is_integer(v);
	int64_t ver = has ? (int64_t)json_integer_value(v) : 0;
	uint32_t nsub = 0;

	put(b, &has, 1);
	put(b, &ver, sizeof(ver));
	at = b->len;
	put32(b, 0);
	json_array_foreach(json_object_get(vmsd, "subsections"), i, x)
		if (jstr(x, "name")) {
			put_str(b, jstr(x, "name"));
			nsub++;
		}
	/* schema_subsection_name_known(): listed, under the vmsd's own name */
	json_array_foreach(json_is_array(names) && parent ? names : NULL, i, x)
		if (json_is_string(x) && !strncmp(json_string_value(x), parent, plen) &&
		    json_string_value(x)[plen] == '/') {
			put_str(b, json_string_value(x));
			nsub++;
		}
	memcpy(b->p + at, &nsub, sizeof(nsub));
	put_list(b, json_object_get(vmsd, "fields"), 0);
}

int vi_shape_encode_bytes(const char *json, size_t len, struct vi_shape_buf *b)
{
	json_error_t jerr;
	json_t *v = vi_json_loadb(json, len, JSON_DECODE_ANY, &jerr);

	if (!v)
		return -1;
	vi_shape_encode(v, b);
	json_decref(v);
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

static int get32(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
	if (end - *p < 4)
		return 0;
	memcpy(v, *p, 4);
	*p += 4;
	return 1;
}

/* A string at *p: its bytes (NUL-terminated), or NULL. */
static const char *get_str(const unsigned char **p, const unsigned char *end)
{
	uint32_t n;
	const char *s;

	if (!get32(p, end, &n) || (size_t)(end - *p) <= n || (*p)[n] != '\0')
		return NULL;
	s = (const char *)*p;
	*p += (size_t)n + 1;
	return s;
}

static int get_list(const unsigned char **p, const unsigned char *end, struct vi_shape_list *l)
{
	uint32_t n, len;

	if (!get32(p, end, &n) || !get32(p, end, &len) || (size_t)(end - *p) < len)
		return 0;
	*l = (struct vi_shape_list){ *p, *p + len, n };
	*p += len;
	return 1;
}

int vi_shape_version(const struct vi_shape *s, int64_t *v)
{
	if (s->n < 9 || !s->p[0])
		return 0;
	memcpy(v, s->p + 1, sizeof(*v));
	return 1;
}

/* Past the subsection names: where the field list starts. */
static const unsigned char *subsections(const struct vi_shape *s, uint32_t *n)
{
	const unsigned char *p = s->p + 9, *end = s->p + s->n;

	return s->n >= 9 && get32(&p, end, n) ? p : NULL;
}

int vi_shape_knows_subsection(const struct vi_shape *s, const char *name)
{
	uint32_t n;
	const unsigned char *p = subsections(s, &n), *end = s->p + s->n;

	for (uint32_t i = 0; p && i < n; i++) {
		const char *x = get_str(&p, end);
		if (!x)
			return 0;
		if (!strcmp(x, name))
			return 1;
	}
	return 0;
}

void vi_shape_fields(const struct vi_shape *s, struct vi_shape_list *l)
{
	uint32_t n;
	const unsigned char *p = subsections(s, &n), *end = s->p + s->n;

	for (uint32_t i = 0; p && i < n; i++)
		if (!get_str(&p, end))
			p = NULL;
	if (!p || !get_list(&p, end, l))
		*l = (struct vi_shape_list){ NULL, NULL, 0 };
}

int vi_shape_next(struct vi_shape_list *l, struct vi_shape_field *f)
{
	const unsigned char *p = l->p;
	const char *name, *type = NULL;
	unsigned char flags;

	if (!l->left || !(name = get_str(&p, l->end)) || p >= l->end)
		return 0;
	flags = *p++;
	if ((flags & F_TYPE) && !(type = get_str(&p, l->end)))
		return 0;
	memset(f, 0, sizeof(*f));
	if ((flags & F_STRUCT) && !get_list(&p, l->end, &f->kids))
		return 0;
	f->name = flags & F_NAME ? name : NULL;
	f->type = type;
	f->has_struct = !!(flags & F_STRUCT);
	l->p = p;
	l->left--;
	return 1;
}

/* ---- a schema's shapes --------------------------------------------------- */

/* Shapes encoded at run time (a vmsd the index has none of), by the vmsd
 * they are of (held, so its address is never another's). */
static struct encoded {
	json_t *vmsd;
	struct vi_shape_buf b;
} *enc;
static size_t nenc;

static void enc_free(void)
{
	for (size_t i = 0; i < nenc; i++) {
		json_decref(enc[i].vmsd);
		free(enc[i].b.p);
	}
	free(enc);
	enc = NULL;
	nenc = 0;
}

static void encoded(json_t *vmsd, struct vi_shape *out)
{
	size_t i;

	for (i = 0; i < nenc && enc[i].vmsd != vmsd; i++)
		;
	if (i == nenc) {
		if (!nenc)
			atexit(enc_free);
		enc = vi_xrealloc(enc, (nenc + 1) * sizeof(*enc));
		enc[nenc] = (struct encoded){ json_incref(vmsd), { NULL, 0, 0 } };
		vi_shape_encode(vmsd, &enc[nenc++].b);
	}
	*out = (struct vi_shape){ enc[i].b.p, enc[i].b.len };
}

int schema_shape(const struct vi_schema *s, const char *name, struct vi_shape *out)
{
	uint64_t h;
	json_t *v;

	switch (vi_lazy_entry_hash(s->vmsds, name, &h)) {
	case 0:
		return 0;
	case 1:
		if (vi_idx_shape(h, &out->p, &out->n))
			return 1;
		break;
	}
	if (!(v = schema_vmsd(s, name)))
		return 0;
	encoded(v, out);
	return 1;
}
