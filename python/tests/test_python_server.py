"""`modelseal.load(path, server=URL)` end to end (docs/PYTHON.md, docs/SERVER.md §Client): the real
`modelseal-server` on SQLite in a temp folder, activation by the real `modelseal`, then the Python package
speaking HTTP itself while the library signs, verifies and unwraps; the TLS pin check against a
certificate made here with `cryptography` and a real TLS listener (Python's ssl)."""
import hashlib
import json
import socket
import ssl
import threading
import time

import pytest
import torch
from safetensors.torch import save_file
from test_server import ADMIN_TOKEN, Server, server_binary


def same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


@pytest.fixture
def server(modelseal_bin, tmp_path):
    instance = Server(server_binary(modelseal_bin), tmp_path).start()
    yield instance
    instance.stop()


def ship(run, tmp_path, server, *extra):
    """A .pt and a .safetensors sealed, added as two versions of model m, and a license of ACME for m."""
    state = {"w": torch.randn(64, 32), "b": torch.arange(10, dtype=torch.int64)}
    torch.save(state, tmp_path / "model.pt")
    save_file(state, str(tmp_path / "model.safetensors"))
    key = run("keygen", "--symmetric").stdout.decode().strip()
    admin = {"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}
    for name in ("model.pt", "model.safetensors"):
        run("seal", "--key-env", "MODEL_KEY", "-o", name + ".mseal", name, env={"MODEL_KEY": key})
        run("admin", "--server", server.url, "model", "add", "--name", "m", "--key-env", "MODEL_KEY", name + ".mseal",
            env=dict(admin, MODEL_KEY=key))
    added = run("admin", "--server", server.url, "license", "add", "--customer", "ACME", "--model", "m",
                "--max-machines", "1", *extra, "--json", env=admin)
    license = json.loads(added.stdout)
    (tmp_path / "acme.token").write_text(license["token"] + "\n")
    return {"state": state, "license": license, "admin": admin}


@pytest.fixture
def licensing(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    monkeypatch.delenv("MODEL_KEY", raising=False)
    return tmp_path / "licensing"


def leases(licensing):
    return sorted(licensing.glob("servers/*/leases/*.json"))


def loads(run, server, shipped):
    shown = run("admin", "--server", server.url, "license", "show", shipped["license"]["id"], env=shipped["admin"])
    return json.loads(shown.stdout)["loads"]


def test_pt_and_safetensors_through_the_server(run, tmp_path, server, licensing, modelseal_pkg):
    modelseal = modelseal_pkg
    shipped = ship(run, tmp_path, server)
    with pytest.raises(modelseal.NotActivatedError, match="modelseal activate --server"):
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    run("activate", "--server", server.url, "--token-file", "acme.token")

    same_state(modelseal.load(tmp_path / "model.pt.mseal", server=server.url), shipped["state"])
    same_state(modelseal.load(str(tmp_path / "model.safetensors.mseal"), server=server.url), shipped["state"])
    with modelseal.safe_open(tmp_path / "model.safetensors.mseal", server=server.url) as opened:
        assert torch.equal(opened.get_tensor("w"), shipped["state"]["w"])
    model = torch.nn.Module()
    model.w = torch.nn.Parameter(torch.zeros(64, 32))
    model.register_buffer("b", torch.zeros(10, dtype=torch.int64))
    modelseal.load_into(model, tmp_path / "model.safetensors.mseal", server=server.url)
    assert torch.equal(model.w.detach(), shipped["state"]["w"])
    assert len(leases(licensing)) == 2, "one cached release per file"
    assert loads(run, server, shipped) == 4
    with pytest.raises(modelseal.UsageError, match="server= gives the key"):
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url, key="x")


def test_revoke_refuses_and_deletes_the_cached_lease(run, tmp_path, server, licensing, modelseal_pkg):
    modelseal = modelseal_pkg
    shipped = ship(run, tmp_path, server)
    run("activate", "--server", server.url, "--token-file", "acme.token")
    modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    assert len(leases(licensing)) == 1
    run("admin", "--server", server.url, "license", "revoke", shipped["license"]["id"], env=shipped["admin"])
    with pytest.raises(modelseal.LicenseRevokedError, match="revoked") as refused:
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    assert refused.value.code == "revoked" and refused.value.http_status == 403 and refused.value.status == 30
    assert leases(licensing) == [], "a refusal deletes the cached lease"
    # With the cache gone, an unreachable server leaves nothing to load with.
    server.stop()
    with pytest.raises(modelseal.ServerUnreachableError, match="no cached lease"):
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)


def test_unreachable_server_uses_the_cached_lease_with_a_warning(run, tmp_path, server, licensing, modelseal_pkg):
    modelseal = modelseal_pkg
    shipped = ship(run, tmp_path, server)
    run("activate", "--server", server.url, "--token-file", "acme.token")
    modelseal.load(tmp_path / "model.safetensors.mseal", server=server.url)
    server.stop()
    with pytest.warns(modelseal.ServerUnreachableWarning, match="cached lease, valid 1440 more minute") as caught:
        state = modelseal.load(tmp_path / "model.safetensors.mseal", server=server.url)
    same_state(state, shipped["state"])
    warning = next(w.message for w in caught if isinstance(w.message, modelseal.ServerUnreachableWarning))
    assert 24 * 3600 - 120 < warning.lease_seconds_left <= 24 * 3600
    # The other file was never released to this machine: nothing cached for it.
    with pytest.raises(modelseal.ServerUnreachableError, match="no cached lease for this file"):
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)


def test_a_lease_that_ran_out_is_not_used(run, tmp_path, server, licensing, modelseal_pkg):
    modelseal = modelseal_pkg
    ship(run, tmp_path, server, "--lease-hours", "0")
    run("activate", "--server", server.url, "--token-file", "acme.token")
    modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    server.stop()
    with pytest.raises(modelseal.ServerUnreachableError, match="the cached lease ran out at"):
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    assert len(leases(licensing)) == 1, "a network error keeps the cache"


def test_the_offline_grace_outlives_the_lease(run, tmp_path, server, licensing, modelseal_pkg):
    """A license with a 1-second lease and an hour of offline grace: once the lease ran out and the server is
    gone, the cached release still opens (the grace is in the signed lease, checked by the library)."""
    modelseal = modelseal_pkg
    shipped = ship(run, tmp_path, server, "--lease-seconds", "1", "--grace-seconds", "3600")
    run("activate", "--server", server.url, "--token-file", "acme.token")
    modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    server.stop()
    time.sleep(2)
    with pytest.warns(modelseal.ServerUnreachableWarning, match="cached lease, valid 60 more minute") as caught:
        state = modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    same_state(state, shipped["state"])
    warning = next(w.message for w in caught if isinstance(w.message, modelseal.ServerUnreachableWarning))
    assert 3600 - 120 < warning.lease_seconds_left <= 3600


def test_over_quota(run, tmp_path, server, licensing, modelseal_pkg):
    modelseal = modelseal_pkg
    ship(run, tmp_path, server, "--max-loads", "2")
    run("activate", "--server", server.url, "--token-file", "acme.token")
    for _ in range(2):
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    with pytest.raises(modelseal.OverQuotaError, match="over_quota") as refused:
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    assert refused.value.status == 35


def test_a_retried_nonce_gets_the_same_release_counted_once(run, tmp_path, server, licensing, modelseal_pkg):
    from modelseal import _ffi, _server

    shipped = ship(run, tmp_path, server)
    run("activate", "--server", server.url, "--token-file", "acme.token")
    with _ffi.SealedFile(str(tmp_path / "model.pt.mseal")) as sealed, _ffi.Keyring() as ring:
        with _ffi.ServerRequest(sealed, server.url) as request:
            spec = json.loads(request.http())
            assert spec["scheme"] == "http" and spec["method"] == "POST" and spec["target"] == "/v1/release"
            first = _server.send(spec)
            # Asking again gives the same signed request (same nonce): a retry after a lost answer.
            assert json.loads(request.http()) == spec
            retried = _server.send(spec)
            assert first == retried and first[0] == 200
            request.add_answer(ring, *retried)
            with pytest.raises(modelseal_pkg.UsageError, match="already answered"):
                request.add_answer(ring, *first)
        sealed.unlock(ring)
        assert sealed.decrypt() == (tmp_path / "model.pt").read_bytes()
    assert loads(run, server, shipped) == 1


def test_a_forged_answer_is_refused_and_not_cached(run, tmp_path, server, licensing, modelseal_pkg):
    from modelseal import _ffi, _server

    ship(run, tmp_path, server)
    run("activate", "--server", server.url, "--token-file", "acme.token")
    with _ffi.SealedFile(str(tmp_path / "model.pt.mseal")) as sealed, _ffi.Keyring() as ring:
        with _ffi.ServerRequest(sealed, server.url) as request:
            status, body = _server.send(json.loads(request.http()))
            answer = json.loads(body)
            answer["lease"]["expires_at"] += 10**6  # a longer offline grace than the server signed
            with pytest.raises(modelseal_pkg.FormatError, match="signature does not verify"):
                request.add_answer(ring, status, json.dumps(answer).encode())
        with pytest.raises(modelseal_pkg.Error):
            sealed.unlock(ring)
    assert leases(licensing) == []


def test_a_sealed_folder_needs_a_key(tmp_path, modelseal_pkg):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "modelseal-folder.mseal").write_bytes(b"")
    with pytest.raises(modelseal_pkg.NotSupportedError, match="sealed folder"):
        modelseal_pkg.load(tmp_path / "folder", server="http://127.0.0.1:1")


# The TLS pin (SERVER-TEAM.md contract: `tls_spki_sha256` of activation.json) against a certificate made here.

def certificate(tmp_path, name):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / f"{name}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_bytes(serialization.Encoding.DER), hashlib.sha256(spki).hexdigest()


class TLSListener:
    """A one-connection-at-a-time TLS listener answering every request with a fixed JSON body."""

    def __init__(self, tmp_path, name):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(tmp_path / f"{name}.pem", tmp_path / f"{name}.key")
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.received = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(connection, server_side=True) as tls:
                    data = self.read_request(tls)
                    self.received.append(data)
                    if data:
                        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            except (OSError, ssl.SSLError):
                pass

    @staticmethod
    def read_request(tls) -> bytes:
        """The whole request (head and Content-Length body), or what came before the client closed."""
        data = b""
        while True:
            head, _, body = data.partition(b"\r\n\r\n")
            if _:
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if len(body) >= length:
                    return data
            chunk = tls.recv(65536)
            if not chunk:
                return data
            data += chunk

    def close(self):
        self.socket.close()


def test_the_library_computes_the_spki_pin(tmp_path, modelseal_pkg):
    from modelseal import _ffi

    der, expected = certificate(tmp_path, "server")
    assert _ffi.tls_spki_sha256(der) == expected
    for bad in (b"", b"\x30\x03\x02\x01\x01", der[:100], b"not a certificate"):
        with pytest.raises(modelseal_pkg.FormatError):
            _ffi.tls_spki_sha256(bad)


def test_https_requires_the_pinned_key(tmp_path, modelseal_pkg):
    from modelseal import _server

    _, pin = certificate(tmp_path, "server")
    _, other = certificate(tmp_path, "other")
    listener = TLSListener(tmp_path, "server")
    try:
        spec = {"scheme": "https", "host": "127.0.0.1", "port": listener.port, "method": "POST",
                "target": "/v1/release", "headers": {}, "body": "{}", "tls_spki_sha256": pin}
        assert _server.send(spec) == (200, b"{}")
        assert len(listener.received) == 1
        with pytest.raises(modelseal_pkg.ServerPinError, match="not the key pinned at activation"):
            _server.send(dict(spec, tls_spki_sha256=other))
        with pytest.raises(modelseal_pkg.ServerPinError, match="no TLS pin"):
            _server.send(dict(spec, tls_spki_sha256=None))
        # Nothing was sent to the server whose key is not the pin.
        assert [data for data in listener.received if data] == listener.received[:1]
    finally:
        listener.close()
