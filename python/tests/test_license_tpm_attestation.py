"""EK attestation of TPM-bound requests (issue 17 item 4) through the built binary against real swtpm TPMs that
swtpm_setup provisioned with an EK certificate (NV 0x01c00002) from a test CA made here with openssl: a root and an
intermediate, the intermediate signing through swtpm_localca, as a TPM maker's chain does. Two TPMs are provisioned
once per session and each test starts swtpm on copies of their state."""
import base64
import json
import os
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from test_license_tpm import folders, tpm_leftovers, tpms, vendor  # noqa: F401 (fixtures)


def openssl(*arguments, cwd):
    subprocess.run(["openssl", *arguments], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(folder, name):
    """A root CA and an intermediate under it (RSA 2048, openssl); returns the folder."""
    folder.mkdir(parents=True)
    (folder / "ca.ext").write_text("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "30",
            "-subj", f"/CN={name} EK root", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "intermediate.key", "-out", "intermediate.csr",
            "-subj", f"/CN={name} EK intermediate", cwd=folder)
    openssl("x509", "-req", "-in", "intermediate.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "2",
            "-days", "30", "-extfile", "ca.ext", "-out", "intermediate.pem", cwd=folder)
    return folder


def provision(folder, ca):
    """A TPM state folder made by swtpm_setup: EK (RSA 2048 persistent at 0x81010001, and ECC), EK certificates
    in NV signed by `ca`'s intermediate through swtpm_localca, a platform certificate."""
    config = folder.parent / f"{folder.name}-config"
    config.mkdir()
    (config / "localca.conf").write_text(
        f"statedir = {config}\nsigningkey = {ca / 'intermediate.key'}\nissuercert = {ca / 'intermediate.pem'}\n"
        f"certserial = {config / 'certserial'}\n")
    (config / "localca.options").write_text(
        "--platform-manufacturer ModelSeal\n--platform-version 2.1\n--platform-model swtpm\n")
    (config / "swtpm_setup.conf").write_text(
        f"create_certs_tool = {shutil.which('swtpm_localca')}\n"
        f"create_certs_tool_config = {config / 'localca.conf'}\n"
        f"create_certs_tool_options = {config / 'localca.options'}\n")
    folder.mkdir()
    subprocess.run(["swtpm_setup", "--tpm2", "--tpmstate", str(folder), "--create-ek-cert", "--create-platform-cert",
                    "--config", str(config / "swtpm_setup.conf"), "--overwrite"],
                   check=True, capture_output=True, timeout=120)
    return folder


@pytest.fixture(scope="session")
def provisioned(tmp_path_factory):
    """Two TPMs' states ('a', 'b') with EK certificates from the trusted test CA, and an untrusted CA."""
    if shutil.which("swtpm_setup") is None:
        pytest.fail("swtpm_setup is missing: scripts/test.sh installs it (apt-get install swtpm-tools)")
    base = tmp_path_factory.mktemp("ek")
    trusted = make_ca(base / "trusted", "Test TPM maker")
    return {"a": provision(base / "state-a", trusted), "b": provision(base / "state-b", trusted),
            "root": trusted / "root.pem", "intermediate": trusted / "intermediate.pem",
            "untrusted": make_ca(base / "untrusted", "Someone else") / "root.pem"}


def ek_cas(provisioned):
    return ["--require-tpm", "--ek-ca", str(provisioned["root"]), "--ek-ca", str(provisioned["intermediate"])]


def request_on(run, tmp_path, tpm, name, output):
    env = dict(folders(tmp_path, name), MODELSEAL_TPM_TCTI=tpm.tcti)
    made = run("license", "request", "--tpm", "--vendor", "vendor.key.pub", "-o", output, env=env)
    return env, made


def test_an_attested_request_issues_and_opens(run, tmp_path, tpms, vendor, provisioned):
    tpm = tpms("a", provisioned["a"])
    env, made = request_on(run, tmp_path, tpm, "a", "req.json")
    assert b"carries the TPM's EK certificate" in made.stderr
    evidence = json.loads((tmp_path / "req.json").read_text())["tpm_attestation"]
    # The certificate is the one swtpm_setup stored in NV (read apart from modelseal with tpm2-tools).
    nv = subprocess.run(["tpm2_nvread", "0x01c00002"], env=dict(os.environ, TPM2TOOLS_TCTI=tpm.tcti),
                        check=True, capture_output=True, timeout=30).stdout
    assert base64.b64decode(evidence["ek_certificate"]) == nv

    refused = run("license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key",
                  "--license-key-out", "lk.key", "--require-tpm", "-o", "x.lic", check=False)
    assert refused.returncode == 64 and b"--require-tpm needs --ek-ca" in refused.stderr
    issued = vendor("req.json", "acme.lic", *ek_cas(provisioned))
    assert b"TPM attested" in issued.stderr
    assert "ek_credential" in json.loads((tmp_path / "acme.lic").read_text())["license"]["key"]
    opened = run("open", "--license", "acme.lic", "-o", "-", "m.mseal", env=env)
    assert opened.stdout == (tmp_path / "model.bin").read_bytes()
    shown = run("license", "show", "acme.lic", env=env).stdout.decode()
    assert "EK-attested" in shown and "1 load(s) used" in shown
    # Without --require-tpm the same request is accepted on the customer's word, and the tool says so.
    advisory = vendor("req.json", "plain.lic")
    assert b"advisory against a forged request" in advisory.stderr and b"--require-tpm --ek-ca" in advisory.stderr
    assert "ek_credential" not in (tmp_path / "plain.lic").read_text()
    assert tpm_leftovers(tpm) == []


def forged(tmp_path, source, output, **members):
    """`source`'s request with `members` replaced in its tpm_attestation (machine_key: at the top)."""
    request = json.loads((tmp_path / source).read_text())
    for key, value in members.items():
        (request if key == "machine_key" else request["tpm_attestation"])[key] = value
    (tmp_path / output).write_text(json.dumps(request, sort_keys=True, separators=(",", ":")) + "\n")


def software_public_area():
    """A software P-256 key as the TPM2B_PUBLIC a TPM would load it with (TPM2_LoadExternal needs fixedTPM and
    fixedParent clear), and its point."""
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    attributes = (1 << 6) | (1 << 10) | (1 << 17)  # userWithAuth noDA decrypt: no fixedTPM/fixedParent
    area = (b"\x00\x23\x00\x0b" + attributes.to_bytes(4, "big") + b"\x00\x00" + b"\x00\x10\x00\x10\x00\x03\x00\x10"
            + b"\x00\x20" + point[1:33] + b"\x00\x20" + point[33:])
    return len(area).to_bytes(2, "big") + area, point


def test_a_request_not_shown_to_be_in_a_tpm_is_refused_at_issue(run, tmp_path, tpms, vendor, provisioned):
    """--require-tpm refuses (exit 33) a software request, a TPM request without its evidence, a software key
    dressed with this TPM's EK certificate, a public area that is not the request's key, and an EK certificate that
    does not chain to the configured CAs; a CA file without a certificate is a bad input (16)."""
    tpm = tpms("a", provisioned["a"])
    request_on(run, tmp_path, tpm, "a", "req.json")
    other = tpms("b", provisioned["b"])
    request_on(run, tmp_path, other, "b", "other.json")
    run("license", "request", "--no-tpm", "--vendor", "vendor.key.pub", "-o", "soft.json", env=folders(tmp_path, "s"))
    area, point = software_public_area()
    request = json.loads((tmp_path / "req.json").read_text())
    del request["tpm_attestation"]
    (tmp_path / "no-evidence.json").write_text(json.dumps(request, sort_keys=True, separators=(",", ":")) + "\n")
    forged(tmp_path, "req.json", "software.json", machine_key=base64.b64encode(point).decode(),
           machine_key_public=base64.b64encode(area).decode())
    forged(tmp_path, "req.json", "mismatch.json",
           machine_key_public=json.loads((tmp_path / "other.json").read_text())["tpm_attestation"]["machine_key_public"])
    cases = {"soft.json": b"software key", "no-evidence.json": b"carries no EK certificate",
             "software.json": b"lack fixedTPM", "mismatch.json": b"another key than the request's machine_key"}
    for request, reason in cases.items():
        refused = vendor(request, "x.lic", *ek_cas(provisioned), check=False)
        assert (refused.returncode, reason in refused.stderr) == (33, True), (request, refused.stderr)
        assert not (tmp_path / "x.lic").exists()
    untrusted = vendor("req.json", "x.lic", "--require-tpm", "--ek-ca", str(provisioned["untrusted"]), check=False)
    assert untrusted.returncode == 33 and b"does not chain to any --ek-ca" in untrusted.stderr
    (tmp_path / "empty.pem").write_text("no certificate here\n")
    bad = vendor("req.json", "x.lic", "--require-tpm", "--ek-ca", "empty.pem", check=False)
    assert bad.returncode == 16 and b"bad --ek-ca" in bad.stderr
    assert not (tmp_path / "x.lic").exists()


def test_a_credential_for_another_ek_is_refused_at_open(run, tmp_path, tpms, vendor, provisioned):
    """A license whose credential was made for another TPM's EK opens nowhere (exit 33, nothing released): the EK
    certificate of TPM b next to TPM a's key (issued: both chain and the key is a TPM key), and TPM b's key next to
    TPM a's EK certificate. Every path flushes its objects and sessions."""
    tpm = tpms("a", provisioned["a"])
    env, _ = request_on(run, tmp_path, tpm, "a", "req.json")
    other = tpms("b", provisioned["b"])
    other_env, _ = request_on(run, tmp_path, other, "b", "other.json")
    theirs = json.loads((tmp_path / "other.json").read_text())
    ours = json.loads((tmp_path / "req.json").read_text())
    forged(tmp_path, "req.json", "their-ek.json", ek_certificate=theirs["tpm_attestation"]["ek_certificate"])
    forged(tmp_path, "other.json", "our-ek.json", ek_certificate=ours["tpm_attestation"]["ek_certificate"])
    vendor("their-ek.json", "their-ek.lic", *ek_cas(provisioned))
    vendor("our-ek.json", "our-ek.lic", *ek_cas(provisioned))
    for license, where, on in (("their-ek.lic", env, tpm), ("our-ek.lic", other_env, other)):
        refused = run("open", "--license", license, "-o", "-", "m.mseal", env=where, check=False)
        assert refused.returncode == 33 and refused.stdout == b"", refused.stderr
        assert b"EK credential does not activate in this TPM" in refused.stderr
        assert tpm_leftovers(on) == []
    # The honest license of the same request opens on its TPM (the refusal above is the credential's).
    vendor("req.json", "acme.lic", *ek_cas(provisioned))
    assert run("open", "--license", "acme.lic", "-o", "-", "m.mseal", env=env).stdout == \
        (tmp_path / "model.bin").read_bytes()
