#!/usr/bin/env python3
"""Seeds a key-server SQLite database for the console's performance check (docs/CONSOLE.md §Performance).

usage: seed-console.py DB [--customers 10000] [--machines 100000] [--audit 1000000]

DB must have been made by `modelseal-server` (its migrations applied; stop the server first). Adds one
model, one license per customer (a tenth expiring within 30 days, a twentieth revoked), the machines spread
over the licenses (each with a last release in the last 30 days), 30 days of the per-day rollup, and audit
entries whose hash chain verifies (the same rule as AuditChain.swift: SHA-256 over "modelseal-audit-v1" and
the length-prefixed fields)."""
import argparse
import hashlib
import os
import random
import sqlite3
import time

GENESIS = "0" * 64


def chain_hash(previous, seq, at, actor, action, subject, detail):
    data = b"modelseal-audit-v1"
    for field in (previous, str(seq), str(at), actor, action, subject, detail):
        encoded = field.encode()
        data += b"\n" + str(len(encoded)).encode() + b":" + encoded
    return hashlib.sha256(data).hexdigest()


def seed(db, customers, machines, audit):
    rng = random.Random(20)
    now = int(time.time())
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("INSERT INTO models(id, name, created_at) VALUES('mod_seed', 'seeded-model', ?)", (now,))
    con.executemany("INSERT INTO customers(id, name, created_at) VALUES(?, ?, ?)",
                    ((f"cus_{i:024x}", f"Customer {i}", now - i) for i in range(customers)))

    def license_row(i):
        expires = now + rng.randrange(86_400, 30 * 86_400) if i % 10 == 0 else None
        revoked = now - 3600 if i % 20 == 1 else None
        return (f"lic_{i:024x}", f"cus_{i:024x}", "mod_seed", hashlib.sha256(f"seed-token-{i}".encode()).hexdigest(),
                max(1, machines // customers), None, rng.randrange(0, 500), expires, 86_400, now - i, revoked)

    con.executemany("""INSERT INTO licenses(id, customer_id, model_id, token_hash, max_machines, max_loads, loads,
        expires_at, lease_seconds, created_at, revoked_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (license_row(i) for i in range(customers)))

    def machine_row(i):
        seen = now - rng.randrange(0, 30 * 86_400)
        return (f"mac_{i:024x}", f"lic_{i % customers:024x}", os.urandom(32), os.urandom(32), f"host-{i}",
                now - 40 * 86_400, None, seen, seen + 86_400)

    con.executemany("""INSERT INTO machines(id, license_id, machine_key, signing_key, label, activated_at, revoked_at,
        last_seen_at, lease_expires_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)""", (machine_row(i) for i in range(machines)))
    today = now // 86_400
    con.executemany("INSERT OR REPLACE INTO daily_counts(day, kind, count) VALUES(?, ?, ?)",
                    [(today - d, "release", rng.randrange(1000, 5000)) for d in range(30)]
                    + [(today - d, "refused:revoked", rng.randrange(0, 50)) for d in range(30)]
                    + [(today - d, "refused:over_quota", rng.randrange(0, 20)) for d in range(30)])

    last = con.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone() or (0, GENESIS)
    seq, previous = last

    def audit_rows():
        nonlocal seq, previous
        for i in range(audit):
            seq += 1
            at = now - (audit - i) * 2
            machine = f"mac_{i % machines:024x}"
            actor, action, subject, detail = (f"machine:{machine}", "key.release", f"lic_{i % customers:024x}",
                                              "0" * 32)
            if i % 97 == 0:
                actor, action, subject, detail = "admin:root", "license.add", f"lic_{i % customers:024x}", "seeded"
            previous = chain_hash(previous, seq, at, actor, action, subject, detail)
            yield (seq, at, actor, action, subject, detail, previous)

    con.executemany("INSERT INTO audit(seq, at, actor, action, subject, detail, hash) VALUES(?, ?, ?, ?, ?, ?, ?)",
                    audit_rows())
    con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--machines", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.time()
    seed(args.db, args.customers, args.machines, args.audit)
    print(f"seeded {args.db}: {args.customers} customers, {args.machines} machines, {args.audit} audit entries "
          f"in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
