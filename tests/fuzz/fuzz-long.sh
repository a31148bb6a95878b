#!/bin/sh
# fuzz-long.sh SRCDIR NAME... - run each harness tests/fuzz/fuzz-NAME (in the
# build tree) for $FUZZ_SECONDS (or $FUZZ_RUNS executions), $FUZZ_PARALLEL of them at a time, one worker
# each, under nice -n 15, from its seeds plus tests/fuzz/long-NAME/work (kept
# between runs, so a long campaign can be done in pieces).  Crashes, leaks,
# timeouts and OOMs go to tests/fuzz/long-NAME/ and make the target fail;
# the last line of each log is summarised as a table (executions, coverage,
# features, findings).  The timeout is wall time, and a nice 15 process on
# a busy machine gets a few per cent of a core: $FUZZ_TIMEOUT (default 30 s)
# leaves room for that; slow-unit-* files (units over 10 s) are listed, not
# counted as findings, and should be re-run by hand.
set -u
srcdir=$1; shift
secs=${FUZZ_SECONDS:-3600}
runs=${FUZZ_RUNS:--1}	# stop a harness after this many executions (-1: no limit)
# Spools (compressed layers, qcow2's vmstate) go to $TMPDIR: on a disk file
# system a spool per execution costs about a third of fuzz-qcow2's
# executions, so use $FUZZ_TMPDIR, or /dev/shm when it is writable.
tmpd=${FUZZ_TMPDIR:-}
if [ -z "$tmpd" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	tmpd=/dev/shm
fi
if [ -n "$tmpd" ]; then
	TMPDIR=$tmpd
	export TMPDIR
fi
par=${FUZZ_PARALLEL:-7}
timeout=${FUZZ_TIMEOUT:-30}

one() {
	h=$1
	d=tests/fuzz/long-$h
	mkdir -p "$d/work"
	case $h in vmdesc|diff|schema) dict=vmdesc;; *) dict=stream;; esac
	seeds=$srcdir/tests/fuzz/corpus-$h
	nice -n 15 tests/fuzz/fuzz-$h -timeout="$timeout" -rss_limit_mb=2048 -max_len=65536 \
		-max_total_time="$secs" -runs="$runs" -print_final_stats=1 \
		-dict="$srcdir/tests/fuzz/$dict.dict" -artifact_prefix="$d/" \
		"$d/work" "$seeds" >"$d/log" 2>&1
	echo $? >"$d/rc"
}

running=0
for h in "$@"; do
	one "$h" &
	running=$((running + 1))
	if [ "$running" -ge "$par" ]; then
		wait
		running=0
	fi
done
wait

fail=0
printf '%-8s %12s %8s %8s %8s %s\n' harness execs cov ft findings slow-units
for h in "$@"; do
	d=tests/fuzz/long-$h
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$d/log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	nf=$(ls "$d" | grep -cE '^(crash|leak|timeout|oom)-' || true)
	ns=$(ls "$d" | grep -cE '^slow-unit-' || true)
	printf '%-8s %12s %8s %8s %8s %s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$nf" "$ns"
	if [ "$(cat "$d/rc")" != 0 ] || [ "$nf" != 0 ]; then
		fail=1
		echo "fuzz-long: fuzz-$h: exit $(cat "$d/rc"); see $d/log" >&2
	fi
done
exit $fail
