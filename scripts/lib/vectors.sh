# Shared by scripts/gen-<name>-vectors.sh (sourced, not run): rewrites Tests/Vectors/<name> from
# scripts/gen-<name>-vectors.py, or with --check regenerates into a temporary folder and diffs it
# against the committed vectors (each generator is deterministic).
#
#   regenerate_vectors NAME [PYTHON_MODULE...] -- "$@"
#
# With modules named, the generator runs in the repository's .venv (made and filled when a module
# is missing); without, in the system python3. VECTORS_GENERATOR names a generator whose file name is
# not gen-NAME-vectors.py (the licensing vectors come from gen-license-vectors.py).
regenerate_vectors() {
    local name=$1
    shift
    local modules=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        modules+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    local vectors="$root/Tests/Vectors/$name" generator="${VECTORS_GENERATOR:-$root/scripts/gen-$name-vectors.py}" python=python3
    if [ ${#modules[@]} -gt 0 ]; then
        python="$root/.venv/bin/python"
        local imports
        imports=$(IFS=,; echo "${modules[*]}")
        if ! "$python" -c "import $imports" 2>/dev/null; then
            [ -x "$python" ] || python3 -m venv "$root/.venv"
            "$root/.venv/bin/pip" install --quiet "${modules[@]}"
        fi
    fi
    case "${1:-}" in
    "")
        "$python" "$generator" "$vectors"
        ;;
    --check)
        local scratch
        scratch="$(mktemp -d)"
        trap "rm -rf '$scratch'" EXIT  # expanded now: the local is gone when the trap runs
        "$python" "$generator" "$scratch/$name" >/dev/null
        if ! diff -r "$vectors" "$scratch/$name"; then
            echo "$name vectors differ from the generator's output: run scripts/gen-$name-vectors.sh" >&2
            exit 1
        fi
        echo "$name vectors are up to date"
        ;;
    *)
        echo "usage: scripts/gen-$name-vectors.sh [--check]" >&2
        exit 64
        ;;
    esac
}
