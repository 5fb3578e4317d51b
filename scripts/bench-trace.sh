#!/usr/bin/env bash
# bench-trace.sh OUT — what tracing costs the traced program: the fourteen
# exercises, before and after, untraced (OUT/rtwork) and under
# `OUT/rttrace trace --no-profile` in full mode (--sample off: every probe
# hit fires) and in sampled mode (--sample auto, rttrace's default: the
# probes above a rate fire 1 in N, each firing carrying its N). One table:
# ns/op of the three, and traced/untraced for both modes side by side.
# Target (issue 8): sampled/untraced <= 1.10 on every row.
#
# The three alternate run by run, their order rotating (U F S, F S U,
# S U F, …), each run a process of its own, so that drift of a shared
# machine falls on all alike; the table shows medians. --no-profile keeps
# the 99 Hz CPU sampler out: the figure is the probes' cost.
#
# Needs root (BPF). Without it, says so and exits 0: `sudo make bench`.
# Outputs: OUT/trace-untraced.txt, OUT/trace-full.txt,
# OUT/trace-sampled.txt (the go-test lines of each mode).
# Environment: BENCH_COUNT (3), BENCH_TIME (300ms), BENCH_PARAM, BENCH_EX
# (scripts/bench-lib.sh).
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
btime=${BENCH_TIME:-300ms}
rtwork=$out/rtwork
rttrace=$out/rttrace

bench_header "tracing overhead: untraced vs rttrace trace, full and sampled"
bench_need_root_and "$0" "$1" "$rtwork" "$rttrace"
echo "runs:    -count $count -benchtime $btime, rotating order, one" \
	"process each (median shown)"
echo "traced:  $rttrace trace --no-profile --sample off|auto -- $rtwork EX" \
	"VARIANT --param P -benchtime $btime"
echo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
modes=(untraced full sampled)
declare -A sample=([full]=off [sampled]=auto)
for m in "${modes[@]}"; do : >"$out/trace-$m.txt"; done
: >"$tmp/exact"

SECONDS=0
rc=0
# exact NAME MODE: whether the report's per-probe counts ("events per
# probe") equal librt's own (RT_STATS=1: "rt-stats: probe NAME N" at exit);
# appends "NAME MODE ok|differ" to $tmp/exact.
exact() {
	awk -v name="$1" -v m="$2" '
	FILENAME ~ /stderr$/ {
		if ($1 == "rt-stats:" && $2 == "probe") lib[$3] = $4
		next
	}
	/^events per probe:/ { on = 1; next }
	on && NF == 0 { on = 0 }
	on && $2 ~ /^[0-9]+$/ { seen = 1; if (lib[$1] != $2) bad++ }
	END { print name, m, (seen && !bad) ? "ok" : "differ" }' \
		"$tmp/stderr" "$tmp/stdout" >>"$tmp/exact"
}

# run MODE ARGS… runs rtwork ARGS in MODE; its go-test lines go to the
# mode's file; a failure is reported and costs the row, not the table.
run() {
	local m=$1 name
	shift
	local cmd=("$rtwork" "$@")
	if [[ $m != untraced ]]; then
		cmd=("$rttrace" trace --no-profile --sample "${sample[$m]}" \
			-- "${cmd[@]}")
	fi
	# librt counts every site it passes anyway; RT_STATS=1 prints them
	if ! RT_STATS=1 "${cmd[@]}" >"$tmp/stdout" 2>"$tmp/stderr" ||
		! grep -q '^Benchmark' "$tmp/stdout"; then
		echo "$0: failed: ${cmd[*]}" >&2
		grep -v '^rt-stats:' "$tmp/stderr" | tail -n 5 >&2
		rc=1
	fi
	grep '^Benchmark' "$tmp/stdout" >>"$out/trace-$m.txt" || true
	name=$(bench_nsop "$tmp/stdout" | awk '{ print $1; exit }')
	if [[ $m != untraced && -n $name ]]; then
		exact "$name" "$m"
	fi
}

while read -r ex param; do
	pargs=()
	[[ $param != - ]] && pargs=(--param "$param")
	for var in before after; do
		for ((r = 0; r < count; r++)); do
			for ((i = 0; i < 3; i++)); do
				run "${modes[(r + i) % 3]}" "$ex" "$var" "${pargs[@]}" \
					-benchtime "$btime"
			done
		done
	done
done < <(bench_exercises "$rtwork")

for m in "${modes[@]}"; do
	bench_nsop "$out/trace-$m.txt" | bench_median >"$tmp/$m.med"
done
# noise: each benchmark's untraced runs, (slowest - fastest) / median
bench_nsop "$out/trace-untraced.txt" | awk '
	{ if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2
	  if (!($1 in hi) || $2 > hi[$1]) hi[$1] = $2 }
	END { for (k in lo) print k, lo[k], hi[k] }' >"$tmp/range"
awk -v target=1.10 '
	FILENAME ~ /exact$/ { if ($3 != "ok") differ[$1, $2]++; next }
	FILENAME ~ /range$/ { lo[$1] = $2; hi[$1] = $3; next }
	FILENAME ~ /untraced.med$/ { u[$1] = $2; order[++k] = $1; next }
	FILENAME ~ /full.med$/ { f[$1] = $2; next }
	{ s[$1] = $2 }
	function ratio(a, n) {
		return ((n in a) && u[n] > 0) ? a[n] / u[n] : -1
	}
	function cell(v, fmt) { return v < 0 ? "-" : sprintf(fmt, v) }
	END {
		printf "%-34s %11s %11s %11s %8s %8s  %6s %s\n", "benchmark",
			"untraced", "full", "sampled", "full/", "sampled/",
			"noise", "totals"
		printf "%-34s %11s %11s %11s %8s %8s  %6s %s\n", "", "ns/op",
			"ns/op", "ns/op", "untraced", "untraced", "", "= librt"
		for (i = 1; i <= k; i++) {
			n = order[i]
			rf = ratio(f, n); rs = ratio(s, n)
			# * over the target beyond the noise, ~ within it
			nz = u[n] > 0 ? (hi[n] - lo[n]) / u[n] : 0
			flag = rs <= target ? "  " : (rs - 1 > nz ? " *" : " ~")
			d = differ[n, "full"] + differ[n, "sampled"]
			if (d) ndiffer++
			printf "%-34s %11.1f %11s %11s %8s %8s%s %5.0f%% %s\n", n,
				u[n], cell((n in f) ? f[n] : -1, "%.1f"),
				cell((n in s) ? s[n] : -1, "%.1f"),
				cell(rf, "%.2f"), cell(rs, "%.2f"), flag,
				100 * nz,
				d ? sprintf("%d runs differ", d) : "exact"
			if (rf > 0) { nf++; lf += log(rf) }
			if (rs > 0) {
				ns++; ls += log(rs)
				if (rs <= target) ok++
				else if (flag == " ~") noisy++
				if (rs > maxs) { maxs = rs; maxn = n }
			}
			if (rf > maxf) { maxf = rf; maxfn = n }
		}
		if (nf)
			printf "\nfull:    geomean %.2f, max %.2f (%s)\n",
				exp(lf / nf), maxf, maxfn
		if (ns)
			printf "sampled: geomean %.2f, max %.2f (%s); %d of %d" \
				" within %.2f, %d more within their noise (~), %d" \
				" over beyond it (*)\n", exp(ls / ns), maxs, maxn,
				ok, ns, target, noisy, ns - ok - noisy
		printf "totals:  %s\n", ndiffer ? ndiffer " rows where a traced" \
			" run'"'"'s per-probe counts differ from librt'"'"'s" : \
			"every traced run'"'"'s per-probe counts equal librt'"'"'s"
	}' "$tmp/exact" "$tmp/range" "$tmp/untraced.med" "$tmp/full.med" \
	"$tmp/sampled.med"
cat <<'NOTES'

notes: each traced run includes rttrace's set-up before the program
  starts (held at exec until every probe is attached) but not in its
  ns/op: rtwork times its own loop. Sampled mode keeps per-probe totals
  exact (each firing adds its n); histograms become 1-in-N samples.
  noise is (slowest - fastest) / median of the untraced runs: a ratio
  further from 1 than that is the tracer's, one within it may be the
  machine's. "totals = librt": in every traced run (full and sampled) the report's
  events per probe equal librt's own count of the sites it passed
  (RT_STATS=1, printed at exit).
  A row whose untraced ns/op is in the milliseconds (GC, STW, stack dumps)
  hardly fires probes per ns; the nanosecond rows (channels, boxing,
  defer, allocation) are where a probe's cost shows.
NOTES
echo "took ${SECONDS} s"
exit "$rc"
