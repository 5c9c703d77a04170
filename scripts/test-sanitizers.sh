#!/usr/bin/env bash
# The Swift suites that share memory across threads under AddressSanitizer and ThreadSanitizer:
# the parallel map and the parallel chunk stream (seal/open round trips, in-memory decryption,
# rekey, tampering), the opener (every release path, licenses, the caller-memory path) and the
# scanner (parallel tree scans of the corpus and mutated files).
#
# Both sanitizers build in the normal scratch folder (.build) with `-Xswiftc -sanitize=...`: only Swift is
# instrumented and recompiled, while the C code under it (BoringSSL in swift-crypto, our C declarations) keeps
# the objects the normal debug build already made, so nothing C is compiled twice more. The package graph is cut
# to the suites below and the libraries under them (MODELSEAL_SANITIZER_SUITES=1, MODELSEAL_WITHOUT_SERVER=1
# in Package.swift). The price: afterwards the Swift objects in .build are instrumented, and the next plain
# `swift build` recompiles the Swift modules (CI runs this script last). Uninstrumented C is not checked: a
# data race or overflow inside BoringSSL's own code would go unseen here; every call into it from our threads is.
# SANITIZER_SCRATCH=PATH builds elsewhere (a full instrumented-Swift build plus the C code once).
#
# Measured from a fresh clone after scripts/test.sh, quiet machine: see docs/BENCHMARKS.md §CI time (the
# script prints its own figures at the end of each run).
#
#   bash scripts/test-sanitizers.sh              # both
#   bash scripts/test-sanitizers.sh address      # one of: address, thread
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH" SWIFT_BACKTRACE=enable=no
# The vendor's server (Hummingbird, SwiftNIO, SQLite), the CLI, the C ABI and the other suites have their own
# runs in scripts/test.sh; leaving them out of the package graph here saves instrumenting them (Package.swift).
export MODELSEAL_WITHOUT_SERVER=1 MODELSEAL_SANITIZER_SUITES=1
scratch=${SANITIZER_SCRATCH:-.build}
# Leaks in the test runner and swift-testing's own globals are not ours; everything else stops the run.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"

filter='ParallelTests|RoundTripTests|InMemoryDecryptTests|RekeyTests|TamperTests|ModelOpenerTests|ModelOpenerOrderTests'
filter+='|ModelOpenerLicenseTests|CallerMemoryTests|CorpusTests|MutationTests'

sanitizers=("$@")
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address thread)
for sanitizer in "${sanitizers[@]}"; do
    case "$sanitizer" in
        address | thread) ;;
        *) echo "test-sanitizers: unknown sanitizer '$sanitizer' (address or thread)" >&2; exit 64 ;;
    esac
    started=$SECONDS
    swift build --build-tests -Xswiftc -sanitize="$sanitizer" --scratch-path "$scratch"
    built=$SECONDS
    # The flags reach the test bundle or this run proves nothing: its Swift code must call the runtime.
    short=${sanitizer:0:1}san
    if ! nm "$scratch/debug/ModelSealPackageTests.xctest" 2>/dev/null | grep -c "__${short}_init" >/dev/null; then
        echo "test-sanitizers: the test bundle has no __${short}_init: $sanitizer instrumentation is missing" >&2
        exit 1
    fi
    swift test --skip-build -Xswiftc -sanitize="$sanitizer" --scratch-path "$scratch" --filter "$filter"
    echo "test-sanitizers: $sanitizer: build $((built - started)) s, tests $((SECONDS - built)) s"
done
