#!/usr/bin/env bash
# bench-probes0.sh OUT [NOPROBES_OUT] — what unattached probes cost: the
# fourteen exercises, before and after, in rtwork built with librt's probe
# sites (OUT/rtwork) and without them (`make PROBES=0`:
# NOPROBES_OUT/rtwork, default OUT/noprobes), nothing attached to either.
# One table: ns/op of each build, their ratio (target: within 1 %), and
# the run-to-run spread, which says how much of a ratio is noise.
#
# The two builds alternate run by run (probes, PROBES=0, PROBES=0, probes,
# …), each run a process of its own, so that drift of a shared machine
# falls on both alike; the table shows medians.
#
# Outputs: OUT/probes0-probes.txt, OUT/probes0-noprobes.txt (go-test lines).
# Environment: BENCH_COUNT (3), BENCH_TIME (300ms), BENCH_PARAM, BENCH_EX
# (scripts/bench-lib.sh).
set -euo pipefail

if (($# < 1 || $# > 2)); then
	echo "usage: $0 OUT [NOPROBES_OUT]" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$here/bench-lib.sh"
out=$(cd "$1" && pwd)
nout=${2:-$out/noprobes}
count=${BENCH_COUNT:-3}
btime=${BENCH_TIME:-300ms}
declare -A bin=([probes]=$out/rtwork [noprobes]=$nout/rtwork)

for b in "${bin[@]}"; do
	if [[ ! -x $b ]]; then
		echo "$0: $b missing: \`make all\` and \`make PROBES=0" \
			"OUT=$nout $nout/rtwork\` build the two" >&2
		exit 2
	fi
done
nout=$(cd "$nout" && pwd)
bin[noprobes]=$nout/rtwork

# stapsdt notes: the sites each build has (PROBES=0 must have none)
sites() { readelf -n "$1" 2>/dev/null | grep -c 'NT_STAPSDT' || true; }

SECONDS=0
bench_header "unattached probes: librt with probe sites vs PROBES=0"
echo "builds:  ${bin[probes]} ($(sites "${bin[probes]}") probe sites)," \
	"${bin[noprobes]} ($(sites "${bin[noprobes]}") probe sites)"
echo "runs:    -count $count -benchtime $btime, alternating, one process" \
	"each (median shown)"
echo

rc=0
for m in probes noprobes; do : >"$out/probes0-$m.txt"; done
while read -r ex param; do
	pargs=()
	[[ $param != - ]] && pargs=(--param "$param")
	for var in before after; do
		for ((r = 1; r <= count; r++)); do
			order=(probes noprobes)
			((r % 2)) || order=(noprobes probes)
			for m in "${order[@]}"; do
				"${bin[$m]}" "$ex" "$var" "${pargs[@]}" \
					-benchtime "$btime" >>"$out/probes0-$m.txt" ||
					{
						echo "$0: ${bin[$m]} $ex $var ${pargs[*]} failed" >&2
						rc=1
					}
			done
		done
	done
done < <(bench_exercises "${bin[probes]}")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in probes noprobes; do
	bench_nsop "$out/probes0-$m.txt" | sed "s/^/$m /"
done >"$tmp/all"
# spread: (max - min) / median over both builds' runs of a benchmark
awk '{ print $2, $3 }' "$tmp/all" | bench_median >"$tmp/both.med"
for m in probes noprobes; do
	awk -v m="$m" '$1 == m { print $2, $3 }' "$tmp/all" | bench_median \
		>"$tmp/$m.med"
done
# range: each benchmark's fastest and slowest run, of both builds and of each
awk '
	function lohi(k, v) {
		if (!(k in lo) || v < lo[k]) lo[k] = v
		if (!(k in hi) || v > hi[k]) hi[k] = v
	}
	{ lohi($2, $3); lohi($2 SUBSEP $1, $3) }
	END {
		for (k in lo) {
			split(k, p, SUBSEP)
			if (p[2] == "") print p[1], "all", lo[k], hi[k]
			else print p[1], p[2], lo[k], hi[k]
		}
	}' "$tmp/all" >"$tmp/range"

awk -v target=0.01 '
	FILENAME ~ /range$/ { lo[$1, $2] = $3; hi[$1, $2] = $4; next }
	FILENAME ~ /both.med$/ { med[$1] = $2; next }
	FILENAME ~ /noprobes.med$/ { np[$1] = $2; next }
	{ p[$1] = $2; order[++k] = $1 }
	END {
		printf "%-34s %12s %12s %9s %9s %7s\n", "benchmark", "probes",
			"PROBES=0", "probes/", "fastest", "spread"
		printf "%-34s %12s %12s %9s %9s %7s\n", "", "ns/op", "ns/op",
			"PROBES=0", "ratio", ""
		for (i = 1; i <= k; i++) {
			n = order[i]
			if (!(n in np) || np[n] <= 0) {
				printf "%-34s %12.1f %12s %9s\n", n, p[n], "-", "-"
				continue
			}
			r = p[n] / np[n]
			rmin = lo[n, "probes"] / lo[n, "noprobes"]
			s = med[n] > 0 ? (hi[n, "all"] - lo[n, "all"]) / med[n] : 0
			# * beyond 1 % and beyond the noise; ~ beyond 1 % but
			# within the noise: this machine cannot tell
			off = r > 1 + target || r < 1 - target
			flag = !off ? "" : ((r - 1 > s || 1 - r > s) ? " *" : " ~")
			printf "%-34s %12.1f %12.1f %9.3f %9.3f %6.0f%%%s\n", n,
				p[n], np[n], r, rmin, 100 * s, flag
			rows++; lsum += log(r)
			if (!off) within++
			else if (flag == " ~") noisy++
			if (r > max) { max = r; maxn = n }
		}
		if (rows)
			printf "\n%d of %d within 1 %%, %d more within their noise" \
				" (~), %d beyond it (*); geomean %.3f, max %.3f (%s)\n",
				within, rows, noisy, rows - within - noisy,
				exp(lsum / rows), max, maxn
	}' "$tmp/range" "$tmp/both.med" "$tmp/noprobes.med" "$tmp/probes.med"
cat <<'NOTES'

notes: probes/PROBES=0 is the ratio of the medians; "fastest ratio" that
  of each build's fastest run, the least disturbed by a shared machine.
  spread is (slowest - fastest) / median over every run of the row, both
  builds: a ratio further from 1 than the spread is a difference, one
  within it is noise. An unattached site costs a load of its semaphore
  and a branch not taken; the nop, the arguments and the sampling
  countdown sit behind it (runtime/probes.h). Both builds count every
  site passed (RT_STATS), so the counting is not in the ratio.
NOTES
echo "took ${SECONDS} s"
exit "$rc"
