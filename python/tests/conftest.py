"""Shared fixtures: the built `modelseal` binary, runners for it, and bit-exact tensor comparison."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]

# A trust store of the user running the tests ($MODELSEAL_TRUST, ~/.config/modelseal/trust/) would change
# what every open and verify here requires: the suite runs without one (tests of the store make their own).
os.environ.pop("MODELSEAL_TRUST", None)
if (Path.home() / ".config" / "modelseal" / "trust").exists():
    os.environ["HOME"] = tempfile.mkdtemp(prefix="modelseal-tests-home-")


@pytest.fixture(scope="session")
def modelseal_bin() -> str:
    path = os.environ.get("MODELSEAL_BIN", str(REPO / ".build" / "debug" / "modelseal"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"modelseal binary not found at {path}: run `swift build` or set MODELSEAL_BIN")
    return path


@pytest.fixture(scope="session")
def modelseal_release_bin() -> str:
    """The optimized `modelseal` command that ships in the wheel (scripts/build-python.sh builds it into
    python/build/; scripts/test.sh runs that before the Python tests), for tests that time what a customer runs.
    In the installed-wheel pass MODELSEAL_BIN is already that command."""
    if os.environ.get("MODELSEAL_INSTALLED") == "1":
        path = os.environ["MODELSEAL_BIN"]
    else:
        path = os.environ.get("MODELSEAL_RELEASE_BIN", str(REPO / "python" / "build" / "modelseal"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"release modelseal not found at {path}: run `bash scripts/build-python.sh` or set "
                    "MODELSEAL_RELEASE_BIN")
    return path


@pytest.fixture
def run(modelseal_bin, tmp_path):
    """Runs modelseal in tmp_path; returns the CompletedProcess (bytes stdout and stderr)."""

    def runner(*args, env=None, stdin=None, check=True):
        environment = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        environment.update(env or {})
        result = subprocess.run(
            [modelseal_bin, *map(str, args)], cwd=tmp_path, env=environment, input=stdin, capture_output=True,
            timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"modelseal {' '.join(map(str, args))} exited {result.returncode}: {result.stderr.decode()}")
        return result

    return runner


@pytest.fixture(scope="session")
def modelseal(modelseal_bin):
    """Runs modelseal with text output (paths given explicitly)."""

    def run(*args, check=True):
        result = subprocess.run([modelseal_bin, *map(str, args)], capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
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


# ---- the Python package (modelseal) and its C library ----------------------------------------
#
# By default the tests import the package from python/ with the library built by
# scripts/build-python.sh. With MODELSEAL_INSTALLED=1 (scripts/test.sh's installed-wheel pass) they
# import whatever `modelseal` the interpreter has installed, and nothing from the repository.
if os.environ.get("MODELSEAL_INSTALLED") != "1":
    import sys

    sys.path.insert(0, str(REPO / "python"))


@pytest.fixture(scope="session")
def modelseal_pkg():
    import modelseal

    if os.environ.get("MODELSEAL_INSTALLED") == "1":
        assert not Path(modelseal.__file__).is_relative_to(REPO / "python"), modelseal.__file__
    from modelseal import _ffi

    if not _ffi.library_path().exists():
        pytest.fail(f"{_ffi.library_path()} not found: run `bash scripts/build-python.sh`")
    return modelseal


@pytest.fixture(scope="session")
def fernet_key() -> bytes:
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


# Wall time per test file (setup + call + teardown), printed at the end of the run, so that what each
# suite adds to the test command can be read from any run's log (the issues state a budget per suite).
_FILE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not _FILE_SECONDS:
        return
    terminalreporter.section("seconds per test file")
    for path, seconds in sorted(_FILE_SECONDS.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:8.1f}  {path}")
