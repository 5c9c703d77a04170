"""Signatures against the real `cryptography` package: keys both ways, and spec/SIGNATURES.md checked independently."""
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

KEYS = {
    "ed25519": lambda: ed25519.Ed25519PrivateKey.generate(),
    "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "rsa2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "rsa4096": lambda: rsa.generate_private_key(public_exponent=65537, key_size=4096),
}


def write_keys(tmp_path, name, key, private_format, encryption=serialization.NoEncryption()):
    (tmp_path / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, private_format, encryption))
    public = key.public_key()
    (tmp_path / f"{name}.pub").write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (tmp_path / f"{name}.ssh").write_bytes(
        public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b" vendor@example\n")


@pytest.fixture
def sealed(run, tmp_path):
    (tmp_path / "model.bin").write_bytes(bytes(range(256)) * 1100)
    run("seal", "--key-env", "K", "--chunk-size", "64KiB", "-o", "model.mseal", "model.bin",
        env={"K": "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="})
    return tmp_path / "model.mseal"


# Ed25519 has no "traditional OpenSSL" encoding, so that pair is not listed.
@pytest.mark.parametrize("name,private_format", [(name, "PKCS8") for name in sorted(KEYS)]
                         + [(name, "TraditionalOpenSSL") for name in sorted(KEYS) if name != "ed25519"])
def test_python_keys_sign_and_verify(run, tmp_path, sealed, name, private_format):
    write_keys(tmp_path, name, KEYS[name](), getattr(serialization.PrivateFormat, private_format))
    run("sign", "--sign-key", f"{name}.key", "model.mseal")
    assert b"trusted" in run("verify", "--trust", f"{name}.pub", "model.mseal").stdout
    assert b"trusted" in run("verify", "--trust", f"{name}.ssh", "model.mseal").stdout


def test_encrypted_pkcs8_from_python(run, tmp_path, sealed):
    key = ec.generate_private_key(ec.SECP256R1())
    write_keys(tmp_path, "enc", key, serialization.PrivateFormat.PKCS8,
               serialization.BestAvailableEncryption(b"open sesame"))
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "enc.key").read_bytes()
    run("sign", "--sign-key", "enc.key", "--sign-key-passphrase-env", "PW", "model.mseal", env={"PW": "open sesame"})
    run("verify", "--trust", "enc.pub", "model.mseal")
    wrong = run("sign", "--sign-key", "enc.key", "--sign-key-passphrase-env", "PW", "model.mseal",
                env={"PW": "nope"}, check=False)
    assert wrong.returncode == 23 and b"passphrase" in wrong.stderr


@pytest.mark.parametrize("alg", ["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-pss", "rsa-pkcs1v15"])
def test_our_keys_load_in_python(run, tmp_path, alg):
    run("keygen", "--sign", "--alg", alg, "--rsa-bits", "2048", "--passphrase-env", "PW", "-o", "v.key",
        env={"PW": "pw"})
    private = serialization.load_pem_private_key((tmp_path / "v.key").read_bytes(), password=b"pw")
    public = serialization.load_pem_public_key((tmp_path / "v.key.pub").read_bytes())
    assert private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def merkle_root(leaves):
    """RFC 6962 tree hash, as spec/SIGNATURES.md §1 defines it."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def check_signatures_independently(data):
    """Parses a signed sealed file per spec/CONTAINER.md §2, §5 and spec/SIGNATURES.md and verifies every signature with `cryptography`."""
    header_length = struct.unpack(">I", data[12:16])[0]
    chunk_size = 1 << data[10]
    assert data.endswith(b"MSEALSIG")
    body_length = struct.unpack(">I", data[-12:-8])[0]
    body = data[len(data) - 12 - body_length:len(data) - 12]
    payload = data[header_length:len(data) - 12 - body_length]
    chunks = [payload[i:i + chunk_size + 16] for i in range(0, len(payload), chunk_size + 16)]
    leaves = [hashlib.sha256(b"\x00" + chunk).digest() for chunk in chunks]
    assert body[0] == 1 and struct.unpack(">Q", body[1:9])[0] == len(chunks)
    assert [body[9 + 32 * i:41 + 32 * i] for i in range(len(chunks))] == leaves
    pos = 9 + 32 * len(chunks)
    count = body[pos]
    pos += 1
    algorithms = []
    for _ in range(count):
        algorithm = body[pos]
        key_length = struct.unpack(">H", body[pos + 1:pos + 3])[0]
        key = serialization.load_der_public_key(body[pos + 3:pos + 3 + key_length])
        pos += 3 + key_length
        signature_length = struct.unpack(">H", body[pos:pos + 2])[0]
        signature = body[pos + 2:pos + 2 + signature_length]
        pos += 2 + signature_length
        statement = (b"modelseal/v1 signed-file\x00" + bytes([algorithm]) + hashlib.sha256(data[:header_length]).digest()
                     + struct.pack(">QQ", len(payload), len(chunks)) + merkle_root(leaves))
        if algorithm == 1:
            key.verify(signature, statement)
        elif algorithm in (2, 3, 4):
            key.verify(signature, statement, ec.ECDSA({2: hashes.SHA256(), 3: hashes.SHA384(), 4: hashes.SHA512()}[algorithm]))
        elif algorithm == 5:
            key.verify(signature, statement, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        elif algorithm == 6:
            key.verify(signature, statement, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise AssertionError(f"unknown algorithm {algorithm}")
        algorithms.append(algorithm)
    assert pos == len(body)
    return algorithms


def test_signed_files_verify_with_an_independent_implementation(run, tmp_path, sealed):
    for name, alg in [("a", "ed25519"), ("b", "ecdsa-p384"), ("c", "rsa-pss"), ("d", "rsa-pkcs1v15"), ("e", "ecdsa-p521")]:
        run("keygen", "--sign", "--alg", alg, "--rsa-bits", "2048", "-o", f"{name}.key")
        # A key file holds no algorithm: RSA keys sign with rsa-pss unless told otherwise.
        run("sign", "--sign-key", f"{name}.key", "--sign-alg", alg, "model.mseal")
    assert check_signatures_independently(sealed.read_bytes()) == [1, 3, 5, 6, 4]
    # Sealing with --sign-key produces the same structure.
    run("seal", "--key-env", "K", "--sign-key", "a.key", "-o", "s.mseal", "model.bin",
        env={"K": "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="})
    assert check_signatures_independently((tmp_path / "s.mseal").read_bytes()) == [1]


def test_signature_failures_have_distinct_exit_codes(run, tmp_path, sealed):
    run("keygen", "--sign", "-o", "vendor.key")
    run("keygen", "--sign", "-o", "other.key")
    key_env = {"K": "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="}
    unsigned = run("open", "--key-env", "K", "--trust", "vendor.key.pub", "-o", "out.bin", "model.mseal",
                   env=key_env, check=False)
    assert unsigned.returncode == 20 and not (tmp_path / "out.bin").exists()
    run("sign", "--sign-key", "vendor.key", "model.mseal")
    untrusted = run("open", "--key-env", "K", "--trust", "other.key.pub", "-o", "out.bin", "model.mseal",
                    env=key_env, check=False)
    assert untrusted.returncode == 21 and not (tmp_path / "out.bin").exists()
    data = bytearray(sealed.read_bytes())
    data[-20] ^= 1  # inside the Ed25519 signature
    (tmp_path / "badsig.mseal").write_bytes(bytes(data))
    invalid = run("open", "--key-env", "K", "-o", "-", "badsig.mseal", env=key_env, check=False)
    assert invalid.returncode == 22 and invalid.stdout == b""
    (tmp_path / "garbage.pem").write_text("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n")
    bad_key = run("verify", "--trust", "garbage.pem", "model.mseal", check=False)
    assert bad_key.returncode == 23
    data = bytearray(sealed.read_bytes())
    struct.pack_into(">I", data, len(data) - 12, struct.unpack(">I", data[-12:-8])[0] - 1)
    (tmp_path / "badlen.mseal").write_bytes(bytes(data))
    malformed = run("verify", "--trust", "vendor.key.pub", "badlen.mseal", check=False)
    assert malformed.returncode in (12, 24), malformed.stderr
    ok = run("open", "--key-env", "K", "--trust", "vendor.key.pub", "-o", "out.bin", "model.mseal", env=key_env)
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()
    assert b"trusted" in ok.stderr
