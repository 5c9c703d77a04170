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


def stripped_and_forged(path, key: str) -> bytes:
    """13.2: what any recipient can make of a signed file: signature-required (0x8003) and the trailer
    removed, the last chunk replaced by its own, the header MAC recomputed."""
    sealed = Sealed.parse(path.read_bytes())
    file_key = sealed.file_key(raw_key(key))
    assert any(kind == 0x8003 for kind, _ in sealed.extensions)
    header = sealed.header_bytes([e for e in sealed.extensions if e[0] != 0x8003], file_key)
    chunks = [bytes(sealed.data[slice(*sealed.chunk_span(i))]) for i in range(sealed.chunk_count)]
    last = sealed.chunk_count - 1
    chunks[last] = sealed.forged_chunk(file_key, last, b"EVIL" * (len(sealed.decrypt_chunk(file_key, last)) // 4))
    return header + b"".join(chunks)


def trust_store(tmp_path, *keys):
    store = tmp_path / "trust"
    store.mkdir(mode=0o700)
    for key in keys:
        (store / key).write_bytes((tmp_path / key).read_bytes())
        (store / key).chmod(0o644)
    return store


def test_a_co_recipient_cannot_strip_the_signature_past_a_trust_store(run, tmp_path):
    """13.2: with the vendor's key in the trust store, the stripped, re-MACed, altered file is refused
    (20) by `open` without --trust; the old code read no store and released the forgery with exit 0."""
    key = sealed_signed(run, tmp_path, chunks=3)
    (tmp_path / "forged.mseal").write_bytes(stripped_and_forged(tmp_path / "m.mseal", key))
    store = trust_store(tmp_path, "vendor.key.pub")
    env = {"K": key, "MODELSEAL_TRUST": str(store)}
    refused = run("open", "--key-env", "K", "-o", "-", "forged.mseal", env=env, check=False)
    assert refused.returncode == 20, refused.stderr
    assert refused.stdout == b""
    # The genuine file opens through the same store, with no --trust.
    assert run("open", "--key-env", "K", "-o", "-", "m.mseal", env=env).stdout == (tmp_path / "model.bin").read_bytes()
    # Only an explicit opt-out accepts a file no trusted key signed (and says what that means in --help).
    opted_out = run("open", "--key-env", "K", "--allow-unsigned", "-o", "-", "forged.mseal", env=env, check=False)
    assert opted_out.returncode == 0 and b"EVIL" in opted_out.stdout


@pytest.mark.parametrize("damage", ["group-writable", "empty", "missing"])
def test_a_trust_store_that_cannot_be_relied_on_is_an_error(run, tmp_path, damage):
    key = sealed_signed(run, tmp_path, chunks=2)
    store = trust_store(tmp_path, "vendor.key.pub")
    if damage == "group-writable":
        (store / "vendor.key.pub").chmod(0o664)
    elif damage == "empty":
        (store / "vendor.key.pub").unlink()
    else:
        store = tmp_path / "nowhere"
    result = run("open", "--key-env", "K", "-o", "-", "m.mseal", env={"K": key, "MODELSEAL_TRUST": str(store)},
                 check=False)
    assert result.returncode == 23, result.stderr
    assert b"trust store" in result.stderr and result.stdout == b""


def test_verify_and_unpack_without_trust_do_not_pass_silently(run, tmp_path):
    """15.6: `verify x && deploy` must not pass a file anyone signed: no --trust and no store is exit 26."""
    key = sealed_signed(run, tmp_path, chunks=2)
    run("keygen", "--sign", "-o", "mallory.key")
    run("seal", "--key-env", "K", "--sign-key", "mallory.key", "-o", "mallory.mseal", "model.bin", env={"K": key})
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "MODELSEAL_TRUST": ""}
    result = run("verify", "mallory.mseal", env=env, check=False)
    assert result.returncode == 26, result.stderr
    assert b"--trust" in result.stderr and b"--allow-unsigned" in result.stderr
    assert run("verify", "--allow-unsigned", "mallory.mseal", env=env).returncode == 0
    run("pack", "--sign-key", "mallory.key", "-o", "d.mspkg", "mallory.mseal")
    assert run("verify", "d.mspkg", env=env, check=False).returncode == 26
    assert run("unpack", "-o", "out", "d.mspkg", env=env, check=False).returncode == 26
    # The store in HOME is the default: the vendor's file verifies, Mallory's is untrusted (21).
    store = home / ".config" / "modelseal" / "trust"
    store.mkdir(parents=True, mode=0o700)
    (store / "vendor.pub").write_bytes((tmp_path / "vendor.key.pub").read_bytes())
    assert run("verify", "m.mseal", env=env).returncode == 0
    assert run("verify", "mallory.mseal", env=env, check=False).returncode == 21
    assert run("unpack", "-o", "out", "d.mspkg", env=env, check=False).returncode == 21
    assert not (tmp_path / "out").exists()


def test_python_load_trust_semantics(run, tmp_path, modelseal_pkg, monkeypatch):
    """13.2 in Python: trust=[] raises; trust=None uses the store (the stripped forgery is refused);
    trust=False accepts an unsigned file explicitly; a store disables the MODELSEAL_PLAIN switch."""
    import torch

    key = Fernet.generate_key().decode()
    run("keygen", "--sign", "-o", "vendor.key")
    torch.save({"w": torch.arange(70000.0)}, tmp_path / "model.pt")
    run("seal", "--key-env", "K", "--chunk-size", "64KiB", "--sign-key", "vendor.key", "-o", "m.mseal", "model.pt",
        env={"K": key})
    forged = stripped_and_forged(tmp_path / "m.mseal", key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MODELSEAL_TRUST", raising=False)
    with pytest.raises(modelseal_pkg.UsageError, match=r"trust=\[\]"):
        modelseal_pkg.load(tmp_path / "m.mseal", key=key, trust=[])
    store = trust_store(tmp_path, "vendor.key.pub")
    monkeypatch.setenv("MODELSEAL_TRUST", str(store))
    assert torch.equal(modelseal_pkg.load(tmp_path / "m.mseal", key=key)["w"], torch.arange(70000.0))
    with pytest.raises(modelseal_pkg.SignatureError, match="no signature|unsigned"):
        modelseal_pkg.load(forged, key=key)
    # An explicit opt-out accepts what no trusted key signed (the forgery here is not a checkpoint).
    with pytest.raises(Exception) as opted_out:
        modelseal_pkg.load(forged, key=key, trust=False)
    assert not isinstance(opted_out.value, modelseal_pkg.SignatureError)
    # The plaintext development switch yields to the store.
    monkeypatch.setenv("MODELSEAL_PLAIN", "1")
    with pytest.raises(modelseal_pkg.Error):
        modelseal_pkg.load(tmp_path / "model.pt", key=key)


def test_an_output_that_appears_while_sealing_is_never_overwritten(modelseal_bin, tmp_path):
    """13.8: the old check was a stat at start and a rename at the end, which replaced a file created
    meanwhile. The input is a FIFO, so the attacker creates the output while seal waits for input."""
    key = Fernet.generate_key().decode()
    fifo = tmp_path / "input.fifo"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [modelseal_bin, "seal", "--key-env", "K", "-q", "-o", "out.mseal", str(fifo)], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, K=key, SWIFT_BACKTRACE="enable=no"))
    with open(fifo, "wb") as writer:
        writer.write(b"first part " * 1000)
        writer.flush()
        time.sleep(0.3)  # seal has opened its output by now; the name does not exist yet
        (tmp_path / "out.mseal").write_bytes(b"the victim's file")
        writer.write(b"rest")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 17, stderr
    assert b"appeared while it was written" in stderr
    assert (tmp_path / "out.mseal").read_bytes() == b"the victim's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.fifo", "out.mseal"]


def test_an_output_that_appears_while_opening_is_never_overwritten(modelseal_bin, run, tmp_path):
    """13.8 for plaintext outputs: `open -o` from standard input (spooled, so the attacker has time)."""
    key = sealed_signed(run, tmp_path, chunks=4, sign=False)
    process = subprocess.Popen(
        [modelseal_bin, "open", "--key-env", "K", "--allow-unsigned", "-q", "-o", "plain.bin", "-"], cwd=tmp_path,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, K=key, SWIFT_BACKTRACE="enable=no"))
    data = (tmp_path / "m.mseal").read_bytes()
    process.stdin.write(data[:1000])
    process.stdin.flush()
    time.sleep(0.3)
    (tmp_path / "plain.bin").write_bytes(b"the victim's file")
    _, stderr = process.communicate(data[1000:], timeout=60)
    assert process.returncode == 17, stderr
    assert (tmp_path / "plain.bin").read_bytes() == b"the victim's file"


def test_secret_key_files_others_can_read_warn_and_strict_refuses(run, tmp_path):
    """13.9: identity and raw key files readable by group/others were accepted silently."""
    key = Fernet.generate_key().decode()
    (tmp_path / "raw.key").write_text(key + "\n")
    recipient = run("keygen", "-o", "customer.key").stdout.decode().strip()
    assert (tmp_path / "customer.key").stat().st_mode & 0o777 == 0o600
    (tmp_path / "model.bin").write_bytes(os.urandom(5000))
    run("seal", "--key-file", "raw.key", "-r", recipient, "-o", "m.mseal", "model.bin")
    for option, path in (("-i", "customer.key"), ("--key-file", "raw.key")):
        (tmp_path / path).chmod(0o640)
        warned = run("open", option, path, "--check", "m.mseal")
        assert b"accessible by group or others" in warned.stderr and b"chmod 600" in warned.stderr
        refused = run("open", option, path, "--strict", "--check", "m.mseal", check=False)
        assert refused.returncode == 14, refused.stderr
        assert b"--strict" in refused.stderr
        (tmp_path / path).chmod(0o600)
        quiet = run("open", option, path, "--strict", "--check", "m.mseal")
        assert b"accessible" not in quiet.stderr


def test_machine_key_file_others_can_read_is_refused_under_strict(run, tmp_path):
    """13.9: the machine key file (the licensed machine's private key) gets the same rule."""
    key = Fernet.generate_key().decode()
    licensing = tmp_path / "licensing"
    env = {"MODELSEAL_LICENSE_DIR": str(licensing), "K": key}
    run("keygen", "--sign", "-o", "vendor.key")
    (tmp_path / "model.bin").write_bytes(os.urandom(5000))
    run("seal", "--key-env", "K", "--sign-key", "vendor.key", "-o", "m.mseal", "model.bin", env=env)
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json", env=env)
    run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key", "--model",
        "m.mseal", "--key-env", "K", "-o", "acme.lic", env=env)
    [machine] = list(licensing.rglob("machine.json"))
    machine.chmod(0o644)
    warned = run("open", "--license", "acme.lic", "--check", "m.mseal", env=env)
    assert b"machine key file" in warned.stderr and b"accessible by group or others" in warned.stderr
    refused = run("open", "--license", "acme.lic", "--strict", "--check", "m.mseal", env=env, check=False)
    assert refused.returncode != 0 and b"--strict" in refused.stderr


def test_license_key_chaining_is_an_explicit_opt_in(run, tmp_path):
    """13.4: chaining later versions to one license key lets anyone who extracts it read them after
    expiry; it now needs --chain-license-key, and says what it costs."""
    (tmp_path / "acme.lk").write_text(Fernet.generate_key().decode())
    (tmp_path / "acme.lk").chmod(0o600)
    (tmp_path / "v2.bin").write_bytes(b"v2" * 100)
    refused = run("seal", "--license-key", "acme.lk", "-o", "v2.mseal", "v2.bin", check=False)
    assert refused.returncode == 64
    assert b"--chain-license-key" in refused.stderr and b"after expiry" in refused.stderr
    assert not (tmp_path / "v2.mseal").exists()
    run("seal", "--license-key", "acme.lk", "--chain-license-key", "-o", "v2.mseal", "v2.bin")


def test_rekey_keeps_a_signed_file_openable_and_refuses_to_break_it(run, tmp_path):
    """15.7: the rekeyed file failed every open with 22 and `sign` could not repair it."""
    key = sealed_signed(run, tmp_path, chunks=3)
    new = Fernet.generate_key().decode()
    env = {"K": key, "NEW": new}
    refused = run("rekey", "--key-env", "K", "--add-key-env", "NEW", "-o", "r.mseal", "m.mseal", env=env, check=False)
    assert refused.returncode == 64 and b"--sign-key" in refused.stderr
    assert not (tmp_path / "r.mseal").exists()
    run("rekey", "--key-env", "K", "--add-key-env", "NEW", "--sign-key", "vendor.key", "-o", "r.mseal", "m.mseal",
        env=env)
    opened = run("open", "--key-env", "NEW", "--trust", "vendor.key.pub", "-o", "-", "r.mseal", env=env).stdout
    assert opened == (tmp_path / "model.bin").read_bytes()
    # A forged input is not laundered into a freshly signed file.
    sealed = Sealed.parse((tmp_path / "m.mseal").read_bytes())
    file_key = sealed.file_key(raw_key(key))
    start, end = sealed.chunk_span(1)
    sealed.data[start:end] = sealed.forged_chunk(file_key, 1, b"X" * (end - start - 16))
    (tmp_path / "forged.mseal").write_bytes(bytes(sealed.data))
    laundered = run("rekey", "--key-env", "K", "--add-key-env", "NEW", "--sign-key", "vendor.key", "-o", "l.mseal",
                    "forged.mseal", env=env, check=False)
    assert laundered.returncode == 22, laundered.stderr
    assert not (tmp_path / "l.mseal").exists()


def test_rekey_replace_keeps_the_file_key_and_rotate_retires_it(run, tmp_path):
    """13.7 as the retired recipient: it kept the old file key (derived once from its own key). After
    --replace that key still decrypts the "new" file (a stated limit); after --rotate it does not."""
    key = sealed_signed(run, tmp_path, chunks=3)
    new = Fernet.generate_key().decode()
    env = {"K": key, "NEW": new}
    old_file_key = Sealed.parse((tmp_path / "m.mseal").read_bytes()).file_key(raw_key(key))
    run("rekey", "--key-env", "K", "--replace", "--add-key-env", "NEW", "--sign-key", "vendor.key", "-o", "replaced.mseal",
        "m.mseal", env=env)
    replaced = Sealed.parse((tmp_path / "replaced.mseal").read_bytes())
    assert replaced.decrypt_chunk(old_file_key, 0) == (tmp_path / "model.bin").read_bytes()[:CHUNK]
    rotated = run("rekey", "--key-env", "K", "--rotate", "--add-key-env", "NEW", "--sign-key", "vendor.key", "-o",
                  "rotated.mseal", "m.mseal", env=env)
    assert b"new file id" in rotated.stderr
    fresh = Sealed.parse((tmp_path / "rotated.mseal").read_bytes())
    assert fresh.payload_salt != replaced.payload_salt
    with pytest.raises(Exception):
        fresh.decrypt_chunk(old_file_key, 0)
    assert run("open", "--key-env", "K", "--check", "--allow-unsigned", "rotated.mseal", env=env,
               check=False).returncode == 10
    opened = run("open", "--key-env", "NEW", "--trust", "vendor.key.pub", "-o", "-", "rotated.mseal", env=env).stdout
    assert opened == (tmp_path / "model.bin").read_bytes()
    ids = [run("inspect", "--json", name).stdout for name in ("m.mseal", "rotated.mseal")]
    assert ids[0] != ids[1]
    # A signed input cannot be rotated without re-signing.
    assert run("rekey", "--key-env", "K", "--rotate", "--add-key-env", "NEW", "-o", "x.mseal", "m.mseal", env=env,
               check=False).returncode == 64


def licensed(run, tmp_path, *options):
    """A signed model and a license for this machine issued with `options`; returns the environment."""
    key = Fernet.generate_key().decode()
    env = {"MODELSEAL_LICENSE_DIR": str(tmp_path / "licensing"), "K": key}
    run("keygen", "--sign", "-o", "vendor.key")
    (tmp_path / "model.bin").write_bytes(os.urandom(5000))
    run("seal", "--key-env", "K", "--sign-key", "vendor.key", "-o", "m.mseal", "model.bin", env=env)
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json", env=env)
    run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key", "--model",
        "m.mseal", "--key-env", "K", *options, "-o", "acme.lic", env=env)
    return env


def test_run_under_a_memory_only_license_cannot_dump_the_model(run, tmp_path):
    """13.6: `run --license memonly.lic -- sh -c 'cat "$MODELSEAL_MODEL" > dump.pt'` wrote plaintext to disk."""
    env = licensed(run, tmp_path, "--memory-only")
    dump = ["run", "--license", "acme.lic", "--model", "m.mseal", "--", "sh", "-c", 'cat "$MODELSEAL_MODEL" > dump.pt']
    refused = run(*dump, env=env, check=False)
    assert refused.returncode == 39, refused.stderr
    assert b"--allow-run" in refused.stderr
    assert not (tmp_path / "dump.pt").exists()
    help_text = run("run", "--help").stdout
    assert b"(a memory-only load" not in help_text  # the old help called `run --license` that
    assert b"not a memory-only load" in b" ".join(help_text.split())


def test_run_needs_the_run_feature_and_has_it_when_granted(run, tmp_path):
    env = licensed(run, tmp_path, "--allow-run")
    run("run", "--license", "acme.lic", "--model", "m.mseal", "--", "sh", "-c", 'cat "$MODELSEAL_MODEL" > copy.bin',
        env=env)
    assert (tmp_path / "copy.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()


def test_the_preload_guard_sees_ld_so_preload(modelseal_bin, run, tmp_path):
    """13.6: `ld-linux-x86-64.so.2 --preload x.so modelseal ...` sets no LD_PRELOAD and was not seen."""
    loader = "/lib64/ld-linux-x86-64.so.2"
    if not os.path.exists(loader):
        pytest.skip("no x86-64 glibc loader here")
    env = licensed(run, tmp_path, "--guard", "preload=deny")
    run("open", "--license", "acme.lic", "--check", "m.mseal", env=env)
    result = subprocess.run(
        [loader, "--preload", "libm.so.6", modelseal_bin, "open", "--license", "acme.lic", "--check", "m.mseal"],
        cwd=tmp_path, capture_output=True, env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **env), timeout=120)
    assert result.returncode == 38, result.stderr
    assert b"dynamic loader" in result.stderr


def with_appended_entry(data: bytes, public_der: bytes, signature: bytes) -> bytes:
    """The file with one more trailer entry (Ed25519), as anyone can append without any key."""
    import struct

    (length,) = struct.unpack(">I", data[-12:-8])
    body = bytearray(data[len(data) - 12 - length : -12])
    (chunks,) = struct.unpack(">Q", body[1:9])
    body[9 + 32 * chunks] += 1
    body += bytes([1]) + struct.pack(">H", len(public_der)) + public_der + struct.pack(">H", len(signature)) + signature
    return data[: len(data) - 12 - length] + bytes(body) + struct.pack(">I", len(body)) + b"MSEALSIG"


def test_a_bogus_appended_signature_does_not_fail_a_file_a_trusted_key_signed(run, tmp_path):
    """Suspected item of 13: a stranger appends a garbage entry; the old code failed the file for everyone (22)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = sealed_signed(run, tmp_path, chunks=2)
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    data = (tmp_path / "m.mseal").read_bytes()
    (tmp_path / "bogus.mseal").write_bytes(with_appended_entry(data, stranger, os.urandom(64)))
    env = {"K": key}
    opened = run("open", "--key-env", "K", "--trust", "vendor.key.pub", "-o", "-", "bogus.mseal", env=env)
    assert opened.stdout == (tmp_path / "model.bin").read_bytes()
    assert run("verify", "--trust", "vendor.key.pub", "bogus.mseal").returncode == 0
    # Nothing vouches without trust: every entry must verify.
    assert run("verify", "--allow-unsigned", "bogus.mseal", check=False).returncode == 22
    # A bad entry by the trusted key itself still fails the file.
    with open(tmp_path / "vendor.key.pub", "rb") as file:
        vendor = serialization.load_pem_public_key(file.read()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "bad.mseal").write_bytes(with_appended_entry(data, vendor, os.urandom(64)))
    assert run("open", "--key-env", "K", "--trust", "vendor.key.pub", "--check", "bad.mseal", env=env,
               check=False).returncode == 22


def test_license_issue_states_what_an_offline_license_cannot_enforce(run, tmp_path):
    """Issue 13 (items 3 and 5 are stated limits until license v2): the vendor is told when it matters."""
    key = Fernet.generate_key().decode()
    env = {"MODELSEAL_LICENSE_DIR": str(tmp_path / "licensing"), "K": key}
    run("keygen", "--sign", "-o", "vendor.key")
    (tmp_path / "model.bin").write_bytes(os.urandom(100))
    run("seal", "--key-env", "K", "--sign-key", "vendor.key", "-o", "m.mseal", "model.bin", env=env)
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json", env=env)
    issued = run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key",
                 "--model", "m.mseal", "--key-env", "K", "-o", "acme.lic", env=env)
    assert b"restoring the licensing folder" in issued.stderr and b"SECURITY.md" in issued.stderr


def test_a_trust_store_also_covers_the_articles_unsigned_fernet_files(run, tmp_path):
    """13.2: a Fernet token carries no ModelSeal signature, so with a trust store it opens only when asked."""
    key = Fernet.generate_key()
    (tmp_path / "model.enc").write_bytes(Fernet(key).encrypt(b"weights" * 100))
    run("keygen", "--sign", "-o", "vendor.key")
    env = {"K": key.decode(), "MODELSEAL_TRUST": str(trust_store(tmp_path, "vendor.key.pub"))}
    refused = run("open", "--key-env", "K", "-o", "out.bin", "model.enc", env=env, check=False)
    assert refused.returncode == 20 and b"--allow-unsigned" in refused.stderr
    assert not (tmp_path / "out.bin").exists()
    run("open", "--key-env", "K", "--allow-unsigned", "-o", "out.bin", "model.enc", env=env)
    assert (tmp_path / "out.bin").read_bytes() == b"weights" * 100


def test_the_c_library_never_reads_home_or_the_trust_store(run, tmp_path, modelseal_pkg, monkeypatch):
    """13.2: the C ABI takes trust only from its caller. A store in HOME and $MODELSEAL_TRUST (which
    would refuse this unsigned file through the CLI or Python's load) changes nothing for a C caller
    that passed no trust key; passing the store explicitly does."""
    from modelseal import _ffi

    key = sealed_signed(run, tmp_path, chunks=2, sign=False)
    run("keygen", "--sign", "-o", "vendor.key")
    store = trust_store(tmp_path, "vendor.key.pub")
    home = tmp_path / "home"
    (home / ".config" / "modelseal").mkdir(parents=True)
    (home / ".config" / "modelseal" / "trust").symlink_to(store)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MODELSEAL_TRUST", str(store))
    expected = (tmp_path / "model.bin").read_bytes()
    with _ffi.SealedFile(tmp_path / "m.mseal") as sealed, _ffi.Keyring() as ring:
        ring.add_raw_key(key.encode())
        sealed.unlock(ring)
        buffer = bytearray(sealed.plaintext_length())
        sealed.decrypt_into(buffer)
        assert bytes(buffer) == expected
    with _ffi.SealedFile(tmp_path / "m.mseal") as sealed, _ffi.Keyring() as ring:
        ring.add_raw_key(key.encode())
        ring.add_trust_store(str(store))
        with pytest.raises(modelseal_pkg.SignatureError, match="no signature"):
            sealed.unlock(ring)
    with pytest.raises(modelseal_pkg.SignatureError):  # Python's load does read the store
        modelseal_pkg.load(tmp_path / "m.mseal", key=key)
