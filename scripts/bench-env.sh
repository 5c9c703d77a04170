#!/usr/bin/env bash
# Times `modelseal env capture` and `env check` on an environment with 300 distributions (issue 8:
# both under 200 ms), and `pack` / `unpack` / `verify` of a bundle with a 1 GiB member (throughput and
# peak RSS, against `cp` and `sha256sum` of the same file as the disk-speed yardstick).
#
#   scripts/bench-env.sh [MODELSEAL_BIN]      (default .build-env/release/modelseal; build it with
#                                              swift build -c release --scratch-path .build-env)
# Output goes to bench-out/ (ignored by git). Medians of 21 runs for the environment commands.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-.build-env/release/modelseal}")"
OUT="$PWD/bench-out/env"
rm -rf "$OUT"
mkdir -p "$OUT"
export SWIFT_BACKTRACE=enable=no
PY="${PYTHON:-python3}"

# A real venv (real interpreter, pyvenv.cfg) whose site-packages holds 300 dist-info folders shaped
# like pip's (METADATA with a 4 KiB description, RECORD, INSTALLER, WHEEL) and torch's version.py.
"$PY" -m venv --without-pip "$OUT/venv"
SITE="$("$OUT/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$PY" - "$SITE" <<'PYEOF'
import pathlib, sys
site = pathlib.Path(sys.argv[1])
description = ("A package used to benchmark environment capture. " * 80) + "\n"
for i in range(300):
    name, version = f"bench_pkg_{i:03d}", f"{i % 7}.{i % 13}.{i}"
    if i == 0:
        name, version = "torch", "2.15.0+cu132"
    if i == 1:
        name, version = "numpy", "2.4.6"
    d = site / f"{name}-{version}.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: bench\nRequires-Python: >=3.9\n"
        f"Classifier: Programming Language :: Python :: 3\nDescription-Content-Type: text/plain\n\n{description}")
    (d / "RECORD").write_text("".join(f"{name}/mod{j}.py,sha256=abc,100\n" for j in range(50)))
    (d / "INSTALLER").write_text("pip\n")
    (d / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
(site / "torch").mkdir()
(site / "torch" / "version.py").write_text(
    "__version__ = '2.15.0+cu132'\ndebug = False\ncuda = '13.2'\ngit_version = 'd0f2af8b'\nhip = None\n")
PYEOF
"$BIN" env capture --python "$OUT/venv/bin/python" -o "$OUT/env.lock.json"
echo "distributions in the lock: $("$PY" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['distributions']))" "$OUT/env.lock.json")"

"$PY" - "$BIN" "$OUT" <<'PYEOF'
import statistics, subprocess, sys, time
binary, out = sys.argv[1], sys.argv[2]
def median_ms(args, runs=21):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)
python = f"{out}/venv/bin/python"
for label, args in [
    ("env capture (300 dists)", [binary, "env", "capture", "--python", python]),
    ("env check   (300 dists)", [binary, "env", "check", "--contract", f"{out}/env.lock.json", "--python", python]),
    ("modelseal --version (process start)", [binary, "--version"]),
]:
    median, low, high = median_ms(args)
    print(f"{label:40s} median {median:6.1f} ms  (min {low:.1f}, max {high:.1f}, 21 runs, cold start of the process included)")
PYEOF

if [ "${SKIP_BUNDLE:-0}" = 1 ]; then exit 0; fi
# Bundles: one 1 GiB member (random bytes; the model would be sealed, so incompressible anyway).
# pack accepts only sealed files: seal 1 GiB (minus the header and tags) of random bytes with a raw key.
head -c $(((1 << 30) - (1 << 14))) /dev/urandom > "$OUT/plain.bin"
BENCH_KEY="$("$BIN" keygen --symmetric)" "$BIN" seal -q --key-env BENCH_KEY -o "$OUT/big.mseal" "$OUT/plain.bin"
rm -f "$OUT/plain.bin"
sync
measure() {  # label, command...
    local label="$1"; shift
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > /dev/null 2>&1
    read -r seconds rss < "$OUT/time.txt"
    "$PY" -c "import sys; s=float(sys.argv[2]); print(f'{sys.argv[1]:40s} {s:6.2f} s  {1024/s if s else 0:7.0f} MiB/s  peak RSS {int(sys.argv[3])/1024:6.1f} MiB')" "$label" "$seconds" "$rss"
}
measure "cp (read + write 1 GiB)" cp "$OUT/big.mseal" "$OUT/copy.bin"
measure "sha256sum (read + hash 1 GiB)" sha256sum "$OUT/big.mseal"
measure "openssl sha256 (read + hash 1 GiB)" openssl dgst -sha256 "$OUT/big.mseal"
rm -f "$OUT/copy.bin"
measure "pack --unsigned (hash, then copy + hash)" "$BIN" pack --unsigned -o "$OUT/big.mspkg" "$OUT/big.mseal"
measure "verify (read + hash, no writes)" "$BIN" verify "$OUT/big.mspkg"
measure "unpack (read + hash + write)" "$BIN" unpack -o "$OUT/unpacked" "$OUT/big.mspkg"
cmp "$OUT/big.mseal" "$OUT/unpacked/models/big.mseal" && echo "unpacked member identical"
rm -rf "$OUT/big.mseal" "$OUT/big.mspkg" "$OUT/unpacked"
