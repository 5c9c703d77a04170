#!/usr/bin/env python3
"""Fernet test vectors for ModelSeal's reader of the article's files, made with real `cryptography`.

Every token is produced by `cryptography.fernet.Fernet` itself (`_encrypt_from_parts`, the
code path of `Fernet.encrypt`, with a fixed time and IV so the output is reproducible), then
broken one rule at a time. Each vector is checked against `Fernet.decrypt` before it is
written: a vector expected to open must decrypt to its payload, one expected to fail must be
refused by `cryptography` too (except the few where ModelSeal is deliberately stricter than
Python's lenient base64 decoder; their `python:` line says so).

Output: one file per case, named after the rule it breaks: `key: value` preamble lines, one
empty line, then the file's bytes to the end.
  expect:          success | malformed_text | truncated | unsupported_version | hmac_mismatch | invalid_padding
  key:             the Fernet key text given to the reader
  payload-sha256:  SHA-256 of the plaintext (success only)
  python:          accepts | refuses (what `Fernet(key).decrypt` does with the same bytes)
  comment:         what the case shows

Usage: gen-fernet-vectors.py OUTPUT_DIR
"""

import base64
import hashlib
import os
import sys

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TIME = 1_700_000_000


def det(label, length):
    """Deterministic bytes from a label (not secret: these are test vectors)."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:length]


KEY = base64.urlsafe_b64encode(det("key", 32))
OTHER_KEY = base64.urlsafe_b64encode(det("other key", 32))


def token(payload, key=KEY, iv_label="iv"):
    return Fernet(key)._encrypt_from_parts(payload, TIME, det(iv_label, 16))


def reencode(raw):
    return base64.urlsafe_b64encode(raw)


def python_accepts(data, key):
    try:
        Fernet(key).decrypt(data)
        return True
    except (InvalidToken, ValueError, TypeError):
        return False


def handmade(payload_padded, key=KEY, version=0x80):
    """A token built from primitives: for a bad version or padding under a valid HMAC."""
    raw_key = base64.urlsafe_b64decode(key)
    iv = det("handmade iv", 16)
    encryptor = Cipher(algorithms.AES(raw_key[16:]), modes.CBC(iv)).encryptor()
    body = bytes([version]) + TIME.to_bytes(8, "big") + iv + encryptor.update(payload_padded) + encryptor.finalize()
    mac = hmac.HMAC(raw_key[:16], hashes.SHA256())
    mac.update(body)
    return reencode(body + mac.finalize())


def flip_decoded(data, offset_from_end=None, offset=None):
    raw = bytearray(base64.urlsafe_b64decode(data))
    position = offset if offset is not None else len(raw) - offset_from_end
    raw[position] ^= 0x01
    return reencode(bytes(raw))


def main(folder):
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    payload = det("payload", 1000)
    # 1000 bytes pad to 1008: 63 blocks, 57 + 1008 = 1065 bytes, 1065 % 3 = 0: no '=' padding.
    plain = token(payload)
    # 1001..1007 bytes: 1065 too. 1008 bytes: 1081 % 3 = 1: '==' padding.
    padded2 = token(det("payload", 1008))
    # 1020 bytes pad to 1024: 1081 too; 1040 bytes: 1097 % 3 = 2: '=' padding.
    padded1 = token(det("payload", 1040))
    cases = []

    def add(name, data, expect, comment, key=KEY, payload_bytes=None, python=None):
        accepted = python_accepts(data, key)
        if python is None:
            python = "accepts" if expect == "success" else "refuses"
        assert accepted == (python == "accepts"), f"{name}: cryptography {'accepts' if accepted else 'refuses'} it"
        if expect == "success":
            assert Fernet(key).decrypt(data) == payload_bytes, name
        cases.append((name, data, expect, comment, key, payload_bytes, python))

    add("empty_payload", token(b""), "success", "an empty plaintext is one block of padding (73 bytes)", payload_bytes=b"")
    add("one_byte", token(b"x"), "success", "one byte, fifteen of padding", payload_bytes=b"x")
    add("fifteen_bytes", token(payload[:15]), "success", "one block minus one", payload_bytes=payload[:15])
    add("sixteen_bytes", token(payload[:16]), "success", "a whole block gets a whole block of padding", payload_bytes=payload[:16])
    add("no_padding_chars", plain, "success", "decoded length a multiple of 3: no '='", payload_bytes=payload)
    add("two_padding_chars", padded2, "success", "ends in '=='", payload_bytes=det("payload", 1008))
    add("one_padding_char", padded1, "success", "ends in '='", payload_bytes=det("payload", 1040))
    add("trailing_newline", padded2 + b"\n", "success", "one trailing newline (echo, editors) is accepted",
        payload_bytes=det("payload", 1008))
    torchlike = b"PK\x03\x04" + det("zip", 5000)
    add("torch_zip_prefix", token(torchlike), "success", "a torch.save-like zip payload, 5004 bytes",
        payload_bytes=torchlike)

    add("wrong_key", plain, "hmac_mismatch", "a valid token opened with another key", key=OTHER_KEY)
    add("flipped_ciphertext", flip_decoded(plain, offset=500), "hmac_mismatch", "one bit of the ciphertext flipped")
    add("flipped_last_block", flip_decoded(plain, offset_from_end=40), "hmac_mismatch",
        "one bit of the last ciphertext block flipped (would change the padding)")
    add("flipped_iv", flip_decoded(plain, offset=12), "hmac_mismatch", "one bit of the IV flipped")
    add("flipped_timestamp", flip_decoded(plain, offset=8), "hmac_mismatch", "the timestamp is authenticated too")
    add("flipped_hmac", flip_decoded(plain, offset_from_end=1), "hmac_mismatch", "the tag's last bit flipped")
    raw = base64.urlsafe_b64decode(plain)
    add("truncated_whole_blocks", reencode(raw[:-80] + raw[-32:]), "hmac_mismatch",
        "three ciphertext blocks cut out: the structure is still valid, the HMAC catches it")
    add("truncated_three_blocks_at_end", reencode(raw[:-48]), "hmac_mismatch",
        "the last 48 bytes cut off: 57 + 16k bytes again, so only the HMAC can tell")

    add("truncated_one_char", plain[:-1], "truncated", "the last character cut off: not a multiple of 4")
    add("truncated_one_group", plain[:-4], "truncated", "the last 4 characters cut off: 3 bytes short")
    add("truncated_to_header", reencode(raw[:48]), "truncated", "only 48 bytes: shorter than any token (73)")
    add("truncated_half", plain[: len(plain) // 2 // 4 * 4], "truncated", "cut in the middle at a group boundary")
    add("missing_padding", padded2.rstrip(b"="), "truncated", "'=' padding stripped: ModelSeal wants what Fernet writes",
        python="refuses")
    add("two_trailing_newlines", padded2 + b"\n\n", "malformed_text", "only one trailing newline is accepted",
        python="accepts")
    add("crlf_line_end", padded2 + b"\r\n", "malformed_text", "a CRLF line end: the '\\r' is refused",
        python="accepts")

    with_dash = next(t for t in (token(det("p", 300), iv_label=f"iv{i}") for i in range(100)) if b"-" in t or b"_" in t)
    standard = with_dash.replace(b"-", b"+").replace(b"_", b"/")
    add("standard_alphabet", standard, "malformed_text", "'+' and '/' are standard base64, not base64url",
        python="accepts")
    spaced = bytearray(plain)
    spaced[200] = ord(" ")
    add("space_inside", bytes(spaced), "malformed_text", "a space instead of a character", python="refuses")
    inner_newline = plain[:76] + b"\n" + plain[77:]
    add("newline_inside", inner_newline, "malformed_text", "a line break replacing a character", python="refuses")
    early_equals = bytearray(plain)
    early_equals[100] = ord("=")
    add("padding_inside", bytes(early_equals), "malformed_text", "'=' before the last group", python="refuses")
    stray = bytearray(padded2)
    # '==' ends: the character before them carries 2 bits of data and 4 that must be zero.
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    stray[-3] = alphabet[alphabet.index(stray[-3]) | 0x01]
    add("stray_bits", bytes(stray), "malformed_text", "non-zero unused bits in the last character", python="accepts")
    binary = bytearray(plain)
    binary[300] = 0xC3
    add("non_ascii_byte", bytes(binary), "malformed_text", "a byte outside ASCII", python="refuses")

    add("version_0x81", handmade(det("pad", 16) + bytes([16]) * 16, version=0x81), "unsupported_version",
        "version byte 0x81 under a valid HMAC: only 0x80 exists")
    add("invalid_padding", handmade(det("pad", 31) + b"\x00"), "invalid_padding",
        "a valid HMAC over a plaintext whose last byte is 0: a broken writer, refused after authentication")
    add("padding_byte_17", handmade(det("pad", 31) + b"\x11"), "invalid_padding", "padding byte 17 is over a block")

    for name, data, expect, comment, key, payload_bytes, python in cases:
        lines = [f"expect: {expect}", f"key: {key.decode()}"]
        if payload_bytes is not None:
            lines.append(f"payload-sha256: {hashlib.sha256(payload_bytes).hexdigest()}")
        lines += [f"python: {python}", f"comment: {comment}", "", ""]
        with open(os.path.join(folder, name), "wb") as f:
            f.write("\n".join(lines).encode() + data)
    print(f"wrote {len(cases)} vectors to {folder}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen-fernet-vectors.py OUTPUT_DIR")
    main(sys.argv[1])
