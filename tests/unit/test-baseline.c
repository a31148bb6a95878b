/* test-baseline.c - baselines (src/check-baseline.c): an entry written for a
 * finding matches that finding and no other, whatever bytes its path holds;
 * the reader's comments, quoting and errors.  The CLI side, on real
 * streams, is tests/baseline.py. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check-baseline.h"
#include "unit-main.h"

static char *tmpfile_with(const char *text, size_t len)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/vi-baseline-unit.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Paths a hostile stream can make: pattern characters, blanks, a comment
 * sign, a backslash, control and non-ASCII bytes, "-" and the empty path. */
static const char *const paths[] = {
	"cpu[0]/cpu/wfxt-timer", "a b\tc", "*", "?x", "[abc]", "#hash", "back\\slash",
	"ctl\x01\x1b[31m", "caf\xc3\xa9", "-", "", "x/y/z", "0000:00:02.0/virtio-net",
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

START_TEST(test_round_trip_exact)
{
	struct vi_findings f = { 0 }, other = { 0 };
	struct vi_baseline_writer w = { 0 };
	struct vi_baseline b;
	char *buf = NULL, *path;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	for (size_t i = 0; i < NPATHS; i++) {
		vi_finding_add(&f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, i, 1, paths[i], "m%zu", i);
		vi_baseline_collect(&w, &f.v[i], "qemu-7.2/x86_64");
	}
	vi_baseline_collect(&w, &f.v[0], "qemu-7.2/x86_64");	/* a duplicate */
	ck_assert_int_eq(vi_baseline_write(&w, out), 0);
	fclose(out);
	ck_assert_ptr_null(memchr(buf, '\0', len));
	path = tmpfile_with(buf, len);
	ck_assert_int_eq(vi_baseline_load(&b, path), 0);
	ck_assert_uint_eq(b.n, NPATHS);			/* the duplicate written once */
	ck_assert_uint_eq(vi_baseline_apply(&b, &f, "qemu-7.2/x86_64"), NPATHS);
	for (size_t i = 0; i < NPATHS; i++)
		ck_assert_msg(f.v[i].suppressed != NULL, "path %zu not matched", i);
	for (size_t k = 0; k < b.n; k++)	/* each entry matched its own finding only */
		ck_assert_uint_eq(b.v[k].used, 1);
	/* the same paths with one more character, another class or target: none */
	for (size_t i = 0; i < NPATHS; i++) {
		char p[64];
		snprintf(p, sizeof(p), "%sQ", paths[i]);
		vi_finding_add(&other, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, 0, 0, p, "x");
		vi_finding_add(&other, VI_C_VERSION_TOO_NEW, VI_SEV_ERROR, 0, 0, paths[i], "x");
	}
	ck_assert_uint_eq(vi_baseline_apply(&b, &other, "qemu-7.2/x86_64"), 0);
	vi_findings_free(&other);
	vi_finding_add(&other, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, 0, 0, paths[0], "x");
	ck_assert_uint_eq(vi_baseline_apply(&b, &other, "qemu-10.0/x86_64"), 0);
	ck_assert_ptr_null(vi_findings_first_error(&f));	/* all suppressed */
	ck_assert_ptr_nonnull(vi_findings_first_error(&other));
	vi_baseline_free(&b);
	vi_baseline_writer_free(&w);
	vi_findings_free(&f);
	vi_findings_free(&other);
	free(buf);
	unlink(path);
}
END_TEST

START_TEST(test_reader)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"   \t\n"
		"field-mismatch cpu\\[*\\]/x\tqemu-7.2/*   # both vCPUs, 7.2 only\r\n"
		"unknown-section - *\n"
		"truncated a\\ b *";		/* no newline at the end */
	struct vi_findings f = { 0 }, notes = { 0 };
	struct vi_baseline b;
	char *path = tmpfile_with(text, sizeof(text) - 1);

	ck_assert_int_eq(vi_baseline_load(&b, path), 0);
	ck_assert_uint_eq(b.n, 3);
	ck_assert_uint_eq(b.v[0].line, 4);
	ck_assert_str_eq(b.v[0].target, "qemu-7.2/*");
	ck_assert_str_eq(b.v[1].pattern, "");
	vi_finding_add(&f, VI_C_FIELD_MISMATCH, VI_SEV_ERROR, 0, 0, "cpu[1]/x", "m");
	vi_finding_add(&f, VI_C_FIELD_MISMATCH, VI_SEV_WARNING, 0, 0, "cpu1/x", "m");
	vi_finding_add(&f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, 0, 0, "", "m");
	vi_finding_add(&f, VI_C_UNKNOWN_SECTION, VI_SEV_ERROR, 0, 0, "-", "m");
	ck_assert_uint_eq(vi_baseline_apply(&b, &f, "qemu-7.2/aarch64"), 2);
	ck_assert_ptr_nonnull(f.v[0].suppressed);
	ck_assert_ptr_null(f.v[1].suppressed);
	ck_assert_ptr_nonnull(f.v[2].suppressed);
	ck_assert_ptr_null(f.v[3].suppressed);
	ck_assert_ptr_nonnull(strstr(f.v[0].suppressed, ":4"));
	vi_baseline_notes(&b, &notes);
	ck_assert_uint_eq(notes.n, 2);		/* the count, and line 6 unused */
	ck_assert_ptr_nonnull(strstr(notes.v[1].message, ":6 is unused"));
	vi_baseline_free(&b);
	vi_findings_free(&f);
	vi_findings_free(&notes);
	unlink(path);
}
END_TEST

START_TEST(test_bad_lines)
{
	static const char *const bad[] = {
		"field-mismatch\n", "field-mismatch a\n", "field-mismatch a b c\n",
		"nope a *\n", "field-mismatch a\\", "# ok\nfield-mismatch a *\n\nx\n",
	};
	struct vi_baseline b;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = tmpfile_with(bad[i], strlen(bad[i]));
		ck_assert_msg(vi_baseline_load(&b, path) < 0, "accepted: %s", bad[i]);
		ck_assert_ptr_null(b.v);
		unlink(path);
	}
	{
		char nul[] = "field-mismatch a *\0\n";
		char *path = tmpfile_with(nul, sizeof(nul) - 1);
		ck_assert_int_lt(vi_baseline_load(&b, path), 0);
		unlink(path);
	}
	{
		size_t n = VI_MAX_BASELINE_LINE + 10;
		char *longl = malloc(n + 1), *path;
		memset(longl, 'x', n);
		longl[n] = '\n';
		path = tmpfile_with(longl, n + 1);
		ck_assert_int_lt(vi_baseline_load(&b, path), 0);
		unlink(path);
		free(longl);
	}
	ck_assert_int_lt(vi_baseline_load(&b, "/nonexistent/baseline"), 0);
}
END_TEST

static Suite *baseline_suite(void)
{
	Suite *s = suite_create("baseline");
	TCase *tc = tcase_create("baseline");

	tcase_add_test(tc, test_round_trip_exact);
	tcase_add_test(tc, test_reader);
	tcase_add_test(tc, test_bad_lines);
	suite_add_tcase(s, tc);
	return s;
}

VI_UNIT_MAIN(baseline_suite)
