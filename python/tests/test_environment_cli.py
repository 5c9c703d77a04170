"""`modelseal env`, `seal --env`, `pack`, `unpack`, `verify BUNDLE` against real venvs and the built binary.

Conda cannot be installed here: conda environments are files shaped exactly like conda's output
(conda-meta/*.json records, `conda env export` YAML, `conda list --explicit`)."""
import hashlib
import json
import os
import pathlib
import pwd
import subprocess
import sys
import sysconfig

import pytest


def make_venv(path: pathlib.Path) -> pathlib.Path:
    """A real venv sharing this interpreter's packages (torch, numpy) through a .pth file."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    pathlib.Path(site, "shared.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture
def venv(tmp_path):
    return make_venv(tmp_path / "venv")


def test_capture_matches_importlib_metadata(run, venv, tmp_path):
    """The lock lists exactly what importlib.metadata sees in that interpreter (pip/setuptools/wheel aside)."""
    lock = json.loads(run("env", "capture", "--python", str(venv)).stdout)
    probe = (
        "import importlib.metadata as m, re, json, sys, platform;"
        "print(json.dumps({'d': {re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version for d in m.distributions()},"
        "'v': '%d.%d.%d' % sys.version_info[:3], 'm': platform.machine()}))"
    )
    truth = json.loads(subprocess.run([str(venv), "-c", probe], capture_output=True, text=True, check=True).stdout)
    for tool in ("pip", "setuptools", "wheel"):
        truth["d"].pop(tool, None)
    assert {d["name"]: d["version"] for d in lock["distributions"]} == truth["d"]
    assert lock["python"]["version"] == truth["v"]
    assert lock["platform"]["machine"] == truth["m"]
    import torch

    assert lock["torch"]["version"] == torch.__version__
    assert lock["torch"]["cuda"] == torch.version.cuda
    # Canonical: byte-identical on a second capture, and no whitespace.
    again = run("env", "capture", "--python", str(venv)).stdout
    assert again == run("env", "capture", "--python", str(venv)).stdout
    assert b", " not in again and again.endswith(b"}\n")


# The user's real home (conftest may point HOME elsewhere to hide a trust store).
PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".pyenv")
PYENV_SHIM = pathlib.Path(PYENV_ROOT) / "shims" / "python3"


@pytest.mark.skipif(not PYENV_SHIM.exists(), reason="no pyenv on this machine (the synthetic shim is tested in Swift)")
def test_capture_through_a_real_pyenv_shim(run):
    """A real pyenv shim (a bash script that execs the selected interpreter) captures what that interpreter has."""
    lock = json.loads(run("env", "capture", "--python", str(PYENV_SHIM)).stdout)
    probe = (
        "import importlib.metadata as m, re, json, sys;"
        "print(json.dumps({'d': {re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version for d in m.distributions()},"
        "'v': '%d.%d.%d' % sys.version_info[:3]}))"
    )
    truth = json.loads(subprocess.run([str(PYENV_SHIM), "-I", "-c", probe], capture_output=True, text=True,
                                      check=True).stdout)
    for tool in ("pip", "setuptools", "wheel"):
        truth["d"].pop(tool, None)
    assert lock["python"]["version"] == truth["v"]
    assert {d["name"]: d["version"] for d in lock["distributions"]} == truth["d"]


def test_check_reports_and_exit_codes(run, venv, tmp_path):
    run("env", "capture", "--python", str(venv), "-o", "env.lock.json")
    ok = run("env", "check", "--contract", "env.lock.json", "--python", str(venv))
    assert b"matches the contract" in ok.stdout
    lock = json.loads((tmp_path / "env.lock.json").read_text())
    # Another platform: exit 41 under exact and compatible; reported but allowed under warn.
    lock["platform"] = {"machine": "arm64", "system": "darwin"}
    (tmp_path / "other.json").write_text(json.dumps(lock, indent=2))
    for policy in ("exact", "compatible"):
        result = run("env", "check", "--contract", "other.json", "--policy", policy, "--python", str(venv), check=False)
        assert result.returncode == 41, result.stderr
        assert "another platform" in result.stderr.decode() and "darwin-arm64" in result.stderr.decode()
    warn = run("env", "check", "--contract", "other.json", "--policy", "warn", "--python", str(venv))
    assert b"(allowed)" in warn.stdout
    # A different numpy in the contract: exit 40 with a readable diff; --json lists it.
    lock = json.loads((tmp_path / "env.lock.json").read_text())
    for entry in lock["distributions"]:
        if entry["name"] == "numpy":
            entry["version"] = "1.26.4"
    (tmp_path / "numpy.json").write_text(json.dumps(lock))
    result = run("env", "check", "--contract", "numpy.json", "--python", str(venv), check=False)
    assert result.returncode == 40
    assert "~ numpy" in result.stderr.decode() and "contract 1.26.4" in result.stderr.decode()
    report = json.loads(run("env", "check", "--contract", "numpy.json", "--python", str(venv), "--json", check=False).stdout)
    assert report["satisfied"] is False and report["differences"][0]["name"] == "numpy"
    # compatible (python, torch, numpy, cuda): numpy 1.26 vs 2.x still fails; a patch difference passes.
    assert run("env", "check", "--contract", "numpy.json", "--policy", "compatible", "--python", str(venv), check=False).returncode == 40


@pytest.mark.parametrize(
    "name, content",
    [
        ("lock.json", "{not json"),
        ("lock.json", '{"schema": "modelseal-env/1"}'),
        ("lock.json", '{"a": 1, "a": 2}'),
    ],
)
def test_malformed_lock_is_exit_42(run, venv, tmp_path, name, content):
    (tmp_path / name).write_text(content)
    result = run("env", "check", "--contract", name, "--python", str(venv), check=False)
    assert result.returncode == 42, result.stderr
    assert b"malformed environment lock" in result.stderr


@pytest.mark.parametrize(
    "yaml",
    ["name: a\ndependencies:\n\t- python\n", "name: &x a\ndependencies:\n  - python\n", "dependencies: [python]\n", "name: a\n"],
)
def test_malformed_environment_yml_is_exit_42(run, venv, tmp_path, yaml):
    (tmp_path / "environment.yml").write_text(yaml)
    result = run("env", "capture", "--python", str(venv), "--from", "environment.yml", check=False)
    assert result.returncode == 42, result.stderr
    assert b"environment.yml line" in result.stderr


def test_conda_prefix_shaped_like_conda(run, tmp_path):
    """A conda environment as files: conda-meta records, an interpreter, site-packages; plus an explicit spec."""
    prefix = tmp_path / "envs" / "prod"
    (prefix / "bin").mkdir(parents=True)
    real = pathlib.Path(os.path.realpath(sys.executable))
    (prefix / "bin" / "python3.11").write_bytes(real.read_bytes()[:4096])
    (prefix / "bin" / "python").symlink_to("python3.11")
    (prefix / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    meta = prefix / "conda-meta"
    meta.mkdir()
    for name, version, build in [("python", "3.11.7", "h955ad1f_0"), ("mkl", "2023.1.0", "h213fc3f_46344")]:
        url = f"https://repo.anaconda.com/pkgs/main/linux-64/{name}-{version}-{build}.conda"
        (meta / f"{name}-{version}-{build}.json").write_text(
            json.dumps(
                {
                    "build": build, "build_number": 0, "channel": "https://repo.anaconda.com/pkgs/main/linux-64",
                    "depends": [], "files": ["bin/x"], "fn": f"{name}-{version}-{build}.conda", "name": name,
                    "paths_data": {"paths": [], "paths_version": 1}, "requested_spec": "None", "size": 1, "subdir": "linux-64",
                    "timestamp": 1698846211000, "url": url, "version": version,
                },
                indent=2,
            )
        )
    (meta / "history").write_text("==> 2024-01-01 00:00:00 <==\n")
    (tmp_path / "spec.txt").write_text(
        "# platform: linux-64\n@EXPLICIT\nhttps://repo.anaconda.com/pkgs/main/linux-64/mkl-2023.1.0-h213fc3f_46344.conda#abc\n"
    )
    lock = json.loads(run("env", "capture", "--python", str(prefix), "--from", "spec.txt").stdout)
    assert lock["python"]["version"] == "3.11.7"
    assert [p["name"] for p in lock["conda"]["packages"]] == ["mkl", "python"]
    assert lock["conda"]["packages"][0]["channel"] == "pkgs/main"
    assert lock["conda"]["spec"]["source"] == "explicit" and lock["conda"]["subdir"] == "linux-64"


def keys(run):
    run("keygen", "--sign", "-o", "vendor.key")
    made = run("keygen", "-o", "customer.key")
    recipient = [w for w in (made.stdout + made.stderr).decode().split() if w.startswith("modelseal1")][0]
    return recipient


def test_seal_with_contract_then_check_sealed_file(run, venv, tmp_path):
    recipient = keys(run)
    run("env", "capture", "--python", str(venv), "-o", "env.lock.json")
    (tmp_path / "model.pt").write_bytes(os.urandom(5000))
    run("seal", "-r", recipient, "--sign-key", "vendor.key", "--env", "env.lock.json", "--env-policy", "compatible",
        "--env-compatible", "torch", "--env-compatible", "python", "-o", "model.mseal", "model.pt")
    inspected = json.loads(run("inspect", "--json", "model.mseal").stdout)
    assert "environment-contract" in json.dumps(inspected)
    checked = run("env", "check", "--contract", "model.mseal", "--trust", "vendor.key.pub", "--python", str(venv))
    assert b"policy compatible" in checked.stdout
    # The contract is covered by the signature: a changed header byte fails the trust check.
    data = bytearray((tmp_path / "model.mseal").read_bytes())
    index = data.find(b'"numpy"')
    data[index + 2] ^= 0x20
    (tmp_path / "forged.mseal").write_bytes(bytes(data))
    forged = run("env", "check", "--contract", "forged.mseal", "--trust", "vendor.key.pub", "--python", str(venv), check=False)
    assert forged.returncode == 22 and b"invalid signature" in forged.stderr, forged.stderr
    # ... and the file still opens for the customer (the contract is a known critical extension).
    run("open", "-i", "customer.key", "--check", "model.mseal")
    # A sealed file without a contract: exit 42 with a hint.
    run("seal", "-r", recipient, "-o", "plain.mseal", "model.pt")
    result = run("env", "check", "--contract", "plain.mseal", "--python", str(venv), check=False)
    assert result.returncode == 42 and b"--env" in result.stderr


def test_pack_unpack_verify_and_refusals(run, venv, tmp_path):
    recipient = keys(run)
    run("env", "capture", "--python", str(venv), "-o", "env.lock.json")
    (tmp_path / "model.pt").write_bytes(os.urandom(100000))
    run("seal", "-r", recipient, "--sign-key", "vendor.key", "--env", "env.lock.json", "-o", "model.mseal", "model.pt")
    (tmp_path / "environment.yml").write_text("name: prod\nchannels:\n  - defaults\ndependencies:\n  - python=3.11\n")
    (tmp_path / "prod.tar.gz").write_bytes(os.urandom(3000))
    run("pack", "-o", "acme.mspkg", "--sign-key", "vendor.key", "--environment", "environment.yml",
        "--conda-pack", "prod.tar.gz", "--customer", "ACME", "model.mseal")
    report = json.loads(run("verify", "--trust", "vendor.key.pub", "--json", "acme.mspkg").stdout)
    names = [m["name"] for m in report["members"]]
    assert names == ["README.txt", "models/model.mseal", "environment/env.lock.json", "environment/environment.yml",
                     "environment/prod.tar.gz"]
    run("unpack", "--trust", "vendor.key.pub", "-o", "delivery", "acme.mspkg")
    assert (tmp_path / "delivery" / "models" / "model.mseal").read_bytes() == (tmp_path / "model.mseal").read_bytes()
    readme = (tmp_path / "delivery" / "README.txt").read_text()
    assert "ACME" in readme and "activation request" in readme and "conda-unpack" in readme
    # Unpacking again into the same folder is refused, and changes nothing.
    assert run("unpack", "--trust", "vendor.key.pub", "-o", "delivery", "acme.mspkg", check=False).returncode == 17
    # Plaintext models and symlinks are never packed.
    plain = run("pack", "-o", "x.mspkg", "--sign-key", "vendor.key", "model.pt", check=False)
    assert plain.returncode == 16 and b"not a sealed file" in plain.stderr
    (tmp_path / "link.mseal").symlink_to("model.mseal")
    link = run("pack", "-o", "x.mspkg", "--sign-key", "vendor.key", "--license", "link.mseal", "model.mseal", check=False)
    assert link.returncode == 46 and b"symbolic link" in link.stderr
    assert not (tmp_path / "x.mspkg").exists()
    # Another signer than the trusted one.
    run("keygen", "--sign", "-o", "other.key")
    untrusted = run("verify", "--trust", "other.key.pub", "acme.mspkg", check=False)
    assert untrusted.returncode == 21


def craft_bundle(name: bytes, content: bytes, size: int | None = None) -> bytes:
    manifest = (
        b'{"created_by":"evil","members":[{"name":"' + name + b'","role":"other","sha256":"'
        + hashlib.sha256(content).hexdigest().encode() + b'","size":' + str(len(content) if size is None else size).encode() + b'}],"schema":"modelseal-bundle/1"}'
    )
    return (b"\x89MSPKG\r\n\x01\x00\x00\x00" + len(manifest).to_bytes(4, "big") + manifest + (1).to_bytes(4, "big") + b"\x00"
            + content)


@pytest.mark.parametrize("name", [b"../../etc/x", b"/etc/x", b"a/../../x", b".profile"])
def test_unsafe_member_names_write_nothing(run, tmp_path, name):
    (tmp_path / "evil.mspkg").write_bytes(craft_bundle(name, b"owned\n"))
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    result = run("unpack", "-o", "out", "evil.mspkg", check=False)
    assert result.returncode == 46, result.stderr
    assert b"refusing bundle member" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.mspkg"]
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before
    assert run("verify", "evil.mspkg", check=False).returncode == 46


def test_huge_declared_size_is_refused_before_writing(run, tmp_path):
    (tmp_path / "huge.mspkg").write_bytes(craft_bundle(b"big", b"x", size=2**53 - 1))
    result = run("unpack", "-o", "out", "huge.mspkg", check=False)
    assert result.returncode == 45 and b"declares" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.mspkg"]
