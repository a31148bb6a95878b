#!/bin/sh
# The whole test suite, from a fresh clone on Debian: install dependencies,
# build, `make check` and `make distcheck`, the suite again under ASan+UBSan,
# and a bounded libFuzzer run.  The first `make check` also loads fresh
# streams into real QEMU 7.2 and 10.0 (tests/live, tests/machine), which
# tools/install-qemu.sh installs.  README's test command; .ci/run calls it.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh tools/install-deps.sh
sh tools/install-qemu.sh
jobs=$(nproc 2>/dev/null || echo 2)
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

# Run `make check` in a build directory; keep the counts, show logs on failure.
check_in() {
	dir=$1; shift
	mkdir -p "$dir"
	( cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs" ) || return 1
	if ( cd "$dir" && make -s -j"$jobs" check ) >"$dir/check.out" 2>&1; then rc=0; else rc=1; fi
	grep -E '^# (PASS|FAIL|XPASS|ERROR|SKIP):' "$dir/check.out" | sed "s|^|$dir: |"
	grep -E '^# (PASS|FAIL|ERROR):' "$dir/check.out" >>"$summary" || true
	if [ $rc -ne 0 ]; then
		cat "$dir/check.out"
		for l in $(find "$dir/tests" -name '*.log' 2>/dev/null); do
			grep -qE '^(FAIL|ERROR)' "$l" && { echo "==== $l"; cat "$l"; }
		done
	fi
	return $rc
}

[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
status=0
echo "== build and make check"
check_in build || status=1
# Real-QEMU agreement tests once is enough: skip them in the later runs.
VI_SKIP_LIVE=1; export VI_SKIP_LIVE
echo "== make check under AddressSanitizer + UndefinedBehaviorSanitizer"
check_in build-san --enable-sanitizers || status=1
echo "== make distcheck"
( cd build && make -s distcheck >distcheck.out 2>&1 ) && echo "distcheck: ok" ||
	{ tail -50 build/distcheck.out; status=1; }
if [ -f tests/fuzz/local.mk ] && grep -q fuzz-smoke tests/fuzz/local.mk; then
	echo "== libFuzzer smoke run"
	mkdir -p build-fuzz
	if ( cd build-fuzz && "$top/configure" -q --enable-fuzzing CC=clang &&
	     make -s -j"$jobs" fuzz-smoke ) >build-fuzz/fuzz.out 2>&1; then
		echo "fuzz-smoke: ok"; echo "# PASS: 1" >>"$summary"
	else
		tail -40 build-fuzz/fuzz.out; echo "# FAIL: 1" >>"$summary"; status=1
	fi
fi
pass=$(awk '/^# PASS:/ {s += $3} END {print s + 0}' "$summary")
fail=$(awk '/^# (FAIL|ERROR):/ {s += $3} END {print s + 0}' "$summary")
echo "$pass passed, $fail failed"
exit $status
