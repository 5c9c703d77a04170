#!/usr/bin/env python3
"""Times every console page on a seeded database (docs/CONSOLE.md §Performance) and prints the query plans.

usage: bench-console.py [--server .build/release/modelseal-server] [--runs 20] [--keep FOLDER]

Makes a database with `modelseal-server`, seeds it with scripts/seed-console.py (10,000 customers, 100,000
machines, 1,000,000 audit entries), starts the server on it, logs in and requests each page RUNS times over
loopback. The figure is the median wall time of the whole request as the client sees it (an upper bound
of the server-side time). Prints the load average: a loaded machine's figures are not the product's."""
import argparse
import http.client
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-admin-token-0123456789abcdef"
PLANS = {
    "customers page": ("SELECT * FROM customers WHERE id > ? ORDER BY id LIMIT ?", ("cus_5", 50)),
    "licenses page": ("SELECT l.*, c.name AS customer_name, m.name AS model_name FROM licenses l JOIN customers c "
                      "ON c.id = l.customer_id JOIN models m ON m.id = l.model_id WHERE l.id > ? ORDER BY l.id LIMIT ?",
                      ("lic_5", 50)),
    "a customer's licenses": ("SELECT l.*, c.name AS customer_name, m.name AS model_name FROM licenses l JOIN customers "
                              "c ON c.id = l.customer_id JOIN models m ON m.id = l.model_id WHERE l.customer_id = ? "
                              "AND l.id > ? ORDER BY l.id LIMIT ?", ("cus_1", "", 50)),
    "expiring licenses": ("SELECT l.*, c.name AS customer_name, m.name AS model_name FROM licenses l JOIN customers c "
                          "ON c.id = l.customer_id JOIN models m ON m.id = l.model_id WHERE l.expires_at > ? AND "
                          "l.expires_at <= ? AND l.revoked_at IS NULL ORDER BY l.expires_at LIMIT ?", (0, 1, 20)),
    "machines of a license": ("SELECT * FROM machines WHERE license_id = ? AND id > ? ORDER BY id LIMIT ?",
                              ("lic_1", "", 50)),
    "active machines": ("SELECT COUNT(*) AS n FROM machines WHERE last_seen_at >= ? AND revoked_at IS NULL", (0,)),
    "per-day rollup": ("SELECT day, kind, count FROM daily_counts WHERE day >= ? ORDER BY day", (0,)),
    "audit page": ("SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?", (10**18, 50)),
    "audit by actor": ("SELECT * FROM audit WHERE seq < ? AND actor = ? ORDER BY seq DESC LIMIT ?",
                       (10**18, "admin:root", 50)),
    "audit by action": ("SELECT * FROM audit WHERE seq < ? AND action = ? ORDER BY seq DESC LIMIT ?",
                        (10**18, "license.add", 50)),
    "incremental verification": ("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (0, 2000)),
}


def start(server, db):
    process = subprocess.Popen([server, "--db", f"sqlite:{db}", "--listen", "127.0.0.1:0", "--insecure-http",
                                "--no-rate-limit"], env=dict(os.environ, MODELSEAL_ADMIN_TOKEN=TOKEN),
                               stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    port = int(re.search(r":(\d+)\s*$", line.strip()).group(1))
    threading.Thread(target=process.stderr.read, daemon=True).start()
    return process, port


def login(port):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/console/login")
    answer = connection.getresponse()
    answer.read()
    form_cookie = answer.getheader("Set-Cookie").split(";")[0]
    form_token = form_cookie.split("=", 1)[1]
    body = urllib.parse.urlencode({"csrf": form_token, "token": TOKEN})
    connection.request("POST", "/console/login", body=body, headers={
        "Cookie": form_cookie, "Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 303, answer.status
    return connection, answer.getheader("Set-Cookie").split(";")[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=str(REPO / ".build" / "release" / "modelseal-server"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="console-bench-"))
    db = folder / "keys.db"
    if not db.exists():
        process, _ = start(args.server, db)
        process.terminate()
        process.wait()
        subprocess.run([sys.executable, str(REPO / "scripts" / "seed-console.py"), str(db)], check=True)
    process, port = start(args.server, db)
    try:
        connection, cookie = login(port)
        pages = ["/console", "/console/customers", "/console/customers?after=cus_" + "0" * 20 + "1388",
                 "/console/customers/cus_" + "0" * 21 + "7d0", "/console/licenses",
                 "/console/licenses/lic_" + "0" * 21 + "7d0", "/console/models", "/console/audit",
                 "/console/audit?before=500000", "/console/audit?actor=admin%3Aroot",
                 "/console/audit?action=license.add"]
        print(f"load average: {os.getloadavg()}")
        for page in pages:
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                connection.request("GET", page, headers={"Cookie": cookie})
                answer = connection.getresponse()
                answer.read()
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status == 200, (page, answer.status)
            print(f"{page:60s} median {statistics.median(times):7.2f} ms   max {max(times):7.2f} ms")
        print(f"load average: {os.getloadavg()}")
    finally:
        process.terminate()
        process.wait()
    con = sqlite3.connect(db)
    for name, (sql, binds) in PLANS.items():
        plan = "; ".join(row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql, binds))
        print(f"{name}: {plan}")


if __name__ == "__main__":
    main()
