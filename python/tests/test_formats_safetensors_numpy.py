"""safetensors and NumPy: the reference packages read ours and we read theirs."""
import sys
from pathlib import Path
import numpy as np
import pytest
import torch
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save_file as np_save_file
from safetensors.torch import load_file, save_file

from conftest import assert_same_tensor
from fixtures import SAFETENSORS_DTYPES, architectures, every_dtype


def test_we_read_safetensors_package_output(tmp_path, inspect_json, modelseal):
    state = {k: v for k, v in every_dtype().items() if k in SAFETENSORS_DTYPES}
    path = tmp_path / "ref.safetensors"
    save_file(state, path, metadata={"format": "pt", "origin": "test"})
    doc = inspect_json(path)
    assert doc["format"] == "safetensors"
    got = {t["name"]: t for t in doc["tensors"]}
    assert set(got) == set(state)
    for name, tensor in state.items():
        assert got[name]["dtype"] == str(tensor.dtype).removeprefix("torch.")
        assert got[name]["shape"] == list(tensor.shape)
        assert got[name]["bytes"] == tensor.numel() * tensor.element_size()
    assert {"path": "__metadata__.origin", "kind": "attribute", "summary": "test"} in doc["metadata"]
    # their file -> our torch writer -> torch
    out = tmp_path / "ref.pt"
    result = modelseal("convert", path, out, check=False)
    assert result.returncode == 52 and "origin" in result.stderr  # foreign metadata has no place in a state_dict
    modelseal("convert", path, out, "--drop-non-tensor-data")
    loaded = torch.load(out, weights_only=True)
    for name, tensor in state.items():
        assert_same_tensor(tensor, loaded[name], name)


@pytest.mark.parametrize("arch", sorted(set(architectures()) - {"tied_lm"}))
def test_safetensors_package_reads_ours(tmp_path, modelseal, arch):
    state = architectures()[arch].state_dict()
    src, out = tmp_path / "m.pt", tmp_path / "m.safetensors"
    torch.save(state, src)
    modelseal("convert", src, out)
    loaded = load_file(out)
    for name, tensor in state.items():
        assert_same_tensor(tensor.contiguous(), loaded[name], name)


def test_numpy_round_trips(tmp_path, modelseal, inspect_json):
    arrays = {"f32": np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32),
              "i64": np.arange(-5, 5, dtype=np.int64), "u8": np.arange(256, dtype=np.uint8),
              "b": np.array([True, False]), "f16": np.linspace(0, 1, 7, dtype=np.float16)}
    # numpy -> safetensors (package) -> pt (ours) -> torch -> numpy
    st = tmp_path / "np.safetensors"
    np_save_file(arrays, st)
    pt = tmp_path / "np.pt"
    modelseal("convert", st, pt)
    loaded = torch.load(pt, weights_only=True)
    for name, array in arrays.items():
        assert np.array_equal(loaded[name].numpy(), array), name
    # pt (ours) -> safetensors (ours) -> numpy (package)
    st2 = tmp_path / "np2.safetensors"
    modelseal("convert", pt, st2)
    back = np_load_file(st2)
    for name, array in arrays.items():
        assert back[name].dtype == array.dtype and np.array_equal(back[name], array), name


def test_npy_and_npz(tmp_path, inspect_json):
    arrays = {"a": np.arange(12, dtype="<f4").reshape(3, 4), "b": np.array([1 + 1j], dtype="<c16"),
              "c": np.asfortranarray(np.ones((2, 3)))}
    np.save(tmp_path / "a.npy", arrays["a"])
    doc = inspect_json(tmp_path / "a.npy")
    assert doc["format"] == "npy" and doc["tensors"][0]["shape"] == [3, 4] and doc["tensors"][0]["dtype"] == "float32"
    for saver, name in [(np.savez, "s.npz"), (np.savez_compressed, "c.npz")]:
        saver(tmp_path / name, **arrays)
        doc = inspect_json(tmp_path / name)
        assert doc["format"] == "npz"
        assert [(t["name"], t["shape"]) for t in doc["tensors"]] == [(k, list(v.shape)) for k, v in arrays.items()]


def test_object_array_is_a_pickle_and_is_not_executed(tmp_path, inspect_json):
    np.save(tmp_path / "o.npy", np.array([{"k": 1}, None], dtype=object), allow_pickle=True)
    doc = inspect_json(tmp_path / "o.npy")
    assert doc["pureTensorData"] is False
    assert any(g["name"] == "ndarray" for g in doc["globals"])


def test_large_tensors_stream_with_correct_crcs(tmp_path, modelseal):
    """Tensors larger than the 4 MiB copy chunk take the threaded CRC path; zipfile checks every CRC."""
    import zipfile
    state = {"big": torch.randn(3, 1024, 1024), "odd": torch.randn(1_234_567), "small": torch.ones(3)}
    st, pt = tmp_path / "big.safetensors", tmp_path / "big.pt"
    save_file(state, st)
    modelseal("convert", st, pt)
    with zipfile.ZipFile(pt) as archive:
        assert archive.testzip() is None
    loaded = torch.load(pt, weights_only=True, mmap=True)
    for name, tensor in state.items():
        assert_same_tensor(tensor, loaded[name], name)


def test_convert_memory_is_bounded(tmp_path):
    """Peak RSS of convert stays far below the size of the tensors it streams (here 192 MiB)."""
    import os
    import resource
    import subprocess

    binary = os.environ.get("MODELSEAL_BIN", str(Path(__file__).resolve().parents[2] / ".build" / "debug" / "modelseal"))
    state = {f"w{i}": torch.randn(4096, 1024) for i in range(12)}
    st, pt, back = tmp_path / "m.safetensors", tmp_path / "m.pt", tmp_path / "back.safetensors"
    save_file(state, st)
    del state
    script = (
        "import resource, subprocess, sys\n"
        "for args in sys.argv[2:]:\n"
        "    subprocess.run([sys.argv[1], 'convert', *args.split('|')], check=True, capture_output=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, binary, f"{st}|{pt}", f"{pt}|{back}"],
                         check=True, capture_output=True, text=True)
    peak_mib = int(out.stdout.strip()) / 1024
    assert peak_mib < 64, f"convert peaked at {peak_mib:.0f} MiB"
