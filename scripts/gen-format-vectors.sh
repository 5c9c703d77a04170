#!/usr/bin/env bash
# Regenerates Tests/Vectors/{torch,pickle,safetensors,numpy} from scripts/gen-format-vectors.py with the
# venv's real torch, safetensors and numpy.
#
#   scripts/gen-format-vectors.sh          rewrite the committed vectors
#   scripts/gen-format-vectors.sh --check  regenerate into a temporary folder and compare with the committed ones
#
# Two files are not byte-reproducible from one run to the next, whatever the code: a legacy (pre-1.6) torch.save
# names storages after their memory addresses, and safetensors writes `__metadata__` in the order its Rust map
# yields. For those the check compares what a correct reader must see (their .expected.json, which the Swift
# tests check the committed file against); every other file must be byte-identical.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$root/.venv/bin/python"
"$python" -c "import torch, safetensors, numpy" 2>/dev/null || {
    [ -x "$python" ] || python3 -m venv "$root/.venv"
    "$root/.venv/bin/pip" install --quiet -r "$root/python/tests/requirements.txt"
}
not_reproducible=(torch/legacy.pt safetensors/small.safetensors)
case "${1:-}" in
"")
    "$python" "$root/scripts/gen-format-vectors.py"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap "rm -rf '$scratch'" EXIT
    "$python" "$root/scripts/gen-format-vectors.py" "$scratch" 2>/dev/null
    status=0
    for folder in torch pickle safetensors numpy; do
        excludes=()
        for file in "${not_reproducible[@]}"; do
            [ "${file%%/*}" = "$folder" ] && excludes+=(-x "${file#*/}")
        done
        diff -r "${excludes[@]}" "$root/Tests/Vectors/$folder" "$scratch/$folder" || status=1
    done
    for file in "${not_reproducible[@]}"; do
        [ -s "$scratch/$file" ] || { echo "the generator did not write $file" >&2; status=1; }
        cmp -s "$root/Tests/Vectors/${file%.*}.expected.json" "$scratch/${file%.*}.expected.json" || status=1
    done
    if [ $status -ne 0 ]; then
        echo "format vectors differ from the generator's output: run scripts/gen-format-vectors.sh" >&2
        exit 1
    fi
    echo "format vectors are up to date"
    ;;
*)
    echo "usage: scripts/gen-format-vectors.sh [--check]" >&2
    exit 64
    ;;
esac
