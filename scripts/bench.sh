#!/usr/bin/env bash
# bench.sh OUT — what `make bench` runs: librt's scheduler, memory and
# channel/timer benchmarks (OUT/bench_sched, OUT/bench_mem, OUT/bench_chan)
# and, when Debian's golang-1.19-go is installed, their Go peers
# (workloads/go), then one table of both: ns/op, and B/op and allocs/op
# where both sides report them; then the extra metrics (pause-ns/op) in a
# second table.
#
# Environment:
#   BENCH_COUNT=3    runs of each benchmark; the table shows the median
#   BENCH_TIME=1s    -benchtime for both sides (Go syntax: 1s, 500ms, 1000x)
#   BENCH=.          regex on the names (without "Benchmark") to run
#   RT_GO=/usr/lib/go-1.19/bin/go   the Go toolchain to compare with
#
# Go runs offline (GOPROXY=off, stdlib only) with its build cache under
# OUT; its test binary is OUT/go-bench.test. The two sides alternate,
# benchmark by benchmark (see below).
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
echo "runs:    $count rounds, each benchmark librt then Go, -benchtime $btime, names matching '$pattern' (median shown)"
echo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rc=0
# Go's peers are compiled once, then run like librt's programs.
have_go=0
gotest=$out/go-bench.test
if [[ -x $gobin ]]; then
	if (
		cd "$root/workloads/go"
		GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
			GOCACHE="$out/go-cache" GOPATH="$out/gopath" \
			"$gobin" test -c -o "$gotest" .
	); then
		have_go=1
	else
		rc=1
	fi
else
	echo "Go not installed ($gobin missing; \`sudo make deps\` installs" \
		"golang-1.19-go): librt figures only"
	echo
fi

# The two sides alternate benchmark by benchmark: each round runs every
# benchmark once (-count 1) in librt, then at once its Go peer, each in a
# process of its own (librt's harness forks one per run anyway; a Go
# process per benchmark also keeps GC64MiB's 64 MiB list from staying live
# under every Go benchmark after it). The machine's load drifts (a shared
# VM), and a ratio of medians means more when both sides of each pair ran
# seconds apart than when one side ran all its rounds first.
names=()
for prog in bench_sched bench_mem bench_chan; do
	while read -r n; do
		n=${n#Benchmark}
		if [[ $n =~ $pattern ]]; then
			names+=("$prog $n")
		fi
	done < <("$out/$prog" -list .)
done
if ((have_go)); then
	# Go benchmarks with no librt peer still get their row
	while read -r n; do
		n=${n#Benchmark}
		[[ $n =~ $pattern ]] || continue
		for e in "${names[@]}"; do
			[[ ${e#* } == "$n" ]] && continue 2
		done
		names+=("- $n")
	done < <(cd "$root/workloads/go" && "$gotest" -test.list '^Benchmark')
fi

# one_run SIDE FILE DIR CMD...: run CMD in DIR, keep its Benchmark and
# FAIL lines in FILE, show them prefixed with SIDE.
one_run() {
	local side=$1 file=$2 dir=$3
	shift 3
	(cd "$dir" && "$@") >"$tmp/one" 2>&1 || rc=1
	grep -E '^(Benchmark|--- FAIL|FAIL)' "$tmp/one" | tee -a "$file" |
		sed "s/^/$side /" || true
}

: >"$tmp/librt.txt"
: >"$tmp/go.txt"
for ((round = 1; round <= count; round++)); do
	if ((have_go)); then
		echo "== round $round of $count: librt ($out/bench_*), then" \
			"Go ($($gobin version | cut -d' ' -f3), workloads/go)"
	else
		echo "== round $round of $count: librt ($out/bench_*)"
	fi
	for e in "${names[@]}"; do
		prog=${e%% *} name=${e#* }
		if [[ $prog != - ]]; then
			one_run "librt" "$tmp/librt.txt" "$out" "$out/$prog" \
				-bench "^$name\$" -benchtime "$btime" -count 1
		fi
		if ((have_go)); then
			one_run "Go   " "$tmp/go.txt" "$root/workloads/go" \
				"$gotest" -test.bench "^Benchmark$name\$" \
				-test.benchmem -test.run '^$' \
				-test.benchtime "$btime" -test.count 1
		fi
	done
done

# medians FILE prints "name unit median" for each unit of each Benchmark
# line (ns/op, B/op, allocs/op, and any b.ReportMetric unit), in order.
medians() {
	awk '
	/^Benchmark/ {
		name = $1
		sub(/^Benchmark/, "", name)
		sub(/-[0-9]+$/, "", name)
		if (!(name in seen)) { seen[name] = 1; order[++k] = name }
		for (i = 3; i < NF; i += 2) {
			key = name SUBSEP $(i + 1)
			if (!(key in n)) units[name] = units[name] " " $(i + 1)
			v[key, ++n[key]] = $i
		}
	}
	END {
		for (o = 1; o <= k; o++) {
			name = order[o]
			nu = split(units[name], us, " ")
			for (u = 1; u <= nu; u++) {
				key = name SUBSEP us[u]; c = n[key]
				for (a = 1; a <= c; a++) s[a] = v[key, a] + 0
				for (a = 2; a <= c; a++)
					for (b = a; b > 1 && s[b-1] > s[b]; b--) {
						t = s[b]; s[b] = s[b-1]; s[b-1] = t
					}
				m = (c % 2) ? s[(c+1)/2] : (s[c/2] + s[c/2+1]) / 2
				print name, us[u], m
			}
		}
	}' "$1"
}

echo
medians "$tmp/librt.txt" >"$tmp/librt.med"
if ((have_go)); then
	medians "$tmp/go.txt" >"$tmp/go.med"
	awk '
	NR == FNR {
		go[$1, $2] = $3
		if (!($1 in gseen)) { gseen[$1] = 1; gorder[++gk] = $1 }
		next
	}
	{
		rt[$1, $2] = $3
		if (!($1 in rseen)) { rseen[$1] = 1; order[++k] = $1 }
	}
	function val(a, name, unit, fmt) {
		return ((name, unit) in a) ? sprintf(fmt, a[name, unit]) : "-"
	}
	function row(name,   r) {
		r = "-"
		if ((name, "ns/op") in rt && (name, "ns/op") in go && go[name, "ns/op"] > 0)
			r = sprintf("%.2fx", rt[name, "ns/op"] / go[name, "ns/op"])
		printf "%-18s %13s %13s %9s %9s %9s %7s %7s\n", name,
			val(rt, name, "ns/op", "%.1f"), val(go, name, "ns/op", "%.1f"), r,
			val(rt, name, "B/op", "%d"), val(go, name, "B/op", "%d"),
			val(rt, name, "allocs/op", "%d"), val(go, name, "allocs/op", "%d")
	}
	# units other than the standard ones, one row per (benchmark, unit)
	function extras(name,   key, parts, u) {
		for (key in rt) {
			split(key, parts, SUBSEP)
			if (parts[1] != name) continue
			u = parts[2]
			if (u == "ns/op" || u == "B/op" || u == "allocs/op") continue
			printf "%-18s %-14s %13s %13s\n", name, u,
				val(rt, name, u, "%.0f"), val(go, name, u, "%.0f")
		}
	}
	END {
		printf "%-18s %13s %13s %9s %9s %9s %7s %7s\n", "benchmark",
			"librt ns/op", "Go ns/op", "librt/Go", "librt B", "Go B",
			"librt", "Go"
		printf "%-18s %13s %13s %9s %9s %9s %7s %7s\n", "", "", "", "",
			"/op", "/op", "allocs", "allocs"
		for (i = 1; i <= k; i++) row(order[i])
		for (i = 1; i <= gk; i++) if (!(gorder[i] in rseen)) row(gorder[i])
		printf "\n%-18s %-14s %13s %13s\n", "benchmark", "metric", "librt", "Go"
		for (i = 1; i <= k; i++) extras(order[i])
	}' "$tmp/go.med" "$tmp/librt.med"
	cat <<'NOTES'

notes: PingPong1P/2P and ChanPingPong use unbuffered channels on both
  sides (rt_chan in librt). SelectDefaultEmpty is selectnbrecv in Go and
  rt_chan_tryrecv in librt. AfterLoop leaves a 5 s timer per op in the
  heap on both sides (Go 1.19; librt without RT_TIMER_GC=1). Go's
  GoroutineCreate allocates its closure (16 B/op); rt_go takes fn + arg.
  librt's scheduler benchmarks do not count allocations ("-"). B/op and
  allocs/op come from ReadMemStats at timer start and stop on both sides
  (-benchmem; rt_read_memstats), integer-divided by N as Go does.
NOTES
else
	printf '%-20s %-12s %14s\n' benchmark unit librt
	awk '{ printf "%-20s %-12s %14.1f\n", $1, $2, $3 }' "$tmp/librt.med"
fi
exit "$rc"
