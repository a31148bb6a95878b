/* streambuf.c - synthetic streams for the unit tests; see streambuf.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "render.h"
#include "streambuf.h"

/* ------------------------------------------------------------ byte buffer */

void sb_init(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sb_free(struct sbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static uint8_t *grow(struct sbuf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		ck_assert_ptr_nonnull(b->data);
		b->cap = cap;
	}
	b->len += n;
	return b->data + b->len - n;
}

size_t sb_raw(struct sbuf *b, const void *p, size_t n)
{
	size_t off = b->len;
	if (n)
		memcpy(grow(b, n), p, n);
	return off;
}

size_t sb_fill(struct sbuf *b, uint8_t byte, size_t n)
{
	size_t off = b->len;
	if (n)
		memset(grow(b, n), byte, n);
	return off;
}

size_t sb_u8(struct sbuf *b, uint8_t v)
{
	return sb_raw(b, &v, 1);
}

static size_t put_be(struct sbuf *b, uint64_t v, int bytes)
{
	size_t off = b->len;
	uint8_t *p = grow(b, (size_t)bytes);
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
	return off;
}

size_t sb_be16(struct sbuf *b, uint16_t v) { return put_be(b, v, 2); }
size_t sb_be32(struct sbuf *b, uint32_t v) { return put_be(b, v, 4); }
size_t sb_be64(struct sbuf *b, uint64_t v) { return put_be(b, v, 8); }

size_t sb_le32(struct sbuf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };
	return sb_raw(b, p, 4);
}

size_t sb_cstr(struct sbuf *b, const char *s)
{
	size_t n = strlen(s), off;
	ck_assert_uint_le(n, 255);
	off = sb_u8(b, (uint8_t)n);
	sb_raw(b, s, n);
	return off;
}

void sb_patch_be32(struct sbuf *b, size_t off, uint32_t v)
{
	ck_assert_uint_le(off + 4, b->len);
	for (int i = 3; i >= 0; i--, v >>= 8)
		b->data[off + (size_t)i] = (uint8_t)v;
}

/* ------------------------------------------------------ stream records */

size_t sb_header_raw(struct sbuf *b, uint32_t magic, uint32_t version)
{
	size_t off = sb_be32(b, magic);
	sb_be32(b, version);
	return off;
}

size_t sb_header(struct sbuf *b)
{
	return sb_header_raw(b, SB_MAGIC, 3);
}

size_t sb_config(struct sbuf *b, const char *machine)
{
	size_t off = sb_u8(b, QVM_CONFIGURATION);
	sb_be32(b, (uint32_t)strlen(machine));
	sb_raw(b, machine, strlen(machine));
	return off;
}

size_t sb_subsection(struct sbuf *b, const char *name, uint32_t version)
{
	size_t off = sb_u8(b, QVM_SUBSECTION);
	sb_cstr(b, name);
	sb_be32(b, version);
	return off;
}

size_t sb_config_page_bits(struct sbuf *b, uint32_t bits)
{
	size_t off = sb_subsection(b, "configuration/target-page-bits", 1);
	sb_be32(b, bits);
	return off;
}

size_t sb_config_caps(struct sbuf *b, int n, const char *const *caps)
{
	size_t off = sb_subsection(b, "configuration/capabilities", 1);
	sb_be32(b, (uint32_t)n);
	for (int i = 0; i < n; i++)
		sb_cstr(b, caps[i]);
	return off;
}

size_t sb_config_uuid(struct sbuf *b, const uint8_t uuid[16])
{
	size_t off = sb_subsection(b, "configuration/uuid", 1);
	sb_raw(b, uuid, 16);
	return off;
}

size_t sb_section(struct sbuf *b, uint8_t type, uint32_t id, const char *idstr,
		  uint32_t instance, uint32_t version)
{
	size_t off = sb_u8(b, type);
	sb_be32(b, id);
	sb_cstr(b, idstr);
	sb_be32(b, instance);
	sb_be32(b, version);
	return off;
}

size_t sb_section_ref(struct sbuf *b, uint8_t type, uint32_t id)
{
	size_t off = sb_u8(b, type);
	sb_be32(b, id);
	return off;
}

size_t sb_footer(struct sbuf *b, uint32_t id)
{
	size_t off = sb_u8(b, QVM_SECTION_FOOTER);
	sb_be32(b, id);
	return off;
}

size_t sb_full(struct sbuf *b, uint32_t id, const char *idstr, uint32_t instance,
	       uint32_t version, const void *payload, size_t n)
{
	size_t off = sb_section(b, QVM_SECTION_FULL, id, idstr, instance, version);
	sb_raw(b, payload, n);
	sb_footer(b, id);
	return off;
}

size_t sb_command(struct sbuf *b, uint16_t cmd, uint16_t len, const void *payload)
{
	size_t off = sb_u8(b, QVM_COMMAND);
	sb_be16(b, cmd);
	sb_be16(b, len);
	if (payload)
		sb_raw(b, payload, len);
	return off;
}

size_t sb_eof(struct sbuf *b)
{
	return sb_u8(b, QVM_EOF);
}

size_t sb_vmdesc(struct sbuf *b, const char *json)
{
	size_t off = sb_u8(b, QVM_VMDESCRIPTION);
	sb_be32(b, (uint32_t)strlen(json));
	sb_raw(b, json, strlen(json));
	return off;
}

/* ------------------------------------------------------------ RAM words */

size_t sb_ram_word(struct sbuf *b, uint64_t addr, uint64_t flags)
{
	return sb_be64(b, addr | flags);
}

size_t sb_ram_mem_size(struct sbuf *b, uint64_t total)
{
	return sb_ram_word(b, total, SB_RAM_MEM_SIZE);
}

size_t sb_ram_block(struct sbuf *b, const char *name, uint64_t used_length)
{
	size_t off = sb_cstr(b, name);
	sb_be64(b, used_length);
	return off;
}

static size_t page_word(struct sbuf *b, uint64_t addr, uint64_t flags, const char *block)
{
	size_t off = sb_ram_word(b, addr, flags | (block ? 0 : SB_RAM_CONTINUE));
	if (block)
		sb_cstr(b, block);
	return off;
}

size_t sb_ram_zero(struct sbuf *b, uint64_t addr, const char *block)
{
	size_t off = page_word(b, addr, SB_RAM_ZERO, block);
	sb_u8(b, 0);
	return off;
}

size_t sb_ram_page(struct sbuf *b, uint64_t addr, const char *block,
		   uint32_t page_size, uint8_t fill)
{
	size_t off = page_word(b, addr, SB_RAM_PAGE, block);
	sb_fill(b, fill, page_size);
	return off;
}

size_t sb_ram_xbzrle(struct sbuf *b, uint64_t addr, const char *block, uint16_t len)
{
	size_t off = page_word(b, addr, SB_RAM_XBZRLE, block);
	sb_u8(b, 1);
	sb_be16(b, len);
	sb_fill(b, 0xab, len);
	return off;
}

size_t sb_ram_eos(struct sbuf *b)
{
	return sb_ram_word(b, 0, SB_RAM_EOS);
}

/* ------------------------------------------------------ a sample stream */

void sb_sample_stream(struct sbuf *b, struct sample_offs *o)
{
	sb_header(b);
	o->config = sb_config(b, SAMPLE_MACHINE);

	o->ram_start = sb_section(b, QVM_SECTION_START, SAMPLE_RAM_ID, "ram", 0, 4);
	sb_ram_mem_size(b, SAMPLE_RAM_LEN);
	sb_ram_block(b, SAMPLE_RAM_BLOCK, SAMPLE_RAM_LEN);
	sb_ram_eos(b);
	sb_footer(b, SAMPLE_RAM_ID);

	o->ram_part = sb_section_ref(b, QVM_SECTION_PART, SAMPLE_RAM_ID);
	sb_ram_zero(b, 0, SAMPLE_RAM_BLOCK);
	sb_ram_zero(b, 0x1000, NULL);
	o->page = sb_ram_page(b, 0x2000, NULL, 4096, 0x5a);
	sb_ram_eos(b);
	sb_footer(b, SAMPLE_RAM_ID);

	o->switchover = sb_command(b, 11, 0, NULL);

	o->ram_end = sb_section_ref(b, QVM_SECTION_END, SAMPLE_RAM_ID);
	sb_ram_zero(b, SAMPLE_RAM_LEN - 0x1000, SAMPLE_RAM_BLOCK);
	sb_ram_eos(b);
	sb_footer(b, SAMPLE_RAM_ID);

	o->timer = sb_section(b, QVM_SECTION_FULL, SAMPLE_TIMER_ID, "timer", 0, 2);
	o->timer_payload = sb_be64(b, SAMPLE_TIMER_NS);
	sb_u8(b, 1);
	o->timer_footer = sb_footer(b, SAMPLE_TIMER_ID);

	o->eof = sb_eof(b);
	o->vmdesc = sb_vmdesc(b, SAMPLE_VMDESC);
}

/* ------------------------------------------------------------ walking */

static int temp_file(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, size, "%s/vi-unit.XXXXXX", dir);
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
	return fd;
}

static void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;
	while (n) {
		ssize_t w = write(fd, q, n);
		ck_assert_msg(w > 0, "write: %s", strerror(errno));
		q += w;
		n -= (size_t)w;
	}
}

int sb_temp_fd(const void *p, size_t n)
{
	char path[4096];
	int fd = temp_file(path, sizeof(path));

	unlink(path);
	write_all(fd, p, n);
	return fd;
}

/* What dump prints (render_json_write), loaded: it must be JSON, and
 * jansson must write it back byte for byte (the writer writes jansson's
 * format). */
static json_t *sb_json_of(const struct vi_doc *doc)
{
	char *text, *again;
	size_t n;
	FILE *f = open_memstream(&text, &n);
	json_error_t e;
	json_t *j;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(render_json_write(f, doc), 0);
	fclose(f);
	j = json_loadb(text, n, 0, &e);
	ck_assert_msg(j != NULL, "dump's JSON does not load: %s at %d", e.text, e.line);
	again = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	ck_assert_ptr_nonnull(again);
	ck_assert_msg(strlen(again) + 1 == n && memcmp(again, text, n - 1) == 0 && text[n - 1] == '\n',
		      "dump's JSON is not what jansson writes of it (%zu vs %zu bytes)",
		      n, strlen(again) + 1);
	free(again);
	free(text);
	return j;
}

void run_bytes(struct walk_run *run, const void *p, size_t n,
	       const struct vi_walk_opts *opts)
{
	struct vi_doc doc = { 0 };
	int fd;

	memset(run, 0, sizeof(*run));
	run->in.fd = -1;
	fd = temp_file(run->path, sizeof(run->path));
	write_all(fd, p, n);
	close(fd);
	run->rc = -1;
	if (vi_input_open(&run->in, run->path, &run->err) == 0) {
		run->opened = 1;
		run->r = vi_xmalloc(sizeof(*run->r));
		rd_init_input(run->r, &run->in, &run->err);
		run->rc = vi_walk_stream(&run->w, run->r, opts, &run->facts, &run->err);
		if (vi_input_walked(&run->in) < 0)
			run->rc = -1;
	}
	unlink(run->path);
	run->root = run->w.root;
	doc.in = &run->in;
	doc.root = run->root;
	doc.err = &run->err;
	if (vi_node_count() > SB_JSON_MAX_NODES) {
		/* A jansson document costs about 1 KiB per node: for trees near
		 * the node limits, run->json has everything but the tree. */
		FILE *devnull = fopen("/dev/null", "w");
		ck_assert_ptr_nonnull(devnull);
		ck_assert_int_eq(render_json_write(devnull, &doc), 0);
		fclose(devnull);
		doc.root = NULL;
		run->json = sb_json_of(&doc);
		ck_assert_int_eq(run->rc < 0, run->err.set);
		return;
	}
	run->json = sb_json_of(&doc);
	/* A walk that failed must say so, and one that says so must fail. */
	ck_assert_int_eq(run->rc < 0, run->err.set);
}

void run_sb(struct walk_run *run, const struct sbuf *b)
{
	run_bytes(run, b->data, b->len, NULL);
}

void run_prefix(struct walk_run *run, const struct sbuf *b, size_t n)
{
	ck_assert_uint_le(n, b->len);
	run_bytes(run, b->data, n, NULL);
}

void run_free(struct walk_run *run)
{
	json_decref(run->json);
	vi_walk_free(&run->w);
	vi_input_close(&run->in);
	if (run->r)
		rd_release(run->r);
	free(run->r);
	memset(run, 0, sizeof(*run));
}

/* ------------------------------------------------------ JSON assertions */

static char last_path[1024];

const char *jpath_last(void)
{
	return last_path;
}

static json_t *jpath_v(json_t *root, const char *fmt, va_list ap)
{
	char seg[512];
	const char *p = last_path;
	json_t *cur = root;

	vsnprintf(last_path, sizeof(last_path), fmt, ap);
	while (*p && cur) {
		size_t n = 0;
		char *end;
		long idx;

		if (*p == '{') {
			for (p++; *p && *p != '}' && n + 1 < sizeof(seg); p++)
				seg[n++] = *p;
			if (*p == '}')
				p++;
		} else {
			for (; *p && *p != '/' && n + 1 < sizeof(seg); p++)
				seg[n++] = *p;
		}
		seg[n] = '\0';
		if (*p == '/')
			p++;
		idx = strtol(seg, &end, 10);
		if (json_is_array(cur) && n && *end == '\0') {
			cur = json_array_get(cur, (size_t)idx);
		} else if (json_is_array(cur)) {
			size_t i;
			json_t *e, *found = NULL;
			json_array_foreach(cur, i, e) {
				json_t *nm = json_object_get(e, "name");
				if (json_is_string(nm) && strcmp(json_string_value(nm), seg) == 0) {
					found = e;
					break;
				}
			}
			cur = found;
		} else {
			cur = json_object_get(cur, seg);
		}
	}
	return cur;
}

json_t *jpath(json_t *root, const char *fmt, ...)
{
	va_list ap;
	json_t *v;

	va_start(ap, fmt);
	v = jpath_v(root, fmt, ap);
	va_end(ap);
	return v;
}

size_t jlen(json_t *root, const char *fmt, ...)
{
	va_list ap;
	json_t *v;

	va_start(ap, fmt);
	v = jpath_v(root, fmt, ap);
	va_end(ap);
	ck_assert_msg(json_is_array(v), "%s: missing or not a list", last_path);
	return json_array_size(v);
}

/* ------------------------------------------------------ tree assertions */

const struct vi_node *tkid(const struct vi_node *n, int kind, size_t i)
{
	for (size_t k = 0; n && k < n->nkids; k++)
		if ((kind < 0 || (int)n->kids[k]->kind == kind) && i-- == 0)
			return n->kids[k];
	return NULL;
}

const struct vi_node *tchild(const struct vi_node *n, const char *name)
{
	for (size_t k = 0; n && k < n->nkids; k++)
		if (strcmp(n->kids[k]->name, name) == 0)
			return n->kids[k];
	return NULL;
}

const struct vi_node *tsection(const struct walk_run *run, size_t i)
{
	return tkid(run->root, VI_N_SECTION, i);
}

const struct vi_attr *tattr(const struct vi_node *n, const char *key)
{
	const struct vi_attr *a = n ? vi_node_attr_by_key(n, key) : NULL;
	ck_assert_msg(a != NULL, "node %s has no attribute %s", n ? n->name : "(null)", key);
	return a;
}

/* Where the children of n start: after the subsection header for a
 * subsection (0x05, name length, name, be32 version), else at n itself. */
static uint64_t content_start(const struct vi_node *n)
{
	if (n->kind == VI_N_SUBSECTION)
		return n->offset + 2 + strlen(n->name) + 4;
	return n->offset;
}

static size_t tile(const struct vi_node *n, uint64_t start, uint64_t end)
{
	uint64_t pos = start;
	size_t leaves = 0;

	for (size_t k = 0; k < n->nkids; k++) {
		const struct vi_node *c = n->kids[k];
		ck_assert_msg(c->kind != VI_N_FOOTER, "a footer is no kid (vi_node_footer)");
		if (c->kind == VI_N_WARNING)
			continue;
		ck_assert_msg(c->offset == pos, "%s/%s starts at %llu, expected %llu",
			      n->name, c->name, (unsigned long long)c->offset,
			      (unsigned long long)pos);
		if (c->nkids)
			leaves += tile(c, content_start(c), c->offset + c->length);
		else
			leaves++;
		pos = c->offset + c->length;
	}
	ck_assert_msg(pos == end, "children of %s end at %llu, expected %llu",
		      n->name, (unsigned long long)pos, (unsigned long long)end);
	return leaves;
}

size_t ck_tiling(const struct vi_node *sec)
{
	uint64_t start, end;
	const struct vi_node *footer;
	struct vi_node fbuf;
	struct vi_attr fattr;

	ck_assert_ptr_nonnull(sec);
	if (sec->kind != VI_N_SECTION)
		return tile(sec, content_start(sec), sec->offset + sec->length);
	start = tattr(sec, "payload_offset")->u;
	end = start + tattr(sec, "payload_length")->u;
	footer = vi_node_footer(sec, &fbuf, &fattr);
	if (footer) {
		ck_assert_uint_eq(footer->offset, end);
		ck_assert_uint_eq(footer->length, 5);
		ck_assert_uint_eq(vi_node_payload_end(sec), end);
		ck_assert_uint_eq(sec->offset + sec->length, end + 5);
	} else {
		ck_assert_uint_eq(sec->offset + sec->length, end);
	}
	return tile(sec, start, end);
}
