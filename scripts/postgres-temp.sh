#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests and benchmarks (docs/SERVER.md §Tests): Debian's binaries,
# a new cluster in a new folder under ${TMPDIR:-/tmp}, its unix socket in that folder, TCP on 127.0.0.1 at a
# random free port. initdb refuses root, so as root the cluster belongs to the `postgres` user (runuser)
# in a folder made with `install -d -o postgres`.
#
#   scripts/postgres-temp.sh start [PID]  prints  PG_DIR=… PG_PORT=… PG_USER=… PG_PASSWORD=… PG_URL=… PG_SOCKET_URL=…
#                                         (with PID: also stopped once that process is gone, even if it crashed)
#   scripts/postgres-temp.sh stop DIR     stops that server (immediate mode) and removes its folder
#
# PG_URL (TCP) needs the password (scram-sha-256, give it as $PGPASSWORD); PG_SOCKET_URL (the socket in DIR)
# is trusted. Both name the database `postgres`; callers make their own databases.
set -euo pipefail
bin="${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
[ -x "$bin/initdb" ] || { echo "postgres-temp.sh: no PostgreSQL 15 at $bin: apt-get install postgresql" >&2; exit 1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
    dir="$(mktemp -u "${TMPDIR:-/tmp}/ms-pg-XXXXXXXX")"
    if [ "$(id -u)" -eq 0 ]; then install -d -o postgres -m 0700 "$dir"; else install -d -m 0700 "$dir"; fi
    user=modelseal
    password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    printf '%s\n' "$password" | as_owner tee "$dir/pwfile" >/dev/null
    as_owner "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    for _ in 1 2 3 4 5; do
        port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null 2>&1; then
            if [ -n "${2:-}" ]; then
                # A watcher outside the caller's process group: stops the server when the caller is gone.
                setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2/data" ]; do sleep 2; done; bash "$3" stop "$2"' \
                    watcher "$2" "$dir" "$0" </dev/null >/dev/null 2>&1 &
            fi
            echo "PG_DIR=$dir"
            echo "PG_PORT=$port"
            echo "PG_USER=$user"
            echo "PG_PASSWORD=$password"
            echo "PG_URL=postgres://$user@127.0.0.1:$port/postgres"
            echo "PG_SOCKET_URL=postgres://$user@/postgres?host=$dir&port=$port"
            exit 0
        fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
stop)
    dir="${2:?postgres-temp.sh stop DIR}"
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres-temp.sh start | stop DIR" >&2
    exit 2
    ;;
esac
