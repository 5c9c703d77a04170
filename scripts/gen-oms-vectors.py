"""Writes Tests/Vectors/oms: a small model and OpenSSF model signatures made by the real `model_signing`.

The model files and keys are deterministic (fixed private scalars); the signatures are not (ECDSA nonces are
random), so `scripts/gen-oms-vectors.sh --check` does not diff them: it re-derives the deterministic files and has
`model_signing` verify every committed signature.

    python scripts/gen-oms-vectors.py OUT_DIR
"""
import hashlib
import pathlib
import shutil
import sys

import model_signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

CURVES = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}
SCALARS = {"p256": 0x1F2E3D4C5B6A7988, "p384": 0x2F3E4D5C6B7A8997, "p521": 0x3F4E5D6C7B8A99A6}


def pseudo_random(seed: str, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:length])


def write_model(root: pathlib.Path) -> None:
    """Names chosen to exercise model_signing's order: `B`, `a-c`, `a.b`, `a/…` sort component-wise."""
    (root / "a").mkdir(parents=True)
    (root / "a" / "nested").mkdir()
    (root / "B").write_bytes(b"upper case sorts first\n")
    (root / "a-c").write_bytes(pseudo_random("a-c", 3000))
    (root / "a.b").write_bytes(b"")
    (root / "a" / "weights.bin").write_bytes(pseudo_random("weights", 70_000))
    (root / "a" / "nested" / "config.json").write_text('{"hidden": 64, "layers": 2}\n')


def write_deterministic(out: pathlib.Path) -> None:
    write_model(out / "model")
    (out / "single.bin").write_bytes(pseudo_random("single", 5000))
    hints = []
    for name, curve in CURVES.items():
        key = ec.derive_private_key(SCALARS[name], curve)
        (out / f"{name}.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (out / f"{name}.pub").write_bytes(public_pem)
        # model_signing's key hint: SHA-256 of the PEM text exactly as written (final newline included).
        hints.append(f"{name} {hashlib.sha256(public_pem).hexdigest()}\n")
    (out / "key-hints.txt").write_text("".join(hints))


def sign(out: pathlib.Path, key: str, model: str, signature: str, shard_size=None) -> None:
    hashing = model_signing.hashing.Config()
    if shard_size is not None:
        hashing = hashing.use_shard_serialization(shard_size=shard_size)
    model_signing.signing.Config().use_elliptic_key_signer(private_key=out / f"{key}.pem").set_hashing_config(
        hashing
    ).sign(out / model, out / signature)


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    write_deterministic(out)
    for key in CURVES:
        sign(out, key, "model", f"model.{key}.sig")
    sign(out, "p256", "single.bin", "single.p256.sig")
    sign(out, "p256", "model", "model.shards-4096.sig", shard_size=4096)
    (out / "README").write_text(
        "Made by scripts/gen-oms-vectors.py with model_signing "
        f"{model_signing.__version__}: model/ and single.bin signed by model_signing's Python API (key mode,\n"
        "default file serialization with SHA-256, and one shard serialization). Keys are fixed; signatures are\n"
        "random (ECDSA), so the check re-verifies them with model_signing instead of diffing.\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
