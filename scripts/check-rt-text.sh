#!/usr/bin/env bash
# check-rt-text.sh OBJ... — fail if librt calls a function that the linker
# would place in the program's own .text.
#
# The preemption signal handler (runtime/preempt.c) treats a pc in .text as
# user code, safe to stop; librt's own code is moved to rt_text. A helper
# from libgcc.a (e.g. __popcountdi2 for __builtin_popcountll without
# -mpopcnt) is linked statically into .text, so a goroutine could be
# stopped inside it in the middle of a runtime operation. Such calls must
# not exist: write the operation inline instead.
set -euo pipefail
libgcc=$(${CC:-cc} -print-libgcc-file-name)
[[ -r $libgcc ]] || exit 0
bad=$(comm -12 \
	<(nm -u "$@" 2>/dev/null | awk 'NF == 2 {print $2}' | sort -u) \
	<(nm --defined-only "$libgcc" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TW]$/ {print $3}' | sort -u))
if [[ -n $bad ]]; then
	echo "rttrace: librt calls libgcc helpers that would be linked into .text and be preemptible: $(echo "$bad" | tr '\n' ' ')— inline them (see scripts/check-rt-text.sh)" >&2
	exit 1
fi
