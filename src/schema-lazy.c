/* schema-lazy.c - a document's big object parsed entry by entry (schema-lazy.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vi-budget.h"
#include "vi-error.h"
#include "input.h"	/* vi_pread_full */
#include "schema-index.h"
#include "schema-lazy.h"
#include "vi-tree.h"

struct lazy {
	json_t *doc, *obj;
	char *path;
	int fd, owns_fd;
	struct vi_idx_obj ix;   /* where the entries are (schema-index.h) */
	unsigned char *done;    /* per entry of ix */
	char **names;           /* per entry: its name, once an alias found it */
	const char *all;        /* the object's bytes, while completing */
	int complete;           /* every entry parsed, in the file's order */
	vi_lazy_hook hook;
};

static struct lazy **reg;
static size_t nreg;

/* The file changed under the run, after the document was made of it. */
static void changed(const struct lazy *l, uint64_t off)
{
	fprintf(stderr, "vmstate-inspect: %s: byte %llu: changed since it was validated when "
		"the tool was built (build or install the schemas again)\n", l->path, (unsigned long long)off);
	exit(VI_EXIT_USAGE);
}

/* The bytes of entry e, from its key's opening quote to its value's end,
 * checked against the index: in l->all, or read into *tmp. */
static const char *entry_bytes(struct lazy *l, const struct vi_idx_entry *e, char **tmp)
{
	uint64_t from = e->name - 1, n = (uint64_t)e->val + e->vlen - from;
	const char *b;

	*tmp = NULL;
	if (l->all) {
		b = l->all + (from - l->ix.span);
	} else {
		*tmp = vi_xmalloc(n);
		vi_budget_charge_ptr(*tmp);
		if (vi_pread_full(l->fd, *tmp, n, from) < 0)
			changed(l, from);
		b = *tmp;
	}
	if (vi_idx_hash(b, n) != e->bhash)
		changed(l, from);
	return b;
}

/* The name of entry e, from its bytes (entry_bytes), NUL-terminated. */
static char *entry_name(const struct vi_idx_entry *e, const char *bytes)
{
	char *name = vi_xmalloc(e->nlen + 1);

	memcpy(name, bytes + 1, e->nlen);
	name[e->nlen] = '\0';
	return name;
}

static void drop(char *tmp)
{
	if (tmp) {
		vi_budget_release_ptr(tmp);
		free(tmp);
	}
}

/* The document without its objects' entries, if the file at fd is the one
 * record v describes (its size and the rest's hash). */
static json_t *rest_doc(int fd, const struct vi_idx_view *v)
{
	size_t rlen = v->size, at = 0;
	uint64_t from = 0;
	char *rest;
	json_error_t jerr;
	json_t *doc = NULL;
	int ok = 1;

	for (size_t k = 0; k < v->nobj; k++)
		rlen -= v->obj[k].slen - 2;
	rest = vi_xmalloc(rlen);
	vi_budget_charge_ptr(rest);
	for (size_t k = 0; k < v->nobj && ok; k++) {
		size_t n = v->obj[k].span - from;
		ok = vi_pread_full(fd, rest + at, n, from) == 0;
		memcpy(rest + at + n, "{}", 2);
		at += n + 2;
		from = v->obj[k].span + v->obj[k].slen;
	}
	if (ok && vi_pread_full(fd, rest + at, v->size - from, from) == 0 &&
	    vi_idx_hash(rest, rlen) == v->rest_hash)
		doc = vi_json_loadb(rest, rlen, JSON_REJECT_DUPLICATES, &jerr);
	drop(rest);
	return doc;
}

/* Is each object of v an empty object of doc? */
static int objects_empty(json_t *doc, const struct vi_idx_view *v)
{
	for (size_t k = 0; k < v->nobj; k++) {
		json_t *o = json_object_get(doc, v->obj[k].key);
		if (!json_is_object(o) || json_object_size(o))
			return 0;
	}
	return 1;
}

json_t *vi_lazy_load_file(const char *path, size_t len, const char *key,
			  vi_lazy_hook hook, const char *const *dirs)
{
	struct vi_idx_view cand[4];
	size_t nc = vi_idx_find(dirs, len, key, cand, 4);
	json_t *doc = NULL;
	size_t i;
	int fd;

	/* Read with pread, never mapped: a file cut short while the run reads
	 * it is a short read (an error), not a SIGBUS. */
	if (!nc || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	for (i = 0; i < nc && i < 4 && !doc; i++)
		if ((doc = rest_doc(fd, &cand[i])) && !objects_empty(doc, &cand[i])) {
			json_decref(doc);
			doc = NULL;
		}
	if (!doc) {
		close(fd);
		return NULL;
	}
	for (size_t k = 0; k < cand[i - 1].nobj; k++) {	/* one lazy object each */
		const struct vi_idx_obj *o = &cand[i - 1].obj[k];
		struct lazy *l = vi_xmalloc(sizeof(*l));
		memset(l, 0, sizeof(*l));
		l->doc = doc;
		l->obj = json_object_get(doc, o->key);
		l->fd = fd;		/* one descriptor per file: its first object's */
		l->owns_fd = !k;
		l->path = vi_xstrdup(path);
		l->ix = *o;
		l->hook = !strcmp(o->key, key) ? hook : NULL;
		l->done = vi_xmalloc(l->ix.n + 1);
		memset(l->done, 0, l->ix.n + 1);
		reg = vi_xrealloc(reg, (nreg + 1) * sizeof(*reg));
		reg[nreg++] = l;
	}
	return doc;
}

static struct lazy *last;	/* find()'s cache */

static struct lazy *find(json_t *obj)
{
	if (!obj)
		return NULL;
	if (last && last->obj == obj)
		return last;
	for (size_t i = 0; i < nreg; i++)
		if (reg[i]->obj == obj)
			return last = reg[i];
	return NULL;
}

/* Entries parsed so far, by the hash of their bytes: the same vmsd is often
 * byte for byte the same in several releases and architectures (43 % of the
 * installed schemas' vmsd bytes are such repeats), and report parses each
 * section's vmsd in every target.  An entry whose bytes (checked against
 * the index) hash the same is shared, not parsed again; shared values are
 * never changed (a hook that would change one changes a copy). */
static struct shared {
	uint64_t bhash, len;
	json_t *v;
} *shared;
static size_t nshared, cshared;

static void shared_free(void)
{
	for (size_t i = 0; i < cshared; i++)
		json_decref(shared[i].v);
	free(shared);
	shared = NULL;
	nshared = cshared = 0;
}

static size_t shared_slot(uint64_t h, uint64_t len)
{
	size_t i = (size_t)h & (cshared - 1);

	while (shared[i].v && (shared[i].bhash != h || shared[i].len != len))
		i = (i + 1) & (cshared - 1);
	return i;
}

static json_t *shared_get(const struct vi_idx_entry *e)
{
	uint64_t len = (uint64_t)e->nlen + e->vlen;

	return cshared ? shared[shared_slot(e->bhash, len)].v : NULL;
}

static void shared_put(const struct vi_idx_entry *e, json_t *v)
{
	if (2 * (nshared + 1) > cshared) {
		struct shared *old = shared;
		size_t n = cshared;
		cshared = cshared ? 2 * cshared : 256;
		shared = vi_xmalloc(cshared * sizeof(*shared));
		memset(shared, 0, cshared * sizeof(*shared));
		for (size_t i = 0; i < n; i++)
			if (old[i].v)
				shared[shared_slot(old[i].bhash, old[i].len)] = old[i];
		free(old);
		if (!n)
			atexit(shared_free);
	}
	size_t i = shared_slot(e->bhash, (uint64_t)e->nlen + e->vlen);
	shared[i] = (struct shared){ e->bhash, (uint64_t)e->nlen + e->vlen, json_incref(v) };
	nshared++;
}

/* Parse entry k of l (named name; bytes checked) into its object. */
static json_t *parse_entry(struct lazy *l, size_t k, const char *name, const char *bytes)
{
	const struct vi_idx_entry *e = &l->ix.e[k];
	json_error_t jerr;
	json_t *v = json_incref(shared_get(e)), *x;

	if (!v) {
		v = vi_json_loadb(bytes + (e->val - e->name + 1), e->vlen,
				  JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		if (!v)	/* the file parsed whole when built: only memory is short */
			vi_lazy_no_memory(name);
		shared_put(e, v);
	}
	l->done[k] = 1;
	if (l->hook && (x = l->hook(l->doc, name, v))) {
		json_decref(v);
		v = x;
	}
	json_object_set_new(l->obj, name, v);
	return v;
}

void vi_lazy_no_memory(const char *name)
{
	fprintf(stderr, "vmstate-inspect: a schema entry (%s) would take more than "
		"the memory budget\n", name);
	exit(VI_EXIT_USAGE);
}

json_t *vi_lazy_get(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	const struct vi_idx_entry *e;
	struct lazy *l;
	size_t nl;
	uint64_t h;

	if (v || !name || !(l = find(obj)))
		return v;
	nl = strlen(name);
	h = vi_idx_hash(name, nl);
	for (e = vi_idx_lookup(&l->ix, h); e && e < l->ix.e + l->ix.n && e->nhash == h; e++) {
		size_t k = (size_t)(e - l->ix.e);
		char *tmp;
		const char *b;
		if (e->nlen != nl || l->done[k])
			continue;
		b = entry_bytes(l, e, &tmp);
		if (!memcmp(b + 1, name, nl))
			v = parse_entry(l, k, name, b);
		drop(tmp);
		if (v)
			return v;
	}
	return NULL;
}

/* Entry k's name, kept once read (names[k]): it outlives completing. */
static const char *keep_name(struct lazy *l, size_t k, char *name)
{
	if (!l->names) {
		l->names = vi_xmalloc(l->ix.n * sizeof(*l->names));
		memset(l->names, 0, l->ix.n * sizeof(*l->names));
	}
	if (!l->names[k])
		l->names[k] = name;
	else
		free(name);
	return l->names[k];
}

/* The entry of l named name, its bytes checked (once: its name is then
 * kept): its index, or -1 when there is none. */
static long checked_entry(struct lazy *l, const char *name)
{
	size_t nl = strlen(name);
	uint64_t h = vi_idx_hash(name, nl);

	for (const struct vi_idx_entry *e = vi_idx_lookup(&l->ix, h);
	     e && e < l->ix.e + l->ix.n && e->nhash == h; e++) {
		size_t k = (size_t)(e - l->ix.e);
		const char *have = l->names ? l->names[k] : NULL;
		if (e->nlen != nl)
			continue;
		if (!have) {
			char *tmp;
			have = keep_name(l, k, entry_name(e, entry_bytes(l, e, &tmp)));
			drop(tmp);
		}
		if (!strcmp(have, name))
			return (long)k;
	}
	return -1;
}

int vi_lazy_entry_hash(json_t *obj, const char *name, uint64_t *bhash)
{
	struct lazy *l = find(obj);
	long k;

	if (!l || !name)
		return -1;
	if ((k = checked_entry(l, name)) < 0)
		return 0;
	*bhash = l->ix.e[k].bhash;
	return 1;
}

int vi_lazy_has(json_t *obj, const char *name)
{
	struct lazy *l = find(obj);

	if (json_object_get(obj, name))
		return 1;
	return l && name && checked_entry(l, name) >= 0;
}

static struct lazy *cmp_ctx;

static int by_offset(const void *a, const void *b)
{
	uint32_t x = cmp_ctx->ix.e[*(const size_t *)a].name;
	uint32_t y = cmp_ctx->ix.e[*(const size_t *)b].name;

	return (x > y) - (x < y);
}

void vi_lazy_complete(json_t *obj)
{
	struct lazy *l = find(obj);
	size_t *order;
	char *all;

	/* once only: moving an entry frees its key, which a caller may hold */
	if (!l || l->complete)
		return;
	l->complete = 1;
	all = vi_xmalloc(l->ix.slen ? l->ix.slen : 1);
	vi_budget_charge_ptr(all);
	if (vi_pread_full(l->fd, all, l->ix.slen, l->ix.span) < 0)
		changed(l, l->ix.span);
	l->all = all;
	order = vi_xmalloc((l->ix.n ? l->ix.n : 1) * sizeof(*order));
	for (size_t i = 0; i < l->ix.n; i++)
		order[i] = i;
	cmp_ctx = l;
	qsort(order, l->ix.n, sizeof(*order), by_offset);
	for (size_t i = 0; i < l->ix.n; i++) {
		const struct vi_idx_entry *e = &l->ix.e[order[i]];
		char *tmp;
		const char *b = entry_bytes(l, e, &tmp);
		char *name = entry_name(e, b);
		json_t *v;
		if (!l->done[order[i]])
			parse_entry(l, order[i], name, b);
		/* moved to the end: after the loop, the file's order */
		if ((v = json_incref(json_object_get(obj, name)))) {
			json_object_del(obj, name);
			json_object_set_new(obj, name, v);
		}
		free(name);
	}
	free(order);
	l->all = NULL;
	drop(all);
}

/* Is member m of entry v alias, or an array that lists it? */
static int lists(json_t *v, const char *m, const char *alias)
{
	json_t *x = json_object_get(v, m), *y;
	size_t i;

	if (json_is_string(x))
		return !strcmp(json_string_value(x), alias);
	json_array_foreach(x, i, y)
		if (json_is_string(y) && !strcmp(json_string_value(y), alias))
			return 1;
	return 0;
}

int vi_lazy_aliases(json_t *obj, const char *alias, const char *member, vi_lazy_each fn,
		    void *ctx)
{
	struct lazy *l = find(obj);
	const struct vi_idx_alias *a;
	uint64_t h = vi_idx_hash(alias, strlen(alias));
	int n = 0;

	if (!l || !(l->ix.flags & VI_IDX_ALIASES) || (l->ix.flags & VI_IDX_ESCAPES))
		return -1;
	for (a = vi_idx_alias(&l->ix, h); a && a < l->ix.alias + l->ix.nalias && a->hash == h;
	     a++) {
		const struct vi_idx_entry *e = &l->ix.e[a->entry];
		char *tmp;
		const char *name = l->names ? l->names[a->entry] : NULL;
		json_t *v;
		if (a > l->ix.alias && a[-1].hash == h && a[-1].entry == a->entry)
			continue;	/* an entry that lists it twice */
		if (!name) {
			name = keep_name(l, a->entry, entry_name(e, entry_bytes(l, e, &tmp)));
			drop(tmp);
		}
		v = vi_lazy_get(obj, name);
		if (lists(v, member, alias)) {
			n++;
			if (fn(v, name, ctx))
				break;
		}
	}
	return n;
}

struct first {
	json_t **entry;
	const char **key;
};

static int first_only(json_t *entry, const char *key, void *ctx)
{
	struct first *out = ctx;

	*out->entry = entry;
	*out->key = key;
	return 1;
}

int vi_lazy_alias(json_t *obj, const char *alias, const char *member, json_t **entry,
		  const char **key)
{
	struct first out = { entry, key };

	return vi_lazy_aliases(obj, alias, member, first_only, &out);
}

void vi_lazy_forget(json_t *doc)
{
	for (size_t i = nreg; doc && i-- > 0;)
		if (reg[i]->doc == doc) {	/* each of its objects */
			struct lazy *l = reg[i];
			reg[i] = reg[--nreg];
			if (last == l)
				last = NULL;
			if (l->owns_fd)	/* its doc's other objects go with it */
				close(l->fd);
			for (size_t k = 0; l->names && k < l->ix.n; k++)
				free(l->names[k]);
			free(l->names);
			free(l->path);
			free(l->done);
			free(l);
		}
}
