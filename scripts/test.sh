#!/usr/bin/env bash
# Runs every test of ModelSeal on a fresh machine (Debian, Swift 6.3 at /opt/swift or on PATH).
#
# Installs what the tests need first, idempotently: Debian packages (age, time, strace, swtpm and libtss2,
# softhsm2, opensc, chromium, postgresql), a Python
# venv in .venv with the packages of python/tests/requirements.txt (real torch, torchvision,
# cryptography, ...). Then builds, runs the Swift suites, the Python suites against the built binary
# and C library, installs the built wheel into a separate venv and tests it with the Swift toolchain
# hidden, runs every example of README.md and docs/ (scripts/run-doc-examples.py), and checks that
# the committed test vectors are what their generators produce. Static checks first:
# the checked-in .swift-format applied (lint --strict), no function over 80 lines, the Fuzz package resolves.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
export PATH="/opt/swift/usr/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "Debian packages"
missing=()
command -v age >/dev/null || missing+=(age)
[ -x /usr/bin/time ] || missing+=(time)
command -v strace >/dev/null || missing+=(strace)       # licensing: a real tracer for the runtime-guard test
command -v faketime >/dev/null || missing+=(faketime)   # licensing: the clock set back
command -v unshare >/dev/null || missing+=(util-linux)
command -v swtpm >/dev/null || missing+=(swtpm)          # licensing: a TPM 2.0 emulator per TPM test
command -v swtpm_setup >/dev/null || missing+=(swtpm-tools) # licensing: EK certificates from a test CA (attestation)
command -v tpm2_getcap >/dev/null || missing+=(tpm2-tools) # licensing: reads the TPM's NV indices apart from modelseal; the key server: test_server_tpm.py
# licensing: the TPM software stack the TPM layer dlopens (not linked; the product runs without it)
ldconfig -p | grep -q 'libtss2-esys.so.0 ' || missing+=(libtss2-esys-3.0.2-0 libtss2-mu0)
ldconfig -p | grep -q 'libtss2-tctildr.so.0 ' || missing+=(libtss2-tctildr0)
ldconfig -p | grep -q 'libtss2-tcti-swtpm.so.0 ' || missing+=(libtss2-tcti-swtpm0)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)   # a real PKCS#11 token: signing keys, the server master key (test_pkcs11.py, test_server_pkcs11.py)
command -v pkcs11-tool >/dev/null || missing+=(opensc)           # signing: makes the token's keys
[ -x /usr/bin/chromium ] || missing+=(chromium)       # the console's browser test (Playwright drives it)
command -v openssl >/dev/null || missing+=(openssl)   # the server's TLS tests make their certificates
command -v ip >/dev/null || missing+=(iproute2)        # the TLS client in its own network namespace (ip netns, veth)
ldconfig -p | grep -q 'libssl.so.3 ' || missing+=(libssl3)   # the client's https:// (dlopen, not linked)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)   # the server's PostgreSQL store (scripts/postgres-temp.sh)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

step "Python environment (.venv)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r python/tests/requirements.txt

step "Static checks: swift format lint, function length, the Fuzz package's manifest"
swift format lint --strict --recursive --parallel Sources Tests Fuzz/Sources Package.swift Fuzz/Package.swift
python3 scripts/check-function-length.py 80
swift package --package-path Fuzz describe >/dev/null

step "Build"
swift build --build-tests

step "Swift tests"
swift test --skip-build

step "C library and Python wheel (release, Swift standard library linked in statically)"
bash scripts/build-python.sh

step "Python tests (real cryptography, torch, age against the built modelseal and libmodelseal_c.so)"
export MODELSEAL_BIN="$PWD/.build/debug/modelseal"
set +e
.venv/bin/python -m pytest -q python/tests
status=$?
set -e
# pytest exits 5 when it collects no test: that is a failure of this script, not a pass.
[ $status -eq 0 ] || exit $status

step "Installed wheel, Swift toolchain hidden"
bash scripts/test-wheel.sh

step "Docs that run: every sh and python block of README.md and docs/*.md (unless marked norun)"
MODELSEAL_BIN="$PWD/.build/debug/modelseal" .venv/bin/python scripts/run-doc-examples.py

step "Test vectors are reproducible"
for generator in scripts/gen-*-vectors.sh; do
    [ -e "$generator" ] || continue
    bash "$generator" --check
done

echo
echo "all tests passed"
