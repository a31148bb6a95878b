/* test-jw.c - the one JSON writer (src/render-jw.c) writes what jansson's
 * json_dumpf writes, byte for byte, for every kind of value, at every
 * indent the views use, with ASCII and sorted keys; the event API gives
 * the same bytes as a jansson document of the same members; the typed
 * attribute table (tree.h) names every attribute once. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit-main.h"
#include "render-jw.h"
#include "render-findings.h"
#include "vi-tree.h"

/* What f(out) writes, as a string to free. */
static char *written(int (*f)(FILE *, const json_t *, int, int), const json_t *v, int indent,
		     int flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(f(out, v, indent, flags), 0);
	fclose(out);
	return buf;
}

static int jansson(FILE *out, const json_t *v, int indent, int flags)
{
	size_t jf = JSON_INDENT(indent) | JSON_ENCODE_ANY;

	if (flags & VI_JW_ASCII)
		jf |= JSON_ENSURE_ASCII;
	if (flags & VI_JW_SORT_KEYS)
		jf |= JSON_SORT_KEYS;
	if (json_dumpf(v, out, jf) < 0)
		return -1;
	fputc('\n', out);
	return 0;
}

static json_t *sample(void)
{
	static const double reals[] = { 0.0, -0.0, 1.5, 0.1, 1e20, 1e-5, -2.5e-300, 123456789.0,
					1.7976931348623157e308, 4.9e-324, 3.0 };
	json_t *o = json_object(), *a = json_array(), *deep = json_array(), *x = deep;

	json_object_set_new(o, "empty_object", json_object());
	json_object_set_new(o, "empty_array", json_array());
	json_object_set_new(o, "zeta", json_integer(-9223372036854775807LL - 1));
	json_object_set_new(o, "alpha", json_integer(9223372036854775807LL));
	json_object_set_new(o, "t", json_true());
	json_object_set_new(o, "f", json_false());
	json_object_set_new(o, "n", json_null());
	json_object_set_new(o, "esc", json_string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f"));
	json_object_set_new(o, "utf8", json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	json_object_set_new(o, "nul", json_stringn("a\0b", 3));
	json_object_set_new(o, "k\xc3\xa9y\n", json_string(""));
	json_object_set_new(o, "c1\xc2\x85", json_string("\xc2\x85\xef\xbf\xbf"));
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		json_array_append_new(a, json_real(reals[i]));
	json_array_append_new(a, json_object());
	json_array_append_new(a, json_pack("{s:[i,{}],s:s}", "x", 1, "y", "z"));
	json_object_set_new(o, "list", a);
	for (int i = 0; i < 40; i++) {
		json_t *k = json_array();
		json_array_append_new(x, k);
		x = k;
	}
	json_object_set_new(o, "deep", deep);
	return o;
}

START_TEST(test_same_bytes_as_jansson)
{
	json_t *o = sample();
	static const int indents[] = { 0, 1, 2, 4 };
	static const int flags[] = { 0, VI_JW_ASCII, VI_JW_SORT_KEYS, VI_JW_ASCII | VI_JW_SORT_KEYS };

	for (size_t i = 0; i < 4; i++)
		for (size_t k = 0; k < 4; k++) {
			char *want = written(jansson, o, indents[i], flags[k]);
			char *got = written(vi_jw_dump, o, indents[i], flags[k]);
			ck_assert_msg(strcmp(want, got) == 0, "indent %d flags %d:\n%s\nvs\n%s",
				      indents[i], flags[k], want, got);
			free(want);
			free(got);
		}
	json_decref(o);
}
END_TEST

/* Scalars at the top (JSON_ENCODE_ANY), one by one. */
START_TEST(test_scalars)
{
	json_t *v[] = { json_integer(0), json_real(2.0), json_real(-1e-7), json_string("x"),
			json_true(), json_null() };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *want = written(jansson, v[i], 0, 0), *got = written(vi_jw_dump, v[i], 0, 0);
		ck_assert_str_eq(want, got);
		free(want);
		free(got);
		json_decref(v[i]);
	}
}
END_TEST

static int events(FILE *out, const json_t *unused, int indent, int flags)
{
	struct vi_jw w;

	(void)unused;
	vi_jw_init(&w, out, indent, flags);
	vi_jw_obj(&w);
	vi_jw_kstr(&w, "name", "caf\xe9");	/* not UTF-8: \xNN text */
	vi_jw_kstr(&w, "absent", NULL);
	vi_jw_kuint(&w, "big", UINT64_MAX);
	vi_jw_kuint(&w, "small", 7);
	vi_jw_kbool(&w, "yes", 1);
	vi_jw_knull(&w, "none");
	vi_jw_key(&w, "reals");
	vi_jw_arr(&w);
	vi_jw_real(&w, NAN);
	vi_jw_real(&w, -INFINITY);
	vi_jw_real(&w, 0.5);
	vi_jw_end(&w);
	vi_jw_key(&w, "empty");
	vi_jw_obj(&w);
	vi_jw_end(&w);
	vi_jw_end(&w);
	return vi_jw_done(&w);
}

START_TEST(test_events_as_document)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:b,s:n,s:[s,s,f],s:{}}", "name", "caf\\xe9",
			      "big", "18446744073709551615", "small", 7, "yes", 1, "none",
			      "reals", "NaN", "-Infinity", 0.5, "empty");

	for (int indent = 0; indent < 3; indent++) {
		char *want = written(jansson, o, indent, 0), *got = written(events, NULL, indent, 0);
		ck_assert_str_eq(want, got);
		free(want);
		free(got);
	}
	json_decref(o);
}
END_TEST

START_TEST(test_attr_table)
{
	struct vi_node *n = vi_node_new(NULL, VI_N_SECTION, "cpu", "", 0);

	for (int i = 0; i < VI_A_COUNT; i++) {
		ck_assert_msg(vi_attr_key(i)[0], "attribute %d has no name", i);
		for (int k = 0; k < i; k++)
			ck_assert_str_ne(vi_attr_key(i), vi_attr_key(k));
	}
	ck_assert(!vi_node_has(n, VI_A_VERSION_ID));
	ck_assert_uint_eq(vi_node_u(n, VI_A_VERSION_ID, 99), 99);
	vi_node_attr_u(n, "version_id", 4);	/* set by name, read typed */
	ck_assert_uint_eq(vi_node_u(n, VI_A_VERSION_ID, 0), 4);
	vi_node_put_s(n, VI_A_DECODED_BY, "vmdesc");
	ck_assert_str_eq(vi_node_s(n, VI_A_DECODED_BY), "vmdesc");
	ck_assert_str_eq(vi_node_attr_by_key(n, "decoded_by")->s, "vmdesc");	/* set typed, read by name */
	ck_assert_ptr_null(vi_node_s(n, VI_A_VERSION_ID));	/* not a string */
	ck_assert_ptr_null(vi_node_s(NULL, VI_A_DECODED_BY));
	vi_node_free(n);
}
END_TEST

/* Findings written as they go (vi_finding_write, report) and as jansson
 * objects (vi_finding_json, check): the same bytes, whatever the strings. */
static char path_ok[] = "cpu[0]/env.regs", msg_ok[] = "a message \"quoted\"\n",
	    path_bad[] = "dev\xff\xfe/x", msg_bad[] = "caf\xe9 \x1b[31m";
static const struct vi_finding findings[] = {
	{ VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, 7, 100, path_ok, msg_ok, 0, NULL },
	{ VI_C_VERSION_TOO_NEW, VI_SEV_WARNING, UINT64_C(1) << 40, 0, path_bad, msg_bad, 1, NULL },
	{ VI_C_BAD_FOOTER, VI_SEV_ERROR, 0, 0, NULL, NULL, 2, NULL },
};

static void findings_both(FILE *out, int indent, int flags, int streamed, const char *file,
			  int no_offsets)
{
	struct vi_jw w;

	vi_jw_init(&w, out, indent, flags);
	vi_jw_arr(&w);
	for (size_t i = 0; i < sizeof(findings) / sizeof(findings[0]); i++) {
		json_t *o;
		if (streamed) {
			vi_finding_write(&w, &findings[i], file, no_offsets);
			continue;
		}
		o = vi_finding_json(&findings[i], file, no_offsets);
		vi_jw_json(&w, o);
		json_decref(o);
	}
	vi_jw_end(&w);
	ck_assert_int_eq(vi_jw_done(&w), 0);
}

START_TEST(test_finding_written_as_json_object)
{
	for (int indent = 0; indent < 3; indent++)
		for (int k = 0; k < 4; k++) {
			int flags = k & 1 ? VI_JW_ASCII : 0, no_offsets = k >> 1;
			const char *file = k == 3 ? "in\xff.qevm" : NULL;
			char *a = NULL, *b = NULL;
			size_t na = 0, nb = 0;
			FILE *fa = open_memstream(&a, &na), *fb = open_memstream(&b, &nb);
			ck_assert_ptr_nonnull(fa);
			ck_assert_ptr_nonnull(fb);
			findings_both(fa, indent, flags, 0, file, no_offsets);
			findings_both(fb, indent, flags, 1, file, no_offsets);
			fclose(fa);
			fclose(fb);
			ck_assert_str_eq(a, b);
			free(a);
			free(b);
		}
}
END_TEST

static Suite *jw_suite(void)
{
	Suite *s = suite_create("jw");
	TCase *tc = tcase_create("writer");

	tcase_add_test(tc, test_same_bytes_as_jansson);
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_events_as_document);
	tcase_add_test(tc, test_attr_table);
	tcase_add_test(tc, test_finding_written_as_json_object);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(jw_suite)
