#!/usr/bin/env bash
# Regenerates Tests/Vectors/container from scripts/gen-container-vectors.py (spec/CONTAINER.md §10).
#
#   scripts/gen-container-vectors.sh          rewrite the committed vectors
#   scripts/gen-container-vectors.sh --check  regenerate into a temporary folder and diff against the committed
#                                        vectors (the generator is deterministic; scripts/lib/vectors.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/vectors.sh"
regenerate_vectors container cryptography -- "$@"
