#!/usr/bin/env bash
# Regenerates Tests/Vectors/environment from scripts/gen-env-vectors.py (the spec's contract bodies).
#
#   scripts/gen-env-vectors.sh          rewrite the committed vectors
#   scripts/gen-env-vectors.sh --check  regenerate into a temporary folder and compare with the committed ones
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
"")
    python3 "$root/scripts/gen-env-vectors.py"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    python3 "$root/scripts/gen-env-vectors.py" "$scratch"
    diff -r "$root/Tests/Vectors/environment" "$scratch" || {
        echo "environment vectors differ from the generator's output: run scripts/gen-env-vectors.sh" >&2
        exit 1
    }
    echo "environment vectors are up to date"
    ;;
*)
    echo "usage: scripts/gen-env-vectors.sh [--check]" >&2
    exit 64
    ;;
esac
