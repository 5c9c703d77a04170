"""`save`: `torch.save` into memory, then seal in Swift; the plaintext never touches a disk."""
from __future__ import annotations

import io
import logging
import os
import time
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

from . import _errors, _ffi, _keys

log = logging.getLogger("modelseal")


def save(
    obj: Any,
    path,
    *,
    recipients=None,
    key=None,
    passphrase: str | None = None,
    sign_key=None,
    sign_key_passphrase: str | None = None,
    overwrite: bool = False,
    chunk_log2: int = 0,
    scrypt_log2n: int = 0,
) -> None:
    """Seals `torch.save(obj)` to `path` for every recipient, key and passphrase given (else `$MODEL_KEY`)."""
    import torch

    if isinstance(obj, torch.nn.Module):
        warnings.warn(
            "modelseal.save was given a whole nn.Module: that pickles its class and code, and "
            "modelseal.load (weights_only=True) will refuse it. Ship model.state_dict() instead",
            UserWarning,
            stacklevel=2,
        )
    started = time.perf_counter()
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    serialized = time.perf_counter()
    with _keys.sealing_keyring(recipients=recipients, key=key, passphrase=passphrase, scrypt_log2n=scrypt_log2n) as ring:
        if sign_key is not None:
            # Signed as by `modelseal seal --sign-key`: the file then refuses to open without the signature.
            # A `pkcs11:` URI names a key on a token (module and PIN from the environment, as for the CLI).
            ring.set_signing_key_file(os.fsdecode(os.fspath(sign_key)), sign_key_passphrase)
        with buffer.getbuffer() as view:
            try:
                _ffi.seal_buffer(view, ring, os.fspath(path), replace=overwrite, chunk_log2=chunk_log2)
            except _errors.OutputError as error:
                # The library speaks the command line's language ("pass --force"); this is Python.
                raise type(error)(str(error).replace("pass --force", "pass overwrite=True"), error.status) from None
    log.info(
        "modelseal: sealed %s (%d bytes): serialize %.1f ms, seal %.1f ms",
        os.fspath(path),
        buffer.getbuffer().nbytes,
        (serialized - started) * 1e3,
        (time.perf_counter() - serialized) * 1e3,
    )
