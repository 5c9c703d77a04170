#!/usr/bin/env bash
# The Swift suites that share memory across threads under AddressSanitizer and ThreadSanitizer:
# the parallel map and the parallel chunk stream (seal/open round trips, in-memory decryption,
# rekey, tampering), the opener (every release path, licenses, the caller-memory path) and the
# scanner (parallel tree scans of the corpus and mutated files).
#
# Each sanitizer builds in its own scratch folder (.build-asan, .build-tsan), so the normal .build
# is untouched and a second run rebuilds only what changed. The first run of each builds the
# whole package with instrumentation; the filtered test runs take about a minute each. Measured
# once on the 2-core reference machine while two other builds ran (load about 10): address
# sanitizer build 790 s + tests 68 s, thread sanitizer build 853 s + tests 67 s, 69 tests in 15
# suites each, no finding. The script prints its own figures at the end of each run.
#
#   bash scripts/test-sanitizers.sh              # both
#   bash scripts/test-sanitizers.sh address      # one of: address, thread
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH" SWIFT_BACKTRACE=enable=no
# The vendor's server (Hummingbird, SwiftNIO, SQLite) has its own suites in the normal run; leaving it out
# of the package graph here saves compiling it twice more (Package.swift).
export MODELSEAL_WITHOUT_SERVER=1
# Leaks in the test runner and swift-testing's own globals are not ours; everything else stops the run.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"

filter='ParallelTests|RoundTripTests|InMemoryDecryptTests|RekeyTests|TamperTests|ModelOpenerTests|ModelOpenerOrderTests'
filter+='|ModelOpenerLicenseTests|CallerMemoryTests|CorpusTests|MutationTests'

sanitizers=("$@")
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address thread)
for sanitizer in "${sanitizers[@]}"; do
    case "$sanitizer" in
        address) scratch=.build-asan ;;
        thread) scratch=.build-tsan ;;
        *) echo "test-sanitizers: unknown sanitizer '$sanitizer' (address or thread)" >&2; exit 64 ;;
    esac
    started=$SECONDS
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
    built=$SECONDS
    swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" --filter "$filter"
    echo "test-sanitizers: $sanitizer: build $((built - started)) s, tests $((SECONDS - built)) s"
done
