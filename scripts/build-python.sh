#!/usr/bin/env bash
# Builds libmodelseal_c.so for the Python package, the `modelseal` command, and a wheel that
# bundles both (the command as modelseal-*.data/scripts/modelseal: pip installs it executable on PATH).
#
# The Swift standard library, Foundation and swift-crypto are linked in statically (-static-stdlib,
# --static-swift-stdlib) and only the modelseal_ functions are exported from the library
# (Sources/CModelSeal/exports.map), so neither needs a Swift toolchain on the customer's machine:
# only glibc (libc, libm), libstdc++ and libgcc_s. Both are built in one scratch folder.
#
#   bash scripts/build-python.sh            # library into python/modelseal/, command into python/build/, wheel into dist/
#   bash scripts/build-python.sh --lib-only # library only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scratch="${MODELSEAL_SCRATCH:-.build-python}"

# One set of flags for both products, so they share every compiled module (a second build with other
# flags would compile everything again): the runtime linked statically, and only the modelseal_
# functions exported (the command exports nothing anyway).
flags=(-c release --scratch-path "$scratch" --static-swift-stdlib -Xswiftc -static-stdlib
    -Xlinker "--version-script=$PWD/Sources/CModelSeal/exports.map" -Xlinker --exclude-libs=ALL)
if [ "${1:-}" = "--lib-only" ]; then
    swift build "${flags[@]}" --product modelseal_c
else
    # The two products the wheel ships (not the vendor's modelseal-server, which links Hummingbird):
    # the second build reuses every module the first compiled.
    swift build "${flags[@]}" --product modelseal_c
    swift build "${flags[@]}" --product modelseal
fi
library="$scratch/release/libmodelseal_c.so"
strip --strip-unneeded -o python/modelseal/libmodelseal_c.so "$library"

# The library must not need the toolchain's shared libraries.
if ldd python/modelseal/libmodelseal_c.so | grep -E 'libswift|libFoundation|libdispatch|/opt/swift'; then
    echo "build-python: libmodelseal_c.so still depends on the Swift toolchain" >&2
    exit 1
fi
cp Sources/CModelSeal/include/modelseal.h python/modelseal/modelseal.h

[ "${1:-}" = "--lib-only" ] && exit 0

mkdir -p python/build
strip --strip-unneeded -o python/build/modelseal "$scratch/release/modelseal"
# The command must need nothing but the C and C++ runtimes and the loader.
unexpected=$(ldd python/build/modelseal | awk '{print $1}' |
    grep -vE '^(linux-vdso\.so|libc\.so|libm\.so|libstdc\+\+\.so|libgcc_s\.so|/lib.*/ld-linux)' || true)
if [ -n "$unexpected" ]; then
    echo "build-python: the modelseal command needs more than libc, libm, libstdc++, libgcc_s: $unexpected" >&2
    exit 1
fi

python="${PYTHON:-.venv/bin/python}"
rm -rf dist/modelseal-*.whl
"$python" -m pip wheel -q --no-deps --no-build-isolation -w dist ./python
ls dist/modelseal-*.whl
