"""Issue 15, item 11: what the command line says when something is wrong, against the built binary."""
import json
import os

import pytest


@pytest.fixture
def keys(run):
    run("keygen", "--sign", "-o", "vendor.key")
    made = run("keygen", "-o", "customer.key")
    return [w for w in (made.stdout + made.stderr).decode().split() if w.startswith("modelseal1")][0]


@pytest.fixture
def signed(run, tmp_path, keys):
    (tmp_path / "model.pt").write_bytes(os.urandom(3_000_000))
    run("seal", "-r", keys, "--sign-key", "vendor.key", "-o", "model.mseal", "model.pt", "-q")
    return tmp_path / "model.mseal"


def test_a_truncated_signed_download_is_truncated_not_tampered_or_unsigned(run, tmp_path, signed):
    data = signed.read_bytes()
    (tmp_path / "cut.mseal").write_bytes(data[: len(data) // 2])
    result = run("open", "-i", "customer.key", "-o", "out.pt", "cut.mseal", check=False)
    assert result.returncode == 12, result.stderr
    assert b"truncated" in result.stderr and not (tmp_path / "out.pt").exists()
    inspected = run("inspect", "cut.mseal").stdout.decode()
    assert "signature:  MISSING" in inspected and "truncated" in inspected
    assert json.loads(run("inspect", "--json", "cut.mseal").stdout)["signature_required"] is True
    # A file whose trailer was removed (payload intact) is still "unsigned" (20): stripped, not cut.
    report = json.loads(run("inspect", "--json", "model.mseal").stdout)
    (tmp_path / "stripped.mseal").write_bytes(data[: report["header_bytes"] + report["payload_bytes"]])
    assert run("open", "-i", "customer.key", "--check", "stripped.mseal", check=False).returncode == 20


def test_keys_of_the_wrong_kind_are_named(run, tmp_path, keys):
    result = run("keygen", "-y", "vendor.key", check=False)
    assert result.returncode == 14 and b"signing key" in result.stderr and b"Bech32" not in result.stderr
    (tmp_path / "customer.pub").write_text(keys + "\n")
    (tmp_path / "m.pt").write_bytes(b"x" * 100)
    run("seal", "-r", keys, "-o", "m.mseal", "m.pt")
    result = run("open", "-i", "customer.pub", "-o", "-", "m.mseal", check=False)
    assert result.returncode == 14 and b"public half" in result.stderr


def test_license_issue_with_a_past_expiry_is_a_usage_error(run, tmp_path, keys):
    env = {"MODELSEAL_LICENSE_DIR": str(tmp_path / "licensing")}
    run("license", "request", "--vendor", "vendor.key.pub", "-o", "req.json", env=env)
    result = run("license", "issue", "--request", "req.json", "--customer", "ACME", "--expires", "2020-01-01",
                 "--sign-key", "vendor.key", "--license-key-out", "license.key", "-o", "acme.lic", check=False, env=env)
    assert result.returncode == 64, result.stderr
    text = result.stderr.decode()
    assert "in the past" in text and "2020-01-01" in text and "2020-01-02" not in text
    assert not (tmp_path / "acme.lic").exists()
    # A second request for the same vendor is refused as a usage error (pass --new), not "output exists" (17).
    again = run("license", "request", "--vendor", "vendor.key.pub", "-o", "req2.json", check=False, env=env)
    assert again.returncode == 64 and b"--new" in again.stderr


def test_missing_files_are_named_like_everywhere_else(run):
    for args in (["inspect", "missing.mseal"], ["inspect", "missing.pt"], ["convert", "missing.pt", "out.safetensors"]):
        result = run(*args, check=False)
        assert result.returncode == 16, (args, result.stderr)
        assert b"No such file or directory" in result.stderr and b"errno" not in result.stderr, result.stderr


def test_convert_takes_f(run, tmp_path):
    import torch

    torch.save({"w": torch.ones(3)}, tmp_path / "m.pt")
    run("convert", "m.pt", "m.safetensors")
    assert run("convert", "m.pt", "m.safetensors", check=False).returncode == 17
    run("convert", "-f", "m.pt", "m.safetensors")


@pytest.mark.parametrize("args", [
    ["inspect", "--json", "missing.mseal"],
    ["env", "check", "--json", "--contract", "missing.json"],
    ["license", "show", "--json", "missing.lic"],
    ["scan", "--json", "--files-from", "missing.txt"],
    ["trace", "missing.pt", "--original", "missing-original.pt", "--secret", "missing.secret", "--model-id", "m",
     "--customers", "missing-ids.txt", "--json"],
])
def test_json_commands_print_a_json_error_object_on_failure(run, args):
    result = run(*args, check=False)
    assert result.returncode in (14, 16), result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["status"] == result.returncode and error["exception"].endswith("Error")
    assert "missing" in error["message"] and error["message"] in result.stderr.decode()


def help_pages(run):
    """(command, --help text) of every command and subcommand, rendered 80 columns wide."""
    pages = {}
    pending = [[]]
    while pending:
        command = pending.pop()
        text = run(*command, "--help", env={"COLUMNS": "80"}).stdout.decode()
        pages[" ".join(command) or "modelseal"] = text
        if "SUBCOMMANDS:" in text:
            section = text.split("SUBCOMMANDS:", 1)[1].split("\n\n", 1)[0]
            for line in section.splitlines():
                name = line.split()[0] if line.startswith("  ") and not line.startswith("   ") else None
                if name and name != "help":
                    pending.append(command + [name])
    return pages


def test_help_is_wrapped_once_and_the_top_level_is_short(run):
    pages = help_pages(run)
    assert {"modelseal", "seal", "env capture", "license issue", "machine fingerprint"} <= set(pages)
    for command, text in pages.items():
        lines = text.splitlines()
        for previous, line in zip(lines, lines[1:]):
            # A line at column 0 right after an indented one is a section title ("Examples:") or a fragment of a
            # line ArgumentParser had to wrap: an example or a table row too long for 80 columns.
            if line and not line[0].isspace() and previous.startswith(" ") and previous.strip():
                assert line.rstrip().endswith(":"), f"`{command} --help` breaks a line:\n{previous}\n{line}"
        for line in lines:
            if not line.startswith("USAGE:"):  # ArgumentParser never wraps its usage line
                assert len(line) <= 80, f"`{command} --help` has a line over 80 columns: {line}"
    # README: "`modelseal <command> --help` explains every option, with examples".
    leaves = [command for command, text in pages.items() if "SUBCOMMANDS:" not in text]
    assert [command for command in leaves if "Example" not in pages[command]] == []
    top = pages["modelseal"]
    codes = top.split("Exit codes", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(codes) <= 8, f"the exit codes take {len(codes)} lines of the top-level --help"  # was 60
    assert any("17 cannot write output" in line for line in codes)
    assert len(top.splitlines()) < 70


def test_the_bundle_readme_names_the_bundle_and_the_key_file_keygen_wrote(run, tmp_path, signed):
    run("pack", "-o", "acme-2026.mspkg", "--sign-key", "vendor.key", "model.mseal")
    run("unpack", "--trust", "vendor.key.pub", "-o", "delivery", "acme-2026.mspkg")
    readme = (tmp_path / "delivery" / "README.txt").read_text()
    assert "modelseal verify --trust vendor.key.pub acme-2026.mspkg" in readme
    assert "THIS.mspkg" not in readme and "vendor.pub " not in readme
    # ... and the commands it gives work as written, in the folder the bundle was received in.
    run(*"verify --trust vendor.key.pub acme-2026.mspkg".split())
