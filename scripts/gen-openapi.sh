#!/usr/bin/env bash
# Writes docs/openapi.json from the server's own description (what it serves at /openapi.json);
# ModelSealServerTests fails when the committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
swift build --product modelseal-server >/dev/null
.build/debug/modelseal-server openapi > docs/openapi.json
