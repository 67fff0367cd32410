#!/usr/bin/env bash
# keyward next to the real sops on the same files, in one session: whole-process wall time and
# peak RSS of `encrypt` and `decrypt` for a ~1 KB and a ~5 MB (~50,000 leaves) YAML file.
# Runs alternate (keyward first on even runs, sops first on odd ones) so both see the same load.
# Each run goes through `/usr/bin/time -f '%e %M'`: peak RSS is its %M; wall time is taken with a
# nanosecond clock around the same invocation because %e has only 10 ms resolution (the %e median is
# printed next to it in the progress lines as a cross-check).
# Inputs are generated deterministically by bench/sops-gen.mjs into a temp dir and encrypted once
# by sops (input of the decrypt cases) and once by keyward (input of "decrypt keyward-encrypted").
# Before timing, every decrypt case is run once with both tools and the outputs are compared.
# user+system CPU time (%U+%S) is recorded too: it is less sensitive than wall time to other load.
# The remote-key cases decrypt the small file through a kms key (the rig's local-kms) and through an
# hc_vault key (the rig's Vault API dev server), both started here by bench/remote-rig.sh.
# Usage: bash bench/sops.sh [large-runs] [small-runs]   (default 7 and 21; needs `npm run build`
#        and the rig; /usr/bin/time comes from `apt-get install -y time`)
# KEYWARD_CLI=/path/to/dist/cli/launch.cjs (the installed command; default) or .../main.js benchmarks another build (e.g. a snapshot of a commit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
runs_large=${1:-7}
runs_small=${2:-21}
rig=${KEYWARD_RIG_DIR:-$HOME/.cache/keyward-rig}
sops="$rig/bin/sops"
key="$root/examples/dev-age-key.txt"
recipient=age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04
[ -x "$sops" ] || { echo "bench: $sops missing; run npm run rig" >&2; exit 1; }
cli=${KEYWARD_CLI:-$root/dist/cli/launch.cjs}
[ -f "$cli" ] || { echo "bench: $cli missing; run npm run build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing; apt-get install -y time" >&2; exit 1; }

export SOPS_CONFIG=/dev/null SOPS_DISABLE_VERSION_CHECK=1 SOPS_AGE_KEY_FILE="$key"
unset SOPS_AGE_KEY SOPS_AGE_RECIPIENTS SOPS_PGP_FP 2>/dev/null || true
kw=(node "$cli")
sp=("$sops")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/keyward-bench-sops.XXXXXX")
# shellcheck source=bench/remote-rig.sh
source bench/remote-rig.sh
trap 'stop_remote_rig; rm -rf "$tmp"' EXIT
start_remote_rig

echo "keyward: $cli; node $(node --version); $("$sops" --version 2>/dev/null | head -1); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in small large; do
  node bench/sops-gen.mjs "$size" "$tmp/$size.yaml"
  "${sp[@]}" encrypt --age "$recipient" "$tmp/$size.yaml" >"$tmp/$size.sops-enc.yaml"
  "${kw[@]}" encrypt --age "$recipient" "$tmp/$size.yaml" >"$tmp/$size.kw-enc.yaml"
done
"${sp[@]}" encrypt --kms "$BENCH_KMS_ARN" "$tmp/small.yaml" >"$tmp/small.kms-enc.yaml"
"${sp[@]}" encrypt --hc-vault-transit "$BENCH_TRANSIT_URI" "$tmp/small.yaml" >"$tmp/small.vault-enc.yaml"

# Same decrypted bytes from both tools, for files encrypted by either tool.
mismatch=0
for size in small large; do
  encs=(sops-enc kw-enc)
  [ "$size" = small ] && encs+=(kms-enc vault-enc)
  for enc in "${encs[@]}"; do
    "${sp[@]}" decrypt "$tmp/$size.$enc.yaml" >"$tmp/$size.$enc.sops-dec" || echo "WARNING: sops decrypt $size.$enc failed" >&2
    "${kw[@]}" decrypt "$tmp/$size.$enc.yaml" >"$tmp/$size.$enc.kw-dec" || echo "WARNING: keyward decrypt $size.$enc failed" >&2
    if ! cmp -s "$tmp/$size.$enc.sops-dec" "$tmp/$size.$enc.kw-dec"; then
      echo "WARNING: $size.$enc: keyward and sops decrypt to different bytes" >&2
      cmp "$tmp/$size.$enc.sops-dec" "$tmp/$size.$enc.kw-dec" >&2 || true
      mismatch=1
    fi
  done
  if ! cmp -s "$tmp/$size.sops-enc.sops-dec" "$tmp/$size.kw-enc.sops-dec"; then
    echo "WARNING: $size: the keyward-encrypted file does not decrypt (with sops) to what the sops-encrypted one does" >&2
    mismatch=1
  fi
done
[ "$mismatch" = 0 ] && echo "check: both tools decrypt both encrypted files of both sizes to the same bytes"

# One timed run: appends "<wall us, ns clock> <%e s> <%M KB> <%U+%S s>" to file $1; the rest is
# the command.
measure() {
  local out=$1 start end
  shift
  start=$(date +%s%N)
  if ! /usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr"; then
    echo "WARNING: failed: $*" >&2
    cat "$tmp/stderr" >&2
  fi
  end=$(date +%s%N)
  tail -1 "$tmp/time" | awk -v us="$(((end - start) / 1000))" '{print us, $1, $2, $3 + $4}' >>"$out"
}

# median of column $1 of file $2
median() { awk -v c="$1" '{print $c}' "$2" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

cases=()
add_case() { cases+=("$1|$2|$3|$4"); } # name|size|runs|subcommand args (with @ for the tmp dir)
for size in small large; do
  [ "$size" = small ] && n=$runs_small || n=$runs_large
  add_case "$size encrypt" "$size" "$n" "encrypt --age $recipient @/$size.yaml"
  add_case "$size decrypt (sops-encrypted)" "$size" "$n" "decrypt @/$size.sops-enc.yaml"
  add_case "$size decrypt (keyward-encrypted)" "$size" "$n" "decrypt @/$size.kw-enc.yaml"
done
add_case "small decrypt, kms key" small "$runs_small" "decrypt @/small.kms-enc.yaml"
add_case "small decrypt, hc_vault key" small "$runs_small" "decrypt @/small.vault-enc.yaml"

rows=()
for c in "${cases[@]}"; do
  IFS='|' read -r name size n args <<<"$c"
  read -ra argv <<<"${args//@/$tmp}"
  k="$tmp/k.$RANDOM" s="$tmp/s.$RANDOM"
  : >"$k"
  : >"$s"
  for ((i = 0; i < n; i++)); do
    if ((i % 2 == 0)); then
      measure "$k" "${kw[@]}" "${argv[@]}"
      measure "$s" "${sp[@]}" "${argv[@]}"
    else
      measure "$s" "${sp[@]}" "${argv[@]}"
      measure "$k" "${kw[@]}" "${argv[@]}"
    fi
  done
  kms=$(median 1 "$k") sms=$(median 1 "$s") ke=$(median 2 "$k") se=$(median 2 "$s")
  krss=$(median 3 "$k") srss=$(median 3 "$s") kcpu=$(median 4 "$k") scpu=$(median 4 "$s")
  echo "done: $name, $n runs: keyward ${kms} us (%e ${ke} s) cpu ${kcpu} s ${krss} KB;" \
    "sops ${sms} us (%e ${se} s) cpu ${scpu} s ${srss} KB" >&2
  rows+=("$name|$n|$kms|$sms|$kcpu|$scpu|$krss|$srss")
done

echo
printf 'small: %s bytes; large: %s bytes (%s lines)\n' "$(wc -c <"$tmp/small.yaml")" \
  "$(wc -c <"$tmp/large.yaml")" "$(wc -l <"$tmp/large.yaml")"
echo "medians over N alternating runs; wall = whole process; RSS = peak resident set (/usr/bin/time %M)"
printf '%-34s %3s | %-26s | %-26s | %-26s\n' "" "" "wall time, ms" "CPU time (user+sys), ms" \
  "peak RSS, MB"
printf '%-34s %3s | %9s %9s %6s | %9s %9s %6s | %9s %9s %6s\n' case N keyward sops ratio \
  keyward sops ratio keyward sops ratio
printf '%.0s-' {1..125}
echo
for r in "${rows[@]}"; do
  IFS='|' read -r name n kms sms kcpu scpu krss srss <<<"$r"
  awk -v name="$name" -v n="$n" -v k="$kms" -v s="$sms" -v kc="$kcpu" -v sc="$scpu" \
    -v kr="$krss" -v sr="$srss" 'BEGIN {
    printf "%-34s %3d | %9.1f %9.1f %5.2fx | %9.0f %9.0f %5.2fx | %9.1f %9.1f %5.2fx\n",
      name, n, k/1000, s/1000, k/s, kc*1000, sc*1000, (sc > 0 ? kc/sc : 0), kr/1024, sr/1024, kr/sr }'
done
[ "$mismatch" = 0 ] || echo "WARNING: decrypted outputs differed between keyward and sops (see above)"
