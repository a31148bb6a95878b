/* test-tree.c - the decoded tree's storage (src/vi-tree.c, src/vi-intern.c):
 * names are shared, counted and escaped once; attributes are found by id and
 * by name, replaced in place and grow without a limit of their own; and
 * freeing a tree gives back every byte it charged to the budget. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "unit-main.h"
#include "vi-budget.h"
#include "vi-intern.h"
#include "vi-tree.h"

START_TEST(test_names_shared_and_released)
{
	uint64_t base;
	struct vi_node *root, *a, *b;

	vi_budget_reset();
	base = vi_budget_used();
	ck_assert_uint_eq(vi_intern_count(), 0);
	root = vi_node_new(NULL, VI_N_ROOT, "", "", 0);
	a = vi_node_new(root, VI_N_SECTION, "ram", "part", 10);
	b = vi_node_new(root, VI_N_SECTION, "ram", "full", 20);
	ck_assert_ptr_eq(a->name, b->name);	/* one copy */
	ck_assert_ptr_ne(a->type, b->type);
	ck_assert_uint_eq(vi_intern_count(), 4);	/* "", ram, part, full */
	vi_node_set_type(a, "full");
	ck_assert_ptr_eq(a->type, b->type);
	ck_assert_uint_eq(vi_intern_count(), 3);	/* "part" went with its holder */
	vi_node_set_type(a, a->type);			/* its own value */
	ck_assert_str_eq(a->type, "full");
	vi_node_set_str(b, "x");
	vi_node_set_str(b, b->v.s);
	ck_assert_str_eq(b->v.s, "x");
	ck_assert_uint_gt(vi_budget_used(), base);
	vi_node_free(root);
	ck_assert_uint_eq(vi_intern_count(), 0);
	ck_assert_uint_eq(vi_budget_used(), base);
}
END_TEST

START_TEST(test_names_escaped)
{
	struct vi_node *n = vi_node_new(NULL, VI_N_FIELD, "a\x1b[31m\xff\\b\n", "t", 0);
	struct vi_node *m = vi_node_new(n, VI_N_FIELD, "a\\x1b[31m\\xff\\x5cb\\x0a", "t", 0);

	ck_assert_str_eq(n->name, "a\\x1b[31m\\xff\\x5cb\\x0a");
	/* a name spelled like another's escape stays apart: '\\' is escaped too */
	ck_assert_ptr_ne(n->name, m->name);
	ck_assert_str_eq(m->name, "a\\x5cx1b[31m\\x5cxff\\x5cx5cb\\x5cx0a");
	vi_node_attr_s(n, "note", "\r\x07ok");
	ck_assert_str_eq(vi_node_attr_by_key(n, "note")->s, "\\x0d\\x07ok");
	vi_node_free(n);
	ck_assert_uint_eq(vi_intern_count(), 0);
}
END_TEST

START_TEST(test_attributes)
{
	uint64_t base;
	struct vi_node *n;
	char key[40][16];

	vi_budget_reset();
	base = vi_budget_used();
	n = vi_node_new(NULL, VI_N_SECTION, "s", "full", 0);
	vi_node_put_u(n, VI_A_SECTION_ID, 7);
	ck_assert_uint_eq(vi_node_attr_by_key(n, "section_id")->u, 7);	/* by id, read by name */
	vi_node_attr_u(n, "version_id", 3);
	ck_assert_uint_eq(vi_node_u(n, VI_A_VERSION_ID, 0), 3);		/* by name, read by id */
	ck_assert_str_eq(vi_attr_name(vi_node_get(n, VI_A_VERSION_ID)), "version_id");
	vi_node_put_s(n, VI_A_SECTION_ID, "seven");			/* replaced in place */
	ck_assert_uint_eq(n->nattrs, 2);
	ck_assert_ptr_null(vi_node_s(n, VI_A_VERSION_ID));
	ck_assert_uint_eq(vi_node_u(n, VI_A_SECTION_ID, 99), 99);	/* a string now */
	ck_assert_str_eq(vi_node_s(n, VI_A_SECTION_ID), "seven");
	vi_node_put_u(n, VI_A_SECTION_ID, 8);
	ck_assert_uint_eq(vi_node_u(n, VI_A_SECTION_ID, 0), 8);
	ck_assert_ptr_null(vi_node_attr_by_key(n, "never_set_anywhere"));
	/* names given as strings from other buffers: the same key by content */
	for (int i = 0; i < 40; i++) {
		snprintf(key[i], sizeof(key[i]), "k%d", i);
		vi_node_attr_u(n, key[i], (uint64_t)i * 3);
	}
	ck_assert_uint_eq(n->nattrs, 42);
	for (int i = 0; i < 40; i++) {
		char again[16];
		snprintf(again, sizeof(again), "k%d", i);
		ck_assert_uint_eq(vi_node_attr_by_key(n, again)->u, (uint64_t)i * 3);
		ck_assert_str_eq(vi_attr_name(vi_node_attr_by_key(n, again)), again);
	}
	vi_node_free(n);
	ck_assert_uint_eq(vi_budget_used(), base);
}
END_TEST

START_TEST(test_many_names)
{
	uint64_t base;
	struct vi_node *root;
	char name[32];

	vi_budget_reset();
	base = vi_budget_used();
	root = vi_node_new(NULL, VI_N_ROOT, "", "", 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "dev%d", i % 5000);
		vi_node_new(root, VI_N_SECTION, name, "full", (uint64_t)i);
	}
	ck_assert_uint_eq(vi_intern_count(), 5002);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "dev%d", i % 5000);
		ck_assert_str_eq(root->kids[i]->name, name);
		ck_assert_ptr_eq(root->kids[i]->name, root->kids[i % 5000]->name);
	}
	vi_node_drop_kids_from(root, 5000);
	ck_assert_uint_eq(vi_intern_count(), 5002);
	vi_node_drop_kids_from(root, 10);
	ck_assert_uint_eq(vi_intern_count(), 12);
	vi_node_free(root);
	ck_assert_uint_eq(vi_intern_count(), 0);
	ck_assert_uint_eq(vi_budget_used(), base);
}
END_TEST

static Suite *tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("storage");

	tcase_add_test(tc, test_names_shared_and_released);
	tcase_add_test(tc, test_names_escaped);
	tcase_add_test(tc, test_attributes);
	tcase_add_test(tc, test_many_names);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(tree_suite)
