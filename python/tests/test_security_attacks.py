"""The security review's attacks (issue 13), each written as the attacker, each failing against the old code.

The forging side is `attacker.py`, written from spec/CONTAINER.md with `cryptography` alone.
"""
import os
import subprocess
import time

import pytest
from cryptography.fernet import Fernet

from attacker import Sealed, raw_key

CHUNK = 64 * 1024


def sealed_signed(run, tmp_path, chunks=40, sign=True):
    """A 64 KiB-chunk file of `chunks` chunks sealed to a raw key (and signed by vendor.key)."""
    key = Fernet.generate_key().decode()
    (tmp_path / "model.bin").write_bytes(os.urandom(CHUNK * chunks - 100))
    if sign and not (tmp_path / "vendor.key").exists():
        run("keygen", "--sign", "-o", "vendor.key")
    extra = ["--sign-key", "vendor.key"] if sign else []
    run("seal", "--key-env", "K", "--chunk-size", "64KiB", *extra, "-o", "m.mseal", "model.bin", env={"K": key})
    return key


def test_pipe_open_does_not_release_a_chunk_swapped_between_the_passes(modelseal_bin, run, tmp_path):
    """13.1: a co-recipient rewrites the last chunk (valid tag, never signed) after pass 1 verified it.

    The consumer of the pipe controls the timing: the writer blocks on the full pipe, so the attacker
    swaps the chunk once the first bytes arrived. The old second pass checked tags only and released
    the forged chunk with exit 0.
    """
    key = sealed_signed(run, tmp_path)
    path = tmp_path / "m.mseal"
    sealed = Sealed.parse(path.read_bytes())
    file_key = sealed.file_key(raw_key(key))
    last = sealed.chunk_count - 1
    forged_plain = b"EVIL" * (len(sealed.decrypt_chunk(file_key, last)) // 4)
    forged = sealed.forged_chunk(file_key, last, forged_plain)
    start, _ = sealed.chunk_span(last)
    process = subprocess.Popen(
        [modelseal_bin, "open", "--key-env", "K", "--trust", "vendor.key.pub", "-o", "-", "m.mseal"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, K=key, SWIFT_BACKTRACE="enable=no"))
    first = process.stdout.read(1)  # pass 1 is over: pass 2 is writing
    assert first
    with open(path, "r+b") as file:  # same inode: the opener's descriptor sees it
        file.seek(start)
        file.write(forged)
        file.flush()
        os.fsync(file.fileno())
    time.sleep(0.2)
    rest = process.stdout.read()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) != 0
    released = first + rest
    assert b"EVIL" * 16 not in released
    assert len(released) < len((tmp_path / "model.bin").read_bytes())  # stops short: never a complete stream
    assert b"changed after it was verified" in stderr


def test_pipe_open_of_an_unsigned_file_holds_pass_two_to_pass_one(modelseal_bin, run, tmp_path):
    """13.1, unsigned: a key holder swaps a chunk between the passes of a file nobody signed."""
    key = sealed_signed(run, tmp_path, sign=False)
    path = tmp_path / "m.mseal"
    sealed = Sealed.parse(path.read_bytes())
    file_key = sealed.file_key(raw_key(key))
    last = sealed.chunk_count - 1
    forged = sealed.forged_chunk(file_key, last, b"EVIL" * (len(sealed.decrypt_chunk(file_key, last)) // 4))
    start, _ = sealed.chunk_span(last)
    process = subprocess.Popen(
        [modelseal_bin, "open", "--key-env", "K", "--allow-unsigned", "-o", "-", "m.mseal"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, K=key, SWIFT_BACKTRACE="enable=no"))
    first = process.stdout.read(1)
    with open(path, "r+b") as file:
        file.seek(start)
        file.write(forged)
    rest = process.stdout.read()
    process.stderr.read()
    assert process.wait(timeout=60) == 16
    assert b"EVIL" * 16 not in first + rest
