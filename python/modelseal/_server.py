"""`server=`: a sealed file's key released by the vendor's key server (docs/SERVER.md §Client).

HTTP is spoken here, with the standard library (http.client); every rule of the protocol is the
library's, the CLI's own (`modelseal open --server`): the library signs the request with this
machine's activation, verifies the answer (server signature, nonce, file, machine), opens the wrapped
file key with the machine key and keeps it in the keyring: the key never reaches Python. A cached
release is used only when the server does not answer, while its lease runs (with a
`ServerUnreachableWarning`); any HTTP refusal deletes it.

https servers are authenticated by their pin alone (`tls_spki_sha256` of the activation): the SHA-256
of the leaf certificate's SubjectPublicKeyInfo, whatever CA signed it, checked before the request is
sent.
"""
from __future__ import annotations

import hmac
import http.client
import json
import logging
import ssl
import time
import warnings

from . import _errors, _ffi, _keys

log = logging.getLogger("modelseal")

#: Largest answer read (the library refuses more).
MAXIMUM_ANSWER = 1 << 20
#: Seconds to wait for the server, as the CLI does.
TIMEOUT = 30


class _Unreachable(Exception):
    """No answer from the server: the reason, for the message."""


def check_arguments(server, keys: dict) -> None:
    """server= is the key: the other key arguments are refused with it."""
    given = [name for name in ("key", "identity", "passphrase", "license") if keys.get(name) is not None]
    if given:
        raise _errors.UsageError(f"server= gives the key: drop {', '.join(name + '=' for name in given)}")
    if not isinstance(server, str):
        raise _errors.UsageError(f"server= takes the server's URL as text, not {type(server).__name__}")


def refuse_folder(server, path) -> None:
    raise _errors.NotSupportedError(
        f"server= opens one sealed file; {path} is a sealed folder, which needs key=, identity= or license= "
        "(docs/SERVER.md \u00a7Missing in this build)")


def keyring(sealed: _ffi.SealedFile, keys: dict, server) -> _ffi.Keyring:
    """The keyring that unlocks `sealed`: from the key arguments, or the key `server` releases."""
    if server is None:
        return _keys.opening_keyring(**keys)
    check_arguments(server, keys)
    ring = _keys.trust_keyring(keys.get("trust"))
    try:
        with _ffi.ServerRequest(sealed, server) as request:
            _release(request, ring, server)
    except BaseException:
        ring.close()
        raise
    return ring


def _release(request: _ffi.ServerRequest, ring: _ffi.Keyring, server: str) -> None:
    spec = json.loads(_classified(request, request.http))
    try:
        status, body = send(spec)
    except _Unreachable as reason:
        _classified(request, lambda: request.add_unreachable(ring, str(reason)))
        _warn_if_cached(request)
        return
    _classified(request, lambda: request.add_answer(ring, status, body))


def _classified(request: _ffi.ServerRequest, call):
    """Runs `call`, raising a failure as its `server=` exception class."""
    try:
        return call()
    except _errors.Error as error:
        failure = json.loads(request.result()).get("failure") or {}
        raise _exception(failure, error) from None


def _exception(failure: dict, error: _errors.Error) -> _errors.Error:
    kind, message, status = failure.get("kind"), str(error), error.status
    if kind == "unreachable":
        return _errors.ServerUnreachableError(message, status)
    if kind == "not_activated":
        return _errors.NotActivatedError(message, status)
    if kind != "refused":
        return error
    code = failure.get("code", "")
    cls = {
        "revoked": _errors.LicenseRevokedError,
        "machine_revoked": _errors.LicenseRevokedError,
        "expired": _errors.LicenseExpiredError,
        "over_quota": _errors.OverQuotaError,
    }.get(code, _errors.ServerRefusedError)
    refused = cls(message, status)
    refused.code, refused.http_status = code, failure.get("http_status", 0)
    return refused


def _warn_if_cached(request: _ffi.ServerRequest) -> None:
    result = json.loads(request.result())
    if not result.get("note"):
        return
    warning = _errors.ServerUnreachableWarning("modelseal: " + result["note"])
    warning.lease_expires_at = result.get("lease_expires_at")
    if warning.lease_expires_at is not None:
        warning.lease_seconds_left = max(0, warning.lease_expires_at - int(time.time()))
    log.warning("%s", warning)
    warnings.warn(warning, stacklevel=5)


def send(spec: dict, timeout: float = TIMEOUT) -> tuple[int, bytes]:
    """Sends the library's request (modelseal_server_request_http); returns (status, body), raises
    `_Unreachable` when no answer came back and `ServerPinError` when an https server's key is not the pin."""
    host, port = spec["host"], spec["port"]
    connection = _connection(spec, timeout)
    try:
        try:
            connection.connect()
        except OSError as error:
            raise _Unreachable(f"cannot connect to {host}:{port}: {error.strerror or error}") from None
        if spec["scheme"] == "https":
            check_pin(connection.sock.getpeercert(binary_form=True), spec.get("tls_spki_sha256"), f"{host}:{port}")
        headers = dict(spec["headers"], **{"Content-Type": "application/json", "User-Agent": "modelseal-python"})
        connection.request(spec["method"], spec["target"], body=spec["body"].encode("utf-8"), headers=headers)
        response = connection.getresponse()
        body = response.read(MAXIMUM_ANSWER + 1)
        if len(body) > MAXIMUM_ANSWER:
            raise _errors.FormatError(f"the answer from {host}:{port} is over 1 MiB: not a key release", 13)
        return response.status, body
    except (OSError, http.client.HTTPException) as error:
        raise _Unreachable(f"no answer from {host}:{port}: {error}") from None
    finally:
        connection.close()


def _connection(spec: dict, timeout: float) -> http.client.HTTPConnection:
    if spec["scheme"] == "http":
        return http.client.HTTPConnection(spec["host"], spec["port"], timeout=timeout)
    if spec["scheme"] != "https":
        raise _errors.UsageError(f"the server's scheme {spec['scheme']!r} is neither http nor https")
    return http.client.HTTPSConnection(spec["host"], spec["port"], timeout=timeout, context=pinning_context())


def pinning_context() -> ssl.SSLContext:
    """TLS 1.2+ without CA or host name checks: the pin (`check_pin`) is what authenticates the server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def check_pin(certificate: bytes | None, pin: str | None, where: str) -> None:
    """Refuses a server whose leaf certificate's key is not the one pinned at activation."""
    if not pin:
        raise _errors.ServerPinError(
            f"the activation with {where} has no TLS pin (tls_spki_sha256): activate again over https "
            "(`modelseal activate --server URL --token-file FILE`)", 22)
    if not certificate:
        raise _errors.ServerPinError(f"{where} presented no TLS certificate", 22)
    actual = _ffi.tls_spki_sha256(certificate)
    if not hmac.compare_digest(actual, pin.lower()):
        raise _errors.ServerPinError(
            f"{where} presented TLS key sha256:{actual}, not the key pinned at activation (sha256:{pin.lower()}): "
            "someone may be between this machine and the server; if the vendor replaced the server's key, "
            "activate again", 22)
