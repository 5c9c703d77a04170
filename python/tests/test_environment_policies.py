"""Issue 15, items 2-5, against real venvs, real pip and the built binary: the `pinned` policy (the default)
tolerates the loader and extra packages, the diff puts torch first, `env capture` follows a launcher script and
reads Debian's dist-packages, and `modelseal run` enforces the contract."""
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

from test_environment_cli import keys, make_venv


def pip_install_local(venv_python: pathlib.Path, tmp_path: pathlib.Path, name: str, version: str) -> None:
    """Builds and installs a real (tiny) distribution with pip into the venv's own site-packages."""
    project = tmp_path / f"src-{name}"
    (project / name.replace("-", "_")).mkdir(parents=True)
    (project / name.replace("-", "_") / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name}"
        version = "{version}"
        """))
    site = subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", site, str(project)], check=True,
                   capture_output=True)


@pytest.fixture
def venv(tmp_path):
    return make_venv(tmp_path / "venv")


def test_default_policy_is_pinned_and_tolerates_modelseal_and_extras(run, venv, tmp_path):
    recipient = keys(run)
    run("env", "capture", "--python", str(venv), "-o", "env.lock.json")
    (tmp_path / "model.pt").write_bytes(b"weights" * 100)
    run("seal", "-r", recipient, "--sign-key", "vendor.key", "--env", "env.lock.json", "-o", "model.mseal", "model.pt")
    # The customer installs the loader and a web server next to the vendor's environment (real pip installs).
    pip_install_local(venv, tmp_path, "modelseal", "0.1.0")
    pip_install_local(venv, tmp_path, "fastapi-like", "0.110.0")
    checked = run("env", "check", "--contract", "model.mseal", "--trust", "vendor.key.pub", "--python", str(venv))
    out = checked.stdout.decode()
    assert "policy pinned" in out
    assert "+ fastapi-like" in out and "(note: allowed)" in out
    assert "modelseal" not in out.replace("modelseal env check", "")
    # The same lock under exact: the web server is refused, modelseal itself is not mentioned.
    exact = run("env", "check", "--contract", "env.lock.json", "--policy", "exact", "--python", str(venv), check=False)
    assert exact.returncode == 40
    assert "+ fastapi-like" in exact.stderr.decode() and "+ modelseal" not in exact.stderr.decode()
    # A pinned package at another version is still fatal under pinned.
    lock = json.loads((tmp_path / "env.lock.json").read_text())
    for entry in lock["distributions"]:
        if entry["name"] == "numpy":
            entry["version"] = "1.0.0"
    (tmp_path / "old-numpy.json").write_text(json.dumps(lock))
    result = run("env", "check", "--contract", "old-numpy.json", "--python", str(venv), check=False)
    assert result.returncode == 40 and "~ numpy" in result.stderr.decode()


def test_diff_shows_torch_first_in_a_venv_without_torch(run, venv, tmp_path):
    run("env", "capture", "--python", str(venv), "-o", "env.lock.json")
    lock = json.loads((tmp_path / "env.lock.json").read_text())
    assert len(lock["distributions"]) > 40  # the shared test environment: torch, numpy, nvidia-*, and many more
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    result = run("env", "check", "--contract", "env.lock.json", "--python", str(tmp_path / "bare"), check=False)
    assert result.returncode == 40
    lines = result.stderr.decode().splitlines()
    listed = [line.split()[1] for line in lines if line.startswith("  - ")]
    assert listed[0] == "torch", lines[:5]
    # numpy and every nvidia-*/compiled package are listed by name, none folded into "... and N more".
    for name in ("numpy",) + tuple(d["name"] for d in lock["distributions"] if d["name"].startswith("nvidia-")):
        assert name in listed, name
    assert listed.index("numpy") < min(
        (listed.index(d["name"]) for d in lock["distributions"] if d["name"] in ("requests", "jinja2", "filelock")
         and d["name"] in listed), default=len(listed))


def test_capture_follows_a_launcher_script_and_reads_debian_dist_packages(run, tmp_path):
    if not pathlib.Path("/usr/bin/python3").exists():
        pytest.skip("no /usr/bin/python3 on this machine")
    shim = tmp_path / "python3"
    shim.write_text('#!/bin/sh\n# a pyenv-style shim\nexec /usr/bin/python3 "$@"\n')
    shim.chmod(0o755)
    via_shim = json.loads(run("env", "capture", "--python", str(shim)).stdout)
    direct = json.loads(run("env", "capture", "--python", "/usr/bin/python3").stdout)
    assert via_shim == direct
    truth = subprocess.run(
        ["/usr/bin/python3", "-I", "-c",
         "import importlib.metadata as m, re, json; print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower():"
         " d.version for d in reversed(list(m.distributions()))}))"],
        capture_output=True, text=True, check=True).stdout
    expected = {k: v for k, v in json.loads(truth).items() if k not in ("pip", "setuptools", "wheel", "distribute")}
    assert expected, "Debian's python3 lists no distribution"
    assert {d["name"]: d["version"] for d in direct["distributions"]} == expected


def test_run_enforces_the_contract_like_env_check(run, venv, tmp_path, fernet_key):
    import torch

    torch.save({"w": torch.arange(10)}, tmp_path / "model.pt")
    run("env", "capture", "--python", str(venv), "-o", "env.lock.json")
    lock = json.loads((tmp_path / "env.lock.json").read_text())
    for entry in lock["distributions"]:
        if entry["name"] == "numpy":
            entry["version"] = "1.0.0"
    (tmp_path / "other.json").write_text(json.dumps(lock))
    key = {"MODEL_KEY": fernet_key.decode()}
    run("seal", "--key-env", "MODEL_KEY", "--env", "env.lock.json", "-o", "ok.mseal", "model.pt", env=key)
    run("seal", "--key-env", "MODEL_KEY", "--env", "other.json", "-o", "bad.mseal", "model.pt", env=key)
    program = ["--", str(venv), "-c", "import os; print('started', os.path.exists(os.environ['MODELSEAL_MODEL']))"]
    good = run("run", "--model", "ok.mseal", "--key-env", "MODEL_KEY", "--python", str(venv), *program, env=key)
    assert good.stdout.decode().strip() == "started True"
    refused = run("run", "--model", "bad.mseal", "--key-env", "MODEL_KEY", "--python", str(venv), *program, env=key,
                  check=False)
    assert refused.returncode == 40, refused.stderr
    assert b"started" not in refused.stdout
    assert b"~ numpy" in refused.stderr and b"contract 1.0.0" in refused.stderr
    # The active environment is the default, as for env check.
    active = run("run", "--model", "bad.mseal", "--key-env", "MODEL_KEY", *program,
                 env={**key, "VIRTUAL_ENV": str(venv.parent.parent)}, check=False)
    assert active.returncode == 40 and b"~ numpy" in active.stderr
