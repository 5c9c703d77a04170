#!/usr/bin/env bash
# Builds and runs the libFuzzer target over the C ABI (Fuzz/Sources/FuzzCABI) for SECONDS (default 180).
# Seeds: scripts/seed-fuzz-cabi.py. Also part of scripts/fuzz.sh (target FuzzCABI); this script uses its
# own build folder so it never collides with a running fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-180}"
export PATH="/opt/swift/usr/bin:$PATH" SWIFT_BACKTRACE=enable=no
scratch="$PWD/.build-fuzz-cabi"
(cd Fuzz && swift build -c release --scratch-path "$scratch" --product FuzzCABI \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
corpus=Fuzz/corpus-cabi
mkdir -p "$corpus"
python3 scripts/seed-fuzz-cabi.py "$corpus"
"$scratch/release/FuzzCABI" -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=4096 -timeout=10 \
    -print_final_stats=1 "$corpus" 2>&1 | tail -15
