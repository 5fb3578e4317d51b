#!/usr/bin/env bash
# bench-tracer.sh OUT — what rttrace itself costs, read from its hidden
# --self-stats line (user/tracer.c: getrusage of rttrace alone, never the
# traced program):
#
#   memory   max RSS of `rttrace run EX --benchtime 200ms` (each exercise
#            before and after, traced with the default options), and the
#            kernel memory of its BPF maps and programs (memlock), which
#            the RSS does not include. Target: RSS < 64 MiB.
#   attach   start-to-attached of `rttrace trace -- rtwork ex01 before`:
#            from before rttrace's main to every probe attached (ELF and
#            note parsing, BPF loads and verification, uprobes, the CPU
#            sampler). Target: < 1 s.
#   live     rttrace's CPU over wall time in `rttrace trace --live` at the
#            default 1 s interval, over 10 s of ex01: steady (read from
#            /proc while it traces) and over the whole run. Target: < 2 %
#            of one core.
#
# Needs root (BPF). Without it, says so and exits 0: `sudo make bench`.
# Outputs: OUT/tracer-run-EX.txt (the reports), OUT/tracer-live.txt (the
# live frames).
# Environment: BENCH_COUNT (3: attach runs are 3 * BENCH_COUNT),
# BENCH_PARAM, BENCH_EX (scripts/bench-lib.sh), BENCH_RUN_TIME (run's
# --benchtime, 200ms), BENCH_LIVE_TIME (the live run's -benchtime, 10s).
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 OUT" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$here/bench-lib.sh"
out=$(cd "$1" && pwd)
count=${BENCH_COUNT:-3}
runtime=${BENCH_RUN_TIME:-200ms}
livetime=${BENCH_LIVE_TIME:-10s}
rtwork=$out/rtwork
rttrace=$out/rttrace

bench_header "the tracer's own cost: memory, attach time, live-mode CPU"
bench_need_root_and "$0" "$1" "$rtwork" "$rttrace"
echo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SECONDS=0
rc=0

# selfstat FILE KEY prints KEY's value in FILE's "rttrace: self:" line
selfstat() {
	awk -v k="$2" '/^rttrace: self:/ {
		for (i = 3; i <= NF; i++)
			if (index($i, k "=") == 1) v = substr($i, length(k) + 2)
	} END { print (v == "" ? "-" : v) }' "$1"
}
# selfline FILE: the self line, or a failure noted (rc=1)
selfline() {
	if ! grep -q '^rttrace: self:' "$1"; then
		echo "$0: no --self-stats line; rttrace said:" >&2
		tail -n 5 "$1" >&2
		rc=1
	fi
}

# ---- memory: rttrace run EX, each exercise -----------------------------------
echo "-- memory: rttrace --self-stats run EX --benchtime $runtime" \
	"(param: ${BENCH_PARAM:-first})"
printf '%-6s %-18s %8s %8s %6s %7s %8s %7s\n' exercise param "max RSS" \
	"BPF" "CPU" wall "symbols" "RSS"
printf '%-6s %-18s %8s %8s %6s %7s %8s %7s\n' "" "" MiB "MiB" s s \
	"cached" "<64MiB"
declare -A ran=()
while read -r ex param; do
	# BENCH_PARAM=all: one run of every parameter (run --param all)
	[[ -n ${ran[$ex]:-} ]] && continue
	ran[$ex]=1
	pargs=()
	if [[ ${BENCH_PARAM:-first} == all ]]; then
		pargs=(--param all)
		param=all
	fi
	"$rttrace" --self-stats run "$ex" "${pargs[@]}" --benchtime "$runtime" \
		>"$out/tracer-run-$ex.txt" 2>"$tmp/err" || {
		echo "$0: rttrace run $ex failed" >&2
		rc=1
	}
	selfline "$tmp/err"
	awk -v ex="$ex" -v p="$param" \
		-v rss="$(selfstat "$tmp/err" max-rss)" \
		-v ml="$(selfstat "$tmp/err" bpf-memlock)" \
		-v u="$(selfstat "$tmp/err" cpu-user)" \
		-v s="$(selfstat "$tmp/err" cpu-sys)" \
		-v w="$(selfstat "$tmp/err" wall)" \
		-v h="$(selfstat "$tmp/err" sym-hits)" \
		-v mi="$(selfstat "$tmp/err" sym-misses)" 'BEGIN {
		ok = rss == "-" ? "-" : (rss / 1024 < 64 ? "ok" : "OVER")
		hit = (h == "-" || h + mi == 0) ? "-" : \
			sprintf("%.0f%%", 100 * h / (h + mi))
		printf "%-6s %-18s %8s %8s %6s %7s %8s %7s\n", ex, p,
			rss == "-" ? "-" : sprintf("%.1f", rss / 1024),
			ml == "-" ? "-" : sprintf("%.1f", ml / 1024),
			u == "-" ? "-" : sprintf("%.2f", u + s),
			w == "-" ? "-" : sprintf("%.1f", w), hit, ok
	}'
	echo "$ex $(selfstat "$tmp/err" max-rss)" >>"$tmp/rss"
done < <(bench_exercises "$rtwork")
[[ -s $tmp/rss ]] && sort -k2 -n "$tmp/rss" | tail -n 1 |
	awk '{ printf "largest: %.1f MiB (%s)\n", $2 / 1024, $1 }'

# ---- attach: rttrace trace, default options ----------------------------------
nattach=$((3 * count))
echo
echo "-- attach: rttrace --self-stats trace -- $rtwork ex01 before" \
	"--param producers=1 -benchtime 1x ($nattach runs)"
: >"$tmp/attach"
for ((r = 0; r < nattach; r++)); do
	"$rttrace" --self-stats trace -- "$rtwork" ex01 before \
		--param producers=1 -benchtime 1x >/dev/null 2>"$tmp/err" || {
		echo "$0: rttrace trace failed" >&2
		rc=1
	}
	selfline "$tmp/err"
	echo "attach $(selfstat "$tmp/err" attach)" \
		"$(selfstat "$tmp/err" cpu-attach)" >>"$tmp/attach"
done
awk '$2 != "-" {
	a[++n] = $2; c[n] = $3
} END {
	if (!n) { print "no attach measured"; exit }
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j-1] > a[j]; j--) {
			t = a[j]; a[j] = a[j-1]; a[j-1] = t
			t = c[j]; c[j] = c[j-1]; c[j-1] = t
		}
	m = (n % 2) ? (n + 1) / 2 : n / 2
	printf "start-to-attached: median %.0f ms (min %.0f, max %.0f);" \
		" CPU by then %.0f ms; target < 1000 ms: %s\n", a[m], a[1],
		a[n], c[m] * 1000, a[n] < 1000 ? "ok" : "OVER"
}' "$tmp/attach"

# ---- live: rttrace trace --live, 1 s interval --------------------------------
# The steady state is read from /proc/PID/stat (utime + stime, every thread
# of rttrace) between 2 s after the start and 1 s before the end: neither
# the set-up nor the final report and detach are in it.
echo
echo "-- live: rttrace --self-stats trace --live -- $rtwork ex01 before" \
	"--param producers=1 -benchtime $livetime"
# cputicks PID: utime + stime of PID in clock ticks (fields 14, 15 of stat,
# counted after the parenthesised command name)
cputicks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
hz=$(getconf CLK_TCK)
livesec=$(awk -v t="$livetime" 'BEGIN {
	v = t + 0; if (t ~ /ms$/) v /= 1000; else if (t ~ /m$/) v *= 60; print v }')
"$rttrace" --self-stats trace --live -- "$rtwork" ex01 before \
	--param producers=1 -benchtime "$livetime" >"$out/tracer-live.txt" \
	2>"$tmp/err" &
pid=$!
steady=-
if awk -v s="$livesec" 'BEGIN { exit !(s >= 4) }'; then
	sleep 2
	t0=$(date +%s.%N) c0=$(cputicks "$pid" || echo -)
	sleep "$(awk -v s="$livesec" 'BEGIN { print s - 3 }')"
	t1=$(date +%s.%N) c1=$(cputicks "$pid" || echo -)
	if [[ $c0 != - && $c1 != - ]]; then
		steady=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" \
			-v hz="$hz" 'BEGIN { printf "%.2f", 100 * (b - a) / hz / (t1 - t0) }')
	fi
fi
wait "$pid" || {
	echo "$0: rttrace trace --live failed" >&2
	rc=1
}
selfline "$tmp/err"
grep '^rttrace: self:' "$tmp/err" || true
awk -v u="$(selfstat "$tmp/err" cpu-user)" \
	-v s="$(selfstat "$tmp/err" cpu-sys)" \
	-v w="$(selfstat "$tmp/err" wall)" \
	-v steady="$steady" \
	-v frames="$(grep -c '^--- ' "$out/tracer-live.txt" || true)" 'BEGIN {
	if (w == "-") { print "no live figures"; exit }
	printf "CPU of one core: %s %% while tracing (steady, /proc);" \
		" %.2f %% over the whole run with set-up, report and detach" \
		" (%.2f s of %.1f s, %d frames); target < 2 %%: %s\n",
		steady, 100 * (u + s) / w, u + s, w, frames,
		steady == "-" ? "-" : (steady < 2 ? "ok" : "OVER")
}'
cat <<'NOTES'

notes: RSS is rttrace's alone (getrusage RUSAGE_SELF; the workload is a
  child and never counted). BPF is the kernel memory charged to
  rttrace's maps and programs (memlock), taken at each attach (the
  largest shown). CPU and wall are the whole `rttrace run`: two traced
  and two untraced runs of the exercise, each report. "symbols cached"
  is the share of user-frame lookups the symbol cache answered
  (symbolize.c, by build ID): run traces one binary twice, so the
  second variant's stacks mostly hit.
  The live figure that the target is about is the steady one; the whole
  run adds the one-off set-up (BPF verification), the final report
  (symbolizing the CPU samples) and the detach.
NOTES
echo "took ${SECONDS} s"
exit "$rc"
