#!/usr/bin/env bash
# bench-probe.sh OUT [NOPROBES_OUT] — what `make bench` runs for issue 8's
# "BPF work per hit <= 15 % over the bare attached-probe cost": one loop
# that passes one librt probe site per op (OUT/bench_probe: rt_convT64 of
# a small value, rt:convT), timed in the same run under every way of
# building and attaching it:
#
#   (a) NOPROBES_OUT/bench_probe   probes compiled out (make PROBES=0)
#   (b) OUT/bench_probe            compiled in, not attached
#   (c) OUT/bench/bare -- (b)      an empty BPF program on every site: the
#                                  bare attached-probe floor (5-byte nop,
#                                  the kernel's trampoline call)
#   (d) rttrace trace --no-profile --sample off -- (b)     full mode
#   (e) rttrace trace --no-profile --sample auto -- (b)    sampled mode
#   (b1) OUT/nop1/bench_probe      1-byte-nop sites, not attached
#   (f) OUT/bench/bare -- (b1)     the int3 path's floor
#   (g) rttrace trace --no-profile --sample off -- (b1)    int3, full mode
#
# One op is one site, so (x - b) ns/op is the cost of one hit, and
# (d - c) / (c - b) is rttrace's BPF work per hit over the bare floor.
# The rows run round robin, BENCH_COUNT rounds, one process per run
# (bench_probe times inside itself: rttrace's start-up is not in ns/op);
# the table shows each row's median and minimum, and the criterion is
# computed from both (on a busy machine noise only adds time, so the
# minima are the steadier figure). (c) to (g) need root (they load BPF); without
# it those rows read "-". bench/bare attaches the way rttrace does:
# uprobe_multi links when the kernel has them, or one uprobe per site with
# RTTRACE_NO_UPROBE_MULTI=1, which both honour.
#
# Environment:
#   BENCH_COUNT=5    rounds
#   BENCH_TIME=1s    -benchtime of each run
set -euo pipefail

if (($# < 1 || $# > 2)); then
	echo "usage: $0 OUT [NOPROBES_OUT]" >&2
	exit 2
fi
out=$(cd "$1" && pwd)
noprobes=${2:+$(cd "$2" && pwd)}
count=${BENCH_COUNT:-5}
btime=${BENCH_TIME:-1s}
limit=600 # seconds per run, a backstop

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

prog=$out/bench_probe
prog1=$out/nop1/bench_probe
rttrace=$out/rttrace
bare=$out/bench/bare
root=0
(($(id -u) == 0)) && root=1

# rows: key, label, needs root, command (the benchmark's flags follow)
keys=(a b c d e b1 f g)
declare -A label cmd needroot
label[a]="(a) probes compiled out (PROBES=0)"
label[b]="(b) compiled in, not attached"
label[c]="(c) empty BPF program, 5-byte nop"
label[d]="(d) rttrace, full (--sample off)"
label[e]="(e) rttrace, sampled (--sample auto)"
label[b1]="(b1) 1-byte nop, not attached"
label[f]="(f) empty BPF program, int3"
label[g]="(g) rttrace full, int3"
cmd[a]="${noprobes:+$noprobes/bench_probe}"
cmd[b]="$prog"
cmd[c]="$bare -- $prog"
cmd[d]="$rttrace trace --no-profile --sample off -- $prog"
cmd[e]="$rttrace trace --no-profile --sample auto -- $prog"
cmd[b1]="$prog1"
cmd[f]="$bare -- $prog1"
cmd[g]="$rttrace trace --no-profile --sample off -- $prog1"
for k in c d e f g; do needroot[$k]=1; done

echo
echo "== probe cost: BenchmarkProbeConvT64 ($prog), one rt:convT site per op"
echo "   $count rounds of -benchtime $btime, rows round robin: median and minimum"

declare -A why
for ((i = 1; i <= count; i++)); do
	for k in "${keys[@]}"; do
		[[ -n ${why[$k]:-} ]] && continue
		if [[ -z ${cmd[$k]} || ! -x ${cmd[$k]%% *} ]]; then
			why[$k]="not built: ${cmd[$k]%% *}"
			continue
		fi
		if [[ -n ${needroot[$k]:-} ]] && ((!root)); then
			why[$k]="needs root"
			continue
		fi
		# shellcheck disable=SC2086  # cmd holds words on purpose
		if ! timeout --kill-after=10 "$limit" ${cmd[$k]} \
			-benchtime "$btime" -count 1 >"$tmp/run.out" \
			2>"$tmp/run.err"; then
			why[$k]="failed: $(grep -v '^$' "$tmp/run.err" |
				tail -n 1 | cut -c1-100)"
			continue
		fi
		if ! awk '/^BenchmarkProbeConvT64/ { print $3; n++ }
			END { exit n ? 0 : 1 }' "$tmp/run.out" >>"$tmp/$k"; then
			why[$k]="no benchmark line"
		fi
	done
done

# stat FILE median|min prints that statistic of the values in FILE
stat() {
	[[ -s $1 ]] || return 0
	sort -g "$1" | awk -v s="$2" '{ v[NR] = $1 }
		END {
			if (s == "min") print v[1]
			else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}
declare -A med low
for k in "${keys[@]}"; do
	if [[ -z ${why[$k]:-} ]]; then
		med[$k]=$(stat "$tmp/$k" median)
		low[$k]=$(stat "$tmp/$k" min)
	fi
done

# the unattached row a row's hits are measured from
unattached() { [[ $1 == f || $1 == g ]] && echo b1 || echo b; }

printf '\n%-38s %10s %10s %12s %8s\n' "" "ns/op" "min ns/op" \
	"per hit, ns" "x / (b)"
for k in "${keys[@]}"; do
	u=$(unattached "$k")
	if [[ -z ${med[$k]:-} ]]; then
		printf '%-38s %10s   %s\n' "${label[$k]}" "-" "${why[$k]:-}"
	elif [[ -z ${med[$u]:-} || -z ${med[b]:-} ]]; then
		printf '%-38s %10.2f %10.2f %12s %8s\n' "${label[$k]}" \
			"${med[$k]}" "${low[$k]}" - -
	else
		awk -v l="${label[$k]}" -v x="${med[$k]}" -v m="${low[$k]}" \
			-v u="${med[$u]}" -v b="${med[b]}" 'BEGIN {
			printf "%-38s %10.2f %10.2f %12.2f %7.2fx\n", l, x, m, x - u, x / b
		}'
	fi
done
echo "   per hit: median ns/op minus (b)'s, or minus (b1)'s for the int3 rows"
echo "   (f, g); (a)'s is what passing an unattached site costs, negated."

# criterion FULL BARE NAME prints (full - bare) / (bare - unattached), from
# the medians and from the minima (noise only ever adds time)
criterion() {
	local u f
	u=$(unattached "$1")
	f="($1 - $2) / ($2 - $u)"
	if [[ -z ${med[$1]:-} || -z ${med[$2]:-} || -z ${med[$u]:-} ]]; then
		printf '%s, %s: not measured\n' "$3" "$f"
		return
	fi
	awk -v d="${med[$1]}" -v c="${med[$2]}" -v b="${med[$u]}" \
		-v dl="${low[$1]}" -v cl="${low[$2]}" -v bl="${low[$u]}" \
		-v name="$3" -v f="$f" 'BEGIN {
		if (c - b <= 0 || cl - bl <= 0) {
			printf "%s: no attached cost to compare\n", name
			exit
		}
		r = (d - c) / (c - b)
		rl = (dl - cl) / (cl - bl)
		printf "%s, %s = %.1f / %.1f ns = %.1f %% (minima: %.1f %%; target <= 15 %%): %s\n",
			name, f, d - c, c - b, 100 * r, 100 * rl,
			r <= 0.15 ? "met" : "NOT met"
	}'
}
echo
criterion d c "BPF work per hit, full mode"
criterion g f "BPF work per hit, full mode, int3 path"
if [[ -n ${med[a]:-} && -n ${med[b]:-} ]]; then
	awk -v a="${med[a]}" -v b="${med[b]}" 'BEGIN {
		printf "unattached site: (b) / (a) = %.3f (%+.2f ns per site passed)\n", b / a, b - a
	}'
fi
