#!/usr/bin/env bash
# Regenerates Tests/Vectors/folder from scripts/gen-folder-vectors.py (the set manifests of spec/FOLDERS.md).
#
#   scripts/gen-folder-vectors.sh          rewrite the committed vectors
#   scripts/gen-folder-vectors.sh --check  regenerate into a temporary folder and diff against the committed ones
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/vectors.sh"
regenerate_vectors folder -- "$@"
