#!/usr/bin/env bash
# Build the libFuzzer targets in Fuzz/ and run each for a while.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 240 s, all targets)
#   JOBS=2 scripts/fuzz.sh 300                            (run two targets at a time)
#
# Corpora grow in Fuzz/corpus-<target>/ (git-ignored), seeded from Tests/Vectors and the shared
# scanner corpus; logs and crash artifacts go to .build-fuzz/logs/. Exits non-zero if any target
# found a crash, leak, timeout or out-of-memory. SWIFT_BACKTRACE=enable=no: the Swift runtime's
# backtracer was seen to hang after a crash instead of letting libFuzzer exit.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-240}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(FuzzPickle FuzzZip FuzzTorch FuzzSafetensors FuzzNpy FuzzScan FuzzSealedFile FuzzKeyText FuzzPKCS11URI
    FuzzLicense FuzzCABI FuzzFernet FuzzOMSBundle FuzzBundleReader FuzzFolderManifest FuzzEnvironmentLock FuzzEnvironmentYAML FuzzMark)
jobs="${JOBS:-1}"
export SWIFT_BACKTRACE=enable=no

(cd Fuzz && swift build -c release --scratch-path ../.build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -v "Cannot export local symbol" || true)
bin=.build-fuzz/release
modelseal=.build/release/modelseal
[ -x "$modelseal" ] || swift build -c release --product modelseal >/dev/null
logs=.build-fuzz/logs
mkdir -p "$logs"
shared=../shared/corpus/pickles

seed() {
    local target=$1 dir=Fuzz/corpus-$1
    mkdir -p "$dir"
    case $target in
    FuzzPickle)
        cp Tests/Vectors/pickle/*.pkl "$dir/" 2>/dev/null || true
        .venv/bin/python - "$dir" Tests/Vectors/torch/*.pt <<'PY' 2>/dev/null || true
import sys, zipfile, os, hashlib
out = sys.argv[1]
for path in sys.argv[2:]:
    try:
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if n.endswith(".pkl"):
                    data = z.read(n)
                    open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb").write(data)
    except zipfile.BadZipFile:
        pass
PY
        [ -d "$shared" ] && find "$shared" -type f -size -1M ! -name '*.tsv' ! -name '*.md' -exec cp {} "$dir/" \; 2>/dev/null || true ;;
    FuzzZip | FuzzTorch)
        cp Tests/Vectors/torch/*.pt Tests/Vectors/numpy/*.npz "$dir/" 2>/dev/null || true
        [ -d "$shared" ] && find "$shared" -type f -size -1M \( -name '*.pt' -o -name '*.pth' -o -name '*.bin' -o -name '*.zip' -o -name '*.ckpt' \) -exec cp {} "$dir/" \; 2>/dev/null || true ;;
    FuzzScan)
        cp Tests/Vectors/scan/* "$dir/" && rm -f "$dir/EXPECTED.tsv"
        cp Tests/Vectors/torch/*.pt Tests/Vectors/pickle/*.pkl "$dir/" 2>/dev/null || true
        [ -d "$shared" ] && find "$shared" -type f -size -1M ! -name '*.tsv' ! -name '*.md' -exec cp {} "$dir/" \; 2>/dev/null || true ;;
    FuzzSafetensors) cp Tests/Vectors/safetensors/*.safetensors "$dir/" ;;
    FuzzMark)
        cp Tests/Vectors/safetensors/*.safetensors Tests/Vectors/torch/*.pt "$dir/" 2>/dev/null || true
        # The target's tiny ResNet-shaped original, as is and with its residual stream permuted.
        .venv/bin/python - "$dir" <<'PY' 2>/dev/null || true
import sys, torch
from safetensors.torch import save_file
g = torch.Generator().manual_seed(0)
shapes = {"conv1.weight": [6, 3, 3, 3]}
norm = lambda p, c: {f"{p}.{x}": [c] for x in ("weight", "bias", "running_mean", "running_var")}
shapes.update(norm("bn1", 6))
for block, i, w in (("layer1.0", 6, 6), ("layer2.0", 6, 12)):
    shapes.update({f"{block}.conv1.weight": [w, i, 1, 1], **norm(f"{block}.bn1", w)})
    shapes.update({f"{block}.conv2.weight": [w, w, 1, 1], **norm(f"{block}.bn2", w)})
shapes.update({"layer2.0.downsample.0.weight": [12, 6, 1, 1], **norm("layer2.0.downsample.1", 12), "fc.weight": [4, 12]})
state = {k: torch.rand(v, generator=g) - 0.5 for k, v in shapes.items()}
save_file(state, f"{sys.argv[1]}/tiny-resnet.safetensors")
p = torch.randperm(12, generator=g)
state["fc.weight"] = state["fc.weight"][:, p].contiguous()
state["renamed"] = state.pop("layer2.0.downsample.0.weight")[p].contiguous()
save_file(state, f"{sys.argv[1]}/tiny-resnet-permuted.safetensors")
PY
        ;;
    FuzzNpy) cp Tests/Vectors/numpy/*.np? "$dir/" ;;
    FuzzSealedFile)
        # Container vectors (bytes after the preamble's blank line), plus files sealed with the
        # fuzz target's fixed key (32 bytes of 0x42) so mutations reach the payload.
        for vector in Tests/Vectors/container/*; do
            python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(d[d.index(b"\n\n")+2:])' \
                "$vector" "$dir/$(basename "$vector")"
        done
        local key
        key=$(python3 -c 'import base64; print(base64.urlsafe_b64encode(b"\x42" * 32).decode())')
        for size in 0 1 70000 140000; do
            head -c "$size" /dev/urandom >"$dir/.plain"
            MODEL_KEY=$key "$modelseal" seal -q -f --key-env MODEL_KEY --chunk-size 64KiB -o "$dir/sealed-$size" "$dir/.plain"
        done
        rm -f "$dir/.plain" ;;
    FuzzCABI) python3 scripts/seed-fuzz-cabi.py "$dir" ;;
    FuzzKeyText)
        "$modelseal" keygen --symmetric >"$dir/raw-key"
        "$modelseal" keygen 2>"$dir/recipient-line" | grep SECRET >"$dir/identity"
        grep -o 'modelseal1[a-z0-9]*' "$dir/recipient-line" >"$dir/recipient" || true
        rm -f "$dir/recipient-line" ;;
    FuzzPKCS11URI)
        printf '%s' 'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-key;type=private;id=%01%02' >"$dir/rfc"
        printf '%s' 'pkcs11:library-version=1.2;slot-id=3?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/p' \
            >"$dir/query" ;;
    FuzzFernet) for f in Tests/Vectors/fernet/*; do python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(d[d.index(b"\n\n")+2:])' "$f" "$dir/$(basename "$f")"; done ;;
    FuzzOMSBundle) cp Tests/Vectors/oms/*.sig "$dir/" ;;
    FuzzFolderManifest)
        # Manifests as seal's directory mode writes them: one signed, one with a clear member.
        printf '%s' '{"files":[{"chunks_root":"'"$(printf 'a%.0s' {1..64})"'","header_sha256":"'"$(printf 'b%.0s' {1..64})"'","length":1234,"name":"model.safetensors","plaintext_length":1000,"sealed":true},{"length":5,"name":"tokenizer.json","sealed":false,"sha256":"'"$(printf 'c%.0s' {1..64})"'"}],"format":"modelseal-folder","version":1}' >"$dir/signed.json"
        printf '%s' '{"files":[{"header_sha256":"'"$(printf '0%.0s' {1..64})"'","length":99,"name":"config.json","plaintext_length":20,"sealed":true}],"format":"modelseal-folder","version":1}' >"$dir/unsigned.json" ;;
    FuzzEnvironmentLock)
        # A real lock of this repository's venv, and the contract extension body a seal embeds.
        "$modelseal" env capture --python .venv/bin/python -o "$dir/venv.lock.json" --force >/dev/null 2>&1 || true ;;
    FuzzEnvironmentYAML)
        printf 'name: model\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - numpy=1.26.4\n  - pip:\n    - torch==2.5.1\n' \
            >"$dir/environment.yml"
        printf '# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda#a502d7aad449a1206efb366d6a12c52d\n' \
            >"$dir/explicit.txt" ;;
    FuzzBundleReader)
        # A small signed bundle made by the CLI (vendor key and model made here, then removed).
        local scratch
        scratch=$(mktemp -d)
        "$modelseal" keygen --sign -o "$scratch/vendor.key" >/dev/null 2>&1
        head -c 70000 /dev/urandom >"$scratch/model.pt"
        MODEL_KEY=$("$modelseal" keygen --symmetric) "$modelseal" seal -q --key-env MODEL_KEY --chunk-size 64KiB \
            -o "$scratch/model.mseal" "$scratch/model.pt"
        "$modelseal" pack -o "$dir/small.mspkg" --sign-key "$scratch/vendor.key" "$scratch/model.mseal" >/dev/null 2>&1 || true
        rm -rf "$scratch" ;;
    esac
}

run() {
    local target=$1
    seed "$target"
    local log=$logs/$target.log
    "$bin/$target" "Fuzz/corpus-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$logs/$target-" >"$log" 2>&1
    local status=$?
    local runs
    runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' || echo "?")
    echo "$target: status $status, $runs executions in ${seconds}s, corpus $(ls "Fuzz/corpus-$target" | wc -l) inputs"
    return $status
}

failed=0
pids=()
for target in "${targets[@]}"; do
    run "$target" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
