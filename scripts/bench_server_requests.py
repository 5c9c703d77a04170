"""Activates MACHINES machines on a license of a running key server and writes COUNT single-use signed
release requests for wrk (scripts/bench-server.sh): real request signatures, a fresh nonce each, spread over
the machines. Nothing in the server knows it is benchmarked.

    python scripts/bench_server_requests.py URL TOKEN FILE_ID MACHINES COUNT OUT.lua [KEYS]

KEYS is `software` (the default: X25519 machine keys, Ed25519 request keys) or `p256` (the kinds a TPM-bound
activation registers, docs/SERVER.md §TPM: P-256 machine keys, ECDSA P-256 request keys; software keys here,
the server's work per release is the same).
"""
import base64
import hashlib
import json
import secrets
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
POINT = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint


def sign(key, message):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature_headers(key, method, path, body, now):
    nonce = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
    message = f"modelseal-request-v1\n{method}\n{path}\n{hashlib.sha256(body).hexdigest()}\n{nonce}\n{now}"
    signature = base64.b64encode(sign(key, message.encode())).decode()
    return {"x-modelseal-nonce": nonce, "x-modelseal-time": str(now), "x-modelseal-signature": signature}


def machine_keys(kinds="software"):
    """The activation body's key fields and the request-signing private key."""
    if kinds == "p256":
        signing = ec.generate_private_key(ec.SECP256R1())
        machine = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(*POINT)
        return {"machine_key": base64.b64encode(machine).decode(), "machine_kem": "p256",
                "signing_key": base64.b64encode(signing.public_key().public_bytes(*POINT)).decode(),
                "signing_algorithm": "ecdsa-p256"}, signing
    signing = ed25519.Ed25519PrivateKey.generate()
    return {"machine_key": base64.b64encode(x25519.X25519PrivateKey.generate().public_key().public_bytes(*RAW)).decode(),
            "signing_key": base64.b64encode(signing.public_key().public_bytes(*RAW)).decode()}, signing


def activate(url, token, kinds="software"):
    fields, signing = machine_keys(kinds)
    body = json.dumps(dict(fields, token=token, label="bench")).encode()
    headers = signature_headers(signing, "POST", "/v1/activate", body, int(time.time()))
    request = urllib.request.Request(url + "/v1/activate", data=body, method="POST",
                                     headers=dict(headers, **{"Content-Type": "application/json"}))
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["machine_id"], signing


def main():
    url, token, file_id, machines, count, out = sys.argv[1:7]
    kinds = sys.argv[7] if len(sys.argv) > 7 else "software"
    if kinds not in ("software", "p256"):
        sys.exit(f"KEYS is software or p256, not {kinds}")
    with ThreadPoolExecutor(8) as pool:
        activated = list(pool.map(lambda _: activate(url, token, kinds), range(int(machines))))
    body = json.dumps({"file_id": file_id}).encode()
    now = int(time.time())
    with open(out, "w") as lua:
        lua.write("return {\n")
        for index in range(int(count)):
            machine, key = activated[index % len(activated)]
            headers = signature_headers(key, "POST", "/v1/release", body, now)
            headers["x-modelseal-machine"] = machine
            headers["Content-Type"] = "application/json"
            lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            raw = f"POST /v1/release HTTP/1.1\r\nHost: bench\r\n{lines}Content-Length: {len(body)}\r\n\r\n{body.decode()}"
            lua.write(json.dumps(raw) + ",\n")
        lua.write("}\n")


if __name__ == "__main__":
    main()
