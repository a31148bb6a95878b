/* test-libvirt.c - libvirt save image headers as libvirt's qemu_saveimage.c
 * writes them: versions 1 and 2, the cookie, the other endianness, the
 * domain facts taken from the XML; and a format code naming a compressor
 * whose data is not there.  (Real images of every format: tests/twins.py.) */
#include <check.h>
#include <string.h>
#include "streambuf.h"
#include "unit-main.h"

#define XML "<domain type='kvm'>\n  <name>web&amp;db</name>\n" \
	"  <uuid>0a1b2c3d-0000-4000-8000-000000000001</uuid>\n" \
	"  <os>\n    <type arch='x86_64' machine=\"pc-q35-7.2\">hvm</type>\n  </os>\n" \
	"</domain>\n"
#define COOKIE "<cookie>\n  <cpu mode='custom'/>\n</cookie>\n"

/* header (host order or swapped), XML + NUL, optional cookie + NUL, padding,
 * then the sample stream */
static void image(struct sbuf *b, uint32_t version, uint32_t running, uint32_t format,
		  int cookie, int swapped)
{
	struct sbuf s;
	struct sample_offs o;
	size_t xml_len = strlen(XML) + 1, cookie_len = cookie ? strlen(COOKIE) + 1 : 0;
	uint32_t data_len = (uint32_t)(xml_len + cookie_len + 1024);
	uint32_t v[5] = { version, data_len, running, format, cookie ? (uint32_t)xml_len : 0 };

	sb_init(b);
	sb_raw(b, "LibvirtQemudSave", 16);
	for (int i = 0; i < 5; i++)
		swapped ? sb_be32(b, v[i]) : sb_le32(b, v[i]);
	sb_fill(b, 0, 56);
	sb_raw(b, XML, xml_len);
	if (cookie)
		sb_raw(b, COOKIE, cookie_len);
	sb_fill(b, 0, 1024);
	sb_init(&s);
	sb_sample_stream(&s, &o);
	sb_raw(b, s.data, s.len);
	sb_free(&s);
}

static void expect_header(uint32_t version, uint32_t running, int cookie, int swapped)
{
	struct sbuf b;
	struct walk_run run;

	image(&b, version, running, 0, cookie, swapped);
	run_sb(&run, &b);
	ck_assert_msg(run.opened && run.rc == 0, "%s", run.err.msg);
	ck_assert_ptr_nonnull(run.in.libvirt);
	ck_assert_juint(run.json, version, "libvirt/version");
	ck_assert_str_eq(json_string_value(jpath(run.json, "libvirt/format")), "raw");
	ck_assert(json_is_true(jpath(run.json, "libvirt/was_running")) == (running != 0));
	ck_assert_juint(run.json, strlen(XML), "libvirt/xml_length");
	ck_assert_juint(run.json, cookie ? strlen(COOKIE) : 0, "libvirt/cookie_length");
	ck_assert_str_eq(json_string_value(jpath(run.json, "libvirt/domain/name")), "web&db");
	ck_assert_str_eq(json_string_value(jpath(run.json, "libvirt/domain/uuid")),
			 "0a1b2c3d-0000-4000-8000-000000000001");
	ck_assert_str_eq(json_string_value(jpath(run.json, "libvirt/domain/machine")),
			 "pc-q35-7.2");
	ck_assert_str_eq(json_string_value(jpath(run.json, "libvirt/domain/arch")), "x86_64");
	ck_assert_str_eq(run.in.libvirt->xml, XML);
	if (cookie) {
		ck_assert_str_eq(run.in.libvirt->cookie, COOKIE);
		ck_assert_str_eq(json_string_value(jpath(run.json, "libvirt/cookie")), COOKIE);
	} else {
		ck_assert(json_is_null(jpath(run.json, "libvirt/cookie")));
	}
	ck_assert_juint(run.json, b.len - run.in.size, "stream_offset");
	run_free(&run);
	sb_free(&b);
}

START_TEST(test_v2_running_with_cookie) { expect_header(2, 1, 1, 0); }
END_TEST
START_TEST(test_v2_paused_no_cookie) { expect_header(2, 0, 0, 0); }
END_TEST
START_TEST(test_v1) { expect_header(1, 1, 0, 0); }
END_TEST
START_TEST(test_other_endianness) { expect_header(2, 0, 1, 1); }
END_TEST

START_TEST(test_v1_ignores_format)
{
	/* version 1 images were never compressed: the format word is not read */
	struct sbuf b;
	struct walk_run run;

	image(&b, 1, 1, 3, 0, 0);
	run_sb(&run, &b);
	ck_assert_msg(run.opened && run.rc == 0, "%s", run.err.msg);
	ck_assert_str_eq(json_string_value(jpath(run.json, "libvirt/format")), "raw");
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_declared_compression_missing)
{
	/* each compressor code with an uncompressed stream behind it */
	static const char *const names[] = { "gzip", "bzip2", "xz", "lzop", "zstd" };
	for (uint32_t f = 1; f <= 5; f++) {
		struct sbuf b;
		struct walk_run run;
		image(&b, 2, 1, f, 1, 0);
		run_sb(&run, &b);
		ck_assert(run.err.set && run.err.exit_code == VI_EXIT_INPUT);
		ck_assert_msg(strstr(run.err.msg, names[f - 1]) && strstr(run.err.msg, "is not"),
			      "%s", run.err.msg);
		ck_assert_uint_eq(run.err.offset, b.len - (run.in.file_size - run.in.base));
		run_free(&run);
		sb_free(&b);
	}
}
END_TEST

START_TEST(test_cookie_offset_past_data)
{
	struct sbuf b;
	struct walk_run run;

	image(&b, 2, 1, 0, 1, 0);
	memset(b.data + 32, 0x7f, 4);
	run_sb(&run, &b);
	ck_assert(run.err.set && run.err.exit_code == VI_EXIT_INPUT);
	ck_assert_uint_eq(run.err.offset, 32);
	ck_assert_ptr_nonnull(strstr(run.err.msg, "cookie"));
	run_free(&run);
	sb_free(&b);
}
END_TEST

static Suite *libvirt_suite(void)
{
	Suite *s = suite_create("libvirt");
	TCase *tc = tcase_create("header");

	tcase_add_test(tc, test_v2_running_with_cookie);
	tcase_add_test(tc, test_v2_paused_no_cookie);
	tcase_add_test(tc, test_v1);
	tcase_add_test(tc, test_other_endianness);
	tcase_add_test(tc, test_v1_ignores_format);
	tcase_add_test(tc, test_declared_compression_missing);
	tcase_add_test(tc, test_cookie_offset_past_data);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(libvirt_suite)
