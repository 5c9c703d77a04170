#!/usr/bin/env bash
# Regenerates Tests/Vectors/folder from scripts/gen-folder-vectors.py (the set manifests of spec/FOLDERS.md).
#
#   scripts/gen-folder-vectors.sh          rewrite the committed vectors
#   scripts/gen-folder-vectors.sh --check  regenerate into a temporary folder and compare with the committed ones
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
"")
    python3 "$root/scripts/gen-folder-vectors.py"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    python3 "$root/scripts/gen-folder-vectors.py" "$scratch"
    diff -r "$root/Tests/Vectors/folder" "$scratch" || {
        echo "folder manifest vectors differ from the generator's output: run scripts/gen-folder-vectors.sh" >&2
        exit 1
    }
    echo "folder manifest vectors are up to date"
    ;;
*)
    echo "usage: scripts/gen-folder-vectors.sh [--check]" >&2
    exit 64
    ;;
esac
