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
OUTPUT_DIR/v2-p256-tpm.json is the version 2 license for a TPM machine key (§5, `kem` `p256-tpm`):
the machine share is HPKE DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM (checked against
RFC 9180 A.3.1 on every run), and `machine_private_key` is the P-256 scalar a test loads into a
TPM with TPM2_LoadExternal in place of the key TPM2_CreatePrimary would make from `tpm_unique`.
OUTPUT_DIR/v2-p256-tpm-attested.json is the same license issued after EK attestation (§5 "Attestation"):
the request carries an EK certificate (an RSA 2048 EK from deterministic primes, certified by an Ed25519
test CA, `ek_ca`) and the machine key's TPM2B_PUBLIC; the license carries the TPM2_MakeCredential
output for that EK and the key's name (RSA-OAEP with label "IDENTITY", KDFa, AES-128-CFB, HMAC, written
here from TPM 2.0 Part 1 §24 and RFC 8017), made from `credential_seed` and `credential_oaep_seed`, and its
secret `credential_secret` is the third input of the wrapping key.

Usage: gen-license-vectors.py OUTPUT_DIR   (the committed vectors: Tests/Vectors/licensing)
"""

import base64
import datetime
import hashlib
import importlib.util
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography import x509
from cryptography.hazmat.primitives import hmac as hmac_primitive
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

try:  # AES-CFB's home from cryptography 43 on (TPM 2.0 still uses it)
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:
    CFB = modes.CFB
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


# --- HPKE with DHKEM(P-256, HKDF-SHA256) (RFC 9180 §7.1; the TPM machine key's KEM) ---------------


def p256_private(seed):
    """A P-256 private key from 32 bytes (reduced into [1, n-1])."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(int.from_bytes(seed, "big") % (order - 1) + 1, ec.SECP256R1())


def p256_point(private):
    return private.public_key().public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint)


def hpke_p256_seal(pk_r, sk_e, info, aad, plaintext, aead_id=0x0002, nk=32):
    """SetupBaseS (DHKEM(P-256): dh = x-coordinate, kem_context = enc || pkR) then one Seal."""
    kem_suite = b"KEM" + container.i2osp(0x0010, 2)
    enc = p256_point(sk_e)
    dh = sk_e.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pk_r))
    eae_prk = container.labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared = container.labeled_expand(kem_suite, eae_prk, b"shared_secret", enc + pk_r, 32)
    suite = b"HPKE" + container.i2osp(0x0010, 2) + container.i2osp(0x0001, 2) + container.i2osp(aead_id, 2)
    context = b"\x00" + container.labeled_extract(suite, b"", b"psk_id_hash", b"") + \
        container.labeled_extract(suite, b"", b"info_hash", info)
    secret = container.labeled_extract(suite, shared, b"secret", b"")
    key = container.labeled_expand(suite, secret, b"key", context, nk)
    nonce = container.labeled_expand(suite, secret, b"base_nonce", context, 12)
    return enc, AESGCM(key).encrypt(nonce, plaintext, aad)


def check_hpke_p256_against_rfc9180():
    """RFC 9180 A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode."""
    h = bytes.fromhex
    sk_e = ec.derive_private_key(int("4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb", 16),
                                 ec.SECP256R1())
    pk_r = h("04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6"
             "aa8f80e30f1d128aafd68a2ce72ea0")
    enc, ct = hpke_p256_seal(pk_r, sk_e, h("4f6465206f6e2061204772656369616e2055726e"), h("436f756e742d30"),
                             h("4265617574792069732074727574682c20747275746820626561757479"), aead_id=0x0001, nk=16)
    assert enc == h("04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c09"
                    "00be863c403ce65c9bfcb9382657222d18c4")
    assert ct == h("5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434")


def aes_gcm_zero_nonce(key, plaintext, aad):
    return AESGCM(key).encrypt(bytes(12), plaintext, aad)


# --- §5 "Attestation": EK certificate, machine key public area, TPM2_MakeCredential ----------------


def det_prime(label, bits=1024):
    """A deterministic probable prime (Miller-Rabin with 32 fixed bases) with its top two bits set."""
    small = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
             103, 107, 109, 113, 127, 131]
    counter = 0
    while True:
        candidate = int.from_bytes(det("%s %d" % (label, counter), bits // 8), "big") | (3 << (bits - 2)) | 1
        counter += 1
        if any(candidate % p == 0 for p in small):
            continue
        d, r = candidate - 1, 0
        while d % 2 == 0:
            d, r = d // 2, r + 1
        def witness(a):
            x = pow(a, d, candidate)
            if x in (1, candidate - 1):
                return False
            for _ in range(r - 1):
                x = x * x % candidate
                if x == candidate - 1:
                    return False
            return True
        if not any(witness(a) for a in small):
            return candidate


def endorsement_key():
    """The vector's RSA 2048 EK (e = 65537) from deterministic primes."""
    e = 65537
    while True:
        p, q = det_prime("ek p"), det_prime("ek q")
        if (p - 1) % e and (q - 1) % e:
            break
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q))
    return numbers.private_key()


def ek_certificates(ek):
    """A self-signed Ed25519 test CA (deterministic signatures) and the EK certificate it issues (DER)."""
    ca = Ed25519PrivateKey.from_private_bytes(det("ek ca"))
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Vector TPM maker EK root")])
    start, end = datetime.datetime(2020, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59)
    ca_certificate = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                      .public_key(ca.public_key()).serial_number(1).not_valid_before(start).not_valid_after(end)
                      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                      .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                     critical=True)
                      .sign(ca, None))
    ek_certificate = (x509.CertificateBuilder()
                      .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vector EK")]))
                      .issuer_name(ca_name).public_key(ek.public_key()).serial_number(2)
                      .not_valid_before(start).not_valid_after(end)
                      .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                      .add_extension(x509.KeyUsage(False, False, True, False, False, False, False, False, False),
                                     critical=True)
                      .sign(ca, None))
    return (ca_certificate.public_bytes(serialization.Encoding.PEM).decode(),
            ek_certificate.public_bytes(serialization.Encoding.DER))


def machine_key_public(point):
    """TPM2B_PUBLIC of the machine key (§5 template, unique = the point)."""
    attributes = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 10) | (1 << 17)
    area = (bytes.fromhex("0023000b") + attributes.to_bytes(4, "big") + bytes.fromhex("0000" "0010" "0010" "0003" "0010")
            + b"\x00\x20" + point[1:33] + b"\x00\x20" + point[33:])
    return len(area).to_bytes(2, "big") + area


def kdfa(key, label, context_u, context_v, bits):
    out, counter = b"", 1
    while len(out) * 8 < bits:
        mac = hmac_primitive.HMAC(key, hashes.SHA256())
        mac.update(counter.to_bytes(4, "big") + label + b"\x00" + context_u + context_v + bits.to_bytes(4, "big"))
        out += mac.finalize()
        counter += 1
    return out[:bits // 8]


def rsa_oaep_sha256(public, message, label, seed):
    """RFC 8017 §7.1.1 with SHA-256, MGF1-SHA-256, a label and a given seed."""
    def mgf1(data, length):
        return b"".join(hashlib.sha256(data + i.to_bytes(4, "big")).digest() for i in range(length // 32 + 1))[:length]
    numbers = public.public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    block = hashlib.sha256(label).digest() + bytes(k - len(message) - 66) + b"\x01" + message
    masked_block = bytes(x ^ y for x, y in zip(block, mgf1(seed, k - 33)))
    masked_seed = bytes(x ^ y for x, y in zip(seed, mgf1(masked_block, 32)))
    return pow(int.from_bytes(b"\x00" + masked_seed + masked_block, "big"), numbers.e, numbers.n).to_bytes(k, "big")


def make_credential(ek_public, name, credential, seed, oaep_seed):
    """TPM2_MakeCredential (TPM 2.0 Part 1 §24) for an EK of template L-1 (SHA-256, AES-128-CFB)."""
    encrypted_secret = (256).to_bytes(2, "big") + rsa_oaep_sha256(ek_public, seed, b"IDENTITY\x00", oaep_seed)
    sym_key = kdfa(seed, b"STORAGE", name, b"", 128)
    encryptor = Cipher(algorithms.AES(sym_key), CFB(bytes(16))).encryptor()
    enc_identity = encryptor.update(len(credential).to_bytes(2, "big") + credential) + encryptor.finalize()
    mac = hmac_primitive.HMAC(kdfa(seed, b"INTEGRITY", b"", b"", 256), hashes.SHA256())
    mac.update(enc_identity + name)
    integrity = mac.finalize()
    body = (32).to_bytes(2, "big") + integrity + enc_identity
    return len(body).to_bytes(2, "big") + body, encrypted_secret


# --- §5 machine key file and request, §3/§4 license ----------------------------------------------


def build(version, kem="x25519", attested=False):
    vendor = Ed25519PrivateKey.from_private_bytes(det("vendor %d" % version))
    spki = vendor.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    vendor_key_id = hashlib.sha256(spki).digest()
    components = fingerprint(vendor_key_id, version)
    names = [c["name"] for c in components]
    threshold = max(1, len(components) - TOLERANCE)
    machine_private = det("machine key %d" % version)
    machine_public = x25519_public(machine_private)
    if kem == "p256-tpm":
        machine_private = det("machine key p256-tpm")
        machine_public = p256_point(p256_private(machine_private))

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
        machine_file["kem"] = kem
        request["kem"] = kem
    if kem == "p256-tpm":  # §5: no shares, the TPM protects the key; CreatePrimary's unique and the NV counter
        del machine_file["shares"], machine_file["sealed_private_key"]
        machine_file["tpm_unique"] = b64(det("tpm unique"))
        machine_file["tpm_counter"] = 0x01812345

    license_id = det("license id %d" % version, 16)
    license_key = det("license key %d" % version)
    a = det("secret A %d" % version)
    b = det("secret B %d" % version)
    if kem == "p256-tpm":
        enc, ct = hpke_p256_seal(machine_public, p256_private(det("machine share ephemeral p256-tpm")),
                                 b"modelseal/v1 license-machine", license_id, a)
    else:
        enc, ct = hpke_seal(machine_public, det("machine share ephemeral %d" % version),
                            b"modelseal/v1 license-machine", license_id, a)
    component_shares = component_lock(b, [c["public"] for c in components], threshold,
                                      b"modelseal/v1 license" + license_id, "license %d" % version)
    c = b""
    if attested:  # §5 "Attestation": the request's evidence, the license's credential, C in the wrapping key
        ek = endorsement_key()
        ca_pem, ek_der = ek_certificates(ek)
        area = machine_key_public(machine_public)
        request["tpm_attestation"] = {"ek_certificate": b64(ek_der), "machine_key_public": b64(area)}
        c = det("credential secret")
        id_object, encrypted_secret = make_credential(
            ek.public_key(), b"\x00\x0b" + hashlib.sha256(area[2:]).digest(), c, det("credential seed"),
            det("credential oaep seed"))
    wrapped = aes_gcm_zero_nonce(hkdf(a + b + c, license_id, b"modelseal/v1 license-key"), license_key,
                                 b"modelseal/v1 license-key" + license_id)
    machine = {"vendor_key_id": vendor_key_id.hex(), "machine_key": b64(machine_public),
               "components": [{"name": c["name"], "hash": c["hash"].hex()} for c in components], "match": threshold}
    if version == 2:
        machine["kem"] = kem
    body = {
        "type": "modelseal-license", "version": version, "id": license_id.hex(), "customer": "Vector Customer",
        "issued_at": NOW, "not_before": NOW, "expires_at": NOW + 365 * 86400, "models": [], "machine": machine,
        "key": {"machine_share": b64(enc + ct), "component_shares": [b64(x) for x in component_shares],
                "wrapped_key": b64(wrapped)},
        "max_loads": 10, "features": {"file_output": True},
        "guards": {"tracer": "warn", "preload": "warn", "virtualization": "allow"},
    }
    if attested:
        body["key"]["ek_credential"] = {"id_object": b64(id_object), "encrypted_secret": b64(encrypted_secret)}
    signature = vendor.sign(b"modelseal/v1 license\x00" + canonical(body))
    license_file = {"license": body,
                    "signature": {"algorithm": "ed25519", "public_key": b64(spki), "value": b64(signature)}}
    result = {
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
    if kem == "p256-tpm":
        result["comment"] = ("spec/LICENSING.md version 2, kem p256-tpm: a license for a TPM machine key whose "
                             "private scalar is machine_private_key (scripts/gen-license-vectors.py)")
        result["machine_private_key"] = p256_private(machine_private).private_numbers().private_value.to_bytes(
            32, "big").hex()
    if attested:
        result["comment"] = ("spec/LICENSING.md version 2, kem p256-tpm, issued after EK attestation (§5): the EK "
                             "certificate chains to ek_ca; credential_secret (C) is what TPM2_ActivateCredential "
                             "recovers, from credential_seed and credential_oaep_seed (scripts/gen-license-vectors.py)")
        result["ek_ca"] = ca_pem
        result["credential_secret"] = c.hex()
        result["credential_seed"] = det("credential seed").hex()
        result["credential_oaep_seed"] = det("credential oaep seed").hex()
    return result


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    container.check_hpke_against_rfc9180()
    check_hpke_p256_against_rfc9180()
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, version, kem, attested in (("v1", 1, "x25519", False), ("v2", 2, "x25519", False),
                                         ("v2-p256-tpm", 2, "p256-tpm", False),
                                         ("v2-p256-tpm-attested", 2, "p256-tpm", True)):
        with open(os.path.join(sys.argv[1], name + ".json"), "w") as out:
            out.write(json.dumps(build(version, kem, attested), indent=1, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
