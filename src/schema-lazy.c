/* schema-lazy.c - a document's big object parsed entry by entry (schema-lazy.h). */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "vi-error.h"
#include "vi-ram-digest.h"
#include "schema-lazy.h"
#include "vi-tree.h"

struct entry {
	size_t name, nlen;      /* the key's bytes (no escapes) */
	size_t val, vlen;       /* the value's bytes */
	int done;
};

struct lazy {
	json_t *doc, *obj;
	char *buf;
	size_t len, span, slen; /* the object's own bytes */
	int escapes;            /* a backslash among them */
	int complete;           /* every entry parsed, in the file's order */
	struct entry *e;        /* in the file's order */
	size_t *byname, n;      /* indexes of e, sorted by name */
	vi_lazy_hook hook;
};

static struct lazy **reg;
static size_t nreg;

/* ---- scanning a file jansson has accepted before ------------------------- */

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

static struct lazy *cmp_ctx;

static int by_name(const void *a, const void *b)
{
	const struct entry *x = &cmp_ctx->e[*(const size_t *)a], *y = &cmp_ctx->e[*(const size_t *)b];
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(cmp_ctx->buf + x->name, cmp_ctx->buf + y->name, n);

	return c ? c : (x->nlen > y->nlen) - (x->nlen < y->nlen);
}

/* Index the entries of the object at p; 0, or -1 if it cannot be. */
static int index_object(struct lazy *l, const char *p, const char *end)
{
	size_t cap = 0;

	p = ws(p + 1, end);
	if (p < end && *p == '}')
		return 0;
	while (p < end) {
		int esc = 0;
		const char *k = p, *ke, *v, *ve;
		if (*p != '"' || !(ke = str_end(p, end, &esc)) || esc)
			return -1;
		p = ws(ke, end);
		if (p >= end || *p != ':')
			return -1;
		v = ws(p + 1, end);
		if (!(ve = value_end(v, end)))
			return -1;
		if (l->n == cap) {
			cap = cap ? 2 * cap : 256;
			l->e = vi_xrealloc(l->e, cap * sizeof(*l->e));
		}
		l->e[l->n++] = (struct entry){ (size_t)(k + 1 - l->buf), (size_t)(ke - k - 2),
					       (size_t)(v - l->buf), (size_t)(ve - v), 0 };
		p = ws(ve, end);
		if (p < end && *p == '}')
			return 0;
		if (p >= end || *p != ',')
			return -1;
		p = ws(p + 1, end);
	}
	return -1;
}

/* Where member key's value is in the top-level object: *vs, *ve. */
static int find_member(const char *buf, size_t len, const char *key, const char **vs,
		       const char **ve)
{
	const char *p = ws(buf, buf + len), *end = buf + len;
	size_t kl = strlen(key);

	if (p >= end || *p != '{')
		return -1;
	p = ws(p + 1, end);
	while (p < end && *p == '"') {
		int esc = 0;
		const char *ke = str_end(p, end, &esc), *v, *e;
		if (!ke)
			return -1;
		int match = !esc && (size_t)(ke - p - 2) == kl && !memcmp(p + 1, key, kl);
		p = ws(ke, end);
		if (p >= end || *p != ':')
			return -1;
		v = ws(p + 1, end);
		if (!(e = value_end(v, end)))
			return -1;
		if (match) {
			*vs = v;
			*ve = e;
			return 0;
		}
		p = ws(e, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return -1;
}

static json_t *lazy_load(char *buf, size_t len, const char *key, vi_lazy_hook hook,
			json_error_t *jerr)
{
	const char *vs, *ve;
	struct lazy *l;
	char *rest;
	size_t rlen;

	if (find_member(buf, len, key, &vs, &ve) < 0 || *vs != '{')
		return NULL;
	l = vi_xmalloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	l->buf = buf;
	l->len = len;
	l->hook = hook;
	l->span = (size_t)(vs - buf);
	l->slen = (size_t)(ve - vs);
	l->escapes = memchr(vs, '\\', l->slen) != NULL;
	if (index_object(l, vs, ve) < 0) {
		free(l->e);
		free(l);
		return NULL;
	}
	/* The document without the object's entries. */
	rlen = len - l->slen + 2;
	rest = vi_xmalloc(rlen);
	memcpy(rest, buf, l->span);
	memcpy(rest + l->span, "{}", 2);
	memcpy(rest + l->span + 2, ve, len - l->span - l->slen);
	l->doc = vi_json_loadb(rest, rlen, JSON_REJECT_DUPLICATES, jerr);
	free(rest);
	if (!l->doc || !json_is_object(l->obj = json_object_get(l->doc, key))) {
		json_decref(l->doc);
		free(l->e);
		free(l);
		return NULL;
	}
	l->byname = vi_xmalloc((l->n ? l->n : 1) * sizeof(*l->byname));
	for (size_t i = 0; i < l->n; i++)
		l->byname[i] = i;
	cmp_ctx = l;
	qsort(l->byname, l->n, sizeof(*l->byname), by_name);
	reg = vi_xrealloc(reg, (nreg + 1) * sizeof(*reg));
	reg[nreg++] = l;
	return l->doc;
}

json_t *vi_lazy_load_file(const char *path, size_t len, const char *key,
			  vi_lazy_hook hook, const char *const *dirs)
{
	json_error_t jerr;
	json_t *doc = NULL;
	FILE *f;
	char *buf;

	if (!len || !(f = fopen(path, "rb")))
		return NULL;
	/* Read, not mapped: a file cut short while the run reads it is a
	 * short read here (then the caller loads it whole and says what is
	 * wrong), not a SIGBUS later. */
	buf = vi_xmalloc(len);
	if (fread(buf, 1, len, f) != len || fgetc(f) != EOF) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	vi_budget_charge_ptr(buf);
	if (vi_lazy_trusted(buf, len, dirs))
		doc = lazy_load(buf, len, key, hook, &jerr);
	if (!doc) {
		vi_budget_release_ptr(buf);
		free(buf);
	}
	return doc;
}

static struct lazy *find(json_t *obj)
{
	static struct lazy *last;

	if (!obj)
		return NULL;
	if (last && last->obj == obj)
		return last;
	for (size_t i = 0; i < nreg; i++)
		if (reg[i]->obj == obj)
			return last = reg[i];
	return NULL;
}

static struct entry *lookup(struct lazy *l, const char *name)
{
	size_t lo = 0, hi = l->n, nl = strlen(name);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct entry *e = &l->e[l->byname[mid]];
		size_t n = e->nlen < nl ? e->nlen : nl;
		int c = memcmp(l->buf + e->name, name, n);
		if (!c)
			c = (e->nlen > nl) - (e->nlen < nl);
		if (!c)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

json_t *vi_lazy_get(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	struct lazy *l;
	struct entry *e;
	json_error_t jerr;

	if (v || !name || !(l = find(obj)) || !(e = lookup(l, name)) || e->done)
		return v;
	v = vi_json_loadb(l->buf + e->val, e->vlen, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
		       &jerr);
	if (!v) {	/* the file parsed whole when built: only memory is short */
		fprintf(stderr, "vmstate-inspect: a schema entry (%s) would take more than "
			"the memory budget\n", name);
		exit(VI_EXIT_USAGE);
	}
	e->done = 1;
	json_object_set_new(obj, name, v);
	if (l->hook)
		l->hook(l->doc, name, v);
	return v;
}

void vi_lazy_complete(json_t *obj)
{
	struct lazy *l = find(obj);

	/* once only: moving an entry frees its key, which a caller may hold */
	if (!l || l->complete)
		return;
	l->complete = 1;
	for (size_t i = 0; i < l->n; i++) {
		char *name = vi_xmalloc(l->e[i].nlen + 1);
		json_t *v;
		memcpy(name, l->buf + l->e[i].name, l->e[i].nlen);
		name[l->e[i].nlen] = '\0';
		/* moved to the end: after the loop, the file's order */
		if ((v = json_incref(vi_lazy_get(obj, name)))) {
			json_object_del(obj, name);
			json_object_set_new(obj, name, v);
		}
		free(name);
	}
}

int vi_lazy_may_hold(json_t *obj, const char *s)
{
	struct lazy *l = find(obj);
	size_t n = strlen(s);
	char *needle;
	int found;

	if (!l || l->escapes)
		return 1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '/')
			return 1;
	needle = vi_xmalloc(n + 2);
	needle[0] = '"';
	memcpy(needle + 1, s, n);
	needle[n + 1] = '"';
	found = memmem(l->buf + l->span, l->slen, needle, n + 2) != NULL;
	free(needle);
	return found;
}

void vi_lazy_forget(json_t *doc)
{
	for (size_t i = 0; doc && i < nreg; i++)
		if (reg[i]->doc == doc) {
			struct lazy *l = reg[i];
			reg[i] = reg[--nreg];
			vi_budget_release_ptr(l->buf);
			free(l->buf);
			free(l->e);
			free(l->byname);
			free(l);
			find(NULL);
			return;
		}
}

/* ---- which files `make` validated --------------------------------------- */

struct stamp { unsigned long long hash; size_t size; };

int vi_lazy_trusted(const char *buf, size_t len, const char *const *dirs)
{
	static struct stamp *st;
	static size_t nst;
	static int read_done;
	unsigned long long h;

	if (!read_done) {
		read_done = 1;
		for (int i = 0; dirs && dirs[i]; i++) {
			char path[1200], line[128];
			FILE *f;
			snprintf(path, sizeof(path), "%s/validated.list", dirs[i]);
			if (!(f = fopen(path, "r")))
				continue;
			while (fgets(line, sizeof(line), f)) {
				struct stamp s;
				if (sscanf(line, "%16llx %zu", &s.hash, &s.size) != 2)
					continue;
				st = vi_xrealloc(st, (nst + 1) * sizeof(*st));
				st[nst++] = s;
			}
			fclose(f);
		}
	}
	if (!nst)
		return 0;
	h = (unsigned long long)ram_page_hash(buf, len);	/* XXH3-64 */
	for (size_t i = 0; i < nst; i++)
		if (st[i].hash == h && st[i].size == len)
			return 1;
	return 0;
}
