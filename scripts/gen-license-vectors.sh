#!/usr/bin/env bash
# Regenerates Tests/Vectors/licensing from scripts/gen-license-vectors.py (spec/LICENSING.md, versions 1 and 2).
#
#   scripts/gen-license-vectors.sh          rewrite the committed vectors
#   scripts/gen-license-vectors.sh --check  regenerate into a temporary folder and diff against the committed ones
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/vectors.sh"
VECTORS_GENERATOR="$(dirname "${BASH_SOURCE[0]}")/gen-license-vectors.py" regenerate_vectors licensing cryptography -- "$@"
