"""The sealed container with real peers: Fernet keys from `cryptography`, checkpoints from real torch."""
import io

import torch
from cryptography.fernet import Fernet


def test_fernet_generated_key_is_a_model_key(run, tmp_path):
    key = Fernet.generate_key().decode()
    (tmp_path / "weights.bin").write_bytes(bytes(range(256)) * 1000)
    run("seal", "--key-env", "MODEL_KEY", "-o", "w.mseal", "weights.bin", env={"MODEL_KEY": key})
    run("open", "--key-env", "MODEL_KEY", "-o", "out.bin", "w.mseal", env={"MODEL_KEY": key})
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "weights.bin").read_bytes()
    # The same key keeps working with the article's Fernet code: it is only text, never consumed.
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


def test_torch_state_dict_round_trips_through_a_pipe(run, tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    torch.save(model.state_dict(), tmp_path / "model.pt")
    recipient = run("keygen", "-o", "customer.key").stdout.decode().strip()
    run("seal", "-r", recipient, "-o", "model.mseal", "model.pt")
    opened = run("open", "-i", "customer.key", "-o", "-", "model.mseal").stdout
    restored = torch.load(io.BytesIO(opened), weights_only=True)
    for name, tensor in model.state_dict().items():
        assert torch.equal(restored[name], tensor), name


def test_tampered_sealed_model_releases_nothing(run, tmp_path):
    torch.save({"w": torch.randn(300, 300)}, tmp_path / "model.pt")
    key = Fernet.generate_key().decode()
    run("seal", "--key-env", "K", "--chunk-size", "64KiB", "-o", "m.mseal", "model.pt", env={"K": key})
    data = bytearray((tmp_path / "m.mseal").read_bytes())
    data[len(data) // 2] ^= 0x20
    (tmp_path / "bad.mseal").write_bytes(bytes(data))
    result = run("open", "--key-env", "K", "-o", "-", "bad.mseal", env={"K": key}, check=False)
    assert result.returncode == 11
    assert result.stdout == b""
    assert b"failed to authenticate" in result.stderr
    result = run("open", "--key-env", "K", "-o", "plain.pt", "bad.mseal", env={"K": key}, check=False)
    assert result.returncode == 11
    assert not (tmp_path / "plain.pt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mseal", "m.mseal", "model.pt"]
