#!/usr/bin/env bash
# bench.sh OUT — what `make bench` runs: librt's scheduler benchmarks
# (OUT/bench_sched) and, when Debian's golang-1.19-go is installed, their Go
# peers (workloads/go), then one table of both.
#
# Environment:
#   BENCH_COUNT=3    runs of each benchmark; the table shows the median
#   BENCH_TIME=1s    -benchtime for both sides (Go syntax: 1s, 500ms, 1000x)
#   BENCH=.          -bench regex for both sides
#   RT_GO=/usr/lib/go-1.19/bin/go   the Go toolchain to compare with
#
# Go runs offline (GOPROXY=off, stdlib only) with its build cache under OUT.
# Go prints every benchmark with the -cpu suffix in force when it starts
# (GOMAXPROCS, here nproc), even PingPong1P, which sets GOMAXPROCS(1) inside;
# librt's suffix is the GOMAXPROCS the benchmark actually ran with. The
# table pairs them by name without the suffix.
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 OUT" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$(cd "$1" && pwd)
count=${BENCH_COUNT:-3}
btime=${BENCH_TIME:-1s}
pattern=${BENCH:-.}
gobin=${RT_GO:-/usr/lib/go-1.19/bin/go}

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "kernel:  $(uname -r)"
echo "cpus:    $(nproc) (${cpu:-unknown})"
echo "date:    $(date -u '+%F %T UTC')"
echo "runs:    -count $count -benchtime $btime -bench '$pattern' (median shown)"
echo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rc=0
echo "== librt: $out/bench_sched"
"$out/bench_sched" -bench "$pattern" -benchtime "$btime" -count "$count" |
	tee "$tmp/librt.txt" || rc=$?

have_go=0
if [[ -x $gobin ]]; then
	have_go=1
	echo
	echo "== Go: $($gobin version | cut -d' ' -f3), workloads/go"
	(
		cd "$root/workloads/go"
		GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
			GOCACHE="$out/go-cache" GOPATH="$out/gopath" \
			"$gobin" test -bench "$pattern" -benchmem -run '^$' \
			-benchtime "$btime" -count "$count"
	) | tee "$tmp/go.txt" || rc=$?
else
	echo
	echo "Go not installed ($gobin missing; \`sudo make deps\` installs" \
		"golang-1.19-go): librt figures only"
fi

# medians FILE prints "name median_ns_per_op" for each Benchmark line.
medians() {
	awk '
	/^Benchmark/ && $4 == "ns/op" {
		name = $1
		sub(/^Benchmark/, "", name)
		sub(/-[0-9]+$/, "", name)
		if (!(name in n)) order[++k] = name
		v[name, ++n[name]] = $3
	}
	END {
		for (i = 1; i <= k; i++) {
			name = order[i]; c = n[name]
			for (a = 1; a <= c; a++) s[a] = v[name, a] + 0
			for (a = 2; a <= c; a++)
				for (b = a; b > 1 && s[b-1] > s[b]; b--) {
					t = s[b]; s[b] = s[b-1]; s[b-1] = t
				}
			m = (c % 2) ? s[(c+1)/2] : (s[c/2] + s[c/2+1]) / 2
			print name, m
		}
	}' "$1"
}

echo
medians "$tmp/librt.txt" >"$tmp/librt.med"
if ((have_go)); then
	medians "$tmp/go.txt" >"$tmp/go.med"
	printf '%-20s %14s %14s %12s\n' benchmark "librt ns/op" "Go ns/op" \
		"librt/Go"
	awk '
	NR == FNR { go[$1] = $2; gorder[++gk] = $1; next }
	{ rt[$1] = $2; order[++k] = $1 }
	function row(name,   l, g, r) {
		l = (name in rt) ? sprintf("%.1f", rt[name]) : "-"
		g = (name in go) ? sprintf("%.1f", go[name]) : "-"
		r = "-"
		if (name in rt && name in go && go[name] > 0)
			r = sprintf("%.2fx", rt[name] / go[name])
		printf "%-20s %14s %14s %12s\n", name, l, g, r
	}
	END {
		for (i = 1; i <= k; i++) row(order[i])
		for (i = 1; i <= gk; i++) if (!(gorder[i] in rt)) row(gorder[i])
	}' "$tmp/go.med" "$tmp/librt.med"
	cat <<'NOTES'

notes: PingPong on librt goes through workloads/pchan.h (an unbuffered
  one-to-one hand-off on rt_gopark/rt_goready; librt has no chan.c yet),
  lighter than Go's hchan path (lock, sudog, typed copy). Go's
  GoroutineCreate allocates its closure (16 B/op); rt_go takes fn + arg.
NOTES
else
	printf '%-20s %14s\n' benchmark "librt ns/op"
	awk '{ printf "%-20s %14.1f\n", $1, $2 }' "$tmp/librt.med"
fi
exit "$rc"
