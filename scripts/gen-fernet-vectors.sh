#!/usr/bin/env bash
# Regenerates Tests/Vectors/fernet from scripts/gen-fernet-vectors.py (docs/ARTICLE.md).
#
#   scripts/gen-fernet-vectors.sh          rewrite the committed vectors
#   scripts/gen-fernet-vectors.sh --check  regenerate into a temporary folder and diff against
#                                             the committed vectors (the generator is deterministic)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vectors="$root/Tests/Vectors/fernet"
python="$root/.venv/bin/python"

if ! "$python" -c 'import cryptography' 2>/dev/null; then
    python3 -m venv "$root/.venv"
    "$root/.venv/bin/pip" install --quiet cryptography
fi

case "${1:-}" in
"")
    "$python" "$root/scripts/gen-fernet-vectors.py" "$vectors"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    "$python" "$root/scripts/gen-fernet-vectors.py" "$scratch/fernet" >/dev/null
    if ! diff -r "$vectors" "$scratch/fernet"; then
        echo "fernet vectors differ from the generator's output: run scripts/gen-fernet-vectors.sh" >&2
        exit 1
    fi
    echo "fernet vectors are up to date"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
