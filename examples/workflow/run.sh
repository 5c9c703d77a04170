#!/usr/bin/env bash
# The article's workflow, end to end, with real venvs and real torch (docs/WORKFLOW.md walks through it).
#
#   vendor:   train -> export state_dict -> inspect, scan -> capture env -> seal + sign + contract -> pack
#   customer: verify bundle -> unpack -> check env -> decrypt in memory -> torch.load -> serve
#   failures: an environment with another NumPy (exit 40), a tampered bundle (exit 45): clear messages, nothing unpacked
#
# Environment variables:
#   MODELSEAL  the modelseal binary (default: modelseal on PATH)
#   PYTHON     a Python with torch installed, whose packages the venvs share (default: python3)
#   WORK       the folder to work in (default: a new temporary folder)
#   OTHER_NUMPY  the NumPy version of the mismatched customer environment (default 2.3.5; from PyPI)
#   WHEEL      the modelseal wheel the customer installs (default: the newest dist/modelseal-*.whl of
#              this repository, built by scripts/build-python.sh)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
MODELSEAL="${MODELSEAL:-modelseal}"
PYTHON="${PYTHON:-python3}"
WORK="${WORK:-$(mktemp -d)}"
OTHER_NUMPY="${OTHER_NUMPY:-2.3.5}"
WHEEL="${WHEEL:-$(ls -t "$HERE"/../../dist/modelseal-*.whl 2>/dev/null | head -1)}"
[ -f "$WHEEL" ] || { echo "no modelseal wheel: run scripts/build-python.sh or set WHEEL" >&2; exit 1; }
WHEEL="$(cd "$(dirname "$WHEEL")" && pwd)/$(basename "$WHEEL")"
export SWIFT_BACKTRACE=enable=no
mkdir -p "$WORK/vendor" "$WORK/customer"
cd "$WORK"
step() { printf '\n== %s\n' "$*"; }

# Every venv shares one torch: a fresh venv plus a .pth line naming $PYTHON's site-packages (real
# venvs and real torch, without installing 2 GB per venv). --system-site-packages would share the
# *base* interpreter's packages, which are not where torch is when $PYTHON is itself a venv.
SHARED="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
make_venv() {
    "$PYTHON" -m venv --without-pip "$1"
    local site
    site="$("$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "$SHARED" > "$site/shared-torch.pth"
}

step "vendor: a venv, a model trained on generated data, its state_dict"
make_venv vendor/venv
vendor/venv/bin/python "$HERE/train.py" vendor/model.pt

step "vendor: scan the export"
# Every pickle opcode checked against the allowlist of torch.load(weights_only=True), nothing executed;
# anything but `clean` (exit 0) stops the script (set -e).
"$MODELSEAL" scan vendor/model.pt

step "vendor: keys (signing key for the vendor, X25519 key pair for the customer)"
"$MODELSEAL" keygen --sign -o vendor/vendor.key 2>/dev/null
cp vendor/vendor.key.pub customer/vendor.pub                     # delivered out of band, fingerprint compared
"$MODELSEAL" keygen -o customer/customer.key 2>/dev/null          # the customer keeps the identity...
RECIPIENT="$(grep -o 'modelseal1[0-9a-z]*' customer/customer.key | head -1)"   # ...and sends the vendor this

step "vendor: capture the environment the model was tested in"
"$MODELSEAL" env capture --python vendor/venv/bin/python -o vendor/env.lock.json

step "vendor: seal for the customer, signed, with the environment contract (policy pinned, the default)"
"$MODELSEAL" seal -r "$RECIPIENT" --sign-key vendor/vendor.key --env vendor/env.lock.json \
    -o vendor/model.mseal vendor/model.pt
"$MODELSEAL" inspect vendor/model.mseal

step "vendor: pack the delivery"
"$MODELSEAL" pack -o vendor/acme.mspkg --sign-key vendor/vendor.key --customer "ACME Clinic" vendor/model.mseal
cp vendor/acme.mspkg customer/

step "customer: verify the bundle (no key needed)"
cd customer
"$MODELSEAL" verify --trust vendor.pub acme.mspkg

step "customer: unpack (all or nothing)"
"$MODELSEAL" unpack --trust vendor.pub -o delivery acme.mspkg

step "customer: a separate venv with the modelseal wheel installed, checked against the signed contract"
make_venv venv
# Installed into the venv's own site-packages (real pip, no dependencies: torch comes from the shared folder).
"$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --target \
    "$(venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" "$WHEEL"
"$MODELSEAL" env check --contract delivery/models/model.mseal --trust vendor.pub --python venv/bin/python

step "customer: modelseal.load (signature, contract, decrypt in memory, torch.load), serve predictions"
printf '%s\n' '{"id": 1, "features": [0, 0, 0, 0, 0, 0, 0, 0]}' '{"id": 2, "features": [2, 2, 2, 2, 2, 2, 2, 2]}' \
    > requests.jsonl
venv/bin/python "$HERE/serve.py" --sealed delivery/models/model.mseal --identity customer.key --trust vendor.pub \
    < requests.jsonl | tee predictions.jsonl
grep -q '"id": 2, "class": 1' predictions.jsonl

step "failure: an environment with another NumPy build must be refused (exit 40)"
make_venv venv-other
OTHER_SITE="$(venv-other/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# Installed into the venv's own site-packages, which comes before the shared one on sys.path.
"$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --target "$OTHER_SITE" "numpy==$OTHER_NUMPY"
venv-other/bin/python -c 'import numpy; print("customer venv-other runs numpy", numpy.__version__)' 
set +e
"$MODELSEAL" env check --contract delivery/models/model.mseal --trust vendor.pub --python venv-other/bin/python \
    2> mismatch.txt
status=$?
set -e
cat mismatch.txt
[ "$status" -eq 40 ] || { echo "expected exit 40, got $status"; exit 1; }
grep -q "~ numpy" mismatch.txt

step "failure: a tampered bundle must be refused (exit 45), and nothing unpacked"
cp acme.mspkg tampered.mspkg
size=$(stat -c %s tampered.mspkg)
# Overwrite one byte in the middle of the file: inside the sealed model's bytes.
printf '\x00' | dd of=tampered.mspkg bs=1 seek=$((size / 2)) conv=notrunc status=none
set +e
"$MODELSEAL" verify --trust vendor.pub tampered.mspkg > /dev/null 2> tampered.txt
verify_status=$?
"$MODELSEAL" unpack --trust vendor.pub -o tampered-out tampered.mspkg 2>> tampered.txt
unpack_status=$?
set -e
cat tampered.txt
[ "$verify_status" -eq 45 ] && [ "$unpack_status" -eq 45 ] || { echo "expected exit 45, got $verify_status/$unpack_status"; exit 1; }
[ ! -e tampered-out ] && ! ls -a | grep -q '^\.tampered-out' || { echo "something was unpacked"; exit 1; }

step "all steps behaved as expected (work folder: $WORK)"
