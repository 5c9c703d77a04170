#!/usr/bin/env bash
# Container benchmark: modelseal seal/open against age (X25519) and the article's Fernet method,
# same run, warm page cache, every tool writing to /dev/null; file output reported apart.
#
#   scripts/bench-container.sh [--quick] [--json FILE]
#
#   --quick       100 MB only, 3 runs (smoke test)
#   --json FILE   also write every run, the medians, ratios and target verdicts as JSON
#
# Environment:
#   BENCH_RUNS       timed runs per command (default 5; 3 with --quick); the median is reported
#   MODELSEAL_BIN    benchmark this binary instead of building .build-bench/release/modelseal
#   BENCH_PYTHON     a python3 with `cryptography` for the Fernet baseline
#   BENCH_TMPDIR     where the temporary directory goes (default /tmp); needs ~10 GB free
#                    (on a disk, not tmpfs, for the file-output rows to mean anything)
#
# Method: every command runs once untimed (warm-up), then BENCH_RUNS rounds, each round running
# every command once in a shuffled order. Wall time is taken around `/usr/bin/time -f %M CMD`
# (its fork and exec, about 1 ms, are included for every tool alike); peak RSS is that %M; CPU is
# user + system time of the command. Throughput = plaintext bytes / median wall time, in decimal
# units (1 MB/s = 10^6 bytes/s) for both sizes. The Fernet baseline runs in a fresh python3
# process each time, interpreter start and `import cryptography` included, as the article's
# script would; it holds the whole file in memory (and its base64 token is 4/3 of the file).
set -euo pipefail

# Everything runs inside main, which bash parses whole before running: editing this file during
# a run cannot change the run.
main() {
    die() { echo "bench-container: $*" >&2; exit 1; }
    note() { echo "bench-container: $*" >&2; }

    quick=0
    json_out=""
    while (($#)); do
        case "$1" in
            --quick) quick=1 ;;
            --json) [[ $# -ge 2 ]] || die "--json needs a FILE"; json_out="$2"; shift ;;
            --json=*) json_out="${1#--json=}" ;;
            -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
            *) die "unknown argument '$1' (see --help)" ;;
        esac
        shift
    done
    if ((quick)); then runs="${BENCH_RUNS:-3}"; else runs="${BENCH_RUNS:-5}"; fi
    [[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$runs'"
    if [[ -n "$json_out" ]]; then
        mkdir -p "$(dirname -- "$json_out")"
        json_out="$(cd "$(dirname -- "$json_out")" && pwd)/$(basename -- "$json_out")"
    fi

    repo="$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
    helper="$repo/scripts/bench_container.py"
    [[ -f "$helper" ]] || die "missing $helper"

    # --- Tools: install what is missing, idempotently, from Debian's packages. -----------------------
    apt_updated=0
    apt_install() { # PACKAGE...
        if ! command -v apt-get > /dev/null; then die "need $*, and there is no apt-get to install it"; fi
        [[ $(id -u) -eq 0 ]] || die "need $*: install it (apt-get install $*) or run as root"
        if ((!apt_updated)); then
            note "apt-get update"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq > /dev/null || die "apt-get update failed"
            apt_updated=1
        fi
        note "apt-get install $*"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" > /dev/null || die "apt-get install $* failed"
    }
    [[ -x /usr/bin/time ]] || apt_install time
    [[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing"
    command -v age > /dev/null && command -v age-keygen > /dev/null || apt_install age
    command -v age > /dev/null && command -v age-keygen > /dev/null || die "age and age-keygen are missing"
    age_bin="$(command -v age)"

    has_fernet() { "$1" -c 'import cryptography.fernet' 2> /dev/null; }
    python=""
    for candidate in "${BENCH_PYTHON:-}" "$repo/.venv/bin/python" "$repo/.build-bench/bench-venv/bin/python" \
        "$(command -v python3 || true)"; do
        if [[ -n "$candidate" && -x "$candidate" ]] && has_fernet "$candidate"; then python="$candidate"; break; fi
    done
    if [[ -z "$python" ]]; then
        [[ -z "${BENCH_PYTHON:-}" ]] || die "BENCH_PYTHON=$BENCH_PYTHON cannot import cryptography"
        command -v python3 > /dev/null || apt_install python3
        python3 -c 'import venv, ensurepip' 2> /dev/null || apt_install python3-venv
        note "creating $repo/.build-bench/bench-venv with cryptography (pip)"
        python3 -m venv "$repo/.build-bench/bench-venv" || die "python3 -m venv failed"
        "$repo/.build-bench/bench-venv/bin/pip" install -q cryptography || die "pip install cryptography failed"
        python="$repo/.build-bench/bench-venv/bin/python"
        has_fernet "$python" || die "cryptography did not install"
    fi

    if [[ -n "${MODELSEAL_BIN:-}" ]]; then
        bin="$MODELSEAL_BIN"
        [[ -x "$bin" ]] || die "MODELSEAL_BIN=$bin is not an executable"
    else
        bin="$repo/.build-bench/release/modelseal"
        if [[ ! -x "$bin" ]]; then
            command -v swift > /dev/null || die "swift is not on PATH: install the toolchain or set MODELSEAL_BIN"
            note "building $bin (first build takes a few minutes)"
            (cd "$repo" && swift build -c release --scratch-path .build-bench --product modelseal > /dev/null) ||
                die "swift build failed: run swift build -c release --scratch-path .build-bench --product modelseal"
        fi
    fi
    bin="$(cd "$(dirname -- "$bin")" && pwd)/$(basename -- "$bin")"

    # --- Scratch space, keys. --------------------------------------------------------------------------
    work="$(mktemp -d "${BENCH_TMPDIR:-/tmp}/modelseal-bench.XXXXXX")"
    trap 'rm -rf -- "$work"' EXIT
    trap 'exit 130' INT TERM

    MODEL_KEY="$("$bin" keygen --symmetric)" || die "modelseal keygen --symmetric failed"
    export MODEL_KEY
    export BENCH_PASSPHRASE="correct horse battery staple, benchmark only"
    ours_recipient="$("$bin" keygen -o "$work/customer.key" 2> /dev/null |
        grep -o 'modelseal1[0-9a-z]*' | head -n1 || true)"
    [[ -n "$ours_recipient" ]] || die "modelseal keygen -o did not print a modelseal1... recipient"
    age-keygen -o "$work/age.key" 2> /dev/null
    age_recipient="$(age-keygen -y "$work/age.key")"

    sep=$'\x1f'
    plan_row() { # PLAN SIZE_LABEL BYTES SECTION KEY LABEL PEERS PREP ARGV...
        local plan="$1" size_label="$2" bytes="$3" section="$4" key="$5" label="$6" peers="$7" prep="$8"
        shift 8
        local argv
        argv="$(printf "%s$sep" "$@")"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size_label" "$bytes" "$section" "$key" "$label" "$peers" "$prep" \
            "${argv%"$sep"}" >> "$plan"
    }

    same_or_die() { # EXPECTED ACTUAL WHAT
        cmp -s -- "$1" "$2" || die "$3: output differs from the input"
        rm -f -- "$2"
    }

    sizes=("100MB:100000000")
    ((quick)) || sizes+=("1GiB:1073741824")
    results=()
    started=$SECONDS
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    for entry in "${sizes[@]}"; do
        label="${entry%%:*}"
        bytes="${entry#*:}"
        dir="$work/$label"
        mkdir -p "$dir"
        in="$dir/input.bin"
        note "[$label] making $bytes bytes of incompressible input"
        head -c "$bytes" /dev/urandom > "$in"
        [[ $(stat -c %s "$in") -eq $bytes ]] || die "short input file"

        # Sealed inputs for the open measurements, and one checked round trip per tool.
        note "[$label] sealing the inputs for open, checking round trips"
        "$bin" seal -q --key-env MODEL_KEY -o "$dir/raw.mseal" "$in"
        "$bin" seal -q -r "$ours_recipient" -o "$dir/x25519.mseal" "$in"
        "$bin" seal -q --passphrase-env BENCH_PASSPHRASE -o "$dir/pass.mseal" "$in"
        "$age_bin" -r "$age_recipient" -o "$dir/in.age" "$in"
        "$python" "$helper" fernet-encrypt "$in" "$dir/in.fernet"
        # (One command per line: under set -e a failure on the left of && would not stop the script.)
        "$bin" open -q --key-env MODEL_KEY -o "$dir/rt" "$dir/raw.mseal"
        same_or_die "$in" "$dir/rt" "open --key-env"
        "$bin" open -q -i "$work/customer.key" -o "$dir/rt" "$dir/x25519.mseal"
        same_or_die "$in" "$dir/rt" "open -i"
        "$bin" open -q --passphrase-env BENCH_PASSPHRASE -o "$dir/rt" "$dir/pass.mseal"
        same_or_die "$in" "$dir/rt" "open --passphrase-env"
        "$age_bin" -d -i "$work/age.key" -o "$dir/rt" "$dir/in.age"
        same_or_die "$in" "$dir/rt" "age -d"
        "$python" "$helper" fernet-decrypt "$dir/in.fernet" "$dir/rt"
        same_or_die "$in" "$dir/rt" "Fernet decrypt"
        "$bin" open -q --key-env MODEL_KEY --check "$dir/raw.mseal"

        plan="$dir/plan.tsv"
        : > "$plan"
        p() { plan_row "$plan" "$label" "$bytes" "$@"; }
        s_peers="seal/age,seal/fernet"
        o_peers="open/age,open/fernet"
        p seal seal/ours-raw "modelseal seal --key-env" "$s_peers" - \
            "$bin" seal -q --key-env MODEL_KEY -o /dev/null "$in"
        p seal seal/ours-x25519 "modelseal seal -r (X25519)" "$s_peers" - \
            "$bin" seal -q -r "$ours_recipient" -o /dev/null "$in"
        p seal seal/age "age -e -r (X25519)" - - "$age_bin" -r "$age_recipient" -o /dev/null "$in"
        p seal seal/fernet "Fernet encrypt (python3, whole file)" - - \
            "$python" "$helper" fernet-encrypt "$in" /dev/null
        p open open/ours-raw "modelseal open --key-env -o /dev/null" "$o_peers" - \
            "$bin" open -q --key-env MODEL_KEY -o /dev/null "$dir/raw.mseal"
        p open open/ours-x25519 "modelseal open -i -o /dev/null (X25519)" "$o_peers" - \
            "$bin" open -q -i "$work/customer.key" -o /dev/null "$dir/x25519.mseal"
        p open open/ours-raw-check "modelseal open --key-env --check" "$o_peers" - \
            "$bin" open -q --key-env MODEL_KEY --check "$dir/raw.mseal"
        p open open/ours-x25519-check "modelseal open -i --check (X25519)" "$o_peers" - \
            "$bin" open -q -i "$work/customer.key" --check "$dir/x25519.mseal"
        p open open/age "age -d -i (X25519)" - - "$age_bin" -d -i "$work/age.key" -o /dev/null "$dir/in.age"
        p open open/fernet "Fernet decrypt (python3, whole file)" - - \
            "$python" "$helper" fernet-decrypt "$dir/in.fernet" /dev/null
        # File output: each run starts from `sync` and a removed output file (both untimed).
        p file file/ours-seal-raw "modelseal seal --key-env -o FILE" file/age-seal "sync,rm:$dir/out.mseal" \
            "$bin" seal -q --key-env MODEL_KEY -o "$dir/out.mseal" "$in"
        p file file/age-seal "age -e -r -o FILE" - "sync,rm:$dir/out.age" \
            "$age_bin" -r "$age_recipient" -o "$dir/out.age" "$in"
        p file file/ours-open-raw "modelseal open --key-env -o FILE" file/age-open "sync,rm:$dir/out.bin" \
            "$bin" open -q --key-env MODEL_KEY -o "$dir/out.bin" "$dir/raw.mseal"
        p file file/age-open "age -d -i -o FILE" - "sync,rm:$dir/out.plain" \
            "$age_bin" -d -i "$work/age.key" -o "$dir/out.plain" "$dir/in.age"
        p scrypt scrypt/seal "modelseal seal --passphrase-env" - - \
            "$bin" seal -q --passphrase-env BENCH_PASSPHRASE -o /dev/null "$in"
        p scrypt scrypt/open "modelseal open --passphrase-env -o /dev/null" - - \
            "$bin" open -q --passphrase-env BENCH_PASSPHRASE -o /dev/null "$dir/pass.mseal"
        if [[ "$label" == "100MB" ]]; then
            plan_row "$plan" "$label" 0 startup startup/python "python3 -c 'import cryptography.fernet'" - - \
                "$python" -c "import cryptography.fernet"
            plan_row "$plan" "$label" 0 startup startup/ours "modelseal --version" - - "$bin" --version
        fi

        note "[$label] warming the page cache"
        cat "$in" "$dir"/*.mseal "$dir/in.age" "$dir/in.fernet" > /dev/null
        note "[$label] measuring: warm-up + $runs rounds"
        "$python" "$helper" measure --plan "$plan" --runs "$runs" --results "$dir/results.json" --scratch "$dir"
        cp "$dir/results.json" "$work/results-$label.json"
        results+=(--results "$work/results-$label.json")
        rm -rf -- "$dir" # frees the page cache and /tmp before the next size
    done

    load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
    commit="$(git -C "$repo" rev-parse --short HEAD 2> /dev/null || echo unknown)"
    cpu_model="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
    swift_version="$( (command -v swift > /dev/null && swift --version 2> /dev/null | head -n1) || echo unknown)"
    echo "modelseal container benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cores, ${cpu_model:-unknown CPU}, $(free -g | awk '/^Mem:/ {print $2}') GiB," \
        "kernel $(uname -r); scratch on $(findmnt -no FSTYPE -T "${BENCH_TMPDIR:-/tmp}" 2> /dev/null || echo '?')"
    echo "tools: modelseal $("$bin" --version 2> /dev/null | head -n1) at $commit ($swift_version);" \
        "age $("$age_bin" --version);" \
        "python $("$python" -c 'import sys; print(sys.version.split()[0])'),"\
        "cryptography $("$python" -c 'import cryptography; print(cryptography.__version__)')"
    echo "runs: $runs per command (median shown; min..max is the spread); load average before: $load_before," \
        "after: $load_after; benchmark took $((SECONDS - started)) s"
    echo
    "$python" "$helper" report "${results[@]}" ${json_out:+--json "$json_out"} \
        --meta "date=$(date -u '+%Y-%m-%dT%H:%M:%SZ')" --meta "nproc=$(nproc)" --meta "cpu=$cpu_model" \
        --meta "swift=$swift_version" --meta "age=$("$age_bin" --version)" --meta "modelseal_bin=$bin" \
        --meta "python=$python" --meta "load_before=$load_before" --meta "load_after=$load_after" \
        --meta "commit=$commit" --meta "runs=$runs" --meta "quick=$quick"
    [[ -z "$json_out" ]] || note "JSON written to $json_out"
}

main "$@"
exit
