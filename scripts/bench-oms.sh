#!/usr/bin/env bash
# Signature verification against the real `model_signing verify key`, same data, same run:
#   - `modelseal verify --oms` (OpenSSF format) over the same plaintext model files;
#   - `modelseal verify` of the same model sealed and signed in ModelSeal's own format (spec/SIGNATURES.md), whose
#     chunk hashes run on all cores; and `open --trust` against a plain `open` of that file (issue 5's targets).
#
#   bash scripts/bench-oms.sh            1 GiB as one file, and as 8 files of 128 MiB (a sharded checkpoint)
#   RUNS=9 bash scripts/bench-oms.sh     more rounds (default 5)
#   MODELSEAL_BIN=path bash scripts/bench-oms.sh   use a given binary (default: a release build in .build)
#
# Both tools verify the same signature (made by model_signing) over the same plaintext model, after one untimed
# warm-up each (page cache warm). Each round runs every command once, in a shuffled order, so a burst of load from
# a neighbour spreads over both tools. Prints the median wall time, min..max, median CPU (user+system), the ratio.
# Both wall times include process start (model_signing's Python imports are about 0.5 s of it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/bench.sh"
bin=$(modelseal_binary)
python="$root/.venv/bin/python"
"$python" -c 'import model_signing' 2>/dev/null || "$root/.venv/bin/pip" install -q model-signing pyopenssl
runs=${RUNS:-5}
work=$(mktemp -d /tmp/modelseal-bench-oms.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$python" - "$work" <<'PY'
import pathlib, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
out = pathlib.Path(sys.argv[1])
key = ec.generate_private_key(ec.SECP256R1())
(out / "ec.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
(out / "ec.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))
PY
mkdir -p "$work/sharded"
head -c $((1 << 30)) /dev/urandom >"$work/model.bin"
for i in 0 1 2 3 4 5 6 7; do
    dd if="$work/model.bin" of="$work/sharded/part-$i.bin" bs=1M skip=$((i * 128)) count=128 status=none
done
ms="$python -m model_signing"
$ms sign key --private_key "$work/ec.key" --signature "$work/one.sig" "$work/model.bin" >/dev/null
$ms sign key --private_key "$work/ec.key" --signature "$work/eight.sig" "$work/sharded" >/dev/null
MODEL_KEY=$("$bin" keygen --symmetric)
export MODEL_KEY
"$bin" keygen --sign -o "$work/vendor.key" >/dev/null 2>&1
"$bin" seal -q --key-env MODEL_KEY --sign-key "$work/vendor.key" -o "$work/model.mseal" "$work/model.bin"
"$bin" seal -q --key-env MODEL_KEY -o "$work/unsigned.mseal" "$work/model.bin"

# name|command, one per line
commands=(
    "one file: modelseal|$bin verify --oms --trust $work/ec.pub --signature $work/one.sig $work/model.bin"
    "one file: model_signing|$ms verify key --public_key $work/ec.pub --signature $work/one.sig $work/model.bin"
    "8 files: modelseal|$bin verify --oms --trust $work/ec.pub --signature $work/eight.sig $work/sharded"
    "8 files: model_signing|$ms verify key --public_key $work/ec.pub --signature $work/eight.sig $work/sharded"
    "sealed: modelseal verify|$bin verify --trust $work/vendor.key.pub $work/model.mseal"
    "unsigned: open --check|$bin open -q --key-env MODEL_KEY --check $work/unsigned.mseal"
    "unsigned: open -o null|$bin open -q --key-env MODEL_KEY -o /dev/null $work/unsigned.mseal"
    "sealed: open --check|$bin open -q --key-env MODEL_KEY --check $work/model.mseal"
    "sealed: open --check --trust|$bin open -q --key-env MODEL_KEY --trust $work/vendor.key.pub --check $work/model.mseal"
    "sealed: open -o null|$bin open -q --key-env MODEL_KEY -o /dev/null $work/model.mseal"
    "sealed: open -o null --trust|$bin open -q --key-env MODEL_KEY --trust $work/vendor.key.pub -o /dev/null $work/model.mseal"
)
for entry in "${commands[@]}"; do ${entry#*|} >/dev/null 2>&1 || { echo "failed: ${entry#*|}" >&2; exit 1; }; done

declare -A wall cpu
for _ in $(seq "$runs"); do
    while IFS= read -r index; do
        entry=${commands[$index]}
        name=${entry%%|*}
        /usr/bin/time -f '%e %U %S' -o "$work/time" ${entry#*|} >/dev/null 2>&1
        read -r w u s <"$work/time"
        wall[$name]+="$w "
        cpu[$name]+="$(echo "$u + $s" | bc -l) "
    done < <(seq 0 $((${#commands[@]} - 1)) | shuf)
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo ".." hi}'; }
echo "1 GiB, $runs rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); modelseal $bin;" \
    "model_signing $("$python" -c 'import model_signing; print(model_signing.__version__)')"
printf '%-32s %9s %14s %9s\n' command "wall (s)" "min..max" "CPU (s)"
for entry in "${commands[@]}"; do
    name=${entry%%|*}
    printf '%-32s %9s %14s %9s\n' "$name" "$(echo "${wall[$name]}" | median)" "$(echo "${wall[$name]}" | range)" \
        "$(echo "${cpu[$name]}" | median)"
done
for shape in "one file" "8 files"; do
    ours=$(echo "${wall[$shape: modelseal]}" | median)
    theirs=$(echo "${wall[$shape: model_signing]}" | median)
    printf '%s: modelseal is %.2fx as fast as model_signing (median wall)\n' "$shape" "$(echo "$theirs / $ours" | bc -l)"
done
ratio() { echo "$(echo "${wall[$1]}" | median) / $(echo "${wall[$2]}" | median)" | bc -l; }
printf 'sealed 1 GiB: modelseal verify is %.2fx as fast as model_signing on the plaintext file (target >= 2)\n' \
    "$(ratio "one file: model_signing" "sealed: modelseal verify")"
printf 'open --check --trust of the signed file costs %.2fx open --check of the unsigned one; -o /dev/null %.2fx (target <= 2.5)\n' \
    "$(ratio "sealed: open --check --trust" "unsigned: open --check")" "$(ratio "sealed: open -o null --trust" "unsigned: open -o null")"
printf '(a present signature is always checked, so a plain open of the signed file costs about the same as with --trust)\n'
