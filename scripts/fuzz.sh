#!/usr/bin/env bash
# fuzz.sh DIR SECONDS [NAME...] — run each libFuzzer target DIR/fuzz_NAME
# (every one built, or the NAMEs given) for SECONDS from its committed
# seeds, tests/fuzz/corpus/NAME, and print one line per target: seconds,
# executions, new corpus entries, result. New inputs collect in
# DIR/corpus/NAME (never committed); a crash leaves DIR/crash-NAME-* and
# the target's log, DIR/NAME.log, and makes the script fail.
set -uo pipefail

#
# fuzz.sh DIR replay — no fuzzing: each target runs every committed input
# of its corpus once (libFuzzer's -runs=0), so that a crash found once stays
# a regression test. make test runs it; it prints one line per target and
# a libcheck-style "Checks: N, Failures: F, Errors: 0" line, one check per
# target, for run-tests.sh's totals.

usage="usage: fuzz.sh DIR SECONDS|replay [NAME...]"
dir=${1:?$usage}
secs=${2:?$usage}
shift 2
names=("$@")
if ((${#names[@]} == 0)); then
	for b in "$dir"/fuzz_*; do
		[[ -x $b ]] && names+=("${b##*/fuzz_}")
	done
fi
if ((${#names[@]} == 0)); then
	echo "fuzz.sh: no targets in $dir (run make fuzz-build)" >&2
	exit 1
fi

# ASan's leak check off: the parsers are fuzzed for memory errors and
# crashes; UBSan aborts on its first report (-fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [[ $secs == replay ]]; then
	bad=0
	for n in "${names[@]}"; do
		bin=$dir/fuzz_$n
		seeds=tests/fuzz/corpus/$n
		log=$dir/$n.replay.log
		ninputs=$(find "$seeds" -type f 2>/dev/null | wc -l)
		if [[ -x $bin ]] && ((ninputs > 0)) &&
			"$bin" -runs=0 -close_fd_mask=2 -timeout=10 "$seeds" \
				>"$log" 2>&1; then
			printf 'fuzz replay %-16s %5d inputs  ok\n' "$n" "$ninputs"
		else
			printf 'fuzz replay %-16s %5d inputs  FAILED, see %s\n' \
				"$n" "$ninputs" "$log"
			tail -20 "$log" 2>/dev/null
			bad=$((bad + 1))
		fi
	done
	printf '%d%%: Checks: %d, Failures: %d, Errors: 0\n' \
		$(((${#names[@]} - bad) * 100 / ${#names[@]})) "${#names[@]}" "$bad"
	exit $((bad != 0))
fi

failed=0
printf '%-18s %8s %12s %8s  %s\n' target seconds executions corpus result
for n in "${names[@]}"; do
	bin=$dir/fuzz_$n
	seeds=tests/fuzz/corpus/$n
	work=$dir/corpus/$n
	log=$dir/$n.log
	if [[ ! -x $bin || ! -d $seeds ]]; then
		echo "fuzz.sh: no target $bin or no seeds $seeds" >&2
		failed=1
		continue
	fi
	mkdir -p "$work"
	rm -f "$dir"/crash-"$n"-*
	# -close_fd_mask=2: the parsers' own complaints about bad input
	# (librt's "runtime: …" lines) go nowhere; sanitizer reports and
	# libFuzzer's own lines still reach the log.
	start=$(date +%s)
	"$bin" -max_total_time="$secs" -print_final_stats=1 -close_fd_mask=2 \
		-timeout=10 -artifact_prefix="$dir/crash-$n-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
	ncorp=$(find "$work" -type f | wc -l)
	if ((rc == 0)); then
		result=ok
	else
		result="CRASH (rc $rc): $(ls "$dir"/crash-"$n"-* 2>/dev/null | head -1), see $log"
		failed=1
	fi
	printf '%-18s %8s %12s %8s  %s\n' "$n" "$took" "${execs:-?}" "$ncorp" "$result"
done
exit $failed
