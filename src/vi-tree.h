/* vi-tree.h - the decoded tree: every value knows its name, type, offset, length.
 *
 * The walker builds it; render-text.c and render-json.c are two views of it;
 * findings are computed from it.  Nothing here knows about the stream format.
 */
#ifndef VI_TREE_H
#define VI_TREE_H

#include <stddef.h>
#include <stdint.h>

enum vi_kind {
	VI_N_ROOT, VI_N_HEADER, VI_N_CONFIG, VI_N_SECTION, VI_N_COMMAND,
	VI_N_EOF, VI_N_VMDESC, VI_N_RAM, VI_N_RAMBLOCK, VI_N_FIELD,
	VI_N_SUBSECTION, VI_N_FOOTER, VI_N_BLOB, VI_N_WARNING,
};

enum vi_vtype { VI_V_NONE, VI_V_UINT, VI_V_INT, VI_V_BOOL, VI_V_STR, VI_V_BYTES,
		VI_V_DOUBLE };

/* 16 bytes: a tree holds one per attribute of every node.  The key is an
 * index into one table of key names (vi_attr_key's, then the names given as
 * strings, registered on first use); vi_attr_name gives it back. */
struct vi_attr {
	union {
		uint64_t u;
		const char *s;   /* interned (vi-intern.h) */
	};
	uint16_t key;
	uint8_t is_str;
};

/* Names and strings are interned (vi-intern.h): printable ASCII, shared. */
struct vi_node {
	enum vi_kind kind;
	enum vi_vtype vt;
	const char *name;
	const char *type;
	uint64_t offset, length;
	union { uint64_t u; int64_t i; double d; const char *s; } v;
	uint8_t *bytes;      /* VI_V_BYTES: preview of at most VI_MAX_PREVIEW */
	uint64_t blob_len;   /* VI_V_BYTES: length of the whole value */
	uint16_t nbytes;
	uint8_t footer;      /* a section record ending in its footer (vi_node_footer) */
	uint16_t nattrs, cattrs;
	struct vi_attr *attrs;
	struct vi_node **kids;
	uint32_t nkids, ckids;
	struct vi_node *parent;
};

/* Every allocation failure aborts with a message: out of memory is not input. */
struct vi_node *vi_node_new(struct vi_node *parent, enum vi_kind kind,
			    const char *name, const char *type, uint64_t offset);
/* Room for this many attributes and kids, where a caller knows how many a
 * node will have (a section record: saves the slack of doubling on 100 000
 * of them); only on a node that has none yet. */
void vi_node_reserve(struct vi_node *n, unsigned nattrs, unsigned nkids);
/* Give back the room n's attributes and kids do not use (a finished section
 * record: what doubling left over, on 100 000 of them). */
void vi_node_fit(struct vi_node *n);
void vi_node_free(struct vi_node *n);
/* A section record's footer (0x7e and the section id, its last 5 bytes) is
 * no kid of its own: 100 000 sections made 100 000 nodes of 5 bytes each.
 * The walk sets sec->footer; this makes the footer node the views show
 * (kind VI_N_FOOTER, "footer", its offset, length 5 and section_id) in buf
 * and attr, which must outlive its use, or returns NULL when there is none. */
const struct vi_node *vi_node_footer(const struct vi_node *sec, struct vi_node *buf,
				     struct vi_attr *attr);
/* Where a section record's footer starts, else where the record ends. */
uint64_t vi_node_payload_end(const struct vi_node *sec);
void vi_node_attr_u(struct vi_node *n, const char *key, uint64_t v);
void vi_node_attr_s(struct vi_node *n, const char *key, const char *s);
/* An attribute by its JSON member name, for the tests, which check what
 * the JSON view shows.  Code in src/ reads attributes by id only
 * (vi_node_get, vi_node_u, vi_node_s below; tests/layers.test). */
const struct vi_attr *vi_node_attr_by_key(const struct vi_node *n, const char *key);
/* The attribute's key ("section_id", ...: the JSON view's member name). */
const char *vi_attr_name(const struct vi_attr *a);
/* Section names (idstrs): "0000:00:02.0/virtio-net" is the instance of vmsd
 * "virtio-net" at that path; the vmsd's name is what follows the last '/'
 * (or all of it); vi_idstr_names: idstr is name or ends in "/name". */
const char *vi_idstr_vmsd(const char *idstr);
int vi_idstr_names(const char *idstr, const char *name);
/* Where a node is, for messages: "0000:00:02.0/virtio-net[0]/vq/num" (a
 * section's instance in brackets; at most 64 levels). */
void vi_node_path(const struct vi_node *n, char *buf, size_t len);
/* A FULL or START section record: the first a device writes. */
int vi_node_is_first_record(const struct vi_node *n);
void vi_node_set_str(struct vi_node *n, const char *s);
void vi_node_set_type(struct vi_node *n, const char *type);
void vi_node_set_bytes(struct vi_node *n, const uint8_t *p, size_t len);
/* Detach and free the last child (used when a decode attempt is rolled back). */
void vi_node_drop_kids_from(struct vi_node *n, size_t keep);
/* Nodes alive now, and made so far (freed ones included), in this process. */
size_t vi_node_count(void);
uint64_t vi_node_made(void);

void *vi_xmalloc(size_t n);
void *vi_xrealloc(void *p, size_t n);
char *vi_xstrdup(const char *s);

/* Typed attributes: every key code downstream of the walker reads, named
 * once (tree.c's table), so a renamed or removed key is a compile error in
 * each reader, not a silent default.  The walker may set them the same way
 * (vi_node_put_u/_s); a key set by string (vi_node_attr_u/_s, for the
 * attributes only the views show) is the same attribute. */
enum vi_attr_id {
	VI_A_SECTION_ID, VI_A_INSTANCE_ID, VI_A_VERSION_ID, VI_A_UNDECODED_BYTES,
	VI_A_DECODED_BY, VI_A_ARRAY_LEN, VI_A_VERSION, VI_A_USED_LENGTH, VI_A_PAGES,
	VI_A_ZERO_PAGES, VI_A_NORMAL_PAGES, VI_A_PAGE_SIZE, VI_A_TRANSPORT,
	VI_A_COMMAND, VI_A_VMDESC_INDEX, VI_A_PAYLOAD_OFFSET, VI_A_OPS,
	VI_A_NUM_QUEUES, VI_A_MULTIFD_FLUSHES, VI_A_MSIX_VECTORS, VI_A_FOUND_BY,
	VI_A_EMULATED_DISK_PART, VI_A_DIGEST_UNAVAILABLE, VI_A_XXH3_128, VI_A_COUNT,
};
/* "section_id", ... (the JSON view's member name). */
const char *vi_attr_key(enum vi_attr_id id);
/* Is it there (of either kind)?  n may be NULL for the getters. */
int vi_node_has(const struct vi_node *n, enum vi_attr_id id);
const struct vi_attr *vi_node_get(const struct vi_node *n, enum vi_attr_id id);
uint64_t vi_node_u(const struct vi_node *n, enum vi_attr_id id, uint64_t dflt);
const char *vi_node_s(const struct vi_node *n, enum vi_attr_id id);
void vi_node_put_u(struct vi_node *n, enum vi_attr_id id, uint64_t v);
void vi_node_put_s(struct vi_node *n, enum vi_attr_id id, const char *s);

#endif
