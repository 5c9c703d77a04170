#!/usr/bin/env python3
"""Container test vectors for ModelSeal, from an independent implementation of spec/CONTAINER.md.

This file is a second implementation of spec/CONTAINER.md §1–§7 and spec/SIGNATURES.md written
from the documents alone (not from the Swift sources): a sealer with hooks to break one rule at a
time, and an opener that classifies every failure the way the vectors' `expect:` lines do. Each
vector is checked against this opener before it is written, so a vector whose bytes do not break
the rule its name claims (or break another one too) fails the generator instead of landing. A
bare § number, here and in the vectors' `comment:` lines, is a section of spec/CONTAINER.md.

Output: one file per case in the target folder (age testkit style): `key: value` preamble
lines, one empty line, then the sealed file's bytes to the end. Deterministic: every "random"
value comes from SHA-256 of a fixed label, so re-running reproduces byte-identical files.

Only the `cryptography` package is used for primitives. HPKE (RFC 9180 base mode,
DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM) and Bech32 (BIP 173) are written here
by hand; HPKE is checked against RFC 9180 Appendix A.1.1 on every run.

Usage: gen-container-vectors.py OUTPUT_DIR
"""

import base64
import hashlib
import os
import struct
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# --- spec/CONTAINER.md and spec/SIGNATURES.md constants -------------------------------------

MAGIC = b"\x89MSEAL\r\n"  # §2
VERSION = 1
SUITE_AES = 0x01  # AES-256-GCM
SUITE_CHACHA = 0x02  # ChaCha20-Poly1305
FIXED_LENGTH = 49  # §2: magic .. stanza_count
MAC_LENGTH = 32
MIN_HEADER_LENGTH = 83
MAX_HEADER_LENGTH = 4 * 1024 * 1024
MIN_CHUNK_LOG2, MAX_CHUNK_LOG2 = 16, 24
MAX_STANZAS = 64
MAX_STANZA_BODY = 4096
MAX_EXTENSIONS = 32
CRITICAL_BIT = 0x8000
TAG_LENGTH = 16

STANZA_RAW_KEY, STANZA_SCRYPT, STANZA_X25519 = 0x01, 0x02, 0x03
STANZA_LICENSE = 0x04  # spec/LICENSING.md: opened only through a license, so no vector opens one here
STANZA_BODY_LENGTH = {STANZA_RAW_KEY: 80, STANZA_SCRYPT: 83, STANZA_X25519: 80, STANZA_LICENSE: 80}
LABEL_RAW_KEY = b"modelseal/v1 raw-key"
LABEL_SCRYPT = b"modelseal/v1 scrypt"
INFO_X25519 = b"modelseal/v1 x25519-hpke"
ZERO_NONCE = bytes(12)

EXT_SEALED_METADATA = 0x0001
SIGNATURE_REQUIRED = 0x8003  # spec/SIGNATURES.md §4
IMPLEMENTED_EXTENSIONS = {EXT_SEALED_METADATA, SIGNATURE_REQUIRED}
LABEL_METADATA = b"modelseal/v1 sealed-metadata"
MAX_METADATA_ENTRIES, MAX_METADATA_KEY, MAX_METADATA_VALUE = 256, 64, 1 << 20
METADATA_KEY_BYTES = set(b"abcdefghijklmnopqrstuvwxyz0123456789-")

TRAILER_MAGIC = b"MSEALSIG"  # spec/SIGNATURES.md

SCRYPT_CAPS = dict(log2_n=(10, 20), r=(1, 32), p=(1, 16), memory=1 << 30, work=1 << 26)

# --- primitives ----------------------------------------------------------------------------


def hkdf(ikm, salt, info, length=32):
    """HKDF-SHA256; an empty salt is RFC 5869's default (HashLen zero bytes)."""
    return HKDF(hashes.SHA256(), length, salt or None, info).derive(ikm)


def hmac_sha256(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def aead(suite, key):
    return {SUITE_AES: AESGCM, SUITE_CHACHA: ChaCha20Poly1305}[suite](key)


def scrypt(passphrase, salt, log2_n, r, p):
    return Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(passphrase)


# --- §1 key schedule -----------------------------------------------------------------------


def header_key(file_key):
    return hkdf(file_key, b"", b"modelseal/v1 header")


def payload_key(file_key, payload_salt):
    return hkdf(file_key, payload_salt, b"modelseal/v1 payload")


def metadata_key(file_key):
    return hkdf(file_key, b"", b"modelseal/v1 sealed-metadata")


# --- HPKE, RFC 9180 base mode --------------------------------------------------------------


def i2osp(n, length):
    return n.to_bytes(length, "big")


def labeled_extract(suite_id, salt, label, ikm):
    return hmac_sha256(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id, prk, label, info, length):
    labeled_info = i2osp(length, 2) + b"HPKE-v1" + suite_id + label + info
    return HKDFExpand(hashes.SHA256(), length, labeled_info).derive(prk)


KEM_SUITE_ID = b"KEM" + i2osp(0x0020, 2)


def hpke_suite_id(aead_id):
    return b"HPKE" + i2osp(0x0020, 2) + i2osp(0x0001, 2) + i2osp(aead_id, 2)


def kem_shared_secret(dh, enc, pk_r):
    eae_prk = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE_ID, eae_prk, b"shared_secret", enc + pk_r, 32)


def hpke_key_schedule(shared_secret, info, aead_id, nk):
    """Base mode (0x00): psk and psk_id empty. Returns (key, base_nonce)."""
    suite_id = hpke_suite_id(aead_id)
    psk_id_hash = labeled_extract(suite_id, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite_id, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(suite_id, shared_secret, b"secret", b"")
    key = labeled_expand(suite_id, secret, b"key", context, nk)
    base_nonce = labeled_expand(suite_id, secret, b"base_nonce", context, 12)
    return key, base_nonce


def public_bytes(private_bytes):
    return X25519PrivateKey.from_private_bytes(private_bytes).public_key().public_bytes_raw()


def hpke_seal(pk_r, sk_e, info, aad, plaintext, aead_id=0x0002, nk=32):
    """SetupBaseS with a given ephemeral key, then one Seal (sequence 0: nonce = base_nonce)."""
    enc = public_bytes(sk_e)
    dh = X25519PrivateKey.from_private_bytes(sk_e).exchange(X25519PublicKey.from_public_bytes(pk_r))
    key, nonce = hpke_key_schedule(kem_shared_secret(dh, enc, pk_r), info, aead_id, nk)
    return enc, AESGCM(key).encrypt(nonce, plaintext, aad)


def hpke_open(sk_r, enc, info, aad, ciphertext):
    """SetupBaseR then one Open; None when anything fails (low-order enc, bad tag)."""
    try:
        dh = X25519PrivateKey.from_private_bytes(sk_r).exchange(X25519PublicKey.from_public_bytes(enc))
    except ValueError:
        return None  # all-zero DH output (RFC 9180 §7.1.4)
    key, nonce = hpke_key_schedule(kem_shared_secret(dh, enc, public_bytes(sk_r)), info, 0x0002, 32)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        return None


def check_hpke_against_rfc9180():
    """RFC 9180 A.1.1 (X25519, HKDF-SHA256, AES-128-GCM): same KEM and key schedule as ours."""
    h = bytes.fromhex
    sk_e = h("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
    pk_r = h("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
    info = h("4f6465206f6e2061204772656369616e2055726e")
    enc, ct = hpke_seal(
        pk_r, sk_e, info, h("436f756e742d30"), h("4265617574792069732074727574682c20747275746820626561757479"),
        aead_id=0x0001, nk=16)
    assert enc == h("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431")
    assert ct == h("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a")


# --- §7 Bech32 (BIP 173) -------------------------------------------------------------------

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    generators = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generators[i] if (top >> i) & 1 else 0
    return chk


def bech32_hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def convert_bits(data, from_bits, to_bits, pad):
    acc, bits, out = 0, 0, []
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & ((1 << to_bits) - 1))
    if pad and bits:
        out.append((acc << (to_bits - bits)) & ((1 << to_bits) - 1))
    elif not pad and (bits >= from_bits or (acc << (to_bits - bits)) & ((1 << to_bits) - 1)):
        raise ValueError("non-canonical bech32 padding")
    return out


def bech32_encode(hrp, data):
    words = convert_bits(data, 8, 5, True)
    polymod = bech32_polymod(bech32_hrp_expand(hrp) + words + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[w] for w in words + checksum)


def bech32_decode(text):
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed-case bech32")
    text = text.lower()
    hrp, _, rest = text.rpartition("1")
    words = [BECH32_CHARSET.index(c) for c in rest]
    if bech32_polymod(bech32_hrp_expand(hrp) + words) != 1:
        raise ValueError("bad bech32 checksum")
    return hrp, bytes(convert_bits(words[:-6], 5, 8, False))


def identity_text(private_bytes):
    return bech32_encode("modelseal-secret-key-", private_bytes).upper()


def recipient_text(private_bytes):
    return bech32_encode("modelseal", public_bytes(private_bytes))


def raw_key_text(raw_key):
    return base64.urlsafe_b64encode(raw_key).decode()


# --- deterministic "randomness" ------------------------------------------------------------


def det(label, length):
    """`length` bytes from SHA-256 in counter mode over a fixed label."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(b"modelseal container vectors/" + label.encode() + b"/" + i2osp(counter, 8)).digest()
        counter += 1
    return out[:length]


ALICE_RAW_KEY = det("alice raw key", 32)
BOB_RAW_KEY = det("bob raw key", 32)
ALICE_X25519 = det("alice x25519 identity", 32)
BOB_X25519 = det("bob x25519 identity", 32)
PASSPHRASE = "correct horse battery staple"
WRONG_PASSPHRASE = "correct horse battery stapler"

# --- the sealer, with hooks to break one rule at a time ------------------------------------


def chunk_nonce(index, last):
    return i2osp(index, 11) + bytes([1 if last else 0])


def split_plaintext(plaintext, chunk_size):
    """§5: chunks of exactly C, the last 1..=C bytes; one empty chunk for an empty plaintext."""
    if not plaintext:
        return [b""]
    return [plaintext[i:i + chunk_size] for i in range(0, len(plaintext), chunk_size)]


def encode_metadata(entries):
    """§6.1 map: entries are (key bytes, value bytes) pairs, written in the order given."""
    out = i2osp(len(entries), 2)
    for key, value in entries:
        out += bytes([len(key)]) + key + i2osp(len(value), 4) + value
    return out


class Sealer:
    """One sealed file. Fields are public so a case can break exactly one rule."""

    def __init__(self, case, suite=SUITE_AES, chunk_log2=16):
        self.case = case
        self.file_key = det(case + "/file key", 32)
        self.payload_salt = det(case + "/payload salt", 32)
        self.version, self.suite, self.chunk_log2, self.reserved = VERSION, suite, chunk_log2, 0
        self.magic = MAGIC
        self.stanzas = []  # (type, body)
        self.extensions = []  # (type, body)

    def _rand(self, label, length):
        return det(f"{self.case}/{label}/{len(self.stanzas)}", length)

    def add_raw_key(self, raw_key):
        salt = self._rand("raw-key salt", 32)
        wrap_key = hkdf(raw_key, salt, LABEL_RAW_KEY)
        self.stanzas.append((STANZA_RAW_KEY, salt + AESGCM(wrap_key).encrypt(ZERO_NONCE, self.file_key, LABEL_RAW_KEY)))
        return self

    def add_scrypt(self, passphrase, log2_n=10, r=8, p=1, written_as=None):
        """`written_as` puts other cost parameters in the body than the ones wrapped with."""
        salt = self._rand("scrypt salt", 32)
        wrap_key = scrypt(passphrase.encode(), LABEL_SCRYPT + salt, log2_n, r, p)
        wrapped = AESGCM(wrap_key).encrypt(ZERO_NONCE, self.file_key, LABEL_SCRYPT)
        self.stanzas.append((STANZA_SCRYPT, bytes(written_as or (log2_n, r, p)) + salt + wrapped))
        return self

    def add_x25519(self, identity_private_bytes):
        sk_e = self._rand("hpke ephemeral key", 32)
        enc, ct = hpke_seal(public_bytes(identity_private_bytes), sk_e, INFO_X25519, b"", self.file_key)
        self.stanzas.append((STANZA_X25519, enc + ct))
        return self

    def add_stanza(self, stanza_type, body):
        self.stanzas.append((stanza_type, body))
        return self

    def add_metadata(self, entries=None, map_bytes=None):
        plain = map_bytes if map_bytes is not None else encode_metadata(entries)
        sealed = AESGCM(metadata_key(self.file_key)).encrypt(ZERO_NONCE, plain, LABEL_METADATA)
        self.extensions.append((EXT_SEALED_METADATA, sealed))
        return self

    def add_extension(self, ext_type, body):
        self.extensions.append((ext_type, body))
        return self

    def header(self, header_length_delta=0, header_length=None, before_mac=b"", stanza_count=None,
               extension_count=None, stanza_lengths=None, extension_lengths=None, mac_key=None):
        body = b""
        for i, (stanza_type, stanza_body) in enumerate(self.stanzas):
            length = (stanza_lengths or {}).get(i, len(stanza_body))
            body += bytes([stanza_type]) + i2osp(length, 2) + stanza_body
        body += bytes([len(self.extensions) if extension_count is None else extension_count])
        for i, (ext_type, ext_body) in enumerate(self.extensions):
            length = (extension_lengths or {}).get(i, len(ext_body))
            body += i2osp(ext_type, 2) + i2osp(length, 4) + ext_body
        body += before_mac
        actual = FIXED_LENGTH + len(body) + MAC_LENGTH
        declared = (actual if header_length is None else header_length) + header_length_delta
        fixed = (self.magic + bytes([self.version, self.suite, self.chunk_log2, self.reserved])
                 + i2osp(declared, 4) + self.payload_salt
                 + bytes([len(self.stanzas) if stanza_count is None else stanza_count]))
        authenticated = fixed + body
        return authenticated + hmac_sha256(mac_key or header_key(self.file_key), authenticated)

    def chunks(self, plaintext, pieces=None, key=None, nonce=chunk_nonce, suite=None):
        """Sealed chunks; `pieces` overrides the split as (plaintext, is_last) pairs."""
        key = key or payload_key(self.file_key, self.payload_salt)
        if pieces is None:
            split = split_plaintext(plaintext, 1 << self.chunk_log2)
            pieces = [(piece, i == len(split) - 1) for i, piece in enumerate(split)]
        cipher = aead(suite or self.suite, key)
        return [cipher.encrypt(nonce(i, last), piece, b"") for i, (piece, last) in enumerate(pieces)]

    def seal(self, plaintext, **header_options):
        return self.header(**header_options) + b"".join(self.chunks(plaintext))


# --- the opener: spec/CONTAINER.md as a reader, with the vectors' outcome classes ----------


class Refused(Exception):
    def __init__(self, outcome, reason):
        super().__init__(f"{outcome}: {reason}")
        self.outcome = outcome
        self.reason = reason


def need(condition, outcome, reason):
    if not condition:
        raise Refused(outcome, reason)


def scrypt_parameters_safe(log2_n, r, p):
    caps = SCRYPT_CAPS
    return (caps["log2_n"][0] <= log2_n <= caps["log2_n"][1] and caps["r"][0] <= r <= caps["r"][1]
            and caps["p"][0] <= p <= caps["p"][1] and 128 * r * (1 << log2_n) <= caps["memory"]
            and (1 << log2_n) * r * p <= caps["work"])


def parse_header(data):
    """§2–§4 structure (no keys). Returns (fields dict, header_length)."""
    need(len(data) >= len(MAGIC) and data[:8] == MAGIC or len(data) < 8 and MAGIC.startswith(data),
         "malformed", "bad magic")
    need(len(data) > 0, "malformed", "an empty file is not a sealed file (§5)")
    need(len(data) >= 16, "truncated", "file ends inside the fixed header")
    version, suite, chunk_log2, reserved = data[8], data[9], data[10], data[11]
    need(version == VERSION, "unsupported", f"version {version}")
    need(suite in (SUITE_AES, SUITE_CHACHA), "unsupported", f"suite {suite}")
    need(MIN_CHUNK_LOG2 <= chunk_log2 <= MAX_CHUNK_LOG2, "malformed", f"chunk_log2 {chunk_log2}")
    need(reserved == 0, "malformed", "reserved byte")
    (header_length,) = struct.unpack(">I", data[12:16])
    need(MIN_HEADER_LENGTH <= header_length <= MAX_HEADER_LENGTH, "malformed", f"header_length {header_length}")
    need(header_length <= len(data), "truncated", "file ends inside the header")
    header = data[:header_length]
    end = header_length - MAC_LENGTH
    pos = FIXED_LENGTH

    def take(n, what):
        nonlocal pos
        need(pos + n <= end, "malformed", f"{what} runs past header_length")
        out = header[pos:pos + n]
        pos += n
        return out

    stanza_count = header[48]
    need(1 <= stanza_count <= MAX_STANZAS, "malformed", f"stanza_count {stanza_count}")
    stanzas = []
    for _ in range(stanza_count):
        stanza_type = take(1, "stanza type")[0]
        (length,) = struct.unpack(">H", take(2, "stanza length"))
        need(length <= MAX_STANZA_BODY, "malformed", f"stanza body {length} > 4096")
        body = take(length, "stanza body")
        if stanza_type in STANZA_BODY_LENGTH:
            need(length == STANZA_BODY_LENGTH[stanza_type], "malformed", f"stanza {stanza_type} body {length}")
        stanzas.append((stanza_type, body))
    need(sum(1 for t, _ in stanzas if t == STANZA_SCRYPT) <= 1, "malformed", "two scrypt stanzas")
    extension_count = take(1, "extension_count")[0]
    need(extension_count <= MAX_EXTENSIONS, "malformed", f"extension_count {extension_count}")
    extensions = []
    for _ in range(extension_count):
        (ext_type,) = struct.unpack(">H", take(2, "extension type"))
        need(not extensions or ext_type > extensions[-1][0], "malformed", "extension types not increasing")
        (length,) = struct.unpack(">I", take(4, "extension length"))
        extensions.append((ext_type, take(length, "extension body")))
    need(pos == end, "malformed", f"{end - pos} bytes between the extensions and the MAC")
    for ext_type, body in extensions:
        need(not ext_type & CRITICAL_BIT or ext_type in IMPLEMENTED_EXTENSIONS, "unsupported",
             f"critical extension {ext_type:#06x}")
        if ext_type == SIGNATURE_REQUIRED:
            need(len(body) >= 1 and 1 <= body[0] <= 16 and len(body) == 1 + 32 * body[0], "malformed",
                 "signature-required must hold 1..16 key ids of 32 bytes (spec/SIGNATURES.md §4)")
    fields = dict(suite=suite, chunk_log2=chunk_log2, payload_salt=header[16:48], stanzas=stanzas,
                  extensions=extensions, authenticated=header[:end], mac=header[end:])
    return fields, header_length


def unwrap(identity, stanzas):
    kind, secret = identity
    for stanza_type, body in stanzas:
        if kind == "key" and stanza_type == STANZA_RAW_KEY:
            try:
                wrap_key = hkdf(secret, body[:32], LABEL_RAW_KEY)
                return AESGCM(wrap_key).decrypt(ZERO_NONCE, body[32:], LABEL_RAW_KEY)
            except InvalidTag:
                continue
        if kind == "passphrase" and stanza_type == STANZA_SCRYPT:
            log2_n, r, p = body[0], body[1], body[2]
            need(scrypt_parameters_safe(log2_n, r, p), "unsafe parameters", f"scrypt {log2_n} {r} {p}")
            wrap_key = scrypt(secret.encode(), LABEL_SCRYPT + body[3:35], log2_n, r, p)
            try:
                return AESGCM(wrap_key).decrypt(ZERO_NONCE, body[35:], LABEL_SCRYPT)
            except InvalidTag:
                continue
        if kind == "identity" and stanza_type == STANZA_X25519:
            file_key = hpke_open(secret, body[:32], INFO_X25519, b"", body[32:])
            if file_key is not None:
                return file_key
    return None


def open_metadata(file_key, body):
    try:
        plain = AESGCM(metadata_key(file_key)).decrypt(ZERO_NONCE, body, LABEL_METADATA)
    except (InvalidTag, ValueError):
        raise Refused("header failure", "sealed metadata does not authenticate")
    need(len(plain) >= 2, "malformed", "metadata shorter than entry_count")
    (count,) = struct.unpack(">H", plain[:2])
    need(count <= MAX_METADATA_ENTRIES, "malformed", "too many metadata entries")
    pos, entries, previous = 2, {}, None
    for _ in range(count):
        need(pos + 1 <= len(plain), "malformed", "metadata ends early")
        key_length = plain[pos]
        need(1 <= key_length <= MAX_METADATA_KEY and pos + 1 + key_length + 4 <= len(plain), "malformed", "key")
        key = plain[pos + 1:pos + 1 + key_length]
        need(set(key) <= METADATA_KEY_BYTES, "malformed", "metadata key not [a-z0-9-]")
        need(previous is None or key > previous, "malformed", "metadata keys not strictly increasing")
        pos += 1 + key_length
        (value_length,) = struct.unpack(">I", plain[pos:pos + 4])
        need(value_length <= MAX_METADATA_VALUE and pos + 4 + value_length <= len(plain), "malformed", "value")
        value = plain[pos + 4:pos + 4 + value_length]
        try:
            entries[key.decode()] = value.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("malformed", "metadata value not UTF-8")
        pos += 4 + value_length
        previous = key
    need(pos == len(plain), "malformed", "bytes after the last metadata entry")
    return entries


def open_file(data, identities):
    """Returns (plaintext, metadata dict) or raises Refused with the outcome class."""
    fields, header_length = parse_header(data)
    trailer_length = 0
    if len(data) - header_length >= 12 and data.endswith(TRAILER_MAGIC):
        # spec/SIGNATURES.md §3 framing only: signature checks are not part of these vectors yet.
        (body_length,) = struct.unpack(">I", data[-12:-8])
        need(body_length + 12 <= len(data) - header_length - TAG_LENGTH, "truncated", "T leaves no room for a chunk")
        need(body_length >= 10 and data[len(data) - 12 - body_length] == 1, "malformed",
             "trailer body too short or version not 1 (spec/SIGNATURES.md §3)")
        trailer_length = body_length + 12
    payload = data[header_length:len(data) - trailer_length]
    chunk_size = 1 << fields["chunk_log2"]
    sealed_size = chunk_size + TAG_LENGTH
    n = -(-len(payload) // sealed_size)
    need(n >= 1, "truncated", "no payload")
    last_length = len(payload) - (n - 1) * sealed_size
    need(last_length > TAG_LENGTH or (last_length == TAG_LENGTH and n == 1), "truncated", "last chunk too short")
    for identity in identities:
        file_key = unwrap(identity, fields["stanzas"])
        if file_key is None:
            continue
        mac = hmac.HMAC(header_key(file_key), hashes.SHA256())
        mac.update(fields["authenticated"])
        try:
            mac.verify(fields["mac"])  # constant time
        except InvalidSignature:
            raise Refused("header failure", "header MAC mismatch")
        break
    else:
        raise Refused("no match", "no identity opens a stanza")
    metadata = {}
    for ext_type, body in fields["extensions"]:
        if ext_type == EXT_SEALED_METADATA:
            metadata = open_metadata(file_key, body)
    cipher = aead(fields["suite"], payload_key(file_key, fields["payload_salt"]))
    plaintext = b""
    for i in range(n):
        chunk = payload[i * sealed_size:min((i + 1) * sealed_size, len(payload))]
        try:
            plaintext += cipher.decrypt(chunk_nonce(i, i == n - 1), chunk, b"")
        except InvalidTag:
            raise Refused("payload failure", f"chunk {i}")
    return plaintext, metadata


# --- the vectors ---------------------------------------------------------------------------

C = 1 << 16  # every vector uses 64 KiB chunks unless it tests chunk_log2
VECTORS = []


def plaintext_of(length, label="plaintext"):
    return det(label + f"/{length}", length)


def vector(name, expect, comment, data, identities, plaintext=None, metadata=None):
    VECTORS.append(dict(name=name, expect=expect, comment=comment, data=data, identities=identities,
                        plaintext=plaintext, metadata=metadata))


def raw(key=ALICE_RAW_KEY):
    return ("key", key)


def x25519(private_bytes=ALICE_X25519):
    return ("identity", private_bytes)


def passphrase(text=PASSPHRASE):
    return ("passphrase", text)


def simple(name, plaintext=b"", **options):
    """A file sealed to Alice's raw key with default settings."""
    return Sealer(name, **options).add_raw_key(ALICE_RAW_KEY)


def success(name, comment, sealer, plaintext, identities, metadata=None):
    vector(name, "success", comment, sealer.seal(plaintext), identities, plaintext, metadata)


def build_vectors():
    small = plaintext_of(1000)

    # Payload sizes (§5, §10).
    success("empty_plaintext", "an empty plaintext is one empty last chunk (§5, §10)",
            simple("empty_plaintext"), b"", [raw()])
    success("one_byte", "a 1-byte plaintext is one last chunk of 17 bytes (§5)", simple("one_byte"),
            b"\x2a", [raw()])
    for name, length in (("chunk_minus_one", C - 1), ("chunk_exact", C), ("chunk_plus_one", C + 1)):
        success(name, f"plaintext of {length} bytes with C = 65536 (§5, §10)", simple(name), plaintext_of(length),
                [raw()])
    success("many_chunks", "3 full chunks and a short last chunk; nonces count 0..3 (§5)", simple("many_chunks"),
            plaintext_of(3 * C + 1000), [raw()])
    success("chunk_log2_max", "chunk_log2 = 24 (16 MiB chunks) is the top of the range (§2)",
            simple("chunk_log2_max", chunk_log2=24), small, [raw()])
    success("chacha20_suite", "suite 0x02 ChaCha20-Poly1305, two chunks (§2, §5)",
            simple("chacha20_suite", suite=SUITE_CHACHA), plaintext_of(C + 500), [raw()])

    # Recipients (§3).
    success("x25519_recipient", "one x25519-hpke stanza, HPKE base mode (§3)",
            Sealer("x25519_recipient").add_x25519(ALICE_X25519), small, [x25519()])
    success("scrypt_recipient", "one scrypt stanza, log2_n = 10, r = 8, p = 1 (§3)",
            Sealer("scrypt_recipient").add_scrypt(PASSPHRASE), small, [passphrase()])
    all_kinds = (Sealer("multiple_recipients_all_kinds").add_raw_key(BOB_RAW_KEY).add_scrypt(PASSPHRASE)
                 .add_x25519(BOB_X25519).add_raw_key(ALICE_RAW_KEY).add_x25519(ALICE_X25519))
    for suffix, identity in (("", x25519()), ("_raw_key", raw()), ("_passphrase", passphrase())):
        success("multiple_recipients_all_kinds" + suffix,
                "raw-key, scrypt and x25519-hpke stanzas in one file; a scrypt stanza MAY sit beside others; "
                f"opened with the {identity[0]} (§3, §10)", all_kinds, small, [identity])
    success("multiple_identities_one_matches", "the opener tries every identity in turn; the third one matches (§3)",
            Sealer("multiple_identities_one_matches").add_x25519(ALICE_X25519), small,
            [x25519(BOB_X25519), raw(BOB_RAW_KEY), x25519()])
    success("unknown_stanza_type_beside_known",
            "unknown stanza type 0x44 is skipped; the raw-key one opens (§3, §10)",
            Sealer("unknown_stanza_type_beside_known").add_stanza(0x44, det("unknown stanza", 40))
            .add_raw_key(ALICE_RAW_KEY), small, [raw()])
    success("unknown_stanza_type_zero_beside_known", "stanza type 0x00 is unknown, skipped (§3)",
            Sealer("unknown_stanza_type_zero_beside_known").add_raw_key(ALICE_RAW_KEY).add_stanza(0x00, b""),
            small, [raw()])
    big_unknown = Sealer("stanza_body_max").add_stanza(0x7F, det("big stanza", MAX_STANZA_BODY))
    success("stanza_body_max", "an unknown stanza body of exactly 4096 bytes is allowed (§3)",
            big_unknown.add_raw_key(ALICE_RAW_KEY), small, [raw()])
    most = Sealer("stanza_count_max")
    for i in range(MAX_STANZAS - 1):
        most.add_stanza(0x40 + i % 12, b"")
    success("stanza_count_max", "64 stanzas (63 unknown, empty) is the cap (§2)", most.add_raw_key(ALICE_RAW_KEY),
            small, [raw()])

    # Extensions (§4, §6).
    success("unknown_noncritical_extension", "unknown non-critical extension 0x0100 is ignored (§4, §10)",
            simple("unknown_noncritical_extension").add_extension(0x0100, b"ignore me"), small, [raw()])
    success("reserved_noncritical_extension_ignored",
            "reserved non-critical 0x0002 (sealed-index) is not implemented in v1, so it is ignored (§4)",
            simple("reserved_noncritical_extension_ignored").add_extension(0x0002, det("index", 64)), small, [raw()])
    many_ext = simple("extension_count_max")
    for i in range(MAX_EXTENSIONS):
        many_ext.add_extension(0x0100 + i, b"")
    success("extension_count_max", "32 extensions is the cap (§4)", many_ext, small, [raw()])
    metadata = {"content-type": "pytorch-zip", "created-by": "modelseal vectors", "name": "model.pt"}
    entries = [(k.encode(), v.encode()) for k, v in sorted(metadata.items())]
    success("sealed_metadata_present", "sealed-metadata 0x0001 with name, content-type, created-by (§6.1)",
            simple("sealed_metadata_present").add_metadata(entries), small, [raw()], metadata)
    success("sealed_metadata_chacha20_suite",
            "sealed metadata is AES-256-GCM even when the payload suite is ChaCha20-Poly1305 (§6.1)",
            simple("sealed_metadata_chacha20_suite", suite=SUITE_CHACHA).add_metadata(entries), small, [raw()],
            metadata)
    unknown_key = [(b"name", b"model.pt"), (b"zz-future", b"x")]
    success("sealed_metadata_unknown_key", "readers ignore metadata keys they do not know (§6.1)",
            simple("sealed_metadata_unknown_key").add_metadata(unknown_key), small, [raw()],
            {"name": "model.pt", "zz-future": "x"})
    success("sealed_metadata_beside_unknown_extension", "sealed-metadata followed by unknown 0x0100 (§4, §6.1)",
            simple("sealed_metadata_beside_unknown_extension").add_metadata(entries).add_extension(0x0100, b"z"),
            small, [raw()], metadata)
    vector("raw_key_unpadded_text", "success", "the raw key as 43 base64url characters without '=' (§7)",
           simple("raw_key_unpadded_text").seal(small), [("key-unpadded", ALICE_RAW_KEY)], small)

    success("scrypt_over_cap_beside_raw_key",
            "a scrypt stanza over the caps is refused only when a passphrase tries it; the raw key opens (§3)",
            Sealer("scrypt_over_cap_beside_raw_key").add_scrypt(PASSPHRASE, written_as=(21, 8, 1))
            .add_raw_key(ALICE_RAW_KEY), small, [raw()])
    many_entries = [(f"k{i:03d}".encode(), b"v") for i in range(MAX_METADATA_ENTRIES)]
    success("sealed_metadata_entry_count_max", "sealed metadata with 256 entries, the cap (§6.1)",
            simple("sealed_metadata_entry_count_max").add_metadata(many_entries), small, [raw()],
            {k.decode(): v.decode() for k, v in many_entries})

    # No match (§3).
    sealed = simple("wrong_raw_key").seal(small)
    vector("wrong_raw_key", "no match", "the raw key opens no stanza (§3)", sealed, [raw(BOB_RAW_KEY)])
    vector("wrong_passphrase", "no match", "the passphrase opens no stanza (§3)",
           Sealer("wrong_passphrase").add_scrypt(PASSPHRASE).seal(small), [passphrase(WRONG_PASSPHRASE)])
    vector("wrong_x25519_identity", "no match", "the X25519 identity opens no stanza (§3)",
           Sealer("wrong_x25519_identity").add_x25519(ALICE_X25519).seal(small), [x25519(BOB_X25519)])
    vector("wrong_kind_of_identity", "no match", "a raw key is not tried against an x25519-hpke stanza (§3)",
           Sealer("wrong_kind_of_identity").add_x25519(ALICE_X25519).seal(small), [raw()])
    vector("unknown_stanza_type_only", "no match", "only an unknown stanza type: nothing to open (§3)",
           Sealer("unknown_stanza_type_only").add_stanza(0x45, det("unknown", 80)).seal(small), [raw()])
    vector("minimal_header", "no match",
           "header_length 83 (one empty unknown stanza, no extensions) parses; nothing opens (§2)",
           Sealer("minimal_header").add_stanza(0x0F, b"").seal(small), [raw()])
    s = simple("raw_key_wrap_flipped")
    s.stanzas[0] = (STANZA_RAW_KEY, s.stanzas[0][1][:40] + bytes([s.stanzas[0][1][40] ^ 1]) + s.stanzas[0][1][41:])
    vector("raw_key_wrap_flipped", "no match", "a flipped byte in the wrapped file key: the unwrap fails (§3)",
           s.seal(small), [raw()])
    s = Sealer("x25519_enc_flipped").add_x25519(ALICE_X25519)
    s.stanzas[0] = (STANZA_X25519, bytes([s.stanzas[0][1][0] ^ 0x40]) + s.stanzas[0][1][1:])
    vector("x25519_enc_flipped", "no match", "a flipped bit in the HPKE enc: the unwrap fails (§3)", s.seal(small),
           [x25519()])
    s = Sealer("x25519_low_order_enc").add_x25519(ALICE_X25519)
    s.stanzas[0] = (STANZA_X25519, bytes(32) + s.stanzas[0][1][32:])
    vector("x25519_low_order_enc", "no match",
           "enc is the all-zero point: the X25519 output is all zero and HPKE must fail (§3, RFC 9180 §7.1.4)",
           s.seal(small), [x25519()])
    s = Sealer("x25519_wrong_info")
    enc, ct = hpke_seal(public_bytes(ALICE_X25519), det("x25519_wrong_info/ephemeral", 32), b"modelseal/v1 x25519",
                        b"", s.file_key)
    vector("x25519_wrong_info", "no match",
           "HPKE sealed with info \"modelseal/v1 x25519\" instead of \"modelseal/v1 x25519-hpke\" (§3)",
           s.add_stanza(STANZA_X25519, enc + ct).seal(small), [x25519()])
    data = bytearray(simple("header_mac_flipped_wrong_key").seal(small))
    data[s_header_length(data) - 1] ^= 0x01
    vector("header_mac_flipped_wrong_key", "no match",
           "a flipped MAC byte is only seen with the right key; with a wrong one it is no match (§3, §4)",
           bytes(data), [raw(BOB_RAW_KEY)])

    # Header failure (§4): a key unwrapped a stanza but the MAC, or a sealed extension, fails.
    for name, offset_of, comment in (
            ("header_mac_flipped", lambda h: h - 1, "last byte of the header MAC flipped (§4, §10)"),
            ("payload_salt_flipped", lambda h: 20, "a payload_salt byte flipped: the MAC covers it (§4)"),
            ("unknown_stanza_body_flipped", lambda h: FIXED_LENGTH + 3,
             "a byte of an unknown stanza flipped: the MAC covers unknown stanzas (§4)"),
    ):
        s = Sealer(name)
        if name == "unknown_stanza_body_flipped":
            s.add_stanza(0x44, det("unknown", 16))
        data = bytearray(s.add_raw_key(ALICE_RAW_KEY).seal(small))
        data[offset_of(s_header_length(data))] ^= 0x01
        vector(name, "header failure", comment, bytes(data), [raw()])
    s = simple("unknown_extension_body_flipped").add_extension(0x0100, b"covered by the MAC")
    data = bytearray(s.seal(small))
    data[s_header_length(data) - MAC_LENGTH - 1] ^= 0x01
    vector("unknown_extension_body_flipped", "header failure",
           "a byte of an unknown non-critical extension flipped: the MAC covers it (§4)", bytes(data), [raw()])
    s = Sealer("stanza_wraps_other_file_key")
    real_file_key, s.file_key = s.file_key, det("stanza_wraps_other_file_key/other file key", 32)
    s.add_raw_key(ALICE_RAW_KEY)
    s.file_key = real_file_key
    vector("stanza_wraps_other_file_key", "header failure",
           "the first stanza for the key unwraps a file key whose header MAC fails: header MAC mismatch, not a "
           "reason to try the next stanza (§3 trial decryption)", s.add_raw_key(ALICE_RAW_KEY).seal(small), [raw()])
    data = bytearray(simple("chunk_log2_changed").seal(small))
    data[10] = 17
    vector("chunk_log2_changed", "header failure", "chunk_log2 16 -> 17 (in range) without a new MAC (§2, §4)",
           bytes(data), [raw()])
    data = bytearray(simple("suite_changed").seal(small))
    data[9] = SUITE_CHACHA
    vector("suite_changed", "header failure", "suite 0x01 -> 0x02 without a new MAC (§2, §4)", bytes(data), [raw()])
    s = simple("sealed_metadata_bad_tag").add_metadata(entries)
    s.extensions[0] = (EXT_SEALED_METADATA, s.extensions[0][1][:-1] + bytes([s.extensions[0][1][-1] ^ 1]))
    vector("sealed_metadata_bad_tag", "header failure",
           "sealed-metadata tag flipped, header MAC recomputed: the extension fails to authenticate (§6.1)",
           s.seal(small), [raw()])
    s = simple("sealed_metadata_wrong_key").add_extension(
        EXT_SEALED_METADATA, AESGCM(header_key(det("other", 32))).encrypt(ZERO_NONCE, encode_metadata(entries),
                                                                          LABEL_METADATA))
    vector("sealed_metadata_wrong_key", "header failure",
           "sealed-metadata sealed under another key, header MAC valid (§6.1)", s.seal(small), [raw()])

    # Payload failure (§5).
    three = plaintext_of(2 * C + 100)
    s = simple("chunk_flipped")
    data = bytearray(s.seal(three))
    data[s_header_length(data) + 100] ^= 0x01
    vector("chunk_flipped", "payload failure", "a ciphertext byte of chunk 0 flipped (§5)", bytes(data), [raw()])
    data = bytearray(simple("last_tag_flipped").seal(small))
    data[-1] ^= 0x80
    vector("last_tag_flipped", "payload failure", "the last byte of the file (the last tag) flipped (§5)",
           bytes(data), [raw()])
    s = simple("chunk_swapped")
    c = s.chunks(three)
    vector("chunk_swapped", "payload failure", "chunks 0 and 1 swapped (§5, §10)",
           s.header() + c[1] + c[0] + c[2], [raw()])
    s = simple("truncated_at_chunk_boundary")
    vector("truncated_at_chunk_boundary", "payload failure",
           "the last chunk removed: chunk 1 is now last but was sealed with last_flag 0 (§5, §10)",
           s.header() + b"".join(s.chunks(three)[:2]), [raw()])
    s = simple("truncated_inside_chunk")
    data = s.seal(three)
    vector("truncated_inside_chunk", "payload failure",
           "cut in the middle of chunk 1: its remaining 32768 bytes fail as a last chunk (§5)",
           data[:s_header_length(data) + (C + 16) + C // 2], [raw()])
    s = simple("appended_chunk")
    exact = plaintext_of(C)
    c = s.chunks(exact) + s.chunks(b"", pieces=[(b"", False), (b"appended", True)])[1:]
    vector("appended_chunk", "payload failure",
           "a validly sealed last chunk 1 appended after the old last chunk 0 (§5, §10)",
           s.header() + b"".join(c), [raw()])
    vector("appended_garbage", "payload failure", "100 bytes appended: the last chunk no longer authenticates (§5)",
           simple("appended_garbage").seal(small) + det("garbage", 100), [raw()])
    s = simple("last_flag_missing")
    vector("last_flag_missing", "payload failure", "the only chunk sealed with last_flag 0 (§5)",
           s.header() + b"".join(s.chunks(small, pieces=[(small, False)])), [raw()])
    s = simple("last_flag_on_first_chunk")
    two = plaintext_of(C + 500)
    vector("last_flag_on_first_chunk", "payload failure", "chunk 0 of 2 sealed with last_flag 1 (§5)",
           s.header() + b"".join(s.chunks(two, pieces=[(two[:C], True), (two[C:], True)])), [raw()])
    s = simple("nonce_counter_little_endian")
    vector("nonce_counter_little_endian", "payload failure",
           "chunk counters written little-endian: chunk 1 fails (uint88_be, §5)",
           s.header() + b"".join(s.chunks(two, nonce=lambda i, last: i.to_bytes(11, "little") + bytes([last]))),
           [raw()])
    s = simple("payload_key_without_salt")
    vector("payload_key_without_salt", "payload failure",
           "chunks sealed under HKDF(file_key, salt = \"\"): the payload key must use payload_salt (§1)",
           s.header() + b"".join(s.chunks(small, key=payload_key(s.file_key, b""))), [raw()])
    s = simple("suite_mismatch", suite=SUITE_CHACHA)
    vector("suite_mismatch", "payload failure", "header says ChaCha20-Poly1305, chunks are AES-256-GCM (§2, §5)",
           s.header() + b"".join(s.chunks(small, suite=SUITE_AES)), [raw()])

    # Truncated (§2, §5).
    data = simple("truncated_in_fixed_part").seal(small)
    vector("truncated_in_fixed_part", "truncated", "the file ends after 12 bytes, inside the fixed part (§2)",
           data[:12], [raw()])
    data = simple("truncated_inside_header").seal(small)
    vector("truncated_inside_header", "truncated", "the file ends at byte 100, before header_length (§2)",
           data[:100], [raw()])
    vector("header_only_no_payload", "truncated", "a complete header and no payload: L = 0 (§5)",
           simple("header_only_no_payload").header(), [raw()])
    s = simple("last_chunk_shorter_than_tag")
    data = s.seal(two)
    vector("last_chunk_shorter_than_tag", "truncated", "the last chunk cut to 10 bytes, less than a tag (§5)",
           data[:s_header_length(data) + C + 16 + 10], [raw()])
    s = simple("last_chunk_empty_not_first")
    vector("last_chunk_empty_not_first", "truncated",
           "C bytes sealed as a full chunk (last_flag 0) plus an empty last chunk: a last chunk of exactly 16 "
           "bytes is allowed only when n = 1 (§5)",
           s.header() + b"".join(s.chunks(exact, pieces=[(exact, False), (b"", True)])), [raw()])

    # Unsupported (§2, §4, §9, spec/SIGNATURES.md).
    for name, offset, value, comment in (
            ("version_2", 8, 2, "version 2 (§2, §9)"),
            ("version_0", 8, 0, "version 0 (§2, §9)"),
            ("unknown_suite", 9, 3, "suite 0x03 (§2)"),
    ):
        s = simple(name)
        setattr(s, "version" if offset == 8 else "suite", value)
        vector(name, "unsupported", comment + ", MAC recomputed",
               s.header() + b"".join(s.chunks(small, suite=SUITE_AES)), [raw()])
    vector("unknown_critical_extension", "unsupported", "unknown critical extension 0x8100 (§4, §10)",
           simple("unknown_critical_extension").add_extension(0x8100, b"must understand").seal(small), [raw()])
    vector("signature_required_malformed", "malformed",
           "critical 0x8003 (signature-required) whose body is not count || 32-byte key ids (spec/SIGNATURES.md §4)",
           simple("reserved_critical_extension").add_extension(0x8003, det("key id", 32)).seal(small), [raw()])
    vector("trailer_magic_present", "malformed",
           "a signature trailer whose 3-byte body is not a trailer: refused, not ignored (spec/SIGNATURES.md §3)",
           simple("trailer_magic_present").seal(small) + b"sig" + i2osp(3, 4) + TRAILER_MAGIC, [raw()])
    vector("trailer_length_past_payload", "truncated",
           "the file ends in the trailer magic with T larger than the file (spec/SIGNATURES.md §3)", simple("trailer_length_past_payload").seal(small) + i2osp(0xFFFFFFFF, 4) + TRAILER_MAGIC, [raw()])

    vector("trailer_empty_body", "malformed", "a signature trailer with T = 0 (spec/SIGNATURES.md §3)",
           simple("trailer_empty_body").seal(small) + i2osp(0, 4) + TRAILER_MAGIC, [raw()])

    # Malformed (§2–§4, §6.1).
    vector("empty_file", "malformed", "an empty file (0 bytes) is not a sealed file (§5)", b"", [raw()])
    data = bytearray(simple("bad_magic").seal(small))
    data[0] = 0x88
    vector("bad_magic", "malformed", "first magic byte 0x88 (§2)", bytes(data), [raw()])
    data = simple("magic_newline_mangled").seal(small)
    vector("magic_newline_mangled", "malformed", "CR LF in the magic turned into LF by a text transport (§2)",
           data[:6] + b"\n" + data[8:], [raw()])
    s = simple("reserved_byte_nonzero")
    s.reserved = 1
    vector("reserved_byte_nonzero", "malformed", "reserved byte 0x01, MAC recomputed (§2, §10)", s.seal(small),
           [raw()])
    for name, log2 in (("chunk_log2_too_small", 15), ("chunk_log2_too_large", 25)):
        s = simple(name, chunk_log2=log2)
        vector(name, "malformed", f"chunk_log2 = {log2}, outside 16..24, MAC recomputed (§2, §10)",
               s.seal(small), [raw()])
    vector("header_length_too_short", "malformed", "header_length one less than the header (§2, §10)",
           simple("header_length_too_short").seal(small, header_length_delta=-1), [raw()])
    vector("header_length_too_long", "malformed",
           "header_length one more than the header: the parse ends 1 byte before the claimed MAC (§2, §10)",
           simple("header_length_too_long").seal(small, header_length_delta=1), [raw()])
    vector("bytes_between_extensions_and_mac", "malformed",
           "one byte after the last extension, header_length and MAC cover it: the parse must consume "
           "exactly header_length bytes (§2, §4, §10)",
           simple("bytes_between_extensions_and_mac").seal(small, before_mac=b"\x00"), [raw()])
    vector("header_length_below_minimum", "malformed", "header_length 82 (§2)",
           simple("header_length_below_minimum").seal(small, header_length=82), [raw()])
    vector("header_length_over_cap", "malformed", "header_length 4 MiB + 1 (§2)",
           simple("header_length_over_cap").seal(small, header_length=MAX_HEADER_LENGTH + 1), [raw()])
    vector("stanza_count_zero", "malformed",
           "stanza_count 0 (an unknown extension keeps header_length >= 83) (§2)",
           Sealer("stanza_count_zero").add_extension(0x0100, b"").seal(small), [raw()])
    too_many = Sealer("stanza_count_over_cap")
    for i in range(MAX_STANZAS):
        too_many.add_stanza(0x44, b"")
    vector("stanza_count_over_cap", "malformed", "65 stanzas (§2)", too_many.add_raw_key(ALICE_RAW_KEY).seal(small),
           [raw()])
    for name, sealer, extra, comment in (
            ("stanza_body_wrong_length", simple("stanza_body_wrong_length"), b"\x00", "raw-key body of 81 bytes"),
            ("scrypt_stanza_body_wrong_length", Sealer("scrypt_stanza_body_wrong_length").add_scrypt(PASSPHRASE),
             b"\x00", "scrypt body of 84 bytes"),
            ("x25519_stanza_body_wrong_length", Sealer("x25519_stanza_body_wrong_length").add_x25519(ALICE_X25519),
             None, "x25519-hpke body of 79 bytes"),
            ("license_stanza_body_wrong_length",
             Sealer("license_stanza_body_wrong_length").add_stanza(STANZA_LICENSE, det("license stanza", 80)),
             None, "license body of 79 bytes (§3, spec/LICENSING.md)"),
    ):
        stanza_type, body = sealer.stanzas[0]
        sealer.stanzas[0] = (stanza_type, body + extra if extra else body[:-1])
        identity = {STANZA_RAW_KEY: raw(), STANZA_SCRYPT: passphrase(), STANZA_X25519: x25519()}.get(stanza_type, raw())
        vector(name, "malformed", comment + ": a known type with the wrong body length (§3)", sealer.seal(small),
               [identity])
    vector("stanza_body_over_cap", "malformed", "an unknown stanza with a 4097-byte body (§3)",
           Sealer("stanza_body_over_cap").add_stanza(0x7F, det("big", 4097)).add_raw_key(ALICE_RAW_KEY).seal(small),
           [raw()])
    s = simple("stanza_body_past_header")
    vector("stanza_body_past_header", "malformed",
           "raw-key body_length 4000 (under the 4096 cap) runs past header_length (§3)",
           s.seal(small, stanza_lengths={0: 4000}), [raw()])
    vector("two_scrypt_stanzas", "malformed", "two scrypt stanzas, both valid for the passphrase (§3, §10)",
           Sealer("two_scrypt_stanzas").add_scrypt(PASSPHRASE).add_scrypt(PASSPHRASE).seal(small), [passphrase()])
    over = simple("extension_count_over_cap")
    for i in range(MAX_EXTENSIONS + 1):
        over.add_extension(0x0100 + i, b"")
    vector("extension_count_over_cap", "malformed", "33 extensions (§4)", over.seal(small), [raw()])
    vector("extensions_out_of_order", "malformed", "extension 0x0200 before 0x0100 (§4)",
           simple("extensions_out_of_order").add_extension(0x0200, b"").add_extension(0x0100, b"").seal(small),
           [raw()])
    vector("extensions_duplicate_type", "malformed", "extension 0x0100 twice: types strictly increasing (§4)",
           simple("extensions_duplicate_type").add_extension(0x0100, b"a").add_extension(0x0100, b"b").seal(small),
           [raw()])
    vector("sealed_metadata_after_unknown_extension", "malformed", "0x0100 then 0x0001: out of order (§4)",
           simple("sealed_metadata_after_unknown_extension").add_extension(0x0100, b"").add_metadata(entries)
           .seal(small), [raw()])
    vector("extension_body_past_header", "malformed", "extension body_length 0xFFFFFFFF (§4)",
           simple("extension_body_past_header").add_extension(0x0100, b"abc")
           .seal(small, extension_lengths={0: 0xFFFFFFFF}), [raw()])
    for name, map_bytes, comment in (
            ("sealed_metadata_keys_out_of_order", encode_metadata([(b"name", b"a"), (b"content-type", b"b")]),
             "keys not increasing"),
            ("sealed_metadata_duplicate_key", encode_metadata([(b"name", b"a"), (b"name", b"b")]), "key twice"),
            ("sealed_metadata_key_uppercase", encode_metadata([(b"Name", b"a")]), "key 'Name' not [a-z0-9-]"),
            ("sealed_metadata_key_empty", encode_metadata([(b"", b"a")]), "key of length 0"),
            ("sealed_metadata_value_not_utf8", encode_metadata([(b"name", b"\xff\xfe")]), "value not UTF-8"),
            ("sealed_metadata_trailing_bytes", encode_metadata([(b"name", b"a")]) + b"\x00",
             "a byte after the last entry"),
            ("sealed_metadata_key_too_long", encode_metadata([(b"k" * 65, b"a")]), "key of 65 bytes"),
            ("sealed_metadata_too_many_entries",
             encode_metadata([(f"k{i:03d}".encode(), b"v") for i in range(MAX_METADATA_ENTRIES + 1)]),
             "257 entries"),
            ("sealed_metadata_entry_count_past_end", i2osp(2, 2) + encode_metadata([(b"name", b"a")])[2:],
             "entry_count 2 with one entry"),
    ):
        vector(name, "malformed", f"sealed metadata authenticates but its map is bad: {comment} (§6.1)",
               simple(name).add_metadata(map_bytes=map_bytes).seal(small), [raw()])

    # Unsafe scrypt parameters (§3): refused before deriving. The wrap uses log2_n 10, r 8, p 1,
    # so a reader that skipped the caps and derived anyway would report no match instead.
    for name, params, comment in (
            ("scrypt_log2n_over_cap", (21, 8, 1), "log2_n 21 > 20"),
            ("scrypt_log2n_under_min", (9, 8, 1), "log2_n 9 < 10"),
            ("scrypt_r_zero", (10, 0, 1), "r 0"),
            ("scrypt_r_over_cap", (10, 33, 1), "r 33 > 32"),
            ("scrypt_p_zero", (10, 8, 0), "p 0"),
            ("scrypt_p_over_cap", (10, 8, 17), "p 17 > 16"),
            ("scrypt_memory_over_cap", (20, 9, 1), "memory 128 * 9 * 2^20 > 1 GiB (work 9 * 2^20 is fine)"),
            ("scrypt_work_over_cap", (20, 8, 9), "work 2^20 * 8 * 9 > 2^26 (memory exactly 1 GiB is fine)"),
    ):
        vector(name, "unsafe parameters", f"scrypt {comment} (§3, §10)",
               Sealer(name).add_scrypt(PASSPHRASE, written_as=params).seal(small), [passphrase()])


def s_header_length(data):
    return struct.unpack(">I", bytes(data[12:16]))[0]


# --- writing -------------------------------------------------------------------------------


def identity_lines(identities):
    for kind, secret in identities:
        if kind == "key":
            yield "key: " + raw_key_text(secret)
        elif kind == "key-unpadded":
            yield "key: " + raw_key_text(secret).rstrip("=")
        elif kind == "passphrase":
            yield "passphrase: " + secret
        else:
            yield "identity: " + identity_text(secret)


def parse_preamble_identity(line):
    """Reads an identity line back, so the check below runs on what the file says."""
    key, _, value = line.partition(": ")
    if key == "key":
        return ("key", base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    if key == "passphrase":
        return ("passphrase", value)
    hrp, data = bech32_decode(value)
    assert hrp == "modelseal-secret-key-" and len(data) == 32
    return ("identity", data)


def write_vector(folder, v):
    lines = ["expect: " + v["expect"]]
    if v["expect"] == "success":
        lines.append("payload: " + hashlib.sha256(v["plaintext"]).hexdigest())
    for key, value in sorted((v["metadata"] or {}).items()):
        lines.append(f"metadata: {key}={value}")
    id_lines = list(identity_lines(v["identities"]))
    lines += id_lines
    lines.append("comment: " + v["comment"])

    # Check the vector against the opener above, reading identities back from the text.
    identities = [parse_preamble_identity(line) for line in id_lines]
    try:
        plaintext, metadata = open_file(v["data"], identities)
        outcome, reason = "success", ""
        assert plaintext == v["plaintext"], v["name"]
        assert metadata == (v["metadata"] or {}), v["name"]
    except Refused as refused:
        outcome, reason = refused.outcome, refused.reason
    if outcome != v["expect"]:
        raise SystemExit(f"{v['name']}: expected {v['expect']}, the reference opener says {outcome} ({reason})")

    with open(os.path.join(folder, v["name"]), "wb") as f:
        f.write(("\n".join(lines) + "\n\n").encode() + v["data"])


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: gen-container-vectors.py OUTPUT_DIR")
    check_hpke_against_rfc9180()
    assert recipient_text(ALICE_X25519).startswith("modelseal1")
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    build_vectors()
    names = [v["name"] for v in VECTORS]
    assert len(names) == len(set(names)), "duplicate vector names"
    for name in os.listdir(folder):
        if name not in names:
            os.remove(os.path.join(folder, name))
    for v in VECTORS:
        write_vector(folder, v)
    print(f"{len(VECTORS)} vectors in {folder}")


if __name__ == "__main__":
    main()
