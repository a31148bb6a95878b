/* test-schema-lazy.c - installed schema and machine files that `make`
 * validated are parsed one vmsd / machine type at a time (src/schema-lazy.c,
 * src/schema-index.c): what a run asks for is what loading the file whole
 * gives, in the same order once completed; a file validated.idx does not
 * describe is loaded whole and validated as before; an entry changed since
 * the index was written ends the run with exit 2, never parsed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vi-budget.h"
#include "schema-machines.h"
#include "schema-index.h"
#include "schema.h"
#include "schema-lazy.h"

static char dir[64] = "/tmp/vi-lazy-unit.XXXXXX";
static char schema_path[256], machines_path[256];
static struct vi_idx_writer *idx;

/* Setting up runs before Check's tests: no ck_assert there. */
#define REQUIRE(x) do { if (!(x)) { fprintf(stderr, "setup failed: %s\n", #x); exit(99); } } while (0)

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	REQUIRE(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	REQUIRE(buf && fread(buf, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

static const struct vi_idx_spec vmsds_only[] = { { "vmsds", NULL, NULL }, { NULL, NULL, NULL } };
#define schema_objs schema_index_objects	/* as src/schema-stamp indexes them */
#define machine_objs machines_index_objects

/* Copy src to dir/rel and, if listed, index it (key: its big object). */
static void install(const char *src, const char *rel, char *out, const char *key)
{
	size_t n;
	char *buf = slurp(src, &n), sub[300];
	FILE *f;

	snprintf(out, 256, "%s/%s", dir, rel);
	snprintf(sub, sizeof(sub), "%s", out);
	for (char *p = sub + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(sub, 0755);
		*p = '/';
	}
	REQUIRE(f = fopen(out, "wb"));
	REQUIRE(fwrite(buf, 1, n, f) == n);
	fclose(f);
	if (key)
		REQUIRE(vi_idx_add(idx, out, strcmp(key, "machines") ? schema_objs : machine_objs) == 0);
	free(buf);
}

/* dir/qemu-REL/x86_64.json: a schema with a vmsd no validation passes
 * (version_id "one"), into path. */
static void write_bad_schema(const char *rel, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/qemu-%s", dir, rel);
	mkdir(path, 0755);
	snprintf(path, n, "%s/qemu-%s/x86_64.json", dir, rel);
	REQUIRE(f = fopen(path, "w"));
	fprintf(f, "{\"target\": \"qemu-%s/x86_64\", \"qemu_version\": \"x\", \"vmsds\": {"
		"\"a\": {\"name\": \"a\", \"version_id\": 1},"
		"\"b\": {\"name\": \"b\", \"version_id\": \"one\"}}}", rel);
	fclose(f);
}

/* qemu-9.7: the bad schema, yet described by the index in dir, a directory
 * a user names: that index vouches for nothing. */
static void install_bad_indexed(void)
{
	char path[300];

	write_bad_schema("9.7", path, sizeof(path));
	REQUIRE(vi_idx_add(idx, path, vmsds_only) == 0);
}

/* A copy of the indexed schema as qemu-9.8/x86_64.json, one byte of the
 * "cpu" vmsd changed (same size, rest unchanged): what a file edited after
 * `make` looks like to a run. */
static void install_edited(void)
{
	size_t n;
	char *buf = slurp(schema_path, &n), path[300], *cpu, *digit;
	FILE *f;

	REQUIRE(cpu = strstr(buf, "\"cpu\": {"));
	REQUIRE(digit = strpbrk(cpu, "0123456789"));
	*digit = *digit == '9' ? '8' : (char)(*digit + 1);
	snprintf(path, sizeof(path), "%s/qemu-9.8", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/qemu-9.8/x86_64.json", dir);
	REQUIRE(f = fopen(path, "wb"));
	REQUIRE(fwrite(buf, 1, n, f) == n);
	fclose(f);
	free(buf);
}

START_TEST(test_vmsds_on_demand)
{
	struct vi_schema lazy, whole;
	struct vi_error err = { 0 };
	const char *k;
	json_t *v;
	char *a, *b;

	ck_assert_int_eq(schema_load_target(&lazy, "qemu-10.0/x86_64", dir, &err), 0);
	ck_assert_int_eq(schema_load_file(&whole, schema_path, &err), 0);
	ck_assert_uint_eq(json_object_size(lazy.vmsds), 0);	/* nothing parsed yet */
	ck_assert_uint_gt(json_object_size(whole.vmsds), 100);
	ck_assert_str_eq(lazy.target, whole.target);
	ck_assert_str_eq(lazy.qemu_version, whole.qemu_version);
	ck_assert_ptr_nonnull(schema_vmsd(&lazy, "cpu"));
	ck_assert_uint_eq(json_object_size(lazy.vmsds), 1);
	ck_assert_ptr_null(schema_vmsd(&lazy, "no-such-vmsd"));
	ck_assert_ptr_null(schema_vmsd(&lazy, ""));
	ck_assert_uint_eq(json_object_size(lazy.vmsds), 1);
	/* qom is lazy too: only the entries that name a parsed vmsd */
	ck_assert_uint_eq(json_object_size(json_object_get(lazy.doc, "qom")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(schema_vmsd(&lazy, "vga"), "variants")), 1);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(lazy.doc, "qom"), "isa-vga"));
	ck_assert_uint_lt(json_object_size(json_object_get(lazy.doc, "qom")),
			  json_object_size(json_object_get(whole.doc, "qom")));
	/* each vmsd (with the variants its qom entries add) as loaded whole */
	json_object_foreach(whole.vmsds, k, v)
		ck_assert_msg(json_equal(schema_vmsd(&lazy, k), v), "vmsd %s differs", k);
	/* completed: the same document, in the file's order */
	schema_complete(&lazy);
	a = json_dumps(lazy.doc, JSON_COMPACT);
	b = json_dumps(whole.doc, JSON_COMPACT);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	schema_free(&lazy);
	schema_free(&whole);
}
END_TEST

START_TEST(test_complete_after_some)
{
	struct vi_schema lazy, whole;
	struct vi_error err = { 0 };
	char *a, *b;

	ck_assert_int_eq(schema_load_target(&lazy, "qemu-10.0/x86_64", dir, &err), 0);
	ck_assert_int_eq(schema_load_file(&whole, schema_path, &err), 0);
	ck_assert_ptr_nonnull(schema_vmsd(&lazy, "timer"));
	ck_assert_ptr_nonnull(schema_vmsd(&lazy, "cpu"));
	schema_complete(&lazy);
	a = json_dumps(lazy.vmsds, JSON_COMPACT);
	b = json_dumps(whole.vmsds, JSON_COMPACT);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	schema_free(&lazy);
	schema_free(&whole);
}
END_TEST

/* Not listed (its bytes differ from every validated file): loaded whole,
 * so a bad vmsd nobody asks for is still refused. */
START_TEST(test_unlisted_validated_whole)
{
	struct vi_schema s;
	struct vi_error err = { 0 };
	char path[300];

	write_bad_schema("9.9", path, sizeof(path));
	ck_assert_int_eq(schema_load_target(&s, "qemu-9.9/x86_64", dir, &err), -1);
	ck_assert_int_eq(err.exit_code, 2);
}
END_TEST

/* A listed file that is shorter than the run was told (cut while it is
 * read): no document, no SIGBUS (it used to be mapped and read in place). */
START_TEST(test_cut_short_is_no_crash)
{
	const char *dirs[] = { dir, NULL };
	struct stat st;

	ck_assert_int_eq(stat(schema_path, &st), 0);
	ck_assert_ptr_null(vi_lazy_load_file(schema_path, (size_t)st.st_size + 65536, "vmsds",
					     NULL, dirs));
	ck_assert_ptr_null(vi_lazy_load_file(schema_path, (size_t)st.st_size - 1, "vmsds",
					     NULL, dirs));
}
END_TEST

START_TEST(test_machines_on_demand)
{
	struct vi_machines lazy, whole;
	struct vi_error err = { 0 };
	const char *ra = NULL, *rb = NULL, *k;
	json_t *x, *all, *v;
	char *a, *b;

	ck_assert_int_eq(machines_load(&lazy, "qemu-10.0/x86_64", dir, &err), 0);
	ck_assert_ptr_nonnull(whole.doc = json_load_file(machines_path, 0, NULL));
	all = json_object_get(whole.doc, "machines");
	ck_assert_uint_eq(json_object_size(json_object_get(lazy.doc, "machines")), 0);
	/* a name, an alias ("pc" is the newest pc-i440fx), and none */
	ck_assert_ptr_nonnull(x = machines_get(&lazy, "pc-q35-7.2", &ra));
	ck_assert(json_equal(x, json_object_get(all, "pc-q35-7.2")));
	ck_assert_ptr_null(machines_get(&lazy, "no-such-machine", NULL));
	ck_assert_uint_eq(json_object_size(json_object_get(lazy.doc, "machines")), 1);
	ck_assert_ptr_nonnull(x = machines_get(&lazy, "pc", &ra));
	json_object_foreach(all, k, v)
		if (v == json_object_get(all, k) && json_equal(v, x))
			rb = k;
	ck_assert_ptr_nonnull(rb);
	ck_assert_str_eq(ra, rb);
	/* a second alias: the name the first resolved to stays valid (the
	 * machine types are completed once, never moved again) */
	ck_assert_ptr_nonnull(machines_get(&lazy, "q35", &k));
	ck_assert_str_eq(ra, rb);
	ck_assert_str_ne(k, ra);
	a = json_dumps(machines_all(&lazy), JSON_COMPACT);
	b = json_dumps(all, JSON_COMPACT);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	machines_free(&lazy);
	json_decref(whole.doc);
}
END_TEST

/* An alias is found from the index: only its machine type is parsed, and
 * an alias nobody defined parses none. */
START_TEST(test_alias_from_index)
{
	struct vi_machines m;
	struct vi_error err = { 0 };
	const char *k = NULL;
	json_t *ms, *v;

	ck_assert_int_eq(machines_load(&m, "qemu-10.0/x86_64", dir, &err), 0);
	ms = json_object_get(m.doc, "machines");
	ck_assert_ptr_null(machines_get(&m, "no-such-machine", NULL));
	ck_assert_int_eq(vi_lazy_alias(ms, "no-such-machine", "aliases", &v, &k), 0);
	/* a string the file holds, as a compat property's driver, but no alias */
	ck_assert_int_eq(vi_lazy_alias(ms, "virtio-blk-device", "aliases", &v, &k), 0);
	ck_assert_uint_eq(json_object_size(ms), 0);	/* nothing parsed */
	ck_assert_ptr_nonnull(v = machines_get(&m, "q35", &k));
	ck_assert_uint_eq(json_object_size(ms), 1);	/* that machine type only */
	ck_assert_str_eq(k, "pc-q35-10.0");
	machines_all(&m);	/* completing moves keys; k is the index's own */
	ck_assert_str_eq(k, "pc-q35-10.0");
	machines_free(&m);
}
END_TEST

/* The edited entry is checked against the index before it is parsed: the
 * run ends with exit 2 (the file and byte on stderr), nothing parsed. */
START_TEST(test_edited_entry_ends_run)
{
	struct vi_schema s;
	struct vi_error err = { 0 };

	ck_assert_int_eq(schema_load_target(&s, "qemu-9.8/x86_64", dir, &err), 0);
	ck_assert_uint_eq(json_object_size(s.vmsds), 0);	/* lazy: rest unchanged */
	schema_vmsd(&s, "cpu");
	ck_abort_msg("an edited entry was parsed");
}
END_TEST

/* Entries the edit did not touch parse as in the validated file. */
START_TEST(test_edited_other_entry_parses)
{
	struct vi_schema s, whole;
	struct vi_error err = { 0 };

	ck_assert_int_eq(schema_load_target(&s, "qemu-9.8/x86_64", dir, &err), 0);
	ck_assert_int_eq(schema_load_file(&whole, schema_path, &err), 0);
	ck_assert(json_equal(schema_vmsd(&s, "timer"), schema_vmsd(&whole, "timer")));
	schema_free(&s);
	schema_free(&whole);
}
END_TEST

/* The index in a directory the user names is not trusted: the file it
 * describes is validated whole, and refused. */
/* qemu-9.8 is 10.0 with one byte of "cpu" changed: its other entries have
 * the same bytes, parsed once and shared; a vmsd that gets variants gets
 * them on a copy of its own, and either schema outlives the other. */
START_TEST(test_same_bytes_shared)
{
	struct vi_schema a, b, whole;
	struct vi_error err = { 0 };
	json_t *va, *vb;

	ck_assert_int_eq(schema_load_target(&a, "qemu-10.0/x86_64", dir, &err), 0);
	ck_assert_int_eq(schema_load_target(&b, "qemu-9.8/x86_64", dir, &err), 0);
	ck_assert_int_eq(schema_load_file(&whole, schema_path, &err), 0);
	ck_assert_ptr_eq(schema_vmsd(&a, "timer"), schema_vmsd(&b, "timer"));
	va = schema_vmsd(&a, "vga");
	vb = schema_vmsd(&b, "vga");
	ck_assert_ptr_ne(va, vb);
	ck_assert_uint_eq(json_array_size(json_object_get(va, "variants")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(vb, "variants")), 1);
	schema_free(&a);
	ck_assert(json_equal(vb, schema_vmsd(&whole, "vga")));
	ck_assert(json_equal(schema_vmsd(&b, "timer"), schema_vmsd(&whole, "timer")));
	schema_free(&b);
	schema_free(&whole);
}
END_TEST

START_TEST(test_user_index_not_trusted)
{
	struct vi_schema s;
	struct vi_error err = { 0 };
	const char *dirs[] = { dir, NULL };
	char path[300];
	struct stat st;

	ck_assert_int_eq(schema_load_target(&s, "qemu-9.7/x86_64", dir, &err), -1);
	ck_assert_int_eq(err.exit_code, 2);
	/* the index itself is good: read as trusted, it would be lazy */
	snprintf(path, sizeof(path), "%s/qemu-9.7/x86_64.json", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_ptr_nonnull(vi_lazy_load_file(path, (size_t)st.st_size, "vmsds", NULL, dirs));
}
END_TEST

/* An index this reader did not write (cut short here) describes nothing:
 * the file is loaded whole (the index is read once per run: this test's
 * first look, in its own process). */
START_TEST(test_bad_index_loads_whole)
{
	char d2[300], path[400];
	const char *dirs[] = { d2, NULL };
	struct stat st;
	FILE *f;
	size_t n;
	char *buf;

	snprintf(d2, sizeof(d2), "%s/cut", dir);
	mkdir(d2, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, VI_IDX_NAME);
	buf = slurp(path, &n);
	snprintf(path, sizeof(path), "%s/%s", d2, VI_IDX_NAME);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, n - 9, f), n - 9);
	fclose(f);
	free(buf);
	ck_assert_int_eq(stat(schema_path, &st), 0);
	ck_assert_ptr_null(vi_lazy_load_file(schema_path, (size_t)st.st_size, "vmsds", NULL, dirs));
}
END_TEST

int main(void)
{
	const char *src = getenv("VI_SRCDIR") ? getenv("VI_SRCDIR") : ".";
	Suite *s = suite_create("schema-lazy");
	TCase *tc = tcase_create("schema-lazy");
	SRunner *sr;
	char path[300];
	int failed;

	vi_budget_reset();
	if (!mkdtemp(dir))
		return 99;
	snprintf(path, sizeof(path), "%s/schemas/qemu-10.0/x86_64.json", src);
	if (access(path, R_OK) != 0) {
		printf("test-schema-lazy: no %s (set VI_SRCDIR): skipped\n", path);
		return 77;
	}
	idx = vi_idx_writer_new();
	install(path, "qemu-10.0/x86_64.json", schema_path, "vmsds");
	snprintf(path, sizeof(path), "%s/schemas/machines/qemu-10.0/x86_64.json", src);
	install(path, "machines/qemu-10.0/x86_64.json", machines_path, "machines");
	install_bad_indexed();
	snprintf(path, sizeof(path), "%s/%s", dir, VI_IDX_NAME);
	REQUIRE(vi_idx_save(idx, path) == 0);
	install_edited();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vmsds_on_demand);
	tcase_add_test(tc, test_complete_after_some);
	tcase_add_test(tc, test_unlisted_validated_whole);
	tcase_add_test(tc, test_machines_on_demand);
	tcase_add_test(tc, test_cut_short_is_no_crash);
	tcase_add_test(tc, test_alias_from_index);
	tcase_add_exit_test(tc, test_edited_entry_ends_run, 2);
	tcase_add_test(tc, test_edited_other_entry_parses);
	tcase_add_test(tc, test_same_bytes_shared);
	tcase_add_test(tc, test_bad_index_loads_whole);
	tcase_add_test(tc, test_user_index_not_trusted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		failed++;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
