#!/usr/bin/env bash
# Builds and runs the libFuzzer target over the C ABI (Fuzz/Sources/FuzzCABI) for SECONDS (default 180).
# Seeds: every container vector, prefixed for scenario 1 with its key text, plus one seed per scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-180}"
export PATH="/opt/swift/usr/bin:$PATH" SWIFT_BACKTRACE=enable=no
scratch="$PWD/.build-fuzz-cabi"
(cd Fuzz && swift build -c release --scratch-path "$scratch" --product FuzzCABI \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
corpus=Fuzz/corpus-cabi
mkdir -p "$corpus"
python3 - "$corpus" <<'PY'
import pathlib, sys
corpus = pathlib.Path(sys.argv[1])
for vector in sorted(pathlib.Path("Tests/Vectors/container").iterdir()):
    data = vector.read_bytes()
    preamble, _, body = data.partition(b"\n\n")
    key = next((l.split(b": ", 1)[1] for l in preamble.splitlines() if l.startswith(b"key: ")), b"")
    (corpus / f"file-{vector.name}").write_bytes(b"\x01" + bytes([len(key)]) + key + body)
(corpus / "keys").write_bytes(b"\x00" + b"zr4THqgxsBt0Zh5XfAqRGW6ThCEi_Xuzz6dtBFz-qCU=")
(corpus / "handles").write_bytes(b"\x02" + bytes(range(64)))
(corpus / "statuses").write_bytes(b"\x03" + bytes([10, 0, 0, 0, 30, 0, 0, 0, 255, 255, 255, 255]))
PY
"$scratch/release/FuzzCABI" -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=4096 "$corpus" 2>&1 | tail -15
