#!/usr/bin/env bash
# Regenerates Tests/Vectors/licensing from scripts/gen-license-vectors.py (spec/LICENSING.md, versions 1 and 2).
#
#   scripts/gen-license-vectors.sh          rewrite the committed vectors
#   scripts/gen-license-vectors.sh --check  regenerate into a temporary folder and compare with the committed ones
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$root/.venv/bin/python"  # the generator uses the cryptography package
case "${1:-}" in
"")
    "$python" "$root/scripts/gen-license-vectors.py" "$root/Tests/Vectors/licensing"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    "$python" "$root/scripts/gen-license-vectors.py" "$scratch" >/dev/null
    diff -r "$root/Tests/Vectors/licensing" "$scratch" || {
        echo "license vectors differ from the generator's output: run scripts/gen-license-vectors.sh" >&2
        exit 1
    }
    echo "license vectors are up to date"
    ;;
*)
    echo "usage: scripts/gen-license-vectors.sh [--check]" >&2
    exit 64
    ;;
esac
