#!/usr/bin/env bash
# run-tests.sh OUT — what `make test` runs.
#
#   1. every OUT/tests/test_*             libcheck suites, plain build
#   2. every OUT/asan/tests/test_*        the same suites under AddressSanitizer
#      every OUT/tsan/tests/test_*        librt's suites under ThreadSanitizer
#   3. OUT/fuzz/fuzz_* on tests/fuzz/corpus  each committed input once
#   4. every OUT/tests/integration/*      suites that load BPF (root only)
#
# Each suite's own output (its libcheck summary line and any failure) is shown
# as it runs, a recap follows, and the last line is the plain
# "N passed, M failed[, K skipped]" that CI parsers read, N and M summed over
# the libcheck "Checks: X, Failures: Y, Errors: Z" lines (errors count as
# failed). A suite binary that exits non-zero without reporting a failure
# (a crash, an abort, a timeout) counts as one failed check, so the total
# never reads clean when something died. K is the number of integration
# checks (START_TEST blocks) not run because we are not root.
#
# Environment, each only set when the caller has not:
#   CK_DEFAULT_TIMEOUT=120     seconds per check; some spawn 100,000 goroutines
#   CK_TIMEOUT_MULTIPLIER=3    for the ASan build only, which is ~2-3x slower
#   ASAN_OPTIONS               detect_leaks=1:halt_on_error=1 — leak checks
#                              on: libcheck forks each check and LSan runs
#                              when the child exits, so a leak fails that
#                              check ("Early exit with return value 1").
#                              The suites pass with it (everything librt
#                              keeps at exit stays reachable from its
#                              globals). Caller's ASAN_OPTIONS are appended
#                              and win, e.g. ASAN_OPTIONS=detect_leaks=0.
#   TSAN_OPTIONS               halt_on_error=1 (a race fails its check,
#                              "Early exit with return value 66"),
#                              second_deadlock_stack=1,
#                              suppressions=tests/tsan.supp (each entry
#                              argued in tests/README.md, "Sanitizers").
#                              Caller's TSAN_OPTIONS are appended and win.
#   CK_TIMEOUT_MULTIPLIER=5    for the TSan build, ~5-15x slower
#   RT_TEST_SUITE_TIMEOUT=1200 seconds for one whole suite binary, a backstop
#                              against a deadlock in a CK_NOFORK run.
#
# gcc 12's TSan needs the old x86-64 address-space layout: with more than
# 28 bits of mmap randomization (vm.mmap_rnd_bits, 32 on some kernels) it
# dies with "FATAL: ThreadSanitizer: unexpected memory mapping". There the
# TSan suites run under `setarch -R` (no ASLR, for that process only).
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 OUT" >&2
	exit 2
fi
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
suite_timeout=${RT_TEST_SUITE_TIMEOUT:-1200}

passed=0
failed=0
skipped=0
nsuites=0
bad_suites=0
recap=()
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# run_suite LABEL BIN [ENV=VALUE...] runs one suite binary, shows its output,
# and adds its checks to the totals. BIN's arguments, if any, are in the
# array suite_args.
suite_args=()
run_suite() {
	local label=$1 bin=$2
	shift 2
	local log="$logdir/$nsuites.log" rc
	nsuites=$((nsuites + 1))
	printf '\n=== %s\n' "$label"
	set +e
	env "$@" timeout --kill-after=10 "$suite_timeout" "$bin" "${suite_args[@]}" 2>&1 |
		tee "$log"
	rc=${PIPESTATUS[0]}
	set -e

	local line checks fails errs total_f=0 nlines=0
	local re='([0-9]+)%: Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+)'
	local summary=""
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			checks=${BASH_REMATCH[2]}
			fails=${BASH_REMATCH[3]}
			errs=${BASH_REMATCH[4]}
			passed=$((passed + checks - fails - errs))
			failed=$((failed + fails + errs))
			total_f=$((total_f + fails + errs))
			nlines=$((nlines + 1))
			summary="${summary:+$summary; }${BASH_REMATCH[0]}"
		fi
	done <"$log"

	local status=ok
	if ((rc != 0)); then
		bad_suites=$((bad_suites + 1))
		case $rc in
		124 | 137) status="timed out after ${suite_timeout}s" ;;
		1) status="exit 1" ;;
		*)
			if ((rc > 128)); then
				status="killed by signal $((rc - 128))"
			else
				status="exit $rc"
			fi
			;;
		esac
		# Died or failed without a failure on record: count it as one.
		if ((total_f == 0)); then
			failed=$((failed + 1))
		fi
	fi
	if ((nlines == 0)); then
		summary="no libcheck summary line"
	fi
	recap+=("$(printf '%-40s %s (%s)' "$label" "$summary" "$status")")
}

# suites_in DIR PATTERN lists executable files matching DIR/PATTERN, sorted.
suites_in() {
	local f
	for f in "$1"/$2; do
		if [[ -f $f && -x $f ]]; then
			printf '%s\n' "$f"
		fi
	done
}

mapfile -t unit < <(suites_in "$out/tests" 'test_*')
mapfile -t asan < <(suites_in "$out/asan/tests" 'test_*')
mapfile -t tsan < <(suites_in "$out/tsan/tests" 'test_*')
mapfile -t integ < <(suites_in "$out/tests/integration" '*')

if ((${#unit[@]} + ${#asan[@]} + ${#tsan[@]} + ${#integ[@]} == 0)); then
	echo "run-tests: no test suites under $out/tests (did the build run?)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

for t in "${unit[@]}"; do
	run_suite "tests/${t##*/}" "$t"
done

asan_opts="detect_leaks=1:abort_on_error=0:halt_on_error=1"
asan_opts+=":detect_stack_use_after_return=0:print_summary=1"
for t in "${asan[@]}"; do
	run_suite "asan/tests/${t##*/}" "$t" \
		"ASAN_OPTIONS=$asan_opts${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		"CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-3}"
done

tsan_opts="halt_on_error=1:abort_on_error=0:second_deadlock_stack=1"
tsan_opts+=":suppressions=$root/tests/tsan.supp:print_suppressions=0"
tsan_prefix=()
rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)
if ((rnd_bits > 28)) && command -v setarch >/dev/null; then
	tsan_prefix=("$(uname -m)" -R)
fi
for t in "${tsan[@]}"; do
	bin=$t
	if ((${#tsan_prefix[@]} > 0)); then
		bin=setarch
		suite_args=("${tsan_prefix[@]}" "$t")
	fi
	run_suite "tsan/tests/${t##*/}" "$bin" \
		"TSAN_OPTIONS=$tsan_opts${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
		"CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-5}"
	suite_args=()
done

# 3. the fuzz targets' committed corpora, each input run once: a crash
# found by `make fuzz` stays a regression test (scripts/fuzz.sh replay)
if compgen -G "$out/fuzz/fuzz_*" >/dev/null; then
	suite_args=("$out/fuzz" replay)
	run_suite "fuzz/replay (tests/fuzz/corpus)" "$here/fuzz.sh"
	suite_args=()
fi

if ((EUID == 0)); then
	for t in "${integ[@]}"; do
		# the suites run rttrace and the traced programs from this OUT
		run_suite "tests/integration/${t##*/}" "$t" "RTTRACE_BUILD=$out"
	done
else
	for t in "${integ[@]}"; do
		src="$root/tests/integration/${t##*/}.c"
		n=0
		if [[ -f $src ]]; then
			n=$(grep -c '^START_TEST' "$src" || true)
		fi
		skipped=$((skipped + (n > 0 ? n : 1)))
	done
	echo
	echo "integration tests skipped: they load BPF programs and need root" \
		"(run \`sudo make test\`)"
fi

printf '\n=== summary: %d suite binaries, %d failed or crashed\n' \
	"$nsuites" "$bad_suites"
for r in "${recap[@]}"; do
	printf '  %s\n' "$r"
done
echo
if ((EUID != 0)); then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
if ((failed != 0 || bad_suites != 0)); then
	exit 1
fi
