#!/usr/bin/env python3
"""Runs every ```sh and ```python block of README.md and docs/*.md against the built binary and wheel.

Each block runs in a fresh temporary folder, with its own empty HOME (examples write to ~), holding the files it names (the fixture map below: a sample
checkpoint, keys, a sealed model, a delivery bundle, a venv, ...), with `modelseal` and `python` first on
PATH. A fixture is made only when the block reads it before writing it: a block that writes
`customer.key` starts without one. Placeholders in the text (`modelseal1...`, the article's key) are
replaced by real values. A block preceded by `<!-- norun: reason -->` is skipped (a build, the test
command itself, CUDA, network installs); the reason is required. Prints ran/skipped counts; exits 1 if
any block failed, naming it with its output.

    .venv/bin/python scripts/run-doc-examples.py            # MODELSEAL_BIN, else .build/debug/modelseal
    .venv/bin/python scripts/run-doc-examples.py docs/LICENSING.md   # only these files

The Python package comes from the newest dist/modelseal-*.whl (installed into the fixture venv with pip),
else from python/ with the library scripts/build-python.sh put there.
"""
from __future__ import annotations

import base64
import io
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```(sh|python)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
NORUN = re.compile(r"<!--\s*norun:\s*(\S.*?)\s*-->\s*$")


def blocks(path: pathlib.Path):
    """(line, language, code, norun reason or None) of every sh/python block."""
    text = path.read_text()
    for match in BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").split("\n")
        previous = before[-1] if before else ""
        norun = NORUN.search(previous)
        if "norun" in previous and not norun:
            raise SystemExit(f"{path}:{len(before)}: a norun marker needs a reason: <!-- norun: why -->")
        yield len(before) + 1, match.group(1), match.group(2), norun.group(1) if norun else None


class Fixtures:
    """Builds every fixture once in a template folder; `prepare` copies what a block needs."""

    def __init__(self, root: pathlib.Path, modelseal: str, python: str):
        self.root = root
        self.modelseal = modelseal
        self.python = python
        # Variables the examples read besides MODEL_KEY (set below): a signing key's passphrase.
        self.env = dict(
            os.environ, SWIFT_BACKTRACE="enable=no", MODELSEAL_LICENSE_DIR=str(root / "licensing"),
            KEY_PASS="correct horse battery staple", HOME=str(root.parent / "home"),
        )
        # Examples write to ~ (the trust store ~/.config/modelseal/trust): never the real one.
        for name in ("MODELSEAL_TRUST", "XDG_CONFIG_HOME", "MODEL_KEY", "VIRTUAL_ENV", "CONDA_PREFIX"):
            self.env.pop(name, None)
        pathlib.Path(self.env["HOME"]).mkdir(exist_ok=True)
        self.values: dict[str, str] = {}

    def run(self, *args):
        result = subprocess.run([str(a) for a in args], cwd=self.root, env=self.env, capture_output=True)
        if result.returncode != 0:
            raise SystemExit(f"run-doc-examples: fixture step {args} failed: {result.stderr.decode()}")
        return result

    def ms(self, *args):
        return self.run(self.modelseal, *args)

    def build(self) -> None:
        import torch
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        r = self.root
        torch.manual_seed(15)
        state = {"linear.weight": torch.randn(4, 8), "linear.bias": torch.zeros(4)}
        torch.save(state, r / "model.pt")
        shutil.copy(r / "model.pt", r / "m.pt")
        (r / "received").mkdir()
        shutil.copy(r / "model.pt", r / "received" / "model.pt")
        (r / "my-model").mkdir()
        shutil.copy(r / "model.pt", r / "my-model" / "model.pt")
        (r / "my-model" / "config.json").write_text('{"hidden": 8}\n')
        key = Fernet.generate_key()
        self.values["MODEL_KEY"] = key.decode()
        self.env["MODEL_KEY"] = key.decode()
        # Keys: the customer's identity and recipient, the vendor's signing key, a release key.
        (r / "customer.pub").write_bytes(self.ms("keygen", "-o", "customer.key").stdout)
        shutil.copy(r / "customer.pub", r / "customers.txt")
        self.values["recipient"] = (r / "customer.pub").read_text().split()[0]
        self.ms("keygen", "--sign", "-o", "vendor.key")
        shutil.copy(r / "vendor.key.pub", r / "vendor.pub")
        self.ms("keygen", "--sign", "-o", "release.key")
        # The article's files: a Fernet token of the torch.save bytes, an RSA PKCS#1 v1.5 signature of it.
        (r / "model.enc").write_bytes(Fernet(key).encrypt((r / "model.pt").read_bytes()))
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (r / "model.enc.sig").write_bytes(
            rsa_key.sign((r / "model.enc").read_bytes(), padding.PKCS1v15(), hashes.SHA256())
        )
        (r / "vendor_pub.pem").write_bytes(
            rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        # A program that reads a decrypted checkpoint: from $MODELSEAL_MODEL (`modelseal run`), else standard input.
        (r / "serve.py").write_text(
            "import io, os, sys, torch\n"
            "path = os.environ.get('MODELSEAL_MODEL')\n"
            "source = path if path else io.BytesIO(sys.stdin.buffer.read())\n"
            "state = torch.load(source, weights_only=True)\n"
            "print('serving', sorted(state))\n"
        )
        # A venv sharing this interpreter's torch, with the modelseal package installed.
        self.make_venv(r / "venv")
        self.ms("env", "capture", "--python", r / "venv" / "bin" / "python", "-o", "env.lock.json")
        (r / "environment.yml").write_text(
            "name: prod\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip:\n    - torch\n"
        )
        # Sealed models: model.mseal and m.mseal to the customer and MODEL_KEY, signed, with the contract.
        for name in ("model.mseal", "m.mseal"):
            self.ms("seal", "-R", "customer.pub", "--key-env", "MODEL_KEY", "--sign-key", "vendor.key",
                    "--env", "env.lock.json", "-o", name, "model.pt", "-q")
        self.ms("pack", "-o", "acme.mspkg", "--sign-key", "vendor.key", "--customer", "ACME", "model.mseal")

    def make_venv(self, path: pathlib.Path) -> None:
        subprocess.run([self.python, "-m", "venv", "--without-pip", str(path)], check=True)
        site = subprocess.run(
            [str(path / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        shared = subprocess.run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        pathlib.Path(site, "shared.pth").write_text(shared + "\n")
        wheels = sorted(REPO.glob("dist/modelseal-*.whl"), key=lambda p: p.stat().st_mtime)
        if wheels:
            subprocess.run(
                [self.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                 "--target", site, str(wheels[-1])],
                check=True, capture_output=True,
            )
        else:
            pathlib.Path(site, "modelseal-repo.pth").write_text(str(REPO / "python") + "\n")

    def substitute(self, code: str) -> str:
        code = code.replace("modelseal1...", self.values["recipient"]).replace("modelseal1…", self.values["recipient"])
        return code.replace("xxxxxxxx...=", self.values["MODEL_KEY"])

    def prepare(self, code: str, folder: pathlib.Path) -> None:
        """Copies into `folder` every fixture `code` names before any line writes it."""
        for entry in sorted(self.root.iterdir()):
            name = entry.name
            if name == "licensing":
                continue
            # `vendor.key.pub` is written by the line that writes `vendor.key` (keygen --sign).
            names = [name, name.removesuffix(".pub")] if name.endswith(".pub") else [name]
            mention = re.compile(r"(?<![\w./-])(\./)?(" + "|".join(map(re.escape, names)) + r")(?![\w-]|\.\w)")
            for line in code.split("\n"):
                line = re.sub(r"(^|\s)#.*$", "", line)  # comments name files without reading them
                found = mention.search(line)
                if not found:
                    continue
                before = line[: found.start()].rstrip()
                written = before.endswith(("-o", ">", "--output"))
                if not written and found.group(2) == name:
                    destination = folder / name
                    if entry.is_dir():
                        shutil.copytree(entry, destination, symlinks=True)
                    else:
                        shutil.copy2(entry, destination)
                    if name == "vendor.key":
                        shutil.copy2(self.root / "vendor.key.pub", folder / "vendor.key.pub")
                break


def main() -> int:
    files = [pathlib.Path(a).resolve() for a in sys.argv[1:]] or [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    modelseal = os.environ.get("MODELSEAL_BIN", str(REPO / ".build" / "debug" / "modelseal"))
    if not os.access(modelseal, os.X_OK):
        print(f"run-doc-examples: no modelseal at {modelseal}: build it or set MODELSEAL_BIN", file=sys.stderr)
        return 1
    started = time.perf_counter()
    ran = skipped = 0
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="modelseal-docs-") as scratch:
        scratch = pathlib.Path(scratch)
        template = scratch / "template"
        template.mkdir()
        fixtures = Fixtures(template, modelseal, sys.executable)
        fixtures.build()
        tools = scratch / "bin"
        tools.mkdir()
        (tools / "modelseal").symlink_to(modelseal)
        # `python` is the fixture venv's (a wrapper, as pyenv's shims are: a symlink to a venv's
        # interpreter would not be that venv for Python itself).
        for name in ("python", "python3"):
            (tools / name).write_text(f'#!/bin/sh\nexec "{template / "venv" / "bin" / "python"}" "$@"\n')
            (tools / name).chmod(0o755)
        path = f"{tools}:{pathlib.Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
        for file in files:
            for line, language, code, norun in blocks(file):
                where = f"{file.relative_to(REPO)}:{line}"
                if norun:
                    skipped += 1
                    print(f"skip {where} ({norun})")
                    continue
                folder = scratch / f"block-{ran + skipped}"
                folder.mkdir()
                code = fixtures.substitute(code)
                fixtures.prepare(code, folder)
                home = folder / ".home"  # each block its own ~, so one block's trust store is not the next one's
                home.mkdir()
                env = dict(fixtures.env, PATH=path, MODELSEAL_LICENSE_DIR=str(folder / ".licensing"), HOME=str(home))
                command = ["bash", "-e", "-o", "pipefail", "-c", code] if language == "sh" else [str(tools / "python"), "-c", code]
                result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
                ran += 1
                if result.returncode != 0:
                    failures.append(f"{where} ({language}) exited {result.returncode}:\n{result.stdout}{result.stderr}")
                    print(f"FAIL {where}")
                else:
                    print(f"ok   {where}")
    for failure in failures:
        print("\n" + failure, file=sys.stderr)
    print(f"doc examples: {ran} ran, {skipped} skipped, {len(failures)} failed ({time.perf_counter() - started:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
