#!/usr/bin/env python3
"""Writes Tests/Vectors/mark/vectors.json: a second implementation of spec/MARK.md §2–§3, independent of the
Swift code, so the pattern and the marked values can be checked bit for bit.

Needs numpy and cryptography (ChaCha20). Run: scripts/gen-mark-vectors.sh [--check]
"""
import hashlib
import hmac
import json
import math
import os
import struct
import sys

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

LABEL = b"modelseal-mark/v1\x00"
NONCE_LABEL = b"modelseal-mark/v1 tensor\x00"


def field(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def customer_key(secret, model_id, customer):
    return hmac.new(secret, LABEL + field(model_id) + field(customer), hashlib.sha256).digest()


def tensor_nonce(name):
    return hashlib.sha256(NONCE_LABEL + name.encode()).digest()[:12]


def pattern_bytes(key, nonce, first_element, count):
    block = first_element // 512
    # cryptography's ChaCha20 takes a 16-byte nonce: 32-bit little-endian block counter, then the 96-bit nonce.
    cipher = Cipher(algorithms.ChaCha20(key, struct.pack("<I", block) + nonce), mode=None)
    return cipher.encryptor().update(bytes((count + 7) // 8))


def signs(pattern, count):
    return [1 if pattern[i >> 3] >> (i & 7) & 1 else -1 for i in range(count)]


def to_bf16_bits(value32):
    bits = int(np.array(value32, dtype=np.float32).view(np.uint32))
    if math.isnan(float(value32)):
        return (bits >> 16) | 0x40
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF


def ordered(bits):
    return -(bits & 0x7FFF) if bits & 0x8000 else bits


def adjacent(bits, up):
    step = ordered(bits) + (1 if up else -1)
    return step if step >= 0 else 0x8000 | -step


def finite16(bits, dtype):
    return (bits & 0x7C00) != 0x7C00 if dtype == "float16" else (bits & 0x7F80) != 0x7F80


def from_dtype(bits, dtype):
    if dtype == "float32":
        return np.array(bits, dtype=np.uint32).view(np.float32)
    if dtype == "float16":
        return np.array(bits, dtype=np.uint16).view(np.float16).astype(np.float32)
    return (np.array(bits, dtype=np.uint32) << 16).view(np.float32)


def mark(values_bits, dtype, rows, key, name, alpha):
    count = len(values_bits)
    cols = count // rows
    w = from_dtype(values_bits, dtype)
    s = signs(pattern_bytes(key, tensor_nonce(name), 0, count), count)
    out = []
    for r in range(rows):
        total = 0.0
        for i in range(r * cols, (r + 1) * cols):
            total += float(w[i]) * float(w[i])
        amplitude = np.float32(alpha * math.sqrt(total / cols))
        for i in range(r * cols, (r + 1) * cols):
            moved = np.float32(w[i] + (amplitude if s[i] > 0 else -amplitude))
            if dtype == "float32":
                out.append(int(np.array(moved, dtype=np.float32).view(np.uint32)))
            else:
                if dtype == "float16":
                    new = int(np.array(moved, dtype=np.float32).astype(np.float16).view(np.uint16))
                else:
                    new = to_bf16_bits(moved)
                # 16-bit: at most one step to the adjacent value, never to a non-finite one.
                if abs(ordered(new) - ordered(values_bits[i])) > 1 or not finite16(new, dtype):
                    new = adjacent(values_bits[i], s[i] > 0)
                    if not finite16(new, dtype):
                        new = values_bits[i]
                out.append(new)
    return out


# ---- Tier A (spec/MARK.md §8) ------------------------------------------------------------------------------

TIER_A_LABEL = b"modelseal-mark/v1 tier-a\x00"
EXP, LOG = [0] * 512, [0] * 256
_value = 1
for _power in range(255):
    EXP[_power], LOG[_value] = _value, _power
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _power in range(255, 512):
    EXP[_power] = EXP[_power - 255]


def gf_mul(a, b):
    return 0 if a == 0 or b == 0 else EXP[LOG[a] + LOG[b]]


def fingerprint(secret, model_id, customer):
    return hmac.new(secret, TIER_A_LABEL + field(model_id) + field(customer), hashlib.sha256).digest()[:8]


def rs_encode(message, length):
    """Systematic Reed-Solomon over GF(2^8)/0x11D, g(x) = prod_{i<n-k} (x - 2^i), highest degree first."""
    parity = length - len(message)
    g = [1]
    for i in range(parity):
        g = [a ^ gf_mul(b, EXP[i]) for a, b in zip(g + [0], [0] + g)]
    remainder = list(message) + [0] * parity
    for i in range(len(message)):
        factor = remainder[i]
        if factor:
            for j in range(1, len(g)):
                remainder[i + j] ^= gf_mul(g[j], factor)
    return list(message) + remainder[len(message):]


def permutation_of_rank(rank, units=6):
    remaining, result = list(range(units)), []
    for position in range(units):
        factorial = math.factorial(units - 1 - position)
        result.append(remaining.pop(rank // factorial))
        rank %= factorial
    return result


def slot_permutations(fp, slot_units):
    chunks = sum(u // 6 for u in slot_units)
    codeword = rs_encode(fp, min(255, chunks))
    chunk, result = 0, []
    for units in slot_units:
        order = list(range(units))
        for start in range(0, units - 5, 6):
            for position, unit in enumerate(permutation_of_rank(codeword[chunk % len(codeword)])):
                order[start + position] = start + unit
            chunk += 1
        result.append(order)
    return result


def tier_a_vectors(secret, model_id, customer):
    rng = np.random.default_rng(8)
    fp = fingerprint(secret, model_id, customer)
    codeword = rs_encode(fp, 40)
    received = list(codeword)
    for position in rng.choice(40, size=16, replace=False).tolist():  # 16 errors: the most 32 parity symbols fix
        received[position] ^= int(rng.integers(1, 256))
    return {
        "fingerprint_hex": fp.hex(),
        "codeword_40_hex": bytes(codeword).hex(),
        "codeword_255_hex": bytes(rs_encode(fp, 255)).hex(),
        "received_40_with_16_errors_hex": bytes(received).hex(),
        "permutations_of_rank": {str(r): permutation_of_rank(r) for r in (0, 1, 255, 719)},
        "slot_units": [64, 36, 5],
        "slot_permutations": slot_permutations(fp, [64, 36, 5]),
    }


def main():
    rng = np.random.default_rng(18)
    secret = bytes(range(32))
    model_id, customer, name = "resnet18-v3", "acme-corp", "layer1.0.conv1.weight"
    key = customer_key(secret, model_id, customer)
    nonce = tensor_nonce(name)
    vectors = {
        "generator": "scripts/gen-mark-vectors.py",
        "secret_hex": secret.hex(),
        "model_id": model_id,
        "customer": customer,
        "key_hex": key.hex(),
        "tensor": name,
        "nonce_hex": nonce.hex(),
        "pattern_first_64_bytes_hex": pattern_bytes(key, nonce, 0, 512).hex(),
        "pattern_from_element_1024_16_bytes_hex": pattern_bytes(key, nonce, 1024, 128).hex(),
        "alpha": 6e-4,
        "tensors": [],
        "tier_a": tier_a_vectors(secret, model_id, customer),
    }
    rows, cols = 4, 163  # rows not a multiple of 8: both the 8-wide and the one-by-one paths
    base = rng.standard_normal(rows * cols).astype(np.float32) * 0.05
    base[::7] *= 1e-4  # tiny weights: in 16 bits the move is capped at one step (and may cross zero)
    for dtype in ("float32", "float16", "bfloat16"):
        if dtype == "float32":
            bits = base.view(np.uint32).tolist()
        elif dtype == "float16":
            bits = base.astype(np.float16).view(np.uint16).tolist()
        else:
            bits = [to_bf16_bits(v) for v in base]
        vectors["tensors"].append(
            {
                "dtype": dtype,
                "shape": [rows, cols],
                "original_bits": bits,
                "marked_bits": mark(bits, dtype, rows, key, name, 6e-4),
            }
        )
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Vectors", "mark")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vectors.json"), "w") as out:
        json.dump(vectors, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
