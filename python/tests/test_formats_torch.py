"""PyTorch checkpoints: our reader against torch's view, torch against our writer."""
import os

import pytest
import torch

from conftest import assert_same_tensor, raw_bytes
from fixtures import architectures, every_dtype, views


def check_inspection(doc, state):
    assert [t["name"] for t in doc["tensors"]] == list(state)
    for entry in doc["tensors"]:
        t = state[entry["name"]]
        assert entry["dtype"] == str(t.dtype).removeprefix("torch."), entry["name"]
        assert entry["shape"] == list(t.shape), entry["name"]
        assert entry["strides"] == list(t.stride()), entry["name"]
        assert entry["storageOffset"] == t.storage_offset(), entry["name"]
        assert entry["elements"] == t.numel()
        assert entry["bytes"] == t.numel() * t.element_size()
    assert doc["totals"]["tensors"] == len(state)


@pytest.mark.parametrize("arch", sorted(architectures()))
@pytest.mark.parametrize("legacy", [False, True])
def test_inspect_matches_torch(tmp_path, inspect_json, arch, legacy):
    state = architectures()[arch].state_dict()
    path = tmp_path / f"{arch}.pt"
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    doc = inspect_json(path)
    assert doc["schema"] == "modelseal.inspect/1"
    assert doc["format"] == ("pytorch-legacy" if legacy else "pytorch-zip")
    check_inspection(doc, state)
    assert doc["pureTensorData"] is True
    assert all(g["status"] == "allowed" for g in doc["globals"])


@pytest.mark.parametrize("legacy", [False, True])
def test_every_dtype_and_views(tmp_path, inspect_json, legacy):
    state = {**every_dtype(), **views()}
    path = tmp_path / "all.pt"
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    doc = inspect_json(path)
    check_inspection(doc, state)
    shared = doc["sharedStorages"]
    assert sorted(shared[0]) == sorted(views())


@pytest.mark.parametrize("arch", sorted(architectures()))
def test_torch_reads_our_writer_bit_exactly(tmp_path, modelseal, arch):
    """pt -> safetensors -> pt through our writer; torch.load(weights_only=True) must give the same bits."""
    state = architectures()[arch].state_dict()
    src = tmp_path / "in.pt"
    torch.save(state, src)
    mid, out = tmp_path / "mid.safetensors", tmp_path / "out.pt"
    modelseal("convert", src, mid, "--alias-shared")
    modelseal("convert", mid, out)
    loaded = torch.load(out, weights_only=True)
    assert sorted(loaded) == sorted(state)
    for name, tensor in state.items():
        assert_same_tensor(tensor, loaded[name], name)
    if arch == "tied_lm":
        assert loaded["embed.weight"].untyped_storage().data_ptr() == loaded["head.weight"].untyped_storage().data_ptr()


def test_every_dtype_round_trip_through_torch(tmp_path, modelseal):
    state = {k: v for k, v in every_dtype().items()}
    from fixtures import SAFETENSORS_DTYPES
    convertible = {k: v for k, v in state.items() if k in SAFETENSORS_DTYPES}
    src, mid, out = tmp_path / "in.pt", tmp_path / "mid.safetensors", tmp_path / "out.pt"
    torch.save(convertible, src)
    modelseal("convert", src, mid)
    modelseal("convert", mid, out)
    loaded = torch.load(out, weights_only=True)
    for name, tensor in convertible.items():
        assert_same_tensor(tensor, loaded[name], name)
    # dtypes safetensors has no name for are refused, not silently changed
    bad = tmp_path / "c128.pt"
    torch.save({"x": state["complex128"]}, bad)
    result = modelseal("convert", bad, tmp_path / "c128.safetensors", check=False)
    assert result.returncode == 52 and "no safetensors equivalent" in result.stderr


def test_non_contiguous_views_are_materialised(tmp_path, modelseal):
    v = views()
    state = {"transposed": v["grid"].clone().t(), "every_third": v["every_third"].clone()[::2]}
    assert not state["transposed"].is_contiguous()
    src, mid = tmp_path / "views.pt", tmp_path / "views.safetensors"
    torch.save(state, src)
    modelseal("convert", src, mid)
    from safetensors.torch import load_file
    loaded = load_file(mid)
    for name, tensor in state.items():
        assert torch.equal(loaded[name], tensor.contiguous()), name


def test_shared_storage_refused_by_default(tmp_path, modelseal):
    src = tmp_path / "tied.pt"
    torch.save(architectures()["tied_lm"].state_dict(), src)
    result = modelseal("convert", src, tmp_path / "tied.safetensors", check=False)
    assert result.returncode == 52
    assert "share storage" in result.stderr and "--alias-shared" in result.stderr
    assert not (tmp_path / "tied.safetensors").exists()
    modelseal("convert", src, tmp_path / "tied.safetensors", "--alias-shared")
    from safetensors import safe_open
    with safe_open(tmp_path / "tied.safetensors", "pt") as f:
        assert "modelseal.aliases" in f.metadata()
        assert len(list(f.keys())) == 1


def test_non_tensor_content_refused_unless_dropped(tmp_path, modelseal):
    src = tmp_path / "ckpt.pt"
    torch.save({"model": {"w": torch.ones(2)}, "epoch": 3, "opt": "adam"}, src)
    out = tmp_path / "ckpt.safetensors"
    result = modelseal("convert", src, out, check=False)
    assert result.returncode == 52 and "--drop-non-tensor-data" in result.stderr
    modelseal("convert", src, out, "--drop-non-tensor-data")
    from safetensors.torch import load_file
    assert list(load_file(out)) == ["model.w"]


class Payload:
    """A pickle that would run a command if unpickled by plain pickle (dumping it runs nothing)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_checkpoint_is_inspected_without_execution(tmp_path, modelseal, inspect_json):
    marker = tmp_path / "pwned"
    src = tmp_path / "evil.pt"
    torch.save({"w": torch.ones(2), "x": Payload(marker)}, src)
    doc = inspect_json(src)
    assert not marker.exists()
    statuses = {f"{g['module']}.{g['name']}": g["status"] for g in doc["globals"]}
    assert statuses.get("posix.system") == "blocked"
    assert doc["pureTensorData"] is False
    assert any(m["kind"] == "object" and m["path"] == "x" for m in doc["metadata"])
    result = modelseal("convert", src, tmp_path / "evil.safetensors", check=False)
    assert result.returncode == 52  # conversion refused (docs/CLI.md)
    assert not marker.exists()


def test_exit_codes(tmp_path, modelseal):
    # The one exit-code table (docs/CLI.md): 16 input error, 50 malformed model file, 64 usage.
    assert modelseal("inspect", tmp_path / "missing.pt", check=False).returncode == 16
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model at all" * 10)
    result = modelseal("inspect", junk, check=False)
    assert result.returncode == 50 and "not a recognised model file" in result.stderr
    truncated = tmp_path / "trunc.pt"
    torch.save({"w": torch.ones(100)}, truncated)
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    assert modelseal("inspect", truncated, check=False).returncode == 50
    assert modelseal("convert", truncated, tmp_path / "x.unknown", check=False).returncode == 64
    assert modelseal("inspect", check=False).returncode == 64


def test_inspect_table(tmp_path, modelseal):
    src = tmp_path / "mlp.pt"
    torch.save(architectures()["mlp"].state_dict(), src)
    text = modelseal("inspect", src).stdout
    assert "format: pytorch-zip" in text
    assert "0.weight" in text and "float32" in text and "[16, 8]" in text
    assert "total:" in text and "globals:" in text


@pytest.mark.parametrize("legacy", [False, True])
def test_pt_rewrite_keeps_every_dtype_views_and_sharing(tmp_path, modelseal, legacy):
    """pt -> pt through our writer covers the dtypes safetensors lacks (complex32/128, float8_e8m0fnu)."""
    state = {**every_dtype(), **views()}
    src, out = tmp_path / "in.pt", tmp_path / "out.pt"
    torch.save(state, src, _use_new_zipfile_serialization=not legacy)
    modelseal("convert", src, out)
    loaded = torch.load(out, weights_only=True)
    assert list(loaded) == list(state)
    for name, tensor in state.items():
        assert_same_tensor(tensor, loaded[name], name)
        assert loaded[name].stride() == tensor.stride() and loaded[name].storage_offset() == tensor.storage_offset()
    ptrs = {loaded[n].untyped_storage().data_ptr() for n in views()}
    assert len(ptrs) == 1


@pytest.mark.parametrize("legacy", [False, True])
def test_quantized_tensors_are_listed_with_their_scheme(tmp_path, modelseal, inspect_json, legacy):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = torch.quantize_per_tensor(torch.randn(4), 0.5, 3, torch.qint8)
        qc = torch.quantize_per_channel(torch.randn(2, 3), torch.tensor([0.1, 0.2]), torch.tensor([1, 2]), 0, torch.quint8)
    src = tmp_path / "q.pt"
    torch.save({"q": q, "qc": qc}, src, _use_new_zipfile_serialization=not legacy)
    doc = inspect_json(src)
    by_name = {t["name"]: t for t in doc["tensors"]}
    assert by_name["q"]["dtype"] == "qint8" and by_name["q"]["shape"] == [4]
    assert by_name["q"]["quantization"] == "per_tensor_affine scale=0.5 zero_point=3"
    assert by_name["qc"]["dtype"] == "quint8"
    assert by_name["qc"]["quantization"].startswith("per_channel_affine scales=float64[2] zero_points=int64[2]")
    result = modelseal("convert", src, tmp_path / "q.safetensors", check=False)
    assert result.returncode == 52
    assert modelseal("convert", src, tmp_path / "q2.pt", check=False).returncode == 51
