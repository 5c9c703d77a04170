"""`safe_open`: `safetensors.safe_open`'s surface over a sealed safetensors file, by verified random access.

The header is read and checked by the library's safetensors reader (through `modelseal_file_read_at`);
`get_tensor` and `get_slice(...)[...]` decrypt only the chunks that hold the bytes they return, each
authenticated (and compared with its signed hash) before a byte reaches Python (docs/LARGE-MODELS.md).
"""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from . import _errors, _ffi, _server

if TYPE_CHECKING:
    from typing import Any

#: safetensors dtype names -> torch dtype attribute names.
DTYPES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "U16": "uint16", "F16": "float16",
    "BF16": "bfloat16", "I32": "int32", "U32": "uint32", "F32": "float32", "F64": "float64", "I64": "int64",
    "U64": "uint64", "C64": "complex64", "F8_E5M2": "float8_e5m2", "F8_E4M3": "float8_e4m3fn",
    "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2FNUZ": "float8_e5m2fnuz", "F8_E8M0": "float8_e8m0fnu",
}


def torch_dtype(name: str):
    import torch

    attribute = DTYPES.get(name)
    dtype = getattr(torch, attribute, None) if attribute else None
    if dtype is None:
        raise _errors.NotSupportedError(f"safetensors dtype {name} has no torch dtype in this torch version")
    return dtype


class Header:
    """A checked safetensors header: tensors by name with absolute plaintext byte ranges."""

    def __init__(self, text: bytes) -> None:
        document = json.loads(text)
        self.data_offset: int = document["data_offset"]
        self.metadata: dict[str, str] | None = document["metadata"]
        self.order: list[str] = [entry["name"] for entry in document["tensors"]]
        self.tensors: dict[str, dict] = {entry["name"]: entry for entry in document["tensors"]}

    def entry(self, name: str) -> dict:
        try:
            return self.tensors[name]
        except KeyError:
            raise KeyError(f"no tensor named {name!r} in the sealed file") from None


def read_state_dict(sealed: _ffi.SealedFile, header: Header, map_location=None) -> dict:
    """Every tensor of an unlocked sealed safetensors file in file order (what `safetensors.torch.load_file`
    returns), each in memory of its own from torch's allocator, all decrypted (verified) in one library call
    that opens each chunk once; `map_location` as torch.load takes a device."""
    import torch

    tensors, extents = {}, []
    for name in header.order:
        entry = header.tensors[name]
        tensors[name] = tensor = torch.empty(entry["shape"], dtype=torch_dtype(entry["dtype"]))
        if entry["end"] > entry["begin"]:
            extents.append((entry["begin"], tensor.untyped_storage().data_ptr(), entry["end"] - entry["begin"]))
    sealed.read_extents(extents)
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        tensors = {name: tensor.to(map_location) for name, tensor in tensors.items()}
    return tensors


def read_tensor(sealed: _ffi.SealedFile, entry: dict):
    """A new tensor holding `entry`'s bytes, decrypted (verified) straight into its storage."""
    import torch

    dtype = torch_dtype(entry["dtype"])
    tensor = torch.empty(entry["shape"], dtype=dtype)
    length = entry["end"] - entry["begin"]
    if length:
        sealed.read_into_address(entry["begin"], tensor.untyped_storage().data_ptr(), length)
    return tensor


class SlicedTensor:
    """What `get_slice` returns: shape and dtype without reading, `[...]` reads only what it needs."""

    def __init__(self, sealed: _ffi.SealedFile, entry: dict) -> None:
        self._sealed = sealed
        self._entry = entry

    def get_shape(self) -> list[int]:
        return list(self._entry["shape"])

    def get_dtype(self) -> str:
        return self._entry["dtype"]

    def __len__(self) -> int:
        shape = self._entry["shape"]
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __getitem__(self, index):
        shape = self._entry["shape"]
        rows = _leading_rows(index, shape)
        if rows is None:
            return read_tensor(self._sealed, self._entry)[index]
        # Only the rows the index touches along the first dimension: one contiguous byte range.
        start, stop, rest = rows
        row_bytes = (self._entry["end"] - self._entry["begin"]) // shape[0] if shape[0] else 0
        part = dict(self._entry, shape=[stop - start, *shape[1:]], begin=self._entry["begin"] + start * row_bytes,
                    end=self._entry["begin"] + stop * row_bytes)
        return read_tensor(self._sealed, part)[rest]


def _leading_rows(index, shape):
    """For an index whose first item is an int or a step-1 slice: (start, stop, the index into those rows)."""
    if not shape:
        return None
    items = index if isinstance(index, tuple) else (index,)
    if not items or any(item is Ellipsis or item is None for item in items[:1]):
        return None
    first = items[0]
    if isinstance(first, int):
        position = first + shape[0] if first < 0 else first
        if not 0 <= position < shape[0]:
            raise IndexError(f"index {first} is out of bounds for dimension 0 with size {shape[0]}")
        return position, position + 1, (0, *items[1:])
    if isinstance(first, slice):
        start, stop, step = first.indices(shape[0])
        if step != 1:
            return None
        stop = max(start, stop)
        return start, stop, (slice(None), *items[1:])
    return None


class SafeOpen:
    """`modelseal.safe_open(path, framework="pt", ...)`: see the module documentation."""

    def __init__(self, path, framework: str = "pt", device: str = "cpu", *, key=None, identity=None,
                 passphrase: str | None = None, trust=None, license=None, server=None,
                 _sealed: _ffi.SealedFile | None = None):
        if framework not in ("pt", "torch", "pytorch"):
            raise _errors.NotSupportedError(f"framework={framework!r}: modelseal.safe_open gives torch tensors ('pt')")
        self._device = device
        if _sealed is not None:
            self._sealed = _sealed
        else:
            self._sealed = _ffi.SealedFile(os.fspath(path))
            try:
                keys = dict(key=key, identity=identity, passphrase=passphrase, trust=trust, license=license)
                with _server.keyring(self._sealed, keys, server) as ring:
                    self._sealed.unlock(ring)
            except BaseException:
                self._sealed.close()
                raise
        try:
            self._header = Header(self._sealed.safetensors_header())
        except BaseException:
            self._sealed.close()
            raise

    def __enter__(self) -> "SafeOpen":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._sealed.close()

    def keys(self) -> list[str]:
        return sorted(self._header.tensors)

    def offset_keys(self) -> list[str]:
        return list(self._header.order)

    def metadata(self) -> dict[str, str] | None:
        return dict(self._header.metadata) if self._header.metadata is not None else None

    def get_tensor(self, name: str):
        tensor = read_tensor(self._sealed, self._header.entry(name))
        return tensor if self._device in (None, "cpu") else tensor.to(self._device)

    def get_slice(self, name: str) -> SlicedTensor:
        return SlicedTensor(self._sealed, self._header.entry(name))

    def entries(self) -> list[dict]:
        """Every tensor's name, dtype, shape and plaintext byte range, in file order."""
        return [self._header.tensors[name] for name in self._header.order]


def safe_open(path, framework: str = "pt", device: str = "cpu", *, key=None, identity=None,
              passphrase: str | None = None, trust=None, license=None, server=None) -> SafeOpen:
    """A sealed `.safetensors` file opened for verified random access, with `safetensors.safe_open`'s
    surface: `keys()`, `metadata()`, `get_tensor(name)`, `get_slice(name)[...]`. Key arguments as for
    `modelseal.load`. Only the chunks a tensor spans are decrypted."""
    return SafeOpen(path, framework, device, key=key, identity=identity, passphrase=passphrase, trust=trust,
                    license=license, server=server)
