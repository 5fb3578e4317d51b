#!/usr/bin/env bash
# deps.sh — install the Debian packages rttrace needs, only those missing.
#
# Idempotent: when everything is installed it prints nothing and returns in a
# few milliseconds (one dpkg-query call), so every `make` can run it. When
# something is missing it runs `apt-get update` once and installs only the
# missing packages; without root it names them and fails.
#
# golang-1.19-go is for `make bench`'s Go peers (workloads/go) and for the
# test that `go tool pprof` reads rttrace's profiles; protobuf-c encodes
# those profiles (profile.proto); chromium renders the flamegraph SVG and
# the HTML report in a headless test; prometheus (promtool and a real
# server) checks and scrapes `rttrace --serve`. libclang-rt-14-dev holds
# libFuzzer and the sanitizers' runtimes for `make fuzz` (clang-14 only
# recommends it, and recommends are not installed here).
set -euo pipefail

PKGS=(
	clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev check
	systemtap-sdt-dev pkg-config libdw-dev make gcc
	golang-1.19-go
	libprotobuf-c-dev protobuf-c-compiler libclang-rt-14-dev
	chromium prometheus
)

# missing_pkgs prints the packages of PKGS that dpkg does not have installed
# (a removed package whose config files remain, "rc", counts as missing).
missing_pkgs() {
	local installed
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' \
		"${PKGS[@]}" 2>/dev/null | awk '$2 == "ii" { print $1 }') || true
	local p
	for p in "${PKGS[@]}"; do
		if ! grep -qxF -- "$p" <<<"$installed"; then
			printf '%s\n' "$p"
		fi
	done
}

mapfile -t missing < <(missing_pkgs)
if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID != 0)); then
	echo "rttrace: missing packages: ${missing[*]}; run \`sudo make deps\`" >&2
	exit 1
fi

echo "rttrace: installing missing packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Fail loudly if apt-get left something out (a renamed package, say).
mapfile -t still < <(missing_pkgs)
if ((${#still[@]} != 0)); then
	echo "rttrace: still missing after apt-get install: ${still[*]}" >&2
	exit 1
fi
