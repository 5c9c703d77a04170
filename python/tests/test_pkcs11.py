"""Vendor keys on a PKCS#11 token: a REAL SoftHSM2 token (Debian softhsm2) made with the REAL pkcs11-tool (opensc).

The token lives in a temporary folder (SOFTHSM2_CONF); its keys are generated on the token and never leave it.
`modelseal` seals, signs, packs and issues licenses with `pkcs11:` URIs; verifiers use the public key exported
from the token with `modelseal keygen --export-public`, cross-checked against pkcs11-tool's own export; ECDSA
signatures in the OpenSSF model signing format are checked by the REAL `model_signing` package.
"""
import json
import os
import subprocess

import model_signing
import pytest
import torch
from cryptography.hazmat.primitives import serialization

from softhsm import MODULE, PIN, init_token, tool
# The token's keys: label, pkcs11-tool key type, id.
KEYS = {"ed25519": ("EC:edwards25519", "03"), "p256": ("EC:prime256v1", "01"), "p384": ("EC:secp384r1", "02")}

SIGNING_KEY_ERROR = 23
TOKEN_UNAVAILABLE = 27
TOKEN_LOGIN_FAILED = 28
TOKEN_KEY_NOT_FOUND = 29
USAGE = 64


def uri(label):
    return f"pkcs11:token=vendor%20keys;object={label}"


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A SoftHSM2 token 'vendor keys' with an Ed25519, a P-256 and a P-384 key pair; the environment to use it."""
    folder = tmp_path_factory.mktemp("softhsm")
    env = init_token(folder, "vendor keys")
    for label, (key_type, key_id) in KEYS.items():
        tool(env, "--login", "--pin", PIN, "--keypairgen", "--key-type", key_type, "--label", label, "--id", key_id)
    return {"SOFTHSM2_CONF": env["SOFTHSM2_CONF"], "MODELSEAL_PKCS11_MODULE": MODULE, "MODELSEAL_PKCS11_PIN": PIN}


@pytest.fixture
def exported(run, token, tmp_path):
    """Every token key's public key, exported with `modelseal keygen --export-public` (no PIN needed)."""
    no_pin = {**token, "MODELSEAL_PKCS11_PIN": ""}
    for label in KEYS:
        run("keygen", "--export-public", uri(label), "-o", f"{label}.pub", env=no_pin)
    return tmp_path


def failure(run, *args, env):
    result = run(*args, env=env, check=False)
    return result.returncode, result.stderr.decode()


def test_exported_public_keys_are_the_tokens(run, token, exported):
    """The exported keys hold the points pkcs11-tool lists (CKA_EC_POINT, a DER OCTET STRING around the point)."""
    listing = subprocess.run(["pkcs11-tool", "--module", MODULE, "--list-objects", "--type", "pubkey"],
                             env={**os.environ, **token}, check=True, capture_output=True, text=True).stdout
    points = {}
    for entry in listing.split("Public Key Object")[1:]:
        fields = dict(line.strip().split(":", 1) for line in entry.splitlines() if ":" in line)
        points[fields["label"].strip()] = bytes.fromhex(fields["EC_POINT"].strip())
    assert sorted(points) == sorted(KEYS)
    for label, wrapped in points.items():
        assert wrapped[0] == 0x04 and wrapped[1] == len(wrapped) - 2  # OCTET STRING, short length
        ours = serialization.load_pem_public_key((exported / f"{label}.pub").read_bytes())
        if label == "ed25519":
            raw = ours.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            raw = ours.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        assert raw == wrapped[2:], label


@pytest.mark.parametrize("label", list(KEYS))
def test_seal_sign_and_pack_with_a_token_key(run, token, exported, tmp_path, label):
    torch.manual_seed(0)
    state = torch.nn.Linear(16, 8).state_dict()
    torch.save(state, tmp_path / "model.pt")
    run("keygen", "-o", "customer.key")
    recipient = run("keygen", "-y", "customer.key").stdout.decode().strip()
    run("seal", "-r", recipient, "--sign-key", uri(label), "-o", "model.mseal", "model.pt", env=token)
    verified = run("verify", "--trust", f"{label}.pub", "model.mseal").stdout.decode()
    assert "valid" in verified
    run("open", "-i", "customer.key", "--trust", f"{label}.pub", "-o", "back.pt", "model.mseal")
    restored = torch.load(tmp_path / "back.pt", weights_only=True)
    assert all(torch.equal(restored[name], tensor) for name, tensor in state.items())
    # Signing an unsigned sealed file afterwards, and a bundle.
    run("seal", "-r", recipient, "-o", "plain.mseal", "model.pt")
    run("sign", "--sign-key", uri(label), "plain.mseal", env=token)
    run("verify", "--trust", f"{label}.pub", "plain.mseal")
    run("pack", "-o", "delivery.mspkg", "--sign-key", uri(label), "model.mseal", env=token)
    run("verify", "--trust", f"{label}.pub", "delivery.mspkg")
    # Another key's public key does not verify it.
    other = next(name for name in KEYS if name != label)
    assert run("verify", "--trust", f"{other}.pub", "model.mseal", check=False).returncode == 21


def test_license_issued_with_a_token_key(run, token, exported, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    torch.manual_seed(1)
    state = torch.nn.Linear(8, 4).state_dict()
    torch.save(state, tmp_path / "model.pt")
    key = run("keygen", "--symmetric").stdout.decode().strip()
    run("seal", "--key-env", "MODEL_KEY", "--sign-key", uri("p384"), "-o", "m.mseal", "model.pt",
        env={**token, "MODEL_KEY": key})
    run("license", "request", "--vendor", "p384.pub", "-o", "req.json")
    run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", uri("p384"),
        "--model", "m.mseal", "--key-env", "MODEL_KEY", "-o", "acme.lic", env={**token, "MODEL_KEY": key})
    shown = json.loads(run("license", "show", "--json", "acme.lic").stdout)
    assert shown["algorithm"] == "ecdsa-p384"
    assert shown["signer"] in run("keygen", "--export-public", uri("p384"), env=token).stderr.decode()
    run("open", "--license", "acme.lic", "-o", "back.pt", "m.mseal")
    restored = torch.load(tmp_path / "back.pt", weights_only=True)
    assert all(torch.equal(restored[name], tensor) for name, tensor in state.items())


@pytest.mark.parametrize("label", ["p256", "p384"])
def test_oms_signature_from_the_token_verifies_in_model_signing(run, token, exported, tmp_path, label):
    model = tmp_path / "model"
    model.mkdir()
    torch.save(torch.nn.Linear(4, 4).state_dict(), model / "weights.pt")
    (model / "config.json").write_text('{"layers": 1}')
    run("sign", "--oms", "--sign-key", uri(label), "--signature", "model.sig", str(model), env=token)
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=exported / f"{label}.pub").verify(
        model, tmp_path / "model.sig")
    run("verify", "--oms", "--trust", f"{label}.pub", "--signature", "model.sig", str(model))


def test_token_errors_are_clear_and_distinct(run, token, tmp_path):
    (tmp_path / "m.bin").write_bytes(b"weights")
    seal = ("seal", "--key-env", "K", "-o", "m.mseal", "m.bin", "--sign-key")
    env = {**token, "K": run("keygen", "--symmetric").stdout.decode().strip()}
    code, message = failure(run, *seal, uri("p256"), env={**env, "MODELSEAL_PKCS11_PIN": "9999"})
    assert code == TOKEN_LOGIN_FAILED and "wrong PIN" in message, message
    code, message = failure(run, *seal, uri("nonexistent"), env=env)
    assert code == TOKEN_KEY_NOT_FOUND and "no private key matches" in message, message
    code, message = failure(run, *seal, "pkcs11:token=another;object=p256", env=env)
    assert code == TOKEN_KEY_NOT_FOUND and "no token matches" in message and "vendor keys" in message, message
    code, message = failure(run, *seal, uri("p256"), env={**env, "MODELSEAL_PKCS11_MODULE": "/nonexistent/p11.so"})
    assert code == TOKEN_UNAVAILABLE and "no module at /nonexistent/p11.so" in message, message
    code, message = failure(run, *seal, uri("p256"), "--pkcs11-module", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                            env=env)
    assert code == TOKEN_UNAVAILABLE and "not a PKCS#11 module" in message, message
    code, message = failure(run, *seal, uri("p256"), env={**env, "MODELSEAL_PKCS11_MODULE": ""})
    assert code == TOKEN_UNAVAILABLE and "--pkcs11-module" in message, message
    code, message = failure(run, *seal, uri("p256"), env={**env, "MODELSEAL_PKCS11_PIN": ""})
    assert code == TOKEN_LOGIN_FAILED and "MODELSEAL_PKCS11_PIN" in message, message
    code, message = failure(run, *seal, uri("p256"), "--pin-env", "UNSET_PIN_VARIABLE", env=env)
    assert code == TOKEN_LOGIN_FAILED and "UNSET_PIN_VARIABLE" in message, message
    code, message = failure(run, *seal, "pkcs11:token=vendor keys", env=env)
    assert code == USAGE and "percent-encode" in message, message
    code, message = failure(run, *seal, "pkcs11:object=p256?pin-value=1234", env=env)
    assert code == USAGE and "MODELSEAL_PKCS11_PIN" in message, message
    assert not (tmp_path / "m.mseal").exists()


def test_pkcs11_identities_are_refused_with_the_reason(run, tmp_path):
    """Issue 17 leaves `-i pkcs11:` out (no P-256 recipient stanza): a clear usage error, not "no such file"."""
    (tmp_path / "m.bin").write_bytes(b"x" * 100)
    recipient = run("keygen", "-o", "id.key").stdout.decode().strip()
    run("seal", "-r", recipient, "-o", "m.mseal", "m.bin")
    refused = run("open", "-i", "pkcs11:token=t;object=o", "-o", "-", "m.mseal", check=False)
    assert refused.returncode == 64 and refused.stdout == b""
    assert b"not supported" in refused.stderr and b"X25519" in refused.stderr


def test_pin_from_a_named_variable_or_a_pin_source(run, token, tmp_path):
    (tmp_path / "m.bin").write_bytes(b"weights")
    env = {**token, "MODELSEAL_PKCS11_PIN": "", "VENDOR_PIN": PIN, "K": run("keygen", "--symmetric").stdout.decode().strip()}
    run("seal", "--key-env", "K", "-o", "m.mseal", "m.bin", "--sign-key", uri("ed25519"), "--pin-env", "VENDOR_PIN",
        env=env)
    assert (tmp_path / "m.mseal").exists()
    # ... or from the file the URI's pin-source names; the module from the URI's module-path.
    (tmp_path / "pin.txt").write_text(PIN + "\n")
    run("seal", "--key-env", "K", "-o", "m2.mseal", "m.bin", "--sign-key",
        f"{uri('p256')}?pin-source=file:{tmp_path / 'pin.txt'}&module-path={MODULE}",
        env={**env, "MODELSEAL_PKCS11_MODULE": ""})
    assert (tmp_path / "m2.mseal").exists()


def test_the_signing_key_never_leaves_the_token(run, token, exported, tmp_path):
    """The keys are generated sensitive and never extractable: the token refuses their value to anyone, so a
    signature ModelSeal made with one was made on the token."""
    listing = subprocess.run(["pkcs11-tool", "--module", MODULE, "--login", "--pin", PIN, "--list-objects",
                              "--type", "privkey"], env={**os.environ, **token}, check=True, capture_output=True,
                             text=True).stdout
    objects = listing.split("Private Key Object")[1:]
    assert len(objects) == len(KEYS)
    for entry in objects:
        assert "sensitive" in entry and "never extractable" in entry, entry
    (tmp_path / "m.bin").write_bytes(b"weights")
    env = {**token, "K": run("keygen", "--symmetric").stdout.decode().strip()}
    run("seal", "--key-env", "K", "-o", "m.mseal", "m.bin", "--sign-key", uri("p256"), env=env)
    run("verify", "--trust", "p256.pub", "m.mseal")


def test_pin_asked_on_the_terminal(modelseal_bin, token, tmp_path):
    """With no PIN in the environment, the PIN is asked on the controlling terminal with echo off."""
    import pty
    import select

    (tmp_path / "m.bin").write_bytes(b"weights")
    env = {**os.environ, **token, "MODELSEAL_PKCS11_PIN": "", "SWIFT_BACKTRACE": "enable=no",
           "K": subprocess.run([modelseal_bin, "keygen", "--symmetric"], capture_output=True, text=True).stdout.strip()}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal
        os.chdir(tmp_path)
        os.execve(modelseal_bin, [modelseal_bin, "seal", "--key-env", "K", "-o", "m.mseal", "m.bin", "--sign-key",
                                  uri("p384")], env)
    seen = b""
    while b"PIN for" not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, seen
        seen += os.read(fd, 1024)
    os.write(fd, PIN.encode() + b"\n")
    rest = b""
    try:
        while chunk := os.read(fd, 1024):
            rest += chunk
    except OSError:  # EIO once the child closed the terminal
        pass
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen + rest
    assert PIN.encode() not in rest  # echo was off
    assert (tmp_path / "m.mseal").exists()


def test_python_save_signs_with_a_token_key(modelseal_pkg, token, exported, tmp_path, monkeypatch, fernet_key):
    """`modelseal.save(..., sign_key="pkcs11:…")` signs on the token through the C ABI, resolved as the CLI's
    `--sign-key` (module and PIN from the environment): the file loads with trust= the token's exported key and
    not with another key; a wrong PIN and a missing key raise SignatureError naming the problem and write nothing."""
    for name, value in token.items():
        monkeypatch.setenv(name, value)
    state = {"w": torch.randn(8, 8)}
    modelseal_pkg.save(state, tmp_path / "s.mseal", key=fernet_key, sign_key=uri("p256"))
    loaded = modelseal_pkg.load(tmp_path / "s.mseal", key=fernet_key, trust=exported / "p256.pub")
    assert torch.equal(loaded["w"], state["w"])
    with pytest.raises(modelseal_pkg.SignatureError, match="untrusted signer"):
        modelseal_pkg.load(tmp_path / "s.mseal", key=fernet_key, trust=exported / "ed25519.pub")
    monkeypatch.setenv("MODELSEAL_PKCS11_PIN", "9999")
    with pytest.raises(modelseal_pkg.SignatureError, match="wrong PIN"):
        modelseal_pkg.save(state, tmp_path / "wrong-pin.mseal", key=fernet_key, sign_key=uri("p256"))
    monkeypatch.setenv("MODELSEAL_PKCS11_PIN", PIN)
    with pytest.raises(modelseal_pkg.SignatureError, match="no private key matches"):
        modelseal_pkg.save(state, tmp_path / "missing.mseal", key=fernet_key, sign_key=uri("missing"))
    assert not (tmp_path / "wrong-pin.mseal").exists() and not (tmp_path / "missing.mseal").exists()
