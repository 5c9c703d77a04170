"""OpenSSF model signing interop against the REAL `model_signing` package (sigstore/model-transparency), both ways.

Models are small real torch state_dicts split over several files plus a nested directory; keys come from
`cryptography`. `modelseal sign/verify --oms` is the built binary; model_signing is driven through its Python API
and its command line (`python -m model_signing`).
"""
import base64
import json
import subprocess
import sys

import model_signing
import pytest
import torch
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from torch import nn

CURVES = {"p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1}

MANIFEST_MISMATCH = 25
MALFORMED_SIGNATURE = 24
SIGNING_KEY_ERROR = 23
INVALID_SIGNATURE = 22
UNTRUSTED_SIGNER = 21


def write_key(directory, name, key):
    (directory / f"{name}.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (directory / f"{name}.pub").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


@pytest.fixture
def keys(tmp_path):
    for name, curve in CURVES.items():
        write_key(tmp_path, name, ec.generate_private_key(curve()))
    write_key(tmp_path, "other", ec.generate_private_key(ec.SECP256R1()))
    write_key(tmp_path, "ed25519", ed25519.Ed25519PrivateKey.generate())
    write_key(tmp_path, "rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return tmp_path


@pytest.fixture
def model(tmp_path):
    """A real torch model saved as two weight shards, a config and a nested tokenizer directory."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.LayerNorm(64), nn.Linear(64, 8))
    state = net.state_dict()
    names = sorted(state)
    root = tmp_path / "tiny-mlp"
    (root / "tokenizer").mkdir(parents=True)
    torch.save({k: state[k] for k in names[: len(names) // 2]}, root / "model-00001-of-00002.pt")
    torch.save({k: state[k] for k in names[len(names) // 2:]}, root / "model-00002-of-00002.pt")
    (root / "config.json").write_text(json.dumps({"layers": [32, 64, 8], "activation": "relu"}))
    (root / "tokenizer" / "vocab.txt").write_text("\n".join(f"tok{i}" for i in range(100)))
    (root / "tokenizer" / "merges.txt").write_text("")
    return root


def ms_sign(key, model_path, signature, **hashing):
    config = model_signing.hashing.Config()
    if hashing:
        config = config.use_shard_serialization(**hashing)
    model_signing.signing.Config().use_elliptic_key_signer(private_key=key).set_hashing_config(config).sign(
        model_path, signature)


def ms_verify(public_key, model_path, signature):
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(model_path, signature)


def ms_cli(*args):
    return subprocess.run([sys.executable, "-m", "model_signing", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def fails(run, *args):
    result = run(*args, check=False)
    assert result.returncode != 0, result.stdout
    return result.returncode, result.stderr.decode()


# --- model_signing signs, modelseal verifies ---------------------------------------------------------------------

@pytest.mark.parametrize("curve", ["p256", "p384", "p521"])
def test_model_signing_api_signature_verifies(run, keys, model, curve):
    ms_sign(keys / f"{curve}.key", model, keys / "model.sig")
    out = run("verify", "--oms", "--trust", f"{curve}.pub", "--signature", "model.sig", str(model)).stdout.decode()
    assert "valid OpenSSF model signature" in out and "5 resource(s)" in out


@pytest.mark.parametrize("curve", ["p256", "p384"])
def test_model_signing_cli_signature_inside_the_model_verifies(run, keys, model, curve):
    signed = ms_cli("sign", "key", "--private_key", keys / f"{curve}.key", "--signature", model / "model.sig", model)
    assert signed.returncode == 0, signed.stderr
    result = run("verify", "--oms", "--trust", f"{curve}.pub", "--signature", str(model / "model.sig"), str(model),
                 "--json")
    report = json.loads(result.stdout)
    assert report["valid"] and report["resources"] == 5 and report["format"] == "openssf-model-signing"


def test_model_signing_single_file_and_shards_verify(run, keys, model):
    weights = model / "model-00001-of-00002.pt"
    ms_sign(keys / "p256.key", weights, keys / "single.sig")
    run("verify", "--oms", "--trust", "p256.pub", "--signature", "single.sig", str(weights))
    # model_signing writes shard_size as a float (protobuf Struct), which its own verifier then cannot use;
    # ModelSeal reads it as the whole number it is.
    ms_sign(keys / "p256.key", model, keys / "shards.sig", shard_size=1024)
    run("verify", "--oms", "--trust", "p256.pub", "--signature", "shards.sig", str(model))


# --- modelseal signs, model_signing verifies ---------------------------------------------------------------------

@pytest.mark.parametrize("curve", ["p256", "p384", "p521"])
def test_our_signature_verifies_in_model_signing_api(run, keys, model, curve):
    run("sign", "--oms", "--sign-key", f"{curve}.key", "--signature", "ours.sig", str(model))
    ms_verify(keys / f"{curve}.pub", model, keys / "ours.sig")
    bundle = json.loads((keys / "ours.sig").read_text())
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["predicateType"] == "https://model_signing/signature/v1.0"
    assert [r["name"] for r in statement["predicate"]["resources"]] == [
        "config.json", "model-00001-of-00002.pt", "model-00002-of-00002.pt", "tokenizer/merges.txt",
        "tokenizer/vocab.txt"]


def test_our_signature_inside_the_model_verifies_in_model_signing_cli(run, keys, model):
    run("sign", "--oms", "--sign-key", "p256.key", "--signature", str(model / "model.sig"), str(model))
    verified = ms_cli("verify", "key", "--public_key", keys / "p256.pub", "--signature", model / "model.sig", model)
    assert verified.returncode == 0 and "Verification succeeded" in verified.stdout, verified.stdout + verified.stderr


def test_our_manifest_equals_model_signings(run, keys, model):
    run("sign", "--oms", "--sign-key", "p256.key", "--signature", "ours.sig", str(model))
    ms_sign(keys / "p256.key", model, keys / "theirs.sig")

    def subject(path):
        statement = json.loads(base64.b64decode(json.loads(path.read_text())["dsseEnvelope"]["payload"]))
        return statement["subject"], statement["predicate"]["resources"]

    ours, theirs = subject(keys / "ours.sig"), subject(keys / "theirs.sig")
    assert ours[0] == theirs[0]
    assert [(r["name"], r["digest"]) for r in ours[1]] == [(r["name"], r["digest"]) for r in theirs[1]]


def test_single_file_both_ways(run, keys, model):
    weights = str(model / "model-00002-of-00002.pt")
    run("sign", "--oms", "--sign-key", "p384.key", "--signature", "w.sig", weights)
    ms_verify(keys / "p384.pub", weights, keys / "w.sig")


# --- bad input: distinct, clear errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("change", ["tamper", "extra", "missing"])
def test_changed_models_fail_on_both_sides(run, keys, model, change):
    run("sign", "--oms", "--sign-key", "p256.key", "--signature", "model.sig", str(model))
    if change == "tamper":
        (model / "config.json").write_text('{"layers": [32, 64, 9]}')
        expected = "changed since signing: 'config.json'"
    elif change == "extra":
        (model / "tokenizer" / "added.txt").write_text("x")
        expected = "not in the signature: 'tokenizer/added.txt'"
    else:
        (model / "model-00002-of-00002.pt").unlink()
        expected = "missing: 'model-00002-of-00002.pt'"
    code, message = fails(run, "verify", "--oms", "--trust", "p256.pub", "--signature", "model.sig", str(model))
    assert code == MANIFEST_MISMATCH and expected in message
    with pytest.raises(ValueError, match="Signature mismatch"):
        ms_verify(keys / "p256.pub", model, keys / "model.sig")


def test_signature_over_another_model(run, keys, model, tmp_path):
    other = tmp_path / "other-model"
    other.mkdir()
    (other / "weights.pt").write_bytes(b"not the same model")
    ms_sign(keys / "p256.key", other, keys / "other.sig")
    code, message = fails(run, "verify", "--oms", "--trust", "p256.pub", "--signature", "other.sig", str(model))
    assert code == MANIFEST_MISMATCH and "missing: 'weights.pt'" in message


def test_wrong_key_both_sides(run, keys, model):
    ms_sign(keys / "p256.key", model, keys / "model.sig")
    code, message = fails(run, "verify", "--oms", "--trust", "other.pub", "--signature", "model.sig", str(model))
    assert code == UNTRUSTED_SIGNER and "none of the 1 --trust key(s)" in message
    run("sign", "--oms", "--sign-key", "p256.key", "--signature", "ours.sig", str(model))
    with pytest.raises(ValueError, match="Key mismatch"):
        ms_verify(keys / "other.pub", model, keys / "ours.sig")


def test_truncated_and_altered_signatures(run, keys, model):
    ms_sign(keys / "p256.key", model, keys / "model.sig")
    data = (keys / "model.sig").read_bytes()
    (keys / "truncated.sig").write_bytes(data[: len(data) // 2])
    code, message = fails(run, "verify", "--oms", "--trust", "p256.pub", "--signature", "truncated.sig", str(model))
    assert code == MALFORMED_SIGNATURE and "not valid JSON" in message
    (keys / "empty.sig").write_bytes(b"")
    assert fails(run, "verify", "--oms", "--trust", "p256.pub", "--signature", "empty.sig", str(model))[0] == \
        MALFORMED_SIGNATURE
    bundle = json.loads(data)
    signature = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    signature[-2] ^= 0x01
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(signature)).decode()
    (keys / "altered.sig").write_text(json.dumps(bundle))
    code, message = fails(run, "verify", "--oms", "--trust", "p256.pub", "--signature", "altered.sig", str(model))
    assert code == INVALID_SIGNATURE and "does not verify" in message
    bundle["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"
    (keys / "media.sig").write_text(json.dumps(bundle))
    code, message = fails(run, "verify", "--oms", "--trust", "p256.pub", "--signature", "media.sig", str(model))
    assert code == MALFORMED_SIGNATURE and "media type" in message


@pytest.mark.parametrize("key", ["ed25519", "rsa"])
def test_non_ec_keys_are_refused_both_sides(run, keys, model, key):
    code, message = fails(run, "sign", "--oms", "--sign-key", f"{key}.key", "--signature", "x.sig", str(model))
    assert code == SIGNING_KEY_ERROR and "ECDSA P-256, P-384 or P-521" in message
    run("sign", "--oms", "--sign-key", "p256.key", "--signature", "model.sig", str(model))
    code, message = fails(run, "verify", "--oms", "--trust", f"{key}.pub", "--signature", "model.sig", str(model))
    assert code == SIGNING_KEY_ERROR and "ECDSA" in message
    # model_signing's key mode rejects these keys too, on both sides, though without a clear message:
    # 1.1.1 reads `.curve` of whatever key it is given and raises AttributeError.
    with pytest.raises((ValueError, AttributeError, TypeError)):
        ms_sign(keys / f"{key}.key", model, keys / "theirs.sig")
    with pytest.raises((ValueError, AttributeError, TypeError)):
        ms_verify(keys / f"{key}.pub", model, keys / "model.sig")


def test_wrong_algorithm_and_malformed_pem(run, keys, model):
    code, message = fails(run, "sign", "--oms", "--sign-key", "p256.key", "--sign-alg", "ecdsa-p384",
                          "--signature", "x.sig", str(model))
    assert code == SIGNING_KEY_ERROR
    (keys / "broken.pub").write_text("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n")
    run("sign", "--oms", "--sign-key", "p256.key", "--signature", "model.sig", str(model))
    code, message = fails(run, "verify", "--oms", "--trust", "broken.pub", "--signature", "model.sig", str(model))
    assert code == SIGNING_KEY_ERROR and "PEM" in message


def test_missing_signature_and_usage(run, keys, model):
    code, message = fails(run, "verify", "--oms", "--trust", "p256.pub", "--signature", "nope.sig", str(model))
    assert code == 20 and "no signature file" in message
    code, _ = fails(run, "verify", "--oms", "--signature", "nope.sig", str(model))
    assert code == 64


def test_symlink_in_model_is_refused(run, keys, model):
    (model / "alias.pt").symlink_to(model / "model-00001-of-00002.pt")
    code, message = fails(run, "sign", "--oms", "--sign-key", "p256.key", "--signature", "x.sig", str(model))
    assert code == 16 and "symbolic link" in message


def test_ignored_paths_are_honoured_both_ways(run, keys, model):
    """`.git` is ignored by default on both sides; paths a model_signing signer chose to ignore are ignored by us."""
    (model / ".git").mkdir()
    (model / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    run("sign", "--oms", "--sign-key", "p256.key", "--signature", "ours.sig", str(model))
    (model / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    ms_verify(keys / "p256.pub", model, keys / "ours.sig")
    run("verify", "--oms", "--trust", "p256.pub", "--signature", "ours.sig", str(model))

    hashing = model_signing.hashing.Config().set_ignored_paths(paths=["tokenizer"], ignore_git_paths=True)
    model_signing.signing.Config().use_elliptic_key_signer(private_key=keys / "p256.key").set_hashing_config(
        hashing).sign(model, keys / "theirs.sig")
    (model / "tokenizer" / "vocab.txt").write_text("edited after signing, but ignored by the signer")
    out = run("verify", "--oms", "--trust", "p256.pub", "--signature", "theirs.sig", str(model)).stdout.decode()
    assert "3 resource(s)" in out
