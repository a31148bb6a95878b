/* machines.c - machine types and compat properties, and their rules.
 *
 * A machine type pins old behaviour through compat properties (driver,
 * property, value, from arrays like hw_compat_5_1).  Rules, as data,
 * say what a property does to a stream (schemas/README-compat.md, "Effect
 * kinds"): a subsection, section, field, command or RAM flag that is never
 * sent, a virtio queue or MSI-X vector count, a feature bit, a register
 * bit, a ring size, a RAMBlock name, a request layout.  Each rule is
 * evaluated on the decoded tree and, where the tree has only a blob, on
 * the stream's bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "budget.h"
#include "jutil.h"
#include "machines.h"
#include "schema.h"
#include "session.h"

/* Machine data and compat rules sit in the schema directories: a FIFO or a
 * device there would block or never end, so only regular files are read. */
static json_t *load(const char *path, struct vi_error *err)
{
	json_error_t jerr;
	struct stat st;
	json_t *doc;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: not a regular file", path);
		return NULL;
	}
	vi_budget_add_json_input((uint64_t)st.st_size);
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: byte %d: bad JSON: %s", path,
			jerr.position, jerr.text);
	return doc;
}

static int valid_machines(json_t *doc, const char *path, struct vi_error *err)
{
	json_t *ms = json_object_get(doc, "machines"), *m, *p;
	const char *k;
	size_t i;

	if (!json_is_object(ms))
		return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET, "%s: no \"machines\" object", path);
	json_object_foreach(ms, k, m) {
		if (!json_is_object(m) || (json_object_get(m, "compat_props") &&
					   !json_is_array(json_object_get(m, "compat_props"))))
			return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
				       "%s: machine %s: compat_props is not a list", path, k);
		json_array_foreach(json_object_get(m, "compat_props"), i, p)
			if (!jstr(p, "driver") || !jstr(p, "property") || !jstr(p, "value"))
				return vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
					       "%s: machine %s: a compat property lacks "
					       "driver, property or value", path, k);
	}
	return 0;
}

int machines_load(struct vi_machines *m, const char *target, const char *schema_dir,
		  struct vi_error *err)
{
	const char *const *dirs = schema_dirs(schema_dir);
	char rules[1100];

	memset(m, 0, sizeof(*m));
	if (strstr(target, ".json"))	/* a schema file, not a target id */
		return 1;
	for (int i = 0; dirs[i]; i++) {
		snprintf(m->path, sizeof(m->path), "%s/machines/%s.json", dirs[i], target);
		if (access(m->path, R_OK) != 0)
			continue;
		if (!(m->doc = load(m->path, err)) || valid_machines(m->doc, m->path, err) < 0) {
			machines_free(m);
			return -1;
		}
		snprintf(rules, sizeof(rules), "%s/compat-rules.json", dirs[i]);
		if (access(rules, R_OK) == 0) {
			json_t *r = load(rules, err);
			if (!r || !json_is_array(json_object_get(r, "rules"))) {
				json_decref(r);
				machines_free(m);
				return err->set ? -1 : vi_fail(err, VI_EXIT_USAGE, VI_NO_OFFSET,
							      "%s: no \"rules\" list", rules);
			}
			m->rules = json_incref(json_object_get(r, "rules"));
			json_decref(r);
			snprintf(m->rules_path, sizeof(m->rules_path), "%s", rules);
		}
		return 0;
	}
	return 1;
}

void machines_free(struct vi_machines *m)
{
	json_decref(m->doc);
	json_decref(m->rules);
	m->doc = m->rules = NULL;
}

json_t *machines_get(const struct vi_machines *m, const char *name, const char **resolved)
{
	json_t *ms = json_object_get(m->doc, "machines"), *v, *a;
	const char *k;
	size_t i;

	if ((v = json_object_get(ms, name))) {
		if (resolved)
			*resolved = name;
		return v;
	}
	json_object_foreach(ms, k, v)
		json_array_foreach(json_object_get(v, "aliases"), i, a)
			if (json_is_string(a) && strcmp(json_string_value(a), name) == 0) {
				if (resolved)
					*resolved = k;
				return v;
			}
	return NULL;
}

/* ---- evaluating rules on the decoded tree ------------------------------ *
 *
 * Every effect kind of schemas/README-compat.md is a constraint on what a
 * source whose machine type has the property writes.  eval() lists the
 * places where a stream breaks it (the offending bytes); machines_check()
 * turns them into machine-property findings.
 */

struct viol {
	struct vi_node *at;      /* the node concerned (for its path) */
	uint64_t offset, length; /* the offending bytes */
	char detail[256];
};

struct viols {
	struct viol *v;
	size_t n, cap;
};

/* What one rule is evaluated with. */
struct eval {
	struct vi_session *s;    /* the stream (its tree and its bytes) */
	json_t *eff;
	const char *kind, *vmsd, *value;
	struct viols *out;
};

__attribute__((format(printf, 5, 6)))
static void viol(struct eval *e, struct vi_node *at, uint64_t off, uint64_t len,
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

static const char *last(const char *idstr)
{
	const char *s = strrchr(idstr, '/');
	return s ? s + 1 : idstr;
}

static int is_device_section(const struct vi_node *n)
{
	return n->kind == VI_N_SECTION && (!strcmp(n->type, "full") || !strcmp(n->type, "start"));
}

static int section_matches(const struct vi_node *sec, const char *vmsd)
{
	return is_device_section(sec) && vmsd && (!strcmp(vmsd, "*") || !strcmp(last(sec->name), vmsd));
}

/* Every node of a subtree for which pick() is true, in stream order. */
typedef int (*pick_fn)(const struct vi_node *n, const void *arg);

static void collect(struct vi_node *n, pick_fn pick, const void *arg, struct vi_node **found,
		    size_t max, size_t *nfound, int depth)
{
	if (depth > 64 || *nfound >= max)
		return;
	if (pick(n, arg))
		found[(*nfound)++] = n;
	for (size_t i = 0; i < n->nkids; i++)
		collect(n->kids[i], pick, arg, found, max, nfound, depth + 1);
}

#define MAX_FOUND 256

static int pick_subsection(const struct vi_node *n, const void *name)
{
	return n->kind == VI_N_SUBSECTION && !strcmp(n->name, name);
}

static int pick_field_named(const struct vi_node *n, const void *name)
{
	return n->kind == VI_N_FIELD && !strcmp(n->name, name);
}

static int pick_type(const struct vi_node *n, const void *type)
{
	return n->kind == VI_N_FIELD && !strcmp(n->type, type);
}

static struct vi_node *kid(struct vi_node *n, const char *name)
{
	for (size_t i = 0; n && i < n->nkids; i++)
		if (!strcmp(n->kids[i]->name, name))
			return n->kids[i];
	return NULL;
}

static uint64_t attr_u(const struct vi_node *n, const char *key, uint64_t dflt)
{
	const struct vi_attr *a = n ? vi_node_attr(n, key) : NULL;
	return a ? a->u : dflt;
}

static int read_at(struct eval *e, uint64_t off, uint8_t *buf, size_t n)
{
	return e->s->r && rd_peek_at(e->s->r, off, buf, n) == n ? 0 : -1;
}

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int number(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int is_off(const char *v)
{
	return v && (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"));
}

/* The sections of the rule's vmsd, and their virtio payloads. */
#define FOR_SECTIONS(e, sec)                                                       \
	for (size_t i_ = 0; (e)->s->w.root && i_ < (e)->s->w.root->nkids; i_++)    \
		if (((sec) = (e)->s->w.root->kids[i_]), section_matches((sec), (e)->vmsd))

static struct vi_node *virtio_payload(struct vi_node *sec)
{
	struct vi_node *found[1];
	size_t n = 0;

	collect(sec, pick_type, "virtio", found, 1, &n, 0);
	return n && found[0]->nkids ? found[0] : NULL;   /* decoded, not a blob */
}

static void eval_subsection_absent(struct eval *e)
{
	const char *sub = jstr(e->eff, "subsection");
	struct vi_node *sec, *found[MAX_FOUND];

	if (!sub)
		return;
	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		collect(sec, pick_subsection, sub, found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++)
			viol(e, found[k], found[k]->offset, found[k]->length,
			     "the stream carries subsection %s in %s", sub, sec->name);
	}
}

static void eval_section_absent(struct eval *e)
{
	struct vi_node *sec;

	FOR_SECTIONS(e, sec)
		viol(e, sec, sec->offset, sec->length, "the stream carries section %s", sec->name);
}

static int pick_command(const struct vi_node *n, const void *cmd)
{
	const struct vi_attr *c = vi_node_attr(n, "command");
	return n->kind == VI_N_COMMAND && c && (json_int_t)c->u == *(const json_int_t *)cmd;
}

static void eval_command_absent(struct eval *e)
{
	json_t *c = json_object_get(e->eff, "command");
	json_int_t cmd = json_integer_value(c);
	struct vi_node *found[MAX_FOUND];
	size_t n = 0;

	if (!json_is_integer(c) || !e->s->w.root)
		return;
	collect(e->s->w.root, pick_command, &cmd, found, MAX_FOUND, &n, 0);
	for (size_t k = 0; k < n; k++)
		viol(e, found[k], found[k]->offset, found[k]->length,
		     "the stream carries command %s (0x%x)", found[k]->name, (unsigned)cmd);
}

static void eval_ram_flag_absent(struct eval *e)
{
	const char *flag = jstr(e->eff, "flag");
	struct vi_node *root = e->s->w.root;

	if (!flag || strcmp(flag, "MULTIFD_FLUSH") != 0 || !root)
		return;          /* the only flag the RAM walker counts */
	for (size_t i = 0; i < root->nkids; i++) {
		struct vi_node *sec = root->kids[i];
		uint64_t n = attr_u(sec, "multifd_flushes", 0);
		if (sec->kind == VI_N_SECTION && !strcmp(sec->name, "ram") && n)
			viol(e, sec, sec->offset, sec->length, "this RAM section carries %" PRIu64
			     " MULTIFD_FLUSH record%s", n, n == 1 ? "" : "s");
	}
}

static void eval_queue_count(struct eval *e, uint64_t fixed)
{
	struct vi_node *sec, *v, *nq;
	uint64_t want;

	if (number(e->value, &want) < 0)
		return;
	want += fixed;
	FOR_SECTIONS(e, sec) {
		uint64_t have;
		if (!(v = virtio_payload(sec)) || !(nq = kid(v, "num_queues")))
			continue;
		if ((have = attr_u(v, "num_queues", nq->v.u)) != want)
			viol(e, nq, nq->offset, nq->length, "the stream has %" PRIu64 " virtqueues "
			     "in %s, a source with that value writes %" PRIu64 "%s", have, sec->name,
			     want, fixed ? " (control and event queues included)" : "");
	}
}

static void eval_msix_vectors(struct eval *e)
{
	struct vi_node *sec, *v, *t;
	uint64_t want;

	if (number(e->value, &want) < 0)
		return;
	FOR_SECTIONS(e, sec) {
		uint64_t have;
		struct vi_node *at;
		if (!(v = virtio_payload(sec)) || !(t = kid(v, "transport")) ||
		    strcmp(t->type, "virtio-pci") != 0)
			continue;
		if ((have = attr_u(t, "msix_vectors", 0)) == want)
			continue;
		/* The MSI-X table if there is one, else the config space that
		 * lacks the capability. */
		at = kid(t, "msix_table");
		if (!at && (at = kid(t, "PCIDevice")))
			at = kid(at, "config") ? kid(at, "config") : at;
		if (!at)
			at = t;
		viol(e, at, at->offset, at->length, "the stream has %" PRIu64 " MSI-X vector%s in "
		     "%s, a source with that value has %" PRIu64, have, have == 1 ? "" : "s",
		     sec->name, want);
	}
}

static void eval_feature_bit(struct eval *e)
{
	json_t *b = json_object_get(e->eff, "bit");
	json_int_t bit = json_integer_value(b);
	struct vi_node *sec, *v;

	if (!json_is_integer(b) || bit < 0 || bit > 63 || !is_off(e->value))
		return;
	FOR_SECTIONS(e, sec) {
		if (!(v = virtio_payload(sec)))
			continue;
		if (bit < 32) {
			struct vi_node *f = kid(v, "guest_features");
			if (f && f->length == 4 && (f->v.u >> bit) & 1)
				viol(e, f, f->offset + 3 - (uint64_t)bit / 8, 1, "feature bit %d is "
				     "negotiated in %s (guest_features 0x%" PRIx64 ")", (int)bit,
				     sec->name, f->v.u);
		} else {
			/* Bits 32-63 travel only in virtio/64bit_features (be64 of
			 * all 64); without it they are 0. */
			struct vi_node *sub = kid(v, "virtio/64bit_features"), *d = kid(sub, "data");
			uint8_t buf[8];
			uint64_t f;
			if (!d || d->length != 8 || read_at(e, d->offset, buf, 8) < 0)
				continue;
			if ((f = be(buf, 8)) >> bit & 1)
				viol(e, d, d->offset + 7 - (uint64_t)bit / 8, 1, "feature bit %d is "
				     "negotiated in %s (virtio/64bit_features 0x%" PRIx64 ")",
				     (int)bit, sec->name, f);
		}
	}
}

static void eval_field_value(struct eval *e)
{
	const char *path = jstr(e->eff, "path");
	json_t *eq = json_object_get(e->eff, "equals");
	struct vi_node *sec, *found[MAX_FOUND];
	char base[256];
	const char *br;
	long idx = -1;

	if (!path || !json_is_integer(eq))
		return;
	snprintf(base, sizeof(base), "%s", path);
	if ((br = strrchr(path, '[')) && br[1] >= '0' && br[1] <= '9') {
		idx = strtol(br + 1, NULL, 10);
		base[br - path] = '\0';
	}
	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		/* "mac_reg[VET]": a field of that very name; "core.mac[14]":
		 * element 14 of the array field core.mac (big-endian elements). */
		collect(sec, pick_field_named, path, found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			struct vi_node *f = found[k];
			if (f->nkids || (f->vt != VI_V_UINT && f->vt != VI_V_INT))
				continue;
			if (f->v.u != (uint64_t)json_integer_value(eq))
				viol(e, f, f->offset, f->length, "%s is 0x%" PRIx64 " in %s, a source "
				     "with that value leaves it 0x%" PRIx64, path, f->v.u, sec->name,
				     (uint64_t)json_integer_value(eq));
		}
		if (n || idx < 0)
			continue;
		collect(sec, pick_field_named, base, found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			struct vi_node *f = found[k];
			uint64_t len = attr_u(f, "array_len", 0), es, x, at;
			uint8_t buf[8];
			struct vi_node *el;
			if (!len || (uint64_t)idx >= len)
				continue;
			if (f->nkids) {		/* elements decoded as children */
				if ((uint64_t)idx >= f->nkids || (el = f->kids[idx])->nkids ||
				    (el->vt != VI_V_UINT && el->vt != VI_V_INT))
					continue;
				x = el->v.u;
				at = el->offset;
				es = el->length;
			} else {		/* one value: read element idx */
				if (f->length % len || (es = f->length / len) == 0 || es > 8 ||
				    read_at(e, (at = f->offset + (uint64_t)idx * es), buf, es) < 0)
					continue;
				x = be(buf, es);
			}
			if (x != (uint64_t)json_integer_value(eq))
				viol(e, f, at, es, "%s is 0x%" PRIx64 " in %s, a source with that "
				     "value leaves it 0x%" PRIx64, path, x, sec->name,
				     (uint64_t)json_integer_value(eq));
		}
	}
}

/* virtio-gpu's hand-written "virtio-gpu" field (hw/display/virtio-gpu.c
 * virtio_gpu_save): the resource list ending with be32 0, then vmstate
 * virtio-gpu-scanouts: be32 enable, be32 max_outputs, max_outputs x
 * virtio-gpu-one-scanout (10 be32 fields; the 6 fb.* fields of 8.2+ are
 * written only with x-scanout-vmstate-version >= 2).  The scanouts end the
 * field, so their size per output is read from the end: the layout with
 * the fb.* fields (64 bytes per output) or without (40).  1 = with, 0 =
 * without, -1 undecided (both or neither fit). */
static int gpu_scanouts_have_fb(struct eval *e, struct vi_node *f, uint64_t *at, uint32_t *outs)
{
	static const uint32_t per[2] = { 40, 64 };
	int fits[2] = { 0, 0 };
	uint64_t where[2] = { 0, 0 };
	uint32_t count[2] = { 0, 0 };
	uint8_t buf[4];

	for (int v = 0; v < 2; v++)
		for (uint32_t n = 1; n <= 16; n++) {
			uint64_t scan = (uint64_t)n * per[v];
			if (f->length < scan + 12)
				break;
			if (read_at(e, f->offset + f->length - scan - 4, buf, 4) < 0)
				return -1;
			if (be(buf, 4) == n) {
				fits[v]++;
				where[v] = f->offset + f->length - scan;
				count[v] = n;
			}
		}
	if (fits[0] + fits[1] != 1)
		return -1;
	*at = fits[1] ? where[1] : where[0];
	*outs = fits[1] ? count[1] : count[0];
	return fits[1];
}

static void eval_field_absent(struct eval *e)
{
	json_t *fields = json_object_get(e->eff, "fields"), *x;
	const char *st = jstr(e->eff, "struct");
	struct vi_node *sec, *found[MAX_FOUND];
	size_t i;

	if (!json_is_array(fields))
		return;
	FOR_SECTIONS(e, sec) {
		size_t before = e->out->n;
		json_array_foreach(fields, i, x) {
			size_t n = 0;
			if (!json_is_string(x))
				continue;
			collect(sec, pick_field_named, json_string_value(x), found, MAX_FOUND, &n, 0);
			for (size_t k = 0; k < n; k++)
				viol(e, found[k], found[k]->offset, found[k]->length,
				     "the stream carries field %s in %s", found[k]->name, sec->name);
		}
		if (e->out->n == before && st && !strcmp(st, "virtio-gpu-one-scanout")) {
			struct vi_node *g[4];
			size_t n = 0;
			uint64_t at;
			uint32_t outs;
			collect(sec, pick_type, "virtio-gpu", g, 4, &n, 0);
			for (size_t k = 0; k < n; k++)
				if (gpu_scanouts_have_fb(e, g[k], &at, &outs) == 1)
					viol(e, g[k], at, g[k]->offset + g[k]->length - at,
					     "the %u scanout%s of %s carry the fb.* fields (64 bytes "
					     "each; 40 without them)", outs, outs == 1 ? "" : "s",
					     sec->name);
		}
	}
}

/* The first capability with id cap in a config space, or 0. */
static unsigned pci_cap(const uint8_t *cfg, size_t n, unsigned cap)
{
	unsigned p, hops = 0;

	if (n < 0x40 || !(cfg[6] & 0x10))
		return 0;
	for (p = cfg[0x34] & 0xfc; p >= 0x40 && p + 1 < n && hops < 48; p = cfg[p + 1] & 0xfc, hops++)
		if (cfg[p] == cap)
			return p;
	return 0;
}

static void eval_pci_config_bits(struct eval *e)
{
	json_int_t cap = jint(e->eff, "capability", -1), off = jint(e->eff, "offset", -1);
	json_int_t size = jint(e->eff, "size", 0), mask = jint(e->eff, "mask", 0);
	json_int_t value = jint(e->eff, "value", 0);
	struct vi_node *sec, *found[MAX_FOUND];
	uint8_t cfg[4096];

	if (cap < 0 || cap > 255 || off < 0 || size < 1 || size > 4)
		return;
	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		collect(sec, pick_type, "pci config", found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			struct vi_node *f = found[k];
			size_t len = f->length < sizeof(cfg) ? f->length : sizeof(cfg);
			unsigned p;
			uint64_t reg = 0;
			if (read_at(e, f->offset, cfg, len) < 0 || !(p = pci_cap(cfg, len, (unsigned)cap)) ||
			    p + (size_t)off + (size_t)size > len)
				continue;
			for (json_int_t b = size - 1; b >= 0; b--)
				reg = reg << 8 | cfg[p + off + b];
			if ((reg & (uint64_t)mask) != (uint64_t)value)
				viol(e, f, f->offset + p + (uint64_t)off, (uint64_t)size,
				     "%s: capability 0x%02x at 0x%x, register +0x%x is 0x%" PRIx64
				     " (bits 0x%" PRIx64 " must be 0x%" PRIx64 ")", sec->name,
				     (unsigned)cap, p, (unsigned)off, reg, (uint64_t)mask,
				     (uint64_t)value);
		}
	}
}

static void eval_ring_size(struct eval *e)
{
	struct vi_node *sec, *v, *q;
	uint64_t limit;

	if (number(e->value, &limit) < 0)
		return;
	FOR_SECTIONS(e, sec) {
		if (!(v = virtio_payload(sec)) || !(q = kid(v, "queues")))
			continue;
		for (size_t k = 0; k < q->nkids; k++) {
			struct vi_node *num = kid(q->kids[k], "num");
			if (num && num->v.u > limit) {
				viol(e, num, num->offset, num->length, "virtqueue %zu of %s has %" PRIu64
				     " entries, a source with that value at most %" PRIu64, k,
				     sec->name, num->v.u, limit);
				break;	/* one per device */
			}
		}
	}
}

static void eval_ramblock_name(struct eval *e)
{
	const char *rb = jstr(e->eff, "ramblock");
	int with_path = json_is_true(json_object_get(e->eff, "device_path"));
	struct vi_node *root = e->s->w.root;
	size_t rl;

	if (!rb || !root)
		return;
	rl = strlen(rb);
	for (size_t i = 0; i < root->nkids; i++) {
		struct vi_node *sec = root->kids[i], *list;
		if (sec->kind != VI_N_SECTION || strcmp(sec->name, "ram") || strcmp(sec->type, "start"))
			continue;
		for (size_t k = 0; k < sec->nkids; k++) {
			if (strcmp((list = sec->kids[k])->type, "ramblock list"))
				continue;
			for (size_t b = 0; b < list->nkids; b++) {
				struct vi_node *blk = list->kids[b];
				size_t nl = strlen(blk->name);
				int bare = !strcmp(blk->name, rb);
				int pathed = nl > rl + 1 && blk->name[nl - rl - 1] == '/' &&
					     !strcmp(blk->name + nl - rl, rb);
				if (with_path ? bare : pathed)
					viol(e, blk, blk->offset, blk->length, "the stream names RAMBlock "
					     "\"%s\"; a source with that value names it \"%s%s\"", blk->name,
					     with_path ? "<device path>/" : "", rb);
			}
		}
	}
}

/* scsi-requests: src/scsi-requests.c decodes the list when exactly one
 * reading of it fits and says whether emulated requests carry scsi-disk's
 * part (sector, count, buffer), which migrate-emulated-scsi-request=false
 * leaves out.  An undecoded (ambiguous) list gets no verdict. */
static void eval_scsi_layout(struct eval *e)
{
	struct vi_node *sec, *found[MAX_FOUND];

	FOR_SECTIONS(e, sec) {
		size_t n = 0;
		collect(sec, pick_type, "scsi-requests", found, MAX_FOUND, &n, 0);
		for (size_t k = 0; k < n; k++) {
			const struct vi_attr *a = vi_node_attr(found[k], "emulated_disk_part");
			struct vi_node *first = NULL;
			if (!a || !a->is_str || strcmp(a->s, "yes"))
				continue;
			for (size_t i = 0; i < found[k]->nkids && !first; i++) {
				const struct vi_attr *ops = vi_node_attr(found[k]->kids[i], "ops");
				if (ops && ops->is_str && !strcmp(ops->s, "emulated"))
					first = found[k]->kids[i];
			}
			if (first)
				viol(e, found[k], first->offset, first->length, "an emulated SCSI "
				     "request in flight in %s carries scsi-disk's request state "
				     "(sector, count, buffer)", sec->name);
		}
	}
}

static void eval(struct eval *e)
{
	const char *k = e->kind;

	if (!strcmp(k, "subsection-absent"))
		eval_subsection_absent(e);
	else if (!strcmp(k, "section-absent"))
		eval_section_absent(e);
	else if (!strcmp(k, "command-absent"))
		eval_command_absent(e);
	else if (!strcmp(k, "ram-flag-absent"))
		eval_ram_flag_absent(e);
	else if (!strcmp(k, "virtio-queue-count"))
		eval_queue_count(e, 0);
	else if (!strcmp(k, "virtio-request-queue-count")) {
		json_int_t fq = jint(e->eff, "fixed_queues", -1);
		if (fq >= 0)
			eval_queue_count(e, (uint64_t)fq);
	} else if (!strcmp(k, "msix-vectors"))
		eval_msix_vectors(e);
	else if (!strcmp(k, "virtio-feature-bit"))
		eval_feature_bit(e);
	else if (!strcmp(k, "field-value"))
		eval_field_value(e);
	else if (!strcmp(k, "field-absent"))
		eval_field_absent(e);
	else if (!strcmp(k, "pci-config-bits"))
		eval_pci_config_bits(e);
	else if (!strcmp(k, "virtio-ring-size"))
		eval_ring_size(e);
	else if (!strcmp(k, "ramblock-name"))
		eval_ramblock_name(e);
	else if (!strcmp(k, "scsi-request-layout"))
		eval_scsi_layout(e);
	/* other kinds: unknown to this version, ignored (README-compat.md) */
}

/* Does the kind forbid something an older release did not know at all
 * (a subsection, section, command, field or RAM flag)?  Then a real QEMU of
 * the release the compat array stands for rejects the stream even where
 * 10.0 loads it.  Value kinds (field-value, ring size) are hints. */
static int kind_is_presence(const char *k)
{
	return !strcmp(k, "subsection-absent") || !strcmp(k, "section-absent") ||
	       !strcmp(k, "command-absent") || !strcmp(k, "ram-flag-absent") ||
	       !strcmp(k, "field-absent");
}

/* "hw_compat_6_0" / "pc_compat_2_11": the release the array restores. */
static int array_release(const char *array, char *buf, size_t n)
{
	const char *c = array ? strstr(array, "compat_") : NULL;
	unsigned maj, min;
	int used = 0;

	if (!c || sscanf(c, "compat_%u_%u%n", &maj, &min, &used) != 2 || c[used])
		return -1;
	snprintf(buf, n, "%u.%u", maj, min);
	return 0;
}

static void node_path(const struct vi_node *n, char *buf, size_t len)
{
	const struct vi_node *chain[64];
	int depth = 0;
	size_t k = 0;

	for (; n && n->kind != VI_N_ROOT && depth < 64; n = n->parent)
		chain[depth++] = n;
	buf[0] = '\0';
	while (depth-- > 0 && k < len) {
		const struct vi_node *x = chain[depth];
		const struct vi_attr *inst = vi_node_attr(x, "instance_id");
		int w = x->kind == VI_N_SECTION && inst
			? snprintf(buf + k, len - k, "%s[%" PRIu64 "]", x->name, inst->u)
			: snprintf(buf + k, len - k, "%s%s", k ? "/" : "", x->name);
		if (w < 0)
			break;
		k += (size_t)w;
	}
}

/* One finding before de-duplication: variants of a device (virtio-rng-pci,
 * -transitional, -non-transitional) share a vmsd, so one section breaks
 * the rules of all three; they become one finding naming the three. */
struct hit {
	json_t *rule;
	const char *property, *value, *array;
	char drivers[512];
	struct viol v;
};

struct hits {
	struct hit *v;
	size_t n, cap;
};

static void add_hit(struct hits *h, json_t *rule, json_t *prop, const struct viol *v)
{
	const char *drv = jstr(prop, "driver"), *pr = jstr(prop, "property");
	const char *val = jstr(prop, "value"), *arr = jstr(prop, "array") ? jstr(prop, "array") : "";
	json_t *eff = json_object_get(rule, "effect");
	struct hit *x;

	for (size_t i = 0; i < h->n; i++) {
		x = &h->v[i];
		if (x->v.offset == v->offset && x->v.length == v->length &&
		    !strcmp(x->property, pr) && !strcmp(x->value, val) && !strcmp(x->array, arr) &&
		    !strcmp(x->v.detail, v->detail) &&
		    json_equal(json_object_get(x->rule, "effect"), eff) &&
		    !strcmp(jstr(x->rule, "load_with_property") ? jstr(x->rule, "load_with_property") : "",
			    jstr(rule, "load_with_property") ? jstr(rule, "load_with_property") : "")) {
			size_t l = strlen(x->drivers);
			if (!strstr(x->drivers, drv))
				snprintf(x->drivers + l, sizeof(x->drivers) - l, ", %s", drv);
			return;
		}
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->v = vi_xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	x = &h->v[h->n++];
	x->rule = rule;
	x->property = pr;
	x->value = val;
	x->array = arr;
	snprintf(x->drivers, sizeof(x->drivers), "%s", drv);
	x->v = *v;
}

static void report(const struct hit *h, const char *machine, const char *target_release,
		   struct vi_findings *out)
{
	json_t *eff = json_object_get(h->rule, "effect");
	const char *kind = jstr(eff, "kind"), *lwp = jstr(h->rule, "load_with_property");
	char path[512], old[32], outcome[600];

	if (array_release(h->array, old, sizeof(old)) < 0) {
		/* a board array (pc_q35_compat_defaults ...): the machine's own */
		const char *d = machine + strlen(machine);
		while (d > machine && (d[-1] == '.' || (d[-1] >= '0' && d[-1] <= '9')))
			d--;
		snprintf(old, sizeof(old), "%s", *d ? d : "(the machine type's own)");
	}
	if (lwp && !strcmp(lwp, "rejected"))
		snprintf(outcome, sizeof(outcome), "a destination with that value rejects this "
			 "stream (measured with QEMU 10.0): QEMU %s with %s loads it only if its "
			 "command line sets %s as the source's did", target_release, machine,
			 h->property);
	else if (lwp && !strcmp(lwp, "accepted") && kind_is_presence(kind))
		snprintf(outcome, sizeof(outcome), "only a warning: QEMU 10.0 with %s still loads "
			 "it, but a real QEMU %s or older (the releases %s stands for) would reject "
			 "it, and so would a later migration to such a host", machine, old, h->array);
	else if (lwp && !strcmp(lwp, "accepted"))
		snprintf(outcome, sizeof(outcome), "only a hint: destinations load it (the "
			 "difference is guest-visible); the source did not use %s's value", machine);
	else
		snprintf(outcome, sizeof(outcome), "what a destination does with it was not "
			 "measured; QEMU %s and older (the releases %s stands for) never wrote it",
			 old, h->array);
	node_path(h->v.at, path, sizeof(path));
	vi_finding_add(out, VI_C_MACHINE_PROPERTY, VI_SEV_WARNING, h->v.offset, h->v.length,
		       path[0] ? path : "stream",
		       "%s sets %s %s=%s (compat array %s): %s; %s",
		       machine, h->drivers, h->property, h->value, h->array[0] ? h->array : "?",
		       h->v.detail, outcome);
}

/* Is p overridden by a later entry for the same driver.property?  The last
 * one is the value QEMU applies. */
static int superseded(json_t *props, size_t i)
{
	json_t *p = json_array_get(props, i), *q;
	size_t k;

	for (k = i + 1; (q = json_array_get(props, k)); k++)
		if (jstr(q, "driver") && jstr(q, "property") &&
		    !strcmp(jstr(q, "driver"), jstr(p, "driver")) &&
		    !strcmp(jstr(q, "property"), jstr(p, "property")))
			return 1;
	return 0;
}

void machines_check(const struct vi_machines *m, const char *machine,
		    struct vi_session *src, struct vi_session *dest, struct vi_findings *out)
{
	json_t *mt, *props, *p, *r;
	const char *name = machine, *target = jstr(m->doc, "target");
	char release[32] = "";
	struct hits hits = { 0 };
	size_t i, j;

	if (!m->doc || !m->rules || !src || !src->w.root || !machine ||
	    !(mt = machines_get(m, machine, &name)))
		return;
	if (target && sscanf(target, "qemu-%31[^/]", release) != 1)
		release[0] = '\0';
	props = json_object_get(mt, "compat_props");
	json_array_foreach(props, i, p) {
		if (superseded(props, i))
			continue;
		json_array_foreach(m->rules, j, r) {
			const char *when = jstr(r, "when");
			json_t *eff = json_object_get(r, "effect");
			struct viols mine = { 0 }, theirs = { 0 };
			struct eval e = { src, eff, jstr(eff, "kind"), jstr(eff, "vmsd"),
					  jstr(p, "value"), &mine };
			if (!jstr(r, "driver") || !jstr(r, "property") || !e.kind ||
			    strcmp(jstr(r, "driver"), jstr(p, "driver")) != 0 ||
			    strcmp(jstr(r, "property"), jstr(p, "property")) != 0 ||
			    (when && strcmp(when, jstr(p, "value")) != 0))
				continue;
			eval(&e);
			if (mine.n && dest && dest->w.root) {
				/* The destination's own stream breaks the rule too: it
				 * overrides the property like the source did. */
				e.s = dest;
				e.out = &theirs;
				eval(&e);
			}
			if (!theirs.n)
				for (size_t k = 0; k < mine.n; k++)
					add_hit(&hits, r, p, &mine.v[k]);
			free(mine.v);
			free(theirs.v);
		}
	}
	for (i = 0; i < hits.n; i++)
		report(&hits.v[i], name, release[0] ? release : "?", out);
	free(hits.v);
}
