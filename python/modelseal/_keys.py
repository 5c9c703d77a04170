"""Key arguments of `save` / `load` -> a keyring, with the article's `MODEL_KEY` as the default."""
from __future__ import annotations

import os
from . import _errors, _ffi

#: The article's variable: Fernet key text (`Fernet.generate_key()`), a ModelSeal raw key.
DEFAULT_KEY_VARIABLE = "MODEL_KEY"
IDENTITY_PREFIX = "MODELSEAL-SECRET-KEY-1"
RECIPIENT_PREFIX = "modelseal1"


def _many(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes, bytearray, os.PathLike)):
        return [value]
    return list(value)


def _raw_key(ring: _ffi.Keyring, key) -> None:
    if isinstance(key, (bytes, bytearray)) and len(key) == 32:
        raise _errors.InvalidKeyError(
            "key= takes key text (base64url, as Fernet.generate_key() prints), not 32 raw bytes: "
            "pass base64.urlsafe_b64encode(raw)"
        )
    ring.add_raw_key(key.encode("ascii", "replace") if isinstance(key, str) else bytes(key))


#: The trust store (docs/SIGNING.md "Trust store"): a key file or a folder of key files.
TRUST_VARIABLE = "MODELSEAL_TRUST"


def trust_store() -> str | None:
    """The trust store's path: `$MODELSEAL_TRUST` (which must exist), else `~/.config/modelseal/trust`
    when it exists, else None. Found here, not in the library: the C ABI never reads HOME."""
    configured = os.environ.get(TRUST_VARIABLE)
    if configured:
        if not os.path.exists(configured):
            raise _errors.SignatureError(f"trust store {configured} (from ${TRUST_VARIABLE}) does not exist", 23)
        return configured
    home = os.environ.get("HOME")
    if not home:
        return None
    default = os.path.join(home, ".config", "modelseal", "trust")
    return default if os.path.exists(default) else None


def check_trust_argument(trust) -> None:
    """`trust=[]` would trust nobody and `trust=True` means nothing: both are refused."""
    if trust is True:
        raise _errors.UsageError("trust=True: pass public keys (text or files), or trust=False to accept unsigned files")
    if trust is not None and trust is not False and not _many(trust):
        raise _errors.UsageError(
            "trust=[] trusts nobody: pass the vendor's public key(s), or trust=False to accept files no trusted "
            "key signed (a co-recipient could have made them)"
        )


def trust_keyring(trust=None) -> _ffi.Keyring:
    """A keyring holding only the trust keys of `trust` (see `opening_keyring`)."""
    check_trust_argument(trust)
    ring = _ffi.Keyring()
    try:
        if trust is None:
            store = trust_store()
            if store is not None:
                ring.add_trust_store(store)
        for item in _many(trust if trust is not False else None):
            text = os.fspath(item)
            if isinstance(text, str) and ("-----BEGIN" in text or text.lstrip().startswith(("ssh-", "ecdsa-sha2-"))):
                ring.add_trust_key(text)
            else:
                ring.add_trust_file(os.fsdecode(text))
    except BaseException:
        ring.close()
        raise
    return ring


def opening_keyring(key=None, identity=None, passphrase: str | None = None, trust=None, license=None) -> _ffi.Keyring:
    """Identities to open with: `key` (text), `identity` (file path or text), `passphrase`; else `$MODEL_KEY`.

    `trust`: public keys (PEM/OpenSSH text or key files) one of which must have signed the file; None
    (the default) uses the trust store when there is one; False accepts files no trusted key signed.
    `license`: a machine-bound license file, used instead of keys (its vendor's signature is always required).
    """
    ring = trust_keyring(trust)
    try:
        if license is not None:
            if key is not None or identity is not None or passphrase is not None:
                raise _errors.UsageError("license= is the key: drop key=, identity= and passphrase=")
            ring.set_license_file(os.fsdecode(os.fspath(license)))
            return ring
        for item in _many(key):
            _raw_key(ring, item)
        for item in _many(identity):
            text = os.fspath(item)
            if isinstance(text, str) and text.strip().startswith(IDENTITY_PREFIX):
                ring.add_identity(text.strip())
            else:
                ring.add_identity_file(os.fsdecode(text))
        if passphrase is not None:
            ring.add_passphrase(passphrase)
        if key is None and identity is None and passphrase is None:
            if not os.environ.get(DEFAULT_KEY_VARIABLE):
                raise _errors.InvalidKeyError(
                    f"no key: pass key=, identity= or passphrase=, or set {DEFAULT_KEY_VARIABLE} "
                    "(the Fernet key text the article uses)"
                )
            ring.add_raw_key_env(DEFAULT_KEY_VARIABLE)
    except BaseException:
        ring.close()
        raise
    return ring


def sealing_keyring(recipients=None, key=None, passphrase: str | None = None, scrypt_log2n: int = 0) -> _ffi.Keyring:
    """Recipients to seal to: `recipients` (modelseal1... texts or recipients files), `key`, `passphrase`;
    else `$MODEL_KEY`."""
    ring = _ffi.Keyring()
    try:
        for item in _many(recipients):
            text = os.fspath(item)
            if isinstance(text, str) and text.strip().startswith(RECIPIENT_PREFIX):
                ring.add_recipient(text.strip())
            else:
                ring.add_recipients_file(os.fsdecode(text))
        for item in _many(key):
            _raw_key(ring, item)
        if passphrase is not None:
            ring.add_passphrase(passphrase, scrypt_log2n)
        if recipients is None and key is None and passphrase is None:
            if not os.environ.get(DEFAULT_KEY_VARIABLE):
                raise _errors.InvalidKeyError(
                    f"no recipient: pass recipients=, key= or passphrase=, or set {DEFAULT_KEY_VARIABLE}"
                )
            ring.add_raw_key_env(DEFAULT_KEY_VARIABLE)
    except BaseException:
        ring.close()
        raise
    return ring

