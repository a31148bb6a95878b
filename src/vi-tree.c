/* vi-tree.c - nodes of the decoded tree. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
#include "vi-intern.h"
#include "vi-tree.h"
#include "vi-limits.h"

static size_t live_nodes;
static uint64_t made_nodes;

void *vi_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("vmstate-inspect: out of memory\n", stderr);
		exit(3);
	}
	return p;
}

void *vi_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("vmstate-inspect: out of memory\n", stderr);
		exit(3);
	}
	return p;
}

char *vi_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(vi_xmalloc(n), s, n);
}

/* Everything a node owns is charged to the memory budget (vi-budget.h). */
static void *t_alloc(size_t n)
{
	void *p = vi_xmalloc(n);
	vi_budget_charge_ptr(p);
	return p;
}

static void *t_realloc(void *p, size_t n)
{
	vi_budget_release_ptr(p);
	p = vi_xrealloc(p, n);
	vi_budget_charge_ptr(p);
	return p;
}

static void t_free(void *p)
{
	vi_budget_release_ptr(p);
	free(p);
}

size_t vi_node_count(void)
{
	return live_nodes;
}

uint64_t vi_node_made(void)
{
	return made_nodes;
}

struct vi_node *vi_node_new(struct vi_node *parent, enum vi_kind kind,
			    const char *name, const char *type, uint64_t offset)
{
	struct vi_node *n = t_alloc(sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->name = vi_intern(name ? name : "");
	n->type = vi_intern(type ? type : "");
	n->offset = offset;
	n->parent = parent;
	live_nodes++;
	made_nodes++;
	if (parent) {
		if (parent->nkids == parent->ckids) {
			if (parent->ckids > UINT32_MAX / 2) {
				fputs("vmstate-inspect: out of memory\n", stderr);
				exit(3);
			}
			parent->ckids = parent->ckids ? parent->ckids * 2 : 4;
			parent->kids = t_realloc(parent->kids,
						   parent->ckids * sizeof(*parent->kids));
		}
		parent->kids[parent->nkids++] = n;
	}
	return n;
}

void vi_node_reserve(struct vi_node *n, unsigned nattrs, unsigned nkids)
{
	if (!n->attrs && !n->cattrs && nattrs && nattrs < UINT16_MAX - 4) {
		n->cattrs = (uint16_t)nattrs;
		n->attrs = t_alloc(nattrs * sizeof(*n->attrs));
	}
	if (!n->kids && !n->ckids && nkids && nkids <= UINT32_MAX / 2) {
		n->ckids = nkids;
		n->kids = t_alloc(nkids * sizeof(*n->kids));
	}
}

void vi_node_fit(struct vi_node *n)
{
	if (n->nattrs && n->nattrs < n->cattrs) {
		n->attrs = t_realloc(n->attrs, n->nattrs * sizeof(*n->attrs));
		n->cattrs = n->nattrs;
	}
	if (n->nkids && n->nkids < n->ckids) {
		n->kids = t_realloc(n->kids, n->nkids * sizeof(*n->kids));
		n->ckids = n->nkids;
	}
}

const struct vi_node *vi_node_footer(const struct vi_node *sec, struct vi_node *buf,
				     struct vi_attr *attr)
{
	if (!sec || !sec->footer || sec->length < 5)
		return NULL;
	memset(buf, 0, sizeof(*buf));
	memset(attr, 0, sizeof(*attr));
	attr->key = VI_A_SECTION_ID;
	attr->u = vi_node_u(sec, VI_A_SECTION_ID, 0);
	buf->kind = VI_N_FOOTER;
	buf->name = "footer";
	buf->type = "footer";
	buf->offset = vi_node_payload_end(sec);
	buf->length = 5;
	buf->attrs = attr;
	buf->nattrs = buf->cattrs = 1;
	buf->parent = (struct vi_node *)(uintptr_t)sec;
	return buf;
}

uint64_t vi_node_payload_end(const struct vi_node *sec)
{
	return sec->offset + sec->length - (sec->footer && sec->length >= 5 ? 5 : 0);
}

void vi_node_free(struct vi_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		vi_node_free(n->kids[i]);
	for (size_t i = 0; i < n->nattrs; i++)
		if (n->attrs[i].is_str)
			vi_unintern(n->attrs[i].s);
	if (n->vt == VI_V_STR)
		vi_unintern(n->v.s);
	t_free(n->attrs);
	t_free(n->kids);
	t_free(n->bytes);
	vi_unintern(n->name);
	vi_unintern(n->type);
	t_free(n);
	live_nodes--;
}

void vi_node_drop_kids_from(struct vi_node *n, size_t keep)
{
	while (n->nkids > keep)
		vi_node_free(n->kids[--n->nkids]);
}

static const char *const attr_keys[VI_A_COUNT] = {
	[VI_A_SECTION_ID] = "section_id", [VI_A_INSTANCE_ID] = "instance_id",
	[VI_A_VERSION_ID] = "version_id", [VI_A_UNDECODED_BYTES] = "undecoded_bytes",
	[VI_A_DECODED_BY] = "decoded_by", [VI_A_ARRAY_LEN] = "array_len",
	[VI_A_VERSION] = "version", [VI_A_USED_LENGTH] = "used_length",
	[VI_A_PAGES] = "pages", [VI_A_ZERO_PAGES] = "zero_pages",
	[VI_A_NORMAL_PAGES] = "normal_pages", [VI_A_PAGE_SIZE] = "page_size",
	[VI_A_TRANSPORT] = "transport", [VI_A_COMMAND] = "command",
	[VI_A_VMDESC_INDEX] = "vmdesc_index", [VI_A_PAYLOAD_OFFSET] = "payload_offset",
	[VI_A_OPS] = "ops", [VI_A_NUM_QUEUES] = "num_queues",
	[VI_A_MULTIFD_FLUSHES] = "multifd_flushes", [VI_A_MSIX_VECTORS] = "msix_vectors",
	[VI_A_FOUND_BY] = "found_by", [VI_A_EMULATED_DISK_PART] = "emulated_disk_part",
	[VI_A_DIGEST_UNAVAILABLE] = "digest_unavailable",
	[VI_A_XXH3_128] = "xxh3_128",
};

/* Key names: attr_keys, then those given as strings (from the code: a few
 * dozen), found through a small cache by address (and checked by content:
 * a test may pass a buffer). */
#define MAX_KEYS 256
static const char *keys[MAX_KEYS];
static unsigned nkeys;
static struct { const char *p; uint16_t id; } key_cache[512];

static void init_keys(void)
{
	if (!nkeys)
		for (nkeys = 0; nkeys < VI_A_COUNT; nkeys++)
			keys[nkeys] = attr_keys[nkeys];
}

static int key_id(const char *key, int add)
{
	size_t h = ((uintptr_t)key >> 3) % 512;

	if (key_cache[h].p == key && strcmp(keys[key_cache[h].id], key) == 0)
		return key_cache[h].id;
	init_keys();
	for (unsigned i = 0; i < nkeys; i++)
		if (strcmp(keys[i], key) == 0) {
			key_cache[h].p = key;
			key_cache[h].id = (uint16_t)i;
			return (int)i;
		}
	if (!add)
		return -1;
	if (nkeys == MAX_KEYS) {
		fputs("vmstate-inspect: too many attribute keys\n", stderr);
		abort();
	}
	keys[nkeys] = vi_xstrdup(key);	/* kept for the process's life */
	key_cache[h].p = key;
	key_cache[h].id = (uint16_t)nkeys;
	return (int)nkeys++;
}

const char *vi_attr_name(const struct vi_attr *a)
{
	init_keys();
	return a->key < nkeys ? keys[a->key] : "";
}

static const struct vi_attr *attr_find(const struct vi_node *n, int id)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (n->attrs[i].key == id)
			return &n->attrs[i];
	return NULL;
}

static struct vi_attr *attr_slot(struct vi_node *n, int id)
{
	struct vi_attr *a = (struct vi_attr *)(uintptr_t)attr_find(n, id);

	if (a) {
		if (a->is_str)
			vi_unintern(a->s);
		a->is_str = 0;
		a->u = 0;
		return a;
	}
	if (n->nattrs == n->cattrs) {	/* 2, 4, 8, 12, 16, ... */
		if (n->cattrs >= UINT16_MAX - 4) {
			fputs("vmstate-inspect: too many attributes\n", stderr);
			abort();
		}
		n->cattrs = n->cattrs < 8 ? (n->cattrs ? n->cattrs * 2 : 2) : n->cattrs + 4;
		n->attrs = t_realloc(n->attrs, n->cattrs * sizeof(*n->attrs));
	}
	a = &n->attrs[n->nattrs++];
	memset(a, 0, sizeof(*a));
	a->key = (uint16_t)id;
	return a;
}

static void set_u(struct vi_node *n, int id, uint64_t v)
{
	attr_slot(n, id)->u = v;
}

static void set_s(struct vi_node *n, int id, const char *s)
{
	const char *v = vi_intern(s);	/* s may be the value it replaces */
	struct vi_attr *a = attr_slot(n, id);
	a->is_str = 1;
	a->s = v;
}

void vi_node_attr_u(struct vi_node *n, const char *key, uint64_t v)
{
	set_u(n, key_id(key, 1), v);
}

void vi_node_attr_s(struct vi_node *n, const char *key, const char *s)
{
	set_s(n, key_id(key, 1), s);
}

const struct vi_attr *vi_node_attr_by_key(const struct vi_node *n, const char *key)
{
	int id = key_id(key, 0);
	return id < 0 ? NULL : attr_find(n, id);
}


const char *vi_idstr_vmsd(const char *idstr)
{
	const char *s = strrchr(idstr, '/');
	return s ? s + 1 : idstr;
}

int vi_idstr_names(const char *idstr, const char *name)
{
	size_t ln = strlen(idstr), lm = strlen(name);

	if (!strcmp(idstr, name))
		return 1;
	return ln > lm && idstr[ln - lm - 1] == '/' && !strcmp(idstr + ln - lm, name);
}

void vi_node_path(const struct vi_node *n, char *buf, size_t len)
{
	const struct vi_node *chain[64];
	int depth = 0;
	size_t k = 0;

	for (; n && n->kind != VI_N_ROOT && depth < 64; n = n->parent)
		chain[depth++] = n;
	buf[0] = '\0';
	while (depth-- > 0 && k < len) {
		const struct vi_node *x = chain[depth];
		const struct vi_attr *inst = vi_node_get(x, VI_A_INSTANCE_ID);
		int w = x->kind == VI_N_SECTION && inst
			? snprintf(buf + k, len - k, "%s[%" PRIu64 "]", x->name, inst->u)
			: snprintf(buf + k, len - k, "%s%s", k ? "/" : "", x->name);
		if (w < 0)
			break;
		k += (size_t)w;
	}
}

int vi_node_is_first_record(const struct vi_node *n)
{
	return n->kind == VI_N_SECTION && (!strcmp(n->type, "full") || !strcmp(n->type, "start"));
}

void vi_node_set_type(struct vi_node *n, const char *type)
{
	const char *t = vi_intern(type);
	vi_unintern(n->type);
	n->type = t;
}

void vi_node_set_str(struct vi_node *n, const char *s)
{
	const char *v = vi_intern(s);
	if (n->vt == VI_V_STR)
		vi_unintern(n->v.s);
	n->vt = VI_V_STR;
	n->v.s = v;
}

void vi_node_set_bytes(struct vi_node *n, const uint8_t *p, size_t len)
{
	size_t k = len < VI_MAX_PREVIEW ? len : VI_MAX_PREVIEW;
	t_free(n->bytes);
	n->vt = VI_V_BYTES;
	n->bytes = t_alloc(k);
	memcpy(n->bytes, p, k);
	n->nbytes = (uint16_t)k;
	n->blob_len = len;
}


const char *vi_attr_key(enum vi_attr_id id)
{
	return (unsigned)id < VI_A_COUNT ? attr_keys[id] : "";
}

/* The typed getters: ids below VI_A_COUNT are their own key index. */
int vi_node_has(const struct vi_node *n, enum vi_attr_id id)
{
	return n && attr_find(n, (int)id) != NULL;
}

const struct vi_attr *vi_node_get(const struct vi_node *n, enum vi_attr_id id)
{
	return n ? attr_find(n, (int)id) : NULL;
}

uint64_t vi_node_u(const struct vi_node *n, enum vi_attr_id id, uint64_t dflt)
{
	const struct vi_attr *a = vi_node_get(n, id);
	return a && !a->is_str ? a->u : dflt;
}

const char *vi_node_s(const struct vi_node *n, enum vi_attr_id id)
{
	const struct vi_attr *a = vi_node_get(n, id);
	return a && a->is_str ? a->s : NULL;
}

void vi_node_put_u(struct vi_node *n, enum vi_attr_id id, uint64_t v)
{
	set_u(n, (int)id, v);
}

void vi_node_put_s(struct vi_node *n, enum vi_attr_id id, const char *s)
{
	set_s(n, (int)id, s);
}
