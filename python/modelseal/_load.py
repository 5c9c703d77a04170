"""`load` and `load_model`: decrypt in Swift straight into memory that `torch.load` reads.

Three ways into torch, all verified chunk by chunk before torch sees a byte (the library returns
only once every chunk authenticated, and zeroes or discards what it wrote on failure):

- mapped (the default where torch allows it): the library decrypts into private anonymous memory,
  and torch's own zip loader builds every tensor as a view of that memory, exactly as
  `torch.load(path, mmap=True)` does with a mapped file: no copy after decryption, peak memory about
  one file size. It calls torch's internal `torch.serialization._load` with the `weights_only`
  unpickler, so it is used only when that function has the expected signature (checked once);
  otherwise `load` falls back to memfd.
- memfd (Linux): the library decrypts into an anonymous in-memory file sealed against writes;
  `torch.load("/proc/self/fd/N", mmap=True, weights_only=True)` maps it: also no copy, but torch's
  mapping faults the shmem pages in a second time.
- stream: the library decrypts into private anonymous memory, which `torch.load` reads through a
  `readinto`-only stream: one copy into the tensors, then the buffer is freed. Works everywhere.

In every method the library's decryption workers fault the destination's pages in, each just before
decrypting a chunk into them, so on all cores at once (ModelSealCore `Prefault`).
"""
from __future__ import annotations

import functools
import inspect
import io
import logging
import mmap as _mmap
import os
import pickle
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

from . import _errors, _ffi, _folder, _keys, _safetensors, _server

log = logging.getLogger("modelseal")

#: First bytes of every sealed file (spec/CONTAINER.md §2).
MAGIC = b"\x89MSEAL\r\n"
PLAIN_VARIABLE = "MODELSEAL_PLAIN"
def plain_allowed(force_plain: bool, trust: Any = None, license: Any = None) -> bool:
    """Whether the development switch applies: asked for, and no trust key or license configured.

    A configured trust key or license always wins, so an environment variable can never downgrade
    a deployment that checks signatures or licenses to plaintext loading.
    """
    requested = force_plain or os.environ.get(PLAIN_VARIABLE) == "1"
    if not requested:
        return False
    if (trust is not None and trust is not False) or license is not None:
        log.warning("modelseal: plaintext switch IGNORED: a trust key or license is configured")
        return False
    if trust is None and _keys.trust_store() is not None:
        log.warning("modelseal: plaintext switch IGNORED: a trust store is configured")
        return False
    return requested


def is_sealed(source) -> bool:
    """True when `source` (a path or bytes) starts with the sealed-file magic, or is a sealed folder."""
    if _folder.is_sealed_folder(source):
        return True
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(memoryview(source)[: len(MAGIC)]) == MAGIC
    try:
        with open(source, "rb") as file:
            return file.read(len(MAGIC)) == MAGIC
    except OSError as error:
        raise _errors.InputError(f"cannot read {os.fspath(source)}: {error.strerror}") from error


METHODS = ("mapped", "memfd", "stream")


@functools.lru_cache(maxsize=1)
def mapped_supported() -> bool:
    """Whether torch's internal loader takes a whole-file storage (`overall_storage`) and a
    `weights_only` flag, as it does for `torch.load(mmap=True)` in torch 2.1 and later."""
    try:
        import torch.serialization as serialization

        parameters = inspect.signature(serialization._load).parameters
        return (
            "overall_storage" in parameters
            and "weights_only" in parameters
            and hasattr(serialization, "_weights_only_unpickler")
            and hasattr(serialization, "_open_zipfile_reader")
        )
    except (ImportError, AttributeError, TypeError, ValueError):
        return False


def choose_method(method: str | None) -> str:
    if method is None:
        if mapped_supported():
            return "mapped"
        return "memfd" if sys.platform.startswith("linux") else "stream"
    if method not in METHODS:
        raise _errors.UsageError(f"method={method!r}: use one of {', '.join(METHODS)}")
    if method == "mapped" and not mapped_supported():
        raise _errors.NotSupportedError("method='mapped' needs torch >= 2.1's internal loader; use 'memfd' or 'stream'")
    if method == "memfd" and not sys.platform.startswith("linux"):
        raise _errors.NotSupportedError("method='memfd' exists on Linux only; use 'stream'")
    return method


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
    method: str | None = None,
    server=None,
) -> Any:
    """What `torch.load(plaintext, weights_only=True)` returns, decrypted in memory.

    `path` is a path, the sealed bytes, or a binary file object (`open(f, "rb")`, `io.BytesIO`),
    read from its current position, as `torch.load` accepts. `method` picks how the plaintext
    reaches torch: "mapped", "memfd" or "stream" (see the module documentation); by default the
    fastest this torch and platform allow. `path` may also be the article's Fernet file
    (`save_encrypted_model` output) with its key (docs/PYTHON.md). A sealed `.safetensors` file gives
    what `safetensors.torch.load_file` gives (each tensor in memory of its own, decrypted straight into
    it; `method` applies to torch.save files only); a sealed folder
    (`modelseal seal` of a folder) gives every weight shard's tensors in one dict, after its set
    manifest was checked (docs/LARGE-MODELS.md). `server=URL` takes the key from the vendor's key server this
    machine activated with (`modelseal activate --server URL --token-file FILE`; docs/SERVER.md §Client).

    A model that `torch.load(weights_only=True)` refuses raises `ModelFormatError` (status 53); a
    file that decrypts to something other than a PyTorch checkpoint raises `ModelFormatError` (50).
    """
    import torch

    keys = dict(key=key, identity=identity, passphrase=passphrase, trust=trust, license=license)
    if server is not None:
        _server.check_arguments(server, keys)
    path = _readable_source(path)

    # server= is a license: the plaintext switch never applies with it.
    if plain_allowed(force_plain, trust, license if server is None else server) and not is_sealed(path):
        log.warning(
            "modelseal: LOADING AN UNSEALED MODEL (%s) because %s; development only, never in production",
            path if not isinstance(path, (bytes, bytearray, memoryview)) else "<bytes>",
            "force_plain=True" if force_plain else f"{PLAIN_VARIABLE}=1",
        )
        source = io.BytesIO(path) if isinstance(path, (bytes, bytearray, memoryview)) else path
        return torch.load(source, map_location=map_location, weights_only=True)
    if _folder.is_sealed_folder(path):
        if server is not None:
            _server.refuse_folder(server, path)
        return _load_folder(path, keys, map_location, method)
    name = "<bytes>" if isinstance(path, (bytes, bytearray, memoryview)) else os.fspath(path)
    started = time.perf_counter()
    with _ffi.SealedFile(path) as sealed:
        opened = time.perf_counter()
        # Unlocking runs every check that needs no chunk: license and runtime guards, header MAC,
        # signatures (always, when present) and trust; chunks are checked against the signed list
        # while they are decrypted, and torch sees nothing of a file that fails.
        with _server.keyring(sealed, keys, server) as ring:
            sealed.unlock(ring)
        return _load_unlocked(sealed, name, map_location, method, (started, opened))


def _load_unlocked(sealed: _ffi.SealedFile, name: str, map_location, method: str | None, timings) -> Any:
    """The plaintext of an unlocked sealed file as torch.load (or, for safetensors, load_file) returns it;
    `timings` is (started, opened) for the log."""
    import torch

    method = choose_method(method)
    started, opened = timings
    # The contract is authentic now (header MAC, signatures): check it against this interpreter.
    tolerated = sealed.check_environment(sys.executable)
    if tolerated:
        log.warning("modelseal: the environment differs from the model's contract (policy allows it):\n%s", tolerated)
    unlocked = time.perf_counter()
    size = sealed.plaintext_length()
    # A safetensors plaintext (what its first bytes say, read through verified random access): every tensor
    # gets memory of its own from torch's allocator, decrypted straight into it, each chunk once.
    if _looks_like_safetensors(_probe(sealed, size), size):
        result = _safetensors.read_state_dict(sealed, _safetensors.Header(sealed.safetensors_header()), map_location)
        method, decrypted = "tensor by tensor", time.perf_counter()
    else:
        result, decrypted = _load_checkpoint(torch, sealed, name, map_location, method, size)
    done = time.perf_counter()
    log.info(
        "modelseal: loaded %s (%d bytes) via %s: read %.1f ms, verify %.1f ms, decrypt %.1f ms, deserialize %.1f ms",
        name,
        size,
        method,
        (opened - started) * 1e3,
        (unlocked - opened) * 1e3,
        (decrypted - unlocked) * 1e3,
        (done - decrypted) * 1e3,
    )
    return result


def _probe(sealed: _ffi.SealedFile, size: int) -> bytes:
    """The plaintext's first bytes, enough to recognise safetensors; empty for the article's Fernet files,
    which have no random access (status 51) and hold torch.save checkpoints."""
    try:
        return bytes(sealed.read_at(0, min(SAFETENSORS_PROBE, size)))
    except _errors.Error as error:
        if error.status == 51:
            return b""
        raise


def _load_checkpoint(torch, sealed: _ffi.SealedFile, name: str, map_location, method: str, size: int):
    """A torch.save plaintext through `method`; returns what torch.load returns and when decryption ended."""
    if method == "memfd":
        descriptor = sealed.decrypt_to_memfd("modelseal:" + os.path.basename(name))
    else:
        buffer = _anonymous_buffer(size)
        sealed.decrypt_into(buffer)
    decrypted = time.perf_counter()
    try:
        if method == "memfd":
            try:
                _require_checkpoint(os.pread(descriptor, len(ZIP_MAGIC), 0), name)
                result = _load_memfd(torch, descriptor, map_location)
            finally:
                os.close(descriptor)
        elif method == "mapped":
            _require_checkpoint(bytes(buffer[: len(ZIP_MAGIC)]), name)
            result = _load_mapped(torch, buffer, map_location)
        else:
            try:
                _require_checkpoint(bytes(buffer[: len(ZIP_MAGIC)]), name)
                result = torch.load(ReadintoStream(buffer), map_location=map_location, weights_only=True)
            finally:
                del buffer
    except pickle.UnpicklingError as error:
        raise _errors.ModelFormatError(
            f"{name}: decrypted and authenticated, but torch.load(weights_only=True) refused it: the checkpoint "
            f"needs code to load (a pickled class or function; ship model.state_dict() instead): {error}",
            NOT_WEIGHTS_ONLY,
        ) from None
    return result, decrypted


def _load_folder(path, keys: dict, map_location, method: str | None) -> dict:
    """Every tensor of a sealed folder's weight files, merged into one state_dict (names must not repeat)."""
    state: dict = {}
    with _folder.Folder(path, **keys) as folder:
        names = folder.weight_names()
        if not names:
            raise _errors.ModelFormatError(f"{os.fspath(path)}: the sealed folder holds no weight files", 50)
        for name in names:
            started = time.perf_counter()
            with folder.open_member(name) as sealed:
                part = _load_unlocked(sealed, name, map_location, method, (started, time.perf_counter()))
            if not isinstance(part, dict):
                raise _errors.ModelFormatError(f"{name} is not a state_dict: load it on its own", 50)
            repeated = state.keys() & part.keys()
            if repeated:
                raise _errors.ModelFormatError(f"{name} repeats tensors of another shard: {sorted(repeated)[:3]}", 50)
            state.update(part)
    return state


#: Bytes read to recognise a safetensors plaintext: the header length and its first byte.
SAFETENSORS_PROBE = 9


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    """An 8-byte little-endian header length that fits the file, then '{' (what safetensors writes)."""
    if len(head) < SAFETENSORS_PROBE or head[8:9] != b"{":
        return False
    return 0 < int.from_bytes(head[:8], "little") <= size - 8


#: First bytes of a zip-format checkpoint (torch >= 1.6) and of a legacy one (a pickle, protocol 2+).
ZIP_MAGIC = b"PK\x03\x04"
PICKLE_PROTOCOL = 0x80
#: Status of a model that is not weights-only (the scanner's code, docs/CLI.md).
NOT_WEIGHTS_ONLY = 53


def _readable_source(source):
    """A path or the sealed bytes: file objects (binary, as `torch.load` takes them) are read whole
    from their current position (the bytes are ciphertext: nothing secret is copied)."""
    if isinstance(source, (str, bytes, bytearray, memoryview, os.PathLike)) or not hasattr(source, "read"):
        return source
    if isinstance(source, io.BytesIO):
        data = source.getvalue()[source.tell() :]
    else:
        data = source.read()
    if isinstance(data, str):
        raise _errors.UsageError("the file object is in text mode: open it with open(path, 'rb')")
    if not isinstance(data, (bytes, bytearray)):
        raise _errors.UsageError(f"{type(source).__name__}.read() returned {type(data).__name__}, not bytes")
    return bytes(data)


def _require_checkpoint(head: bytes, name: str) -> None:
    """Refuses plaintext that is not a PyTorch checkpoint before torch misreads it (torch's own
    message for, say, a text file is `KeyError: 101`)."""
    if len(head) == 0:
        raise _errors.ModelFormatError(f"{name}: decrypted and authenticated, but empty: not a PyTorch checkpoint")
    if head.startswith(ZIP_MAGIC) or head[0] == PICKLE_PROTOCOL:
        return
    raise _errors.ModelFormatError(
        f"{name}: decrypted and authenticated, but not a PyTorch checkpoint (it starts with {head[:4]!r}; "
        "torch.save writes a zip file): `modelseal open -o - FILE` gives other content to other readers"
    )


def _anonymous_buffer(size: int):
    """Private anonymous memory for the plaintext. Its pages are faulted in by the library's decryption
    workers, each just before it decrypts a chunk into them (MADV_POPULATE_WRITE), so on every core at once.

    No MADV_HUGEPAGE: with the kernel's usual `defrag=madvise`, asking for huge pages makes every fault
    compact memory first, which on a machine whose RAM is mostly page cache cost 4-14 s for 4 GiB against
    1.5-2 s without; and even when free 2 MiB blocks were there, ResNet-50 loaded slower with them
    (docs/BENCHMARKS.md §Faulting in the destination)."""
    if size == 0:
        return bytearray()
    return _mmap.mmap(-1, size, flags=_mmap.MAP_PRIVATE | _mmap.MAP_ANONYMOUS)


def _load_mapped(torch, buffer, map_location) -> Any:
    """torch.load(weights_only=True) over a buffer, tensors as views of it (what mmap=True does
    with a file), through torch's internal zip loader."""
    import pickle

    import torch.serialization as serialization

    stream = ReadintoStream(buffer)
    if len(buffer) == 0 or not serialization._is_zipfile(stream):
        # Legacy (pre-1.6) checkpoints are not zip files and cannot be viewed in place.
        stream.seek(0)
        return torch.load(stream, map_location=map_location, weights_only=True)
    storage = torch.frombuffer(buffer, dtype=torch.uint8).untyped_storage()
    with serialization._open_zipfile_reader(stream) as archive:
        if serialization._is_torchscript_zip(archive):
            raise pickle.UnpicklingError("a TorchScript archive cannot be loaded with weights_only=True")
        try:
            return serialization._load(
                archive,
                map_location,
                serialization._weights_only_unpickler,
                overall_storage=storage,
                weights_only=True,
                encoding="utf-8",
            )
        except pickle.UnpicklingError as error:
            explain = getattr(serialization, "_get_wo_message", None)
            raise pickle.UnpicklingError(explain(str(error)) if explain else str(error)) from None


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
