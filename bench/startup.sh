#!/usr/bin/env bash
# Cold start of `keyward --version` next to `sops --version`, run alternately in one
# session so both see the same machine load. Prints the median of each and the ratio.
# Usage: bash bench/startup.sh [runs]   (default 21; needs `npm run build` and the rig)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-21}
rig=${KEYWARD_RIG_DIR:-$HOME/.cache/keyward-rig}
sops="$rig/bin/sops"
[ -x "$sops" ] || { echo "bench: $sops missing; run npm run rig" >&2; exit 1; }
[ -f dist/cli/launch.cjs ] || { echo "bench: dist/ missing; run npm run build" >&2; exit 1; }

# ms elapsed for one run of the given command (output discarded)
time_ms() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'; }

kw=() sp=() nd=()
for ((i = 0; i < runs; i++)); do
  kw+=("$(time_ms node dist/cli/launch.cjs --version)")
  sp+=("$(time_ms env SOPS_DISABLE_VERSION_CHECK=1 "$sops" --version)")
  nd+=("$(time_ms node -e 0)")
done
k=$(printf '%s\n' "${kw[@]}" | median)
s=$(printf '%s\n' "${sp[@]}" | median)
n=$(printf '%s\n' "${nd[@]}" | median)
echo "runs: $runs (median wall time, alternating)"
echo "keyward --version (node dist/cli/launch.cjs --version): ${k} ms"
echo "sops --version:                                         ${s} ms"
echo "node -e 0 (bare Node.js start, for reference):          ${n} ms"
awk -v k="$k" -v s="$s" -v n="$n" 'BEGIN { printf "ratio keyward/sops: %.2fx; keyward above bare node: %.1f ms\n", k/s, k-n }'
