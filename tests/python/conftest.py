"""Shared fixtures: the built `modelseal` binary and a runner for it."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def modelseal_bin() -> str:
    path = os.environ.get("MODELSEAL_BIN", str(REPO / ".build" / "debug" / "modelseal"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"modelseal binary not found at {path}: run `swift build` or set MODELSEAL_BIN")
    return path


@pytest.fixture
def run(modelseal_bin, tmp_path):
    """Runs modelseal in tmp_path; returns the CompletedProcess (bytes stdout, text stderr)."""

    def runner(*args, env=None, stdin=None, check=True):
        environment = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        environment.update(env or {})
        result = subprocess.run(
            [modelseal_bin, *args], cwd=tmp_path, env=environment, input=stdin, capture_output=True, timeout=300
        )
        if check and result.returncode != 0:
            raise AssertionError(f"modelseal {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}")
        return result

    return runner
