"""TPM-bound activation with the key server (docs/SERVER.md §TPM): the real `modelseal-server` on SQLite, the
real `modelseal` client whose machine key (HPKE DHKEM(P-256)) and request-signing key (restricted ECDSA P-256)
are made in a real swtpm (one per test, test_license_tpm's fixture, named by MODELSEAL_TPM_TCTI), and the real
tpm2-tools to look at that TPM from outside modelseal; EK attestation with TPMs swtpm_setup provisioned with EK
certificates from a test CA."""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from test_license_tpm import tpms  # noqa: F401 (a fixture)
from test_license_tpm_attestation import provisioned  # noqa: F401 (a fixture)
from test_server import Server, lease_files, server, server_binary, ship  # noqa: F401 (a fixture)

# What each licensing file may hold: public keys, ids and TPM template values; never a private key.
MACHINE_FIELDS = {"type", "version", "kem", "vendor_key_id", "machine_key", "components", "threshold", "tpm_unique",
                  "tpm_counter"}
ACTIVATION_FIELDS = {"type", "version", "url", "server_key", "machine_id", "license_id", "machine_kem",
                     "signing_algorithm", "tpm_signing_unique", "tpm_signing_key"}  # + attested_at when attested


def activation(tmp_path, folder="licensing"):
    [path] = (tmp_path / folder).glob("servers/*/activation.json")
    return json.loads(path.read_text())


def activate_in(run, server, tpm, *extra, check=True):
    return run("activate", "--server", server.url, "--token-file", "acme.token", *extra,
               env={"MODELSEAL_TPM_TCTI": tpm.tcti}, check=check)


def test_tpm_activation_releases_opens_and_is_revoked(run, tmp_path, server, monkeypatch, tpms):
    shipped = ship(run, tmp_path, server, monkeypatch)
    tpm = tpms()
    made = activate_in(run, server, tpm, "--tpm")
    assert b"in the TPM" in made.stderr, made.stderr
    state = activation(tmp_path)
    assert set(state) == ACTIVATION_FIELDS, state
    assert state["machine_kem"] == "p256" and state["signing_algorithm"] == "ecdsa-p256"
    [machine_file] = (tmp_path / "licensing").rglob("machine.json")
    machine = json.loads(machine_file.read_text())
    assert set(machine) == MACHINE_FIELDS and machine["kem"] == "p256-tpm", machine
    signing_key = base64.b64decode(state["tpm_signing_key"])
    machine_key = base64.b64decode(machine["machine_key"])
    assert len(signing_key) == 65 and len(machine_key) == 65 and signing_key != machine_key

    # The server keeps both keys with their kinds.
    shown = json.loads(run("admin", "--server", server.url, "license", "show", shipped["license"]["id"],
                           env=shipped["admin"]).stdout)
    [registered] = shown["machines"]
    assert registered["machine_kem"] == "p256" and registered["signing_algorithm"] == "ecdsa-p256"
    assert base64.b64decode(registered["machine_key"]) == machine_key

    env = {"MODELSEAL_TPM_TCTI": tpm.tcti}
    run("open", "--server", server.url, "-o", "out.bin", "m.mseal", env=env)
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()
    [lease] = lease_files(tmp_path)
    assert len(base64.b64decode(json.loads(lease.read_text())["wrapped_key"])) == 65 + 48  # DHKEM(P-256)

    # Without the TPM: refused, never a software fallback; nothing is counted.
    no_tpm = run("open", "--server", server.url, "-o", "none.bin", "m.mseal", env={"MODELSEAL_TPM_TCTI": ""},
                 check=False)
    assert no_tpm.returncode == 33 and not (tmp_path / "none.bin").exists()
    assert b"never falls back to software" in no_tpm.stderr, no_tpm.stderr

    # The machine's other signed calls go through the TPM key too.
    assert b"node-locked license" in run("heartbeat", "--server", server.url, env=env).stdout  # a signed call

    run("admin", "--server", server.url, "license", "revoke", shipped["license"]["id"], env=shipped["admin"])
    refused = run("open", "--server", server.url, "-o", "again.bin", "m.mseal", env=env, check=False)
    assert refused.returncode == 30 and b"revoked" in refused.stderr, refused.stderr
    assert not (tmp_path / "again.bin").exists() and lease_files(tmp_path) == []
    shown = json.loads(run("admin", "--server", server.url, "license", "show", shipped["license"]["id"],
                           env=shipped["admin"]).stdout)
    assert shown["loads"] == 1


def test_a_copied_licensing_folder_does_not_sign_or_open_without_its_tpm(run, tmp_path, server, monkeypatch, tpms):
    """The keys cannot leave the TPM: the licensing folder holds no private key, so a copy of it next to another
    TPM (another machine) does not sign a release request, online or offline (the cached release is never
    reached)."""
    ship(run, tmp_path, server, monkeypatch)
    tpm, other = tpms(), tpms("other")
    activate_in(run, server, tpm)  # the default: the TPM MODELSEAL_TPM_TCTI names
    assert activation(tmp_path)["machine_kem"] == "p256"
    run("open", "--server", server.url, "--check", "m.mseal", env={"MODELSEAL_TPM_TCTI": tpm.tcti})
    shutil.copytree(tmp_path / "licensing", tmp_path / "stolen")
    stolen = {"MODELSEAL_LICENSE_DIR": str(tmp_path / "stolen"), "MODELSEAL_TPM_TCTI": other.tcti}
    signed = run("open", "--server", server.url, "-o", "x.bin", "m.mseal", env=stolen, check=False)
    assert signed.returncode == 33 and not (tmp_path / "x.bin").exists()
    assert b"does not hold the request-signing key" in signed.stderr, signed.stderr
    # Offline, the copied cached release is not reached either: every use starts with a signed request.
    server.stop()
    offline = run("open", "--server", server.url, "-o", "y.bin", "m.mseal", env=stolen, check=False)
    assert offline.returncode == 33 and not (tmp_path / "y.bin").exists()
    assert b"does not hold the request-signing key" in offline.stderr, offline.stderr
    # The machine's own TPM still opens from the cache (the refusal above is the copy's, not a broken cache).
    own = run("open", "--server", server.url, "-o", "z.bin", "m.mseal", env={"MODELSEAL_TPM_TCTI": tpm.tcti})
    assert b"cached lease" in own.stderr
    assert (tmp_path / "z.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()


def signed_post(server, path, body, key, machine_id=None):
    """A client request signed with the ECDSA P-256 `key` (cryptography, not modelseal): (status, JSON answer)."""
    data = json.dumps(body, separators=(",", ":")).encode()
    nonce, now = base64.urlsafe_b64encode(os.urandom(24)).decode(), int(time.time())
    message = f"modelseal-request-v1\nPOST\n{path}\n{hashlib.sha256(data).hexdigest()}\n{nonce}\n{now}"
    r, s = decode_dss_signature(key.sign(message.encode(), ec.ECDSA(hashes.SHA256())))
    headers = {"content-type": "application/json", "x-modelseal-nonce": nonce, "x-modelseal-time": str(now),
               "x-modelseal-signature": base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()}
    if machine_id:
        headers["x-modelseal-machine"] = machine_id
    request = urllib.request.Request(f"{server.url}{path}", data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def point(key):
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def test_a_release_request_signed_by_another_key_is_refused(run, tmp_path, server, monkeypatch, tpms):
    ship(run, tmp_path, server, monkeypatch)
    tpm = tpms()
    activate_in(run, server, tpm, "--tpm")
    state = activation(tmp_path)
    run("open", "--server", server.url, "--check", "m.mseal", env={"MODELSEAL_TPM_TCTI": tpm.tcti})
    [lease] = lease_files(tmp_path)
    file_id = json.loads(lease.read_text())["lease"]["file_id"]
    status, body = signed_post(server, "/v1/release", {"file_id": file_id}, ec.generate_private_key(ec.SECP256R1()),
                               state["machine_id"])
    assert status == 401 and body["error"] == "bad_signature", body


def test_tpm2_tools_see_a_restricted_non_duplicable_signing_key(run, tmp_path, server, monkeypatch, tpms):
    """tpm2-tools, not modelseal, make the primary key of the owner hierarchy from the template modelseal
    states (docs/SERVER.md §TPM) and the unique value in activation.json: it is the registered signing key, so
    that key has fixedTPM and fixedParent (it cannot be duplicated out of the TPM) and is restricted."""
    ship(run, tmp_path, server, monkeypatch)
    tpm = tpms()
    activate_in(run, server, tpm, "--tpm")
    state = activation(tmp_path)
    unique = base64.b64decode(state["tpm_signing_unique"])
    # TPMU_PUBLIC_ID of an ECC key as tpm2_createprimary -u reads it: x and y as TPM2B, sizes little-endian.
    (tmp_path / "unique.bin").write_bytes(len(unique).to_bytes(2, "little") + unique + b"\x00\x00")
    tools = dict(os.environ, TPM2TOOLS_TCTI=tpm.tcti)
    subprocess.run(
        ["tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc256:ecdsa-sha256:null",
         "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign",
         "-u", "unique.bin", "-c", "signing.ctx", "-o", "signing.pem", "-f", "pem"],
        cwd=tmp_path, env=tools, check=True, capture_output=True, timeout=60)
    made = (tmp_path / "signing.pem").read_bytes()
    point = serialization.load_pem_public_key(made).public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert point == base64.b64decode(state["tpm_signing_key"])
    subprocess.run(["tpm2_flushcontext", "-t"], env=tools, check=True, capture_output=True, timeout=30)


def test_the_python_package_loads_through_a_tpm_bound_activation(run, tmp_path, server, tpms, monkeypatch,
                                                                 modelseal_pkg):
    """`modelseal.load(path, server=URL)`: the package speaks HTTP, the library signs the request in the TPM and
    unwraps the release there (KeyRequest.prepare / finish, the CLI's own steps)."""
    from test_python_server import same_state
    from test_python_server import ship as ship_torch
    modelseal = modelseal_pkg
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    shipped = ship_torch(run, tmp_path, server)
    tpm = tpms()
    activate_in(run, server, tpm, "--tpm")
    monkeypatch.setenv("MODELSEAL_TPM_TCTI", tpm.tcti)
    same_state(modelseal.load(tmp_path / "model.pt.mseal", server=server.url), shipped["state"])
    monkeypatch.setenv("MODELSEAL_TPM_TCTI", "")
    with pytest.raises(modelseal.Error, match="never falls back to software") as refused:
        modelseal.load(tmp_path / "model.pt.mseal", server=server.url)
    assert refused.value.status == 33


# EK attestation (docs/SERVER.md §TPM): TPMs that swtpm_setup provisioned with EK certificates from a test CA
# (test_license_tpm_attestation's session fixture), a server that trusts that CA and requires attested machines.

@pytest.fixture
def attesting(modelseal_bin, tmp_path, provisioned):
    instance = Server(server_binary(modelseal_bin), tmp_path, options=[
        "--ek-ca", str(provisioned["root"]), "--ek-ca", str(provisioned["intermediate"]), "--require-tpm"]).start()
    yield instance
    instance.stop()


def ek_certificate(tpm, folder):
    """The TPM's RSA EK certificate (NV 0x01c00002), read with tpm2-tools."""
    tools = dict(os.environ, TPM2TOOLS_TCTI=tpm.tcti)
    subprocess.run(["tpm2_nvread", "0x01c00002", "-o", str(folder / "ek.der")], env=tools, check=True,
                   capture_output=True, timeout=60)
    return (folder / "ek.der").read_bytes()


def test_an_attested_activation_releases_and_an_unattested_one_does_not(run, tmp_path, attesting, monkeypatch, tpms,
                                                                        provisioned):
    shipped = ship(run, tmp_path, attesting, monkeypatch)
    tpm = tpms("a", provisioned["a"])
    made = activate_in(run, attesting, tpm, "--tpm")
    assert b"the server attested the machine key" in made.stderr, made.stderr
    assert activation(tmp_path)["attested_at"] > 0
    run("open", "--server", attesting.url, "-o", "out.bin", "m.mseal", env={"MODELSEAL_TPM_TCTI": tpm.tcti})
    assert (tmp_path / "out.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()

    # A software activation takes a slot but gets no key from a server that requires a TPM.
    software = {"MODELSEAL_LICENSE_DIR": str(tmp_path / "software")}
    run("activate", "--server", attesting.url, "--token-file", "acme.token", "--no-tpm", env=software)
    refused = run("open", "--server", attesting.url, "-o", "sw.bin", "m.mseal", env=software, check=False)
    assert refused.returncode == 30 and b"not_attested" in refused.stderr, refused.stderr
    assert not (tmp_path / "sw.bin").exists()
    shown = json.loads(run("admin", "--server", attesting.url, "license", "show", shipped["license"]["id"],
                           env=shipped["admin"]).stdout)
    attested = sorted((m["machine_kem"], m["attested_at"] is not None) for m in shown["machines"])
    assert attested == [("p256", True), ("x25519", False)] and shown["loads"] == 1
    # Deactivating signs with the TPM key; the machine key stays, so activating again is the same, attested machine.
    run("deactivate", "--server", attesting.url, env={"MODELSEAL_TPM_TCTI": tpm.tcti})
    again = activate_in(run, attesting, tpm)
    assert b"the server attested the machine key" in again.stderr, again.stderr


def test_a_software_key_dressed_with_a_real_ek_certificate_does_not_attest(run, tmp_path, attesting, monkeypatch,
                                                                           tpms, provisioned):
    """The attack the credential closes: a software P-256 key, a public area claiming fixedTPM for it and a real
    TPM's EK certificate pass every structural check, but the credential's secret comes out only of the TPM
    holding that EK and a key of that name, so the machine never attests and gets no release."""
    shipped = ship(run, tmp_path, attesting, monkeypatch)
    tpm = tpms("b", provisioned["b"])
    certificate = ek_certificate(tpm, tmp_path)
    machine, signing = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    x, y = point(machine)[1:33], point(machine)[33:]
    attributes = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 10) | (1 << 17)  # fixedTPM ... decrypt
    area = (b"\x00\x23\x00\x0b" + attributes.to_bytes(4, "big") + b"\x00\x00" + b"\x00\x10\x00\x10\x00\x03\x00\x10"
            + b"\x00\x20" + x + b"\x00\x20" + y)
    evidence = {"ek_certificate": base64.b64encode(certificate).decode(),
                "machine_key_public": base64.b64encode(len(area).to_bytes(2, "big") + area).decode()}
    status, answer = signed_post(attesting, "/v1/activate", {
        "token": shipped["license"]["token"], "machine_key": base64.b64encode(point(machine)).decode(),
        "machine_kem": "p256", "signing_key": base64.b64encode(point(signing)).decode(),
        "signing_algorithm": "ecdsa-p256", "label": "forged", "tpm_attestation": evidence}, signing)
    assert status == 200 and "ek_credential" in answer, answer
    machine_id = answer["machine_id"]
    status, body = signed_post(attesting, "/v1/attest", {"secret": base64.b64encode(os.urandom(32)).decode()},
                               signing, machine_id)
    assert status == 403 and body["error"] == "not_attested", body
    status, body = signed_post(attesting, "/v1/release", {"file_id": "0" * 32}, signing, machine_id)
    assert status == 403 and body["error"] == "not_attested", body


def test_an_ek_certificate_from_an_untrusted_ca_is_refused_at_activation(run, modelseal_bin, tmp_path, monkeypatch,
                                                                         tpms, provisioned):
    other = Server(server_binary(modelseal_bin), tmp_path, options=[
        "--ek-ca", str(provisioned["untrusted"]), "--require-tpm"]).start()
    try:
        ship(run, tmp_path, other, monkeypatch)
        tpm = tpms("a", provisioned["a"])
        refused = activate_in(run, other, tpm, "--tpm", check=False)
        assert refused.returncode == 30 and b"not_attested" in refused.stderr, refused.stderr
        assert not list((tmp_path / "licensing").glob("servers/*/activation.json"))
    finally:
        other.stop()
