#!/usr/bin/env bash
# soak.sh OUT [SOAK_TIME] — what `make soak` runs: OUT/tests/progs/soak,
# librt's stress mixes (tests/stress_mixes.h) all at once, round after
# round, for SOAK_TIME (default 10m; 90s, 3m, 1h or plain seconds), with a
# line of RSS, heap, goroutines and GC cycles each minute; it fails on any
# lost or duplicated value, bad checksum or wrong timer count, and when
# the settled RSS of the last minute exceeds the first minute's by more
# than the tolerance soak.c states. Not part of make test (CI time).
#
# A watchdog kills the program 10 minutes after SOAK_TIME: soak's own
# reporter fails a round stuck that long, this catches a runtime too
# wedged to run it.
set -euo pipefail

if (($# < 1 || $# > 2)); then
	echo "usage: $0 OUT [SOAK_TIME]" >&2
	exit 2
fi
out=$1
time=${2:-10m}
bin=$out/tests/progs/soak

if [[ ! $time =~ ^([0-9]+)(s|m|h)?$ ]]; then
	echo "soak: SOAK_TIME=$time is not a duration: use e.g. 600, 90s, 10m or 1h" >&2
	exit 2
fi
secs=${BASH_REMATCH[1]}
case ${BASH_REMATCH[2]} in
m) secs=$((secs * 60)) ;;
h) secs=$((secs * 3600)) ;;
esac
if ((secs <= 0)); then
	echo "soak: SOAK_TIME=$time must be positive" >&2
	exit 2
fi
if [[ ! -x $bin ]]; then
	echo "soak: $bin is missing: run make OUT=$out first" >&2
	exit 2
fi

echo "soak: $bin for ${secs}s (SOAK_TIME=$time)"
start=$(date +%s)
set +e
timeout --kill-after=10 $((secs + 600)) "$bin" "$secs"
rc=$?
set -e
elapsed=$(($(date +%s) - start))
if ((rc == 124 || rc == 137)); then
	echo "soak: FAIL: still running ${elapsed}s after a ${secs}s soak: killed (a hang)" >&2
	exit 1
fi
if ((rc != 0)); then
	echo "soak: FAIL: exit status $rc after ${elapsed}s" >&2
	exit 1
fi
echo "soak: passed in ${elapsed}s"
