#!/usr/bin/env bash
# Regenerates Tests/Vectors/oms with the real model_signing (scripts/gen-oms-vectors.py).
#
#   scripts/gen-oms-vectors.sh          rewrite the committed vectors (new random ECDSA signatures)
#   scripts/gen-oms-vectors.sh --check  re-derive the deterministic files (model, keys, key hints) and diff them,
#                                       and have model_signing verify every committed file-serialization signature
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vectors="$root/Tests/Vectors/oms"
python="$root/.venv/bin/python"

if ! "$python" -c 'import model_signing' 2>/dev/null; then
    [ -x "$python" ] || python3 -m venv "$root/.venv"
    "$root/.venv/bin/pip" install --quiet model-signing pyopenssl
fi

case "${1:-}" in
"")
    "$python" "$root/scripts/gen-oms-vectors.py" "$vectors"
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    ( cd "$root" && "$python" -c '
import importlib.util, pathlib, sys
spec = importlib.util.spec_from_file_location("gen", "scripts/gen-oms-vectors.py")
gen = importlib.util.module_from_spec(spec); spec.loader.exec_module(gen)
gen.write_deterministic(pathlib.Path(sys.argv[1]))
' "$scratch" )
    for name in model single.bin key-hints.txt p256.pem p256.pub p384.pem p384.pub p521.pem p521.pub; do
        if ! diff -r "$vectors/$name" "$scratch/$name" >/dev/null; then
            echo "oms vector $name differs from the generator's output: run scripts/gen-oms-vectors.sh" >&2
            exit 1
        fi
    done
    ( cd "$vectors" && "$python" -c '
import model_signing
for key, model, sig in [("p256", "model", "model.p256.sig"), ("p384", "model", "model.p384.sig"),
                        ("p521", "model", "model.p521.sig"), ("p256", "single.bin", "single.p256.sig")]:
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=key + ".pub").verify(model, sig)
' )
    echo "oms vectors are up to date (model_signing verifies every file-serialization signature)"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 64
    ;;
esac
