/* vi-tree.c - nodes of the decoded tree. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vi-budget.h"
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

/* Names and strings come from hostile input: keep them printable ASCII so
 * neither a terminal nor a JSON encoder sees raw control or invalid bytes. */
static char *printable_dup(const char *s)
{
	size_t n = 1;
	char *out, *o;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p < 0x20 || *p > 0x7e || *p == '\\') ? 4 : 1;
	o = out = t_alloc(n);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
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
	n->name = printable_dup(name ? name : "");
	n->type = printable_dup(type ? type : "");
	n->offset = offset;
	n->parent = parent;
	live_nodes++;
	made_nodes++;
	if (parent) {
		if (parent->nkids == parent->ckids) {
			parent->ckids = parent->ckids ? parent->ckids * 2 : 4;
			parent->kids = t_realloc(parent->kids,
						   parent->ckids * sizeof(*parent->kids));
		}
		parent->kids[parent->nkids++] = n;
	}
	return n;
}

void vi_node_free(struct vi_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		vi_node_free(n->kids[i]);
	for (size_t i = 0; i < n->nattrs; i++)
		t_free(n->attrs[i].s);
	if (n->vt == VI_V_STR)
		t_free(n->v.s);
	t_free(n->attrs);
	t_free(n->kids);
	t_free(n->bytes);
	t_free(n->name);
	t_free(n->type);
	t_free(n);
	live_nodes--;
}

void vi_node_drop_kids_from(struct vi_node *n, size_t keep)
{
	while (n->nkids > keep)
		vi_node_free(n->kids[--n->nkids]);
}

static struct vi_attr *attr_slot(struct vi_node *n, const char *key)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].key, key) == 0) {
			t_free(n->attrs[i].s);
			n->attrs[i].s = NULL;
			return &n->attrs[i];
		}
	if (n->nattrs == n->cattrs) {
		n->cattrs = n->cattrs ? n->cattrs * 2 : 4;
		n->attrs = t_realloc(n->attrs, n->cattrs * sizeof(*n->attrs));
	}
	memset(&n->attrs[n->nattrs], 0, sizeof(n->attrs[0]));
	n->attrs[n->nattrs].key = key;
	return &n->attrs[n->nattrs++];
}

void vi_node_attr_u(struct vi_node *n, const char *key, uint64_t v)
{
	struct vi_attr *a = attr_slot(n, key);
	a->is_str = 0;
	a->u = v;
}

void vi_node_attr_s(struct vi_node *n, const char *key, const char *s)
{
	struct vi_attr *a = attr_slot(n, key);
	a->is_str = 1;
	a->s = printable_dup(s);
}

const struct vi_attr *vi_node_attr_by_key(const struct vi_node *n, const char *key)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].key, key) == 0)
			return &n->attrs[i];
	return NULL;
}

static uint64_t attr_uint(const struct vi_node *n, const char *key, uint64_t dflt)
{
	const struct vi_attr *a = n ? vi_node_attr_by_key(n, key) : NULL;
	return a && !a->is_str ? a->u : dflt;
}

static const char *attr_str(const struct vi_node *n, const char *key)
{
	const struct vi_attr *a = vi_node_attr_by_key(n, key);
	return a && a->is_str ? a->s : NULL;
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
	t_free(n->type);
	n->type = printable_dup(type);
}

void vi_node_set_str(struct vi_node *n, const char *s)
{
	if (n->vt == VI_V_STR)
		t_free(n->v.s);
	n->vt = VI_V_STR;
	n->v.s = printable_dup(s);
}

void vi_node_set_bytes(struct vi_node *n, const uint8_t *p, size_t len)
{
	size_t k = len < VI_MAX_PREVIEW ? len : VI_MAX_PREVIEW;
	t_free(n->bytes);
	n->vt = VI_V_BYTES;
	n->bytes = t_alloc(k);
	memcpy(n->bytes, p, k);
	n->nbytes = k;
	n->blob_len = len;
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

const char *vi_attr_key(enum vi_attr_id id)
{
	return (unsigned)id < VI_A_COUNT ? attr_keys[id] : "";
}

int vi_node_has(const struct vi_node *n, enum vi_attr_id id)
{
	return n && vi_node_attr_by_key(n, vi_attr_key(id)) != NULL;
}

uint64_t vi_node_u(const struct vi_node *n, enum vi_attr_id id, uint64_t dflt)
{
	return attr_uint(n, vi_attr_key(id), dflt);
}

const char *vi_node_s(const struct vi_node *n, enum vi_attr_id id)
{
	return n ? attr_str(n, vi_attr_key(id)) : NULL;
}

const struct vi_attr *vi_node_get(const struct vi_node *n, enum vi_attr_id id)
{
	return n ? vi_node_attr_by_key(n, vi_attr_key(id)) : NULL;
}

void vi_node_put_u(struct vi_node *n, enum vi_attr_id id, uint64_t v)
{
	vi_node_attr_u(n, vi_attr_key(id), v);
}

void vi_node_put_s(struct vi_node *n, enum vi_attr_id id, const char *s)
{
	vi_node_attr_s(n, vi_attr_key(id), s);
}
