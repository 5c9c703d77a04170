"""Sealed model folders (spec/FOLDERS.md): the set manifest opened and checked by the library, members
opened through it, so a swapped, missing or extra file is refused before anything is returned."""
from __future__ import annotations

import json
import os

from . import _errors, _ffi, _keys

#: Suffix of a sealed member's file, and the manifest's name (spec/FOLDERS.md §1).
SEALED_SUFFIX = ".mseal"
MANIFEST_NAME = "modelseal-folder.mseal"


def is_sealed_folder(path) -> bool:
    """True when `path` is a folder holding a set manifest."""
    if isinstance(path, (bytes, bytearray, memoryview)) or not isinstance(path, (str, os.PathLike)):
        return False
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, MANIFEST_NAME))


class Folder:
    """An opened sealed folder: its verified members, and a way to open each."""

    def __init__(self, path, *, key=None, identity=None, passphrase: str | None = None, trust=None, license=None):
        self.path = os.fspath(path)
        with _keys.opening_keyring(key=key, identity=identity, passphrase=passphrase, trust=trust,
                                   license=license) as ring:
            self._folder = _ffi.SealedFolder(self.path, ring)
        try:
            self.members: list[dict] = json.loads(self._folder.manifest())["files"]
        except BaseException:
            self._folder.close()
            raise

    def __enter__(self) -> "Folder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._folder.close()

    def sealed_names(self, suffix: str = "") -> list[str]:
        return [member["name"] for member in self.members if member["sealed"] and member["name"].endswith(suffix)]

    def open_member(self, name: str) -> _ffi.SealedFile:
        """The sealed member `name`, checked against the manifest and unlocked (close it)."""
        return self._folder.open_member(name)

    def read(self, name: str) -> bytes:
        """A whole member in memory: a sealed one decrypted and verified, a clear one checked by hash."""
        member = next((item for item in self.members if item["name"] == name), None)
        if member is None:
            raise _errors.InputError(f"{self.path} has no file {name!r}")
        if not member["sealed"]:
            return self._folder.read_clear(name)
        with self.open_member(name) as sealed:
            return sealed.decrypt()

    def weight_names(self) -> list[str]:
        """The sealed weight files: safetensors shards if any, else PyTorch ones; when the folder has a shard
        index (`*.index.json`, decrypted and verified here), the shards it names must be exactly these."""
        names = self.sealed_names(".safetensors") or [
            name for name in self.sealed_names() if name.endswith((".bin", ".pt", ".pth"))]
        suffix = ".safetensors" if names and names[0].endswith(".safetensors") else ".bin"
        for index in self.sealed_names(".index.json"):
            if not index.endswith(suffix + ".index.json"):
                continue
            try:
                listed = set(json.loads(self.read(index))["weight_map"].values())
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise _errors.ModelFormatError(f"{index} is not a shard index: {error}", 50) from None
            if listed != set(names):
                raise _errors.ModelFormatError(
                    f"{index} lists shards {sorted(listed)}, the folder holds {sorted(names)}", 50)
        return names
