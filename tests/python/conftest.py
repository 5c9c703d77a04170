"""Shared fixtures: the built `modelseal` binary and helpers to run it and compare tensors bit-exactly."""
import json
import os
import subprocess
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def modelseal():
    binary = os.environ.get("MODELSEAL_BIN", str(REPO / ".build" / "debug" / "modelseal"))
    if not Path(binary).is_file():
        pytest.fail(f"modelseal binary not found at {binary}; build it or set MODELSEAL_BIN")

    def run(*args, check=True):
        result = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"modelseal {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}")
        return result

    return run


@pytest.fixture(scope="session")
def inspect_json(modelseal):
    def inspect(path, *extra):
        return json.loads(modelseal("inspect", "--json", path, *extra).stdout)

    return inspect


def raw_bytes(t: torch.Tensor) -> bytes:
    """The tensor's elements as torch stores them contiguously, for bit-exact comparison (works for every dtype)."""
    copy = t.detach().contiguous().clone()
    return torch.empty(0, dtype=torch.uint8).set_(copy.untyped_storage()).numpy().tobytes()


def assert_same_tensor(a: torch.Tensor, b: torch.Tensor, name: str = ""):
    assert a.dtype == b.dtype, name
    assert tuple(a.shape) == tuple(b.shape), name
    assert raw_bytes(a) == raw_bytes(b), name
