/* schema-index-write.c - writing schemas/validated.idx (schema-index.h):
 * the scanner that finds each object's entries in a file jansson has
 * accepted, and the writer src/schema-stamp runs at build time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "schema-index.h"
#include "schema-index-format.h"
#include "schema-shape.h"
#include "vi-tree.h"	/* vi_xmalloc */

/* ---- scanning a file jansson has accepted (the writer's side) ----------- */

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': just past the closing quote, or NULL; *esc set on a backslash. */
static const char *str_end(const char *p, const char *end, int *esc)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			*esc = 1;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

static const char *value_end(const char *p, const char *end)
{
	int esc = 0, depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return str_end(p, end, &esc);
	if (*p != '{' && *p != '[') {
		while (p < end && !strchr(",}] \t\r\n", *p))
			p++;
		return p;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			if (!(p = str_end(p, end, &esc)))
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if ((*p == '}' || *p == ']') && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

/* One member at p ('"'): its key [*k, *ke) (*esc set on a backslash) and
 * value [*v, *ve); where the next thing after it starts, or NULL. */
static const char *member(const char *p, const char *end, const char **k, const char **ke,
			  int *esc, const char **v, const char **ve)
{
	*esc = 0;
	*k = p;
	if (p >= end || *p != '"' || !(*ke = str_end(p, end, esc)))
		return NULL;
	p = ws(*ke, end);
	if (p >= end || *p != ':')
		return NULL;
	*v = ws(p + 1, end);
	if (!(*ve = value_end(*v, end)))
		return NULL;
	return ws(*ve, end);
}

/* Where member key's value is in the top-level object: *vs, *ve. */
static int find_member(const char *buf, size_t len, const char *key, const char **vs,
		       const char **ve)
{
	const char *p = ws(buf, buf + len), *end = buf + len, *k, *ke;
	size_t kl = strlen(key);
	int esc;

	if (p >= end || *p != '{')
		return -1;
	p = ws(p + 1, end);
	while (p < end && *p == '"') {
		if (!(p = member(p, end, &k, &ke, &esc, vs, ve)))
			return -1;
		if (!esc && (size_t)(ke - k - 2) == kl && !memcmp(k + 1, key, kl))
			return 0;
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return -1;
}

/* Bytes being written. */
struct wbuf {
	char *p;
	size_t len, cap;
};

struct vi_idx_writer {
	struct wbuf out, blob;           /* the records; the shapes' bytes */
	struct vi_idx_shape *shape;      /* one per distinct entry hash */
	size_t nshape, cshape;
	uint64_t *seen;                  /* those hashes, open addressing (0: free) */
	size_t cseen;
	uint32_t nrec;
};

/* Is hash h kept already?  Else note it (the table stays at most half full). */
static int seen(struct vi_idx_writer *w, uint64_t h)
{
	size_t i;

	h += !h;	/* 0 marks a free slot */
	if (2 * (w->nshape + 1) > w->cseen) {
		uint64_t *old = w->seen;
		size_t n = w->cseen;
		w->cseen = n ? 2 * n : 4096;
		w->seen = vi_xmalloc(w->cseen * sizeof(*w->seen));
		memset(w->seen, 0, w->cseen * sizeof(*w->seen));
		for (size_t k = 0; k < n; k++)
			if (old[k]) {
				for (i = old[k] & (w->cseen - 1); w->seen[i]; i = (i + 1) & (w->cseen - 1))
					;
				w->seen[i] = old[k];
			}
		free(old);
	}
	for (i = h & (w->cseen - 1); w->seen[i]; i = (i + 1) & (w->cseen - 1))
		if (w->seen[i] == h)
			return 1;
	w->seen[i] = h;
	return 0;
}

static void wput(struct wbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? 2 * b->cap : 1 << 16;
		b->p = vi_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put(struct vi_idx_writer *w, const void *p, size_t n)
{
	wput(&w->out, p, n);
}

struct vi_idx_writer *vi_idx_writer_new(void)
{
	struct vi_idx_writer *w = vi_xmalloc(sizeof(*w));
	struct vi_idx_head h;

	memset(w, 0, sizeof(*w));
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, VI_IDX_MAGIC, 8);
	h.bom = VI_IDX_BOM;
	put(w, &h, sizeof(h));
	return w;
}

static int by_hash(const void *a, const void *b)
{
	const struct vi_idx_entry *x = a, *y = b;

	if (x->nhash != y->nhash)
		return x->nhash < y->nhash ? -1 : 1;
	return (x->name > y->name) - (x->name < y->name);
}

/* The object's entries at p (its '{'), into *e / *n; 0 or -1. */
static int entries(const char *buf, const char *p, const char *end, struct vi_idx_entry **e,
		   size_t *n)
{
	size_t cap = 0;

	p = ws(p + 1, end);
	if (p < end && *p == '}')
		return 0;
	while (p < end) {
		int esc;
		const char *k, *ke, *v, *ve;
		if (!(p = member(p, end, &k, &ke, &esc, &v, &ve)) || esc)
			return -1;
		if (*n == cap)
			*e = vi_xrealloc(*e, (cap = cap ? 2 * cap : 256) * sizeof(**e));
		(*e)[(*n)++] = (struct vi_idx_entry){
			vi_idx_hash(k + 1, (size_t)(ke - k - 2)), vi_idx_hash(k, (size_t)(ve - k)),
			(uint32_t)(k + 1 - buf), (uint32_t)(ke - k - 2),
			(uint32_t)(v - buf), (uint32_t)(ve - v) };
		if (p < end && *p == '}')
			return 0;
		if (p >= end || *p != ',')
			return -1;
		p = ws(p + 1, end);
	}
	return -1;
}

static int by_alias(const void *a, const void *b)
{
	const struct vi_idx_alias *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->name > y->name) - (x->name < y->name);
}

/* The strings of member m of each entry's value (an object): an array of
 * strings, or one string; hashed. */
static struct vi_idx_alias *aliases(const char *buf, const struct vi_idx_entry *e, size_t n,
				    const char *m, size_t *na)
{
	struct vi_idx_alias *a = NULL;
	size_t cap = 0;

	*na = 0;
	for (size_t i = 0; i < n; i++) {
		const char *vs, *ve, *p, *end;
		if (find_member(buf + e[i].val, e[i].vlen, m, &vs, &ve) < 0 ||
		    (*vs != '[' && *vs != '"'))
			continue;
		for (p = *vs == '"' ? vs : ws(vs + 1, ve), end = ve; p < end && *p == '"';) {
			int esc = 0;
			const char *q = str_end(p, end, &esc);
			if (!q)
				break;
			if (*na == cap)
				a = vi_xrealloc(a, (cap = cap ? 2 * cap : 64) * sizeof(*a));
			a[(*na)++] = (struct vi_idx_alias){ vi_idx_hash(p + 1, (size_t)(q - p - 2)),
							    (uint32_t)i, e[i].name };
			p = ws(q, end);
			if (p < end && *p == ',')
				p = ws(p + 1, end);
		}
	}
	return a;
}

/* The shape of each entry of o not already kept (by the hash of its bytes;
 * schema-shape.h); 0 or -1. */
static int add_shapes(struct vi_idx_writer *w, const char *buf, const struct vi_idx_entry *e,
		      size_t n, const struct vi_idx_spec *sp)
{
	for (size_t i = 0; i < n; i++) {
		struct vi_shape_buf b = { NULL, 0, 0 };
		if (seen(w, e[i].bhash))
			continue;
		if (sp->shape(buf + e[i].val, e[i].vlen, &b) < 0 || w->blob.len > UINT32_MAX - b.len) {
			free(b.p);
			return -1;
		}
		if (w->nshape == w->cshape)
			w->shape = vi_xrealloc(w->shape, (w->cshape = w->cshape ? 2 * w->cshape : 1024) *
							 sizeof(*w->shape));
		w->shape[w->nshape++] = (struct vi_idx_shape){ e[i].bhash, (uint32_t)w->blob.len,
							       (uint32_t)b.len };
		wput(&w->blob, b.p, b.len);
		free(b.p);
	}
	return 0;
}

/* One object of a file being indexed. */
struct wobj {
	const struct vi_idx_spec *sp;
	const char *key, *vs, *ve;
	struct vi_idx_entry *e;
	size_t n;
	struct vi_idx_alias *a;
	size_t na;
	uint32_t flags;
};

static int by_span(const void *x, const void *y)
{
	const struct wobj *a = x, *b = y;

	return (a->vs > b->vs) - (a->vs < b->vs);
}

static int scan_obj(const char *buf, size_t len, const struct vi_idx_spec *sp, struct wobj *o)
{
	memset(o, 0, sizeof(*o));
	o->sp = sp;
	o->key = sp->key;
	if (find_member(buf, len, sp->key, &o->vs, &o->ve) < 0 || *o->vs != '{' ||
	    entries(buf, o->vs, o->ve, &o->e, &o->n) < 0)
		return -1;
	o->flags = memchr(o->vs, '\\', (size_t)(o->ve - o->vs)) ? VI_IDX_ESCAPES : 0;
	if (o->n)
		qsort(o->e, o->n, sizeof(*o->e), by_hash);
	if (sp->alias_member) {	/* escaped names are never looked up (vi_lazy_alias) */
		o->a = aliases(buf, o->e, o->n, sp->alias_member, &o->na);
		if (o->na)
			qsort(o->a, o->na, sizeof(*o->a), by_alias);
		o->flags |= VI_IDX_ALIASES;
	}
	return 0;
}

int vi_idx_add(struct vi_idx_writer *w, const char *path, const struct vi_idx_spec *spec)
{
	size_t len, no = 0, rlen, at = 0, from = 0;
	char *buf = vi_idx_slurp(path, &len), *rest, zero[8] = { 0 };
	struct wobj o[VI_IDX_MAX_OBJ];
	struct vi_idx_rec r = { 0 };
	int rc = -1;

	if (!buf || len > UINT32_MAX)
		goto out;
	for (; spec[no].key; no++)
		if (no == VI_IDX_MAX_OBJ || scan_obj(buf, len, &spec[no], &o[no]) < 0) {
			no += no < VI_IDX_MAX_OBJ;
			goto out;
		}
	if (!no)
		goto out;
	qsort(o, no, sizeof(*o), by_span);
	rlen = len;
	for (size_t k = 0; k < no; k++) {
		if (k && o[k].vs < o[k - 1].ve)
			goto out;	/* one member named twice */
		rlen -= (size_t)(o[k].ve - o[k].vs) - 2;
	}
	rest = vi_xmalloc(rlen);	/* the file, each object written "{}" */
	for (size_t k = 0; k < no; k++) {
		size_t vs = (size_t)(o[k].vs - buf);
		memcpy(rest + at, buf + from, vs - from);
		memcpy(rest + at + vs - from, "{}", 2);
		at += vs - from + 2;
		from = (size_t)(o[k].ve - buf);
	}
	memcpy(rest + at, buf + from, len - from);
	r.size = len;
	r.rest_hash = vi_idx_hash(rest, rlen);
	r.nobj = (uint32_t)no;
	free(rest);
	for (size_t k = 0; k < no; k++)
		if (o[k].sp->shape && add_shapes(w, buf, o[k].e, o[k].n, o[k].sp) < 0)
			goto out;
	put(w, &r, sizeof(r));
	for (size_t k = 0; k < no; k++) {
		struct vi_idx_orec x = { (uint64_t)(o[k].vs - buf), (uint64_t)(o[k].ve - o[k].vs),
				  o[k].flags, (uint32_t)strlen(o[k].key), (uint32_t)o[k].n,
				  (uint32_t)o[k].na };
		put(w, &x, sizeof(x));
		put(w, o[k].key, x.keylen);
		put(w, zero, vi_idx_pad8(x.keylen + 1) - x.keylen);
		if (o[k].n)
			put(w, o[k].e, o[k].n * sizeof(*o[k].e));
		if (o[k].na)
			put(w, o[k].a, o[k].na * sizeof(*o[k].a));
	}
	w->nrec++;
	rc = 0;
out:
	for (size_t k = 0; k < no; k++) {
		free(o[k].e);
		free(o[k].a);
	}
	free(buf);
	return rc;
}

static int by_shape(const void *a, const void *b)
{
	const struct vi_idx_shape *x = a, *y = b;

	return (x->bhash > y->bhash) - (x->bhash < y->bhash);
}

int vi_idx_save(struct vi_idx_writer *w, const char *out)
{
	size_t n = strlen(out) + 5, tlen = w->nshape * sizeof(*w->shape);
	char *tmp = vi_xmalloc(n), zero[8] = { 0 };
	struct vi_idx_head *h;
	FILE *f;
	int rc = -1;

	if (w->nshape)
		qsort(w->shape, w->nshape, sizeof(*w->shape), by_shape);
	put(w, zero, vi_idx_pad8(w->out.len) - w->out.len);
	h = (struct vi_idx_head *)(void *)w->out.p;
	h->nrec = w->nrec;
	h->shapes_off = w->out.len;
	h->shapes_len = tlen + w->blob.len;
	h->nshape = (uint32_t)w->nshape;
	put(w, w->shape, tlen);
	put(w, w->blob.p, w->blob.len);
	h = (struct vi_idx_head *)(void *)w->out.p;	/* moved as it grew */
	h->shapes_hash = vi_idx_hash(w->out.p + h->shapes_off, h->shapes_len);
	snprintf(tmp, n, "%s.tmp", out);
	if ((f = fopen(tmp, "wb"))) {
		int ok = fwrite(w->out.p, 1, w->out.len, f) == w->out.len;
		if (fclose(f) == 0 && ok && rename(tmp, out) == 0)
			rc = 0;
		else
			remove(tmp);
	}
	free(tmp);
	free(w->out.p);
	free(w->blob.p);
	free(w->shape);
	free(w->seen);
	free(w);
	return rc;
}
