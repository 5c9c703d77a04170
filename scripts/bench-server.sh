#!/usr/bin/env bash
# Key releases per second of modelseal-server on SQLite or PostgreSQL (docs/BENCHMARKS.md §Key server).
#
# Starts its own release-built server on a temp SQLite database, or with `--db postgres` (or
# BENCH_DB=postgres) on a throwaway PostgreSQL 15 cluster over TCP on loopback (scripts/postgres-temp.sh,
# default settings: fsync and synchronous_commit on), rate limits off; adds a sealed model
# and a license with the real `modelseal admin`, activates MACHINES machines (Ed25519 request keys, in
# Python) and pre-signs COUNT single-use release requests (a fresh nonce each), then drives the server
# with wrk -c32 over loopback for SECONDS. The last line reads
#   releases_per_s=N p99_ms=M rss_mib=R
# where N counts 200 answers only and R is the server's peak resident memory.
#
#   bash scripts/bench-server.sh [--db sqlite|postgres] [SECONDS=10] [MACHINES=1000] [COUNT=120000]
#
# BENCH_MASTER_KEY=token keeps the server's master key on a SoftHSM2 token made in the temp folder (an AES-256
# key from pkcs11-tool; docs/SERVER.md §Master key on a token): each release then unwraps its file key with one
# C_Decrypt on the token instead of in the server's memory.
#
# BENCH_KEYS=p256 activates the machines with the key kinds of a TPM-bound activation (P-256 machine keys, ECDSA
# P-256 request keys; docs/SERVER.md §TPM) instead of X25519 / Ed25519: the server's work per release differs.
#
# BENCH_PERF=FILE also samples the server with `perf record` (call graphs) while wrk runs and prints the
# CPU split per release (auth, policy transaction, audit append, HPKE, lease signature, HTTP, ...) from
# scripts/bench-server-split.py; the perf data is kept in FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH" SWIFT_BACKTRACE=enable=no
store="${BENCH_DB:-sqlite}"
if [ "${1:-}" = "--db" ]; then store="${2:?--db sqlite|postgres}"; shift 2; fi
case "$store" in sqlite|postgres) ;; *) echo "bench-server.sh: --db must be sqlite or postgres" >&2; exit 2 ;; esac
seconds="${1:-10}" machines="${2:-1000}" count="${3:-120000}"
python="${PYTHON:-.venv/bin/python}"
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

# The server is measured release-built; the `modelseal` that sets up the model and license is not measured.
swift build -c release --product modelseal-server >/dev/null
swift build --product modelseal >/dev/null
server_bin="$(swift build -c release --show-bin-path)"
bin="$(swift build --show-bin-path)"
work="$(mktemp -d)"
PG_DIR=""
trap 'kill "$server_pid" 2>/dev/null || true; [ -z "$PG_DIR" ] || bash scripts/postgres-temp.sh stop "$PG_DIR"; rm -rf "$work"' EXIT
export MODELSEAL_ADMIN_TOKEN="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

database="sqlite:$work/keys.db"
if [ "$store" = postgres ]; then
    eval "$(bash scripts/postgres-temp.sh start)"
    export PGPASSWORD="$PG_PASSWORD"
    export MODELSEAL_SERVER_MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
    database="$PG_URL"
fi
master=()
if [ "${BENCH_MASTER_KEY:-file}" = token ]; then
    mkdir "$work/tokens"
    echo "directories.tokendir = $work/tokens" > "$work/softhsm2.conf"
    export SOFTHSM2_CONF="$work/softhsm2.conf" MODELSEAL_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
    export MODELSEAL_PKCS11_PIN=1234
    softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 87654321 >/dev/null
    pkcs11-tool --module "$MODELSEAL_PKCS11_MODULE" --login --pin 1234 --keygen --key-type AES:32 --label master \
        --sensitive --private >/dev/null 2>&1
    master=(--master-key "pkcs11:token=bench;object=master")
fi
echo "store: $store ($database), master key: ${BENCH_MASTER_KEY:-file}"
"$server_bin/modelseal-server" --db "$database" --listen 127.0.0.1:0 --insecure-http --no-rate-limit "${master[@]}" \
    2> "$work/server.log" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.log" && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.:]*' "$work/server.log" | head -1)"

head -c 100000 /dev/urandom > "$work/model.bin"
export MODEL_KEY="$("$bin/modelseal" keygen --symmetric)"
"$bin/modelseal" seal --key-env MODEL_KEY -q -o "$work/m.mseal" "$work/model.bin"
"$bin/modelseal" admin --server "$url" model add --name bench --key-env MODEL_KEY "$work/m.mseal" > "$work/version.json"
file_id="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"]["file_id"])' "$work/version.json")"
"$bin/modelseal" admin --server "$url" license add --customer bench --model bench --max-machines "$machines" --json \
    > "$work/license.json"
token="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$work/license.json")"
"$python" scripts/bench_server_requests.py "$url" "$token" "$file_id" "$machines" "$count" "$work/requests.lua" \
    "${BENCH_KEYS:-software}"

uptime
if [ -n "${BENCH_PERF:-}" ]; then
    command -v perf >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
    perf record -F 499 --call-graph dwarf,32768 -p "$server_pid" -o "$BENCH_PERF" -- sleep "$seconds" \
        2> "$work/perf.log" &
    perf_pid=$!
fi
REQUESTS_FILE="$work/requests.lua" WRK_THREADS=2 wrk -t2 -c32 -d"${seconds}s" --latency -s scripts/bench-server.lua \
    "$url" | tee "$work/wrk.txt"
summary="$(grep '^wrk:' "$work/wrk.txt")"
requests="$(sed -E 's/.*requests=([0-9]+).*/\1/' <<< "$summary")"
non2xx="$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<< "$summary")"
p99_us="$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<< "$summary")"
wraps="$(sed -E 's/.*wraps=([0-9]+).*/\1/' <<< "$summary")"
rss_kib="$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")"
loads="$("$bin/modelseal" admin --server "$url" license show "$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/license.json")" \
    | "$python" -c 'import json,sys; print(json.load(sys.stdin)["loads"])')"
if [ -n "${BENCH_PERF:-}" ]; then
    wait "$perf_pid" || true
    perf script -i "$BENCH_PERF" 2>/dev/null | "$python" scripts/bench-server-split.py "$(( requests - non2xx ))"
fi
echo "counted releases: $loads (of $requests answers, $non2xx not 2xx; request list wrapped $wraps time(s))"
uptime
"$python" - "$requests" "$non2xx" "$seconds" "$p99_us" "$rss_kib" <<'PY'
import sys
requests, non2xx, seconds, p99_us, rss_kib = map(float, sys.argv[1:])
print(f"releases_per_s={(requests - non2xx) / seconds:.0f} p99_ms={p99_us / 1000:.1f} rss_mib={rss_kib / 1024:.0f}")
PY
