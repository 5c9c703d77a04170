#!/usr/bin/env bash
# Benchmarks `modelseal scan` against picklescan on the same tree in the same run (docs/SCAN.md).
#
#   scripts/bench-scan.sh            1,000 small checkpoints + one 1 GiB checkpoint, 3 rounds
#   BENCH_RUNS=5 scripts/bench-scan.sh
#   MODELSEAL_BIN=.build-scan/release/modelseal scripts/bench-scan.sh
#   BENCH_CALLGRIND=1 scripts/bench-scan.sh   also count the instructions `modelseal scan` executes
#                                            on the 1,000 small checkpoints (valgrind; stable where
#                                            wall time is not: how docs/SCAN.md's counts were taken)
#
# The tree is written by real torch (torch.save, zip format) under a temporary folder, read once
# so the page cache is warm. Each round runs both tools once in alternating order; the table shows
# median wall times and the throughput ratio (bytes scanned per second, modelseal / picklescan).
# picklescan is installed into .venv for the benchmark only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${MODELSEAL_BIN:-$root/.build/release/modelseal}"
python="$root/.venv/bin/python"
runs="${BENCH_RUNS:-3}"
[ -x "$bin" ] || { echo "no modelseal binary at $bin (swift build -c release, or set MODELSEAL_BIN)" >&2; exit 1; }
"$python" -c 'import picklescan' 2>/dev/null || "$root/.venv/bin/pip" install -q picklescan
picklescan=("$python" -m picklescan)  # the module, not the console script: a venv moved or shared keeps a stale shebang

work="$(mktemp -d /tmp/bench-scan.XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$python" - "$work" <<'PY'
import os, sys, torch
root = sys.argv[1]
torch.manual_seed(0)
for index in range(1000):
    folder = os.path.join(root, "tree", f"model{index // 100:02d}")
    os.makedirs(folder, exist_ok=True)
    state = {f"layer{k}.weight": torch.randn(32, 32) for k in range(4)}
    state.update({f"layer{k}.bias": torch.randn(32) for k in range(4)})
    torch.save(state, os.path.join(folder, f"ckpt{index:04d}.pt"))
big = {"embedding.weight": torch.empty(1 << 28, dtype=torch.float32).uniform_()}  # 1 GiB
torch.save(big, os.path.join(root, "tree", "big.pt"))
PY
bytes=$(du -sb "$work/tree" | cut -f1)
cat "$work"/tree/big.pt "$work"/tree/*/*.pt >/dev/null

timeit() {  # prints wall seconds of "$@"
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

if [ "${BENCH_CALLGRIND:-0}" = 1 ]; then
    command -v valgrind >/dev/null || { echo "BENCH_CALLGRIND=1 needs valgrind (apt-get install valgrind)" >&2; exit 1; }
    strip -g -o "$work/modelseal" "$bin"  # valgrind cannot read the toolchain's DWARF 5 debug info
    instructions=$(valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$work/modelseal" scan \
        "$work"/tree/model* 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "callgrind: modelseal scan of the 1,000 small checkpoints executes $instructions instructions"
fi

ours=(); theirs=()
"$bin" scan "$work/tree" >/dev/null 2>&1 || true  # untimed warm-up
for round in $(seq "$runs"); do
    if [ $((round % 2)) -eq 1 ]; then
        ours+=("$(timeit "$bin" scan "$work/tree")")
        theirs+=("$(timeit "${picklescan[@]}" -p "$work/tree")")
    else
        theirs+=("$(timeit "${picklescan[@]}" -p "$work/tree")")
        ours+=("$(timeit "$bin" scan "$work/tree")")
    fi
done
m_ours=$(printf '%s\n' "${ours[@]}" | median)
m_theirs=$(printf '%s\n' "${theirs[@]}" | median)
echo "tree: 1,000 small checkpoints + one 1 GiB checkpoint, $bytes bytes, $runs rounds"
printf 'modelseal scan   median %8.3f s  %8.1f MB/s  runs: %s\n' "$m_ours" "$(echo "$bytes / $m_ours / 1000000" | bc -l)" "${ours[*]}"
printf 'picklescan -p    median %8.3f s  %8.1f MB/s  runs: %s\n' "$m_theirs" "$(echo "$bytes / $m_theirs / 1000000" | bc -l)" "${theirs[*]}"
printf 'throughput ratio (modelseal / picklescan): %.1fx\n' "$(echo "$m_theirs / $m_ours" | bc -l)"
