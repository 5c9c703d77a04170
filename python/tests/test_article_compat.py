"""The article's files with the article's own code: Fernet over torch.save bytes, RSA PKCS#1 v1.5 signatures.

`save_encrypted_model`, `load_encrypted_model` and `sign_file` below are the article's functions
as printed (seed text), run with the real `cryptography` package and real torch; the CLI then
opens, verifies and migrates what they wrote, and refuses every broken variant with its
documented exit code (docs/ARTICLE.md) without leaving plaintext behind.
"""
import base64
import io
import os
import subprocess
import sys

import pytest
import torch
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key


# --- the article's code, verbatim -------------------------------------------------------------

def save_encrypted_model(model, filepath, key):
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)  # 序列化到内存
    encrypted_data = Fernet(key).encrypt(buffer.getvalue())
    with open(filepath, 'wb') as f:
        f.write(encrypted_data)


def load_encrypted_model(ModelClass, filepath, key, device='cpu'):
    with open(filepath, 'rb') as f:
        encrypted_data = f.read()
    decrypted_bytes = Fernet(key).decrypt(encrypted_data)
    buffer = io.BytesIO(decrypted_bytes)
    model = ModelClass().to(device)
    model.load_state_dict(torch.load(buffer, map_location=device))
    return model


def sign_file(filepath, private_key_pem):
    with open(filepath, 'rb') as f:
        data = f.read()
    private_key = load_pem_private_key(private_key_pem, password=None)
    signature = private_key.sign(
        data,
        padding.PKCS1v15(),
        hashes.SHA256()
    )
    return signature


# --- fixtures ---------------------------------------------------------------------------------

class Net(torch.nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(32, width), torch.nn.ReLU(), torch.nn.Linear(width, 10))

    def forward(self, x):
        return self.body(x)


def assert_same_state(restored, model):
    expected = model.state_dict()
    assert restored.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(restored[name], tensor), name


@pytest.fixture
def article(tmp_path):
    """A model saved by the article's save_encrypted_model, its key, and an RSA-2048 sign_file signature."""
    torch.manual_seed(0)
    model = Net()
    key = Fernet.generate_key()
    save_encrypted_model(model, tmp_path / "model.enc", key)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    (tmp_path / "vendor_pub.pem").write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (tmp_path / "model.enc.sig").write_bytes(sign_file(tmp_path / "model.enc", pem))
    return dict(model=model, key=key.decode(), env={"MODEL_KEY": key.decode()}, pem=pem, dir=tmp_path)


def files(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir())


# --- open -------------------------------------------------------------------------------------

def test_open_to_file_matches_the_articles_loader(run, article, tmp_path):
    run("open", "--key-env", "MODEL_KEY", "-o", "model.pt", "model.enc", env=article["env"])
    assert (tmp_path / "model.pt").stat().st_mode & 0o777 == 0o600
    assert_same_state(torch.load(tmp_path / "model.pt", weights_only=True), article["model"])
    loaded = load_encrypted_model(Net, tmp_path / "model.enc", article["key"].encode())
    assert (tmp_path / "model.pt").read_bytes() == Fernet(article["key"]).decrypt((tmp_path / "model.enc").read_bytes())
    assert_same_state(loaded.state_dict(), article["model"])


def test_open_to_stdout_piped_into_torch_load(modelseal_bin, article, tmp_path):
    loader = ("import sys, io, torch; s = torch.load(io.BytesIO(sys.stdin.buffer.read()), weights_only=True); "
              "print(sorted(s))")
    opener = subprocess.Popen([modelseal_bin, "open", "--key-env", "MODEL_KEY", "-o", "-", "model.enc"], cwd=tmp_path,
                              stdout=subprocess.PIPE, env=dict(os.environ, **article["env"]))
    consumer = subprocess.run([sys.executable, "-c", loader], stdin=opener.stdout, capture_output=True, text=True,
                              timeout=120)
    opener.stdout.close()
    assert opener.wait(timeout=60) == 0
    assert consumer.returncode == 0, consumer.stderr
    assert consumer.stdout.strip() == str(sorted(article["model"].state_dict()))


def test_open_from_stdin_and_key_file(run, article, tmp_path):
    (tmp_path / "model.key").write_text(article["key"] + "\n")
    token = (tmp_path / "model.enc").read_bytes()
    out = run("open", "--key-file", "model.key", "-o", "-", "-", stdin=token).stdout
    assert_same_state(torch.load(io.BytesIO(out), weights_only=True), article["model"])


def test_check_writes_nothing(run, article, tmp_path):
    before = files(tmp_path)
    result = run("open", "--key-env", "MODEL_KEY", "--check", "model.enc", env=article["env"])
    assert result.stdout == b"" and b"verified Fernet token" in result.stderr
    assert files(tmp_path) == before


def test_multi_chunk_model(run, tmp_path):
    """Over 4 MiB of token text: several read chunks, blocks split across them."""
    torch.manual_seed(1)
    model = Net(width=60_000)
    key = Fernet.generate_key()
    save_encrypted_model(model, tmp_path / "big.enc", key)
    assert (tmp_path / "big.enc").stat().st_size > 3 * (4 << 20)
    run("open", "--key-env", "K", "-o", "big.pt", "big.enc", env={"K": key.decode()})
    assert_same_state(torch.load(tmp_path / "big.pt", weights_only=True), model)


# --- bad tokens -------------------------------------------------------------------------------

def flip_decoded_byte(token, offset):
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[offset] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw))


BAD_TOKENS = {
    # name: (transform of the token, exit code, words in the message)
    "truncated": (lambda t: t[:-5], 12, b"truncated"),
    "truncated_half": (lambda t: t[: len(t) // 2 // 4 * 4], 12, b"truncated"),
    "flipped_byte": (lambda t: flip_decoded_byte(t, 1000), 11, b"HMAC mismatch"),
    "flipped_last_byte": (lambda t: flip_decoded_byte(t, -1), 11, b"HMAC mismatch"),
    "malformed_base64": (lambda t: t[:200] + b"+" + t[201:], 13, b"base64url"),
    "space_inside": (lambda t: t[:200] + b" " + t[201:], 13, b"whitespace"),
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
@pytest.mark.parametrize("destination", ["file", "stdout", "migrate"])
def test_bad_token_is_refused_and_releases_nothing(run, article, tmp_path, name, destination):
    transform, code, words = BAD_TOKENS[name]
    (tmp_path / "bad.enc").write_bytes(transform((tmp_path / "model.enc").read_bytes()))
    before = files(tmp_path)
    if destination == "migrate":
        args = ("migrate", "--key-env", "MODEL_KEY", "-o", "out.mseal", "bad.enc")
    else:
        args = ("open", "--key-env", "MODEL_KEY", "-o", "out.pt" if destination == "file" else "-", "bad.enc")
    result = run(*args, env=article["env"], check=False)
    assert result.returncode == code, result.stderr
    assert words in result.stderr
    assert result.stdout == b""
    assert files(tmp_path) == before


def test_wrong_key_is_refused(run, article, tmp_path):
    result = run("open", "--key-env", "K", "-o", "out.pt", "model.enc", env={"K": Fernet.generate_key().decode()},
                 check=False)
    assert result.returncode == 11
    assert b"wrong key, or the token was altered" in result.stderr
    assert not (tmp_path / "out.pt").exists()


def test_identity_file_cannot_open_a_fernet_token(run, article, tmp_path):
    run("keygen", "-o", "customer.key")
    result = run("open", "-i", "customer.key", "-o", "out.pt", "model.enc", check=False)
    assert result.returncode == 14
    assert b"--key-env" in result.stderr


def test_open_refuses_trust_keys_it_cannot_satisfy(run, article, tmp_path):
    """A Fernet token carries no ModelSeal signature: --trust is refused (64), never ignored, and
    the refusal points at the article's own RSA signature check. Nothing is written."""
    result = run("open", "--key-env", "MODEL_KEY", "--trust", "vendor_pub.pem", "-o", "out.pt", "model.enc",
                 env=article["env"], check=False)
    assert result.returncode == 64
    assert b"--rsa-pkcs1v15" in result.stderr
    assert not (tmp_path / "out.pt").exists()


# --- verify --rsa-pkcs1v15 --------------------------------------------------------------------

def test_verify_article_signature(run, article, tmp_path):
    result = run("verify", "--rsa-pkcs1v15", "--trust", "vendor_pub.pem", "--signature", "model.enc.sig", "model.enc")
    assert b"valid rsa-pkcs1v15 signature by SHA256:" in result.stdout
    # The same signature as base64 text (pasted into mail) is accepted too.
    (tmp_path / "model.enc.sig.b64").write_bytes(base64.b64encode((tmp_path / "model.enc.sig").read_bytes()) + b"\n")
    run("verify", "--rsa-pkcs1v15", "--trust", "vendor_pub.pem", "--signature", "model.enc.sig.b64", "model.enc")


def test_signature_over_another_file(run, article, tmp_path):
    (tmp_path / "other.enc").write_bytes(Fernet(article["key"]).encrypt(b"another model"))
    result = run("verify", "--rsa-pkcs1v15", "--trust", "vendor_pub.pem", "--signature", "model.enc.sig", "other.enc",
                 check=False)
    assert result.returncode == 22
    assert b"signature is for another file" in result.stderr


def test_wrong_signature(run, article, tmp_path):
    signature = bytearray((tmp_path / "model.enc.sig").read_bytes())
    signature[10] ^= 0x01
    (tmp_path / "bad.sig").write_bytes(bytes(signature))
    result = run("verify", "--rsa-pkcs1v15", "--trust", "vendor_pub.pem", "--signature", "bad.sig", "model.enc",
                 check=False)
    assert result.returncode == 22


def test_signature_by_another_rsa_key(run, article, tmp_path):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "other_pub.pem").write_bytes(other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    result = run("verify", "--rsa-pkcs1v15", "--trust", "other_pub.pem", "--signature", "model.enc.sig", "model.enc",
                 check=False)
    assert result.returncode == 22


def test_truncated_signature_is_malformed(run, article, tmp_path):
    (tmp_path / "short.sig").write_bytes((tmp_path / "model.enc.sig").read_bytes()[:-1])
    result = run("verify", "--rsa-pkcs1v15", "--trust", "vendor_pub.pem", "--signature", "short.sig", "model.enc",
                 check=False)
    assert result.returncode == 24


def test_ec_key_is_the_wrong_key_type(run, article, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "ec_pub.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    result = run("verify", "--rsa-pkcs1v15", "--trust", "ec_pub.pem", "--signature", "model.enc.sig", "model.enc",
                 check=False)
    assert result.returncode == 23
    assert b"need an RSA public key" in result.stderr and b"ECDSA P-256" in result.stderr


def test_rsa_flag_needs_trust_and_signature(run, article):
    assert run("verify", "--rsa-pkcs1v15", "--signature", "model.enc.sig", "model.enc", check=False).returncode == 64
    assert run("verify", "--rsa-pkcs1v15", "--trust", "vendor_pub.pem", "model.enc", check=False).returncode == 64


# --- migrate ----------------------------------------------------------------------------------

def test_migrate_keeps_the_key_and_suggests_a_new_one(run, article, tmp_path):
    result = run("migrate", "--key-env", "MODEL_KEY", "-o", "model.mseal", "model.enc", env=article["env"])
    assert b"modelseal keygen --symmetric" in result.stderr and b"rekey" in result.stderr
    out = run("open", "--key-env", "MODEL_KEY", "-o", "-", "model.mseal", env=article["env"]).stdout
    assert_same_state(torch.load(io.BytesIO(out), weights_only=True), article["model"])
    inspected = run("inspect", "--key-env", "MODEL_KEY", "model.mseal", env=article["env"]).stdout
    assert b"fernet" in inspected


def test_migrate_to_new_recipients_and_sign(run, article, tmp_path):
    recipient = run("keygen", "-o", "customer.key").stdout.decode().strip()
    new_key = run("keygen", "--symmetric").stdout.decode().strip()
    run("keygen", "--sign", "-o", "vendor.key")
    env = dict(article["env"], NEW_KEY=new_key)
    run("migrate", "--key-env", "MODEL_KEY", "--replace", "--add-key-env", "NEW_KEY", "-r", recipient,
        "--sign-key", "vendor.key", "-o", "model.mseal", "model.enc", env=env)
    # The old key no longer opens the new file; the new key and the customer's identity do.
    old = run("open", "--key-env", "MODEL_KEY", "--check", "model.mseal", env=env, check=False)
    assert old.returncode == 10
    for key_args in (("--key-env", "NEW_KEY"), ("-i", "customer.key")):
        out = run("open", *key_args, "--trust", "vendor.key.pub", "-o", "-", "model.mseal", env=env).stdout
        assert_same_state(torch.load(io.BytesIO(out), weights_only=True), article["model"])
    run("verify", "--trust", "vendor.key.pub", "model.mseal")


def test_migrate_from_stdin(run, article, tmp_path):
    token = (tmp_path / "model.enc").read_bytes()
    run("migrate", "--key-env", "MODEL_KEY", "-q", "-o", "model.mseal", "-", env=article["env"], stdin=token)
    out = run("open", "--key-env", "MODEL_KEY", "-o", "-", "model.mseal", env=article["env"]).stdout
    assert_same_state(torch.load(io.BytesIO(out), weights_only=True), article["model"])


def test_migrate_refuses_a_modelseal_file(run, article, tmp_path):
    (tmp_path / "w.bin").write_bytes(b"x" * 1000)
    run("seal", "--key-env", "MODEL_KEY", "-o", "w.mseal", "w.bin", env=article["env"])
    result = run("migrate", "--key-env", "MODEL_KEY", "-o", "again.mseal", "w.mseal", env=article["env"], check=False)
    assert result.returncode == 13
    assert b"rekey" in result.stderr
    assert not (tmp_path / "again.mseal").exists()


def test_open_json_report(run, article):
    import json
    report = json.loads(run("open", "--key-env", "MODEL_KEY", "--check", "--json", "model.enc", env=article["env"]).stdout)
    assert report["schema"] == 1 and report["format"] == "fernet" and report["verified"] is True
    assert report["plaintext_bytes"] == len(Fernet(article["key"]).decrypt((article["dir"] / "model.enc").read_bytes()))


def test_migrate_takes_only_fernet_keys(run, article):
    run("keygen", "-o", "customer.key")
    result = run("migrate", "-i", "customer.key", "-o", "out.mseal", "model.enc", check=False)
    assert result.returncode == 64
    assert not (article["dir"] / "out.mseal").exists()


def test_inspect_shows_a_fernet_file_without_its_key(run, article, tmp_path):
    """`inspect` recognises the article's file by content: layout and the token's own timestamp."""
    import json

    token = (tmp_path / "model.enc").read_bytes()
    decoded = base64.urlsafe_b64decode(token)
    written = Fernet(article["key"].encode()).extract_timestamp(token)  # the real library's reading (checks the HMAC)
    plaintext = Fernet(article["key"].encode()).decrypt(token)
    report = json.loads(run("inspect", "--json", "model.enc").stdout)
    assert report["format"] == "fernet"
    assert report["timestamp"] == written
    assert report["ciphertext_bytes"] == len(decoded) - 25 - 32
    assert report["plaintext_bytes_min"] <= len(plaintext) <= report["plaintext_bytes_max"]
    assert report["verified"] is False
    text = run("inspect", "model.enc").stdout.decode()
    assert "Fernet token" in text and "UNVERIFIED" in text and "modelseal open" in text
