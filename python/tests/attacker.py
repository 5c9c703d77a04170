"""An independent implementation of the parts of spec/CONTAINER.md a co-recipient needs to forge.

Used by the security regression tests (issue 13) to act as the attacker: someone who holds the file
key (every recipient does) re-encrypts chunks with valid tags and re-MACs headers. Nothing here calls
modelseal; it is written from the spec with `cryptography`, so the tests check the spec's claims.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89MSEAL\r\n"
TRAILER_MAGIC = b"MSEALSIG"


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt or None, info=info).derive(ikm)


def raw_key(text: str) -> bytes:
    """A raw key from its text (base64url, as Fernet.generate_key() prints)."""
    return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))


@dataclass
class Sealed:
    data: bytearray
    header_length: int
    suite: int
    chunk_size: int
    payload_salt: bytes
    stanzas: list  # (type, body)
    extensions: list  # (type, body)
    trailer_length: int  # including its 12-byte framing, 0 without a trailer

    @classmethod
    def parse(cls, data: bytes) -> "Sealed":
        assert data[:8] == MAGIC
        suite, chunk_log2 = data[9], data[10]
        (header_length,) = struct.unpack(">I", data[12:16])
        salt = bytes(data[16:48])
        position = 49
        stanzas = []
        for _ in range(data[48]):
            kind = data[position]
            (length,) = struct.unpack(">H", data[position + 1 : position + 3])
            stanzas.append((kind, bytes(data[position + 3 : position + 3 + length])))
            position += 3 + length
        extensions = []
        count = data[position]
        position += 1
        for _ in range(count):
            kind, length = struct.unpack(">HI", data[position : position + 6])
            extensions.append((kind, bytes(data[position + 6 : position + 6 + length])))
            position += 6 + length
        assert position + 32 == header_length
        trailer = 0
        if data[-8:] == TRAILER_MAGIC:
            (body,) = struct.unpack(">I", data[-12:-8])
            trailer = body + 12
        return cls(bytearray(data), header_length, suite, 1 << chunk_log2, salt, stanzas, extensions, trailer)

    def file_key(self, key: bytes) -> bytes:
        """Unwraps the first raw-key stanza (type 0x01) with `key`."""
        for kind, body in self.stanzas:
            if kind == 1:
                wrap = hkdf(key, body[:32], b"modelseal/v1 raw-key")
                return AESGCM(wrap).decrypt(bytes(12), body[32:], b"modelseal/v1 raw-key")
        raise ValueError("no raw-key stanza")

    @property
    def payload(self) -> bytes:
        return bytes(self.data[self.header_length : len(self.data) - self.trailer_length])

    def chunk_span(self, index: int) -> tuple[int, int]:
        sealed = self.chunk_size + 16
        start = self.header_length + index * sealed
        end = min(start + sealed, len(self.data) - self.trailer_length)
        return start, end

    @property
    def chunk_count(self) -> int:
        sealed = self.chunk_size + 16
        return -(-len(self.payload) // sealed)

    def aead(self, file_key: bytes):
        payload_key = hkdf(file_key, self.payload_salt, b"modelseal/v1 payload")
        return AESGCM(payload_key) if self.suite == 1 else ChaCha20Poly1305(payload_key)

    def nonce(self, index: int) -> bytes:
        return index.to_bytes(11, "big") + (b"\x01" if index == self.chunk_count - 1 else b"\x00")

    def forged_chunk(self, file_key: bytes, index: int, plaintext: bytes) -> bytes:
        """Chunk `index` sealed anew with valid tags: what any key holder can write."""
        return self.aead(file_key).encrypt(self.nonce(index), plaintext, None)

    def decrypt_chunk(self, file_key: bytes, index: int) -> bytes:
        start, end = self.chunk_span(index)
        return self.aead(file_key).decrypt(self.nonce(index), bytes(self.data[start:end]), None)

    def header_bytes(self, extensions=None, file_key: bytes | None = None) -> bytes:
        """The header re-encoded with `extensions` and re-MACed with `file_key`."""
        extensions = self.extensions if extensions is None else extensions
        body = bytearray(self.data[:49])
        for kind, stanza in self.stanzas:
            body += struct.pack(">BH", kind, len(stanza)) + stanza
        body.append(len(extensions))
        for kind, extension in extensions:
            body += struct.pack(">HI", kind, len(extension)) + extension
        body[12:16] = struct.pack(">I", len(body) + 32)
        header_key = hkdf(file_key, b"", b"modelseal/v1 header")
        return bytes(body) + hmac.new(header_key, bytes(body), hashlib.sha256).digest()
