/* walk-config.c - the configuration record (0x07) right after the header.
 *
 * No section id, version or footer: be32 len + machine type name, then the
 * subsections QEMU 7.2 - 10.x define (target-page-bits, capabilities, uuid).
 */
#include <inttypes.h>
#include <string.h>
#include "vi-limits.h"
#include "walk.h"

#define MAX_CAPS 64

static struct vi_node *field(struct vi_node *parent, const char *name,
			     const char *type, uint64_t off, uint64_t len)
{
	struct vi_node *n = vi_node_new(parent, VI_N_FIELD, name, type, off);
	n->length = len;
	return n;
}

static int sub_page_bits(struct vi_walk *w, struct vi_node *sub)
{
	uint64_t off = rd_tell(w->r);
	uint32_t bits;
	struct vi_node *f;

	if (rd_be32(w->r, &bits, "target page bits") < 0)
		return -1;
	f = field(sub, "target_page_bits", "uint32", off, 4);
	f->vt = VI_V_UINT;
	f->v.u = bits;
	if (bits < 9 || bits > 30)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			       "target page bits %u out of range (9-30)", bits);
	if (w->f->page_size && w->f->page_size != 1u << bits)
		walk_warn(w, off, "target page bits %u disagree with the trailer's "
			  "page_size %u", bits, w->f->page_size);
	if (!w->f->page_size) {
		w->f->page_size = 1u << bits;
		w->f->page_size_from = "target-page-bits";
	}
	return 0;
}

static int sub_capabilities(struct vi_walk *w, struct vi_node *sub)
{
	uint64_t off = rd_tell(w->r);
	uint32_t count;
	char name[256];
	struct vi_node *f, *list;

	if (rd_be32(w->r, &count, "capability count") < 0)
		return -1;
	f = field(sub, "caps_count", "uint32", off, 4);
	f->vt = VI_V_UINT;
	f->v.u = count;
	if (count > MAX_CAPS)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off,
			       "capability count %u exceeds %d", count, MAX_CAPS);
	list = field(sub, "capabilities", "capability", rd_tell(w->r), 0);
	vi_node_put_u(list, VI_A_ARRAY_LEN, count);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t o = rd_tell(w->r);
		char ename[16];
		if (rd_cstr(w->r, name, "capability name") < 0)
			return -1;
		snprintf(ename, sizeof(ename), "[%u]", i);
		vi_node_set_str(field(list, ename, "capability", o, rd_tell(w->r) - o), name);
		if (strcmp(name, "mapped-ram") == 0)
			w->f->cap_mapped_ram = 1;
		else if (strcmp(name, "x-ignore-shared") == 0)
			w->f->cap_ignore_shared = 1;
	}
	list->length = rd_tell(w->r) - list->offset;
	return 0;
}

static int sub_uuid(struct vi_walk *w, struct vi_node *sub)
{
	uint64_t off = rd_tell(w->r);
	uint8_t u[16];
	char s[37];

	if (rd_bytes(w->r, u, 16, "VM UUID") < 0)
		return -1;
	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
		 u[11], u[12], u[13], u[14], u[15]);
	vi_node_set_str(field(sub, "uuid", "buffer", off, 16), s);
	return 0;
}

static const struct {
	const char *name;
	int (*parse)(struct vi_walk *, struct vi_node *);
} subsections[] = {
	{ "configuration/target-page-bits", sub_page_bits },
	{ "configuration/capabilities", sub_capabilities },
	{ "configuration/uuid", sub_uuid },
};

int walk_configuration(struct vi_walk *w, struct vi_node *parent)
{
	struct vi_reader *r = w->r;
	uint64_t off = rd_tell(r);
	struct vi_node *cfg, *f;
	uint32_t len;
	uint8_t b;

	cfg = vi_node_new(parent, VI_N_CONFIG, "configuration", "configuration", off);
	if (rd_skip(r, 1, "configuration marker") < 0 ||
	    rd_be32(r, &len, "machine type name length") < 0)
		return -1;
	f = field(cfg, "len", "uint32", off + 1, 4);
	f->vt = VI_V_UINT;
	f->v.u = len;
	if (len == 0 || len > 255)
		return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)off + 1,
			       "machine type name length %u out of range (1-255)", len);
	if (rd_bytes(r, w->f->machine, len, "machine type name") < 0)
		return -1;
	w->f->machine[len] = '\0';
	for (uint32_t i = 0; i < len; i++)
		if (w->f->machine[i] < 0x20 || w->f->machine[i] > 0x7e)
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)(off + 5 + i),
				       "machine type name contains byte 0x%02x",
				       (uint8_t)w->f->machine[i]);
	vi_node_set_str(field(cfg, "name", "buffer", off + 5, len), w->f->machine);
	vi_node_attr_s(cfg, "machine_type", w->f->machine);

	while (rd_peek(r, 0, &b, 1) == 1 && b == QVM_SUBSECTION) {
		uint64_t so = rd_tell(r);
		char name[256];
		uint32_t version;
		struct vi_node *sub;
		size_t i;

		if (walk_node_budget(w) < 0)	/* before the subsection adds nodes */
			return -1;
		if (rd_skip(r, 1, "subsection marker") < 0 ||
		    rd_cstr(r, name, "configuration subsection name") < 0 ||
		    rd_be32(r, &version, "configuration subsection version") < 0)
			return -1;
		for (i = 0; i < sizeof(subsections) / sizeof(subsections[0]); i++)
			if (strcmp(name, subsections[i].name) == 0)
				break;
		if (i == sizeof(subsections) / sizeof(subsections[0])) {
			char ename[VI_ESC_NAME];
			return vi_fail(w->err, VI_EXIT_INPUT, (int64_t)so,
				       "unknown configuration subsection '%s'",
				       vi_esc(ename, sizeof(ename), name));
		}
		sub = vi_node_new(cfg, VI_N_SUBSECTION, name, "subsection", so);
		vi_node_put_u(sub, VI_A_VERSION_ID, version);
		if (subsections[i].parse(w, sub) < 0)
			return -1;
		sub->length = rd_tell(r) - so;
	}
	cfg->length = rd_tell(r) - off;
	return 0;
}
