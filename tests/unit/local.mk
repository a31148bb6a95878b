# Check unit tests: one program per area, all linking src/libvmstate.a.
if HAVE_CHECK
UNIT_TESTS = tests/unit/test-reader tests/unit/test-walk tests/unit/test-badinput \
	tests/unit/test-limits tests/unit/test-scsi-requests tests/unit/test-ram-digest \
	tests/unit/test-libvirt tests/unit/test-baseline tests/unit/test-schema-lazy tests/unit/test-schema-shape \
	tests/unit/test-check tests/unit/test-schema tests/unit/test-jw \
	tests/unit/test-budget tests/unit/test-tree
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_LDADD = $(LIBS_ALL) $(CHECK_LIBS)
UNIT_COMMON = tests/unit/streambuf.c tests/unit/streambuf.h
tests_unit_test_reader_SOURCES = tests/unit/test-reader.c $(UNIT_COMMON)
tests_unit_test_reader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_reader_LDADD = $(UNIT_LDADD)
tests_unit_test_walk_SOURCES = tests/unit/test-walk.c $(UNIT_COMMON)
tests_unit_test_walk_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_walk_LDADD = $(UNIT_LDADD)
tests_unit_test_badinput_SOURCES = tests/unit/test-badinput.c $(UNIT_COMMON)
tests_unit_test_badinput_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_badinput_LDADD = $(UNIT_LDADD)
tests_unit_test_limits_SOURCES = tests/unit/test-limits.c $(UNIT_COMMON)
tests_unit_test_limits_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_limits_LDADD = $(UNIT_LDADD)
tests_unit_test_scsi_requests_SOURCES = tests/unit/test-scsi-requests.c
tests_unit_test_scsi_requests_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_scsi_requests_LDADD = $(UNIT_LDADD)
tests_unit_test_schema_shape_SOURCES = tests/unit/test-schema-shape.c
tests_unit_test_schema_shape_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_schema_shape_LDADD = $(UNIT_LDADD)
tests_unit_test_ram_digest_SOURCES = tests/unit/test-ram-digest.c $(UNIT_COMMON)
tests_unit_test_ram_digest_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ram_digest_LDADD = $(UNIT_LDADD)
tests_unit_test_libvirt_SOURCES = tests/unit/test-libvirt.c $(UNIT_COMMON)
tests_unit_test_libvirt_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_libvirt_LDADD = $(UNIT_LDADD)
tests_unit_test_baseline_SOURCES = tests/unit/test-baseline.c
tests_unit_test_baseline_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_baseline_LDADD = $(UNIT_LDADD)
tests_unit_test_schema_lazy_SOURCES = tests/unit/test-schema-lazy.c
tests_unit_test_schema_lazy_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_schema_lazy_LDADD = $(UNIT_LDADD)
tests_unit_test_check_SOURCES = tests/unit/test-check.c $(UNIT_COMMON)
tests_unit_test_check_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_check_LDADD = $(UNIT_LDADD)
tests_unit_test_schema_SOURCES = tests/unit/test-schema.c
tests_unit_test_schema_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_schema_LDADD = $(UNIT_LDADD)
tests_unit_test_jw_SOURCES = tests/unit/test-jw.c
tests_unit_test_jw_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jw_LDADD = $(UNIT_LDADD)
endif
EXTRA_DIST += tests/unit/unit-main.h
tests_unit_test_budget_SOURCES = tests/unit/test-budget.c
tests_unit_test_budget_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_budget_LDADD = $(UNIT_LDADD)
tests_unit_test_tree_SOURCES = tests/unit/test-tree.c
tests_unit_test_tree_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tree_LDADD = $(UNIT_LDADD)
