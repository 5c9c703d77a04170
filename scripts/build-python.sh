#!/usr/bin/env bash
# Builds libmodelseal_c.so for the Python package and a wheel that bundles it.
#
# The Swift standard library, Foundation and swift-crypto are linked in statically (-static-stdlib)
# and only the modelseal_ functions are exported (Sources/CModelSeal/exports.map), so the wheel
# needs no Swift toolchain on the customer's machine: only glibc, libstdc++ and libgcc_s.
#
#   bash scripts/build-python.sh            # library into python/modelseal/, wheel into dist/
#   bash scripts/build-python.sh --lib-only # library only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scratch="${MODELSEAL_SCRATCH:-.build-python}"

swift build -c release --scratch-path "$scratch" --product modelseal_c \
    -Xswiftc -static-stdlib \
    -Xlinker "--version-script=$PWD/Sources/CModelSeal/exports.map" \
    -Xlinker --exclude-libs=ALL
library="$scratch/release/libmodelseal_c.so"
strip --strip-unneeded -o python/modelseal/libmodelseal_c.so "$library"

# The library must not need the toolchain's shared libraries.
if ldd python/modelseal/libmodelseal_c.so | grep -E 'libswift|libFoundation|libdispatch|/opt/swift'; then
    echo "build-python: libmodelseal_c.so still depends on the Swift toolchain" >&2
    exit 1
fi
cp Sources/CModelSeal/include/modelseal.h python/modelseal/modelseal.h

[ "${1:-}" = "--lib-only" ] && exit 0
python="${PYTHON:-.venv/bin/python}"
rm -rf dist/modelseal-*.whl
"$python" -m pip wheel -q --no-deps --no-build-isolation -w dist ./python
ls dist/modelseal-*.whl
