"""Machine-bound offline licenses through the built binary, on this (real) machine, with real torch.

Fake machines (changed components, copied licenses) are tested in Swift
(Tests/ModelSealLicensingTests): the production binary offers no way to fake a machine.
"""
import concurrent.futures
import datetime
import io
import json
import shutil
import subprocess

import pytest
import torch


@pytest.fixture
def vendor(run, tmp_path, monkeypatch):
    """A vendor key, a torch model sealed to MODEL_KEY, and this machine's request for the vendor."""
    monkeypatch.setenv("MODELSEAL_LICENSE_DIR", str(tmp_path / "licensing"))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4))
    torch.save(model.state_dict(), tmp_path / "model.pt")
    run("keygen", "--sign", "-o", "vendor.key")
    key = run("keygen", "--symmetric").stdout.decode().strip()
    # Licensed opens require the license's signer (issue 13.2): the vendor signs what it seals.
    run("seal", "--key-env", "MODEL_KEY", "--sign-key", "vendor.key", "-o", "m.mseal", "model.pt",
        env={"MODEL_KEY": key})
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json")

    def issue(*options, models=("m.mseal",), output="acme.lic"):
        arguments = ["license", "issue", "--request", "req.json", "--customer", "ACME", "--sign-key", "vendor.key"]
        for path in models:
            arguments += ["--model", path]
        if models:
            arguments += ["--key-env", "MODEL_KEY"]
        run(*arguments, *options, "-o", output, env={"MODEL_KEY": key})
        return output

    return {"key": key, "state_dict": model.state_dict(), "issue": issue}


def assert_same_weights(restored, expected):
    assert restored.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(restored[name], tensor), name


def test_offline_activation_end_to_end(run, tmp_path, vendor):
    request = json.loads((tmp_path / "req.json").read_text())
    assert request["type"] == "modelseal-license-request"
    machine_id = open("/etc/machine-id").read().strip()
    assert machine_id not in (tmp_path / "req.json").read_text()  # only salted hashes leave the machine
    vendor["issue"]("--expires", "2099-12-31", "--max-loads", "10")
    # The customer has no MODEL_KEY: the license is the only key.
    run("open", "--license", "acme.lic", "-o", "model.out.pt", "m.mseal")
    assert_same_weights(torch.load(tmp_path / "model.out.pt", weights_only=True), vendor["state_dict"])
    piped = run("open", "--license", "acme.lic", "-o", "-", "m.mseal").stdout
    assert_same_weights(torch.load(io.BytesIO(piped), weights_only=True), vendor["state_dict"])
    shown = json.loads(run("license", "show", "--json", "acme.lic").stdout)
    assert shown["customer"] == "ACME"
    assert shown["expires_at"] == "2100-01-01T00:00:00Z"  # the whole UTC day 2099-12-31 is valid
    assert shown["max_loads"] == 10
    assert shown["this_machine"]["machine_key_matches"] is True
    assert shown["this_machine"]["loads_used"] == 2
    text = run("license", "show", "acme.lic").stdout.decode()
    assert "2 load(s) used" in text and "ACME" in text


def test_check_verifies_without_counting_a_load(run, vendor):
    vendor["issue"]("--max-loads", "1")
    run("open", "--license", "acme.lic", "--check", "m.mseal")
    run("open", "--license", "acme.lic", "--check", "m.mseal")
    run("open", "--license", "acme.lic", "-o", "out.pt", "m.mseal")
    result = run("open", "--license", "acme.lic", "-o", "out2.pt", "m.mseal", check=False)
    assert result.returncode == 35
    assert b"load limit reached: all 1 load(s) used" in result.stderr


def test_later_version_sealed_to_the_license_key_opens_with_the_same_license(run, tmp_path, vendor):
    vendor["issue"]("--license-key-out", "acme.lk")
    torch.save({"w": torch.arange(10.0)}, tmp_path / "v2.pt")
    run("seal", "--license-key", "acme.lk", "--chain-license-key", "--sign-key", "vendor.key", "-o", "v2.mseal", "v2.pt")
    opened = run("open", "--license", "acme.lic", "-o", "-", "v2.mseal").stdout
    assert torch.equal(torch.load(io.BytesIO(opened), weights_only=True)["w"], torch.arange(10.0))


def test_wrong_model(run, tmp_path, vendor):
    vendor["issue"]()
    (tmp_path / "other.bin").write_bytes(b"x" * 1000)
    run("seal", "--key-env", "MODEL_KEY", "--sign-key", "vendor.key", "-o", "other.mseal", "other.bin",
        env={"MODEL_KEY": vendor["key"]})
    result = run("open", "--license", "acme.lic", "-o", "o.bin", "other.mseal", check=False)
    assert result.returncode == 34
    assert b"wrong model" in result.stderr and b"m.mseal" in result.stderr


def test_tampered_license(run, tmp_path, vendor):
    vendor["issue"]("--max-loads", "1")
    text = (tmp_path / "acme.lic").read_text()
    (tmp_path / "acme.lic").write_text(text.replace('"max_loads":1', '"max_loads":9'))
    result = run("open", "--license", "acme.lic", "-o", "out.pt", "m.mseal", check=False)
    assert result.returncode == 30
    assert b"tampered license" in result.stderr
    assert not (tmp_path / "out.pt").exists()


def test_not_yet_valid(run, vendor):
    tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%d")
    vendor["issue"]("--not-before", tomorrow)
    result = run("open", "--license", "acme.lic", "-o", "out.pt", "m.mseal", check=False)
    assert result.returncode == 32
    assert f"valid from {tomorrow}T00:00:00Z".encode() in result.stderr


def test_expiry_in_the_past_is_refused_at_issue(run, vendor):
    with pytest.raises(AssertionError, match="exited 64: .*in the past"):
        vendor["issue"]("--expires", "2020-01-01")


def test_memory_only_license_refuses_file_output(run, tmp_path, vendor):
    vendor["issue"]("--memory-only")
    result = run("open", "--license", "acme.lic", "-o", "out.pt", "m.mseal", check=False)
    assert result.returncode == 39
    assert b"in-memory loads only" in result.stderr
    assert not (tmp_path / "out.pt").exists()
    run("open", "--license", "acme.lic", "--check", "m.mseal")


def test_another_machine_has_no_machine_key(run, tmp_path, vendor):
    vendor["issue"]()
    result = run(
        "open", "--license", "acme.lic", "-o", "out.pt", "m.mseal", env={"MODELSEAL_LICENSE_DIR": str(tmp_path / "elsewhere")},
        check=False,
    )
    assert result.returncode == 33
    assert b"wrong machine: no machine key" in result.stderr


def test_second_request_needs_new_and_retires_old_licenses(run, vendor):
    vendor["issue"]()
    result = run("license", "request", "--vendor", "vendor.key.pub", "-o", "req2.json", check=False)
    assert result.returncode == 64  # a usage error: --new is needed (no output file exists)
    assert b"--new" in result.stderr
    run("license", "request", "--vendor", "vendor.key.pub", "--new", "-o", "req.json", "--force")
    result = run("open", "--license", "acme.lic", "-o", "out.pt", "m.mseal", check=False)
    assert result.returncode == 33
    vendor["issue"](output="acme2.lic")
    run("open", "--license", "acme2.lic", "-o", "out.pt", "m.mseal")


def test_request_for_another_vendor_is_refused_at_issue(run, vendor):
    run("keygen", "--sign", "-o", "other.key")
    result = run(
        "license", "issue", "--request", "req.json", "--model", "m.mseal", "--key-env", "MODEL_KEY", "--customer", "X",
        "--sign-key", "other.key", "-o", "x.lic", env={"MODEL_KEY": vendor["key"]}, check=False,
    )
    assert result.returncode == 30
    assert b"another vendor key" in result.stderr


def test_edited_state_file(run, tmp_path, vendor):
    vendor["issue"]("--max-loads", "5")
    run("open", "--license", "acme.lic", "-o", "out.pt", "m.mseal")
    [state] = list((tmp_path / "licensing").glob("*/state/*.state"))
    state.write_text(state.read_text().replace('"loads":1', '"loads":0'))
    result = run("open", "--license", "acme.lic", "-o", "out2.pt", "m.mseal", check=False)
    assert result.returncode == 37
    assert b"was edited" in result.stderr


def test_concurrent_workers_share_the_load_limit(run, tmp_path, vendor, modelseal_bin):
    vendor["issue"]("--max-loads", "3")

    def load(index):
        return subprocess.run(
            [modelseal_bin, "open", "--license", "acme.lic", "-o", f"out{index}.pt", "m.mseal"],
            cwd=tmp_path, capture_output=True, timeout=120,
        ).returncode

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(load, range(6)))
    assert codes == [0, 0, 0, 35, 35, 35]
    assert json.loads(run("license", "show", "--json", "acme.lic").stdout)["this_machine"]["loads_used"] == 3


def test_concurrent_loads_never_take_a_writer_for_a_rollback(run, tmp_path, vendor, modelseal_bin):
    """Each load checks the state before decrypting and records itself after: both under the lock. Run 19 of
    the CI saw exit 37 ("rolled back") once when the check read the three copies without it, between another
    load's write of the record and of the state file."""
    vendor["issue"]("--max-loads", "1000")

    def load(index):
        result = subprocess.run([modelseal_bin, "open", "--license", "acme.lic", "-o", f"out{index}.pt", "m.mseal"],
                                cwd=tmp_path, capture_output=True, timeout=120)
        return result.returncode, result.stderr.decode(errors="replace")

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(load, range(64)))
    assert [code for code, _ in results] == [0] * 64, [stderr for code, stderr in results if code][:2]
    assert json.loads(run("license", "show", "--json", "acme.lic").stdout)["this_machine"]["loads_used"] == 64


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is installed by scripts/test.sh")
def test_traced_process_is_refused_when_the_policy_says_deny(run, tmp_path, vendor, modelseal_bin):
    vendor["issue"]("--guard", "tracer=deny", output="deny.lic")
    vendor["issue"]("--guard", "tracer=warn", output="warn.lic")
    traced = subprocess.run(
        ["strace", "-f", "-o", "/dev/null", modelseal_bin, "open", "--license", "deny.lic", "-o", "out.pt", "m.mseal"],
        cwd=tmp_path, capture_output=True, timeout=120,
    )
    assert traced.returncode == 38, traced.stderr
    assert b"runtime guard denied by the license policy: tracer: process is traced by pid" in traced.stderr
    assert not (tmp_path / "out.pt").exists()
    warned = subprocess.run(
        ["strace", "-f", "-o", "/dev/null", modelseal_bin, "open", "--license", "warn.lic", "-o", "out.pt", "m.mseal"],
        cwd=tmp_path, capture_output=True, timeout=120,
    )
    assert warned.returncode == 0, warned.stderr
    assert b"warning: runtime guard: tracer" in warned.stderr
    # Untraced, the deny policy lets the load through.
    run("open", "--license", "deny.lic", "-o", "out2.pt", "m.mseal")


def test_preload_denied_by_policy(run, tmp_path, vendor):
    vendor["issue"]("--guard", "preload=deny")
    # An empty preload list entry is ignored by the loader but still visible to the guard.
    result = run("open", "--license", "acme.lic", "-o", "out.pt", "m.mseal", env={"LD_PRELOAD": " "}, check=False)
    assert result.returncode == 38
    assert b"preload: LD_PRELOAD" in result.stderr


def test_machine_fingerprint(run, tmp_path):
    report = json.loads(run("machine", "fingerprint", "--json").stdout)
    names = [component["name"] for component in report["components"]]
    assert names == sorted(names) and names
    assert set(names) | set(report["missing"]) == {"cpu", "disk", "dmi", "dmi-serial", "host-token", "machine-id",
                                                    "network", "root-fs"}
    assert all(len(component["hash"]) == 64 for component in report["components"])
    run("keygen", "--sign", "-o", "vendor.key")
    salted = json.loads(run("machine", "fingerprint", "--vendor", "vendor.key.pub", "--json").stdout)
    assert [c["hash"] for c in salted["components"]] != [c["hash"] for c in report["components"]]


def test_host_token_component(run, tmp_path):
    (tmp_path / "token").write_text("host-secret\n")
    report = json.loads(
        run("machine", "fingerprint", "--json", env={"MODELSEAL_HOST_TOKEN_FILE": str(tmp_path / "token")}).stdout
    )
    assert "host-token" in [component["name"] for component in report["components"]]


def test_license_signature_and_canonical_form_verify_independently(run, tmp_path, vendor):
    """spec/LICENSING.md §3 from Python alone: canonical JSON as RFC 8785 for this subset, the statement, Ed25519."""
    import base64

    from cryptography.hazmat.primitives.serialization import load_der_public_key

    vendor["issue"]("--expires", "2099-12-31")
    raw = (tmp_path / "acme.lic").read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    document = json.loads(raw)

    def canonical(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    assert canonical(document) + b"\n" == raw
    statement = b"modelseal/v1 license\x00" + canonical(document["license"])
    signature = document["signature"]
    assert signature["algorithm"] == "ed25519"
    key = load_der_public_key(base64.b64decode(signature["public_key"]))
    key.verify(base64.b64decode(signature["value"]), statement)  # raises if invalid
    license = document["license"]
    assert license["expires_at"] - license["not_before"] > 0
    assert license["machine"]["match"] <= len(license["machine"]["components"])
    assert all(len(base64.b64decode(share)) == 80 for share in license["key"]["component_shares"])


@pytest.mark.skipif(shutil.which("faketime") is None, reason="faketime is installed by scripts/test.sh")
def test_clock_set_back_is_refused(run, tmp_path, vendor, modelseal_bin):
    vendor["issue"]()

    def at(when):
        # faketime works through LD_PRELOAD, which the preload guard sees (policy: warn).
        return subprocess.run(
            ["faketime", when, modelseal_bin, "open", "--license", "acme.lic", "-o", "-", "m.mseal"],
            cwd=tmp_path, capture_output=True, timeout=120,
        )

    before_issue = at("2020-01-01 00:00:00")
    assert before_issue.returncode == 36, before_issue.stderr
    assert b"earlier than the license's issue time" in before_issue.stderr
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    ahead = at(later)
    assert ahead.returncode == 0, ahead.stderr
    assert b"warning: runtime guard: preload: LD_PRELOAD=" in ahead.stderr
    back = run("open", "--license", "acme.lic", "-o", "-", "m.mseal", check=False)  # the real clock is 3 days behind
    assert back.returncode == 36
    assert b"earlier than the last load recorded on this machine" in back.stderr


def test_signed_model_with_license_and_trust(run, tmp_path, vendor):
    run("seal", "--key-env", "MODEL_KEY", "--sign-key", "vendor.key", "-o", "signed.mseal", "model.pt",
        env={"MODEL_KEY": vendor["key"]})
    vendor["issue"]("--max-loads", "1", models=("signed.mseal",))
    run("keygen", "--sign", "-o", "stranger.key")
    # An untrusted signer is refused before the load is counted ...
    result = run("open", "--license", "acme.lic", "--trust", "stranger.key.pub", "-o", "-", "signed.mseal", check=False)
    assert result.returncode == 21
    # ... so the single load is still there for the trusted open.
    opened = run("open", "--license", "acme.lic", "--trust", "vendor.key.pub", "-o", "-", "signed.mseal").stdout
    assert_same_weights(torch.load(io.BytesIO(opened), weights_only=True), vendor["state_dict"])
