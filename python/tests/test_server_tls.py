"""The key server over TLS (docs/SERVER.md §TLS, §Rotation): the real `modelseal-server` with certificates
made here by Debian's openssl, the real `modelseal` pinning the server's TLS key at activation (trust on
first use, an explicit --server-pin, a --ca-file), refusing a server that presents another key, following
a signing-key rotation; and the client in its own network namespace (ip netns, a veth pair on a private
/30) so that activation, TLS and pinning cross a real interface. The pins the tests expect are computed
by openssl, not by the product."""
import hashlib
import json
import os
import random
import re
import signal
import ssl
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from test_server import ADMIN_TOKEN, server_binary

UNTRUSTED = 21  # the exit status for a server that is not the pinned one


def openssl(*args, **kwargs):
    return subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, **kwargs)


def make_certificate(folder, name, addresses, ca=None):
    """A P-256 key and a certificate for `addresses` (IP SANs and localhost), self-signed or signed by
    `ca` (a (cert, key) pair); returns (cert, key, pin) with pin the SHA-256 of its SubjectPublicKeyInfo."""
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    san = ",".join([f"IP:{address}" for address in addresses] + ["DNS:localhost"])
    if ca is None:
        openssl("req", "-x509", "-new", "-key", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
                "-addext", f"subjectAltName={san}")
    else:
        request = folder / f"{name}.csr"
        openssl("req", "-new", "-key", key, "-out", request, "-subj", f"/CN={name}")
        extensions = folder / f"{name}.ext"
        extensions.write_text(f"subjectAltName={san}\n")
        openssl("x509", "-req", "-in", request, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-out", cert,
                "-days", "2", "-extfile", extensions)
    der = openssl("pkey", "-in", key, "-pubout", "-outform", "DER").stdout
    return cert, key, hashlib.sha256(der).hexdigest()


def make_ca(folder, name):
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    openssl("req", "-x509", "-new", "-key", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    return cert, key


class TLSServer:
    """modelseal-server on `listen` with TLS, the admin API on the same listener (`--expose-admin` when it
    is not loopback: `admin model add` reads /v1/server, which the admin listener alone does not serve)."""

    def __init__(self, binary, folder):
        self.binary, self.folder, self.process = binary, folder, None
        self.url = self.admin_url = self.pin = None

    def start(self, cert, key, listen="127.0.0.1:0"):
        expose = [] if listen.startswith("127.") else ["--expose-admin"]
        self.process = subprocess.Popen(
            [self.binary, "--db", f"sqlite:{self.folder}/keys.db", "--listen", listen, *expose,
             "--tls-cert", cert, "--tls-key", key, "--no-rate-limit"],
            env=dict(os.environ, MODELSEAL_ADMIN_TOKEN=ADMIN_TOKEN, SWIFT_BACKTRACE="enable=no"),
            stderr=subprocess.PIPE, text=True)
        lines = []
        while self.url is None or self.admin_url is None:
            line = self.process.stderr.readline()
            assert line, f"the server did not start: {''.join(lines)}"
            lines.append(line)
            if match := re.search(r"TLS key pin sha256:([0-9a-f]{64})", line):
                self.pin = match.group(1)
            if match := re.search(r"client\+admin API listening on (https://\S+)", line):
                self.url = self.admin_url = match.group(1)
        threading.Thread(target=self.process.stderr.read, daemon=True).start()
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def restart(self, cert, key):
        """The same database and addresses, another certificate."""
        self.stop()
        listen = self.url.removeprefix("https://")
        self.url = self.admin_url = None
        return self.start(cert, key, listen)


@pytest.fixture
def tls_server(modelseal_bin, tmp_path):
    instance = TLSServer(server_binary(modelseal_bin), tmp_path)
    yield instance
    instance.stop()


def ship(run, tmp_path, server):
    """A sealed model and a license on the server, through the admin API over TLS (pinned)."""
    (tmp_path / "model.bin").write_bytes(os.urandom(200_000))
    key = run("keygen", "--symmetric").stdout.decode().strip()
    run("seal", "--key-env", "MODEL_KEY", "-o", "m.mseal", "model.bin", env={"MODEL_KEY": key})
    admin = ["admin", "--server", server.admin_url, "--server-pin", f"sha256:{server.pin}"]
    env = {"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}
    run(*admin, "model", "add", "--name", "m", "--key-env", "MODEL_KEY", "m.mseal", env=dict(env, MODEL_KEY=key))
    license = json.loads(run(*admin, "license", "add", "--customer", "ACME", "--model", "m", "--max-machines", "3",
                             "--json", env=env).stdout)
    (tmp_path / "acme.token").write_text(license["token"] + "\n")
    return license


def activation_file(tmp_path):
    files = list((tmp_path / "licensing").glob("servers/*/activation.json"))
    assert len(files) == 1, files
    return files[0]


def test_plain_http_only_on_loopback_with_the_flag(modelseal_bin, tmp_path):
    binary = server_binary(modelseal_bin)
    database = ["--db", f"sqlite:{tmp_path}/keys.db"]
    for args, expected in [
        (["--listen", "0.0.0.0:0", "--admin-listen", "127.0.0.1:0", "--insecure-http"], "not a loopback"),
        (["--listen", "127.0.0.1:0", "--admin-listen", "10.0.0.1:0", "--insecure-http"], "not a loopback"),
        (["--listen", "127.0.0.1:0"], "--tls-cert"),
        (["--listen", "127.0.0.1:0", "--tls-cert", "missing.pem"], "go together"),
        (["--listen", "127.0.0.1:0", "--tls-cert", "missing.pem", "--tls-key", "missing.key"], "missing.pem"),
    ]:
        result = subprocess.run([binary, *database, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                                env=dict(os.environ, MODELSEAL_ADMIN_TOKEN=ADMIN_TOKEN, SWIFT_BACKTRACE="enable=no"))
        assert result.returncode != 0, args
        assert expected in result.stderr, (args, result.stderr)


def test_trust_on_first_use_pins_the_tls_key(run, tmp_path, tls_server, monkeypatch):
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    cert, key, pin = make_certificate(tmp_path, "first", ["127.0.0.1"])
    tls_server.start(cert, key)
    assert tls_server.pin == pin, "the server prints the pin openssl computes"
    ship(run, tmp_path, tls_server)
    run("activate", "--server", tls_server.url, "--token-file", "acme.token")
    assert json.loads(activation_file(tmp_path).read_text())["tls_spki_sha256"] == pin
    run("open", "--server", tls_server.url, "-o", "out.bin", "m.mseal")
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()

    # The same server with another key (the same name, a new self-signed certificate): refused, and the
    # cached lease is not used for it (that is for a server that does not answer at all).
    other_cert, other_key, other_pin = make_certificate(tmp_path, "other", ["127.0.0.1"])
    tls_server.restart(other_cert, other_key)
    refused = run("open", "--server", tls_server.url, "-o", "again.bin", "m.mseal", check=False)
    assert refused.returncode == UNTRUSTED, refused.stderr
    message = refused.stderr.decode()
    assert f"sha256:{other_pin}" in message and f"sha256:{pin}" in message and "--server-pin" in message
    assert "cached" not in message and not (tmp_path / "again.bin").exists()
    # Activating again without a pin keeps the old one; the vendor's new pin moves it.
    again = run("activate", "--server", tls_server.url, "--token-file", "acme.token", check=False)
    assert again.returncode == UNTRUSTED, again.stderr
    run("activate", "--server", tls_server.url, "--token-file", "acme.token", "--server-pin", f"sha256:{other_pin}")
    assert json.loads(activation_file(tmp_path).read_text())["tls_spki_sha256"] == other_pin
    run("open", "--server", tls_server.url, "--check", "m.mseal")


def test_machine_calls_over_https_check_the_pin(run, tmp_path, tls_server, monkeypatch):
    """heartbeat, check-in and deactivate go over the activation's pinned TLS: a server with another key
    gets no call (exit UNTRUSTED) and the activation stays; the pinned server takes them."""
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    cert, key, _ = make_certificate(tmp_path, "first", ["127.0.0.1"])
    tls_server.start(cert, key)
    ship(run, tmp_path, tls_server)
    run("activate", "--server", tls_server.url, "--token-file", "acme.token")
    beat = run("heartbeat", "--server", tls_server.url)
    assert b"node-locked license" in beat.stdout
    other_cert, other_key, _ = make_certificate(tmp_path, "other", ["127.0.0.1"])
    tls_server.restart(other_cert, other_key)
    for command in (["heartbeat"], ["heartbeat", "--check-in"], ["deactivate"]):
        refused = run(*command, "--server", tls_server.url, check=False)
        assert refused.returncode == UNTRUSTED, (command, refused.stderr)
        assert b"--server-pin" in refused.stderr, refused.stderr
    assert activation_file(tmp_path).exists()
    tls_server.restart(cert, key)
    run("deactivate", "--server", tls_server.url)
    assert not list((tmp_path / "licensing").glob("servers/*/activation.json"))


def test_an_explicit_pin_or_a_ca_file(run, tmp_path, tls_server, monkeypatch):
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    ca = make_ca(tmp_path, "vendor-ca")
    stranger = make_ca(tmp_path, "stranger-ca")
    cert, key, pin = make_certificate(tmp_path, "server", ["127.0.0.1"], ca=ca)
    tls_server.start(cert, key)
    ship(run, tmp_path, tls_server)
    wrong = run("activate", "--server", tls_server.url, "--token-file", "acme.token",
                "--server-pin", "sha256:" + "0" * 64, check=False)
    assert wrong.returncode == UNTRUSTED and b"intercepting" in wrong.stderr
    unverified = run("activate", "--server", tls_server.url, "--token-file", "acme.token",
                     "--ca-file", stranger[0], check=False)
    assert unverified.returncode == UNTRUSTED and b"does not verify" in unverified.stderr
    assert not list((tmp_path / "licensing").glob("servers/*/activation.json"))
    bad_pin = run("activate", "--server", tls_server.url, "--token-file", "acme.token", "--server-pin", "abc",
                  check=False)
    assert bad_pin.returncode != 0 and b"sha256:HEX" in bad_pin.stderr
    admin_unpinned = run("admin", "--server", tls_server.admin_url, "license", "list",
                         env={"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}, check=False)
    assert admin_unpinned.returncode != 0 and b"--server-pin" in admin_unpinned.stderr

    run("activate", "--server", tls_server.url, "--token-file", "acme.token", "--ca-file", ca[0])
    assert json.loads(activation_file(tmp_path).read_text())["tls_spki_sha256"] == pin
    run("open", "--server", tls_server.url, "--check", "m.mseal")
    # After activation the pin rules, whatever CA signed: a new certificate from the same CA is refused.
    renewed, renewed_key, _ = make_certificate(tmp_path, "renewed", ["127.0.0.1"], ca=ca)
    tls_server.restart(renewed, renewed_key)
    refused = run("open", "--server", tls_server.url, "--check", "m.mseal", check=False)
    assert refused.returncode == UNTRUSTED, refused.stderr


def test_console_cookie_is_secure_over_https(tmp_path, tls_server):
    cert, key, _ = make_certificate(tmp_path, "console", ["127.0.0.1"])
    tls_server.start(cert, key)
    context = ssl.create_default_context(cafile=str(cert))
    with urllib.request.urlopen(tls_server.admin_url + "/console/login", context=context, timeout=30) as answer:
        cookies = answer.headers.get_all("Set-Cookie")
    assert cookies and all("; Secure" in cookie and "HttpOnly" in cookie for cookie in cookies), cookies


def test_signing_key_rotation_is_followed(run, modelseal_bin, tmp_path, tls_server, monkeypatch):
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    cert, key, _ = make_certificate(tmp_path, "server", ["127.0.0.1"])
    tls_server.start(cert, key)
    ship(run, tmp_path, tls_server)
    run("activate", "--server", tls_server.url, "--token-file", "acme.token")
    before = json.loads(activation_file(tmp_path).read_text())
    run("open", "--server", tls_server.url, "--check", "m.mseal")

    tls_server.stop()
    rotated = subprocess.run([server_binary(modelseal_bin), "key", "rotate-signing", "--db",
                              f"sqlite:{tmp_path}/keys.db"], capture_output=True, text=True, check=True, timeout=60)
    statement = json.loads(rotated.stdout)
    assert statement["statement"]["previous_key"] == before["server_key"]
    tls_server.restart(cert, key)
    run("open", "--server", tls_server.url, "-o", "out.bin", "m.mseal")
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()
    after = json.loads(activation_file(tmp_path).read_text())
    assert after["server_key"] == statement["statement"]["next_key"]
    assert after["activated_server_key"] == before["server_key"]

    # A pin the published chain does not start from (as if the server's key had been replaced without a
    # statement from the key this machine pinned): refused.
    after["server_key"] = "A" * 43 + "="
    activation_file(tmp_path).write_text(json.dumps(after))
    refused = run("open", "--server", tls_server.url, "--check", "m.mseal", check=False)
    assert refused.returncode == UNTRUSTED and b"rotation statement" in refused.stderr, refused.stderr


@pytest.fixture
def namespace():
    """A network namespace joined to this one by a veth pair on a private /30: yields (name, host address,
    namespace address); deleted afterwards."""
    if os.geteuid() != 0:
        pytest.fail("the network-namespace test needs root (ip netns add)")
    tag = f"{os.getpid() % 10000}{random.randrange(100)}"
    name, host_side, inner_side = f"mstls{tag}", f"mst{tag}h", f"mst{tag}n"
    subnet = f"10.{random.randrange(200, 250)}.{random.randrange(256)}.{4 * random.randrange(64)}"
    base = subnet.rsplit(".", 1)
    host, inner = f"{base[0]}.{int(base[1]) + 1}", f"{base[0]}.{int(base[1]) + 2}"

    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    ip("netns", "add", name)
    try:
        ip("link", "add", host_side, "type", "veth", "peer", "name", inner_side)
        ip("link", "set", inner_side, "netns", name)
        ip("addr", "add", f"{host}/30", "dev", host_side)
        ip("link", "set", host_side, "up")
        ip("-n", name, "addr", "add", f"{inner}/30", "dev", inner_side)
        ip("-n", name, "link", "set", inner_side, "up")
        ip("-n", name, "link", "set", "lo", "up")
        yield name, host, inner
    finally:
        subprocess.run(["ip", "link", "del", host_side], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_client_in_its_own_network_namespace(run, modelseal_bin, tmp_path, tls_server, namespace, monkeypatch):
    name, host, inner = namespace
    licensing = tmp_path / "licensing"
    cert, key, pin = make_certificate(tmp_path, "server", [host])
    tls_server.start(cert, key, listen=f"{host}:0")
    ship(run, tmp_path, tls_server)

    def client(*args):
        return subprocess.run(["ip", "netns", "exec", name, modelseal_bin, *map(str, args)], cwd=tmp_path,
                              capture_output=True, timeout=120,
                              env=dict(os.environ, MODELSEAL_LICENSE_DIR=str(licensing), SWIFT_BACKTRACE="enable=no"))

    # The namespace reaches the server only through the veth pair: its loopback is its own.
    port = tls_server.url.rsplit(":", 1)[1]
    unreachable = client("activate", "--server", f"https://127.0.0.1:{port}", "--token-file", "acme.token")
    assert unreachable.returncode != 0 and b"unreachable" in unreachable.stderr

    activated = client("activate", "--server", tls_server.url, "--token-file", "acme.token")
    assert activated.returncode == 0, activated.stderr
    assert json.loads(activation_file(tmp_path).read_text())["tls_spki_sha256"] == pin
    opened = client("open", "--server", tls_server.url, "-o", "out.bin", "m.mseal")
    assert opened.returncode == 0, opened.stderr
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()
    machines = json.loads(run("admin", "--server", tls_server.admin_url, "--server-pin", f"sha256:{tls_server.pin}",
                              "license", "list", env={"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}).stdout)
    assert machines

    # A server at the same address presenting another key is refused across the interface.
    other_cert, other_key, _ = make_certificate(tmp_path, "impostor", [host])
    tls_server.restart(other_cert, other_key)
    refused = client("open", "--server", tls_server.url, "--check", "m.mseal")
    assert refused.returncode == UNTRUSTED and b"pinned" in refused.stderr, refused.stderr
