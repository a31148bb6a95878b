/* test-limits.c - the limits of src/vi-limits.h hold, fail in one clean
 * line, and what lies just inside them still works.
 *
 * A limit is a "hard" error (class "limit", exit code 3): no fallback may
 * turn it into a description mismatch and try again.  Each case is built
 * like the reproducer in tests/data/regress it stands for, at the size of
 * the limit rather than far beyond it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render.h"
#include "streambuf.h"
#include "vi-limits.h"
#include "unit-main.h"

#define MACHINE "pc-q35-10.0"
#define DEV_ID 3

static void prologue(struct sbuf *b)
{
	sb_init(b);
	sb_header(b);
	sb_config(b, MACHINE);
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* One FULL section "dev" with payload_len zero bytes (or payload), described
 * by a trailer entry with the given "fields" JSON; returns the payload's
 * offset. */
static size_t dev_stream(struct sbuf *b, const char *fields, const void *payload,
			 size_t payload_len)
{
	size_t off;
	char *json = xprintf("{\"page_size\":4096,\"devices\":[{\"name\":\"dev\","
			     "\"instance_id\":0,\"vmsd_name\":\"dev\",\"version\":1,"
			     "\"fields\":%s}]}", fields);

	prologue(b);
	sb_section(b, QVM_SECTION_FULL, DEV_ID, "dev", 0, 1);
	off = b->len;
	if (payload)
		sb_raw(b, payload, payload_len);
	else
		sb_fill(b, 0, payload_len);
	sb_footer(b, DEV_ID);
	sb_eof(b);
	sb_vmdesc(b, json);
	free(json);
	return off;
}

/* The message is one line of printable ASCII. */
static void ck_printable(const char *msg)
{
	for (const char *p = msg; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p <= 0x7e, "byte 0x%02x in \"%s\"",
			      (unsigned char)*p, msg);
}

/* The walk stopped at a limit: exit 3, class "limit", the message says what,
 * and the error lies in [lo, hi]. */
static void ck_limit(const struct walk_run *run, const char *what, uint64_t lo, uint64_t hi)
{
	ck_assert_msg(run->err.set, "no error, expected one about \"%s\"", what);
	ck_assert_int_eq(run->err.exit_code, VI_EXIT_INPUT);
	ck_assert_msg(run->err.hard, "not a hard error: %s", run->err.msg);
	ck_assert_str_eq(vi_class_name(vi_error_cls(&run->err)), "limit");
	ck_assert_msg(strstr(run->err.msg, what) != NULL, "message \"%s\" lacks \"%s\"",
		      run->err.msg, what);
	ck_assert_msg(run->err.has_offset && run->err.offset >= lo && run->err.offset <= hi,
		      "error at %llu, expected %llu-%llu: %s",
		      (unsigned long long)run->err.offset, (unsigned long long)lo,
		      (unsigned long long)hi, run->err.msg);
	ck_assert_jstr(run->json, "limit", "error/class");
	ck_printable(run->err.msg);
}

/* ===================================================== error messages */

START_TEST(test_message_escapes_stream_bytes)
{
	/* tests/data/regress/error-message-raw-bytes.qevm */
	struct sbuf b;
	struct walk_run run;
	size_t sub;

	prologue(&b);
	sub = sb_subsection(&b, "\xff\xfe\x1b[31mred", 1);
	sb_eof(&b);
	run_sb(&run, &b);
	ck_assert_input_error(&run, sub);
	ck_assert_msg(strstr(run.err.msg, "'\\xff\\xfe\\x1b[31mred'") != NULL,
		      "message: %s", run.err.msg);
	ck_printable(run.err.msg);
	ck_assert_jstr(run.json, run.err.msg, "error/message");
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_message_cut_between_characters)
{
	struct vi_error e;
	char big[3000], esc[VI_ESC_NAME];
	size_t n;

	/* 1000 euro signs (3 bytes of UTF-8 each, 12 characters escaped) */
	for (size_t i = 0; i + 3 < sizeof(big); i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3);
	big[2997] = '\0';
	memset(&e, 0, sizeof(e));
	vi_fail(&e, VI_EXIT_INPUT, 7, "name %s\n", big);
	n = strlen(e.msg);
	ck_assert_uint_lt(n, sizeof(e.msg));
	ck_printable(e.msg);
	ck_assert_str_eq(e.msg + n - 3, "...");
	/* no escape cut in half: every '\' starts a whole \xNN */
	for (const char *p = e.msg; (p = strchr(p, '\\')); p++)
		ck_assert_msg(p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
			      isxdigit((unsigned char)p[3]), "cut escape in \"%s\"", e.msg);
	/* the first error is kept */
	vi_fail(&e, VI_EXIT_USAGE, 1, "second");
	ck_assert_int_eq(e.exit_code, VI_EXIT_INPUT);

	/* vi_esc: '\' escaped too, cut with "..." */
	ck_assert_str_eq(vi_esc(esc, sizeof(esc), "a\\b\x01"), "a\\x5cb\\x01");
	memset(big, 'n', 255);
	big[255] = '\0';
	vi_esc(esc, sizeof(esc), big);
	ck_assert_uint_lt(strlen(esc), sizeof(esc));
	ck_assert_str_eq(esc + strlen(esc) - 3, "...");

	/* an empty message is never left */
	memset(&e, 0, sizeof(e));
	vi_fail(&e, VI_EXIT_INPUT, 0, "%s", "");
	ck_assert_uint_gt(strlen(e.msg), 0);
}
END_TEST

START_TEST(test_nan_and_infinities_in_json)
{
	/* tests/data/regress/json-nan-inf-doubles.qevm */
	static const uint8_t p[32] = {
		0x3f, 0xf0, 0, 0, 0, 0, 0, 0,   /* 1.0 */
		0x7f, 0xf8, 0, 0, 0, 0, 0, 0,   /* NaN */
		0x7f, 0xf0, 0, 0, 0, 0, 0, 0,   /* +Inf */
		0xff, 0xf0, 0, 0, 0, 0, 0, 0,   /* -Inf */
	};
	struct sbuf b;
	struct walk_run run;

	dev_stream(&b, "[{\"name\":\"fpr\",\"type\":\"CPU_Double_U\",\"size\":8,\"array_len\":3},"
		   "{\"name\":\"one\",\"type\":\"CPU_Double_U\",\"size\":8}]", p, sizeof(p));
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_uint_eq(jlen(run.json, "sections/dev/fields/fpr/value"), 3);
	ck_assert(json_real_value(jpath(run.json, "sections/dev/fields/fpr/value/0")) == 1.0);
	ck_assert_jstr(run.json, "NaN", "sections/dev/fields/fpr/value/1");
	ck_assert_jstr(run.json, "Infinity", "sections/dev/fields/fpr/value/2");
	ck_assert_jstr(run.json, "-Infinity", "sections/dev/fields/one/value");
	run_free(&run);
	sb_free(&b);
}
END_TEST

/* ============================================================ nodes */

START_TEST(test_node_limit_is_not_a_mismatch)
{
	/* Inside a struct whose size the trailer gives, an error used to be
	 * taken for a wrong description: the struct became undecoded bytes
	 * and the walk went on.  The node limit must stop the walk. */
	const size_t n = VI_MAX_NODES / 2 + 16;
	struct sbuf b;
	struct walk_run run;
	size_t payload;
	char *fields = xprintf(
		"[{\"name\":\"o\",\"type\":\"struct\",\"size\":%zu,\"struct\":{\"vmsd_name\":\"o\","
		"\"version\":1,\"fields\":[{\"name\":\"a\",\"type\":\"struct\",\"size\":1,"
		"\"array_len\":%zu,\"struct\":{\"vmsd_name\":\"i\",\"version\":1,\"fields\":"
		"[{\"name\":\"x\",\"type\":\"uint8\",\"size\":1}]}}]}}]", n, n);

	payload = dev_stream(&b, fields, NULL, n);
	run_sb(&run, &b);
	ck_limit(&run, "decoded values", payload, payload + n);
	run_free(&run);
	sb_free(&b);
	free(fields);
}
END_TEST

START_TEST(test_node_work_limit)
{
	/* Each outer element builds 2s+1 nodes, then misses its subsection and
	 * is rolled back to undecoded bytes: few nodes alive, many made. */
	const size_t k = 64, s = VI_MAX_NODE_WORK / (2 * 64) + 64;
	struct sbuf b;
	struct walk_run run;
	size_t payload;
	char *fields = xprintf(
		"[{\"name\":\"o\",\"type\":\"struct\",\"size\":%zu,\"array_len\":%zu,"
		"\"struct\":{\"vmsd_name\":\"o\",\"version\":1,\"fields\":[{\"name\":\"a\","
		"\"type\":\"struct\",\"size\":1,\"array_len\":%zu,\"struct\":{\"vmsd_name\":"
		"\"i\",\"version\":1,\"fields\":[{\"name\":\"x\",\"type\":\"uint8\",\"size\":1}]}}],"
		"\"subsections\":[{\"vmsd_name\":\"missing\",\"version\":1,\"fields\":[]}]}}]",
		s, k, s);

	payload = dev_stream(&b, fields, NULL, k * s);
	run_sb(&run, &b);
	ck_limit(&run, "thrown away", payload, payload + k * s);
	ck_assert_uint_lt(vi_node_count(), VI_MAX_NODES);
	run_free(&run);
	sb_free(&b);
	free(fields);
}
END_TEST

/* ==================================================== empty elements */

START_TEST(test_empty_elements_per_section)
{
	struct sbuf b;
	struct walk_run run;
	size_t payload;
	char *fields;

	/* at the limit: decoded */
	fields = xprintf("[{\"name\":\"e\",\"type\":\"uint8\",\"size\":0,\"array_len\":%u}]",
			 VI_MAX_EMPTY_ELEMS);
	dev_stream(&b, fields, NULL, 0);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_juint(run.json, VI_MAX_EMPTY_ELEMS, "sections/dev/fields/e/array_len");
	run_free(&run);
	sb_free(&b);
	free(fields);

	/* one more: refused before anything is built */
	fields = xprintf("[{\"name\":\"e\",\"type\":\"uint8\",\"size\":0,\"array_len\":%u}]",
			 VI_MAX_EMPTY_ELEMS + 1);
	payload = dev_stream(&b, fields, NULL, 0);
	run_sb(&run, &b);
	ck_limit(&run, "take no bytes", payload, payload);
	run_free(&run);
	sb_free(&b);
	free(fields);

	/* nested: 100 empty structs of 100 empty elements each
	 * (tests/data/regress/vmdesc-empty-elements-16M-nodes.qevm) */
	payload = dev_stream(&b, "[{\"name\":\"s\",\"type\":\"struct\",\"size\":0,\"array_len\":100,"
			     "\"struct\":{\"vmsd_name\":\"t\",\"version\":1,\"fields\":[{\"name\":"
			     "\"e\",\"type\":\"uint8\",\"size\":0,\"array_len\":100}]}}]", NULL, 0);
	run_sb(&run, &b);
	ck_limit(&run, "take no bytes", payload, payload);
	run_free(&run);
	sb_free(&b);

	/* rolled back elements count: each of 4000 empty structs misses its
	 * subsection (tests/data/regress/vmdesc-empty-elements-hang.qevm) */
	payload = dev_stream(&b, "[{\"name\":\"s\",\"type\":\"struct\",\"size\":0,\"array_len\":4000,"
			     "\"struct\":{\"vmsd_name\":\"t\",\"version\":1,\"fields\":[{\"name\":"
			     "\"e\",\"type\":\"uint8\",\"size\":0,\"array_len\":2}],\"subsections\":"
			     "[{\"vmsd_name\":\"missing\",\"version\":1,\"fields\":[]}]}}]", NULL, 0);
	run_sb(&run, &b);
	ck_limit(&run, "take no bytes", payload, payload);
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_empty_elements_count_per_section)
{
	/* two sections, each just inside the limit */
	struct sbuf b;
	struct walk_run run;
	char *entry = xprintf("\"vmsd_name\":\"dev\",\"version\":1,\"fields\":[{\"name\":\"e\","
			      "\"type\":\"uint8\",\"size\":0,\"array_len\":%u}]",
			      VI_MAX_EMPTY_ELEMS - 1);
	char *json = xprintf("{\"page_size\":4096,\"devices\":[{\"name\":\"dev\",\"instance_id\":0,"
			     "%s},{\"name\":\"dev\",\"instance_id\":1,%s}]}", entry, entry);

	prologue(&b);
	sb_full(&b, 3, "dev", 0, 1, NULL, 0);
	sb_full(&b, 4, "dev", 1, 1, NULL, 0);
	sb_eof(&b);
	sb_vmdesc(&b, json);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_uint_eq(jlen(run.json, "sections"), 2);
	run_free(&run);
	sb_free(&b);
	free(entry);
	free(json);
}
END_TEST

/* ========================================================== sections */

START_TEST(test_sections_limit)
{
	/* tests/data/regress/many-sections-quadratic.qevm.xz */
	struct sbuf b;
	struct walk_run run;
	size_t last = 0;

	prologue(&b);
	for (uint32_t id = 0; id <= VI_MAX_SECTIONS; id++)
		last = sb_full(&b, id * 7 + 1, "s", id, 1, NULL, 0);
	sb_eof(&b);
	run_sb(&run, &b);
	ck_limit(&run, "sections", last, last);
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_sections_reused_ids)
{
	/* records are not limited, distinct ids are */
	struct sbuf b;
	struct walk_run run;

	prologue(&b);
	for (uint32_t i = 0; i < 2 * VI_MAX_SECTIONS; i++)
		sb_full(&b, i % 16, "s", 0, 1, "\x01", 1);
	sb_eof(&b);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_uint_eq(run.root->nkids, 1 + 1 + 2 * VI_MAX_SECTIONS + 1);	/* header,
							configuration, sections, EOF */
	run_free(&run);
	sb_free(&b);
}
END_TEST

/* =========================================================== trailer */

/* A trailer of exactly len bytes: an empty device list and padding. */
static size_t padded_trailer(struct sbuf *b, size_t len)
{
	static const char head[] = "{\"page_size\":4096,\"devices\":[],\"pad\":\"";
	char *json = malloc(len + 1);
	size_t off;

	ck_assert_ptr_nonnull(json);
	ck_assert_uint_gt(len, sizeof(head) + 2);
	memcpy(json, head, sizeof(head) - 1);
	memset(json + sizeof(head) - 1, 'x', len - (sizeof(head) - 1) - 2);
	memcpy(json + len - 2, "\"}", 3);
	prologue(b);
	sb_eof(b);
	off = sb_vmdesc(b, json);
	free(json);
	return off;
}

START_TEST(test_vmdesc_size_limit)
{
	/* tests/data/regress/vmdesc-32MB-json-memory.qevm.xz */
	struct sbuf b;
	struct walk_run run;
	size_t off;

	off = padded_trailer(&b, VI_MAX_VMDESC_LEN);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_juint(run.json, VI_MAX_VMDESC_LEN, "vmdesc/json_length");
	run_free(&run);
	sb_free(&b);

	/* One byte longer: not parsed, yet no input error (QEMU never reads
	 * it back): a warning, and the record shown with its length. */
	off = padded_trailer(&b, VI_MAX_VMDESC_LEN + 1);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_juint(run.json, VI_MAX_VMDESC_LEN + 1, "vmdesc/json_length");
	ck_assert_juint(run.json, off, "vmdesc/offset");
	ck_assert_ptr_null(jpath(run.json, "vmdesc/devices"));
	ck_assert_juint(run.json, off, "warnings/0/offset");
	ck_assert_ptr_nonnull(strstr(json_string_value(jpath(run.json, "warnings/0/message")),
				     "not read: over the limit"));
	ck_assert_ptr_null(jpath(run.json, "warnings/1"));
	run_free(&run);
	sb_free(&b);

	/* As long, but the stream ends before it does: still an input error. */
	off = padded_trailer(&b, VI_MAX_VMDESC_LEN + 1);
	b.len -= 1;
	run_sb(&run, &b);
	ck_assert_input_error(&run, off + 1);
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_vmdesc_entries_by_name_and_instance)
{
	/* Entries are found by name and instance wherever they are, each used
	 * once; a section without an entry of its name takes the next unused
	 * one in order if its bytes fit it. */
	static const char json[] =
		"{\"page_size\":4096,\"devices\":["
		"{\"name\":\"dev\",\"instance_id\":0,\"fields\":[{\"name\":\"a\",\"type\":\"uint8\",\"size\":1}]},"
		"{\"name\":\"dev\",\"instance_id\":1,\"fields\":[{\"name\":\"a\",\"type\":\"uint16\",\"size\":2}]},"
		"{\"name\":\"other\",\"instance_id\":0,\"fields\":[{\"name\":\"b\",\"type\":\"uint8\",\"size\":1}]},"
		"{\"name\":\"dev\",\"instance_id\":2,\"fields\":[{\"name\":\"a\",\"type\":\"uint32\",\"size\":4}]},"
		"{\"name\":\"twin\",\"instance_id\":0,\"fields\":[{\"name\":\"t\",\"type\":\"uint8\",\"size\":1}]},"
		"{\"name\":\"twin\",\"instance_id\":0,\"fields\":[{\"name\":\"t\",\"type\":\"uint16\",\"size\":2}]},"
		"{\"name\":\"gone\",\"instance_id\":0,\"fields\":[{\"name\":\"g\",\"type\":\"uint8\",\"size\":1}]}"
		"]}";
	struct sbuf b;
	struct walk_run run;

	prologue(&b);
	sb_full(&b, 1, "dev", 2, 1, "\x00\x00\x00\x02", 4);
	sb_full(&b, 2, "twin", 0, 1, "\x07", 1);
	sb_full(&b, 3, "dev", 0, 1, "\x00", 1);
	sb_full(&b, 4, "other", 0, 1, "\x05", 1);
	sb_full(&b, 5, "twin", 0, 1, "\x00\x08", 2);
	sb_full(&b, 6, "renamed", 0, 1, "\x09", 1);
	sb_full(&b, 7, "dev", 1, 1, "\x00\x01", 2);
	sb_eof(&b);
	sb_vmdesc(&b, json);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_juint(run.json, 3, "sections/0/vmdesc_index");
	ck_assert_juint(run.json, 2, "sections/0/fields/a/value");
	ck_assert_juint(run.json, 4, "sections/1/vmdesc_index");
	ck_assert_juint(run.json, 0, "sections/2/vmdesc_index");
	ck_assert_juint(run.json, 2, "sections/3/vmdesc_index");
	ck_assert_juint(run.json, 5, "sections/4/vmdesc_index");
	ck_assert_juint(run.json, 8, "sections/4/fields/t/value");
	ck_assert_juint(run.json, 6, "sections/5/vmdesc_index");	/* by order */
	ck_assert_juint(run.json, 9, "sections/5/fields/g/value");
	ck_assert_juint(run.json, 1, "sections/6/vmdesc_index");
	run_free(&run);
	sb_free(&b);
}
END_TEST

START_TEST(test_vmdesc_many_unmatched_entries)
{
	/* tests/data/regress/vmdesc-unmatched-entries-quadratic.qevm.xz, at
	 * a size where a scan per section would take minutes under ASan */
	const unsigned nent = 100000, nsec = 5000;
	struct sbuf b, j;
	struct walk_run run;
	char buf[96];

	sb_init(&j);
	sb_raw(&j, "{\"devices\":[", 12);
	for (unsigned i = 0; i < nent; i++) {
		int n = snprintf(buf, sizeof(buf), "%s{\"name\":\"e%u\",\"instance_id\":0}",
				 i ? "," : "", i);
		sb_raw(&j, buf, (size_t)n);
	}
	sb_raw(&j, "]}", 3);
	prologue(&b);
	for (unsigned i = 0; i < nsec; i++) {
		snprintf(buf, sizeof(buf), "s%u", i);
		sb_full(&b, i, buf, 0, 1, "\x01\x02", 2);
	}
	sb_eof(&b);
	sb_vmdesc(&b, (const char *)j.data);
	run_sb(&run, &b);
	ck_assert_walk_ok(&run);
	ck_assert_uint_eq(jlen(run.json, "sections"), nsec);
	run_free(&run);
	sb_free(&b);
	sb_free(&j);
}
END_TEST

/* ================================================================= suite */

static Suite *limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc;

	tc = tcase_create("messages");
	tcase_add_test(tc, test_message_escapes_stream_bytes);
	tcase_add_test(tc, test_message_cut_between_characters);
	tcase_add_test(tc, test_nan_and_infinities_in_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("nodes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_node_limit_is_not_a_mismatch);
	tcase_add_test(tc, test_node_work_limit);
	tcase_add_test(tc, test_empty_elements_per_section);
	tcase_add_test(tc, test_empty_elements_count_per_section);
	suite_add_tcase(s, tc);

	tc = tcase_create("sections");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sections_limit);
	tcase_add_test(tc, test_sections_reused_ids);
	tcase_add_test(tc, test_vmdesc_size_limit);
	tcase_add_test(tc, test_vmdesc_entries_by_name_and_instance);
	tcase_add_test(tc, test_vmdesc_many_unmatched_entries);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(limits_suite)
