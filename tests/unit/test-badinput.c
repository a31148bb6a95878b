/* test-badinput.c - malformed input: every case must stop the walk with an
 * input error (exit code 3, VI_EXIT_INPUT) at the byte where the damage is,
 * never crash, and still render a JSON view holding the error.
 *
 * Each test builds a good stream up to the damage, records where the damage
 * starts (sb_* calls return their offset) and derives the expected error
 * offset from the byte layout (shared/docs/stream-format.md).
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "streambuf.h"
#include "vi-limits.h"
#include "unit-main.h"

#define MACHINE "pc-q35-10.0"
#define RAM_ID 2
#define RAM_BLOCK "pc.ram"
#define RAM_LEN 0x200000u
#define PAGE 4096u
#define VMDESC_EMPTY "{\"page_size\":4096,\"devices\":[]}"

static void prologue(struct sbuf *b)
{
	sb_init(b);
	sb_header(b);
	sb_config(b, MACHINE);
}

/* RAM START with one block; returns the offset of the START record. */
static size_t ram_start(struct sbuf *b)
{
	size_t off = sb_section(b, QVM_SECTION_START, RAM_ID, "ram", 0, 4);
	sb_ram_mem_size(b, RAM_LEN);
	sb_ram_block(b, RAM_BLOCK, RAM_LEN);
	sb_ram_eos(b);
	sb_footer(b, RAM_ID);
	return off;
}

/* Walk b; the walk must fail with an input error at off.  cls, when not
 * NULL, is the expected error class. */
static void expect_error(const struct sbuf *b, uint64_t off, const char *cls)
{
	struct walk_run run;

	run_sb(&run, b);
	ck_assert_input_error(&run, off);
	if (cls) {
		ck_assert_str_eq(vi_class_name(vi_error_cls(&run.err)), cls);
		ck_assert_jstr(run.json, cls, "error/class");
	}
	run_free(&run);
}

/* Like expect_error, and the message must mention what. */
static void expect_error_msg(const struct sbuf *b, uint64_t off, const char *what)
{
	struct walk_run run;

	run_sb(&run, b);
	ck_assert_input_error(&run, off);
	ck_assert_msg(strstr(run.err.msg, what) != NULL, "message \"%s\" lacks \"%s\"",
		      run.err.msg, what);
	run_free(&run);
}

/* ============================================================ the header */

START_TEST(test_wrong_magic)
{
	struct sbuf b;
	struct walk_run run;

	sb_init(&b);
	sb_header_raw(&b, 0x51455658, 3);	/* "QEVX" */
	sb_eof(&b);
	run_sb(&run, &b);
	ck_assert_input_error(&run, 0);
	ck_assert_int_eq(run.opened, 0);
	ck_assert_str_eq(vi_class_name(vi_error_cls(&run.err)), "bad-magic");
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_tiny_files)
{
	/* shorter than a magic: the error is where the file ends */
	for (size_t n = 0; n < 4; n++) {
		struct walk_run run;
		run_bytes(&run, "QEV", n, NULL);
		ck_assert_input_error(&run, n);
		run_free(&run);
	}
}
END_TEST

START_TEST(test_wrong_magic_inside_libvirt)
{
	/* the container is fine, the stream in it is not: stream offset 0 */
	struct sbuf b;
	struct walk_run run;

	sb_init(&b);
	sb_raw(&b, "LibvirtQemudSave", 16);
	sb_le32(&b, 2);
	sb_le32(&b, 8);		/* data_len */
	sb_le32(&b, 0);
	sb_le32(&b, 0);		/* raw */
	sb_fill(&b, 0, 60);
	sb_raw(&b, "<x/>\0\0\0\0", 8);
	sb_header_raw(&b, 0x12345678, 3);
	sb_eof(&b);
	run_sb(&run, &b);
	ck_assert_input_error(&run, 0);
	ck_assert_int_eq(run.opened, 1);
	ck_assert_str_eq(vi_class_name(vi_error_cls(&run.err)), "bad-magic");
	ck_assert_juint(run.json, 100, "stream_offset");
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_version_2)
{
	struct sbuf b;

	sb_init(&b);
	sb_header_raw(&b, SB_MAGIC, 2);
	sb_eof(&b);
	expect_error_msg(&b, 4, "obsolete");
	sb_free(&b);
}
END_TEST

START_TEST(test_version_4)
{
	struct sbuf b;

	sb_init(&b);
	sb_header_raw(&b, SB_MAGIC, 4);
	sb_eof(&b);
	expect_error_msg(&b, 4, "unsupported stream version 4");
	sb_free(&b);
}
END_TEST

/* ============================================================ truncation */

/* Every strict prefix of a complete stream is bad, except the one that
 * ends right after EOF (a stream without trailer is complete). */
static void truncate_everywhere(const struct sbuf *b, size_t valid_prefix)
{
	for (size_t n = 0; n < b->len; n++) {
		struct walk_run run;

		run_prefix(&run, b, n);
		if (n == valid_prefix) {
			ck_assert_msg(!run.err.set, "prefix %zu: %s", n, run.err.msg);
		} else {
			ck_assert_msg(run.err.set, "prefix %zu of %zu: no error", n, b->len);
			ck_assert_msg(run.err.exit_code == VI_EXIT_INPUT,
				      "prefix %zu: exit code %d", n, run.err.exit_code);
			ck_assert_msg(run.err.has_offset, "prefix %zu: no offset", n);
			ck_assert_msg(run.err.offset <= n, "prefix %zu: error at %llu: %s", n,
				      (unsigned long long)run.err.offset, run.err.msg);
			ck_assert_jint(run.json, VI_EXIT_INPUT, "error/exit_code");
		}
		run_free(&run);
	}
}

START_TEST(test_truncation_everywhere)
{
	struct sbuf b;
	struct sample_offs o;

	sb_init(&b);
	sb_sample_stream(&b, &o);
	truncate_everywhere(&b, o.eof + 1);
	sb_free(&b);
}
END_TEST

START_TEST(test_truncation_everywhere_postcopy)
{
	/* No trailer; device state inside PACKAGED. */
	struct sbuf b, inner;

	sb_init(&inner);
	sb_full(&inner, 7, "apic", 0, 3, "\x01\x02\x03", 3);
	sb_command(&inner, 2, 4, "\x00\x00\x00\x01");
	sb_eof(&inner);
	prologue(&b);
	ram_start(&b);
	sb_command(&b, 3, 0, NULL);		/* POSTCOPY_ADVISE */
	sb_command(&b, 7, 4, NULL);		/* PACKAGED */
	sb_be32(&b, (uint32_t)inner.len);
	sb_raw(&b, inner.data, inner.len);
	sb_section_ref(&b, QVM_SECTION_PART, RAM_ID);
	sb_ram_zero(&b, 0, RAM_BLOCK);
	sb_ram_eos(&b);
	sb_footer(&b, RAM_ID);
	sb_eof(&b);
	truncate_everywhere(&b, b.len);	/* only the whole stream is valid */
	sb_free(&inner);
	sb_free(&b);
}
END_TEST

/* ============================================================== sections */

START_TEST(test_bad_footer_marker_ram)
{
	/* RAM payloads end at EOS, so the footer position is exact */
	struct sbuf b;
	size_t foot;

	prologue(&b);
	sb_section(&b, QVM_SECTION_START, RAM_ID, "ram", 0, 4);
	sb_ram_mem_size(&b, RAM_LEN);
	sb_ram_block(&b, RAM_BLOCK, RAM_LEN);
	sb_ram_eos(&b);
	foot = sb_u8(&b, 0x7f);
	sb_be32(&b, RAM_ID);
	sb_eof(&b);
	expect_error(&b, foot, "bad-footer");
	sb_free(&b);
}
END_TEST

START_TEST(test_bad_footer_marker_after_decoded_section)
{
	/* the trailer says the payload is 2 bytes: the footer must follow */
	static const char vmdesc[] =
		"{\"page_size\":4096,\"devices\":[{\"name\":\"dev\",\"instance_id\":0,"
		"\"vmsd_name\":\"dev\",\"version\":1,\"fields\":[{\"name\":\"v\","
		"\"type\":\"uint16\",\"size\":2}]}]}";
	struct sbuf b;
	size_t sec, foot;

	prologue(&b);
	ram_start(&b);		/* footers are known to be on */
	sec = sb_section(&b, QVM_SECTION_FULL, 4, "dev", 0, 1);
	sb_be16(&b, 0x1234);
	foot = sb_u8(&b, 0x7d);
	sb_be32(&b, 4);
	sb_eof(&b);
	sb_vmdesc(&b, vmdesc);
	ck_assert_uint_eq(foot, sec + 1 + 4 + 1 + 3 + 4 + 4 + 2);
	expect_error(&b, foot, "bad-footer");
	sb_free(&b);
}
END_TEST

START_TEST(test_footer_wrong_section_id)
{
	struct sbuf b;
	size_t foot;

	prologue(&b);
	sb_section(&b, QVM_SECTION_START, RAM_ID, "ram", 0, 4);
	sb_ram_mem_size(&b, RAM_LEN);
	sb_ram_block(&b, RAM_BLOCK, RAM_LEN);
	sb_ram_eos(&b);
	foot = sb_footer(&b, RAM_ID + 1);
	sb_eof(&b);
	expect_error(&b, foot + 1, "bad-footer");	/* the id after 0x7e */
	sb_free(&b);
}
END_TEST

START_TEST(test_unknown_record_type)
{
	static const uint8_t bad[] = { 0x09, 0x05, 0x06, 0x7e, 0xff };
	for (size_t i = 0; i < sizeof(bad); i++) {
		struct sbuf b;
		size_t off;

		prologue(&b);
		ram_start(&b);
		off = sb_u8(&b, bad[i]);
		sb_fill(&b, 0, 16);
		sb_eof(&b);
		expect_error_msg(&b, off, "unknown record type");
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_configuration_out_of_place)
{
	struct sbuf b;
	size_t off;

	prologue(&b);
	ram_start(&b);
	off = sb_config(&b, MACHINE);
	sb_eof(&b);
	expect_error_msg(&b, off, "configuration");
	sb_free(&b);
}
END_TEST

START_TEST(test_configuration_bad)
{
	struct sbuf b;
	size_t cfg, sub;

	/* name length 0: the error points at the length */
	sb_init(&b);
	sb_header(&b);
	cfg = sb_u8(&b, QVM_CONFIGURATION);
	sb_be32(&b, 0);
	sb_eof(&b);
	expect_error(&b, cfg + 1, NULL);
	sb_free(&b);

	/* an unknown configuration subsection: at its 0x05 */
	prologue(&b);
	sub = sb_subsection(&b, "configuration/bogus", 1);
	sb_eof(&b);
	expect_error_msg(&b, sub, "configuration/bogus");
	sb_free(&b);

	/* target page bits out of range: at the value */
	prologue(&b);
	sub = sb_config_page_bits(&b, 40);
	sb_eof(&b);
	expect_error(&b, sub + 36, NULL);
	sb_free(&b);
}
END_TEST

START_TEST(test_unknown_command)
{
	static const uint16_t bad[] = { 0, 12, 0x100, 0xffff };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbuf b;
		size_t cmd;

		prologue(&b);
		cmd = sb_command(&b, bad[i], 0, NULL);
		sb_eof(&b);
		expect_error_msg(&b, cmd + 1, "unknown command");	/* the be16 cmd */
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_command_bad_length)
{
	static const struct { uint16_t cmd, len; } bad[] = {
		{ 2, 2 },	/* PING is 4 */
		{ 11, 1 },	/* SWITCHOVER_START is 0 */
		{ 3, 8 },	/* POSTCOPY_ADVISE is 0 or 16 */
		{ 7, 0 },	/* PACKAGED is 4 */
		{ 1, 4 },	/* OPEN_RETURN_PATH is 0 */
	};
	static const uint8_t payload[16] = { 0 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbuf b;
		size_t cmd;

		prologue(&b);
		cmd = sb_command(&b, bad[i].cmd, bad[i].len, payload);
		sb_eof(&b);
		expect_error_msg(&b, cmd + 3, "bad length");	/* the be16 len */
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_part_never_started)
{
	static const uint8_t types[] = { QVM_SECTION_PART, QVM_SECTION_END };
	for (size_t i = 0; i < 2; i++) {
		struct sbuf b;
		size_t off;

		prologue(&b);
		ram_start(&b);
		off = sb_section_ref(&b, types[i], RAM_ID + 7);
		sb_ram_eos(&b);
		sb_footer(&b, RAM_ID + 7);
		sb_eof(&b);
		expect_error_msg(&b, off + 1, "no START record");	/* the be32 id */
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_empty_section_name)
{
	static const uint8_t types[] = { QVM_SECTION_START, QVM_SECTION_FULL };
	for (size_t i = 0; i < 2; i++) {
		struct sbuf b;
		size_t off;

		prologue(&b);
		off = sb_section(&b, types[i], 3, "", 0, 1);
		sb_fill(&b, 0, 8);
		sb_footer(&b, 3);
		sb_eof(&b);
		expect_error_msg(&b, off + 5, "empty name");	/* the name's length byte */
		sb_free(&b);
	}
}
END_TEST

/* ==================================================================== RAM */

/* prologue, RAM START, then a PART whose first record is appended by the
 * caller; returns the offset where that record starts. */
static size_t ram_part(struct sbuf *b)
{
	prologue(b);
	ram_start(b);
	sb_section_ref(b, QVM_SECTION_PART, RAM_ID);
	return b->len;
}

/* close the PART and the stream, with a trailer fixing the page size */
static void ram_close(struct sbuf *b)
{
	sb_ram_eos(b);
	sb_footer(b, RAM_ID);
	sb_eof(b);
	sb_vmdesc(b, VMDESC_EMPTY);
}

START_TEST(test_ram_unknown_flags)
{
	static const uint64_t bad[] = {
		SB_RAM_ZERO | SB_RAM_PAGE, 0x01 /* FULL */, SB_RAM_EOS | SB_RAM_ZERO,
		SB_RAM_MEM_SIZE | SB_RAM_PAGE, 0x400, 0x800, SB_RAM_CONTINUE,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbuf b;
		size_t off = ram_part(&b);

		sb_ram_word(&b, 0, bad[i]);
		sb_cstr(&b, RAM_BLOCK);
		sb_u8(&b, 0);
		ram_close(&b);
		expect_error_msg(&b, off, "unknown combination of RAM flags");
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_ram_page_unknown_block)
{
	struct sbuf b;
	size_t off = ram_part(&b);

	sb_ram_zero(&b, 0, "pc.rom");
	ram_close(&b);
	expect_error_msg(&b, off + 8, "pc.rom");	/* the block name after the word */
	sb_free(&b);
}
END_TEST

START_TEST(test_ram_continue_without_block)
{
	struct sbuf b;
	size_t off = ram_part(&b);

	sb_ram_zero(&b, 0, NULL);
	ram_close(&b);
	expect_error_msg(&b, off, "CONTINUE");
	sb_free(&b);
}
END_TEST

START_TEST(test_ram_page_offset_beyond_block)
{
	struct sbuf b;
	size_t off;

	off = ram_part(&b);
	sb_ram_zero(&b, RAM_LEN, RAM_BLOCK);	/* first byte past the block */
	ram_close(&b);
	expect_error_msg(&b, off, "beyond RAMBlock");
	sb_free(&b);

	off = ram_part(&b);			/* the same with CONTINUE */
	sb_ram_zero(&b, RAM_LEN - PAGE, RAM_BLOCK);
	off = sb_ram_page(&b, RAM_LEN + 16 * PAGE, NULL, PAGE, 0);
	ram_close(&b);
	expect_error_msg(&b, off, "beyond RAMBlock");
	sb_free(&b);
}
END_TEST

START_TEST(test_ram_bad_xbzrle)
{
	struct sbuf b;
	size_t off = ram_part(&b);

	sb_ram_word(&b, 0, SB_RAM_XBZRLE);
	sb_cstr(&b, RAM_BLOCK);
	sb_u8(&b, 2);		/* encoding must be 1 */
	sb_be16(&b, 4);
	sb_fill(&b, 0, 4);
	ram_close(&b);
	expect_error_msg(&b, off + 8 + 1 + 6, "XBZRLE");	/* its encoding byte */
	sb_free(&b);
}
END_TEST

START_TEST(test_ram_block_exceeds_total)
{
	struct sbuf b;
	size_t blk;

	prologue(&b);
	sb_section(&b, QVM_SECTION_START, RAM_ID, "ram", 0, 4);
	sb_ram_mem_size(&b, 0x10000);
	sb_ram_block(&b, "pc.ram", 0x8000);
	blk = sb_ram_block(&b, "vga.vram", 0x10000);	/* 0x8000 left */
	sb_ram_eos(&b);
	sb_footer(&b, RAM_ID);
	sb_eof(&b);
	sb_vmdesc(&b, VMDESC_EMPTY);
	expect_error_msg(&b, blk + 1 + 8, "exceeds");	/* its used_length */
	sb_free(&b);
}
END_TEST

START_TEST(test_ram_empty_block_name)
{
	struct sbuf b;
	size_t blk;

	prologue(&b);
	sb_section(&b, QVM_SECTION_START, RAM_ID, "ram", 0, 4);
	sb_ram_mem_size(&b, 0x10000);
	blk = sb_ram_block(&b, "", 0x10000);
	sb_ram_eos(&b);
	sb_footer(&b, RAM_ID);
	sb_eof(&b);
	expect_error_msg(&b, blk, "empty RAMBlock name");
	sb_free(&b);
}
END_TEST

START_TEST(test_ram_too_many_blocks)
{
	const unsigned n = VI_MAX_RAM_BLOCKS + 1;
	struct sbuf b;
	size_t extra = 0;

	prologue(&b);
	sb_section(&b, QVM_SECTION_START, RAM_ID, "ram", 0, 4);
	sb_ram_mem_size(&b, (uint64_t)n * PAGE);
	for (unsigned i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "blk%u", i);
		extra = sb_ram_block(&b, name, PAGE);
	}
	sb_ram_eos(&b);
	sb_footer(&b, RAM_ID);
	sb_eof(&b);
	sb_vmdesc(&b, VMDESC_EMPTY);
	expect_error_msg(&b, extra, "RAMBlocks");	/* the one over the limit */
	sb_free(&b);
}
END_TEST

/* ========================================================= the trailer */

/* A stream with the given trailer JSON; returns the offset of its 0x06. */
static size_t with_trailer(struct sbuf *b, const char *json)
{
	prologue(b);
	ram_start(b);
	sb_eof(b);
	return sb_vmdesc(b, json);
}

START_TEST(test_vmdesc_invalid_json)
{
	static const char *const bad[] = {
		"{\"page_size\": 4096, \"devices\": [ x ]}",
		"{\"page_size\": 4096, \"devices\": [1,]}",
		"{\"devices\": [{\"name\": \"a\"} {}]}",
	};
	static const char *const at[] = { "x ]", ",]", " {}" };
	for (size_t i = 0; i < 3; i++) {
		struct sbuf b;
		struct walk_run run;
		size_t json, bad_at;

		json = with_trailer(&b, bad[i]) + 5;
		bad_at = json + (size_t)(strstr(bad[i], at[i]) - bad[i]);
		if (at[i][0] == ',' || at[i][0] == ' ')
			bad_at++;	/* the token after the comma or space */
		run_sb(&run, &b);
		ck_assert_msg(run.err.set, "%s: no error", bad[i]);
		ck_assert_int_eq(run.err.exit_code, VI_EXIT_INPUT);
		/* inside the JSON, at the bad token or just past its first byte */
		ck_assert_msg(run.err.offset >= bad_at && run.err.offset <= bad_at + 1,
			      "%s: error at %llu, bad token at %zu: %s", bad[i],
			      (unsigned long long)run.err.offset, bad_at, run.err.msg);
		ck_assert_uint_lt(run.err.offset, json + strlen(bad[i]));
		run_free(&run);
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_vmdesc_without_devices)
{
	static const char *const bad[] = {
		"{\"page_size\":4096}",
		"{\"page_size\":4096,\"devices\":{}}",
		"{\"devices\":\"none\"}",
	};
	for (size_t i = 0; i < 3; i++) {
		struct sbuf b;
		size_t off = with_trailer(&b, bad[i]);
		expect_error_msg(&b, off + 5, "devices");	/* the JSON's first byte */
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_vmdesc_bad_page_size)
{
	static const char *const bad[] = {
		"{\"page_size\":1000,\"devices\":[]}",
		"{\"page_size\":256,\"devices\":[]}",
		"{\"page_size\":\"4096\",\"devices\":[]}",
		"{\"page_size\":-4096,\"devices\":[]}",
	};
	for (size_t i = 0; i < 4; i++) {
		struct sbuf b;
		size_t off = with_trailer(&b, bad[i]);
		expect_error_msg(&b, off + 5, "page_size");
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_vmdesc_length_disagrees)
{
	static const int delta[] = { +1, -1, +1000, -20 };
	for (size_t i = 0; i < 4; i++) {
		struct sbuf b;
		size_t off = with_trailer(&b, VMDESC_EMPTY);
		sb_patch_be32(&b, off + 1, (uint32_t)((int)strlen(VMDESC_EMPTY) + delta[i]));
		expect_error(&b, off + 1, NULL);	/* the length field */
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_bytes_after_eof)
{
	struct sbuf b;
	size_t eof;

	/* junk instead of a trailer */
	prologue(&b);
	eof = sb_eof(&b);
	sb_raw(&b, "\xaa\xbb\xcc", 3);
	expect_error_msg(&b, eof + 1, "after EOF");
	sb_free(&b);

	/* junk before a good trailer */
	prologue(&b);
	eof = sb_eof(&b);
	sb_raw(&b, "\x01\x02", 2);
	sb_vmdesc(&b, VMDESC_EMPTY);
	expect_error_msg(&b, eof + 1, "after EOF");
	sb_free(&b);

	/* a second EOF */
	prologue(&b);
	eof = sb_eof(&b);
	sb_eof(&b);
	expect_error_msg(&b, eof + 1, "after EOF");
	sb_free(&b);
}
END_TEST

/* ============================================================= PACKAGED */

START_TEST(test_packaged_past_end)
{
	struct sbuf b;
	size_t cmd;

	prologue(&b);
	cmd = sb_command(&b, 7, 4, NULL);
	sb_be32(&b, 0);		/* patched below */
	sb_eof(&b);		/* the nested EOF */
	sb_eof(&b);
	/* one byte more than the file holds after the length */
	sb_patch_be32(&b, cmd + 5, (uint32_t)(b.len - (cmd + 9) + 1));
	expect_error_msg(&b, cmd + 5, "PACKAGED");	/* its be32 length */
	sb_patch_be32(&b, cmd + 5, 0xffffffffu);
	expect_error_msg(&b, cmd + 5, "PACKAGED");
	sb_free(&b);
}
END_TEST

START_TEST(test_packaged_ends_early)
{
	/* EOF inside the package two bytes before its declared end */
	struct sbuf b;
	size_t cmd, inner_eof;

	prologue(&b);
	cmd = sb_command(&b, 7, 4, NULL);
	sb_be32(&b, 3);
	inner_eof = sb_eof(&b);
	sb_raw(&b, "\x00\x00", 2);
	sb_eof(&b);
	ck_assert_uint_eq(inner_eof, cmd + 9);
	expect_error_msg(&b, inner_eof + 1, "before its declared end");
	sb_free(&b);
}
END_TEST

START_TEST(test_packaged_record_past_its_end)
{
	/* a record inside the package that runs past the package */
	struct sbuf b;
	size_t cmd, ping;

	prologue(&b);
	cmd = sb_command(&b, 7, 4, NULL);
	sb_be32(&b, 3);
	ping = sb_command(&b, 2, 4, "\x00\x00\x00\x01");	/* 9 bytes */
	sb_eof(&b);
	sb_eof(&b);
	ck_assert_uint_eq(ping, cmd + 9);
	/* 08 and the be16 cmd fit, the be16 len does not (it starts at +3) */
	expect_error_msg(&b, ping + 3, "enclosing record");
	sb_free(&b);
}
END_TEST

START_TEST(test_packaged_too_deep)
{
	/* PACKAGED in PACKAGED in PACKAGED: over VI_MAX_PACKAGED_DEPTH (2) */
	struct sbuf b;
	size_t c[3];
	int depth = VI_MAX_PACKAGED_DEPTH + 1;

	ck_assert_int_eq(depth, 3);
	prologue(&b);
	for (int i = 0; i < depth; i++) {
		c[i] = sb_command(&b, 7, 4, NULL);
		sb_be32(&b, 0);
	}
	for (int i = 0; i <= depth; i++)
		sb_eof(&b);
	for (int i = 0; i < depth; i++)	/* each holds what follows it but the main EOF */
		sb_patch_be32(&b, c[i] + 5, (uint32_t)(b.len - 1 - (c[i] + 9)));
	expect_error_msg(&b, c[depth - 1] + 9, "nested");	/* where its data starts */
	sb_free(&b);
}
END_TEST

/* ============================================================ containers */

static void libvirt_image(struct sbuf *b, const char *magic, uint32_t version,
			  uint32_t data_len, uint32_t format, size_t real_data)
{
	struct sbuf s;
	struct sample_offs o;

	sb_init(b);
	sb_raw(b, magic, 16);
	sb_le32(b, version);
	sb_le32(b, data_len);
	sb_le32(b, 0);
	sb_le32(b, format);
	sb_fill(b, 0, 60);
	sb_fill(b, 0, real_data);
	sb_init(&s);
	sb_sample_stream(&s, &o);
	sb_raw(b, s.data, s.len);
	sb_free(&s);
}

START_TEST(test_libvirt_data_len_past_end)
{
	struct sbuf b;
	struct walk_run run;

	libvirt_image(&b, "LibvirtQemudSave", 2, 0, 0, 64);
	/* data_len: one byte more than the file holds after the header */
	b.data[20] = (uint8_t)((b.len - 92 + 1) & 0xff);
	b.data[21] = (uint8_t)((b.len - 92 + 1) >> 8);
	run_sb(&run, &b);
	ck_assert_input_error(&run, 20);	/* the data_len field */
	ck_assert_ptr_nonnull(strstr(run.err.msg, "data length"));
	run_free(&run);
	memset(b.data + 20, 0xff, 4);		/* 4 GiB - 1 */
	expect_error_msg(&b, 20, "data length");
	sb_free(&b);
}
END_TEST

START_TEST(test_libvirt_bad_header)
{
	struct sbuf b;
	struct walk_run run;

	libvirt_image(&b, "LibvirtQemudPart", 2, 64, 0, 64);	/* incomplete */
	expect_error_msg(&b, 0, "incomplete");
	sb_free(&b);
	libvirt_image(&b, "LibvirtQemudSave", 7, 64, 0, 64);	/* version */
	expect_error_msg(&b, 16, "version");
	sb_free(&b);
	libvirt_image(&b, "LibvirtQemudSave", 2, 64, 9, 64);	/* format */
	expect_error_msg(&b, 28, "format 9 is unknown");
	sb_free(&b);
	/* gzip in the header, a raw stream behind it: at the stream's offset */
	libvirt_image(&b, "LibvirtQemudSave", 2, 64, 1, 64);
	expect_error_msg(&b, 92 + 64, "gzip-compressed, but it is not");
	sb_free(&b);
	/* a header cut short */
	libvirt_image(&b, "LibvirtQemudSave", 2, 64, 0, 64);
	run_prefix(&run, &b, 50);
	ck_assert_msg(run.err.set && run.err.exit_code == VI_EXIT_INPUT, "%s", run.err.msg);
	ck_assert_uint_le(run.err.offset, 50);
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_truncated_xz)
{
	struct sbuf raw, xz;
	struct sample_offs o;
	size_t cap, pos = 0;

	sb_init(&raw);
	sb_sample_stream(&raw, &o);
	cap = lzma_stream_buffer_bound(raw.len);
	sb_init(&xz);
	sb_fill(&xz, 0, cap);
	ck_assert_int_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, raw.data,
						 raw.len, xz.data, &pos, cap), LZMA_OK);
	xz.len = pos;
	/* every cut of the compressed file fails (the index and footer are
	 * at the end), as an input error inside what is there */
	for (size_t n = 1; n < xz.len; n++) {
		struct walk_run run;
		run_prefix(&run, &xz, n);
		ck_assert_msg(run.err.set, "xz cut at %zu of %zu: no error", n, xz.len);
		ck_assert_int_eq(run.err.exit_code, VI_EXIT_INPUT);
		ck_assert_msg(run.err.offset <= n, "xz cut at %zu: error at %llu", n,
			      (unsigned long long)run.err.offset);
		run_free(&run);
	}
	/* and the whole file is fine */
	{
		struct walk_run run;
		run_sb(&run, &xz);
		ck_assert_walk_ok(&run);
		run_free(&run);
	}
	/* a corrupted byte in the middle is an input error too */
	xz.data[xz.len / 2] ^= 0x55;
	{
		struct walk_run run;
		run_sb(&run, &xz);
		ck_assert_msg(run.err.set && run.err.exit_code == VI_EXIT_INPUT, "corrupt xz");
		ck_assert_uint_le(run.err.offset, xz.len);
		run_free(&run);
	}
	sb_free(&raw);
	sb_free(&xz);
}
END_TEST

/* ======================================================= nested vmdesc */

/* A device entry whose only field is a struct nested `levels` deep around a
 * uint8; the section payload is that one byte. */
static char *deep_vmdesc(int levels)
{
	static const char open[] = "{\"name\":\"f\",\"type\":\"struct\",\"size\":1,"
				   "\"struct\":{\"vmsd_name\":\"s\",\"version\":1,\"fields\":[";
	static const char close[] = "]}}";
	static const char head[] = "{\"page_size\":4096,\"devices\":[{\"name\":\"deep\","
				   "\"instance_id\":0,\"vmsd_name\":\"deep\",\"version\":1,"
				   "\"fields\":[";
	static const char leaf[] = "{\"name\":\"leaf\",\"type\":\"uint8\",\"size\":1}";
	static const char tail[] = "]}]}";
	size_t n = sizeof(head) + (size_t)levels * (sizeof(open) + sizeof(close)) +
		   sizeof(leaf) + sizeof(tail);
	char *s = malloc(n), *p = s;

	ck_assert_ptr_nonnull(s);
	p += sprintf(p, "%s", head);
	for (int i = 0; i < levels; i++)
		p += sprintf(p, "%s", open);
	p += sprintf(p, "%s", leaf);
	for (int i = 0; i < levels; i++)
		p += sprintf(p, "%s", close);
	sprintf(p, "%s", tail);
	return s;
}

static void deep_stream(struct sbuf *b, int levels, size_t *payload, size_t *eof,
			size_t *vmdesc)
{
	char *json = deep_vmdesc(levels);
	size_t sec;

	prologue(b);
	sec = sb_full(b, 9, "deep", 0, 1, "\x42", 1);
	*payload = sec + 1 + 4 + 1 + 4 + 4 + 4;
	*eof = sb_eof(b);
	*vmdesc = sb_vmdesc(b, json);
	free(json);
}

START_TEST(test_vmdesc_nested_100_levels)
{
	/* Deeper than VI_MAX_DESC_DEPTH: the walk must either fall back (the
	 * innermost part shown undecoded, with a warning) or fail cleanly. */
	struct sbuf b;
	struct walk_run run;
	size_t payload, eof, vmdesc;

	deep_stream(&b, 100, &payload, &eof, &vmdesc);
	run_sb(&run, &b);
	if (run.err.set) {
		ck_assert_int_eq(run.err.exit_code, VI_EXIT_INPUT);
		ck_assert_uint_le(run.err.offset, b.len);
	} else {
		ck_assert_juint(run.json, payload, "sections/deep/payload_offset");
		ck_assert_juint(run.json, 1, "sections/deep/payload_length");
		ck_assert_juint(run.json, payload + 1, "sections/deep/footer/offset");
		ck_assert_juint(run.json, eof, "eof/offset");
		ck_assert_juint(run.json, vmdesc, "vmdesc/offset");
		ck_assert_juint(run.json, 1, "undecoded_bytes");	/* the innermost byte */
		ck_assert_uint_ge(jlen(run.json, "warnings"), 1);
		ck_tiling(tsection(&run, 0));
	}
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_vmdesc_nested_beyond_json_parser)
{
	/* 1000 structs = 3000 JSON nesting levels, beyond what the JSON
	 * parser accepts: the trailer is rejected, the error inside it. */
	struct sbuf b;
	struct walk_run run;
	size_t payload, eof, vmdesc;

	deep_stream(&b, 1000, &payload, &eof, &vmdesc);
	run_sb(&run, &b);
	if (run.err.set) {
		ck_assert_int_eq(run.err.exit_code, VI_EXIT_INPUT);
		ck_assert_uint_gt(run.err.offset, vmdesc + 5);
		ck_assert_uint_lt(run.err.offset, b.len);
	} else {
		ck_assert_juint(run.json, payload + 1, "sections/deep/footer/offset");
		ck_assert_uint_ge(jlen(run.json, "warnings"), 1);
	}
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_vmdesc_hostile_entries)
{
	/* descriptions that make no sense must not crash the decoder */
	static const char *const entries[] = {
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"a\",\"type\":\"uint8\"}]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"a\",\"type\":\"uint8\",\"size\":-1}]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"a\",\"type\":\"uint8\",\"size\":1,\"array_len\":0}]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"a\",\"type\":\"uint8\",\"size\":0,\"array_len\":2000000000}]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"a\",\"type\":\"uint8\",\"size\":2147483647}]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":\"x\"}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[7]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"subsections\":[{\"fields\":[]}]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"s\",\"type\":\"struct\",\"size\":4,\"struct\":{\"fields\":[{\"name\":\"x\",\"type\":\"uint64\",\"size\":8}]}}]}",
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"s\",\"type\":\"struct\",\"size\":4,\"struct\":[]}]}",
	};
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		char json[1024];
		struct sbuf b;
		struct walk_run run;

		snprintf(json, sizeof(json), "{\"page_size\":4096,\"devices\":[%s]}", entries[i]);
		prologue(&b);
		sb_full(&b, 3, "dev", 0, 1, "\x01\x02\x03\x04", 4);
		sb_eof(&b);
		sb_vmdesc(&b, json);
		run_sb(&run, &b);
		/* either decoded somehow, or an input error inside the stream */
		if (run.err.set) {
			ck_assert_msg(run.err.exit_code == VI_EXIT_INPUT, "entry %zu: exit %d",
				      i, run.err.exit_code);
			ck_assert_uint_le(run.err.offset, b.len);
		} else {
			ck_assert_msg(jpath(run.json, "sections/dev/footer") != NULL,
				      "entry %zu: section end not found", i);
		}
		run_free(&run);
		sb_free(&b);
	}
}
END_TEST

/* ================================================================= suite */

static Suite *badinput_suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tc;

	tc = tcase_create("header");
	tcase_add_test(tc, test_wrong_magic);
	tcase_add_test(tc, test_tiny_files);
	tcase_add_test(tc, test_wrong_magic_inside_libvirt);
	tcase_add_test(tc, test_version_2);
	tcase_add_test(tc, test_version_4);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_truncation_everywhere);
	tcase_add_test(tc, test_truncation_everywhere_postcopy);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_test(tc, test_bad_footer_marker_ram);
	tcase_add_test(tc, test_bad_footer_marker_after_decoded_section);
	tcase_add_test(tc, test_footer_wrong_section_id);
	tcase_add_test(tc, test_unknown_record_type);
	tcase_add_test(tc, test_configuration_out_of_place);
	tcase_add_test(tc, test_configuration_bad);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_command_bad_length);
	tcase_add_test(tc, test_part_never_started);
	tcase_add_test(tc, test_empty_section_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("ram");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ram_unknown_flags);
	tcase_add_test(tc, test_ram_page_unknown_block);
	tcase_add_test(tc, test_ram_continue_without_block);
	tcase_add_test(tc, test_ram_page_offset_beyond_block);
	tcase_add_test(tc, test_ram_bad_xbzrle);
	tcase_add_test(tc, test_ram_block_exceeds_total);
	tcase_add_test(tc, test_ram_empty_block_name);
	tcase_add_test(tc, test_ram_too_many_blocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("trailer");
	tcase_add_test(tc, test_vmdesc_invalid_json);
	tcase_add_test(tc, test_vmdesc_without_devices);
	tcase_add_test(tc, test_vmdesc_bad_page_size);
	tcase_add_test(tc, test_vmdesc_length_disagrees);
	tcase_add_test(tc, test_bytes_after_eof);
	tcase_add_test(tc, test_vmdesc_nested_100_levels);
	tcase_add_test(tc, test_vmdesc_nested_beyond_json_parser);
	tcase_add_test(tc, test_vmdesc_hostile_entries);
	suite_add_tcase(s, tc);

	tc = tcase_create("packaged");
	tcase_add_test(tc, test_packaged_past_end);
	tcase_add_test(tc, test_packaged_ends_early);
	tcase_add_test(tc, test_packaged_record_past_its_end);
	tcase_add_test(tc, test_packaged_too_deep);
	suite_add_tcase(s, tc);

	tc = tcase_create("containers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_libvirt_data_len_past_end);
	tcase_add_test(tc, test_libvirt_bad_header);
	tcase_add_test(tc, test_truncated_xz);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(badinput_suite)
