#!/usr/bin/env bash
# Installs the built wheel (dist/modelseal-*.whl) into its own venv, .venv-wheel, and runs the
# Python API and ABI suites, the server= TLS pin check (the key server is a debug build that needs
# the toolchain, so server= against it runs in the main pass only) and the customer's whole path
# (test_wheel_customer.py: the installed `modelseal` command and library, auditwheel, ldd) against
# the installed package where no Swift toolchain is visible:
# in a private mount namespace with an empty /opt/swift, PATH without it, no LD_LIBRARY_PATH, from
# a directory outside the repository (so `import modelseal` can only find the installed copy).
#
# torch comes from .venv (a .pth line adds its site-packages), so it is not downloaded twice.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
wheel=$(ls dist/modelseal-*.whl)

[ -x .venv-wheel/bin/python ] || python3 -m venv .venv-wheel
own=$(.venv-wheel/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
.venv/bin/python -c 'import sys; print("\n".join(p for p in sys.path if p.endswith("site-packages")))' \
    > "$own/zz-test-dependencies.pth"
.venv-wheel/bin/python -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$wheel"

# The wheel carries the `modelseal` command, linked statically (scripts/build-python.sh): the tests
# use that installed command, with no copy of the toolchain's libraries anywhere.
keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT
cli="$repo/.venv-wheel/bin/modelseal"
[ -x "$cli" ] || { echo "test-wheel: the wheel did not install bin/modelseal" >&2; exit 1; }
"$cli" keygen -o "$keys/customer.key" > "$keys/customer.pub"

run_tests() {
    cd "$keys"
    env -u LD_LIBRARY_PATH -u MODELSEAL_LIBRARY PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        MODELSEAL_INSTALLED=1 MODELSEAL_TEST_KEYS="$keys" MODELSEAL_BIN="$cli" \
        MODELSEAL_WHEEL="$repo/$wheel" MODELSEAL_TOOLS="$repo/.venv/bin" \
        "$repo/.venv-wheel/bin/python" -m pytest -q -rs -p no:cacheprovider --rootdir "$repo/python/tests" \
        "$repo/python/tests/test_python_api.py" "$repo/python/tests/test_python_abi.py" \
        "$repo/python/tests/test_wheel_customer.py" \
        "$repo/python/tests/test_python_server.py::test_the_library_computes_the_spki_pin" \
        "$repo/python/tests/test_python_server.py::test_https_requires_the_pinned_key"
}

if unshare --mount --propagation private true 2>/dev/null; then
    export -f run_tests
    export repo keys cli wheel
    unshare --mount --propagation private bash -c '
        set -e
        mount -t tmpfs -o ro none /opt/swift
        [ -z "$(ls /opt/swift)" ] && ! command -v swift >/dev/null
        echo "(toolchain hidden: /opt/swift is empty in this mount namespace)"
        run_tests'
else
    echo "test-wheel: no mount namespaces here; hiding the toolchain from PATH and LD_LIBRARY_PATH only" >&2
    run_tests
fi
