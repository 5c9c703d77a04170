#!/usr/bin/env python3
"""License test vectors for ModelSeal, from an independent implementation of spec/LICENSING.md.

Written from spec/LICENSING.md §2–§5 alone (not from the Swift sources): fingerprint
derivation (version 1: raw values; version 2: scrypt-stretched), ComponentLock (Shamir over
GF(2^8) plus HPKE per share), the machine key file, the request and a signed license whose
license key only the machine key and k of the components unwrap. Every value that would be
random comes from SHA-256 of a fixed label, so re-running reproduces byte-identical files.

Primitives come from the `cryptography` package; HPKE (RFC 9180 base mode, DHKEM(X25519,
HKDF-SHA256), AES-256-GCM) is the one in scripts/gen-container-vectors.py, checked against
RFC 9180 A.1.1 on every run.

Output: OUTPUT_DIR/v1.json and OUTPUT_DIR/v2.json, each an object with the raw component values
of the machine, the vendor public key, the machine key file, the request and the license file
(as text), the per-component hashes and the license key the license wraps (hex).

Usage: gen-license-vectors.py OUTPUT_DIR   (the committed vectors: Tests/Vectors/licensing)
"""

import base64
import hashlib
import importlib.util
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

_spec = importlib.util.spec_from_file_location(
    "container_vectors", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen-container-vectors.py"))
container = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(container)
hpke_seal = container.hpke_seal
hmac_sha256 = container.hmac_sha256

# The fake machine of Tests/ModelSealLicensingTests (FakeMachine.Identity), as raw values (§2).
COMPONENTS = {
    "cpu": "model name\nIntel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
    "dmi": "Dell Inc.\nPowerEdge R750\nDell Inc.\n0PJ7YJ",
    "machine-id": "0123456789abcdef0123456789abcdef",
    "network": "52:54:00:12:34:56",
    "root-fs": "1b2c3d4e-0000-4000-8000-00000000abcd",
}
TOLERANCE = 1
NOW = 1_800_000_000


def det(label, length=32):
    """Deterministic "random" bytes."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(b"gen-license-vectors " + label.encode() + bytes([counter])).digest()
        counter += 1
    return out[:length]


def canonical(value):
    """§3: RFC 8785 restricted to strings, integers, booleans, arrays, objects (ASCII keys)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64(data):
    return base64.b64encode(data).decode()


def hkdf(ikm, salt, info, length=32):
    return HKDF(hashes.SHA256(), length, salt, info).derive(ikm)


def x25519_public(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


# --- §2 fingerprint ------------------------------------------------------------------------------


def fingerprint(vendor_key_id, version):
    label = b"modelseal/v%d" % version
    salt = hashlib.sha256(label + b" fingerprint-salt\x00" + vendor_key_id).digest()
    result = []
    for name in sorted(COMPONENTS):
        value = COMPONENTS[name].encode()
        material = value
        if version == 2:
            password = b"modelseal/v2 fingerprint\x00" + name.encode() + b"\x00" + value
            material = Scrypt(salt=salt, length=32, n=1 << 13, r=8, p=1).derive(password)
        digest = hmac_sha256(salt, label + b" fingerprint-hash\x00" + name.encode() + b"\x00" + material)
        private = hkdf(material, salt, label + b" fingerprint-key\x00" + name.encode())
        result.append({"name": name, "hash": digest, "public": x25519_public(private)})
    return result


# --- §4 ComponentLock ----------------------------------------------------------------------------


def gf_mul(a, b):
    product = 0
    for _ in range(8):
        if b & 1:
            product ^= a
        carry = a & 0x80
        a = (a << 1) & 0xFF
        if carry:
            a ^= 0x1B
        b >>= 1
    return product


def shamir_split(secret, k, n, label):
    shares = [bytearray() for _ in range(n)]
    for position, byte in enumerate(secret):
        coefficients = [byte] + list(det("%s coefficients %d" % (label, position), k - 1))
        for index in range(n):
            x = index + 1
            value = 0
            for coefficient in reversed(coefficients):
                value = gf_mul(value, x) ^ coefficient
            shares[index].append(value)
    return [bytes(share) for share in shares]


def component_lock(secret, publics, k, context, label):
    sealed = []
    for index, (public, share) in enumerate(zip(publics, shamir_split(secret, k, len(publics), label))):
        enc, ct = hpke_seal(public, det("%s ephemeral %d" % (label, index)), b"modelseal/v1 component-share",
                            context, share)
        sealed.append(enc + ct)
    return sealed


def aes_gcm_zero_nonce(key, plaintext, aad):
    return AESGCM(key).encrypt(bytes(12), plaintext, aad)


# --- §5 machine key file and request, §3/§4 license ----------------------------------------------


def build(version):
    vendor = Ed25519PrivateKey.from_private_bytes(det("vendor %d" % version))
    spki = vendor.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    vendor_key_id = hashlib.sha256(spki).digest()
    components = fingerprint(vendor_key_id, version)
    names = [c["name"] for c in components]
    threshold = max(1, len(components) - TOLERANCE)
    machine_private = det("machine key %d" % version)
    machine_public = x25519_public(machine_private)

    label = b"modelseal/v1 machine-key"
    s = det("machine secret %d" % version)
    shares = component_lock(s, [c["public"] for c in components], threshold, label + vendor_key_id,
                            "machine %d" % version)
    sealed_private = aes_gcm_zero_nonce(
        hkdf(s, vendor_key_id, label), machine_private, label + vendor_key_id + machine_public)
    machine_file = {
        "type": "modelseal-machine-key", "version": version, "vendor_key_id": vendor_key_id.hex(),
        "machine_key": b64(machine_public), "components": names, "threshold": threshold,
        "shares": [b64(x) for x in shares], "sealed_private_key": b64(sealed_private),
    }
    request = {
        "type": "modelseal-license-request", "version": version, "vendor_key_id": vendor_key_id.hex(),
        "machine_key": b64(machine_public),
        "components": [{"name": c["name"], "hash": c["hash"].hex(), "key": b64(c["public"])} for c in components],
        "threshold": threshold, "created_at": NOW, "label": "vector",
    }
    if version == 2:
        machine_file["kem"] = "x25519"
        request["kem"] = "x25519"

    license_id = det("license id %d" % version, 16)
    license_key = det("license key %d" % version)
    a = det("secret A %d" % version)
    b = det("secret B %d" % version)
    enc, ct = hpke_seal(machine_public, det("machine share ephemeral %d" % version),
                        b"modelseal/v1 license-machine", license_id, a)
    component_shares = component_lock(b, [c["public"] for c in components], threshold,
                                      b"modelseal/v1 license" + license_id, "license %d" % version)
    wrapped = aes_gcm_zero_nonce(hkdf(a + b, license_id, b"modelseal/v1 license-key"), license_key,
                                 b"modelseal/v1 license-key" + license_id)
    machine = {"vendor_key_id": vendor_key_id.hex(), "machine_key": b64(machine_public),
               "components": [{"name": c["name"], "hash": c["hash"].hex()} for c in components], "match": threshold}
    if version == 2:
        machine["kem"] = "x25519"
    body = {
        "type": "modelseal-license", "version": version, "id": license_id.hex(), "customer": "Vector Customer",
        "issued_at": NOW, "not_before": NOW, "expires_at": NOW + 365 * 86400, "models": [], "machine": machine,
        "key": {"machine_share": b64(enc + ct), "component_shares": [b64(x) for x in component_shares],
                "wrapped_key": b64(wrapped)},
        "max_loads": 10, "features": {"file_output": True},
        "guards": {"tracer": "warn", "preload": "warn", "virtualization": "allow"},
    }
    signature = vendor.sign(b"modelseal/v1 license\x00" + canonical(body))
    license_file = {"license": body,
                    "signature": {"algorithm": "ed25519", "public_key": b64(spki), "value": b64(signature)}}
    return {
        "comment": "spec/LICENSING.md version %d: a license for the machine with these raw components "
                   "(scripts/gen-license-vectors.py)" % version,
        "version": version,
        "components": COMPONENTS,
        "hashes": {c["name"]: c["hash"].hex() for c in components},
        "machine_key_file": canonical(machine_file).decode() + "\n",
        "request": canonical(request).decode() + "\n",
        "license": canonical(license_file).decode() + "\n",
        "license_key": license_key.hex(),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    container.check_hpke_against_rfc9180()
    os.makedirs(sys.argv[1], exist_ok=True)
    for version in (1, 2):
        with open(os.path.join(sys.argv[1], "v%d.json" % version), "w") as out:
            out.write(json.dumps(build(version), indent=1, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
