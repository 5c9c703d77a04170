"""A minimal PEP 517 backend: builds a platform wheel of `modelseal/` with the prebuilt library and
the prebuilt `modelseal` command (`modelseal-<version>.data/scripts/modelseal`, which pip installs
executable into the environment's `bin/`).

The wheel is tagged `py3-none-manylinux_2_<G>_<arch>`, where G is the newest glibc symbol version
the library or the command needs (read from the files themselves), so pip refuses it on older
systems instead of failing at load time. Run scripts/build-python.sh, which builds both first.
"""
from __future__ import annotations

import base64
import hashlib
import os
import pathlib
import platform
import re
import stat
import zipfile

NAME = "modelseal"
VERSION = "0.1.0"
HERE = pathlib.Path(__file__).resolve().parent
LIBRARY = HERE / NAME / "libmodelseal_c.so"
COMMAND = HERE / "build" / "modelseal"

METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: Load sealed (encrypted, authenticated) PyTorch models straight into memory
Requires-Python: >=3.9
Provides-Extra: torch
Requires-Dist: torch>=2.4; extra == "torch"
"""


def _glibc_tag() -> str:
    data = LIBRARY.read_bytes() + COMMAND.read_bytes()
    versions = [tuple(int(part) for part in match.split(b".")) for match in re.findall(rb"GLIBC_(\d+\.\d+)", data)]
    major, minor = max(versions) if versions else (2, 17)
    return f"manylinux_{major}_{minor}_{platform.machine()}"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None) -> str:
    for needed in (LIBRARY, COMMAND):
        if not needed.exists():
            raise RuntimeError(f"{needed} is missing: run scripts/build-python.sh")
    tag = f"py3-none-{_glibc_tag()}"
    wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    files: list[tuple[str, bytes]] = []
    for path in sorted((HERE / NAME).iterdir()):
        if path.suffix in (".py", ".so", ".h"):
            files.append((f"{NAME}/{path.name}", path.read_bytes()))
    files.append((f"{NAME}-{VERSION}.data/scripts/{NAME}", COMMAND.read_bytes()))
    files.append((f"{info}/METADATA", METADATA.encode()))
    wheel = f"Wheel-Version: 1.0\nGenerator: modelseal wheel_backend\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{info}/WHEEL", wheel.encode()))
    record = [_record_line(name, data) for name, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    target = pathlib.Path(wheel_directory) / wheel_name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            executable = name.endswith(".so") or "/scripts/" in name
            # A regular file's full mode: pip marks a file executable only when S_IFREG is there too.
            entry.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return wheel_name


def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    return []
