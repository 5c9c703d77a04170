"""ctypes bindings of libmodelseal_c.so (the C ABI in modelseal.h, bundled in this package).

`FUNCTIONS` is the binding table; python/tests/test_python_abi.py checks it against the header.
Loading sets SWIFT_BACKTRACE=enable=no for the duration of the dlopen (the Swift runtime reads it
when it initialises), so a trap inside the library can never start the Swift backtracer in this
process; the library is built to validate every argument so that no input reaches a trap.
"""
from __future__ import annotations

import ctypes
import os
import pathlib
import threading

from . import _errors

ABI_VERSION = 1
LIBRARY_NAME = "libmodelseal_c.so"

_c = ctypes
_handle = _c.c_void_p
_size = _c.c_size_t
_status = _c.c_int32

#: name -> (result type, argument types), in the header's order.
FUNCTIONS: dict[str, tuple[object, tuple[object, ...]]] = {
    "modelseal_abi_version": (_c.c_uint32, ()),
    "modelseal_version": (_c.c_char_p, ()),
    "modelseal_last_error": (_c.c_char_p, ()),
    "modelseal_status_name": (_c.c_char_p, (_c.c_int32,)),
    "modelseal_status_meaning": (_c.c_char_p, (_c.c_int32,)),
    "modelseal_keyring_new": (_status, (_c.POINTER(_handle),)),
    "modelseal_keyring_free": (None, (_handle,)),
    "modelseal_keyring_add_raw_key": (_status, (_handle, _c.c_char_p, _size)),
    "modelseal_keyring_add_raw_key_env": (_status, (_handle, _c.c_char_p)),
    "modelseal_keyring_add_key_file": (_status, (_handle, _c.c_char_p)),
    "modelseal_keyring_add_passphrase": (_status, (_handle, _c.c_char_p, _size, _c.c_int32)),
    "modelseal_keyring_add_identity_file": (_status, (_handle, _c.c_char_p)),
    "modelseal_keyring_add_identity": (_status, (_handle, _c.c_char_p, _size)),
    "modelseal_keyring_add_recipient": (_status, (_handle, _c.c_char_p, _size)),
    "modelseal_keyring_add_recipients_file": (_status, (_handle, _c.c_char_p)),
    "modelseal_keyring_add_trust_key": (_status, (_handle, _c.c_char_p, _size)),
    "modelseal_keyring_add_trust_file": (_status, (_handle, _c.c_char_p)),
    "modelseal_keyring_add_trust_store": (_status, (_handle, _c.c_char_p)),
    "modelseal_keyring_set_signing_key_file": (_status, (_handle, _c.c_char_p, _c.c_char_p)),
    "modelseal_keyring_set_license_file": (_status, (_handle, _c.c_char_p)),
    "modelseal_seal_buffer": (_status, (_c.c_void_p, _size, _handle, _c.c_char_p, _c.c_uint32, _c.c_uint32)),
    "modelseal_file_open": (_status, (_c.c_char_p, _c.POINTER(_handle))),
    "modelseal_file_open_memory": (_status, (_c.c_void_p, _size, _c.POINTER(_handle))),
    "modelseal_file_close": (None, (_handle,)),
    "modelseal_file_unlock": (_status, (_handle, _handle)),
    "modelseal_file_plaintext_length": (_status, (_handle, _c.POINTER(_c.c_uint64))),
    "modelseal_file_verify": (_status, (_handle,)),
    "modelseal_file_decrypt_into": (_status, (_handle, _c.c_void_p, _size)),
    "modelseal_file_decrypt": (_status, (_handle, _c.POINTER(_c.c_void_p), _c.POINTER(_size))),
    "modelseal_buffer_free": (None, (_c.c_void_p,)),
    "modelseal_file_check_environment": (_status, (_handle, _c.c_char_p, _c.POINTER(_c.c_void_p))),
    "modelseal_file_decrypt_to_memfd": (_status, (_handle, _c.c_char_p, _c.c_uint32, _c.POINTER(_c.c_int32))),
    "modelseal_file_read_at": (_status, (_handle, _c.c_uint64, _c.c_void_p, _size)),
    "modelseal_file_read_extents": (_status, (_handle, _c.POINTER(_c.c_uint64), _c.POINTER(_c.c_void_p),
                                              _c.POINTER(_size), _size)),
    "modelseal_file_safetensors_header": (_status, (_handle, _c.POINTER(_c.c_void_p), _c.POINTER(_size))),
    "modelseal_folder_open": (_status, (_c.c_char_p, _handle, _c.POINTER(_handle))),
    "modelseal_folder_close": (None, (_handle,)),
    "modelseal_folder_manifest": (_status, (_handle, _c.POINTER(_c.c_void_p), _c.POINTER(_size))),
    "modelseal_folder_open_member": (_status, (_handle, _c.c_char_p, _c.POINTER(_handle))),
    "modelseal_folder_read_clear": (_status, (_handle, _c.c_char_p, _c.POINTER(_c.c_void_p), _c.POINTER(_size))),
    "modelseal_server_request_new": (_status, (_handle, _c.c_char_p, _c.POINTER(_handle))),
    "modelseal_server_request_free": (None, (_handle,)),
    "modelseal_server_request_http": (_status, (_handle, _c.POINTER(_c.c_void_p), _c.POINTER(_size))),
    "modelseal_keyring_add_server_answer": (_status, (_handle, _handle, _c.c_int32, _c.c_void_p, _size)),
    "modelseal_keyring_add_server_unreachable": (_status, (_handle, _handle, _c.c_char_p)),
    "modelseal_server_request_result": (_status, (_handle, _c.POINTER(_c.c_void_p), _c.POINTER(_size))),
    "modelseal_tls_spki_sha256": (_status, (_c.c_void_p, _size, _c.c_char_p, _size)),
}

SEAL_REPLACE = 1
MEMFD_INHERITABLE = 1

_lock = threading.Lock()
_library: ctypes.CDLL | None = None


def library_path() -> pathlib.Path:
    """The bundled library, or the one named by MODELSEAL_LIBRARY (development builds)."""
    override = os.environ.get("MODELSEAL_LIBRARY")
    return pathlib.Path(override) if override else pathlib.Path(__file__).with_name(LIBRARY_NAME)


def lib() -> ctypes.CDLL:
    """The loaded library (loaded once, on first use)."""
    global _library
    if _library is not None:
        return _library
    with _lock:
        if _library is None:
            _library = _load(library_path())
    return _library


def _load(path: pathlib.Path) -> ctypes.CDLL:
    previous = os.environ.get("SWIFT_BACKTRACE")
    os.environ["SWIFT_BACKTRACE"] = "enable=no"
    try:
        library = ctypes.CDLL(str(path))
    except OSError as error:
        raise _errors.InternalError(f"cannot load {path}: {error} (reinstall the modelseal wheel)") from error
    finally:
        if previous is None:
            del os.environ["SWIFT_BACKTRACE"]
        else:
            os.environ["SWIFT_BACKTRACE"] = previous
    for name, (result, arguments) in FUNCTIONS.items():
        function = getattr(library, name)
        function.restype = result
        function.argtypes = arguments
    version = library.modelseal_abi_version()
    if version != ABI_VERSION:
        raise _errors.InternalError(f"{path} implements C ABI {version}, this package needs {ABI_VERSION}")
    return library


def check(status: int) -> None:
    """Raises the exception of a failed call, with the library's message for this thread."""
    if status != 0:
        message = lib().modelseal_last_error().decode("utf-8", "replace")
        raise _errors.error_for_status(status, message)


class Keyring:
    """A `modelseal_keyring` handle, freed on close (use as a context manager)."""

    def __init__(self) -> None:
        handle = _handle()
        check(lib().modelseal_keyring_new(ctypes.byref(handle)))
        self.handle = handle

    def close(self) -> None:
        if self.handle:
            lib().modelseal_keyring_free(self.handle)
            self.handle = _handle()

    def __enter__(self) -> "Keyring":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add_raw_key(self, text: bytes) -> None:
        check(lib().modelseal_keyring_add_raw_key(self.handle, text, len(text)))

    def add_raw_key_env(self, name: str) -> None:
        check(lib().modelseal_keyring_add_raw_key_env(self.handle, os.fsencode(name)))

    def add_key_file(self, path: str) -> None:
        check(lib().modelseal_keyring_add_key_file(self.handle, os.fsencode(path)))

    def add_passphrase(self, text: str, log2n: int = 0) -> None:
        data = text.encode("utf-8")
        check(lib().modelseal_keyring_add_passphrase(self.handle, data, len(data), log2n))

    def add_identity_file(self, path: str) -> None:
        check(lib().modelseal_keyring_add_identity_file(self.handle, os.fsencode(path)))

    def add_identity(self, text: str) -> None:
        data = text.encode("utf-8")
        check(lib().modelseal_keyring_add_identity(self.handle, data, len(data)))

    def add_recipient(self, text: str) -> None:
        data = text.encode("utf-8")
        check(lib().modelseal_keyring_add_recipient(self.handle, data, len(data)))

    def add_recipients_file(self, path: str) -> None:
        check(lib().modelseal_keyring_add_recipients_file(self.handle, os.fsencode(path)))

    def add_trust_key(self, text: str) -> None:
        data = text.encode("utf-8")
        check(lib().modelseal_keyring_add_trust_key(self.handle, data, len(data)))

    def add_trust_file(self, path: str) -> None:
        check(lib().modelseal_keyring_add_trust_file(self.handle, os.fsencode(path)))

    def add_trust_store(self, path: str) -> None:
        check(lib().modelseal_keyring_add_trust_store(self.handle, os.fsencode(path)))

    def set_signing_key_file(self, path: str, passphrase: "str | None" = None) -> None:
        secret = passphrase.encode("utf-8") if passphrase is not None else None
        check(lib().modelseal_keyring_set_signing_key_file(self.handle, os.fsencode(path), secret))

    def set_license_file(self, path: str) -> None:
        check(lib().modelseal_keyring_set_license_file(self.handle, os.fsencode(path)))


class SealedFile:
    """A `modelseal_file` handle over a path or over bytes, closed on close."""

    def __init__(self, source: "str | os.PathLike[str] | bytes | bytearray | memoryview | None", handle=None) -> None:
        if handle is not None:
            # A handle the library already opened (a sealed folder's member).
            self.handle = handle
            return
        handle = _handle()
        if isinstance(source, (bytes, bytearray, memoryview)):
            view = memoryview(source).cast("B")
            buffer = (ctypes.c_char * len(view)).from_buffer_copy(view) if view.readonly else (
                ctypes.c_char * len(view)).from_buffer(view)
            check(lib().modelseal_file_open_memory(buffer, len(view), ctypes.byref(handle)))
        else:
            check(lib().modelseal_file_open(os.fsencode(os.fspath(source)), ctypes.byref(handle)))
        self.handle = handle

    def close(self) -> None:
        if self.handle:
            lib().modelseal_file_close(self.handle)
            self.handle = _handle()

    def __enter__(self) -> "SealedFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def unlock(self, keyring: Keyring) -> None:
        check(lib().modelseal_file_unlock(self.handle, keyring.handle))

    def plaintext_length(self) -> int:
        length = ctypes.c_uint64()
        check(lib().modelseal_file_plaintext_length(self.handle, ctypes.byref(length)))
        return length.value

    def verify(self) -> None:
        check(lib().modelseal_file_verify(self.handle))

    def check_environment(self, python: str) -> str:
        """Checks the unlocked file's environment contract against `python` (an interpreter or prefix).

        Raises `EnvironmentMismatchError` when the contract's policy forbids a difference; returns the
        tolerated differences as text ("" when none or when the file has no contract)."""
        report = ctypes.c_void_p()
        check(lib().modelseal_file_check_environment(self.handle, os.fsencode(python), ctypes.byref(report)))
        try:
            return ctypes.string_at(report.value).decode("utf-8", "replace") if report.value else ""
        finally:
            if report.value:
                lib().modelseal_buffer_free(report)

    def decrypt_into(self, buffer: bytearray | memoryview) -> None:
        view = memoryview(buffer).cast("B")
        target = (ctypes.c_char * len(view)).from_buffer(view)
        check(lib().modelseal_file_decrypt_into(self.handle, target, len(view)))

    def read_into(self, offset: int, buffer) -> None:
        """Plaintext bytes [offset, offset + len(buffer)) into `buffer`, decrypting only the chunks that hold
        them, each verified (and compared with its signed hash) first; zeroed on failure."""
        view = memoryview(buffer).cast("B")
        if len(view) == 0:
            return
        target = (ctypes.c_char * len(view)).from_buffer(view)
        check(lib().modelseal_file_read_at(self.handle, offset, target, len(view)))

    def safetensors_header(self) -> bytes:
        """The checked safetensors header as JSON (see modelseal.h)."""
        return _library_bytes(lambda out, length: lib().modelseal_file_safetensors_header(self.handle, out, length))

    def read_into_address(self, offset: int, address: int, count: int) -> None:
        """Like `read_into`, into `count` bytes of memory at `address` (a tensor's storage)."""
        if count:
            check(lib().modelseal_file_read_at(self.handle, offset, address, count))

    def read_extents(self, extents) -> None:
        """Verified plaintext bytes into several memories in one call, each chunk opened once: `extents` is
        a sequence of (offset, address, count) (modelseal_file_read_extents)."""
        count = len(extents)
        offsets = (_c.c_uint64 * count)(*(offset for offset, _, _ in extents))
        addresses = (_c.c_void_p * count)(*(address for _, address, _ in extents))
        lengths = (_size * count)(*(length for _, _, length in extents))
        check(lib().modelseal_file_read_extents(self.handle, offsets, addresses, lengths, count))

    def read_at(self, offset: int, count: int) -> bytearray:
        """`count` verified plaintext bytes from `offset`."""
        buffer = bytearray(count)
        self.read_into(offset, buffer)
        return buffer

    def decrypt(self) -> bytes:
        """The plaintext as `bytes` (through a library-owned buffer, freed here)."""
        pointer = ctypes.c_void_p()
        length = _size()
        check(lib().modelseal_file_decrypt(self.handle, ctypes.byref(pointer), ctypes.byref(length)))
        try:
            return ctypes.string_at(pointer, length.value)
        finally:
            lib().modelseal_buffer_free(pointer)

    def decrypt_to_memfd(self, name: str, inheritable: bool = False) -> int:
        """A new sealed memfd holding the plaintext; the caller closes it."""
        descriptor = ctypes.c_int32(-1)
        flags = MEMFD_INHERITABLE if inheritable else 0
        check(lib().modelseal_file_decrypt_to_memfd(self.handle, name.encode(), flags, ctypes.byref(descriptor)))
        return descriptor.value


def seal_buffer(data, keyring: Keyring, path: str, replace: bool = False, chunk_log2: int = 0) -> None:
    """Seals the bytes of a buffer (read in place, not copied) to the ring's recipients into `path`."""
    view = memoryview(data).cast("B")
    if view.readonly:
        # bytes: ctypes passes a pointer to its storage; the library only reads it during the call.
        source = ctypes.c_char_p(data if isinstance(data, bytes) else bytes(view))
    else:
        source = (ctypes.c_char * len(view)).from_buffer(view)
    pointer = ctypes.cast(source, ctypes.c_void_p)
    flags = SEAL_REPLACE if replace else 0
    check(lib().modelseal_seal_buffer(pointer, len(view), keyring.handle, os.fsencode(path), chunk_log2, flags))


def _library_bytes(call) -> bytes:
    """Calls `call(out_pointer, out_length)` and returns the library buffer's bytes (freed here)."""
    pointer = ctypes.c_void_p()
    length = _size()
    check(call(ctypes.byref(pointer), ctypes.byref(length)))
    try:
        return ctypes.string_at(pointer, length.value) if length.value else b""
    finally:
        lib().modelseal_buffer_free(pointer)


class SealedFolder:
    """A `modelseal_folder` handle: a sealed model folder whose set manifest was opened and checked."""

    def __init__(self, path, keyring: Keyring) -> None:
        handle = _handle()
        check(lib().modelseal_folder_open(os.fsencode(os.fspath(path)), keyring.handle, ctypes.byref(handle)))
        self.handle = handle

    def close(self) -> None:
        if self.handle:
            lib().modelseal_folder_close(self.handle)
            self.handle = _handle()

    def __enter__(self) -> "SealedFolder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def manifest(self) -> bytes:
        """The verified manifest's canonical JSON (spec/FOLDERS.md)."""
        return _library_bytes(lambda out, length: lib().modelseal_folder_manifest(self.handle, out, length))

    def open_member(self, name: str) -> SealedFile:
        """The sealed member `name`, checked against the manifest and unlocked."""
        handle = _handle()
        check(lib().modelseal_folder_open_member(self.handle, name.encode("utf-8"), ctypes.byref(handle)))
        return SealedFile(None, handle=handle)

    def read_clear(self, name: str) -> bytes:
        """The clear member `name`, checked against its hash."""
        encoded = name.encode("utf-8")
        return _library_bytes(lambda out, length: lib().modelseal_folder_read_clear(self.handle, encoded, out, length))


class ServerRequest:
    """A `modelseal_server_request` handle: one signed key-release request for one sealed file."""

    def __init__(self, sealed: SealedFile, url: str) -> None:
        handle = _handle()
        check(lib().modelseal_server_request_new(sealed.handle, url.encode("utf-8"), ctypes.byref(handle)))
        self.handle = handle

    def close(self) -> None:
        if self.handle:
            lib().modelseal_server_request_free(self.handle)
            self.handle = _handle()

    def __enter__(self) -> "ServerRequest":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def http(self) -> bytes:
        """The request to send, as JSON (modelseal.h)."""
        return _library_bytes(lambda out, length: lib().modelseal_server_request_http(self.handle, out, length))

    def add_answer(self, ring: Keyring, status: int, body: bytes) -> None:
        """The server's answer: the released key into `ring`, or the refusal raised."""
        check(lib().modelseal_keyring_add_server_answer(ring.handle, self.handle, status, body, len(body)))

    def add_unreachable(self, ring: Keyring, reason: str) -> None:
        """No answer: the cached release into `ring` while its lease runs, or the failure raised."""
        check(lib().modelseal_keyring_add_server_unreachable(ring.handle, self.handle, reason.encode("utf-8")))

    def result(self) -> bytes:
        """The outcome as JSON: note, lease_expires_at, failure (modelseal.h)."""
        return _library_bytes(lambda out, length: lib().modelseal_server_request_result(self.handle, out, length))


def tls_spki_sha256(der: bytes) -> str:
    """The TLS pin of a DER certificate: hex SHA-256 of its SubjectPublicKeyInfo."""
    out = ctypes.create_string_buffer(65)
    check(lib().modelseal_tls_spki_sha256(der, len(der), out, len(out)))
    return out.value.decode("ascii")
