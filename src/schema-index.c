/* schema-index.c - schemas/validated.idx read (schema-index.h); it is written
 * by schema-index-write.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "schema-index.h"
#include "schema-index-format.h"
#include "vi-tree.h"	/* vi_xmalloc */

uint64_t vi_idx_hash(const void *p, size_t n)
{
	return (uint64_t)XXH3_64bits(p, n);
}

char *vi_idx_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;

	*len = 0;
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > VI_IDX_MAX_FILE) {
		fclose(f);
		return NULL;
	}
	buf = vi_xmalloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size + 1, f);
	fclose(f);
	if (*len != (size_t)st.st_size) {	/* changed while read */
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- reading ------------------------------------------------------------ */

static struct vi_idx_view *views;
static size_t nviews;

/* Each directory's index, read once per run: its bytes, which its views
 * point into, and which views are its. */
static struct source {
	char *dir, *buf;
	size_t first, n;
	/* its shapes: where they are in the file, and once read (shaped) */
	char *path;
	uint64_t shapes_off, shapes_len, shapes_hash;
	size_t nshape;
	int shaped;
	char *shapes;
} *src;
static size_t nsrc;

static void release(void)
{
	for (size_t i = 0; i < nsrc; i++) {
		free(src[i].dir);
		free(src[i].buf);
		free(src[i].path);
		free(src[i].shapes);
	}
	free(src);
	free(views);
	src = NULL;
	views = NULL;
	nsrc = nviews = 0;
}

/* One object's record at buf + *off, of a file of size bytes, after the
 * byte prev (where the previous object ended): into *o; 0 or -1. */
static int parse_obj(const char *buf, size_t len, size_t *off, uint64_t size, uint64_t prev,
		     struct vi_idx_obj *o)
{
	const struct vi_idx_orec *r = (const void *)(buf + *off);
	size_t need;

	if (len - *off < sizeof(*r))
		return -1;
	need = sizeof(*r) + vi_idx_pad8((size_t)r->keylen + 1) +
	       (size_t)r->n * sizeof(struct vi_idx_entry) +
	       (size_t)r->nalias * sizeof(struct vi_idx_alias);
	if (r->keylen > 64 || r->n > (1u << 24) || r->nalias > (1u << 24) ||
	    need > len - *off || r->span < prev || r->span > size || r->slen < 2 ||
	    r->slen > size - r->span || memchr(buf + *off + sizeof(*r), '\0', r->keylen))
		return -1;
	*o = (struct vi_idx_obj){ r->span, r->slen, r->flags, buf + *off + sizeof(*r), NULL, r->n,
				  NULL, r->nalias };
	o->e = (const void *)(o->key + vi_idx_pad8((size_t)r->keylen + 1));
	o->alias = (const void *)(o->e + r->n);
	for (size_t k = 0; k < o->nalias; k++)
		if (o->alias[k].entry >= o->n)
			return -1;
	for (size_t k = 0; k < o->n; k++)
		if (o->e[k].name <= r->span || o->e[k].nlen > r->slen ||
		    (uint64_t)o->e[k].name + o->e[k].nlen >= o->e[k].val || o->e[k].vlen > r->slen ||
		    (uint64_t)o->e[k].val + o->e[k].vlen > r->span + r->slen)
			return -1;
	*off += need;
	return 0;
}

/* Parse one index file's records (buf, len: up to its shapes); a bad one
 * adds nothing.  How many views. */
static size_t parse(const char *buf, size_t len)
{
	const struct vi_idx_head *h = (const void *)buf;
	size_t off = sizeof(*h), first = nviews;

	for (uint32_t i = 0; i < h->nrec; i++) {
		const struct vi_idx_rec *r = (const void *)(buf + off);
		struct vi_idx_view v;
		uint64_t prev = 0;
		if (len - off < sizeof(*r) || !r->nobj || r->nobj > VI_IDX_MAX_OBJ)
			goto bad;
		memset(&v, 0, sizeof(v));
		v.size = r->size;
		v.rest_hash = r->rest_hash;
		v.nobj = r->nobj;
		off += sizeof(*r);
		for (size_t k = 0; k < v.nobj; k++) {
			if (parse_obj(buf, len, &off, v.size, prev, &v.obj[k]) < 0)
				goto bad;
			prev = v.obj[k].span + v.obj[k].slen;
		}
		views = vi_xrealloc(views, (nviews + 1) * sizeof(*views));
		views[nviews++] = v;
	}
	return nviews - first;
bad:
	nviews = first;	/* the file is not what this reader writes: none of it */
	return 0;
}

/* The head of the index at path, and its records' bytes (up to its
 * shapes) into *buf; 0 or -1 (no index this reader reads). */
static int read_records(const char *path, struct vi_idx_head *h, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int ok;

	*buf = NULL;
	if (!f)
		return -1;
	ok = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= VI_IDX_MAX_FILE &&
	     fread(h, sizeof(*h), 1, f) == 1 && !memcmp(h->magic, VI_IDX_MAGIC, 8) &&
	     h->bom == VI_IDX_BOM && h->shapes_off >= sizeof(*h) &&
	     h->shapes_off <= (uint64_t)st.st_size &&
	     h->shapes_len == (uint64_t)st.st_size - h->shapes_off &&
	     h->nshape <= h->shapes_len / sizeof(struct vi_idx_shape);
	if (ok) {
		*len = (size_t)h->shapes_off;
		*buf = vi_xmalloc(*len);
		memcpy(*buf, h, sizeof(*h));
		ok = fread(*buf + sizeof(*h), 1, *len - sizeof(*h), f) == *len - sizeof(*h);
	}
	fclose(f);
	if (!ok) {
		free(*buf);
		*buf = NULL;
	}
	return ok ? 0 : -1;
}

static const struct source *source(const char *dir)
{
	size_t n = strlen(dir) + sizeof(VI_IDX_NAME) + 2, len;
	struct vi_idx_head h;
	struct source *x;

	for (size_t i = 0; i < nsrc; i++)
		if (!strcmp(src[i].dir, dir))
			return &src[i];
	if (!nsrc)
		atexit(release);
	src = vi_xrealloc(src, (nsrc + 1) * sizeof(*src));
	x = &src[nsrc++];
	memset(x, 0, sizeof(*x));
	x->dir = vi_xmalloc(strlen(dir) + 1);
	strcpy(x->dir, dir);
	x->first = nviews;
	x->path = vi_xmalloc(n);
	snprintf(x->path, n, "%s/%s", dir, VI_IDX_NAME);
	if (read_records(x->path, &h, &x->buf, &len) == 0) {	/* a build product, not input */
		x->n = parse(x->buf, len);
		x->shapes_off = h.shapes_off;
		x->shapes_len = h.shapes_len;
		x->shapes_hash = h.shapes_hash;
		x->nshape = h.nshape;
	}
	return x;
}

size_t vi_idx_find(const char *const *dirs, uint64_t size, const char *key,
		   struct vi_idx_view *out, size_t max)
{
	size_t k = 0;

	for (int d = 0; dirs && dirs[d]; d++) {
		const struct source *x = source(dirs[d]);
		for (size_t i = x->first; i < x->first + x->n; i++) {
			int has = 0;
			for (size_t j = 0; j < views[i].nobj; j++)
				has |= !strcmp(views[i].obj[j].key, key);
			if (views[i].size == size && has) {
				if (k < max)
					out[k] = views[i];
				k++;
			}
		}
	}
	return k;
}

/* The first of n records of size sz, sorted by the uint64_t hash each
 * starts with, whose hash is h; NULL if none. */
static const void *first_with(const void *base, size_t n, size_t sz, uint64_t h)
{
	const char *b = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t x;
		memcpy(&x, b + mid * sz, sizeof(x));
		if (x < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n) {
		uint64_t x;
		memcpy(&x, b + lo * sz, sizeof(x));
		if (x == h)
			return b + lo * sz;
	}
	return NULL;
}

const struct vi_idx_entry *vi_idx_lookup(const struct vi_idx_obj *o, uint64_t h)
{
	return first_with(o->e, o->n, sizeof(*o->e), h);
}

const struct vi_idx_alias *vi_idx_alias(const struct vi_idx_obj *o, uint64_t h)
{
	return first_with(o->alias, o->nalias, sizeof(*o->alias), h);
}

/* Source x's shapes, read when first asked for: the table and its bytes,
 * whole and as written (their hash), or none. */
static const struct vi_idx_shape *shapes(struct source *x)
{
	const struct vi_idx_shape *t;
	size_t blob;
	FILE *f;
	int ok;

	if (x->shaped)
		return (const void *)x->shapes;
	x->shaped = 1;
	if (!x->nshape || !(f = fopen(x->path, "rb")))
		return NULL;
	x->shapes = vi_xmalloc((size_t)x->shapes_len);
	ok = fseeko(f, (off_t)x->shapes_off, SEEK_SET) == 0 &&
	     fread(x->shapes, 1, (size_t)x->shapes_len, f) == x->shapes_len &&
	     vi_idx_hash(x->shapes, (size_t)x->shapes_len) == x->shapes_hash;
	fclose(f);
	t = (const void *)x->shapes;
	blob = (size_t)x->shapes_len - x->nshape * sizeof(*t);
	for (size_t i = 0; ok && i < x->nshape; i++)
		ok = t[i].off <= blob && t[i].len <= blob - t[i].off;
	if (!ok) {
		free(x->shapes);
		x->shapes = NULL;
	}
	return (const void *)x->shapes;
}

int vi_idx_shape(uint64_t bhash, const unsigned char **p, size_t *n)
{
	for (size_t i = 0; i < nsrc; i++) {
		const struct vi_idx_shape *t = shapes(&src[i]), *y;
		if (t && (y = first_with(t, src[i].nshape, sizeof(*t), bhash))) {
			*p = (const unsigned char *)(t + src[i].nshape) + y->off;
			*n = y->len;
			return 1;
		}
	}
	return 0;
}
