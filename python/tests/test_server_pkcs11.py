"""The key server's master key on a PKCS#11 token (docs/SERVER.md §Keys): a REAL SoftHSM2 token in a temp folder
(SOFTHSM2_CONF) whose AES-256 keys are made by the REAL pkcs11-tool (opensc), the real `modelseal-server` on
SQLite and the real `modelseal` client. The server wraps and unwraps every secret with C_Encrypt/C_Decrypt
(CKM_AES_GCM) on the token; the key itself never leaves it."""
import base64
import os
import re
import secrets
import sqlite3
import subprocess

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from test_server import Server, server_binary, ship
from test_server_postgres import cluster, psql  # noqa: F401 (a fixture)

from softhsm import MODULE, PIN, init_token, tool
TOKEN_PREFIX = b"mstoken\x01"


def uri(label):
    return f"pkcs11:token=server%20keys;object={label}"


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A SoftHSM2 token 'server keys' with AES-256 keys `master` and `master2` (sensitive, private, never
    extractable), an extractable AES key `leaky`, a 16-byte AES key `short` and a P-256 key pair `signer`."""
    folder = tmp_path_factory.mktemp("softhsm")
    env = init_token(folder, "server keys")
    login = ("--login", "--pin", PIN)
    for label in ("master", "master2"):
        tool(env, *login, "--keygen", "--key-type", "AES:32", "--label", label, "--sensitive", "--private")
    tool(env, *login, "--keygen", "--key-type", "AES:32", "--label", "leaky", "--private", "--extractable")
    tool(env, *login, "--keygen", "--key-type", "AES:16", "--label", "short", "--sensitive", "--private")
    tool(env, *login, "--keypairgen", "--key-type", "EC:prime256v1", "--label", "signer", "--id", "01")
    known = folder / "known.key"
    known.write_bytes(os.urandom(32))  # imported, so that the test can check the blobs with the key's bytes
    tool(env, *login, "--write-object", str(known), "--type", "secrkey", "--key-type", "AES:32", "--label", "known",
         "--sensitive", "--private")
    return {"SOFTHSM2_CONF": env["SOFTHSM2_CONF"], "MODELSEAL_PKCS11_MODULE": MODULE, "MODELSEAL_PKCS11_PIN": PIN,
            "tokens": str(folder / "tokens"), "known": known.read_bytes()}


def server_env(token):
    return {name: value for name, value in token.items() if name not in ("tokens", "known")}


def opens(run, tmp_path, server, name):
    run("open", "--server", server.url, "-o", name, "m.mseal")
    assert (tmp_path / name).read_bytes() == (tmp_path / "model.bin").read_bytes()


def restart(server):
    server.stop()
    return server.start(port=int(server.url.rsplit(":", 1)[1]))  # the activation is kept per server URL


def blobs(tmp_path):
    """Every secret the database holds under the master key: (label, wrapped bytes)."""
    with sqlite3.connect(tmp_path / "keys.db") as db:
        settings = db.execute("SELECT name, value FROM settings WHERE name IN "
                              "('signing_key', 'intake_key', 'signing_key_rotations')").fetchall()
        versions = db.execute("SELECT 'file-key ' || file_id, wrapped_key FROM versions").fetchall()
    return [(label, bytes(value)) for label, value in settings + versions]


def server_command(server, *args, env):
    return subprocess.run([server.binary, *args, "--db", f"sqlite:{server.folder}/keys.db"],
                          env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **env), capture_output=True, text=True)


def test_token_master_key_serves_releases_across_a_restart(run, modelseal_bin, tmp_path, token, monkeypatch):
    """A server whose master key is on the token registers a model, activates, releases a key, restarts and
    releases again; every stored secret is a token blob and no master key file is made."""
    server = Server(server_binary(modelseal_bin), tmp_path, options=["--master-key", uri("master")],
                    env=server_env(token)).start()
    try:
        ship(run, tmp_path, server, monkeypatch, max_loads=10)
        run("activate", "--server", server.url, "--token-file", "acme.token")
        opens(run, tmp_path, server, "first.bin")
        restart(server)
        opens(run, tmp_path, server, "second.bin")
    finally:
        server.stop()
    assert not (tmp_path / "keys.db.master-key").exists()
    stored = blobs(tmp_path)
    assert {label for label, _ in stored} >= {"signing_key", "intake_key"} and len(stored) == 3
    assert all(value.startswith(TOKEN_PREFIX) and len(value) == 8 + 12 + 32 + 16 for _, value in stored)
    verified = server_command(server, "audit", "verify", "--master-key-file", uri("master"), env=server_env(token))
    assert verified.returncode == 0, verified.stderr


def test_token_blobs_are_the_specified_aes_gcm(modelseal_bin, tmp_path, token):
    """With a key imported into the token (so that its bytes are known to the test), every stored secret is
    "mstoken" 0x01 ‖ IV ‖ AES-256-GCM(ciphertext ‖ tag) with the label as associated data, as docs/SERVER.md
    specifies: `cryptography` opens it, and the opened signing seed is the key GET /v1/server publishes."""
    import json
    import urllib.request
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    server = Server(server_binary(modelseal_bin), tmp_path, options=["--master-key", uri("known")],
                    env=server_env(token)).start()
    try:
        served = json.load(urllib.request.urlopen(server.url + "/v1/server"))
    finally:
        server.stop()
    opened = {}
    ivs = set()
    for label, wrapped in blobs(tmp_path):
        assert wrapped[:8] == TOKEN_PREFIX
        ivs.add(wrapped[8:20])
        opened[label] = AESGCM(token["known"]).decrypt(wrapped[8:20], wrapped[20:],
                                                       b"modelseal/v1 server " + label.encode())
        with pytest.raises(InvalidTag):  # the label is bound: another row's label does not open it
            AESGCM(token["known"]).decrypt(wrapped[8:20], wrapped[20:], b"modelseal/v1 server other")
    assert len(ivs) == len(opened) == 2  # a fresh IV per wrap
    public = Ed25519PrivateKey.from_private_bytes(opened["signing_key"]).public_key()
    assert base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode() == served["server_key"]


def test_master_key_never_leaves_the_token(run, modelseal_bin, tmp_path, token, monkeypatch):
    """No 32 bytes anywhere in the server's folder (database, WAL, any file, raw or base64) open a stored file key,
    and the token refuses to reveal the key: CKA_EXTRACTABLE false, CKA_SENSITIVE true, reading it fails."""
    server = Server(server_binary(modelseal_bin), tmp_path, options=["--master-key-file", uri("master")],
                    env=server_env(token)).start()
    try:
        ship(run, tmp_path, server, monkeypatch, max_loads=10)
        run("activate", "--server", server.url, "--token-file", "acme.token")
        opens(run, tmp_path, server, "out.bin")
    finally:
        server.stop()
    label, wrapped = next((label, value) for label, value in blobs(tmp_path) if label.startswith("file-key "))
    iv, sealed, aad = wrapped[8:20], wrapped[20:], b"modelseal/v1 server " + label.encode()
    candidates = 0
    for path in tmp_path.rglob("*"):
        if not path.is_file() or path.suffix in (".bin", ".mseal"):
            continue  # the model and its sealed copy: large, and not the server's
        data = path.read_bytes()
        windows = [data[i:i + 32] for i in range(len(data) - 31)]
        windows += [base64.b64decode(text) for text in re.findall(rb"[A-Za-z0-9+/]{43}=", data)]
        for window in set(windows):
            candidates += 1
            with pytest.raises(InvalidTag):
                AESGCM(window).decrypt(iv, sealed, aad)
    assert candidates > 10_000  # the database was searched, not skipped
    env = dict(os.environ, **server_env(token))
    listing = tool(env, "--login", "--pin", PIN, "--list-objects", "--type", "secrkey", "--label", "master").stdout
    assert "never extractable" in listing and "sensitive" in listing
    read = tool(env, "--login", "--pin", PIN, "--read-object", "--type", "secrkey", "--label", "master",
                check=False)
    assert read.returncode != 0 and read.stdout == ""


def test_rotate_file_to_token_to_token_to_file(run, modelseal_bin, tmp_path, token, monkeypatch):
    """`key rotate-master` moves the database from the default key file onto the token (the file is removed and
    no longer opens anything), to another token key, and back to a file; releases keep working on each key."""
    env = server_env(token)
    server = Server(server_binary(modelseal_bin), tmp_path, env=env).start()
    ship(run, tmp_path, server, monkeypatch, max_loads=10)
    run("activate", "--server", server.url, "--token-file", "acme.token")
    server.stop()
    old_file = tmp_path / "keys.db.master-key"
    (tmp_path / "old.key").write_bytes(old_file.read_bytes())

    moved = server_command(server, "key", "rotate-master", "--new-master-key", uri("master"), env=env)
    assert moved.returncode == 0 and "3 secret(s) re-wrapped" in moved.stderr, moved.stderr
    assert not old_file.exists() and all(v.startswith(TOKEN_PREFIX) for _, v in blobs(tmp_path))
    stale = server_command(server, "audit", "verify", "--master-key-file", str(tmp_path / "old.key"), env=env)
    assert stale.returncode != 0 and "wrapped by a master key on a PKCS#11 token" in stale.stderr
    server.options = ["--master-key-file", uri("master")]
    server.start(port=int(server.url.rsplit(":", 1)[1]))
    opens(run, tmp_path, server, "on-token.bin")
    server.stop()

    again = server_command(server, "key", "rotate-master", "--master-key", uri("master"),
                           "--new-master-key-file", uri("master"), env=env)
    assert again.returncode != 0 and "is the current master key" in again.stderr
    to_other = server_command(server, "key", "rotate-master", "--master-key", uri("master"),
                              "--new-master-key-file", uri("master2"), env=env)
    assert to_other.returncode == 0, to_other.stderr
    stale = server_command(server, "audit", "verify", "--master-key", uri("master"), env=env)
    assert stale.returncode != 0 and "wrapped by another token key" in stale.stderr

    back = server_command(server, "key", "rotate-master", "--master-key", uri("master2"),
                          "--new-master-key-file", str(tmp_path / "new.key"), env=env)
    assert back.returncode == 0 and "3 secret(s) re-wrapped" in back.stderr, back.stderr
    assert not any(v.startswith(TOKEN_PREFIX) for _, v in blobs(tmp_path))
    stale = server_command(server, "audit", "verify", "--master-key", uri("master2"), env=env)
    assert stale.returncode != 0 and "wrapped by a master key file, not by a token key" in stale.stderr
    server.options = ["--master-key-file", str(tmp_path / "new.key")]
    server.start(port=int(server.url.rsplit(":", 1)[1]))
    try:
        opens(run, tmp_path, server, "off-token.bin")
    finally:
        server.stop()


@pytest.mark.parametrize("case, options, change, expected", [
    ("wrong PIN", ["--master-key", uri("master")], {"MODELSEAL_PKCS11_PIN": "9999"}, "wrong PIN for token 'server keys'"),
    ("no PIN", ["--master-key", uri("master")], {"MODELSEAL_PKCS11_PIN": ""}, "needs a PIN: set MODELSEAL_PKCS11_PIN"),
    ("missing object", ["--master-key", uri("nothing")], {}, "no secret key matches"),
    ("missing module", ["--master-key", uri("master"), "--pkcs11-module", "/nonexistent/libp11.so"], {},
     "no module at /nonexistent/libp11.so"),
    ("not a PKCS#11 module", ["--master-key", uri("master"), "--pkcs11-module", "/usr/lib/x86_64-linux-gnu/libc.so.6"],
     {}, "is not a PKCS#11 module"),
    ("no module named", ["--master-key", uri("master")], {"MODELSEAL_PKCS11_MODULE": ""}, "no module named"),
    ("an EC key", ["--master-key", uri("signer")], {}, "names a private key on token 'server keys', not an AES key"),
    ("AES-128", ["--master-key", uri("short")], {}, "is not a 32-byte AES key"),
    ("extractable", ["--master-key", uri("leaky")], {}, "could leave the token"),
    ("bad URI", ["--master-key", "pkcs11:token=server keys;object=master"], {}, "bad pkcs11: URI"),
    ("URI in the environment", [], {"MODELSEAL_SERVER_MASTER_KEY": uri("nothing")}, "no secret key matches"),
])
def test_clear_errors(modelseal_bin, tmp_path, token, case, options, change, expected):
    """Each mistake is named with what to do, exit 1, no crash, and the server does not start."""
    env = {**server_env(token), **change}
    result = subprocess.run([server_binary(modelseal_bin), "--db", f"sqlite:{tmp_path}/keys.db", "--listen",
                             "127.0.0.1:0", "--insecure-http", *options],
                            env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **env), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1, (case, result.returncode, result.stderr)
    assert expected in result.stderr, (case, result.stderr)
    assert "listening" not in result.stderr


def test_database_of_another_key_is_refused(modelseal_bin, tmp_path, token):
    """A database made under one token key is refused by another token key and by a key file, naming the key it
    needs; one made under a key file is refused by a token key."""
    env = server_env(token)
    binary = server_binary(modelseal_bin)
    Server(binary, tmp_path, options=["--master-key", uri("master")], env=env).start().stop()
    for options, expected in [(["--master-key", uri("master2")], "wrapped by another token key"),
                              ([], "wrapped by a master key on a PKCS#11 token")]:
        result = subprocess.run([binary, "audit", "verify", "--db", f"sqlite:{tmp_path}/keys.db", *options],
                                env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **env), capture_output=True,
                                text=True)
        assert result.returncode == 1 and expected in result.stderr, result.stderr
    other = tmp_path / "other"
    other.mkdir()
    Server(binary, other, env=env).start().stop()
    result = subprocess.run([binary, "audit", "verify", "--db", f"sqlite:{other}/keys.db", "--master-key",
                             uri("master")], env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **env),
                            capture_output=True, text=True)
    assert result.returncode == 1 and "wrapped by a master key file, not by a token key" in result.stderr


def test_two_postgres_processes_share_the_token_key(run, modelseal_bin, tmp_path, token, cluster, monkeypatch):
    """Two server processes on one PostgreSQL database, the token key given as a `pkcs11:` URI in
    $MODELSEAL_SERVER_MASTER_KEY (each process its own session): a version added through one is released by the
    other, and the database's secrets are token blobs."""
    database = "t_" + secrets.token_hex(6)
    psql(cluster, f"CREATE DATABASE {database}")
    url = f"postgres://{cluster['PG_USER']}@127.0.0.1:{cluster['PG_PORT']}/{database}"
    env = dict(server_env(token), MODELSEAL_SERVER_MASTER_KEY=uri("master"), PGPASSWORD=cluster["PG_PASSWORD"])
    binary = server_binary(modelseal_bin)
    first = Server(binary, tmp_path, db=url, env=env).start()
    second = Server(binary, tmp_path, db=url, env=env).start()
    try:
        ship(run, tmp_path, first, monkeypatch, max_loads=10)
        run("activate", "--server", second.url, "--token-file", "acme.token")
        opens(run, tmp_path, second, "out.bin")
    finally:
        first.stop()
        second.stop()
    stored = subprocess.run(["psql", "-At", "-h", "127.0.0.1", "-p", cluster["PG_PORT"], "-U", cluster["PG_USER"],
                             "-d", database, "-c", "SELECT encode(wrapped_key, 'hex') FROM versions"],
                            env=dict(os.environ, PGPASSWORD=cluster["PG_PASSWORD"]), check=True, capture_output=True,
                            text=True).stdout.split()
    assert len(stored) == 1 and bytes.fromhex(stored[0]).startswith(TOKEN_PREFIX)
