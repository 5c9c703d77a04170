"""The article's workflow (examples/workflow/run.sh) as a test: real venvs, real torch, the built modelseal."""
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_vendor_to_customer_workflow(modelseal_bin, tmp_path):
    environment = dict(
        os.environ, MODELSEAL=modelseal_bin, PYTHON=sys.executable, WORK=str(tmp_path / "work"), SWIFT_BACKTRACE="enable=no"
    )
    result = subprocess.run(
        ["bash", str(REPO / "examples" / "workflow" / "run.sh")], env=environment, capture_output=True, text=True, timeout=600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    work = tmp_path / "work"
    # The vendor's export was scanned and found clean before anything was sealed.
    assert "1 file(s): 1 clean" in output
    # The customer's venv has the modelseal wheel installed (issue 15: the default `pinned` contract tolerates it),
    # and serve.py loaded through modelseal.load, which checked the contract in-process.
    assert list((work / "customer" / "venv").glob("lib/python*/site-packages/modelseal-*.dist-info"))
    assert "modelseal.load" in output and "policy pinned" in output
    # The customer served predictions from the decrypted weights, and class 1 for the shifted input.
    assert '"id": 2, "class": 1' in (work / "customer" / "predictions.jsonl").read_text()
    # The mismatched environment was refused with a readable diff naming NumPy.
    mismatch = (work / "customer" / "mismatch.txt").read_text()
    assert "does not satisfy the model's contract" in mismatch and "~ numpy" in mismatch
    # The tampered bundle was refused by verify and unpack, naming the member, and nothing was unpacked.
    tampered = (work / "customer" / "tampered.txt").read_text()
    assert tampered.count("bundle altered: member 'models/model.mseal'") == 2
    assert not (work / "customer" / "tampered-out").exists()
    assert not any(p.name.startswith(".tampered-out") for p in (work / "customer").iterdir())
    # No plaintext model ever reached the customer's disk.
    assert not list((work / "customer").rglob("*.pt"))
