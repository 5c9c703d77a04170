#!/usr/bin/env bash
# Regenerates Tests/Vectors/fernet from scripts/gen-fernet-vectors.py (docs/ARTICLE.md).
#
#   scripts/gen-fernet-vectors.sh          rewrite the committed vectors
#   scripts/gen-fernet-vectors.sh --check  regenerate into a temporary folder and diff against the committed
#                                        vectors (the generator is deterministic; scripts/lib/vectors.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/vectors.sh"
regenerate_vectors fernet cryptography -- "$@"
