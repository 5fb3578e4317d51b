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
# One op is one site, so (x - b) per op is the cost of one hit, and
# (d - c) / (c - b) is rttrace's BPF work per hit over the bare floor.
# bench_probe reports wall-clock ns/op and cpu-ns/op, its process's CPU
# time per op: the trap or trampoline, the uprobe dispatch and the BPF
# program all run in the hitting thread and are charged to it, while the
# time a run waits for a CPU on a busy machine is not. Per-hit costs and the
# criterion are computed from cpu-ns/op (the wall figures are shown beside
# it, and the criterion from them too). The rows run round robin,
# BENCH_COUNT rounds, one process per run (bench_probe times inside itself:
# rttrace's start-up is not in the figures); the table shows medians.
# (c) to (g) need root (they load BPF); without it those rows read "-".
# bench/bare attaches the way rttrace does: uprobe_multi links when the
# kernel has them, or one uprobe per site with RTTRACE_NO_UPROBE_MULTI=1,
# which both honour.
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
echo "   $count rounds of -benchtime $btime, rows round robin, medians"

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
		# "BenchmarkProbeConvT64-1  N  X ns/op  Y cpu-ns/op"
		if ! awk -v w="$tmp/$k.wall" -v c="$tmp/$k.cpu" '
			/^BenchmarkProbeConvT64/ && $4 == "ns/op" && $6 == "cpu-ns/op" {
				print $3 >>w; print $5 >>c; n++
			}
			END { exit n ? 0 : 1 }' "$tmp/run.out"; then
			why[$k]="no benchmark line with cpu-ns/op"
		fi
	done
done

# median FILE prints the median of the values in FILE, or nothing
median() {
	[[ -s $1 ]] || return 0
	sort -g "$1" | awk '{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
declare -A cpu wall
for k in "${keys[@]}"; do
	if [[ -z ${why[$k]:-} ]]; then
		cpu[$k]=$(median "$tmp/$k.cpu")
		wall[$k]=$(median "$tmp/$k.wall")
	fi
done

# the unattached row a row's hits are measured from
unattached() { if [[ $1 == f || $1 == g ]]; then echo b1; else echo b; fi; }

printf '\n%-38s %10s %10s %12s %8s\n' "" "cpu-ns/op" "ns/op" \
	"per hit, ns" "x / (b)"
for k in "${keys[@]}"; do
	u=$(unattached "$k")
	if [[ -z ${cpu[$k]:-} ]]; then
		printf '%-38s %10s   %s\n' "${label[$k]}" "-" "${why[$k]:-}"
	elif [[ -z ${cpu[$u]:-} || -z ${cpu[b]:-} ]]; then
		printf '%-38s %10.2f %10.2f %12s %8s\n' "${label[$k]}" \
			"${cpu[$k]}" "${wall[$k]}" - -
	else
		awk -v l="${label[$k]}" -v x="${cpu[$k]}" -v w="${wall[$k]}" \
			-v u="${cpu[$u]}" -v b="${cpu[b]}" 'BEGIN {
			printf "%-38s %10.2f %10.2f %12.2f %7.2fx\n", l, x, w, x - u, x / b
		}'
	fi
done
echo "   per hit: cpu-ns/op minus (b)'s, or minus (b1)'s for the int3 rows"
echo "   (f, g); (a)'s is what passing an unattached site costs, negated."
echo "   x / (b): cpu-ns/op over (b)'s."

# criterion FULL BARE NAME prints (full - bare) / (bare - unattached) from
# cpu-ns/op, and from wall-clock ns/op in parentheses
criterion() {
	local u f
	u=$(unattached "$1")
	f="($1 - $2) / ($2 - $u)"
	if [[ -z ${cpu[$1]:-} || -z ${cpu[$2]:-} || -z ${cpu[$u]:-} ]]; then
		printf '%s, %s: not measured\n' "$3" "$f"
		return
	fi
	awk -v d="${cpu[$1]}" -v c="${cpu[$2]}" -v b="${cpu[$u]}" \
		-v dw="${wall[$1]}" -v cw="${wall[$2]}" -v bw="${wall[$u]}" \
		-v name="$3" -v f="$f" 'BEGIN {
		if (c - b <= 0 || cw - bw <= 0) {
			printf "%s: no attached cost to compare\n", name
			exit
		}
		r = (d - c) / (c - b)
		printf "%s, %s = %.1f / %.1f ns = %.1f %% (wall clock: %.1f %%; target <= 15 %%): %s\n",
			name, f, d - c, c - b, 100 * r, 100 * (dw - cw) / (cw - bw),
			r <= 0.15 ? "met" : "NOT met"
	}'
}
echo
criterion d c "BPF work per hit, full mode"
criterion g f "BPF work per hit, full mode, int3 path"
if [[ -n ${cpu[a]:-} && -n ${cpu[b]:-} ]]; then
	awk -v a="${cpu[a]}" -v b="${cpu[b]}" 'BEGIN {
		printf "unattached site: (b) / (a) = %.3f (%+.2f ns per site passed)\n", b / a, b - a
	}'
fi
