"""The key server's link to PostgreSQL over TLS (docs/SERVER.md §TLS to PostgreSQL): a real PostgreSQL 15
(scripts/postgres-temp.sh) switched to `ssl=on` with a CA and server certificates made with `openssl` in the
test's folder, and real `modelseal-server` processes connecting over TCP to 127.0.0.1 with `sslmode=`."""
import base64
import os
import secrets
import shutil
import subprocess
import time

import pytest

from test_server import REPO, Server, server_binary
from test_server_postgres import bench_requests, licensed, psql, release, show


def openssl(folder, *args):
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def make_ca(folder, name):
    openssl(folder, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}")


def make_leaf(folder, name, ca, subject_alt_name):
    """A certificate for `subject_alt_name` (e.g. DNS:localhost) signed by `ca`: NAME.pem and NAME.key."""
    openssl(folder, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
    (folder / f"{name}.ext").write_text(f"subjectAltName={subject_alt_name}\nbasicConstraints=CA:FALSE\n")
    openssl(folder, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem")


def set_ssl(cluster, on):
    """Turns the cluster's TLS on or off (a reload) and waits until new sessions see it."""
    psql(cluster, f"ALTER SYSTEM SET ssl = {'on' if on else 'off'}")
    psql(cluster, "SELECT pg_reload_conf()")
    expected = "on" if on else "off"
    for _ in range(50):
        if query(cluster, "SHOW ssl") == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"ssl did not become {expected}")


def query(cluster, sql, database="postgres"):
    return subprocess.run(["psql", "-XAtq", "-h", cluster["PG_DIR"], "-p", cluster["PG_PORT"], "-U",
                           cluster["PG_USER"], "-d", database, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    """A cluster serving a certificate for DNS:localhost only, signed by ca.pem; other.pem is another CA."""
    folder = tmp_path_factory.mktemp("pg-tls")
    make_ca(folder, "ca")
    make_ca(folder, "other")
    make_leaf(folder, "server", "ca", "DNS:localhost")
    make_leaf(folder, "certuser", "ca", "DNS:certuser")
    started = subprocess.run(["bash", str(REPO / "scripts" / "postgres-temp.sh"), "start", str(os.getpid())],
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    cluster = dict(line.split("=", 1) for line in started.stdout.split())
    for name in ("server.pem", "server.key", "ca.pem"):
        shutil.copy(folder / name, f"{cluster['PG_DIR']}/{name}")
        os.chmod(f"{cluster['PG_DIR']}/{name}", 0o600)
        if os.getuid() == 0:
            shutil.chown(f"{cluster['PG_DIR']}/{name}", "postgres", "postgres")
    psql(cluster, f"ALTER SYSTEM SET ssl_cert_file = '{cluster['PG_DIR']}/server.pem'")
    psql(cluster, f"ALTER SYSTEM SET ssl_key_file = '{cluster['PG_DIR']}/server.key'")
    psql(cluster, f"ALTER SYSTEM SET ssl_ca_file = '{cluster['PG_DIR']}/ca.pem'")
    # The role certuser logs in over TCP only with a client certificate whose CN is its name.
    hba = f"{cluster['PG_DIR']}/data/pg_hba.conf"
    with open(hba) as existing:
        rules = existing.read()
    with open(hba, "w") as changed:
        changed.write("hostssl all certuser 127.0.0.1/32 cert\nhost all certuser 0.0.0.0/0 reject\n" + rules)
    psql(cluster, "CREATE ROLE certuser LOGIN")
    set_ssl(cluster, True)
    cluster["CERTS"] = str(folder)
    yield cluster
    subprocess.run(["bash", str(REPO / "scripts" / "postgres-temp.sh"), "stop", cluster["PG_DIR"]], timeout=60)


def database_url(cluster, database, host, query_text):
    return f"postgres://{cluster['PG_USER']}@{host}:{cluster['PG_PORT']}/{database}?{query_text}"


def new_database(cluster):
    name = "t_" + secrets.token_hex(6)
    psql(cluster, f"CREATE DATABASE {name}")
    return name


def environment(cluster):
    return {"MODELSEAL_SERVER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "PGPASSWORD": cluster["PG_PASSWORD"]}


def refused(binary, tmp_path, url, cluster):
    """Starts the server on `url` expecting a refusal: its standard error (the exit status must not be 0)."""
    started = subprocess.run([binary, "--db", url, "--listen", "127.0.0.1:0", "--insecure-http"],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path,
                             env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **environment(cluster)))
    assert started.returncode != 0, started.stderr
    assert "listening" not in started.stderr
    return started.stderr


def test_verify_full_serves_a_round_trip_over_tls(run, modelseal_bin, tmp_path, tls_cluster):
    certs = tls_cluster["CERTS"]
    database = new_database(tls_cluster)
    url = database_url(tls_cluster, database, "localhost", f"sslmode=verify-full&sslrootcert={certs}/ca.pem")
    server = Server(server_binary(modelseal_bin), tmp_path, db=url, options=["--no-rate-limit"],
                    env=environment(tls_cluster)).start()
    try:
        license, file_id = licensed(run, tmp_path, server.url, max_machines=1)
        machine, key = bench_requests.activate(server.url, license["token"])
        assert release(server.url, machine, key, file_id)[0] == 200
        assert show(run, server.url, license["id"])["loads"] == 1
        # Every connection the server holds to its database, seen from a superuser session on the socket.
        rows = query(tls_cluster, "SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                  f"WHERE a.datname = '{database}'").splitlines()
        assert rows and all(row.startswith("t|TLSv1.") for row in rows), rows
    finally:
        server.stop()
    # backup hands the same TLS settings to pg_dump (PGSSLMODE, PGSSLROOTCERT).
    assert backup(modelseal_bin, tmp_path, url, tls_cluster).returncode == 0
    assert (tmp_path / "keys.dump").stat().st_size > 0
    wrong_ca = url.replace(f"{certs}/ca.pem", f"{certs}/other.pem")
    refused_backup = backup(modelseal_bin, tmp_path, wrong_ca, tls_cluster, "again.dump")
    assert refused_backup.returncode != 0 and "certificate verify failed" in refused_backup.stderr


def backup(modelseal_bin, tmp_path, url, cluster, name="keys.dump"):
    return subprocess.run([server_binary(modelseal_bin), "backup", "--db", url, str(tmp_path / name)],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PGPASSWORD=cluster["PG_PASSWORD"]))


def test_verify_full_refuses_a_certificate_for_another_name(modelseal_bin, tmp_path, tls_cluster):
    certs = tls_cluster["CERTS"]
    url = database_url(tls_cluster, "postgres", "127.0.0.1", f"sslmode=verify-full&sslrootcert={certs}/ca.pem")
    message = refused(server_binary(modelseal_bin), tmp_path, url, tls_cluster)
    assert "certificate does not name 127.0.0.1" in message, message
    # The name is what failed: verify-ca (the chain only) and require (no check) accept it at the same address.
    database, env = new_database(tls_cluster), environment(tls_cluster)
    for settings in [f"sslmode=verify-ca&sslrootcert={certs}/ca.pem", "sslmode=require"]:
        url = database_url(tls_cluster, database, "127.0.0.1", settings)
        Server(server_binary(modelseal_bin), tmp_path, db=url, env=env).start().stop()


def test_verify_ca_refuses_a_certificate_from_another_ca(modelseal_bin, tmp_path, tls_cluster):
    certs = tls_cluster["CERTS"]
    # require with sslrootcert checks the chain too, as in libpq.
    for mode, host in [("verify-ca", "127.0.0.1"), ("verify-full", "localhost"), ("require", "127.0.0.1")]:
        url = database_url(tls_cluster, "postgres", host, f"sslmode={mode}&sslrootcert={certs}/other.pem")
        message = refused(server_binary(modelseal_bin), tmp_path, url, tls_cluster)
        assert "not signed by a CA in sslrootcert" in message, message


def test_an_unreadable_root_certificate_stops_the_start(modelseal_bin, tmp_path, tls_cluster):
    url = database_url(tls_cluster, "postgres", "localhost", f"sslrootcert={tmp_path}/missing.pem")
    message = refused(server_binary(modelseal_bin), tmp_path, url, tls_cluster)
    assert f"sslrootcert cannot be read: {tmp_path}/missing.pem: No such file" in message, message


def test_require_refuses_a_server_without_tls(modelseal_bin, tmp_path, tls_cluster):
    set_ssl(tls_cluster, False)
    try:
        url = database_url(tls_cluster, "postgres", "127.0.0.1", "sslmode=require")
        message = refused(server_binary(modelseal_bin), tmp_path, url, tls_cluster)
        assert "does not offer TLS" in message and "sslmode=require" in message, message
    finally:
        set_ssl(tls_cluster, True)


def test_a_client_certificate_logs_in_where_the_database_demands_one(modelseal_bin, tmp_path, tls_cluster):
    certs = tls_cluster["CERTS"]
    database = "t_" + secrets.token_hex(6)
    psql(tls_cluster, f"CREATE DATABASE {database} OWNER certuser")
    url = (f"postgres://certuser@localhost:{tls_cluster['PG_PORT']}/{database}?sslrootcert={certs}/ca.pem"
           f"&sslcert={certs}/certuser.pem&sslkey={certs}/certuser.key")
    Server(server_binary(modelseal_bin), tmp_path, db=url, env=environment(tls_cluster)).start().stop()
    assert query(tls_cluster, "SELECT count(*) FROM schema_migrations", database) != "0"
    without = f"postgres://certuser@localhost:{tls_cluster['PG_PORT']}/{database}?sslrootcert={certs}/ca.pem"
    message = refused(server_binary(modelseal_bin), tmp_path, without, tls_cluster)
    assert "certificate" in message, message
