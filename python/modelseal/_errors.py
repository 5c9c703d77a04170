"""The exception table: one class per status code of the shared table (docs/CLI.md).

The same codes are the CLI's exit codes and the C library's status codes; python/tests checks that
this table and the library's `modelseal_status_name` agree for every code.
"""
from __future__ import annotations


class Error(Exception):
    """Base class of every ModelSeal failure; `status` is the shared status code."""

    status = 1

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class InternalError(Error):
    """A bug in ModelSeal: please report it."""

    status = 1


class WrongKeyError(Error):
    """None of the given keys opens the file."""

    status = 10


class TamperedFileError(Error):
    """The header MAC or a chunk failed to authenticate: tampered, corrupted, reordered or cut at a chunk boundary."""

    status = 11


class TruncatedFileError(TamperedFileError):
    """The file ends inside its header or inside a chunk's tag."""

    status = 12


class FormatError(Error):
    """Not a ModelSeal file, a malformed header, or an unsupported version, suite or critical extension."""

    status = 13


class InvalidKeyError(Error, ValueError):
    """Bad key text, unset key variable, invalid identity or recipients file, empty passphrase."""

    status = 14


class UnsafeParametersError(FormatError):
    """The file asks for scrypt costs over the caps: refused before any work."""

    status = 15


class InputError(Error, OSError):
    """The input is missing, a directory, unreadable, or changed while read."""

    status = 16


class OutputError(Error, OSError):
    """The output exists, is a directory, or cannot be written."""

    status = 17


class UsageError(Error, ValueError):
    """The library was called wrongly (bad argument, closed handle)."""

    status = 64


class SignatureError(Error):
    """Signature missing, invalid, or by an untrusted key (codes 20-29)."""

    status = 20


class LicenseError(Error):
    """License missing, expired, revoked, or for another machine (codes 30-39)."""

    status = 30


class ModelFormatError(FormatError):
    """A model file (PyTorch, safetensors, NumPy) malformed, unsupported, refused for conversion, or flagged by
    `modelseal scan` (53 not weights-only, 54 dangerous, 55 cannot scan) (codes 50-59)."""

    status = 50


class EnvironmentMismatchError(Error):
    """The environment does not match the model's contract (codes 40-49)."""

    status = 40


class NotSupportedError(Error, NotImplementedError):
    """A feature this version does not have yet (signatures, licenses)."""

    status = 64


class NotActivatedError(LicenseError):
    """server=: this machine has not activated with that key server (`modelseal activate --server URL
    --token-file FILE`)."""

    status = 30


class ServerRefusedError(LicenseError):
    """server=: the key server refused the release; `code` is its error code (docs/SERVER.md §Errors) and
    `http_status` the HTTP status. The cached lease for the file was deleted."""

    status = 30
    code = ""
    http_status = 0


class LicenseRevokedError(ServerRefusedError):
    """server=: the vendor revoked the license (or this machine)."""


class LicenseExpiredError(ServerRefusedError):
    """server=: the license expired."""

    status = 31


class OverQuotaError(ServerRefusedError):
    """server=: the license's loads are used up."""

    status = 35


class ServerUnreachableError(InputError):
    """server=: no answer from the key server, and no cached lease that still runs (the message says when
    it ran out)."""


class ServerPinError(SignatureError):
    """server=: the https server presented another TLS key than the one pinned at activation."""

    status = 22


class ServerUnreachableWarning(UserWarning):
    """server=: the key server did not answer, the cached lease was used; `lease_expires_at` (Unix seconds)
    and `lease_seconds_left` say how long it still runs."""

    lease_expires_at: int | None = None
    lease_seconds_left: int | None = None


#: Exact codes, then reserved ranges: what `error_for_status` maps.
BY_STATUS: dict[int, type[Error]] = {
    cls.status: cls
    for cls in (
        InternalError,
        WrongKeyError,
        TamperedFileError,
        TruncatedFileError,
        FormatError,
        InvalidKeyError,
        UnsafeParametersError,
        InputError,
        OutputError,
        UsageError,
    )
}
RESERVED_RANGES: tuple[tuple[range, type[Error]], ...] = (
    (range(20, 30), SignatureError),
    (range(30, 40), LicenseError),
    (range(40, 50), EnvironmentMismatchError),
    (range(50, 60), ModelFormatError),
)


def class_for_status(status: int) -> type[Error]:
    """The exception class of a status code (`Error` for unknown codes)."""
    if status in BY_STATUS:
        return BY_STATUS[status]
    for codes, cls in RESERVED_RANGES:
        if status in codes:
            return cls
    return Error


def error_for_status(status: int, message: str) -> Error:
    """An exception instance for a failed call."""
    return class_for_status(status)(message, status)
