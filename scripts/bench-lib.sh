# shellcheck shell=bash
# bench-lib.sh — what the tracer's benchmark scripts share (sourced by
# bench-trace.sh, bench-probes0.sh and bench-tracer.sh, never run):
#
#   bench_header TITLE   the machine: kernel, CPU, date (as bench.sh prints)
#   bench_exercises RTWORK
#                        "exNN PARAM" per line, PARAM the first value of
#                        the exercise's sweep ("-" when it has none), or
#                        every value with BENCH_PARAM=all
#   bench_nsop FILE      "name ns/op" for each Benchmark line of a go-test
#                        output (the -N GOMAXPROCS suffix dropped)
#   bench_median         reads "key value" lines, prints "key median" in
#                        first-seen order
#
# The environment every script takes (set by the caller or `make bench`):
#   BENCH_COUNT   runs of each measurement; the tables show the median
#   BENCH_TIME    rtwork's -benchtime (Go syntax: 1s, 300ms, 1000x)
#   BENCH_PARAM   first (default): each exercise's first parameter only;
#                 all: every parameter of its sweep
#   BENCH_EX      exercises to run, e.g. "ex01 ex11" (default: all 14)

bench_header() {
	local cpu
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "== $1"
	echo "kernel:  $(uname -r)"
	echo "cpus:    $(nproc) (${cpu:-unknown})"
	echo "date:    $(date -u '+%F %T UTC')"
}

bench_exercises() {
	local want=" ${BENCH_EX:-} "
	"$1" list | awk -v all="${BENCH_PARAM:-first}" -v want="$want" '
	{
		id = $1
		if (want !~ /^ *$/ && index(want, " " id " ") == 0) next
		# id, title (spaces), sweep (no spaces), "seed: claim"
		line = $0
		sub(/ +seed:.*$/, "", line)
		n = split(line, w, " ")
		k = split(w[n], p, ",")
		if (all != "all") k = 1
		for (i = 1; i <= k; i++) print id, p[i]
	}'
}

bench_nsop() {
	awk '/^Benchmark/ {
		name = $1
		sub(/^Benchmark/, "", name)
		sub(/-[0-9]+$/, "", name)
		for (i = 3; i <= NF; i++)
			if ($i == "ns/op") { print name, $(i - 1); break }
	}' "$1"
}

bench_median() {
	awk '
	{
		if (!($1 in n)) order[++k] = $1
		v[$1, ++n[$1]] = $2 + 0
	}
	END {
		for (o = 1; o <= k; o++) {
			key = order[o]; c = n[key]
			for (a = 1; a <= c; a++) s[a] = v[key, a]
			for (a = 2; a <= c; a++)
				for (b = a; b > 1 && s[b-1] > s[b]; b--) {
					t = s[b]; s[b] = s[b-1]; s[b-1] = t
				}
			printf "%s %.6g\n", key, (c % 2) ? s[(c+1)/2] : (s[c/2] + s[c/2+1]) / 2
		}
	}'
}

# bench_need_root_and SCRIPT OUT BINARY...: a tracing section needs root
# (it says "skipped" and ends the script with 0 without it, so make bench
# goes on) and the binaries `make all` builds (exit 2 if one is missing).
bench_need_root_and() {
	local script=$1 outarg=$2 b
	shift 2
	if ((EUID != 0)); then
		echo "skipped: rttrace needs root (sudo make bench, or sudo $script $outarg)"
		exit 0
	fi
	for b in "$@"; do
		if [[ ! -x $b ]]; then
			echo "$script: $b missing: \`make all\` builds it" >&2
			exit 2
		fi
	done
}
