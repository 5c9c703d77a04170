# Shared by scripts/bench-*.sh (sourced, not run): the modelseal binary a benchmark measures.
#
#   bin=$(modelseal_binary)     # $MODELSEAL_BIN, else a release build of this checkout (built if needed)
modelseal_binary() {
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    if [ -n "${MODELSEAL_BIN:-}" ]; then
        echo "$MODELSEAL_BIN"
        return
    fi
    (cd "$root" && swift build -c release --product modelseal >/dev/null)
    echo "$root/.build/release/modelseal"
}
