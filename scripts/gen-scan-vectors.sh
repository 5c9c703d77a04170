#!/usr/bin/env bash
# Regenerates Tests/Vectors/scan from scripts/gen-scan-vectors.py (docs/SCAN.md).
#
#   scripts/gen-scan-vectors.sh          rewrite the committed vectors
#   scripts/gen-scan-vectors.sh --check  regenerate into a temporary folder and diff against
#                                        the committed vectors (the generator is deterministic)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vectors="$root/Tests/Vectors/scan"

case "${1:-}" in
"")
    python3 "$root/scripts/gen-scan-vectors.py" "$vectors"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    python3 "$root/scripts/gen-scan-vectors.py" "$scratch/scan" >/dev/null
    if ! diff -r "$vectors" "$scratch/scan"; then
        echo "scan vectors differ from the generator's output: run scripts/gen-scan-vectors.sh" >&2
        exit 1
    fi
    echo "scan vectors are up to date"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 64
    ;;
esac
