#!/usr/bin/env bash
# Regenerates Tests/Vectors/scan from scripts/gen-scan-vectors.py (docs/SCAN.md).
#
#   scripts/gen-scan-vectors.sh          rewrite the committed vectors
#   scripts/gen-scan-vectors.sh --check  regenerate into a temporary folder and diff against the committed
#                                        vectors (the generator is deterministic; scripts/lib/vectors.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/vectors.sh"
regenerate_vectors scan  -- "$@"
