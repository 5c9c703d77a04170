"""`load` and `load_model`: decrypt in Swift straight into memory that `torch.load` reads.

Two ways into torch, both verified chunk by chunk before torch sees a byte (the library returns
only once every chunk authenticated, and leaves nothing on failure):

- memfd (Linux, the default): the library decrypts into an anonymous in-memory file sealed
  against writes; `torch.load("/proc/self/fd/N", mmap=True)` maps it, so tensors point at the
  decrypted pages themselves: no copy after decryption, peak memory about one file size.
- buffer (`mmap=False`, or where memfds do not exist): the library decrypts into a `bytearray`,
  which `torch.load` reads through a `readinto`-only stream: one copy into the tensors, then the
  buffer is freed.
"""
from __future__ import annotations

import io
import logging
import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

from . import _errors, _ffi, _keys

log = logging.getLogger("modelseal")

#: First bytes of every sealed file (FORMAT.md §2).
MAGIC = b"\x89MSEAL\r\n"
PLAIN_VARIABLE = "MODELSEAL_PLAIN"
SIGNATURES_PENDING = "signatures arrive with issue 5: trust= and sign_key= are accepted but not implemented yet"
LICENSES_PENDING = "licenses arrive with a later issue: license= is accepted but not implemented yet"


def refuse_pending(trust: Any = None, license: Any = None, sign_key: Any = None) -> None:
    """Raises `NotSupportedError` for the parameters of parts not built yet, rather than ignoring them."""
    if trust is not None or sign_key is not None:
        raise _errors.NotSupportedError(SIGNATURES_PENDING)
    if license is not None:
        raise _errors.NotSupportedError(LICENSES_PENDING)


def plain_allowed(force_plain: bool, trust: Any = None, license: Any = None) -> bool:
    """Whether the development switch applies: asked for, and no trust key or license configured.

    A configured trust key or license always wins, so an environment variable can never downgrade
    a deployment that checks signatures or licenses to plaintext loading.
    """
    requested = force_plain or os.environ.get(PLAIN_VARIABLE) == "1"
    if requested and (trust is not None or license is not None):
        log.warning("modelseal: plaintext switch IGNORED: a trust key or license is configured")
        return False
    return requested


def is_sealed(source) -> bool:
    """True when `source` (a path or bytes) starts with the sealed-file magic."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(memoryview(source)[: len(MAGIC)]) == MAGIC
    try:
        with open(source, "rb") as file:
            return file.read(len(MAGIC)) == MAGIC
    except OSError as error:
        raise _errors.InputError(f"cannot read {os.fspath(source)}: {error.strerror}") from error


def use_memfd(mmap: bool | None) -> bool:
    return sys.platform.startswith("linux") if mmap is None else mmap


def load(
    path,
    *,
    key=None,
    identity=None,
    passphrase: str | None = None,
    trust=None,
    license=None,
    map_location=None,
    force_plain: bool = False,
    mmap: bool | None = None,
) -> Any:
    """What `torch.load(plaintext, weights_only=True)` returns, decrypted in memory."""
    import torch

    if plain_allowed(force_plain, trust, license) and not is_sealed(path):
        log.warning(
            "modelseal: LOADING AN UNSEALED MODEL (%s) because %s; development only, never in production",
            path if not isinstance(path, (bytes, bytearray, memoryview)) else "<bytes>",
            "force_plain=True" if force_plain else f"{PLAIN_VARIABLE}=1",
        )
        source = io.BytesIO(path) if isinstance(path, (bytes, bytearray, memoryview)) else path
        return torch.load(source, map_location=map_location, weights_only=True)
    refuse_pending(trust=trust, license=license)

    name = "<bytes>" if isinstance(path, (bytes, bytearray, memoryview)) else os.fspath(path)
    started = time.perf_counter()
    with _ffi.SealedFile(path) as sealed:
        opened = time.perf_counter()
        with _keys.opening_keyring(key=key, identity=identity, passphrase=passphrase) as ring:
            sealed.unlock(ring)
        unlocked = time.perf_counter()
        size = sealed.plaintext_length()
        if use_memfd(mmap):
            descriptor = sealed.decrypt_to_memfd("modelseal:" + os.path.basename(name))
            sealed.close()
            decrypted = time.perf_counter()
            try:
                result = _load_memfd(torch, descriptor, map_location)
            finally:
                os.close(descriptor)
        else:
            buffer = bytearray(size)
            sealed.decrypt_into(buffer)
            sealed.close()
            decrypted = time.perf_counter()
            try:
                result = torch.load(ReadintoStream(buffer), map_location=map_location, weights_only=True)
            finally:
                del buffer
    done = time.perf_counter()
    log.info(
        "modelseal: loaded %s (%d bytes) via %s: read %.1f ms, verify %.1f ms, decrypt %.1f ms, deserialize %.1f ms",
        name,
        size,
        "memfd" if use_memfd(mmap) else "buffer",
        (opened - started) * 1e3,
        (unlocked - opened) * 1e3,
        (decrypted - unlocked) * 1e3,
        (done - decrypted) * 1e3,
    )
    return result


def _load_memfd(torch, descriptor: int, map_location) -> Any:
    path = f"/proc/self/fd/{descriptor}"
    try:
        return torch.load(path, mmap=True, map_location=map_location, weights_only=True)
    except RuntimeError as error:
        # Checkpoints in the legacy (pre-1.6, non-zip) format cannot be memory-mapped.
        if "mmap" not in str(error):
            raise
        with open(path, "rb") as file:
            return torch.load(file, map_location=map_location, weights_only=True)


class ReadintoStream(io.RawIOBase):
    """A seekable read-only stream over a buffer that copies only into the reader's memory."""

    def __init__(self, buffer) -> None:
        super().__init__()
        self._view = memoryview(buffer).cast("B")
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}[whence]
        position = base + offset
        if position < 0:
            raise ValueError("negative seek position")
        self._position = position
        return position

    def readinto(self, target) -> int:
        target = memoryview(target).cast("B")
        start = min(self._position, len(self._view))
        count = min(len(target), len(self._view) - start)
        target[:count] = self._view[start : start + count]
        self._position = start + count
        return count

    def close(self) -> None:
        self._view.release()
        super().close()


def load_model(
    model_class,
    path,
    *,
    device="cpu",
    strict: bool = True,
    model_args: tuple = (),
    model_kwargs: dict | None = None,
    **options,
):
    """A ready module: `model_class(*model_args, **model_kwargs)` with the sealed state_dict, in eval mode.

    The loaded tensors are assigned to the module (`assign=True`), not copied into fresh parameters.
    """
    import torch

    model = model_class(*model_args, **(model_kwargs or {}))
    if not isinstance(model, torch.nn.Module):
        raise _errors.UsageError(f"{model_class!r} did not build a torch.nn.Module")
    state = load(path, map_location=device, **options)
    if not isinstance(state, dict):
        raise _errors.FormatError("the sealed model is not a state_dict: load it with modelseal.load")
    started = time.perf_counter()
    model.load_state_dict(state, strict=strict, assign=True)
    model.to(device)
    model.eval()
    log.info("modelseal: built %s on %s in %.1f ms", type(model).__name__, device, (time.perf_counter() - started) * 1e3)
    return model
