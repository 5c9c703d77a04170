"""The customer's machine: the installed wheel alone (its statically linked `modelseal` command and its
library), no Swift toolchain. Run by scripts/test-wheel.sh (MODELSEAL_INSTALLED=1, /opt/swift hidden); skipped
in the repository pass, where the wheel is not installed."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("MODELSEAL_INSTALLED") != "1",
                                reason="needs the installed wheel (scripts/test-wheel.sh)")

#: What a binary for any Linux may need: the C library, libm, the C++ runtime, the loader.
ALLOWED = ("linux-vdso.so", "libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "ld-linux")


def installed_command() -> pathlib.Path:
    return pathlib.Path(sys.executable).parent / "modelseal"


def shared_libraries(path) -> list[str]:
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def test_the_wheel_installs_the_command_executable_on_path():
    command = installed_command()
    assert command.exists() and os.access(command, os.X_OK), command
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip()
    assert not pathlib.Path("/opt/swift/usr/bin/swift").exists()  # the toolchain is hidden


def test_command_and_library_need_only_libc_libm_libstdcxx_libgcc_and_the_loader():
    import modelseal._ffi as ffi

    for path in (installed_command(), ffi.library_path()):
        libraries = shared_libraries(path)
        unexpected = [name for name in libraries if not any(name.startswith(a) or a in name for a in ALLOWED)]
        assert not unexpected, f"{path} needs {unexpected}"
        assert any(name.startswith("libc.so") for name in libraries)


def test_auditwheel_finds_the_wheel_consistent_with_its_manylinux_tag():
    wheel = pathlib.Path(os.environ["MODELSEAL_WHEEL"])
    auditwheel = shutil.which("auditwheel") or str(pathlib.Path(os.environ["MODELSEAL_TOOLS"]) / "auditwheel")
    shown = subprocess.run([auditwheel, "show", str(wheel)], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    text = " ".join(shown.stdout.split())
    tag = wheel.name.split("-")[-1].removesuffix(".whl")
    assert f'is consistent with the following platform tag: "{tag}"' in text, text
    # Only the system's own libraries (libc, libm, libstdc++, libgcc_s), none the wheel would have to bundle.
    assert "shared libraries are required by the wheel" not in text, text
    for name in ("libswift", "libFoundation", "libdispatch", "libcurl", "libxml2", "libicu"):
        assert name not in text, text
    with zipfile.ZipFile(wheel) as archive:
        assert "modelseal-0.1.0.data/scripts/modelseal" in archive.namelist()


def test_the_customers_whole_path_with_the_installed_wheel(tmp_path):
    """WORKFLOW.md's customer side (license request, verify, unpack, env check, load), every command from the
    wheel; the vendor's side uses the same command (it is the whole CLI)."""
    import torch

    import modelseal

    ms = str(installed_command())
    env = dict(os.environ, MODELSEAL_LICENSE_DIR=str(tmp_path / "licensing"), SWIFT_BACKTRACE="enable=no")

    def run(*args, check=True):
        result = subprocess.run([ms, *map(str, args)], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert not check or result.returncode == 0, f"modelseal {' '.join(map(str, args))}: {result.stderr}"
        return result

    # Vendor: keys, the environment the model was tested in (this venv), a signed seal with its contract, a bundle.
    run("keygen", "--sign", "-o", "vendor.key")
    recipient = [w for w in run("keygen", "-o", "customer.key").stdout.split() if w.startswith("modelseal1")][0]
    torch.manual_seed(15)
    state = {"w": torch.randn(64, 64), "b": torch.arange(10)}
    torch.save(state, tmp_path / "model.pt")
    run("env", "capture", "--python", sys.executable, "-o", "env.lock.json")
    run("seal", "-r", recipient, "--sign-key", "vendor.key", "--env", "env.lock.json", "-o", "model.mseal", "model.pt")
    run("pack", "-o", "acme.mspkg", "--sign-key", "vendor.key", "--customer", "ACME", "model.mseal")
    # Customer: license request, verify, unpack, env check, load.
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json")
    assert json.loads((tmp_path / "req.json").read_text())
    run("verify", "--trust", "vendor.key.pub", "acme.mspkg")
    run("unpack", "--trust", "vendor.key.pub", "-o", "delivery", "acme.mspkg")
    sealed = tmp_path / "delivery" / "models" / "model.mseal"
    assert sealed.exists()
    checked = run("env", "check", "--contract", sealed, "--trust", "vendor.key.pub", "--python", sys.executable)
    assert "policy pinned" in checked.stdout
    loaded = modelseal.load(sealed, identity=str(tmp_path / "customer.key"), trust=str(tmp_path / "vendor.key.pub"))
    assert list(loaded) == list(state)
    for name, tensor in state.items():
        assert torch.equal(loaded[name], tensor), name
    assert not list((tmp_path / "delivery").rglob("*.pt"))
