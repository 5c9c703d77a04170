#!/usr/bin/env bash
# Leak-forensics benchmark (docs/MARKING.md "Performance"): Tier B marking speed, seal --mark against plain
# seal, trace of a 1 GiB suspect against 10,000 issued ids, and Tier A (--tier-a) mark and trace on a
# GPT-2-small-shaped model (12 layers, width 768, random init). Medians of RUNS runs, with the load average.
#
#   scripts/bench-mark.sh                 build .build/release/modelseal (MODELSEAL_WITHOUT_SERVER=1) and run
#   MODELSEAL_BIN=path RUNS=5 scripts/bench-mark.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3}
PY=${PYTHON:-.venv/bin/python}
if [[ -z "${MODELSEAL_BIN:-}" ]]; then
    export PATH=/opt/swift/usr/bin:$PATH
    MODELSEAL_WITHOUT_SERVER=1 swift build -c release --product modelseal >&2
    MODELSEAL_BIN=$PWD/.build/release/modelseal
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SWIFT_BACKTRACE=enable=no

"$PY" - "$work" <<'EOF'
import sys, torch, transformers
from safetensors.torch import save_file
work = sys.argv[1]
g = torch.Generator().manual_seed(0)
save_file({f"layer{i}.weight": torch.randn(4096, 4096, generator=g) * 0.02 for i in range(16)}, f"{work}/big.safetensors")
torch.manual_seed(0)
config = transformers.GPT2Config(bos_token_id=0, eos_token_id=0)
model = transformers.GPT2Model(config)
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, f"{work}/gpt2.safetensors")
with open(f"{work}/ids.txt", "w") as out:
    out.write("\n".join(f"cust-{i:05d}" for i in range(10000)) + "\n")
EOF
head -c 32 /dev/urandom >"$work/secret"
key=$("$MODELSEAL_BIN" keygen --symmetric)
export MODEL_KEY=$key

# median_seconds CMD...: wall seconds of RUNS runs, the median.
median_seconds() {
    local times=()
    for _ in $(seq "$RUNS"); do
        local start end
        start=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

echo "modelseal mark benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
marks=()
for _ in $(seq "$RUNS"); do
    marks+=("$("$MODELSEAL_BIN" mark --secret "$work/secret" --model-id bench --customer c --registry "$work/r.json" \
        --json -f -o "$work/marked.safetensors" "$work/big.safetensors" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["mark_seconds"])')")
done
mark_s=$(printf '%s\n' "${marks[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
bytes=$(stat -c %s "$work/big.safetensors")
echo "Tier B marking of 1 GiB (mark_seconds, median): ${mark_s} s = $(echo "scale=2; $bytes / $mark_s / 1000000000" | bc) GB/s (target >= 1)"
echo "whole mark command, 1 GiB: $(median_seconds "$MODELSEAL_BIN" mark --secret "$work/secret" --model-id bench \
    --customer c --registry "$work/r.json" -f -o "$work/marked.safetensors" "$work/big.safetensors") s"
plain=$(median_seconds "$MODELSEAL_BIN" seal --key-env MODEL_KEY -q -f -o "$work/plain.mseal" "$work/big.safetensors")
marked=$(median_seconds "$MODELSEAL_BIN" seal --key-env MODEL_KEY --mark c --secret "$work/secret" --model-id bench \
    --registry "$work/r.json" -q -f -o "$work/marked.mseal" "$work/big.safetensors")
echo "seal 1 GiB: ${plain} s; seal --mark: ${marked} s; ratio $(echo "scale=2; $marked / $plain" | bc) (target <= 2.5)"
echo "trace 1 GiB vs 10,000 ids: $(median_seconds "$MODELSEAL_BIN" trace "$work/marked.safetensors" --original \
    "$work/big.safetensors" --secret "$work/secret" --model-id bench --customers "$work/ids.txt" --json) s (target < 30)"
echo "GPT-2 small shape ($(stat -c %s "$work/gpt2.safetensors") bytes): mark: $(median_seconds "$MODELSEAL_BIN" mark \
    --secret "$work/secret" --model-id gpt2 --customer c --registry "$work/r.json" -f -o "$work/g-b.safetensors" \
    "$work/gpt2.safetensors") s; mark --tier-a: $(median_seconds "$MODELSEAL_BIN" mark --tier-a --secret "$work/secret" \
    --model-id gpt2 --customer c --registry "$work/r.json" -f -o "$work/g-a.safetensors" "$work/gpt2.safetensors") s"
echo "trace GPT-2 small vs 10,000 ids (template aligned): $(median_seconds "$MODELSEAL_BIN" trace "$work/g-a.safetensors" \
    --original "$work/gpt2.safetensors" --secret "$work/secret" --model-id gpt2 --customers "$work/ids.txt" --json) s"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
