#!/usr/bin/env python3
"""The CPU split per release from `perf script` output of the key server (scripts/bench-server.sh BENCH_PERF=FILE).

A sample belongs to the first stage in STAGES with a frame anywhere in its stack (the order is most
specific first: a futex wake or wait counts as a thread hand-off wherever it happens, SQLite code called from
the audit append counts as "audit append", the event loop that runs everything counts only when nothing more
specific is on the stack). Prints each stage's
share of the server's samples and, given the number of releases answered, the CPU microseconds per release
(samples x sampling period / releases).

    perf script -i perf.data | python3 scripts/bench-server-split.py RELEASES [HZ=499]
"""
import collections
import re
import sys

STAGES = [
    # Waking or waiting for another thread (the store's gate, SQLiteNIO's thread pool and the hop back to
    # the event loop, Dispatch): kernel futex work, whoever asked for it.
    ("thread hand-offs (futex wake/wait)", r"futex"),
    ("audit append", r"appendAudit|AuditChain"),
    # Ed25519, or ECDSA P-256 for machines with TPM-bound keys (BENCH_KEYS=p256).
    ("auth: request signature (Ed25519 / ECDSA verify)",
     r"ED25519_verify|ECDSA_do_verify|ECDSA_verify|RequestSignature.{0,40}verify|16RequestSignatureV6verify"
     r"|RequestVerifyingKey"),
    ("lease signature (Ed25519 sign)", r"ED25519_sign|ED25519_keypair"),
    ("HPKE wrap (X25519 or P-256, HKDF, AES-GCM)", r"HPKE|X25519|hpke|ReleaseKEM|EC_POINT|ec_GFp|p256|P256"),
    # In memory (a key file) or one C_Decrypt on a token (a pkcs11: master key, libsofthsm2 in the benchmark).
    ("file key unwrap (AES-GCM, master key)",
     r"ServerKeys.{0,20}unwrap|10ServerKeysV6unwrap|MasterKey.{0,20}unwrap|9MasterKeyO6unwrap|PKCS11|softhsm"),
    ("policy transaction (SQLite)", r"sqlite3|SQLiteNIO|SQLiteStore|11SQLiteStoreC"),
    # The server's side of the PostgreSQL wire protocol (the PostgreSQL processes are not sampled).
    ("policy transaction (PostgresNIO client)", r"PostgresNIO|PostgresStore|13PostgresStoreC|PSQL"),
    ("JSON", r"ModelSealCore.{0,20}JSON|JSONWriter|JSONParser|9JSONValue"),
    ("HTTP (NIO, Hummingbird)", r"NIO|Hummingbird|HTTP|epoll|tcp_|sock_|__sys_sendto|__sys_recvfrom|do_writev"),
    ("Swift runtime, allocation, scheduling", r"swift_|malloc|free|_int_|pthread|futex|schedule"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in STAGES]


def samples(lines):
    stack = []
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            if stack:
                yield stack
            stack = []
        elif line.startswith((" ", "\t")):
            parts = line.split(None, 1)
            stack.append(parts[1] if len(parts) > 1 else parts[0])
    if stack:
        yield stack


def stage(stack):
    text = "\n".join(stack)
    for name, pattern in COMPILED:
        if pattern.search(text):
            return name
    return "other"


def main():
    releases = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    hz = int(sys.argv[2]) if len(sys.argv) > 2 else 499
    counts = collections.Counter(stage(stack) for stack in samples(sys.stdin))
    total = sum(counts.values())
    if total == 0:
        print("cpu split: no samples (is perf allowed? see perf.log)")
        return
    print(f"cpu split: {total} samples at {hz} Hz per thread, {releases} releases")
    for name, count in counts.most_common():
        per_release = f"{count / hz / releases * 1e6:8.1f} us/release" if releases else ""
        print(f"  {name:44s} {100 * count / total:5.1f}%  {per_release}")
    if releases:
        print(f"  {'total CPU per release':44s} 100.0%  {total / hz / releases * 1e6:8.1f} us/release")


if __name__ == "__main__":
    main()
