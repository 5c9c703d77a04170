#!/usr/bin/env bash
# Measures seal and verify throughput of a 512 MiB file for each chunk size (spec/CONTAINER.md §2 rationale).
# Usage: bash scripts/bench-chunk-size.sh   (env RUNS, default 5; MODELSEAL_BIN to use a given binary)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/bench.sh"
bin=$(modelseal_binary)
runs=${RUNS:-5}
work=$(mktemp -d /tmp/modelseal-chunks.XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c $((512 << 20)) /dev/urandom >"$work/in.bin"
export MODEL_KEY=$("$bin" keygen --symmetric)
cat "$work/in.bin" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

printf '%-8s %14s %14s\n' chunk "seal GB/s" "verify GB/s"
for size in 64KiB 256KiB 1MiB 4MiB 16MiB; do
    "$bin" seal -q --key-env MODEL_KEY --chunk-size "$size" -f -o "$work/s.mseal" "$work/in.bin"
    seal=$(for _ in $(seq "$runs"); do seconds "$bin" seal -q --key-env MODEL_KEY --chunk-size "$size" -o /dev/null "$work/in.bin"; done | median)
    open=$(for _ in $(seq "$runs"); do seconds "$bin" open -q --key-env MODEL_KEY --check "$work/s.mseal"; done | median)
    printf '%-8s %14.2f %14.2f\n' "$size" "$(echo "0.536870912 / $seal" | bc -l)" "$(echo "0.536870912 / $open" | bc -l)"
done
