"""`modelseal scan` against files written by real torch, and its exit codes and reports."""
import json
from pathlib import Path

import pytest
import torch

from fixtures import architectures, every_dtype, views

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "pickles"
VECTORS = REPO / "Tests" / "Vectors" / "scan"


def scan_json(run, *paths, check=False):
    result = run("scan", "--json", *paths, check=check)
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("arch", sorted(architectures()))
@pytest.mark.parametrize("legacy", [False, True])
def test_real_torch_checkpoints_are_clean(tmp_path, run, arch, legacy):
    path = tmp_path / f"{arch}.pt"
    torch.save(architectures()[arch].state_dict(), path, _use_new_zipfile_serialization=not legacy)
    code, doc = scan_json(run, path)
    assert doc["schema"] == "modelseal.scan/1"
    assert (code, doc["verdict"]) == (0, "clean"), doc
    assert doc["files"][0]["format"] == ("pytorch-legacy" if legacy else "pytorch-zip")


@pytest.mark.parametrize("legacy", [False, True])
def test_every_dtype_and_views_are_clean(tmp_path, run, legacy):
    path = tmp_path / "dtypes.pt"
    torch.save({**every_dtype(), **views()}, path, _use_new_zipfile_serialization=not legacy)
    code, doc = scan_json(run, path)
    assert (code, doc["verdict"]) == (0, "clean"), doc


def test_directory_of_checkpoints(tmp_path, run):
    for index in range(5):
        sub = tmp_path / "models" / f"m{index}"
        sub.mkdir(parents=True)
        torch.save({"w": torch.randn(4, 4)}, sub / "weights.bin")
    code, doc = scan_json(run, tmp_path / "models")
    assert code == 0 and len(doc["files"]) == 5
    # One dangerous file among them makes the whole run dangerous (54).
    (tmp_path / "models" / "m0" / "extra.pkl").write_bytes((VECTORS / "getattr_chain.pkl").read_bytes())
    code, doc = scan_json(run, tmp_path / "models")
    assert (code, doc["verdict"]) == (54, "dangerous")


def test_torchscript_is_code_carrying(tmp_path, run):
    module = torch.jit.script(torch.nn.Linear(3, 2))
    path = tmp_path / "scripted.pt"
    torch.jit.save(module, path)
    code, doc = scan_json(run, path)
    assert doc["files"][0]["format"] == "torchscript"
    assert code != 0 and doc["verdict"] != "clean"
    assert any(f["rule"] == "torchscript-code" for f in doc["files"][0]["findings"])


@pytest.mark.parametrize("name,code", [
    ("picklescan/tests/data/malicious1_v4.pkl", 54),
    ("picklescan/tests/data/benign_password_protected.zip", 55),
    ("picklescan/tests/data2/object_array.npy", 53),
    ("picklescan/tests/data/new_pytorch_model.bin", 0),
])
def test_exit_codes(run, name, code):
    if not CORPUS.exists():
        pytest.skip("shared corpus not laid out next to the repository")
    assert run("scan", CORPUS / name, check=False).returncode == code


def test_sarif(run):
    result = run("scan", "--sarif", VECTORS / "zip_extra_pickle_member.pt", check=False)
    assert result.returncode == 54
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert any(r["level"] == "error" and r["properties"].get("global") == "os.system" for r in results)


def test_allow_global(run):
    path = VECTORS / "unknown_global.pkl"
    assert run("scan", path, check=False).returncode == 53
    assert run("scan", "--allow-global", "mypackage.config.TrainingConfig", path, check=False).returncode == 0


@pytest.mark.parametrize("name,reader", [
    ("frame_straddle_hidden_call.pkl", "pickle.Unpickler(io.BytesIO(open(sys.argv[1], 'rb').read())).load()"),
    ("frame_straddle_hidden_call_file.pkl", "pickle.load(open(sys.argv[1], 'rb'))"),
])
def test_frame_straddle_samples_are_real(run, name, reader):
    """The FRAME samples run a call CPython hides from disassemblers (python/cpython#154848).

    Unpickled here by the real interpreter in a child process, the way torch.load reads (a buffer,
    a file): it must either print what the hidden builtins.print call prints (interpreters before
    the fix) or refuse the frame (after it). The scanner must call it dangerous either way, whatever
    a linear reading shows.
    """
    import subprocess
    import sys

    path = VECTORS / name
    child = subprocess.run(
        [sys.executable, "-c", "import io, pickle, sys; " + reader, str(path)],
        capture_output=True, text=True, timeout=60)
    ran_hidden_call = child.returncode == 0 and "Hello, world!" in child.stdout
    refused = child.returncode != 0 and "frame" in child.stderr.lower()
    assert ran_hidden_call or refused, (child.returncode, child.stdout[-200:], child.stderr[-500:])
    code, report = scan_json(run, path)
    assert code == 54 and report["files"][0]["verdict"] == "dangerous"
    assert "frame-boundary" in {finding["rule"] for finding in report["files"][0]["findings"]}
