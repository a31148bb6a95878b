/* streambuf.h - building synthetic migration streams in memory for the unit
 * tests, walking them like "vmstate-inspect dump" does, and asserting on the
 * JSON view and the decoded tree.
 *
 * Every sb_* appender returns the offset at which it started writing, so a
 * test can record where each record lies and compute the offsets and lengths
 * it expects from how it built the stream.
 */
#ifndef VI_TEST_STREAMBUF_H
#define VI_TEST_STREAMBUF_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "vi-error.h"
#include "input.h"
#include "input-reader.h"
#include "vi-tree.h"
#include "walk.h"

/* ------------------------------------------------------------ byte buffer */

struct sbuf {
	uint8_t *data;
	size_t len, cap;
};

void sb_init(struct sbuf *b);
void sb_free(struct sbuf *b);
size_t sb_u8(struct sbuf *b, uint8_t v);
size_t sb_be16(struct sbuf *b, uint16_t v);
size_t sb_be32(struct sbuf *b, uint32_t v);
size_t sb_be64(struct sbuf *b, uint64_t v);
size_t sb_le32(struct sbuf *b, uint32_t v);
size_t sb_raw(struct sbuf *b, const void *p, size_t n);
size_t sb_fill(struct sbuf *b, uint8_t byte, size_t n);
/* counted string: u8 length + bytes (at most 255) */
size_t sb_cstr(struct sbuf *b, const char *s);
/* overwrite 4 bytes at off with a be32 (patching a length or id) */
void sb_patch_be32(struct sbuf *b, size_t off, uint32_t v);

/* ------------------------------------------------------ stream records */

#define SB_MAGIC 0x5145564du   /* "QEVM" */

/* magic + version 3 */
size_t sb_header(struct sbuf *b);
size_t sb_header_raw(struct sbuf *b, uint32_t magic, uint32_t version);
/* 0x07, be32 len, machine type name */
size_t sb_config(struct sbuf *b, const char *machine);
/* 0x05, counted-string name, be32 version */
size_t sb_subsection(struct sbuf *b, const char *name, uint32_t version);
/* configuration subsections (each returns the offset of its 0x05 byte) */
size_t sb_config_page_bits(struct sbuf *b, uint32_t bits);
size_t sb_config_caps(struct sbuf *b, int n, const char *const *caps);
size_t sb_config_uuid(struct sbuf *b, const uint8_t uuid[16]);

/* SECTION_START / SECTION_FULL header: type, be32 id, idstr, instance, version */
size_t sb_section(struct sbuf *b, uint8_t type, uint32_t id, const char *idstr,
		  uint32_t instance, uint32_t version);
/* SECTION_PART / SECTION_END header: type, be32 id */
size_t sb_section_ref(struct sbuf *b, uint8_t type, uint32_t id);
/* 0x7e + be32 id */
size_t sb_footer(struct sbuf *b, uint32_t id);
/* A FULL section with an opaque payload and its footer. */
size_t sb_full(struct sbuf *b, uint32_t id, const char *idstr, uint32_t instance,
	       uint32_t version, const void *payload, size_t n);
/* 0x08, be16 cmd, be16 len, len bytes */
size_t sb_command(struct sbuf *b, uint16_t cmd, uint16_t len, const void *payload);
size_t sb_eof(struct sbuf *b);
/* 0x06, be32 strlen(json), json */
size_t sb_vmdesc(struct sbuf *b, const char *json);

/* ------------------------------------------------------------ RAM words */

enum {
	SB_RAM_ZERO = 0x02, SB_RAM_MEM_SIZE = 0x04, SB_RAM_PAGE = 0x08,
	SB_RAM_EOS = 0x10, SB_RAM_CONTINUE = 0x20, SB_RAM_XBZRLE = 0x40,
	SB_RAM_HOOK = 0x80, SB_RAM_COMPRESS = 0x100, SB_RAM_MULTIFD_FLUSH = 0x200,
};

size_t sb_ram_word(struct sbuf *b, uint64_t addr, uint64_t flags);
/* MEM_SIZE word with the total; the block list follows with sb_ram_block */
size_t sb_ram_mem_size(struct sbuf *b, uint64_t total);
size_t sb_ram_block(struct sbuf *b, const char *name, uint64_t used_length);
/* Page records: block == NULL sets CONTINUE and omits the block name. */
size_t sb_ram_zero(struct sbuf *b, uint64_t addr, const char *block);
size_t sb_ram_page(struct sbuf *b, uint64_t addr, const char *block,
		   uint32_t page_size, uint8_t fill);
size_t sb_ram_xbzrle(struct sbuf *b, uint64_t addr, const char *block,
		     uint16_t len);
size_t sb_ram_eos(struct sbuf *b);

/* ------------------------------------------------------ a sample stream */

/* A small complete precopy stream: header, configuration, RAM START (one
 * block), RAM PART (zero pages and one normal page), SWITCHOVER_START, RAM
 * END, a FULL "timer" section described by the trailer, EOF, trailer. */
#define SAMPLE_MACHINE "pc-q35-10.0"
#define SAMPLE_RAM_ID 2
#define SAMPLE_RAM_BLOCK "pc.ram"
#define SAMPLE_RAM_LEN 0x10000u
#define SAMPLE_TIMER_ID 0
#define SAMPLE_TIMER_NS 0x0123456789abcdefull
#define SAMPLE_VMDESC "{\"page_size\":4096,\"devices\":[{\"name\":\"timer\"," \
	"\"instance_id\":0,\"vmsd_name\":\"timer\",\"version\":2,\"fields\":[" \
	"{\"name\":\"cpu_ticks_offset\",\"type\":\"int64\",\"size\":8}," \
	"{\"name\":\"enabled\",\"type\":\"bool\",\"size\":1}]}]}"

struct sample_offs {
	size_t config, ram_start, ram_part, page, switchover, ram_end;
	size_t timer, timer_payload, timer_footer, eof, vmdesc;
};

void sb_sample_stream(struct sbuf *b, struct sample_offs *o);

/* ------------------------------------------------------------ walking */

/* One walk of a file, as cmd-dump.c does it. */
struct walk_run {
	char path[4096];        /* the temporary file (unlinked once opened) */
	struct vi_error err;
	struct vi_input in;
	int opened;             /* vi_input_open succeeded */
	struct vi_reader *r;
	struct vi_walk w;
	struct vi_stream_facts facts;   /* what the walk found (the session's, in cmd-*.c) */
	struct vi_node *root;   /* w.root once walked */
	int rc;                 /* vi_walk_stream's result; -1 if not opened */
	json_t *json;           /* render_json of the outcome (always set) */
};

/* Above this many tree nodes, run->json is rendered without the tree (the
 * header, "error" and "warnings" are there, "sections" and the rest null or
 * empty); look at run->root instead.  run_bytes also checks that dump's
 * JSON loads and is what jansson writes of it, byte for byte. */
#define SB_JSON_MAX_NODES 100000

/* An unlinked temporary file holding n bytes (mkstemp in $TMPDIR or /tmp). */
int sb_temp_fd(const void *p, size_t n);
/* Walk n bytes from p written to a temporary file. */
void run_bytes(struct walk_run *run, const void *p, size_t n,
	       const struct vi_walk_opts *opts);
void run_sb(struct walk_run *run, const struct sbuf *b);
/* Walk only the first n bytes of b (truncation). */
void run_prefix(struct walk_run *run, const struct sbuf *b, size_t n);
void run_free(struct walk_run *run);

/* ------------------------------------------------------ JSON assertions */

/* Look a value up by a '/'-separated path built printf-style.  A numeric
 * segment indexes an array; another segment is an object key or, on an
 * array, selects the element whose "name" is that segment.  A segment may be
 * written {like/this} to contain '/'.  NULL when absent; jpath_last() is the
 * path of the last lookup, for messages. */
json_t *jpath(json_t *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *jpath_last(void);
size_t jlen(json_t *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ck_assert_juint(root, expect, ...) do {                                   \
	json_t *v_ = jpath((root), __VA_ARGS__);                                   \
	ck_assert_msg(json_is_integer(v_), "%s: missing or not an integer",       \
		      jpath_last());                                               \
	ck_assert_msg((uint64_t)json_integer_value(v_) == (uint64_t)(expect),     \
		      "%s = %lld, expected %llu", jpath_last(),                    \
		      (long long)json_integer_value(v_),                           \
		      (unsigned long long)(expect));                               \
} while (0)

#define ck_assert_jint(root, expect, ...) do {                                    \
	json_t *v_ = jpath((root), __VA_ARGS__);                                   \
	ck_assert_msg(json_is_integer(v_), "%s: missing or not an integer",       \
		      jpath_last());                                               \
	ck_assert_msg(json_integer_value(v_) == (json_int_t)(expect),             \
		      "%s = %lld, expected %lld", jpath_last(),                    \
		      (long long)json_integer_value(v_), (long long)(expect));     \
} while (0)

#define ck_assert_jstr(root, expect, ...) do {                                    \
	json_t *v_ = jpath((root), __VA_ARGS__);                                   \
	ck_assert_msg(json_is_string(v_), "%s: missing or not a string",          \
		      jpath_last());                                               \
	ck_assert_msg(strcmp(json_string_value(v_), (expect)) == 0,               \
		      "%s = \"%s\", expected \"%s\"", jpath_last(),                \
		      json_string_value(v_), (expect));                            \
} while (0)

#define ck_assert_jbool(root, expect, ...) do {                                   \
	json_t *v_ = jpath((root), __VA_ARGS__);                                   \
	ck_assert_msg(json_is_boolean(v_), "%s: missing or not a boolean",        \
		      jpath_last());                                               \
	ck_assert_msg(json_is_true(v_) == !!(expect), "%s is %s", jpath_last(),   \
		      json_is_true(v_) ? "true" : "false");                        \
} while (0)

#define ck_assert_jnull(root, ...) do {                                           \
	json_t *v_ = jpath((root), __VA_ARGS__);                                   \
	ck_assert_msg(json_is_null(v_), "%s: expected null", jpath_last());       \
} while (0)

#define ck_assert_jabsent(root, ...) do {                                         \
	json_t *v_ = jpath((root), __VA_ARGS__);                                   \
	ck_assert_msg(v_ == NULL, "%s: expected to be absent", jpath_last());     \
} while (0)

/* The walk succeeded: no error, walk rc 0, JSON "error" null. */
#define ck_assert_walk_ok(run) do {                                               \
	ck_assert_msg(!(run)->err.set, "unexpected error at %llu: %s",            \
		      (unsigned long long)(run)->err.offset, (run)->err.msg);      \
	ck_assert_int_eq((run)->rc, 0);                                            \
	ck_assert_jnull((run)->json, "error");                                     \
} while (0)

/* The walk stopped with an input error (exit 3) at byte off. */
#define ck_assert_input_error(run, off) do {                                      \
	ck_assert_msg((run)->err.set, "expected an error at %llu, got none",      \
		      (unsigned long long)(off));                                  \
	ck_assert_msg((run)->err.exit_code == VI_EXIT_INPUT,                       \
		      "exit code %d, expected 3 (%s)", (run)->err.exit_code,       \
		      (run)->err.msg);                                             \
	ck_assert_msg((run)->err.has_offset, "error without offset: %s",          \
		      (run)->err.msg);                                             \
	ck_assert_msg((run)->err.offset == (uint64_t)(off),                        \
		      "error at %llu, expected %llu: %s",                          \
		      (unsigned long long)(run)->err.offset,                       \
		      (unsigned long long)(off), (run)->err.msg);                  \
	ck_assert_juint((run)->json, (off), "error/offset");                       \
	ck_assert_jint((run)->json, VI_EXIT_INPUT, "error/exit_code");             \
} while (0)

/* ------------------------------------------------------ tree assertions */

/* The i-th child of n with the given kind (-1: any kind), or NULL. */
const struct vi_node *tkid(const struct vi_node *n, int kind, size_t i);
/* The first child of n with that name, or NULL. */
const struct vi_node *tchild(const struct vi_node *n, const char *name);
/* The i-th section record (START/PART/END/FULL) at the top level. */
const struct vi_node *tsection(const struct walk_run *run, size_t i);
const struct vi_attr *tattr(const struct vi_node *n, const char *key);

/* Assert that the children of a decoded section (or field, or subsection)
 * tile its payload: each child starts where the previous one ended, the first
 * at the payload start, the last at the payload end; recursively.  Leaves are
 * scalar values or blobs.  Returns the number of leaves checked. */
size_t ck_tiling(const struct vi_node *sec);

#endif
