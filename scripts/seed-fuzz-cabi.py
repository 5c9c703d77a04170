#!/usr/bin/env python3
"""Seeds for Fuzz/Sources/FuzzCABI: scenario byte, then its input (see the target's comment).

Every container and Fernet vector becomes a scenario-1 seed `\\x01 [len(key)] key-text file`, so mutations
start from files their key opens; one seed each for the key-text, handle and status scenarios.
"""
import pathlib
import subprocess
import sys
import tempfile

corpus = pathlib.Path(sys.argv[1])
corpus.mkdir(parents=True, exist_ok=True)
# The article's Fernet tokens open through the same entry points (recognised by content).
vectors = sorted(pathlib.Path("Tests/Vectors/container").iterdir()) + sorted(pathlib.Path("Tests/Vectors/fernet").iterdir())
for vector in vectors:
    preamble, _, body = vector.read_bytes().partition(b"\n\n")
    key = next((line.split(b": ", 1)[1] for line in preamble.splitlines() if line.startswith(b"key: ")), b"")
    (corpus / f"file-{vector.parent.name}-{vector.name}").write_bytes(b"\x01" + bytes([len(key)]) + key + body)
(corpus / "keys").write_bytes(b"\x00" + b"zr4THqgxsBt0Zh5XfAqRGW6ThCEi_Xuzz6dtBFz-qCU=")
(corpus / "handles").write_bytes(b"\x02" + bytes(range(64)))
(corpus / "statuses").write_bytes(b"\x03" + bytes([10, 0, 0, 0, 30, 0, 0, 0, 255, 255, 255, 255]))
# A real self-signed certificate (DER) for the TLS pin reader.
with tempfile.TemporaryDirectory() as folder:
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", f"{folder}/key.pem", "-outform", "DER", "-out", f"{folder}/cert.der",
                           "-subj", "/CN=modelseal-fuzz", "-days", "1"], capture_output=True)
    if made.returncode == 0:
        (corpus / "tls-certificate").write_bytes(b"\x04" + pathlib.Path(f"{folder}/cert.der").read_bytes())
(corpus / "server-answer").write_bytes(b"\x04" + b'{"lease":{"type":"modelseal-lease","version":1},"signature":"","wrapped_key":""}')
