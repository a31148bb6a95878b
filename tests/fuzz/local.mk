# libFuzzer harnesses (./configure --enable-fuzzing CC=clang); see tests/fuzz/README.md.
#
# The harnesses link their own copy of the library, compiled with coverage
# instrumentation and ASan+UBSan; the ordinary build is not affected.
# `make fuzz-smoke` runs each harness for FUZZ_SMOKE_TIME seconds from the
# committed seeds (tests/fuzz/corpus-*) plus tests/data/regress, and fails
# on any crash, leak, sanitizer report or timeout.

FUZZ_HARNESSES = tests/fuzz/fuzz-stream tests/fuzz/fuzz-vmdesc tests/fuzz/fuzz-input \
	tests/fuzz/fuzz-diff tests/fuzz/fuzz-schema tests/fuzz/fuzz-libvirt tests/fuzz/fuzz-qcow2
FUZZ_NAMES = stream vmdesc input diff schema libvirt qcow2
FUZZ_SMOKE_TIME = 10
FUZZ_RUN_FLAGS = -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/fuzz-common.h \
	tests/fuzz/fuzz-stream.c tests/fuzz/fuzz-vmdesc.c tests/fuzz/fuzz-input.c \
	tests/fuzz/fuzz-split.h tests/fuzz/fuzz-container.h tests/fuzz/fuzz-diff.c \
	tests/fuzz/fuzz-schema.c tests/fuzz/fuzz-libvirt.c tests/fuzz/fuzz-qcow2.c \
	tests/fuzz/fuzz-long.sh \
	tests/fuzz/stream.dict tests/fuzz/vmdesc.dict tests/fuzz/make-seeds.py \
	tests/fuzz/corpus-stream tests/fuzz/corpus-vmdesc tests/fuzz/corpus-input \
	tests/fuzz/corpus-diff tests/fuzz/corpus-schema tests/fuzz/corpus-libvirt \
	tests/fuzz/corpus-qcow2

if ENABLE_FUZZING
# VI_FUZZ_LIMITS: lower node and spool limits (src/vi-limits.h), so that
# inputs which hit them stay fast under instrumentation.  FUZZ_SANITIZE
# picks the sanitizers (in a build directory of its own): `undefined` alone
# runs 2-2.5x as many executions per second, without ASan's memory checks.
FUZZ_SANITIZE = address,undefined
FUZZ_COMPILE_FLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,$(FUZZ_SANITIZE) \
	-fno-sanitize-recover=all -DVI_FUZZ_LIMITS
FUZZ_LINK_FLAGS = -fsanitize=fuzzer,$(FUZZ_SANITIZE)
FUZZ_LINK_LIBS = tests/fuzz/libvmstate-fuzz.a $(JANSSON_LIBS) $(XXHASH_LIBS) $(COMPRESS_LIBS)

noinst_LIBRARIES += tests/fuzz/libvmstate-fuzz.a
tests_fuzz_libvmstate_fuzz_a_SOURCES = $(src_libvmstate_a_SOURCES)
tests_fuzz_libvmstate_fuzz_a_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)

noinst_PROGRAMS += $(FUZZ_HARNESSES)
tests_fuzz_fuzz_stream_SOURCES = tests/fuzz/fuzz-stream.c tests/fuzz/fuzz-common.h
tests_fuzz_fuzz_stream_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_stream_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_stream_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_vmdesc_SOURCES = tests/fuzz/fuzz-vmdesc.c tests/fuzz/fuzz-common.h
tests_fuzz_fuzz_vmdesc_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_vmdesc_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_vmdesc_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_input_SOURCES = tests/fuzz/fuzz-input.c tests/fuzz/fuzz-common.h
tests_fuzz_fuzz_input_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_input_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_input_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_diff_SOURCES = tests/fuzz/fuzz-diff.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-split.h
tests_fuzz_fuzz_diff_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_diff_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_diff_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_schema_SOURCES = tests/fuzz/fuzz-schema.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-split.h
tests_fuzz_fuzz_schema_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_schema_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_schema_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_libvirt_SOURCES = tests/fuzz/fuzz-libvirt.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-container.h
tests_fuzz_fuzz_libvirt_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_libvirt_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_libvirt_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_qcow2_SOURCES = tests/fuzz/fuzz-qcow2.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-container.h
tests_fuzz_fuzz_qcow2_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_qcow2_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_qcow2_LDADD = $(FUZZ_LINK_LIBS)

# One harness at a time, one worker: the smoke run must not hog the machine.
# New corpus entries go to tests/fuzz/work-* in the build tree, never srcdir.
fuzz-smoke: $(FUZZ_HARNESSES)
	@set -e; \
	regress=$(srcdir)/tests/data/regress; \
	if ls "$$regress"/*.qevm* >/dev/null 2>&1; then \
	  echo "fuzz-smoke: fuzz-stream on each file in $$regress"; \
	  tests/fuzz/fuzz-stream $(FUZZ_RUN_FLAGS) "$$regress"/*.qevm* \
	    >tests/fuzz/fuzz-regress.log 2>&1 || \
	  { tail -60 tests/fuzz/fuzz-regress.log; \
	    echo "fuzz-smoke: a file in tests/data/regress still crashes or hangs" >&2; exit 1; }; \
	fi; \
	for h in $(FUZZ_NAMES); do \
	  work=tests/fuzz/work-$$h; rm -rf $$work tests/fuzz/crash-$$h; \
	  mkdir -p $$work tests/fuzz/crash-$$h; \
	  echo "fuzz-smoke: fuzz-$$h for $(FUZZ_SMOKE_TIME) s"; \
	  tests/fuzz/fuzz-$$h $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SMOKE_TIME) \
	    -max_len=65536 -dict=$(srcdir)/tests/fuzz/$$(case $$h in vmdesc|diff|schema) echo vmdesc;; *) echo stream;; esac).dict \
	    -artifact_prefix=tests/fuzz/crash-$$h/ \
	    $$work $(srcdir)/tests/fuzz/corpus-$$h 2>tests/fuzz/fuzz-$$h.log || \
	  { tail -60 tests/fuzz/fuzz-$$h.log; \
	    echo "fuzz-smoke: fuzz-$$h FAILED; reproducer in tests/fuzz/crash-$$h/" >&2; exit 1; }; \
	  grep -E '^(stat::|Done|#[0-9]+.*DONE)' tests/fuzz/fuzz-$$h.log | sed "s/^/  fuzz-$$h: /"; \
	done

# All harnesses for FUZZ_SECONDS each (or until FUZZ_RUNS executions, if
# set, whichever comes first), FUZZ_PARALLEL at a time (default: all at
# once), one worker each, under nice; see tests/fuzz/README.md.
FUZZ_SECONDS = 3600
FUZZ_PARALLEL = 7
FUZZ_RUNS = -1
fuzz-long: $(FUZZ_HARNESSES)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_PARALLEL=$(FUZZ_PARALLEL) FUZZ_RUNS=$(FUZZ_RUNS) \
	  $(SHELL) $(srcdir)/tests/fuzz/fuzz-long.sh $(srcdir) $(FUZZ_NAMES)
else
fuzz-long fuzz-smoke:
	@echo "$@: fuzzing is not configured in this build tree." >&2; \
	echo "$@: configure a separate build directory with" >&2; \
	echo "$@:   ../configure --enable-fuzzing CC=clang && make $@" >&2; \
	exit 1
endif
.PHONY: fuzz-smoke fuzz-long clean-fuzz
# Not hooked into clean-local (Makefile.am may want that); run it by hand.
clean-fuzz:
	rm -rf tests/fuzz/work-* tests/fuzz/crash-* tests/fuzz/long-* tests/fuzz/fuzz-*.log
