/* test-check.c - the check engine (src/check-engine.c) and the compat rules
 * (src/check-compat*.c) called directly, below the CLI: a small stream built
 * in memory (streambuf.h's sample: configuration pc-q35-10.0, RAM, command
 * 11, a FULL "timer" section of version 2 described by its trailer) is
 * walked, then judged against a schema and machine types built in memory
 * from JSON text.  Every assertion names the class and the byte offset the
 * finding must have.  The CLI side, on real streams: tests/check_cli.py. */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check-engine.h"
#include "schema-machines.h"
#include "schema.h"
#include "session.h"
#include "streambuf.h"
#include "unit-main.h"

/* ---- building blocks ---------------------------------------------------- */

/* The sample stream, walked as check walks it (from a temporary file: the
 * input layer reads paths; it is unlinked at once). */
static int walk_sample_prefix(struct vi_session *s, struct sample_offs *o, size_t cut)
{
	struct sbuf b;
	struct vi_walk_opts opts = { 0 };
	char path[] = "/tmp/vi-unit-check.XXXXXX";
	size_t n;
	int fd, rc;

	sb_init(&b);
	sb_sample_stream(&b, o);
	n = cut && cut < b.len ? cut : b.len;
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b.data, n), (ssize_t)n);
	close(fd);
	rc = vi_session_walk(s, path, &opts);
	unlink(path);
	sb_free(&b);
	return rc;
}

static void walk_sample(struct vi_session *s, struct sample_offs *o)
{
	ck_assert_int_eq(walk_sample_prefix(s, o, 0), 0);
}

/* A schema from JSON text: validated as schema_load_file validates a file. */
static void mem_schema(struct vi_schema *s, const char *text)
{
	struct vi_error err = { 0 };
	json_error_t je;

	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "(memory)");
	s->doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(s->doc != NULL, "schema text: %s", je.text);
	ck_assert_msg(schema_validate(s->doc, s->path, &err) == 0, "schema: %s", err.msg);
	s->vmsds = json_object_get(s->doc, "vmsds");
	s->target = json_string_value(json_object_get(s->doc, "target"));
	s->qemu_version = json_string_value(json_object_get(s->doc, "qemu_version"));
}

/* The destination's vmstates: "ram" and "timer" (version and minimum given). */
static void timer_schema(struct vi_schema *s, const char *timer_vmsd)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"target\": \"qemu-10.0/x86_64\", \"qemu_version\": "
		 "\"QEMU emulator version 10.0.0\", \"vmsds\": {"
		 "\"ram\": {\"name\": \"ram\", \"version_id\": 4, \"minimum_version_id\": 4},"
		 "%s}}", timer_vmsd);
	mem_schema(s, text);
}

#define TIMER_V(ver, min) \
	"\"timer\": {\"name\": \"timer\", \"version_id\": " #ver ", \"minimum_version_id\": " \
	#min ", \"fields\": [{\"name\": \"cpu_ticks_offset\", \"type\": \"int64\", \"size\": 8}," \
	"{\"name\": \"enabled\", \"type\": \"bool\", \"size\": 1}]}"

/* The finding of class cls at offset off, or NULL. */
static const struct vi_finding *finding(const struct vi_findings *f, enum vi_class cls,
					uint64_t off)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].cls == cls && f->v[i].offset == off)
			return &f->v[i];
	return NULL;
}

static size_t count(const struct vi_findings *f, enum vi_class cls)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].cls == cls;
	return n;
}

static void dump_findings(const struct vi_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		fprintf(stderr, "  %s %s @%llu+%llu %s: %s\n", vi_class_name(f->v[i].cls),
			vi_severity_name(f->v[i].severity), (unsigned long long)f->v[i].offset,
			(unsigned long long)f->v[i].length, f->v[i].path, f->v[i].message);
}

static size_t judge(struct vi_session *src, const struct vi_schema *sch,
		    const struct vi_machines *m, struct vi_findings *out)
{
	struct vi_dest d = { sch, NULL, NULL, m, NULL, 0 };
	size_t errors = vi_check_stream(src, "(memory)", &d, out);

	if (getenv("VI_UNIT_VERBOSE"))
		dump_findings(out);
	return errors;
}

/* ---- the check engine --------------------------------------------------- */

/* The sample judged against a schema whose timer vmsd is timer_vmsd. */
struct judged {
	struct vi_session s;
	struct sample_offs o;
	struct vi_schema sch;
	struct vi_findings f;
	size_t errors;
};

static struct judged *judge_sample(const char *timer_vmsd)
{
	struct judged *j = calloc(1, sizeof(*j));

	ck_assert_ptr_nonnull(j);
	walk_sample(&j->s, &j->o);
	timer_schema(&j->sch, timer_vmsd);
	j->errors = judge(&j->s, &j->sch, NULL, &j->f);
	return j;
}

static void judged_free(struct judged *j)
{
	vi_findings_free(&j->f);
	schema_free(&j->sch);
	vi_session_close(&j->s);
	free(j);
}

START_TEST(test_engine_accept)
{
	struct judged *j = judge_sample(TIMER_V(2, 1));

	ck_assert_uint_eq(j->errors, 0);
	ck_assert_ptr_null(vi_findings_first_error(&j->f));
	/* the notes: no --machine and no --dest-stream, so the destination is
	 * assumed to have the stream's machine type and devices */
	ck_assert_uint_eq(count(&j->f, VI_C_ASSUMPTION), 2);
	ck_assert_uint_eq(j->f.n, 2);
	judged_free(j);
}
END_TEST

START_TEST(test_engine_version_too_new)
{
	struct judged *j = judge_sample(TIMER_V(1, 1));
	const struct vi_finding *x = finding(&j->f, VI_C_VERSION_TOO_NEW, j->o.timer);

	ck_assert_uint_eq(j->errors, 1);
	ck_assert_msg(x != NULL, "no version-too-new at the timer section (byte %zu)", j->o.timer);
	ck_assert_int_eq(x->severity, VI_SEV_ERROR);
	ck_assert_ptr_eq(vi_findings_first_error(&j->f), x);
	judged_free(j);
}
END_TEST

START_TEST(test_engine_version_too_old)
{
	struct judged *j = judge_sample(TIMER_V(5, 3));

	ck_assert_uint_eq(j->errors, 1);
	ck_assert_ptr_nonnull(finding(&j->f, VI_C_VERSION_TOO_OLD, j->o.timer));
	ck_assert_uint_eq(count(&j->f, VI_C_VERSION_TOO_NEW), 0);
	judged_free(j);
}
END_TEST

START_TEST(test_engine_unknown_section)
{
	struct judged *j = judge_sample("\"rtc\": {\"name\": \"rtc\", \"version_id\": 3}");

	ck_assert_uint_eq(j->errors, 1);
	ck_assert_ptr_nonnull(finding(&j->f, VI_C_UNKNOWN_SECTION, j->o.timer));
	judged_free(j);
}
END_TEST

/* A stream that ends early is a verdict: the walk's error is the first
 * error, at the byte where the bytes ran out. */
START_TEST(test_engine_truncated)
{
	struct vi_session s;
	struct sample_offs o;
	struct vi_schema sch;
	struct vi_findings f = { 0 };
	const struct vi_finding *x;

	walk_sample(&s, &o);            /* the offsets */
	vi_session_close(&s);
	ck_assert_int_lt(walk_sample_prefix(&s, &o, o.timer_payload + 4), 0);
	timer_schema(&sch, TIMER_V(2, 1));
	ck_assert_uint_ge(judge(&s, &sch, NULL, &f), 1);
	x = vi_findings_first_error(&f);
	ck_assert_ptr_nonnull(x);
	ck_assert_msg(x->cls == VI_C_TRUNCATED, "first error %s", vi_class_name(x->cls));
	ck_assert_uint_eq(x->offset, o.timer_payload + 4);
	vi_findings_free(&f);
	schema_free(&sch);
	vi_session_close(&s);
}
END_TEST

/* ---- compat rules: one rule row of each kind the sample can carry ------- */

/* Machine types with one compat property (driver "d", property "p",
 * value "off") and one rule about it whose effect is eff (JSON text). */
static void mem_machines(struct vi_machines *m, const char *eff, const char *when)
{
	char text[2048];
	json_error_t je;

	memset(m, 0, sizeof(*m));
	m->doc = json_loads("{\"target\": \"qemu-10.0/x86_64\", \"machines\": {\"" SAMPLE_MACHINE
			    "\": {\"aliases\": [], \"compat_props\": [{\"driver\": \"d\", "
			    "\"property\": \"p\", \"value\": \"off\", \"array\": \"hw_compat_9_2\"}]}}}",
			    0, &je);
	ck_assert_msg(m->doc != NULL, "machines: %s", je.text);
	snprintf(text, sizeof(text), "[{\"id\": \"r\", \"driver\": \"d\", \"property\": \"p\", "
		 "\"when\": \"%s\", \"effect\": %s}]", when, eff);
	m->rules = json_loads(text, 0, &je);
	ck_assert_msg(m->rules != NULL, "rules: %s", je.text);
}

/* The machine-property findings of one rule on the sample stream. */
static size_t rule_hits(const char *eff, const char *when, uint64_t *offset, uint64_t *length)
{
	struct vi_session s;
	struct sample_offs o;
	struct vi_machines m;
	struct vi_findings f = { 0 };
	size_t n = 0;

	walk_sample(&s, &o);
	mem_machines(&m, eff, when);
	machines_check(&m, SAMPLE_MACHINE, &s, NULL, &f);
	if (getenv("VI_UNIT_VERBOSE"))
		dump_findings(&f);
	for (size_t i = 0; i < f.n; i++) {
		ck_assert_int_eq(f.v[i].cls, VI_C_MACHINE_PROPERTY);
		ck_assert_msg(strstr(f.v[i].message, "hw_compat_9_2") != NULL,
			      "the finding names the compat array: %s", f.v[i].message);
		if (!n++) {
			*offset = f.v[i].offset;
			*length = f.v[i].length;
		}
	}
	vi_findings_free(&f);
	json_decref(m.doc);
	json_decref(m.rules);
	vi_session_close(&s);
	return n;
}

/* One rule row and what it must find in the sample: no finding, or one
 * at the offset of the sample_offs member at (plus delta), len bytes long
 * (TO_EOF: up to the EOF record). */
#define TO_EOF UINT64_MAX
static const struct {
	const char *effect, *when;
	size_t hits, at;
	uint64_t delta, len;
} rows[] = {
	{ "{\"kind\": \"section-absent\", \"vmsd\": \"timer\"}", "off",
	  1, offsetof(struct sample_offs, timer), 0, TO_EOF },      /* header, payload, footer */
	{ "{\"kind\": \"section-absent\", \"vmsd\": \"rtc\"}", "off", 0, 0, 0, 0 },
	/* "when" another value: the rule is not about this machine type's value */
	{ "{\"kind\": \"section-absent\", \"vmsd\": \"timer\"}", "on", 0, 0, 0, 0 },
	{ "{\"kind\": \"command-absent\", \"command\": 11}", "off",
	  1, offsetof(struct sample_offs, switchover), 0, 5 },      /* 0x08, be16 cmd, be16 len */
	{ "{\"kind\": \"command-absent\", \"command\": 12}", "off", 0, 0, 0, 0 },
	{ "{\"kind\": \"field-absent\", \"vmsd\": \"timer\", \"fields\": [\"enabled\"]}", "off",
	  1, offsetof(struct sample_offs, timer_payload), 8, 1 },
	{ "{\"kind\": \"field-absent\", \"vmsd\": \"timer\", \"fields\": [\"disabled\"]}", "off",
	  0, 0, 0, 0 },
	/* the sample's cpu_ticks_offset is SAMPLE_TIMER_NS (an int64) */
	{ "{\"kind\": \"field-value\", \"vmsd\": \"timer\", \"path\": \"cpu_ticks_offset\", "
	  "\"equals\": 0}", "off", 1, offsetof(struct sample_offs, timer_payload), 0, 8 },
	{ "{\"kind\": \"field-value\", \"vmsd\": \"timer\", \"path\": \"cpu_ticks_offset\", "
	  "\"equals\": 81985529216486895}", "off", 0, 0, 0, 0 },
	{ "{\"kind\": \"no-such-kind\", \"vmsd\": \"timer\"}", "off", 0, 0, 0, 0 },
	/* the only RAM flag counted; the sample has no MULTIFD_FLUSH */
	{ "{\"kind\": \"ram-flag-absent\", \"flag\": \"MULTIFD_FLUSH\"}", "off", 0, 0, 0, 0 },
};

START_TEST(test_rule)
{
	struct vi_session s;
	struct sample_offs o;
	uint64_t off = 0, len = 0, want;

	walk_sample(&s, &o);
	vi_session_close(&s);
	ck_assert_uint_eq(rule_hits(rows[_i].effect, rows[_i].when, &off, &len), rows[_i].hits);
	if (!rows[_i].hits)
		return;
	want = *(const size_t *)((const char *)&o + rows[_i].at) + rows[_i].delta;
	ck_assert_uint_eq(off, want);
	ck_assert_uint_eq(len, rows[_i].len == TO_EOF ? o.eof - want : rows[_i].len);
}
END_TEST

static Suite *check_suite(void)
{
	Suite *s = suite_create("check");
	TCase *engine = tcase_create("engine"), *rules = tcase_create("compat-rules");

	tcase_add_test(engine, test_engine_accept);
	tcase_add_test(engine, test_engine_version_too_new);
	tcase_add_test(engine, test_engine_version_too_old);
	tcase_add_test(engine, test_engine_unknown_section);
	tcase_add_test(engine, test_engine_truncated);
	tcase_add_loop_test(rules, test_rule, 0, sizeof(rows) / sizeof(rows[0]));
	suite_add_tcase(s, engine);
	suite_add_tcase(s, rules);
	return s;
}

VI_UNIT_MAIN(check_suite)
