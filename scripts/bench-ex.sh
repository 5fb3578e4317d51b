#!/usr/bin/env bash
# bench-ex.sh OUT — what `make bench-go` runs (and `make bench` after the
# microbenchmarks): the seed's fourteen exercises, before and after, in
# librt (OUT/rtwork all) and, when Debian's golang-1.19-go is installed, in
# Go (the peers in workloads/go/ex), then one table of both sides' ratios
# with the seed's claim and a verdict for each (OUT/rtwork compare).
#
# Outputs, kept for a later look or for `rtwork compare` by hand:
#   OUT/ex-librt.txt   rtwork all: go-test lines and a table per exercise
#   OUT/ex-go.txt      go test -bench output of workloads/go/ex
#
# Environment:
#   BENCH_COUNT=3    runs of each variant; the tables show the median
#   BENCH_TIME=1s    -benchtime for both sides (Go syntax: 1s, 500ms, 1000x)
#   RT_GO=/usr/lib/go-1.19/bin/go   the Go toolchain to compare with
#
# Go runs offline (GOPROXY=off, stdlib only) with its build cache under OUT,
# as scripts/bench.sh runs it. A variant that crashes on either side costs
# its row ("-"), not the table; the script then exits non-zero.
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
gobin=${RT_GO:-/usr/lib/go-1.19/bin/go}
rtwork=$out/rtwork

if [[ ! -x $rtwork ]]; then
	echo "$0: $rtwork missing: build it with \`make OUT=$1 $1/rtwork\`" >&2
	exit 2
fi

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "kernel:  $(uname -r)"
echo "cpus:    $(nproc) (${cpu:-unknown})"
echo "date:    $(date -u '+%F %T UTC')"
if [[ -x $gobin ]]; then
	echo "go:      $($gobin version | cut -d' ' -f3) ($gobin)"
else
	echo "go:      not installed ($gobin missing)"
fi
echo "runs:    -count $count -benchtime $btime (median shown)"
echo

rc=0
echo "== librt: $rtwork all -count $count -benchtime $btime"
"$rtwork" all -count "$count" -benchtime "$btime" | tee "$out/ex-librt.txt" ||
	rc=$?

if [[ ! -x $gobin ]]; then
	echo
	echo "Go not installed (\`sudo make deps\` installs golang-1.19-go):" \
		"librt's tables above are the whole report"
	exit "$rc"
fi

# Each exercise's Go benchmarks run in a process of their own, as rtwork
# runs each variant: in one process, ex12's million goroutines stay in
# allgs and every later runtime.Stack(all) (ex14) walks them.
echo
echo "== Go: workloads/go/ex"
gotest="$out/go-ex.test"
(
	cd "$root/workloads/go"
	GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
		GOCACHE="$out/go-cache" GOPATH="$out/gopath" \
		"$gobin" test -c -o "$gotest" ./ex/
) || rc=$?
: >"$out/ex-go.txt"
if [[ -x $gotest ]]; then
	for n in $(seq -w 1 14); do
		(cd "$root/workloads/go/ex" &&
			"$gotest" -test.run '^$' -test.bench "^BenchmarkEx$n\$" \
				-test.benchmem -test.benchtime "$btime" \
				-test.count "$count") | tee -a "$out/ex-go.txt" || rc=$?
	done
fi

echo
echo "== librt beside Go (medians of $count runs)"
"$rtwork" compare --go "$out/ex-go.txt" --librt "$out/ex-librt.txt" || rc=$?
exit "$rc"
