#!/usr/bin/env bash
# Regenerates Tests/Vectors/container from scripts/gen-container-vectors.py (FORMAT.md §11).
#
#   scripts/gen-container-vectors.sh          rewrite the committed vectors
#   scripts/gen-container-vectors.sh --check  regenerate into a temporary folder and diff against
#                                             the committed vectors (the generator is deterministic)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vectors="$root/Tests/Vectors/container"
python="$root/.venv/bin/python"

if ! "$python" -c 'import cryptography' 2>/dev/null; then
    python3 -m venv "$root/.venv"
    "$root/.venv/bin/pip" install --quiet cryptography
fi

case "${1:-}" in
"")
    "$python" "$root/scripts/gen-container-vectors.py" "$vectors"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    "$python" "$root/scripts/gen-container-vectors.py" "$scratch/container" >/dev/null
    if ! diff -r "$vectors" "$scratch/container"; then
        echo "container vectors differ from the generator's output: run scripts/gen-container-vectors.sh" >&2
        exit 1
    fi
    echo "container vectors are up to date"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
