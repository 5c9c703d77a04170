"""`modelseal run` hands a decrypted model to an unmodified program; nothing plaintext reaches a disk."""
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import torch

CHILD = """
import hashlib, os, resource, sys, torch
path = os.environ[sys.argv[1]]
state = torch.load(path, weights_only=True, mmap=True)
digest = hashlib.sha256()
for name, tensor in state.items():
    digest.update(name.encode()); digest.update(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
print(digest.hexdigest())
print(path)
print(sorted(name for name in os.environ if name in ("MODEL_KEY", "OTHER_KEY", "PASS_VAR")))
print(resource.getrlimit(resource.RLIMIT_CORE))
print(os.readlink(path))
"""


def digest(state) -> str:
    value = hashlib.sha256()
    for name, tensor in state.items():
        value.update(name.encode())
        value.update(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return value.hexdigest()


@pytest.fixture
def model(tmp_path, run, fernet_key):
    torch.manual_seed(3)
    state = {"a": torch.randn(300, 300), "b": torch.arange(1000), "c": torch.randn(7).half()}
    torch.save(state, tmp_path / "model.pt")
    run("seal", "--key-env", "MODEL_KEY", "-o", "model.mseal", "model.pt", "-q", env={"MODEL_KEY": fernet_key.decode()})
    (tmp_path / "model.pt").unlink()
    return state, tmp_path / "model.mseal"


def child_environment(fernet_key, **extra):
    return {"MODEL_KEY": fernet_key.decode(), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def test_run_loads_the_model_bit_exact_and_strips_keys(model, run, fernet_key):
    state, path = model
    result = run(
        "run", "--model", str(path), "--key-env", "OTHER_KEY", "--passphrase-env", "PASS_VAR", "--key-env", "MODEL_KEY",
        "--", sys.executable, "-c", CHILD, "MODELSEAL_MODEL",
        env=child_environment(fernet_key, OTHER_KEY=fernet_key.decode(), PASS_VAR="irrelevant"),
    )
    lines = result.stdout.decode().splitlines()
    assert lines[0] == digest(state)
    assert re.fullmatch(r"/proc/self/fd/\d+", lines[1])
    assert lines[2] == "[]"  # every key variable removed
    assert lines[3] == "(0, 0)"  # core dumps off, hard limit too
    assert lines[4].startswith("/memfd:modelseal:model.mseal")


def test_run_with_a_custom_variable_and_exit_status(model, run, fernet_key):
    _, path = model
    result = run("run", "--model", str(path), "--key-env", "MODEL_KEY", "--env", "WEIGHTS", "--",
                 sys.executable, "-c", "import os, sys; sys.exit(7 if os.path.exists(os.environ['WEIGHTS']) else 1)",
                 env=child_environment(fernet_key), check=False)
    assert result.returncode == 7


@pytest.mark.parametrize("damage", ["wrong-key", "tampered", "truncated"])
def test_run_refuses_bad_files_before_starting_the_program(model, run, tmp_path, fernet_key, damage):
    from cryptography.fernet import Fernet

    _, path = model
    key = Fernet.generate_key().decode() if damage == "wrong-key" else None
    data = bytearray(path.read_bytes())
    if damage == "tampered":
        data[-40] ^= 1
    if damage == "truncated":
        data = data[:-30]
    path.write_bytes(data)
    marker = tmp_path / "started"
    result = run("run", "--model", str(path), "--key-env", "MODEL_KEY", "--", "touch", str(marker),
                 env={"MODEL_KEY": key or fernet_key.decode()}, check=False)
    assert result.returncode == {"wrong-key": 10, "tampered": 11, "truncated": 11}[damage], result.stderr
    assert not marker.exists()


def strace_writes(log: pathlib.Path) -> list[str]:
    """Successful calls that could create or write a named file (anything but /dev and memfds)."""
    suspicious = []
    for line in log.read_text().splitlines():
        if re.search(r"\b(creat|rename\w*|link\w*)\(", line):
            suspicious.append(line)
        elif re.search(r"\bopen(at)?\(", line) and re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TMPFILE", line):
            if not re.search(r'"/dev/(null|tty|pts/\d+)"', line):
                suspicious.append(line)
    return suspicious


def listing(directory) -> set:
    """Files under the test's own directory and in /dev/shm (the rest of /tmp is shared with other
    processes on the machine: strace covers it)."""
    return {str(p) for p in pathlib.Path(directory).rglob("*")} | {f"/dev/shm/{n}" for n in os.listdir("/dev/shm")}


@pytest.fixture
def strace():
    path = shutil.which("strace")
    if path is None:
        pytest.fail("strace is not installed (scripts/test.sh installs it)")
    return path


def test_run_writes_no_plaintext_file(model, modelseal_bin, strace, tmp_path, fernet_key):
    state, path = model
    before = listing(tmp_path)
    log = tmp_path / "strace.log"
    result = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=open,openat,creat,rename,renameat,renameat2,link,linkat,memfd_create",
         "-e", "status=successful", "-o", str(log),
         modelseal_bin, "run", "--model", str(path), "--key-env", "MODEL_KEY", "--",
         sys.executable, "-c", CHILD, "MODELSEAL_MODEL"],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **child_environment(fernet_key)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == digest(state)
    text = log.read_text()
    assert "memfd_create(\"modelseal:model.mseal\"" in text
    assert strace_writes(log) == []
    assert listing(tmp_path) - before <= {str(log)}


def test_python_load_writes_no_plaintext_file(model, strace, tmp_path, fernet_key):
    state, path = model
    code = f"""
import sys
sys.path[:0] = {sys.path!r}
import modelseal
for method in ("mapped", "memfd", "stream"):
    state = modelseal.load({str(path)!r}, method=method)
print(len(state))
"""
    log = tmp_path / "strace.log"
    before = listing(tmp_path)
    result = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=open,openat,creat,rename,renameat,renameat2,link,linkat,memfd_create",
         "-e", "status=successful", "-o", str(log), sys.executable, "-c", code],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, **child_environment(fernet_key)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(state))
    assert strace_writes(log) == []
    assert listing(tmp_path) - before <= {str(log)}
