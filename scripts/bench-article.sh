#!/usr/bin/env bash
# Article compatibility benchmark: `modelseal open` of a Fernet file (the article's
# save_encrypted_model output) against the article's own decrypt step in Python
# (`load_encrypted_model` up to `Fernet(key).decrypt`), on the same ~100 MB and 1 GiB inputs.
#
#   scripts/bench-article.sh [--quick]
#
#   --quick   100 MB only
#
# Environment: BENCH_RUNS (default 5), MODELSEAL_BIN (else a release build in .build-article),
# BENCH_PYTHON (a python3 with `cryptography`; default .venv/bin/python), BENCH_TMPDIR (default /tmp;
# needs ~5 GB).
#
# Method: inputs are random bytes (10^8 and 2^30) encrypted once with cryptography's Fernet, as
# save_encrypted_model does with torch.save bytes (the cipher does not care what the bytes are).
# Each command runs once untimed, then BENCH_RUNS times in alternation; the median wall time and
# the largest peak RSS (/usr/bin/time -f %M) are reported. Every output goes to /dev/null:
#   python   open(), f.read(), Fernet(key).decrypt(data) in a fresh python3 (start-up included,
#            as the article's script runs)
#   open     modelseal open --key-env K -o /dev/null IN.enc   (pass 1 HMAC, pass 2 decrypt)
#   check    modelseal open --key-env K --check IN.enc        (pass 1 only)
#   migrate  modelseal migrate --key-env K -o /dev/null IN.enc (pass 1, pass 2 into the sealer)
set -euo pipefail

main() {
    quick=0
    [[ "${1:-}" == "--quick" ]] && quick=1
    runs="${BENCH_RUNS:-5}"
    repo="$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
    python="${BENCH_PYTHON:-$repo/.venv/bin/python}"
    "$python" -c 'import cryptography.fernet' || { echo "need a python with cryptography (BENCH_PYTHON)" >&2; exit 1; }
    [[ -x /usr/bin/time ]] || { echo "need GNU time: apt-get install time" >&2; exit 1; }
    bin="${MODELSEAL_BIN:-}"
    if [[ -z "$bin" ]]; then
        (cd "$repo" && swift build -c release --product modelseal --scratch-path .build-article > /dev/null)
        bin="$repo/.build-article/release/modelseal"
    fi
    work="$(mktemp -d "${BENCH_TMPDIR:-/tmp}/modelseal-article.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    export K
    K="$("$python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    cat > "$work/decrypt.py" << 'PY'
import sys
from cryptography.fernet import Fernet
# The article's load_encrypted_model up to the decrypt (torch.load left out: both sides would pay it).
with open(sys.argv[1], "rb") as f:
    encrypted_data = f.read()
decrypted_bytes = Fernet(sys.argv[2]).decrypt(encrypted_data)
PY
    median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    # Runs a command; prints "seconds peak_kib".
    measure() {
        local start end
        start=$(date +%s.%N)
        /usr/bin/time -f %M -o "$work/rss" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
        end=$(date +%s.%N)
        echo "$(echo "$end - $start" | bc -l) $(cat "$work/rss")"
    }
    sizes=(100000000)
    ((quick)) || sizes+=(1073741824)
    echo "modelseal article-compat benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "modelseal $("$bin" --version); $("$python" --version); cryptography $("$python" -c 'import cryptography; print(cryptography.__version__)'); runs: $runs"
    printf '\n%-12s %-8s %10s %10s %12s\n' size command "median s" "MB/s" "peak RSS MiB"
    for size in "${sizes[@]}"; do
        head -c "$size" /dev/urandom > "$work/in.bin"
        "$python" -c 'import sys; from cryptography.fernet import Fernet
data = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(Fernet(sys.argv[3]).encrypt(data))' \
            "$work/in.bin" "$work/in.enc" "$K"
        rm "$work/in.bin"
        cat "$work/in.enc" > /dev/null
        declare -A commands=(
            [python]="$python $work/decrypt.py $work/in.enc $K"
            [open]="$bin open -q --key-env K -o /dev/null $work/in.enc"
            [check]="$bin open -q --key-env K --check $work/in.enc"
            [migrate]="$bin migrate -q --key-env K -o /dev/null $work/in.enc"
        )
        order=(python open check migrate)
        for name in "${order[@]}"; do measure ${commands[$name]} > /dev/null; done
        declare -A times=() peaks=()
        for _ in $(seq "$runs"); do
            for name in "${order[@]}"; do
                read -r seconds kib < <(measure ${commands[$name]})
                times[$name]+="$seconds "
                peaks[$name]=$(( kib > ${peaks[$name]:-0} ? kib : ${peaks[$name]:-0} ))
            done
        done
        for name in "${order[@]}"; do
            m=$(tr ' ' '\n' <<< "${times[$name]}" | grep . | median)
            printf '%-12s %-8s %10.3f %10.0f %12.1f\n' "$size" "$name" "$m" "$(echo "$size / $m / 1000000" | bc -l)" \
                "$(echo "${peaks[$name]} / 1024" | bc -l)"
        done
        unset commands times peaks
        rm "$work/in.enc"
    done
}

main "$@"
