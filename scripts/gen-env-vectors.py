#!/usr/bin/env python3
"""Generate Tests/Vectors/environment: environment-contract extension bodies (spec/ENVIRONMENT.md §1), one
per policy byte and a few that must be refused, written from the spec alone (no ModelSeal code).

    python3 scripts/gen-env-vectors.py [OUTPUT_FOLDER]

Each NAME.contract (the extension body) has NAME.expected.json: {"policy": "pinned", "compatible_keys": [...]},
or {"error": "..."} for a body a reader must refuse as malformed.
"""
import json
import os
import struct
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Vectors", "environment")

#: A lock: every member present, absent facts null, distributions sorted by name (spec/ENVIRONMENT.md §1).
LOCK = {
    "conda": None,
    "distributions": [{"name": "numpy", "version": "2.4.6"}, {"name": "torch", "version": "2.15.0+cu132"}],
    "platform": {"machine": "x86_64", "system": "linux"},
    "python": {"implementation": "cpython", "version": "3.11.7"},
    "schema": "modelseal-env/1",
    "torch": {"cuda": "13.2", "cudnn": None, "git_version": "abc", "hip": None, "version": "2.15.0+cu132"},
}


def canonical(value) -> bytes:
    """RFC 8785 for what a lock holds (ASCII strings, no numbers): sorted members, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def body(policy: int, keys=(), lock=LOCK, version=1) -> bytes:
    out = bytes([version, policy, len(keys)])
    for key in keys:
        out += bytes([len(key)]) + key.encode()
    encoded = canonical(lock)
    return out + struct.pack(">I", len(encoded)) + encoded


CASES = {
    "exact": (body(1), {"policy": "exact", "compatible_keys": []}),
    "compatible": (body(2, ["cuda", "numpy", "python", "torch"]),
                   {"policy": "compatible", "compatible_keys": ["cuda", "numpy", "python", "torch"]}),
    "warn": (body(3), {"policy": "warn", "compatible_keys": []}),
    "pinned": (body(4), {"policy": "pinned", "compatible_keys": []}),
    "unknown-policy-5": (body(5), {"error": "unknown policy"}),
    "policy-0": (body(0), {"error": "unknown policy"}),
    "pinned-with-keys": (body(4, ["torch"]), {"error": "a compatible set outside the compatible policy"}),
    "version-2": (body(4, version=2), {"error": "unsupported version"}),
}


def main() -> None:
    os.makedirs(ROOT, exist_ok=True)
    for name, (data, expected) in CASES.items():
        with open(os.path.join(ROOT, name + ".contract"), "wb") as file:
            file.write(data)
        with open(os.path.join(ROOT, name + ".expected.json"), "w") as file:
            file.write(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
