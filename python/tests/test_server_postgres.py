"""The key server on PostgreSQL with TWO server processes sharing one database (docs/SERVER.md §Stores):
a real PostgreSQL 15 (scripts/postgres-temp.sh: a throwaway cluster, socket and random port in its own
folder) and two real `modelseal-server` processes, one on the unix socket and one over TCP with the
password in $PGPASSWORD. Requests are signed in Python (real Ed25519) and spread over both processes."""
import base64
import importlib.util
import json
import os
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from test_server import ADMIN_TOKEN, REPO, Server, server_binary

spec = importlib.util.spec_from_file_location("bench_requests", REPO / "scripts" / "bench_server_requests.py")
bench_requests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_requests)


@pytest.fixture(scope="module")
def cluster():
    started = subprocess.run(["bash", str(REPO / "scripts" / "postgres-temp.sh"), "start", str(os.getpid())],
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    settings = dict(line.split("=", 1) for line in started.stdout.split())
    yield settings
    subprocess.run(["bash", str(REPO / "scripts" / "postgres-temp.sh"), "stop", settings["PG_DIR"]], timeout=60)


def psql(cluster, sql, database="postgres"):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster["PG_DIR"], "-p", cluster["PG_PORT"],
                    "-U", cluster["PG_USER"], "-d", database, "-c", sql], check=True, capture_output=True)


class Pair:
    """Two server processes on one new database: `a` over the unix socket, `b` over TCP with $PGPASSWORD."""

    def __init__(self, binary, folder, cluster):
        self.database = "t_" + secrets.token_hex(6)
        psql(cluster, f"CREATE DATABASE {self.database}")
        self.env = {"MODELSEAL_SERVER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
        socket_url = f"postgres://{cluster['PG_USER']}@/{self.database}?host={cluster['PG_DIR']}&port={cluster['PG_PORT']}"
        self.tcp_url = f"postgres://{cluster['PG_USER']}@127.0.0.1:{cluster['PG_PORT']}/{self.database}"
        self.tcp_env = dict(self.env, PGPASSWORD=cluster["PG_PASSWORD"])
        options = ["--no-rate-limit"]
        self.a = Server(binary, folder, db=socket_url, options=options, env=self.env).start()
        self.b = Server(binary, folder, db=self.tcp_url, options=options, env=self.tcp_env).start()
        self.binary = binary

    def urls(self):
        return [self.a.url, self.b.url]

    def stop(self):
        self.a.stop()
        self.b.stop()

    def audit_verify(self):
        return subprocess.run([self.binary, "audit", "verify", "--db", self.tcp_url], capture_output=True, text=True,
                              env=dict(os.environ, **self.tcp_env), timeout=120)


@pytest.fixture
def pair(modelseal_bin, tmp_path, cluster):
    instance = Pair(server_binary(modelseal_bin), tmp_path, cluster)
    yield instance
    instance.stop()


def licensed(run, tmp_path, url, max_machines, max_loads=None):
    """A sealed model added through `url` and a license for it: (license, file_id)."""
    (tmp_path / "model.bin").write_bytes(os.urandom(50_000))
    key = run("keygen", "--symmetric").stdout.decode().strip()
    run("seal", "--key-env", "MODEL_KEY", "-o", "m.mseal", "model.bin", env={"MODEL_KEY": key})
    admin = {"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}
    added = run("admin", "--server", url, "model", "add", "--name", "m", "--key-env", "MODEL_KEY", "m.mseal",
                env=dict(admin, MODEL_KEY=key))
    terms = ["--max-machines", str(max_machines)] + (["--max-loads", str(max_loads)] if max_loads else [])
    license = json.loads(run("admin", "--server", url, "license", "add", "--customer", "ACME", "--model", "m",
                             *terms, "--json", env=admin).stdout)
    return license, json.loads(added.stdout)["version"]["file_id"]


def post(url, path, body, headers):
    request = urllib.request.Request(url + path, data=body, method="POST",
                                     headers=dict(headers, **{"Content-Type": "application/json"}))
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def release(url, machine, key, file_id, nonce_headers=None):
    body = json.dumps({"file_id": file_id}).encode()
    headers = nonce_headers or bench_requests.signature_headers(key, "POST", "/v1/release", body, int(time.time()))
    return post(url, "/v1/release", body, dict(headers, **{"x-modelseal-machine": machine}))


def show(run, url, license_id):
    return json.loads(run("admin", "--server", url, "license", "show", license_id,
                          env={"MODELSEAL_ADMIN_TOKEN": ADMIN_TOKEN}).stdout)


def test_two_hundred_parallel_activations_on_two_processes_make_five(run, tmp_path, pair):
    license, _ = licensed(run, tmp_path, pair.a.url, max_machines=5)
    urls = pair.urls()

    def activate(index):
        try:
            bench_requests.activate(urls[index % 2], license["token"])
            return 200
        except urllib.error.HTTPError as error:
            assert json.loads(error.read())["error"] == "machines_exhausted"
            return error.code

    with ThreadPoolExecutor(32) as threads:
        statuses = list(threads.map(activate, range(200)))
    assert statuses.count(200) == 5 and statuses.count(403) == 195, statuses
    assert len(show(run, pair.b.url, license["id"])["machines"]) == 5
    verified = pair.audit_verify()
    assert verified.returncode == 0, verified.stderr


def test_a_thousand_parallel_releases_on_two_processes_release_exactly_300(run, tmp_path, pair):
    license, file_id = licensed(run, tmp_path, pair.a.url, max_machines=1, max_loads=300)
    machine, key = bench_requests.activate(pair.b.url, license["token"])
    urls = pair.urls()
    with ThreadPoolExecutor(32) as threads:
        answers = list(threads.map(lambda index: release(urls[index % 2], machine, key, file_id), range(1000)))
    statuses = [status for status, _ in answers]
    assert statuses.count(200) == 300 and statuses.count(403) == 700, statuses
    assert all(json.loads(body)["error"] == "over_quota" for status, body in answers if status == 403)
    assert show(run, pair.a.url, license["id"])["loads"] == 300
    verified = pair.audit_verify()
    assert verified.returncode == 0, verified.stderr
    assert "entries" in verified.stdout


def test_a_nonce_retried_on_the_other_process_gets_the_stored_answer_counted_once(run, tmp_path, pair):
    license, file_id = licensed(run, tmp_path, pair.a.url, max_machines=1)
    machine, key = bench_requests.activate(pair.a.url, license["token"])
    body = json.dumps({"file_id": file_id}).encode()
    headers = bench_requests.signature_headers(key, "POST", "/v1/release", body, int(time.time()))
    with ThreadPoolExecutor(8) as threads:
        answers = list(threads.map(
            lambda index: release(pair.urls()[index % 2], machine, key, file_id, headers), range(8)))
    assert {status for status, _ in answers} == {200}
    assert len({answer for _, answer in answers}) == 1, "every retry gets the one stored answer"
    assert show(run, pair.b.url, license["id"])["loads"] == 1


def test_kill_9_of_one_process_keeps_every_release_seen(run, tmp_path, pair):
    """Releases through process A while it is killed with SIGKILL: every release a client saw answered is
    counted (at most the one in flight more), process B keeps serving, and the chain verifies."""
    license, file_id = licensed(run, tmp_path, pair.a.url, max_machines=1)
    machine, key = bench_requests.activate(pair.a.url, license["token"])
    seen = 0
    stop = threading.Timer(1.0, lambda: pair.a.process.send_signal(signal.SIGKILL))
    stop.start()
    deadline = time.time() + 2.0
    while time.time() < deadline:
        try:
            status, _ = release(pair.a.url, machine, key, file_id)
            seen += status == 200
        except (urllib.error.URLError, ConnectionError):
            pass
    stop.join()
    pair.a.process.wait(timeout=30)
    assert seen > 0
    loads = show(run, pair.b.url, license["id"])["loads"]
    assert seen <= loads <= seen + 1
    status, _ = release(pair.b.url, machine, key, file_id)
    assert status == 200
    verified = pair.audit_verify()
    assert verified.returncode == 0, verified.stderr


def test_backup_with_pg_dump_restores_into_a_database_that_verifies(run, tmp_path, pair, cluster):
    license, file_id = licensed(run, tmp_path, pair.a.url, max_machines=1)
    machine, key = bench_requests.activate(pair.a.url, license["token"])
    assert release(pair.b.url, machine, key, file_id)[0] == 200
    environment = dict(os.environ, **pair.tcp_env)
    backup = subprocess.run([pair.binary, "backup", "--db", pair.tcp_url, str(tmp_path / "keys.dump")],
                            capture_output=True, text=True, env=environment, timeout=120)
    assert backup.returncode == 0, backup.stderr
    again = subprocess.run([pair.binary, "backup", "--db", pair.tcp_url, str(tmp_path / "keys.dump")],
                           capture_output=True, text=True, env=environment, timeout=120)
    assert again.returncode != 0 and "exists" in again.stderr
    assert release(pair.b.url, machine, key, file_id)[0] == 200  # after the backup: undone by the restore
    restored = "r_" + secrets.token_hex(6)
    psql(cluster, f"CREATE DATABASE {restored}")
    subprocess.run(["pg_restore", "--no-owner", "-h", cluster["PG_DIR"], "-p", cluster["PG_PORT"], "-U",
                    cluster["PG_USER"], "-d", restored, str(tmp_path / "keys.dump")], check=True, capture_output=True)
    restored_url = pair.tcp_url.rsplit("/", 1)[0] + "/" + restored
    verify = subprocess.run([pair.binary, "audit", "verify", "--db", restored_url], capture_output=True, text=True,
                            env=environment, timeout=120)
    assert verify.returncode == 0, verify.stderr
    server = Server(pair.binary, tmp_path, db=restored_url, env=pair.tcp_env).start()
    try:
        assert show(run, server.url, license["id"])["loads"] == 1
    finally:
        server.stop()
