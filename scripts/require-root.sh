#!/usr/bin/env bash
# require-root.sh WHAT — fail with one clear line unless running as root.
# Loading BPF programs and attaching uprobes needs root (CAP_BPF+CAP_PERFMON
# at least); we ask for root rather than guess at capabilities.
set -euo pipefail

what=${1:-this}
if ((EUID != 0)); then
	echo "rttrace: $what needs root (BPF): run it with sudo" >&2
	exit 1
fi
