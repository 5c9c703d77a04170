#!/usr/bin/env bash
# Regenerates Tests/Vectors/mark from scripts/gen-mark-vectors.py (spec/MARK.md: key, nonce, keystream
# and marked fp32/fp16/bf16 values, from a second implementation in Python).
#
#   scripts/gen-mark-vectors.sh          rewrite the committed vectors
#   scripts/gen-mark-vectors.sh --check  regenerate into a temporary folder and diff (scripts/lib/vectors.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/vectors.sh"
regenerate_vectors mark numpy cryptography -- "$@"
