"""modelseal.save / load / load_model with real PyTorch: bit-exact round trips, the error table,
the development switch, signatures and licenses, and timings in the log."""
import logging
import os
import pathlib
import subprocess

import pytest
import torch


def resnet50_state():
    torchvision = pytest.importorskip("torchvision")  # installed by scripts/test.sh: never skipped there
    torch.manual_seed(50)
    return torchvision.models.resnet50(weights=None).state_dict()


class SmallTransformer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(1000, 64)
        layer = torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(64, 10)
        self.register_buffer("scale", torch.tensor([0.5], dtype=torch.float64))

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)).mean(dim=1))


def transformer_state():
    torch.manual_seed(7)
    state = SmallTransformer().state_dict()
    state["extra.half"] = torch.randn(33, 17).half()
    state["extra.int"] = torch.arange(-5, 300, dtype=torch.int16)
    state["extra.bool"] = torch.rand(10) > 0.5
    return state


def raw_bytes(tensor) -> bytes:
    return tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def assert_identical(loaded, original):
    assert list(loaded) == list(original)
    for name, tensor in original.items():
        other = loaded[name]
        assert other.dtype == tensor.dtype and other.shape == tensor.shape, name
        assert other.device.type == "cpu"
        # bit-exact: compare the raw bytes, not values (NaN-safe, -0.0-safe)
        assert raw_bytes(other) == raw_bytes(tensor), name


@pytest.fixture(scope="module")
def resnet(tmp_path_factory, modelseal_pkg, fernet_key):
    state = resnet50_state()
    path = tmp_path_factory.mktemp("resnet") / "resnet50.mseal"
    modelseal_pkg.save(state, path, key=fernet_key)
    return state, path


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_resnet50_round_trip_is_bit_exact(resnet, modelseal_pkg, fernet_key, method):
    state, path = resnet
    assert_identical(modelseal_pkg.load(path, key=fernet_key, method=method), state)


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_transformer_round_trip_is_bit_exact(tmp_path, modelseal_pkg, fernet_key, method):
    state = transformer_state()
    modelseal_pkg.save(state, tmp_path / "t.mseal", key=fernet_key, chunk_log2=16)
    assert_identical(modelseal_pkg.load(tmp_path / "t.mseal", key=fernet_key, method=method), state)


def test_load_model_returns_a_ready_module(tmp_path, modelseal_pkg, fernet_key):
    state = transformer_state()
    del state["extra.half"], state["extra.int"], state["extra.bool"]
    modelseal_pkg.save(state, tmp_path / "t.mseal", key=fernet_key)
    model = modelseal_pkg.load_model(SmallTransformer, tmp_path / "t.mseal", key=fernet_key)
    assert isinstance(model, SmallTransformer) and not model.training
    reference = SmallTransformer()
    reference.load_state_dict(state)
    reference.eval()
    tokens = torch.randint(0, 1000, (3, 12))
    with torch.no_grad():
        assert torch.equal(model(tokens), reference(tokens))


def test_keys_from_model_key_variable_like_the_article(tmp_path, modelseal_pkg, fernet_key, monkeypatch):
    monkeypatch.setenv("MODEL_KEY", fernet_key.decode())
    state = {"w": torch.randn(5, 5)}
    modelseal_pkg.save(state, tmp_path / "m.mseal")
    assert_identical(modelseal_pkg.load(tmp_path / "m.mseal"), state)
    monkeypatch.delenv("MODEL_KEY")
    with pytest.raises(modelseal_pkg.InvalidKeyError, match="MODEL_KEY"):
        modelseal_pkg.load(tmp_path / "m.mseal")


@pytest.fixture
def customer_keys(tmp_path):
    """An identity file and its recipient, from `modelseal keygen` (made beforehand where the CLI
    cannot run: scripts/test-wheel.sh hides the toolchain)."""
    import subprocess

    made = os.environ.get("MODELSEAL_TEST_KEYS")
    if made:
        return pathlib.Path(made) / "customer.key", (pathlib.Path(made) / "customer.pub").read_text().strip()
    from conftest import REPO

    binary = os.environ.get("MODELSEAL_BIN", str(REPO / ".build" / "debug" / "modelseal"))
    identity = tmp_path / "customer.key"
    recipient = subprocess.run(
        [binary, "keygen", "-o", str(identity)], capture_output=True, text=True, check=True,
        env=dict(os.environ, SWIFT_BACKTRACE="enable=no"),
    ).stdout.strip()
    return identity, recipient


def test_identity_recipient_and_passphrase(tmp_path, modelseal_pkg, customer_keys):
    identity, recipient = customer_keys
    state = {"w": torch.randn(4, 3)}
    modelseal_pkg.save(state, tmp_path / "r.mseal", recipients=[recipient], passphrase="pw", scrypt_log2n=10)
    assert_identical(modelseal_pkg.load(tmp_path / "r.mseal", identity=str(identity)), state)
    assert_identical(modelseal_pkg.load(tmp_path / "r.mseal", passphrase="pw"), state)
    with pytest.raises(modelseal_pkg.WrongKeyError):
        modelseal_pkg.load(tmp_path / "r.mseal", passphrase="not it")


def test_sealed_bytes_in_memory(tmp_path, modelseal_pkg, fernet_key):
    state = {"w": torch.randn(8)}
    modelseal_pkg.save(state, tmp_path / "m.mseal", key=fernet_key)
    assert_identical(modelseal_pkg.load((tmp_path / "m.mseal").read_bytes(), key=fernet_key), state)


@pytest.fixture
def sealed(tmp_path, modelseal_pkg, fernet_key):
    state = transformer_state()
    path = tmp_path / "m.mseal"
    modelseal_pkg.save(state, path, key=fernet_key, chunk_log2=16)
    return path


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_wrong_key_raises_and_returns_nothing(sealed, modelseal_pkg, method):
    from cryptography.fernet import Fernet

    result = None
    with pytest.raises(modelseal_pkg.WrongKeyError) as info:
        result = modelseal_pkg.load(sealed, key=Fernet.generate_key(), method=method)
    assert result is None and info.value.status == 10


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
@pytest.mark.parametrize("where", ["header", "first-chunk", "last-chunk"])
def test_tampered_byte_raises_and_returns_nothing(sealed, modelseal_pkg, fernet_key, method, where):
    data = bytearray(sealed.read_bytes())
    offset = {"header": 20, "first-chunk": 2000, "last-chunk": len(data) - 5}[where]
    data[offset] ^= 0x01
    sealed.write_bytes(data)
    result = None
    with pytest.raises(modelseal_pkg.TamperedFileError) as info:
        result = modelseal_pkg.load(sealed, key=fernet_key, method=method)
    assert result is None and info.value.status == 11


@pytest.mark.parametrize("cut", ["inside-header", "inside-chunk", "chunk-boundary"])
def test_truncated_file_raises_and_returns_nothing(sealed, modelseal_pkg, fernet_key, cut):
    data = sealed.read_bytes()
    header = len(data) - 3 * (65536 + 16)  # the transformer state spans a few 64 KiB chunks
    length = {"inside-header": 40, "inside-chunk": len(data) - 100, "chunk-boundary": header}[cut]
    sealed.write_bytes(data[:length])
    result = None
    with pytest.raises((modelseal_pkg.TamperedFileError, modelseal_pkg.FormatError)) as info:
        result = modelseal_pkg.load(sealed, key=fernet_key)
    assert result is None
    if cut == "inside-header":
        assert isinstance(info.value, modelseal_pkg.TruncatedFileError)
    else:
        assert isinstance(info.value, modelseal_pkg.TamperedFileError)


def test_not_a_sealed_file_is_a_format_error(tmp_path, modelseal_pkg, fernet_key):
    torch.save({"w": torch.ones(2)}, tmp_path / "plain.pt")
    with pytest.raises(modelseal_pkg.FormatError):
        modelseal_pkg.load(tmp_path / "plain.pt", key=fernet_key)


def test_missing_file_is_an_input_error(tmp_path, modelseal_pkg, fernet_key):
    with pytest.raises(modelseal_pkg.InputError) as info:
        modelseal_pkg.load(tmp_path / "nope.mseal", key=fernet_key)
    assert isinstance(info.value, OSError)


def test_bad_key_text_is_an_invalid_key_error(sealed, modelseal_pkg):
    with pytest.raises(modelseal_pkg.InvalidKeyError):
        modelseal_pkg.load(sealed, key="not a key")
    with pytest.raises(modelseal_pkg.InvalidKeyError, match="not 32 raw bytes"):
        modelseal_pkg.load(sealed, key=os.urandom(32))


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_development_switch_loads_plain_files_loudly_with_weights_only(tmp_path, modelseal_pkg, monkeypatch, caplog, how):
    state = {"w": torch.randn(3)}
    torch.save(state, tmp_path / "plain.pt")
    if how == "environment":
        monkeypatch.setenv("MODELSEAL_PLAIN", "1")
    with caplog.at_level(logging.WARNING, logger="modelseal"):
        loaded = modelseal_pkg.load(tmp_path / "plain.pt", force_plain=how == "argument")
    assert_identical(loaded, state)
    assert "UNSEALED" in caplog.text
    # still weights_only: a pickled arbitrary object is refused
    torch.save({"f": SmallTransformer()}, tmp_path / "module.pt")
    with pytest.raises(Exception, match="(?i)weights_only|unsupported global"):
        modelseal_pkg.load(tmp_path / "module.pt", force_plain=how == "argument")


def test_development_switch_is_ignored_with_a_trust_key_or_license(tmp_path, modelseal_pkg, monkeypatch, caplog):
    torch.save({"w": torch.randn(3)}, tmp_path / "plain.pt")
    monkeypatch.setenv("MODELSEAL_PLAIN", "1")
    for options in ({"trust": str(tmp_path / "vendor.pub")}, {"license": str(tmp_path / "customer.lic")}):
        with caplog.at_level(logging.WARNING, logger="modelseal"):
            # The plaintext switch is ignored, so the unsealed file is refused instead of loaded.
            with pytest.raises(modelseal_pkg.Error):
                modelseal_pkg.load(tmp_path / "plain.pt", force_plain=True, **options)
        assert "IGNORED" in caplog.text


@pytest.fixture
def signing_keys(tmp_path, modelseal_bin):
    """A vendor signing key pair and a stranger's public key, made by the CLI."""
    for name in ("vendor", "stranger"):
        subprocess.run([modelseal_bin, "keygen", "--sign", "-o", str(tmp_path / f"{name}.key")], check=True,
                       capture_output=True)
    return tmp_path / "vendor.key", tmp_path / "vendor.key.pub", tmp_path / "stranger.key.pub"


@pytest.mark.needs_cli
@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_signed_save_and_trusted_load(tmp_path, modelseal_pkg, fernet_key, signing_keys, method):
    vendor_key, vendor_pub, stranger_pub = signing_keys
    state = transformer_state()
    modelseal_pkg.save(state, tmp_path / "s.mseal", key=fernet_key, sign_key=vendor_key)
    assert_identical(modelseal_pkg.load(tmp_path / "s.mseal", key=fernet_key, trust=vendor_pub, method=method), state)
    # trust given as PEM text works too
    assert_identical(modelseal_pkg.load(tmp_path / "s.mseal", key=fernet_key, trust=vendor_pub.read_text()), state)
    with pytest.raises(modelseal_pkg.SignatureError, match="untrusted signer"):
        modelseal_pkg.load(tmp_path / "s.mseal", key=fernet_key, trust=stranger_pub, method=method)


@pytest.mark.needs_cli
def test_stripped_or_altered_signature_releases_nothing(tmp_path, modelseal_pkg, fernet_key, signing_keys):
    vendor_key, vendor_pub, _ = signing_keys
    modelseal_pkg.save({"w": torch.randn(64, 64)}, tmp_path / "s.mseal", key=fernet_key, sign_key=vendor_key)
    data = (tmp_path / "s.mseal").read_bytes()
    body = int.from_bytes(data[-12:-8], "big")
    stripped = data[: len(data) - body - 12]
    # The header demands the vendor's signature: stripping it fails even without trust=.
    with pytest.raises(modelseal_pkg.SignatureError, match="requires a signature"):
        modelseal_pkg.load(stripped, key=fernet_key)
    unsigned = tmp_path / "u.mseal"
    modelseal_pkg.save({"w": torch.randn(4)}, unsigned, key=fernet_key)
    with pytest.raises(modelseal_pkg.SignatureError, match="no signature"):
        modelseal_pkg.load(unsigned, key=fernet_key, trust=vendor_pub)


@pytest.mark.needs_cli
def test_license_load_in_python(tmp_path, modelseal_pkg, modelseal_bin, monkeypatch):
    """The offline license flow of docs/LICENSING.md, ending in modelseal.load(license=...)."""
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    state = {"w": torch.randn(8, 8)}
    torch.save(state, tmp_path / "model.pt")

    def cli(*args, env=None):
        subprocess.run([modelseal_bin, *map(str, args)], cwd=tmp_path, check=True, capture_output=True,
                       env=dict(os.environ, **(env or {})))

    key = subprocess.run([modelseal_bin, "keygen", "--symmetric"], capture_output=True, check=True).stdout.decode().strip()
    cli("keygen", "--sign", "-o", "vendor.key")
    # A licensed open requires the license's signer (issue 13.2): the vendor signs what it seals.
    cli("seal", "--key-env", "MODEL_KEY", "--sign-key", "vendor.key", "-o", "m.mseal", "model.pt",
        env={"MODEL_KEY": key})
    cli("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json")
    cli("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key", "--model",
        "m.mseal", "--key-env", "MODEL_KEY", "--expires", "2099-12-31", "--max-loads", "2", "-o", "acme.lic",
        env={"MODEL_KEY": key})
    monkeypatch.delenv("MODEL_KEY", raising=False)
    assert_identical(modelseal_pkg.load(tmp_path / "m.mseal", license=tmp_path / "acme.lic"), state)
    assert_identical(modelseal_pkg.load(tmp_path / "m.mseal", license=tmp_path / "acme.lic", method="stream"), state)
    with pytest.raises(modelseal_pkg.LicenseError, match="(?i)load limit"):
        modelseal_pkg.load(tmp_path / "m.mseal", license=tmp_path / "acme.lic")


@pytest.mark.needs_cli
@pytest.mark.parametrize("policy,numpy_version,expect_error", [
    ("exact", None, False), ("exact", "1.0.0", True), ("warn", "1.0.0", False)])
def test_load_checks_the_environment_contract(tmp_path, modelseal_pkg, modelseal_bin, fernet_key, caplog, policy,
                                              numpy_version, expect_error):
    """load() checks the sealed contract against the interpreter running it (docs/ENVIRONMENT.md)."""
    import json
    import sys

    subprocess.run([modelseal_bin, "env", "capture", "--python", sys.executable, "-o", str(tmp_path / "lock.json")],
                   check=True, capture_output=True)
    if numpy_version:
        lock = json.loads((tmp_path / "lock.json").read_text())
        for distribution in lock["distributions"]:
            if distribution["name"] == "numpy":
                distribution["version"] = numpy_version
        (tmp_path / "lock.json").write_text(json.dumps(lock))
    state = {"w": torch.randn(5)}
    torch.save(state, tmp_path / "model.pt")
    subprocess.run([modelseal_bin, "seal", "--key-env", "K", "--env", str(tmp_path / "lock.json"), "--env-policy",
                    policy, "-o", str(tmp_path / "m.mseal"), str(tmp_path / "model.pt")],
                   check=True, capture_output=True, env=dict(os.environ, K=fernet_key.decode()))
    if expect_error:
        with pytest.raises(modelseal_pkg.EnvironmentMismatchError, match="numpy"):
            modelseal_pkg.load(tmp_path / "m.mseal", key=fernet_key)
    else:
        with caplog.at_level(logging.WARNING, logger="modelseal"):
            assert_identical(modelseal_pkg.load(tmp_path / "m.mseal", key=fernet_key), state)
        assert ("numpy" in caplog.text) == (policy == "warn")


def test_saving_a_whole_module_warns(tmp_path, modelseal_pkg, fernet_key):
    with pytest.warns(UserWarning, match="state_dict"):
        modelseal_pkg.save(SmallTransformer(), tmp_path / "m.mseal", key=fernet_key)


def test_save_never_overwrites_unless_asked(tmp_path, modelseal_pkg, fernet_key):
    modelseal_pkg.save({"w": torch.ones(1)}, tmp_path / "m.mseal", key=fernet_key)
    with pytest.raises(modelseal_pkg.OutputError):
        modelseal_pkg.save({"w": torch.ones(1)}, tmp_path / "m.mseal", key=fernet_key)
    modelseal_pkg.save({"w": torch.zeros(1)}, tmp_path / "m.mseal", key=fernet_key, overwrite=True)
    assert modelseal_pkg.load(tmp_path / "m.mseal", key=fernet_key)["w"].item() == 0


def test_stage_timings_are_logged(sealed, modelseal_pkg, fernet_key, caplog):
    with caplog.at_level(logging.INFO, logger="modelseal"):
        modelseal_pkg.load(sealed, key=fernet_key)
    message = caplog.records[-1].getMessage()
    for stage in ("read", "verify", "decrypt", "deserialize"):
        assert f"{stage} " in message and " ms" in message


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_map_location_is_passed_to_torch(sealed, modelseal_pkg, fernet_key, method):
    loaded = modelseal_pkg.load(sealed, key=fernet_key, map_location=torch.device("meta"), method=method)
    assert all(tensor.device.type == "meta" for tensor in loaded.values())


def test_default_method_is_the_zero_copy_one(sealed, modelseal_pkg, fernet_key, caplog):
    with caplog.at_level(logging.INFO, logger="modelseal"):
        loaded = modelseal_pkg.load(sealed, key=fernet_key)
    assert "via mapped" in caplog.records[-1].getMessage()
    # The storages are views of one decrypted buffer, not copies: their addresses differ exactly as
    # their records' offsets in the plaintext checkpoint do.
    import io
    import zipfile

    from modelseal import _ffi, _keys

    with _ffi.SealedFile(sealed) as file, _keys.opening_keyring(key=fernet_key) as ring:
        file.unlock(ring)
        plaintext = file.decrypt()
    archive = zipfile.ZipFile(io.BytesIO(plaintext))
    offsets = {}
    for info in archive.infolist():
        if "/data/" in info.filename:
            extra = int.from_bytes(plaintext[info.header_offset + 28 : info.header_offset + 30], "little")
            offsets[info.filename.rsplit("/", 1)[1]] = info.header_offset + 30 + len(info.filename.encode()) + extra
    addresses = {t.untyped_storage().data_ptr() for t in loaded.values() if t.numel()}
    assert len(addresses) == len([o for o in offsets.values()]) > 1
    assert sorted(a - min(addresses) for a in addresses) == sorted(o - min(offsets.values()) for o in offsets.values())


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_disallowed_globals_are_refused_whatever_the_method(tmp_path, modelseal_pkg, fernet_key, method):
    import pickle

    modelseal_pkg.save({"module": SmallTransformer()}, tmp_path / "m.mseal", key=fernet_key)
    with pytest.raises(pickle.UnpicklingError, match="(?i)weights_only|unsupported global"):
        modelseal_pkg.load(tmp_path / "m.mseal", key=fernet_key, method=method)


def test_unknown_method_is_a_usage_error(sealed, modelseal_pkg, fernet_key):
    with pytest.raises(modelseal_pkg.UsageError):
        modelseal_pkg.load(sealed, key=fernet_key, method="telepathy")


@pytest.mark.parametrize("method", ["mapped", "memfd", "stream"])
def test_load_reads_the_articles_fernet_file(tmp_path, modelseal_pkg, fernet_key, method):
    """A drop-in for the article's `load_encrypted_model`: its own `.enc` file, its own key."""
    import io

    from cryptography.fernet import Fernet

    state = transformer_state()
    buffer = io.BytesIO()
    torch.save(state, buffer)  # the article's save_encrypted_model, step by step
    (tmp_path / "model.enc").write_bytes(Fernet(fernet_key).encrypt(buffer.getvalue()))
    assert_identical(modelseal_pkg.load(tmp_path / "model.enc", key=fernet_key, method=method), state)


def test_fernet_file_refusals(tmp_path, modelseal_pkg, fernet_key, customer_keys):
    """The same rules as `modelseal open`: a wrong key or a changed byte (one MAC: alike, status 11)
    and an identity (not a Fernet key) are refused, and nothing is returned."""
    from cryptography.fernet import Fernet

    token = Fernet(fernet_key).encrypt(b"x" * 100_000)
    (tmp_path / "model.enc").write_bytes(token)
    with pytest.raises(modelseal_pkg.TamperedFileError):
        modelseal_pkg.load(tmp_path / "model.enc", key=Fernet.generate_key())
    tampered = bytearray(token)
    middle = len(tampered) // 2
    tampered[middle] = ord("A") if tampered[middle] != ord("A") else ord("B")
    (tmp_path / "tampered.enc").write_bytes(bytes(tampered))
    with pytest.raises(modelseal_pkg.TamperedFileError):
        modelseal_pkg.load(tmp_path / "tampered.enc", key=fernet_key)
    identity, _ = customer_keys
    with pytest.raises(modelseal_pkg.InvalidKeyError, match="Fernet key"):
        modelseal_pkg.load(tmp_path / "model.enc", identity=identity)


@pytest.mark.needs_cli
def test_fernet_file_is_refused_under_trust_keys(tmp_path, modelseal_pkg, fernet_key, signing_keys):
    """Trust keys demand a signature a Fernet file cannot carry: refused, never opened unchecked."""
    from cryptography.fernet import Fernet

    _, vendor_pub, _ = signing_keys
    (tmp_path / "model.enc").write_bytes(Fernet(fernet_key).encrypt(b"weights"))
    with pytest.raises(modelseal_pkg.UsageError, match="no ModelSeal signature"):
        modelseal_pkg.load(tmp_path / "model.enc", key=fernet_key, trust=vendor_pub)
