/* test-schema-shape.c - vmsd shapes (schema-shape.h): those `make` keeps in
 * validated.idx are the bytes a run would encode from each vmsd's JSON; the
 * reader reads them as written and never past their end; a shape table
 * that is not as written is not used. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vi-budget.h"
#include "schema-index.h"
#include "schema.h"
#include "schema-lazy.h"
#include "schema-shape.h"
#include "schema-index-format.h"	/* vi_idx_slurp */
#include "unit-main.h"

static char schemas[256], schema_path[300];

#define schema_objs schema_index_objects	/* as src/schema-stamp indexes them */

/* The shape (schema-shape.h) of each vmsd: from the index, the same bytes
 * as encoded from the vmsd loaded whole; and what the reader sees of it. */
START_TEST(test_shapes_from_index)
{
	struct vi_schema lazy, whole;
	struct vi_error err = { 0 };
	const char *k;
	json_t *v;
	size_t n = 0;

	ck_assert_int_eq(schema_load_target(&lazy, "qemu-10.0/x86_64", schemas, &err), 0);
	ck_assert_int_eq(schema_load_file(&whole, schema_path, &err), 0);
	json_object_foreach(whole.vmsds, k, v) {
		struct vi_shape_buf b = { NULL, 0, 0 };
		struct vi_shape a, w;
		const unsigned char *p;
		uint64_t h;
		size_t len;
		ck_assert_int_eq(vi_lazy_entry_hash(lazy.vmsds, k, &h), 1);
		ck_assert_msg(vi_idx_shape(h, &p, &len), "no shape of %s in the index", k);
		vi_shape_encode(v, &b);
		ck_assert_msg(len == b.len && !memcmp(p, b.p, len), "shape of %s differs", k);
		ck_assert_int_eq(schema_shape(&lazy, k, &a), 1);
		ck_assert_ptr_eq(a.p, p);		/* not parsed: read from the index */
		ck_assert_int_eq(schema_shape(&whole, k, &w), 1);	/* encoded now */
		ck_assert(w.n == len && !memcmp(w.p, p, len));
		free(b.p);
		n++;
	}
	ck_assert_uint_gt(n, 100);
	ck_assert_uint_eq(json_object_size(lazy.vmsds), 0);	/* none parsed */
	ck_assert_int_eq(schema_shape(&lazy, "no-such-vmsd", &(struct vi_shape){ 0 }), 0);
	schema_free(&lazy);
	schema_free(&whole);
}
END_TEST

START_TEST(test_shape_read)
{
	struct vi_schema s;
	struct vi_error err = { 0 };
	struct vi_shape sh;
	struct vi_shape_list l, kids;
	struct vi_shape_field f;
	json_t *cpu, *fields, *x;
	int64_t ver;
	size_t i, nsub = 0;

	ck_assert_int_eq(schema_load_file(&s, schema_path, &err), 0);
	cpu = schema_vmsd(&s, "cpu");
	fields = json_object_get(cpu, "fields");
	ck_assert_int_eq(schema_shape(&s, "cpu", &sh), 1);
	ck_assert_int_eq(vi_shape_version(&sh, &ver), 1);
	ck_assert_int_eq(ver, json_integer_value(json_object_get(cpu, "version_id")));
	vi_shape_fields(&sh, &l);
	json_array_foreach(fields, i, x) {
		ck_assert_int_eq(vi_shape_next(&l, &f), 1);
		ck_assert_str_eq(f.name, json_string_value(json_object_get(x, "name")));
		if (json_is_string(json_object_get(x, "type")))
			ck_assert_str_eq(f.type, json_string_value(json_object_get(x, "type")));
		ck_assert_int_eq(f.has_struct, json_object_get(x, "struct") != NULL);
		if (f.has_struct) {	/* a struct's fields, one level down */
			kids = f.kids;
			ck_assert_int_eq(vi_shape_next(&kids, &f), json_array_size(json_object_get(
				json_object_get(x, "struct"), "fields")) > 0);
			nsub++;
		}
	}
	ck_assert_int_eq(vi_shape_next(&l, &f), 0);	/* every field, no more */
	ck_assert_uint_gt(nsub, 0);
	json_array_foreach(json_object_get(cpu, "subsections"), i, x)
		ck_assert(vi_shape_knows_subsection(&sh, json_string_value(json_object_get(x, "name"))));
	ck_assert(!vi_shape_knows_subsection(&sh, "cpu/no-such-subsection"));
	/* a cut shape reads as fewer fields, never past its end */
	for (size_t cut = 0; cut < sh.n; cut += 7) {
		struct vi_shape c = { sh.p, cut };
		size_t got = 0;
		vi_shape_fields(&c, &l);
		while (vi_shape_next(&l, &f))
			got++;
		ck_assert_uint_le(got, json_array_size(fields));
	}
	schema_free(&s);
}
END_TEST

/* Shapes the index holds are read only as written (their hash): a changed
 * byte, and the run encodes each vmsd it needs from its JSON instead.  (A
 * schema of its own: no other index read has shapes of its "cpu".) */
START_TEST(test_bad_shapes_encoded_again)
{
	char d3[300], path[400], *buf, *cpu;
	const char *dirs[] = { d3, NULL };
	struct stat st;
	struct vi_idx_writer *w = vi_idx_writer_new();
	struct vi_schema s, whole;
	struct vi_error err = { 0 };
	struct vi_shape a, e;
	const unsigned char *p;
	uint64_t h;
	size_t n, len;
	FILE *f;

	snprintf(d3, sizeof(d3), "/tmp/vi-shape-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d3));
	snprintf(path, sizeof(path), "%s/qemu-10.0", d3);
	mkdir(path, 0755);
	ck_assert_ptr_nonnull(buf = vi_idx_slurp(schema_path, &n));
	ck_assert_ptr_nonnull(cpu = strstr(buf, "\"cpu\": {"));
	snprintf(path, sizeof(path), "%s/qemu-10.0/x86_64.json", d3);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));	/* one more space: "cpu":  { */
	ck_assert_uint_eq(fwrite(buf, 1, (size_t)(cpu - buf) + 7, f), (size_t)(cpu - buf) + 7);
	ck_assert_uint_eq(fwrite(cpu + 6, 1, n - (size_t)(cpu - buf) - 6, f),
			  n - (size_t)(cpu - buf) - 6);
	fclose(f);
	free(buf);
	ck_assert_int_eq(vi_idx_add(w, path, schema_objs), 0);
	snprintf(path, sizeof(path), "%s/%s", d3, VI_IDX_NAME);
	ck_assert_int_eq(vi_idx_save(w, path), 0);
	ck_assert_ptr_nonnull(buf = vi_idx_slurp(path, &n));
	buf[n - 1] ^= 1;	/* the last shape's last byte */
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	fclose(f);
	free(buf);
	/* read as trusted (only the built-in directories are): as the run would */
	snprintf(path, sizeof(path), "%s/qemu-10.0/x86_64.json", d3);
	ck_assert_int_eq(stat(path, &st), 0);
	memset(&s, 0, sizeof(s));
	ck_assert_ptr_nonnull(s.doc = vi_lazy_load_file(path, (size_t)st.st_size, "vmsds", NULL,
							 dirs));
	s.vmsds = json_object_get(s.doc, "vmsds");
	ck_assert_int_eq(vi_lazy_entry_hash(s.vmsds, "cpu", &h), 1);	/* records: fine */
	ck_assert_int_eq(vi_idx_shape(h, &p, &len), 0);			/* shapes: none */
	ck_assert_int_eq(schema_shape(&s, "cpu", &a), 1);
	ck_assert_uint_eq(json_object_size(s.vmsds), 1);		/* "cpu" parsed */
	snprintf(path, sizeof(path), "%s/qemu-10.0/x86_64.json", d3);
	ck_assert_int_eq(schema_load_file(&whole, path, &err), 0);
	{
		struct vi_shape_buf b = { NULL, 0, 0 };
		vi_shape_encode(schema_vmsd(&whole, "cpu"), &b);
		e = (struct vi_shape){ b.p, b.len };
		ck_assert(a.n == e.n && !memcmp(a.p, e.p, a.n));
		free(b.p);
	}
	schema_free(&s);
	schema_free(&whole);
	snprintf(path, sizeof(path), "rm -rf '%s'", d3);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

int main(void)
{
	const char *src = getenv("VI_SRCDIR") ? getenv("VI_SRCDIR") : ".";
	Suite *s = suite_create("schema-shape");
	TCase *tc = tcase_create("schema-shape");

	vi_budget_reset();
	snprintf(schemas, sizeof(schemas), "%s/schemas", src);
	snprintf(schema_path, sizeof(schema_path), "%s/qemu-10.0/x86_64.json", schemas);
	if (access(schema_path, R_OK) != 0) {
		printf("test-schema-shape: no %s (set VI_SRCDIR): skipped\n", schema_path);
		return 77;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shapes_from_index);
	tcase_add_test(tc, test_shape_read);
	tcase_add_test(tc, test_bad_shapes_encoded_again);
	suite_add_tcase(s, tc);
	return vi_unit_run(s);
}
