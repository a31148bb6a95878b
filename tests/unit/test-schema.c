/* test-schema.c - schema loading (src/schema.c) and diff (src/diff*.c)
 * called directly, below the CLI, on documents built in memory: a valid
 * schema loads; each malformed one is refused with exit 2 and its reason;
 * the limits (nesting depth, integer ranges, file size) hold; two small
 * QEMU -dump-vmstate documents are compared as `diff` compares them.  The
 * CLI side: tests/check_cli.py (bad schemas), tests/anchors.py (diff
 * against QEMU's vmstate-static-checker). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diff.h"
#include "schema.h"
#include "vi-limits.h"
#include "unit-main.h"

#define HEAD "\"target\": \"t/x\", \"qemu_version\": \"q\""

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);

	ck_assert_msg(j != NULL, "test JSON: %s: %s", je.text, text);
	return j;
}

/* schema_validate's verdict on text: 0, or -1 with exit 2 and a message
 * holding want. */
static void validate(const char *text, const char *want)
{
	struct vi_error err = { 0 };
	json_t *doc = parse(text);
	int rc = schema_validate(doc, "mem.json", &err);

	if (!want) {
		ck_assert_msg(rc == 0, "refused: %s (%s)", err.msg, text);
	} else {
		ck_assert_msg(rc == -1, "accepted: %s", text);
		ck_assert_int_eq(err.exit_code, VI_EXIT_USAGE);
		ck_assert_msg(strstr(err.msg, want) && strstr(err.msg, "mem.json"),
			      "message \"%s\" lacks \"%s\" or the file name", err.msg, want);
	}
	json_decref(doc);
}

START_TEST(test_valid)
{
	validate("{" HEAD ", \"vmsds\": {}}", NULL);
	validate("{" HEAD ", \"vmsds\": {\"timer\": {\"name\": \"timer\", \"version_id\": 2, "
		 "\"minimum_version_id\": null, \"fields\": [{\"name\": \"a\", \"size\": 8, "
		 "\"type\": \"int64\", \"field_exists\": false}], \"subsections\": [{\"name\": "
		 "\"timer/b\", \"version_id\": 1}]}}, \"qom\": {\"t\": {\"vmsd\": \"timer\"}}}", NULL);
}
END_TEST

static const struct {
	const char *text, *why;
} malformed[] = {
	{ "[]", "no \"vmsds\" object" },
	{ "{" HEAD "}", "no \"vmsds\" object" },
	{ "{" HEAD ", \"vmsds\": []}", "no \"vmsds\" object" },
	{ "{\"target\": 1, \"qemu_version\": \"q\", \"vmsds\": {}}", "must be strings" },
	{ "{" HEAD ", \"vmsds\": {\"a\": 1}}", "not an object with a \"name\"" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\"}}}", "version_id is not an integer" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": -1}}}",
	  "version_id is not an integer" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 2147483648}}}",
	  "version_id is not an integer" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, "
	  "\"minimum_version_id\": \"1\"}}}", "minimum_version_id is not an integer" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, \"fields\": {}}}}",
	  "fields is not a list" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, \"fields\": [3]}}}",
	  "a field is not an object" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, \"fields\": "
	  "[{\"name\": \"f\", \"size\": \"8\"}]}}}", "a count or size" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, \"fields\": "
	  "[{\"name\": \"f\", \"size\": 4294967296}]}}}", "a count or size" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, \"fields\": "
	  "[{\"name\": \"f\", \"type\": 5}]}}}", "must be strings" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, \"fields\": "
	  "[{\"name\": \"f\", \"field_exists\": 1}]}}}", "must be booleans" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, "
	  "\"subsections\": {}}}}", "subsections is not a list" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, "
	  "\"registered_instance_id\": 4294967296}}}", "not an instance id" },
	{ "{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 1, "
	  "\"subsection_names\": [1]}}}", "non-string" },
	{ "{" HEAD ", \"vmsds\": {}, \"qom\": []}", "\"qom\" is not an object" },
	{ "{" HEAD ", \"vmsds\": {}, \"qom\": {\"t\": {\"vmsd\": 3}}}", "a qom entry" },
};

START_TEST(test_malformed)
{
	validate(malformed[_i].text, malformed[_i].why);
}
END_TEST

/* A vmsd whose subsections nest depth deep. */
static char *nested(int depth)
{
	size_t cap = (size_t)depth * 80 + 200, len = 0;
	char *s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	len += (size_t)snprintf(s + len, cap - len, "{" HEAD ", \"vmsds\": {\"a\": ");
	for (int i = 0; i < depth; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"{\"name\": \"a\", \"version_id\": 1, \"subsections\": [");
	len += (size_t)snprintf(s + len, cap - len, "{\"name\": \"a\", \"version_id\": 1}");
	for (int i = 0; i < depth; i++)
		len += (size_t)snprintf(s + len, cap - len, "]}");
	snprintf(s + len, cap - len, "}}");
	return s;
}

START_TEST(test_depth_limit)
{
	char *ok = nested(VI_MAX_DESC_DEPTH), *deep = nested(VI_MAX_DESC_DEPTH + 1);

	validate(ok, NULL);
	validate(deep, "nested too deep");
	free(ok);
	free(deep);
}
END_TEST

/* schema_load_file: what only a file has (bad JSON's byte, duplicate keys,
 * size, not a regular file) and raw -dump-vmstate detection. */
static char *temp_with(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/vi-unit-schema.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void load_refused(const char *path, const char *want)
{
	struct vi_schema s;
	struct vi_error err = { 0 };

	ck_assert_int_eq(schema_load_file(&s, path, &err), -1);
	ck_assert_int_eq(err.exit_code, VI_EXIT_USAGE);
	ck_assert_msg(strstr(err.msg, want) != NULL, "\"%s\" lacks \"%s\"", err.msg, want);
}

START_TEST(test_load_file)
{
	struct vi_schema s;
	struct vi_error err = { 0 };
	char *p;

	p = temp_with("{" HEAD ", \"vmsds\": {\"a\": {\"name\": \"a\", \"version_id\": 3}}}");
	ck_assert_msg(schema_load_file(&s, p, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.target, "t/x");
	ck_assert_ptr_nonnull(schema_vmsd(&s, "a"));
	ck_assert_ptr_null(schema_vmsd(&s, "b"));
	schema_free(&s);
	unlink(p);

	p = temp_with("{" HEAD ", \"vmsds\": {nope}}");
	load_refused(p, "byte 53: bad JSON");   /* after "nope", where jansson stopped */
	unlink(p);
	p = temp_with("{" HEAD ", \"vmsds\": {}, \"vmsds\": {}}");
	load_refused(p, "bad JSON");
	unlink(p);
	/* over the size limit (a sparse file: nothing is written) */
	p = temp_with("");
	ck_assert_int_eq(truncate(p, (off_t)(256u << 20) + 1), 0);
	load_refused(p, "not a regular file of at most");
	unlink(p);
	load_refused("/tmp", "not a regular file of at most");
	load_refused("/nonexistent/schema.json", "No such file");

	/* QEMU's -dump-vmstate output is recognised and converted */
	p = temp_with("{\"vmschkmachine\": {\"Name\": \"pc-q35-7.2\"}, \"isa-serial\": "
		      "{\"Name\": \"isa-serial\", \"version_id\": 3, \"minimum_version_id\": 2, "
		      "\"Description\": {\"name\": \"serial\", \"version_id\": 3, "
		      "\"minimum_version_id\": 2, \"Fields\": []}}}");
	ck_assert_msg(schema_load_file(&s, p, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.target, "dump-vmstate/pc-q35-7.2");
	ck_assert_ptr_nonnull(schema_vmsd(&s, "serial"));
	schema_free(&s);
	unlink(p);
}
END_TEST

/* ---- diff ---------------------------------------------------------------- */

/* A -dump-vmstate document with one device "dev" (vmsd "dev", versions
 * ver/min) whose fields and subsections are given as JSON text. */
static void dump_vmstate(struct vi_schema *s, int ver, int min, const char *fields,
			 const char *subs)
{
	char text[4096];
	struct vi_error err = { 0 };
	json_t *raw;

	snprintf(text, sizeof(text), "{\"vmschkmachine\": {\"Name\": \"pc-q35-7.2\"}, \"dev\": "
		 "{\"Name\": \"dev\", \"version_id\": %d, \"minimum_version_id\": %d, "
		 "\"Description\": {\"name\": \"dev\", \"version_id\": %d, "
		 "\"minimum_version_id\": %d, \"Fields\": [%s], \"Subsections\": [%s]}}}",
		 ver, min, ver, min, fields, subs);
	raw = parse(text);
	memset(s, 0, sizeof(*s));
	s->doc = schema_from_dump_vmstate(raw, &err);
	json_decref(raw);
	ck_assert_msg(s->doc != NULL, "%s", err.msg);
	ck_assert_msg(schema_validate(s->doc, "mem", &err) == 0, "%s", err.msg);
	s->vmsds = json_object_get(s->doc, "vmsds");
	s->target = json_string_value(json_object_get(s->doc, "target"));
	s->qemu_version = json_string_value(json_object_get(s->doc, "qemu_version"));
}

#define F(name, size) "{\"field\": \"" name "\", \"version_id\": 0, " \
	"\"field_exists\": false, \"size\": " #size "}"
#define SUB(name, ver) "{\"name\": \"" name "\", \"version_id\": " #ver ", " \
	"\"minimum_version_id\": " #ver ", \"Fields\": [" F("x", 4) "]}"

static size_t errors_of(enum vi_class cls, const struct vi_findings *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].cls == cls && f->v[i].severity == VI_SEV_ERROR;
	return n;
}

/* diff src -> dst: its error count and findings of cls. */
static size_t diff(const struct vi_schema *a, const struct vi_schema *b, enum vi_class cls,
		   size_t *of_cls)
{
	struct vi_findings f = { 0 };
	size_t errors = vi_diff_schemas(a, b, &f);

	*of_cls = errors_of(cls, &f);
	if (getenv("VI_UNIT_VERBOSE"))
		for (size_t i = 0; i < f.n; i++)
			fprintf(stderr, "  %s %s %s\n", vi_class_name(f.v[i].cls),
				vi_severity_name(f.v[i].severity), f.v[i].message);
	vi_findings_free(&f);
	return errors;
}

START_TEST(test_diff)
{
	struct vi_schema base, newer, bigger, less, nosub;
	size_t n;

	dump_vmstate(&base, 2, 1, F("a", 4) ", " F("b", 8), SUB("dev/s", 1));
	dump_vmstate(&newer, 3, 1, F("a", 4) ", " F("b", 8), SUB("dev/s", 1));
	dump_vmstate(&bigger, 2, 1, F("a", 4) ", " F("b", 4), SUB("dev/s", 1));
	dump_vmstate(&less, 4, 3, F("a", 4) ", " F("b", 8), SUB("dev/s", 1));
	dump_vmstate(&nosub, 2, 1, F("a", 4) ", " F("b", 8), "");

	ck_assert_uint_eq(diff(&base, &base, VI_C_FIELD_MISMATCH, &n), 0);
	/* to an older destination: the section's version is too new for it (the
	 * QOM type's and its Description's, as the static checker says) */
	ck_assert_uint_eq(diff(&newer, &base, VI_C_VERSION_TOO_NEW, &n), 2);
	ck_assert_uint_eq(n, 2);
	/* to a newer one: accepted */
	ck_assert_uint_eq(diff(&base, &newer, VI_C_VERSION_TOO_NEW, &n), 0);
	/* a field of another size */
	ck_assert_uint_ge(diff(&base, &bigger, VI_C_FIELD_MISMATCH, &n), 1);
	ck_assert_uint_ge(n, 1);
	/* the destination's minimum above the source's version */
	ck_assert_uint_ge(diff(&base, &less, VI_C_VERSION_TOO_OLD, &n), 1);
	ck_assert_uint_eq(n, 1);
	/* a subsection the destination lacks */
	ck_assert_uint_ge(diff(&base, &nosub, VI_C_UNKNOWN_SUBSECTION, &n), 1);
	ck_assert_uint_eq(n, 1);
	schema_free(&base);
	schema_free(&newer);
	schema_free(&bigger);
	schema_free(&less);
	schema_free(&nosub);
}
END_TEST

static Suite *schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *load = tcase_create("loading"), *d = tcase_create("diff");

	tcase_add_test(load, test_valid);
	tcase_add_loop_test(load, test_malformed, 0, sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(load, test_depth_limit);
	tcase_add_test(load, test_load_file);
	tcase_add_test(d, test_diff);
	suite_add_tcase(s, load);
	suite_add_tcase(s, d);
	return s;
}

VI_UNIT_MAIN(schema_suite)
